//! The NFC door an HttpNfcLease's `deviceUrl`s point at:
//! `PUT /nfc/<lease>/<disk-N.vmdk>` writes an imported disk, `GET` reads an
//! exported one (one `merge` line in `http.rs`).
//!
//! Authenticated as `/folder` is (session cookie or Basic). The lease must be
//! `ready` (409 otherwise: initializing, done, or aborted), the file one of
//! its URLs (404). An upload is streamed into the disk's file on its
//! datastore (`datastore_content.rs`), so the bytes land where the VM's disk
//! is and the datastore's free space follows; it must be a stream-optimized
//! VMDK (else 400, and the lease fails, as vCenter's does on a bad stream).
//! A download is the bytes an upload wrote, or the stream of an empty disk
//! of the disk's capacity.

use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Body as _;
use vim25::{Fault, MoRef};

use crate::datastore_content::FileBody;
use crate::datastore_files::{DsFile, FileKind};
use crate::mo::datastore::files_changed;
use crate::mo::http_nfc_lease::{fail, state};
use crate::ovf::export::{ExportDisk, disks};
use crate::ovf::vmdk;
use crate::state::{Shared, State as Model};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/nfc/{lease}/{file}", get(door).put(door))
}

type Answer = Result<Response, (StatusCode, String)>;

async fn door(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path((lease, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !crate::http::http_authenticated(&shared, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "401 Unauthorized: log in first (session cookie or Basic auth)",
        )
            .into_response();
    }
    let lease = MoRef::new("HttpNfcLease", &lease);
    let out = match method {
        Method::GET => download(&shared, &lease, &file).await,
        Method::PUT => upload(&shared, &lease, &file, body).await,
        _ => Err((StatusCode::METHOD_NOT_ALLOWED, "method not allowed".into())),
    };
    out.unwrap_or_else(|e| e.into_response())
}

/// The lease's disk that `file` names, if the lease is ready.
fn target(st: &Model, lease: &MoRef, file: &str) -> Result<ExportDisk, (StatusCode, String)> {
    if !st.objects.contains(lease) {
        return Err((
            StatusCode::NOT_FOUND,
            format!("404: no lease {}", lease.value),
        ));
    }
    let s = state(st, lease);
    if s != "ready" {
        return Err((
            StatusCode::CONFLICT,
            format!("409: the lease {} is {s}, not ready", lease.value),
        ));
    }
    let vm = st
        .objects
        .ref_prop(lease, "info.entity")
        .filter(|v| st.objects.contains(v))
        .ok_or((
            StatusCode::NOT_FOUND,
            "404: the lease's VM is gone".to_string(),
        ))?;
    let all = disks(st, &vm);
    let names: Vec<String> = all.iter().map(|d| d.target.clone()).collect();
    all.into_iter().find(|d| d.target == file).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!(
                "404: the lease {} has no file {file}; its files: {}",
                lease.value,
                names.join(", ")
            ),
        )
    })
}

/// What a disk reads as over NFC: uploaded bytes, else an empty stream.
pub(crate) fn disk_bytes(st: &Model, d: &ExportDisk) -> std::io::Result<Vec<u8>> {
    let blob = d
        .file
        .as_ref()
        .and_then(|(ds, p)| st.files.meta(&ds.value, p))
        .and_then(|m| m.blob.clone());
    match blob {
        Some(b) => b.read_all(),
        None => Ok(vmdk::empty_stream(d.capacity, &d.target)),
    }
}

async fn download(shared: &Shared, lease: &MoRef, file: &str) -> Answer {
    let (blob, generated) = {
        let st = shared.lock();
        let d = target(&st, lease, file)?;
        let blob = d
            .file
            .as_ref()
            .and_then(|(ds, p)| st.files.meta(&ds.value, p))
            .and_then(|m| m.blob.clone());
        let generated = blob
            .is_none()
            .then(|| vmdk::empty_stream(d.capacity, &d.target));
        (blob, generated)
    };
    let body = match (blob, generated) {
        (_, Some(bytes)) => Body::from(bytes),
        (Some(b), None) => {
            let len = b.len();
            let fb = FileBody::open(Some(b), 0, len).await.map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read {file}: {e}"),
                )
            })?;
            Body::new(fb)
        }
        (None, None) => Body::empty(),
    };
    let mut r = Response::new(body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/x-vnd.vmware-streamVmdk"),
    );
    Ok(r)
}

async fn upload(shared: &Arc<Shared>, lease: &MoRef, file: &str, mut body: Body) -> Answer {
    let (store, ds_name) = {
        let st = shared.lock();
        let d = target(&st, lease, file)?;
        let ds = d
            .file
            .as_ref()
            .map(|(ds, _)| st.objects.name(ds))
            .unwrap_or_default();
        (st.files.store.clone(), ds)
    };
    let bad = |shared: &Shared, msg: String| {
        fail(
            shared,
            lease,
            &Fault::new(
                "InvalidArgument",
                format!("The upload of {file} is not a disk stream: {msg}"),
            ),
        );
        (
            StatusCode::BAD_REQUEST,
            format!("400: {file} is not a stream-optimized VMDK: {msg}"),
        )
    };
    let mut up = store
        .begin(&ds_name, file)
        .await
        .map_err(|e| (StatusCode::INSUFFICIENT_STORAGE, e.to_string()))?;
    let mut head: Vec<u8> = Vec::with_capacity(512);
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    format!("the upload broke off: {e}"),
                ));
            }
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    if head.len() < 512 {
                        let take = (512 - head.len()).min(data.len());
                        head.extend_from_slice(&data[..take]);
                    }
                    up.write(data)
                        .await
                        .map_err(|e| (StatusCode::INSUFFICIENT_STORAGE, e.to_string()))?;
                }
            }
        }
    }
    if let Some(msg) = vmdk::not_stream_optimized(&head) {
        return Err(bad(shared, msg));
    }
    let blob = Arc::new(
        up.finish()
            .await
            .map_err(|e| (StatusCode::INSUFFICIENT_STORAGE, e.to_string()))?,
    );
    let len = blob.len() as i64;
    // A stream declaring a bigger disk than the spec made is that big.
    let declared = vmdk::capacity(&head).unwrap_or(0);
    shared
        .try_mutate(|st| {
            let d = target(st, lease, file).map_err(|(_, m)| Fault::invalid_state(m))?;
            let (ds, path) = d
                .file
                .ok_or_else(|| Fault::invalid_state("the disk has no file"))?;
            let old = st.files.get(&ds.value, &path).copied();
            let thin = old.is_some_and(|f| f.thin);
            let capacity = d.capacity.max(declared);
            let size = if thin { len } else { capacity };
            st.files.set_with(
                &ds.value,
                &path,
                DsFile {
                    kind: FileKind::Disk,
                    size,
                    capacity,
                    thin,
                },
                Some(blob),
            );
            files_changed(st, &ds)
        })
        .map_err(|f| (StatusCode::CONFLICT, f.message))?;
    Ok(StatusCode::OK.into_response())
}
