//! Session-level messages: typed builders and views for Logon(A),
//! Heartbeat(0), TestRequest(1), ResendRequest(2), Reject(3),
//! SequenceReset(4), Logout(5) and BusinessMessageReject(j).
//!
//! A builder is a small struct of borrowed values whose
//! [`AdminMessage::write_body`] appends the body fields through any
//! [`FieldWriter`] ([`Encoder`](crate::Encoder) after the session has
//! written the header, or a [`MessageBuilder`](crate::MessageBuilder)).
//! A view wraps a parsed [`Message`], checks its MsgType(35) once, and
//! reads each field as its FIX type with a [`FieldError`] naming the tag.
//! Neither allocates.
//!
//! ```
//! use fixrs_proto::admin::{AdminMessage, Logon, LogonView};
//! use fixrs_proto::encode::{Encoder, FieldWriter};
//! use fixrs_proto::{tag, FieldIndex, UtcTimestamp};
//!
//! let mut enc = Encoder::new();
//! enc.start("FIX.4.4", Logon::MSG_TYPE)
//!     .push_str(tag::SENDER_COMP_ID, "CLIENT")
//!     .push_str(tag::TARGET_COMP_ID, "EXCHANGE")
//!     .push_uint(tag::MSG_SEQ_NUM, 1);
//! enc.push_timestamp(tag::SENDING_TIME, UtcTimestamp::from_unix(1_705_314_600, 0));
//! Logon::new(30).reset_seq_num(true).write_body(&mut enc);
//! let bytes = enc.finish();
//!
//! let mut index = FieldIndex::new();
//! let msg = index.parse(bytes).unwrap();
//! let logon = LogonView::from_message(&msg).unwrap();
//! assert_eq!(logon.heart_bt_int(), Ok(30));
//! assert_eq!(logon.reset_seq_num_flag(), Ok(true));
//! ```

use crate::encode::FieldWriter;
use crate::message::Message;
use crate::reject::{BusinessRejectReason, SessionRejectReason};
use crate::tag::{self, msg_type};
use crate::value::{
    parse_u64, FieldError, FromFixValue, PositiveSeqNum, SeqNum, ToFixValue, ValueError,
};
use crate::{FixVersion, Tag};

/// A session-level message that can write its body fields.
pub trait AdminMessage {
    /// Its MsgType(35).
    const MSG_TYPE: &'static [u8];

    /// Appends the body fields (everything after the standard header and
    /// before the trailer) in the order of the FIX specification.
    fn write_body<W: FieldWriter>(&self, w: &mut W);
}

/// Why a message cannot be read through an admin view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// MsgType(35) is not the one the view reads.
    #[error("MsgType(35) is not {expected}")]
    WrongMsgType {
        /// The MsgType the view expected.
        expected: &'static str,
    },
    /// A field is missing or malformed.
    #[error(transparent)]
    Field(#[from] FieldError),
}

impl<'a> FromFixValue<'a> for SessionRejectReason {
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        let code = u32::from_fix_value(bytes)?;
        SessionRejectReason::from_code(code).ok_or(ValueError::UnknownValue)
    }
}

impl ToFixValue for SessionRejectReason {
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.code().write_fix_value(out)
    }
}

impl<'a> FromFixValue<'a> for BusinessRejectReason {
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        let code = u32::from_fix_value(bytes)?;
        BusinessRejectReason::from_code(code).ok_or(ValueError::UnknownValue)
    }
}

impl ToFixValue for BusinessRejectReason {
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.code().write_fix_value(out)
    }
}

/// A required field whose value must not be empty.
#[inline]
fn required_bytes<'a>(msg: &Message<'a>, tag: Tag) -> Result<&'a [u8], FieldError> {
    match msg.get(tag) {
        None => Err(FieldError::Missing(tag)),
        Some([]) => Err(FieldError::Invalid {
            tag,
            error: ValueError::Empty,
        }),
        Some(v) => Ok(v),
    }
}

/// A flag that defaults to N when absent.
#[inline]
fn flag(msg: &Message<'_>, tag: Tag) -> Result<bool, FieldError> {
    msg.get_opt::<bool>(tag).map(|v| v.unwrap_or(false))
}

/// Checks a view's MsgType.
#[inline]
fn expect_type(
    msg: &Message<'_>,
    expected: &'static [u8],
    name: &'static str,
) -> Result<(), AdminError> {
    if msg.msg_type() == expected {
        Ok(())
    } else {
        Err(AdminError::WrongMsgType { expected: name })
    }
}

macro_rules! view {
    ($(#[$doc:meta])* $view:ident, $msg_type:expr, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $view<'a> {
            msg: Message<'a>,
        }

        impl<'a> $view<'a> {
            /// A view of `msg`, which must have the right MsgType(35).
            #[inline]
            pub fn from_message(msg: &Message<'a>) -> Result<Self, AdminError> {
                expect_type(msg, $msg_type, $name)?;
                Ok($view { msg: *msg })
            }

            /// The whole message.
            #[inline]
            pub fn message(&self) -> &Message<'a> {
                &self.msg
            }
        }
    };
}

// ---------------------------------------------------------------- Logon

