//! FIX Session Layer Test Cases 16a and 16b: messages sent while not
//! established (late delivery), and the reject / time-to-live options.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{Driver, Recorded};
use fixrs_session::{
    LateDelivery, LateDeliveryMode, SendError, SessionState, Store, UndeliveredReason,
};
use std::time::Duration;

/// An initiator that logged on once and lost its link.
fn disconnected(config: fixrs_session::SessionConfig) -> Driver {
    let mut d = established(config);
    d.link_down();
    assert_eq!(d.session.state(), SessionState::Reconnect);
    d
}

/// Reconnects (after Reconnect.Interval) and logs on with the peer's
/// Logon reply; returns what was written.
fn reconnect(d: &mut Driver) -> fixrs_session::testing::Output {
    let out = d.advance(Duration::from_secs(30));
    assert!(out.has(&Recorded::OpenLink));
    let mut out = d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    out.extend(d.receive(logon));
    assert_eq!(d.session.state(), SessionState::Established);
    out
}

#[test]
fn case_16a_messages_put_while_disconnected_are_queued() {
    let mut d = disconnected(initiator());
    let (r1, out1) = d.try_send(&order(1));
    let (r2, out2) = d.try_send(&order(2));
    // They consume the next sequence numbers and wait.
    assert_eq!(r1.unwrap(), Some(2));
    assert_eq!(r2.unwrap(), Some(3));
    assert!(out1.bytes.is_empty() && out2.bytes.is_empty());
    assert_eq!(d.session.queued_len(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 4);
}

#[test]
fn case_16b_queue_is_sent_after_logon_and_resynchronisation() {
    let mut d = disconnected(initiator());
    let put_time = ts(d.clock.utc());
    d.send(&order(1));
    d.send(&order(2));
    let out = reconnect(&mut d);
    let logon = only(&out, b"A");
    assert_eq!(logon.seq(), 4);
    // The peer sees the gap 2..3 and asks for it.
    let out = {
        let utc = d.clock.utc();
        let rr = d
            .peer
            .msg(b"2", utc)
            .set(tag::BEGIN_SEQ_NO, "2")
            .set(tag::END_SEQ_NO, "0");
        d.receive(rr)
    };
    let sent_time = ts(d.clock.utc());
    assert_ne!(sent_time, put_time);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    for (m, (seq, id)) in msgs.iter().zip([(2, "ORD-1"), (3, "ORD-2")]) {
        assert_eq!(m.msg_type(), b"D");
        assert_eq!(m.seq(), seq);
        assert_eq!(m.text(11).as_deref(), Some(id));
        assert!(m.poss_dup());
        // SendingTime is the time it actually went out; OrigSendingTime
        // the time it was queued (and stored).
        assert_eq!(m.text(tag::SENDING_TIME), Some(sent_time.clone()));
        assert_eq!(m.text(tag::ORIG_SENDING_TIME), Some(put_time.clone()));
    }
    assert!(msgs[2].is_gap_fill());
    assert_eq!(msgs[2].seq(), 4);
    assert_eq!(msgs[2].num(tag::NEW_SEQ_NO), Some(5));
    assert_eq!(d.session.queued_len(), 0);
    // They were stored when queued: a later ResendRequest finds them.
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "2")
        .set(tag::END_SEQ_NO, "3");
    let again = d.receive(rr).messages();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].text(tag::ORIG_SENDING_TIME), Some(put_time));
    assert_eq!(again[0].get(11), msgs[0].get(11));
}

#[test]
fn case_16b_queued_messages_asked_for_out_of_order_all_go_out_and_leave_the_queue() {
    // The peer asks for the second queued message before the first (its
    // requests crossed a reset, say). Each goes out (with PersistMessages=N
    // too, where the queue holds the only copy: not gap-filled), and leaves
    // the queue: otherwise it would wait for a request that never comes
    // and, with a time to live, be reported undelivered although it was
    // delivered.
    for persist in [true, false] {
        let mut config = initiator();
        config.persist_messages = persist;
        config.late_delivery = LateDelivery::QueueFor(Duration::from_secs(120));
        let mut d = disconnected(config);
        d.send(&order(1));
        d.send(&order(2));
        reconnect(&mut d);
        let ask = |d: &mut Driver, begin: &str, end: &str| {
            let utc = d.clock.utc();
            let rr = d
                .peer
                .msg(b"2", utc)
                .set(tag::BEGIN_SEQ_NO, begin)
                .set(tag::END_SEQ_NO, end);
            d.receive(rr).messages()
        };
        for (seq, id) in [("3", "ORD-2"), ("2", "ORD-1")] {
            let out = ask(&mut d, seq, seq);
            assert_eq!(out.len(), 1, "persist {persist}: {out:?}");
            assert_eq!(out[0].text(11).as_deref(), Some(id), "persist {persist}");
        }
        assert_eq!(d.session.queued_len(), 0, "persist {persist}");
        let out = d.advance(Duration::from_secs(200));
        assert!(
            !out.events
                .iter()
                .any(|e| matches!(e, Recorded::Undelivered(..))),
            "persist {persist}: a delivered message reported undelivered: {:?}",
            out.events
        );
    }
}

