//! Messages typed by a person: `35=D|55=EUR/USD|54=1|38=100|40=1`, with
//! `|` (or SOH) between fields and field names allowed in place of tags
//! (`MsgType=D|Symbol=EUR/USD|Side=1`). The session fills in the header;
//! fields it owns are refused with a clear reason.
//!
//! ```
//! use fix_cli::human::parse_message;
//! use fixrs_proto::dictionary::Dictionary;
//! use fixrs_proto::FixVersion;
//!
//! let dict = Dictionary::builtin(FixVersion::Fix44);
//! let order = parse_message("35=D|11=ORD-1|Symbol=EUR/USD|54=1|38=100|40=1", Some(dict)).unwrap();
//! assert_eq!(order.msg_type(), b"D");
//! assert_eq!(order.body(), b"11=ORD-1\x0155=EUR/USD\x0154=1\x0138=100\x0140=1\x01");
//!
//! let err = parse_message("35=D|34=5|11=X", Some(dict)).unwrap_err();
//! assert_eq!(err.to_string(), "MsgSeqNum(34) is set by the session: leave it out");
//! ```

use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FieldWriter, MessageBuilder, Tag, SOH};

/// Why a typed message cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HumanError {
    /// The line has no fields.
    #[error("empty message")]
    Empty,
    /// A piece between delimiters is not `tag=value`.
    #[error("{0:?} is not tag=value")]
    NotAField(String),
    /// A tag that is neither a positive number nor a field name of the
    /// session's dictionary.
    #[error("unknown field {0:?} (use a tag number or a field name of the session's dictionary)")]
    UnknownField(String),
    /// MsgType(35) is missing.
    #[error("MsgType(35) is missing: start with 35=<type>, e.g. 35=D")]
    NoMsgType,
    /// MsgType(35) appears twice.
    #[error("MsgType(35) is given twice")]
    TwoMsgTypes,
    /// A field the session writes itself (BeginString, BodyLength,
    /// MsgSeqNum, CompIDs, SendingTime, CheckSum).
    #[error("{name}({tag}) is set by the session: leave it out")]
    SessionField {
        /// Its name.
        name: &'static str,
        /// The tag.
        tag: Tag,
    },
    /// A session-level MsgType, which only the session sends.
    #[error("MsgType {0} is a session-level message the session sends itself (type q to log out)")]
    SessionMsgType(String),
}

/// Header fields the session writes itself, with their names.
const SESSION_FIELDS: [(Tag, &str); 7] = [
    (tag::BEGIN_STRING, "BeginString"),
    (tag::BODY_LENGTH, "BodyLength"),
    (tag::CHECK_SUM, "CheckSum"),
    (tag::MSG_SEQ_NUM, "MsgSeqNum"),
    (tag::SENDER_COMP_ID, "SenderCompID"),
    (tag::TARGET_COMP_ID, "TargetCompID"),
    (tag::SENDING_TIME, "SendingTime"),
];

/// MsgTypes of the session layer: Heartbeat, TestRequest, ResendRequest,
/// Reject, SequenceReset, Logout, Logon.
const SESSION_MSG_TYPES: [&[u8]; 7] = [b"0", b"1", b"2", b"3", b"4", b"5", b"A"];

/// Parses a typed message into an application message to put on a
/// session. Field names are looked up in `dictionary` when given. Other
/// standard header fields (OnBehalfOfCompID(115), PossResend(97) ...) go
/// to the message's header.
pub fn parse_message(
    line: &str,
    dictionary: Option<&Dictionary>,
) -> Result<MessageBuilder, HumanError> {
    let line = line.trim();
    let sep = |c: char| c == '|' || c == SOH as char;
    let mut msg_type: Option<&str> = None;
    let mut fields: Vec<(Tag, &str)> = Vec::new();
    for piece in line.split(sep) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let Some((key, value)) = piece.split_once('=') else {
            return Err(HumanError::NotAField(piece.to_string()));
        };
        let key = key.trim();
        let t = match key.parse::<Tag>() {
            Ok(t) if t > 0 => t,
            _ => dictionary
                .and_then(|d| d.field_by_name(key))
                .map(|f| f.tag())
                .ok_or_else(|| HumanError::UnknownField(key.to_string()))?,
        };
        if let Some(&(tag, name)) = SESSION_FIELDS.iter().find(|(s, _)| *s == t) {
            return Err(HumanError::SessionField { name, tag });
        }
        if t == tag::MSG_TYPE {
            if msg_type.replace(value).is_some() {
                return Err(HumanError::TwoMsgTypes);
            }
        } else {
            fields.push((t, value));
        }
    }
    if fields.is_empty() && msg_type.is_none() {
        return Err(HumanError::Empty);
    }
    let msg_type = msg_type.ok_or(HumanError::NoMsgType)?;
    if SESSION_MSG_TYPES.contains(&msg_type.as_bytes()) {
        return Err(HumanError::SessionMsgType(msg_type.to_string()));
    }
    let mut msg = MessageBuilder::new(msg_type.as_bytes());
    for (t, value) in fields {
        if tag::is_standard_header(t) {
            msg.header_mut().push_str(t, value);
        } else {
            msg.push_str(t, value);
        }
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_go_to_the_header() {
        let m = parse_message("35=D|115=CLIENT|11=A", None).unwrap();
        assert_eq!(m.header(), b"115=CLIENT\x01");
        assert_eq!(m.body(), b"11=A\x01");
    }

    #[test]
    fn bad_input_is_explained() {
        assert_eq!(parse_message("  ", None), Err(HumanError::Empty));
        assert_eq!(parse_message("11=A", None), Err(HumanError::NoMsgType));
        assert_eq!(
            parse_message("35=D|garbage", None),
            Err(HumanError::NotAField("garbage".into()))
        );
        assert_eq!(
            parse_message("35=D|Symbol=X", None),
            Err(HumanError::UnknownField("Symbol".into()))
        );
        assert_eq!(
            parse_message("8=FIX.4.4|35=D", None),
            Err(HumanError::SessionField {
                name: "BeginString",
                tag: 8
            })
        );
        assert_eq!(
            parse_message("35=A|98=0", None),
            Err(HumanError::SessionMsgType("A".into()))
        );
        assert_eq!(
            parse_message("35=D|35=F", None),
            Err(HumanError::TwoMsgTypes)
        );
    }
}
