//! QuickFIX-style settings files: `[DEFAULT]` and `[SESSION]` sections of
//! `Key=Value` lines.
//!
//! The file format is read here, once for every layer: [`Settings::parse`]
//! turns text into sections of raw entries (this crate reads text, not
//! files). Each key is declared once, as a [`Key`] or [`KeyFamily`], by
//! the layer that acts on it, and each layer reads its own keys from a
//! session's [`Section`]:
//!
//! - this crate, the session's: identity, logon and timers, sequence
//!   numbers, validation, data dictionaries, schedule and reconnection
//!   ([`KEYS`], read by [`SessionConfig::from_settings`](crate::SessionConfig::from_settings) and
//!   [`DictionarySettings::from_settings`]);
//! - `fixrs-store`, the file store's (FileStorePath ...);
//! - `fixrs-transport-mio`, the connection, socket and FIX log keys;
//! - `fixrs-transport-tls`, the TLS keys.
//!
//! The program that runs the sessions knows every layer, and checks with
//! [`Settings::check_keys`] that each key of the file is one of theirs, so
//! that a misspelt key is an error with its line rather than a setting
//! silently ignored. The engine and TLS crates' `start_from_settings` do
//! it, and `fixctl` too.
//!
//! ```
//! use fixrs_session::settings::{Settings, KEYS};
//! use fixrs_session::{Role, SessionConfig};
//!
//! let text = "
//! [DEFAULT]
//! ConnectionType=initiator
//! BeginString=FIX.4.4
//! SenderCompID=CLIENT
//! HeartBtInt=30
//! StartTime=08:00:00
//! EndTime=17:00:00
//! TimeZone=America/New_York
//!
//! [SESSION]
//! TargetCompID=BROKER1
//!
//! [SESSION]
//! TargetCompID=BROKER2
//! ReconnectInterval=5
//! ";
//! let settings = Settings::parse(text)?;
//! settings.check_keys(&[KEYS])?; // a program would add its other layers' tables
//! assert_eq!(settings.sessions.len(), 2);
//! let second = SessionConfig::from_settings(&settings.sessions[1], settings.options())?;
//! assert_eq!(second.role, Role::Initiator);
//! assert_eq!(second.id.target_comp_id, "BROKER2");
//! assert_eq!(second.reconnect_interval.as_secs(), 5);
//! # Ok::<(), fixrs_session::settings::SettingsError>(())
//! ```
//!
//! # Syntax
//!
//! - A line is blank, a comment (its first non-blank character is `#` or
//!   `;`), a section header (`[DEFAULT]` or `[SESSION]`, in any case), or a
//!   `Key=Value` pair. The value is everything after the first `=`;
//!   whitespace around keys and values is trimmed. Keys are case-sensitive.
//! - Every key belongs to a section. The keys of the single `[DEFAULT]`
//!   section, wherever it stands in the file, are inherited by every
//!   `[SESSION]`; a session's own value wins. A key may appear once per
//!   section (two names of one setting, such as `ReconnectInterval` and
//!   `Reconnect.Interval`, count as the same key).
//! - An empty value (`Key=`) clears a value inherited from `[DEFAULT]`,
//!   leaving the built-in default.
//! - Booleans are `Y` or `N` (`yes`, `no`, `true` and `false` are also
//!   accepted, in any case). Durations are whole numbers in the unit the
//!   key names.
//! - Keys that QuickFIX defines and that mean nothing here (the database
//!   stores, the screen log, `HttpAcceptPort` ...) are accepted with one
//!   warning each ([`Settings::warnings`]).
//! - An unknown key, a bad value, a missing required key, two sessions with
//!   the same identity (BeginString, CompIDs, sub and location IDs and
//!   SessionQualifier) and settings that contradict each other are errors
//!   ([`SettingsError`]) naming the line and the key.
//!
//! # Keys of the session layer
//!
//! The same reference is returned by [`reference()`] for [`KEYS`]; the
//! store, engine and TLS crates document theirs the same way.
//!
#![doc = include_str!("settings/reference.md")]

mod check;
mod dictionaries;
mod error;
mod file;
pub mod format;
mod ignored;
mod key;
mod schedule;
mod section;
mod session;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;

pub use crate::dictionary::{DictionaryLoader, DictionarySettings};
pub use error::{SettingsError, SettingsWarning};
pub use file::{ParseOptions, Settings};
pub use key::{
    reference, Alias, Format, Key, KeyDoc, KeyFamily, KeySpec, KeyTable, Located, QualifierError,
};
pub use section::{Entry, Section};
pub use session::KEYS;
