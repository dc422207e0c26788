//! The undo journal behind "state changes commit only on success".
//!
//! While a transaction is open, the first change to an object records the
//! object as it was (or that it did not exist). Rolling back puts those
//! originals back; committing drops them. Only touched objects are copied,
//! so a task over a 10,000-VM inventory costs the objects it changes, not a
//! copy of the whole state. Transactions nest: a task's operation runs in an
//! inner one inside the change that records the task's outcome.

use std::collections::HashMap;

use vim25::Str;
use vim25::hash::FastHash;

use crate::model::Object;

/// One open transaction: the original of every object it touched, by id.
#[derive(Debug, Default)]
struct Level {
    originals: HashMap<String, Option<Object>>,
    /// First-touch order, so derived properties are refreshed deterministically.
    order: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Journal {
    levels: Vec<Level>,
}

impl Journal {
    pub(crate) fn is_open(&self) -> bool {
        !self.levels.is_empty()
    }

    pub(crate) fn begin(&mut self) {
        self.levels.push(Level::default());
    }

    /// Notes `id` as changed; `original` is called only on its first change.
    pub(crate) fn record(&mut self, id: &str, original: impl FnOnce() -> Option<Object>) {
        let Some(level) = self.levels.last_mut() else {
            return;
        };
        if !level.originals.contains_key(id) {
            level.originals.insert(id.to_string(), original());
            level.order.push(id.to_string());
        }
    }

    /// Closes the innermost transaction keeping its changes; an enclosing one
    /// inherits the originals it had not recorded yet. Returns the ids touched
    /// when the outermost transaction closes, else nothing.
    pub(crate) fn commit(&mut self) -> Vec<String> {
        let Some(level) = self.levels.pop() else {
            return vec![];
        };
        match self.levels.last_mut() {
            Some(outer) => {
                let mut originals = level.originals;
                for id in level.order {
                    if let Some(orig) = originals.remove(&id)
                        && !outer.originals.contains_key(&id)
                    {
                        outer.originals.insert(id.clone(), orig);
                        outer.order.push(id);
                    }
                }
                vec![]
            }
            None => level.order,
        }
    }

    /// Closes the innermost transaction, restoring what it changed.
    pub(crate) fn rollback(&mut self, map: &mut HashMap<Str, Object, FastHash>) {
        let Some(level) = self.levels.pop() else {
            return;
        };
        for (id, orig) in level.originals {
            match orig {
                Some(o) => {
                    map.insert(o.moref.value.clone(), o);
                }
                None => {
                    map.remove(id.as_str());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use vim25::{Data, MoRef, Value};

    use crate::model::Objects;

    fn store() -> (Objects, MoRef) {
        let mut o = Objects::default();
        let f = MoRef::new("Folder", "group-1");
        o.insert(f.clone(), Data::new("Folder").with("name", "f"));
        (o, f)
    }

    #[test]
    fn rollback_restores_changed_inserted_and_removed_objects() {
        let (mut o, f) = store();
        let gone = MoRef::new("Folder", "group-2");
        o.insert(gone.clone(), Data::new("Folder").with("name", "g"));
        o.begin();
        o.set(&f, "name", Value::from("renamed"))
            .expect("known path");
        let new = MoRef::new("Folder", "group-3");
        o.insert(new.clone(), Data::new("Folder").with("name", "n"));
        o.remove(&gone);
        o.rollback();
        assert_eq!(o.name(&f), "f");
        assert!(!o.contains(&new));
        assert_eq!(o.name(&gone), "g");
        assert_eq!(o.len(), 2);
        assert!(!o.in_transaction());
    }

    #[test]
    fn inner_rollback_keeps_outer_changes_and_outer_commit_reports_them() {
        let (mut o, f) = store();
        o.begin();
        o.set(&f, "name", Value::from("outer")).expect("known path");
        o.begin();
        o.set(&f, "name", Value::from("inner")).expect("known path");
        let new = MoRef::new("Folder", "group-3");
        o.insert(new.clone(), Data::new("Folder"));
        o.rollback();
        assert_eq!(o.name(&f), "outer");
        assert!(!o.contains(&new));
        o.begin();
        o.insert(new.clone(), Data::new("Folder"));
        assert!(o.commit().is_empty(), "an inner commit reports nothing");
        assert_eq!(o.commit(), vec![f.clone(), new.clone()]);
        assert!(o.contains(&new));
    }

    #[test]
    fn outer_rollback_undoes_committed_inner_changes() {
        let (mut o, f) = store();
        o.begin();
        o.begin();
        o.set(&f, "name", Value::from("inner")).expect("known path");
        o.commit();
        o.rollback();
        assert_eq!(o.name(&f), "f");
    }
}
