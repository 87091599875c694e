//! Deterministic test support for sessions (cargo feature `testing`).
//!
//! - [`Clock`]: a virtual monotonic and UTC clock.
//! - [`Sent`]: an owned, parsed message, for assertions on what a session
//!   wrote or received; [`split_frames`] cuts a byte stream into them.
//! - [`Recorded`]: an owned copy of an [`Event`].
//! - [`Counterparty`] and [`PeerMessage`]: hand-written peer messages with
//!   any header, built with the fixrs-proto encoder.
//! - [`Driver`]: one real [`Session`] driven by a test, with the outputs of
//!   every input collected.
//! - [`Pair`]: an initiator and an acceptor joined by an in-memory link,
//!   with a virtual clock that jumps to the next deadline and a seeded
//!   [`FaultInjector`] (drop, corrupt, delay or reorder messages, cut
//!   the link, restart a side keeping its store), and messages put on the
//!   link as if a side had written them ([`Pair::inject`]).
//!
//! Everything here is deterministic: the same calls give the same bytes.

use crate::config::SessionConfig;
use crate::event::{Event, UndeliveredReason};
use crate::reject::{MessageRejection, RejectError};
use crate::state::SessionState;
use crate::store::{MemoryStore, SeqNum, Store, StoreError};
use crate::{Now, Session};
use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::tag;
use fixrs_proto::value::{TimePrecision, TimestampCache};
use fixrs_proto::{
    BusinessRejectReason, Encoder, FieldIndex, FieldWriter, FixVersion, FrameError, MessageBuilder,
    SessionRejectReason, Tag, UtcTimestamp,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- clock --

/// A virtual clock: a fixed origin plus the time elapsed in the test.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    utc_origin: UtcTimestamp,
    elapsed: Duration,
}

impl Clock {
    /// The UTC origin of [`Clock::new`]: 2024-01-15 10:00:00 UTC (a Monday).
    pub const DEFAULT_UTC_ORIGIN: UtcTimestamp = UtcTimestamp::from_unix(1_705_312_800, 0);

    /// A clock at [`Clock::DEFAULT_UTC_ORIGIN`].
    pub fn new() -> Clock {
        Clock::starting_at(Clock::DEFAULT_UTC_ORIGIN)
    }

    /// A clock whose UTC time starts at `utc`.
    pub fn starting_at(utc: UtcTimestamp) -> Clock {
        Clock {
            origin: Instant::now(),
            utc_origin: utc,
            elapsed: Duration::ZERO,
        }
    }

    /// The current monotonic time.
    pub fn now(&self) -> Instant {
        self.origin + self.elapsed
    }

    /// Both clocks at the current time, as a session's inputs take them.
    pub fn time(&self) -> Now {
        Now::new(self.now(), self.utc())
    }

    /// The current UTC time.
    pub fn utc(&self) -> UtcTimestamp {
        self.utc_origin.add_nanos(self.elapsed.as_nanos() as i128)
    }

    /// Time elapsed since the origin.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, d: Duration) {
        self.elapsed += d;
    }

    /// Moves the clock to `at` if it is later than now.
    pub fn advance_to(&mut self, at: Instant) {
        if let Some(d) = at.checked_duration_since(self.origin) {
            self.elapsed = self.elapsed.max(d);
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

// ------------------------------------------------------------- messages --

/// An owned, parsed FIX message.
#[derive(Clone, PartialEq, Eq)]
pub struct Sent {
    /// The message bytes.
    pub bytes: Vec<u8>,
    /// Its fields in order.
    pub fields: Vec<(Tag, Vec<u8>)>,
}

impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&fixrs_proto::message::display_soh(&self.bytes))
    }
}

impl Sent {
    /// Parses one complete message; `None` if its fields cannot be split.
    pub fn parse(bytes: &[u8]) -> Option<Sent> {
        let mut index = FieldIndex::new();
        let msg = index.parse(bytes).ok()?;
        Some(Sent {
            bytes: bytes.to_vec(),
            fields: msg.fields().map(|f| (f.tag, f.value.to_vec())).collect(),
        })
    }

    /// The raw value of the first field with `tag`.
    pub fn get(&self, tag: Tag) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_slice())
    }

    /// The value of `tag` as text (lossy), `None` when absent.
    pub fn text(&self, tag: Tag) -> Option<String> {
        self.get(tag)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The value of `tag` as an unsigned number.
    pub fn num(&self, tag: Tag) -> Option<u64> {
        std::str::from_utf8(self.get(tag)?).ok()?.parse().ok()
    }

    /// Whether a field with `tag` is present.
    pub fn has(&self, tag: Tag) -> bool {
        self.get(tag).is_some()
    }

    /// MsgType(35).
    pub fn msg_type(&self) -> &[u8] {
        self.get(tag::MSG_TYPE).unwrap_or_default()
    }

    /// MsgSeqNum(34) (0 if absent).
    pub fn seq(&self) -> SeqNum {
        self.num(tag::MSG_SEQ_NUM).unwrap_or(0)
    }

    /// Whether PossDupFlag(43)=Y.
    pub fn poss_dup(&self) -> bool {
        self.get(tag::POSS_DUP_FLAG) == Some(b"Y")
    }

    /// Whether this is a SequenceReset-GapFill.
    pub fn is_gap_fill(&self) -> bool {
        self.msg_type() == b"4" && self.get(tag::GAP_FILL_FLAG) == Some(b"Y")
    }
}

/// Cuts a byte stream into messages (well-formed frames only; anything
/// else is skipped to the next `8=FIX`).
pub fn split_frames(mut bytes: &[u8]) -> Vec<Sent> {
    let config = FrameConfig::default();
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match scan(bytes, &config) {
            Scan::Complete(n) => {
                if let Some(m) = Sent::parse(&bytes[..n]) {
                    out.push(m);
                }
                bytes = &bytes[n..];
            }
            Scan::Incomplete(_) => break,
            Scan::Garbled(_) => {
                let skip = fixrs_proto::framing::resync_offset(bytes).max(1);
                bytes = &bytes[skip.min(bytes.len())..];
            }
        }
    }
    out
}

