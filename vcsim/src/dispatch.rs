//! Method dispatch: authentication, receiver checks, and the lookup in the
//! method table (`methods.rs`). No method bodies live here; anything the
//! table does not list answers `MethodNotFound`, never a silent success.

use std::sync::Arc;

use vim25::{Fault, Request, Value, schema};

use crate::call::Call;
use crate::faults::Fired;
use crate::faults::gate::Held;
use crate::methods::{self, Handler};
use crate::mo::session_manager;
use crate::state::Shared;
use crate::tasks;

pub(crate) struct Outcome {
    pub result: Result<Option<Value>, Fault>,
    /// A new session cookie to hand out (after `Login`).
    pub set_cookie: Option<String>,
    /// A fault rule's `drop`/`drop_after`: close the connection, answer nothing.
    pub drop_connection: bool,
}

fn answer(result: Result<Option<Value>, Fault>) -> Outcome {
    Outcome {
        result,
        set_cookie: None,
        drop_connection: false,
    }
}

fn dropped() -> Outcome {
    Outcome {
        drop_connection: true,
        ..answer(Ok(None))
    }
}

/// PropertyFilters live in their session's PropertyCollector state, not in
/// the object model, so they are looked up by the methods that take them.
fn is_session_object(kind: &str) -> bool {
    kind == "PropertyFilter"
}

pub(crate) async fn dispatch(shared: &Arc<Shared>, cookie: Option<&str>, req: Request) -> Outcome {
    let Some(def) = schema().method(&req.method) else {
        return answer(Err(Fault::method_not_found(&req.this, &req.method)));
    };
    // The method must belong to the receiver's type (or a base of it).
    if !schema().is_subtype(&req.this.kind, &def.owner) {
        return answer(Err(Fault::method_not_found(&req.this, &req.method)));
    }
    let row = methods::lookup(&req.this.kind, &req.method);
    let session = {
        let checked = shared.bookkeeping(|st| {
            let s = session_manager::lookup(shared, st, cookie);
            if s.is_none() && !row.is_some_and(|r| r.public) {
                return Err(Fault::not_authenticated(&req.this));
            }
            if !is_session_object(&req.this.kind) && !st.objects.contains(&req.this) {
                return Err(Fault::managed_object_not_found(&req.this));
            }
            Ok(s)
        });
        match checked {
            Ok(s) => s,
            Err(f) => return answer(Err(f)),
        }
    };
    let Some(row) = row else {
        return answer(Err(Fault::method_not_found(&req.this, &req.method)));
    };
    let mut drop_after = false;
    // Fault injection (issue 14): one atomic load when nothing is set.
    if shared.faults.armed() {
        let plan = shared.faults.plan(&req.method, &req.this, || {
            shared.lock().objects.name(&req.this)
        });
        if shared.faults.gate.pause(plan.delay).await == Held::Abort {
            return dropped();
        }
        match plan.fired {
            None => {}
            Some(Fired::Drop) => return dropped(),
            Some(Fired::DropAfter) => drop_after = true,
            Some(Fired::Fault { fault, task: true }) => {
                let user = session.as_ref().map_or("vcsim", |s| s.user.as_str());
                let failed = tasks::submit(
                    shared,
                    user,
                    &req.method,
                    &req.this,
                    Box::new(|_| Err(fault)),
                );
                return answer(failed.map(|t| Some(Value::moref(t))));
            }
            Some(Fired::Fault { fault, task: false }) => return answer(Err(fault)),
        }
    }
    let call = Call {
        shared: shared.clone(),
        req,
        session,
        cookie: cookie.map(str::to_string),
    };
    let mut out = run(&row.handler, call).await;
    out.drop_connection = drop_after;
    out
}

/// Runs the method's handler.
async fn run(handler: &Handler, call: Call) -> Outcome {
    match handler {
        Handler::Sync(f) => answer(f(&call)),
        Handler::Login(f) => match f(&call) {
            Ok((v, c)) => Outcome {
                result: Ok(Some(v)),
                set_cookie: Some(c),
                drop_connection: false,
            },
            Err(e) => answer(Err(e)),
        },
        Handler::Async(f) => answer(f(call).await),
    }
}
