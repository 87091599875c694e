//! Support shared by the workspace's tests and benchmarks.
//!
//! [`CountingAllocator`] wraps the system allocator and counts allocations
//! and reallocations, for the tests that check that a path allocates
//! nothing per message once warm and for benchmarks that report
//! allocations. A test binary installs it with
//!
//! ```
//! use fixrs_test_support::CountingAllocator;
//!
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator;
//!
//! let (v, n) = fixrs_test_support::allocations_in(|| vec![1u8; 100]);
//! assert_eq!((v.len(), n), (100, 1));
//! ```
//!
//! and then reads [`allocations`] (the whole process: right for code that
//! runs on other threads, such as an engine's event loop) or
//! [`allocations_in`] (this thread only: right while other threads of the
//! test harness may allocate).
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting every allocation and reallocation (frees
/// are not counted): in total, and per thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

static TOTAL: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialised and without a destructor, so using it from inside
    // the allocator cannot allocate or recurse.
    static THREAD: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    // `try_with`: a thread being torn down may still free and allocate.
    let _ = THREAD.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from the system allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from the system allocator with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations and reallocations made so far by every thread of the
/// process.
pub fn allocations() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

/// Allocations and reallocations made so far by this thread.
pub fn thread_allocations() -> u64 {
    THREAD.try_with(Cell::get).unwrap_or(0)
}

/// Runs `f` and returns its result with the allocations and reallocations
/// it made on this thread.
pub fn allocations_in<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = thread_allocations();
    let r = f();
    (r, thread_allocations() - before)
}

/// Whether [`CountingAllocator`] is the process's global allocator, so that
/// the counts mean something (they stay at zero otherwise).
pub fn installed() -> bool {
    let before = thread_allocations();
    drop(black_box(Box::new(black_box(0u64))));
    thread_allocations() > before
}
