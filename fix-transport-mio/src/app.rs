//! The application side of a session: the [`Application`] callbacks the
//! engine thread calls, and [`ChannelApplication`], an adapter that turns
//! them into owned [`AppEvent`]s on a `std::sync::mpsc` channel.
//!
//! Callbacks run on the engine's event loop thread, one at a time, for
//! every session the engine hosts: they should return quickly (a slow
//! callback delays every session of the engine). They may send messages
//! with [`SessionHandle::put`], which is queued and written right after the
//! callback returns. When one read brings several messages, each is
//! handled in turn: what the callbacks put (or the rejection they return)
//! for one message is given to the session before it processes the next.

use crate::handle::SessionHandle;
use fixrs_proto::message::FieldSpan;
use fixrs_proto::{
    BusinessRejectReason, FieldError, Message, MessageBuilder, SessionRejectReason, Tag,
};
use fixrs_session::{MessageRejection, SeqNum, SessionKey, SessionState, UndeliveredReason};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fields an outgoing Logon carries beyond the session's own: the
/// [`Application::to_admin`] hook may fill them in before each logon
/// attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogonFields {
    /// Username(553).
    pub username: Option<String>,
    /// Password(554).
    pub password: Option<String>,
    /// Extra fields (tag, value) appended to the Logon body.
    pub extra: Vec<(Tag, String)>,
}

/// Why the application refused a Logon in [`Application::from_admin`]; the
/// connection is dropped without a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("logon refused: {0}")]
pub struct RefuseLogon(pub String);

/// What [`Application::from_admin`] may answer a session-level message
/// with, as QuickFIX applications throw `RejectLogon` or a field exception
/// from `fromAdmin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminRejection {
    /// Refuse a Logon: the connection is dropped without a reply (for
    /// other messages it is only logged).
    #[error(transparent)]
    RefuseLogon(#[from] RefuseLogon),
    /// Reject the message: the session sends the Reject(3) (or
    /// BusinessMessageReject(j)) the rejection describes. A Logon rejected
    /// this way is refused, as with `RefuseLogon`.
    #[error("message rejected: {0}")]
    Reject(#[from] MessageRejection),
}

impl From<FieldError> for AdminRejection {
    fn from(e: FieldError) -> AdminRejection {
        AdminRejection::Reject(e.into())
    }
}

/// A message the session rejected: it sent a Reject(3) or a
/// BusinessMessageReject(j) for it. The message is not delivered to
/// [`Application::on_message`]; it is here, with what the Reject said, so
/// that nothing the counterparty sent goes unseen (a fill refused for an
/// undefined tag is still a fill).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Rejection<'a> {
    /// MsgSeqNum(34) of the rejected message, when known.
    pub ref_seq_num: Option<SeqNum>,
    /// The SessionRejectReason(373) sent, if a session-level Reject.
    pub reason: Option<SessionRejectReason>,
    /// The RefTagID(371) sent, if any: the field at fault.
    pub ref_tag_id: Option<Tag>,
    /// The BusinessRejectReason(380) sent, if a BusinessMessageReject.
    pub business_reason: Option<BusinessRejectReason>,
    /// Human-readable explanation (the Text(58) sent).
    pub text: &'a str,
    /// The rejected message, when its fields could be split (not when a
    /// value contained SOH).
    pub message: Option<&'a Message<'a>>,
    /// The rejected message's bytes, as received.
    pub bytes: &'a [u8],
}

