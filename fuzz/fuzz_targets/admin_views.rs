//! Arbitrary bytes indexed as a message (directly, and through the
//! framer), read through every admin view and every typed value: nothing
//! panics, and values that parse write back to text that parses to the
//! same value.
#![no_main]

use fixrs_proto::admin::{
    AdminView, BusinessMessageRejectView, HeartbeatView, LogonView, LogoutView, RejectView,
    ResendRequestView, SequenceResetView, TestRequestView,
};
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::{FieldIndex, Message};
use fixrs_proto::value::{
    grammar, Decimal, LocalMktDate, MonthYear, MultipleCharValue, MultipleValueString, NumInGroup,
    SeqNum, TimePrecision, TzTimeOnly, TzTimestamp, UtcDateOnly, UtcTimeOnly, UtcTimestamp,
};
use fixrs_proto::{FromFixValue, ToFixValue};
use libfuzzer_sys::fuzz_target;

/// Parses `bytes` as `T`; if it parses, writing it and parsing again must
/// give the same value.
fn round_trip<T>(bytes: &[u8])
where
    T: for<'b> FromFixValue<'b> + ToFixValue + PartialEq + std::fmt::Debug,
{
    if let Ok(v) = T::from_fix_value(bytes) {
        let mut out = Vec::new();
        v.write_fix_value(&mut out);
        let back = T::from_fix_value(&out);
        assert_eq!(
            back.as_ref(),
            Ok(&v),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn values(bytes: &[u8]) {
    round_trip::<Decimal>(bytes);
    round_trip::<SeqNum>(bytes);
    round_trip::<NumInGroup>(bytes);
    round_trip::<UtcDateOnly>(bytes);
    round_trip::<LocalMktDate>(bytes);
    round_trip::<MonthYear>(bytes);
    round_trip::<u64>(bytes);
    round_trip::<i64>(bytes);
    // Written at nanosecond precision, so exact.
    if let Ok(t) = UtcTimestamp::parse(bytes) {
        let mut out = Vec::new();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(UtcTimestamp::parse(&out), Ok(t));
    }
    assert_eq!(
        UtcTimestamp::parse(bytes),
        grammar::parse_utc_timestamp(bytes)
    );
    if let Ok(t) = UtcTimeOnly::from_fix_value(bytes) {
        let mut out = Vec::new();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(UtcTimeOnly::from_fix_value(&out), Ok(t));
    }
    if let Ok(t) = TzTimeOnly::from_fix_value(bytes) {
        let mut out = Vec::new();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(TzTimeOnly::from_fix_value(&out), Ok(t));
    }
    if let Ok(t) = TzTimestamp::from_fix_value(bytes) {
        let mut out = Vec::new();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(TzTimestamp::from_fix_value(&out), Ok(t));
        let _ = t.to_utc();
    }
    if let Ok(v) = MultipleValueString::from_fix_value(bytes) {
        assert_eq!(v.iter().count(), v.len());
        assert!(v.iter().all(|e| !e.is_empty()));
    }
    if let Ok(v) = MultipleCharValue::from_fix_value(bytes) {
        assert_eq!(v.iter().count(), v.len());
    }
}

fn views(msg: &Message<'_>) {
    if let Ok(v) = LogonView::from_message(msg) {
        let _ = (v.encrypt_method(), v.heart_bt_int(), v.raw_data());
        let _ = (v.reset_seq_num_flag(), v.next_expected_msg_seq_num());
        let _ = (v.max_message_size(), v.test_message_indicator());
        let _ = (v.username(), v.password(), v.new_password());
        let _ = v.default_appl_ver_id();
    }
    if let Ok(v) = HeartbeatView::from_message(msg) {
        let _ = v.test_req_id();
    }
    if let Ok(v) = TestRequestView::from_message(msg) {
        let _ = v.test_req_id();
    }
    if let Ok(v) = ResendRequestView::from_message(msg) {
        let _ = (v.begin_seq_no(), v.end_seq_no());
    }
    if let Ok(v) = RejectView::from_message(msg) {
        let _ = (v.ref_seq_num(), v.ref_tag_id(), v.ref_msg_type());
        let _ = (v.session_reject_reason(), v.session_reject_reason_code());
        let _ = v.text();
    }
    if let Ok(v) = SequenceResetView::from_message(msg) {
        let _ = (v.gap_fill(), v.new_seq_no());
    }
    if let Ok(v) = LogoutView::from_message(msg) {
        let _ = (v.text(), v.session_status());
    }
    if let Ok(v) = BusinessMessageRejectView::from_message(msg) {
        let _ = (
            v.ref_seq_num(),
            v.ref_msg_type(),
            v.business_reject_ref_id(),
        );
        let _ = (v.business_reject_reason(), v.business_reject_reason_code());
        let _ = v.text();
    }
    let _ = AdminView::from_message(msg);
    for f in msg.fields() {
        values(f.value);
        if let Err(e) = msg.get_as::<SeqNum>(f.tag) {
            let _ = e.session_reject_reason();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut index = FieldIndex::new();
    if let Ok(msg) = index.parse(data) {
        views(&msg);
    }
    let mut decoder = Decoder::default();
    decoder.feed(data);
    while let Some(r) = decoder.next_frame() {
        if let Ok(frame) = r {
            let mut index = FieldIndex::new();
            if let Ok(msg) = index.parse(frame) {
                views(&msg);
            }
        }
    }
});
