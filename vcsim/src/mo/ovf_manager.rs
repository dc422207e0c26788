//! OvfManager: `ParseDescriptor`, `ValidateHost`, `CreateImportSpec` and
//! `CreateDescriptor` over `vim25::ovf` (the XML) and `crate::ovf` (what
//! an OVF means in vSphere). As on vCenter, what is wrong with a
//! descriptor comes back in the result's `error`/`warning` lists, not as a
//! fault; a bad MoRef argument is a fault.

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::events::datacenter_of;
use crate::ovf::{self, problem};
use crate::state::State;

fn parsed(c: &Call) -> Result<Result<vim25::ovf::Envelope, Value>, Fault> {
    let text = c.str("ovfDescriptor")?;
    Ok(vim25::ovf::parse(text).map_err(|e| {
        problem(
            "OvfXmlFormat",
            &format!("The OVF descriptor is invalid: {e}"),
        )
    }))
}

/// `ParseDescriptor`: networks, annotation, sizes and the default name.
pub(crate) fn parse_descriptor(c: &Call) -> Reply {
    let env = match parsed(c)? {
        Ok(e) => e,
        Err(p) => {
            return Ok(Some(Value::data(
                Data::new("OvfParseDescriptorResult")
                    .with("annotation", "")
                    .with("defaultEntityName", "")
                    .with("virtualApp", false)
                    .with("defaultDeploymentOption", "")
                    .with("error", vec![p]),
            )));
        }
    };
    let (download, flat, sparse) = ovf::sizes(&env);
    let nets: Vec<Value> = env
        .networks
        .iter()
        .map(|n| {
            Value::data(
                Data::new("OvfNetworkInfo")
                    .with("name", n.name.as_str())
                    .with("description", n.description.as_str()),
            )
        })
        .collect();
    Ok(Some(Value::data(
        Data::new("OvfParseDescriptorResult")
            .with("network", Value::array(nets))
            .with("annotation", env.system.annotation.as_str())
            .with("approximateDownloadSize", download)
            .with("approximateFlatDeploymentSize", flat)
            .with("approximateSparseDeploymentSize", sparse)
            .with("defaultEntityName", env.system.name.as_str())
            .with("virtualApp", false)
            .with("defaultDeploymentOption", ""),
    )))
}

/// `ValidateHost`: whether the host can take the package, and its sizes.
pub(crate) fn validate_host(c: &Call) -> Reply {
    let host = c.moref("host")?;
    let st = c.read();
    require(&st, &host)?;
    let mut r = Data::new("OvfValidateHostResult").with(
        "supportedDiskProvisioning",
        vec!["thin", "thick", "eagerZeroedThick"],
    );
    match parsed(c)? {
        Err(p) => r.set("error", vec![p]),
        Ok(env) => {
            let (download, flat, sparse) = ovf::sizes(&env);
            r.set("downloadSize", download);
            r.set("flatDeploymentSize", flat);
            r.set("sparseDeploymentSize", sparse);
            let name = st.objects.name(&host);
            let maintenance = st
                .objects
                .prop(&host, "runtime.inMaintenanceMode")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let state = st
                .objects
                .str_prop(&host, "runtime.connectionState")
                .unwrap_or_default();
            if maintenance {
                r.set(
                    "error",
                    vec![problem(
                        "OvfImportFailed",
                        &format!("The host {name} is in maintenance mode."),
                    )],
                );
            } else if state != "connected" {
                r.set(
                    "error",
                    vec![problem(
                        "OvfImportFailed",
                        &format!("The host {name} is {state}."),
                    )],
                );
            }
        }
    }
    Ok(Some(Value::data(r)))
}

fn dc_networks(st: &State, pool: &MoRef) -> Vec<MoRef> {
    datacenter_of(st, pool)
        .map(|dc| st.objects.refs(&dc, "network"))
        .unwrap_or_default()
}

/// `CreateImportSpec`: the config spec the import creates on `datastore` in
/// `resourcePool`, the files to upload, and what is wrong (an unmapped,
/// unknown network is a warning; the NICs go to the first network).
pub(crate) fn create_import_spec(c: &Call) -> Reply {
    let pool = c.moref("resourcePool")?;
    let ds = c.moref("datastore")?;
    let cisp = c.data("cisp")?.clone();
    let st = c.read();
    require(&st, &pool)?;
    require(&st, &ds)?;
    let env = match parsed(c)? {
        Ok(e) => e,
        Err(p) => {
            return Ok(Some(Value::data(
                Data::new("OvfCreateImportSpecResult").with("error", vec![p]),
            )));
        }
    };
    let spec = ovf::import_spec(&st, &env, &ds, &dc_networks(&st, &pool), &cisp);
    let mut r = Data::new("OvfCreateImportSpecResult");
    if spec.errors.is_empty() {
        r.set(
            "importSpec",
            Data::new("VirtualMachineImportSpec")
                .with("configSpec", spec.config)
                .with("resPoolEntity", &pool),
        );
        r.set("fileItem", Value::array(spec.files));
    } else {
        r.set("error", Value::array(spec.errors));
    }
    if !spec.warnings.is_empty() {
        r.set("warning", Value::array(spec.warnings));
    }
    Ok(Some(Value::data(r)))
}

/// `CreateDescriptor` of a VM: its hardware as OVF, with the files the
/// client exported (`cdp.ovfFiles`) as the package's references.
pub(crate) fn create_descriptor(c: &Call) -> Reply {
    let obj = c.moref("obj")?;
    let cdp = c.opt_data("cdp")?.cloned().unwrap_or_default();
    let st = c.read();
    require(&st, &obj)?;
    if obj.kind != "VirtualMachine" {
        return Err(Fault::new(
            "NotSupported",
            format!(
                "{} is a {}: only virtual machines are exported as OVF here.",
                st.objects.name(&obj),
                obj.kind
            ),
        ));
    }
    let name = cdp
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| st.objects.name(&obj));
    let description = cdp
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let files: Vec<Data> = cdp
        .get("ovfFiles")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_data().cloned())
        .collect();
    let env = ovf::export::envelope(&st, &obj, &name, description, &files);
    Ok(Some(Value::data(
        Data::new("OvfCreateDescriptorResult")
            .with("ovfDescriptor", vim25::ovf::write(&env))
            .with("includeImageFiles", false),
    )))
}
