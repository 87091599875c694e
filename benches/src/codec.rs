//! The codec measured against fefix 0.7 on the same bytes, in the same
//! process: framing + indexing (BodyLength and CheckSum verified), the same
//! plus typed reads, a repeating group read through the dictionary,
//! encoding and validation. Shared by the `codec` criterion bench and
//! `perf-report`.

use fixrs_proto::dictionary::{Dictionary, GroupDef};
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::FieldIndex;
use fixrs_proto::validate::{ValidationOptions, Validator};
use fixrs_proto::value::{Decimal, UtcTimestamp};
use fixrs_proto::{tag, FixVersion, FromFixValue};
use std::hint::black_box;
use std::time::Instant;

/// A NewOrderSingle (192 bytes).
pub const NOS: &str = "8=FIX.4.4|9=178|35=D|49=CLIENT12|56=EXCHANGE|34=215|52=20240115-10:30:00.123|11=ORD-20240115-0000000001|1=ACCT-PRIME-000123|21=1|55=AAPL|54=1|60=20240115-10:30:00.100|38=100|40=2|44=150.25|59=0|10=141|";
/// An ExecutionReport (a partial fill, 217 bytes).
pub const ER: &str = "8=FIX.4.4|9=189|35=8|49=EXCHANGE|56=CLIENT12|34=87|52=20240115-10:30:00.125|37=OID-12345|17=EID-0067|150=F|39=1|55=AAPL|54=1|38=100|44=150.25|32=40|31=150.25|151=60|14=40|6=150.25|60=20240115-10:30:00.124|10=214|";
/// A MarketDataSnapshotFullRefresh with ten MDEntries (269, 270, 271, 290).
pub const MD: &str = "8=FIX.4.4|9=399|35=W|49=EXCHANGE|56=CLIENT12|34=1042|52=20240115-10:30:00.200|262=MDREQ-1|55=AAPL|268=10|269=0|270=150.25|271=100|290=1|269=0|270=150.24|271=200|290=2|269=0|270=150.23|271=300|290=3|269=0|270=150.22|271=400|290=4|269=0|270=150.21|271=500|290=5|269=1|270=150.26|271=100|290=1|269=1|270=150.27|271=200|290=2|269=1|270=150.28|271=300|290=3|269=1|270=150.29|271=400|290=4|269=1|270=150.30|271=500|290=5|10=029|";

// Application tags of the reference messages (fixrs-proto names only the
// session-level ones in `tag`).
const HANDL_INST: u32 = 21;
const ORDER_QTY: u32 = 38;
const ORD_TYPE: u32 = 40;
const PRICE: u32 = 44;
const SIDE: u32 = 54;
const SYMBOL: u32 = 55;
const TIME_IN_FORCE: u32 = 59;
const TRANSACT_TIME: u32 = 60;
const NO_MD_ENTRIES: u32 = 268;
const MD_ENTRY_TYPE: u32 = 269;
const MD_ENTRY_POSITION_NO: u32 = 290;
const MD_ENTRY_PX: u32 = 270;
const MD_ENTRY_SIZE: u32 = 271;

/// `|`-separated text as wire bytes.
pub fn wire(s: &str) -> Vec<u8> {
    s.replace('|', "\x01").into_bytes()
}