/// Logon (MsgType A) builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logon<'a> {
    /// EncryptMethod(98); 0 is None, the only one in use.
    pub encrypt_method: u32,
    /// HeartBtInt(108) in seconds.
    pub heart_bt_int: u32,
    /// RawData(96) (with RawDataLength(95)), for authentication.
    pub raw_data: Option<&'a [u8]>,
    /// ResetSeqNumFlag(141)=Y: both sides restart at 1.
    pub reset_seq_num_flag: bool,
    /// NextExpectedMsgSeqNum(789) (FIX 4.4 and later).
    pub next_expected_msg_seq_num: Option<SeqNum>,
    /// MaxMessageSize(383).
    pub max_message_size: Option<u32>,
    /// TestMessageIndicator(464).
    pub test_message_indicator: Option<bool>,
    /// Username(553).
    pub username: Option<&'a str>,
    /// Password(554).
    pub password: Option<&'a str>,
    /// NewPassword(925).
    pub new_password: Option<&'a str>,
    /// DefaultApplVerID(1137), required on FIXT.1.1 sessions.
    pub default_appl_ver_id: Option<FixVersion>,
}

impl<'a> Logon<'a> {
    /// A Logon with EncryptMethod 0 and the given HeartBtInt.
    pub const fn new(heart_bt_int: u32) -> Logon<'a> {
        Logon {
            encrypt_method: 0,
            heart_bt_int,
            raw_data: None,
            reset_seq_num_flag: false,
            next_expected_msg_seq_num: None,
            max_message_size: None,
            test_message_indicator: None,
            username: None,
            password: None,
            new_password: None,
            default_appl_ver_id: None,
        }
    }

    /// Sets ResetSeqNumFlag(141).
    pub const fn reset_seq_num(mut self, reset: bool) -> Self {
        self.reset_seq_num_flag = reset;
        self
    }

    /// Sets NextExpectedMsgSeqNum(789).
    pub const fn next_expected(mut self, seq: SeqNum) -> Self {
        self.next_expected_msg_seq_num = Some(seq);
        self
    }

    /// Sets Username(553) and Password(554).
    pub const fn credentials(mut self, username: &'a str, password: &'a str) -> Self {
        self.username = Some(username);
        self.password = Some(password);
        self
    }

    /// Sets DefaultApplVerID(1137).
    pub const fn default_appl_ver(mut self, version: FixVersion) -> Self {
        self.default_appl_ver_id = Some(version);
        self
    }
}

impl AdminMessage for Logon<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::LOGON;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        w.push_uint(tag::ENCRYPT_METHOD, self.encrypt_method as u64);
        w.push_uint(tag::HEART_BT_INT, self.heart_bt_int as u64);
        if let Some(data) = self.raw_data {
            w.push_data(tag::RAW_DATA_LENGTH, tag::RAW_DATA, data);
        }
        if self.reset_seq_num_flag {
            w.push_bool(tag::RESET_SEQ_NUM_FLAG, true);
        }
        if let Some(n) = self.next_expected_msg_seq_num {
            w.push_uint(tag::NEXT_EXPECTED_MSG_SEQ_NUM, n);
        }
        if let Some(n) = self.max_message_size {
            w.push_uint(tag::MAX_MESSAGE_SIZE, n as u64);
        }
        if let Some(t) = self.test_message_indicator {
            w.push_bool(tag::TEST_MESSAGE_INDICATOR, t);
        }
        if let Some(u) = self.username {
            w.push_str(tag::USERNAME, u);
        }
        if let Some(p) = self.password {
            w.push_str(tag::PASSWORD, p);
        }
        if let Some(p) = self.new_password {
            w.push_str(tag::NEW_PASSWORD, p);
        }
        if let Some(v) = self.default_appl_ver_id {
            w.push_str(tag::DEFAULT_APPL_VER_ID, v.appl_ver_id());
        }
    }
}

view! {
    /// A view of a Logon (MsgType A).
    LogonView, msg_type::LOGON, "A (Logon)"
}

impl<'a> LogonView<'a> {
    /// EncryptMethod(98), required.
    pub fn encrypt_method(&self) -> Result<u32, FieldError> {
        self.msg.get_as(tag::ENCRYPT_METHOD)
    }

    /// HeartBtInt(108) in seconds, required and not negative.
    pub fn heart_bt_int(&self) -> Result<u32, FieldError> {
        self.msg.get_as(tag::HEART_BT_INT)
    }

