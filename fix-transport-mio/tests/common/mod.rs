//! Helpers shared by the engine's integration tests: engines on 127.0.0.1,
//! session configurations with short timers, a raw FIX peer over a plain
//! socket, and waiting with a bound.
#![allow(dead_code)]

use fixrs_proto::{tag, Encoder, FieldWriter, FixVersion, UtcTimestamp};
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{EngineSettings, FixEngine, SessionHandle, SessionState};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A count from the environment (to run big or small), or `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An engine with default settings and a short logon timeout for
/// unidentified connections.
pub fn engine() -> FixEngine {
    init_log();
    FixEngine::new(EngineSettings::default().with_logon_timeout(Duration::from_secs(1)))
        .expect("engine starts")
}

/// The loopback address with a free port chosen by the system.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

/// A FIX 4.4 session configuration with timers short enough for tests.
pub fn config(role: Role, sender: &str, target: &str) -> SessionConfig {
    let mut c = SessionConfig::new(role, FixVersion::Fix44, sender, target);
    c.heart_bt_int = 30;
    c.logon_timeout = Duration::from_secs(2);
    c.logout_timeout = Duration::from_secs(1);
    c.reconnect_interval = Duration::from_millis(200);
    c
}

/// Waits until `cond` holds, at most `timeout`; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return cond();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Asserts that the session reaches `state` within `timeout`.
pub fn expect_state(s: &SessionHandle, state: SessionState, timeout: Duration) {
    assert!(
        s.wait_for_state(state, timeout),
        "session {} is {:?}, expected {:?}",
        s.key(),
        s.state(),
        state
    );
}

/// Encodes a session-level message from a raw peer.
pub fn raw_message(
    msg_type: &[u8],
    sender: &str,
    target: &str,
    seq: u64,
    body: &[(u32, &str)],
) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", msg_type);
    enc.push_str(tag::SENDER_COMP_ID, sender)
        .push_str(tag::TARGET_COMP_ID, target)
        .push_uint(tag::MSG_SEQ_NUM, seq);
    enc.push_timestamp(tag::SENDING_TIME, UtcTimestamp::from(SystemTime::now()));
    for (t, v) in body {
        enc.push_str(*t, v);
    }
    enc.finish().to_vec()
}

/// A NewOrderSingle from a raw peer PEER to ACC, with MsgSeqNum and
/// ClOrdID `seq`.
pub fn raw_order(seq: u64) -> Vec<u8> {
    let id = seq.to_string();
    raw_message(
        b"D",
        "PEER",
        "ACC",
        seq,
        &[
            (11, &id),
            (55, "EUR/USD"),
            (54, "1"),
            (38, "100"),
            (40, "1"),
        ],
    )
}

/// A Logon from a raw peer.
pub fn raw_logon(sender: &str, target: &str, seq: u64) -> Vec<u8> {
    raw_logon_with(sender, target, seq, 30)
}

/// A Logon from a raw peer with HeartBtInt `heart_bt_int`.
pub fn raw_logon_with(sender: &str, target: &str, seq: u64, heart_bt_int: u32) -> Vec<u8> {
    raw_message(
        b"A",
        sender,
        target,
        seq,
        &[
            (tag::ENCRYPT_METHOD, "0"),
            (tag::HEART_BT_INT, &heart_bt_int.to_string()),
        ],
    )
}

/// A raw TCP peer speaking bytes at the engine.
pub struct RawPeer {
    pub stream: TcpStream,
}

impl RawPeer {
    pub fn connect(addr: SocketAddr) -> RawPeer {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawPeer { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads until the engine closes the connection or `timeout` passes;
    /// returns the bytes read and whether the connection was closed.
    pub fn read_until_closed(&mut self, timeout: Duration) -> (Vec<u8>, bool) {
        let end = Instant::now() + timeout;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (got, false);
            }
            self.stream
                .set_read_timeout(Some(left.min(Duration::from_millis(100))))
                .expect("timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => return (got, true),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                // Reset by the engine: closed.
                Err(_) => return (got, true),
            }
        }
    }

    /// Reads until `pattern` appears or `timeout` passes.
    pub fn read_until(&mut self, pattern: &[u8], timeout: Duration) -> Vec<u8> {
        let end = Instant::now() + timeout;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(pattern.len()).any(|w| w == pattern) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.stream
                .set_read_timeout(Some(left.min(Duration::from_millis(100))))
                .expect("timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
        got
    }
}

/// What a raw peer's reader thread counts: Heartbeats, TestRequests, and
/// whether the engine closed the link.
#[derive(Default)]
pub struct Received {
    pub heartbeats: AtomicUsize,
    pub test_requests: AtomicUsize,
    pub closed: AtomicBool,
}

/// Counts what `peer` receives on another thread (see
/// [`count_received`]), until the link closes.
pub fn count_in_background(peer: &RawPeer) -> (Arc<Received>, std::thread::JoinHandle<()>) {
    let received = Arc::new(Received::default());
    let stream = peer.stream.try_clone().expect("clone");
    let counts = received.clone();
    let reader = std::thread::spawn(move || count_received(stream, counts));
    (received, reader)
}

/// Reads from `stream` until it closes, counting into `received`.
pub fn count_received(mut stream: TcpStream, received: Arc<Received>) {
    let mut buf = vec![0u8; 16 << 10];
    // A message type split across two reads is found in the next.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&buf[..n]);
                let count = |pattern: &[u8]| {
                    tail.windows(pattern.len())
                        .filter(|w| *w == pattern)
                        .count()
                };
                received
                    .heartbeats
                    .fetch_add(count(b"\x0135=0\x01"), Ordering::SeqCst);
                received
                    .test_requests
                    .fetch_add(count(b"\x0135=1\x01"), Ordering::SeqCst);
                // Less than a pattern: nothing is counted twice.
                let keep = tail.len().min(6);
                tail.drain(..tail.len() - keep);
            }
        }
    }
    received.closed.store(true, Ordering::SeqCst);
}

/// This process's resident set size in bytes (Linux).
pub fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Prints the engine's log records to stderr when FIX_TEST_LOG is set.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        eprintln!(
            "{:?} {} {}: {}",
            std::thread::current().name(),
            record.level(),
            record.target(),
            record.args()
        );
    }
    fn flush(&self) {}
}

static STDERR_LOG: StderrLog = StderrLog;

/// Turns on logging to stderr if FIX_TEST_LOG is set.
pub fn init_log() {
    if std::env::var_os("FIX_TEST_LOG").is_some() && log::set_logger(&STDERR_LOG).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}

/// A raw counterparty whose socket has small buffers, so that a peer that
/// stops reading fills the engine's outgoing backlog quickly.
pub fn small_window_peer(addr: SocketAddr) -> RawPeer {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    socket.set_send_buffer_size(4096).expect("send buffer");
    socket.connect(&addr.into()).expect("connect");
    let stream: TcpStream = socket.into();
    stream.set_nodelay(true).expect("nodelay");
    RawPeer { stream }
}

impl RawPeer {
    /// Reads whatever arrives within `wait` and drops it.
    pub fn discard_input(&mut self, wait: Duration) {
        let end = Instant::now() + wait;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            self.stream
                .set_read_timeout(Some(left))
                .expect("read timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Sends messages made by `next` (given a MsgSeqNum from `first` on)
    /// without reading anything, until the engine stops taking them (a
    /// write blocks for `stall`) or `limit` were sent. Returns the next
    /// MsgSeqNum.
    pub fn flood_without_reading(
        &mut self,
        first: u64,
        limit: u64,
        stall: Duration,
        mut next: impl FnMut(u64) -> Vec<u8>,
    ) -> u64 {
        self.stream
            .set_write_timeout(Some(stall))
            .expect("write timeout");
        let mut seq = first;
        while seq < first + limit {
            if self.stream.write_all(&next(seq)).is_err() {
                // Part of a message may have gone: the peer is now silent
                // for good, as a stuck counterparty is.
                return seq + 1;
            }
            seq += 1;
        }
        seq
    }
}

/// The path of an example of this package, built next to the tests
/// (`cargo test` builds examples): target/<profile>/examples/<name>.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target directory");
    dir.join("examples").join(name)
}

/// A seed for random delays, from the clock (printed by the tests that
/// use it, so that a run can be told apart).
pub fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1
}

/// The next number of a small deterministic generator (xorshift).
pub fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The counterparty logs on (ResetSeqNumFlag=Y) again and again until the
/// acceptor takes the Logon rather than refusing it as a duplicate of a
/// link it still holds; returns when, or `None` after `timeout`.
pub fn logon_until_accepted(addr: SocketAddr, peer_id: &str, timeout: Duration) -> Option<Instant> {
    let end = Instant::now() + timeout;
    loop {
        let mut real = RawPeer::connect(addr);
        let logon = raw_message(
            b"A",
            peer_id,
            "ACC",
            1,
            &[
                (tag::ENCRYPT_METHOD, "0"),
                (tag::HEART_BT_INT, "30"),
                (tag::RESET_SEQ_NUM_FLAG, "Y"),
            ],
        );
        if real.send(&logon).is_ok() {
            let reply = real.read_until(b"35=A\x01", Duration::from_secs(2));
            if reply.windows(5).any(|w| w == b"35=A\x01") {
                return Some(Instant::now());
            }
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
