//! The engine's settings ([`EngineSettings`]) and the per-session choices
//! a session is created with ([`SessionOptions`]).

use crate::refusal::RefusalHook;
use crate::target::HostSelectionPolicy;
use crate::transport::{SocketOptions, TransportFactory};
use fixrs_proto::FixVersion;
use fixrs_session::{SessionDictionary, Store};
use fixrs_store::FileStoreOptions;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The default of MaxOutgoingBytes ([`EngineSettings::max_outgoing_bytes`]):
/// room for thousands of typical messages, small enough that a stuck
/// counterparty costs little memory.
pub const DEFAULT_MAX_OUTGOING_BYTES: usize = 4 << 20;

/// Engine-wide settings: start from [`EngineSettings::default`] and change
/// what you need with the `with_*` methods (or the public fields).
///
/// ```
/// use fixrs_transport_mio::EngineSettings;
/// use std::time::Duration;
/// let settings = EngineSettings::default()
///     .with_logon_timeout(Duration::from_secs(5))
///     .with_thread_name("fix-gateway");
/// assert_eq!(settings.logon_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineSettings {
    /// Options applied to every connected and accepted socket.
    pub socket: SocketOptions,
    /// Bound of a session's outgoing backlog (messages put and not yet
    /// taken by the engine thread, plus bytes not yet written), in bytes,
    /// for sessions that do not set their own
    /// ([`SessionOptions::max_outgoing_bytes`], the MaxOutgoingBytes
    /// setting); over it [`put`](crate::SessionHandle::put) returns
    /// [`PutError::Backpressure`](crate::PutError::Backpressure) and the
    /// engine stops reading from the peer until the backlog drains.
    /// Default: 4 MiB.
    pub max_outgoing_bytes: usize,
    /// Size of the buffer sockets are read into (shared by all sessions).
    pub read_buffer_size: usize,
    /// Most bytes read from one connection before the loop serves others.
    pub read_budget: usize,
    /// How long an accepted connection may take to send its first Logon.
    pub logon_timeout: Duration,
    /// Largest first message (Logon) accepted from an unidentified
    /// connection, in bytes.
    pub max_logon_size: usize,
    /// Most accepted connections waiting for their first Logon at once;
    /// more are closed on arrival.
    pub max_pending_connections: usize,
    /// How long a TCP connect may take before it counts as failed.
    pub connect_timeout: Duration,
    /// How long a link asked to close may take to write its last bytes.
    pub close_timeout: Duration,
    /// How long [`FixEngine::stop`](crate::FixEngine::stop) waits for Logout replies.
    pub stop_timeout: Duration,
    /// Directory of per-session FIX message and event logs (QuickFIX
    /// FileLog layout); `None` for no file log.
    pub file_log_path: Option<PathBuf>,
    /// Directory of per-session file stores (QuickFIX FileStorePath):
    /// sessions created without an explicit store keep their sequence
    /// numbers and outgoing messages there; `None` for memory stores.
    pub file_store_path: Option<PathBuf>,
    /// Options of the file stores opened under `file_store_path`.
    pub file_store_options: FileStoreOptions,
    /// Name of the event loop thread.
    pub thread_name: String,
    /// Called for every accepted connection closed before it reached a
    /// session (unknown CompIDs, duplicate Logon, garbage, TLS failure
    /// ...); `None` to only log them.
    pub on_refused: Option<RefusalHook>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            socket: SocketOptions::default(),
            max_outgoing_bytes: DEFAULT_MAX_OUTGOING_BYTES,
            read_buffer_size: 64 << 10,
            read_budget: 1 << 20,
            logon_timeout: Duration::from_secs(10),
            max_logon_size: 64 << 10,
            max_pending_connections: 4096,
            connect_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            stop_timeout: Duration::from_secs(3),
            file_log_path: None,
            file_store_path: None,
            file_store_options: FileStoreOptions::default(),
            thread_name: "fix-engine".to_string(),
            on_refused: None,
        }
    }
}

impl EngineSettings {
    /// Sets the options applied to every connected and accepted socket.
    pub fn with_socket(mut self, socket: SocketOptions) -> Self {
        self.socket = socket;
        self
    }

