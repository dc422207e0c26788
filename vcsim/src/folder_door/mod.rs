//! The `/folder` side door vCenter and ESXi serve for datastore files:
//! `GET|HEAD|PUT|DELETE /folder/<path>?dcPath=<datacenter>&dsName=<datastore>`.
//!
//! Authenticated as `/screen` is (a live `vmware_soap_session` cookie or
//! Basic credentials that would log in), else 401. Bodies are streamed both
//! ways: an upload is written chunk by chunk into the file's [`Upload`]
//! (memory under `Config::datastore_memory_limit`, or the backing directory),
//! a download read chunk by chunk ([`FileBody`]), with `Range` (206, or 416
//! when it cannot be met). Answers as vCenter gives them: 404 for an unknown
//! datacenter, datastore, file or parent folder (a PUT creates a file only in
//! a folder that exists), 403 for a path that climbs out (`..`, absolute,
//! also percent-encoded), 400 for a malformed request, 413 past the upload
//! size limit, 507 when the datastore (or the in-memory limit) has no room.

use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Body as _;
use vim25::{Fault, MoRef, Value};

use crate::datastore_content::{FileBody, WriteError};
use crate::datastore_files::{DsFile, FileKind};
use crate::mo::datastore::files_changed;
use crate::state::{Shared, State as Model};

mod parse;
use parse::{decode, no, range, safe_path};

/// The door's routes, merged into the HTTP front's router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route(
        "/folder/{*path}",
        get(door).put(door).delete(door).head(door),
    )
}

type Answer = Result<Response, (StatusCode, String)>;

async fn door(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    if !crate::http::http_authenticated(&shared, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"VMware HTTP server\"",
            )],
            "401 Unauthorized: log in first (session cookie or Basic auth)",
        )
            .into_response();
    }
    let out = match target(&shared, uri.path(), query.as_deref().unwrap_or("")) {
        Err(e) => Err(e),
        Ok(t) => match method {
            Method::GET | Method::HEAD => download(&shared, &t, &headers).await,
            Method::PUT => upload(&shared, &t, &headers, body).await,
            Method::DELETE => delete(&shared, &t),
            _ => Err(no(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")),
        },
    };
    out.unwrap_or_else(|(s, m)| (s, m).into_response())
}

/// A request's file: its datastore and the path inside it.
struct Target {
    ds: MoRef,
    ds_name: String,
    rel: String,
}

impl Target {
    fn path(&self) -> String {
        crate::mo::datastore::ds_path(&self.ds_name, &self.rel)
    }
}

fn target(shared: &Shared, uri_path: &str, query: &str) -> Result<Target, (StatusCode, String)> {
    let raw = uri_path.strip_prefix("/folder/").unwrap_or("");
    let rel = safe_path(raw)?;
    let param = |k: &str| -> Result<Option<String>, (StatusCode, String)> {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(key, _)| *key == k)
            .map(|(_, v)| {
                decode(&v.replace('+', " ")).ok_or_else(|| {
                    no(
                        StatusCode::BAD_REQUEST,
                        format!("{k} is not valid UTF-8 percent-encoding"),
                    )
                })
            })
            .transpose()
    };
    let ds_name = param("dsName")?.filter(|s| !s.is_empty()).ok_or_else(|| {
        no(
            StatusCode::BAD_REQUEST,
            "the dsName parameter (a datastore name) is required",
        )
    })?;
    let dc_path = param("dcPath")?;
    let st = shared.lock();
    let dcs = st.objects.of_kind("Datacenter");
    let dc = match dc_path.as_deref().map(|p| p.trim_matches('/')) {
        Some(p) => {
            let name = p.rsplit('/').next().unwrap_or(p);
            dcs.iter().find(|d| st.objects.name(d) == name).cloned()
        }
        // A host has one datacenter and clients leave dcPath out.
        None if dcs.len() == 1 => dcs.first().cloned(),
        None => {
            return Err(no(
                StatusCode::BAD_REQUEST,
                "the dcPath parameter (a datacenter) is required",
            ));
        }
    };
    let dc = dc.ok_or_else(|| {
        no(
            StatusCode::NOT_FOUND,
            format!("datacenter '{}' not found", dc_path.unwrap_or_default()),
        )
    })?;
    let ds = st
        .objects
        .refs(&dc, "datastore")
        .into_iter()
        .find(|d| st.objects.name(d) == ds_name)
        .ok_or_else(|| {
            no(
                StatusCode::NOT_FOUND,
                format!(
                    "datastore '{ds_name}' not found in datacenter '{}'",
                    st.objects.name(&dc)
                ),
            )
        })?;
    crate::mo::datastore::require_accessible(&st, &ds)
        .map_err(|f| no(StatusCode::NOT_FOUND, f.message))?;
    Ok(Target { ds, ds_name, rel })
}

