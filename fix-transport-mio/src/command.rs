//! How handles (and the engine's resolver) talk to the event loop: the
//! [`Command`]s they queue and [`EngineShared`], the queue itself with the
//! waker and flags the loop and every handle share.
//!
//! Other threads queue commands (a mutex-guarded `VecDeque`) and wake the
//! loop through a mio `Waker`; the loop is woken only when it sleeps in
//! `poll`, so a burst of commands costs one wake-up.

use crate::error::EngineError;
use crate::shared::SessionRef;
use crate::target::ConnectTarget;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Mutex;

/// What a session's handles ask of the loop.
pub(crate) enum Command {
    /// Start the connect sequence (initiators) or be ready for a Logon
    /// again (acceptors).
    Connect {
        session: SessionRef,
        heart_bt_int: Option<u32>,
        target: Option<ConnectTarget>,
    },
    /// Messages were put on the session.
    Drain(SessionRef),
    /// Log out gracefully.
    Logout {
        session: SessionRef,
        text: Option<String>,
    },
    /// Drop the link without Logout.
    Disconnect(SessionRef),
    /// The application has room for input again.
    ResumeInput(SessionRef),
    /// Reset sequence numbers locally.
    ResetLocal(SessionRef),
    /// Reset sequence numbers with a Logon.
    ResetAndLogon(SessionRef),
    /// Remove the session.
    Finalize {
        session: SessionRef,
        done: SyncSender<()>,
    },
    /// The engine's resolver answered for the link `serial` of a session.
    Resolved {
        session: SessionRef,
        serial: u32,
        result: io::Result<Vec<SocketAddr>>,
    },
}

/// Counter of engines, to tell their loop threads apart.
static ENGINE_IDS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// The id of the engine whose loop runs on this thread (0 for none).
    static LOOP_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The command queue and wake-up state shared between the loop and every
/// handle.
pub(crate) struct EngineShared {
    pub(crate) id: usize,
    pub(crate) commands: Mutex<VecDeque<Command>>,
    /// Set after a command is queued, cleared by the loop before it takes
    /// the queue: lets the loop skip the queue's lock when nothing came.
    pub(crate) queued: AtomicBool,
    pub(crate) waker: mio::Waker,
    /// Set by the loop just before it sleeps in poll; whoever clears it
    /// wakes the loop.
    pub(crate) sleeping: AtomicBool,
    pub(crate) stopped: AtomicBool,
}

impl std::fmt::Debug for EngineShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineShared")
            .field("id", &self.id)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl EngineShared {
    /// The shared state of a new engine whose poll wakes with `waker`.
    pub(crate) fn new(waker: mio::Waker) -> EngineShared {
        EngineShared {
            id: ENGINE_IDS.fetch_add(1, Ordering::Relaxed),
            commands: Mutex::new(VecDeque::new()),
            queued: AtomicBool::new(false),
            waker,
            sleeping: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        }
    }

    /// Queues a command and wakes the loop if it sleeps.
    pub(crate) fn submit(&self, command: Command) -> Result<(), EngineError> {
        {
            let mut q = self.commands.lock().map_err(|_| EngineError::Stopped)?;
            if self.stopped.load(Ordering::Acquire) {
                return Err(EngineError::Stopped);
            }
            q.push_back(command);
        }
        self.wake()
    }

    /// Tells the loop that something was queued for it (here or in the
    /// engine's own queue), waking it if it sleeps.
    pub(crate) fn wake(&self) -> Result<(), EngineError> {
        // SeqCst pairs with the loop's `sleeping` store then `queued` load:
        // either the loop sees the command before it sleeps, or we see it
        // sleeping and wake it.
        self.queued.store(true, Ordering::SeqCst);
        if !self.on_loop_thread() && self.sleeping.swap(false, Ordering::SeqCst) {
            self.waker.wake()?;
        }
        Ok(())
    }

    /// Marks the engine stopped and drops queued commands, so that anyone
    /// waiting for a reply gets an error.
    pub(crate) fn mark_stopped(&self) {
        if let Ok(mut q) = self.commands.lock() {
            self.stopped.store(true, Ordering::Release);
            q.clear();
        }
        self.stopped.store(true, Ordering::Release);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Whether the caller runs on this engine's loop thread (in a
    /// callback).
    pub(crate) fn on_loop_thread(&self) -> bool {
        LOOP_OF.with(|l| l.get()) == self.id
    }

    pub(crate) fn mark_loop_thread(&self) {
        LOOP_OF.with(|l| l.set(self.id));
    }
}

/// The current time as the session layer takes it.
pub(crate) fn clock() -> fixrs_session::Now {
    fixrs_session::Now::system()
}
