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

    /// Whether the session waits for the peer's Logon, or for its reply
    /// to ours: a driver that holds back the peer's input while its
    /// application is behind still reads the Logon exchange, which no
    /// session can log on without (an application that waits for the
    /// logon before it takes its events would otherwise wait for ever).
    pub const fn is_logging_on(self) -> bool {
        matches!(
            self,
            SessionState::WaitForConfirmLogon | SessionState::WaitForFirstLogon
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
