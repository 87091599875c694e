//! Random scenario replay on the `Pair` harness, without sockets.
//!
//! proptest generates a session configuration, a fault profile for the
//! link (dropped, garbled, delayed and reordered messages) and a sequence
//! of operations: application messages put on either side, link cuts,
//! restarts of one side keeping its store, sequence resets, graceful
//! logouts and reconnects, rejects the application asks for, clock jumps
//! and runs of virtual time (which is when Heartbeats and TestRequests
//! flow), and messages a counterparty may
//! send that the sessions never write themselves, put on the link as if
//! one side had written them: SequenceReset-Reset (no GapFillFlag, or
//! 123=N) with MsgSeqNum 0, 1, far ahead or none, and NewSeqNo the
//! sender's next MsgSeqNum, the receiver's expected one or one below; and
//! PossDupFlag=Y duplicates whose OrigSendingTime is earlier than
//! SendingTime, later (Reject, Logout) or missing (Reject). Every scenario
//! ends with a checkpoint; the generator also places checkpoints in the
//! middle.
//!
//! # Invariants
//!
//! Checked after every step of the pair:
//! - nothing panics;
//! - each side's next sender and next target MsgSeqNum never decrease,
//!   and the MsgSeqNum of the messages a side writes (PossDupFlag not set)
//!   strictly increases, except while a sequence reset is pending (from
//!   the operation that asks for it to the end of the next checkpoint);
//! - an application message is written at most once without
//!   PossDupFlag(43)=Y; every copy with PossDupFlag=Y carries
//!   OrigSendingTime(122), so resends are recognisable;
//! - no application message is delivered twice, and each side delivers the
//!   other side's messages in the order they were put (a message the
//!   application rejects was delivered all the same);
//! - every reject the application asks for, right after a message was
//!   delivered to it, is accepted by the session and answered at once with
//!   a Reject(3) or BusinessMessageReject(j) whose RefSeqNum is that
//!   message's MsgSeqNum; rejects that carry the order's ClOrdID (in
//!   Text(58) or BusinessRejectRefID(379)) reach the other side at most
//!   once.
//!
//! Checked at each checkpoint, after the link is healed (no more faults)
//! and the initiator told to connect if it had stopped:
//! - both sides reach `Established` and, once every expected message is
//!   delivered, stay there for three HeartBtInts without any error;
//! - every message put before the checkpoint that is not given up (below)
//!   was delivered, and so was every reject carrying a ClOrdID (unless a
//!   reset of its sender's store dropped it before it arrived); nothing is
//!   left in the out-of-order or late-delivery queues; each side's next
//!   sender MsgSeqNum equals the other side's next target MsgSeqNum.
//!
//! # The expected delivery set
//!
//! Every application message put (with a unique id in ClOrdID(11)) is
//! expected to reach the other application exactly once, in order, unless
//! it was given up. "Written" below means saved in the sender's store or
//! written to the link (the session stores a message before handing out
//! its bytes; late-delivery messages are stored when queued, unless the
//! next Logon resets sequence numbers). A message is given up exactly when:
//! 1. the session reported it [`Recorded::Undelivered`] (`discard_queued`);
//!    it must then never be delivered, unless its side restarted since
//!    (the session does not remember withdrawn messages across a restart
//!    and resends their stored copies if asked);
//! 2. its side restarted while the message was not yet written nor kept in
//!    the store's queue of pending messages (where unnumbered late-delivery
//!    messages wait: with the memory store of the harness none is lost);
//! 3. its sender's store was reset (by `reset_seq_num_and_send_logon` on
//!    either side, the Logon exchange it causes, or `reset_seq_num_local`)
//!    after the message was written and before it was delivered: the reset
//!    drops the outgoing message log, so the message can no longer be
//!    resent. (Late-delivery messages stored when queued are numbered
//!    again by a reset and sent after it: for them the rule is looser than
//!    the session. Should they stay stuck, the empty-queue check catches
//!    it.) Messages not yet written are not given up by a reset. A store
//!    reset with no reset asked for since the last checkpoint is a failure.
//! 4. a SequenceReset-Reset from its side to the other, raising the
//!    other's expected MsgSeqNum, was injected after the message was
//!    written and before it was delivered: the receiver skips it.
//!
//! A given-up message may still arrive, at most once and in order.
//!
//! # What the generator leaves out, and why
//!
//! - Clock jumps stay below MaxLatency (120 s) minus the longest fault
//!   delay, so that no message in flight becomes legitimately "too old"
//!   (test case 2o rejects it, which would give it up). Longer jumps are
//!   made only once the link is idle.
//! - The link loses, garbles and reorders messages while it stays up,
//!   which TCP never does; resends repair that. A Logon is never resent
//!   (it is gap-filled), so a sequence reset it carries would be lost for
//!   good: a Logon is lost only with the link (the fault becomes a cut),
//!   is never reordered, never overtakes an earlier reordered message, and
//!   is never overtaken by a later one.
//! - A side that restarts before the reply to its Logon(141=Y) forgets
//!   that its reset is unconfirmed (the store keeps no such flag), and the
//!   two sides may then disagree on numbers for good. So a restart of a
//!   side that asked for a reset since the last checkpoint runs a
//!   checkpoint first.
//!
//! `PROPTEST_CASES` sets the number of cases (default 128); shrunk failures
//! are saved in `tests/scenarios/proptest-regressions.txt` and replayed
//! first.

