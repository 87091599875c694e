//! Our engine's side of the interop tests: a [`FixEngine`] hosting one
//! session whose application answers every NewOrderSingle(35=D) with an
//! ExecutionReport(35=8) echoing its ClOrdID(11), and records every event
//! so that a test can wait for one, with a deadline, and check the whole
//! history afterwards. The counterparty is a [`QuickFixPeer`].
//!
//! [`QuickFixPeer`]: crate::quickfix::QuickFixPeer

use fixrs_proto::tag::{CL_ORD_ID, MSG_SEQ_NUM, POSS_DUP_FLAG};
use fixrs_proto::{FieldWriter, FixVersion, Message, MessageBuilder, UtcTimestamp};
use fixrs_session::{SessionConfig, SessionState, UndeliveredReason};
use fixrs_transport_mio::{
    AdminRejection, AppEvent, AppEventKind, Application, ChannelApplication, EngineSettings,
    FixEngine, LogonFields, OwnedMessage, Rejection, SessionHandle, SessionOptions,
};
use fixrs_transport_tls::{TlsClientConfig, TlsServerConfig};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tempfile::TempDir;

/// HandlInst(21).
pub const HANDL_INST: u32 = 21;
/// Symbol(55).
pub const SYMBOL: u32 = 55;
/// Side(54).
pub const SIDE: u32 = 54;
/// TransactTime(60).
pub const TRANSACT_TIME: u32 = 60;
/// OrderQty(38).
pub const ORDER_QTY: u32 = 38;
/// OrdType(40).
pub const ORD_TYPE: u32 = 40;
/// Price(44).
pub const PRICE: u32 = 44;
/// OrderID(37).
pub const ORDER_ID: u32 = 37;
/// ExecID(17).
pub const EXEC_ID: u32 = 17;
/// ExecTransType(20), FIX 4.2 and older.
pub const EXEC_TRANS_TYPE: u32 = 20;
/// ExecType(150).
pub const EXEC_TYPE: u32 = 150;
/// OrdStatus(39).
pub const ORD_STATUS: u32 = 39;
/// LeavesQty(151).
pub const LEAVES_QTY: u32 = 151;
/// CumQty(14).
pub const CUM_QTY: u32 = 14;
/// AvgPx(6).
pub const AVG_PX: u32 = 6;

/// Events kept for the diagnostics of a failure.
const DIAGNOSTIC_EVENTS: usize = 40;

/// Failures of our side of an interop test.
///
/// `Debug` prints the message, with its diagnostics, so that a failing
/// test explains itself.
#[derive(thiserror::Error)]
pub enum InteropError {
    /// The engine refused to start, create the session, listen or connect.
    #[error("engine: {0}")]
    Engine(String),
    /// No matching event arrived in time.
    #[error("no {awaited} on our side within {timeout:?}\n{diagnostics}")]
    Timeout {
        /// What was being waited for.
        awaited: String,
        /// How long it waited.
        timeout: Duration,
        /// Our recent events.
        diagnostics: String,
    },
    /// The engine stopped sending events.
    #[error("our engine's event channel closed while waiting for {awaited}\n{diagnostics}")]
    Closed {
        /// What was being waited for.
        awaited: String,
        /// Our recent events.
        diagnostics: String,
    },
    /// A temp dir could not be made.
    #[error("temp dir: {0}")]
    Io(#[from] std::io::Error),
}

impl std::fmt::Debug for InteropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// What our session's application saw, in order.
#[derive(Debug, Clone)]
pub enum OurEvent {
    /// The session changed state.
    StateChanged {
        /// The state left.
        from: SessionState,
        /// The state entered.
        to: SessionState,
    },
    /// Logon completed.
    LoggedOn,
    /// The session logged out (Text(58) of the Logout, if any).
    LoggedOut(Option<String>),
    /// An application message arrived.
    Message(OwnedMessage),
    /// A session-level message arrived.
    Admin(OwnedMessage),
    /// The session rejected an incoming message.
    Rejected(String),
    /// A message put on the session will not be delivered.
    Undelivered(String),
    /// The session or engine reported an error.
    Error(String),
    /// A connection attempt failed or the link was lost: expected when a
    /// test stops the counterparty, so not a problem by itself.
    LinkFailed(String),
}

impl OurEvent {
    /// The message of a [`Message`](OurEvent::Message) event of this
    /// MsgType.
    pub fn app_message(&self, msg_type: &str) -> Option<&OwnedMessage> {
        match self {
            OurEvent::Message(m) if m.msg_type() == msg_type.as_bytes() => Some(m),
            _ => None,
        }
    }

