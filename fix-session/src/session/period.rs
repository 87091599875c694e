//! Evaluation of a [`Schedule`] at a UTC instant: is it inside a session
//! period, when did the current period start, when is the next boundary.
//!
//! Daily schedules run from `start_time` to `end_time` every day (across
//! midnight when the end is earlier than the start; all day when they are
//! equal). Weekly schedules run from `start_time` on `start_day` to
//! `end_time` on `end_day`. Both ends are inclusive, as in QuickFIX.

use crate::schedule::Schedule;
use fix_proto::UtcTimestamp;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

/// Seconds since the epoch in the schedule's time zone.
fn local_secs(s: &Schedule, utc: UtcTimestamp) -> i64 {
    utc.unix_secs() + s.utc_offset_secs as i64
}

fn to_utc(s: &Schedule, local: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix(local - s.utc_offset_secs as i64, 0)
}

/// Weekday (0 = Sunday) of a local day number (days since 1970-01-01, a Thursday).
fn weekday(day: i64) -> i64 {
    (day + 4).rem_euclid(7)
}

fn weekly(s: &Schedule) -> Option<(i64, i64)> {
    match (s.start_day, s.end_day) {
        (Some(a), Some(b)) => Some((a as i64 % 7, b as i64 % 7)),
        _ => None,
    }
}

/// Whether `utc` is inside a session period.
pub(crate) fn in_period(s: &Schedule, utc: UtcTimestamp) -> bool {
    let local = local_secs(s, utc);
    let tod = local.rem_euclid(DAY);
    let (start, end) = (s.start_time.0 as i64, s.end_time.0 as i64);
    let (pos, from, to) = match weekly(s) {
        None => (tod, start, end),
        Some((sd, ed)) => (
            weekday(local.div_euclid(DAY)) * DAY + tod,
            sd * DAY + start,
            ed * DAY + end,
        ),
    };
    match from.cmp(&to) {
        std::cmp::Ordering::Equal => true,
        std::cmp::Ordering::Less => from <= pos && pos <= to,
        std::cmp::Ordering::Greater => pos >= from || pos <= to,
    }
}

/// The start of the period `utc` is in, or `None` outside any period.
pub(crate) fn period_start(s: &Schedule, utc: UtcTimestamp) -> Option<UtcTimestamp> {
    if !in_period(s, utc) {
        return None;
    }
    let local = local_secs(s, utc);
    let day = local.div_euclid(DAY);
    let start = s.start_time.0 as i64;
    let at = match weekly(s) {
        None => {
            let today = day * DAY + start;
            if today <= local {
                today
            } else {
                today - DAY
            }
        }
        Some((sd, _)) => {
            let back = (weekday(day) - sd).rem_euclid(7);
            let at = (day - back) * DAY + start;
            if at <= local {
                at
            } else {
                at - WEEK
            }
        }
    };
    Some(to_utc(s, at))
}

/// The first period start or end strictly after `utc`.
pub(crate) fn next_boundary(s: &Schedule, utc: UtcTimestamp) -> UtcTimestamp {
    let local = local_secs(s, utc);
    let day = local.div_euclid(DAY);
    let (start, end) = (s.start_time.0 as i64, s.end_time.0 as i64);
    // The end boundary is the first second after the (inclusive) end.
    let candidates = match weekly(s) {
        None => [(None, start), (None, end + 1)],
        Some((sd, ed)) => [(Some(sd), start), (Some(ed), end + 1)],
    };
    let mut best = i64::MAX;
    for (d, secs) in candidates {
        let at = match d {
            None => {
                let mut at = day * DAY + secs;
                while at <= local {
                    at += DAY;
                }
                at
            }
            Some(d) => {
                let ahead = (d - weekday(day)).rem_euclid(7);
                let mut at = (day + ahead) * DAY + secs;
                while at <= local {
                    at += WEEK;
                }
                at
            }
        };
        best = best.min(at);
    }
    to_utc(s, best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::TimeOfDay;

    fn at(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> UtcTimestamp {
        UtcTimestamp::from_ymd_hms_nanos(y, m, d, hh, mm, 0, 0).unwrap()
    }

    fn daily(start: u32, end: u32) -> Schedule {
        Schedule {
            start_time: TimeOfDay(start),
            end_time: TimeOfDay(end),
            start_day: None,
            end_day: None,
            utc_offset_secs: 0,
        }
    }

    #[test]
    fn daily_period_and_boundaries() {
        let s = daily(8 * 3600, 17 * 3600);
        assert!(!in_period(&s, at(2024, 1, 15, 7, 59)));
        assert!(in_period(&s, at(2024, 1, 15, 8, 0)));
        assert!(in_period(&s, at(2024, 1, 15, 17, 0)));
        assert!(!in_period(&s, at(2024, 1, 15, 17, 1)));
        assert_eq!(
            period_start(&s, at(2024, 1, 15, 12, 0)),
            Some(at(2024, 1, 15, 8, 0))
        );
        assert_eq!(period_start(&s, at(2024, 1, 15, 18, 0)), None);
        assert_eq!(
            next_boundary(&s, at(2024, 1, 15, 12, 0)),
            at(2024, 1, 15, 17, 0).add_nanos(1_000_000_000)
        );
        assert_eq!(
            next_boundary(&s, at(2024, 1, 15, 18, 0)),
            at(2024, 1, 16, 8, 0)
        );
    }

    #[test]
    fn daily_period_across_midnight_and_time_zone() {
        let mut s = daily(22 * 3600, 6 * 3600);
        assert!(in_period(&s, at(2024, 1, 15, 23, 0)));
        assert!(in_period(&s, at(2024, 1, 16, 5, 0)));
        assert!(!in_period(&s, at(2024, 1, 16, 12, 0)));
        assert_eq!(
            period_start(&s, at(2024, 1, 16, 5, 0)),
            Some(at(2024, 1, 15, 22, 0))
        );
        // 22:00-06:00 at UTC+2 is 20:00-04:00 UTC.
        s.utc_offset_secs = 7200;
        assert!(in_period(&s, at(2024, 1, 15, 21, 0)));
        assert!(!in_period(&s, at(2024, 1, 16, 5, 0)));
        assert_eq!(
            period_start(&s, at(2024, 1, 16, 1, 0)),
            Some(at(2024, 1, 15, 20, 0))
        );
    }

    #[test]
    fn weekly_period() {
        // Sunday 20:00 to Friday 22:00; 2024-01-14 is a Sunday.
        let s = Schedule {
            start_time: TimeOfDay(20 * 3600),
            end_time: TimeOfDay(22 * 3600),
            start_day: Some(0),
            end_day: Some(5),
            utc_offset_secs: 0,
        };
        assert!(!in_period(&s, at(2024, 1, 14, 19, 0)));
        assert!(in_period(&s, at(2024, 1, 14, 20, 0)));
        assert!(in_period(&s, at(2024, 1, 17, 3, 0)));
        assert!(!in_period(&s, at(2024, 1, 19, 23, 0)));
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
