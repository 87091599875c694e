//! Loopback benchmarks of the engine, shared by `fixctl bench`, the
//! `roundtrip` bench of this crate and `perf-report`:
//!
//! - [`crate::latency`]: NewOrderSingle -> ExecutionReport round trips
//!   between an initiator session here (its `Pinger`) and an acceptor
//!   session in a [`Peer`] process, next to a raw TCP ping-pong of the same
//!   message sizes and the tokio engine, measured in the same run;
//! - [`throughput`]: one session sending NewOrderSingles one way as fast as
//!   the engine takes them, with a memory or a file store;
//! - [`memory`]: resident memory per idle logged-on session.
//!
//! The peer runs in a second process ([`run_peer`]) so that the two sides
//! do not share an allocator or a scheduler queue; the caller says how to
//! start it (a bench or `perf-report` re-runs its own executable, `fixctl`
//! a hidden subcommand). Every run is bounded by a deadline. CPU and memory
//! figures come from `/proc` ([`crate::sys`]) and are zero where it does
//! not exist.

use crate::sys::{cpu_seconds, rss, thread_cpu};
use fixrs_proto::{tag, Encoder, FieldWriter, FixVersion, Message, MessageBuilder, UtcTimestamp};
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{
    Application, EngineError, EngineSettings, FixEngine, PutError, SessionHandle, SessionOptions,
    SessionState,
};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Why a benchmark could not run to the end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A socket, process or file failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The engine failed.
    #[error("engine error: {0}")]
    Engine(#[from] EngineError),
    /// A session did not take a message.
    #[error("put failed: {0}")]
    Put(#[from] PutError),
    /// The peer process misbehaved.
    #[error("benchmark peer: {0}")]
    Peer(String),
    /// The run did not finish before its deadline.
    #[error("timed out {0}")]
    Timeout(String),
}

pub(crate) const INI: &str = "BENCH_INI";
pub(crate) const ACC: &str = "BENCH_ACC";

/// Fills `m` with the benchmark's NewOrderSingle (always the same size
/// for ids of the same number of digits).
pub fn new_order_single(m: &mut MessageBuilder, id: u64) {
    m.reset(b"D");
    m.push_uint(tag::CL_ORD_ID, 1_000_000_000 + id)
        .push_str(1, "ACCOUNT-0001")
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        // A fixed TransactTime so that every message has the same size.
        .push_str(60, "20240102-03:04:05.678")
        .push_str(38, "1000000")
        .push_char(40, b'2')
        .push_str(44, "1.08345")
        .push_char(59, b'0');
}

/// Fills `m` with the benchmark's ExecutionReport.
pub fn execution_report(m: &mut MessageBuilder) {
    m.reset(b"8");
    m.push_str(37, "ORDER-0000000001")
        .push_str(17, "EXEC-0000000001")
        .push_uint(tag::CL_ORD_ID, 1_000_000_000)
        .push_char(150, b'0')
        .push_char(39, b'0')
        .push_str(1, "ACCOUNT-0001")
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(38, "1000000")
        .push_str(151, "1000000")
        .push_str(14, "0")
        .push_str(6, "0");
}

/// The wire form of an application message with a session header like the
/// engine's (for the raw TCP baseline of the same size).
pub(crate) fn wire(m: &MessageBuilder, sender: &str, target: &str) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", m.msg_type());
    enc.push_str(tag::SENDER_COMP_ID, sender)
        .push_str(tag::TARGET_COMP_ID, target)
        .push_uint(tag::MSG_SEQ_NUM, 1_000_000);
    enc.push_timestamp(tag::SENDING_TIME, UtcTimestamp::from(SystemTime::now()));
    enc.push_raw(m.body());
    enc.finish().to_vec()
}

/// A FIX 4.4 session configuration for the benchmarks.
pub(crate) fn config(role: Role, sender: &str, target: &str) -> SessionConfig {
    let mut c = SessionConfig::new(role, FixVersion::Fix44, sender, target);
    c.heart_bt_int = 30;
    // Benchmarks measure the engine, not clock skew between processes.
    c.check_latency = false;
    c
}

// ---------------------------------------------------------------------
// The peer process

/// Answers every NewOrderSingle with an ExecutionReport.
pub(crate) struct Echo {
    pub(crate) reply: MessageBuilder,
}

impl Application for Echo {
    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() == b"D" {
            // The client waits for this reply before sending again: the
            // backlog cannot grow, so put cannot fail with backpressure.
            let _ = session.put(&self.reply);
        }
    }
}

