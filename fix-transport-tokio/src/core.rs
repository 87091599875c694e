//! Every call this crate makes into [`fixrs_session::Session`], in one
//! place: the driving loop of the session layer's contract (inputs, then
//! bytes, events and the next deadline until idle), with the clock read
//! here and nowhere else.

use crate::event::SessionEvent;
use crate::options::Dictionaries;
use fixrs_proto::{MessageBuilder, UtcTimestamp};
use fixrs_session::{
    Event, MessageRejection, Now, RejectError, SendError, Session, SessionConfig, SessionError,
    SessionKey, SessionState, Store,
};
use fixrs_transport_mio::filelog::FileLog;
use fixrs_transport_mio::OwnedMessage;
use std::time::{Instant, SystemTime};

/// The current time for the session: the monotonic clock from tokio (so
/// that a paused test clock drives the timers) and UTC from the system.
/// The task reads it once per batch of sends ([`Core::send_at`]).
pub(crate) fn now() -> Now {
    Now::new(
        tokio::time::Instant::now().into_std(),
        UtcTimestamp::from(SystemTime::now()),
    )
}

/// What a pass of [`Core::drive`] asks the task to do with the link.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkRequests {
    /// Open a link (an initiator's connect or reconnect).
    pub(crate) open: bool,
    /// Close the link once the bytes handed out before are written.
    pub(crate) close: bool,
}

/// A session with its FIX message log.
pub(crate) struct Core {
    session: Session,
    log: Option<FileLog>,
    /// Whether session-level messages are reported as events.
    admin_events: bool,
}

/// Where [`Core`] hands the events it produces: the session task's sink
/// (a stream or a handler), which implements it in the delivery module.
pub(crate) trait Deliver {
    /// Hands one event over; a handler may answer it through `session`
    /// before the session goes on.
    fn deliver(&mut self, event: SessionEvent, session: &mut Responder<'_>);

    /// Whether the application can take the events of another received
    /// message now.
    fn has_room(&self) -> bool;
}

/// Lets the receiver of an event answer it before the session goes on
/// with the next message (the ordering rule of the session layer).
pub struct Responder<'a> {
    core: &'a mut Core,
}

impl Responder<'_> {
    /// Sends an application message now, in answer to the event.
    pub fn send(&mut self, msg: &MessageBuilder) -> Result<(), SendError> {
        self.core.send(msg)
    }

    /// Rejects the application message of the event being handled
    /// (Reject(3) or BusinessMessageReject(j), as the rejection says).
    pub fn reject(&mut self, rejection: &MessageRejection) -> Result<(), RejectError> {
        self.core.session.reject(rejection, now())
    }

    /// The session's state.
    pub fn state(&self) -> SessionState {
        self.core.session.state()
    }
}

impl Core {
    /// A new session with its store, dictionaries and log.
    pub(crate) fn new(
        config: SessionConfig,
        store: Box<dyn Store + Send>,
        dictionaries: Dictionaries,
        log: Option<FileLog>,
        admin_events: bool,
    ) -> Result<Core, SessionError> {
        let mut session = Session::new(config, store, now())?;
        if let Some(d) = dictionaries.dictionary {
            session.set_dictionary(d);
        }
        for (version, d) in dictionaries.app_dictionaries {
            session.set_app_dictionary(version, d);
        }
        Ok(Core {
            session,
            log,
            admin_events,
        })
    }

    /// The current UTC time, for stores created by the driver.
    pub(crate) fn utc_now() -> UtcTimestamp {
        now().utc
    }

    pub(crate) fn key(&self) -> SessionKey {
        self.session.key()
    }

    pub(crate) fn state(&self) -> SessionState {
        self.session.state()
    }

    pub(crate) fn seq_nums(&self) -> (u64, u64) {
        (
            self.session.next_sender_seq_num(),
            self.session.next_target_seq_num(),
        )
    }

    pub(crate) fn connect(&mut self) {
        self.session.connect(now());
    }

    pub(crate) fn link_up(&mut self) {
        self.session.handle_link_up(now());
    }

