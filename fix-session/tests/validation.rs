//! FIX Session Layer Test Cases 14a-14k: message validation.

mod common;

use common::*;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, FixVersion, FrameError, SessionRejectReason};
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
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(11));
    // As QuickFIX: RefMsgType(372) names the type, no RefTagID(371).
    assert_eq!(reject.num(tag::REF_TAG_ID), None);
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("ZZ"));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn validation_can_be_switched_off() {
    let mut d = established(acceptor());
    d.session.config_mut().use_data_dictionary = false;
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
        pair.with_session(SideId::Acceptor, |s, now| {
            s.reset_seq_num_and_send_logon(now)
        });
        pair.run_for(Duration::from_secs(10));
        pair.with_session(SideId::Initiator, |s, now| s.logout(Some("done"), now));
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

/// The `Recorded::Rejected` event of an output.
fn rejected_event(out: &Output) -> Recorded {
    out.events
        .iter()
        .find(|e| matches!(e, Recorded::Rejected { .. }))
        .cloned()
        .unwrap_or_else(|| panic!("no Rejected event in {:?}", out.events))
}

#[test]
fn case_14b_new_order_single_missing_side_ord_type_and_transact_time() {
    let mut d = validating();
    let msg = new_order(&mut d).remove(54).remove(40).remove(60);
    let bytes = msg.encode();
    let out = d.input(&bytes);
    // Of the three, the lowest tag, as QuickFIX reports it.
    assert_rejected(&d, &out, 1, 40);
    // The order is not delivered, but the application sees it, with the
    // Reject it caused.
    match rejected_event(&out) {
        Recorded::Rejected {
            ref_seq_num,
            reason,
            ref_tag_id,
            business_reason,
            parsed,
            bytes: rejected,
            ..
        } => {
            assert_eq!(ref_seq_num, Some(2));
            assert_eq!(reason, Some(SessionRejectReason::RequiredTagMissing));
            assert_eq!(ref_tag_id, Some(40));
            assert_eq!(business_reason, None);
            assert!(parsed);
            assert_eq!(rejected, bytes);
        }
        _ => unreachable!(),
    }
}

#[test]
fn case_14a_a_fill_with_an_undefined_tag_is_reported_with_its_bytes() {
    let mut d = validating();
    let utc = d.clock.utc();
    let fill = d
        .peer
        .msg(b"8", utc)
        .set(37, "O-1")
        .set(17, "E-1")
        .set(150, "F")
        .set(39, "2")
        .set(55, "EUR/USD")
        .set(54, "1")
        .set(151, "0")
        .set(14, "100")
        .set(6, "1.0850")
        .set(9999, "desk-7");
    let bytes = fill.encode();
    let out = d.input(&bytes);
    assert_rejected(&d, &out, 0, 9999);
    let Recorded::Rejected {
        ref_tag_id,
        bytes: rejected,
        ..
    } = rejected_event(&out)
    else {
        unreachable!()
    };
    assert_eq!(ref_tag_id, Some(9999));
    assert_eq!(rejected, bytes, "the fill itself, to act on");
}

#[test]
fn case_14k_a_message_that_cannot_be_split_is_reported_with_its_bytes() {
    let mut d = validating();
    let msg = new_order(&mut d).set(tag::TEXT, "ab\x01cd");
    let bytes = msg.encode();
    let out = d.input(&bytes);
    let Recorded::Rejected {
        reason,
        parsed,
        bytes: rejected,
        ..
    } = rejected_event(&out)
    else {
        unreachable!()
    };
    assert_eq!(
        reason,
        Some(SessionRejectReason::NonDataValueIncludesFieldDelimiter)
    );
    assert!(!parsed);
    assert_eq!(rejected, bytes);
}

/// An acceptor with `configure` applied before it logs on, validating
/// against FIX 4.4, and what it did with the bytes of `make`.
fn with_switch(
    configure: impl FnOnce(&mut fixrs_session::SessionConfig),
    make: impl FnOnce(&mut Driver) -> Vec<u8>,
) -> (Driver, Output) {
    let mut config = acceptor();
    configure(&mut config);
    let mut d = established(config);
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    let bytes = make(&mut d);
    let out = d.input(&bytes);
    (d, out)
}

fn delivered(d: &Driver, out: &Output) {
    assert!(out.bytes.is_empty(), "{:?}", out.messages());
    assert_eq!(out.app_messages().len(), 1, "{out:?}");
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn validate_fields_out_of_order_on_and_off() {
    let header_after_body = |d: &mut Driver| {
        let utc = ts(d.clock.utc());
        raw_frame(
            "FIX.4.4",
            &format!(
                "35=D|49=INI|56=ACC|34=2|52={utc}|11=ORD-1|21=1|55=EUR/USD|54=1|60={utc}|38=100|40=1|50=DESK|"
            ),
        )
    };
    let (d, out) = with_switch(|_| {}, header_after_body);
    assert_rejected(&d, &out, 14, 50);
    let (d, out) = with_switch(
        |c| c.validation.validate_fields_out_of_order = false,
        header_after_body,
    );
    delivered(&d, &out);
}

#[test]
fn validate_fields_have_values_on_and_off() {
    let empty_text = |d: &mut Driver| new_order(d).set(tag::TEXT, "").encode();
    let (d, out) = with_switch(|_| {}, empty_text);
    assert_rejected(&d, &out, 4, 58);
    let (d, out) = with_switch(
        |c| c.validation.validate_fields_have_values = false,
        empty_text,
    );
    delivered(&d, &out);
}

#[test]
fn validate_user_defined_fields_on_and_off() {
    let user_defined = |d: &mut Driver| new_order(d).set(9999, "x").encode();
    let (d, out) = with_switch(|_| {}, user_defined);
    assert_rejected(&d, &out, 0, 9999);
    let (d, out) = with_switch(
        |c| c.validation.validate_user_defined_fields = false,
        user_defined,
    );
    delivered(&d, &out);
    assert_eq!(out.app_messages()[0].text(9999).as_deref(), Some("x"));
    // Below 5000 the switch does not apply.
    let (d, out) = with_switch(
        |c| c.validation.validate_user_defined_fields = false,
        |d| new_order(d).set(4999, "x").encode(),
    );
    assert_rejected(&d, &out, 0, 4999);
}

#[test]
fn allow_unknown_msg_fields_off_and_on() {
    // A field of FIX 4.4 that NewOrderSingle does not have, and one FIX
    // 4.4 does not define.
    for (t, reason) in [(tag::TEST_REQ_ID, 2), (4999, 0)] {
        let unknown = |d: &mut Driver| new_order(d).set(t, "x").encode();
        let (d, out) = with_switch(|_| {}, unknown);
        assert_rejected(&d, &out, reason, t as u64);
        let (d, out) = with_switch(|c| c.validation.allow_unknown_msg_fields = true, unknown);
        delivered(&d, &out);
    }
}

#[test]
fn validate_unordered_group_fields_on_and_off() {
    // PartyRole(452) before PartyIDSource(447) in a Parties entry.
    let unordered = |d: &mut Driver| {
        new_order(d)
            .add(453, "1")
            .add(448, "PARTY-1")
            .add(452, "1")
            .add(447, "D")
            .encode()
    };
    let (d, out) = with_switch(|_| {}, unordered);
    assert_eq!(only(&out, b"3").num(tag::SESSION_REJECT_REASON), Some(15));
    assert_eq!(d.session.next_target_seq_num(), 3);
    let (d, out) = with_switch(
        |c| c.validation.validate_unordered_group_fields = false,
        unordered,
    );
    delivered(&d, &out);
}

#[test]
fn validate_length_and_checksum_on_and_off() {
    let bad_checksum = |d: &mut Driver| {
        let mut bytes = new_order(d).encode();
        let n = bytes.len();
        bytes[n - 2] = if bytes[n - 2] == b'0' { b'1' } else { b'0' };
        bytes
    };
    let (d, out) = with_switch(|_| {}, bad_checksum);
    assert!(out.bytes.is_empty() && out.app_messages().is_empty());
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Recorded::Garbled(FrameError::CheckSumMismatch { .. }))));
    assert_eq!(
        d.session.next_target_seq_num(),
        2,
        "a garbled message does not count"
    );
    let (d, out) = with_switch(|c| c.validate_checksum = false, bad_checksum);
    delivered(&d, &out);
}