    /// The message of an [`Admin`](OurEvent::Admin) event of this MsgType.
    pub fn admin_message(&self, msg_type: &str) -> Option<&OwnedMessage> {
        match self {
            OurEvent::Admin(m) if m.msg_type() == msg_type.as_bytes() => Some(m),
            _ => None,
        }
    }
}

fn describe(event: &OurEvent) -> String {
    let message = |kind: &str, m: &OwnedMessage| {
        format!(
            "{kind} {}",
            String::from_utf8_lossy(m.as_bytes()).replace('\x01', "|")
        )
    };
    match event {
        OurEvent::Message(m) => message("app_in", m),
        OurEvent::Admin(m) => message("admin_in", m),
        other => format!("{other:?}"),
    }
}

/// A NewOrderSingle(35=D) valid in FIX.4.2, FIX.4.4 and FIX 5.0 SP2.
pub fn new_order_single(version: FixVersion, cl_ord_id: &str) -> MessageBuilder {
    let mut order = MessageBuilder::new(b"D");
    order.push_str(CL_ORD_ID, cl_ord_id);
    if version == FixVersion::Fix42 {
        order.push_char(HANDL_INST, b'1');
    }
    order
        .push_str(SYMBOL, "IBM")
        .push_char(SIDE, b'1')
        .push_value(TRANSACT_TIME, &UtcTimestamp::from(SystemTime::now()))
        .push_uint(ORDER_QTY, 100)
        .push_char(ORD_TYPE, b'2')
        .push_str(PRICE, "10.5");
    order
}

/// The ExecutionReport(35=8) that acknowledges `order` as New.
pub fn execution_report(version: FixVersion, order: &Message<'_>, id: u64) -> MessageBuilder {
    let text = |tag: u32, default: &'static str| -> String {
        order
            .get(tag)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_else(|| default.to_owned())
    };
    let quantity = text(ORDER_QTY, "0");
    let mut report = MessageBuilder::new(b"8");
    report
        .push_str(ORDER_ID, &format!("O-{id}"))
        .push_str(EXEC_ID, &format!("E-{id}"));
    if version == FixVersion::Fix42 {
        report.push_char(EXEC_TRANS_TYPE, b'0');
    }
    report
        .push_char(EXEC_TYPE, b'0')
        .push_char(ORD_STATUS, b'0')
        .push_str(CL_ORD_ID, &text(CL_ORD_ID, "NONE"))
        .push_str(SYMBOL, &text(SYMBOL, "NONE"))
        .push_str(SIDE, &text(SIDE, "1"))
        .push_str(ORDER_QTY, &quantity)
        .push_str(LEAVES_QTY, &quantity)
        .push_uint(CUM_QTY, 0)
        .push_uint(AVG_PX, 0);
    report
}

/// The application of our session: answers orders, forwards every
/// callback as an event (admin messages included).
pub struct OrderDesk {
    inner: ChannelApplication,
    version: FixVersion,
    reports: u64,
}

impl OrderDesk {
    /// A desk for sessions of `version` and the receiver of its events.
    pub fn new(version: FixVersion) -> (OrderDesk, Receiver<AppEvent>) {
        let (inner, events) = ChannelApplication::new();
        let desk = OrderDesk {
            inner: inner.with_admin_messages(),
            version,
            reports: 0,
        };
        (desk, events)
    }
}

impl Application for OrderDesk {
    fn on_logon(&mut self, session: &SessionHandle) {
        self.inner.on_logon(session);
    }

    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        self.inner.on_logout(session, text);
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        self.inner.on_message(session, message);
        if message.msg_type() == b"D" {
            self.reports += 1;
            let report = execution_report(self.version, message, self.reports);
            if let Err(error) = session.put(&report) {
                self.inner.on_error(session, &error);
            }
        }
    }

    fn on_state_change(&mut self, session: &SessionHandle, from: SessionState, to: SessionState) {
        self.inner.on_state_change(session, from, to);
    }

    fn on_reject(&mut self, session: &SessionHandle, rejection: &Rejection<'_>) {
        self.inner.on_reject(session, rejection);
    }

    fn on_undelivered(
        &mut self,
        session: &SessionHandle,
        message: MessageBuilder,
        reason: UndeliveredReason,
    ) {
        self.inner.on_undelivered(session, message, reason);
    }

    fn on_error(&mut self, session: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        self.inner.on_error(session, error);
    }

    fn to_admin(&mut self, session: &SessionHandle, logon: &mut LogonFields) {
        self.inner.to_admin(session, logon);
    }

    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        self.inner.from_admin(session, message)
    }
}

