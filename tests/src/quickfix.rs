//! QuickFIX C++ as the counterparty of interop tests: starts the scripted
//! peer `tests/interop/qf_peer.py` with the Python of the repository's
//! `.venv` (made by `.ci/setup-python`, which installs `quickfix-tls`),
//! reads its events, sends it commands and stops it when dropped.
//!
//! The peer prints one JSON object per event on stdout (logon, logout,
//! every admin and application message in and out, command
//! acknowledgements) and takes one command per line on stdin; the script's
//! own doc lists both. A missing `.venv` or `quickfix` module is an error
//! that names the setup script: interop tests fail, they never skip.
//!
//! ```no_run
//! use fixrs_proto::FixVersion;
//! use fix_tests::quickfix::{PeerConfig, QuickFixPeer};
//! use std::time::Duration;
//!
//! let mut peer = QuickFixPeer::start(PeerConfig::acceptor(FixVersion::Fix44, "QF", "US"))?;
//! // ... connect an initiator to 127.0.0.1:peer.port() ...
//! peer.wait_for_event("logon", Duration::from_secs(5))?;
//! peer.command("orders 1 A")?;
//! # Ok::<(), fix_tests::quickfix::PeerError>(())
//! ```

use fixrs_proto::{FixVersion, Tag};
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// What to do when the QuickFIX environment is missing.
pub const SETUP_HINT: &str =
    "run .ci/setup-python at the repository root (it creates .venv with quickfix-tls)";

/// How long the peer may take to start (Python start-up and the import of
/// the QuickFIX bindings, on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a command may take to be acknowledged.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the peer may take to quit before it is killed.
const QUIT_TIMEOUT: Duration = Duration::from_secs(3);

/// Events kept for the diagnostics of a failure.
const DIAGNOSTIC_EVENTS: usize = 40;

/// Failures of the QuickFIX peer.
///
/// `Debug` prints the message, with its diagnostics, so that a test that
/// returns `Result<(), PeerError>` fails with a readable explanation.
#[derive(thiserror::Error)]
pub enum PeerError {
    /// The virtual environment's interpreter does not exist.
    #[error("no Python interpreter at {path}: {SETUP_HINT}")]
    MissingPython {
        /// Where the interpreter was looked for.
        path: PathBuf,
    },
    /// The interpreter exists but cannot import `quickfix`.
    #[error("{python} cannot import quickfix ({detail}): {SETUP_HINT}")]
    MissingQuickFix {
        /// The interpreter that was tried.
        python: PathBuf,
        /// What Python printed.
        detail: String,
    },
    /// The peer script cannot run with the settings given.
    #[error("unsupported peer setting: {0}")]
    Unsupported(String),
    /// The peer process could not be started or talked to.
    #[error("QuickFIX peer I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The peer exited before the awaited event.
    #[error("QuickFIX peer exited ({status}) while waiting for {awaited}\n{diagnostics}")]
    Exited {
        /// The exit status.
        status: String,
        /// What was being waited for.
        awaited: String,
        /// Recent events, stderr and the QuickFIX event log.
        diagnostics: String,
    },
    /// No matching event arrived in time.
    #[error("no {awaited} from the QuickFIX peer within {timeout:?}\n{diagnostics}")]
    Timeout {
        /// What was being waited for.
        awaited: String,
        /// How long it waited.
        timeout: Duration,
        /// Recent events, stderr and the QuickFIX event log.
        diagnostics: String,
    },
    /// The peer refused or failed a command.
    #[error("QuickFIX peer command `{command}` failed: {error}")]
    Command {
        /// The command line sent.
        command: String,
        /// The peer's explanation.
        error: String,
    },
    /// The peer printed a line that is not a JSON event.
    #[error("unreadable line from the QuickFIX peer {line:?}: {reason}")]
    BadEvent {
        /// The line.
        line: String,
        /// Why it does not parse.
        reason: String,
    },
}

impl std::fmt::Debug for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// Which side of the session QuickFIX plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRole {
    /// QuickFIX listens on a free port of 127.0.0.1 (see
    /// [`QuickFixPeer::port`]).
    Acceptor,
    /// QuickFIX connects to 127.0.0.1 on this port.
    Initiator {
        /// The port our acceptor listens on.
        port: u16,
    },
}

/// Which message store QuickFIX uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerStore {
    /// QuickFIX's FileStore in the peer's temp dir: survives `restart`.
    File,
    /// QuickFIX's MemoryStore: lost on `restart`.
    Memory,
}

