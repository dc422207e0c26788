//! nic_management: add_nic, list_nics, remove_nic, change_nic_network,
//! connect_nic, set_nic_mac. Network adapters are found by their labels
//! ("Network adapter 1"); networks by name, standard or distributed port
//! groups alike; every change is one `ReconfigVM_Task` built by `vim25::spec`.

use std::collections::HashMap;

use serde_json::{Value as Json, json};
use vim25::spec::{self, Mac, NewNic, NicEdit};
use vim25::{Data, MoRef, Value};

use super::devices::{VmDevices, read, reconfigure, spec_error};
use super::params::{NETWORK, VM_NAME};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, placement, run};
use crate::error::ToolError;
use crate::views::devices::{label, mac, nic_json, nic_network_ref};
use crate::vsphere::NAME;

const NIC_LABEL: &str =
    "The adapter's label as vSphere shows it, e.g. 'Network adapter 1' (see list_nics).";

tool_args! {
    pub struct AddNicArgs {
        vm_name: name, VM_NAME;
        network: name, NETWORK;
        nic_type: string = "vmxnet3", "Adapter model: vmxnet3 (paravirtual, best), e1000, e1000e or vmxnet2.";
        start_connected: bool = true, "Connect the adapter when the VM powers on.";
    }
}

tool_args! {
    pub struct VmNameArg {
        vm_name: name, VM_NAME;
    }
}

tool_args! {
    pub struct NicLabelArgs {
        vm_name: name, VM_NAME;
        nic_label: string, NIC_LABEL;
    }
}

tool_args! {
    pub struct ChangeNetworkArgs {
        vm_name: name, VM_NAME;
        nic_label: string, NIC_LABEL;
        new_network: name, "The network or port group (standard or distributed) to move the adapter to.";
    }
}

tool_args! {
    pub struct ConnectNicArgs {
        vm_name: name, VM_NAME;
        nic_label: string, NIC_LABEL;
        connected: bool = true, "true connects the adapter (now and at power-on), false disconnects it.";
    }
}

tool_args! {
    pub struct SetMacArgs {
        vm_name: name, VM_NAME;
        nic_label: string, NIC_LABEL;
        mac_address: string, "A static MAC in VMware's manual range 00:50:56:00:00:00-00:50:56:3F:FF:FF.";
    }
}

/// The models add_nic offers (the contract's list).
const MODELS: &[&str] = &["vmxnet3", "e1000", "e1000e", "vmxnet2"];

const DESTRUCTIVE: Hints = Hints::change(true, None);

