//! Method dispatch: authentication, receiver checks, and the method table.
//! Anything not listed answers `MethodNotFound`, never a silent success.

use std::sync::Arc;
use std::time::Duration;

use vim25::{Data, Fault, MoRef, Request, Value, schema};

use crate::state::{Session, Shared};
use crate::vm_methods::{self, arg_ref};
use crate::{events, property_collector as pc, search_index, session, view};

pub struct Outcome {
    pub result: Result<Option<Value>, Fault>,
    /// A new session cookie to hand out (after `Login`).
    pub set_cookie: Option<String>,
}

fn ok(result: Result<Option<Value>, Fault>) -> Outcome {
    Outcome {
        result,
        set_cookie: None,
    }
}

/// Methods a client may call before logging in.
fn is_public(method: &str) -> bool {
    matches!(method, "RetrieveServiceContent" | "CurrentTime" | "Login")
}

fn arg_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

pub async fn dispatch(shared: &Arc<Shared>, cookie: Option<&str>, req: Request) -> Outcome {
    let Some(def) = schema().method(&req.method) else {
        return ok(Err(Fault::method_not_found(&req.this, &req.method)));
    };
    // The method must belong to the receiver's type (or a base of it).
    if !schema().is_subtype(&req.this.kind, &def.owner) {
        return ok(Err(Fault::method_not_found(&req.this, &req.method)));
    }
    let session = {
        let mut st = shared.lock();
        let s = session::lookup(shared, &mut st, cookie);
        if s.is_none() && !is_public(&req.method) {
            return ok(Err(Fault::not_authenticated(&req.this)));
        }
        if req.this.kind != "PropertyFilter" && !st.objects.contains(&req.this) {
            return ok(Err(Fault::managed_object_not_found(&req.this)));
        }
        s
    };
    let user = session.as_ref().map(|s| s.user.clone()).unwrap_or_default();
    match req.method.as_str() {
        "Login" => {
            let user = arg_str(&req, "userName").unwrap_or_default();
            let password = arg_str(&req, "password").unwrap_or_default();
            match shared.mutate(|st| session::login(shared, st, user, password)) {
                Ok((us, c)) => Outcome {
                    result: Ok(Some(us)),
                    set_cookie: Some(c),
                },
                Err(f) => ok(Err(f)),
            }
        }
        "WaitForUpdates" | "WaitForUpdatesEx" | "CheckForUpdates" => {
            let version = arg_str(&req, "version").unwrap_or_default().to_string();
            let wait = match req.method.as_str() {
                "WaitForUpdates" => None,
                "CheckForUpdates" => Some(Duration::ZERO),
                _ => req
                    .get("options")
                    .and_then(|o| o.path("maxWaitSeconds"))
                    .and_then(Value::as_i64)
                    .map(|s| Duration::from_secs(s.max(0) as u64)),
            };
            let r = pc::wait_for_updates(shared, session, version, wait).await;
            ok(r)
        }
        _ => ok(call(shared, session.as_ref(), &user, cookie, &req)),
    }
}

