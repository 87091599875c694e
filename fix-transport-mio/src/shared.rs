//! What the event loop and a session's handles share: the session's slot
//! ([`SessionRef`]), its published state and sequence numbers, and the
//! inbox of messages put on it ([`SessionShared`]).
//!
//! Handles write the inbox and read the rest; only the loop thread writes
//! the state, the sequence numbers and the backlog counters.

use fixrs_proto::MessageBuilder;
use fixrs_session::{LateDelivery, SeqNum, SessionKey, SessionState};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize};
use std::sync::{Arc, Mutex};

/// The slot of a session in its engine: index and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SessionRef {
    pub(crate) idx: u32,
    pub(crate) gen: u32,
}

/// Messages put on a session and not yet taken by the event loop, encoded
/// as records: MsgType length, header length, body length (u32 LE each),
/// then the three byte strings.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    pub(crate) buf: Vec<u8>,
    /// Whether a command telling the loop to drain this inbox is queued.
    pub(crate) scheduled: bool,
}

impl Inbox {
    /// Appends one message.
    pub(crate) fn push(&mut self, msg: &MessageBuilder) {
        let (t, h, b) = (msg.msg_type(), msg.header(), msg.body());
        self.buf.reserve(12 + t.len() + h.len() + b.len());
        for part in [t, h, b] {
            self.buf
                .extend_from_slice(&(part.len() as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(t);
        self.buf.extend_from_slice(h);
        self.buf.extend_from_slice(b);
    }
}

/// Reads the records of an inbox buffer back, one message at a time, into a
/// reused builder.
pub(crate) fn next_record(buf: &[u8], pos: &mut usize, out: &mut MessageBuilder) -> bool {
    use fixrs_proto::FieldWriter;
    let Some(head) = buf.get(*pos..*pos + 12) else {
        return false;
    };
    let len = |i: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&head[i * 4..i * 4 + 4]);
        u32::from_le_bytes(b) as usize
    };
    let (t, h, b) = (len(0), len(1), len(2));
    let start = *pos + 12;
    let (Some(msg_type), Some(header), Some(body)) = (
        buf.get(start..start + t),
        buf.get(start + t..start + t + h),
        buf.get(start + t + h..start + t + h + b),
    ) else {
        return false;
    };
    out.reset(msg_type);
    out.header_mut().push_raw(header);
    out.push_raw(body);
    *pos = start + t + h + b;
    true
}

/// State of a session shared between the event loop and handles.
#[derive(Debug)]
pub(crate) struct SessionShared {
    pub(crate) sref: SessionRef,
    pub(crate) key: Arc<SessionKey>,
    pub(crate) is_initiator: bool,
    pub(crate) rejects_late_delivery: bool,
    pub(crate) state: AtomicU8,
    pub(crate) next_in: AtomicU64,
    pub(crate) next_out: AtomicU64,
    /// Bytes the session has encoded but not yet written to the socket.
    pub(crate) unsent: AtomicUsize,
    /// Bytes of put messages the loop took from the inbox but has not yet
    /// given to the session (waiting for the socket to drain).
    pub(crate) held: AtomicUsize,
    pub(crate) closed: AtomicBool,
    pub(crate) inbox: Mutex<Inbox>,
    /// Set when messages are put, cleared when the loop takes them: lets
    /// the loop send what a callback put right away.
    pub(crate) inbox_pending: AtomicBool,
    /// What the current link's transport proved about the peer.
    pub(crate) peer_identity: Mutex<Option<PeerIdentity>>,
    /// Bound of the outgoing backlog, in bytes.
    pub(crate) max_outgoing_bytes: usize,
    /// Set by the loop thread while it services the session: what the
    /// session's callbacks put is then taken by that same service, with no
    /// Drain command. Only the loop thread writes it, and it is only
    /// consulted on the loop thread.
    pub(crate) in_service: AtomicBool,
    /// A callback of the session put a message while the loop thread
    /// serviced it (an answer to the message being handled). Only the loop
    /// thread writes and reads it.
    pub(crate) answered: AtomicBool,
}

/// A transport's proof of the peer's identity (see
/// [`Transport::peer_identity`](crate::Transport::peer_identity)).
pub(crate) type PeerIdentity = Arc<dyn std::any::Any + Send + Sync>;

impl SessionShared {
    pub(crate) fn new(
        sref: SessionRef,
        key: SessionKey,
        config: &fixrs_session::SessionConfig,
        state: SessionState,
        next_in: SeqNum,
        next_out: SeqNum,
        max_outgoing_bytes: usize,
    ) -> SessionShared {
        SessionShared {
            sref,
            key: Arc::new(key),
            is_initiator: config.role == fixrs_session::Role::Initiator,
            rejects_late_delivery: config.late_delivery == LateDelivery::Reject,
            state: AtomicU8::new(state_to_u8(state)),
            next_in: AtomicU64::new(next_in),
            next_out: AtomicU64::new(next_out),
            unsent: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            inbox: Mutex::new(Inbox::default()),
            inbox_pending: AtomicBool::new(false),
            peer_identity: Mutex::new(None),
            max_outgoing_bytes,
            in_service: AtomicBool::new(false),
            answered: AtomicBool::new(false),
        }
    }

    /// Publishes (or clears) the current link's peer identity.
    pub(crate) fn set_peer_identity(&self, identity: Option<PeerIdentity>) {
        if let Ok(mut slot) = self.peer_identity.lock() {
            *slot = identity;
        }
    }
}

/// Every state, in the order of their `u8` codes.
const STATES: [SessionState; 9] = [
    SessionState::Initial,
    SessionState::WaitForConnect,
    SessionState::WaitForConfirmLogon,
    SessionState::Established,
    SessionState::Reconnect,
    SessionState::WaitForConfirmLogout,
    SessionState::CorrectlyTerminated,
    SessionState::NonGracefullyTerminated,
    SessionState::WaitForFirstLogon,
];

pub(crate) fn state_to_u8(state: SessionState) -> u8 {
    STATES.iter().position(|s| *s == state).unwrap_or(0) as u8
}

pub(crate) fn state_from_u8(code: u8) -> SessionState {
    STATES
        .get(code as usize)
        .copied()
        .unwrap_or(SessionState::Initial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixrs_proto::FieldWriter;

    #[test]
    fn inbox_records_give_back_each_message() {
        let mut inbox = Inbox::default();
        let mut a = MessageBuilder::new(b"D");
        a.push_str(11, "A").push_str(55, "X");
        a.header_mut().push_str(115, "ONBEHALF");
        let mut b = MessageBuilder::new(b"AE");
        b.push_str(571, "R1");
        inbox.push(&a);
        inbox.push(&b);
        let mut out = MessageBuilder::default();
        let mut pos = 0;
        assert!(next_record(&inbox.buf, &mut pos, &mut out));
        assert_eq!(out, a);
        assert!(next_record(&inbox.buf, &mut pos, &mut out));
        assert_eq!(out, b);
        assert!(!next_record(&inbox.buf, &mut pos, &mut out));
        // A truncated record is not read.
        let mut pos = 0;
        assert!(!next_record(&inbox.buf[..10], &mut pos, &mut out));
    }

    #[test]
    fn every_state_survives_its_code() {
        for s in STATES {
            assert_eq!(state_from_u8(state_to_u8(s)), s);
        }
    }
}
