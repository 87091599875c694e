//! FIX sessions over TLS through the engine on 127.0.0.1: our initiator
//! and acceptor logging on, trading, reconnecting and logging out; mutual
//! TLS with the client certificate checked against the CompID; refused
//! certificates; wrong-protocol peers; handshake timeouts. Certificates
//! are generated per test.

mod common;

use common::pki::{Ca, LeafSpec};
use common::*;
use fixrs_session::settings::Settings;
use fixrs_session::Role;
use fixrs_transport_mio::{FixEngine, SessionHandle, SessionOptions, SessionState};
use fixrs_transport_tls::rustls::{AlertDescription, CertificateError};
use fixrs_transport_tls::settings::{read_settings, TlsSettings};
use fixrs_transport_tls::{
    factory_from_settings, ClientAuth, TlsClientConfig, TlsError, TlsServerConfig,
};
use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the acceptor must report for a refused client.
type Expect = fn(&TlsError) -> bool;

/// TLS errors an acceptor's configuration reported, for connections that
/// never reached a session.
type Reported = Arc<Mutex<Vec<TlsError>>>;

/// A TLS acceptor engine (and a plaintext listener on the same engine).
struct Acceptor {
    engine: FixEngine,
    tls: SocketAddr,
    plain: SocketAddr,
    reported: Reported,
}

fn acceptor(ca: &Ca, auth: ClientAuth) -> Acceptor {
    let engine = engine();
    let reported: Reported = Arc::default();
    let sink = reported.clone();
    let leaf = ca.server();
    let mut server = TlsServerConfig::builder()
        .certificate(leaf.chain(), leaf.key())
        .client_auth(auth)
        .handshake_timeout(Duration::from_millis(500))
        .on_error(move |_, e| sink.lock().expect("lock").push(e.clone()));
    if auth != ClientAuth::None {
        server = server.ca_certificates(vec![ca.cert()]);
    }
    let server = server.build().expect("server config");
    let tls = engine
        .listen_with(any_port(), Arc::new(server))
        .expect("listen tls");
    let plain = engine.listen(any_port()).expect("listen plain");
    Acceptor {
        engine,
        tls,
        plain,
        reported,
    }
}

impl Acceptor {
    fn session(
        &self,
        sender: &str,
        target: &str,
        check: LogonCheck,
    ) -> (SessionHandle, Receiver<Seen>) {
        let (app, rx) = App::new(check, true);
        let s = self
            .engine
            .create_session_with(
                config(Role::Acceptor, sender, target),
                SessionOptions::default(),
                app,
            )
            .expect("acceptor session");
        (s, rx)
    }

    fn wait_reported(&self, pick: impl Fn(&TlsError) -> bool) -> TlsError {
        let mut found = None;
        let ok = wait(|| {
            found = self
                .reported
                .lock()
                .expect("lock")
                .iter()
                .find(|e| pick(e))
                .cloned();
            found.is_some()
        });
        assert!(
            ok,
            "not reported; got {:?}",
            self.reported.lock().expect("lock")
        );
        found.expect("found")
    }
}

