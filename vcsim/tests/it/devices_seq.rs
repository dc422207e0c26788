//! Property: random sequences of device adds, edits and removes sent through
//! `ReconfigVM_Task` (as the server and careless clients send them) keep the
//! simulator's device list one vSphere would accept — keys unique, every
//! placed device on a controller that lists it, no unit used twice or out of
//! range, labels numbered per kind in device order — a refused change
//! leaves the list as it was, and every datastore's free space stays its
//! capacity minus what its files hold. Sequences come from a seeded generator, so a
//! failure names the seed that reproduces it (proptest is not a dependency
//! of this crate's tests).

use vcsim::Simulator;
use vim25::devices::{ControllerKind, DeviceList, key_of};
use vim25::spec::{
    self, Direction, Mac, NewDisk, NewNic, NicBacking, NicEdit, Provisioning, SerialUri,
    config_spec,
};
use vim25::{Data, MoRef, Request, Value, schema};

use crate::{Client, logged_in};
use testkit::{task_fault, vm, wait_task};

/// xorshift64*: small, seeded, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

fn int(d: &Data, f: &str) -> Option<i64> {
    d.get(f).and_then(Value::as_i64)
}

fn is(d: &Data, base: &str) -> bool {
    schema().is_subtype(&d.type_name, base)
}

/// One random change against the current list, or `None` when there is
/// nothing to act on.
fn change(r: &mut Rng, l: &DeviceList, nets: &[(MoRef, NicBacking)]) -> Option<Data> {
    let pick = |r: &mut Rng, v: Vec<&Data>| -> Option<Data> {
        (!v.is_empty()).then(|| v[r.below(v.len())].clone())
    };
    match r.below(9) {
        0 | 1 => {
            let scsi = l.controllers_of(ControllerKind::Scsi);
            let ck = scsi.first().map_or(1000, |c| key_of(c));
            // Any unit, 7 and taken ones included: the simulator must refuse those.
            let unit = i64::try_from(r.below(17)).unwrap_or(0);
            spec::disk_add(&NewDisk {
                key: l.temp_key(),
                controller_key: ck,
                unit,
                capacity_kb: 1024,
                provisioning: if r.below(2) == 0 {
                    Provisioning::Thin
                } else {
                    Provisioning::Thick
                },
                disk_mode: "persistent".into(),
                file_name: None,
                datastore: None,
            })
            .ok()
        }
        2 => {
            let (_, backing) = &nets[r.below(nets.len())];
            spec::nic_add(&NewNic {
                key: l.temp_key(),
                type_name: "VirtualVmxnet3".into(),
                backing: backing.clone(),
                mac: Mac::Generated,
                start_connected: true,
                connected: false,
            })
            .ok()
        }
        3 => spec::cdrom_add_unplaced(l.temp_key(), Some("[LocalDS_0] iso/a.iso")).ok(),
        4 => {
            let uri = SerialUri {
                service_uri: format!("telnet://:{}", 9000 + r.below(100)),
                direction: Direction::Server,
                proxy_uri: None,
            };
            spec::serial_add_unplaced(l.temp_key(), &uri, true).ok()
        }
        5 => {
            // Grow or (refused) shrink, sent as a careless client would.
            let d = pick(r, l.disks())?;
            let kb = int(&d, "capacityInKB").unwrap_or(1024);
            let to = if r.below(2) == 0 { kb * 2 } else { kb / 2 };
            let mut ch = spec::disk_extend(&d, kb).ok()?;
            if let Some(dev) = ch.get_mut("device").and_then(Value::data_mut) {
                dev.set("capacityInKB", to);
                dev.set("capacityInBytes", to * 1024);
            }
            Some(ch)
        }
        6 => {
            let n = pick(r, l.nics())?;
            let (_, backing) = &nets[r.below(nets.len())];
            let edit = NicEdit {
                backing: Some(backing.clone()),
                connected: Some(r.below(2) == 0),
                ..NicEdit::default()
            };
            spec::nic_edit(&n, &edit).ok()
        }
        _ => {
            // Any device, controllers included (refused while they hold devices).
            let d = pick(r, l.iter().collect())?;
            // A disk's file goes with it half the time, else it stays on the datastore.
            let destroy =
                (is(&d, "VirtualDisk") && r.below(2) == 0).then_some(spec::FileOperation::Destroy);
            Some(spec::device_change(spec::Operation::Remove, destroy, d))
        }
    }
}

fn check(seed: u64, l: &DeviceList) {
    if let Some(broken) = l.inconsistency() {
        panic!("seed {seed}: {broken}");
    }
}

async fn reconfigure(sim: &Simulator, c: &Client, v: &MoRef, ch: Data) -> Data {
    let t = c
        .ok(Request::new("ReconfigVM_Task", v).arg("spec", config_spec(vec![ch])))
        .await;
    wait_task(sim, &t).await
}

#[tokio::test]
async fn random_device_changes_keep_the_device_list_valid() {
    let (sim, c) = logged_in().await;
    let net = sim.find("Network", "VM Network").expect("VM Network");
    let pg = sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .expect("a DV port group");
    let dvs = sim
        .find("VmwareDistributedVirtualSwitch", "DVS0")
        .expect("DVS0");
    let uuid = sim
        .property(&dvs, "uuid")
        .and_then(|u| u.as_str().map(str::to_string))
        .expect("a switch uuid");
    let nets = vec![
        (
            net.clone(),
            NicBacking::Standard {
                network_name: "VM Network".into(),
                network: Some(net.clone()),
            },
        ),
        (
            pg.clone(),
            NicBacking::Distributed {
                switch_uuid: uuid,
                portgroup_key: pg.value.to_string(),
            },
        ),
    ];
    // Each seed works on its own VM, powered off so every device kind may change.
    let names: Vec<String> = sim
        .objects("VirtualMachine")
        .iter()
        .map(|m| {
            sim.property(m, "name")
                .and_then(|n| n.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let (mut applied, mut refusals) = (0, 0);
    for (seed, name) in (1_u64..).zip(names.iter()) {
        let v = vm(&sim, name);
        let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
        wait_task(&sim, &t).await;
        let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        for _ in 0..40 {
            let before = devices(&sim, &v);
            let Some(ch) = change(&mut r, &before, &nets) else {
                continue;
            };
            let info = reconfigure(&sim, &c, &v, ch).await;
            let after = devices(&sim, &v);
            if task_fault(&info).is_empty() {
                applied += 1;
            } else {
                refusals += 1;
                assert_eq!(
                    after,
                    before,
                    "seed {seed}: a refused change ({}) changed the list",
                    task_fault(&info)
                );
            }
            check(seed, &after);
            crate::datastore_files::assert_space_is_the_files(&sim, &format!("seed {seed}"));
        }
    }
    // The generator reaches both outcomes.
    assert!(
        applied > 20 && refusals > 5,
        "{applied} applied, {refusals} refused"
    );
}
