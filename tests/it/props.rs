//! Property tests on generated input: redaction, the vault-file parser and the envelope decoder,
//! each checked against a small oracle written here, independently of the code under test.
//!
//! Every property sets its case count so that `cargo test --test it props` stays within a few
//! seconds. `PROPTEST_CASES=N` overrides all of them at once (proptest 1.12's `proptest!` applies
//! the environment on top of an explicit config), which is the long run described in
//! docs/fuzzing.md.

use std::collections::BTreeMap;

use iru_fivetran_core::client::decode;
use iru_fivetran_core::credentials::{Vault, parse_vault};
use iru_fivetran_core::endpoints::Shape;
use iru_fivetran_core::evidence::redact::{Action, MARKER, Redaction, is_secret_key, redact_items};
use iru_fivetran_core::vocab::Artifact;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Number, Value};

// ---------------------------------------------------------------------------------------------
// Key names

/// Names of secrets as an API might spell them, before case and separators are varied. A space
/// marks where a separator may go.
const SECRET_STEMS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "client secret",
    "token",
    "access token",
    "passphrase",
    "credential",
    "credentials",
    "private key",
    "api key",
    "access key",
    "key",
    "keys",
    "signing key",
];

/// Stems that are secret because the name ends in them (`key`, `keys`): nothing may follow.
const ENDING_STEMS: &[&str] = &["key", "keys", "signing key"];

const PREFIXES: &[&str] = &[
    "", "x_", "db", "AWS_", "client", "refresh ", "ssh-", "Primary.",
];
const SUFFIXES: &[&str] = &["", "_json", "s", "Value", "_2", " hint"];

/// Keys that hold no secret, whatever their case and separators.
const PLAIN_NAMES: &[&str] = &[
    "host",
    "port",
    "user",
    "email",
    "name",
    "public key",
    "hashed",
    "enabled",
    "auth",
    "keystone",
    "monkey business",
    "schema",
    "region",
    "role",
    "created at",
    "key id",
];

/// Keys that the redactor treats specially somewhere: dropped, skipped or an item's own key.
const SPECIAL_KEYS: &[&str] = &[
    "connect_card",
    "picture",
    "schema_config",
    "id",
    "name",
    "time",
    "account_id",
    "sort_key",
    "",
];

/// Applies a random case to every letter and a random separator (or none) at each space and,
/// now and then, between letters.
fn styled(words: &str, style: &[(bool, u8)]) -> String {
    let mut out = String::new();
    for (c, &(upper, sep)) in words.chars().zip(style.iter().cycle()) {
        let separator = match sep % 5 {
            0 => "_",
            1 => "-",
            2 => " ",
            3 => ".",
            _ => "",
        };
        if c == ' ' {
            out.push_str(separator);
            continue;
        }
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        if sep >= 240 {
            out.push_str(separator);
        }
    }
    out
}

fn style() -> impl Strategy<Value = Vec<(bool, u8)>> {
    vec((any::<bool>(), any::<u8>()), 24)
}

/// A key that names a secret: `password`, `Api-Key`, `CLIENT_SECRET`, `privateKey`,
/// `x_token`, `credentials`, ...
fn secret_name() -> impl Strategy<Value = String> {
    (
        select(SECRET_STEMS),
        select(PREFIXES),
        select(SUFFIXES),
        style(),
    )
        .prop_map(|(stem, prefix, suffix, style)| {
            let suffix = if ENDING_STEMS.contains(&stem) {
                ""
            } else {
                suffix
            };
            styled(&format!("{prefix}{stem}{suffix}"), &style)
        })
}

fn plain_name() -> impl Strategy<Value = String> {
    (select(PLAIN_NAMES), style()).prop_map(|(name, style)| styled(name, &style))
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => secret_name(),
        3 => plain_name(),
        2 => "\\PC{0,8}",
        2 => select(SPECIAL_KEYS).prop_map(str::to_owned),
    ]
}

// ---------------------------------------------------------------------------------------------
// JSON values

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(MARKER.to_owned()),
        "[a-z0-9 ]{1,10}",
        "\\PC{1,10}",
        any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        string().prop_map(Value::String),
    ]
}

