//! TlsStream on its own: a client and a server stream over a real
//! loopback TCP connection, driven by a mio poll the way the engine drives
//! them (interest from wants_read / wants_write after every call).

mod common;

use common::pki::{Ca, LeafSpec};
use fixrs_session::settings::Settings;
use fixrs_transport_tls::rustls::{AlertDescription, CertificateError, ProtocolVersion};
use fixrs_transport_tls::settings::{read_settings, TlsProtocols, TlsSettings};
use fixrs_transport_tls::{ClientAuth, TlsClientConfig, TlsError, TlsServerConfig, TlsStream};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::pki_types::ServerName;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);
/// No test here needs more than a few hundred milliseconds.
const LIMIT: Duration = Duration::from_secs(10);

/// Two connected non-blocking sockets.
fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_nonblocking(true).expect("nonblocking");
        s.set_nodelay(true).expect("nodelay");
    }
    (TcpStream::from_std(client), TcpStream::from_std(server))
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("name")
}

/// One side as the engine sees it: a stream, what it received, how it
/// ended.
struct Side {
    stream: TlsStream,
    token: Token,
    received: Vec<u8>,
    outbox: Vec<u8>,
    closed: bool,
    error: Option<io::Error>,
    registered: Option<Interest>,
}

impl Side {
    fn new(stream: TlsStream, token: Token) -> Side {
        Side {
            stream,
            token,
            received: Vec::new(),
            outbox: Vec::new(),
            closed: false,
            error: None,
            registered: None,
        }
    }

    fn done(&self) -> bool {
        self.closed || self.error.is_some()
    }

    /// Writes what is queued, flushes, reads what there is.
    fn pump(&mut self) {
        if self.done() {
            return;
        }
        while !self.outbox.is_empty() {
            match self.stream.write(&self.outbox) {
                Ok(n) => {
                    self.outbox.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
        match self.stream.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                self.error = Some(e);
                return;
            }
            _ => {}
        }
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return;
                }
                Ok(n) => self.received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
    }

    fn interest(&self) -> Interest {
        let write = self.stream.wants_write() || !self.outbox.is_empty();
        match (self.stream.wants_read(), write) {
            (true, true) => Interest::READABLE | Interest::WRITABLE,
            (false, true) => Interest::WRITABLE,
            _ => Interest::READABLE,
        }
    }

    fn reregister(&mut self, poll: &Poll) {
        if self.done() {
            if self.registered.take().is_some() {
                let _ = poll.registry().deregister(self.stream.socket_mut());
            }
            return;
        }
        let interest = self.interest();
        let token = self.token;
        let result = match self.registered {
            None => poll
                .registry()
                .register(self.stream.socket_mut(), token, interest),
            Some(old) if old != interest => {
                poll.registry()
                    .reregister(self.stream.socket_mut(), token, interest)
            }
            Some(_) => Ok(()),
        };
        result.expect("register");
        self.registered = Some(interest);
    }

    fn tls_error(&self) -> Option<TlsError> {
        self.error.as_ref().and_then(|e| TlsError::find(e).cloned())
    }
}

/// A client and a server stream in one poll.
struct Pair {
    poll: Poll,
    client: Side,
    server: Side,
    wakeups: usize,
}

impl Pair {
    fn new(client: &TlsClientConfig, server: &TlsServerConfig) -> Pair {
        Pair::with_name(client, server, localhost())
    }

    fn with_name(
        client: &TlsClientConfig,
        server: &TlsServerConfig,
        name: ServerName<'static>,
    ) -> Pair {
        let (c, s) = socket_pair();
        let client = TlsStream::client(c, client, name).expect("client stream");
        let server = TlsStream::server(s, server).expect("server stream");
        let mut pair = Pair {
            poll: Poll::new().expect("poll"),
            client: Side::new(client, CLIENT),
            server: Side::new(server, SERVER),
            wakeups: 0,
        };
        pair.client.pump();
        pair.server.pump();
        pair.client.reregister(&pair.poll);
        pair.server.reregister(&pair.poll);
        pair
    }

