//! Engine benchmarks over loopback TCP, printing numbers:
//!
//! - latency: NewOrderSingle -> ExecutionReport round trips between an
//!   initiator session here and an acceptor session in a second process
//!   (this binary re-spawned as the peer), next to a raw TCP ping-pong of
//!   the same message sizes measured in the same run, with the ratio;
//! - throughput: one session sending NewOrderSingles one way as fast as
//!   the engine takes them, with a memory store and a file store;
//! - memory: resident memory per idle logged-on session.
//!
//! Run `cargo bench -p fix-transport-mio --bench roundtrip`; pin both
//! processes to one CPU with `taskset -c 0 cargo bench ...` (the peer
//! inherits the affinity). Counts come from the environment so CI can run
//! it small: FIX_BENCH_ROUNDTRIPS (100000), FIX_BENCH_WARMUP (10000),
//! FIX_BENCH_MESSAGES (500000), FIX_BENCH_SESSIONS (1000), and
//! FIX_BENCH_ONLY=latency|throughput|memory to run one part.

use fix_proto::{tag, Encoder, FieldWriter, FixVersion, Message, MessageBuilder, UtcTimestamp};
use fix_session::{Role, SessionConfig};
use fix_transport_mio::{
    Application, EngineSettings, FixEngine, PutError, SessionHandle, SessionOptions, SessionState,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn nos(m: &mut MessageBuilder, id: u64) {
    m.reset(b"D");
    m.push_uint(tag::CL_ORD_ID, 1_000_000_000 + id)
        .push_str(1, "ACCOUNT-0001")
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_timestamp_field(60)
        .push_str(38, "1000000")
        .push_char(40, b'2')
        .push_str(44, "1.08345")
        .push_char(59, b'0');
}

fn exec_report(m: &mut MessageBuilder) {
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

/// A fixed TransactTime so that every message has the same size.
trait FixedTime {
    fn push_timestamp_field(&mut self, tag: u32) -> &mut Self;
}

impl FixedTime for MessageBuilder {
    fn push_timestamp_field(&mut self, tag: u32) -> &mut Self {
        self.push_str(tag, "20240102-03:04:05.678")
    }
}

/// The wire form of an application message with a session header like the
/// engine's (for the raw TCP baseline of the same size).
fn wire(m: &MessageBuilder, sender: &str, target: &str) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", m.msg_type());
    enc.push_str(tag::SENDER_COMP_ID, sender)
        .push_str(tag::TARGET_COMP_ID, target)
        .push_uint(tag::MSG_SEQ_NUM, 1_000_000);
    enc.push_timestamp(tag::SENDING_TIME, UtcTimestamp::from(SystemTime::now()));
    enc.push_raw(m.body());
    enc.finish().to_vec()
}

fn config(role: Role, sender: &str, target: &str) -> SessionConfig {
    let mut c = SessionConfig::new(role, FixVersion::Fix44, sender, target);
    c.heart_bt_int = 30;
    // Benchmarks measure the engine, not clock skew between processes.
    c.check_latency = false;
    c
}

// ---------------------------------------------------------------------
// The peer process

/// Answers every NewOrderSingle with an ExecutionReport.
struct Echo {
    reply: MessageBuilder,
}

impl Application for Echo {
    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() == b"D" {
            // The client waits for this reply before sending again: the
            // backlog cannot grow.
            let _ = session.put(&self.reply);
        }
    }
}

/// Counts messages received.
struct Count(Arc<AtomicU64>);

/// Messages received as resends (PossDupFlag=Y): none expected.
static RESENT: AtomicU64 = AtomicU64::new(0);

impl Application for Count {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        if message.get(tag::POSS_DUP_FLAG) == Some(b"Y") {
            RESENT.fetch_add(1, Ordering::Relaxed);
        }
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn on_error(&mut self, session: &SessionHandle, error: &dyn std::error::Error) {
        eprintln!("{}: {error}", session.key());
    }
}

