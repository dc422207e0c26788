//! HttpNfcLease and the calls that open one: `ResourcePool.ImportVApp`
//! (the VM is created while the lease initializes; its disks are then
//! uploaded to the lease's URLs) and `VirtualMachine.ExportVm` (the VM's
//! disks offered for download). A lease is `initializing`, then `ready`
//! (with `info.deviceUrl`), then `done` (`HttpNfcLeaseComplete`) or `error`
//! (`HttpNfcLeaseAbort`, or a failed start). Which file a URL names is read
//! from the lease's entity every time (`nfc_door.rs`), so nothing about a
//! lease lives outside the model.

use std::sync::Arc;

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::ovf::export::disks;
use crate::ovf::{import_key, sha1};
use crate::state::{Shared, State};

/// The lease's state.
pub(crate) fn state(st: &State, lease: &MoRef) -> String {
    st.objects.str_prop(lease, "state").unwrap_or_default()
}

fn new_lease(st: &mut State) -> MoRef {
    let lease = MoRef::new("HttpNfcLease", &st.new_id("lease"));
    st.objects.insert(
        lease.clone(),
        Data::new("HttpNfcLease")
            .with("initializeProgress", 0)
            .with("transferProgress", 0)
            .with("mode", "pushOrGet")
            .with(
                "capabilities",
                Data::new("HttpNfcLeaseCapabilities")
                    .with("pullModeSupported", false)
                    .with("corsSupported", false),
            )
            .with("state", "initializing"),
    );
    lease
}

/// The lease's `info` once its VM exists: one URL per disk on the
/// simulator's own address (vCenter writes `https://*/nfc/…`, `*` for the
/// host the client reached; a full address serves clients either way).
/// `entity_name` is set for an import, whose `importKey`s name the
/// `fileItem.deviceId`s of `CreateImportSpec`.
fn ready(
    st: &mut State,
    lease: &MoRef,
    vm: &MoRef,
    entity_name: Option<&str>,
) -> Result<(), Fault> {
    let base = st.guests.base_url.clone();
    let mut urls = vec![];
    let mut total_kb = 0;
    let devs = crate::mo::virtual_machine::model::devices(st, vm);
    for d in disks(st, vm) {
        total_kb += d.capacity / 1024;
        let import = entity_name
            .map(|n| {
                let (ctype, bus) = devs
                    .by_key(d.controller_key)
                    .map(|c| {
                        (
                            c.type_name.as_str(),
                            c.get("busNumber").and_then(Value::as_i64).unwrap_or(0),
                        )
                    })
                    .unwrap_or(("VirtualController", 0));
                import_key(n, ctype, bus, d.unit)
            })
            .unwrap_or_default();
        let ds_key = d
            .file
            .as_ref()
            .map(|(ds, p)| crate::mo::datastore::ds_path(&st.objects.name(ds), p))
            .unwrap_or_default();
        urls.push(Value::data(
            Data::new("HttpNfcLeaseDeviceUrl")
                .with("key", d.key.as_str())
                .with("importKey", import)
                .with("url", format!("{base}/nfc/{}/{}", lease.value, d.target))
                .with("sslThumbprint", "")
                .with("disk", true)
                .with("targetId", d.target.as_str())
                .with("datastoreKey", ds_key)
                .with("fileSize", d.capacity),
        ));
    }
    let info = Data::new("HttpNfcLeaseInfo")
        .with("lease", lease)
        .with("entity", vm)
        .with("deviceUrl", Value::array(urls))
        .with("totalDiskCapacityInKB", total_kb)
        .with("leaseTimeout", 300);
    st.objects.set(lease, "info", Value::data(info))?;
    st.objects
        .set(lease, "initializeProgress", Value::from(100))?;
    st.objects.set(lease, "state", Value::from("ready"))
}

