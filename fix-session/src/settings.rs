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
use crate::schedule::{Recurrence, Schedule, TimeOfDay, TimeZone, Weekday, Weekdays};
use fixrs_proto::tag;
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{FixVersion, Tag};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
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
}

impl Settings {
    /// Parses a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse_with(text, &ParseOptions::default())
    }

    /// Parses a settings file's text with options.
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Settings, SettingsError> {
        let sections = read_sections(text)?;
        let empty = Partial::default();
        let defaults = sections
            .iter()
            .find(|s| s.kind == SectionKind::Default)
            .map_or(&empty, |s| &s.partial);
        let mut sessions: Vec<SessionSettings> = Vec::new();
        for section in sections.iter().filter(|s| s.kind == SectionKind::Session) {
            let merged = section.partial.clone().overlay(defaults);
            let session = build_session(section.line, &merged, options)?;
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
        Ok(Settings { sessions })
    }

    /// The settings of the session with this identity.
    pub fn session(&self, key: &SessionKey) -> Option<&SessionSettings> {
        self.sessions.iter().find(|s| &s.config.key() == key)
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
    /// TLS settings, present when SocketUseSSL=Y.
    pub tls: Option<TlsSettings>,
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
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            nodelay: true,
            send_buffer_size: None,
            receive_buffer_size: None,
            keep_alive: false,
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
        "Largest incoming message accepted, in bytes.";
    "ValidateLengthAndChecksum", VALIDATION, "Y", "ValidateLengthAndChecksum=N",
        "Verify BodyLength(9) and CheckSum(10) of incoming messages.";
    "UseDataDictionary", VALIDATION, "Y", "UseDataDictionary=N",
        "Validate incoming messages against the data dictionary.";
    "ValidateFieldsOutOfOrder", VALIDATION, "Y", "ValidateFieldsOutOfOrder=N",
        "Reject header, body or trailer fields out of place, and group fields out of order.";
    "ValidateFieldsHaveValues", VALIDATION, "Y", "ValidateFieldsHaveValues=N",
        "Reject fields without a value.";
    "ValidateUserDefinedFields", VALIDATION, "Y", "ValidateUserDefinedFields=N",
        "Check user-defined fields (tags 5000 and above) against the dictionary.";
    "AllowUnknownMsgFields", VALIDATION, "N", "AllowUnknownMsgFields=Y",
        "Let fields not defined for the message type through to the application.";
    "RejectUnknownMsgTypes", VALIDATION, "N", "RejectUnknownMsgTypes=Y",
        "Without a dictionary, answer MsgTypes the FIX standard does not define with Reject 373=11 (user-defined U... types pass).";
    "SupportedMsgTypes", VALIDATION, "every MsgType", "SupportedMsgTypes=D,F,G",
        "Application MsgTypes the application handles, comma separated; other valid ones get BusinessMessageReject 380=3.";
    "TimestampPrecision", VALIDATION, "3", "TimestampPrecision=6",
        "Fractional digits of SendingTime(52) and other timestamps written: 0, 3, 6 or 9.";
    "MillisecondsInTimeStamp", VALIDATION, "Y", "MillisecondsInTimeStamp=N",
        "QuickFIX's older name: Y is TimestampPrecision=3, N is TimestampPrecision=0.";
    "DataDictionary", DICTIONARIES, "none", "DataDictionary=spec/FIX44.xml",
        "QuickFIX XML dictionary of a FIX 4.x session.";
    "TransportDataDictionary", DICTIONARIES, "none", "TransportDataDictionary=spec/FIXT11.xml",
        "Session-layer dictionary of a FIXT.1.1 session.";
    "AppDataDictionary", DICTIONARIES, "none", "AppDataDictionary=spec/FIX50SP2.xml",
        "Application dictionary of a FIXT.1.1 session.";
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
    "SocketConnectHost", CONNECTION, "required for initiators", "SocketConnectHost=127.0.0.1",
        "Host an initiator connects to.";
    "SocketConnectPort", CONNECTION, "required for initiators", "SocketConnectPort=9876",
        "Port an initiator connects to.";
    "SocketConnectHost<n>", CONNECTION, "none", "SocketConnectHost1=backup.example.com",
        "Alternate host number `<n>` (1, 2, ...), tried after the primary in number order on reconnects; needs SocketConnectPort`<n>`.";
    "SocketConnectPort<n>", CONNECTION, "none", "SocketConnectPort1=9876",
        "Port of alternate `<n>`; needs SocketConnectHost`<n>`.";
    "SocketAcceptHost", CONNECTION, "0.0.0.0", "SocketAcceptHost=127.0.0.1",
        "Address an acceptor listens on.";
    "SocketAcceptPort", CONNECTION, "required for acceptors", "SocketAcceptPort=9876",
        "Port an acceptor listens on; 0 lets the system choose.";
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
    "CertificateVerifyLevel", TLS, "0", "CertificateVerifyLevel=1",
        "How an acceptor checks client certificates: 0 asks for none, 1 requires one, 2 verifies one if sent. 1 and 2 need CertificationAuthoritiesFile.";
    "SSLServerName", TLS, "the connect host", "SSLServerName=fix.example.com",
        "Name an initiator sends as SNI and checks the server certificate against.";
    "SSLValidateCertificates", TLS, "Y", "SSLValidateCertificates=Y",
        "Whether an initiator verifies the server certificate (N only for tests).";
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

fn read_sections(text: &str) -> Result<Vec<Section>, SettingsError> {
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
        let entry = Entry {
            line,
            key,
            value: value.trim(),
        };
        section.partial.apply(&entry)?;
    }
    Ok(sections)
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
}

macro_rules! partial {
    ($($field:ident: $ty:ty,)*) => {
        /// The settings of one section, typed but not yet merged or checked.
        #[derive(Debug, Clone, Default)]
        struct Partial {
            $($field: Slot<$ty>,)*
            alternates: BTreeMap<u32, Alternate>,
            logon_fields: BTreeMap<Tag, At<String>>,
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
                }
                for (tag, field) in &defaults.logon_fields {
                    self.logon_fields.entry(*tag).or_insert_with(|| field.clone());
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
    socket_connect_host: String,
    socket_connect_port: u16,
    socket_accept_host: String,
    socket_accept_port: u16,
    socket_nodelay: bool,
    socket_send_buffer_size: usize,
    socket_receive_buffer_size: usize,
    socket_keep_alive: bool,
    reconnect_interval: Duration,
    reconnect_max_tries: i32,
    file_store_path: PathBuf,
    file_store_sync: StoreSync,
    file_store_max_messages: u64,
    file_log_path: PathBuf,
    socket_use_ssl: bool,
    ssl_protocol: TlsProtocols,
    ssl_cipher_suite: Vec<String>,
    server_certificate_file: PathBuf,
    server_certificate_key_file: PathBuf,
    client_certificate_file: PathBuf,
    client_certificate_key_file: PathBuf,
    certification_authorities_file: PathBuf,
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
            "EnableNextExpectedMsgSeqNum" => put(
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
    let v = &mut config.validation;
    set(&p.use_data_dictionary, &mut v.use_data_dictionary);
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
        &p.reject_unknown_msg_types,
        &mut config.reject_unknown_msg_types,
    );
    if let Some(types) = val(&p.supported_msg_types) {
        config.supported_msg_types = Some(types.clone());
    }
    config.schedule = build_schedule(p, options)?;

    let endpoint = build_endpoint(line, role, p)?;
    let mut socket = SocketOptions::default();
    set(&p.socket_nodelay, &mut socket.nodelay);
    set(&p.socket_keep_alive, &mut socket.keep_alive);
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
        tls,
    })
}

fn build_endpoint(line: usize, role: Role, p: &Partial) -> Result<Endpoint, SettingsError> {
    match role {
        Role::Acceptor => {
            let port = *val(&p.socket_accept_port)
                .ok_or_else(|| missing(line, "SocketAcceptPort", "required for acceptors"))?;
            let host = val(&p.socket_accept_host)
                .cloned()
                .unwrap_or_else(|| "0.0.0.0".to_string());
            Ok(Endpoint::Accept(HostPort { host, port }))
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
            for (n, alt) in &p.alternates {
                match (val_at(&alt.host), val_at(&alt.port)) {
                    (Some((host, _, _)), Some((port, _, _))) => addresses.push(HostPort {
                        host: host.clone(),
                        port: *port,
                    }),
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
                    (None, None) => {}
                }
            }
            Ok(Endpoint::Connect(addresses))
        }
    }
}

fn build_schedule(p: &Partial, options: &ParseOptions) -> Result<Option<Schedule>, SettingsError> {
    if val(&p.non_stop_session).copied().unwrap_or(false) {
        return Ok(None);
    }
    let (start, end) = match (val_at(&p.start_time), val_at(&p.end_time)) {
        (Some(start), Some(end)) => (start, end),
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
            return Ok(None);
        }
    };
    let ((start_time, start_zone), _, _) = start;
    let ((end_time, end_zone), end_line, end_key) = end;

    let zone = match (*start_zone, *end_zone) {
        (Some(a), Some(b)) if a != b => {
            return Err(SettingsError::Inconsistent {
                line: end_line,
                key: end_key.to_string(),
                reason: format!("time zone {b} differs from StartTime's {a}"),
            })
        }
        (a, b) => a.or(b),
    };
    let use_local = val_at(&p.use_local_time).filter(|(v, _, _)| **v);
    let zone = match (zone, val(&p.time_zone), use_local) {
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
    let schedule = match recurrence {
        Recurrence::Daily(days) => Schedule::daily_on(days, *start_time, *end_time),
        Recurrence::Weekly { start_day, end_day } => {
            Schedule::weekly(start_day, *start_time, end_day, *end_time)
        }
    };
    Ok(Some(schedule.in_time_zone(zone)))
}

fn build_tls(line: usize, role: Role, p: &Partial) -> Result<TlsSettings, SettingsError> {
    let mut tls = TlsSettings {
        validate_certificates: true,
        ..TlsSettings::default()
    };
    set(&p.ssl_protocol, &mut tls.protocols);
    set(&p.ssl_cipher_suite, &mut tls.cipher_suites);
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
