//! vim25 integration tests: envelopes both ways, faults, and properties that
//! must hold for any input.

mod envelopes;
mod props;
