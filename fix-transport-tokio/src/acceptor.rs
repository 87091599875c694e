//! Sessions that accept: an [`Acceptor`] listens, reads each new
//! connection's first message and lets the session layer's
//! [`Router`](fixrs_session::Router) say which session it is for (or
//! which template creates one); the connection then joins that session's
//! task.

use crate::core::Core;
use crate::error::Error;
use crate::event::{Handler, SessionEvents, Sink};
use crate::initiator::{new_core, spawn};
use crate::options::SessionOptions;
use crate::queue::CommandSender;
use crate::session::{Command, LinkStream, SessionHandle, Stream};
use fixrs_session::router::TemplateId;
use fixrs_session::{AcceptRules, AcceptorTemplate, Role, Route, Router, SessionConfig};
use fixrs_transport_mio::SocketOptions;
use fixrs_transport_tls::TlsServerConfig;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The default time a new connection has to send its Logon.
pub const DEFAULT_LOGON_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes the options of each session a template creates.
type OptionsFactory = Box<dyn Fn(&SessionConfig) -> SessionOptions + Send>;

/// A session created from a template on its first Logon: its handle and
/// its events.
pub type NewSession = (SessionHandle, SessionEvents);

/// What the listeners and the sessions share.
struct Shared {
    router: Router<u64>,
    /// Each registered session's command queue.
    sessions: HashMap<u64, CommandSender<Command>>,
    /// Per template: the options of its sessions and where they go.
    templates: Vec<(OptionsFactory, mpsc::UnboundedSender<NewSession>)>,
    /// The router's id of the next session.
    next_id: u64,
}

/// One listener or more, and the acceptor sessions they route
/// connections to. Dropping it stops the listeners; sessions run on until
/// their handles are dropped too.
pub struct Acceptor {
    shared: Arc<Mutex<Shared>>,
    logon_timeout: Duration,
    listeners: Mutex<Vec<JoinHandle<()>>>,
}

impl Default for Acceptor {
    fn default() -> Self {
        Acceptor::new()
    }
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("logon_timeout", &self.logon_timeout)
            .finish_non_exhaustive()
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        for l in self
            .listeners
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            l.abort();
        }
    }
}

impl Acceptor {
    /// An acceptor without sessions or listeners; new connections have
    /// [`DEFAULT_LOGON_TIMEOUT`] to send their Logon.
    pub fn new() -> Acceptor {
        Acceptor {
            shared: Arc::new(Mutex::new(Shared {
                router: Router::new(),
                sessions: HashMap::new(),
                templates: Vec::new(),
                next_id: 0,
            })),
            logon_timeout: DEFAULT_LOGON_TIMEOUT,
            listeners: Mutex::new(Vec::new()),
        }
    }

    /// Sets how long a new connection has to send its Logon.
    pub fn with_logon_timeout(mut self, timeout: Duration) -> Acceptor {
        self.logon_timeout = timeout;
        self
    }

    /// Listens on `addr` (port 0 lets the system choose); returns the
    /// address bound. Accepted connections get the default socket options.
    pub async fn listen(&self, addr: SocketAddr) -> Result<SocketAddr, Error> {
        self.listen_with(addr, None, SocketOptions::default()).await
    }

    /// Listens on `addr` for TLS connections.
    pub async fn listen_tls(
        &self,
        addr: SocketAddr,
        tls: TlsServerConfig,
    ) -> Result<SocketAddr, Error> {
        self.listen_with(addr, Some(tls), SocketOptions::default())
            .await
    }

