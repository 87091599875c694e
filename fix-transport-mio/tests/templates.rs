//! Acceptor sessions created on their first Logon from a template, over
//! real sockets: each counterparty the template allows gets a session of
//! its own (store, log, sequence numbers kept across its Logons); other
//! identities and duplicate Logons are refused; the template's application
//! may refuse a Logon.

mod common;

use common::*;
use fixrs_proto::{tag, FieldWriter, FixVersion, Message, MessageBuilder};
use fixrs_session::{AcceptorTemplate, Role, SessionConfig};
use fixrs_transport_mio::{
    AdminRejection, AppEvent, AppEventKind, Application, ChannelApplication, EngineSettings,
    FixEngine, RefusalHook, RefusalReason, RefuseLogon, SessionHandle, SessionOptions,
    SessionState, TemplateOptions,
};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(10);

/// An acceptor engine reporting refusals as (kind, text).
fn acceptor_engine() -> (FixEngine, Receiver<(&'static str, String)>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let settings = EngineSettings::default()
        .with_logon_timeout(Duration::from_secs(2))
        .with_on_refused(RefusalHook::new(move |r| {
            let kind = match &r.reason {
                RefusalReason::UnknownSession { .. } => "unknown",
                RefusalReason::DuplicateLogon { .. } => "duplicate",
                RefusalReason::RefusedByApplication { .. } => "application",
                _ => "other",
            };
            if let Ok(tx) = tx.lock() {
                let _ = tx.send((kind, r.reason.to_string()));
            }
        }));
    (FixEngine::new(settings).expect("engine"), rx)
}

fn template(sender: &str, target: &str) -> AcceptorTemplate {
    let mut config = SessionConfig::acceptor(FixVersion::Fix44, sender, target);
    config.heart_bt_int = 30;
    config.logout_timeout = Duration::from_secs(1);
    AcceptorTemplate::new(config)
}

/// Waits for an application message on the template's channel; returns
/// the session it arrived on.
fn next_message(events: &Receiver<AppEvent>) -> (String, Vec<u8>) {
    loop {
        let event = events.recv_timeout(LONG).expect("an event");
        if let AppEventKind::Message(m) = event.kind {
            return (event.session.to_string(), m.as_bytes().to_vec());
        }
    }
}

fn order(id: &str) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(tag::CL_ORD_ID, id);
    m
}

