//! A bounded set of ids seen recently, for single use of authorization codes
//! and refresh tokens within one process. Entries live until the id's own
//! expiry; at capacity the soonest-expiring entries make room. Replicas do not
//! share it — see `docs/src/content/docs/deployment/oauth.md` ("Replicas") for what that means.

use std::collections::HashMap;
use std::sync::Mutex;

use super::keys::now;

pub struct Replay {
    seen: Mutex<HashMap<String, i64>>,
    cap: usize,
}

impl Replay {
    pub fn new(cap: usize) -> Replay {
        Replay {
            seen: Mutex::new(HashMap::new()),
            cap,
        }
    }

    /// Records `id` (valid until `exp`); `true` only the first time.
    pub fn first_use(&self, id: &str, exp: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains_key(id) {
            return false;
        }
        if seen.len() >= self.cap {
            let t = now();
            seen.retain(|_, e| *e > t);
            while seen.len() >= self.cap {
                let Some(k) = seen.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone()) else {
                    break;
                };
                seen.remove(&k);
            }
        }
        seen.insert(id.to_string(), exp);
        true
    }

    pub fn contains(&self, id: &str) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(id).is_some_and(|e| *e > now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_is_refused_and_capacity_is_bounded() {
        let r = Replay::new(2);
        let exp = now() + 60;
        assert!(r.first_use("a", exp));
        assert!(!r.first_use("a", exp));
        assert!(r.first_use("b", exp + 1));
        assert!(r.first_use("c", exp + 2));
        assert!(r.contains("c"));
        assert_eq!(r.seen.lock().map(|s| s.len()).unwrap_or(0), 2);
    }
}