// --------------------------------------------------------------- events --

/// An owned copy of an [`Event`].
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// [`Event::StateChanged`].
    StateChanged {
        /// The state left.
        from: SessionState,
        /// The state entered.
        to: SessionState,
    },
    /// [`Event::OpenLink`].
    OpenLink,
    /// [`Event::CloseLink`].
    CloseLink,
    /// [`Event::LoggedOn`].
    LoggedOn,
    /// [`Event::LoggedOut`].
    LoggedOut(Option<String>),
    /// [`Event::AppMessage`].
    App(Sent),
    /// [`Event::AdminMessage`].
    Admin(Sent),
    /// [`Event::Rejected`].
    Rejected {
        /// RefSeqNum.
        ref_seq_num: Option<SeqNum>,
        /// SessionRejectReason.
        reason: Option<SessionRejectReason>,
        /// RefTagID.
        ref_tag_id: Option<Tag>,
        /// BusinessRejectReason.
        business_reason: Option<BusinessRejectReason>,
        /// Text.
        text: String,
        /// Whether the rejected message could be split into fields.
        parsed: bool,
        /// The rejected message's bytes.
        bytes: Vec<u8>,
    },
    /// [`Event::Garbled`].
    Garbled(FrameError),
    /// [`Event::Undelivered`].
    Undelivered(MessageBuilder, UndeliveredReason),
    /// [`Event::Error`], as its message.
    Error(String),
    /// [`Event::Warning`], as its message.
    Warning(String),
}

impl Recorded {
    /// Copies an event.
    pub fn from_event(event: Event<'_>) -> Recorded {
        let copy = |m: fixrs_proto::Message<'_>| Sent {
            bytes: m.as_bytes().to_vec(),
            fields: m.fields().map(|f| (f.tag, f.value.to_vec())).collect(),
        };
        match event {
            Event::StateChanged { from, to } => Recorded::StateChanged { from, to },
            Event::OpenLink => Recorded::OpenLink,
            Event::CloseLink => Recorded::CloseLink,
            Event::LoggedOn => Recorded::LoggedOn,
            Event::LoggedOut { text } => Recorded::LoggedOut(text),
            Event::AppMessage(m) => Recorded::App(copy(m)),
            Event::AdminMessage(m) => Recorded::Admin(copy(m)),
            Event::Rejected {
                ref_seq_num,
                reason,
                ref_tag_id,
                business_reason,
                text,
                message,
                bytes,
            } => Recorded::Rejected {
                ref_seq_num,
                reason,
                ref_tag_id,
                business_reason,
                text,
                parsed: message.is_some(),
                bytes: bytes.to_vec(),
            },
            Event::Garbled { error, .. } => Recorded::Garbled(error),
            Event::Undelivered { msg, reason } => Recorded::Undelivered(msg, reason),
            Event::Error(e) => Recorded::Error(e.to_string()),
            Event::Warning(w) => Recorded::Warning(w.to_string()),
        }
    }
}

/// What a session produced after one input.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Bytes written, in order.
    pub bytes: Vec<u8>,
    /// Events, in order.
    pub events: Vec<Recorded>,
}

impl Output {
    /// The messages written.
    pub fn messages(&self) -> Vec<Sent> {
        split_frames(&self.bytes)
    }

    /// The messages written with this MsgType.
    pub fn of_type(&self, msg_type: &[u8]) -> Vec<Sent> {
        self.messages()
            .into_iter()
            .filter(|m| m.msg_type() == msg_type)
            .collect()
    }

    /// Whether an event equal to `e` was emitted.
    pub fn has(&self, e: &Recorded) -> bool {
        self.events.contains(e)
    }

    /// Whether the session asked to close the link.
    pub fn closed(&self) -> bool {
        self.has(&Recorded::CloseLink)
    }

    /// The application messages delivered.
    pub fn app_messages(&self) -> Vec<Sent> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Recorded::App(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// The errors reported, as text.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Recorded::Error(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// The warnings reported, as text.
    pub fn warnings(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Recorded::Warning(w) => Some(w.clone()),
                _ => None,
            })
            .collect()
    }

    /// Appends another output.
    pub fn extend(&mut self, other: Output) {
        self.bytes.extend(other.bytes);
        self.events.extend(other.events);
    }
}

/// Drains everything a session has to say: bytes, then events.
pub fn drain(session: &mut Session) -> Output {
    let mut out = Output::default();
    transmit_all(session, &mut out.bytes);
    while let Some(e) = session.poll_event() {
        out.events.push(Recorded::from_event(e));
    }
    out
}

/// Appends every byte the session has to write to `out`, as a driver
/// whose link takes everything at once.
pub fn transmit_all(session: &mut Session, out: &mut Vec<u8>) {
    while let Some(bytes) = session.poll_transmit() {
        let n = bytes.len();
        out.extend_from_slice(bytes);
        session.transmitted(n);
    }
}

// ---------------------------------------------------------- counterparty --

/// A message written by hand as the counterparty would send it.
#[derive(Debug, Clone)]
pub struct PeerMessage {
    begin_string: String,
    msg_type: Vec<u8>,
    header: Vec<(Tag, Vec<u8>)>,
    body: Vec<(Tag, Vec<u8>)>,
}

