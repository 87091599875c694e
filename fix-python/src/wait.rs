//! Waiting without the GIL, interruptible by Ctrl-C.

use pyo3::prelude::*;
use std::time::{Duration, Instant};

/// Polls `done` every millisecond without the GIL until it holds (true)
/// or `timeout` passes (false). Every 50 ms the GIL is taken to let
/// Python run its signal handlers, so that Ctrl-C raises
/// `KeyboardInterrupt` here.
pub fn until(py: Python<'_>, timeout: Duration, done: impl Fn() -> bool + Sync) -> PyResult<bool> {
    let end = Instant::now() + timeout;
    loop {
        let slice_end = (Instant::now() + Duration::from_millis(50)).min(end);
        let reached = py.detach(|| loop {
            if done() {
                return true;
            }
            if Instant::now() >= slice_end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        });
        if reached {
            return Ok(true);
        }
        py.check_signals()?;
        if Instant::now() >= end {
            return Ok(done());
        }
    }
}