#[test]
fn check_latency_and_max_latency() {
    let stale = |d: &mut Driver| {
        let utc = d.clock.utc();
        new_order(d)
            .set_time(tag::SENDING_TIME, utc.add_nanos(-200_000_000_000))
            .encode()
    };
    let (d, out) = with_switch(|_| {}, stale);
    let messages = out.messages();
    assert_eq!(messages[0].msg_type(), b"3");
    assert_eq!(messages[0].num(tag::SESSION_REJECT_REASON), Some(10));
    assert_eq!(messages[0].num(tag::REF_TAG_ID), Some(52));
    assert_eq!(messages[1].msg_type(), b"5");
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
    let (d, out) = with_switch(|c| c.check_latency = false, stale);
    delivered(&d, &out);
    let (d, out) = with_switch(
        |c| c.max_latency = std::time::Duration::from_secs(300),
        stale,
    );
    delivered(&d, &out);
}

#[test]
fn case_1s_d_first_logon_is_validated() {
    let mut d = Driver::new(acceptor());
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    d.connect();
    d.link_up();
    let logon = d.peer.logon(30, d.clock.utc()).set(9999, "x");
    let out = d.receive(logon);
    let messages = out.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0].msg_type(), b"3");
    assert_eq!(messages[0].num(tag::SESSION_REJECT_REASON), Some(0));
    assert_eq!(messages[0].num(tag::REF_TAG_ID), Some(9999));
    assert_eq!(messages[0].num(tag::REF_SEQ_NUM), Some(1));
    assert_eq!(messages[1].msg_type(), b"5");
    assert!(
        messages[1]
            .text(tag::TEXT)
            .is_some_and(|t| t.contains("invalid tag number 9999")),
        "{:?}",
        messages[1]
    );
    assert!(out.closed());
    assert_ne!(d.session.state(), SessionState::Established);
    // Without the undefined tag it logs on.
    let mut d = Driver::new(acceptor());
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix44));
    d.establish();
}