/// The three reference messages by short name, as wire bytes.
pub fn messages() -> [(&'static str, Vec<u8>); 3] {
    [
        ("nos", wire(NOS)),
        ("er", wire(ER)),
        ("md_snapshot", wire(MD)),
    ]
}

/// Frames one message through a reused decoder and indexes it; returns
/// its field count.
#[inline]
pub fn frame_index(dec: &mut Decoder, idx: &mut FieldIndex, bytes: &[u8]) -> usize {
    dec.feed(bytes);
    let frame = match dec.next_frame() {
        Some(Ok(frame)) => frame,
        other => panic!("bench message did not frame: {other:?}"),
    };
    idx.parse(frame).expect("bench message indexes").len()
}

/// Frames, indexes and reads typed fields: MsgSeqNum(34), SendingTime(52)
/// and two decimals (Price(44) and OrderQty(38); for the snapshot, every
/// MDEntryPx(270) and MDEntrySize(271)).
#[inline]
pub fn frame_index_typed(dec: &mut Decoder, idx: &mut FieldIndex, bytes: &[u8]) -> i64 {
    dec.feed(bytes);
    let frame = match dec.next_frame() {
        Some(Ok(frame)) => frame,
        other => panic!("bench message did not frame: {other:?}"),
    };
    let msg = idx.parse(frame).expect("bench message indexes");
    let seq: u64 = msg.get_as(tag::MSG_SEQ_NUM).expect("34");
    let sent: UtcTimestamp = msg.get_as(tag::SENDING_TIME).expect("52");
    let mut acc = seq as i64 + sent.unix_secs();
    if msg.msg_type() == b"W" {
        for f in msg.body() {
            if f.tag == MD_ENTRY_PX || f.tag == MD_ENTRY_SIZE {
                let d = Decimal::from_fix_value(msg.value_of(f)).expect("decimal");
                acc += d.mantissa();
            }
        }
    } else {
        let px: Decimal = msg.get_as(PRICE).expect("44");
        let qty: Decimal = msg.get_as(ORDER_QTY).expect("38");
        acc += px.mantissa() + qty.mantissa();
    }
    acc
}

/// Frames and indexes the snapshot, then reads its NoMDEntries(268) group
/// through the FIX 4.4 dictionary's layout: per entry MDEntryType(269) as a
/// char, MDEntryPx(270) and MDEntrySize(271) as decimals and
/// MDEntryPositionNo(290) as an integer.
#[inline]
pub fn md_groups(
    dec: &mut Decoder,
    idx: &mut FieldIndex,
    entries: GroupDef<'static>,
    bytes: &[u8],
) -> i64 {
    dec.feed(bytes);
    let frame = match dec.next_frame() {
        Some(Ok(frame)) => frame,
        other => panic!("bench message did not frame: {other:?}"),
    };
    let msg = idx.parse(frame).expect("bench message indexes");
    let mut acc = 0i64;
    for entry in msg.group(entries).expect("NoMDEntries") {
        let kind: char = entry.get_as(MD_ENTRY_TYPE).expect("269");
        let px: Decimal = entry.get_as(MD_ENTRY_PX).expect("270");
        let size: Decimal = entry.get_as(MD_ENTRY_SIZE).expect("271");
        let pos: u32 = entry.get_as(MD_ENTRY_POSITION_NO).expect("290");
        acc += kind as i64 + px.mantissa() + size.mantissa() + pos as i64;
    }
    acc
}

/// The NoMDEntries(268) group of MarketDataSnapshotFullRefresh in FIX 4.4.
pub fn md_entries_layout() -> GroupDef<'static> {
    Dictionary::builtin(FixVersion::Fix44)
        .message(b"W")
        .and_then(|m| m.group(NO_MD_ENTRIES))
        .expect("FIX 4.4 W has NoMDEntries")
}

/// The typed values of the reference NewOrderSingle.
#[derive(Debug, Clone, Copy)]
pub struct NosInput {
    sending_time: UtcTimestamp,
    transact_time: UtcTimestamp,
    price: Decimal,
}

/// The values [`encode_nos`] writes.
pub fn nos_input() -> NosInput {
    NosInput {
        sending_time: UtcTimestamp::parse(b"20240115-10:30:00.123").expect("time"),
        transact_time: UtcTimestamp::parse(b"20240115-10:30:00.100").expect("time"),
        price: Decimal::new(15025, 2).expect("price"),
    }
}

/// Encodes the reference NewOrderSingle from scratch, 9 and 10 included.
#[inline]
pub fn encode_nos<'e>(enc: &'e mut Encoder, input: &NosInput) -> &'e [u8] {
    enc.start("FIX.4.4", b"D")
        .push_str(tag::SENDER_COMP_ID, "CLIENT12")
        .push_str(tag::TARGET_COMP_ID, "EXCHANGE")
        .push_uint(tag::MSG_SEQ_NUM, 215);
    enc.push_timestamp(tag::SENDING_TIME, input.sending_time);
    enc.push_str(tag::CL_ORD_ID, "ORD-20240115-0000000001")
        .push_str(tag::ACCOUNT, "ACCT-PRIME-000123")
        .push_char(HANDL_INST, b'1')
        .push_str(SYMBOL, "AAPL")
        .push_char(SIDE, b'1');
    enc.push_timestamp(TRANSACT_TIME, input.transact_time);
    enc.push_uint(ORDER_QTY, 100)
        .push_char(ORD_TYPE, b'2')
        .push_value(PRICE, &input.price)
        .push_char(TIME_IN_FORCE, b'0');
    enc.finish()
}

/// Indexes a message (already framed) and validates it against the FIX 4.4
/// dictionary; panics if it is not valid.
#[inline]
pub fn index_validate(idx: &mut FieldIndex, validator: &mut Validator, bytes: &[u8]) -> usize {
    let msg = idx.parse(bytes).expect("bench message indexes");
    validator
        .validate(Dictionary::builtin(FixVersion::Fix44), &msg)
        .expect("bench message is valid FIX 4.4");
    msg.len()
}

/// A validator with the default options.
pub fn validator() -> Validator {
    Validator::new(ValidationOptions::default())
}

/// A fefix decoder for FIX 4.4; its default configuration verifies
/// BodyLength and CheckSum, as ours does.
pub fn fefix_decoder() -> fefix::tagvalue::Decoder<fefix::tagvalue::Config> {
    fefix::tagvalue::Decoder::new(fefix::Dictionary::fix44())
}

/// fefix's counterpart of [`frame_index`].
pub fn fefix_decode(dec: &mut fefix::tagvalue::Decoder, bytes: &[u8]) -> usize {
    dec.decode(bytes).expect("fefix decodes").len()
}

