//! The event loop: one thread, one mio `Poll`, every session and socket of
//! an engine.
//!
//! Each iteration: run queued commands, sleep in `poll` until the earliest
//! timer or readiness, read the clock once, serve ready sockets (reading in
//! large chunks into one shared buffer and feeding the sessions), fire due
//! timers. After every input to a session its outputs are drained
//! ("serviced"): events become application callbacks, OpenLink/CloseLink
//! open or close sockets, pending bytes are written in as few system calls
//! as the socket allows, and its next deadline goes into the timer heap.
//! Sockets are non-blocking: a session whose peer reads slowly keeps its
//! bytes (bounded) and waits for write readiness while the others run.

use crate::app::{AdminRejection, LogonFields, Rejection};
use crate::deadline::{DeadlineTimer, DEADLINE};
use crate::engine::{Command, ConnectTarget, EngineShared, NewSession};
use crate::error::EngineError;
use crate::filelog::FileLog;
use crate::handle::{next_record, state_to_u8, SessionHandle, SessionRef, SessionShared};
use crate::refusal::{RefusalReason, RefusedConnection};
use crate::timers::{TimerOwner, Timers};
use crate::transport::{LinkInfo, LinkSide, Transport, TransportFactory};
use crate::EngineSettings;
use fixrs_proto::framing::{scan, Scan};
use fixrs_proto::{tag, FieldIndex, FrameConfig, FrameError, MessageBuilder, UtcTimestamp};
use fixrs_session::{Event, MessageRejection, Role, Session, SessionState};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The token of the engine's waker.
pub(crate) const WAKER: Token = Token(0);
/// Tokens with this bit set are listeners (index in the low bits).
const LISTENER_BIT: usize = 1 << 62;

/// A listening socket.
struct Listener {
    socket: TcpListener,
    factory: Arc<dyn TransportFactory>,
    port: u16,
}

/// A connection's slot: index and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ConnRef {
    idx: u32,
    gen: u32,
}

impl ConnRef {
    fn token(self) -> Token {
        Token(((self.gen as usize) << 32) | (self.idx as usize + 1))
    }

    fn from_token(t: Token) -> ConnRef {
        ConnRef {
            idx: ((t.0 & 0xffff_ffff) as u32).wrapping_sub(1),
            gen: ((t.0 >> 32) & 0x3fff_ffff) as u32,
        }
    }
}

enum ConnIo {
    /// A TCP connect in progress (initiator).
    Connecting(TcpStream),
    /// A connected stream.
    Open(Box<dyn Transport>),
    /// No stream (only while one is being moved in or out).
    Detached,
}

impl ConnIo {
    fn source(&mut self) -> Option<&mut dyn mio::event::Source> {
        match self {
            ConnIo::Connecting(s) => Some(s),
            ConnIo::Open(t) => Some(t.source()),
            ConnIo::Detached => None,
        }
    }
}

enum ConnState {
    /// Initiator: waiting for the TCP connect to complete.
    Connecting {
        session: SessionRef,
        host: String,
        factory: Arc<dyn TransportFactory>,
    },
    /// Acceptor: accepted, waiting for the first Logon to route it.
    AwaitingLogon {
        port: u16,
        buf: Vec<u8>,
        peer: SocketAddr,
    },
    /// Carrying a session's bytes.
    Bound { session: SessionRef, closing: bool },
}

struct Conn {
    io: ConnIo,
    state: ConnState,
    registered: Interest,
    deadline: Option<Instant>,
    timer_queued: Option<Instant>,
    /// Received bytes not yet fed to the session (backpressure).
    held: Vec<u8>,
    /// Reading stopped because of backpressure; resumes on write readiness.
    paused: bool,
}

struct Slot<T> {
    gen: u32,
    item: Option<T>,
}

/// A slab of items addressed by index and generation.
struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    fn insert_with(&mut self, make: impl FnOnce(u32, u32) -> T) -> (u32, u32) {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot { gen: 0, item: None });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[idx as usize];
        slot.item = Some(make(idx, slot.gen));
        self.len += 1;
        (idx, slot.gen)
    }

    fn get_mut(&mut self, idx: u32, gen: u32) -> Option<&mut T> {
        match self.slots.get_mut(idx as usize) {
            Some(s) if s.gen == gen => s.item.as_mut(),
            _ => None,
        }
    }

    fn remove(&mut self, idx: u32, gen: u32) -> Option<T> {
        let slot = self.slots.get_mut(idx as usize)?;
        if slot.gen != gen {
            return None;
        }
        let item = slot.item.take()?;
        slot.gen = slot.gen.wrapping_add(1) & 0x3fff_ffff;
        self.free.push(idx);
        self.len -= 1;
        Some(item)
    }

    fn refs(&self) -> Vec<(u32, u32)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.item.is_some())
            .map(|(i, s)| (i as u32, s.gen))
            .collect()
    }
}

/// One session hosted by the loop.
struct Entry {
    session: Session,
    app: Box<dyn crate::Application>,
    handle: SessionHandle,
    conn: Option<ConnRef>,
    target: Option<ConnectTarget>,
    timer_queued: Option<Instant>,
    log: Option<FileLog>,
    /// Bytes at the start of the session's transmit buffer already logged.
    logged_upto: usize,
    /// Messages taken from the inbox (records) and the position of the
    /// first one not yet given to the session.
    records: Vec<u8>,
    records_pos: usize,
    accept_port: Option<u16>,
    /// The only peer addresses an acceptor takes a Logon from (empty: any).
    allowed_remote_addresses: Vec<std::net::IpAddr>,
    /// Socket options of this initiator's connections.
    socket: Option<crate::SocketOptions>,
    /// The acceptor's first Logon was already shown to `from_admin` while
    /// routing it.
    logon_already_checked: bool,
    /// The current link's transport has not yet told who the peer is
    /// (a TLS handshake still running): ask it on every read.
    peer_identity_pending: bool,
    /// What callbacks run between two messages of one input asked for,
    /// for the next service to act on.
    outcome: EventOutcome,
    /// In `unflushed_stores`.
    store_flush_queued: bool,
}

impl Entry {
    fn shared(&self) -> &SessionShared {
        &self.handle.shared
    }
}

/// Routing key of acceptor sessions: BeginString, our SenderCompID, our
/// TargetCompID.
type RouteKey = (String, String, String);

pub(crate) struct EventLoop {
    poll: Poll,
    shared: Arc<EngineShared>,
    settings: EngineSettings,
    sessions: Slab<Entry>,
    conns: Slab<Conn>,
    listeners: Vec<Listener>,
    routes: HashMap<RouteKey, Vec<SessionRef>>,
    timers: Timers,
    /// Wakes the poll at the earliest deadline (Linux); `None` to use poll
    /// timeouts instead.
    deadline_timer: Option<DeadlineTimer>,
    read_buf: Vec<u8>,
    builder: MessageBuilder,
    commands: std::collections::VecDeque<Command>,
    /// Connections whose read budget ran out with bytes still waiting.
    read_again: Vec<ConnRef>,
    read_again_spare: Vec<ConnRef>,
    /// Sessions whose file log has unflushed lines.
    dirty_logs: Vec<SessionRef>,
    /// Sessions whose store has changes to flush before the loop sleeps
    /// (incoming MsgSeqNums of a session that only received).
    unflushed_stores: Vec<SessionRef>,
    /// Timer entries being fired (kept for its capacity).
    due: Vec<(Instant, TimerOwner)>,
    pending_logons: usize,
    now: Instant,
    utc: UtcTimestamp,
    stopping: Option<Instant>,
    stop: bool,
}

/// Most bytes handed to a session at once, so that the output a burst of
/// requests causes (resends) is checked against the backlog bound often.
const FEED_SLICE: usize = 4096;

/// Messages taken from an inbox between two writes to the socket.
const WRITE_EVERY: usize = 1024;

/// Batches of put messages one service of a session takes at most.
const MAX_DRAINS_PER_SERVICE: usize = 16;

