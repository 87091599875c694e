//! Validation compared with QuickFIX C++: two QuickFIX initiators send the
//! same malformed application messages (missing required fields,
//! undefined tags, values in the wrong format or outside their
//! enumeration, repeated tags, repeating groups with wrong counts), one to
//! our acceptor started from a settings file with UseDataDictionary=Y and
//! QuickFIX's FIX44.xml, one to a QuickFIX acceptor validating against the
//! same file. Each message must be answered alike by both: the same
//! MsgType (Reject or BusinessMessageReject, or the ExecutionReport of an
//! accepted order), SessionRejectReason(373), RefTagID(371) and
//! RefMsgType(372).
//!
//! The messages are built by QuickFIX from `TAG=VALUE` lists (its `raw`
//! command): it sorts body fields by tag and keeps repeating groups and
//! their NumInGroup as given, so both acceptors receive the same body.

use fix_tests::interop::OrderDesk;
use fix_tests::quickfix::{PeerConfig, PeerEvent, QuickFixPeer};
use fixrs_proto::FixVersion;
use fixrs_session::Settings;
use fixrs_transport_mio::{AppEventKind, EngineSettings, FixEngine};
use std::path::PathBuf;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(20);

/// A message body: (tag, value) in order.
type Body = Vec<(u32, String)>;

/// The SessionRejectReason(373) and RefTagID(371) of a Reject; `None` for
/// an order answered with an ExecutionReport.
type Expected = Option<(u32, Option<u32>)>;

/// A FIX 4.4 NewOrderSingle body QuickFIX accepts: ClOrdID, HandlInst,
/// Symbol, Side, TransactTime, OrderQty, OrdType, Price.
fn order(cl_ord_id: &str) -> Vec<(u32, String)> {
    [
        (11, cl_ord_id),
        (21, "1"),
        (55, "IBM"),
        (54, "1"),
        (60, "now"),
        (38, "100"),
        (40, "2"),
        (44, "10.5"),
    ]
    .into_iter()
    .map(|(t, v)| (t, v.to_string()))
    .collect()
}

/// A NewOrderSingle of `cl_ord_id` changed by `f`.
fn order_with(cl_ord_id: &str, f: impl FnOnce(&mut Vec<(u32, String)>)) -> Vec<(u32, String)> {
    let mut body = order(cl_ord_id);
    f(&mut body);
    body
}

fn without(tags: &'static [u32]) -> impl FnOnce(&mut Vec<(u32, String)>) {
    move |b| b.retain(|(t, _)| !tags.contains(t))
}

fn with(fields: &'static [(u32, &'static str)]) -> impl FnOnce(&mut Vec<(u32, String)>) {
    move |b| b.extend(fields.iter().map(|(t, v)| (*t, v.to_string())))
}

fn set(tag: u32, value: &'static str) -> impl FnOnce(&mut Vec<(u32, String)>) {
    move |b| {
        for f in b.iter_mut().filter(|f| f.0 == tag) {
            f.1 = value.to_string();
        }
    }
}

/// The peer's `raw` command for a message.
fn raw(msg_type: &str, body: &[(u32, String)]) -> String {
    let fields: Vec<String> = body.iter().map(|(t, v)| format!("{t}={v}")).collect();
    format!("raw {msg_type} {}", fields.join("|"))
}

/// How an acceptor answered a message, as its initiator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    msg_type: String,
    session_reject_reason: Option<String>,
    ref_tag_id: Option<String>,
    ref_msg_type: Option<String>,
}

/// Sends `command` through `peer` and waits for the answer to it: a
/// Reject, a BusinessMessageReject or an ExecutionReport.
fn answer(peer: &mut QuickFixPeer, command: &str) -> Result<Answer, Box<dyn std::error::Error>> {
    peer.command(command)?;
    let event: PeerEvent = peer.wait_for(&format!("the answer to `{command}`"), WAIT, |e| {
        e.is_message("admin_in", "3") || e.is_message("app_in", "j") || e.is_message("app_in", "8")
    })?;
    let field = |t| event.field(t).map(str::to_string);
    Ok(Answer {
        msg_type: event.msg_type().unwrap_or_default().to_string(),
        session_reject_reason: field(373),
        ref_tag_id: field(371),
        ref_msg_type: field(372),
    })
}

