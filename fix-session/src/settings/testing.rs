//! The checks every layer's tests run on its key table: the reference
//! file is the one the table generates, every example is accepted, and
//! every default the reference states is the value used without the key.
//! (With the `testing` feature.)

use super::key::{reference, KeyDoc, KeyTable};
use std::fmt::Debug;
use std::path::Path;

/// Where each crate keeps its generated reference, under its manifest
/// directory.
pub const REFERENCE_FILE: &str = "src/settings/reference.md";

/// Asserts that `REFERENCE_FILE` of the crate at `manifest_dir` holds
/// the reference of `tables` (and lists each of their keys); with the
/// environment variable `FIX_SETTINGS_BLESS` set, writes it first.
pub fn check_reference(tables: &[&KeyTable], manifest_dir: &str, package: &str) {
    let generated = reference(
        tables,
        &format!(
            "from the key table of {package}; \
             regenerate with FIX_SETTINGS_BLESS=1 cargo test -p {package} reference"
        ),
    );
    for doc in docs(tables) {
        assert!(
            generated.contains(&format!("| `{}` |", doc.name)),
            "{}",
            doc.name
        );
    }
    let path = Path::new(manifest_dir).join(REFERENCE_FILE);
    if std::env::var_os("FIX_SETTINGS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write the reference");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{} is stale: run the tests with FIX_SETTINGS_BLESS=1",
        path.display()
    );
}

/// Asserts of every key of `tables` that its example sets it (a
/// placeholder such as `<n>` stands for any qualifier, a name ending in
/// `...` for a family of keys), that its reference fields are neither
/// empty nor hold a `|`, and that `read` takes a file made of
/// `session(key)` (a valid file up to the last lines of a `[SESSION]`,
/// with what the key needs beside it) and the example.
pub fn check_examples<T>(
    tables: &[&KeyTable],
    session: impl Fn(&KeyDoc) -> String,
    mut read: impl FnMut(&str) -> Result<T, String>,
) {
    for doc in docs(tables) {
        let (key, _) = doc.example.split_once('=').expect("example is Key=Value");
        let (head, tail) = match doc.name.split_once('<') {
            Some((head, rest)) => (head, rest.split_once('>').map_or("", |(_, t)| t)),
            None => (doc.name.strip_suffix("...").unwrap_or(doc.name), ""),
        };
        let family = head.len() != doc.name.len();
        assert!(
            if family {
                key.starts_with(head) && key.ends_with(tail) && key.len() > head.len() + tail.len()
            } else {
                key == doc.name
            },
            "the example of {} sets {key}",
            doc.name
        );
        for field in [doc.name, doc.group, doc.default, doc.meaning] {
            assert!(!field.contains('|') && !field.is_empty(), "{}", doc.name);
        }
        let text = format!("{}{}\n", session(&doc), doc.example);
        if let Err(e) = read(&text) {
            panic!("{}: {e}\n{text}", doc.example);
        }
    }
}

/// Asserts of every key of `tables` whose reference states a literal
/// default (not "none", "required ...", "the ..." or "every ...") that
/// `read` gives the same for the file `session(key)` with the key set to
/// that default as without it.
pub fn check_defaults<T: PartialEq + Debug>(
    tables: &[&KeyTable],
    session: impl Fn(&KeyDoc) -> String,
    mut read: impl FnMut(&str) -> T,
) {
    for doc in docs(tables) {
        let literal = !["none", "required", "the ", "every"]
            .iter()
            .any(|p| doc.default.starts_with(p));
        if literal {
            let without = session(&doc);
            let with = format!("{without}{}={}\n", doc.name, doc.default);
            assert_eq!(read(&with), read(&without), "{}={}", doc.name, doc.default);
        }
    }
}

fn docs(tables: &[&KeyTable]) -> Vec<KeyDoc> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .flat_map(|k| k.docs())
        .collect()
}

/// Values no key takes, written to trip parsers: empty, non-ASCII,
/// signs alone, control characters, numbers too large, exponents, section
/// headers and `=` inside values.
pub const ODD_VALUES: &[&str] = &[
    "",
    "é",
    "+é1",
    "+aé1",
    "-",
    "+",
    "\u{1}",
    "99999999999999999999",
    "-99999999999",
    "1e400",
    "inf",
    "1.5",
    " ",
    "08:00:00 +é",
    "all +",
    "[SESSION]",
    "=",
    "Y=N",
];

/// Asserts that `read` neither panics nor fails without naming a line for
/// `file(line)` with each `key=value` line of `keys` and [`ODD_VALUES`],
/// and that it refuses files whose syntax is broken.
pub fn check_odd_values<T, E: std::fmt::Display>(
    keys: &[&str],
    file: impl Fn(&str) -> String,
    mut read: impl FnMut(&str) -> Result<T, E>,
) {
    for key in keys {
        for value in ODD_VALUES {
            if let Err(e) = read(&file(&format!("{key}={value}"))) {
                let e = e.to_string();
                assert!(e.starts_with("line "), "{key}={value:?}: {e}");
            }
        }
    }
    for text in ["[", "]", "[]", "[=]", "\u{feff}x", "é=é", "[SESSION]\né"] {
        assert!(read(text).is_err(), "{text:?}");
    }
}
