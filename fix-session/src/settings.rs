//! QuickFIX-style settings files: `[DEFAULT]` and `[SESSION]` sections of
//! `Key=Value` lines, parsed into one [`SessionSettings`] per session (the
//! [`SessionConfig`] of the state machine plus the engine's connection,
//! storage, dictionary and TLS settings).
//!
//! This module reads text, not files: the caller loads the file and passes
//! its contents to [`Settings::parse`].
//!
//! ```
//! use fixrs_session::settings::{Endpoint, Settings};
//!
//! let text = "
//! [DEFAULT]
//! ConnectionType=initiator
//! BeginString=FIX.4.4
//! SenderCompID=CLIENT
//! HeartBtInt=30
//! SocketConnectHost=127.0.0.1
//! StartTime=08:00:00
//! EndTime=17:00:00
//! TimeZone=America/New_York
//!
//! [SESSION]
//! TargetCompID=BROKER1
//! SocketConnectPort=9876
//!
//! [SESSION]
//! TargetCompID=BROKER2
//! SocketConnectPort=9877
//! ";
//! let settings = Settings::parse(text)?;
//! assert_eq!(settings.sessions.len(), 2);
//! let second = &settings.sessions[1];
//! assert_eq!(second.config.target_comp_id, "BROKER2");
//! let Endpoint::Connect(addresses) = &second.endpoint else { panic!("an initiator") };
//! assert_eq!(addresses[0].to_string(), "127.0.0.1:9877");
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
//! - An unknown key, a bad value, a missing required key, two sessions with
//!   the same identity (BeginString, CompIDs, sub and location IDs and
//!   SessionQualifier) and settings that contradict each other are errors
//!   ([`SettingsError`]) naming the line and the key.
//!
//! # Keys
//!
//! The same reference is returned by [`reference_table`] as Markdown.
//!
#![doc = include_str!("settings/reference.md")]

use crate::config::{LateDelivery, LateDeliveryMode, Role, SessionConfig, SessionKey};
use crate::dictionary::SessionDictionary;
use crate::schedule::{Recurrence, Schedule, TimeOfDay, TimeZone, Weekday, Weekdays};
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::tag;
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{FixVersion, Tag};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[cfg(test)]
mod tests;

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
    /// QuickFIX XML dictionary (see [`Settings::load_dictionaries`]).
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

/// Options of [`Settings::parse_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The machine's time zone, used by sessions with `UseLocalTime=Y`.
    /// Without it such sessions are an error, since this crate reads
    /// nothing from the system.
    pub local_time_zone: Option<TimeZone>,
}

/// A parsed settings file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// One entry per `[SESSION]`, in file order.
    pub sessions: Vec<SessionSettings>,
    /// Keys that QuickFIX defines and this engine accepts without acting
    /// on them, one entry per key (the first line that sets it): the
    /// program should log them, so that a file written for QuickFIX loads
    /// and its owner still learns what is ignored.
    pub warnings: Vec<SettingsWarning>,
}

/// A key of the settings file that has no effect here (see
/// [`Settings::warnings`]).
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

impl Settings {
    /// Parses a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse_with(text, &ParseOptions::default())
    }

    /// Parses a settings file's text with options.
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Settings, SettingsError> {
        let mut warnings = Vec::new();
        let sections = read_sections(text, &mut warnings)?;
        let empty = Partial::default();
        let defaults = sections
            .iter()
            .find(|s| s.kind == SectionKind::Default)
            .map_or(&empty, |s| &s.partial);
        let mut sessions: Vec<SessionSettings> = Vec::new();
        for section in sections.iter().filter(|s| s.kind == SectionKind::Session) {
            let merged = section.partial.clone().overlay(defaults);
            let session = build_session(section.line, &merged, options, &mut warnings)?;
            let key = session.config.key();
            if let Some(first) = sessions.iter().find(|s| s.config.key() == key) {
                return Err(SettingsError::DuplicateSession {
                    line: section.line,
                    session: describe_key(&key),
                    first_line: first.line,
                });
            }
            sessions.push(session);
        }
        Ok(Settings { sessions, warnings })
    }

    /// The settings of the session with this identity.
    pub fn session(&self, key: &SessionKey) -> Option<&SessionSettings> {
        self.sessions.iter().find(|s| &s.config.key() == key)
    }

    /// Loads the data dictionary of every session into
    /// [`SessionSettings::dictionary`], reading files with `read` (this
    /// crate does no I/O: pass `std::fs::read_to_string`). Each distinct
    /// file is read and decoded once and shared between the sessions that
    /// name it; see [`DictionaryLoader`] for which dictionary a session
    /// gets. A file that cannot be read, is not a QuickFIX XML dictionary
    /// or does not suit the session's version is an error naming the key,
    /// its line and the file.
    pub fn load_dictionaries(
        &mut self,
        mut read: impl FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<(), SettingsError> {
        let mut loader = DictionaryLoader::new();
        for s in &mut self.sessions {
            s.dictionary = loader.load(s, &mut read)?;
            s.app_dictionaries = loader.load_by_appl_ver_id(s, &mut read)?;
        }
        Ok(())
    }
}

impl FromStr for Settings {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Settings::parse(s)
    }
}

/// Everything a settings file says about one session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    /// The line of the session's `[SESSION]` header.
    pub line: usize,
    /// The state machine's configuration (ConnectionType gives its role).
    pub config: SessionConfig,
    /// Where to connect or listen.
    pub endpoint: Endpoint,
    /// Socket options.
    pub socket: SocketOptions,
    /// Message store settings.
    pub store: StoreSettings,
    /// Directory of the message logs (FileLogPath); `None` for no file log.
    pub file_log_path: Option<PathBuf>,
    /// Data dictionary files.
    pub dictionaries: DictionarySettings,
    /// The dictionary incoming messages are validated against, once
    /// loaded by [`Settings::load_dictionaries`] (or by the engine when it
    /// creates the session); `None` before that, and with
    /// UseDataDictionary=N.
    pub dictionary: Option<SessionDictionary>,
    /// For FIXT.1.1: the dictionaries of other application versions
    /// (AppDataDictionary.`<ApplVerID>`, each combined with the transport
    /// dictionary), loaded with `dictionary`.
    pub app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    /// How an initiator connects (source addresses, host selection).
    pub connect: ConnectSettings,
    /// For acceptors: the only IP addresses connections are taken from
    /// (AllowedRemoteAddresses); empty for any.
    pub allowed_remote_addresses: Vec<IpAddr>,
    /// TLS settings, present when SocketUseSSL=Y.
    pub tls: Option<TlsSettings>,
    /// Most bytes of outgoing messages held for a counterparty that reads
    /// slowly (MaxOutgoingBytes): put and not yet written.
    pub max_outgoing_bytes: usize,
}

/// The default of MaxOutgoingBytes: room for thousands of typical
/// messages, small enough that a stuck counterparty costs little memory.
pub const DEFAULT_MAX_OUTGOING_BYTES: usize = 4 << 20;

/// A local address an initiator binds before it connects
/// (SocketConnectSourceHost / SocketConnectSourcePort).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceAddress {
    /// Host name or IP address of a local interface; `None` for any.
    pub host: Option<String>,
    /// Local port; 0 lets the system choose.
    pub port: u16,
}

impl fmt::Display for SourceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host.as_deref() {
            Some(h) if h.contains(':') => write!(f, "[{h}]:{}", self.port),
            Some(h) => write!(f, "{h}:{}", self.port),
            None => write!(f, "0.0.0.0:{}", self.port),
        }
    }
}

/// Which of an initiator's addresses each connection attempt uses
/// (HostSelectionPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostSelectionPolicy {
    /// Each attempt takes the next address, the primary after the last
    /// alternate (`ROUND_ROBIN`, the default).
    #[default]
    RoundRobin,
    /// As round robin, but an attempt more than `start_over` after the
    /// previous one starts again from the primary address (`PRIORITY`).
    Priority {
        /// HostSelectionPolicyPriorityStartOverInterval (default 120 s).
        start_over: Duration,
    },
}

/// How an initiator connects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectSettings {
    /// The local address to bind before connecting to each address of
    /// [`Endpoint::Connect`], in the same order (`None`: let the system
    /// choose). Empty for acceptors.
    pub source_addresses: Vec<Option<SourceAddress>>,
    /// Which address each attempt uses.
    pub host_selection: HostSelectionPolicy,
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

    /// The dictionary `session` validates against (see the type's
    /// documentation), reading files it has not read before with `read`.
    pub fn load<F>(
        &mut self,
        session: &SessionSettings,
        read: &mut F,
    ) -> Result<Option<SessionDictionary>, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        let config = &session.config;
        if !config.use_data_dictionary {
            return Ok(None);
        }
        let d = &session.dictionaries;
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
        self.combined_for(session, version, app_path, app_line, read)
            .map(Some)
    }

    /// The dictionaries of the application versions a FIXT.1.1 session
    /// names with AppDataDictionary.`<ApplVerID>`, each combined with its
    /// transport dictionary (none with UseDataDictionary=N or for FIX
    /// 4.x).
    pub fn load_by_appl_ver_id<F>(
        &mut self,
        session: &SessionSettings,
        read: &mut F,
    ) -> Result<Vec<(FixVersion, SessionDictionary)>, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        let config = &session.config;
        if !config.use_data_dictionary || !config.version.is_fixt() {
            return Ok(Vec::new());
        }
        let d = &session.dictionaries;
        let mut out = Vec::with_capacity(d.app_data_dictionaries.len());
        for (&version, path) in &d.app_data_dictionaries {
            let line = d.version_lines.get(&version).copied().unwrap_or(0);
            out.push((
                version,
                self.combined_for(session, version, Some(path), line, read)?,
            ));
        }
        Ok(out)
    }

    /// The session's transport dictionary combined with the application
    /// dictionary in `app_path`, else the built-in one of `version` (a FIX
    /// 5.0 version, then).
    fn combined_for<F>(
        &mut self,
        session: &SessionSettings,
        version: FixVersion,
        app_path: Option<&PathBuf>,
        app_line: usize,
        read: &mut F,
    ) -> Result<SessionDictionary, SettingsError>
    where
        F: FnMut(&Path) -> std::io::Result<String>,
    {
        let d = &session.dictionaries;
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

/// A host name or IP address and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where a session's connection comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An initiator connects to these addresses: SocketConnectHost/Port
    /// first, then the alternates SocketConnectHost1/Port1, 2, ... in
    /// number order, tried in turn on reconnects. Never empty.
    Connect(Vec<HostPort>),
    /// An acceptor listens on SocketAcceptHost (default `0.0.0.0`, every
    /// IPv4 interface) and SocketAcceptPort (0 lets the system choose).
    Accept(HostPort),
}

/// Socket options of the session's TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    /// Disable Nagle's algorithm (SocketNodelay, default Y).
    pub nodelay: bool,
    /// SO_SNDBUF in bytes; `None` for the system's default
    /// (SocketSendBufferSize, 0 means the default).
    pub send_buffer_size: Option<usize>,
    /// SO_RCVBUF in bytes; `None` for the system's default
    /// (SocketReceiveBufferSize).
    pub receive_buffer_size: Option<usize>,
    /// Enable TCP keep-alive (SocketKeepAlive, default N).
    pub keep_alive: bool,
    /// SO_REUSEADDR on an acceptor's listening socket, and on an
    /// initiator's socket bound to SocketConnectSourcePort
    /// (SocketReuseAddress, default Y).
    pub reuse_address: bool,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            nodelay: true,
            send_buffer_size: None,
            receive_buffer_size: None,
            keep_alive: false,
            reuse_address: true,
        }
    }
}

/// When the file store forces its writes to disk (FileStoreSync).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreSync {
    /// `N`: leave flushing to the operating system (fastest; a machine
    /// crash may lose the last messages, a process crash does not).
    #[default]
    Never,
    /// `Y`: sync before the bytes of each outgoing message are sent.
    Always,
    /// `<ms>`: sync at least this often, batching messages in between.
    Every(Duration),
}

/// Message store settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreSettings {
    /// Directory of the file store (FileStorePath); `None` keeps the
    /// session's state in memory only.
    pub file_store_path: Option<PathBuf>,
    /// When writes are forced to disk (FileStoreSync).
    pub sync: StoreSync,
    /// Most outgoing messages kept for resends (FileStoreMaxMessages);
    /// older ones are answered with gap fills. `None` keeps all.
    pub max_messages: Option<u64>,
}

