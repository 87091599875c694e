//! The application's part through the engine, over a real socket: several
//! messages in one write are each answered before the next is processed,
//! and the application's rejections (from_app, from_admin) become the
//! Reject or BusinessMessageReject QuickFIX sends.

mod common;

use common::*;
use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::{tag, FieldIndex, FieldWriter, Message, MessageBuilder};
use fixrs_session::Role;
use fixrs_transport_mio::{
    AdminRejection, Application, FixEngine, MessageRejection, SessionHandle, SessionOptions,
    SessionState,
};
use std::net::SocketAddr;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);

/// A received message: its fields as (tag, text).
#[derive(Debug, Clone)]
struct Got(Vec<(u32, String)>);

impl Got {
    fn get(&self, t: u32) -> Option<&str> {
        self.0
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, v)| v.as_str())
    }
    fn msg_type(&self) -> &str {
        self.get(tag::MSG_TYPE).unwrap_or("")
    }
    fn seq(&self) -> u64 {
        self.get(tag::MSG_SEQ_NUM)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Cuts bytes read from the engine into messages.
fn messages(mut bytes: &[u8]) -> Vec<Got> {
    let mut out = Vec::new();
    let mut index = FieldIndex::new();
    while let Scan::Complete(n) = scan(bytes, &FrameConfig::default()) {
        if let Ok(m) = index.parse(&bytes[..n]) {
            out.push(Got(m
                .fields()
                .map(|fl| (fl.tag, String::from_utf8_lossy(fl.value).into_owned()))
                .collect()));
        }
        bytes = &bytes[n..];
    }
    out
}

/// The application under test: answers orders with an execution report,
/// and rejects as QuickFIX applications do by throwing.
struct Desk;

fn report(order: &Message<'_>) -> MessageBuilder {
    let mut er = MessageBuilder::new(b"8");
    er.push(tag::CL_ORD_ID, order.get(tag::CL_ORD_ID).unwrap_or(b"?"))
        .push_char(tag::EXEC_TYPE, b'0')
        .push_char(tag::ORD_STATUS, b'0');
    er
}

impl Application for Desk {
    fn from_app(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), MessageRejection> {
        if message.msg_type() != b"D" {
            return Err(MessageRejection::UnsupportedMessageType);
        }
        // A missing Side is QuickFIX's FieldNotFound.
        message
            .get(tag::SIDE)
            .ok_or(MessageRejection::FieldNotFound(tag::SIDE))?;
        let qty: u64 = message.get_as(tag::ORDER_QTY)?;
        session.put(report(message)).expect("put");
        if qty > 1_000 {
            // Answered, and rejected as well: the report goes first.
            return Err(MessageRejection::IncorrectTagValue(tag::ORDER_QTY));
        }
        Ok(())
    }

    fn from_admin(
        &mut self,
        _: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        if message.msg_type() == b"1" && message.get(tag::TEST_REQ_ID) == Some(b"BAD") {
            return Err(MessageRejection::IncorrectTagValue(tag::TEST_REQ_ID).into());
        }
        Ok(())
    }
}

/// An acceptor "ACC" with the `Desk` application and a raw peer "RAW"
/// logged on to it.
fn logged_on_peer() -> (FixEngine, SessionHandle, RawPeer) {
    let engine = engine();
    let addr: SocketAddr = engine.listen(any_port()).expect("listen");
    let acc = engine
        .create_session_with(
            config(Role::Acceptor, "ACC", "RAW"),
            SessionOptions::default(),
            Desk,
        )
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("RAW", "ACC", 1)).expect("logon");
    let reply = peer.read_until(b"35=A\x01", LONG);
    assert!(!reply.is_empty(), "no Logon reply");
    expect_state(&acc, SessionState::Established, LONG);
    (engine, acc, peer)
}

fn order(seq: u64, id: &str, qty: &str) -> Vec<u8> {
    raw_message(
        b"D",
        "RAW",
        "ACC",
        seq,
        &[
            (tag::CL_ORD_ID, id),
            (tag::SYMBOL, "EUR/USD"),
            (tag::SIDE, "1"),
            (tag::ORDER_QTY, qty),
            (tag::ORD_TYPE, "1"),
        ],
    )
}

/// Reads until `n` messages arrived (or the time is up).
fn read_messages(peer: &mut RawPeer, n: usize) -> Vec<Got> {
    let mut bytes = Vec::new();
    let end = std::time::Instant::now() + LONG;
    while messages(&bytes).len() < n && std::time::Instant::now() < end {
        bytes.extend(peer.read_until(b"\x0110=", Duration::from_millis(200)));
    }
    messages(&bytes)
}

fn types(msgs: &[Got]) -> Vec<&str> {
    msgs.iter().map(Got::msg_type).collect()
}

