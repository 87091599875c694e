//! [`FixEngine`]: the event loop thread and the API to create sessions and
//! listeners on it.
//!
//! Creating sessions and listeners and stopping go to the loop through the
//! engine's own queue ([`EngineCommand`]); sessions' handles use the
//! command queue of [`EngineShared`]. Both wake the loop the same way.

use crate::app::Application;
use crate::command::{clock, EngineShared};
use crate::error::EngineError;
use crate::event_loop::{EngineCommand, EventLoop, NewSession, TemplateSpec};
use crate::handle::SessionHandle;
use crate::options::{EngineSettings, SessionOptions, TemplateOptions};
use crate::target::ConnectTarget;
use crate::transport::{PlainTcp, TransportFactory};
use fixrs_proto::FixVersion;
use fixrs_session::settings::DictionaryLoader;
use fixrs_session::SessionId;
use fixrs_session::{
    AcceptRules, AcceptorTemplate, MemoryStore, Role, Session, SessionConfig, Store,
};
use fixrs_store::FileStore;
use std::net::SocketAddr;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
    /// The loop's queue of engine commands.
    control: Sender<EngineCommand>,
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
        let shared = Arc::new(EngineShared::new(waker));
        let (control, commands) = std::sync::mpsc::channel();
        let mut event_loop = EventLoop::new(poll, shared.clone(), commands, settings.clone());
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
            control,
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
        let config = SessionConfig::for_id(Role::Initiator, version, id);
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
        let config = SessionConfig::for_id(Role::Acceptor, version, id);
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
        self.not_on_loop_thread("create_session")?;
        let now = clock();
        let utc = now.utc;
        let target = if options.connect_addresses.is_empty() {
            None
        } else {
            let mut t = ConnectTarget::parse(&options.connect_addresses, &options.connect_sources)?;
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
        let mut session = Session::new(config, store, now).map_err(EngineError::Session)?;
        if let Some(dictionary) = options.dictionary {
            session.set_dictionary(dictionary);
        }
        for (version, dictionary) in options.app_dictionaries {
            session.set_app_dictionary(version, dictionary);
        }
        let mut accept =
            AcceptRules::default().with_allowed_remote_addresses(options.allowed_remote_addresses);
        accept.port = options.accept_port;
        let new = Box::new(NewSession {
            session,
            app: Box::new(app),
            log_dir: options
                .file_log_path
                .or_else(|| self.settings.file_log_path.clone()),
            accept,
            target,
            socket: options.socket,
            max_outgoing_bytes: options
                .max_outgoing_bytes
                .unwrap_or(self.settings.max_outgoing_bytes),
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(EngineCommand::Create { new, reply: tx })?;
        let shared = rx.recv().map_err(|_| EngineError::Stopped)??;
        Ok(SessionHandle::new(self.shared.clone(), shared, true))
    }

    /// Creates acceptor sessions on their first Logon from a template
    /// (QuickFIX's `AcceptorTemplate=Y` with wildcard CompIDs, FIX
    /// Antenna's unregistered acceptors): a Logon that no session of this
    /// engine takes, on a listener of this engine, from an identity the
    /// template allows (see [`AcceptorTemplate`]: `*` matches any CompID
    /// and the new session takes the Logon's), gets a session of its own
    /// with the template's configuration and the Logon's identity, a store
    /// and a FIX log of its own (`options`). The session stays until the
    /// engine stops: the same counterparty's next Logon finds it, with its
    /// sequence numbers. Templates are tried in the order they were added.
    ///
    /// `app` serves every session the template creates, as one QuickFIX
    /// application serves all sessions: each callback's handle names its
    /// session. Its [`from_admin`](Application::from_admin) sees each
    /// first Logon and may refuse it ([`RefuseLogon`](crate::RefuseLogon));
    /// the session created for it then goes again.
    ///
    /// ```no_run
    /// use fixrs_proto::FixVersion;
    /// use fixrs_session::{AcceptorTemplate, SessionConfig};
    /// use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, TemplateOptions};
    ///
    /// let engine = FixEngine::new(EngineSettings::default())?;
    /// engine.listen("0.0.0.0:9876".parse()?)?;
    /// // Any counterparty logging on to BROKER gets a session.
    /// let config = SessionConfig::acceptor(FixVersion::Fix44, "BROKER", "*");
    /// let (app, events) = ChannelApplication::new();
    /// let options = TemplateOptions::default().with_file_store_path("store");
    /// engine.add_acceptor_template(AcceptorTemplate::new(config), options, app)?;
    /// # drop(events);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_acceptor_template(
        &self,
        template: AcceptorTemplate,
        options: TemplateOptions,
        app: impl Application,
    ) -> Result<(), EngineError> {
        self.not_on_loop_thread("add_acceptor_template")?;
        if template.config.role != Role::Acceptor {
            return Err(EngineError::WrongRole {
                session: template.config.key().to_string(),
                reason: "a template creates acceptor sessions",
            });
        }
        let store_options = options
            .file_store_options
            .unwrap_or(self.settings.file_store_options);
        let store = options
            .file_store_path
            .or_else(|| self.settings.file_store_path.clone())
            .map(|dir| (dir, store_options));
        let spec = TemplateSpec {
            app: Arc::new(Mutex::new(Box::new(app))),
            store,
            dictionary: options.dictionary,
            app_dictionaries: options.app_dictionaries,
            log_dir: options
                .file_log_path
                .or_else(|| self.settings.file_log_path.clone()),
            max_outgoing_bytes: options
                .max_outgoing_bytes
                .unwrap_or(self.settings.max_outgoing_bytes),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(EngineCommand::AddTemplate {
            template: Box::new(template),
            spec: Box::new(spec),
            reply: tx,
        })?;
        rx.recv().map_err(|_| EngineError::Stopped)
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
        self.not_on_loop_thread("listen")?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(EngineCommand::Listen {
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

    /// Refuses a call that waits for the loop when made on the loop thread
    /// (from a callback), which would wait for itself.
    pub(crate) fn not_on_loop_thread(&self, call: &'static str) -> Result<(), EngineError> {
        match self.shared.on_loop_thread() {
            true => Err(EngineError::OnEngineThread(call)),
            false => Ok(()),
        }
    }

    /// Queues an engine command and wakes the loop.
    fn submit(&self, command: EngineCommand) -> Result<(), EngineError> {
        if self.shared.is_stopped() {
            return Err(EngineError::Stopped);
        }
        // Fails once the loop is gone; a command queued while it ends is
        // dropped with the queue, which drops its reply channel.
        self.control
            .send(command)
            .map_err(|_| EngineError::Stopped)?;
        self.shared.wake()
    }

    fn shutdown(&mut self, graceful: bool) {
        if let Some(thread) = self.thread.take() {
            // Fails only if the loop already stopped.
            let _ = self.submit(EngineCommand::Stop { graceful });
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