    /// RawData(96), if present.
    pub fn raw_data(&self) -> Option<&'a [u8]> {
        self.msg.get(tag::RAW_DATA)
    }

    /// ResetSeqNumFlag(141); N when absent.
    pub fn reset_seq_num_flag(&self) -> Result<bool, FieldError> {
        flag(&self.msg, tag::RESET_SEQ_NUM_FLAG)
    }

    /// NextExpectedMsgSeqNum(789), if present.
    pub fn next_expected_msg_seq_num(&self) -> Result<Option<SeqNum>, FieldError> {
        self.msg
            .get_opt::<PositiveSeqNum>(tag::NEXT_EXPECTED_MSG_SEQ_NUM)
            .map(|n| n.map(PositiveSeqNum::get))
    }

    /// MaxMessageSize(383), if present.
    pub fn max_message_size(&self) -> Result<Option<u32>, FieldError> {
        self.msg.get_opt(tag::MAX_MESSAGE_SIZE)
    }

    /// TestMessageIndicator(464), if present.
    pub fn test_message_indicator(&self) -> Result<Option<bool>, FieldError> {
        self.msg.get_opt(tag::TEST_MESSAGE_INDICATOR)
    }

    /// Username(553), if present.
    pub fn username(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::USERNAME)
    }

    /// Password(554), if present.
    pub fn password(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::PASSWORD)
    }

    /// NewPassword(925), if present.
    pub fn new_password(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::NEW_PASSWORD)
    }

    /// DefaultApplVerID(1137), if present; an unknown value is
    /// [`ValueError::UnknownValue`].
    pub fn default_appl_ver_id(&self) -> Result<Option<FixVersion>, FieldError> {
        match self.msg.get(tag::DEFAULT_APPL_VER_ID) {
            None => Ok(None),
            Some(v) => FixVersion::from_appl_ver_id(v)
                .map(Some)
                .ok_or(FieldError::Invalid {
                    tag: tag::DEFAULT_APPL_VER_ID,
                    error: if v.is_empty() {
                        ValueError::Empty
                    } else {
                        ValueError::UnknownValue
                    },
                }),
        }
    }
}

// ------------------------------------------------------------ Heartbeat

/// Heartbeat (MsgType 0) builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Heartbeat<'a> {
    /// TestReqID(112) of the TestRequest this answers.
    pub test_req_id: Option<&'a [u8]>,
}

impl<'a> Heartbeat<'a> {
    /// A Heartbeat sent because the link was idle.
    pub const fn new() -> Heartbeat<'a> {
        Heartbeat { test_req_id: None }
    }

    /// A Heartbeat answering the TestRequest with this TestReqID.
    pub const fn answering(test_req_id: &'a [u8]) -> Heartbeat<'a> {
        Heartbeat {
            test_req_id: Some(test_req_id),
        }
    }
}

impl AdminMessage for Heartbeat<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::HEARTBEAT;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        if let Some(id) = self.test_req_id {
            w.push(tag::TEST_REQ_ID, id);
        }
    }
}

view! {
    /// A view of a Heartbeat (MsgType 0).
    HeartbeatView, msg_type::HEARTBEAT, "0 (Heartbeat)"
}

impl<'a> HeartbeatView<'a> {
    /// TestReqID(112), present when the Heartbeat answers a TestRequest.
    pub fn test_req_id(&self) -> Option<&'a [u8]> {
        self.msg.get(tag::TEST_REQ_ID)
    }
}

// ---------------------------------------------------------- TestRequest

/// TestRequest (MsgType 1) builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestRequest<'a> {
    /// TestReqID(112), echoed in the Heartbeat that answers.
    pub test_req_id: &'a [u8],
}

impl<'a> TestRequest<'a> {
    /// A TestRequest with this TestReqID.
    pub const fn new(test_req_id: &'a [u8]) -> TestRequest<'a> {
        TestRequest { test_req_id }
    }
}

impl AdminMessage for TestRequest<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::TEST_REQUEST;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        w.push(tag::TEST_REQ_ID, self.test_req_id);
    }
}

view! {
    /// A view of a TestRequest (MsgType 1).
    TestRequestView, msg_type::TEST_REQUEST, "1 (TestRequest)"
}

impl<'a> TestRequestView<'a> {
    /// TestReqID(112), required and not empty.
    pub fn test_req_id(&self) -> Result<&'a [u8], FieldError> {
        required_bytes(&self.msg, tag::TEST_REQ_ID)
    }
}

// -------------------------------------------------------- ResendRequest

/// ResendRequest (MsgType 2) builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendRequest {
    /// BeginSeqNo(7): the first message to resend.
    pub begin_seq_no: SeqNum,
    /// EndSeqNo(16): the last message to resend; `None` writes 0, "all
    /// messages after BeginSeqNo" (FIX 4.2 and later; FIX 4.0 and 4.1
    /// sessions pass 999999 instead).
    pub end_seq_no: Option<SeqNum>,
}

impl ResendRequest {
    /// A ResendRequest for `begin..=end`, or everything from `begin` on.
    pub const fn new(begin_seq_no: SeqNum, end_seq_no: Option<SeqNum>) -> ResendRequest {
        ResendRequest {
            begin_seq_no,
            end_seq_no,
        }
    }
}

impl AdminMessage for ResendRequest {
    const MSG_TYPE: &'static [u8] = msg_type::RESEND_REQUEST;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        w.push_uint(tag::BEGIN_SEQ_NO, self.begin_seq_no);
        w.push_uint(tag::END_SEQ_NO, self.end_seq_no.unwrap_or(0));
    }
}

view! {
    /// A view of a ResendRequest (MsgType 2).
    ResendRequestView, msg_type::RESEND_REQUEST, "2 (ResendRequest)"
}

