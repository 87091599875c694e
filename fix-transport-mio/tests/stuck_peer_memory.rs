//! Memory after a stuck peer: a counterparty asks for resends without
//! reading them until its session's outgoing backlog reaches its bound,
//! then goes silent. Once the session has declared the link lost and the
//! engine has closed it, the memory the backlog took must be given back.
//! (A test binary of its own: it measures the process's resident memory.)

mod common;

use common::*;
use fixrs_proto::{tag, FieldWriter, MessageBuilder};
use fixrs_session::Role;
use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, SessionOptions};
use std::time::{Duration, Instant};

/// The session's outgoing bound: large, so that what is held is plain to
/// see (`FIX_TEST_STUCK_BOUND` to try another).
fn bound() -> usize {
    env_count("FIX_TEST_STUCK_BOUND", 64 << 20)
}

#[test]
fn memory_is_released_when_a_stuck_peers_link_closes() {
    init_log();
    let bound = bound();
    let acceptor = FixEngine::new(
        EngineSettings::default()
            .with_close_timeout(Duration::from_secs(1))
            .with_max_outgoing_bytes(bound),
    )
    .expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "STUCK"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let mut peer = small_window_peer(addr);
    let logon = raw_message(
        b"A",
        "STUCK",
        "ACC",
        1,
        &[(tag::ENCRYPT_METHOD, "0"), (tag::HEART_BT_INT, "1")],
    );
    peer.send(&logon).expect("logon");
    assert!(!peer
        .read_until(b"35=A\x01", Duration::from_secs(10))
        .is_empty());
    // Something to resend: 200 messages of about 1 KB, read by the peer.
    let pad = "x".repeat(1000);
    let mut m = MessageBuilder::new(b"B");
    m.push_str(148, "news").push_str(58, &pad);
    for _ in 0..200 {
        acc.put(&m).expect("put");
    }
    assert!(wait_until(Duration::from_secs(10), || acc.out_seq_num() >= 202));
    peer.discard_input(Duration::from_millis(500));
    let before = rss_bytes();

    // Each ResendRequest asks for all 200 again; none is read.
    let mut backlog_seen = 0;
    let mut seq = 2;
    let started = Instant::now();
    while backlog_seen < bound * 3 / 4 && started.elapsed() < Duration::from_secs(30) {
        seq = peer.flood_without_reading(seq, 50, Duration::from_millis(500), |s| {
            raw_message(
                b"2",
                "STUCK",
                "ACC",
                s,
                &[(tag::BEGIN_SEQ_NO, "1"), (tag::END_SEQ_NO, "0")],
            )
        });
        backlog_seen = backlog_seen.max(acc.backlog());
    }
    let peak = rss_bytes();
    println!(
        "backlog {} MiB; resident {} MiB before, {} MiB at the peak",
        backlog_seen >> 20,
        before >> 20,
        peak >> 20
    );
    assert!(
        backlog_seen >= bound * 3 / 4,
        "the backlog reached only {backlog_seen} bytes"
    );
    // Silence: the session declares the link lost, the engine closes it.
    assert!(
        wait_until(Duration::from_secs(30), || acc.state().is_terminated()),
        "link never declared lost"
    );
    let lost = Instant::now();
    // Closed: the counterparty's next Logon is taken.
    let closed = logon_until_accepted(addr, "STUCK", Duration::from_secs(15));
    let released = wait_until(Duration::from_secs(10), || {
        rss_bytes() < before + (16 << 20)
    });
    let after = rss_bytes();
    println!(
        "resident {} MiB {:.1} s after the link was declared lost (closed after {:?})",
        after >> 20,
        lost.elapsed().as_secs_f64(),
        closed.map(|at| at.duration_since(lost))
    );
    assert!(closed.is_some(), "the stuck link was never closed");
    assert!(
        released,
        "resident memory {} MiB after the link closed (was {} MiB before, {} MiB at the peak)",
        after >> 20,
        before >> 20,
        peak >> 20
    );
    drop(peer);
    acceptor.stop();
}
