//! `fixctl initiator` and `fixctl acceptor`: FIX sessions from a
//! QuickFIX-style settings file, driven from a terminal or a script.
//!
//! Every session of the file with the chosen ConnectionType is created on
//! one engine (over TLS when it says SocketUseSSL=Y); initiators connect.
//! State changes and received messages are printed as they happen, one
//! line each (`-v` adds every field). Lines read from the input are
//! messages to send, in the form of [`crate::human`]
//! (`35=D|55=EUR/USD|54=1|38=100|40=1`), or commands:
//!
//! | line | effect |
//! | --- | --- |
//! | `q`, `quit`, `exit`, end of input, Ctrl-C | log out every session and exit |
//! | `@<n> <message>` or `@<TargetCompID> <message>` | send to one of several sessions |
//! | `:wait logon [secs]` | hold further input until every session is logged on |
//! | `:wait logout [secs]` | hold further input until every session logged out |
//! | `:expect <MsgType> [secs]` | hold further input until a message of that type arrives |
//! | `:sleep <ms>` | hold further input for a while |
//! | `# ...` | a comment |
//!
//! A `:wait` or `:expect` that times out ends the program with an error,
//! which makes scripts that check a counterparty's answers possible.
//!
//! Without `retry`, an initiator that cannot connect to any of its
//! addresses, or whose first Logon fails, ends the program with an error
//! naming the addresses (and the counterparty's reason, when its Logout
//! gave one); with it, the session keeps trying as Reconnect.Interval and
//! Reconnect.MaxTries say. The end of input (or `q`) while a first Logon is
//! still under way waits for its outcome before logging out, so that
//! `fixctl initiator -c FILE </dev/null` is a reliable connectivity check.
//!
//! Acceptors print one line per refused connection (unknown CompIDs, wrong
//! BeginString, duplicate Logon, garbage, TLS failure), with the peer's
//! address and the reason; at most [`REFUSALS_SHOWN`] per
//! [`REFUSAL_WINDOW`], then a count of those not shown. With `echo`, each
//! NewOrderSingle is answered with an ExecutionReport ([`crate::echo`]).

use crate::decode::decode_message;
use crate::human::parse_message;
use crate::summary::summarize_with;
use fixrs_proto::dictionary::{Dictionary, DictionaryError};
use fixrs_proto::{Encoder, FieldIndex, FieldWriter, Message, MessageBuilder, UtcTimestamp};
use fixrs_session::settings::{DictionaryLoader, Settings, SettingsError, SettingsWarning};
use fixrs_session::{Role, SessionDictionary, SessionState};
use fixrs_transport_mio::settings::{Endpoint, SessionSettings};
use fixrs_transport_mio::{
    AdminRejection, Application, EngineError, EngineSettings, FixEngine, LinkError, OwnedMessage,
    RefusalHook, Rejection, SessionHandle,
};
use fixrs_transport_tls::SetupError;
use std::collections::VecDeque;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// Which sessions of the settings file to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The initiator sessions (ConnectionType=initiator).
    Initiator,
    /// The acceptor sessions (ConnectionType=acceptor).
    Acceptor,
}

impl Mode {
    fn role(self) -> Role {
        match self {
            Mode::Initiator => Role::Initiator,
            Mode::Acceptor => Role::Acceptor,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Initiator => "initiator",
            Mode::Acceptor => "acceptor",
        }
    }
}

/// Options of [`run`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The settings file.
    pub config: PathBuf,
    /// Initiator or acceptor sessions.
    pub mode: Mode,
    /// Print every field of received messages, and the engine's own log.
    pub verbose: bool,
    /// Keep reconnecting after a failed first connection instead of
    /// exiting.
    pub retry: bool,
    /// Answer each NewOrderSingle with an ExecutionReport.
    pub echo: bool,
}

/// Why `fixctl initiator` or `fixctl acceptor` stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The settings file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The settings file is wrong (the error names the line and key).
    #[error("{path}: {source}")]
    Settings {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: SettingsError,
    },
    /// The settings file has no session of the kind asked for.
    #[error("{path}: no session with ConnectionType={mode}")]
    NoSessions {
        /// The file.
        path: PathBuf,
        /// `initiator` or `acceptor`.
        mode: &'static str,
    },
    /// A data dictionary named by the settings could not be loaded.
    #[error("{path}: session at line {line}: {source}")]
    Dictionary {
        /// The settings file.
        path: PathBuf,
        /// The line of the session.
        line: usize,
        /// The cause.
        source: DictionaryError,
    },
    /// A session could not be created (TLS files, listening port ...).
    #[error("{path}: {source}")]
    Setup {
        /// The settings file.
        path: PathBuf,
        /// The cause, with the session's line.
        source: SetupError,
    },
    /// The engine failed.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// An initiator could not connect to any of its addresses.
    #[error("cannot connect to {addresses}: {reason}")]
    Connect {
        /// The addresses tried.
        addresses: String,
        /// Why (connection refused, timed out ...).
        reason: String,
    },
    /// An initiator connected but its Logon was not accepted.
    #[error("logon to {addresses} failed: {reason}")]
    Logon {
        /// The addresses.
        addresses: String,
        /// Why.
        reason: String,
    },
    /// A `:wait` or `:expect` line of the input timed out.
    #[error("{0}")]
    Script(String),
    /// The terminal failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// A settings file's sessions of one kind, ready to run.
