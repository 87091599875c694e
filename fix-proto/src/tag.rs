//! Tag numbers of every field of FIX 4.0 to 5.0 SP2 and FIXT 1.1, as
//! named constants (`CL_ORD_ID` for ClOrdID(11), `MSG_SEQ_NUM` for
//! MsgSeqNum(34)), generated from the standard dictionaries (fields
//! renamed between versions have a constant for each name); with what
//! the codec knows about the standard header and trailer, and the
//! session-level MsgTypes ([`msg_type`]).

use crate::Tag;

pub use crate::fields::*;

/// The constant's name for the tags of the header, the trailer and the
/// session-level messages (the ones worth naming in diagnostics).
macro_rules! tags {
    ($($(#[$doc:meta])* $name:ident = $num:expr;)*) => {
        /// The name of a header, trailer or session-level tag (its
        /// constant's name), for diagnostics.
        pub fn name(tag: Tag) -> Option<&'static str> {
            // The constants come from the generated list; a typo here
            // would not compile.
            $(const _: () = assert!($name == $num);)*
            match tag {
                $($num => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

tags! {
    /// Account(1).
    ACCOUNT = 1;
    /// BeginSeqNo(7).
    BEGIN_SEQ_NO = 7;
    /// BeginString(8).
    BEGIN_STRING = 8;
    /// BodyLength(9).
    BODY_LENGTH = 9;
    /// CheckSum(10).
    CHECK_SUM = 10;
    /// ClOrdID(11).
    CL_ORD_ID = 11;
    /// EndSeqNo(16).
    END_SEQ_NO = 16;
    /// MsgSeqNum(34).
    MSG_SEQ_NUM = 34;
    /// MsgType(35).
    MSG_TYPE = 35;
    /// NewSeqNo(36).
    NEW_SEQ_NO = 36;
    /// PossDupFlag(43).
    POSS_DUP_FLAG = 43;
    /// RefSeqNum(45).
    REF_SEQ_NUM = 45;
    /// SenderCompID(49).
    SENDER_COMP_ID = 49;
    /// SenderSubID(50).
    SENDER_SUB_ID = 50;
    /// SendingTime(52).
    SENDING_TIME = 52;
    /// TargetCompID(56).
    TARGET_COMP_ID = 56;
    /// TargetSubID(57).
    TARGET_SUB_ID = 57;
    /// Text(58).
    TEXT = 58;
    /// SecureDataLen(90).
    SECURE_DATA_LEN = 90;
    /// SecureData(91).
    SECURE_DATA = 91;
    /// SignatureLength(93).
    SIGNATURE_LENGTH = 93;
    /// Signature(89).
    SIGNATURE = 89;
    /// RawDataLength(95).
    RAW_DATA_LENGTH = 95;
    /// RawData(96).
    RAW_DATA = 96;
    /// PossResend(97).
    POSS_RESEND = 97;
    /// EncryptMethod(98).
    ENCRYPT_METHOD = 98;
    /// HeartBtInt(108).
    HEART_BT_INT = 108;
    /// TestReqID(112).
    TEST_REQ_ID = 112;
    /// OnBehalfOfCompID(115).
    ON_BEHALF_OF_COMP_ID = 115;
    /// OnBehalfOfSubID(116).
    ON_BEHALF_OF_SUB_ID = 116;
    /// OrigSendingTime(122).
    ORIG_SENDING_TIME = 122;
    /// GapFillFlag(123).
    GAP_FILL_FLAG = 123;
    /// DeliverToCompID(128).
    DELIVER_TO_COMP_ID = 128;
    /// DeliverToSubID(129).
    DELIVER_TO_SUB_ID = 129;
    /// ResetSeqNumFlag(141).
    RESET_SEQ_NUM_FLAG = 141;
    /// SenderLocationID(142).
    SENDER_LOCATION_ID = 142;
    /// TargetLocationID(143).
    TARGET_LOCATION_ID = 143;
    /// OnBehalfOfLocationID(144).
    ON_BEHALF_OF_LOCATION_ID = 144;
    /// DeliverToLocationID(145).
    DELIVER_TO_LOCATION_ID = 145;
    /// XmlDataLen(212).
    XML_DATA_LEN = 212;
    /// XmlData(213).
    XML_DATA = 213;
    /// MessageEncoding(347).
    MESSAGE_ENCODING = 347;
    /// EncodedTextLen(354).
    ENCODED_TEXT_LEN = 354;
    /// EncodedText(355).
    ENCODED_TEXT = 355;
    /// LastMsgSeqNumProcessed(369).
    LAST_MSG_SEQ_NUM_PROCESSED = 369;
    /// RefTagID(371).
    REF_TAG_ID = 371;
    /// RefMsgType(372).
    REF_MSG_TYPE = 372;
    /// SessionRejectReason(373).
    SESSION_REJECT_REASON = 373;
    /// BusinessRejectRefID(379).
    BUSINESS_REJECT_REF_ID = 379;
    /// BusinessRejectReason(380).
    BUSINESS_REJECT_REASON = 380;
    /// MaxMessageSize(383).
    MAX_MESSAGE_SIZE = 383;
    /// NoMsgTypes(384).
    NO_MSG_TYPES = 384;
    /// MsgDirection(385).
    MSG_DIRECTION = 385;
    /// TestMessageIndicator(464).
    TEST_MESSAGE_INDICATOR = 464;
    /// Username(553).
    USERNAME = 553;
    /// Password(554).
    PASSWORD = 554;
    /// NoHops(627).
    NO_HOPS = 627;
    /// HopCompID(628).
    HOP_COMP_ID = 628;
    /// HopSendingTime(629).
    HOP_SENDING_TIME = 629;
    /// HopRefID(630).
    HOP_REF_ID = 630;
    /// NextExpectedMsgSeqNum(789).
    NEXT_EXPECTED_MSG_SEQ_NUM = 789;
    /// NewPassword(925).
    NEW_PASSWORD = 925;
    /// ApplVerID(1128).
    APPL_VER_ID = 1128;
    /// CstmApplVerID(1129).
    CSTM_APPL_VER_ID = 1129;
    /// DefaultApplVerID(1137).
    DEFAULT_APPL_VER_ID = 1137;
    /// ApplExtID(1156).
    APPL_EXT_ID = 1156;
    /// SessionStatus(1409).
    SESSION_STATUS = 1409;
    /// DefaultApplExtID(1407).
    DEFAULT_APPL_EXT_ID = 1407;
    /// DefaultCstmApplVerID(1408).
    DEFAULT_CSTM_APPL_VER_ID = 1408;
}

/// Whether `tag` belongs to the standard header of FIX 4.0 to FIXT 1.1.
///
/// Used to find the header/body boundary when no dictionary is at hand.
#[inline]
pub fn is_standard_header(tag: Tag) -> bool {
    matches!(
        tag,
        8 | 9
            | 35
            | 34
            | 43
            | 49
            | 50
            | 52
            | 56
            | 57
            | 90
            | 91
            | 97
            | 115
            | 116
            | 122
            | 128
            | 129
            | 142
            | 143
            | 144
            | 145
            | 212
            | 213
            | 347
            | 369
            | 627
            | 628
            | 629
            | 630
            | 1128
            | 1129
            | 1156
    )
}

/// Whether `tag` belongs to the standard trailer: SignatureLength(93),
/// Signature(89), CheckSum(10).
#[inline]
pub fn is_standard_trailer(tag: Tag) -> bool {
    matches!(tag, 93 | 89 | 10)
}

/// MsgType(35) values of the session-level (administrative) messages.
pub mod msg_type {
    /// Heartbeat.
    pub const HEARTBEAT: &[u8] = b"0";
    /// TestRequest.
    pub const TEST_REQUEST: &[u8] = b"1";
    /// ResendRequest.
    pub const RESEND_REQUEST: &[u8] = b"2";
    /// Reject (session-level).
    pub const REJECT: &[u8] = b"3";
    /// SequenceReset.
    pub const SEQUENCE_RESET: &[u8] = b"4";
    /// Logout.
    pub const LOGOUT: &[u8] = b"5";
    /// Logon.
    pub const LOGON: &[u8] = b"A";
    /// BusinessMessageReject.
    pub const BUSINESS_MESSAGE_REJECT: &[u8] = b"j";
    /// NewOrderSingle.
    pub const NEW_ORDER_SINGLE: &[u8] = b"D";
    /// ExecutionReport.
    pub const EXECUTION_REPORT: &[u8] = b"8";
    /// MarketDataSnapshotFullRefresh.
    pub const MARKET_DATA_SNAPSHOT_FULL_REFRESH: &[u8] = b"W";

    /// Whether `msg_type` is one of the session-level messages (0, 1, 2,
    /// 3, 4, 5, A). These are never resent; a ResendRequest covering them
    /// is answered with a SequenceReset-GapFill.
    #[inline]
    pub fn is_admin(msg_type: &[u8]) -> bool {
        matches!(msg_type, b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A")
    }
}
