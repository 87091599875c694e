//! Sessions from a QuickFIX-style settings file: the same keys, read by
//! the same code, as the mio engine and its TLS layer
//! (`fixrs_transport_tls::settings::read_settings_with`, which checks
//! every key of the four layers), and the keys of this engine alone
//! ([`KEYS`]), below.
//!
#![doc = include_str!("settings/reference.md")]

use crate::acceptor::Acceptor;
use crate::acceptor::NewSession;
use crate::delivery::SessionEvents;
use crate::error::Error;
use crate::options::{SessionOptions, DEFAULT_EVENT_CAPACITY, DEFAULT_QUEUE_CAPACITY};
use crate::session::SessionHandle;
use fixrs_session::settings::{
    format, DictionaryLoader, Key, KeyTable, Section, Settings, SettingsError,
};
use fixrs_session::{AcceptRules, AcceptorTemplate, Role};
use fixrs_store::FileStoreOptions;
use fixrs_transport_mio::settings::{Endpoint, HostSelectionPolicy, SessionSettings};
use fixrs_transport_tls::{TlsClientConfig, TlsServerConfig, TlsSettings};
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use tokio::sync::mpsc;

/// The keys only this engine reads; a settings file may also use every
/// key of `fixrs_transport_tls::settings::ALL_KEYS`.
pub static KEYS: &KeyTable = &[&EVENT_CAPACITY, &SEND_QUEUE_CAPACITY];

/// The heading of this engine's keys in the reference.
const TOKIO: &str = "tokio engine";

static EVENT_CAPACITY: Key<usize> = Key {
    name: "EventCapacity",
    group: TOKIO,
    format: format::positive("a positive number of events"),
    default: "1024",
    example: "EventCapacity=4096",
    meaning: "Most events waiting in the session's event stream for the application to read. While it is full the session reads nothing more from its peer (backpressure) and goes on sending and running its timers, without taking the peer's unread Heartbeats for silence; nothing is dropped.",
    also: &[],
};

static SEND_QUEUE_CAPACITY: Key<usize> = Key {
    name: "SendQueueCapacity",
    group: TOKIO,
    format: format::positive("a positive number of messages"),
    default: "1024",
    example: "SendQueueCapacity=256",
    meaning: "Most messages and commands queued by the session's handles for its task: beyond it `send` waits and `try_send` refuses.",
    also: &[],
};

/// What this engine's own keys give one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EngineKeys {
    event_capacity: usize,
    send_queue_capacity: usize,
}

impl EngineKeys {
    fn read(section: &Section) -> Result<EngineKeys, SettingsError> {
        Ok(EngineKeys {
            event_capacity: section
                .get(&EVENT_CAPACITY)?
                .unwrap_or(DEFAULT_EVENT_CAPACITY),
            send_queue_capacity: section
                .get(&SEND_QUEUE_CAPACITY)?
                .unwrap_or(DEFAULT_QUEUE_CAPACITY),
        })
    }
}

/// A session started from a settings file.
#[derive(Debug)]
#[non_exhaustive]
pub struct StartedSession {
    /// Its settings, as read.
    pub settings: SessionSettings,
    /// Its handle.
    pub handle: SessionHandle,
    /// Its events.
    pub events: SessionEvents,
}

/// An acceptor template of a settings file (AcceptorTemplate=Y).
#[derive(Debug)]
#[non_exhaustive]
pub struct StartedTemplate {
    /// Its settings, as read.
    pub settings: SessionSettings,
    /// The sessions it creates on their first Logon, each with its events.
    pub sessions: mpsc::UnboundedReceiver<NewSession>,
}

/// Everything a settings file started.
#[derive(Debug)]
#[non_exhaustive]
pub struct Started {
    /// Every session, in file order; initiators are connecting.
    pub sessions: Vec<StartedSession>,
    /// Every acceptor template, in file order.
    pub templates: Vec<StartedTemplate>,
    /// The acceptor of the file's acceptor sessions, listening on each
    /// SocketAcceptHost/SocketAcceptPort; `None` without acceptor
    /// sessions (the one given to [`start_from_settings_with`] is
    /// returned whatever the file). Keep it: dropping it stops the
    /// listeners.
    pub acceptor: Option<Acceptor>,
}

/// Creates every session of a settings file, listens for its acceptors
/// and starts its initiators, as QuickFIX's `SocketInitiator::start` and
/// `SocketAcceptor::start` do. Every data dictionary is loaded and every
/// TLS configuration built before any session starts.
pub async fn start_from_settings(settings: &Settings) -> Result<Started, Error> {
    start(settings, None).await
}

/// [`start_from_settings`] with the file's acceptor sessions and templates
/// on `acceptor`, so that its logon check
/// ([`Acceptor::with_logon_check`]) and refusal hook
/// ([`Acceptor::with_on_refused`]) are in place before the first
/// connection is taken. It is returned in [`Started::acceptor`].
pub async fn start_from_settings_with(
    settings: &Settings,
    acceptor: Acceptor,
) -> Result<Started, Error> {
    start(settings, Some(acceptor)).await
}

