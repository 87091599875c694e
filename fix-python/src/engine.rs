//! `FixEngine`: the engine thread, sessions created in code or from a
//! QuickFIX-format settings file, and their settings.

use crate::app::Bridge;
use crate::message::{version_arg, PyFixVersion};
use crate::session::{PySession, PySessionId, SessionSetup};
use crate::slot::AppSlot;
use crate::FixError;
use fixrs_session::settings::{Settings, SettingsError};
use fixrs_session::Role;
use fixrs_transport_mio::{EngineSettings, FixEngine, SessionSettings};
use fixrs_transport_tls::settings::read_settings;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Every engine alive, so that they are stopped before the interpreter
/// exits (their threads call into Python).
static ENGINES: Mutex<Vec<Weak<EngineCore>>> = Mutex::new(Vec::new());

/// An engine and what it was started with.
pub struct EngineCore {
    engine: Mutex<Option<FixEngine>>,
    file: Option<SettingsFile>,
}

impl EngineCore {
    /// Stops the engine (graceful: established sessions log out). Must be
    /// called without the GIL: callbacks may be waiting for it.
    pub fn stop(&self) {
        let engine = self.engine.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(engine) = engine {
            engine.stop();
        }
    }
}

/// Stops every engine still running (called at interpreter exit).
pub fn stop_all(py: Python<'_>) {
    let engines: Vec<Arc<EngineCore>> = ENGINES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .filter_map(|w| w.upgrade())
        .collect();
    py.detach(|| engines.iter().for_each(|e| e.stop()));
}

/// A QuickFIX-format settings file and its sessions, every key checked.
struct SettingsFile {
    path: PathBuf,
    sessions: Vec<SessionSettings>,
}

impl SettingsFile {
    fn load(path: PathBuf) -> PyResult<SettingsFile> {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FixError::new_err(format!("cannot read {}: {e}", path.display())))?;
        let sessions = Settings::parse(&text)
            .and_then(|settings| read_settings(&settings))
            .map_err(|e| FixError::new_err(format!("{}: {e}", path.display())))?;
        Ok(SettingsFile { path, sessions })
    }

    /// The keys of the file's section for `session` (`[DEFAULT]`'s, then
    /// the section's own, which win).
    fn keys_of(session: &SessionSettings) -> Vec<(String, String)> {
        let mut keys = Vec::new();
        for e in session
            .section
            .inherited()
            .iter()
            .chain(session.section.own())
        {
            set_key(&mut keys, &e.key, &e.value);
        }
        keys
    }
}

fn set_key(keys: &mut Vec<(String, String)>, key: &str, value: &str) {
    match keys.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => keys.push((key.to_string(), value.to_string())),
    }
}

fn get_key<'a>(keys: &'a [(String, String)], key: &str) -> Option<&'a str> {
    keys.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Parses a session from two layers of keys: `base` as `[DEFAULT]` and
/// `own` as `[SESSION]` (which wins, whatever name of a setting it uses).
/// Two names of one setting in `base` keep the later one.
fn parse_layers(
    mut base: Vec<(String, String)>,
    own: &[(String, String)],
) -> Result<SessionSettings, SettingsError> {
    loop {
        let mut text = String::from("[DEFAULT]\n");
        for (k, v) in &base {
            text.push_str(&format!("{k}={v}\n"));
        }
        let default_lines = base.len() + 1;
        text.push_str("[SESSION]\n");
        for (k, v) in own {
            text.push_str(&format!("{k}={v}\n"));
        }
        match Settings::parse(&text).and_then(|s| read_settings(&s)) {
            Ok(mut sessions) => {
                return sessions.pop().ok_or(SettingsError::Syntax {
                    line: 0,
                    text: "no session".into(),
                })
            }
            Err(SettingsError::DuplicateKey {
                line, first_key, ..
            }) if line <= default_lines => {
                base.retain(|(k, _)| *k != first_key);
            }
            Err(e) => return Err(e),
        }
    }
}

/// A FIX engine: one thread that runs every session created on it.
///
/// ``FixEngine()`` starts an engine; ``FixEngine("sessions.cfg")`` also
/// reads a QuickFIX-format settings file, whose sessions ``create_session``
/// uses when the identity matches and ``create_sessions`` creates all at
/// once. The engine stops when ``stop()`` is called, when it is used as a
/// context manager and the block ends, or when the interpreter exits.
#[pyclass(name = "FixEngine", module = "fixrs", frozen)]
pub struct PyFixEngine {
    core: Arc<EngineCore>,
}