    pub(crate) fn link_down(&mut self) {
        self.session.handle_link_down(now());
    }

    pub(crate) fn input(&mut self, bytes: &[u8]) {
        self.session.handle_input(bytes, now());
    }

    /// Whether received messages wait for the unwritten bytes to drop
    /// under the bound ([`Core::drive`]); nothing more is read meanwhile.
    pub(crate) fn has_pending_input(&self) -> bool {
        self.session.has_pending_input()
    }

    /// Tells the session whether the link goes unread because the
    /// application is behind with its events, so that the peer's silence
    /// meanwhile does not end the link.
    pub(crate) fn set_reading_paused(&mut self, paused: bool) {
        // One clock read only when it changes.
        if self.session.is_reading_paused() != paused {
            self.session.set_reading_paused(paused, now());
        }
    }

    /// Bytes the session holds for the link that [`Core::drive`] has not
    /// handed out yet (sends since the last drive).
    pub(crate) fn unsent_len(&self) -> usize {
        self.session.pending_transmit_len()
    }

    pub(crate) fn timeout(&mut self) {
        self.session.handle_timeout(now());
    }

    pub(crate) fn send(&mut self, msg: &MessageBuilder) -> Result<(), SendError> {
        self.send_at(msg, now())
    }

    /// [`Core::send`] at a time read before (one clock read for a batch).
    pub(crate) fn send_at(&mut self, msg: &MessageBuilder, now: Now) -> Result<(), SendError> {
        self.session.send(msg, now).map(|_| ())
    }

    pub(crate) fn logout(&mut self, text: Option<&str>) {
        self.session.logout(text, now());
    }

    pub(crate) fn disconnect(&mut self) {
        self.session.disconnect(now());
    }

    pub(crate) fn reset_seq_num_local(&mut self) {
        self.session.reset_seq_num_local(now());
    }

    pub(crate) fn reset_seq_num_and_send_logon(&mut self) {
        self.session.reset_seq_num_and_send_logon(now());
    }

    pub(crate) fn discard_queued(&mut self) {
        self.session.discard_queued();
    }

    /// Delivers an event of the driver's own (a link error) as the
    /// session's are delivered.
    pub(crate) fn report(&mut self, event: SessionEvent, sink: &mut impl Deliver) {
        sink.deliver(event, &mut Responder { core: self });
    }

    /// The next deadline of the session's timers.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    /// Gives back buffer memory beyond `keep` bytes once a link is gone.
    pub(crate) fn shrink(&mut self, keep: usize) {
        self.session.shrink_buffers(keep);
    }

    /// Drives the session until it is idle: appends the bytes to write to
    /// `out` (logging them), hands every event to `sink` (a handler may
    /// answer at once through the [`Responder`]), goes on with input kept
    /// for later while the unwritten bytes (`out` and what the session
    /// still holds) are under `limit` and the sink has room for more
    /// events, and flushes the store and the log. Returns what the link
    /// must do.
    ///
    /// Received messages are taken one at a time (the session stops after
    /// each one the application sees), so `out` passes `limit` by at most
    /// what one message caused: a peer asking for resends it does not
    /// read gets one resend beyond the bound, not one per request read.
    pub(crate) fn drive(
        &mut self,
        out: &mut Vec<u8>,
        limit: usize,
        sink: &mut impl Deliver,
    ) -> LinkRequests {
        let mut requests = LinkRequests::default();
        // One clock reading for the pass: the input it works through was
        // all received before it started.
        let now = now();
        loop {
            let start = out.len();
            while let Some(bytes) = self.session.poll_transmit() {
                let n = bytes.len();
                out.extend_from_slice(bytes);
                self.session.transmitted(n);
            }
            if out.len() > start {
                if let Some(log) = &mut self.log {
                    let _ = log.messages(now.utc, &out[start..]);
                }
            }
            let mut busy = false;
            while let Some(event) = self.next_event(&mut requests, now.utc) {
                busy = true;
                sink.deliver(event, &mut Responder { core: self });
            }
            if self.session.has_pending_input()
                && out.len() + self.session.pending_transmit_len() < limit
                && (sink.has_room() || self.session.state().is_exchanging_logon_or_logout())
            {
                self.session.handle_pending_input(now);
            } else if !busy {
                break;
            }
        }
        if self.session.store_needs_flush() {
            // Errors come back as events, delivered on the next pass.
            let _ = self.session.flush_store();
        }
        if let Some(log) = &mut self.log {
            let _ = log.flush();
        }
        requests
    }