const BAD_LABEL: Failure = Failure::Args {
    args: r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 9"}"#,
    expect: &[
        "no network adapter labelled 'Network adapter 9'",
        "Network adapter 1",
    ],
};

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "add_nic",
        title: "Add network adapter",
        description: "Add a network adapter to a VM on a network (standard port group or \
            distributed port group, by name). nic_type is vmxnet3 (default), e1000, e1000e or \
            vmxnet2; vSphere generates the MAC. Works on running VMs. Returns vm, action, \
            network, nic_type, mac_address and start_connected.",
        hints: DESTRUCTIVE,
        returns: Returns::Object,
        example: Example::args(r#"{"vm_name":"DC0_H0_VM0","network":"DC0_DVPG0"}"#),
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","network":"NoSuchNet"}"#,
            expect: &["Network 'NoSuchNet' not found"],
        },
        run: run!(add_nic, AddNicArgs),
    },
    ToolDef {
        name: "list_nics",
        title: "List network adapters",
        description: "The network adapters of a VM in device order: label ('Network adapter \
            1'), type (vmxnet3, e1000, …), mac_address, mac_type (generated or manual), \
            network, connected and start_connected.",
        hints: Hints::READ_ONLY,
        returns: Returns::List,
        example: Example::args(r#"{"vm_name":"DC0_H0_VM0"}"#),
        failure: Failure::Args {
            args: r#"{"vm_name":"no-such-vm"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(list_nics, VmNameArg),
    },
    ToolDef {
        name: "remove_nic",
        title: "Remove network adapter",
        description: "Remove a network adapter, named by its label ('Network adapter 1'), from \
            a VM; the guest loses that interface. Works on running VMs. Returns vm, action, \
            nic_label, mac_address and network.",
        hints: DESTRUCTIVE,
        returns: Returns::Object,
        example: Example::args(r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1"}"#),
        failure: BAD_LABEL,
        run: run!(remove_nic, NicLabelArgs),
    },
    ToolDef {
        name: "change_nic_network",
        title: "Change adapter network",
        description: "Move a network adapter, named by its label, to another network or port \
            group (standard or distributed); its MAC stays. Returns vm, action, nic_label, \
            old_network, new_network and mac_address.",
        hints: DESTRUCTIVE,
        returns: Returns::Object,
        example: Example::args(
            r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1","new_network":"DC0_DVPG0"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1","new_network":"NoSuchNet"}"#,
            expect: &["Network 'NoSuchNet' not found"],
        },
        run: run!(change_nic_network, ChangeNetworkArgs),
    },
    ToolDef {
        name: "connect_nic",
        title: "Connect network adapter",
        description: "Connect (connected true, the default) or disconnect a network adapter, \
            named by its label, like plugging or pulling its cable; the choice also holds at \
            the next power-on. Returns vm, action, nic_label and connected.",
        hints: DESTRUCTIVE,
        returns: Returns::Object,
        example: Example::args(
            r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1","connected":false}"#,
        ),
        failure: BAD_LABEL,
        run: run!(connect_nic, ConnectNicArgs),
    },
    ToolDef {
        name: "set_nic_mac",
        title: "Set adapter MAC",
        description: "Give a network adapter, named by its label, a static (manual) MAC \
            address. vSphere accepts only its manual range 00:50:56:00:00:00 to \
            00:50:56:3F:FF:FF, and no other adapter may have the address. Returns vm, action, \
            nic_label, old_mac and new_mac.",
        hints: DESTRUCTIVE,
        returns: Returns::Object,
        example: Example::args(
            r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1","mac_address":"00:50:56:01:02:03"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","nic_label":"Network adapter 1","mac_address":"00:11:22:33:44:55"}"#,
            expect: &["00:11:22:33:44:55", "manual MACs must lie in"],
        },
        run: run!(set_nic_mac, SetMacArgs),
    },
];

/// The names of the networks (and distributed port groups) NICs refer to,
/// keyed by MoRef value (a port group's key is its MoRef value); one read.
async fn network_names(ctx: &Ctx, nics: &[&Data]) -> Result<HashMap<String, String>, ToolError> {
    let refs: Vec<MoRef> = nics
        .iter()
        .filter_map(|n| {
            if let Some(m) = n.path("backing.network").and_then(Value::as_moref) {
                Some(m.clone())
            } else {
                n.path("backing.port.portgroupKey")
                    .and_then(Value::as_str)
                    .map(|k| MoRef::new("DistributedVirtualPortgroup", k))
            }
        })
        .collect();
    if refs.is_empty() {
        return Ok(HashMap::new());
    }
    let objs = ctx.client.properties_of(&refs, &NAME).await?;
    Ok(objs
        .into_iter()
        .map(|o| (o.moref.value.to_string(), o.name().to_string()))
        .collect())
}

/// The name of the network a NIC is on, given [`network_names`].
fn nic_network(nic: &Data, names: &HashMap<String, String>) -> Option<String> {
    let by_ref = nic
        .path("backing.network")
        .and_then(Value::as_moref)
        .map(|m| m.value.to_string())
        .or_else(|| nic_network_ref(nic).map(str::to_string));
    by_ref
        .as_ref()
        .and_then(|k| names.get(k).cloned())
        .or_else(|| nic_network_ref(nic).map(str::to_string))
}

async fn network_of(ctx: &Ctx, nic: &Data) -> Result<Option<String>, ToolError> {
    let names = network_names(ctx, &[nic]).await?;
    Ok(nic_network(nic, &names))
}