use fixrs_proto::tag;
use fixrs_proto::{BusinessRejectReason, FieldWriter, FixVersion, MessageBuilder};
use fixrs_proto::{SessionRejectReason, Tag};
use fixrs_session::testing::{
    Counterparty, Fault, FaultInjector, Pair, PeerMessage, Recorded, Rng, Sent, SideId,
};
use fixrs_session::{
    LateDeliveryMode, MessageRejection, SeqNum, SessionConfig, SessionState, Store,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::collections::HashSet;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SIDES: [SideId; 2] = [SideId::Initiator, SideId::Acceptor];

/// The link's one-way latency (the `Pair` default).
const LATENCY: Duration = Duration::from_millis(1);

/// Most steps of the pair in one scenario before it is declared stuck.
const MAX_STEPS: u64 = 2_000_000;

/// Most messages written in ten seconds of virtual time (a storm beyond:
/// scenarios put at most a few hundred messages).
const MAX_WRITTEN_PER_10S: usize = 3_000;

/// The same with SendRedundantResendRequests. Each message
/// beyond a gap then draws a ResendRequest (as in QuickFIX), each answered
/// by a full resend. When the model loses a message inside a connection
/// (which TCP never does), the answers to earlier requests still on the
/// way start below NextNumIn: their gap fill over the lost number is
/// ignored as a duplicate, and each message after it draws a request
/// again, until an answer to the latest request arrives. That volume is
/// the square of the gap, bounded; a loop still passes this limit within
/// seconds.
const MAX_WRITTEN_PER_10S_REDUNDANT: usize = 30_000;

/// Events of each side shown when a check fails (`SCENARIO_TRACE_EVENTS`
/// to change).
fn trace_events() -> usize {
    std::env::var("SCENARIO_TRACE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

/// How long a checkpoint waits for logon, then for delivery.
const HEAL_LIMIT: Duration = Duration::from_secs(600);

// ------------------------------------------------------------ scenario --

/// The link's faults: probabilities per message, from a seed.
#[derive(Debug, Clone)]
struct FaultProfile {
    seed: u64,
    drop: f64,
    corrupt: f64,
    delay: f64,
    reorder: f64,
    max_delay: Duration,
}

impl FaultProfile {
    fn none() -> FaultProfile {
        FaultProfile {
            seed: 0,
            drop: 0.0,
            corrupt: 0.0,
            delay: 0.0,
            reorder: 0.0,
            max_delay: Duration::from_millis(1),
        }
    }
}

/// The sessions' settings (the same on both sides where it matters).
#[derive(Debug, Clone)]
struct Params {
    version: FixVersion,
    heart_bt_int: u32,
    reconnect_interval: Duration,
    resend_chunk: u64,
    next_expected: bool,
    redundant_resends: bool,
    late_delivery_mode: LateDeliveryMode,
    faults: FaultProfile,
}

impl Params {
    fn plain() -> Params {
        Params {
            version: FixVersion::Fix44,
            heart_bt_int: 30,
            reconnect_interval: Duration::from_secs(5),
            resend_chunk: 0,
            next_expected: false,
            redundant_resends: false,
            late_delivery_mode: LateDeliveryMode::Resend,
            faults: FaultProfile::none(),
        }
    }
}

/// One operation of a scenario.
#[derive(Debug, Clone)]
enum Op {
    /// The application puts `count` messages on a side.
    Put(SideId, u8),
    /// Virtual time passes (timers fire, messages flow).
    Run(Duration),
    /// The clock jumps without anything happening in between (below
    /// MaxLatency minus the longest delay).
    Jump(Duration),
    /// The clock jumps beyond MaxLatency, once nothing is in flight.
    LongJump(Duration),
    /// The link breaks.
    CutLink,
    /// A side restarts, keeping its store.
    Restart(SideId),
    /// `reset_seq_num_and_send_logon` on a side.
    ResetAndLogon(SideId),
    /// A side logs out; once both are disconnected, `reset_seq_num_local`
    /// on both; then both are told to connect.
    LogoutResetBoth(SideId),
    /// A side logs out gracefully.
    Logout(SideId),
    /// Both sides are told to connect (a reconnect after a logout).
    Connect,
    /// A side discards its late-delivery queue.
    Discard(SideId),
    /// A side's application rejects the next `count` orders it receives.
    Reject(SideId, u8, RejectKind),
    /// The counterparty of a side sends it a SequenceReset-Reset (no
    /// GapFillFlag, or 123=N) with any MsgSeqNum (11a-11c).
    SequenceReset(SideId, ResetTo, OddSeq, bool),
    /// The counterparty of a side resends it a message it already
    /// processed, PossDupFlag=Y, with this OrigSendingTime (2e-2g).
    PossDupResend(SideId, OrigSendingTime),
    /// Heal the link and check the invariants.
    Checkpoint,
}

/// How the application rejects an order (QuickFIX's exceptions, and
/// rejects it builds itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RejectKind {
    /// Reject 373=5 on Symbol(55).
    IncorrectTagValue,
    /// BusinessMessageReject 380=3.
    UnsupportedMessageType,
    /// BusinessMessageReject 380=5 naming Side(54).
    FieldNotFound,
    /// Reject 373=99 with the ClOrdID in Text(58).
    SessionWithText,
    /// BusinessMessageReject 380=0 with the ClOrdID in BusinessRejectRefID.
    BusinessWithRefId,
}

const SYMBOL: Tag = 55;
const SIDE: Tag = 54;

impl RejectKind {
    fn rejection(self, id: &str) -> MessageRejection {
        match self {
            RejectKind::IncorrectTagValue => MessageRejection::IncorrectTagValue(SYMBOL),
            RejectKind::UnsupportedMessageType => MessageRejection::UnsupportedMessageType,
            RejectKind::FieldNotFound => MessageRejection::FieldNotFound(SIDE),
            RejectKind::SessionWithText => MessageRejection::Session {
                reason: SessionRejectReason::Other,
                ref_tag: None,
                text: Some(reject_text(id)),
            },
            RejectKind::BusinessWithRefId => MessageRejection::Business {
                reason: BusinessRejectReason::Other,
                ref_id: Some(id.to_string()),
                text: None,
            },
        }
    }

    /// The SessionRejectReason of the `Rejected` event (none for a
    /// BusinessMessageReject: the scenarios' versions all have it).
    fn reason(self) -> Option<SessionRejectReason> {
        match self {
            RejectKind::IncorrectTagValue => Some(SessionRejectReason::ValueIsIncorrect),
            RejectKind::SessionWithText => Some(SessionRejectReason::Other),
            _ => None,
        }
    }

    /// Whether the reject names the order, so that its arrival can be
    /// followed.
    fn keyed(self) -> bool {
        matches!(
            self,
            RejectKind::SessionWithText | RejectKind::BusinessWithRefId
        )
    }
}

/// Text(58) of a reject naming an order.
fn reject_text(id: &str) -> String {
    format!("rejected {id}")
}

/// The order a received reject names, if any.
fn reject_key(e: &Recorded) -> Option<String> {
    match e {
        // The text may be led by the reason where the version's
        // SessionRejectReason(373) lacks it ("Other: rejected I-3").
        Recorded::Admin(m) if m.msg_type() == b"3" => m
            .text(tag::TEXT)?
            .rsplit_once("rejected ")
            .map(|(_, id)| id.to_string()),
        Recorded::App(m) if m.msg_type() == b"j" => m.text(tag::BUSINESS_REJECT_REF_ID),
        _ => None,
    }
}

fn reject_kind() -> impl Strategy<Value = RejectKind> {
    prop_oneof![
        Just(RejectKind::IncorrectTagValue),
        Just(RejectKind::UnsupportedMessageType),
        Just(RejectKind::FieldNotFound),
        Just(RejectKind::SessionWithText),
        Just(RejectKind::BusinessWithRefId),
    ]
}

/// The rejects each side's application still has to make.
type RejectPlan = Arc<Mutex<[VecDeque<RejectKind>; 2]>>;

/// NewSeqNo(36) of an injected SequenceReset-Reset.
#[derive(Debug, Clone, Copy)]
enum ResetTo {
    /// The next MsgSeqNum its sender will use: moves the receiver past
    /// whatever it still misses (11a), or changes nothing (11b).
    SendersNext,
    /// The MsgSeqNum the receiver expects (11b).
    Expected,
    /// One below that: rejected (11c).
    BelowExpected,
}

/// MsgSeqNum(34) of an injected SequenceReset-Reset, which must not matter.
#[derive(Debug, Clone, Copy)]
enum OddSeq {
    Zero,
    One,
    FarAhead,
    Missing,
}

/// OrigSendingTime(122) of an injected PossDupFlag=Y duplicate.
#[derive(Debug, Clone, Copy)]
enum OrigSendingTime {
    /// Before SendingTime: the duplicate is ignored (2e).
    Earlier,
    /// After SendingTime: Reject 373=10, then Logout (2f).
    Later,
    /// None: Reject 373=1 (2g).
    Missing,
}

fn side() -> impl Strategy<Value = SideId> {
    prop_oneof![Just(SideId::Initiator), Just(SideId::Acceptor)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (side(), 1..=5u8).prop_map(|(s, n)| Op::Put(s, n)),
        20 => (0..=5_000u64).prop_map(|ms| Op::Run(Duration::from_millis(ms))),
        8 => (1..=90u64).prop_map(|s| Op::Jump(Duration::from_secs(s))),
        3 => (121..=3_600u64).prop_map(|s| Op::LongJump(Duration::from_secs(s))),
        5 => Just(Op::CutLink),
        5 => side().prop_map(Op::Restart),
        4 => side().prop_map(Op::ResetAndLogon),
        3 => side().prop_map(Op::LogoutResetBoth),
        4 => side().prop_map(Op::Logout),
        4 => Just(Op::Connect),
        2 => side().prop_map(Op::Discard),
        4 => (side(), 1..=3u8, reject_kind()).prop_map(|(s, n, k)| Op::Reject(s, n, k)),
        3 => (side(), reset_to(), odd_seq(), any::<bool>())
            .prop_map(|(s, to, seq, flag_n)| Op::SequenceReset(s, to, seq, flag_n)),
        3 => (side(), orig_sending_time()).prop_map(|(s, t)| Op::PossDupResend(s, t)),
        4 => Just(Op::Checkpoint),
    ]
}

fn reset_to() -> impl Strategy<Value = ResetTo> {
    prop_oneof![
        Just(ResetTo::SendersNext),
        Just(ResetTo::Expected),
        Just(ResetTo::BelowExpected)
    ]
}

fn odd_seq() -> impl Strategy<Value = OddSeq> {
    prop_oneof![
        Just(OddSeq::Zero),
        Just(OddSeq::One),
        Just(OddSeq::FarAhead),
        Just(OddSeq::Missing)
    ]
}

fn orig_sending_time() -> impl Strategy<Value = OrigSendingTime> {
    prop_oneof![
        Just(OrigSendingTime::Earlier),
        Just(OrigSendingTime::Later),
        Just(OrigSendingTime::Missing)
    ]
}

fn fault_profile() -> impl Strategy<Value = FaultProfile> {
    prop_oneof![
        1 => Just(FaultProfile::none()),
        2 => (
            any::<u64>(),
            0.0..0.1f64,
            0.0..0.05f64,
            0.0..0.05f64,
            0.0..0.05f64,
            1..=1_000u64,
        )
            .prop_map(|(seed, drop, corrupt, delay, reorder, ms)| FaultProfile {
                seed,
                drop,
                corrupt,
                delay,
                reorder,
                max_delay: Duration::from_millis(ms),
            }),
    ]
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop_oneof![
            Just(FixVersion::Fix42),
            Just(FixVersion::Fix44),
            Just(FixVersion::Fix50Sp2)
        ],
        prop_oneof![Just(1u32), Just(2), Just(5), Just(10), Just(30)],
        prop_oneof![Just(1u64), Just(5), Just(30)],
        prop_oneof![Just(0u64), Just(0), Just(2), Just(5)],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(LateDeliveryMode::Resend),
            Just(LateDeliveryMode::Queue)
        ],
        fault_profile(),
    )
        .prop_map(
            |(
                version,
                heart_bt_int,
                reconnect,
                resend_chunk,
                next_expected,
                redundant,
                late_delivery_mode,
                faults,
            )| {
                Params {
                    version,
                    heart_bt_int,
                    reconnect_interval: Duration::from_secs(reconnect),
                    resend_chunk,
                    next_expected,
                    redundant_resends: redundant,
                    late_delivery_mode,
                    faults,
                }
            },
        )
}

