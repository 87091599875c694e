//! Firing due timers: sessions' own deadlines (heartbeats, logon and
//! logout timeouts, reconnects), links' connect and close timeouts and
//! their transports' deadlines, and the logon timeout of connections
//! waiting for their first Logon.

use super::connect::connect_timed_out;
use super::entry::{Entry, LinkIo, LinkRef};
use super::input::resume_input;
use super::link::{abort_link, link_broken, schedule_timer};
use super::service::service;
use super::{Ctx, EventLoop};
use crate::timers::TimerOwner;
use std::time::Instant;

impl EventLoop {
    pub(super) fn fire_timers(&mut self) {
        let now = self.ctx.time.instant;
        // Take the due entries first: deadlines that firing sets at `now`
        // or earlier wait for the next iteration, so sockets and commands
        // are served in between whatever the timers do.
        let mut due_list = std::mem::take(&mut self.due);
        while let Some(entry) = self.ctx.timers.pop_due(now) {
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
                    e.session.handle_timeout(self.ctx.time);
                    // An application with no room is asked again at each
                    // timer: one that never says it has room again is
                    // slow, not stuck.
                    resume_input(&mut self.ctx, e);
                    service(&mut self.ctx, e);
                }
                TimerOwner::Link { idx, serial } => {
                    if let Some(e) = self.sessions.get_at(idx) {
                        link_timer(&mut self.ctx, e, LinkRef { idx, serial }, due);
                    }
                }
                TimerOwner::Pending { idx, gen } => self.pending_timer(idx, gen, due),
            }
        }
        due_list.clear();
        self.due = due_list;
    }
}

/// A link's timer fired: its transport's deadline (a TLS handshake), the
/// connect timeout or the close timeout.
fn link_timer(ctx: &mut Ctx, e: &mut Entry, l: LinkRef, due: Instant) {
    let now = ctx.time.instant;
    let Some(link) = e.link_mut(l.serial) else {
        return;
    };
    if link.timer_queued != Some(due) {
        return;
    }
    link.timer_queued = None;
    let failed = match &mut link.io {
        LinkIo::Open(t) if t.poll_timeout().is_some_and(|d| d <= now) => {
            t.handle_timeout(now).err()
        }
        _ => None,
    };
    if let Some(err) = failed {
        link_broken(ctx, e, Some(err));
        service(ctx, e);
        return;
    }
    if link.deadline.is_none_or(|d| d > now) {
        schedule_timer(ctx, l.idx, link);
        return;
    }
    match link.io {
        LinkIo::Resolving { .. } | LinkIo::Connecting { .. } => {
            connect_timed_out(ctx, e);
            service(ctx, e);
        }
        _ => {
            log::info!("link not closed within the close timeout: reset");
            abort_link(ctx, e);
            service(ctx, e);
        }
    }
}