    /// Runs the poll until `until` holds or both sides are done.
    fn run(&mut self, until: impl Fn(&Pair) -> bool) {
        let start = Instant::now();
        let mut events = Events::with_capacity(16);
        while !(until(self) || self.client.done() && self.server.done()) {
            assert!(
                start.elapsed() < LIMIT,
                "no progress: {:?} / {:?}",
                self.client.error,
                self.server.error
            );
            self.poll
                .poll(&mut events, Some(Duration::from_millis(100)))
                .expect("poll");
            for event in events.iter() {
                self.wakeups += 1;
                match event.token() {
                    CLIENT => self.client.pump(),
                    SERVER => self.server.pump(),
                    _ => {}
                }
            }
            // A side may have produced records for the other: pump both.
            self.client.pump();
            self.server.pump();
            self.client.reregister(&self.poll);
            self.server.reregister(&self.poll);
        }
    }

    fn handshake(&mut self) {
        self.run(|p| !p.client.stream.is_handshaking() && !p.server.stream.is_handshaking());
    }
}

fn server_config(ca: &Ca) -> TlsServerConfig {
    let leaf = ca.server();
    TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .build()
        .expect("server config")
}

fn client_config(ca: &Ca) -> TlsClientConfig {
    TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .build()
        .expect("client config")
}

#[test]
fn handshake_then_data_both_ways_over_tls13() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(&client_config(&ca), &server_config(&ca));
    pair.handshake();
    assert_eq!(
        pair.client.stream.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
    assert!(pair.client.stream.cipher_suite().is_some());
    // The server's certificate reached the client; the server asked none.
    let server_cert = pair
        .client
        .stream
        .peer_certificate()
        .expect("server certificate");
    assert_eq!(server_cert.common_names(), ["localhost"]);
    assert!(pair.server.stream.peer_certificate().is_none());

    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    pair.client.outbox.extend_from_slice(&big);
    pair.server.outbox.extend_from_slice(b"8=FIX.4.4\x01");
    pair.run(|p| p.server.received.len() == big.len() && p.client.received.len() == 10);
    assert_eq!(pair.server.received, big);
    assert_eq!(pair.client.received, b"8=FIX.4.4\x01");
    assert!(pair.client.error.is_none() && pair.server.error.is_none());
}

#[test]
fn tls12_only_with_a_chosen_cipher_suite() {
    let ca = Ca::new("Test CA");
    let leaf = ca.server();
    let server = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .build()
        .expect("server");
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .protocols(TlsProtocols {
            tls12: true,
            tls13: false,
        })
        .cipher_suites(&["ECDHE-ECDSA-AES256-GCM-SHA384"])
        .build()
        .expect("client");
    let mut pair = Pair::new(&client, &server);
    pair.handshake();
    assert_eq!(
        pair.server.stream.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    assert_eq!(
        format!("{:?}", pair.server.stream.cipher_suite().expect("suite")),
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    );
    pair.client.outbox.extend_from_slice(b"hello");
    pair.run(|p| p.server.received == b"hello");
}

#[test]
fn no_common_protocol_version_fails_both_sides() {
    let ca = Ca::new("Test CA");
    let leaf = ca.server();
    let server = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .protocols(TlsProtocols {
            tls12: false,
            tls13: true,
        })
        .build()
        .expect("server");
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .protocols(TlsProtocols {
            tls12: true,
            tls13: false,
        })
        .build()
        .expect("client");
    let mut pair = Pair::new(&client, &server);
    pair.run(|p| p.client.done() && p.server.done());
    assert!(
        matches!(
            pair.server.tls_error(),
            Some(TlsError::NoCommonParameters(_))
        ),
        "{:?}",
        pair.server.error
    );
    assert!(
        matches!(pair.client.tls_error(), Some(TlsError::PeerAlert(_))),
        "{:?}",
        pair.client.error
    );
}

#[test]
fn bytes_written_during_the_handshake_arrive_after_it() {
    let ca = Ca::new("Test CA");
    let (c, s) = socket_pair();
    let mut client = TlsStream::client(c, &client_config(&ca), localhost()).expect("client");
    // Before a single byte came back from the server.
    let logon = b"8=FIX.4.4\x019=5\x0135=A\x01";
    assert_eq!(client.write(logon).expect("write"), logon.len());
    let server = TlsStream::server(s, &server_config(&ca)).expect("server");
    let mut pair = Pair {
        poll: Poll::new().expect("poll"),
        client: Side::new(client, CLIENT),
        server: Side::new(server, SERVER),
        wakeups: 0,
    };
    pair.client.pump();
    pair.client.reregister(&pair.poll);
    pair.server.reregister(&pair.poll);
    pair.run(|p| p.server.received.len() == logon.len());
    assert_eq!(pair.server.received, logon);
}

#[test]
fn the_handshake_is_driven_by_readiness_without_spinning() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(&client_config(&ca), &server_config(&ca));
    pair.handshake();
    pair.client.outbox.extend_from_slice(b"ping");
    pair.run(|p| p.server.received == b"ping");
    // A handful of readiness events per flight, not a loop of them.
    assert!(pair.wakeups < 20, "{} wake-ups", pair.wakeups);
    // Idle: neither side wants to write, so an idle poll sees nothing.
    assert!(!pair.client.stream.wants_write() && !pair.server.stream.wants_write());
    let mut events = Events::with_capacity(4);
    pair.poll
        .poll(&mut events, Some(Duration::from_millis(50)))
        .expect("poll");
    assert!(events.is_empty());
}

