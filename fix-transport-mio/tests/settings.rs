//! Sessions created from QuickFIX-style settings files: an acceptor on a
//! SocketAcceptPort and an initiator connecting to it, both with
//! FileStorePath and FileLogPath.

mod common;

use common::*;
use fixrs_session::Settings;
use fixrs_transport_mio::{
    AppEventKind, ChannelApplication, EngineError, EngineSettings, FixEngine, SessionState,
};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);

#[test]
fn sessions_from_settings_files_log_on_with_file_stores_and_logs() {
    init_log();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().display();
    let acceptor_text = format!(
        "[DEFAULT]\n\
         ConnectionType=acceptor\n\
         BeginString=FIX.4.4\n\
         SenderCompID=ACC\n\
         SocketAcceptHost=127.0.0.1\n\
         SocketAcceptPort=0\n\
         FileStorePath={d}/acceptor-store\n\
         FileLogPath={d}/acceptor-log\n\
         [SESSION]\n\
         TargetCompID=INI1\n\
         [SESSION]\n\
         TargetCompID=INI2\n"
    );
    let acceptor = FixEngine::new(EngineSettings::default()).expect("engine");
    let (acc_app, acc_events) = ChannelApplication::new();
    let accs = acceptor
        .start_from_settings(&Settings::parse(&acceptor_text).expect("settings"), |_| {
            acc_app.clone()
        })
        .expect("acceptor sessions");
    assert_eq!(accs.len(), 2);
    let addrs = acceptor.listen_addresses();
    assert_eq!(addrs.len(), 1, "both sessions share one listener");
    let port = addrs[0].port();
    assert_ne!(port, 0);

    let initiator_text = format!(
        "[DEFAULT]\n\
         ConnectionType=initiator\n\
         BeginString=FIX.4.4\n\
         TargetCompID=ACC\n\
         HeartBtInt=30\n\
         ReconnectInterval=1\n\
         SocketConnectHost=127.0.0.1\n\
         SocketConnectPort={port}\n\
         FileStorePath={d}/initiator-store\n\
         FileLogPath={d}/initiator-log\n\
         [SESSION]\n\
         SenderCompID=INI1\n\
         [SESSION]\n\
         SenderCompID=INI2\n"
    );
    let initiator = FixEngine::new(EngineSettings::default()).expect("engine");
    let inis = initiator
        .start_from_settings(&Settings::parse(&initiator_text).expect("settings"), |_| {
            ChannelApplication::new().0
        })
        .expect("initiator sessions");
    for s in inis.iter().chain(accs.iter()) {
        expect_state(s, SessionState::Established, LONG);
    }
    // A NewOrderSingle valid in FIX 4.4: settings-file sessions validate
    // against the built-in dictionary by default (UseDataDictionary=Y).
    use fixrs_proto::FieldWriter;
    let mut m = fixrs_proto::MessageBuilder::new(b"D");
    m.push_str(fixrs_proto::tag::CL_ORD_ID, "X")
        .push_str(fixrs_proto::tag::SYMBOL, "EUR/USD")
        .push_char(fixrs_proto::tag::SIDE, b'1')
        .push_str(fixrs_proto::tag::TRANSACT_TIME, "20240115-10:30:00.000")
        .push_char(fixrs_proto::tag::ORD_TYPE, b'1');
    for s in &inis {
        s.put(&m).expect("put");
    }
    let mut from = Vec::new();
    while from.len() < 2 {
        let ev = acc_events.recv_timeout(LONG).expect("orders");
        if let AppEventKind::Message(_) = ev.kind {
            from.push(ev.session.id.target_comp_id.clone());
        }
    }
    from.sort();
    assert_eq!(from, ["INI1", "INI2"]);
    for s in &inis {
        s.disconnect("bye").expect("logout");
        expect_state(s, SessionState::CorrectlyTerminated, LONG);
    }
    // Logon, the order, Logout.
    let out = inis[0].out_seq_num();
    assert_eq!(out, 4);
    initiator.stop();
    acceptor.stop();

    // The stores kept the sequence numbers and the logs the messages.
    let initiator = FixEngine::new(EngineSettings::default()).expect("engine");
    let settings = Settings::parse(&initiator_text).expect("settings");
    let sessions = fixrs_transport_mio::settings::read_settings(&settings).expect("sessions");
    let again = initiator
        .create_from_settings(&sessions[0], ChannelApplication::new().0)
        .expect("session");
    assert_eq!(again.out_seq_num(), out);
    initiator.stop();
    let log = std::fs::read(
        dir.path()
            .join("initiator-log/FIX.4.4-INI1-ACC.messages.current.log"),
    )
    .expect("message log");
    assert!(log.windows(5).any(|w| w == b"35=D\x01"));
    assert!(dir
        .path()
        .join("acceptor-log/FIX.4.4-ACC-INI2.event.current.log")
        .exists());
}

/// An acceptor engine from settings with `lines` under its [SESSION];
/// returns the engine and its port.
fn acceptor_with(lines: &str) -> (FixEngine, u16) {
    let text = format!(
        "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ACC\n\
         TargetCompID=INI\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n{lines}\n"
    );
    let engine = FixEngine::new(EngineSettings::default()).expect("engine");
    engine
        .start_from_settings(&Settings::parse(&text).expect("settings"), |_| {
            ChannelApplication::new().0
        })
        .expect("acceptor");
    let port = engine.listen_addresses()[0].port();
    (engine, port)
}

