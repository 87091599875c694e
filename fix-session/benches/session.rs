//! Throughput of the session layer alone: an application message sent by
//! one session and received by another, in memory (encode, store, frame,
//! index, sequence checks, delivery).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::{Event, MemoryStore, Now, Session, SessionConfig};
use std::time::Instant;

fn pair(persist: bool) -> (Session, Session) {
    let now = Now::new(Instant::now(), UtcTimestamp::from_unix(1_705_312_800, 0));
    let mut ini = SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL");
    let mut acc = SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY");
    ini.persist_messages = persist;
    acc.persist_messages = persist;
    let mut a = Session::new(ini, Box::new(MemoryStore::new(now.utc)), now).unwrap();
    let mut b = Session::new(acc, Box::new(MemoryStore::new(now.utc)), now).unwrap();
    a.connect(now);
    a.handle_link_up(now);
    b.handle_link_up(now);
    let mut wire = Vec::new();
    for _ in 0..2 {
        wire.clear();
        while let Some(bytes) = a.poll_transmit() {
            let n = bytes.len();
            wire.extend_from_slice(bytes);
            a.transmitted(n);
        }
        b.handle_input(&wire, now);
        wire.clear();
        while let Some(bytes) = b.poll_transmit() {
            let n = bytes.len();
            wire.extend_from_slice(bytes);
            b.transmitted(n);
        }
        a.handle_input(&wire, now);
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
    }
    (a, b)
}

fn order() -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(11, "ORD-20240115-0000000001")
        .push_str(1, "ACCT-PRIME-000123")
        .push_char(21, b'1')
        .push_str(55, "AAPL")
        .push_char(54, b'1')
        .push_uint(38, 100)
        .push_char(40, b'2')
        .push(44, b"150.25")
        .push_char(59, b'0');
    m
}

fn one_way(c: &mut Criterion) {
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(1));
    for persist in [false, true] {
        let (mut a, mut b) = pair(persist);
        let msg = order();
        let now = Now::new(Instant::now(), UtcTimestamp::from_unix(1_705_312_800, 0));
        let mut wire = Vec::with_capacity(1 << 16);
        let name = if persist {
            "send+receive, memory store"
        } else {
            "send+receive, not persisted"
        };
        group.bench_function(name, |bench| {
            bench.iter(|| {
                a.send(&msg, now).unwrap();
                wire.clear();
                while let Some(bytes) = a.poll_transmit() {
                    let n = bytes.len();
                    wire.extend_from_slice(bytes);
                    a.transmitted(n);
                }
                b.handle_input(&wire, now);
                let mut n = 0;
                while let Some(e) = b.poll_event() {
                    if let Event::AppMessage(m) = e {
                        n += m.len();
                    }
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, one_way);
criterion_main!(benches);