// ----------------------------------------------------------------- wire --

/// One message written to the link, as the fault injector saw it.
#[derive(Debug)]
struct Written {
    from: SideId,
    seq: SeqNum,
    poss_dup: bool,
    orig_sending_time: bool,
    /// ClOrdID(11) of an application message.
    id: Option<String>,
    /// When, and the message (for failure reports).
    at: Duration,
    text: String,
}

#[derive(Debug, Default)]
struct WireLog {
    written: Vec<Written>,
    faults_on: bool,
}

/// Applies the fault profile (while faults are on) and records every
/// message written to the link.
struct Wire {
    log: Arc<Mutex<WireLog>>,
    rng: Rng,
    profile: FaultProfile,
    /// When the last reordered message of each side arrives.
    reordered_until: [Duration; 2],
    /// When the last message of each side that keeps the link's order
    /// arrives (as the `Pair` computes it: no earlier than what went
    /// before).
    ordered_until: [Duration; 2],
    /// When the last Logon of each side arrives.
    logon_until: [Duration; 2],
}

impl FaultInjector for Wire {
    fn on_message(&mut self, from: SideId, msg: &[u8], at: Duration) -> Fault {
        let log_handle = self.log.clone();
        let mut log = log_handle.lock().unwrap_or_else(|p| p.into_inner());
        let mut logon = false;
        if let Some(m) = Sent::parse(msg) {
            logon = m.msg_type() == b"A";
            let app = !is_admin(m.msg_type());
            log.written.push(Written {
                from,
                seq: m.seq(),
                poss_dup: m.poss_dup(),
                orig_sending_time: m.has(tag::ORIG_SENDING_TIME),
                id: if app { m.text(tag::CL_ORD_ID) } else { None },
                at,
                text: format!("{m:?}"),
            });
        }
        let i = idx(from);
        let fault = self.fault(from, logon, at, log.faults_on);
        // Track arrivals as the pair computes them.
        let in_order = self.ordered_until[i].max(at + LATENCY);
        match fault {
            Fault::Deliver => self.ordered_until[i] = in_order,
            Fault::Delay(d) => self.ordered_until[i] = in_order + d,
            _ => {}
        }
        if logon && matches!(fault, Fault::Deliver | Fault::Delay(_)) {
            self.logon_until[i] = self.ordered_until[i];
        }
        fault
    }
}

impl Wire {
    /// The fate of a message `from` writes at `at` (a Logon when `logon`).
    fn fault(&mut self, from: SideId, logon: bool, at: Duration, faults_on: bool) -> Fault {
        let i = idx(from);
        if logon && at < self.reordered_until[i] {
            // TCP never reorders: only messages of one numbering may
            // overtake each other, never a Logon (which may reset it).
            return Fault::Delay(self.reordered_until[i] - at);
        }
        if !faults_on {
            return Fault::Deliver;
        }
        let p = &self.profile;
        let r = &mut self.rng;
        let delay = |r: &mut Rng| {
            let nanos = p.max_delay.as_nanos().max(1) as u64;
            Duration::from_nanos(r.next_u64() % nanos)
        };
        let fault = if r.chance(p.drop) {
            Fault::Drop
        } else if r.chance(p.corrupt) {
            Fault::Corrupt
        } else if r.chance(p.delay) {
            Fault::Delay(delay(r))
        } else if r.chance(p.reorder) {
            Fault::Reorder(delay(r))
        } else {
            Fault::Deliver
        };
        match fault {
            // Resends recover any other lost message, but a Logon is
            // gap-filled, never resent: a sequence reset it carries would
            // be lost for good on a link that stays up. Over TCP a lost
            // message means a broken link, so a Logon is lost that way.
            Fault::Drop | Fault::Corrupt if logon => Fault::CutLink,
            Fault::Reorder(d) if logon => Fault::Delay(d),
            // Nor does a message overtake the Logon before it.
            Fault::Reorder(d) if at + LATENCY + d < self.logon_until[i] => Fault::Delay(d),
            Fault::Reorder(d) => {
                let arrives = at + LATENCY + d;
                self.reordered_until[i] = self.reordered_until[i].max(arrives);
                Fault::Reorder(d)
            }
            fault => fault,
        }
    }
}

/// An event in one line (messages as their FIX text).
fn brief(e: &Recorded) -> String {
    match e {
        Recorded::App(m) => format!("App {m:?}"),
        Recorded::Admin(m) => format!("Admin {m:?}"),
        e => format!("{e:?}"),
    }
}

fn is_admin(msg_type: &[u8]) -> bool {
    matches!(msg_type, b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A")
}

// --------------------------------------------------------------- runner --

/// Why a message will not necessarily be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GivenUp {
    /// Reported undelivered: never delivered...
    Undelivered,
    /// ... unless its side restarted since: the session forgets which
    /// stored messages it withdrew and resends them if asked.
    UndeliveredThenRestarted,
    RestartedWhileQueued,
    SequenceReset,
    /// Its sender's counterparty sent a SequenceReset-Reset past it.
    SkippedByReset,
}

#[derive(Debug)]
struct Put {
    id: String,
    given_up: Option<GivenUp>,
}

/// A reject naming an order, made by the application of one side.
#[derive(Debug)]
struct KeyedReject {
    /// The ClOrdID of the rejected order.
    key: String,
    /// Its sender's store was reset before the other side got it.
    given_up: bool,
    received: bool,
    /// MsgSeqNum of a session-level Reject(3): a resend gap-fills it, so
    /// the other side may pass this number without receiving it.
    gap_fillable: Option<SeqNum>,
}

impl KeyedReject {
    /// Received, given up, or gap-filled: the other side, expecting
    /// `next_target` next, has passed it.
    fn settled(&self, next_target: SeqNum) -> bool {
        self.received || self.given_up || self.gap_fillable.is_some_and(|seq| next_target > seq)
    }
}

fn idx(side: SideId) -> usize {
    match side {
        SideId::Initiator => 0,
        SideId::Acceptor => 1,
    }
}

fn prefix(side: SideId) -> &'static str {
    match side {
        SideId::Initiator => "I",
        SideId::Acceptor => "A",
    }
}

/// The put index of an id written by `from`.
fn put_index(from: SideId, id: &str) -> Option<usize> {
    id.strip_prefix(prefix(from))?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn order(id: &str) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(tag::CL_ORD_ID, id)
        .push_str(55, "EUR/USD")
        .push_char(54, b'1');
    m
}

