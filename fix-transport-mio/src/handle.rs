//! [`SessionHandle`]: one session of an engine as seen from any thread.
//!
//! The handle forwards commands to the engine's event loop and reads the
//! session's state and sequence numbers from atomics the loop updates, so
//! none of its methods waits for the loop except [`SessionHandle::finalize`].

use crate::command::{Command, EngineShared};
use crate::error::{EngineError, PutError};
use crate::shared::{state_from_u8, SessionShared};
use crate::target::{ConnectTarget, TargetAddress};
use crate::transport::{PlainTcp, TransportFactory};
use fixrs_proto::MessageBuilder;
use fixrs_session::{SeqNum, SessionKey, SessionState};
use std::borrow::Borrow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One session of a [`FixEngine`](crate::FixEngine), usable from any
/// thread.
///
/// Commands ([`connect`](SessionHandle::connect),
/// [`put`](SessionHandle::put), [`disconnect`](SessionHandle::disconnect),
/// ...) are queued for the engine thread and return at once; state and
/// sequence numbers are read from values the engine thread keeps current.
/// Application callbacks receive a `&SessionHandle` of their session and may
/// call the same methods (except `finalize`, which needs ownership).
///
/// Dropping the handle leaves the session running in its engine until the
/// engine stops; [`finalize`](SessionHandle::finalize) removes it. The
/// handle is `Send` and `Sync`: share it (in an `Arc`) to put from several
/// threads.
#[derive(Debug)]
pub struct SessionHandle {
    pub(crate) engine: Arc<EngineShared>,
    pub(crate) shared: Arc<SessionShared>,
    /// Whether this is the application's handle (finalizing the session
    /// when dropped without `finalize` is not done: the session lives until
    /// finalized or the engine stops).
    pub(crate) owner: bool,
}

impl SessionHandle {
    pub(crate) fn new(
        engine: Arc<EngineShared>,
        shared: Arc<SessionShared>,
        owner: bool,
    ) -> SessionHandle {
        SessionHandle {
            engine,
            shared,
            owner,
        }
    }

    /// Another handle to the same session, to put to it or disconnect it
    /// from another thread: how an application keeps a handle of a session
    /// its callbacks see only as `&SessionHandle`, such as one created from
    /// an acceptor template. [`finalize`](SessionHandle::finalize) on it
    /// does nothing (only the handle that created the session removes it).
    pub fn clone_handle(&self) -> SessionHandle {
        SessionHandle::new(self.engine.clone(), self.shared.clone(), false)
    }

    /// The session's identity (BeginString, CompIDs, qualifier).
    pub fn key(&self) -> &SessionKey {
        &self.shared.key
    }

    /// The session's identity, shared.
    pub fn key_arc(&self) -> Arc<SessionKey> {
        self.shared.key.clone()
    }

    /// The current state (as last updated by the engine thread).
    pub fn state(&self) -> SessionState {
        state_from_u8(self.shared.state.load(Ordering::Acquire))
    }

    /// The MsgSeqNum expected on the next incoming message.
    pub fn in_seq_num(&self) -> SeqNum {
        self.shared.next_in.load(Ordering::Acquire)
    }

    /// The MsgSeqNum the next outgoing message will carry (as of the last
    /// message the engine thread processed).
    pub fn out_seq_num(&self) -> SeqNum {
        self.shared.next_out.load(Ordering::Acquire)
    }

    /// The bound of the session's outgoing backlog, in bytes (its
    /// MaxOutgoingBytes, or `EngineSettings::max_outgoing_bytes`).
    pub fn max_outgoing_bytes(&self) -> usize {
        self.shared.max_outgoing_bytes
    }

    /// Bytes put or encoded and not yet written to the socket.
    pub fn backlog(&self) -> usize {
        let queued = self.shared.inbox.lock().map(|i| i.buf.len()).unwrap_or(0);
        queued
            + self.shared.held.load(Ordering::Acquire)
            + self.shared.unsent.load(Ordering::Acquire)
    }

