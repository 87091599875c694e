//! Acceptors: listening sockets, accepted connections waiting for their
//! first Logon, routing that Logon to its session (the connection then
//! becomes the session's link), and refusing the others.

use super::entry::{Entry, Link, LinkIo, LinkRef};
use super::input;
use super::link::{self, interest, reregister};
use super::service::finish_input;
use super::{slot_token, EventLoop, LISTENER_BIT, PENDING_BIT};
use crate::error::EngineError;
use crate::options::EngineSettings;
use crate::refusal::{RefusalReason, RefusedConnection};
use crate::shared::SessionRef;
use crate::timers::TimerOwner;
use crate::transport::{LinkInfo, LinkSide, Transport, TransportFactory};
use fixrs_proto::framing::{scan, Scan};
use fixrs_proto::{tag, FieldIndex, FrameConfig, FrameError};
use fixrs_session::SessionState;
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

/// Routing key of acceptor sessions: BeginString, our SenderCompID, our
/// TargetCompID.
pub(super) type RouteKey = (String, String, String);

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
        let deadline = self.ctx.now + self.ctx.settings.logon_timeout;
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

    /// Reads a waiting connection's first bytes; routes its first message
    /// once complete.
    fn read_first(&mut self, idx: u32, gen: u32) {
        let max = self.ctx.settings.max_logon_size;
        let frame = FrameConfig {
            max_message_size: max,
            verify_checksum: true,
        };
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
                    let reason = match scan(&p.buf, &frame) {
                        Scan::Complete(len) => {
                            self.route(idx, gen, len);
                            return;
                        }
                        Scan::Incomplete(_) if p.buf.len() < max => continue,
                        Scan::Incomplete(_) | Scan::Garbled(FrameError::TooLarge { .. }) => {
                            RefusalReason::TooLarge { limit: max }
                        }
                        Scan::Garbled(err) => RefusalReason::Garbled(err),
                    };
                    self.refuse(idx, gen, reason);
                    return;
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

    /// Routes the first message (`len` bytes at the start of the waiting
    /// connection's buffer) to the acceptor session it names, or refuses
    /// the connection without a reply.
    fn route(&mut self, pidx: u32, pgen: u32, len: usize) {
        let Some(p) = self.pending.get_mut(pidx, pgen) else {
            return;
        };
        let port = p.port;
        let peer_addr = p.peer;
        let buf = std::mem::take(&mut p.buf);
        let mut index = FieldIndex::new();
        let msg = match index.parse(&buf[..len]) {
            Ok(msg) => msg,
            Err(err) => {
                self.refuse(pidx, pgen, RefusalReason::Unparsable(err));
                return;
            }
        };
        if msg.msg_type() != tag::msg_type::LOGON {
            let msg_type = String::from_utf8_lossy(msg.msg_type()).into_owned();
            self.refuse(pidx, pgen, RefusalReason::NotLogon { msg_type });
            return;
        }
        let text = |t| std::str::from_utf8(msg.get(t).unwrap_or(b"")).unwrap_or("");
        let opt = |t| msg.get(t).and_then(|v| std::str::from_utf8(v).ok());
        let begin = std::str::from_utf8(msg.begin_string()).unwrap_or("");
        let route: RouteKey = (
            begin.to_string(),
            text(tag::TARGET_COMP_ID).to_string(),
            text(tag::SENDER_COMP_ID).to_string(),
        );
        let candidates = self.routes.get(&route).cloned().unwrap_or_default();
        let mut chosen = None;
        for sref in candidates {
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                continue;
            };
            let cfg = e.session.config();
            let matches = |ours: &Option<String>, theirs: Option<&str>| {
                ours.as_deref().is_none_or(|o| Some(o) == theirs)
            };
            if e.accept_port.is_some_and(|p| p != port)
                || !matches(&cfg.target_sub_id, opt(tag::SENDER_SUB_ID))
                || !matches(&cfg.sender_sub_id, opt(tag::TARGET_SUB_ID))
                || !matches(&cfg.target_location_id, opt(tag::SENDER_LOCATION_ID))
                || !matches(&cfg.sender_location_id, opt(tag::TARGET_LOCATION_ID))
            {
                continue;
            }
            chosen = Some(sref);
            break;
        }
        let Some(sref) = chosen else {
            let reason = self.unknown_session(route);
            self.refuse(pidx, pgen, reason);
            return;
        };
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            self.close_pending(pidx, pgen);
            return;
        };
        let utc = self.ctx.utc;
        if !e.allowed_remote_addresses.is_empty()
            && !e.allowed_remote_addresses.contains(&peer_addr.ip())
        {
            let peer = self
                .pending
                .get_mut(pidx, pgen)
                .map(|p| p.transport.describe());
            let text = format!(
                "Logon from {} refused: not in AllowedRemoteAddresses: connection closed",
                peer.unwrap_or_default()
            );
            e.log_event(utc, &text);
            let session = e.shared().key.to_string();
            self.refuse(pidx, pgen, RefusalReason::AddressNotAllowed { session });
            return;
        }
        if e.link.is_some() {
            let session = e.shared().key.to_string();
            self.refuse(pidx, pgen, RefusalReason::DuplicateLogon { session });
            return;
        }
        let peer_identity = self
            .pending
            .get_mut(pidx, pgen)
            .and_then(|p| p.transport.peer_identity());
        e.handle.shared.set_peer_identity(peer_identity);
        if let Err(refused) = e.app.from_admin(&e.handle, &msg) {
            e.handle.shared.set_peer_identity(None);
            e.log_event(utc, &refused.to_string());
            let session = e.shared().key.to_string();
            let reason = refused.to_string();
            self.refuse(
                pidx,
                pgen,
                RefusalReason::RefusedByApplication { session, reason },
            );
            return;
        }
        drop(index);
        let Some(p) = self.pending.remove(pidx, pgen) else {
            return;
        };
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            bind(&mut self.ctx, e, p, buf);
        }
    }

    /// Why no session takes a Logon with this routing key: a session with
    /// these CompIDs may exist for another BeginString.
    fn unknown_session(&self, route: RouteKey) -> RefusalReason {
        let (begin_string, ours, theirs) = route;
        let other = self.routes.iter().find(|((b, s, t), refs)| {
            *s == ours && *t == theirs && !refs.is_empty() && *b != begin_string
        });
        match other {
            Some(((expected, _, _), _)) => RefusalReason::WrongBeginString {
                session: format!("{expected}:{ours}->{theirs}"),
                expected: expected.clone(),
                received: begin_string,
            },
            None => RefusalReason::UnknownSession {
                begin_string,
                sender_comp_id: theirs,
                target_comp_id: ours,
            },
        }
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
        let now = self.ctx.now;
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
    let (now, utc) = (ctx.now, ctx.utc);
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
        e.session.connect(now, utc);
    }
    e.discard_transmit();
    e.apply_to_admin();
    e.log_event(utc, &format!("Accepted connection from {peer}"));
    log::info!("session {}: Logon from {peer}", e.shared().key);
    e.session.handle_link_up(now, utc);
    e.session.handle_input(&buf, now, utc);
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
