//! Property: any sequence of device adds and removes, built with the spec
//! builders and placed with the list's own key and unit answers, leaves a
//! device list vSphere would accept.

use proptest::prelude::*;
use vim25::devices::{ControllerKind, DeviceError, DeviceList};
use vim25::spec::{self, Direction, Mac, NewDisk, NewNic, NicBacking, Provisioning, SerialUri};
use vim25::{Data, Value};

use crate::fixture::{new_vm, on, scsi};

#[derive(Clone, Debug)]
enum Op {
    /// A disk on the `n`th storage controller (mod their number); odd `n`
    /// uses a temporary negative key, as a client-side list would.
    AddDisk(usize),
    AddNic(bool),
    /// A CD-ROM on the `n`th IDE/SATA controller.
    AddCdrom(usize),
    AddSerial,
    /// Removes the `n`th device (mod the list's length), controllers included.
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<usize>().prop_map(Op::AddDisk),
        2 => any::<bool>().prop_map(Op::AddNic),
        2 => any::<usize>().prop_map(Op::AddCdrom),
        1 => Just(Op::AddSerial),
        3 => any::<usize>().prop_map(Op::Remove),
    ]
}

fn int(d: &Data, f: &str) -> Option<i64> {
    d.get(f).and_then(Value::as_i64)
}

fn key(d: &Data) -> i64 {
    int(d, "key").unwrap_or(0)
}

fn the_device(mut change: Data) -> Data {
    change
        .remove("device")
        .and_then(|v| match v {
            Value::Data(d) => Some(d.as_ref().clone()),
            _ => None,
        })
        .expect("every builder puts the device in the spec")
}

