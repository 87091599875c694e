//! Engine benchmarks over loopback TCP, printing numbers (the code is
//! `fixrs_benches::engine`, which `fixctl bench` and `perf-report` run
//! too):
//!
//! - latency: NewOrderSingle -> ExecutionReport round trips between an
//!   initiator session here and an acceptor session in a second process
//!   (this binary re-spawned as the peer), next to a raw TCP ping-pong of
//!   the same message sizes measured in the same run, with the ratio;
//! - throughput: one session sending NewOrderSingles one way as fast as
//!   the engine takes them, with a memory store and a file store;
//! - memory: resident memory per idle logged-on session.
//!
//! Run `cargo bench -p fixrs-benches --bench roundtrip`; pin both
//! processes to one CPU with `taskset -c 0 cargo bench ...` (the peer
//! inherits the affinity). Counts come from the environment so CI can run
//! it small: FIX_BENCH_ROUNDTRIPS (100000), FIX_BENCH_WARMUP (10000),
//! FIX_BENCH_MESSAGES (500000), FIX_BENCH_SESSIONS (1000), and
//! FIX_BENCH_ONLY=latency|throughput|memory to run one part.

use fixrs_benches::engine::{self as bench, Peer, StoreKind};
use fixrs_benches::latency::LatencyOptions;
use std::process::Command;
use std::time::{Duration, Instant};

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peer(sessions: u64) -> Peer {
    let mut command = Command::new(std::env::current_exe().expect("exe"));
    command
        .env("FIX_BENCH_ROLE", "peer")
        .env("FIX_BENCH_PEER_SESSIONS", sessions.to_string());
    Peer::spawn(command).expect("spawn peer")
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

fn latency() {
    let peer = peer(0);
    let report = fixrs_benches::latency::latency(
        &peer,
        LatencyOptions {
            round_trips: env_count("FIX_BENCH_ROUNDTRIPS", 100_000),
            warmup: env_count("FIX_BENCH_WARMUP", 10_000),
            deadline: deadline(),
        },
    )
    .expect("latency benchmark");
    println!("{report}");
}

fn throughput() {
    let n = env_count("FIX_BENCH_MESSAGES", 500_000);
    let which = std::env::var("FIX_BENCH_STORE").unwrap_or_default();
    let repeat = env_count("FIX_BENCH_REPEAT", 3).max(1);
    if which.is_empty() || which == "memory" {
        let max_messages = env_count("FIX_BENCH_MEMORY_STORE_MAX", 1 << 20) as usize;
        let best = (0..repeat)
            .map(|_| {
                let r = bench::throughput(StoreKind::Memory { max_messages }, n, deadline())
                    .expect("throughput benchmark");
                println!("{r}");
                r.rate
            })
            .fold(0.0, f64::max);
        println!("throughput, memory store: best of {repeat}: {best:.0} msg/s");
    }
    if which.is_empty() || which == "file" {
        let best = (0..repeat)
            .map(|_| {
                let dir = tempfile::tempdir().expect("temp dir");
                let r = bench::throughput(StoreKind::File(dir.path().into()), n, deadline())
                    .expect("throughput benchmark");
                println!("{r}");
                r.rate
            })
            .fold(0.0, f64::max);
        println!("throughput, file store: best of {repeat}: {best:.0} msg/s");
    }
}

fn memory() {
    let n = env_count("FIX_BENCH_SESSIONS", 1000);
    let peer = peer(n);
    let report = bench::memory(&peer, n, deadline()).expect("memory benchmark");
    println!("{report}");
}

fn main() {
    match std::env::var("FIX_BENCH_ROLE").as_deref() {
        Ok("peer") => {
            bench::run_peer(env_count("FIX_BENCH_PEER_SESSIONS", 0)).expect("peer");
            return;
        }
        Ok("memory") => {
            memory();
            return;
        }
        _ => {}
    }
    let only = std::env::var("FIX_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "latency" {
        latency();
    }
    if only.is_empty() || only == "throughput" {
        throughput();
    }
    if only.is_empty() || only == "memory" {
        // In a fresh process, so that memory freed by the other parts does
        // not hide what the sessions take.
        let status = Command::new(std::env::current_exe().expect("exe"))
            .env("FIX_BENCH_ROLE", "memory")
            .env("FIX_BENCH_ONLY", "memory")
            .status()
            .expect("memory benchmark");
        assert!(status.success(), "memory benchmark failed");
    }
}
