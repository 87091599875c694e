//! [`FixEngine`]: the event loop thread and the API to create sessions and
//! listeners on it, with [`EngineSettings`].
//!
//! Other threads talk to the loop through a command queue (a mutex-guarded
//! `VecDeque`) and a mio `Waker`; the loop is woken only when it sleeps in
//! `poll`, so a burst of commands costs one wake-up.

use crate::app::Application;
use crate::error::EngineError;
use crate::event_loop::EventLoop;
use crate::handle::{SessionHandle, SessionId, SessionRef, SessionShared};
use crate::refusal::RefusalHook;
use crate::settings::HostSelectionPolicy;
use crate::transport::{PlainTcp, SocketOptions, TransportFactory};
use fixrs_proto::{FixVersion, UtcTimestamp};
use fixrs_session::settings::DictionaryLoader;
use fixrs_session::{MemoryStore, Session, SessionConfig, SessionDictionary, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Options applied to every connected and accepted socket.
    pub socket: SocketOptions,
    /// Bound of a session's outgoing backlog (messages put and not yet
    /// taken by the engine thread, plus bytes not yet written), in bytes,
    /// for sessions that do not set their own
    /// ([`SessionOptions::max_outgoing_bytes`], the MaxOutgoingBytes
    /// setting); over it [`put`](SessionHandle::put) returns
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
    /// How long [`FixEngine::stop`] waits for Logout replies.
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
            max_outgoing_bytes: crate::settings::DEFAULT_MAX_OUTGOING_BYTES,
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

/// Per-session choices beyond the [`SessionConfig`], for
/// [`FixEngine::create_session_with`] (initiators and acceptors alike).
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
/// let options = SessionOptions {
///     dictionary: Some(Dictionary::builtin(FixVersion::Fix44).into()),
///     ..SessionOptions::default()
/// };
/// let (app, events) = ChannelApplication::new();
/// let session = engine.create_session_with(config, options, app)?;
/// # drop((session, events));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct SessionOptions {
    /// The data dictionary incoming messages are validated against (with
    /// the switches of [`SessionConfig::validation`]): a built-in one
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
    /// The store; `None` for a [`FileStore`] under
    /// [`EngineSettings::file_store_path`] if set, else a [`MemoryStore`].
    pub store: Option<Box<dyn Store + Send>>,
    /// Directory of this session's file log, overriding
    /// [`EngineSettings::file_log_path`].
    pub file_log_path: Option<PathBuf>,
    /// For acceptors: accept this session's Logon only on the listener
    /// bound to this port (QuickFIX's per-session SocketAcceptPort).
    pub accept_port: Option<u16>,
    /// For initiators: the counterparty to connect to with
    /// [`SessionHandle::connect_configured`] (`host:port`, tried in order).
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

/// Where and how an initiator connects.
pub(crate) struct ConnectTarget {
    pub(crate) addrs: Vec<SocketAddr>,
    /// The local address to bind before connecting to each of `addrs`.
    pub(crate) sources: Vec<Option<SocketAddr>>,
    pub(crate) host: String,
    pub(crate) factory: Arc<dyn TransportFactory>,
    pub(crate) policy: HostSelectionPolicy,
    /// SO_REUSEADDR on a socket bound to a source address.
    pub(crate) reuse_address: bool,
    /// Index of the address the next attempt uses.
    next: usize,
    /// When the previous attempt started.
    last_attempt: Option<Instant>,
}

impl ConnectTarget {
    /// A target trying `addrs` in turn, binding nothing first.
    pub(crate) fn new(
        addrs: Vec<SocketAddr>,
        host: String,
        factory: Arc<dyn TransportFactory>,
    ) -> ConnectTarget {
        ConnectTarget {
            sources: vec![None; addrs.len()],
            addrs,
            host,
            factory,
            policy: HostSelectionPolicy::RoundRobin,
            reuse_address: true,
            next: 0,
            last_attempt: None,
        }
    }

    /// The address of a connection attempt starting `now`, and the local
    /// address to bind first (HostSelectionPolicy: round robin; with
    /// PRIORITY, back to the first address after a quiet interval).
    pub(crate) fn pick(&mut self, now: Instant) -> (SocketAddr, Option<SocketAddr>) {
        if let (HostSelectionPolicy::Priority { start_over }, Some(last)) =
            (self.policy, self.last_attempt)
        {
            if now.saturating_duration_since(last) >= start_over {
                self.next = 0;
            }
        }
        self.last_attempt = Some(now);
        let i = self.next % self.addrs.len().max(1);
        self.next = i + 1;
        (self.addrs[i], self.sources.get(i).copied().flatten())
    }
}

/// A new session on its way to the loop.
pub(crate) struct NewSession {
    pub(crate) allowed_remote_addresses: Vec<IpAddr>,
    pub(crate) session: Session,
    pub(crate) app: Box<dyn Application>,
    pub(crate) log_dir: Option<PathBuf>,
    pub(crate) accept_port: Option<u16>,
    pub(crate) target: Option<ConnectTarget>,
    pub(crate) socket: Option<SocketOptions>,
    pub(crate) max_outgoing_bytes: usize,
}

/// What other threads ask of the loop.
pub(crate) enum Command {
    Create {
        new: Box<NewSession>,
        reply: SyncSender<Result<Arc<SessionShared>, EngineError>>,
    },
    Listen {
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
        reply: SyncSender<Result<SocketAddr, EngineError>>,
    },
    Connect {
        session: SessionRef,
        heart_bt_int: Option<u32>,
        target: Option<ConnectTarget>,
    },
    /// Messages were put on the session.
    Drain(SessionRef),
    Logout {
        session: SessionRef,
        text: Option<String>,
    },
    Disconnect(SessionRef),
    ResetLocal(SessionRef),
    ResetAndLogon(SessionRef),
    Finalize {
        session: SessionRef,
        done: SyncSender<()>,
    },
    Stop {
        graceful: bool,
    },
}

/// Counter of engines, to tell their loop threads apart.
static ENGINE_IDS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// The id of the engine whose loop runs on this thread (0 for none).
    static LOOP_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// State shared between the loop and every handle.
pub(crate) struct EngineShared {
    pub(crate) id: usize,
    pub(crate) commands: Mutex<VecDeque<Command>>,
    /// Set after a command is queued, cleared by the loop before it takes
    /// the queue: lets the loop skip the queue's lock when nothing came.
    pub(crate) queued: AtomicBool,
    pub(crate) waker: mio::Waker,
    /// Set by the loop just before it sleeps in poll; whoever clears it
    /// wakes the loop.
    pub(crate) sleeping: AtomicBool,
    pub(crate) stopped: AtomicBool,
}

impl std::fmt::Debug for EngineShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineShared")
            .field("id", &self.id)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl EngineShared {
    /// Queues a command and wakes the loop if it sleeps.
    pub(crate) fn submit(&self, command: Command) -> Result<(), EngineError> {
        {
            let mut q = self.commands.lock().map_err(|_| EngineError::Stopped)?;
            if self.stopped.load(Ordering::Acquire) {
                return Err(EngineError::Stopped);
            }
            q.push_back(command);
        }
        // SeqCst pairs with the loop's `sleeping` store then `queued` load:
        // either the loop sees this command before it sleeps, or we see it
        // sleeping and wake it.
        self.queued.store(true, Ordering::SeqCst);
        if LOOP_OF.with(|l| l.get()) != self.id && self.sleeping.swap(false, Ordering::SeqCst) {
            self.waker.wake()?;
        }
        Ok(())
    }

    /// Marks the engine stopped and drops queued commands, so that anyone
    /// waiting for a reply gets an error.
    pub(crate) fn mark_stopped(&self) {
        if let Ok(mut q) = self.commands.lock() {
            self.stopped.store(true, Ordering::Release);
            q.clear();
        }
        self.stopped.store(true, Ordering::Release);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Whether the caller runs on this engine's loop thread (in a
    /// callback).
    pub(crate) fn on_loop_thread(&self) -> bool {
        LOOP_OF.with(|l| l.get()) == self.id
    }

    pub(crate) fn mark_loop_thread(&self) {
        LOOP_OF.with(|l| l.set(self.id));
    }
}

/// The current time as the session layer takes it.
pub(crate) fn clock() -> (Instant, UtcTimestamp) {
    (Instant::now(), UtcTimestamp::from(SystemTime::now()))
}

/// A FIX engine: one event loop thread hosting any number of initiator and
/// acceptor sessions.
///
/// ```no_run
/// use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, SessionId};
/// use fixrs_proto::{FixVersion, MessageBuilder, FieldWriter};
///
/// let engine = FixEngine::new(EngineSettings::default())?;
/// let (app, events) = ChannelApplication::new();
/// let s = engine.create_session(SessionId::new("TEST1", "TEST2"), FixVersion::Fix44, app)?;
/// s.connect(30, "127.0.0.1:8901")?;
/// let mut order = MessageBuilder::new(b"D");
/// order.push_str(11, "ORD-1");
/// s.put(&order)?;
/// # drop(events);
/// s.disconnect("end of day")?;
/// s.finalize();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FixEngine {
    shared: Arc<EngineShared>,
    settings: EngineSettings,
    /// Dictionaries named by settings-file sessions, each file loaded once.
    pub(crate) dictionaries: Mutex<DictionaryLoader>,
    /// Addresses listened on for settings-file sessions.
    listening: Mutex<Vec<(SocketAddr, SocketAddr)>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FixEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixEngine")
            .field("id", &self.shared.id)
            .finish()
    }
}