/// Which of our engines a test runs: the same scenarios run against
/// QuickFIX with each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `fixrs-transport-mio`'s event loop.
    Mio,
    /// `fixrs-transport-tokio`'s tasks, on a runtime of the test's own.
    Tokio,
}

/// Our session, on either engine, with the calls the scenarios make in
/// the mio engine's terms (blocking, from the test's thread).
pub enum OurSession {
    /// A session of the mio engine.
    Mio(SessionHandle),
    /// A session of the tokio engine and the runtime it runs on.
    Tokio {
        /// The session.
        handle: fixrs_transport_tokio::SessionHandle,
        /// Its runtime.
        runtime: tokio::runtime::Handle,
    },
}

impl OurSession {
    /// The session's state.
    pub fn state(&self) -> SessionState {
        match self {
            OurSession::Mio(s) => s.state(),
            OurSession::Tokio { handle, .. } => handle.state(),
        }
    }

    /// The next MsgSeqNum expected.
    pub fn in_seq_num(&self) -> u64 {
        match self {
            OurSession::Mio(s) => s.in_seq_num(),
            OurSession::Tokio { handle, .. } => handle.next_target_seq_num(),
        }
    }

    /// The next MsgSeqNum sent.
    pub fn out_seq_num(&self) -> u64 {
        match self {
            OurSession::Mio(s) => s.out_seq_num(),
            OurSession::Tokio { handle, .. } => handle.next_sender_seq_num(),
        }
    }

    /// Waits at most `timeout` for `state`; whether it came.
    pub fn wait_for_state(&self, state: SessionState, timeout: Duration) -> bool {
        match self {
            OurSession::Mio(s) => s.wait_for_state(state, timeout),
            OurSession::Tokio { handle, runtime } => runtime
                // The timer is made on the runtime, which it needs.
                .block_on(async {
                    tokio::time::timeout(timeout, handle.wait_for_state(state)).await
                })
                .is_ok_and(|r| r.is_ok()),
        }
    }

    /// Logs out gracefully with this Text(58).
    pub fn disconnect(&self, text: &str) -> Result<(), InteropError> {
        match self {
            OurSession::Mio(s) => s.disconnect(text).map_err(engine_error),
            OurSession::Tokio { handle, runtime } => runtime
                .block_on(handle.logout(Some(text)))
                .map_err(engine_error),
        }
    }

    /// Drops the link without Logout.
    pub fn disconnect_non_gracefully(&self) -> Result<(), InteropError> {
        match self {
            OurSession::Mio(s) => s.disconnect_non_gracefully().map_err(engine_error),
            OurSession::Tokio { handle, runtime } => {
                runtime.block_on(handle.disconnect()).map_err(engine_error)
            }
        }
    }

    /// Resets sequence numbers with a Logon carrying ResetSeqNumFlag=Y.
    pub fn reset_seq_num_and_send_logon(&self) -> Result<(), InteropError> {
        match self {
            OurSession::Mio(s) => s.reset_seq_num_and_send_logon().map_err(engine_error),
            OurSession::Tokio { handle, runtime } => runtime
                .block_on(handle.reset_seq_num_and_send_logon())
                .map_err(engine_error),
        }
    }

    /// Connects again (an initiator, to `counterparty`; the tokio
    /// session to the address it was created with, which must be it).
    pub fn connect(&self, heart_bt_int: u32, counterparty: &str) -> Result<(), InteropError> {
        match self {
            OurSession::Mio(s) => s.connect(heart_bt_int, counterparty).map_err(engine_error),
            OurSession::Tokio { handle, runtime } => {
                runtime.block_on(handle.connect()).map_err(engine_error)
            }
        }
    }

