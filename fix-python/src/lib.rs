//! The `fixrs` Python module: FIX Antenna's Python API (`V12.FIXAntenna`)
//! over this workspace's FIX engine, built with PyO3 and maturin.
//!
//! A program written for FIX Antenna's Python package runs with its import
//! changed to `import fixrs as v12`:
//!
//! ```python
//! import fixrs as v12
//!
//! engine = v12.FixEngine()
//! ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
//! ssn.connect(30, "127.0.0.1", 8901)   # returns at once; logs on in the background
//! ```
//!
//! What it maps to: `FixEngine` is a `fixrs_transport_mio::FixEngine`
//! (one thread running every session); `Session` a `SessionHandle`;
//! sessions are configured with the settings-file keys every layer
//! declares (QuickFIX's names and FIX Antenna's `Reconnect.*`; the file
//! format is `fixrs_session::settings`'), from the engine's settings file
//! or `params`, all read and checked by
//! `fixrs_transport_tls::settings::read_settings`. A Python `Application`
//! receives callbacks on the engine thread, holding the GIL only for the
//! call. Waiting calls (`disconnect`, `finalize`, `stop`) release the GIL;
//! Ctrl-C interrupts them; engines still running are stopped (sessions log
//! out) when the interpreter exits.
//!
//! Where FIX Antenna's behaviour is not followed, the Python package's
//! documentation (`fixrs/__init__.py`) says so.
//!
//! The crate builds as a Python extension with maturin (`pip install
//! ./fix-python`); cargo builds it as an ordinary library that links
//! libpython, so that the workspace's builds and tests need nothing else.
#![deny(missing_docs)]

mod app;
mod engine;
pub mod fields;
mod logging;
mod message;
mod session;
mod signals;
mod slot;
mod values;
mod wait;

use pyo3::prelude::*;

pyo3::create_exception!(
    fixrs,
    FixError,
    pyo3::exceptions::PyException,
    "An engine or session operation failed (bad settings, finalized session, stopped engine ...)."
);

pyo3::create_exception!(
    fixrs,
    BackpressureError,
    FixError,
    "A session's outgoing backlog is over its bound: the counterparty or the network is slower than the puts. Retry once it drained."
);

/// Stops every engine and the log forwarding: registered with `atexit`,
/// so that no engine thread calls into an interpreter that is going away.
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    engine::stop_all(py);
    logging::stop(py);
}

/// The extension module (`fixrs._fixrs`); the `fixrs` package re-exports
/// it beside the `Application` base class.
#[pymodule]
fn _fixrs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<engine::PyFixEngine>()?;
    m.add_class::<session::PySession>()?;
    m.add_class::<session::PySessionId>()?;
    m.add_class::<session::PySessionState>()?;
    m.add_class::<message::PyFixVersion>()?;
    m.add_class::<message::PyFixMessage>()?;
    m.add_class::<message::PyGroup>()?;
    m.add_class::<message::PyGroupEntry>()?;
    m.add_class::<app::LogonEvent>()?;
    m.add_class::<app::LogoutEvent>()?;
    m.add_class::<app::NewStateEvent>()?;
    m.add_class::<slot::MsgRejectEvent>()?;
    m.add_class::<app::SessionLevelRejectEvent>()?;
    m.add_function(wrap_pyfunction!(message::tag_of, m)?)?;
    m.add_function(wrap_pyfunction!(message::field_name, m)?)?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add("FixError", py.get_type::<FixError>())?;
    m.add("BackpressureError", py.get_type::<BackpressureError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
