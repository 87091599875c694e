//! Acceptors: listening sockets, accepted connections waiting for their
//! first Logon, and what the session layer's router decides about them:
//! the connection becomes the link of the session its Logon is for, or it
//! is closed without a reply and reported.

use super::entry::{Entry, Link, LinkIo, LinkRef};
use super::input;
use super::link::{self, interest, reregister};
use super::service::finish_input;
use super::{slot_token, EventLoop, LISTENER_BIT, PENDING_BIT};
use crate::error::EngineError;
use crate::options::EngineSettings;
use crate::refusal::RefusedConnection;
use crate::shared::SessionRef;
use crate::timers::TimerOwner;
use crate::transport::{LinkInfo, LinkSide, Transport, TransportFactory};
use fixrs_proto::FieldIndex;
use fixrs_session::{RefusalReason, Route, SessionState};
use mio::net::TcpListener;
use mio::{Interest, Token};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// A listening socket.
pub(super) struct Listener {
    pub(super) socket: TcpListener,
    factory: Arc<dyn TransportFactory>,
    port: u16,
}

/// An accepted connection waiting for its first Logon.
pub(super) struct PendingConn {
    transport: Box<dyn Transport>,
    /// The port of the listener that accepted it.
    port: u16,
    peer: SocketAddr,
    /// What it sent so far.
    buf: Vec<u8>,
    registered: Interest,
    /// The logon timeout.
    deadline: Instant,
    timer_queued: Option<Instant>,
}

fn pending_token(idx: u32, gen: u32) -> Token {
    Token(PENDING_BIT | slot_token(idx, gen))
}

impl EventLoop {
    pub(super) fn listen(
        &mut self,
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
    ) -> Result<SocketAddr, EngineError> {
        let listen_err = |source| EngineError::Listen { addr, source };
        let mut socket = crate::transport::listen_on(addr, reuse_address).map_err(listen_err)?;
        let local = socket.local_addr().map_err(listen_err)?;
        let token = Token(LISTENER_BIT | self.listeners.len());
        self.ctx
            .poll
            .registry()
            .register(&mut socket, token, Interest::READABLE)
            .map_err(listen_err)?;
        log::info!("listening for FIX connections on {local}");
        self.listeners.push(Listener {
            socket,
            factory,
            port: local.port(),
        });
        Ok(local)
    }

    /// Stops listening (while stopping).
    pub(super) fn close_listeners(&mut self) {
        for l in &mut self.listeners {
            let _ = self.ctx.poll.registry().deregister(&mut l.socket);
        }
        self.listeners.clear();
    }

