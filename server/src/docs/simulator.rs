//! The simulator's method page: which vSphere methods the embedded vcsim
//! answers, read from its method table (`vcsim::methods()`), so the page
//! cannot claim a method the simulator lacks or miss one it gained.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CONTENT, Page, frontmatter};

pub(super) fn methods_page() -> Page {
    let rows = vcsim::methods();
    let mut by_type: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (kind, method) in &rows {
        by_type.entry(kind).or_default().push(method);
    }
    let mut s = frontmatter(
        "Simulated methods",
        "Every vSphere API method the simulator implements, by managed type.",
    );
    let _ = writeln!(
        s,
        "The simulator implements these {} methods of the vSphere Web Services API (vim25), \
         listed by the managed type they are implemented for; a method listed on a type is served on \
         its subtypes too (`Rename_Task` on every `ManagedEntity`). Any other method answers \
         the `MethodNotFound` fault, as vCenter does for a method it does not have. \
         `vcsim --list-methods` prints the same table.\n",
        rows.len()
    );
    s.push_str("| managed type | methods |\n|---|---|\n");
    for (kind, mut methods) in by_type {
        methods.sort_unstable();
        let list: Vec<String> = methods.iter().map(|m| format!("`{m}`")).collect();
        let _ = writeln!(s, "| `{kind}` | {} |", list.join(", "));
    }
    Page {
        path: format!("{CONTENT}/simulator/methods.md"),
        text: s,
    }
}
