//! A seeded random mix of faults: with [`Chaos`] set, the fake answers a few percent of
//! requests with a fault drawn from [`ChaosFault::ALL`] instead of (or on top of) the right
//! answer.
//!
//! Every fault in the mix is one a correct client survives by retrying or by dropping a
//! repeated item, so a run against it must end either complete with every item exactly once,
//! or partial with the reason. 401, 403 and 404 are left out: they change what the right
//! answer is.
//!
//! The draw for a request depends only on the seed, its path and query, and how many requests
//! with that path and query came before it. Concurrent requests arriving in another order
//! therefore meet the same faults, and a seed reproduces its run.

use bytes::Bytes;

use crate::Transport;
use crate::routes::{Answer, error};

/// Makes the fake answer about `percent` percent of requests with a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chaos {
    /// Picks which requests fail and how.
    pub seed: u64,
    /// The share of requests that meet a fault, in percent (0 to 100).
    pub percent: u8,
}

/// One kind of fault in the chaos mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChaosFault {
    /// 429 with `Retry-After: 1`.
    RateLimitedRetryAfter,
    /// 429 without `Retry-After`.
    RateLimited,
    /// 500 with Fivetran's error envelope.
    InternalError,
    /// 502 with Fivetran's error envelope.
    BadGateway,
    /// 503 with Fivetran's error envelope.
    Unavailable,
    /// 504 with Fivetran's error envelope.
    GatewayTimeout,
    /// 502 with a proxy's HTML page.
    HtmlBadGateway,
    /// 200 with an empty body.
    EmptyBody,
    /// The right answer, cut after half its body ([`Transport::Truncate`]).
    Truncated,
    /// The connection closed before any answer ([`Transport::Reset`]).
    Reset,
    /// 200 with JSON that has no `data`.
    NoData,
    /// The right page of a list, with one item of the list repeated on it (an item of the
    /// previous page, else of the next, else of the page itself). Only list pages get it.
    Duplicate,
}

impl ChaosFault {
    /// Every fault of the mix, each drawn as often as the others.
    pub const ALL: [ChaosFault; 12] = [
        ChaosFault::RateLimitedRetryAfter,
        ChaosFault::RateLimited,
        ChaosFault::InternalError,
        ChaosFault::BadGateway,
        ChaosFault::Unavailable,
        ChaosFault::GatewayTimeout,
        ChaosFault::HtmlBadGateway,
        ChaosFault::EmptyBody,
        ChaosFault::Truncated,
        ChaosFault::Reset,
        ChaosFault::NoData,
        ChaosFault::Duplicate,
    ];

    /// The answer that replaces the right one, or `None` for the faults that alter the right
    /// answer instead ([`ChaosFault::Truncated`], [`ChaosFault::Duplicate`]).
    pub(crate) fn replacement(self) -> Option<Answer> {
        let status = |status: u16, code: &str| {
            Some(error(
                status,
                code,
                "chaos: a fault injected by the fake server",
            ))
        };
        let raw = |status: u16, body: &'static str, transport: Transport| {
            Some(Answer {
                status,
                headers: Vec::new(),
                body: Bytes::from_static(body.as_bytes()),
                transport,
            })
        };
        match self {
            ChaosFault::RateLimitedRetryAfter => status(429, "TooManyRequests").map(|mut a| {
                a.headers.push(("retry-after".into(), "1".into()));
                a
            }),
            ChaosFault::RateLimited => status(429, "TooManyRequests"),
            ChaosFault::InternalError => status(500, "InternalServerError"),
            ChaosFault::BadGateway => status(502, "BadGateway"),
            ChaosFault::Unavailable => status(503, "ServiceUnavailable"),
            ChaosFault::GatewayTimeout => status(504, "GatewayTimeout"),
            ChaosFault::HtmlBadGateway => raw(
                502,
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
                Transport::Normal,
            ),
            ChaosFault::EmptyBody => raw(200, "", Transport::Normal),
            ChaosFault::Reset => raw(200, "", Transport::Reset),
            ChaosFault::NoData => raw(200, r#"{"code":"Success"}"#, Transport::Normal),
            ChaosFault::Truncated | ChaosFault::Duplicate => None,
        }
    }
}

/// A chaos fault the fake served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosServed {
    /// The request path, `/v1/...`.
    pub path: String,
    /// The raw query string.
    pub query: Option<String>,
    /// Which request with this path and query it was (0 for the first).
    pub nth: u64,
    /// The fault.
    pub fault: ChaosFault,
}

impl Chaos {
    /// The fault for the `nth` request (0 for the first) with this path and query, if any.
    pub fn draw(&self, path: &str, query: Option<&str>, nth: u64) -> Option<ChaosFault> {
        let mut h = mix(self.seed ^ 0x6a09_e667_f3bc_c908);
        for byte in path
            .bytes()
            .chain([b'?'])
            .chain(query.unwrap_or("").bytes())
        {
            h = mix(h ^ u64::from(byte));
        }
        h = mix(h ^ nth);
        if h % 10_000 >= u64::from(self.percent.min(100)) * 100 {
            return None;
        }
        let pick = mix(h) % ChaosFault::ALL.len() as u64;
        Some(ChaosFault::ALL[pick as usize])
    }
}

/// splitmix64's finalizer: a cheap, well-spread 64-bit mix (deterministic everywhere, unlike
/// the standard library's hashers).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