async fn download(shared: &Shared, t: &Target, headers: &HeaderMap) -> Answer {
    let (size, blob) = {
        let st = shared.lock();
        match st.files.get(&t.ds.value, &t.rel) {
            // A thin disk takes little but reads as long as its capacity.
            Some(f) if f.kind != FileKind::Folder => (
                f.size.max(f.capacity).max(0) as u64,
                st.files
                    .meta(&t.ds.value, &t.rel)
                    .and_then(|m| m.blob.clone()),
            ),
            _ if st.files.is_folder(&t.ds.value, &t.rel) => {
                return Err(no(
                    StatusCode::BAD_REQUEST,
                    format!("{} is a folder, not a file", t.path()),
                ));
            }
            _ => {
                return Err(no(
                    StatusCode::NOT_FOUND,
                    format!("File {} was not found", t.path()),
                ));
            }
        }
    };
    let span = range(headers, size).map_err(|()| {
        no(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!(
                "416: the range cannot be met for {} ({size} bytes)",
                t.path()
            ),
        )
    })?;
    let (start, len) = span.map_or((0, size), |(a, b)| (a, b - a + 1));
    let body = FileBody::open(blob, start, len).await.map_err(|e| {
        no(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {}: {e}", t.path()),
        )
    })?;
    let mut r = Response::new(Body::new(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::ACCEPT_RANGES,
        header::HeaderValue::from_static("bytes"),
    );
    h.insert(header::CONTENT_LENGTH, len.into());
    if let Some((a, b)) = span {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = format!("bytes {a}-{b}/{size}").parse() {
            r.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(r)
}

/// Room on `ds` for a file of `size` bytes replacing what is at `rel`.
fn room(st: &Model, t: &Target, size: i64) -> Result<(), Fault> {
    let cap = st
        .objects
        .prop(&t.ds, "summary.capacity")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let old = st.files.size(&t.ds.value, &t.rel).unwrap_or(0);
    let free = cap - st.files.usage(&t.ds.value).used + old;
    if size > free {
        return Err(Fault::new(
            "NoDiskSpace",
            format!(
                "507: not enough space on datastore '{}' for {}: {size} bytes needed, {free} free",
                t.ds_name,
                t.path()
            ),
        ));
    }
    Ok(())
}

/// The file may be written: its folder exists and it is no folder itself.
fn writable(st: &Model, t: &Target) -> Result<(), (StatusCode, String)> {
    let parent = t.rel.rsplit_once('/').map_or("", |(p, _)| p);
    if !st.files.is_folder(&t.ds.value, parent) {
        let p = crate::mo::datastore::ds_path(&t.ds_name, parent);
        return Err(no(
            StatusCode::NOT_FOUND,
            format!("the folder {p} was not found"),
        ));
    }
    if st.files.is_folder(&t.ds.value, &t.rel) {
        return Err(no(
            StatusCode::BAD_REQUEST,
            format!("{} is a folder", t.path()),
        ));
    }
    Ok(())
}

async fn upload(shared: &Shared, t: &Target, headers: &HeaderMap, mut body: Body) -> Answer {
    let store = {
        let st = shared.lock();
        writable(&st, t)?;
        if let Some(n) = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if n > st.files.store.max_file {
                return Err(too_large(st.files.store.max_file));
            }
            room(&st, t, n as i64).map_err(|f| no(StatusCode::INSUFFICIENT_STORAGE, f.message))?;
        }
        st.files.store.clone()
    };
    let name = t.rel.rsplit('/').next().unwrap_or("file");
    let mut up = store.begin(&t.ds_name, name).await.map_err(write_error)?;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => {
                return Err(no(
                    StatusCode::BAD_REQUEST,
                    format!("the upload broke off: {e}"),
                ));
            }
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    up.write(data).await.map_err(write_error)?;
                }
            }
        }
    }
    let blob = Arc::new(up.finish().await.map_err(write_error)?);
    let size = blob.len() as i64;
    let created = shared
        .try_mutate(|st| {
            writable(st, t).map_err(|(_, m)| Fault::new("FileNotFound", m))?;
            room(st, t, size)?;
            let created = !st.files.exists(&t.ds.value, &t.rel);
            st.files.set_with(
                &t.ds.value,
                &t.rel,
                DsFile::fixed(FileKind::for_name(&t.rel), size),
                Some(blob),
            );
            files_changed(st, &t.ds)?;
            Ok(created)
        })
        .map_err(|f| {
            let status = if f.is("NoDiskSpace") {
                StatusCode::INSUFFICIENT_STORAGE
            } else {
                StatusCode::NOT_FOUND
            };
            no(status, f.message)
        })?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(status.into_response())
}

fn too_large(limit: u64) -> (StatusCode, String) {
    no(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("413: the file is larger than the simulator's {limit}-byte upload limit"),
    )
}

fn write_error(e: WriteError) -> (StatusCode, String) {
    let msg = e.to_string();
    match e {
        WriteError::TooLarge { limit } => too_large(limit),
        WriteError::MemoryFull { .. } => {
            no(StatusCode::INSUFFICIENT_STORAGE, format!("507: {msg}"))
        }
        WriteError::Io(err) => {
            tracing::warn!(error = %err, "an upload could not be written");
            no(StatusCode::INTERNAL_SERVER_ERROR, msg)
        }
    }
}

fn delete(shared: &Shared, t: &Target) -> Answer {
    shared
        .try_mutate(|st| {
            match st.files.get(&t.ds.value, &t.rel) {
                Some(f) if f.kind != FileKind::Folder => {}
                _ if st.files.is_folder(&t.ds.value, &t.rel) => {
                    return Err(Fault::new(
                        "InvalidArgument",
                        format!("{} is a folder: delete folders with FileManager.DeleteDatastoreFile_Task", t.path()),
                    ));
                }
                _ => return Err(crate::datastore_files::not_found(&t.path())),
            }
            st.files.remove(&t.ds.value, &t.rel);
            files_changed(st, &t.ds)
        })
        .map_err(|f| {
            let status = if f.is("FileNotFound") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            no(status, f.message)
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
