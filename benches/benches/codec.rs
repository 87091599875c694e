//! Criterion benchmarks of the codec beside fefix 0.7 on the same bytes:
//! framing + indexing (BodyLength and CheckSum verified), the same plus
//! typed reads, a repeating group read through the dictionary, encoding,
//! validation and value parsing. The code measured is
//! `fixrs_benches::codec`, which `perf-report` measures too.
//!
//! Run with
//! `cargo bench -p fixrs-benches --bench codec -- --warm-up-time 1 --measurement-time 3`.
//! The process fails if our decode or encode path allocates once warm.

use criterion::{BenchmarkId, Criterion, Throughput};
use fixrs_benches::codec::{self, Batches};
use fixrs_proto::encode::Encoder;
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::FieldIndex;
use fixrs_proto::value::{grammar, Decimal, UtcTimestamp};
use fixrs_test_support::CountingAllocator;
use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_index");
    for (name, bytes) in codec::messages() {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut dec = Decoder::default();
        let mut idx = FieldIndex::new();
        g.bench_with_input(BenchmarkId::new("ours", name), &bytes, |b, bytes| {
            b.iter(|| codec::frame_index(&mut dec, &mut idx, black_box(bytes)))
        });
        let mut fe = codec::fefix_decoder();
        g.bench_with_input(BenchmarkId::new("fefix", name), &bytes, |b, bytes| {
            b.iter(|| codec::fefix_decode(&mut fe, black_box(bytes)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("frame_index_typed");
    for (name, bytes) in codec::messages() {
        let mut dec = Decoder::default();
        let mut idx = FieldIndex::new();
        g.bench_with_input(BenchmarkId::new("ours", name), &bytes, |b, bytes| {
            b.iter(|| codec::frame_index_typed(&mut dec, &mut idx, black_box(bytes)))
        });
        let mut fe = codec::fefix_decoder();
        g.bench_with_input(BenchmarkId::new("fefix", name), &bytes, |b, bytes| {
            b.iter(|| codec::fefix_decode_typed(&mut fe, black_box(bytes)))
        });
    }
    g.finish();
}

fn bench_groups_encode_validate(c: &mut Criterion) {
    let layout = codec::md_entries_layout();
    let md = codec::wire(codec::MD);
    let mut dec = Decoder::default();
    let mut idx = FieldIndex::new();
    c.bench_function("frame_index_groups/md_snapshot", |b| {
        b.iter(|| codec::md_groups(&mut dec, &mut idx, layout, black_box(&md)))
    });
    let input = codec::nos_input();
    let mut enc = Encoder::new();
    assert_eq!(
        codec::encode_nos(&mut enc, &input),
        codec::wire(codec::NOS).as_slice()
    );
    c.bench_function("encode/nos", |b| {
        b.iter(|| codec::encode_nos(&mut enc, black_box(&input)).len())
    });
    let er = codec::wire(codec::ER);
    let mut validator = codec::validator();
    c.bench_function("index_validate/er", |b| {
        b.iter(|| codec::index_validate(&mut idx, &mut validator, black_box(&er)))
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_decode(&mut c);
    bench_groups_encode_validate(&mut c);
    bench_values(&mut c);
    c.final_summary();
    // The allocation check, briefly (`perf-report` prints the figures).
    let run = codec::measure(Batches {
        calls: 10,
        batches: 3,
    });
    if run.our_allocations != 0 {
        eprintln!(
            "FAILED: the decode or encode path allocated {} times once warm",
            run.our_allocations
        );
        std::process::exit(1);
    }
}