impl PyFixEngine {
    fn with_engine<R>(&self, f: impl FnOnce(&FixEngine) -> PyResult<R>) -> PyResult<R> {
        let guard = self.core.engine.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(e) => f(e),
            None => Err(FixError::new_err("the engine is stopped")),
        }
    }

    /// Creates a session from its parsed settings.
    fn create(
        &self,
        py: Python<'_>,
        settings: SessionSettings,
        id: PySessionId,
        counterparty_configured: bool,
    ) -> PyResult<Py<PySession>> {
        let version = settings.config.version;
        let slot = Arc::new(AppSlot::default());
        let session_cell: Arc<OnceLock<Py<PySession>>> = Arc::new(OnceLock::new());
        let bridge = Bridge {
            slot: slot.clone(),
            session: session_cell.clone(),
            version,
        };
        let factory = fixrs_transport_tls::factory_from_settings(&settings)
            .map_err(|e| FixError::new_err(format!("TLS settings: {e}")))?;
        let handle = py.detach(|| {
            self.with_engine(|engine| {
                fixrs_transport_tls::create_from_settings(engine, &settings, bridge)
                    .map_err(|e| FixError::new_err(e.to_string()))
            })
        })?;
        let setup = SessionSetup {
            id,
            version,
            role: settings.config.role,
            factory,
            counterparty_configured,
            logout_timeout: settings.config.logout_timeout,
            heart_bt_int: settings.config.heart_bt_int,
        };
        let session = Py::new(py, PySession::new(handle, setup, slot))?;
        let _ = session_cell.set(session.clone_ref(py));
        Ok(session)
    }
}

/// A parameter value as settings-file text.
fn param_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(if b.is_true() { "Y" } else { "N" }.to_string());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.to_string());
    }
    if value.is_instance_of::<pyo3::types::PyInt>()
        || value.is_instance_of::<pyo3::types::PyFloat>()
    {
        return Ok(value.str()?.to_cow()?.to_string());
    }
    if let Ok(p) = value.extract::<PathBuf>() {
        return Ok(p.display().to_string());
    }
    Err(PyTypeError::new_err(format!(
        "a session parameter is str, int, float, bool or a path, not {}",
        value.get_type().name()?
    )))
}

/// The session identity keys of `id`.
fn identity_keys(id: &PySessionId) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("SenderCompID", Some(id.sender.clone())),
        ("TargetCompID", Some(id.target.clone())),
        ("SessionQualifier", id.qualifier.clone()),
        ("SenderSubID", id.sender_sub_id.clone()),
        ("TargetSubID", id.target_sub_id.clone()),
        ("SenderLocationID", id.sender_location_id.clone()),
        ("TargetLocationID", id.target_location_id.clone()),
    ]
}

/// The application version `app_protocol` names for a session of
/// `version`, and a dictionary file if it is one.
fn resolve_version(
    app_protocol: &str,
    version: PyFixVersion,
) -> PyResult<(fixrs_proto::FixVersion, Option<String>)> {
    let named = PyFixVersion::parse(app_protocol);
    let is_file = app_protocol.to_ascii_lowercase().ends_with(".xml");
    match (version, named) {
        (PyFixVersion::FIXT11, Some(v)) if v.version().is_fixt() && v != PyFixVersion::FIXT11 => {
            Ok((v.version(), None))
        }
        (PyFixVersion::FIXT11, Some(PyFixVersion::FIXT11)) => Ok((version.version(), None)),
        (PyFixVersion::FIXT11, _) if is_file => Ok((version.version(), Some(app_protocol.into()))),
        (PyFixVersion::FIXT11, _) => Err(PyValueError::new_err(format!(
            "a FIXT11 session needs its application version as app_protocol (FIX50, FIX50SP1 or FIX50SP2), not {app_protocol:?}"
        ))),
        (v, Some(n)) if n.version() == v.version() => Ok((v.version(), None)),
        (v, Some(n)) => Err(PyValueError::new_err(format!(
            "app_protocol {app_protocol:?} names {} but the session is {}",
            n.name(),
            v.name()
        ))),
        (v, None) if is_file => Ok((v.version(), Some(app_protocol.into()))),
        (v, None) if app_protocol.is_empty() => Ok((v.version(), None)),
        (_, None) => Err(PyValueError::new_err(format!(
            "unknown app_protocol {app_protocol:?}: a FIX version name (FIX44, FIX50SP2 ...) or a QuickFIX XML dictionary file"
        ))),
    }
}