/// The callbacks of one session, called on the engine thread.
///
/// Every method has a default that does nothing (or accepts), so an
/// application implements only what it needs.
pub trait Application: Send + 'static {
    /// The session is established: Logon sent and confirmed.
    fn on_logon(&mut self, session: &SessionHandle) {
        let _ = session;
    }

    /// The session logged out (the text of the Logout, if any).
    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        let _ = (session, text);
    }

    /// An application message arrived in sequence (or a PossDup resend not
    /// seen before). The view is valid during the call only. Called by the
    /// default [`from_app`](Application::from_app): implement one of the
    /// two.
    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        let _ = (session, message);
    }

    /// An application message arrived, as [`on_message`](Application::on_message),
    /// for an application that may reject it (QuickFIX's `fromApp`, whose
    /// exceptions the error stands for). Returning an error makes the
    /// session answer with the Reject(3) or BusinessMessageReject(j) it
    /// describes, numbered and stored like any message, before it
    /// processes the next message; messages put during the call go out
    /// first. `?` on a field read rejects a message whose field is missing
    /// ([`MessageRejection::FieldNotFound`]) or malformed.
    ///
    /// The default calls `on_message` and accepts.
    // Named after QuickFIX's fromApp, which users know.
    #[allow(clippy::wrong_self_convention)]
    fn from_app(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), MessageRejection> {
        self.on_message(session, message);
        Ok(())
    }

    /// The session moved from one state to another.
    fn on_state_change(&mut self, session: &SessionHandle, from: SessionState, to: SessionState) {
        let _ = (session, from, to);
    }

    /// The session rejected an incoming message (validation against the
    /// data dictionary, a session-level problem, an unsupported MsgType):
    /// the message and the Reject it caused. Called instead of
    /// [`on_message`](Application::on_message) for that message.
    fn on_reject(&mut self, session: &SessionHandle, rejection: &Rejection<'_>) {
        let _ = (session, rejection);
    }

    /// A message put on the session will not be delivered (late delivery
    /// rejected or its time to live expired).
    fn on_undelivered(
        &mut self,
        session: &SessionHandle,
        message: MessageBuilder,
        reason: UndeliveredReason,
    ) {
        let _ = (session, message, reason);
    }

    /// A problem the session or engine reports (store failure, refused
    /// logon, broken link...).
    ///
    /// The error is `'static` so that it can be downcast to the type a
    /// layer reports (a transport's error arrives inside an `io::Error`;
    /// `io::Error::get_ref` reaches it).
    fn on_error(&mut self, session: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        let _ = (session, error);
    }

    /// Whether the application takes another message now. The engine asks
    /// before it processes each message the peer sent while the session
    /// is logged on (the Logon and Logout exchanges are always read:
    /// `SessionState::is_exchanging_logon_or_logout`). While the answer
    /// is false, it reads nothing more from this session's peer (what the
    /// peer sends waits in the socket, and TCP holds the peer back), and
    /// the session does not take the peer's silence for a dead link: no
    /// TestRequest goes out, and one already out does not time out.
    /// Heartbeats, timers, put messages and writes go on.
    ///
    /// After answering false, call [`SessionHandle::resume_input`] once
    /// there is room again (the engine also asks again at each of the
    /// session's timers, such as its heartbeat). The default always has
    /// room. [`ChannelApplication::bounded`] answers from the number of
    /// events its receiver has not taken.
    fn has_room(&mut self, session: &SessionHandle) -> bool {
        let _ = session;
        true
    }

    /// Called before each Logon we send (first connect, reconnects,
    /// sequence resets): may set Username(553), Password(554) or extra
    /// fields. The fields start from the session's configuration.
    fn to_admin(&mut self, session: &SessionHandle, logon: &mut LogonFields) {
        let _ = (session, logon);
    }

    /// Called with every session-level message received (Logon, Heartbeat,
    /// TestRequest, ResendRequest, Reject, SequenceReset, Logout). For an
    /// acceptor's first Logon it is called before the session sees it.
    /// Returning an error for a Logon refuses it: the connection is dropped
    /// without a reply. [`AdminRejection::Reject`] for another message
    /// makes the session send the Reject(3) it describes (the session has
    /// already acted on the message: a TestRequest was answered).
    // Named after QuickFIX's fromAdmin, which users know.
    #[allow(clippy::wrong_self_convention)]
    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        let _ = (session, message);
        Ok(())
    }
}

/// A received message copied out of the engine: its bytes and the position
/// of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    bytes: Vec<u8>,
    fields: Vec<FieldSpan>,
}

impl OwnedMessage {
    /// Copies a message view.
    pub fn from_message(message: &Message<'_>) -> OwnedMessage {
        OwnedMessage {
            bytes: message.as_bytes().to_vec(),
            fields: message.spans().to_vec(),
        }
    }

    /// The message as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// MsgType(35).
    pub fn msg_type(&self) -> &[u8] {
        self.get(fixrs_proto::tag::MSG_TYPE).unwrap_or(b"")
    }

    /// The raw value of the first field with `tag`.
    pub fn get(&self, tag: Tag) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.tag == tag)
            .and_then(|f| self.bytes.get(f.range()))
    }

    /// The first field with `tag` as text, if present and UTF-8.
    pub fn get_str(&self, tag: Tag) -> Option<&str> {
        self.get(tag).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// MsgSeqNum(34), if present and numeric.
    pub fn msg_seq_num(&self) -> Option<SeqNum> {
        self.get_str(fixrs_proto::tag::MSG_SEQ_NUM)
            .and_then(|v| v.parse().ok())
    }

    /// Whether PossDupFlag(43) is `Y`.
    pub fn is_poss_dup(&self) -> bool {
        self.get(fixrs_proto::tag::POSS_DUP_FLAG) == Some(b"Y")
    }

    /// Every field as (tag, value), in order.
    pub fn fields(&self) -> impl Iterator<Item = (Tag, &[u8])> + '_ {
        self.fields
            .iter()
            .filter_map(|f| self.bytes.get(f.range()).map(|v| (f.tag, v)))
    }
}

