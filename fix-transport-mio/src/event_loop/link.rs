//! A session's link: the socket carrying its bytes (or being connected),
//! read into the session, written from it, and closed.
//!
//! Every function here takes the loop's [`Ctx`] and the session's
//! [`Entry`] together, so that a readiness event, once the session is
//! found, needs no further look-up. [`close_link`] is the one way a link
//! goes away.

use super::entry::Entry;
use super::service::{finish_input, service};
use super::{slot_token, Ctx};
use crate::timers::TimerOwner;
use crate::transport::{Transport, TransportFactory};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Most bytes handed to a session at once, so that the output a burst of
/// requests causes (resends) is checked against the backlog bound often.
const FEED_SLICE: usize = 4096;

/// A session's link: the session's slot and the link's serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LinkRef {
    pub(super) idx: u32,
    pub(super) serial: u32,
}

impl LinkRef {
    pub(super) fn token(self) -> Token {
        Token(slot_token(self.idx, self.serial))
    }
}

pub(super) enum LinkIo {
    /// A TCP connect in progress, with what wrapping the stream needs.
    Connecting {
        stream: TcpStream,
        host: String,
        factory: Arc<dyn TransportFactory>,
    },
    /// A connected stream.
    Open(Box<dyn Transport>),
    /// No stream (only while one is being moved in or out).
    Detached,
}

impl LinkIo {
    pub(super) fn source(&mut self) -> Option<&mut dyn mio::event::Source> {
        match self {
            LinkIo::Connecting { stream, .. } => Some(stream),
            LinkIo::Open(t) => Some(t.source()),
            LinkIo::Detached => None,
        }
    }
}

pub(super) struct Link {
    pub(super) io: LinkIo,
    /// Tells this link's events and timers apart from those of the
    /// session's earlier links.
    pub(super) serial: u32,
    pub(super) registered: Interest,
    /// Connect timeout, or close timeout once closing.
    pub(super) deadline: Option<Instant>,
    pub(super) timer_queued: Option<Instant>,
    /// Received bytes not yet fed to the session (backpressure).
    pub(super) held: Vec<u8>,
    /// Reading stopped because of backpressure; resumes on write readiness.
    pub(super) paused: bool,
    /// The session asked to close the link: it closes once its last bytes
    /// are written.
    pub(super) closing: bool,
}

impl Link {
    pub(super) fn new(io: LinkIo, serial: u32, registered: Interest) -> Link {
        Link {
            io,
            serial,
            registered,
            deadline: None,
            timer_queued: None,
            held: Vec::new(),
            paused: false,
            closing: false,
        }
    }
}

/// Queues the earlier of a link's deadline and its transport's.
pub(super) fn schedule_timer(ctx: &mut Ctx, idx: u32, link: &mut Link) {
    let transport = match &link.io {
        LinkIo::Open(t) => t.poll_timeout(),
        _ => None,
    };
    let next = match (link.deadline, transport) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let owner = TimerOwner::Link {
        idx,
        serial: link.serial,
    };
    ctx.timers.schedule(owner, next, &mut link.timer_queued);
}

/// The readiness to register for.
pub(super) fn interest(read: bool, write: bool) -> Interest {
    match (read, write) {
        (true, true) => Interest::READABLE | Interest::WRITABLE,
        (false, true) => Interest::WRITABLE,
        _ => Interest::READABLE,
    }
}

/// Registers `source` for `interest` unless it already is.
pub(super) fn reregister(
    registry: &Registry,
    source: &mut dyn mio::event::Source,
    token: Token,
    registered: &mut Interest,
    interest: Interest,
) {
    if interest != *registered {
        *registered = interest;
        if let Err(e) = registry.reregister(source, token, interest) {
            log::warn!("cannot reregister connection: {e}");
        }
    }
}

/// What reading a link ended with.
pub(super) enum ReadEnd {
    /// The socket has nothing more now.
    Drained,
    /// The budget ran out; read again soon.
    Budget,
    /// The peer closed the stream or it failed.
    Broken(Option<io::Error>),
    /// The link was closed or replaced while reading.
    Gone,
}

/// What feeding bytes to a session ended with.
enum Fed {
    /// Everything was fed.
    All,
    /// The backlog went over its bound; the rest is held.
    Held,
    /// The link was closed or replaced meanwhile.
    Gone,
}