#[test]
fn shutdown_sends_close_notify_and_the_peer_reads_a_clean_end() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(&client_config(&ca), &server_config(&ca));
    pair.handshake();
    pair.client.outbox.extend_from_slice(b"logout");
    pair.run(|p| p.server.received == b"logout");
    pair.client.stream.shutdown().expect("shutdown");
    pair.client.closed = true;
    pair.run(|p| p.server.done());
    assert!(pair.server.closed, "{:?}", pair.server.error);
    assert!(pair.server.error.is_none());
    assert!(pair.server.stream.received_close_notify());
}

#[test]
fn mutual_tls_exposes_the_client_certificate_identity() {
    let ca = Ca::new("Test CA");
    let server = ca.mutual_tls_server();
    let me = ca.issue(LeafSpec {
        common_name: "CLIENT1",
        alt_names: &["client1.example.com"],
        expired: false,
    });
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .client_certificate(me.chain(), me.key())
        .build()
        .expect("client");
    let mut pair = Pair::new(&client, &server);
    pair.handshake();
    let cert = pair
        .server
        .stream
        .peer_certificate()
        .expect("client certificate");
    assert_eq!(cert.common_names(), ["CLIENT1"]);
    assert_eq!(cert.dns_names(), ["client1.example.com"]);
    assert_eq!(cert.der(), Some(me.cert.as_ref()));
    assert!(cert.matches_comp_id("CLIENT1"));
    assert!(pair.server.stream.describe().contains("CN=CLIENT1"));
}

/// Runs a handshake expected to fail; returns the client's and the
/// server's errors.
fn failing(
    client: &TlsClientConfig,
    server: &TlsServerConfig,
) -> (Option<TlsError>, Option<TlsError>) {
    let mut pair = Pair::new(client, server);
    pair.run(|p| p.client.done() && p.server.done());
    (pair.client.tls_error(), pair.server.tls_error())
}

#[test]
fn a_server_certificate_from_an_unknown_authority_is_refused() {
    let ca = Ca::new("Test CA");
    let other = Ca::new("Other CA");
    let (client, server) = failing(&client_config(&other), &server_config(&ca));
    assert!(
        matches!(
            client,
            Some(TlsError::BadCertificate(CertificateError::UnknownIssuer))
        ),
        "{client:?}"
    );
    assert_eq!(
        server,
        Some(TlsError::PeerAlert(AlertDescription::UnknownCA))
    );
}

#[test]
fn mozilla_roots_replace_the_authorities_given_before_and_do_not_trust_a_private_ca() {
    let ca = Ca::new("Test CA");
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .mozilla_roots()
        .build()
        .expect("client config");
    let (client, _) = failing(&client, &server_config(&ca));
    assert!(
        matches!(
            client,
            Some(TlsError::BadCertificate(CertificateError::UnknownIssuer))
        ),
        "{client:?}"
    );
}

#[test]
fn an_expired_server_certificate_is_refused() {
    let ca = Ca::new("Test CA");
    let leaf = ca.issue(LeafSpec {
        common_name: "localhost",
        alt_names: &["localhost"],
        expired: true,
    });
    let server = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .build()
        .expect("server");
    let (client, _) = failing(&client_config(&ca), &server);
    assert!(
        matches!(
            client,
            Some(TlsError::BadCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. }
            ))
        ),
        "{client:?}"
    );
}

