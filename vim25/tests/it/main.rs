//! vim25 integration tests: envelopes both ways, faults, and properties that
//! must hold for any input.
#![allow(clippy::unwrap_used)]

mod devices;
mod envelopes;
mod fixture;
mod props;
mod spec;
