//! The file store's keys of a settings file (FileStorePath, FileStoreSync,
//! FileStoreMaxMessages), declared in [`KEYS`] and read into
//! [`StoreSettings`]; the file format and the other layers' keys are
//! `fixrs_session::settings`'.
//!
//! ```
//! use fixrs_session::settings::{Settings, KEYS as SESSION_KEYS};
//! use fixrs_store::settings::{StoreSettings, KEYS};
//! use fixrs_store::Durability;
//!
//! let settings = Settings::parse("[SESSION]\nFileStorePath=store\nFileStoreSync=Y\n")?;
//! settings.check_keys(&[SESSION_KEYS, KEYS])?;
//! let store = StoreSettings::from_settings(&settings.sessions[0])?;
//! assert_eq!(store.durability, Durability::Fsync);
//! # Ok::<(), fixrs_session::SettingsError>(())
//! ```
//!
#![doc = include_str!("settings/reference.md")]

use crate::{Durability, FileStoreOptions};
use fixrs_session::settings::format::{self, parse_bool, parse_positive};
use fixrs_session::settings::{Format, Key, KeyTable, Section, SettingsError};
use std::path::PathBuf;
use std::time::Duration;

#[cfg(test)]
mod tests;

const GROUP: &str = "File store";

/// The keys this crate reads, in the order of its reference.
pub static KEYS: &KeyTable = &[&FILE_STORE_PATH, &FILE_STORE_SYNC, &FILE_STORE_MAX_MESSAGES];

static FILE_STORE_PATH: Key<PathBuf> = Key {
    name: "FileStorePath",
    group: GROUP,
    format: format::PATH,
    default: "none (memory store)",
    example: "FileStorePath=store",
    meaning: "Directory of the file store (sequence numbers and outgoing messages). A session's store has one opener at a time: another process or session opening it is refused.",
    also: &[],
};

static FILE_STORE_SYNC: Key<Durability> = Key {
    name: "FileStoreSync",
    group: GROUP,
    format: Format {
        expected: "Y, N, or a positive number of milliseconds",
        parse: parse_durability,
    },
    default: "N",
    example: "FileStoreSync=Y",
    meaning: "When the file store forces writes to disk: `Y` before each outgoing message is sent, `N` never (left to the operating system), or a number of milliseconds (at least that often).",
    also: &[],
};

static FILE_STORE_MAX_MESSAGES: Key<u64> = Key {
    name: "FileStoreMaxMessages",
    group: GROUP,
    format: format::count(),
    default: "0",
    example: "FileStoreMaxMessages=1000000",
    meaning: "Most outgoing messages kept for resends, older ones being answered with gap fills; 0 keeps all.",
    also: &[],
};

/// FileStoreSync: `Y` syncs on every flush, `N` leaves it to the
/// operating system, a number of milliseconds syncs at least that often.
fn parse_durability(v: &str) -> Option<Durability> {
    match parse_bool(v) {
        Some(true) => Some(Durability::Fsync),
        Some(false) => Some(Durability::Flush),
        None => {
            parse_positive::<u64>(v).map(|ms| Durability::FsyncEvery(Duration::from_millis(ms)))
        }
    }
}

/// What a session's settings say about its message store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreSettings {
    /// Directory of the file store (FileStorePath); `None` keeps the
    /// session's state in memory only.
    pub file_store_path: Option<PathBuf>,
    /// When writes are forced to disk (FileStoreSync).
    pub durability: Durability,
    /// Most outgoing messages kept for resends (FileStoreMaxMessages);
    /// older ones are answered with gap fills. `None` keeps all.
    pub max_messages: Option<u64>,
}

impl StoreSettings {
    /// The store keys of one session (its own, else `[DEFAULT]`'s).
    pub fn from_settings(section: &Section) -> Result<StoreSettings, SettingsError> {
        Ok(StoreSettings {
            file_store_path: section.get(&FILE_STORE_PATH)?,
            durability: section.get(&FILE_STORE_SYNC)?.unwrap_or_default(),
            max_messages: section.get(&FILE_STORE_MAX_MESSAGES)?.filter(|n| *n > 0),
        })
    }

    /// `base` with this session's durability and history limit.
    pub fn options(&self, base: FileStoreOptions) -> FileStoreOptions {
        let options = base.with_durability(self.durability);
        match self.max_messages {
            Some(max) => options.with_max_messages(max),
            None => options,
        }
    }
}
