//! A session's link: its bytes written to the socket, the readiness it
//! registers for, its timers, and closing it. Reading is in `input`.
//!
//! Every function here takes the loop's [`Ctx`] and the session's
//! [`Entry`] together, so that a readiness event, once the session is
//! found, needs no further look-up. [`close_link`] is the one way a link
//! goes away.

use super::entry::{Entry, Link, LinkIo, LinkRef};
use super::Ctx;
use crate::error::LinkError;
use crate::timers::TimerOwner;
use fixrs_session::SessionState;
use mio::{Interest, Registry, Token};
use std::io;
use std::sync::atomic::Ordering;

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
#[inline]
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

/// Writes what the session has pending, as far as the socket takes it.
pub(super) fn write_out(ctx: &mut Ctx, e: &mut Entry) -> io::Result<()> {
    let utc = ctx.time.utc;
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
/// session's unwritten bytes are over its bound, or while the application
/// has no room).
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
            !link.closing && !link.app_paused && t.wants_read() && unsent <= limit,
            unsent > 0 || t.wants_write(),
        ),
        LinkIo::Resolving { .. } | LinkIo::Detached => return,
    };
    let l = LinkRef {
        idx,
        serial: link.serial,
    };
    if read && link.paused && !ctx.read_again.contains(&l) {
        // The backlog drained without a write readiness event (a timer's
        // service wrote it): what was kept back is read on the next pass,
        // not when the peer next sends.
        ctx.read_again.push(l);
    }
    let token = l.token();
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
    let deadline = ctx.time.instant + ctx.settings.close_timeout;
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
/// session, and the application why (a peer closing without Logout only
/// while the session logs on or is logged on).
pub(super) fn link_broken(ctx: &mut Ctx, e: &mut Entry, err: Option<io::Error>) {
    if e.link.is_none() {
        return;
    }
    let error = match err {
        Some(err) => Some(LinkError::Broken(err)),
        None => matches!(
            e.session.state(),
            SessionState::WaitForConfirmLogon | SessionState::Established
        )
        .then_some(LinkError::PeerClosed),
    };
    match &error {
        Some(err) => log::info!("session {}: {err}", e.shared().key),
        None => log::info!("session {}: peer closed the connection", e.shared().key),
    }
    if let Some(err) = &error {
        // A TLS transport's error is a typed error inside the io::Error.
        e.app.on_error(&e.handle, err);
    }
    e.log_event(ctx.time.utc, "Disconnected");
    close_link(ctx, e);
    e.session.handle_link_down(ctx.time);
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
    // An acceptor takes a Logon again.
    ctx.router.disconnected(e.sref());
    e.peer_identity_pending = false;
    e.handle.shared.set_peer_identity(None);
    e.discard_transmit();
    e.release_buffers();
}
