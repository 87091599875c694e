//! FIX Session Layer Test Cases 4a, 4b, 5 and 6: heartbeats and test
//! requests.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::Recorded;
use fixrs_session::SessionState;
use std::time::Duration;

#[test]
fn case_4a_heartbeat_after_heart_bt_int_of_silence() {
    let mut d = established(initiator());
    let out = d.advance(Duration::from_millis(29_999));
    assert!(out.bytes.is_empty());
    let out = d.advance(Duration::from_millis(1));
    let hb = only(&out, b"0");
    assert_header(&hb, "INI", "ACC", 2);
    assert!(!hb.has(tag::TEST_REQ_ID));
    // Sending anything restarts the interval.
    let utc = d.clock.utc();
    let peer_hb = d.peer.msg(b"0", utc);
    d.receive(peer_hb);
    d.advance(Duration::from_secs(5));
    let (r, _) = d.try_send(&order(1));
    assert_eq!(r.unwrap(), Some(3));
    let out = d.advance(Duration::from_millis(29_999));
    assert!(out.of_type(b"0").is_empty());
    let out = d.advance(Duration::from_millis(1));
    assert_eq!(only(&out, b"0").seq(), 4);
}

#[test]
fn case_4b_test_request_is_answered_with_its_test_req_id() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let tr = d.peer.msg(b"1", utc).set(tag::TEST_REQ_ID, "PING-7");
    let out = d.receive(tr);
    let hb = only(&out, b"0");
    assert_header(&hb, "ACC", "INI", 2);
    assert_eq!(hb.text(tag::TEST_REQ_ID).as_deref(), Some("PING-7"));
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_4b_test_request_without_test_req_id_is_rejected() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let out = d.receive(d.peer.clone().msg(b"1", utc));
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(112));
}

#[test]
fn case_5_heartbeat_received_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let hb = d.peer.msg(b"0", utc);
    let out = d.receive(hb);
    assert!(out.bytes.is_empty());
    assert!(matches!(&out.events[..], [Recorded::Admin(m)] if m.msg_type() == b"0"));
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_6_test_request_after_peer_silence_and_its_answer() {
    let mut d = established(initiator());
    // HeartBtInt 30 s plus 20%: TestRequest after 36 s of silence (our own
    // Heartbeat goes out at 30 s).
    let out = d.advance(Duration::from_millis(35_999));
    assert!(out.of_type(b"1").is_empty());
    let out = d.advance(Duration::from_millis(1));
    let tr = only(&out, b"1");
    assert_header(&tr, "INI", "ACC", 3);
    assert_eq!(tr.text(tag::TEST_REQ_ID).as_deref(), Some("1"));
    // The answer carries the TestReqID; the session stays up.
    let utc = d.clock.utc();
    let hb = d.peer.msg(b"0", utc).set(tag::TEST_REQ_ID, "1");
    d.receive(hb);
    let out = d.advance(Duration::from_secs(60));
    assert!(!out.closed());
    assert_eq!(d.session.state(), SessionState::Established);
    // TestReqIDs come from a counter.
    assert_eq!(
        out.of_type(b"1")[0].text(tag::TEST_REQ_ID).as_deref(),
        Some("2")
    );
}

#[test]
fn case_6_unanswered_test_request_means_the_link_is_lost() {
    let mut d = established(initiator());
    d.advance(Duration::from_secs(36));
    let out = d.advance(Duration::from_millis(35_999));
    assert!(!out.closed());
    let out = d.advance(Duration::from_millis(1));
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("TestRequest 1")));
    assert_eq!(d.session.state(), SessionState::Reconnect);
}

#[test]
fn case_6_any_message_keeps_the_link_alive() {
    let mut d = established(acceptor());
    let mut written = Vec::new();
    for _ in 0..10 {
        written.extend(d.advance(Duration::from_secs(20)).messages());
        let utc = d.clock.utc();
        let msg = d.peer.msg(b"D", utc).set(11, "A");
        written.extend(d.receive(msg).messages());
    }
    assert_eq!(d.session.state(), SessionState::Established);
    assert_eq!(d.session.next_target_seq_num(), 12);
    // Our own Heartbeats every 30 s, never a TestRequest.
    assert!(!written.is_empty());
    assert!(written.iter().all(|m| m.msg_type() == b"0"), "{written:?}");
}

#[test]
fn peer_silence_does_not_count_while_the_driver_pauses_reading() {
    // An application behind with its events: the driver reads nothing, so
    // the peer's Heartbeats cannot be seen. No TestRequest, no timeout,
    // however long; our own Heartbeats go on.
    let mut d = established(initiator());
    let now = d.clock.time();
    d.session.set_reading_paused(true, now);
    assert!(d.session.is_reading_paused());
    let mut written = Vec::new();
    for _ in 0..10 {
        written.extend(d.advance(Duration::from_secs(30)).messages());
    }
    assert_eq!(d.session.state(), SessionState::Established);
    assert_eq!(written.len(), 10);
    assert!(written.iter().all(|m| m.msg_type() == b"0"), "{written:?}");
    // Reading again: the peer has the usual 36 s from now to be heard.
    let now = d.clock.time();
    d.session.set_reading_paused(false, now);
    let out = d.advance(Duration::from_millis(35_999));
    assert!(out.of_type(b"1").is_empty());
    let out = d.advance(Duration::from_millis(1));
    only(&out, b"1");
    let out = d.advance(Duration::from_secs(36));
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("TestRequest")));
}

#[test]
fn a_test_request_sent_before_reading_paused_waits_for_reading_again() {
    let mut d = established(initiator());
    assert_eq!(d.advance(Duration::from_secs(36)).of_type(b"1").len(), 1);
    let now = d.clock.time();
    d.session.set_reading_paused(true, now);
    let out = d.advance(Duration::from_secs(300));
    assert!(!out.closed());
    assert!(out.of_type(b"1").is_empty());
    let now = d.clock.time();
    d.session.set_reading_paused(false, now);
    // What waited is read: the answer keeps the link.
    let utc = d.clock.utc();
    let hb = d.peer.msg(b"0", utc).set(tag::TEST_REQ_ID, "1");
    d.receive(hb);
    let out = d.advance(Duration::from_secs(35));
    assert!(!out.closed());
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn after_reading_paused_an_unanswered_test_request_still_ends_the_link() {
    let mut d = established(initiator());
    assert_eq!(d.advance(Duration::from_secs(36)).of_type(b"1").len(), 1);
    let now = d.clock.time();
    d.session.set_reading_paused(true, now);
    d.advance(Duration::from_secs(100));
    let now = d.clock.time();
    d.session.set_reading_paused(false, now);
    let out = d.advance(Duration::from_millis(35_999));
    assert!(!out.closed());
    let out = d.advance(Duration::from_millis(1));
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("TestRequest 1")));
}
