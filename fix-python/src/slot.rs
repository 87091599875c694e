//! The application registered on a session ([`AppSlot`]), which
//! callbacks it overrides ([`Callback`]), and calling it with exceptions
//! logged: what the session's Python object and the engine-side bridge
//! (`app`) share.

use crate::fields::FieldList;
use crate::message::PyFixMessage;
use fixrs_proto::FixVersion;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::RwLock;

/// The callbacks of FIX Antenna's `Application`, as bits of a mask.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub enum Callback {
    /// `process(msg, ssn) -> bool`
    Process = 1,
    /// `on_logon_event(event, ssn)`
    Logon = 2,
    /// `on_logout_event(event, ssn)`
    Logout = 4,
    /// `on_msg_reject_event(event, ssn)`
    MsgReject = 8,
    /// `on_new_state_event(event, ssn)`
    NewState = 16,
    /// `on_session_level_reject_event(event, ssn)`
    SessionLevelReject = 32,
}

impl Callback {
    const ALL: [Callback; 6] = [
        Callback::Process,
        Callback::Logon,
        Callback::Logout,
        Callback::MsgReject,
        Callback::NewState,
        Callback::SessionLevelReject,
    ];

    /// The Python method's name as an interned Python string (made once).
    fn name<'py>(self, py: Python<'py>) -> &'py Bound<'py, pyo3::types::PyString> {
        match self {
            Callback::Process => pyo3::intern!(py, "process"),
            Callback::Logon => pyo3::intern!(py, "on_logon_event"),
            Callback::Logout => pyo3::intern!(py, "on_logout_event"),
            Callback::MsgReject => pyo3::intern!(py, "on_msg_reject_event"),
            Callback::NewState => pyo3::intern!(py, "on_new_state_event"),
            Callback::SessionLevelReject => pyo3::intern!(py, "on_session_level_reject_event"),
        }
    }

    /// The Python method's name.
    pub fn method(self) -> &'static str {
        match self {
            Callback::Process => "process",
            Callback::Logon => "on_logon_event",
            Callback::Logout => "on_logout_event",
            Callback::MsgReject => "on_msg_reject_event",
            Callback::NewState => "on_new_state_event",
            Callback::SessionLevelReject => "on_session_level_reject_event",
        }
    }
}

/// The application registered on a session (shared by the session's
/// Python object and the engine-side bridge).
#[derive(Default)]
pub struct AppSlot {
    app: RwLock<Option<Py<PyAny>>>,
    /// Which callbacks the application overrides.
    mask: AtomicU8,
}

static BASE_APPLICATION: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();

impl AppSlot {
    /// Registers `app` (replacing the previous one), noting which of the
    /// callbacks it defines beyond `fixrs.Application`'s defaults.
    pub fn register(&self, app: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = app.py();
        let base = BASE_APPLICATION.import(py, "fixrs", "Application")?;
        let app_type = app.get_type();
        let mut mask = 0u8;
        for cb in Callback::ALL {
            let Ok(method) = app_type.getattr(cb.method()) else {
                continue;
            };
            let inherited = base
                .getattr(cb.method())
                .map(|b| b.is(&method))
                .unwrap_or(false);
            // An instance attribute (a function set on the object) counts.
            let on_instance = app
                .getattr("__dict__")
                .and_then(|d| d.get_item(cb.method()))
                .is_ok();
            if !inherited || on_instance {
                mask |= cb as u8;
            }
        }
        let mut slot = self.app.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(app.clone().unbind());
        self.mask.store(mask, Ordering::Release);
        Ok(())
    }

    /// Forgets the application (when the session is finalized).
    pub fn clear(&self) {
        self.mask.store(0, Ordering::Release);
        let old = self.app.write().unwrap_or_else(|p| p.into_inner()).take();
        // Dropping a Python reference needs the interpreter; pyo3 defers
        // it when not attached.
        drop(old);
    }

    /// Whether the application overrides `cb`.
    pub fn wants(&self, cb: Callback) -> bool {
        self.mask.load(Ordering::Acquire) & cb as u8 != 0
    }

    /// The registered application.
    pub fn get(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.app
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|a| a.clone_ref(py))
    }
}

/// Calls `callback` of the application with `(event, session)`; an
/// exception is logged.
pub fn call_app<'py>(
    py: Python<'py>,
    app: &Py<PyAny>,
    callback: Callback,
    event: &Bound<'py, PyAny>,
    session: &Bound<'py, PyAny>,
) -> Option<Bound<'py, PyAny>> {
    // PyObject_CallMethodObjArgs finds the method as getattr does but
    // calls it without a bound method object or an argument tuple: both
    // were a fifth of the cost of a callback into Python.
    // SAFETY: the GIL is held (`py`); every pointer is of a live object
    // borrowed for the call; the argument list ends with NULL as the
    // variadic function requires. It returns a new reference, or NULL
    // with an exception set, which `from_owned_ptr_or_err` takes.
    let result = unsafe {
        let r = pyo3::ffi::PyObject_CallMethodObjArgs(
            app.as_ptr(),
            callback.name(py).as_ptr(),
            event.as_ptr(),
            session.as_ptr(),
            std::ptr::null_mut::<pyo3::ffi::PyObject>(),
        );
        Bound::from_owned_ptr_or_err(py, r)
    };
    match result {
        Ok(r) => Some(r),
        Err(e) => {
            let method = callback.method();
            log_exception(py, &format!("exception in Application.{method}"), e);
            None
        }
    }
}

/// Logs a Python exception with its traceback to the ``fixrs`` logger.
pub fn log_exception(py: Python<'_>, what: &str, error: PyErr) {
    let logged = (|| -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("fixrs",))?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("exc_info", error.value(py))?;
        logger.call_method("error", ("%s", what), Some(&kwargs))?;
        Ok(())
    })();
    if logged.is_err() {
        // No logging (interpreter shutting down): stderr at least.
        error.print(py);
    }
}

/// Given to `on_msg_reject_event`: a message put on the session will not
/// be sent (put before the session was established while it rejects late
/// delivery, or kept past its time to live).
#[pyclass(name = "MsgRejectEvent", module = "fixrs", frozen)]
pub struct MsgRejectEvent {
    /// The message that was not sent.
    #[pyo3(get)]
    message: Py<PyFixMessage>,
    /// Why (``"not established"``, ``"expired"`` ...).
    #[pyo3(get)]
    reason: String,
}

/// Reports a message that will not be sent to `on_msg_reject_event`.
pub fn report_unsent(
    py: Python<'_>,
    slot: &AppSlot,
    session: Py<PyAny>,
    message: FieldList,
    version: FixVersion,
    reason: &str,
) {
    if !slot.wants(Callback::MsgReject) {
        log::warn!("message not sent ({reason}) and no on_msg_reject_event to tell");
        return;
    }
    let Some(app) = slot.get(py) else { return };
    let event = (|| -> PyResult<Bound<'_, MsgRejectEvent>> {
        let message = Py::new(py, PyFixMessage::from_list(message, version))?;
        Bound::new(
            py,
            MsgRejectEvent {
                message,
                reason: reason.to_string(),
            },
        )
    })();
    match event {
        Ok(event) => {
            call_app(
                py,
                &app,
                Callback::MsgReject,
                event.as_any(),
                session.bind(py),
            );
        }
        Err(e) => log_exception(py, "cannot build a MsgRejectEvent", e),
    }
}
