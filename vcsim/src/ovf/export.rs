//! A VM as an OVF package: the disks an export lease offers (their keys,
//! file names and datastore files) and the descriptor `CreateDescriptor`
//! writes for them (CPU, memory, SCSI controllers, disks, NICs and their
//! networks).

use vim25::ovf::{Disk, Envelope, FileRef, Item, Network, System, resource};
use vim25::{Data, MoRef, Value, schema};

use crate::mo::virtual_machine::files::backing_file;
use crate::mo::virtual_machine::model::{devices, network_of};
use crate::state::State;

/// One disk of an export: the `deviceUrl.key` (`/<vm id>/<controller><bus>:<unit>`,
/// which `CreateDescriptor`'s `ovfFiles.deviceId` names again), the file
/// name in the package, and where the disk's file is.
pub(crate) struct ExportDisk {
    pub key: String,
    pub target: String,
    pub capacity: i64,
    pub file: Option<(MoRef, String)>,
    pub controller_key: i64,
    pub unit: i64,
}

pub(crate) fn disks(st: &State, vm: &MoRef) -> Vec<ExportDisk> {
    let list = devices(st, vm);
    let mut out = vec![];
    for (n, d) in list.disks().into_iter().enumerate() {
        let ckey = d.get("controllerKey").and_then(Value::as_i64).unwrap_or(0);
        let unit = d.get("unitNumber").and_then(Value::as_i64).unwrap_or(0);
        let (ctype, bus) = list
            .by_key(ckey)
            .map(|c| {
                (
                    c.type_name.as_str(),
                    c.get("busNumber").and_then(Value::as_i64).unwrap_or(0),
                )
            })
            .unwrap_or(("VirtualController", 0));
        let capacity = d
            .get("capacityInBytes")
            .and_then(Value::as_i64)
            .or_else(|| {
                d.get("capacityInKB")
                    .and_then(Value::as_i64)
                    .map(|k| k * 1024)
            })
            .unwrap_or(0);
        let file = d
            .get("backing")
            .and_then(Value::as_data)
            .and_then(|b| backing_file(st, b));
        out.push(ExportDisk {
            key: format!("/{}/{ctype}{bus}:{unit}", vm.value),
            target: format!("disk-{n}.vmdk"),
            capacity,
            file,
            controller_key: ckey,
            unit,
        });
    }
    out
}

/// The descriptor of `vm`; `files` are `OvfFile`s (deviceId, path, size)
/// the client downloaded, matched to disks by `deviceId`.
pub(crate) fn envelope(
    st: &State,
    vm: &MoRef,
    name: &str,
    description: &str,
    files: &[Data],
) -> Envelope {
    let list = devices(st, vm);
    let i = |p: &str| st.objects.prop(vm, p).and_then(Value::as_i64).unwrap_or(0);
    let mut env = Envelope {
        system: System {
            id: name.to_string(),
            name: name.to_string(),
            annotation: if description.is_empty() {
                st.objects
                    .str_prop(vm, "config.annotation")
                    .unwrap_or_default()
            } else {
                description.to_string()
            },
            os_type: st
                .objects
                .str_prop(vm, "config.guestId")
                .unwrap_or_default(),
            items: vec![],
        },
        ..Envelope::default()
    };
    let mut next = 1;
    let mut item = |env: &mut Envelope, mut it: Item| -> String {
        it.instance_id = next.to_string();
        next += 1;
        let id = it.instance_id.clone();
        env.system.items.push(it);
        id
    };
    item(
        &mut env,
        Item {
            resource_type: resource::CPU,
            element_name: format!("{} virtual CPU(s)", i("config.hardware.numCPU")),
            virtual_quantity: i("config.hardware.numCPU"),
            ..Item::default()
        },
    );
    item(
        &mut env,
        Item {
            resource_type: resource::MEMORY,
            element_name: format!("{}MB of memory", i("config.hardware.memoryMB")),
            virtual_quantity: i("config.hardware.memoryMB"),
            ..Item::default()
        },
    );
    let mut controller_ids: Vec<(i64, String)> = vec![];
    for d in list.iter() {
        let sub = match d.type_name.as_str() {
            "VirtualLsiLogicController" => "lsilogic",
            "VirtualLsiLogicSASController" => "lsilogicsas",
            "ParaVirtualSCSIController" => "VirtualSCSI",
            "VirtualBusLogicController" => "buslogic",
            _ => continue,
        };
        let bus = d.get("busNumber").and_then(Value::as_i64).unwrap_or(0);
        let id = item(
            &mut env,
            Item {
                resource_type: resource::SCSI,
                resource_sub_type: sub.into(),
                element_name: format!("SCSI controller {bus}"),
                address_on_parent: bus.to_string(),
                ..Item::default()
            },
        );
        controller_ids.push((d.get("key").and_then(Value::as_i64).unwrap_or(0), id));
    }
    for (n, d) in disks(st, vm).iter().enumerate() {
        let disk_id = format!("vmdisk{}", n + 1);
        let file = files
            .iter()
            .find(|f| f.get("deviceId").and_then(Value::as_str) == Some(d.key.as_str()));
        let file_ref = file.map(|f| {
            let id = format!("file{}", n + 1);
            env.files.push(FileRef {
                id: id.clone(),
                href: f
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or(&d.target)
                    .to_string(),
                size: f.get("size").and_then(Value::as_i64),
            });
            id
        });
        env.disks.push(Disk {
            disk_id: disk_id.clone(),
            file_ref,
            capacity_bytes: d.capacity,
            populated_size: None,
            format: "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
                .into(),
        });
        let parent = controller_ids
            .iter()
            .find(|(k, _)| *k == d.controller_key)
            .map(|(_, id)| id.clone())
            .unwrap_or_default();
        item(
            &mut env,
            Item {
                resource_type: resource::DISK,
                element_name: format!("Hard disk {}", n + 1),
                host_resource: format!("ovf:/disk/{disk_id}"),
                parent,
                address_on_parent: d.unit.to_string(),
                ..Item::default()
            },
        );
    }
    for d in list.iter() {
        if !schema().is_subtype(&d.type_name, "VirtualEthernetCard") {
            continue;
        }
        let net = network_of(st, d)
            .map(|n| st.objects.name(&n))
            .unwrap_or_default();
        if !env.networks.iter().any(|n| n.name == net) {
            env.networks.push(Network {
                name: net.clone(),
                description: format!("The {net} network"),
            });
        }
        let sub = match d.type_name.as_str() {
            "VirtualVmxnet3" => "VmxNet3",
            "VirtualE1000e" => "E1000e",
            _ => "E1000",
        };
        item(
            &mut env,
            Item {
                resource_type: resource::ETHERNET,
                resource_sub_type: sub.into(),
                element_name: format!("Network adapter on {net}"),
                connection: net,
                ..Item::default()
            },
        );
    }
    env
}
