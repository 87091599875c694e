//! Codec benchmarks: framing + indexing (BodyLength and CheckSum verified),
//! typed reads, encoding, and the same bytes decoded by fefix 0.7 for
//! comparison.
//!
//! Run with
//! `cargo bench -p fixrs-proto --bench codec -- --warm-up-time 1 --measurement-time 3`.
//! After the criterion groups a summary measures medians of its own
//! (batches of iterations, same process) and prints our/fefix ratios, and
//! checks with a counting global allocator that decoding and encoding
//! allocate nothing once warm (the process exits non-zero if they do).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use fixrs_proto::dictionary::{Dictionary, GroupDef};
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::FieldIndex;
use fixrs_proto::value::{grammar, Decimal, UtcTimestamp};
use fixrs_proto::{tag, FixVersion, FromFixValue};

/// Counts allocations while `COUNTING` is set.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const NOS: &str = "8=FIX.4.4|9=178|35=D|49=CLIENT12|56=EXCHANGE|34=215|52=20240115-10:30:00.123|11=ORD-20240115-0000000001|1=ACCT-PRIME-000123|21=1|55=AAPL|54=1|60=20240115-10:30:00.100|38=100|40=2|44=150.25|59=0|10=141|";
const ER: &str = "8=FIX.4.4|9=189|35=8|49=EXCHANGE|56=CLIENT12|34=87|52=20240115-10:30:00.125|37=OID-12345|17=EID-0067|150=F|39=1|55=AAPL|54=1|38=100|44=150.25|32=40|31=150.25|151=60|14=40|6=150.25|60=20240115-10:30:00.124|10=214|";
/// MarketDataSnapshotFullRefresh with ten MDEntries (269, 270, 271, 290).
const MD: &str = "8=FIX.4.4|9=399|35=W|49=EXCHANGE|56=CLIENT12|34=1042|52=20240115-10:30:00.200|262=MDREQ-1|55=AAPL|268=10|269=0|270=150.25|271=100|290=1|269=0|270=150.24|271=200|290=2|269=0|270=150.23|271=300|290=3|269=0|270=150.22|271=400|290=4|269=0|270=150.21|271=500|290=5|269=1|270=150.26|271=100|290=1|269=1|270=150.27|271=200|290=2|269=1|270=150.28|271=300|290=3|269=1|270=150.29|271=400|290=4|269=1|270=150.30|271=500|290=5|10=029|";

// Application tags of the reference messages (the crate names only the
// session-level ones).
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

fn wire(s: &str) -> Vec<u8> {
    s.replace('|', "\x01").into_bytes()
}

