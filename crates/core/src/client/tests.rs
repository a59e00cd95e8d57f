//! Unit tests of `client`.

use super::*;

#[test]
fn decode_checks_the_envelope() {
    let ok = br#"{"code":"Success","data":{"items":[{"id":"a"}],"next_cursor":null}}"#;
    assert!(decode(ok, Shape::List).is_ok());
    assert!(decode(br#"{"code":"Success","data":{"id":"a"}}"#, Shape::Object).is_ok());
    for (bad, shape) in [
        (&br#"{"code":"Success"}"#[..], Shape::Object),
        (br#"{"data":[1]}"#, Shape::Object),
        (br#"{"data":{"items":{}}}"#, Shape::List),
        (br#"{"data":{"items":[],"next_cursor":5}}"#, Shape::List),
        (br#"{"data":{"items":[]"#, Shape::List),
        (b"<html>502</html>", Shape::List),
        (b"", Shape::Object),
    ] {
        assert!(
            decode(bad, shape).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn error_bodies_are_described_without_trusting_them() {
    assert_eq!(
        error_body(br#"{"code":"Forbidden","message":"Access denied"}"#),
        (Some("Forbidden".into()), "Access denied".into())
    );
    assert_eq!(error_body(b""), (None, "empty body".into()));
    assert_eq!(
        error_body(b"<html>bad gateway</html>"),
        (None, "non-JSON body of 24 bytes".into())
    );
    assert_eq!(error_body(br#"{"code":"X","message":"a\nb"}"#).1, "a\\nb");
}

#[test]
fn quota_handles_fractional_rates() {
    // 0.1 rps (a trial account) and 1000 rps both build a limiter.
    for rate in [0.1, 1.0, 4.0, 1000.0] {
        let q = quota(rate);
        assert!(q.burst_size().get() >= 1, "{rate}");
    }
}
