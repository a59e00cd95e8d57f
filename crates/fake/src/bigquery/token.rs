//! The fake's token endpoint: Google's JWT bearer grant for a service account, the
//! assertion's signature, header and claims checked exactly, short-lived tokens issued and
//! checked on every API request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};

use super::{Issued, Login, SCOPE, State};
use crate::platform::{Answer, json_answer};

/// A form body's fields, decoded.
pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// The token endpoint: the assertion checked exactly, a token issued.
pub(super) fn exchange(
    state: &mut State,
    content_type: &str,
    audience: &str,
    form: &HashMap<String, String>,
) -> (Answer, Option<(Value, Value)>) {
    let refuse = |why: &str| {
        json_answer(
            400,
            &json!({"error": "invalid_grant", "error_description": why}),
        )
    };
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return (refuse("Bad Request"), None);
    }
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return (
            json_answer(
                400,
                &json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}),
            ),
            None,
        );
    }
    let Some(login) = state.login.clone() else {
        return (refuse("no login"), None);
    };
    let assertion = form.get("assertion").cloned().unwrap_or_default();
    let (header, claims) = match verify(&login, audience, &assertion) {
        Ok(parts) => parts,
        Err(why) => return (refuse(why), None),
    };
    state.next += 1;
    let token = format!("ya29.fake-bigquery-{}-{:016x}", state.next, rand_u64());
    let life = match state.faults.token_lifetime {
        0 => 3599,
        n => n,
    };
    state.tokens.insert(
        token.clone(),
        Issued {
            until: Instant::now() + Duration::from_secs(life),
            uses: 0,
        },
    );
    (
        json_answer(
            200,
            &json!({"access_token": token, "expires_in": life, "token_type": "Bearer"}),
        ),
        Some((header, claims)),
    )
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// Checks an assertion's signature, header and claims; both, when they pass.
fn verify(login: &Login, audience: &str, jwt: &str) -> Result<(Value, Value), &'static str> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("Invalid JWT: not three parts.");
    };
    let decode = |p: &str| -> Result<Value, &'static str> {
        let bytes = B64URL.decode(p).map_err(|_| "Invalid JWT: base64.")?;
        serde_json::from_slice(&bytes).map_err(|_| "Invalid JWT: not JSON.")
    };
    let header = decode(h)?;
    let signature = B64URL.decode(s).map_err(|_| "Invalid JWT Signature.")?;
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        &login.public_key,
    )
    .verify(format!("{h}.{c}").as_bytes(), &signature)
    .map_err(|_| "Invalid JWT Signature.")?;
    let expected_header = json!({"alg": "RS256", "typ": "JWT", "kid": login.private_key_id});
    if header != expected_header {
        return Err("Invalid JWT: header.");
    }
    let claims = decode(c)?;
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("Invalid JWT: iat or exp.");
    };
    let now = jiff::Timestamp::now().as_second();
    if exp - iat > 3600 || exp <= now || iat > now + 60 {
        return Err(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
        );
    }
    let expected = json!({
        "iss": login.client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": iat,
        "exp": exp,
    });
    if claims != expected {
        return Err("Invalid JWT: claims.");
    }
    Ok((header, claims))
}

/// Checks a bearer token: issued, not expired, not used up.
pub(super) fn authorized(state: &mut State, token: &str) -> Result<(), String> {
    let refused = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.";
    let limit = state.faults.token_uses;
    let Some(issued) = state.tokens.get_mut(token) else {
        return Err(refused.into());
    };
    issued.uses += 1;
    if Instant::now() >= issued.until || limit.is_some_and(|n| issued.uses > n) {
        return Err(refused.into());
    }
    Ok(())
}
