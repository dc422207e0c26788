//! `EventManager.CreateCollectorForEvents` and what an
//! EventHistoryCollector collects: the events its `EventFilterSpec` selects
//! (`event_manager::matching`: time, type/eventTypeId, entity with
//! recursion, user, category, chain), keyed by event key.

use vim25::{Data, Fault, Value};

use crate::call::{Call, Reply, require};
use crate::mo::history::{self, Item};
use crate::state::State;

/// `EventManager.CreateCollectorForEvents(filter)`.
pub(crate) fn create_collector_for_events(c: &Call) -> Reply {
    let filter = c.data("filter")?.clone();
    if let Some(e) = filter.path("entity.entity").and_then(Value::as_moref) {
        require(&c.read(), e)?;
    }
    history::create(c, "EventHistoryCollector", filter)
}

pub(crate) fn items(st: &State, filter: &Data) -> Result<Vec<Item>, Fault> {
    let mut f = filter.clone();
    // A collector pages through everything; maxCount limits QueryEvents only.
    f.remove("maxCount");
    let mut out: Vec<Item> = crate::mo::event_manager::selected(st, &f)
        .into_iter()
        .map(|e| {
            let key = e.get("key").and_then(Value::as_i64).unwrap_or(0);
            (key, Value::data(e.clone()))
        })
        .collect();
    out.reverse();
    Ok(out)
}
