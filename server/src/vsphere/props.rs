//! PropertyCollector reads: every read of many objects is one
//! `RetrievePropertiesEx` over a container view (plus `token` paging), never
//! one request per object.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use vim25::{Data, MoRef, Request, Value};

use super::Client;
use crate::error::VsError;

/// The property paths one read requests of objects of `kind` (or a
/// subtype). The client's read functions take only these, never loose
/// strings: every set is a `const` in [`crate::views`] (or here, for the
/// client's own reads) and registered in [`crate::views::ALL`], which a test
/// checks against the vim25 schema; in debug builds each read also checks
/// its paths against the schema for the object's actual type.
#[derive(Debug)]
pub struct PropSet {
    pub kind: &'static str,
    pub paths: &'static [&'static str],
}

impl PropSet {
    /// Paths of `self` the schema does not know on `kind` (empty when all
    /// resolve). `kind` is the type actually read, `self.kind` or a subtype.
    pub fn unknown_paths(&self, kind: &str) -> Vec<&'static str> {
        let schema = vim25::schema();
        self.paths
            .iter()
            .copied()
            .filter(|p| schema.path_type(kind, p).is_none())
            .collect()
    }

    /// Debug builds: fails loudly when a read would request a path the
    /// schema does not know (vCenter would answer `InvalidProperty`, or
    /// silently nothing for a misspelt nested field).
    fn debug_check(&self, kind: &str) {
        debug_assert!(
            vim25::schema().is_subtype(kind, self.kind),
            "reading {:?} (paths for {}) from a {kind}",
            self.paths,
            self.kind
        );
        debug_assert!(
            self.unknown_paths(kind).is_empty(),
            "{kind} has no properties {:?}",
            self.unknown_paths(kind)
        );
    }
}

/// Objects per PropertyCollector answer. vCenter caps a page on its own
/// too; asking for bounded pages keeps each SOAP body (and its decoded
/// tree) small at 10k+ VMs, while few enough round trips that paging costs
/// little: 10,000 VMs are 10 answers.
pub const PAGE_SIZE: usize = 1000;

/// Every managed entity's name: lookups by name and name resolution.
pub const NAME: PropSet = PropSet {
    kind: "ManagedEntity",
    paths: &["name"],
};

/// One object's requested properties, by the path asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Obj {
    pub moref: MoRef,
    pub props: HashMap<String, Value>,
}

