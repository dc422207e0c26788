//! A VM's snapshot tree, read with its name and power state in one
//! PropertyCollector round trip (`snapshot` is the whole
//! `VirtualMachineSnapshotInfo`), flattened for `list_snapshots` and for
//! finding a snapshot by name.

use serde_json::{Value as Json, json};
use vim25::{MoRef, Value};

use crate::vsphere::{Obj, PropSet};

/// The VM's name (to confirm a lookup), power and Tools state (for
/// quiescing) and snapshot tree.
pub const TREE: PropSet = PropSet {
    kind: "VirtualMachine",
    paths: &[
        "name",
        "runtime.powerState",
        "guest.toolsRunningStatus",
        "snapshot",
    ],
};

/// One snapshot of the tree, with its parent's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Snap {
    pub snapshot: MoRef,
    pub name: String,
    pub description: String,
    pub id: i64,
    pub created: String,
    /// The power state the VM was in (`poweredOff` for a disk-only snapshot).
    pub state: String,
    pub quiesced: bool,
    pub parent: Option<String>,
    pub current: bool,
    /// How many snapshots hang directly below this one.
    pub children: usize,
}

impl Snap {
    pub fn json(&self) -> Json {
        json!({
            "name": self.name,
            "description": self.description,
            "id": self.id,
            "created": self.created,
            "state": self.state,
            "quiesced": self.quiesced,
            "parent": self.parent,
            "is_current": self.current,
            "children": self.children,
        })
    }
}

/// The tree in depth-first order (parents before their children).
pub fn flatten(o: &Obj) -> Vec<Snap> {
    let current = o.moref("snapshot.currentSnapshot").cloned();
    let mut out = vec![];
    if let Some(roots) = o.get("snapshot.rootSnapshotList") {
        walk(roots.as_array(), None, current.as_ref(), &mut out);
    }
    out
}

fn walk(nodes: &[Value], parent: Option<&str>, current: Option<&MoRef>, out: &mut Vec<Snap>) {
    for n in nodes {
        let Some(d) = n.as_data() else { continue };
        let Some(snapshot) = d.get("snapshot").and_then(Value::as_moref).cloned() else {
            continue;
        };
        let s = |f: &str| {
            d.get(f)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kids = d
            .get("childSnapshotList")
            .map(Value::as_array)
            .unwrap_or(&[]);
        let name = s("name");
        out.push(Snap {
            current: current == Some(&snapshot),
            snapshot,
            name: name.clone(),
            description: s("description"),
            id: d.get("id").and_then(Value::as_i64).unwrap_or_default(),
            created: s("createTime"),
            state: s("state"),
            quiesced: d.get("quiesced").and_then(Value::as_bool).unwrap_or(false),
            parent: parent.map(str::to_string),
            children: kids.len(),
        });
        walk(kids, Some(&name), current, out);
    }
}
