//! The session's timers: one table of deadlines indexed by [`Timer`]; the
//! next wake-up is its minimum.

use std::time::Instant;

/// Every timer a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// Waiting for the (first) Logon or the Logon reply (LogonTimeout).
    Logon,
    /// Waiting for the Logout reply (LogoutTimeout).
    Logout,
    /// Send a Heartbeat when we have been silent for HeartBtInt.
    Heartbeat,
    /// Send a TestRequest (or give up on the link) when the peer has been
    /// silent for HeartBtInt plus the test request delay.
    TestRequest,
    /// Initiator: open the link again.
    Reconnect,
    /// After answering the peer's Logout: close the link if the peer has
    /// not done so.
    Linger,
    /// Our ResendRequest made no progress for a while: ask again.
    Resend,
    /// The first late-delivery message whose time to live runs out.
    LateDelivery,
    /// The next start or end of the session's scheduled period.
    Schedule,
}

impl Timer {
    /// Every timer, in the order expired ones are handled.
    pub(crate) const ALL: [Timer; 9] = [
        Timer::Logon,
        Timer::Logout,
        Timer::TestRequest,
        Timer::Heartbeat,
        Timer::Resend,
        Timer::Reconnect,
        Timer::Linger,
        Timer::LateDelivery,
        Timer::Schedule,
    ];

    const fn slot(self) -> usize {
        match self {
            Timer::Logon => 0,
            Timer::Logout => 1,
            Timer::Heartbeat => 2,
            Timer::TestRequest => 3,
            Timer::Reconnect => 4,
            Timer::Linger => 5,
            Timer::LateDelivery => 6,
            Timer::Schedule => 7,
            Timer::Resend => 8,
        }
    }
}

/// `now + d`, or a century from now when that overflows (durations come
/// from configuration and from the peer's HeartBtInt).
pub(crate) fn deadline(now: Instant, d: std::time::Duration) -> Instant {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 86_400);
    now.checked_add(d)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// The deadlines of all timers; `None` when a timer is not running.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; 9],
}

impl TimerTable {
    /// Starts (or restarts) `timer` to expire at `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.slot()] = Some(at);
    }

    /// Stops `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.slot()] = None;
    }

    /// The deadline of `timer`, if running.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.slot()]
    }

    /// Stops `timer` and says whether it had expired at `now`.
    pub(crate) fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.deadlines[timer.slot()] {
            Some(at) if at <= now => {
                self.deadlines[timer.slot()] = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn next_is_the_earliest_and_expire_is_exact() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Heartbeat, t0 + Duration::from_secs(30));
        t.set(Timer::Logon, t0 + Duration::from_secs(10));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(10)));
        assert!(!t.expire(Timer::Logon, t0 + Duration::from_secs(9)));
        assert!(t.expire(Timer::Logon, t0 + Duration::from_secs(10)));
        assert!(!t.expire(Timer::Logon, t0 + Duration::from_secs(11)));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(30)));
        t.stop(Timer::Heartbeat);
        assert_eq!(t.get(Timer::Heartbeat), None);
    }
}
