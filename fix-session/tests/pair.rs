//! Scenarios over the deterministic `Pair` harness: an initiator and an
//! acceptor joined by an in-memory link with a virtual clock.

use fixrs_proto::{FieldWriter, MessageBuilder};
use fixrs_session::testing::{Fault, Pair, Recorded, ScriptedFaults, SeededFaults, SideId};
use fixrs_session::SessionState;
use std::time::Duration;

fn order(id: u64) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(11, &format!("ORD-{id}"))
        .push_str(55, "EUR/USD")
        .push_char(54, b'1');
    m
}

/// The ClOrdIDs delivered to a side, in order.
fn delivered_ids(pair: &Pair, side: SideId) -> Vec<String> {
    pair.side(side)
        .received
        .iter()
        .map(|m| m.text(11).unwrap_or_default())
        .collect()
}

fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("ORD-{i}")).collect()
}

#[test]
fn pair_logon() {
    let mut pair = Pair::fix44();
    pair.establish();
    for side in [SideId::Initiator, SideId::Acceptor] {
        let s = pair.side(side);
        assert_eq!(s.session.state(), SessionState::Established);
        assert_eq!(s.count(&Recorded::LoggedOn), 1);
        assert_eq!(s.session.next_sender_seq_num(), 2);
        assert_eq!(s.session.next_target_seq_num(), 2);
        assert!(s.errors().is_empty(), "{:?}", s.errors());
    }
    assert_eq!(pair.acceptor().session.heart_bt_int(), 30);
}

#[test]
fn pair_ten_thousand_messages_both_ways() {
    let mut pair = Pair::fix44();
    pair.establish();
    for i in 0..10_000 {
        pair.send(SideId::Initiator, &order(i)).unwrap();
        pair.send(SideId::Acceptor, &order(i)).unwrap();
        if i % 100 == 99 {
            pair.run_for(Duration::from_millis(5));
        }
    }
    pair.run_for(Duration::from_secs(1));
    assert_eq!(delivered_ids(&pair, SideId::Acceptor), ids(0..10_000));
    assert_eq!(delivered_ids(&pair, SideId::Initiator), ids(0..10_000));
    for side in [SideId::Initiator, SideId::Acceptor] {
        let s = pair.side(side);
        assert_eq!(s.session.next_sender_seq_num(), 10_002);
        assert_eq!(s.session.next_target_seq_num(), 10_002);
        assert!(s.errors().is_empty());
    }
}

#[test]
fn pair_heartbeats_keep_an_idle_session_alive() {
    let mut pair = Pair::fix44();
    pair.establish();
    pair.run_for(Duration::from_secs(600));
    for side in [SideId::Initiator, SideId::Acceptor] {
        let s = pair.side(side);
        assert_eq!(s.session.state(), SessionState::Established);
        assert!(s.errors().is_empty());
        // About one Heartbeat per HeartBtInt (30 s) in 600 s.
        assert!((19..=21).contains(&(s.session.next_sender_seq_num() - 2)));
    }
}

#[test]
fn pair_logout() {
    let mut pair = Pair::fix44();
    pair.establish();
    pair.with_session(SideId::Initiator, |s, now| s.logout(Some("bye"), now));
    pair.run_for(Duration::from_secs(300));
    assert_eq!(
        pair.initiator().session.state(),
        SessionState::CorrectlyTerminated
    );
    assert_eq!(
        pair.acceptor().session.state(),
        SessionState::CorrectlyTerminated
    );
    assert!(pair
        .acceptor()
        .saw(&Recorded::LoggedOut(Some("bye".to_string()))));
    assert!(pair
        .initiator()
        .saw(&Recorded::LoggedOut(Some("bye".to_string()))));
    // No reconnect after a graceful logout.
    assert_eq!(pair.initiator().count(&Recorded::OpenLink), 1);
    assert!(!pair.link_up());
}

#[test]
fn pair_reconnect_after_link_cut() {
    let mut pair = Pair::fix44();
    pair.establish();
    for i in 0..5 {
        pair.send(SideId::Initiator, &order(i)).unwrap();
    }
    pair.run_for(Duration::from_secs(1));
    pair.cut_link();
    assert_eq!(pair.initiator().session.state(), SessionState::Reconnect);
    assert_eq!(
        pair.acceptor().session.state(),
        SessionState::NonGracefullyTerminated
    );
    // Sent while the link is down: queued, consuming sequence numbers.
    for i in 5..8 {
        assert!(pair.send(SideId::Initiator, &order(i)).unwrap().is_some());
    }
    // Reconnect.Interval is 30 s.
    pair.run_for(Duration::from_secs(29));
    assert_eq!(pair.initiator().count(&Recorded::OpenLink), 1);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.initiator().count(&Recorded::OpenLink), 2);
    assert_eq!(pair.initiator().session.state(), SessionState::Established);
    pair.run_for(Duration::from_secs(1));
    for i in 8..10 {
        pair.send(SideId::Initiator, &order(i)).unwrap();
    }
    pair.run_for(Duration::from_secs(1));
    assert_eq!(delivered_ids(&pair, SideId::Acceptor), ids(0..10));
    // Sequence numbers carried on across the reconnect: 1 Logon + 5 orders,
    // 3 queued, a second Logon, 2 more orders.
    assert_eq!(pair.initiator().session.next_sender_seq_num(), 13);
    assert_eq!(pair.acceptor().session.next_target_seq_num(), 13);
    assert!(pair.initiator().errors().is_empty());
}