#[test]
fn a_server_certificate_for_another_name_is_refused_unless_the_name_is_overridden() {
    let ca = Ca::new("Test CA");
    let leaf = ca.issue(LeafSpec {
        common_name: "fix.example.com",
        alt_names: &["fix.example.com"],
        expired: false,
    });
    let server = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .build()
        .expect("server");
    let (client, _) = failing(&client_config(&ca), &server);
    assert!(
        matches!(
            client,
            Some(TlsError::BadCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{client:?}"
    );
    // SSLServerName: the name to check instead of the connect host.
    let renamed = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .server_name("fix.example.com")
        .build()
        .expect("client");
    let name = renamed
        .server_name_for("127.0.0.1", "127.0.0.1:1".parse().expect("addr"))
        .expect("name");
    let mut pair = Pair::with_name(&renamed, &server, name);
    pair.handshake();
    assert!(pair.client.error.is_none());
}

#[test]
fn without_verification_any_server_certificate_is_accepted() {
    let ca = Ca::new("Test CA");
    let stranger = Ca::new("Unknown CA");
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .verify_server_certificate(false)
        .build()
        .expect("client");
    let mut pair = Pair::new(&client, &server_config(&stranger));
    pair.handshake();
    assert!(pair.client.error.is_none() && pair.server.error.is_none());
}

fn mutual_server(ca: &Ca, auth: ClientAuth) -> TlsServerConfig {
    let leaf = ca.server();
    TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .client_auth(auth)
        .ca_certificates(vec![ca.cert()])
        .build()
        .expect("server")
}

#[test]
fn a_required_client_certificate_must_be_sent() {
    let ca = Ca::new("Test CA");
    let (client, server) = failing(
        &client_config(&ca),
        &mutual_server(&ca, ClientAuth::Required),
    );
    assert_eq!(server, Some(TlsError::NoCertificate));
    assert!(
        matches!(
            client,
            Some(TlsError::PeerAlert(AlertDescription::CertificateRequired))
        ),
        "{client:?}"
    );
}

#[test]
fn an_optional_client_certificate_may_be_left_out() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(
        &client_config(&ca),
        &mutual_server(&ca, ClientAuth::Optional),
    );
    pair.handshake();
    pair.client.outbox.extend_from_slice(b"x");
    pair.run(|p| p.server.received == b"x");
    assert!(pair.server.stream.peer_certificate().is_none());
}

#[test]
fn client_certificates_from_another_authority_or_expired_are_refused() {
    let ca = Ca::new("Test CA");
    let other = Ca::new("Other CA");
    let foreign = other.client("CLIENT1");
    let expired = ca.issue(LeafSpec {
        common_name: "CLIENT1",
        alt_names: &[],
        expired: true,
    });
    for (leaf, expect_expired) in [(foreign, false), (expired, true)] {
        let client = TlsClientConfig::builder()
            .ca_certificates(vec![ca.cert()])
            .client_certificate(leaf.chain(), leaf.key())
            .build()
            .expect("client");
        let (client, server) = failing(&client, &mutual_server(&ca, ClientAuth::Required));
        match server {
            Some(TlsError::BadCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            )) => assert!(expect_expired),
            Some(TlsError::BadCertificate(CertificateError::UnknownIssuer)) => {
                assert!(!expect_expired)
            }
            other => panic!("server: {other:?}"),
        }
        assert!(matches!(client, Some(TlsError::PeerAlert(_))), "{client:?}");
    }
}

#[test]
fn a_plaintext_client_on_a_tls_server_is_reported_as_not_tls() {
    let ca = Ca::new("Test CA");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let leaf = ca.server();
    let config = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .on_error(move |peer, e| record.lock().expect("lock").push((peer, e.clone())))
        .build()
        .expect("server");
    let (mut plain, s) = socket_pair();
    let mut server = Side::new(TlsStream::server(s, &config).expect("server"), SERVER);
    let logon = b"8=FIX.4.4\x019=70\x0135=A\x0134=1\x0149=CLIENT1\x0152=20240102-03:04:05\x0156=SERVER\x0198=0\x01108=30\x0110=000\x01";
    plain.write_all(logon).expect("plaintext write");
    let mut poll = Poll::new().expect("poll");
    server.reregister(&poll);
    let start = Instant::now();
    while !server.done() {
        assert!(start.elapsed() < LIMIT);
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .expect("poll");
        server.pump();
    }
    assert_eq!(server.tls_error(), Some(TlsError::NotTls));
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1, "reported once");
    assert_eq!(seen[0].1, TlsError::NotTls);
    // The plaintext peer gets an alert, not a FIX message, then the end.
    let mut answer = Vec::new();
    let mut buf = [0u8; 64];
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < LIMIT);
        match plain.read(&mut buf) {
            Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !answer.is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => break,
        }
    }
    assert_eq!(answer.first(), Some(&0x15), "a TLS alert record");
}

