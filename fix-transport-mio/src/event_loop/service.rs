//! The glue between the loop and a session: after each input the session's
//! outputs are drained ("serviced"): its events go to the application, it
//! gets the messages put on it, its link is opened or closed as it asks,
//! its bytes are written, and its state and next deadline are published.
//!
//! Input is fed one message at a time ([`finish_input`]): the session stops
//! after each message its application sees, and what the callbacks put or
//! rejected is given to the session before the next one.

use super::callbacks::drain_events;
use super::connect::open_link;
use super::entry::Entry;
use super::link::{self, link_broken, start_closing, write_out};
use super::Ctx;
use crate::command::Command;
use crate::shared::next_record;
use crate::timers::TimerOwner;
use std::sync::atomic::Ordering;

/// Messages taken from an inbox between two writes to the socket.
const WRITE_EVERY: usize = 1024;

/// Batches of put messages one service of a session takes at most.
const MAX_DRAINS_PER_SERVICE: usize = 16;

/// Unwritten bytes of a session beyond which it takes no more put
/// messages until the socket drains.
const DRAIN_PAUSE: usize = 1 << 20;

/// What [`finish_input`] ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finished {
    /// Every message received was processed.
    All,
    /// The session's unwritten bytes passed the outgoing bound (a
    /// ResendRequest's resends, say) and the socket does not take them:
    /// the messages after it wait in the session, the link is paused, and
    /// reading resumes them once the backlog drains.
    OverBound,
    /// The application has no room for the next message
    /// ([`Application::has_room`](crate::Application::has_room)): the
    /// messages after it wait in the session, the link is paused until
    /// the application resumes it.
    AppFull,
}

/// Services a session after input, message by message: the session stops
/// after each message its application sees; the callbacks run, what they
/// put is given to the session, and only then does it process the next
/// message of the input. Writing, timers and interest wait for the end of
/// the input (or for what a callback asked, or for a message whose output
/// passed the outgoing bound: then the rest of the input waits).
pub(super) fn finish_input(ctx: &mut Ctx, e: &mut Entry) -> Finished {
    let now = ctx.time;
    let utc = now.utc;
    let limit = e.handle.shared.max_outgoing_bytes;
    while e.session.has_pending_input() {
        let shared = &e.handle.shared;
        shared.answered.store(false, Ordering::Relaxed);
        let outer = shared.in_service.swap(true, Ordering::Relaxed);
        drain_events(e, utc);
        let shared = &e.handle.shared;
        shared.in_service.store(outer, Ordering::Relaxed);
        let answered = shared.answered.swap(false, Ordering::Relaxed);
        if !e.outcome.is_empty() {
            // A link to open or close, a refusal, a reject: the full
            // service acts on it.
            service(ctx, e);
        }
        if answered {
            // What the callbacks put (and what was put before it) goes to
            // the session before the next message, whatever the socket's
            // backlog; put's own bound keeps that bounded. Other puts wait
            // for the socket as usual.
            drain_inbox(ctx, e, true);
        }
        if e.session.pending_transmit_len() > limit {
            // Checked per message, not per read: one read can hold hundreds
            // of ResendRequests, each asking for the whole history.
            service(ctx, e);
            if e.handle.shared.unsent.load(Ordering::Relaxed) > limit
                && e.session.has_pending_input()
            {
                if let Some(link) = &mut e.link {
                    link.paused = true;
                }
                return Finished::OverBound;
            }
        }
        // (Asked only when there is a next message: after the last one of
        // a read, reading again asks.)
        if e.session.has_unprocessed_input() && !super::input::app_has_room(ctx, e) {
            service(ctx, e);
            return Finished::AppFull;
        }
        e.session.handle_pending_input(now);
    }
    service(ctx, e);
    Finished::All
}

/// Drains a session's outputs: events to callbacks, link requests, bytes
/// to the socket, the next deadline to the timer heap.
pub(super) fn service(ctx: &mut Ctx, e: &mut Entry) {
    let outer = e.handle.shared.in_service.swap(true, Ordering::Relaxed);
    service_loop(ctx, e);
    e.handle.shared.in_service.store(outer, Ordering::Relaxed);
    if !outer && inbox_ready(e) {
        // The batch limit stopped the service with messages its callbacks
        // put still waiting: come back for them.
        schedule_drain(ctx, e);
    }
    after_service(ctx, e);
}

/// Queues a Drain command for the session unless one is queued.
fn schedule_drain(ctx: &mut Ctx, e: &mut Entry) {
    let schedule = match e.handle.shared.inbox.lock() {
        Ok(mut inbox) => !std::mem::replace(&mut inbox.scheduled, true),
        Err(_) => false,
    };
    if schedule {
        // On the loop thread: queued without waking anything. A stopped
        // engine drops it, as it drops every command.
        let _ = ctx.shared.submit(Command::Drain(e.sref()));
    }
}

