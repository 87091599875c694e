//! The FIX session layer as a deterministic, sans-IO state machine.
//!
//! This crate does not open sockets, start threads or read clocks: a
//! [`Session`] consumes bytes, link events and timer expiries, each with the
//! current time as an argument, and emits bytes to write, [`Event`]s for
//! the application, and the next deadline. The same inputs at the same
//! times give the same outputs, byte for byte. Transports (such as
//! `fixrs-transport-mio`) only move bytes; tests drive sessions over nothing
//! at all.
//!
//! It implements FIX 4.0 to 4.4 and FIXT 1.1 sessions, initiator and
//! acceptor: logon (with ResetSeqNumFlag and NextExpectedMsgSeqNum),
//! heartbeats and test requests, gap detection and ResendRequest, answering
//! ResendRequests with resends and gap fills, SequenceReset, logout,
//! reconnection, late delivery, session schedules, and message validation.
//! [`Store`] persists sequence numbers and sent messages ([`MemoryStore`]
//! here, a file store in `fixrs-store`).
//!
//! With the cargo feature `testing`, the `testing` module offers deterministic test
//! support: a driver for one session with hand-written counterparty
//! messages, and a `Pair` of initiator and acceptor over an in-memory link
//! with a virtual clock and a seeded fault injector.
//!
//! # The driving loop
//!
//! After **every** input, drain the outputs: bytes first (so that the bytes
//! before a [`Event::CloseLink`] reach the link), then events, then ask for
//! the next deadline.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
//! use fixrs_session::{Event, MemoryStore, Session, SessionConfig};
//!
//! /// Drains a session's outputs into `wire`, reporting what happened.
//! fn drain(s: &mut Session, wire: &mut Vec<u8>, log: &mut Vec<String>) -> Option<Instant> {
//!     while let Some(bytes) = s.poll_transmit() {
//!         let n = bytes.len(); // a real transport may write fewer
//!         wire.extend_from_slice(bytes);
//!         s.transmitted(n);
//!     }
//!     while let Some(event) = s.poll_event() {
//!         match event {
//!             Event::OpenLink => log.push("open link".into()),
//!             Event::CloseLink => log.push("close link".into()),
//!             Event::LoggedOn => log.push("logged on".into()),
//!             Event::AppMessage(m) => log.push(format!("app {:?}", m.msg_type())),
//!             _ => {}
//!         }
//!     }
//!     s.poll_timeout()
//! }
//!
//! let (t0, utc0) = (Instant::now(), UtcTimestamp::from_unix(1_700_000_000, 0));
//! let clock = |secs: u64| (t0 + Duration::from_secs(secs), utc0.add_nanos(secs as i128 * 1_000_000_000));
//! let mut initiator = Session::new(
//!     SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL"),
//!     Box::new(MemoryStore::new(utc0)), t0, utc0).unwrap();
//! let mut acceptor = Session::new(
//!     SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY"),
//!     Box::new(MemoryStore::new(utc0)), t0, utc0).unwrap();
//! let (mut to_acceptor, mut to_initiator, mut log) = (Vec::new(), Vec::new(), Vec::new());
//!
//! // Connect: the initiator asks for a link; the "transport" opens it.
//! let (now, utc) = clock(0);
//! initiator.connect(now, utc);
//! drain(&mut initiator, &mut to_acceptor, &mut log);
//! initiator.handle_link_up(now, utc);
//! acceptor.handle_link_up(now, utc);
//! drain(&mut initiator, &mut to_acceptor, &mut log);
//! drain(&mut acceptor, &mut to_initiator, &mut log);
//!
//! // Move bytes both ways until both sides are quiet.
//! while !to_acceptor.is_empty() || !to_initiator.is_empty() {
//!     acceptor.handle_input(&std::mem::take(&mut to_acceptor), now, utc);
//!     drain(&mut acceptor, &mut to_initiator, &mut log);
//!     initiator.handle_input(&std::mem::take(&mut to_initiator), now, utc);
//!     drain(&mut initiator, &mut to_acceptor, &mut log);
//! }
//!
//! // Send an order; the acceptor's application receives it.
//! let mut order = MessageBuilder::new(b"D");
//! order.push_str(11, "ORD-1").push_str(55, "EUR/USD").push_char(54, b'1');
//! initiator.send(&order, now, utc).unwrap();
//! drain(&mut initiator, &mut to_acceptor, &mut log);
//! acceptor.handle_input(&std::mem::take(&mut to_acceptor), now, utc);
//! let deadline = drain(&mut acceptor, &mut to_initiator, &mut log);
//!
//! assert_eq!(log, ["open link", "logged on", "logged on", "app [68]"]);
//! // Timers: call handle_timeout when the deadline passes (heartbeats here).
//! assert!(deadline.is_some());
//! let (later, later_utc) = clock(30);
//! initiator.handle_timeout(later, later_utc);
//! drain(&mut initiator, &mut to_acceptor, &mut log);
//! assert!(to_acceptor.starts_with(b"8=FIX.4.4\x01")); // a Heartbeat
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod event;
mod msg_types;
pub mod schedule;
mod session;
pub mod settings;
pub mod state;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod validation;

pub use config::{LateDelivery, Role, SessionConfig, SessionKey, ValidationSettings};
pub use error::{SendError, SessionError};
pub use event::{Event, SessionWarning, UndeliveredReason};
pub use schedule::Schedule;
pub use session::Session;
pub use settings::{SessionSettings, Settings, SettingsError};
pub use state::SessionState;
pub use store::{MemoryStore, SeqNum, Store, StoreError};
pub use validation::SessionDictionary;

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
