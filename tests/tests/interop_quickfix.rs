//! Interop of our engine with QuickFIX C++ (the `quickfix-tls` bindings in
//! the repository's .venv, made by .ci/setup-python) over TCP on
//! 127.0.0.1, for FIX.4.2, FIX.4.4 and FIXT.1.1 with FIX.5.0SP2, in both
//! directions: our initiator against a QuickFIX acceptor, a QuickFIX
//! initiator against our acceptor.
//!
//! Each scenario is one function below, run for each version and for each
//! of our engines (mio, and tokio in the `tokio_*` modules) by the
//! `interop_tests!` modules at the end: logon and orders answered by
//! execution reports both ways, heartbeats and TestRequest with a short
//! HeartBtInt, a lost link followed by reconnect and recovery of every
//! message sent meanwhile, a sequence reset by Logon with
//! ResetSeqNumFlag(141)=Y, and Logout from either side.

use fix_tests::interop::{is_poss_dup, seq_of, Engine, OurEvent, OurSide};
use fix_tests::quickfix::{PeerConfig, PeerEvent, QuickFixPeer};
use fixrs_proto::tag::{HEART_BT_INT, RESET_SEQ_NUM_FLAG, TEST_REQ_ID, TEXT};
use fixrs_proto::FixVersion;
use fixrs_session::SessionState;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Our CompID.
const US: &str = "FIXRS";
/// QuickFIX's CompID.
const QF: &str = "QUICKFIX";
/// The longest any single expected event may take (generous for a busy
/// machine; the scenarios normally move on in milliseconds).
const WAIT: Duration = Duration::from_secs(20);
/// ClOrdID(11).
const CL_ORD_ID: u32 = 11;

/// QuickFIX acceptor and our initiator, both logged on.
fn our_initiator(
    engine: Engine,
    version: FixVersion,
    heart_bt_int: u32,
) -> Result<(QuickFixPeer, OurSide), Box<dyn std::error::Error>> {
    let mut peer =
        QuickFixPeer::start(PeerConfig::acceptor(version, QF, US).heart_bt_int(heart_bt_int))?;
    let mut ours = OurSide::initiator(engine, version, US, QF, peer.port(), heart_bt_int)?;
    ours.wait_logged_on(WAIT)?;
    peer.wait_for_event("logon", WAIT)?;
    Ok((peer, ours))
}

/// Our acceptor and a QuickFIX initiator, both logged on.
fn our_acceptor(
    engine: Engine,
    version: FixVersion,
    heart_bt_int: u32,
) -> Result<(QuickFixPeer, OurSide), Box<dyn std::error::Error>> {
    let mut ours = OurSide::acceptor(engine, version, US, QF)?;
    let port = ours.listen_port().ok_or("our acceptor has no port")?;
    let mut peer = QuickFixPeer::start(
        PeerConfig::initiator(version, QF, US, port).heart_bt_int(heart_bt_int),
    )?;
    ours.wait_logged_on(WAIT)?;
    peer.wait_for_event("logon", WAIT)?;
    Ok((peer, ours))
}

/// When the peer reported an event (seconds since the Unix epoch).
fn event_time(event: &PeerEvent) -> Option<f64> {
    event.get("time").and_then(|t| t.as_f64())
}

/// Waits until QuickFIX received an application message of this MsgType
/// and ClOrdID.
fn peer_app_in(
    peer: &mut QuickFixPeer,
    msg_type: &str,
    cl_ord_id: &str,
) -> Result<PeerEvent, Box<dyn std::error::Error>> {
    let awaited = format!("app_in 35={msg_type} ClOrdID {cl_ord_id}");
    Ok(peer.wait_for(&awaited, WAIT, |e| {
        e.is_message("app_in", msg_type) && e.field(CL_ORD_ID) == Some(cl_ord_id)
    })?)
}

/// How many application messages of this MsgType and ClOrdID QuickFIX
/// received.
fn peer_count_app_in(
    peer: &mut QuickFixPeer,
    msg_type: &str,
    cl_ord_id: &str,
) -> Result<usize, Box<dyn std::error::Error>> {
    Ok(peer
        .history()?
        .iter()
        .filter(|e| e.is_message("app_in", msg_type) && e.field(CL_ORD_ID) == Some(cl_ord_id))
        .count())
}

