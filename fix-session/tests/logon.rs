//! FIX Session Layer Test Cases 1B (initiator logon), 1S (acceptor logon)
//! and 2S (first message not a logon).

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{Clock, Driver, Recorded, SharedStore};
use fixrs_session::{MemoryStore, SessionState, Store};
use std::time::Duration;

#[test]
fn case_1b_a_initiator_connects_and_sends_logon() {
    let mut config = initiator();
    config.username = Some("user".into());
    config.password = Some("secret".into());
    config.logon_fields = vec![(9001, "custom".into())];
    let mut d = Driver::new(config);
    let out = d.connect();
    assert!(out.has(&Recorded::OpenLink));
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.state(), SessionState::WaitForConnect);

    let out = d.link_up();
    let logon = only(&out, b"A");
    assert_header(&logon, "INI", "ACC", 1);
    assert_eq!(logon.text(tag::ENCRYPT_METHOD).as_deref(), Some("0"));
    assert_eq!(logon.num(tag::HEART_BT_INT), Some(30));
    assert!(!logon.has(tag::RESET_SEQ_NUM_FLAG));
    assert_eq!(logon.text(tag::USERNAME).as_deref(), Some("user"));
    assert_eq!(logon.text(tag::PASSWORD).as_deref(), Some("secret"));
    assert_eq!(logon.text(9001).as_deref(), Some("custom"));
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogon);
    // LogonTimeout is armed.
    assert_eq!(
        d.session.poll_timeout(),
        Some(d.clock.now() + Duration::from_secs(10))
    );
}

#[test]
fn case_1b_b_initiator_accepts_valid_logon_reply() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    assert!(
        out.bytes.is_empty(),
        "nothing to send: {:?}",
        out.messages()
    );
    assert!(out.has(&Recorded::LoggedOn));
    assert!(out.has(&Recorded::StateChanged {
        from: SessionState::WaitForConfirmLogon,
        to: SessionState::Established
    }));
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 2);
}

#[test]
fn case_1b_c_logon_reply_seqnum_too_high_sends_resend_request() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    d.peer.next_seq = 5;
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    assert!(out.has(&Recorded::LoggedOn));
    let rr = only(&out, b"2");
    assert_header(&rr, "INI", "ACC", 2);
    assert_eq!(rr.num(tag::BEGIN_SEQ_NO), Some(1));
    assert_eq!(rr.num(tag::END_SEQ_NO), Some(0));
    // The ResendRequest goes out before LoggedOn is reported.
    assert_eq!(d.session.next_target_seq_num(), 1);
    // The peer gap-fills 1..4; the queued Logon (5) then counts.
    let utc = d.clock.utc();
    let gap_fill = d
        .peer
        .msg_with_seq(b"4", 1, utc)
        .poss_dup(utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "5");
    let out = d.receive(gap_fill);
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.next_target_seq_num(), 6);
}

#[test]
fn case_1b_d_invalid_logon_reply() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc()).remove(tag::HEART_BT_INT);
    let out = d.receive(logon);
    let logout = only(&out, b"5");
    assert_header(&logout, "INI", "ACC", 2);
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("HeartBtInt(108) missing")
    );
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("invalid logon")));
    assert!(!out.has(&Recorded::LoggedOn));
    // A failed logon is retried after the reconnect interval.
    assert_eq!(d.session.state(), SessionState::Reconnect);
}

#[test]
fn case_1b_d_logon_refused_with_logout() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc).set(tag::TEXT, "unknown user");
    let out = d.receive(logout);
    assert!(out.bytes.is_empty());
    assert!(out.closed());
    assert!(out.has(&Recorded::LoggedOut(Some("unknown user".into()))));
    assert!(out.errors().iter().any(|e| e.contains("unknown user")));
    assert_eq!(d.session.state(), SessionState::Reconnect);
}

#[test]
fn case_1b_e_first_message_not_a_logon() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let hb = d.peer.msg(b"0", d.clock.utc());
    let out = d.receive(hb);
    assert!(out.bytes.is_empty(), "nothing sent: {:?}", out.messages());
    assert!(out.closed());
    assert!(out
        .errors()
        .iter()
        .any(|e| e.contains("first message not a logon")));
    assert_eq!(d.session.next_target_seq_num(), 1);
}

#[test]
fn case_1b_logon_timeout() {
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let out = d.advance(Duration::from_secs(10));
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("logon timeout")));
    assert_eq!(d.session.state(), SessionState::Reconnect);
}

