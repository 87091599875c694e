//! The data dictionary a session validates incoming messages against
//! ([`SessionDictionary`]); the checks themselves are the codec's
//! ([`fixrs_proto::validate`]), with the switches of
//! [`SessionConfig::validation`](crate::SessionConfig::validation).
//!
//! With a dictionary set ([`Session::set_dictionary`](crate::Session::set_dictionary))
//! and [`SessionConfig::use_data_dictionary`](crate::SessionConfig::use_data_dictionary)
//! on, every message received in sequence is validated before it is
//! processed; a problem is answered with a Reject carrying RefSeqNum(45),
//! RefTagID(371), RefMsgType(372) and the SessionRejectReason(373) of the
//! problem, and the message counts as received (FIX session test cases
//! 14a-14k). Unknown MsgTypes get 373=11 (2q).

use crate::config::SessionConfig;
use crate::settings::{SettingsError, SettingsWarning};
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::FixVersion;
use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The data dictionary a session validates against: a built-in one
/// ([`Dictionary::builtin`]) or one loaded by the application, shared
/// between sessions.
#[derive(Debug, Clone)]
pub enum SessionDictionary {
    /// A dictionary that lives for the whole program (the built-in ones).
    Static(&'static Dictionary),
    /// A dictionary loaded at run time.
    Shared(Arc<Dictionary>),
}

impl Deref for SessionDictionary {
    type Target = Dictionary;

    fn deref(&self) -> &Dictionary {
        match self {
            SessionDictionary::Static(d) => d,
            SessionDictionary::Shared(d) => d,
        }
    }
}

/// Two handles are equal when they point to the same dictionary or to
/// equal ones.
impl PartialEq for SessionDictionary {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq::<Dictionary>(&**self, &**other) || **self == **other
    }
}

impl From<&'static Dictionary> for SessionDictionary {
    fn from(d: &'static Dictionary) -> Self {
        SessionDictionary::Static(d)
    }
}

impl From<Arc<Dictionary>> for SessionDictionary {
    fn from(d: Arc<Dictionary>) -> Self {
        SessionDictionary::Shared(d)
    }
}

impl From<Dictionary> for SessionDictionary {
    fn from(d: Dictionary) -> Self {
        SessionDictionary::Shared(Arc::new(d))
    }
}

/// Data dictionary files (QuickFIX XML) named by a session's settings
/// (read by [`DictionarySettings::from_settings`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DictionarySettings {
    /// The dictionary of a FIX 4.x session (DataDictionary).
    pub data_dictionary: Option<PathBuf>,
    /// The session-layer dictionary of a FIXT.1.1 session
    /// (TransportDataDictionary).
    pub transport_data_dictionary: Option<PathBuf>,
    /// The application dictionary of a FIXT.1.1 session
    /// (AppDataDictionary).
    pub app_data_dictionary: Option<PathBuf>,
    /// Application dictionaries of a FIXT.1.1 session by application
    /// version (AppDataDictionary.`<ApplVerID>`), for messages whose
    /// ApplVerID(1128), or the peer's DefaultApplVerID, names it.
    pub app_data_dictionaries: BTreeMap<FixVersion, PathBuf>,
    /// The lines of the three keys, for error messages (0 if unset).
    pub(crate) lines: [usize; 3],
    /// The lines of the AppDataDictionary.`<ApplVerID>` keys.
    pub(crate) version_lines: BTreeMap<FixVersion, usize>,
    /// A key of the other kind of session (DataDictionary for FIXT.1.1,
    /// the other three for FIX 4.x) given without one of the session's
    /// own: most likely a mistake worth a word.
    pub(crate) unused: Option<SettingsWarning>,
}

impl DictionarySettings {
    /// A dictionary key the session's version does not read, if the
    /// settings name one without any it reads (QuickFIX reads
    /// DataDictionary for FIX 4.x sessions only, and the other three for
    /// FIXT.1.1 ones): the program should show it.
    pub fn unused_key(&self) -> Option<&SettingsWarning> {
        self.unused.as_ref()
    }
}

/// Loads the data dictionaries that settings name, each distinct file
/// once, and shares them between sessions (`Arc`). Reading files is left
/// to the caller's `read` function: this crate does no I/O.
///
/// The dictionary a session gets:
/// - none with UseDataDictionary=N;
/// - FIX 4.0 to 4.4: the DataDictionary file, else the built-in dictionary
///   of the session's version ([`Dictionary::builtin`]);
/// - FIXT.1.1: the TransportDataDictionary file (else the built-in
///   FIXT11) combined with the AppDataDictionary file (else the built-in
///   application dictionary of DefaultApplVerID); with neither file, the
///   built-in combination.
///
/// Errors name the key, its line and the file: a file that cannot be read,
/// is not a QuickFIX XML dictionary, or is of another version than the
/// session (a DataDictionary whose BeginString differs, a
/// TransportDataDictionary that is not FIXT.1.1, an AppDataDictionary
/// that is a transport dictionary).
#[derive(Debug, Default)]
pub struct DictionaryLoader {
    files: HashMap<PathBuf, Arc<Dictionary>>,
    combined: HashMap<(Option<PathBuf>, Option<PathBuf>, FixVersion), Arc<Dictionary>>,
}

impl DictionaryLoader {
    /// A loader that has loaded nothing yet.
    pub fn new() -> DictionaryLoader {
        DictionaryLoader::default()
    }

