//! `SessionId`, `SessionState` and `Session`.

use crate::fields::{self, lock};
use crate::message::{dictionary, PyFixMessage, PyFixVersion};
use crate::slot::{report_unsent, AppSlot};
use crate::{wait, FixError};
use fixrs_proto::{FixVersion, MessageBuilder};
use fixrs_session::{Role, SessionState};
use fixrs_transport_mio::{PutError, SessionHandle, SessionId, TransportFactory};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The identity of a session: our SenderCompID, the counterparty's
/// (our TargetCompID), and an optional qualifier telling apart sessions
/// with the same CompIDs. Sub and location IDs are optional too.
#[pyclass(name = "SessionId", module = "fixrs", frozen, eq, hash, from_py_object)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PySessionId {
    /// SenderCompID(49).
    #[pyo3(get)]
    pub sender: String,
    /// TargetCompID(56).
    #[pyo3(get)]
    pub target: String,
    /// The session qualifier, or ``None``.
    #[pyo3(get)]
    pub qualifier: Option<String>,
    /// SenderSubID(50), or ``None``.
    #[pyo3(get)]
    pub sender_sub_id: Option<String>,
    /// TargetSubID(57), or ``None``.
    #[pyo3(get)]
    pub target_sub_id: Option<String>,
    /// SenderLocationID(142), or ``None``.
    #[pyo3(get)]
    pub sender_location_id: Option<String>,
    /// TargetLocationID(143), or ``None``.
    #[pyo3(get)]
    pub target_location_id: Option<String>,
}

#[pymethods]
impl PySessionId {
    #[new]
    #[pyo3(signature = (sender, target, qualifier=None, *, sender_sub_id=None, target_sub_id=None, sender_location_id=None, target_location_id=None))]
    fn new(
        sender: String,
        target: String,
        qualifier: Option<String>,
        sender_sub_id: Option<String>,
        target_sub_id: Option<String>,
        sender_location_id: Option<String>,
        target_location_id: Option<String>,
    ) -> PyResult<PySessionId> {
        if sender.is_empty() || target.is_empty() {
            return Err(PyValueError::new_err(
                "a session needs a SenderCompID and a TargetCompID",
            ));
        }
        Ok(PySessionId {
            sender,
            target,
            qualifier: qualifier.filter(|q| !q.is_empty()),
            sender_sub_id,
            target_sub_id,
            sender_location_id,
            target_location_id,
        })
    }

    fn __str__(&self) -> String {
        self.display()
    }

    fn __repr__(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("SessionId({:?}, {:?}, {q:?})", self.sender, self.target),
            None => format!("SessionId({:?}, {:?})", self.sender, self.target),
        }
    }
}

impl PySessionId {
    /// `SENDER-TARGET` (`:QUALIFIER`).
    pub fn display(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}-{}:{q}", self.sender, self.target),
            None => format!("{}-{}", self.sender, self.target),
        }
    }

    /// The engine's identity.
    pub fn engine_id(&self) -> SessionId {
        SessionId {
            sender_comp_id: self.sender.clone(),
            target_comp_id: self.target.clone(),
            sender_sub_id: self.sender_sub_id.clone(),
            sender_location_id: self.sender_location_id.clone(),
            target_sub_id: self.target_sub_id.clone(),
            target_location_id: self.target_location_id.clone(),
            qualifier: self.qualifier.clone(),
        }
    }
}

/// The states of a session, as FIX Antenna names them.
#[pyclass(
    name = "SessionState",
    module = "fixrs",
    eq,
    eq_int,
    hash,
    frozen,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum PySessionState {
    /// Created, not yet connected.
    INITIAL,
    /// Initiator: opening the connection; acceptor: ready for one.
    WAIT_FOR_CONNECT,
    /// Initiator: Logon sent, waiting for the reply.
    WAIT_FOR_CONFIRM_LOGON,
    /// Logged on: application messages flow.
    ESTABLISHED,
    /// Initiator: the link broke; waiting to connect again.
    RECONNECT,
    /// Logout sent, waiting for the counterparty's.
    WAIT_FOR_CONFIRM_LOGOUT,
    /// Ended by a Logout exchange.
    CORRECTLY_TERMINATED,
    /// Ended by an error, a lost link, or after the last reconnect attempt.
    NON_GRACEFULLY_TERMINATED,
    /// Acceptor: connection accepted, waiting for the Logon.
    WAIT_FOR_FIRST_LOGON,
}