/// Counts messages received, and those received as resends
/// (PossDupFlag=Y: none expected); keeps the errors reported.
#[derive(Clone, Default)]
struct Count {
    received: Arc<AtomicU64>,
    resent: Arc<AtomicU64>,
    errors: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Application for Count {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        if message.get(tag::POSS_DUP_FLAG) == Some(b"Y") {
            self.resent.fetch_add(1, Ordering::Relaxed);
        }
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    fn on_error(&mut self, session: &SessionHandle, error: &dyn std::error::Error) {
        if let Ok(mut errors) = self.errors.lock() {
            errors.push(format!("{}: {error}", session.key()));
        }
    }
}

/// Runs the peer side in this process: a raw TCP echo, an engine with an
/// acceptor session that answers orders (plus `idle_sessions` idle
/// acceptor sessions for [`memory`]) and a bare mio echo. Prints
/// `PORTS <raw> <engine> <mio>` on standard output, then runs until
/// standard input closes.
pub fn run_peer(idle_sessions: u64) -> Result<(), BenchError> {
    let raw = TcpListener::bind("127.0.0.1:0")?;
    let raw_port = raw.local_addr()?.port();
    let mut er = MessageBuilder::default();
    execution_report(&mut er);
    let mut probe = MessageBuilder::default();
    new_order_single(&mut probe, 0);
    let nos_len = wire(&probe, INI, ACC).len();
    let er_wire = wire(&er, ACC, INI);
    let bare_mio = TcpListener::bind("127.0.0.1:0")?;
    let mio_port = bare_mio.local_addr()?.port();
    let mio_er = er_wire.clone();
    std::thread::spawn(move || {
        while let Ok((s, _)) = bare_mio.accept() {
            let er_wire = mio_er.clone();
            std::thread::spawn(move || {
                let _ = crate::pingpong::MioEnd::new(s).and_then(|end| end.echo(nos_len, &er_wire));
            });
        }
    });
    std::thread::spawn(move || {
        while let Ok((mut s, _)) = raw.accept() {
            if s.set_nodelay(true).is_err() {
                continue;
            }
            let er_wire = er_wire.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; nos_len];
                while s.read_exact(&mut buf).is_ok() {
                    if s.write_all(&er_wire).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let engine = FixEngine::new(EngineSettings::default().with_thread_name("fix-peer"))?;
    let addr = engine.listen(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let mut handles = vec![engine.create_session_with(
        config(Role::Acceptor, ACC, INI),
        SessionOptions::default(),
        Echo { reply: er },
    )?];
    for i in 0..idle_sessions {
        handles.push(engine.create_session_with(
            config(Role::Acceptor, ACC, &format!("IDLE{i}")),
            SessionOptions::default(),
            Count::default(),
        )?);
    }
    let mut stdout = io::stdout();
    writeln!(stdout, "PORTS {raw_port} {} {mio_port}", addr.port())?;
    stdout.flush()?;
    // Run until the parent closes our stdin.
    let mut sink = String::new();
    let _ = io::stdin().read_line(&mut sink);
    engine.stop_now();
    Ok(())
}

/// A running peer process and its ports.
#[derive(Debug)]
pub struct Peer {
    child: Child,
    pub(crate) raw: SocketAddr,
    pub(crate) engine: SocketAddr,
    pub(crate) bare_mio: SocketAddr,
}

impl Peer {
    /// Starts `command`, which must run [`run_peer`], and reads its ports.
    pub fn spawn(mut command: Command) -> Result<Peer, BenchError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Peer("no standard output".into()))?;
        BufReader::new(stdout).read_line(&mut line)?;
        let ports: Vec<u16> = line
            .strip_prefix("PORTS ")
            .map(|p| {
                p.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let [raw, engine, bare_mio] = ports[..] else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BenchError::Peer(format!(
                "expected PORTS <raw> <engine> <mio>, got {line:?}"
            )));
        };
        let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Ok(Peer {
            child,
            raw: local(raw),
            engine: local(engine),
            bare_mio: local(bare_mio),
        })
    }

    /// The raw TCP echo's address.
    pub fn raw_addr(&self) -> SocketAddr {
        self.raw
    }

    /// The peer engine's address.
    pub fn engine_addr(&self) -> SocketAddr {
        self.engine
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------
// Latency

/// Percentiles of a set of round trips, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
}

impl Percentiles {
    /// Percentiles of samples in nanoseconds.
    pub fn of_nanos(mut v: Vec<u32>) -> Percentiles {
        v.sort_unstable();
        let at = |p: f64| {
            let i = ((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1));
            v.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        Percentiles {
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
        }
    }
}

/// What a [`Pinger`] measured.
pub(crate) struct Pings {
    /// Round-trip times in nanoseconds.
    pub(crate) samples: Vec<u32>,
    /// Allocations of the whole process during the measured round trips
    /// (zero unless `fixrs_test_support::CountingAllocator` is installed);
    /// read by the TLS report only.
    #[cfg_attr(not(feature = "report"), allow(dead_code))]
    pub(crate) allocations: u64,
}

/// Sends an order once logged on, times the reply, sends the next, and
/// reports the samples after `wanted` measured round trips.
pub(crate) struct Pinger {
    order: MessageBuilder,
    sent_at: Instant,
    warmup: u64,
    samples: Vec<u32>,
    wanted: usize,
    logged_on: Option<SyncSender<Instant>>,
    allocations_at_start: u64,
    done: Option<SyncSender<Result<Pings, PutError>>>,
}

impl Pinger {
    /// Sends `order` `warmup + wanted` times; tells `logged_on` when the
    /// Logon completed and `done` what it measured.
    pub(crate) fn new(
        order: MessageBuilder,
        warmup: u64,
        wanted: u64,
        logged_on: Option<SyncSender<Instant>>,
        done: SyncSender<Result<Pings, PutError>>,
    ) -> Pinger {
        Pinger {
            order,
            sent_at: Instant::now(),
            warmup,
            samples: Vec::with_capacity(wanted as usize),
            wanted: wanted.max(1) as usize,
            logged_on,
            allocations_at_start: 0,
            done: Some(done),
        }
    }

    fn send(&mut self, session: &SessionHandle) {
        self.sent_at = Instant::now();
        if let Err(e) = session.put(&self.order) {
            if let Some(done) = self.done.take() {
                let _ = done.send(Err(e));
            }
        }
    }
}

impl Application for Pinger {
    fn on_logon(&mut self, session: &SessionHandle) {
        if let Some(tx) = self.logged_on.take() {
            let _ = tx.send(Instant::now());
        }
        self.allocations_at_start = fixrs_test_support::allocations();
        self.send(session);
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() != b"8" || self.done.is_none() {
            return;
        }
        let rtt = self.sent_at.elapsed().as_nanos().min(u32::MAX as u128) as u32;
        if self.warmup > 0 {
            self.warmup -= 1;
            self.allocations_at_start = fixrs_test_support::allocations();
        } else {
            self.samples.push(rtt);
        }
        if self.samples.len() < self.wanted {
            self.send(session);
        } else if let Some(done) = self.done.take() {
            let allocations = fixrs_test_support::allocations() - self.allocations_at_start;
            let _ = done.send(Ok(Pings {
                samples: std::mem::take(&mut self.samples),
                allocations,
            }));
        }
    }
}

// ---------------------------------------------------------------------
// Throughput

/// Where the sending session keeps its outgoing messages.
#[derive(Debug, Clone)]
pub enum StoreKind {
    /// A memory store keeping at most this many messages.
    Memory {
        /// Messages kept for resends.
        max_messages: usize,
    },
    /// A file store in this directory.
    File(PathBuf),
}

/// The result of [`throughput`].
#[derive(Debug, Clone)]
pub struct ThroughputReport {
    /// Which store.
    pub label: String,
    /// Messages sent.
    pub messages: u64,
    /// Time until the last one was received.
    pub elapsed: Duration,
    /// Time the puts took.
    pub put_time: Duration,
    /// Messages per second.
    pub rate: f64,
    /// CPU per message of the whole process, in microseconds.
    pub cpu_us: f64,
    /// CPU per message of each engine thread, in microseconds.
    pub per_thread: Vec<(String, f64)>,
    /// Messages received as resends (PossDupFlag=Y): none expected.
    pub resent: u64,
    /// Errors the sessions reported.
    pub errors: Vec<String>,
}

impl fmt::Display for ThroughputReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threads: String = self
            .per_thread
            .iter()
            .map(|(name, us)| format!(" {name} {us:.2} us"))
            .collect();
        writeln!(
            f,
            "  CPU per message by thread:{threads}; {} received as resends",
            self.resent
        )?;
        for e in &self.errors {
            writeln!(f, "  session error: {e}")?;
        }
        write!(
            f,
            "throughput, {}: {} NewOrderSingle in {:.3} s = {:.0} msg/s (puts took {:.3} s; CPU {:.2} us per message, sender, receiver and application together)",
            self.label,
            self.messages,
            self.elapsed.as_secs_f64(),
            self.rate,
            self.put_time.as_secs_f64(),
            self.cpu_us
        )
    }
}

/// Sends `messages` NewOrderSingles one way between two engines in this
/// process and times them until the last one was received.
pub fn throughput(
    store: StoreKind,
    messages: u64,
    deadline: Instant,
) -> Result<ThroughputReport, BenchError> {
    let n = messages.max(1);
    let acceptor = FixEngine::new(EngineSettings::default().with_thread_name("fix-receiver"))?;
    let addr = acceptor.listen(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let count = Count::default();
    let received = count.received.clone();
    let acc = acceptor.create_session_with(
        config(Role::Acceptor, "TP_ACC", "TP_INI"),
        SessionOptions::default(),
        count.clone(),
    )?;
    let initiator = FixEngine::new(EngineSettings::default().with_thread_name("fix-sender"))?;
    let utc = UtcTimestamp::from(SystemTime::now());
    let (label, store): (&str, Box<dyn fixrs_session::Store + Send>) = match &store {
        StoreKind::Memory { max_messages } => (
            "memory store",
            Box::new(fixrs_session::MemoryStore::new(utc).with_max_messages(*max_messages)),
        ),
        StoreKind::File(dir) => {
            let key = config(Role::Initiator, "TP_INI", "TP_ACC").key();
            let s = fixrs_store::FileStore::open(
                dir,
                &key,
                fixrs_store::FileStoreOptions::default(),
                utc,
            )
            .map_err(EngineError::from)?;
            ("file store", Box::new(s))
        }
    };
    let ini = initiator.create_session_with(
        config(Role::Initiator, "TP_INI", "TP_ACC"),
        SessionOptions::default().with_boxed_store(store),
        count.clone(),
    )?;
    ini.connect(30, &addr.to_string())?;
    if !ini.wait_for_state(SessionState::Established, Duration::from_secs(10)) {
        return Err(BenchError::Timeout("waiting for the Logon".into()));
    }
    let mut m = MessageBuilder::default();
    let cpu_start = cpu_seconds();
    let threads_start = thread_cpu();
    let start = Instant::now();
    for i in 0..n {
        new_order_single(&mut m, i);
        loop {
            match ini.put(&m) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => {
                    if Instant::now() > deadline {
                        return Err(BenchError::Timeout("while sending".into()));
                    }
                    std::thread::yield_now()
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let put_time = start.elapsed();
    while received.load(Ordering::Relaxed) < n {
        if Instant::now() > deadline {
            return Err(BenchError::Timeout(format!(
                "with {} of {n} messages received",
                received.load(Ordering::Relaxed)
            )));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    let per_thread = per_thread_since(&threads_start, n);
    ini.disconnect("done")?;
    ini.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    ini.finalize();
    acc.finalize();
    initiator.stop();
    acceptor.stop();
    let errors = count.errors.lock().map(|e| e.clone()).unwrap_or_default();
    Ok(ThroughputReport {
        resent: count.resent.load(Ordering::Relaxed),
        errors,
        label: label.into(),
        messages: n,
        elapsed,
        put_time,
        rate: n as f64 / elapsed.as_secs_f64(),
        cpu_us: cpu * 1e6 / n as f64,
        per_thread,
    })
}

/// CPU per message of each engine thread (named `fix-...`) since
/// `start` (a [`thread_cpu`] reading), in microseconds.
pub(crate) fn per_thread_since(start: &[(String, f64)], messages: u64) -> Vec<(String, f64)> {
    thread_cpu()
        .into_iter()
        .filter(|(name, _)| name.starts_with("fix-"))
        .map(|(name, secs)| {
            let before = start
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0.0, |(_, s)| *s);
            (name, (secs - before) * 1e6 / messages as f64)
        })
        .collect()
}

// ---------------------------------------------------------------------
// Memory per idle session

/// The result of [`memory`].
#[derive(Debug, Clone, Copy)]
pub struct MemoryReport {
    /// Sessions logged on.
    pub sessions: u64,
    /// Resident memory before, in bytes.
    pub before: usize,
    /// Resident memory after, in bytes.
    pub after: usize,
}

impl fmt::Display for MemoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory: {} idle logged-on initiator sessions, RSS {} KiB -> {} KiB = {:.1} KiB per session",
            self.sessions,
            self.before / 1024,
            self.after / 1024,
            self.after.saturating_sub(self.before) as f64 / 1024.0 / self.sessions.max(1) as f64
        )
    }
}

/// Logs `sessions` idle initiator sessions on to `peer` (which must have
/// been started with at least as many idle sessions) and measures the
/// resident memory they take. Run it in a fresh process, so that memory
/// freed by other benchmarks does not hide what the sessions take.
pub fn memory(peer: &Peer, sessions: u64, deadline: Instant) -> Result<MemoryReport, BenchError> {
    let before = rss();
    let engine = FixEngine::new(EngineSettings::default())?;
    let mut handles = Vec::new();
    for i in 0..sessions {
        let s = engine.create_session_with(
            config(Role::Initiator, &format!("IDLE{i}"), ACC),
            SessionOptions::default(),
            Count::default(),
        )?;
        s.connect(30, &peer.engine.to_string())?;
        handles.push(s);
    }
    while handles
        .iter()
        .any(|s| s.state() != SessionState::Established)
    {
        if Instant::now() > deadline {
            return Err(BenchError::Timeout(
                "waiting for the sessions to log on".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = rss();
    engine.stop_now();
    Ok(MemoryReport {
        sessions,
        before,
        after,
    })
}
