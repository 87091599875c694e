//! The engine over real sockets on 127.0.0.1: an initiator and an acceptor
//! engine talking, reconnects, Logon routing, and peers that misbehave.

mod common;

use common::*;
use fixrs_proto::{tag, FieldWriter, Message, MessageBuilder};
use fixrs_session::Role;
use fixrs_transport_mio::{
    AdminRejection, AppEvent, AppEventKind, Application, ChannelApplication, EngineSettings,
    FixEngine, LogonFields, PutError, RefuseLogon, SessionHandle, SessionOptions, SessionState,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Held by the tests that measure the process's resident memory and by
/// those that grow it a lot on purpose (a panic whose backtrace is
/// symbolised when RUST_BACKTRACE is set takes tens of MiB), so that one
/// does not see the other's memory.
static MEMORY: Mutex<()> = Mutex::new(());

fn memory_lock() -> MutexGuard<'static, ()> {
    MEMORY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const LONG: Duration = Duration::from_secs(20);

/// An acceptor engine with one acceptor session `ACC` <- `INI`, and an
/// initiator engine with the matching session, logged on.
struct Pair {
    acceptor_engine: FixEngine,
    initiator_engine: FixEngine,
    addr: std::net::SocketAddr,
    acc: SessionHandle,
    ini: SessionHandle,
    acc_events: Receiver<AppEvent>,
    ini_events: Receiver<AppEvent>,
}

fn logged_on_pair() -> Pair {
    let acceptor_engine = engine();
    let addr = acceptor_engine.listen(any_port()).expect("listen");
    let (acc_app, acc_events) = ChannelApplication::new();
    let acc = acceptor_engine
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            acc_app,
        )
        .expect("acceptor session");
    let initiator_engine = engine();
    let (ini_app, ini_events) = ChannelApplication::new();
    let ini = initiator_engine
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            ini_app,
        )
        .expect("initiator session");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);
    Pair {
        acceptor_engine,
        initiator_engine,
        addr,
        acc,
        ini,
        acc_events,
        ini_events,
    }
}

/// A NewOrderSingle numbered `i` in ClOrdID(11), padded to a realistic size.
fn order(m: &mut MessageBuilder, i: u64) {
    m.reset(b"D");
    m.push_uint(tag::CL_ORD_ID, i)
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(38, "1000000")
        .push_char(40, b'2')
        .push_str(44, "1.08345");
}

/// Puts `n` orders, retrying while the session reports backpressure.
fn put_orders(s: &SessionHandle, n: u64) {
    let mut m = MessageBuilder::default();
    for i in 1..=n {
        order(&mut m, i);
        loop {
            match s.put(&m) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => {
                    std::thread::sleep(Duration::from_micros(200))
                }
                Err(e) => panic!("put failed: {e}"),
            }
        }
    }
}

/// Receives application messages until `n` orders arrived, checking that
/// they come once each and in order.
fn receive_orders(events: &Receiver<AppEvent>, n: u64, timeout: Duration) {
    let end = Instant::now() + timeout;
    let mut next = 1u64;
    while next <= n {
        let left = end.saturating_duration_since(Instant::now());
        let ev = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("only {} of {n} orders arrived", next - 1));
        if let AppEventKind::Message(m) = ev.kind {
            let id: u64 = m
                .get_str(tag::CL_ORD_ID)
                .and_then(|v| v.parse().ok())
                .expect("ClOrdID");
            assert_eq!(id, next, "orders out of order or lost");
            next += 1;
        }
    }
}

#[test]
fn initiator_and_acceptor_exchange_messages_both_ways_in_order() {
    let n = env_count("FIX_TEST_MESSAGES", 100_000) as u64;
    let mut p = logged_on_pair();
    let out_before = p.ini.out_seq_num();
    let acc_events = std::mem::replace(&mut p.acc_events, std::sync::mpsc::channel().1);
    std::thread::scope(|scope| {
        scope.spawn(|| put_orders(&p.ini, n));
        scope.spawn(|| put_orders(&p.acc, n));
        scope.spawn(move || receive_orders(&acc_events, n, Duration::from_secs(120)));
        receive_orders(&p.ini_events, n, Duration::from_secs(120));
    });
    assert!(wait_until(LONG, || p.ini.out_seq_num() == out_before + n));
    assert!(wait_until(LONG, || p.acc.in_seq_num() == p.ini.out_seq_num()));
    p.ini.disconnect("done").expect("logout");
    expect_state(&p.ini, SessionState::CorrectlyTerminated, LONG);
    assert!(wait_until(LONG, || p.acc.state() != SessionState::Established));
    p.ini.finalize();
    p.acc.finalize();
    p.initiator_engine.stop();
    p.acceptor_engine.stop();
}

