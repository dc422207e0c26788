//! resources, the transfer half: upload_to_datastore and
//! download_from_datastore, through vCenter's `/folder` door
//! ([`crate::vsphere::Client::folder_put`] / `folder_get`). A local file is
//! streamed in `chunk_size` pieces and a download to `save_to` is written as
//! it arrives, so neither ever sits whole in memory; inline content (base64
//! in, text or base64 out) is bounded. Local paths go through
//! [`local_paths`], datastore paths through [`ds_path::check`].

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use base64::Engine;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ds_lookup::{Datastore, datastore, human};
use super::ds_path::{self, ds_path};
use super::local_paths::{self, SETTING};
use super::params::DATASTORE;
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::{ToolError, VsError};
use crate::vsphere::FolderResponse;

/// The largest `content_base64` decoded in memory.
const MAX_INLINE: usize = 64 << 20;
/// The largest piece a local file is read in.
const MAX_CHUNK: i64 = 256 << 20;
/// The most `max_memory_mb` may allow.
const MAX_MEMORY_MB: i64 = 1024;

tool_args! {
    pub struct UploadArgs {
        datastore: name, DATASTORE;
        remote_path: string, "Path of the file on the datastore, relative to its top (e.g. 'iso/tools.iso'); its folder must exist. No '[datastore]' prefix, no '..'.";
        local_path: opt_string, "A file on the MCP server's own disk to upload, inside the directory MCVSPHERE_LOCAL_DIR allows (relative to it, or absolute inside it). Streamed; any size.";
        content_base64: opt_string, "The file's content, base64-encoded, instead of local_path (at most 64 MB decoded).";
        chunk_size: int = 8388608, "Bytes read from local_path and sent at a time.", positive(MAX_CHUNK, "bytes");
    }
}

tool_args! {
    pub struct DownloadArgs {
        datastore: name, DATASTORE;
        path: string, "Path of the file on the datastore, relative to its top (e.g. 'logs/vmware.log').";
        save_to: opt_string, "Write the file to this path on the MCP server's own disk (inside MCVSPHERE_LOCAL_DIR) instead of returning it; streamed, any size. An existing regular file there is replaced.";
        max_memory_mb: int = 50, "Without save_to: the largest file, in MB, returned inline (as text, or base64); larger ones need save_to.", positive(MAX_MEMORY_MB, "MB");
    }
}

pub const UPLOAD_TO_DATASTORE: ToolDef = ToolDef {
    name: "upload_to_datastore",
    title: "Upload file to datastore",
    description: "Put a file onto a datastore at remote_path (its folder must exist; an \
        existing file is replaced): either content_base64 (decoded in memory, at most 64 MB) or \
        local_path, a file on the MCP server's own disk inside the directory the \
        MCVSPHERE_LOCAL_DIR setting allows (off over HTTP unless set), streamed in chunk_size \
        pieces. Returns datastore, path, size_bytes, size_human, source and streamed.",
    hints: Hints::change(true, Some(true)),
    returns: Returns::Object,
    example: Example::args(
        r#"{"datastore":"LocalDS_0","remote_path":"hello.txt","content_base64":"aGVsbG8sIGRhdGFzdG9yZQo="}"#,
    ),
    failure: Failure::Args {
        args: r#"{"datastore":"LocalDS_0","remote_path":"hello.txt"}"#,
        expect: &["local_path or content_base64"],
    },
    run: run!(upload_to_datastore, UploadArgs),
};

pub const DOWNLOAD_FROM_DATASTORE: ToolDef = ToolDef {
    name: "download_from_datastore",
    title: "Download file from datastore",
    description: "Fetch a file from a datastore. Without save_to the content is returned \
        (encoding utf-8 for text, else base64) if the file is at most max_memory_mb; larger \
        files need save_to, a path on the MCP server's own disk inside the directory the \
        MCVSPHERE_LOCAL_DIR setting allows, which the file is streamed to. Returns datastore, \
        path, size_bytes, size_human, encoding and content (or saved_to).",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example {
        setup: &[(
            "upload_to_datastore",
            r#"{"datastore":"LocalDS_0","remote_path":"hello.txt","content_base64":"aGVsbG8sIGRhdGFzdG9yZQo="}"#,
        )],
        args: r#"{"datastore":"LocalDS_0","path":"hello.txt"}"#,
    },
    failure: Failure::Args {
        args: r#"{"datastore":"LocalDS_0","path":"no-such-file.txt"}"#,
        expect: &["'[LocalDS_0] no-such-file.txt' not found"],
    },
    run: run!(download_from_datastore, DownloadArgs),
};

