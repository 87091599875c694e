//! The FIX engine: one mio event loop thread hosting many FIX sessions over
//! TCP, with initiators that connect and reconnect, acceptors that route
//! incoming Logons by CompIDs, and the [`FixEngine`] / [`SessionHandle`] API
//! used from any thread.
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
//! reply, and reported as a [`RefusedConnection`] to
//! [`EngineSettings::on_refused`] if set.
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
//! drains. A link the session closes is closed once its last bytes are
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
//! that keeps a bounded history (`tests/allocations.rs`: 2 allocations
//! for 30000 messages, buffers growing). A received message is framed and
//! indexed once, in place, and handed to the application as a view of the
//! session's buffer; messages put while the loop is busy are encoded and
//! written in batches (many per system call); a reply put from a callback
//! leaves in the same write as what preceded it; a socket is read in large
//! chunks and its next read is skipped when a short read shows it empty.
//! Per message and side the loop makes three system calls on the
//! request/response path (`epoll_wait`, `recv`, `send`), none for timers.
//!
//! Measured with `benches/roundtrip.rs` on a shared 2-core Linux VM
//! (rustc 1.95, `cargo bench` profile); latency as the median of five
//! runs of 100000 round trips after 10000 of warm-up, throughput as the
//! bench's best of three:
//!
//! | | raw TCP | this engine | ratio |
//! |---|---|---|---|
//! | round trip NewOrderSingle (192 B) -> ExecutionReport (217 B), p50, both processes on one CPU | 13.4 us | 17.1 us | 1.27x |
//! | client CPU per round trip (kernel included) | 6.8 us | 9.0 us | |
//!
//! | one session, 500000 NewOrderSingle one way, best of 3 | memory store | file store (flushed to the OS per batch) |
//! |---|---|---|
//! | both engines and the application on one CPU | 1.55 M msg/s | 1.56 M msg/s |
//! | on the two CPUs | 1.45 M msg/s | 1.73 M msg/s |
//! | CPU per message: receiving engine thread / sending engine thread | 0.26 us / 0.22 us | 0.26 us / 0.20 us |
//!
//! Idle logged-on initiator sessions take 14.4 KiB of resident memory
//! each (1000 sessions). Instructions per round trip counted with
//! callgrind (stable where wall-clock times are not): 7222 in the client's
//! engine thread and 6771 in the peer's, of which indexing the received
//! message is about 2000.
//!
//! Commands:
//!
//! ```text
//! taskset -c 0 env FIX_BENCH_ONLY=latency cargo bench -p fixrs-transport-mio --bench roundtrip
//! FIX_BENCH_ONLY=throughput cargo bench -p fixrs-transport-mio --bench roundtrip
//! taskset -c 0 env FIX_BENCH_ONLY=throughput cargo bench -p fixrs-transport-mio --bench roundtrip
//! FIX_BENCH_ONLY=memory cargo bench -p fixrs-transport-mio --bench roundtrip
//! FIX_BENCH_ONLY=latency FIX_BENCH_ROUNDTRIPS=20000 FIX_BENCH_WARMUP=1000 \
//!     valgrind --tool=callgrind --trace-children=yes --separate-threads=yes \
//!     target/release/deps/roundtrip-<hash>
//! ```
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
mod refusal;
pub mod settings;
mod timers;
pub mod transport;

pub use app::{
    AdminRejection, AppEvent, AppEventKind, Application, ChannelApplication, LogonFields,
    OwnedMessage, RefuseLogon, Rejection,
};
pub use engine::{EngineSettings, FixEngine, SessionOptions};
pub use error::{EngineError, PutError};
pub use fixrs_session::MessageRejection;
pub use handle::{SessionHandle, SessionId};
pub use refusal::{RefusalHook, RefusalReason, RefusedConnection};
pub use settings::SessionSettings;
pub use transport::{
    LinkInfo, LinkSide, PlainTcp, SocketOptions, TcpTransport, Transport, TransportFactory,
};

pub use fixrs_session::{SessionKey, SessionState};
