//! The session layer's keys (identity, logon and timers, sequence numbers
//! and resends, validation, reconnection; the data dictionary and
//! schedule keys are in their own modules), their table [`KEYS`], and
//! [`SessionConfig::from_settings`], which reads them.

use super::format::{self, parse_bool, parse_positive, parse_uint};
use super::ignored::IGNORED_KEYS;
use super::key::{Alias, Format, Key, KeyFamily, KeyTable, QualifierError};
use super::{dictionaries, schedule, ParseOptions, Section, Settings, SettingsError};
use crate::config::{LateDelivery, LateDeliveryMode, Role, SessionConfig, SessionKey};
use fixrs_proto::tag;
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{FixVersion, Tag};
use std::str::FromStr;
use std::time::Duration;

const IDENTITY: &str = "Session identity";
const LOGON: &str = "Logon and timers";
const SEQUENCE: &str = "Sequence numbers and resends";
const VALIDATION: &str = "Validation";
const RECONNECTION: &str = "Reconnection";

/// Every key the session layer reads, in the order of its reference, and
/// the QuickFIX keys accepted without effect.
pub static KEYS: &KeyTable = &[
    &CONNECTION_TYPE,
    &BEGIN_STRING,
    &DEFAULT_APPL_VER_ID,
    &SENDER_COMP_ID,
    &SENDER_SUB_ID,
    &SENDER_LOCATION_ID,
    &TARGET_COMP_ID,
    &TARGET_SUB_ID,
    &TARGET_LOCATION_ID,
    &SESSION_QUALIFIER,
    &HEART_BT_INT,
    &LOGON_TIMEOUT,
    &LOGOUT_TIMEOUT,
    &TEST_REQUEST_DELAY_MULTIPLIER,
    &USERNAME,
    &PASSWORD,
    &LOGON_TAG,
    &LATE_DELIVERY,
    &LATE_DELIVERY_MODE,
    &MAX_LATE_DELIVERY_MESSAGES,
    &RESET_ON_LOGON,
    &RESET_ON_LOGOUT,
    &RESET_ON_DISCONNECT,
    &ENABLE_NEXT_EXPECTED_MSG_SEQ_NUM,
    &RESEND_REQUEST_CHUNK_SIZE,
    &SEND_REDUNDANT_RESEND_REQUESTS,
    &PERSIST_MESSAGES,
    &MAX_OUT_OF_ORDER_MESSAGES,
    &CHECK_COMP_ID,
    &CHECK_LATENCY,
    &MAX_LATENCY,
    &MAX_MESSAGE_SIZE,
    &VALIDATE_LENGTH_AND_CHECKSUM,
    &USE_DATA_DICTIONARY,
    &VALIDATE_FIELDS_OUT_OF_ORDER,
    &VALIDATE_FIELDS_HAVE_VALUES,
    &VALIDATE_USER_DEFINED_FIELDS,
    &ALLOW_UNKNOWN_MSG_FIELDS,
    &VALIDATE_UNORDERED_GROUP_FIELDS,
    &REJECT_UNKNOWN_MSG_TYPES,
    &SUPPORTED_MSG_TYPES,
    &TIMESTAMP_PRECISION,
    &dictionaries::DATA_DICTIONARY,
    &dictionaries::TRANSPORT_DATA_DICTIONARY,
    &dictionaries::APP_DATA_DICTIONARY,
    &dictionaries::APP_DATA_DICTIONARY_BY_VERSION,
    &schedule::START_TIME,
    &schedule::END_TIME,
    &schedule::START_DAY,
    &schedule::END_DAY,
    &schedule::WEEKDAYS,
    &schedule::TIME_ZONE,
    &schedule::USE_LOCAL_TIME,
    &schedule::NON_STOP_SESSION,
    &schedule::LOGON_TIME,
    &schedule::LOGOUT_TIME,
    &schedule::LOGON_DAY,
    &schedule::LOGOUT_DAY,
    &RECONNECT_INTERVAL,
    &RECONNECT_MAX_TRIES,
    &IGNORED_KEYS,
];

// Session identity

