//! The hasher for maps keyed by short names and ids (schema types, object
//! ids): rustc's FxHash from the `rustc-hash` crate. SipHash's flood
//! resistance buys nothing for keys this process makes itself, and it showed
//! up near the top of the simulator's profiles.

/// Use as `HashMap<K, V, FastHash>` / `HashSet<K, FastHash>`.
pub use rustc_hash::FxBuildHasher as FastHash;

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
