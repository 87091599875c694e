//! The one time value every input of a [`Session`](crate::Session) takes.

use fixrs_proto::UtcTimestamp;
use std::time::{Duration, Instant};

/// The current time on both clocks a session needs, read once by the
/// driver per input and passed in: the monotonic `instant` drives timers
/// (heartbeats, timeouts, reconnects), `utc` is written into
/// SendingTime(52) and checked against the peer's.
///
/// The session never reads a clock itself, so tests build `Now` values
/// from a virtual clock ([`Now::new`], [`Now::advanced`]) and get the same
/// outputs, byte for byte, on every run. A driver reads the system clocks
/// with [`Now::system`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for timers and deadlines.
    pub instant: Instant,
    /// Wall-clock time in UTC, for SendingTime(52) and schedules.
    pub utc: UtcTimestamp,
}

impl Now {
    /// The two clocks as given (a driver's readings, or a test's virtual
    /// clock).
    pub const fn new(instant: Instant, utc: UtcTimestamp) -> Now {
        Now { instant, utc }
    }

    /// The system's monotonic clock and wall clock, read now: what a
    /// driver passes in production.
    pub fn system() -> Now {
        Now {
            instant: Instant::now(),
            utc: UtcTimestamp::from(std::time::SystemTime::now()),
        }
    }

    /// Both clocks moved forward by `d`, as a virtual clock advances.
    #[must_use]
    pub fn advanced(self, d: Duration) -> Now {
        Now {
            instant: self.instant + d,
            utc: self.utc.add_nanos(d.as_nanos() as i128),
        }
    }
}
