//! FIX Session Layer Test Cases 2a-2t (standard header), 3a-3e (trailer),
//! 15 (field order) and 19a/19b (PossResend).

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_proto::SessionRejectReason;
use fixrs_session::testing::Recorded;
use fixrs_session::SessionState;
use std::time::Duration;

#[test]
fn case_2a_seqnum_as_expected_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    let out = d.receive(msg);
    assert!(out.bytes.is_empty());
    let apps = out.app_messages();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].text(11).as_deref(), Some("A"));
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2b_seqnum_too_high_sends_resend_request() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    d.peer.next_seq = 5;
    let msg = d.peer.msg(b"D", utc).set(11, "five");
    let out = d.receive(msg);
    let rr = only(&out, b"2");
    assert_header(&rr, "ACC", "INI", 2);
    assert_eq!(rr.num(tag::BEGIN_SEQ_NO), Some(2));
    assert_eq!(rr.num(tag::END_SEQ_NO), Some(0));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 2);
    // A second message beyond the gap does not ask again.
    let msg = d.peer.msg(b"D", utc).set(11, "six");
    let out = d.receive(msg);
    assert!(out.bytes.is_empty());
    // The resends fill the gap; the queued messages follow in order.
    let mut delivered = Vec::new();
    for (seq, id) in [(2, "two"), (3, "three"), (4, "four")] {
        let m = d
            .peer
            .msg_with_seq(b"D", seq, utc)
            .poss_dup(utc)
            .set(11, id);
        delivered.extend(d.receive(m).app_messages());
    }
    let ids: Vec<_> = delivered.iter().map(|m| m.text(11).unwrap()).collect();
    assert_eq!(ids, ["two", "three", "four", "five", "six"]);
    assert_eq!(d.session.next_target_seq_num(), 7);
    assert_eq!(d.session.out_of_order_len(), 0);
}

#[test]
fn case_2c_seqnum_too_low_without_possdup() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    d.receive(msg);
    let msg = d.peer.msg_with_seq(b"D", 1, utc).set(11, "old");
    let out = d.receive(msg);
    let logout = only(&out, b"5");
    assert_header(&logout, "ACC", "INI", 2);
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("MsgSeqNum too low, expecting 3 but received 1")
    );
    assert!(out.app_messages().is_empty());
    assert!(!out.closed());
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
    // No Logout reply: disconnect after LogoutTimeout (2 s).
    let out = d.advance(Duration::from_millis(1999));
    assert!(!out.closed());
    let out = d.advance(Duration::from_millis(1));
    assert!(out.closed());
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
}

#[test]
fn case_2c_seqnum_too_low_logout_reply_closes_at_once() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg_with_seq(b"0", 1, utc);
    d.receive(msg);
    // Only the peer's Logout is processed now.
    let msg = d.peer.msg(b"D", utc).set(11, "ignored");
    let out = d.receive(msg);
    assert!(out.app_messages().is_empty());
    let logout = d.peer.msg(b"5", utc);
    let out = d.receive(logout);
    assert!(out.closed());
    assert!(out.bytes.is_empty());
}

