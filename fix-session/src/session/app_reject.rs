//! Rejects the application asks for after seeing a received message
//! (QuickFIX's `fromApp`/`fromAdmin` exceptions): the session sends the
//! Reject(3) or BusinessMessageReject(j) QuickFIX sends for them.

use super::outbound::Rejected;
use super::Session;
use crate::reject::{MessageRejection, RejectError};
use crate::state::SessionState;
use crate::time::Now;
use fixrs_proto::tag::msg_type;
use fixrs_proto::{
    BusinessRejectReason, FixVersion, Message, MessageStash, SessionRejectReason, UtcTimestamp,
};
use std::time::Instant;

impl Session {
    /// Rejects the received message that [`poll_event`](Session::poll_event)
    /// handed out last (as [`Event::AppMessage`](crate::Event::AppMessage)
    /// or [`Event::AdminMessage`](crate::Event::AdminMessage)), as the
    /// application asks: sends the Reject(3) or BusinessMessageReject(j)
    /// that [`MessageRejection`] describes, numbered and stored like any
    /// message, and reports it as [`Event::Rejected`](crate::Event::Rejected).
    ///
    /// Call it right after the application saw the message, before
    /// [`handle_pending_input`](Session::handle_pending_input), so that the
    /// reject goes out before the session acts on the next message (what
    /// the application sent in between goes out before it). The message
    /// was already counted as received; a message can be rejected once.
    ///
    /// The session-level actions a message causes are taken before the
    /// application sees it (a TestRequest is already answered), and a
    /// Logon is refused with [`logout`](Session::logout) or
    /// [`disconnect`](Session::disconnect) instead.
    pub fn reject(&mut self, rejection: &MessageRejection, now: Now) -> Result<(), RejectError> {
        let Now { instant: now, utc } = now;
        self.begin_input();
        let Some(r) = self.rejectable else {
            return Err(RejectError::NoMessage);
        };
        if !self.link_up
            || !matches!(
                self.state,
                SessionState::Established | SessionState::WaitForConfirmLogout
            )
        {
            return Err(RejectError::NotLoggedOn { state: self.state });
        }
        // A copy, so that the message can be read while the reject is
        // written (the session keeps the rejected message for the event).
        let stash = if r.moved {
            &self.rejectable_stash
        } else {
            &self.inbox
        };
        let Some(msg) = stash.get(r.kept) else {
            return Err(RejectError::NoMessage);
        };
        if msg.msg_type() == msg_type::LOGON {
            return Err(RejectError::Logon);
        }
        let mut copy = MessageStash::new();
        let kept = copy.push(&msg);
        let Some(msg) = copy.get(kept) else {
            return Err(RejectError::NoMessage);
        };
        self.rejectable = None;
        self.send_requested_reject(&msg, r.app, rejection, now, utc);
        Ok(())
    }

    /// Sends what QuickFIX's `Session::next` catch blocks send for the
    /// exception `rejection` stands for.
    fn send_requested_reject(
        &mut self,
        msg: &Message<'_>,
        app: bool,
        rejection: &MessageRejection,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let rejected = Rejected::of(msg, msg.msg_seq_num().unwrap_or(0));
        // FIX 4.0 and 4.1 have no BusinessMessageReject (nor RefTagID(371):
        // send_reject names the tag in Text(58) there).
        let has_business_reject =
            !matches!(self.config.version, FixVersion::Fix40 | FixVersion::Fix41);
        match rejection {
            MessageRejection::FieldNotFound(t) if app && has_business_reject => {
                let reason = BusinessRejectReason::ConditionallyRequiredFieldMissing;
                let text = format!("{} ({t})", reason.description());
                self.send_business_reject(&rejected, reason, &text, now, utc);
            }
            MessageRejection::FieldNotFound(t)
            | MessageRejection::IncorrectTagValue(t)
            | MessageRejection::IncorrectDataFormat(t) => {
                let reason = match rejection {
                    MessageRejection::FieldNotFound(_) => SessionRejectReason::RequiredTagMissing,
                    MessageRejection::IncorrectTagValue(_) => SessionRejectReason::ValueIsIncorrect,
                    _ => SessionRejectReason::IncorrectDataFormat,
                };
                self.send_reject(&rejected, reason, Some(*t), None, now, utc);
            }
            MessageRejection::UnsupportedMessageType => {
                let reason = BusinessRejectReason::UnsupportedMessageType;
                let text = reason.description();
                self.send_business_reject(&rejected, reason, text, now, utc);
            }
            MessageRejection::Session {
                reason,
                ref_tag,
                text,
            } => {
                self.send_reject(&rejected, *reason, *ref_tag, text.as_deref(), now, utc);
            }
            MessageRejection::Business {
                reason,
                ref_id,
                text,
            } => {
                let text = text.as_deref().unwrap_or(reason.description());
                let ref_id = ref_id.as_deref().map(str::as_bytes);
                self.send_business_reject_with_id(&rejected, *reason, ref_id, text, now, utc);
            }
        }
    }
}
