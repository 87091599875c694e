//! The application's part in the session: several messages in one read
//! are handled one at a time, each answered before the next is processed,
//! and the application may reject a message (QuickFIX's exceptions from
//! fromApp/fromAdmin), which the session answers with the right Reject(3)
//! or BusinessMessageReject(j) (test cases 2r, 14e, 14f, 14m).

mod common;

use common::*;
use fixrs_proto::SessionRejectReason;
use fixrs_proto::{tag, BusinessRejectReason, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::testing::{drain, Driver, Output, Recorded, Sent};
use fixrs_session::Now;
use fixrs_session::{MessageRejection, RejectError, Session, SessionConfig, SessionState, Store};

/// An execution report answering the order `m`.
fn report_for(m: &Sent) -> MessageBuilder {
    let mut er = MessageBuilder::new(b"8");
    er.push(tag::CL_ORD_ID, m.get(tag::CL_ORD_ID).unwrap_or(b"?"))
        .push_char(tag::EXEC_TYPE, b'0')
        .push_char(tag::ORD_STATUS, b'0');
    er
}

/// An application answering every order with an execution report.
fn answer_orders(s: &mut Session, e: &Recorded, now: Now) {
    if let Recorded::App(m) = e {
        if m.msg_type() == b"D" {
            s.send(&report_for(m), now).expect("send");
        }
    }
}

/// An order from the counterparty with the next MsgSeqNum.
fn peer_order(d: &mut Driver, id: &str) -> Vec<u8> {
    let utc = d.clock.utc();
    d.peer
        .msg(b"D", utc)
        .set(tag::CL_ORD_ID, id)
        .set(tag::SYMBOL, "EUR/USD")
        .encode()
}

fn types(out: &Output) -> Vec<String> {
    out.messages()
        .iter()
        .map(|m| String::from_utf8_lossy(m.msg_type()).into_owned())
        .collect()
}

// ------------------------------------------------ one read, many messages --

#[test]
fn case_2c_answer_to_a_message_goes_out_before_the_logout_the_next_one_causes() {
    let mut d = established(acceptor());
    // One read: an order in sequence (2), then a Heartbeat whose MsgSeqNum
    // is too low without PossDupFlag, which ends the session.
    let mut bytes = peer_order(&mut d, "ORD-1");
    let utc = d.clock.utc();
    bytes.extend(d.peer.msg_with_seq(b"0", 1, utc).encode());
    let out = d.input_with(&bytes, answer_orders);

    let sent = out.messages();
    assert_eq!(types(&out), ["8", "5"], "{sent:?}");
    // The report is a new message numbered before the Logout, not a late
    // delivery resent on the next connection.
    assert_eq!(sent[0].seq(), 2);
    assert!(!sent[0].poss_dup());
    assert_eq!(sent[0].text(tag::CL_ORD_ID).as_deref(), Some("ORD-1"));
    assert_eq!(sent[1].seq(), 3);
    assert!(sent[1]
        .text(tag::TEXT)
        .is_some_and(|t| t.starts_with("MsgSeqNum too low")));
    assert_eq!(d.session.queued_len(), 0);
    assert_eq!(d.session.state(), SessionState::WaitForConfirmLogout);
}

#[test]
fn messages_of_one_read_are_processed_one_at_a_time() {
    let mut d = established(acceptor());
    let mut bytes = Vec::new();
    for id in ["ORD-1", "ORD-2", "ORD-3"] {
        bytes.extend(peer_order(&mut d, id));
    }
    // Plus the first half of a fourth.
    let fourth = peer_order(&mut d, "ORD-4");
    bytes.extend(&fourth[..20]);
    let now = d.clock.time();
    d.session.handle_input(&bytes, now);
    for (i, id) in ["ORD-1", "ORD-2", "ORD-3"].into_iter().enumerate() {
        let out = fixrs_session::testing::drain(&mut d.session);
        let apps = out.app_messages();
        assert_eq!(apps.len(), 1, "{out:?}");
        assert_eq!(apps[0].text(tag::CL_ORD_ID).as_deref(), Some(id));
        // Only this message was counted so far.
        assert_eq!(d.session.next_target_seq_num(), 3 + i as u64);
        assert!(d.session.has_pending_input());
        d.session.handle_pending_input(now);
    }
    let out = fixrs_session::testing::drain(&mut d.session);
    assert!(out.events.is_empty(), "{out:?}");
    assert!(!d.session.has_pending_input());
    // The rest of the fourth completes it.
    let out = d.input(&fourth[20..]);
    assert_eq!(out.app_messages().len(), 1);
    assert_eq!(d.session.next_target_seq_num(), 6);
}

#[test]
fn unprocessed_input_is_told_apart_from_a_pending_call() {
    let mut d = established(acceptor());
    let mut bytes = peer_order(&mut d, "ORD-1");
    bytes.extend(peer_order(&mut d, "ORD-2"));
    let now = d.clock.time();
    d.session.handle_input(&bytes, now);
    fixrs_session::testing::drain(&mut d.session);
    // The second order waits.
    assert!(d.session.has_pending_input());
    assert!(d.session.has_unprocessed_input());
    d.session.handle_pending_input(now);
    let out = fixrs_session::testing::drain(&mut d.session);
    assert_eq!(out.app_messages().len(), 1);
    // A call is still asked for, with nothing left to process.
    assert!(d.session.has_pending_input());
    assert!(!d.session.has_unprocessed_input());
}

#[test]
fn case_2b_messages_released_after_a_gap_are_answered_one_at_a_time() {
    let mut d = established(acceptor());
    let lost = peer_order(&mut d, "ORD-1");
    let mut later = peer_order(&mut d, "ORD-2");
    later.extend(peer_order(&mut d, "ORD-3"));
    // 3 and 4 arrive first: kept, and the gap asked for.
    let out = d.input_with(&later, answer_orders);
    assert_eq!(types(&out), ["2"]);
    assert!(out.app_messages().is_empty());
    // The resend of 2 releases 3 and 4; each is answered in turn.
    let mut answered = Vec::new();
    let out = d.input_with(&lost, |s, e, now| {
        if let Recorded::App(m) = e {
            // Each message is seen alone: the next is not yet counted.
            answered.push((m.seq(), s.next_target_seq_num()));
            answer_orders(s, e, now);
        }
    });
    assert_eq!(answered, [(2, 3), (3, 4), (4, 5)]);
    let reports: Vec<_> = out
        .of_type(b"8")
        .iter()
        .map(|m| m.text(tag::CL_ORD_ID).unwrap_or_default())
        .collect();
    assert_eq!(reports, ["ORD-1", "ORD-2", "ORD-3"]);
}

// --------------------------------------------- rejects the application asks --

/// Receives one message and rejects it with `rejection`; returns what the
/// session wrote and the MsgSeqNum of the rejected message.
fn reject_with(d: &mut Driver, bytes: &[u8], rejection: MessageRejection) -> (Output, Sent) {
    let mut rejected = None;
    let out = d.input_with(bytes, |s, e, now| {
        if let Recorded::App(m) | Recorded::Admin(m) = e {
            if rejected.is_none() {
                s.reject(&rejection, now).expect("reject");
                rejected = Some(m.clone());
            }
        }
    });
    (out, rejected.expect("a message to reject"))
}

#[test]
fn case_2r_application_rejects_an_unsupported_message_type_with_business_message_reject() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, rejected) = reject_with(&mut d, &bytes, MessageRejection::UnsupportedMessageType);
    let bmr = only(&out, b"j");
    assert_header(&bmr, "ACC", "INI", 2);
    assert_eq!(bmr.num(tag::REF_SEQ_NUM), Some(rejected.seq()));
    assert_eq!(bmr.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
    assert_eq!(bmr.num(tag::BUSINESS_REJECT_REASON), Some(3));
    assert_eq!(
        bmr.text(tag::TEXT).as_deref(),
        Some("Unsupported Message Type")
    );
    assert!(!bmr.has(tag::BUSINESS_REJECT_REF_ID));
    assert!(!bmr.has(tag::DEFAULT_APPL_VER_ID));
    // Reported with the message, as any reject.
    assert!(out.has(&Recorded::Rejected {
        ref_seq_num: Some(2),
        reason: None,
        ref_tag_id: None,
        business_reason: Some(BusinessRejectReason::UnsupportedMessageType),
        text: "Unsupported Message Type".into(),
        parsed: true,
        bytes: rejected.bytes.clone(),
    }));
    // Counted once; stored like any message we send.
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.next_sender_seq_num(), 3);
    let mut stored = Vec::new();
    d.store
        .lock()
        .outgoing(2, 2, &mut |seq, m| stored.push((seq, m.to_vec())))
        .unwrap();
    assert_eq!(stored, [(2, bmr.bytes.clone())]);
}