#[test]
fn case_2d_garbled_message_is_ignored() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let mut bytes = d.peer.msg_with_seq(b"D", 2, utc).set(11, "A").encode();
    let n = bytes.len();
    bytes[n - 3] = if bytes[n - 3] == b'9' { b'0' } else { b'9' };
    let out = d.input(&bytes);
    assert!(out.bytes.is_empty());
    assert!(matches!(out.events[..], [Recorded::Garbled(_)]));
    assert_eq!(d.session.next_target_seq_num(), 2);
    // Reading carries on: the same MsgSeqNum is still expected.
    let msg = d.peer.msg_with_seq(b"D", 2, utc).set(11, "B");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2e_possdup_already_received_is_ignored() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    d.receive(msg);
    let dup = d
        .peer
        .msg_with_seq(b"D", 2, utc)
        .poss_dup(utc.add_nanos(-1_000_000_000))
        .set(11, "A");
    let out = d.receive(dup);
    assert!(out.bytes.is_empty());
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2e_possdup_not_yet_received_is_processed() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let dup = d
        .peer
        .msg(b"D", utc)
        .poss_dup(utc.add_nanos(-1_000_000_000))
        .set(11, "A");
    let out = d.receive(dup);
    assert!(out.bytes.is_empty());
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2f_possdup_with_orig_sending_time_after_sending_time() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .poss_dup(utc.add_nanos(5_000_000_000))
        .set(11, "A");
    let out = d.receive(msg);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let reject = &msgs[0];
    assert_eq!(reject.msg_type(), b"3");
    assert_header(reject, "ACC", "INI", 2);
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(10));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(122));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
    // Then Logout, as QuickFIX does (the optional part of 2f).
    assert_eq!(msgs[1].msg_type(), b"5");
    assert!(out.app_messages().is_empty());
    assert!(out.events.iter().any(|e| matches!(
        e,
        Recorded::Rejected {
            ref_seq_num: Some(2),
            reason: Some(SessionRejectReason::SendingTimeAccuracyProblem),
            ..
        }
    )));
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn case_2f_possdup_below_next_num_in_with_orig_sending_time_after_sending_time() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    d.receive(msg);
    // A duplicate of 2, whose OrigSendingTime is checked before it is
    // found to be a duplicate.
    let dup = d
        .peer
        .msg_with_seq(b"D", 2, utc)
        .poss_dup(utc.add_nanos(5_000_000_000))
        .set(11, "A");
    let out = d.receive(dup);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"3");
    assert_eq!(msgs[0].num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(msgs[0].num(tag::SESSION_REJECT_REASON), Some(10));
    assert_eq!(msgs[1].msg_type(), b"5");
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn case_2g_possdup_without_orig_sending_time() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(tag::POSS_DUP_FLAG, "Y")
        .set(11, "A");
    let out = d.receive(msg);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(122));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2g_possdup_below_next_num_in_without_orig_sending_time() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    d.receive(msg);
    let dup = d
        .peer
        .msg_with_seq(b"D", 2, utc)
        .set(tag::POSS_DUP_FLAG, "Y")
        .set(11, "A");
    let out = d.receive(dup);
    let reject = only(&out, b"3");
    assert_header(&reject, "ACC", "INI", 2);
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(122));
    assert!(out.app_messages().is_empty());
    // A duplicate does not count again; the session carries on.
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::Established);
    let msg = d.peer.msg(b"D", utc).set(11, "B");
    assert_eq!(d.receive(msg).app_messages().len(), 1);
}

#[test]
fn case_2g_possdup_resend_request_below_next_num_in_without_orig_sending_time() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc);
    d.receive(msg);
    let dup = d
        .peer
        .msg_with_seq(b"2", 2, utc)
        .set(tag::POSS_DUP_FLAG, "Y")
        .set(tag::BEGIN_SEQ_NO, "1")
        .set(tag::END_SEQ_NO, "0");
    let out = d.receive(dup);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(122));
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_2h_begin_string_as_expected_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    assert_eq!(&msg.encode()[..10], b"8=FIX.4.4\x01");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2i_wrong_begin_string() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A").begin_string("FIX.4.2");
    let out = d.receive(msg);
    let logout = only(&out, b"5");
    assert_eq!(
        logout.text(tag::TEXT).as_deref(),
        Some("Incorrect BeginString: expected FIX.4.4, received FIX.4.2")
    );
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
    let out = d.advance(Duration::from_secs(2));
    assert!(out.closed());
}

#[test]
fn case_2i_logout_with_a_wrong_begin_string_is_answered_as_a_logout() {
    // QuickFIX acts on a Logout whatever its BeginString: the peer is
    // leaving, so it gets the plain Logout reply, not an error Logout.
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let logout = d.peer.msg(b"5", utc).begin_string("FIX.4.2");
    let out = d.receive(logout);
    let reply = only(&out, b"5");
    assert_header(&reply, "ACC", "INI", 2);
    assert_eq!(reply.text(tag::TEXT), None);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::CorrectlyTerminated);
}

#[test]
fn case_2j_comp_ids_as_expected_are_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
    assert!(out.bytes.is_empty());
}

#[test]
fn case_2k_wrong_comp_id() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(tag::SENDER_COMP_ID, "OTHER")
        .set(11, "A");
    let out = d.receive(msg);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let reject = &msgs[0];
    assert_eq!(reject.msg_type(), b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(49));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(9));
    assert_eq!(msgs[1].msg_type(), b"5");
    assert_eq!(msgs[1].text(tag::TEXT).as_deref(), Some("CompID problem"));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    // The peer's Logout reply ends it.
    let logout = d.peer.msg(b"5", utc);
    let out = d.receive(logout);
    assert!(out.closed());
    assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
}