impl Obj {
    /// The value at `path`: a property fetched under that exact path, or a
    /// field inside a fetched parent property (`config` → `config.uuid`).
    pub fn get(&self, path: &str) -> Option<&Value> {
        if let Some(v) = self.props.get(path) {
            return Some(v);
        }
        let mut best: Option<(&str, &Value)> = None;
        for (k, v) in &self.props {
            if path.len() > k.len()
                && path.starts_with(k.as_str())
                && path.as_bytes().get(k.len()) == Some(&b'.')
                && best.is_none_or(|(b, _)| k.len() > b.len())
            {
                best = Some((k, v));
            }
        }
        let (k, v) = best?;
        v.path(&path[k.len() + 1..])
    }
    pub fn str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }
    pub fn i64(&self, path: &str) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }
    pub fn bool(&self, path: &str) -> Option<bool> {
        self.get(path).and_then(Value::as_bool)
    }
    pub fn moref(&self, path: &str) -> Option<&MoRef> {
        self.get(path).and_then(Value::as_moref)
    }
    pub fn morefs(&self, path: &str) -> Vec<MoRef> {
        self.get(path)
            .map(|v| {
                v.as_array()
                    .iter()
                    .filter_map(Value::as_moref)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The inventory name (every managed entity has one).
    pub fn name(&self) -> &str {
        self.str("name").unwrap_or_default()
    }
}

fn path_set(paths: &[&str]) -> Value {
    Value::array(paths.iter().map(|p| Value::from(*p)).collect())
}

fn property_spec(kind: &str, set: &PropSet) -> Data {
    set.debug_check(kind);
    Data::new("PropertySpec")
        .with("type", kind)
        .with("all", false)
        .with("pathSet", path_set(set.paths))
}

fn object_content(v: &Value) -> Option<Obj> {
    let d = v.as_data()?;
    let moref = d.get("obj")?.as_moref()?.clone();
    let mut props = HashMap::new();
    if let Some(set) = d.get("propSet") {
        for p in set.as_array() {
            let Some(pd) = p.as_data() else { continue };
            let (Some(name), Some(val)) = (pd.get("name").and_then(Value::as_str), pd.get("val"))
            else {
                continue;
            };
            props.insert(name.to_string(), val.plain().clone());
        }
    }
    Some(Obj { moref, props })
}

impl Client {
    /// One `RetrievePropertiesEx` for `spec` (a `PropertyFilterSpec`), following `token` pages.
    pub async fn retrieve(&self, spec: Data) -> Result<Vec<Obj>, VsError> {
        let pc = self.content().await?.property_collector;
        let page_size = i32::try_from(self.inner.page_size).unwrap_or(i32::MAX);
        let req = Request::new("RetrievePropertiesEx", &pc)
            .arg("specSet", vec![Value::data(spec)])
            .arg(
                "options",
                Data::new("RetrieveOptions").with("maxObjects", page_size),
            );
        let mut out = vec![];
        let mut page = self.invoke(&req).await?;
        while let Some(result) = page {
            self.inner.pages.fetch_add(1, Ordering::Relaxed);
            if let Some(objs) = result.path("objects") {
                out.extend(objs.as_array().iter().filter_map(object_content));
            }
            let Some(token) = result.path("token").and_then(Value::as_str) else {
                break;
            };
            let next = Request::new("ContinueRetrievePropertiesEx", &pc).arg("token", token);
            page = self.invoke(&next).await?;
        }
        Ok(out)
    }

    /// The paths of `set` of one object.
    pub async fn properties(&self, obj: &MoRef, set: &PropSet) -> Result<Obj, VsError> {
        let spec = Data::new("PropertyFilterSpec")
            .with("propSet", vec![Value::data(property_spec(&obj.kind, set))])
            .with(
                "objectSet",
                vec![Value::data(Data::new("ObjectSpec").with("obj", obj))],
            );
        let mut objs = self.retrieve(spec).await?;
        match objs.iter().position(|o| &o.moref == obj) {
            Some(i) => Ok(objs.swap_remove(i)),
            None => Err(VsError::Fault(vim25::Fault::managed_object_not_found(obj))),
        }
    }

    /// The paths of `set` of several objects (of any kinds under
    /// `set.kind`) in one round trip.
    pub async fn properties_of(&self, objs: &[MoRef], set: &PropSet) -> Result<Vec<Obj>, VsError> {
        if objs.is_empty() {
            return Ok(vec![]);
        }
        let mut kinds: Vec<&str> = objs.iter().map(|o| o.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let spec = Data::new("PropertyFilterSpec")
            .with(
                "propSet",
                Value::array(
                    kinds
                        .iter()
                        .map(|k| Value::data(property_spec(k, set)))
                        .collect(),
                ),
            )
            .with(
                "objectSet",
                Value::array(
                    objs.iter()
                        .map(|o| Value::data(Data::new("ObjectSpec").with("obj", o)))
                        .collect(),
                ),
            );
        self.retrieve(spec).await
    }

    /// The paths of `set` of every object of `kind` (`set.kind` or a
    /// subtype) in the inventory.
    pub async fn list(&self, kind: &str, set: &PropSet) -> Result<Vec<Obj>, VsError> {
        let root = self.content().await?.root_folder;
        self.list_in(&root, kind, set).await
    }

    /// The paths of `set` of every object of `kind` under `container`
    /// (recursive), in one round trip over a cached container view.
    pub async fn list_in(
        &self,
        container: &MoRef,
        kind: &str,
        set: &PropSet,
    ) -> Result<Vec<Obj>, VsError> {
        let mut attempt = 0;
        loop {
            let (view, generation) = self.view(container, kind).await?;
            let traverse = Data::new("TraversalSpec")
                .with("name", "traverseView")
                .with("type", "ContainerView")
                .with("path", "view")
                .with("skip", false);
            let spec = Data::new("PropertyFilterSpec")
                .with("propSet", vec![Value::data(property_spec(kind, set))])
                .with(
                    "objectSet",
                    vec![Value::data(
                        Data::new("ObjectSpec")
                            .with("obj", &view)
                            .with("skip", true)
                            .with("selectSet", vec![Value::data(traverse)]),
                    )],
                );
            match self.retrieve(spec).await {
                Ok(objs) => return Ok(objs),
                // A view dies with its session: after a re-login (or if vCenter
                // dropped it) make a fresh one, once.
                Err(e) if attempt == 0 => {
                    let stale = e.is("ManagedObjectNotFound")
                        || self.generation().await.is_ok_and(|g| g != generation);
                    if !stale {
                        return Err(e);
                    }
                    self.forget_view(container, kind).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn view(&self, container: &MoRef, kind: &str) -> Result<(MoRef, u64), VsError> {
        if let Some(v) = self.cached_view(container, kind).await {
            return Ok(v);
        }
        let generation = self.generation().await?;
        let vm = self
            .content()
            .await?
            .view_manager
            .ok_or_else(|| VsError::Protocol("this endpoint has no ViewManager".into()))?;
        let req = Request::new("CreateContainerView", &vm)
            .arg("container", container)
            .arg("type", vec![kind])
            .arg("recursive", true);
        let view = self
            .invoke(&req)
            .await?
            .as_ref()
            .and_then(Value::as_moref)
            .cloned()
            .ok_or_else(|| VsError::Protocol("CreateContainerView returned no view".into()))?;
        self.remember_view(container, kind, view.clone(), generation)
            .await;
        Ok((view, generation))
    }
}