/// Puts a lease in `error` with `fault` (outside any failed change).
pub(crate) fn fail(shared: &Shared, lease: &MoRef, fault: &Fault) {
    let r = shared.try_mutate(|st| {
        require(st, lease)?;
        st.objects.set(lease, "state", Value::from("error"))?;
        let f = fault
            .to_localized()
            .get("fault")
            .cloned()
            .unwrap_or_else(|| Value::data(Data::new("SystemError")));
        st.objects.set(lease, "error", f)
    });
    if let Err(f) = r {
        tracing::warn!(lease = %lease, fault = %f, "a lease could not be put in error");
    }
}

/// Runs `start` after the reply: the lease is seen `initializing` first.
fn initialize(
    shared: Arc<Shared>,
    lease: MoRef,
    start: impl FnOnce(&mut State) -> Result<(), Fault> + Send + 'static,
) {
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        // An abort while initializing wins: nothing is made afterwards.
        let r = shared.try_mutate(|st| {
            if !st.objects.contains(&lease) || state(st, &lease) != "initializing" {
                return Ok(());
            }
            start(st)
        });
        if let Err(f) = r {
            fail(&shared, &lease, &f);
        }
    });
}

/// `ResourcePool.ImportVApp` with a `VirtualMachineImportSpec`.
pub(crate) fn import_vapp(c: &Call) -> Reply {
    let spec = c.data("spec")?;
    if spec.type_name.as_str() != "VirtualMachineImportSpec" {
        return Err(Fault::new(
            "NotSupported",
            format!(
                "Importing a {} is not supported: only a VirtualMachineImportSpec (one VM).",
                spec.type_name.as_str()
            ),
        ));
    }
    let config = spec
        .get("configSpec")
        .and_then(Value::as_data)
        .cloned()
        .ok_or_else(|| Fault::invalid_argument("spec.configSpec"))?;
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fault::invalid_argument("spec.configSpec.name"))?
        .to_string();
    let pool = c.this().clone();
    let host = c.opt_moref("host")?;
    let folder = match c.opt_moref("folder")? {
        Some(f) => f,
        None => {
            let st = c.read();
            crate::events::datacenter_of(&st, &pool)
                .and_then(|dc| st.objects.ref_prop(&dc, "vmFolder"))
                .ok_or_else(|| Fault::invalid_argument("folder"))?
        }
    };
    {
        let st = c.read();
        require(&st, &folder)?;
        if let Some(h) = &host {
            require(&st, h)?;
        }
        if let Some(other) = st.objects.child_named(&folder, &name) {
            return Err(Fault::duplicate_name(&name, &other));
        }
    }
    let lease = c.shared.try_mutate(|st| Ok(new_lease(st)))?;
    let u = c.user().to_string();
    let l = lease.clone();
    initialize(c.shared.clone(), lease.clone(), move |st| {
        let vm = crate::mo::folder::create_in(st, &folder, &config, &pool, host, &u)?;
        ready(st, &l, &vm, Some(&name))
    });
    Ok(Some(Value::moref(lease)))
}

/// `VirtualMachine.ExportVm`: powered off (or suspended) VMs only, as vCenter.
pub(crate) fn export_vm(c: &Call) -> Reply {
    let vm = c.this().clone();
    {
        let st = c.read();
        require(&st, &vm)?;
        let cur = crate::mo::virtual_machine::model::power_state(&st, &vm);
        if cur == "poweredOn" {
            return Err(Fault::invalid_power_state(None, &cur));
        }
    }
    let lease = c.shared.try_mutate(|st| Ok(new_lease(st)))?;
    let l = lease.clone();
    initialize(c.shared.clone(), lease.clone(), move |st| {
        require(st, &vm)?;
        ready(st, &l, &vm, None)
    });
    Ok(Some(Value::moref(lease)))
}

fn require_ready(st: &State, lease: &MoRef) -> Result<(), Fault> {
    require(st, lease)?;
    match state(st, lease).as_str() {
        "ready" => Ok(()),
        s => Err(Fault::invalid_state(format!(
            "The lease {} is {s}, not ready.",
            lease.value
        ))),
    }
}

