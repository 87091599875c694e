//! Connections an acceptor closes before they belong to a session, reported
//! as typed values ([`RefusedConnection`]) to the hook set in
//! [`EngineSettings::on_refused`](crate::EngineSettings::on_refused).
//!
//! Such a connection has no session yet, so no [`Application`](crate::Application)
//! hears of it: an operator who wants to see strangers knocking (wrong
//! CompIDs, a wrong BeginString, a second Logon for a connected session,
//! garbage, TLS failures) installs the hook. The reason is the session
//! layer's [`RefusalReason`]: the router of `fixrs-session` decides most
//! of them, the engine adds those of the connection itself (no Logon in
//! time, a failed transport, too many connections waiting).

use fixrs_session::RefusalReason;
use std::net::SocketAddr;
use std::sync::Arc;

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
