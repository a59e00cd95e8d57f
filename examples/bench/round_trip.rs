//! The fake's real round trip: [`RTT_SAMPLES`] sequential requests timed over plain TCP, so
//! the floor can be recomputed at what a request really takes (latency, timer resolution and
//! loopback HTTP).

use std::time::{Duration, Instant};

use iru_fivetran_fake::FakeServer;

use crate::{KEY, SECRET};

/// Requests timed by [`round_trip`].
pub(crate) const RTT_SAMPLES: u32 = 50;

/// The mean time of a request to the fake, from connect to the last byte of the answer, over
/// [`RTT_SAMPLES`] sequential `GET /v1/account/info` (a small answer, as most are).
pub(crate) fn round_trip(fake: &FakeServer) -> Result<Duration, String> {
    use std::io::{Read as _, Write as _};
    let url = fake.api_url();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let auth = base64_basic(KEY, SECRET);
    let started = Instant::now();
    for _ in 0..RTT_SAMPLES {
        let mut stream = std::net::TcpStream::connect(&host).map_err(|e| format!("{host}: {e}"))?;
        write!(
            stream,
            "GET /v1/account/info HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
        )
        .and_then(|()| stream.read_to_end(&mut Vec::new()))
        .map_err(|e| format!("{host}: {e}"))?;
    }
    Ok(started.elapsed() / RTT_SAMPLES)
}

/// `key:secret` in base64, for the Basic authorization header.
fn base64_basic(key: &str, secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
}