/// Certificates for a TLS peer (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTls {
    /// This peer's certificate chain.
    pub cert: Option<PathBuf>,
    /// This peer's private key.
    pub key: Option<PathBuf>,
    /// CA certificates that verify the other side.
    pub ca: Option<PathBuf>,
    /// Require and verify the other side's certificate.
    pub verify_peer: bool,
}

/// How to start a QuickFIX peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// Acceptor or initiator.
    pub role: PeerRole,
    /// FIX.4.2, FIX.4.4 or FIX.5.0SP2 (as FIXT.1.1 with that
    /// DefaultApplVerID).
    pub version: FixVersion,
    /// SenderCompID(49) of QuickFIX.
    pub sender_comp_id: String,
    /// TargetCompID(56) of QuickFIX (our SenderCompID).
    pub target_comp_id: String,
    /// HeartBtInt(108) in seconds (an acceptor takes the initiator's).
    pub heart_bt_int: u32,
    /// Seconds between an initiator's connection attempts.
    pub reconnect_interval: u32,
    /// The message store.
    pub store: PeerStore,
    /// Validate messages against the QuickFIX dictionary (on by default).
    pub validate: bool,
    /// QuickFIX's ResetOnLogon.
    pub reset_on_logon: bool,
    /// QuickFIX's ResetOnLogout.
    pub reset_on_logout: bool,
    /// QuickFIX's ResetOnDisconnect.
    pub reset_on_disconnect: bool,
    /// Answer NewOrderSingle with ExecutionReport (on by default).
    pub reply_to_orders: bool,
    /// Use the SSL socket transports with these certificates.
    pub tls: Option<PeerTls>,
}

impl PeerConfig {
    /// A QuickFIX acceptor on a free port, FileStore, validating,
    /// HeartBtInt 30.
    pub fn acceptor(version: FixVersion, sender_comp_id: &str, target_comp_id: &str) -> Self {
        Self::new(PeerRole::Acceptor, version, sender_comp_id, target_comp_id)
    }

    /// A QuickFIX initiator that connects to 127.0.0.1:`port`.
    pub fn initiator(
        version: FixVersion,
        sender_comp_id: &str,
        target_comp_id: &str,
        port: u16,
    ) -> Self {
        Self::new(
            PeerRole::Initiator { port },
            version,
            sender_comp_id,
            target_comp_id,
        )
    }

    fn new(role: PeerRole, version: FixVersion, sender: &str, target: &str) -> Self {
        PeerConfig {
            role,
            version,
            sender_comp_id: sender.to_owned(),
            target_comp_id: target.to_owned(),
            heart_bt_int: 30,
            reconnect_interval: 1,
            store: PeerStore::File,
            validate: true,
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            reply_to_orders: true,
            tls: None,
        }
    }

    /// Sets HeartBtInt(108).
    pub fn heart_bt_int(mut self, seconds: u32) -> Self {
        self.heart_bt_int = seconds;
        self
    }

    /// Sets the message store.
    pub fn store(mut self, store: PeerStore) -> Self {
        self.store = store;
        self
    }

    /// Sets QuickFIX's ResetOnLogon.
    pub fn reset_on_logon(mut self, reset: bool) -> Self {
        self.reset_on_logon = reset;
        self
    }

    /// Sets whether NewOrderSingle is answered.
    pub fn reply_to_orders(mut self, reply: bool) -> Self {
        self.reply_to_orders = reply;
        self
    }

