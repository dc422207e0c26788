//! resources, the datastore file half: browse_datastore,
//! create_datastore_folder, delete_datastore_file, copy_datastore_file,
//! move_datastore_file. Browsing is the datastore's `HostDatastoreBrowser`;
//! the changes are the `FileManager`'s methods, scoped to the datastore's
//! datacenter as vCenter wants them. Paths are relative to the datastore
//! the call names and checked by [`ds_path::check`] first.

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Request, Value};

use super::ds_lookup::{Datastore, datastore, file_error, human};
use super::ds_path::{self, ds_path};
use super::params::DATASTORE;
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;

tool_args! {
    pub struct BrowseArgs {
        datastore: name, DATASTORE;
        path: string = "", "Folder on the datastore to list, relative to its top (e.g. 'iso'); empty for the top.";
    }
}

tool_args! {
    pub struct DsPathArgs {
        datastore: name, DATASTORE;
        path: string, "Path on the datastore, relative to its top (e.g. 'iso/new'); no '[datastore]' prefix, no '..'.";
    }
}

tool_args! {
    pub struct CopyArgs {
        source_datastore: name, "Datastore the file or folder is on.";
        source_path: string, "Its path on that datastore (e.g. 'iso/linux.iso').";
        dest_datastore: opt_name, "Datastore to copy to; default: the source datastore.";
        dest_path: opt_string, "Path on the destination datastore; default: the source path.";
        force: bool = false, "Overwrite what is already at the destination.";
    }
}

tool_args! {
    pub struct MoveArgs {
        source_datastore: name, "Datastore the file or folder is on.";
        source_path: string, "Its path on that datastore (e.g. 'iso/linux.iso').";
        dest_datastore: opt_name, "Datastore to move to; default: the source datastore.";
        dest_path: opt_string, "Path on the destination datastore (a new name renames); default: the source path.";
    }
}

/// A folder for the examples to work in, made first.
const SCRATCH: &[(&str, &str)] = &[(
    "create_datastore_folder",
    r#"{"datastore":"LocalDS_0","path":"scratch"}"#,
)];
/// A small file to copy, move and delete in the examples.
const NOTE: &[(&str, &str)] = &[(
    "upload_to_datastore",
    r#"{"datastore":"LocalDS_0","remote_path":"scratch/note.txt","content_base64":"aGVsbG8K"}"#,
)];

pub const BROWSE_DATASTORE: ToolDef = ToolDef {
    name: "browse_datastore",
    title: "Browse datastore",
    description: "List the files and folders in one folder of a datastore (the top when path \
        is empty): name, type (folder, file, vm_disk, iso_image, vm_config, vm_log, ...), \
        size_bytes, size_human, modified and path (the '[datastore] path' form), folders first.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args(r#"{"datastore":"LocalDS_0"}"#),
    failure: Failure::Args {
        args: r#"{"datastore":"LocalDS_0","path":"no-such-folder"}"#,
        expect: &["'[LocalDS_0] no-such-folder' not found"],
    },
    run: run!(browse_datastore, BrowseArgs),
};

pub const CREATE_DATASTORE_FOLDER: ToolDef = ToolDef {
    name: "create_datastore_folder",
    title: "Create datastore folder",
    description: "Create a folder on a datastore, with any missing parent folders. A folder \
        that already exists is left as it is. Returns a confirmation sentence.",
    hints: Hints::change(false, Some(true)),
    returns: Returns::Text,
    example: Example::args(r#"{"datastore":"LocalDS_0","path":"iso/linux"}"#),
    failure: Failure::Args {
        args: r#"{"datastore":"LocalDS_0","path":"../escape"}"#,
        expect: &["'..' is not allowed"],
    },
    run: run!(create_datastore_folder, DsPathArgs),
};

pub const DELETE_DATASTORE_FILE: ToolDef = ToolDef {
    name: "delete_datastore_file",
    title: "Delete datastore file",
    description: "Delete a file, or a folder with everything in it, from a datastore. A \
        running VM's files cannot be deleted. Returns a confirmation sentence.",
    hints: Hints::change(true, Some(true)),
    returns: Returns::Text,
    example: Example {
        setup: &[SCRATCH[0], NOTE[0]],
        args: r#"{"datastore":"LocalDS_0","path":"scratch/note.txt"}"#,
    },
    failure: Failure::Args {
        args: r#"{"datastore":"LocalDS_0","path":"no-such-file.txt"}"#,
        expect: &["'[LocalDS_0] no-such-file.txt' not found"],
    },
    run: run!(delete_datastore_file, DsPathArgs),
};

pub const COPY_DATASTORE_FILE: ToolDef = ToolDef {
    name: "copy_datastore_file",
    title: "Copy datastore file",
    description: "Copy a file or folder on a datastore or to another datastore (dest_datastore; \
        default the same), to dest_path (default the same path). Fails if something is \
        already there unless force. Returns action, source, destination and force.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[SCRATCH[0], NOTE[0]],
        args: r#"{"source_datastore":"LocalDS_0","source_path":"scratch/note.txt","dest_path":"scratch/copy.txt"}"#,
    },
    failure: Failure::Args {
        args: r#"{"source_datastore":"LocalDS_0","source_path":"no-such-file.txt","dest_path":"x.txt"}"#,
        expect: &["'[LocalDS_0] no-such-file.txt' not found"],
    },
    run: run!(copy_datastore_file, CopyArgs),
};