#[test]
fn case_14m_application_field_not_found_is_a_business_reject_conditionally_required() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::FieldNotFound(54));
    let bmr = only(&out, b"j");
    assert_eq!(bmr.num(tag::BUSINESS_REJECT_REASON), Some(5));
    assert_eq!(bmr.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(bmr.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
    assert_eq!(
        bmr.text(tag::TEXT).as_deref(),
        Some("Conditionally required field missing (54)")
    );
}

#[test]
fn case_14e_application_incorrect_tag_value_is_a_reject_373_5() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, rejected) = reject_with(&mut d, &bytes, MessageRejection::IncorrectTagValue(55));
    let reject = only(&out, b"3");
    assert_header(&reject, "ACC", "INI", 2);
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(55));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("D"));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(5));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Value is incorrect (out of range) for this tag")
    );
    assert!(out.has(&Recorded::Rejected {
        ref_seq_num: Some(2),
        reason: Some(SessionRejectReason::ValueIsIncorrect),
        ref_tag_id: Some(55),
        business_reason: None,
        text: "Value is incorrect (out of range) for this tag".into(),
        parsed: true,
        bytes: rejected.bytes.clone(),
    }));
    assert_eq!(d.session.next_target_seq_num(), 3);
    assert_eq!(d.session.state(), SessionState::Established);
}