/// fefix's counterpart of [`frame_index_typed`].
pub fn fefix_decode_typed(dec: &mut fefix::tagvalue::Decoder, bytes: &[u8]) -> f64 {
    use fefix::FixValue;
    let msg = dec.decode(bytes).expect("fefix decodes");
    // fefix's lookup by tag misses header fields of messages with groups,
    // so fields are read in one pass. It has no exact decimal type without
    // extra features: f64 is its closest.
    let mut acc = 0.0;
    for (tag, value) in msg.fields() {
        match tag.get() as u32 {
            tag::MSG_SEQ_NUM => acc += u64::deserialize(value).expect("34") as f64,
            tag::SENDING_TIME => {
                black_box(fefix::fix_values::Timestamp::deserialize(value).expect("52"));
            }
            PRICE | ORDER_QTY | MD_ENTRY_PX | MD_ENTRY_SIZE => {
                acc += f64::deserialize(value).expect("decimal")
            }
            _ => {}
        }
    }
    acc
}

/// How many calls a codec measurement makes.
#[derive(Debug, Clone, Copy)]
pub struct Batches {
    /// Calls per batch (timed together).
    pub calls: u32,
    /// Batches; the median batch is reported.
    pub batches: usize,
}

impl Default for Batches {
    fn default() -> Self {
        Batches {
            calls: 2_000,
            batches: 101,
        }
    }
}

/// Median nanoseconds per call of `f`, over batches, after a warm-up of
/// five batches. Batch medians are robust to the interruptions of a shared
/// machine.
pub fn median_ns(batches: Batches, mut f: impl FnMut()) -> f64 {
    let calls = batches.calls.max(1);
    for _ in 0..calls * 5 {
        f();
    }
    let mut samples: Vec<f64> = (0..batches.batches.max(1))
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One measurement of every codec operation: nanoseconds per message.
#[derive(Debug, Clone, Default)]
pub struct CodecRun {
    /// Frame + index, ours, for NOS, ER and MD.
    pub frame_index: [f64; 3],
    /// Frame + index, fefix.
    pub fefix_frame_index: [f64; 3],
    /// Frame + index + typed reads, ours.
    pub typed: [f64; 3],
    /// Frame + index + typed reads, fefix.
    pub fefix_typed: [f64; 3],
    /// The snapshot's group read through the dictionary.
    pub md_groups: f64,
    /// Encoding the NewOrderSingle.
    pub encode: f64,
    /// Indexing and validating the ExecutionReport.
    pub validate: f64,
    /// Allocations our decode, group, encode and validate paths made once
    /// warm (zero expected; counted only when the process installed
    /// `fixrs_test_support::CountingAllocator`).
    pub our_allocations: u64,
}

/// Measures every codec operation once (each as the median of its
/// batches).
pub fn measure(batches: Batches) -> CodecRun {
    let mut run = CodecRun::default();
    let mut dec = Decoder::default();
    let mut idx = FieldIndex::new();
    let mut fe = fefix_decoder();
    let mut allocations = 0;
    for (i, (_, bytes)) in messages().iter().enumerate() {
        run.frame_index[i] = median_ns(batches, || {
            black_box(frame_index(&mut dec, &mut idx, black_box(bytes)));
        });
        run.fefix_frame_index[i] = median_ns(batches, || {
            black_box(fefix_decode(&mut fe, black_box(bytes)));
        });
        run.typed[i] = median_ns(batches, || {
            black_box(frame_index_typed(&mut dec, &mut idx, black_box(bytes)));
        });
        run.fefix_typed[i] = median_ns(batches, || {
            black_box(fefix_decode_typed(&mut fe, black_box(bytes)));
        });
        allocations += fixrs_test_support::allocations_in(|| {
            for _ in 0..100 {
                black_box(frame_index(&mut dec, &mut idx, black_box(bytes)));
                black_box(frame_index_typed(&mut dec, &mut idx, black_box(bytes)));
            }
        })
        .1;
    }
    let layout = md_entries_layout();
    let md = wire(MD);
    run.md_groups = median_ns(batches, || {
        black_box(md_groups(&mut dec, &mut idx, layout, black_box(&md)));
    });
    let input = nos_input();
    let mut enc = Encoder::new();
    run.encode = median_ns(batches, || {
        black_box(encode_nos(&mut enc, black_box(&input)).len());
    });
    let er = wire(ER);
    let mut validator = validator();
    run.validate = median_ns(batches, || {
        black_box(index_validate(&mut idx, &mut validator, black_box(&er)));
    });
    allocations += fixrs_test_support::allocations_in(|| {
        for _ in 0..100 {
            black_box(md_groups(&mut dec, &mut idx, layout, black_box(&md)));
            black_box(encode_nos(&mut enc, black_box(&input)).len());
            black_box(index_validate(&mut idx, &mut validator, black_box(&er)));
        }
    })
    .1;
    run.our_allocations = allocations;
    run
}
