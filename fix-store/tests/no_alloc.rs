//! Saving and flushing allocate nothing once the store is warm: the record
//! buffer and the message index reuse their memory.

mod common;

use common::{key, message, t, TempDir};
use fixrs_session::Store;
use fixrs_store::{Durability, FileStore, FileStoreOptions};
use fixrs_test_support::{allocations, CountingAllocator};
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn save_and_flush_allocate_nothing_once_warm() {
    let messages: Vec<Vec<u8>> = (1..=10_000).map(|s| message("a", s)).collect();
    for durability in [
        Durability::Flush,
        Durability::FsyncEvery(Duration::from_secs(3600)),
    ] {
        let dir = TempDir::new("noalloc");
        let opts = FileStoreOptions::default().with_durability(durability);
        let mut s = FileStore::open(dir.path(), &key("BANK", "EXCH"), opts, t(1)).unwrap();
        // Warm up: grow the index and the record buffer, then start over.
        let warm_up = allocations();
        for (i, m) in messages.iter().enumerate() {
            s.save_outgoing(i as u64 + 1, m).unwrap();
            if i % 64 == 63 {
                s.flush().unwrap();
            }
        }
        s.flush().unwrap();
        s.reset(t(2)).unwrap();
        assert!(allocations() > warm_up, "the counter counts");

        let before = allocations();
        for (i, m) in messages.iter().enumerate() {
            let seq = i as u64 + 1;
            s.save_outgoing(seq, m).unwrap();
            if i % 64 == 63 {
                s.set_next_target_seq_num(seq).unwrap();
                s.flush().unwrap();
            }
        }
        s.flush().unwrap();
        let allocations = allocations() - before;
        assert_eq!(allocations, 0, "{durability:?}");
        assert_eq!(s.next_sender_seq_num(), 10_001);
    }
}
