//! OVF in vSphere's terms: a parsed descriptor ([`vim25::ovf::Envelope`])
//! turned into the `VirtualMachineConfigSpec` an import creates (networks
//! mapped, disks provisioned as asked), and a VM turned back into a
//! descriptor (`export.rs`). Also the disk stream format NFC carries
//! (`vmdk.rs`) and the SHA-1 the lease manifest reports (`sha1.rs`).

pub(crate) mod export;
pub(crate) mod sha1;
pub(crate) mod vmdk;

use vim25::ovf::{Envelope, Item, resource};
use vim25::{Data, MoRef, Value};

use crate::state::State;

/// A problem as `OvfCreateImportSpecResult` lists them: a `MethodFault`
/// subtype whose `faultMessage` says what is wrong.
pub(crate) fn problem(kind: &str, message: &str) -> Value {
    Value::data(Data::new(kind).with(
        "faultMessage",
        vec![
            Data::new("LocalizableMessage")
                .with("key", format!("com.vmware.ovf.{kind}"))
                .with("message", message),
        ],
    ))
}

/// The id an import's disk goes by in `fileItem.deviceId` and the lease's
/// `deviceUrl.importKey`: `/<entity>/<controller><bus>:<unit>`.
pub(crate) fn import_key(entity: &str, controller: &str, bus: i64, unit: i64) -> String {
    format!("/{entity}/{controller}{bus}:{unit}")
}

/// vSphere's controller type for an OVF SCSI `ResourceSubType`.
fn scsi_type(sub: &str) -> &'static str {
    match sub.to_ascii_lowercase().as_str() {
        "vmware.pvscsi" | "pvscsi" | "virtualscsi" => "ParaVirtualSCSIController",
        "lsilogicsas" => "VirtualLsiLogicSASController",
        "buslogic" => "VirtualBusLogicController",
        _ => "VirtualLsiLogicController",
    }
}

fn nic_type(sub: &str) -> &'static str {
    match sub.to_ascii_lowercase().as_str() {
        "vmxnet3" => "VirtualVmxnet3",
        "e1000e" => "VirtualE1000e",
        "vmxnet2" | "vmxnet" => "VirtualVmxnet2",
        _ => "VirtualE1000",
    }
}

/// What `CreateImportSpec` answers: the import spec (absent when there are
/// errors), the files the client must upload, warnings and errors.
pub(crate) struct ImportSpec {
    pub config: Data,
    pub files: Vec<Value>,
    pub warnings: Vec<Value>,
    pub errors: Vec<Value>,
}

/// The disk provisioning a `diskProvisioning` value asks for: (thin, eagerly scrubbed).
fn provisioning(p: &str) -> Option<(bool, bool)> {
    match p {
        "" | "thin" | "sparse" | "monolithicSparse" | "seSparse" | "twoGbMaxExtentSparse" => {
            Some((true, false))
        }
        "thick" | "flat" | "monolithicFlat" | "lazyZeroedThick" | "twoGbMaxExtentFlat" => {
            Some((false, false))
        }
        "eagerZeroedThick" => Some((false, true)),
        _ => None,
    }
}

/// The network an OVF network name is attached to: the mapping the client
/// gave, else a network of the same name in the datacenter, else the
/// datacenter's first network with a warning (`None` if it has none).
fn network_for(
    st: &State,
    dc_nets: &[MoRef],
    mapping: &[(String, MoRef)],
    name: &str,
    warnings: &mut Vec<Value>,
) -> Option<MoRef> {
    if let Some((_, m)) = mapping.iter().find(|(n, _)| n == name) {
        return Some(m.clone());
    }
    if let Some(m) = dc_nets.iter().find(|n| st.objects.name(n) == name) {
        return Some(m.clone());
    }
    let fallback = dc_nets.first()?.clone();
    warnings.push(problem(
        "OvfNetworkMappingNotSupported",
        &format!(
            "The OVF network '{name}' is not mapped (cisp.networkMapping) and no network of that name exists; its NICs are connected to '{}'. Networks here: {}.",
            st.objects.name(&fallback),
            dc_nets.iter().map(|n| st.objects.name(n)).collect::<Vec<_>>().join(", ")
        ),
    ));
    Some(fallback)
}