    /// Sets the default bound of a session's outgoing backlog.
    pub fn with_max_outgoing_bytes(mut self, bytes: usize) -> Self {
        self.max_outgoing_bytes = bytes;
        self
    }

    /// Sets the size of the buffer sockets are read into.
    pub fn with_read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes;
        self
    }

    /// Sets the most bytes read from one connection before the loop
    /// serves others.
    pub fn with_read_budget(mut self, bytes: usize) -> Self {
        self.read_budget = bytes;
        self
    }

    /// Sets how long an accepted connection may take to send its Logon.
    pub fn with_logon_timeout(mut self, timeout: Duration) -> Self {
        self.logon_timeout = timeout;
        self
    }

    /// Sets the largest first message taken from an unidentified
    /// connection.
    pub fn with_max_logon_size(mut self, bytes: usize) -> Self {
        self.max_logon_size = bytes;
        self
    }

    /// Sets the most accepted connections waiting for their Logon at once.
    pub fn with_max_pending_connections(mut self, connections: usize) -> Self {
        self.max_pending_connections = connections;
        self
    }

    /// Sets how long a TCP connect may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long a link asked to close may take to write its last
    /// bytes.
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets how long stopping the engine waits for Logout replies.
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Writes sessions' FIX logs in `dir`.
    pub fn with_file_log_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_log_path = Some(dir.into());
        self
    }

    /// Keeps sessions' file stores in `dir`.
    pub fn with_file_store_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_store_path = Some(dir.into());
        self
    }

    /// Opens file stores with `options`.
    pub fn with_file_store_options(mut self, options: FileStoreOptions) -> Self {
        self.file_store_options = options;
        self
    }

    /// Names the event loop thread.
    pub fn with_thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = name.into();
        self
    }

    /// Reports every refused connection to `hook`.
    pub fn with_on_refused(mut self, hook: RefusalHook) -> Self {
        self.on_refused = Some(hook);
        self
    }
}

/// Per-session choices beyond the [`SessionConfig`](fixrs_session::SessionConfig), for
/// [`FixEngine::create_session_with`](crate::FixEngine::create_session_with) (initiators and acceptors alike).
///
/// ```no_run
/// use fixrs_proto::dictionary::Dictionary;
/// use fixrs_proto::FixVersion;
/// use fixrs_session::SessionConfig;
/// use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, SessionOptions};
///
/// let engine = FixEngine::new(EngineSettings::default())?;
/// // An acceptor validating incoming messages against FIX 4.4, letting
/// // fields the message type does not define through.
/// let mut config = SessionConfig::acceptor(FixVersion::Fix44, "BROKER", "CLIENT");
/// config.validation.allow_unknown_msg_fields = true;
/// let options = SessionOptions::default().with_dictionary(Dictionary::builtin(FixVersion::Fix44));
/// let (app, events) = ChannelApplication::new();
/// let session = engine.create_session_with(config, options, app)?;
/// # drop((session, events));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
#[non_exhaustive]
pub struct SessionOptions {
    /// The data dictionary incoming messages are validated against (with
    /// the switches of [`SessionConfig::validation`](fixrs_session::SessionConfig::validation)): a built-in one
    /// (`Dictionary::builtin(version).into()`) or one loaded from a file
    /// (`Arc<Dictionary>`, shared between sessions). `None`: messages are
    /// checked by the session layer only (header, sequence numbers,
    /// session messages' own fields).
    pub dictionary: Option<SessionDictionary>,
    /// For FIXT.1.1 sessions: dictionaries of other application versions,
    /// each a FIXT.1.1 transport dictionary combined with that version's
    /// application dictionary, for the messages whose ApplVerID(1128), or
    /// the peer's DefaultApplVerID, names the version (QuickFIX's
    /// AppDataDictionary.`<ApplVerID>`). Needs `dictionary` too.
    pub app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    /// The store; `None` for a [`FileStore`](fixrs_store::FileStore) under
    /// [`EngineSettings::file_store_path`] if set, else a [`MemoryStore`](fixrs_session::MemoryStore).
    pub store: Option<Box<dyn Store + Send>>,
    /// Directory of this session's file log, overriding
    /// [`EngineSettings::file_log_path`].
    pub file_log_path: Option<PathBuf>,
    /// For acceptors: accept this session's Logon only on the listener
    /// bound to this port (QuickFIX's per-session SocketAcceptPort).
    pub accept_port: Option<u16>,
    /// For initiators: the counterparty to connect to with
    /// [`SessionHandle::connect_configured`](crate::SessionHandle::connect_configured) (`host:port`, tried in order).
    pub connect_addresses: Vec<String>,
    /// For initiators: the local address to bind before connecting to each
    /// of `connect_addresses`, by position (QuickFIX's
    /// SocketConnectSourceHost/Port); `None` or missing to let the system
    /// choose.
    pub connect_sources: Vec<Option<SocketAddr>>,
    /// For initiators: which of `connect_addresses` each attempt uses.
    pub host_selection: HostSelectionPolicy,
    /// For acceptors: the only peer addresses whose Logon this session
    /// takes (QuickFIX's AllowedRemoteAddresses); empty for any. A Logon
    /// from another address is refused by closing the connection.
    pub allowed_remote_addresses: Vec<IpAddr>,
    /// For initiators: the factory wrapping connected streams for
    /// `connect_configured` (TLS); `None` for plain TCP.
    pub connect_factory: Option<Arc<dyn TransportFactory>>,
    /// For initiators: socket options overriding
    /// [`EngineSettings::socket`] (acceptors use the engine's, since an
    /// accepted socket's session is known only after its Logon).
    pub socket: Option<SocketOptions>,
    /// Bound of this session's outgoing backlog, overriding
    /// [`EngineSettings::max_outgoing_bytes`].
    pub max_outgoing_bytes: Option<usize>,
}