impl<'a> ResendRequestView<'a> {
    /// BeginSeqNo(7), required and positive.
    pub fn begin_seq_no(&self) -> Result<SeqNum, FieldError> {
        self.msg
            .get_as::<PositiveSeqNum>(tag::BEGIN_SEQ_NO)
            .map(PositiveSeqNum::get)
    }

    /// EndSeqNo(16), required; `None` for 0, "no upper bound". (FIX 4.0
    /// and 4.1 peers write 999999 for that, returned as is.)
    pub fn end_seq_no(&self) -> Result<Option<SeqNum>, FieldError> {
        let raw = self
            .msg
            .get(tag::END_SEQ_NO)
            .ok_or(FieldError::Missing(tag::END_SEQ_NO))?;
        parse_u64(raw)
            .map(|n| (n != 0).then_some(n))
            .map_err(|error| FieldError::Invalid {
                tag: tag::END_SEQ_NO,
                error,
            })
    }
}

// --------------------------------------------------------------- Reject

/// Reject (MsgType 3) builder: a message was received but could not be
/// processed at the session level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject<'a> {
    /// RefSeqNum(45): MsgSeqNum of the rejected message as it carried it
    /// (a plain number: a SequenceReset-Reset is processed whatever its
    /// MsgSeqNum, 0 included, and its Reject refers to that number).
    pub ref_seq_num: u64,
    /// RefTagID(371): the offending tag, when known.
    pub ref_tag_id: Option<Tag>,
    /// RefMsgType(372): MsgType of the rejected message, when known.
    pub ref_msg_type: Option<&'a [u8]>,
    /// SessionRejectReason(373); `None` for FIX 4.0 and 4.1, which lack
    /// the field.
    pub session_reject_reason: Option<SessionRejectReason>,
    /// Text(58).
    pub text: Option<&'a str>,
}

impl<'a> Reject<'a> {
    /// A Reject of message `ref_seq_num` for `reason`.
    pub const fn new(ref_seq_num: SeqNum, reason: SessionRejectReason) -> Reject<'a> {
        Reject {
            ref_seq_num,
            ref_tag_id: None,
            ref_msg_type: None,
            session_reject_reason: Some(reason),
            text: None,
        }
    }

    /// Sets RefTagID(371).
    pub const fn ref_tag(mut self, tag: Tag) -> Self {
        self.ref_tag_id = Some(tag);
        self
    }

    /// Sets RefMsgType(372).
    pub const fn ref_msg_type(mut self, msg_type: &'a [u8]) -> Self {
        self.ref_msg_type = Some(msg_type);
        self
    }

    /// Sets Text(58).
    pub const fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }
}

impl AdminMessage for Reject<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::REJECT;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        w.push_uint(tag::REF_SEQ_NUM, self.ref_seq_num);
        if let Some(t) = self.ref_tag_id {
            w.push_uint(tag::REF_TAG_ID, t as u64);
        }
        if let Some(t) = self.ref_msg_type {
            w.push(tag::REF_MSG_TYPE, t);
        }
        if let Some(r) = self.session_reject_reason {
            w.push_uint(tag::SESSION_REJECT_REASON, r.code() as u64);
        }
        if let Some(t) = self.text {
            w.push_str(tag::TEXT, t);
        }
    }
}

view! {
    /// A view of a Reject (MsgType 3).
    RejectView, msg_type::REJECT, "3 (Reject)"
}

impl<'a> RejectView<'a> {
    /// RefSeqNum(45), required.
    pub fn ref_seq_num(&self) -> Result<SeqNum, FieldError> {
        self.msg
            .get_as::<PositiveSeqNum>(tag::REF_SEQ_NUM)
            .map(PositiveSeqNum::get)
    }

    /// RefTagID(371), if present.
    pub fn ref_tag_id(&self) -> Result<Option<Tag>, FieldError> {
        self.msg.get_opt(tag::REF_TAG_ID)
    }

    /// RefMsgType(372), if present.
    pub fn ref_msg_type(&self) -> Option<&'a [u8]> {
        self.msg.get(tag::REF_MSG_TYPE)
    }

    /// SessionRejectReason(373), if present; a code this crate does not
    /// know is [`ValueError::UnknownValue`] (see
    /// [`RejectView::session_reject_reason_code`]).
    pub fn session_reject_reason(&self) -> Result<Option<SessionRejectReason>, FieldError> {
        self.msg.get_opt(tag::SESSION_REJECT_REASON)
    }

    /// SessionRejectReason(373) as a number, if present, including codes
    /// from later FIX versions or counterparty extensions.
    pub fn session_reject_reason_code(&self) -> Result<Option<u32>, FieldError> {
        self.msg.get_opt(tag::SESSION_REJECT_REASON)
    }

    /// Text(58), if present.
    pub fn text(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::TEXT)
    }
}

// -------------------------------------------------------- SequenceReset

/// SequenceReset (MsgType 4) builder, in GapFill or Reset mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceReset {
    /// GapFillFlag(123)=Y: the message fills a gap in a resend.
    pub gap_fill: bool,
    /// NewSeqNo(36): the next MsgSeqNum to expect.
    pub new_seq_no: SeqNum,
}

