//! The engine with file stores: sequence numbers survive a restart, and an
//! initiator killed with SIGKILL while sending recovers: after restart it
//! logs on again, answers the peer's ResendRequest from its store, and the
//! peer's application gets every stored message exactly once.

mod common;

use common::*;
use fixrs_proto::{tag, FieldIndex, Message};
use fixrs_session::{Role, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use fixrs_transport_mio::{
    Application, ChannelApplication, EngineSettings, FixEngine, SessionHandle, SessionOptions,
    SessionState,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const LONG: Duration = Duration::from_secs(20);

fn file_engine(dir: &Path) -> FixEngine {
    init_log();
    FixEngine::new(EngineSettings::default().with_file_store_path(dir.to_path_buf()))
        .expect("engine")
}

#[test]
fn file_store_keeps_sequence_numbers_across_engine_restarts() {
    let dirs = tempfile::tempdir().expect("temp dir");
    let (ini_dir, acc_dir) = (dirs.path().join("ini"), dirs.path().join("acc"));
    let run = |expect_out: Option<u64>| -> (u64, u64) {
        let acceptor = file_engine(&acc_dir);
        let addr = acceptor.listen(any_port()).expect("listen");
        let (acc_app, acc_events) = ChannelApplication::new();
        let acc = acceptor
            .create_session_with(
                config(Role::Acceptor, "ACC", "INI"),
                SessionOptions::default(),
                acc_app,
            )
            .expect("acceptor");
        let initiator = file_engine(&ini_dir);
        let ini = initiator
            .create_session_with(
                config(Role::Initiator, "INI", "ACC"),
                SessionOptions::default(),
                ChannelApplication::new().0,
            )
            .expect("initiator");
        if let Some(out) = expect_out {
            assert_eq!(ini.out_seq_num(), out, "sequence number not restored");
            assert_eq!(acc.in_seq_num(), out);
        }
        ini.connect(30, &addr.to_string()).expect("connect");
        expect_state(&ini, SessionState::Established, LONG);
        let mut m = fixrs_proto::MessageBuilder::new(b"D");
        fixrs_proto::FieldWriter::push_str(&mut m, tag::CL_ORD_ID, "1");
        for _ in 0..10 {
            ini.put(&m).expect("put");
        }
        let mut got = 0;
        while got < 10 {
            let ev = acc_events.recv_timeout(LONG).expect("orders");
            if matches!(ev.kind, fixrs_transport_mio::AppEventKind::Message(_)) {
                got += 1;
            }
        }
        ini.disconnect("bye").expect("logout");
        expect_state(&ini, SessionState::CorrectlyTerminated, LONG);
        assert!(wait_until(LONG, || acc.state().is_terminated()));
        let seqs = (ini.out_seq_num(), acc.out_seq_num());
        initiator.stop();
        acceptor.stop();
        seqs
    };
    let (out1, _) = run(None);
    // Logon, ten orders, Logout.
    assert_eq!(out1, 13);
    let (out2, _) = run(Some(out1));
    assert_eq!(out2, out1 + 12);
}

/// What the peer's application saw: MsgSeqNums and ClOrdIDs of orders.
#[derive(Default)]
struct Seen {
    seqs: HashSet<u64>,
    cl_ord_ids: HashMap<String, u64>,
    duplicates_dropped: u64,
    cl_ord_id_repeats: u64,
    poss_dup_delivered: u64,
}

/// Records orders, dropping PossDup resends already seen (by MsgSeqNum).
/// While `stall` is set it stops reading (blocking its engine thread), so
/// that the sender's socket and backlog fill up: a kill then loses messages
/// the sender has stored but not yet sent.
struct Recorder(Arc<Mutex<Seen>>, Arc<AtomicBool>);

impl Application for Recorder {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        while self.1.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let (Ok(seq), Some(id)) = (message.msg_seq_num(), message.get(tag::CL_ORD_ID)) else {
            return;
        };
        let Ok(mut seen) = self.0.lock() else {
            return;
        };
        if message.get(tag::POSS_DUP_FLAG) == Some(b"Y") {
            seen.poss_dup_delivered += 1;
        }
        if !seen.seqs.insert(seq) {
            seen.duplicates_dropped += 1;
            return;
        }
        let id = String::from_utf8_lossy(id).into_owned();
        if seen.cl_ord_ids.insert(id, seq).is_some() {
            seen.cl_ord_id_repeats += 1;
        }
    }
}

#[test]
fn initiator_killed_while_sending_recovers_from_its_file_store() {
    let crashes = env_count("FIX_TEST_CRASHES", 4) as u64;
    let exe = example_binary("file_store_initiator");
    assert!(exe.exists(), "example {} not built", exe.display());
    let dirs = tempfile::tempdir().expect("temp dir");
    let store_dir = dirs.path().join("initiator-store");

    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stall = Arc::new(AtomicBool::new(false));
    let mut acc_config = config(Role::Acceptor, "STORE_ACC", "STORE_INI");
    acc_config.logon_timeout = Duration::from_secs(10);
    let acc = acceptor
        .create_session_with(
            acc_config,
            SessionOptions::default(),
            Recorder(seen.clone(), stall.clone()),
        )
        .expect("acceptor");

    let mut seed = clock_seed();
    println!("kill delays seeded with {seed}");
    let spawn = |run: u64, count: Option<u64>| {
        let mut cmd = Command::new(&exe);
        cmd.arg(addr.to_string())
            .arg(&store_dir)
            .arg(run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(c) = count {
            cmd.arg(c.to_string());
        }
        let mut child = cmd.spawn().expect("spawn initiator");
        let line = fixrs_test_support::first_line(&mut child, fixrs_test_support::CHILD_START);
        assert!(line.starts_with("ESTABLISHED"), "child said {line:?}");
        child
    };
    for run in 0..crashes {
        let mut child = spawn(run, None);
        let delay = 20 + next_random(&mut seed) % 400;
        std::thread::sleep(Duration::from_millis(delay));
        // Every other run the receiver stops reading before the kill.
        let stalled = run % 2 == 1;
        if stalled {
            stall.store(true, Ordering::Release);
            std::thread::sleep(Duration::from_millis(100 + delay / 2));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        stall.store(false, Ordering::Release);
        // The acceptor notices the broken link.
        assert!(wait_until(LONG, || acc.state() != SessionState::Established));
    }
    // A last run sends a few more and logs out cleanly.
    let mut child = spawn(crashes, Some(100));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "last run did not finish"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "last run failed: {status}");
    assert!(wait_until(LONG, || acc.state().is_terminated()));

    // Every order the initiator stored reached the application once.
    let key = config(Role::Initiator, "STORE_INI", "STORE_ACC").key();
    let mut store = FileStore::open(
        &store_dir,
        &key,
        FileStoreOptions::default(),
        fixrs_proto::UtcTimestamp::from(SystemTime::now()),
    )
    .expect("reopen store");
    let mut stored = Vec::new();
    let mut index = FieldIndex::new();
    store
        .outgoing(1, u64::MAX, &mut |seq, bytes| {
            if let Ok(m) = index.parse(bytes) {
                if m.msg_type() == b"D" {
                    let id = m
                        .get(tag::CL_ORD_ID)
                        .map(|v| String::from_utf8_lossy(v).into_owned());
                    stored.push((seq, id.unwrap_or_default()));
                }
            }
        })
        .expect("read store");
    let seen = seen.lock().expect("seen");
    assert!(stored.len() >= 100, "only {} orders stored", stored.len());
    assert_eq!(seen.cl_ord_id_repeats, 0, "an order was delivered twice");
    for (seq, id) in &stored {
        assert_eq!(
            seen.cl_ord_ids.get(id),
            Some(seq),
            "stored order {id} (MsgSeqNum {seq}) not delivered"
        );
    }
    assert_eq!(
        seen.cl_ord_ids.len(),
        stored.len(),
        "orders delivered that were never stored"
    );
    println!(
        "{} orders stored and delivered once over {crashes} crashes ({} resent with PossDup, {} duplicates dropped)",
        stored.len(),
        seen.poss_dup_delivered,
        seen.duplicates_dropped
    );
    acceptor.stop();
}
