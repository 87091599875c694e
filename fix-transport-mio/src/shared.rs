//! What the event loop and a session's handles share: the session's slot
//! ([`SessionRef`]), its published state and sequence numbers, and the
//! inbox of messages put on it ([`SessionShared`]).
//!
//! Handles write the inbox and read the rest; only the loop thread writes
//! the state, the sequence numbers and the backlog counters.

use fixrs_proto::MessageBuilder;
use fixrs_session::{LateDelivery, SeqNum, SessionKey, SessionState};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

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
        // The three lengths in one copy.
        let mut lens = [0u8; 12];
        for (i, part) in [t, h, b].iter().enumerate() {
            lens[i * 4..i * 4 + 4].copy_from_slice(&(part.len() as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(&lens);
        self.buf.extend_from_slice(t);
        // Most messages have no extra header fields: skip the empty copy.
        if !h.is_empty() {
            self.buf.extend_from_slice(h);
        }
        self.buf.extend_from_slice(b);
    }
}

/// One message read back from an inbox record: MsgType, extra header
/// fields and body fields, encoded as put.
pub(crate) struct Record<'a> {
    pub(crate) msg_type: &'a [u8],
    pub(crate) header: &'a [u8],
    pub(crate) body: &'a [u8],
}

/// Reads the record at `*pos` of an inbox buffer back (borrowing its
/// bytes: the session encodes straight from them) and moves `pos` past it.
pub(crate) fn next_record<'a>(buf: &'a [u8], pos: &mut usize) -> Option<Record<'a>> {
    let head = buf.get(*pos..*pos + 12)?;
    let len = |i: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&head[i * 4..i * 4 + 4]);
        u32::from_le_bytes(b) as usize
    };
    let (t, h, b) = (len(0), len(1), len(2));
    let start = *pos + 12;
    let record = Record {
        msg_type: buf.get(start..start + t)?,
        header: buf.get(start + t..start + t + h)?,
        body: buf.get(start + t + h..start + t + h + b)?,
    };
    *pos = start + t + h + b;
    Some(record)
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
    /// Threads waiting for a state (`SessionHandle::wait_for_state`).
    waiters: AtomicUsize,
    /// Held by a waiter while it checks the state, and by the loop while
    /// it wakes waiters, so that no change falls between the two.
    state_lock: Mutex<()>,
    state_changed: Condvar,
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
            waiters: AtomicUsize::new(0),
            state_lock: Mutex::new(()),
            state_changed: Condvar::new(),
        }
    }

    /// Publishes the session's sequence numbers (loop thread only).
    pub(crate) fn publish_seq_nums(&self, next_in: SeqNum, next_out: SeqNum) {
        self.next_in.store(next_in, Ordering::Release);
        self.next_out.store(next_out, Ordering::Release);
    }

    /// Publishes the session's state (loop thread only), waking threads
    /// waiting for a state when it changed.
    pub(crate) fn publish_state(&self, state: SessionState) {
        let code = state_to_u8(state);
        // Only the loop thread writes it: comparing first keeps the
        // common case (no change) to a plain load.
        if self.state.load(Ordering::Relaxed) != code {
            self.state.store(code, Ordering::SeqCst);
            self.wake_waiters();
        }
    }

    /// Marks the session closed (finalized, or its engine stopped), waking
    /// threads waiting for a state.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake_waiters();
    }

    fn wake_waiters(&self) {
        // SeqCst pairs with the waiter's increment before it looks at the
        // state: either it sees the new state, or it is counted here.
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = self.state_lock.lock();
            self.state_changed.notify_all();
        }
    }

    /// Waits until `done(state, closed)` holds, checking it at once and
    /// whenever the state changes or the session closes, until `until`
    /// (`None`: no limit). Returns whether it held.
    pub(crate) fn wait_for(
        &self,
        until: Option<Instant>,
        mut done: impl FnMut(SessionState, bool) -> bool,
    ) -> bool {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let check = |s: &SessionShared| {
            let state = state_from_u8(s.state.load(Ordering::SeqCst));
            (state, s.closed.load(Ordering::SeqCst))
        };
        let held = match self.state_lock.lock() {
            Ok(mut guard) => loop {
                let (state, closed) = check(self);
                if done(state, closed) {
                    break true;
                }
                let left = match until {
                    Some(end) => match end.checked_duration_since(Instant::now()) {
                        Some(left) if !left.is_zero() => Some(left),
                        _ => break false,
                    },
                    None => None,
                };
                let woken = match left {
                    Some(left) => self
                        .state_changed
                        .wait_timeout(guard, left)
                        .map(|(g, _)| g)
                        .ok(),
                    None => self.state_changed.wait(guard).ok(),
                };
                match woken {
                    Some(g) => guard = g,
                    None => break false,
                }
            },
            Err(_) => false,
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        held || {
            let (state, closed) = check(self);
            done(state, closed)
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
        let mut pos = 0;
        for want in [&a, &b] {
            let got = next_record(&inbox.buf, &mut pos).expect("a record");
            assert_eq!(got.msg_type, want.msg_type());
            assert_eq!(got.header, want.header());
            assert_eq!(got.body, want.body());
        }
        assert!(next_record(&inbox.buf, &mut pos).is_none());
        // A truncated record is not read.
        let mut pos = 0;
        assert!(next_record(&inbox.buf[..10], &mut pos).is_none());
        let mut pos = 0;
        assert!(next_record(&inbox.buf[..inbox.buf.len() - 1], &mut pos).is_some());
        assert!(next_record(&inbox.buf[..inbox.buf.len() - 1], &mut pos).is_none());
    }

    #[test]
    fn a_waiter_wakes_when_the_state_changes_and_when_the_session_closes() {
        let config =
            fixrs_session::SessionConfig::initiator(fixrs_proto::FixVersion::Fix44, "A", "B");
        let shared = Arc::new(SessionShared::new(
            SessionRef { idx: 0, gen: 0 },
            config.key(),
            &config,
            SessionState::Initial,
            1,
            1,
            1 << 20,
        ));
        let waiting = |until: SessionState| {
            let shared = shared.clone();
            // No limit: only the change can end the wait.
            std::thread::spawn(move || shared.wait_for(None, |s, _| s == until))
        };
        let established = waiting(SessionState::Established);
        let logged_on = std::thread::spawn({
            let shared = shared.clone();
            move || shared.wait_for(None, |s, closed| s == SessionState::Established || closed)
        });
        shared.publish_state(SessionState::WaitForConnect);
        shared.publish_state(SessionState::Established);
        assert!(established.join().expect("waiter"));
        assert!(logged_on.join().expect("waiter"));
        let closed = std::thread::spawn({
            let shared = shared.clone();
            move || shared.wait_for(None, |_, closed| closed)
        });
        shared.close();
        assert!(closed.join().expect("waiter"));
        // A limit that passes without the state.
        let soon = Instant::now() + std::time::Duration::from_millis(10);
        assert!(!shared.wait_for(Some(soon), |s, _| s == SessionState::Initial));
    }

    #[test]
    fn every_state_survives_its_code() {
        for s in STATES {
            assert_eq!(state_from_u8(state_to_u8(s)), s);
        }
    }
}
