//! Helpers shared by the session test cases.
#![allow(dead_code)]

use fixrs_proto::framing::checksum;
use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::testing::{Driver, Output, Sent};
use fixrs_session::SessionConfig;

/// A FIX 4.4 initiator "INI" talking to "ACC".
pub fn initiator() -> SessionConfig {
    SessionConfig::initiator(FixVersion::Fix44, "INI", "ACC")
}

/// A FIX 4.4 acceptor "ACC" answering "INI".
pub fn acceptor() -> SessionConfig {
    SessionConfig::acceptor(FixVersion::Fix44, "ACC", "INI")
}

/// A session logged on with its counterparty: both sides sent Logon 1,
/// NextNumIn is 2 and our next MsgSeqNum is 2.
pub fn established(config: SessionConfig) -> Driver {
    let mut d = Driver::new(config);
    d.establish();
    d
}

/// A NewOrderSingle with ClOrdID `ORD-<id>`.
pub fn order(id: u64) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(11, &format!("ORD-{id}"))
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_uint(38, 100)
        .push_char(40, b'1');
    m
}

/// The single message written, which must be of this MsgType.
pub fn only(out: &Output, msg_type: &[u8]) -> Sent {
    let msgs = out.messages();
    assert_eq!(msgs.len(), 1, "expected one message, got {msgs:?}");
    let m = msgs.into_iter().next().unwrap();
    assert_eq!(m.msg_type(), msg_type, "{m:?}");
    m
}

/// Asserts the header we expect on everything the session under test
/// writes (as "INI" or "ACC" to the other).
pub fn assert_header(m: &Sent, sender: &str, target: &str, seq: u64) {
    assert_eq!(m.text(8).as_deref(), Some("FIX.4.4"), "{m:?}");
    assert_eq!(m.text(49).as_deref(), Some(sender), "{m:?}");
    assert_eq!(m.text(56).as_deref(), Some(target), "{m:?}");
    assert_eq!(m.seq(), seq, "{m:?}");
    assert!(m.has(52), "{m:?}");
}

/// A frame with BeginString `begin` and the given fields ("35=0|49=...|"
/// with `|` for SOH), BodyLength and CheckSum computed: for messages whose
/// field order the encoder would not produce.
pub fn raw_frame(begin: &str, body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut out = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = checksum(&out);
    out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    out
}

/// A UTCTimestamp as FIX text (milliseconds).
pub fn ts(t: UtcTimestamp) -> String {
    let mut out = Vec::new();
    t.write(fixrs_proto::value::TimePrecision::Millis, &mut out);
    String::from_utf8(out).unwrap()
}