#[test]
fn answers_to_messages_of_one_write_precede_the_logout_the_last_one_causes() {
    let (engine, acc, mut peer) = logged_on_peer();
    // One write: three orders, then a Heartbeat whose MsgSeqNum is too
    // low without PossDupFlag, which ends the session.
    let mut bytes = Vec::new();
    for (seq, id) in [(2, "ORD-1"), (3, "ORD-2"), (4, "ORD-3")] {
        bytes.extend(order(seq, id, "100"));
    }
    bytes.extend(raw_message(b"0", "RAW", "ACC", 1, &[]));
    peer.send(&bytes).expect("send");
    let got = read_messages(&mut peer, 4);
    assert_eq!(types(&got), ["8", "8", "8", "5"], "{got:?}");
    let ids: Vec<_> = got[..3].iter().map(|m| m.get(tag::CL_ORD_ID)).collect();
    assert_eq!(ids, [Some("ORD-1"), Some("ORD-2"), Some("ORD-3")]);
    let seqs: Vec<_> = got.iter().map(Got::seq).collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert!(got.iter().all(|m| m.get(tag::POSS_DUP_FLAG).is_none()));
    assert!(got[3]
        .get(tag::TEXT)
        .is_some_and(|t| t.starts_with("MsgSeqNum too low")));
    // Nothing was left behind for a later connection (the count is
    // published after the bytes are written: wait for it).
    assert!(
        wait_until(LONG, || acc.out_seq_num() == 6),
        "{}",
        acc.out_seq_num()
    );
    engine.stop();
}

#[test]
fn answers_to_orders_precede_the_reply_to_a_logout_in_the_same_write() {
    let (engine, acc, mut peer) = logged_on_peer();
    let mut bytes = order(2, "ORD-1", "100");
    bytes.extend(order(3, "ORD-2", "100"));
    bytes.extend(raw_message(b"5", "RAW", "ACC", 4, &[]));
    peer.send(&bytes).expect("send");
    let got = read_messages(&mut peer, 3);
    assert_eq!(types(&got), ["8", "8", "5"], "{got:?}");
    assert!(wait_until(LONG, || acc.state().is_terminated()));
    assert!(
        wait_until(LONG, || acc.out_seq_num() == 5),
        "{}",
        acc.out_seq_num()
    );
    engine.stop();
}

#[test]
fn application_rejections_become_rejects_and_business_message_rejects() {
    let (engine, acc, mut peer) = logged_on_peer();
    // One write: a quote request (unsupported), an order without Side, an
    // order with a malformed quantity, an order answered and rejected, and
    // a TestRequest the application rejects after it was answered.
    let mut bytes = raw_message(b"R", "RAW", "ACC", 2, &[(tag::QUOTE_REQ_ID, "Q-1")]);
    bytes.extend(raw_message(
        b"D",
        "RAW",
        "ACC",
        3,
        &[(tag::CL_ORD_ID, "ORD-1"), (tag::ORDER_QTY, "100")],
    ));
    bytes.extend(order(4, "ORD-2", "lots"));
    bytes.extend(order(5, "ORD-3", "5000"));
    bytes.extend(raw_message(
        b"1",
        "RAW",
        "ACC",
        6,
        &[(tag::TEST_REQ_ID, "BAD")],
    ));
    peer.send(&bytes).expect("send");
    let got = read_messages(&mut peer, 7);
    assert_eq!(types(&got), ["j", "j", "3", "8", "3", "0", "3"], "{got:?}");
    let seqs: Vec<_> = got.iter().map(Got::seq).collect();
    assert_eq!(seqs, [2, 3, 4, 5, 6, 7, 8]);

    let unsupported = &got[0];
    assert_eq!(unsupported.get(tag::REF_SEQ_NUM), Some("2"));
    assert_eq!(unsupported.get(tag::REF_MSG_TYPE), Some("R"));
    assert_eq!(unsupported.get(tag::BUSINESS_REJECT_REASON), Some("3"));
    assert_eq!(unsupported.get(tag::TEXT), Some("Unsupported Message Type"));

    let no_side = &got[1];
    assert_eq!(no_side.get(tag::REF_SEQ_NUM), Some("3"));
    assert_eq!(no_side.get(tag::BUSINESS_REJECT_REASON), Some("5"));
    assert_eq!(
        no_side.get(tag::TEXT),
        Some("Conditionally required field missing (54)")
    );

    let bad_format = &got[2];
    assert_eq!(bad_format.get(tag::REF_SEQ_NUM), Some("4"));
    assert_eq!(bad_format.get(tag::REF_TAG_ID), Some("38"));
    assert_eq!(bad_format.get(tag::SESSION_REJECT_REASON), Some("6"));

    assert_eq!(got[3].get(tag::CL_ORD_ID), Some("ORD-3"));
    let bad_value = &got[4];
    assert_eq!(bad_value.get(tag::REF_SEQ_NUM), Some("5"));
    assert_eq!(bad_value.get(tag::REF_TAG_ID), Some("38"));
    assert_eq!(bad_value.get(tag::SESSION_REJECT_REASON), Some("5"));

    assert_eq!(got[5].get(tag::TEST_REQ_ID), Some("BAD"));
    let admin = &got[6];
    assert_eq!(admin.get(tag::REF_SEQ_NUM), Some("6"));
    assert_eq!(admin.get(tag::REF_MSG_TYPE), Some("1"));
    assert_eq!(admin.get(tag::REF_TAG_ID), Some("112"));
    assert_eq!(admin.get(tag::SESSION_REJECT_REASON), Some("5"));

    // Every message was counted once; the session carries on.
    assert!(wait_until(LONG, || acc.in_seq_num() == 7));
    assert_eq!(acc.state(), SessionState::Established);
    peer.send(&order(7, "ORD-4", "100")).expect("send");
    let got = read_messages(&mut peer, 1);
    assert_eq!(types(&got), ["8"]);
    engine.stop();
}