#[test]
fn case_1s_d_fixt_logon_without_default_appl_ver_id_is_refused() {
    // With and without a dictionary.
    for dictionary in [false, true] {
        let config = fixrs_session::SessionConfig::acceptor(FixVersion::Fix50Sp2, "ACC", "INI");
        let mut d = Driver::new(config);
        if dictionary {
            d.session
                .set_dictionary(Dictionary::builtin(FixVersion::Fix50Sp2));
        }
        d.connect();
        d.link_up();
        let logon = d
            .peer
            .logon(30, d.clock.utc())
            .remove(tag::DEFAULT_APPL_VER_ID);
        let out = d.receive(logon);
        let messages = out.messages();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0].msg_type(), b"3");
        assert_eq!(messages[0].num(tag::SESSION_REJECT_REASON), Some(1));
        assert_eq!(messages[0].num(tag::REF_TAG_ID), Some(1137));
        assert_eq!(messages[1].msg_type(), b"5");
        assert!(out.closed());
        assert!(
            out.errors().iter().any(|e| e.contains("1137")),
            "{:?}",
            out.errors()
        );
        // With DefaultApplVerID it logs on.
        let config = fixrs_session::SessionConfig::acceptor(FixVersion::Fix50Sp2, "ACC", "INI");
        let mut d = Driver::new(config);
        if dictionary {
            d.session
                .set_dictionary(Dictionary::builtin(FixVersion::Fix50Sp2));
        }
        d.establish();
    }
}