#[test]
fn case_2k_messages_after_the_comp_id_logout_are_still_processed() {
    // As QuickFIX: after the Reject and Logout for a CompID problem, the
    // peer's next messages are processed until its Logout reply; it may
    // need resends to log out cleanly.
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(tag::SENDER_COMP_ID, "OTHER");
    d.receive(msg);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "1")
        .set(tag::END_SEQ_NO, "0");
    // Logon, Reject and Logout: all session-level, one gap fill.
    let resent = d.receive(rr).messages();
    let summary: Vec<_> = resent
        .iter()
        .map(|m| (m.msg_type().to_vec(), m.seq(), m.num(tag::NEW_SEQ_NO)))
        .collect();
    assert_eq!(summary, [(b"4".to_vec(), 1, Some(4))]);
    let test_request = d.peer.msg(b"1", utc).set(tag::TEST_REQ_ID, "T1");
    let heartbeat = only(&d.receive(test_request), b"0");
    assert_eq!(heartbeat.text(tag::TEST_REQ_ID).as_deref(), Some("T1"));
    let msg = d.peer.msg(b"D", utc).set(11, "late");
    assert_eq!(d.receive(msg).app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 6);
    let logout = d.peer.msg(b"5", utc);
    let out = d.receive(logout);
    assert!(out.closed());
    assert!(out.bytes.is_empty());
    assert_eq!(d.session.state(), SessionState::NonGracefullyTerminated);
}

#[test]
fn sending_time_is_checked_before_comp_ids_as_quickfix_does() {
    // Wrong in both: rejected for its SendingTime (QuickFIX's verify()
    // checks the time first).
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(tag::SENDER_COMP_ID, "OTHER")
        .set_time(tag::SENDING_TIME, utc.add_nanos(-121_000_000_000))
        .set(11, "A");
    let out = d.receive(msg);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"3");
    assert_eq!(msgs[0].num(tag::SESSION_REJECT_REASON), Some(10));
    assert_eq!(msgs[0].num(tag::REF_TAG_ID), Some(52));
    assert_eq!(msgs[1].msg_type(), b"5");
    assert_eq!(
        msgs[1].text(tag::TEXT).as_deref(),
        Some("SendingTime accuracy problem")
    );
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2k_wrong_target_comp_id() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"0", utc).set(tag::TARGET_COMP_ID, "NOT-ME");
    let out = d.receive(msg);
    let reject = &out.messages()[0];
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(56));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(9));
}

#[test]
fn case_2k_missing_comp_ids_are_rejected_and_the_session_continues() {
    for (t, reason) in [
        (tag::TARGET_COMP_ID, 1),
        (tag::SENDER_COMP_ID, 1),
        (tag::TARGET_COMP_ID, 4),
        (tag::SENDER_COMP_ID, 4),
    ] {
        let mut d = established(acceptor());
        let utc = d.clock.utc();
        let msg = d.peer.msg(b"D", utc).set(11, "A");
        let msg = if reason == 1 {
            msg.remove(t)
        } else {
            msg.set(t, "")
        };
        let out = d.receive(msg);
        let reject = only(&out, b"3");
        assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2), "{reject:?}");
        assert_eq!(reject.num(tag::REF_TAG_ID), Some(t as u64), "{reject:?}");
        assert_eq!(
            reject.num(tag::SESSION_REJECT_REASON),
            Some(reason),
            "{reject:?}"
        );
        assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
        assert!(out.app_messages().is_empty());
        assert!(out.errors().is_empty(), "{:?}", out.errors());
        assert_eq!(d.session.next_target_seq_num(), 3);
        assert_eq!(d.session.state(), SessionState::Established);
        let msg = d.peer.msg(b"D", utc).set(11, "B");
        assert_eq!(d.receive(msg).app_messages().len(), 1);
    }
}

