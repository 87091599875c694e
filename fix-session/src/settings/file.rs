//! The file itself: sections of `Key=Value` lines ([`Settings`],
//! [`Section`], [`Entry`]), read without knowing what any key means, and
//! the check that every key belongs to some layer
//! ([`Settings::check_keys`]).

use super::ignored;
use super::section::{Entry, Section};
use super::{SettingsError, SettingsWarning};
use crate::schedule::TimeZone;
use std::str::FromStr;
use std::sync::Arc;

/// Options of [`Settings::parse_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The machine's time zone, used by sessions with `UseLocalTime=Y`.
    /// Without it such sessions are an error, since this crate reads
    /// nothing from the system.
    pub local_time_zone: Option<TimeZone>,
}

/// A settings file, read into sections of raw `Key=Value` entries: one
/// [`Section`] per `[SESSION]`, each inheriting the `[DEFAULT]` section.
///
/// Parsing checks the syntax only; what the keys mean is for the layers
/// that read them, each from its own table of keys:
/// [`SessionConfig::from_settings`](crate::SessionConfig::from_settings)
/// here, the store, engine and TLS crates for theirs. The program that
/// runs the sessions checks with [`check_keys`](Settings::check_keys)
/// that every key of the file belongs to one of those tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// One entry per `[SESSION]`, in file order.
    pub sessions: Vec<Section>,
    /// Keys that QuickFIX defines and this engine accepts without acting
    /// on them, one entry per key (the first line that sets it): the
    /// program should log them, so that a file written for QuickFIX loads
    /// and its owner still learns what is ignored.
    pub warnings: Vec<SettingsWarning>,
    /// The `[DEFAULT]` section's entries (shared with every session).
    pub(super) defaults: Arc<[Entry]>,
    options: ParseOptions,
}

impl Settings {
    /// Parses a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse_with(text, &ParseOptions::default())
    }

    /// Parses a settings file's text with options, which the layers'
    /// readers get from [`options`](Settings::options).
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Settings, SettingsError> {
        let mut warnings = Vec::new();
        let mut default: Option<(usize, Vec<Entry>)> = None;
        let mut sessions: Vec<(usize, Vec<Entry>)> = Vec::new();
        // Which of the two the last header opened.
        let mut in_default = None;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let syntax = || SettingsError::Syntax {
                    line,
                    text: trimmed.to_string(),
                };
                let name = rest.strip_suffix(']').ok_or_else(syntax)?.trim();
                if name.eq_ignore_ascii_case("DEFAULT") {
                    if let Some((first_line, _)) = default {
                        return Err(SettingsError::DuplicateDefault { line, first_line });
                    }
                    default = Some((line, Vec::new()));
                    in_default = Some(true);
                } else if name.eq_ignore_ascii_case("SESSION") {
                    sessions.push((line, Vec::new()));
                    in_default = Some(false);
                } else {
                    return Err(SettingsError::UnknownSection {
                        line,
                        name: name.to_string(),
                    });
                }
                continue;
            }
            let (key, value) = match trimmed.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => (key.trim(), value.trim()),
                _ => {
                    return Err(SettingsError::Syntax {
                        line,
                        text: trimmed.to_string(),
                    })
                }
            };
            let section = match in_default {
                Some(true) => default.as_mut().map(|(_, e)| e),
                Some(false) => sessions.last_mut().map(|(_, e)| e),
                None => None,
            };
            let Some(entries) = section else {
                return Err(SettingsError::OutsideSection {
                    line,
                    key: key.to_string(),
                });
            };
            if let Some(reason) = ignored::reason(key) {
                warn_once(&mut warnings, line, key, reason);
                continue;
            }
            entries.push(Entry {
                line,
                key: key.to_string(),
                value: value.to_string(),
            });
        }
        let defaults: Arc<[Entry]> = default.map(|(_, e)| e).unwrap_or_default().into();
        let sessions = sessions
            .into_iter()
            .map(|(line, own)| Section {
                line,
                own,
                inherited: defaults.clone(),
            })
            .collect();
        Ok(Settings {
            sessions,
            warnings,
            defaults,
            options: *options,
        })
    }

    /// The options the file was parsed with.
    pub fn options(&self) -> &ParseOptions {
        &self.options
    }
}

impl FromStr for Settings {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Settings::parse(s)
    }
}

/// Records a warning about `key` unless one was recorded already.
pub(crate) fn warn_once(warnings: &mut Vec<SettingsWarning>, line: usize, key: &str, reason: &str) {
    if !warnings.iter().any(|w| w.key == key) {
        warnings.push(SettingsWarning {
            line,
            key: key.to_string(),
            reason: reason.to_string(),
        });
    }
}
