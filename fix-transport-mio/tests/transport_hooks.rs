//! The transport hooks a TLS transport relies on, exercised with a TCP
//! transport that pretends: a peer identity that reaches the logon check
//! on both sides, and a transport deadline whose error breaks the link,
//! reaches the application and sends the initiator to Reconnect.

mod common;

use common::*;
use fixrs_proto::Message;
use fixrs_session::Role;
use fixrs_transport_mio::{
    AdminRejection, Application, LinkInfo, LinkSide, RefuseLogon, SessionHandle, SessionOptions,
    SessionState, TcpTransport, Transport, TransportFactory,
};
use mio::net::TcpStream;
use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(20);

/// TCP with a made-up identity and, optionally, a deadline that fails.
struct Pretend {
    tcp: TcpTransport,
    identity: String,
    deadline: Option<Instant>,
}

impl Transport for Pretend {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }
    fn source(&mut self) -> &mut dyn mio::event::Source {
        self.tcp.source()
    }
    fn shutdown(&mut self) -> io::Result<()> {
        self.tcp.shutdown()
    }
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.peer_addr()
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    fn handle_timeout(&mut self, now: Instant) -> io::Result<()> {
        match self.deadline {
            Some(d) if now >= d => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "pretend handshake timed out",
            )),
            _ => Ok(()),
        }
    }
    fn peer_identity(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.identity.clone()))
    }
}

/// Tells every link's peer is `name` (as a TLS transport would read it
/// from the peer's certificate); the first `failing` links get a deadline
/// 100 ms out.
struct PretendFactory {
    name: &'static str,
    failing: AtomicUsize,
}

impl TransportFactory for PretendFactory {
    fn wrap(&self, stream: TcpStream, link: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>> {
        let fail = self
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let side = match link.side {
            LinkSide::Initiator => "initiator",
            LinkSide::Acceptor => "acceptor",
        };
        Ok(Box::new(Pretend {
            tcp: TcpTransport::new(stream),
            identity: format!("{} via {side}", self.name),
            deadline: fail.then(|| Instant::now() + Duration::from_millis(100)),
        }))
    }
}

/// Accepts a Logon only from a peer whose identity is `expect`; tells the
/// test what it saw and which errors it got.
struct Check {
    expect: String,
    seen: mpsc::Sender<String>,
}

impl Application for Check {
    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        if message.msg_type() != b"A" {
            return Ok(());
        }
        let identity = session
            .peer_identity()
            .and_then(|a| a.downcast::<String>().ok())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let _ = self.seen.send(format!("logon from {identity}"));
        if identity == self.expect {
            Ok(())
        } else {
            Err(RefuseLogon(format!("identity {identity:?}")).into())
        }
    }

    fn on_error(&mut self, _session: &SessionHandle, error: &dyn std::error::Error) {
        let _ = self.seen.send(format!("error {error}"));
    }
}

#[test]
fn the_peer_identity_reaches_the_logon_check_on_both_sides() {
    let acceptor = engine();
    let addr = acceptor
        .listen_with(
            any_port(),
            Arc::new(PretendFactory {
                name: "client",
                failing: AtomicUsize::new(0),
            }),
        )
        .expect("listen");
    let (acc_tx, acc_seen) = mpsc::channel();
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            Check {
                expect: "client via acceptor".into(),
                seen: acc_tx,
            },
        )
        .expect("acceptor");
    let initiator = engine();
    let (ini_tx, ini_seen) = mpsc::channel();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            Check {
                expect: "server via initiator".into(),
                seen: ini_tx,
            },
        )
        .expect("initiator");
    ini.connect_with(
        30,
        &addr.to_string(),
        Arc::new(PretendFactory {
            name: "server",
            failing: AtomicUsize::new(0),
        }),
    )
    .expect("connect");
    expect_state(&ini, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);
    assert_eq!(
        acc_seen.recv_timeout(LONG).expect("acceptor check"),
        "logon from client via acceptor"
    );
    assert_eq!(
        ini_seen.recv_timeout(LONG).expect("initiator check"),
        "logon from server via initiator"
    );
    assert!(acc
        .peer_identity()
        .is_some_and(|a| a.downcast_ref::<String>().is_some()));
}

#[test]
fn a_transport_deadline_breaks_the_link_reports_the_error_and_the_initiator_reconnects() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (acc_tx, _acc_seen) = mpsc::channel();
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            Check {
                // Plain TCP on this side: the initiator has no identity.
                expect: String::new(),
                seen: acc_tx,
            },
        )
        .expect("acceptor");
    let initiator = engine();
    let (ini_tx, ini_seen) = mpsc::channel();
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            Check {
                expect: "server via initiator".into(),
                seen: ini_tx,
            },
        )
        .expect("initiator");
    // The first link fails at its deadline (after its Logon went out, so
    // a Logon may come back first), the next one stays.
    ini.connect_with(
        30,
        &addr.to_string(),
        Arc::new(PretendFactory {
            name: "server",
            failing: AtomicUsize::new(1),
        }),
    )
    .expect("connect");
    let end = Instant::now() + LONG;
    loop {
        let seen = ini_seen
            .recv_timeout(end.saturating_duration_since(Instant::now()))
            .expect("the deadline error is reported");
        if seen.starts_with("error") {
            assert!(seen.contains("pretend handshake timed out"), "{seen}");
            break;
        }
    }
    expect_state(&ini, SessionState::Established, LONG);
    expect_state(&acc, SessionState::Established, LONG);
}
