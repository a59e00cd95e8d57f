//! A server that quotes the credentials back: error bodies at 401, 403, 404 and 500, and list
//! items, that echo the `Authorization` header and the decoded `key:secret` (the fake's
//! echoing faults fill them in from each request). Nothing of the secret may reach stderr,
//! stdout, the bundle (manifest, reasons, items), the run summary or `doctor --format json`:
//! every run here goes through `support::run`, which fails on any of them.

use iru_fivetran_fake::{ECHO_AUTHORIZATION, ECHO_CREDENTIALS, FakeServer, Fault};
use serde_json::{Value, json};

use crate::support::{self, KEY, SECRET, acme, collect, run, server};

/// An error body that quotes the request's credentials, in its code and its message.
fn echo_body(code: &str) -> String {
    json!({
        "code": format!("{code} {ECHO_CREDENTIALS}"),
        "message": format!(
            "you sent Authorization: {ECHO_AUTHORIZATION}, which is {ECHO_CREDENTIALS}; secret {ECHO_CREDENTIALS}"
        ),
    })
    .to_string()
}

fn echoing(path: &str, status: u16, code: &str) -> Fault {
    Fault::status(path, status, "", "")
        .body(&echo_body(code))
        .echoing()
        .times(100)
}

/// The fake really echoes: the body a request gets holds the secret (so that the runs below
/// test something).
#[test]
fn the_echoing_fake_quotes_the_secret_it_was_sent() {
    let fake = server(acme());
    fake.inject(echoing("/v1/roles", 403, "Forbidden"));
    let client = support::fake_client(&fake, 1000.0);
    let error = support::runtime()
        .block_on(client.get_page(iru_fivetran_core::endpoints::ROLES, "/roles", &[], None))
        .expect_err("403");
    // The client scrubbed it; the raw answer, read here, did hold it.
    assert!(!error.to_string().contains(SECRET), "{error}");
    assert!(error.to_string().contains("<redacted>"), "{error}");
    let raw = raw_get(&fake, "/v1/roles");
    assert!(
        raw.contains(SECRET) && raw.contains(&format!("{KEY}:{SECRET}")),
        "{raw}"
    );
}

/// A GET to the fake with the test credentials, its body as text (no client, no scrubbing).
fn raw_get(fake: &FakeServer, path: &str) -> String {
    use base64::Engine as _;
    use std::io::{Read as _, Write as _};
    let url = fake.api_url();
    let addr = url
        .strip_prefix("http://")
        .and_then(|u| u.strip_suffix("/v1"))
        .expect("http://ADDR/v1");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn error_bodies_that_echo_the_credentials_leave_no_trace_at_any_status() {
    for (status, code) in [
        (401, "AuthFailed"),
        (403, "Forbidden"),
        (404, "NotFound_Role"),
        (500, "InternalError"),
    ] {
        let fake = server(acme());
        fake.inject(echoing("/v1/roles", status, code));
        let side = tempfile::tempdir().expect("tmp");
        let summary = side.path().join("summary.json");
        let run = collect(
            &fake,
            &[
                "--resources",
                "roles,groups",
                "--summary-json",
                support::arg(&summary),
            ],
        );
        support::assert_no_secret_in(&summary);
        let summary_text = std::fs::read_to_string(&summary).expect("summary");
        // The echoed text did travel, scrubbed, to where the review found it.
        assert!(
            run.stderr.contains("<redacted>"),
            "{status}: {}",
            run.stderr
        );
        assert!(
            summary_text.contains("<redacted>"),
            "{status}: {summary_text}"
        );
        if status == 401 {
            run.assert_code(1);
            let failed = support::entries(&run.out.path().join("evidence"));
            assert!(failed.iter().any(|e| e.ends_with(".failed")), "{failed:?}");
        } else {
            run.assert_code(3);
            let manifest = run.manifest();
            let reason = support::manifest_artifact(&manifest, "roles")["reason"]
                .as_str()
                .expect("a reason")
                .to_owned();
            assert!(reason.contains("<redacted>"), "{status}: {reason}");
            assert!(
                support::reason(&run.json("roles.json")).contains("<redacted>"),
                "{status}"
            );
        }
    }
}

#[test]
fn item_fields_that_echo_the_credentials_are_scrubbed() {
    let fake = server(acme());
    let page = json!({"code": "Success", "data": {"items": [{
        "id": "echo-hook",
        "type": "account",
        "url": "https://hooks.example.com/in",
        "events": ["sync_end"],
        "active": true,
        "note": format!("created with {ECHO_CREDENTIALS} via {ECHO_AUTHORIZATION}"),
        format!("k-{ECHO_CREDENTIALS}"): "a key that quotes it",
    }]}});
    fake.inject(
        Fault::status("/v1/webhooks", 200, "", "")
            .body(&page.to_string())
            .echoing()
            .times(10),
    );
    let run = collect(&fake, &["--resources", "webhooks"]);
    run.assert_code(0);
    let webhooks = run.json("webhooks.json");
    let item = &webhooks["items"][0];
    assert_eq!(item["note"], "created with <redacted> via Basic <redacted>");
    assert!(item.get("k-<redacted>").is_some(), "{item}");
}

#[test]
fn doctor_json_never_shows_what_the_server_echoed() {
    let fake = server(acme());
    fake.inject(echoing("/v1/roles", 403, "Forbidden"));
    let url = fake.api_url();
    let r = run(
        &["doctor", "--api-url", &url, "--format", "json"],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    let report: Value = serde_json::from_str(&r.stdout).expect("doctor JSON");
    let text = report.to_string();
    assert!(text.contains("<redacted>"), "{text}");
}