fn run_peer() {
    let sessions = env_count("FIX_BENCH_PEER_SESSIONS", 0);
    let raw = TcpListener::bind("127.0.0.1:0").expect("bind");
    let raw_port = raw.local_addr().expect("addr").port();
    let mut er = MessageBuilder::default();
    exec_report(&mut er);
    let mut probe = MessageBuilder::default();
    nos(&mut probe, 0);
    let nos_len = wire(&probe, "BENCH_INI", "BENCH_ACC").len();
    let er_wire = wire(&er, "BENCH_ACC", "BENCH_INI");
    std::thread::spawn(move || {
        while let Ok((mut s, _)) = raw.accept() {
            s.set_nodelay(true).expect("nodelay");
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
    let engine = FixEngine::new(EngineSettings {
        thread_name: "fix-peer".into(),
        ..EngineSettings::default()
    })
    .expect("engine");
    let addr = engine
        .listen("127.0.0.1:0".parse().expect("addr"))
        .expect("listen");
    let mut handles = vec![engine
        .create_session_with(
            config(Role::Acceptor, "BENCH_ACC", "BENCH_INI"),
            SessionOptions::default(),
            Echo { reply: er },
        )
        .expect("session")];
    for i in 0..sessions {
        handles.push(
            engine
                .create_session_with(
                    config(Role::Acceptor, "BENCH_ACC", &format!("IDLE{i}")),
                    SessionOptions::default(),
                    Count(Arc::new(AtomicU64::new(0))),
                )
                .expect("session"),
        );
    }
    println!("PORTS {raw_port} {}", addr.port());
    std::io::stdout().flush().expect("stdout");
    // Run until the parent closes our stdin.
    let mut sink = String::new();
    let _ = std::io::stdin().read_line(&mut sink);
    engine.stop_now();
}

/// The peer process and its ports.
struct Peer {
    child: Child,
    raw: SocketAddr,
    engine: SocketAddr,
}

fn spawn_peer(sessions: u64) -> Peer {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env("FIX_BENCH_ROLE", "peer")
        .env("FIX_BENCH_PEER_SESSIONS", sessions.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn peer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("peer ports");
    let mut parts = line.split_whitespace().skip(1);
    let mut port = || -> SocketAddr {
        let p: u16 = parts.next().and_then(|p| p.parse().ok()).expect("port");
        SocketAddr::from(([127, 0, 0, 1], p))
    };
    let raw = port();
    let engine = port();
    Peer { child, raw, engine }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------
// Latency

struct Pinger {
    order: MessageBuilder,
    sent_at: Instant,
    warmup: u64,
    samples: Vec<u32>,
    wanted: usize,
    done: Option<SyncSender<Vec<u32>>>,
}

impl Pinger {
    fn send(&mut self, session: &SessionHandle) {
        self.sent_at = Instant::now();
        if let Err(e) = session.put(&self.order) {
            panic!("put failed: {e}");
        }
    }
}

impl Application for Pinger {
    fn on_logon(&mut self, session: &SessionHandle) {
        self.send(session);
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() != b"8" {
            return;
        }
        let rtt = self.sent_at.elapsed().as_nanos().min(u32::MAX as u128) as u32;
        if self.warmup > 0 {
            self.warmup -= 1;
        } else {
            self.samples.push(rtt);
        }
        if self.samples.len() < self.wanted {
            self.send(session);
        } else if let Some(done) = self.done.take() {
            let _ = done.send(std::mem::take(&mut self.samples));
        }
    }
}

fn percentiles(mut v: Vec<u32>) -> (f64, f64, f64) {
    v.sort_unstable();
    let at = |p: f64| {
        let i = ((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1));
        v.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    (at(0.50), at(0.99), at(0.999))
}

fn latency() {
    let n = env_count("FIX_BENCH_ROUNDTRIPS", 100_000);
    let warmup = env_count("FIX_BENCH_WARMUP", 10_000);
    let peer = spawn_peer(0);

    // Raw TCP ping-pong of the same sizes.
    let mut order = MessageBuilder::default();
    nos(&mut order, 0);
    let nos_wire = wire(&order, "BENCH_INI", "BENCH_ACC");
    let mut er = MessageBuilder::default();
    exec_report(&mut er);
    let er_len = wire(&er, "BENCH_ACC", "BENCH_INI").len();
    let mut s = TcpStream::connect(peer.raw).expect("raw connect");
    s.set_nodelay(true).expect("nodelay");
    let mut buf = vec![0u8; er_len];
    let mut raw = Vec::with_capacity(n as usize);
    let raw_cpu = cpu_seconds();
    for i in 0..warmup + n {
        let t = Instant::now();
        s.write_all(&nos_wire).expect("write");
        s.read_exact(&mut buf).expect("read");
        if i >= warmup {
            raw.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
        }
    }
    drop(s);
    let raw_cpu = cpu_seconds() - raw_cpu;

    // The engine: the ping-pong runs in the engine thread's callbacks.
    let engine = FixEngine::new(EngineSettings {
        thread_name: "fix-client".into(),
        ..EngineSettings::default()
    })
    .expect("engine");
    let (tx, rx) = sync_channel(1);
    let session = engine
        .create_session_with(
            config(Role::Initiator, "BENCH_INI", "BENCH_ACC"),
            SessionOptions::default(),
            Pinger {
                order,
                sent_at: Instant::now(),
                warmup,
                samples: Vec::with_capacity(n as usize),
                wanted: n as usize,
                done: Some(tx),
            },
        )
        .expect("session");
    session
        .connect(30, &peer.engine.to_string())
        .expect("connect");
    let fix_cpu = cpu_seconds();
    let fix = rx
        .recv_timeout(Duration::from_secs(600))
        .expect("round trips finished");
    let fix_cpu = cpu_seconds() - fix_cpu;
    session.disconnect("done").expect("logout");
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    engine.stop();
    drop(peer);

    let (r50, r99, r999) = percentiles(raw);
    let (f50, f99, f999) = percentiles(fix);
    println!("round trip NewOrderSingle ({} B) -> ExecutionReport ({} B), {n} samples after {warmup} warm-up, CPUs {}",
        nos_wire.len(), er_len, cpus());
    println!("  raw TCP   p50 {r50:8.2} us  p99 {r99:8.2} us  p99.9 {r999:8.2} us");
    println!("  engine    p50 {f50:8.2} us  p99 {f99:8.2} us  p99.9 {f999:8.2} us");
    println!(
        "  ratio     p50 {:8.2}x     p99 {:8.2}x     p99.9 {:8.2}x",
        f50 / r50.max(1e-9),
        f99 / r99.max(1e-9),
        f999 / r999.max(1e-9)
    );
    println!(
        "  client CPU per round trip: raw TCP {:.2} us, engine {:.2} us",
        raw_cpu * 1e6 / (n + warmup) as f64,
        fix_cpu * 1e6 / (n + warmup) as f64
    );
}

fn cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Cpus_allowed_list"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------
// Throughput

fn throughput_with(label: &str, store_dir: Option<&std::path::Path>) -> f64 {
    let n = env_count("FIX_BENCH_MESSAGES", 500_000);
    let acceptor = FixEngine::new(EngineSettings {
        thread_name: "fix-receiver".into(),
        ..EngineSettings::default()
    })
    .expect("engine");
    let addr = acceptor
        .listen("127.0.0.1:0".parse().expect("addr"))
        .expect("listen");
    let received = Arc::new(AtomicU64::new(0));
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "TP_ACC", "TP_INI"),
            SessionOptions::default(),
            Count(received.clone()),
        )
        .expect("acceptor");
    let initiator = FixEngine::new(EngineSettings {
        thread_name: "fix-sender".into(),
        ..EngineSettings::default()
    })
    .expect("engine");
    let options = SessionOptions {
        store: Some(match store_dir {
            Some(dir) => open_file_store(dir),
            None => Box::new(
                fix_session::MemoryStore::new(UtcTimestamp::from(SystemTime::now()))
                    .with_max_messages(env_count("FIX_BENCH_MEMORY_STORE_MAX", 1 << 20) as usize),
            ),
        }),
        ..SessionOptions::default()
    };
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "TP_INI", "TP_ACC"),
            options,
            Count(Arc::new(AtomicU64::new(0))),
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    assert!(ini.wait_for_state(SessionState::Established, Duration::from_secs(10)));
    let mut m = MessageBuilder::default();
    let cpu_start = cpu_seconds();
    let threads_start = thread_cpu();
    let start = Instant::now();
    for i in 0..n {
        nos(&mut m, i);
        loop {
            match ini.put(&m) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => std::thread::yield_now(),
                Err(e) => panic!("put: {e}"),
            }
        }
    }
    let put_done = start.elapsed();
    while received.load(Ordering::Relaxed) < n {
        if start.elapsed() > Duration::from_secs(300) {
            panic!("only {} of {n} received", received.load(Ordering::Relaxed));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let all = start.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    let rate = n as f64 / all.as_secs_f64();
    let mut per_thread = String::new();
    for (name, secs) in thread_cpu() {
        let before = threads_start
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0.0, |(_, s)| *s);
        if name.starts_with("fix-") || name.starts_with("roundtrip") {
            per_thread.push_str(&format!(
                " {name} {:.2} us",
                (secs - before) * 1e6 / n as f64
            ));
        }
    }
    println!(
        "  CPU per message by thread:{per_thread}; {} received as resends",
        RESENT.swap(0, Ordering::Relaxed)
    );
    println!(
        "throughput, {label}: {n} NewOrderSingle in {:.3} s = {rate:.0} msg/s (puts took {:.3} s; CPU {:.2} us per message, sender, receiver and application together)",
        all.as_secs_f64(),
        put_done.as_secs_f64(),
        cpu * 1e6 / n as f64
    );
    ini.disconnect("done").expect("logout");
    ini.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    initiator.stop();
    acceptor.stop();
    rate
}

fn open_file_store(dir: &std::path::Path) -> Box<dyn fix_session::Store + Send> {
    let key = config(Role::Initiator, "TP_INI", "TP_ACC").key();
    Box::new(
        fix_store::FileStore::open(
            dir,
            &key,
            fix_store::FileStoreOptions::default(),
            UtcTimestamp::from(SystemTime::now()),
        )
        .expect("file store"),
    )
}

fn throughput() {
    let which = std::env::var("FIX_BENCH_STORE").unwrap_or_default();
    let repeat = env_count("FIX_BENCH_REPEAT", 3).max(1);
    if which.is_empty() || which == "memory" {
        let best = (0..repeat)
            .map(|_| throughput_with("memory store", None))
            .fold(0.0, f64::max);
        println!("throughput, memory store: best of {repeat}: {best:.0} msg/s");
    }
    if which.is_empty() || which == "file" {
        let best = (0..repeat)
            .map(|_| {
                let dir = tempfile::tempdir().expect("temp dir");
                throughput_with("file store", Some(dir.path()))
            })
            .fold(0.0, f64::max);
        println!("throughput, file store: best of {repeat}: {best:.0} msg/s");
    }
}

/// CPU time used so far by each thread of this process: (name, seconds).
fn thread_cpu() -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let Some((head, rest)) = stat.rsplit_once(")") else {
            continue;
        };
        let name = head
            .split_once('(')
            .map(|(_, n)| n)
            .unwrap_or("")
            .to_string();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        out.push((name, (ticks(11) + ticks(12)) / 100.0));
    }
    out
}

/// CPU time (user + system) this process used so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    (ticks(11) + ticks(12)) / 100.0
}