#[pymethods]
impl PyFixEngine {
    #[new]
    #[pyo3(signature = (settings_file=None))]
    fn new(py: Python<'_>, settings_file: Option<PathBuf>) -> PyResult<PyFixEngine> {
        crate::logging::install();
        let file = settings_file.map(SettingsFile::load).transpose()?;
        let engine = py
            .detach(|| {
                crate::signals::without_signals(|| {
                    FixEngine::new(EngineSettings::default().with_thread_name("fixrs-engine"))
                })
            })
            .map_err(|e| FixError::new_err(e.to_string()))?;
        let core = Arc::new(EngineCore {
            engine: Mutex::new(Some(engine)),
            file,
        });
        let mut engines = ENGINES.lock().unwrap_or_else(|p| p.into_inner());
        engines.retain(|w| w.strong_count() > 0);
        engines.push(Arc::downgrade(&core));
        Ok(PyFixEngine { core })
    }

    /// Creates a session and returns it (not yet connected: see
    /// ``Session.connect``).
    ///
    /// ``app_protocol`` names the application protocol: a version name
    /// (``"FIX44"``, ``"FIX50SP2"``: for a ``FIXVersion.FIXT11`` session it
    /// gives the application version) or a QuickFIX XML data dictionary.
    /// When the engine's settings file has a section with this identity,
    /// its settings are used. ``params`` adds or overrides settings, by
    /// their settings-file names (QuickFIX's or FIX Antenna's:
    /// ``{"ConnectionType": "acceptor", "SocketAcceptPort": 9876}``,
    /// ``{"Reconnect.MaxTries": 3, "Reconnect.Interval": 500}``,
    /// ``{"LateDelivery": "reject"}``, ``{"FileStorePath": "store"}``, TLS
    /// keys ...). Without them the session is an initiator with a memory
    /// store.
    #[pyo3(signature = (session_id, app_protocol, version, params=None))]
    fn create_session(
        &self,
        py: Python<'_>,
        session_id: PySessionId,
        app_protocol: &str,
        version: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PySession>> {
        let version_arg = version_arg(version)?;
        let (version, dictionary) = resolve_version(app_protocol, version_arg)?;
        let key = {
            let config = fixrs_session::SessionConfig::for_id(
                fixrs_session::Role::Initiator,
                version,
                session_id.engine_id(),
            );
            config.key()
        };
        let mut base: Vec<(String, String)> = Vec::new();
        if let Some(file) = &self.core.file {
            if let Some(s) = file.sessions.iter().find(|s| s.config.key() == key) {
                base = SettingsFile::keys_of(s);
            }
        }
        let mut own: Vec<(String, String)> = Vec::new();
        if let Some(params) = params {
            for (k, v) in params.iter() {
                let k: String = k
                    .extract()
                    .map_err(|_| PyTypeError::new_err("session parameter names are str"))?;
                set_key(&mut own, &k, &param_text(&v)?);
            }
        }
        let begin = version.begin_string();
        for (k, v) in identity_keys(&session_id) {
            // The identity is the session id's, whatever the layers say.
            base.retain(|(key, _)| key != k);
            own.retain(|(key, _)| key != k);
            if let Some(v) = v {
                set_key(&mut own, k, &v);
            }
        }
        base.retain(|(k, _)| k != "BeginString" && k != "DefaultApplVerID");
        own.retain(|(k, _)| k != "BeginString" && k != "DefaultApplVerID");
        set_key(&mut own, "BeginString", begin);
        if version.is_fixt() {
            set_key(&mut own, "DefaultApplVerID", version.name());
        }
        if let Some(dict) = dictionary {
            let k = if version.is_fixt() {
                "AppDataDictionary"
            } else {
                "DataDictionary"
            };
            set_key(&mut own, k, &dict);
        }
        fn layered<'a>(
            own: &'a [(String, String)],
            base: &'a [(String, String)],
            key: &str,
        ) -> Option<&'a str> {
            get_key(own, key).or_else(|| get_key(base, key))
        }
        if layered(&own, &base, "ConnectionType").is_none() {
            set_key(&mut own, "ConnectionType", "initiator");
        }
        let role = if layered(&own, &base, "ConnectionType")
            .is_some_and(|r| r.eq_ignore_ascii_case("acceptor"))
        {
            Role::Acceptor
        } else {
            Role::Initiator
        };
        let mut counterparty_configured = true;
        if role == Role::Initiator {
            if layered(&own, &base, "HeartBtInt").is_none() {
                set_key(&mut own, "HeartBtInt", "30");
            }
            if layered(&own, &base, "SocketConnectHost").is_none()
                && layered(&own, &base, "SocketConnectPort").is_none()
            {
                // connect(hbi, host, port) names the counterparty; the
                // settings need one to parse, never used.
                counterparty_configured = false;
                set_key(&mut own, "SocketConnectHost", "127.0.0.1");
                set_key(&mut own, "SocketConnectPort", "1");
            }
        }
        let settings = parse_layers(base, &own).map_err(|e| {
            FixError::new_err(format!(
                "session {}: {}",
                session_id.display(),
                describe_settings_error(&e)
            ))
        })?;
        self.create(py, settings, session_id, counterparty_configured)
    }

    /// Creates every session of the settings file (acceptors listen;
    /// initiators wait for ``connect()``) and returns them in file order.
    fn create_sessions(&self, py: Python<'_>) -> PyResult<Vec<Py<PySession>>> {
        let Some(file) = &self.core.file else {
            return Err(FixError::new_err(
                "the engine was started without a settings file",
            ));
        };
        let mut out = Vec::new();
        for s in &file.sessions {
            let c = &s.config;
            let id = PySessionId {
                sender: c.id.sender_comp_id.clone(),
                target: c.id.target_comp_id.clone(),
                qualifier: c.id.qualifier.clone(),
                sender_sub_id: c.id.sender_sub_id.clone(),
                target_sub_id: c.id.target_sub_id.clone(),
                sender_location_id: c.id.sender_location_id.clone(),
                target_location_id: c.id.target_location_id.clone(),
            };
            out.push(self.create(py, s.clone(), id, true).map_err(|e| {
                FixError::new_err(format!(
                    "{}: session at line {}: {e}",
                    file.path.display(),
                    s.line
                ))
            })?);
        }
        Ok(out)
    }

    /// The ports acceptor sessions of this engine listen on (with the
    /// port the system chose for ``SocketAcceptPort=0``).
    #[getter]
    fn listen_ports(&self) -> PyResult<Vec<u16>> {
        self.with_engine(|e| Ok(e.listen_addresses().iter().map(|a| a.port()).collect()))
    }

    /// Stops the engine: established sessions log out (waiting a few
    /// seconds at most for the replies), connections close, the thread
    /// ends. Calling it again does nothing.
    fn stop(&self, py: Python<'_>) {
        let core = self.core.clone();
        py.detach(move || core.stop());
    }

    /// Whether the engine runs.
    #[getter]
    fn is_running(&self) -> bool {
        self.core
            .engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> bool {
        self.stop(py);
        false
    }
}

