//! FIX Session Layer Test Cases 7 (Reject received), 8 (answering a
//! ResendRequest), 9 (resetting both sides), 10a-10e (SequenceReset-GapFill),
//! 11a-11c (SequenceReset-Reset) and 20 (simultaneous ResendRequests).

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{Output, Recorded, Sent};
use fixrs_session::SessionState;
use std::time::Duration;

fn resend_request(d: &mut fixrs_session::testing::Driver, begin: u64, end: u64) -> Output {
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, begin.to_string())
        .set(tag::END_SEQ_NO, end.to_string());
    d.receive(rr)
}

fn assert_gap_fill(m: &Sent, seq: u64, new_seq_no: u64) {
    assert!(m.is_gap_fill(), "{m:?}");
    assert_eq!(m.seq(), seq, "{m:?}");
    assert_eq!(m.num(tag::NEW_SEQ_NO), Some(new_seq_no), "{m:?}");
    assert!(m.poss_dup(), "{m:?}");
    assert!(m.has(tag::ORIG_SENDING_TIME), "{m:?}");
}

#[test]
fn case_7_reject_received_is_counted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reject = d
        .peer
        .msg(b"3", utc)
        .set(tag::REF_SEQ_NUM, "1")
        .set(tag::TEXT, "bad");
    let out = d.receive(reject);
    assert!(out.bytes.is_empty());
    assert!(matches!(&out.events[..], [Recorded::Admin(m)] if m.msg_type() == b"3"));
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_8_resend_request_is_answered_with_resends_and_gap_fills() {
    let mut d = established(initiator());
    // 1 Logon, 2-3 orders, 4 Heartbeat, 5 an order.
    let mut originals = Vec::new();
    for i in 0..2 {
        originals.extend(d.send(&order(i)).messages());
    }
    let utc = d.clock.utc();
    let peer_hb = d.peer.msg(b"0", utc);
    d.receive(peer_hb);
    assert_eq!(only(&d.advance(Duration::from_secs(30)), b"0").seq(), 4);
    originals.extend(d.send(&order(2)).messages());
    d.advance(Duration::from_secs(1));
    let now_utc = ts(d.clock.utc());

    let out = resend_request(&mut d, 1, 0);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 5, "{msgs:?}");
    assert_gap_fill(&msgs[0], 1, 2);
    for (resent, original) in [
        (&msgs[1], &originals[0]),
        (&msgs[2], &originals[1]),
        (&msgs[4], &originals[2]),
    ] {
        assert_eq!(resent.msg_type(), b"D");
        assert_eq!(resent.seq(), original.seq());
        assert!(resent.poss_dup());
        assert_eq!(
            resent.get(tag::ORIG_SENDING_TIME),
            original.get(tag::SENDING_TIME)
        );
        assert_eq!(
            resent.text(tag::SENDING_TIME).as_deref(),
            Some(now_utc.as_str())
        );
        assert_eq!(resent.get(11), original.get(11));
        assert_eq!(resent.text(49).as_deref(), Some("INI"));
        assert_eq!(resent.text(56).as_deref(), Some("ACC"));
    }
    assert_gap_fill(&msgs[3], 4, 5);
    // Resends do not consume sequence numbers.
    assert_eq!(d.session.next_sender_seq_num(), 6);
}

#[test]
fn case_8_admin_runs_collapse_into_one_gap_fill() {
    let mut d = established(acceptor());
    // 2..=4 Heartbeats (answers to TestRequests), then an order at 5.
    for _ in 0..3 {
        let utc = d.clock.utc();
        let tr = d.peer.msg(b"1", utc).set(tag::TEST_REQ_ID, "x");
        d.receive(tr);
    }
    d.send(&order(1));
    let out = resend_request(&mut d, 2, 5);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_gap_fill(&msgs[0], 2, 5);
    assert_eq!(msgs[1].seq(), 5);
    assert!(msgs[1].poss_dup());
}

#[test]
fn case_8_end_seq_no_beyond_last_sent_means_up_to_the_last() {
    let mut d = established(acceptor());
    d.send(&order(1));
    let out = resend_request(&mut d, 2, 500);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].seq(), 2);
}

#[test]
fn case_8_messages_missing_from_the_store_are_gap_filled() {
    let mut config = acceptor();
    config.persist_messages = false;
    let mut d = established(config);
    d.send(&order(1));
    d.send(&order(2));
    let out = resend_request(&mut d, 1, 0);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_gap_fill(&msgs[0], 1, 4);
}

