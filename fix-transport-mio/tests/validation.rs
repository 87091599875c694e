//! Data-dictionary validation in the engine, over real sockets: a raw FIX
//! peer on 127.0.0.1 sends messages to an acceptor that validates them,
//! given its dictionary in code (`SessionOptions::dictionary`) or by a
//! settings file, with each of QuickFIX's validation switches on and off.
//! Rejected messages reach the application with the Reject they caused.

mod common;

use common::*;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{
    tag, Encoder, FieldIndex, FieldWriter, FixVersion, SessionRejectReason, UtcTimestamp,
};
use fixrs_session::{Role, Settings};
use fixrs_transport_mio::{
    AppEvent, AppEventKind, ChannelApplication, EngineError, FixEngine, OwnedMessage,
    SessionOptions,
};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, SystemTime};

const LONG: Duration = Duration::from_secs(20);

/// The repository's copy of QuickFIX's FIX 4.4 dictionary.
fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../spec")
        .join(name)
}

/// A FIX message of the raw peer INI to ACC: the header, then `body` in
/// order, with SendingTime `sent`.
fn message_at(msg_type: &[u8], seq: u64, sent: UtcTimestamp, body: &[(u32, &str)]) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", msg_type)
        .push_str(tag::SENDER_COMP_ID, "INI")
        .push_str(tag::TARGET_COMP_ID, "ACC")
        .push_uint(tag::MSG_SEQ_NUM, seq)
        .push_timestamp(tag::SENDING_TIME, sent);
    for (t, v) in body {
        enc.push_str(*t, v);
    }
    enc.finish().to_vec()
}

fn message(msg_type: &[u8], seq: u64, body: &[(u32, &str)]) -> Vec<u8> {
    message_at(msg_type, seq, UtcTimestamp::from(SystemTime::now()), body)
}

/// A NewOrderSingle valid in FIX 4.4, with `extra` fields after its body.
fn order<'a>(extra: &[(u32, &'a str)]) -> Vec<(u32, &'a str)> {
    let mut body = vec![
        (11, "ORD-1"),
        (55, "EUR/USD"),
        (54, "1"),
        (60, "20240115-10:30:00.000"),
        (38, "100"),
        (40, "1"),
    ];
    body.extend_from_slice(extra);
    body
}

/// The fields of the first message of `msg_type` in `bytes`.
fn find(bytes: &[u8], msg_type: &str) -> Option<OwnedMessage> {
    let marker = format!("\x0135={msg_type}\x01");
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())?;
    let start = bytes[..at].windows(2).rposition(|w| w == b"8=")?;
    let end = start + bytes[start..].windows(4).position(|w| w == b"\x0110=")? + 8;
    let mut index = FieldIndex::new();
    let msg = index.parse(bytes.get(start..end)?).ok()?;
    Some(OwnedMessage::from_message(&msg))
}

fn num(m: &OwnedMessage, t: u32) -> Option<u64> {
    m.get_str(t).and_then(|v| v.parse().ok())
}

/// A raw peer logged on to the acceptor at `addr` as INI.
fn logged_on(addr: std::net::SocketAddr, begin: &str, logon_extra: &[(u32, &str)]) -> RawPeer {
    let mut peer = RawPeer::connect(addr);
    let mut enc = Encoder::new();
    enc.start(begin, b"A")
        .push_str(tag::SENDER_COMP_ID, "INI")
        .push_str(tag::TARGET_COMP_ID, "ACC")
        .push_uint(tag::MSG_SEQ_NUM, 1)
        .push_timestamp(tag::SENDING_TIME, UtcTimestamp::from(SystemTime::now()))
        .push_str(tag::ENCRYPT_METHOD, "0")
        .push_str(tag::HEART_BT_INT, "30");
    for (t, v) in logon_extra {
        enc.push_str(*t, v);
    }
    peer.send(enc.finish()).expect("logon");
    let reply = peer.read_until(b"\x0135=A\x01", LONG);
    assert!(find(&reply, "A").is_some(), "no Logon reply: {reply:?}");
    peer
}

/// Reads until a Reject arrives; returns it.
fn reject(peer: &mut RawPeer) -> OwnedMessage {
    let got = peer.read_until(b"\x0135=3\x01", LONG);
    let got = [got, peer.read_until(b"\x0110=", Duration::from_millis(200))].concat();
    find(&got, "3").unwrap_or_else(|| panic!("no Reject in {:?}", String::from_utf8_lossy(&got)))
}

/// The next application-level event: a delivered or a rejected message.
fn next_message_event(events: &Receiver<AppEvent>) -> AppEventKind {
    loop {
        let event = events.recv_timeout(LONG).expect("an event");
        match event.kind {
            AppEventKind::Message(_) | AppEventKind::Rejected { .. } => return event.kind,
            _ => {}
        }
    }
}