#[test]
fn counterparties_a_template_allows_get_sessions_of_their_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (acceptor, refusals) = acceptor_engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let (app, events) = ChannelApplication::new();
    let options = TemplateOptions::default()
        .with_file_store_path(dir.path().join("store"))
        .with_file_log_path(dir.path().join("log"));
    acceptor
        .add_acceptor_template(template("BROKER", "*"), options, app)
        .expect("template");

    let initiators = engine();
    let connect = |target: &str| {
        let s = initiators
            .create_session_with(
                config(Role::Initiator, target, "BROKER"),
                SessionOptions::default(),
                ChannelApplication::new().0,
            )
            .expect("initiator");
        s.connect(30, &addr.to_string()).expect("connect");
        expect_state(&s, SessionState::Established, LONG);
        s
    };
    let fund1 = connect("FUND1");
    let fund2 = connect("FUND2");
    fund1.put(order("O-1")).expect("put");
    fund2.put(order("O-2")).expect("put");
    let mut got = [next_message(&events), next_message(&events)];
    got.sort();
    assert_eq!(got[0].0, "FIX.4.4:BROKER->FUND1");
    assert!(got[0].1.windows(8).any(|w| w == b"\x0111=O-1\x01"));
    assert_eq!(got[1].0, "FIX.4.4:BROKER->FUND2");

    // A store and a log each, named by the identity.
    let names = |sub: &str| -> Vec<String> {
        std::fs::read_dir(dir.path().join(sub))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    for sub in ["store", "log"] {
        let names = names(sub);
        for fund in ["FUND1", "FUND2"] {
            assert!(names.iter().any(|n| n.contains(fund)), "{sub}: {names:?}");
        }
    }

    // A CompID of ours the template does not cover.
    let mut stranger = RawPeer::connect(addr);
    stranger
        .send(&raw_logon("FUND3", "OTHER", 1))
        .expect("send");
    let (reply, closed) = stranger.read_until_closed(LONG);
    assert!(closed && reply.is_empty());
    let (kind, text) = refusals.recv_timeout(LONG).expect("refusal");
    assert_eq!(kind, "unknown", "{text}");

    // The created session refuses a second Logon while connected.
    let mut second = RawPeer::connect(addr);
    second.send(&raw_logon("FUND2", "BROKER", 9)).expect("send");
    let (reply, closed) = second.read_until_closed(LONG);
    assert!(closed && reply.is_empty());
    let (kind, text) = refusals.recv_timeout(LONG).expect("refusal");
    assert_eq!(kind, "duplicate", "{text}");
    assert!(text.contains("FIX.4.4:BROKER->FUND2"), "{text}");

    // The same counterparty logging on again finds its session, with the
    // sequence numbers it had.
    fund1.disconnect("bye").expect("disconnect");
    expect_state(&fund1, SessionState::CorrectlyTerminated, LONG);
    let before = fund1.in_seq_num();
    assert!(before > 2, "{before}");
    fund1.connect(30, &addr.to_string()).expect("connect");
    expect_state(&fund1, SessionState::Established, LONG);
    assert!(
        wait_until(LONG, || fund1.in_seq_num() > before),
        "the acceptor's Logon follows its earlier messages"
    );
    fund1.put(order("O-3")).expect("put");
    let (session, _) = next_message(&events);
    assert_eq!(session, "FIX.4.4:BROKER->FUND1");
    assert!(refusals.try_recv().is_err());
    initiators.stop();
    acceptor.stop();
}

/// Takes Logons carrying Password(554) "secret" only.
struct NeedsPassword;

impl Application for NeedsPassword {
    fn from_admin(&mut self, _: &SessionHandle, m: &Message<'_>) -> Result<(), AdminRejection> {
        if m.msg_type() == b"A" && m.get(tag::PASSWORD) != Some(b"secret") {
            return Err(RefuseLogon("wrong password".into()).into());
        }
        Ok(())
    }
}

