//! The bridge from the engine's `Application` callbacks to the Python
//! application registered on a session, and the event objects the
//! callbacks receive.
//!
//! Callbacks run on the engine thread. Each one takes the GIL for the
//! Python call only; callbacks the registered object does not override
//! are not called at all (no GIL taken). An exception raised by the
//! Python code is logged (logger ``fixrs``, with its traceback) and the
//! session goes on.

use crate::fields::{self, FieldList};
use crate::message::{dictionary, PyFixMessage};
use crate::session::{PySession, PySessionState};
use crate::slot::{call_app, log_exception, report_unsent, AppSlot, Callback};
use fixrs_proto::{FixVersion, Message, MessageBuilder};
use fixrs_session::{SessionState, UndeliveredReason};
use fixrs_transport_mio::{Application, SessionHandle};
use pyo3::prelude::*;
use std::sync::{Arc, OnceLock};

/// The engine-side application of one session.
pub struct Bridge {
    pub(crate) slot: Arc<AppSlot>,
    /// The session's Python object, set right after it is created.
    pub(crate) session: Arc<OnceLock<Py<PySession>>>,
    pub(crate) version: FixVersion,
}

impl Bridge {
    /// Runs `f` with the GIL if `cb` is wanted and the interpreter is
    /// usable.
    fn with_app(
        &self,
        cb: Callback,
        f: impl for<'py> FnOnce(Python<'py>, &Py<PyAny>, &Bound<'py, PyAny>),
    ) {
        if !self.slot.wants(cb) {
            return;
        }
        let Some(session) = self.session.get() else {
            return;
        };
        keep_thread_state();
        // Python::try_attach refuses while the interpreter shuts down;
        // engines are stopped before that (atexit), so this is a guard.
        let _ = Python::try_attach(|py| {
            if let Some(app) = self.slot.get(py) {
                f(py, &app, session.bind(py).as_any());
            }
        });
    }

    fn message(&self, m: &Message<'_>) -> PyFixMessage {
        // Gathered into fields and groups only if the application reads
        // more than the header: most look at MsgType and a few fields.
        let list = FieldList::received(
            m.as_bytes().to_vec(),
            m.spans().to_vec(),
            dictionary(self.version),
        );
        PyFixMessage::from_list(list, self.version)
    }
}