// ---------------------------------------------------------------------
// Memory per idle session

fn memory() {
    let n = env_count("FIX_BENCH_SESSIONS", 1000);
    let peer = spawn_peer(n);
    let before = rss();
    let engine = FixEngine::new(EngineSettings::default()).expect("engine");
    let mut sessions = Vec::new();
    for i in 0..n {
        let s = engine
            .create_session_with(
                config(Role::Initiator, &format!("IDLE{i}"), "BENCH_ACC"),
                SessionOptions::default(),
                Count(Arc::new(AtomicU64::new(0))),
            )
            .expect("session");
        s.connect(30, &peer.engine.to_string()).expect("connect");
        sessions.push(s);
    }
    let end = Instant::now() + Duration::from_secs(120);
    while sessions
        .iter()
        .any(|s| s.state() != SessionState::Established)
    {
        assert!(Instant::now() < end, "sessions did not all log on");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = rss();
    println!(
        "memory: {n} idle logged-on initiator sessions, RSS {} KiB -> {} KiB = {:.1} KiB per session",
        before / 1024,
        after / 1024,
        (after.saturating_sub(before)) as f64 / 1024.0 / n.max(1) as f64
    );
    engine.stop_now();
    drop(peer);
}

fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

fn main() {
    if std::env::var("FIX_BENCH_ROLE").as_deref() == Ok("peer") {
        run_peer();
        return;
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
        if std::env::var("FIX_BENCH_ROLE").as_deref() == Ok("memory") {
            memory();
        } else {
            let status = Command::new(std::env::current_exe().expect("exe"))
                .env("FIX_BENCH_ROLE", "memory")
                .env("FIX_BENCH_ONLY", "memory")
                .status()
                .expect("memory benchmark");
            assert!(status.success(), "memory benchmark failed");
        }
    }
}
