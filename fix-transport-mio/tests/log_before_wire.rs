//! The FIX message log is crash-consistent: a message is in the log (handed
//! to the operating system) no later than it is on the wire. Checked two
//! ways: a transport that, at every write, reads the log file and looks for
//! each message it is about to send; and an initiator killed with SIGKILL
//! while sending, whose log must hold every order its counterparty got.

mod common;

use common::*;
use fixrs_proto::framing::{scan, Scan};
use fixrs_proto::{tag, FieldWriter, FrameConfig, Message, MessageBuilder};
use fixrs_session::Role;
use fixrs_transport_mio::{
    AppEventKind, Application, ChannelApplication, EngineSettings, FixEngine, LinkInfo,
    SessionHandle, SessionOptions, SessionState, TcpTransport, Transport, TransportFactory,
};
use mio::net::TcpStream;
use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);

/// The messages of a FIX message log (the text after `time : `).
fn logged_messages(path: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read(path).unwrap_or_default();
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let at = line.windows(3).position(|w| w == b" : ")?;
            Some(line[at + 3..].to_vec())
        })
        .collect()
}

/// Splits `bytes` into complete frames and the incomplete rest.
fn frames(mut bytes: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let config = FrameConfig {
        max_message_size: usize::MAX,
        verify_checksum: false,
    };
    let mut out = Vec::new();
    while let Scan::Complete(n) = scan(bytes, &config) {
        out.push(&bytes[..n]);
        bytes = &bytes[n..];
    }
    (out, bytes)
}

/// TCP that, before each write, checks that every message it is about to
/// put on the wire is already in the log file.
struct LogChecking {
    tcp: TcpTransport,
    log: PathBuf,
    /// The incomplete message at the end of what was written so far.
    partial: Vec<u8>,
    checked: Arc<AtomicUsize>,
    missing: Arc<AtomicUsize>,
}

impl Transport for LogChecking {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let logged: HashSet<Vec<u8>> = logged_messages(&self.log).into_iter().collect();
        let mut stream = self.partial.clone();
        stream.extend_from_slice(buf);
        let (whole, rest) = frames(&stream);
        for m in whole {
            self.checked.fetch_add(1, Ordering::Relaxed);
            if !logged.contains(m) {
                self.missing.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !rest.is_empty() && !logged.iter().any(|l| l.starts_with(rest)) {
            self.missing.fetch_add(1, Ordering::Relaxed);
        }
        let n = self.tcp.write(buf)?;
        self.partial.extend_from_slice(&buf[..n]);
        let keep = frames(&self.partial).1.len();
        let drop_to = self.partial.len() - keep;
        self.partial.drain(..drop_to);
        Ok(n)
    }
    fn source(&mut self) -> &mut dyn mio::event::Source {
        self.tcp.source()
    }
    fn shutdown(&mut self) -> io::Result<()> {
        self.tcp.shutdown()
    }
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.peer_addr()
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

struct LogCheckingFactory {
    log: PathBuf,
    checked: Arc<AtomicUsize>,
    missing: Arc<AtomicUsize>,
}

impl TransportFactory for LogCheckingFactory {
    fn wrap(&self, stream: TcpStream, _: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(LogChecking {
            tcp: TcpTransport::new(stream),
            log: self.log.clone(),
            partial: Vec::new(),
            checked: self.checked.clone(),
            missing: self.missing.clone(),
        }))
    }
}

#[test]
fn every_message_is_in_the_log_before_it_is_written_to_the_socket() {
    let dirs = tempfile::tempdir().expect("temp dir");
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (acc_app, acc_events) = ChannelApplication::new();
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            acc_app,
        )
        .expect("acceptor");
    let initiator =
        FixEngine::new(EngineSettings::default().with_file_log_path(dirs.path().to_path_buf()))
            .expect("engine");
    let checked = Arc::new(AtomicUsize::new(0));
    let missing = Arc::new(AtomicUsize::new(0));
    let factory = LogCheckingFactory {
        log: dirs.path().join("FIX.4.4-INI-ACC.messages.current.log"),
        checked: checked.clone(),
        missing: missing.clone(),
    };
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default()
                .with_connect_address(addr.to_string(), None)
                .with_connect_factory(Arc::new(factory)),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    ini.connect_configured().expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    let mut m = MessageBuilder::default();
    let n = 3_000;
    for i in 0..n {
        m.reset(b"D");
        m.push_str(tag::CL_ORD_ID, &format!("ORD-{i}"));
        ini.put(&m).expect("put");
        if i % 200 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let mut got = 0;
    while got < n {
        let ev = acc_events.recv_timeout(LONG).expect("orders");
        if matches!(ev.kind, AppEventKind::Message(_)) {
            got += 1;
        }
    }
    ini.disconnect("done").expect("logout");
    expect_state(&ini, SessionState::CorrectlyTerminated, LONG);
    println!(
        "{} messages checked at the socket, {} not yet in the log",
        checked.load(Ordering::Relaxed),
        missing.load(Ordering::Relaxed)
    );
    assert!(checked.load(Ordering::Relaxed) >= n);
    assert_eq!(
        missing.load(Ordering::Relaxed),
        0,
        "messages were written to the socket before they reached the log"
    );
    initiator.stop();
    acceptor.stop();
}

/// ClOrdIDs of the orders an application received.
struct Orders(Arc<Mutex<HashSet<String>>>);

impl Application for Orders {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        if let (Some(id), Ok(mut seen)) = (message.get(tag::CL_ORD_ID), self.0.lock()) {
            seen.insert(String::from_utf8_lossy(id).into_owned());
        }
    }
}

