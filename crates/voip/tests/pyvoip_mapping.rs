//! `docs/pyvoip-mapping.md` names only what exists: every Rust path in it
//! (`crate::Type::item`) is checked against the source of its crate, so a rename or a
//! typo in the mapping fails here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

const CRATES: [&str; 6] = [
    "voip",
    "sip_message",
    "sip_transport",
    "rtp_core",
    "credentials",
    "g711",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Names a crate defines or re-exports: items after a keyword, fields and variants
/// (an identifier opening a line and followed by `(`, `{`, `,`, `:` or `=`), and every
/// name in a `pub use`.
fn defined_names(crate_name: &str) -> HashSet<String> {
    let mut files = Vec::new();
    rust_files(
        &root()
            .join("crates")
            .join(crate_name.replace('_', "-"))
            .join("src"),
        &mut files,
    );
    assert!(!files.is_empty(), "no source for {crate_name}");
    let mut names = HashSet::new();
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let mut l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            if l.starts_with("pub use ") {
                for word in l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    names.insert(word.to_owned());
                }
                continue;
            }
            for prefix in ["pub(crate) ", "pub ", "const ", "async ", "unsafe "] {
                l = l.strip_prefix(prefix).unwrap_or(l);
            }
            for kw in [
                "fn ", "struct ", "enum ", "trait ", "type ", "const ", "mod ", "static ",
            ] {
                if let Some(rest) = l.strip_prefix(kw) {
                    names.insert(ident(rest).to_owned());
                }
            }
            let id = ident(l);
            if !id.is_empty()
                && l[id.len()..]
                    .trim_start()
                    .starts_with(['(', '{', ',', ':', '='])
            {
                names.insert(id.to_owned());
            }
        }
    }
    names
}

#[test]
fn every_rust_name_in_the_pyvoip_mapping_exists() {
    let doc = std::fs::read_to_string(root().join("docs/pyvoip-mapping.md")).unwrap();
    let defined: Vec<(&str, HashSet<String>)> =
        CRATES.iter().map(|c| (*c, defined_names(c))).collect();
    let mut checked = 0;
    let mut missing = Vec::new();
    for (i, span) in doc.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if i % 2 == 0 {
            continue;
        }
        let Some((krate, rest)) = span.split_once("::") else {
            continue;
        };
        let Some((_, names)) = defined.iter().find(|(c, _)| *c == krate) else {
            continue;
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            continue;
        }
        checked += 1;
        for segment in rest.split("::") {
            if !names.contains(segment) {
                missing.push(format!("{span} ({segment})"));
            }
        }
    }
    assert!(
        checked > 150,
        "only {checked} paths found: is the table there?"
    );
    assert!(missing.is_empty(), "not in the source: {missing:#?}");
}
