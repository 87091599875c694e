//! Sessions that accept: an [`Acceptor`] listens, reads each new
//! connection's first message and lets the session layer's
//! [`Router`](fixrs_session::Router) say which session it is for (or
//! which template creates one); the application's logon check, if any,
//! may still refuse it; the connection then joins that session's task.
//! Refused connections go to the refusal hook, if any, else to the log.

use crate::core::Core;
use crate::delivery::{Handler, SessionEvents, Sink};
use crate::error::Error;
use crate::initiator::{new_core, spawn};
use crate::link::{LinkStream, Stream};
use crate::options::SessionOptions;
use crate::queue::CommandSender;
use crate::session::{Command, SessionHandle};
use fixrs_proto::{FieldIndex, Message};
use fixrs_session::router::TemplateId;
use fixrs_session::{
    AcceptRules, AcceptorTemplate, RefusalReason, Role, Route, Router, SessionConfig, SessionKey,
};
use fixrs_transport_mio::{RefusedConnection, SocketOptions};
use fixrs_transport_tls::{PeerCertificate, TlsServerConfig};
use std::collections::HashMap;
use std::io;
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

/// A Logon shown to an acceptor's logon check
/// ([`Acceptor::with_logon_check`]) before its session takes it: the
/// place for what QuickFIX applications do in `fromAdmin` with
/// `RejectLogon` (a password in Password(554), a certificate that must
/// name the CompID).
#[derive(Debug)]
#[non_exhaustive]
pub struct LogonRequest<'a> {
    /// The session the Logon is for: a registered one, or the one a
    /// template is about to create.
    pub session: &'a SessionKey,
    /// The Logon.
    pub logon: &'a Message<'a>,
    /// Where the connection comes from.
    pub peer: SocketAddr,
    /// The certificate the peer presented, on a TLS listener that asks for
    /// one.
    pub peer_certificate: Option<&'a PeerCertificate>,
}

