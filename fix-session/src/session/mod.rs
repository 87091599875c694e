//! The [`Session`] state machine: one FIX session, initiator or acceptor,
//! driven by inputs that carry the current time and drained of its outputs
//! (bytes, events, the next deadline) after every input.

mod app_reject;
mod inbound;
mod late;
mod outbound;
mod oversize;
mod resend;
mod timers;

use crate::config::{LateDelivery, Role, SessionConfig, SessionKey};
use crate::dictionary::SessionDictionary;
use crate::error::{CallerError, ConfigError, PeerError, SendError, SessionError};
use crate::event::{Event, QueuedEvent, RejectedMessage, UndeliveredReason};
use crate::msg_types;
use crate::state::SessionState;
use crate::store::{SeqNum, Store};
use crate::time::Now;
use fixrs_proto::framing::FrameConfig;
use fixrs_proto::validate::Validator;
use fixrs_proto::value::{TimePrecision, TimestampCache, TimestampParser};
use fixrs_proto::{
    Decoder, Encoder, FieldIndex, FieldWriter, FixVersion, MessageBuilder, MessageStash,
    ParseError, Stashed, UtcTimestamp,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};
use timers::{deadline, Timer, TimerTable};

/// How a connection ended, which decides the state that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// A Logout exchange finished (or our Logout went unanswered).
    LoggedOut,
    /// An error, a lost link or a failed logon.
    Failed,
    /// The application asked to drop the link.
    Dropped,
}

/// Why we sent a Logout and wait for the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogoutKind {
    /// The application asked to log out.
    Requested,
    /// A protocol error after which the peer's messages can no longer be
    /// trusted (sequence too low, missing MsgSeqNum...): only its Logout is
    /// processed.
    Error,
    /// A problem in one message's header (BeginString, CompID, SendingTime,
    /// OrigSendingTime): the session ends as after an error, but the
    /// peer's other messages are still processed until its Logout reply,
    /// as QuickFIX does, so that it can still have resends and gap fills.
    HeaderError,
    /// The session period ended or a new one began.
    Schedule,
}

impl LogoutKind {
    /// Whether the session ends in failure (an error of either kind).
    fn is_error(self) -> bool {
        matches!(self, LogoutKind::Error | LogoutKind::HeaderError)
    }
}

/// A TestRequest we sent and whose Heartbeat we wait for.
#[derive(Debug, Clone, Copy)]
struct PendingTestRequest {
    id: u64,
    sent_at: Instant,
}

/// Our outstanding ResendRequest: what is still missing.
#[derive(Debug, Clone, Copy)]
struct ResendProgress {
    /// Highest MsgSeqNum known to be missing.
    end_target: SeqNum,
    /// EndSeqNo(16) of the chunk asked for, 0 when the request was open-ended.
    chunk_end: SeqNum,
    /// NextNumIn when progress was last seen.
    mark: SeqNum,
}

/// An application message waiting for the session to be established
/// (late delivery).
#[derive(Debug, Clone)]
struct LateMessage {
    /// The MsgSeqNum it consumed, or `None` when it will be numbered when
    /// sent (queue mode, or the next Logon resets sequence numbers).
    seq: Option<SeqNum>,
    /// Its id in the store's queue of pending messages, when unnumbered
    /// and the store keeps one.
    pending: Option<u64>,
    msg: MessageBuilder,
    expires: Option<Instant>,
    /// When it was queued: the SendingTime of its stored copy, and the
    /// OrigSendingTime when it goes out as a resend.
    queued_at: UtcTimestamp,
}

/// A received message handed out by `poll_event`, which the application
/// may reject.
#[derive(Debug, Clone, Copy)]
struct Rejectable {
    kept: Stashed,
    /// In `rejectable_stash` (true) or still in `inbox`.
    moved: bool,
    /// An application message (else a session-level one).
    app: bool,
}

/// The largest MsgSeqNum (and NewSeqNo) accepted from a peer; anything
/// larger is treated as invalid so that counting past it cannot overflow.
const MAX_SEQ_NUM: SeqNum = i64::MAX as SeqNum;

/// Bounds the number of spare receive buffers kept for reuse.
const MAX_POOLED_BUFFERS: usize = 64;

/// What receiving takes out of the session while it acts on a message:
/// the frame decoder and the field index the message borrows.
#[derive(Debug)]
pub(super) struct Input {
    pub(super) decoder: Decoder,
    pub(super) index: FieldIndex,
}

/// One FIX session as a deterministic, sans-IO state machine.
///
/// # Driving a session
///
/// Every input takes the current time as one [`Now`]: the monotonic
/// `instant` (for timers) and `utc` (for SendingTime(52) and the
/// schedule); the session never reads a clock, so the same inputs at the
/// same times give the same outputs, byte for byte. After **every** input,
/// drive it until idle:
///
/// 1. [`poll_transmit`](Session::poll_transmit) /
///    [`transmitted`](Session::transmitted) until nothing is pending:
///    write those bytes to the link, in order;
/// 2. [`poll_event`](Session::poll_event) until `None`: act on
///    [`Event::OpenLink`] and [`Event::CloseLink`] (a close is held back
///    until the bytes before it were acknowledged), hand messages to the
///    application, which may answer each at once ([`send`](Session::send),
///    [`reject`](Session::reject));
/// 3. while [`has_pending_input`](Session::has_pending_input) (a read
///    held several messages and the session stopped after one the
///    application had to see), call
///    [`handle_pending_input`](Session::handle_pending_input) and go back
///    to 1; after answers, or while [`has_event`](Session::has_event), go
///    back to 1 as well;
/// 4. [`poll_timeout`](Session::poll_timeout): call
///    [`handle_timeout`](Session::handle_timeout) once that instant passes.
///
/// And once per pass of the driver's loop, [`flush_store`](Session::flush_store)
/// when [`store_needs_flush`](Session::store_needs_flush) says so.
///
/// See the crate documentation for the loop as code.
pub struct Session {
    config: SessionConfig,
    store: Box<dyn Store + Send>,
    state: SessionState,
    /// Whether a link is up (between handle_link_up and its end).
    link_up: bool,
    next_sender: SeqNum,
    next_target: SeqNum,
    /// HeartBtInt in force: ours for an initiator, the peer's for an acceptor.
    heart_bt_int: u32,
    timers: TimerTable,

