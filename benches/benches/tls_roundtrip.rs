//! Loopback round trips over TLS beside the same round trips over plain
//! TCP, measured in one run (`fixrs_benches::tls`, which `perf-report`
//! measures too): NewOrderSingle -> ExecutionReport between an initiator
//! engine and an acceptor engine, printing the percentiles of both, their
//! ratio, heap allocations per round trip and the time from connect to
//! Established.
//!
//! Run `cargo bench -p fixrs-benches --bench tls_roundtrip`. Counts come
//! from the environment: FIX_BENCH_ROUNDTRIPS (50000) and FIX_BENCH_WARMUP
//! (5000).

use fixrs_benches::tls;
use fixrs_test_support::CountingAllocator;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env_count("FIX_BENCH_ROUNDTRIPS", 50_000);
    let warmup = env_count("FIX_BENCH_WARMUP", 5_000);
    let deadline = Instant::now() + Duration::from_secs(600);
    let r = tls::round_trips(n, warmup, deadline).expect("TLS round trips");
    let (p, t) = (r.plain.percentiles, r.tls.percentiles);
    println!(
        "round trip NewOrderSingle -> ExecutionReport over loopback, {n} samples after {warmup} warm-up"
    );
    println!(
        "  engine, plain TCP   p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us",
        p.p50, p.p99, p.p999
    );
    println!(
        "  engine, TLS 1.3     p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us",
        t.p50, t.p99, t.p999
    );
    println!(
        "  ratio TLS/plain     p50 {:8.2}x     p99 {:8.2}x     p99.9 {:8.2}x",
        t.p50 / p.p50.max(1e-9),
        t.p99 / p.p99.max(1e-9),
        t.p999 / p.p999.max(1e-9)
    );
    println!(
        "  heap allocations per round trip (both engines): plain TCP {:.2}, TLS 1.3 {:.2}",
        r.plain.allocations_per_round_trip, r.tls.allocations_per_round_trip
    );
    println!(
        "  connect to Established: plain TCP {:.2} ms, TLS 1.3 {:.2} ms",
        r.plain.logon.as_secs_f64() * 1e3,
        r.tls.logon.as_secs_f64() * 1e3
    );
}