#[test]
fn case_14f_application_incorrect_data_format_is_a_reject_373_6() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::IncorrectDataFormat(38));
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(38));
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(6));
}

#[test]
fn field_errors_read_with_question_mark_become_the_matching_rejection() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let bytes = d
        .peer
        .msg(b"D", utc)
        .set(tag::CL_ORD_ID, "ORD-1")
        .set(tag::ORDER_QTY, "lots")
        .set(tag::SIDE, "")
        .encode();
    let mut seen = Vec::new();
    let out = d.input_with(&bytes, |s, e, now| {
        let Recorded::App(m) = e else { return };
        let mut index = fixrs_proto::FieldIndex::new();
        let Ok(msg) = index.parse(&m.bytes) else {
            return;
        };
        let read = |t: u32| -> Result<u64, MessageRejection> { Ok(msg.get_as::<u64>(t)?) };
        seen = vec![read(tag::PRICE), read(tag::ORDER_QTY), read(tag::SIDE)];
        if let Err(r) = &seen[1] {
            s.reject(r, now).expect("reject");
        }
    });
    assert_eq!(
        seen,
        [
            Err(MessageRejection::FieldNotFound(tag::PRICE)),
            Err(MessageRejection::IncorrectDataFormat(tag::ORDER_QTY)),
            Err(MessageRejection::Session {
                reason: SessionRejectReason::TagSpecifiedWithoutValue,
                ref_tag: Some(tag::SIDE),
                text: None,
            }),
        ]
    );
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(6));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(u64::from(tag::ORDER_QTY)));
}

#[test]
fn application_chooses_the_fields_of_a_business_reject() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let rejection = MessageRejection::Business {
        reason: BusinessRejectReason::NotAuthorized,
        ref_id: Some("ORD-1".into()),
        text: Some("account closed".into()),
    };
    let (out, _) = reject_with(&mut d, &bytes, rejection);
    let bmr = only(&out, b"j");
    assert_eq!(bmr.num(tag::BUSINESS_REJECT_REASON), Some(6));
    assert_eq!(
        bmr.text(tag::BUSINESS_REJECT_REF_ID).as_deref(),
        Some("ORD-1")
    );
    assert_eq!(bmr.text(tag::TEXT).as_deref(), Some("account closed"));
}