fn messages() -> [(&'static str, Vec<u8>); 3] {
    [
        ("nos", wire(NOS)),
        ("er", wire(ER)),
        ("md_snapshot", wire(MD)),
    ]
}

/// Frames one message through a reused decoder and indexes it.
#[inline]
fn frame_index(dec: &mut Decoder, idx: &mut FieldIndex, bytes: &[u8]) -> usize {
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
fn frame_index_typed(dec: &mut Decoder, idx: &mut FieldIndex, bytes: &[u8]) -> i64 {
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
fn md_groups(
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
fn md_entries_layout() -> GroupDef<'static> {
    Dictionary::builtin(FixVersion::Fix44)
        .message(b"W")
        .and_then(|m| m.group(NO_MD_ENTRIES))
        .expect("FIX 4.4 W has NoMDEntries")
}

struct NosInput {
    sending_time: UtcTimestamp,
    transact_time: UtcTimestamp,
    price: Decimal,
}

fn nos_input() -> NosInput {
    NosInput {
        sending_time: UtcTimestamp::parse(b"20240115-10:30:00.123").expect("time"),
        transact_time: UtcTimestamp::parse(b"20240115-10:30:00.100").expect("time"),
        price: Decimal::new(15025, 2).expect("price"),
    }
}

/// Encodes the reference NewOrderSingle from scratch, 9 and 10 included.
#[inline]
fn encode_nos<'e>(enc: &'e mut Encoder, input: &NosInput) -> &'e [u8] {
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

fn fefix_decoder() -> fefix::tagvalue::Decoder<fefix::tagvalue::Config> {
    // The default configuration verifies BodyLength and CheckSum.
    fefix::tagvalue::Decoder::new(fefix::Dictionary::fix44())
}

fn fefix_decode(dec: &mut fefix::tagvalue::Decoder, bytes: &[u8]) -> usize {
    dec.decode(bytes).expect("fefix decodes").len()
}

fn fefix_decode_typed(dec: &mut fefix::tagvalue::Decoder, bytes: &[u8]) -> f64 {
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

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_index");
    for (name, bytes) in messages() {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut dec = Decoder::default();
        let mut idx = FieldIndex::new();
        g.bench_with_input(BenchmarkId::new("ours", name), &bytes, |b, bytes| {
            b.iter(|| frame_index(&mut dec, &mut idx, black_box(bytes)))
        });
        let mut fe = fefix_decoder();
        g.bench_with_input(BenchmarkId::new("fefix", name), &bytes, |b, bytes| {
            b.iter(|| fefix_decode(&mut fe, black_box(bytes)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("frame_index_typed");
    for (name, bytes) in messages() {
        let mut dec = Decoder::default();
        let mut idx = FieldIndex::new();
        g.bench_with_input(BenchmarkId::new("ours", name), &bytes, |b, bytes| {
            b.iter(|| frame_index_typed(&mut dec, &mut idx, black_box(bytes)))
        });
        let mut fe = fefix_decoder();
        g.bench_with_input(BenchmarkId::new("fefix", name), &bytes, |b, bytes| {
            b.iter(|| fefix_decode_typed(&mut fe, black_box(bytes)))
        });
    }
    g.finish();
}

fn bench_groups(c: &mut Criterion) {
    let layout = md_entries_layout();
    let bytes = wire(MD);
    let mut dec = Decoder::default();
    let mut idx = FieldIndex::new();
    c.bench_function("frame_index_groups/md_snapshot", |b| {
        b.iter(|| md_groups(&mut dec, &mut idx, layout, black_box(&bytes)))
    });
}

fn bench_encode(c: &mut Criterion) {
    let input = nos_input();
    let mut enc = Encoder::new();
    assert_eq!(encode_nos(&mut enc, &input), wire(NOS).as_slice());
    c.bench_function("encode/nos", |b| {
        b.iter(|| encode_nos(&mut enc, black_box(&input)).len())
    });
}

fn bench_values(c: &mut Criterion) {
    let mut g = c.benchmark_group("utc_timestamp_parse");
    let ts = b"20240115-10:30:00.123";
    g.bench_function("hand", |b| b.iter(|| UtcTimestamp::parse(black_box(ts))));
    g.bench_function("nom", |b| {
        b.iter(|| grammar::parse_utc_timestamp(black_box(ts)))
    });
    g.finish();
    c.bench_function("decimal_parse/150.25", |b| {
        b.iter(|| Decimal::parse(black_box(b"150.25")))
    });
}

/// Median nanoseconds per call of `f`, over batches.
fn median_ns(mut f: impl FnMut()) -> f64 {
    const BATCH: u32 = 2_000;
    const BATCHES: usize = 101;
    for _ in 0..BATCH * 5 {
        f();
    }
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            t.elapsed().as_nanos() as f64 / BATCH as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[BATCHES / 2]
}

/// Allocations made by `n` calls of `f`.
fn allocations(n: u32, mut f: impl FnMut()) -> u64 {
    ALLOCS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..n {
        f();
    }
    COUNTING.store(false, Ordering::SeqCst);
    ALLOCS.load(Ordering::SeqCst)
}

/// Prints medians, our/fefix ratios and allocations per message; fails if
/// our decode or encode path allocates once warm.
fn summary() {
    println!("\nsummary (median ns per message, same process)");
    println!(
        "{:<28} {:>10} {:>10} {:>12} {:>14} {:>14}",
        "", "ours", "fefix", "fefix/ours", "allocs ours", "allocs fefix"
    );
    let mut failed = false;
    for (name, bytes) in messages() {
        let mut dec = Decoder::default();
        let mut idx = FieldIndex::new();
        let mut fe = fefix_decoder();
        let ours = median_ns(|| {
            black_box(frame_index(&mut dec, &mut idx, black_box(&bytes)));
        });
        let theirs = median_ns(|| {
            black_box(fefix_decode(&mut fe, black_box(&bytes)));
        });
        let a_ours = allocations(1000, || {
            black_box(frame_index(&mut dec, &mut idx, black_box(&bytes)));
        });
        let a_theirs = allocations(1000, || {
            black_box(fefix_decode(&mut fe, black_box(&bytes)));
        });
        failed |= a_ours != 0;
        println!(
            "{:<28} {:>10.1} {:>10.1} {:>12.2} {:>14.3} {:>14.3}",
            format!("frame_index/{name}"),
            ours,
            theirs,
            theirs / ours,
            a_ours as f64 / 1000.0,
            a_theirs as f64 / 1000.0
        );
        let ours = median_ns(|| {
            black_box(frame_index_typed(&mut dec, &mut idx, black_box(&bytes)));
        });
        let theirs = median_ns(|| {
            black_box(fefix_decode_typed(&mut fe, black_box(&bytes)));
        });
        let a_ours = allocations(1000, || {
            black_box(frame_index_typed(&mut dec, &mut idx, black_box(&bytes)));
        });
        failed |= a_ours != 0;
        println!(
            "{:<28} {:>10.1} {:>10.1} {:>12.2} {:>14.3} {:>14}",
            format!("frame_index_typed/{name}"),
            ours,
            theirs,
            theirs / ours,
            a_ours as f64 / 1000.0,
            "-"
        );
    }
    let layout = md_entries_layout();
    let bytes = wire(MD);
    let mut dec = Decoder::default();
    let mut idx = FieldIndex::new();
    let ours = median_ns(|| {
        black_box(md_groups(&mut dec, &mut idx, layout, black_box(&bytes)));
    });
    let a_ours = allocations(1000, || {
        black_box(md_groups(&mut dec, &mut idx, layout, black_box(&bytes)));
    });
    failed |= a_ours != 0;
    println!(
        "{:<28} {:>10.1} {:>10} {:>12} {:>14.3} {:>14}",
        "frame_index_groups/md",
        ours,
        "-",
        "-",
        a_ours as f64 / 1000.0,
        "-"
    );
    let input = nos_input();
    let mut enc = Encoder::new();
    let ours = median_ns(|| {
        black_box(encode_nos(&mut enc, black_box(&input)).len());
    });
    let a_ours = allocations(1000, || {
        black_box(encode_nos(&mut enc, black_box(&input)).len());
    });
    failed |= a_ours != 0;
    println!(
        "{:<28} {:>10.1} {:>10} {:>12} {:>14.3} {:>14}",
        "encode/nos",
        ours,
        "-",
        "-",
        a_ours as f64 / 1000.0,
        "-"
    );
    if failed {
        eprintln!("FAILED: the decode or encode path allocated once warm");
        std::process::exit(1);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_decode(&mut c);
    bench_groups(&mut c);
    bench_encode(&mut c);
    bench_values(&mut c);
    c.final_summary();
    // `cargo test --benches` runs this binary in test mode: the criterion
    // groups then run each routine once, and the summary is skipped.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        summary();
    }
}