/// The body of [`service`]: events, links, writes and put messages until
/// nothing is left to do (or the batch limit).
fn service_loop(ctx: &mut Ctx, e: &mut Entry) {
    let now = ctx.time;
    let utc = now.utc;
    let mut drains = 0;
    loop {
        // What earlier callbacks asked for is in `e.outcome` already; each
        // request is taken from it as it is acted on.
        drain_events(e, utc);
        if std::mem::take(&mut e.outcome.refuse) {
            e.session.disconnect(now);
            continue;
        }
        if let Some(rejection) = e.outcome.reject.take() {
            // What the callback put goes out before its reject.
            drain_inbox(ctx, e, true);
            if let Err(err) = e.session.reject(&rejection, now) {
                log::warn!("session {}: {rejection}: {err}", e.shared().key);
                e.app.on_error(&e.handle, &err);
            }
            continue;
        }
        if std::mem::take(&mut e.outcome.close) {
            start_closing(ctx, e);
        }
        if std::mem::take(&mut e.outcome.open) && !open_link(ctx, e) {
            // Reported; the session knows the link is down.
            continue;
        }
        // Messages put (by the callbacks just run, or waiting for the
        // socket to drain) go out now, a bounded number of batches per
        // service so that a steady stream of puts cannot hold the loop.
        // They are encoded before writing, so that a reply put from a
        // callback leaves in the same write as what came before it.
        if drains < MAX_DRAINS_PER_SERVICE && inbox_ready(e) {
            drains += 1;
            drain_inbox(ctx, e, false);
            continue;
        }
        if let Err(err) = write_out(ctx, e) {
            link_broken(ctx, e, Some(err));
            continue;
        }
        if e.session.has_event() {
            // The session held a CloseLink back until the bytes before it
            // were written: they are.
            continue;
        }
        if e.session.close_pending() {
            // Held back for bytes the peer does not take: the close
            // timeout bounds the wait.
            start_closing(ctx, e);
        }
        // Writing may have made room for messages held back.
        if drains < MAX_DRAINS_PER_SERVICE && inbox_ready(e) {
            drains += 1;
            drain_inbox(ctx, e, false);
            continue;
        }
        break;
    }
}

/// Publishes a session's state, queues its store and log for flushing,
/// arms its timer and settles its link.
fn after_service(ctx: &mut Ctx, e: &mut Entry) {
    let sref = e.sref();
    if !e.log_flush_queued && e.log.as_ref().is_some_and(|log| log.is_dirty()) {
        e.log_flush_queued = true;
        ctx.dirty_logs.push(sref);
    }
    if !e.store_flush_queued && e.session.store_needs_flush() {
        e.store_flush_queued = true;
        ctx.unflushed_stores.push(sref);
    }
    let shared = &e.handle.shared;
    shared.publish_seq_nums(
        e.session.next_target_seq_num(),
        e.session.next_sender_seq_num(),
    );
    shared.publish_state(e.session.state());
    ctx.timers.schedule(
        TimerOwner::Session {
            idx: sref.idx,
            gen: sref.gen,
        },
        e.session.poll_timeout(),
        &mut e.timer_queued,
    );
    link::settle(ctx, e);
}

/// Feeds the messages put on a session to it, writing as it goes. When the
/// socket stops taking bytes (the session's unwritten bytes pass
/// [`DRAIN_PAUSE`]) the rest waits, still encoded as put, until write
/// readiness: the session's buffer stays small and is reused instead of
/// growing with everything the application put.
///
/// With `all`, everything put so far is given to the session whatever the
/// socket (before a Logout or reset, which must come after it).
pub(super) fn drain_inbox(ctx: &mut Ctx, e: &mut Entry, all: bool) {
    let now = ctx.time;
    // Whether the records were just taken from the inbox: it holds nothing
    // more then, and `all` need not look again (a second lock).
    let mut taken = false;
    if e.records_pos >= e.records.len() {
        taken = true;
        e.records.clear();
        e.records_pos = 0;
        let Ok(mut inbox) = e.handle.shared.inbox.lock() else {
            return;
        };
        std::mem::swap(&mut inbox.buf, &mut e.records);
        inbox.scheduled = false;
        let shared = &e.handle.shared;
        shared.inbox_pending.store(false, Ordering::Release);
        // Counted as held before the lock is released: the backlog a
        // handle reads never misses messages on their way to the session.
        shared.held.store(e.records.len(), Ordering::Release);
    }
    let mut records = std::mem::take(&mut e.records);
    let mut pos = e.records_pos;
    if all && !taken && pos < records.len() {
        // Held messages first, then everything put since.
        let Ok(mut inbox) = e.handle.shared.inbox.lock() else {
            e.records = records;
            return;
        };
        records.extend_from_slice(&inbox.buf);
        inbox.buf.clear();
        inbox.scheduled = false;
        let shared = &e.handle.shared;
        shared.inbox_pending.store(false, Ordering::Release);
        shared.held.store(records.len() - pos, Ordering::Release);
    }
    let mut since_write = 0;
    while let Some(r) = next_record(&records, &mut pos) {
        if let Err(err) = e.session.send_fields(r.msg_type, r.header, r.body, now) {
            log::warn!("session {}: message not sent: {err}", e.shared().key);
            e.app.on_error(&e.handle, &err);
        }
        // Write as we go, so that a large batch reaches the peer while the
        // rest is still being encoded.
        since_write += 1;
        if since_write == WRITE_EVERY {
            since_write = 0;
            if let Err(err) = write_out(ctx, e) {
                link_broken(ctx, e, Some(err));
            }
            if !all && e.handle.shared.unsent.load(Ordering::Relaxed) > DRAIN_PAUSE {
                break;
            }
        }
    }
    let shared = &e.handle.shared;
    // The sequence numbers first: once the backlog a handle reads drops,
    // the next MsgSeqNum it reads counts every message given to the
    // session.
    shared.publish_seq_nums(
        e.session.next_target_seq_num(),
        e.session.next_sender_seq_num(),
    );
    shared
        .held
        .store(records.len() - pos.min(records.len()), Ordering::Release);
    e.records = records;
    e.records_pos = pos;
}

/// Whether messages put on the session wait and the socket can take more.
pub(super) fn inbox_ready(e: &Entry) -> bool {
    (e.records_pos < e.records.len() || e.handle.shared.inbox_pending.load(Ordering::Acquire))
        && e.handle.shared.unsent.load(Ordering::Relaxed) <= DRAIN_PAUSE
}