impl FixEngine {
    /// Starts an engine: creates the poll and starts its event loop thread.
    pub fn new(settings: EngineSettings) -> Result<FixEngine, EngineError> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), crate::event_loop::WAKER)?;
        let shared = Arc::new(EngineShared {
            id: ENGINE_IDS.fetch_add(1, Ordering::Relaxed),
            commands: Mutex::new(VecDeque::new()),
            queued: AtomicBool::new(false),
            waker,
            sleeping: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        let mut event_loop = EventLoop::new(poll, shared.clone(), settings.clone());
        let loop_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(settings.thread_name.clone())
            .spawn(move || {
                // A panic (in an application callback, say) must not leave
                // handles waiting for replies from a loop that is gone.
                let run = std::panic::AssertUnwindSafe(|| event_loop.run());
                if std::panic::catch_unwind(run).is_err() {
                    log::error!(
                        "FIX engine {} event loop panicked; engine stopped",
                        loop_shared.id
                    );
                    loop_shared.mark_stopped();
                }
            })?;
        log::info!("FIX engine {} started", shared.id);
        Ok(FixEngine {
            shared,
            settings,
            dictionaries: Mutex::new(DictionaryLoader::new()),
            listening: Mutex::new(Vec::new()),
            thread: Some(thread),
        })
    }

    /// The settings the engine runs with.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// Creates an initiator session with QuickFIX's defaults and a memory
    /// store; [`SessionHandle::connect`] starts it.
    pub fn create_session(
        &self,
        id: SessionId,
        version: FixVersion,
        app: impl Application,
    ) -> Result<SessionHandle, EngineError> {
        let mut config = SessionConfig::initiator(version, "", "");
        id.apply_to(&mut config);
        self.create_session_with(config, SessionOptions::default(), app)
    }

    /// Creates an acceptor session with QuickFIX's defaults and a memory
    /// store, ready for the peer's Logon on any listener of this engine
    /// (see [`FixEngine::listen`]).
    pub fn create_acceptor_session(
        &self,
        id: SessionId,
        version: FixVersion,
        app: impl Application,
    ) -> Result<SessionHandle, EngineError> {
        let mut config = SessionConfig::acceptor(version, "", "");
        id.apply_to(&mut config);
        self.create_session_with(config, SessionOptions::default(), app)
    }

    /// Creates a session from a full configuration and options (store,
    /// log directory, acceptor port, counterparty addresses). Acceptor
    /// sessions are ready for a Logon at once.
    pub fn create_session_with(
        &self,
        config: SessionConfig,
        options: SessionOptions,
        app: impl Application,
    ) -> Result<SessionHandle, EngineError> {
        let (now, utc) = clock();
        let target = if options.connect_addresses.is_empty() {
            None
        } else {
            let mut t = resolve_target(&options.connect_addresses, &options.connect_sources)?;
            if let Some(f) = options.connect_factory {
                t.factory = f;
            }
            t.policy = options.host_selection;
            t.reuse_address = options.socket.unwrap_or(self.settings.socket).reuse_address;
            Some(t)
        };
        let store: Box<dyn Store + Send> = match (options.store, &self.settings.file_store_path) {
            (Some(s), _) => s,
            (None, Some(dir)) => Box::new(FileStore::open(
                dir,
                &config.key(),
                self.settings.file_store_options,
                utc,
            )?),
            (None, None) => Box::new(MemoryStore::new(utc)),
        };
        let mut session = Session::new(config, store, now, utc)
            .map_err(|e| EngineError::Session(e.to_string()))?;
        if let Some(dictionary) = options.dictionary {
            session.set_dictionary(dictionary);
        }
        for (version, dictionary) in options.app_dictionaries {
            session.set_app_dictionary(version, dictionary);
        }
        let new = Box::new(NewSession {
            allowed_remote_addresses: options.allowed_remote_addresses,
            session,
            app: Box::new(app),
            log_dir: options
                .file_log_path
                .or_else(|| self.settings.file_log_path.clone()),
            accept_port: options.accept_port,
            target,
            socket: options.socket,
            max_outgoing_bytes: options
                .max_outgoing_bytes
                .unwrap_or(self.settings.max_outgoing_bytes),
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.shared.submit(Command::Create { new, reply: tx })?;
        let shared = rx.recv().map_err(|_| EngineError::Stopped)??;
        Ok(SessionHandle::new(self.shared.clone(), shared, true))
    }

    /// The addresses this engine listens on for settings-file acceptor
    /// sessions (with the port the system chose for SocketAcceptPort=0).
    pub fn listen_addresses(&self) -> Vec<SocketAddr> {
        self.listening
            .lock()
            .map(|l| l.iter().map(|(_, bound)| *bound).collect())
            .unwrap_or_default()
    }

    /// Listens on `addr` unless this engine already does for another
    /// settings-file session; returns the bound address.
    pub(crate) fn listen_shared(
        &self,
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
    ) -> Result<SocketAddr, EngineError> {
        let mut listening = self.listening.lock().map_err(|_| EngineError::Stopped)?;
        // Sessions configured with the same address (port 0 included)
        // share one listener.
        if let Some((_, bound)) = listening.iter().find(|(configured, _)| *configured == addr) {
            return Ok(*bound);
        }
        let bound = self.listen_on(addr, factory, reuse_address)?;
        listening.push((addr, bound));
        Ok(bound)
    }

    /// Listens for acceptor connections on `addr` (port 0 picks a free
    /// port); returns the bound address. Incoming Logons are routed to the
    /// acceptor session whose identity they match.
    pub fn listen(&self, addr: SocketAddr) -> Result<SocketAddr, EngineError> {
        self.listen_with(addr, Arc::new(PlainTcp))
    }

    /// [`listen`](FixEngine::listen) with a factory wrapping each accepted
    /// stream (for TLS).
    pub fn listen_with(
        &self,
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
    ) -> Result<SocketAddr, EngineError> {
        self.listen_on(addr, factory, true)
    }

    /// Listens with or without SO_REUSEADDR (QuickFIX's
    /// SocketReuseAddress; without it a restarted acceptor may have to
    /// wait for the old connections' TIME_WAIT to end).
    fn listen_on(
        &self,
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
    ) -> Result<SocketAddr, EngineError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.shared.submit(Command::Listen {
            addr,
            factory,
            reuse_address,
            reply: tx,
        })?;
        rx.recv().map_err(|_| EngineError::Stopped)?
    }

    /// Stops the engine: established sessions log out (waiting at most
    /// [`EngineSettings::stop_timeout`] for the replies), every link is
    /// closed and the loop thread ends. Handles then report
    /// [`EngineError::Stopped`].
    pub fn stop(mut self) {
        self.shutdown(true);
    }

    /// Stops the engine at once: links are dropped without Logout (peers
    /// see a broken connection and initiators among them reconnect).
    pub fn stop_now(mut self) {
        self.shutdown(false);
    }

    fn shutdown(&mut self, graceful: bool) {
        if let Some(thread) = self.thread.take() {
            // Fails only if the loop already stopped.
            let _ = self.shared.submit(Command::Stop { graceful });
            if thread.thread().id() == std::thread::current().id() {
                // Dropped from one of its own callbacks: the loop stops
                // after the callback returns; it cannot wait for itself.
                return;
            }
            if thread.join().is_err() {
                log::error!("FIX engine {} loop thread panicked", self.shared.id);
            }
            log::info!("FIX engine {} stopped", self.shared.id);
        }
    }
}

impl Drop for FixEngine {
    fn drop(&mut self) {
        self.shutdown(true);
    }
}

/// Resolves one `host:port`.
pub(crate) fn resolve_one(address: &str) -> Result<SocketAddr, EngineError> {
    use std::net::ToSocketAddrs;
    address
        .to_socket_addrs()
        .map_err(|_| EngineError::BadAddress(address.to_string()))?
        .next()
        .ok_or_else(|| EngineError::BadAddress(address.to_string()))
}

/// Resolves configured counterparty addresses, each with the local
/// address to bind before connecting to it (`sources`, by position; `None`
/// or missing for none).
pub(crate) fn resolve_target(
    addresses: &[String],
    sources: &[Option<SocketAddr>],
) -> Result<ConnectTarget, EngineError> {
    use std::net::ToSocketAddrs;
    let mut addrs = Vec::new();
    let mut binds = Vec::new();
    for (i, a) in addresses.iter().enumerate() {
        let resolved = a
            .to_socket_addrs()
            .map_err(|_| EngineError::BadAddress(a.clone()))?;
        addrs.extend(resolved);
        let source = sources.get(i).copied().flatten();
        binds.resize(addrs.len(), source);
    }
    let host = addresses
        .first()
        .and_then(|a| a.rsplit_once(':').map(|(h, _)| h.to_string()))
        .unwrap_or_default();
    if addrs.is_empty() {
        return Err(EngineError::BadAddress(addresses.join(",")));
    }
    let mut target = ConnectTarget::new(addrs, host, Arc::new(PlainTcp));
    target.sources = binds;
    Ok(target)
}