impl SessionOptions {
    /// Validates incoming messages against `dictionary`.
    pub fn with_dictionary(mut self, dictionary: impl Into<SessionDictionary>) -> Self {
        self.dictionary = Some(dictionary.into());
        self
    }

    /// Adds the dictionary of another application version (FIXT.1.1).
    pub fn with_app_dictionary(
        mut self,
        version: FixVersion,
        dictionary: impl Into<SessionDictionary>,
    ) -> Self {
        self.app_dictionaries.push((version, dictionary.into()));
        self
    }

    /// Keeps the session's sequence numbers and messages in `store`.
    pub fn with_store(mut self, store: impl Store + Send + 'static) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// Keeps the session's sequence numbers and messages in `store`.
    pub fn with_boxed_store(mut self, store: Box<dyn Store + Send>) -> Self {
        self.store = Some(store);
        self
    }

    /// Writes the session's FIX log in `dir`.
    pub fn with_file_log_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_log_path = Some(dir.into());
        self
    }

    /// For acceptors: takes the Logon only on the listener bound to
    /// `port`.
    pub fn with_accept_port(mut self, port: u16) -> Self {
        self.accept_port = Some(port);
        self
    }

    /// For initiators: adds a counterparty address (`host:port`) for
    /// [`SessionHandle::connect_configured`](crate::SessionHandle::connect_configured),
    /// binding `source` first if given.
    pub fn with_connect_address(
        mut self,
        address: impl Into<String>,
        source: Option<SocketAddr>,
    ) -> Self {
        self.connect_addresses.push(address.into());
        self.connect_sources
            .resize(self.connect_addresses.len() - 1, None);
        self.connect_sources.push(source);
        self
    }

    /// For initiators: sets which address each attempt uses.
    pub fn with_host_selection(mut self, policy: HostSelectionPolicy) -> Self {
        self.host_selection = policy;
        self
    }

    /// For acceptors: takes the Logon only from these peer addresses.
    pub fn with_allowed_remote_addresses(mut self, addresses: Vec<IpAddr>) -> Self {
        self.allowed_remote_addresses = addresses;
        self
    }

    /// For initiators: wraps connected streams with `factory` (TLS).
    pub fn with_connect_factory(mut self, factory: Arc<dyn TransportFactory>) -> Self {
        self.connect_factory = Some(factory);
        self
    }

    /// For initiators: socket options overriding the engine's.
    pub fn with_socket(mut self, socket: SocketOptions) -> Self {
        self.socket = Some(socket);
        self
    }