#[test]
fn case_16b_queue_with_next_expected_msg_seq_num_goes_out_unasked() {
    let mut config = initiator();
    config.send_next_expected_msg_seq_num = true;
    let mut d = disconnected(config);
    d.send(&order(1));
    d.advance(Duration::from_secs(30));
    let out = d.link_up();
    assert_eq!(
        only(&out, b"A").num(tag::NEXT_EXPECTED_MSG_SEQ_NUM),
        Some(2)
    );
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::NEXT_EXPECTED_MSG_SEQ_NUM, "2");
    let msgs = d.receive(logon).messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].seq(), 2);
    assert!(msgs[0].poss_dup());
    assert_eq!(d.session.queued_len(), 0);
}

#[test]
fn case_16b_queue_is_renumbered_after_a_reset_logon() {
    let mut config = initiator();
    config.reset_on_logon = true;
    let mut d = disconnected(config);
    let (r, _) = d.try_send(&order(1));
    // Not numbered: the next Logon starts again at 1.
    assert_eq!(r.unwrap(), None);
    d.send(&order(2));
    d.advance(Duration::from_secs(30));
    let out = d.link_up();
    let logon = only(&out, b"A");
    assert_eq!(logon.seq(), 1);
    assert_eq!(logon.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
    d.peer.next_seq = 1;
    let reply = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::RESET_SEQ_NUM_FLAG, "Y");
    let msgs = d.receive(reply).messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!((msgs[0].seq(), msgs[1].seq()), (2, 3));
    assert!(!msgs[0].poss_dup());
    assert_eq!(msgs[1].text(11).as_deref(), Some("ORD-2"));
}

#[test]
fn case_16_late_delivery_reject() {
    let mut config = initiator();
    config.late_delivery = LateDelivery::Reject;
    let mut d = disconnected(config);
    let (r, out) = d.try_send(&order(1));
    assert!(matches!(
        r,
        Err(SendError::NotEstablished {
            state: SessionState::Reconnect
        })
    ));
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.next_sender_seq_num(), 2);
}

#[test]
fn case_16_late_delivery_time_to_live() {
    let mut config = initiator();
    config.late_delivery = LateDelivery::QueueFor(Duration::from_secs(5));
    config.reconnect_interval = Duration::from_secs(6);
    let mut d = disconnected(config);
    d.send(&order(1));
    d.advance(Duration::from_secs(4));
    d.send(&order(2));
    let out = d.advance(Duration::from_secs(1));
    let expired: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Recorded::Undelivered(m, UndeliveredReason::Expired) => Some(m.body().to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(expired, [order(1).body().to_vec()]);
    assert_eq!(d.session.queued_len(), 1);
    // Reconnected before the second one expires; the first one's sequence
    // number is gap-filled on request.
    assert!(d.advance(Duration::from_secs(1)).has(&Recorded::OpenLink));
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    d.receive(logon);
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "2")
        .set(tag::END_SEQ_NO, "3");
    let msgs = d.receive(rr).messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].is_gap_fill());
    assert_eq!(msgs[0].num(tag::NEW_SEQ_NO), Some(3));
    assert_eq!(msgs[1].text(11).as_deref(), Some("ORD-2"));
}

#[test]
fn case_16_late_delivery_queue_is_bounded() {
    let mut config = initiator();
    config.max_late_delivery = 2;
    let mut d = disconnected(config);
    d.send(&order(1));
    d.send(&order(2));
    let (r, _) = d.try_send(&order(3));
    assert!(matches!(r, Err(SendError::QueueFull { max: 2 })));
    // The application may give up on what is queued.
    d.session.discard_queued();
    let out = fixrs_session::testing::drain(&mut d.session);
    assert_eq!(
        out.events
            .iter()
            .filter(|e| matches!(e, Recorded::Undelivered(_, UndeliveredReason::Discarded)))
            .count(),
        2
    );
}