    /// The next event as an owned value, after logging it; link requests
    /// go to `requests`, and session-level messages are only logged
    /// unless asked for; the log says `utc`. `None` when the session has
    /// no more events.
    fn next_event(
        &mut self,
        requests: &mut LinkRequests,
        utc: UtcTimestamp,
    ) -> Option<SessionEvent> {
        loop {
            let utc = self.log.as_ref().map(|_| utc);
            let event = self.session.poll_event()?;
            let log = &mut self.log;
            let owned = match event {
                Event::OpenLink => {
                    requests.open = true;
                    continue;
                }
                Event::CloseLink => {
                    requests.close = true;
                    continue;
                }
                Event::StateChanged { from, to } => {
                    log_event(log, utc, &format!("State {from:?} -> {to:?}"));
                    SessionEvent::StateChanged { from, to }
                }
                Event::LoggedOn => {
                    log_event(log, utc, "Logon complete");
                    SessionEvent::LoggedOn
                }
                Event::LoggedOut { text } => {
                    log_event(log, utc, "Logout complete");
                    SessionEvent::LoggedOut { text }
                }
                Event::AppMessage(m) => {
                    log_message(log, utc, m.as_bytes());
                    SessionEvent::Message(OwnedMessage::from_message(&m))
                }
                Event::AdminMessage(m) => {
                    log_message(log, utc, m.as_bytes());
                    if !self.admin_events {
                        continue;
                    }
                    SessionEvent::Admin(OwnedMessage::from_message(&m))
                }
                Event::Rejected {
                    ref_seq_num,
                    reason,
                    ref_tag_id,
                    business_reason,
                    text,
                    message,
                    bytes,
                } => {
                    log_message(log, utc, bytes);
                    log_event(log, utc, &format!("Message rejected: {text}"));
                    SessionEvent::Rejected {
                        ref_seq_num,
                        reason,
                        ref_tag_id,
                        business_reason,
                        text,
                        message: message.as_ref().map(OwnedMessage::from_message),
                        bytes: bytes.to_vec(),
                    }
                }
                Event::Garbled { error, dropped } => {
                    log_event(log, utc, &format!("Garbled message dropped: {error}"));
                    SessionEvent::Garbled { error, dropped }
                }
                Event::Undelivered { msg, reason } => SessionEvent::Undelivered { msg, reason },
                Event::Error(e) => {
                    log_event(log, utc, &e.to_string());
                    SessionEvent::Error(crate::Error::Session(e))
                }
                Event::Warning(w) => {
                    log_event(log, utc, &w.to_string());
                    SessionEvent::Warning(w)
                }
                // Events added to the session layer later are only logged.
                other => {
                    log::debug!("session event not handled: {other:?}");
                    continue;
                }
            };
            return Some(owned);
        }
    }
}

/// Writes a line to the event log, if there is one. A log that cannot be
/// written must not stop the session: the failure is dropped here, as the
/// mio engine does.
fn log_event(log: &mut Option<FileLog>, utc: Option<UtcTimestamp>, text: &str) {
    if let (Some(log), Some(utc)) = (log.as_mut(), utc) {
        let _ = log.event(utc, text);
    }
}

/// Writes a received message to the message log, if there is one.
fn log_message(log: &mut Option<FileLog>, utc: Option<UtcTimestamp>, bytes: &[u8]) {
    if let (Some(log), Some(utc)) = (log.as_mut(), utc) {
        let _ = log.message(utc, bytes);
    }
}
