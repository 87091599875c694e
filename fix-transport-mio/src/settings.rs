//! The engine's keys of a settings file (where and how a session
//! connects or listens, its sockets, its FIX message logs), declared in
//! [`KEYS`], and the sessions of a file as the engine runs them
//! ([`SessionSettings`], read with [`read_settings`], started with
//! [`FixEngine::start_from_settings`]).
//!
//! The file format, and the session layer's keys, are
//! `fixrs_session::settings`'; the store's keys `fixrs_store::settings`';
//! the TLS keys `fixrs-transport-tls`'. The engine reads the first three
//! layers ([`ALL_KEYS`]): a file whose sessions use TLS goes through
//! `fixrs_transport_tls::start_from_settings`, which reads all four.
//!
//! ```no_run
//! use fixrs_session::Settings;
//! use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine};
//!
//! let settings = Settings::parse(&std::fs::read_to_string("acceptor.cfg")?)?;
//! let engine = FixEngine::new(EngineSettings::default())?;
//! let (app, events) = ChannelApplication::new();
//! // Checks every key, loads the data dictionaries, opens the stores,
//! // listens and creates the sessions.
//! let sessions = engine.start_from_settings(&settings, |_| app.clone())?;
//! # drop((sessions, events));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Keys of the engine
//!
#![doc = include_str!("settings/reference.md")]

use crate::app::Application;
use crate::engine::{resolve_one, FixEngine};
use crate::error::EngineError;
use crate::handle::SessionHandle;
use crate::options::{SessionOptions, TemplateOptions};
use crate::transport::{PlainTcp, SocketOptions, TransportFactory};
use fixrs_proto::FixVersion;
use fixrs_session::settings::{
    DictionaryLoader, DictionarySettings, KeyTable, Located, Section, Settings, SettingsError,
    SettingsWarning,
};
use fixrs_session::{AcceptRules, AcceptorTemplate, Role, SessionConfig, SessionDictionary, Store};
use fixrs_store::settings::StoreSettings;
use fixrs_store::FileStore;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod keys;
#[cfg(test)]
mod tests;

pub use keys::KEYS;
// The key statics this module reads.
use keys::*;

/// Every key the engine reads from a settings file: the session layer's,
/// the file store's and its own.
pub static ALL_KEYS: &[&KeyTable] = &[
    fixrs_session::settings::KEYS,
    fixrs_store::settings::KEYS,
    KEYS,
];

pub use crate::options::DEFAULT_MAX_OUTGOING_BYTES;
pub use crate::target::HostSelectionPolicy;

/// How long a connection with SocketKeepAlive=Y may be quiet before the
/// first keep-alive probe.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);

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

/// Everything a settings file says about one session that the engine acts
/// on: the session layer's configuration and dictionaries, the store's
/// settings, and the engine's own (endpoint, sockets, logs). The raw
/// [`section`](SessionSettings::section) stays with it for the layers
/// above the engine (TLS) to read their keys from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionSettings {
    /// The line of the session's `[SESSION]` header.
    pub line: usize,
    /// The state machine's configuration (ConnectionType gives its role).
    pub config: SessionConfig,
    /// Data dictionary files.
    pub dictionaries: DictionarySettings,
    /// The dictionary incoming messages are validated against, once
    /// loaded ([`load_dictionaries`](SessionSettings::load_dictionaries),
    /// or by the engine when it creates the session); `None` before that,
    /// and with UseDataDictionary=N.
    pub dictionary: Option<SessionDictionary>,
    /// For FIXT.1.1: the dictionaries of other application versions
    /// (AppDataDictionary.`<ApplVerID>`, each combined with the transport
    /// dictionary), loaded with `dictionary`.
    pub app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    /// Message store settings.
    pub store: StoreSettings,
    /// Where to connect or listen.
    pub endpoint: Endpoint,
    /// How an initiator connects (source addresses, host selection).
    pub connect: ConnectSettings,
    /// For acceptors: the only IP addresses connections are taken from
    /// (AllowedRemoteAddresses); empty for any.
    pub allowed_remote_addresses: Vec<IpAddr>,
    /// Socket options (SocketNodelay, SocketSendBufferSize,
    /// SocketReceiveBufferSize, SocketKeepAlive, SocketReuseAddress).
    pub socket: SocketOptions,
    /// Most bytes of outgoing messages held for a counterparty that reads
    /// slowly (MaxOutgoingBytes): put and not yet written.
    pub max_outgoing_bytes: usize,
    /// Directory of the message logs (FileLogPath); `None` for no file log.
    pub file_log_path: Option<PathBuf>,
    /// Whether the session's connections use TLS (SocketUseSSL).
    pub use_tls: bool,
    /// Whether the section is an acceptor template (AcceptorTemplate=Y):
    /// sessions are created from it on their first Logon, see
    /// [`FixEngine::add_acceptor_template`].
    pub acceptor_template: bool,
    /// The session's section of the file, for the layers above.
    pub section: Section,
}