#[test]
fn our_acceptor_rejects_what_a_quickfix_acceptor_rejects_as_it_does() -> TestResult {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/FIX44.xml");
    // Our acceptor, from a settings file as a QuickFIX user writes it.
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=FIXRS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\nUseDataDictionary=Y\n\
         DataDictionary={}\n[SESSION]\nTargetCompID=QFI\n",
        spec.display()
    );
    let settings = Settings::parse(&text)?;
    let engine = FixEngine::new(EngineSettings::default())?;
    let (desk, events) = OrderDesk::new(FixVersion::Fix44);
    let mut desk = Some(desk);
    engine.start_from_settings(&settings, |_| desk.take().expect("one session"))?;
    let our_port = engine.listen_addresses()[0].port();

    // A validating QuickFIX acceptor, and one QuickFIX initiator to each.
    let mut qf_acceptor =
        QuickFixPeer::start(PeerConfig::acceptor(FixVersion::Fix44, "QFA", "QFI"))?;
    let mut to_ours = QuickFixPeer::start(PeerConfig::initiator(
        FixVersion::Fix44,
        "QFI",
        "FIXRS",
        our_port,
    ))?;
    let mut to_quickfix = QuickFixPeer::start(PeerConfig::initiator(
        FixVersion::Fix44,
        "QFI",
        "QFA",
        qf_acceptor.port(),
    ))?;
    to_ours.wait_for_event("logon", WAIT)?;
    to_quickfix.wait_for_event("logon", WAIT)?;
    qf_acceptor.wait_for_event("logon", WAIT)?;

    let heartbeat_with_symbol = vec![(55, "IBM".to_string())];
    // (what, MsgType, body); the answer both must give is in `expected`.
    let cases: Vec<(&str, &str, Body)> = vec![
        ("a valid order", "D", order("OK-1")),
        ("Side missing", "D", order_with("C-1", without(&[54]))),
        (
            "Side, OrdType and TransactTime missing",
            "D",
            order_with("C-2", without(&[54, 40, 60])),
        ),
        ("ClOrdID missing", "D", order_with("", without(&[11]))),
        (
            "undefined tag 9999",
            "D",
            order_with("C-3", with(&[(9999, "x")])),
        ),
        (
            "undefined tag 4999",
            "D",
            order_with("C-4", with(&[(4999, "x")])),
        ),
        (
            "TestReqID in an order",
            "D",
            order_with("C-5", with(&[(112, "x")])),
        ),
        ("Symbol in a Heartbeat", "0", heartbeat_with_symbol),
        ("MsgType unknown", "ZZ", vec![(58, "hello".to_string())]),
        (
            "OrderQty not a number",
            "D",
            order_with("C-6", set(38, "lots")),
        ),
        (
            "Price with a comma",
            "D",
            order_with("C-7", set(44, "10,5")),
        ),
        (
            "TransactTime not a timestamp",
            "D",
            order_with("C-8", set(60, "yesterday")),
        ),
        ("Side out of range", "D", order_with("C-9", set(54, "Z"))),
        (
            "OrdType out of range",
            "D",
            order_with("C-10", set(40, "Q")),
        ),
        ("empty Text", "D", order_with("C-11", with(&[(58, "")]))),
        (
            "NoPartyIDs 2 with one entry",
            "D",
            order_with(
                "C-12",
                with(&[(453, "2"), (448, "P-1"), (447, "D"), (452, "1")]),
            ),
        ),
        (
            "NoPartyIDs 1 with two entries",
            "D",
            order_with(
                "C-13",
                with(&[
                    (453, "1"),
                    (448, "P-1"),
                    (447, "D"),
                    (452, "1"),
                    (448, "P-2"),
                    (447, "D"),
                    (452, "3"),
                ]),
            ),
        ),
        (
            "NoPartyIDs not a number",
            "D",
            order_with("C-14", with(&[(453, "x"), (448, "P-1")])),
        ),
        (
            "Symbol twice",
            "D",
            order_with("C-15", with(&[(55, "MSFT")])),
        ),
        (
            "missing field and undefined tag",
            "D",
            order_with("C-16", |b| {
                b.retain(|(t, _)| *t != 54);
                b.push((9999, "x".to_string()));
            }),
        ),
        (
            "two malformed values",
            "D",
            order_with("C-17", |b| {
                for f in b.iter_mut() {
                    match f.0 {
                        44 => f.1 = "cheap".to_string(),
                        38 => f.1 = "lots".to_string(),
                        _ => {}
                    }
                }
            }),
        ),
    ];

    // SessionRejectReason(373) and RefTagID(371) of each case's Reject
    // (none for the valid order, answered with an ExecutionReport).
    let expected: &[(&str, Expected)] = &[
        ("a valid order", None),
        ("Side missing", Some((1, Some(54)))),
        (
            "Side, OrdType and TransactTime missing",
            Some((1, Some(40))),
        ),
        ("ClOrdID missing", Some((1, Some(11)))),
        ("undefined tag 9999", Some((0, Some(9999)))),
        ("undefined tag 4999", Some((0, Some(4999)))),
        ("TestReqID in an order", Some((2, Some(112)))),
        ("Symbol in a Heartbeat", Some((2, Some(55)))),
        ("MsgType unknown", Some((11, None))),
        ("OrderQty not a number", Some((6, Some(38)))),
        ("Price with a comma", Some((6, Some(44)))),
        ("TransactTime not a timestamp", Some((6, Some(60)))),
        ("Side out of range", Some((5, Some(54)))),
        ("OrdType out of range", Some((5, Some(40)))),
        ("empty Text", Some((4, Some(58)))),
        ("NoPartyIDs 2 with one entry", Some((16, Some(453)))),
        ("NoPartyIDs 1 with two entries", Some((16, Some(453)))),
        ("NoPartyIDs not a number", Some((6, Some(453)))),
        ("Symbol twice", Some((13, Some(55)))),
        ("missing field and undefined tag", Some((1, Some(54)))),
        ("two malformed values", Some((6, Some(38)))),
    ];
    assert_eq!(cases.len(), expected.len());
    let mut differences = Vec::new();
    for (what, msg_type, body) in &cases {
        let command = raw(msg_type, body);
        let ours = answer(&mut to_ours, &command)?;
        let quickfix = answer(&mut to_quickfix, &command)?;
        if ours != quickfix {
            differences.push(format!("{what}: ours {ours:?}, QuickFIX {quickfix:?}"));
        }
        let (_, want) = expected
            .iter()
            .find(|(name, _)| name == what)
            .ok_or("case without an expected answer")?;
        let want = match want {
            None => Answer {
                msg_type: "8".into(),
                session_reject_reason: None,
                ref_tag_id: None,
                ref_msg_type: None,
            },
            Some((reason, tag)) => Answer {
                msg_type: "3".into(),
                session_reject_reason: Some(reason.to_string()),
                ref_tag_id: tag.map(|t| t.to_string()),
                ref_msg_type: Some(msg_type.to_string()),
            },
        };
        assert_eq!(quickfix, want, "{what}: QuickFIX's answer");
        // What ours rejected reached our application with its bytes.
        if ours.msg_type == "3" {
            let rejected = loop {
                let event = events.recv_timeout(WAIT)?;
                if let AppEventKind::Rejected {
                    ref_tag_id, bytes, ..
                } = event.kind
                {
                    break (ref_tag_id, bytes);
                }
            };
            assert_eq!(rejected.0.map(|t| t.to_string()), ours.ref_tag_id, "{what}");
            let needle = format!("\x0135={msg_type}\x01");
            assert!(
                rejected
                    .1
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes()),
                "{what}"
            );
        }
    }
    assert!(
        differences.is_empty(),
        "answers differ from QuickFIX's:\n{}",
        differences.join("\n")
    );
    engine.stop();
    Ok(())
}
