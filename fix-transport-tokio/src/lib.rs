//! FIX sessions as async Rust on tokio: initiators that connect and
//! reconnect, acceptors that route Logons to their sessions, sending with
//! backpressure, and a bounded [`Stream`](futures_core::Stream) of events, from
//! the same sans-IO core as the mio engine.
//!
//! This crate has no FIX logic of its own. Each session is a
//! `fixrs_session::Session` driven by one tokio task (the way quinn
//! drives quinn-proto): the task feeds it bytes, commands and timer
//! expiries, and drains its bytes, events and next deadline. Acceptor
//! connections are routed by `fixrs_session::Router`. Timers come from
//! `tokio::time`, so tests run heartbeats, test requests and reconnects
//! in tokio's paused clock.
//!
//! ```no_run
//! use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
//! use fixrs_session::{SessionConfig, SessionState};
//! use fixrs_transport_tokio::{SessionEvent, SessionOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SessionConfig::initiator(FixVersion::Fix44, "BANK", "BROKER");
//! let options = SessionOptions::new().with_connect_address("127.0.0.1:9878");
//! let (session, mut events) = fixrs_transport_tokio::connect(config, options).await?;
//!
//! let mut order = MessageBuilder::new(b"D");
//! order.push_str(11, "ORD-1").push_str(55, "EUR/USD").push_char(54, b'1');
//! session.send(&order).await?; // kept and sent after logon if not yet logged on
//!
//! while let Some(event) = events.recv().await {
//!     if let SessionEvent::Message(report) = event {
//!         println!("{:?}", report.get_str(39)); // OrdStatus
//!         break;
//!     }
//! }
//! session.logout(Some("end of day")).await?;
//! session.wait_for_state(SessionState::CorrectlyTerminated).await?;
//! # Ok(())
//! # }
//! ```
//!
//! An [`Acceptor`] listens (plain or TLS) and takes Logons for the
//! sessions added to it, and for the counterparties its templates allow,
//! once its logon check ([`Acceptor::with_logon_check`]: a password, the
//! peer's certificate) passes;
//! [`start_from_settings`] runs every session of a QuickFIX-style
//! settings file.
//!
//! # What it shares with the mio engine
//!
//! The settings keys and their reading (`fixrs_transport_mio::settings`
//! and `fixrs_transport_tls::settings`), the file store
//! (`fixrs_store`), the FIX message log (`fixrs_transport_mio::filelog`),
//! socket options and the TLS configurations (`fixrs_transport_tls`,
//! rustls with the *ring* provider, used here through tokio-rustls). This
//! crate depends on the mio engine's crate for them rather than moving
//! them to a crate of their own: they are that engine's public API
//! already, and the mio dependency they bring is small and starts no
//! thread unless a `FixEngine` is created. Its own keys, for its event
//! stream and send queue, are in [`settings`].
//!
//! # Backpressure
//!
//! [`SessionHandle::send`] queues a message for the session's task,
//! waiting while the queue is full
//! ([`SessionOptions::with_queue_capacity`]); the task stops taking
//! messages while MaxOutgoingBytes
//! ([`SessionOptions::with_max_outgoing_bytes`]) or more wait for the
//! link, and stops reading from the peer too (the ResendRequests of a
//! counterparty that does not read its resends are taken one at a time
//! as it reads): the unwritten bytes ([`SessionHandle::unsent_bytes`])
//! stay under the bound plus the output of one message.
//! [`SessionHandle::try_send`] refuses instead of waiting. Messages sent
//! before logon are kept for late delivery as the session's
//! configuration says.
//!
//! # Events
//!
//! Either a [`SessionEvents`] stream per session, or a [`Handler`] called
//! on the session's task, whose [`Responder`] sends answers before the
//! session goes on to the next received message.
//!
//! The stream is bounded ([`SessionOptions::with_event_capacity`],
//! [`DEFAULT_EVENT_CAPACITY`]): an application slower than its
//! counterparty holds the counterparty back instead of keeping what it
//! sends in memory. While the stream is full the session's task reads
//! nothing more from the peer, and goes on with everything else (sends
//! from its handles, writing, heartbeats, test requests, logout
//! timeouts): it never waits for the stream, so a task that sends on the
//! handle and reads the events later cannot deadlock with it. The events
//! of the message read last, and those the session produces on its own
//! meanwhile (state changes, errors of sends and timers), wait in the
//! task and come out first as room appears; nothing is dropped or
//! reordered. The peer's Heartbeats wait unread too, so while the stream
//! is full the peer's silence does not count: no TestRequest goes out
//! and none times out; once there is room again the peer has the usual
//! time to be heard. A dropped stream means no more events are wanted;
//! the session goes on without them.
//!
//! # Peer certificates
//!
//! [`SessionHandle::peer_certificate`] shows the certificate the peer of
//! a TLS link presented (the client's to a mutual-TLS acceptor, the
//! server's to an initiator), the one the acceptor's logon check saw.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod acceptor;
mod connect;
mod core;
mod delivery;
mod error;
mod event;
mod initiator;
mod link;
mod options;
mod pool;
mod queue;
mod session;
pub mod settings;

pub use crate::core::Responder;
pub use acceptor::{Acceptor, LogonRequest, NewSession, DEFAULT_LOGON_TIMEOUT};
pub use connect::ConnectFn;
pub use delivery::{Handler, SessionEvents};
pub use error::{Error, TrySendError};
pub use event::SessionEvent;
pub use fixrs_transport_mio::{OwnedMessage, RefusedConnection};
pub use fixrs_transport_tls::PeerCertificate;
pub use initiator::{connect, connect_with_handler};
pub use link::{BoxStream, LinkStream};
pub use options::{SessionOptions, DEFAULT_EVENT_CAPACITY, DEFAULT_QUEUE_CAPACITY};
pub use session::SessionHandle;
pub use settings::{
    start_from_settings, start_from_settings_with, Started, StartedSession, StartedTemplate,
};
