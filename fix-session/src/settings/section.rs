//! The sections a settings file is read into: [`Section`] (one
//! `[SESSION]` with the `[DEFAULT]` entries it inherits) of [`Entry`]
//! lines. Parsing fills them (`file`), the key tables read typed values
//! from them (`key`).

use std::sync::Arc;

/// One `Key=Value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its line (1-based).
    pub line: usize,
    /// The key, trimmed.
    pub key: String,
    /// The value, trimmed; empty to clear a value inherited from
    /// `[DEFAULT]`.
    pub value: String,
}

/// One `[SESSION]` of a settings file with the `[DEFAULT]` entries it
/// inherits. The layers read their typed values from it
/// ([`get`](Section::get), [`family`](Section::family)).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub(super) line: usize,
    pub(super) own: Vec<Entry>,
    pub(super) inherited: Arc<[Entry]>,
}

impl Section {
    /// The line of the `[SESSION]` header.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The session's own entries, in file order.
    pub fn own(&self) -> &[Entry] {
        &self.own
    }

    /// The `[DEFAULT]` entries, in file order.
    pub fn inherited(&self) -> &[Entry] {
        &self.inherited
    }
}