fn call(
    shared: &Arc<Shared>,
    session: Option<&Session>,
    user: &str,
    cookie: Option<&str>,
    req: &Request,
) -> Result<Option<Value>, Fault> {
    let this = &req.this;
    match req.method.as_str() {
        "RetrieveServiceContent" => Ok(Some(Value::Data(shared.lock().content.clone()))),
        "CurrentTime" => Ok(Some(Value::from(crate::now()))),
        "Logout" => {
            if let Some(c) = cookie {
                shared.mutate(|st| session::logout(st, c));
            }
            Ok(None)
        }
        "SessionIsActive" => {
            let id = arg_str(req, "sessionID").unwrap_or_default();
            let u = arg_str(req, "userName").unwrap_or_default();
            Ok(Some(Value::Bool(session::is_active(&shared.lock(), id, u))))
        }
        "Fetch" => {
            let prop = arg_str(req, "prop").ok_or_else(|| Fault::invalid_argument("prop"))?;
            let st = shared.lock();
            if this.kind == "PropertyFilter" {
                pc::filter_property(&st, session, this, prop)
            } else {
                pc::read(&st, session, this, prop)
            }
        }
        "RetrieveProperties" => {
            let specs = req
                .get("specSet")
                .ok_or_else(|| Fault::invalid_argument("specSet"))?;
            pc::retrieve_properties(&shared.lock(), session, specs)
        }
        "RetrievePropertiesEx" => {
            let specs = req
                .get("specSet")
                .ok_or_else(|| Fault::invalid_argument("specSet"))?;
            pc::retrieve_properties_ex(&mut shared.lock(), session, specs, req.get("options"))
        }
        "ContinueRetrievePropertiesEx" => {
            let token = arg_str(req, "token").ok_or_else(|| Fault::invalid_argument("token"))?;
            pc::continue_retrieve(&mut shared.lock(), session, token)
        }
        "CancelRetrievePropertiesEx" => {
            let token = arg_str(req, "token").ok_or_else(|| Fault::invalid_argument("token"))?;
            pc::cancel_retrieve(&mut shared.lock(), session, token)
        }
        "CreateFilter" => {
            let spec = req
                .get("spec")
                .and_then(Value::as_data)
                .ok_or_else(|| Fault::invalid_argument("spec"))?;
            let partial = req
                .get("partialUpdates")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            shared.mutate(|st| pc::create_filter(st, session, spec, partial))
        }
        "DestroyPropertyFilter" => shared.mutate(|st| pc::destroy_filter(st, session, this)),
        "CancelWaitForUpdates" => Ok(None),
        "CreateContainerView" => {
            let container =
                arg_ref(req, "container").ok_or_else(|| Fault::invalid_argument("container"))?;
            let types = req.get("type").map(Value::strings).unwrap_or_default();
            let recursive = req
                .get("recursive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            shared.mutate(|st| view::create_container_view(st, &container, types, recursive))
        }
        "DestroyView" => shared.mutate(|st| view::destroy_view(st, this)),
        "QueryEvents" => {
            events::query(&shared.lock(), req.get("filter").and_then(Value::as_data)).map(Some)
        }
        m if m.starts_with("Find") && this.kind == "SearchIndex" => {
            let st = shared.lock();
            search_index::call(&st, m, &req.args)
        }
        "Reload" => Ok(None),
        "PowerOnVM_Task" | "PowerOffVM_Task" | "SuspendVM_Task" | "ResetVM_Task" => {
            vm_methods::power(shared, user, req)
        }
        "ShutdownGuest" | "RebootGuest" | "StandbyGuest" => {
            vm_methods::guest_power(shared, user, req)
        }
        "Destroy_Task" if this.kind == "VirtualMachine" => vm_methods::destroy(shared, user, req),
        "Rename_Task" => vm_methods::rename(shared, user, req),
        "ReconfigVM_Task" => vm_methods::reconfigure(shared, user, req),
        "CreateVM_Task" => vm_methods::create_vm(shared, user, req),
        "CloneVM_Task" => vm_methods::clone_vm(shared, user, req),
        "MarkAsTemplate" | "MarkAsVirtualMachine" => vm_methods::template(shared, req),
        "CreateFolder" => create_folder(shared, this, arg_str(req, "name")),
        _ => Err(Fault::method_not_found(this, &req.method)),
    }
}

/// `Folder.CreateFolder`: a child folder with the parent's child types.
fn create_folder(
    shared: &Arc<Shared>,
    parent: &MoRef,
    name: Option<&str>,
) -> Result<Option<Value>, Fault> {
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Fault::invalid_argument("name"))?;
    shared.mutate(|st| {
        if let Some(other) = st.objects.child_named(parent, name) {
            return Err(Fault::duplicate_name(name, &other));
        }
        let child_type = st
            .objects
            .prop(parent, "childType")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let f = MoRef::new("Folder", &st.new_id("group"));
        st.objects.insert(
            f.clone(),
            Data::new("Folder")
                .with("name", name)
                .with("parent", parent)
                .with("childType", child_type)
                .with("childEntity", Value::Array(vec![]))
                .with("overallStatus", "green")
                .with("configStatus", "green"),
        );
        st.objects.push_ref(parent, "childEntity", &f);
        Ok(Some(Value::MoRef(f)))
    })
}
