//! Errors of the session layer. What went wrong in a session
//! ([`SessionError`]) is split by whose fault it is: the peer's
//! ([`PeerError`]), the driver's ([`CallerError`]), the configuration's
//! ([`ConfigError`]), or the store's ([`StoreError`]). Something unusual
//! the session accepted is not an error but a
//! [`SessionWarning`](crate::SessionWarning). Why a message could not be
//! sent is a [`SendError`].

use crate::state::SessionState;
use crate::store::{SeqNum, StoreError};
use fixrs_proto::Tag;

/// A problem in a session, reported as [`Event::Error`](crate::Event::Error)
/// or returned by [`Session::new`](crate::Session::new), by whose fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The counterparty broke the protocol or stopped answering; the
    /// session has acted on it (Logout, disconnect, resend request...).
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The driver called the session out of order.
    #[error(transparent)]
    Caller(#[from] CallerError),
    /// The configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed; the session carries on with its in-memory state.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the counterparty did wrong (or failed to do), as
/// [`SessionError::Peer`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The first message on a link was not a Logon (test cases 1B e, 2S).
    #[error("first message not a logon (MsgType {msg_type})")]
    FirstMessageNotLogon {
        /// MsgType(35) of the message received instead.
        msg_type: String,
    },
    /// No Logon (or Logon reply) arrived within LogonTimeout.
    #[error("no logon received within the logon timeout")]
    LogonTimeout,
    /// No Logout reply arrived within LogoutTimeout.
    #[error("no logout reply received within the logout timeout")]
    LogoutTimeout,
    /// The peer answered our Logon with a Logout.
    #[error("logon refused by the counterparty: {text}")]
    LogonRefused {
        /// Text(58) of the peer's Logout, if any.
        text: String,
    },
    /// A Logon (or Logon reply) was invalid; a Logout with this text was
    /// sent and the link closed (test cases 1B d, 1S d).
    #[error("invalid logon: {reason}")]
    InvalidLogon {
        /// What was wrong, as sent in Text(58) of our Logout.
        reason: String,
    },
    /// A Logon from an identity (CompIDs) that is not this session's; the
    /// link was closed without sending anything (test case 1S c).
    #[error("logon from unknown identity: {reason}")]
    UnknownIdentity {
        /// Which CompID did not match.
        reason: String,
    },
    /// A Logon arrived outside the session's scheduled period.
    #[error("logon outside the session period")]
    OutsideSessionTime,
    /// BeginString(8) of an incoming message is not the session's (2i).
    #[error("incorrect BeginString: expected {expected}, received {received}")]
    IncorrectBeginString {
        /// The session's BeginString.
        expected: String,
        /// The one received.
        received: String,
    },
    /// SenderCompID(49) or TargetCompID(56) of an incoming message does
    /// not match (2k).
    #[error("CompID problem: tag {tag} is {received:?}")]
    CompIdProblem {
        /// The offending tag (49 or 56).
        tag: Tag,
        /// The value received.
        received: String,
    },
    /// SendingTime(52) missing, malformed, or outside the accepted window (2o).
    #[error("SendingTime accuracy problem")]
    SendingTimeAccuracy,
    /// MsgSeqNum(34) missing or not a positive number.
    #[error("MsgSeqNum(34) missing or invalid")]
    MsgSeqNumMissing,
    /// MsgSeqNum lower than expected without PossDupFlag (2c, 10d).
    #[error("MsgSeqNum too low, expecting {expected} but received {received}")]
    MsgSeqNumTooLow {
        /// NextNumIn.
        expected: SeqNum,
        /// MsgSeqNum(34) received.
        received: SeqNum,
    },
    /// The peer's NextExpectedMsgSeqNum(789) is beyond anything we sent.
    #[error("NextExpectedMsgSeqNum {received} too high, next MsgSeqNum to send is {next_sender}")]
    NextExpectedMsgSeqNumTooHigh {
        /// NextExpectedMsgSeqNum(789) received.
        received: SeqNum,
        /// Our next outgoing MsgSeqNum.
        next_sender: SeqNum,
    },
    /// Nothing was received after a TestRequest: the link is considered lost (6).
    #[error("no answer to TestRequest {test_req_id}: link considered lost")]
    TestRequestTimeout {
        /// TestReqID(112) of the unanswered TestRequest.
        test_req_id: u64,
    },
    /// A message beyond a gap was dropped because the out-of-order queue
    /// is full; it will be asked for again.
    #[error("out-of-order queue full ({max} messages): MsgSeqNum {seq} dropped")]
    OutOfOrderQueueFull {
        /// MsgSeqNum of the dropped message.
        seq: SeqNum,
        /// The configured bound.
        max: usize,
    },
    /// A Logon arrived in the middle of a session without ResetSeqNumFlag.
    #[error("unexpected Logon while logged on")]
    UnexpectedLogon,
    /// A framed message could not be split into fields and its MsgSeqNum
    /// could not be read; it was dropped like a garbled one.
    #[error("unreadable message dropped: {0}")]
    Unparseable(fixrs_proto::ParseError),
    /// A message declared more bytes than MaxMessageSize: it was skipped
    /// whole, unread, leaving a gap that is asked for again.
    #[error("message of {size} bytes exceeds MaxMessageSize ({max} bytes): skipped")]
    MessageTooLarge {
        /// The size its header declared, in bytes.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
}

/// A session input the driver should not have given, as
/// [`SessionError::Caller`]. The session ignored it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallerError {
    /// The transport reported a link while one is already up.
    #[error("link up reported while already connected (state {state})")]
    LinkAlreadyUp {
        /// The state at the time.
        state: SessionState,
    },
}

/// A configuration the session cannot work with, as
/// [`SessionError::Config`] from [`Session::new`](crate::Session::new).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// SenderCompID(49) is empty.
    #[error("invalid session configuration: SenderCompID is empty")]
    EmptySenderCompId,
    /// TargetCompID(56) is empty.
    #[error("invalid session configuration: TargetCompID is empty")]
    EmptyTargetCompId,
    /// TestRequestDelayMultiplier is negative or not a number.
    #[error("invalid session configuration: TestRequestDelayMultiplier must be a non-negative number, not {0}")]
    TestRequestDelayMultiplier(f64),
    /// LateDeliveryMode=queue with a store that cannot keep pending
    /// messages.
    #[error("invalid session configuration: LateDeliveryMode=queue needs a store that keeps pending messages")]
    QueueNeedsPendingStore,
}

/// Why [`Session::send`](crate::Session::send) did not take a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session is not established and late delivery is set to reject.
    #[error("session not established (state {state}) and late delivery is off")]
    NotEstablished {
        /// The state at the time.
        state: SessionState,
    },
    /// The late-delivery queue holds `max_late_delivery` messages already.
    #[error("late-delivery queue full ({max} messages)")]
    QueueFull {
        /// The configured bound.
        max: usize,
    },
    /// The message is a session-level one the session sends itself
    /// (Heartbeat, TestRequest, ResendRequest, SequenceReset, Logout, Logon).
    #[error("MsgType {msg_type} is managed by the session and cannot be sent by the application")]
    SessionLevelMsgType {
        /// The MsgType(35) given.
        msg_type: String,
    },
    /// The message has no MsgType(35) or one with bytes FIX does not allow.
    #[error("invalid MsgType {msg_type:?}")]
    InvalidMsgType {
        /// The MsgType(35) given.
        msg_type: String,
    },
    /// The store failed to save the message; it was not sent.
    #[error(transparent)]
    Store(#[from] StoreError),
}
