//! Secrets recognised by the shape of a value, whatever the key they sit under. Each one found
//! is replaced by [`MARKER`] inside the string, so that what surrounds it stays evidence
//! (`Bearer <redacted>`, `https://user:<redacted>@host/`):
//!
//! - a PEM block of a private key (`-----BEGIN ... PRIVATE KEY-----` to its `-----END ...-----`,
//!   or to the end of the text when the end line is missing); certificates and public keys are
//!   public and kept;
//! - a JSON Web Token (three base64url parts, the first two starting `eyJ`);
//! - the password of a URL's user information (`scheme://user:password@host`);
//! - the path of a Slack or Discord webhook URL (`https://hooks.slack.com/services/...`), which
//!   is its credential;
//! - the value of a URL query parameter whose name names a secret (`?sig=` of an Azure SAS URL,
//!   `&access_token=`, `X-Amz-Signature=`);
//! - the credential after `Bearer ` or `Basic ` (one that looks like a token: 12 characters or
//!   more, with a digit or punctuation, so that prose such as "Basic authentication" is kept);
//! - the value of a header written as a line, `X-Api-Key: ...`, when the name names a secret.
//!
//! A value already `<redacted>` is left alone, so that a second pass changes nothing.

use super::MARKER;
use super::names::{is_secret_key, names_a_secret};

/// The webhook URL prefixes whose remaining path is the credential.
const WEBHOOKS: [&str; 5] = [
    "hooks.slack.com/services/",
    "hooks.slack.com/workflows/",
    "hooks.slack.com/triggers/",
    "discord.com/api/webhooks/",
    "discordapp.com/api/webhooks/",
];

/// `text` with every secret its shape gives away replaced by [`MARKER`]; `None` when there
/// was none.
pub(super) fn mask(text: &str) -> Option<String> {
    // Cheap tests first: almost no string holds any of these.
    if text.len() < 8 || text == MARKER {
        return None;
    }
    let mut out = None::<String>;
    let steps: [fn(&str) -> Option<String>; 7] = [
        pem_private_keys,
        jwts,
        webhooks,
        url_passwords,
        query_secrets,
        auth_schemes,
        header_lines,
    ];
    for step in steps {
        let current = out.as_deref().unwrap_or(text);
        if let Some(changed) = step(current) {
            out = Some(changed);
        }
    }
    out
}

/// Replaces each range of `ranges` (sorted, not overlapping) in `text` by [`MARKER`].
fn replace(text: &str, ranges: &[(usize, usize)]) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for &(start, end) in ranges {
        out.push_str(&text[from..start]);
        out.push_str(MARKER);
        from = end;
    }
    out.push_str(&text[from..]);
    Some(out)
}

/// ASCII-case-insensitive find of `needle` in `hay` from `from`.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let last = h.len().checked_sub(n.len())?;
    (from..=last).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn pem_private_keys(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(begin) = text[from..].find("-----BEGIN ").map(|i| i + from) {
        let label_start = begin + "-----BEGIN ".len();
        let Some(label_len) = text[label_start..].find("-----") else {
            break;
        };
        let label = &text[label_start..label_start + label_len];
        let after_label = label_start + label_len + "-----".len();
        if !label.contains("PRIVATE") {
            from = after_label;
            continue;
        }
        let end = text[after_label..]
            .find("-----END ")
            .map(|i| after_label + i + "-----END ".len())
            .and_then(|i| text[i..].find("-----").map(|j| i + j + "-----".len()))
            .unwrap_or(text.len());
        ranges.push((begin, end));
        from = end;
    }
    replace(text, &ranges)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The end of a run of base64url characters starting at `at`.
fn run(bytes: &[u8], at: usize) -> usize {
    at + bytes[at..].iter().take_while(|&&b| is_base64url(b)).count()
}

fn jwts(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("eyJ").map(|i| i + from) {
        let starts_token = start == 0 || !is_base64url(bytes[start - 1]);
        let header_end = run(bytes, start);
        let payload = header_end + 1;
        let is_jwt = starts_token
            && header_end - start >= 10
            && bytes.get(header_end) == Some(&b'.')
            && text[payload..].starts_with("eyJ")
            && bytes.get(run(bytes, payload)) == Some(&b'.');
        if !is_jwt {
            from = start + 3;
            continue;
        }
        let signature = run(bytes, payload) + 1;
        let end = run(bytes, signature);
        ranges.push((start, end));
        from = end;
    }
    replace(text, &ranges)
}

/// Where a URL (or its authority) ends: at white space, a quote or an angle bracket.
fn url_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .map_or(text.len(), |i| from + i)
}

fn webhooks(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    for hook in WEBHOOKS {
        let mut from = 0;
        while let Some(at) = find_ci(text, hook, from) {
            let start = at + hook.len();
            let end = url_end(text, start);
            if end > start && &text[start..end] != MARKER {
                ranges.push((start, end));
            }
            from = end.max(start);
        }
    }
    ranges.sort_unstable();
    ranges.dedup();
    replace(text, &ranges)
}

fn url_passwords(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("://").map(|i| i + from) {
        let start = at + 3;
        let end = url_end(text, start);
        let authority_end = text[start..end]
            .find(['/', '?', '#'])
            .map_or(end, |i| start + i);
        let authority = &text[start..authority_end];
        if let Some(at_sign) = authority.rfind('@')
            && let Some(colon) = authority[..at_sign].find(':')
        {
            let (pw_start, pw_end) = (start + colon + 1, start + at_sign);
            if pw_end > pw_start && &text[pw_start..pw_end] != MARKER {
                ranges.push((pw_start, pw_end));
            }
        }
        from = authority_end.max(start);
    }
    replace(text, &ranges)
}

fn query_secrets(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'?' && b != b'&' {
            continue;
        }
        let name_start = i + 1;
        let Some(eq) = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map(|j| name_start + j)
        else {
            continue;
        };
        if bytes[eq] != b'=' || eq == name_start || !is_secret_key(&text[name_start..eq]) {
            continue;
        }
        let value_start = eq + 1;
        let value_end = text[value_start..]
            .find(|c: char| {
                c == '&' || c == '#' || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')
            })
            .map_or(text.len(), |j| value_start + j);
        if value_end > value_start && &text[value_start..value_end] != MARKER {
            ranges.push((value_start, value_end));
        }
    }
    replace(text, &ranges)
}

/// Whether `token` looks like a credential rather than a word.
fn looks_like_token(token: &str) -> bool {
    token.len() >= 12
        && token != MARKER
        && token
            .bytes()
            .any(|b| b.is_ascii_digit() || b"._-~+/=".contains(&b))
}

fn auth_schemes(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        while let Some(at) = find_ci(text, scheme, from) {
            let start = at + scheme.len();
            let starts_word = at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric();
            let end = start
                + text[start..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || b"._-~+/=".contains(b))
                    .count();
            if starts_word && looks_like_token(&text[start..end]) {
                ranges.push((start, end));
            }
            from = end.max(start);
        }
    }
    ranges.sort_unstable();
    ranges.dedup();
    replace(text, &ranges)
}

fn header_lines(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        if let Some(colon) = content.find(':') {
            let name = content[..colon].trim();
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let value = content[colon + 1..].trim();
            if valid_name && !value.is_empty() && value != MARKER && names_a_secret(name) {
                let value_start = line_start
                    + colon
                    + 1
                    + (content[colon + 1..].len() - content[colon + 1..].trim_start().len());
                ranges.push((value_start, value_start + value.len()));
            }
        }
        line_start += line.len();
    }
    replace(text, &ranges)
}

#[cfg(test)]
mod tests;