impl Drop for PyFixEngine {
    fn drop(&mut self) {
        // Dropped by the garbage collector, with the GIL held: the engine
        // thread may be waiting for it in a callback, so the engine is
        // stopped from another thread rather than joined here.
        let core = self.core.clone();
        let _ = crate::signals::without_signals(|| {
            std::thread::Builder::new()
                .name("fixrs-engine-stop".into())
                .spawn(move || core.stop())
        });
    }
}

fn describe_settings_error(e: &SettingsError) -> String {
    // Line numbers refer to the composed text: name the key instead.
    match e {
        SettingsError::UnknownKey {
            key, suggestion, ..
        } => match suggestion {
            Some(s) => format!("unknown setting {key} (did you mean {s}?)"),
            None => format!("unknown setting {key}"),
        },
        SettingsError::BadValue {
            key,
            value,
            expected,
            ..
        } => format!("bad value {value:?} for {key}: expected {expected}"),
        SettingsError::MissingKey { key, why, .. } => format!("missing {key} ({why})"),
        SettingsError::Inconsistent { key, reason, .. } => format!("{key}: {reason}"),
        SettingsError::DuplicateKey { key, first_key, .. } => {
            format!("{key} and {first_key} set the same setting")
        }
        other => other.to_string(),
    }
}
