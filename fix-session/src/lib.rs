//! The FIX session layer as a deterministic, sans-IO state machine.
//!
//! This crate does not open sockets, start threads or read clocks: a
//! [`Session`] consumes bytes, link events and timer expiries, each with the
//! current time as an argument (one [`Now`], carrying the monotonic and the
//! UTC clock), and emits bytes to write, [`Event`]s for the application,
//! and the next deadline. The same inputs at the same
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
//! A driver reads the clocks once per input ([`Now::system`], or
//! [`SystemClock`] at one clock read; a test uses a virtual clock) and
//! passes that [`Now`] to the input: [`Session::connect`],
//! [`Session::handle_link_up`], [`Session::handle_input`],
//! [`Session::handle_link_down`], [`Session::handle_timeout`] when
//! [`Session::poll_timeout`] has passed, and the application's
//! [`Session::send`], [`Session::reject`], [`Session::logout`] and the
//! like. After **every** input, it drives the session until it is idle:
//!
//! 1. write the bytes of [`Session::poll_transmit`], in order,
//!    acknowledging each write with [`Session::transmitted`] (a partial
//!    write is fine: stop, and come back to step 1 when the link is
//!    writable again);
//! 2. handle every [`Session::poll_event`]: open the link on
//!    [`Event::OpenLink`], close it on [`Event::CloseLink`], give messages
//!    to the application, which answers each received message here
//!    ([`Session::send`], [`Session::reject`]);
//! 3. if [`Session::has_pending_input`], call
//!    [`Session::handle_pending_input`] and start again at 1; if step 2
//!    had events, or [`Session::has_event`] says one waits, start again at
//!    1 (the answers wrote bytes); otherwise the session is idle: sleep
//!    until [`Session::poll_timeout`] or the next input.
//!
//! [`Event::CloseLink`] cannot overtake the bytes before it: while any
//! wait in `poll_transmit`, `poll_event` holds the close back (and
//! `has_event` is `false`), so a driver that takes events first still
//! writes the last Logout before it closes. Bytes still pending when the
//! link goes down are dropped with it.
//!
//! A driver that stops reading the link for its own side's sake (an
//! application behind with its events) says so with
//! [`Session::set_reading_paused`], so that the peer's unread Heartbeats
//! are not taken for silence; one that stops because the peer does not
//! read what it is sent does not (the TestRequest timeout finds such a
//! peer).
//!
//! The store's I/O happens inside the session's calls: [`Session::send`]
//! (and every input that makes the session send) writes the outgoing
//! message to the [`Store`] before its bytes are queued, and
//! [`Session::poll_transmit`] flushes the store before it hands bytes out
//! (a file store may sync there, as its durability mode says).
//!
//! A read may carry several messages. The session processes them one at a
//! time: it stops after each message the application sees, so that what
//! the application sends or rejects in answer to message N goes out before
//! the session acts on message N+1 (a Logout that N+1 causes comes after
//! the answers to N, not before them).
//!
//! Once per pass of its loop (not per message), a driver with a durable
//! store also calls [`Session::flush_store`] for sessions whose
//! [`store_needs_flush`](Session::store_needs_flush) is set: a session that
//! only receives has no bytes to hand out, which is when the store is
//! otherwise flushed.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
//! use fixrs_session::{Event, MemoryStore, MessageRejection, Now, Session, SessionConfig};
//!
//! /// Drives a session until it is idle: bytes to `wire`, events to the
//! /// "application", which answers orders with an execution report and
//! /// rejects other application messages. Returns the next deadline.
//! fn drive(
//!     s: &mut Session,
//!     now: Now,
//!     wire: &mut Vec<u8>,
//!     log: &mut Vec<String>,
//! ) -> Option<Instant> {
//!     loop {
//!         while let Some(bytes) = s.poll_transmit() {
//!             let n = bytes.len(); // a real transport may write fewer
//!             wire.extend_from_slice(bytes);
//!             s.transmitted(n);
//!         }
//!         let mut busy = false;
//!         while let Some(event) = s.poll_event() {
//!             busy = true;
//!             // The event borrows the session: take what the answer needs.
//!             let (msg_type, cl_ord_id) = match event {
//!                 Event::OpenLink => { log.push("open link".into()); continue }
//!                 Event::LoggedOn => { log.push("logged on".into()); continue }
//!                 Event::AppMessage(m) => (m.msg_type().to_vec(), m.get(11).map(<[u8]>::to_vec)),
//!                 _ => continue,
//!             };
//!             log.push(format!("app {}", String::from_utf8_lossy(&msg_type)));
//!             match (&msg_type[..], cl_ord_id) {
//!                 (b"D", Some(id)) => {
//!                     let mut report = MessageBuilder::new(b"8");
//!                     report.push(11, &id).push_char(150, b'0').push_char(39, b'0');
//!                     s.send(&report, now).unwrap();
//!                 }
//!                 // Execution reports and rejects are only read.
//!                 (b"8" | b"j", _) => {}
//!                 _ => s.reject(&MessageRejection::UnsupportedMessageType, now).unwrap(),
//!             }
//!         }
//!         if s.has_pending_input() {
//!             s.handle_pending_input(now);
//!         } else if !busy && !s.has_event() {
//!             return s.poll_timeout();
//!         }
//!     }
//! }
//!
//! let t0 = Now::new(Instant::now(), UtcTimestamp::from_unix(1_700_000_000, 0));
//! let clock = |secs: u64| t0.advanced(Duration::from_secs(secs));
//! let mut initiator = Session::new(
//!     SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL"),
//!     Box::new(MemoryStore::new(t0.utc)), t0).unwrap();
//! let mut acceptor = Session::new(
//!     SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY"),
//!     Box::new(MemoryStore::new(t0.utc)), t0).unwrap();
//! let (mut to_acceptor, mut to_initiator) = (Vec::new(), Vec::new());
//! let (mut buy, mut sell) = (Vec::new(), Vec::new());
//!
//! // Connect: the initiator asks for a link; the "transport" opens it.
//! let now = clock(0);
//! initiator.connect(now);
//! drive(&mut initiator, clock(0), &mut to_acceptor, &mut buy);
//! initiator.handle_link_up(now);
//! acceptor.handle_link_up(now);
//! drive(&mut initiator, clock(0), &mut to_acceptor, &mut buy);
//! drive(&mut acceptor, clock(0), &mut to_initiator, &mut sell);
//!
//! // Move bytes both ways until both sides are quiet.
//! macro_rules! pump {
//!     () => {
//!         while !to_acceptor.is_empty() || !to_initiator.is_empty() {
//!             acceptor.handle_input(&std::mem::take(&mut to_acceptor), now);
//!             drive(&mut acceptor, clock(0), &mut to_initiator, &mut sell);
//!             initiator.handle_input(&std::mem::take(&mut to_initiator), now);
//!             drive(&mut initiator, clock(0), &mut to_acceptor, &mut buy);
//!         }
//!     };
//! }
//! pump!();
//! assert_eq!(buy, ["open link", "logged on"]);
//! assert_eq!(sell, ["logged on"]);
//!
//! // Two orders and a quote request in one write: the acceptor answers
//! // each order and rejects the quote request; the initiator gets two
//! // execution reports and a BusinessMessageReject (MsgType j).
//! for (msg_type, id) in [(b"D", "ORD-1"), (b"D", "ORD-2"), (b"R", "Q-1")] {
//!     let mut m = MessageBuilder::new(msg_type);
//!     m.push_str(11, id).push_str(55, "EUR/USD");
//!     initiator.send(&m, now).unwrap();
//! }
//! drive(&mut initiator, clock(0), &mut to_acceptor, &mut buy);
//! pump!();
//! assert_eq!(sell[1..], ["app D", "app D", "app R"]);
//! assert_eq!(buy[2..], ["app 8", "app 8", "app j"]);
//!
//! // Timers: call handle_timeout when the deadline passes (heartbeats here).
//! let deadline = drive(&mut initiator, clock(0), &mut to_acceptor, &mut buy);
//! assert!(deadline.is_some());
//! initiator.handle_timeout(clock(30));
//! drive(&mut initiator, clock(30), &mut to_acceptor, &mut buy);
//! assert!(to_acceptor.starts_with(b"8=FIX.4.4\x01")); // a Heartbeat
//! ```
//!
//! The types keep a driver from some mistakes. A received message borrows
//! the session, so the application copies what it needs before it
//! answers:
//!
//! ```compile_fail
//! # use fixrs_proto::{FixVersion, MessageBuilder, UtcTimestamp};
//! # use fixrs_session::{Event, MemoryStore, Now, Session, SessionConfig};
//! # let now = Now::new(std::time::Instant::now(), UtcTimestamp::UNIX_EPOCH);
//! # let mut s = Session::new(SessionConfig::acceptor(FixVersion::Fix44, "S", "T"),
//! #     Box::new(MemoryStore::new(now.utc)), now).unwrap();
//! if let Some(Event::AppMessage(order)) = s.poll_event() {
//!     let mut report = MessageBuilder::new(b"8");
//!     report.push(11, order.get(11).unwrap_or(b""));
//!     s.send(&report, now).unwrap(); // `order` still borrows `s`
//!     println!("{:?}", order.msg_type());
//! }
//! ```
//!
//! and an input takes both clocks or none: a monotonic instant alone (or a
//! UTC time alone) is not a time a session accepts.
//!
//! ```compile_fail
//! # use fixrs_proto::{FixVersion, UtcTimestamp};
//! # use fixrs_session::{MemoryStore, Now, Session, SessionConfig};
//! # let now = Now::new(std::time::Instant::now(), UtcTimestamp::UNIX_EPOCH);
//! # let mut s = Session::new(SessionConfig::acceptor(FixVersion::Fix44, "S", "T"),
//! #     Box::new(MemoryStore::new(now.utc)), now).unwrap();
//! s.handle_timeout(std::time::Instant::now());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod dictionary;
pub mod error;
pub mod event;
mod msg_types;
pub mod reject;
pub mod router;
pub mod schedule;
mod session;
pub mod settings;
pub mod state;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod time;

pub use config::{LateDelivery, LateDeliveryMode, Role, SessionConfig, SessionId, SessionKey};
pub use dictionary::SessionDictionary;
pub use error::{CallerError, ConfigError, PeerError, SendError, SessionError};
pub use event::{Event, SessionWarning, UndeliveredReason};
pub use reject::{MessageRejection, RejectError};
pub use router::{AcceptRules, AcceptorTemplate, RefusalReason, Route, Router};
pub use schedule::Schedule;
pub use session::Session;
pub use settings::{Settings, SettingsError};
pub use state::SessionState;
pub use store::{MemoryStore, SeqNum, Store, StoreError};
pub use time::{Now, SystemClock};

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
