//! FIX Session Layer Test Cases 12, 13a and 13b: logout.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{drain, Driver, Recorded};
use fixrs_session::SessionState;
use std::time::Duration;

#[test]
fn case_12_logout_waits_for_the_reply_then_disconnects() {
    let mut d = established(initiator());
    let out = d.logout(Some("end of day"));
    let logout = only(&out, b"5");
    assert_header(&logout, "INI", "ACC", 2);
    assert_eq!(logout.text(tag::TEXT).as_deref(), Some("end of day"));
    assert!(!out.closed());
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
    // No reply within LogoutTimeout (2 s): disconnect anyway.
    let out = d.advance(Duration::from_secs(2));
    assert!(out.closed());
    assert!(out.has(&Recorded::LoggedOut(Some("end of day".into()))));
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
    // No reconnect after a requested logout.
    let out = d.advance(Duration::from_secs(300));
    assert!(!out.has(&Recorded::OpenLink));
}

#[test]
fn case_12_messages_during_logout_are_still_processed() {
    let mut d = established(acceptor());
    d.logout(None);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "late");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_13a_logout_reply_closes_without_sending() {
    let mut d = established(initiator());
    d.logout(None);
    let utc = d.clock.utc();
    let reply = d.peer.msg(b"5", utc);
    let out = d.receive(reply);
    assert!(out.bytes.is_empty());
    assert!(out.closed());
    assert!(out.has(&Recorded::LoggedOut(None)));
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn disconnect_after_a_clean_logout_keeps_correctly_terminated() {
    // Finalizing a session that logged out (which disconnects it) must not
    // turn a clean end into a failed one.
    let mut d = established(initiator());
    d.logout(None);
    let utc = d.clock.utc();
    let reply = d.peer.msg(b"5", utc);
    d.receive(reply);
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
    d.session.disconnect(d.clock.time());
    let out = drain(&mut d.session);
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, Recorded::StateChanged { .. })),
        "{out:?}"
    );
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
}

#[test]
fn disconnect_while_lingering_after_logout_closes_and_keeps_the_state() {
    // 13b: the peer's Logout was answered and the link lingers; dropping it
    // now closes the link and the session stays correctly terminated.
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc);
    let out = d.receive(logout);
    assert!(!out.closed());
    d.session.disconnect(d.clock.time());
    let out = drain(&mut d.session);
    assert!(out.closed(), "{out:?}");
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
}

#[test]
fn case_13b_unsolicited_logout_is_answered() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc).set(tag::TEXT, "bye");
    let out = d.receive(logout);
    let reply = only(&out, b"5");
    assert_header(&reply, "ACC", "INI", 2);
    assert!(out.has(&Recorded::LoggedOut(Some("bye".into()))));
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
    // The peer should disconnect; if it does not, we do.
    assert!(!out.closed());
    let out = d.advance(Duration::from_secs(2));
    assert!(out.closed());
}

#[test]
fn case_13b_peer_disconnect_after_our_reply() {
    let mut d = established(initiator());
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc);
    d.receive(logout);
    let out = d.link_down();
    assert!(out.events.is_empty());
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
    // Logged out by the counterparty: no reconnect.
    let out = d.advance(Duration::from_secs(300));
    assert!(!out.has(&Recorded::OpenLink));
}

#[test]
fn case_12_resend_request_during_logout_is_answered() {
    let mut d = established(acceptor());
    d.send(&order(1));
    d.logout(None);
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "2")
        .set(tag::END_SEQ_NO, "0");
    let msgs = d.receive(rr).messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"D");
    assert!(msgs[0].poss_dup());
    assert!(msgs[1].is_gap_fill());
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn close_link_waits_for_the_logout_before_it() {
    // An invalid Logon reply (case 1B d): Logout, then close. A driver
    // that takes events before bytes must still write the Logout first:
    // the close is held back until the bytes are acknowledged.
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc()).remove(tag::HEART_BT_INT);
    d.session.handle_input(&logon.encode(), d.clock.time());
    let mut events = Vec::new();
    while let Some(e) = d.session.poll_event() {
        events.push(Recorded::from_event(e));
    }
    assert!(!events.contains(&Recorded::CloseLink), "{events:?}");
    assert!(!d.session.has_event());
    assert!(d.session.close_pending());
    // A partial write does not release it either.
    let pending = d.session.poll_transmit().expect("the Logout").to_vec();
    assert!(pending.windows(5).any(|w| w == b"\x0135=5"));
    d.session.transmitted(pending.len() - 1);
    assert!(d.session.poll_event().is_none());
    d.session.transmitted(1);
    assert!(d.session.has_event());
    assert!(!d.session.close_pending());
    let mut after = Vec::new();
    while let Some(e) = d.session.poll_event() {
        after.push(Recorded::from_event(e));
    }
    assert_eq!(after.first(), Some(&Recorded::CloseLink), "{after:?}");
}

#[test]
fn link_down_releases_a_held_close() {
    // The link broke before the Logout could be written: its bytes are
    // dropped and the close comes out, for the link already gone.
    let mut d = Driver::new(initiator());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc()).remove(tag::HEART_BT_INT);
    d.session.handle_input(&logon.encode(), d.clock.time());
    while d.session.poll_event().is_some() {}
    assert!(d.session.poll_transmit().is_some());
    d.session.handle_link_down(d.clock.time());
    assert!(d.session.poll_transmit().is_none());
    let mut after = Vec::new();
    while let Some(e) = d.session.poll_event() {
        after.push(Recorded::from_event(e));
    }
    assert!(after.contains(&Recorded::CloseLink), "{after:?}");
}