    /// Accepts what the listener `idx` has waiting.
    pub(super) fn accept(&mut self, idx: usize) {
        loop {
            let Some(l) = self.listeners.get_mut(idx) else {
                return;
            };
            let (stream, peer) = match l.socket.accept() {
                Ok(s) => s,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    // Out of descriptors and the like: try again on the
                    // next readiness rather than spin.
                    log::warn!("accept failed: {err}");
                    return;
                }
            };
            let settings = &self.ctx.settings;
            if self.pending.len() >= settings.max_pending_connections {
                log::warn!("too many connections waiting for Logon: {peer} closed");
                report_refusal(settings, peer, RefusalReason::TooManyPending);
                continue;
            }
            if let Err(err) = settings.socket.apply(&stream) {
                log::warn!("cannot set socket options for {peer}: {err}");
                continue;
            }
            let info = LinkInfo {
                side: LinkSide::Acceptor,
                peer,
                host: "",
            };
            let port = l.port;
            match l.factory.wrap(stream, &info) {
                Ok(transport) => self.add_pending(transport, port, peer),
                Err(err) => log::warn!("cannot set up connection from {peer}: {err}"),
            }
        }
    }

    /// Registers an accepted connection and its logon timeout.
    fn add_pending(&mut self, mut transport: Box<dyn Transport>, port: u16, peer: SocketAddr) {
        let deadline = self.ctx.time.instant + self.ctx.settings.logon_timeout;
        let transport_deadline = transport.poll_timeout();
        let registered = interest(true, transport.wants_write());
        let (idx, gen) = self.pending.next_key();
        let token = pending_token(idx, gen);
        let registry = self.ctx.poll.registry();
        if let Err(err) = registry.register(transport.source(), token, registered) {
            log::warn!("cannot register connection from {peer}: {err}");
            return;
        }
        log::debug!("accepted connection from {peer}");
        let mut timer_queued = None;
        self.ctx.timers.schedule(
            TimerOwner::Pending { idx, gen },
            Some(deadline.min(transport_deadline.unwrap_or(deadline))),
            &mut timer_queued,
        );
        self.pending.insert_with(|_, _| PendingConn {
            transport,
            port,
            peer,
            buf: Vec::new(),
            registered,
            deadline,
            timer_queued,
        });
    }

    /// Serves the readiness of a connection waiting for its Logon.
    pub(super) fn pending_ready(&mut self, idx: u32, gen: u32, readable: bool) {
        let Some(p) = self.pending.get_mut(idx, gen) else {
            return;
        };
        if let Err(err) = p.transport.flush() {
            if err.kind() != io::ErrorKind::WouldBlock {
                self.refuse(idx, gen, RefusalReason::Transport(err));
                return;
            }
        }
        if readable {
            self.read_first(idx, gen);
        } else {
            self.pending_interest(idx, gen);
        }
    }

    /// Registers the readiness the transport of a waiting connection needs.
    fn pending_interest(&mut self, idx: u32, gen: u32) {
        if let Some(p) = self.pending.get_mut(idx, gen) {
            let wanted = interest(p.transport.wants_read(), p.transport.wants_write());
            reregister(
                self.ctx.poll.registry(),
                p.transport.source(),
                pending_token(idx, gen),
                &mut p.registered,
                wanted,
            );
        }
    }

    /// Reads a waiting connection's first bytes until the router can say
    /// where the connection belongs.
    fn read_first(&mut self, idx: u32, gen: u32) {
        loop {
            let Some(p) = self.pending.get_mut(idx, gen) else {
                return;
            };
            match p.transport.read(&mut self.ctx.read_buf) {
                Ok(0) => {
                    log::debug!("connection closed before Logon");
                    self.close_pending(idx, gen);
                    return;
                }
                Ok(n) => {
                    p.buf.extend_from_slice(&self.ctx.read_buf[..n]);
                    match self.ctx.router.route(&p.buf, p.port, p.peer) {
                        Route::Incomplete => {}
                        route => {
                            self.routed(idx, gen, route);
                            return;
                        }
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.pending_interest(idx, gen);
                    return;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.refuse(idx, gen, RefusalReason::Transport(err));
                    return;
                }
            }
        }
    }

    /// Acts on the router's decision about a waiting connection.
    fn routed(&mut self, idx: u32, gen: u32, route: Route<SessionRef>) {
        match route {
            Route::Incomplete => {}
            Route::Session { session, len } => self.accept_logon(idx, gen, session, len, false),
            Route::NewSession {
                template,
                config,
                len,
            } => self.create_from_template(idx, gen, template, *config, len),
            Route::Refuse { reason, session } => {
                if let (RefusalReason::AddressNotAllowed { .. }, Some(sref)) = (&reason, session) {
                    self.log_not_allowed(idx, gen, sref);
                }
                self.refuse(idx, gen, reason);
            }
        }
    }

    /// Tells the session's log of a Logon from an address it does not
    /// take Logons from.
    fn log_not_allowed(&mut self, idx: u32, gen: u32, sref: SessionRef) {
        let (Some(p), Some(e)) = (
            self.pending.get_mut(idx, gen),
            self.sessions.get_mut(sref.idx, sref.gen),
        ) else {
            return;
        };
        let peer = p.transport.describe();
        let text =
            format!("Logon from {peer} refused: not in AllowedRemoteAddresses: connection closed");
        e.log_event(self.ctx.time.utc, &text);
    }

    /// Shows the first Logon (the first `len` bytes the connection sent)
    /// to the application of the session it is for, then makes the
    /// connection that session's link, or refuses it if the application
    /// does (a session just `created` from a template for it then goes
    /// too).
    pub(super) fn accept_logon(
        &mut self,
        pidx: u32,
        pgen: u32,
        sref: SessionRef,
        len: usize,
        created: bool,
    ) {
        let Some(p) = self.pending.get_mut(pidx, pgen) else {
            return;
        };
        let buf = std::mem::take(&mut p.buf);
        let peer_identity = p.transport.peer_identity();
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            self.close_pending(pidx, pgen);
            return;
        };
        let mut index = FieldIndex::new();
        let Ok(msg) = index.parse(&buf[..len]) else {
            // The router read it already.
            self.close_pending(pidx, pgen);
            return;
        };
        e.handle.shared.set_peer_identity(peer_identity);
        if let Err(refused) = e.app.from_admin(&e.handle, &msg) {
            e.handle.shared.set_peer_identity(None);
            e.log_event(self.ctx.time.utc, &refused.to_string());
            let session = e.shared().key.to_string();
            let reason = refused.to_string();
            let reason = RefusalReason::RefusedByApplication { session, reason };
            self.refuse(pidx, pgen, reason);
            if created {
                self.finalize(sref);
            }
            return;
        }
        drop(index);
        let Some(p) = self.pending.remove(pidx, pgen) else {
            return;
        };
        self.ctx.router.connected(sref);
        bind(&mut self.ctx, e, p, buf);
    }

    /// Closes a connection waiting for its Logon, and reports why.
    pub(super) fn refuse(&mut self, idx: u32, gen: u32, reason: RefusalReason) {
        let Some(p) = self.pending.get_mut(idx, gen) else {
            return;
        };
        let peer = p.peer;
        self.close_pending(idx, gen);
        report_refusal(&self.ctx.settings, peer, reason);
    }

    /// Closes a connection waiting for its Logon.
    pub(super) fn close_pending(&mut self, idx: u32, gen: u32) {
        if let Some(mut p) = self.pending.remove(idx, gen) {
            let _ = self.ctx.poll.registry().deregister(p.transport.source());
            let _ = p.transport.shutdown();
        }
    }

    /// A waiting connection's timer fired: its transport's deadline (a TLS
    /// handshake) or the logon timeout.
    pub(super) fn pending_timer(&mut self, idx: u32, gen: u32, due: Instant) {
        let now = self.ctx.time.instant;
        let Some(p) = self.pending.get_mut(idx, gen) else {
            return;
        };
        if p.timer_queued != Some(due) {
            return;
        }
        p.timer_queued = None;
        let t = &mut p.transport;
        if t.poll_timeout().is_some_and(|d| d <= now) {
            if let Err(err) = t.handle_timeout(now) {
                self.refuse(idx, gen, RefusalReason::Transport(err));
                return;
            }
        }
        if p.deadline <= now {
            self.refuse(idx, gen, RefusalReason::LogonTimeout);
            return;
        }
        let next = p
            .transport
            .poll_timeout()
            .map_or(p.deadline, |d| d.min(p.deadline));
        let owner = TimerOwner::Pending { idx, gen };
        self.ctx
            .timers
            .schedule(owner, Some(next), &mut p.timer_queued);
    }
}