/// A `/folder` answer other than success, in the file's words.
async fn door_error(resp: FolderResponse, full: &str, doing: &str) -> ToolError {
    let status = resp.status;
    let words = resp.words().await;
    let why = match status {
        401 => "vCenter refused the session".to_string(),
        403 => format!("vCenter refused the path: {words}"),
        404 if doing == "upload" => format!(
            "not found: its folder (or the datastore) does not exist; create the folder first \
             with create_datastore_folder ({words})"
        ),
        404 => "not found".to_string(),
        413 => format!("the file is larger than vCenter accepts ({words})"),
        507 => format!("not enough space on the datastore ({words})"),
        _ => format!("HTTP {status}: {words}"),
    };
    ToolError::new(format!("Cannot {doing} '{full}': {why}"))
}

/// For `map_err`, which hands the error over by value.
#[allow(clippy::needless_pass_by_value)]
fn vs(e: VsError) -> ToolError {
    ToolError::vsphere(&e, None)
}

/// A body that reads `file` from its start in `chunk` pieces.
fn file_body(path: &Path, chunk: usize) -> Result<reqwest::Body, VsError> {
    let f = std::fs::File::open(path)
        .map_err(|e| VsError::Local(format!("cannot open {}: {e}", path.display())))?;
    let f = tokio::fs::File::from_std(f);
    let stream = futures::stream::try_unfold(f, move |mut f| async move {
        let mut buf = Vec::with_capacity(chunk);
        while buf.len() < chunk {
            let n = (&mut f)
                .take((chunk - buf.len()) as u64)
                .read_to_end(&mut buf)
                .await?;
            if n == 0 {
                break;
            }
        }
        Ok::<_, std::io::Error>((!buf.is_empty()).then(|| (Bytes::from(buf), f)))
    });
    Ok(reqwest::Body::wrap_stream(stream))
}

async fn upload_to_datastore(ctx: Ctx, a: UploadArgs) -> Result<Output, ToolError> {
    let path = ds_path::check("remote_path", &a.remote_path, false)?;
    let source = match (&a.local_path, &a.content_base64) {
        (Some(_), Some(_)) => {
            return Err(ToolError::new(
                "give local_path or content_base64, not both",
            ));
        }
        (None, None) => {
            return Err(ToolError::new(
                "give the file to upload: local_path or content_base64",
            ));
        }
        (Some(p), None) => Source::Local(local_paths::readable(
            ctx.defaults.local_dir.as_deref(),
            "local_path",
            p,
        )?),
        (None, Some(b64)) => Source::Inline(decode_inline(b64)?),
    };
    let ds = datastore(&ctx, &a.datastore).await?;
    let full = ds_path(&ds.name, &path);
    let url = ctx
        .client
        .folder_url(&ds.dc_path, &ds.name, &path)
        .map_err(vs)?;
    let chunk = usize::try_from(a.chunk_size).unwrap_or(8 << 20);
    let (length, resp) = match &source {
        Source::Local(file) => {
            let length = std::fs::metadata(file)
                .map_err(|e| ToolError::new(format!("cannot read local_path: {e}")))?
                .len();
            let resp = ctx
                .client
                .folder_put(&url, length, || file_body(file, chunk))
                .await
                .map_err(vs)?;
            (length, resp)
        }
        Source::Inline(bytes) => {
            let length = bytes.len() as u64;
            let resp = ctx
                .client
                .folder_put(&url, length, || Ok(reqwest::Body::from(bytes.clone())))
                .await
                .map_err(vs)?;
            (length, resp)
        }
    };
    if !(200..300).contains(&resp.status) {
        return Err(door_error(resp, &full, "upload").await);
    }
    let (source, streamed) = match &source {
        Source::Local(_) => (a.local_path.clone().unwrap_or_default(), true),
        Source::Inline(_) => ("content_base64".to_string(), false),
    };
    Ok(Output::Json(json!({
        "datastore": ds.name,
        "path": full,
        "size_bytes": length,
        "size_human": human(length as i64),
        "source": source,
        "streamed": streamed,
    })))
}

enum Source {
    Local(PathBuf),
    Inline(Bytes),
}

fn decode_inline(b64: &str) -> Result<Bytes, ToolError> {
    let too_large = |decoded: usize| {
        ToolError::new(format!(
            "content_base64 is too large ({} MB decoded; at most {} MB inline): upload it from \
             local_path instead (see {SETTING})",
            decoded >> 20,
            MAX_INLINE >> 20
        ))
    };
    // Checked before decoding, from the length (padding makes it up to 2 bytes less).
    let decoded = b64.trim().len() / 4 * 3;
    if decoded > MAX_INLINE + 2 {
        return Err(too_large(decoded));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| ToolError::new(format!("content_base64 is not valid base64: {e}")))?;
    if bytes.len() > MAX_INLINE {
        return Err(too_large(bytes.len()));
    }
    Ok(Bytes::from(bytes))
}

