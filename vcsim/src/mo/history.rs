//! What event and task history collectors share (`HistoryCollector`): the
//! page size, a read position, and the methods that move it. A collector
//! does not copy what it collects: each read filters the current log, so
//! events recorded after it was made show up as on vCenter.
//!
//! The position is a gap between items, named by the key of the item just
//! before it (keys grow with time): `ReadNext*` returns the items after the
//! gap, oldest first, and moves the gap past them; `ReadPrevious*` returns
//! those before it, newest first, and moves it before them. A new collector
//! starts rewound (before the oldest item, so reading next walks the whole
//! history, as govmomi's does); `ResetCollector` puts the gap just before
//! the latest page. `latestPage` is the newest `pageSize` items, newest
//! first, stored on the collector and brought up to date after every change
//! while any collector exists (`refresh_pages`, from `derive.rs`).

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply};
use crate::state::State;

/// vCenter's default and largest page sizes, and its collector limit per session.
pub(crate) const DEFAULT_PAGE: usize = 10;
const MAX_PAGE: i64 = 1000;
const MAX_COLLECTORS: usize = 32;

#[derive(Clone, Debug)]
pub(crate) struct Cursor {
    /// The session that made the collector; its collectors count against
    /// [`MAX_COLLECTORS`].
    pub session: String,
    pub page_size: usize,
    /// The key of the item just before the gap; 0 before the first.
    pub after: i64,
}

/// One collected item with its ordering key.
pub(crate) type Item = (i64, Value);

/// What a collector collects, in ascending key order.
pub(crate) fn items(st: &State, m: &MoRef) -> Result<Vec<Item>, Fault> {
    let filter = st
        .objects
        .prop(m, "filter")
        .and_then(Value::as_data)
        .cloned()
        .unwrap_or_else(|| Data::new("EventFilterSpec"));
    match m.kind.as_str() {
        "EventHistoryCollector" => crate::mo::event_history_collector::items(st, &filter),
        _ => crate::mo::task_history_collector::items(st, &filter),
    }
}

fn cursor(st: &State, m: &MoRef) -> Result<Cursor, Fault> {
    st.monitor
        .collectors
        .get(m.value.as_str())
        .cloned()
        .ok_or_else(|| Fault::managed_object_not_found(m))
}

/// `latestPage`: the newest `pageSize` items, newest first.
fn latest_page(st: &State, m: &MoRef) -> Result<Value, Fault> {
    let c = cursor(st, m)?;
    let all = items(st, m)?;
    Ok(Value::array(
        all.into_iter()
            .rev()
            .take(c.page_size)
            .map(|(_, v)| v)
            .collect(),
    ))
}

/// Rewrites every collector's `latestPage` where it changed.
pub(crate) fn refresh_pages(st: &mut State) -> Result<(), Fault> {
    let mut ids: Vec<String> = st.monitor.collectors.keys().cloned().collect();
    ids.sort_unstable();
    for id in ids {
        let Some(m) = st.objects.moref_of(&id) else {
            continue;
        };
        let page = latest_page(st, &m)?;
        if st.objects.prop(&m, "latestPage") != Some(&page) {
            st.objects.set(&m, "latestPage", page)?;
        }
    }
    Ok(())
}

/// Makes a collector of `kind` with `filter` for the caller's session.
pub(crate) fn create(c: &Call, kind: &str, filter: Data) -> Reply {
    let session = c
        .session
        .as_ref()
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let m = c.shared.try_mutate(|st| {
        let mine = st
            .monitor
            .collectors
            .iter()
            .filter(|(id, cur)| cur.session == session && id.starts_with(prefix(kind)))
            .count();
        if mine >= MAX_COLLECTORS {
            return Err(Fault::invalid_state(format!(
                "This session already has {MAX_COLLECTORS} {kind}s, the most vCenter allows; destroy one first"
            )));
        }
        let m = MoRef::new(kind, &st.new_id(prefix(kind)));
        let mut props = Data::new(kind).with("filter", filter);
        if kind == "EventHistoryCollector" {
            props.set("initialized", true);
        }
        st.objects.insert(m.clone(), props);
        st.monitor.collectors.insert(
            m.value.to_string(),
            Cursor {
                session: session.clone(),
                page_size: DEFAULT_PAGE,
                after: 0,
            },
        );
        Ok(m)
    });
    Ok(Some(Value::moref(m?)))
}