/// Makes a routed connection the session's link and hands the session its
/// first bytes (the Logon, and what came with it).
fn bind(ctx: &mut super::Ctx, e: &mut Entry, mut p: PendingConn, buf: Vec<u8>) {
    let now = ctx.time;
    let utc = now.utc;
    let sref: SessionRef = e.sref();
    let serial = ctx.next_serial();
    let l = LinkRef {
        idx: sref.idx,
        serial,
    };
    if let Err(err) = ctx
        .poll
        .registry()
        .reregister(p.transport.source(), l.token(), p.registered)
    {
        log::warn!("cannot reregister connection: {err}");
    }
    let peer = p.transport.describe();
    let mut link = Link::new(LinkIo::Open(p.transport), serial, p.registered);
    link::schedule_timer(ctx, sref.idx, &mut link);
    e.link = Some(link);
    ctx.links += 1;
    e.logon_already_checked = true;
    if matches!(
        e.session.state(),
        SessionState::Initial
            | SessionState::CorrectlyTerminated
            | SessionState::NonGracefullyTerminated
    ) {
        e.session.connect(now);
    }
    e.discard_transmit();
    e.apply_to_admin();
    e.log_event(utc, &format!("Accepted connection from {peer}"));
    log::info!("session {}: Logon from {peer}", e.shared().key);
    e.session.handle_link_up(now);
    e.session.handle_input(&buf, now);
    finish_input(ctx, e);
    // Bytes may have arrived after the Logon in the same segment burst.
    if e.has_link(serial) {
        let end = input::read(ctx, e, serial, false);
        input::after_read(ctx, e, l, end);
    }
}

/// Reports a refused connection to the engine's hook, or logs it.
pub(super) fn report_refusal(settings: &EngineSettings, peer: SocketAddr, reason: RefusalReason) {
    let refused = RefusedConnection { peer, reason };
    match &settings.on_refused {
        // The hook's owner reports it (and may rate-limit a flood).
        Some(hook) => {
            log::debug!("{refused}");
            hook.call(&refused);
        }
        None => log::info!("{refused}"),
    }
}