async fn start(settings: &Settings, mut given: Option<Acceptor>) -> Result<Started, Error> {
    let mut sessions = fixrs_transport_tls::settings::read_settings_with(settings, &[KEYS])?;
    let own = settings
        .sessions
        .iter()
        .map(EngineKeys::read)
        .collect::<Result<Vec<_>, _>>()?;
    for warning in fixrs_transport_mio::settings::warnings(settings, &sessions) {
        log::warn!("settings: {warning}");
    }
    let mut loader = DictionaryLoader::new();
    let mut prepared = Vec::with_capacity(sessions.len());
    for (s, own) in sessions.iter_mut().zip(&own) {
        s.load_dictionaries(&mut loader, &mut |path| std::fs::read_to_string(path))?;
        prepared.push(prepare(s, own)?);
    }
    let mut acceptor: Option<Acceptor> = None;
    // One listener per address, shared by the sessions that name it.
    let mut listening: HashMap<SocketAddr, (u16, bool)> = HashMap::new();
    let mut started = Vec::with_capacity(sessions.len());
    let mut templates = Vec::new();
    for ((s, (options, tls)), own) in sessions.into_iter().zip(prepared).zip(own) {
        let (handle, events) = match (&s.endpoint, s.config.role) {
            (Endpoint::Accept(at), Role::Acceptor) if s.acceptor_template => {
                let acceptor = acceptor.get_or_insert_with(|| given.take().unwrap_or_default());
                let port = listen(acceptor, &mut listening, &at.to_string(), tls, &s).await?;
                let rules = AcceptRules::default()
                    .with_port(port)
                    .with_allowed_remote_addresses(s.allowed_remote_addresses.clone());
                let template = AcceptorTemplate::new(s.config.clone()).with_rules(rules);
                // Read once already: the same settings give the same options.
                let again = s.clone();
                let new_sessions = acceptor.add_template(template, move |_| {
                    prepare(&again, &own).map(|(o, _)| o).unwrap_or_default()
                });
                templates.push(StartedTemplate {
                    settings: s,
                    sessions: new_sessions,
                });
                continue;
            }
            (Endpoint::Connect(_), Role::Initiator) => {
                crate::connect(s.config.clone(), options).await?
            }
            (Endpoint::Accept(at), Role::Acceptor) => {
                let acceptor = acceptor.get_or_insert_with(|| given.take().unwrap_or_default());
                let port = listen(acceptor, &mut listening, &at.to_string(), tls, &s).await?;
                let rules = AcceptRules::default()
                    .with_port(port)
                    .with_allowed_remote_addresses(s.allowed_remote_addresses.clone());
                acceptor.add_session_with_rules(s.config.clone(), options, rules)?
            }
            _ => {
                return Err(Error::Setting {
                    name: "ConnectionType".into(),
                    reason: "endpoint does not match the session's role".into(),
                })
            }
        };
        started.push(StartedSession {
            settings: s,
            handle,
            events,
        });
    }
    Ok(Started {
        sessions: started,
        templates,
        acceptor: acceptor.or(given),
    })
}

/// Listens on a session's address unless the file's other acceptors do
/// already (with the same TLS choice); returns the port.
async fn listen(
    acceptor: &Acceptor,
    listening: &mut HashMap<SocketAddr, (u16, bool)>,
    address: &str,
    tls: Option<TlsServerConfig>,
    s: &SessionSettings,
) -> Result<u16, Error> {
    let addr = resolve(address)?;
    if let Some((port, is_tls)) = listening.get(&addr) {
        if *is_tls != tls.is_some() {
            return Err(Error::Setting {
                name: "SocketUseSSL".into(),
                reason: format!(
                    "sessions listening on {addr} disagree on TLS (line {})",
                    s.line
                ),
            });
        }
        return Ok(*port);
    }
    let is_tls = tls.is_some();
    // One listener serves every session at its address; its connections
    // take the socket options of the first of them (they are applied
    // before the Logon says which session a connection is for).
    let bound = acceptor.listen_with(addr, tls, s.socket).await?;
    listening.insert(addr, (bound.port(), is_tls));
    Ok(bound.port())
}

/// The options a session's settings give, and an acceptor's TLS server
/// configuration.
fn prepare(
    s: &SessionSettings,
    own: &EngineKeys,
) -> Result<(SessionOptions, Option<TlsServerConfig>), Error> {
    let unsupported = |name: &str| Error::Setting {
        name: name.into(),
        reason: "not supported by the tokio engine".into(),
    };
    if s.connect.source_addresses.iter().any(Option::is_some) {
        return Err(unsupported("SocketConnectSourceHost"));
    }
    if s.connect.host_selection != HostSelectionPolicy::RoundRobin {
        return Err(unsupported("HostSelectionPolicy"));
    }
    let mut options = SessionOptions::new()
        .with_socket(s.socket)
        .with_max_outgoing_bytes(s.max_outgoing_bytes)
        .with_event_capacity(own.event_capacity)
        .with_queue_capacity(own.send_queue_capacity);
    if let Some(d) = &s.dictionary {
        options = options.with_dictionary(d.clone());
    }
    for (version, d) in &s.app_dictionaries {
        options = options.with_app_dictionary(*version, d.clone());
    }
    if let Some(dir) = &s.store.file_store_path {
        options = options.with_file_store(dir, s.store.options(FileStoreOptions::default()));
    }
    if let Some(dir) = &s.file_log_path {
        options = options.with_file_log_path(dir);
    }
    if let Endpoint::Connect(addresses) = &s.endpoint {
        for a in addresses {
            options = options.with_connect_address(a.to_string());
        }
    }
    let mut server = None;
    if let Some(tls) = TlsSettings::from_settings(s)? {
        match s.config.role {
            Role::Initiator => options = options.with_tls(TlsClientConfig::from_settings(&tls)?),
            Role::Acceptor => server = Some(TlsServerConfig::from_settings(&tls)?),
        }
    }
    Ok((options, server))
}

fn resolve(address: &str) -> Result<SocketAddr, Error> {
    let setting = |reason: String| Error::Setting {
        name: "SocketAcceptHost".into(),
        reason,
    };
    address
        .to_socket_addrs()
        .map_err(|e| setting(format!("{address}: {e}")))?
        .next()
        .ok_or_else(|| setting(format!("{address}: no address")))
}

#[cfg(test)]
mod tests;
