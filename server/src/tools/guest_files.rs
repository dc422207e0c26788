//! The guest_ops file tools: directories through GuestFileManager's calls,
//! file contents through the one-time transfer URLs it hands out (an HTTP
//! GET or PUT to the ESXi host, `vsphere/transfer.rs`). Contents are
//! bounded both ways so one call cannot pull or push a disk image through
//! an MCP message.

use base64::Engine;
use serde_json::{Value as Json, json};
use vim25::{Data, Value};

use super::guest::{Guest, Manager};
use super::params::{GUEST_PASSWORD, GUEST_USER, VM_NAME};
use super::typed::tool_args;
use super::{Ctx, Output};
use crate::error::ToolError;
use crate::vsphere::TransferError;

/// The most bytes read_guest_file reads and write_guest_file writes.
pub(super) const CONTENT_LIMIT: u64 = 4 * 1024 * 1024;
/// The most entries list_guest_directory returns.
const MAX_ENTRIES: usize = 10_000;
/// Entries asked for per ListFilesInGuest call.
const PAGE: i64 = 500;

const GUEST_PATH: &str =
    "Absolute path inside the guest (e.g. /tmp/report.txt or C:\\Temp\\report.txt).";

tool_args! {
    pub struct PathArgs {
        name: name, VM_NAME;
        username: string, GUEST_USER;
        password: string, GUEST_PASSWORD;
        guest_path: string, GUEST_PATH;
    }
}

tool_args! {
    pub struct CreateDirArgs {
        name: name, VM_NAME;
        username: string, GUEST_USER;
        password: string, GUEST_PASSWORD;
        guest_path: string, GUEST_PATH;
        create_parents: bool = true, "Also create missing parent directories (an existing directory is then not an error).";
    }
}

tool_args! {
    pub struct WriteArgs {
        name: name, VM_NAME;
        username: string, GUEST_USER;
        password: string, GUEST_PASSWORD;
        guest_path: string, GUEST_PATH;
        content: string, "The file's new content (text, written as UTF-8; at most 4 MiB).";
        overwrite: bool = true, "Replace the file if it exists; false refuses to.";
    }
}

fn require_path(path: &str) -> Result<(), ToolError> {
    if path.trim().is_empty() {
        return Err(ToolError::new(
            "guest_path is empty; give an absolute path in the guest",
        ));
    }
    Ok(())
}

fn mib(limit: u64) -> u64 {
    limit / (1024 * 1024)
}

pub(super) async fn create_guest_directory(
    ctx: Ctx,
    args: CreateDirArgs,
) -> Result<Output, ToolError> {
    require_path(&args.guest_path)?;
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let req = guest
        .request(Manager::Files, "MakeDirectoryInGuest")?
        .arg("directoryPath", args.guest_path.as_str())
        .arg("createParentDirectories", args.create_parents);
    let path = args.guest_path.as_str();
    match ctx.client.invoke(&req).await {
        Ok(_) => Ok(Output::Text(format!(
            "Created directory {path} {}",
            guest.where_()
        ))),
        // mkdir -p: a directory that is already there is what was asked for.
        Err(e) if e.is("FileAlreadyExists") && args.create_parents => {
            match entry(&ctx, &guest, path).await?.as_deref() {
                Some("directory") => Ok(Output::Text(format!(
                    "Directory {path} already exists {}",
                    guest.where_()
                ))),
                _ => Err(guest.explain(&e, Some(path))),
            }
        }
        Err(e) if e.is("FileNotFound") && !args.create_parents => {
            let why = guest.explain(&e, Some(path));
            Err(ToolError::new(format!(
                "{why}; set create_parents to true to create missing parent directories"
            )))
        }
        Err(e) => Err(guest.explain(&e, Some(path))),
    }
}

