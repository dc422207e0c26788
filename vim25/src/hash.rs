//! A fast hasher for maps keyed by short names and ids (schema types, object
//! ids). SipHash's flood resistance buys nothing for keys this process makes
//! itself, and it showed up near the top of the simulator's profiles.

use std::hash::{BuildHasher, Hasher};

/// Builds [`FastHasher`]s; use as `HashMap<K, V, FastHash>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

/// A multiply-rotate hash over 8-byte words (the scheme of rustc's FxHash).
#[derive(Debug)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::FastHash;

    #[test]
    fn keys_that_share_a_prefix_stay_distinct() {
        let mut m: HashMap<String, usize, FastHash> = HashMap::default();
        for i in 0..10_000 {
            m.insert(format!("vm-{i}"), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get("vm-4242"), Some(&4242));
        assert_eq!(m.get("vm-10000"), None);
    }
}
