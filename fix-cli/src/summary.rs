//! One-line summaries of FIX messages, for timelines and live session
//! views: the MsgType's name, MsgSeqNum, PossDup, and the few fields that
//! identify the message (ClOrdID and Side of an order, ExecType of an
//! execution report, the range of a ResendRequest ...), with enumerated
//! values named from the data dictionary.
//!
//! ```
//! use fix_cli::summary::summarize;
//! use fixrs_proto::{Encoder, FieldIndex, FieldWriter};
//!
//! let mut enc = Encoder::new();
//! enc.start("FIX.4.4", b"D");
//! enc.push_str(49, "BUY").push_str(56, "SELL").push_uint(34, 7)
//!     .push_str(11, "ORD-1").push_str(55, "EUR/USD").push_char(54, b'1').push_uint(38, 100);
//! let bytes = enc.finish().to_vec();
//! let mut index = FieldIndex::new();
//! let msg = index.parse(&bytes).unwrap();
//! assert_eq!(
//!     summarize(&msg, None),
//!     "NewOrderSingle #7 ClOrdID=ORD-1 Side=BUY Symbol=EUR/USD OrderQty=100"
//! );
//! ```

use crate::decode::dictionary_for;
use crate::text::escape;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FixVersion, Message, Tag};

/// The fields worth showing for a MsgType, in the order shown.
pub fn key_fields(msg_type: &[u8]) -> &'static [Tag] {
    match msg_type {
        b"0" | b"1" => &[tag::TEST_REQ_ID],
        b"2" => &[tag::BEGIN_SEQ_NO, tag::END_SEQ_NO],
        b"3" => &[
            tag::REF_SEQ_NUM,
            tag::REF_TAG_ID,
            tag::SESSION_REJECT_REASON,
            tag::TEXT,
        ],
        b"4" => &[tag::NEW_SEQ_NO],
        b"5" => &[tag::TEXT],
        b"A" => &[
            tag::HEART_BT_INT,
            tag::RESET_SEQ_NUM_FLAG,
            tag::DEFAULT_APPL_VER_ID,
        ],
        b"j" => &[
            tag::REF_SEQ_NUM,
            tag::REF_MSG_TYPE,
            tag::BUSINESS_REJECT_REASON,
            tag::TEXT,
        ],
        b"D" => &[
            tag::CL_ORD_ID,
            tag::SIDE,
            tag::SYMBOL,
            tag::ORDER_QTY,
            tag::PRICE,
        ],
        b"F" | b"G" => &[tag::CL_ORD_ID, tag::ORIG_CL_ORD_ID, tag::SIDE, tag::SYMBOL],
        b"8" => &[
            tag::CL_ORD_ID,
            tag::EXEC_TYPE,
            tag::ORD_STATUS,
            tag::SYMBOL,
            tag::LAST_QTY,
            tag::LAST_PX,
            tag::CUM_QTY,
        ],
        b"9" => &[
            tag::CL_ORD_ID,
            tag::ORIG_CL_ORD_ID,
            tag::ORD_STATUS,
            tag::TEXT,
        ],
        b"V" | b"W" | b"X" | b"Y" => &[tag::MD_REQ_ID, tag::SYMBOL, tag::NO_MD_ENTRIES],
        _ => &[tag::CL_ORD_ID, tag::SYMBOL, tag::TEXT],
    }
}

/// A one-line summary of `msg`, naming fields and values with the
/// built-in dictionary of its version (or `dictionary`).
pub fn summarize(msg: &Message<'_>, dictionary: Option<&Dictionary>) -> String {
    let dict = dictionary.unwrap_or_else(|| dictionary_for(msg, None).1);
    summarize_with(msg, dict)
}

/// [`summarize`] with the dictionary given.
pub fn summarize_with(msg: &Message<'_>, dict: &Dictionary) -> String {
    let msg_type = msg.msg_type();
    let mut out = msg_type_name(dict, msg_type);
    if let Ok(seq) = msg.msg_seq_num() {
        out.push_str(&format!(" #{seq}"));
    }
    if msg.get(tag::POSS_DUP_FLAG) == Some(b"Y") {
        out.push_str(" PossDup");
    }
    if msg_type == b"4" {
        out.push_str(if msg.get(tag::GAP_FILL_FLAG) == Some(b"Y") {
            " GapFill"
        } else {
            " Reset"
        });
    }
    for &t in key_fields(msg_type) {
        let Some(value) = msg.get(t) else { continue };
        let name = dict
            .field_name(t)
            .map(str::to_string)
            .unwrap_or_else(|| t.to_string());
        let shown = match dict.value_description(t, value) {
            Some(d) => d.to_string(),
            None => escape(value, 64),
        };
        out.push_str(&format!(" {name}={shown}"));
    }
    out
}

/// The name of a MsgType from the dictionary, or `MsgType(x)` when it is
/// not known.
pub fn msg_type_name(dict: &Dictionary, msg_type: &[u8]) -> String {
    match dict.message(msg_type) {
        Some(m) => m.name().to_string(),
        None => format!("MsgType({})", escape(msg_type, 16)),
    }
}

/// The name of a MsgType in the built-in dictionary of `version`.
pub fn msg_type_name_in(version: FixVersion, msg_type: &[u8]) -> String {
    msg_type_name(Dictionary::builtin(version), msg_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixrs_proto::{Encoder, FieldIndex, FieldWriter};

    fn build(msg_type: &[u8], fields: &[(Tag, &str)]) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.start("FIX.4.4", msg_type);
        for (t, v) in fields {
            enc.push_str(*t, v);
        }
        enc.finish().to_vec()
    }

    #[test]
    fn session_messages_show_their_parameters() {
        let bytes = build(b"4", &[(34, "3"), (43, "Y"), (123, "Y"), (36, "7")]);
        let mut index = FieldIndex::new();
        let msg = index.parse(&bytes).unwrap();
        assert_eq!(
            summarize(&msg, None),
            "SequenceReset #3 PossDup GapFill NewSeqNo=7"
        );
    }

    #[test]
    fn unknown_msg_types_are_named_by_value() {
        let bytes = build(b"ZZ", &[(34, "1")]);
        let mut index = FieldIndex::new();
        let msg = index.parse(&bytes).unwrap();
        assert_eq!(summarize(&msg, None), "MsgType(ZZ) #1");
    }
}