/// What a [`ChannelApplication`] sends for each callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum AppEventKind {
    /// The session changed state.
    StateChanged {
        /// The state left.
        from: SessionState,
        /// The state entered.
        to: SessionState,
    },
    /// The session is established.
    LoggedOn,
    /// The session logged out.
    LoggedOut {
        /// Text(58) of the Logout, if any.
        text: Option<String>,
    },
    /// An application message arrived.
    Message(OwnedMessage),
    /// A session-level message arrived.
    AdminMessage(OwnedMessage),
    /// The session rejected an incoming message (see [`Rejection`]).
    Rejected {
        /// MsgSeqNum(34) of the rejected message.
        ref_seq_num: Option<SeqNum>,
        /// SessionRejectReason(373), if any.
        reason: Option<SessionRejectReason>,
        /// RefTagID(371), if any.
        ref_tag_id: Option<Tag>,
        /// BusinessRejectReason(380), if a BusinessMessageReject.
        business_reason: Option<BusinessRejectReason>,
        /// Explanation.
        text: String,
        /// The rejected message, when its fields could be split.
        message: Option<OwnedMessage>,
        /// The rejected message's bytes.
        bytes: Vec<u8>,
    },
    /// A message put on the session will not be delivered.
    Undelivered {
        /// The message.
        message: MessageBuilder,
        /// Why.
        reason: UndeliveredReason,
    },
    /// An error the session or engine reported.
    Error(String),
    /// A connection attempt failed or the link was lost (a
    /// [`LinkError`](crate::LinkError), as text): an initiator reconnects
    /// per its settings, an acceptor waits for the next Logon.
    LinkFailed(String),
}

/// An owned event of one session, sent by [`ChannelApplication`].
#[derive(Debug)]
pub struct AppEvent {
    /// The session it concerns.
    pub session: Arc<SessionKey>,
    /// What happened.
    pub kind: AppEventKind,
}

/// An [`Application`] that sends every callback as an [`AppEvent`] on a
/// channel, for programs that prefer to receive on their own thread.
/// Several sessions may share one channel; events carry the session's key.
///
/// The engine's event loop thread serves every session and never blocks,
/// so it never waits for a slow receiver. With [`bounded`](Self::bounded)
/// (the one to use with counterparties that may send faster than the
/// receiver takes), a session whose receiver holds `capacity` events or
/// more stops reading from its peer ([`Application::has_room`]) until the
/// receiver has taken half of them: the peer's messages wait in the socket
/// and TCP holds the peer back, and nothing is lost. Events that come
/// without reading (state changes, errors, undelivered messages) are sent
/// all the same, so the count may pass `capacity` by a few. With
/// [`new`](Self::new) the channel is unbounded: a receiver that falls
/// behind a counterparty for long keeps every message received meanwhile
/// in memory, without limit.
///
/// ```
/// let (app, events) = fixrs_transport_mio::ChannelApplication::bounded(1024);
/// # drop((app, events));
/// ```
#[derive(Debug, Clone)]
pub struct ChannelApplication {
    tx: mpsc::Sender<AppEvent>,
    admin_messages: bool,
    bound: Option<Arc<Bound>>,
}

/// What a bounded channel's two ends share: how many events wait, and the
/// sessions that stopped reading until there is room.
struct Bound {
    capacity: usize,
    /// Events sent and not yet received.
    held: AtomicUsize,
    /// The receiver was dropped: nobody will make room, nor needs it.
    receiver_gone: AtomicBool,
    /// Sessions told there is no room, to resume once there is.
    paused: Mutex<Vec<SessionHandle>>,
    /// Whether `paused` may hold a session: the receiver looks here, not
    /// in the locked list, after each event it takes.
    any_paused: AtomicBool,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("capacity", &self.capacity)
            .field("held", &self.held)
            .finish()
    }
}

impl Bound {
    fn has_room(&self) -> bool {
        self.held.load(Ordering::SeqCst) < self.capacity
            || self.receiver_gone.load(Ordering::SeqCst)
    }

