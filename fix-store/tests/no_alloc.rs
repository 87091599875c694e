//! Saving and flushing allocate nothing once the store is warm: the record
//! buffer and the message index reuse their memory.

mod common;

use common::{key, message, t, TempDir};
use fixrs_session::Store;
use fixrs_store::{Durability, FileStore, FileStoreOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwards the caller's layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
        let warm_up = ALLOCATIONS.load(Ordering::Relaxed);
        for (i, m) in messages.iter().enumerate() {
            s.save_outgoing(i as u64 + 1, m).unwrap();
            if i % 64 == 63 {
                s.flush().unwrap();
            }
        }
        s.flush().unwrap();
        s.reset(t(2)).unwrap();
        assert!(
            ALLOCATIONS.load(Ordering::Relaxed) > warm_up,
            "the counter counts"
        );

        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for (i, m) in messages.iter().enumerate() {
            let seq = i as u64 + 1;
            s.save_outgoing(seq, m).unwrap();
            if i % 64 == 63 {
                s.set_next_target_seq_num(seq).unwrap();
                s.flush().unwrap();
            }
        }
        s.flush().unwrap();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert_eq!(allocations, 0, "{durability:?}");
        assert_eq!(s.next_sender_seq_num(), 10_001);
    }
}