#[derive(Debug)]
pub struct LoadedSettings {
    /// The sessions, with their data dictionaries loaded.
    pub sessions: Vec<SessionSettings>,
    /// What to show about the file (QuickFIX keys without effect, data
    /// dictionary keys a session does not read).
    pub warnings: Vec<SettingsWarning>,
}

/// Reads and parses a settings file (every key checked against every
/// layer's), keeping the sessions of `mode`, and loads their data
/// dictionaries (a file that cannot be used is an error naming it and its
/// key).
pub fn load_settings(path: &Path, mode: Mode) -> Result<LoadedSettings, RunError> {
    let text = std::fs::read_to_string(path).map_err(|source| RunError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let settings_error = |source| RunError::Settings {
        path: path.to_path_buf(),
        source,
    };
    let settings = Settings::parse(&text).map_err(settings_error)?;
    let mut sessions =
        fixrs_transport_tls::settings::read_settings(&settings).map_err(settings_error)?;
    let warnings = fixrs_transport_mio::settings::warnings(&settings, &sessions);
    sessions.retain(|s| s.config.role == mode.role());
    if sessions.is_empty() {
        return Err(RunError::NoSessions {
            path: path.to_path_buf(),
            mode: mode.name(),
        });
    }
    let mut loader = DictionaryLoader::new();
    for s in &mut sessions {
        s.load_dictionaries(&mut loader, &mut |file| std::fs::read_to_string(file))
            .map_err(settings_error)?;
    }
    Ok(LoadedSettings { sessions, warnings })
}

/// The dictionary that names a session's fields when it validates
/// nothing (UseDataDictionary=N): the files its settings give, else the
/// built-in one of its version.
pub fn session_dictionary(s: &SessionSettings) -> Result<Option<Dictionary>, DictionaryError> {
    let d = &s.dictionaries;
    if let Some(path) = &d.data_dictionary {
        return Dictionary::from_file(path).map(Some);
    }
    match (&d.transport_data_dictionary, &d.app_data_dictionary) {
        (None, None) => Ok(None),
        (t, a) => {
            let transport = match t {
                Some(p) => Dictionary::from_file(p)?,
                None => Dictionary::fixt11().clone(),
            };
            let app = match a {
                Some(p) => Dictionary::from_file(p)?,
                None => Dictionary::builtin_application(s.config.version).clone(),
            };
            Ok(Some(Dictionary::combine(&transport, &app)))
        }
    }
}

/// Something that happened, for the console's one loop.
#[derive(Debug)]
pub enum ConsoleEvent {
    /// A line of input.
    Line(String),
    /// The input ended.
    Eof,
    /// Ctrl-C.
    Interrupt,
    /// A session reported something.
    Session(usize, SessionEvent),
    /// A session created from an acceptor template (AcceptorTemplate=Y,
    /// by its position among the file's templates) reported something.
    FromTemplate(usize, SessionHandle, SessionEvent),
    /// The engine logged something.
    Log(log::Level, String),
    /// The engine refused a connection (the line to show).
    Refused(String),
}

/// What a session reported.
#[derive(Debug)]
pub enum SessionEvent {
    /// State change.
    State(SessionState, SessionState),
    /// Logged on.
    LoggedOn,
    /// Logged out, with the Logout's text.
    LoggedOut(Option<String>),
    /// An application message arrived.
    App(OwnedMessage),
    /// A session-level message arrived.
    Admin(OwnedMessage),
    /// We rejected a message.
    Rejected(String),
    /// A message we put will not be delivered.
    Undelivered(String),
    /// An error.
    Error(String),
    /// A connection attempt failed or the counterparty closed the link:
    /// why, for the message a failed first Logon ends with.
    LinkFailed(String),
    /// The echo answered an order with this ExecutionReport.
    Echoed(MessageBuilder),
}

/// The channel every input of the console arrives on.
#[derive(Debug)]
pub struct Console {
    tx: Sender<ConsoleEvent>,
    rx: Receiver<ConsoleEvent>,
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}

impl Console {
    /// A new console channel.
    pub fn new() -> Console {
        let (tx, rx) = mpsc::channel();
        Console { tx, rx }
    }

    /// A function that makes the console log out and exit, as Ctrl-C
    /// does; for a signal handler.
    pub fn interrupter(&self) -> impl Fn() + Send + 'static {
        let tx = self.tx.clone();
        move || {
            let _ = tx.send(ConsoleEvent::Interrupt);
        }
    }
}

/// Engine log lines go to the console that is running, if any.
static LOG_SINK: OnceLock<Mutex<Option<Sender<ConsoleEvent>>>> = OnceLock::new();

struct ConsoleLogger;

impl log::Log for ConsoleLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info && metadata.target().starts_with("fix")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if let Some(Ok(sink)) = LOG_SINK.get().map(|s| s.lock()) {
            if let Some(tx) = sink.as_ref() {
                let _ = tx.send(ConsoleEvent::Log(record.level(), record.args().to_string()));
            }
        }
    }

    fn flush(&self) {}
}

