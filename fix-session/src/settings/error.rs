//! What can be wrong with a settings file, and what is worth a word
//! without being wrong.

use std::fmt;
use std::path::PathBuf;

/// Why a settings file could not be used. Every variant names the 1-based
/// line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A line that is not blank, a comment, a section header or `Key=Value`.
    #[error("line {line}: expected `Key=Value`, a [DEFAULT] or [SESSION] header, or a comment; found {text:?}")]
    Syntax {
        /// The line.
        line: usize,
        /// Its text, trimmed.
        text: String,
    },
    /// A section other than `[DEFAULT]` and `[SESSION]`.
    #[error("line {line}: unknown section [{name}] (expected [DEFAULT] or [SESSION])")]
    UnknownSection {
        /// The line of the header.
        line: usize,
        /// The name between the brackets.
        name: String,
    },
    /// A second `[DEFAULT]` section.
    #[error("line {line}: a second [DEFAULT] section (the first is at line {first_line})")]
    DuplicateDefault {
        /// The line of the second header.
        line: usize,
        /// The line of the first header.
        first_line: usize,
    },
    /// A `Key=Value` line before the first section header.
    #[error("line {line}: {key} is outside a section (put it under [DEFAULT] or [SESSION])")]
    OutsideSection {
        /// The line.
        line: usize,
        /// The key.
        key: String,
    },
    /// A key this engine does not know.
    #[error("line {line}: unknown key {key}{}", suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownKey {
        /// The line.
        line: usize,
        /// The key as written.
        key: String,
        /// A known key differing only in letter case.
        suggestion: Option<&'static str>,
    },
    /// A key set twice in one section (possibly under two names).
    #[error("line {line}: {key} sets again what {first_key} set at line {first_line} in the same section")]
    DuplicateKey {
        /// The line of the second setting.
        line: usize,
        /// The key of the second setting.
        key: String,
        /// The line of the first setting.
        first_line: usize,
        /// The key of the first setting.
        first_key: String,
    },
    /// A value that does not parse as the key requires.
    #[error("line {line}: bad value {value:?} for {key}: expected {expected}")]
    BadValue {
        /// The line.
        line: usize,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What the key accepts.
        expected: String,
    },
    /// A required key that neither the session nor `[DEFAULT]` sets.
    #[error("line {line}: missing {key} ({why})")]
    MissingKey {
        /// The line of the `[SESSION]` header, or of the key that requires
        /// the missing one.
        line: usize,
        /// The missing key.
        key: String,
        /// Why it is required.
        why: String,
    },
    /// A value that contradicts another setting or cannot be used here.
    #[error("line {line}: {key}: {reason}")]
    Inconsistent {
        /// The line.
        line: usize,
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A data dictionary file that cannot be read or is not a usable
    /// QuickFIX XML dictionary (see [`DictionaryLoader`](crate::dictionary::DictionaryLoader)).
    #[error("line {line}: {key}={}: {reason}", path.display())]
    Dictionary {
        /// The line of the key naming the file (of the `[SESSION]` header
        /// for a built-in dictionary that does not suit the session).
        line: usize,
        /// The key: DataDictionary, TransportDataDictionary or
        /// AppDataDictionary.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// Two sessions with the same identity.
    #[error("line {line}: session {session} is already defined at line {first_line}")]
    DuplicateSession {
        /// The line of the second `[SESSION]` header.
        line: usize,
        /// The session's identity.
        session: String,
        /// The line of the first one.
        first_line: usize,
    },
}

/// A key of the settings file that has no effect here (see
/// [`Settings::warnings`](super::Settings::warnings)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsWarning {
    /// The first line that sets the key.
    pub line: usize,
    /// The key.
    pub key: String,
    /// Why it has no effect.
    pub reason: String,
}

impl fmt::Display for SettingsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: {} has no effect: {}",
            self.line, self.key, self.reason
        )
    }
}
