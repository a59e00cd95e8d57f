//! The vault-file parser on arbitrary text: it never panics; what it reads reads back the same
//! from a canonical TOML and JSON file; its errors are one plain line and never quote a value
//! from the file.

#![no_main]

use iru_fivetran_core::credentials::{Vault, parse_vault};
use libfuzzer_sys::fuzz_target;

/// A TOML basic string, every character escaped.
fn toml_basic(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        out.push_str(&format!("\\U{:08X}", u32::from(c)));
    }
    out + "\""
}

/// Every string value in the file, at any depth, and every key, if the file parses at all.
fn strings(text: &str) -> (Vec<String>, Vec<String>) {
    fn toml_walk(v: &toml::Value, values: &mut Vec<String>, keys: &mut Vec<String>) {
        match v {
            toml::Value::String(s) => values.push(s.clone()),
            toml::Value::Array(a) => a.iter().for_each(|v| toml_walk(v, values, keys)),
            toml::Value::Table(t) => t.iter().for_each(|(k, v)| {
                keys.push(k.clone());
                toml_walk(v, values, keys);
            }),
            _ => {}
        }
    }
    fn json_walk(v: &serde_json::Value, values: &mut Vec<String>, keys: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => values.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| json_walk(v, values, keys)),
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                keys.push(k.clone());
                json_walk(v, values, keys);
            }),
            _ => {}
        }
    }
    let (mut values, mut keys) = (Vec::new(), Vec::new());
    if let Ok(table) = toml::from_str::<toml::Table>(text) {
        toml_walk(&toml::Value::Table(table), &mut values, &mut keys);
    } else if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        json_walk(&value, &mut values, &mut keys);
    }
    (values, keys)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_vault(text) {
        Ok(Vault::Single(account)) => {
            let (key, secret) = (account.api_key.clone(), account.api_secret.clone());
            let mut json = serde_json::json!({"api_key": key, "api_secret": secret});
            let mut toml = format!(
                "api_key = {}\napi_secret = {}\n",
                toml_basic(&key),
                toml_basic(&secret)
            );
            if let Some(url) = &account.api_url {
                json["api_url"] = url.clone().into();
                toml.push_str(&format!("api_url = {}\n", toml_basic(url)));
            }
            assert_eq!(parse_vault(&json.to_string()), Ok(Vault::Single(account.clone())));
            assert_eq!(parse_vault(&toml), Ok(Vault::Single(account)));
        }
        Ok(Vault::Profiles(profiles)) => {
            // Names are plain words, so they need no quoting in either syntax.
            let mut toml = String::new();
            let mut json = serde_json::Map::new();
            for (name, a) in &profiles {
                toml.push_str(&format!(
                    "[profiles.{name}]\napi_key = {}\napi_secret = {}\n",
                    toml_basic(&a.api_key),
                    toml_basic(&a.api_secret)
                ));
                let mut entry = serde_json::json!({"api_key": a.api_key, "api_secret": a.api_secret});
                if let Some(url) = &a.api_url {
                    toml.push_str(&format!("api_url = {}\n", toml_basic(url)));
                    entry["api_url"] = url.clone().into();
                }
                json.insert(name.to_string(), entry);
            }
            let json = serde_json::json!({"profiles": json}).to_string();
            assert_eq!(parse_vault(&json), Ok(Vault::Profiles(profiles.clone())));
            assert_eq!(parse_vault(&toml), Ok(Vault::Profiles(profiles)));
        }
        Err(err) => {
            assert!(
                !err.is_empty() && !err.chars().any(char::is_control),
                "{err:?}"
            );
            // Unknown key names are quoted on purpose, and a short or spaced value could be a
            // word of the message itself; any other value must not appear.
            let (values, keys) = strings(text);
            for v in values {
                let distinctive = v.chars().count() >= 8
                    && !v.contains(|c: char| c.is_whitespace() || "(),`".contains(c))
                    && !"api_secret".contains(v.as_str())
                    && !keys.iter().any(|k| k.contains(v.as_str()));
                assert!(!(distinctive && err.contains(&v)), "{err:?} quotes {v:?}");
            }
        }
    }
});
