//! Connections an acceptor closes before they belong to a session, reported
//! as typed values ([`RefusedConnection`]) to the hook set in
//! [`EngineSettings::on_refused`](crate::EngineSettings::on_refused).
//!
//! Such a connection has no session yet, so no [`Application`](crate::Application)
//! hears of it: an operator who wants to see strangers knocking (wrong
//! CompIDs, a wrong BeginString, a second Logon for a connected session,
//! garbage, TLS failures) installs the hook.

use fixrs_proto::{FrameError, ParseError};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the engine closed an accepted connection before its first Logon was
/// routed to a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefusalReason {
    /// No acceptor session has these identifiers (BeginString and the
    /// peer's CompIDs, sub and location IDs, the listener's port).
    #[error("Logon from unknown session {begin_string}:{sender_comp_id}->{target_comp_id}")]
    UnknownSession {
        /// BeginString(8) of the Logon.
        begin_string: String,
        /// The peer's SenderCompID(49).
        sender_comp_id: String,
        /// The peer's TargetCompID(56).
        target_comp_id: String,
    },
    /// A session with these CompIDs exists, for another FIX version.
    #[error("Logon with BeginString {received}, the session {session} expects {expected}")]
    WrongBeginString {
        /// BeginString(8) of the Logon.
        received: String,
        /// The BeginString of the session with these CompIDs.
        expected: String,
        /// That session.
        session: String,
    },
    /// The session already has a connection.
    #[error("duplicate Logon for session {session}, which is already connected")]
    DuplicateLogon {
        /// The session.
        session: String,
    },
    /// The session takes Logons only from the addresses of its
    /// AllowedRemoteAddresses setting, and the peer's is not one of them.
    #[error("Logon for session {session} from an address not in AllowedRemoteAddresses")]
    AddressNotAllowed {
        /// The session.
        session: String,
    },
    /// The application's `from_admin` refused the Logon.
    #[error("session {session}: {reason}")]
    RefusedByApplication {
        /// The session.
        session: String,
        /// What the application said.
        reason: String,
    },
    /// The first message is a well-formed frame but not a Logon.
    #[error("first message is not a Logon (MsgType {msg_type})")]
    NotLogon {
        /// Its MsgType(35).
        msg_type: String,
    },
    /// The first message declares more than
    /// [`EngineSettings::max_logon_size`](crate::EngineSettings::max_logon_size)
    /// bytes.
    #[error("first message larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The first bytes are not a FIX frame.
    #[error("garbled first message: {0}")]
    Garbled(FrameError),
    /// The first frame's fields cannot be read.
    #[error("unparsable first message: {0}")]
    Unparsable(ParseError),
    /// No complete first message within
    /// [`EngineSettings::logon_timeout`](crate::EngineSettings::logon_timeout).
    #[error("no Logon within the logon timeout")]
    LogonTimeout,
    /// The transport failed before a Logon arrived (a TLS handshake that
    /// failed or timed out, a reset connection). A TLS failure is the
    /// transport's typed error inside the `io::Error`.
    #[error("{0}")]
    Transport(io::Error),
    /// More connections than
    /// [`EngineSettings::max_pending_connections`](crate::EngineSettings::max_pending_connections)
    /// wait for their Logon.
    #[error("too many connections waiting for Logon")]
    TooManyPending,
}

/// An accepted connection the engine closed without routing it to a
/// session.
#[derive(Debug, thiserror::Error)]
#[error("connection from {peer} refused: {reason}")]
pub struct RefusedConnection {
    /// The peer's address.
    pub peer: SocketAddr,
    /// Why.
    pub reason: RefusalReason,
}

/// The function the engine calls, on its event loop thread, for every
/// refused connection (it should return quickly, as any callback).
#[derive(Clone)]
pub struct RefusalHook(Arc<dyn Fn(&RefusedConnection) + Send + Sync>);

impl RefusalHook {
    /// Wraps a function.
    pub fn new(f: impl Fn(&RefusedConnection) + Send + Sync + 'static) -> RefusalHook {
        RefusalHook(Arc::new(f))
    }

    pub(crate) fn call(&self, refused: &RefusedConnection) {
        (self.0)(refused)
    }
}

impl std::fmt::Debug for RefusalHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefusalHook")
    }
}
