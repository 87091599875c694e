//! FIX over TLS against QuickFIX C++ (`quickfix-tls`, OpenSSL): our TLS
//! initiator with a QuickFIX SSLSocketAcceptor, and a QuickFIX
//! SSLSocketInitiator with our TLS acceptor, both with mutual TLS, each
//! logging on and exchanging NewOrderSingle and ExecutionReport both ways.
//! The trade in both roles also runs against the tokio engine, from the
//! same test body (`tls_trade`). Certificates are generated per test;
//! QuickFIX reads them as PEM files.

#[path = "../../fix-transport-tls/tests/common/mod.rs"]
mod common;

use common::pki::Ca;
use common::*;
use fix_tests::interop::{Engine, OurSide};
use fix_tests::quickfix::{PeerConfig, PeerError, PeerTls, QuickFixPeer};
use fixrs_proto::{tag, FixVersion};
use fixrs_session::Role;
use fixrs_transport_mio::{SessionOptions, SessionState};
use fixrs_transport_tls::{ClientAuth, TlsClientConfig, TlsServerConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A CA, a certificate for each side, all as PEM files.
struct Files {
    _dir: tempfile::TempDir,
    ca: Ca,
    ca_file: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
}

fn files(client_comp_id: &str) -> Files {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("Interop CA");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("ca file");
    let server = ca.server().write(dir.path(), "server");
    let client = ca.client(client_comp_id).write(dir.path(), "client");
    Files {
        _dir: dir,
        ca,
        ca_file,
        server,
        client,
    }
}

impl Files {
    /// QuickFIX's TLS settings: its certificate (the server's when it
    /// accepts, the client's when it initiates), verifying ours.
    fn peer_tls(&self, accepting: bool) -> PeerTls {
        let (cert, key) = if accepting {
            &self.server
        } else {
            &self.client
        };
        PeerTls {
            cert: Some(cert.clone()),
            key: Some(key.clone()),
            ca: Some(self.ca_file.clone()),
            verify_peer: true,
        }
    }

    /// Our initiator's TLS: the CA, and the client certificate.
    fn client_config(&self) -> Result<TlsClientConfig, fixrs_transport_tls::TlsConfigError> {
        TlsClientConfig::builder()
            .ca_file(&self.ca_file)
            .client_certificate_files(&self.client.0, &self.client.1)
            .build()
    }

    /// Our acceptor's TLS: the server certificate, client certificates
    /// required.
    fn server_config(&self) -> Result<TlsServerConfig, fixrs_transport_tls::TlsConfigError> {
        TlsServerConfig::builder()
            .certificate_files(&self.server.0, &self.server.1)
            .client_auth(ClientAuth::Required)
            .ca_file(&self.ca_file)
            .build()
    }
}

#[test]
fn our_tls_initiator_trades_with_a_quickfix_ssl_acceptor() -> Result<(), PeerError> {
    let f = files("US");
    let mut qf = QuickFixPeer::start(
        PeerConfig::acceptor(FixVersion::Fix44, "QF", "US").tls(f.peer_tls(true)),
    )?;
    let tls = f.client_config().expect("client config");
    let engine = engine();
    let (app, rx) = App::new(LogonCheck::None, true);
    let us = engine
        .create_session_with(
            config(Role::Initiator, "US", "QF"),
            SessionOptions::default(),
            app,
        )
        .expect("session");
    us.connect_with(30, &format!("127.0.0.1:{}", qf.port()), Arc::new(tls))
        .expect("connect");
    expect_state(&us, SessionState::Established);
    qf.wait_for_event("logon", WAIT)?;
    let server = fixrs_transport_tls::peer_certificate(&us).expect("server certificate");
    assert_eq!(server.common_names(), ["localhost"]);

    // Our order, QuickFIX's execution.
    put_order(&us, "US-1");
    expect_execution(&rx, "US-1");
    qf.wait_for("our order", WAIT, |e| {
        e.is_message("app_in", "D") && e.field(tag::CL_ORD_ID) == Some("US-1")
    })?;
    // QuickFIX's orders, our executions. `send`, not `command`: the
    // executions may come back before the command's acknowledgement, and
    // waiting for that would pass them by.
    qf.send("orders 2 QF")?;
    for id in ["QF-1", "QF-2"] {
        qf.wait_for(&format!("execution of {id}"), WAIT, |e| {
            e.is_message("app_in", "8") && e.field(tag::CL_ORD_ID) == Some(id)
        })?;
    }

    us.disconnect("done").expect("logout");
    qf.wait_for_event("logout", WAIT)?;
    assert!(us.wait_for_state(SessionState::CorrectlyTerminated, WAIT));
    drop(f.ca);
    Ok(())
}

#[test]
fn a_quickfix_ssl_initiator_trades_with_our_tls_acceptor() -> Result<(), PeerError> {
    let f = files("QF");
    let tls = f.server_config().expect("server config");
    let engine = engine();
    let addr = engine
        .listen_with(any_port(), Arc::new(tls))
        .expect("listen");
    let (app, rx) = App::new(LogonCheck::CertificateNamesCompId, true);
    let us = engine
        .create_session_with(
            config(Role::Acceptor, "US", "QF"),
            SessionOptions::default(),
            app,
        )
        .expect("session");
    let mut qf = QuickFixPeer::start(
        PeerConfig::initiator(FixVersion::Fix44, "QF", "US", addr.port()).tls(f.peer_tls(false)),
    )?;
    qf.wait_for_event("logon", WAIT)?;
    expect_state(&us, SessionState::Established);
    let client = fixrs_transport_tls::peer_certificate(&us).expect("client certificate");
    assert_eq!(client.common_names(), ["QF"]);

    // QuickFIX's orders, our executions. `send`, not `command`: the
    // executions may come back before the command's acknowledgement, and
    // waiting for that would pass them by.
    qf.send("orders 2 QF")?;
    for id in ["QF-1", "QF-2"] {
        qf.wait_for(&format!("execution of {id}"), WAIT, |e| {
            e.is_message("app_in", "8") && e.field(tag::CL_ORD_ID) == Some(id)
        })?;
    }
    // Our order, QuickFIX's execution.
    put_order(&us, "US-1");
    expect_execution(&rx, "US-1");

    qf.command("logout done")?;
    qf.wait_for_event("logout", WAIT)?;
    assert!(wait_until_not_established(&us));
    Ok(())
}

fn wait_until_not_established(s: &fixrs_transport_mio::SessionHandle) -> bool {
    let end = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < end {
        if s.state() != SessionState::Established {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn our_tls_acceptor_refuses_a_quickfix_logon_whose_certificate_names_another_comp_id(
) -> Result<(), PeerError> {
    // The certificate is valid (our CA) but names OTHER, not QF.
    let f = files("OTHER");
    let tls = f.server_config().expect("server config");
    let engine = engine();
    let addr = engine
        .listen_with(any_port(), Arc::new(tls))
        .expect("listen");
    let (app, rx) = App::new(LogonCheck::CertificateNamesCompId, true);
    let us = engine
        .create_session_with(
            config(Role::Acceptor, "US", "QF"),
            SessionOptions::default(),
            app,
        )
        .expect("session");
    let mut qf = QuickFixPeer::start(
        PeerConfig::initiator(FixVersion::Fix44, "QF", "US", addr.port()).tls(f.peer_tls(false)),
    )?;
    let why = wait_for(&rx, WAIT, |seen| match seen {
        Seen::Refused(why) => Some(why),
        Seen::LoggedOn => panic!("a certificate for OTHER logged on as QF"),
        _ => None,
    });
    assert!(why.contains("OTHER") && why.contains("QF"), "{why}");
    let events = qf.collect_for(Duration::from_secs(2))?;
    assert!(
        !events.iter().any(|e| e.kind() == "logon"),
        "QuickFIX logged on: {events:?}"
    );
    assert_ne!(us.state(), SessionState::Established);
    Ok(())
}

/// Orders both ways between our side and QuickFIX, both logged on over
/// mutual TLS, then our Logout: the same body for each engine.
fn tls_trade(qf: &mut QuickFixPeer, ours: &mut OurSide) -> Result<(), Box<dyn std::error::Error>> {
    ours.wait_logged_on(WAIT)?;
    qf.wait_for_event("logon", WAIT)?;
    ours.put_order("US-1")?;
    ours.wait_app("8", "US-1", WAIT)?;
    qf.wait_for("our order", WAIT, |e| {
        e.is_message("app_in", "D") && e.field(tag::CL_ORD_ID) == Some("US-1")
    })?;
    qf.send("orders 2 QF")?;
    for id in ["QF-1", "QF-2"] {
        ours.wait_app("D", id, WAIT)?;
        qf.wait_for(&format!("execution of {id}"), WAIT, |e| {
            e.is_message("app_in", "8") && e.field(tag::CL_ORD_ID) == Some(id)
        })?;
    }
    ours.session().disconnect("done")?;
    qf.wait_for_event("logout", WAIT)?;
    assert!(ours
        .session()
        .wait_for_state(SessionState::CorrectlyTerminated, WAIT));
    Ok(())
}

fn our_tls_initiator_trades(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let f = files("US");
    let mut qf = QuickFixPeer::start(
        PeerConfig::acceptor(FixVersion::Fix44, "QF", "US").tls(f.peer_tls(true)),
    )?;
    let tls = f.client_config()?;
    let mut ours = OurSide::initiator_tls(
        engine,
        FixVersion::Fix44,
        "US",
        "QF",
        qf.port(),
        30,
        Some(tls),
    )?;
    tls_trade(&mut qf, &mut ours)
}

fn our_tls_acceptor_trades(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let f = files("QF");
    let tls = f.server_config()?;
    let mut ours = OurSide::acceptor_tls(engine, FixVersion::Fix44, "US", "QF", Some(tls))?;
    let port = ours.listen_port().ok_or("our acceptor has no port")?;
    let mut qf = QuickFixPeer::start(
        PeerConfig::initiator(FixVersion::Fix44, "QF", "US", port).tls(f.peer_tls(false)),
    )?;
    tls_trade(&mut qf, &mut ours)
}

#[test]
fn mio_tls_initiator_and_quickfix_ssl_acceptor_trade_both_ways(
) -> Result<(), Box<dyn std::error::Error>> {
    our_tls_initiator_trades(Engine::Mio)
}

#[test]
fn tokio_tls_initiator_and_quickfix_ssl_acceptor_trade_both_ways(
) -> Result<(), Box<dyn std::error::Error>> {
    our_tls_initiator_trades(Engine::Tokio)
}

#[test]
fn quickfix_ssl_initiator_and_mio_tls_acceptor_trade_both_ways(
) -> Result<(), Box<dyn std::error::Error>> {
    our_tls_acceptor_trades(Engine::Mio)
}

#[test]
fn quickfix_ssl_initiator_and_tokio_tls_acceptor_trade_both_ways(
) -> Result<(), Box<dyn std::error::Error>> {
    our_tls_acceptor_trades(Engine::Tokio)
}