impl PeerMessage {
    /// An empty message (no header fields but BeginString and MsgType).
    pub fn new(begin_string: &str, msg_type: &[u8]) -> PeerMessage {
        PeerMessage {
            begin_string: begin_string.to_string(),
            msg_type: msg_type.to_vec(),
            header: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sets a field (replacing it if present): in the header if `tag` is a
    /// standard header tag, else appended to the body.
    pub fn set(mut self, t: Tag, value: impl AsRef<[u8]>) -> PeerMessage {
        let list = if tag::is_standard_header(t) {
            &mut self.header
        } else {
            &mut self.body
        };
        match list.iter_mut().find(|(x, _)| *x == t) {
            Some(slot) => slot.1 = value.as_ref().to_vec(),
            None => list.push((t, value.as_ref().to_vec())),
        }
        self
    }

    /// Appends a body field even if the tag is already there.
    pub fn add(mut self, t: Tag, value: impl AsRef<[u8]>) -> PeerMessage {
        self.body.push((t, value.as_ref().to_vec()));
        self
    }

    /// Sets a UTCTimestamp field.
    pub fn set_time(self, t: Tag, utc: UtcTimestamp) -> PeerMessage {
        let mut text = Vec::new();
        utc.write(TimePrecision::Millis, &mut text);
        self.set(t, text)
    }

    /// Removes a field.
    pub fn remove(mut self, t: Tag) -> PeerMessage {
        self.header.retain(|(x, _)| *x != t);
        self.body.retain(|(x, _)| *x != t);
        self
    }

    /// Changes BeginString(8).
    pub fn begin_string(mut self, begin_string: &str) -> PeerMessage {
        self.begin_string = begin_string.to_string();
        self
    }

    /// Changes MsgType(35).
    pub fn msg_type(mut self, msg_type: &[u8]) -> PeerMessage {
        self.msg_type = msg_type.to_vec();
        self
    }

    /// Marks it as a resend: PossDupFlag=Y and OrigSendingTime `orig`.
    pub fn poss_dup(self, orig: UtcTimestamp) -> PeerMessage {
        self.set(tag::POSS_DUP_FLAG, "Y")
            .set_time(tag::ORIG_SENDING_TIME, orig)
    }

    /// The wire bytes (BodyLength and CheckSum computed).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::with_timestamps(TimestampCache::new(TimePrecision::Millis));
        e.start(&self.begin_string, &self.msg_type);
        for (t, v) in self.header.iter().chain(&self.body) {
            e.push(*t, v);
        }
        e.finish().to_vec()
    }
}

/// The counterparty of a session under test: writes messages with the
/// header the session expects, numbering them.
#[derive(Debug, Clone)]
pub struct Counterparty {
    /// BeginString(8).
    pub begin_string: String,
    /// The counterparty's SenderCompID (the session's TargetCompID).
    pub sender_comp_id: String,
    /// The counterparty's TargetCompID (the session's SenderCompID).
    pub target_comp_id: String,
    /// MsgSeqNum of the next message.
    pub next_seq: SeqNum,
    /// DefaultApplVerID(1137) its Logon carries (FIXT.1.1 sessions).
    pub default_appl_ver_id: Option<String>,
}

impl Counterparty {
    /// The counterparty of a session with this configuration.
    pub fn for_session(config: &SessionConfig) -> Counterparty {
        Counterparty {
            begin_string: config.version.begin_string().to_string(),
            sender_comp_id: config.id.target_comp_id.clone(),
            target_comp_id: config.id.sender_comp_id.clone(),
            next_seq: 1,
            default_appl_ver_id: config
                .version
                .is_fixt()
                .then(|| config.version.appl_ver_id().to_string()),
        }
    }

    /// A message with the next MsgSeqNum and SendingTime `utc`.
    pub fn msg(&mut self, msg_type: &[u8], utc: UtcTimestamp) -> PeerMessage {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.msg_with_seq(msg_type, seq, utc)
    }

    /// A message with the given MsgSeqNum (the counter is not moved).
    pub fn msg_with_seq(&self, msg_type: &[u8], seq: SeqNum, utc: UtcTimestamp) -> PeerMessage {
        PeerMessage::new(&self.begin_string, msg_type)
            .set(tag::SENDER_COMP_ID, &self.sender_comp_id)
            .set(tag::TARGET_COMP_ID, &self.target_comp_id)
            .set(tag::MSG_SEQ_NUM, seq.to_string())
            .set_time(tag::SENDING_TIME, utc)
    }

    /// A Logon with EncryptMethod 0, the given HeartBtInt and, for
    /// FIXT.1.1, DefaultApplVerID.
    pub fn logon(&mut self, heart_bt_int: u32, utc: UtcTimestamp) -> PeerMessage {
        let logon = self
            .msg(b"A", utc)
            .set(tag::ENCRYPT_METHOD, "0")
            .set(tag::HEART_BT_INT, heart_bt_int.to_string());
        match &self.default_appl_ver_id {
            Some(v) => logon.set(tag::DEFAULT_APPL_VER_ID, v),
            None => logon,
        }
    }
}

// --------------------------------------------------------------- driver --

/// One session under test, with a virtual clock and its counterparty.
#[derive(Debug)]
pub struct Driver {
    /// The session.
    pub session: Session,
    /// The clock.
    pub clock: Clock,
    /// The hand-driven counterparty.
    pub peer: Counterparty,
    /// The session's store (shared, to inspect or reuse).
    pub store: SharedStore,
}

impl Driver {
    /// A session with a fresh memory store.
    pub fn new(config: SessionConfig) -> Driver {
        let clock = Clock::new();
        let store = SharedStore::new(MemoryStore::new(clock.utc()));
        Driver::with_store(config, store, clock)
    }

    /// A session over an existing store.
    pub fn with_store(config: SessionConfig, store: SharedStore, clock: Clock) -> Driver {
        let peer = Counterparty::for_session(&config);
        let session = Session::new(config, Box::new(store.clone()), clock.time())
            .unwrap_or_else(|e| panic!("session configuration: {e}"));
        Driver {
            session,
            clock,
            peer,
            store,
        }
    }

