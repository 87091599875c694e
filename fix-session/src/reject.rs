//! Rejections the application asks for: [`MessageRejection`], the typed
//! answer to a received message it will not accept, which
//! [`Session::reject`](crate::Session::reject) turns into a Reject(3) or a
//! BusinessMessageReject(j) as QuickFIX does with the exceptions its
//! applications throw from `fromApp` and `fromAdmin`.

use crate::state::SessionState;
use fixrs_proto::value::ValueError;
use fixrs_proto::{BusinessRejectReason, FieldError, SessionRejectReason, Tag};

/// Why the application rejects a received message, and so what the
/// session sends back (numbered and stored like any message it sends).
///
/// The first four variants are QuickFIX's exceptions and get the same
/// answer; `Session` and `Business` choose the reject's fields directly.
/// `?` on a field read turns a [`FieldError`] into one: a missing field
/// into `FieldNotFound`, a value of the wrong format into
/// `IncorrectDataFormat`, one out of range into `IncorrectTagValue`.
///
/// ```
/// use fixrs_proto::{FieldIndex, Message};
/// use fixrs_session::MessageRejection;
///
/// fn check_order(order: &Message<'_>) -> Result<u64, MessageRejection> {
///     if order.msg_type() != b"D" {
///         return Err(MessageRejection::UnsupportedMessageType);
///     }
///     let qty: u64 = order.get_as(38)?; // OrderQty: missing or not a number
///     Ok(qty)
/// }
///
/// let bytes = b"8=FIX.4.4\x019=20\x0135=D\x0134=2\x0111=ORD-1\x0110=102\x01";
/// let mut index = FieldIndex::new();
/// let order = index.parse(bytes).unwrap();
/// assert_eq!(check_order(&order), Err(MessageRejection::FieldNotFound(38)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageRejection {
    /// A field the application needs is missing (QuickFIX's
    /// `FieldNotFound`): for an application message from FIX 4.2 on, a
    /// BusinessMessageReject with BusinessRejectReason(380) = 5,
    /// Conditionally required field missing, and the tag in Text(58);
    /// otherwise a Reject with SessionRejectReason(373) = 1, Required tag
    /// missing, and RefTagID(371).
    FieldNotFound(Tag),
    /// A field's value is not one the application accepts (QuickFIX's
    /// `IncorrectTagValue`): Reject with 373 = 5, Value is incorrect (out
    /// of range) for this tag, and RefTagID(371).
    IncorrectTagValue(Tag),
    /// A field's value has the wrong format (QuickFIX's
    /// `IncorrectDataFormat`): Reject with 373 = 6, Incorrect data format
    /// for value, and RefTagID(371).
    IncorrectDataFormat(Tag),
    /// The application does not handle this MsgType (QuickFIX's
    /// `UnsupportedMessageType`): from FIX 4.2 on a BusinessMessageReject
    /// with 380 = 3, Unsupported Message Type; in FIX 4.0 and 4.1, which
    /// have no BusinessMessageReject, a Reject with that Text(58).
    UnsupportedMessageType,
    /// A session-level Reject(3) with this SessionRejectReason(373), and
    /// RefTagID(371) and Text(58) when given (Text defaults to the
    /// reason's description).
    Session {
        /// SessionRejectReason(373).
        reason: SessionRejectReason,
        /// RefTagID(371), the offending tag, if any.
        ref_tag: Option<Tag>,
        /// Text(58); `None` for the reason's standard description.
        text: Option<String>,
    },
    /// A BusinessMessageReject(j) with this BusinessRejectReason(380), and
    /// BusinessRejectRefID(379) and Text(58) when given (Text defaults to
    /// the reason's description). In FIX 4.0 and 4.1, a Reject with the
    /// text.
    Business {
        /// BusinessRejectReason(380).
        reason: BusinessRejectReason,
        /// BusinessRejectRefID(379): the business ID of the rejected
        /// message (ClOrdID, QuoteReqID...), if any.
        ref_id: Option<String>,
        /// Text(58); `None` for the reason's standard description.
        text: Option<String>,
    },
}

impl From<FieldError> for MessageRejection {
    fn from(e: FieldError) -> MessageRejection {
        match e {
            FieldError::Missing(tag) => MessageRejection::FieldNotFound(tag),
            FieldError::Invalid {
                tag,
                error: ValueError::Empty,
            } => MessageRejection::Session {
                reason: SessionRejectReason::TagSpecifiedWithoutValue,
                ref_tag: Some(tag),
                text: None,
            },
            FieldError::Invalid { tag, .. } => match e.session_reject_reason() {
                SessionRejectReason::ValueIsIncorrect => MessageRejection::IncorrectTagValue(tag),
                _ => MessageRejection::IncorrectDataFormat(tag),
            },
        }
    }
}

impl std::fmt::Display for MessageRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageRejection::FieldNotFound(t) => write!(f, "field not found: tag {t}"),
            MessageRejection::IncorrectTagValue(t) => write!(f, "incorrect value: tag {t}"),
            MessageRejection::IncorrectDataFormat(t) => {
                write!(f, "incorrect data format: tag {t}")
            }
            MessageRejection::UnsupportedMessageType => f.write_str("unsupported message type"),
            MessageRejection::Session {
                reason,
                ref_tag,
                text,
            } => {
                f.write_str(text.as_deref().unwrap_or(reason.description()))?;
                match ref_tag {
                    Some(t) => write!(f, " (tag {t})"),
                    None => Ok(()),
                }
            }
            MessageRejection::Business { reason, text, .. } => {
                f.write_str(text.as_deref().unwrap_or(reason.description()))
            }
        }
    }
}

impl std::error::Error for MessageRejection {}

/// Why [`Session::reject`](crate::Session::reject) sent nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectError {
    /// No received message to reject: none was handed out since the last
    /// link change, or the last one was already rejected.
    #[error("no received message to reject")]
    NoMessage,
    /// The message is a Logon: refuse it by logging out or disconnecting
    /// instead.
    #[error("a Logon is refused by logging out or disconnecting, not with a Reject")]
    Logon,
    /// The session is not logged on, so it cannot send a reject.
    #[error("cannot send a reject while the session is {state:?}")]
    NotLoggedOn {
        /// The session's state.
        state: SessionState,
    },
}
