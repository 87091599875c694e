//! A session's events, handed to its application's callbacks and written
//! to its FIX log.

use super::entry::{Entry, EventOutcome};
use crate::app::{AdminRejection, Application, Rejection};
use crate::filelog::FileLog;
use crate::handle::SessionHandle;
use fixrs_proto::{Message, UtcTimestamp};
use fixrs_session::{Event, SessionState};
use std::ops::ControlFlow;

/// Hands a session's queued events to its application; stops after an
/// event the session must act on before any later one (a rejection).
/// What the callbacks asked for is added to the entry's `outcome` (in
/// place: the outcome is large, and most calls find no event).
#[inline]
pub(super) fn drain_events(e: &mut Entry, utc: UtcTimestamp) {
    if e.session.has_event() {
        deliver_events(e, utc);
    } else {
        // The usual case after the input's own events were handed out:
        // polling (as the session asks) finds nothing.
        let none = e.session.poll_event();
        debug_assert!(none.is_none());
    }
}

/// The body of [`drain_events`], for a session with an event to hand out.
fn deliver_events(e: &mut Entry, utc: UtcTimestamp) {
    let Entry {
        session,
        app,
        handle,
        log,
        logon_already_checked,
        outcome: out,
        ..
    } = e;
    let mut to = Callbacks {
        app: &mut **app,
        handle,
        log,
        logon_already_checked,
        utc,
    };
    while let Some(ev) = session.poll_event() {
        if let Event::StateChanged { from, to: state } = ev {
            // Sequence numbers first: a thread woken by the new state
            // reads those that go with it.
            let shared = &to.handle.shared;
            shared.publish_seq_nums(session.next_target_seq_num(), session.next_sender_seq_num());
            shared.publish_state(state);
            to.state_changed(from, state);
            continue;
        }
        if to.deliver(ev, out).is_break() {
            break;
        }
    }
}

/// The parts of a session its events go to.
struct Callbacks<'a> {
    app: &'a mut dyn Application,
    handle: &'a SessionHandle,
    log: &'a mut Option<FileLog>,
    /// The acceptor's first Logon was already shown to `from_admin` while
    /// routing it.
    logon_already_checked: &'a mut bool,
    utc: UtcTimestamp,
}

impl Callbacks<'_> {
    fn log_event(&mut self, text: &str) {
        if let Some(log) = self.log {
            let _ = log.event(self.utc, text);
        }
    }

    fn log_message(&mut self, bytes: &[u8]) {
        if let Some(log) = self.log {
            let _ = log.message(self.utc, bytes);
        }
    }

    /// The session changed state (published already).
    fn state_changed(&mut self, from: SessionState, to: SessionState) {
        let handle = self.handle;
        log::debug!("session {}: {from:?} -> {to:?}", handle.shared.key);
        self.log_event(&format!("State {from:?} -> {to:?}"));
        self.app.on_state_change(handle, from, to);
    }

    /// One event; `Break` when the session must act before the next.
    fn deliver(&mut self, ev: Event<'_>, out: &mut EventOutcome) -> ControlFlow<()> {
        let handle = self.handle;
        let key = &handle.shared.key;
        match ev {
            Event::StateChanged { from, to } => self.state_changed(from, to),
            Event::OpenLink => out.open = true,
            Event::CloseLink => out.close = true,
            Event::LoggedOn => {
                log::info!("session {key}: logged on");
                self.log_event("Logon complete");
                self.app.on_logon(handle);
            }
            Event::LoggedOut { text } => {
                log::info!("session {key}: logged out");
                self.log_event("Logout complete");
                self.app.on_logout(handle, text.as_deref());
            }
            Event::AppMessage(msg) => {
                self.log_message(msg.as_bytes());
                if let Err(rejection) = self.app.from_app(handle, &msg) {
                    // The session rejects it before any later event.
                    out.reject = Some(rejection);
                    return ControlFlow::Break(());
                }
            }
            Event::AdminMessage(msg) => return self.admin(&msg, out),
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
                // The rejected message is logged as received, like every
                // other.
                self.log_message(bytes);
                self.log_event(&format!("Message rejected: {text}"));
                let rejection = Rejection {
                    ref_seq_num,
                    reason,
                    ref_tag_id,
                    business_reason,
                    text: &text,
                    message: message.as_ref(),
                    bytes,
                };
                self.app.on_reject(handle, &rejection);
            }
            Event::Garbled { error, .. } => {
                log::debug!("session {key}: garbled message dropped: {error}");
                self.log_event(&format!("Garbled message dropped: {error}"));
            }
            Event::Undelivered { msg, reason } => {
                self.app.on_undelivered(handle, msg, reason);
            }
            Event::Error(err) => {
                log::warn!("session {key}: {err}");
                self.log_event(&err.to_string());
                self.app.on_error(handle, &err);
            }
            Event::Warning(warning) => {
                log::warn!("session {key}: {warning}");
                self.log_event(&warning.to_string());
            }
            // Events added to the session layer later are only logged.
            other => log::debug!("session {key}: {other:?}"),
        }
        ControlFlow::Continue(())
    }

    /// A session-level message: `from_admin` may refuse a Logon or reject
    /// the message.
    fn admin(&mut self, msg: &Message<'_>, out: &mut EventOutcome) -> ControlFlow<()> {
        self.log_message(msg.as_bytes());
        let is_logon = msg.msg_type() == fixrs_proto::tag::msg_type::LOGON;
        if is_logon && std::mem::take(self.logon_already_checked) {
            return ControlFlow::Continue(());
        }
        let handle = self.handle;
        let key = &handle.shared.key;
        match self.app.from_admin(handle, msg) {
            Ok(()) => {}
            Err(refused) if is_logon => {
                log::info!("session {key}: {refused}");
                out.refuse = true;
            }
            Err(AdminRejection::Reject(rejection)) => {
                out.reject = Some(rejection);
                return ControlFlow::Break(());
            }
            Err(refused) => {
                log::info!("session {key}: {refused} (only a Logon can be refused)");
            }
        }
        ControlFlow::Continue(())
    }
}