    /// Uses the SSL socket transports.
    pub fn tls(mut self, tls: PeerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    fn arguments(&self, work_dir: &Path) -> Result<Vec<String>, PeerError> {
        let mut args = Vec::new();
        let mut push = |flag: &str, value: String| {
            args.push(flag.to_owned());
            args.push(value);
        };
        match self.version {
            FixVersion::Fix42 | FixVersion::Fix44 => {
                push("--begin-string", self.version.begin_string().to_owned());
            }
            FixVersion::Fix50 | FixVersion::Fix50Sp1 | FixVersion::Fix50Sp2 => {
                push("--begin-string", self.version.begin_string().to_owned());
                push("--default-appl-ver-id", self.version.name().to_owned());
            }
            other => {
                return Err(PeerError::Unsupported(format!(
                    "the peer answers orders in FIX.4.2, FIX.4.4 and FIX 5.0+, not {}",
                    other.name()
                )))
            }
        }
        match self.role {
            PeerRole::Acceptor => {
                push("--role", "acceptor".to_owned());
                push("--port", "0".to_owned());
            }
            PeerRole::Initiator { port } => {
                push("--role", "initiator".to_owned());
                push("--host", "127.0.0.1".to_owned());
                push("--port", port.to_string());
            }
        }
        push("--sender", self.sender_comp_id.clone());
        push("--target", self.target_comp_id.clone());
        push("--heartbeat", self.heart_bt_int.to_string());
        push("--reconnect-interval", self.reconnect_interval.to_string());
        let store = match self.store {
            PeerStore::File => "file",
            PeerStore::Memory => "memory",
        };
        push("--store", store.to_owned());
        push("--store-dir", path_arg(&work_dir.join("store"))?);
        push("--log-dir", path_arg(&work_dir.join("log"))?);
        if let Some(tls) = &self.tls {
            args.push("--tls".to_owned());
            for (flag, path) in [
                ("--tls-cert", &tls.cert),
                ("--tls-key", &tls.key),
                ("--tls-ca", &tls.ca),
            ] {
                if let Some(path) = path {
                    args.push(flag.to_owned());
                    args.push(path_arg(path)?);
                }
            }
            if tls.verify_peer {
                args.push("--tls-verify-peer".to_owned());
            }
        }
        let flags = [
            (!self.validate, "--no-validate"),
            (self.reset_on_logon, "--reset-on-logon"),
            (self.reset_on_logout, "--reset-on-logout"),
            (self.reset_on_disconnect, "--reset-on-disconnect"),
            (!self.reply_to_orders, "--no-reply"),
        ];
        args.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, flag)| (*flag).to_owned()),
        );
        Ok(args)
    }
}

fn path_arg(path: &Path) -> Result<String, PeerError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| PeerError::Unsupported(format!("path {} is not UTF-8", path.display())))
}

/// One event the peer reported.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerEvent {
    json: Value,
}

impl PeerEvent {
    /// The event's kind: `ready`, `logon`, `logout`, `admin_in`,
    /// `admin_out`, `app_in`, `app_out`, `ack`, `status`, `create`, `error`.
    pub fn kind(&self) -> &str {
        self.json.get("event").and_then(Value::as_str).unwrap_or("")
    }

    /// MsgType(35) of a message event.
    pub fn msg_type(&self) -> Option<&str> {
        self.json.get("msg_type").and_then(Value::as_str)
    }

    /// MsgSeqNum(34) of a message event.
    pub fn seq(&self) -> Option<u64> {
        self.json.get("seq").and_then(Value::as_u64)
    }

    /// Whether a message event had PossDupFlag(43)=Y.
    pub fn poss_dup(&self) -> bool {
        self.json
            .get("poss_dup")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// A field of a message event, among those the peer reports (header:
    /// 34, 43, 52, 97, 122, 1128; body: 7, 11, 14, 16, 17, 36, 37, 38, 39,
    /// 45, 54, 55, 58, 108, 112, 123, 141, 150, 371, 372, 373, 1137).
    pub fn field(&self, tag: Tag) -> Option<&str> {
        self.json
            .get("fields")
            .and_then(|fields| fields.get(tag.to_string()))
            .and_then(Value::as_str)
    }

    /// The whole message of a message event, '|' for SOH.
    pub fn raw(&self) -> Option<&str> {
        self.json.get("raw").and_then(Value::as_str)
    }

    /// Any other member of the event (`port`, `next_sender_seq`, `ok`...).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.json.get(key)
    }

    /// Whether this is a message event of the given direction and MsgType,
    /// e.g. `is_message("app_in", "D")`.
    pub fn is_message(&self, kind: &str, msg_type: &str) -> bool {
        self.kind() == kind && self.msg_type() == Some(msg_type)
    }

    /// The event as the peer printed it.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

impl std::fmt::Display for PeerEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.json)
    }
}

/// The Python interpreter of the repository's `.venv`.
pub fn venv_python() -> PathBuf {
    repository_root().join(".venv").join("bin").join("python")
}

/// The peer script.
pub fn peer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join("qf_peer.py")
}

fn repository_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Checks once per test binary that `.venv` exists and imports QuickFIX.
///
/// The same error whether or not `CI` is set: a missing environment fails
/// the interop tests with the command that makes it, in CI and locally.
pub fn check_environment() -> Result<PathBuf, PeerError> {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    if let Some(python) = READY.get() {
        return Ok(python.clone());
    }
    let python = probe_quickfix(&venv_python())?;
    Ok(READY.get_or_init(|| python).clone())
}

