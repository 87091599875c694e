//! A mostly-receiving acceptor killed with SIGKILL: its file store must
//! hold the incoming MsgSeqNum of everything it processed (written to the
//! operating system at least once per pass of the engine's loop), so that
//! after a restart it asks again only for what arrived since. An acceptor
//! killed while idle asks for nothing; one killed in the middle of a flow
//! asks for at most what arrived in the last moments. The counts of
//! re-requested messages are printed.

mod common;

use common::*;
use fixrs_proto::{tag, FieldWriter, MessageBuilder};
use fixrs_session::Role;
use fixrs_transport_mio::{
    AppEvent, AppEventKind, ChannelApplication, EngineSettings, FixEngine, PutError, SessionHandle,
    SessionOptions, SessionState,
};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(20);

/// Starts the acceptor on `listen`; returns it and the address it took.
fn spawn_acceptor(exe: &Path, listen: &str, store: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(exe)
        .arg(listen)
        .arg(store)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn acceptor");
    let line = fixrs_test_support::first_line(&mut child, fixrs_test_support::CHILD_START);
    let addr = line
        .strip_prefix("LISTENING ")
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or_else(|| panic!("child said {line:?}"));
    (child, addr)
}

/// Puts orders while `flow` is set and the session is established.
fn sender(
    s: Arc<SessionHandle>,
    flow: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let mut m = MessageBuilder::default();
    let mut n = 0u64;
    while !stop.load(Ordering::Acquire) {
        if !flow.load(Ordering::Acquire) || s.state() != SessionState::Established {
            idle.store(true, Ordering::Release);
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        idle.store(false, Ordering::Release);
        n += 1;
        m.reset(b"D");
        m.push_str(tag::CL_ORD_ID, &format!("ORD-{n}"))
            .push_str(55, "EUR/USD")
            .push_char(54, b'1')
            .push_str(38, "100")
            .push_char(40, b'1');
        match s.put(&m) {
            Ok(()) | Err(PutError::Backpressure { .. }) => {}
            Err(e) => panic!("put: {e}"),
        }
        if n.is_multiple_of(32) {
            std::thread::sleep(Duration::from_micros(300));
        }
    }
}

/// After a Logon: the lowest BeginSeqNo the acceptor asked for, if any.
fn resend_requests_after_logon(events: &Receiver<AppEvent>) -> Option<u64> {
    let end = Instant::now() + LONG;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let ev = events.recv_timeout(left).expect("no Logon after restart");
        if matches!(ev.kind, AppEventKind::LoggedOn) {
            break;
        }
    }
    let mut begin = None;
    let quiet = Instant::now() + Duration::from_millis(500);
    while let Ok(ev) = events.recv_timeout(quiet.saturating_duration_since(Instant::now())) {
        if let AppEventKind::AdminMessage(m) = ev.kind {
            if m.msg_type() == b"2" {
                let b: u64 = m
                    .get_str(tag::BEGIN_SEQ_NO)
                    .and_then(|v| v.parse().ok())
                    .expect("BeginSeqNo");
                begin = Some(begin.map_or(b, |x: u64| x.min(b)));
            }
        }
    }
    begin
}