    /// `connect`, then drain.
    pub fn connect(&mut self) -> Output {
        self.session.connect(self.clock.time());
        drain(&mut self.session)
    }

    /// `handle_link_up`, then drain.
    pub fn link_up(&mut self) -> Output {
        self.session.handle_link_up(self.clock.time());
        drain(&mut self.session)
    }

    /// `handle_link_down`, then drain.
    pub fn link_down(&mut self) -> Output {
        self.session.handle_link_down(self.clock.time());
        drain(&mut self.session)
    }

    /// `handle_input`, then drain; and while the session has input left
    /// (it stops after each message the application sees),
    /// `handle_pending_input` and drain again.
    pub fn input(&mut self, bytes: &[u8]) -> Output {
        self.session.handle_input(bytes, self.clock.time());
        let mut out = drain(&mut self.session);
        while self.session.has_pending_input() {
            self.session.handle_pending_input(self.clock.time());
            out.extend(drain(&mut self.session));
        }
        out
    }

    /// As [`input`](Driver::input), with an application: `answer` is
    /// called with each event right after it is polled and may send or
    /// reject (the session's own methods, with the driver's clock) before
    /// the session processes the next message.
    pub fn input_with(
        &mut self,
        bytes: &[u8],
        mut answer: impl FnMut(&mut Session, &Recorded, Now),
    ) -> Output {
        let now = self.clock.time();
        self.session.handle_input(bytes, now);
        let mut out = Output::default();
        loop {
            transmit_all(&mut self.session, &mut out.bytes);
            let mut busy = false;
            while let Some(e) = self.session.poll_event() {
                busy = true;
                let e = Recorded::from_event(e);
                answer(&mut self.session, &e, now);
                out.events.push(e);
            }
            if self.session.has_pending_input() {
                self.session.handle_pending_input(now);
            } else if !busy {
                return out;
            }
        }
    }

    /// Encodes and inputs a peer message.
    pub fn receive(&mut self, msg: PeerMessage) -> Output {
        self.input(&msg.encode())
    }

    /// `send`, then drain; panics if the session refuses the message.
    pub fn send(&mut self, msg: &MessageBuilder) -> Output {
        let (r, out) = self.try_send(msg);
        if let Err(e) = r {
            panic!("send refused: {e}");
        }
        out
    }

    /// `send`, then drain, returning what `send` returned.
    pub fn try_send(
        &mut self,
        msg: &MessageBuilder,
    ) -> (Result<Option<SeqNum>, crate::SendError>, Output) {
        let r = self.session.send(msg, self.clock.time());
        (r, drain(&mut self.session))
    }

    /// `logout`, then drain.
    pub fn logout(&mut self, text: Option<&str>) -> Output {
        self.session.logout(text, self.clock.time());
        drain(&mut self.session)
    }

    /// Moves the clock forward by `d`, firing every timer due on the way
    /// (at its deadline), and returns everything produced.
    pub fn advance(&mut self, d: Duration) -> Output {
        let end = self.clock.now() + d;
        let mut out = Output::default();
        while let Some(at) = self.session.poll_timeout() {
            if at > end {
                break;
            }
            self.clock.advance_to(at);
            self.session.handle_timeout(self.clock.time());
            out.extend(drain(&mut self.session));
        }
        self.clock.advance_to(end);
        out
    }

    /// Brings the session to `Established` against the counterparty, whose
    /// Logon has HeartBtInt `heart_bt_int`; returns what the session wrote.
    pub fn establish(&mut self) -> Output {
        let mut out = self.connect();
        out.extend(self.link_up());
        let hb = self.session.config().heart_bt_int;
        let logon = self.peer.logon(hb, self.clock.utc());
        out.extend(self.receive(logon));
        assert_eq!(
            self.session.state(),
            SessionState::Established,
            "logon failed: {out:?}"
        );
        out
    }
}

// ---------------------------------------------------------------- store --

/// A [`MemoryStore`] shared between a session and the test, so that a side
/// can be restarted with the same store.
#[derive(Debug, Clone)]
pub struct SharedStore(Arc<Mutex<MemoryStore>>);

impl SharedStore {
    /// Shares `store`.
    pub fn new(store: MemoryStore) -> SharedStore {
        SharedStore(Arc::new(Mutex::new(store)))
    }

    /// Locks the store for inspection.
    pub fn lock(&self) -> MutexGuard<'_, MemoryStore> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SharedStore {
    fn next_sender_seq_num(&self) -> SeqNum {
        self.lock().next_sender_seq_num()
    }
    fn next_target_seq_num(&self) -> SeqNum {
        self.lock().next_target_seq_num()
    }
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.lock().set_next_sender_seq_num(seq)
    }
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.lock().set_next_target_seq_num(seq)
    }
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        self.lock().save_outgoing(seq, message)
    }
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        self.lock().outgoing(begin, end, visit)
    }
    fn creation_time(&self) -> UtcTimestamp {
        self.lock().creation_time()
    }
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        self.lock().reset(now)
    }
    fn push_pending(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        self.lock().push_pending(record)
    }
    fn pending(&mut self, visit: &mut dyn FnMut(u64, &[u8])) -> Result<(), StoreError> {
        self.lock().pending(visit)
    }
    fn remove_pending(&mut self, id: u64) -> Result<(), StoreError> {
        self.lock().remove_pending(id)
    }
    fn save_outgoing_from_pending(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), StoreError> {
        self.lock().save_outgoing_from_pending(seq, message, id)
    }
}

// ---------------------------------------------------------------- faults --

/// One side of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SideId {
    /// The initiator.
    Initiator,
    /// The acceptor.
    Acceptor,
}

impl SideId {
    /// The other side.
    pub fn other(self) -> SideId {
        match self {
            SideId::Initiator => SideId::Acceptor,
            SideId::Acceptor => SideId::Initiator,
        }
    }

