//! The one judgement of a per-connection endpoint that Fivetran may not offer to every account
//! (sync history, a connection's active errors): what its first answer says about all the
//! others.
//!
//! Such an endpoint is read for the first connection alone. If that first request is refused
//! in a way that speaks of the endpoint rather than of the connection (a status the endpoint's
//! [`Offer`] lists, a `NotFound` whose code does not name the connection, a 403), the same answer
//! is taken for every connection and nothing more is asked: [`refusal`] turns it into the
//! status and reason that stand for all of them. A `NotFound_Connection` (the connection was
//! deleted during the run), a 5xx or a network error says nothing about the endpoint, and the
//! others are read.

use crate::client::ApiError;
use crate::vocab::{Collected, Status};

/// The `NotFound` codes that mean the connection itself is gone, not the endpoint.
pub const CONNECTION_GONE: [&str; 2] = ["NotFound_Connection", "NotFound_Connector"];

/// How an endpoint that may not be offered says so.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// The statuses (besides a `NotFound` that does not name the connection) that mean the
    /// endpoint is not offered here.
    pub statuses: &'static [u16],
    /// Why "unavailable" is not a failure, ending the reason.
    pub not_offered: &'static str,
}

/// What the first request's `error` says about the endpoint for every connection: unavailable
/// for one of `offer`'s statuses, a `NotFound` that does not name the connection or a 403 that
/// says the account does not have the feature; forbidden for any other 403; `None` when it
/// says nothing about the endpoint (read the others).
pub fn refusal(error: &ApiError, offer: &Offer) -> Option<Collected> {
    let unavailable = |answer: String| Collected {
        status: Status::Unavailable,
        reason: Some(format!("{answer}: {}", offer.not_offered)),
        ..Collected::default()
    };
    match error {
        ApiError::Status {
            path,
            status,
            message,
            ..
        } if offer.statuses.contains(status) => Some(unavailable(format!(
            "GET /v1{path} answered {status} {message}"
        ))),
        ApiError::NotFound {
            path,
            code,
            message,
        } if !CONNECTION_GONE.contains(&code.as_str()) => Some(unavailable(format!(
            "GET /v1{path} answered 404 {code}: {message}"
        ))),
        ApiError::Forbidden { message, .. } if error.feature_not_enabled() => Some(unavailable(
            format!("Fivetran says the account does not have this feature: {message}"),
        )),
        ApiError::Forbidden { .. } => Some(Collected {
            status: Status::Forbidden,
            reason: Some(error.to_string()),
            ..Collected::default()
        }),
        _ => None,
    }
}

/// Whether `error` says the connection asked about was deleted during the run.
pub fn connection_gone(error: &ApiError) -> bool {
    error
        .not_found_code()
        .is_some_and(|c| CONNECTION_GONE.contains(&c))
}