impl SessionSettings {
    /// Reads the store's and the engine's keys of one session whose
    /// configuration the session layer read.
    pub fn read(
        section: &Section,
        config: SessionConfig,
    ) -> Result<SessionSettings, SettingsError> {
        let dictionaries = DictionarySettings::from_settings(section, &config)?;
        let store = StoreSettings::from_settings(section)?;
        let (endpoint, connect) = read_endpoint(section, config.role)?;
        let socket = SocketOptions {
            tcp_nodelay: section.get(&SOCKET_NODELAY)?.unwrap_or(true),
            send_buffer_size: section.get(&SOCKET_SEND_BUFFER_SIZE)?.filter(|n| *n > 0),
            recv_buffer_size: section.get(&SOCKET_RECEIVE_BUFFER_SIZE)?.filter(|n| *n > 0),
            keepalive: section
                .get(&SOCKET_KEEP_ALIVE)?
                .unwrap_or(false)
                .then_some(KEEPALIVE_IDLE),
            reuse_address: section.get(&SOCKET_REUSE_ADDRESS)?.unwrap_or(true),
        };
        let acceptor_template = read_acceptor_template(section, config.role)?;
        Ok(SessionSettings {
            line: section.line(),
            config,
            dictionaries,
            dictionary: None,
            app_dictionaries: Vec::new(),
            store,
            endpoint,
            connect,
            allowed_remote_addresses: section.get(&ALLOWED_REMOTE_ADDRESSES)?.unwrap_or_default(),
            socket,
            max_outgoing_bytes: section
                .get(&MAX_OUTGOING_BYTES)?
                .unwrap_or(DEFAULT_MAX_OUTGOING_BYTES),
            file_log_path: section.get(&FILE_LOG_PATH)?,
            use_tls: section.get(&SOCKET_USE_SSL)?.unwrap_or(false),
            acceptor_template,
            section: section.clone(),
        })
    }

    /// Every session of a file, in file order, whose keys the caller
    /// checked (see [`read_settings`]).
    pub fn read_all(settings: &Settings) -> Result<Vec<SessionSettings>, SettingsError> {
        settings
            .sessions
            .iter()
            .zip(settings.session_configs()?)
            .map(|(section, config)| SessionSettings::read(section, config))
            .collect()
    }