    fn index(self) -> usize {
        match self {
            SideId::Initiator => 0,
            SideId::Acceptor => 1,
        }
    }
}

/// What happens to one message on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Delivered after the link latency.
    Deliver,
    /// Lost.
    Drop,
    /// Delivered with one byte flipped (a garbled message).
    Corrupt,
    /// Delivered this much later than usual (and so is everything after
    /// it: the link keeps order).
    Delay(Duration),
    /// Delivered this much later than usual, without holding back what
    /// follows: later messages overtake it (reordering).
    Reorder(Duration),
    /// The message is lost and the link breaks.
    CutLink,
    /// The message is lost, the link breaks and this side restarts with
    /// its store.
    Restart(SideId),
}

/// Decides the fate of each message crossing a [`Pair`]'s link.
pub trait FaultInjector: Send {
    /// Called for every message `from` sends, at virtual time `elapsed`.
    fn on_message(&mut self, from: SideId, msg: &[u8], elapsed: Duration) -> Fault;
}

/// Delivers everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFaults;

impl FaultInjector for NoFaults {
    fn on_message(&mut self, _: SideId, _: &[u8], _: Duration) -> Fault {
        Fault::Deliver
    }
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether an event of probability `p` happens.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p
    }
}

/// Random faults with fixed probabilities per message, from a seed.
#[derive(Debug, Clone)]
pub struct SeededFaults {
    rng: Rng,
    /// Probability a message is lost.
    pub drop: f64,
    /// Probability a message is garbled.
    pub corrupt: f64,
    /// Probability a message is delayed (by up to `max_delay`).
    pub delay: f64,
    /// Longest extra delay.
    pub max_delay: Duration,
    /// Probability a message is delayed by up to `max_delay` while later
    /// ones overtake it.
    pub reorder: f64,
    /// Probability the link breaks.
    pub cut: f64,
    /// Probability a side restarts.
    pub restart: f64,
}

impl SeededFaults {
    /// No faults yet; set the probabilities.
    pub fn new(seed: u64) -> SeededFaults {
        SeededFaults {
            rng: Rng::new(seed),
            drop: 0.0,
            corrupt: 0.0,
            delay: 0.0,
            max_delay: Duration::from_secs(1),
            reorder: 0.0,
            cut: 0.0,
            restart: 0.0,
        }
    }
}

impl FaultInjector for SeededFaults {
    fn on_message(&mut self, from: SideId, _: &[u8], _: Duration) -> Fault {
        let r = &mut self.rng;
        if r.chance(self.restart) {
            return Fault::Restart(if r.chance(0.5) { from } else { from.other() });
        }
        if r.chance(self.cut) {
            return Fault::CutLink;
        }
        if r.chance(self.drop) {
            return Fault::Drop;
        }
        if r.chance(self.corrupt) {
            return Fault::Corrupt;
        }
        if r.chance(self.delay) {
            let nanos = self.max_delay.as_nanos().max(1) as u64;
            return Fault::Delay(Duration::from_nanos(r.next_u64() % nanos));
        }
        if r.chance(self.reorder) {
            let nanos = self.max_delay.as_nanos().max(1) as u64;
            return Fault::Reorder(Duration::from_nanos(r.next_u64() % nanos));
        }
        Fault::Deliver
    }
}

/// Faults given by a closure (for scripted scenarios).
pub struct ScriptedFaults<F>(pub F);

impl<F> FaultInjector for ScriptedFaults<F>
where
    F: FnMut(SideId, &[u8], Duration) -> Fault + Send,
{
    fn on_message(&mut self, from: SideId, msg: &[u8], elapsed: Duration) -> Fault {
        (self.0)(from, msg, elapsed)
    }
}

// ----------------------------------------------------------------- pair --

/// One side of a [`Pair`]: its session, store and what it reported.
#[derive(Debug)]
pub struct Side {
    /// The session.
    pub session: Session,
    /// Its configuration (used again on restart).
    pub config: SessionConfig,
    /// Its store, kept across restarts.
    pub store: SharedStore,
    /// Every event so far, with the virtual time it was polled.
    pub events: Vec<(Duration, Recorded)>,
    /// Every application message delivered to this side, in order.
    pub received: Vec<Sent>,
    /// How many times this side was restarted.
    pub restarts: u32,
    /// Every rejection its application asked for (see
    /// [`Pair::set_application`]): the MsgSeqNum of the rejected message,
    /// the rejection, and what `Session::reject` returned.
    pub requested_rejects: Vec<RequestedReject>,
    /// Whether the side is "connected" to the link as the transport sees it.
    linked: bool,
}

/// A rejection a side's application asked for in a [`Pair`].
#[derive(Debug, Clone, PartialEq)]
pub struct RequestedReject {
    /// When (virtual time).
    pub at: Duration,
    /// The rejected message.
    pub message: Sent,
    /// What the application asked for.
    pub rejection: MessageRejection,
    /// What `Session::reject` returned.
    pub result: Result<(), RejectError>,
    /// The MsgSeqNum of the Reject or BusinessMessageReject it sent, if
    /// it sent one.
    pub seq: Option<SeqNum>,
}

/// The application of one side of a [`Pair`]: called with every
/// application message the side receives, right after it is delivered;
/// returns the rejection to answer it with, if any.
pub type PairApplication = Box<dyn FnMut(&Sent) -> Option<MessageRejection> + Send>;

impl Side {
    /// Whether an event equal to `e` was recorded.
    pub fn saw(&self, e: &Recorded) -> bool {
        self.events.iter().any(|(_, x)| x == e)
    }

    /// How many times `e` was recorded.
    pub fn count(&self, e: &Recorded) -> usize {
        self.events.iter().filter(|(_, x)| x == e).count()
    }