#[test]
fn case_2l_body_length_correct_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let bytes = d.peer.msg(b"D", utc).set(11, "A").encode();
    let out = d.input(&bytes);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2m_wrong_body_length_is_garbled() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let good = d.peer.msg_with_seq(b"D", 2, utc).set(11, "A").encode();
    let text = String::from_utf8(good.clone()).unwrap();
    let len_start = text.find("\x019=").unwrap() + 3;
    let len_end = len_start + text[len_start..].find('\x01').unwrap();
    let len: usize = text[len_start..len_end].parse().unwrap();
    let bad = format!("{}{}{}", &text[..len_start], len + 3, &text[len_end..]);
    // The framer only knows the frame is garbled once the bytes that follow
    // it arrive (here, the corrected message).
    let out = d.input(bad.as_bytes());
    assert!(out.events.is_empty() && out.bytes.is_empty());
    let out = d.input(&good);
    assert!(out.bytes.is_empty());
    assert!(matches!(out.events[0], Recorded::Garbled(_)));
    let apps = out.app_messages();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].seq(), 2);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_2n_sending_time_within_window_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set_time(tag::SENDING_TIME, utc.add_nanos(-119_000_000_000))
        .set(11, "A");
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2o_sending_time_outside_window() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set_time(tag::SENDING_TIME, utc.add_nanos(-121_000_000_000))
        .set(11, "A");
    let out = d.receive(msg);
    let msgs = out.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].msg_type(), b"3");
    assert_eq!(msgs[0].num(tag::SESSION_REJECT_REASON), Some(10));
    assert_eq!(msgs[0].num(tag::REF_TAG_ID), Some(52));
    assert_eq!(msgs[1].msg_type(), b"5");
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn case_2o_sending_time_not_utc_timestamp() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(tag::SENDING_TIME, "2024-01-15 10:00:00")
        .set(11, "A");
    let out = d.receive(msg);
    assert_eq!(out.messages()[0].num(tag::SESSION_REJECT_REASON), Some(10));
}

#[test]
fn case_2p_valid_msg_type_is_accepted() {
    let mut config = acceptor();
    config.reject_unknown_msg_types = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    for msg_type in [&b"D"[..], b"AE", b"U7"] {
        let msg = d.peer.msg(msg_type, utc).set(11, "A");
        let out = d.receive(msg);
        assert_eq!(out.app_messages().len(), 1, "{msg_type:?}");
    }
}

#[test]
fn case_2q_invalid_msg_type() {
    let mut config = acceptor();
    config.reject_unknown_msg_types = true;
    let mut d = established(config);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"ZZ", utc).set(11, "A");
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
fn case_2q_malformed_msg_type_rejected_without_any_option() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D-", utc);
    let out = d.receive(msg);
    assert_eq!(only(&out, b"3").num(tag::SESSION_REJECT_REASON), Some(11));
    // Without the option an unknown but well-formed type goes to the
    // application, which may handle it.
    let msg = d.peer.msg(b"ZZ", utc);
    let out = d.receive(msg);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2r_unsupported_msg_type() {
    let mut config = acceptor();
    config.supported_msg_types = Some(vec!["D".into(), "F".into()]);
    let mut d = established(config);
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"AE", utc).set(571, "T1");
    let out = d.receive(msg);
    let bmr = only(&out, b"j");
    assert_header(&bmr, "ACC", "INI", 2);
    assert_eq!(bmr.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(bmr.text(tag::REF_MSG_TYPE).as_deref(), Some("AE"));
    assert_eq!(bmr.num(tag::BUSINESS_REJECT_REASON), Some(3));
    assert!(out.app_messages().is_empty());
    assert_eq!(d.session.next_target_seq_num(), 3);
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    assert_eq!(d.receive(msg).app_messages().len(), 1);
}

#[test]
fn case_2s_first_three_fields_in_order_are_accepted() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.4",
        &format!("35=D|49=INI|56=ACC|34=2|52={utc}|11=A|"),
    );
    let out = d.input(&bytes);
    assert_eq!(out.app_messages().len(), 1);
}

#[test]
fn case_2t_msg_type_not_third_is_garbled() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.4",
        &format!("49=INI|35=D|56=ACC|34=2|52={utc}|11=A|"),
    );
    let out = d.input(&bytes);
    assert!(out.bytes.is_empty());
    assert!(out.app_messages().is_empty());
    assert!(out.events.iter().any(|e| matches!(e, Recorded::Garbled(_))));
    assert_eq!(d.session.next_target_seq_num(), 2);
}

