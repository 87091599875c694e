//! The engine's timer queue: a binary heap of deadlines whose earliest one
//! bounds the mio poll timeout.
//!
//! Each owner (a session, a link, a connection waiting for its Logon) keeps at most one live
//! entry: [`Timers::schedule`] pushes only when the new deadline is earlier
//! than the one already queued for that owner, and a later deadline is
//! found when the earlier entry fires and the owner is asked again. So a
//! heartbeat deadline that moves forward with every message sent costs no
//! heap operation, and stale entries are bounded.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// What a timer belongs to: a slot index and that slot's generation, so an
/// entry for a removed owner whose slot was reused is recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerOwner {
    /// A session slot.
    Session { idx: u32, gen: u32 },
    /// The link of the session in slot `idx` with this serial (connect
    /// timeout, close timeout, the transport's own deadline).
    Link { idx: u32, serial: u32 },
    /// A connection waiting for its first Logon (logon timeout, the
    /// transport's own deadline).
    Pending { idx: u32, gen: u32 },
}

/// The heap of deadlines.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, TimerOwner)>>,
}

impl Timers {
    /// Queues `deadline` for `owner` unless `queued` (the earliest deadline
    /// already queued for it) comes first; updates `queued`.
    pub(crate) fn schedule(
        &mut self,
        owner: TimerOwner,
        deadline: Option<Instant>,
        queued: &mut Option<Instant>,
    ) {
        if let Some(d) = deadline {
            if queued.is_none_or(|q| d < q) {
                self.heap.push(Reverse((d, owner)));
                *queued = Some(d);
            }
        }
    }

    /// The earliest queued deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, TimerOwner)> {
        match self.heap.peek() {
            Some(Reverse((d, _))) if *d <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Number of queued entries (live and stale).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn later_deadlines_do_not_grow_the_heap() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        let owner = TimerOwner::Session { idx: 0, gen: 0 };
        let mut queued = None;
        for i in 0..100 {
            timers.schedule(owner, Some(t0 + Duration::from_secs(10 + i)), &mut queued);
        }
        assert_eq!(timers.len(), 1);
        timers.schedule(owner, Some(t0 + Duration::from_secs(1)), &mut queued);
        assert_eq!(timers.len(), 2);
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert!(timers.pop_due(t0).is_none());
        let (d, o) = timers.pop_due(t0 + Duration::from_secs(1)).unwrap();
        assert_eq!((d, o), (t0 + Duration::from_secs(1), owner));
    }
}
