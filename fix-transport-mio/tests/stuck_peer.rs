//! A link the session closes is closed within the close timeout whatever
//! the peer does. A counterparty logs on with HeartBtInt=1, keeps the
//! session alive for a while, then sends TestRequests without reading the
//! replies until the engine's outgoing backlog is full, and goes silent.
//! The session declares the link lost; the socket must then be closed
//! within `EngineSettings::close_timeout`, and the real counterparty's next
//! Logon accepted rather than refused as a duplicate. Tried at several
//! moments after accept: before and after the connection's logon deadline.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::{PeerError, Role, SessionError};
use fixrs_transport_mio::{
    Application, ChannelApplication, EngineSettings, FixEngine, SessionHandle, SessionOptions,
    SocketOptions,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Scheduling slack allowed on top of the close timeout (a loaded machine).
const SLACK: Duration = Duration::from_millis(1500);

/// Notes when the session declared its link lost.
struct LostAt(Arc<Mutex<Option<Instant>>>);

impl Application for LostAt {
    fn on_error(&mut self, _: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        if let Some(SessionError::Peer(PeerError::TestRequestTimeout { .. })) =
            error.downcast_ref::<SessionError>()
        {
            if let Ok(mut at) = self.0.lock() {
                at.get_or_insert_with(Instant::now);
            }
        }
    }
}

/// A peer that stops reading `keep_alive` after accept; returns how long
/// after the link was declared lost the real counterparty's Logon was
/// accepted (`None`: not within 15 s).
fn stuck_then_replaced(
    addr: SocketAddr,
    peer_id: &'static str,
    lost: Arc<Mutex<Option<Instant>>>,
    keep_alive: Duration,
) -> Option<Duration> {
    let mut stuck = small_window_peer(addr);
    let accepted = Instant::now();
    let logon = raw_message(
        b"A",
        peer_id,
        "ACC",
        1,
        &[(tag::ENCRYPT_METHOD, "0"), (tag::HEART_BT_INT, "1")],
    );
    stuck.send(&logon).expect("logon");
    assert!(
        !stuck
            .read_until(b"35=A\x01", Duration::from_secs(10))
            .is_empty(),
        "{peer_id}: no Logon reply"
    );
    // A well-behaved counterparty for a while.
    let mut seq = 2;
    while accepted.elapsed() < keep_alive {
        stuck
            .send(&raw_message(b"0", peer_id, "ACC", seq, &[]))
            .expect("heartbeat");
        seq += 1;
        stuck.discard_input(Duration::from_millis(300));
    }
    // Then TestRequests, never reading the Heartbeats they ask for, until
    // the engine stops taking them; then silence.
    stuck.flood_without_reading(seq, 10_000_000, Duration::from_millis(500), |s| {
        raw_message(b"1", peer_id, "ACC", s, &[(tag::TEST_REQ_ID, "stuck")])
    });
    assert!(
        wait_until(Duration::from_secs(20), || lost
            .lock()
            .map(|l| l.is_some())
            .unwrap_or(false)),
        "{peer_id}: the session never declared the link lost"
    );
    let lost_at = lost.lock().ok().and_then(|l| *l).expect("lost");
    println!(
        "{peer_id}: link declared lost {:.1} s after accept",
        lost_at.duration_since(accepted).as_secs_f64()
    );
    // The real counterparty logs on again, retrying while it is refused
    // as a duplicate of the stuck link. The stuck peer still reads nothing.
    let replaced = logon_until_accepted(addr, peer_id, Duration::from_secs(15))
        .map(|at| at.duration_since(lost_at));
    // The stuck connection was closed: once it reads, it reaches the end.
    let (_, closed) = stuck.read_until_closed(Duration::from_secs(10));
    assert!(closed, "{peer_id}: the stuck connection is still open");
    replaced
}

#[test]
fn a_link_declared_lost_is_closed_within_the_close_timeout_though_the_peer_reads_nothing() {
    init_log();
    let acceptor = FixEngine::new(
        EngineSettings::default()
            .with_close_timeout(CLOSE_TIMEOUT)
            .with_max_outgoing_bytes(64 << 10)
            .with_socket(SocketOptions {
                send_buffer_size: Some(16 << 10),
                recv_buffer_size: Some(16 << 10),
                ..SocketOptions::default()
            }),
    )
    .expect("engine");
    assert_eq!(acceptor.settings().logon_timeout, Duration::from_secs(10));
    let addr = acceptor.listen(any_port()).expect("listen");
    // Stuck at once; after 4 s; after 11 s (the connection's logon
    // deadline, 10 s after accept, has passed when the link is lost).
    let moments = [
        ("STUCK0", Duration::ZERO),
        ("STUCK4", Duration::from_secs(4)),
        ("STUCK11", Duration::from_secs(11)),
    ];
    let mut runs = Vec::new();
    for (peer_id, keep_alive) in moments {
        let lost = Arc::new(Mutex::new(None));
        let handle = acceptor
            .create_session_with(
                config(Role::Acceptor, "ACC", peer_id),
                SessionOptions::default(),
                LostAt(lost.clone()),
            )
            .expect("acceptor");
        let run = std::thread::spawn(move || stuck_then_replaced(addr, peer_id, lost, keep_alive));
        runs.push((peer_id, handle, run));
    }
    let mut failures = Vec::new();
    for (peer_id, _handle, run) in runs {
        let took = run.join().expect("peer thread");
        match took {
            Some(t) => {
                println!(
                    "{peer_id}: new Logon accepted {:.2} s after the link was declared lost",
                    t.as_secs_f64()
                );
                if t > CLOSE_TIMEOUT + SLACK {
                    failures.push(format!("{peer_id}: closed only after {t:?}"));
                }
            }
            None => failures.push(format!("{peer_id}: never closed")),
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    acceptor.stop();
}

/// Puts 4 KB messages on an established session whose peer reads nothing
/// until `put` refuses one; returns the bound it reported.
fn bound_met_by_a_peer_that_reads_nothing(
    addr: SocketAddr,
    acc: &SessionHandle,
    peer_id: &str,
) -> usize {
    let mut peer = small_window_peer(addr);
    peer.send(&raw_logon(peer_id, "ACC", 1)).expect("logon");
    assert!(!peer
        .read_until(b"35=A\x01", Duration::from_secs(10))
        .is_empty());
    expect_state(
        acc,
        fixrs_transport_mio::SessionState::Established,
        Duration::from_secs(10),
    );
    let pad = "y".repeat(4000);
    let mut m = fixrs_proto::MessageBuilder::new(b"B");
    fixrs_proto::FieldWriter::push_str(&mut m, 148, "news");
    fixrs_proto::FieldWriter::push_str(&mut m, 58, &pad);
    for i in 0..1_000_000 {
        match acc.put(&m) {
            Ok(()) => {}
            Err(fixrs_transport_mio::PutError::Backpressure { backlog, limit }) => {
                assert!(backlog > limit);
                return limit;
            }
            Err(e) => panic!("unexpected {e}"),
        }
        if i % 100 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    panic!("put never reported backpressure");
}

#[test]
fn the_default_outgoing_bound_is_a_few_mib_and_a_setting_changes_it() {
    init_log();
    // An engine with default settings: 4 MiB per session.
    let acceptor = FixEngine::new(EngineSettings::default()).expect("engine");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "DEFAULT"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    assert_eq!(acc.max_outgoing_bytes(), 4 << 20);
    let addr = acceptor.listen(any_port()).expect("listen");
    assert_eq!(
        bound_met_by_a_peer_that_reads_nothing(addr, &acc, "DEFAULT"),
        4 << 20
    );
    // A session of a settings file with its own MaxOutgoingBytes, another
    // without.
    let text = "[DEFAULT]\n\
                ConnectionType=acceptor\n\
                BeginString=FIX.4.4\n\
                SenderCompID=ACC\n\
                SocketAcceptHost=127.0.0.1\n\
                SocketAcceptPort=0\n\
                [SESSION]\n\
                TargetCompID=SMALL\n\
                MaxOutgoingBytes=65536\n\
                [SESSION]\n\
                TargetCompID=PLAIN\n";
    let settings = fixrs_session::Settings::parse(text).expect("settings");
    let sessions = acceptor
        .start_from_settings(&settings, |_| ChannelApplication::new().0)
        .expect("sessions");
    assert_eq!(sessions[0].max_outgoing_bytes(), 65536);
    assert_eq!(sessions[1].max_outgoing_bytes(), 4 << 20);
    assert_eq!(
        bound_met_by_a_peer_that_reads_nothing(
            acceptor.listen_addresses()[0],
            &sessions[0],
            "SMALL"
        ),
        65536
    );
    acceptor.stop();
}