#[test]
fn a_tls_client_on_a_plaintext_server_fails_cleanly() {
    let ca = Ca::new("Test CA");
    // A server that closes on the first garbled bytes, as a plaintext FIX
    // acceptor does.
    let (c, mut plain) = socket_pair();
    let mut client = Side::new(
        TlsStream::client(c, &client_config(&ca), localhost()).expect("client"),
        CLIENT,
    );
    client.pump();
    let mut poll = Poll::new().expect("poll");
    client.reregister(&poll);
    let start = Instant::now();
    let mut hello = [0u8; 512];
    loop {
        assert!(start.elapsed() < LIMIT);
        match plain.read(&mut hello) {
            Ok(n) if n > 0 => break,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    assert_eq!(hello[0], 0x16, "a ClientHello handshake record");
    drop(plain);
    while !client.done() {
        assert!(start.elapsed() < LIMIT);
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .expect("poll");
        client.pump();
    }
    assert!(
        matches!(client.tls_error(), Some(TlsError::ClosedDuringHandshake)),
        "{:?}",
        client.error
    );

    // A plaintext server that talks FIX first is told apart as not TLS.
    let (c, mut plain) = socket_pair();
    let mut client = Side::new(
        TlsStream::client(c, &client_config(&ca), localhost()).expect("client"),
        CLIENT,
    );
    client.pump();
    plain
        .write_all(b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01")
        .expect("write");
    let mut poll = Poll::new().expect("poll");
    client.reregister(&poll);
    while !client.done() {
        assert!(start.elapsed() < LIMIT);
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .expect("poll");
        client.pump();
    }
    assert_eq!(client.tls_error(), Some(TlsError::NotTls));
}

#[test]
fn a_silent_peer_times_the_handshake_out() {
    let ca = Ca::new("Test CA");
    let count = Arc::new(Mutex::new(0));
    let counter = count.clone();
    let config = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .handshake_timeout(Duration::from_millis(200))
        .on_error(move |_, e| {
            assert!(matches!(e, TlsError::HandshakeTimeout(_)));
            *counter.lock().expect("lock") += 1;
        })
        .build()
        .expect("client");
    let (c, _silent) = socket_pair();
    let mut client = TlsStream::client(c, &config, localhost()).expect("client");
    let deadline = client
        .handshake_deadline()
        .expect("deadline while handshaking");
    client.flush().expect("client hello sent");
    assert!(client
        .handle_timeout(deadline - Duration::from_millis(1))
        .is_ok());
    let err = client.handle_timeout(deadline).expect_err("timed out");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(
        TlsError::find(&err),
        Some(&TlsError::HandshakeTimeout(Duration::from_millis(200)))
    );
    // Sticky, and reported once.
    assert!(client.read(&mut [0u8; 8]).is_err());
    assert!(client.write(b"x").is_err());
    assert!(!client.wants_read() && !client.wants_write());
    assert_eq!(*count.lock().expect("lock"), 1);
}

#[test]
fn configurations_come_from_a_settings_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("Test CA");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca.pem()).expect("ca");
    let (server_cert, server_key) = ca.server().write(dir.path(), "server");
    let (client_cert, client_key) = ca.client("CLIENT1").write(dir.path(), "client");
    let text = format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nSocketUseSSL=Y\nCertificationAuthoritiesFile={ca}\n\
         SSLProtocol=all -TLSv1_2\nSSLCipherSuite=TLS13_AES_128_GCM_SHA256:TLS13_AES_256_GCM_SHA384\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=SERVER\nTargetCompID=CLIENT1\n\
         SocketAcceptPort=0\nServerCertificateFile={sc}\nServerCertificateKeyFile={sk}\nCertificateVerifyLevel=1\n\
         [SESSION]\nConnectionType=initiator\nSenderCompID=CLIENT1\nTargetCompID=SERVER\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort=9999\nHeartBtInt=30\n\
         ClientCertificateFile={cc}\nClientCertificateKeyFile={ck}\nSSLServerName=localhost\n",
        ca = ca_path.display(),
        sc = server_cert.display(),
        sk = server_key.display(),
        cc = client_cert.display(),
        ck = client_key.display(),
    );
    let settings = Settings::parse(&text).expect("settings");
    let sessions = read_settings(&settings).expect("sessions");
    let tls = |i: usize| {
        TlsSettings::from_settings(&sessions[i])
            .expect("valid")
            .expect("tls")
    };
    let server = TlsServerConfig::from_settings(&tls(0)).expect("server config");
    let client = TlsClientConfig::from_settings(&tls(1)).expect("client config");
    assert_eq!(server.client_auth(), ClientAuth::Required);
    let name = client
        .server_name_for("127.0.0.1", "127.0.0.1:9999".parse().expect("addr"))
        .expect("name");
    assert_eq!(name, localhost());
    let mut pair = Pair::with_name(&client, &server, name);
    pair.handshake();
    assert_eq!(
        pair.client.stream.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
    assert_eq!(
        format!("{:?}", pair.client.stream.cipher_suite().expect("suite")),
        "TLS13_AES_128_GCM_SHA256"
    );
    let cert = pair.server.stream.peer_certificate().expect("client cert");
    assert!(cert.matches_comp_id("CLIENT1"));
}

#[test]
fn configuration_errors_are_typed() {
    use fixrs_transport_tls::TlsConfigError;
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope.pem");
    let err = TlsServerConfig::builder()
        .certificate_files(&missing, &missing)
        .build()
        .expect_err("missing file");
    assert!(matches!(err, TlsConfigError::ReadFile { .. }), "{err}");
    let err = TlsServerConfig::builder()
        .build()
        .expect_err("no certificate");
    assert!(matches!(err, TlsConfigError::Missing(_)), "{err}");
    let ca = Ca::new("Test CA");
    let leaf = ca.server();
    let err = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .client_auth(ClientAuth::Required)
        .build()
        .expect_err("no authorities");
    assert!(matches!(err, TlsConfigError::Missing(_)), "{err}");
    // A key that does not belong to the certificate.
    let other = ca.server();
    let err = TlsServerConfig::builder()
        .certificate(leaf.chain(), other.key())
        .build()
        .expect_err("mismatched key");
    assert!(matches!(err, TlsConfigError::Rustls(_)), "{err}");
    let err = TlsClientConfig::builder()
        .cipher_suites(&["RC4-MD5"])
        .build()
        .expect_err("unknown suite");
    assert!(
        matches!(err, TlsConfigError::UnknownCipherSuite(_)),
        "{err}"
    );
    let err = TlsClientConfig::builder()
        .server_name("not a name!")
        .build()
        .expect_err("bad name");
    assert!(matches!(err, TlsConfigError::BadServerName(_)), "{err}");
}

#[test]
fn a_tcp_close_without_close_notify_ends_the_stream_but_is_not_clean() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(&client_config(&ca), &server_config(&ca));
    pair.handshake();
    // Close the TCP connection under the TLS stream.
    pair.client
        .stream
        .socket()
        .shutdown(std::net::Shutdown::Both)
        .expect("tcp shutdown");
    pair.client.closed = true;
    pair.run(|p| p.server.done());
    assert!(pair.server.closed && pair.server.error.is_none());
    assert!(!pair.server.stream.received_close_notify());
}

#[test]
fn a_short_write_means_the_socket_is_full() {
    let ca = Ca::new("Test CA");
    let mut pair = Pair::new(&client_config(&ca), &server_config(&ca));
    pair.handshake();
    // The server does not read: the client's writes fill rustls' buffer
    // (64 KiB) long before the socket. A short count must only come once
    // the socket is full, or an edge-triggered engine would wait forever.
    let big = vec![b'x'; 8 << 20];
    let n = pair.client.stream.write(&big).expect("write");
    assert!(n > 64 << 10, "stopped at rustls' buffer: {n}");
    assert!(n < big.len(), "an 8 MiB write fits no loopback socket");
    let err = pair.client.stream.flush().expect_err("socket full");
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    // Everything taken arrives.
    pair.client.outbox.extend_from_slice(&big[n..]);
    pair.run(|p| p.server.received.len() == big.len());
    assert!(pair.server.received.iter().all(|&b| b == b'x'));
}
