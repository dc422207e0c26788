//! A VM's snapshot tree as vCenter shows it: `snapshot` (a
//! `VirtualMachineSnapshotInfo`: `currentSnapshot` and the
//! `rootSnapshotList` of `VirtualMachineSnapshotTree`s) and `rootSnapshot`,
//! kept in step with the `VirtualMachineSnapshot` objects' `childSnapshot`.
//! The tree is read into [`Node`]s, changed, and written back whole, so the
//! VM's two properties and the snapshot objects cannot disagree.

use vim25::{Data, Fault, MoRef, Value};

use crate::state::State;

/// One snapshot of the tree: its `VirtualMachineSnapshotTree` without the
/// child list, and its children.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) info: Data,
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn snapshot(&self) -> Option<&MoRef> {
        self.info.get("snapshot").and_then(Value::as_moref)
    }

    pub(crate) fn id(&self) -> i64 {
        self.info.get("id").and_then(Value::as_i64).unwrap_or(0)
    }

    fn from_value(v: &Value) -> Option<Node> {
        let mut info = v.as_data()?.clone();
        let children = info
            .remove("childSnapshotList")
            .map(|l| l.as_array().iter().filter_map(Node::from_value).collect())
            .unwrap_or_default();
        Some(Node { info, children })
    }

    fn to_value(&self) -> Value {
        let mut d = self.info.clone();
        if !self.children.is_empty() {
            d.set(
                "childSnapshotList",
                Value::array(self.children.iter().map(Node::to_value).collect()),
            );
        }
        Value::data(d)
    }

    /// This snapshot and every one below it.
    pub(crate) fn all(&self) -> Vec<MoRef> {
        let mut out: Vec<MoRef> = self.snapshot().cloned().into_iter().collect();
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }
}

/// A VM's whole tree and which snapshot is current.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tree {
    pub(crate) roots: Vec<Node>,
    pub(crate) current: Option<MoRef>,
}

impl Tree {
    pub(crate) fn read(st: &State, vm: &MoRef) -> Tree {
        let roots = st
            .objects
            .prop(vm, "snapshot.rootSnapshotList")
            .map(|l| l.as_array().iter().filter_map(Node::from_value).collect())
            .unwrap_or_default();
        let current = st.objects.ref_prop(vm, "snapshot.currentSnapshot");
        Tree { roots, current }
    }

    /// Writes the tree to the VM and each snapshot object's `childSnapshot`;
    /// an empty tree unsets `snapshot` and `rootSnapshot`, as vCenter does.
    pub(crate) fn write(&self, st: &mut State, vm: &MoRef) -> Result<(), Fault> {
        if self.roots.is_empty() {
            st.objects.unset(vm, "snapshot")?;
            return st.objects.unset(vm, "rootSnapshot");
        }
        let mut info = Data::new("VirtualMachineSnapshotInfo");
        if let Some(c) = &self.current {
            info.set("currentSnapshot", c);
        }
        info.set(
            "rootSnapshotList",
            Value::array(self.roots.iter().map(Node::to_value).collect()),
        );
        st.objects.set(vm, "snapshot", Value::data(info))?;
        let roots: Vec<MoRef> = self
            .roots
            .iter()
            .filter_map(|n| n.snapshot().cloned())
            .collect();
        st.objects.set(vm, "rootSnapshot", Value::from(roots))?;
        fn children(st: &mut State, nodes: &[Node]) -> Result<(), Fault> {
            for n in nodes {
                if let Some(s) = n.snapshot() {
                    let kids: Vec<MoRef> = n
                        .children
                        .iter()
                        .filter_map(|c| c.snapshot().cloned())
                        .collect();
                    st.objects.set(s, "childSnapshot", Value::from(kids))?;
                }
                children(st, &n.children)?;
            }
            Ok(())
        }
        children(st, &self.roots)
    }

    pub(crate) fn find(&self, s: &MoRef) -> Option<&Node> {
        fn walk<'a>(nodes: &'a [Node], s: &MoRef) -> Option<&'a Node> {
            nodes.iter().find_map(|n| {
                if n.snapshot() == Some(s) {
                    Some(n)
                } else {
                    walk(&n.children, s)
                }
            })
        }
        walk(&self.roots, s)
    }

    pub(crate) fn find_mut(&mut self, s: &MoRef) -> Option<&mut Node> {
        fn walk<'a>(nodes: &'a mut [Node], s: &MoRef) -> Option<&'a mut Node> {
            for n in nodes {
                if n.snapshot() == Some(s) {
                    return Some(n);
                }
                if let Some(f) = walk(&mut n.children, s) {
                    return Some(f);
                }
            }
            None
        }
        walk(&mut self.roots, s)
    }

    /// The parent of `s`; `None` for a root (or an unknown snapshot).
    pub(crate) fn parent_of(&self, s: &MoRef) -> Option<MoRef> {
        fn walk(nodes: &[Node], s: &MoRef) -> Option<MoRef> {
            nodes.iter().find_map(|n| {
                if n.children.iter().any(|c| c.snapshot() == Some(s)) {
                    n.snapshot().cloned()
                } else {
                    walk(&n.children, s)
                }
            })
        }
        walk(&self.roots, s)
    }

    /// The next `id`: one above every id in the tree. (ESXi counts from the
    /// `.vmsd` file's `lastUID`; without files, an id is reused only once
    /// every newer snapshot is gone.)
    pub(crate) fn next_id(&self) -> i64 {
        fn max(nodes: &[Node]) -> i64 {
            nodes
                .iter()
                .map(|n| n.id().max(max(&n.children)))
                .max()
                .unwrap_or(0)
        }
        max(&self.roots) + 1
    }

    /// Adds `node` below the current snapshot (a root when there is none)
    /// and makes it current.
    pub(crate) fn add(&mut self, node: Node) {
        let s = node.snapshot().cloned();
        let parent = self.current.clone();
        match parent.as_ref().and_then(|p| self.find_mut(p)) {
            Some(p) => p.children.push(node),
            None => self.roots.push(node),
        }
        self.current = s;
    }

    /// Takes `s` out of the tree: with its subtree, or with its children
    /// moved up into its place. Returns the snapshots that are gone. When the
    /// current snapshot goes, its parent (the removed one's parent) becomes current.
    pub(crate) fn remove(&mut self, s: &MoRef, with_children: bool) -> Vec<MoRef> {
        fn walk(nodes: &mut Vec<Node>, s: &MoRef, with_children: bool) -> Option<Vec<MoRef>> {
            if let Some(i) = nodes.iter().position(|n| n.snapshot() == Some(s)) {
                let n = nodes.remove(i);
                if with_children {
                    return Some(n.all());
                }
                let gone = n.snapshot().cloned().into_iter().collect();
                for (j, c) in n.children.into_iter().enumerate() {
                    nodes.insert(i + j, c);
                }
                return Some(gone);
            }
            nodes
                .iter_mut()
                .find_map(|n| walk(&mut n.children, s, with_children))
        }
        let parent = self.parent_of(s);
        let gone = walk(&mut self.roots, s, with_children).unwrap_or_default();
        if self.current.as_ref().is_some_and(|c| gone.contains(c)) {
            self.current = parent;
        }
        gone
    }

    pub(crate) fn all(&self) -> Vec<MoRef> {
        self.roots.iter().flat_map(Node::all).collect()
    }
}
