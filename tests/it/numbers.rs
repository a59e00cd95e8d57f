//! Numbers as Fivetran sent them: beyond 64 bits, with more digits than a double holds, or
//! written in a form a double would rewrite. The bundle keeps each one's digits (serde_json's
//! `arbitrary_precision`, docs/reliability.md; an exponent gains its sign, `1e400` →
//! `1e+400`), and it still verifies.

use iru_fivetran_fake::Fault;

use crate::support::{acme, collect, server};

#[test]
fn numbers_keep_the_digits_fivetran_sent() {
    let page = r#"{"code":"Success","data":{"items":[{"id":"w_numbers","type":"account","url":"https://hooks.example.com/x","events":[],"active":true,"big":123456789012345678901234567890,"precise":0.1000000000000000000000000001,"negative_zero":-0,"huge":1e400,"plain":1440}]}}"#;
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/webhooks", 200, "", "")
            .body(page)
            .times(10),
    );
    let run = collect(&fake, &["--resources", "webhooks"]);
    run.assert_code(0);
    let text = std::fs::read_to_string(run.bundle().join("webhooks.json")).expect("read");
    for kept in [
        "\"big\": 123456789012345678901234567890",
        "\"precise\": 0.1000000000000000000000000001",
        "\"negative_zero\": -0",
        // Beyond a double's range: kept, its exponent written with a sign.
        "\"huge\": 1e+400",
        "\"plain\": 1440",
    ] {
        assert!(text.contains(kept), "{kept} not kept in:\n{text}");
    }
    assert!(!text.contains("e29"), "{text}");
    iru_fivetran_core::verify::verify(&run.bundle()).expect("the bundle verifies");
}