/// Session-level Reject(3) and BusinessMessageReject(j) QuickFIX received
/// or sent, and errors it reported: none is expected in any scenario.
fn peer_problems(peer: &mut QuickFixPeer) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(peer
        .history()?
        .iter()
        .filter(|e| {
            e.kind() == "error"
                || (matches!(e.kind(), "admin_in" | "admin_out") && e.msg_type() == Some("3"))
                || (matches!(e.kind(), "app_in" | "app_out") && e.msg_type() == Some("j"))
        })
        .map(ToString::to_string)
        .collect())
}

/// Neither side rejected anything nor reported an error.
fn assert_no_problems(peer: &mut QuickFixPeer, ours: &mut OurSide) -> TestResult {
    let theirs = peer_problems(peer)?;
    assert!(
        theirs.is_empty(),
        "QuickFIX rejected or failed: {theirs:#?}"
    );
    let mine = ours.problems();
    assert!(mine.is_empty(), "our engine rejected or failed: {mine:#?}");
    Ok(())
}

/// Our orders are answered by QuickFIX, QuickFIX's orders by us; every
/// message arrives once, in order, without PossDup, and both sides agree
/// on the sequence numbers.
fn order_roundtrip(peer: &mut QuickFixPeer, ours: &mut OurSide) -> TestResult {
    let ids = ["US-1", "US-2", "US-3"];
    for id in ids {
        ours.put_order(id)?;
    }
    let mut last_seq = 0;
    for id in ids {
        let order = peer_app_in(peer, "D", id)?;
        assert!(!order.poss_dup(), "{order}");
        let seq = order.seq().ok_or("no MsgSeqNum")?;
        assert!(seq > last_seq, "orders out of sequence: {order}");
        last_seq = seq;
        let report = ours.wait_app("8", id, WAIT)?;
        assert!(!is_poss_dup(&report));
    }

    peer.command("orders 3 QF")?;
    for id in ["QF-1", "QF-2", "QF-3"] {
        let order = ours.wait_app("D", id, WAIT)?;
        assert!(!is_poss_dup(&order));
        let report = peer_app_in(peer, "8", id)?;
        assert!(!report.poss_dup(), "{report}");
    }

    for id in ids {
        assert_eq!(peer_count_app_in(peer, "D", id)?, 1, "{id} delivered once");
    }
    assert_eq!(ours.session().state(), SessionState::Established);
    assert_in_step(peer, ours)?;
    assert_no_problems(peer, ours)
}

/// With HeartBtInt=1 both sides send Heartbeats on an idle link (at most
/// one a second: the second one of ours comes no sooner than 1.5 s after
/// logon), and our engine answers QuickFIX's TestRequest with its
/// TestReqID. Waits are bounded by [`WAIT`] rather than a fixed window, so
/// a busy machine delays the test instead of failing it.
fn heartbeats(peer: &mut QuickFixPeer, ours: &mut OurSide) -> TestResult {
    let logged_on_at = peer
        .history()?
        .iter()
        .find(|e| e.kind() == "logon")
        .and_then(event_time)
        .ok_or("no logon time")?;
    let mut last = None;
    for n in 1..=2 {
        let heartbeat = peer.wait_for(&format!("Heartbeat {n} from our engine"), WAIT, |e| {
            e.is_message("admin_in", "0") && e.field(TEST_REQ_ID).is_none()
        })?;
        last = event_time(&heartbeat);
    }
    let second_after = last.ok_or("no Heartbeat time")? - logged_on_at;
    assert!(
        second_after >= 1.5,
        "our second Heartbeat came {second_after:.2} s after logon with HeartBtInt=1"
    );
    for n in 1..=2 {
        peer.wait_for(&format!("Heartbeat {n} from QuickFIX"), WAIT, |e| {
            e.is_message("admin_out", "0") && e.field(TEST_REQ_ID).is_none()
        })?;
        ours.wait_for(&format!("Heartbeat {n} from QuickFIX"), WAIT, |e| {
            e.admin_message("0")
                .is_some_and(|m| m.get(TEST_REQ_ID).is_none())
        })?;
    }

    peer.command("test_request PING-1")?;
    let answer = peer.wait_for("Heartbeat answering TestRequest PING-1", WAIT, |e| {
        e.is_message("admin_in", "0") && e.field(TEST_REQ_ID) == Some("PING-1")
    })?;
    assert!(answer.seq().is_some());
    assert_eq!(ours.session().state(), SessionState::Established);
    let (logged_on, _, _) = peer.status()?;
    assert!(logged_on, "the link stayed up");
    assert_no_problems(peer, ours)
}

