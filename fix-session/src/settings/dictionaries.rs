//! The data dictionary keys (DataDictionary, TransportDataDictionary,
//! AppDataDictionary and AppDataDictionary.`<ApplVerID>`), read into
//! [`DictionarySettings`]; [`DictionaryLoader`](crate::dictionary::DictionaryLoader)
//! loads the files they name.

use super::format;
use super::key::Located;
use super::key::{Key, KeyFamily, QualifierError};
use super::{Section, SettingsError, SettingsWarning};
use crate::config::SessionConfig;
use crate::dictionary::DictionarySettings;
use fixrs_proto::FixVersion;
use std::path::PathBuf;
use std::str::FromStr;

const DICTIONARIES: &str = "Data dictionaries";

pub(super) static DATA_DICTIONARY: Key<PathBuf> = Key {
    name: "DataDictionary",
    group: DICTIONARIES,
    format: format::PATH,
    default: "the built-in one",
    example: "DataDictionary=spec/FIX44.xml",
    meaning: "QuickFIX XML dictionary of a FIX 4.x session; its version must be the session's. A file that is missing or not a dictionary stops the program at start-up, naming the file and the key. Each file is loaded once and shared by the sessions that name it.",
    also: &[],
};

pub(super) static TRANSPORT_DATA_DICTIONARY: Key<PathBuf> = Key {
    name: "TransportDataDictionary",
    group: DICTIONARIES,
    format: format::PATH,
    default: "the built-in FIXT11",
    example: "TransportDataDictionary=spec/FIXT11.xml",
    meaning: "Session-layer dictionary of a FIXT.1.1 session (header, trailer, session messages).",
    also: &[],
};

pub(super) static APP_DATA_DICTIONARY: Key<PathBuf> = Key {
    name: "AppDataDictionary",
    group: DICTIONARIES,
    format: format::PATH,
    default: "the built-in one of DefaultApplVerID",
    example: "AppDataDictionary=spec/FIX50SP2.xml",
    meaning: "Application dictionary of a FIXT.1.1 session.",
    also: &[],
};

pub(super) static APP_DATA_DICTIONARY_BY_VERSION: KeyFamily<FixVersion, PathBuf> = KeyFamily {
    name: "AppDataDictionary.<ApplVerID>",
    prefix: "AppDataDictionary.",
    qualifier: appl_ver_qualifier,
    group: DICTIONARIES,
    format: format::PATH,
    default: "none",
    example: "AppDataDictionary.FIX.4.4=spec/FIX44.xml",
    meaning: "Application dictionary of another version (`FIX.4.4`, `FIX.5.0SP1`... or the ApplVerID value `6`, `8`...) for a FIXT.1.1 session: application messages whose ApplVerID(1128) names that version, or all of them when the peer's Logon gives it as DefaultApplVerID, are validated against it. For DefaultApplVerID's own version it stands for AppDataDictionary.",
};

/// The application version of an AppDataDictionary.`<ApplVerID>` key:
/// `FIX.4.4`, `FIX.5.0SP2` (QuickFIX's names) or the ApplVerID value.
fn appl_ver_qualifier(v: &str) -> Result<FixVersion, QualifierError> {
    if v == "FIXT.1.1" {
        return Err(QualifierError::Unknown);
    }
    FixVersion::from_str(v)
        .ok()
        .or_else(|| FixVersion::from_appl_ver_id(v.as_bytes()))
        .ok_or(QualifierError::Unknown)
}

impl DictionarySettings {
    /// The dictionary files a session's settings name, for a session
    /// configured as `config` (which tells which keys its version reads).
    pub fn from_settings(
        s: &Section,
        config: &SessionConfig,
    ) -> Result<DictionarySettings, SettingsError> {
        let data = s.get_at(&DATA_DICTIONARY)?;
        let transport = s.get_at(&TRANSPORT_DATA_DICTIONARY)?;
        let app = s.get_at(&APP_DATA_DICTIONARY)?;
        let by_version = s.family(&APP_DATA_DICTIONARY_BY_VERSION)?;
        let line_of = |at: &Option<Located<PathBuf>>| at.as_ref().map_or(0, |at| at.line);
        let mut d = DictionarySettings {
            lines: [line_of(&data), line_of(&transport), line_of(&app)],
            version_lines: by_version.iter().map(|(v, at)| (*v, at.line)).collect(),
            ..DictionarySettings::default()
        };
        if config.use_data_dictionary {
            // QuickFIX reads DataDictionary for FIX 4.x sessions only, and
            // the other three for FIXT.1.1 ones; a file named for the
            // wrong kind alone is most likely a mistake worth a word.
            let unused = if config.version.is_fixt() {
                data.as_ref()
                    .filter(|_| transport.is_none() && app.is_none() && by_version.is_empty())
                    .map(|at| (at, "FIXT.1.1 sessions read TransportDataDictionary and AppDataDictionary; the built-in dictionaries are used"))
            } else {
                transport
                    .as_ref()
                    .or(app.as_ref())
                    .or(by_version.values().next())
                    .filter(|_| data.is_none())
                    .map(|at| {
                        (
                            at,
                            "FIX 4.x sessions read DataDictionary; the built-in dictionary is used",
                        )
                    })
            };
            d.unused = unused.map(|(at, reason)| SettingsWarning {
                line: at.line,
                key: at.key.clone(),
                reason: reason.to_string(),
            });
        }
        d.data_dictionary = data.map(|at| at.value);
        d.transport_data_dictionary = transport.map(|at| at.value);
        d.app_data_dictionary = app.map(|at| at.value);
        d.app_data_dictionaries = by_version
            .into_iter()
            .map(|(v, at)| (v, at.value))
            .collect();
        Ok(d)
    }
}
