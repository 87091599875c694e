//! `fixctl bench`: the engine's loopback benchmarks
//! ([`fixrs_benches::engine`]) with counts from the command line and a
//! bound on the run time.
//!
//! The latency run needs a peer process: `fixctl` starts itself with the
//! hidden `bench-peer` command (see [`peer_command`]).

use fixrs_benches::engine::{self as bench, BenchError, Peer, StoreKind};
use fixrs_benches::latency::{self, LatencyOptions};
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

/// Which benchmarks to run and how long.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Round trips measured (0 skips the latency run).
    pub round_trips: u64,
    /// Round trips before measuring.
    pub warmup: u64,
    /// Messages per throughput run (0 skips the throughput runs).
    pub messages: u64,
    /// Run throughput with a memory store.
    pub memory_store: bool,
    /// Run throughput with a file store.
    pub file_store: bool,
    /// Idle sessions for the memory measurement (0 skips it).
    pub sessions: u64,
    /// Longest the whole run may take.
    pub time_limit: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            round_trips: 20_000,
            warmup: 2_000,
            messages: 200_000,
            memory_store: true,
            file_store: true,
            sessions: 0,
            time_limit: Duration::from_secs(120),
        }
    }
}

/// The command that runs the benchmark peer: this executable with the
/// hidden `bench-peer` command.
pub fn peer_command(idle_sessions: u64) -> Result<Command, BenchError> {
    let mut c = Command::new(std::env::current_exe()?);
    c.arg("bench-peer")
        .arg("--sessions")
        .arg(idle_sessions.to_string());
    Ok(c)
}

/// Runs the benchmarks, printing each result as it comes.
pub fn run(options: &BenchOptions, out: &mut dyn Write) -> Result<(), BenchError> {
    let deadline = Instant::now() + options.time_limit;
    if options.round_trips > 0 {
        writeln!(out, "latency: starting the peer process")?;
        let peer = Peer::spawn(peer_command(0)?)?;
        let report = latency::latency(
            &peer,
            LatencyOptions {
                round_trips: options.round_trips,
                warmup: options.warmup,
                deadline,
            },
        )?;
        writeln!(out, "{report}")?;
    }
    if options.messages > 0 {
        if options.memory_store {
            let report = bench::throughput(
                StoreKind::Memory {
                    max_messages: options.messages as usize,
                },
                options.messages,
                deadline,
            )?;
            writeln!(out, "{report}")?;
        }
        if options.file_store {
            let dir = tempfile::Builder::new().prefix("fixctl-bench-").tempdir()?;
            let report = bench::throughput(
                StoreKind::File(dir.path().to_path_buf()),
                options.messages,
                deadline,
            )?;
            writeln!(out, "{report}")?;
        }
    }
    if options.sessions > 0 {
        // In a fresh process, so that memory freed by the other runs does
        // not hide what the sessions take.
        let left = deadline.saturating_duration_since(Instant::now());
        let output = Command::new(std::env::current_exe()?)
            .arg("bench-memory")
            .arg("--sessions")
            .arg(options.sessions.to_string())
            .arg("--time-limit")
            .arg(left.as_secs().max(1).to_string())
            .output()?;
        out.write_all(&output.stdout)?;
        if !output.status.success() {
            return Err(BenchError::Peer(format!(
                "memory measurement failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
    }
    Ok(())
}

/// The memory measurement alone, for the hidden `bench-memory` command
/// that [`run`] starts in a fresh process.
pub fn memory(sessions: u64, time_limit: Duration, out: &mut dyn Write) -> Result<(), BenchError> {
    let deadline = Instant::now() + time_limit;
    let peer = Peer::spawn(peer_command(sessions)?)?;
    let report = bench::memory(&peer, sessions, deadline)?;
    writeln!(out, "{report}")?;
    Ok(())
}