/// Orders both sides send while the link is down all arrive once after
/// the reconnect; QuickFIX's arrive as PossDup resends.
fn recovery_after_lost_link(peer: &mut QuickFixPeer, ours: &mut OurSide, tag: &str) -> TestResult {
    ours.wait_for("our session to leave Established", WAIT, |e| {
        matches!(
            e,
            OurEvent::StateChanged {
                from: SessionState::Established,
                ..
            }
        )
    })?;
    peer.wait_for_event("logout", WAIT)?;

    // QuickFIX stores these with their MsgSeqNums and resends them when
    // our engine asks; ours are kept and sent after the next Logon.
    let their_ids: Vec<String> = (1..=2).map(|i| format!("QF-{tag}-{i}")).collect();
    peer.command(&format!("orders 2 QF-{tag}"))?;
    let our_ids: Vec<String> = (1..=2).map(|i| format!("US-{tag}-{i}")).collect();
    for id in &our_ids {
        ours.put_order(id)?;
    }

    ours.wait_logged_on(WAIT)?;
    peer.wait_for_event("logon", WAIT)?;
    for id in &their_ids {
        let order = ours.wait_app("D", id, WAIT)?;
        assert!(is_poss_dup(&order), "a resent order carries PossDupFlag=Y");
        peer_app_in(peer, "8", id)?;
    }
    for id in &our_ids {
        peer_app_in(peer, "D", id)?;
        ours.wait_app("8", id, WAIT)?;
    }
    for id in &our_ids {
        assert_eq!(peer_count_app_in(peer, "D", id)?, 1, "{id} delivered once");
    }
    for id in &their_ids {
        assert_eq!(ours.count_app("D", id), 1, "{id} delivered once");
    }
    Ok(())
}

