//! Datastores: their space derived from the file table
//! (`datastore_files.rs`), the files a freshly built datastore holds, and
//! datastore paths (`[ds] dir/file`) resolved to the datastore they name.

use vim25::{Fault, MoRef, Value};

use crate::datastore_files::{DsFile, FileKind, split_path};
use crate::state::State;

/// ISO images every built datastore holds, so a CD/DVD drive can be given
/// one on the default inventory (an ISO that does not exist is refused).
pub(crate) const SEEDED_ISOS: &[(&str, i64)] = &[
    ("iso/ubuntu.iso", 2 << 30),
    ("iso/a.iso", 64 << 20),
    ("iso/b.iso", 64 << 20),
];

/// The file that stands for what a datastore held before the simulator
/// started (the fixture's `capacity_gb - free_gb`), so the fixture's free
/// space stays what it says while every byte used is still a file.
pub(crate) const PREEXISTING: &str = ".sdd.sf/preexisting.dat";

/// Seeds a built datastore with the ISOs and the space already in use.
pub(crate) fn seed(st: &mut State, ds: &MoRef, used_before: i64) -> Result<(), Fault> {
    let mut isos = 0;
    for (path, size) in SEEDED_ISOS {
        st.files
            .set(&ds.value, path, DsFile::fixed(FileKind::Iso, *size));
        isos += size;
    }
    let rest = (used_before - isos).max(0);
    st.files
        .set(&ds.value, PREEXISTING, DsFile::fixed(FileKind::Other, rest));
    refresh(st, ds)
}

/// The datastore named `name`.
pub(crate) fn by_name(st: &State, name: &str) -> Option<MoRef> {
    st.objects
        .of_kind("Datastore")
        .into_iter()
        .find(|d| st.objects.name(d) == name)
}

/// `"[ds] dir/file"` → the datastore and the path inside it.
pub(crate) fn resolve(st: &State, path: &str) -> Option<(MoRef, String)> {
    resolve_near(st, path, &[])
}

/// As [`resolve`], trying `near` (the datastores a VM or backing names)
/// before the whole inventory: a lookup by name scans every object, which
/// a 10,000-VM build must not do once per file.
pub(crate) fn resolve_near(st: &State, path: &str, near: &[MoRef]) -> Option<(MoRef, String)> {
    let (name, rest) = split_path(path)?;
    let ds = near
        .iter()
        .find(|d| st.objects.contains(d) && st.objects.name(d) == name)
        .cloned()
        .or_else(|| by_name(st, name))?;
    Some((ds, rest.to_string()))
}

/// `summary.freeSpace` (capacity minus what the files hold, never below
/// zero), `summary.uncommitted` (what thin files may still take) and
/// `info.freeSpace`, from the file table. Run at commit for every datastore
/// a change touched, and by [`files_changed`].
pub(crate) fn refresh(st: &mut State, ds: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(ds) {
        return Ok(());
    }
    let cap = st
        .objects
        .prop(ds, "summary.capacity")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let u = st.files.usage(&ds.value);
    let free = (cap - u.used).max(0);
    for (path, v) in [
        ("summary.freeSpace", free),
        ("summary.uncommitted", u.uncommitted),
        ("info.freeSpace", free),
    ] {
        if st.objects.prop(ds, path).and_then(Value::as_i64) != Some(v) {
            st.objects.set(ds, path, Value::Int(v))?;
        }
    }
    Ok(())
}

/// Call after changing `ds`'s files: brings its space up to date now, which
/// also marks it touched so the commit derives it again.
pub(crate) fn files_changed(st: &mut State, ds: &MoRef) -> Result<(), Fault> {
    refresh(st, ds)
}

/// A datastore path's parts, checked: `"[ds] a/b/"` → `("ds", "a/b")`. The
/// path inside is relative with no `.`/`..` or empty elements (leading and
/// trailing `/` are dropped), else `InvalidDatastorePath`.
pub(crate) fn parse_path(path: &str) -> Result<(String, String), Fault> {
    let bad = || {
        Fault::new(
            "InvalidDatastorePath",
            format!(
                "Invalid datastore path '{path}': expected '[datastore] folder/file' with no '.' or '..' elements"
            ),
        )
        .with("datastorePath", path)
    };
    let (name, rest) = split_path(path).ok_or_else(bad)?;
    if name.is_empty() || rest.contains('\\') || rest.contains('\0') {
        return Err(bad());
    }
    let rest = rest.trim_matches('/');
    let mut parts = vec![];
    for p in rest.split('/') {
        match p {
            "" if rest.is_empty() => {}
            "" | "." | ".." => return Err(bad()),
            p => parts.push(p),
        }
    }
    Ok((name.to_string(), parts.join("/")))
}

/// `[ds] rel` as vSphere writes it (`[ds]` alone for the root).
pub(crate) fn ds_path(name: &str, rel: &str) -> String {
    if rel.is_empty() {
        format!("[{name}]")
    } else {
        format!("[{name}] {rel}")
    }
}

/// `InvalidDatastore` for a name none of `valid` has, listing the valid ones.
pub(crate) fn invalid_datastore(st: &State, name: &str, valid: &[MoRef]) -> Fault {
    let names: Vec<String> = valid.iter().map(|d| st.objects.name(d)).collect();
    Fault::new(
        "InvalidDatastore",
        format!(
            "Invalid datastore '{name}'; the datastores here are: {}",
            names.join(", ")
        ),
    )
    .with("name", name)
}

/// `InaccessibleDatastore` unless `ds` is accessible (a fixture may start
/// one inaccessible): its files can be neither listed nor changed.
pub(crate) fn require_accessible(st: &State, ds: &MoRef) -> Result<(), Fault> {
    if st
        .objects
        .prop(ds, "summary.accessible")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        return Ok(());
    }
    let name = st.objects.name(ds);
    Err(Fault::new(
        "InaccessibleDatastore",
        format!("The datastore '{name}' is not accessible"),
    )
    .with("datastore", ds)
    .with("name", name.as_str())
    .with("detail", "not accessible from any host"))
}
