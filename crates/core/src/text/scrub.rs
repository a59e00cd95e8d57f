//! Removing the secrets the tool holds from text it did not write.
//!
//! A server may quote what it was sent: an error body that echoes the `Authorization` header,
//! or the decoded `key:secret`, would otherwise travel into logs, manifests, reasons, summaries
//! and items. The client scrubs every piece of server-supplied text where it enters (error
//! bodies, transport errors, every string and object key of an answer), before anything else
//! sees it.
//!
//! Each secret registers its forms here from the one function that exposes it
//! ([`crate::credentials::Credentials::authorization_header`] for the API secret: the secret,
//! `key:secret` and its base64 form); a warehouse password or token added later registers the
//! same way from its own exposing function. [`Scrubber::register`] adds the spellings a server
//! could echo besides the form itself: percent-encoded and JSON-escaped. Matching ignores ASCII
//! case (a server may upper-case what it quotes). Each match becomes [`SCRUBBED`].
//!
//! The forms are kept in memory that is zeroed when the scrubber is dropped, and no `Debug`,
//! `Display` or error ever shows them. What is not caught: a secret split across two strings,
//! or quoted in part, or transformed otherwise (hashed, reversed, another encoding).

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// What a secret found in foreign text becomes.
pub const SCRUBBED: &str = "<redacted>";

/// Forms shorter than this are not searched for: they would match ordinary words everywhere,
/// and no Fivetran secret is that short.
pub const MIN_FORM_CHARS: usize = 4;

/// Set once a warning has been logged, so that a server echoing the secret in every answer
/// does not flood the log.
static WARNED: AtomicBool = AtomicBool::new(false);

/// The forms of every secret the tool holds, to be removed from foreign text. Cheap to share
/// behind an `Arc`; `Debug` shows only how many forms it holds.
#[derive(Default)]
pub struct Scrubber {
    /// Longest first, so that `key:secret` is replaced whole before `secret` is looked for.
    forms: Vec<Zeroizing<String>>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("forms", &self.forms.len())
            .finish()
    }
}

impl Scrubber {
    /// Registers `form` and the spellings of it a server could echo: percent-encoded (in a
    /// URL) and JSON-escaped (inside a JSON text quoted as a string). Forms shorter than
    /// [`MIN_FORM_CHARS`] are ignored.
    pub fn register(&mut self, form: &str) {
        let percent: Zeroizing<String> =
            Zeroizing::new(utf8_percent_encode(form, NON_ALPHANUMERIC).to_string());
        let json = Zeroizing::new(Value::String(form.to_owned()).to_string());
        let json_inner = json
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or_default();
        for spelling in [form, percent.as_str(), json_inner] {
            self.add(spelling);
        }
    }

    fn add(&mut self, form: &str) {
        if form.chars().count() < MIN_FORM_CHARS
            || self.forms.iter().any(|f| f.eq_ignore_ascii_case(form))
        {
            return;
        }
        self.forms.push(Zeroizing::new(form.to_owned()));
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// How many forms are registered.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether no form is registered (nothing is ever scrubbed).
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every registered form replaced by [`SCRUBBED`]; borrowed when none occurs.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for form in &self.forms {
            if let Some(replaced) = replace_all(&out, form) {
                out = Cow::Owned(replaced);
            }
        }
        if matches!(out, Cow::Owned(_)) {
            warn_once();
        }
        out
    }

    /// Scrubs `text` in place; returns whether anything was replaced.
    pub fn scrub_string(&self, text: &mut String) -> bool {
        match self.scrub(text) {
            Cow::Borrowed(_) => false,
            Cow::Owned(clean) => {
                *text = clean;
                true
            }
        }
    }

    /// Scrubs every string and every object key of `value` in place; returns how many were
    /// changed.
    pub fn scrub_value(&self, value: &mut Value) -> usize {
        if self.is_empty() {
            return 0;
        }
        match value {
            Value::String(s) => usize::from(self.scrub_string(s)),
            Value::Array(items) => items.iter_mut().map(|v| self.scrub_value(v)).sum(),
            Value::Object(map) => {
                let mut changed = 0;
                if map.keys().any(|k| matches!(self.scrub(k), Cow::Owned(_))) {
                    let old = std::mem::take(map);
                    let mut fresh = Map::with_capacity(old.len());
                    for (key, child) in old {
                        let scrubbed = match self.scrub(&key) {
                            Cow::Borrowed(_) => key,
                            Cow::Owned(clean) => {
                                changed += 1;
                                clean
                            }
                        };
                        fresh.insert(scrubbed, child);
                    }
                    *map = fresh;
                }
                changed + map.values_mut().map(|v| self.scrub_value(v)).sum::<usize>()
            }
            _ => 0,
        }
    }
}

/// Logs, once per process, that a server's answer quoted a secret.
fn warn_once() {
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "an answer from the server quoted a secret this tool holds; it was replaced by {SCRUBBED} everywhere it appeared"
        );
    }
}

/// `haystack` with every ASCII-case-insensitive occurrence of `needle` replaced, or `None`
/// when there is none.
fn replace_all(haystack: &str, needle: &str) -> Option<String> {
    let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
    let first = find(hay, pin, 0)?;
    let mut out = String::with_capacity(haystack.len());
    let mut from = 0;
    let mut at = Some(first);
    while let Some(i) = at {
        // Both are valid UTF-8 and the needle starts and ends on character boundaries of
        // itself; an ASCII-case-insensitive match of it does too.
        out.push_str(&haystack[from..i]);
        out.push_str(SCRUBBED);
        from = i + pin.len();
        at = find(hay, pin, from);
    }
    out.push_str(&haystack[from..]);
    Some(out)
}

/// The first ASCII-case-insensitive occurrence of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = needle.first()?.to_ascii_lowercase();
    let last_start = hay.len().checked_sub(needle.len())?;
    (from..=last_start).find(|&i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

#[cfg(test)]
mod tests;