static CONNECTION_TYPE: Key<Role> = Key {
    name: "ConnectionType",
    group: IDENTITY,
    format: Format {
        expected: "initiator or acceptor",
        parse: parse_role,
    },
    default: "required",
    example: "ConnectionType=initiator",
    meaning: "`initiator` (connects and sends the first Logon) or `acceptor`.",
    also: &[],
};

static BEGIN_STRING: Key<Begin> = Key {
    name: "BeginString",
    group: IDENTITY,
    format: Format {
        expected: "FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1",
        parse: parse_begin_string,
    },
    default: "required",
    example: "BeginString=FIX.4.4",
    meaning: "BeginString(8): `FIX.4.0` to `FIX.4.4`, or `FIXT.1.1` for FIX 5.0 and later.",
    also: &[],
};

static DEFAULT_APPL_VER_ID: Key<FixVersion> = Key {
    name: "DefaultApplVerID",
    group: IDENTITY,
    format: Format {
        expected: "FIX.5.0, FIX.5.0SP1, FIX.5.0SP2 (or 7, 8, 9)",
        parse: parse_appl_ver_id,
    },
    default: "required with FIXT.1.1",
    example: "DefaultApplVerID=FIX.5.0SP2",
    meaning: "The application version of a FIXT.1.1 session, sent as DefaultApplVerID(1137) on Logon: `FIX.5.0`, `FIX.5.0SP1` or `FIX.5.0SP2` (or `7`, `8`, `9`). Ignored with FIX 4.x.",
    also: &[],
};

static SENDER_COMP_ID: Key<String> = Key {
    name: "SenderCompID",
    group: IDENTITY,
    format: format::TEXT,
    default: "required",
    example: "SenderCompID=CLIENT",
    meaning: "Our SenderCompID(49).",
    also: &[],
};

static SENDER_SUB_ID: Key<String> = Key {
    name: "SenderSubID",
    group: IDENTITY,
    format: format::TEXT,
    default: "none",
    example: "SenderSubID=DESK1",
    meaning: "Our SenderSubID(50).",
    also: &[],
};

static SENDER_LOCATION_ID: Key<String> = Key {
    name: "SenderLocationID",
    group: IDENTITY,
    format: format::TEXT,
    default: "none",
    example: "SenderLocationID=LDN",
    meaning: "Our SenderLocationID(142).",
    also: &[],
};

static TARGET_COMP_ID: Key<String> = Key {
    name: "TargetCompID",
    group: IDENTITY,
    format: format::TEXT,
    default: "required",
    example: "TargetCompID=BROKER",
    meaning: "The peer's CompID, our TargetCompID(56).",
    also: &[],
};

static TARGET_SUB_ID: Key<String> = Key {
    name: "TargetSubID",
    group: IDENTITY,
    format: format::TEXT,
    default: "none",
    example: "TargetSubID=GW",
    meaning: "The peer's TargetSubID(57).",
    also: &[],
};

static TARGET_LOCATION_ID: Key<String> = Key {
    name: "TargetLocationID",
    group: IDENTITY,
    format: format::TEXT,
    default: "none",
    example: "TargetLocationID=NY",
    meaning: "The peer's TargetLocationID(143).",
    also: &[],
};

static SESSION_QUALIFIER: Key<String> = Key {
    name: "SessionQualifier",
    group: IDENTITY,
    format: format::TEXT,
    default: "none",
    example: "SessionQualifier=backup",
    meaning: "Tells apart sessions with the same CompIDs.",
    also: &[],
};

// Logon and timers

static HEART_BT_INT: Key<u32> = Key {
    name: "HeartBtInt",
    group: LOGON,
    format: Format {
        expected: "a whole number of seconds",
        parse: parse_uint::<u32>,
    },
    default: "required for initiators",
    example: "HeartBtInt=30",
    meaning: "HeartBtInt(108) in seconds proposed on Logon; an acceptor adopts the initiator's.",
    also: &[],
};

static LOGON_TIMEOUT: Key<Duration> = Key {
    name: "LogonTimeout",
    group: LOGON,
    format: format::POSITIVE_SECONDS,
    default: "10",
    example: "LogonTimeout=10",
    meaning: "Seconds to wait for the Logon reply.",
    also: &[],
};