fn prefix(kind: &str) -> &'static str {
    if kind == "EventHistoryCollector" {
        "eventCollector"
    } else {
        "taskCollector"
    }
}

/// A `maxCount` as vCenter checks it: 1 to 1000 for reads, 0 (the default) to 1000 for pages.
fn count(c: &Call, min: i64) -> Result<usize, Fault> {
    let v = c
        .value("maxCount")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fault::invalid_argument("maxCount"))?;
    if !(min..=MAX_PAGE).contains(&v) {
        return Err(Fault::new(
            "InvalidArgument",
            format!("A specified parameter was not correct: maxCount {v} (it must be {min} to {MAX_PAGE})"),
        )
        .with("invalidProperty", "maxCount"));
    }
    Ok(v as usize)
}

/// `ReadNextEvents` / `ReadNextTasks`.
pub(crate) fn read_next(c: &Call) -> Reply {
    let max = count(c, 1)?;
    let m = c.this().clone();
    c.shared.bookkeeping(|st| {
        let cur = cursor(st, &m)?;
        let page: Vec<Item> = items(st, &m)?
            .into_iter()
            .filter(|(k, _)| *k > cur.after)
            .take(max)
            .collect();
        if let (Some((last, _)), Some(c)) =
            (page.last(), st.monitor.collectors.get_mut(m.value.as_str()))
        {
            c.after = *last;
        }
        Ok(Some(Value::array(
            page.into_iter().map(|(_, v)| v).collect(),
        )))
    })
}

/// `ReadPreviousEvents` / `ReadPreviousTasks`.
pub(crate) fn read_previous(c: &Call) -> Reply {
    let max = count(c, 1)?;
    let m = c.this().clone();
    c.shared.bookkeeping(|st| {
        let cur = cursor(st, &m)?;
        let page: Vec<Item> = items(st, &m)?
            .into_iter()
            .rev()
            .filter(|(k, _)| *k <= cur.after)
            .take(max)
            .collect();
        if let (Some((last, _)), Some(c)) =
            (page.last(), st.monitor.collectors.get_mut(m.value.as_str()))
        {
            c.after = *last - 1;
        }
        Ok(Some(Value::array(
            page.into_iter().map(|(_, v)| v).collect(),
        )))
    })
}

/// `HistoryCollector.SetCollectorPageSize(maxCount)`: 0 means the default (10).
pub(crate) fn set_page_size(c: &Call) -> Reply {
    let n = count(c, 0)?;
    let m = c.this().clone();
    // A change, not bookkeeping: `latestPage` follows the new size.
    c.shared.try_mutate(|st| {
        let cur = st
            .monitor
            .collectors
            .get_mut(m.value.as_str())
            .ok_or_else(|| Fault::managed_object_not_found(&m))?;
        cur.page_size = if n == 0 { DEFAULT_PAGE } else { n };
        let page = latest_page(st, &m)?;
        st.objects.set(&m, "latestPage", page)?;
        Ok(None)
    })
}

/// `HistoryCollector.RewindCollector`: before the oldest item.
pub(crate) fn rewind(c: &Call) -> Reply {
    let m = c.this().clone();
    c.shared.bookkeeping(|st| {
        let cur = st
            .monitor
            .collectors
            .get_mut(m.value.as_str())
            .ok_or_else(|| Fault::managed_object_not_found(&m))?;
        cur.after = 0;
        Ok(None)
    })
}

/// `HistoryCollector.ResetCollector`: just before the latest page.
pub(crate) fn reset(c: &Call) -> Reply {
    let m = c.this().clone();
    c.shared.bookkeeping(|st| {
        let cur = cursor(st, &m)?;
        let all = items(st, &m)?;
        let before = all
            .len()
            .checked_sub(cur.page_size + 1)
            .and_then(|i| all.get(i))
            .map(|(k, _)| *k)
            .unwrap_or(0);
        if let Some(c) = st.monitor.collectors.get_mut(m.value.as_str()) {
            c.after = before;
        }
        Ok(None)
    })
}

/// `HistoryCollector.DestroyCollector`.
pub(crate) fn destroy(c: &Call) -> Reply {
    let m = c.this().clone();
    c.shared.try_mutate(|st| {
        if st.monitor.collectors.remove(m.value.as_str()).is_none() {
            return Err(Fault::managed_object_not_found(&m));
        }
        st.objects.remove(&m);
        Ok(None)
    })
}