/// Unwritten bytes of a session beyond which it takes no more put
/// messages until the socket drains.
const DRAIN_PAUSE: usize = 1 << 20;

/// What feeding bytes to a session ended with.
enum Fed {
    /// Everything was fed.
    All,
    /// The backlog went over its bound; the rest is held.
    Held,
    /// The connection was closed or rebound meanwhile.
    Gone,
}

/// What reading a connection ended with.
enum ReadEnd {
    /// The socket has nothing more now.
    Drained,
    /// The budget ran out; read again soon.
    Budget,
    /// The peer closed the stream or it failed.
    Broken(Option<io::Error>),
    /// The connection was closed or rebound while reading.
    Gone,
}

impl EventLoop {
    pub(crate) fn new(
        poll: Poll,
        shared: Arc<EngineShared>,
        settings: EngineSettings,
    ) -> EventLoop {
        let (now, utc) = crate::engine::clock();
        let deadline_timer = DeadlineTimer::new(poll.registry()).ok();
        EventLoop {
            deadline_timer,
            poll,
            shared,
            read_buf: vec![0; settings.read_buffer_size.max(1024)],
            settings,
            sessions: Slab::new(),
            conns: Slab::new(),
            listeners: Vec::new(),
            routes: HashMap::new(),
            timers: Timers::default(),
            builder: MessageBuilder::default(),
            commands: std::collections::VecDeque::new(),
            read_again: Vec::new(),
            read_again_spare: Vec::new(),
            dirty_logs: Vec::new(),
            unflushed_stores: Vec::new(),
            due: Vec::new(),
            pending_logons: 0,
            now,
            utc,
            stopping: None,
            stop: false,
        }
    }