fn probe_quickfix(python: &Path) -> Result<PathBuf, PeerError> {
    if !python.exists() {
        return Err(PeerError::MissingPython {
            path: python.to_path_buf(),
        });
    }
    let output = Command::new(python)
        .args(["-c", "import quickfix; quickfix.SocketAcceptor"])
        .stdin(Stdio::null())
        .output()?;
    if output.status.success() {
        Ok(python.to_path_buf())
    } else {
        Err(PeerError::MissingQuickFix {
            python: python.to_path_buf(),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// Lines from the peer's stdout, or the end of it.
enum Line {
    Event(PeerEvent),
    Bad(String, String),
    Closed,
}

/// A running QuickFIX peer process.
///
/// Events arrive in order and wait in a pending list:
/// [`wait_for`](Self::wait_for) takes out the oldest pending event that
/// matches and leaves the others, so that waits for independent streams
/// (replies to us, acknowledgements) do not depend on their interleaving;
/// [`discard_pending`](Self::discard_pending) starts a new phase of a test.
/// Every event stays in [`history`](Self::history). Dropping the peer tells
/// it to quit, kills it if it does not, and prints its diagnostics (which the
/// test harness shows only for a failing test).
pub struct QuickFixPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    history: Vec<PeerEvent>,
    pending: VecDeque<PeerEvent>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    port: u16,
    closed: bool,
    work_dir: TempDir,
}

impl QuickFixPeer {
    /// Starts the peer and waits until it is ready: an acceptor listens, an
    /// initiator has started connecting.
    pub fn start(config: PeerConfig) -> Result<Self, PeerError> {
        let python = check_environment()?;
        let work_dir = tempfile::Builder::new().prefix("qf-peer-").tempdir()?;
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(peer_script())
            .args(config.arguments(work_dir.path())?)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let (sender, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(stdout) = stdout {
            readers.push(thread::spawn(move || read_events(stdout, sender)));
        }
        if let Some(mut pipe) = stderr_pipe {
            let sink = Arc::clone(&stderr);
            readers.push(thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut text) = sink.lock() {
                        text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                    }
                }
            }));
        }
        let mut peer = QuickFixPeer {
            child,
            stdin,
            lines,
            history: Vec::new(),
            pending: VecDeque::new(),
            stderr,
            readers,
            port: 0,
            closed: false,
            work_dir,
        };
        let ready = peer.wait_for("ready", START_TIMEOUT, |event| event.kind() == "ready")?;
        let port = ready
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|port| u16::try_from(port).ok());
        peer.port = port.ok_or_else(|| PeerError::BadEvent {
            line: ready.to_string(),
            reason: "no port in the ready event".to_owned(),
        })?;
        Ok(peer)
    }

    /// The port the QuickFIX acceptor listens on (127.0.0.1), or the port
    /// the initiator connects to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The peer's temp dir (its FileStore in `store/`, its QuickFIX logs in
    /// `log/`).
    pub fn work_dir(&self) -> &Path {
        self.work_dir.path()
    }

    /// Sends a command line (see the peer script) without waiting.
    pub fn send(&mut self, command: &str) -> Result<(), PeerError> {
        let stdin = self.stdin.as_mut().ok_or_else(|| {
            PeerError::Io(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the peer's input is closed",
            ))
        })?;
        stdin.write_all(command.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()?;
        Ok(())
    }

    /// Sends a command and waits for its acknowledgement; a refused command
    /// is an error.
    pub fn command(&mut self, command: &str) -> Result<PeerEvent, PeerError> {
        self.send(command)?;
        let name = command.split_whitespace().next().unwrap_or("").to_owned();
        let awaited = format!("ack of `{command}`");
        let ack = self.wait_for(&awaited, COMMAND_TIMEOUT, |event| {
            event.kind() == "ack" && event.get("cmd").and_then(Value::as_str) == Some(&name)
        })?;
        if ack.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(ack)
        } else {
            Err(PeerError::Command {
                command: command.to_owned(),
                error: ack
                    .get("error")
                    .map(Value::to_string)
                    .unwrap_or_else(|| ack.to_string()),
            })
        }
    }

    /// Sends `status` and returns (logged on, next outgoing MsgSeqNum,
    /// next expected incoming MsgSeqNum) as QuickFIX sees them.
    pub fn status(&mut self) -> Result<(bool, u64, u64), PeerError> {
        self.send("status")?;
        let status = self.wait_for("status", COMMAND_TIMEOUT, |event| event.kind() == "status")?;
        self.command_ack("status")?;
        let number = |key: &str| status.get(key).and_then(Value::as_u64).unwrap_or(0);
        Ok((
            status
                .get("logged_on")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            number("next_sender_seq"),
            number("next_target_seq"),
        ))
    }

    fn command_ack(&mut self, name: &str) -> Result<PeerEvent, PeerError> {
        self.wait_for(&format!("ack of `{name}`"), COMMAND_TIMEOUT, |event| {
            event.kind() == "ack" && event.get("cmd").and_then(Value::as_str) == Some(name)
        })
    }

    /// Waits for the next event of this kind (`logon`, `logout`...).
    pub fn wait_for_event(
        &mut self,
        kind: &str,
        timeout: Duration,
    ) -> Result<PeerEvent, PeerError> {
        self.wait_for(kind, timeout, |event| event.kind() == kind)
    }

    /// Waits for the next message event of this direction (`app_in`,
    /// `admin_out`...) and MsgType.
    pub fn wait_for_message(
        &mut self,
        kind: &str,
        msg_type: &str,
        timeout: Duration,
    ) -> Result<PeerEvent, PeerError> {
        let awaited = format!("{kind} {msg_type}");
        self.wait_for(&awaited, timeout, |event| event.is_message(kind, msg_type))
    }

    /// Takes out and returns the oldest pending event that matches, waiting
    /// for it at most `timeout`; other events stay pending. `awaited` names
    /// the event in the error.
    pub fn wait_for(
        &mut self,
        awaited: &str,
        timeout: Duration,
        mut matches: impl FnMut(&PeerEvent) -> bool,
    ) -> Result<PeerEvent, PeerError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.pending.iter().position(&mut matches) {
                if let Some(event) = self.pending.remove(found) {
                    return Ok(event);
                }
            }
            if self.closed {
                return Err(self.exited(awaited));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(PeerError::Timeout {
                    awaited: awaited.to_owned(),
                    timeout,
                    diagnostics: self.diagnostics(),
                });
            }
            match self.lines.recv_timeout(deadline - now) {
                Ok(line) => self.accept(line)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
            }
        }
    }

    /// Takes out every pending event and every event that arrives within
    /// `duration`.
    pub fn collect_for(&mut self, duration: Duration) -> Result<Vec<PeerEvent>, PeerError> {
        let deadline = Instant::now() + duration;
        while !self.closed {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match self.lines.recv_timeout(deadline - now) {
                Ok(line) => self.accept(line)?,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
            }
        }
        Ok(self.pending.drain(..).collect())
    }

    /// Drops the pending events (they stay in the history): later waits
    /// see only what arrives from now on.
    pub fn discard_pending(&mut self) -> Result<(), PeerError> {
        while let Ok(line) = self.lines.try_recv() {
            self.accept(line)?;
        }
        self.pending.clear();
        Ok(())
    }

    /// Every event received so far, taken out or not, oldest first.
    pub fn history(&mut self) -> Result<&[PeerEvent], PeerError> {
        while let Ok(line) = self.lines.try_recv() {
            self.accept(line)?;
        }
        Ok(&self.history)
    }

    fn accept(&mut self, line: Line) -> Result<(), PeerError> {
        match line {
            Line::Event(event) => {
                self.history.push(event.clone());
                self.pending.push_back(event);
                Ok(())
            }
            Line::Bad(line, reason) => Err(PeerError::BadEvent { line, reason }),
            Line::Closed => {
                self.closed = true;
                Ok(())
            }
        }
    }

    fn exited(&mut self, awaited: &str) -> PeerError {
        let status = wait_with_timeout(&mut self.child, Duration::from_secs(1))
            .map(|status| status.to_string())
            .unwrap_or_else(|| "still running, stdout closed".to_owned());
        PeerError::Exited {
            status,
            awaited: awaited.to_owned(),
            diagnostics: self.diagnostics(),
        }
    }

    /// Recent events, the peer's stderr and QuickFIX's own event log: what
    /// a failing test prints.
    pub fn diagnostics(&self) -> String {
        let mut text = String::new();
        let skip = self.history.len().saturating_sub(DIAGNOSTIC_EVENTS);
        let _ = writeln!(
            text,
            "-- last {} QuickFIX peer events:",
            self.history.len() - skip
        );
        for event in &self.history[skip..] {
            let _ = writeln!(text, "   {event}");
        }
        if let Ok(stderr) = self.stderr.lock() {
            if !stderr.is_empty() {
                let _ = writeln!(text, "-- QuickFIX peer stderr:\n{stderr}");
            }
        }
        let log_dir = self.work_dir.path().join("log");
        if let Ok(entries) = std::fs::read_dir(&log_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.ends_with(".event.current.log") {
                    if let Ok(log) = std::fs::read_to_string(&path) {
                        let tail: Vec<&str> = log.lines().rev().take(30).collect();
                        let _ = writeln!(text, "-- QuickFIX event log {name} (tail):");
                        for line in tail.iter().rev() {
                            let _ = writeln!(text, "   {line}");
                        }
                    }
                }
            }
        }
        text
    }
}

