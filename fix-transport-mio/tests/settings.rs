//! Sessions created from QuickFIX-style settings files: an acceptor on a
//! SocketAcceptPort and an initiator connecting to it, both with
//! FileStorePath and FileLogPath.

mod common;

use common::*;
use fixrs_session::Settings;
use fixrs_transport_mio::{
    AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionState,
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
        .push_str(fixrs_proto::fields::SYMBOL, "EUR/USD")
        .push_char(fixrs_proto::fields::SIDE, b'1')
        .push_str(fixrs_proto::fields::TRANSACT_TIME, "20240115-10:30:00.000")
        .push_char(fixrs_proto::fields::ORD_TYPE, b'1');
    for s in &inis {
        s.put(&m).expect("put");
    }
    let mut from = Vec::new();
    while from.len() < 2 {
        let ev = acc_events.recv_timeout(LONG).expect("orders");
        if let AppEventKind::Message(_) = ev.kind {
            from.push(ev.session.target_comp_id.clone());
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
    let again = initiator
        .create_from_settings(&settings.sessions[0], ChannelApplication::new().0)
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
