//! What a request can end with, once retries are spent. Every message in it that came from
//! the server or the network passes through [`ApiError::scrub`] before anything logs, stores
//! or shows it.

use crate::text::Scrubber;

/// A request that did not give a usable answer. `path` is the percent-encoded path under `/v1`,
/// so it never holds a control character or a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: the key or secret is wrong. Stops the run.
    #[error(
        "Fivetran refused the API key and secret (401 on GET /v1{path}): {message}\nhint: check that the key and secret are current (regenerating the secret in the dashboard invalidates the old one) and copied whole"
    )]
    Unauthorized {
        /// Where.
        path: String,
        /// Fivetran's message.
        message: String,
    },
    /// No connection could be made to the API (DNS, refused, TLS) before it ever answered:
    /// the address, the network or the proxy is wrong, and every other request would fail the
    /// same way. Stops the run, as a 401 does.
    #[error(
        "cannot reach the Fivetran API at {host}: GET /v1{path} failed after {attempts} attempt(s) without an answer, and nothing else was asked: {cause}\nhint: {}",
        unreachable_hint(*certificate)
    )]
    Unreachable {
        /// The API's host (and port, if not the scheme's).
        host: String,
        /// The request that found it out.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// What the connection ended with (the resolver's, the socket's or TLS's words).
        cause: String,
        /// The server's certificate is not trusted.
        certificate: bool,
    },
    /// 403: this key may not read this.
    #[error("403 {code} on GET /v1{path}: {message}")]
    Forbidden {
        /// Where.
        path: String,
        /// Fivetran's `code`.
        code: String,
        /// Fivetran's message (often names the permission needed).
        message: String,
    },
    /// 404 with a `NotFound*` code: the item does not exist (any more).
    #[error("404 {code} on GET /v1{path}: {message}")]
    NotFound {
        /// Where.
        path: String,
        /// Fivetran's `code`, e.g. `NotFound_Connection`.
        code: String,
        /// Fivetran's message.
        message: String,
    },
    /// Any other non-success status, after retries where the status is retryable.
    #[error("HTTP {status} on GET /v1{path} after {attempts} attempt(s): {message}")]
    Status {
        /// Where.
        path: String,
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// Fivetran's code and message, or a description of the body.
        message: String,
    },
    /// No usable response (network, timeout, cut-short or undecodable body) after retries.
    #[error("GET /v1{path} failed after {attempts} attempt(s): {message}")]
    Transport {
        /// Where.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// What went wrong last.
        message: String,
    },
    /// The body was larger than the tool accepts.
    #[error("GET /v1{path} answered more than {limit} bytes, the most one response may hold")]
    TooLarge {
        /// Where.
        path: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// Retrying would take the run past `--max-wait`: stopped instead of hanging.
    #[error(
        "GET /v1{path}: {asker} asks for a wait of {asked} s, which would take the run past --max-wait ({limit} s){}; stopped instead of waiting (raise --max-wait to wait longer); last answer: {last}",
        spent_note(*.spent)
    )]
    WaitLimit {
        /// Where.
        path: String,
        /// The wait asked for, in seconds.
        asked: u64,
        /// What asked for it.
        asker: &'static str,
        /// `--max-wait` in seconds.
        limit: u64,
        /// Seconds of it already spent waiting or lost in attempts that timed out.
        spent: u64,
        /// The answer that would have been retried.
        last: Box<ApiError>,
    },
    /// The run stopped waiting (a 429 asked for more than the wait budget left): every request
    /// left fails at once with the cause.
    #[error("GET /v1{path}: the run stopped before this request was answered: {cause}")]
    Stopped {
        /// Where.
        path: String,
        /// Why the run stopped: the [`ApiError::WaitLimit`] of the 429.
        cause: Box<ApiError>,
    },
    /// The run reached its deadline (`--max-time`) with this request waiting or in flight.
    #[error(
        "GET /v1{path}: the run reached its deadline (--max-time {limit} s) before an answer; stopped (raise --max-time to allow longer)"
    )]
    Deadline {
        /// Where.
        path: String,
        /// `--max-time` in seconds.
        limit: u64,
    },
    /// Sending would take Fivetran's hourly quota below the reserve left to other tools.
    #[error(
        "GET /v1{path} not sent: the hourly quota left (about {remaining} requests) is at the reserve of {reserve} kept for other tools, and {why} (lower --reserve, or run later)"
    )]
    QuotaReserve {
        /// Where.
        path: String,
        /// Why waiting does not help.
        why: &'static str,
        /// The estimated remaining quota.
        remaining: u64,
        /// The reserve in requests.
        reserve: u64,
    },
    /// A list whose cursors loop or never end.
    #[error("GET /v1{path}: {message}")]
    Pagination {
        /// Where.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// What to check when the API cannot be reached: where the address comes from, the network,
/// the proxy, the trust store (`doctor` says the same).
pub const NETWORK_HINT: &str = "check --api-url (it must end in /v1), the network and HTTPS_PROXY; behind a proxy that re-signs TLS, pass --ca-cert PATH";

fn unreachable_hint(certificate: bool) -> &'static str {
    if certificate {
        "the server's TLS certificate is not trusted: if a company proxy re-signs TLS, pass its CA certificate with --ca-cert PATH; otherwise check --api-url (it must end in /v1) and HTTPS_PROXY"
    } else {
        NETWORK_HINT
    }
}

