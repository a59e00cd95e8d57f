//! Keeps the layers of `iru-fivetran-core` honest: Cargo enforces the direction between the
//! crates, this test enforces the order inside this one.
//!
//! It reads every `use` and every `crate::` / `super::` path of every source file (comments
//! and string literals left out), resolves it to the module it names, and fails, naming the
//! file, the line and the import, when
//! - a top-level module imports one of its own layer or of a higher one, the layers being the
//!   table in `src/lib.rs`'s documentation (so the table a reader sees is the one enforced,
//!   and a new top-level module without a row fails too);
//! - modules under one parent import each other, directly or round a longer circle (a child
//!   may always use its parent, and a parent its children).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module path from the crate root: `["evidence", "bundle", "spill"]`.
type ModPath = Vec<String>;

/// One import found in a file.
#[derive(Debug, Clone)]
struct Import {
    /// The file, relative to the crate's `src/`.
    file: String,
    /// 1-based line where the path starts.
    line: usize,
    /// The path as written (`crate::evidence::bundle::Bundle`).
    text: String,
    /// The module the importing file is.
    from: ModPath,
    /// The module the path names (its longest prefix that is a module).
    to: ModPath,
}

/// Every `.rs` file under `src`, with the module it is.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let mut segments: ModPath = relative
                .iter()
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
                segments.pop();
            }
            found.insert(segments, path);
        }
    }
    found
}

/// `text` with comments, string and char literals blanked out (newlines kept, so line
/// numbers still hold).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let end: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = chars[j + 1..].iter().collect();
            let len = rest.find(&end).map_or(rest.len(), |p| p + end.len());
            let stop = j + 1 + rest[..len].chars().count();
            for &ch in &chars[i..stop.min(chars.len())] {
                out.push(blank(ch));
            }
            i = stop;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let len = char_literal_len(&chars, i);
            for _ in 0..len {
                out.push(' ');
            }
            i += len;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

fn char_literal_len(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    if chars.get(j) == Some(&'\\') {
        j += 2;
    } else {
        j += 1;
    }
    while j < chars.len() && chars[j] != '\'' {
        j += 1;
    }
    j + 1 - i
}

/// The paths of a `use` tree: `a::{b, c::{d, e as f}}` gives `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let mut out = Vec::new();
    expand_into("", tree.trim(), &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            // `e as f` names `e`; `a :: b` is `a::b`.
            let item = tree.split(" as ").next().unwrap_or(tree);
            let item: String = item.chars().filter(|c| !c.is_whitespace()).collect();
            out.push(join(prefix, item.trim_end_matches("::")));
        }
        Some(open) => {
            let head: String = tree[..open]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let base = join(prefix, head.trim_end_matches("::"));
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !inner[start..k].trim().is_empty() {
                            expand_into(&base, &inner[start..k], out);
                        }
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].trim().is_empty() {
                expand_into(&base, &inner[start..], out);
            }
        }
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}::{rest}"),
    }
}

/// A path resolved from the module `from`: `crate::a::b` → `[a, b]`, `super::x` → the parent's
/// `x`. `None` for paths into other crates.
fn resolve(from: &[String], path: &str) -> Option<ModPath> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let first = segments.next()?;
    let mut base: ModPath = match first {
        "crate" => Vec::new(),
        "super" => from[..from.len().saturating_sub(1)].to_vec(),
        "self" => from.to_vec(),
        _ => return None,
    };
    for s in segments {
        match s {
            "super" => {
                base.pop();
            }
            "self" => {}
            s => base.push(s.to_owned()),
        }
    }
    Some(base)
}

/// The longest prefix of `path` that is a module.
fn module_of(path: &[String], known: &BTreeSet<ModPath>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
        .unwrap_or_default()
}