    /// Bounds the session's outgoing backlog to `bytes`.
    pub fn with_max_outgoing_bytes(mut self, bytes: usize) -> Self {
        self.max_outgoing_bytes = Some(bytes);
        self
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("dictionary", &self.dictionary.as_ref().map(|d| d.name()))
            .field(
                "app_dictionaries",
                &self
                    .app_dictionaries
                    .iter()
                    .map(|(v, _)| v.name())
                    .collect::<Vec<_>>(),
            )
            .field("store", &self.store.as_ref().map(|_| "custom"))
            .field("file_log_path", &self.file_log_path)
            .field("accept_port", &self.accept_port)
            .field("connect_addresses", &self.connect_addresses)
            .field("connect_sources", &self.connect_sources)
            .field("host_selection", &self.host_selection)
            .field("allowed_remote_addresses", &self.allowed_remote_addresses)
            .field("socket", &self.socket)
            .field("max_outgoing_bytes", &self.max_outgoing_bytes)
            .finish()
    }
}

/// How sessions created from an acceptor template are kept, for
/// [`FixEngine::add_acceptor_template`](crate::FixEngine::add_acceptor_template):
/// each gets a store and a FIX log of its own, named by its identity.
///
/// ```
/// use fixrs_transport_mio::TemplateOptions;
/// let options = TemplateOptions::default()
///     .with_file_store_path("/var/lib/fix/dynamic")
///     .with_file_log_path("/var/log/fix/dynamic");
/// # drop(options);
/// ```
#[derive(Default)]
#[non_exhaustive]
pub struct TemplateOptions {
    /// The data dictionary incoming messages are validated against, as
    /// [`SessionOptions::dictionary`].
    pub dictionary: Option<SessionDictionary>,
    /// Dictionaries of other application versions (FIXT.1.1), as
    /// [`SessionOptions::app_dictionaries`].
    pub app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    /// Directory of the sessions' file stores; `None` for
    /// [`EngineSettings::file_store_path`] if set, else memory stores.
    pub file_store_path: Option<PathBuf>,
    /// Options of those file stores; `None` for
    /// [`EngineSettings::file_store_options`].
    pub file_store_options: Option<FileStoreOptions>,
    /// Directory of the sessions' file logs; `None` for
    /// [`EngineSettings::file_log_path`].
    pub file_log_path: Option<PathBuf>,
    /// Bound of each session's outgoing backlog; `None` for
    /// [`EngineSettings::max_outgoing_bytes`].
    pub max_outgoing_bytes: Option<usize>,
}

impl TemplateOptions {
    /// Validates incoming messages against `dictionary`.
    pub fn with_dictionary(mut self, dictionary: impl Into<SessionDictionary>) -> Self {
        self.dictionary = Some(dictionary.into());
        self
    }

    /// Adds the dictionary of another application version (FIXT.1.1).
    pub fn with_app_dictionary(
        mut self,
        version: FixVersion,
        dictionary: impl Into<SessionDictionary>,
    ) -> Self {
        self.app_dictionaries.push((version, dictionary.into()));
        self
    }

    /// Keeps each session's file store in `dir`.
    pub fn with_file_store_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_store_path = Some(dir.into());
        self
    }

    /// Opens those file stores with `options`.
    pub fn with_file_store_options(mut self, options: FileStoreOptions) -> Self {
        self.file_store_options = Some(options);
        self
    }

    /// Writes each session's FIX log in `dir`.
    pub fn with_file_log_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_log_path = Some(dir.into());
        self
    }

    /// Bounds each session's outgoing backlog to `bytes`.
    pub fn with_max_outgoing_bytes(mut self, bytes: usize) -> Self {
        self.max_outgoing_bytes = Some(bytes);
        self
    }
}

impl std::fmt::Debug for TemplateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateOptions")
            .field("dictionary", &self.dictionary.as_ref().map(|d| d.name()))
            .field("file_store_path", &self.file_store_path)
            .field("file_store_options", &self.file_store_options)
            .field("file_log_path", &self.file_log_path)
            .field("max_outgoing_bytes", &self.max_outgoing_bytes)
            .finish()
    }
}