static LOGOUT_TIMEOUT: Key<Duration> = Key {
    name: "LogoutTimeout",
    group: LOGON,
    format: format::POSITIVE_SECONDS,
    default: "2",
    example: "LogoutTimeout=2",
    meaning: "Seconds to wait for the Logout reply.",
    also: &[],
};

static TEST_REQUEST_DELAY_MULTIPLIER: Key<f64> = Key {
    name: "TestRequestDelayMultiplier",
    group: LOGON,
    format: Format {
        expected: "a number of 0 or more, such as 0.5",
        parse: parse_multiplier,
    },
    default: "0.2",
    example: "TestRequestDelayMultiplier=0.5",
    meaning: "Extra silence, as a fraction of HeartBtInt, before a TestRequest is sent (0.2: after 1.2 x HeartBtInt).",
    also: &[],
};

static USERNAME: Key<String> = Key {
    name: "Username",
    group: LOGON,
    format: format::TEXT,
    default: "none",
    example: "Username=trader",
    meaning: "Username(553) sent on Logon.",
    also: &[],
};

static PASSWORD: Key<String> = Key {
    name: "Password",
    group: LOGON,
    format: format::TEXT,
    default: "none",
    example: "Password=secret",
    meaning: "Password(554) sent on Logon.",
    also: &[],
};

static LOGON_TAG: KeyFamily<Tag, String> = KeyFamily {
    name: "LogonTag.<tag>",
    prefix: "LogonTag.",
    qualifier: logon_tag,
    group: LOGON,
    format: format::TEXT,
    default: "none",
    example: "LogonTag.1408=FIX5.0SP2",
    meaning: "An extra field `<tag>=value` sent on Logon; several are sent in tag order. Fields the session writes itself (header, HeartBtInt, ResetSeqNumFlag, Username, Password, NextExpectedMsgSeqNum, DefaultApplVerID) are refused.",
};

static LATE_DELIVERY: Key<LateDelivery> = Key {
    name: "LateDelivery",
    group: LOGON,
    format: Format {
        expected: "queue, reject, or a positive time to live in milliseconds",
        parse: parse_late_delivery,
    },
    default: "queue",
    example: "LateDelivery=60000",
    meaning: "Application messages sent while not logged on: `queue` (send after Logon), `reject` (refuse at once), or a number of milliseconds (queue, but report those still unsent after that time as undelivered).",
    also: &[],
};

static LATE_DELIVERY_MODE: Key<LateDeliveryMode> = Key {
    name: "LateDeliveryMode",
    group: LOGON,
    format: Format {
        expected: "resend or queue",
        parse: parse_late_delivery_mode,
    },
    default: "resend",
    example: "LateDeliveryMode=queue",
    meaning: "How messages kept for late delivery are sent: `resend` (numbered when put and stored, sent after Logon as PossDupFlag=Y resends when the counterparty asks for the gap, as QuickFIX does) or `queue` (kept unnumbered in the store, so a restart loses none, and sent right after Logon and resynchronisation as new messages without PossDupFlag).",
    also: &[],
};

static MAX_LATE_DELIVERY_MESSAGES: Key<usize> = Key {
    name: "MaxLateDeliveryMessages",
    group: LOGON,
    format: format::count(),
    default: "100000",
    example: "MaxLateDeliveryMessages=1000",
    meaning: "Most messages queued for late delivery.",
    also: &[],
};

// Sequence numbers and resends

static RESET_ON_LOGON: Key<bool> = Key {
    name: "ResetOnLogon",
    group: SEQUENCE,
    format: format::BOOL,
    default: "N",
    example: "ResetOnLogon=Y",
    meaning: "Reset both sequence numbers to 1 at every Logon. An initiator asks the peer to reset too (ResetSeqNumFlag=Y); an acceptor resets when a Logon arrives, answers with ResetSeqNumFlag=Y only if the Logon had it, and checks the Logon's MsgSeqNum against 1 (as QuickFIX).",
    also: &[],
};

static RESET_ON_LOGOUT: Key<bool> = Key {
    name: "ResetOnLogout",
    group: SEQUENCE,
    format: format::BOOL,
    default: "N",
    example: "ResetOnLogout=Y",
    meaning: "Reset both sequence numbers when the counterparty's Logout is received: its own Logout, or its reply to ours (as QuickFIX). Not when our Logout goes unanswered and the link is closed after LogoutTimeout: ResetOnDisconnect covers that.",
    also: &[],
};