/// Data dictionary files (QuickFIX XML).
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
    lines: [usize; 3],
    /// The lines of the AppDataDictionary.`<ApplVerID>` keys.
    version_lines: BTreeMap<FixVersion, usize>,
}

/// TLS protocol versions allowed (SSLProtocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsProtocols {
    /// TLS 1.2.
    pub tls12: bool,
    /// TLS 1.3.
    pub tls13: bool,
}

impl Default for TlsProtocols {
    fn default() -> Self {
        TlsProtocols {
            tls12: true,
            tls13: true,
        }
    }
}

/// How an acceptor checks client certificates (CertificateVerifyLevel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateVerifyLevel {
    /// `0`: ask for no client certificate.
    #[default]
    None,
    /// `1`: require a client certificate that chains to
    /// CertificationAuthoritiesFile (mutual TLS).
    Required,
    /// `2`: verify a client certificate if the client sends one.
    Optional,
}

/// TLS settings as QuickFIX users write them. Files are PEM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    /// Allowed protocol versions (SSLProtocol).
    pub protocols: TlsProtocols,
    /// Allowed cipher suites, by name, in preference order
    /// (SSLCipherSuite); empty for the TLS library's defaults.
    pub cipher_suites: Vec<String>,
    /// Allowed TLS 1.3 cipher suites, by name, in preference order
    /// (TLSCipherSuites, QuickFIX's key for TLS 1.3, whose suites OpenSSL
    /// configures apart); empty to leave TLS 1.3 to SSLCipherSuite.
    pub tls13_cipher_suites: Vec<String>,
    /// An acceptor's certificate chain (ServerCertificateFile).
    pub server_certificate_file: Option<PathBuf>,
    /// An acceptor's private key (ServerCertificateKeyFile).
    pub server_certificate_key_file: Option<PathBuf>,
    /// An initiator's certificate chain for mutual TLS
    /// (ClientCertificateFile).
    pub client_certificate_file: Option<PathBuf>,
    /// An initiator's private key (ClientCertificateKeyFile).
    pub client_certificate_key_file: Option<PathBuf>,
    /// Certificates of the authorities that peer certificates must chain to
    /// (CertificationAuthoritiesFile).
    pub certification_authorities_file: Option<PathBuf>,
    /// A directory whose PEM files hold more such certificates
    /// (CertificationAuthoritiesDirectory).
    pub certification_authorities_directory: Option<PathBuf>,
    /// Certificate revocation lists (PEM) checked when verifying the peer
    /// (CertificateRevocationListFile).
    pub certificate_revocation_list_file: Option<PathBuf>,
    /// A directory whose PEM files hold more revocation lists
    /// (CertificateRevocationListDirectory).
    pub certificate_revocation_list_directory: Option<PathBuf>,
    /// How an acceptor checks client certificates (CertificateVerifyLevel).
    pub certificate_verify_level: CertificateVerifyLevel,
    /// The name an initiator sends as SNI and checks the server
    /// certificate against (SSLServerName); `None` for the connect host.
    pub server_name: Option<String>,
    /// Whether an initiator verifies the server's certificate
    /// (SSLValidateCertificates, default Y).
    pub validate_certificates: bool,
}

/// One key of the settings reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key; `<n>` and `<tag>` stand for a number.
    pub key: &'static str,
    /// The heading the key is listed under.
    pub group: &'static str,
    /// The value when the key is absent.
    pub default: &'static str,
    /// What the key does and the values it takes.
    pub meaning: &'static str,
    /// A valid line for this key, as an illustration.
    pub example: &'static str,
}

const IDENTITY: &str = "Session identity";
const LOGON: &str = "Logon and timers";
const SEQUENCE: &str = "Sequence numbers and resends";
const VALIDATION: &str = "Validation";
const DICTIONARIES: &str = "Data dictionaries";
const SCHEDULE: &str = "Schedule";
const CONNECTION: &str = "Connection";
const STORAGE: &str = "Storage and logs";
const TLS: &str = "TLS";
const IGNORED: &str = "QuickFIX keys without effect here";

macro_rules! keys {
    ($($key:literal, $group:ident, $default:literal, $example:literal, $meaning:literal;)*) => {
        /// Every key the parser accepts, grouped as in the reference.
        pub const KEYS: &[KeyInfo] = &[
            $(KeyInfo { key: $key, group: $group, default: $default, example: $example, meaning: $meaning },)*
        ];
    };
}