#[test]
fn a_session_given_a_dictionary_rejects_and_reports_what_it_rejects() {
    let engine = engine();
    let addr = engine.listen(any_port()).expect("listen");
    let (app, events) = ChannelApplication::new();
    let options = SessionOptions::default().with_dictionary(Dictionary::builtin(FixVersion::Fix44));
    engine
        .create_session_with(config(Role::Acceptor, "ACC", "INI"), options, app)
        .expect("session");
    let mut peer = logged_on(addr, "FIX.4.4", &[]);

    // A NewOrderSingle without Side, OrdType and TransactTime.
    let incomplete = message(b"D", 2, &[(11, "ORD-1"), (55, "EUR/USD"), (38, "100")]);
    peer.send(&incomplete).expect("send");
    let r = reject(&mut peer);
    assert_eq!(num(&r, tag::REF_SEQ_NUM), Some(2));
    assert_eq!(num(&r, tag::REF_TAG_ID), Some(40), "the lowest missing tag");
    assert_eq!(num(&r, tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(r.get_str(tag::REF_MSG_TYPE), Some("D"));
    match next_message_event(&events) {
        AppEventKind::Rejected {
            ref_seq_num,
            reason,
            ref_tag_id,
            message,
            bytes,
            ..
        } => {
            assert_eq!(ref_seq_num, Some(2));
            assert_eq!(reason, Some(SessionRejectReason::RequiredTagMissing));
            assert_eq!(ref_tag_id, Some(40));
            assert_eq!(bytes, incomplete);
            assert_eq!(message.expect("parsed").get_str(11), Some("ORD-1"));
        }
        other => panic!("expected the rejected order, got {other:?}"),
    }

    // A fill with an undefined tag: rejected, and still in the
    // application's hands.
    let fill = message(
        b"8",
        3,
        &[
            (37, "O-1"),
            (17, "E-1"),
            (150, "F"),
            (39, "2"),
            (55, "EUR/USD"),
            (54, "1"),
            (151, "0"),
            (14, "100"),
            (6, "1.0850"),
            (9999, "desk-7"),
        ],
    );
    peer.send(&fill).expect("send");
    let r = reject(&mut peer);
    assert_eq!(num(&r, tag::REF_TAG_ID), Some(9999));
    assert_eq!(num(&r, tag::SESSION_REJECT_REASON), Some(0));
    match next_message_event(&events) {
        AppEventKind::Rejected {
            ref_tag_id, bytes, ..
        } => {
            assert_eq!(ref_tag_id, Some(9999));
            assert_eq!(bytes, fill);
        }
        other => panic!("expected the rejected fill, got {other:?}"),
    }

    // A valid order is delivered.
    peer.send(&message(b"D", 4, &order(&[]))).expect("send");
    assert!(matches!(
        next_message_event(&events),
        AppEventKind::Message(_)
    ));
    engine.stop();
}

/// What the acceptor did with a message.
#[derive(Debug, PartialEq)]
enum Outcome {
    Delivered,
    Rejected {
        reason: u64,
        ref_tag: Option<u64>,
    },
    /// Dropped as garbled: neither answered nor counted.
    Dropped,
}

/// Starts acceptor sessions from a settings file naming the repository's
/// FIX44.xml, one per (TargetCompID, settings lines), all on one port.
fn acceptors(sessions: &[(String, &str)]) -> (FixEngine, u16, Receiver<AppEvent>) {
    let mut text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ACC\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\nDataDictionary={}\n",
        spec("FIX44.xml").display()
    );
    for (name, lines) in sessions {
        text.push_str(&format!("[SESSION]\nTargetCompID={name}\n{lines}\n"));
    }
    let settings = Settings::parse(&text).expect("settings");
    let engine = engine();
    let (app, events) = ChannelApplication::new();
    engine
        .start_from_settings(&settings, |_| app.clone())
        .expect("sessions");
    let port = engine.listen_addresses()[0].port();
    (engine, port, events)
}

/// Logs on as `name`, sends `bytes` (message 2), then a TestRequest
/// numbered `next`, and says what became of the message.
fn outcome(port: u16, events: &Receiver<AppEvent>, name: &str, bytes: &[u8], next: u64) -> Outcome {
    let addr = format!("127.0.0.1:{port}").parse().expect("address");
    let mut peer = RawPeer::connect(addr);
    let logon = raw_message(
        b"A",
        name,
        "ACC",
        1,
        &[(tag::ENCRYPT_METHOD, "0"), (tag::HEART_BT_INT, "30")],
    );
    peer.send(&logon).expect("logon");
    peer.read_until(b"\x0135=A\x01", LONG);
    peer.send(bytes).expect("send");
    // The Heartbeat answering the TestRequest comes after whatever the
    // message caused: a delivered message is in the channel by then.
    let test_request = raw_message(b"1", name, "ACC", next, &[(tag::TEST_REQ_ID, "T")]);
    let answered = peer.send(&test_request).is_ok();
    let got = if answered {
        peer.read_until(b"\x01112=T\x01", LONG)
    } else {
        peer.read_until_closed(LONG).0
    };
    let delivered = loop {
        match events.try_recv() {
            Ok(AppEvent {
                session,
                kind: AppEventKind::Message(_),
            }) if session.id.target_comp_id == name => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    match (find(&got, "3"), delivered) {
        (Some(r), false) => Outcome::Rejected {
            reason: num(&r, tag::SESSION_REJECT_REASON).expect("373"),
            ref_tag: num(&r, tag::REF_TAG_ID),
        },
        (None, true) => Outcome::Delivered,
        (None, false) if next == 2 => Outcome::Dropped,
        other => panic!(
            "{name}: unexpected {other:?} in {:?}",
            String::from_utf8_lossy(&got)
        ),
    }
}

/// A NewOrderSingle from `name` to ACC, MsgSeqNum 2, sent `age` ago.
fn order_from(name: &str, age: Duration, body: &[(u32, &str)]) -> Vec<u8> {
    let sent = UtcTimestamp::from(SystemTime::now() - age);
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", b"D")
        .push_str(tag::SENDER_COMP_ID, name)
        .push_str(tag::TARGET_COMP_ID, "ACC")
        .push_uint(tag::MSG_SEQ_NUM, 2)
        .push_timestamp(tag::SENDING_TIME, sent);
    for (t, v) in body {
        enc.push_str(*t, v);
    }
    enc.finish().to_vec()
}

#[test]
fn quickfix_validation_switches_from_a_settings_file_on_and_off() {
    type Make = fn(&str) -> Vec<u8>;
    // (what, message, what the defaults do, the switch that lets it through)
    let checks: Vec<(&str, Make, Outcome, &str)> = vec![
        (
            "required fields missing",
            |n| order_from(n, Duration::ZERO, &[(11, "ORD-1"), (55, "EUR/USD")]),
            Outcome::Rejected {
                reason: 1,
                ref_tag: Some(40),
            },
            "UseDataDictionary=N",
        ),
        (
            "header field after the body",
            |n| order_from(n, Duration::ZERO, &order(&[(50, "DESK")])),
            Outcome::Rejected {
                reason: 14,
                ref_tag: Some(50),
            },
            "ValidateFieldsOutOfOrder=N",
        ),
        (
            "empty value",
            |n| order_from(n, Duration::ZERO, &order(&[(58, "")])),
            Outcome::Rejected {
                reason: 4,
                ref_tag: Some(58),
            },
            "ValidateFieldsHaveValues=N",
        ),
        (
            "user-defined tag",
            |n| order_from(n, Duration::ZERO, &order(&[(9999, "x")])),
            Outcome::Rejected {
                reason: 0,
                ref_tag: Some(9999),
            },
            "ValidateUserDefinedFields=N",
        ),
        (
            "tag not defined for the message",
            |n| order_from(n, Duration::ZERO, &order(&[(112, "x")])),
            Outcome::Rejected {
                reason: 2,
                ref_tag: Some(112),
            },
            "AllowUnknownMsgFields=Y",
        ),
        (
            "group entry out of order",
            |n| {
                let group = [(453, "1"), (448, "P-1"), (452, "1"), (447, "D")];
                order_from(n, Duration::ZERO, &order(&group))
            },
            Outcome::Rejected {
                reason: 15,
                ref_tag: Some(447),
            },
            "ValidateUnorderedGroupFields=N",
        ),
        (
            "bad checksum",
            |n| {
                let mut bytes = order_from(n, Duration::ZERO, &order(&[]));
                let at = bytes.len() - 2;
                bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
                bytes
            },
            Outcome::Dropped,
            "ValidateLengthAndChecksum=N",
        ),
        (
            "SendingTime three minutes old",
            |n| order_from(n, Duration::from_secs(180), &order(&[])),
            Outcome::Rejected {
                reason: 10,
                ref_tag: Some(52),
            },
            "CheckLatency=N",
        ),
        (
            "SendingTime three minutes old",
            |n| order_from(n, Duration::from_secs(180), &order(&[])),
            Outcome::Rejected {
                reason: 10,
                ref_tag: Some(52),
            },
            "MaxLatency=300",
        ),
    ];
    // A fresh pair of sessions per check: the defaults and the switch.
    let sessions: Vec<(String, &str)> = checks
        .iter()
        .enumerate()
        .flat_map(|(i, (_, _, _, lenient))| {
            [(format!("DEF{i}"), ""), (format!("LEN{i}"), *lenient)]
        })
        .collect();
    let (engine, port, events) = acceptors(&sessions);
    for (i, (what, make, expected, lenient)) in checks.iter().enumerate() {
        let (strict, loose) = (format!("DEF{i}"), format!("LEN{i}"));
        let next = if *expected == Outcome::Dropped { 2 } else { 3 };
        let got = outcome(port, &events, &strict, &make(&strict), next);
        assert_eq!(&got, expected, "{what} with the defaults");
        let got = outcome(port, &events, &loose, &make(&loose), 3);
        assert_eq!(got, Outcome::Delivered, "{what} with {lenient}");
    }
    engine.stop();
}

#[test]
fn a_bad_dictionary_path_stops_start_up_naming_the_file_and_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("FIX44-missing.xml");
    let not_xml = dir.path().join("notes.xml");
    std::fs::write(&not_xml, "not a dictionary").expect("write");
    for (path, why) in [
        (&missing, "cannot read it"),
        (&not_xml, "not a QuickFIX XML"),
    ] {
        let text = format!(
            "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ACC\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n\
             [SESSION]\nTargetCompID=A\n\
             [SESSION]\nTargetCompID=B\nDataDictionary={}\n",
            path.display()
        );
        let settings = Settings::parse(&text).expect("settings");
        let engine = engine();
        let err = engine
            .start_from_settings(&settings, |_| ChannelApplication::new().0)
            .expect_err("bad dictionary");
        let message = err.to_string();
        assert!(matches!(err, EngineError::Settings(_)), "{message}");
        assert!(
            message.starts_with(&format!(
                "line 11: DataDictionary={}: {why}",
                path.display()
            )),
            "{message}"
        );
        // Nothing was started, not even the session before it.
        assert!(engine.listen_addresses().is_empty());
        engine.stop();
    }
}

#[test]
fn a_fixt_logon_without_default_appl_ver_id_is_refused() {
    let engine = engine();
    let addr = engine.listen(any_port()).expect("listen");
    let mut fixt = config(Role::Acceptor, "ACC", "INI");
    fixt.version = FixVersion::Fix50Sp2;
    let (app, events) = ChannelApplication::new();
    let options =
        SessionOptions::default().with_dictionary(Dictionary::builtin(FixVersion::Fix50Sp2));
    engine
        .create_session_with(fixt, options, app)
        .expect("session");
    let mut peer = RawPeer::connect(addr);
    let mut enc = Encoder::new();
    enc.start("FIXT.1.1", b"A")
        .push_str(tag::SENDER_COMP_ID, "INI")
        .push_str(tag::TARGET_COMP_ID, "ACC")
        .push_uint(tag::MSG_SEQ_NUM, 1)
        .push_timestamp(tag::SENDING_TIME, UtcTimestamp::from(SystemTime::now()))
        .push_str(tag::ENCRYPT_METHOD, "0")
        .push_str(tag::HEART_BT_INT, "30");
    peer.send(enc.finish()).expect("logon");
    let (got, closed) = peer.read_until_closed(LONG);
    assert!(closed, "the connection is closed");
    let r = find(&got, "3").expect("a Reject");
    assert_eq!(num(&r, tag::REF_TAG_ID), Some(1137));
    assert_eq!(num(&r, tag::SESSION_REJECT_REASON), Some(1));
    let logout = find(&got, "5").expect("a Logout");
    assert!(
        logout
            .get_str(tag::TEXT)
            .is_some_and(|t| t.contains("1137")),
        "{logout:?}"
    );
    assert!(find(&got, "A").is_none(), "no Logon reply");
    // The application heard of the refused Logon.
    let deadline = std::time::Instant::now() + LONG;
    let mut rejected = false;
    while !rejected && std::time::Instant::now() < deadline {
        if let Ok(e) = events.recv_timeout(Duration::from_millis(100)) {
            rejected |= matches!(
                e.kind,
                AppEventKind::Rejected {
                    ref_tag_id: Some(1137),
                    ..
                }
            );
        }
    }
    assert!(rejected);

    // With DefaultApplVerID it logs on.
    let peer = logged_on(addr, "FIXT.1.1", &[(tag::DEFAULT_APPL_VER_ID, "9")]);
    drop(peer);
    engine.stop();
}