static RESET_ON_DISCONNECT: Key<bool> = Key {
    name: "ResetOnDisconnect",
    group: SEQUENCE,
    format: format::BOOL,
    default: "N",
    example: "ResetOnDisconnect=Y",
    meaning: "Reset sequence numbers whenever the connection ends, however it ends (a Logout exchange, a timeout or a dropped link).",
    also: &[],
};

static ENABLE_NEXT_EXPECTED_MSG_SEQ_NUM: Key<bool> = Key {
    name: "EnableNextExpectedMsgSeqNum",
    group: SEQUENCE,
    format: format::BOOL,
    default: "N",
    example: "EnableNextExpectedMsgSeqNum=Y",
    meaning: "Send NextExpectedMsgSeqNum(789) on Logon and act on the peer's.",
    also: &[Alias {
        name: "SendNextExpectedMsgSeqNum",
        format: format::BOOL,
        default: "N",
        example: "SendNextExpectedMsgSeqNum=Y",
        meaning: "QuickFIX 1.16's name of EnableNextExpectedMsgSeqNum.",
    }],
};

static RESEND_REQUEST_CHUNK_SIZE: Key<u64> = Key {
    name: "ResendRequestChunkSize",
    group: SEQUENCE,
    format: format::count(),
    default: "0",
    example: "ResendRequestChunkSize=2500",
    meaning: "Most messages asked for by one ResendRequest; 0 for no limit.",
    also: &[],
};

static SEND_REDUNDANT_RESEND_REQUESTS: Key<bool> = Key {
    name: "SendRedundantResendRequests",
    group: SEQUENCE,
    format: format::BOOL,
    default: "N",
    example: "SendRedundantResendRequests=Y",
    meaning: "Send a ResendRequest for each message beyond a gap, even when one covering the gap is pending (a ResendRequest beyond the gap draws none, as in QuickFIX).",
    also: &[],
};

static PERSIST_MESSAGES: Key<bool> = Key {
    name: "PersistMessages",
    group: SEQUENCE,
    format: format::BOOL,
    default: "Y",
    example: "PersistMessages=N",
    meaning: "Keep outgoing messages for resends; with N, resends are answered with gap fills.",
    also: &[],
};

static MAX_OUT_OF_ORDER_MESSAGES: Key<usize> = Key {
    name: "MaxOutOfOrderMessages",
    group: SEQUENCE,
    format: format::count(),
    default: "10000",
    example: "MaxOutOfOrderMessages=5000",
    meaning: "Most messages received ahead of a gap kept while the gap is filled.",
    also: &[],
};

// Validation

static CHECK_COMP_ID: Key<bool> = Key {
    name: "CheckCompID",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "CheckCompID=N",
    meaning: "Check that incoming CompIDs match the session's.",
    also: &[],
};

static CHECK_LATENCY: Key<bool> = Key {
    name: "CheckLatency",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "CheckLatency=N",
    meaning: "Check SendingTime(52) of incoming messages against the clock.",
    also: &[],
};

static MAX_LATENCY: Key<Duration> = Key {
    name: "MaxLatency",
    group: VALIDATION,
    format: format::POSITIVE_SECONDS,
    default: "120",
    example: "MaxLatency=60",
    meaning: "Largest accepted SendingTime(52) difference, in seconds.",
    also: &[],
};

static MAX_MESSAGE_SIZE: Key<usize> = Key {
    name: "MaxMessageSize",
    group: VALIDATION,
    format: format::positive("a positive number of bytes"),
    default: "1048576",
    example: "MaxMessageSize=65536",
    meaning: "Largest incoming message accepted, in bytes. A larger one is skipped whole, reported as an error and asked for again; if it comes over the limit again, the counterparty is logged out.",
    also: &[],
};

static VALIDATE_LENGTH_AND_CHECKSUM: Key<bool> = Key {
    name: "ValidateLengthAndChecksum",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "ValidateLengthAndChecksum=N",
    meaning: "Verify BodyLength(9) and CheckSum(10) of incoming messages (a message failing either is dropped as garbled). With N a wrong CheckSum is accepted and a message ends at the first CheckSum(10) field from where BodyLength says, as in QuickFIX.",
    also: &[],
};

