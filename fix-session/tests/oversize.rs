//! A message larger than MaxMessageSize: its declared bytes are skipped as
//! one unit (nothing inside is parsed, even what looks like messages), one
//! error reports it, the gap it leaves is recovered by the normal
//! ResendRequest, and a counterparty that sends it over the limit again is
//! logged out with a Text saying why.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{Driver, Output, Recorded};
use fixrs_session::SessionState;

const MAX: usize = 2048;

/// A News message of MsgSeqNum `seq` over [`MAX`] bytes, whose Text holds
/// what would be well-formed Heartbeats from the peer if it were scanned.
fn oversize(d: &mut Driver, seq: u64, poss_dup: bool) -> Vec<u8> {
    let utc = d.clock.utc();
    let mut text = Vec::new();
    let mut inner = 100;
    while text.len() < MAX {
        text.extend_from_slice(&d.peer.msg_with_seq(b"0", inner, utc).encode());
        inner += 1;
    }
    let mut m = d
        .peer
        .msg_with_seq(b"B", seq, utc)
        .set(148, "news")
        .set(tag::TEXT, text);
    if poss_dup {
        m = m.poss_dup(utc);
    }
    let bytes = m.encode();
    assert!(bytes.len() > MAX);
    bytes
}

/// Feeds `bytes` in pieces of 100 bytes.
fn input_in_pieces(d: &mut Driver, bytes: &[u8]) -> Output {
    let mut out = Output::default();
    for piece in bytes.chunks(100) {
        out.extend(d.input(piece));
    }
    out
}

#[test]
fn oversize_message_is_skipped_whole_reported_once_and_recovered_by_resend_request() {
    let mut config = acceptor();
    config.max_message_size = MAX;
    let mut d = established(config);
    d.peer.next_seq = 3;
    let big = oversize(&mut d, 2, false);
    let out = input_in_pieces(&mut d, &big);
    // One error naming the size; nothing parsed from inside; nothing sent.
    assert_eq!(out.errors().len(), 1, "{out:?}");
    assert!(out.errors()[0].contains(&big.len().to_string()), "{out:?}");
    assert!(out.errors()[0].contains(&MAX.to_string()), "{out:?}");
    assert!(
        out.events.iter().all(|e| matches!(e, Recorded::Error(_))),
        "{out:?}"
    );
    assert!(out.bytes.is_empty(), "{out:?}");
    assert_eq!(d.session.next_target_seq_num(), 2);

    // The next message shows the gap: the normal ResendRequest.
    let utc = d.clock.utc();
    let hb = d.peer.msg(b"0", utc);
    let out = d.receive(hb);
    let rr = only(&out, b"2");
    assert_eq!(rr.num(tag::BEGIN_SEQ_NO), Some(2));

    // The peer resends it within the limit this time: the gap is filled.
    let utc = d.clock.utc();
    let resent = d
        .peer
        .msg_with_seq(b"B", 2, utc)
        .set(148, "news")
        .set(tag::TEXT, "shorter")
        .poss_dup(utc);
    let out = d.receive(resent);
    assert_eq!(out.app_messages().len(), 1, "{out:?}");
    assert_eq!(d.session.next_target_seq_num(), 4);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn a_peer_that_resends_over_the_limit_is_logged_out_with_the_reason() {
    let mut config = acceptor();
    config.max_message_size = MAX;
    let mut d = established(config);
    d.peer.next_seq = 3;
    let big = oversize(&mut d, 2, false);
    input_in_pieces(&mut d, &big);
    let utc = d.clock.utc();
    let hb = d.peer.msg(b"0", utc);
    only(&d.receive(hb), b"2");
    // The resend is over the limit again: no point asking a third time.
    let again = oversize(&mut d, 2, true);
    let out = input_in_pieces(&mut d, &again);
    let logout = only(&out, b"5");
    let text = logout.text(tag::TEXT).unwrap_or_default();
    assert!(text.contains(&MAX.to_string()), "Logout text {text:?}");
    assert!(text.to_lowercase().contains("size"), "Logout text {text:?}");
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}
