//! The states of a session, named as FIX Antenna names them.

use std::fmt;

/// Where a session is in its life cycle.
///
/// An initiator goes `Initial -> WaitForConnect -> WaitForConfirmLogon ->
/// Established`, and after a broken link `Reconnect -> WaitForConnect ...`
/// until it gives up (`NonGracefullyTerminated`). An acceptor goes
/// `Initial -> WaitForFirstLogon -> Established` for each accepted link.
/// A Logout exchange ends in `CorrectlyTerminated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Created, not yet asked to connect.
    Initial,
    /// Initiator: waiting for the transport to open the link. Acceptor:
    /// ready for a connection.
    WaitForConnect,
    /// Initiator: Logon sent, waiting for the reply.
    WaitForConfirmLogon,
    /// Logged on: application messages flow.
    Established,
    /// Initiator: the link broke or logon failed; waiting to reconnect.
    Reconnect,
    /// Logout sent, waiting for the peer's Logout.
    WaitForConfirmLogout,
    /// Ended by a Logout exchange (or on request).
    CorrectlyTerminated,
    /// Ended by an error, a lost link, or after the last reconnect attempt.
    NonGracefullyTerminated,
    /// Acceptor: link accepted, waiting for the peer's Logon.
    WaitForFirstLogon,
}

impl SessionState {
    /// The state's name as FIX Antenna spells it.
    pub const fn name(self) -> &'static str {
        match self {
            SessionState::Initial => "Initial",
            SessionState::WaitForConnect => "WaitForConnect",
            SessionState::WaitForConfirmLogon => "WaitForConfirmLogon",
            SessionState::Established => "Established",
            SessionState::Reconnect => "Reconnect",
            SessionState::WaitForConfirmLogout => "WaitForConfirmLogout",
            SessionState::CorrectlyTerminated => "CorrectlyTerminated",
            SessionState::NonGracefullyTerminated => "NonGracefullyTerminated",
            SessionState::WaitForFirstLogon => "WaitForFirstLogon",
        }
    }

    /// Whether the session is in a Logon or Logout exchange, waiting for
    /// the peer's message that completes it (its Logon, or its reply to
    /// ours). A driver that holds the peer's input back while its
    /// application is behind still reads then: no session logs on without
    /// the Logon exchange (an application that waits for the logon before
    /// it takes its events would otherwise wait for ever), and a Logout
    /// answered ends cleanly, rather than by LogoutTimeout.
    pub const fn is_exchanging_logon_or_logout(self) -> bool {
        matches!(
            self,
            SessionState::WaitForConfirmLogon
                | SessionState::WaitForFirstLogon
                | SessionState::WaitForConfirmLogout
        )
    }

    /// Whether the session has ended (correctly or not) and waits for
    /// `connect` or a new link.
    pub const fn is_terminated(self) -> bool {
        matches!(
            self,
            SessionState::CorrectlyTerminated | SessionState::NonGracefullyTerminated
        )
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
