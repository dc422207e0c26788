//! Task: `CancelTask`. On vCenter cancelling is a request: a task that
//! already ended is refused with `InvalidState`, one its method does not let
//! be cancelled (`info.cancelable` false) with `NotSupported`, and a
//! cancelable one gets `info.cancelled` set and ends, when it honours the
//! request, in `RequestCanceled`. Which methods' tasks are cancelable is
//! one list (`tasks::CANCELABLE`: clones, relocations, datastore copies and
//! moves, maintenance mode); a cancelled task stops at once without doing its work.

use vim25::{Fault, Value};

use crate::call::{Call, Reply, require};

/// `Task.CancelTask`.
pub(crate) fn cancel_task(c: &Call) -> Reply {
    let t = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &t)?;
        let state = st.objects.str_prop(&t, "info.state").unwrap_or_default();
        if state == "success" || state == "error" {
            return Err(Fault::invalid_state(format!(
                "The task {} has already completed ({state}) and cannot be cancelled",
                t.value
            )));
        }
        let cancelable = st
            .objects
            .prop(&t, "info.cancelable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !cancelable {
            let name = st.objects.str_prop(&t, "info.name").unwrap_or_default();
            return Err(Fault::new(
                "NotSupported",
                format!("The task {} ({name}) is not cancelable", t.value),
            ));
        }
        st.objects.set(&t, "info.cancelled", Value::from(true))
    })?;
    Ok(None)
}