fn install_logger(tx: Sender<ConsoleEvent>) {
    let sink = LOG_SINK.get_or_init(|| Mutex::new(None));
    if let Ok(mut s) = sink.lock() {
        *s = Some(tx);
    }
    static LOGGER: ConsoleLogger = ConsoleLogger;
    // Fails only if a logger is already installed (a second run in one
    // process): the sink above was replaced, which is all that matters.
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

fn remove_logger() {
    if let Some(Ok(mut s)) = LOG_SINK.get().map(|s| s.lock()) {
        *s = None;
    }
}

/// The application of each session: forwards everything to the console.
struct ConsoleApp {
    of: AppOf,
    tx: Sender<ConsoleEvent>,
    echo: Option<Echo>,
}

/// Whose application a [`ConsoleApp`] is.
#[derive(Debug, Clone, Copy)]
enum AppOf {
    /// The session at this index of the runner's entries.
    Session(usize),
    /// The sessions created from the template at this index.
    Template(usize),
}

/// What answering orders needs: the session's dictionary (which fields an
/// ExecutionReport has in its version) and a counter for the IDs.
struct Echo {
    dictionary: SessionDictionary,
    count: u64,
    report: MessageBuilder,
}

impl ConsoleApp {
    fn send(&self, session: &SessionHandle, e: SessionEvent) {
        let event = match self.of {
            AppOf::Session(idx) => ConsoleEvent::Session(idx, e),
            AppOf::Template(t) => ConsoleEvent::FromTemplate(t, session.clone_handle(), e),
        };
        let _ = self.tx.send(event);
    }
}

impl Application for ConsoleApp {
    fn on_logon(&mut self, session: &SessionHandle) {
        self.send(session, SessionEvent::LoggedOn);
    }

    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        self.send(session, SessionEvent::LoggedOut(text.map(str::to_string)));
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        self.send(
            session,
            SessionEvent::App(OwnedMessage::from_message(message)),
        );
        if let Some(echo) = &mut self.echo {
            if message.msg_type() == crate::echo::NEW_ORDER_SINGLE {
                echo.count += 1;
                crate::echo::execution_report(
                    message,
                    &echo.dictionary,
                    echo.count,
                    &mut echo.report,
                );
                // Put from the callback: the report leaves right after it.
                let event = match session.put(&echo.report) {
                    Ok(()) => SessionEvent::Echoed(echo.report.clone()),
                    Err(e) => SessionEvent::Error(format!("echo not sent: {e}")),
                };
                self.send(session, event);
            }
        }
    }

    fn on_state_change(&mut self, session: &SessionHandle, from: SessionState, to: SessionState) {
        self.send(session, SessionEvent::State(from, to));
    }

    fn on_reject(&mut self, session: &SessionHandle, rejection: &Rejection<'_>) {
        // What the Reject said, and the message itself: a rejected message
        // is shown, not lost.
        let mut said = Vec::new();
        if let Some(seq) = rejection.ref_seq_num {
            said.push(format!("MsgSeqNum {seq}"));
        }
        if let Some(reason) = rejection.reason {
            said.push(format!("SessionRejectReason {}", reason.code()));
        }
        if let Some(reason) = rejection.business_reason {
            said.push(format!("BusinessRejectReason {}", reason.code()));
        }
        if let Some(t) = rejection.ref_tag_id {
            said.push(format!("RefTagID {t}"));
        }
        self.send(
            session,
            SessionEvent::Rejected(format!(
                "{} ({}): {}",
                rejection.text,
                said.join(", "),
                crate::text::escape_frame(rejection.bytes, 1000)
            )),
        );
    }

    fn on_undelivered(
        &mut self,
        session: &SessionHandle,
        message: MessageBuilder,
        reason: fixrs_session::UndeliveredReason,
    ) {
        self.send(
            session,
            SessionEvent::Undelivered(format!(
                "MsgType {} not delivered: {reason:?}",
                String::from_utf8_lossy(message.msg_type())
            )),
        );
    }

    fn on_error(&mut self, session: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        let event = match error.downcast_ref::<LinkError>() {
            Some(LinkError::Connect { source, .. }) => SessionEvent::LinkFailed(source.to_string()),
            Some(
                e @ (LinkError::Resolve { .. }
                | LinkError::ConnectTimeout { .. }
                | LinkError::PeerClosed),
            ) => SessionEvent::LinkFailed(e.to_string()),
            _ => SessionEvent::Error(error.to_string()),
        };
        self.send(session, event);
    }

    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        self.send(
            session,
            SessionEvent::Admin(OwnedMessage::from_message(message)),
        );
        Ok(())
    }
}

/// An acceptor template (AcceptorTemplate=Y) of the settings file.
struct Template {
    settings: SessionSettings,
    dictionary: Option<SessionDictionary>,
}

/// One session as the console sees it.
struct Entry {
    handle: SessionHandle,
    settings: SessionSettings,
    dictionary: Option<SessionDictionary>,
    label: String,
    established: bool,
    connect_failures: usize,
    /// Why the link last failed (connect error, broken link, session
    /// error).
    last_error: Option<String>,
    /// The counterparty's Logout refusing our Logon: its Text(58), if any.
    refusal: Option<Option<String>>,
    /// The counterparty's Logout of the exchange under way: its Text(58),
    /// if any.
    peer_logout: Option<Option<String>>,
    /// The state as of the last state change shown (the handle's may be
    /// ahead of the events not yet shown).
    shown_state: SessionState,
}

