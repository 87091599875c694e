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
//!
//! A session owns its link (the socket carrying its bytes), so a readiness
//! event finds both with one look-up. The modules, one concern each, each
//! using only those before it: `entry` (a hosted session and its link, as
//! data), `link` (writing, readiness, closing), `callbacks` (a session's
//! events to its application), `connect` (initiators' connects), `service`
//! (the glue to the session: draining its outputs), `input` (readiness,
//! reading and feeding input), `accept` (listeners and connections waiting
//! for their first Logon), `template` (sessions created on first Logon),
//! `commands` (what handles and the engine ask), `fire` (timers).

mod accept;
mod callbacks;
mod commands;
mod connect;
mod entry;
mod fire;
mod input;
mod link;
mod service;
mod slab;
mod template;

pub(crate) use commands::{EngineCommand, NewSession};
pub(crate) use template::TemplateSpec;

use crate::command::{clock, Command, EngineShared};
use crate::deadline::{DeadlineTimer, DEADLINE};
use crate::options::EngineSettings;
use crate::resolver::Resolver;
use crate::shared::SessionRef;
use crate::timers::{TimerOwner, Timers};
use accept::{Listener, PendingConn};
use entry::{Entry, LinkRef};
use fixrs_session::Now;
use fixrs_session::Router;
use fixrs_session::SystemClock;
use mio::{Events, Poll, Token};
use slab::Slab;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The token of the engine's waker.
pub(crate) const WAKER: Token = Token(0);

/// What serving one session needs from the loop: everything but the
/// sessions, so that a session and this can be borrowed together.
struct Ctx {
    poll: Poll,
    shared: Arc<EngineShared>,
    settings: EngineSettings,
    timers: Timers,
    /// Which acceptor session a new connection's Logon is for; told when
    /// their links come and go.
    router: Router<SessionRef>,
    /// The buffer every socket is read into.
    read_buf: Vec<u8>,
    /// Links whose read budget ran out with bytes still waiting.
    read_again: Vec<LinkRef>,
    /// Sessions whose file log has unflushed lines.
    dirty_logs: Vec<SessionRef>,
    /// Sessions whose store has changes to flush before the loop sleeps
    /// (incoming MsgSeqNums of a session that only received).
    unflushed_stores: Vec<SessionRef>,
    /// Links open (or opening) now.
    links: usize,
    /// Resolves initiators' host names; started on first use.
    resolver: Option<Resolver>,
    /// The serial the next link gets.
    next_serial: u32,
    /// The clock, read once per iteration.
    time: Now,
}

pub(crate) struct EventLoop {
    ctx: Ctx,
    sessions: Slab<Entry>,
    /// Accepted connections waiting for their first Logon.
    pending: Slab<PendingConn>,
    listeners: Vec<Listener>,
    /// What creating the sessions of each acceptor template needs, in the
    /// router's order of templates.
    templates: Vec<TemplateSpec>,
    /// The engine's own commands.
    control: Receiver<EngineCommand>,
    /// Handles' commands being run (kept for its capacity).
    commands: VecDeque<Command>,
    /// Wakes the poll at the earliest deadline (Linux); `None` to use poll
    /// timeouts instead.
    deadline_timer: Option<DeadlineTimer>,
    /// The clocks, read once per wake-up.
    clock: SystemClock,
    read_again_spare: Vec<LinkRef>,
    /// Timer entries being fired (kept for its capacity).
    due: Vec<(Instant, TimerOwner)>,
    stopping: Option<Instant>,
    stop: bool,
}

/// Tokens with this bit set are listeners (index in the low bits).
const LISTENER_BIT: usize = 1 << 62;
/// Tokens with this bit set are connections waiting for their Logon.
const PENDING_BIT: usize = 1 << 60;

/// The token of slot `idx` with `tag` (a generation or a link serial, at
/// most 28 bits) in the bits above it.
fn slot_token(idx: u32, tag: u32) -> usize {
    ((tag as usize) << 32) | (idx as usize + 1)
}

/// The slot and tag of a token made by [`slot_token`].
fn token_slot(t: usize) -> (u32, u32) {
    (
        ((t & 0xffff_ffff) as u32).wrapping_sub(1),
        ((t >> 32) & 0x0fff_ffff) as u32,
    )
}

impl Ctx {
    /// Asks the resolver thread (started now if need be) for `address`,
    /// for the link `serial` of session `sref`.
    fn resolve(&mut self, sref: SessionRef, serial: u32, address: String) -> io::Result<()> {
        if self.resolver.is_none() {
            let name = format!("{}-resolver", self.settings.thread_name);
            self.resolver = Some(Resolver::start(name, self.shared.clone())?);
        }
        match &self.resolver {
            Some(r) if r.resolve(sref, serial, address) => Ok(()),
            _ => {
                // The thread is gone (it panicked): start another next time.
                self.resolver = None;
                Err(io::Error::other("the resolver thread stopped"))
            }
        }
    }

    /// A serial for a new link, telling its events and timers apart from
    /// those of the session's earlier links.
    fn next_serial(&mut self) -> u32 {
        let serial = self.next_serial;
        self.next_serial = (serial + 1) & 0x0fff_ffff;
        serial
    }
}