fn nic<'a>(vm: &'a VmDevices, wanted: &str) -> Result<&'a Data, ToolError> {
    vm.by_label("VirtualEthernetCard", wanted, "network adapter")
}

async fn add_nic(ctx: Ctx, args: AddNicArgs) -> Result<Output, ToolError> {
    let model = args.nic_type.to_ascii_lowercase();
    let type_name = MODELS
        .contains(&model.as_str())
        .then(|| spec::nic_type(&model))
        .flatten()
        .ok_or_else(|| {
            ToolError::new(format!(
                "Unknown nic_type '{}'; use one of: {}",
                args.nic_type,
                MODELS.join(", ")
            ))
        })?;
    let vm = read(&ctx, &args.vm_name).await?;
    let dc = placement::datacenter(&ctx).await?;
    let backing = placement::nic_backing(&ctx, &dc, &args.network).await?;
    let new_label = vm.list.label_for_new(type_name).unwrap_or_default();
    let change = spec::nic_add(&NewNic {
        key: vm.list.temp_key(),
        type_name: type_name.into(),
        backing,
        mac: Mac::Generated,
        start_connected: args.start_connected,
        connected: false,
    })
    .map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    // The MAC is vSphere's to generate: read it back.
    let after = read(&ctx, &vm.name).await?;
    let mac_address = after
        .list
        .by_label(&new_label)
        .and_then(mac)
        .map(str::to_string);
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "nic_added",
        "nic_label": new_label,
        "network": args.network,
        "nic_type": model,
        "mac_address": mac_address,
        "start_connected": args.start_connected,
    })))
}

async fn list_nics(ctx: Ctx, args: VmNameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let nics = vm.of("VirtualEthernetCard");
    let names = network_names(&ctx, &nics).await?;
    Ok(Output::Json(Json::Array(
        nics.iter()
            .map(|n| nic_json(n, nic_network(n, &names).as_deref()))
            .collect(),
    )))
}

async fn remove_nic(ctx: Ctx, args: NicLabelArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let n = nic(&vm, &args.nic_label)?;
    let network = network_of(&ctx, n).await?;
    let mac_address = mac(n).map(str::to_string);
    let change = spec::nic_remove(n).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "nic_removed",
        "nic_label": args.nic_label,
        "mac_address": mac_address,
        "network": network,
    })))
}

async fn change_nic_network(ctx: Ctx, args: ChangeNetworkArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let n = nic(&vm, &args.nic_label)?;
    let old_network = network_of(&ctx, n).await?;
    let dc = placement::datacenter(&ctx).await?;
    let backing = placement::nic_backing(&ctx, &dc, &args.new_network).await?;
    let edit = NicEdit {
        backing: Some(backing),
        ..NicEdit::default()
    };
    let change = spec::nic_edit(n, &edit).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "nic_network_changed",
        "nic_label": args.nic_label,
        "old_network": old_network,
        "new_network": args.new_network,
        "mac_address": mac(n),
    })))
}

async fn connect_nic(ctx: Ctx, args: ConnectNicArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let n = nic(&vm, &args.nic_label)?;
    let edit = NicEdit {
        connected: Some(args.connected),
        start_connected: Some(args.connected),
        ..NicEdit::default()
    };
    let change = spec::nic_edit(n, &edit).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": if args.connected { "nic_connected" } else { "nic_disconnected" },
        "nic_label": label(n),
        "connected": args.connected,
    })))
}

async fn set_nic_mac(ctx: Ctx, args: SetMacArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let n = nic(&vm, &args.nic_label)?;
    let edit = NicEdit {
        mac: Some(Mac::Manual(args.mac_address.trim().to_string())),
        ..NicEdit::default()
    };
    let change = spec::nic_edit(n, &edit).map_err(|e| spec_error(&vm.name, &e))?;
    let new_mac = change
        .path("device.macAddress")
        .and_then(Value::as_str)
        .map(str::to_string);
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "nic_mac_set",
        "nic_label": args.nic_label,
        "old_mac": mac(n),
        "new_mac": new_mac,
    })))
}