#[test]
fn messages_put_before_logon_are_delivered_after_it() {
    let acceptor_engine = engine();
    let addr = acceptor_engine.listen(any_port()).expect("listen");
    let (acc_app, acc_events) = ChannelApplication::new();
    let _acc = acceptor_engine
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            acc_app,
        )
        .expect("acceptor session");
    let initiator_engine = engine();
    let ini = initiator_engine
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("initiator session");
    put_orders(&ini, 10);
    ini.connect(30, &addr.to_string()).expect("connect");
    receive_orders(&acc_events, 10, LONG);
}

#[test]
fn initiator_reconnects_after_acceptor_restart_then_gives_up_after_max_tries() {
    let make_acceptor = |addr: std::net::SocketAddr| {
        let e = engine();
        let bound = e.listen(addr).expect("listen");
        let s = e
            .create_session_with(
                config(Role::Acceptor, "ACC", "INI"),
                SessionOptions::default(),
                ChannelApplication::new().0,
            )
            .expect("acceptor session");
        (e, bound, s)
    };
    // Restarted on the same port while the initiator keeps connecting.
    let port = fixrs_test_support::restartable_port();
    let (acceptor, addr, acc) = make_acceptor(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    let initiator_engine = engine();
    let mut cfg = config(Role::Initiator, "INI", "ACC");
    // The restarted acceptor has a fresh memory store.
    cfg.reset_on_logon = true;
    cfg.reconnect_interval = Duration::from_millis(300);
    cfg.reconnect_max_tries = 3;
    let ini = initiator_engine
        .create_session_with(cfg, SessionOptions::default(), ChannelApplication::new().0)
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);

    acceptor.stop_now();
    assert!(wait_until(LONG, || ini.state() != SessionState::Established));
    let (acceptor, _, acc) = make_acceptor(addr);
    let restarted = Instant::now();
    expect_state(&ini, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);
    // One interval, plus the time to connect and log on.
    assert!(restarted.elapsed() < Duration::from_secs(3));

    acceptor.stop_now();
    let gone = Instant::now();
    expect_state(&ini, SessionState::NonGracefullyTerminated, LONG);
    // Three tries 300 ms apart, then it gives up.
    assert!(
        gone.elapsed() >= Duration::from_millis(600),
        "gave up after {:?}",
        gone.elapsed()
    );
    assert!(gone.elapsed() < Duration::from_secs(10));
    initiator_engine.stop();
}

#[test]
fn logon_from_unknown_comp_ids_is_closed_without_reply() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    for (sender, target) in [("STRANGER", "ACC"), ("INI", "SOMEONE"), ("ACC", "INI")] {
        let mut peer = RawPeer::connect(addr);
        peer.send(&raw_logon(sender, target, 1)).expect("send");
        let (reply, closed) = peer.read_until_closed(Duration::from_secs(5));
        assert!(closed, "connection from {sender} to {target} left open");
        assert!(reply.is_empty(), "unknown peer got a reply");
    }
}

#[test]
fn duplicate_logon_is_closed_without_reply_and_the_session_stays_up() {
    let p = logged_on_pair();
    let mut peer = RawPeer::connect(p.addr);
    peer.send(&raw_logon("INI", "ACC", 1)).expect("send");
    let (reply, closed) = peer.read_until_closed(Duration::from_secs(5));
    assert!(closed);
    assert!(reply.is_empty(), "duplicate logon got a reply");
    assert_eq!(p.ini.state(), SessionState::Established);
    assert_eq!(p.acc.state(), SessionState::Established);
    put_orders(&p.ini, 3);
    receive_orders(&p.acc_events, 3, LONG);
}