    /// Loads the session's data dictionaries into `dictionary` and
    /// `app_dictionaries` with `loader`, which reads each file once (with
    /// `read`) and shares it between the sessions that name it. Does
    /// nothing if they are loaded already.
    pub fn load_dictionaries(
        &mut self,
        loader: &mut DictionaryLoader,
        read: &mut impl FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<(), SettingsError> {
        if self.dictionary.is_some() {
            return Ok(());
        }
        self.dictionary = loader.load(&self.config, &self.dictionaries, read)?;
        self.app_dictionaries =
            loader.load_by_appl_ver_id(&self.config, &self.dictionaries, read)?;
        Ok(())
    }
}

/// Reads every session of a settings file as the engine runs it, after
/// checking that each key of the file is one of [`ALL_KEYS`].
pub fn read_settings(settings: &Settings) -> Result<Vec<SessionSettings>, SettingsError> {
    settings.check_keys(ALL_KEYS)?;
    SessionSettings::read_all(settings)
}

/// What a program should show of a settings file: its QuickFIX keys
/// without effect, then the dictionary keys its sessions do not read,
/// once per key.
pub fn warnings(settings: &Settings, sessions: &[SessionSettings]) -> Vec<SettingsWarning> {
    let mut all = settings.warnings.clone();
    for w in sessions.iter().filter_map(|s| s.dictionaries.unused_key()) {
        if !all.iter().any(|seen| seen.key == w.key) {
            all.push(w.clone());
        }
    }
    all
}

fn missing(line: usize, key: &str, why: String) -> SettingsError {
    SettingsError::MissingKey {
        line,
        key: key.to_string(),
        why,
    }
}

/// AcceptorTemplate, refused for initiators.
fn read_acceptor_template(s: &Section, role: Role) -> Result<bool, SettingsError> {
    match s.get_at(&ACCEPTOR_TEMPLATE)? {
        Some(t) if t.value && role == Role::Initiator => Err(SettingsError::Inconsistent {
            line: t.line,
            key: t.key,
            reason: "only acceptors have templates (ConnectionType=acceptor)".to_string(),
        }),
        Some(t) => Ok(t.value),
        None => Ok(false),
    }
}

fn read_endpoint(s: &Section, role: Role) -> Result<(Endpoint, ConnectSettings), SettingsError> {
    match role {
        Role::Acceptor => {
            let port = s.require(&SOCKET_ACCEPT_PORT, "required for acceptors")?;
            let host = s
                .get(&SOCKET_ACCEPT_HOST)?
                .unwrap_or_else(|| "0.0.0.0".to_string());
            Ok((
                Endpoint::Accept(HostPort { host, port }),
                ConnectSettings::default(),
            ))
        }
        Role::Initiator => {
            let host = s.require(&SOCKET_CONNECT_HOST, "required for initiators")?;
            let port = s.require(&SOCKET_CONNECT_PORT, "required for initiators")?;
            let mut addresses = vec![HostPort { host, port }];
            let mut sources = vec![source_address(
                s.get(&SOCKET_CONNECT_SOURCE_HOST)?,
                s.get(&SOCKET_CONNECT_SOURCE_PORT)?,
            )];
            let mut hosts = s.family(&SOCKET_CONNECT_HOST_N)?;
            let mut ports = s.family(&SOCKET_CONNECT_PORT_N)?;
            let mut source_hosts = s.family(&SOCKET_CONNECT_SOURCE_HOST_N)?;
            let mut source_ports = s.family(&SOCKET_CONNECT_SOURCE_PORT_N)?;
            let numbers: BTreeMap<u32, ()> = hosts
                .keys()
                .chain(ports.keys())
                .chain(source_hosts.keys())
                .chain(source_ports.keys())
                .map(|n| (*n, ()))
                .collect();
            for n in numbers.into_keys() {
                let source_host = source_hosts.remove(&n);
                let source_port = source_ports.remove(&n);
                match (hosts.remove(&n), ports.remove(&n)) {
                    (Some(host), Some(port)) => {
                        addresses.push(HostPort {
                            host: host.value,
                            port: port.value,
                        });
                        sources.push(source_address(
                            source_host.map(|at| at.value),
                            source_port.map(|at| at.value),
                        ));
                    }
                    (Some(host), None) => {
                        return Err(missing(
                            host.line,
                            &format!("SocketConnectPort{n}"),
                            format!("required with {}", host.key),
                        ))
                    }
                    (None, Some(port)) => {
                        return Err(missing(
                            port.line,
                            &format!("SocketConnectHost{n}"),
                            format!("required with {}", port.key),
                        ))
                    }
                    (None, None) => {
                        let source = source_host
                            .as_ref()
                            .map(place)
                            .or(source_port.as_ref().map(place));
                        if let Some((line, key)) = source {
                            return Err(missing(
                                line,
                                &format!("SocketConnectHost{n}"),
                                format!("required with {key}"),
                            ));
                        }
                    }
                }
            }
            let mut host_selection = s.get(&HOST_SELECTION_POLICY)?.unwrap_or_default();
            if let (HostSelectionPolicy::Priority { start_over }, Some(interval)) =
                (&mut host_selection, s.get(&HOST_SELECTION_START_OVER)?)
            {
                *start_over = interval;
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

/// The line and key of a value read.
fn place<T>(at: &Located<T>) -> (usize, String) {
    (at.line, at.key.clone())
}

/// The local address of SocketConnectSourceHost`<n>` /
/// SocketConnectSourcePort`<n>`, if either is set.
fn source_address(host: Option<String>, port: Option<u16>) -> Option<SourceAddress> {
    (host.is_some() || port.is_some()).then(|| SourceAddress {
        host,
        port: port.unwrap_or(0),
    })
}

impl FixEngine {
    /// Creates a session from its settings: its data dictionary (the one
    /// [`SessionSettings::load_dictionaries`] loaded, else loaded here,
    /// each file once per engine), its store (FileStorePath,
    /// FileStoreSync, FileStoreMaxMessages), FileLogPath, MaxOutgoingBytes,
    /// socket options and endpoint. An acceptor's
    /// SocketAcceptHost/SocketAcceptPort is listened on (once per address
    /// for all sessions) and the session takes Logons only there; an
    /// initiator's SocketConnectHost/Port (and alternates) are used by
    /// [`SessionHandle::connect_configured`], which starts it.
    ///
    /// Sessions with SocketUseSSL=Y need a TLS transport factory: use
    /// `fixrs_transport_tls::create_from_settings`.
    pub fn create_from_settings(
        &self,
        settings: &SessionSettings,
        app: impl Application,
    ) -> Result<SessionHandle, EngineError> {
        self.not_on_loop_thread("create_from_settings")?;
        if settings.use_tls {
            return Err(needs_tls());
        }
        self.create_from_settings_with(settings, Arc::new(PlainTcp), app)
    }

    /// [`create_from_settings`](FixEngine::create_from_settings) with a
    /// factory wrapping the session's connections (an initiator's
    /// connects, or the acceptor's listener).
    pub fn create_from_settings_with(
        &self,
        settings: &SessionSettings,
        factory: Arc<dyn TransportFactory>,
        app: impl Application,
    ) -> Result<SessionHandle, EngineError> {
        if settings.acceptor_template {
            return Err(EngineError::Setting {
                name: "AcceptorTemplate".into(),
                reason: "a template is not a session: add it with start_one_from_settings or add_template_from_settings_with".into(),
            });
        }
        let utc = crate::command::clock().utc;
        let config = settings.config.clone();
        let mut loaded = settings.clone();
        self.load_dictionaries(&mut loaded)?;
        let store: Option<Box<dyn Store + Send>> = match &settings.store.file_store_path {
            Some(dir) => {
                let options = settings.store.options(self.settings().file_store_options);
                let store =
                    FileStore::open(dir, &config.key(), options, utc).map_err(|e| match e {
                        // A path that cannot be used: name the settings key.
                        fixrs_store::FileStoreError::Io { .. } => EngineError::Setting {
                            name: "FileStorePath".into(),
                            reason: e.to_string(),
                        },
                        e => e.into(),
                    })?;
                Some(Box::new(store))
            }
            None => None,
        };
        let mut options = SessionOptions {
            dictionary: loaded.dictionary,
            app_dictionaries: loaded.app_dictionaries,
            store,
            file_log_path: settings.file_log_path.clone(),
            socket: Some(settings.socket),
            max_outgoing_bytes: Some(settings.max_outgoing_bytes),
            ..SessionOptions::default()
        };
        match (&settings.endpoint, config.role) {
            (Endpoint::Connect(addrs), Role::Initiator) => {
                options.connect_addresses = addrs.iter().map(|a| a.to_string()).collect();
                options.connect_sources = settings
                    .connect
                    .source_addresses
                    .iter()
                    .map(|s| s.as_ref().map(|s| resolve_one(&s.to_string())).transpose())
                    .collect::<Result<_, _>>()?;
                options.host_selection = settings.connect.host_selection;
                options.connect_factory = Some(factory);
            }
            (Endpoint::Accept(at), Role::Acceptor) => {
                let addr = resolve_one(&at.to_string())?;
                let bound = self.listen_shared(addr, factory, settings.socket.reuse_address)?;
                options.accept_port = Some(bound.port());
                options.allowed_remote_addresses = settings.allowed_remote_addresses.clone();
            }
            _ => {
                return Err(EngineError::Setting {
                    name: "ConnectionType".into(),
                    reason: "endpoint does not match the session's role".into(),
                })
            }
        }
        self.create_session_with(config, options, app)
            .map_err(|e| match e {
                // Name the settings key, as for any other bad setting.
                EngineError::FileLog { .. } => EngineError::Setting {
                    name: "FileLogPath".into(),
                    reason: e.to_string(),
                },
                e => e,
            })
    }

    /// Creates every session of a settings file with applications from
    /// `make_app`, and starts the initiators (as QuickFIX's
    /// `SocketInitiator::start` and `SocketAcceptor::start` do). Every key
    /// of the file must be one the engine reads ([`ALL_KEYS`]); a session
    /// with SocketUseSSL=Y needs `fixrs_transport_tls::start_from_settings`
    /// instead. Every data dictionary is loaded before any session is
    /// created, so a bad file leaves the engine untouched. The file's
    /// warnings (QuickFIX keys without effect here) are logged.
    pub fn start_from_settings<A: Application>(
        &self,
        settings: &Settings,
        mut make_app: impl FnMut(&SessionSettings) -> A,
    ) -> Result<Vec<SessionHandle>, EngineError> {
        // Said before the check of the keys would call the TLS keys
        // unknown.
        for section in &settings.sessions {
            if section.get(&SOCKET_USE_SSL)? == Some(true) {
                return Err(needs_tls());
            }
        }
        let mut sessions = read_settings(settings)?;
        for warning in warnings(settings, &sessions) {
            log::warn!("settings: {warning}");
        }
        for s in &mut sessions {
            self.load_dictionaries(s)?;
        }
        let mut handles = Vec::with_capacity(sessions.len());
        for s in &sessions {
            if let Some(h) = self.start_one_from_settings(s, Arc::new(PlainTcp), make_app(s))? {
                handles.push(h);
            }
        }
        Ok(handles)
    }

    /// Starts one session of a settings file, as
    /// [`start_from_settings`](FixEngine::start_from_settings) does for
    /// each: an initiator is created and connects, an acceptor is created
    /// and its address listened on, and a template (AcceptorTemplate=Y) is
    /// added with [`add_template_from_settings_with`](FixEngine::add_template_from_settings_with),
    /// which makes no session yet (`None`).
    pub fn start_one_from_settings(
        &self,
        settings: &SessionSettings,
        factory: Arc<dyn TransportFactory>,
        app: impl Application,
    ) -> Result<Option<SessionHandle>, EngineError> {
        if settings.acceptor_template {
            self.add_template_from_settings_with(settings, factory, app)?;
            return Ok(None);
        }
        let h = self.create_from_settings_with(settings, factory, app)?;
        if settings.config.role == Role::Initiator {
            h.connect_configured()?;
        }
        Ok(Some(h))
    }

    /// Adds an acceptor template read from a settings file
    /// (AcceptorTemplate=Y, see [`add_acceptor_template`](FixEngine::add_acceptor_template)):
    /// SocketAcceptHost/SocketAcceptPort is listened on (shared with the
    /// file's other acceptors) and the template takes Logons only there,
    /// from AllowedRemoteAddresses if set; the sessions it creates get its
    /// dictionaries, file store (FileStorePath and the store's options),
    /// FileLogPath and MaxOutgoingBytes. `app` serves all of them.
    pub fn add_template_from_settings_with(
        &self,
        settings: &SessionSettings,
        factory: Arc<dyn TransportFactory>,
        app: impl Application,
    ) -> Result<(), EngineError> {
        let Endpoint::Accept(at) = &settings.endpoint else {
            return Err(EngineError::Setting {
                name: "AcceptorTemplate".into(),
                reason: "only acceptors have templates (ConnectionType=acceptor)".into(),
            });
        };
        let mut loaded = settings.clone();
        self.load_dictionaries(&mut loaded)?;
        let addr = resolve_one(&at.to_string())?;
        let bound = self.listen_shared(addr, factory, settings.socket.reuse_address)?;
        let rules = AcceptRules::default()
            .with_port(bound.port())
            .with_allowed_remote_addresses(settings.allowed_remote_addresses.clone());
        let template = AcceptorTemplate::new(settings.config.clone()).with_rules(rules);
        let mut options = TemplateOptions::default()
            .with_file_store_options(settings.store.options(self.settings().file_store_options))
            .with_max_outgoing_bytes(settings.max_outgoing_bytes);
        options.dictionary = loaded.dictionary;
        options.app_dictionaries = loaded.app_dictionaries;
        options.file_store_path = settings.store.file_store_path.clone();
        options.file_log_path = settings.file_log_path.clone();
        self.add_acceptor_template(template, options, app)
    }

    /// Loads the data dictionaries of a session into its `dictionary` and
    /// `app_dictionaries`, unless they are loaded already: each file once
    /// per engine, shared between its sessions.
    pub fn load_dictionaries(&self, settings: &mut SessionSettings) -> Result<(), EngineError> {
        let mut loader = self.dictionaries.lock().map_err(|_| EngineError::Stopped)?;
        settings.load_dictionaries(&mut loader, &mut |path| std::fs::read_to_string(path))?;
        Ok(())
    }
}

fn needs_tls() -> EngineError {
    EngineError::Setting {
        name: "SocketUseSSL".into(),
        reason:
            "TLS sessions need a TLS transport factory (fixrs_transport_tls::start_from_settings)"
                .into(),
    }
}