    // Receive path.
    /// The decoder and the field index. A message being processed borrows
    /// them while the session acts on it, so receiving takes them out of
    /// the session: boxed, that moves a pointer rather than both
    /// structures (on every input). `None` only while a receive holds them.
    input: Option<Box<Input>>,
    /// Messages received beyond a gap, by MsgSeqNum; an empty buffer marks a
    /// message already acted on (Logon, ResendRequest) that only counts.
    out_of_order: BTreeMap<SeqNum, Vec<u8>>,
    buffer_pool: Vec<Vec<u8>>,
    /// The last input stopped after a message the application must see
    /// before the next is processed; received bytes (or kept messages now
    /// in sequence) may wait.
    input_paused: bool,
    /// The driver stopped reading the link for its own side's sake
    /// ([`Session::set_reading_paused`]): the peer's silence does not count.
    reading_paused: bool,
    /// A message was processed since what is still missing beyond a gap
    /// was last looked at.
    gap_check_due: bool,
    resend_requested: Option<ResendProgress>,
    last_received: Instant,
    test_request: Option<PendingTestRequest>,
    test_req_counter: u64,
    /// Whether the peer's Logon carried NextExpectedMsgSeqNum(789).
    peer_sent_next_expected: bool,
    /// Messages over MaxMessageSize received in a row: NextNumIn when the
    /// first of them came, and how many.
    oversize: Option<(SeqNum, u32)>,
    /// The TestRequest delay for (HeartBtInt, multiplier bits).
    idle_timeout_cache: Option<((u32, u64), Duration)>,
    /// Parses SendingTime(52), remembering the last second seen.
    sending_times: TimestampParser,

    // Send path.
    encoder: Encoder,
    /// Our CompID header fields, encoded once (see `outbound::header_ids`).
    header_ids: Vec<u8>,
    /// The configuration was handed out for changes since `header_ids`
    /// was built.
    header_ids_stale: bool,
    tx: Vec<u8>,
    tx_start: usize,
    store_dirty: bool,
    /// MsgSeqNum of our last Logon.
    logon_seq: SeqNum,

    // Answering ResendRequests.
    resend_scratch: Vec<u8>,
    resend_entries: Vec<(SeqNum, usize, usize)>,
    resend_index: FieldIndex,

    // Events.
    events: VecDeque<QueuedEvent>,
    /// Received messages handed out as events, indexed.
    inbox: MessageStash,
    /// The message the application may still reject
    /// ([`reject`](Session::reject)): the last one handed out by
    /// `poll_event`.
    rejectable: Option<Rejectable>,
    /// Where that message stays once the inbox is reused (the two stashes
    /// swap rather than copy it).
    rejectable_stash: MessageStash,
    /// The bytes of the rejected message an [`Event::Rejected`] being
    /// polled refers to, when they could not be split into fields.
    rejected_raw: Vec<u8>,

    // Validation.
    dictionary: Option<SessionDictionary>,
    /// FIXT.1.1: dictionaries of other application versions.
    app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    /// FIXT.1.1: the peer's DefaultApplVerID(1137), from its Logon.
    peer_appl_ver_id: Option<FixVersion>,
    validator: Validator,

    // Late delivery.
    late: VecDeque<LateMessage>,
    /// MsgSeqNums of queued messages that expired or were discarded: their
    /// stored copies are gap-filled, never resent.
    withdrawn: BTreeSet<SeqNum>,