#[test]
fn application_chooses_the_fields_of_a_session_reject() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let rejection = MessageRejection::Session {
        reason: SessionRejectReason::Other,
        ref_tag: None,
        text: Some("not today".into()),
    };
    let (out, _) = reject_with(&mut d, &bytes, rejection);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(99));
    assert!(!reject.has(tag::REF_TAG_ID));
    assert_eq!(reject.text(tag::TEXT).as_deref(), Some("not today"));
}

#[test]
fn application_field_not_found_on_a_session_message_is_a_reject_373_1() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let bytes = d.peer.msg(b"0", utc).encode();
    let (out, rejected) = reject_with(&mut d, &bytes, MessageRejection::FieldNotFound(112));
    assert_eq!(rejected.msg_type(), b"0");
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::SESSION_REJECT_REASON), Some(1));
    assert_eq!(reject.num(tag::REF_TAG_ID), Some(112));
    assert_eq!(reject.text(tag::REF_MSG_TYPE).as_deref(), Some("0"));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Required tag missing")
    );
}

#[test]
fn fix41_application_rejects_are_session_rejects_with_text() {
    let config = SessionConfig::acceptor(FixVersion::Fix41, "ACC", "INI");
    let mut d = established(config.clone());
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::UnsupportedMessageType);
    let reject = only(&out, b"3");
    assert_eq!(reject.num(tag::REF_SEQ_NUM), Some(2));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Unsupported Message Type")
    );
    for absent in [
        tag::REF_MSG_TYPE,
        tag::SESSION_REJECT_REASON,
        tag::REF_TAG_ID,
    ] {
        assert!(!reject.has(absent), "{reject:?}");
    }
    // FieldNotFound has no BusinessMessageReject to go to either.
    let mut d = established(config);
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::FieldNotFound(54));
    let reject = only(&out, b"3");
    assert!(!reject.has(tag::BUSINESS_REJECT_REASON));
    // No RefTagID(371) in FIX 4.1: the tag is named in the text.
    assert!(!reject.has(tag::REF_TAG_ID));
    assert_eq!(
        reject.text(tag::TEXT).as_deref(),
        Some("Required tag missing (54)")
    );
}

#[test]
fn fixt_business_reject_carries_default_appl_ver_id() {
    let mut d = established(SessionConfig::acceptor(FixVersion::Fix50Sp2, "ACC", "INI"));
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::UnsupportedMessageType);
    let bmr = only(&out, b"j");
    assert_eq!(bmr.text(tag::BEGIN_STRING).as_deref(), Some("FIXT.1.1"));
    assert_eq!(bmr.text(tag::DEFAULT_APPL_VER_ID).as_deref(), Some("9"));
}

#[test]
fn application_answers_go_out_before_its_reject() {
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let out = d.input_with(&bytes, |s, e, now| {
        if let Recorded::App(m) = e {
            s.send(&report_for(m), now).expect("send");
            s.reject(&MessageRejection::IncorrectTagValue(55), now)
                .expect("reject");
        }
    });
    assert_eq!(types(&out), ["8", "3"]);
}

