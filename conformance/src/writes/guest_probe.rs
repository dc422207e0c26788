//! What the guest checks read back: the simulated guest's own file system
//! and process table in-process, otherwise the server's guest read tools
//! (read_guest_file, list_guest_directory, list_guest_processes).

use anyhow::{Result, bail};
use base64::Engine;
use serde_json::{Value as Json, json};

use super::Probe;
use crate::session::Session;

/// A guest account the checks log in with. Its `Debug` hides the password.
#[derive(Clone)]
pub struct GuestLogin {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for GuestLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestLogin")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl GuestLogin {
    /// The simulator's default guest account (its fixture's `root`).
    pub fn simulator() -> Self {
        GuestLogin {
            user: "root".into(),
            password: "vmware".into(),
        }
    }

    /// `extra` with the VM and this login added.
    pub(super) fn args(&self, vm: &str, extra: Json) -> Json {
        let mut a = json!({"name": vm, "username": self.user, "password": self.password});
        if let (Json::Object(into), Json::Object(from)) = (&mut a, extra) {
            into.extend(from);
        }
        a
    }
}

/// One guest process as the checks need it: ended yet, and how.
#[derive(Debug, PartialEq)]
pub struct GuestProcess {
    pub ended: bool,
    pub exit_code: Option<i64>,
}

async fn guest_read(s: &Session, tool: &str, args: Json) -> Result<Option<Json>> {
    let o = s.call(tool, args).await?;
    if o.is_error {
        if o.text.contains("not found") {
            return Ok(None);
        }
        bail!("{tool}: {}", o.text);
    }
    Ok(o.structured)
}

impl Probe<'_> {
    /// The bytes of a guest file; `None` if it does not exist.
    pub async fn guest_file(
        &self,
        vm: &str,
        login: &GuestLogin,
        path: &str,
    ) -> Result<Option<Vec<u8>>> {
        match self {
            Probe::Sim(sim) => Ok(sim.guest_file(&Probe::sim_vm(sim, vm)?, path)),
            Probe::Server(s) => {
                let args = login.args(vm, json!({"guest_path": path}));
                let Some(r) = guest_read(s, "read_guest_file", args).await? else {
                    return Ok(None);
                };
                let content = r.get("content").and_then(Json::as_str).unwrap_or_default();
                Ok(Some(match r.get("encoding").and_then(Json::as_str) {
                    Some("base64") => base64::engine::general_purpose::STANDARD.decode(content)?,
                    _ => content.as_bytes().to_vec(),
                }))
            }
        }
    }

    /// The names in a guest directory; `None` if it does not exist.
    pub async fn guest_dir(
        &self,
        vm: &str,
        login: &GuestLogin,
        path: &str,
    ) -> Result<Option<Vec<String>>> {
        match self {
            Probe::Sim(sim) => Ok(sim.guest_dir(&Probe::sim_vm(sim, vm)?, path)),
            Probe::Server(s) => {
                let args = login.args(vm, json!({"guest_path": path}));
                let Some(r) = guest_read(s, "list_guest_directory", args).await? else {
                    return Ok(None);
                };
                let items = r
                    .get("result")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                Ok(Some(
                    items
                        .iter()
                        .filter_map(|i| i.get("name").and_then(Json::as_str))
                        .filter(|n| *n != "." && *n != "..")
                        .map(str::to_string)
                        .collect(),
                ))
            }
        }
    }

    /// The guest process `pid`, if the guest still lists it.
    pub async fn guest_process(
        &self,
        vm: &str,
        login: &GuestLogin,
        pid: i64,
    ) -> Result<Option<GuestProcess>> {
        match self {
            Probe::Sim(sim) => Ok(sim
                .guest_processes(&Probe::sim_vm(sim, vm)?)
                .into_iter()
                .find(|p| p.pid == pid)
                .map(|p| GuestProcess {
                    ended: p.end.is_some(),
                    exit_code: p.exit_code.map(i64::from),
                })),
            Probe::Server(s) => {
                let args = login.args(vm, json!({}));
                let Some(r) = guest_read(s, "list_guest_processes", args).await? else {
                    return Ok(None);
                };
                let items = r
                    .get("result")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                Ok(items
                    .iter()
                    .find(|p| p["pid"] == pid)
                    .map(|p| GuestProcess {
                        ended: !p["end_time"].is_null(),
                        exit_code: p["exit_code"].as_i64(),
                    }))
            }
        }
    }
}