fn controllers(l: &DeviceList, kinds: &[ControllerKind]) -> Vec<i64> {
    kinds
        .iter()
        .flat_map(|k| {
            l.controllers_of(*k)
                .into_iter()
                .map(key)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Adds a device of `type_name` on controller `ck` at the free unit the list
/// names; `None` if the controller is full, which is then checked: every unit
/// in its range is refused.
fn place(l: &mut DeviceList, ck: i64, device: Data) -> Option<i64> {
    let ty = device.type_name;
    let Some(unit) = l.free_unit_for(ck, &ty) else {
        if let Some(c) = l.by_key(ck)
            && let Some(kind) = ControllerKind::of(&c.type_name)
        {
            for u in kind.units_for(&ty) {
                let probe = device
                    .clone()
                    .with("controllerKey", ck)
                    .with("unitNumber", u);
                assert!(
                    l.clone().add(probe).is_err(),
                    "{ty} fits at unit {u} of full controller {ck}"
                );
            }
        }
        return None;
    };
    let device = device.with("controllerKey", ck).with("unitNumber", unit);
    Some(
        l.add(device)
            .expect("a free unit and a fresh key are accepted"),
    )
}

fn apply(l: &mut DeviceList, op: &Op) {
    match op {
        Op::AddDisk(n) => {
            use ControllerKind::*;
            let cs = controllers(l, &[Scsi, Sata, Nvme, Ide]);
            let Some(&ck) = cs.get(n % cs.len().max(1)) else {
                return;
            };
            let k = if n % 2 == 1 {
                l.temp_key()
            } else {
                l.assigned_key("VirtualDisk")
            };
            let change = spec::disk_add(&NewDisk {
                key: k,
                controller_key: ck,
                unit: 0,
                capacity_kb: 1024,
                provisioning: Provisioning::Thin,
                disk_mode: "persistent".into(),
                file_name: None,
                datastore: None,
            })
            .expect("a valid disk");
            place(l, ck, the_device(change));
        }
        Op::AddNic(distributed) => {
            let backing = if *distributed {
                NicBacking::Distributed {
                    switch_uuid: "u".into(),
                    portgroup_key: "dvportgroup-1".into(),
                }
            } else {
                NicBacking::Standard {
                    network_name: "VM Network".into(),
                    network: None,
                }
            };
            let change = spec::nic_add(&NewNic {
                key: l.assigned_key("VirtualVmxnet3"),
                type_name: "VirtualVmxnet3".into(),
                backing,
                mac: Mac::Generated,
                start_connected: true,
                connected: false,
            })
            .expect("a valid NIC");
            if let Some(&pci) = controllers(l, &[ControllerKind::Pci]).first() {
                place(l, pci, the_device(change));
            }
        }
        Op::AddCdrom(n) => {
            let cs = controllers(l, &[ControllerKind::Ide, ControllerKind::Sata]);
            let Some(&ck) = cs.get(n % cs.len().max(1)) else {
                return;
            };
            let change = spec::cdrom_add(l.assigned_key("VirtualCdrom"), ck, 0, None)
                .expect("a valid CD-ROM");
            place(l, ck, the_device(change));
        }
        Op::AddSerial => {
            let Some(&sio) = controllers(l, &[ControllerKind::Sio]).first() else {
                return;
            };
            let uri = SerialUri {
                service_uri: "telnet://:9001".into(),
                direction: Direction::Server,
                proxy_uri: None,
            };
            let change = spec::serial_add(l.assigned_key("VirtualSerialPort"), sio, 0, &uri, true);
            place(l, sio, the_device(change));
        }
        Op::Remove(n) => {
            if l.is_empty() {
                return;
            }
            let k = key(&l.as_slice()[n % l.len()]);
            let attached = l.iter().any(|d| int(d, "controllerKey") == Some(k));
            let before = l.clone();
            match l.remove(k) {
                Ok(d) => assert_eq!(key(&d), k),
                Err(e) => {
                    assert!(attached, "refused to remove {k}: {e}");
                    assert_eq!(e, DeviceError::ControllerInUse(k));
                    assert_eq!(l, &before, "a refused removal changed the list");
                }
            }
        }
    }
}

fn label(d: &Data) -> &str {
    d.path("deviceInfo.label")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn check(l: &DeviceList) {
    if let Some(broken) = l.inconsistency() {
        panic!("{broken}");
    }
    // Beyond the list's own rules: SCSI controllers are labelled by bus.
    for c in l.controllers_of(ControllerKind::Scsi) {
        assert_eq!(
            label(c),
            format!("SCSI controller {}", int(c, "busNumber").unwrap_or(-1))
        );
    }
}

fn start() -> DeviceList {
    let mut l = DeviceList::new(new_vm());
    l.add(on(scsi(1001, 1), 100, 4))
        .expect("PCI unit 4 is free in the fixture");
    l
}

fn count(l: &DeviceList, base: &str) -> usize {
    l.of_type(base).len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_adds_and_removes_keep_keys_units_children_and_labels_consistent(
        ops in prop::collection::vec(op(), 1..120)
    ) {
        let mut l = start();
        check(&l);
        for op in &ops {
            let before = (count(&l, "VirtualDisk"), count(&l, "VirtualEthernetCard"), count(&l, "VirtualCdrom"), count(&l, "VirtualSerialPort"));
            let len = l.len();
            apply(&mut l, op);
            check(&l);
            let after = (count(&l, "VirtualDisk"), count(&l, "VirtualEthernetCard"), count(&l, "VirtualCdrom"), count(&l, "VirtualSerialPort"));
            // Each op changes at most one device, of the kind it names.
            prop_assert!(l.len().abs_diff(len) <= 1);
            match op {
                Op::AddDisk(_) => prop_assert!(after.0 >= before.0 && (after.1, after.2, after.3) == (before.1, before.2, before.3)),
                Op::AddNic(_) => prop_assert!(after.1 >= before.1 && (after.0, after.2, after.3) == (before.0, before.2, before.3)),
                Op::AddCdrom(_) => prop_assert!(after.2 >= before.2 && (after.0, after.1, after.3) == (before.0, before.1, before.3)),
                Op::AddSerial => prop_assert!(after.3 >= before.3 && (after.0, after.1, after.2) == (before.0, before.1, before.2)),
                Op::Remove(_) => prop_assert!(l.len() <= len),
            }
        }
    }
}
