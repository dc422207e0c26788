//! ServiceInstance: the two calls a client makes before logging in.

use vim25::Value;

use crate::call::{Call, Reply};

pub(crate) fn retrieve_service_content(c: &Call) -> Reply {
    Ok(Some(Value::data(c.read().content.clone())))
}

pub(crate) fn current_time(_: &Call) -> Reply {
    Ok(Some(Value::from(crate::now())))
}
