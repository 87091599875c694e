//! A bounded chaos test: 200 initiator sessions on one engine and their
//! 200 acceptors on another, with file stores, exchange messages both ways
//! for 60 seconds through a TCP proxy that cuts, stalls and delays links at
//! random. Afterwards every message put (and accepted by `put`) must have
//! been delivered to the other side's application exactly once and in
//! order, per session.
//!
//! The faults are drawn from a seeded generator; the seed is printed, and
//! `CHAOS_SEED` replays a run. `CHAOS_SECS`, `CHAOS_SESSIONS` and
//! `CHAOS_INTERVAL_MS` (how often each session puts a message each way)
//! change the size; `CHAOS_SETTLE_SECS` bounds the wait for the last
//! deliveries once the faults stop (45 s).

use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, FixVersion, Message, MessageBuilder};
use fixrs_session::{Role, SessionConfig};
use fixrs_store::FileStoreOptions;
use fixrs_transport_mio::{
    Application, EngineSettings, FixEngine, PutError, SessionHandle, SessionOptions, SessionState,
};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ------------------------------------------------------------------ rng --

/// xorshift64*: small, seeded, good enough to pick faults.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

// ------------------------------------------------------- applications --

/// What one side of one session received: the next number expected and
/// anything out of order.
#[derive(Default)]
struct Received {
    next: AtomicU64,
    poss_dups: AtomicU64,
    problems: Mutex<Vec<String>>,
}

impl Received {
    fn new() -> Arc<Received> {
        let r = Received::default();
        r.next.store(1, Ordering::Relaxed);
        Arc::new(r)
    }

    fn delivered(&self) -> u64 {
        self.next.load(Ordering::Acquire) - 1
    }
}

/// Counts the numbered messages of the other side (the number is in
/// ClOrdID for orders, ExecID for reports) and logons.
struct Counter {
    received: Arc<Received>,
    logons: Arc<AtomicU64>,
}

impl Application for Counter {
    fn on_logon(&mut self, _: &SessionHandle) {
        self.logons.fetch_add(1, Ordering::Relaxed);
    }

    fn on_message(&mut self, session: &SessionHandle, m: &Message<'_>) {
        let number_tag = if m.msg_type() == b"D" {
            tag::CL_ORD_ID
        } else {
            tag::EXEC_ID
        };
        let n: Option<u64> = m
            .get(number_tag)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse().ok());
        if m.get(fixrs_proto::tag::POSS_DUP_FLAG) == Some(b"Y") {
            self.received.poss_dups.fetch_add(1, Ordering::Relaxed);
        }
        let expected = self.received.next.load(Ordering::Acquire);
        match n {
            Some(n) if n == expected => self.received.next.store(n + 1, Ordering::Release),
            other => {
                if let Ok(mut p) = self.received.problems.lock() {
                    if p.len() < 10 {
                        p.push(format!(
                            "{}: received {other:?}, expected {expected}",
                            session.key()
                        ));
                    }
                }
            }
        }
    }
}

/// One session pair as the test drives it.
struct Pair {
    initiator: SessionHandle,
    acceptor: SessionHandle,
    /// Messages accepted by `put`, initiator to acceptor and back.
    put_orders: u64,
    put_reports: u64,
    /// What each side received.
    orders: Arc<Received>,
    reports: Arc<Received>,
}

fn order(n: u64, m: &mut MessageBuilder) {
    m.reset(b"D");
    m.push_str(tag::CL_ORD_ID, &n.to_string())
        .push_char(tag::HANDL_INST, b'1')
        .push_str(tag::SYMBOL, "EUR/USD")
        .push_char(tag::SIDE, b'1')
        .push_str(tag::TRANSACT_TIME, "20240115-10:30:00.000")
        .push_uint(tag::ORDER_QTY, 100)
        .push_char(tag::ORD_TYPE, b'1');
}

fn report(n: u64, m: &mut MessageBuilder) {
    m.reset(b"8");
    m.push_str(tag::ORDER_ID, "O-1")
        .push_str(tag::EXEC_ID, &n.to_string())
        .push_char(tag::EXEC_TYPE, b'0')
        .push_char(tag::ORD_STATUS, b'0')
        .push_str(tag::SYMBOL, "EUR/USD")
        .push_char(tag::SIDE, b'1')
        .push_str(tag::LEAVES_QTY, "100")
        .push_str(tag::CUM_QTY, "0")
        .push_str(tag::AVG_PX, "0");
}