impl PySessionState {
    /// The Python value of an engine state.
    pub fn of(state: SessionState) -> PySessionState {
        match state {
            SessionState::Initial => PySessionState::INITIAL,
            SessionState::WaitForConnect => PySessionState::WAIT_FOR_CONNECT,
            SessionState::WaitForConfirmLogon => PySessionState::WAIT_FOR_CONFIRM_LOGON,
            SessionState::Established => PySessionState::ESTABLISHED,
            SessionState::Reconnect => PySessionState::RECONNECT,
            SessionState::WaitForConfirmLogout => PySessionState::WAIT_FOR_CONFIRM_LOGOUT,
            SessionState::CorrectlyTerminated => PySessionState::CORRECTLY_TERMINATED,
            SessionState::NonGracefullyTerminated => PySessionState::NON_GRACEFULLY_TERMINATED,
            SessionState::WaitForFirstLogon => PySessionState::WAIT_FOR_FIRST_LOGON,
        }
    }

    /// The engine's state.
    pub fn state(self) -> SessionState {
        match self {
            PySessionState::INITIAL => SessionState::Initial,
            PySessionState::WAIT_FOR_CONNECT => SessionState::WaitForConnect,
            PySessionState::WAIT_FOR_CONFIRM_LOGON => SessionState::WaitForConfirmLogon,
            PySessionState::ESTABLISHED => SessionState::Established,
            PySessionState::RECONNECT => SessionState::Reconnect,
            PySessionState::WAIT_FOR_CONFIRM_LOGOUT => SessionState::WaitForConfirmLogout,
            PySessionState::CORRECTLY_TERMINATED => SessionState::CorrectlyTerminated,
            PySessionState::NON_GRACEFULLY_TERMINATED => SessionState::NonGracefullyTerminated,
            PySessionState::WAIT_FOR_FIRST_LOGON => SessionState::WaitForFirstLogon,
        }
    }
}

#[pymethods]
impl PySessionState {
    /// FIX Antenna's name of the state (``"Established"``).
    fn __str__(&self) -> &'static str {
        self.state().name()
    }

    /// Whether the session has ended (correctly or not).
    #[getter]
    fn is_terminated(&self) -> bool {
        self.state().is_terminated()
    }
}

/// What a session was created with, beyond its handle.
pub struct SessionSetup {
    pub(crate) id: PySessionId,
    pub(crate) version: FixVersion,
    pub(crate) role: Role,
    pub(crate) factory: Option<Arc<dyn TransportFactory>>,
    /// Whether the settings name the counterparty (initiators).
    pub(crate) counterparty_configured: bool,
    pub(crate) logout_timeout: Duration,
    pub(crate) heart_bt_int: u32,
}

/// A FIX session of a ``FixEngine`` (``engine.create_session(...)``).
///
/// Its methods queue commands for the engine thread and return; those
/// that wait (``disconnect``, ``finalize``) release the GIL while they do.
#[pyclass(name = "Session", module = "fixrs", frozen)]
pub struct PySession {
    handle: RwLock<Option<SessionHandle>>,
    pub(crate) setup: SessionSetup,
    pub(crate) app: Arc<AppSlot>,
    /// Reused for every put: its buffers stay warm.
    scratch: Mutex<MessageBuilder>,
    /// HeartBtInt given to the last connect.
    connected_hbi: Mutex<Option<u32>>,
}

impl PySession {
    pub(crate) fn new(handle: SessionHandle, setup: SessionSetup, app: Arc<AppSlot>) -> PySession {
        PySession {
            handle: RwLock::new(Some(handle)),
            setup,
            app,
            scratch: Mutex::new(MessageBuilder::default()),
            connected_hbi: Mutex::new(None),
        }
    }

    /// Runs `f` on the handle; a finalized session is an error.
    fn with_handle<R>(&self, f: impl FnOnce(&SessionHandle) -> PyResult<R>) -> PyResult<R> {
        let guard = self.handle.read().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(h) => f(h),
            None => Err(FixError::new_err(format!(
                "session {} is finalized",
                self.setup.id.display()
            ))),
        }
    }

    /// HeartBtInt the session runs with.
    pub fn heart_bt_int(&self) -> Option<u32> {
        Some(
            lock(&self.connected_hbi)
                .to_owned()
                .unwrap_or(self.setup.heart_bt_int),
        )
    }

    /// Waits, without the GIL, until `done` holds or `timeout` passes;
    /// Ctrl-C interrupts the wait.
    fn wait_until(
        &self,
        py: Python<'_>,
        timeout: Duration,
        done: impl Fn(&SessionHandle) -> bool + Sync,
    ) -> PyResult<bool> {
        wait::until(py, timeout, || {
            let guard = self.handle.read().unwrap_or_else(|p| p.into_inner());
            guard.as_ref().is_none_or(&done)
        })
    }
}

