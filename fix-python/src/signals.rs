//! Threads started by the module never receive signals.
//!
//! The kernel delivers a process-directed signal such as Ctrl-C's SIGINT
//! to any thread that does not block it. Python handles signals in its main
//! thread only: when SIGINT lands on an engine thread, Python's handler
//! merely notes it, and a main thread blocked in `input()` is not woken, so
//! Ctrl-C seemed to do nothing. Threads inherit the signal mask of the
//! thread that creates them, so they are created with every signal blocked.

/// Runs `f` (which starts threads) with every signal blocked in the calling
/// thread, then restores its mask.
#[cfg(unix)]
pub fn without_signals<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: `sigset_t` is plain data, initialized by sigfillset and
    // pthread_sigmask before being read; pthread_sigmask only changes the
    // calling thread's mask, which is restored before returning.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let blocked = libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old) == 0;
        let result = f();
        if blocked {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
        result
    }
}

/// Elsewhere threads are created as they are.
#[cfg(not(unix))]
pub fn without_signals<R>(f: impl FnOnce() -> R) -> R {
    f()
}
