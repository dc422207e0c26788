//! What `RelocateVM_Task` checks before it moves anything: where the VM
//! may go (host and pool inside one compute resource) and whether the target
//! datastores have room for what moves onto them.

use std::collections::HashMap;

use vim25::{Data, Fault, MoRef, Value};

use crate::state::State;

type Place = (String, String);

/// The host and pool the VM moves to, checked: a host outside the VM's
/// compute resource needs a pool of the host's (`InvalidArgument`), and a
/// pool's compute resource must hold the host.
pub(super) fn placement(
    st: &State,
    vm_ref: &MoRef,
    spec: &Data,
) -> Result<(Option<MoRef>, Option<MoRef>), Fault> {
    let host = spec.get("host").and_then(Value::as_moref).cloned();
    let pool = spec.get("pool").and_then(Value::as_moref).cloned();
    let cr_of_host = |h: &MoRef| st.objects.ref_prop(h, "parent");
    let cr_of_pool = |p: &MoRef| {
        let mut cur = Some(p.clone());
        while let Some(m) = cur {
            if m.kind.ends_with("ComputeResource") {
                return Some(m);
            }
            cur = st.objects.ref_prop(&m, "parent");
        }
        None
    };
    let current_cr = st
        .objects
        .ref_prop(vm_ref, "runtime.host")
        .and_then(|h| cr_of_host(&h));
    match (&host, &pool) {
        (Some(h), None) if cr_of_host(h) != current_cr => Err(Fault::new(
            "InvalidArgument",
            format!(
                "The host {} is outside the compute resource of {}: a resource pool of its cluster is needed (spec.pool).",
                st.objects.name(h),
                st.objects.name(vm_ref)
            ),
        )
        .with("invalidProperty", "spec.pool")),
        (Some(h), Some(p)) if cr_of_host(h) != cr_of_pool(p) => Err(Fault::new(
            "InvalidArgument",
            format!(
                "The host {} is not part of the compute resource of the resource pool {}.",
                st.objects.name(h),
                st.objects.name(p)
            ),
        )
        .with("invalidProperty", "spec.host")),
        (None, Some(p)) if cr_of_pool(p) != current_cr => {
            // A pool elsewhere: its least-loaded host.
            let h = super::host_for_pool(st, p).ok_or_else(|| Fault::invalid_argument("spec.pool"))?;
            Ok((Some(h), pool))
        }
        _ => Ok((host, pool)),
    }
}

/// Each target datastore must hold what moves onto it (and what a
/// conversion to thick takes there): `NoDiskSpace` naming it otherwise.
pub(super) fn check_room(
    st: &State,
    moves: &HashMap<Place, (MoRef, String)>,
    conversions: &[(MoRef, String, bool)],
) -> Result<(), Fault> {
    let mut need: Vec<(MoRef, i64)> = vec![];
    let mut add = |d: &MoRef, n: i64| match need.iter_mut().find(|(x, _)| x == d) {
        Some((_, t)) => *t += n,
        None => need.push((d.clone(), n)),
    };
    for ((sds, spath), (d, p)) in moves {
        let Some(f) = st.files.get(sds, spath) else {
            continue;
        };
        let size = match conversions.iter().find(|(cd, cp, _)| cd == d && cp == p) {
            Some((_, _, thin)) if *thin => 0,
            Some(_) => f.capacity,
            None => f.size,
        };
        add(d, size);
    }
    for (d, p, thin) in conversions {
        // A disk converted where it is grows by what thick takes beyond its size.
        if !*thin
            && !moves.values().any(|(md, mp)| md == d && mp == p)
            && let Some(f) = st.files.get(&d.value, p)
        {
            add(d, (f.capacity - f.size).max(0));
        }
    }
    for (d, n) in need {
        let cap = st
            .objects
            .prop(&d, "summary.capacity")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let free = cap - st.files.usage(&d.value).used;
        if n > free {
            let name = st.objects.name(&d);
            return Err(Fault::new(
                "NoDiskSpace",
                format!("The datastore {name} has {free} bytes free; the relocation needs {n}."),
            )
            .with("datastore", name.as_str()));
        }
    }
    Ok(())
}