impl SequenceReset {
    /// A SequenceReset-GapFill: messages up to `new_seq_no - 1` are not
    /// resent.
    pub const fn gap_fill(new_seq_no: SeqNum) -> SequenceReset {
        SequenceReset {
            gap_fill: true,
            new_seq_no,
        }
    }

    /// A SequenceReset-Reset: the next message is `new_seq_no`, whatever
    /// this one's MsgSeqNum.
    pub const fn reset(new_seq_no: SeqNum) -> SequenceReset {
        SequenceReset {
            gap_fill: false,
            new_seq_no,
        }
    }
}

impl AdminMessage for SequenceReset {
    const MSG_TYPE: &'static [u8] = msg_type::SEQUENCE_RESET;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        if self.gap_fill {
            w.push_bool(tag::GAP_FILL_FLAG, true);
        }
        w.push_uint(tag::NEW_SEQ_NO, self.new_seq_no);
    }
}

view! {
    /// A view of a SequenceReset (MsgType 4).
    SequenceResetView, msg_type::SEQUENCE_RESET, "4 (SequenceReset)"
}

impl<'a> SequenceResetView<'a> {
    /// GapFillFlag(123); N (Reset mode) when absent.
    pub fn gap_fill(&self) -> Result<bool, FieldError> {
        flag(&self.msg, tag::GAP_FILL_FLAG)
    }

    /// NewSeqNo(36), required and positive.
    pub fn new_seq_no(&self) -> Result<SeqNum, FieldError> {
        self.msg
            .get_as::<PositiveSeqNum>(tag::NEW_SEQ_NO)
            .map(PositiveSeqNum::get)
    }
}

// --------------------------------------------------------------- Logout

/// Logout (MsgType 5) builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Logout<'a> {
    /// SessionStatus(1409) (FIXT.1.1).
    pub session_status: Option<u32>,
    /// Text(58): why the session ends.
    pub text: Option<&'a str>,
}

impl<'a> Logout<'a> {
    /// A Logout without text.
    pub const fn new() -> Logout<'a> {
        Logout {
            session_status: None,
            text: None,
        }
    }

    /// A Logout giving a reason.
    pub const fn with_text(text: &'a str) -> Logout<'a> {
        Logout {
            session_status: None,
            text: Some(text),
        }
    }
}

impl AdminMessage for Logout<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::LOGOUT;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        if let Some(s) = self.session_status {
            w.push_uint(tag::SESSION_STATUS, s as u64);
        }
        if let Some(t) = self.text {
            w.push_str(tag::TEXT, t);
        }
    }
}

view! {
    /// A view of a Logout (MsgType 5).
    LogoutView, msg_type::LOGOUT, "5 (Logout)"
}

impl<'a> LogoutView<'a> {
    /// SessionStatus(1409), if present.
    pub fn session_status(&self) -> Result<Option<u32>, FieldError> {
        self.msg.get_opt(tag::SESSION_STATUS)
    }

    /// Text(58), if present.
    pub fn text(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::TEXT)
    }
}

// ------------------------------------------------ BusinessMessageReject

/// BusinessMessageReject (MsgType j) builder: an application message
/// that passed the session layer but cannot be processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessMessageReject<'a> {
    /// RefSeqNum(45): MsgSeqNum of the rejected message.
    pub ref_seq_num: Option<SeqNum>,
    /// RefMsgType(372): MsgType of the rejected message.
    pub ref_msg_type: &'a [u8],
    /// BusinessRejectRefID(379): the business ID of the rejected message
    /// (ClOrdID, QuoteReqID, ...).
    pub business_reject_ref_id: Option<&'a [u8]>,
    /// BusinessRejectReason(380).
    pub business_reject_reason: BusinessRejectReason,
    /// Text(58).
    pub text: Option<&'a str>,
}

impl<'a> BusinessMessageReject<'a> {
    /// A BusinessMessageReject of a message of type `ref_msg_type`.
    pub const fn new(
        ref_msg_type: &'a [u8],
        reason: BusinessRejectReason,
    ) -> BusinessMessageReject<'a> {
        BusinessMessageReject {
            ref_seq_num: None,
            ref_msg_type,
            business_reject_ref_id: None,
            business_reject_reason: reason,
            text: None,
        }
    }

    /// Sets RefSeqNum(45).
    pub const fn ref_seq_num(mut self, seq: SeqNum) -> Self {
        self.ref_seq_num = Some(seq);
        self
    }

    /// Sets BusinessRejectRefID(379).
    pub const fn ref_id(mut self, id: &'a [u8]) -> Self {
        self.business_reject_ref_id = Some(id);
        self
    }

    /// Sets Text(58).
    pub const fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }
}

impl AdminMessage for BusinessMessageReject<'_> {
    const MSG_TYPE: &'static [u8] = msg_type::BUSINESS_MESSAGE_REJECT;

    fn write_body<W: FieldWriter>(&self, w: &mut W) {
        if let Some(n) = self.ref_seq_num {
            w.push_uint(tag::REF_SEQ_NUM, n);
        }
        w.push(tag::REF_MSG_TYPE, self.ref_msg_type);
        if let Some(id) = self.business_reject_ref_id {
            w.push(tag::BUSINESS_REJECT_REF_ID, id);
        }
        w.push_uint(
            tag::BUSINESS_REJECT_REASON,
            self.business_reject_reason.code() as u64,
        );
        if let Some(t) = self.text {
            w.push_str(tag::TEXT, t);
        }
    }
}

