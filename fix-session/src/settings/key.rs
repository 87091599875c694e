//! Declaring a key once: its names, value format, default and meaning
//! ([`Key`], [`KeyFamily`]), and reading its typed value from a session's
//! section ([`Section::get`], [`Section::family`]).

use super::section::{Entry, Section};
use super::SettingsError;
use std::collections::BTreeMap;
use std::fmt;

/// How a value is written: what it must look like (for error messages)
/// and the parser that reads it. An empty value never reaches the parser:
/// it clears a value inherited from `[DEFAULT]`.
pub struct Format<T: 'static> {
    /// What a valid value looks like, as error messages say it
    /// ("Y or N").
    pub expected: &'static str,
    /// Reads a value; `None` when it does not fit.
    pub parse: fn(&str) -> Option<T>,
}

impl<T> Clone for Format<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Format<T> {}

impl<T> fmt::Debug for Format<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Format")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

/// One setting of the settings file, declared once by the layer that acts
/// on it: its name, the format of its value, its default and meaning as
/// the reference shows them, and the other names it is known by.
///
/// ```
/// use fixrs_session::settings::{format, Key, KeyTable, Settings};
///
/// static RECONNECT_JITTER: Key<bool> = Key {
///     name: "ReconnectJitter",
///     group: "Connection",
///     format: format::BOOL,
///     default: "N",
///     example: "ReconnectJitter=Y",
///     meaning: "Spread reconnect attempts over a random part of ReconnectInterval.",
///     also: &[],
/// };
/// static KEYS: &KeyTable = &[&RECONNECT_JITTER];
///
/// let settings = Settings::parse("[DEFAULT]\nReconnectJitter=Y\n[SESSION]\n")?;
/// settings.check_keys(&[KEYS])?;
/// assert_eq!(settings.sessions[0].get(&RECONNECT_JITTER)?, Some(true));
/// # Ok::<(), fixrs_session::settings::SettingsError>(())
/// ```
pub struct Key<T: 'static> {
    /// The name written in files.
    pub name: &'static str,
    /// The heading the key is listed under in the reference.
    pub group: &'static str,
    /// How its value is written.
    pub format: Format<T>,
    /// The value when the key is absent, as the reference says it.
    pub default: &'static str,
    /// A valid line for this key, as an illustration (tests check that it
    /// is accepted).
    pub example: &'static str,
    /// What the key does and the values it takes.
    pub meaning: &'static str,
    /// Other names of the same setting, each with its own format (FIX
    /// Antenna's `Reconnect.Interval` in milliseconds beside QuickFIX's
    /// `ReconnectInterval` in seconds). They count as one key: setting two
    /// of them in one section is an error, and a session's value under
    /// any of them overrides `[DEFAULT]`'s under any other.
    pub also: &'static [Alias<T>],
}

/// Another name of a [`Key`], with its own format, default and meaning.
pub struct Alias<T: 'static> {
    /// The name written in files.
    pub name: &'static str,
    /// How its value is written.
    pub format: Format<T>,
    /// The value when the key is absent, as the reference says it.
    pub default: &'static str,
    /// A valid line for this name.
    pub example: &'static str,
    /// What it means, usually "X's name of ...".
    pub meaning: &'static str,
}

impl<T> Key<T> {
    /// The format of `key` if it is one of this setting's names.
    fn format_of(&self, key: &str) -> Option<&Format<T>> {
        if key == self.name {
            return Some(&self.format);
        }
        self.also.iter().find(|a| a.name == key).map(|a| &a.format)
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("name", &self.name).finish()
    }
}

/// Keys that differ by a qualifier after a common prefix, one setting per
/// qualifier: `SocketConnectHost<n>` (alternate addresses),
/// `LogonTag.<tag>` (extra Logon fields), `AppDataDictionary.<ApplVerID>`.
pub struct KeyFamily<Q: 'static, T: 'static> {
    /// The name as the reference shows it, with a placeholder for the
    /// qualifier (`LogonTag.<tag>`).
    pub name: &'static str,
    /// What every key of the family starts with (`LogonTag.`).
    pub prefix: &'static str,
    /// Reads the rest of the key after the prefix. Two keys whose
    /// qualifiers read the same (`AppDataDictionary.8`,
    /// `AppDataDictionary.FIX.5.0SP1`) are one setting.
    pub qualifier: fn(&str) -> Result<Q, QualifierError>,
    /// The heading the keys are listed under in the reference.
    pub group: &'static str,
    /// How their values are written.
    pub format: Format<T>,
    /// The value when absent, as the reference says it.
    pub default: &'static str,
    /// A valid line of the family.
    pub example: &'static str,
    /// What the keys do and the values they take.
    pub meaning: &'static str,
}

