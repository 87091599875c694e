//! Session options and versions: FIX 4.0 to FIXT 1.1, NextExpectedMsgSeqNum,
//! chunked and redundant ResendRequests, the reset options, schedules, the
//! transmit API, store flushing and determinism.

mod common;

use common::*;
use fixrs_proto::{tag, FixVersion, UtcTimestamp};
use fixrs_session::schedule::{Schedule, TimeOfDay};
use fixrs_session::testing::{drain, Clock, Driver, Pair, Recorded, SharedStore, SideId};
use fixrs_session::{MemoryStore, SeqNum, Session, SessionConfig, SessionState, Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn all_versions_log_on_and_exchange_messages() {
    for version in [
        FixVersion::Fix40,
        FixVersion::Fix41,
        FixVersion::Fix42,
        FixVersion::Fix43,
        FixVersion::Fix44,
        FixVersion::Fix50Sp2,
    ] {
        let mut pair = Pair::new(
            SessionConfig::initiator(version, "INI", "ACC"),
            SessionConfig::acceptor(version, "ACC", "INI"),
        );
        pair.establish();
        for i in 0..20 {
            pair.send(SideId::Initiator, &order(i)).unwrap();
            pair.send(SideId::Acceptor, &order(i)).unwrap();
        }
        pair.run_for(Duration::from_secs(100));
        for side in [SideId::Initiator, SideId::Acceptor] {
            let s = pair.side(side);
            assert_eq!(s.received.len(), 20, "{version}");
            assert!(s.errors().is_empty(), "{version}: {:?}", s.errors());
            assert_eq!(
                s.received[0].text(8).as_deref(),
                Some(version.begin_string()),
                "{version}"
            );
        }
    }
}

#[test]
fn fixt_logon_carries_default_appl_ver_id() {
    let mut d = Driver::new(SessionConfig::initiator(FixVersion::Fix50Sp2, "INI", "ACC"));
    d.connect();
    let logon = only(&d.link_up(), b"A");
    assert_eq!(logon.text(8).as_deref(), Some("FIXT.1.1"));
    assert_eq!(logon.text(tag::DEFAULT_APPL_VER_ID).as_deref(), Some("9"));
    let mut d = Driver::new(SessionConfig::initiator(FixVersion::Fix44, "INI", "ACC"));
    d.connect();
    assert!(!only(&d.link_up(), b"A").has(tag::DEFAULT_APPL_VER_ID));
}

#[test]
fn header_identity_follows_configuration_changes() {
    let mut d = Driver::new(initiator());
    // Changed after creation, before connecting: the Logon carries it.
    d.session.config_mut().id.sender_sub_id = Some("DESK".to_string());
    d.session.config_mut().id.target_location_id = Some("LDN".to_string());
    d.connect();
    let logon = only(&d.link_up(), b"A");
    assert_header(&logon, "INI", "ACC", 1);
    assert_eq!(logon.text(tag::SENDER_SUB_ID).as_deref(), Some("DESK"));
    assert_eq!(logon.text(tag::TARGET_LOCATION_ID).as_deref(), Some("LDN"));
    let tags: Vec<_> = logon.fields.iter().map(|(t, _)| *t).take(9).collect();
    assert_eq!(tags, [8, 9, 35, 49, 50, 56, 143, 34, 52]);
}

#[test]
fn fix41_uses_999999_seconds_and_short_rejects() {
    let mut d = established(SessionConfig::acceptor(FixVersion::Fix41, "ACC", "INI"));
    let utc = d.clock.utc();
    d.peer.next_seq = 4;
    let m = d.peer.msg(b"D", utc);
    let rr = only(&d.receive(m), b"2");
    assert_eq!(rr.text(8).as_deref(), Some("FIX.4.1"));
    assert_eq!(rr.num(tag::END_SEQ_NO), Some(999_999));
    assert_eq!(rr.text(tag::SENDING_TIME).unwrap().len(), 17);
    // A PossDup message without OrigSendingTime: a 4.1 Reject has no
    // SessionRejectReason, RefTagID or RefMsgType.
    let m = d
        .peer
        .msg_with_seq(b"D", 2, utc)
        .set(tag::POSS_DUP_FLAG, "Y");
    let reject = only(&d.receive(m), b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert!(reject.has(tag::TEXT));
    assert!(!reject.has(tag::SESSION_REJECT_REASON));
    assert!(!reject.has(tag::REF_TAG_ID));
}

#[test]
fn fix40_answers_999999_as_up_to_the_last() {
    let mut d = established(SessionConfig::acceptor(FixVersion::Fix40, "ACC", "INI"));
    d.send(&order(1));
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "2")
        .set(tag::END_SEQ_NO, "999999");
    let msgs = d.receive(rr).messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].seq(), 2);
}

