//! FIX Session Layer Test Cases 14a-14k: message validation.

mod common;

use common::*;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FixVersion};
use fixrs_session::testing::{Driver, Output, PeerMessage, Recorded, Sent};
use fixrs_session::SessionState;

/// An acceptor validating against the built-in FIX 4.4 dictionary.
fn validating() -> Driver {
    let mut d = established(acceptor());
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    d
}

/// A NewOrderSingle valid in FIX 4.4.
fn new_order(d: &mut Driver) -> PeerMessage {
    let utc = d.clock.utc();
    d.peer
        .msg(b"D", utc)
        .set(11, "ORD-1")
        .set(21, "1")
        .set(55, "EUR/USD")
        .set(54, "1")
        .set_time(60, utc)
        .set(38, "100")
        .set(40, "1")
}

/// Asserts a Reject of MsgSeqNum 2 with this reason and RefTagID, that the
/// message was not delivered, and that it counted.
fn assert_rejected(d: &Driver, out: &Output, reason: u64, ref_tag: u64) -> Sent {
    let reject = only(out, b"3");
    assert_header(&reject, "ACC", "INI", 2);
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2), "{reject:?}");
    assert_eq!(
        reject.num(tag::SESSION_REJECT_REASON),
        Some(reason),
        "{reject:?}"
    );
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(ref_tag), "{reject:?}");
    assert!(reject.has(tag::REF_MSG_TYPE), "{reject:?}");
    assert!(reject.has(tag::TEXT), "{reject:?}");
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::Established);
    reject
}

#[test]
fn case_14_valid_message_passes_validation() {
    let mut d = validating();
    let msg = new_order(&mut d);
    let out = d.receive(msg);
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_14a_undefined_tag() {
    let mut d = validating();
    let msg = new_order(&mut d).set(4999, "x");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 0, 4999);
}

#[test]
fn case_14a_tag_zero_is_an_invalid_tag_number() {
    // With a dictionary or without: tag 0 is never valid.
    for with_dictionary in [false, true] {
        let mut d = if with_dictionary {
            validating()
        } else {
            established(acceptor())
        };
        let utc = ts(d.clock.utc());
        let bytes = raw_frame(
            "FIX.4.4",
            &format!("35=D|49=INI|56=ACC|34=2|52={utc}|0=HI|11=A|"),
        );
        let out = d.input(&bytes);
        let reject = assert_rejected(&d, &out, 0, 0);
        assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
        assert_eq!(
            reject.text(tag::TEXT).as_deref(),
            Some("Invalid tag number")
        );
    }
}

#[test]
fn case_14a_unknown_fields_pass_through_when_allowed() {
    let mut d = established(acceptor());
    d.session.config_mut().validation.allow_unknown_msg_fields = true;
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    let msg = new_order(&mut d).set(4999, "x").set(58, "text");
    let out = d.receive(msg);
    let apps = out.app_messages();
    assert_eq!(apps.len(), 1, "{:?}", out.messages());
    assert_eq!(apps[0].text(4999).as_deref(), Some("x"));
}

#[test]
fn case_14b_required_tag_missing() {
    let mut d = validating();
    let msg = new_order(&mut d).remove(11);
    let out = d.receive(msg);
    let reject = assert_rejected(&d, &out, 1, 11);
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
}

#[test]
fn case_14c_tag_not_defined_for_the_message_type() {
    let mut d = validating();
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc).set(55, "EUR/USD");
    let out = d.receive(msg);
    let reject = assert_rejected(&d, &out, 2, 55);
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("0"));
}

#[test]
fn case_14d_tag_without_value() {
    let mut d = validating();
    let msg = new_order(&mut d).set(55, "");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 4, 55);
}

#[test]
fn case_14e_value_out_of_range() {
    let mut d = validating();
    let msg = new_order(&mut d).set(54, "Z");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 5, 54);
}

#[test]
fn case_14f_value_in_the_wrong_format() {
    let mut d = validating();
    let msg = new_order(&mut d).set(38, "lots");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 6, 38);
}

#[test]
fn case_14g_header_field_after_the_body() {
    let mut d = validating();
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.4",
        &format!(
            "35=D|49=INI|56=ACC|34=2|52={utc}|11=ORD-1|21=1|55=EUR/USD|54=1|60={utc}|38=100|40=1|50=DESK|"
        ),
    );
    let out = d.input(&bytes);
    assert_rejected(&d, &out, 14, 50);
}

#[test]
fn case_14h_non_group_tag_repeated() {
    let mut d = validating();
    let msg = new_order(&mut d).add(55, "USD/JPY");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 13, 55);
}

#[test]
fn case_14i_num_in_group_count_wrong() {
    let mut d = validating();
    let msg = new_order(&mut d)
        .add(453, "2")
        .add(448, "PARTY-1")
        .add(447, "D")
        .add(452, "1");
    let out = d.receive(msg);
    assert_rejected(&d, &out, 16, 453);
}