#[test]
fn the_template_application_may_refuse_a_first_logon() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (acceptor, refusals) = acceptor_engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    acceptor
        .add_acceptor_template(
            template("BROKER", "*"),
            TemplateOptions::default().with_file_log_path(dir.path()),
            NeedsPassword,
        )
        .expect("template");
    let events = dir.path().join("FIX.4.4-BROKER-FUND.event.current.log");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("FUND", "BROKER", 1)).expect("send");
    let (reply, closed) = peer.read_until_closed(LONG);
    assert!(closed && reply.is_empty());
    let (kind, text) = refusals.recv_timeout(LONG).expect("refusal");
    assert_eq!(kind, "application", "{text}");
    assert!(text.ends_with("wrong password"), "{text}");
    // The session created for the refused Logon is gone.
    assert!(
        wait_until(LONG, || std::fs::read_to_string(&events)
            .is_ok_and(|log| log.contains("session finalized"))),
        "{:?}",
        std::fs::read_to_string(&events)
    );

    let mut peer = RawPeer::connect(addr);
    let logon = raw_message(
        b"A",
        "FUND",
        "BROKER",
        1,
        &[
            (tag::ENCRYPT_METHOD, "0"),
            (tag::HEART_BT_INT, "30"),
            (tag::PASSWORD, "secret"),
        ],
    );
    peer.send(&logon).expect("send");
    let reply = peer.read_until(b"\x0135=A\x01", LONG);
    assert!(!reply.is_empty(), "the Logon with the password is answered");
    // By a session created again, whose first message it is.
    assert!(
        reply.windows(6).any(|w| w == b"\x0134=1\x01"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    acceptor.stop_now();
}

#[test]
fn a_template_must_be_for_acceptors() {
    let engine = engine();
    let config = SessionConfig::initiator(FixVersion::Fix44, "BROKER", "*");
    let err = engine
        .add_acceptor_template(
            AcceptorTemplate::new(config),
            TemplateOptions::default(),
            ChannelApplication::new().0,
        )
        .expect_err("an initiator template");
    assert!(err.to_string().contains("acceptor"), "{err}");
}

/// QuickFIX's `AcceptorTemplate=Y` in a settings file: the section makes
/// no session, its wildcard CompID takes any counterparty, each of which
/// gets a file store of its own under the template's FileStorePath; the
/// fixed session beside it keeps its own Logons; and an initiator cannot
/// be a template.
#[test]
fn acceptor_template_sections_of_a_settings_file_create_sessions_on_logon() {
    use fixrs_session::settings::Settings;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=BROKER\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\nHeartBtInt=30\nUseDataDictionary=N\n\
         [SESSION]\nTargetCompID=FIXED\n\
         [SESSION]\nAcceptorTemplate=Y\nTargetCompID=*\nFileStorePath={}\n",
        store.display()
    );
    let settings = Settings::parse(&text).expect("settings");
    let (acceptor, refusals) = acceptor_engine();
    let (tx, events) = mpsc::channel();
    let handles = acceptor
        .start_from_settings(&settings, |s| {
            let (app, rx) = ChannelApplication::new();
            let tx = tx.clone();
            let label = s.config.id.target_comp_id.clone();
            std::thread::spawn(move || {
                for e in rx {
                    if tx.send((label.clone(), e)).is_err() {
                        break;
                    }
                }
            });
            app
        })
        .expect("start");
    assert_eq!(handles.len(), 1, "the template makes no session itself");
    let addr = acceptor.listen_addresses()[0];

    let initiators = engine();
    let connect = |target: &str| {
        let s = initiators
            .create_session_with(
                config(Role::Initiator, target, "BROKER"),
                SessionOptions::default(),
                ChannelApplication::new().0,
            )
            .expect("initiator");
        s.connect(30, &addr.to_string()).expect("connect");
        expect_state(&s, SessionState::Established, LONG);
        s
    };
    let fixed = connect("FIXED");
    let fund = connect("FUND7");
    fixed.put(order("O-1")).expect("put");
    fund.put(order("O-2")).expect("put");
    let mut got = Vec::new();
    while got.len() < 2 {
        let (label, event) = events.recv_timeout(LONG).expect("an event");
        if let AppEventKind::Message(m) = event.kind {
            got.push((label, event.session.to_string(), m.as_bytes().to_vec()));
        }
    }
    got.sort();
    // The fixed session's application, then the template's.
    assert_eq!(got[0].0, "*");
    assert_eq!(got[0].1, "FIX.4.4:BROKER->FUND7");
    assert!(got[0].2.windows(8).any(|w| w == b"\x0111=O-2\x01"));
    assert_eq!(got[1].0, "FIXED");
    assert_eq!(got[1].1, "FIX.4.4:BROKER->FIXED");
    let stores: Vec<String> = std::fs::read_dir(&store)
        .expect("store dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(stores.iter().any(|n| n.contains("FUND7")), "{stores:?}");
    assert!(refusals.try_recv().is_err());
    initiators.stop();
    acceptor.stop();

    // Initiators have no templates; the error names the line and key.
    let bad = "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\n\
               SenderCompID=A\nTargetCompID=B\nSocketConnectHost=127.0.0.1\n\
               SocketConnectPort=9\nHeartBtInt=30\nAcceptorTemplate=Y\n";
    let engine = FixEngine::new(EngineSettings::default()).expect("engine");
    let err = engine
        .start_from_settings(&Settings::parse(bad).expect("parse"), |_| {
            ChannelApplication::new().0
        })
        .expect_err("an initiator template");
    let text = err.to_string();
    assert!(
        text.contains("line 9") && text.contains("AcceptorTemplate"),
        "{text}"
    );
    engine.stop();
}