keys! {
    "ConnectionType", IDENTITY, "required", "ConnectionType=initiator",
        "`initiator` (connects and sends the first Logon) or `acceptor`.";
    "BeginString", IDENTITY, "required", "BeginString=FIX.4.4",
        "BeginString(8): `FIX.4.0` to `FIX.4.4`, or `FIXT.1.1` for FIX 5.0 and later.";
    "DefaultApplVerID", IDENTITY, "required with FIXT.1.1", "DefaultApplVerID=FIX.5.0SP2",
        "The application version of a FIXT.1.1 session, sent as DefaultApplVerID(1137) on Logon: `FIX.5.0`, `FIX.5.0SP1` or `FIX.5.0SP2` (or `7`, `8`, `9`). Ignored with FIX 4.x.";
    "SenderCompID", IDENTITY, "required", "SenderCompID=CLIENT",
        "Our SenderCompID(49).";
    "SenderSubID", IDENTITY, "none", "SenderSubID=DESK1",
        "Our SenderSubID(50).";
    "SenderLocationID", IDENTITY, "none", "SenderLocationID=LDN",
        "Our SenderLocationID(142).";
    "TargetCompID", IDENTITY, "required", "TargetCompID=BROKER",
        "The peer's CompID, our TargetCompID(56).";
    "TargetSubID", IDENTITY, "none", "TargetSubID=GW",
        "The peer's TargetSubID(57).";
    "TargetLocationID", IDENTITY, "none", "TargetLocationID=NY",
        "The peer's TargetLocationID(143).";
    "SessionQualifier", IDENTITY, "none", "SessionQualifier=backup",
        "Tells apart sessions with the same CompIDs.";
    "HeartBtInt", LOGON, "required for initiators", "HeartBtInt=30",
        "HeartBtInt(108) in seconds proposed on Logon; an acceptor adopts the initiator's.";
    "LogonTimeout", LOGON, "10", "LogonTimeout=10",
        "Seconds to wait for the Logon reply.";
    "LogoutTimeout", LOGON, "2", "LogoutTimeout=2",
        "Seconds to wait for the Logout reply.";
    "TestRequestDelayMultiplier", LOGON, "0.2", "TestRequestDelayMultiplier=0.5",
        "Extra silence, as a fraction of HeartBtInt, before a TestRequest is sent (0.2: after 1.2 x HeartBtInt).";
    "Username", LOGON, "none", "Username=trader",
        "Username(553) sent on Logon.";
    "Password", LOGON, "none", "Password=secret",
        "Password(554) sent on Logon.";
    "LogonTag.<tag>", LOGON, "none", "LogonTag.1408=FIX5.0SP2",
        "An extra field `<tag>=value` sent on Logon; several are sent in tag order. Fields the session writes itself (header, HeartBtInt, ResetSeqNumFlag, Username, Password, NextExpectedMsgSeqNum, DefaultApplVerID) are refused.";
    "LateDelivery", LOGON, "queue", "LateDelivery=60000",
        "Application messages sent while not logged on: `queue` (send after Logon), `reject` (refuse at once), or a number of milliseconds (queue, but report those still unsent after that time as undelivered).";
    "LateDeliveryMode", LOGON, "resend", "LateDeliveryMode=queue",
        "How messages kept for late delivery are sent: `resend` (numbered when put and stored, sent after Logon as PossDupFlag=Y resends when the counterparty asks for the gap, as QuickFIX does) or `queue` (kept unnumbered in the store, so a restart loses none, and sent right after Logon and resynchronisation as new messages without PossDupFlag).";
    "MaxLateDeliveryMessages", LOGON, "100000", "MaxLateDeliveryMessages=1000",
        "Most messages queued for late delivery.";
    "ResetOnLogon", SEQUENCE, "N", "ResetOnLogon=Y",
        "Reset both sequence numbers to 1 at every Logon. An initiator asks the peer to reset too (ResetSeqNumFlag=Y); an acceptor resets when a Logon arrives, answers with ResetSeqNumFlag=Y only if the Logon had it, and checks the Logon's MsgSeqNum against 1 (as QuickFIX).";
    "ResetOnLogout", SEQUENCE, "N", "ResetOnLogout=Y",
        "Reset sequence numbers after a Logout.";
    "ResetOnDisconnect", SEQUENCE, "N", "ResetOnDisconnect=Y",
        "Reset sequence numbers when the connection drops.";
    "EnableNextExpectedMsgSeqNum", SEQUENCE, "N", "EnableNextExpectedMsgSeqNum=Y",
        "Send NextExpectedMsgSeqNum(789) on Logon and act on the peer's.";
    "SendNextExpectedMsgSeqNum", SEQUENCE, "N", "SendNextExpectedMsgSeqNum=Y",
        "QuickFIX 1.16's name of EnableNextExpectedMsgSeqNum.";
    "ResendRequestChunkSize", SEQUENCE, "0", "ResendRequestChunkSize=2500",
        "Most messages asked for by one ResendRequest; 0 for no limit.";
    "SendRedundantResendRequests", SEQUENCE, "N", "SendRedundantResendRequests=Y",
        "Send a ResendRequest even when one covering the gap is pending.";
    "PersistMessages", SEQUENCE, "Y", "PersistMessages=N",
        "Keep outgoing messages for resends; with N, resends are answered with gap fills.";
    "MaxOutOfOrderMessages", SEQUENCE, "10000", "MaxOutOfOrderMessages=5000",
        "Most messages received ahead of a gap kept while the gap is filled.";
    "CheckCompID", VALIDATION, "Y", "CheckCompID=N",
        "Check that incoming CompIDs match the session's.";
    "CheckLatency", VALIDATION, "Y", "CheckLatency=N",
        "Check SendingTime(52) of incoming messages against the clock.";
    "MaxLatency", VALIDATION, "120", "MaxLatency=60",
        "Largest accepted SendingTime(52) difference, in seconds.";
    "MaxMessageSize", VALIDATION, "1048576", "MaxMessageSize=65536",
        "Largest incoming message accepted, in bytes. A larger one is skipped whole, reported as an error and asked for again; if it comes over the limit again, the counterparty is logged out.";
    "ValidateLengthAndChecksum", VALIDATION, "Y", "ValidateLengthAndChecksum=N",
        "Verify BodyLength(9) and CheckSum(10) of incoming messages (a message failing either is dropped as garbled). With N a wrong CheckSum is accepted and a message ends at the first CheckSum(10) field from where BodyLength says, as in QuickFIX.";
    "UseDataDictionary", VALIDATION, "Y", "UseDataDictionary=N",
        "Validate incoming messages, the first Logon included, against the data dictionary: the files of DataDictionary (FIX 4.x) or TransportDataDictionary and AppDataDictionary (FIXT.1.1), else the built-in dictionary of the session's version. A message that fails is answered with Reject and reported to the application with its bytes.";
    "ValidateFieldsOutOfOrder", VALIDATION, "Y", "ValidateFieldsOutOfOrder=N",
        "Reject header, body or trailer fields out of place, and group fields out of order.";
    "ValidateFieldsHaveValues", VALIDATION, "Y", "ValidateFieldsHaveValues=N",
        "Reject fields without a value.";
    "ValidateUserDefinedFields", VALIDATION, "Y", "ValidateUserDefinedFields=N",
        "Check user-defined fields (tags 5000 and above) against the dictionary.";
    "AllowUnknownMsgFields", VALIDATION, "N", "AllowUnknownMsgFields=Y",
        "Let fields not defined for the message type through to the application.";
    "ValidateUnorderedGroupFields", VALIDATION, "Y", "ValidateUnorderedGroupFields=N",
        "Reject repeating group entries whose fields are out of the dictionary's order (373=15); with N only the first field of each entry must come first (QuickFIX/J's key).";
    "RejectUnknownMsgTypes", VALIDATION, "N", "RejectUnknownMsgTypes=Y",
        "Without a dictionary, answer MsgTypes the FIX standard does not define with Reject 373=11 (user-defined U... types pass).";
    "SupportedMsgTypes", VALIDATION, "every MsgType", "SupportedMsgTypes=D,F,G",
        "Application MsgTypes the application handles, comma separated; other valid ones get BusinessMessageReject 380=3.";
    "TimestampPrecision", VALIDATION, "3", "TimestampPrecision=6",
        "Fractional digits of SendingTime(52) and other timestamps written: 0, 3, 6 or 9.";
    "MillisecondsInTimeStamp", VALIDATION, "Y", "MillisecondsInTimeStamp=N",
        "QuickFIX's older name: Y is TimestampPrecision=3, N is TimestampPrecision=0.";
    "DataDictionary", DICTIONARIES, "the built-in one", "DataDictionary=spec/FIX44.xml",
        "QuickFIX XML dictionary of a FIX 4.x session; its version must be the session's. A file that is missing or not a dictionary stops the program at start-up, naming the file and the key. Each file is loaded once and shared by the sessions that name it.";
    "TransportDataDictionary", DICTIONARIES, "the built-in FIXT11", "TransportDataDictionary=spec/FIXT11.xml",
        "Session-layer dictionary of a FIXT.1.1 session (header, trailer, session messages).";
    "AppDataDictionary", DICTIONARIES, "the built-in one of DefaultApplVerID", "AppDataDictionary=spec/FIX50SP2.xml",
        "Application dictionary of a FIXT.1.1 session.";
    "AppDataDictionary.<ApplVerID>", DICTIONARIES, "none", "AppDataDictionary.FIX.4.4=spec/FIX44.xml",
        "Application dictionary of another version (`FIX.4.4`, `FIX.5.0SP1`... or the ApplVerID value `6`, `8`...) for a FIXT.1.1 session: application messages whose ApplVerID(1128) names that version, or all of them when the peer's Logon gives it as DefaultApplVerID, are validated against it. For DefaultApplVerID's own version it stands for AppDataDictionary.";
    "StartTime", SCHEDULE, "none (always in session)", "StartTime=08:00:00",
        "Start of each session period, `HH:MM:SS` (or `HH:MM`), optionally followed by a time zone (`08:00:00 America/New_York`) that overrides TimeZone. A new period resets sequence numbers.";
    "EndTime", SCHEDULE, "none (always in session)", "EndTime=17:00:00",
        "End of each period; not after StartTime means the next day, equal to StartTime a 24-hour period.";
    "StartDay", SCHEDULE, "none (daily)", "StartDay=Sunday",
        "Day a weekly period starts (English name or any abbreviation of two letters or more).";
    "EndDay", SCHEDULE, "none (daily)", "EndDay=Friday",
        "Day a weekly period ends.";
    "Weekdays", SCHEDULE, "every day", "Weekdays=Mon,Tue,Wed,Thu,Fri",
        "Days on which a daily period starts, comma-separated; not with StartDay and EndDay.";
    "TimeZone", SCHEDULE, "UTC", "TimeZone=America/New_York",
        "Time zone of StartTime and EndTime: `UTC`, an offset (`+05:30`, `UTC-04:00`) or an IANA name (`Europe/London`), whose daylight saving time is followed.";
    "UseLocalTime", SCHEDULE, "N", "UseLocalTime=N",
        "Read StartTime and EndTime in the machine's time zone (which the program passes to the parser); not with TimeZone.";
    "NonStopSession", SCHEDULE, "N", "NonStopSession=Y",
        "Always in session, ignoring StartTime, EndTime and days.";
    "LogonTime", SCHEDULE, "the StartTime", "LogonTime=08:30:00",
        "Start of the part of each period in which the session logs on (an initiator connects, an acceptor takes Logons); `HH:MM:SS`, in the time zone of StartTime. Leaving this window logs out, without the sequence reset a new period brings.";
    "LogoutTime", SCHEDULE, "the EndTime", "LogoutTime=16:30:00",
        "End of the logon window; needs LogonTime.";
    "LogonDay", SCHEDULE, "the StartDay", "LogonDay=Monday",
        "Day a weekly logon window starts; needs LogoutDay.";
    "LogoutDay", SCHEDULE, "the EndDay", "LogoutDay=Friday",
        "Day a weekly logon window ends.";
    "SocketConnectHost", CONNECTION, "required for initiators", "SocketConnectHost=127.0.0.1",
        "Host an initiator connects to.";
    "SocketConnectPort", CONNECTION, "required for initiators", "SocketConnectPort=9876",
        "Port an initiator connects to.";
    "SocketConnectHost<n>", CONNECTION, "none", "SocketConnectHost1=backup.example.com",
        "Alternate host number `<n>` (1, 2, ...), tried after the primary in number order on reconnects; needs SocketConnectPort`<n>`.";
    "SocketConnectPort<n>", CONNECTION, "none", "SocketConnectPort1=9876",
        "Port of alternate `<n>`; needs SocketConnectHost`<n>`.";
    "SocketConnectSourceHost", CONNECTION, "none (any local address)", "SocketConnectSourceHost=10.0.0.5",
        "Local address an initiator binds before connecting to SocketConnectHost.";
    "SocketConnectSourcePort", CONNECTION, "none (any local port)", "SocketConnectSourcePort=40000",
        "Local port an initiator binds before connecting (0 lets the system choose).";
    "SocketConnectSourceHost<n>", CONNECTION, "none (any local address)", "SocketConnectSourceHost1=10.0.0.6",
        "Local address bound before connecting to alternate `<n>`.";
    "SocketConnectSourcePort<n>", CONNECTION, "none (any local port)", "SocketConnectSourcePort1=40001",
        "Local port bound before connecting to alternate `<n>`.";
    "HostSelectionPolicy", CONNECTION, "ROUND_ROBIN", "HostSelectionPolicy=PRIORITY",
        "Which address each connection attempt uses: `ROUND_ROBIN`, the next one each time; `PRIORITY`, the same, but starting again from SocketConnectHost when the previous attempt is older than HostSelectionPolicyPriorityStartOverInterval.";
    "HostSelectionPolicyPriorityStartOverInterval", CONNECTION, "120", "HostSelectionPolicyPriorityStartOverInterval=60",
        "Seconds after which HostSelectionPolicy=PRIORITY starts again from the primary address.";
    "SocketAcceptHost", CONNECTION, "0.0.0.0", "SocketAcceptHost=127.0.0.1",
        "Address an acceptor listens on.";
    "SocketAcceptPort", CONNECTION, "required for acceptors", "SocketAcceptPort=9876",
        "Port an acceptor listens on; 0 lets the system choose.";
    "AllowedRemoteAddresses", CONNECTION, "none (any address)", "AllowedRemoteAddresses=127.0.0.1,10.0.0.7",
        "IP addresses, comma-separated, an acceptor takes connections from; a Logon from any other address is refused by closing the connection. Ignored by initiators.";
    "SocketReuseAddress", CONNECTION, "Y", "SocketReuseAddress=N",
        "SO_REUSEADDR on an acceptor's listening socket (a restart can listen again at once), and on an initiator's socket bound to SocketConnectSourcePort.";
    "SocketNodelay", CONNECTION, "Y", "SocketNodelay=N",
        "Disable Nagle's algorithm (TCP_NODELAY).";
    "SocketSendBufferSize", CONNECTION, "0", "SocketSendBufferSize=262144",
        "Socket send buffer in bytes; 0 for the system's default.";
    "SocketReceiveBufferSize", CONNECTION, "0", "SocketReceiveBufferSize=262144",
        "Socket receive buffer in bytes; 0 for the system's default.";
    "SocketKeepAlive", CONNECTION, "N", "SocketKeepAlive=Y",
        "Enable TCP keep-alive probes.";
    "ReconnectInterval", CONNECTION, "30", "ReconnectInterval=5",
        "Seconds between an initiator's connection attempts (QuickFIX's name).";
    "Reconnect.Interval", CONNECTION, "30000", "Reconnect.Interval=5000",
        "Milliseconds between connection attempts (FIX Antenna's name for the same setting).";
    "Reconnect.MaxTries", CONNECTION, "-1", "Reconnect.MaxTries=10",
        "Most reconnect attempts before giving up; negative for no limit.";
    "MaxOutgoingBytes", CONNECTION, "4194304", "MaxOutgoingBytes=16777216",
        "Most bytes of outgoing messages held for a counterparty that reads slowly (put or encoded, not yet written). Beyond it the application's sends are refused as backpressure and the peer's requests are no longer read until it drains; the memory is given back when the link closes.";
    "FileStorePath", STORAGE, "none (memory store)", "FileStorePath=store",
        "Directory of the file store (sequence numbers and outgoing messages).";
    "FileStoreSync", STORAGE, "N", "FileStoreSync=Y",
        "When the file store forces writes to disk: `Y` before each outgoing message is sent, `N` never (left to the operating system), or a number of milliseconds (at least that often).";
    "FileStoreMaxMessages", STORAGE, "0", "FileStoreMaxMessages=1000000",
        "Most outgoing messages kept for resends, older ones being answered with gap fills; 0 keeps all.";
    "FileLogPath", STORAGE, "none (no file log)", "FileLogPath=log",
        "Directory of the message and event logs.";
    "SocketUseSSL", TLS, "N", "SocketUseSSL=Y",
        "Use TLS (also accepted as SSLEnable).";
    "SSLEnable", TLS, "N", "SSLEnable=Y",
        "QuickFIX/n's name of SocketUseSSL.";
    "SSLProtocol", TLS, "all", "SSLProtocol=all -TLSv1_2",
        "Protocol versions, space-separated: `all`, `TLSv1_2`, `TLSv1_3` (also `TLSv1.2`, `TLSv1.3`), each optionally prefixed by `+` (add) or `-` (remove). Older versions may only be removed.";
    "SSLCipherSuite", TLS, "the TLS library's defaults", "SSLCipherSuite=TLS13_AES_256_GCM_SHA384:TLS13_AES_128_GCM_SHA256",
        "Cipher suite names separated by `:`, `,` or spaces, in preference order.";
    "TLSCipherSuites", TLS, "the TLS 1.3 suites of SSLCipherSuite", "TLSCipherSuites=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
        "TLS 1.3 cipher suites, separated by `:`, in preference order (QuickFIX sets TLS 1.3 suites apart from SSLCipherSuite); replaces the TLS 1.3 suites SSLCipherSuite allows.";
    "ServerCertificateFile", TLS, "required for TLS acceptors", "ServerCertificateFile=certs/server.pem",
        "An acceptor's certificate chain (PEM).";
    "ServerCertificateKeyFile", TLS, "required for TLS acceptors", "ServerCertificateKeyFile=certs/server.key",
        "An acceptor's private key (PEM).";
    "ClientCertificateFile", TLS, "none", "ClientCertificateFile=certs/client.pem",
        "An initiator's certificate chain (PEM) for mutual TLS; needs ClientCertificateKeyFile.";
    "ClientCertificateKeyFile", TLS, "none", "ClientCertificateKeyFile=certs/client.key",
        "An initiator's private key (PEM).";
    "CertificationAuthoritiesFile", TLS, "none (system roots for initiators)", "CertificationAuthoritiesFile=certs/ca.pem",
        "Certificates (PEM) of the authorities that peer certificates must chain to.";
    "CertificationAuthoritiesDirectory", TLS, "none", "CertificationAuthoritiesDirectory=certs/ca",
        "A directory of such certificates: every PEM certificate in its files is trusted, with those of CertificationAuthoritiesFile.";
    "CertificateRevocationListFile", TLS, "none", "CertificateRevocationListFile=certs/ca.crl",
        "Certificate revocation lists (PEM `X509 CRL`) checked when verifying the peer's certificate: a revoked certificate fails the handshake.";
    "CertificateRevocationListDirectory", TLS, "none", "CertificateRevocationListDirectory=certs/crl",
        "A directory whose PEM files hold more revocation lists.";
    "CertificateVerifyLevel", TLS, "0", "CertificateVerifyLevel=1",
        "How an acceptor checks client certificates: 0 asks for none, 1 requires one, 2 verifies one if sent. 1 and 2 need CertificationAuthoritiesFile.";
    "SSLServerName", TLS, "the connect host", "SSLServerName=fix.example.com",
        "Name an initiator sends as SNI and checks the server certificate against.";
    "SSLValidateCertificates", TLS, "Y", "SSLValidateCertificates=Y",
        "Whether an initiator verifies the server certificate (N only for tests).";
    "FileLogBackupPath", IGNORED, "none", "FileLogBackupPath=log/backup",
        "QuickFIX moves old logs there when it resets them; the file log here appends and is never reset, so there is nothing to move.";
    "HttpAcceptPort", IGNORED, "none", "HttpAcceptPort=8080",
        "QuickFIX's HTML status page; this engine has none (use the engine API or `fixctl`).";
    "PreserveMessageFieldsOrder", IGNORED, "none", "PreserveMessageFieldsOrder=Y",
        "Received messages are always read in the order their fields arrived; there is nothing to switch.";
    "RefreshOnLogon", IGNORED, "none", "RefreshOnLogon=Y",
        "QuickFIX reloads a store shared with another process on each Logon; a file store here belongs to one engine.";
    "SendResetSeqNumFlag", IGNORED, "none", "SendResetSeqNumFlag=Y",
        "Defined by QuickFIX but read by none of its code; use ResetOnLogon to send ResetSeqNumFlag(141)=Y.";
    "ScreenLogShowIncoming", IGNORED, "none", "ScreenLogShowIncoming=N",
        "QuickFIX's screen log; the engine logs through the `log` crate and FileLogPath, and `fixctl` always shows what it receives.";
    "ScreenLogShowOutgoing", IGNORED, "none", "ScreenLogShowOutgoing=N",
        "As ScreenLogShowIncoming.";
    "ScreenLogShowEvents", IGNORED, "none", "ScreenLogShowEvents=N",
        "As ScreenLogShowIncoming.";
    "MySQLStore...", IGNORED, "none", "MySQLStoreHost=db.example.com",
        "QuickFIX's MySQL store: MySQLStoreUseConnectionPool, MySQLStoreDatabase, MySQLStoreUser, MySQLStorePassword, MySQLStoreHost, MySQLStorePort. There is no database store here; FileStorePath (or memory) is used.";
    "MySQLLog...", IGNORED, "none", "MySQLLogHost=db.example.com",
        "QuickFIX's MySQL log: MySQLLogUseConnectionPool, MySQLLogDatabase, MySQLLogUser, MySQLLogPassword, MySQLLogHost, MySQLLogPort, MySQLLogIncomingTable, MySQLLogOutgoingTable, MySQLLogEventTable. FileLogPath is the log here.";
    "PostgreSQLStore...", IGNORED, "none", "PostgreSQLStoreHost=db.example.com",
        "QuickFIX's PostgreSQL store: the keys of MySQLStore... with the PostgreSQLStore prefix.";
    "PostgreSQLLog...", IGNORED, "none", "PostgreSQLLogHost=db.example.com",
        "QuickFIX's PostgreSQL log: the keys of MySQLLog... with the PostgreSQLLog prefix.";
    "OdbcStore...", IGNORED, "none", "OdbcStoreUser=fix",
        "QuickFIX's ODBC store: OdbcStoreUser, OdbcStorePassword, OdbcStoreConnectionString.";
    "OdbcLog...", IGNORED, "none", "OdbcLogUser=fix",
        "QuickFIX's ODBC log: OdbcLogUser, OdbcLogPassword, OdbcLogConnectionString, OdbcLogIncomingTable, OdbcLogOutgoingTable, OdbcLogEventTable.";
}

