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

/// The system clocks as a driver's loop reads them, one clock read per
/// [`Now`]: the monotonic clock is read each time, and UTC is the wall
/// clock's last reading moved on by the monotonic time since.
///
/// The wall clock is read again when its last reading is
/// [`SystemClock::RESYNC`] old, so a step of it (set by hand, or stepped
/// by NTP) shows within that time. Between steps the derived UTC is what a
/// fresh reading would say: on Linux NTP slews the monotonic clock and the
/// wall clock alike, so the distance between them only changes when the
/// wall clock is stepped. [`Now::system`] reads both clocks every time.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    /// The monotonic reading taken with the last wall-clock reading.
    at: Instant,
    /// The last wall-clock reading.
    utc: UtcTimestamp,
}

impl SystemClock {
    /// How old the last wall-clock reading may be before it is read again.
    pub const RESYNC: Duration = Duration::from_millis(100);

    /// Reads both clocks.
    pub fn new() -> SystemClock {
        let now = Now::system();
        SystemClock {
            at: now.instant,
            utc: now.utc,
        }
    }

    /// The current time: the monotonic clock read now, UTC derived from it
    /// (or read, when the last wall-clock reading is too old).
    pub fn now(&mut self) -> Now {
        let instant = Instant::now();
        let since = instant.saturating_duration_since(self.at);
        if since >= Self::RESYNC {
            *self = SystemClock::new();
            return Now::new(self.at, self.utc);
        }
        // Under a second: nanoseconds add without a division.
        let nanos = self.utc.subsec_nanos() + since.subsec_nanos();
        let utc = UtcTimestamp::from_unix(self.utc.unix_secs(), nanos);
        Now::new(instant, utc)
    }
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn nanos_apart(a: UtcTimestamp, b: UtcTimestamp) -> u128 {
        a.nanos_since(b).unsigned_abs()
    }

    #[test]
    fn derived_utc_is_the_reading_moved_on_by_the_monotonic_time_since() {
        let at = Instant::now();
        let utc = UtcTimestamp::from_unix(1_700_000_000, 999_999_000);
        let mut clock = SystemClock { at, utc };
        let now = clock.now();
        let elapsed = now.instant - at;
        assert!(elapsed < SystemClock::RESYNC, "the test ran too slowly");
        // Carries into the next second when the nanoseconds overflow.
        assert_eq!(now.utc, utc.add_nanos(elapsed.as_nanos() as i128));
        // The anchor is kept.
        assert_eq!((clock.at, clock.utc), (at, utc));
    }

    #[test]
    fn an_old_wall_clock_reading_is_read_again() {
        // A reading a second old and a day wrong (as after a step of the
        // wall clock): the next `now` reads the wall clock again.
        let at = Instant::now() - Duration::from_secs(1);
        let wrong = UtcTimestamp::from(SystemTime::now()).add_nanos(-86_400_000_000_000);
        let mut clock = SystemClock { at, utc: wrong };
        let now = clock.now();
        let fresh = UtcTimestamp::from(SystemTime::now());
        assert!(nanos_apart(now.utc, fresh) < 1_000_000_000);
        assert!(clock.at > at);
    }

    #[test]
    fn a_fresh_clock_agrees_with_the_system_clocks() {
        let mut clock = SystemClock::new();
        for _ in 0..1000 {
            let before = UtcTimestamp::from(SystemTime::now());
            let now = clock.now();
            let after = UtcTimestamp::from(SystemTime::now());
            // Within the readings around it, give or take the
            // microseconds between two clock reads.
            assert!(
                now.utc.nanos_since(before) > -1_000_000,
                "{now:?} before {before:?}"
            );
            assert!(
                after.nanos_since(now.utc) > -1_000_000,
                "{now:?} after {after:?}"
            );
        }
    }
}
