//! The FIX engine: one mio event loop thread hosting many FIX sessions over
//! TCP, with initiators that connect and reconnect, acceptors that take
//! incoming Logons for their sessions, and the [`FixEngine`] /
//! [`SessionHandle`] API used from any thread.
//!
//! The protocol itself lives in `fixrs-session` (a sans-IO state machine);
//! this crate moves bytes and time in and out of it: sockets, timers, the
//! command queue, application callbacks, FIX message logs.
//!
//! ```no_run
//! use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
//! use fixrs_transport_mio::{AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionId};
//!
//! let engine = FixEngine::new(EngineSettings::default())?;
//! let (app, events) = ChannelApplication::bounded(1024);
//! let session = engine.create_session(SessionId::new("TEST1", "TEST2"), FixVersion::Fix44, app)?;
//! session.connect(30, "127.0.0.1:8901")?;   // returns at once; logs on in the background
//!
//! let mut order = MessageBuilder::new(b"D");
//! order.push_str(11, "ORD-1").push_str(55, "EUR/USD").push_char(54, b'1');
//! session.put(&order)?;                        // sent after Logon if not yet established
//!
//! for event in events.iter() {
//!     if let AppEventKind::Message(m) = event.kind {
//!         println!("received {:?}", m.msg_type());
//!         break;
//!     }
//! }
//! session.disconnect("end of day")?;
//! session.finalize();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Acceptors: create acceptor sessions ([`FixEngine::create_acceptor_session`]
//! or [`FixEngine::create_session_with`] with an acceptor configuration) and
//! [`listen`](FixEngine::listen). The first message of each connection must
//! be a Logon within [`EngineSettings::logon_timeout`]; the session layer's
//! router ([`fixrs_session::Router`]) decides which session it is for, by
//! BeginString, CompIDs (the peer's SenderCompID is our TargetCompID),
//! sub and location IDs where configured, the listener's port where the
//! session names one, and the peer's address where the session restricts
//! it. Unknown identities, duplicate logons and connections whose first
//! message is not a Logon are closed without a reply, and reported as a
//! [`RefusedConnection`] to [`EngineSettings::on_refused`] if set.
//! [`FixEngine::add_acceptor_template`] creates sessions on their first
//! Logon for the counterparties a template allows (QuickFIX's
//! `AcceptorTemplate=Y` with wildcard CompIDs).
//!
//! Settings files (QuickFIX style: the format is `fixrs_session::settings`',
//! the engine's own keys and [`SessionSettings`] are in [`settings`]):
//!
//! ```no_run
//! # use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine};
//! let text = std::fs::read_to_string("initiator.cfg")?;
//! let settings = fixrs_session::Settings::parse(&text)?;
//! let engine = FixEngine::new(EngineSettings::default())?;
//! let (app, events) = ChannelApplication::new();
//! // Creates every session (stores, logs, endpoints) and starts initiators.
//! let sessions = engine.start_from_settings(&settings, |_| app.clone())?;
//! # drop((sessions, events));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Threads: every socket, timer and application callback of an engine runs
//! on its one event loop thread; [`SessionHandle`] methods queue commands
//! for it and wake it. No write can block the loop: sockets are
//! non-blocking, each session's outgoing backlog is bounded (4 MiB by
//! default: the MaxOutgoingBytes setting,
//! [`SessionOptions::max_outgoing_bytes`],
//! [`EngineSettings::max_outgoing_bytes`]; over it
//! [`PutError::Backpressure`]), and a peer that asks for more than it
//! reads (a ResendRequest flood) is not read from until its backlog
//! drains: the bound is checked after each message received, so it is
//! passed by at most one message's answer (one resend). A link the session closes is closed once its last bytes are
//! written or, for a peer that does not read them,
//! [`EngineSettings::close_timeout`] later (the connection is then reset);
//! the memory its backlog took is given back.
//!
//! Transports: [`Transport`] is the byte stream the loop drives (plain TCP
//! here); a [`TransportFactory`] given to [`FixEngine::listen_with`] or
//! [`SessionHandle::connect_with`] wraps each new stream, which is how TLS
//! plugs in.
//!
//! # Performance
//!
//! In steady state the engine allocates nothing per message, sending or
//! receiving, with the file store or with a [`MemoryStore`](fixrs_session::MemoryStore)
//! that keeps a bounded history (`tests/allocations.rs` checks it). A
//! received message is framed and indexed once, in place, and handed to
//! the application as a view of the session's buffer; messages put while
//! the loop is busy are encoded and written in batches (many per system
//! call); a reply put from a callback leaves in the same write as what
//! preceded it; a socket is read in large chunks and its next read is
//! skipped when a short read shows it empty. Per message and side the loop
//! makes three system calls on the request/response path (`epoll_wait`,
//! `recv`, `send`), none for timers.
//!
//! The measured figures (round trips beside raw TCP, one-way floods with
//! each store, memory per idle session) are in the
//! [performance section of the repository's README](https://github.com/fixrs/fixrs#performance),
//! with the one command that produces them; they are kept there only so
//! that they cannot drift apart.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod app;
mod command;
mod deadline;
mod engine;
mod error;
mod event_loop;
pub mod filelog;
mod handle;
mod options;
mod refusal;
mod resolver;
pub mod settings;
mod shared;
mod target;
mod timers;
pub mod transport;

pub use app::{
    AdminRejection, AppEvent, AppEventKind, Application, ChannelApplication, ChannelReceiver,
    LogonFields, OwnedMessage, RefuseLogon, Rejection,
};
pub use engine::FixEngine;
pub use error::{EngineError, LinkError, PutError};
pub use fixrs_session::MessageRejection;
pub use fixrs_session::RefusalReason;
pub use fixrs_session::SessionId;
pub use handle::SessionHandle;
pub use options::{EngineSettings, SessionOptions, TemplateOptions};
pub use refusal::{RefusalHook, RefusedConnection};
pub use settings::SessionSettings;
pub use transport::{
    LinkInfo, LinkSide, PlainTcp, SocketOptions, TcpTransport, Transport, TransportFactory,
};

pub use fixrs_session::{SessionKey, SessionState};

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