/// The type (file, directory, symlink) of the entry at `path`, if any: its
/// parent's listing filtered to its name (listing a directory itself would
/// show what it holds instead).
async fn entry(ctx: &Ctx, guest: &Guest, path: &str) -> Result<Option<String>, ToolError> {
    let trimmed = path.trim_end_matches(['/', '\\']);
    let Some(cut) = trimmed.rfind(['/', '\\']) else {
        return Ok(None);
    };
    let (parent, name) = (&trimmed[..=cut], &trimmed[cut + 1..]);
    let req = guest
        .request(Manager::Files, "ListFilesInGuest")?
        .arg("filePath", parent)
        .arg("matchPattern", format!("^{}$", regex_escape(name)));
    let Ok(answer) = ctx.client.invoke(&req).await else {
        return Ok(None);
    };
    let files = answer
        .as_ref()
        .and_then(|v| v.path("files"))
        .map(Value::as_array)
        .unwrap_or_default();
    Ok(files
        .iter()
        .filter_map(Value::as_data)
        .find(|f| f.get("path").and_then(Value::as_str) == Some(name))
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// `s` as a regular expression that matches only itself (the guest's
/// matchPattern is a Perl-style regex; a backslash before any character
/// that is not a letter or digit makes it literal).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() && c.is_ascii() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) async fn delete_guest_file(ctx: Ctx, args: PathArgs) -> Result<Output, ToolError> {
    require_path(&args.guest_path)?;
    let path = args.guest_path.as_str();
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let req = guest
        .request(Manager::Files, "DeleteFileInGuest")?
        .arg("filePath", path);
    match ctx.client.invoke(&req).await {
        Ok(_) => Ok(Output::Text(format!(
            "Deleted file {path} {}",
            guest.where_()
        ))),
        Err(e) if e.is("NotAFile") => {
            let req = guest
                .request(Manager::Files, "DeleteDirectoryInGuest")?
                .arg("directoryPath", path)
                .arg("recursive", false);
            guest.call(&ctx, &req, Some(path)).await?;
            Ok(Output::Text(format!(
                "Deleted directory {path} {}",
                guest.where_()
            )))
        }
        Err(e) => Err(guest.explain(&e, Some(path))),
    }
}

/// One `GuestFileInfo` as the contract's object.
fn file_json(f: &Data) -> Json {
    let attr = f.get("attributes").and_then(Value::as_data);
    let a = |k: &str| attr.and_then(|a| a.get(k));
    json!({
        "name": f.get("path").and_then(Value::as_str),
        "size": f.get("size").and_then(Value::as_i64),
        "type": f.get("type").and_then(Value::as_str),
        "owner": a("ownerId").and_then(Value::as_i64),
        "modified": a("modificationTime").and_then(Value::as_str),
    })
}

pub(super) async fn list_guest_directory(ctx: Ctx, args: PathArgs) -> Result<Output, ToolError> {
    require_path(&args.guest_path)?;
    let path = args.guest_path.as_str();
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let mut out = Vec::new();
    loop {
        let req = guest
            .request(Manager::Files, "ListFilesInGuest")?
            .arg("filePath", path)
            .arg("index", out.len() as i64)
            .arg("maxResults", PAGE);
        let answer = guest.call(&ctx, &req, Some(path)).await?;
        let files = answer
            .as_ref()
            .and_then(|v| v.path("files"))
            .map(Value::as_array)
            .unwrap_or_default();
        let before = out.len();
        out.extend(files.iter().filter_map(Value::as_data).map(file_json));
        let remaining = answer
            .as_ref()
            .and_then(|v| v.path("remaining"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        // A guest that says more remain but sends none would loop forever.
        if remaining <= 0 || out.len() == before || out.len() >= MAX_ENTRIES {
            break;
        }
    }
    out.truncate(MAX_ENTRIES);
    Ok(Output::Json(Json::Array(out)))
}

pub(super) async fn read_guest_file(ctx: Ctx, args: PathArgs) -> Result<Output, ToolError> {
    require_path(&args.guest_path)?;
    let path = args.guest_path.as_str();
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let req = guest
        .request(Manager::Files, "InitiateFileTransferFromGuest")?
        .arg("guestFilePath", path);
    let info = guest.call(&ctx, &req, Some(path)).await?;
    let size = info
        .as_ref()
        .and_then(|v| v.path("size"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if size.unsigned_abs() > CONTENT_LIMIT {
        return Err(too_large(&guest, path, Some(size)));
    }
    let url = info
        .as_ref()
        .and_then(|v| v.path("url"))
        .and_then(Value::as_str)
        .ok_or_else(|| ToolError::new("vCenter returned no transfer URL for the guest file"))?;
    let bytes = ctx
        .client
        .transfer_get(url, CONTENT_LIMIT)
        .await
        .map_err(|e| transfer_error(&guest, path, e))?;
    let (content, encoding) = match std::str::from_utf8(&bytes) {
        Ok(text) if !text.contains('\0') => (text.to_string(), "utf-8"),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(&bytes),
            "base64",
        ),
    };
    Ok(Output::Json(json!({
        "path": path,
        "size": bytes.len(),
        "content": content,
        "encoding": encoding,
    })))
}

fn too_large(guest: &Guest, path: &str, size: Option<i64>) -> ToolError {
    let size = size.map(|s| format!(" is {s} bytes;")).unwrap_or_default();
    ToolError::new(format!(
        "'{path}' {}{size} read_guest_file and write_guest_file handle at most {} MiB \
         ({CONTENT_LIMIT} bytes)",
        guest.where_(),
        mib(CONTENT_LIMIT)
    ))
}

fn transfer_error(guest: &Guest, path: &str, e: TransferError) -> ToolError {
    match e {
        TransferError::TooLarge(_) => too_large(guest, path, None),
        TransferError::Failed(e) => {
            ToolError::new(format!("moving '{path}' {} failed: {e}", guest.where_()))
        }
    }
}

pub(super) async fn write_guest_file(ctx: Ctx, args: WriteArgs) -> Result<Output, ToolError> {
    require_path(&args.guest_path)?;
    let path = args.guest_path.as_str();
    let bytes = args.content.into_bytes();
    if bytes.len() as u64 > CONTENT_LIMIT {
        return Err(ToolError::new(format!(
            "content is {} bytes; write_guest_file writes at most {} MiB ({CONTENT_LIMIT} bytes)",
            bytes.len(),
            mib(CONTENT_LIMIT)
        )));
    }
    let guest = Guest::open(&ctx, &args.name, &args.username, &args.password).await?;
    let req = guest
        .request(Manager::Files, "InitiateFileTransferToGuest")?
        .arg("guestFilePath", path)
        .arg(
            "fileAttributes",
            Value::data(Data::new("GuestFileAttributes")),
        )
        .arg("fileSize", bytes.len() as i64)
        .arg("overwrite", args.overwrite);
    let url = match ctx.client.invoke(&req).await {
        Ok(v) => v
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ToolError::new("vCenter returned no transfer URL for the guest file"))?,
        Err(e) if e.is("FileAlreadyExists") && !args.overwrite => {
            let why = guest.explain(&e, Some(path));
            return Err(ToolError::new(format!(
                "{why}; set overwrite to true to replace it"
            )));
        }
        Err(e) => return Err(guest.explain(&e, Some(path))),
    };
    let n = bytes.len();
    ctx.client
        .transfer_put(&url, bytes)
        .await
        .map_err(|e| transfer_error(&guest, path, e))?;
    Ok(Output::Text(format!(
        "Wrote {n} bytes to {path} {}",
        guest.where_()
    )))
}

#[cfg(test)]
mod tests {
    use super::regex_escape;

    #[test]
    fn a_name_becomes_a_literal_pattern() {
        assert_eq!(regex_escape("a.b"), "a\\.b");
        assert_eq!(regex_escape("x(1)+[y]"), "x\\(1\\)\\+\\[y\\]");
        assert_eq!(regex_escape("plain9"), "plain9");
        assert_eq!(regex_escape("ünï"), "ünï");
    }
}