#[test]
fn case_14j_repeating_group_fields_out_of_order() {
    let mut d = validating();
    let msg = new_order(&mut d)
        .add(453, "1")
        .add(447, "D")
        .add(448, "PARTY-1")
        .add(452, "1");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(
        reject.num(tag::SESSION_REJECT_REASON),
        Some(15),
        "{reject:?}"
    );
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_14_valid_repeating_group_passes() {
    let mut d = validating();
    let msg = new_order(&mut d)
        .add(453, "2")
        .add(448, "PARTY-1")
        .add(447, "D")
        .add(452, "1")
        .add(448, "PARTY-2")
        .add(447, "D")
        .add(452, "3");
    let out = d.receive(msg);
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2q_msg_type_unknown_to_the_dictionary() {
    let mut d = validating();
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"ZZ", utc);
    let out = d.receive(msg);
    let reject = assert_rejected(&d, &out, 11, 35);
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("ZZ"));
}

#[test]
fn validation_can_be_switched_off() {
    let mut d = established(acceptor());
    d.session.config_mut().validation.use_data_dictionary = false;
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    let msg = new_order(&mut d).remove(11).set(4999, "x");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
    assert!(d.session.dictionary().is_some());
}

#[test]
fn session_messages_are_validated_too() {
    let mut d = validating();
    let utc = d.clock.utc();
    // A Heartbeat answering a TestRequest, a Reject, a gap fill: all valid.
    for m in [
        d.peer.msg(b"0", utc).set(tag::TEST_REQ_ID, "1"),
        d.peer.msg(b"3", utc).set(tag::REF_SEQ_NUM, "1"),
    ] {
        let out = d.receive(m);
        assert!(out.bytes.is_empty(), "{:?}", out.messages());
    }
    // A Reject without RefSeqNum is not.
    let m = d.peer.msg(b"3", utc);
    let out = d.receive(m);
    assert_eq!(only(&out, b"3").num(tag::REF_TAG_ID), Some(45));
}

#[test]
fn case_14k_soh_inside_a_non_data_field() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(11, "A")
        .set(tag::TEXT, "ab\x01cd");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(17));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(58));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert!(out.events.iter().any(|e| matches!(
        e,
        Recorded::Rejected {
            ref_seq_num: Some(2),
            ..
        }
    )));
}

#[test]
fn case_14k_data_field_with_soh_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(11, "A")
        .set(tag::RAW_DATA_LENGTH, "5")
        .set(tag::RAW_DATA, "ab\x01cd");
    let out = d.receive(msg);
    let apps = out.app_messages();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].get(tag::RAW_DATA), Some(&b"ab\x01cd"[..]));
}

#[test]
fn our_session_messages_validate_in_every_version() {
    use fixrs_session::testing::{Fault, Pair, ScriptedFaults, SideId};
    use fixrs_session::SessionConfig;
    use std::time::Duration;
    for version in [
        FixVersion::Fix40,
        FixVersion::Fix41,
        FixVersion::Fix42,
        FixVersion::Fix43,
        FixVersion::Fix44,
        FixVersion::Fix50,
        FixVersion::Fix50Sp1,
        FixVersion::Fix50Sp2,
    ] {
        let mut ini = SessionConfig::initiator(version, "INI", "ACC");
        ini.send_next_expected_msg_seq_num = true;
        let mut acc = SessionConfig::acceptor(version, "ACC", "INI");
        acc.send_next_expected_msg_seq_num = true;
        let mut pair = Pair::new(ini, acc);
        for side in [SideId::Initiator, SideId::Acceptor] {
            pair.side_mut(side)
                .session
                .set_dictionary(Dictionary::builtin(version));
        }
        pair.establish();
        // Lose the acceptor's first Heartbeat: ResendRequest, gap fill.
        let mut dropped = false;
        pair.set_faults(Box::new(ScriptedFaults(move |from, msg: &[u8], _| {
            if !dropped && from == SideId::Acceptor && msg.windows(5).any(|w| w == b"\x0135=0") {
                dropped = true;
                return Fault::Drop;
            }
            Fault::Deliver
        })));
        pair.run_for(Duration::from_secs(200));
        pair.with_session(SideId::Acceptor, |s, now, utc| {
            s.reset_seq_num_and_send_logon(now, utc)
        });
        pair.run_for(Duration::from_secs(10));
        pair.with_session(SideId::Initiator, |s, now, utc| {
            s.logout(Some("done"), now, utc)
        });
        pair.run_for(Duration::from_secs(10));
        for side in [SideId::Initiator, SideId::Acceptor] {
            let s = pair.side(side);
            let problems: Vec<_> = s
                .events
                .iter()
                .filter(|(_, e)| matches!(e, Recorded::Rejected { .. } | Recorded::Error(_)))
                .collect();
            assert!(problems.is_empty(), "{version} {side:?}: {problems:?}");
            assert_eq!(
                s.session.state(),
                SessionState::CorrectlyTerminated,
                "{version}"
            );
        }
        let admin_types: std::collections::BTreeSet<Vec<u8>> =
            [SideId::Initiator, SideId::Acceptor]
                .iter()
                .flat_map(|&side| pair.side(side).events.iter())
                .filter_map(|(_, e)| match e {
                    Recorded::Admin(m) => Some(m.msg_type().to_vec()),
                    _ => None,
                })
                .collect();
        // Logon, Heartbeat, TestRequest, ResendRequest, SequenceReset, Logout.
        assert_eq!(admin_types.len(), 6, "{version}: {admin_types:?}");
    }
}