    /// What the transport of the current link proved about the peer, such
    /// as a TLS peer's certificate (`fixrs_transport_tls::PeerCertificate`;
    /// downcast with `Arc::downcast`). Set before the peer's Logon reaches
    /// [`Application::from_admin`](crate::Application::from_admin), so a
    /// logon check can refuse a counterparty whose certificate does not
    /// name its CompID; `None` for plain TCP and between links.
    pub fn peer_identity(&self) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        self.shared
            .peer_identity
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
    }

    /// Whether the session was finalized or its engine stopped.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire) || self.engine.is_stopped()
    }

    /// Starts the initiator's connect sequence in the background: TCP
    /// connect to `counterparty` (`host:port`), Logon with this HeartBtInt
    /// (seconds), confirming Logon, Established. When the link cannot be
    /// opened or breaks, the session reconnects `Reconnect.Interval` apart
    /// at most `Reconnect.MaxTries` times; each attempt resolves the host
    /// name again, on a thread of the engine (a DNS fail-over is seen),
    /// and a failed attempt reaches
    /// [`Application::on_error`](crate::Application::on_error) as a
    /// [`LinkError`](crate::LinkError). Returns once the command is
    /// queued; watch [`state`](SessionHandle::state) or the callbacks.
    /// Fails only for an address that is not of the form `host:port`.
    pub fn connect(&self, heart_bt_int: u32, counterparty: &str) -> Result<(), EngineError> {
        self.connect_with(heart_bt_int, counterparty, Arc::new(PlainTcp))
    }

    /// [`connect`](SessionHandle::connect) with a factory wrapping the
    /// connected stream (for TLS).
    pub fn connect_with(
        &self,
        heart_bt_int: u32,
        counterparty: &str,
        factory: Arc<dyn TransportFactory>,
    ) -> Result<(), EngineError> {
        if !self.shared.is_initiator {
            return Err(EngineError::WrongRole {
                session: self.key().to_string(),
                reason: "connect to a counterparty needs an initiator session",
            });
        }
        let address = TargetAddress::parse(counterparty, None)?;
        self.command(Command::Connect {
            session: self.shared.sref,
            heart_bt_int: Some(heart_bt_int),
            target: Some(ConnectTarget::new(vec![address], factory)),
        })
    }

    /// Starts the connect sequence with the HeartBtInt and counterparty
    /// already configured (from a settings file); for an acceptor session,
    /// makes it ready to accept a Logon again after it was terminated.
    pub fn connect_configured(&self) -> Result<(), EngineError> {
        self.command(Command::Connect {
            session: self.shared.sref,
            heart_bt_int: None,
            target: None,
        })
    }

    /// Sends an application message. While the session is established the
    /// message is written right away (batched with others the engine
    /// thread finds queued). Before that ("late delivery", FIX session test
    /// case 16) it is kept in the store, unless the session is configured
    /// to reject late delivery. With `LateDeliveryMode::Resend` (the
    /// default) it is stored at once with the next MsgSeqNum; the Logon
    /// that follows carries a higher MsgSeqNum, the counterparty asks for
    /// the gap, and the message goes out as a PossDupFlag=Y resend with
    /// SendingTime set when it leaves. With `LateDeliveryMode::Queue` it
    /// waits unnumbered in the store's pending queue and goes out right
    /// after the Logon as a new message. Either way a restart, even after
    /// `kill -9`, loses none that the engine thread took from the handle.
    ///
    /// Fails with [`PutError::Backpressure`] when the session's backlog is
    /// over its bound ([`max_outgoing_bytes`](SessionHandle::max_outgoing_bytes)).
    pub fn put(&self, message: impl Borrow<MessageBuilder>) -> Result<(), PutError> {
        if self.is_closed() {
            return Err(PutError::Closed);
        }
        if self.shared.rejects_late_delivery && self.state() != SessionState::Established {
            return Err(PutError::NotEstablished);
        }
        let limit = self.shared.max_outgoing_bytes;
        let schedule = {
            let mut inbox = self.shared.inbox.lock().map_err(|_| PutError::Closed)?;
            let backlog = inbox.buf.len()
                + self.shared.held.load(Ordering::Acquire)
                + self.shared.unsent.load(Ordering::Acquire);
            if backlog > limit {
                return Err(PutError::Backpressure { backlog, limit });
            }
            inbox.push(message.borrow());
            self.shared.inbox_pending.store(true, Ordering::Release);
            // Put from this session's own callbacks: the service running
            // them sends it next, without a command (and its queue lock).
            let serviced =
                self.shared.in_service.load(Ordering::Relaxed) && self.engine.on_loop_thread();
            if serviced {
                self.shared.answered.store(true, Ordering::Relaxed);
            }
            !serviced && !std::mem::replace(&mut inbox.scheduled, true)
        };
        if schedule {
            self.engine
                .submit(Command::Drain(self.shared.sref))
                .map_err(|_| PutError::Closed)?;
        }
        Ok(())
    }

    /// Logs out gracefully: sends Logout with `reason` as Text(58), waits
    /// for the peer's Logout (LogoutTimeout), closes the link. The session
    /// keeps its sequence numbers and does not reconnect.
    pub fn disconnect(&self, reason: &str) -> Result<(), EngineError> {
        self.command(Command::Logout {
            session: self.shared.sref,
            text: (!reason.is_empty()).then(|| reason.to_string()),
        })
    }

    /// Drops the link at once, without Logout; no reconnect follows.
    pub fn disconnect_non_gracefully(&self) -> Result<(), EngineError> {
        self.command(Command::Disconnect(self.shared.sref))
    }

    /// Tells the engine that the application has room for input again
    /// after its [`Application::has_room`](crate::Application::has_room)
    /// answered false: the session reads from its peer again (asking
    /// `has_room` first). Harmless when the session is not held back.
    pub fn resume_input(&self) -> Result<(), EngineError> {
        self.command(Command::ResumeInput(self.shared.sref))
    }

    /// Resets both sequence numbers to 1 locally (the store is reset).
    pub fn reset_seq_num_local(&self) -> Result<(), EngineError> {
        self.command(Command::ResetLocal(self.shared.sref))
    }

    /// Resets both sides' sequence numbers: sends Logon with
    /// ResetSeqNumFlag(141)=Y now if established, else at the next Logon.
    pub fn reset_seq_num_and_send_logon(&self) -> Result<(), EngineError> {
        self.command(Command::ResetAndLogon(self.shared.sref))
    }

    /// Waits until the session is in `state` or `timeout` passes; returns
    /// whether the state was reached. The thread sleeps until the engine
    /// changes the session's state (or finalizes it, or stops).
    ///
    /// From a callback on the engine thread it does not wait (the state
    /// cannot change while the callback runs): it says whether the session
    /// is in `state` now.
    pub fn wait_for_state(&self, state: SessionState, timeout: Duration) -> bool {
        if self.engine.on_loop_thread() {
            return self.state() == state;
        }
        let until = Instant::now().checked_add(timeout);
        let engine = &self.engine;
        self.shared.wait_for(until, |now, closed| {
            now == state || closed || engine.is_stopped()
        }) && self.state() == state
    }

    /// Removes the session from its engine: the link is dropped (call
    /// [`disconnect`](SessionHandle::disconnect) first and wait for
    /// `CorrectlyTerminated` for a graceful Logout), logs are flushed, the
    /// store is closed. Waits for the engine thread to have done it, except
    /// when called from a callback on that thread: the session is then
    /// removed once the callback returns.
    pub fn finalize(self) {
        if !self.owner {
            return;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let command = Command::Finalize {
            session: self.shared.sref,
            done: tx,
        };
        // An error means the loop stopped: the session is gone either way.
        if self.engine.submit(command).is_ok() && !self.engine.on_loop_thread() {
            let _ = rx.recv();
        }
        self.shared.closed.store(true, Ordering::Release);
    }

    fn command(&self, command: Command) -> Result<(), EngineError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(EngineError::Stopped);
        }
        self.engine.submit(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_engines_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<SessionHandle>();
        send_sync::<crate::FixEngine>();
    }
}