#[test]
fn next_expected_msg_seq_num_resends_what_the_peer_misses() {
    let mut config = acceptor();
    config.send_next_expected_msg_seq_num = true;
    let mut d = established(config);
    d.send(&order(1));
    d.send(&order(2));
    d.link_down();
    d.link_up();
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::NEXT_EXPECTED_MSG_SEQ_NUM, "2");
    let msgs = d.receive(logon).messages();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"A");
    assert_eq!(msgs[0].seq(), 4);
    assert_eq!(msgs[0].num(tag::NEXT_EXPECTED_MSG_SEQ_NUM), Some(3));
    assert_eq!((msgs[1].seq(), msgs[2].seq()), (2, 3));
    assert!(msgs[1].poss_dup() && msgs[2].poss_dup());
}

#[test]
fn next_expected_msg_seq_num_too_high_logs_out() {
    let mut config = acceptor();
    config.send_next_expected_msg_seq_num = true;
    let mut d = Driver::new(config);
    d.connect();
    d.link_up();
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::NEXT_EXPECTED_MSG_SEQ_NUM, "50");
    let out = d.receive(logon);
    let msgs = out.messages();
    assert_eq!(msgs[0].msg_type(), b"A");
    assert_eq!(msgs[1].msg_type(), b"5");
    assert!(msgs[1].text(tag::TEXT).unwrap().contains("too high"));
    assert!(!out.has(&Recorded::LoggedOn));
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn next_expected_msg_seq_num_on_both_sides_avoids_a_resend_request() {
    let mut config = initiator();
    config.send_next_expected_msg_seq_num = true;
    let mut d = Driver::new(config);
    d.connect();
    d.link_up();
    d.peer.next_seq = 3;
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::NEXT_EXPECTED_MSG_SEQ_NUM, "2");
    let out = d.receive(logon);
    // The peer resends 1..2 because our Logon said we expect 1.
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert!(out.has(&Recorded::LoggedOn));
    let utc = d.clock.utc();
    let gf = d
        .peer
        .msg_with_seq(b"4", 1, utc)
        .poss_dup(utc)
        .set(tag::GAP_FILL_FLAG, "Y")
        .set(tag::NEW_SEQ_NO, "3");
    d.receive(gf);
    assert_eq!(d.session.next_target_seq_num(), 4);
}

#[test]
fn resend_requests_are_chunked() {
    let mut config = acceptor();
    config.resend_request_chunk_size = 2;
    let mut d = established(config);
    let utc = d.clock.utc();
    d.peer.next_seq = 7;
    let m = d.peer.msg(b"D", utc).set(11, "seven");
    let rr = only(&d.receive(m), b"2");
    assert_eq!((rr.num(7), rr.num(16)), (Some(2), Some(3)));
    let mut requests = Vec::new();
    let mut delivered = 0;
    for seq in 2..7 {
        let m = d.peer.msg_with_seq(b"D", seq, utc).poss_dup(utc);
        let out = d.receive(m);
        delivered += out.app_messages().len();
        requests.extend(out.of_type(b"2"));
    }
    let ranges: Vec<_> = requests
        .iter()
        .map(|r| (r.num(7).unwrap(), r.num(16).unwrap()))
        .collect();
    assert_eq!(ranges, [(4, 5), (6, 6)]);
    assert_eq!(delivered, 6);
    assert_eq!(d.session.next_target_seq_num(), 8);
}

#[test]
fn redundant_resend_requests_when_enabled() {
    let mut config = acceptor();
    config.send_redundant_resend_requests = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    d.peer.next_seq = 5;
    for _ in 0..2 {
        let m = d.peer.msg(b"0", utc);
        assert_eq!(only(&d.receive(m), b"2").num(7), Some(2));
    }
}

