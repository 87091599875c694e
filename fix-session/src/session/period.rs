//! Evaluation of a [`Schedule`] at a UTC instant for the session: is it
//! inside a session period, when did the current period start, when is the
//! next boundary. The calendar arithmetic (days, time zones, daylight
//! saving) lives in [`Schedule`]; this module only adapts it to the
//! questions the state machine asks.

use crate::schedule::Schedule;
use fix_proto::UtcTimestamp;

/// How long to wait before asking again when a schedule has no boundary
/// ahead (a schedule without any period).
const NO_BOUNDARY_SECS: i64 = 86_400;

/// Whether `utc` is inside a session period.
pub(crate) fn in_period(s: &Schedule, utc: UtcTimestamp) -> bool {
    s.is_in_session(utc)
}

/// The start of the period `utc` is in, or `None` outside any period.
pub(crate) fn period_start(s: &Schedule, utc: UtcTimestamp) -> Option<UtcTimestamp> {
    s.period_start(utc)
}

/// The first period start or end strictly after `utc`.
pub(crate) fn next_boundary(s: &Schedule, utc: UtcTimestamp) -> UtcTimestamp {
    let end = s.period_at(utc).map(|p| p.end);
    let start = s.next_start(utc);
    match (start, end) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => UtcTimestamp::from_unix(utc.unix_secs() + NO_BOUNDARY_SECS, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{TimeOfDay, Weekday};

    fn at(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> UtcTimestamp {
        UtcTimestamp::from_ymd_hms_nanos(y, m, d, hh, mm, 0, 0).unwrap()
    }

    fn tod(h: u32) -> TimeOfDay {
        TimeOfDay::from_hms(h, 0, 0).unwrap()
    }

    #[test]
    fn daily_period_and_boundaries() {
        let s = Schedule::daily(tod(8), tod(17));
        assert!(!in_period(&s, at(2024, 1, 15, 7, 59)));
        assert!(in_period(&s, at(2024, 1, 15, 8, 0)));
        assert!(!in_period(&s, at(2024, 1, 15, 17, 1)));
        assert_eq!(
            period_start(&s, at(2024, 1, 15, 12, 0)),
            Some(at(2024, 1, 15, 8, 0))
        );
        assert_eq!(period_start(&s, at(2024, 1, 15, 18, 0)), None);
        let end = next_boundary(&s, at(2024, 1, 15, 12, 0));
        assert!(end > at(2024, 1, 15, 16, 59) && end <= at(2024, 1, 15, 17, 1));
        assert_eq!(
            next_boundary(&s, at(2024, 1, 15, 18, 0)),
            at(2024, 1, 16, 8, 0)
        );
    }

    #[test]
    fn weekly_period() {
        // Sunday 20:00 to Friday 22:00; 2024-01-14 is a Sunday.
        let s = Schedule::weekly(Weekday::Sunday, tod(20), Weekday::Friday, tod(22));
        assert!(!in_period(&s, at(2024, 1, 14, 19, 0)));
        assert!(in_period(&s, at(2024, 1, 14, 20, 0)));
        assert!(in_period(&s, at(2024, 1, 17, 3, 0)));
        assert!(!in_period(&s, at(2024, 1, 20, 12, 0)));
        assert_eq!(
            period_start(&s, at(2024, 1, 17, 3, 0)),
            Some(at(2024, 1, 14, 20, 0))
        );
        assert_eq!(
            next_boundary(&s, at(2024, 1, 20, 12, 0)),
            at(2024, 1, 21, 20, 0)
        );
    }
}
