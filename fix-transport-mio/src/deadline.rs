//! Waking the event loop at its earliest deadline.
//!
//! On Linux a timerfd registered with the poll carries the deadline, so the
//! loop sleeps in `poll` without a timeout: the kernel then arms no timer on
//! every wait, which is measurable on the round-trip path (each wait with a
//! timeout sets up and cancels a high-resolution timer). The timerfd is
//! re-armed only when the earliest deadline changes, which is rare: a
//! heartbeat deadline that moves forward with each message does not change
//! the timer heap's head. Elsewhere, or if the timerfd cannot be made, the
//! poll timeout does the job.

use std::io;
use std::time::{Duration, Instant};

/// The token of the deadline timer in the poll.
pub(crate) const DEADLINE: mio::Token = mio::Token(1 << 61);

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use rustix::fd::{AsRawFd, OwnedFd};
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };

    /// A timerfd armed for the loop's earliest deadline.
    pub(crate) struct DeadlineTimer {
        fd: OwnedFd,
        armed: Option<Instant>,
    }

    impl DeadlineTimer {
        pub(crate) fn new(registry: &mio::Registry) -> io::Result<DeadlineTimer> {
            let fd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )?;
            registry.register(
                &mut mio::unix::SourceFd(&fd.as_raw_fd()),
                DEADLINE,
                mio::Interest::READABLE,
            )?;
            Ok(DeadlineTimer { fd, armed: None })
        }

        /// Arms the timer to fire at `deadline` (or disarms it), unless it
        /// already is.
        pub(crate) fn arm(&mut self, deadline: Option<Instant>, now: Instant) -> io::Result<()> {
            if deadline == self.armed {
                return Ok(());
            }
            let value = match deadline {
                // A zero value would disarm: wait at least a nanosecond.
                Some(d) => d
                    .saturating_duration_since(now)
                    .max(Duration::from_nanos(1)),
                None => Duration::ZERO,
            };
            let spec = Itimerspec {
                it_interval: Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: Timespec {
                    tv_sec: value.as_secs().min(i64::MAX as u64) as i64,
                    tv_nsec: value.subsec_nanos().into(),
                },
            };
            timerfd_settime(&self.fd, TimerfdTimerFlags::empty(), &spec)?;
            self.armed = deadline;
            Ok(())
        }

        /// The timer fired: clear it.
        pub(crate) fn fired(&mut self) {
            let mut buf = [0u8; 8];
            // Nothing to read (a spurious wake-up) is fine.
            let _ = rustix::io::read(&self.fd, &mut buf);
            self.armed = None;
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    /// No timerfd here: the poll timeout carries the deadline.
    pub(crate) struct DeadlineTimer;

    impl DeadlineTimer {
        pub(crate) fn new(_: &mio::Registry) -> io::Result<DeadlineTimer> {
            Err(io::ErrorKind::Unsupported.into())
        }

        pub(crate) fn arm(&mut self, _: Option<Instant>, _: Instant) -> io::Result<()> {
            Err(io::ErrorKind::Unsupported.into())
        }

        pub(crate) fn fired(&mut self) {}
    }
}

pub(crate) use imp::DeadlineTimer;
