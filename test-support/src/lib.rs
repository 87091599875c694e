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
//!
//! [`first_line`] waits, with a time limit, for the first line a child
//! process of a test writes, so that a child that hangs fails the test
//! instead of hanging the run.
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

/// How long a child process of a test may take to start and write its
/// first line ([`first_line`]): generous, for a loaded machine.
pub const CHILD_START: std::time::Duration = std::time::Duration::from_secs(60);

/// The first line a child process writes to its piped stdout, waited for
/// at most `within`. A child that says nothing by then is killed and the
/// test fails naming the wait, rather than hanging the test run. The
/// child's stdout is taken and closed after the line, as a reader
/// dropped after one line would.
///
/// Panics if the child's stdout was not piped, if reading fails, or on
/// the timeout.
pub fn first_line(child: &mut std::process::Child, within: std::time::Duration) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(read.map(|_| line));
    });
    match rx.recv_timeout(within) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => panic!("reading the child's first line: {e}"),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child wrote no line within {within:?}; killed it");
        }
    }
}

/// A free TCP port on 127.0.0.1 for a listener that a test stops and
/// starts again while a peer keeps connecting to it.
///
/// A port the system chose (port 0) lies in its ephemeral range, which
/// outgoing connections take their local ports from: while the listener
/// is down, a connection of another test, or the reconnecting peer's own
/// (a TCP self-connect), may take that very port, and the restarted
/// listener then fails to bind. A port below the range is never taken
/// that way. Tests running at once start their search at different
/// places.
///
/// Panics if no such port is free.
pub fn restartable_port() -> u16 {
    // Linux says where the range starts; 32768 is its usual start.
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = (10_000u16, ephemeral_start.max(10_001));
    let span = u64::from(high - low);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64)
        ^ u64::from(std::process::id()).wrapping_mul(7919);
    (0..span)
        .map(|i| low + ((seed + i) % span) as u16)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}

#[cfg(all(test, unix))]
mod tests {
    use super::first_line;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    #[test]
    fn first_line_reads_what_the_child_says() {
        let mut child = Command::new("sh")
            .args(["-c", "echo READY; echo more"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        assert_eq!(first_line(&mut child, Duration::from_secs(30)), "READY\n");
        child.wait().expect("reap");
    }

    #[test]
    fn a_silent_child_is_killed_and_fails_the_wait() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            first_line(&mut child, Duration::from_millis(200))
        }));
        let message = waited.expect_err("no line in 200 ms");
        let text = message.downcast_ref::<String>().expect("a message");
        assert!(text.contains("no line within"), "{text}");
        // Killed and reaped: the process is gone.
        assert!(child.try_wait().expect("status").is_some(), "pid {pid}");
    }

    #[test]
    fn a_restartable_port_is_free_and_below_the_ephemeral_range() {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range");
        let bind = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port));
        // Another process may take a free port between the look and the
        // bind (seen once in a full workspace run): three tries.
        let mut errors = Vec::new();
        for _ in 0..3 {
            let port = super::restartable_port();
            assert!(port >= 10_000);
            if let Ok(range) = &range {
                let start: u16 = range.split_whitespace().next().unwrap().parse().unwrap();
                assert!(port < start.max(10_001), "{port} in {range}");
            }
            // Free, and free again once dropped, as a restart needs.
            match bind(port).and_then(|listener| {
                drop(listener);
                bind(port)
            }) {
                Ok(_) => return,
                Err(e) => errors.push(format!("{port}: {e}")),
            }
        }
        panic!("no port bound twice: {errors:?}");
    }
}
