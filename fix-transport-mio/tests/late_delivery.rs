//! Late delivery across `kill -9` of the sender, with the file store, in
//! both modes (test cases 16a, 16b): orders put before any connection
//! reach the counterparty exactly once after the sender process is killed
//! and started again: in resend mode as PossDupFlag=Y resends of the
//! numbers they took when put, in queue mode as new messages numbered
//! right after the Logon.

mod common;

use common::*;
use fixrs_proto::{tag, Message};
use fixrs_session::{LateDeliveryMode, Role};
use fixrs_transport_mio::{Application, SessionHandle, SessionOptions, SessionState};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(30);

/// The sender process (`examples/late_delivery_initiator.rs`).
const EXAMPLE: &str = "late_delivery_initiator";

/// An order as the counterparty's application received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Received {
    id: String,
    seq: u64,
    poss_dup: bool,
}

struct Recorder(Arc<Mutex<Vec<Received>>>);

impl Application for Recorder {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        let (Ok(seq), Some(id)) = (message.msg_seq_num(), message.get(tag::CL_ORD_ID)) else {
            return;
        };
        if let Ok(mut got) = self.0.lock() {
            got.push(Received {
                id: String::from_utf8_lossy(id).into_owned(),
                seq,
                poss_dup: message.get(tag::POSS_DUP_FLAG) == Some(b"Y"),
            });
        }
    }
}

/// Starts the sender process and waits for its first line (`expect`).
fn spawn(addr: SocketAddr, store: &Path, mode: &str, args: &[&str], expect: &str) -> Child {
    let exe = example_binary(EXAMPLE);
    assert!(exe.exists(), "example {} not built", exe.display());
    let mut child = Command::new(&exe)
        .arg(addr.to_string())
        .arg(store)
        .arg(mode)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn sender");
    let line = fixrs_test_support::first_line(&mut child, fixrs_test_support::CHILD_START);
    assert!(line.starts_with(expect), "sender said {line:?}");
    child
}

fn kill_9(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
}

/// Puts orders in a sender that never connects and kills it, twice (once
/// after the store confirmed all of them, once at a random moment while
/// putting); then starts it again to connect. Returns what the
/// counterparty received, the ids put in the first round, and those of
/// the second.
fn late_orders_across_kill_9(mode: LateDeliveryMode) -> (Vec<Received>, Vec<String>, Vec<String>) {
    let mode = match mode {
        LateDeliveryMode::Resend => "resend",
        _ => "queue",
    };
    let dirs = tempfile::tempdir().expect("temp dir");
    let store = dirs.path().join("sender-store");
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let got = Arc::new(Mutex::new(Vec::new()));
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "LATE_ACC", "LATE_INI"),
            SessionOptions::default(),
            Recorder(got.clone()),
        )
        .expect("acceptor");

    // Round 1: all put and confirmed durable, then killed.
    let first: Vec<String> = (1..=20).map(|n| format!("A-{n}")).collect();
    kill_9(spawn(addr, &store, mode, &["put", "A", "20"], "QUEUED"));
    // Round 2: killed while putting (or just after).
    let second: Vec<String> = (1..=20_000).map(|n| format!("B-{n}")).collect();
    let mut child = Command::new(example_binary(EXAMPLE))
        .arg(addr.to_string())
        .arg(&store)
        .arg(mode)
        .args(["put", "B", "20000"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn sender");
    let mut seed = clock_seed();
    println!("kill delay seeded with {seed}");
    std::thread::sleep(Duration::from_millis(20 + next_random(&mut seed) % 200));
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");

    // The sender comes back and logs on: everything kept is delivered.
    let sender = spawn(addr, &store, mode, &["connect"], "ESTABLISHED");
    expect_state(&acc, SessionState::Established, LONG);
    let total = |got: &[Received]| got.len();
    // Wait until the first round arrived and nothing more comes.
    let mut last = usize::MAX;
    assert!(wait_until(LONG, || {
        let got = got.lock().expect("received");
        let done = got.iter().filter(|r| r.id.starts_with("A-")).count() == first.len()
            && total(&got) == last;
        last = total(&got);
        if !done {
            std::thread::sleep(Duration::from_millis(200));
        }
        done
    }));
    kill_9(sender);
    acceptor.stop();
    let got = got.lock().expect("received").clone();
    (got, first, second)
}

/// Every order of round 1 arrived once, then a prefix of round 2's, in
/// the order they were put.
fn check_delivered_once_in_order(got: &[Received], first: &[String], second: &[String]) {
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let n = ids.len();
    assert!(n >= first.len(), "{ids:?}");
    assert_eq!(
        ids[..first.len()],
        first.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    let rest = &ids[first.len()..];
    assert_eq!(
        rest,
        &second.iter().map(String::as_str).collect::<Vec<_>>()[..rest.len()],
        "round 2 not a prefix in order"
    );
    println!(
        "{} orders delivered ({} of round 2, killed while putting)",
        n,
        rest.len()
    );
}

#[test]
fn case_16b_resend_mode_late_orders_survive_kill_9_as_poss_dup_resends() {
    let (got, first, second) = late_orders_across_kill_9(LateDeliveryMode::Resend);
    check_delivered_once_in_order(&got, &first, &second);
    // Numbered when put (from 1, before any Logon), resent on request.
    for (r, seq) in got.iter().zip(1..) {
        assert!(r.poss_dup, "{r:?}");
        assert_eq!(r.seq, seq, "{r:?}");
    }
}

#[test]
fn case_16b_queue_mode_late_orders_survive_kill_9_as_new_messages() {
    let (got, first, second) = late_orders_across_kill_9(LateDeliveryMode::Queue);
    check_delivered_once_in_order(&got, &first, &second);
    // Numbered when sent: right after the Logon (MsgSeqNum 1), no
    // PossDupFlag.
    for (r, seq) in got.iter().zip(2..) {
        assert!(!r.poss_dup, "{r:?}");
        assert_eq!(r.seq, seq, "{r:?}");
    }
}