    /// Sends an application message.
    pub fn put(&self, message: &MessageBuilder) -> Result<(), InteropError> {
        match self {
            OurSession::Mio(s) => s.put(message).map_err(engine_error),
            OurSession::Tokio { handle, runtime } => {
                runtime.block_on(handle.send(message)).map_err(engine_error)
            }
        }
    }
}

fn engine_error(e: impl std::fmt::Display) -> InteropError {
    InteropError::Engine(e.to_string())
}

/// Where our events come from.
enum Events {
    Mio(Receiver<AppEvent>),
    Tokio(Receiver<OurEvent>),
}

impl Events {
    fn recv_timeout(&self, timeout: Duration) -> Result<OurEvent, RecvTimeoutError> {
        match self {
            Events::Mio(rx) => rx.recv_timeout(timeout).map(our_event),
            Events::Tokio(rx) => rx.recv_timeout(timeout),
        }
    }

    fn try_recv(&self) -> Option<OurEvent> {
        match self {
            Events::Mio(rx) => rx.try_recv().ok().map(our_event),
            Events::Tokio(rx) => rx.try_recv().ok(),
        }
    }
}

/// What keeps our engine running.
enum Running {
    Mio(Box<FixEngine>),
    Tokio {
        runtime: tokio::runtime::Runtime,
        acceptor: Option<fixrs_transport_tokio::Acceptor>,
    },
}

/// The [`OrderDesk`] of the tokio engine: answers orders on the
/// session's task and forwards every event.
fn tokio_desk(
    version: FixVersion,
    events: std::sync::mpsc::Sender<OurEvent>,
) -> impl fixrs_transport_tokio::Handler {
    use fixrs_transport_tokio::{Error, Responder, SessionEvent};
    let mut reports = 0;
    let mut index = fixrs_proto::FieldIndex::new();
    move |event: SessionEvent, session: &mut Responder<'_>| {
        let ours = match event {
            SessionEvent::StateChanged { from, to } => OurEvent::StateChanged { from, to },
            SessionEvent::LoggedOn => OurEvent::LoggedOn,
            SessionEvent::LoggedOut { text } => OurEvent::LoggedOut(text),
            SessionEvent::Message(m) => {
                if m.msg_type() == b"D" {
                    reports += 1;
                    let sent = match index.parse(m.as_bytes()) {
                        Ok(order) => session
                            .send(&execution_report(version, &order, reports))
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    if let Err(e) = sent {
                        let _ = events.send(OurEvent::Error(e));
                    }
                }
                OurEvent::Message(m)
            }
            SessionEvent::Admin(m) => OurEvent::Admin(m),
            SessionEvent::Rejected {
                ref_seq_num,
                reason,
                text,
                ..
            } => OurEvent::Rejected(format!("{ref_seq_num:?} {reason:?} {text}")),
            SessionEvent::Undelivered { msg, reason } => OurEvent::Undelivered(format!(
                "{reason:?} {}",
                String::from_utf8_lossy(msg.body()).replace('\x01', "|")
            )),
            SessionEvent::Error(Error::Link { peer, source }) => {
                OurEvent::LinkFailed(format!("{peer}: {source}"))
            }
            SessionEvent::Error(e) => OurEvent::Error(e.to_string()),
            other => OurEvent::Error(format!("unexpected event {other:?}")),
        };
        let _ = events.send(ours);
    }
}

/// An event of the mio engine's application as the tests see it.
fn our_event(event: AppEvent) -> OurEvent {
    match event.kind {
        AppEventKind::StateChanged { from, to } => OurEvent::StateChanged { from, to },
        AppEventKind::LoggedOn => OurEvent::LoggedOn,
        AppEventKind::LoggedOut { text } => OurEvent::LoggedOut(text),
        AppEventKind::Message(m) => OurEvent::Message(m),
        AppEventKind::AdminMessage(m) => OurEvent::Admin(m),
        AppEventKind::Rejected {
            ref_seq_num,
            reason,
            text,
            ..
        } => OurEvent::Rejected(format!("{ref_seq_num:?} {reason:?} {text}")),
        AppEventKind::Undelivered { message, reason } => OurEvent::Undelivered(format!(
            "{reason:?} {}",
            String::from_utf8_lossy(message.body()).replace('\x01', "|")
        )),
        AppEventKind::Error(text) => OurEvent::Error(text),
        AppEventKind::LinkFailed(text) => OurEvent::LinkFailed(text),
        other => OurEvent::Error(format!("unexpected event {other:?}")),
    }
}