fn object(map: BTreeMap<String, Value>) -> Value {
    Value::Object(map.into_iter().collect())
}

/// Any JSON value, up to 5 levels deep.
fn tree() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..5).prop_map(Value::Array),
                btree_map(key(), inner, 0..5).prop_map(object),
            ]
        })
        .boxed()
}

/// An artifact's items: mostly objects, now and then something else.
fn items() -> impl Strategy<Value = Vec<Value>> {
    vec(
        prop_oneof![
            4 => btree_map(key(), tree(), 0..8).prop_map(object),
            1 => tree(),
        ],
        0..4,
    )
}

/// Every artifact, with those that redaction treats specially drawn more often.
fn artifact() -> impl Strategy<Value = Artifact> {
    prop_oneof![
        select(vec![
            Artifact::Users,
            Artifact::Connections,
            Artifact::Changes
        ]),
        select(Artifact::ALL.to_vec()),
    ]
}

// ---------------------------------------------------------------------------------------------
// The redaction oracle: what redact.rs's module doc promises, as plainly as it can be written.

type Record = BTreeMap<(String, Action), u64>;

/// A path segment, as the record writes it.
fn segment(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!(".{key}")
    } else {
        format!(
            "[{}]",
            serde_json::to_string(key).expect("a string serializes")
        )
    }
}