/// Renders the settings reference, every key with its default and meaning,
/// as Markdown: one `###` heading and one table per group.
pub fn reference_table() -> String {
    let mut out = String::from(
        "<!-- @generated from the settings table of fix-session/src/settings.rs; \
         regenerate with FIX_SETTINGS_BLESS=1 cargo test -p fixrs-session reference -->\n\n",
    );
    let mut group = "";
    for info in KEYS {
        if info.group != group {
            if !group.is_empty() {
                out.push('\n');
            }
            group = info.group;
            out.push_str("### ");
            out.push_str(group);
            out.push_str("\n\n| Key | Default | Meaning |\n| --- | --- | --- |\n");
        }
        out.push_str("| `");
        out.push_str(info.key);
        out.push_str("` | ");
        out.push_str(info.default);
        out.push_str(" | ");
        out.push_str(info.meaning);
        out.push_str(" |\n");
    }
    out
}

// ---------------------------------------------------------------------------
// Reading sections

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Default,
    Session,
}

struct Section {
    kind: SectionKind,
    line: usize,
    partial: Partial,
}

/// One `Key=Value` line.
struct Entry<'a> {
    line: usize,
    key: &'a str,
    value: &'a str,
}

fn read_sections(
    text: &str,
    warnings: &mut Vec<SettingsWarning>,
) -> Result<Vec<Section>, SettingsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(SettingsError::Syntax {
                    line,
                    text: trimmed.to_string(),
                });
            };
            let name = name.trim();
            let kind = if name.eq_ignore_ascii_case("DEFAULT") {
                SectionKind::Default
            } else if name.eq_ignore_ascii_case("SESSION") {
                SectionKind::Session
            } else {
                return Err(SettingsError::UnknownSection {
                    line,
                    name: name.to_string(),
                });
            };
            if kind == SectionKind::Default {
                if let Some(first) = sections.iter().find(|s| s.kind == SectionKind::Default) {
                    return Err(SettingsError::DuplicateDefault {
                        line,
                        first_line: first.line,
                    });
                }
            }
            sections.push(Section {
                kind,
                line,
                partial: Partial::default(),
            });
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(SettingsError::Syntax {
                line,
                text: trimmed.to_string(),
            });
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(SettingsError::Syntax {
                line,
                text: trimmed.to_string(),
            });
        }
        let Some(section) = sections.last_mut() else {
            return Err(SettingsError::OutsideSection {
                line,
                key: key.to_string(),
            });
        };
        if let Some(reason) = ignored_key(key) {
            warn_once(warnings, line, key, reason);
            continue;
        }
        let entry = Entry {
            line,
            key,
            value: value.trim(),
        };
        section.partial.apply(&entry)?;
    }
    Ok(sections)
}

/// Records a warning about `key` unless one was recorded already.
fn warn_once(warnings: &mut Vec<SettingsWarning>, line: usize, key: &str, reason: &str) {
    if !warnings.iter().any(|w| w.key == key) {
        warnings.push(SettingsWarning {
            line,
            key: key.to_string(),
            reason: reason.to_string(),
        });
    }
}

/// Suffixes of QuickFIX's database store and log keys, by prefix.
const DATABASE_KEYS: &[(&str, &[&str])] = &[
    (
        "MySQLStore",
        &[
            "UseConnectionPool",
            "Database",
            "User",
            "Password",
            "Host",
            "Port",
        ],
    ),
    (
        "PostgreSQLStore",
        &[
            "UseConnectionPool",
            "Database",
            "User",
            "Password",
            "Host",
            "Port",
        ],
    ),
    ("OdbcStore", &["User", "Password", "ConnectionString"]),
    (
        "MySQLLog",
        &[
            "UseConnectionPool",
            "Database",
            "User",
            "Password",
            "Host",
            "Port",
            "IncomingTable",
            "OutgoingTable",
            "EventTable",
        ],
    ),
    (
        "PostgreSQLLog",
        &[
            "UseConnectionPool",
            "Database",
            "User",
            "Password",
            "Host",
            "Port",
            "IncomingTable",
            "OutgoingTable",
            "EventTable",
        ],
    ),
    (
        "OdbcLog",
        &[
            "User",
            "Password",
            "ConnectionString",
            "IncomingTable",
            "OutgoingTable",
            "EventTable",
        ],
    ),
];