static USE_DATA_DICTIONARY: Key<bool> = Key {
    name: "UseDataDictionary",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "UseDataDictionary=N",
    meaning: "Validate incoming messages, the first Logon included, against the data dictionary: the files of DataDictionary (FIX 4.x) or TransportDataDictionary and AppDataDictionary (FIXT.1.1), else the built-in dictionary of the session's version. A message that fails is answered with Reject and reported to the application with its bytes.",
    also: &[],
};

static VALIDATE_FIELDS_OUT_OF_ORDER: Key<bool> = Key {
    name: "ValidateFieldsOutOfOrder",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "ValidateFieldsOutOfOrder=N",
    meaning: "Reject header, body or trailer fields out of place, and group fields out of order.",
    also: &[],
};

static VALIDATE_FIELDS_HAVE_VALUES: Key<bool> = Key {
    name: "ValidateFieldsHaveValues",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "ValidateFieldsHaveValues=N",
    meaning: "Reject fields without a value.",
    also: &[],
};

static VALIDATE_USER_DEFINED_FIELDS: Key<bool> = Key {
    name: "ValidateUserDefinedFields",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "ValidateUserDefinedFields=N",
    meaning: "Check user-defined fields (tags 5000 and above) against the dictionary.",
    also: &[],
};

static ALLOW_UNKNOWN_MSG_FIELDS: Key<bool> = Key {
    name: "AllowUnknownMsgFields",
    group: VALIDATION,
    format: format::BOOL,
    default: "N",
    example: "AllowUnknownMsgFields=Y",
    meaning: "Let fields not defined for the message type through to the application.",
    also: &[],
};

static VALIDATE_UNORDERED_GROUP_FIELDS: Key<bool> = Key {
    name: "ValidateUnorderedGroupFields",
    group: VALIDATION,
    format: format::BOOL,
    default: "Y",
    example: "ValidateUnorderedGroupFields=N",
    meaning: "Reject repeating group entries whose fields are out of the dictionary's order (373=15); with N only the first field of each entry must come first (QuickFIX/J's key).",
    also: &[],
};

static REJECT_UNKNOWN_MSG_TYPES: Key<bool> = Key {
    name: "RejectUnknownMsgTypes",
    group: VALIDATION,
    format: format::BOOL,
    default: "N",
    example: "RejectUnknownMsgTypes=Y",
    meaning: "Without a dictionary, answer MsgTypes the FIX standard does not define with Reject 373=11 (user-defined U... types pass).",
    also: &[],
};

static SUPPORTED_MSG_TYPES: Key<Vec<String>> = Key {
    name: "SupportedMsgTypes",
    group: VALIDATION,
    format: Format {
        expected: "MsgType values separated by commas",
        parse: parse_msg_type_list,
    },
    default: "every MsgType",
    example: "SupportedMsgTypes=D,F,G",
    meaning: "Application MsgTypes the application handles, comma separated; other valid ones get BusinessMessageReject 380=3.",
    also: &[],
};

static TIMESTAMP_PRECISION: Key<TimePrecision> = Key {
    name: "TimestampPrecision",
    group: VALIDATION,
    format: Format {
        expected: "0, 3, 6 or 9",
        parse: parse_precision,
    },
    default: "3",
    example: "TimestampPrecision=6",
    meaning: "Fractional digits of SendingTime(52) and other timestamps written: 0, 3, 6 or 9.",
    also: &[Alias {
        name: "MillisecondsInTimeStamp",
        format: Format {
            expected: "Y or N",
            parse: parse_milliseconds,
        },
        default: "Y",
        example: "MillisecondsInTimeStamp=N",
        meaning: "QuickFIX's older name: Y is TimestampPrecision=3, N is TimestampPrecision=0.",
    }],
};

// Reconnection