    /// Runs until a Stop command; then closes everything.
    pub(crate) fn run(&mut self) {
        self.shared.mark_loop_thread();
        let mut events = Events::with_capacity(1024);
        loop {
            self.run_commands();
            if self.stop
                || self
                    .stopping
                    .is_some_and(|end| self.now >= end || !self.any_link())
            {
                break;
            }
            self.flush_stores();
            self.flush_logs();
            let timeout = self.poll_timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::error!("engine poll failed: {e}");
                    break;
                }
            }
            self.shared.sleeping.store(false, Ordering::SeqCst);
            (self.now, self.utc) = crate::engine::clock();
            for ev in events.iter() {
                let token = ev.token();
                if token == WAKER {
                    continue;
                }
                if token == DEADLINE {
                    if let Some(timer) = &mut self.deadline_timer {
                        timer.fired();
                    }
                    continue;
                }
                if token.0 & LISTENER_BIT != 0 {
                    self.accept(token.0 & !LISTENER_BIT);
                } else {
                    let closed = ev.is_read_closed() || ev.is_error();
                    let readable = ev.is_readable() || closed;
                    let writable = ev.is_writable() || ev.is_write_closed();
                    self.conn_ready(ConnRef::from_token(token), readable, writable, !closed);
                }
            }
            if !self.read_again.is_empty() {
                // Swap with a spare list so that both keep their capacity.
                std::mem::swap(&mut self.read_again, &mut self.read_again_spare);
                for i in 0..self.read_again_spare.len() {
                    let c = self.read_again_spare[i];
                    self.conn_ready(c, true, false, false);
                }
                self.read_again_spare.clear();
            }
            self.fire_timers();
        }
        self.shutdown();
    }

    fn any_link(&self) -> bool {
        self.conns.len > 0
    }

    fn poll_timeout(&mut self) -> Option<Duration> {
        self.shared.sleeping.store(true, Ordering::SeqCst);
        let pending = self.shared.queued.load(Ordering::SeqCst);
        if pending || !self.read_again.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut deadline = self.timers.next_deadline();
        if let Some(end) = self.stopping {
            deadline = Some(deadline.map_or(end, |d| d.min(end)));
        }
        // The clock read once per iteration, after the last poll: a timeout
        // computed from it ends at most this iteration's work late.
        let now = self.now;
        if deadline.is_some_and(|d| d <= now) {
            return Some(Duration::ZERO);
        }
        if let Some(timer) = &mut self.deadline_timer {
            match timer.arm(deadline, now) {
                Ok(()) => return None,
                Err(e) => {
                    log::warn!("deadline timer failed, using poll timeouts: {e}");
                    self.deadline_timer = None;
                }
            }
        }
        deadline.map(|d| d.saturating_duration_since(now))
    }

    /// Writes the log lines buffered during this iteration.
    fn flush_logs(&mut self) {
        for i in 0..self.dirty_logs.len() {
            let sref = self.dirty_logs[i];
            if let Some(Entry { log: Some(log), .. }) = self.sessions.get_mut(sref.idx, sref.gen) {
                if let Err(e) = log.flush() {
                    log::warn!("cannot write FIX message log: {e}");
                }
            }
        }
        self.dirty_logs.clear();
    }

    /// Flushes the stores of sessions that processed messages since their
    /// store was last flushed (sending flushes it; receiving alone does
    /// not), so that every incoming MsgSeqNum reaches the store at least
    /// once per pass of the loop.
    fn flush_stores(&mut self) {
        for i in 0..self.unflushed_stores.len() {
            let sref = self.unflushed_stores[i];
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                continue;
            };
            e.store_flush_queued = false;
            if !e.session.flush_store() {
                // The error is one of its events.
                self.service(sref);
            }
        }
        self.unflushed_stores.clear();
    }

    /// Remembers to flush a session's log at the end of the iteration.
    fn note_log(&mut self, sref: SessionRef) {
        let dirty = matches!(
            self.sessions.get_mut(sref.idx, sref.gen),
            Some(Entry { log: Some(log), .. }) if log.is_dirty()
        );
        if dirty && !self.dirty_logs.contains(&sref) {
            self.dirty_logs.push(sref);
        }
    }

    // ---------------------------------------------------------------
    // Commands

    fn run_commands(&mut self) {
        // Cleared before taking the queue, so that a command queued after
        // the swap sets it again.
        while self.shared.queued.swap(false, Ordering::SeqCst) {
            {
                let Ok(mut q) = self.shared.commands.lock() else {
                    self.stop = true;
                    return;
                };
                std::mem::swap(&mut *q, &mut self.commands);
            }
            while let Some(c) = self.commands.pop_front() {
                self.command(c);
            }
        }
    }

    fn command(&mut self, command: Command) {
        let (now, utc) = (self.now, self.utc);
        match command {
            Command::Create { new, reply } => {
                let result = self.create(*new);
                // The caller may have given up waiting; nothing to undo.
                let _ = reply.send(result);
            }
            Command::Listen {
                addr,
                factory,
                reuse_address,
                reply,
            } => {
                let _ = reply.send(self.listen(addr, factory, reuse_address));
            }
            Command::Connect {
                session,
                heart_bt_int,
                target,
            } => {
                self.drain_inbox(session, true);
                let Some(e) = self.sessions.get_mut(session.idx, session.gen) else {
                    return;
                };
                if let Some(hb) = heart_bt_int {
                    e.session.config_mut().heart_bt_int = hb;
                }
                if let Some(t) = target {
                    e.target = Some(t);
                }
                if e.session.config().role == Role::Initiator {
                    if e.target.is_none() {
                        let err = EngineError::BadAddress("no counterparty configured".into());
                        e.app.on_error(&e.handle, &err);
                        return;
                    }
                    apply_to_admin(e);
                }
                e.session.connect(now, utc);
                self.service(session);
            }
            Command::Drain(session) => {
                if self.inbox_ready(session) {
                    self.drain_inbox(session, false);
                }
                self.service(session);
            }
            Command::Logout { session, text } => {
                self.drain_inbox(session, true);
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    e.session.logout(text.as_deref(), now, utc);
                    self.service(session);
                }
            }
            Command::Disconnect(session) => {
                self.drain_inbox(session, true);
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    e.session.disconnect(now, utc);
                    self.service(session);
                }
            }
            Command::ResetLocal(session) => {
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    e.session.reset_seq_num_local(now, utc);
                    self.service(session);
                }
            }
            Command::ResetAndLogon(session) => {
                self.drain_inbox(session, true);
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    apply_to_admin(e);
                    e.session.reset_seq_num_and_send_logon(now, utc);
                    self.service(session);
                }
            }
            Command::Finalize { session, done } => {
                self.finalize(session);
                let _ = done.send(());
            }
            Command::Stop { graceful } => {
                if graceful && self.stopping.is_none() {
                    self.stopping = Some(now + self.settings.stop_timeout);
                    for (idx, gen) in self.sessions.refs() {
                        let sref = SessionRef { idx, gen };
                        if let Some(e) = self.sessions.get_mut(idx, gen) {
                            match e.session.state() {
                                SessionState::Established | SessionState::WaitForConfirmLogon => {
                                    e.session.logout(None, now, utc);
                                    self.service(sref);
                                }
                                SessionState::WaitForConfirmLogout => {}
                                _ => {
                                    if let Some(c) = e.conn {
                                        self.close_conn(c);
                                    }
                                }
                            }
                        }
                    }
                    // Acceptors take no new connections while stopping.
                    for l in &mut self.listeners {
                        let _ = self.poll.registry().deregister(&mut l.socket);
                    }
                    self.listeners.clear();
                    for (idx, gen) in self.conns.refs() {
                        let awaiting = matches!(
                            self.conns.get_mut(idx, gen).map(|c| &c.state),
                            Some(ConnState::AwaitingLogon { .. } | ConnState::Connecting { .. })
                        );
                        if awaiting {
                            self.close_conn(ConnRef { idx, gen });
                        }
                    }
                } else if !graceful {
                    self.stop = true;
                }
            }
        }
    }

    fn create(&mut self, new: NewSession) -> Result<Arc<SessionShared>, EngineError> {
        let NewSession {
            allowed_remote_addresses,
            session,
            app,
            log_dir,
            accept_port,
            target,
            socket,
            max_outgoing_bytes,
        } = new;
        let key = session.key();
        let exists = self
            .sessions
            .slots
            .iter()
            .any(|s| s.item.as_ref().is_some_and(|e| *e.shared().key == key));
        if exists {
            return Err(EngineError::DuplicateSession(key.to_string()));
        }
        let log = match &log_dir {
            Some(dir) => Some(
                FileLog::open(dir, &key).map_err(|source| EngineError::FileLog {
                    path: dir.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let role = session.config().role;
        let route: RouteKey = (
            key.begin_string.clone(),
            key.sender_comp_id.clone(),
            key.target_comp_id.clone(),
        );
        let engine = self.shared.clone();
        let mut shared_out = None;
        let (idx, gen) = self.sessions.insert_with(|idx, gen| {
            let shared = Arc::new(SessionShared::new(
                SessionRef { idx, gen },
                key.clone(),
                session.config(),
                session.state(),
                session.next_target_seq_num(),
                session.next_sender_seq_num(),
                max_outgoing_bytes,
            ));
            shared_out = Some(shared.clone());
            Entry {
                session,
                app,
                handle: SessionHandle::new(engine, shared, false),
                conn: None,
                target,
                timer_queued: None,
                log,
                logged_upto: 0,
                records: Vec::new(),
                records_pos: 0,
                accept_port,
                allowed_remote_addresses,
                socket,
                logon_already_checked: false,
                peer_identity_pending: false,
                outcome: EventOutcome::default(),
                store_flush_queued: false,
            }
        });
        let sref = SessionRef { idx, gen };
        log::info!("session {key} created ({role:?})");
        if role == Role::Acceptor {
            self.routes.entry(route).or_default().push(sref);
            if let Some(e) = self.sessions.get_mut(idx, gen) {
                e.session.connect(self.now, self.utc);
            }
        }
        self.service(sref);
        shared_out.ok_or(EngineError::Stopped)
    }

    fn listen(
        &mut self,
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
    ) -> Result<SocketAddr, EngineError> {
        let listen_err = |source| EngineError::Listen { addr, source };
        let mut socket = crate::transport::listen_on(addr, reuse_address).map_err(listen_err)?;
        let local = socket.local_addr().map_err(listen_err)?;
        let token = Token(LISTENER_BIT | self.listeners.len());
        self.poll
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

    fn finalize(&mut self, sref: SessionRef) {
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        e.session.disconnect(self.now, self.utc);
        self.service(sref);
        if let Some(c) = self
            .sessions
            .get_mut(sref.idx, sref.gen)
            .and_then(|e| e.conn)
        {
            self.close_conn(c);
        }
        if let Some(mut e) = self.sessions.remove(sref.idx, sref.gen) {
            let key = e.shared().key.clone();
            if let Some(list) = self.routes.get_mut(&(
                key.begin_string.clone(),
                key.sender_comp_id.clone(),
                key.target_comp_id.clone(),
            )) {
                list.retain(|r| *r != sref);
            }
            if let Some(log) = &mut e.log {
                let _ = log.event(self.utc, "session finalized");
                let _ = log.flush();
            }
            e.shared().closed.store(true, Ordering::Release);
            log::info!("session {key} finalized");
        }
    }

    /// Feeds the messages put on a session to it, writing as it goes. When
    /// the socket stops taking bytes (the session's unwritten bytes pass
    /// [`DRAIN_PAUSE`]) the rest waits, still encoded as put, until write
    /// readiness: the session's buffer stays small and is reused instead of
    /// growing with everything the application put.
    ///
    /// With `all`, everything put so far is given to the session whatever
    /// the socket (before a Logout or reset, which must come after it).
    fn drain_inbox(&mut self, sref: SessionRef, all: bool) {
        let (now, utc) = (self.now, self.utc);
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        if e.records_pos >= e.records.len() {
            e.records.clear();
            e.records_pos = 0;
            let Ok(mut inbox) = e.handle.shared.inbox.lock() else {
                return;
            };
            std::mem::swap(&mut inbox.buf, &mut e.records);
            inbox.scheduled = false;
            e.handle
                .shared
                .inbox_pending
                .store(false, Ordering::Release);
        }
        let mut records = std::mem::take(&mut e.records);
        let mut pos = e.records_pos;
        if all && pos < records.len() {
            // Held messages first, then everything put since.
            let Ok(mut inbox) = e.handle.shared.inbox.lock() else {
                return;
            };
            records.extend_from_slice(&inbox.buf);
            inbox.buf.clear();
            inbox.scheduled = false;
            e.handle
                .shared
                .inbox_pending
                .store(false, Ordering::Release);
        }
        let mut since_write = 0;
        while let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            if !next_record(&records, &mut pos, &mut self.builder) {
                break;
            }
            if let Err(err) = e.session.send(&self.builder, now, utc) {
                log::warn!("session {}: message not sent: {err}", e.shared().key);
                e.app.on_error(&e.handle, &err);
            }
            // Write as we go, so that a large batch reaches the peer while
            // the rest is still being encoded.
            since_write += 1;
            if since_write == WRITE_EVERY {
                since_write = 0;
                if let Err(err) = self.write_out(sref) {
                    self.link_broken(sref, Some(err));
                }
                if !all && self.unsent(sref) > DRAIN_PAUSE {
                    break;
                }
            }
        }
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            e.handle
                .shared
                .held
                .store(records.len() - pos.min(records.len()), Ordering::Release);
            e.records = records;
            e.records_pos = pos;
        }
    }

    /// Bytes the session has encoded and not yet written.
    fn unsent(&mut self, sref: SessionRef) -> usize {
        self.sessions
            .get_mut(sref.idx, sref.gen)
            .map_or(0, |e| e.handle.shared.unsent.load(Ordering::Relaxed))
    }

    /// Whether messages put on the session wait and the socket can take
    /// more.
    fn inbox_ready(&mut self, sref: SessionRef) -> bool {
        self.sessions.get_mut(sref.idx, sref.gen).is_some_and(|e| {
            (e.records_pos < e.records.len()
                || e.handle.shared.inbox_pending.load(Ordering::Acquire))
                && e.handle.shared.unsent.load(Ordering::Relaxed) <= DRAIN_PAUSE
        })
    }

    // ---------------------------------------------------------------
    // Servicing a session

    /// Services a session after input, message by message: the session
    /// stops after each message its application sees; the callbacks run,
    /// what they put is given to the session, and only then does it
    /// process the next message of the input. Writing, timers and interest
    /// wait for the end of the input (or for what a callback asked).
    fn finish_input(&mut self, sref: SessionRef) {
        let (now, utc) = (self.now, self.utc);
        loop {
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                return;
            };
            if !e.session.has_pending_input() {
                self.service(sref);
                return;
            }
            let shared = &e.handle.shared;
            shared.answered.store(false, Ordering::Relaxed);
            let outer = shared.in_service.swap(true, Ordering::Relaxed);
            let outcome = drain_events(e, utc);
            let shared = &e.handle.shared;
            shared.in_service.store(outer, Ordering::Relaxed);
            let answered = shared.answered.swap(false, Ordering::Relaxed);
            if !outcome.is_empty() {
                // A link to open or close, a refusal, a reject: the full
                // service acts on it.
                e.outcome.merge(outcome);
                self.service(sref);
            }
            if answered {
                // What the callbacks put (and what was put before it) goes
                // to the session before the next message, whatever the
                // socket's backlog; put's own bound keeps that bounded.
                // Other puts wait for the socket as usual.
                self.drain_inbox(sref, true);
            }
            if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                e.session.handle_pending_input(now, utc);
            }
        }
    }

    /// Drains a session's outputs: events to callbacks, link requests,
    /// bytes to the socket, the next deadline to the timer heap.
    fn service(&mut self, sref: SessionRef) {
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        let outer = e.handle.shared.in_service.swap(true, Ordering::Relaxed);
        self.service_loop(sref);
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            e.handle.shared.in_service.store(outer, Ordering::Relaxed);
        }
        if !outer && self.inbox_ready(sref) {
            // The batch limit stopped the service with messages its
            // callbacks put still waiting: come back for them.
            self.schedule_drain(sref);
        }
        self.after_service(sref);
    }

    /// Queues a Drain command for the session unless one is queued.
    fn schedule_drain(&mut self, sref: SessionRef) {
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        let schedule = match e.handle.shared.inbox.lock() {
            Ok(mut inbox) => !std::mem::replace(&mut inbox.scheduled, true),
            Err(_) => false,
        };
        if schedule {
            // On the loop thread: queued without waking anything. A stopped
            // engine drops it, as it drops every command.
            let _ = self.shared.submit(Command::Drain(sref));
        }
    }

    /// The body of [`service`](EventLoop::service): events, links, writes
    /// and put messages until nothing is left to do (or the batch limit).
    fn service_loop(&mut self, sref: SessionRef) {
        let (now, utc) = (self.now, self.utc);
        let mut todo = match self.sessions.get_mut(sref.idx, sref.gen) {
            Some(e) => std::mem::take(&mut e.outcome),
            None => return,
        };
        let mut drains = 0;
        loop {
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                return;
            };
            todo.merge(drain_events(e, utc));

            if std::mem::take(&mut todo.refuse) {
                e.session.disconnect(now, utc);
                continue;
            }
            if let Some(rejection) = todo.reject.take() {
                // What the callback put goes out before its reject.
                self.drain_inbox(sref, true);
                if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                    if let Err(err) = e.session.reject(&rejection, now, utc) {
                        log::warn!("session {}: {rejection}: {err}", e.shared().key);
                        e.app.on_error(&e.handle, &err);
                    }
                }
                continue;
            }
            if std::mem::take(&mut todo.close) {
                if let Some(c) = e.conn {
                    self.start_closing(c);
                }
            }
            if std::mem::take(&mut todo.open) {
                if let Err(err) = self.open_link(sref) {
                    if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                        log::info!("session {}: connect failed: {err}", e.shared().key);
                        e.app.on_error(&e.handle, &err);
                        e.session.handle_link_down(now, utc);
                    }
                    continue;
                }
            }
            // Messages put (by the callbacks just run, or waiting for the
            // socket to drain) go out now, a bounded number of batches per
            // service so that a steady stream of puts cannot hold the loop.
            // They are encoded before writing, so that a reply put from a
            // callback leaves in the same write as what came before it.
            if drains < MAX_DRAINS_PER_SERVICE && self.inbox_ready(sref) {
                drains += 1;
                self.drain_inbox(sref, false);
                continue;
            }
            match self.write_out(sref) {
                Ok(()) => {}
                Err(err) => {
                    self.link_broken(sref, Some(err));
                    continue;
                }
            }
            // Writing may have made room for messages held back.
            if drains < MAX_DRAINS_PER_SERVICE && self.inbox_ready(sref) {
                drains += 1;
                self.drain_inbox(sref, false);
                continue;
            }
            break;
        }
    }

    /// Publishes a session's state, closes a link whose last bytes are
    /// out, arms the timer and sets the socket's interest.
    fn after_service(&mut self, sref: SessionRef) {
        self.note_log(sref);
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        if !e.store_flush_queued && e.session.store_needs_flush() {
            e.store_flush_queued = true;
            self.unflushed_stores.push(sref);
        }
        let shared = &e.handle.shared;
        shared
            .next_in
            .store(e.session.next_target_seq_num(), Ordering::Release);
        shared
            .next_out
            .store(e.session.next_sender_seq_num(), Ordering::Release);
        shared
            .state
            .store(state_to_u8(e.session.state()), Ordering::Release);
        self.timers.schedule(
            TimerOwner::Session {
                idx: sref.idx,
                gen: sref.gen,
            },
            e.session.poll_timeout(),
            &mut e.timer_queued,
        );
        let unsent = shared.unsent.load(Ordering::Relaxed);
        let limit = shared.max_outgoing_bytes;
        let Some(c) = e.conn else {
            return;
        };
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        if let (ConnState::Bound { closing: true, .. }, ConnIo::Open(t)) = (&conn.state, &conn.io) {
            if unsent == 0 && !t.wants_write() {
                self.close_conn(c);
                return;
            }
        }
        self.update_interest(c, unsent, limit);
    }

    /// Registers the readiness a connection needs: reading stops while its
    /// session's unwritten bytes are over `limit`.
    fn update_interest(&mut self, c: ConnRef, unsent: usize, limit: usize) {
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        let (read, write) = match (&conn.io, &conn.state) {
            (ConnIo::Connecting(_), _) => (false, true),
            (ConnIo::Open(t), ConnState::Bound { closing, .. }) => (
                !closing && t.wants_read() && unsent <= limit,
                unsent > 0 || t.wants_write(),
            ),
            (ConnIo::Open(t), _) => (t.wants_read(), t.wants_write()),
            (ConnIo::Detached, _) => return,
        };
        let interest = match (read, write) {
            (true, true) => Interest::READABLE | Interest::WRITABLE,
            (false, true) => Interest::WRITABLE,
            _ => Interest::READABLE,
        };
        if interest != conn.registered {
            conn.registered = interest;
            if let Some(src) = conn.io.source() {
                if let Err(e) = self.poll.registry().reregister(src, c.token(), interest) {
                    log::warn!("cannot reregister connection: {e}");
                }
            }
        }
    }

    /// Writes what the session has pending, as far as the socket takes it.
    fn write_out(&mut self, sref: SessionRef) -> io::Result<()> {
        let utc = self.utc;
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return Ok(());
        };
        let conn = e.conn.and_then(|c| self.conns.get_mut(c.idx, c.gen));
        let Some(Conn {
            io: ConnIo::Open(t),
            state: ConnState::Bound { .. },
            ..
        }) = conn
        else {
            return Ok(());
        };
        let mut unsent = 0;
        while let Some(bytes) = e.session.poll_transmit() {
            // The store was flushed by poll_transmit; the log is written to
            // the operating system at the same point, before the socket:
            // after a crash it holds every message the peer may have got.
            if let Some(log) = &mut e.log {
                if let Some(new) = bytes.get(e.logged_upto..) {
                    if !new.is_empty() {
                        if let Err(err) = log.messages(utc, new).and_then(|()| log.flush()) {
                            log::warn!("cannot write FIX message log: {err}");
                        }
                    }
                }
                e.logged_upto = bytes.len();
            }
            let len = bytes.len();
            match t.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    e.session.transmitted(n);
                    e.logged_upto = e.logged_upto.saturating_sub(n);
                    if n < len {
                        // The socket is full; write readiness will tell.
                        unsent = len - n;
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    unsent = len;
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        match t.flush() {
            Err(err) if err.kind() != io::ErrorKind::WouldBlock => return Err(err),
            _ => {}
        }
        e.handle.shared.unsent.store(unsent, Ordering::Release);
        Ok(())
    }

    // ---------------------------------------------------------------
    // Links

    /// Starts a TCP connect for an initiator session.
    fn open_link(&mut self, sref: SessionRef) -> Result<(), EngineError> {
        let now = self.now;
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return Ok(());
        };
        if let Some(old) = e.conn.take() {
            self.close_conn(old);
        }
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return Ok(());
        };
        let Some(target) = &mut e.target else {
            return Err(EngineError::BadAddress("no counterparty configured".into()));
        };
        let (addr, source) = target.pick(now);
        let reuse_address = target.reuse_address;
        let host = target.host.clone();
        let factory = target.factory.clone();
        apply_to_admin(e);
        log::debug!("session {}: connecting to {addr}", e.shared().key);
        if let Some(log) = &mut e.log {
            let _ = log.event(self.utc, &format!("Connecting to {addr}"));
        }
        let mut stream = crate::transport::connect_from(addr, source, reuse_address)?;
        let (idx, gen) = self.conns.insert_with(|_, _| Conn {
            io: ConnIo::Detached,
            state: ConnState::Connecting {
                session: sref,
                host,
                factory,
            },
            registered: Interest::WRITABLE,
            deadline: Some(now + self.settings.connect_timeout),
            timer_queued: None,
            held: Vec::new(),
            paused: false,
        });
        let c = ConnRef { idx, gen };
        if let Err(err) = self
            .poll
            .registry()
            .register(&mut stream, c.token(), Interest::WRITABLE)
        {
            self.conns.remove(idx, gen);
            return Err(err.into());
        }
        if let Some(conn) = self.conns.get_mut(idx, gen) {
            conn.io = ConnIo::Connecting(stream);
            self.timers.schedule(
                TimerOwner::Conn { idx, gen },
                conn.deadline,
                &mut conn.timer_queued,
            );
        }
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            e.conn = Some(c);
        }
        Ok(())
    }

    /// A connecting socket became writable: connected or failed.
    fn finish_connect(&mut self, c: ConnRef) {
        let (now, utc) = (self.now, self.utc);
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        let (ConnIo::Connecting(stream), ConnState::Connecting { session, .. }) =
            (&conn.io, &conn.state)
        else {
            return;
        };
        let sref = *session;
        let failure = match stream.take_error() {
            Ok(Some(err)) | Err(err) => Some(err),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => None,
                // Not connected yet: a spurious wake-up.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => return,
                Err(err) => Some(err),
            },
        };
        if let Some(err) = failure {
            self.close_conn(c);
            if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                log::info!("session {}: connect failed: {err}", e.shared().key);
                if let Some(log) = &mut e.log {
                    let _ = log.event(utc, &format!("Connection failed: {err}"));
                }
                e.session.handle_link_down(now, utc);
            }
            self.service(sref);
            return;
        }
        // Connected: apply options, wrap, hand to the session.
        let Some(mut conn) = self.conns.get_mut(c.idx, c.gen).map(|conn| {
            std::mem::replace(
                &mut conn.state,
                ConnState::Bound {
                    session: sref,
                    closing: false,
                },
            )
        }) else {
            return;
        };
        let ConnState::Connecting { host, factory, .. } = &mut conn else {
            return;
        };
        let socket = self
            .sessions
            .get_mut(sref.idx, sref.gen)
            .and_then(|e| e.socket)
            .unwrap_or(self.settings.socket);
        let wrapped = self.wrap_connected(c, host, factory.clone(), socket);
        if let Err(err) = wrapped {
            self.close_conn(c);
            if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                log::warn!(
                    "session {}: cannot set up connection: {err}",
                    e.shared().key
                );
                e.app.on_error(&e.handle, &err);
                e.session.handle_link_down(now, utc);
            }
            self.service(sref);
            return;
        }
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            discard_transmit(e);
            e.peer_identity_pending = true;
            if let Some(log) = &mut e.log {
                let _ = log.event(utc, "Connected");
            }
            e.session.handle_link_up(now, utc);
        }
        self.service(sref);
    }

    /// Replaces a connecting stream by its wrapped transport.
    fn wrap_connected(
        &mut self,
        c: ConnRef,
        host: &str,
        factory: Arc<dyn TransportFactory>,
        socket: crate::SocketOptions,
    ) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return Ok(());
        };
        let ConnIo::Connecting(_) = &conn.io else {
            return Ok(());
        };
        let ConnIo::Connecting(stream) = std::mem::replace(&mut conn.io, ConnIo::Detached) else {
            return Ok(());
        };
        socket.apply(&stream)?;
        let peer = stream.peer_addr()?;
        let transport = factory.wrap(
            stream,
            &LinkInfo {
                side: LinkSide::Initiator,
                peer,
                host,
            },
        )?;
        let transport_deadline = transport.poll_timeout();
        conn.io = ConnIo::Open(transport);
        conn.deadline = None;
        self.timers.schedule(
            TimerOwner::Conn {
                idx: c.idx,
                gen: c.gen,
            },
            transport_deadline,
            &mut conn.timer_queued,
        );
        Ok(())
    }

    /// The link of a session broke (peer closed, I/O error).
    fn link_broken(&mut self, sref: SessionRef, err: Option<io::Error>) {
        let (now, utc) = (self.now, self.utc);
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        let Some(c) = e.conn else {
            return;
        };
        match &err {
            Some(err) => {
                log::info!("session {}: link broken: {err}", e.shared().key);
                // The application learns why (a TLS transport's error is a
                // typed error inside the io::Error).
                e.app.on_error(&e.handle, err);
            }
            None => log::info!("session {}: peer closed the connection", e.shared().key),
        }
        if let Some(log) = &mut e.log {
            let _ = log.event(utc, "Disconnected");
        }
        self.close_conn(c);
        if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
            e.session.handle_link_down(now, utc);
        }
    }

    /// The session asked to close its link: it closes once its last bytes
    /// are written, or when the close timeout passes, whichever comes
    /// first, so that a peer that reads nothing cannot hold it open (nor
    /// keep the session from taking the counterparty's next Logon).
    fn start_closing(&mut self, c: ConnRef) {
        let deadline = self.now + self.settings.close_timeout;
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        let ConnState::Bound { closing, .. } = &mut conn.state else {
            return;
        };
        if *closing {
            // The first request's deadline stands.
            return;
        }
        *closing = true;
        conn.deadline = Some(deadline);
        self.timers.schedule(
            TimerOwner::Conn {
                idx: c.idx,
                gen: c.gen,
            },
            conn.deadline,
            &mut conn.timer_queued,
        );
    }

    /// Closes a link whose close timeout passed with bytes still unwritten:
    /// they are dropped and the connection reset, rather than left for the
    /// operating system to deliver to a peer that does not read.
    fn abort_conn(&mut self, c: ConnRef) {
        if let Some(Conn {
            io: ConnIo::Open(t),
            ..
        }) = self.conns.get_mut(c.idx, c.gen)
        {
            t.abort();
        }
        self.close_conn(c);
    }

    /// Closes a connection and detaches it from its session.
    fn close_conn(&mut self, c: ConnRef) {
        let Some(mut conn) = self.conns.remove(c.idx, c.gen) else {
            return;
        };
        if let Some(src) = conn.io.source() {
            let _ = self.poll.registry().deregister(src);
        }
        if let ConnIo::Open(t) = &mut conn.io {
            let _ = t.shutdown();
        }
        self.read_again.retain(|r| *r != c);
        match conn.state {
            ConnState::AwaitingLogon { .. } => {
                self.pending_logons = self.pending_logons.saturating_sub(1);
            }
            ConnState::Bound { session, .. } | ConnState::Connecting { session, .. } => {
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    if e.conn == Some(c) {
                        e.conn = None;
                        e.peer_identity_pending = false;
                        e.handle.shared.set_peer_identity(None);
                        discard_transmit(e);
                        release_buffers(e);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------
    // Readiness

    /// Serves a connection's readiness. `short_reads` allows taking a
    /// short read as "socket empty" (not when the peer's close was
    /// signalled with the data: reading on is what reveals it).
    fn conn_ready(&mut self, c: ConnRef, readable: bool, writable: bool, short_reads: bool) {
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        match &conn.state {
            ConnState::Connecting { .. } => {
                if writable || readable {
                    self.finish_connect(c);
                }
            }
            ConnState::AwaitingLogon { .. } => {
                if let ConnIo::Open(t) = &mut conn.io {
                    if let Err(err) = t.flush() {
                        if err.kind() != io::ErrorKind::WouldBlock {
                            self.refuse(c, RefusalReason::Transport(err));
                            return;
                        }
                    }
                }
                if readable {
                    self.read_unrouted(c);
                } else {
                    self.update_interest(c, 0, usize::MAX);
                }
            }
            ConnState::Bound { session, .. } => {
                let sref = *session;
                let paused = conn.paused;
                if writable {
                    self.service(sref);
                }
                if readable || (writable && paused) {
                    match self.read_bound(c, sref, short_reads) {
                        ReadEnd::Drained | ReadEnd::Gone => {}
                        ReadEnd::Budget => self.read_again.push(c),
                        ReadEnd::Broken(err) => {
                            if self.conn_is_closing(c) {
                                self.close_conn(c);
                            } else {
                                self.link_broken(sref, err);
                            }
                            self.service(sref);
                        }
                    }
                }
            }
        }
    }

    fn conn_is_closing(&mut self, c: ConnRef) -> bool {
        matches!(
            self.conns.get_mut(c.idx, c.gen),
            Some(Conn {
                state: ConnState::Bound { closing: true, .. },
                ..
            })
        )
    }

    /// The bound of a session's outgoing backlog.
    fn outgoing_bound(&mut self, sref: SessionRef) -> usize {
        self.sessions
            .get_mut(sref.idx, sref.gen)
            .map_or(self.settings.max_outgoing_bytes, |e| {
                e.handle.shared.max_outgoing_bytes
            })
    }

    /// Reads a session's socket into the session, within the read budget.
    fn read_bound(&mut self, c: ConnRef, sref: SessionRef, short_reads: bool) -> ReadEnd {
        let limit = self.outgoing_bound(sref);
        let mut total = 0usize;
        loop {
            if total >= self.settings.read_budget {
                return ReadEnd::Budget;
            }
            let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
                return ReadEnd::Gone;
            };
            if matches!(conn.state, ConnState::Bound { closing: true, .. }) {
                return ReadEnd::Drained;
            }
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                return ReadEnd::Gone;
            };
            if e.conn != Some(c) {
                return ReadEnd::Gone;
            }
            // Backpressure: while our peer does not read what we owe it,
            // stop taking its requests (resend floods stay bounded). Write
            // readiness resumes reading.
            if e.handle.shared.unsent.load(Ordering::Relaxed) > limit {
                conn.paused = true;
                return ReadEnd::Drained;
            }
            conn.paused = false;
            if !conn.held.is_empty() {
                let held = std::mem::take(&mut conn.held);
                match self.feed(c, sref, &held) {
                    Fed::All => continue,
                    Fed::Held => return ReadEnd::Drained,
                    Fed::Gone => return ReadEnd::Gone,
                }
            }
            let ConnIo::Open(t) = &mut conn.io else {
                return ReadEnd::Gone;
            };
            let n = match t.read(&mut self.read_buf) {
                Ok(0) => return ReadEnd::Broken(None),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // A TLS transport may have produced bytes to send.
                    self.service(sref);
                    return ReadEnd::Drained;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return ReadEnd::Broken(Some(err)),
            };
            if e.peer_identity_pending {
                if let Some(identity) = t.peer_identity() {
                    e.handle.shared.set_peer_identity(Some(identity));
                    e.peer_identity_pending = false;
                }
            }
            total += n;
            // A short read from a socket means it is empty now: skip the
            // read that would only say WouldBlock.
            let drained = short_reads && n < self.read_buf.len() && t.short_read_drains();
            let buf = std::mem::take(&mut self.read_buf);
            let fed = self.feed(c, sref, &buf[..n]);
            self.read_buf = buf;
            match fed {
                Fed::All if drained => return ReadEnd::Drained,
                Fed::All => {}
                Fed::Held => return ReadEnd::Drained,
                Fed::Gone => return ReadEnd::Gone,
            }
        }
    }

    /// Hands received bytes to the session in slices, serving it after
    /// each; when its outgoing backlog goes over the bound (a peer asking
    /// for more than it reads), the rest is held on the connection until
    /// the backlog drains.
    fn feed(&mut self, c: ConnRef, sref: SessionRef, bytes: &[u8]) -> Fed {
        let limit = self.outgoing_bound(sref);
        let mut off = 0;
        while off < bytes.len() {
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                return Fed::Gone;
            };
            if e.conn != Some(c) {
                return Fed::Gone;
            }
            let end = (off + FEED_SLICE).min(bytes.len());
            e.session.handle_input(&bytes[off..end], self.now, self.utc);
            off = end;
            self.finish_input(sref);
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                return Fed::Gone;
            };
            if off < bytes.len() && e.handle.shared.unsent.load(Ordering::Relaxed) > limit {
                let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
                    return Fed::Gone;
                };
                conn.held.extend_from_slice(&bytes[off..]);
                conn.paused = true;
                return Fed::Held;
            }
        }
        Fed::All
    }

    /// Reads an accepted connection's first bytes and routes its Logon.
    fn read_unrouted(&mut self, c: ConnRef) {
        let max = self.settings.max_logon_size;
        loop {
            let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
                return;
            };
            let (ConnIo::Open(t), ConnState::AwaitingLogon { buf, .. }) =
                (&mut conn.io, &mut conn.state)
            else {
                return;
            };
            match t.read(&mut self.read_buf) {
                Ok(0) => {
                    log::debug!("connection closed before Logon");
                    self.close_conn(c);
                    return;
                }
                Ok(n) => {
                    buf.extend_from_slice(&self.read_buf[..n]);
                    match scan(
                        buf,
                        &FrameConfig {
                            max_message_size: max,
                            verify_checksum: true,
                        },
                    ) {
                        Scan::Complete(len) => {
                            self.route(c, len);
                            return;
                        }
                        Scan::Incomplete(_) if buf.len() < max => {}
                        Scan::Incomplete(_) | Scan::Garbled(FrameError::TooLarge { .. }) => {
                            self.refuse(c, RefusalReason::TooLarge { limit: max });
                            return;
                        }
                        Scan::Garbled(err) => {
                            self.refuse(c, RefusalReason::Garbled(err));
                            return;
                        }
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.update_interest(c, 0, usize::MAX);
                    return;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.refuse(c, RefusalReason::Transport(err));
                    return;
                }
            }
        }
    }

    /// Routes the first message (`len` bytes at the start of the
    /// connection's buffer) to the acceptor session it names, or closes the
    /// connection without a reply.
    fn route(&mut self, c: ConnRef, len: usize) {
        let (now, utc) = (self.now, self.utc);
        let Some(conn) = self.conns.get_mut(c.idx, c.gen) else {
            return;
        };
        let ConnState::AwaitingLogon { port, buf, .. } = &mut conn.state else {
            return;
        };
        let port = *port;
        let buf = std::mem::take(buf);
        let (peer, peer_identity, peer_addr) = match &conn.io {
            ConnIo::Open(t) => (t.describe(), t.peer_identity(), t.peer_addr().ok()),
            _ => (String::new(), None, None),
        };
        let mut index = FieldIndex::new();
        let msg = match index.parse(&buf[..len]) {
            Ok(msg) => msg,
            Err(err) => {
                self.refuse(c, RefusalReason::Unparsable(err));
                return;
            }
        };
        if msg.msg_type() != fixrs_proto::tag::msg_type::LOGON {
            let msg_type = String::from_utf8_lossy(msg.msg_type()).into_owned();
            self.refuse(c, RefusalReason::NotLogon { msg_type });
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
            self.refuse(c, reason);
            return;
        };
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            self.close_conn(c);
            return;
        };
        if !e.allowed_remote_addresses.is_empty()
            && !peer_addr.is_some_and(|a| e.allowed_remote_addresses.contains(&a.ip()))
        {
            let text = format!(
                "Logon from {peer} refused: not in AllowedRemoteAddresses: connection closed"
            );
            if let Some(log) = &mut e.log {
                let _ = log.event(utc, &text);
            }
            let session = e.shared().key.to_string();
            self.refuse(c, RefusalReason::AddressNotAllowed { session });
            return;
        }
        if e.conn.is_some() {
            let session = e.shared().key.to_string();
            self.refuse(c, RefusalReason::DuplicateLogon { session });
            return;
        }
        e.handle.shared.set_peer_identity(peer_identity);
        if let Err(refused) = e.app.from_admin(&e.handle, &msg) {
            e.handle.shared.set_peer_identity(None);
            if let Some(log) = &mut e.log {
                let _ = log.event(utc, &refused.to_string());
            }
            let session = e.shared().key.to_string();
            self.refuse(
                c,
                RefusalReason::RefusedByApplication {
                    session,
                    reason: refused.to_string(),
                },
            );
            return;
        }
        drop(index);
        // Bind the connection to the session and let it see the bytes.
        e.conn = Some(c);
        e.logon_already_checked = true;
        if matches!(
            e.session.state(),
            SessionState::Initial
                | SessionState::CorrectlyTerminated
                | SessionState::NonGracefullyTerminated
        ) {
            e.session.connect(now, utc);
        }
        discard_transmit(e);
        apply_to_admin(e);
        if let Some(log) = &mut e.log {
            let _ = log.event(utc, &format!("Accepted connection from {peer}"));
        }
        log::info!("session {}: Logon from {peer}", e.shared().key);
        e.session.handle_link_up(now, utc);
        e.session.handle_input(&buf, now, utc);
        if let Some(conn) = self.conns.get_mut(c.idx, c.gen) {
            conn.state = ConnState::Bound {
                session: sref,
                closing: false,
            };
            conn.deadline = None;
        }
        self.pending_logons = self.pending_logons.saturating_sub(1);
        self.finish_input(sref);
        // Bytes may have arrived after the Logon in the same segment burst.
        if self.conns.get_mut(c.idx, c.gen).is_some() {
            match self.read_bound(c, sref, false) {
                ReadEnd::Broken(err) => {
                    self.link_broken(sref, err);
                    self.service(sref);
                }
                ReadEnd::Budget => self.read_again.push(c),
                ReadEnd::Drained | ReadEnd::Gone => {}
            }
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

    /// Closes a connection not yet routed to a session, and reports why.
    fn refuse(&mut self, c: ConnRef, reason: RefusalReason) {
        let peer = match self.conns.get_mut(c.idx, c.gen) {
            Some(Conn {
                state: ConnState::AwaitingLogon { peer, .. },
                ..
            }) => *peer,
            _ => return,
        };
        self.close_conn(c);
        self.report_refusal(peer, reason);
    }

    fn report_refusal(&mut self, peer: SocketAddr, reason: RefusalReason) {
        let refused = RefusedConnection { peer, reason };
        match &self.settings.on_refused {
            // The hook's owner reports it (and may rate-limit a flood).
            Some(hook) => {
                log::debug!("{refused}");
                hook.call(&refused);
            }
            None => log::info!("{refused}"),
        }
    }

    fn accept(&mut self, idx: usize) {
        let now = self.now;
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
            if self.pending_logons >= self.settings.max_pending_connections {
                log::warn!("too many connections waiting for Logon: {peer} closed");
                self.report_refusal(peer, RefusalReason::TooManyPending);
                continue;
            }
            if let Err(err) = self.settings.socket.apply(&stream) {
                log::warn!("cannot set socket options for {peer}: {err}");
                continue;
            }
            let factory = l.factory.clone();
            let port = l.port;
            let mut transport = match factory.wrap(
                stream,
                &LinkInfo {
                    side: LinkSide::Acceptor,
                    peer,
                    host: "",
                },
            ) {
                Ok(t) => t,
                Err(err) => {
                    log::warn!("cannot set up connection from {peer}: {err}");
                    continue;
                }
            };
            let deadline = now + self.settings.logon_timeout;
            let transport_deadline = transport.poll_timeout();
            let mut interest = Interest::READABLE;
            if transport.wants_write() {
                interest |= Interest::WRITABLE;
            }
            let (cidx, cgen) = self.conns.insert_with(|_, _| Conn {
                io: ConnIo::Detached,
                state: ConnState::AwaitingLogon {
                    port,
                    buf: Vec::new(),
                    peer,
                },
                registered: interest,
                deadline: Some(deadline),
                timer_queued: None,
                held: Vec::new(),
                paused: false,
            });
            let c = ConnRef {
                idx: cidx,
                gen: cgen,
            };
            if let Err(err) = self
                .poll
                .registry()
                .register(transport.source(), c.token(), interest)
            {
                log::warn!("cannot register connection from {peer}: {err}");
                self.conns.remove(cidx, cgen);
                continue;
            }
            self.pending_logons += 1;
            log::debug!("accepted connection from {peer}");
            if let Some(conn) = self.conns.get_mut(cidx, cgen) {
                conn.io = ConnIo::Open(transport);
                self.timers.schedule(
                    TimerOwner::Conn {
                        idx: cidx,
                        gen: cgen,
                    },
                    Some(deadline.min(transport_deadline.unwrap_or(deadline))),
                    &mut conn.timer_queued,
                );
            }
        }
    }

    // ---------------------------------------------------------------
    // Timers

    fn fire_timers(&mut self) {
        let (now, utc) = (self.now, self.utc);
        // Take the due entries first: deadlines that firing sets at `now`
        // or earlier wait for the next iteration, so sockets and commands
        // are served in between whatever the timers do.
        let mut due_list = std::mem::take(&mut self.due);
        while let Some(entry) = self.timers.pop_due(now) {
            due_list.push(entry);
        }
        for &(due, owner) in &due_list {
            match owner {
                TimerOwner::Session { idx, gen } => {
                    let Some(e) = self.sessions.get_mut(idx, gen) else {
                        continue;
                    };
                    if e.timer_queued != Some(due) {
                        continue;
                    }
                    e.timer_queued = None;
                    e.session.handle_timeout(now, utc);
                    self.service(SessionRef { idx, gen });
                }
                TimerOwner::Conn { idx, gen } => {
                    let c = ConnRef { idx, gen };
                    let Some(conn) = self.conns.get_mut(idx, gen) else {
                        continue;
                    };
                    if conn.timer_queued != Some(due) {
                        continue;
                    }
                    conn.timer_queued = None;
                    // The transport's own deadline (a TLS handshake).
                    let failed = match &mut conn.io {
                        ConnIo::Open(t) if t.poll_timeout().is_some_and(|d| d <= now) => {
                            t.handle_timeout(now).err()
                        }
                        _ => None,
                    };
                    if let Some(err) = failed {
                        match conn.state {
                            ConnState::Bound { session, .. } => {
                                self.link_broken(session, Some(err));
                                self.service(session);
                            }
                            _ => self.refuse(c, RefusalReason::Transport(err)),
                        }
                        continue;
                    }
                    let transport_deadline = match &conn.io {
                        ConnIo::Open(t) => t.poll_timeout(),
                        _ => None,
                    };
                    match conn.deadline {
                        Some(d) if d <= now => {}
                        other => {
                            let next = match (other, transport_deadline) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                            self.timers.schedule(owner, next, &mut conn.timer_queued);
                            continue;
                        }
                    }
                    match &conn.state {
                        ConnState::AwaitingLogon { .. } => {
                            self.refuse(c, RefusalReason::LogonTimeout);
                        }
                        ConnState::Connecting { session, .. } => {
                            let sref = *session;
                            self.close_conn(c);
                            if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                                log::info!("session {}: connect timed out", e.shared().key);
                                e.session.handle_link_down(now, utc);
                            }
                            self.service(sref);
                        }
                        ConnState::Bound { session, .. } => {
                            let sref = *session;
                            log::info!("link not closed within the close timeout: reset");
                            self.abort_conn(c);
                            self.service(sref);
                        }
                    }
                }
            }
        }
        due_list.clear();
        self.due = due_list;
    }

    // ---------------------------------------------------------------
    // Shutdown

    fn shutdown(&mut self) {
        for (idx, gen) in self.conns.refs() {
            self.close_conn(ConnRef { idx, gen });
        }
        for slot in &mut self.sessions.slots {
            if let Some(e) = &mut slot.item {
                if let Some(log) = &mut e.log {
                    let _ = log.event(self.utc, "engine stopped");
                    if let Err(err) = log.flush() {
                        log::warn!("cannot write FIX message log: {err}");
                    }
                }
                e.shared().closed.store(true, Ordering::Release);
            }
        }
        // Dropping queued commands wakes whoever waits for a reply.
        self.shared.mark_stopped();
    }
}