#[test]
fn case_2t_body_length_not_second_is_garbled() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let good = raw_frame("FIX.4.4", &format!("35=D|49=INI|56=ACC|34=2|52={utc}|"));
    // Swap BeginString and BodyLength.
    let text = String::from_utf8(good).unwrap();
    let mut parts: Vec<&str> = text.split_inclusive('\x01').collect();
    parts.swap(0, 1);
    let out = d.input(parts.concat().as_bytes());
    assert!(out.app_messages().is_empty());
    assert!(out.events.iter().any(|e| matches!(e, Recorded::Garbled(_))));
}

#[test]
fn case_3a_valid_checksum_is_accepted() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d.peer.msg(b"D", utc).set(11, "A");
    assert_eq!(d.receive(msg).app_messages().len(), 1);
}

#[test]
fn case_3b_invalid_checksum_is_garbled() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let good = raw_frame("FIX.4.4", &format!("35=D|49=INI|56=ACC|34=2|52={utc}|"));
    let n = good.len();
    let mut bad = good.clone();
    bad[n - 2] = if bad[n - 2] == b'0' { b'1' } else { b'0' };
    let out = d.input(&bad);
    assert!(matches!(
        out.events[..],
        [Recorded::Garbled(
            fixrs_proto::FrameError::CheckSumMismatch { .. }
        )]
    ));
    assert_eq!(d.session.next_target_seq_num(), 2);
    assert_eq!(d.input(&good).app_messages().len(), 1);
}

#[test]
fn case_3c_garbage_between_messages_is_ignored() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let mut bytes = b"8=FIX.4.4\x019=abc\x01garbage\x01".to_vec();
    bytes.extend(d.peer.msg(b"D", utc).set(11, "A").encode());
    let out = d.input(&bytes);
    assert!(out.events.iter().any(|e| matches!(e, Recorded::Garbled(_))));
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_3d_checksum_not_last_is_garbled() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    // BodyLength covers a CheckSum followed by another field.
    let body = format!("35=D|49=INI|56=ACC|34=2|52={utc}|10=000|58=x|").replace('|', "\x01");
    let mut bytes = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let good = raw_frame(
        "FIX.4.4",
        &format!("35=D|49=INI|56=ACC|34=2|52={utc}|11=B|"),
    );
    bytes.extend_from_slice(&good);
    let out = d.input(&bytes);
    assert!(matches!(out.events[0], Recorded::Garbled(_)));
    let apps = out.app_messages();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].text(11).as_deref(), Some("B"));
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_3e_checksum_not_three_digits_is_garbled() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let good = raw_frame("FIX.4.4", &format!("35=D|49=INI|56=ACC|34=2|52={utc}|"));
    let n = good.len();
    // "10=NNN<SOH>" -> "10=NN<SOH>"
    let mut bytes = good[..n - 2].to_vec();
    bytes.push(0x01);
    bytes.extend_from_slice(&good);
    let out = d.input(&bytes);
    assert!(matches!(
        out.events[0],
        Recorded::Garbled(fixrs_proto::FrameError::CheckSumFormat)
    ));
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_15_header_fields_in_another_order_are_accepted() {
    let mut d = established(acceptor());
    let utc = ts(d.clock.utc());
    let bytes = raw_frame(
        "FIX.4.4",
        &format!("35=D|52={utc}|56=ACC|34=2|49=INI|11=A|55=X|"),
    );
    let out = d.input(&bytes);
    assert!(out.bytes.is_empty());
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}

#[test]
fn case_19a_poss_resend_is_passed_to_the_application() {
    // The session delivers PossResend(97)=Y messages with the flag; the
    // application, which knows the IDs it has seen, ignores a repeat.
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let first = d.peer.msg(b"D", utc).set(11, "ORD-1");
    let again = d
        .peer
        .msg(b"D", utc)
        .set(tag::POSS_RESEND, "Y")
        .set(11, "ORD-1");
    let a = d.receive(first).app_messages();
    let b = d.receive(again).app_messages();
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].text(tag::POSS_RESEND).as_deref(), Some("Y"));
    assert_eq!(b[0].text(11), a[0].text(11));
}

#[test]
fn case_19b_poss_resend_not_seen_is_processed_normally() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let msg = d
        .peer
        .msg(b"D", utc)
        .set(tag::POSS_RESEND, "Y")
        .set(11, "ORD-9");
    let out = d.receive(msg);
    assert!(out.bytes.is_empty());
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 3);
}
