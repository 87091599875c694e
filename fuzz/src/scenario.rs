//! Structure-aware input of the `session_input` target: a [`Scenario`] is
//! session options and a sequence of [`Step`]s (counterparty messages,
//! time passing, application sends, logouts, link drops, resets), decoded
//! from the fuzzer's bytes with the `arbitrary` crate.
//!
//! Every counterparty message is well formed to begin with: the right
//! CompIDs, a MsgSeqNum chosen relative to what the session expects
//! (expected, behind, ahead), a SendingTime near the session's clock, and
//! for application messages every field the FIX version's dictionary
//! requires. The fuzzer then mutates what matters to the session layer:
//! sequence numbers, PossDupFlag and OrigSendingTime, ResendRequest ranges,
//! SequenceReset targets, Logon flags, fields removed, changed, added or
//! repeated, and how the bytes arrive (split, truncated, corrupted, twice).
//! So most inputs reach resend, gap fill, reset, logout and validation
//! paths instead of failing at the framing.
//!
//! [`Encode`] writes a scenario back as the bytes that decode to it, which
//! is how the committed seeds of `fuzz/seeds/session_input` are made
//! (`cargo run --manifest-path fuzz/Cargo.toml --example seeds`).

use arbitrary::{Arbitrary, Result, Unstructured};
use fixrs_proto::dictionary::{Dictionary, FieldType, Layout};
use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{tag, FieldWriter, FixVersion, MessageBuilder, Tag, UtcTimestamp};
use fixrs_session::schedule::{Schedule, TimeOfDay};
use fixrs_session::testing::{drain, Driver, Output, PeerMessage, Sent};
use fixrs_session::{LateDelivery, SessionConfig};
use std::time::Duration;

/// Most steps of one scenario (keeps each run short).
pub const MAX_STEPS: usize = 256;

/// Writes a value as the bytes [`Arbitrary`] decodes back to it.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
}

/// A sequence read with `arbitrary_iter`: each element preceded by a
/// "more" byte, ended by a zero.
fn encode_iter<T: Encode>(items: &[T], out: &mut Vec<u8>) {
    for item in items {
        out.push(1);
        item.encode(out);
    }
    out.push(0);
}

/// A short printable value (no SOH, no `=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let n = (u8::arbitrary(u)? % 16) as usize;
        let bytes = u.bytes(n.min(u.len()))?;
        Ok(Text(bytes.iter().map(|&b| printable(b)).collect()))
    }
}

fn printable(b: u8) -> char {
    match (b % 94 + 33) as char {
        '=' => '_',
        c => c,
    }
}

impl Encode for Text {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0.len() as u8);
        out.extend(self.0.bytes().map(|c| c - 33));
    }
}

impl Text {
    /// A text for a seed (printable ASCII without `=`, at most 15).
    pub fn new(s: &str) -> Text {
        assert!(s.len() < 16 && s.bytes().all(|c| (33..127).contains(&c) && c != b'='));
        Text(s.to_string())
    }
}

/// The session's configuration, from a few raw choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Acceptor rather than initiator.
    pub acceptor: bool,
    /// Index into [`FixVersion::ALL`] (modulo).
    pub version: u8,
    /// Index into the HeartBtInt choices (modulo).
    pub heart_bt_int: u8,
    /// Switches, one per bit (see [`flag`]).
    pub flags: u16,
    /// More switches (see [`more`]).
    pub more: u16,
}

impl<'a> Arbitrary<'a> for Options {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Options {
            acceptor: bool::arbitrary(u)?,
            version: u8::arbitrary(u)?,
            heart_bt_int: u8::arbitrary(u)?,
            flags: u16::arbitrary(u)?,
            more: u16::arbitrary(u)?,
        })
    }
}

impl Encode for Options {
    fn encode(&self, out: &mut Vec<u8>) {
        self.acceptor.encode(out);
        self.version.encode(out);
        self.heart_bt_int.encode(out);
        self.flags.encode(out);
        self.more.encode(out);
    }
}

/// Options bits.
pub mod flag {
    /// NextExpectedMsgSeqNum(789) in Logon.
    pub const NEXT_EXPECTED: u16 = 1;
    /// CheckSum not verified.
    pub const NO_CHECKSUM: u16 = 1 << 1;
    /// Redundant ResendRequests sent.
    pub const REDUNDANT_RESENDS: u16 = 1 << 2;
    /// ResendRequests in chunks of 3.
    pub const CHUNKS: u16 = 1 << 3;
    /// SendingTime accuracy not checked.
    pub const NO_LATENCY: u16 = 1 << 4;
    /// Validation against the version's dictionary.
    pub const DICTIONARY: u16 = 1 << 5;
    /// ResetOnLogon.
    pub const RESET_ON_LOGON: u16 = 1 << 6;
    /// ResetOnLogout.
    pub const RESET_ON_LOGOUT: u16 = 1 << 7;
    /// ResetOnDisconnect.
    pub const RESET_ON_DISCONNECT: u16 = 1 << 8;
    /// PersistMessages=N (resends become gap fills).
    pub const NO_PERSIST: u16 = 1 << 9;
    /// Late delivery rejected.
    pub const REJECT_LATE: u16 = 1 << 10;
    /// CompIDs not checked.
    pub const NO_COMP_ID_CHECK: u16 = 1 << 11;
    /// Unknown message fields allowed, user-defined ones not checked.
    pub const LENIENT_FIELDS: u16 = 1 << 12;
    /// Unknown MsgTypes rejected without a dictionary.
    pub const REJECT_UNKNOWN_TYPES: u16 = 1 << 13;
    /// At most 4 messages queued out of order.
    pub const SMALL_QUEUE: u16 = 1 << 14;
    /// Field order not checked.
    pub const NO_FIELD_ORDER: u16 = 1 << 15;
}

