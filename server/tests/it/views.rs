//! Every property path the server requests exists in the vim25 schema on
//! the type it is read from, so a typo fails here instead of reading as
//! `null` for a user.

use std::path::Path;

use mcvsphere::views::ALL;
use mcvsphere::vsphere::PropSet;

#[test]
fn every_requested_property_path_is_in_the_schema() {
    let schema = vim25::schema();
    for set in ALL {
        assert!(
            schema.is_managed(set.kind),
            "{} is not a managed type",
            set.kind
        );
        assert!(!set.paths.is_empty(), "{}: a read of nothing", set.kind);
        for path in set.paths {
            assert!(
                schema.path_type(set.kind, path).is_some(),
                "{} has no property path {path}",
                set.kind
            );
        }
        assert_eq!(set.unknown_paths(set.kind), Vec::<&str>::new());
    }
}

#[test]
fn a_misspelt_path_is_caught() {
    let typo = PropSet {
        kind: "VirtualMachine",
        paths: &["name", "config.hardware.numCpu", "runtime.powerstate"],
    };
    assert_eq!(
        typo.unknown_paths("VirtualMachine"),
        ["config.hardware.numCpu", "runtime.powerstate"]
    );
    // Inherited properties resolve on subtypes: `name` is ManagedEntity's.
    assert!(
        mcvsphere::vsphere::NAME
            .unknown_paths("HostSystem")
            .is_empty()
    );
}

/// Every `PropSet` the sources build is a registered constant in
/// `views::ALL`, so the schema test above sees every path the server can
/// request (a literal made inside a function would escape it).
#[test]
fn every_property_set_in_the_sources_is_registered() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut declared = vec![];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for line in text.lines().map(str::trim) {
                    if !line.contains("PropSet {") || line.starts_with("//") {
                        continue;
                    }
                    if line.starts_with("pub struct PropSet") || line.starts_with("impl PropSet") {
                        continue;
                    }
                    assert!(
                        line.starts_with("pub const ") && line.ends_with(": PropSet = PropSet {"),
                        "{}: a PropSet that is not a registered constant: {line}",
                        p.display()
                    );
                    declared.push(format!("{}: {line}", p.display()));
                }
            }
        }
    }
    let mut distinct: Vec<*const PropSet> = ALL.iter().map(|s| *s as *const PropSet).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ALL.len(), "a set is registered twice");
    assert_eq!(
        declared.len(),
        ALL.len(),
        "PropSet constants and views::ALL disagree; declared: {declared:#?}"
    );
}
