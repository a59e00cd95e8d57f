//! Unit tests of `evidence::redact::shapes`.

use super::*;

fn masked(text: &str) -> String {
    mask(text).unwrap_or_else(|| text.to_owned())
}

#[test]
fn private_key_pem_blocks_are_masked_and_certificates_kept() {
    let key = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nz";
    assert_eq!(masked(key), "a\n<redacted>\nz");
    let open = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk";
    assert_eq!(masked(open), "<redacted>");
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    assert_eq!(mask(cert), None);
}

#[test]
fn jwts_and_bearer_credentials_are_masked_inside_the_text() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    assert_eq!(masked(&format!("token {jwt} end")), "token <redacted> end");
    assert_eq!(masked("Bearer abc123def456ghi"), "Bearer <redacted>");
    assert_eq!(masked("Basic aXQta2V5OnNlY3JldA=="), "Basic <redacted>");
    assert_eq!(mask("Basic authentication is used"), None, "prose is kept");
}

#[test]
fn urls_lose_their_password_webhook_path_and_secret_parameters() {
    assert_eq!(
        masked("postgres://admin:hunter2@db.example.com:5432/x"),
        "postgres://admin:<redacted>@db.example.com:5432/x"
    );
    assert_eq!(
        masked("https://hooks.slack.com/services/T000/B000/XXXX and more"),
        "https://hooks.slack.com/services/<redacted> and more"
    );
    assert_eq!(
        masked(
            "https://acct.blob.core.windows.net/c?sv=2022-11-02&se=2030-01-01&sig=abc%2Bdef&sp=r"
        ),
        "https://acct.blob.core.windows.net/c?sv=2022-11-02&se=2030-01-01&sig=<redacted>&sp=r"
    );
    assert_eq!(mask("https://example.com/a?b=c&token_type=bearer"), None);
    assert_eq!(
        mask("https://user@example.com/"),
        None,
        "a user name alone is kept"
    );
}

#[test]
fn header_lines_with_a_secret_name_lose_their_value() {
    assert_eq!(
        masked("Accept: json\nX-Api-Key: abc\nAuthorization: Bearer abc123def456ghi"),
        "Accept: json\nX-Api-Key: <redacted>\nAuthorization: <redacted>"
    );
}

#[test]
fn a_second_pass_changes_nothing() {
    for text in [
        "Bearer abc123def456ghi",
        "postgres://admin:hunter2@db/x",
        "https://hooks.slack.com/services/T/B/X",
        "https://x/y?sig=abc&key=k",
        "Authorization: Bearer abc123def456ghi",
        "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
    ] {
        let once = masked(text);
        assert_ne!(once, text, "{text}");
        assert_eq!(mask(&once), None, "{once}");
    }
}