/// An acceptor's logon check: `Err` refuses the Logon with that reason.
type LogonCheck = Arc<dyn Fn(&LogonRequest<'_>) -> Result<(), String> + Send + Sync>;

/// Where an acceptor reports the connections it refuses.
type RefusalHook = Arc<dyn Fn(&RefusedConnection) + Send + Sync>;

/// What every connection of an acceptor is routed with.
#[derive(Clone)]
struct Routing {
    shared: Arc<Mutex<Shared>>,
    logon_timeout: Duration,
    logon_check: Option<LogonCheck>,
    on_refused: Option<RefusalHook>,
}

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
    logon_check: Option<LogonCheck>,
    on_refused: Option<RefusalHook>,
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
            logon_check: None,
            on_refused: None,
            listeners: Mutex::new(Vec::new()),
        }
    }

    /// Sets how long a new connection has to send its Logon.
    pub fn with_logon_timeout(mut self, timeout: Duration) -> Acceptor {
        self.logon_timeout = timeout;
        self
    }

    /// Shows every Logon the router accepts to `check` before its session
    /// takes it; `Err(reason)` refuses it: the connection is closed
    /// without a reply (FIX session test case 1S c), reported as
    /// [`RefusalReason::RefusedByApplication`], and the session stays free
    /// for the counterparty's next Logon. For a template, the session is
    /// created only once the check passes. The check runs on the
    /// connection's task and should return quickly.
    pub fn with_logon_check(
        mut self,
        check: impl Fn(&LogonRequest<'_>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Acceptor {
        self.logon_check = Some(Arc::new(check));
        self
    }

    /// Reports every connection the acceptor closes before it reaches a
    /// session (unknown CompIDs, a duplicate Logon, no Logon in time, a
    /// failed TLS handshake, a Logon the check refused) to `hook` instead
    /// of the log, as the mio engine's `EngineSettings::on_refused` does.
    pub fn with_on_refused(
        mut self,
        hook: impl Fn(&RefusedConnection) + Send + Sync + 'static,
    ) -> Acceptor {
        self.on_refused = Some(Arc::new(hook));
        self
    }

    /// What each new connection is routed with.
    fn routing(&self) -> Routing {
        Routing {
            shared: self.shared.clone(),
            logon_timeout: self.logon_timeout,
            logon_check: self.logon_check.clone(),
            on_refused: self.on_refused.clone(),
        }
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
        let routing = self.routing();
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
                let (routing, tls) = (routing.clone(), tls.clone());
                tokio::spawn(async move {
                    let routed = tokio::time::timeout(routing.logon_timeout, async {
                        let (stream, cert) = handshake(tcp, tls, socket).await?;
                        route(&routing, stream, cert, bound.port(), peer).await
                    });
                    routing.report(peer, routed.await);
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
        let routing = self.routing();
        tokio::spawn(async move {
            let stream = Stream::Other(Box::new(stream));
            let routed = tokio::time::timeout(
                routing.logon_timeout,
                route(&routing, stream, None, 0, peer),
            );
            routing.report(peer, routed.await);
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
        let (sink, events) = crate::delivery::channel(options.event_capacity);
        let handle = self.add(config, options, rules, sink)?;
        Ok((handle, events))
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

impl Routing {
    /// Reports a refused connection to the hook, or logs it.
    fn report(
        &self,
        peer: SocketAddr,
        routed: Result<Result<(), RefusalReason>, tokio::time::error::Elapsed>,
    ) {
        let reason = match routed {
            Ok(Ok(())) => return,
            Ok(Err(reason)) => reason,
            Err(_) => RefusalReason::LogonTimeout,
        };
        let refused = RefusedConnection { peer, reason };
        match &self.on_refused {
            Some(hook) => {
                log::debug!("{refused}");
                hook(&refused);
            }
            None => log::info!("{refused}"),
        }
    }

    /// Shows the Logon (the first `len` bytes of `first`) for `session` to
    /// the logon check, if there is one.
    fn check_logon(
        &self,
        session: &SessionKey,
        first: &[u8],
        peer: SocketAddr,
        peer_certificate: Option<&PeerCertificate>,
    ) -> Result<(), RefusalReason> {
        let Some(check) = &self.logon_check else {
            return Ok(());
        };
        let mut index = FieldIndex::new();
        // The router parsed it already: this cannot fail.
        let logon = index.parse(first).map_err(RefusalReason::Unparsable)?;
        let request = LogonRequest {
            session,
            logon: &logon,
            peer,
            peer_certificate,
        };
        check(&request).map_err(|reason| RefusalReason::RefusedByApplication {
            session: session.to_string(),
            reason,
        })
    }
}

/// A new TCP connection as a link: TLS handshake first, if configured;
/// with the certificate the peer presented, if any.
async fn handshake(
    tcp: TcpStream,
    tls: Option<Arc<TlsServerConfig>>,
    socket: SocketOptions,
) -> Result<(Stream, Option<Arc<PeerCertificate>>), RefusalReason> {
    socket
        .apply_to(socket2::SockRef::from(&tcp))
        .map_err(RefusalReason::Transport)?;
    Ok(match tls {
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.rustls_config().clone());
            let stream = acceptor
                .accept(tcp)
                .await
                .map_err(RefusalReason::Transport)?;
            let cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|chain| Arc::new(PeerCertificate::from_chain(chain.to_vec())));
            (Stream::Other(Box::new(stream)), cert)
        }
        None => (Stream::Tcp(tcp), None),
    })
}

/// Reads a new connection's first message and hands the connection to
/// its session. `Err` says why it was refused (and closed, unanswered).
async fn route(
    routing: &Routing,
    mut stream: Stream,
    cert: Option<Arc<PeerCertificate>>,
    port: u16,
    peer: SocketAddr,
) -> Result<(), RefusalReason> {
    let arc = &routing.shared;
    let mut first = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(RefusalReason::Transport)?;
        if n == 0 {
            return Err(RefusalReason::Transport(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before its Logon",
            )));
        }
        first.extend_from_slice(&buf[..n]);
        // Routed and marked connected under one lock, so that a second
        // Logon for the same session meanwhile is refused as a duplicate.
        let (routed, commands, key) = {
            let mut shared = lock(arc);
            let routed = shared.router.route(&first, port, peer);
            match routed {
                Route::Session { session, .. } => {
                    shared.router.connected(session);
                    let commands = shared.sessions.get(&session).cloned();
                    let key = shared.router.session_key(session).cloned();
                    (routed, commands, key)
                }
                _ => (routed, None, None),
            }
        };
        let (commands, name, registered) = match routed {
            Route::Incomplete => continue,
            Route::Refuse { reason, .. } => return Err(reason),
            Route::Session { session, len } => {
                let checked = match &key {
                    Some(key) => routing.check_logon(key, &first[..len], peer, cert.as_deref()),
                    None => Ok(()),
                };
                let name = key.map(|k| k.to_string()).unwrap_or_default();
                match (checked, commands) {
                    (Ok(()), Some(commands)) => (commands, name, Some(session)),
                    (checked, _) => {
                        lock(arc).router.disconnected(session);
                        checked?;
                        return Err(RefusalReason::SessionStopped { session: name });
                    }
                }
            }
            Route::NewSession {
                template,
                config,
                len,
            } => {
                let key = config.key();
                routing.check_logon(&key, &first[..len], peer, cert.as_deref())?;
                let commands = new_from_template(arc, template, *config)?;
                (commands, key.to_string(), None)
            }
        };
        let attach = Command::Attach {
            stream,
            peer: peer.to_string(),
            certificate: cert,
            first,
        };
        if commands.send_with(|| attach).await.is_err() {
            // The session's handles were all dropped meanwhile.
            if let Some(session) = registered {
                lock(arc).router.disconnected(session);
            }
            return Err(RefusalReason::SessionStopped { session: name });
        }
        return Ok(());
    }
}

/// Creates, registers and announces the session a template allows.
fn new_from_template(
    arc: &Arc<Mutex<Shared>>,
    template: TemplateId,
    config: SessionConfig,
) -> Result<CommandSender<Command>, RefusalReason> {
    let name = config.key().to_string();
    let not_created = |reason: String| RefusalReason::SessionNotCreated {
        session: name.clone(),
        reason,
    };
    let mut shared = lock(arc);
    let rules = shared
        .router
        .template(template)
        .map(|t| t.rules.clone())
        .ok_or_else(|| not_created("no such template".into()))?;
    let Some((make_options, _)) = shared.templates.get(template.0) else {
        return Err(not_created("no such template".into()));
    };
    let mut options = make_options(&config);
    let core = new_core(config, &mut options).map_err(|e| not_created(e.to_string()))?;
    let (sink, events) = crate::delivery::channel(options.event_capacity);
    let handle = register(arc, &mut shared, core, sink, &options, rules);
    let id = shared.next_id - 1;
    shared.router.connected(id);
    let commands = handle.commands();
    if let Some((_, new_sessions)) = shared.templates.get(template.0) {
        let _ = new_sessions.send((handle, events));
    }
    log::info!("session {name} created from a template");
    Ok(commands)
}