fn wait(mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + LONG;
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

fn initiator(engine: &FixEngine, sender: &str, target: &str) -> (SessionHandle, Receiver<Seen>) {
    let (app, rx) = App::new(LogonCheck::None, false);
    let s = engine
        .create_session_with(
            config(Role::Initiator, sender, target),
            SessionOptions::default(),
            app,
        )
        .expect("initiator session");
    (s, rx)
}

fn client(ca: &Ca) -> TlsClientConfig {
    TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .build()
        .expect("client config")
}

fn client_with(ca: &Ca, leaf: &common::pki::Leaf) -> TlsClientConfig {
    TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .client_certificate(leaf.chain(), leaf.key())
        .build()
        .expect("client config")
}

#[test]
fn tls_sessions_from_a_settings_file_log_on_trade_reconnect_and_log_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("Test CA");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("ca file");
    let (server_cert, server_key) = ca.server().write(dir.path(), "server");
    let (client_cert, client_key) = ca.client("BANK").write(dir.path(), "client");
    let settings = Settings::parse(&format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nSocketUseSSL=Y\nCertificationAuthoritiesFile={ca}\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=BROKER\nTargetCompID=BANK\nSocketAcceptPort=0\n\
         ServerCertificateFile={sc}\nServerCertificateKeyFile={sk}\nCertificateVerifyLevel=1\n\
         [SESSION]\nConnectionType=initiator\nSenderCompID=BANK\nTargetCompID=BROKER\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort=1\nHeartBtInt=30\n\
         ClientCertificateFile={cc}\nClientCertificateKeyFile={ck}\n",
        ca = ca_file.display(),
        sc = server_cert.display(),
        sk = server_key.display(),
        cc = client_cert.display(),
        ck = client_key.display(),
    ))
    .expect("settings");
    let sessions = read_settings(&settings).expect("sessions");
    let server = factory_from_settings(&sessions[0])
        .expect("server config")
        .expect("tls");
    let client = factory_from_settings(&sessions[1])
        .expect("client config")
        .expect("tls");

    let acc_engine = engine();
    let addr = acc_engine.listen_with(any_port(), server).expect("listen");
    let (app, acc_rx) = App::new(LogonCheck::CertificateNamesCompId, true);
    let acc = acc_engine
        .create_session_with(
            config(Role::Acceptor, "BROKER", "BANK"),
            SessionOptions::default(),
            app,
        )
        .expect("acceptor");
    let ini_engine = engine();
    let (ini, ini_rx) = initiator(&ini_engine, "BANK", "BROKER");
    ini.connect_with(30, &addr.to_string(), client)
        .expect("connect");
    expect_state(&ini, SessionState::Established);
    expect_state(&acc, SessionState::Established);

    put_order(&ini, "ORD-1");
    expect_execution(&ini_rx, "ORD-1");
    let cert = fixrs_transport_tls::peer_certificate(&acc).expect("client certificate");
    assert_eq!(cert.common_names(), ["BANK"]);
    let server_cert = fixrs_transport_tls::peer_certificate(&ini).expect("server certificate");
    assert_eq!(server_cert.common_names(), ["localhost"]);

    // The acceptor drops the link: the initiator goes to Reconnect, comes
    // back over a new TLS connection, and trading resumes in sequence.
    acc.disconnect_non_gracefully().expect("drop");
    wait_for(&ini_rx, LONG, |s| matches!(s, Seen::LoggedOn).then_some(()));
    expect_state(&ini, SessionState::Established);
    expect_state(&acc, SessionState::Established);
    put_order(&ini, "ORD-2");
    expect_execution(&ini_rx, "ORD-2");

    // Logout: Logout messages both ways, then close_notify; no error on
    // either side.
    ini.disconnect("end of day").expect("logout");
    wait_for(&ini_rx, LONG, |s| {
        matches!(s, Seen::LoggedOut).then_some(())
    });
    wait_for(&acc_rx, LONG, |s| match s {
        Seen::LoggedOut => Some(()),
        Seen::Error(tls, text) => panic!("acceptor error at logout: {tls:?} {text}"),
        _ => None,
    });
    assert!(wait(
        || ini.state().is_terminated() && acc.state() != SessionState::Established
    ));
    while let Ok(seen) = ini_rx.try_recv() {
        assert!(
            !matches!(seen, Seen::Error(..)),
            "initiator error at logout: {seen:?}"
        );
    }
}

