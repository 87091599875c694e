//! A message over the session's MaxMessageSize reaches the application
//! once, as an error, and the event log once; its bytes are skipped as one
//! unit; the gap is asked for again; a counterparty that sends it over the
//! limit again is logged out with a Text saying why.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::Role;
use fixrs_transport_mio::{
    AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionOptions,
};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);
const MAX: usize = 4096;

/// A News of MsgSeqNum `seq` over [`MAX`], whose Text holds what would
/// be well-formed Heartbeats if it were scanned for messages.
fn oversize(seq: u64, poss_dup: bool) -> Vec<u8> {
    let mut text = String::new();
    let mut inner = 100;
    while text.len() < MAX {
        let hb = raw_message(b"0", "BIG", "ACC", inner, &[]);
        text.push_str(&String::from_utf8_lossy(&hb));
        inner += 1;
    }
    let mut body = vec![(148, "news"), (tag::TEXT, text.as_str())];
    if poss_dup {
        body.insert(0, (tag::POSS_DUP_FLAG, "Y"));
    }
    raw_message(b"B", "BIG", "ACC", seq, &body)
}

#[test]
fn an_oversize_message_is_reported_once_asked_for_again_and_a_repeat_logs_out() {
    let dirs = tempfile::tempdir().expect("temp dir");
    init_log();
    let acceptor =
        FixEngine::new(EngineSettings::default().with_file_log_path(dirs.path().to_path_buf()))
            .expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let (app, events) = ChannelApplication::new();
    let mut cfg = config(Role::Acceptor, "ACC", "BIG");
    cfg.max_message_size = MAX;
    let acc = acceptor
        .create_session_with(cfg, SessionOptions::default(), app)
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("BIG", "ACC", 1)).expect("logon");
    assert!(!peer.read_until(b"35=A\x01", LONG).is_empty());
    expect_state(&acc, fixrs_transport_mio::SessionState::Established, LONG);

    peer.send(&oversize(2, false)).expect("oversize");
    peer.send(&raw_message(b"0", "BIG", "ACC", 3, &[]))
        .expect("heartbeat");
    let got = peer.read_until(b"\x017=2\x01", LONG);
    assert!(
        got.windows(6).any(|w| w == b"\x0135=2\x01"),
        "no ResendRequest for the skipped message: {}",
        String::from_utf8_lossy(&got)
    );
    // Exactly one error reached the application.
    let mut errors = Vec::new();
    while let Ok(ev) = events.recv_timeout(Duration::from_millis(300)) {
        match ev.kind {
            AppEventKind::Error(e) => errors.push(e),
            AppEventKind::Message(m) => panic!("delivered {m:?}"),
            _ => {}
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(&MAX.to_string()), "{errors:?}");

    // Resent over the limit again: logged out, with the reason.
    peer.send(&oversize(2, true)).expect("resend");
    let got = peer.read_until(b"\x0135=5\x01", LONG);
    let text = String::from_utf8_lossy(&got);
    let logout = text.rsplit("35=5\u{1}").next().unwrap_or_default();
    assert!(
        logout.contains("58=") && logout.contains(&MAX.to_string()),
        "no Logout with a reason: {text}"
    );
    acceptor.stop();
    let events_log = std::fs::read_to_string(dirs.path().join("FIX.4.4-ACC-BIG.event.current.log"))
        .expect("event log");
    let lines: Vec<&str> = events_log
        .lines()
        .filter(|l| l.contains(&MAX.to_string()))
        .collect();
    assert!(!lines.is_empty(), "{events_log}");
    assert!(
        !events_log.contains("Garbled"),
        "the skipped bytes were parsed: {events_log}"
    );
}