    /// The errors reported, as text.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Recorded::Error(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug)]
struct InFlight {
    to: SideId,
    at: Duration,
    bytes: Vec<u8>,
    /// Whether later messages wait behind this one (false: reordered).
    keeps_order: bool,
}

#[derive(Debug, Default)]
struct Link {
    in_flight: VecDeque<InFlight>,
    /// When the link goes down for both sides, once one side closed it.
    down_at: Option<Duration>,
    /// The side that closed it (its peer's bytes in flight are discarded).
    closed_by: Option<SideId>,
}

/// An initiator and an acceptor joined by an in-memory link, with a virtual
/// clock that jumps to the next deadline.
///
/// `step` delivers everything due now and runs the timers due now;
/// `advance` moves the clock to the next thing that will happen; `run_for`
/// and `run_until` loop over both. A [`FaultInjector`] decides the fate of
/// every message on the link.
pub struct Pair {
    /// The virtual clock.
    pub clock: Clock,
    sides: [Side; 2],
    link: Option<Link>,
    /// When the transport will have connected the initiator's pending
    /// connect attempt.
    connecting_at: Option<Duration>,
    /// One-way latency of the link.
    pub latency: Duration,
    /// Whether the acceptor accepts connections (false: connect attempts
    /// fail).
    pub acceptor_listening: bool,
    faults: Box<dyn FaultInjector>,
    /// Messages lost, garbled or delayed by the fault injector.
    pub faults_injected: u64,
    /// Each side's application, if any.
    applications: [Option<PairApplication>; 2],
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pair")
            .field("elapsed", &self.clock.elapsed())
            .field("initiator", &self.sides[0].session)
            .field("acceptor", &self.sides[1].session)
            .finish_non_exhaustive()
    }
}

/// Safety bound on the steps of one `run_*` call.
const MAX_STEPS: usize = 10_000_000;

impl Pair {
    /// A pair with fresh memory stores, 1 ms latency and no faults. The
    /// acceptor is made ready (`connect`); the initiator waits for
    /// [`Pair::connect`].
    pub fn new(initiator: SessionConfig, acceptor: SessionConfig) -> Pair {
        let clock = Clock::new();
        let make = |config: SessionConfig| {
            let store = SharedStore::new(MemoryStore::new(clock.utc()));
            Side::start(config, store, &clock)
        };
        let mut pair = Pair {
            sides: [make(initiator), make(acceptor)],
            clock,
            link: None,
            connecting_at: None,
            latency: Duration::from_millis(1),
            acceptor_listening: true,
            faults: Box::new(NoFaults),
            faults_injected: 0,
            applications: [None, None],
        };
        let now = pair.clock.time();
        pair.sides[1].session.connect(now);
        pair.collect(SideId::Acceptor);
        pair
    }

    /// A FIX 4.4 pair "INI" -> "ACC" with default settings.
    pub fn fix44() -> Pair {
        Pair::new(
            SessionConfig::initiator(FixVersion::Fix44, "INI", "ACC"),
            SessionConfig::acceptor(FixVersion::Fix44, "ACC", "INI"),
        )
    }

    /// Replaces the fault injector.
    pub fn set_faults(&mut self, faults: Box<dyn FaultInjector>) {
        self.faults = faults;
    }

    /// Gives a side an application that may reject the application
    /// messages it receives (kept across restarts). Each rejection is
    /// passed to `Session::reject` right after the message was delivered,
    /// and recorded in [`Side::requested_rejects`].
    pub fn set_application(&mut self, id: SideId, app: PairApplication) {
        self.applications[id.index()] = Some(app);
    }

    /// A side.
    pub fn side(&self, id: SideId) -> &Side {
        &self.sides[id.index()]
    }

    /// A side, mutably.
    pub fn side_mut(&mut self, id: SideId) -> &mut Side {
        &mut self.sides[id.index()]
    }

    /// The initiator.
    pub fn initiator(&self) -> &Side {
        &self.sides[0]
    }

    /// The acceptor.
    pub fn acceptor(&self) -> &Side {
        &self.sides[1]
    }

    /// Number of messages on the link not yet delivered.
    pub fn in_flight(&self) -> usize {
        self.link.as_ref().map_or(0, |l| l.in_flight.len())
    }

