//! No allocation per message once warm: framing, indexing, typed reads,
//! admin views, encoding and admin builders are counted with a global
//! allocator that counts per thread.

mod common;

use fixrs_proto::admin::{
    AdminMessage, AdminView, Heartbeat, Logon, Reject, ResendRequest, SequenceReset,
};
use fixrs_proto::encode::{Encoder, FieldWriter, MessageBuilder};
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::FieldIndex;
use fixrs_proto::value::{Decimal, SeqNum, UtcTimestamp};
use fixrs_proto::{tag, SessionRejectReason};
use fixrs_test_support::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations made on this thread by `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    fixrs_test_support::allocations_in(f).1
}

const ER: &str = "8=FIX.4.4|9=189|35=8|49=EXCHANGE|56=CLIENT12|34=87|52=20240115-10:30:00.125|37=OID-12345|17=EID-0067|150=F|39=1|55=AAPL|54=1|38=100|44=150.25|32=40|31=150.25|151=60|14=40|6=150.25|60=20240115-10:30:00.124|10=214|";

#[test]
fn decoding_allocates_nothing_once_warm() {
    let er = common::soh(ER);
    let logon = {
        let mut enc = Encoder::new();
        enc.start("FIX.4.4", Logon::MSG_TYPE)
            .push_str(tag::SENDER_COMP_ID, "A")
            .push_str(tag::TARGET_COMP_ID, "B")
            .push_uint(tag::MSG_SEQ_NUM, 1);
        Logon::new(30).reset_seq_num(true).write_body(&mut enc);
        enc.finish().to_vec()
    };
    let mut d = Decoder::default();
    let mut idx = FieldIndex::new();
    let round = |d: &mut Decoder, idx: &mut FieldIndex| {
        for bytes in [&er, &logon] {
            // Split in two to exercise buffering.
            d.feed(&bytes[..10]);
            assert!(d.next_frame().is_none());
            d.feed(&bytes[10..]);
            let frame = d.next_frame().expect("complete").expect("well-formed");
            let msg = idx.parse(frame).expect("indexes");
            assert!(msg.msg_seq_num().is_ok());
            let _: UtcTimestamp = msg.get_as(tag::SENDING_TIME).unwrap_or_default();
            let _: Option<Decimal> = msg.get_opt(44).expect("price");
            if let Some(AdminView::Logon(v)) = AdminView::from_message(&msg) {
                assert_eq!(v.heart_bt_int(), Ok(30));
                assert_eq!(v.reset_seq_num_flag(), Ok(true));
            }
        }
    };
    // Warm up: buffers grow to their working size.
    for _ in 0..3 {
        round(&mut d, &mut idx);
    }
    let n = allocations(|| {
        for _ in 0..1000 {
            round(&mut d, &mut idx);
        }
    });
    assert_eq!(n, 0, "allocations while decoding warm");
}

#[test]
fn encoding_allocates_nothing_once_warm() {
    let now = UtcTimestamp::from_unix(1_705_314_600, 123_000_000);
    let price = Decimal::new(15025, 2).expect("price");
    let mut enc = Encoder::new();
    let mut app = MessageBuilder::new(b"D");
    let round = |enc: &mut Encoder, app: &mut MessageBuilder| {
        app.reset(b"D");
        app.push_str(tag::CL_ORD_ID, "ORD-1")
            .push_value(44, &price)
            .push_uint(38, 100);
        enc.start("FIX.4.4", app.msg_type())
            .push_str(tag::SENDER_COMP_ID, "CLIENT12")
            .push_str(tag::TARGET_COMP_ID, "EXCHANGE")
            .push_uint(tag::MSG_SEQ_NUM, 215);
        enc.push_timestamp(tag::SENDING_TIME, now);
        enc.push_raw(app.body());
        assert!(!enc.finish().is_empty());
        let seq: SeqNum = 7;
        for body in [
            &Heartbeat::answering(b"TEST-1") as &dyn WriteBody,
            &ResendRequest::new(seq, None),
            &SequenceReset::gap_fill(seq),
            &Reject::new(seq, SessionRejectReason::RequiredTagMissing)
                .ref_tag(tag::ORIG_SENDING_TIME)
                .text("Required tag missing"),
        ] {
            enc.start("FIX.4.4", body.msg_type())
                .push_uint(tag::MSG_SEQ_NUM, 9);
            body.write(enc);
            assert!(!enc.finish().is_empty());
        }
    };
    for _ in 0..3 {
        round(&mut enc, &mut app);
    }
    let n = allocations(|| {
        for _ in 0..1000 {
            round(&mut enc, &mut app);
        }
    });
    assert_eq!(n, 0, "allocations while encoding warm");
}

/// Object-safe access to the admin builders, to loop over several.
trait WriteBody {
    fn msg_type(&self) -> &'static [u8];
    fn write(&self, enc: &mut Encoder);
}

impl<M: AdminMessage> WriteBody for M {
    fn msg_type(&self) -> &'static [u8] {
        M::MSG_TYPE
    }
    fn write(&self, enc: &mut Encoder) {
        self.write_body(enc)
    }
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(16));
    });
    assert_eq!(n, 1);
}