// ---------------------------------------------------------------- proxy --

/// One direction of a proxied link.
#[derive(Default)]
struct Flow {
    /// Bytes read and not yet written, with the time they may leave.
    queue: VecDeque<(Instant, Vec<u8>)>,
    /// Bytes of the front chunk already written.
    written: usize,
    /// No reading or writing until then.
    stalled_until: Option<Instant>,
    /// Chunks read wait this long, until `delay_until`.
    delay: Duration,
    delay_until: Option<Instant>,
    /// The source said end of stream.
    eof: bool,
}

impl Flow {
    fn queued(&self) -> usize {
        self.queue.iter().map(|(_, b)| b.len()).sum::<usize>() - self.written
    }
}

/// A link: the initiator's connection and ours to the acceptor.
struct Link {
    down: TcpStream,
    up: TcpStream,
    /// Readiness seen and not yet used up (edge-triggered).
    down_readable: bool,
    down_writable: bool,
    up_readable: bool,
    up_writable: bool,
    up_connected: bool,
    /// Initiator to acceptor, and back.
    to_acceptor: Flow,
    to_initiator: Flow,
}

/// Most bytes held per direction before the proxy stops reading (so that
/// a stall pushes back on the sender as a slow network would).
const FLOW_CAP: usize = 256 << 10;

/// What the proxy did, for the summary.
#[derive(Debug, Default, Clone, Copy)]
struct ProxyStats {
    links: u64,
    cuts: u64,
    stalls: u64,
    delays: u64,
    bytes: u64,
}

/// A fault-injecting TCP proxy on its own thread: mio, one poll for every
/// link.
struct ChaosProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    calm: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<ProxyStats>>,
}

impl ChaosProxy {
    fn start(upstream: SocketAddr, seed: u64) -> io::Result<ChaosProxy> {
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().expect("address"))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let calm = Arc::new(AtomicBool::new(false));
        let (s, c) = (stop.clone(), calm.clone());
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let thread = std::thread::Builder::new()
            .name("chaos-proxy".into())
            .spawn(move || {
                let mut p = ProxyLoop {
                    poll,
                    listener,
                    upstream,
                    links: HashMap::new(),
                    next_id: 1,
                    rng: Rng(seed | 1),
                    stats: ProxyStats::default(),
                    buf: vec![0; 64 << 10],
                };
                p.run(&s, &c);
                p.stats
            })?;
        Ok(ChaosProxy {
            addr,
            stop,
            calm,
            thread: Some(thread),
        })
    }

    /// No more faults; stalls and delays under way end now.
    fn calm_down(&self) {
        self.calm.store(true, Ordering::Release);
    }

    fn stop(mut self) -> ProxyStats {
        self.stop.store(true, Ordering::Release);
        self.thread
            .take()
            .map(|t| t.join().expect("proxy thread"))
            .unwrap_or_default()
    }
}

const LISTENER: Token = Token(0);

struct ProxyLoop {
    poll: Poll,
    listener: TcpListener,
    upstream: SocketAddr,
    links: HashMap<usize, Link>,
    next_id: usize,
    rng: Rng,
    stats: ProxyStats,
    buf: Vec<u8>,
}