/// What of the wait budget was already gone, if any.
fn spent_note(spent: u64) -> String {
    match spent {
        0 => String::new(),
        s => format!(" after {s} s already spent waiting or lost in attempts that timed out"),
    }
}

impl ApiError {
    /// Removes every secret `scrubber` holds from the text this error carries (Fivetran's code
    /// and message, a transport error's description, the answer wrapped by a wait-limit
    /// error). Returns whether anything was removed.
    pub fn scrub(&mut self, scrubber: &Scrubber) -> bool {
        match self {
            ApiError::Unauthorized { message, .. }
            | ApiError::Status { message, .. }
            | ApiError::Transport { message, .. }
            | ApiError::Pagination { message, .. } => scrubber.scrub_string(message),
            ApiError::Unreachable { cause, .. } => scrubber.scrub_string(cause),
            ApiError::Forbidden { code, message, .. }
            | ApiError::NotFound { code, message, .. } => {
                let code = scrubber.scrub_string(code);
                scrubber.scrub_string(message) || code
            }
            ApiError::WaitLimit { last, .. } => last.scrub(scrubber),
            ApiError::Stopped { cause, .. } => cause.scrub(scrubber),
            ApiError::TooLarge { .. }
            | ApiError::QuotaReserve { .. }
            | ApiError::Deadline { .. } => false,
        }
    }

    /// Whether the whole run must stop (the credentials are refused, or the API could not be
    /// reached at all).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ApiError::Unauthorized { .. } | ApiError::Unreachable { .. }
        )
    }

    /// Whether the item is gone (deleted between list and detail, or never configured).
    pub fn not_found_code(&self) -> Option<&str> {
        match self {
            ApiError::NotFound { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Fivetran's message for a 403, if this is one.
    pub fn forbidden_message(&self) -> Option<&str> {
        match self {
            ApiError::Forbidden { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether this 403 says the account does not have the feature (its plan, or a feature
    /// not switched on), rather than that the key lacks a permission: evidence that does not
    /// exist here, not evidence the key may not read.
    pub fn feature_not_enabled(&self) -> bool {
        self.forbidden_message()
            .is_some_and(says_feature_not_enabled)
    }
}

/// The phrases of a 403 that is about the account's plan or features, not the key's
/// permissions, matched without case. Fivetran documents that plan-gated features (external
/// logging, Hybrid Deployment, private links...) may answer 403, but not the wording
/// ([inferred], `docs/reliability.md`): these are the usual forms of such messages. A 403
/// that matches none stays `forbidden`, with the permission to grant: the cautious reading.
const FEATURE_PHRASES: [&str; 7] = [
    "not enabled for this account",
    "is not enabled for the account",
    "not available on your plan",
    "not available for your plan",
    "not included in your plan",
    "upgrade your plan",
    "feature is not available",
];

/// Whether a 403 message says the feature is not the account's.
pub fn says_feature_not_enabled(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    FEATURE_PHRASES.iter().any(|p| message.contains(p))
}

#[cfg(test)]
mod tests;
