//! The allocator counts what it should, per thread and in total.

use fixrs_test_support::{allocations, allocations_in, installed, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn counts_allocations_and_reallocations_per_thread_and_in_total() {
    assert!(installed());
    let total = allocations();
    let (v, n) = allocations_in(|| {
        let mut v: Vec<u64> = Vec::with_capacity(1);
        v.extend(0..1000); // grows: reallocations
        v
    });
    assert!(n >= 2, "{n}");
    let (_, none) = allocations_in(|| v.iter().sum::<u64>());
    assert_eq!(none, 0);
    // Another thread's allocations count in the total, not on this thread.
    let (_, here) = allocations_in(|| {
        std::thread::spawn(|| drop(std::hint::black_box(vec![0u8; 64])))
            .join()
            .unwrap()
    });
    // The child's vector (at least one allocation) is in the total only.
    assert!(allocations() - total > n + here);
}