/// Bits of [`Options::more`].
pub mod more {
    /// Only NewOrderSingle and ExecutionReport are supported (others get
    /// BusinessMessageReject).
    pub const SUPPORTED_TYPES: u16 = 1;
    /// Late delivery with a time to live of 5 s.
    pub const LATE_TTL: u16 = 1 << 1;
    /// SubIDs and LocationIDs on both sides.
    pub const SUB_IDS: u16 = 1 << 2;
    /// A daily session period 09:59 to 10:02 UTC (the clock starts at
    /// 10:00).
    pub const SCHEDULE: u16 = 1 << 3;
    /// SendingTime accuracy of 5 s.
    pub const TIGHT_LATENCY: u16 = 1 << 4;
    /// TestRequest after half a HeartBtInt of silence.
    pub const EARLY_TEST_REQUEST: u16 = 1 << 5;
    /// Microsecond timestamps.
    pub const MICROS: u16 = 1 << 6;
    /// Username and Password in the Logon.
    pub const CREDENTIALS: u16 = 1 << 7;
    /// At most 2 messages kept for late delivery.
    pub const SMALL_LATE_QUEUE: u16 = 1 << 8;
    /// One reconnect attempt at most.
    pub const ONE_RECONNECT: u16 = 1 << 9;
}

const HEART_BT_INTS: [u32; 5] = [30, 1, 5, 0, 2];

impl Options {
    /// The FIX version.
    pub fn version(&self) -> FixVersion {
        FixVersion::ALL[self.version as usize % FixVersion::ALL.len()]
    }

    fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// The session configuration these options describe.
    pub fn config(&self) -> SessionConfig {
        let version = self.version();
        let mut c = if self.acceptor {
            SessionConfig::acceptor(version, "US", "THEM")
        } else {
            SessionConfig::initiator(version, "US", "THEM")
        };
        c.heart_bt_int = HEART_BT_INTS[self.heart_bt_int as usize % HEART_BT_INTS.len()];
        c.send_next_expected_msg_seq_num = self.has(flag::NEXT_EXPECTED);
        c.validate_checksum = !self.has(flag::NO_CHECKSUM);
        c.send_redundant_resend_requests = self.has(flag::REDUNDANT_RESENDS);
        c.resend_request_chunk_size = if self.has(flag::CHUNKS) { 3 } else { 0 };
        c.check_latency = !self.has(flag::NO_LATENCY);
        c.reset_on_logon = self.has(flag::RESET_ON_LOGON);
        c.reset_on_logout = self.has(flag::RESET_ON_LOGOUT);
        c.reset_on_disconnect = self.has(flag::RESET_ON_DISCONNECT);
        c.persist_messages = !self.has(flag::NO_PERSIST);
        if self.has(flag::REJECT_LATE) {
            c.late_delivery = LateDelivery::Reject;
        }
        c.check_comp_id = !self.has(flag::NO_COMP_ID_CHECK);
        if self.has(flag::LENIENT_FIELDS) {
            c.validation.allow_unknown_msg_fields = true;
            c.validation.validate_user_defined_fields = false;
        }
        c.reject_unknown_msg_types = self.has(flag::REJECT_UNKNOWN_TYPES);
        if self.has(flag::SMALL_QUEUE) {
            c.max_out_of_order = 4;
        }
        c.validation.validate_fields_out_of_order = !self.has(flag::NO_FIELD_ORDER);
        c.reconnect_interval = Duration::from_secs(1);
        let more = |bit: u16| self.more & bit != 0;
        if more(more::SUPPORTED_TYPES) {
            c.supported_msg_types = Some(vec!["D".into(), "8".into()]);
        }
        if more(more::LATE_TTL) && !self.has(flag::REJECT_LATE) {
            c.late_delivery = LateDelivery::QueueFor(Duration::from_secs(5));
        }
        if more(more::SUB_IDS) {
            c.id.sender_sub_id = Some("DESK".into());
            c.id.target_sub_id = Some("GW".into());
            c.id.sender_location_id = Some("LDN".into());
            c.id.target_location_id = Some("NYC".into());
        }
        if more(more::SCHEDULE) {
            let at = |t| TimeOfDay::parse(t).expect("a time of day");
            c.schedule = Some(Schedule::daily(at("09:59:00"), at("10:02:00")));
        }
        if more(more::TIGHT_LATENCY) {
            c.max_latency = Duration::from_secs(5);
        }
        if more(more::EARLY_TEST_REQUEST) {
            c.test_request_delay_multiplier = 0.5;
        }
        if more(more::MICROS) {
            c.timestamp_precision = TimePrecision::Micros;
        }
        if more(more::CREDENTIALS) {
            c.username = Some("user".into());
            c.password = Some("secret".into());
        }
        if more(more::SMALL_LATE_QUEUE) {
            c.max_late_delivery = 2;
        }
        if more(more::ONE_RECONNECT) {
            c.reconnect_max_tries = 1;
        }
        c
    }
}

