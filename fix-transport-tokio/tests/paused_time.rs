//! Timers in tokio's paused clock: heartbeats, TestRequest, reconnect
//! back-off and logon time-out run in virtual time over in-memory pipes,
//! in milliseconds of real time.

mod common;

use common::*;
use fixrs_session::SessionState;
use fixrs_transport_tokio::{SessionEvent, SessionOptions};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

fn is_admin(event: &SessionEvent, msg_type: &[u8]) -> bool {
    matches!(event, SessionEvent::Admin(m) if m.msg_type() == msg_type)
}

#[tokio::test(start_paused = true)]
async fn heartbeats_go_out_every_heart_bt_int_in_virtual_time() {
    let mut buy = initiator();
    buy.heart_bt_int = 30;
    let mut pair = PipePair::start(buy, acceptor()).await;
    wait_state(&pair.buy, SessionState::Established).await;
    wait_state(&pair.sell, SessionState::Established).await;
    let start = Instant::now();
    // Three heartbeats from each side, 30 s apart.
    let mut at = Vec::new();
    for _ in 0..3 {
        wait_for(&mut pair.sell_events, |e| is_admin(e, b"0").then_some(())).await;
        at.push(Instant::now() - start);
    }
    assert_eq!(
        at,
        vec![
            Duration::from_secs(30),
            Duration::from_secs(60),
            Duration::from_secs(90)
        ]
    );
    assert_eq!(pair.buy.state(), SessionState::Established);
}

#[tokio::test(start_paused = true)]
async fn silent_peer_gets_a_test_request_then_the_link_is_dropped_and_reconnected() {
    let mut buy = initiator();
    buy.heart_bt_int = 10;
    buy.reconnect_interval = Duration::from_secs(5);
    let mut pair = PipePair::start(buy, acceptor()).await;
    wait_state(&pair.buy, SessionState::Established).await;
    // The acceptor's bytes stop reaching the initiator.
    pair.mute.store(true, Ordering::SeqCst);
    let muted_at = Instant::now();
    wait_for(&mut pair.sell_events, |e| is_admin(e, b"1").then_some(())).await;
    // TestRequest after 1.2 x HeartBtInt without a byte from the peer
    // (the acceptor's last heartbeat may have left up to 10 s earlier).
    let waited = Instant::now() - muted_at;
    assert!(waited <= Duration::from_secs(12), "{waited:?}");
    wait_for(&mut pair.buy_events, |e| {
        matches!(
            e,
            SessionEvent::StateChanged {
                to: SessionState::Reconnect,
                ..
            }
        )
        .then_some(())
    })
    .await;
    // The next link is heard again and logs on.
    pair.mute.store(false, Ordering::SeqCst);
    pair.sell
        .connect()
        .await
        .expect("acceptor takes logons again");
    wait_for(&mut pair.buy_events, |e| {
        matches!(e, SessionEvent::LoggedOn).then_some(())
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn reconnect_attempts_are_reconnect_interval_apart_up_to_max_tries() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let mut config = initiator();
    config.reconnect_interval = Duration::from_secs(30);
    config.reconnect_max_tries = 3;
    let options = SessionOptions::new().with_connect_fn(move || {
        seen.lock().expect("lock").push(Instant::now());
        async {
            Err::<tokio::io::DuplexStream, _>(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))
        }
    });
    let start = Instant::now();
    let (session, mut events) = fixrs_transport_tokio::connect(config, options)
        .await
        .expect("initiator");
    // Longer than the common wait: 90 s of virtual time pass.
    tokio::time::timeout(
        Duration::from_secs(300),
        session.wait_for_state(SessionState::NonGracefullyTerminated),
    )
    .await
    .expect("state in time")
    .expect("session running");
    let attempts: Vec<Duration> = attempts
        .lock()
        .expect("lock")
        .iter()
        .map(|t| *t - start)
        .collect();
    assert_eq!(
        attempts,
        [0, 30, 60, 90].map(Duration::from_secs).to_vec(),
        "the first attempt and three reconnects"
    );
    // Each failure was reported.
    let mut errors = 0;
    while let Some(event) = events.try_recv() {
        if let SessionEvent::Error(fixrs_transport_tokio::Error::Link { .. }) = event {
            errors += 1;
        }
    }
    assert_eq!(errors, 4);
}

#[tokio::test(start_paused = true)]
async fn logon_without_reply_times_out_after_logon_timeout() {
    let mut config = initiator();
    config.logon_timeout = Duration::from_secs(10);
    config.reconnect_max_tries = 0;
    // A peer that reads the Logon and never answers.
    let peers = Arc::new(Mutex::new(Vec::new()));
    let keep = peers.clone();
    let options = SessionOptions::new().with_connect_fn(move || {
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        keep.lock().expect("lock").push(theirs);
        async move { Ok::<_, std::io::Error>(ours) }
    });
    let start = Instant::now();
    let (session, mut events) = fixrs_transport_tokio::connect(config, options)
        .await
        .expect("initiator");
    wait_state(&session, SessionState::WaitForConfirmLogon).await;
    wait_state(&session, SessionState::NonGracefullyTerminated).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(10));
    let mut timed_out = false;
    while let Some(event) = events.try_recv() {
        timed_out |= matches!(event, SessionEvent::Error(_));
    }
    assert!(timed_out, "the time-out is reported");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_reading_makes_send_wait_and_try_send_refuse() {
    let options = SessionOptions::new()
        .with_max_outgoing_bytes(16 << 10)
        .with_queue_capacity(4);
    let mut pair = PipePair::start_with(initiator(), acceptor(), options).await;
    wait_state(&pair.buy, SessionState::Established).await;
    wait_state(&pair.sell, SessionState::Established).await;
    pair.hold.send_replace(true);
    // Fill the pipe, then the session's outgoing bound, then its queue.
    let mut sent = 0usize;
    let full = loop {
        match pair.buy.try_send(&order(&format!("ORD-{sent}"))) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        // Let the session's task take what it can.
        tokio::task::yield_now().await;
        assert!(sent < 100_000, "the bound never stopped the sender");
    };
    assert!(matches!(full, fixrs_transport_tokio::TrySendError::Full));
    // A waiting send completes once the peer reads again.
    let buy = pair.buy.clone();
    let last = tokio::spawn(async move { buy.send(&order("LAST")).await });
    tokio::task::yield_now().await;
    assert!(!last.is_finished(), "send waits while the bound is reached");
    pair.hold.send_replace(false);
    last.await.expect("task").expect("sent");
    // Everything arrives, once and in order.
    for n in 0..sent {
        let id = wait_for(&mut pair.sell_events, |e| match e {
            SessionEvent::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
            _ => None,
        })
        .await;
        assert_eq!(id, format!("ORD-{n}"));
    }
    let id = wait_for(&mut pair.sell_events, |e| match e {
        SessionEvent::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
        _ => None,
    })
    .await;
    assert_eq!(id, "LAST");
}
