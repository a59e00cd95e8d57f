//! The first contact: until the API has answered once, a connection that cannot be made at
//! all (DNS, refused, TLS) is not a blip to retry six times but a wrong address, network,
//! proxy or trust store, which every other request would hit too. The request gets one more
//! try after the first retry's short backoff (under a second), which tells a blip from a
//! wall; a certificate the trust store refuses gets none (a second handshake meets the same
//! certificate). Then the run halts, as on a 401, with [`ApiError::Unreachable`] and the
//! hint `doctor` gives. Once the API has answered, a connection that cannot be made is
//! retried like any transport fault.

use std::sync::atomic::Ordering;

use super::Client;
use super::attempt::Failure;
use super::error::ApiError;

/// Attempts a request makes, before the API has ever answered, when no connection can be made.
pub const FIRST_CONTACT_ATTEMPTS: u32 = 2;

impl Client {
    /// Notes that the server answered (a status line came back): the first contact is made.
    pub(super) fn reached(&self) {
        self.reached.store(true, Ordering::Relaxed);
    }

    /// The error that ends the run when `failure`, the `sends`th attempt of the request to
    /// `path`, could not connect and the API has never answered and this request is out of
    /// first-contact attempts; `None` when the request goes on as usual.
    pub(super) fn never_reached(
        &self,
        path: &str,
        sends: u32,
        failure: &Failure,
    ) -> Option<ApiError> {
        let unreached = failure.unreached.as_ref()?;
        if self.reached.load(Ordering::Relaxed)
            || (!unreached.certificate && sends < FIRST_CONTACT_ATTEMPTS)
        {
            return None;
        }
        let host = match (self.base.host_str(), self.base.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => self.base.to_string(),
        };
        let mut error = ApiError::Unreachable {
            host,
            path: path.to_owned(),
            attempts: sends,
            cause: unreached.cause.clone(),
            certificate: unreached.certificate,
        };
        error.scrub(&self.scrubber);
        self.halt.refuse(error.clone());
        Some(error)
    }
}