impl ProxyLoop {
    fn run(&mut self, stop: &AtomicBool, calm: &AtomicBool) {
        let mut events = Events::with_capacity(1024);
        let mut next_fault = Instant::now();
        let mut calmed = false;
        while !stop.load(Ordering::Acquire) {
            let now = Instant::now();
            let mut wake = now + Duration::from_millis(50);
            if !calmed {
                wake = wake.min(next_fault);
            }
            for l in self.links.values() {
                for flow in [&l.to_acceptor, &l.to_initiator] {
                    if let Some(t) = flow.stalled_until {
                        wake = wake.min(t);
                    }
                    if let Some((t, _)) = flow.queue.front() {
                        wake = wake.min(*t);
                    }
                }
            }
            let timeout = wake.saturating_duration_since(now);
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                assert_eq!(e.kind(), io::ErrorKind::Interrupted, "proxy poll: {e}");
            }
            for ev in events.iter() {
                if ev.token() == LISTENER {
                    self.accept();
                    continue;
                }
                let id = ev.token().0 >> 1;
                let is_up = ev.token().0 & 1 == 1;
                let Some(l) = self.links.get_mut(&id) else {
                    continue;
                };
                let readable = ev.is_readable() || ev.is_read_closed() || ev.is_error();
                let writable = ev.is_writable() || ev.is_write_closed() || ev.is_error();
                if is_up {
                    l.up_readable |= readable;
                    l.up_writable |= writable;
                } else {
                    l.down_readable |= readable;
                    l.down_writable |= writable;
                }
            }
            let now = Instant::now();
            if calm.load(Ordering::Acquire) && !calmed {
                calmed = true;
                for l in self.links.values_mut() {
                    for flow in [&mut l.to_acceptor, &mut l.to_initiator] {
                        flow.stalled_until = None;
                        flow.delay_until = None;
                        flow.delay = Duration::ZERO;
                        for chunk in flow.queue.iter_mut() {
                            chunk.0 = now;
                        }
                    }
                }
            }
            if !calmed && now >= next_fault {
                self.fault(now);
                next_fault = now + Duration::from_millis(self.rng.range(20, 120));
            }
            let ids: Vec<usize> = self.links.keys().copied().collect();
            for id in ids {
                if !self.pump(id, now) {
                    self.close(id);
                }
            }
        }
    }

    fn accept(&mut self) {
        loop {
            let (mut down, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("proxy accept: {e}"),
            };
            let Ok(mut up) = TcpStream::connect(self.upstream) else {
                continue;
            };
            let _ = down.set_nodelay(true);
            let _ = up.set_nodelay(true);
            let id = self.next_id;
            self.next_id += 1;
            let both = Interest::READABLE | Interest::WRITABLE;
            let registry = self.poll.registry();
            if registry.register(&mut down, Token(id << 1), both).is_err()
                || registry
                    .register(&mut up, Token(id << 1 | 1), both)
                    .is_err()
            {
                continue;
            }
            self.stats.links += 1;
            self.links.insert(
                id,
                Link {
                    down,
                    up,
                    down_readable: true,
                    down_writable: true,
                    up_readable: false,
                    up_writable: false,
                    up_connected: false,
                    to_acceptor: Flow::default(),
                    to_initiator: Flow::default(),
                },
            );
        }
    }

    /// One random fault on one random link.
    fn fault(&mut self, now: Instant) {
        if self.links.is_empty() {
            return;
        }
        let mut ids: Vec<usize> = self.links.keys().copied().collect();
        ids.sort_unstable();
        let id = ids[self.rng.range(0, ids.len() as u64) as usize];
        let pick = self.rng.range(0, 100);
        if pick < 30 {
            self.stats.cuts += 1;
            if self.rng.chance(50) {
                // A reset: what the kernel still holds is lost too.
                if let Some(l) = self.links.get(&id) {
                    for s in [&l.down, &l.up] {
                        let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
                    }
                }
            }
            self.close(id);
            return;
        }
        let both = self.rng.chance(50);
        let to_acceptor = self.rng.chance(50);
        let rng = &mut self.rng;
        let Some(l) = self.links.get_mut(&id) else {
            return;
        };
        let mut flows: Vec<&mut Flow> = if both {
            vec![&mut l.to_acceptor, &mut l.to_initiator]
        } else if to_acceptor {
            vec![&mut l.to_acceptor]
        } else {
            vec![&mut l.to_initiator]
        };
        if pick < 65 {
            // Short stalls, and some long enough for the sessions to
            // declare the link lost (HeartBtInt 2 s).
            let ms = if rng.chance(25) {
                rng.range(4_000, 9_000)
            } else {
                rng.range(100, 2_500)
            };
            self.stats.stalls += 1;
            for flow in flows.iter_mut() {
                flow.stalled_until = Some(now + Duration::from_millis(ms));
            }
        } else {
            let delay = Duration::from_millis(rng.range(5, 300));
            let until = now + Duration::from_millis(rng.range(500, 5_000));
            self.stats.delays += 1;
            for flow in flows.iter_mut() {
                flow.delay = delay;
                flow.delay_until = Some(until);
            }
        }
    }

    fn close(&mut self, id: usize) {
        if let Some(mut l) = self.links.remove(&id) {
            let _ = self.poll.registry().deregister(&mut l.down);
            let _ = self.poll.registry().deregister(&mut l.up);
            // Dropped: closed (reset if lingering was turned off).
            drop(l);
        }
    }

    /// Moves what can be moved on a link; false when it is over.
    fn pump(&mut self, id: usize, now: Instant) -> bool {
        let Some(l) = self.links.get_mut(&id) else {
            return true;
        };
        if !l.up_connected {
            if !l.up_writable {
                return true;
            }
            match l.up.peer_addr() {
                Ok(_) => l.up_connected = true,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    l.up_writable = false;
                    return true;
                }
                Err(_) => return false,
            }
        }
        let buf = &mut self.buf;
        let ok_a = flow(
            &mut l.down,
            &mut l.down_readable,
            &mut l.up,
            &mut l.up_writable,
            &mut l.to_acceptor,
            now,
            buf,
            &mut self.stats.bytes,
        );
        let ok_i = flow(
            &mut l.up,
            &mut l.up_readable,
            &mut l.down,
            &mut l.down_writable,
            &mut l.to_initiator,
            now,
            buf,
            &mut self.stats.bytes,
        );
        ok_a && ok_i
    }
}