#[test]
fn connection_without_logon_is_closed_after_logon_timeout() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let started = Instant::now();
    let mut peer = RawPeer::connect(addr);
    let (reply, closed) = peer.read_until_closed(Duration::from_secs(10));
    assert!(closed);
    assert!(reply.is_empty());
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(900),
        "closed after {after:?}"
    );
    assert!(after < Duration::from_secs(5), "closed after {after:?}");
}

#[test]
fn connection_whose_first_message_is_not_a_logon_is_closed() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_message(b"0", "INI", "ACC", 1, &[]))
        .expect("send");
    let (reply, closed) = peer.read_until_closed(Duration::from_secs(5));
    assert!(closed);
    assert!(reply.is_empty());
}

#[test]
fn bad_peers_leave_the_engine_and_other_sessions_unaffected() {
    let _memory = memory_lock();
    let p = logged_on_pair();
    let rss_before = rss_bytes();

    // Garbage bytes.
    let mut garbage = RawPeer::connect(p.addr);
    let noise: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = garbage.send(&noise);
    // A 100 MB BodyLength.
    let mut huge = RawPeer::connect(p.addr);
    let _ = huge.send(b"8=FIX.4.4\x019=100000000\x0135=A\x0149=INI\x0156=ACC\x01");
    // A slow sender that never completes its Logon.
    let slow_addr = p.addr;
    let slow = std::thread::spawn(move || {
        let mut slow = RawPeer::connect(slow_addr);
        let logon = raw_logon("INI", "ACC", 1);
        let started = Instant::now();
        for b in &logon[..logon.len() - 1] {
            if slow.send(&[*b]).is_err() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(50));
            if started.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
        let (_, closed) = slow.read_until_closed(Duration::from_secs(5));
        assert!(closed, "slow sender left connected");
        started.elapsed()
    });

    // The established session keeps working meanwhile.
    put_orders(&p.ini, 1000);
    receive_orders(&p.acc_events, 1000, LONG);

    let (_, closed) = garbage.read_until_closed(Duration::from_secs(5));
    assert!(closed, "garbage sender left connected");
    let (_, closed) = huge.read_until_closed(Duration::from_secs(5));
    assert!(closed, "100 MB BodyLength sender left connected");
    let slow_closed_after = slow.join().expect("slow sender");
    // The Logon timeout is 1 s; the margin absorbs a loaded machine running
    // other engine tests at the same time.
    assert!(
        slow_closed_after < Duration::from_secs(30),
        "slow sender held for {slow_closed_after:?}"
    );

    assert_eq!(p.ini.state(), SessionState::Established);
    assert_eq!(p.acc.state(), SessionState::Established);
    let grown = rss_bytes().saturating_sub(rss_before);
    assert!(grown < 64 << 20, "memory grew by {grown} bytes");
}

#[test]
fn garbage_inside_an_established_session_does_not_break_the_engine() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (app, events) = ChannelApplication::new();
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "RAW"),
            SessionOptions::default(),
            app,
        )
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("RAW", "ACC", 1)).expect("logon");
    let reply = peer.read_until(b"35=A\x01", LONG);
    assert!(!reply.is_empty(), "no Logon reply");
    expect_state(&acc, SessionState::Established, LONG);
    // Garbage, a message over the size limit (whose declared bytes are
    // skipped as one unit), then a good message.
    let _ = peer.send(b"\x00\x01garbage\x01\x01 8=FIX.4.4\x019=1100000\x0135=D\x01");
    let _ = peer.send(&vec![b'x'; 1_100_000 + 7 - b"35=D\x01".len()]);
    let _ = peer.send(&raw_message(
        b"D",
        "RAW",
        "ACC",
        2,
        &[(tag::CL_ORD_ID, "1")],
    ));
    receive_orders(&events, 1, LONG);
    assert_eq!(acc.state(), SessionState::Established);
}