impl Drop for QuickFixPeer {
    fn drop(&mut self) {
        // The test harness shows a test's output only when it fails (by
        // panic or by returning an error), which is when this is wanted.
        let _ = self.history();
        eprintln!("{}", self.diagnostics());
        let _ = self.send("quit");
        // End of input is a quit too, should the line not get through.
        self.stdin = None;
        if wait_with_timeout(&mut self.child, QUIT_TIMEOUT).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

fn read_events(stdout: impl Read, sender: mpsc::Sender<Line>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match serde_json::from_str::<Value>(&line) {
            Ok(json) if json.get("event").and_then(Value::as_str).is_some() => {
                Line::Event(PeerEvent { json })
            }
            Ok(_) => Line::Bad(line, "no \"event\" member".to_owned()),
            Err(error) => Line::Bad(line, error.to_string()),
        };
        if sender.send(parsed).is_err() {
            return;
        }
    }
    let _ = sender.send(Line::Closed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptor_arguments_name_the_version_and_comp_ids() {
        let dir = Path::new("/tmp/x");
        let args = PeerConfig::acceptor(FixVersion::Fix50Sp2, "QF", "US")
            .heart_bt_int(1)
            .arguments(dir)
            .expect("supported");
        let joined = args.join(" ");
        assert!(joined.contains("--begin-string FIXT.1.1"), "{joined}");
        assert!(
            joined.contains("--default-appl-ver-id FIX.5.0SP2"),
            "{joined}"
        );
        assert!(joined.contains("--role acceptor --port 0"), "{joined}");
        assert!(joined.contains("--sender QF --target US"), "{joined}");
        assert!(joined.contains("--heartbeat 1"), "{joined}");
        assert!(joined.contains("--store-dir /tmp/x/store"), "{joined}");
    }

    #[test]
    fn initiator_arguments_connect_to_loopback() {
        let args = PeerConfig::initiator(FixVersion::Fix42, "QF", "US", 4321)
            .reset_on_logon(true)
            .reply_to_orders(false)
            .arguments(Path::new("/tmp/x"))
            .expect("supported");
        let joined = args.join(" ");
        assert!(joined.contains("--begin-string FIX.4.2"), "{joined}");
        assert!(!joined.contains("--default-appl-ver-id"), "{joined}");
        assert!(joined.contains("--host 127.0.0.1 --port 4321"), "{joined}");
        assert!(joined.contains("--reset-on-logon"), "{joined}");
        assert!(joined.contains("--no-reply"), "{joined}");
    }

    #[test]
    fn versions_without_an_execution_report_template_are_refused() {
        let result =
            PeerConfig::acceptor(FixVersion::Fix40, "QF", "US").arguments(Path::new("/tmp"));
        assert!(matches!(result, Err(PeerError::Unsupported(_))));
    }

    #[test]
    fn events_expose_message_fields() {
        let json: Value = serde_json::from_str(
            r#"{"event":"app_in","msg_type":"D","seq":7,"poss_dup":true,
                "fields":{"11":"A-1","43":"Y"},"raw":"8=FIX.4.4|35=D|"}"#,
        )
        .expect("json");
        let event = PeerEvent { json };
        assert!(event.is_message("app_in", "D"));
        assert_eq!(event.seq(), Some(7));
        assert!(event.poss_dup());
        assert_eq!(event.field(11), Some("A-1"));
        assert_eq!(event.field(58), None);
        assert_eq!(event.raw(), Some("8=FIX.4.4|35=D|"));
    }

    #[test]
    fn the_peer_script_and_venv_paths_are_under_the_repository() {
        assert!(peer_script().is_file(), "{}", peer_script().display());
        assert!(venv_python().starts_with(repository_root()));
    }
}