#[test]
fn case_16_queue_before_first_connect() {
    let mut d = Driver::new(initiator());
    let (r, _) = d.try_send(&order(1));
    assert_eq!(r.unwrap(), Some(1));
    d.connect();
    let out = d.link_up();
    assert_eq!(only(&out, b"A").seq(), 2);
}

#[test]
fn session_level_messages_cannot_be_sent_by_the_application() {
    let mut d = established(initiator());
    for msg_type in [&b"0"[..], b"1", b"2", b"4", b"5", b"A"] {
        let (r, out) = d.try_send(&fixrs_proto::MessageBuilder::new(msg_type));
        assert!(matches!(r, Err(SendError::SessionLevelMsgType { .. })));
        assert!(out.bytes.is_empty());
    }
    let (r, _) = d.try_send(&fixrs_proto::MessageBuilder::new(b""));
    assert!(matches!(r, Err(SendError::InvalidMsgType { .. })));
    // A session-level Reject from the application is allowed.
    let mut reject = fixrs_proto::MessageBuilder::new(b"3");
    fixrs_proto::FieldWriter::push_uint(&mut reject, 45, 1);
    let (r, out) = d.try_send(&reject);
    assert_eq!(r.unwrap(), Some(2));
    assert_eq!(only(&out, b"3").num(45), Some(1));
}

/// A store that records every MsgSeqNum saved since the last reset.
#[derive(Clone, Default)]
struct Recording(std::sync::Arc<std::sync::Mutex<(fixrs_session::MemoryStore, Vec<u64>)>>);

impl fixrs_session::Store for Recording {
    fn next_sender_seq_num(&self) -> u64 {
        self.0.lock().unwrap().0.next_sender_seq_num()
    }
    fn next_target_seq_num(&self) -> u64 {
        self.0.lock().unwrap().0.next_target_seq_num()
    }
    fn set_next_sender_seq_num(&mut self, seq: u64) -> Result<(), fixrs_session::StoreError> {
        self.0.lock().unwrap().0.set_next_sender_seq_num(seq)
    }
    fn set_next_target_seq_num(&mut self, seq: u64) -> Result<(), fixrs_session::StoreError> {
        self.0.lock().unwrap().0.set_next_target_seq_num(seq)
    }
    fn save_outgoing(&mut self, seq: u64, message: &[u8]) -> Result<(), fixrs_session::StoreError> {
        let mut g = self.0.lock().unwrap();
        g.1.push(seq);
        g.0.save_outgoing(seq, message)
    }
    fn outgoing(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), fixrs_session::StoreError> {
        self.0.lock().unwrap().0.outgoing(begin, end, visit)
    }
    fn creation_time(&self) -> fixrs_proto::UtcTimestamp {
        self.0.lock().unwrap().0.creation_time()
    }
    fn reset(&mut self, now: fixrs_proto::UtcTimestamp) -> Result<(), fixrs_session::StoreError> {
        let mut g = self.0.lock().unwrap();
        g.1.clear();
        g.0.reset(now)
    }
}

#[test]
fn case_16_stores_only_see_increasing_sequence_numbers() {
    // Durable stores append: a message is saved once, in MsgSeqNum order,
    // even when it is queued, sent late as a resend, and resent again.
    let clock = fixrs_session::testing::Clock::new();
    let store = Recording::default();
    let mut s =
        fixrs_session::Session::new(initiator(), Box::new(store.clone()), clock.time()).unwrap();
    let mut peer = fixrs_session::testing::Counterparty::for_session(s.config());
    let (now, utc) = (clock.time(), clock.utc());
    s.send(&order(0), now).unwrap();
    s.connect(now);
    s.handle_link_up(now);
    s.handle_input(&peer.logon(30, utc).encode(), now);
    s.send(&order(1), now).unwrap();
    for _ in 0..2 {
        let rr = peer
            .msg(b"2", utc)
            .set(tag::BEGIN_SEQ_NO, "1")
            .set(tag::END_SEQ_NO, "0");
        s.handle_input(&rr.encode(), now);
    }
    let out = fixrs_session::testing::drain(&mut s);
    // Order 1 once, then order 0 and order 1 resent twice.
    assert_eq!(out.of_type(b"D").len(), 5);
    let saved = store.0.lock().unwrap().1.clone();
    assert_eq!(saved, [1, 2, 3]);
}