/// Two sides each beyond a gap in the other's messages: our ResendRequest
/// is out, and the peer's own ResendRequest arrives beyond the gap. It is
/// answered, but draws no second request of ours even with redundant
/// requests on, as in QuickFIX (which never asks for a resend on a
/// ResendRequest): otherwise each side's requests would draw the other's,
/// and each a full resend.
#[test]
fn redundant_resend_requests_not_drawn_by_a_resend_request_beyond_the_gap() {
    let mut config = acceptor();
    config.send_redundant_resend_requests = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    d.peer.next_seq = 5;
    let m = d.peer.msg(b"0", utc);
    assert_eq!(only(&d.receive(m), b"2").num(7), Some(2));
    let m = d.peer.msg(b"2", utc).set(7, "1").set(16, "0");
    let out = d.receive(m).messages();
    assert!(!out.is_empty(), "the ResendRequest is answered");
    assert!(
        out.iter().all(|m| m.msg_type() == b"4"),
        "only gap fills: {out:?}"
    );
    // The peer fills the gap: what was kept beyond it, the Heartbeat and
    // the ResendRequest already acted on, counts without a second answer.
    let fill = d
        .peer
        .msg_with_seq(b"4", 2, utc)
        .poss_dup(utc)
        .set(123, "Y")
        .set(36, "5");
    assert!(d.receive(fill).messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 7);
    // A later message beyond a new gap still draws a request at once.
    d.peer.next_seq = 9;
    let m = d.peer.msg(b"0", utc);
    assert_eq!(only(&d.receive(m), b"2").num(7), Some(7));
}

#[test]
fn out_of_order_queue_is_bounded() {
    let mut config = acceptor();
    config.max_out_of_order = 2;
    let mut d = established(config);
    let utc = d.clock.utc();
    d.peer.next_seq = 5;
    let mut errors = Vec::new();
    for _ in 0..3 {
        let m = d.peer.msg(b"0", utc);
        errors.extend(d.receive(m).errors());
    }
    assert_eq!(d.session.out_of_order_len(), 2);
    assert!(errors[0].contains("out-of-order queue full"));
}

#[test]
fn reset_on_logon_sends_reset_seq_num_flag() {
    let mut config = initiator();
    config.reset_on_logon = true;
    let mut d = established(config);
    d.send(&order(1));
    d.link_down();
    d.advance(Duration::from_secs(30));
    let logon = only(&d.link_up(), b"A");
    assert_eq!(logon.seq(), 1);
    assert_eq!(logon.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
}

/// An acceptor with ResetOnLogon that has exchanged messages, then lost
/// the link and accepted a new one.
fn reset_on_logon_acceptor_reconnected() -> fixrs_session::testing::Driver {
    let mut config = acceptor();
    config.reset_on_logon = true;
    let mut d = established(config);
    d.send(&order(1));
    let utc = d.clock.utc();
    let m = d.peer.msg(b"D", utc).set(11, "in");
    d.receive(m);
    d.link_down();
    d.link_up();
    d
}

#[test]
fn case_1s_a_reset_on_logon_resets_locally_and_answers_without_the_flag() {
    let mut d = reset_on_logon_acceptor_reconnected();
    assert_eq!(d.session.next_sender_seq_num(), 3);
    d.peer.next_seq = 1;
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    let reply = only(&out, b"A");
    // Both numbers were reset; the peer did not ask for a reset, so the
    // reply does not ask for one either.
    assert_eq!(reply.seq(), 1);
    assert!(!reply.has(tag::RESET_SEQ_NUM_FLAG), "{reply:?}");
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.session.next_sender_seq_num(), 2);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_1s_a_reset_on_logon_logon_seqnum_too_high_sends_resend_request() {
    let mut d = reset_on_logon_acceptor_reconnected();
    d.peer.next_seq = 5;
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"A");
    assert_eq!(msgs[0].seq(), 1);
    assert!(!msgs[0].has(tag::RESET_SEQ_NUM_FLAG), "{:?}", msgs[0]);
    // The Logon's MsgSeqNum is checked against the reset number, 1.
    assert_eq!(msgs[1].msg_type(), b"2");
    assert_eq!(msgs[1].seq(), 2);
    assert_eq!(msgs[1].num(tag::BEGIN_SEQ_NO), Some(1));
    assert_eq!(msgs[1].num(tag::END_SEQ_NO), Some(0));
    assert_eq!(d.session.next_target_seq_num(), 1);
    assert_eq!(d.session.state(), SessionState::Established);
    // The resends fill the gap; the Logon then counts.
    let utc = d.clock.utc();
    for seq in 1..5 {
        let m = d.peer.msg_with_seq(b"0", seq, utc).poss_dup(utc);
        d.receive(m);
    }
    assert_eq!(d.session.next_target_seq_num(), 6);
}

