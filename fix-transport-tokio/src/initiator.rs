//! Sessions that connect: [`connect`] and [`connect_with_handler`].

use crate::connect::Connector;
use crate::core::Core;
use crate::delivery::{Handler, SessionEvents, Sink};
use crate::error::Error;
use crate::options::{SessionOptions, StoreChoice};
use crate::session::{SessionHandle, Spawn};
use fixrs_session::{MemoryStore, Role, SessionConfig, Store};
use fixrs_store::FileStore;
use fixrs_transport_mio::filelog::FileLog;

/// Starts an initiator session on the current tokio runtime: it connects
/// to the options' address, logs on, reconnects per its configuration's
/// `reconnect_interval` / `reconnect_max_tries` (ReconnectInterval,
/// Reconnect.MaxTries) and keeps its store. Returns at once with the
/// session's handle and its events; wait for logon with
/// [`SessionHandle::wait_for_state`] or on [`SessionEvent::LoggedOn`](crate::SessionEvent::LoggedOn).
pub async fn connect(
    config: SessionConfig,
    options: SessionOptions,
) -> Result<(SessionHandle, SessionEvents), Error> {
    let (sink, events) = crate::delivery::channel(options.event_capacity);
    let handle = start_initiator(config, options, sink)?;
    Ok((handle, events))
}

/// [`connect`] with the events handed to `handler` on the session's task
/// instead of a stream.
pub async fn connect_with_handler(
    config: SessionConfig,
    options: SessionOptions,
    handler: impl Handler,
) -> Result<SessionHandle, Error> {
    start_initiator(config, options, Sink::Handler(Box::new(handler)))
}

fn start_initiator(
    config: SessionConfig,
    mut options: SessionOptions,
    sink: Sink,
) -> Result<SessionHandle, Error> {
    if config.role != Role::Initiator {
        return Err(Error::Setting {
            name: "ConnectionType".into(),
            reason: "connect needs an initiator configuration".into(),
        });
    }
    if options.connect_addresses.is_empty() && options.connect_fn.is_none() {
        return Err(Error::Setting {
            name: "SocketConnectHost".into(),
            reason: "an initiator needs an address to connect to".into(),
        });
    }
    let connector = Connector::new(
        options.connect_fn.take(),
        std::mem::take(&mut options.connect_addresses),
        options.tls.take(),
        options.socket,
        options.connect_timeout,
    );
    let core = new_core(config, &mut options)?;
    Ok(spawn(core, sink, Some(connector), &options, None))
}

/// A session with the store, dictionaries and log its options name.
pub(crate) fn new_core(config: SessionConfig, options: &mut SessionOptions) -> Result<Core, Error> {
    let key = config.key();
    let store: Box<dyn Store + Send> =
        match std::mem::replace(&mut options.store, StoreChoice::Memory) {
            StoreChoice::Memory => Box::new(MemoryStore::new(Core::utc_now())),
            StoreChoice::Given(store) => store,
            StoreChoice::File(dir, file_options) => {
                Box::new(FileStore::open(dir, &key, file_options, Core::utc_now())?)
            }
        };
    let log = match &options.file_log_path {
        Some(dir) => Some(FileLog::open(dir, &key).map_err(Error::FileLog)?),
        None => None,
    };
    let dictionaries = std::mem::take(&mut options.dictionaries);
    Ok(Core::new(
        config,
        store,
        dictionaries,
        log,
        options.admin_events,
    )?)
}

/// Spawns a session's task.
pub(crate) fn spawn(
    core: Core,
    sink: Sink,
    connector: Option<Connector>,
    options: &SessionOptions,
    on_link_down: Option<Box<dyn FnMut() + Send>>,
) -> SessionHandle {
    Spawn {
        core,
        sink,
        connector,
        max_outgoing_bytes: options.max_outgoing_bytes,
        queue_capacity: options.queue_capacity,
        close_timeout: options.close_timeout,
        on_link_down,
    }
    .spawn()
}