impl Entry {
    fn new(
        handle: SessionHandle,
        settings: SessionSettings,
        dictionary: Option<SessionDictionary>,
    ) -> Entry {
        Entry {
            label: handle.key().to_string(),
            handle,
            settings,
            dictionary,
            established: false,
            connect_failures: 0,
            last_error: None,
            refusal: None,
            peer_logout: None,
            shown_state: SessionState::Initial,
        }
    }

    fn dict(&self) -> &Dictionary {
        self.dictionary
            .as_deref()
            .unwrap_or_else(|| Dictionary::builtin(self.settings.config.version))
    }

    fn addresses(&self) -> Vec<String> {
        match &self.settings.endpoint {
            Endpoint::Connect(a) => a.iter().map(|a| a.to_string()).collect(),
            Endpoint::Accept(a) => vec![a.to_string()],
        }
    }
}

/// What the input is waiting for before the next line is taken.
#[derive(Debug)]
enum Wait {
    Logon,
    Logout,
    Message(String),
    Sleep,
}

struct Pending {
    wait: Wait,
    until: Instant,
    what: String,
}

/// Refused connections shown per [`REFUSAL_WINDOW`]; more are counted and
/// the count shown when the window ends, so that a flood of connections
/// cannot drown the console.
pub const REFUSALS_SHOWN: u32 = 10;

/// See [`REFUSALS_SHOWN`].
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(10);

/// Counts refused connections shown in the current window.
#[derive(Debug, Default)]
struct RefusalLimiter {
    window_start: Option<Instant>,
    shown: u32,
    hidden: u64,
}

impl RefusalLimiter {
    /// Whether a refusal at `now` is shown (else it is counted).
    fn admit(&mut self, now: Instant) -> bool {
        match self.window_start {
            Some(start) if now < start + REFUSAL_WINDOW => {}
            _ => {
                self.window_start = Some(now);
                self.shown = 0;
            }
        }
        if self.shown < REFUSALS_SHOWN {
            self.shown += 1;
            true
        } else {
            self.hidden += 1;
            false
        }
    }

    /// When the count of refusals not shown is due.
    fn summary_due(&self) -> Option<Instant> {
        match self.window_start {
            Some(start) if self.hidden > 0 => Some(start + REFUSAL_WINDOW),
            _ => None,
        }
    }

    /// The count of refusals not shown, once due.
    fn take_summary(&mut self, now: Instant) -> Option<u64> {
        if self.summary_due().is_some_and(|due| now >= due) {
            return Some(std::mem::take(&mut self.hidden));
        }
        None
    }
}

/// Runs the sessions of `options.config` until the input says to stop.
/// Lines come from `input` (read on a thread of its own), output goes to
/// `out`.
pub fn run(
    options: &RunOptions,
    console: Console,
    input: impl BufRead + Send + 'static,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let settings = load_settings(&options.config, options.mode)?;
    let path = options.config.clone();
    for warning in &settings.warnings {
        writeln!(out, "warning: {}: {warning}", path.display())?;
    }
    let sessions = settings.sessions;
    let mut dictionaries = Vec::with_capacity(sessions.len());
    for s in &sessions {
        // The session's own dictionary names fields too; one that
        // validates nothing still may.
        let d = match &s.dictionary {
            Some(d) => Some(d.clone()),
            None => session_dictionary(s)
                .map_err(|source| RunError::Dictionary {
                    path: path.clone(),
                    line: s.line,
                    source,
                })?
                .map(SessionDictionary::from),
        };
        dictionaries.push(d);
    }
    let Console { tx, rx } = console;
    install_logger(tx.clone());
    let result = (|| {
        let refusals = tx.clone();
        let engine = FixEngine::new(
            EngineSettings::default()
                .with_thread_name(format!("fixctl-{}", options.mode.name()))
                .with_on_refused(RefusalHook::new(move |refused| {
                    let _ = refusals.send(ConsoleEvent::Refused(refused.to_string()));
                })),
        )?;
        let mut entries = Vec::with_capacity(sessions.len());
        let mut templates = Vec::new();
        for (s, dictionary) in sessions.into_iter().zip(dictionaries) {
            let echo = options.echo.then(|| Echo {
                dictionary: match &dictionary {
                    Some(d) => d.clone(),
                    None => SessionDictionary::Static(Dictionary::builtin(s.config.version)),
                },
                count: 0,
                report: MessageBuilder::default(),
            });
            let setup = |source| RunError::Setup {
                path: path.clone(),
                source,
            };
            if s.acceptor_template {
                let app = ConsoleApp {
                    of: AppOf::Template(templates.len()),
                    tx: tx.clone(),
                    echo,
                };
                let factory = fixrs_transport_tls::factory_from_settings(&s)
                    .map_err(setup)?
                    .unwrap_or_else(|| std::sync::Arc::new(fixrs_transport_mio::PlainTcp));
                engine
                    .add_template_from_settings_with(&s, factory, app)
                    .map_err(|source| {
                        setup(fixrs_transport_tls::SetupError::Engine {
                            line: s.line,
                            source,
                        })
                    })?;
                templates.push(Template {
                    settings: s,
                    dictionary,
                });
                continue;
            }
            let app = ConsoleApp {
                of: AppOf::Session(entries.len()),
                tx: tx.clone(),
                echo,
            };
            let handle =
                fixrs_transport_tls::create_from_settings(&engine, &s, app).map_err(setup)?;
            entries.push(Entry::new(handle, s, dictionary));
        }
        // Decode the built-in dictionaries now rather than on the first
        // message, where it would delay the first lines shown.
        for e in &entries {
            let _ = e.dict();
        }
        let mut console = Runner {
            options,
            entries,
            templates,
            out,
            index: FieldIndex::new(),
            pending: None,
            held: VecDeque::new(),
            stopping: false,
            quitting: false,
            refusals: RefusalLimiter::default(),
        };
        console.start(&engine)?;
        spawn_reader(input, tx.clone());
        let outcome = console.event_loop(&rx);
        let shutdown = console.shutdown(&rx);
        engine.stop();
        outcome.and(shutdown)
    })();
    remove_logger();
    result
}

