//! `fixctl`: run, decode, demo and benchmark FIX sessions, and inspect file
//! stores, from the command line. The work is done by the `fix_cli`
//! library; this file parses the arguments and turns errors into one line
//! on standard error and a non-zero exit status.

use clap::{Args, Parser, Subcommand};
use fix_cli::bench::BenchOptions;
use fix_cli::decode::{DecodeOptions, LogDecoder};
use fix_cli::demo::DemoOptions;
use fix_cli::run::{Console, Mode, RunOptions};
use fixrs_proto::dictionary::Dictionary;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run, decode, demo and benchmark FIX sessions; inspect file stores.
#[derive(Debug, Parser)]
#[command(name = "fixctl", version, about, long_about = None)]
struct Cli {
    /// Print every field of received messages, and the engine's log
    /// (initiator, acceptor); before or after the subcommand.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Pretty-print FIX messages from a log file or standard input.
    ///
    /// Accepts QuickFIX message logs (`20240115-10:30:00.123 : 8=FIX...`),
    /// SOH-, `|`- or `^A`-delimited messages, one or several per line.
    /// Fields are named and enumerations explained from the built-in
    /// dictionary of each message's version (BeginString, ApplVerID, or the
    /// DefaultApplVerID of the last Logon), or from --dict. Garbled
    /// messages are reported and decoding goes on; the exit status is 1 if
    /// any was found.
    Decode(DecodeArgs),
    /// Show a FIX session surviving a dropped link, in one process.
    ///
    /// Runs an initiator and an acceptor on 127.0.0.1 with file stores in
    /// a temporary directory: logon, orders and execution reports, a link
    /// cut with messages in flight, orders queued while disconnected,
    /// reconnect, resend and gap fill, logout; then a timeline of every
    /// message and a summary. Exits with status 1 if any order did not get
    /// exactly one execution report.
    Demo(DemoArgs),
    /// Run the initiator sessions of a QuickFIX-style settings file.
    ///
    /// State changes and received messages are printed as they happen.
    /// Each input line is a message to send (`35=D|55=EUR/USD|54=1|38=100|40=1`,
    /// header fields are filled in by the session) or a command: `q` (or
    /// end of input, or Ctrl-C) logs out and exits; `@<n> <message>` picks
    /// one of several sessions; `:wait logon [secs]`, `:wait logout
    /// [secs]`, `:expect <MsgType> [secs]` and `:sleep <ms>` hold the
    /// following lines (for scripts; a wait that times out is an error).
    /// Without --retry, a failed first connection or Logon ends the program
    /// with status 1 and the reason, even when the input already ended:
    /// `fixctl initiator -c FILE </dev/null` checks that a Logon works.
    Initiator(InitiatorArgs),
    /// Run the acceptor sessions of a QuickFIX-style settings file.
    ///
    /// Listens on each SocketAcceptPort; otherwise as `fixctl initiator`.
    /// A section with AcceptorTemplate=Y takes Logons from every
    /// counterparty its CompIDs allow (`*` for any), each becoming a
    /// session of its own, shown when it first logs on.
    /// Each refused connection (unknown CompIDs, wrong BeginString,
    /// duplicate Logon, garbage, TLS failure) is shown on one line with the
    /// peer's address and the reason, at most 10 every 10 seconds (then
    /// how many were not shown).
    Acceptor(AcceptorArgs),
    /// Measure the engine over loopback TCP.
    ///
    /// Round-trip latency next to a raw TCP ping-pong of the same message
    /// sizes measured in the same run (with the ratio), one-way throughput
    /// with a memory and a file store, and optionally the memory an idle
    /// session takes. The run stops with an error after --time-limit.
    Bench(BenchArgs),
    /// Show the file stores in a directory (a FileStorePath) as opening
    /// them would find them.
    ///
    /// For each store: its session and state, the next sender and target
    /// MsgSeqNums a session would resume from, what the store's
    /// sequence-number file records, records gone missing (a segment
    /// shorter than that file shows it was: opening refuses the store, and
    /// `fixctl store repair` accepts the loss), creation time,
    /// messages kept, pending messages, segments and a torn last record;
    /// a store that cannot be read is shown with the reason, the others
    /// all the same. Nothing is changed or locked, so it is safe on the
    /// stores of a running engine. Exits with status 1 if any store has
    /// records missing or cannot be read.
    ///
    /// `fixctl store repair DIR` accepts the loss of records gone missing,
    /// so that an engine opens the store again (a directory named `repair`
    /// is `./repair`).
    Store(StoreArgs),
    /// The peer process of `fixctl bench` (started by it).
    #[command(hide = true)]
    BenchPeer {
        /// Idle acceptor sessions to host.
        #[arg(long, default_value_t = 0)]
        sessions: u64,
    },
    /// The memory measurement of `fixctl bench`, in a fresh process.
    #[command(hide = true)]
    BenchMemory {
        /// Idle sessions to log on.
        #[arg(long)]
        sessions: u64,
        /// Seconds the measurement may take.
        #[arg(long, default_value_t = 120)]
        time_limit: u64,
    },
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// The log file; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// A QuickFIX XML data dictionary to name fields with, instead of the
    /// built-in ones.
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// One JSON object per message instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct StoreArgs {
    /// The directory (FileStorePath of the settings file).
    #[arg(required = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    action: Option<StoreCmd>,
}