impl<Q, T> fmt::Debug for KeyFamily<Q, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFamily")
            .field("name", &self.name)
            .finish()
    }
}

/// Why the qualifier of a [`KeyFamily`] key is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QualifierError {
    /// It is not one (`LogonTag.x`): the key is unknown.
    Unknown,
    /// It is one, but cannot be used, for this reason (a Logon field the
    /// session writes itself).
    Refused(String),
}

/// One row of a settings reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDoc {
    /// The key; `<n>`, `<tag>` and the like stand for a qualifier.
    pub name: &'static str,
    /// The heading the key is listed under.
    pub group: &'static str,
    /// The value when the key is absent.
    pub default: &'static str,
    /// What the key does and the values it takes.
    pub meaning: &'static str,
    /// A valid line for this key.
    pub example: &'static str,
}

/// A declared setting seen without its value type: what the reference,
/// the check of a file's keys ([`Settings::check_keys`](super::Settings::check_keys))
/// and the tests need. Implemented by [`Key`] and [`KeyFamily`].
pub trait KeySpec: Sync {
    /// Its rows in the reference, one per name.
    fn docs(&self) -> Vec<KeyDoc>;
    /// `None` if `entry`'s key is not one of this setting's names;
    /// otherwise what identifies the setting (for duplicates in a
    /// section), or why the entry cannot be used.
    fn check(&self, entry: &Entry) -> Option<Result<String, SettingsError>>;
    /// The name to suggest for an unknown key that looks like one of this
    /// setting's (differs in letter case, or starts with a family's
    /// prefix).
    fn suggestion(&self, key: &str) -> Option<&'static str>;
}

/// The keys one layer reads: a crate declares its keys as statics and
/// lists them in a `static KEYS: &KeyTable`.
pub type KeyTable = [&'static dyn KeySpec];

impl<T> KeySpec for Key<T> {
    fn docs(&self) -> Vec<KeyDoc> {
        let own = KeyDoc {
            name: self.name,
            group: self.group,
            default: self.default,
            meaning: self.meaning,
            example: self.example,
        };
        std::iter::once(own)
            .chain(self.also.iter().map(|a| KeyDoc {
                name: a.name,
                group: self.group,
                default: a.default,
                meaning: a.meaning,
                example: a.example,
            }))
            .collect()
    }

    fn check(&self, entry: &Entry) -> Option<Result<String, SettingsError>> {
        let format = self.format_of(&entry.key)?;
        Some(parse_value(entry, format).map(|_| self.name.to_string()))
    }

    fn suggestion(&self, key: &str) -> Option<&'static str> {
        std::iter::once(self.name)
            .chain(self.also.iter().map(|a| a.name))
            .find(|name| name.eq_ignore_ascii_case(key))
    }
}

impl<Q: fmt::Debug, T> KeySpec for KeyFamily<Q, T> {
    fn docs(&self) -> Vec<KeyDoc> {
        vec![KeyDoc {
            name: self.name,
            group: self.group,
            default: self.default,
            meaning: self.meaning,
            example: self.example,
        }]
    }

    fn check(&self, entry: &Entry) -> Option<Result<String, SettingsError>> {
        let rest = entry.key.strip_prefix(self.prefix)?;
        match (self.qualifier)(rest) {
            Ok(q) => {
                Some(parse_value(entry, &self.format).map(|_| format!("{}<{q:?}>", self.prefix)))
            }
            Err(QualifierError::Unknown) => None,
            Err(QualifierError::Refused(reason)) => Some(Err(SettingsError::Inconsistent {
                line: entry.line,
                key: entry.key.clone(),
                reason,
            })),
        }
    }

    fn suggestion(&self, key: &str) -> Option<&'static str> {
        key.starts_with(self.prefix).then_some(self.name)
    }
}

/// The value of an entry read with `format`: `None` when empty.
fn parse_value<T>(entry: &Entry, format: &Format<T>) -> Result<Option<T>, SettingsError> {
    if entry.value.is_empty() {
        return Ok(None);
    }
    (format.parse)(&entry.value)
        .map(Some)
        .ok_or_else(|| SettingsError::BadValue {
            line: entry.line,
            key: entry.key.clone(),
            value: entry.value.clone(),
            expected: format.expected.to_string(),
        })
}