static RECONNECT_INTERVAL: Key<Duration> = Key {
    name: "ReconnectInterval",
    group: RECONNECTION,
    format: format::SECONDS,
    default: "30",
    example: "ReconnectInterval=5",
    meaning: "Seconds between an initiator's connection attempts (QuickFIX's name).",
    also: &[Alias {
        name: "Reconnect.Interval",
        format: format::MILLISECONDS,
        default: "30000",
        example: "Reconnect.Interval=5000",
        meaning:
            "Milliseconds between connection attempts (FIX Antenna's name for the same setting).",
    }],
};

static RECONNECT_MAX_TRIES: Key<i32> = Key {
    name: "Reconnect.MaxTries",
    group: RECONNECTION,
    format: Format {
        expected: "a whole number, negative for no limit",
        parse: |v| v.parse().ok(),
    },
    default: "-1",
    example: "Reconnect.MaxTries=10",
    meaning: "Most reconnect attempts before giving up; negative for no limit.",
    also: &[],
};

// ---------------------------------------------------------------------------
// Formats

fn parse_role(v: &str) -> Option<Role> {
    if v.eq_ignore_ascii_case("initiator") {
        Some(Role::Initiator)
    } else if v.eq_ignore_ascii_case("acceptor") {
        Some(Role::Acceptor)
    } else {
        None
    }
}

/// A BeginString: a FIX 4.x version, or FIXT.1.1 whose application
/// version DefaultApplVerID gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    Fix(FixVersion),
    Fixt,
}

fn parse_begin_string(v: &str) -> Option<Begin> {
    if v == "FIXT.1.1" {
        return Some(Begin::Fixt);
    }
    FixVersion::from_begin_string(v.as_bytes()).map(Begin::Fix)
}

fn parse_appl_ver_id(v: &str) -> Option<FixVersion> {
    if v == "FIXT.1.1" {
        return None;
    }
    FixVersion::from_str(v)
        .ok()
        .or_else(|| FixVersion::from_appl_ver_id(v.as_bytes()))
        .filter(|version| version.is_fixt())
}

fn parse_multiplier(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|m| m.is_finite() && *m >= 0.0)
}

/// Logon fields the session writes itself.
const RESERVED_LOGON_TAGS: &[Tag] = &[
    tag::BEGIN_STRING,
    tag::BODY_LENGTH,
    tag::MSG_TYPE,
    tag::SENDER_COMP_ID,
    tag::TARGET_COMP_ID,
    tag::SENDER_SUB_ID,
    tag::TARGET_SUB_ID,
    tag::SENDER_LOCATION_ID,
    tag::TARGET_LOCATION_ID,
    tag::MSG_SEQ_NUM,
    tag::SENDING_TIME,
    tag::POSS_DUP_FLAG,
    tag::POSS_RESEND,
    tag::ORIG_SENDING_TIME,
    tag::CHECK_SUM,
    tag::ENCRYPT_METHOD,
    tag::HEART_BT_INT,
    tag::RESET_SEQ_NUM_FLAG,
    tag::USERNAME,
    tag::PASSWORD,
    tag::NEXT_EXPECTED_MSG_SEQ_NUM,
    tag::DEFAULT_APPL_VER_ID,
];

/// The `<tag>` of LogonTag.`<tag>`: a tag the session does not write
/// itself.
fn logon_tag(number: &str) -> Result<Tag, QualifierError> {
    let tag = parse_positive::<Tag>(number).ok_or(QualifierError::Unknown)?;
    if RESERVED_LOGON_TAGS.contains(&tag) {
        return Err(QualifierError::Refused(format!(
            "tag {tag} is written by the session itself (use the session's own key, such as Username, Password or HeartBtInt)"
        )));
    }
    Ok(tag)
}

fn parse_late_delivery(v: &str) -> Option<LateDelivery> {
    if v.eq_ignore_ascii_case("queue") {
        Some(LateDelivery::Queue)
    } else if v.eq_ignore_ascii_case("reject") {
        Some(LateDelivery::Reject)
    } else {
        parse_positive::<u64>(v).map(|ms| LateDelivery::QueueFor(Duration::from_millis(ms)))
    }
}

fn parse_late_delivery_mode(v: &str) -> Option<LateDeliveryMode> {
    if v.eq_ignore_ascii_case("resend") {
        Some(LateDeliveryMode::Resend)
    } else if v.eq_ignore_ascii_case("queue") {
        Some(LateDeliveryMode::Queue)
    } else {
        None
    }
}