    /// Whether the link is up (and not closing).
    pub fn link_up(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.down_at.is_none())
    }

    /// Starts the initiator (`connect`).
    pub fn connect(&mut self) {
        let now = self.clock.time();
        self.sides[0].session.connect(now);
        self.collect(SideId::Initiator);
    }

    /// Sends an application message from a side.
    pub fn send(
        &mut self,
        from: SideId,
        msg: &MessageBuilder,
    ) -> Result<Option<SeqNum>, crate::SendError> {
        let now = self.clock.time();
        let r = self.sides[from.index()].session.send(msg, now);
        self.collect(from);
        r
    }

    /// Runs `f` on a side's session with the current time, then collects
    /// its outputs (for logout, reset and the like).
    pub fn with_session<R>(&mut self, id: SideId, f: impl FnOnce(&mut Session, Now) -> R) -> R {
        let now = self.clock.time();
        let r = f(&mut self.sides[id.index()].session, now);
        self.collect(id);
        r
    }

    /// Breaks the link now: both sides see it go down.
    pub fn cut_link(&mut self) {
        if self.link.take().is_some() {
            let now = self.clock.time();
            for id in [SideId::Initiator, SideId::Acceptor] {
                let side = &mut self.sides[id.index()];
                if side.linked {
                    side.linked = false;
                    side.session.handle_link_down(now);
                }
                self.collect(id);
            }
        }
    }

    /// Restarts a side as a process restart would: the link breaks, the
    /// session is created again from its configuration and its store, and
    /// started (`connect`).
    pub fn restart(&mut self, id: SideId) {
        self.cut_link();
        if id == SideId::Initiator {
            self.connecting_at = None;
        }
        let side = &mut self.sides[id.index()];
        let mut fresh = Side::start(side.config.clone(), side.store.clone(), &self.clock);
        fresh.events = std::mem::take(&mut side.events);
        fresh.received = std::mem::take(&mut side.received);
        fresh.requested_rejects = std::mem::take(&mut side.requested_rejects);
        fresh.restarts = side.restarts + 1;
        *side = fresh;
        let now = self.clock.time();
        side.session.connect(now);
        self.collect(id);
    }

    /// Drains a side's outputs: bytes onto the link (through the fault
    /// injector), events recorded and acted on, application messages shown
    /// to the side's application; then, while the session has received
    /// input left, processes it and drains again.
    fn collect(&mut self, id: SideId) {
        loop {
            self.collect_once(id);
            let now = self.clock.time();
            let session = &mut self.sides[id.index()].session;
            if !session.has_pending_input() {
                break;
            }
            session.handle_pending_input(now);
        }
    }

    fn collect_once(&mut self, id: SideId) {
        let elapsed = self.clock.elapsed();
        let now = self.clock.time();
        let mut bytes = Vec::new();
        let mut events = Vec::new();
        {
            let side = &mut self.sides[id.index()];
            let app = &mut self.applications[id.index()];
            let session = &mut side.session;
            transmit_all(session, &mut bytes);
            // Until no event is left: a CloseLink waits for the bytes of
            // the rejects written meanwhile.
            while session.has_event() {
                while let Some(e) = session.poll_event() {
                    let e = Recorded::from_event(e);
                    if let (Recorded::App(m), Some(app)) = (&e, app.as_mut()) {
                        if let Some(rejection) = app(m) {
                            let before = session.next_sender_seq_num();
                            let result = session.reject(&rejection, now);
                            let seq = (session.next_sender_seq_num() > before).then_some(before);
                            side.requested_rejects.push(RequestedReject {
                                at: elapsed,
                                message: m.clone(),
                                rejection,
                                result,
                                seq,
                            });
                        }
                    }
                    events.push(e);
                }
                // What rejects wrote.
                transmit_all(session, &mut bytes);
            }
        }
        if !bytes.is_empty() && self.sides[id.index()].linked {
            self.put_on_link(id, &bytes);
        }
        for e in events {
            match &e {
                Recorded::OpenLink if id == SideId::Initiator => {
                    self.connecting_at = Some(elapsed + self.latency);
                }
                Recorded::CloseLink => self.close_from(id),
                Recorded::App(m) => self.sides[id.index()].received.push(m.clone()),
                _ => {}
            }
            self.sides[id.index()].events.push((elapsed, e));
        }
    }

    fn put_on_link(&mut self, from: SideId, mut bytes: &[u8]) {
        let config = FrameConfig::default();
        let elapsed = self.clock.elapsed();
        while !bytes.is_empty() {
            let n = match scan(bytes, &config) {
                Scan::Complete(n) => n,
                _ => bytes.len(),
            };
            let (frame, rest) = bytes.split_at(n);
            bytes = rest;
            let Some(link) = self.link.as_mut() else {
                return;
            };
            if link.down_at.is_some() && link.closed_by != Some(from) {
                // The other side closed the link: nothing more gets through.
                return;
            }
            let fault = self.faults.on_message(from, frame, elapsed);
            let base = in_order_arrival(link, from.other(), elapsed + self.latency);
            let mut frame = frame.to_vec();
            let mut keeps_order = true;
            let at = match fault {
                Fault::Deliver => base,
                Fault::Drop => {
                    self.faults_injected += 1;
                    continue;
                }
                Fault::Corrupt => {
                    self.faults_injected += 1;
                    // Flip a byte of the body so that the CheckSum fails.
                    let i = frame.len() / 2;
                    frame[i] ^= 0x20;
                    base
                }
                Fault::Delay(d) => {
                    self.faults_injected += 1;
                    base + d
                }
                Fault::Reorder(d) => {
                    self.faults_injected += 1;
                    keeps_order = false;
                    elapsed + self.latency + d
                }
                Fault::CutLink => {
                    self.faults_injected += 1;
                    self.cut_link();
                    return;
                }
                Fault::Restart(side) => {
                    self.faults_injected += 1;
                    self.restart(side);
                    return;
                }
            };
            enqueue(
                link,
                InFlight {
                    to: from.other(),
                    at,
                    bytes: frame,
                    keeps_order,
                },
            );
        }
    }

    /// Puts `bytes` on the link as if `from` had written them, in order
    /// behind what `from` wrote before, without the fault injector: for
    /// messages a counterparty may send that a session never writes (a
    /// SequenceReset-Reset, a resend with a bad OrigSendingTime). Returns
    /// false, dropping them, when the link is down or closing.
    pub fn inject(&mut self, from: SideId, bytes: &[u8]) -> bool {
        let elapsed = self.clock.elapsed();
        let latency = self.latency;
        let Some(link) = self.link.as_mut() else {
            return false;
        };
        if link.down_at.is_some() || !self.sides[from.index()].linked {
            return false;
        }
        let at = in_order_arrival(link, from.other(), elapsed + latency);
        enqueue(
            link,
            InFlight {
                to: from.other(),
                at,
                bytes: bytes.to_vec(),
                keeps_order: true,
            },
        );
        true
    }

    fn close_from(&mut self, id: SideId) {
        let elapsed = self.clock.elapsed();
        let latency = self.latency;
        if let Some(link) = self.link.as_mut() {
            if link.down_at.is_none() {
                // What `id` wrote still arrives; what it was sent is lost.
                link.in_flight.retain(|f| f.to != id);
                let last = link
                    .in_flight
                    .iter()
                    .map(|f| f.at)
                    .max()
                    .unwrap_or_default();
                link.down_at = Some(last.max(elapsed + latency));
                link.closed_by = Some(id);
            }
        }
        if id == SideId::Initiator {
            self.connecting_at = None;
        }
    }

    /// Handles everything due at the current time; returns whether
    /// anything happened.
    pub fn step(&mut self) -> bool {
        let elapsed = self.clock.elapsed();
        let now = self.clock.time();
        let mut progress = false;
        // Deliveries due.
        while let Some(link) = self.link.as_mut() {
            let due = link.in_flight.front().is_some_and(|f| f.at <= elapsed);
            if !due {
                break;
            }
            let Some(f) = link.in_flight.pop_front() else {
                break;
            };
            progress = true;
            let side = &mut self.sides[f.to.index()];
            if side.linked {
                side.session.handle_input(&f.bytes, now);
                self.collect(f.to);
            }
        }
        // The link going down.
        if self
            .link
            .as_ref()
            .and_then(|l| l.down_at)
            .is_some_and(|at| at <= elapsed)
        {
            progress = true;
            self.cut_link();
        }
        // A connect attempt completing.
        if self.connecting_at.is_some_and(|at| at <= elapsed) {
            progress = true;
            self.connecting_at = None;
            if self.acceptor_listening && self.link.is_none() {
                self.link = Some(Link::default());
                for id in [SideId::Initiator, SideId::Acceptor] {
                    self.sides[id.index()].linked = true;
                    self.sides[id.index()].session.handle_link_up(now);
                    self.collect(id);
                }
            } else {
                self.sides[0].session.handle_link_down(now);
                self.collect(SideId::Initiator);
            }
        }
        // Timers due.
        for id in [SideId::Initiator, SideId::Acceptor] {
            let due = self.sides[id.index()]
                .session
                .poll_timeout()
                .is_some_and(|at| at <= now.instant);
            if due {
                progress = true;
                self.sides[id.index()].session.handle_timeout(now);
                self.collect(id);
            }
        }
        progress
    }

    /// The virtual time of the next thing that will happen, if any.
    pub fn next_wakeup(&self) -> Option<Duration> {
        let origin = self.clock.now() - self.clock.elapsed();
        let timers = self
            .sides
            .iter()
            .filter_map(|s| s.session.poll_timeout())
            .map(|at| at.saturating_duration_since(origin));
        let link = self.link.as_ref().into_iter().flat_map(|l| {
            l.in_flight
                .front()
                .map(|f| f.at)
                .into_iter()
                .chain(l.down_at)
        });
        timers.chain(link).chain(self.connecting_at).min()
    }

    /// Handles everything due at the current time, until nothing more
    /// happens.
    pub fn settle(&mut self) {
        let mut steps = 0;
        while self.step() {
            steps += 1;
            assert!(steps < MAX_STEPS, "pair does not settle: {self:?}");
        }
    }

    /// Moves the clock to the next wake-up if it is no later than `limit`
    /// (virtual time); returns false when nothing is left before `limit`.
    fn jump(&mut self, limit: Duration) -> bool {
        match self.next_wakeup() {
            Some(at) if at <= limit => {
                let origin = self.clock.now() - self.clock.elapsed();
                self.clock.advance_to(origin + at);
                true
            }
            _ => false,
        }
    }

    /// Runs everything due now, then moves the clock to the next wake-up
    /// if it is no later than `limit` (virtual time); returns false when
    /// nothing is left to do before `limit`.
    pub fn advance(&mut self, limit: Duration) -> bool {
        self.settle();
        self.jump(limit)
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.clock.elapsed() + d;
        let mut steps = 0;
        while self.advance(limit) {
            steps += 1;
            assert!(steps < MAX_STEPS, "pair does not settle: {self:?}");
        }
        let origin = self.clock.now() - self.clock.elapsed();
        self.clock.advance_to(origin + limit);
    }

    /// Runs until `done` holds (checked whenever nothing more is due at
    /// the current time) or `max` of virtual time passes; returns whether
    /// `done` held.
    pub fn run_until(&mut self, max: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let limit = self.clock.elapsed() + max;
        let mut steps = 0;
        loop {
            self.settle();
            if done(self) {
                return true;
            }
            if !self.jump(limit) {
                return false;
            }
            steps += 1;
            assert!(steps < MAX_STEPS, "pair does not settle: {self:?}");
        }
    }

    /// Connects and runs until both sides are established (at most a minute).
    pub fn establish(&mut self) {
        self.connect();
        let ok = self.run_until(Duration::from_secs(60), |p| {
            p.initiator().session.state() == SessionState::Established
                && p.acceptor().session.state() == SessionState::Established
        });
        assert!(ok, "pair did not log on: {self:?}");
    }
}

/// When a message to `to` that keeps the link's order arrives: after
/// everything in order before it, and no earlier than `earliest`.
fn in_order_arrival(link: &Link, to: SideId, earliest: Duration) -> Duration {
    link.in_flight
        .iter()
        .filter(|f| f.to == to && f.keeps_order)
        .map(|f| f.at)
        .max()
        .unwrap_or_default()
        .max(earliest)
}

/// Adds a message to the link, kept sorted by arrival time (stable), so
/// that a reordered message does not block the ones that overtake it.
fn enqueue(link: &mut Link, f: InFlight) {
    let pos = link
        .in_flight
        .iter()
        .rposition(|x| x.at <= f.at)
        .map_or(0, |i| i + 1);
    link.in_flight.insert(pos, f);
}

impl Side {
    fn start(config: SessionConfig, store: SharedStore, clock: &Clock) -> Side {
        let session = Session::new(config.clone(), Box::new(store.clone()), clock.time())
            .unwrap_or_else(|e| panic!("session configuration: {e}"));
        Side {
            session,
            config,
            store,
            events: Vec::new(),
            received: Vec::new(),
            restarts: 0,
            requested_rejects: Vec::new(),
            linked: false,
        }
    }
}