    /// Listens on `addr`, over TLS if `tls` is given, applying `socket`
    /// (SocketNodelay, buffer sizes, keep-alive) to every accepted
    /// connection.
    pub async fn listen_with(
        &self,
        addr: SocketAddr,
        tls: Option<TlsServerConfig>,
        socket: SocketOptions,
    ) -> Result<SocketAddr, Error> {
        let tls = tls.map(Arc::new);
        let listen_error = |source| Error::Listen {
            addr: addr.to_string(),
            source,
        };
        let listener = TcpListener::bind(addr).await.map_err(listen_error)?;
        let bound = listener.local_addr().map_err(listen_error)?;
        let shared = self.shared.clone();
        let logon_timeout = self.logon_timeout;
        let task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors and the like: wait, not spin.
                        log::warn!("accept on {bound}: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let (shared, tls) = (shared.clone(), tls.clone());
                tokio::spawn(async move {
                    let routed = tokio::time::timeout(logon_timeout, async {
                        let stream = handshake(tcp, tls, socket).await?;
                        route(&shared, stream, bound.port(), peer).await
                    });
                    report(peer, routed.await);
                });
            }
        });
        lock(&self.listeners).push(task);
        Ok(bound)
    }

    /// Routes a connection accepted elsewhere (a Unix socket, an
    /// in-memory pipe in tests) as if a listener had taken it from
    /// `peer`: its Logon decides its session. Sessions restricted to a
    /// listener port do not take it.
    pub fn accept_stream(&self, stream: impl LinkStream, peer: SocketAddr) {
        let shared = self.shared.clone();
        let logon_timeout = self.logon_timeout;
        tokio::spawn(async move {
            let stream = Stream::Other(Box::new(stream));
            let routed = tokio::time::timeout(logon_timeout, route(&shared, stream, 0, peer));
            report(peer, routed.await);
        });
    }

    /// Adds an acceptor session, taking Logons on any listener from any
    /// address; returns its handle and events.
    pub fn add_session(
        &self,
        config: SessionConfig,
        options: SessionOptions,
    ) -> Result<(SessionHandle, SessionEvents), Error> {
        self.add_session_with_rules(config, options, AcceptRules::default())
    }

    /// [`add_session`](Acceptor::add_session) with the session's own
    /// listener port and allowed peer addresses.
    pub fn add_session_with_rules(
        &self,
        config: SessionConfig,
        options: SessionOptions,
        rules: AcceptRules,
    ) -> Result<(SessionHandle, SessionEvents), Error> {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = self.add(config, options, rules, Sink::Channel(tx))?;
        Ok((handle, SessionEvents::new(rx)))
    }

    /// [`add_session`](Acceptor::add_session) with the events handed to
    /// `handler` on the session's task.
    pub fn add_session_with_handler(
        &self,
        config: SessionConfig,
        options: SessionOptions,
        handler: impl Handler,
    ) -> Result<SessionHandle, Error> {
        self.add(
            config,
            options,
            AcceptRules::default(),
            Sink::Handler(Box::new(handler)),
        )
    }

    fn add(
        &self,
        config: SessionConfig,
        mut options: SessionOptions,
        rules: AcceptRules,
        sink: Sink,
    ) -> Result<SessionHandle, Error> {
        if config.role != Role::Acceptor {
            return Err(Error::Setting {
                name: "ConnectionType".into(),
                reason: "an acceptor session needs an acceptor configuration".into(),
            });
        }
        let core = new_core(config, &mut options)?;
        let mut shared = lock(&self.shared);
        Ok(register(
            &self.shared,
            &mut shared,
            core,
            sink,
            &options,
            rules,
        ))
    }

    /// Adds a template: Logons no registered session takes and the
    /// template allows create a session (with options from `options`, a
    /// memory store if it names none). The new sessions come out of the
    /// returned receiver, each with its events.
    pub fn add_template(
        &self,
        template: AcceptorTemplate,
        options: impl Fn(&SessionConfig) -> SessionOptions + Send + 'static,
    ) -> mpsc::UnboundedReceiver<NewSession> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut shared = lock(&self.shared);
        shared.router.add_template(template);
        shared.templates.push((Box::new(options), tx));
        rx
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers a session with the router and spawns its task.
fn register(
    arc: &Arc<Mutex<Shared>>,
    shared: &mut Shared,
    core: Core,
    sink: Sink,
    options: &SessionOptions,
    rules: AcceptRules,
) -> SessionHandle {
    let key = core.key();
    let id = shared.next_id;
    shared.next_id += 1;
    // The router hears when the session's link ends, so that the next
    // Logon for it is taken.
    let weak = Arc::downgrade(arc);
    let on_link_down = Box::new(move || {
        if let Some(shared) = weak.upgrade() {
            lock(&shared).router.disconnected(id);
        }
    });
    let handle = spawn(core, sink, None, options, Some(on_link_down));
    shared.router.add_session(id, key, rules);
    shared.sessions.insert(id, handle.commands());
    handle
}

