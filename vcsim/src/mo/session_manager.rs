//! SessionManager: `Login`, `Logout`, `SessionIsActive`, and the cookie →
//! session lookup every authenticated call goes through.

use std::time::Instant;

use vim25::{Fault, Value};

use crate::call::{Call, Reply};
use crate::events;
use crate::state::{Session, Shared, State};

/// `SessionManager.Login`: the `UserSession` and the new session cookie.
pub(crate) fn login(c: &Call) -> Result<(Value, String), Fault> {
    let user = c.opt_str("userName")?.unwrap_or_default();
    let password = c.opt_str("password")?.unwrap_or_default();
    c.shared
        .try_mutate(|st| open_session(&c.shared, st, user, password))
}

pub(crate) fn logout(c: &Call) -> Reply {
    if let Some(cookie) = &c.cookie {
        c.shared.try_mutate(|st| close_session(st, cookie))?;
    }
    Ok(None)
}

pub(crate) fn session_is_active(c: &Call) -> Reply {
    let id = c.opt_str("sessionID")?.unwrap_or_default();
    let user = c.opt_str("userName")?.unwrap_or_default();
    Ok(Some(Value::Bool(is_active(&c.read(), id, user))))
}

/// Finds the caller's session by cookie; an idle-expired one is dropped.
pub(crate) fn lookup(shared: &Shared, st: &mut State, cookie: Option<&str>) -> Option<Session> {
    let cookie = cookie?;
    let expired = match (st.sessions.get(cookie), shared.idle_timeout) {
        (Some(s), Some(t)) => s.last_active.elapsed() > t,
        (None, _) => return None,
        _ => false,
    };
    if expired {
        if let Some(s) = st.sessions.remove(cookie) {
            st.pc.sessions.remove(&s.key);
        }
        return None;
    }
    let s = st.sessions.get_mut(cookie)?;
    s.last_active = Instant::now();
    s.call_count += 1;
    Some(s.clone())
}

/// Whether `user`/`password` would log in: the configured pair, or any
/// non-empty user when none is configured. Also checks HTTP Basic auth.
pub(crate) fn accepts(shared: &Shared, user: &str, password: &str) -> bool {
    if let Some((u, p)) = &shared.credentials
        && (u != user || p != password)
    {
        return false;
    }
    !user.is_empty()
}

/// Checks the credentials and opens a session; returns the `UserSession` and
/// the new cookie value.
fn open_session(
    shared: &Shared,
    st: &mut State,
    user: &str,
    password: &str,
) -> Result<(Value, String), Fault> {
    if !accepts(shared, user, password) {
        return Err(Fault::invalid_login());
    }
    let cookie = uuid::Uuid::new_v4().to_string();
    let s = Session {
        key: uuid::Uuid::new_v4().to_string().to_uppercase(),
        user: user.to_string(),
        login_time: crate::now(),
        last_active: Instant::now(),
        call_count: 1,
    };
    let us = s.user_session();
    st.sessions.insert(cookie.clone(), s);
    st.login_count += 1;
    events::record(
        st,
        "UserLoginSessionEvent",
        user,
        format!("User {user}@127.0.0.1 logged in as vcsim"),
        None,
        None,
        None,
    )?;
    Ok((Value::data(us), cookie))
}

fn close_session(st: &mut State, cookie: &str) -> Result<(), Fault> {
    if let Some(s) = st.sessions.remove(cookie) {
        st.pc.sessions.remove(&s.key);
        events::record(
            st,
            "UserLogoutSessionEvent",
            &s.user,
            format!(
                "User {}@127.0.0.1 logged out (login time: {}, number of API invocations: {})",
                s.user, s.login_time, s.call_count
            ),
            None,
            None,
            None,
        )?;
    }
    Ok(())
}

fn is_active(st: &State, key: &str, user: &str) -> bool {
    st.sessions.values().any(|s| s.key == key && s.user == user)
}
