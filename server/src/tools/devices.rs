//! What the disk, NIC and serial port tools share: a VM's devices read in
//! one round trip, devices found by their label (an unknown label lists the
//! ones the VM has), and a `ReconfigVM_Task` carrying changes built only by
//! `vim25::spec`, its faults explained in terms of the VM.

use vim25::devices::DeviceList;
use vim25::spec::{self, SpecError};
use vim25::{Data, MoRef, Request};

use super::Ctx;
use crate::error::{ToolError, power_state_words};
use crate::views::devices::{DEVICES, label};

/// A VM and its devices as one read found them.
pub(super) struct VmDevices {
    pub(super) vm: MoRef,
    pub(super) name: String,
    pub(super) power: String,
    pub(super) host: Option<MoRef>,
    pub(super) datastores: Vec<MoRef>,
    pub(super) list: DeviceList,
}

/// Reads the VM named `name` with its devices, or "VM 'name' not found".
pub(super) async fn read(ctx: &Ctx, name: &str) -> Result<VmDevices, ToolError> {
    let o = ctx
        .client
        .read_by_name("VirtualMachine", name, &DEVICES)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?
        .ok_or_else(|| ToolError::new(format!("VM '{name}' not found")))?;
    Ok(VmDevices {
        vm: o.moref.clone(),
        name: name.to_string(),
        power: o.str("runtime.powerState").unwrap_or("unknown").to_string(),
        host: o.moref("runtime.host").cloned(),
        datastores: o.morefs("datastore"),
        list: o
            .get("config.hardware.device")
            .map(DeviceList::from_value)
            .unwrap_or_default(),
    })
}

impl VmDevices {
    /// Devices of `base` (`VirtualDisk`, …) in device order.
    pub(super) fn of(&self, base: &str) -> Vec<&Data> {
        self.list.of_type(base)
    }

    /// The device of `base` labelled `wanted`; else an error naming the VM
    /// and listing the labels of that kind it has (`what`: "disk").
    pub(super) fn by_label(
        &self,
        base: &str,
        wanted: &str,
        what: &str,
    ) -> Result<&Data, ToolError> {
        let all = self.of(base);
        if let Some(d) = all.iter().find(|d| label(d) == wanted) {
            return Ok(d);
        }
        let labels: Vec<&str> = all.iter().map(|d| label(d)).collect();
        let have = if labels.is_empty() {
            format!("it has no {what}s")
        } else {
            format!("its {what}s are: {}", labels.join(", "))
        };
        Err(ToolError::new(format!(
            "VM '{}' has no {what} labelled '{wanted}'; {have}",
            self.name
        )))
    }

    /// The label of the controller with `key`.
    pub(super) fn controller_label(&self, key: Option<i64>) -> Option<String> {
        key.and_then(|k| self.list.by_key(k))
            .map(|c| label(c).to_string())
    }
}

/// A spec builder's refusal, for the VM `vm`.
pub(super) fn spec_error(vm: &str, e: &SpecError) -> ToolError {
    ToolError::new(format!("Cannot change the devices of VM '{vm}': {e}"))
}

/// Sends `changes` (built by `vim25::spec`) in one `ReconfigVM_Task` and
/// waits for it; device faults are explained with the VM's name.
pub(super) async fn reconfigure(
    ctx: &Ctx,
    vm: &VmDevices,
    changes: Vec<Data>,
) -> Result<(), ToolError> {
    let req = Request::new("ReconfigVM_Task", &vm.vm).arg("spec", spec::config_spec(changes));
    ctx.client.run_task(&req).await.map(|_| ()).map_err(|e| {
        let Some(f) = e.fault() else {
            return ToolError::vsphere(&e, Some(&vm.name));
        };
        let device_fault = ["InvalidDeviceSpec", "InvalidController", "InvalidDatastore"]
            .iter()
            .any(|t| f.is(t));
        if f.is("DeviceHotPlugNotSupported") {
            ToolError::new(format!(
                "VM '{}' is {}: {} Power it off first.",
                vm.name,
                power_state_words(&vm.power),
                f.message
            ))
        } else if device_fault {
            ToolError::new(format!(
                "vCenter refused the device change on VM '{}': {}",
                vm.name, f.message
            ))
        } else {
            ToolError::vsphere(&e, Some(&vm.name))
        }
    })
}