/// `HttpNfcLeaseProgress`: 0 to 100.
pub(crate) fn progress(c: &Call) -> Reply {
    let percent = c
        .value("percent")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fault::invalid_argument("percent"))?;
    if !(0..=100).contains(&percent) {
        return Err(Fault::invalid_argument("percent"));
    }
    let lease = c.this().clone();
    c.shared.try_mutate(|st| {
        require_ready(st, &lease)?;
        st.objects
            .set(&lease, "transferProgress", Value::from(percent))?;
        Ok(None)
    })
}

/// `HttpNfcLeaseComplete`: the transfer is over; the imported VM stays.
pub(crate) fn complete(c: &Call) -> Reply {
    let lease = c.this().clone();
    c.shared.try_mutate(|st| {
        require_ready(st, &lease)?;
        st.objects
            .set(&lease, "transferProgress", Value::from(100))?;
        st.objects.set(&lease, "state", Value::from("done"))?;
        Ok(None)
    })
}

/// `HttpNfcLeaseAbort`: the lease fails with the client's fault (or
/// "aborted"); an import's half-made VM is removed, as vCenter does.
pub(crate) fn abort(c: &Call) -> Reply {
    let lease = c.this().clone();
    let given = c.opt_data("fault")?.cloned();
    let u = c.user().to_string();
    c.shared.try_mutate(|st| {
        require(st, &lease)?;
        let s = state(st, &lease);
        if s == "done" || s == "error" {
            return Err(Fault::invalid_state(format!(
                "The lease {} is already {s}.",
                lease.value
            )));
        }
        let fault = given.unwrap_or_else(|| {
            Data::new("RequestCanceled").with(
                "faultMessage",
                vec![
                    Data::new("LocalizableMessage")
                        .with("key", "vcsim.lease.aborted")
                        .with("message", "The lease was aborted by the client."),
                ],
            )
        });
        let is_import = st
            .objects
            .prop(&lease, "info.deviceUrl")
            .map(|v| {
                v.as_array().iter().any(|u| {
                    u.path("importKey")
                        .and_then(Value::as_str)
                        .is_some_and(|k| !k.is_empty())
                })
            })
            .unwrap_or(false);
        if is_import
            && let Some(vm) = st.objects.ref_prop(&lease, "info.entity")
            && st.objects.contains(&vm)
        {
            crate::mo::virtual_machine::lifecycle::destroy_vm(st, &vm, &u)?;
        }
        st.objects.set(&lease, "error", Value::data(fault))?;
        st.objects.set(&lease, "state", Value::from("error"))?;
        Ok(None)
    })
}

/// `HttpNfcLeaseGetManifest`: each disk's SHA-1 and sizes, of what an
/// upload wrote or what a download serves.
pub(crate) fn get_manifest(c: &Call) -> Reply {
    let lease = c.this().clone();
    let st = c.read();
    require_ready(&st, &lease)?;
    let vm = st
        .objects
        .ref_prop(&lease, "info.entity")
        .ok_or_else(|| Fault::invalid_state("The lease has no entity."))?;
    let mut out = vec![];
    for d in disks(&st, &vm) {
        let bytes = crate::nfc_door::disk_bytes(&st, &d)
            .map_err(|e| Fault::new("SystemError", e.to_string()))?;
        let populated = d
            .file
            .as_ref()
            .and_then(|(ds, p)| st.files.get(&ds.value, p))
            .map(|f| f.size)
            .unwrap_or(0);
        out.push(Value::data(
            Data::new("HttpNfcLeaseManifestEntry")
                .with("key", d.key.as_str())
                .with("sha1", sha1::hex(&bytes))
                .with("checksum", sha1::hex(&bytes))
                .with("checksumType", "sha1")
                .with("size", bytes.len() as i64)
                .with("disk", true)
                .with("capacity", d.capacity)
                .with("populatedSize", populated),
        ));
    }
    Ok(Some(Value::array(out)))
}