/// Both sides agree on the sequence numbers once the link is quiet.
/// QuickFIX counts a message received after its callback returns, so its
/// numbers are read until they settle (or the wait is over).
fn assert_in_step(peer: &mut QuickFixPeer, ours: &mut OurSide) -> TestResult {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (logged_on, qf_next_out, qf_next_in) = peer.status()?;
        let mine = (ours.session().in_seq_num(), ours.session().out_seq_num());
        if logged_on && mine == (qf_next_out, qf_next_in) {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            assert!(logged_on, "QuickFIX is logged on");
            assert_eq!(
                mine,
                (qf_next_out, qf_next_in),
                "our (next expected, next outgoing) MsgSeqNum against QuickFIX's"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// QuickFIX's (next outgoing, next expected) MsgSeqNum become `expected`
/// within the wait (it counts a message after its callback returns).
fn assert_peer_seq_nums(peer: &mut QuickFixPeer, expected: (u64, u64), what: &str) -> TestResult {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (_, next_out, next_in) = peer.status()?;
        if (next_out, next_in) == expected {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            assert_eq!((next_out, next_in), expected, "{what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// After a Logon with ResetSeqNumFlag(141)=Y both sides count from 1 again
/// and orders still flow.
fn after_reset(peer: &mut QuickFixPeer, ours: &mut OurSide) -> TestResult {
    ours.put_order("US-AFTER-RESET")?;
    let order = peer_app_in(peer, "D", "US-AFTER-RESET")?;
    assert_eq!(order.seq(), Some(2), "first order after the reset: {order}");
    ours.wait_app("8", "US-AFTER-RESET", WAIT)?;
    peer.command("orders 1 QF-AFTER-RESET")?;
    let theirs = ours.wait_app("D", "QF-AFTER-RESET-1", WAIT)?;
    assert!(
        seq_of(&theirs).is_some_and(|seq| seq <= 3),
        "QuickFIX counts from 1 again"
    );
    assert_in_step(peer, ours)?;
    assert_no_problems(peer, ours)
}

// ---------------------------------------------------------------------
// Our initiator against a QuickFIX acceptor.

fn our_initiator_order_roundtrip(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_initiator(engine, version, 30)?;
    let logon = peer
        .history()?
        .iter()
        .find(|e| e.is_message("admin_in", "A"))
        .cloned()
        .ok_or("QuickFIX saw no Logon")?;
    assert_eq!(logon.field(HEART_BT_INT), Some("30"));
    assert_eq!(logon.seq(), Some(1));
    order_roundtrip(&mut peer, &mut ours)
}

fn our_initiator_heartbeats(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_initiator(engine, version, 1)?;
    heartbeats(&mut peer, &mut ours)
}

fn our_initiator_reconnect_resend(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_initiator(engine, version, 30)?;
    ours.put_order("US-0")?;
    peer_app_in(&mut peer, "D", "US-0")?;
    ours.wait_app("8", "US-0", WAIT)?;

    // QuickFIX drops the link without Logout; our initiator reconnects.
    peer.command("disconnect")?;
    recovery_after_lost_link(&mut peer, &mut ours, "GAP")?;
    assert_in_step(&mut peer, &mut ours)?;

    // The acceptor goes away altogether and comes back with its store:
    // what we put meanwhile is delivered after our reconnect attempts
    // succeed.
    peer.command("stop")?;
    ours.wait_for("our session to leave Established", WAIT, |e| {
        matches!(
            e,
            OurEvent::StateChanged {
                from: SessionState::Established,
                ..
            }
        )
    })?;
    ours.put_order("US-DOWN-1")?;
    std::thread::sleep(Duration::from_millis(1500));
    peer.command("start")?;
    ours.wait_logged_on(WAIT)?;
    peer_app_in(&mut peer, "D", "US-DOWN-1")?;
    ours.wait_app("8", "US-DOWN-1", WAIT)?;
    assert_eq!(peer_count_app_in(&mut peer, "D", "US-DOWN-1")?, 1);
    assert_in_step(&mut peer, &mut ours)?;
    assert_no_problems(&mut peer, &mut ours)
}

fn our_initiator_reset_by_logon(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_initiator(engine, version, 30)?;
    for id in ["US-1", "US-2"] {
        ours.put_order(id)?;
        peer_app_in(&mut peer, "D", id)?;
        ours.wait_app("8", id, WAIT)?;
    }

    assert_in_step(&mut peer, &mut ours)?;
    peer.discard_pending()?;
    ours.discard_pending();
    ours.session().reset_seq_num_and_send_logon()?;
    let logon = peer.wait_for_message("admin_in", "A", WAIT)?;
    assert_eq!(logon.field(RESET_SEQ_NUM_FLAG), Some("Y"), "{logon}");
    assert_eq!(logon.seq(), Some(1), "{logon}");
    let answer = peer.wait_for_message("admin_out", "A", WAIT)?;
    assert_eq!(answer.field(RESET_SEQ_NUM_FLAG), Some("Y"), "{answer}");
    ours.wait_for("QuickFIX's Logon answering the reset", WAIT, |e| {
        e.admin_message("A")
            .is_some_and(|m| m.get_str(RESET_SEQ_NUM_FLAG) == Some("Y") && seq_of(m) == Some(1))
    })?;
    peer.wait_for_event("logon", WAIT)?;
    assert_peer_seq_nums(&mut peer, (2, 2), "QuickFIX after the reset")?;
    assert_eq!(ours.session().state(), SessionState::Established);
    after_reset(&mut peer, &mut ours)
}

fn our_initiator_logout(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_initiator(engine, version, 30)?;
    ours.put_order("US-1")?;
    peer_app_in(&mut peer, "D", "US-1")?;
    ours.wait_app("8", "US-1", WAIT)?;

    // We log out; QuickFIX answers.
    ours.session().disconnect("end of day")?;
    let logout = peer.wait_for_message("admin_in", "5", WAIT)?;
    assert_eq!(logout.field(TEXT), Some("end of day"));
    peer.wait_for_message("admin_out", "5", WAIT)?;
    peer.wait_for_event("logout", WAIT)?;
    ours.wait_logged_out(WAIT)?;
    assert!(
        ours.session()
            .wait_for_state(SessionState::CorrectlyTerminated, WAIT),
        "our state after a confirmed Logout: {:?}",
        ours.session().state()
    );
    let next_out = ours.session().out_seq_num();

    // A new connect continues the sequence numbers.
    peer.discard_pending()?;
    ours.session()
        .connect(30, &format!("127.0.0.1:{}", peer.port()))?;
    ours.wait_logged_on(WAIT)?;
    let logon = peer.wait_for_message("admin_in", "A", WAIT)?;
    assert_eq!(logon.seq(), Some(next_out), "Logon continues the sequence");
    assert_ne!(logon.field(RESET_SEQ_NUM_FLAG), Some("Y"));
    peer.wait_for_event("logon", WAIT)?;

    // QuickFIX logs out; we answer.
    peer.command("logout closing")?;
    let text = ours.wait_logged_out(WAIT)?;
    assert_eq!(text.as_deref(), Some("closing"));
    peer.wait_for_message("admin_in", "5", WAIT)?;
    peer.wait_for_event("logout", WAIT)?;
    assert_no_problems(&mut peer, &mut ours)
}

// ---------------------------------------------------------------------
// A QuickFIX initiator against our acceptor.

fn our_acceptor_order_roundtrip(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_acceptor(engine, version, 30)?;
    let answer = peer
        .history()?
        .iter()
        .find(|e| e.is_message("admin_in", "A"))
        .cloned()
        .ok_or("QuickFIX saw no Logon answer")?;
    assert_eq!(answer.field(HEART_BT_INT), Some("30"));
    assert_eq!(answer.seq(), Some(1));
    order_roundtrip(&mut peer, &mut ours)
}

fn our_acceptor_heartbeats(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_acceptor(engine, version, 1)?;
    heartbeats(&mut peer, &mut ours)
}

fn our_acceptor_reconnect_resend(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_acceptor(engine, version, 30)?;
    peer.command("orders 1 QF-0")?;
    ours.wait_app("D", "QF-0-1", WAIT)?;
    peer_app_in(&mut peer, "8", "QF-0-1")?;

    // We drop the link without Logout; QuickFIX reconnects and our
    // acceptor takes it back.
    ours.session().disconnect_non_gracefully()?;
    recovery_after_lost_link(&mut peer, &mut ours, "GAP")?;
    assert_in_step(&mut peer, &mut ours)?;

    // QuickFIX drops the link; it reconnects and resends.
    peer.command("disconnect")?;
    recovery_after_lost_link(&mut peer, &mut ours, "GAP2")?;
    assert_in_step(&mut peer, &mut ours)?;
    assert_no_problems(&mut peer, &mut ours)
}

fn our_acceptor_reset_by_logon(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_acceptor(engine, version, 30)?;
    peer.command("orders 2 QF")?;
    for id in ["QF-1", "QF-2"] {
        ours.wait_app("D", id, WAIT)?;
        peer_app_in(&mut peer, "8", id)?;
    }
    // Our reply to QF-2 can reach QuickFIX a moment before the engine
    // publishes the count of the order it answers.
    let end = std::time::Instant::now() + WAIT;
    while ours.session().in_seq_num() <= 3 && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(ours.session().in_seq_num() > 3);

    // QuickFIX counts an incoming message after its callback returns; a
    // reset sent from the command thread before that would be undone by
    // the count, so the link must be quiet first.
    assert_in_step(&mut peer, &mut ours)?;
    peer.discard_pending()?;
    ours.discard_pending();
    peer.command("reset_logon")?;
    ours.wait_for("QuickFIX's Logon with ResetSeqNumFlag=Y", WAIT, |e| {
        e.admin_message("A")
            .is_some_and(|m| m.get_str(RESET_SEQ_NUM_FLAG) == Some("Y") && seq_of(m) == Some(1))
    })?;
    let answer = peer.wait_for_message("admin_in", "A", WAIT)?;
    assert_eq!(answer.field(RESET_SEQ_NUM_FLAG), Some("Y"), "{answer}");
    assert_eq!(answer.seq(), Some(1), "{answer}");
    peer.wait_for_event("logon", WAIT)?;
    assert_peer_seq_nums(&mut peer, (2, 2), "QuickFIX after the reset")?;
    assert_eq!(ours.session().state(), SessionState::Established);
    after_reset(&mut peer, &mut ours)
}

fn our_acceptor_logout(engine: Engine, version: FixVersion) -> TestResult {
    let (mut peer, mut ours) = our_acceptor(engine, version, 30)?;

    // QuickFIX logs out; we answer.
    peer.command("logout client done")?;
    let text = ours.wait_logged_out(WAIT)?;
    assert_eq!(text.as_deref(), Some("client done"));
    peer.wait_for_message("admin_in", "5", WAIT)?;
    peer.wait_for_event("logout", WAIT)?;

    // It logs on again and the sequence numbers go on.
    let (_, qf_next_out, _) = peer.status()?;
    peer.discard_pending()?;
    peer.command("logon")?;
    let logon = peer.wait_for_message("admin_out", "A", WAIT)?;
    assert_eq!(
        logon.seq(),
        Some(qf_next_out),
        "Logon continues the sequence"
    );
    ours.wait_logged_on(WAIT)?;
    peer.wait_for_event("logon", WAIT)?;
    peer.command("orders 1 QF-AGAIN")?;
    ours.wait_app("D", "QF-AGAIN-1", WAIT)?;
    peer_app_in(&mut peer, "8", "QF-AGAIN-1")?;

    // We log out; QuickFIX answers.
    ours.session().disconnect("server closing")?;
    let logout = peer.wait_for_message("admin_in", "5", WAIT)?;
    assert_eq!(logout.field(TEXT), Some("server closing"));
    peer.wait_for_event("logout", WAIT)?;
    ours.wait_logged_out(WAIT)?;
    assert!(
        ours.session()
            .wait_for_state(SessionState::CorrectlyTerminated, WAIT),
        "our state after a confirmed Logout: {:?}",
        ours.session().state()
    );
    assert_no_problems(&mut peer, &mut ours)
}

macro_rules! interop_tests {
    ($($module:ident => $engine:expr, $version:expr;)*) => {$(
        mod $module {
            use super::*;

            #[test]
            fn our_initiator_vs_quickfix_acceptor_order_roundtrip() -> TestResult {
                our_initiator_order_roundtrip($engine, $version)
            }

            #[test]
            fn our_initiator_vs_quickfix_acceptor_heartbeats() -> TestResult {
                our_initiator_heartbeats($engine, $version)
            }

            #[test]
            fn our_initiator_vs_quickfix_acceptor_reconnect_resends_missed_messages() -> TestResult {
                our_initiator_reconnect_resend($engine, $version)
            }

            #[test]
            fn our_initiator_vs_quickfix_acceptor_reset_seq_num_by_logon() -> TestResult {
                our_initiator_reset_by_logon($engine, $version)
            }

            #[test]
            fn our_initiator_vs_quickfix_acceptor_logout_both_ways() -> TestResult {
                our_initiator_logout($engine, $version)
            }

            #[test]
            fn quickfix_initiator_vs_our_acceptor_order_roundtrip() -> TestResult {
                our_acceptor_order_roundtrip($engine, $version)
            }

            #[test]
            fn quickfix_initiator_vs_our_acceptor_heartbeats() -> TestResult {
                our_acceptor_heartbeats($engine, $version)
            }

            #[test]
            fn quickfix_initiator_vs_our_acceptor_reconnect_resends_missed_messages() -> TestResult {
                our_acceptor_reconnect_resend($engine, $version)
            }

            #[test]
            fn quickfix_initiator_vs_our_acceptor_reset_seq_num_by_logon() -> TestResult {
                our_acceptor_reset_by_logon($engine, $version)
            }

            #[test]
            fn quickfix_initiator_vs_our_acceptor_logout_both_ways() -> TestResult {
                our_acceptor_logout($engine, $version)
            }
        }
    )*};
}

interop_tests! {
    fix42 => Engine::Mio, FixVersion::Fix42;
    fix44 => Engine::Mio, FixVersion::Fix44;
    fix50sp2 => Engine::Mio, FixVersion::Fix50Sp2;
    tokio_fix42 => Engine::Tokio, FixVersion::Fix42;
    tokio_fix44 => Engine::Tokio, FixVersion::Fix44;
    tokio_fix50sp2 => Engine::Tokio, FixVersion::Fix50Sp2;
}
