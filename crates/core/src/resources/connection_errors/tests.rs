use super::*;

fn path() -> String {
    "/connections/c/errors".to_owned()
}

fn status(status: u16) -> ApiError {
    ApiError::Status {
        path: path(),
        status,
        attempts: 1,
        message: "non-JSON body of 9 bytes".into(),
    }
}

fn not_found(code: &str) -> ApiError {
    ApiError::NotFound {
        path: path(),
        code: code.into(),
        message: "gone".into(),
    }
}

fn forbidden(message: &str) -> ApiError {
    ApiError::Forbidden {
        path: path(),
        code: "Forbidden".into(),
        message: message.into(),
    }
}

fn first_failed(error: ApiError) -> Offered {
    judge(&Read::Failed { error, read: None })
}

#[test]
fn an_endpoint_refusal_of_the_first_request_stands_for_every_connection() {
    for error in [
        status(404),
        status(405),
        status(501),
        not_found("NotFound"),
        forbidden("Connection errors are not enabled for this account"),
    ] {
        let Offered::No { field, partial } = first_failed(error.clone()) else {
            panic!("{error} should say the endpoint is not offered");
        };
        assert_eq!(field["status"], "unavailable", "{error}");
        assert!(!partial, "{error}");
        let reason = field["reason"].as_str().expect("a reason");
        assert!(
            reason.ends_with(NOT_OFFERED) || reason.contains("does not have this feature"),
            "{reason}"
        );
    }
    let Offered::No { field, partial } = first_failed(forbidden("Missing permission CONNECTOR"))
    else {
        panic!("a 403 stands for every connection");
    };
    assert_eq!(field["status"], "forbidden");
    assert!(
        partial,
        "a missing permission makes connections.json partial"
    );
    assert!(
        field["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Missing permission CONNECTOR"))
    );
}

#[test]
fn answers_that_say_nothing_of_the_endpoint_leave_it_offered() {
    // A deleted connection, a server error, a 400 (sync history's, not this endpoint's): the
    // others are still asked.
    for error in [
        not_found("NotFound_Connection"),
        not_found("NotFound_Connector"),
        status(500),
        status(400),
    ] {
        assert!(matches!(first_failed(error), Offered::Yes));
    }
    assert!(matches!(judge(&Read::Errors(Vec::new())), Offered::Yes));
    // A failure after a page was read says the endpoint answered.
    let later = Read::Failed {
        error: status(404),
        read: Some(Vec::new()),
    };
    assert!(matches!(judge(&later), Offered::Yes));
}