#[test]
fn case_1s_a_acceptor_answers_valid_logon() {
    let mut d = Driver::new(acceptor());
    d.connect();
    let out = d.link_up();
    assert!(out.has(&Recorded::StateChanged {
        from: SessionState::WaitForConnect,
        to: SessionState::WaitForFirstLogon
    }));
    let logon = d.peer.logon(45, d.clock.utc());
    let out = d.receive(logon);
    let reply = only(&out, b"A");
    assert_header(&reply, "ACC", "INI", 1);
    // The acceptor adopts the initiator's HeartBtInt.
    assert_eq!(reply.num(tag::HEART_BT_INT), Some(45));
    assert_eq!(reply.text(tag::ENCRYPT_METHOD).as_deref(), Some("0"));
    assert_eq!(d.session.heart_bt_int(), 45);
    assert!(out.has(&Recorded::LoggedOn));
    assert_eq!(d.session.state(), SessionState::Established);
    assert_eq!(d.session.next_target_seq_num(), 2);
}

#[test]
fn case_1s_a_acceptor_logon_seqnum_too_high_sends_resend_request() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    d.peer.next_seq = 3;
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"A");
    assert_eq!(msgs[1].msg_type(), b"2");
    assert_eq!(msgs[1].num(tag::BEGIN_SEQ_NO), Some(1));
    assert_eq!(msgs[1].num(tag::END_SEQ_NO), Some(0));
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_1s_b_second_link_for_a_connected_session_is_refused() {
    // The engine routes a Logon with the identity of a connected session
    // nowhere and closes that link; if it reports the link anyway, the
    // session says so and the established connection is untouched.
    let mut d = established(acceptor());
    let out = d.link_up();
    assert!(out.bytes.is_empty());
    assert!(!out.closed());
    assert!(out.errors().iter().any(|e| e.contains("already connected")));
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_1s_c_logon_from_unknown_identity() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::SENDER_COMP_ID, "INTRUDER");
    let out = d.receive(logon);
    assert!(out.bytes.is_empty(), "nothing sent: {:?}", out.messages());
    assert!(out.closed());
    assert!(out.errors().iter().any(|e| e.contains("unknown identity")));
    assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
    assert_eq!(d.session.next_sender_seq_num(), 1);
}

#[test]
fn case_1s_d_invalid_logon() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc()).set(tag::HEART_BT_INT, "-5");
    let out = d.receive(logon);
    let logout = only(&out, b"5");
    assert_header(&logout, "ACC", "INI", 1);
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("HeartBtInt(108) invalid")
    );
    assert!(out.closed());
    assert!(!out.has(&Recorded::LoggedOn));
}

#[test]
fn case_1s_d_logon_with_seqnum_too_low() {
    let clock = Clock::new();
    let mut store = MemoryStore::new(clock.utc());
    store.set_next_target_seq_num(10).unwrap();
    let mut d = Driver::with_store(acceptor(), SharedStore::new(store), clock);
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    let logout = only(&out, b"5");
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("MsgSeqNum too low, expecting 10 but received 1")
    );
    assert!(out.closed());
}

#[test]
fn case_1s_logon_timeout() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    let out = d.advance(Duration::from_secs(10));
    assert!(out.closed());
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
}

#[test]
fn case_2s_first_message_not_a_logon() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "X");
    let out = d.receive(msg);
    assert!(out.bytes.is_empty(), "nothing sent: {:?}", out.messages());
    assert!(out.closed());
    assert!(out
        .errors()
        .iter()
        .any(|e| e.contains("first message not a logon")));
    assert!(out.app_messages().is_empty());
}

#[test]
fn second_logon_while_logged_on_closes_without_a_word() {
    // QuickFIX: "Logon state is not valid for message", disconnect; nothing
    // is sent and the Logon is not counted, whatever its MsgSeqNum.
    for seq in [2, 5] {
        let mut d = established(acceptor());
        let utc = d.clock.utc();
        let logon = d
            .peer
            .msg_with_seq(b"A", seq, utc)
            .set(tag::HEART_BT_INT, "30")
            .set(tag::ENCRYPT_METHOD, "0");
        let out = d.receive(logon);
        assert!(out.closed(), "{:?}", out.events);
        assert!(out.bytes.is_empty(), "{:?}", out.messages());
        assert!(
            out.errors().iter().any(|e| e.contains("unexpected Logon")),
            "{:?}",
            out.errors()
        );
        assert_eq!(d.session.next_target_seq_num(), 2);
        assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
    }
}
