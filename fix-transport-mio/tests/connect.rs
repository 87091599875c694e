//! An initiator's connection attempts: a host name is resolved for each
//! attempt on the engine's resolver thread, and every failed attempt or
//! lost link reaches `Application::on_error` as a typed `LinkError`.

mod common;

use common::*;
use fixrs_session::Role;
use fixrs_transport_mio::{
    Application, ChannelApplication, LinkError, SessionHandle, SessionOptions, SessionState,
};
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(10);

/// What `on_error` said, as far as a test looks at it.
#[derive(Debug)]
enum Seen {
    Connect(SocketAddr, io::ErrorKind),
    PeerClosed,
    Other(String),
}

struct Errors(Sender<Seen>);

impl Application for Errors {
    fn on_error(&mut self, _: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        let seen = match error.downcast_ref::<LinkError>() {
            Some(LinkError::Connect { addr, source }) => Seen::Connect(*addr, source.kind()),
            Some(LinkError::PeerClosed) => Seen::PeerClosed,
            _ => Seen::Other(error.to_string()),
        };
        let _ = self.0.send(seen);
    }
}

fn errors() -> (Errors, Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    (Errors(tx), rx)
}

/// A port of 127.0.0.1 held without listening: connecting to it is
/// refused while the socket lives.
fn refused_port() -> (socket2::Socket, u16) {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.bind(&any_port().into()).expect("bind");
    let port = socket
        .local_addr()
        .expect("address")
        .as_socket()
        .expect("inet")
        .port();
    (socket, port)
}

#[test]
fn each_failed_attempt_to_a_host_name_reaches_on_error_then_the_session_logs_on() {
    let (holder, port) = refused_port();
    let initiators = engine();
    let (app, seen) = errors();
    let ini = initiators
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            app,
        )
        .expect("initiator");
    // A host name: resolved on the engine's resolver thread, every time.
    ini.connect(30, &format!("localhost:{port}"))
        .expect("connect");
    for _ in 0..2 {
        match seen
            .recv_timeout(LONG)
            .expect("a failed attempt is reported")
        {
            Seen::Connect(addr, kind) => {
                assert!(addr.ip().is_loopback() && addr.port() == port, "{addr}");
                assert_eq!(kind, io::ErrorKind::ConnectionRefused);
            }
            Seen::Other(text) => panic!("unexpected error: {text}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(!ini.state().is_terminated(), "{:?}", ini.state());

    // Once the counterparty listens, an attempt gets through.
    drop(holder);
    let acceptor = engine();
    acceptor
        .listen(SocketAddr::from(([127, 0, 0, 1], port)))
        .expect("listen on the port refused so far");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    expect_state(&ini, SessionState::Established, LONG);
    initiators.stop();
    acceptor.stop();
}

#[test]
fn a_logon_the_acceptor_drops_reaches_on_error_as_the_peer_closing() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    // No session for INI: the acceptor closes the connection unanswered.
    let initiators = engine();
    let (app, seen) = errors();
    let ini = initiators
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            app,
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    match seen
        .recv_timeout(LONG)
        .expect("the closed link is reported")
    {
        Seen::PeerClosed => {}
        Seen::Other(text) => panic!("unexpected error: {text}"),
        other => panic!("{other:?}"),
    }
    initiators.stop_now();
    acceptor.stop_now();
}

#[test]
fn an_address_without_a_port_is_refused_at_once() {
    let initiators = engine();
    let ini = initiators
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("initiator");
    for bad in ["localhost", "localhost:port", ":9876"] {
        let err = ini.connect(30, bad).expect_err(bad);
        assert!(err.to_string().contains(bad), "{err}");
    }
}
