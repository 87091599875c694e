//! What the session's Rejects and BusinessMessageRejects carry: the
//! reverse route of the rejected message (test case 18) and only the
//! SessionRejectReason values the session's version defines.

mod common;

use common::*;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FixVersion, SessionRejectReason, Tag};
use fixrs_session::testing::{Driver, Recorded, Sent};
use fixrs_session::{SessionConfig, SessionState, Store};

/// An acceptor "ACC" of `version`, logged on with "INI".
fn established_in(version: FixVersion) -> Driver {
    let mut d = Driver::new(SessionConfig::acceptor(version, "ACC", "INI"));
    d.establish();
    d
}

/// As [`established_in`], validating against the version's dictionary.
fn validating_in(version: FixVersion) -> Driver {
    let mut d = established_in(version);
    d.session.set_dictionary(Dictionary::builtin(version));
    d
}

/// The position of the first field `t` in `m`.
fn position(m: &Sent, t: Tag) -> Option<usize> {
    m.fields.iter().position(|(x, _)| *x == t)
}

/// The routing fields of a message sent through a third party.
const ROUTED: [(Tag, &str); 6] = [
    (tag::ON_BEHALF_OF_COMP_ID, "CLIENT"),
    (tag::ON_BEHALF_OF_SUB_ID, "DESK"),
    (tag::ON_BEHALF_OF_LOCATION_ID, "LDN"),
    (tag::DELIVER_TO_COMP_ID, "BROKER"),
    (tag::DELIVER_TO_SUB_ID, "B2"),
    (tag::DELIVER_TO_LOCATION_ID, "NY"),
];

#[test]
fn case_18_reject_is_reverse_routed() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let mut msg = d.peer.msg(b"D-", utc);
    for (t, v) in ROUTED {
        msg = msg.set(t, v);
    }
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_header(&reject, "ACC", "INI", 2);
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(11));
    for (t, v) in [
        (tag::DELIVER_TO_COMP_ID, "CLIENT"),
        (tag::DELIVER_TO_SUB_ID, "DESK"),
        (tag::DELIVER_TO_LOCATION_ID, "LDN"),
        (tag::ON_BEHALF_OF_COMP_ID, "BROKER"),
        (tag::ON_BEHALF_OF_SUB_ID, "B2"),
        (tag::ON_BEHALF_OF_LOCATION_ID, "NY"),
    ] {
        assert_eq!(reject.text(t).as_deref(), Some(v), "{t}: {reject:?}");
        // In the header, before the body.
        assert!(position(&reject, t) < position(&reject, tag::REF_SEQ_NUM));
    }
}

#[test]
fn case_18_reject_route_skips_empty_and_absent_fields() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D-", utc)
        .set(tag::ON_BEHALF_OF_COMP_ID, "CLIENT")
        .set(tag::ON_BEHALF_OF_SUB_ID, "");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(
        reject.text(tag::DELIVER_TO_COMP_ID).as_deref(),
        Some("CLIENT")
    );
    for t in [
        tag::DELIVER_TO_SUB_ID,
        tag::DELIVER_TO_LOCATION_ID,
        tag::ON_BEHALF_OF_COMP_ID,
        tag::ON_BEHALF_OF_SUB_ID,
        tag::ON_BEHALF_OF_LOCATION_ID,
    ] {
        assert!(!reject.has(t), "{t}: {reject:?}");
    }
}

#[test]
fn case_18_reject_of_an_unparseable_message_is_reverse_routed() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.4",
        &format!("35=D|49=INI|56=ACC|115=CLIENT|34=2|52={utc}|0=HI|"),
    );
    let out = d.input(&bytes);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(0));
    assert_eq!(
        reject.text(tag::DELIVER_TO_COMP_ID).as_deref(),
        Some("CLIENT")
    );
}

#[test]
fn case_18_business_message_reject_is_reverse_routed() {
    let mut config = acceptor();
    config.supported_msg_types = Some(vec!["D".into()]);
    let mut d = established(config);
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"AE", utc)
        .set(tag::ON_BEHALF_OF_COMP_ID, "CLIENT")
        .set(tag::DELIVER_TO_COMP_ID, "BROKER");
    let out = d.receive(msg);
    let bmr = only(&out, b"j");
    assert_eq!(bmr.text(tag::DELIVER_TO_COMP_ID).as_deref(), Some("CLIENT"));
    assert_eq!(
        bmr.text(tag::ON_BEHALF_OF_COMP_ID).as_deref(),
        Some("BROKER")
    );
}

