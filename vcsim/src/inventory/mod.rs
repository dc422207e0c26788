//! Inventory fixtures: the YAML description of datacenters, clusters, hosts,
//! datastores, networks and VMs, the built-in default (govmomi vcsim's VPX
//! model), the large generated inventory, and the builder that turns any of
//! them into objects.

mod build;
mod place;
mod spec;

pub use build::build;
pub use spec::*;
