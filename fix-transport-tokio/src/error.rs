//! The errors of the tokio engine: one enum, each variant wrapping the
//! failing layer's own type.

use std::io;

/// What went wrong in a session, its link or its setup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session layer reported a problem (store failure, logon
    /// refused, sequence number too low...).
    #[error(transparent)]
    Session(#[from] fixrs_session::SessionError),
    /// A connection could not be opened, or broke (the TLS error, if any,
    /// is inside: `fixrs_transport_tls::TlsError::find`).
    #[error("link to {peer}: {source}")]
    Link {
        /// The address connected to, or the peer's.
        peer: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The session did not take a message (late delivery refused, store
    /// failure, a MsgType the application may not send...).
    #[error(transparent)]
    Send(#[from] fixrs_session::SendError),
    /// The session's task has ended: nothing more can be sent to it.
    #[error("the session has ended")]
    Closed,
    /// A listener could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// The file store could not be opened.
    #[error(transparent)]
    Store(#[from] fixrs_store::FileStoreError),
    /// A FIX message log could not be opened.
    #[error("FileLogPath: {0}")]
    FileLog(#[source] io::Error),
    /// A settings file could not be read.
    #[error(transparent)]
    Settings(#[from] fixrs_session::settings::SettingsError),
    /// A TLS configuration could not be built.
    #[error(transparent)]
    TlsConfig(#[from] fixrs_transport_tls::TlsConfigError),
    /// A setting this engine cannot act on.
    #[error("setting {name}: {reason}")]
    Setting {
        /// The settings key.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Why [`SessionHandle::try_send`](crate::SessionHandle::try_send) did
/// not take a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrySendError {
    /// The session's outgoing bound is reached: try later, or wait with
    /// [`send`](crate::SessionHandle::send).
    #[error("the session's outgoing queue is full")]
    Full,
    /// The session's task has ended.
    #[error("the session has ended")]
    Closed,
}