#[test]
fn case_1s_a_reset_on_logon_ignores_the_peers_next_expected_from_before_the_reset() {
    let mut config = acceptor();
    config.reset_on_logon = true;
    config.send_next_expected_msg_seq_num = true;
    let mut d = established(config);
    d.send(&order(1));
    d.link_down();
    d.link_up();
    d.peer.next_seq = 1;
    // The peer expects our 3, which the reset made 1.
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::NEXT_EXPECTED_MSG_SEQ_NUM, "3");
    let out = d.receive(logon);
    let reply = only(&out, b"A");
    assert_eq!(reply.seq(), 1);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_1s_a_reset_on_logon_answers_a_requested_reset_with_the_flag() {
    let mut d = reset_on_logon_acceptor_reconnected();
    d.peer.next_seq = 1;
    let logon = d
        .peer
        .logon(30, d.clock.utc())
        .set(tag::RESET_SEQ_NUM_FLAG, "Y");
    let reply = only(&d.receive(logon), b"A");
    assert_eq!(reply.seq(), 1);
    assert_eq!(reply.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
    assert_eq!(d.session.next_target_seq_num(), 2);
}

#[test]
fn reset_on_logout_and_on_disconnect() {
    let mut config = initiator();
    config.reset_on_logout = true;
    let mut d = established(config);
    d.send(&order(1));
    d.logout(None);
    let utc = d.clock.utc();
    let reply = d.peer.msg(b"5", utc);
    d.receive(reply);
    assert_eq!(
        (
            d.session.next_sender_seq_num(),
            d.session.next_target_seq_num()
        ),
        (1, 1)
    );

    let mut config = initiator();
    config.reset_on_disconnect = true;
    let mut d = established(config);
    d.send(&order(1));
    d.link_down();
    assert_eq!(
        (
            d.session.next_sender_seq_num(),
            d.session.next_target_seq_num()
        ),
        (1, 1)
    );
    assert_eq!(d.store.lock().next_sender_seq_num(), 1);
}

#[test]
fn reset_on_logout_follows_the_peers_logout_as_quickfix_does() {
    let seqs = |d: &Driver| {
        (
            d.session.next_sender_seq_num(),
            d.session.next_target_seq_num(),
        )
    };
    // Our Logout unanswered (LogoutTimeout): no Logout received, no reset.
    let mut config = initiator();
    config.reset_on_logout = true;
    let mut d = established(config);
    d.send(&order(1));
    d.logout(None);
    let out = d.advance(Duration::from_secs(10));
    assert!(out.closed());
    assert_eq!(seqs(&d), (4, 2));
    assert_eq!(d.store.lock().next_sender_seq_num(), 4);

    // Our Logout for an error, answered: reset.
    let mut config = acceptor();
    config.reset_on_logout = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(tag::SENDER_COMP_ID, "OTHER");
    d.receive(msg);
    let reply = d.peer.msg(b"5", utc);
    let out = d.receive(reply);
    assert!(out.closed());
    assert_eq!(seqs(&d), (1, 1));

    // The peer's own Logout: reset.
    let mut config = acceptor();
    config.reset_on_logout = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc);
    d.receive(logout);
    assert_eq!(seqs(&d), (1, 1));
}

#[test]
fn reset_seq_num_local() {
    let mut d = established(initiator());
    d.send(&order(1));
    d.link_down();
    d.session.reset_seq_num_local(d.clock.time());
    assert_eq!(
        (
            d.session.next_sender_seq_num(),
            d.session.next_target_seq_num()
        ),
        (1, 1)
    );
    assert!(d.store.lock().is_empty());
}

#[test]
fn reset_at_next_logon_when_not_established() {
    let mut d = Driver::new(initiator());
    d.session.reset_seq_num_and_send_logon(d.clock.time());
    d.connect();
    let logon = only(&d.link_up(), b"A");
    assert_eq!(logon.text(tag::RESET_SEQ_NUM_FLAG).as_deref(), Some("Y"));
}

fn daily(start: (u32, u32), end: (u32, u32)) -> Schedule {
    Schedule::daily(
        TimeOfDay::from_hms(start.0, start.1, 0).unwrap(),
        TimeOfDay::from_hms(end.0, end.1, 0).unwrap(),
    )
}

#[test]
fn schedule_acceptor_refuses_logon_outside_the_period() {
    // The clock starts at 10:00 UTC.
    let mut config = acceptor();
    config.schedule = Some(daily((8, 0), (9, 0)));
    let mut d = Driver::new(config);
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    assert!(out.bytes.is_empty());
    assert!(out.closed());
    assert!(out
        .errors()
        .iter()
        .any(|e| e.contains("outside the session period")));
}

