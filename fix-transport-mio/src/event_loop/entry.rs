//! One session hosted by the loop ([`Entry`]): the state machine, its
//! application, its handle, its link ([`Link`]), its log, and the messages
//! taken from its inbox. Data and small helpers only; what the loop does
//! with them is in the modules above.

use super::slot_token;
use crate::app::{Application, LogonFields};
use crate::filelog::FileLog;
use crate::handle::SessionHandle;
use crate::shared::{SessionRef, SessionShared};
use crate::target::{Attempt, ConnectTarget};
use crate::transport::{SocketOptions, Transport, TransportFactory};
use fixrs_proto::UtcTimestamp;
use fixrs_session::{MessageRejection, Session};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub(super) struct Entry {
    pub(super) session: Session,
    pub(super) app: Box<dyn Application>,
    pub(super) handle: SessionHandle,
    /// The socket carrying the session's bytes, or being connected.
    pub(super) link: Option<Link>,
    pub(super) target: Option<ConnectTarget>,
    pub(super) timer_queued: Option<Instant>,
    pub(super) log: Option<FileLog>,
    /// Bytes at the start of the session's transmit buffer already logged.
    pub(super) logged_upto: usize,
    /// Messages taken from the inbox (records) and the position of the
    /// first one not yet given to the session.
    pub(super) records: Vec<u8>,
    pub(super) records_pos: usize,
    /// Socket options of this initiator's connections.
    pub(super) socket: Option<SocketOptions>,
    /// The acceptor's first Logon was already shown to `from_admin` while
    /// routing it.
    pub(super) logon_already_checked: bool,
    /// The current link's transport has not yet told who the peer is
    /// (a TLS handshake still running): ask it on every read.
    pub(super) peer_identity_pending: bool,
    /// What callbacks run between two messages of one input asked for,
    /// for the next service to act on.
    pub(super) outcome: EventOutcome,
    /// In the loop's list of stores to flush.
    pub(super) store_flush_queued: bool,
    /// In the loop's list of logs to flush.
    pub(super) log_flush_queued: bool,
}

impl Entry {
    pub(super) fn shared(&self) -> &SessionShared {
        &self.handle.shared
    }

    /// The session's slot.
    pub(super) fn sref(&self) -> SessionRef {
        self.handle.shared.sref
    }

    /// The session's link if it is still the one with `serial`.
    pub(super) fn link_mut(&mut self, serial: u32) -> Option<&mut Link> {
        self.link.as_mut().filter(|l| l.serial == serial)
    }

    /// Whether the session's link is still the one with `serial`.
    pub(super) fn has_link(&self, serial: u32) -> bool {
        self.link.as_ref().is_some_and(|l| l.serial == serial)
    }

    /// Writes a line to the session's event log, if it has one.
    pub(super) fn log_event(&mut self, utc: UtcTimestamp, text: &str) {
        if let Some(log) = &mut self.log {
            let _ = log.event(utc, text);
        }
    }

    /// Lets the application fill in the Logon credentials before a Logon.
    pub(super) fn apply_to_admin(&mut self) {
        let cfg = self.session.config();
        let mut fields = LogonFields {
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            extra: cfg.logon_fields.clone(),
        };
        self.app.to_admin(&self.handle, &mut fields);
        let cfg = self.session.config_mut();
        cfg.username = fields.username;
        cfg.password = fields.password;
        cfg.logon_fields = fields.extra;
    }

    /// Gives back the memory a closed link's traffic made the session
    /// hold.
    pub(super) fn release_buffers(&mut self) {
        self.session.shrink_buffers(KEEP_AFTER_CLOSE);
        if self.records_pos >= self.records.len() && self.records.capacity() > KEEP_AFTER_CLOSE {
            self.records = Vec::new();
            self.records_pos = 0;
        }
        if let Ok(mut inbox) = self.handle.shared.inbox.lock() {
            if inbox.buf.is_empty() && inbox.buf.capacity() > KEEP_AFTER_CLOSE {
                inbox.buf = Vec::new();
            }
        }
    }

    /// Drops bytes the session produced for a link that no longer exists.
    pub(super) fn discard_transmit(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            let n = bytes.len();
            self.session.transmitted(n);
        }
        self.logged_upto = 0;
        self.handle.shared.unsent.store(0, Ordering::Release);
    }
}

/// Capacity kept by a session's buffers once its link is gone; what a
/// burst (a resend, a peer that stopped reading) made them grow beyond is
/// given back.
const KEEP_AFTER_CLOSE: usize = 64 << 10;

/// A session's link: the session's slot and the link's serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LinkRef {
    pub(super) idx: u32,
    pub(super) serial: u32,
}

impl LinkRef {
    pub(super) fn token(self) -> Token {
        Token(slot_token(self.idx, self.serial))
    }
}

pub(super) enum LinkIo {
    /// An initiator's attempt waiting for the resolver (no socket yet).
    Resolving { attempt: Attempt },
    /// A TCP connect in progress, with what wrapping the stream needs.
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        host: String,
        factory: Arc<dyn TransportFactory>,
    },
    /// A connected stream.
    Open(Box<dyn Transport>),
    /// No stream (only while one is being moved in or out).
    Detached,
}

impl LinkIo {
    pub(super) fn source(&mut self) -> Option<&mut dyn mio::event::Source> {
        match self {
            LinkIo::Connecting { stream, .. } => Some(stream),
            LinkIo::Open(t) => Some(t.source()),
            LinkIo::Resolving { .. } | LinkIo::Detached => None,
        }
    }
}

pub(super) struct Link {
    pub(super) io: LinkIo,
    /// Tells this link's events and timers apart from those of the
    /// session's earlier links.
    pub(super) serial: u32,
    pub(super) registered: Interest,
    /// Connect timeout, or close timeout once closing.
    pub(super) deadline: Option<Instant>,
    pub(super) timer_queued: Option<Instant>,
    /// Received bytes not yet fed to the session (backpressure).
    pub(super) held: Vec<u8>,
    /// Reading stopped because of backpressure; resumes on write readiness.
    pub(super) paused: bool,
    /// Reading stopped because the application has no room
    /// ([`Application::has_room`]); resumes on its word or a timer.
    pub(super) app_paused: bool,
    /// The session asked to close the link: it closes once its last bytes
    /// are written.
    pub(super) closing: bool,
}

impl Link {
    pub(super) fn new(io: LinkIo, serial: u32, registered: Interest) -> Link {
        Link {
            io,
            serial,
            registered,
            deadline: None,
            timer_queued: None,
            held: Vec::new(),
            paused: false,
            app_paused: false,
            closing: false,
        }
    }
}

/// What draining a session's events asks the loop to do.
#[derive(Default)]
pub(super) struct EventOutcome {
    pub(super) open: bool,
    pub(super) close: bool,
    pub(super) refuse: bool,
    /// The application rejected the message last handed to it.
    pub(super) reject: Option<MessageRejection>,
}

impl EventOutcome {
    pub(super) fn is_empty(&self) -> bool {
        !self.open && !self.close && !self.refuse && self.reject.is_none()
    }
}
