//! Deterministic sample values: every number a host or VM reports is a
//! function of the entity, the sample's index (its end time / 20 s) and the
//! inventory, so two reads agree and a host's figures are the sum of its
//! VMs' plus the host's own overhead, as on ESXi.

use vim25::MoRef;

/// ESXi samples real-time statistics every 20 seconds.
pub(crate) const REALTIME_SECS: i64 = 20;

/// A stable pseudo-random number in `0..n` for `(entity, index, salt)`
/// (FNV-1a, so runs and platforms agree).
pub(crate) fn noise(m: &MoRef, index: i64, salt: u64, n: i64) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in m.value.bytes().chain(index.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if n <= 0 { 0 } else { (h % n as u64) as i64 }
}

/// The index of the latest complete real-time sample at `unix` seconds.
pub(crate) fn index_at(unix: i64) -> i64 {
    unix.div_euclid(REALTIME_SECS)
}

/// What the hypervisor itself uses on a host in sample `index`, beyond its
/// VMs: CPU in MHz and memory in MB (vmkernel, agents).
pub(crate) fn host_overhead(host: &MoRef, index: i64) -> (i64, i64) {
    (
        40 + noise(host, index, 1, 30),
        1200 + noise(host, index, 2, 64),
    )
}