#[test]
fn mutual_tls_identity_reaches_the_logon_check_and_a_mismatch_refuses_the_logon() {
    let ca = Ca::new("Test CA");
    let acc = acceptor(&ca, ClientAuth::Required);
    let (good_acc, _good_rx) = acc.session("BROKER", "BANK1", LogonCheck::CertificateNamesCompId);
    let (bad_acc, bad_rx) = acc.session("BROKER", "BANK2", LogonCheck::CertificateNamesCompId);

    let ini_engine = engine();
    let bank1 = ca.issue(LeafSpec {
        common_name: "Bank One",
        alt_names: &["BANK1"],
        expired: false,
    });
    let (good, good_ini_rx) = initiator(&ini_engine, "BANK1", "BROKER");
    good.connect_with(30, &acc.tls.to_string(), Arc::new(client_with(&ca, &bank1)))
        .expect("connect");
    expect_state(&good, SessionState::Established);
    expect_state(&good_acc, SessionState::Established);
    put_order(&good, "ORD-1");
    expect_execution(&good_ini_rx, "ORD-1");

    // BANK2 logs on with BANK1's certificate: valid TLS, wrong identity.
    let (bad, _bad_ini_rx) = initiator(&ini_engine, "BANK2", "BROKER");
    bad.connect_with(30, &acc.tls.to_string(), Arc::new(client_with(&ca, &bank1)))
        .expect("connect");
    let why = wait_for(&bad_rx, LONG, |s| match s {
        Seen::Refused(why) => Some(why),
        Seen::LoggedOn => panic!("a mismatched certificate logged on"),
        _ => None,
    });
    assert!(why.contains("Bank One") && why.contains("BANK2"), "{why}");
    assert_ne!(bad.state(), SessionState::Established);
    assert_ne!(bad_acc.state(), SessionState::Established);
    // The good session was not disturbed.
    put_order(&good, "ORD-2");
    expect_execution(&good_ini_rx, "ORD-2");
    assert_eq!(good.state(), SessionState::Established);
    bad.finalize();
}

#[test]
fn mutual_tls_refuses_client_certificates_from_another_authority_expired_or_missing() {
    let ca = Ca::new("Test CA");
    let other = Ca::new("Other CA");
    let acc = acceptor(&ca, ClientAuth::Required);
    let (steady_acc, _rx) = acc.session("BROKER", "STEADY", LogonCheck::CertificateNamesCompId);
    let ini_engine = engine();
    let (steady, steady_rx) = initiator(&ini_engine, "STEADY", "BROKER");
    steady
        .connect_with(
            30,
            &acc.tls.to_string(),
            Arc::new(client_with(&ca, &ca.client("STEADY"))),
        )
        .expect("connect");
    expect_state(&steady, SessionState::Established);
    expect_state(&steady_acc, SessionState::Established);

    let expired = ca.issue(LeafSpec {
        common_name: "BANK",
        alt_names: &[],
        expired: true,
    });
    let foreign = other.client("BANK");
    let cases: Vec<(&str, TlsClientConfig, Expect)> = vec![
        ("another authority", client_with(&ca, &foreign), |e| {
            matches!(e, TlsError::BadCertificate(CertificateError::UnknownIssuer))
        }),
        ("expired", client_with(&ca, &expired), |e| {
            matches!(
                e,
                TlsError::BadCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. }
                )
            )
        }),
        ("none", client(&ca), |e| {
            matches!(e, TlsError::NoCertificate)
        }),
    ];
    let (_bank_acc, _bank_rx) = acc.session("BROKER", "BANK", LogonCheck::None);
    for (what, config, server_side) in cases {
        acc.reported.lock().expect("lock").clear();
        let (bank, bank_rx) = initiator(&ini_engine, "BANK", "BROKER");
        bank.connect_with(30, &acc.tls.to_string(), Arc::new(config))
            .expect("connect");
        // The initiator hears why from the acceptor's alert, as a typed
        // error, and goes to Reconnect.
        let err = wait_for_tls_error(&bank_rx);
        assert!(matches!(err, TlsError::PeerAlert(_)), "{what}: {err:?}");
        let refused = acc.wait_reported(server_side);
        assert!(server_side(&refused), "{what}");
        assert!(
            wait(|| bank.state() == SessionState::Reconnect || bank.state().is_terminated()),
            "{what}: {:?}",
            bank.state()
        );
        assert_ne!(bank.state(), SessionState::Established, "{what}");
        bank.finalize();
    }
    // The established session carried on.
    put_order(&steady, "ORD-1");
    expect_execution(&steady_rx, "ORD-1");
}