#[test]
fn a_receiving_acceptor_killed_with_sigkill_asks_again_only_for_the_last_moments() {
    let rounds = env_count("FIX_TEST_CRASHES", 6) as u64;
    let exe = example_binary("file_store_acceptor");
    assert!(exe.exists(), "example {} not built", exe.display());
    let dirs = tempfile::tempdir().expect("temp dir");
    let store = dirs.path().join("acceptor-store");

    let initiator = engine();
    let (app, events) = ChannelApplication::new();
    let mut cfg = config(Role::Initiator, "RECV_INI", "RECV_ACC");
    cfg.reconnect_interval = Duration::from_millis(100);
    let ini = Arc::new(
        initiator
            .create_session_with(cfg, SessionOptions::default(), app.with_admin_messages())
            .expect("initiator"),
    );
    // Restarted on the same port while the initiator keeps connecting.
    let port = fixrs_test_support::restartable_port();
    let (mut child, addr) = spawn_acceptor(&exe, &format!("127.0.0.1:{port}"), &store);
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    assert_eq!(resend_requests_after_logon(&events), None);

    let flow = Arc::new(AtomicBool::new(false));
    let idle = Arc::new(AtomicBool::new(true));
    let stop = Arc::new(AtomicBool::new(false));
    let put_thread = {
        let (s, f, i, st) = (ini.clone(), flow.clone(), idle.clone(), stop.clone());
        std::thread::spawn(move || sender(s, f, i, st))
    };
    let mut seed = clock_seed();
    println!("kill delays seeded with {seed}");
    let total_asked = AtomicU64::new(0);
    let mut idle_failures = Vec::new();
    for round in 0..rounds {
        // Even rounds: the acceptor is killed after the flow stopped and
        // it had time to process everything; odd rounds: in the flow.
        let quiet = round % 2 == 0;
        flow.store(true, Ordering::Release);
        std::thread::sleep(Duration::from_millis(200 + next_random(&mut seed) % 400));
        if quiet {
            flow.store(false, Ordering::Release);
            assert!(wait_until(LONG, || idle.load(Ordering::Acquire)));
            assert!(wait_until(LONG, || ini.backlog() == 0));
            // Idle once its store files count everything sent, which is
            // what flushing once per pass of the loop must bring about
            // while it sends nothing.
            let sent = ini.out_seq_num();
            let key = fixrs_session::SessionConfig::new(
                Role::Acceptor,
                fixrs_proto::FixVersion::Fix44,
                "RECV_ACC",
                "RECV_INI",
            )
            .key();
            let on_disk = || {
                fixrs_store::FileStore::inspect(&store, &key)
                    .ok()
                    .flatten()
                    .map(|s| s.next_target_seq_num)
            };
            assert!(
                wait_until(LONG, || on_disk() == Some(sent)),
                "round {round}: the acceptor's files count {:?} of {sent}",
                on_disk()
            );
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        flow.store(false, Ordering::Release);
        assert!(wait_until(LONG, || ini.state() != SessionState::Established));
        assert!(wait_until(LONG, || idle.load(Ordering::Acquire)));
        std::thread::sleep(Duration::from_millis(100));
        // The next Logon carries this MsgSeqNum.
        let logon_seq = ini.out_seq_num();
        let (c, _) = spawn_acceptor(&exe, &addr.to_string(), &store);
        child = c;
        let asked = resend_requests_after_logon(&events).map_or(0, |b| logon_seq - b);
        total_asked.fetch_add(asked, Ordering::Relaxed);
        println!(
            "round {round} ({}): {} messages sent before the kill, {asked} asked for again",
            if quiet {
                "killed idle"
            } else {
                "killed in the flow"
            },
            logon_seq - 1,
        );
        if quiet && asked != 0 {
            idle_failures.push(format!("round {round}: {asked} messages asked for again"));
        }
    }
    stop.store(true, Ordering::Release);
    put_thread.join().expect("sender");
    println!(
        "{} messages asked for again over {rounds} restarts",
        total_asked.load(Ordering::Relaxed)
    );
    drop(child.stdin.take());
    let _ = child.wait();
    initiator.stop();
    assert!(
        idle_failures.is_empty(),
        "an acceptor killed while idle asked again for messages it had processed: {idle_failures:?}"
    );
}

#[test]
fn the_incoming_msg_seq_num_reaches_the_store_files_while_the_session_only_receives() {
    let dirs = tempfile::tempdir().expect("temp dir");
    let acceptor =
        FixEngine::new(EngineSettings::default().with_file_store_path(dirs.path().to_path_buf()))
            .expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc_config = config(Role::Acceptor, "RECV_ACC", "RECV_INI");
    let key = acc_config.key();
    let acc = acceptor
        .create_session_with(
            acc_config,
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let initiator = engine();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "RECV_INI", "RECV_ACC"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    let mut m = MessageBuilder::new(b"D");
    m.push_str(tag::CL_ORD_ID, "ORD");
    for _ in 0..50 {
        ini.put(&m).expect("put");
    }
    assert!(wait_until(LONG, || acc.in_seq_num() == 52));
    // Nothing is sent in reply, yet what was processed is in the files.
    let on_disk = || {
        fixrs_store::FileStore::inspect(dirs.path(), &key)
            .ok()
            .flatten()
            .map(|s| s.next_target_seq_num)
    };
    assert!(
        wait_until(LONG, || on_disk() == Some(52)),
        "the store files say the next incoming MsgSeqNum is {:?}",
        on_disk()
    );
    assert_eq!(acc.out_seq_num(), 2, "the acceptor sent something");
    initiator.stop();
    acceptor.stop();
}