#[test]
fn resend_request_flood_keeps_memory_bounded() {
    let _memory = memory_lock();
    let limit = 256 << 10;
    let acceptor =
        FixEngine::new(EngineSettings::default().with_max_outgoing_bytes(limit)).expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "FLOOD"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    // A well-behaved session on the same engine.
    let (good_app, good_events) = ChannelApplication::new();
    let _good_acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            good_app,
        )
        .expect("acceptor 2");
    let initiator = engine();
    let good = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    good.connect(30, &addr.to_string()).expect("connect");
    expect_state(&good, SessionState::Established, LONG);

    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("FLOOD", "ACC", 1)).expect("logon");
    assert!(!peer.read_until(b"35=A\x01", LONG).is_empty());
    expect_state(&acc, SessionState::Established, LONG);
    // Give the acceptor something to resend: 200 messages of ~1 KB.
    let pad = "x".repeat(1000);
    let mut m = MessageBuilder::new(b"B");
    m.push_str(148, "news").push_str(58, &pad);
    for _ in 0..200 {
        acc.put(&m).expect("put");
    }
    assert!(wait_until(LONG, || acc.out_seq_num() >= 202));
    let rss_before = rss_bytes();

    // Flood ResendRequests for everything, never reading the answers.
    let flood = std::thread::spawn(move || {
        peer.stream
            .set_write_timeout(Some(Duration::from_secs(1)))
            .expect("timeout");
        let mut sent = 0u64;
        let started = Instant::now();
        for seq in 2..200_000u64 {
            let rr = raw_message(
                b"2",
                "FLOOD",
                "ACC",
                seq,
                &[(tag::BEGIN_SEQ_NO, "1"), (tag::END_SEQ_NO, "0")],
            );
            if peer.send(&rr).is_err() || started.elapsed() > Duration::from_secs(4) {
                break;
            }
            sent += 1;
        }
        (peer, sent)
    });
    // The other session keeps working during the flood.
    put_orders(&good, 100);
    receive_orders(&good_events, 100, LONG);
    let (peer, sent) = flood.join().expect("flood");
    // The engine stopped reading once its backlog was over the bound, so
    // the flood could not all be written.
    assert!(sent < 199_998, "the engine read every ResendRequest");
    let grown = rss_bytes().saturating_sub(rss_before);
    println!(
        "{sent} ResendRequests sent; memory grew by {} KiB, backlog {} KiB",
        grown / 1024,
        acc.backlog() / 1024
    );
    assert!(
        grown < 200 << 20,
        "memory grew by {grown} bytes during the flood"
    );
    assert!(acc.backlog() < 64 << 20, "backlog {}", acc.backlog());
    drop(peer);
    put_orders(&good, 1);
    assert_eq!(good.state(), SessionState::Established);
}

#[test]
fn put_reports_backpressure_when_the_peer_does_not_read() {
    let limit = 128 << 10;
    let acceptor =
        FixEngine::new(EngineSettings::default().with_max_outgoing_bytes(limit)).expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "SLOW"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("SLOW", "ACC", 1)).expect("logon");
    assert!(!peer.read_until(b"35=A\x01", LONG).is_empty());
    expect_state(&acc, SessionState::Established, LONG);
    let pad = "y".repeat(4000);
    let mut m = MessageBuilder::new(b"B");
    m.push_str(148, "news").push_str(58, &pad);
    let mut refused = None;
    for i in 0..100_000 {
        match acc.put(&m) {
            Ok(()) => {}
            Err(PutError::Backpressure { backlog, limit: l }) => {
                assert_eq!(l, limit);
                assert!(backlog > limit);
                refused = Some(i);
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
        if i % 100 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert!(refused.is_some(), "put never reported backpressure");
    drop(peer);
}

/// An application that sends credentials on Logon (initiator) or checks
/// them (acceptor).
struct Credentials {
    password: &'static str,
    check: bool,
}

impl Application for Credentials {
    fn to_admin(&mut self, _: &SessionHandle, logon: &mut LogonFields) {
        logon.username = Some("trader".into());
        logon.password = Some(self.password.into());
    }

    fn from_admin(
        &mut self,
        _: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        if self.check
            && message.msg_type() == b"A"
            && message.get(tag::PASSWORD) != Some(self.password.as_bytes())
        {
            return Err(RefuseLogon("wrong password".into()).into());
        }
        Ok(())
    }
}

#[test]
fn logon_hooks_add_credentials_and_refuse_wrong_ones() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            Credentials {
                password: "s3cret",
                check: true,
            },
        )
        .expect("acceptor");
    let initiator = engine();
    let mut cfg = config(Role::Initiator, "INI", "ACC");
    cfg.reconnect_max_tries = 0;
    let wrong = initiator
        .create_session_with(
            cfg.clone(),
            SessionOptions::default(),
            Credentials {
                password: "guess",
                check: false,
            },
        )
        .expect("initiator");
    wrong.connect(30, &addr.to_string()).expect("connect");
    assert!(wait_until(LONG, || wrong.state().is_terminated()));
    assert_ne!(acc.state(), SessionState::Established);
    wrong.finalize();

    cfg.reconnect_max_tries = -1;
    let right = initiator
        .create_session_with(
            cfg,
            SessionOptions::default(),
            Credentials {
                password: "s3cret",
                check: false,
            },
        )
        .expect("initiator");
    right.connect(30, &addr.to_string()).expect("connect");
    expect_state(&right, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);
}