fn engine_error(e: fixrs_transport_mio::EngineError) -> PyErr {
    FixError::new_err(e.to_string())
}

#[pymethods]
impl PySession {
    /// Starts the session in the background and returns at once.
    ///
    /// Initiator: ``connect(heartbeat_interval, host, port)`` connects to
    /// the counterparty, logs on with that HeartBtInt, and after a broken
    /// link reconnects ``Reconnect.Interval`` apart at most
    /// ``Reconnect.MaxTries`` times. ``connect()`` uses the counterparty of
    /// the session's settings (SocketConnectHost, SocketConnectPort).
    /// Acceptor: ``connect()`` makes the session ready for the
    /// counterparty's Logon again after it ended (it is ready when
    /// created).
    #[pyo3(signature = (heartbeat_interval=None, host=None, port=None))]
    fn connect(
        &self,
        py: Python<'_>,
        heartbeat_interval: Option<u32>,
        host: Option<String>,
        port: Option<u16>,
    ) -> PyResult<()> {
        let factory = self.setup.factory.clone();
        match (self.setup.role, heartbeat_interval, host, port) {
            (Role::Acceptor, None, None, None) => {
                self.with_handle(|h| h.connect_configured().map_err(engine_error))
            }
            (Role::Acceptor, ..) => Err(FixError::new_err(
                "an acceptor session is connected with connect() (no arguments)",
            )),
            (Role::Initiator, Some(hbi), Some(host), Some(port)) => {
                *lock(&self.connected_hbi) = Some(hbi);
                let address = if host.contains(':') && !host.starts_with('[') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                // Resolving the host may block: not with the GIL.
                py.detach(|| {
                    self.with_handle(|h| {
                        match factory {
                            Some(f) => h.connect_with(hbi, &address, f),
                            None => h.connect(hbi, &address),
                        }
                        .map_err(engine_error)
                    })
                })
            }
            (Role::Initiator, None, None, None) if self.setup.counterparty_configured => {
                self.with_handle(|h| h.connect_configured().map_err(engine_error))
            }
            (Role::Initiator, None, None, None) => Err(FixError::new_err(
                "no counterparty in the session's settings: call connect(heartbeat_interval, host, port)",
            )),
            (Role::Initiator, ..) => Err(PyValueError::new_err(
                "connect takes heartbeat_interval, host and port together, or nothing",
            )),
        }
    }

    /// Sends an application message (its header is the session's; fields
    /// of the message such as BeginString, CompIDs, MsgSeqNum and
    /// SendingTime are replaced). Before the session is established the
    /// message is kept and sent after the Logon, unless the session
    /// rejects late delivery (``LateDelivery=reject``): then it is reported
    /// to the application's ``on_msg_reject_event`` and ``put`` returns
    /// ``False``. Raises ``BackpressureError`` when the session's outgoing
    /// backlog is over its bound.
    fn put(slf: &Bound<'_, Self>, msg: &Bound<'_, PyFixMessage>) -> PyResult<bool> {
        let this = slf.get();
        let py = slf.py();
        let result = this.with_handle(|h| {
            let mut builder = lock(&this.scratch);
            fields::to_builder(
                &lock(&msg.get().fields),
                dictionary(this.setup.version),
                &mut builder,
            );
            Ok(h.put(&*builder))
        })?;
        match result {
            Ok(()) => Ok(true),
            Err(PutError::NotEstablished) => {
                let copy = lock(&msg.get().fields).deep_copy();
                report_unsent(
                    py,
                    &this.app,
                    slf.clone().unbind().into_any(),
                    copy,
                    this.setup.version,
                    "not established",
                );
                Ok(false)
            }
            Err(PutError::Backpressure { backlog, limit }) => {
                Err(crate::BackpressureError::new_err(format!(
                    "outgoing backlog of {backlog} bytes is over the bound of {limit}"
                )))
            }
            Err(e) => Err(FixError::new_err(e.to_string())),
        }
    }