/// ClOrdID(11) of a message given as MessageBuilder (Undelivered events).
fn builder_id(m: &MessageBuilder) -> Option<String> {
    let body = m.body();
    let at = body.windows(3).position(|w| w == b"11=")?;
    if at != 0 && body[at - 1] != 1 {
        return None;
    }
    let rest = &body[at + 3..];
    let end = rest.iter().position(|&b| b == 1).unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

type Check = Result<(), String>;

/// How far a store was looked at for messages written.
#[derive(Debug, Default)]
struct StoreScan {
    /// The store's creation time (changed by a reset).
    epoch: fixrs_proto::UtcTimestamp,
    /// Highest MsgSeqNum looked at.
    scanned: SeqNum,
    /// MsgSeqNums looked at but not stored (yet).
    holes: Vec<SeqNum>,
}

/// Replays one scenario on a pair and checks the invariants.
struct Runner {
    pair: Pair,
    params: Params,
    log: Arc<Mutex<WireLog>>,
    /// Messages put, per putting side.
    puts: [Vec<Put>; 2],
    /// Put indices saved in the sender's store or written to the link,
    /// per putting side.
    written: [HashSet<usize>; 2],
    /// How far each side's store was looked at.
    store_scan: [StoreScan; 2],
    /// Put indices delivered to the other side, per putting side.
    delivered: [HashSet<usize>; 2],
    /// Last put index delivered, per putting side.
    last_delivered: [Option<usize>; 2],
    /// Application ids written without PossDupFlag, per side.
    written_plain: [HashSet<String>; 2],
    /// MsgSeqNum of the last message written without PossDupFlag, per side.
    last_written_seq: [SeqNum; 2],
    /// Next sender and target MsgSeqNum last seen, per side.
    last_seqs: [(SeqNum, SeqNum); 2],
    /// Progress through the wire log and each side's events and deliveries.
    wire_seen: usize,
    /// Messages written in the current ten seconds of virtual time.
    written_in_window: (u64, usize),
    events_seen: [usize; 2],
    received_seen: [usize; 2],
    /// A sequence reset was asked for since the last checkpoint.
    reset_pending: bool,
    /// Each side asked for `reset_seq_num_and_send_logon` since the last
    /// checkpoint.
    reset_asked_by: [bool; 2],
    /// Rejects each side's application has yet to make.
    reject_plan: RejectPlan,
    /// Progress through each side's requested rejects.
    rejects_seen: [usize; 2],
    /// Rejects naming an order, per rejecting side, by key.
    keyed_rejects: [HashMap<String, KeyedReject>; 2],
    /// Progress through each side's events looking for rejects received.
    reject_events_seen: [usize; 2],
    steps: u64,
}

impl Runner {
    fn new(params: Params) -> Runner {
        let config = |mut c: SessionConfig| {
            c.heart_bt_int = params.heart_bt_int;
            c.reconnect_interval = params.reconnect_interval;
            c.resend_request_chunk_size = params.resend_chunk;
            c.send_next_expected_msg_seq_num = params.next_expected;
            c.send_redundant_resend_requests = params.redundant_resends;
            c.late_delivery_mode = params.late_delivery_mode;
            c
        };
        let mut pair = Pair::new(
            config(SessionConfig::initiator(params.version, "INI", "ACC")),
            config(SessionConfig::acceptor(params.version, "ACC", "INI")),
        );
        let log = Arc::new(Mutex::new(WireLog {
            written: Vec::new(),
            faults_on: true,
        }));
        pair.set_faults(Box::new(Wire {
            log: log.clone(),
            rng: Rng::new(params.faults.seed),
            reordered_until: [Duration::ZERO; 2],
            ordered_until: [Duration::ZERO; 2],
            logon_until: [Duration::ZERO; 2],
            profile: params.faults.clone(),
        }));
        let reject_plan: RejectPlan = Arc::new(Mutex::new([VecDeque::new(), VecDeque::new()]));
        for side in SIDES {
            let plan = reject_plan.clone();
            pair.set_application(
                side,
                Box::new(move |m: &Sent| {
                    if m.msg_type() != b"D" {
                        return None;
                    }
                    let kind =
                        plan.lock().unwrap_or_else(|p| p.into_inner())[idx(side)].pop_front()?;
                    Some(kind.rejection(&m.text(tag::CL_ORD_ID)?))
                }),
            );
        }
        pair.connect();
        let mut runner = Runner {
            pair,
            params,
            log,
            puts: [Vec::new(), Vec::new()],
            written: [HashSet::new(), HashSet::new()],
            store_scan: [StoreScan::default(), StoreScan::default()],
            delivered: [HashSet::new(), HashSet::new()],
            last_delivered: [None, None],
            written_plain: [HashSet::new(), HashSet::new()],
            last_written_seq: [0, 0],
            last_seqs: [(1, 1), (1, 1)],
            wire_seen: 0,
            written_in_window: (0, 0),
            events_seen: [0, 0],
            received_seen: [0, 0],
            reset_pending: false,
            reset_asked_by: [false, false],
            reject_plan,
            rejects_seen: [0, 0],
            keyed_rejects: [HashMap::new(), HashMap::new()],
            reject_events_seen: [0, 0],
            steps: 0,
        };
        runner.last_seqs = SIDES.map(|s| runner.seqs(s));
        for side in SIDES {
            runner.store_scan[idx(side)].epoch =
                runner.pair.side(side).store.lock().creation_time();
        }
        runner
    }

    fn wire(&self) -> std::sync::MutexGuard<'_, WireLog> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn seqs(&self, side: SideId) -> (SeqNum, SeqNum) {
        let s = &self.pair.side(side).session;
        (s.next_sender_seq_num(), s.next_target_seq_num())
    }

    fn state(&self, side: SideId) -> SessionState {
        self.pair.side(side).session.state()
    }

    fn fail<T>(&self, what: String) -> Result<T, String> {
        let mut text = format!("{what}\n  at {:?}", self.pair.clock.elapsed());
        for side in SIDES {
            let s = &self.pair.side(side);
            text.push_str(&format!(
                "\n  {side:?}: {:?}, next sender {}, next target {}, queued {}, out of order {}; last events:",
                s.session.state(),
                s.session.next_sender_seq_num(),
                s.session.next_target_seq_num(),
                s.session.queued_len(),
                s.session.out_of_order_len(),
            ));
            // Plain Heartbeats are left out.
            let shown: Vec<_> = s
                .events
                .iter()
                .filter(|(_, e)| {
                    !matches!(e, Recorded::Admin(m) if m.msg_type() == b"0" && !m.has(tag::TEST_REQ_ID))
                })
                .collect();
            for (at, e) in &shown[shown.len().saturating_sub(trace_events())..] {
                text.push_str(&format!("\n    {at:?} {}", brief(e)));
            }
        }
        if std::env::var_os("SCENARIO_TRACE_WIRE").is_some() {
            text.push_str("\n  written:");
            for w in &self.wire().written {
                if !w.text.contains("|35=0|") || w.text.contains("|112=") {
                    text.push_str(&format!("\n    {:?} {:?} {}", w.at, w.from, w.text));
                }
            }
        }
        Err(text)
    }

    // ---- observation after every step ----

    fn observe(&mut self) -> Check {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return self.fail("the pair does not settle".to_string());
        }
        self.observe_wire()?;
        for side in SIDES {
            self.observe_requested_rejects(side)?;
        }
        for side in SIDES {
            self.observe_rejects_received(side)?;
            self.observe_store(side)?;
            self.observe_events(side)?;
            self.observe_deliveries(side)?;
            let (sender, target) = self.seqs(side);
            let (last_sender, last_target) = self.last_seqs[idx(side)];
            if !self.reset_pending && (sender < last_sender || target < last_target) {
                return self.fail(format!(
                    "{side:?}: sequence numbers went backwards without a reset: \
                     next sender {last_sender} -> {sender}, next target {last_target} -> {target}"
                ));
            }
            self.last_seqs[idx(side)] = (sender, target);
        }
        Ok(())
    }

    fn observe_wire(&mut self) -> Check {
        let new: Vec<(SideId, SeqNum, bool, bool, Option<String>)> = {
            let log = self.wire();
            log.written[self.wire_seen..]
                .iter()
                .map(|w| (w.from, w.seq, w.poss_dup, w.orig_sending_time, w.id.clone()))
                .collect()
        };
        self.wire_seen += new.len();
        let window = self.pair.clock.elapsed().as_secs() / 10;
        if self.written_in_window.0 != window {
            self.written_in_window = (window, 0);
        }
        self.written_in_window.1 += new.len();
        let max = if self.params.redundant_resends {
            MAX_WRITTEN_PER_10S_REDUNDANT
        } else {
            MAX_WRITTEN_PER_10S
        };
        if self.written_in_window.1 > max {
            return self.fail(format!(
                "message storm: more than {max} messages written in 10 s"
            ));
        }
        for (from, seq, poss_dup, orig, id) in new {
            let i = idx(from);
            if poss_dup {
                if !orig {
                    return self.fail(format!(
                        "{from:?} wrote MsgSeqNum {seq} with PossDupFlag=Y but no OrigSendingTime"
                    ));
                }
            } else {
                if seq <= self.last_written_seq[i] && !self.reset_pending {
                    return self.fail(format!(
                        "{from:?} wrote MsgSeqNum {seq} after {} without PossDupFlag or a reset",
                        self.last_written_seq[i]
                    ));
                }
                self.last_written_seq[i] = seq;
            }
            if let Some(id) = id {
                if !poss_dup && !self.written_plain[i].insert(id.clone()) {
                    return self.fail(format!(
                        "{from:?} wrote {id} twice without PossDupFlag (MsgSeqNum {seq})"
                    ));
                }
                match put_index(from, &id) {
                    Some(n) if n < self.puts[i].len() => {
                        self.written[i].insert(n);
                    }
                    _ => return self.fail(format!("{from:?} wrote an unknown id {id}")),
                }
            }
        }
        Ok(())
    }

    /// Marks as written the messages a side saved in its store since the
    /// last look: the session stores a message before handing its bytes to
    /// the transport, which may lose them when the link is closing.
    fn observe_store(&mut self, side: SideId) -> Check {
        let i = idx(side);
        let mut ids = Vec::new();
        let mut result = Ok(());
        let mut was_reset = false;
        {
            let mut store = self.pair.side(side).store.lock();
            let epoch = store.creation_time();
            let next = store.next_sender_seq_num();
            let scan = &mut self.store_scan[i];
            if scan.epoch != epoch || next <= scan.scanned {
                was_reset = scan.scanned > 0 || scan.epoch != epoch;
                *scan = StoreScan {
                    epoch,
                    scanned: 0,
                    holes: Vec::new(),
                };
            }
            // MsgSeqNums consumed by late-delivery messages are stored when
            // those are sent, if ever: look at them again each time.
            let mut found = HashSet::new();
            let mut visit = |seq: SeqNum, bytes: &[u8]| {
                found.insert(seq);
                if let Some(m) = Sent::parse(bytes) {
                    if m.msg_type() == b"D" {
                        ids.push(m.text(tag::CL_ORD_ID));
                    }
                }
            };
            for &hole in &scan.holes {
                result = result.and(store.outgoing(hole, hole, &mut visit));
            }
            let end = next.saturating_sub(1);
            result = result.and(store.outgoing(scan.scanned + 1, end, &mut visit));
            let new_holes = (scan.scanned + 1..=end).filter(|s| !found.contains(s));
            let mut holes: Vec<SeqNum> = scan.holes.iter().copied().chain(new_holes).collect();
            holes.retain(|s| !found.contains(s));
            scan.holes = holes;
            scan.scanned = scan.scanned.max(end);
        }
        if let Err(e) = result {
            return self.fail(format!("{side:?}: store failed: {e}"));
        }
        if was_reset {
            if !self.reset_pending {
                return self.fail(format!("{side:?}: store reset without a reset asked for"));
            }
            // The outgoing log is gone: what it held and the other side did
            // not get can no longer be resent.
            for (n, put) in self.puts[i].iter_mut().enumerate() {
                if put.given_up.is_none()
                    && self.written[i].contains(&n)
                    && !self.delivered[i].contains(&n)
                {
                    put.given_up = Some(GivenUp::SequenceReset);
                }
            }
            for reject in self.keyed_rejects[i].values_mut() {
                reject.given_up |= !reject.received;
            }
        }
        for id in ids {
            match id.as_deref().and_then(|id| put_index(side, id)) {
                Some(n) if n < self.puts[i].len() => {
                    self.written[i].insert(n);
                }
                _ => return self.fail(format!("{side:?} stored an unknown message {id:?}")),
            }
        }
        Ok(())
    }

    /// Checks the rejects a side's application asked for since the last
    /// look: accepted by the session and answered at once.
    fn observe_requested_rejects(&mut self, side: SideId) -> Check {
        let i = idx(side);
        let s = self.pair.side(side);
        let new = s.requested_rejects[self.rejects_seen[i]..].to_vec();
        self.rejects_seen[i] = s.requested_rejects.len();
        for r in new {
            if let Err(e) = &r.result {
                return self.fail(format!("{side:?}: reject of {:?} refused: {e}", r.message));
            }
            let events = &self.pair.side(side).events;
            let delivered = Recorded::App(r.message.clone());
            let answer = events
                .iter()
                .rposition(|(_, e)| *e == delivered)
                .and_then(|at| events.get(at + 1));
            let Some(id) = r.message.text(tag::CL_ORD_ID) else {
                return self.fail(format!("{side:?} rejected a message without ClOrdID"));
            };
            let kind = [
                RejectKind::IncorrectTagValue,
                RejectKind::UnsupportedMessageType,
                RejectKind::FieldNotFound,
                RejectKind::SessionWithText,
                RejectKind::BusinessWithRefId,
            ]
            .into_iter()
            .find(|k| k.rejection(&id) == r.rejection);
            let Some(kind) = kind else {
                return self.fail(format!("{side:?}: unexpected rejection {:?}", r.rejection));
            };
            match answer {
                Some((
                    _,
                    Recorded::Rejected {
                        ref_seq_num,
                        reason,
                        ..
                    },
                )) if *ref_seq_num == Some(r.message.seq()) && *reason == kind.reason() => {}
                other => {
                    return self.fail(format!(
                        "{side:?}: rejecting {id} ({kind:?}) was not answered at once: {other:?}"
                    ))
                }
            }
            if kind.keyed() {
                let previous = self.keyed_rejects[i].insert(
                    id.clone(),
                    KeyedReject {
                        key: id.clone(),
                        given_up: false,
                        received: false,
                        gap_fillable: r.seq.filter(|_| kind == RejectKind::SessionWithText),
                    },
                );
                if previous.is_some() {
                    return self.fail(format!("{side:?} rejected {id} twice"));
                }
            }
        }
        Ok(())
    }

    /// Checks the rejects naming an order that `to` received since the
    /// last look: made by the other side's application, once each.
    fn observe_rejects_received(&mut self, to: SideId) -> Check {
        let from = idx(to.other());
        let events = &self.pair.side(to).events;
        let keys: Vec<String> = events[self.reject_events_seen[idx(to)]..]
            .iter()
            .filter_map(|(_, e)| reject_key(e))
            .collect();
        self.reject_events_seen[idx(to)] = events.len();
        for key in keys {
            let Some(reject) = self.keyed_rejects[from].get_mut(&key) else {
                return self.fail(format!("{to:?} received a reject of {key} never made"));
            };
            if reject.received {
                return self.fail(format!("{to:?} received the reject of {key} twice"));
            }
            reject.received = true;
        }
        Ok(())
    }

    fn observe_events(&mut self, side: SideId) -> Check {
        let events = &self.pair.side(side).events;
        let mut undelivered = Vec::new();
        for (_, e) in &events[self.events_seen[idx(side)]..] {
            if let Recorded::Undelivered(m, _) = e {
                undelivered.push(builder_id(m));
            }
        }
        self.events_seen[idx(side)] = events.len();
        for id in undelivered {
            let n = id.as_deref().and_then(|id| put_index(side, id));
            match n.and_then(|n| self.puts[idx(side)].get_mut(n)) {
                Some(put) => put.given_up = Some(GivenUp::Undelivered),
                None => {
                    return self.fail(format!("{side:?} reported an unknown message undelivered"))
                }
            }
            if let Some(n) = n {
                if self.delivered[idx(side)].contains(&n) {
                    return self.fail(format!(
                        "{side:?} reported {} undelivered after it was delivered",
                        self.puts[idx(side)][n].id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the messages `to` delivered since the last look: from the
    /// other side, once each, in the order they were put.
    fn observe_deliveries(&mut self, to: SideId) -> Check {
        let from = to.other();
        let f = idx(from);
        let received = &self.pair.side(to).received;
        let new: Vec<Option<String>> = received[self.received_seen[idx(to)]..]
            .iter()
            // BusinessMessageRejects are followed as rejects.
            .filter(|m| m.msg_type() != b"j")
            .map(|m| m.text(tag::CL_ORD_ID))
            .collect();
        self.received_seen[idx(to)] = received.len();
        for id in new {
            let Some(id) = id else {
                return self.fail(format!("{to:?} delivered a message without ClOrdID"));
            };
            let Some(n) = put_index(from, &id).filter(|&n| n < self.puts[f].len()) else {
                return self.fail(format!("{to:?} delivered an unknown message {id}"));
            };
            if !self.delivered[f].insert(n) {
                return self.fail(format!("{to:?} delivered {id} twice"));
            }
            if let Some(last) = self.last_delivered[f] {
                if n < last {
                    return self.fail(format!(
                        "{to:?} delivered {id} after {}: out of order",
                        self.puts[f][last].id
                    ));
                }
            }
            if self.puts[f][n].given_up == Some(GivenUp::Undelivered) {
                return self.fail(format!("{to:?} delivered {id}, reported undelivered"));
            }
            self.last_delivered[f] = Some(n);
        }
        Ok(())
    }

    // ---- driving ----

    /// Runs everything due now.
    fn settle(&mut self) -> Check {
        while self.pair.step() {
            self.observe()?;
        }
        self.observe()
    }

    /// Runs `d` of virtual time.
    fn run_for(&mut self, d: Duration) -> Check {
        let limit = self.pair.clock.elapsed() + d;
        loop {
            self.settle()?;
            match self.pair.next_wakeup() {
                Some(at) if at <= limit => {
                    let now = self.pair.clock.elapsed();
                    self.pair.clock.advance(at.saturating_sub(now));
                }
                _ => break,
            }
        }
        let now = self.pair.clock.elapsed();
        self.pair.clock.advance(limit.saturating_sub(now));
        self.settle()
    }

    /// Runs until `done` holds (checked when nothing more is due now), for
    /// at most `max` of virtual time; returns whether it held.
    fn run_until(&mut self, max: Duration, done: impl Fn(&Runner) -> bool) -> Result<bool, String> {
        let limit = self.pair.clock.elapsed() + max;
        loop {
            self.settle()?;
            if done(self) {
                return Ok(true);
            }
            match self.pair.next_wakeup() {
                Some(at) if at <= limit => {
                    let now = self.pair.clock.elapsed();
                    self.pair.clock.advance(at.saturating_sub(now));
                }
                _ => return Ok(false),
            }
        }
    }

    fn with_session(
        &mut self,
        side: SideId,
        f: impl FnOnce(&mut fixrs_session::Session, fixrs_session::Now),
    ) -> Check {
        self.pair.with_session(side, f);
        self.observe()
    }

    fn both_disconnected(&self) -> bool {
        !self.pair.link_up()
            && SIDES
                .iter()
                .all(|&s| !self.pair.side(s).session.is_link_up())
            && self.state(SideId::Initiator) != SessionState::WaitForConnect
    }

    fn apply(&mut self, op: &Op) -> Check {
        match op {
            Op::Put(side, count) => {
                for _ in 0..*count {
                    let i = idx(*side);
                    let id = format!("{}-{}", prefix(*side), self.puts[i].len());
                    self.puts[i].push(Put {
                        id: id.clone(),
                        given_up: None,
                    });
                    if let Err(e) = self.pair.send(*side, &order(&id)) {
                        return self.fail(format!("{side:?} refused {id}: {e}"));
                    }
                    self.observe()?;
                }
                Ok(())
            }
            Op::Run(d) => self.run_for(*d),
            Op::Jump(d) => {
                self.pair.clock.advance(*d);
                self.settle()
            }
            Op::LongJump(d) => {
                if self.run_until(Duration::from_secs(10), |r| r.pair.in_flight() == 0)? {
                    self.pair.clock.advance(*d);
                }
                self.settle()
            }
            Op::CutLink => {
                self.pair.cut_link();
                self.observe()
            }
            Op::Restart(side) => {
                let i = idx(*side);
                if self.reset_asked_by[i] {
                    // A restart forgets that our Logon(141=Y) awaits its
                    // reply (only the store survives, and it has already
                    // restarted numbering): complete the reset first.
                    self.checkpoint()?;
                }
                let mut kept = Vec::new();
                self.pair
                    .side(*side)
                    .store
                    .lock()
                    .pending(&mut |_, record| kept.push(record.to_vec()))
                    .map_err(|e| format!("pending messages: {e}"))?;
                let in_store = |id: &str| {
                    let field = format!("11={id}\x01");
                    kept.iter()
                        .any(|r| r.windows(field.len()).any(|w| w == field.as_bytes()))
                };
                for (n, put) in self.puts[i].iter_mut().enumerate() {
                    match put.given_up {
                        None if !self.written[i].contains(&n) && !in_store(&put.id) => {
                            put.given_up = Some(GivenUp::RestartedWhileQueued);
                        }
                        Some(GivenUp::Undelivered) => {
                            put.given_up = Some(GivenUp::UndeliveredThenRestarted);
                        }
                        _ => {}
                    }
                }
                self.pair.restart(*side);
                self.observe()
            }
            Op::ResetAndLogon(side) => {
                self.reset_pending = true;
                self.reset_asked_by[idx(*side)] = true;
                self.with_session(*side, |s, now| s.reset_seq_num_and_send_logon(now))
            }
            Op::LogoutResetBoth(side) => {
                self.with_session(*side, |s, now| s.logout(Some("reset"), now))?;
                if self.run_until(Duration::from_secs(60), Runner::both_disconnected)? {
                    self.reset_pending = true;
                    for s in SIDES {
                        self.with_session(s, |s, now| s.reset_seq_num_local(now))?;
                    }
                }
                self.connect_both()
            }
            Op::Logout(side) => self.with_session(*side, |s, now| s.logout(Some("bye"), now)),
            Op::Connect => self.connect_both(),
            Op::Discard(side) => self.with_session(*side, |s, _| s.discard_queued()),
            Op::Reject(side, count, kind) => {
                let mut plan = self.reject_plan.lock().unwrap_or_else(|p| p.into_inner());
                plan[idx(*side)].extend(std::iter::repeat_n(*kind, usize::from(*count)));
                Ok(())
            }
            Op::SequenceReset(to, new_seq_no, seq, flag_n) => {
                self.inject_sequence_reset(*to, *new_seq_no, *seq, *flag_n)
            }
            Op::PossDupResend(to, orig) => self.inject_poss_dup(*to, *orig),
            Op::Checkpoint => self.checkpoint(),
        }
    }

    /// A message from the counterparty of `to`, as its session would
    /// write it, with SendingTime now.
    fn peer_message(&self, to: SideId, msg_type: &[u8]) -> PeerMessage {
        Counterparty::for_session(&self.pair.side(to).config)
            .msg_with_seq(msg_type, 1, self.pair.clock.utc())
            .remove(tag::MSG_SEQ_NUM)
    }

    /// Sends `to` a SequenceReset-Reset from its counterparty, as if that
    /// session had written it (sessions never write one themselves).
    fn inject_sequence_reset(
        &mut self,
        to: SideId,
        new_seq_no: ResetTo,
        seq: OddSeq,
        flag_n: bool,
    ) -> Check {
        // A counterparty numbers from its own state: not from before a
        // sequence reset still on its way.
        if !self.established() || self.reset_pending {
            return self.observe();
        }
        let from = to.other();
        let senders_next = self.seqs(from).0;
        let expected = self.seqs(to).1;
        let new_seq_no = match new_seq_no {
            // Its sender's session did not send it and keeps its queued
            // numbered messages for a ResendRequest the reset makes needless:
            // they would wait for ever.
            ResetTo::SendersNext if self.pair.side(from).session.queued_len() > 0 => expected,
            ResetTo::SendersNext => senders_next,
            ResetTo::Expected => expected,
            ResetTo::BelowExpected => expected.saturating_sub(1).max(1),
        };
        if new_seq_no > expected {
            // What `to` still misses of its counterparty's messages will be
            // skipped: those written and not delivered are given up.
            let f = idx(from);
            for (n, put) in self.puts[f].iter_mut().enumerate() {
                if put.given_up.is_none()
                    && self.written[f].contains(&n)
                    && !self.delivered[f].contains(&n)
                {
                    put.given_up = Some(GivenUp::SkippedByReset);
                }
            }
            for reject in self.keyed_rejects[f].values_mut() {
                reject.given_up |= !reject.received;
            }
        }
        let mut msg = self
            .peer_message(to, b"4")
            .set(tag::NEW_SEQ_NO, new_seq_no.to_string());
        if flag_n {
            msg = msg.set(tag::GAP_FILL_FLAG, "N");
        }
        let seq = match seq {
            OddSeq::Zero => Some(0),
            OddSeq::One => Some(1),
            OddSeq::FarAhead => Some(senders_next + 100),
            OddSeq::Missing => None,
        };
        if let Some(seq) = seq {
            msg = msg.set(tag::MSG_SEQ_NUM, seq.to_string());
        }
        self.pair.inject(from, &msg.encode());
        self.observe()
    }

    /// Resends `to` the last message it processed from its counterparty,
    /// PossDupFlag=Y, with an OrigSendingTime earlier than SendingTime,
    /// later, or missing: ignored, or rejected before it is found to be a
    /// duplicate, never delivered again.
    fn inject_poss_dup(&mut self, to: SideId, orig: OrigSendingTime) -> Check {
        let expected = self.seqs(to).1;
        if !self.established() || self.reset_pending || expected < 2 {
            return self.observe();
        }
        let from = to.other();
        // The last message delivered from `from`, if any: delivering it
        // again would break the once-only check.
        let f = idx(from);
        let utc = self.pair.clock.utc();
        let mut msg = match self.last_delivered[f] {
            Some(n) => {
                let id = self.puts[f][n].id.clone();
                self.peer_message(to, b"D")
                    .set(tag::CL_ORD_ID, id)
                    .set(55, "EUR/USD")
                    .set(54, "1")
            }
            None => self.peer_message(to, b"0"),
        }
        .set(tag::MSG_SEQ_NUM, (expected - 1).to_string())
        .set(tag::POSS_DUP_FLAG, "Y");
        match orig {
            OrigSendingTime::Earlier => {
                msg = msg.set_time(tag::ORIG_SENDING_TIME, utc.add_nanos(-1_000_000_000))
            }
            OrigSendingTime::Later => {
                msg = msg.set_time(tag::ORIG_SENDING_TIME, utc.add_nanos(2_000_000_000))
            }
            OrigSendingTime::Missing => {}
        }
        self.pair.inject(from, &msg.encode());
        self.observe()
    }

    fn connect_both(&mut self) -> Check {
        for side in SIDES {
            self.with_session(side, |s, now| s.connect(now))?;
        }
        Ok(())
    }

    fn established(&self) -> bool {
        self.pair.link_up()
            && SIDES.iter().all(|&s| {
                let session = &self.pair.side(s).session;
                session.state() == SessionState::Established && session.is_link_up()
            })
    }

    /// Every message not given up has been delivered, nothing waits, and
    /// the sequence numbers of both directions agree.
    fn synchronised(&self) -> bool {
        let all_delivered = SIDES.iter().all(|&s| {
            let i = idx(s);
            self.puts[i]
                .iter()
                .enumerate()
                .all(|(n, p)| p.given_up.is_some() || self.delivered[i].contains(&n))
        });
        let quiet = SIDES.iter().all(|&s| {
            let session = &self.pair.side(s).session;
            session.queued_len() == 0 && session.out_of_order_len() == 0
        });
        let agreed = SIDES
            .iter()
            .all(|&s| self.seqs(s).0 == self.seqs(s.other()).1);
        let rejects_arrived = SIDES.iter().all(|&s| {
            let next_target = self.seqs(s.other()).1;
            self.keyed_rejects[idx(s)]
                .values()
                .all(|r| r.settled(next_target))
        });
        all_delivered && quiet && agreed && rejects_arrived && self.pair.in_flight() == 0
    }

    fn missing(&self) -> Vec<String> {
        let mut out = Vec::new();
        for side in SIDES {
            let i = idx(side);
            for (n, p) in self.puts[i].iter().enumerate() {
                if p.given_up.is_none() && !self.delivered[i].contains(&n) {
                    out.push(p.id.clone());
                }
            }
            let next_target = self.seqs(side.other()).1;
            for r in self.keyed_rejects[i].values() {
                if !r.settled(next_target) {
                    out.push(format!("reject of {}", r.key));
                }
            }
        }
        out
    }

    /// Heals the link, brings both sides back to `Established`, waits for
    /// every expected message and checks that the session stays healthy.
    fn checkpoint(&mut self) -> Check {
        self.wire().faults_on = false;
        // Tell a side that stopped (after a logout, or at the end of a
        // logout still under way) to connect again. Messages delayed or
        // reordered before the faults stopped may still cause a logout
        // (a resent message overtaken by its late original is "MsgSeqNum
        // too low"): connect again then, a few times at most.
        let give_up_at = self.pair.clock.elapsed() + HEAL_LIMIT;
        let mut rounds = 0;
        loop {
            rounds += 1;
            if rounds > 4 {
                return self.fail("the sessions keep stopping over a healthy link".to_string());
            }
            for side in SIDES {
                if matches!(
                    self.state(side),
                    SessionState::Initial
                        | SessionState::CorrectlyTerminated
                        | SessionState::NonGracefullyTerminated
                ) {
                    self.with_session(side, |s, now| s.connect(now))?;
                }
            }
            let left = give_up_at.saturating_sub(self.pair.clock.elapsed());
            let done_or_stopped = |r: &Runner| {
                (r.established() && r.synchronised())
                    || SIDES.iter().any(|&s| {
                        matches!(
                            r.state(s),
                            SessionState::CorrectlyTerminated
                                | SessionState::NonGracefullyTerminated
                        )
                    })
            };
            if !self.run_until(left, done_or_stopped)? {
                let missing = self.missing();
                return self.fail(format!(
                    "did not log on and synchronise over a healthy link; missing {missing:?}"
                ));
            }
            if self.established() && self.synchronised() {
                break;
            }
            // Let the link go down before connecting again.
            self.settle()?;
        }
        let in_sync = |r: &Runner| r.established() && r.synchronised();
        // Stays healthy: no errors, no state change for 3 HeartBtInts.
        let marks = SIDES.map(|s| self.pair.side(s).events.len());
        self.run_for(Duration::from_secs(3 * self.params.heart_bt_int as u64 + 1))?;
        for side in SIDES {
            let events = &self.pair.side(side).events[marks[idx(side)]..];
            if let Some((_, e)) = events.iter().find(|(_, e)| {
                matches!(
                    e,
                    Recorded::Error(_)
                        | Recorded::StateChanged { .. }
                        | Recorded::Rejected { .. }
                        | Recorded::Garbled(_)
                        | Recorded::CloseLink
                )
            }) {
                return self.fail(format!("{side:?} after synchronising: {e:?}"));
            }
        }
        if !self.run_until(Duration::from_secs(1), in_sync)? {
            return self.fail("lost synchronisation over a healthy link".to_string());
        }
        self.reset_pending = false;
        self.reset_asked_by = [false, false];
        self.wire().faults_on = true;
        Ok(())
    }
}

/// Replays a scenario: the operations, then a final checkpoint.
fn run_scenario(params: Params, ops: &[Op]) -> Check {
    run_scenario_keeping(params, ops).map(|_| ())
}

/// As [`run_scenario`], returning the pair.
fn run_scenario_keeping(params: Params, ops: &[Op]) -> Result<Pair, String> {
    let mut runner = Runner::new(params);
    runner.observe()?;
    for (n, op) in ops.iter().enumerate() {
        runner
            .apply(op)
            .map_err(|e| format!("operation {n} ({op:?}): {e}"))?;
    }
    runner
        .checkpoint()
        .map_err(|e| format!("final checkpoint: {e}"))?;
    Ok(runner.pair)
}

// ---------------------------------------------------------------- tests --

/// Replays a scenario, failing the test with the report of a broken
/// invariant.
fn replay(params: Params, ops: &[Op]) {
    if let Err(e) = run_scenario(params, ops) {
        panic!("{e}");
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

fn proptest_config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/scenarios/proptest-regressions.txt"
        )))),
        max_shrink_iters: 4096,
        max_shrink_time: 300_000,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Random scenarios keep every invariant listed in the module docs.
    #[test]
    fn random_scenarios_deliver_every_message_once_in_order(
        params in params(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        if let Err(e) = run_scenario(params, &ops) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// A scenario with every kind of operation and no faults passes.
#[test]
fn scenario_with_every_operation_and_no_faults() {
    use Op::*;
    let ops = [
        Put(SideId::Initiator, 3),
        Put(SideId::Acceptor, 2),
        Run(Duration::from_secs(1)),
        Checkpoint,
        Reject(SideId::Acceptor, 2, RejectKind::SessionWithText),
        Reject(SideId::Acceptor, 1, RejectKind::IncorrectTagValue),
        Reject(SideId::Initiator, 2, RejectKind::BusinessWithRefId),
        Put(SideId::Initiator, 3),
        Put(SideId::Acceptor, 2),
        Run(Duration::from_secs(1)),
        Checkpoint,
        CutLink,
        Put(SideId::Initiator, 2),
        Run(Duration::from_secs(40)),
        Restart(SideId::Acceptor),
        Put(SideId::Acceptor, 2),
        Jump(Duration::from_secs(90)),
        Run(Duration::from_secs(10)),
        LongJump(Duration::from_secs(600)),
        Run(Duration::from_secs(1)),
        Logout(SideId::Initiator),
        Run(Duration::from_secs(5)),
        Put(SideId::Initiator, 1),
        Connect,
        Run(Duration::from_secs(5)),
        ResetAndLogon(SideId::Acceptor),
        Put(SideId::Acceptor, 1),
        Checkpoint,
        LogoutResetBoth(SideId::Acceptor),
        Put(SideId::Initiator, 1),
        Discard(SideId::Initiator),
        Put(SideId::Initiator, 1),
    ];
    replay(Params::plain(), &ops);
}

/// SequenceResets without GapFillFlag and PossDupFlag=Y duplicates with odd
/// OrigSendingTimes, from either side, keep every invariant, and each gets
/// the answer FIX asks for.
#[test]
fn scenario_with_injected_resets_and_poss_dup_resends() {
    use Op::*;
    let ops = [
        Put(SideId::Initiator, 3),
        Put(SideId::Acceptor, 3),
        Run(Duration::from_secs(1)),
        SequenceReset(SideId::Acceptor, ResetTo::Expected, OddSeq::Zero, false),
        SequenceReset(
            SideId::Initiator,
            ResetTo::BelowExpected,
            OddSeq::FarAhead,
            true,
        ),
        SequenceReset(
            SideId::Acceptor,
            ResetTo::SendersNext,
            OddSeq::Missing,
            false,
        ),
        Run(Duration::from_secs(1)),
        PossDupResend(SideId::Acceptor, OrigSendingTime::Earlier),
        PossDupResend(SideId::Initiator, OrigSendingTime::Missing),
        Run(Duration::from_secs(1)),
        Put(SideId::Initiator, 2),
        PossDupResend(SideId::Acceptor, OrigSendingTime::Later),
        Put(SideId::Acceptor, 2),
        Run(Duration::from_secs(5)),
    ];
    let pair = match run_scenario_keeping(Params::plain(), &ops) {
        Ok(pair) => pair,
        Err(e) => panic!("{e}"),
    };
    let acceptor = pair.side(SideId::Acceptor);
    let initiator = pair.side(SideId::Initiator);
    let warnings = |side: &fixrs_session::testing::Side| {
        side.events
            .iter()
            .filter(|(_, e)| matches!(e, Recorded::Warning(_)))
            .count()
    };
    // Expected and SendersNext (nothing missing): accepted with a warning.
    assert_eq!(warnings(acceptor), 2);
    let reasons = |side: &fixrs_session::testing::Side| -> Vec<_> {
        side.events
            .iter()
            .filter_map(|(_, e)| match e {
                Recorded::Rejected { reason, .. } => *reason,
                _ => None,
            })
            .collect()
    };
    use fixrs_proto::SessionRejectReason as R;
    assert_eq!(
        reasons(initiator),
        [R::ValueIsIncorrect, R::RequiredTagMissing]
    );
    assert_eq!(reasons(acceptor), [R::SendingTimeAccuracyProblem]);
    // The last one logged the acceptor out; the checkpoint logged it on again.
    assert!(acceptor
        .events
        .iter()
        .any(|(_, e)| matches!(e, Recorded::LoggedOut(_))));
}

/// Asking for a sequence reset a second time before the peer answered the
/// first one used to make each side take the other's Logon(141=Y) reply
/// for a new reset request and answer it, for ever.
#[test]
fn reset_asked_twice_before_the_reply_does_not_start_a_logon_storm() {
    use Op::*;
    let ops = [
        Run(Duration::from_secs(1)),
        ResetAndLogon(SideId::Initiator),
        ResetAndLogon(SideId::Initiator),
    ];
    replay(Params::plain(), &ops);
}

/// The link broke after our Logon(141=Y) left and before the peer's reply
/// came: the peer had reset, we had not seen it. The next Logon did not ask
/// for the reset again, so the numbers never matched ("MsgSeqNum too low"
/// logouts) and a message queued meanwhile was never delivered.
#[test]
fn reset_cut_off_before_the_reply_is_asked_again_at_the_next_logon() {
    use Op::*;
    let ops = [
        Put(SideId::Acceptor, 3),
        Run(Duration::from_secs(1)),
        ResetAndLogon(SideId::Initiator),
        Jump(Duration::from_secs(1)),
        CutLink,
        Put(SideId::Acceptor, 1),
    ];
    replay(Params::plain(), &ops);
}

/// Messages queued before logon wait, numbered, for the peer's
/// ResendRequest (asked for two at a time here). A sequence reset while
/// logged on numbered the rest again but only a Logon at the start of a
/// connection sent such messages: they stayed queued.
#[test]
fn queued_messages_numbered_again_by_a_reset_go_out_after_it() {
    use Op::*;
    let mut params = Params::plain();
    params.resend_chunk = 2;
    let ops = [
        Put(SideId::Initiator, 5),
        Run(Duration::from_millis(2)),
        ResetAndLogon(SideId::Acceptor),
    ];
    replay(params, &ops);
}

/// An acceptor that resets on a Logon which did not ask for it (here a
/// reset asked for while logged off) answers with ResetSeqNumFlag=Y. That
/// reply was lost (the initiator's LogonTimeout fired as it arrived), the
/// acceptor took the reset as done, and the initiator, which never saw it,
/// had its next Logon refused as "MsgSeqNum too low" reconnect after
/// reconnect.
#[test]
fn acceptor_reset_reply_lost_is_reset_again_at_the_next_logon() {
    use Op::*;
    let ops = [
        Put(SideId::Initiator, 3),
        Put(SideId::Acceptor, 3),
        Run(Duration::from_secs(1)),
        CutLink,
        ResetAndLogon(SideId::Acceptor),
        Run(Duration::from_millis(5_001)),
        Jump(Duration::from_secs(10)),
    ];
    replay(Params::plain(), &ops);
}

/// ResetOnLogon on both sides, as QuickFIX users set it up: the
/// initiator's Logon asks for the reset (ResetSeqNumFlag=Y), the acceptor
/// resets on it and says so in its reply; each connection starts again at
/// 1 and everything put after logon arrives once.
#[test]
fn reset_on_logon_on_both_sides_starts_each_connection_at_one() {
    let mut initiator = SessionConfig::initiator(FixVersion::Fix44, "INI", "ACC");
    initiator.reset_on_logon = true;
    let mut acceptor = SessionConfig::acceptor(FixVersion::Fix44, "ACC", "INI");
    acceptor.reset_on_logon = true;
    let mut pair = Pair::new(initiator, acceptor);
    pair.establish();
    for i in 0..3 {
        pair.send(SideId::Initiator, &order(&format!("I-{i}")))
            .unwrap();
    }
    pair.run_for(Duration::from_secs(1));
    pair.cut_link();
    pair.run_until(Duration::from_secs(60), |p| {
        p.initiator().session.state() == SessionState::Established
    });
    for side in SIDES {
        let s = &pair.side(side).session;
        assert_eq!(
            (s.next_sender_seq_num(), s.next_target_seq_num()),
            (2, 2),
            "{side:?}"
        );
    }
    for i in 3..6 {
        pair.send(SideId::Initiator, &order(&format!("I-{i}")))
            .unwrap();
    }
    pair.run_for(Duration::from_secs(300));
    let ids: Vec<_> = pair
        .acceptor()
        .received
        .iter()
        .filter_map(|m| m.text(tag::CL_ORD_ID))
        .collect();
    assert_eq!(ids, ["I-0", "I-1", "I-2", "I-3", "I-4", "I-5"]);
    for side in SIDES {
        assert!(
            pair.side(side).errors().is_empty(),
            "{side:?}: {:?}",
            pair.side(side).errors()
        );
        assert_eq!(pair.side(side).session.state(), SessionState::Established);
    }
}

/// Rejects the application asks for are answered at once and reach the
/// other side; across a cut link a BusinessMessageReject is resent, a
/// session-level Reject gap-filled, and every order is delivered.
#[test]
fn requested_rejects_are_answered_and_resent_or_gap_filled_across_a_cut() {
    use Op::*;
    let ops = [
        Run(Duration::from_secs(1)),
        Reject(SideId::Acceptor, 3, RejectKind::SessionWithText),
        Reject(SideId::Initiator, 1, RejectKind::BusinessWithRefId),
        Reject(SideId::Initiator, 1, RejectKind::FieldNotFound),
        Put(SideId::Initiator, 2),
        Put(SideId::Acceptor, 2),
        Run(Duration::from_millis(1)),
        CutLink,
        Put(SideId::Initiator, 2),
        Run(Duration::from_secs(30)),
    ];
    let mut runner = Runner::new(Params::plain());
    runner.observe().unwrap();
    for op in &ops {
        if let Err(e) = runner.apply(op) {
            panic!("{op:?}: {e}");
        }
    }
    if let Err(e) = runner.checkpoint() {
        panic!("{e}");
    }
    let made = |side| runner.pair.side(side).requested_rejects.len();
    assert_eq!(made(SideId::Acceptor), 3);
    assert_eq!(made(SideId::Initiator), 2);
    let mut keyed = Vec::new();
    for side in SIDES {
        // What the other side expects next, now that all is settled.
        let next_target = runner.seqs(side.other()).1;
        for r in runner.keyed_rejects[idx(side)].values() {
            // Business rejects arrive; session-level ones lost in the cut
            // were gap-filled in the resend: passed, never received.
            match r.gap_fillable {
                None => assert!(r.received, "{side:?}: {r:?}"),
                Some(seq) => assert!(r.received || next_target > seq, "{side:?}: {r:?}"),
            }
            assert!(!r.given_up, "{side:?}: {r:?}");
            keyed.push(r);
        }
    }
    assert_eq!(keyed.len(), 4);
    assert!(
        keyed
            .iter()
            .any(|r| r.gap_fillable.is_some() && !r.received),
        "the cut should have lost a session-level reject: {keyed:?}"
    );
    assert!(
        keyed.iter().any(|r| r.gap_fillable.is_none() && r.received),
        "{keyed:?}"
    );
    assert_eq!(runner.delivered[0].len(), 4);
    assert_eq!(runner.delivered[1].len(), 2);
}

/// In queue mode messages put while disconnected wait unnumbered in the
/// store: a restart of their side gives none up, and all are delivered as
/// new messages after the next Logon.
#[test]
fn queue_mode_messages_waiting_in_the_store_survive_a_restart() {
    use Op::*;
    let mut params = Params::plain();
    params.late_delivery_mode = LateDeliveryMode::Queue;
    let ops = [
        Put(SideId::Initiator, 2),
        Run(Duration::from_secs(1)),
        CutLink,
        Put(SideId::Initiator, 3),
        Put(SideId::Acceptor, 2),
        Restart(SideId::Initiator),
        Restart(SideId::Acceptor),
        Run(Duration::from_secs(10)),
    ];
    let mut runner = Runner::new(params);
    runner.observe().unwrap();
    for op in &ops {
        if let Err(e) = runner.apply(op) {
            panic!("{op:?}: {e}");
        }
    }
    if let Err(e) = runner.checkpoint() {
        panic!("{e}");
    }
    for side in SIDES {
        let i = idx(side);
        assert!(
            runner.puts[i].iter().all(|p| p.given_up.is_none()),
            "{:?}",
            runner.puts[i]
        );
        assert_eq!(runner.delivered[i].len(), runner.puts[i].len());
    }
    // Sent as new messages: no copy of a late message carried PossDupFlag.
    let wire = runner.wire();
    assert!(wire
        .written
        .iter()
        .filter(|w| w.id.is_some())
        .all(|w| !w.poss_dup));
}

/// The link delayed a Logon(141=Y) and reordered the order put right after
/// it, which then arrived first, numbered after the reset: the receiver
/// delivered it, took the Logon's reset, and got it again when resent.
/// TCP never lets a message overtake the one before it, so the link no
/// longer lets anything overtake a Logon.
#[test]
fn a_message_put_after_a_reset_logon_never_overtakes_it() {
    use Op::*;
    let mut params = Params::plain();
    params.version = FixVersion::Fix42;
    params.heart_bt_int = 5;
    params.reconnect_interval = Duration::from_secs(1);
    params.faults = FaultProfile {
        seed: 12000528400880303166,
        drop: 0.041927073595804415,
        corrupt: 0.04244728091929614,
        delay: 0.04596070731364186,
        reorder: 0.020834855622931765,
        max_delay: Duration::from_millis(541),
    };
    let ops = [
        Run(Duration::from_millis(3)),
        CutLink,
        Put(SideId::Initiator, 2),
        ResetAndLogon(SideId::Initiator),
        Run(Duration::from_millis(1003)),
        ResetAndLogon(SideId::Acceptor),
        Put(SideId::Acceptor, 1),
    ];
    replay(params, &ops);
}