#[test]
fn thousand_idle_sessions_on_one_engine() {
    let n = env_count("FIX_TEST_SESSIONS", 1000);
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let initiator = engine();
    let (app, events) = ChannelApplication::new();
    let mut accs = Vec::new();
    let mut inis = Vec::new();
    for i in 0..n {
        let name = format!("INI{i}");
        accs.push(
            acceptor
                .create_session_with(
                    config(Role::Acceptor, "ACC", &name),
                    SessionOptions::default(),
                    app.clone(),
                )
                .expect("acceptor"),
        );
        let s = initiator
            .create_session_with(
                config(Role::Initiator, &name, "ACC"),
                SessionOptions::default(),
                ChannelApplication::new().0,
            )
            .expect("initiator");
        s.connect(30, &addr.to_string()).expect("connect");
        inis.push(s);
    }
    assert!(
        wait_until(Duration::from_secs(60), || inis
            .iter()
            .all(|s| s.state() == SessionState::Established)),
        "{} of {n} sessions established",
        inis.iter()
            .filter(|s| s.state() == SessionState::Established)
            .count()
    );
    assert!(accs.iter().all(|s| s.state() == SessionState::Established));
    // Every session still carries messages.
    let mut m = MessageBuilder::default();
    for s in &inis {
        order(&mut m, 1);
        s.put(&m).expect("put");
    }
    let mut got = 0;
    let end = Instant::now() + LONG;
    while got < n {
        let ev = events
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .expect("messages from every session");
        if matches!(ev.kind, AppEventKind::Message(_)) {
            got += 1;
        }
    }
    initiator.stop();
    acceptor.stop();
}

#[test]
fn file_log_writes_each_message_on_its_own_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (acc_app, acc_events) = ChannelApplication::new();
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            acc_app,
        )
        .expect("acceptor");
    let initiator = engine();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default().with_file_log_path(dir.path().to_path_buf()),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    put_orders(&ini, 5);
    receive_orders(&acc_events, 5, LONG);
    ini.disconnect("bye").expect("logout");
    expect_state(&ini, SessionState::CorrectlyTerminated, LONG);
    ini.finalize();
    let text = std::fs::read(dir.path().join("FIX.4.4-INI-ACC.messages.current.log")).expect("log");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    // Logon out and in, five orders, Logout out and in.
    assert!(lines.len() >= 9, "{} lines", lines.len());
    for l in &lines {
        assert!(
            l.windows(4).any(|w| w == b" : 8"),
            "line without timestamp prefix"
        );
        assert!(l.ends_with(b"\x01"), "SOH not kept");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.windows(5).any(|w| w == b"35=D\x01"))
            .count(),
        5
    );
    let events = std::fs::read_to_string(dir.path().join("FIX.4.4-INI-ACC.event.current.log"))
        .expect("event log");
    assert!(events.contains("Established"));
}

#[test]
fn idle_sessions_exchange_heartbeats_on_time() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (acc_app, acc_events) = ChannelApplication::new();
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            acc_app.with_admin_messages(),
        )
        .expect("acceptor");
    let initiator = engine();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    ini.connect(1, &addr.to_string()).expect("connect");
    expect_state(&acc, SessionState::Established, LONG);
    let started = Instant::now();
    let mut heartbeats = 0;
    while heartbeats < 3 {
        let ev = acc_events
            .recv_timeout(Duration::from_secs(5))
            .expect("a heartbeat every second");
        if let AppEventKind::AdminMessage(m) = ev.kind {
            if m.msg_type() == b"0" {
                heartbeats += 1;
            }
        }
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900),
        "three heartbeats in {took:?}"
    );
    assert!(
        took < Duration::from_secs(6),
        "three heartbeats in {took:?}"
    );
    assert_eq!(ini.state(), SessionState::Established);
    assert_eq!(acc.state(), SessionState::Established);
}