#[test]
fn case_9_reset_both_sides_with_reset_seq_num_flag() {
    let mut d = established(initiator());
    for i in 0..3 {
        d.send(&order(i));
    }
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "in");
    d.receive(msg);
    d.session.reset_seq_num_and_send_logon(d.clock.time());
    let out = fixrs_session::testing::drain(&mut d.session);
    let logon = only(&out, b"A");
    assert_eq!(logon.seq(), 1);
    assert_eq!(logon.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
    // Incoming numbering restarts with the peer's reply.
    assert_eq!(d.session.next_target_seq_num(), 3);
    let reply = d
        .peer
        .msg_with_seq(b"A", 1, utc)
        .set(tag::ENCRYPT_METHOD, "0")
        .set(tag::HEART_BT_INT, "30")
        .set(tag::RESET_SEQ_NUM_FLAG, "Y");
    let out = d.receive(reply);
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 2);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_9_peer_resets_both_sides_mid_session() {
    let mut d = established(acceptor());
    d.send(&order(1));
    let utc = d.clock.utc();
    let logon = d
        .peer
        .msg_with_seq(b"A", 1, utc)
        .set(tag::ENCRYPT_METHOD, "0")
        .set(tag::HEART_BT_INT, "30")
        .set(tag::RESET_SEQ_NUM_FLAG, "Y");
    let out = d.receive(logon);
    let reply = only(&out, b"A");
    assert_eq!(reply.seq(), 1);
    assert_eq!(reply.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 2);
}

#[test]
fn case_9_sequence_reset_to_a_higher_number_recovers() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reset = d
        .peer
        .msg_with_seq(b"4", 7, utc)
        .set(tag::NEW_SEQ_NO, "1000");
    d.receive(reset);
    assert_eq!(d.session.next_target_seq_num(), 1000);
}

#[test]
fn case_10a_gap_fill_beyond_a_gap_sends_resend_request() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let gf = d
        .peer
        .msg_with_seq(b"4", 5, utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "10");
    let out = d.receive(gf);
    let rr = only(&out, b"2");
    assert_eq!(rr.num(tag::BEGIN_SEQ_NO), Some(2));
    assert_eq!(rr.num(tag::END_SEQ_NO), Some(0));
    assert_eq!(d.session.next_target_seq_num(), 2);
    // Once 2..4 arrive, the queued GapFill takes NextNumIn to 10.
    for seq in 2..5 {
        let m = d.peer.msg_with_seq(b"0", seq, utc).poss_dup(utc);
        d.receive(m);
    }
    assert_eq!(d.session.next_target_seq_num(), 10);
}

#[test]
fn case_10b_gap_fill_in_sequence_moves_next_num_in() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let gf = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .poss_dup(utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "10");
    let out = d.receive(gf);
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.next_target_seq_num(), 10);
}

#[test]
fn case_10c_gap_fill_too_low_with_possdup_is_ignored() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    for _ in 0..3 {
        let m = d.peer.msg(b"0", utc);
        d.receive(m);
    }
    let gf = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .poss_dup(utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "4");
    let out = d.receive(gf);
    assert!(out.bytes.is_empty());
    assert!(out.events.is_empty());
    assert_eq!(d.session.next_target_seq_num(), 5);
}

#[test]
fn case_10d_gap_fill_too_low_without_possdup() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    for _ in 0..3 {
        let m = d.peer.msg(b"0", utc);
        d.receive(m);
    }
    let gf = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "4");
    let out = d.receive(gf);
    let logout = only(&out, b"5");
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("MsgSeqNum too low, expecting 5 but received 2")
    );
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn case_10e_gap_fill_lowering_the_sequence_is_rejected() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let gf = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "2");
    let out = d.receive(gf);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(5));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(36));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Attempt to lower sequence number, invalid value NewSeqNo(36)=2")
    );
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_11a_sequence_reset_raises_next_num_in_whatever_its_seqnum() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    // A MsgSeqNum far too high or too low does not matter.
    for (seq, new_seq_no) in [(99, 20), (1, 30)] {
        let reset = d
            .peer
            .msg_with_seq(b"4", seq, utc)
            .set(tag::NEW_SEQ_NO, new_seq_no.to_string());
        let out = d.receive(reset);
        assert!(out.bytes.is_empty(), "{:?}", out.messages());
        assert_eq!(d.session.next_target_seq_num(), new_seq_no);
    }
}

#[test]
fn case_11a_sequence_reset_with_msg_seq_num_zero_is_processed() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reset = d.peer.msg_with_seq(b"4", 0, utc).set(tag::NEW_SEQ_NO, "10");
    let out = d.receive(reset);
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(d.session.next_target_seq_num(), 10);
    assert_eq!(d.session.state(), SessionState::Established);
    // The next message is expected with the new number.
    let msg = d.peer.msg_with_seq(b"D", 10, utc).set(11, "A");
    assert_eq!(d.receive(msg).app_messages().len(), 1);
}