/// ClOrdIDs of the orders in a FIX message log.
fn logged_orders(path: &Path) -> HashSet<String> {
    let mut out = HashSet::new();
    for m in logged_messages(path) {
        let (whole, _) = frames(&m);
        let Some(frame) = whole.first() else { continue };
        let text = String::from_utf8_lossy(frame);
        if !text.contains("\u{1}35=D\u{1}") {
            continue;
        }
        if let Some(id) = text.split('\u{1}').find_map(|f| f.strip_prefix("11=")) {
            out.insert(id.to_string());
        }
    }
    out
}

#[test]
fn an_initiator_killed_with_sigkill_has_logged_every_order_its_peer_got() {
    let kills = env_count("FIX_TEST_CRASHES", 6) as u64;
    let exe = example_binary("file_store_initiator");
    assert!(exe.exists(), "example {} not built", exe.display());
    let dirs = tempfile::tempdir().expect("temp dir");
    let store_dir = dirs.path().join("store");
    let log_dir = dirs.path().join("log");
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "STORE_ACC", "STORE_INI"),
            SessionOptions::default(),
            Orders(seen.clone()),
        )
        .expect("acceptor");
    let mut seed = clock_seed();
    println!("kill delays seeded with {seed}");
    let log = log_dir.join("FIX.4.4-STORE_INI-STORE_ACC.messages.current.log");
    let mut missing_total = 0;
    for run in 0..kills {
        let mut child = Command::new(&exe)
            .arg(addr.to_string())
            .arg(&store_dir)
            .arg(run.to_string())
            .env("FIX_LOG_DIR", &log_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn initiator");
        let line = fixrs_test_support::first_line(&mut child, fixrs_test_support::CHILD_START);
        assert!(line.starts_with("ESTABLISHED"), "child said {line:?}");
        std::thread::sleep(Duration::from_millis(50 + next_random(&mut seed) % 300));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        assert!(wait_until(LONG, || acc.state() != SessionState::Established));
        // What the acceptor got is all it will get from this run.
        std::thread::sleep(Duration::from_millis(100));
        let logged = logged_orders(&log);
        let seen = seen.lock().expect("seen").clone();
        let missing: Vec<&String> = seen.iter().filter(|id| !logged.contains(*id)).collect();
        println!(
            "run {run}: {} orders received, {} logged, {} received but not logged",
            seen.len(),
            logged.len(),
            missing.len()
        );
        // Counted over every run so far: an order missing once stays so.
        missing_total = missing.len();
    }
    acceptor.stop();
    assert_eq!(
        missing_total, 0,
        "orders reached the counterparty but not the sender's FIX message log"
    );
}
