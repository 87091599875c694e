//! [`Settings::check_keys`]: every key of a file against the key tables
//! of the layers that read it.

use super::file::Settings;
use super::key::KeyTable;
use super::section::Entry;
use super::SettingsError;
use std::collections::HashMap;

impl Settings {
    /// Checks that every key of the file belongs to one of `tables` (the
    /// keys of every layer that reads the file), that its value is one the
    /// key takes, and that no section sets a key twice (possibly under two
    /// names). The first problem in file order is the error: an unknown
    /// key names the known key it most resembles, if any.
    pub fn check_keys(&self, tables: &[&KeyTable]) -> Result<(), SettingsError> {
        // Every entry with the section it belongs to (0 for [DEFAULT]),
        // in line order.
        let mut entries: Vec<(usize, &Entry)> = self.defaults.iter().map(|e| (0, e)).collect();
        for (i, s) in self.sessions.iter().enumerate() {
            entries.extend(s.own.iter().map(|e| (i + 1, e)));
        }
        entries.sort_by_key(|(_, e)| e.line);
        let specs = || tables.iter().flat_map(|t| t.iter());
        let mut seen: HashMap<(usize, String), &Entry> = HashMap::new();
        for (section, entry) in entries {
            let Some(checked) = specs().find_map(|k| k.check(entry)) else {
                return Err(SettingsError::UnknownKey {
                    line: entry.line,
                    key: entry.key.clone(),
                    suggestion: specs().find_map(|k| k.suggestion(&entry.key)),
                });
            };
            if let Some(first) = seen.insert((section, checked?), entry) {
                return Err(SettingsError::DuplicateKey {
                    line: entry.line,
                    key: entry.key.clone(),
                    first_line: first.line,
                    first_key: first.key.clone(),
                });
            }
        }
        Ok(())
    }
}
