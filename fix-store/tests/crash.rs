//! Crash safety under `kill -9`: a child process saves and flushes messages
//! in a loop and reports each completed flush through a pipe; the test
//! kills it with SIGKILL at random moments, reopens the store and checks
//! that every reported message is there, intact, with consistent sequence
//! numbers.
//!
//! The child is this test binary itself, started with an environment
//! variable that turns the test function into the writer loop.

mod common;

use common::{collect, key, message, t, TempDir};
use fixrs_session::Store;
use fixrs_store::{Durability, FileStore, FileStoreOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR: &str = "FIX_STORE_CRASH_CHILD_DIR";
const CHILD_SEED: &str = "FIX_STORE_CRASH_CHILD_SEED";
const ROUNDS: u64 = 10;
/// The child stops by itself after this long if nobody kills it.
const CHILD_LIFETIME: Duration = Duration::from_secs(20);
const SALT: &str = "crash";

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The message saved with `seq`: mostly small, and every 1009th one large
/// (about 256 KiB), so some flushes are big writes that a SIGKILL can cut
/// short half-way.
fn crash_message(seq: u64) -> Vec<u8> {
    let mut m = message(SALT, seq);
    if seq.is_multiple_of(1009) {
        let len = 256 * 1024 + (seq % 100) as usize;
        m.extend((0..len).map(|i| b'a' + ((i as u64 + seq) % 26) as u8));
    }
    m
}

fn options(history: Option<u64>, durability: Durability) -> FileStoreOptions {
    let o = FileStoreOptions::default()
        .with_segment_bytes(16 * 1024)
        .with_durability(durability);
    match history {
        Some(n) => o.with_max_messages(n),
        None => o,
    }
}

/// The writer loop run in the child: batches of 1 to 64 messages, the next
/// target MsgSeqNum set to the batch's last MsgSeqNum, a flush, then a line
/// `F <last seq> <target> E` on stdout.
fn child(dir: &Path, seed: u64, history: Option<u64>) {
    let mut rng = Rng::new(seed);
    let durability = if seed.is_multiple_of(2) {
        Durability::Flush
    } else {
        Durability::Fsync
    };
    let mut store = FileStore::open(
        dir,
        &key("BANK", "EXCH"),
        options(history, durability),
        t(1),
    )
    .unwrap();
    let mut seq = store.next_sender_seq_num();
    let started = Instant::now();
    let stdout = std::io::stdout();
    while started.elapsed() < CHILD_LIFETIME {
        let batch = 1 + rng.below(64);
        for _ in 0..batch {
            store.save_outgoing(seq, &crash_message(seq)).unwrap();
            seq += 1;
        }
        store.set_next_target_seq_num(seq - 1).unwrap();
        store.flush().unwrap();
        let mut out = stdout.lock();
        out.write_all(format!("F {} {} E\n", seq - 1, seq - 1).as_bytes())
            .unwrap();
        out.flush().unwrap();
    }
}

/// Runs the child `ROUNDS` times against one store, killing it each time,
/// and checks the store after every kill.
fn crash_rounds(test_name: &str, history: Option<u64>) {
    if let (Some(dir), Some(seed)) = (std::env::var_os(CHILD_DIR), std::env::var_os(CHILD_SEED)) {
        let seed = seed.to_str().and_then(|s| s.parse().ok()).unwrap();
        child(Path::new(&dir), seed, history);
        return;
    }
    let dir = TempDir::new(test_name);
    let mut rng = Rng::new(0xC0FFEE);
    let mut max_flushed = 0;
    let mut max_target = 1;
    let mut kills_with_progress = 0;
    let mut torn_tails = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_SEED, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        // Drained all along (a full pipe would stall the child) and shown
        // if the child ends without flushing, to say why.
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
            text
        });
        let (first_flush_tx, first_flush) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if l.starts_with("F ") {
                            let _ = first_flush_tx.send(());
                        }
                        lines.push(l)
                    }
                    Err(_) => break,
                }
            }
            lines
        });
        // Most rounds kill the writer while it is saving and flushing; every
        // fourth kills it at a random moment from start-up on, which may be
        // during recovery or the first writes.
        let early = round % 4 == 3;
        if !early {
            if let Err(e) = first_flush.recv_timeout(Duration::from_secs(60)) {
                let _ = child.kill();
                let _ = child.wait();
                let errors = errors.join().unwrap();
                panic!("round {round}: the child never flushed ({e}); its stderr:\n{errors}");
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(80_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        drop(errors.join().unwrap());
        let before = max_flushed;
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            if let ["F", seq, target, "E"] = parts[..] {
                max_flushed = max_flushed.max(seq.parse::<u64>().unwrap());
                max_target = max_target.max(target.parse::<u64>().unwrap());
            }
        }
        if !early {
            assert!(max_flushed > before, "round {round}: no flush reported");
            kills_with_progress += 1;
        }

        let seen = FileStore::inspect(dir.path(), &key("BANK", "EXCH"))
            .unwrap_or_else(|e| panic!("round {round}: inspect failed: {e}"));
        if let Some(seen) = &seen {
            torn_tails += u32::from(seen.torn_tail_bytes > 0);
            eprintln!(
                "round {round}: flushed up to {max_flushed}, on disk {:?}, torn tail {} bytes",
                seen.last_seq_num, seen.torn_tail_bytes
            );
        }
        let mut store = FileStore::open(
            dir.path(),
            &key("BANK", "EXCH"),
            options(history, Durability::Flush),
            t(2),
        )
        .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        let last = store.next_sender_seq_num() - 1;
        assert!(
            last >= max_flushed,
            "round {round}: flushed up to {max_flushed}, store ends at {last}"
        );
        let first = match history {
            Some(n) => last.saturating_sub(n - 1).max(1),
            None => 1,
        };
        let kept = collect(&mut store, 1, u64::MAX);
        assert_eq!(kept.len() as u64, last + 1 - first, "round {round}");
        for (i, (seq, msg)) in kept.iter().enumerate() {
            assert_eq!(*seq, first + i as u64, "round {round}");
            assert!(
                *msg == crash_message(*seq),
                "round {round}: message {seq} damaged"
            );
        }
        let target = store.next_target_seq_num();
        assert!(
            target >= max_target,
            "round {round}: target {target} < {max_target}"
        );
        assert!(
            target <= last.max(1),
            "round {round}: target {target} past {last}"
        );
        assert_eq!(store.creation_time(), t(1));
    }
    assert!(kills_with_progress >= ROUNDS / 2);
    eprintln!("{torn_tails} of {ROUNDS} kills left a torn tail");
}

#[test]
fn kill_9_loses_no_flushed_message() {
    crash_rounds("kill_9_loses_no_flushed_message", None);
}

#[test]
fn kill_9_with_history_limit_keeps_the_latest_window() {
    crash_rounds(
        "kill_9_with_history_limit_keeps_the_latest_window",
        Some(2_000),
    );
}
