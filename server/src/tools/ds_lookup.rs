//! What the datastore file tools share: the datastore a call names, with
//! the datacenter its file methods and `/folder` door are scoped to; file
//! faults in the words of the paths involved; sizes for people.

use vim25::{MoRef, Value};

use super::Ctx;
use super::inventory::find_named;
use crate::error::{ToolError, VsError};
use crate::views;

/// A datastore as the file tools need it: its name, browser and the
/// datacenter the file methods and the `/folder` door are scoped to.
pub(super) struct Datastore {
    pub name: String,
    pub browser: Option<MoRef>,
    pub datacenter: MoRef,
    /// The datacenter's inventory path (`dcPath` of the `/folder` door).
    pub dc_path: String,
}

/// The datastore named `name`, or an error listing those that exist.
pub(super) async fn datastore(ctx: &Ctx, name: &str) -> Result<Datastore, ToolError> {
    let o = find_named(
        ctx,
        "Datastore",
        "Datastore",
        name,
        &views::datastore::BROWSER_PARENT,
    )
    .await?;
    let vs = |e: VsError| ToolError::vsphere(&e, None);
    // Up the parents to the datacenter, then its folders up to the root.
    let mut names = vec![];
    let mut datacenter = None;
    let mut next = o.moref("parent").cloned();
    while let Some(m) = next {
        let p = ctx
            .client
            .properties(&m, &views::datastore::PARENT)
            .await
            .map_err(vs)?;
        if datacenter.is_some() || m.kind == "Datacenter" {
            names.push(p.name().to_string());
            datacenter.get_or_insert(m);
        }
        next = p.moref("parent").cloned();
    }
    let datacenter = datacenter
        .ok_or_else(|| ToolError::new(format!("Datastore '{name}' is in no datacenter")))?;
    names.pop(); // the root folder is not part of the path
    names.reverse();
    Ok(Datastore {
        name: o.name().to_string(),
        browser: o.moref("browser").cloned(),
        datacenter,
        dc_path: names.join("/"),
    })
}

/// A file method's failure in the words of the paths involved.
pub(super) fn file_error(e: &VsError, path: &str) -> ToolError {
    let file = e
        .fault()
        .and_then(|f| f.detail.as_ref())
        .and_then(|d| d.get("file"))
        .and_then(Value::as_str)
        .unwrap_or(path)
        .to_string();
    let words = if e.is("FileNotFound") {
        format!("'{file}' not found")
    } else if e.is("FileAlreadyExists") {
        format!("'{file}' already exists")
    } else if e.is("CannotDeleteFile") || e.is("FileLocked") {
        format!("'{file}' is in use (a running VM's file?) and cannot be changed")
    } else if e.is("NoDiskSpace") {
        format!("not enough free space on the datastore for '{path}'")
    } else if e.is("InaccessibleDatastore") {
        format!("the datastore of '{path}' is not accessible now (no host can reach it)")
    } else if e.is("InvalidDatastorePath") || e.is("InvalidDatastore") {
        format!("'{path}' is not a valid datastore path: {e}")
    } else {
        return ToolError::vsphere(e, None);
    };
    ToolError::new(words)
}

/// Bytes in the largest unit that keeps the number at least 1.
pub(super) fn human(bytes: i64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}