#[test]
fn pair_reconnect_gives_up_after_max_tries() {
    let mut pair = Pair::fix44();
    pair.side_mut(SideId::Initiator)
        .session
        .config_mut()
        .reconnect_max_tries = 3;
    pair.side_mut(SideId::Initiator)
        .session
        .config_mut()
        .reconnect_interval = Duration::from_secs(5);
    pair.acceptor_listening = false;
    pair.connect();
    pair.run_for(Duration::from_secs(120));
    assert_eq!(
        pair.initiator().session.state(),
        SessionState::NonGracefullyTerminated
    );
    // The first attempt and three reconnects.
    assert_eq!(pair.initiator().count(&Recorded::OpenLink), 4);
}

#[test]
fn pair_restart_of_one_side_keeping_its_store() {
    let mut pair = Pair::fix44();
    pair.establish();
    for i in 0..3 {
        pair.send(SideId::Initiator, &order(i)).unwrap();
        pair.send(SideId::Acceptor, &order(100 + i)).unwrap();
    }
    pair.run_for(Duration::from_secs(1));
    pair.restart(SideId::Acceptor);
    assert_eq!(pair.acceptor().session.next_target_seq_num(), 5);
    assert_eq!(pair.acceptor().session.next_sender_seq_num(), 5);
    pair.send(SideId::Initiator, &order(3)).unwrap();
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.initiator().session.state(), SessionState::Established);
    assert_eq!(pair.acceptor().session.state(), SessionState::Established);
    pair.send(SideId::Acceptor, &order(103)).unwrap();
    pair.run_for(Duration::from_secs(1));
    assert_eq!(delivered_ids(&pair, SideId::Acceptor), ids(0..4));
    assert_eq!(delivered_ids(&pair, SideId::Initiator), ids(100..104));
    assert_eq!(pair.acceptor().restarts, 1);
}

#[test]
fn pair_resend_after_loss() {
    let mut pair = Pair::fix44();
    pair.establish();
    // Lose the initiator's third order on the wire.
    let mut orders_seen = 0;
    pair.set_faults(Box::new(ScriptedFaults(move |from, msg: &[u8], _| {
        if from == SideId::Initiator && msg.windows(5).any(|w| w == b"\x0135=D") {
            orders_seen += 1;
            if orders_seen == 3 {
                return Fault::Drop;
            }
        }
        Fault::Deliver
    })));
    for i in 0..6 {
        pair.send(SideId::Initiator, &order(i)).unwrap();
    }
    pair.run_for(Duration::from_secs(5));
    assert_eq!(delivered_ids(&pair, SideId::Acceptor), ids(0..6));
    assert_eq!(pair.faults_injected, 1);
    let resent: Vec<_> = pair
        .acceptor()
        .received
        .iter()
        .filter(|m| m.poss_dup())
        .map(|m| m.seq())
        .collect();
    // Only the lost one (MsgSeqNum 4) is delivered from the resend: 5 to 7
    // were kept out of order and their resent copies are duplicates.
    assert_eq!(resent, [4]);
    assert_eq!(pair.acceptor().session.out_of_order_len(), 0);
}

#[test]
fn pair_survives_random_faults() {
    for seed in 0..8u64 {
        let mut pair = Pair::fix44();
        pair.establish();
        let mut faults = SeededFaults::new(seed);
        faults.drop = 0.02;
        faults.corrupt = 0.02;
        faults.delay = 0.05;
        faults.max_delay = Duration::from_millis(50);
        pair.set_faults(Box::new(faults));
        for i in 0..300 {
            pair.send(SideId::Initiator, &order(i)).unwrap();
            pair.run_for(Duration::from_millis(20));
        }
        // Heal the link and let resends finish.
        pair.set_faults(Box::new(fixrs_session::testing::NoFaults));
        pair.send(SideId::Initiator, &order(300)).unwrap();
        pair.run_for(Duration::from_secs(120));
        assert_eq!(
            delivered_ids(&pair, SideId::Acceptor),
            ids(0..301),
            "seed {seed}"
        );
    }
}

#[test]
fn pair_is_deterministic() {
    let run = || {
        let mut pair = Pair::fix44();
        let mut faults = SeededFaults::new(42);
        faults.drop = 0.05;
        pair.set_faults(Box::new(faults));
        pair.establish();
        for i in 0..50 {
            pair.send(SideId::Acceptor, &order(i)).unwrap();
            pair.run_for(Duration::from_millis(100));
        }
        pair.run_for(Duration::from_secs(60));
        pair.initiator()
            .events
            .iter()
            .map(|(t, e)| format!("{t:?} {e:?}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
