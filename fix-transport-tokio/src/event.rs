//! What a session reports to its application: owned [`SessionEvent`]s,
//! through a [`SessionEvents`] stream or a [`Handler`].

use crate::core::Responder;
use fixrs_proto::{BusinessRejectReason, FrameError, MessageBuilder, SessionRejectReason, Tag};
use fixrs_session::{SessionState, SessionWarning, UndeliveredReason};
use fixrs_transport_mio::OwnedMessage;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

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

/// The callback form of [`SessionEvents`]: called on the session's task
/// for each event, in order. What it sends through the [`Responder`]
/// goes out before the session acts on the next message it received.
/// It must not block: it runs on the session's task.
pub trait Handler: Send + 'static {
    /// One event of the session.
    fn on_event(&mut self, event: SessionEvent, session: &mut Responder<'_>);
}

impl<F> Handler for F
where
    F: FnMut(SessionEvent, &mut Responder<'_>) + Send + 'static,
{
    fn on_event(&mut self, event: SessionEvent, session: &mut Responder<'_>) {
        self(event, session)
    }
}

/// The events of one session, as a [`Stream`] (or with
/// [`recv`](SessionEvents::recv)). It ends when the session's task ends.
///
/// Events are queued without a bound, so that a session never stops
/// reading its link because its application is slow to look: read them.
#[derive(Debug)]
pub struct SessionEvents {
    rx: mpsc::UnboundedReceiver<SessionEvent>,
}

impl SessionEvents {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<SessionEvent>) -> SessionEvents {
        SessionEvents { rx }
    }

    /// The next event; `None` once the session's task ended.
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        self.rx.recv().await
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        self.rx.try_recv().ok()
    }
}

impl Stream for SessionEvents {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        self.rx.poll_recv(cx)
    }
}

/// Where a session's events go.
pub(crate) enum Sink {
    Channel(mpsc::UnboundedSender<SessionEvent>),
    Handler(Box<dyn Handler>),
}

impl Sink {
    pub(crate) fn deliver(&mut self, event: SessionEvent, session: &mut Responder<'_>) {
        match self {
            // A receiver that was dropped no longer wants events.
            Sink::Channel(tx) => drop(tx.send(event)),
            Sink::Handler(h) => h.on_event(event, session),
        }
    }
}
