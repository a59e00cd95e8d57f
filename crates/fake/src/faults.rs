//! Faults the fake serves on request (the `faults` feature, for tests only): a canned answer
//! for a number of requests to a path ([`Fault`], [`crate::FakeServer::inject`]), misbehaving at
//! the transport level if asked ([`crate::Transport`]), a seeded random mix of them on a
//! few percent of all requests ([`Chaos`]), and a rate limit in front of it all ([`Limit`]).
//! A canned answer may echo the credentials it was sent ([`Fault::echoing`]: a server that
//! quotes what it got), or be a list whose cursor never ends ([`Fault::endless`]).

mod chaos;
mod limit;

pub use chaos::{Chaos, ChaosFault, ChaosServed};
pub(crate) use limit::Bucket;
pub use limit::Limit;

use std::cell::Cell;
use std::collections::HashMap;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::Frame;

use crate::routes::{self, Answer, query_param};
use crate::{Body, State, Transport};

/// The fault state of a running fake.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// The faults injected, each with the requests it still answers.
    pub injected: Vec<Fault>,
    /// Requests so far per path and query, so chaos draws do not depend on arrival order.
    pub seen: HashMap<String, u64>,
    /// The chaos faults served so far.
    pub served: Vec<ChaosServed>,
    /// Set while routing a request chaos picked for a repeated item; a list page takes it.
    pub duplicate: Cell<bool>,
    /// Set by the list page that repeated an item.
    pub duplicated: Cell<bool>,
    /// The rate limit, if any, and the origin of its clock (the first request).
    pub bucket: Option<Bucket>,
    pub origin: Option<tokio::time::Instant>,
}

/// A canned answer for requests to one path, served `times` times before the normal answer.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The request path, `/v1/...`, without the query.
    pub path: String,
    /// Only the request with this `cursor` query value (`None`: any).
    pub cursor: Option<String>,
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (bytes, so a test can send invalid UTF-8; cheap to clone when large).
    pub body: Bytes,
    /// How many requests get it.
    pub times: u32,
    /// Transport-level misbehaviour.
    pub transport: Transport,
    /// Whether [`ECHO_AUTHORIZATION`] and [`ECHO_CREDENTIALS`] in the body are replaced by what
    /// the request sent.
    pub echo: bool,
    /// Serve an endless list instead of the body: this many generated items a page, each page
    /// with a new `next_cursor`.
    pub endless: Option<usize>,
}

/// In the body of an echoing fault: replaced by the request's `Authorization` header value.
pub const ECHO_AUTHORIZATION: &str = "{{authorization}}";

/// In the body of an echoing fault: replaced by the `key:secret` the `Authorization` header
/// carries, decoded.
pub const ECHO_CREDENTIALS: &str = "{{credentials}}";

impl Fault {
    /// A fault with Fivetran's error envelope as its body.
    pub fn status(path: &str, status: u16, code: &str, message: &str) -> Self {
        Self {
            path: path.to_owned(),
            cursor: None,
            status,
            headers: Vec::new(),
            body: Bytes::from(serde_json::json!({"code": code, "message": message}).to_string()),
            times: 1,
            transport: Transport::Normal,
            echo: false,
            endless: None,
        }
    }

    /// Replaces [`ECHO_AUTHORIZATION`] and [`ECHO_CREDENTIALS`] in the body by what each
    /// request sent: a server that quotes the credentials back.
    pub fn echoing(mut self) -> Self {
        self.echo = true;
        self
    }

    /// A list at `path` whose cursor never ends: every page holds `per_page` new items
    /// (`{"id": "e<page>-<n>", "name": "item <page>-<n>"}`) and a fresh `next_cursor`. Served for every
    /// request to `path`.
    pub fn endless(path: &str, per_page: usize) -> Self {
        Self {
            endless: Some(per_page),
            times: u32::MAX,
            ..Self::status(path, 200, "", "")
        }
    }

    /// A fault at the transport level on an otherwise normal 200 answer of `body`.
    pub fn transport(path: &str, transport: Transport, body: &str) -> Self {
        Self {
            transport,
            ..Self::status(path, 200, "", "").body(body)
        }
    }

    /// Serves the fault `n` times.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: &str) -> Self {
        self.body = Bytes::from(body.to_owned());
        self
    }

    /// Replaces the body with raw bytes (invalid UTF-8, a huge body shared without copying).
    pub fn bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Applies only to the page requested with this cursor.
    pub fn on_cursor(mut self, cursor: &str) -> Self {
        self.cursor = Some(cursor.to_owned());
        self
    }
}