/// Serves a link's readiness.
pub(super) fn ready(
    ctx: &mut Ctx,
    e: &mut Entry,
    l: LinkRef,
    readable: bool,
    writable: bool,
    short_reads: bool,
) {
    let Some(link) = e.link_mut(l.serial) else {
        return;
    };
    let paused = link.paused;
    if let LinkIo::Connecting { .. } = link.io {
        if writable || readable {
            super::connect::finish_connect(ctx, e);
        }
        return;
    }
    if writable {
        service(ctx, e);
    }
    if readable || (writable && paused) {
        let end = read(ctx, e, l.serial, short_reads);
        after_read(ctx, e, l, end);
    }
}

/// Acts on how reading a link ended.
pub(super) fn after_read(ctx: &mut Ctx, e: &mut Entry, l: LinkRef, end: ReadEnd) {
    match end {
        ReadEnd::Drained | ReadEnd::Gone => {}
        ReadEnd::Budget => ctx.read_again.push(l),
        ReadEnd::Broken(err) => {
            if e.link_mut(l.serial).is_some_and(|link| link.closing) {
                close_link(ctx, e);
            } else {
                link_broken(ctx, e, err);
            }
            service(ctx, e);
        }
    }
}

/// Reads a session's link into the session, within the read budget.
pub(super) fn read(ctx: &mut Ctx, e: &mut Entry, serial: u32, short_reads: bool) -> ReadEnd {
    let limit = e.handle.shared.max_outgoing_bytes;
    let mut total = 0usize;
    loop {
        if total >= ctx.settings.read_budget {
            return ReadEnd::Budget;
        }
        let Some(link) = e.link.as_mut().filter(|l| l.serial == serial) else {
            return ReadEnd::Gone;
        };
        if link.closing {
            return ReadEnd::Drained;
        }
        // Backpressure: while our peer does not read what we owe it, stop
        // taking its requests (resend floods stay bounded). Write
        // readiness resumes reading.
        if e.handle.shared.unsent.load(Ordering::Relaxed) > limit {
            link.paused = true;
            return ReadEnd::Drained;
        }
        link.paused = false;
        if !link.held.is_empty() {
            let held = std::mem::take(&mut link.held);
            match feed(ctx, e, serial, &held) {
                Fed::All => continue,
                Fed::Held => return ReadEnd::Drained,
                Fed::Gone => return ReadEnd::Gone,
            }
        }
        let LinkIo::Open(t) = &mut link.io else {
            return ReadEnd::Gone;
        };
        let n = match t.read(&mut ctx.read_buf) {
            Ok(0) => return ReadEnd::Broken(None),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                // A TLS transport may have produced bytes to send.
                service(ctx, e);
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
        // A short read from a socket means it is empty now: skip the read
        // that would only say WouldBlock.
        let drained = short_reads && n < ctx.read_buf.len() && t.short_read_drains();
        let buf = std::mem::take(&mut ctx.read_buf);
        let fed = feed(ctx, e, serial, &buf[..n]);
        ctx.read_buf = buf;
        match fed {
            Fed::All if drained => return ReadEnd::Drained,
            Fed::All => {}
            Fed::Held => return ReadEnd::Drained,
            Fed::Gone => return ReadEnd::Gone,
        }
    }
}

/// Hands received bytes to the session in slices, serving it after each;
/// when its outgoing backlog goes over the bound (a peer asking for more
/// than it reads), the rest is held on the link until the backlog drains.
fn feed(ctx: &mut Ctx, e: &mut Entry, serial: u32, bytes: &[u8]) -> Fed {
    let limit = e.handle.shared.max_outgoing_bytes;
    let mut off = 0;
    while off < bytes.len() {
        if !e.has_link(serial) {
            return Fed::Gone;
        }
        let end = (off + FEED_SLICE).min(bytes.len());
        e.session.handle_input(&bytes[off..end], ctx.now, ctx.utc);
        off = end;
        finish_input(ctx, e);
        if off < bytes.len() && e.handle.shared.unsent.load(Ordering::Relaxed) > limit {
            let Some(link) = e.link_mut(serial) else {
                return Fed::Gone;
            };
            link.held.extend_from_slice(&bytes[off..]);
            link.paused = true;
            return Fed::Held;
        }
    }
    Fed::All
}

/// Writes what the session has pending, as far as the socket takes it.
pub(super) fn write_out(ctx: &mut Ctx, e: &mut Entry) -> io::Result<()> {
    let utc = ctx.utc;
    let Some(Link {
        io: LinkIo::Open(t),
        ..
    }) = &mut e.link
    else {
        return Ok(());
    };
    let mut unsent = 0;
    while let Some(bytes) = e.session.poll_transmit() {
        // The store was flushed by poll_transmit; the log is written to the
        // operating system at the same point, before the socket: after a
        // crash it holds every message the peer may have got.
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

/// After a service: closes a closing link whose last bytes are out, or
/// registers the readiness the link needs (reading stops while the
/// session's unwritten bytes are over its bound).
pub(super) fn settle(ctx: &mut Ctx, e: &mut Entry) {
    let shared = &e.handle.shared;
    let unsent = shared.unsent.load(Ordering::Relaxed);
    let limit = shared.max_outgoing_bytes;
    let idx = shared.sref.idx;
    let Some(link) = &mut e.link else {
        return;
    };
    let (read, write) = match &link.io {
        LinkIo::Connecting { .. } => (false, true),
        LinkIo::Open(t) if link.closing && unsent == 0 && !t.wants_write() => {
            close_link(ctx, e);
            return;
        }
        LinkIo::Open(t) => (
            !link.closing && t.wants_read() && unsent <= limit,
            unsent > 0 || t.wants_write(),
        ),
        LinkIo::Detached => return,
    };
    let token = LinkRef {
        idx,
        serial: link.serial,
    }
    .token();
    if let Some(src) = link.io.source() {
        reregister(
            ctx.poll.registry(),
            src,
            token,
            &mut link.registered,
            interest(read, write),
        );
    }
}

/// The session asked to close its link: it closes once its last bytes are
/// written, or when the close timeout passes, whichever comes first, so
/// that a peer that reads nothing cannot hold it open (nor keep the
/// session from taking the counterparty's next Logon).
pub(super) fn start_closing(ctx: &mut Ctx, e: &mut Entry) {
    let deadline = ctx.now + ctx.settings.close_timeout;
    let idx = e.sref().idx;
    let Some(link) = &mut e.link else {
        return;
    };
    // A connect in progress finishes first (the session closes it then).
    if !matches!(link.io, LinkIo::Open(_)) || link.closing {
        // The first request's deadline stands.
        return;
    }
    link.closing = true;
    link.deadline = Some(deadline);
    schedule_timer(ctx, idx, link);
}

/// The link broke (peer closed, I/O error): closes it and tells the
/// session.
pub(super) fn link_broken(ctx: &mut Ctx, e: &mut Entry, err: Option<io::Error>) {
    if e.link.is_none() {
        return;
    }
    match &err {
        Some(err) => {
            log::info!("session {}: link broken: {err}", e.shared().key);
            // The application learns why (a TLS transport's error is a
            // typed error inside the io::Error).
            e.app.on_error(&e.handle, err);
        }
        None => log::info!("session {}: peer closed the connection", e.shared().key),
    }
    e.log_event(ctx.utc, "Disconnected");
    close_link(ctx, e);
    e.session.handle_link_down(ctx.now, ctx.utc);
}

/// Closes a link whose close timeout passed with bytes still unwritten:
/// they are dropped and the connection reset, rather than left for the
/// operating system to deliver to a peer that does not read.
pub(super) fn abort_link(ctx: &mut Ctx, e: &mut Entry) {
    if let Some(Link {
        io: LinkIo::Open(t),
        ..
    }) = &mut e.link
    {
        t.abort();
    }
    close_link(ctx, e);
}

/// Closes the session's link and detaches it from the session: what the
/// session had for it is dropped and its buffers shrink back.
pub(super) fn close_link(ctx: &mut Ctx, e: &mut Entry) {
    let Some(mut link) = e.link.take() else {
        return;
    };
    if let Some(src) = link.io.source() {
        let _ = ctx.poll.registry().deregister(src);
    }
    if let LinkIo::Open(t) = &mut link.io {
        let _ = t.shutdown();
    }
    let l = LinkRef {
        idx: e.sref().idx,
        serial: link.serial,
    };
    ctx.read_again.retain(|r| *r != l);
    ctx.links -= 1;
    e.peer_identity_pending = false;
    e.handle.shared.set_peer_identity(None);
    e.discard_transmit();
    e.release_buffers();
}