/// One thing that happens to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A message from the counterparty.
    Peer(PeerMsg),
    /// Raw bytes from the counterparty.
    Raw(Vec<u8>),
    /// Time passes (this many 8 ms); timers fire at their deadlines.
    Advance(u16),
    /// The process stalls this many 4 s, then handles the expired timers
    /// at once.
    Stall(u8),
    /// The application sends a message.
    Send(AppSend),
    /// The application logs out.
    Logout(Option<Text>),
    /// The link drops; the session connects again, and the link comes up
    /// if `link_up`.
    LinkDown {
        /// The new link comes up.
        link_up: bool,
    },
    /// The application resets sequence numbers: with a Logon(141=Y) if
    /// `logon`, else locally.
    Reset {
        /// Send Logon(141=Y).
        logon: bool,
    },
}

impl<'a> Arbitrary<'a> for Step {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 16 {
            0..=6 => Step::Peer(PeerMsg::arbitrary(u)?),
            7 => {
                let n = u8::arbitrary(u)? as usize;
                Step::Raw(u.bytes(n.min(u.len()))?.to_vec())
            }
            8 | 9 => Step::Advance(u16::arbitrary(u)?),
            10 => Step::Stall(u8::arbitrary(u)?),
            11 | 12 => Step::Send(AppSend::arbitrary(u)?),
            13 => Step::Logout(Option::<Text>::arbitrary(u)?),
            14 => Step::LinkDown {
                link_up: bool::arbitrary(u)?,
            },
            _ => Step::Reset {
                logon: bool::arbitrary(u)?,
            },
        })
    }
}

impl Encode for Step {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Step::Peer(m) => {
                out.push(0);
                m.encode(out);
            }
            Step::Raw(bytes) => {
                out.push(7);
                out.push(bytes.len() as u8);
                out.extend_from_slice(bytes);
            }
            Step::Advance(n) => {
                out.push(8);
                n.encode(out);
            }
            Step::Stall(n) => {
                out.push(10);
                n.encode(out);
            }
            Step::Send(m) => {
                out.push(11);
                m.encode(out);
            }
            Step::Logout(text) => {
                out.push(13);
                text.encode(out);
            }
            Step::LinkDown { link_up } => {
                out.push(14);
                link_up.encode(out);
            }
            Step::Reset { logon } => {
                out.push(15);
                logon.encode(out);
            }
        }
    }
}

/// The kinds of counterparty message, by MsgType.
pub const PEER_KINDS: [&[u8]; 16] = [
    b"0", b"1", b"2", b"3", b"4", b"5", b"A", b"j", // session level
    b"D", b"8", b"W", b"V", b"F", b"G", // application, filled from the dictionary
    b"U1", b"ZZ", // user-defined and unknown
];

/// A counterparty message: its kind, how it is numbered and timed, its
/// kind's parameters, the fuzzer's edits, and how it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerMsg {
    /// Index into [`PEER_KINDS`] (modulo).
    pub kind: u8,
    /// MsgSeqNum(34).
    pub seq: SeqChoice,
    /// SendingTime(52).
    pub time: TimeChoice,
    /// PossDupFlag(43) and OrigSendingTime(122): 0 none, 1 a resend sent
    /// before, 2 OrigSendingTime after SendingTime, 3 OrigSendingTime
    /// missing (modulo 4).
    pub poss_dup: u8,
    /// The kind's own fields.
    pub params: Params,
    /// Changes to the fields.
    pub edits: Vec<Edit>,
    /// How the bytes arrive.
    pub delivery: Delivery,
}

impl<'a> Arbitrary<'a> for PeerMsg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(PeerMsg {
            kind: u8::arbitrary(u)?,
            seq: SeqChoice::arbitrary(u)?,
            time: TimeChoice::arbitrary(u)?,
            poss_dup: u8::arbitrary(u)?,
            params: Params::arbitrary(u)?,
            edits: u.arbitrary_iter()?.take(8).collect::<Result<_>>()?,
            delivery: Delivery::arbitrary(u)?,
        })
    }
}

