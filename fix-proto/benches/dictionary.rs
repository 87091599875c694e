//! Validation, group iteration and dictionary loading.
//!
//! `cargo bench -p fixrs-proto --bench dictionary`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fixrs_proto::dictionary::{compact, Dictionary};
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::validate::{ValidationOptions, Validator};
use fixrs_proto::FixVersion;

fn header<'e>(enc: &'e mut Encoder, msg_type: &[u8]) -> &'e mut Encoder {
    enc.start("FIX.4.4", msg_type)
        .push_str(49, "EXCHANGE")
        .push_str(56, "CLIENT12")
        .push_uint(34, 4711)
        .push_str(52, "20240115-10:30:00.123")
}

/// A typical fill: 27 fields, one party.
fn execution_report() -> Vec<u8> {
    let mut enc = Encoder::new();
    header(&mut enc, b"8")
        .push_str(37, "OID-20240115-000042")
        .push_str(11, "ORD-20240115-0000000001")
        .push_str(17, "EXEC-20240115-000077")
        .push_char(150, b'F')
        .push_char(39, b'1')
        .push_uint(453, 1)
        .push_str(448, "BROKER-1")
        .push_char(447, b'D')
        .push_uint(452, 1)
        .push_str(1, "ACCT-PRIME-000123")
        .push_str(55, "AAPL")
        .push_char(54, b'1')
        .push_uint(38, 100)
        .push_char(40, b'2')
        .push(44, b"150.25")
        .push_char(59, b'0')
        .push_uint(32, 40)
        .push(31, b"150.24")
        .push_uint(151, 60)
        .push_uint(14, 40)
        .push(6, b"150.24")
        .push_str(60, "20240115-10:30:00.100");
    enc.finish().to_vec()
}

fn snapshot() -> Vec<u8> {
    let mut enc = Encoder::new();
    header(&mut enc, b"W")
        .push_str(55, "EUR/USD")
        .push_uint(268, 10);
    for i in 0..10u8 {
        enc.push_char(269, b'0' + i % 2)
            .push(270, b"1.08505")
            .push_uint(271, 1_000_000)
            .push_uint(290, 1);
    }
    enc.finish().to_vec()
}

fn bench(c: &mut Criterion) {
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let mut validator = Validator::new(ValidationOptions::default());
    let mut index = FieldIndex::new();

    let er = execution_report();
    c.bench_function("validate ExecutionReport FIX44", |b| {
        b.iter(|| {
            let msg = index.parse(black_box(&er)).unwrap();
            validator.validate(dict, &msg).unwrap();
        })
    });
    c.bench_function("parse only ExecutionReport FIX44", |b| {
        b.iter(|| {
            let msg = index.parse(black_box(&er)).unwrap();
            black_box(msg.len());
        })
    });

    let w = snapshot();
    c.bench_function("validate MarketDataSnapshot 10 entries FIX44", |b| {
        b.iter(|| {
            let msg = index.parse(black_box(&w)).unwrap();
            validator.validate(dict, &msg).unwrap();
        })
    });
    let md = dict.message(b"W").unwrap().group(268).unwrap();
    c.bench_function("iterate MarketDataSnapshot 10 entries", |b| {
        b.iter(|| {
            let msg = index.parse(black_box(&w)).unwrap();
            let total: u64 = msg
                .group(md)
                .unwrap()
                .iter()
                .map(|e| e.get_as::<u64>(271).unwrap())
                .sum();
            black_box(total);
        })
    });

    let compact44 = include_str!("../src/dictionary/builtin/FIX44.fixdict");
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("FIX44 from compact form", |b| {
        b.iter(|| compact::load(black_box(compact44)).unwrap())
    });
    let compact_sp2 = include_str!("../src/dictionary/builtin/FIX50SP2.fixdict");
    g.bench_function("FIX50SP2 from compact form", |b| {
        b.iter(|| compact::load(black_box(compact_sp2)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