    /// Logs out: sends Logout with ``reason`` as Text(58) and waits (without
    /// the GIL) for the counterparty's Logout or the LogoutTimeout. The
    /// session keeps its sequence numbers; ``connect`` starts it again.
    #[pyo3(signature = (reason=""))]
    fn disconnect(&self, py: Python<'_>, reason: &str) -> PyResult<()> {
        let state = self.with_handle(|h| Ok(h.state()))?;
        if matches!(state, SessionState::Initial) || state.is_terminated() {
            return Ok(());
        }
        self.with_handle(|h| h.disconnect(reason).map_err(engine_error))?;
        let timeout = self.setup.logout_timeout + Duration::from_secs(2);
        self.wait_until(py, timeout, |h| h.state().is_terminated())?;
        Ok(())
    }

    /// Drops the connection at once, without Logout; no reconnect follows.
    fn disconnect_non_gracefully(&self, py: Python<'_>) -> PyResult<()> {
        let state = self.with_handle(|h| Ok(h.state()))?;
        if matches!(state, SessionState::Initial) || state.is_terminated() {
            return Ok(());
        }
        self.with_handle(|h| h.disconnect_non_gracefully().map_err(engine_error))?;
        self.wait_until(py, Duration::from_secs(5), |h| h.state().is_terminated())?;
        Ok(())
    }

    /// Resets both sequence numbers to 1 locally (the next Logon starts
    /// at 1); waits for the engine to have done it.
    fn reset_seq_num_local(&self, py: Python<'_>) -> PyResult<()> {
        self.with_handle(|h| h.reset_seq_num_local().map_err(engine_error))?;
        self.wait_until(py, Duration::from_secs(5), |h| {
            h.in_seq_num() == 1 && h.out_seq_num() == 1
        })?;
        Ok(())
    }

    /// Resets both sides' sequence numbers: sends a Logon with
    /// ResetSeqNumFlag(141)=Y now if established, else at the next Logon.
    fn reset_seq_num_and_send_logon(&self) -> PyResult<()> {
        self.with_handle(|h| h.reset_seq_num_and_send_logon().map_err(engine_error))
    }

    /// Releases the session: the link is dropped (call ``disconnect`` first
    /// for a Logout), logs are flushed, the store is closed, the
    /// application is released. A second call raises ``FixError``.
    fn finalize(&self, py: Python<'_>) -> PyResult<()> {
        let handle = self
            .handle
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                FixError::new_err(format!(
                    "session {} is already finalized",
                    self.setup.id.display()
                ))
            })?;
        py.detach(|| handle.finalize());
        self.app.clear();
        Ok(())
    }

    /// Registers the application whose callbacks receive this session's
    /// messages and events (replacing the previous one).
    fn register_application(&self, app: &Bound<'_, PyAny>) -> PyResult<()> {
        self.with_handle(|_| Ok(()))?;
        self.app.register(app)
    }

    /// A new application message of the session's FIX version.
    fn new_message(&self, msg_type: &str) -> PyResult<PyFixMessage> {
        PyFixMessage::build(msg_type, self.setup.version)
    }

    /// The current state.
    #[getter]
    fn state(&self) -> PyResult<PySessionState> {
        self.with_handle(|h| Ok(PySessionState::of(h.state())))
    }

    /// The MsgSeqNum expected on the next incoming message.
    #[getter]
    fn in_seq_num(&self) -> PyResult<u64> {
        self.with_handle(|h| Ok(h.in_seq_num()))
    }

    /// The MsgSeqNum of the next outgoing message.
    #[getter]
    fn out_seq_num(&self) -> PyResult<u64> {
        self.with_handle(|h| Ok(h.out_seq_num()))
    }

    /// The session's identity.
    #[getter]
    fn id(&self) -> PySessionId {
        self.setup.id.clone()
    }

    /// The session's FIX version.
    #[getter]
    fn version(&self) -> PyFixVersion {
        PyFixVersion::of(self.setup.version)
    }

    /// Whether the session is an initiator (else an acceptor).
    #[getter]
    fn is_initiator(&self) -> bool {
        self.setup.role == Role::Initiator
    }

    /// Bytes put on the session and not yet written to the connection.
    #[getter]
    fn outgoing_queue_size(&self) -> PyResult<usize> {
        self.with_handle(|h| Ok(h.backlog()))
    }

    fn __repr__(&self) -> String {
        format!("Session({})", self.setup.id.display())
    }
}