    // Life cycle.
    /// The application logged out or disconnected: no reconnect.
    stop_requested: bool,
    logout_kind: Option<LogoutKind>,
    logout_text: Option<String>,
    /// Reset sequence numbers at the next Logon (requested while not
    /// established).
    reset_on_next_logon: bool,
    /// Our Logon carried ResetSeqNumFlag=Y and its reply has not come yet.
    reset_sent: bool,
    /// Our Logon reply carried a ResetSeqNumFlag=Y the peer had not asked
    /// for, and nothing processed since shows that the peer restarted its
    /// numbering too (it may not have received the reply).
    reset_unconfirmed: bool,
    /// Reset sequence numbers when the current connection ends (a new
    /// session period began while logged on).
    reset_after_close: bool,
    /// The peer's Logout was received on this connection: ResetOnLogout
    /// applies when the connection ends.
    logout_received: bool,
    reconnect_attempts: u32,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("key", &self.config.key())
            .field("state", &self.state)
            .field("next_sender_seq_num", &self.next_sender)
            .field("next_target_seq_num", &self.next_target)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session with the given configuration and store, in state
    /// [`SessionState::Initial`]. Sequence numbers come from the store
    /// (reset first if a schedule says a new period has begun since the
    /// store's creation time).
    pub fn new(
        config: SessionConfig,
        store: Box<dyn Store + Send>,
        now: Now,
    ) -> Result<Session, SessionError> {
        let Now { instant: now, utc } = now;
        if config.id.sender_comp_id.is_empty() {
            return Err(ConfigError::EmptySenderCompId.into());
        }
        if config.id.target_comp_id.is_empty() {
            return Err(ConfigError::EmptyTargetCompId.into());
        }
        if !config.test_request_delay_multiplier.is_finite()
            || config.test_request_delay_multiplier < 0.0
        {
            return Err(ConfigError::TestRequestDelayMultiplier(
                config.test_request_delay_multiplier,
            )
            .into());
        }
        let next_sender = store.next_sender_seq_num().max(1);
        let next_target = store.next_target_seq_num().max(1);
        let mut session = Session {
            heart_bt_int: config.heart_bt_int,
            input: Some(Box::new(Input {
                decoder: Decoder::new(frame_config(&config)),
                index: FieldIndex::new(),
            })),
            encoder: Encoder::with_timestamps(TimestampCache::new(precision(&config))),
            validator: Validator::new(config.validation),
            header_ids: outbound::header_ids(&config),
            header_ids_stale: false,
            config,
            store,
            state: SessionState::Initial,
            link_up: false,
            next_sender,
            next_target,
            timers: TimerTable::default(),
            out_of_order: BTreeMap::new(),
            buffer_pool: Vec::new(),
            input_paused: false,
            reading_paused: false,
            gap_check_due: false,
            resend_requested: None,
            last_received: now,
            test_request: None,
            test_req_counter: 0,
            peer_sent_next_expected: false,
            oversize: None,
            idle_timeout_cache: None,
            sending_times: TimestampParser::new(),
            tx: Vec::with_capacity(4096),
            tx_start: 0,
            store_dirty: false,
            logon_seq: 0,
            resend_scratch: Vec::new(),
            resend_entries: Vec::new(),
            resend_index: FieldIndex::new(),
            events: VecDeque::with_capacity(16),
            inbox: MessageStash::new(),
            rejectable: None,
            rejectable_stash: MessageStash::new(),
            rejected_raw: Vec::new(),
            dictionary: None,
            app_dictionaries: Vec::new(),
            peer_appl_ver_id: None,
            late: VecDeque::new(),
            withdrawn: BTreeSet::new(),
            stop_requested: false,
            logout_kind: None,
            logout_text: None,
            reset_on_next_logon: false,
            reset_sent: false,
            reset_unconfirmed: false,
            reset_after_close: false,
            logout_received: false,
            reconnect_attempts: 0,
        };
        // Messages put before a restart that still wait for a number.
        session.load_pending(now, utc)?;
        // Drop events of the start-up check; a store failure is returned.
        session.check_schedule(now, utc);
        for event in session.events.drain(..) {
            if let QueuedEvent::Error(e) = event {
                return Err(e);
            }
        }
        Ok(session)
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The configuration, to change before [`connect`](Session::connect):
    /// credentials and Logon fields are read when each Logon is sent;
    /// HeartBtInt, message size and checksum options when a link comes up.
    pub fn config_mut(&mut self) -> &mut SessionConfig {
        self.header_ids_stale = true;
        &mut self.config
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The MsgSeqNum the next outgoing message will carry.
    pub fn next_sender_seq_num(&self) -> SeqNum {
        self.next_sender
    }

    /// The MsgSeqNum expected on the next incoming message (NextNumIn).
    pub fn next_target_seq_num(&self) -> SeqNum {
        self.next_target
    }

    /// The identity of this session.
    pub fn key(&self) -> SessionKey {
        self.config.key()
    }

    /// The HeartBtInt(108) in force, in seconds (the peer's, for an
    /// acceptor that has received a Logon).
    pub fn heart_bt_int(&self) -> u32 {
        self.heart_bt_int
    }

    /// Whether a link is up as far as the session knows.
    pub fn is_link_up(&self) -> bool {
        self.link_up
    }

    /// Number of application messages waiting for late delivery.
    pub fn queued_len(&self) -> usize {
        self.late.len()
    }

    /// Number of messages received beyond a gap and kept until it is filled.
    pub fn out_of_order_len(&self) -> usize {
        self.out_of_order.len()
    }

    /// Validates incoming messages against `dict` from now on (when
    /// [`SessionConfig::use_data_dictionary`] is set): Rejects with the
    /// problem's SessionRejectReason (test cases 14a-14k), Invalid MsgType
    /// for types the dictionary does not define (2q). Its custom data
    /// fields (length + data pairs) are recognised when splitting
    /// messages. For FIX 5.0 and later use a FIXT.1.1 + application
    /// dictionary ([`Dictionary::builtin`](fixrs_proto::dictionary::Dictionary::builtin)
    /// gives one).
    pub fn set_dictionary(&mut self, dict: impl Into<SessionDictionary>) {
        let dict = dict.into();
        self.learn_data_fields(&dict);
        self.validator.set_options(self.config.validation);
        self.dictionary = Some(dict);
    }

    /// For a FIXT.1.1 session: validates the application messages of
    /// `version` against `dict` (a FIXT.1.1 transport dictionary combined
    /// with that version's application dictionary) rather than against
    /// the [`set_dictionary`](Session::set_dictionary) one: those whose
    /// ApplVerID(1128) names `version`, and, without ApplVerID, all of
    /// them if the peer's Logon gave `version` as its DefaultApplVerID
    /// (QuickFIX's AppDataDictionary.`<ApplVerID>`). Needs a dictionary
    /// set with `set_dictionary` for the session messages.
    pub fn set_app_dictionary(&mut self, version: FixVersion, dict: impl Into<SessionDictionary>) {
        let dict = dict.into();
        self.learn_data_fields(&dict);
        self.app_dictionaries.retain(|(v, _)| *v != version);
        self.app_dictionaries.push((version, dict));
    }

    /// Lets the field index split a dictionary's own data fields.
    fn learn_data_fields(&mut self, dict: &SessionDictionary) {
        for &(len_tag, data_tag) in dict.data_fields() {
            if fixrs_proto::data_fields::standard_data_tag(len_tag) != Some(data_tag) {
                if let Some(input) = &mut self.input {
                    input.index.add_data_field(len_tag, data_tag);
                }
                self.resend_index.add_data_field(len_tag, data_tag);
            }
        }
    }

    /// Stops validating against a dictionary.
    pub fn clear_dictionary(&mut self) {
        self.dictionary = None;
        self.app_dictionaries.clear();
    }

    /// The dictionary messages are validated against, if any.
    pub fn dictionary(&self) -> Option<&SessionDictionary> {
        self.dictionary.as_ref()
    }

    /// The store (for inspection; writes should go through the session).
    pub fn store(&self) -> &(dyn Store + Send) {
        &*self.store
    }

    // ---- inputs ----

    /// Starts the session.
    ///
    /// Initiator: from `Initial`, a terminated state or `Reconnect`, go to
    /// `WaitForConnect` and emit [`Event::OpenLink`] (or wait in
    /// `Reconnect` for the next scheduled period). Acceptor: become ready
    /// for a connection (`WaitForConnect`; `WaitForFirstLogon` follows on
    /// link up). Calling it while connected does nothing.
    pub fn connect(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.stop_requested = false;
        self.begin_input();
        if !matches!(
            self.state,
            SessionState::Initial
                | SessionState::Reconnect
                | SessionState::CorrectlyTerminated
                | SessionState::NonGracefullyTerminated
        ) {
            return;
        }
        self.check_schedule(now, utc);
        self.reconnect_attempts = 0;
        self.timers.stop(Timer::Reconnect);
        match self.config.role {
            Role::Initiator => {
                if self.outside_period(utc) {
                    // The schedule timer reconnects when the period starts.
                    self.set_state(SessionState::Reconnect);
                } else {
                    self.set_state(SessionState::WaitForConnect);
                    self.events.push_back(QueuedEvent::OpenLink);
                }
            }
            Role::Acceptor => self.set_state(SessionState::WaitForConnect),
        }
    }

    /// The transport has a connected link. Initiator: the TCP connection is
    /// open: send Logon and wait for the reply (`WaitForConfirmLogon`,
    /// LogonTimeout armed). Acceptor: a connection was accepted (and routed
    /// here): `WaitForFirstLogon`, LogonTimeout armed.
    pub fn handle_link_up(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        if self.link_up {
            self.push_error(CallerError::LinkAlreadyUp { state: self.state });
            return;
        }
        // A new period since the last connection resets sequence numbers
        // before anything is sent on this link.
        self.check_schedule(now, utc);
        self.link_up = true;
        self.tx.clear();
        self.tx_start = 0;
        if let Some(input) = &mut self.input {
            input.decoder.set_config(frame_config(&self.config));
            input.decoder.clear();
        }
        self.input_paused = false;
        self.gap_check_due = false;
        self.rejectable = None;
        self.validator.set_options(self.config.validation);
        self.last_received = now;
        self.test_request = None;
        self.oversize = None;
        self.timers.stop(Timer::Reconnect);
        self.timers.stop(Timer::Linger);
        match self.config.role {
            Role::Initiator => {
                if self.stop_requested {
                    // A connect attempt that finished after logout/disconnect.
                    self.link_up = false;
                    self.events.push_back(QueuedEvent::CloseLink);
                    return;
                }
                if self.outside_period(utc) {
                    self.close_link(Ending::Failed, now, utc);
                    return;
                }
                self.heart_bt_int = self.config.heart_bt_int;
                let reset = self.config.reset_on_logon || self.reset_on_next_logon;
                if reset {
                    self.reset_store(utc);
                }
                self.set_state(SessionState::WaitForConfirmLogon);
                let next_expected = self.next_target;
                self.send_logon(reset, next_expected, now, utc);
                self.reset_sent = reset;
                self.timers
                    .set(Timer::Logon, deadline(now, self.config.logon_timeout));
            }
            Role::Acceptor => {
                self.set_state(SessionState::WaitForFirstLogon);
                self.timers
                    .set(Timer::Logon, deadline(now, self.config.logon_timeout));
            }
        }
    }

    /// Bytes read from the link, in any split. Complete messages are
    /// processed in order, each one fully: processing stops after the
    /// first message that gives the application an event (a message
    /// received, a reject, a state change...), so that the application can
    /// answer it before the session acts on the next. The rest is kept;
    /// [`has_pending_input`](Session::has_pending_input) then says so and
    /// [`handle_pending_input`](Session::handle_pending_input) goes on
    /// (bytes given to a later `handle_input` also come after it). A
    /// partial message waits for the rest. Ignored while no link is up.
    pub fn handle_input(&mut self, bytes: &[u8], now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        if !self.link_up {
            return;
        }
        self.receive(bytes, now, utc);
    }

    /// Whether the last input stopped with received messages still to
    /// process. Check it after draining the outputs (and letting the
    /// application answer the events); while it is true, call
    /// [`handle_pending_input`](Session::handle_pending_input) and drain
    /// again.
    #[must_use]
    pub fn has_pending_input(&self) -> bool {
        self.input_paused
    }

    /// Whether [`handle_pending_input`](Session::handle_pending_input)
    /// may have a message to process: received bytes not yet processed
    /// (perhaps only part of a message), or a message kept beyond a gap.
    /// False after the last message of a read even while
    /// [`has_pending_input`](Session::has_pending_input) still asks for a
    /// call: a driver that holds input back while its application is
    /// behind need not ask the application then.
    #[inline]
    #[must_use]
    pub fn has_unprocessed_input(&self) -> bool {
        self.input_paused
            && (!self.out_of_order.is_empty()
                || self
                    .input
                    .as_ref()
                    .is_some_and(|i| i.decoder.buffered() > 0))
    }

    /// Tells the session that the driver has stopped reading the link (or
    /// started again) for a reason of its own side, such as an application
    /// that is behind with its events: nothing the peer sends meanwhile
    /// can be seen, so its silence does not count. While paused no
    /// TestRequest goes out and a TestRequest already sent does not time
    /// out; once reading goes on, the peer has the usual
    /// HeartBtInt x (1 + TestRequestDelayMultiplier) from `now` to be
    /// heard. Heartbeats and everything else go on as usual.
    ///
    /// Not for a pause because the peer does not read what it is sent:
    /// there the TestRequest timeout is how a stuck peer is found.
    #[inline]
    pub fn set_reading_paused(&mut self, paused: bool, now: Now) {
        if paused == self.reading_paused {
            return;
        }
        self.reading_paused = paused;
        if !paused && self.state == SessionState::Established && self.heart_bt_int > 0 {
            let idle = self.idle_timeout();
            self.timers
                .set(Timer::TestRequest, deadline(now.instant, idle));
        }
    }

    /// Whether [`set_reading_paused`](Session::set_reading_paused) last
    /// said that reading is paused.
    pub fn is_reading_paused(&self) -> bool {
        self.reading_paused
    }

    /// Goes on processing what [`handle_input`](Session::handle_input)
    /// kept, with the same rule: up to and including the next message that
    /// gives the application an event. Harmless when nothing waits.
    pub fn handle_pending_input(&mut self, now: Now) {
        self.handle_input(&[], now);
    }

    /// The link broke, or a connect attempt failed. Initiator: `Reconnect`
    /// with the reconnect timer, or `NonGracefullyTerminated` after
    /// `reconnect_max_tries`. Acceptor: `NonGracefullyTerminated` (or
    /// `CorrectlyTerminated` if a Logout exchange was under way). Harmless
    /// after the session itself asked to close the link.
    pub fn handle_link_down(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        // Bytes for a link that is gone are dropped (which also releases
        // a CloseLink held back for them).
        self.tx.clear();
        self.tx_start = 0;
        if !self.link_up {
            if self.config.role == Role::Initiator && self.state == SessionState::WaitForConnect {
                // The connect attempt failed.
                self.end_connection(Ending::Failed, now, utc);
            }
            return;
        }
        self.link_up = false;
        if let Some(input) = &mut self.input {
            input.decoder.clear();
        }
        self.input_paused = false;
        self.gap_check_due = false;
        self.rejectable = None;
        match self.state {
            SessionState::CorrectlyTerminated | SessionState::NonGracefullyTerminated => {
                // Lingering after the Logout exchange: the peer closed first.
                self.timers.stop(Timer::Linger);
            }
            SessionState::WaitForConfirmLogout => {
                let ending = if self.logout_kind.is_some_and(LogoutKind::is_error) {
                    Ending::Failed
                } else {
                    Ending::LoggedOut
                };
                let text = self.logout_text.take();
                self.events.push_back(QueuedEvent::LoggedOut(text));
                self.end_connection(ending, now, utc);
            }
            _ => self.end_connection(Ending::Failed, now, utc),
        }
    }

    /// A deadline returned by [`poll_timeout`](Session::poll_timeout)
    /// passed. Runs every timer that expired at `now`; spurious or early
    /// calls are harmless.
    pub fn handle_timeout(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        for timer in Timer::ALL {
            if self.timers.expire(timer, now) {
                self.on_timer(timer, now, utc);
            }
        }
    }

    /// Sends an application message.
    ///
    /// Established: it is given the next MsgSeqNum, encoded, stored and
    /// queued for transmission; returns that MsgSeqNum. Otherwise late
    /// delivery applies ([`LateDelivery`]): with `Queue`/`QueueFor` the
    /// message is kept. In [`LateDeliveryMode::Resend`](crate::LateDeliveryMode)
    /// it consumes and is stored under the next MsgSeqNum (returned), and
    /// is sent after logon and resynchronisation as a resend whose
    /// SendingTime(52) is the moment it actually leaves; in
    /// `LateDeliveryMode::Queue`, or when the next Logon resets sequence
    /// numbers, it waits unnumbered in the store's pending queue and is
    /// numbered and sent as a new message right after the Logon (returns
    /// `None`). Either way the store is flushed at once, so a crash loses
    /// no message `send` accepted. With `Reject` it is refused with
    /// [`SendError::NotEstablished`].
    pub fn send(&mut self, msg: &MessageBuilder, now: Now) -> Result<Option<SeqNum>, SendError> {
        self.send_fields(msg.msg_type(), msg.header(), msg.body(), now)
    }

    /// [`send`](Session::send) for a message given as its MsgType(35) and
    /// its already-encoded extra header fields and body fields (what
    /// [`MessageBuilder::msg_type`], [`MessageBuilder::header`] and
    /// [`MessageBuilder::body`] return): a driver that keeps the messages
    /// put on it encoded hands them over without rebuilding a
    /// `MessageBuilder` for each.
    pub fn send_fields(
        &mut self,
        msg_type: &[u8],
        header: &[u8],
        body: &[u8],
        now: Now,
    ) -> Result<Option<SeqNum>, SendError> {
        let Now { instant: now, utc } = now;
        self.begin_input();
        if !msg_types::is_well_formed(msg_type) {
            return Err(SendError::InvalidMsgType {
                msg_type: String::from_utf8_lossy(msg_type).into_owned(),
            });
        }
        if msg_types::is_session_managed(msg_type) {
            return Err(SendError::SessionLevelMsgType {
                msg_type: String::from_utf8_lossy(msg_type).into_owned(),
            });
        }
        if self.state == SessionState::Established && self.link_up {
            let seq = self.next_sender;
            self.encode_fields(msg_type, header, body, seq, false, utc);
            self.commit_new(seq, now)?;
            return Ok(Some(seq));
        }
        // Kept for later: the late queue holds its own copy.
        let mut msg = MessageBuilder::from_body(msg_type, body);
        msg.header_mut().push_raw(header);
        self.queue_late(msg, now, utc)
    }

    /// Logs out gracefully: sends Logout (with Text(58) if given), waits
    /// LogoutTimeout for the reply, then asks to close the link; ends in
    /// `CorrectlyTerminated` without reconnecting. Not logged on: stops
    /// connecting (and drops a link not yet logged on).
    pub fn logout(&mut self, text: Option<&str>, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        self.stop_requested = true;
        match self.state {
            SessionState::Established => {
                self.start_logout(LogoutKind::Requested, text.map(str::to_string), now, utc);
            }
            SessionState::WaitForConfirmLogout => {
                // Already logging out; do not reconnect afterwards.
                if self.logout_kind == Some(LogoutKind::Schedule) {
                    self.logout_kind = Some(LogoutKind::Requested);
                }
            }
            SessionState::WaitForConfirmLogon | SessionState::WaitForFirstLogon => {
                self.close_link(Ending::LoggedOut, now, utc);
            }
            SessionState::WaitForConnect | SessionState::Reconnect => {
                if self.state == SessionState::WaitForConnect && self.config.role == Role::Initiator
                {
                    // Abort the connect attempt in progress.
                    self.events.push_back(QueuedEvent::CloseLink);
                }
                self.timers.stop(Timer::Reconnect);
                self.set_state(SessionState::CorrectlyTerminated);
            }
            SessionState::Initial
            | SessionState::CorrectlyTerminated
            | SessionState::NonGracefullyTerminated => {
                if self.link_up {
                    // Lingering after a Logout exchange: close now.
                    self.link_up = false;
                    self.timers.stop(Timer::Linger);
                    self.events.push_back(QueuedEvent::CloseLink);
                }
            }
        }
    }

    /// Drops the link without Logout; ends in `NonGracefullyTerminated`
    /// without reconnecting. A session already terminated keeps its state
    /// (a clean logout stays `CorrectlyTerminated`); a link still open
    /// after its Logout exchange is closed.
    pub fn disconnect(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        self.stop_requested = true;
        if self.state.is_terminated() {
            if self.link_up {
                // Lingering after a Logout exchange: close now.
                self.link_up = false;
                self.timers.stop(Timer::Linger);
                self.events.push_back(QueuedEvent::CloseLink);
            }
            self.timers.stop(Timer::Reconnect);
            return;
        }
        if self.link_up {
            self.close_link(Ending::Dropped, now, utc);
            return;
        }
        if self.state == SessionState::WaitForConnect && self.config.role == Role::Initiator {
            self.events.push_back(QueuedEvent::CloseLink);
        }
        self.timers.stop(Timer::Reconnect);
        if self.state != SessionState::Initial {
            self.set_state(SessionState::NonGracefullyTerminated);
        }
    }

    /// Resets both sequence numbers to 1 locally (store reset), without
    /// telling the peer. Meant for a session that is not logged on (FIX
    /// Antenna's `resetSeqNumLocal`); queued late-delivery messages are
    /// numbered again when sent.
    pub fn reset_seq_num_local(&mut self, now: Now) {
        let utc = now.utc;
        self.begin_input();
        self.reset_store(utc);
    }

    /// Resets sequence numbers on both sides: established, sends a Logon
    /// with ResetSeqNumFlag(141)=Y and MsgSeqNum 1 now (incoming numbering
    /// restarts with the peer's Logon reply); otherwise the next Logon does.
    /// Does nothing while an earlier reset still waits for that reply.
    pub fn reset_seq_num_and_send_logon(&mut self, now: Now) {
        let Now { instant: now, utc } = now;
        self.begin_input();
        if self.state == SessionState::Established && self.link_up {
            if self.reset_sent {
                // A second Logon(141=Y) would be answered too, and each side
                // would take the other's extra reply for a new request.
                return;
            }
            let target = self.next_target;
            self.reset_store(utc);
            self.set_next_target(target);
            self.send_logon(true, 1, now, utc);
            self.reset_sent = true;
            // Queued messages the reset numbered again go out now, as
            // after any Logon.
            self.after_logon_late_delivery(now, utc);
        } else {
            self.reset_on_next_logon = true;
        }
    }

    /// Reports every message waiting for late delivery as
    /// [`Event::Undelivered`] (reason `Discarded`) and empties the queue.
    /// Sequence numbers they consumed stay used: they are gap-filled if
    /// asked for (until a restart, after which the stored copies would be
    /// resent).
    pub fn discard_queued(&mut self) {
        self.begin_input();
        while let Some(m) = self.late.pop_front() {
            if let Some(seq) = m.seq {
                self.withdrawn.insert(seq);
            }
            self.forget_pending(&m);
            self.events.push_back(QueuedEvent::Undelivered {
                msg: m.msg,
                reason: UndeliveredReason::Discarded,
            });
        }
        self.timers.stop(Timer::LateDelivery);
    }

    // ---- outputs ----

    /// All bytes waiting to be written to the link, contiguous; `None` when
    /// nothing is pending. The store is flushed before bytes are handed out.
    ///
    /// Call it after every input (`connect`, `handle_link_up`,
    /// `handle_input`, `handle_link_down`, `handle_timeout`, `send`,
    /// `logout`, `disconnect`, the reset methods) until it returns `None`,
    /// acknowledging what was written with
    /// [`transmitted`](Session::transmitted). Bytes still pending when the
    /// link goes down or comes up again are dropped.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        if self.tx_start >= self.tx.len() {
            return None;
        }
        self.flush_store();
        Some(&self.tx[self.tx_start..])
    }