#[test]
fn case_16b_messages_put_while_the_logon_awaits_its_reply_go_out_after_it() {
    let mut d = disconnected(initiator());
    let out = d.advance(Duration::from_secs(30));
    assert!(out.has(&Recorded::OpenLink));
    let out = d.link_up();
    let logon = only(&out, b"A");
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogon);
    // Put after our Logon left: it takes the number after the Logon's, so
    // the peer will see no gap and never ask for it.
    let (seq, out) = d.try_send(&order(1));
    assert_eq!(seq.unwrap(), Some(logon.seq() + 1));
    assert!(out.bytes.is_empty());
    let reply = d.peer.logon(30, d.clock.utc());
    let out = d.receive(reply);
    assert_eq!(d.session.state(), SessionState::Established);
    let sent = out.of_type(b"D");
    assert_eq!(sent.len(), 1, "{:?}", out.messages());
    assert_eq!(sent[0].seq(), logon.seq() + 1);
    assert_eq!(sent[0].text(11).as_deref(), Some("ORD-1"));
    assert_eq!(d.session.queued_len(), 0);
    // Nothing is left to expire or to send twice later.
    let out = d.advance(Duration::from_secs(120));
    assert!(out.of_type(b"D").is_empty());
}

// ------------------------------------------------------------ queue mode --

/// An initiator in queue mode ([`LateDeliveryMode::Queue`]).
fn queue_mode() -> fixrs_session::SessionConfig {
    let mut config = initiator();
    config.late_delivery_mode = LateDeliveryMode::Queue;
    config
}

/// The records pending in a store.
fn pending(store: &fixrs_session::testing::SharedStore) -> usize {
    let mut n = 0;
    store.lock().pending(&mut |_, _| n += 1).unwrap();
    n
}

#[test]
fn case_16a_queue_mode_keeps_messages_unnumbered_in_the_store() {
    let mut d = disconnected(queue_mode());
    let (r1, out1) = d.try_send(&order(1));
    let (r2, out2) = d.try_send(&order(2));
    // No sequence number consumed; kept by the store, not in its log.
    assert_eq!(r1.unwrap(), None);
    assert_eq!(r2.unwrap(), None);
    assert!(out1.bytes.is_empty() && out2.bytes.is_empty());
    assert_eq!(d.session.queued_len(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 2);
    assert_eq!(pending(&d.store), 2);
    let mut logged = 0;
    d.store
        .lock()
        .outgoing(2, u64::MAX, &mut |_, _| logged += 1)
        .unwrap();
    assert_eq!(logged, 0);
}

#[test]
fn case_16b_queue_mode_sends_new_messages_right_after_logon() {
    let mut d = disconnected(queue_mode());
    d.send(&order(1));
    d.send(&order(2));
    let out = reconnect(&mut d);
    let sent_time = ts(d.clock.utc());
    let msgs = out.messages();
    assert_eq!(
        msgs.iter()
            .map(|m| (m.msg_type().to_vec(), m.seq()))
            .collect::<Vec<_>>(),
        [(b"A".to_vec(), 2), (b"D".to_vec(), 3), (b"D".to_vec(), 4)],
        "{msgs:?}"
    );
    for (m, id) in msgs[1..].iter().zip(["ORD-1", "ORD-2"]) {
        assert_eq!(m.text(11).as_deref(), Some(id));
        // New messages: no PossDupFlag, SendingTime when they leave.
        assert!(!m.poss_dup() && !m.has(tag::ORIG_SENDING_TIME), "{m:?}");
        assert_eq!(m.text(tag::SENDING_TIME), Some(sent_time.clone()));
    }
    assert_eq!(d.session.queued_len(), 0);
    assert_eq!(pending(&d.store), 0);
    // Stored as sent: a ResendRequest finds them, now as resends.
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "3")
        .set(tag::END_SEQ_NO, "4");
    let again = d.receive(rr).messages();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|m| m.poss_dup() && m.msg_type() == b"D"));
}

