//! `GuestAuthManager`: `ValidateCredentialsInGuest`, the login check every
//! guest operation starts with, on its own.

use super::login;
use crate::call::{Call, Reply};

pub(crate) fn validate_credentials(c: &Call) -> Reply {
    login(&c.read(), c)?;
    Ok(None)
}
