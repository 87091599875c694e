//! The FIX engine: one mio event loop thread hosting many FIX sessions over
//! TCP, with initiators that connect and reconnect, acceptors that route
//! incoming Logons by CompIDs, and the [`FixEngine`] / [`SessionHandle`] API
//! used from any thread.
//!
//! The protocol itself lives in `fix-session` (a sans-IO state machine);
//! this crate moves bytes and time in and out of it: sockets, timers, the
//! command queue, application callbacks, FIX message logs.
//!
//! ```no_run
//! use fix_proto::{FieldWriter, FixVersion, MessageBuilder};
//! use fix_transport_mio::{AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionId};
//!
//! let engine = FixEngine::new(EngineSettings::default())?;
//! let (app, events) = ChannelApplication::new();
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
//! be a Logon within [`EngineSettings::logon_timeout`]; it is routed by
//! BeginString, CompIDs (the peer's SenderCompID is our TargetCompID),
//! sub and location IDs where configured, and the listener's port where
//! the session names one. Unknown identities, duplicate logons and
//! connections whose first message is not a Logon are closed without a
//! reply.
//!
//! Settings files (QuickFIX style, parsed by `fix_session::settings`):
//!
//! ```no_run
//! # use fix_transport_mio::{ChannelApplication, EngineSettings, FixEngine};
//! let text = std::fs::read_to_string("initiator.cfg")?;
//! let settings = fix_session::Settings::parse(&text)?;
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
//! non-blocking, each session's outgoing backlog is bounded
//! ([`EngineSettings::max_outgoing_bytes`], [`PutError::Backpressure`]),
//! and a peer that asks for more than it reads (a ResendRequest flood) is
//! not read from until its backlog drains.
//!
//! Performance: in steady state the engine allocates nothing per message;
//! messages put while the loop is busy are encoded and written in batches
//! (many per system call); sockets are read in large chunks into one
//! shared buffer. `benches/roundtrip.rs` measures round-trip latency
//! against raw TCP, one-way throughput and memory per idle session.
//!
//! Transports: [`Transport`] is the byte stream the loop drives (plain TCP
//! here); a [`TransportFactory`] given to [`FixEngine::listen_with`] or
//! [`SessionHandle::connect_with`] wraps each new stream, which is how TLS
//! plugs in.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod app;
pub mod bench;
mod deadline;
mod engine;
mod error;
mod event_loop;
pub mod filelog;
mod handle;
mod timers;
pub mod transport;

pub use app::{
    AppEvent, AppEventKind, Application, ChannelApplication, LogonFields, OwnedMessage,
    RefuseLogon, Rejection,
};
pub use engine::{EngineSettings, FixEngine, SessionOptions};
pub use error::{EngineError, PutError};
pub use handle::{SessionHandle, SessionId};
pub use transport::{
    LinkInfo, LinkSide, PlainTcp, SocketOptions, TcpTransport, Transport, TransportFactory,
};

pub use fix_session::{SessionKey, SessionState};