view! {
    /// A view of a BusinessMessageReject (MsgType j).
    BusinessMessageRejectView, msg_type::BUSINESS_MESSAGE_REJECT, "j (BusinessMessageReject)"
}

impl<'a> BusinessMessageRejectView<'a> {
    /// RefSeqNum(45), if present.
    pub fn ref_seq_num(&self) -> Result<Option<SeqNum>, FieldError> {
        self.msg
            .get_opt::<PositiveSeqNum>(tag::REF_SEQ_NUM)
            .map(|n| n.map(PositiveSeqNum::get))
    }

    /// RefMsgType(372), required and not empty.
    pub fn ref_msg_type(&self) -> Result<&'a [u8], FieldError> {
        required_bytes(&self.msg, tag::REF_MSG_TYPE)
    }

    /// BusinessRejectRefID(379), if present.
    pub fn business_reject_ref_id(&self) -> Option<&'a [u8]> {
        self.msg.get(tag::BUSINESS_REJECT_REF_ID)
    }

    /// BusinessRejectReason(380), required; an unknown code is
    /// [`ValueError::UnknownValue`] (see
    /// [`BusinessMessageRejectView::business_reject_reason_code`]).
    pub fn business_reject_reason(&self) -> Result<BusinessRejectReason, FieldError> {
        self.msg.get_as(tag::BUSINESS_REJECT_REASON)
    }

    /// BusinessRejectReason(380) as a number, required.
    pub fn business_reject_reason_code(&self) -> Result<u32, FieldError> {
        self.msg.get_as(tag::BUSINESS_REJECT_REASON)
    }

    /// Text(58), if present.
    pub fn text(&self) -> Result<Option<&'a str>, FieldError> {
        self.msg.get_opt(tag::TEXT)
    }
}

// ------------------------------------------------------------- dispatch