#[test]
fn case_8_rejects_are_gap_filled_on_resend_business_rejects_resent() {
    // A session-level Reject(3) is gap-filled like the other session-level
    // messages (QuickFIX's isAdminMsgType); a BusinessMessageReject(j) is
    // an application message and is resent.
    let mut d = established(acceptor());
    let first = peer_order(&mut d, "ORD-1");
    reject_with(&mut d, &first, MessageRejection::UnsupportedMessageType);
    let second = peer_order(&mut d, "ORD-2");
    reject_with(&mut d, &second, MessageRejection::IncorrectTagValue(55));
    let third = peer_order(&mut d, "ORD-3");
    reject_with(&mut d, &third, MessageRejection::UnsupportedMessageType);
    let utc = d.clock.utc();
    let rr = d
        .peer
        .msg(b"2", utc)
        .set(tag::BEGIN_SEQ_NO, "2")
        .set(tag::END_SEQ_NO, "0");
    let out = d.receive(rr);
    let sent = out.messages();
    assert_eq!(types(&out), ["j", "4", "j"], "{sent:?}");
    assert!(sent[0].poss_dup() && sent[0].seq() == 2);
    assert_eq!(sent[1].seq(), 3);
    assert_eq!(sent[1].text(tag::GAP_FILL_FLAG).as_deref(), Some("Y"));
    assert_eq!(sent[1].num(tag::NEW_SEQ_NO), Some(4));
    assert!(sent[2].poss_dup() && sent[2].seq() == 4);
    assert_eq!(sent[2].num(tag::REF_SEQ_NUM), Some(4));
}

#[test]
fn reject_needs_a_message_that_was_handed_out() {
    let mut d = established(acceptor());
    let now = d.clock.time();
    // The peer's Logon was the last message: refused otherwise.
    assert_eq!(
        d.session
            .reject(&MessageRejection::UnsupportedMessageType, now),
        Err(RejectError::Logon)
    );
    let bytes = peer_order(&mut d, "ORD-1");
    let (out, _) = reject_with(&mut d, &bytes, MessageRejection::UnsupportedMessageType);
    only(&out, b"j");
    // Once only.
    assert_eq!(
        d.session
            .reject(&MessageRejection::UnsupportedMessageType, now),
        Err(RejectError::NoMessage)
    );
    // Not after the link went down.
    let bytes = peer_order(&mut d, "ORD-2");
    d.input(&bytes);
    d.link_down();
    assert!(d
        .session
        .reject(&MessageRejection::UnsupportedMessageType, now)
        .is_err());
    assert_eq!(d.session.next_sender_seq_num(), 3);
}

#[test]
fn a_message_stays_rejectable_after_the_events_were_drained() {
    // A driver that collects messages, drains everything, then lets the
    // application decide.
    let mut d = established(acceptor());
    let bytes = peer_order(&mut d, "ORD-1");
    let out = d.input(&bytes);
    assert_eq!(out.app_messages().len(), 1);
    // More inputs that deliver nothing do not lose it.
    d.advance(std::time::Duration::from_secs(1));
    let now = d.clock.time();
    d.session
        .reject(&MessageRejection::FieldNotFound(54), now)
        .expect("reject");
    let out = fixrs_session::testing::drain(&mut d.session);
    let bmr = only(&out, b"j");
    assert_eq!(bmr.num(tag::REF_SEQ_NUM), Some(2));
}

/// A message handed over as its encoded parts (as the engine keeps the
/// messages put on it) is sent, or kept for late delivery, exactly as the
/// same message given as a builder.
#[test]
fn send_fields_is_send_of_the_same_message() {
    let mut msg = order(1);
    msg.header_mut().push_str(tag::ON_BEHALF_OF_COMP_ID, "DESK");
    for logged_on in [true, false] {
        let start = || {
            if logged_on {
                established(initiator())
            } else {
                Driver::new(initiator())
            }
        };
        let (mut a, mut b) = (start(), start());
        let by_builder = a.session.send(&msg, a.clock.time()).expect("send");
        let by_fields = b
            .session
            .send_fields(msg.msg_type(), msg.header(), msg.body(), b.clock.time())
            .expect("send_fields");
        assert_eq!(by_builder, by_fields);
        let (out_a, out_b) = (drain(&mut a.session), drain(&mut b.session));
        assert_eq!(out_a.bytes, out_b.bytes);
        if logged_on {
            let sent = only(&out_b, b"D");
            assert_eq!(
                sent.text(tag::ON_BEHALF_OF_COMP_ID).as_deref(),
                Some("DESK")
            );
        }
    }
    // What send refuses, send_fields refuses.
    let mut d = established(initiator());
    let now = d.clock.time();
    assert!(d.session.send_fields(b"A", b"", b"98=0\x01", now).is_err());
    assert!(d.session.send_fields(b"", b"", b"", now).is_err());
}