#[test]
fn schedule_initiator_waits_for_the_period_to_start() {
    let mut config = initiator();
    config.schedule = Some(daily((10, 30), (17, 0)));
    let mut d = Driver::new(config);
    let out = d.connect();
    assert!(!out.has(&Recorded::OpenLink));
    assert_eq!(d.session.state(), SessionState::Reconnect);
    let out = d.advance(Duration::from_secs(30 * 60 - 1));
    assert!(!out.has(&Recorded::OpenLink));
    let out = d.advance(Duration::from_secs(1));
    assert!(out.has(&Recorded::OpenLink));
}

#[test]
fn schedule_end_logs_out_and_a_new_period_resets_sequence_numbers() {
    let mut config = initiator();
    config.schedule = Some(daily((9, 0), (10, 1)));
    let mut d = established(config);
    d.send(&order(1));
    let out = d.advance(Duration::from_secs(60));
    let logout = out.of_type(b"5");
    assert_eq!(logout.len(), 1, "{:?}", out.messages());
    assert_eq!(
        logout[0].text(tag::TEXT).as_deref(),
        Some("Session period ended")
    );
    let utc = d.clock.utc();
    let reply = d.peer.msg(b"5", utc);
    assert!(d.receive(reply).closed());
    assert_eq!(d.session.state(), SessionState::Reconnect);
    // Nothing until 09:00 the next day, then a fresh sequence.
    let out = d.advance(Duration::from_secs(22 * 3600 + 58 * 60));
    assert!(!out.has(&Recorded::OpenLink));
    let out = d.advance(Duration::from_secs(60));
    assert!(out.has(&Recorded::OpenLink));
    let logon = only(&d.link_up(), b"A");
    assert_eq!(logon.seq(), 1);
    assert_eq!(d.session.next_target_seq_num(), 1);
}

#[test]
fn schedule_new_store_from_an_earlier_period_is_reset_on_creation() {
    let clock = Clock::new();
    let mut store = MemoryStore::new(UtcTimestamp::from_unix(0, 0));
    store.set_next_sender_seq_num(40).unwrap();
    let mut config = initiator();
    config.schedule = Some(daily((9, 0), (17, 0)));
    let d = Driver::with_store(config, SharedStore::new(store), clock);
    assert_eq!(d.session.next_sender_seq_num(), 1);
}

#[test]
fn logon_window_ends_the_logon_without_resetting_sequence_numbers() {
    // The clock starts at 10:00 UTC: within the period (09:00-17:00) and
    // the logon window (09:30-10:01, LogonTime/LogoutTime).
    let mut config = initiator();
    config.schedule = Some(daily((9, 0), (17, 0)));
    config.logon_window = Some(daily((9, 30), (10, 1)));
    let mut d = established(config);
    d.send(&order(1));
    let out = d.advance(Duration::from_secs(60));
    let logout = out.of_type(b"5");
    assert_eq!(logout.len(), 1, "{:?}", out.messages());
    assert_eq!(
        logout[0].text(tag::TEXT).as_deref(),
        Some("Logon window ended")
    );
    let utc = d.clock.utc();
    let reply = d.peer.msg(b"5", utc);
    assert!(d.receive(reply).closed());
    assert_eq!(d.session.state(), SessionState::Reconnect);
    // Still the same period until 09:00: no reset, no logon.
    let next = d.session.next_sender_seq_num();
    assert!(next > 2);
    let out = d.advance(Duration::from_secs(22 * 3600 + 58 * 60));
    assert!(!out.has(&Recorded::OpenLink), "{out:?}");
    assert_eq!(d.session.next_sender_seq_num(), next);
    // The next logon is at 09:30.
    let out = d.advance(Duration::from_secs(30 * 60));
    assert!(!out.has(&Recorded::OpenLink), "{out:?}");
    let out = d.advance(Duration::from_secs(60));
    assert!(out.has(&Recorded::OpenLink));
    // 09:30 the next day is a new period (09:00): a fresh sequence.
    let logon = only(&d.link_up(), b"A");
    assert_eq!(logon.seq(), 1);
}