#[test]
fn case_18_fix40_has_no_location_ids_to_reverse() {
    let mut d = established_in(FixVersion::Fix40);
    let utc = d.clock.utc();
    let mut msg = d.peer.msg(b"D-", utc);
    for (t, v) in ROUTED {
        msg = msg.set(t, v);
    }
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(
        reject.text(tag::DELIVER_TO_COMP_ID).as_deref(),
        Some("CLIENT")
    );
    assert_eq!(reject.text(tag::DELIVER_TO_SUB_ID).as_deref(), Some("DESK"));
    assert!(!reject.has(tag::DELIVER_TO_LOCATION_ID), "{reject:?}");
    assert!(!reject.has(tag::ON_BEHALF_OF_LOCATION_ID), "{reject:?}");
}

/// A Heartbeat carrying TestReqID twice: reason 13, which FIX 4.2 lacks.
fn heartbeat_with_repeated_tag(d: &mut Driver) -> fixrs_session::testing::PeerMessage {
    let utc = d.clock.utc();
    d.peer
        .msg(b"0", utc)
        .set(tag::TEST_REQ_ID, "a")
        .add(tag::TEST_REQ_ID, "b")
}

#[test]
fn case_14h_fix42_reject_leaves_out_a_reason_the_version_lacks() {
    let mut d = validating_in(FixVersion::Fix42);
    let msg = heartbeat_with_repeated_tag(&mut d);
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert!(!reject.has(tag::SESSION_REJECT_REASON), "{reject:?}");
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(112));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("0"));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Tag appears more than once")
    );
    // The application still learns why.
    assert!(out.events.iter().any(|e| matches!(
        e,
        Recorded::Rejected {
            reason: Some(SessionRejectReason::TagAppearsMoreThanOnce),
            ..
        }
    )));
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_14h_fix43_reject_carries_reason_13() {
    let mut d = validating_in(FixVersion::Fix43);
    let msg = heartbeat_with_repeated_tag(&mut d);
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(13));
}

#[test]
fn case_14d_fix42_reject_keeps_a_reason_the_version_defines() {
    let mut d = validating_in(FixVersion::Fix42);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc).set(tag::TEST_REQ_ID, "");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(4));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(112));
}

#[test]
fn case_14a_fix41_reject_names_the_tag_in_the_text() {
    let mut d = validating_in(FixVersion::Fix41);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc).set(999, "x");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Invalid tag number (999)")
    );
    for t in [
        tag::REF_TAG_ID,
        tag::REF_MSG_TYPE,
        tag::SESSION_REJECT_REASON,
    ] {
        assert!(!reject.has(t), "{t}: {reject:?}");
    }
}

#[test]
fn case_14a_fix40_tag_zero_is_named_in_the_text() {
    let mut d = established_in(FixVersion::Fix40);
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.0",
        &format!("35=0|49=INI|56=ACC|34=2|52={utc}|0=HI|"),
    );
    let out = d.input(&bytes);
    let reject = only(&out, b"3");
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Invalid tag number (0)")
    );
    assert!(!reject.has(tag::SESSION_REJECT_REASON), "{reject:?}");
    assert!(!reject.has(tag::REF_TAG_ID), "{reject:?}");
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2k_fix41_missing_comp_id_names_the_tag_in_the_text() {
    let mut d = established_in(FixVersion::Fix41);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc).remove(tag::TARGET_COMP_ID);
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Required tag missing (56)")
    );
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn every_version_sends_only_the_reasons_its_dictionary_lists() {
    // Reasons the session gives without a dictionary: 11 (malformed
    // MsgType), 1 (missing tag), 0 (tag 0), 10 (OrigSendingTime).
    for version in FixVersion::ALL {
        let mut d = established_in(version);
        let begin = version.begin_string();
        let utc = d.clock.utc();
        let m = d.peer.msg(b"D-", utc);
        d.receive(m);
        let m = d.peer.msg(b"1", utc);
        d.receive(m);
        let stamp = ts(utc);
        let bytes = raw_frame(begin, &format!("35=0|49=INI|56=ACC|34=4|52={stamp}|0=HI|"));
        d.peer.next_seq = 5;
        d.input(&bytes);
        let m = d.peer.msg(b"0", utc).poss_dup(utc.add_nanos(5_000_000_000));
        d.receive(m);
        let sent = d.store.lock().next_sender_seq_num();
        let mut rejects = Vec::new();
        d.store
            .lock()
            .outgoing(1, sent - 1, &mut |_, bytes| {
                if let Some(m) = Sent::parse(bytes) {
                    if m.msg_type() == b"3" {
                        rejects.push(m);
                    }
                }
            })
            .unwrap();
        assert_eq!(rejects.len(), 4, "{version}: {rejects:?}");
        let dict = Dictionary::builtin(version);
        for r in &rejects {
            if let Some(v) = r.get(tag::SESSION_REJECT_REASON) {
                let listed = dict
                    .field(tag::SESSION_REJECT_REASON)
                    .is_some_and(|f| f.is_allowed_value(v));
                assert!(listed, "{version}: {r:?}");
            } else {
                assert!(r.has(tag::TEXT), "{version}: {r:?}");
            }
        }
    }
}