#[test]
fn case_16b_queue_mode_messages_survive_a_restart() {
    let mut d = disconnected(queue_mode());
    d.send(&order(1));
    d.send(&order(2));
    let (store, clock) = (d.store.clone(), d.clock);
    drop(d);
    // A new process: the session comes back with its store.
    let mut d = Driver::with_store(queue_mode(), store, clock);
    d.peer.next_seq = d.session.next_target_seq_num();
    assert_eq!(d.session.queued_len(), 2);
    let out = d.connect();
    assert!(out.has(&Recorded::OpenLink));
    let mut out = d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    out.extend(d.receive(logon));
    let sent: Vec<_> = out
        .messages()
        .iter()
        .map(|m| (m.msg_type().to_vec(), m.seq(), m.text(11), m.poss_dup()))
        .collect();
    assert_eq!(
        sent,
        [
            (b"A".to_vec(), 2, None, false),
            (b"D".to_vec(), 3, Some("ORD-1".into()), false),
            (b"D".to_vec(), 4, Some("ORD-2".into()), false),
        ]
    );
    assert_eq!(pending(&d.store), 0);
}

#[test]
fn case_16_queue_mode_expired_and_discarded_messages_leave_the_store() {
    let mut config = queue_mode();
    config.late_delivery = LateDelivery::QueueFor(Duration::from_secs(5));
    config.reconnect_interval = Duration::from_secs(60);
    let mut d = disconnected(config);
    d.send(&order(1));
    d.advance(Duration::from_secs(4));
    d.send(&order(2));
    d.send(&order(3));
    let out = d.advance(Duration::from_secs(1));
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Recorded::Undelivered(_, UndeliveredReason::Expired))));
    assert_eq!(pending(&d.store), 2);
    d.session.discard_queued();
    let out = fixrs_session::testing::drain(&mut d.session);
    assert_eq!(out.events.len(), 2, "{out:?}");
    assert_eq!(pending(&d.store), 0);
    assert_eq!(d.session.next_sender_seq_num(), 2);
}

#[test]
fn case_16_queue_mode_time_to_live_counts_from_the_put_across_a_restart() {
    let mut config = queue_mode();
    config.late_delivery = LateDelivery::QueueFor(Duration::from_secs(10));
    let mut d = disconnected(config.clone());
    d.send(&order(1));
    let (store, mut clock) = (d.store.clone(), d.clock);
    drop(d);
    clock.advance(Duration::from_secs(6));
    let mut d = Driver::with_store(config, store, clock);
    assert_eq!(d.session.queued_len(), 1);
    // 4 s left of its 10, not 10 again.
    assert!(d.advance(Duration::from_secs(3)).events.is_empty());
    let out = d.advance(Duration::from_secs(2));
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Recorded::Undelivered(_, UndeliveredReason::Expired))));
    assert_eq!(pending(&d.store), 0);
}

#[test]
fn case_16b_resend_mode_messages_waiting_for_a_reset_logon_survive_a_restart() {
    // Unnumbered because the next Logon resets: kept by the store too.
    let mut config = initiator();
    config.reset_on_logon = true;
    let mut d = disconnected(config.clone());
    assert_eq!(d.try_send(&order(1)).0.unwrap(), None);
    let (store, clock) = (d.store.clone(), d.clock);
    drop(d);
    let mut d = Driver::with_store(config, store, clock);
    assert_eq!(d.session.queued_len(), 1);
    d.connect();
    let out = d.link_up();
    assert_eq!(only(&out, b"A").seq(), 1);
    d.peer.next_seq = 1;
    let reply = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::RESET_SEQ_NUM_FLAG, "Y");
    let msgs = d.receive(reply).messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].seq(), 2);
    assert_eq!(msgs[0].text(11).as_deref(), Some("ORD-1"));
    assert_eq!(pending(&d.store), 0);
}

#[test]
fn queue_mode_needs_a_store_with_a_pending_queue() {
    let clock = fixrs_session::testing::Clock::new();
    let e = fixrs_session::Session::new(queue_mode(), Box::new(Recording::default()), clock.time())
        .unwrap_err();
    assert!(e.to_string().contains("LateDeliveryMode=queue"), "{e}");
    // Resend mode works with it, keeping reset-waiting messages in memory.
    let mut config = initiator();
    config.reset_on_logon = true;
    let mut s =
        fixrs_session::Session::new(config, Box::new(Recording::default()), clock.time()).unwrap();
    assert_eq!(s.send(&order(1), clock.time()).unwrap(), None);
    assert_eq!(s.queued_len(), 1);
}