/// Why a QuickFIX key that has no effect here is accepted; `None` for
/// keys that are acted on or unknown.
fn ignored_key(key: &str) -> Option<&'static str> {
    let row = |name: &str| {
        KEYS.iter()
            .find(|k| k.group == IGNORED && k.key == name)
            .map(|k| k.meaning)
    };
    if let Some(meaning) = row(key) {
        return Some(meaning);
    }
    DATABASE_KEYS.iter().find_map(|(prefix, suffixes)| {
        let suffix = key.strip_prefix(prefix)?;
        if suffixes.contains(&suffix) {
            row(&format!("{prefix}..."))
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------
// Values of one section

/// A value and where it was set. `value` is `None` when the key was given
/// an empty value, clearing an inherited one.
#[derive(Debug, Clone)]
struct At<T> {
    line: usize,
    key: String,
    value: Option<T>,
}

type Slot<T> = Option<At<T>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    Fix(FixVersion),
    Fixt,
}

/// A StartTime or EndTime with its optional time zone.
type ClockTime = (TimeOfDay, Option<TimeZone>);

#[derive(Debug, Clone, Default)]
struct Alternate {
    host: Slot<String>,
    port: Slot<u16>,
    source_host: Slot<String>,
    source_port: Slot<u16>,
}

macro_rules! partial {
    ($($field:ident: $ty:ty,)*) => {
        /// The settings of one section, typed but not yet merged or checked.
        #[derive(Debug, Clone, Default)]
        struct Partial {
            $($field: Slot<$ty>,)*
            alternates: BTreeMap<u32, Alternate>,
            logon_fields: BTreeMap<Tag, At<String>>,
            app_dictionaries: BTreeMap<FixVersion, At<PathBuf>>,
        }

        impl Partial {
            /// These settings, with `defaults` filling what they lack.
            fn overlay(mut self, defaults: &Partial) -> Partial {
                $(if self.$field.is_none() {
                    self.$field = defaults.$field.clone();
                })*
                for (n, alt) in &defaults.alternates {
                    let own = self.alternates.entry(*n).or_default();
                    if own.host.is_none() {
                        own.host = alt.host.clone();
                    }
                    if own.port.is_none() {
                        own.port = alt.port.clone();
                    }
                    if own.source_host.is_none() {
                        own.source_host = alt.source_host.clone();
                    }
                    if own.source_port.is_none() {
                        own.source_port = alt.source_port.clone();
                    }
                }
                for (tag, field) in &defaults.logon_fields {
                    self.logon_fields.entry(*tag).or_insert_with(|| field.clone());
                }
                for (version, file) in &defaults.app_dictionaries {
                    self.app_dictionaries
                        .entry(*version)
                        .or_insert_with(|| file.clone());
                }
                self
            }
        }
    };
}

partial! {
    connection_type: Role,
    begin_string: Begin,
    default_appl_ver_id: FixVersion,
    sender_comp_id: String,
    sender_sub_id: String,
    sender_location_id: String,
    target_comp_id: String,
    target_sub_id: String,
    target_location_id: String,
    session_qualifier: String,
    heart_bt_int: u32,
    logon_timeout: Duration,
    logout_timeout: Duration,
    test_request_delay_multiplier: f64,
    username: String,
    password: String,
    late_delivery: LateDelivery,
    late_delivery_mode: LateDeliveryMode,
    max_late_delivery: usize,
    reset_on_logon: bool,
    reset_on_logout: bool,
    reset_on_disconnect: bool,
    enable_next_expected_msg_seq_num: bool,
    resend_request_chunk_size: u64,
    send_redundant_resend_requests: bool,
    persist_messages: bool,
    max_out_of_order: usize,
    check_comp_id: bool,
    check_latency: bool,
    max_latency: Duration,
    max_message_size: usize,
    validate_length_and_checksum: bool,
    use_data_dictionary: bool,
    validate_fields_out_of_order: bool,
    validate_fields_have_values: bool,
    validate_user_defined_fields: bool,
    allow_unknown_msg_fields: bool,
    validate_unordered_group_fields: bool,
    reject_unknown_msg_types: bool,
    supported_msg_types: Vec<String>,
    timestamp_precision: TimePrecision,
    data_dictionary: PathBuf,
    transport_data_dictionary: PathBuf,
    app_data_dictionary: PathBuf,
    start_time: ClockTime,
    end_time: ClockTime,
    start_day: Weekday,
    end_day: Weekday,
    weekdays: Weekdays,
    time_zone: TimeZone,
    use_local_time: bool,
    non_stop_session: bool,
    logon_time: TimeOfDay,
    logout_time: TimeOfDay,
    logon_day: Weekday,
    logout_day: Weekday,
    socket_connect_host: String,
    socket_connect_port: u16,
    socket_connect_source_host: String,
    socket_connect_source_port: u16,
    host_selection_policy: HostSelectionPolicy,
    host_selection_start_over: Duration,
    allowed_remote_addresses: Vec<IpAddr>,
    socket_reuse_address: bool,
    socket_accept_host: String,
    socket_accept_port: u16,
    socket_nodelay: bool,
    socket_send_buffer_size: usize,
    socket_receive_buffer_size: usize,
    socket_keep_alive: bool,
    reconnect_interval: Duration,
    reconnect_max_tries: i32,
    max_outgoing_bytes: usize,
    file_store_path: PathBuf,
    file_store_sync: StoreSync,
    file_store_max_messages: u64,
    file_log_path: PathBuf,
    socket_use_ssl: bool,
    ssl_protocol: TlsProtocols,
    ssl_cipher_suite: Vec<String>,
    tls_cipher_suites: Vec<String>,
    server_certificate_file: PathBuf,
    server_certificate_key_file: PathBuf,
    client_certificate_file: PathBuf,
    client_certificate_key_file: PathBuf,
    certification_authorities_file: PathBuf,
    certification_authorities_directory: PathBuf,
    crl_file: PathBuf,
    crl_directory: PathBuf,
    certificate_verify_level: CertificateVerifyLevel,
    ssl_server_name: String,
    ssl_validate_certificates: bool,
}

/// Stores a parsed value in its slot, refusing a second setting of it in
/// the same section.
fn put<T>(slot: &mut Slot<T>, e: &Entry<'_>, value: Option<T>) -> Result<(), SettingsError> {
    if let Some(first) = slot {
        return Err(SettingsError::DuplicateKey {
            line: e.line,
            key: e.key.to_string(),
            first_line: first.line,
            first_key: first.key.clone(),
        });
    }
    *slot = Some(At {
        line: e.line,
        key: e.key.to_string(),
        value,
    });
    Ok(())
}

/// Parses a non-empty value with `parse`; an empty one clears the setting.
fn parsed<T>(
    e: &Entry<'_>,
    expected: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, SettingsError> {
    if e.value.is_empty() {
        return Ok(None);
    }
    parse(e.value).map(Some).ok_or_else(|| bad(e, expected))
}

fn bad(e: &Entry<'_>, expected: &str) -> SettingsError {
    SettingsError::BadValue {
        line: e.line,
        key: e.key.to_string(),
        value: e.value.to_string(),
        expected: expected.to_string(),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    const YES: [&str; 3] = ["Y", "YES", "TRUE"];
    const NO: [&str; 3] = ["N", "NO", "FALSE"];
    if YES.iter().any(|y| v.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if NO.iter().any(|n| v.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

/// An unsigned decimal number (digits only).
fn parse_uint<T: FromStr>(v: &str) -> Option<T> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse().ok()
    } else {
        None
    }
}

fn parse_positive<T: FromStr + Default + PartialEq>(v: &str) -> Option<T> {
    parse_uint::<T>(v).filter(|n| *n != T::default())
}

/// Text sent on the wire: no control characters (SOH would end the field).
fn parse_text(v: &str) -> Option<String> {
    (!v.chars().any(char::is_control)).then(|| v.to_string())
}

fn parse_role(v: &str) -> Option<Role> {
    if v.eq_ignore_ascii_case("initiator") {
        Some(Role::Initiator)
    } else if v.eq_ignore_ascii_case("acceptor") {
        Some(Role::Acceptor)
    } else {
        None
    }
}

fn parse_begin_string(v: &str) -> Option<Begin> {
    if v == "FIXT.1.1" {
        return Some(Begin::Fixt);
    }
    FixVersion::from_begin_string(v.as_bytes()).map(Begin::Fix)
}

fn parse_appl_ver_id(v: &str) -> Option<FixVersion> {
    if v == "FIXT.1.1" {
        return None;
    }
    FixVersion::from_str(v)
        .ok()
        .or_else(|| FixVersion::from_appl_ver_id(v.as_bytes()))
        .filter(|version| version.is_fixt())
}

/// The application version of an AppDataDictionary.`<ApplVerID>` key:
/// `FIX.4.4`, `FIX.5.0SP2` (QuickFIX's names) or the ApplVerID value.
fn parse_appl_ver_qualifier(v: &str) -> Option<FixVersion> {
    if v == "FIXT.1.1" {
        return None;
    }
    FixVersion::from_str(v)
        .ok()
        .or_else(|| FixVersion::from_appl_ver_id(v.as_bytes()))
}

fn parse_clock_time(v: &str) -> Option<ClockTime> {
    match v.split_once(char::is_whitespace) {
        Some((time, zone)) => Some((TimeOfDay::parse(time)?, Some(TimeZone::parse(zone).ok()?))),
        None => Some((TimeOfDay::parse(v)?, None)),
    }
}

fn parse_late_delivery(v: &str) -> Option<LateDelivery> {
    if v.eq_ignore_ascii_case("queue") {
        Some(LateDelivery::Queue)
    } else if v.eq_ignore_ascii_case("reject") {
        Some(LateDelivery::Reject)
    } else {
        parse_positive::<u64>(v).map(|ms| LateDelivery::QueueFor(Duration::from_millis(ms)))
    }
}

fn parse_late_delivery_mode(v: &str) -> Option<LateDeliveryMode> {
    if v.eq_ignore_ascii_case("resend") {
        Some(LateDeliveryMode::Resend)
    } else if v.eq_ignore_ascii_case("queue") {
        Some(LateDeliveryMode::Queue)
    } else {
        None
    }
}

fn parse_precision(v: &str) -> Option<TimePrecision> {
    Some(match v {
        "0" => TimePrecision::Seconds,
        "3" => TimePrecision::Millis,
        "6" => TimePrecision::Micros,
        "9" => TimePrecision::Nanos,
        _ => return None,
    })
}

fn parse_multiplier(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|m| m.is_finite() && *m >= 0.0)
}

fn parse_store_sync(v: &str) -> Option<StoreSync> {
    match parse_bool(v) {
        Some(true) => Some(StoreSync::Always),
        Some(false) => Some(StoreSync::Never),
        None => parse_positive::<u64>(v).map(|ms| StoreSync::Every(Duration::from_millis(ms))),
    }
}

fn parse_verify_level(v: &str) -> Option<CertificateVerifyLevel> {
    Some(match v {
        "0" => CertificateVerifyLevel::None,
        "1" => CertificateVerifyLevel::Required,
        "2" => CertificateVerifyLevel::Optional,
        _ => return None,
    })
}

/// SSLProtocol in mod_ssl's style: `all`, `TLSv1_2`, `TLSv1_3`, each
/// optionally signed; legacy versions may only be removed.
fn parse_tls_protocols(v: &str) -> Option<TlsProtocols> {
    let mut p = TlsProtocols {
        tls12: false,
        tls13: false,
    };
    for token in v.split([' ', '\t', ',']).filter(|t| !t.is_empty()) {
        let (add, name) = match token.as_bytes().first() {
            Some(b'+') => (true, &token[1..]),
            Some(b'-') => (false, &token[1..]),
            _ => (true, token),
        };
        let name = name.to_ascii_lowercase().replace('.', "_");
        match name.as_str() {
            "all" => {
                p.tls12 = add;
                p.tls13 = add;
            }
            "tlsv1_2" => p.tls12 = add,
            "tlsv1_3" => p.tls13 = add,
            "sslv2" | "sslv3" | "tlsv1" | "tlsv1_0" | "tlsv1_1" if !add => {}
            _ => return None,
        }
    }
    (p.tls12 || p.tls13).then_some(p)
}

fn parse_msg_type_list(v: &str) -> Option<Vec<String>> {
    let types: Vec<String> = v.split(',').map(|t| t.trim().to_string()).collect();
    let valid =
        |t: &String| !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_alphanumeric());
    types.iter().all(valid).then_some(types)
}

fn parse_host_selection(v: &str) -> Option<HostSelectionPolicy> {
    if v.eq_ignore_ascii_case("PRIORITY") {
        Some(HostSelectionPolicy::Priority {
            start_over: DEFAULT_START_OVER,
        })
    } else if v.eq_ignore_ascii_case("ROUND_ROBIN") {
        Some(HostSelectionPolicy::RoundRobin)
    } else {
        None
    }
}

/// QuickFIX's default HostSelectionPolicyPriorityStartOverInterval.
const DEFAULT_START_OVER: Duration = Duration::from_secs(120);

fn parse_ip_list(v: &str) -> Option<Vec<IpAddr>> {
    v.split(',')
        .map(|a| a.trim().parse::<IpAddr>().ok())
        .collect()
}

fn parse_cipher_suites(v: &str) -> Option<Vec<String>> {
    let suites: Vec<String> = v
        .split([':', ',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (!suites.is_empty()).then_some(suites)
}

/// Logon fields the session writes itself.
const RESERVED_LOGON_TAGS: &[Tag] = &[
    tag::BEGIN_STRING,
    tag::BODY_LENGTH,
    tag::MSG_TYPE,
    tag::SENDER_COMP_ID,
    tag::TARGET_COMP_ID,
    tag::SENDER_SUB_ID,
    tag::TARGET_SUB_ID,
    tag::SENDER_LOCATION_ID,
    tag::TARGET_LOCATION_ID,
    tag::MSG_SEQ_NUM,
    tag::SENDING_TIME,
    tag::POSS_DUP_FLAG,
    tag::POSS_RESEND,
    tag::ORIG_SENDING_TIME,
    tag::CHECK_SUM,
    tag::ENCRYPT_METHOD,
    tag::HEART_BT_INT,
    tag::RESET_SEQ_NUM_FLAG,
    tag::USERNAME,
    tag::PASSWORD,
    tag::NEXT_EXPECTED_MSG_SEQ_NUM,
    tag::DEFAULT_APPL_VER_ID,
];

const BOOL: &str = "Y or N";
const TEXT: &str = "text without control characters";
const SECONDS: &str = "a whole number of seconds";
const POSITIVE_SECONDS: &str = "a positive whole number of seconds";
const COUNT: &str = "a whole number";
const PATH: &str = "a path";

impl Partial {
    /// Parses one `Key=Value` line into its slot.
    fn apply(&mut self, e: &Entry<'_>) -> Result<(), SettingsError> {
        let secs = |v: &str| parse_uint::<u64>(v).map(Duration::from_secs);
        let positive_secs = |v: &str| parse_positive::<u64>(v).map(Duration::from_secs);
        let path = |v: &str| Some(PathBuf::from(v));
        match e.key {
            "ConnectionType" => put(
                &mut self.connection_type,
                e,
                parsed(e, "initiator or acceptor", parse_role)?,
            ),
            "BeginString" => put(
                &mut self.begin_string,
                e,
                parsed(
                    e,
                    "FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1",
                    parse_begin_string,
                )?,
            ),
            "DefaultApplVerID" => put(
                &mut self.default_appl_ver_id,
                e,
                parsed(
                    e,
                    "FIX.5.0, FIX.5.0SP1, FIX.5.0SP2 (or 7, 8, 9)",
                    parse_appl_ver_id,
                )?,
            ),
            "SenderCompID" => put(&mut self.sender_comp_id, e, parsed(e, TEXT, parse_text)?),
            "SenderSubID" => put(&mut self.sender_sub_id, e, parsed(e, TEXT, parse_text)?),
            "SenderLocationID" => put(
                &mut self.sender_location_id,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "TargetCompID" => put(&mut self.target_comp_id, e, parsed(e, TEXT, parse_text)?),
            "TargetSubID" => put(&mut self.target_sub_id, e, parsed(e, TEXT, parse_text)?),
            "TargetLocationID" => put(
                &mut self.target_location_id,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "SessionQualifier" => put(
                &mut self.session_qualifier,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "HeartBtInt" => put(&mut self.heart_bt_int, e, parsed(e, SECONDS, parse_uint)?),
            "LogonTimeout" => put(
                &mut self.logon_timeout,
                e,
                parsed(e, POSITIVE_SECONDS, positive_secs)?,
            ),
            "LogoutTimeout" => put(
                &mut self.logout_timeout,
                e,
                parsed(e, POSITIVE_SECONDS, positive_secs)?,
            ),
            "TestRequestDelayMultiplier" => put(
                &mut self.test_request_delay_multiplier,
                e,
                parsed(e, "a number of 0 or more, such as 0.5", parse_multiplier)?,
            ),
            "Username" => put(&mut self.username, e, parsed(e, TEXT, parse_text)?),
            "Password" => put(&mut self.password, e, parsed(e, TEXT, parse_text)?),
            "LateDelivery" => put(
                &mut self.late_delivery,
                e,
                parsed(
                    e,
                    "queue, reject, or a positive time to live in milliseconds",
                    parse_late_delivery,
                )?,
            ),
            "LateDeliveryMode" => put(
                &mut self.late_delivery_mode,
                e,
                parsed(e, "resend or queue", parse_late_delivery_mode)?,
            ),
            "MaxLateDeliveryMessages" => put(
                &mut self.max_late_delivery,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "ResetOnLogon" => put(&mut self.reset_on_logon, e, parsed(e, BOOL, parse_bool)?),
            "ResetOnLogout" => put(&mut self.reset_on_logout, e, parsed(e, BOOL, parse_bool)?),
            "ResetOnDisconnect" => put(
                &mut self.reset_on_disconnect,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "EnableNextExpectedMsgSeqNum" | "SendNextExpectedMsgSeqNum" => put(
                &mut self.enable_next_expected_msg_seq_num,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "ResendRequestChunkSize" => put(
                &mut self.resend_request_chunk_size,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "SendRedundantResendRequests" => put(
                &mut self.send_redundant_resend_requests,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "PersistMessages" => put(&mut self.persist_messages, e, parsed(e, BOOL, parse_bool)?),
            "MaxOutOfOrderMessages" => put(
                &mut self.max_out_of_order,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "CheckCompID" => put(&mut self.check_comp_id, e, parsed(e, BOOL, parse_bool)?),
            "CheckLatency" => put(&mut self.check_latency, e, parsed(e, BOOL, parse_bool)?),
            "MaxLatency" => put(
                &mut self.max_latency,
                e,
                parsed(e, POSITIVE_SECONDS, positive_secs)?,
            ),
            "MaxMessageSize" => put(
                &mut self.max_message_size,
                e,
                parsed(e, "a positive number of bytes", parse_positive)?,
            ),
            "ValidateLengthAndChecksum" => put(
                &mut self.validate_length_and_checksum,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "UseDataDictionary" => put(
                &mut self.use_data_dictionary,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "ValidateFieldsOutOfOrder" => put(
                &mut self.validate_fields_out_of_order,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "ValidateFieldsHaveValues" => put(
                &mut self.validate_fields_have_values,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "ValidateUserDefinedFields" => put(
                &mut self.validate_user_defined_fields,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "AllowUnknownMsgFields" => put(
                &mut self.allow_unknown_msg_fields,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "ValidateUnorderedGroupFields" => put(
                &mut self.validate_unordered_group_fields,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "RejectUnknownMsgTypes" => put(
                &mut self.reject_unknown_msg_types,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "SupportedMsgTypes" => put(
                &mut self.supported_msg_types,
                e,
                parsed(e, "MsgType values separated by commas", parse_msg_type_list)?,
            ),
            "TimestampPrecision" => put(
                &mut self.timestamp_precision,
                e,
                parsed(e, "0, 3, 6 or 9", parse_precision)?,
            ),
            "MillisecondsInTimeStamp" => put(
                &mut self.timestamp_precision,
                e,
                parsed(e, BOOL, |v| {
                    parse_bool(v).map(|millis| {
                        if millis {
                            TimePrecision::Millis
                        } else {
                            TimePrecision::Seconds
                        }
                    })
                })?,
            ),
            "DataDictionary" => put(&mut self.data_dictionary, e, parsed(e, PATH, path)?),
            "TransportDataDictionary" => put(
                &mut self.transport_data_dictionary,
                e,
                parsed(e, PATH, path)?,
            ),
            "AppDataDictionary" => put(&mut self.app_data_dictionary, e, parsed(e, PATH, path)?),
            "StartTime" | "EndTime" => {
                let value = parsed(
                    e,
                    "HH:MM:SS, optionally followed by a time zone",
                    parse_clock_time,
                )?;
                let slot = if e.key == "StartTime" {
                    &mut self.start_time
                } else {
                    &mut self.end_time
                };
                put(slot, e, value)
            }
            "StartDay" | "EndDay" => {
                let value = parsed(e, "a day of the week, such as Monday or mo", Weekday::parse)?;
                let slot = if e.key == "StartDay" {
                    &mut self.start_day
                } else {
                    &mut self.end_day
                };
                put(slot, e, value)
            }
            "Weekdays" => put(
                &mut self.weekdays,
                e,
                parsed(e, "comma-separated days, such as Mon,Tue,Wed", Weekdays::parse)?,
            ),
            "TimeZone" => put(
                &mut self.time_zone,
                e,
                parsed(
                    e,
                    "UTC, an offset such as +05:30, or an IANA name such as America/New_York",
                    |v| TimeZone::parse(v).ok(),
                )?,
            ),
            "UseLocalTime" => put(&mut self.use_local_time, e, parsed(e, BOOL, parse_bool)?),
            "LogonTime" | "LogoutTime" => {
                let value = parsed(e, "HH:MM:SS", TimeOfDay::parse)?;
                let slot = if e.key == "LogonTime" {
                    &mut self.logon_time
                } else {
                    &mut self.logout_time
                };
                put(slot, e, value)
            }
            "LogonDay" | "LogoutDay" => {
                let value = parsed(e, "a day of the week, such as Monday or mo", Weekday::parse)?;
                let slot = if e.key == "LogonDay" {
                    &mut self.logon_day
                } else {
                    &mut self.logout_day
                };
                put(slot, e, value)
            }
            "NonStopSession" => put(&mut self.non_stop_session, e, parsed(e, BOOL, parse_bool)?),
            "SocketConnectHost" => put(
                &mut self.socket_connect_host,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "SocketConnectPort" => put(
                &mut self.socket_connect_port,
                e,
                parsed(e, "a port number from 1 to 65535", parse_positive)?,
            ),
            "SocketConnectSourceHost" => put(
                &mut self.socket_connect_source_host,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "SocketConnectSourcePort" => put(
                &mut self.socket_connect_source_port,
                e,
                parsed(e, "a port number from 0 to 65535", parse_uint)?,
            ),
            "HostSelectionPolicy" => put(
                &mut self.host_selection_policy,
                e,
                parsed(e, "ROUND_ROBIN or PRIORITY", parse_host_selection)?,
            ),
            "HostSelectionPolicyPriorityStartOverInterval" => put(
                &mut self.host_selection_start_over,
                e,
                parsed(e, SECONDS, secs)?,
            ),
            "AllowedRemoteAddresses" => put(
                &mut self.allowed_remote_addresses,
                e,
                parsed(
                    e,
                    "IP addresses separated by commas",
                    parse_ip_list,
                )?,
            ),
            "SocketReuseAddress" => put(
                &mut self.socket_reuse_address,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            "SocketAcceptHost" => put(
                &mut self.socket_accept_host,
                e,
                parsed(e, TEXT, parse_text)?,
            ),
            "SocketAcceptPort" => put(
                &mut self.socket_accept_port,
                e,
                parsed(e, "a port number from 0 to 65535", parse_uint)?,
            ),
            "SocketNodelay" => put(&mut self.socket_nodelay, e, parsed(e, BOOL, parse_bool)?),
            "MaxOutgoingBytes" => put(
                &mut self.max_outgoing_bytes,
                e,
                parsed(e, "a positive number of bytes", parse_positive)?,
            ),
            "SocketSendBufferSize" => put(
                &mut self.socket_send_buffer_size,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "SocketReceiveBufferSize" => put(
                &mut self.socket_receive_buffer_size,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "SocketKeepAlive" => put(&mut self.socket_keep_alive, e, parsed(e, BOOL, parse_bool)?),
            "ReconnectInterval" => put(
                &mut self.reconnect_interval,
                e,
                parsed(e, SECONDS, secs)?,
            ),
            "Reconnect.Interval" => put(
                &mut self.reconnect_interval,
                e,
                parsed(e, "a whole number of milliseconds", |v| {
                    parse_uint::<u64>(v).map(Duration::from_millis)
                })?,
            ),
            "Reconnect.MaxTries" => put(
                &mut self.reconnect_max_tries,
                e,
                parsed(e, "a whole number, negative for no limit", |v| {
                    v.parse::<i32>().ok()
                })?,
            ),
            "FileStorePath" => put(&mut self.file_store_path, e, parsed(e, PATH, path)?),
            "FileStoreSync" => put(
                &mut self.file_store_sync,
                e,
                parsed(
                    e,
                    "Y, N, or a positive number of milliseconds",
                    parse_store_sync,
                )?,
            ),
            "FileStoreMaxMessages" => put(
                &mut self.file_store_max_messages,
                e,
                parsed(e, COUNT, parse_uint)?,
            ),
            "FileLogPath" => put(&mut self.file_log_path, e, parsed(e, PATH, path)?),
            "SocketUseSSL" | "SSLEnable" => {
                put(&mut self.socket_use_ssl, e, parsed(e, BOOL, parse_bool)?)
            }
            "SSLProtocol" => put(
                &mut self.ssl_protocol,
                e,
                parsed(
                    e,
                    "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version",
                    parse_tls_protocols,
                )?,
            ),
            "SSLCipherSuite" => put(
                &mut self.ssl_cipher_suite,
                e,
                parsed(e, "cipher suite names separated by :", parse_cipher_suites)?,
            ),
            "TLSCipherSuites" => put(
                &mut self.tls_cipher_suites,
                e,
                parsed(e, "TLS 1.3 cipher suite names separated by :", parse_cipher_suites)?,
            ),
            "ServerCertificateFile" => put(
                &mut self.server_certificate_file,
                e,
                parsed(e, PATH, path)?,
            ),
            "ServerCertificateKeyFile" => put(
                &mut self.server_certificate_key_file,
                e,
                parsed(e, PATH, path)?,
            ),
            "ClientCertificateFile" => put(
                &mut self.client_certificate_file,
                e,
                parsed(e, PATH, path)?,
            ),
            "ClientCertificateKeyFile" => put(
                &mut self.client_certificate_key_file,
                e,
                parsed(e, PATH, path)?,
            ),
            "CertificationAuthoritiesFile" => put(
                &mut self.certification_authorities_file,
                e,
                parsed(e, PATH, path)?,
            ),
            "CertificationAuthoritiesDirectory" => put(
                &mut self.certification_authorities_directory,
                e,
                parsed(e, PATH, path)?,
            ),
            "CertificateRevocationListFile" => put(&mut self.crl_file, e, parsed(e, PATH, path)?),
            "CertificateRevocationListDirectory" => {
                put(&mut self.crl_directory, e, parsed(e, PATH, path)?)
            }
            "CertificateVerifyLevel" => put(
                &mut self.certificate_verify_level,
                e,
                parsed(
                    e,
                    "0 (no client certificate), 1 (required) or 2 (optional)",
                    parse_verify_level,
                )?,
            ),
            "SSLServerName" => put(&mut self.ssl_server_name, e, parsed(e, TEXT, parse_text)?),
            "SSLValidateCertificates" => put(
                &mut self.ssl_validate_certificates,
                e,
                parsed(e, BOOL, parse_bool)?,
            ),
            key => self.apply_numbered(e, key),
        }
    }

    /// Keys with a number in their name: alternate connect addresses and
    /// extra Logon fields.
    fn apply_numbered(&mut self, e: &Entry<'_>, key: &str) -> Result<(), SettingsError> {
        if let Some(n) = key
            .strip_prefix("SocketConnectSourceHost")
            .and_then(alternate_number)
        {
            let alt = self.alternates.entry(n).or_default();
            return put(&mut alt.source_host, e, parsed(e, TEXT, parse_text)?);
        }
        if let Some(n) = key
            .strip_prefix("SocketConnectSourcePort")
            .and_then(alternate_number)
        {
            let alt = self.alternates.entry(n).or_default();
            return put(
                &mut alt.source_port,
                e,
                parsed(e, "a port number from 0 to 65535", parse_uint)?,
            );
        }
        if let Some(n) = key
            .strip_prefix("SocketConnectHost")
            .and_then(alternate_number)
        {
            let alt = self.alternates.entry(n).or_default();
            return put(&mut alt.host, e, parsed(e, TEXT, parse_text)?);
        }
        if let Some(n) = key
            .strip_prefix("SocketConnectPort")
            .and_then(alternate_number)
        {
            let alt = self.alternates.entry(n).or_default();
            return put(
                &mut alt.port,
                e,
                parsed(e, "a port number from 1 to 65535", parse_positive)?,
            );
        }
        if let Some(qualifier) = key.strip_prefix("AppDataDictionary.") {
            let version = match parse_appl_ver_qualifier(qualifier) {
                Some(version) => version,
                None => {
                    return Err(SettingsError::UnknownKey {
                        line: e.line,
                        key: key.to_string(),
                        suggestion: Some("AppDataDictionary.<ApplVerID>"),
                    })
                }
            };
            if let Some(first) = self.app_dictionaries.get(&version) {
                return Err(SettingsError::DuplicateKey {
                    line: e.line,
                    key: key.to_string(),
                    first_line: first.line,
                    first_key: first.key.clone(),
                });
            }
            let value = parsed(e, PATH, |v| Some(PathBuf::from(v)))?;
            self.app_dictionaries.insert(
                version,
                At {
                    line: e.line,
                    key: key.to_string(),
                    value,
                },
            );
            return Ok(());
        }
        if let Some(number) = key.strip_prefix("LogonTag.") {
            let tag = match parse_positive::<Tag>(number) {
                Some(tag) => tag,
                None => {
                    return Err(SettingsError::UnknownKey {
                        line: e.line,
                        key: key.to_string(),
                        suggestion: Some("LogonTag.<tag>"),
                    })
                }
            };
            if RESERVED_LOGON_TAGS.contains(&tag) {
                return Err(SettingsError::Inconsistent {
                    line: e.line,
                    key: key.to_string(),
                    reason: format!(
                        "tag {tag} is written by the session itself (use the session's own key, such as Username, Password or HeartBtInt)"
                    ),
                });
            }
            if let Some(first) = self.logon_fields.get(&tag) {
                return Err(SettingsError::DuplicateKey {
                    line: e.line,
                    key: key.to_string(),
                    first_line: first.line,
                    first_key: first.key.clone(),
                });
            }
            let value = parsed(e, TEXT, parse_text)?;
            self.logon_fields.insert(
                tag,
                At {
                    line: e.line,
                    key: key.to_string(),
                    value,
                },
            );
            return Ok(());
        }
        Err(SettingsError::UnknownKey {
            line: e.line,
            key: key.to_string(),
            suggestion: KEYS
                .iter()
                .map(|k| k.key)
                .find(|k| k.eq_ignore_ascii_case(key)),
        })
    }
}

/// The `<n>` of SocketConnectHost`<n>`: a positive decimal number.
fn alternate_number(text: &str) -> Option<u32> {
    if text.starts_with('0') {
        return None;
    }
    parse_positive(text)
}

// ---------------------------------------------------------------------------
// Building a session

/// The value of a slot, if set and not cleared.
fn val<T>(slot: &Slot<T>) -> Option<&T> {
    slot.as_ref().and_then(|at| at.value.as_ref())
}

/// The line and key of a slot set and not cleared.
fn line_and_key<T>(slot: &Slot<T>) -> Option<(usize, &str)> {
    val_at(slot).map(|(_, at, key)| (at, key))
}

/// The slot's value if set and not cleared, with its line and key.
fn val_at<T>(slot: &Slot<T>) -> Option<(&T, usize, &str)> {
    slot.as_ref()
        .and_then(|at| at.value.as_ref().map(|v| (v, at.line, at.key.as_str())))
}

fn missing(line: usize, key: &str, why: impl Into<String>) -> SettingsError {
    SettingsError::MissingKey {
        line,
        key: key.to_string(),
        why: why.into(),
    }
}

fn required<'a, T>(slot: &'a Slot<T>, line: usize, key: &str) -> Result<&'a T, SettingsError> {
    val(slot).ok_or_else(|| missing(line, key, "required"))
}

fn set<T: Clone>(slot: &Slot<T>, target: &mut T) {
    if let Some(v) = val(slot) {
        *target = v.clone();
    }
}

fn set_opt<T: Clone>(slot: &Slot<T>, target: &mut Option<T>) {
    *target = val(slot).cloned();
}

fn describe_key(key: &SessionKey) -> String {
    let mut text = format!("{}:{}", key.begin_string, key.sender_comp_id);
    for part in [&key.sender_sub_id, &key.sender_location_id]
        .into_iter()
        .flatten()
    {
        text.push('/');
        text.push_str(part);
    }
    text.push_str("->");
    text.push_str(&key.target_comp_id);
    for part in [&key.target_sub_id, &key.target_location_id]
        .into_iter()
        .flatten()
    {
        text.push('/');
        text.push_str(part);
    }
    if let Some(q) = &key.qualifier {
        text.push(':');
        text.push_str(q);
    }
    text
}

fn build_session(
    line: usize,
    p: &Partial,
    options: &ParseOptions,
    warnings: &mut Vec<SettingsWarning>,
) -> Result<SessionSettings, SettingsError> {
    let role = *required(&p.connection_type, line, "ConnectionType")?;
    let version = match required(&p.begin_string, line, "BeginString")? {
        Begin::Fix(version) => *version,
        Begin::Fixt => *val(&p.default_appl_ver_id).ok_or_else(|| {
            missing(
                line,
                "DefaultApplVerID",
                "required with BeginString=FIXT.1.1",
            )
        })?,
    };
    let sender = required(&p.sender_comp_id, line, "SenderCompID")?;
    let target = required(&p.target_comp_id, line, "TargetCompID")?;
    let mut config = SessionConfig::new(role, version, sender.clone(), target.clone());

    set_opt(&p.sender_sub_id, &mut config.sender_sub_id);
    set_opt(&p.sender_location_id, &mut config.sender_location_id);
    set_opt(&p.target_sub_id, &mut config.target_sub_id);
    set_opt(&p.target_location_id, &mut config.target_location_id);
    set_opt(&p.session_qualifier, &mut config.session_qualifier);
    match val(&p.heart_bt_int) {
        Some(h) => config.heart_bt_int = *h,
        None if role == Role::Initiator => {
            return Err(missing(line, "HeartBtInt", "required for initiators"))
        }
        None => {}
    }
    set(&p.logon_timeout, &mut config.logon_timeout);
    set(&p.logout_timeout, &mut config.logout_timeout);
    set(
        &p.test_request_delay_multiplier,
        &mut config.test_request_delay_multiplier,
    );
    set_opt(&p.username, &mut config.username);
    set_opt(&p.password, &mut config.password);
    config.logon_fields = p
        .logon_fields
        .iter()
        .filter_map(|(tag, at)| at.value.clone().map(|v| (*tag, v)))
        .collect();
    set(&p.late_delivery, &mut config.late_delivery);
    set(&p.late_delivery_mode, &mut config.late_delivery_mode);
    set(&p.max_late_delivery, &mut config.max_late_delivery);
    set(&p.reset_on_logon, &mut config.reset_on_logon);
    set(&p.reset_on_logout, &mut config.reset_on_logout);
    set(&p.reset_on_disconnect, &mut config.reset_on_disconnect);
    set(
        &p.enable_next_expected_msg_seq_num,
        &mut config.send_next_expected_msg_seq_num,
    );
    set(
        &p.resend_request_chunk_size,
        &mut config.resend_request_chunk_size,
    );
    set(
        &p.send_redundant_resend_requests,
        &mut config.send_redundant_resend_requests,
    );
    set(&p.persist_messages, &mut config.persist_messages);
    set(&p.max_out_of_order, &mut config.max_out_of_order);
    set(&p.check_comp_id, &mut config.check_comp_id);
    set(&p.check_latency, &mut config.check_latency);
    set(&p.max_latency, &mut config.max_latency);
    set(&p.max_message_size, &mut config.max_message_size);
    set(
        &p.validate_length_and_checksum,
        &mut config.validate_checksum,
    );
    set(&p.timestamp_precision, &mut config.timestamp_precision);
    set(&p.reconnect_interval, &mut config.reconnect_interval);
    set(&p.reconnect_max_tries, &mut config.reconnect_max_tries);
    set(&p.use_data_dictionary, &mut config.use_data_dictionary);
    let v = &mut config.validation;
    set(
        &p.validate_fields_out_of_order,
        &mut v.validate_fields_out_of_order,
    );
    set(
        &p.validate_fields_have_values,
        &mut v.validate_fields_have_values,
    );
    set(
        &p.validate_user_defined_fields,
        &mut v.validate_user_defined_fields,
    );
    set(&p.allow_unknown_msg_fields, &mut v.allow_unknown_msg_fields);
    set(
        &p.validate_unordered_group_fields,
        &mut v.validate_unordered_group_fields,
    );
    set(
        &p.reject_unknown_msg_types,
        &mut config.reject_unknown_msg_types,
    );
    if let Some(types) = val(&p.supported_msg_types) {
        config.supported_msg_types = Some(types.clone());
    }
    let (schedule, logon_window) = build_schedule(p, options)?;
    config.schedule = schedule;
    config.logon_window = logon_window;

    let (endpoint, connect) = build_endpoint(line, role, p)?;
    let mut socket = SocketOptions::default();
    set(&p.socket_nodelay, &mut socket.nodelay);
    set(&p.socket_keep_alive, &mut socket.keep_alive);
    set(&p.socket_reuse_address, &mut socket.reuse_address);
    socket.send_buffer_size = val(&p.socket_send_buffer_size).copied().filter(|n| *n > 0);
    socket.receive_buffer_size = val(&p.socket_receive_buffer_size)
        .copied()
        .filter(|n| *n > 0);

    let mut store = StoreSettings::default();
    set_opt(&p.file_store_path, &mut store.file_store_path);
    set(&p.file_store_sync, &mut store.sync);
    store.max_messages = val(&p.file_store_max_messages).copied().filter(|n| *n > 0);

    let mut dictionaries = DictionarySettings::default();
    set_opt(&p.data_dictionary, &mut dictionaries.data_dictionary);
    set_opt(
        &p.transport_data_dictionary,
        &mut dictionaries.transport_data_dictionary,
    );
    set_opt(
        &p.app_data_dictionary,
        &mut dictionaries.app_data_dictionary,
    );
    for (version, at) in &p.app_dictionaries {
        if let Some(path) = &at.value {
            dictionaries
                .app_data_dictionaries
                .insert(*version, path.clone());
            dictionaries.version_lines.insert(*version, at.line);
        }
    }
    let line_of = |slot: &Slot<PathBuf>| val_at(slot).map_or(0, |(_, at, _)| at);
    dictionaries.lines = [
        line_of(&p.data_dictionary),
        line_of(&p.transport_data_dictionary),
        line_of(&p.app_data_dictionary),
    ];
    if config.use_data_dictionary {
        // QuickFIX reads DataDictionary for FIX 4.x sessions only, and
        // the other two for FIXT.1.1 ones; a file named for the wrong
        // kind alone is most likely a mistake worth a word.
        let fixt = config.version.is_fixt();
        let unused = if fixt {
            line_and_key(&p.data_dictionary).filter(|_| {
                dictionaries.transport_data_dictionary.is_none()
                    && dictionaries.app_data_dictionary.is_none()
                    && dictionaries.app_data_dictionaries.is_empty()
            })
        } else {
            let versioned = p
                .app_dictionaries
                .values()
                .find(|at| at.value.is_some())
                .map(|at| (at.line, at.key.as_str()));
            line_and_key(&p.transport_data_dictionary)
                .or(line_and_key(&p.app_data_dictionary))
                .or(versioned)
                .filter(|_| dictionaries.data_dictionary.is_none())
        };
        if let Some((at, key)) = unused {
            let reason = if fixt {
                "FIXT.1.1 sessions read TransportDataDictionary and AppDataDictionary; the built-in dictionaries are used"
            } else {
                "FIX 4.x sessions read DataDictionary; the built-in dictionary is used"
            };
            warn_once(warnings, at, key, reason);
        }
    }

    let tls = if val(&p.socket_use_ssl).copied().unwrap_or(false) {
        Some(build_tls(line, role, p)?)
    } else {
        None
    };

    Ok(SessionSettings {
        line,
        config,
        endpoint,
        socket,
        store,
        file_log_path: val(&p.file_log_path).cloned(),
        dictionaries,
        dictionary: None,
        app_dictionaries: Vec::new(),
        connect,
        allowed_remote_addresses: val(&p.allowed_remote_addresses)
            .cloned()
            .unwrap_or_default(),
        tls,
        max_outgoing_bytes: val(&p.max_outgoing_bytes)
            .copied()
            .unwrap_or(DEFAULT_MAX_OUTGOING_BYTES),
    })
}

fn build_endpoint(
    line: usize,
    role: Role,
    p: &Partial,
) -> Result<(Endpoint, ConnectSettings), SettingsError> {
    match role {
        Role::Acceptor => {
            let port = *val(&p.socket_accept_port)
                .ok_or_else(|| missing(line, "SocketAcceptPort", "required for acceptors"))?;
            let host = val(&p.socket_accept_host)
                .cloned()
                .unwrap_or_else(|| "0.0.0.0".to_string());
            Ok((
                Endpoint::Accept(HostPort { host, port }),
                ConnectSettings::default(),
            ))
        }
        Role::Initiator => {
            let host = val(&p.socket_connect_host)
                .ok_or_else(|| missing(line, "SocketConnectHost", "required for initiators"))?;
            let port = val(&p.socket_connect_port)
                .ok_or_else(|| missing(line, "SocketConnectPort", "required for initiators"))?;
            let mut addresses = vec![HostPort {
                host: host.clone(),
                port: *port,
            }];
            let mut sources = vec![source_address(
                &p.socket_connect_source_host,
                &p.socket_connect_source_port,
            )];
            for (n, alt) in &p.alternates {
                match (val_at(&alt.host), val_at(&alt.port)) {
                    (Some((host, _, _)), Some((port, _, _))) => {
                        addresses.push(HostPort {
                            host: host.clone(),
                            port: *port,
                        });
                        sources.push(source_address(&alt.source_host, &alt.source_port));
                    }
                    (Some((_, at, key)), None) => {
                        return Err(missing(
                            at,
                            &format!("SocketConnectPort{n}"),
                            format!("required with {key}"),
                        ))
                    }
                    (None, Some((_, at, key))) => {
                        return Err(missing(
                            at,
                            &format!("SocketConnectHost{n}"),
                            format!("required with {key}"),
                        ))
                    }
                    (None, None) => {
                        let source = val_at(&alt.source_host)
                            .map(|(_, at, key)| (at, key))
                            .or(val_at(&alt.source_port).map(|(_, at, key)| (at, key)));
                        if let Some((at, key)) = source {
                            return Err(missing(
                                at,
                                &format!("SocketConnectHost{n}"),
                                format!("required with {key}"),
                            ));
                        }
                    }
                }
            }
            let mut host_selection = val(&p.host_selection_policy).copied().unwrap_or_default();
            if let (HostSelectionPolicy::Priority { start_over }, Some(interval)) =
                (&mut host_selection, val(&p.host_selection_start_over))
            {
                *start_over = *interval;
            }
            Ok((
                Endpoint::Connect(addresses),
                ConnectSettings {
                    source_addresses: sources,
                    host_selection,
                },
            ))
        }
    }
}

/// The local address of SocketConnectSourceHost`<n>` /
/// SocketConnectSourcePort`<n>`, if either is set.
fn source_address(host: &Slot<String>, port: &Slot<u16>) -> Option<SourceAddress> {
    let host = val(host).cloned();
    let port = val(port).copied();
    (host.is_some() || port.is_some()).then(|| SourceAddress {
        host,
        port: port.unwrap_or(0),
    })
}

/// The session's schedule (StartTime, EndTime, days) and its logon window
/// (LogonTime, LogoutTime, LogonDay, LogoutDay), in one time zone.
fn build_schedule(
    p: &Partial,
    options: &ParseOptions,
) -> Result<(Option<Schedule>, Option<Schedule>), SettingsError> {
    let non_stop = val(&p.non_stop_session).copied().unwrap_or(false);
    let period = match (val_at(&p.start_time), val_at(&p.end_time)) {
        _ if non_stop => None,
        (Some(start), Some(end)) => Some((start, end)),
        (Some((_, at, key)), None) => {
            return Err(missing(at, "EndTime", format!("required with {key}")))
        }
        (None, Some((_, at, key))) => {
            return Err(missing(at, "StartTime", format!("required with {key}")))
        }
        (None, None) => {
            let day_keys = [
                val_at(&p.start_day).map(|(_, at, key)| (at, key)),
                val_at(&p.end_day).map(|(_, at, key)| (at, key)),
                val_at(&p.weekdays).map(|(_, at, key)| (at, key)),
            ];
            if let Some((at, key)) = day_keys.into_iter().flatten().next() {
                return Err(missing(at, "StartTime", format!("required with {key}")));
            }
            None
        }
    };
    let window_keys = [
        val_at(&p.logon_time).map(|(_, at, key)| (at, key)),
        val_at(&p.logout_time).map(|(_, at, key)| (at, key)),
        val_at(&p.logon_day).map(|(_, at, key)| (at, key)),
        val_at(&p.logout_day).map(|(_, at, key)| (at, key)),
    ];
    let window_key = window_keys.into_iter().flatten().next();
    if period.is_none() && window_key.is_none() {
        return Ok((None, None));
    }

    // The zone: StartTime's or EndTime's own, else TimeZone, else the
    // machine's with UseLocalTime=Y, else UTC.
    let (start_zone, end_zone) = match period {
        Some(((&(_, a), _, _), (&(_, b), end_line, end_key))) => {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    return Err(SettingsError::Inconsistent {
                        line: end_line,
                        key: end_key.to_string(),
                        reason: format!("time zone {b} differs from StartTime's {a}"),
                    });
                }
            }
            (a, b)
        }
        None => (None, None),
    };
    let use_local = val_at(&p.use_local_time).filter(|(v, _, _)| **v);
    let zone = match (start_zone.or(end_zone), val(&p.time_zone), use_local) {
        (Some(zone), _, _) => zone,
        (None, Some(_), Some((_, at, key))) => {
            return Err(SettingsError::Inconsistent {
                line: at,
                key: key.to_string(),
                reason: "UseLocalTime=Y conflicts with TimeZone".to_string(),
            })
        }
        (None, Some(zone), None) => *zone,
        (None, None, Some((_, at, key))) => match options.local_time_zone {
            Some(zone) => zone,
            None => return Err(SettingsError::Inconsistent {
                line: at,
                key: key.to_string(),
                reason:
                    "the machine's time zone is not known here; set TimeZone to its name instead"
                        .to_string(),
            }),
        },
        (None, None, None) => TimeZone::UTC,
    };

    let recurrence = match (
        val_at(&p.start_day),
        val_at(&p.end_day),
        val_at(&p.weekdays),
    ) {
        (Some(_), Some(_), Some((_, at, key))) => return Err(SettingsError::Inconsistent {
            line: at,
            key: key.to_string(),
            reason:
                "Weekdays (a daily session) conflicts with StartDay and EndDay (a weekly session)"
                    .to_string(),
        }),
        (Some((start_day, _, _)), Some((end_day, _, _)), None) => Recurrence::Weekly {
            start_day: *start_day,
            end_day: *end_day,
        },
        (Some((_, at, key)), None, _) => {
            return Err(missing(at, "EndDay", format!("required with {key}")))
        }
        (None, Some((_, at, key)), _) => {
            return Err(missing(at, "StartDay", format!("required with {key}")))
        }
        (None, None, Some((days, _, _))) => Recurrence::Daily(*days),
        (None, None, None) => Recurrence::Daily(Weekdays::ALL),
    };
    let make = |recurrence: Recurrence, start: TimeOfDay, end: TimeOfDay| {
        let schedule = match recurrence {
            Recurrence::Daily(days) => Schedule::daily_on(days, start, end),
            Recurrence::Weekly { start_day, end_day } => {
                Schedule::weekly(start_day, start, end_day, end)
            }
        };
        schedule.in_time_zone(zone)
    };
    let schedule = period.map(|((start, _, _), (end, _, _))| make(recurrence, start.0, end.0));

    let Some((window_line, window_key)) = window_key else {
        return Ok((schedule, None));
    };
    // The window's times and days default to the period's (QuickFIX).
    let period_times = period.map(|((start, _, _), (end, _, _))| (start.0, end.0));
    let logon = val(&p.logon_time).copied().or(period_times.map(|t| t.0));
    let logout = val(&p.logout_time).copied().or(period_times.map(|t| t.1));
    let (logon, logout) = match (logon, logout) {
        (Some(a), Some(b)) => (a, b),
        (None, _) => {
            return Err(missing(
                window_line,
                "LogonTime",
                format!("required with {window_key} when there is no StartTime"),
            ))
        }
        (_, None) => {
            return Err(missing(
                window_line,
                "LogoutTime",
                format!("required with {window_key} when there is no EndTime"),
            ))
        }
    };
    let period_days = match recurrence {
        Recurrence::Weekly { start_day, end_day } => (Some(start_day), Some(end_day)),
        Recurrence::Daily(_) => (None, None),
    };
    let logon_day = val(&p.logon_day).copied().or(period_days.0);
    let logout_day = val(&p.logout_day).copied().or(period_days.1);
    let window_recurrence = match (logon_day, logout_day) {
        (Some(start_day), Some(end_day)) => Recurrence::Weekly { start_day, end_day },
        (None, None) => recurrence,
        (Some(_), None) => {
            let (at, key) =
                val_at(&p.logon_day).map_or((window_line, window_key), |(_, a, k)| (a, k));
            return Err(missing(at, "LogoutDay", format!("required with {key}")));
        }
        (None, Some(_)) => {
            let (at, key) =
                val_at(&p.logout_day).map_or((window_line, window_key), |(_, a, k)| (a, k));
            return Err(missing(at, "LogonDay", format!("required with {key}")));
        }
    };
    Ok((schedule, Some(make(window_recurrence, logon, logout))))
}

fn build_tls(line: usize, role: Role, p: &Partial) -> Result<TlsSettings, SettingsError> {
    let mut tls = TlsSettings {
        validate_certificates: true,
        ..TlsSettings::default()
    };
    set(&p.ssl_protocol, &mut tls.protocols);
    set(&p.ssl_cipher_suite, &mut tls.cipher_suites);
    set(&p.tls_cipher_suites, &mut tls.tls13_cipher_suites);
    set_opt(&p.server_certificate_file, &mut tls.server_certificate_file);
    set_opt(
        &p.server_certificate_key_file,
        &mut tls.server_certificate_key_file,
    );
    set_opt(&p.client_certificate_file, &mut tls.client_certificate_file);
    set_opt(
        &p.client_certificate_key_file,
        &mut tls.client_certificate_key_file,
    );
    set_opt(
        &p.certification_authorities_file,
        &mut tls.certification_authorities_file,
    );
    set_opt(
        &p.certification_authorities_directory,
        &mut tls.certification_authorities_directory,
    );
    set_opt(&p.crl_file, &mut tls.certificate_revocation_list_file);
    set_opt(
        &p.crl_directory,
        &mut tls.certificate_revocation_list_directory,
    );
    set(
        &p.certificate_verify_level,
        &mut tls.certificate_verify_level,
    );
    set_opt(&p.ssl_server_name, &mut tls.server_name);
    set(&p.ssl_validate_certificates, &mut tls.validate_certificates);
    match role {
        Role::Acceptor => {
            const WHY: &str = "required for acceptors with SocketUseSSL=Y";
            if tls.server_certificate_file.is_none() {
                return Err(missing(line, "ServerCertificateFile", WHY));
            }
            if tls.server_certificate_key_file.is_none() {
                return Err(missing(line, "ServerCertificateKeyFile", WHY));
            }
            if tls.certificate_verify_level != CertificateVerifyLevel::None
                && tls.certification_authorities_file.is_none()
                && tls.certification_authorities_directory.is_none()
            {
                let at = p.certificate_verify_level.as_ref().map_or(line, |a| a.line);
                return Err(missing(
                    at,
                    "CertificationAuthoritiesFile",
                    "required to verify client certificates (CertificateVerifyLevel 1 or 2)",
                ));
            }
        }
        Role::Initiator => {
            match (
                val_at(&p.client_certificate_file),
                val_at(&p.client_certificate_key_file),
            ) {
                (Some((_, at, key)), None) => {
                    return Err(missing(
                        at,
                        "ClientCertificateKeyFile",
                        format!("required with {key}"),
                    ))
                }
                (None, Some((_, at, key))) => {
                    return Err(missing(
                        at,
                        "ClientCertificateFile",
                        format!("required with {key}"),
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(tls)
}