impl Encode for PeerMsg {
    fn encode(&self, out: &mut Vec<u8>) {
        self.kind.encode(out);
        self.seq.encode(out);
        self.time.encode(out);
        self.poss_dup.encode(out);
        self.params.encode(out);
        assert!(self.edits.len() < 8, "at most 7 edits encode exactly");
        encode_iter(&self.edits, out);
        self.delivery.encode(out);
    }
}

impl PeerMsg {
    /// A message of `msg_type` numbered as expected, on time, whole.
    pub fn new(msg_type: &[u8]) -> PeerMsg {
        let kind = PEER_KINDS
            .iter()
            .position(|k| *k == msg_type)
            .expect("a kind of PEER_KINDS") as u8;
        PeerMsg {
            kind,
            seq: SeqChoice::Expected,
            time: TimeChoice::Now,
            poss_dup: 0,
            params: Params::default(),
            edits: Vec::new(),
            delivery: Delivery::Whole,
        }
    }
}

/// How a counterparty message is numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqChoice {
    /// The number the session expects next.
    Expected,
    /// This much below it (at least 1).
    Behind(u8),
    /// This much above it (a gap).
    Ahead(u8),
    /// This number.
    Absolute(u16),
}

impl<'a> Arbitrary<'a> for SeqChoice {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 8 {
            0..=4 => SeqChoice::Expected,
            5 => SeqChoice::Behind(u8::arbitrary(u)?),
            6 => SeqChoice::Ahead(u8::arbitrary(u)?),
            _ => SeqChoice::Absolute(u16::arbitrary(u)?),
        })
    }
}

impl Encode for SeqChoice {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            SeqChoice::Expected => out.push(0),
            SeqChoice::Behind(n) => out.extend([5, *n]),
            SeqChoice::Ahead(n) => out.extend([6, *n]),
            SeqChoice::Absolute(n) => {
                out.push(7);
                n.encode(out);
            }
        }
    }
}

/// SendingTime(52) of a counterparty message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeChoice {
    /// The session's clock.
    Now,
    /// This many 2 s behind.
    Behind(u8),
    /// This many 2 s ahead.
    Ahead(u8),
    /// No SendingTime.
    Missing,
}

impl<'a> Arbitrary<'a> for TimeChoice {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 8 {
            0..=4 => TimeChoice::Now,
            5 => TimeChoice::Behind(u8::arbitrary(u)?),
            6 => TimeChoice::Ahead(u8::arbitrary(u)?),
            _ => TimeChoice::Missing,
        })
    }
}

impl Encode for TimeChoice {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TimeChoice::Now => out.push(0),
            TimeChoice::Behind(n) => out.extend([5, *n]),
            TimeChoice::Ahead(n) => out.extend([6, *n]),
            TimeChoice::Missing => out.push(7),
        }
    }
}

/// Raw parameters whose meaning depends on the message kind (see
/// [`Harness::peer_message`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// First number (a distance back, a HeartBtInt, a NewSeqNo offset).
    pub a: u8,
    /// Second number (a range length, a NextExpectedMsgSeqNum offset).
    pub b: u8,
    /// A flag (GapFillFlag, ResetSeqNumFlag).
    pub flag: bool,
    /// A text (TestReqID, Text, ClOrdID).
    pub text: Option<Text>,
}

impl<'a> Arbitrary<'a> for Params {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Params {
            a: u8::arbitrary(u)?,
            b: u8::arbitrary(u)?,
            flag: bool::arbitrary(u)?,
            text: Option::<Text>::arbitrary(u)?,
        })
    }
}

impl Encode for Params {
    fn encode(&self, out: &mut Vec<u8>) {
        self.a.encode(out);
        self.b.encode(out);
        self.flag.encode(out);
        self.text.encode(out);
    }
}

/// A change to a message's fields. `pick` chooses among the fields the
/// message has (modulo their number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Remove a field.
    Remove {
        /// Which.
        pick: u8,
    },
    /// Change a field's value.
    Set {
        /// Which.
        pick: u8,
        /// The new value.
        value: Value,
    },
    /// Add a field (tag modulo 1200, or a user-defined 5000+).
    Add {
        /// The tag.
        tag: u16,
        /// The value.
        value: Value,
    },
    /// Repeat a field.
    Repeat {
        /// Which.
        pick: u8,
    },
}

impl<'a> Arbitrary<'a> for Edit {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 4 {
            0 => Edit::Remove {
                pick: u8::arbitrary(u)?,
            },
            1 => Edit::Set {
                pick: u8::arbitrary(u)?,
                value: Value::arbitrary(u)?,
            },
            2 => Edit::Add {
                tag: u16::arbitrary(u)?,
                value: Value::arbitrary(u)?,
            },
            _ => Edit::Repeat {
                pick: u8::arbitrary(u)?,
            },
        })
    }
}

impl Encode for Edit {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Edit::Remove { pick } => out.extend([0, *pick]),
            Edit::Set { pick, value } => {
                out.extend([1, *pick]);
                value.encode(out);
            }
            Edit::Add { tag, value } => {
                out.push(2);
                tag.encode(out);
                value.encode(out);
            }
            Edit::Repeat { pick } => out.extend([3, *pick]),
        }
    }
}

