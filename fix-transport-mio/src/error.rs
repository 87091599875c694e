//! Errors of the engine API: starting the engine and managing sessions
//! ([`EngineError`]) and handing messages to a session ([`PutError`]).

use std::io;
use std::net::SocketAddr;

/// Why an engine or session operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An operating system call (poll, socket, thread) failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The engine's event loop has stopped (or the session was finalized).
    #[error("the engine is stopped")]
    Stopped,
    /// A call that waits for the engine thread was made from a callback on
    /// that thread, where it would wait for itself for ever.
    #[error("{0} cannot be called from a callback on the engine thread, which it would wait for")]
    OnEngineThread(&'static str),
    /// A session with the same identity already exists in this engine.
    #[error("session {0} already exists")]
    DuplicateSession(String),
    /// The session was created from a configuration that does not suit the
    /// call (for example `connect` on an acceptor session).
    #[error("session {session}: {reason}")]
    WrongRole {
        /// The session's identity.
        session: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// The counterparty address did not resolve to any socket address.
    #[error("cannot resolve address {0:?}")]
    BadAddress(String),
    /// Binding a listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// The session's store could not be opened.
    #[error("store error: {0}")]
    Store(#[from] fixrs_session::StoreError),
    /// The session's file store could not be opened.
    #[error("file store error: {0}")]
    FileStore(#[from] fixrs_store::FileStoreError),
    /// The session's FIX message log could not be opened.
    #[error("cannot open the FIX log in {}: {source}", path.display())]
    FileLog {
        /// The log directory.
        path: std::path::PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The session state machine refused its configuration or store
    /// ([`SessionError::Config`](fixrs_session::SessionError::Config) or
    /// [`SessionError::Store`](fixrs_session::SessionError::Store)).
    #[error("session error: {0}")]
    Session(#[from] fixrs_session::SessionError),
    /// A settings file is wrong, or names a data dictionary file that
    /// cannot be read or used: the error names the line and the key (and
    /// the file).
    #[error("{0}")]
    Settings(#[from] fixrs_session::SettingsError),
    /// A setting has a value the engine cannot use.
    #[error("invalid setting {name}: {reason}")]
    Setting {
        /// The setting's name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Why an initiator's connection attempt failed or a link was lost,
/// reported to [`Application::on_error`](crate::Application::on_error)
/// before the session reconnects (or gives up). A transport's own error
/// (such as a TLS failure) is the `io::Error` source of `Setup` or
/// `Broken`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The counterparty's host name did not resolve.
    #[error("cannot resolve {address}: {source}")]
    Resolve {
        /// The address as configured (`host:port`).
        address: String,
        /// The cause.
        source: io::Error,
    },
    /// The TCP connect failed (refused, unreachable ...).
    #[error("connect to {addr} failed: {source}")]
    Connect {
        /// The address connected to.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// No connection within the connect timeout
    /// ([`EngineSettings::connect_timeout`](crate::EngineSettings::connect_timeout)).
    #[error("connect to {address} timed out")]
    ConnectTimeout {
        /// The address connected to, or the one being resolved.
        address: String,
    },
    /// The connected stream could not be set up (socket options, or the
    /// transport, such as a TLS configuration).
    #[error("cannot set up the connection to {addr}: {source}")]
    Setup {
        /// The address connected to.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// Reading or writing the link failed (a reset, a TLS failure ...).
    #[error("link broken: {0}")]
    Broken(#[source] io::Error),
    /// The peer closed the connection while the session was logging on
    /// or logged on (no Logout exchange).
    #[error("the peer closed the connection")]
    PeerClosed,
}

/// Why [`put`](crate::SessionHandle::put) did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PutError {
    /// The session's outgoing backlog (queued plus unwritten bytes) is over
    /// its bound: the peer or the network is slower than the application.
    /// Retry after the backlog drained.
    #[error("outgoing backlog of {backlog} bytes is over the bound of {limit}")]
    Backpressure {
        /// Bytes waiting.
        backlog: usize,
        /// The session's bound (`SessionHandle::max_outgoing_bytes`).
        limit: usize,
    },
    /// The session rejects messages while it is not established
    /// (late delivery set to reject).
    #[error("session is not established and rejects late delivery")]
    NotEstablished,
    /// The session was finalized or its engine stopped.
    #[error("session is closed")]
    Closed,
}