/// A value read from a section, with where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// The line that set it.
    pub line: usize,
    /// The key as written on that line.
    pub key: String,
}

impl Section {
    /// The value of `key` for this session: set in its `[SESSION]`, else
    /// in `[DEFAULT]`, under any of the key's names; `None` if absent or
    /// cleared with an empty value. A value that does not parse, or two
    /// names of the key in one section, is an error naming the line.
    pub fn get<T>(&self, key: &Key<T>) -> Result<Option<T>, SettingsError> {
        Ok(self.get_at(key)?.map(|at| at.value))
    }

    /// [`get`](Section::get), with the line and the name that set the value.
    pub fn get_at<T>(&self, key: &Key<T>) -> Result<Option<Located<T>>, SettingsError> {
        for entries in [self.own(), self.inherited()] {
            let mut found: Option<(&Entry, &Format<T>)> = None;
            for entry in entries {
                let Some(format) = key.format_of(&entry.key) else {
                    continue;
                };
                if let Some((first, _)) = found {
                    return Err(duplicate(entry, first));
                }
                found = Some((entry, format));
            }
            if let Some((entry, format)) = found {
                return Ok(parse_value(entry, format)?.map(|value| Located {
                    value,
                    line: entry.line,
                    key: entry.key.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// The value of `key`, which the session needs: missing, it is an
    /// error naming the `[SESSION]` line and `why`.
    pub fn require<T>(&self, key: &Key<T>, why: &str) -> Result<T, SettingsError> {
        self.get(key)?.ok_or_else(|| SettingsError::MissingKey {
            line: self.line(),
            key: key.name.to_string(),
            why: why.to_string(),
        })
    }

    /// Every key of `family` set for this session, by qualifier: the
    /// session's own, and `[DEFAULT]`'s for the qualifiers the session
    /// does not set (an empty value clears one).
    pub fn family<Q: Ord + Clone, T>(
        &self,
        family: &KeyFamily<Q, T>,
    ) -> Result<BTreeMap<Q, Located<T>>, SettingsError> {
        let mut merged: BTreeMap<Q, Option<Located<T>>> = BTreeMap::new();
        for (entries, inherited) in [(self.own(), false), (self.inherited(), true)] {
            let mut seen: BTreeMap<Q, &Entry> = BTreeMap::new();
            for entry in entries {
                let Some(rest) = entry.key.strip_prefix(family.prefix) else {
                    continue;
                };
                let q = match (family.qualifier)(rest) {
                    Ok(q) => q,
                    // Another key that shares the prefix.
                    Err(QualifierError::Unknown) => continue,
                    Err(QualifierError::Refused(reason)) => {
                        return Err(SettingsError::Inconsistent {
                            line: entry.line,
                            key: entry.key.clone(),
                            reason,
                        })
                    }
                };
                if let Some(first) = seen.get(&q) {
                    return Err(duplicate(entry, first));
                }
                seen.insert(q.clone(), entry);
                if inherited && merged.contains_key(&q) {
                    continue;
                }
                let value = parse_value(entry, &family.format)?.map(|value| Located {
                    value,
                    line: entry.line,
                    key: entry.key.clone(),
                });
                merged.insert(q, value);
            }
        }
        Ok(merged
            .into_iter()
            .filter_map(|(q, v)| v.map(|v| (q, v)))
            .collect())
    }
}

fn duplicate(entry: &Entry, first: &Entry) -> SettingsError {
    SettingsError::DuplicateKey {
        line: entry.line,
        key: entry.key.clone(),
        first_line: first.line,
        first_key: first.key.clone(),
    }
}

/// Renders a settings reference as Markdown: one `###` heading and one
/// table (key, default, meaning) per group, in table order, after a
/// comment saying where it was generated from.
pub fn reference(tables: &[&KeyTable], generated_from: &str) -> String {
    let mut out = format!("<!-- @generated {generated_from} -->\n\n");
    let mut group = "";
    for doc in tables.iter().flat_map(|t| t.iter()).flat_map(|k| k.docs()) {
        if doc.group != group {
            if !group.is_empty() {
                out.push('\n');
            }
            group = doc.group;
            out.push_str("### ");
            out.push_str(group);
            out.push_str("\n\n| Key | Default | Meaning |\n| --- | --- | --- |\n");
        }
        out.push_str("| `");
        out.push_str(doc.name);
        out.push_str("` | ");
        out.push_str(doc.default);
        out.push_str(" | ");
        out.push_str(doc.meaning);
        out.push_str(" |\n");
    }
    out
}