#[test]
fn case_11a_sequence_reset_with_gap_fill_flag_n_is_a_reset() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reset = d
        .peer
        .msg_with_seq(b"4", 0, utc)
        .set(tag::GAP_FILL_FLAG, "N")
        .set(tag::NEW_SEQ_NO, "7");
    let out = d.receive(reset);
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(d.session.next_target_seq_num(), 7);
}

#[test]
fn case_11a_sequence_reset_without_msg_seq_num_is_processed() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reset = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .remove(tag::MSG_SEQ_NUM)
        .set(tag::NEW_SEQ_NO, "5");
    let out = d.receive(reset);
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert_eq!(d.session.next_target_seq_num(), 5);
}

#[test]
fn case_11b_sequence_reset_to_next_num_in_is_accepted_with_a_warning() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let reset = d.peer.msg_with_seq(b"4", 2, utc).set(tag::NEW_SEQ_NO, "2");
    let out = d.receive(reset);
    assert!(out.bytes.is_empty());
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert!(
        out.warnings()
            .iter()
            .any(|w| w.contains("already expected")),
        "{:?}",
        out.events
    );
    assert_eq!(d.session.next_target_seq_num(), 2);
    // Whatever its MsgSeqNum.
    let reset = d.peer.msg_with_seq(b"4", 0, utc).set(tag::NEW_SEQ_NO, "2");
    let out = d.receive(reset);
    assert!(out.bytes.is_empty());
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(out.warnings().len(), 1, "{:?}", out.events);
    assert_eq!(d.session.next_target_seq_num(), 2);
}

#[test]
fn case_11c_sequence_reset_lowering_next_num_in_is_rejected() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    for _ in 0..3 {
        let m = d.peer.msg(b"0", utc);
        d.receive(m);
    }
    let reset = d.peer.msg_with_seq(b"4", 5, utc).set(tag::NEW_SEQ_NO, "3");
    let out = d.receive(reset);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(5));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(5));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(36));
    assert_eq!(d.session.next_target_seq_num(), 5);
}

#[test]
fn case_11c_sequence_reset_with_msg_seq_num_zero_lowering_next_num_in_is_rejected() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    for _ in 0..3 {
        let m = d.peer.msg(b"0", utc);
        d.receive(m);
    }
    let reset = d.peer.msg_with_seq(b"4", 0, utc).set(tag::NEW_SEQ_NO, "3");
    let out = d.receive(reset);
    let reject = only(&out, b"3");
    // RefSeqNum is the MsgSeqNum the SequenceReset carried.
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(0));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(5));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(36));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("4"));
    assert_eq!(d.session.next_target_seq_num(), 5);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_20_resend_request_while_ours_is_pending() {
    let mut d = established(acceptor());
    d.send(&order(1));
    let utc = d.clock.utc();
    // We miss 2..4 from the peer and ask for them.
    d.peer.next_seq = 5;
    let m = d.peer.msg(b"D", utc).set(11, "five");
    let out = d.receive(m);
    assert_eq!(only(&out, b"2").num(tag::BEGIN_SEQ_NO), Some(2));
    // The peer missed our order and asks too, before answering ours.
    let out = resend_request(&mut d, 2, 0);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "answered at once: {msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"D");
    assert!(msgs[0].poss_dup());
    // Our own ResendRequest (3) is gap-filled.
    assert_gap_fill(&msgs[1], 3, 4);
    // Its resends fill our gap; the queued message and the ResendRequest
    // (6) count once they are in sequence.
    let mut delivered = Vec::new();
    for seq in 2..5 {
        let m = d
            .peer
            .msg_with_seq(b"D", seq, utc)
            .poss_dup(utc)
            .set(11, seq.to_string());
        delivered.extend(d.receive(m).app_messages());
    }
    assert_eq!(delivered.len(), 4);
    assert_eq!(d.session.next_target_seq_num(), 7);
}

#[test]
fn case_20_gap_remaining_after_the_resend_is_asked_for_again() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    d.peer.next_seq = 6;
    let m = d.peer.msg(b"D", utc).set(11, "six");
    let out = d.receive(m);
    assert_eq!(only(&out, b"2").num(tag::BEGIN_SEQ_NO), Some(2));
    // Only 2 and 3 come back.
    for seq in 2..4 {
        let m = d.peer.msg_with_seq(b"0", seq, utc).poss_dup(utc);
        assert!(d.receive(m).bytes.is_empty());
    }
    assert_eq!(d.session.next_target_seq_num(), 4);
    // Nothing more for a while: ask again for what is still missing.
    let out = d.advance(Duration::from_secs(30));
    let requests = out.of_type(b"2");
    assert_eq!(requests.len(), 1);
    let rr = &requests[0];
    assert_eq!(rr.num(tag::BEGIN_SEQ_NO), Some(4));
    assert_eq!(rr.num(tag::END_SEQ_NO), Some(0));
}
