//! `perf-report`: every performance table of the README, from one command.
//!
//! ```text
//! cargo run --release -p fixrs-benches --bin perf-report [-- --quick]
//! ```
//!
//! Runs each measurement several times, interleaved (so that a slow spell
//! of a shared machine touches all of them alike), and prints markdown
//! tables headed by the date, CPU model and core count: each figure is the
//! median of the runs with the lowest and highest run in brackets, ratios
//! (measured within each run) first. Progress goes to standard error, the
//! report to standard output.

use clap::{Parser, Subcommand, ValueEnum};
use fixrs_benches::codec::{self, Batches};
use fixrs_benches::engine::{self, BenchError, Peer, StoreKind};
use fixrs_benches::latency::{self, LatencyOptions, LatencyReport};
use fixrs_benches::report::{Collected, Counts, Header};
use fixrs_benches::tokio::Flavor;
use fixrs_benches::{python, store, sys, tls};
use fixrs_test_support::CountingAllocator;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant, SystemTime};

// Counts the TLS allocations per round trip and checks that the codec
// allocates nothing once warm.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Every performance table of the README, from one command.
#[derive(Debug, Parser)]
#[command(name = "perf-report", about, long_about = None)]
struct Cli {
    /// Runs of each measurement (default 5, 3 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Fewer and shorter runs: a first look, not figures to publish.
    #[arg(long)]
    quick: bool,
    /// The smallest counts, to check that everything runs (figures
    /// meaningless).
    #[arg(long, hide = true)]
    smoke: bool,
    /// Measure only these (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
    /// Directory for the file stores (on the disk to measure; default the
    /// system's temporary directory).
    #[arg(long, value_name = "DIR")]
    store_dir: Option<PathBuf>,
    #[command(subcommand)]
    role: Option<Role>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    Latency,
    Flood,
    Memory,
    Tls,
    Codec,
    Store,
    Python,
}

/// The child processes `perf-report` starts.
#[derive(Debug, Subcommand)]
enum Role {
    /// The engine peer of the latency and memory runs (also as
    /// `bench-peer`, fixctl's name, for the Python benchmark script).
    #[command(hide = true, alias = "bench-peer")]
    Peer {
        #[arg(long)]
        sessions: u64,
    },
    /// The memory measurement, in a fresh process.
    #[command(hide = true)]
    Memory {
        #[arg(long)]
        sessions: u64,
    },
}

/// Counts and repetitions of one report.
struct Plan {
    runs: usize,
    counts: Counts,
    codec: Batches,
    store_budget: Duration,
}