fn parse_msg_type_list(v: &str) -> Option<Vec<String>> {
    let types: Vec<String> = v.split(',').map(|t| t.trim().to_string()).collect();
    let valid =
        |t: &String| !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_alphanumeric());
    types.iter().all(valid).then_some(types)
}

fn parse_precision(v: &str) -> Option<TimePrecision> {
    Some(match v {
        "0" => TimePrecision::Seconds,
        "3" => TimePrecision::Millis,
        "6" => TimePrecision::Micros,
        "9" => TimePrecision::Nanos,
        _ => return None,
    })
}

/// MillisecondsInTimeStamp: Y is millisecond precision, N whole seconds.
fn parse_milliseconds(v: &str) -> Option<TimePrecision> {
    parse_bool(v).map(|millis| {
        if millis {
            TimePrecision::Millis
        } else {
            TimePrecision::Seconds
        }
    })
}

// ---------------------------------------------------------------------------
// Reading

/// Sets `target` to the key's value, if the section gives one.
fn set<T>(section: &Section, key: &Key<T>, target: &mut T) -> Result<(), SettingsError> {
    if let Some(v) = section.get(key)? {
        *target = v;
    }
    Ok(())
}

impl SessionConfig {
    /// The configuration a settings file gives one session: identity,
    /// logon and timers, sequence numbers, validation, schedule and
    /// reconnection, with QuickFIX's defaults for the keys it does not
    /// set. ConnectionType, BeginString (and DefaultApplVerID with
    /// FIXT.1.1), SenderCompID, TargetCompID and, for initiators,
    /// HeartBtInt are required. `options` gives the machine's time zone
    /// for UseLocalTime=Y.
    pub fn from_settings(
        section: &Section,
        options: &ParseOptions,
    ) -> Result<SessionConfig, SettingsError> {
        let s = section;
        let role = s.require(&CONNECTION_TYPE, "required")?;
        let version = match s.require(&BEGIN_STRING, "required")? {
            Begin::Fix(version) => version,
            Begin::Fixt => s.require(&DEFAULT_APPL_VER_ID, "required with BeginString=FIXT.1.1")?,
        };
        let sender = s.require(&SENDER_COMP_ID, "required")?;
        let target = s.require(&TARGET_COMP_ID, "required")?;
        let mut c = SessionConfig::new(role, version, sender, target);

        c.id.sender_sub_id = s.get(&SENDER_SUB_ID)?;
        c.id.sender_location_id = s.get(&SENDER_LOCATION_ID)?;
        c.id.target_sub_id = s.get(&TARGET_SUB_ID)?;
        c.id.target_location_id = s.get(&TARGET_LOCATION_ID)?;
        c.id.qualifier = s.get(&SESSION_QUALIFIER)?;
        match s.get(&HEART_BT_INT)? {
            Some(h) => c.heart_bt_int = h,
            None if role == Role::Initiator => {
                s.require(&HEART_BT_INT, "required for initiators")?;
            }
            None => {}
        }
        set(s, &LOGON_TIMEOUT, &mut c.logon_timeout)?;
        set(s, &LOGOUT_TIMEOUT, &mut c.logout_timeout)?;
        set(
            s,
            &TEST_REQUEST_DELAY_MULTIPLIER,
            &mut c.test_request_delay_multiplier,
        )?;
        c.username = s.get(&USERNAME)?;
        c.password = s.get(&PASSWORD)?;
        c.logon_fields = s
            .family(&LOGON_TAG)?
            .into_iter()
            .map(|(tag, at)| (tag, at.value))
            .collect();
        set(s, &LATE_DELIVERY, &mut c.late_delivery)?;
        set(s, &LATE_DELIVERY_MODE, &mut c.late_delivery_mode)?;
        set(s, &MAX_LATE_DELIVERY_MESSAGES, &mut c.max_late_delivery)?;

        set(s, &RESET_ON_LOGON, &mut c.reset_on_logon)?;
        set(s, &RESET_ON_LOGOUT, &mut c.reset_on_logout)?;
        set(s, &RESET_ON_DISCONNECT, &mut c.reset_on_disconnect)?;
        set(
            s,
            &ENABLE_NEXT_EXPECTED_MSG_SEQ_NUM,
            &mut c.send_next_expected_msg_seq_num,
        )?;
        set(
            s,
            &RESEND_REQUEST_CHUNK_SIZE,
            &mut c.resend_request_chunk_size,
        )?;
        set(
            s,
            &SEND_REDUNDANT_RESEND_REQUESTS,
            &mut c.send_redundant_resend_requests,
        )?;
        set(s, &PERSIST_MESSAGES, &mut c.persist_messages)?;
        set(s, &MAX_OUT_OF_ORDER_MESSAGES, &mut c.max_out_of_order)?;

        set(s, &CHECK_COMP_ID, &mut c.check_comp_id)?;
        set(s, &CHECK_LATENCY, &mut c.check_latency)?;
        set(s, &MAX_LATENCY, &mut c.max_latency)?;
        set(s, &MAX_MESSAGE_SIZE, &mut c.max_message_size)?;
        set(s, &VALIDATE_LENGTH_AND_CHECKSUM, &mut c.validate_checksum)?;
        set(s, &USE_DATA_DICTIONARY, &mut c.use_data_dictionary)?;
        let v = &mut c.validation;
        set(
            s,
            &VALIDATE_FIELDS_OUT_OF_ORDER,
            &mut v.validate_fields_out_of_order,
        )?;
        set(
            s,
            &VALIDATE_FIELDS_HAVE_VALUES,
            &mut v.validate_fields_have_values,
        )?;
        set(
            s,
            &VALIDATE_USER_DEFINED_FIELDS,
            &mut v.validate_user_defined_fields,
        )?;
        set(
            s,
            &ALLOW_UNKNOWN_MSG_FIELDS,
            &mut v.allow_unknown_msg_fields,
        )?;
        set(
            s,
            &VALIDATE_UNORDERED_GROUP_FIELDS,
            &mut v.validate_unordered_group_fields,
        )?;
        set(
            s,
            &REJECT_UNKNOWN_MSG_TYPES,
            &mut c.reject_unknown_msg_types,
        )?;
        c.supported_msg_types = s.get(&SUPPORTED_MSG_TYPES)?;
        set(s, &TIMESTAMP_PRECISION, &mut c.timestamp_precision)?;

        set(s, &RECONNECT_INTERVAL, &mut c.reconnect_interval)?;
        set(s, &RECONNECT_MAX_TRIES, &mut c.reconnect_max_tries)?;
        let (schedule, logon_window) = schedule::read(s, options)?;
        c.schedule = schedule;
        c.logon_window = logon_window;
        Ok(c)
    }
}