pub const MOVE_DATASTORE_FILE: ToolDef = ToolDef {
    name: "move_datastore_file",
    title: "Move datastore file",
    description: "Move or rename a file or folder on a datastore or to another datastore \
        (dest_datastore; default the same), to dest_path (default the same path). Fails if \
        something is already there. Returns action, source and destination.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[SCRATCH[0], NOTE[0]],
        args: r#"{"source_datastore":"LocalDS_0","source_path":"scratch/note.txt","dest_path":"scratch/renamed.txt"}"#,
    },
    failure: Failure::Args {
        args: r#"{"source_datastore":"LocalDS_0","source_path":"[LocalDS_0] x.vmx","dest_path":"x.txt"}"#,
        expect: &["no '[datastore]' prefix"],
    },
    run: run!(move_datastore_file, MoveArgs),
};

async fn file_manager(ctx: &Ctx) -> Result<MoRef, ToolError> {
    ctx.client
        .content()
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?
        .file_manager
        .ok_or_else(|| ToolError::new("This endpoint has no FileManager"))
}

/// `FolderFileInfo` → `folder`, `VmDiskFileInfo` → `vm_disk`, `FileInfo` → `file`.
fn file_type(type_name: &str) -> String {
    let stem = type_name.strip_suffix("FileInfo").unwrap_or(type_name);
    if stem.is_empty() {
        return "file".into();
    }
    let mut out = String::new();
    for (i, c) in stem.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

async fn browse_datastore(ctx: Ctx, args: BrowseArgs) -> Result<Output, ToolError> {
    let path = ds_path::check("path", &args.path, true)?;
    let ds = datastore(&ctx, &args.datastore).await?;
    let browser = ds
        .browser
        .ok_or_else(|| ToolError::new(format!("Datastore '{}' has no browser", ds.name)))?;
    list_folder(&ctx, &browser, &ds.name, &path)
        .await
        .map(Output::Json)
}

/// The files and folders in `path` (checked) of datastore `ds_name`,
/// through its `browser`: what browse_datastore and the
/// `datastore://{datastore_name}` resource show.
pub(crate) async fn list_folder(
    ctx: &Ctx,
    browser: &MoRef,
    ds_name: &str,
    path: &str,
) -> Result<Json, ToolError> {
    let folder = ds_path(ds_name, path);
    let spec = Data::new("HostDatastoreBrowserSearchSpec")
        .with(
            "details",
            Data::new("FileQueryFlags")
                .with("fileType", true)
                .with("fileSize", true)
                .with("modification", true)
                .with("fileOwner", false),
        )
        .with("sortFoldersFirst", true);
    let req = Request::new("SearchDatastore_Task", browser)
        .arg("datastorePath", folder.as_str())
        .arg("searchSpec", spec);
    let result = ctx
        .client
        .run_task(&req)
        .await
        .map_err(|e| file_error(&e, &folder))?;
    let files = result
        .as_ref()
        .and_then(|r| r.path("file"))
        .map(|f| f.as_array().to_vec())
        .unwrap_or_default();
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    Ok(Json::Array(
        files
            .iter()
            .filter_map(Value::as_data)
            .map(|f| {
                let name = f.get("path").and_then(Value::as_str).unwrap_or_default();
                let size = f.get("fileSize").and_then(Value::as_i64);
                json!({
                    "name": name,
                    "type": file_type(&f.type_name),
                    "size_bytes": size,
                    "size_human": size.map(human),
                    "modified": f.get("modification").and_then(Value::as_str),
                    "path": ds_path(ds_name, &format!("{prefix}{name}")),
                })
            })
            .collect(),
    ))
}

async fn create_datastore_folder(ctx: Ctx, args: DsPathArgs) -> Result<Output, ToolError> {
    let path = ds_path::check("path", &args.path, false)?;
    let ds = datastore(&ctx, &args.datastore).await?;
    let full = ds_path(&ds.name, &path);
    let req = Request::new("MakeDirectory", &file_manager(&ctx).await?)
        .arg("name", full.as_str())
        .arg("datacenter", &ds.datacenter)
        .arg("createParentDirectories", true);
    match ctx.client.invoke(&req).await {
        Ok(_) => Ok(Output::Text(format!("Created folder '{full}'"))),
        Err(e) if e.is("FileAlreadyExists") => {
            Ok(Output::Text(format!("Folder '{full}' already exists")))
        }
        Err(e) => Err(file_error(&e, &full)),
    }
}

async fn delete_datastore_file(ctx: Ctx, args: DsPathArgs) -> Result<Output, ToolError> {
    let path = ds_path::check("path", &args.path, false)?;
    let ds = datastore(&ctx, &args.datastore).await?;
    let full = ds_path(&ds.name, &path);
    let req = Request::new("DeleteDatastoreFile_Task", &file_manager(&ctx).await?)
        .arg("name", full.as_str())
        .arg("datacenter", &ds.datacenter);
    ctx.client
        .run_task(&req)
        .await
        .map_err(|e| file_error(&e, &full))?;
    Ok(Output::Text(format!("Deleted '{full}'")))
}

/// Source and destination of a copy or move, checked and resolved.
struct Transfer {
    source: (Datastore, String),
    dest: (Datastore, String),
}

async fn transfer(
    ctx: &Ctx,
    source_ds: &str,
    source_path: &str,
    dest_ds: Option<&str>,
    dest_path: Option<&str>,
) -> Result<Transfer, ToolError> {
    let src = ds_path::check("source_path", source_path, false)?;
    let dst = match dest_path {
        Some(p) => ds_path::check("dest_path", p, false)?,
        None => src.clone(),
    };
    if dest_ds.is_none_or(|d| d == source_ds) && dst == src {
        return Err(ToolError::new(
            "give dest_datastore or dest_path: the destination is the source itself",
        ));
    }
    let source = datastore(ctx, source_ds).await?;
    let dest = match dest_ds {
        Some(d) if d != source_ds => datastore(ctx, d).await?,
        _ => datastore(ctx, source_ds).await?,
    };
    Ok(Transfer {
        source: (source, src),
        dest: (dest, dst),
    })
}

async fn copy_or_move(
    ctx: &Ctx,
    method: &str,
    t: &Transfer,
    force: bool,
) -> Result<(String, String), ToolError> {
    let from = ds_path(&t.source.0.name, &t.source.1);
    let to = ds_path(&t.dest.0.name, &t.dest.1);
    let req = Request::new(method, &file_manager(ctx).await?)
        .arg("sourceName", from.as_str())
        .arg("sourceDatacenter", &t.source.0.datacenter)
        .arg("destinationName", to.as_str())
        .arg("destinationDatacenter", &t.dest.0.datacenter)
        .arg("force", force);
    match ctx.client.run_task(&req).await {
        Ok(_) => Ok((from, to)),
        Err(e) if e.is("FileAlreadyExists") && method.starts_with("Copy") => Err(ToolError::new(
            format!("'{to}' already exists; pass force=true to overwrite it"),
        )),
        Err(e) if e.is("FileAlreadyExists") => Err(ToolError::new(format!(
            "'{to}' already exists; delete it first or choose another dest_path"
        ))),
        Err(e) => Err(file_error(&e, &from)),
    }
}

async fn copy_datastore_file(ctx: Ctx, a: CopyArgs) -> Result<Output, ToolError> {
    let (sd, dd) = (a.source_datastore.as_str(), a.dest_datastore.as_deref());
    let t = transfer(&ctx, sd, &a.source_path, dd, a.dest_path.as_deref()).await?;
    let (from, to) = copy_or_move(&ctx, "CopyDatastoreFile_Task", &t, a.force).await?;
    Ok(Output::Json(json!({
        "action": "copied",
        "source": from,
        "destination": to,
        "force": a.force,
    })))
}

async fn move_datastore_file(ctx: Ctx, a: MoveArgs) -> Result<Output, ToolError> {
    let (sd, dd) = (a.source_datastore.as_str(), a.dest_datastore.as_deref());
    let t = transfer(&ctx, sd, &a.source_path, dd, a.dest_path.as_deref()).await?;
    let (from, to) = copy_or_move(&ctx, "MoveDatastoreFile_Task", &t, false).await?;
    Ok(Output::Json(json!({
        "action": "moved",
        "source": from,
        "destination": to,
    })))
}

#[cfg(test)]
mod tests {
    use super::file_type;
    use crate::tools::ds_lookup::human;

    #[test]
    fn file_types_and_sizes_read_as_words() {
        assert_eq!(file_type("FolderFileInfo"), "folder");
        assert_eq!(file_type("VmDiskFileInfo"), "vm_disk");
        assert_eq!(file_type("IsoImageFileInfo"), "iso_image");
        assert_eq!(file_type("FileInfo"), "file");
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KB");
        assert_eq!(human(3 << 30), "3.0 GB");
    }
}