/// What draining a session's events asks the loop to do.
#[derive(Default)]
struct EventOutcome {
    open: bool,
    close: bool,
    refuse: bool,
    /// The application rejected the message last handed to it.
    reject: Option<MessageRejection>,
}

impl EventOutcome {
    fn is_empty(&self) -> bool {
        !self.open && !self.close && !self.refuse && self.reject.is_none()
    }

    fn merge(&mut self, other: EventOutcome) {
        self.open |= other.open;
        self.close |= other.close;
        self.refuse |= other.refuse;
        if other.reject.is_some() {
            self.reject = other.reject;
        }
    }
}

/// Hands a session's queued events to its application.
fn drain_events(e: &mut Entry, utc: UtcTimestamp) -> EventOutcome {
    let mut out = EventOutcome::default();
    let Entry {
        session,
        app,
        handle,
        log,
        logon_already_checked,
        ..
    } = e;
    while let Some(ev) = session.poll_event() {
        match ev {
            Event::StateChanged { from, to } => {
                handle
                    .shared
                    .state
                    .store(state_to_u8(to), Ordering::Release);
                log::debug!("session {}: {from:?} -> {to:?}", handle.shared.key);
                if let Some(log) = log {
                    let _ = log.event(utc, &format!("State {from:?} -> {to:?}"));
                }
                app.on_state_change(handle, from, to);
            }
            Event::OpenLink => out.open = true,
            Event::CloseLink => out.close = true,
            Event::LoggedOn => {
                log::info!("session {}: logged on", handle.shared.key);
                if let Some(log) = log {
                    let _ = log.event(utc, "Logon complete");
                }
                app.on_logon(handle);
            }
            Event::LoggedOut { text } => {
                log::info!("session {}: logged out", handle.shared.key);
                if let Some(log) = log {
                    let _ = log.event(utc, "Logout complete");
                }
                app.on_logout(handle, text.as_deref());
            }
            Event::AppMessage(msg) => {
                if let Some(log) = log {
                    let _ = log.message(utc, msg.as_bytes());
                }
                if let Err(rejection) = app.from_app(handle, &msg) {
                    // The session rejects it before any later event.
                    out.reject = Some(rejection);
                    break;
                }
            }
            Event::AdminMessage(msg) => {
                if let Some(log) = log {
                    let _ = log.message(utc, msg.as_bytes());
                }
                let is_logon = msg.msg_type() == fixrs_proto::tag::msg_type::LOGON;
                if is_logon && std::mem::take(logon_already_checked) {
                    continue;
                }
                match app.from_admin(handle, &msg) {
                    Ok(()) => {}
                    Err(refused) if is_logon => {
                        log::info!("session {}: {refused}", handle.shared.key);
                        out.refuse = true;
                    }
                    Err(AdminRejection::Reject(rejection)) => {
                        out.reject = Some(rejection);
                        break;
                    }
                    Err(refused) => {
                        log::info!(
                            "session {}: {refused} (only a Logon can be refused)",
                            handle.shared.key
                        );
                    }
                }
            }
            Event::Rejected {
                ref_seq_num,
                reason,
                ref_tag_id,
                business_reason,
                text,
                message,
                bytes,
                ..
            } => {
                if let Some(log) = log {
                    // The rejected message is logged as received, like
                    // every other.
                    let _ = log.message(utc, bytes);
                    let _ = log.event(utc, &format!("Message rejected: {text}"));
                }
                app.on_reject(
                    handle,
                    &Rejection {
                        ref_seq_num,
                        reason,
                        ref_tag_id,
                        business_reason,
                        text: &text,
                        message: message.as_ref(),
                        bytes,
                    },
                );
            }
            Event::Garbled { error, .. } => {
                log::debug!(
                    "session {}: garbled message dropped: {error}",
                    handle.shared.key
                );
                if let Some(log) = log {
                    let _ = log.event(utc, &format!("Garbled message dropped: {error}"));
                }
            }
            Event::Undelivered { msg, reason } => {
                app.on_undelivered(handle, msg, reason);
            }
            Event::Error(err) => {
                log::warn!("session {}: {err}", handle.shared.key);
                if let Some(log) = log {
                    let _ = log.event(utc, &err.to_string());
                }
                app.on_error(handle, &err);
            }
            Event::Warning(warning) => {
                log::warn!("session {}: {warning}", handle.shared.key);
                if let Some(log) = log {
                    let _ = log.event(utc, &warning.to_string());
                }
            }
            // Events added to the session layer later are only logged.
            other => log::debug!("session {}: {other:?}", handle.shared.key),
        }
    }
    out
}