/// A field value chosen by the fuzzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Empty.
    Empty,
    /// A number.
    Number(u16),
    /// A negative number.
    Negative(u8),
    /// A short text.
    Text(Text),
    /// A decimal with two places.
    Decimal(u16),
    /// `Y` or `N`.
    Flag(bool),
}

impl<'a> Arbitrary<'a> for Value {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 6 {
            0 => Value::Empty,
            1 => Value::Number(u16::arbitrary(u)?),
            2 => Value::Negative(u8::arbitrary(u)?),
            3 => Value::Text(Text::arbitrary(u)?),
            4 => Value::Decimal(u16::arbitrary(u)?),
            _ => Value::Flag(bool::arbitrary(u)?),
        })
    }
}

impl Encode for Value {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Empty => out.push(0),
            Value::Number(n) => {
                out.push(1);
                n.encode(out);
            }
            Value::Negative(n) => out.extend([2, *n]),
            Value::Text(t) => {
                out.push(3);
                t.encode(out);
            }
            Value::Decimal(n) => {
                out.push(4);
                n.encode(out);
            }
            Value::Flag(b) => {
                out.push(5);
                b.encode(out);
            }
        }
    }
}

impl Value {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Empty => Vec::new(),
            Value::Number(n) => n.to_string().into_bytes(),
            Value::Negative(n) => format!("-{n}").into_bytes(),
            Value::Text(t) => t.0.clone().into_bytes(),
            Value::Decimal(n) => format!("{}.{:02}", n / 100, n % 100).into_bytes(),
            Value::Flag(b) => {
                if *b {
                    b"Y".to_vec()
                } else {
                    b"N".to_vec()
                }
            }
        }
    }
}

/// How a message's bytes reach the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In one read.
    Whole,
    /// Twice (a duplicate).
    Twice,
    /// In two reads, cut here (modulo the length).
    Split(u16),
    /// Only the bytes before this point (modulo the length).
    Truncated(u16),
    /// With the byte at `at` (modulo the length) XORed with `xor | 1`.
    Corrupt {
        /// Where.
        at: u16,
        /// How.
        xor: u8,
    },
}

impl<'a> Arbitrary<'a> for Delivery {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u8::arbitrary(u)? % 8 {
            0..=3 => Delivery::Whole,
            4 => Delivery::Twice,
            5 => Delivery::Split(u16::arbitrary(u)?),
            6 => Delivery::Truncated(u16::arbitrary(u)?),
            _ => Delivery::Corrupt {
                at: u16::arbitrary(u)?,
                xor: u8::arbitrary(u)?,
            },
        })
    }
}

impl Encode for Delivery {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Delivery::Whole => out.push(0),
            Delivery::Twice => out.push(4),
            Delivery::Split(n) => {
                out.push(5);
                n.encode(out);
            }
            Delivery::Truncated(n) => {
                out.push(6);
                n.encode(out);
            }
            Delivery::Corrupt { at, xor } => {
                out.extend([7]);
                at.encode(out);
                out.push(*xor);
            }
        }
    }
}

/// A message the application sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSend {
    /// NewOrderSingle (even) or ExecutionReport (odd).
    pub kind: u8,
    /// ClOrdID(11).
    pub id: Text,
}

impl<'a> Arbitrary<'a> for AppSend {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(AppSend {
            kind: u8::arbitrary(u)?,
            id: Text::arbitrary(u)?,
        })
    }
}

impl Encode for AppSend {
    fn encode(&self, out: &mut Vec<u8>) {
        self.kind.encode(out);
        self.id.encode(out);
    }
}

/// The whole input: options, then up to [`MAX_STEPS`] steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The session's configuration.
    pub options: Options,
    /// What happens, in order.
    pub steps: Vec<Step>,
}

impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Scenario {
            options: Options::arbitrary(u)?,
            steps: u.arbitrary_iter()?.take(MAX_STEPS).collect::<Result<_>>()?,
        })
    }
}

impl Encode for Scenario {
    fn encode(&self, out: &mut Vec<u8>) {
        self.options.encode(out);
        encode_iter(&self.steps, out);
    }
}

impl Scenario {
    /// The bytes that decode to this scenario.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

// ------------------------------------------------------------- harness --

/// The session under test, driven with its clock and counterparty.
pub struct Harness {
    d: Driver,
    frame: FrameConfig,
    sender: Vec<u8>,
    target: Vec<u8>,
    dict: &'static Dictionary,
}

impl Harness {
    /// A session with these options, logged on.
    pub fn new(options: &Options) -> Harness {
        let config = options.config();
        let version = config.version;
        let frame = FrameConfig {
            max_message_size: config.max_message_size,
            verify_checksum: true,
        };
        let sender = config.id.sender_comp_id.clone().into_bytes();
        let target = config.id.target_comp_id.clone().into_bytes();
        let mut d = Driver::new(config);
        let dict = Dictionary::builtin(version);
        if options.has(flag::DICTIONARY) {
            d.session.set_dictionary(dict);
        }
        let mut h = Harness {
            d,
            frame,
            sender,
            target,
            dict,
        };
        let out = h.d.establish();
        h.check(&out);
        h
    }