#[test]
fn allowed_remote_addresses_refuse_other_peers() {
    init_log();
    let logon = raw_logon("INI", "ACC", 1);
    // 127.0.0.1 is not among the allowed addresses: closed without a word.
    let (engine, port) = acceptor_with("AllowedRemoteAddresses=10.9.9.9,::1");
    let mut peer = RawPeer::connect(format!("127.0.0.1:{port}").parse().expect("addr"));
    peer.send(&logon).expect("logon");
    let (got, closed) = peer.read_until_closed(LONG);
    assert!(closed && got.is_empty(), "{got:?}");
    engine.stop();
    // Allowed: logged on.
    let (engine, port) = acceptor_with("AllowedRemoteAddresses=10.9.9.9, 127.0.0.1");
    let mut peer = RawPeer::connect(format!("127.0.0.1:{port}").parse().expect("addr"));
    peer.send(&logon).expect("logon");
    let got = peer.read_until(b"\x0135=A\x01", LONG);
    assert!(got.windows(5).any(|w| w == b"35=A\x01"), "{got:?}");
    engine.stop();
}

/// Accepts the next connection on either listener within `LONG`; returns
/// which (0 or 1) and the stream.
fn accept_either(listeners: &[&std::net::TcpListener; 2]) -> (usize, std::net::TcpStream) {
    for l in listeners {
        l.set_nonblocking(true).expect("nonblocking");
    }
    let end = std::time::Instant::now() + LONG;
    while std::time::Instant::now() < end {
        for (i, l) in listeners.iter().enumerate() {
            if let Ok((stream, _)) = l.accept() {
                return (i, stream);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no connection within {LONG:?}");
}

#[test]
fn initiators_bind_their_source_address_and_pick_hosts_by_policy() {
    init_log();
    let primary = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let alternate = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port()
    };
    // The local ports bound before connecting to the primary and to the
    // alternate (SocketConnectSourcePort, SocketConnectSourcePort1).
    let source_ports = [free_port(), free_port()];
    let text = |lines: &str| {
        format!(
            "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=INI\n\
             TargetCompID=ACC\nHeartBtInt=30\nReconnectInterval=1\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={}\n\
             SocketConnectHost1=127.0.0.1\nSocketConnectPort1={}\n{lines}\n",
            primary.local_addr().expect("addr").port(),
            alternate.local_addr().expect("addr").port(),
        )
    };
    // (settings, where the first and the second connection go)
    let cases = [
        ("", [0, 1]),
        ("HostSelectionPolicy=PRIORITY", [0, 1]),
        (
            "HostSelectionPolicy=PRIORITY\nHostSelectionPolicyPriorityStartOverInterval=0",
            [0, 0],
        ),
    ];
    for (lines, expected) in cases {
        let lines = format!(
            "{lines}\nSocketConnectSourceHost=127.0.0.1\nSocketConnectSourcePort={}\n\
             SocketConnectSourcePort1={}",
            source_ports[0], source_ports[1]
        );
        let engine = FixEngine::new(EngineSettings::default()).expect("engine");
        engine
            .start_from_settings(&Settings::parse(&text(&lines)).expect("settings"), |_| {
                ChannelApplication::new().0
            })
            .expect("initiator");
        let (first, stream) = accept_either(&[&primary, &alternate]);
        assert_eq!(first, expected[0], "{lines}");
        // Bound to the configured source address before connecting.
        let from = stream.peer_addr().expect("peer");
        assert_eq!(
            (from.ip().to_string(), from.port()),
            ("127.0.0.1".to_string(), source_ports[first]),
            "{lines}"
        );
        // Drop the link without a word: the initiator reconnects.
        drop(stream);
        let (second, stream) = accept_either(&[&primary, &alternate]);
        assert_eq!(second, expected[1], "{lines}");
        assert_eq!(
            stream.peer_addr().expect("peer").port(),
            source_ports[second],
            "{lines}"
        );
        drop(stream);
        engine.stop_now();
    }
}

#[test]
fn the_engine_alone_refuses_tls_sessions_and_unknown_keys_before_starting_any() {
    let text = |lines: &str| {
        format!(
            "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ACC\n\
             TargetCompID=INI\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n\
             [SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ACC\n\
             TargetCompID=INI2\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n{lines}\n"
        )
    };
    let engine = FixEngine::new(EngineSettings::default()).expect("engine");
    let start = |lines: &str| {
        engine.start_from_settings(&Settings::parse(&text(lines)).expect("parses"), |_| {
            ChannelApplication::new().0
        })
    };
    // The TLS keys are the TLS crate's: the engine says so rather than
    // calling them unknown.
    let tls = start("SocketUseSSL=Y\nServerCertificateFile=c.pem\nServerCertificateKeyFile=k.pem")
        .expect_err("TLS needs the TLS crate");
    assert!(
        matches!(&tls, EngineError::Setting { name, reason } if name == "SocketUseSSL" && reason.contains("fixrs_transport_tls")),
        "{tls}"
    );
    let typo = start("SocketAcceptPrt=9000").expect_err("a typo");
    assert_eq!(typo.to_string(), "line 15: unknown key SocketAcceptPrt");
    assert!(
        engine.listen_addresses().is_empty(),
        "no session of the file was started"
    );
    engine.stop();
}
