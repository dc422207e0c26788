//! ManagedEntity: the methods every inventory object has.

use vim25::{Fault, Value};

use crate::call::{Call, Reply, require};
use crate::mo::virtual_machine::{datacenter_name, event};
use crate::state::State;

/// `Reload`: the simulator's state is always current.
pub(crate) fn reload(_: &Call) -> Reply {
    Ok(None)
}

/// `Rename_Task`: names are unique among a folder's children.
pub(crate) fn rename(c: &Call) -> Reply {
    let new_name = c.str("newName")?.to_string();
    if new_name.is_empty() || new_name.len() > 80 {
        return Err(Fault::invalid_argument("newName"));
    }
    let u = c.user().to_string();
    let target = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        require(st, &target)?;
        if let Some(parent) = st.objects.ref_prop(&target, "parent")
            && let Some(other) = st.objects.child_named(&parent, &new_name)
            && other != target
        {
            return Err(Fault::duplicate_name(&new_name, &other));
        }
        let old = st.objects.name(&target);
        st.objects
            .set(&target, "name", Value::from(new_name.as_str()))?;
        if target.kind == "VirtualMachine" {
            st.objects
                .set(&target, "config.name", Value::from(new_name.as_str()))?;
            let dc = datacenter_name(st, &target);
            event(
                st,
                "VmRenamedEvent",
                &u,
                &target,
                format!("Renamed {old} from {old} to {new_name} in {dc}"),
            )?;
            // VmRenamedEvent carries both names besides the message.
            if let Some(last) = st.events.events.back_mut() {
                last.set("oldName", old.as_str());
                last.set("newName", new_name.as_str());
            }
        }
        Ok(None)
    })
}
