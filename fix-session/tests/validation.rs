//! FIX Session Layer Test Cases 14a-14k: message validation.

mod common;

use common::*;
use fix_proto::tag;
use fix_session::testing::Recorded;

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