/// Lets the application fill in the Logon credentials before a Logon.
fn apply_to_admin(e: &mut Entry) {
    let cfg = e.session.config();
    let mut fields = LogonFields {
        username: cfg.username.clone(),
        password: cfg.password.clone(),
        extra: cfg.logon_fields.clone(),
    };
    e.app.to_admin(&e.handle, &mut fields);
    let cfg = e.session.config_mut();
    cfg.username = fields.username;
    cfg.password = fields.password;
    cfg.logon_fields = fields.extra;
}

/// Capacity kept by a session's buffers once its link is gone; what a
/// burst (a resend, a peer that stopped reading) made them grow beyond is
/// given back.
const KEEP_AFTER_CLOSE: usize = 64 << 10;

/// Gives back the memory a closed link's traffic made a session hold.
fn release_buffers(e: &mut Entry) {
    e.session.shrink_buffers(KEEP_AFTER_CLOSE);
    if e.records_pos >= e.records.len() && e.records.capacity() > KEEP_AFTER_CLOSE {
        e.records = Vec::new();
        e.records_pos = 0;
    }
    if let Ok(mut inbox) = e.handle.shared.inbox.lock() {
        if inbox.buf.is_empty() && inbox.buf.capacity() > KEEP_AFTER_CLOSE {
            inbox.buf = Vec::new();
        }
    }
}

/// Drops bytes a session produced for a link that no longer exists.
fn discard_transmit(e: &mut Entry) {
    while let Some(bytes) = e.session.poll_transmit() {
        let n = bytes.len();
        e.session.transmitted(n);
    }
    e.logged_upto = 0;
    e.handle.shared.unsent.store(0, Ordering::Release);
}