#[test]
fn fixt_application_messages_use_the_dictionary_of_their_appl_ver_id() {
    // A FIX.5.0SP2 acceptor that also knows FIX.4.2 orders, whose
    // HandlInst(21) is required (it is not in FIX.5.0SP2).
    let fix42 = Dictionary::combine(Dictionary::fixt11(), Dictionary::builtin(FixVersion::Fix42));
    let config = fixrs_session::SessionConfig::acceptor(FixVersion::Fix50Sp2, "ACC", "INI");
    let mut d = established(config);
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix50Sp2));
    d.session.set_app_dictionary(FixVersion::Fix42, fix42);
    let order = |d: &mut Driver, appl_ver_id: Option<&str>| {
        let utc = d.clock.utc();
        let msg = d
            .peer
            .msg(b"D", utc)
            .set(11, "ORD-1")
            .set(55, "EUR/USD")
            .set(54, "1")
            .set_time(60, utc)
            .set(40, "1");
        match appl_ver_id {
            Some(v) => msg.set(tag::APPL_VER_ID, v),
            None => msg,
        }
    };
    // FIX.5.0SP2 (the peer's DefaultApplVerID): no HandlInst needed.
    let msg = order(&mut d, None);
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1, "{:?}", out.messages());
    let msg = order(&mut d, Some("9"));
    assert_eq!(d.receive(msg).app_messages().len(), 1);
    // ApplVerID FIX.4.2: FIX.4.2's dictionary, which requires it.
    let msg = order(&mut d, Some("4"));
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(21));
    // A version without a dictionary of its own: the session's.
    let msg = order(&mut d, Some("8"));
    assert_eq!(d.receive(msg).app_messages().len(), 1);
}

#[test]
fn fixt_peer_default_appl_ver_id_chooses_the_dictionary() {
    let fix42 = Dictionary::combine(Dictionary::fixt11(), Dictionary::builtin(FixVersion::Fix42));
    let config = fixrs_session::SessionConfig::acceptor(FixVersion::Fix50Sp2, "ACC", "INI");
    let mut d = Driver::new(config);
    d.session
        .set_dictionary(Dictionary::builtin(FixVersion::Fix50Sp2));
    d.session.set_app_dictionary(FixVersion::Fix42, fix42);
    // The peer logs on with DefaultApplVerID FIX.4.2.
    d.peer.default_appl_ver_id = Some("4".to_string());
    d.establish();
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(11, "ORD-1")
        .set(55, "EUR/USD")
        .set(54, "1")
        .set_time(60, utc)
        .set(40, "1");
    let out = d.receive(msg);
    assert_eq!(only(&out, b"3").num(tag::REF_TAG_ID), Some(21));
}

#[test]
fn messages_acted_on_whatever_their_seqnum_are_validated_first() {
    // A ResendRequest and a Logout with an undefined tag: rejected (and
    // counted) instead of being acted on.
    for msg_type in [&b"2"[..], b"5"] {
        let mut d = validating();
        let utc = d.clock.utc();
        let msg = d
            .peer
            .msg(msg_type, utc)
            .set(tag::BEGIN_SEQ_NO, "1")
            .set(tag::END_SEQ_NO, "0")
            .set(9999, "X");
        let msg = if msg_type == b"5" {
            msg.remove(tag::BEGIN_SEQ_NO).remove(tag::END_SEQ_NO)
        } else {
            msg
        };
        let out = d.receive(msg);
        let reject = assert_rejected(&d, &out, 0, 9999);
        assert_eq!(
            reject.text(tag::REF_MSG_TYPE).as_deref(),
            Some(std::str::from_utf8(msg_type).unwrap())
        );
        assert!(!out.closed());
    }
}
