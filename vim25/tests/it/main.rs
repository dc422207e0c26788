//! vim25 integration tests: envelopes both ways, faults, and properties that
//! must hold for any input.
#![allow(clippy::unwrap_used)]

mod devices;
mod devices_prop;
mod envelopes;
mod fixture;
mod fuzz;
mod fuzz_support;
mod props;
mod spec;
mod spec_serial;
mod spec_wire;