#[test]
fn logon_window_without_a_schedule_keeps_the_sequence() {
    let mut config = acceptor();
    config.logon_window = Some(daily((8, 0), (8, 1)));
    let mut d = Driver::new(config);
    d.connect();
    d.link_up();
    // 10:00: outside the window, the Logon is refused.
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    assert!(out.bytes.is_empty());
    assert!(out.closed());
    // 08:00 the next day: accepted.
    d.advance(Duration::from_secs(22 * 3600));
    d.connect();
    d.link_up();
    d.peer.next_seq = 1;
    let logon = d.peer.logon(30, d.clock.utc());
    let out = d.receive(logon);
    assert_eq!(only(&out, b"A").seq(), 1);
    assert_eq!(d.session.state(), SessionState::Established);
    // 08:01: the window ends; logged out, and without a schedule the
    // sequence numbers stay.
    let out = d.advance(Duration::from_secs(60));
    let logout = out.of_type(b"5");
    assert_eq!(logout.len(), 1, "{:?}", out.messages());
    assert_eq!(d.session.next_target_seq_num(), 2);
}

#[test]
fn partial_writes() {
    let mut d = established(initiator());
    for i in 0..3 {
        d.session.send(&order(i), d.clock.time()).unwrap();
    }
    let all = d.session.poll_transmit().unwrap().to_vec();
    assert_eq!(d.session.pending_transmit_len(), all.len());
    d.session.transmitted(10);
    assert_eq!(d.session.poll_transmit().unwrap(), &all[10..]);
    assert_eq!(d.session.pending_transmit_len(), all.len() - 10);
    d.session.transmitted(all.len() - 20);
    assert_eq!(d.session.poll_transmit().unwrap(), &all[all.len() - 10..]);
    d.session.transmitted(10);
    assert!(d.session.poll_transmit().is_none());
    assert_eq!(d.session.pending_transmit_len(), 0);
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let run = || {
        let mut d = Driver::new(initiator());
        let mut bytes = d.establish().bytes;
        for i in 0..5 {
            bytes.extend(d.send(&order(i)).bytes);
            bytes.extend(d.advance(Duration::from_secs(17)).bytes);
        }
        let utc = d.clock.utc();
        d.peer.next_seq = 9;
        let m = d.peer.msg(b"D", utc);
        bytes.extend(d.receive(m).bytes);
        bytes.extend(d.advance(Duration::from_secs(100)).bytes);
        bytes
    };
    assert_eq!(run(), run());
}

#[test]
fn invalid_configuration_is_refused() {
    let clock = Clock::new();
    let store = || Box::new(MemoryStore::new(clock.utc()));
    let mut config = initiator();
    config.id.sender_comp_id.clear();
    assert!(Session::new(config, store(), clock.time()).is_err());
    let mut config = initiator();
    config.test_request_delay_multiplier = -1.0;
    assert!(Session::new(config, store(), clock.time()).is_err());
}

/// A store that counts flushes and checks that a message is saved before
/// its bytes are handed out.
struct FlushCounting {
    inner: MemoryStore,
    flushes: Arc<AtomicUsize>,
}

impl Store for FlushCounting {
    fn next_sender_seq_num(&self) -> SeqNum {
        self.inner.next_sender_seq_num()
    }
    fn next_target_seq_num(&self) -> SeqNum {
        self.inner.next_target_seq_num()
    }
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.inner.set_next_sender_seq_num(seq)
    }
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.inner.set_next_target_seq_num(seq)
    }
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        self.inner.save_outgoing(seq, message)
    }
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        self.inner.outgoing(begin, end, visit)
    }
    fn creation_time(&self) -> UtcTimestamp {
        self.inner.creation_time()
    }
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        self.inner.reset(now)
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn store_is_flushed_before_bytes_are_handed_out() {
    let clock = Clock::new();
    let flushes = Arc::new(AtomicUsize::new(0));
    let store = FlushCounting {
        inner: MemoryStore::new(clock.utc()),
        flushes: flushes.clone(),
    };
    let mut s = Session::new(initiator(), Box::new(store), clock.time()).unwrap();
    s.connect(clock.time());
    s.handle_link_up(clock.time());
    assert_eq!(flushes.load(Ordering::SeqCst), 0);
    assert!(s.poll_transmit().is_some());
    assert_eq!(flushes.load(Ordering::SeqCst), 1);
    assert!(s.store().next_sender_seq_num() == 2);
    // Nothing new saved: no second flush.
    let _ = s.poll_transmit();
    assert_eq!(flushes.load(Ordering::SeqCst), 1);
    let _ = drain(&mut s);
}

#[test]
fn session_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Session>();
}