/// Builds the import spec for `env` to be created on datastore `ds`.
pub(crate) fn import_spec(
    st: &State,
    env: &Envelope,
    ds: &MoRef,
    dc_nets: &[MoRef],
    cisp: &Data,
) -> ImportSpec {
    let mut out = ImportSpec {
        config: Data::new("VirtualMachineConfigSpec"),
        files: vec![],
        warnings: vec![],
        errors: vec![],
    };
    let entity = cisp
        .get("entityName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(&env.system.name)
        .to_string();
    let prov = cisp
        .get("diskProvisioning")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (thin, scrub) = provisioning(prov).unwrap_or_else(|| {
        out.errors.push(problem(
            "OvfUnsupportedDiskProvisioning",
            &format!(
                "Disk provisioning '{prov}' is not supported; use thin, thick or eagerZeroedThick."
            ),
        ));
        (true, false)
    });
    let mapping: Vec<(String, MoRef)> = cisp
        .get("networkMapping")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_data)
        .filter_map(|m| {
            Some((
                m.get("name")?.as_str()?.to_string(),
                m.get("network")?.as_moref()?.clone(),
            ))
        })
        .collect();
    for (n, m) in &mapping {
        if !st.objects.contains(m) {
            out.errors.push(problem(
                "OvfNetworkMappingNotSupported",
                &format!("The network mapped to the OVF network '{n}' ({m}) does not exist."),
            ));
        }
    }
    let ds_name = st.objects.name(ds);
    let mut changes: Vec<Value> = vec![];
    // Controllers first, so disks can name them by their temporary keys.
    let mut controllers: Vec<(&Item, i64, &'static str, i64)> = vec![];
    let mut next_key = -100;
    let mut scsi_bus = 0;
    let mut ide_bus = 0;
    for i in &env.system.items {
        let (kind, bus) = match i.resource_type {
            resource::SCSI => {
                scsi_bus += 1;
                (scsi_type(&i.resource_sub_type), scsi_bus - 1)
            }
            resource::IDE => {
                ide_bus += 1;
                ("VirtualIDEController", ide_bus - 1)
            }
            _ => continue,
        };
        let key = next_key;
        next_key -= 1;
        controllers.push((i, key, kind, bus));
        if kind != "VirtualIDEController" {
            let dev = Data::new(kind)
                .with("key", key)
                .with("busNumber", bus)
                .with("sharedBus", "noSharing");
            changes.push(Value::data(
                Data::new("VirtualDeviceConfigSpec")
                    .with("operation", "add")
                    .with("device", dev),
            ));
        }
    }
    for i in &env.system.items {
        match i.resource_type {
            resource::DISK => {
                let disk_id = i.host_resource.rsplit('/').next().unwrap_or_default();
                let Some(d) = env.disk(disk_id) else {
                    out.errors.push(problem(
                        "OvfDiskMappingNotFound",
                        &format!(
                            "The disk item {} names '{}', which the DiskSection does not define.",
                            i.instance_id, i.host_resource
                        ),
                    ));
                    continue;
                };
                let Some((_, ckey, ckind, bus)) = controllers
                    .iter()
                    .find(|(c, ..)| c.instance_id == i.parent)
                    .copied()
                else {
                    out.errors.push(problem(
                        "OvfHostResourceConstraint",
                        &format!(
                            "The disk item {} has no controller (Parent '{}').",
                            i.instance_id, i.parent
                        ),
                    ));
                    continue;
                };
                let unit: i64 = i.address_on_parent.parse().unwrap_or(0);
                let key = next_key;
                next_key -= 1;
                let backing = Data::new("VirtualDiskFlatVer2BackingInfo")
                    .with("fileName", "")
                    .with("diskMode", "persistent")
                    .with("thinProvisioned", thin)
                    .with("eagerlyScrub", scrub);
                let dev = Data::new("VirtualDisk")
                    .with("key", key)
                    .with("controllerKey", ckey)
                    .with("unitNumber", unit)
                    .with("capacityInKB", d.capacity_bytes / 1024)
                    .with("capacityInBytes", d.capacity_bytes)
                    .with("backing", backing);
                changes.push(Value::data(
                    Data::new("VirtualDeviceConfigSpec")
                        .with("operation", "add")
                        .with("fileOperation", "create")
                        .with("device", dev),
                ));
                if let Some(f) = d.file_ref.as_deref().and_then(|r| env.file(r)) {
                    out.files.push(Value::data(
                        Data::new("OvfFileItem")
                            .with("deviceId", import_key(&entity, ckind, bus, unit))
                            .with("path", f.href.as_str())
                            .with_opt("size", f.size)
                            .with("cimType", i64::from(resource::DISK))
                            .with("create", false),
                    ));
                }
            }
            resource::ETHERNET => {
                let Some(net) =
                    network_for(st, dc_nets, &mapping, &i.connection, &mut out.warnings)
                else {
                    out.errors.push(problem(
                        "OvfNoHostNic",
                        "The datacenter has no network to connect the NICs to.",
                    ));
                    continue;
                };
                let key = next_key;
                next_key -= 1;
                let backing = Data::new("VirtualEthernetCardNetworkBackingInfo")
                    .with("deviceName", st.objects.name(&net))
                    .with("network", &net);
                let dev = Data::new(nic_type(&i.resource_sub_type))
                    .with("key", key)
                    .with("backing", backing);
                changes.push(Value::data(
                    Data::new("VirtualDeviceConfigSpec")
                        .with("operation", "add")
                        .with("device", dev),
                ));
            }
            resource::CPU
            | resource::MEMORY
            | resource::SCSI
            | resource::IDE
            | resource::CDROM
            | 1
            | 14
            | 20
            | 23
            | 24 => {}
            other => out.warnings.push(problem(
                "OvfUnsupportedType",
                &format!(
                    "The hardware item {} ({}) has resource type {other}, which is not imported.",
                    i.instance_id, i.element_name
                ),
            )),
        }
    }
    let os = if env.system.os_type.is_empty() {
        "otherGuest"
    } else {
        &env.system.os_type
    };
    out.config = Data::new("VirtualMachineConfigSpec")
        .with("name", entity.as_str())
        .with("guestId", os)
        .with("annotation", env.system.annotation.as_str())
        .with(
            "numCPUs",
            env.system.quantity(resource::CPU).unwrap_or(1).max(1),
        )
        .with(
            "memoryMB",
            env.system.quantity(resource::MEMORY).unwrap_or(32).max(4),
        )
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", format!("[{ds_name}]")),
        )
        .with("deviceChange", Value::array(changes));
    out
}

/// Sizes `ParseDescriptor` and `ValidateHost` report: (download, flat, sparse).
pub(crate) fn sizes(env: &Envelope) -> (i64, i64, i64) {
    let download: i64 = env.files.iter().filter_map(|f| f.size).sum();
    let flat: i64 = env.disks.iter().map(|d| d.capacity_bytes).sum();
    let sparse: i64 = env
        .disks
        .iter()
        .map(|d| {
            d.populated_size
                .or_else(|| {
                    d.file_ref
                        .as_deref()
                        .and_then(|r| env.file(r))
                        .and_then(|f| f.size)
                })
                .unwrap_or(0)
        })
        .sum();
    (download, flat, sparse)
}