#[test]
fn sequence_numbers_reset_through_the_handle() {
    let p = logged_on_pair();
    put_orders(&p.ini, 5);
    receive_orders(&p.acc_events, 5, LONG);
    assert!(wait_until(LONG, || p.ini.out_seq_num() == 7));
    // Both sides reset with a Logon carrying ResetSeqNumFlag(141)=Y.
    p.ini.reset_seq_num_and_send_logon().expect("reset");
    assert!(
        wait_until(LONG, || p.ini.out_seq_num() == 2
            && p.ini.in_seq_num() == 2
            && p.acc.in_seq_num() == 2
            && p.acc.out_seq_num() == 2),
        "after reset: initiator out {} in {}, acceptor out {} in {}",
        p.ini.out_seq_num(),
        p.ini.in_seq_num(),
        p.acc.out_seq_num(),
        p.acc.in_seq_num()
    );
    assert_eq!(p.ini.state(), SessionState::Established);
    put_orders(&p.ini, 2);
    receive_orders(&p.acc_events, 2, LONG);

    // A local reset while disconnected starts the next logon at 1.
    p.ini.disconnect_non_gracefully().expect("disconnect");
    expect_state(&p.ini, SessionState::NonGracefullyTerminated, LONG);
    p.ini.reset_seq_num_local().expect("reset");
    assert!(wait_until(LONG, || p.ini.out_seq_num() == 1 && p.ini.in_seq_num() == 1));
}

/// Counts orders; while `stall` is set it blocks its engine thread, so
/// that it stops reading.
struct Stalling {
    received: Arc<AtomicU64>,
    stall: Arc<AtomicBool>,
}

impl Application for Stalling {
    fn on_message(&mut self, _: &SessionHandle, _: &Message<'_>) {
        while self.stall.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.received.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn messages_held_while_the_peer_stalls_flow_when_it_reads_again() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let received = Arc::new(AtomicU64::new(0));
    let stall = Arc::new(AtomicBool::new(true));
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            Stalling {
                received: received.clone(),
                stall: stall.clone(),
            },
        )
        .expect("acceptor");
    let initiator = engine();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default() // Room for everything put while the peer stalls.
                .with_max_outgoing_bytes(64 << 20),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    // Far more than the socket buffers hold: the engine holds the rest.
    let n = 20_000u64;
    let pad = "z".repeat(1000);
    let mut m = MessageBuilder::new(b"B");
    m.push_str(148, "news").push_str(58, &pad);
    for _ in 0..n {
        loop {
            match ini.put(&m) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("put: {e}"),
            }
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(ini.backlog() > 1 << 20, "backlog {}", ini.backlog());
    stall.store(false, Ordering::Release);
    // Long before a heartbeat (30 s) could wake anything.
    assert!(
        wait_until(Duration::from_secs(10), || received.load(Ordering::Relaxed)
            == n),
        "{} of {n} arrived",
        received.load(Ordering::Relaxed)
    );
    assert!(wait_until(LONG, || ini.backlog() == 0));
}

/// An application whose logon callback panics.
struct Panics;

impl Application for Panics {
    fn on_logon(&mut self, _: &SessionHandle) {
        panic!("application bug");
    }
}

#[test]
fn a_panicking_callback_stops_its_engine_without_hanging_callers() {
    let _memory = memory_lock();
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let initiator = engine();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            Panics,
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    assert!(wait_until(LONG, || ini.is_closed()), "engine still running");
    assert_eq!(ini.put(MessageBuilder::new(b"D")), Err(PutError::Closed));
    let again = initiator.create_session_with(
        config(Role::Initiator, "INI2", "ACC"),
        SessionOptions::default(),
        ChannelApplication::new().0,
    );
    assert!(again.is_err(), "a stopped engine created a session");
    initiator.stop();
    // The other engine saw the link drop and carries on.
    let other = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "OTHER"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor engine still works");
    assert_eq!(other.state(), SessionState::WaitForConnect);
}