    /// Resumes the sessions waiting for room.
    fn resume_paused(&self) {
        // (Set before a session that registered looks at `held` again:
        // either it sees the room made, or this sees the flag.)
        if !self.any_paused.load(Ordering::SeqCst) {
            return;
        }
        let paused = match self.paused.lock() {
            Ok(mut paused) if !paused.is_empty() => {
                self.any_paused.store(false, Ordering::SeqCst);
                std::mem::take(&mut *paused)
            }
            _ => return,
        };
        for session in paused {
            // A stopped engine has nothing to resume.
            let _ = session.resume_input();
        }
    }
}

impl ChannelApplication {
    /// An adapter and the receiving end of its channel, unbounded (see
    /// [`bounded`](Self::bounded)).
    pub fn new() -> (ChannelApplication, mpsc::Receiver<AppEvent>) {
        let (tx, rx) = mpsc::channel();
        (ChannelApplication::with_sender(tx), rx)
    }

    /// An adapter and the receiving end of its channel: a session stops
    /// reading from its peer while the receiver holds `capacity` events or
    /// more (at least 1), and reads again once it holds half as many. The
    /// adapter may be cloned for several sessions: they share the bound.
    pub fn bounded(capacity: usize) -> (ChannelApplication, ChannelReceiver) {
        let (tx, rx) = mpsc::channel();
        let bound = Arc::new(Bound {
            capacity: capacity.max(1),
            held: AtomicUsize::new(0),
            receiver_gone: AtomicBool::new(false),
            paused: Mutex::new(Vec::new()),
            any_paused: AtomicBool::new(false),
        });
        let app = ChannelApplication {
            tx,
            admin_messages: false,
            bound: Some(bound.clone()),
        };
        (app, ChannelReceiver { rx, bound })
    }

    /// An adapter sending to an existing channel (to share one receiver
    /// among sessions), unbounded.
    pub fn with_sender(tx: mpsc::Sender<AppEvent>) -> ChannelApplication {
        ChannelApplication {
            tx,
            admin_messages: false,
            bound: None,
        }
    }

    /// Also send session-level messages as [`AppEventKind::AdminMessage`].
    pub fn with_admin_messages(mut self) -> ChannelApplication {
        self.admin_messages = true;
        self
    }

    fn send(&self, session: &SessionHandle, kind: AppEventKind) {
        if let Some(bound) = &self.bound {
            bound.held.fetch_add(1, Ordering::SeqCst);
        }
        let event = AppEvent {
            session: session.key_arc(),
            kind,
        };
        // A dropped receiver means nobody listens any more: not an error
        // of the session.
        if self.tx.send(event).is_err() {
            if let Some(bound) = &self.bound {
                bound.held.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

/// The receiving end of a [`ChannelApplication::bounded`] channel: an
/// `mpsc::Receiver` that counts what it hands out, and lets the sessions
/// it held back read again once it holds half its capacity.
#[derive(Debug)]
pub struct ChannelReceiver {
    rx: mpsc::Receiver<AppEvent>,
    bound: Arc<Bound>,
}

impl ChannelReceiver {
    /// Waits for the next event (as `mpsc::Receiver::recv`).
    pub fn recv(&self) -> Result<AppEvent, mpsc::RecvError> {
        self.rx.recv().inspect(|_| self.taken())
    }

    /// The next event if one waits (as `mpsc::Receiver::try_recv`).
    pub fn try_recv(&self) -> Result<AppEvent, mpsc::TryRecvError> {
        self.rx.try_recv().inspect(|_| self.taken())
    }

    /// Waits at most `timeout` for the next event (as
    /// `mpsc::Receiver::recv_timeout`).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<AppEvent, mpsc::RecvTimeoutError> {
        self.rx.recv_timeout(timeout).inspect(|_| self.taken())
    }

    /// The events waiting now, without blocking.
    pub fn try_iter(&self) -> impl Iterator<Item = AppEvent> + '_ {
        std::iter::from_fn(|| self.try_recv().ok())
    }

    /// Every event, blocking for each, until every adapter is dropped.
    pub fn iter(&self) -> impl Iterator<Item = AppEvent> + '_ {
        std::iter::from_fn(|| self.recv().ok())
    }

    /// Events sent and not yet received.
    pub fn len(&self) -> usize {
        self.bound.held.load(Ordering::SeqCst)
    }

    /// Whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound given to [`ChannelApplication::bounded`].
    pub fn capacity(&self) -> usize {
        self.bound.capacity
    }

    fn taken(&self) {
        let held = self.bound.held.fetch_sub(1, Ordering::SeqCst) - 1;
        if held <= self.bound.capacity / 2 {
            self.bound.resume_paused();
        }
    }
}

impl Drop for ChannelReceiver {
    fn drop(&mut self) {
        self.bound.receiver_gone.store(true, Ordering::SeqCst);
        self.bound.resume_paused();
    }
}

impl Application for ChannelApplication {
    fn on_logon(&mut self, session: &SessionHandle) {
        self.send(session, AppEventKind::LoggedOn);
    }