/// Answers an authorized GET: an injected fault first, else a chaos fault if one is drawn,
/// else the right answer. `authorization` is the request's header, for echoing faults.
pub(crate) fn answer(
    state: &mut State,
    path: &str,
    query: Option<&str>,
    authorization: Option<&str>,
) -> Answer {
    if let Some(bucket) = &mut state.faults.bucket {
        let origin = *state
            .faults
            .origin
            .get_or_insert_with(tokio::time::Instant::now);
        if !bucket.admit(origin.elapsed()) {
            return bucket.refusal();
        }
    }
    let cursor = query_param(query, "cursor");
    if let Some(i) =
        state.faults.injected.iter().position(|f| {
            f.times > 0 && f.path == path && (f.cursor.is_none() || f.cursor == cursor)
        })
    {
        let fault = &mut state.faults.injected[i];
        fault.times -= 1;
        let body = match fault.endless {
            Some(per_page) => endless_page(cursor.as_deref(), per_page),
            None if fault.echo => echoed(&fault.body, authorization),
            None => fault.body.clone(),
        };
        return Answer {
            status: fault.status,
            headers: fault.headers.clone(),
            body,
            transport: fault.transport,
        };
    }
    let Some(chaos) = state.options.chaos else {
        return routes::route(state, path, query);
    };
    let key = format!("{path}?{}", query.unwrap_or_default());
    let seen = state.faults.seen.entry(key).or_insert(0);
    let nth = *seen;
    *seen += 1;
    let Some(fault) = chaos.draw(path, query, nth) else {
        return routes::route(state, path, query);
    };
    let answer = match fault.replacement() {
        Some(replacement) => replacement,
        None if fault == ChaosFault::Truncated => Answer {
            transport: Transport::Truncate,
            ..routes::route(state, path, query)
        },
        None => {
            state.faults.duplicate.set(true);
            let answer = routes::route(state, path, query);
            state.faults.duplicate.set(false);
            if !state.faults.duplicated.replace(false) {
                // Not a list page, or an empty one: nothing to repeat, no fault served.
                return answer;
            }
            answer
        }
    };
    state.faults.served.push(ChaosServed {
        path: path.to_owned(),
        query: query.map(str::to_owned),
        nth,
        fault,
    });
    answer
}

/// `body` with the echo placeholders replaced by the request's credentials.
fn echoed(body: &Bytes, authorization: Option<&str>) -> Bytes {
    use base64::Engine as _;
    let header = authorization.unwrap_or_default();
    let pair = header
        .strip_prefix("Basic ")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    // Quoted as JSON string content, so that the body stays JSON whatever was sent.
    let quote = |s: &str| {
        let quoted = serde_json::Value::String(s.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    let text = String::from_utf8_lossy(body)
        .replace(ECHO_AUTHORIZATION, &quote(header))
        .replace(ECHO_CREDENTIALS, &quote(&pair));
    Bytes::from(text)
}

/// One page of an endless list: the page after `cursor` (`endless-<n>`), `per_page` items.
fn endless_page(cursor: Option<&str>, per_page: usize) -> Bytes {
    let page: u64 = cursor
        .and_then(|c| c.strip_prefix("endless-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let items: Vec<serde_json::Value> = (0..per_page)
        .map(|n| serde_json::json!({"id": format!("e{page}-{n}"), "name": format!("item {page}-{n}")}))
        .collect();
    let data = serde_json::json!({"items": items, "next_cursor": format!("endless-{}", page + 1)});
    Bytes::from(serde_json::json!({"code": "Success", "data": data}).to_string())
}

/// The body of an answer, misbehaving as its transport says; `Err` drops the connection.
pub(crate) async fn body(body: Bytes, transport: Transport) -> Result<Body, std::io::Error> {
    let cut = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "fault: connection cut");
    Ok(match transport {
        Transport::Reset => return Err(cut()),
        Transport::Stall(wait) => {
            tokio::time::sleep(wait).await;
            Full::new(body).map_err(|never| match never {}).boxed()
        }
        Transport::Trickle(every) => {
            // One byte at a time, `every` apart: a server that never stops sending yet never
            // finishes within a timeout.
            let bytes = futures::stream::unfold((body, 0usize), move |(body, at)| async move {
                if at >= body.len() {
                    return None;
                }
                tokio::time::sleep(every).await;
                let frame = Frame::data(body.slice(at..at + 1));
                Some((Ok(frame), (body, at + 1)))
            });
            StreamBody::new(bytes).boxed()
        }
        Transport::Truncate => {
            let half = body.slice(..body.len() / 2);
            let frames = vec![Ok(Frame::data(half)), Err(cut())];
            StreamBody::new(futures::stream::iter(frames)).boxed()
        }
        Transport::Normal => Full::new(body).map_err(|never| match never {}).boxed(),
    })
}