async fn download_from_datastore(ctx: Ctx, a: DownloadArgs) -> Result<Output, ToolError> {
    let path = ds_path::check("path", &a.path, false)?;
    let target = match &a.save_to {
        Some(p) => Some(local_paths::writable(
            ctx.defaults.local_dir.as_deref(),
            "save_to",
            p,
        )?),
        None => None,
    };
    let ds = datastore(&ctx, &a.datastore).await?;
    let full = ds_path(&ds.name, &path);
    let url = ctx
        .client
        .folder_url(&ds.dc_path, &ds.name, &path)
        .map_err(vs)?;
    let resp = ctx.client.folder_get(&url).await.map_err(vs)?;
    if resp.status == 404 {
        return Err(ToolError::new(format!(
            "'{full}' not found (no such file on datastore '{}')",
            ds.name
        )));
    }
    if resp.status != 200 {
        return Err(door_error(resp, &full, "download").await);
    }
    match target {
        Some(target) => save(resp, &ds, &full, &target, a.save_to.as_deref()).await,
        None => inline(resp, &ds, &full, a.max_memory_mb).await,
    }
}

/// Streams the body into a new file beside `target`, renamed onto it at the end.
async fn save(
    mut resp: FolderResponse,
    ds: &Datastore,
    full: &str,
    target: &Path,
    given: Option<&str>,
) -> Result<Output, ToolError> {
    let partial = local_paths::partial_beside(target);
    let write_error = |e: std::io::Error| {
        ToolError::new(format!(
            "Cannot write save_to '{}': {e}",
            given.unwrap_or_default()
        ))
    };
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .await
        .map_err(write_error)?;
    let copied: Result<u64, ToolError> = async {
        let mut n = 0u64;
        while let Some(c) = resp.chunk().await.map_err(vs)? {
            file.write_all(&c).await.map_err(write_error)?;
            n += c.len() as u64;
        }
        file.flush().await.map_err(write_error)?;
        file.sync_all().await.map_err(write_error)?;
        Ok(n)
    }
    .await;
    drop(file);
    let n = match copied {
        Ok(n) => n,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
    };
    if let Err(e) = tokio::fs::rename(&partial, target).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(write_error(e));
    }
    Ok(Output::Json(json!({
        "datastore": ds.name,
        "path": full,
        "size_bytes": n,
        "size_human": human(n as i64),
        "encoding": null,
        "content": null,
        "saved_to": target.display().to_string(),
        "streamed": true,
    })))
}

/// The body in memory, refused past `max_mb` (before reading when the size is known).
async fn inline(
    mut resp: FolderResponse,
    ds: &Datastore,
    full: &str,
    max_mb: i64,
) -> Result<Output, ToolError> {
    let limit = u64::try_from(max_mb).unwrap_or(0) << 20;
    let too_big = |size: String| {
        ToolError::new(format!(
            "'{full}' is {size}, more than max_memory_mb={max_mb} allows in a reply: pass \
             save_to to stream it to a file on the server (inside {SETTING}), or raise \
             max_memory_mb"
        ))
    };
    if let Some(len) = resp.length
        && len > limit
    {
        return Err(too_big(human(len as i64)));
    }
    let mut body = Vec::new();
    while let Some(c) = resp.chunk().await.map_err(vs)? {
        if (body.len() + c.len()) as u64 > limit {
            return Err(too_big(format!("over {max_mb} MB")));
        }
        body.extend_from_slice(&c);
    }
    let (encoding, content) = match std::str::from_utf8(&body) {
        Ok(text) if !text.contains('\0') => ("utf-8", text.to_string()),
        _ => (
            "base64",
            base64::engine::general_purpose::STANDARD.encode(&body),
        ),
    };
    Ok(Output::Json(json!({
        "datastore": ds.name,
        "path": full,
        "size_bytes": body.len(),
        "size_human": human(body.len() as i64),
        "encoding": encoding,
        "content": content,
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{MAX_INLINE, decode_inline};

    #[test]
    fn inline_content_is_bounded_before_it_is_decoded() {
        assert_eq!(&decode_inline(" aGVsbG8= ").unwrap()[..], b"hello");
        let e = decode_inline("not base64!").unwrap_err().0;
        assert!(e.contains("not valid base64"), "{e}");
        // Just past the limit: refused on its length, never decoded.
        let big = "A".repeat((MAX_INLINE / 3 + 2) * 4);
        let e = decode_inline(&big).unwrap_err().0;
        assert!(e.contains("too large") && e.contains("local_path"), "{e}");
        let fits = "A".repeat(MAX_INLINE / 3 * 4);
        assert_eq!(decode_inline(&fits).unwrap().len(), MAX_INLINE / 3 * 3);
    }
}
