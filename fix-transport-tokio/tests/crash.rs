//! The tokio initiator killed with SIGKILL while sending, with a file
//! store: after each restart it logs on again, answers the peer's
//! ResendRequest from its store, and the peer's application gets every
//! stored order exactly once. The peer is the mio engine.

use fixrs_proto::{tag, FieldIndex, FixVersion, Message};
use fixrs_session::{SessionConfig, SessionState, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use fixrs_transport_mio::{Application, EngineSettings, FixEngine, SessionHandle, SessionOptions};
use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const LONG: Duration = Duration::from_secs(30);

/// What the acceptor's application received.
#[derive(Default)]
struct Seen {
    /// ClOrdID -> MsgSeqNum of its first delivery.
    cl_ord_ids: HashMap<String, u64>,
    seqs: HashSet<u64>,
    /// A ClOrdID delivered under a second MsgSeqNum.
    cl_ord_id_repeats: u64,
}

/// Records orders, dropping PossDup resends already seen (by MsgSeqNum);
/// while `stall` is set it stops reading, so that the sender's backlog
/// fills up and a kill loses messages stored but not yet sent.
struct Recorder(Arc<Mutex<Seen>>, Arc<AtomicBool>);

impl Application for Recorder {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        while self.1.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let (Ok(seq), Some(id)) = (message.msg_seq_num(), message.get(tag::CL_ORD_ID)) else {
            return;
        };
        let mut seen = self.0.lock().expect("seen");
        if !seen.seqs.insert(seq) {
            return;
        }
        let id = String::from_utf8_lossy(id).into_owned();
        if seen.cl_ord_ids.insert(id, seq).is_some() {
            seen.cl_ord_id_repeats += 1;
        }
    }
}

fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + LONG;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target directory");
    dir.join("examples").join(name)
}

#[test]
fn tokio_initiator_killed_while_sending_recovers_from_its_file_store() {
    let crashes = 4u64;
    let exe = example_binary("tokio_file_store_initiator");
    assert!(exe.exists(), "example {} not built", exe.display());
    let dirs = tempfile::tempdir().expect("temp dir");
    let store_dir = dirs.path().join("initiator-store");

    let acceptor = FixEngine::new(EngineSettings::default()).expect("engine");
    let addr = acceptor
        .listen("127.0.0.1:0".parse().expect("address"))
        .expect("listen");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stall = Arc::new(AtomicBool::new(false));
    let mut acc_config = SessionConfig::acceptor(FixVersion::Fix44, "STORE_ACC", "STORE_INI");
    acc_config.logon_timeout = Duration::from_secs(10);
    let acc = acceptor
        .create_session_with(
            acc_config,
            SessionOptions::default(),
            Recorder(seen.clone(), stall.clone()),
        )
        .expect("acceptor");

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
        // Kills at different points of the stream, the same in every run.
        let delay = 30 + run * 97 % 300;
        std::thread::sleep(Duration::from_millis(delay));
        // Every other run the receiver stops reading before the kill.
        if run % 2 == 1 {
            stall.store(true, Ordering::Release);
            std::thread::sleep(Duration::from_millis(100 + delay / 2));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        stall.store(false, Ordering::Release);
        assert!(wait_until(|| acc.state() != SessionState::Established));
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
    assert!(wait_until(|| acc.state().is_terminated()));

    // Every order the initiator stored reached the application once.
    let key = SessionConfig::initiator(FixVersion::Fix44, "STORE_INI", "STORE_ACC").key();
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
    acceptor.stop();
}