impl EventLoop {
    pub(crate) fn new(
        poll: Poll,
        shared: Arc<EngineShared>,
        control: Receiver<EngineCommand>,
        settings: EngineSettings,
    ) -> EventLoop {
        let deadline_timer = DeadlineTimer::new(poll.registry()).ok();
        let router = Router::new().with_max_logon_size(settings.max_logon_size);
        EventLoop {
            ctx: Ctx {
                poll,
                shared,
                read_buf: vec![0; settings.read_buffer_size.max(1024)],
                settings,
                timers: Timers::default(),
                router,
                read_again: Vec::new(),
                dirty_logs: Vec::new(),
                unflushed_stores: Vec::new(),
                links: 0,
                resolver: None,
                next_serial: 0,
                time: clock(),
            },
            sessions: Slab::new(),
            pending: Slab::new(),
            listeners: Vec::new(),
            templates: Vec::new(),
            control,
            commands: VecDeque::new(),
            deadline_timer,
            clock: SystemClock::new(),
            read_again_spare: Vec::new(),
            due: Vec::new(),
            stopping: None,
            stop: false,
        }
    }

    /// Runs until a Stop command; then closes everything.
    pub(crate) fn run(&mut self) {
        self.ctx.shared.mark_loop_thread();
        let mut events = Events::with_capacity(1024);
        loop {
            self.run_commands();
            if self.stop
                || self
                    .stopping
                    .is_some_and(|end| self.ctx.time.instant >= end || !self.any_link())
            {
                break;
            }
            self.flush_stores();
            self.flush_logs();
            let timeout = self.poll_timeout();
            if let Err(e) = self.ctx.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::error!("engine poll failed: {e}");
                    break;
                }
            }
            self.ctx.shared.sleeping.store(false, Ordering::SeqCst);
            self.ctx.time = self.clock.now();
            for ev in events.iter() {
                let closed = ev.is_read_closed() || ev.is_error();
                let readable = ev.is_readable() || closed;
                let writable = ev.is_writable() || ev.is_write_closed();
                self.ready(ev.token(), readable, writable, !closed);
            }
            if !self.ctx.read_again.is_empty() {
                // Swap with a spare list so that both keep their capacity.
                std::mem::swap(&mut self.ctx.read_again, &mut self.read_again_spare);
                for i in 0..self.read_again_spare.len() {
                    let l = self.read_again_spare[i];
                    self.link_ready(l, true, false, false);
                }
                self.read_again_spare.clear();
            }
            self.fire_timers();
        }
        self.shutdown();
    }

    /// Serves one readiness event. `short_reads` allows taking a short
    /// read as "socket empty" (not when the peer's close was signalled
    /// with the data: reading on is what reveals it).
    fn ready(&mut self, token: Token, readable: bool, writable: bool, short_reads: bool) {
        let t = token.0;
        if token == WAKER {
            return;
        }
        if token == DEADLINE {
            if let Some(timer) = &mut self.deadline_timer {
                timer.fired();
            }
        } else if t & LISTENER_BIT != 0 {
            self.accept(t & !LISTENER_BIT);
        } else if t & PENDING_BIT != 0 {
            let (idx, gen) = token_slot(t & !PENDING_BIT);
            self.pending_ready(idx, gen, readable);
        } else {
            let (idx, serial) = token_slot(t);
            self.link_ready(LinkRef { idx, serial }, readable, writable, short_reads);
        }
    }

    /// Serves the readiness of a session's link.
    fn link_ready(&mut self, l: LinkRef, readable: bool, writable: bool, short_reads: bool) {
        let Some(e) = self.sessions.get_at(l.idx) else {
            return;
        };
        input::ready(&mut self.ctx, e, l, readable, writable, short_reads);
    }

    fn any_link(&self) -> bool {
        self.ctx.links > 0 || self.pending.len() > 0
    }

    fn poll_timeout(&mut self) -> Option<Duration> {
        let ctx = &mut self.ctx;
        ctx.shared.sleeping.store(true, Ordering::SeqCst);
        let pending = ctx.shared.queued.load(Ordering::SeqCst);
        if pending || !ctx.read_again.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut deadline = ctx.timers.next_deadline();
        if let Some(end) = self.stopping {
            deadline = Some(deadline.map_or(end, |d| d.min(end)));
        }
        // The clock read once per iteration, after the last poll: a timeout
        // computed from it ends at most this iteration's work late.
        let now = ctx.time.instant;
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
        for i in 0..self.ctx.dirty_logs.len() {
            let sref = self.ctx.dirty_logs[i];
            if let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) {
                e.log_flush_queued = false;
                if let Some(log) = &mut e.log {
                    if let Err(err) = log.flush() {
                        log::warn!("cannot write FIX message log: {err}");
                    }
                }
            }
        }
        self.ctx.dirty_logs.clear();
    }

    /// Flushes the stores of sessions that processed messages since their
    /// store was last flushed (sending flushes it; receiving alone does
    /// not), so that every incoming MsgSeqNum reaches the store at least
    /// once per pass of the loop.
    fn flush_stores(&mut self) {
        let mut list = std::mem::take(&mut self.ctx.unflushed_stores);
        for sref in &list {
            let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
                continue;
            };
            e.store_flush_queued = false;
            if !e.session.flush_store() {
                // The error is one of its events.
                service::service(&mut self.ctx, e);
            }
        }
        // Keep what servicing queued again, and the list's capacity.
        list.clear();
        list.append(&mut self.ctx.unflushed_stores);
        self.ctx.unflushed_stores = list;
    }

    /// Closes every link and connection, marks every session closed and
    /// the engine stopped.
    fn shutdown(&mut self) {
        for (idx, gen) in self.pending.refs() {
            self.close_pending(idx, gen);
        }
        let utc = self.ctx.time.utc;
        for e in self.sessions.iter_mut() {
            link::close_link(&mut self.ctx, e);
            if let Some(log) = &mut e.log {
                let _ = log.event(utc, "engine stopped");
                if let Err(err) = log.flush() {
                    log::warn!("cannot write FIX message log: {err}");
                }
            }
            e.shared().close();
        }
        // Dropping queued commands wakes whoever waits for a reply.
        self.ctx.shared.mark_stopped();
    }
}
