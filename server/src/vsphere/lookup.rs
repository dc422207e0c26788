//! Finding inventory objects by name: one container-view read of `name` per
//! lookup, matched here.

use vim25::MoRef;

use super::Client;
use crate::error::VsError;

impl Client {
    /// The object of `kind` named `name`, if there is one.
    pub async fn find_by_name(&self, kind: &str, name: &str) -> Result<Option<MoRef>, VsError> {
        let objs = self.list(kind, &["name"]).await?;
        Ok(objs.into_iter().find(|o| o.name() == name).map(|o| o.moref))
    }

    /// Like [`Client::find_by_name`], under `container` only.
    pub async fn find_in(
        &self,
        container: &MoRef,
        kind: &str,
        name: &str,
    ) -> Result<Option<MoRef>, VsError> {
        let objs = self.list_in(container, kind, &["name"]).await?;
        Ok(objs.into_iter().find(|o| o.name() == name).map(|o| o.moref))
    }
}