fn spawn_reader(input: impl BufRead + Send + 'static, tx: Sender<ConsoleEvent>) {
    // The thread blocks on the input; at exit it is left to end with the
    // process (stdin cannot be interrupted portably).
    let _ = std::thread::Builder::new()
        .name("fixctl-input".into())
        .spawn(move || {
            for line in input.lines() {
                match line {
                    Ok(l) => {
                        if tx.send(ConsoleEvent::Line(l)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(ConsoleEvent::Eof);
        });
}

struct Runner<'a> {
    options: &'a RunOptions,
    entries: Vec<Entry>,
    /// The file's acceptor templates, whose sessions join `entries` when
    /// they first report.
    templates: Vec<Template>,
    out: &'a mut dyn Write,
    index: FieldIndex,
    pending: Option<Pending>,
    held: VecDeque<String>,
    stopping: bool,
    /// The input ended (or said `q`) while a first Logon was under way:
    /// stop once it is decided.
    quitting: bool,
    refusals: RefusalLimiter,
}

fn now_text() -> String {
    let utc = UtcTimestamp::from(SystemTime::now());
    let secs = utc.seconds_of_day();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        utc.subsec_nanos() / 1_000_000
    )
}

/// The outcome of handling one event.
enum Step {
    Continue,
    Quit,
}

impl Runner<'_> {
    fn say(&mut self, who: &str, what: &str) -> io::Result<()> {
        writeln!(self.out, "{} {who} {what}", now_text())?;
        self.out.flush()
    }

    fn start(&mut self, engine: &FixEngine) -> Result<(), RunError> {
        for i in 0..self.entries.len() {
            let e = &self.entries[i];
            let what = match self.options.mode {
                Mode::Initiator => format!("connecting to {}", e.addresses().join(", ")),
                Mode::Acceptor => "waiting for a Logon".to_string(),
            };
            let label = e.label.clone();
            if self.options.mode == Mode::Initiator {
                e.handle.connect_configured()?;
            }
            self.say(&label, &what)?;
        }
        if self.options.mode == Mode::Acceptor {
            let addrs: Vec<String> = engine
                .listen_addresses()
                .iter()
                .map(|a| a.to_string())
                .collect();
            self.say("fixctl", &format!("listening on {}", addrs.join(", ")))?;
        }
        Ok(())
    }

    fn event_loop(&mut self, rx: &Receiver<ConsoleEvent>) -> Result<(), RunError> {
        loop {
            let deadline = match (&self.pending, self.refusals.summary_due()) {
                (Some(p), Some(d)) => Some(p.until.min(d)),
                (Some(p), None) => Some(p.until),
                (None, d) => d,
            };
            let event = match deadline {
                Some(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(e) => Some(e),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
                None => match rx.recv() {
                    Ok(e) => Some(e),
                    Err(_) => return Ok(()),
                },
            };
            match event {
                None => {
                    let now = Instant::now();
                    self.refusal_summary(now)?;
                    // The wait's time is up.
                    if self.pending.as_ref().is_some_and(|p| p.until <= now) {
                        if let Some(p) = self.pending.take() {
                            if !matches!(p.wait, Wait::Sleep) {
                                return Err(RunError::Script(format!("timed out {}", p.what)));
                            }
                        }
                    }
                }
                Some(ConsoleEvent::Line(line)) => self.held.push_back(line),
                Some(ConsoleEvent::Eof) => self.held.push_back("q".into()),
                Some(ConsoleEvent::Interrupt) => {
                    self.say("fixctl", "interrupted: logging out")?;
                    return Ok(());
                }
                Some(ConsoleEvent::Log(level, text)) => self.log_line(level, text)?,
                Some(ConsoleEvent::Refused(text)) => self.refused(&text)?,
                Some(ConsoleEvent::Session(idx, e)) => self.session_event(idx, e)?,
                Some(ConsoleEvent::FromTemplate(t, handle, e)) => {
                    self.template_event(t, handle, e)?
                }
            }
            self.check_wait();
            if self.quitting {
                if !self.first_logon_pending() {
                    return Ok(());
                }
                continue;
            }
            while self.pending.is_none() {
                let Some(line) = self.held.pop_front() else {
                    break;
                };
                if let Step::Quit = self.input_line(&line)? {
                    if self.first_logon_pending() {
                        // Exiting now would hide whether the Logon works:
                        // the connect failure may be a moment away.
                        self.quitting = true;
                        self.say(
                            "fixctl",
                            "waiting for the first Logon before logging out (Ctrl-C stops now)",
                        )?;
                        break;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Whether an initiator's first connection or Logon is still under way
    /// (as far as the events shown so far tell; without `retry` its
    /// failure ends the program).
    fn first_logon_pending(&self) -> bool {
        if self.options.mode != Mode::Initiator || self.options.retry {
            return false;
        }
        self.entries.iter().any(|e| {
            !e.established
                && match e.shown_state {
                    SessionState::Initial
                    | SessionState::WaitForConnect
                    | SessionState::WaitForConfirmLogon => true,
                    // Between two addresses of the first attempt.
                    SessionState::Reconnect => e.connect_failures > 0,
                    _ => false,
                }
        })
    }

    /// Shows a refused connection, unless too many were shown lately.
    fn refused(&mut self, text: &str) -> io::Result<()> {
        let now = Instant::now();
        self.refusal_summary(now)?;
        if self.refusals.admit(now) {
            self.say("fixctl", text)?;
        }
        Ok(())
    }

    /// Says how many refused connections were not shown, once their
    /// window is over.
    fn refusal_summary(&mut self, now: Instant) -> io::Result<()> {
        if let Some(hidden) = self.refusals.take_summary(now) {
            self.say(
                "fixctl",
                &format!("{hidden} more refused connections not shown"),
            )?;
        }
        Ok(())
    }

    fn check_wait(&mut self) {
        let done = match &self.pending {
            None => return,
            Some(p) => match &p.wait {
                Wait::Logon => self
                    .entries
                    .iter()
                    .all(|e| e.handle.state() == SessionState::Established),
                Wait::Logout => self.entries.iter().all(|e| {
                    e.established && e.handle.state() != SessionState::Established
                        || e.handle.state().is_terminated()
                }),
                Wait::Message(_) | Wait::Sleep => false,
            },
        };
        if done {
            self.pending = None;
        }
    }

    fn log_line(&mut self, level: log::Level, text: String) -> io::Result<()> {
        if self.options.verbose || level <= log::Level::Warn {
            self.say("engine", &text)?;
        }
        Ok(())
    }

    /// An event of a session created from template `t`: the session
    /// becomes an entry (numbered after the others) the first time.
    fn template_event(
        &mut self,
        t: usize,
        handle: SessionHandle,
        event: SessionEvent,
    ) -> Result<(), RunError> {
        let label = handle.key().to_string();
        let idx = match self.entries.iter().position(|e| e.label == label) {
            Some(idx) => idx,
            None => {
                let Some(template) = self.templates.get(t) else {
                    return Ok(());
                };
                let line = template.settings.line;
                self.entries.push(Entry::new(
                    handle,
                    template.settings.clone(),
                    template.dictionary.clone(),
                ));
                let n = self.entries.len();
                self.say(
                    &label,
                    &format!("created from the template at line {line} (session @{n})"),
                )?;
                n - 1
            }
        };
        self.session_event(idx, event)
    }

    fn session_event(&mut self, idx: usize, event: SessionEvent) -> Result<(), RunError> {
        let Some(e) = self.entries.get(idx) else {
            return Ok(());
        };
        let label = e.label.clone();
        match event {
            SessionEvent::State(from, to) => {
                if let Some(e) = self.entries.get_mut(idx) {
                    e.shown_state = to;
                }
                self.say(&label, &format!("state {} -> {}", from.name(), to.name()))?;
                self.state_change(idx, from, to)?;
            }
            SessionEvent::LoggedOn => {
                if let Some(e) = self.entries.get_mut(idx) {
                    e.established = true;
                    e.connect_failures = 0;
                    e.refusal = None;
                }
                self.say(&label, "logged on")?;
            }
            SessionEvent::LoggedOut(_) => {
                // Only the counterparty's own Text is shown as its reason:
                // the event's text may be the one of our Logout.
                let peer = self.entries.get_mut(idx).and_then(|e| e.peer_logout.take());
                let what = match peer {
                    Some(Some(t)) => {
                        format!("logged out: {}", crate::text::escape(t.as_bytes(), 200))
                    }
                    _ => "logged out".into(),
                };
                self.say(&label, &what)?;
            }
            SessionEvent::Admin(m) => {
                if m.msg_type() == fixrs_proto::tag::msg_type::LOGOUT {
                    let text = m
                        .get(fixrs_proto::tag::TEXT)
                        .map(|t| String::from_utf8_lossy(t).into_owned());
                    if let Some(e) = self.entries.get_mut(idx) {
                        if !e.established {
                            e.refusal = Some(text.clone());
                        }
                        e.peer_logout = Some(text);
                    }
                }
                self.received(idx, &m)?
            }
            SessionEvent::App(m) => self.received(idx, &m)?,
            SessionEvent::Echoed(report) => {
                let summary = self
                    .entries
                    .get(idx)
                    .map(|e| preview(&report, e))
                    .unwrap_or_default();
                self.say(&label, &format!(">> {summary} (echo)"))?;
            }
            SessionEvent::Rejected(text) => {
                self.say(&label, &format!("rejected an incoming message: {text}"))?
            }
            SessionEvent::Undelivered(text) => self.say(&label, &text)?,
            SessionEvent::Error(text) => {
                if let Some(e) = self.entries.get_mut(idx) {
                    e.last_error = Some(text.clone());
                }
                self.say(&label, &format!("error: {text}"))?;
            }
            SessionEvent::LinkFailed(text) => {
                // Shown with the engine's log (-v), and as the reason if the
                // first Logon fails.
                if let Some(e) = self.entries.get_mut(idx) {
                    e.last_error = Some(text);
                }
            }
        }
        Ok(())
    }

    fn state_change(
        &mut self,
        idx: usize,
        from: SessionState,
        to: SessionState,
    ) -> Result<(), RunError> {
        if self.stopping || self.options.retry || self.options.mode != Mode::Initiator {
            return Ok(());
        }
        let Some(e) = self.entries.get_mut(idx) else {
            return Ok(());
        };
        if e.established
            || !matches!(
                to,
                SessionState::Reconnect | SessionState::NonGracefullyTerminated
            )
        {
            return Ok(());
        }
        let addresses = e.addresses().join(", ");
        let reason = e
            .last_error
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        match from {
            SessionState::WaitForConnect => {
                e.connect_failures += 1;
                if e.connect_failures >= e.addresses().len() {
                    return Err(RunError::Connect { addresses, reason });
                }
            }
            SessionState::WaitForConfirmLogon => {
                let reason = match e.refusal.take() {
                    Some(Some(text)) => format!("the counterparty logged out: {text}"),
                    Some(None) => "the counterparty logged out without giving a reason".into(),
                    None => reason,
                };
                return Err(RunError::Logon { addresses, reason });
            }
            _ => {}
        }
        Ok(())
    }

    fn received(&mut self, idx: usize, m: &OwnedMessage) -> Result<(), RunError> {
        let Some(e) = self.entries.get(idx) else {
            return Ok(());
        };
        let (summary, detail) = match self.index.parse(m.as_bytes()) {
            Ok(msg) => {
                let summary = summarize_with(&msg, e.dict());
                let detail = self
                    .options
                    .verbose
                    .then(|| crate::decode::fields_text(&decode_message(&msg, e.dict())));
                (summary, detail)
            }
            Err(err) => (format!("unreadable message: {err}"), None),
        };
        let label = e.label.clone();
        let expected = match &self.pending {
            Some(Pending {
                wait: Wait::Message(t),
                ..
            }) => m.msg_type() == t.as_bytes(),
            _ => false,
        };
        self.say(&label, &format!("<< {summary}"))?;
        if let Some(d) = detail {
            write!(self.out, "{d}")?;
        }
        if expected {
            self.pending = None;
        }
        Ok(())
    }

    fn input_line(&mut self, line: &str) -> Result<Step, RunError> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Step::Continue);
        }
        if matches!(line, "q" | "quit" | "exit") {
            return Ok(Step::Quit);
        }
        if let Some(command) = line.strip_prefix(':') {
            self.command(command)?;
            return Ok(Step::Continue);
        }
        let (target, text) = match line.strip_prefix('@') {
            Some(rest) => match rest.split_once(char::is_whitespace) {
                Some((t, m)) => (Some(t), m),
                None => {
                    self.say("fixctl", "error: @<session> must be followed by a message")?;
                    return Ok(Step::Continue);
                }
            },
            None => (None, line),
        };
        let idx = match self.pick(target) {
            Ok(i) => i,
            Err(msg) => {
                self.say("fixctl", &format!("error: {msg}"))?;
                return Ok(Step::Continue);
            }
        };
        let e = &self.entries[idx];
        match parse_message(text, Some(e.dict())) {
            Err(err) => self.say("fixctl", &format!("error: not sent: {err}"))?,
            Ok(msg) => {
                let summary = preview(&msg, e);
                let state = e.handle.state();
                let label = e.label.clone();
                match e.handle.put(&msg) {
                    Ok(()) if state == SessionState::Established => {
                        self.say(&label, &format!(">> {summary}"))?
                    }
                    Ok(()) => self.say(
                        &label,
                        &format!(">> {summary} (queued: the session is {})", state.name()),
                    )?,
                    Err(err) => self.say(&label, &format!("error: not sent: {err}"))?,
                }
            }
        }
        Ok(Step::Continue)
    }

    fn pick(&self, target: Option<&str>) -> Result<usize, String> {
        match target {
            None if self.entries.len() == 1 => Ok(0),
            None => Err(format!(
                "{} sessions: start the line with @<n> or @<TargetCompID>",
                self.entries.len()
            )),
            Some(t) => {
                if let Ok(n) = t.parse::<usize>() {
                    if (1..=self.entries.len()).contains(&n) {
                        return Ok(n - 1);
                    }
                }
                self.entries
                    .iter()
                    .position(|e| e.settings.config.id.target_comp_id == t)
                    .ok_or_else(|| format!("no session @{t}"))
            }
        }
    }

    fn command(&mut self, command: &str) -> Result<(), RunError> {
        let words: Vec<&str> = command.split_whitespace().collect();
        let secs = |i: usize| -> Result<Duration, RunError> {
            match words.get(i) {
                None => Ok(Duration::from_secs(30)),
                Some(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| {
                        RunError::Script(format!("bad number of seconds {s:?} in :{command}"))
                    }),
            }
        };
        let (wait, timeout, what) = match words.as_slice() {
            ["wait", "logon", ..] => (Wait::Logon, secs(2)?, "waiting for the Logon".to_string()),
            ["wait", "logout", ..] => {
                (Wait::Logout, secs(2)?, "waiting for the Logout".to_string())
            }
            ["expect", t, ..] => (
                Wait::Message(t.to_string()),
                secs(2)?,
                format!("waiting for a message of type {t}"),
            ),
            ["sleep", ms] => {
                let ms: u64 = ms.parse().map_err(|_| {
                    RunError::Script(format!("bad milliseconds {ms:?} in :{command}"))
                })?;
                (
                    Wait::Sleep,
                    Duration::from_millis(ms),
                    "sleeping".to_string(),
                )
            }
            _ => {
                self.say(
                    "fixctl",
                    &format!("error: unknown command :{command} (try :wait logon, :wait logout, :expect <MsgType>, :sleep <ms>)"),
                )?;
                return Ok(());
            }
        };
        self.pending = Some(Pending {
            wait,
            until: Instant::now() + timeout,
            what,
        });
        self.check_wait();
        Ok(())
    }

    /// Logs every session out and waits for the Logouts.
    fn shutdown(&mut self, rx: &Receiver<ConsoleEvent>) -> Result<(), RunError> {
        self.stopping = true;
        let mut wait = Duration::from_secs(1);
        for e in &self.entries {
            // A session already stopped reports the engine as stopped:
            // nothing to log out.
            let _ = e.handle.disconnect("fixctl: logging out");
            wait = wait.max(e.settings.config.logout_timeout + Duration::from_secs(1));
        }
        let end = Instant::now() + wait;
        loop {
            let done = self.entries.iter().all(|e| {
                let s = e.handle.state();
                s.is_terminated() || s == SessionState::Initial
            });
            if done {
                break;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(ConsoleEvent::Session(idx, e)) => self.session_event(idx, e)?,
                Ok(ConsoleEvent::FromTemplate(t, handle, e)) => {
                    self.template_event(t, handle, e)?
                }
                Ok(ConsoleEvent::Log(level, text)) => self.log_line(level, text)?,
                Ok(ConsoleEvent::Refused(text)) => self.refused(&text)?,
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // Events already queued (the last state changes) are shown.
        while let Ok(event) = rx.try_recv() {
            match event {
                ConsoleEvent::Session(idx, e) => self.session_event(idx, e)?,
                ConsoleEvent::FromTemplate(t, handle, e) => self.template_event(t, handle, e)?,
                ConsoleEvent::Log(level, text) => self.log_line(level, text)?,
                ConsoleEvent::Refused(text) => self.refused(&text)?,
                _ => {}
            }
        }
        for e in self.entries.drain(..) {
            e.handle.finalize();
        }
        // Refusals not shown yet are counted before exiting.
        self.refusal_summary(Instant::now() + REFUSAL_WINDOW)?;
        Ok(())
    }
}

/// A one-line summary of a message about to be sent.
fn preview(msg: &MessageBuilder, e: &Entry) -> String {
    let config = &e.settings.config;
    let mut enc = Encoder::new();
    enc.start(config.version.begin_string(), msg.msg_type());
    enc.push_str(fixrs_proto::tag::SENDER_COMP_ID, &config.id.sender_comp_id)
        .push_str(fixrs_proto::tag::TARGET_COMP_ID, &config.id.target_comp_id);
    enc.push_raw(msg.header()).push_raw(msg.body());
    let bytes = enc.finish().to_vec();
    let mut index = FieldIndex::new();
    match index.parse(&bytes) {
        Ok(m) => summarize_with(&m, e.dict()),
        Err(_) => String::from_utf8_lossy(msg.msg_type()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_beyond_the_limit_are_counted_and_summed_up_once_the_window_ends() {
        let mut limiter = RefusalLimiter::default();
        let t0 = Instant::now();
        let shown = (0..25).filter(|_| limiter.admit(t0)).count();
        assert_eq!(shown, REFUSALS_SHOWN as usize);
        assert_eq!(limiter.summary_due(), Some(t0 + REFUSAL_WINDOW));
        assert_eq!(limiter.take_summary(t0 + REFUSAL_WINDOW / 2), None);
        assert_eq!(limiter.take_summary(t0 + REFUSAL_WINDOW), Some(15));
        assert_eq!(limiter.take_summary(t0 + REFUSAL_WINDOW), None);
        // A new window shows again.
        assert!(limiter.admit(t0 + REFUSAL_WINDOW));
        assert_eq!(limiter.summary_due(), None);
    }
}