thread_local! {
    static THREAD_STATE_KEPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Gives the calling (engine) thread a Python thread state that lives as
/// long as the thread.
///
/// Attaching a thread Python does not know creates a thread state, and
/// detaching destroys it again, on every callback: that was a third of
/// the cost of a callback (the fixrs round trip of `bench.py` went from
/// 18 to 8.6 us p50, on a 2-core machine). Holding one `PyGILState_Ensure` for the
/// thread's life keeps the state, and later attaches only take the GIL.
fn keep_thread_state() {
    if THREAD_STATE_KEPT.with(|k| k.replace(true)) {
        return;
    }
    // SAFETY: Py_IsInitialized may be called at any time. The interpreter
    // is initialized (this module was imported) and not finalizing
    // (engines are stopped at exit, before finalization, and their threads
    // joined). PyGILState_Ensure on a thread without a thread state creates
    // one and takes the GIL; PyEval_SaveThread then releases the GIL while
    // leaving the Ensure unbalanced, so the state is kept; pyo3's own
    // Ensure/Release pairs on this thread nest inside it. The thread never
    // holds the GIL between callbacks.
    unsafe {
        if pyo3::ffi::Py_IsInitialized() == 0 {
            return;
        }
        let _ = pyo3::ffi::PyGILState_Ensure();
        let _ = pyo3::ffi::PyEval_SaveThread();
    }
}

/// Given to `on_logon_event`: the session is established.
#[pyclass(name = "LogonEvent", module = "fixrs", frozen)]
pub struct LogonEvent {
    /// HeartBtInt(108) the session runs with, in seconds.
    #[pyo3(get)]
    heartbeat_interval: Option<u32>,
}

/// Given to `on_logout_event`: the session logged out or lost its link.
#[pyclass(name = "LogoutEvent", module = "fixrs", frozen)]
pub struct LogoutEvent {
    /// Text(58) of the Logout, if any.
    #[pyo3(get)]
    text: Option<String>,
}

/// Given to `on_new_state_event`: the session changed state.
#[pyclass(name = "NewStateEvent", module = "fixrs", frozen)]
pub struct NewStateEvent {
    /// The state left.
    #[pyo3(get)]
    old_state: PySessionState,
    /// The state entered.
    #[pyo3(get)]
    new_state: PySessionState,
}

/// Given to `on_session_level_reject_event`: the counterparty sent a
/// session-level Reject(3).
#[pyclass(name = "SessionLevelRejectEvent", module = "fixrs", frozen)]
pub struct SessionLevelRejectEvent {
    /// The Reject message.
    #[pyo3(get)]
    message: Py<PyFixMessage>,
    /// RefSeqNum(45): the MsgSeqNum of our rejected message.
    #[pyo3(get)]
    ref_seq_num: Option<u64>,
    /// SessionRejectReason(373), if given.
    #[pyo3(get)]
    reason: Option<i64>,
    /// Text(58), if given.
    #[pyo3(get)]
    text: Option<String>,
}

#[pymethods]
impl NewStateEvent {
    fn __repr__(&self) -> String {
        format!(
            "NewStateEvent({} -> {})",
            self.old_state.state().name(),
            self.new_state.state().name()
        )
    }
}

impl Application for Bridge {
    fn on_logon(&mut self, session: &SessionHandle) {
        let _ = session;
        let hbi = self.session.get().and_then(|s| s.get().heart_bt_int());
        self.with_app(Callback::Logon, |py, app, ssn| {
            let event = Bound::new(
                py,
                LogonEvent {
                    heartbeat_interval: hbi,
                },
            );
            match event {
                Ok(event) => {
                    call_app(py, app, Callback::Logon, event.as_any(), ssn);
                }
                Err(e) => log_exception(py, "cannot build a LogonEvent", e),
            }
        });
    }

    fn on_logout(&mut self, _session: &SessionHandle, text: Option<&str>) {
        self.with_app(Callback::Logout, |py, app, ssn| {
            let event = Bound::new(
                py,
                LogoutEvent {
                    text: text.map(str::to_string),
                },
            );
            match event {
                Ok(event) => {
                    call_app(py, app, Callback::Logout, event.as_any(), ssn);
                }
                Err(e) => log_exception(py, "cannot build a LogoutEvent", e),
            }
        });
    }

    fn on_message(&mut self, _session: &SessionHandle, message: &Message<'_>) {
        if !self.slot.wants(Callback::Process) {
            return;
        }
        let msg = self.message(message);
        self.with_app(Callback::Process, |py, app, ssn| {
            match Bound::new(py, msg) {
                Ok(msg) => {
                    if let Some(result) = call_app(py, app, Callback::Process, msg.as_any(), ssn) {
                        // FIX Antenna's contract: True when the message
                        // was processed.
                        if matches!(result.is_truthy(), Ok(false)) {
                            log::warn!(
                                "Application.process returned False for MsgSeqNum {}",
                                message.msg_seq_num().unwrap_or(0)
                            );
                        }
                    }
                }
                Err(e) => log_exception(py, "cannot build the message", e),
            }
        });
    }

    fn on_state_change(&mut self, _session: &SessionHandle, from: SessionState, to: SessionState) {
        self.with_app(Callback::NewState, |py, app, ssn| {
            let event = Bound::new(
                py,
                NewStateEvent {
                    old_state: PySessionState::of(from),
                    new_state: PySessionState::of(to),
                },
            );
            match event {
                Ok(event) => {
                    call_app(py, app, Callback::NewState, event.as_any(), ssn);
                }
                Err(e) => log_exception(py, "cannot build a NewStateEvent", e),
            }
        });
    }

    fn on_undelivered(
        &mut self,
        _session: &SessionHandle,
        message: MessageBuilder,
        reason: UndeliveredReason,
    ) {
        let Some(session) = self.session.get() else {
            return;
        };
        let list = fields::from_builder(&message, self.version);
        let reason = format!("{reason:?}");
        let _ = Python::try_attach(|py| {
            report_unsent(
                py,
                &self.slot,
                session.clone_ref(py).into_any(),
                list,
                self.version,
                &reason,
            );
        });
    }

    fn from_admin(
        &mut self,
        _session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), fixrs_transport_mio::AdminRejection> {
        if message.msg_type() != b"3" || !self.slot.wants(Callback::SessionLevelReject) {
            return Ok(());
        }
        let msg = self.message(message);
        let ref_seq_num = message
            .get_opt::<u64>(fixrs_proto::tag::REF_SEQ_NUM)
            .ok()
            .flatten();
        let reason = message
            .get_opt::<i64>(fixrs_proto::tag::SESSION_REJECT_REASON)
            .ok()
            .flatten();
        let text = message
            .get(fixrs_proto::tag::TEXT)
            .map(|t| String::from_utf8_lossy(t).into_owned());
        self.with_app(Callback::SessionLevelReject, |py, app, ssn| {
            let event = Py::new(py, msg).and_then(|m| {
                Bound::new(
                    py,
                    SessionLevelRejectEvent {
                        message: m,
                        ref_seq_num,
                        reason,
                        text,
                    },
                )
            });
            match event {
                Ok(event) => {
                    call_app(py, app, Callback::SessionLevelReject, event.as_any(), ssn);
                }
                Err(e) => log_exception(py, "cannot build a SessionLevelRejectEvent", e),
            }
        });
        Ok(())
    }
}
