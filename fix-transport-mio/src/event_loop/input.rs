//! Input: a link's readiness, its bytes read and fed to the session one
//! slice at a time (held back while the session's peer does not read what
//! it owes it, or while the application has no room), and an initiator's
//! connect completing.

use super::connect::{connected, Connected};
use super::entry::{Entry, LinkIo, LinkRef};
use super::link::{close_link, link_broken};
use super::service::{finish_input, service, Finished};
use super::Ctx;
use std::io;
use std::sync::atomic::Ordering;

/// Most bytes handed to a session at once, so that the output a burst of
/// requests causes (resends) is checked against the backlog bound often.
const FEED_SLICE: usize = 4096;

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
            finish_connect(ctx, e);
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
        if !app_has_room(ctx, e) {
            // Drops the read interest: no wake-ups while it has no room.
            service(ctx, e);
            return ReadEnd::Drained;
        }
        if e.session.has_pending_input() {
            // Messages kept in the session when its backlog passed the
            // bound (or the application had no room) come before anything
            // held or read.
            match finish_input(ctx, e) {
                Finished::All => continue,
                Finished::OverBound | Finished::AppFull => return ReadEnd::Drained,
            }
        }
        let Some(link) = e.link.as_mut().filter(|l| l.serial == serial) else {
            return ReadEnd::Gone;
        };
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
        e.session.handle_input(&bytes[off..end], ctx.time);
        off = end;
        let finished = finish_input(ctx, e);
        let over_bound = finished == Finished::OverBound
            || e.handle.shared.unsent.load(Ordering::Relaxed) > limit;
        if off < bytes.len() && (over_bound || finished == Finished::AppFull) {
            let Some(link) = e.link_mut(serial) else {
                return Fed::Gone;
            };
            link.held.extend_from_slice(&bytes[off..]);
            link.paused |= over_bound;
            return Fed::Held;
        }
    }
    Fed::All
}

/// Asks the application whether it has room for input (see
/// [`Application::has_room`](crate::Application::has_room)); a Logon or
/// Logout exchange is read whatever it says. Without room the link is marked
/// paused for the application (its read interest is dropped at the next
/// service) and the session told that it does not read, so that its
/// peer's silence does not count.
pub(super) fn app_has_room(ctx: &Ctx, e: &mut Entry) -> bool {
    let room = e.session.state().is_exchanging_logon_or_logout() || e.app.has_room(&e.handle);
    if let Some(link) = &mut e.link {
        link.app_paused = !room;
    }
    e.session.set_reading_paused(!room, ctx.time);
    room
}

/// The application said it has room again (or a timer of the session
/// fired while it had none): the link is read on this pass of the loop,
/// which asks the application first.
pub(super) fn resume_input(ctx: &mut Ctx, e: &mut Entry) {
    let idx = e.sref().idx;
    let Some(link) = &mut e.link else {
        return;
    };
    if !link.app_paused {
        return;
    }
    link.app_paused = false;
    let l = LinkRef {
        idx,
        serial: link.serial,
    };
    if !ctx.read_again.contains(&l) {
        ctx.read_again.push(l);
    }
}

/// The connecting socket became writable: connected or failed.
fn finish_connect(ctx: &mut Ctx, e: &mut Entry) {
    match connected(ctx, e) {
        Connected::NotYet => {}
        Connected::Up | Connected::Failed => service(ctx, e),
    }
}