    /// Checks what the session wrote: every byte belongs to a well-formed
    /// frame with our CompIDs and a MsgSeqNum.
    fn check(&self, out: &Output) {
        let mut rest = out.bytes.as_slice();
        while !rest.is_empty() {
            match scan(rest, &self.frame) {
                Scan::Complete(n) => {
                    let msg =
                        Sent::parse(&rest[..n]).expect("the session wrote unparseable fields");
                    assert_eq!(msg.get(tag::SENDER_COMP_ID), Some(self.sender.as_slice()));
                    assert_eq!(msg.get(tag::TARGET_COMP_ID), Some(self.target.as_slice()));
                    assert!(msg.seq() >= 1, "MsgSeqNum missing: {msg:?}");
                    rest = &rest[n..];
                }
                other => panic!("the session wrote a malformed frame ({other:?}): {rest:?}"),
            }
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        let out = self.d.input(bytes);
        self.check(&out);
    }

    /// Fires the timers due within `d`, each at its deadline; none is left
    /// pending in the past.
    fn advance(&mut self, d: Duration) {
        let out = self.d.advance(d);
        self.check(&out);
        let now = self.d.clock.now();
        if let Some(at) = self.d.session.poll_timeout() {
            assert!(
                at > now,
                "a timer due at {at:?} is still pending at {now:?}"
            );
        }
    }

    /// The clock jumps (a stalled process), then timers are handled once.
    fn stall(&mut self, d: Duration) {
        self.d.clock.advance(d);
        let now = self.d.clock.time();
        self.d.session.handle_timeout(now);
        let out = drain(&mut self.d.session);
        self.check(&out);
        if let Some(at) = self.d.session.poll_timeout() {
            assert!(
                at > now.instant,
                "a timer due at {at:?} is still pending at {now:?}"
            );
        }
    }

    /// Builds the counterparty's message: header, the kind's fields, the
    /// edits; returns its bytes.
    fn peer_message(&mut self, m: &PeerMsg) -> Vec<u8> {
        let msg_type = PEER_KINDS[m.kind as usize % PEER_KINDS.len()];
        let utc = self.d.clock.utc();
        let expected = self.d.peer.next_seq;
        let reset_logon = msg_type == b"A" && m.params.flag;
        let seq = match m.seq {
            SeqChoice::Expected if reset_logon => 1,
            SeqChoice::Expected => expected,
            SeqChoice::Behind(n) => expected.saturating_sub(1 + u64::from(n)).max(1),
            SeqChoice::Ahead(n) => expected + 1 + u64::from(n),
            SeqChoice::Absolute(n) => u64::from(n),
        };
        if seq >= expected || reset_logon {
            self.d.peer.next_seq = seq + 1;
        }
        let mut header: Vec<(Tag, Vec<u8>)> = vec![
            (tag::SENDER_COMP_ID, self.target.clone()),
            (tag::TARGET_COMP_ID, self.sender.clone()),
            (tag::MSG_SEQ_NUM, seq.to_string().into_bytes()),
        ];
        let sending = match m.time {
            TimeChoice::Now => Some(utc),
            TimeChoice::Behind(n) => Some(utc.add_nanos(-i128::from(n) * 2_000_000_000)),
            TimeChoice::Ahead(n) => Some(utc.add_nanos(i128::from(n) * 2_000_000_000)),
            TimeChoice::Missing => None,
        };
        if let Some(t) = sending {
            header.push((tag::SENDING_TIME, timestamp(t)));
        }
        match m.poss_dup % 4 {
            0 => {}
            1 => {
                header.push((tag::POSS_DUP_FLAG, b"Y".to_vec()));
                header.push((
                    tag::ORIG_SENDING_TIME,
                    timestamp(utc.add_nanos(-1_000_000_000)),
                ));
            }
            2 => {
                header.push((tag::POSS_DUP_FLAG, b"Y".to_vec()));
                header.push((
                    tag::ORIG_SENDING_TIME,
                    timestamp(utc.add_nanos(60_000_000_000)),
                ));
            }
            _ => header.push((tag::POSS_DUP_FLAG, b"Y".to_vec())),
        }
        let body = self.body(msg_type, &m.params, utc);
        if msg_type == b"4" {
            // A SequenceReset moves the counterparty's numbering on.
            let new = body
                .iter()
                .find(|(t, _)| *t == tag::NEW_SEQ_NO)
                .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
            if let Some(new) = new {
                self.d.peer.next_seq = self.d.peer.next_seq.max(new);
            }
        }
        let mut fields: Vec<(Tag, Vec<u8>)> = header.into_iter().chain(body).collect();
        for edit in &m.edits {
            let n = fields.len().max(1);
            match edit {
                Edit::Remove { pick } => {
                    if !fields.is_empty() {
                        fields.remove(*pick as usize % n);
                    }
                }
                Edit::Set { pick, value } => {
                    if let Some(f) = fields.get_mut(*pick as usize % n) {
                        f.1 = value.bytes();
                    }
                }
                Edit::Add { tag, value } => {
                    let t = match tag % 1300 {
                        t @ 0..=1199 => Tag::from(t) + 1,
                        t => 5000 + Tag::from(t),
                    };
                    fields.push((t, value.bytes()));
                }
                Edit::Repeat { pick } => {
                    if let Some(f) = fields.get(*pick as usize % n).cloned() {
                        fields.push(f);
                    }
                }
            }
        }
        let mut msg = PeerMessage::new(&self.d.peer.begin_string, msg_type);
        for (t, v) in fields {
            msg = msg.add(t, v);
        }
        msg.encode()
    }

    /// The fields a message of `msg_type` carries before the edits.
    fn body(&self, msg_type: &[u8], p: &Params, utc: UtcTimestamp) -> Vec<(Tag, Vec<u8>)> {
        let text = |default: &str| {
            p.text
                .as_ref()
                .map_or_else(|| default.as_bytes().to_vec(), |t| t.0.clone().into_bytes())
        };
        let ours = self.d.session.next_sender_seq_num();
        let theirs = self.d.peer.next_seq;
        let num = |n: u64| n.to_string().into_bytes();
        match msg_type {
            b"0" | b"1" => match &p.text {
                Some(t) => vec![(tag::TEST_REQ_ID, t.0.clone().into_bytes())],
                None if msg_type == b"1" => vec![(tag::TEST_REQ_ID, b"TEST".to_vec())],
                None => Vec::new(),
            },
            b"2" => {
                // A range of what we sent, ending at infinity (0) or after
                // `b` messages.
                let begin = ours.saturating_sub(u64::from(p.a)).max(1);
                let end = if p.b == 0 {
                    0
                } else {
                    begin + u64::from(p.b) - 1
                };
                vec![(tag::BEGIN_SEQ_NO, num(begin)), (tag::END_SEQ_NO, num(end))]
            }
            b"3" => vec![
                (
                    tag::REF_SEQ_NUM,
                    num(ours.saturating_sub(u64::from(p.a)).max(1)),
                ),
                (tag::TEXT, text("rejected")),
            ],
            b"4" => {
                let new = (theirs as i64 + i64::from(p.a as i8)).max(1) as u64;
                let mut f = Vec::new();
                if p.flag {
                    f.push((tag::GAP_FILL_FLAG, b"Y".to_vec()));
                }
                f.push((tag::NEW_SEQ_NO, num(new)));
                f
            }
            b"5" => p
                .text
                .as_ref()
                .map(|t| vec![(tag::TEXT, t.0.clone().into_bytes())])
                .unwrap_or_default(),
            b"A" => {
                let mut f = vec![
                    (tag::ENCRYPT_METHOD, b"0".to_vec()),
                    (tag::HEART_BT_INT, num(u64::from(p.a % 40))),
                ];
                if p.flag {
                    f.push((tag::RESET_SEQ_NUM_FLAG, b"Y".to_vec()));
                }
                if p.b & 0x80 != 0 {
                    let next = ours.saturating_sub(u64::from(p.b & 0x7f)).max(1);
                    f.push((tag::NEXT_EXPECTED_MSG_SEQ_NUM, num(next)));
                }
                if self.d.session.config().version.is_fixt() {
                    let v = self.d.session.config().version.appl_ver_id();
                    f.push((tag::DEFAULT_APPL_VER_ID, v.as_bytes().to_vec()));
                }
                f
            }
            b"j" => vec![
                (
                    tag::REF_SEQ_NUM,
                    num(ours.saturating_sub(u64::from(p.a)).max(1)),
                ),
                (tag::REF_MSG_TYPE, b"D".to_vec()),
                (tag::BUSINESS_REJECT_REASON, num(u64::from(p.b % 8))),
                (tag::TEXT, text("unsupported")),
            ],
            b"U1" | b"ZZ" => vec![(tag::TEXT, text("custom"))],
            _ => {
                let mut f = Vec::new();
                if let Some(def) = self.dict.message(msg_type) {
                    required_fields(self.dict, def.layout(), utc, &mut f);
                }
                if let Some(t) = &p.text {
                    if let Some(slot) = f.iter_mut().find(|(t, _)| *t == tag::CL_ORD_ID) {
                        slot.1 = t.0.clone().into_bytes();
                    }
                }
                f
            }
        }
    }

    fn receive(&mut self, m: &PeerMsg) {
        let mut bytes = self.peer_message(m);
        let len = bytes.len();
        match m.delivery {
            Delivery::Whole => self.input(&bytes),
            Delivery::Twice => {
                self.input(&bytes);
                self.input(&bytes);
            }
            Delivery::Split(at) => {
                let at = at as usize % (len + 1);
                self.input(&bytes[..at]);
                self.input(&bytes[at..]);
            }
            Delivery::Truncated(at) => {
                let at = at as usize % (len + 1);
                self.input(&bytes[..at]);
            }
            Delivery::Corrupt { at, xor } => {
                if len > 0 {
                    bytes[at as usize % len] ^= xor | 1;
                }
                self.input(&bytes);
            }
        }
    }

    /// Runs one step.
    pub fn step(&mut self, step: &Step) {
        match step {
            Step::Peer(m) => self.receive(m),
            Step::Raw(bytes) => self.input(bytes),
            Step::Advance(n) => self.advance(Duration::from_millis(u64::from(*n) * 8)),
            Step::Stall(n) => self.stall(Duration::from_secs(u64::from(*n) * 4)),
            Step::Send(s) => {
                let msg_type: &[u8] = if s.kind % 2 == 0 { b"D" } else { b"8" };
                let mut m = MessageBuilder::new(msg_type);
                m.push_str(tag::CL_ORD_ID, &s.id.0)
                    .push_str(fixrs_proto::tag::SYMBOL, "EUR/USD")
                    .push_char(fixrs_proto::tag::SIDE, b'1');
                let (_, out) = self.d.try_send(&m);
                self.check(&out);
            }
            Step::Logout(text) => {
                let out = self.d.logout(text.as_ref().map(|t| t.0.as_str()));
                self.check(&out);
            }
            Step::LinkDown { link_up } => {
                let out = self.d.link_down();
                self.check(&out);
                let out = self.d.connect();
                self.check(&out);
                if *link_up {
                    let out = self.d.link_up();
                    self.check(&out);
                }
            }
            Step::Reset { logon } => {
                let now = self.d.clock.time();
                if *logon {
                    self.d.session.reset_seq_num_and_send_logon(now);
                } else {
                    self.d.session.reset_seq_num_local(now);
                }
                let out = drain(&mut self.d.session);
                self.check(&out);
            }
        }
    }
}

fn timestamp(t: UtcTimestamp) -> Vec<u8> {
    let mut out = Vec::new();
    t.write(TimePrecision::Millis, &mut out);
    out
}

/// The required fields of `layout` with plausible values of their types;
/// a required group gets one entry.
pub fn required_fields(
    dict: &Dictionary,
    layout: Layout<'_>,
    utc: UtcTimestamp,
    out: &mut Vec<(Tag, Vec<u8>)>,
) {
    for member in layout.members() {
        if !member.required() {
            continue;
        }
        if let Some(group) = member.group() {
            out.push((member.tag(), b"1".to_vec()));
            required_fields(dict, group.layout(), utc, out);
            // The delimiter starts the entry even when it is optional.
            let delimiter = group.delimiter();
            if !out.iter().any(|(t, _)| *t == delimiter) {
                if let Some(def) = dict.field(delimiter) {
                    let at = out
                        .iter()
                        .rposition(|(t, _)| *t == member.tag())
                        .unwrap_or(0);
                    out.insert(at + 1, (delimiter, sample(def, utc)));
                }
            }
            continue;
        }
        if let Some(def) = member.field() {
            out.push((member.tag(), sample(def, utc)));
        }
    }
}

/// A valid value of a field: its first enumerated value, or one of its
/// type.
fn sample(def: &fixrs_proto::dictionary::FieldDef, utc: UtcTimestamp) -> Vec<u8> {
    if let Some(v) = def.values().first() {
        return v.value().as_bytes().to_vec();
    }
    let text: &str = match def.field_type() {
        FieldType::Int
        | FieldType::Length
        | FieldType::NumInGroup
        | FieldType::SeqNum
        | FieldType::TagNum
        | FieldType::DayOfMonth => "1",
        FieldType::Float
        | FieldType::Qty
        | FieldType::Price
        | FieldType::PriceOffset
        | FieldType::Amt
        | FieldType::Percentage => "100.5",
        FieldType::Char => "A",
        FieldType::Boolean => "Y",
        FieldType::Country => "US",
        FieldType::Currency => "USD",
        FieldType::Exchange => "XNYS",
        FieldType::Language => "en",
        FieldType::MonthYear => "202401",
        FieldType::UtcTimestamp => return timestamp(utc),
        FieldType::UtcTimeOnly | FieldType::LocalMktTime => "10:30:00",
        FieldType::UtcDateOnly | FieldType::UtcDate | FieldType::LocalMktDate => "20240115",
        FieldType::TzTimeOnly => "10:30:00Z",
        FieldType::TzTimestamp => "20240115-10:30:00Z",
        _ => "X",
    };
    text.as_bytes().to_vec()
}

/// Runs a scenario: the session logs on, every step happens, then time
/// passes; [`Harness`] checks what the session writes throughout.
pub fn run(s: &Scenario) {
    let mut h = Harness::new(&s.options);
    for step in &s.steps {
        h.step(step);
    }
    // Whatever state it is in, the session keeps writing well-formed bytes
    // as time passes.
    h.advance(Duration::from_secs(120));
}