/// The value with every non-empty string and every number under a secret key masked.
fn masked(value: &Value, path: &str, secret: bool, record: &mut Record) -> Value {
    match value {
        Value::String(s) if secret && !s.is_empty() => {
            *record.entry((path.to_owned(), Action::Masked)).or_default() += 1;
            Value::String(MARKER.to_owned())
        }
        Value::Number(_) if secret => {
            *record.entry((path.to_owned(), Action::Masked)).or_default() += 1;
            Value::String(MARKER.to_owned())
        }
        Value::Array(values) => Value::Array(
            values
                .iter()
                .map(|v| masked(v, &format!("{path}[*]"), secret, record))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let path = format!("{path}{}", segment(k));
                    (
                        k.clone(),
                        masked(v, &path, secret || is_secret_key(k), record),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The items and record that redaction must produce.
fn expected(artifact: Artifact, items: &[Value]) -> (Vec<Value>, Vec<Redaction>) {
    const ROOT: &str = "$.items[*]";
    let mut record = Record::new();
    let items = items
        .iter()
        .map(|item| {
            let Value::Object(fields) = item else {
                return masked(item, ROOT, false, &mut record);
            };
            let mut out = Map::new();
            for (key, value) in fields {
                let path = format!("{ROOT}{}", segment(key));
                if key == "connect_card" || (artifact == Artifact::Users && key == "picture") {
                    *record.entry((path, Action::Dropped)).or_default() += 1;
                    continue;
                }
                let value = if artifact == Artifact::Connections && key == "schema_config" {
                    value.clone()
                } else {
                    let secret = key != artifact.key() && is_secret_key(key);
                    masked(value, &path, secret, &mut record)
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        })
        .collect();
    let record = record
        .into_iter()
        .map(|((path, action), count)| Redaction {
            path,
            action,
            count,
        })
        .collect();
    (items, record)
}

/// A second, weaker check that does not compare with the oracle: below a secret key, only
/// markers, empty strings, booleans and nulls are left. Returns the offending path.
fn survivor(value: &Value, path: &str, secret: bool) -> Option<String> {
    match value {
        Value::String(s) if secret && !s.is_empty() && s != MARKER => Some(path.to_owned()),
        Value::Number(_) if secret => Some(path.to_owned()),
        Value::Array(values) => values
            .iter()
            .find_map(|v| survivor(v, &format!("{path}[*]"), secret)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            survivor(
                v,
                &format!("{path}{}", segment(k)),
                secret || is_secret_key(k),
            )
        }),
        _ => None,
    }
}

fn survivor_in_items(artifact: Artifact, items: &[Value]) -> Option<String> {
    items.iter().find_map(|item| match item {
        Value::Object(fields) => fields
            .iter()
            .filter(|(k, _)| !(artifact == Artifact::Connections && *k == "schema_config"))
            .find_map(|(k, v)| {
                let secret = k != artifact.key() && is_secret_key(k);
                survivor(v, &format!("$.items[*]{}", segment(k)), secret)
            }),
        other => survivor(other, "$.items[*]", false),
    })
}

/// Where a planted secret goes: down an object key or into an array.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => prop_oneof!["[a-z]{1,8}", plain_name()].prop_map(Step::Key),
        1 => Just(Step::Index),
    ]
}

/// Puts `value` at `name` below `path` in `root`, turning whatever is in the way into the
/// object or array the path needs.
fn plant(root: &mut Value, path: &[Step], name: &str, value: Value) {
    let mut here = root;
    for step in path {
        here = match step {
            Step::Key(k) => {
                if !here.is_object() {
                    *here = Value::Object(Map::new());
                }
                let map = here.as_object_mut().expect("just made an object");
                map.entry(k.clone()).or_insert(Value::Null)
            }
            Step::Index => {
                if !here.is_array() {
                    *here = Value::Array(Vec::new());
                }
                let values = here.as_array_mut().expect("just made an array");
                values.push(Value::Null);
                values.last_mut().expect("just pushed")
            }
        };
    }
    if !here.is_object() {
        *here = Value::Object(Map::new());
    }
    here.as_object_mut()
        .expect("just made an object")
        .insert(name.to_owned(), value);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn secret_names_are_secret_in_any_case_and_spelling(name in secret_name()) {
        prop_assert!(is_secret_key(&name), "{name:?} should name a secret");
    }

    #[test]
    fn plain_names_are_not_secret_in_any_case_and_spelling(name in plain_name()) {
        prop_assert!(!is_secret_key(&name), "{name:?} should not name a secret");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn redaction_masks_exactly_what_is_under_a_secret_key(
        artifact in artifact(),
        items in items(),
    ) {
        let (want_items, want_record) = expected(artifact, &items);
        let mut got = items.clone();
        let record = redact_items(artifact, &mut got);

        prop_assert_eq!(survivor_in_items(artifact, &got), None, "a secret survived");
        prop_assert_eq!(&got, &want_items);
        prop_assert_eq!(&record, &want_record);
        let masked: u64 = want_record.iter().filter(|r| r.action == Action::Masked).map(|r| r.count).sum();
        let dropped: u64 = want_record.iter().filter(|r| r.action == Action::Dropped).map(|r| r.count).sum();
        prop_assert_eq!(record.iter().map(|r| r.count).sum::<u64>(), masked + dropped);
        prop_assert!(record.iter().all(|r| r.count > 0));
        prop_assert!(
            record.windows(2).all(|w| (&w[0].path, w[0].action) < (&w[1].path, w[1].action)),
            "the record is sorted by path and has each path and action once"
        );

        // A second pass changes nothing. Its record is the first one's masked entries, unchanged:
        // every marker is a non-empty string under a secret key and is counted again, while the
        // dropped fields are gone.
        let mut again = got.clone();
        let second = redact_items(artifact, &mut again);
        prop_assert_eq!(&again, &got);
        let masked_only: Vec<Redaction> =
            record.iter().filter(|r| r.action == Action::Masked).cloned().collect();
        prop_assert_eq!(second, masked_only);
    }

    #[test]
    fn a_planted_secret_never_reaches_the_output(
        artifact in artifact(),
        mut items in items(),
        at in any::<Index>(),
        path in vec(step(), 0..5),
        name in secret_name(),
        secret in "[A-Z]{3}[a-z0-9]{9,20}",
        wrap in 0..4u8,
    ) {
        // An item's own key field is the one exception (changes' `sort_key` names a key);
        // `schema_config` cannot be the first step (path keys are lowercase letters or plain).
        prop_assume!(!(path.is_empty() && name == artifact.key()));
        if items.is_empty() {
            items.push(Value::Object(Map::new()));
        }
        let value = match wrap {
            0 => Value::String(secret.clone()),
            1 => Value::Array(vec![Value::String(secret.clone())]),
            2 => serde_json::json!({"json": secret}),
            _ => serde_json::json!([{"value": [secret]}]),
        };
        let i = at.index(items.len());
        if !items[i].is_object() {
            items[i] = Value::Object(Map::new());
        }
        plant(&mut items[i], &path, &name, value);
        let before = serde_json::to_string(&items).expect("serializes");
        prop_assert!(before.contains(&secret));

        let record = redact_items(artifact, &mut items);
        let after = serde_json::to_string(&items).expect("serializes");
        prop_assert!(!after.contains(&secret), "{secret} survived in {after}");
        prop_assert!(!record.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// The vault-file parser

/// A TOML string holding `s`: a literal string where it can be, a basic string with only the
/// required escapes, or every character escaped.
fn toml_string(s: &str, style: u8) -> String {
    match style % 3 {
        0 if !s.contains('\'') => format!("'{s}'"),
        1 => {
            let mut out = String::from("\"");
            for c in s.chars() {
                if u32::from(c) > 0xFFFF {
                    out.push_str(&format!("\\U{:08X}", u32::from(c)));
                } else {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
            }
            out + "\""
        }
        _ => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// A JSON string holding `s`, either as serde_json writes it or with every character escaped
/// (surrogate pairs above the BMP).
fn json_string(s: &str, escape_all: bool) -> String {
    if !escape_all {
        return serde_json::to_string(s).expect("a string serializes");
    }
    let mut out = String::from("\"");
    for unit in s.encode_utf16() {
        out.push_str(&format!("\\u{unit:04X}"));
    }
    out + "\""
}

/// How a valid vault file is laid out.
#[derive(Debug, Clone)]
struct Layout {
    secret_first: bool,
    key_quote: u8,
    string_style: u8,
    crlf: bool,
    comments: bool,
    spaces: bool,
    final_newline: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        any::<bool>(),
        0..3u8,
        any::<u8>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(secret_first, key_quote, string_style, crlf, comments, spaces, final_newline)| {
                Layout {
                    secret_first,
                    key_quote,
                    string_style,
                    crlf,
                    comments,
                    spaces,
                    final_newline,
                }
            },
        )
}

fn toml_vault(key: &str, secret: &str, l: &Layout) -> String {
    let name = |n: &str| match l.key_quote {
        0 => n.to_owned(),
        1 => format!("\"{n}\""),
        _ => format!("'{n}'"),
    };
    let eq = if l.spaces { " = " } else { "=" };
    let comment = if l.comments { " # the value" } else { "" };
    let mut lines = vec![
        format!(
            "{}{eq}{}{comment}",
            name("api_key"),
            toml_string(key, l.string_style)
        ),
        format!(
            "{}{eq}{}{comment}",
            name("api_secret"),
            toml_string(secret, l.string_style / 3)
        ),
    ];
    if l.secret_first {
        lines.swap(0, 1);
    }
    if l.comments {
        lines.insert(0, "# fivetran.toml".into());
        lines.insert(1, String::new());
    }
    let newline = if l.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(newline);
    if l.final_newline {
        text.push_str(newline);
    }
    text
}

fn json_vault(key: &str, secret: &str, l: &Layout) -> String {
    let escape_all = l.string_style.is_multiple_of(2);
    let mut fields = [
        format!("\"api_key\": {}", json_string(key, escape_all)),
        format!("\"api_secret\": {}", json_string(secret, escape_all)),
    ];
    if l.secret_first {
        fields.swap(0, 1);
    }
    let newline = if l.crlf { "\r\n" } else { "\n" };
    let (open, sep, close) = if l.spaces {
        (
            format!("{{{newline}  "),
            format!(",{newline}  "),
            format!("{newline}}}"),
        )
    } else {
        ("{".to_owned(), ",".to_owned(), "}".to_owned())
    };
    let mut text = format!("{open}{}{close}", fields.join(&sep));
    if l.comments {
        text.insert_str(0, newline);
    }
    if l.final_newline {
        text.push_str(newline);
    }
    text
}

fn vault_value() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,24}", "\\PC{0,16}"]
}

/// Pieces of TOML and JSON syntax, to build near-miss vault files from.
const VAULT_TOKENS: &[&str] = &[
    "api_key",
    "api_secret",
    " = ",
    "=",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "{",
    "}",
    "[",
    "]",
    "[[",
    "]]",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "#",
    ",",
    ":",
    ".",
    "\\",
    "\\u",
    "\\U0001F600",
    "1",
    "1.5",
    "true",
    "1979-05-27T07:32:00Z",
    "x",
    "é",
    "日本語",
    "😀",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{2028}",
];

/// A secret long enough, and from an alphabet distinctive enough, that no fixed word of an error
/// message can contain it.
fn distinctive_secret() -> impl Strategy<Value = String> {
    "[A-Z][0-9][A-Za-z0-9+/]{6,30}"
}

/// Vault files that are wrong in one way, next to a secret `S`.
fn broken_vault(key: &str, secret: &str, unknown: &str, which: u8) -> String {
    let (k, s, u) = (key, secret, unknown);
    match which % 23 {
        0 => format!("api_key = \"{k}\"\napi_secret = \"{s}\n"),
        1 => format!("api_key = \"{k}\"\napi_secret = {s}\n"),
        2 => format!("api_key = \"{k}\"\napi_secret = \"{s}\" {s}\n"),
        3 => format!("api_key = \"{k}\"\napi_secret = \"{s}\"\napi_secret = \"{s}\"\n"),
        4 => format!("api_key = \"{k}\"\napi_secret = [\"{s}\"]\n"),
        5 => format!("api_key = \"{k}\"\napi_secret = {{ value = \"{s}\" }}\n"),
        6 => format!("api_key = \"{k}\"\n[api_secret]\nvalue = \"{s}\"\n"),
        7 => format!("api_key = \"{k}\"\napi_secret = \"{s}\"\n{u} = \"{s}\"\n"),
        8 => format!("api_secret = \"{s}\"\n"),
        9 => format!("api_key = 5\napi_secret = \"{s}\"\n"),
        10 => format!("api_key = \"{k}\"\napi_secret = \"{s}\\q\"\n"),
        11 => format!("api_key = \"{k}\"\napi_secret = \"{s}\n{s}\"\n"),
        12 => format!("{{\"api_key\": \"{k}\", \"api_secret\": \"{s}"),
        13 => format!("{{\"api_key\": \"{k}\" \"api_secret\": \"{s}\"}}"),
        14 => format!("{{'api_key': '{k}', 'api_secret': '{s}'}}"),
        15 => format!("{{\"api_key\": \"{k}\", \"api_secret\": [\"{s}\"]}}"),
        16 => format!("{{\"api_key\": \"{k}\", \"api_secret\": {{\"v\": \"{s}\"}}}}"),
        17 => format!("{{\"api_key\": \"{k}\", \"api_secret\": \"{s}\", \"{u}\": \"{s}\"}}"),
        18 => format!("{{\"api_key\": \"{k}\", \"api_secret\": \"{s}\",}}"),
        19 => format!("{{\"api_key\": \"{k}\", \"api_secret\": {s}}}"),
        20 => format!("{{\"api_key\": \"{k}\", \"api_secret\": \"{s}\\q\"}}"),
        21 => format!("{{\"api_key\": \"{k}\", \"api_secret\": \"{s}\", \"api_secret\": \"{s}\"}}"),
        _ => format!("{{\"api_key\": \"{k}\", // {s}\n \"api_secret\": \"{s}\"}}"),
    }
}

/// One edit of a file: delete, insert or replace one character.
#[derive(Debug, Clone)]
struct Edit {
    at: Index,
    kind: u8,
    with: char,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        any::<Index>(),
        0..3u8,
        select(vec![
            '"', '\'', '=', '\n', '[', ']', '{', '}', ',', ':', '\\', '#', ' ', '.',
        ]),
    )
        .prop_map(|(at, kind, with)| Edit { at, kind, with })
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = edit.at.index(chars.len() + 1);
    match edit.kind {
        0 if i < chars.len() => {
            chars.remove(i);
        }
        1 if i < chars.len() => chars[i] = edit.with,
        _ => chars.insert(i, edit.with),
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn vault_files_read_back_exactly_what_was_written(
        key in vault_value(),
        secret in vault_value(),
        layout in layout(),
    ) {
        let toml = toml_vault(&key, &secret, &layout);
        // Compared field by field: `Debug` of a vault hides the values a failure should show.
        let single = |v: Result<Vault, String>| match v {
            Ok(Vault::Single(a)) => Ok((a.api_key, a.api_secret, a.api_url)),
            other => Err(format!("{other:?}")),
        };
        prop_assert_eq!(single(parse_vault(&toml)), Ok((key.clone(), secret.clone(), None)), "TOML:\n{}", toml);
        let json = json_vault(&key, &secret, &layout);
        prop_assert_eq!(single(parse_vault(&json)), Ok((key, secret, None)), "JSON:\n{}", json);
    }

    #[test]
    fn a_broken_vault_file_is_refused_without_quoting_the_secret(
        key in "[a-z0-9]{4,12}",
        secret in distinctive_secret(),
        unknown in "[a-z][a-z_]{2,10}".prop_filter("not a vault key", |u| !["api_key", "api_secret", "api_url", "profiles"].contains(&u.as_str())),
        which in any::<u8>(),
    ) {
        let text = broken_vault(&key, &secret, &unknown, which);
        let Err(err) = parse_vault(&text) else {
            return Err(TestCaseError::fail(format!("accepted:\n{text}")));
        };
        prop_assert!(!err.contains(&secret), "{err:?} quotes the secret of:\n{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn a_damaged_vault_file_never_has_its_secret_quoted(
        key in "[a-z0-9]{4,12}",
        secret in distinctive_secret(),
        layout in layout(),
        json in any::<bool>(),
        edits in vec(edit(), 1..4),
    ) {
        let mut text = if json {
            json_vault(&key, &secret, &layout)
        } else {
            toml_vault(&key, &secret, &layout)
        };
        for e in &edits {
            text = apply(&text, e);
        }
        if let Err(err) = parse_vault(&text) {
            prop_assert!(!err.contains(&secret), "{err:?} quotes the secret of:\n{text}");
        }
    }

    #[test]
    fn the_vault_parser_never_panics_and_its_errors_are_one_plain_line(
        text in prop_oneof![
            any::<String>(),
            vec(select(VAULT_TOKENS), 0..24).prop_map(|t| t.concat()),
        ],
    ) {
        if let Err(err) = parse_vault(&text) {
            prop_assert!(!err.is_empty());
            prop_assert!(!err.chars().any(char::is_control), "{err:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The envelope decoder

/// What `decode` must return: `data` when it is an object and, for lists, has an array `items`
/// and a `next_cursor` that is a string, null or absent.
fn decode_oracle(envelope: &Value, shape: Shape) -> Option<Value> {
    let data = envelope.as_object()?.get("data")?;
    let fields = data.as_object()?;
    if shape == Shape::List {
        if !matches!(fields.get("items"), Some(Value::Array(_))) {
            return None;
        }
        if !matches!(
            fields.get("next_cursor"),
            None | Some(Value::Null | Value::String(_))
        ) {
            return None;
        }
    }
    Some(data.clone())
}

/// Envelopes near and far from the ones Fivetran sends.
fn envelope() -> impl Strategy<Value = Value> {
    let cursor = prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        "[a-zA-Z0-9=]{0,12}".prop_map(|s| Some(Value::String(s))),
        tree().prop_map(Some),
    ];
    let items = prop_oneof![
        1 => Just(None),
        2 => vec(tree(), 0..4).prop_map(|v| Some(Value::Array(v))),
        1 => tree().prop_map(Some),
    ];
    let extra = || btree_map("[a-z_]{1,8}", tree(), 0..3);
    let data = prop_oneof![
        3 => (items, cursor, extra()).prop_map(|(items, cursor, extra)| {
            let mut data: Map<String, Value> = extra.into_iter().collect();
            if let Some(items) = items {
                data.insert("items".into(), items);
            }
            if let Some(cursor) = cursor {
                data.insert("next_cursor".into(), cursor);
            }
            Value::Object(data)
        }),
        1 => tree(),
    ];
    prop_oneof![
        4 => (prop::option::of(data), prop::option::of(select(vec!["Success", "NotFound_Connection"])), extra())
            .prop_map(|(data, code, extra)| {
                let mut envelope: Map<String, Value> = extra.into_iter().collect();
                if let Some(code) = code {
                    envelope.insert("code".into(), code.into());
                }
                if let Some(data) = data {
                    envelope.insert("data".into(), data);
                }
                Value::Object(envelope)
            }),
        1 => tree(),
    ]
}

/// Pieces of JSON, to build bodies that are almost envelopes.
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    " ",
    "\"data\"",
    "\"items\"",
    "\"next_cursor\"",
    "\"code\"",
    "\"Success\"",
    "null",
    "true",
    "1",
    "-0",
    "1e999",
    "18446744073709551616",
    "\"x\"",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"é\"",
    "\u{feff}",
    "\\",
    "\"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decode_accepts_exactly_the_envelopes_it_should(
        envelope in envelope(),
        pretty in any::<bool>(),
    ) {
        let body = if pretty {
            serde_json::to_vec_pretty(&envelope)
        } else {
            serde_json::to_vec(&envelope)
        }
        .expect("serializes");
        // The oracle reads the body back rather than trusting `envelope`: a float may come back
        // a unit in the last place away, and `decode` sees only the bytes.
        let read_back: Value = serde_json::from_slice(&body).expect("our own JSON parses");
        for shape in [Shape::Object, Shape::List] {
            let got = decode(&body, shape);
            let want = decode_oracle(&read_back, shape);
            prop_assert_eq!(got.as_ref().ok(), want.as_ref(), "{:?}", shape);
            if let Err(why) = got {
                prop_assert!(!why.is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(
        body in prop_oneof![
            vec(any::<u8>(), 0..256),
            vec(select(JSON_TOKENS), 0..32).prop_map(|t| t.concat().into_bytes()),
        ],
    ) {
        let read_back = serde_json::from_slice::<Value>(&body).ok();
        for shape in [Shape::Object, Shape::List] {
            let got = decode(&body, shape).ok();
            let want = read_back.as_ref().and_then(|v| decode_oracle(v, shape));
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn deeply_nested_bodies_are_refused_not_a_stack_overflow() {
    const DEPTH: usize = 10_000;
    let (open, close) = ("[".repeat(DEPTH), "]".repeat(DEPTH));
    let bodies = [
        format!("{open}{close}"),
        open.clone(),
        format!("{}1{}", "{\"a\":".repeat(DEPTH), "}".repeat(DEPTH)),
        format!("{{\"data\":{{\"items\":[{open}{close}]}}}}"),
        format!(
            "{{\"data\":{{\"items\":[],\"next_cursor\":{}null{}}}}}",
            "{\"a\":".repeat(DEPTH),
            "}".repeat(DEPTH)
        ),
    ];
    for body in &bodies {
        for shape in [Shape::Object, Shape::List] {
            let err = decode(body.as_bytes(), shape).expect_err("too deep to accept");
            assert!(err.contains("recursion limit"), "{shape:?}: {err}");
        }
    }
    // Depth that real answers have is fine; past 64 levels under `data` is refused, so that
    // no artifact can nest deeper than JSON readers (serde_json: 128) accept.
    let nested = |levels: usize| {
        format!(
            "{{\"data\":{{\"items\":[{}{}]}}}}",
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    assert!(decode(nested(50).as_bytes(), Shape::List).is_ok());
    let err = decode(nested(100).as_bytes(), Shape::List).expect_err("too deep");
    assert!(err.contains("nested more than 64 levels"), "{err}");
}