impl Plan {
    fn new(cli: &Cli) -> Plan {
        let (runs, counts, codec, store_budget) = if cli.smoke {
            (
                2,
                Counts {
                    round_trips: 200,
                    warmup: 20,
                    messages: 2_000,
                    sessions: 5,
                    tls_round_trips: 100,
                    tls_warmup: 10,
                    codec_calls: 10,
                    python_round_trips: 100,
                    python_warmup: 10,
                    python_orders: 200,
                },
                3,
                Duration::ZERO,
            )
        } else if cli.quick {
            (
                3,
                Counts {
                    round_trips: 20_000,
                    warmup: 2_000,
                    messages: 200_000,
                    sessions: 200,
                    tls_round_trips: 10_000,
                    tls_warmup: 1_000,
                    codec_calls: 1_000,
                    python_round_trips: 5_000,
                    python_warmup: 500,
                    python_orders: 20_000,
                },
                31,
                Duration::from_millis(100),
            )
        } else {
            (
                5,
                Counts {
                    round_trips: 100_000,
                    warmup: 10_000,
                    messages: 500_000,
                    sessions: 1_000,
                    tls_round_trips: 50_000,
                    tls_warmup: 5_000,
                    codec_calls: 2_000,
                    python_round_trips: 20_000,
                    python_warmup: 2_000,
                    python_orders: 100_000,
                },
                101,
                Duration::from_millis(300),
            )
        };
        Plan {
            runs: cli.runs.unwrap_or(runs).max(1),
            codec: Batches {
                calls: counts.codec_calls,
                batches: codec,
            },
            counts,
            store_budget,
        }
    }
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

fn peer(sessions: u64) -> Result<Peer, BenchError> {
    let mut c = Command::new(std::env::current_exe()?);
    c.arg("peer").arg("--sessions").arg(sessions.to_string());
    Peer::spawn(c)
}

/// Runs `f` with this thread, and the threads and processes it starts,
/// on one CPU.
fn on_one_cpu<T>(f: impl FnOnce() -> Result<T, BenchError>) -> Result<T, BenchError> {
    let before = sys::pin_to_one_cpu()?;
    let result = f();
    sys::restore(&before)?;
    result
}

fn latency(plan: &Plan) -> Result<LatencyReport, BenchError> {
    let peer = peer(0)?;
    latency::latency(
        &peer,
        LatencyOptions {
            round_trips: plan.counts.round_trips,
            warmup: plan.counts.warmup,
            deadline: deadline(),
        },
    )
}

fn flood(
    plan: &Plan,
    file: bool,
    dir: &std::path::Path,
) -> Result<engine::ThroughputReport, BenchError> {
    let n = plan.counts.messages;
    let report = if file {
        let d = tempfile::tempdir_in(dir)?;
        engine::throughput(StoreKind::File(d.path().into()), n, deadline())?
    } else {
        let max_messages = n as usize;
        engine::throughput(StoreKind::Memory { max_messages }, n, deadline())?
    };
    if report.resent > 0 || !report.errors.is_empty() {
        return Err(BenchError::Peer(format!(
            "flood: {} resends, errors {:?}",
            report.resent, report.errors
        )));
    }
    Ok(report)
}

/// [`flood`] with the tokio engine.
fn tokio_flood(
    plan: &Plan,
    file: bool,
    dir: &std::path::Path,
    flavor: Flavor,
) -> Result<engine::ThroughputReport, BenchError> {
    let n = plan.counts.messages;
    let report = if file {
        let d = tempfile::tempdir_in(dir)?;
        fixrs_benches::tokio::throughput(StoreKind::File(d.path().into()), n, flavor, deadline())?
    } else {
        let max_messages = n as usize;
        fixrs_benches::tokio::throughput(StoreKind::Memory { max_messages }, n, flavor, deadline())?
    };
    if report.resent > 0 || !report.errors.is_empty() {
        return Err(BenchError::Peer(format!(
            "tokio flood: {} resends, errors {:?}",
            report.resent, report.errors
        )));
    }
    Ok(report)
}

/// The memory measurement in a fresh process, so that memory freed by the
/// other measurements does not hide what the sessions take.
fn memory(plan: &Plan) -> Result<engine::MemoryReport, BenchError> {
    let output = Command::new(std::env::current_exe()?)
        .arg("memory")
        .arg("--sessions")
        .arg(plan.counts.sessions.to_string())
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("MEMORY "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match (output.status.success(), &numbers[..]) {
        (true, &[sessions, before, after]) => Ok(engine::MemoryReport {
            sessions,
            before: before as usize,
            after: after as usize,
        }),
        _ => Err(BenchError::Peer(format!(
            "memory measurement failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
    }
}

fn today() -> String {
    let now = fixrs_proto::UtcTimestamp::from(SystemTime::now()).to_string();
    // YYYYMMDD-HH:MM:SS...
    match (now.get(0..4), now.get(4..6), now.get(6..8)) {
        (Some(y), Some(m), Some(d)) => format!("{y}-{m}-{d}"),
        _ => now,
    }
}

fn run(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let plan = Plan::new(cli);
    let wanted = |p: Part| cli.only.is_empty() || cli.only.contains(&p);
    let store_dir = cli.store_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut c = Collected::default();
    // The module in release mode, built before anything is measured (with
    // --smoke, the one installed is used as it is).
    let python = if wanted(Part::Python) {
        Some(python::prepare(!cli.smoke)?)
    } else {
        None
    };
    let started = Instant::now();
    for r in 1..=plan.runs {
        let step = |what: &str| {
            eprintln!(
                "perf-report: run {r}/{}: {what} ({:.0} s)",
                plan.runs,
                started.elapsed().as_secs_f64()
            )
        };
        if wanted(Part::Latency) {
            step("round trips, one CPU");
            c.latency_one_cpu.push(on_one_cpu(|| latency(&plan))?);
            step("round trips, all CPUs");
            c.latency_all_cpus.push(latency(&plan)?);
        }
        if wanted(Part::Flood) {
            for (i, file) in [false, true].into_iter().enumerate() {
                step(if file {
                    "flood, file store"
                } else {
                    "flood, memory store"
                });
                c.flood_one_cpu[i].push(on_one_cpu(|| flood(&plan, file, &store_dir))?);
                c.flood_all_cpus[i].push(flood(&plan, file, &store_dir)?);
                c.tokio_flood_one_cpu[i].push(on_one_cpu(|| {
                    tokio_flood(&plan, file, &store_dir, Flavor::CurrentThread)
                })?);
                c.tokio_flood_all_cpus[i].push(tokio_flood(
                    &plan,
                    file,
                    &store_dir,
                    Flavor::MultiThread,
                )?);
            }
        }
        if wanted(Part::Memory) {
            step("memory per idle session");
            c.memory.push(memory(&plan)?);
        }
        if wanted(Part::Tls) {
            step("TLS round trips");
            c.tls.push(tls::round_trips(
                plan.counts.tls_round_trips,
                plan.counts.tls_warmup,
                deadline(),
            )?);
        }
        if wanted(Part::Codec) {
            step("codec");
            let run = codec::measure(plan.codec);
            if run.our_allocations != 0 {
                return Err(format!(
                    "the codec allocated {} times once warm",
                    run.our_allocations
                )
                .into());
            }
            c.codec.push(run);
        }
        if wanted(Part::Store) {
            step("file store");
            c.store.push(store::measure(&store_dir, plan.store_budget)?);
        }
        if let Some(python) = &python {
            step("Python module and QuickFIX's Python bindings, one CPU");
            // On one CPU as the Rust engine's first rows: free on all CPUs,
            // the round trips of a VM at rest measure its cross-CPU
            // wake-ups more than the engines.
            let peer = std::env::current_exe()?;
            c.python.push(on_one_cpu(|| {
                python::measure(
                    python,
                    &peer,
                    plan.counts.python_round_trips,
                    plan.counts.python_warmup,
                    plan.counts.python_orders,
                )
            })?);
        }
    }
    eprintln!(
        "perf-report: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let header = Header {
        date: today(),
        cpu: sys::cpu_model(),
        cores: sys::cpu_count(),
        runs: plan.runs,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(c.render(&header, &plan.counts).as_bytes())?;
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.role {
        Some(Role::Peer { sessions }) => engine::run_peer(sessions).map_err(Into::into),
        Some(Role::Memory { sessions }) => (|| {
            let peer = peer(sessions)?;
            let m = engine::memory(&peer, sessions, deadline())?;
            println!("MEMORY {} {} {}", m.sessions, m.before, m.after);
            Ok(())
        })(),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perf-report: {e}");
            ExitCode::FAILURE
        }
    }
}