impl Settings {
    /// The [`SessionConfig`] of every session, in file order (see
    /// [`SessionConfig::from_settings`]). Two sessions with the same
    /// identity (BeginString, CompIDs, sub and location IDs and
    /// SessionQualifier) are an error naming the second one's line.
    pub fn session_configs(&self) -> Result<Vec<SessionConfig>, SettingsError> {
        let mut configs: Vec<SessionConfig> = Vec::with_capacity(self.sessions.len());
        for section in &self.sessions {
            let config = SessionConfig::from_settings(section, self.options())?;
            let key = config.key();
            if let Some(first) = configs.iter().position(|c| c.key() == key) {
                return Err(SettingsError::DuplicateSession {
                    line: section.line(),
                    session: describe_key(&key),
                    first_line: self.sessions[first].line(),
                });
            }
            configs.push(config);
        }
        Ok(configs)
    }
}

fn describe_key(key: &SessionKey) -> String {
    let mut text = format!("{}:{}", key.begin_string, key.id.sender_comp_id);
    for part in [&key.id.sender_sub_id, &key.id.sender_location_id]
        .into_iter()
        .flatten()
    {
        text.push('/');
        text.push_str(part);
    }
    text.push_str("->");
    text.push_str(&key.id.target_comp_id);
    for part in [&key.id.target_sub_id, &key.id.target_location_id]
        .into_iter()
        .flatten()
    {
        text.push('/');
        text.push_str(part);
    }
    if let Some(q) = &key.id.qualifier {
        text.push(':');
        text.push_str(q);
    }
    text
}
