//! How a session runs: its store, dictionaries, log, link and bounds.

use crate::connect::ConnectFn;
use crate::link::{BoxStream, LinkStream};
use fixrs_proto::FixVersion;
use fixrs_session::{SessionDictionary, Store};
use fixrs_store::FileStoreOptions;
use fixrs_transport_mio::SocketOptions;
use fixrs_transport_tls::TlsClientConfig;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The default bound of messages handed to a session and not yet taken by
/// its task ([`SessionOptions::with_queue_capacity`]).
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// The default bound of events waiting in a session's
/// [`SessionEvents`](crate::SessionEvents) stream
/// ([`SessionOptions::with_event_capacity`]).
pub const DEFAULT_EVENT_CAPACITY: usize = 1024;

/// The data dictionaries a session validates incoming messages against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dictionaries {
    pub(crate) dictionary: Option<SessionDictionary>,
    pub(crate) app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
}

/// Where a session keeps its sequence numbers and sent messages.
pub(crate) enum StoreChoice {
    /// A memory store.
    Memory,
    /// The given store.
    Given(Box<dyn Store + Send>),
    /// A file store in this directory, named after the session.
    File(PathBuf, FileStoreOptions),
}

/// Everything about a session beyond its [`SessionConfig`](fixrs_session::SessionConfig):
/// store, dictionaries, message log, where an initiator connects, TLS,
/// sockets and bounds. Start from [`SessionOptions::new`] and set what
/// differs with the `with_*` methods.
#[non_exhaustive]
pub struct SessionOptions {
    pub(crate) store: StoreChoice,
    pub(crate) dictionaries: Dictionaries,
    pub(crate) file_log_path: Option<PathBuf>,
    pub(crate) connect_addresses: Vec<String>,
    pub(crate) connect_fn: Option<ConnectFn>,
    pub(crate) tls: Option<Arc<TlsClientConfig>>,
    pub(crate) socket: SocketOptions,
    pub(crate) max_outgoing_bytes: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) event_capacity: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) admin_events: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions::new()
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("file_log_path", &self.file_log_path)
            .field("connect_addresses", &self.connect_addresses)
            .field("tls", &self.tls.is_some())
            .field("max_outgoing_bytes", &self.max_outgoing_bytes)
            .field("queue_capacity", &self.queue_capacity)
            .field("event_capacity", &self.event_capacity)
            .finish_non_exhaustive()
    }
}

impl SessionOptions {
    /// A memory store, no dictionary, no log, plain TCP, the mio engine's
    /// bounds (4 MiB of outgoing bytes) and timeouts.
    pub fn new() -> SessionOptions {
        SessionOptions {
            store: StoreChoice::Memory,
            dictionaries: Dictionaries::default(),
            file_log_path: None,
            connect_addresses: Vec::new(),
            connect_fn: None,
            tls: None,
            socket: SocketOptions::default(),
            max_outgoing_bytes: fixrs_transport_mio::settings::DEFAULT_MAX_OUTGOING_BYTES,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            connect_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            admin_events: false,
        }
    }

    /// An initiator's counterparty (`host:port`); several addresses are
    /// tried in turn, one per connection attempt.
    pub fn with_connect_address(mut self, address: impl Into<String>) -> Self {
        self.connect_addresses.push(address.into());
        self
    }

    /// Opens an initiator's links with `connect` instead of TCP to an
    /// address (a Unix socket, a proxy, an in-memory pipe in tests). Each
    /// connect attempt calls it once.
    pub fn with_connect_fn<F, Fut, S>(mut self, connect: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::io::Result<S>> + Send + 'static,
        S: LinkStream,
    {
        self.connect_fn = Some(Arc::new(move || {
            let attempt = connect();
            Box::pin(async move { attempt.await.map(|s| Box::new(s) as BoxStream) })
        }));
        self
    }

    /// Keeps sequence numbers and sent messages in `store`.
    pub fn with_store(mut self, store: impl Store + Send + 'static) -> Self {
        self.store = StoreChoice::Given(Box::new(store));
        self
    }

    /// Keeps them in a file store in `dir` (the mio engine's format and
    /// file names), opened when the session is created.
    pub fn with_file_store(mut self, dir: impl Into<PathBuf>, options: FileStoreOptions) -> Self {
        self.store = StoreChoice::File(dir.into(), options);
        self
    }

    /// Validates incoming messages against this dictionary.
    pub fn with_dictionary(mut self, dictionary: impl Into<SessionDictionary>) -> Self {
        self.dictionaries.dictionary = Some(dictionary.into());
        self
    }

    /// For FIXT.1.1: the dictionary of another application version.
    pub fn with_app_dictionary(
        mut self,
        version: FixVersion,
        dictionary: impl Into<SessionDictionary>,
    ) -> Self {
        self.dictionaries
            .app_dictionaries
            .push((version, dictionary.into()));
        self
    }

    /// Writes the FIX message and event logs to `dir` (the mio engine's
    /// FileLogPath format).
    pub fn with_file_log_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_log_path = Some(dir.into());
        self
    }

    /// Connects over TLS with this client configuration.
    pub fn with_tls(mut self, config: TlsClientConfig) -> Self {
        self.tls = Some(Arc::new(config));
        self
    }

    /// Socket options of an initiator's connections.
    pub fn with_socket(mut self, socket: SocketOptions) -> Self {
        self.socket = socket;
        self
    }

    /// Most bytes written to the session and not yet taken by the link
    /// (MaxOutgoingBytes): at it the session stops taking messages (so
    /// [`send`](crate::SessionHandle::send) waits once the queue is full)
    /// and stops reading from the peer until the link takes enough. The
    /// bound is checked after each message, so it is passed by at most
    /// one message's output (one resend, for a ResendRequest).
    pub fn with_max_outgoing_bytes(mut self, bytes: usize) -> Self {
        self.max_outgoing_bytes = bytes.max(1);
        self
    }

    /// Most messages and commands queued for the session's task before
    /// [`send`](crate::SessionHandle::send) waits and
    /// [`try_send`](crate::SessionHandle::try_send) refuses.
    pub fn with_queue_capacity(mut self, messages: usize) -> Self {
        self.queue_capacity = messages.max(1);
        self
    }

    /// Most events waiting in the session's
    /// [`SessionEvents`](crate::SessionEvents) stream for the application
    /// to read ([`DEFAULT_EVENT_CAPACITY`] by default). While the stream
    /// is full the session reads nothing more from its peer but the Logon
    /// and Logout exchanges (the peer's messages wait in the socket, and
    /// then in the peer: backpressure) but goes on taking sends, writing and running its
    /// timers (without counting the peer's unread Heartbeats as silence).
    /// Nothing is dropped: an event that finds the stream full waits in the
    /// session's task and comes out first, in order. Sessions whose
    /// events go to a [`Handler`](crate::Handler) have no stream; the
    /// setting does not apply to them.
    pub fn with_event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = events.max(1);
        self
    }

    /// How long an initiator's TCP connect may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a closing link may take to write its last bytes before it
    /// is dropped anyway.
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Reports session-level messages (Heartbeat, Logon...) as
    /// [`SessionEvent::Admin`](crate::SessionEvent::Admin) too.
    pub fn with_admin_events(mut self) -> Self {
        self.admin_events = true;
        self
    }
}