/// Every import of every file under `src`.
fn imports(src: &Path) -> Vec<Import> {
    let files = modules(src);
    let known: BTreeSet<ModPath> = files.keys().cloned().collect();
    let mut found = Vec::new();
    for (from, path) in &files {
        let text = fs::read_to_string(path).expect("read");
        let code = code_only(&text);
        let file = path
            .strip_prefix(src)
            .expect("under src")
            .display()
            .to_string();
        let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
        let mut used_spans = Vec::new();
        let mut search = 0;
        while let Some(at) = find_word(&code, "use", search) {
            let Some(end) = code[at..].find(';').map(|e| at + e) else {
                break;
            };
            used_spans.push((at, end));
            for path in expand(&code[at + 3..end]) {
                if let Some(resolved) = resolve(from, &path) {
                    found.push(Import {
                        file: file.clone(),
                        line: line_of(at),
                        text: path.clone(),
                        from: from.clone(),
                        to: module_of(&resolved, &known),
                    });
                }
            }
            search = end;
        }
        for start in ["crate::", "super::"] {
            let mut from_offset = 0;
            while let Some(at) = code[from_offset..].find(start).map(|p| p + from_offset) {
                from_offset = at + start.len();
                if at > 0 && {
                    let before = code[..at].chars().next_back().unwrap_or(' ');
                    before.is_alphanumeric() || before == '_' || before == ':'
                } {
                    continue;
                }
                if used_spans.iter().any(|&(a, b)| at > a && at < b) {
                    continue;
                }
                let len = code[at..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(code.len() - at);
                let path = code[at..at + len].trim_end_matches(':');
                if let Some(resolved) = resolve(from, path) {
                    found.push(Import {
                        file: file.clone(),
                        line: line_of(at),
                        text: path.to_owned(),
                        from: from.clone(),
                        to: module_of(&resolved, &known),
                    });
                }
            }
        }
    }
    found
}

/// The next `word` at a word boundary, at or after `from`.
fn find_word(code: &str, word: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(p) = code[at..].find(word).map(|p| p + at) {
        let before = code[..p].chars().next_back().unwrap_or(' ');
        let after = code[p + word.len()..].chars().next().unwrap_or(' ');
        if !(before.is_alphanumeric() || before == '_') && after.is_whitespace() {
            return Some(p);
        }
        at = p + word.len();
    }
    None
}

/// The layer of each top-level module, read from the table in `lib.rs`'s documentation:
/// rows `//! | N | [`a`], [`b`](mod@b) | ... |`.
fn layers(lib: &str) -> BTreeMap<String, u32> {
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let mut cells = row.split('|');
        let (Some(layer), Some(modules)) = (cells.next(), cells.next()) else {
            continue;
        };
        let Ok(layer) = layer.trim().parse::<u32>() else {
            continue;
        };
        // Each module is a link: [`name`], or [`name`](mod@name) where the name is ambiguous.
        for cell in modules.split(',') {
            if let Some(name) = cell.split('`').nth(1) {
                layers.insert(name.to_owned(), layer);
            }
        }
    }
    layers
}

