//! Cost of saving outgoing messages and flushing, and of recording the next
//! incoming MsgSeqNum and flushing, per message and per batch of 64, for
//! each durability mode.
//!
//! Run with `cargo bench -p fixrs-store --bench store`. The files live under
//! Cargo's target temp dir (a real disk, so syncs cost what they cost).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fixrs_proto::UtcTimestamp;
use fixrs_session::{SessionKey, Store};
use fixrs_store::{Durability, FileStore, FileStoreOptions};
use std::path::PathBuf;
use std::time::Duration;

/// A NewOrderSingle of typical size (about 200 bytes).
const MESSAGE: &[u8] = b"8=FIX.4.4\x019=178\x0135=D\x0134=1000000\x0149=BANK\x0152=20240102-10:11:12.345\x0156=EXCH\x0111=ORD-0000000001\x011=ACCOUNT-1\x0121=1\x0155=EURUSD\x0154=1\x0160=20240102-10:11:12.345\x0138=1000000\x0140=2\x0144=1.08765\x0159=0\x01526=CLIENT-REF-1\x0110=123\x01";

fn key() -> SessionKey {
    SessionKey::new("FIX.4.4", fixrs_session::SessionId::new("BANK", "EXCH"))
}

fn bench_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fix-store-bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn modes() -> [(&'static str, Durability); 3] {
    [
        ("flush", Durability::Flush),
        ("fsync", Durability::Fsync),
        (
            "fsync_every_10ms",
            Durability::FsyncEvery(Duration::from_millis(10)),
        ),
    ]
}

fn save_and_flush(c: &mut Criterion) {
    for (batch, label) in [(1u64, "per_message"), (64, "batch_64")] {
        let mut group = c.benchmark_group(format!("save_flush/{label}"));
        group
            .throughput(Throughput::Elements(batch))
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        for (name, durability) in modes() {
            let dir = bench_dir(&format!("{label}-{name}"));
            // A history limit keeps the disk use of a long run bounded.
            let options = FileStoreOptions::default()
                .with_durability(durability)
                .with_max_messages(200_000);
            let mut store =
                FileStore::open(&dir, &key(), options, UtcTimestamp::UNIX_EPOCH).unwrap();
            let mut seq = store.next_sender_seq_num();
            group.bench_function(name, |b| {
                b.iter(|| {
                    for _ in 0..batch {
                        store.save_outgoing(seq, MESSAGE).unwrap();
                        seq += 1;
                    }
                    store.flush().unwrap();
                })
            });
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
        }
        group.finish();
    }
}

/// Recording the next incoming MsgSeqNum and flushing, as a receiving
/// session does once per pass of the engine's loop: after each message,
/// or after a batch of 64.
fn incoming(c: &mut Criterion) {
    for (batch, label) in [(1u64, "per_message"), (64, "batch_64")] {
        let mut group = c.benchmark_group(format!("incoming_flush/{label}"));
        group
            .throughput(Throughput::Elements(batch))
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        for (name, durability) in modes() {
            let dir = bench_dir(&format!("incoming-{label}-{name}"));
            let options = FileStoreOptions::default().with_durability(durability);
            let mut store =
                FileStore::open(&dir, &key(), options, UtcTimestamp::UNIX_EPOCH).unwrap();
            let mut seq = store.next_target_seq_num();
            group.bench_function(name, |b| {
                b.iter(|| {
                    for _ in 0..batch {
                        seq += 1;
                        store.set_next_target_seq_num(seq).unwrap();
                    }
                    store.flush().unwrap();
                })
            });
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
        }
        group.finish();
    }
}

fn resend(c: &mut Criterion) {
    let dir = bench_dir("resend");
    let mut store = FileStore::open(
        &dir,
        &key(),
        FileStoreOptions::default(),
        UtcTimestamp::UNIX_EPOCH,
    )
    .unwrap();
    for seq in 1..=10_000 {
        store.save_outgoing(seq, MESSAGE).unwrap();
    }
    store.flush().unwrap();
    let mut group = c.benchmark_group("outgoing");
    group
        .throughput(Throughput::Elements(1_000))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("visit_1000", |b| {
        b.iter(|| {
            let mut bytes = 0;
            store
                .outgoing(4_001, 5_000, &mut |_, m| bytes += m.len())
                .unwrap();
            bytes
        })
    });
    group.finish();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, save_and_flush, incoming, resend);
criterion_main!(benches);
