//! Finding inventory objects by name. A miss costs one container-view read of
//! `name` over all objects of the kind; every name that read returns is
//! remembered, so later lookups cost one small read that confirms the object
//! still exists under that name. A vCenter with thousands of VMs would
//! otherwise pay a full scan on every tool call.

use vim25::MoRef;

use super::Client;
use super::props::{NAME, Obj, PropSet};
use crate::error::VsError;

impl Client {
    /// The object of `kind` named `name`, if there is one.
    pub async fn find_by_name(&self, kind: &str, name: &str) -> Result<Option<MoRef>, VsError> {
        Ok(self.read_by_name(kind, name, &NAME).await?.map(|o| o.moref))
    }

    /// The object of `kind` named `name` with the paths of `set`, which
    /// must include `name`: a remembered object is confirmed by this same
    /// read, so a hit costs one round trip instead of a check and a read.
    pub async fn read_by_name(
        &self,
        kind: &str,
        name: &str,
        set: &PropSet,
    ) -> Result<Option<Obj>, VsError> {
        debug_assert!(set.paths.contains(&"name"), "{set:?} cannot confirm a name");
        let key = (kind.to_string(), name.to_string());
        let cached = self.names().get(&key).cloned();
        if let Some(m) = cached {
            match self.properties(&m, set).await {
                Ok(o) if o.name() == name => return Ok(Some(o)),
                // Renamed or gone since: forget it and scan.
                Ok(_) => {}
                Err(VsError::Fault(f)) if f.is("ManagedObjectNotFound") => {}
                Err(e) => return Err(e),
            }
            self.names().remove(&key);
        }
        let Some(found) = self.scan(kind, name).await? else {
            return Ok(None);
        };
        if set.paths == NAME.paths {
            return Ok(Some(found));
        }
        self.properties(&found.moref, set).await.map(Some)
    }

    /// One read of every name of `kind`, all remembered; the first object named `name`.
    async fn scan(&self, kind: &str, name: &str) -> Result<Option<Obj>, VsError> {
        let objs = self.list(kind, &NAME).await?;
        let mut found = None;
        let mut names = self.names();
        for o in objs {
            let n = o.name().to_string();
            // First object of a name wins, as in the scan itself.
            names
                .entry((kind.to_string(), n.clone()))
                .or_insert_with(|| o.moref.clone());
            if found.is_none() && n == name {
                found = Some(o);
            }
        }
        if found.is_none() {
            names.remove(&(kind.to_string(), name.to_string()));
        }
        Ok(found)
    }

    /// Like [`Client::find_by_name`], under `container` only (not cached:
    /// these lookups are rare and scoped).
    pub async fn find_in(
        &self,
        container: &MoRef,
        kind: &str,
        name: &str,
    ) -> Result<Option<MoRef>, VsError> {
        let objs = self.list_in(container, kind, &NAME).await?;
        Ok(objs.into_iter().find(|o| o.name() == name).map(|o| o.moref))
    }

    fn names(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(String, String), MoRef>> {
        // A panic while holding this lock cannot leave the map inconsistent
        // (each operation is a single insert/remove), so poisoning is ignored.
        self.inner
            .names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