/// Everything wrong with the imports of the crate whose sources are `src`, one line each.
fn problems(src: &Path) -> Vec<String> {
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let layers = layers(&lib);
    let imports = imports(src);
    let mut problems = Vec::new();
    let tops: BTreeSet<String> = modules(src)
        .keys()
        .filter_map(|m| m.first().cloned())
        .collect();
    for top in &tops {
        if !layers.contains_key(top) {
            problems.push(format!(
                "src/lib.rs: module `{top}` has no row in the layer table; give it a layer"
            ));
        }
    }
    // Layers: between top-level modules, imports point strictly down.
    for import in &imports {
        let (Some(from), Some(to)) = (import.from.first(), import.to.first()) else {
            continue;
        };
        if from == to {
            continue;
        }
        let (Some(&a), Some(&b)) = (layers.get(from), layers.get(to)) else {
            continue;
        };
        if b >= a {
            problems.push(format!(
                "src/{}:{}: `{}` (layer {a}) imports `{to}` (layer {b}): a module imports only from layers below its own",
                import.file, import.line, import.text
            ));
        }
    }
    // Inside a module: no circle among the modules under one parent.
    let mut edges: BTreeMap<ModPath, BTreeMap<(String, String), &Import>> = BTreeMap::new();
    for import in &imports {
        let common = import
            .from
            .iter()
            .zip(&import.to)
            .take_while(|(a, b)| a == b)
            .count();
        // A child using its parent, or a parent its child, is no circle; nor is the crate
        // root, whose order the layers above already fix.
        if common == import.from.len() || common == import.to.len() || common == 0 {
            continue;
        }
        let parent = import.from[..common].to_vec();
        let (a, b) = (import.from[common].clone(), import.to[common].clone());
        edges
            .entry(parent)
            .or_default()
            .entry((a, b))
            .or_insert(import);
    }
    for (parent, pairs) in &edges {
        for ((a, b), import) in pairs {
            if let Some(back) = path_between(pairs, b, a) {
                let back_import = pairs[&(back[0].clone(), back[1].clone())];
                problems.push(format!(
                    "src/{}:{}: `{}` imports `{}`, and `{}` leads back to it (src/{}:{} `{}`): modules under `{}` form a circle; move what both need into one of them or a module of its own",
                    import.file,
                    import.line,
                    import.text,
                    b,
                    b,
                    back_import.file,
                    back_import.line,
                    back_import.text,
                    if parent.is_empty() { "crate".to_owned() } else { parent.join("::") },
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// A chain of edges from `start` to `goal`, as the list of nodes, if there is one.
fn path_between(
    pairs: &BTreeMap<(String, String), &Import>,
    start: &str,
    goal: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![start.to_owned()]];
    while let Some(path) = stack.pop() {
        let last = path.last().expect("a node").clone();
        if last == goal {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for (a, b) in pairs.keys() {
            if *a == last {
                let mut next = path.clone();
                next.push(b.clone());
                stack.push(next);
            }
        }
    }
    None
}

#[test]
fn the_core_crate_imports_only_down_its_layers_and_round_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = problems(&src);
    assert!(
        problems.is_empty(),
        "{} import(s) break the layers (docs/architecture.md):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_layer_table_names_every_top_level_module_once() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = layers(&fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    let tops: BTreeSet<String> = modules(&src)
        .keys()
        .filter_map(|m| m.first().cloned())
        .collect();
    let named: BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(
        named, tops,
        "the table in src/lib.rs and the modules differ"
    );
}

/// A small crate written to a temporary directory: `(file under src, text)`.
fn plant(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

const LIB: &str = "//! | layer | modules | owns |\n//! |---|---|---|\n//! | 0 | [`words`] | x |\n//! | 1 | [`net`] | x |\n//! | 2 | [`store`] | x |\npub mod net;\npub mod store;\npub mod words;\n";

#[test]
fn a_planted_back_import_fails_naming_the_file_and_the_import() {
    let clean = plant(&[
        ("lib.rs", LIB),
        ("words.rs", "pub struct Word;\n"),
        (
            "net.rs",
            "use crate::words::Word;\npub fn get(_: Word) {}\n",
        ),
        (
            "store/mod.rs",
            "mod a;\nmod b;\nuse crate::{net, words::Word};\n",
        ),
        ("store/a.rs", "use super::b::B;\npub struct A;\n"),
        ("store/b.rs", "pub struct B;\n"),
    ]);
    assert_eq!(problems(clean.path()), Vec::<String>::new());

    // The lowest layer reaches up, in a multi-line `use` and in an inline path; a comment and
    // a string that mention a higher layer are not imports.
    let planted = plant(&[
        ("lib.rs", LIB),
        (
            "words.rs",
            "// crate::store is only mentioned\nuse crate::{\n    net::get,\n};\npub fn f() { let _ = \"crate::store\"; crate::store::x(); }\n",
        ),
        ("net.rs", "pub fn get() {}\n"),
        ("store.rs", "pub fn x() {}\n"),
    ]);
    let found = problems(planted.path());
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("src/words.rs:2: `crate::net::get` (layer 0) imports `net`"),
        "{}",
        found[0]
    );
    assert!(
        found[1].starts_with("src/words.rs:5: `crate::store::x` (layer 0) imports `store`"),
        "{}",
        found[1]
    );
}

#[test]
fn two_siblings_importing_each_other_fail() {
    let circle = plant(&[
        ("lib.rs", LIB),
        ("words.rs", ""),
        ("net.rs", ""),
        ("store/mod.rs", "mod a;\nmod b;\nmod c;\n"),
        ("store/a.rs", "use super::b::B;\npub struct A;\n"),
        ("store/b.rs", "use crate::store::c::C;\npub struct B;\n"),
        ("store/c.rs", "use super::a::A;\npub struct C;\n"),
    ]);
    let found = problems(circle.path());
    assert_eq!(
        found.len(),
        3,
        "one line per import in the circle: {found:#?}"
    );
    assert!(found[0].contains("src/store/a.rs:1: `super::b::B` imports `b`"));
    assert!(
        found
            .iter()
            .all(|p| p.contains("modules under `store` form a circle"))
    );
}

#[test]
fn a_module_without_a_layer_fails() {
    let unlisted = plant(&[
        ("lib.rs", LIB),
        ("words.rs", ""),
        ("net.rs", ""),
        ("store.rs", ""),
        ("extra.rs", "use crate::words;\n"),
    ]);
    assert_eq!(
        problems(unlisted.path()),
        ["src/lib.rs: module `extra` has no row in the layer table; give it a layer"]
    );
}