/// TLS for our side of a test.
enum Tls {
    None,
    Client(TlsClientConfig),
    Server(TlsServerConfig),
}

/// Our engine with its one session, the [`OrderDesk`] behind it, and what
/// the desk reported.
pub struct OurSide {
    running: Option<Running>,
    session: OurSession,
    events: Events,
    pending: VecDeque<OurEvent>,
    history: Vec<OurEvent>,
    listen_port: Option<u16>,
    version: FixVersion,
    log_dir: TempDir,
}

impl OurSide {
    /// An initiator session from `sender` to `target` that connects to
    /// 127.0.0.1:`port` with this HeartBtInt, reconnecting every second.
    pub fn initiator(
        engine: Engine,
        version: FixVersion,
        sender: &str,
        target: &str,
        port: u16,
        heart_bt_int: u32,
    ) -> Result<OurSide, InteropError> {
        OurSide::initiator_tls(engine, version, sender, target, port, heart_bt_int, None)
    }

    /// [`initiator`](OurSide::initiator), over TLS with this client
    /// configuration if given.
    pub fn initiator_tls(
        engine: Engine,
        version: FixVersion,
        sender: &str,
        target: &str,
        port: u16,
        heart_bt_int: u32,
        tls: Option<TlsClientConfig>,
    ) -> Result<OurSide, InteropError> {
        let mut config = SessionConfig::initiator(version, sender, target);
        config.heart_bt_int = heart_bt_int;
        config.reconnect_interval = Duration::from_secs(1);
        let to = format!("127.0.0.1:{port}");
        let tls = tls.map_or(Tls::None, Tls::Client);
        OurSide::create(
            engine,
            version,
            config,
            None,
            Some((&to, heart_bt_int)),
            tls,
        )
    }

    /// An acceptor session from `sender` to `target`, listening on a free
    /// port of 127.0.0.1 (see [`listen_port`](OurSide::listen_port)).
    pub fn acceptor(
        engine: Engine,
        version: FixVersion,
        sender: &str,
        target: &str,
    ) -> Result<OurSide, InteropError> {
        OurSide::acceptor_tls(engine, version, sender, target, None)
    }

    /// [`acceptor`](OurSide::acceptor), listening for TLS with this server
    /// configuration if given.
    pub fn acceptor_tls(
        engine: Engine,
        version: FixVersion,
        sender: &str,
        target: &str,
        tls: Option<TlsServerConfig>,
    ) -> Result<OurSide, InteropError> {
        let config = SessionConfig::acceptor(version, sender, target);
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let tls = tls.map_or(Tls::None, Tls::Server);
        OurSide::create(engine, version, config, Some(addr), None, tls)
    }