    /// The dictionary a session with this configuration and these
    /// dictionary settings validates against (see the type's
    /// documentation), reading files it has not read before with `read`.
    pub fn load<F>(
        &mut self,
        config: &SessionConfig,
        d: &DictionarySettings,
        read: &mut F,
    ) -> Result<Option<SessionDictionary>, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        if !config.use_data_dictionary {
            return Ok(None);
        }
        let version = config.version;
        if !version.is_fixt() {
            return Ok(Some(match &d.data_dictionary {
                Some(path) => {
                    let dict = self.file(d.lines[0], "DataDictionary", path, read)?;
                    let expected = version.begin_string();
                    if dict.begin_string() != expected {
                        return Err(SettingsError::Dictionary {
                            line: d.lines[0],
                            key: "DataDictionary".to_string(),
                            path: path.clone(),
                            reason: format!(
                                "a {} dictionary, but the session's BeginString is {expected}",
                                dict.begin_string()
                            ),
                        });
                    }
                    SessionDictionary::Shared(dict)
                }
                None => SessionDictionary::Static(Dictionary::builtin(version)),
            }));
        }
        // AppDataDictionary, else AppDataDictionary.<DefaultApplVerID>.
        let (app_path, app_line) = match (
            &d.app_data_dictionary,
            d.app_data_dictionaries.get(&version),
        ) {
            (Some(path), _) => (Some(path), d.lines[2]),
            (None, Some(path)) => (
                Some(path),
                d.version_lines.get(&version).copied().unwrap_or(0),
            ),
            (None, None) => (None, 0),
        };
        self.combined_for(d, version, app_path, app_line, read)
            .map(Some)
    }

    /// The dictionaries of the application versions a FIXT.1.1 session
    /// names with AppDataDictionary.`<ApplVerID>`, each combined with its
    /// transport dictionary (none with UseDataDictionary=N or for FIX
    /// 4.x).
    pub fn load_by_appl_ver_id<F>(
        &mut self,
        config: &SessionConfig,
        d: &DictionarySettings,
        read: &mut F,
    ) -> Result<Vec<(FixVersion, SessionDictionary)>, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        if !config.use_data_dictionary || !config.version.is_fixt() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(d.app_data_dictionaries.len());
        for (&version, path) in &d.app_data_dictionaries {
            let line = d.version_lines.get(&version).copied().unwrap_or(0);
            out.push((
                version,
                self.combined_for(d, version, Some(path), line, read)?,
            ));
        }
        Ok(out)
    }

    /// The session's transport dictionary combined with the application
    /// dictionary in `app_path`, else the built-in one of `version` (a FIX
    /// 5.0 version, then).
    fn combined_for<F>(
        &mut self,
        d: &DictionarySettings,
        version: FixVersion,
        app_path: Option<&PathBuf>,
        app_line: usize,
        read: &mut F,
    ) -> Result<SessionDictionary, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        let transport_path = &d.transport_data_dictionary;
        if transport_path.is_none() && app_path.is_none() {
            return Ok(SessionDictionary::Static(Dictionary::builtin(version)));
        }
        let key = (transport_path.clone(), app_path.cloned(), version);
        if let Some(dict) = self.combined.get(&key) {
            return Ok(SessionDictionary::Shared(dict.clone()));
        }
        let (transport_file, app_file);
        let transport: &Dictionary = match transport_path {
            Some(path) => {
                let t = self.file(d.lines[1], "TransportDataDictionary", path, read)?;
                if t.begin_string() != "FIXT.1.1" {
                    return Err(SettingsError::Dictionary {
                        line: d.lines[1],
                        key: "TransportDataDictionary".to_string(),
                        path: path.clone(),
                        reason: format!(
                            "a {} dictionary, not the FIXT.1.1 transport dictionary",
                            t.begin_string()
                        ),
                    });
                }
                transport_file = t;
                &transport_file
            }
            None => Dictionary::fixt11(),
        };
        let app_key = match &d.app_data_dictionary {
            Some(default) if Some(default) == app_path => "AppDataDictionary".to_string(),
            _ => format!("AppDataDictionary.{}", version.name()),
        };
        let app: &Dictionary = match app_path {
            Some(path) => {
                let a = self.file(app_line, &app_key, path, read)?;
                if a.fix_type() != "FIX" {
                    return Err(SettingsError::Dictionary {
                        line: app_line,
                        key: app_key,
                        path: path.clone(),
                        reason: format!(
                            "a {} dictionary, not an application dictionary",
                            a.begin_string()
                        ),
                    });
                }
                app_file = a;
                &app_file
            }
            None => Dictionary::builtin_application(version),
        };
        let dict = Arc::new(Dictionary::combine(transport, app));
        self.combined.insert(key, dict.clone());
        Ok(SessionDictionary::Shared(dict))
    }

    /// The dictionary in the file `path`, read and decoded once.
    fn file<F>(
        &mut self,
        line: usize,
        key: &str,
        path: &Path,
        read: &mut F,
    ) -> Result<Arc<Dictionary>, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        if let Some(dict) = self.files.get(path) {
            return Ok(dict.clone());
        }
        let error = |reason: String| SettingsError::Dictionary {
            line,
            key: key.to_string(),
            path: path.to_path_buf(),
            reason,
        };
        let text = read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
        let dict = Dictionary::from_xml(&text)
            .map_err(|e| error(format!("not a QuickFIX XML data dictionary: {e}")))?;
        let dict = Arc::new(dict);
        self.files.insert(path.to_path_buf(), dict.clone());
        Ok(dict)
    }
}
