//! Inventory fixtures: the YAML description of datacenters, clusters, hosts,
//! datastores, networks and VMs, the built-in default (govmomi vcsim's VPX
//! model), the large generated inventory, and the builder that turns any of
//! them into objects.

mod build;
mod datastore;
pub(crate) mod host;
mod place;
mod spec;

pub use build::build;
pub use spec::*;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use vim25::{MoRef, Value};

    use crate::state::State;

    fn node(st: &State, vm: &MoRef, path: &str) -> Arc<vim25::Data> {
        match st.objects.prop(vm, path) {
            Some(Value::Data(d)) => d.clone(),
            other => panic!("{vm} {path} is {other:?}"),
        }
    }

    /// What sizes the build's sharer: every VM, in clusters, their pools or on hosts.
    #[test]
    fn vm_count_counts_every_vm_wherever_it_is_placed() {
        assert_eq!(super::generate(37).vm_count(), 37);
        let default = super::InventorySpec::default_inventory().expect("built-in fixture parses");
        let mut st = State::new();
        crate::service::install(&mut st).expect("the service objects use schema paths only");
        super::build(&mut st, &default).expect("built-in fixture builds");
        assert_eq!(
            default.vm_count(),
            st.objects.of_kind("VirtualMachine").len()
        );
    }

    /// Issue 8: generated VMs share their equal parts, and a write to one VM
    /// copies what it changes instead of changing every VM that shared it.
    #[test]
    fn issue_8_generated_vms_share_equal_subtrees_until_one_is_written() {
        let mut st = State::new();
        crate::service::install(&mut st).expect("the service objects use schema paths only");
        super::build(&mut st, &super::generate(8)).expect("generated inventory builds");
        let vms = st.objects.of_kind("VirtualMachine");
        let (a, b) = (&vms[0], &vms[1]);
        let flag = |st: &State, vm: &MoRef| {
            st.objects
                .prop(vm, "capability.snapshotConfigSupported")
                .and_then(Value::as_bool)
        };
        assert!(
            Arc::ptr_eq(&node(&st, a, "capability"), &node(&st, b, "capability")),
            "equal capability objects are one copy"
        );
        let (a_config, b_config) = (node(&st, a, "config"), node(&st, b, "config"));
        assert!(
            !Arc::ptr_eq(&a_config, &b_config),
            "names differ: two configs"
        );
        assert!(
            Arc::ptr_eq(&node(&st, a, "config.flags"), &node(&st, b, "config.flags")),
            "but their equal parts are shared"
        );

        st.objects.begin();
        st.objects
            .set(a, "capability.snapshotConfigSupported", Value::from(false))
            .expect("a schema path");
        st.objects.commit();
        assert_eq!(flag(&st, a), Some(false));
        assert_eq!(flag(&st, b), Some(true), "the other VM is not changed");
        assert!(!Arc::ptr_eq(
            &node(&st, a, "capability"),
            &node(&st, b, "capability")
        ));
        assert!(
            Arc::ptr_eq(&node(&st, a, "config.flags"), &node(&st, b, "config.flags")),
            "what was not written stays shared"
        );
    }
}
