//! What a session reports to its application: owned [`SessionEvent`]s
//! (delivered through a [`SessionEvents`](crate::SessionEvents) stream or
//! a [`Handler`](crate::Handler), see the delivery module).

use fixrs_proto::{BusinessRejectReason, FrameError, MessageBuilder, SessionRejectReason, Tag};
use fixrs_session::{SessionState, SessionWarning, UndeliveredReason};
use fixrs_transport_mio::OwnedMessage;

/// Something that happened to a session, owned so that it can travel
/// through a channel to another task.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The session changed state.
    StateChanged {
        /// The state left.
        from: SessionState,
        /// The state entered.
        to: SessionState,
    },
    /// Logon completed.
    LoggedOn,
    /// The session logged out; Text(58) of the Logout, if any.
    LoggedOut {
        /// Text(58) of the Logout.
        text: Option<String>,
    },
    /// An application message received in sequence.
    Message(OwnedMessage),
    /// A session-level message received (only when asked for with
    /// [`SessionOptions::with_admin_events`](crate::SessionOptions::with_admin_events)).
    Admin(OwnedMessage),
    /// The session rejected an incoming message (Reject(3) or
    /// BusinessMessageReject(j) sent); the message is reported here and
    /// not as [`SessionEvent::Message`].
    Rejected {
        /// MsgSeqNum(34) of the rejected message, when known.
        ref_seq_num: Option<u64>,
        /// SessionRejectReason(373) given, if a session-level Reject.
        reason: Option<SessionRejectReason>,
        /// RefTagID(371) given, if any.
        ref_tag_id: Option<Tag>,
        /// BusinessRejectReason(380) given, if a BusinessMessageReject.
        business_reason: Option<BusinessRejectReason>,
        /// Text(58) of the Reject.
        text: String,
        /// The rejected message, when its fields could be split.
        message: Option<OwnedMessage>,
        /// The rejected message's bytes, as received.
        bytes: Vec<u8>,
    },
    /// A garbled frame was dropped.
    Garbled {
        /// What was wrong.
        error: FrameError,
        /// How many bytes were dropped to find the next frame.
        dropped: usize,
    },
    /// An application message that will not be delivered.
    Undelivered {
        /// The message as the application gave it.
        msg: MessageBuilder,
        /// Why.
        reason: UndeliveredReason,
    },
    /// A problem the session or its link had (the session has acted on
    /// it already: a broken link leads to a reconnect, for instance).
    Error(crate::Error),
    /// Something unusual the session accepted and carried on from.
    Warning(SessionWarning),
}