#[test]
fn the_initiator_refuses_a_server_certificate_for_another_name_or_from_an_unknown_authority() {
    let ca = Ca::new("Test CA");
    let acc = acceptor(&ca, ClientAuth::None);
    let (_bank_acc, _rx) = acc.session("BROKER", "BANK", LogonCheck::None);
    let ini_engine = engine();

    let renamed = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .server_name("fix.example.com")
        .build()
        .expect("client");
    let (bank, rx) = initiator(&ini_engine, "BANK", "BROKER");
    bank.connect_with(30, &acc.tls.to_string(), Arc::new(renamed))
        .expect("connect");
    let err = wait_for_tls_error(&rx);
    assert!(
        matches!(
            err,
            TlsError::BadCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{err:?}"
    );
    // Reconnects keep failing the same way: each attempt is reported.
    let again = wait_for_tls_error(&rx);
    assert!(matches!(again, TlsError::BadCertificate(_)), "{again:?}");
    assert_ne!(bank.state(), SessionState::Established);
    bank.finalize();

    let stranger = Ca::new("Unknown CA");
    let (bank, rx) = initiator(&ini_engine, "BANK", "BROKER");
    bank.connect_with(30, &acc.tls.to_string(), Arc::new(client(&stranger)))
        .expect("connect");
    let err = wait_for_tls_error(&rx);
    assert!(
        matches!(
            err,
            TlsError::BadCertificate(CertificateError::UnknownIssuer)
        ),
        "{err:?}"
    );
    acc.wait_reported(|e| *e == TlsError::PeerAlert(AlertDescription::UnknownCA));
    bank.finalize();
}

#[test]
fn peers_on_the_wrong_kind_of_port_fail_cleanly_without_harming_other_sessions() {
    let ca = Ca::new("Test CA");
    let acc = acceptor(&ca, ClientAuth::None);
    let (tls_acc, _r1) = acc.session("BROKER", "TLSBANK", LogonCheck::None);
    let (plain_acc, _r2) = acc.session("BROKER", "PLAINBANK", LogonCheck::None);
    let (_wrong1, _r3) = acc.session("BROKER", "LOST1", LogonCheck::None);
    let (_wrong2, _r4) = acc.session("BROKER", "LOST2", LogonCheck::None);
    let ini_engine = engine();
    let (tls_ini, tls_rx) = initiator(&ini_engine, "TLSBANK", "BROKER");
    tls_ini
        .connect_with(30, &acc.tls.to_string(), Arc::new(client(&ca)))
        .expect("connect");
    let (plain_ini, plain_rx) = initiator(&ini_engine, "PLAINBANK", "BROKER");
    plain_ini
        .connect(30, &acc.plain.to_string())
        .expect("connect");
    for s in [&tls_ini, &plain_ini, &tls_acc, &plain_acc] {
        expect_state(s, SessionState::Established);
    }

    // A plaintext FIX client on the TLS port.
    let (lost1, _lost1_rx) = initiator(&ini_engine, "LOST1", "BROKER");
    lost1.connect(30, &acc.tls.to_string()).expect("connect");
    assert_eq!(
        acc.wait_reported(|e| *e == TlsError::NotTls),
        TlsError::NotTls
    );
    // A TLS client on the plaintext port: the acceptor finds no FIX in the
    // ClientHello and closes, which the client reports as such.
    let (lost2, lost2_rx) = initiator(&ini_engine, "LOST2", "BROKER");
    lost2
        .connect_with(30, &acc.plain.to_string(), Arc::new(client(&ca)))
        .expect("connect");
    let err = wait_for_tls_error(&lost2_rx);
    assert!(
        matches!(
            err,
            TlsError::ClosedDuringHandshake | TlsError::NotTls | TlsError::HandshakeTimeout(_)
        ),
        "{err:?}"
    );
    assert_ne!(lost1.state(), SessionState::Established);
    assert_ne!(lost2.state(), SessionState::Established);

    // Both good sessions still trade.
    put_order(&tls_ini, "T-1");
    put_order(&plain_ini, "P-1");
    expect_execution(&tls_rx, "T-1");
    expect_execution(&plain_rx, "P-1");
    lost1.finalize();
    lost2.finalize();
}

#[test]
fn a_silent_server_times_the_handshake_out_and_the_initiator_keeps_reconnecting() {
    let ca = Ca::new("Test CA");
    // Accepts TCP connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("addr");
    let config = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .handshake_timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let ini_engine = engine();
    let (bank, rx) = initiator(&ini_engine, "BANK", "BROKER");
    bank.connect_with(30, &addr.to_string(), Arc::new(config))
        .expect("connect");
    for _ in 0..2 {
        let err = wait_for_tls_error(&rx);
        assert_eq!(err, TlsError::HandshakeTimeout(Duration::from_millis(300)));
    }
    assert_ne!(bank.state(), SessionState::Established);
    bank.finalize();
    drop(silent);
}

#[test]
fn start_from_settings_runs_tls_sessions_and_checks_every_file_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("Test CA");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("ca file");
    let (server_cert, server_key) = ca.server().write(dir.path(), "server");
    let (client_cert, client_key) = ca.client("BANK").write(dir.path(), "client");
    // A free port for the acceptor, which the initiator connects to.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let text = |client_key: &std::path::Path| {
        format!(
            "[DEFAULT]\nBeginString=FIX.4.4\nSocketUseSSL=Y\nCertificationAuthoritiesFile={ca}\n\
             [SESSION]\nConnectionType=acceptor\nSenderCompID=BROKER\nTargetCompID=BANK\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
             ServerCertificateFile={sc}\nServerCertificateKeyFile={sk}\nCertificateVerifyLevel=1\n\
             [SESSION]\nConnectionType=initiator\nSenderCompID=BANK\nTargetCompID=BROKER\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\nHeartBtInt=30\nReconnectInterval=1\n\
             ClientCertificateFile={cc}\nClientCertificateKeyFile={ck}\n",
            ca = ca_file.display(),
            sc = server_cert.display(),
            sk = server_key.display(),
            cc = client_cert.display(),
            ck = client_key.display(),
        )
    };

    // A missing key file: nothing is created, the error names the session.
    let engine = engine();
    let broken = Settings::parse(&text(&dir.path().join("missing.key"))).expect("settings");
    let err = fixrs_transport_tls::start_from_settings(&engine, &broken, |_| {
        App::new(LogonCheck::None, true).0
    })
    .expect_err("missing key file");
    assert!(
        matches!(
            &err,
            fixrs_transport_tls::SetupError::Tls {
                source: fixrs_transport_tls::TlsConfigError::ReadFile { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("missing.key"), "{err}");

    let settings = Settings::parse(&text(&client_key)).expect("settings");
    let (tx, rx) = std::sync::mpsc::channel();
    let handles = fixrs_transport_tls::start_from_settings(&engine, &settings, |s| {
        // The acceptor checks the client certificate against the CompID.
        let check = match s.config.role {
            Role::Acceptor => LogonCheck::CertificateNamesCompId,
            Role::Initiator => LogonCheck::None,
        };
        let (app, events) = App::new(check, true);
        tx.send((s.config.id.sender_comp_id.clone(), events))
            .expect("events");
        app
    })
    .expect("sessions start");
    let events: std::collections::HashMap<String, Receiver<Seen>> = rx.try_iter().collect();
    for h in &handles {
        expect_state(h, SessionState::Established);
    }
    let bank = &handles[1];
    put_order(bank, "ORD-1");
    expect_execution(&events["BANK"], "ORD-1");
    let client = fixrs_transport_tls::peer_certificate(&handles[0]).expect("client certificate");
    assert_eq!(client.common_names(), ["BANK"]);
}

#[test]
fn a_burst_of_orders_over_tls_arrives_once_each_and_in_order() {
    use fixrs_proto::{tag, FieldWriter, MessageBuilder};
    use fixrs_transport_mio::PutError;
    let ca = Ca::new("Test CA");
    let acc = acceptor(&ca, ClientAuth::None);
    let (app, acc_rx) = App::new(LogonCheck::None, false);
    let acc_session = acc
        .engine
        .create_session_with(
            config(Role::Acceptor, "BROKER", "BANK"),
            SessionOptions::default(),
            app,
        )
        .expect("acceptor");
    let ini_engine = engine();
    let (bank, _rx) = initiator(&ini_engine, "BANK", "BROKER");
    bank.connect_with(30, &acc.tls.to_string(), Arc::new(client(&ca)))
        .expect("connect");
    expect_state(&bank, SessionState::Established);
    expect_state(&acc_session, SessionState::Established);
    // Far more than the TLS and socket buffers hold: partial writes,
    // WouldBlock from rustls' buffer limit, and engine backpressure.
    let n = 20_000u64;
    let mut order = MessageBuilder::new(b"D");
    for i in 1..=n {
        order.reset(b"D");
        order
            .push_uint(tag::CL_ORD_ID, i)
            .push_str(55, "EUR/USD")
            .push_char(54, b'1')
            .push_str(60, "20240102-03:04:05.678")
            .push_char(40, b'1')
            .push_str(58, &"x".repeat(200));
        loop {
            match bank.put(&order) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => {
                    std::thread::sleep(Duration::from_micros(200))
                }
                Err(e) => panic!("put: {e}"),
            }
        }
    }
    let mut next = 1u64;
    while next <= n {
        let id = wait_for(&acc_rx, LONG, |seen| match seen {
            Seen::Message(m) if m.msg_type() == b"D" => {
                m.get_str(tag::CL_ORD_ID)?.parse::<u64>().ok()
            }
            Seen::Error(tls, text) => panic!("error during the burst: {tls:?} {text}"),
            _ => None,
        });
        assert_eq!(id, next, "orders lost or out of order");
        next += 1;
    }
}

#[test]
fn a_silent_client_on_the_tls_port_times_the_acceptor_handshake_out() {
    let ca = Ca::new("Test CA");
    let acc = acceptor(&ca, ClientAuth::None);
    let (_bank_acc, _rx) = acc.session("BROKER", "BANK", LogonCheck::None);
    let silent = std::net::TcpStream::connect(acc.tls).expect("connect");
    let err = acc.wait_reported(|e| matches!(e, TlsError::HandshakeTimeout(_)));
    assert_eq!(err, TlsError::HandshakeTimeout(Duration::from_millis(500)));
    // The acceptor closed the connection.
    silent.set_read_timeout(Some(LONG)).expect("read timeout");
    let mut buf = [0u8; 16];
    assert!(matches!(
        std::io::Read::read(&mut &silent, &mut buf),
        Ok(0) | Err(_)
    ));
}

/// QuickFIX 1.16's TLS keys from a settings file: authorities from a
/// directory (every PEM certificate of its files), revocation lists from
/// a file (acceptor) and a directory (initiator), TLS 1.3 suites apart.
#[test]
fn ca_directory_revocation_lists_and_tls13_suites_from_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("Test CA");
    let ca_dir = dir.path().join("authorities");
    std::fs::create_dir(&ca_dir).expect("ca dir");
    std::fs::write(ca_dir.join("test-ca.pem"), ca.pem()).expect("ca file");
    std::fs::write(ca_dir.join("README"), "not a certificate\n").expect("note");
    let server = ca.server();
    let (server_cert, server_key) = server.write(dir.path(), "server");
    let good = ca.client("BANK");
    let revoked = ca.client("REVOKED");
    let (good_cert, good_key) = good.write(dir.path(), "bank");
    let (revoked_cert, revoked_key) = revoked.write(dir.path(), "revoked");
    // One list revoking the client REVOKED and the server's certificate:
    // the acceptor reads it as a file, the initiator WARY from a directory.
    let crl_file = dir.path().join("ca.crl");
    std::fs::write(&crl_file, ca.crl_pem(&[&revoked, &server])).expect("crl");
    let crl_dir = dir.path().join("crls");
    std::fs::create_dir(&crl_dir).expect("crl dir");
    std::fs::copy(&crl_file, crl_dir.join("ca.crl.pem")).expect("crl copy");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let initiator = |sender: &str, cert: &std::path::Path, key: &std::path::Path, extra: &str| {
        format!(
            "[SESSION]\nConnectionType=initiator\nSenderCompID={sender}\nTargetCompID=BROKER\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\nHeartBtInt=30\nReconnectInterval=1\n\
             ClientCertificateFile={}\nClientCertificateKeyFile={}\n{extra}",
            cert.display(),
            key.display()
        )
    };
    let text = format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nSocketUseSSL=Y\nCertificationAuthoritiesDirectory={ca}\n\
         TLSCipherSuites=TLS_CHACHA20_POLY1305_SHA256\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=BROKER\nTargetCompID=BANK\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
         ServerCertificateFile={sc}\nServerCertificateKeyFile={sk}\nCertificateVerifyLevel=1\n\
         CertificateRevocationListFile={crl}\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=BROKER\nTargetCompID=REVOKED\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
         ServerCertificateFile={sc}\nServerCertificateKeyFile={sk}\nCertificateVerifyLevel=1\n\
         CertificateRevocationListFile={crl}\n\
         {bank}{revoked}{wary}",
        ca = ca_dir.display(),
        sc = server_cert.display(),
        sk = server_key.display(),
        crl = crl_file.display(),
        bank = initiator("BANK", &good_cert, &good_key, ""),
        revoked = initiator("REVOKED", &revoked_cert, &revoked_key, ""),
        wary = initiator(
            "WARY",
            &good_cert,
            &good_key,
            &format!("CertificateRevocationListDirectory={}\n", crl_dir.display())
        ),
    );
    let settings = Settings::parse(&text).expect("settings");
    // TLS 1.3 suites as TLSCipherSuites says, first; TLS 1.2 ones follow.
    let sessions = read_settings(&settings).expect("sessions");
    let tls = TlsSettings::from_settings(&sessions[0])
        .expect("valid")
        .expect("tls");
    let server_config = TlsServerConfig::from_settings(&tls).expect("server config");
    let suites = &server_config
        .rustls_config()
        .crypto_provider()
        .cipher_suites;
    assert_eq!(
        format!("{:?}", suites[0].suite()),
        "TLS13_CHACHA20_POLY1305_SHA256"
    );
    assert!(suites[1..]
        .iter()
        .all(|s| s.version() != &fixrs_transport_tls::rustls::version::TLS13));

    let engine = engine();
    let (tx, rx) = std::sync::mpsc::channel();
    let handles = fixrs_transport_tls::start_from_settings(&engine, &settings, |s| {
        let (app, events) = App::new(LogonCheck::None, true);
        let role = s.config.role;
        tx.send((s.config.id.sender_comp_id.clone(), role, events))
            .expect("events");
        app
    })
    .expect("sessions start");
    let events: std::collections::HashMap<String, Receiver<Seen>> = rx
        .try_iter()
        .filter(|(_, role, _)| *role == Role::Initiator)
        .map(|(name, _, events)| (name, events))
        .collect();
    let by_sender = |name: &str| {
        handles
            .iter()
            .find(|h| h.key().id.sender_comp_id == name)
            .expect("session")
    };
    // BANK: trusted through the directory, not revoked.
    expect_state(by_sender("BANK"), SessionState::Established);
    put_order(by_sender("BANK"), "ORD-1");
    expect_execution(&events["BANK"], "ORD-1");
    // REVOKED: the acceptor refuses its certificate.
    let err = wait_for_tls_error(&events["REVOKED"]);
    assert!(
        matches!(
            err,
            TlsError::PeerAlert(AlertDescription::CertificateRevoked)
        ),
        "{err:?}"
    );
    // WARY: refuses the acceptor's revoked certificate.
    let err = wait_for_tls_error(&events["WARY"]);
    assert!(
        matches!(err, TlsError::BadCertificate(CertificateError::Revoked)),
        "{err:?}"
    );
    assert_ne!(by_sender("REVOKED").state(), SessionState::Established);
    assert_ne!(by_sender("WARY").state(), SessionState::Established);
}

#[test]
fn a_directory_without_certificates_or_a_file_without_revocation_lists_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("note.txt"), "nothing\n").expect("note");
    let err = TlsClientConfig::builder()
        .ca_directory(dir.path())
        .build()
        .expect_err("no certificate");
    assert!(
        matches!(&err, fixrs_transport_tls::TlsConfigError::NoCertificate { path } if path == dir.path()),
        "{err}"
    );
    let ca = Ca::new("Test CA");
    let err = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .crl_file(dir.path().join("note.txt"))
        .build()
        .expect_err("no crl");
    assert!(err.to_string().contains("note.txt"), "{err}");
    assert!(
        err.to_string()
            .contains("no PEM certificate revocation list"),
        "{err}"
    );
    let err = TlsClientConfig::builder()
        .tls13_cipher_suites(&["ECDHE-RSA-AES128-GCM-SHA256"])
        .build()
        .expect_err("not a TLS 1.3 suite");
    assert!(
        err.to_string().contains("not a TLS 1.3 cipher suite"),
        "{err}"
    );
}