/// Any of the session-level messages of this module, by MsgType(35).
#[derive(Debug, Clone, Copy)]
pub enum AdminView<'a> {
    /// Logon (A).
    Logon(LogonView<'a>),
    /// Heartbeat (0).
    Heartbeat(HeartbeatView<'a>),
    /// TestRequest (1).
    TestRequest(TestRequestView<'a>),
    /// ResendRequest (2).
    ResendRequest(ResendRequestView<'a>),
    /// Reject (3).
    Reject(RejectView<'a>),
    /// SequenceReset (4).
    SequenceReset(SequenceResetView<'a>),
    /// Logout (5).
    Logout(LogoutView<'a>),
    /// BusinessMessageReject (j).
    BusinessMessageReject(BusinessMessageRejectView<'a>),
}

impl<'a> AdminView<'a> {
    /// The view matching `msg`'s MsgType, or `None` for any other message.
    pub fn from_message(msg: &Message<'a>) -> Option<AdminView<'a>> {
        let m = *msg;
        Some(match msg.msg_type() {
            b"A" => AdminView::Logon(LogonView { msg: m }),
            b"0" => AdminView::Heartbeat(HeartbeatView { msg: m }),
            b"1" => AdminView::TestRequest(TestRequestView { msg: m }),
            b"2" => AdminView::ResendRequest(ResendRequestView { msg: m }),
            b"3" => AdminView::Reject(RejectView { msg: m }),
            b"4" => AdminView::SequenceReset(SequenceResetView { msg: m }),
            b"5" => AdminView::Logout(LogoutView { msg: m }),
            b"j" => AdminView::BusinessMessageReject(BusinessMessageRejectView { msg: m }),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Encoder, MessageBuilder};
    use crate::framing::{scan, FrameConfig, Scan};
    use crate::message::FieldIndex;

    fn seq(n: u64) -> SeqNum {
        n
    }

    /// Encodes `m` with a minimal header and returns the bytes.
    fn encode<M: AdminMessage>(m: &M) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.start("FIX.4.4", M::MSG_TYPE)
            .push_str(tag::SENDER_COMP_ID, "S")
            .push_str(tag::TARGET_COMP_ID, "T")
            .push_uint(tag::MSG_SEQ_NUM, 7);
        m.write_body(&mut enc);
        let out = enc.finish().to_vec();
        assert_eq!(
            scan(&out, &FrameConfig::default()),
            Scan::Complete(out.len())
        );
        out
    }

    fn body<M: AdminMessage>(m: &M) -> Vec<u8> {
        let mut b = MessageBuilder::new(M::MSG_TYPE);
        m.write_body(&mut b);
        b.body().to_vec()
    }

    fn soh(s: &str) -> Vec<u8> {
        s.replace('|', "\x01").into_bytes()
    }

    #[test]
    fn logon_round_trips() {
        let logon = Logon {
            raw_data: Some(b"a\x01b"),
            max_message_size: Some(4096),
            test_message_indicator: Some(false),
            new_password: Some("n"),
            ..Logon::new(30)
                .reset_seq_num(true)
                .next_expected(seq(5))
                .credentials("user", "pw")
                .default_appl_ver(FixVersion::Fix50Sp2)
        };
        assert_eq!(
            body(&logon),
            soh("98=0|108=30|95=3|96=a\x01b|141=Y|789=5|383=4096|464=N|553=user|554=pw|925=n|1137=9|")
        );
        let bytes = encode(&logon);
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = LogonView::from_message(&msg).unwrap();
        assert_eq!(v.encrypt_method(), Ok(0));
        assert_eq!(v.heart_bt_int(), Ok(30));
        assert_eq!(v.raw_data(), Some(&b"a\x01b"[..]));
        assert_eq!(v.reset_seq_num_flag(), Ok(true));
        assert_eq!(v.next_expected_msg_seq_num(), Ok(Some(seq(5))));
        assert_eq!(v.max_message_size(), Ok(Some(4096)));
        assert_eq!(v.test_message_indicator(), Ok(Some(false)));
        assert_eq!(v.username(), Ok(Some("user")));
        assert_eq!(v.password(), Ok(Some("pw")));
        assert_eq!(v.new_password(), Ok(Some("n")));
        assert_eq!(v.default_appl_ver_id(), Ok(Some(FixVersion::Fix50Sp2)));
        assert!(matches!(
            AdminView::from_message(&msg),
            Some(AdminView::Logon(_))
        ));
    }

    #[test]
    fn logon_errors_name_the_tag() {
        let m = soh("8=FIX.4.4|9=1|35=A|98=0|108=-1|141=X|789=0|1137=99|10=000|");
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&m).unwrap();
        let v = LogonView::from_message(&msg).unwrap();
        assert_eq!(v.heart_bt_int().unwrap_err().tag(), tag::HEART_BT_INT);
        assert_eq!(
            v.reset_seq_num_flag(),
            Err(FieldError::Invalid {
                tag: tag::RESET_SEQ_NUM_FLAG,
                error: ValueError::NotABoolean
            })
        );
        assert_eq!(
            v.next_expected_msg_seq_num(),
            Err(FieldError::Invalid {
                tag: tag::NEXT_EXPECTED_MSG_SEQ_NUM,
                error: ValueError::Zero
            })
        );
        assert_eq!(
            v.default_appl_ver_id(),
            Err(FieldError::Invalid {
                tag: tag::DEFAULT_APPL_VER_ID,
                error: ValueError::UnknownValue
            })
        );
        assert_eq!(v.username(), Ok(None));
        let m = soh("8=FIX.4.4|9=1|35=A|98=0|10=000|");
        let msg = idx.parse(&m).unwrap();
        let v = LogonView::from_message(&msg).unwrap();
        assert_eq!(
            v.heart_bt_int(),
            Err(FieldError::Missing(tag::HEART_BT_INT))
        );
        assert_eq!(v.reset_seq_num_flag(), Ok(false));
    }

    #[test]
    fn wrong_msg_type_is_an_error() {
        let m = soh("8=FIX.4.4|9=1|35=0|10=000|");
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&m).unwrap();
        assert_eq!(
            LogonView::from_message(&msg).unwrap_err(),
            AdminError::WrongMsgType {
                expected: "A (Logon)"
            }
        );
        assert!(HeartbeatView::from_message(&msg).is_ok());
        let m = soh("8=FIX.4.4|9=1|35=D|10=000|");
        let msg = idx.parse(&m).unwrap();
        assert!(AdminView::from_message(&msg).is_none());
    }

    #[test]
    fn heartbeat_and_test_request() {
        assert_eq!(body(&Heartbeat::new()), b"");
        assert_eq!(body(&Heartbeat::answering(b"T1")), soh("112=T1|"));
        assert_eq!(body(&TestRequest::new(b"T1")), soh("112=T1|"));
        let bytes = encode(&Heartbeat::answering(b"T1"));
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        assert_eq!(
            HeartbeatView::from_message(&msg).unwrap().test_req_id(),
            Some(&b"T1"[..])
        );
        let bytes = encode(&TestRequest::new(b"T2"));
        let msg = idx.parse(&bytes).unwrap();
        assert_eq!(
            TestRequestView::from_message(&msg).unwrap().test_req_id(),
            Ok(&b"T2"[..])
        );
        let m = soh("8=FIX.4.4|9=1|35=1|112=|10=000|");
        let msg = idx.parse(&m).unwrap();
        assert_eq!(
            TestRequestView::from_message(&msg).unwrap().test_req_id(),
            Err(FieldError::Invalid {
                tag: tag::TEST_REQ_ID,
                error: ValueError::Empty
            })
        );
    }

    #[test]
    fn resend_request() {
        assert_eq!(body(&ResendRequest::new(seq(3), None)), soh("7=3|16=0|"));
        let bytes = encode(&ResendRequest::new(seq(3), Some(seq(9))));
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = ResendRequestView::from_message(&msg).unwrap();
        assert_eq!(v.begin_seq_no(), Ok(seq(3)));
        assert_eq!(v.end_seq_no(), Ok(Some(seq(9))));
        let m = soh("8=FIX.4.4|9=1|35=2|7=0|16=0|10=000|");
        let msg = idx.parse(&m).unwrap();
        let v = ResendRequestView::from_message(&msg).unwrap();
        assert_eq!(
            v.begin_seq_no(),
            Err(FieldError::Invalid {
                tag: tag::BEGIN_SEQ_NO,
                error: ValueError::Zero
            })
        );
        assert_eq!(v.end_seq_no(), Ok(None));
        let m = soh("8=FIX.4.4|9=1|35=2|7=1|10=000|");
        let msg = idx.parse(&m).unwrap();
        assert_eq!(
            ResendRequestView::from_message(&msg).unwrap().end_seq_no(),
            Err(FieldError::Missing(tag::END_SEQ_NO))
        );
    }

    #[test]
    fn reject() {
        let r = Reject::new(seq(12), SessionRejectReason::RequiredTagMissing)
            .ref_tag(tag::ORIG_SENDING_TIME)
            .ref_msg_type(b"D")
            .text("Required tag missing");
        assert_eq!(
            body(&r),
            soh("45=12|371=122|372=D|373=1|58=Required tag missing|")
        );
        let bytes = encode(&r);
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = RejectView::from_message(&msg).unwrap();
        assert_eq!(v.ref_seq_num(), Ok(seq(12)));
        assert_eq!(v.ref_tag_id(), Ok(Some(tag::ORIG_SENDING_TIME)));
        assert_eq!(v.ref_msg_type(), Some(&b"D"[..]));
        assert_eq!(
            v.session_reject_reason(),
            Ok(Some(SessionRejectReason::RequiredTagMissing))
        );
        assert_eq!(v.text(), Ok(Some("Required tag missing")));
        let m = soh("8=FIX.4.4|9=1|35=3|45=1|373=42|10=000|");
        let msg = idx.parse(&m).unwrap();
        let v = RejectView::from_message(&msg).unwrap();
        assert_eq!(
            v.session_reject_reason(),
            Err(FieldError::Invalid {
                tag: tag::SESSION_REJECT_REASON,
                error: ValueError::UnknownValue
            })
        );
        assert_eq!(v.session_reject_reason_code(), Ok(Some(42)));
        assert_eq!(v.ref_tag_id(), Ok(None));
    }

    #[test]
    fn sequence_reset() {
        assert_eq!(body(&SequenceReset::gap_fill(seq(10))), soh("123=Y|36=10|"));
        assert_eq!(body(&SequenceReset::reset(seq(10))), soh("36=10|"));
        let bytes = encode(&SequenceReset::gap_fill(seq(10)));
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = SequenceResetView::from_message(&msg).unwrap();
        assert_eq!(v.gap_fill(), Ok(true));
        assert_eq!(v.new_seq_no(), Ok(seq(10)));
        let bytes = encode(&SequenceReset::reset(seq(4)));
        let msg = idx.parse(&bytes).unwrap();
        let v = SequenceResetView::from_message(&msg).unwrap();
        assert_eq!(v.gap_fill(), Ok(false));
        assert_eq!(v.new_seq_no(), Ok(seq(4)));
    }

    #[test]
    fn logout() {
        assert_eq!(body(&Logout::new()), b"");
        let l = Logout {
            session_status: Some(4),
            ..Logout::with_text("MsgSeqNum too low, expecting 5 but received 3")
        };
        let bytes = encode(&l);
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = LogoutView::from_message(&msg).unwrap();
        assert_eq!(
            v.text(),
            Ok(Some("MsgSeqNum too low, expecting 5 but received 3"))
        );
        assert_eq!(v.session_status(), Ok(Some(4)));
    }

    #[test]
    fn business_message_reject() {
        let r = BusinessMessageReject::new(b"U1", BusinessRejectReason::UnsupportedMessageType)
            .ref_seq_num(seq(8))
            .ref_id(b"ORD-1")
            .text("Unsupported Message Type");
        assert_eq!(
            body(&r),
            soh("45=8|372=U1|379=ORD-1|380=3|58=Unsupported Message Type|")
        );
        let bytes = encode(&r);
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&bytes).unwrap();
        let v = BusinessMessageRejectView::from_message(&msg).unwrap();
        assert_eq!(v.ref_seq_num(), Ok(Some(seq(8))));
        assert_eq!(v.ref_msg_type(), Ok(&b"U1"[..]));
        assert_eq!(v.business_reject_ref_id(), Some(&b"ORD-1"[..]));
        assert_eq!(
            v.business_reject_reason(),
            Ok(BusinessRejectReason::UnsupportedMessageType)
        );
        assert_eq!(v.business_reject_reason_code(), Ok(3));
        assert_eq!(v.text(), Ok(Some("Unsupported Message Type")));
        let m = soh("8=FIX.4.4|9=1|35=j|10=000|");
        let msg = idx.parse(&m).unwrap();
        let v = BusinessMessageRejectView::from_message(&msg).unwrap();
        assert_eq!(
            v.ref_msg_type(),
            Err(FieldError::Missing(tag::REF_MSG_TYPE))
        );
        assert_eq!(
            v.business_reject_reason(),
            Err(FieldError::Missing(tag::BUSINESS_REJECT_REASON))
        );
    }
}