/// Logs what became of a new connection.
fn report(peer: SocketAddr, routed: Result<Result<(), String>, tokio::time::error::Elapsed>) {
    match routed {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => log::info!("connection from {peer} refused: {reason}"),
        Err(_) => log::info!("connection from {peer} refused: no Logon in time"),
    }
}

/// A new TCP connection as a link: TLS handshake first, if configured.
async fn handshake(
    tcp: TcpStream,
    tls: Option<Arc<TlsServerConfig>>,
    socket: SocketOptions,
) -> Result<Stream, String> {
    socket
        .apply_to(socket2::SockRef::from(&tcp))
        .map_err(|e| format!("socket options: {e}"))?;
    Ok(match tls {
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.rustls_config().clone());
            Stream::Other(Box::new(
                acceptor.accept(tcp).await.map_err(|e| e.to_string())?,
            ))
        }
        None => Stream::Tcp(tcp),
    })
}

/// Reads a new connection's first message and hands the connection to
/// its session. `Err` says why it was refused (and closed, unanswered).
async fn route(
    arc: &Arc<Mutex<Shared>>,
    mut stream: Stream,
    port: u16,
    peer: SocketAddr,
) -> Result<(), String> {
    let mut first = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before its Logon".into());
        }
        first.extend_from_slice(&buf[..n]);
        let (commands, template) = {
            let mut shared = lock(arc);
            match shared.router.route(&first, port, peer) {
                Route::Incomplete => continue,
                Route::Refuse { reason, .. } => return Err(reason.to_string()),
                Route::Session { session, .. } => {
                    shared.router.connected(session);
                    (shared.sessions.get(&session).cloned(), None)
                }
                Route::NewSession {
                    template, config, ..
                } => (None, Some((template, config))),
            }
        };
        let commands = match (commands, template) {
            (Some(c), _) => c,
            (None, Some((template, config))) => new_from_template(arc, template, *config)?,
            (None, None) => return Err("session removed".into()),
        };
        let attach = Command::Attach {
            stream,
            peer: peer.to_string(),
            first,
        };
        return commands
            .send_with(|| attach)
            .await
            .map_err(|_| "session ended".to_string());
    }
}

/// Creates, registers and announces the session a template allows.
fn new_from_template(
    arc: &Arc<Mutex<Shared>>,
    template: TemplateId,
    config: SessionConfig,
) -> Result<CommandSender<Command>, String> {
    let name = config.key().to_string();
    let mut shared = lock(arc);
    let rules = shared
        .router
        .template(template)
        .map(|t| t.rules.clone())
        .ok_or("no such template")?;
    let Some((make_options, _)) = shared.templates.get(template.0) else {
        return Err("no such template".into());
    };
    let mut options = make_options(&config);
    let core = new_core(config, &mut options).map_err(|e| format!("{name}: {e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = register(arc, &mut shared, core, Sink::Channel(tx), &options, rules);
    let id = shared.next_id - 1;
    shared.router.connected(id);
    let commands = handle.commands();
    if let Some((_, new_sessions)) = shared.templates.get(template.0) {
        let _ = new_sessions.send((handle, SessionEvents::new(rx)));
    }
    log::info!("session {name} created from a template");
    Ok(commands)
}