    fn has_room(&mut self, session: &SessionHandle) -> bool {
        let Some(bound) = &self.bound else {
            return true;
        };
        if bound.has_room() {
            return true;
        }
        if let Ok(mut paused) = bound.paused.lock() {
            if !paused.iter().any(|p| p.key() == session.key()) {
                paused.push(session.clone_handle());
            }
            bound.any_paused.store(true, Ordering::SeqCst);
        }
        // The receiver may have made room, or gone, between the first look
        // and the registration, and then found nobody to resume.
        bound.has_room()
    }

    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        self.send(
            session,
            AppEventKind::LoggedOut {
                text: text.map(str::to_string),
            },
        );
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        self.send(
            session,
            AppEventKind::Message(OwnedMessage::from_message(message)),
        );
    }

    fn on_state_change(&mut self, session: &SessionHandle, from: SessionState, to: SessionState) {
        self.send(session, AppEventKind::StateChanged { from, to });
    }

    fn on_reject(&mut self, session: &SessionHandle, rejection: &Rejection<'_>) {
        self.send(
            session,
            AppEventKind::Rejected {
                ref_seq_num: rejection.ref_seq_num,
                reason: rejection.reason,
                ref_tag_id: rejection.ref_tag_id,
                business_reason: rejection.business_reason,
                text: rejection.text.to_string(),
                message: rejection.message.map(OwnedMessage::from_message),
                bytes: rejection.bytes.to_vec(),
            },
        );
    }

    fn on_undelivered(
        &mut self,
        session: &SessionHandle,
        message: MessageBuilder,
        reason: UndeliveredReason,
    ) {
        self.send(session, AppEventKind::Undelivered { message, reason });
    }

    fn on_error(&mut self, session: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        let kind = if error.downcast_ref::<crate::LinkError>().is_some() {
            AppEventKind::LinkFailed(error.to_string())
        } else {
            AppEventKind::Error(error.to_string())
        };
        self.send(session, kind);
    }

    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        if self.admin_messages {
            self.send(
                session,
                AppEventKind::AdminMessage(OwnedMessage::from_message(message)),
            );
        }
        Ok(())
    }
}

/// One application serving every session an acceptor template creates, as
/// one QuickFIX application serves all sessions: each callback names its
/// session through the handle. Callbacks run on the loop thread only, so
/// the lock is never contended.
pub(crate) struct SharedApplication(pub(crate) Arc<std::sync::Mutex<Box<dyn Application>>>);

impl SharedApplication {
    fn with<R>(&self, default: R, f: impl FnOnce(&mut dyn Application) -> R) -> R {
        match self.0.lock() {
            Ok(mut app) => f(&mut **app),
            // Poisoned by a callback that panicked, which stopped the loop.
            Err(_) => default,
        }
    }
}

impl Application for SharedApplication {
    fn on_logon(&mut self, session: &SessionHandle) {
        self.with((), |a| a.on_logon(session))
    }

    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        self.with((), |a| a.on_logout(session, text))
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        self.with((), |a| a.on_message(session, message))
    }

    fn from_app(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), MessageRejection> {
        self.with(Ok(()), |a| a.from_app(session, message))
    }

    fn on_state_change(&mut self, session: &SessionHandle, from: SessionState, to: SessionState) {
        self.with((), |a| a.on_state_change(session, from, to))
    }

    fn on_reject(&mut self, session: &SessionHandle, rejection: &Rejection<'_>) {
        self.with((), |a| a.on_reject(session, rejection))
    }

    fn on_undelivered(
        &mut self,
        session: &SessionHandle,
        message: MessageBuilder,
        reason: UndeliveredReason,
    ) {
        self.with((), |a| a.on_undelivered(session, message, reason))
    }

    fn on_error(&mut self, session: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        self.with((), |a| a.on_error(session, error))
    }

    fn to_admin(&mut self, session: &SessionHandle, logon: &mut LogonFields) {
        self.with((), |a| a.to_admin(session, logon))
    }

    fn has_room(&mut self, session: &SessionHandle) -> bool {
        self.with(true, |a| a.has_room(session))
    }

    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        self.with(Ok(()), |a| a.from_admin(session, message))
    }
}
