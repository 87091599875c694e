//! What a session reports to its driver: [`Event`]s, polled after every
//! input with [`Session::poll_event`](crate::Session::poll_event).

use crate::error::SessionError;
use crate::state::SessionState;
use crate::store::SeqNum;
use fixrs_proto::{
    BusinessRejectReason, FrameError, Message, MessageBuilder, SessionRejectReason, Stashed, Tag,
};

/// Something the driver (engine or application) must know or do.
///
/// Received messages are zero-copy views into a buffer of the session,
/// valid until the next call to `poll_event` or to an input method.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Every state transition.
    StateChanged {
        /// The state left.
        from: SessionState,
        /// The state entered.
        to: SessionState,
    },
    /// The transport must open a link to the counterparty (initiator
    /// connect or reconnect), then call `handle_link_up` or, on failure,
    /// `handle_link_down`.
    OpenLink,
    /// The transport must close the link once the pending bytes
    /// (`poll_transmit`) are written (logout done, fatal error...).
    CloseLink,
    /// Logon completed (both sides), after any resend synchronisation was
    /// requested.
    LoggedOn,
    /// The session logged out: the Logout exchange is over or the peer's
    /// Logout was answered. Text(58) of the peer's or our Logout, if any.
    LoggedOut {
        /// Text(58) of the Logout.
        text: Option<String>,
    },
    /// An application message received in sequence (or released from the
    /// out-of-order queue once a gap was filled).
    AppMessage(Message<'a>),
    /// A session-level message received (for from_admin hooks and logging).
    AdminMessage(Message<'a>),
    /// We rejected an incoming message (Reject(3) or
    /// BusinessMessageReject(j) sent). The message itself is reported here
    /// and not as [`Event::AppMessage`], so that nothing the peer sent goes
    /// unseen: a fill refused for an undefined tag is still the
    /// application's to look at.
    Rejected {
        /// MsgSeqNum(34) of the rejected message, when known.
        ref_seq_num: Option<SeqNum>,
        /// SessionRejectReason(373) given, if a session-level Reject.
        reason: Option<SessionRejectReason>,
        /// RefTagID(371) given, if any.
        ref_tag_id: Option<Tag>,
        /// BusinessRejectReason(380) given, if a BusinessMessageReject.
        business_reason: Option<BusinessRejectReason>,
        /// Text(58) of the Reject.
        text: String,
        /// The rejected message, when its fields could be split (a message
        /// with SOH inside a value cannot).
        message: Option<Message<'a>>,
        /// The rejected message's bytes, as received.
        bytes: &'a [u8],
    },
    /// A garbled frame was dropped; NextNumIn is untouched (2d, 2m, 2t, 3b-3e).
    Garbled {
        /// What was wrong.
        error: FrameError,
        /// How many bytes were dropped to find the next frame.
        dropped: usize,
    },
    /// An application message that will not be delivered (its
    /// late-delivery time to live expired, or it was discarded).
    Undelivered {
        /// The message as the application gave it.
        msg: MessageBuilder,
        /// Why.
        reason: UndeliveredReason,
    },
    /// A problem worth reporting (store failure, logon refused, sequence
    /// too low...). The session has already acted on it.
    Error(SessionError),
    /// Something unusual the session accepted and carried on from (a
    /// SequenceReset that changes nothing...): worth a line in the log,
    /// not an error.
    Warning(SessionWarning),
}

/// Something unusual in what the peer sent that the session accepted,
/// reported as [`Event::Warning`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionWarning {
    /// A SequenceReset-Reset set NewSeqNo(36) to the MsgSeqNum already
    /// expected (test case 11b): accepted, nothing changes.
    #[error("SequenceReset to NewSeqNo {new_seq_no}, which is already expected")]
    SequenceResetNoChange {
        /// NewSeqNo(36) received.
        new_seq_no: SeqNum,
    },
}

/// Why an application message was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UndeliveredReason {
    /// It waited for the session to be established longer than the
    /// late-delivery time to live.
    Expired,
    /// The application discarded the late-delivery queue
    /// ([`Session::discard_queued`](crate::Session::discard_queued)).
    Discarded,
}

/// An event as queued inside the session: received messages are kept,
/// already indexed, in the session's delivery stash until polled.
#[derive(Debug)]
pub(crate) enum QueuedEvent {
    StateChanged {
        from: SessionState,
        to: SessionState,
    },
    OpenLink,
    CloseLink,
    LoggedOn,
    LoggedOut(Option<String>),
    App(Stashed),
    Admin(Stashed),
    Rejected {
        ref_seq_num: Option<SeqNum>,
        reason: Option<SessionRejectReason>,
        ref_tag_id: Option<Tag>,
        business_reason: Option<BusinessRejectReason>,
        text: String,
        message: RejectedMessage,
    },
    Garbled {
        error: FrameError,
        dropped: usize,
    },
    Undelivered {
        msg: MessageBuilder,
        reason: UndeliveredReason,
    },
    Error(SessionError),
    Warning(SessionWarning),
}

/// A rejected message as kept until its event is polled.
#[derive(Debug)]
pub(crate) enum RejectedMessage {
    /// Split into fields, in the delivery stash.
    Stashed(Stashed),
    /// Bytes that could not be split into fields.
    Raw(Vec<u8>),
}
