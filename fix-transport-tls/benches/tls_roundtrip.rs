//! Loopback round trips over TLS beside the same round trips over plain
//! TCP, measured in one run: NewOrderSingle -> ExecutionReport between an
//! initiator engine and an acceptor engine (each its own event loop
//! thread), first over plain TCP, then over TLS 1.3 with the default
//! cipher suite (AES-128-GCM, ECDSA P-256 certificate), printing the
//! percentiles of both and their ratio, and the time from connect to
//! Established for each.
//!
//! Heap allocations during the measured round trips are counted too (all
//! threads; a relaxed atomic add per allocation), to show what TLS adds
//! per message: rustls' buffered API allocates for each record it
//! encrypts or decrypts.
//!
//! Run `cargo bench -p fixrs-transport-tls --bench tls_roundtrip`. Counts
//! come from the environment: FIX_BENCH_ROUNDTRIPS (50000) and
//! FIX_BENCH_WARMUP (5000).

use fixrs_proto::{tag, FieldWriter, FixVersion, Message, MessageBuilder};
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{
    Application, EngineSettings, FixEngine, SessionHandle, SessionOptions, SessionState,
    TransportFactory,
};
use fixrs_transport_tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use fixrs_transport_tls::{TlsClientConfig, TlsServerConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts every allocation and reallocation of the process.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn nos(m: &mut MessageBuilder) {
    m.reset(b"D");
    m.push_uint(tag::CL_ORD_ID, 1_000_000_000)
        .push_str(1, "ACCOUNT-0001")
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(60, "20240102-03:04:05.678")
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

fn config(role: Role, sender: &str, target: &str) -> SessionConfig {
    let mut c = SessionConfig::new(role, FixVersion::Fix44, sender, target);
    c.heart_bt_int = 30;
    c.check_latency = false;
    c
}

/// Answers every NewOrderSingle with an ExecutionReport.
struct Echo {
    reply: MessageBuilder,
}

impl Application for Echo {
    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() == b"D" {
            let _ = session.put(&self.reply);
        }
    }
}

/// Sends an order, times the reply, sends the next.
struct Pinger {
    order: MessageBuilder,
    sent_at: Instant,
    warmup: u64,
    samples: Vec<u32>,
    wanted: usize,
    logged_on: Option<SyncSender<Instant>>,
    /// Allocations counted when the first measured round trip started.
    allocations_at_start: u64,
    done: Option<SyncSender<(Vec<u32>, u64)>>,
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
        if let Some(tx) = self.logged_on.take() {
            let _ = tx.send(Instant::now());
        }
        self.send(session);
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() != b"8" {
            return;
        }
        let rtt = self.sent_at.elapsed().as_nanos().min(u32::MAX as u128) as u32;
        if self.warmup > 0 {
            self.warmup -= 1;
            if self.warmup == 0 {
                self.allocations_at_start = ALLOCATIONS.load(Ordering::Relaxed);
            }
        } else {
            self.samples.push(rtt);
        }
        if self.samples.len() < self.wanted {
            self.send(session);
        } else if let Some(done) = self.done.take() {
            let allocations = ALLOCATIONS.load(Ordering::Relaxed) - self.allocations_at_start;
            let _ = done.send((std::mem::take(&mut self.samples), allocations));
        }
    }
}

struct Run {
    samples: Vec<u32>,
    logon: Duration,
    allocations_per_round_trip: f64,
}

/// One pair of engines, one session each, `n` round trips after `warmup`.
fn run(
    server: Option<Arc<dyn TransportFactory>>,
    client: Option<Arc<dyn TransportFactory>>,
    n: u64,
    warmup: u64,
) -> Run {
    let acceptor = FixEngine::new(EngineSettings::default()).expect("acceptor engine");
    let any = "127.0.0.1:0".parse().expect("addr");
    let addr = match server {
        Some(f) => acceptor.listen_with(any, f),
        None => acceptor.listen(any),
    }
    .expect("listen");
    let mut reply = MessageBuilder::default();
    exec_report(&mut reply);
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "BENCH_ACC", "BENCH_INI"),
            SessionOptions::default(),
            Echo { reply },
        )
        .expect("acceptor session");
    let initiator = FixEngine::new(EngineSettings::default()).expect("initiator engine");
    let mut order = MessageBuilder::default();
    nos(&mut order);
    let (logon_tx, logon_rx) = sync_channel(1);
    let (done_tx, done_rx) = sync_channel(1);
    let session = initiator
        .create_session_with(
            config(Role::Initiator, "BENCH_INI", "BENCH_ACC"),
            SessionOptions::default(),
            Pinger {
                order,
                sent_at: Instant::now(),
                warmup,
                samples: Vec::with_capacity(n as usize),
                wanted: n as usize,
                logged_on: Some(logon_tx),
                allocations_at_start: 0,
                done: Some(done_tx),
            },
        )
        .expect("initiator session");
    let start = Instant::now();
    match client {
        Some(f) => session.connect_with(30, &addr.to_string(), f),
        None => session.connect(30, &addr.to_string()),
    }
    .expect("connect");
    let logged_on = logon_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("logged on");
    let (samples, allocations) = done_rx
        .recv_timeout(Duration::from_secs(600))
        .expect("round trips finished");
    session.disconnect("done").expect("logout");
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    session.finalize();
    acc.finalize();
    initiator.stop();
    acceptor.stop();
    Run {
        allocations_per_round_trip: allocations as f64 / samples.len().max(1) as f64,
        samples,
        logon: logged_on.duration_since(start),
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

fn tls_configs() -> (TlsServerConfig, TlsClientConfig) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("cert");
    let server = TlsServerConfig::builder()
        .certificate(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .build()
        .expect("server config");
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca_cert.der().clone()])
        .server_name("localhost")
        .build()
        .expect("client config");
    (server, client)
}

fn main() {
    let n = env_count("FIX_BENCH_ROUNDTRIPS", 50_000);
    let warmup = env_count("FIX_BENCH_WARMUP", 5_000);
    let plain = run(None, None, n, warmup);
    let (server, client) = tls_configs();
    let tls = run(Some(Arc::new(server)), Some(Arc::new(client)), n, warmup);

    let (plain_allocs, tls_allocs) = (
        plain.allocations_per_round_trip,
        tls.allocations_per_round_trip,
    );
    let (p50, p99, p999) = percentiles(plain.samples);
    let (t50, t99, t999) = percentiles(tls.samples);
    println!(
        "round trip NewOrderSingle -> ExecutionReport over loopback, {n} samples after {warmup} warm-up"
    );
    println!("  engine, plain TCP   p50 {p50:8.2} us  p99 {p99:8.2} us  p99.9 {p999:8.2} us");
    println!("  engine, TLS 1.3     p50 {t50:8.2} us  p99 {t99:8.2} us  p99.9 {t999:8.2} us");
    println!(
        "  ratio TLS/plain     p50 {:8.2}x     p99 {:8.2}x     p99.9 {:8.2}x",
        t50 / p50.max(1e-9),
        t99 / p99.max(1e-9),
        t999 / p999.max(1e-9)
    );
    println!(
        "  heap allocations per round trip (both engines): plain TCP {plain_allocs:.2}, TLS 1.3 {tls_allocs:.2}"
    );
    println!(
        "  connect to Established: plain TCP {:.2} ms, TLS 1.3 {:.2} ms",
        plain.logon.as_secs_f64() * 1e3,
        tls.logon.as_secs_f64() * 1e3
    );
}