#[derive(Debug, Subcommand)]
enum StoreCmd {
    /// Accept the loss of records a store's sequence-number file shows it
    /// once held, so that the engine opens it again.
    ///
    /// For each store in DIR (or each --session), under the store's lock:
    /// a store with records missing is opened as
    /// Recovery::TruncateCorruptTail opens it, which drops what the loss
    /// leaves behind, keeps the sequence numbers already used (lost
    /// outgoing messages are answered with a SequenceReset-GapFill when
    /// asked for) and records that, synced. What was dropped and the next
    /// sender and target MsgSeqNums the session resumes from are printed.
    /// A store with nothing missing is left untouched, byte for byte.
    /// Stop the engine first: a store it has open is refused. Other damage
    /// (a corrupt record, a bad header) is shown and not repaired. Exits
    /// with status 1 if any store was refused or cannot be read.
    Repair(RepairArgs),
}

#[derive(Debug, Args)]
struct RepairArgs {
    /// The directory (FileStorePath of the settings file).
    dir: PathBuf,
    /// Repair only this session's store: its name as `fixctl store DIR`
    /// shows it (`FIX.4.4:BANK->EXCH`) or the name its files share
    /// (`FIX.4.4+BANK+EXCH`). May be repeated.
    #[arg(long = "session", value_name = "ID")]
    sessions: Vec<String>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Orders sent one at a time at the start (shown in the timeline).
    #[arg(long, default_value_t = 5)]
    orders: usize,
    /// Further one-at-a-time round trips for the latency figures.
    #[arg(long, default_value_t = 1000)]
    latency_samples: usize,
    /// Orders sent at once just before the link is cut.
    #[arg(long, default_value_t = 8)]
    burst: usize,
    /// Orders sent while the initiator is disconnected.
    #[arg(long, default_value_t = 4)]
    queued: usize,
    /// Print only the summary.
    #[arg(long)]
    no_timeline: bool,
    /// Keep the stores and logs in this directory instead of a temporary
    /// one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SessionArgs {
    /// The settings file (QuickFIX format: `[DEFAULT]` and `[SESSION]`
    /// sections of Key=Value lines).
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct InitiatorArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Keep reconnecting when the first connection or Logon fails (as
    /// Reconnect.Interval and Reconnect.MaxTries say) instead of exiting.
    #[arg(long)]
    retry: bool,
}

#[derive(Debug, Args)]
struct AcceptorArgs {
    #[command(flatten)]
    session: SessionArgs,
    /// Answer each NewOrderSingle(D) with an ExecutionReport(8) (ExecType
    /// and OrdStatus New, the order's ClOrdID, Symbol, Side and OrderQty),
    /// for trying a counterparty that sends orders.
    #[arg(long)]
    echo: bool,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Round trips measured (0 skips the latency run).
    #[arg(long, default_value_t = 20_000)]
    round_trips: u64,
    /// Round trips before measuring.
    #[arg(long, default_value_t = 2_000)]
    warmup: u64,
    /// Messages per throughput run (0 skips throughput).
    #[arg(long, default_value_t = 200_000)]
    messages: u64,
    /// Throughput with this store only.
    #[arg(long, value_parser = ["memory", "file"])]
    store: Option<String>,
    /// Idle sessions for a memory-per-session measurement (0 skips it).
    #[arg(long, default_value_t = 0)]
    sessions: u64,
    /// Longest the whole run may take, in seconds.
    #[arg(long, default_value_t = 120)]
    time_limit: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, cli.verbose) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fixctl: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Cmd, verbose: bool) -> Result<ExitCode, String> {
    match command {
        Cmd::Decode(args) => decode(args),
        Cmd::Demo(args) => demo(args),
        Cmd::Initiator(args) => session(args.session, Mode::Initiator, verbose, args.retry, false),
        Cmd::Acceptor(args) => session(args.session, Mode::Acceptor, verbose, false, args.echo),
        Cmd::Bench(args) => {
            let options = BenchOptions {
                round_trips: args.round_trips,
                warmup: args.warmup,
                messages: args.messages,
                memory_store: args.store.as_deref() != Some("file"),
                file_store: args.store.as_deref() != Some("memory"),
                sessions: args.sessions,
                time_limit: Duration::from_secs(args.time_limit),
            };
            let mut out = io::stdout().lock();
            fix_cli::bench::run(&options, &mut out).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Store(args) => store(args),
        Cmd::BenchPeer { sessions } => {
            fixrs_benches::engine::run_peer(sessions).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::BenchMemory {
            sessions,
            time_limit,
        } => {
            let mut out = io::stdout().lock();
            fix_cli::bench::memory(sessions, Duration::from_secs(time_limit), &mut out)
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn store(args: StoreArgs) -> Result<ExitCode, String> {
    let mut out = io::stdout().lock();
    let all_ok = match (args.action, args.dir) {
        (Some(StoreCmd::Repair(repair)), _) => {
            fix_cli::store::repair(&repair.dir, &repair.sessions, &mut out)
                .map_err(|e| e.to_string())?
                .all_ok()
        }
        (None, Some(dir)) => fix_cli::store::list(&dir, &mut out)
            .map_err(|e| e.to_string())?
            .all_ok(),
        // clap requires one or the other.
        (None, None) => return Err("a directory is required".to_string()),
    };
    out.flush().map_err(|e| e.to_string())?;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn decode(args: DecodeArgs) -> Result<ExitCode, String> {
    let dictionary = match &args.dict {
        Some(path) => Some(Dictionary::from_file(path).map_err(|e| match e {
            // The I/O error already names the file.
            fixrs_proto::dictionary::DictionaryError::Io { .. } => e.to_string(),
            e => format!("{}: {e}", path.display()),
        })?),
        None => None,
    };
    let mut decoder = LogDecoder::new(DecodeOptions {
        dictionary,
        json: args.json,
    });
    let stdout = io::stdout().lock();
    let stats = match args.file.as_deref() {
        None => decoder.decode(io::stdin().lock(), stdout),
        Some(p) if p.as_os_str() == "-" => decoder.decode(io::stdin().lock(), stdout),
        Some(p) => {
            let cannot = |e: io::Error| format!("cannot read {}: {e}", p.display());
            let file = std::fs::File::open(p).map_err(cannot)?;
            // A directory opens; reading it is what fails.
            if file.metadata().map_err(cannot)?.is_dir() {
                return Err(format!("cannot read {}: it is a directory", p.display()));
            }
            decoder.decode(
                BufReader::new(NamedReader {
                    inner: file,
                    path: p,
                }),
                stdout,
            )
        }
    };
    let stats = match stats {
        Ok(s) => s,
        // A closed pipe (`fixctl decode log | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => decoder.stats(),
        Err(e) => return Err(e.to_string()),
    };
    if stats.garbled > 0 {
        eprintln!(
            "fixctl: {} of {} messages garbled",
            stats.garbled, stats.messages
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(args: DemoArgs) -> Result<ExitCode, String> {
    let options = DemoOptions {
        orders: args.orders,
        latency_samples: args.latency_samples,
        burst: args.burst,
        queued: args.queued,
        timeline: !args.no_timeline,
        dir: args.dir,
    };
    let mut progress = io::stderr();
    let mut out = io::stdout().lock();
    let report =
        fix_cli::demo::run(&options, &mut progress, &mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    if report.lost.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "fixctl: error: {} orders lost or duplicated",
            report.lost.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

fn session(
    args: SessionArgs,
    mode: Mode,
    verbose: bool,
    retry: bool,
    echo: bool,
) -> Result<ExitCode, String> {
    let console = Console::new();
    ctrlc::set_handler(console.interrupter()).map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    let options = RunOptions {
        config: args.config,
        mode,
        verbose,
        retry,
        echo,
    };
    let stdin = BufReader::new(io::stdin());
    let mut out = io::stdout();
    fix_cli::run::run(&options, console, stdin, &mut out).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// A reader whose errors name its file (a decode error is otherwise a bare
/// "Input/output error").
struct NamedReader<'a, R> {
    inner: R,
    path: &'a std::path::Path,
}

impl<R: io::Read> io::Read for NamedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read {}: {e}", self.path.display()),
            )
        })
    }
}