    fn create(
        engine: Engine,
        version: FixVersion,
        config: SessionConfig,
        listen: Option<SocketAddr>,
        connect_to: Option<(&str, u32)>,
        tls: Tls,
    ) -> Result<OurSide, InteropError> {
        let log_dir = tempfile::Builder::new().prefix("fix-interop-").tempdir()?;
        let (running, session, events, listen_port) = match engine {
            Engine::Mio => {
                let settings = EngineSettings::default()
                    .with_file_log_path(log_dir.path().to_path_buf())
                    .with_stop_timeout(Duration::from_millis(500));
                let engine = FixEngine::new(settings).map_err(engine_error)?;
                let listen_port = match (listen, &tls) {
                    (Some(addr), Tls::Server(server)) => Some(
                        engine
                            .listen_with(addr, Arc::new(server.clone()))
                            .map_err(engine_error)?
                            .port(),
                    ),
                    (Some(addr), _) => Some(engine.listen(addr).map_err(engine_error)?.port()),
                    (None, _) => None,
                };
                let (desk, events) = OrderDesk::new(version);
                let session = engine
                    .create_session_with(config, SessionOptions::default(), desk)
                    .map_err(engine_error)?;
                match (connect_to, tls) {
                    (Some((to, heart_bt_int)), Tls::Client(client)) => session
                        .connect_with(heart_bt_int, to, Arc::new(client))
                        .map_err(engine_error)?,
                    (Some((to, heart_bt_int)), _) => {
                        session.connect(heart_bt_int, to).map_err(engine_error)?
                    }
                    (None, _) => {}
                }
                (
                    Running::Mio(Box::new(engine)),
                    OurSession::Mio(session),
                    Events::Mio(events),
                    listen_port,
                )
            }
            Engine::Tokio => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()?;
                let (tx, rx) = std::sync::mpsc::channel();
                let desk = tokio_desk(version, tx);
                let mut options = fixrs_transport_tokio::SessionOptions::new()
                    .with_file_log_path(log_dir.path())
                    .with_admin_events();
                let _in_runtime = runtime.enter();
                let (handle, acceptor, listen_port) = match (listen, connect_to) {
                    (Some(addr), _) => {
                        let acceptor = fixrs_transport_tokio::Acceptor::new();
                        let bound = match tls {
                            Tls::Server(server) => {
                                runtime.block_on(acceptor.listen_tls(addr, server))
                            }
                            _ => runtime.block_on(acceptor.listen(addr)),
                        };
                        let port = bound.map_err(engine_error)?.port();
                        let handle = acceptor
                            .add_session_with_handler(config, options, desk)
                            .map_err(engine_error)?;
                        (handle, Some(acceptor), Some(port))
                    }
                    (None, Some((to, _))) => {
                        options = options.with_connect_address(to);
                        if let Tls::Client(client) = tls {
                            options = options.with_tls(client);
                        }
                        let handle = runtime
                            .block_on(fixrs_transport_tokio::connect_with_handler(
                                config, options, desk,
                            ))
                            .map_err(engine_error)?;
                        (handle, None, None)
                    }
                    (None, None) => return Err(engine_error("neither listen nor connect")),
                };
                let session = OurSession::Tokio {
                    handle,
                    runtime: runtime.handle().clone(),
                };
                drop(_in_runtime);
                (
                    Running::Tokio { runtime, acceptor },
                    session,
                    Events::Tokio(rx),
                    listen_port,
                )
            }
        };
        Ok(OurSide {
            running: Some(running),
            session,
            events,
            pending: VecDeque::new(),
            history: Vec::new(),
            listen_port,
            version,
            log_dir,
        })
    }

    /// The session.
    pub fn session(&self) -> &OurSession {
        &self.session
    }

    /// The port our acceptor listens on.
    pub fn listen_port(&self) -> Option<u16> {
        self.listen_port
    }

    /// Puts a NewOrderSingle with this ClOrdID.
    pub fn put_order(&self, cl_ord_id: &str) -> Result<(), InteropError> {
        self.session()
            .put(&new_order_single(self.version, cl_ord_id))
    }

    /// Takes out and returns the oldest pending event that matches, waiting
    /// for it at most `timeout`; other events stay pending (as with
    /// [`QuickFixPeer::wait_for`](crate::quickfix::QuickFixPeer::wait_for)).
    pub fn wait_for(
        &mut self,
        awaited: &str,
        timeout: Duration,
        mut matches: impl FnMut(&OurEvent) -> bool,
    ) -> Result<OurEvent, InteropError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.pending.iter().position(&mut matches) {
                if let Some(event) = self.pending.remove(found) {
                    return Ok(event);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(InteropError::Timeout {
                    awaited: awaited.to_owned(),
                    timeout,
                    diagnostics: self.diagnostics(),
                });
            }
            match self.events.recv_timeout(deadline - now) {
                Ok(event) => self.accept(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(InteropError::Closed {
                        awaited: awaited.to_owned(),
                        diagnostics: self.diagnostics(),
                    })
                }
            }
        }
    }

    /// Waits for the next Logon to complete.
    pub fn wait_logged_on(&mut self, timeout: Duration) -> Result<(), InteropError> {
        self.wait_for("logon", timeout, |e| matches!(e, OurEvent::LoggedOn))
            .map(drop)
    }

    /// Waits for the next logout, returning its Text(58).
    pub fn wait_logged_out(&mut self, timeout: Duration) -> Result<Option<String>, InteropError> {
        match self.wait_for("logout", timeout, |e| matches!(e, OurEvent::LoggedOut(_)))? {
            OurEvent::LoggedOut(text) => Ok(text),
            _ => Ok(None),
        }
    }

    /// Waits for an application message of this MsgType whose ClOrdID is
    /// `cl_ord_id`.
    pub fn wait_app(
        &mut self,
        msg_type: &str,
        cl_ord_id: &str,
        timeout: Duration,
    ) -> Result<OwnedMessage, InteropError> {
        let awaited = format!("35={msg_type} with ClOrdID {cl_ord_id}");
        let event = self.wait_for(&awaited, timeout, |e| {
            e.app_message(msg_type)
                .is_some_and(|m| m.get_str(CL_ORD_ID) == Some(cl_ord_id))
        })?;
        match event {
            OurEvent::Message(m) => Ok(m),
            other => Err(InteropError::Engine(format!(
                "{awaited} matched a non-message event {other:?}"
            ))),
        }
    }

    /// Takes out every pending event and every event that arrives within
    /// `duration`.
    pub fn collect_for(&mut self, duration: Duration) -> Vec<OurEvent> {
        let deadline = Instant::now() + duration;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match self.events.recv_timeout(deadline - now) {
                Ok(event) => self.accept(event),
                Err(_) => break,
            }
        }
        self.pending.drain(..).collect()
    }

    /// Drops the pending events (they stay in the history).
    pub fn discard_pending(&mut self) {
        while let Some(event) = self.events.try_recv() {
            self.accept(event);
        }
        self.pending.clear();
    }

    /// Every event so far, taken out or not, oldest first.
    pub fn history(&mut self) -> &[OurEvent] {
        while let Some(event) = self.events.try_recv() {
            self.accept(event);
        }
        &self.history
    }

    /// How many application messages of this MsgType and ClOrdID arrived.
    pub fn count_app(&mut self, msg_type: &str, cl_ord_id: &str) -> usize {
        self.history()
            .iter()
            .filter_map(|e| e.app_message(msg_type))
            .filter(|m| m.get_str(CL_ORD_ID) == Some(cl_ord_id))
            .count()
    }

    /// Rejections and errors reported so far.
    pub fn problems(&mut self) -> Vec<String> {
        self.history()
            .iter()
            .filter(|e| matches!(e, OurEvent::Rejected(_) | OurEvent::Error(_)))
            .map(describe)
            .collect()
    }

    fn accept(&mut self, event: OurEvent) {
        self.history.push(event.clone());
        self.pending.push_back(event);
    }

    /// Our recent events, state and sequence numbers: what a failing test
    /// prints.
    pub fn diagnostics(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "-- our session: {:?}, next in {}, next out {}",
            self.session.state(),
            self.session.in_seq_num(),
            self.session.out_seq_num()
        );
        let skip = self.history.len().saturating_sub(DIAGNOSTIC_EVENTS);
        let _ = writeln!(text, "-- our last {} events:", self.history.len() - skip);
        for event in &self.history[skip..] {
            let _ = writeln!(text, "   {}", describe(event));
        }
        let mut logs: Vec<_> = std::fs::read_dir(self.log_dir.path())
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        logs.sort();
        for path in logs {
            let Ok(log) = std::fs::read(&path) else {
                continue;
            };
            let log = String::from_utf8_lossy(&log).replace('\x01', "|");
            let lines: Vec<&str> = log.lines().collect();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let _ = writeln!(text, "-- our log {name} (tail):");
            for line in &lines[lines.len().saturating_sub(DIAGNOSTIC_EVENTS)..] {
                let _ = writeln!(text, "   {line}");
            }
        }
        text
    }
}

/// MsgSeqNum(34) of a received message.
pub fn seq_of(message: &OwnedMessage) -> Option<u64> {
    message.get_str(MSG_SEQ_NUM).and_then(|s| s.parse().ok())
}

/// Whether a received message has PossDupFlag(43)=Y.
pub fn is_poss_dup(message: &OwnedMessage) -> bool {
    message.get(POSS_DUP_FLAG) == Some(b"Y")
}

impl Drop for OurSide {
    fn drop(&mut self) {
        // The test harness shows a test's output only when it fails (by
        // panic or by returning an error), which is when this is wanted.
        let _ = self.history();
        eprintln!("{}", self.diagnostics());
        // Stopping the engine drops every link and ends its threads; the
        // session goes with it.
        match self.running.take() {
            Some(Running::Mio(engine)) => engine.stop_now(),
            Some(Running::Tokio { runtime, acceptor }) => {
                drop(acceptor);
                runtime.shutdown_background();
            }
            None => {}
        }
    }
}
