//! `CreateScreenshot_Task`: the VM's console (the picture `/screen` serves,
//! at its default size) saved as `<vm name>-<n>.png` in the VM's folder on
//! its datastore, recorded in the datastore file table; the task's result
//! is the file's datastore path. vSphere takes screenshots of running VMs
//! only.

use vim25::{Fault, MoRef, Value};

use super::files::vm_folder;
use super::model::power_state;
use crate::call::{Call, Reply, require};
use crate::datastore_files::{DsFile, FileKind};
use crate::mo::datastore::files_changed;
use crate::screen;
use crate::state::State;

pub(crate) fn create_screenshot(c: &Call) -> Reply {
    let vm = c.this().clone();
    c.task(c.this(), move |st: &mut State| save(st, &vm))
}

fn save(st: &mut State, vm: &MoRef) -> Reply {
    require(st, vm)?;
    let power = power_state(st, vm);
    if power != "poweredOn" {
        return Err(Fault::invalid_power_state(None, &power));
    }
    let (w, h) = screen::DEFAULT_SIZE;
    let png = screen::png(&screen::console(st, vm), w, h).map_err(|e| {
        Fault::new(
            "SystemError",
            format!("cannot encode the screenshot: {e:?}"),
        )
    })?;
    let (ds, dir, _) = vm_folder(st, vm)
        .ok_or_else(|| Fault::invalid_state("The virtual machine has no folder on a datastore."))?;
    let name = st.objects.name(vm);
    // The first free number: earlier screenshots are kept.
    let path = (1..)
        .map(|n| format!("{dir}{name}-{n}.png"))
        .find(|p| !st.files.exists(&ds.value, p))
        .unwrap_or_default();
    let full = format!("[{}] {path}", st.objects.name(&ds));
    let size = i64::try_from(png.len()).unwrap_or(i64::MAX);
    st.files.create(
        &ds.value,
        &path,
        DsFile::fixed(FileKind::Other, size),
        &full,
    )?;
    files_changed(st, &ds)?;
    Ok(Some(Value::from(full)))
}
