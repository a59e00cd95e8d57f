//! Unit tests of `client`.

use super::*;
use body::error_body;

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
    let none = Scrubber::default();
    assert_eq!(
        error_body(br#"{"code":"Forbidden","message":"Access denied"}"#, &none),
        (Some("Forbidden".into()), "Access denied".into())
    );
    assert_eq!(error_body(b"", &none), (None, "empty body".into()));
    assert_eq!(
        error_body(b"<html>bad gateway</html>", &none),
        (None, "non-JSON body of 24 bytes".into())
    );
    assert_eq!(
        error_body(br#"{"code":"X","message":"a\nb"}"#, &none).1,
        "a\\nb"
    );
}

#[test]
fn quota_handles_fractional_rates() {
    // 0.1 rps (a trial account) and 1000 rps both pace: a second's worth (at least one) goes
    // at once, the next request an interval later.
    for rate in [0.1, 1.0, 4.0, 1000.0] {
        let t0 = Instant::now();
        let mut pace = Pace::new(rate, 8, Duration::from_secs(1), Duration::from_secs(30));
        let burst = rate.floor().max(1.0) as usize;
        for _ in 0..burst {
            assert_eq!(pace.reserve(t0).at, t0, "{rate}");
        }
        let next = pace.reserve(t0).at.duration_since(t0).as_secs_f64();
        assert!((next - 1.0 / rate).abs() < 1e-6, "{rate}: {next}");
    }
}

#[test]
fn error_bodies_are_scrubbed_before_they_are_cut() {
    let mut scrubber = Scrubber::default();
    scrubber.register("k1:SECRET-value-0123456789");
    scrubber.register("SECRET-value-0123456789");
    // The secret straddles the 300-character cut: scrubbing first leaves no part of it.
    let message = format!(
        "{}SECRET-value-0123456789 k1:SECRET-value-0123456789",
        "x".repeat(290)
    );
    let body = serde_json::json!({"code": "SECRET-value-0123456789", "message": message});
    let (code, message) = error_body(body.to_string().as_bytes(), &scrubber);
    assert_eq!(code.as_deref(), Some("<redacted>"));
    assert!(
        !message.contains("SECRET-v") && !message.contains("0123"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn waits_side_by_side_count_once_in_the_wall_time_waited() {
    let clock = Clock::new(Delays::Real);
    let halt = Halt::default();
    assert_eq!(clock.waited_wall(), Duration::ZERO);
    let start = clock.now();
    // Ten requests waiting the same ten seconds (one of them only five): ten seconds, not 95.
    let waits = (0..10).map(|i| {
        let secs = if i == 0 { 5 } else { 10 };
        clock.wait_until(start + Duration::from_secs(secs), &halt)
    });
    assert!(
        futures::future::join_all(waits)
            .await
            .into_iter()
            .all(|came| came)
    );
    assert_eq!(clock.waited_wall(), Duration::from_secs(10));
    // Time with no request waiting does not count; the next wait adds its own length.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(clock.waited_wall(), Duration::from_secs(10));
    let now = clock.now();
    clock.wait_until(now + Duration::from_secs(3), &halt).await;
    assert_eq!(clock.waited_wall(), Duration::from_secs(13));
    // A wait in the past is no wait.
    clock.wait_until(now, &halt).await;
    assert_eq!(clock.waited_wall(), Duration::from_secs(13));
    // A wait whose future is dropped midway counts up to then, and no longer.
    let now = clock.now();
    let cut = tokio::time::timeout(
        Duration::from_secs(2),
        clock.wait_until(now + Duration::from_secs(60), &halt),
    )
    .await;
    assert!(cut.is_err());
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(clock.waited_wall(), Duration::from_secs(15));
}