    /// How many bytes [`poll_transmit`](Session::poll_transmit) would hand
    /// out now: what the session produced and the link has not taken yet.
    /// A driver bounding its memory stops feeding input while this is over
    /// its bound (a burst of ResendRequests can produce a lot).
    #[must_use]
    pub fn pending_transmit_len(&self) -> usize {
        self.tx.len().saturating_sub(self.tx_start)
    }

    /// Acknowledges that the first `n` bytes of what
    /// [`poll_transmit`](Session::poll_transmit) returned were written
    /// (partial writes are fine).
    pub fn transmitted(&mut self, n: usize) {
        self.tx_start = (self.tx_start + n).min(self.tx.len());
        if self.tx_start == self.tx.len() {
            self.tx.clear();
            self.tx_start = 0;
        }
    }

    /// The next event, `None` when there are no more. Received messages are
    /// zero-copy views valid until the next call to `poll_event` or to an
    /// input method.
    ///
    /// Call it after every input until it returns `None`. An
    /// [`Event::CloseLink`] is held back (`poll_event` returns `None`)
    /// while bytes queued before it wait in
    /// [`poll_transmit`](Session::poll_transmit): a driver that acts on
    /// the close at once cannot lose the Logout or Reject before it. After
    /// writing, poll again ([`has_event`](Session::has_event) says whether
    /// an event waits).
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        // Drivers ask until `None`, so the empty case is as common as an
        // event: answered inline, without building an event.
        if self.events.is_empty() {
            self.clear_inbox();
            return None;
        }
        if !self.has_event() {
            // A CloseLink waits for the bytes before it.
            return None;
        }
        self.next_event()
    }

    /// The body of [`poll_event`](Session::poll_event).
    fn next_event(&mut self) -> Option<Event<'_>> {
        let Some(event) = self.events.pop_front() else {
            self.clear_inbox();
            return None;
        };
        Some(match event {
            QueuedEvent::StateChanged { from, to } => Event::StateChanged { from, to },
            QueuedEvent::OpenLink => Event::OpenLink,
            QueuedEvent::CloseLink => Event::CloseLink,
            QueuedEvent::LoggedOn => Event::LoggedOn,
            QueuedEvent::LoggedOut(text) => Event::LoggedOut { text },
            // The stash is cleared only once no event refers to it, so the
            // lookups find their message; a miss would be reported, not
            // skipped.
            QueuedEvent::App(kept) => self.message_event(kept, true),
            QueuedEvent::Admin(kept) => self.message_event(kept, false),
            QueuedEvent::Rejected {
                ref_seq_num,
                reason,
                ref_tag_id,
                business_reason,
                text,
                message,
            } => {
                let message = match message {
                    RejectedMessage::Stashed(kept) => self.inbox.get(kept),
                    RejectedMessage::Raw(bytes) => {
                        // Kept in the session so that the event can
                        // borrow it, as it borrows the stash.
                        self.rejected_raw = bytes;
                        None
                    }
                };
                let bytes = match &message {
                    Some(m) => m.as_bytes(),
                    None => &self.rejected_raw,
                };
                Event::Rejected {
                    ref_seq_num,
                    reason,
                    ref_tag_id,
                    business_reason,
                    text,
                    message,
                    bytes,
                }
            }
            QueuedEvent::Garbled { error, dropped } => Event::Garbled { error, dropped },
            QueuedEvent::Undelivered { msg, reason } => Event::Undelivered { msg, reason },
            QueuedEvent::Error(e) => Event::Error(e),
            QueuedEvent::Warning(w) => Event::Warning(w),
        })
    }

    /// Whether [`poll_event`](Session::poll_event) would return an event
    /// now: `false` when none is queued, and while an [`Event::CloseLink`]
    /// waits for the bytes before it to be written. A driver whose write
    /// emptied [`poll_transmit`](Session::poll_transmit) checks it to
    /// pick up the close it released.
    #[must_use]
    pub fn has_event(&self) -> bool {
        match self.events.front() {
            None => false,
            Some(QueuedEvent::CloseLink) => self.tx_start >= self.tx.len(),
            Some(_) => true,
        }
    }

    /// Whether an [`Event::CloseLink`] is held back for bytes not yet
    /// written. A peer that reads nothing would keep it back for ever: a
    /// driver bounds the wait here (its close timeout), then drops the
    /// link and calls [`handle_link_down`](Session::handle_link_down),
    /// which drops the bytes and releases the close.
    #[must_use]
    pub fn close_pending(&self) -> bool {
        matches!(self.events.front(), Some(QueuedEvent::CloseLink)) && self.tx_start < self.tx.len()
    }

    /// The earliest instant at which [`handle_timeout`](Session::handle_timeout)
    /// must be called; `None` when no timer runs.
    ///
    /// Call it after draining the other outputs of every input; the value
    /// only changes through inputs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The event of a received message kept in the inbox, which becomes
    /// the one the application may reject.
    fn message_event(&mut self, kept: Stashed, app: bool) -> Event<'_> {
        self.rejectable = Some(Rejectable {
            kept,
            moved: false,
            app,
        });
        match self.inbox.get(kept) {
            Some(msg) if app => Event::AppMessage(msg),
            Some(msg) => Event::AdminMessage(msg),
            None => Event::Error(PeerError::Unparseable(ParseError::Unterminated).into()),
        }
    }

    /// Gives back memory the session's buffers hold beyond `keep` bytes
    /// each (the bytes they still hold stay): the transmit and receive
    /// buffers, spare receive buffers and resend scratch space. A peer
    /// that stops reading can make the transmit buffer grow to the
    /// driver's outgoing bound; call this once such a link is closed (and
    /// its pending bytes dropped) so that the memory is not kept for the
    /// life of the session. Buffers already within `keep` are left alone,
    /// so calling it after every link costs nothing in steady state.
    pub fn shrink_buffers(&mut self, keep: usize) {
        if self.tx.capacity() > keep {
            self.tx.drain(..self.tx_start);
            self.tx_start = 0;
            self.tx.shrink_to(keep);
        }
        if let Some(input) = &mut self.input {
            if input.decoder.capacity() > keep {
                input.decoder.shrink_to(keep);
            }
        }
        self.buffer_pool.retain(|b| b.capacity() <= keep);
        if self.resend_scratch.capacity() > keep {
            self.resend_scratch = Vec::new();
        }
    }

    // ---- internals shared by the submodules ----

    /// Housekeeping at the start of every input: the delivery buffer can be
    /// reused once every event that points into it was polled.
    fn begin_input(&mut self) {
        if self.events.is_empty() {
            self.clear_inbox();
        }
    }

    /// Empties the delivery buffer for reuse, keeping the message the
    /// application may still reject (by swapping buffers, not copying).
    #[inline]
    fn clear_inbox(&mut self) {
        if let Some(r) = &mut self.rejectable {
            if !r.moved {
                std::mem::swap(&mut self.inbox, &mut self.rejectable_stash);
                r.moved = true;
            }
        }
        self.inbox.clear();
    }

    fn begin_string(&self) -> &'static str {
        self.config.version.begin_string()
    }

    fn set_state(&mut self, to: SessionState) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.events
                .push_back(QueuedEvent::StateChanged { from, to });
        }
    }

    fn push_error(&mut self, error: impl Into<SessionError>) {
        self.events.push_back(QueuedEvent::Error(error.into()));
    }

    /// Whether the store holds changes not yet flushed: typically the
    /// incoming MsgSeqNum of messages processed since bytes were last
    /// handed out (see [`flush_store`](Session::flush_store)).
    pub fn store_needs_flush(&self) -> bool {
        self.store_dirty
    }

    /// Makes what the session recorded in its store durable by the
    /// store's policy (a file store writes to the operating system, and
    /// syncs as its durability mode says). [`poll_transmit`](Session::poll_transmit)
    /// does it before handing out bytes; a session that only receives
    /// sends nothing, so a driver calls this at least once per pass of its
    /// loop for each session whose [`store_needs_flush`](Session::store_needs_flush)
    /// is set. The incoming MsgSeqNum of every processed message is then as
    /// durable as an outgoing message, and after a crash only what arrived
    /// since the last flush is asked for again.
    ///
    /// Returns `false` when the store failed; the error is queued as an
    /// [`Event::Error`] (drain [`poll_event`](Session::poll_event)).
    pub fn flush_store(&mut self) -> bool {
        if self.store_dirty {
            self.store_dirty = false;
            if let Err(e) = self.store.flush() {
                self.push_error(e);
                return false;
            }
        }
        true
    }

    fn set_next_target(&mut self, seq: SeqNum) {
        if seq > 2 {
            // A message after the peer's Logon (counted as 1) was
            // processed: the peer numbers from the reset too.
            self.reset_unconfirmed = false;
        }
        self.next_target = seq;
        self.store_dirty = true;
        if let Err(e) = self.store.set_next_target_seq_num(seq) {
            self.push_error(e);
        }
    }

    /// Resets the store and both sequence numbers to 1.
    fn reset_store(&mut self, utc: UtcTimestamp) {
        if let Err(e) = self.store.reset(utc) {
            self.push_error(e);
        }
        self.store_dirty = true;
        self.next_sender = 1;
        self.next_target = 1;
        self.clear_gap_state();
        self.withdrawn.clear();
        self.unnumber_late();
    }

    /// Forgets the out-of-order queue and our outstanding ResendRequest.
    fn clear_gap_state(&mut self) {
        while let Some((_, buf)) = self.out_of_order.pop_first() {
            self.recycle(buf);
        }
        self.resend_requested = None;
        self.timers.stop(Timer::Resend);
    }

    fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > 0 && self.buffer_pool.len() < MAX_POOLED_BUFFERS {
            buf.clear();
            self.buffer_pool.push(buf);
        }
    }

    /// The TestRequest delay: HeartBtInt x (1 + TestRequestDelayMultiplier).
    /// Computed again only when either changes: it is needed for every
    /// message received, and the float conversion is not free.
    fn idle_timeout(&mut self) -> Duration {
        let key = (
            self.heart_bt_int,
            self.config.test_request_delay_multiplier.to_bits(),
        );
        match self.idle_timeout_cache {
            Some((k, d)) if k == key => d,
            _ => {
                let factor = 1.0 + self.config.test_request_delay_multiplier;
                let d = Duration::try_from_secs_f64(self.heart_bt_int as f64 * factor)
                    .unwrap_or(Duration::MAX);
                self.idle_timeout_cache = Some((key, d));
                d
            }
        }
    }

    /// How long our ResendRequest may go without progress before it is sent
    /// again (a lost request or answer must not stall the session).
    fn resend_timeout(&self) -> Duration {
        Duration::from_secs(self.heart_bt_int.max(1) as u64)
    }

    /// Records that something was received: restarts the TestRequest timer.
    fn note_received(&mut self, now: Instant) {
        self.last_received = now;
        if self.state == SessionState::Established && self.heart_bt_int > 0 {
            let idle = self.idle_timeout();
            self.timers.set(Timer::TestRequest, deadline(now, idle));
        }
    }

    /// Records that a message was sent: restarts the Heartbeat timer.
    fn note_sent(&mut self, now: Instant) {
        if self.state == SessionState::Established && self.heart_bt_int > 0 {
            self.timers.set(
                Timer::Heartbeat,
                deadline(now, Duration::from_secs(self.heart_bt_int as u64)),
            );
        }
    }

    /// Starts the heartbeat timers on entering `Established`.
    fn start_heartbeats(&mut self, now: Instant) {
        self.note_sent(now);
        self.note_received(now);
    }

    /// Asks the transport to close the link, then ends the connection.
    fn close_link(&mut self, ending: Ending, now: Instant, utc: UtcTimestamp) {
        if self.link_up {
            self.link_up = false;
            self.events.push_back(QueuedEvent::CloseLink);
        }
        self.end_connection(ending, now, utc);
    }

    /// The connection is over: clear its state, apply the reset options and
    /// choose the next state (reconnect or terminate).
    fn end_connection(&mut self, ending: Ending, now: Instant, utc: UtcTimestamp) {
        for t in [
            Timer::Logon,
            Timer::Logout,
            Timer::Heartbeat,
            Timer::TestRequest,
            Timer::Linger,
            Timer::Resend,
        ] {
            self.timers.stop(t);
        }
        let logout_kind = self.logout_kind.take();
        self.logout_text = None;
        self.test_request = None;
        if std::mem::take(&mut self.reset_sent) {
            // Our Logon(141=Y) was not answered on this link: the peer may
            // or may not have reset, so the next Logon asks again.
            self.reset_on_next_logon = true;
        }
        if std::mem::take(&mut self.reset_unconfirmed) {
            // The peer may never have seen the reset in our Logon reply.
            self.reset_on_next_logon = true;
        }
        self.clear_gap_state();
        // ResetOnLogout, as QuickFIX: after the peer's Logout, whether it
        // answered ours (even one for an error) or began the exchange; not
        // when our Logout went unanswered.
        let logged_out = std::mem::take(&mut self.logout_received) && self.config.reset_on_logout;
        let period_changed = std::mem::take(&mut self.reset_after_close);
        if self.config.reset_on_disconnect || logged_out || period_changed {
            self.reset_store(utc);
        }
        let reconnect = self.config.role == Role::Initiator
            && !self.stop_requested
            && (ending == Ending::Failed || logout_kind == Some(LogoutKind::Schedule));
        if reconnect {
            if self.outside_period(utc) {
                // Wait for the period to start; the schedule timer wakes us.
                self.set_state(SessionState::Reconnect);
            } else if self.config.reconnect_max_tries < 0
                || self.reconnect_attempts < self.config.reconnect_max_tries as u32
            {
                self.set_state(SessionState::Reconnect);
                self.timers.set(
                    Timer::Reconnect,
                    deadline(now, self.config.reconnect_interval),
                );
            } else {
                self.set_state(SessionState::NonGracefullyTerminated);
            }
        } else {
            self.set_state(match ending {
                Ending::LoggedOut => SessionState::CorrectlyTerminated,
                Ending::Failed | Ending::Dropped => SessionState::NonGracefullyTerminated,
            });
        }
    }

    /// Sends Logout and waits for the reply (LogoutTimeout).
    fn start_logout(
        &mut self,
        kind: LogoutKind,
        text: Option<String>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.send_logout(text.as_deref(), now, utc);
        self.logout_kind = Some(kind);
        self.logout_text = text;
        self.set_state(SessionState::WaitForConfirmLogout);
        self.timers.stop(Timer::Heartbeat);
        self.timers.stop(Timer::TestRequest);
        self.timers
            .set(Timer::Logout, deadline(now, self.config.logout_timeout));
    }

    /// A protocol error that ends the session: report it, send Logout with
    /// `text`, wait for the reply (or LogoutTimeout), then close; only the
    /// peer's Logout is processed meanwhile.
    fn fatal_logout(&mut self, text: String, error: PeerError, now: Instant, utc: UtcTimestamp) {
        self.error_logout(LogoutKind::Error, text, error, now, utc);
    }

    /// As [`fatal_logout`](Session::fatal_logout) for a problem in one
    /// message's header: the peer's other messages are still processed
    /// while the Logout reply is awaited.
    fn header_error_logout(
        &mut self,
        text: String,
        error: PeerError,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.error_logout(LogoutKind::HeaderError, text, error, now, utc);
    }

    /// Ends the session for an error of `kind` ([`LogoutKind::Error`] or
    /// [`LogoutKind::HeaderError`]).
    fn error_logout(
        &mut self,
        kind: LogoutKind,
        text: String,
        error: PeerError,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.push_error(error);
        match self.state {
            SessionState::Established => {
                self.start_logout(kind, Some(text), now, utc);
            }
            SessionState::WaitForConfirmLogout => {
                // The stricter kind wins: once input is ignored, it stays so.
                if self.logout_kind != Some(LogoutKind::Error) {
                    self.logout_kind = Some(kind);
                }
            }
            _ => {
                if self.link_up {
                    self.send_logout(Some(&text), now, utc);
                }
                self.close_link(Ending::Failed, now, utc);
            }
        }
    }

    fn on_timer(&mut self, timer: Timer, now: Instant, utc: UtcTimestamp) {
        match timer {
            Timer::Logon => {
                if matches!(
                    self.state,
                    SessionState::WaitForConfirmLogon | SessionState::WaitForFirstLogon
                ) {
                    self.push_error(PeerError::LogonTimeout);
                    self.close_link(Ending::Failed, now, utc);
                }
            }
            Timer::Logout => {
                if self.state == SessionState::WaitForConfirmLogout {
                    let ending = if self.logout_kind.is_some_and(LogoutKind::is_error) {
                        Ending::Failed
                    } else {
                        Ending::LoggedOut
                    };
                    self.push_error(PeerError::LogoutTimeout);
                    let text = self.logout_text.take();
                    self.events.push_back(QueuedEvent::LoggedOut(text));
                    self.close_link(ending, now, utc);
                }
            }
            Timer::Heartbeat => {
                if self.state == SessionState::Established && self.link_up {
                    self.send_heartbeat(None, now, utc);
                }
            }
            Timer::TestRequest => {
                // Fired while reading is paused: nothing; resuming
                // restarts the timer.
                if self.state == SessionState::Established && self.link_up && !self.reading_paused {
                    match self.test_request {
                        Some(pending) if self.last_received <= pending.sent_at => {
                            self.push_error(PeerError::TestRequestTimeout {
                                test_req_id: pending.id,
                            });
                            self.close_link(Ending::Failed, now, utc);
                        }
                        _ => {
                            self.test_req_counter += 1;
                            let id = self.test_req_counter;
                            self.send_test_request(id, now, utc);
                            self.test_request = Some(PendingTestRequest { id, sent_at: now });
                            let idle = self.idle_timeout();
                            self.timers.set(Timer::TestRequest, deadline(now, idle));
                        }
                    }
                }
            }
            Timer::Reconnect => {
                if self.state == SessionState::Reconnect && !self.link_up {
                    if self.outside_period(utc) {
                        return;
                    }
                    self.reconnect_attempts += 1;
                    self.set_state(SessionState::WaitForConnect);
                    self.events.push_back(QueuedEvent::OpenLink);
                }
            }
            Timer::Linger => {
                if self.link_up {
                    self.link_up = false;
                    self.events.push_back(QueuedEvent::CloseLink);
                }
            }
            Timer::Resend => {
                if let (SessionState::Established, true, Some(progress)) =
                    (self.state, self.link_up, self.resend_requested)
                {
                    self.resend_requested = None;
                    self.request_resend(progress.end_target + 1, now, utc);
                }
            }
            Timer::LateDelivery => self.expire_late(now),
            Timer::Schedule => self.check_schedule(now, utc),
        }
    }

    /// Whether `utc` is outside the times the session may be logged on:
    /// outside the schedule's periods or its logon window.
    fn outside_period(&self, utc: UtcTimestamp) -> bool {
        let outside = |s: &Option<crate::schedule::Schedule>| {
            s.as_ref().is_some_and(|s| !s.is_in_session(utc))
        };
        outside(&self.config.schedule) || outside(&self.config.logon_window)
    }

    /// Applies the schedule at `utc`: a new period resets sequence numbers
    /// (logging out first if logged on), the end of a period or of the
    /// logon window logs out or stops connecting, the start of one lets an
    /// initiator connect; then arms the timer for the next boundary.
    fn check_schedule(&mut self, now: Instant, utc: UtcTimestamp) {
        let (schedule, window) = (self.config.schedule, self.config.logon_window);
        if schedule.is_none() && window.is_none() {
            self.timers.stop(Timer::Schedule);
            return;
        }
        let in_period = match schedule.map(|s| s.period_start(utc)) {
            None => true,
            Some(None) => false,
            Some(Some(start)) => {
                if self.store.creation_time() < start {
                    match self.state {
                        SessionState::Established => {
                            self.reset_after_close = true;
                            self.start_logout(
                                LogoutKind::Schedule,
                                Some("New session period".to_string()),
                                now,
                                utc,
                            );
                        }
                        _ if self.link_up => self.reset_after_close = true,
                        _ => self.reset_store(utc),
                    }
                }
                true
            }
        };
        let in_window = window.is_none_or(|w| w.is_in_session(utc));
        if in_period && in_window {
            if self.config.role == Role::Initiator
                && self.state == SessionState::Reconnect
                && !self.stop_requested
                && self.timers.get(Timer::Reconnect).is_none()
            {
                self.timers.set(Timer::Reconnect, now);
            }
        } else {
            match self.state {
                SessionState::Established => {
                    let text = if in_period {
                        "Logon window ended"
                    } else {
                        "Session period ended"
                    };
                    self.start_logout(LogoutKind::Schedule, Some(text.to_string()), now, utc);
                }
                SessionState::WaitForConfirmLogon | SessionState::WaitForFirstLogon => {
                    self.push_error(PeerError::OutsideSessionTime);
                    self.close_link(Ending::Failed, now, utc);
                }
                SessionState::Reconnect => self.timers.stop(Timer::Reconnect),
                _ => {}
            }
        }
        let next = [schedule, window]
            .into_iter()
            .flatten()
            .flat_map(|s| [s.next_start(utc), s.next_end(utc)])
            .flatten()
            .min();
        match next {
            Some(next) => {
                let wait = u64::try_from(next.nanos_since(utc).max(0)).unwrap_or(u64::MAX);
                self.timers
                    .set(Timer::Schedule, deadline(now, Duration::from_nanos(wait)));
            }
            None => self.timers.stop(Timer::Schedule),
        }
    }
}

/// The framing options a configuration asks for.
fn frame_config(config: &SessionConfig) -> FrameConfig {
    FrameConfig {
        max_message_size: config.max_message_size,
        verify_checksum: config.validate_checksum,
    }
}

/// The timestamp precision to write: FIX 4.0 and 4.1 have no fractions.
fn precision(config: &SessionConfig) -> TimePrecision {
    match config.version {
        FixVersion::Fix40 | FixVersion::Fix41 => TimePrecision::Seconds,
        _ => config.timestamp_precision,
    }
}

/// The late-delivery setting's time to live, if any.
fn late_ttl(late: LateDelivery) -> Option<Duration> {
    match late {
        LateDelivery::QueueFor(ttl) => Some(ttl),
        LateDelivery::Queue | LateDelivery::Reject => None,
    }
}