/// Reads from `src` into the flow and writes what is due to `dst`; false
/// when the link is over (an error, or end of stream with nothing left to
/// write).
#[allow(clippy::too_many_arguments)]
fn flow(
    src: &mut TcpStream,
    src_readable: &mut bool,
    dst: &mut TcpStream,
    dst_writable: &mut bool,
    flow: &mut Flow,
    now: Instant,
    buf: &mut [u8],
    bytes: &mut u64,
) -> bool {
    if flow.stalled_until.is_some_and(|t| now < t) {
        return true;
    }
    flow.stalled_until = None;
    if flow.delay_until.is_some_and(|t| now >= t) {
        flow.delay = Duration::ZERO;
        flow.delay_until = None;
    }
    while *src_readable && !flow.eof && flow.queued() < FLOW_CAP {
        match src.read(buf) {
            Ok(0) => flow.eof = true,
            Ok(n) => flow.queue.push_back((now + flow.delay, buf[..n].to_vec())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *src_readable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    while *dst_writable {
        let Some((at, chunk)) = flow.queue.front() else {
            break;
        };
        if *at > now {
            break;
        }
        match dst.write(&chunk[flow.written..]) {
            Ok(n) => {
                *bytes += n as u64;
                flow.written += n;
                if flow.written == chunk.len() {
                    flow.queue.pop_front();
                    flow.written = 0;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *dst_writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    !(flow.eof && flow.queue.is_empty())
}

// ----------------------------------------------------------------- test --

#[test]
fn two_hundred_sessions_deliver_everything_once_and_in_order_through_a_faulty_network() {
    let seed = env_u64(
        "CHAOS_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    let secs = env_u64("CHAOS_SECS", 60);
    let sessions = env_u64("CHAOS_SESSIONS", 200) as usize;
    let interval = Duration::from_millis(env_u64("CHAOS_INTERVAL_MS", 250));
    println!(
        "chaos: seed {seed} (CHAOS_SEED={seed} replays the faults), {sessions} sessions, {secs} s"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let engine_settings = |name: &str| {
        EngineSettings::default()
            .with_file_store_path(dir.path().join(name))
            .with_file_store_options(FileStoreOptions::default())
            .with_logon_timeout(Duration::from_secs(5))
            .with_thread_name(format!("chaos-{name}"))
    };
    let acceptors = FixEngine::new(engine_settings("acceptors")).expect("acceptor engine");
    let initiators = FixEngine::new(engine_settings("initiators")).expect("initiator engine");
    let listen = acceptors
        .listen("127.0.0.1:0".parse().expect("address"))
        .expect("listen");
    let proxy = ChaosProxy::start(listen, seed).expect("proxy");

    let logons = Arc::new(AtomicU64::new(0));
    let mut pairs = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let name = format!("INI{i}");
        let orders = Received::new();
        let reports = Received::new();
        let mut acc = SessionConfig::new(Role::Acceptor, FixVersion::Fix44, "ACC", &name);
        acc.logout_timeout = Duration::from_secs(1);
        let acceptor = acceptors
            .create_session_with(
                acc,
                SessionOptions::default(),
                Counter {
                    received: orders.clone(),
                    logons: Arc::new(AtomicU64::new(0)),
                },
            )
            .expect("acceptor session");
        let mut ini = SessionConfig::new(Role::Initiator, FixVersion::Fix44, &name, "ACC");
        ini.heart_bt_int = 2;
        ini.reconnect_interval = Duration::from_millis(300);
        ini.reconnect_max_tries = -1;
        ini.logon_timeout = Duration::from_secs(5);
        ini.logout_timeout = Duration::from_secs(1);
        let initiator = initiators
            .create_session_with(
                ini,
                SessionOptions::default().with_connect_address(proxy.addr.to_string(), None),
                Counter {
                    received: reports.clone(),
                    logons: logons.clone(),
                },
            )
            .expect("initiator session");
        initiator.connect_configured().expect("connect");
        pairs.push(Pair {
            initiator,
            acceptor,
            put_orders: 0,
            put_reports: 0,
            orders,
            reports,
        });
    }

    // Traffic both ways while the proxy misbehaves. A put refused for
    // backpressure is not counted: the message was not taken.
    let started = Instant::now();
    let chaos_end = started + Duration::from_secs(secs);
    let mut m = MessageBuilder::default();
    let mut backpressure = 0u64;
    let mut next_round = started;
    while Instant::now() < chaos_end {
        for p in &mut pairs {
            order(p.put_orders + 1, &mut m);
            match p.initiator.put(&m) {
                Ok(()) => p.put_orders += 1,
                Err(PutError::Backpressure { .. }) => backpressure += 1,
                Err(e) => panic!("{}: put failed: {e}", p.initiator.key()),
            }
            report(p.put_reports + 1, &mut m);
            match p.acceptor.put(&m) {
                Ok(()) => p.put_reports += 1,
                Err(PutError::Backpressure { .. }) => backpressure += 1,
                Err(e) => panic!("{}: put failed: {e}", p.acceptor.key()),
            }
        }
        next_round += interval;
        std::thread::sleep(next_round.saturating_duration_since(Instant::now()));
    }

    // The network heals; everything put must arrive.
    proxy.calm_down();
    let settle = Instant::now() + Duration::from_secs(env_u64("CHAOS_SETTLE_SECS", 45));
    let done =
        |p: &Pair| p.orders.delivered() >= p.put_orders && p.reports.delivered() >= p.put_reports;
    while Instant::now() < settle && !pairs.iter().all(done) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let settled_after = started.elapsed();

    let put_orders: u64 = pairs.iter().map(|p| p.put_orders).sum();
    let put_reports: u64 = pairs.iter().map(|p| p.put_reports).sum();
    let got_orders: u64 = pairs.iter().map(|p| p.orders.delivered()).sum();
    let got_reports: u64 = pairs.iter().map(|p| p.reports.delivered()).sum();
    let poss_dups: u64 = pairs
        .iter()
        .map(|p| {
            p.orders.poss_dups.load(Ordering::Relaxed) + p.reports.poss_dups.load(Ordering::Relaxed)
        })
        .sum();
    let mut problems = Vec::new();
    for p in &pairs {
        for r in [&p.orders, &p.reports] {
            if let Ok(list) = r.problems.lock() {
                problems.extend(list.iter().cloned());
            }
        }
        if !done(p) {
            problems.push(format!(
                "{}: {} of {} orders and {} of {} reports delivered; initiator {:?}, acceptor {:?}",
                p.initiator.key(),
                p.orders.delivered(),
                p.put_orders,
                p.reports.delivered(),
                p.put_reports,
                p.initiator.state(),
                p.acceptor.state(),
            ));
        }
    }

    for p in &pairs {
        let _ = p.initiator.disconnect("end of test");
    }
    for p in &pairs {
        p.initiator
            .wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(2));
    }
    let stats = proxy.stop();
    for p in pairs {
        p.initiator.finalize();
        p.acceptor.finalize();
    }
    initiators.stop_now();
    acceptors.stop_now();

    println!(
        "chaos: seed {seed}; {} links, {} cut, {} stalls, {} delay periods, {} MB through the proxy",
        stats.links,
        stats.cuts,
        stats.stalls,
        stats.delays,
        stats.bytes >> 20
    );
    println!(
        "chaos: orders put {put_orders}, delivered {got_orders}; reports put {put_reports}, \
         delivered {got_reports}; {poss_dups} delivered as PossDup resends; {} logons; \
         {backpressure} puts refused for backpressure; all delivered {:.1} s after the start",
        logons.load(Ordering::Relaxed),
        settled_after.as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "seed {seed}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        stats.cuts > 0 && stats.stalls > 0 && stats.delays > 0,
        "{stats:?}"
    );
    assert_eq!(got_orders, put_orders);
    assert_eq!(got_reports, put_reports);
}
