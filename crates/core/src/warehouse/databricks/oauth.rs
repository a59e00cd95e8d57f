//! The workspace's credential: a personal access token, or an OAuth access token a service
//! principal gets with the client-credentials grant (`POST /oidc/v1/token`,
//! `grant_type=client_credentials&scope=all-apis`, the client id and secret by HTTP Basic),
//! kept in memory until shortly before its `expires_in` and registered with the sender's
//! scrubber before it is sent; and Databricks' error object, read.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use crate::credentials::audit::rest::{RestAuth, bearer_header};
use crate::warehouse::WarehouseError;
use crate::warehouse::http::Http;

/// An OAuth access token is fetched again this long before it expires (at most a quarter of
/// its life).
const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The scope asked for: the workspace's REST APIs (Databricks has no narrower scope for SQL).
pub const SCOPE: &str = "all-apis";

/// Databricks' error object: `error_code` and `message` (the same shape from every service),
/// or OAuth's `error` and `error_description` from the token endpoint.
pub fn error_text(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = field("error_code").or_else(|| field("error"));
    let message = field("message").or_else(|| field("error_description"));
    let text = match (&code, message) {
        (Some(c), Some(m)) => Some(format!("{m} ({c})")),
        (Some(c), None) => Some(c.clone()),
        (None, m) => m,
    };
    (code, text)
}

/// The workspace's credential and the OAuth access token in use.
pub struct Credential {
    auth: RestAuth,
    token_url: Url,
    /// The access token and when to fetch another.
    cached: Mutex<Option<(HeaderValue, Instant)>>,
}

impl Credential {
    /// The credential `auth` of the workspace at `root`.
    pub fn new(auth: RestAuth, root: &Url) -> Self {
        let mut token_url = root.clone();
        token_url.set_path("/oidc/v1/token");
        Self {
            auth,
            token_url,
            cached: Mutex::new(None),
        }
    }

    /// Whether a refused token may be replaced by fetching another (an OAuth client's).
    pub fn refreshable(&self) -> bool {
        matches!(self.auth, RestAuth::Client(_))
    }

    /// Makes the next request fetch a new access token.
    pub fn forget(&self) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The `Authorization` header: the personal access token, or a cached access token (one
    /// fetched first when none is, or it is about to expire).
    pub async fn header(&self, sender: &Http) -> Result<HeaderValue, WarehouseError> {
        let client = match &self.auth {
            RestAuth::Client(c) => c,
            RestAuth::Token(_) => {
                return self
                    .auth
                    .static_token(&mut sender.scrubber())
                    .ok_or_else(|| WarehouseError::Auth("no token".into()));
            }
            RestAuth::KeyPair(_) => {
                return Err(WarehouseError::Auth(
                    "a key pair is not a Databricks credential; hint: give token, or client_id and client_secret".into(),
                ));
            }
        };
        if let Some((header, renew)) = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && Instant::now() < *renew
        {
            return Ok(header.clone());
        }
        let tag = "the OAuth token";
        let basic = client.basic_header(&mut sender.scrubber());
        let response = sender
            .send(tag, &mut |http, _| {
                Ok(http
                    .post(self.token_url.clone())
                    .header("Authorization", basic.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(format!("grant_type=client_credentials&scope={SCOPE}")))
            })
            .await?;
        let (status, body) = sender.body(response, tag).await?;
        if !status.is_success() {
            let (_, text) = error_text(&body);
            let message = sender.message(status, text.as_deref());
            return Err(match status.as_u16() {
                400 | 401 | 403 => WarehouseError::Auth(format!(
                    "{message} from the token endpoint /oidc/v1/token"
                )),
                500..=599 => WarehouseError::Unreachable(format!(
                    "{message} from the token endpoint, after retries"
                )),
                _ => WarehouseError::Query(format!(
                    "{message} from the token endpoint /oidc/v1/token"
                )),
            });
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            WarehouseError::Dropped("the token endpoint's answer was cut short".into())
        })?;
        let token = value
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                WarehouseError::Auth("the token endpoint gave no access_token".into())
            })?;
        let token = SecretString::from(token.to_owned());
        let life = Duration::from_secs(
            value
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(3600),
        );
        let header = bearer_header(&token, &mut sender.scrubber());
        let renew = Instant::now() + life - TOKEN_MARGIN.min(life / 4);
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((header.clone(), renew));
        Ok(header)
    }
}
