//! Session schedules: daily and weekly session periods (StartTime, EndTime,
//! StartDay, EndDay, Weekdays, TimeZone), evaluated from the UTC time the
//! caller gives.
//!
//! A [`Schedule`] describes when a session is in its period. Each period
//! starts a new sequence: when a period has begun since the store was
//! created, sequence numbers are reset to 1 (see
//! [`Schedule::new_period_since`]). Outside its periods a session does not
//! log on.
//!
//! Times of day are civil times in the schedule's [`TimeZone`]: UTC by
//! default, a fixed offset, or an IANA zone such as `America/New_York`
//! whose daylight saving transitions are followed. A period is the
//! half-open interval `[start, end)`; a civil time skipped by a spring-forward
//! transition stands for the first instant after the gap, and a civil time
//! repeated by a fall-back transition for its first occurrence.
//!
//! No method reads a clock and none panics, whatever instant it is given:
//! instants before the year 1 or after the year 9999 are evaluated as if
//! they were at those bounds.
//!
//! ```
//! use fixrs_proto::UtcTimestamp;
//! use fixrs_session::schedule::{Schedule, TimeOfDay, TimeZone, Weekday};
//!
//! // Sunday 17:00 to Friday 17:00 New York time, as FX venues run.
//! let schedule = Schedule::weekly(
//!     Weekday::Sunday,
//!     TimeOfDay::from_hms(17, 0, 0).unwrap(),
//!     Weekday::Friday,
//!     TimeOfDay::from_hms(17, 0, 0).unwrap(),
//! )
//! .in_time_zone(TimeZone::parse("America/New_York").unwrap());
//!
//! // Wednesday 2024-07-10 12:00 UTC is inside; the period began on
//! // Sunday 2024-07-07 at 17:00 EDT = 21:00 UTC.
//! let now = UtcTimestamp::from_ymd_hms_nanos(2024, 7, 10, 12, 0, 0, 0).unwrap();
//! assert!(schedule.is_in_session(now));
//! let start = UtcTimestamp::from_ymd_hms_nanos(2024, 7, 7, 21, 0, 0, 0).unwrap();
//! assert_eq!(schedule.period_start(now), Some(start));
//! ```

use chrono::{MappedLocalTime, Offset, TimeZone as _};
use fixrs_proto::UtcTimestamp;
use std::fmt;
use std::str::FromStr;

const SECS_PER_DAY: i64 = 86_400;

/// The earliest instant evaluated: 0001-01-01T00:00:00Z.
const MIN_SECS: i64 = -62_135_596_800;
/// The latest instant evaluated: 9999-12-31T23:59:59Z.
const MAX_SECS: i64 = 253_402_300_799;

/// Largest accepted fixed UTC offset, 18 hours (as ISO 8601 and chrono).
const MAX_FIXED_OFFSET_SECS: i32 = 18 * 3600;

/// A time of day, seconds since midnight in the schedule's time zone
/// (0 to 86 399).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Midnight, 00:00:00.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    /// A time from hours (0-23), minutes (0-59) and seconds (0-59); `None`
    /// if any is out of range.
    pub const fn from_hms(hour: u32, min: u32, sec: u32) -> Option<TimeOfDay> {
        if hour > 23 || min > 59 || sec > 59 {
            return None;
        }
        Some(TimeOfDay(hour * 3600 + min * 60 + sec))
    }

    /// A time from seconds since midnight; `None` from 86 400 on.
    pub const fn from_secs(secs: u32) -> Option<TimeOfDay> {
        if secs >= SECS_PER_DAY as u32 {
            return None;
        }
        Some(TimeOfDay(secs))
    }

    /// Seconds since midnight.
    pub const fn secs(self) -> u32 {
        self.0
    }

    /// Hours, minutes and seconds.
    pub const fn hms(self) -> (u32, u32, u32) {
        (self.0 / 3600, self.0 / 60 % 60, self.0 % 60)
    }

    /// Parses `HH:MM:SS` or `HH:MM` (one or two digits each), as QuickFIX's
    /// StartTime and EndTime.
    pub fn parse(text: &str) -> Option<TimeOfDay> {
        let mut parts = text.trim().split(':');
        let hour = parse_clock_part(parts.next()?)?;
        let min = parse_clock_part(parts.next()?)?;
        let sec = match parts.next() {
            Some(s) => parse_clock_part(s)?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        TimeOfDay::from_hms(hour, min, sec)
    }
}

fn parse_clock_part(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = self.hms();
        write!(f, "{h:02}:{m:02}:{s:02}")
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Sunday (index 0).
    Sunday,
    /// Monday (index 1).
    Monday,
    /// Tuesday (index 2).
    Tuesday,
    /// Wednesday (index 3).
    Wednesday,
    /// Thursday (index 4).
    Thursday,
    /// Friday (index 5).
    Friday,
    /// Saturday (index 6).
    Saturday,
}

impl Weekday {
    /// Every day, Sunday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Sunday,
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
    ];

    /// The day with this index, 0 = Sunday ... 6 = Saturday (as
    /// [`UtcTimestamp::weekday`]).
    pub const fn from_index(index: u32) -> Option<Weekday> {
        Some(match index {
            0 => Weekday::Sunday,
            1 => Weekday::Monday,
            2 => Weekday::Tuesday,
            3 => Weekday::Wednesday,
            4 => Weekday::Thursday,
            5 => Weekday::Friday,
            6 => Weekday::Saturday,
            _ => return None,
        })
    }

    /// The index of this day, 0 = Sunday ... 6 = Saturday.
    pub const fn index(self) -> u32 {
        self as u32
    }

    /// The English name of the day.
    pub const fn name(self) -> &'static str {
        match self {
            Weekday::Sunday => "Sunday",
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
        }
    }

    /// Parses an English day name or any abbreviation of two letters or
    /// more, in any case (`mo`, `Mon`, `monday`), as QuickFIX's StartDay.
    pub fn parse(text: &str) -> Option<Weekday> {
        let text = text.trim();
        if text.len() < 2 {
            return None;
        }
        Weekday::ALL.into_iter().find(|day| {
            let name = day.name();
            text.len() <= name.len()
                && name.as_bytes()[..text.len()].eq_ignore_ascii_case(text.as_bytes())
        })
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    /// No day.
    pub const NONE: Weekdays = Weekdays(0);
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7f);
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0x3e);

    /// The set of the given days.
    pub fn from_days(days: impl IntoIterator<Item = Weekday>) -> Weekdays {
        days.into_iter().fold(Weekdays::NONE, Weekdays::with)
    }

    /// This set with `day` added.
    pub const fn with(self, day: Weekday) -> Weekdays {
        Weekdays(self.0 | 1 << day.index())
    }

    /// Whether `day` is in the set.
    pub const fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.index()) != 0
    }

    /// Whether the set has no day.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days in the set, Sunday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        Weekday::ALL.into_iter().filter(move |d| self.contains(*d))
    }

    /// Parses a comma-separated list of day names (QuickFIX/J's Weekdays,
    /// e.g. `Mon,Tue,Wed,Thu,Fri`); `None` if a name is unknown or the list
    /// is empty.
    pub fn parse(text: &str) -> Option<Weekdays> {
        let mut set = Weekdays::NONE;
        for name in text.split(',') {
            set = set.with(Weekday::parse(name)?);
        }
        (!set.is_empty()).then_some(set)
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, day) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&day.name()[..3])?;
        }
        Ok(())
    }
}

/// The time zone a schedule's times of day are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeZone(Zone);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
enum Zone {
    #[default]
    Utc,
    Fixed(i32),
    Named(chrono_tz::Tz),
}

/// The error of parsing a [`TimeZone`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (expected UTC, an offset such as +05:30 or UTC-04:00, or an IANA name such as America/New_York)")]
pub struct UnknownTimeZone(pub String);

impl TimeZone {
    /// Coordinated Universal Time, the default.
    pub const UTC: TimeZone = TimeZone(Zone::Utc);

    /// A fixed offset east of UTC in seconds; `None` beyond ±18 hours.
    pub const fn fixed(offset_secs: i32) -> Option<TimeZone> {
        if offset_secs > MAX_FIXED_OFFSET_SECS || offset_secs < -MAX_FIXED_OFFSET_SECS {
            return None;
        }
        Some(TimeZone(Zone::Fixed(offset_secs)))
    }

    /// An IANA time zone by name (`America/New_York`, `Europe/London`,
    /// `Asia/Tokyo`), with its daylight saving rules; `None` if unknown.
    pub fn named(name: &str) -> Option<TimeZone> {
        chrono_tz::Tz::from_str(name.trim())
            .ok()
            .map(|tz| TimeZone(Zone::Named(tz)))
    }

    /// Parses `UTC`, `GMT` or `Z`; a fixed offset such as `+05:30`, `-0400`,
    /// `+9`, `UTC+01:00` or `GMT-5`; or an IANA name.
    pub fn parse(text: &str) -> Result<TimeZone, UnknownTimeZone> {
        let t = text.trim();
        let unknown = || UnknownTimeZone(t.to_string());
        if ["UTC", "GMT", "Z"]
            .iter()
            .any(|z| t.eq_ignore_ascii_case(z))
        {
            return Ok(TimeZone::UTC);
        }
        let offset = ["UTC", "GMT"]
            .iter()
            .find_map(|p| {
                let head = t.get(..p.len())?;
                head.eq_ignore_ascii_case(p).then(|| &t[p.len()..])
            })
            .unwrap_or(t);
        if offset.starts_with(['+', '-']) {
            return parse_fixed_offset(offset)
                .and_then(TimeZone::fixed)
                .ok_or_else(unknown);
        }
        TimeZone::named(t).ok_or_else(unknown)
    }

    /// The zone's offset east of UTC at the instant `utc`, in seconds.
    pub fn utc_offset_secs(&self, utc: UtcTimestamp) -> i32 {
        self.offset_at(clamp_secs(utc.unix_secs()))
    }

    fn offset_at(self, utc_secs: i64) -> i32 {
        match self.0 {
            Zone::Utc => 0,
            Zone::Fixed(offset) => offset,
            Zone::Named(tz) => match chrono::DateTime::from_timestamp(utc_secs, 0) {
                Some(dt) => tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc(),
                None => 0,
            },
        }
    }

    /// Civil seconds since 1970-01-01T00:00 local of the instant `utc_secs`.
    fn to_local(self, utc_secs: i64) -> i64 {
        utc_secs + i64::from(self.offset_at(utc_secs))
    }

    /// The instant of the civil time `local` (seconds since
    /// 1970-01-01T00:00 local): the first occurrence of a repeated time, the
    /// end of the gap for a skipped one.
    fn to_utc(self, local: i64) -> i64 {
        let tz = match self.0 {
            Zone::Utc => return local,
            Zone::Fixed(offset) => return local - i64::from(offset),
            Zone::Named(tz) => tz,
        };
        let Some(naive) = chrono::DateTime::from_timestamp(local, 0).map(|d| d.naive_utc()) else {
            return local;
        };
        match tz.offset_from_local_datetime(&naive) {
            MappedLocalTime::Single(o) => local - i64::from(o.fix().local_minus_utc()),
            MappedLocalTime::Ambiguous(a, b) => {
                let a = local - i64::from(a.fix().local_minus_utc());
                let b = local - i64::from(b.fix().local_minus_utc());
                a.min(b)
            }
            MappedLocalTime::None => {
                // In a gap: the first instant whose civil time is at or after
                // `local`. Offsets lie within ±15 hours, so the transition is
                // within that distance, and civil time only moves forward
                // across a gap.
                let (mut lo, mut hi) = (local - 15 * 3600, local + 15 * 3600);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.to_local(mid) >= local {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            }
        }
    }
}

fn parse_fixed_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if !rest.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (hours, mins) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(mins) {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let mins: i32 = mins.parse().ok()?;
    if mins > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + mins * 60))
}

impl FromStr for TimeZone {
    type Err = UnknownTimeZone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeZone::parse(s)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Zone::Utc => f.write_str("UTC"),
            Zone::Fixed(offset) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.unsigned_abs();
                write!(f, "UTC{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60)
            }
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

/// How periods repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recurrence {
    /// A period starts at the start time on each of these days and ends at
    /// the next end time (the next day when the end time is not after the
    /// start time; a start time equal to the end time makes a 24-hour
    /// period).
    Daily(Weekdays),
    /// One period a week, from the start time on `start_day` to the end
    /// time on `end_day` (a full week when both are equal and the end time
    /// is not after the start time).
    Weekly {
        /// The day the period starts (StartDay).
        start_day: Weekday,
        /// The day the period ends (EndDay).
        end_day: Weekday,
    },
}

/// One session period, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// The first instant in the period.
    pub start: UtcTimestamp,
    /// The first instant after the period.
    pub end: UtcTimestamp,
}

impl Period {
    /// Whether `utc` lies in the period.
    pub fn contains(&self, utc: UtcTimestamp) -> bool {
        self.start <= utc && utc < self.end
    }
}

/// When a session is in its period. A new period starts a new sequence
/// (sequence numbers reset to 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schedule {
    start_time: TimeOfDay,
    end_time: TimeOfDay,
    recurrence: Recurrence,
    time_zone: TimeZone,
}

/// A period in local civil seconds and in UTC seconds.
#[derive(Debug, Clone, Copy)]
struct RawPeriod {
    start: i64,
    end: i64,
}

impl RawPeriod {
    fn to_period(self) -> Period {
        Period {
            start: UtcTimestamp::from_unix(self.start, 0),
            end: UtcTimestamp::from_unix(self.end, 0),
        }
    }
}

impl Schedule {
    /// A period every day from `start_time` to `end_time` (crossing
    /// midnight when `end_time` is not after `start_time`), in UTC.
    pub const fn daily(start_time: TimeOfDay, end_time: TimeOfDay) -> Schedule {
        Schedule::daily_on(Weekdays::ALL, start_time, end_time)
    }

    /// A daily period that starts only on the given days (QuickFIX/J's
    /// Weekdays), in UTC. A period crossing midnight belongs to the day it
    /// starts on.
    pub const fn daily_on(days: Weekdays, start_time: TimeOfDay, end_time: TimeOfDay) -> Schedule {
        Schedule {
            start_time,
            end_time,
            recurrence: Recurrence::Daily(days),
            time_zone: TimeZone::UTC,
        }
    }

    /// A weekly period from `start_time` on `start_day` to `end_time` on
    /// `end_day`, in UTC.
    pub const fn weekly(
        start_day: Weekday,
        start_time: TimeOfDay,
        end_day: Weekday,
        end_time: TimeOfDay,
    ) -> Schedule {
        Schedule {
            start_time,
            end_time,
            recurrence: Recurrence::Weekly { start_day, end_day },
            time_zone: TimeZone::UTC,
        }
    }

    /// This schedule with its times read in `time_zone`.
    pub const fn in_time_zone(mut self, time_zone: TimeZone) -> Schedule {
        self.time_zone = time_zone;
        self
    }

    /// The start of each period (StartTime).
    pub const fn start_time(&self) -> TimeOfDay {
        self.start_time
    }

    /// The end of each period (EndTime).
    pub const fn end_time(&self) -> TimeOfDay {
        self.end_time
    }

    /// How periods repeat.
    pub const fn recurrence(&self) -> Recurrence {
        self.recurrence
    }

    /// The time zone of the times of day.
    pub const fn time_zone(&self) -> TimeZone {
        self.time_zone
    }

    /// Whether `utc` lies inside a session period.
    pub fn is_in_session(&self, utc: UtcTimestamp) -> bool {
        self.period_at(utc).is_some()
    }

    /// The period containing `utc`, if any.
    pub fn period_at(&self, utc: UtcTimestamp) -> Option<Period> {
        let t = clamp_secs(utc.unix_secs());
        let last = self.last_raw_start_at_or_before(t)?;
        (t < last.end).then(|| last.to_period())
    }

    /// The start of the period containing `utc`, if any.
    pub fn period_start(&self, utc: UtcTimestamp) -> Option<UtcTimestamp> {
        self.period_at(utc).map(|p| p.start)
    }

    /// The latest period start at or before `utc`, whether or not that
    /// period is still running.
    pub fn last_start(&self, utc: UtcTimestamp) -> Option<UtcTimestamp> {
        let t = clamp_secs(utc.unix_secs());
        self.last_raw_start_at_or_before(t)
            .map(|p| UtcTimestamp::from_unix(p.start, 0))
    }

    /// The first period that starts strictly after `utc`.
    pub fn next_period(&self, utc: UtcTimestamp) -> Option<Period> {
        let t = clamp_secs(utc.unix_secs());
        let today = self.time_zone.to_local(t).div_euclid(SECS_PER_DAY);
        (today - 1..=today + 8)
            .filter_map(|day| self.raw_period_starting_on(day))
            .find(|p| p.start > t)
            .map(RawPeriod::to_period)
    }

    /// The next period start strictly after `utc` (when to log on next).
    pub fn next_start(&self, utc: UtcTimestamp) -> Option<UtcTimestamp> {
        self.next_period(utc).map(|p| p.start)
    }

    /// The end of the period containing `utc`, or else of the next period
    /// (when to log out next).
    pub fn next_end(&self, utc: UtcTimestamp) -> Option<UtcTimestamp> {
        self.period_at(utc)
            .or_else(|| self.next_period(utc))
            .map(|p| p.end)
    }

    /// Whether a period started after `created` and at or before `now`:
    /// a store created at `created` belongs to an earlier period (or none),
    /// so its sequence numbers must be reset before the next Logon.
    pub fn new_period_since(&self, created: UtcTimestamp, now: UtcTimestamp) -> bool {
        match self.last_start(now) {
            Some(start) => created < start,
            None => false,
        }
    }

    /// Whether `a` and `b` lie in the same session period (both outside any
    /// period is not the same period).
    pub fn is_same_period(&self, a: UtcTimestamp, b: UtcTimestamp) -> bool {
        match self.period_at(a) {
            Some(p) => p.contains(b),
            None => false,
        }
    }

    /// The period starting on local day `day` (days since 1970-01-01), if
    /// one does and it is not empty.
    fn raw_period_starting_on(&self, day: i64) -> Option<RawPeriod> {
        let weekday = Weekday::from_index((day + 4).rem_euclid(7) as u32)?;
        let start_tod = i64::from(self.start_time.secs());
        let end_tod = i64::from(self.end_time.secs());
        let end_day_offset = match self.recurrence {
            Recurrence::Daily(days) => {
                if !days.contains(weekday) {
                    return None;
                }
                i64::from(end_tod <= start_tod)
            }
            Recurrence::Weekly { start_day, end_day } => {
                if weekday != start_day {
                    return None;
                }
                let days =
                    (i64::from(end_day.index()) - i64::from(start_day.index())).rem_euclid(7);
                if days == 0 && end_tod <= start_tod {
                    7
                } else {
                    days
                }
            }
        };
        let start = self.time_zone.to_utc(day * SECS_PER_DAY + start_tod);
        let end = self
            .time_zone
            .to_utc((day + end_day_offset) * SECS_PER_DAY + end_tod);
        // Both ends inside one daylight saving gap leave nothing.
        (end > start).then_some(RawPeriod { start, end })
    }

    /// The latest non-empty period whose start is at or before `t`.
    fn last_raw_start_at_or_before(&self, t: i64) -> Option<RawPeriod> {
        let today = self.time_zone.to_local(t).div_euclid(SECS_PER_DAY);
        // The longest period (weekly) lasts at most eight civil days, and
        // any non-empty schedule starts a period at least weekly.
        (today - 8..=today + 1)
            .rev()
            .filter_map(|day| self.raw_period_starting_on(day))
            .find(|p| p.start <= t)
    }
}

fn clamp_secs(secs: i64) -> i64 {
    secs.clamp(MIN_SECS, MAX_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> UtcTimestamp {
        UtcTimestamp::from_ymd_hms_nanos(y, mo, d, h, mi, s, 0).expect("valid test time")
    }

    fn tod(h: u32, m: u32, s: u32) -> TimeOfDay {
        TimeOfDay::from_hms(h, m, s).expect("valid time of day")
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).expect("known zone")
    }

    #[test]
    fn time_of_day_parses_and_rejects() {
        assert_eq!(TimeOfDay::parse("08:30:15"), Some(tod(8, 30, 15)));
        assert_eq!(TimeOfDay::parse("8:30"), Some(tod(8, 30, 0)));
        assert_eq!(TimeOfDay::parse(" 23:59:59 "), Some(tod(23, 59, 59)));
        for bad in [
            "24:00:00", "12:60:00", "12:00:60", "12", "", "1:2:3:4", "aa:bb", "-1:00", "123:00",
        ] {
            assert_eq!(TimeOfDay::parse(bad), None, "{bad}");
        }
        assert_eq!(tod(7, 5, 3).to_string(), "07:05:03");
        assert_eq!(TimeOfDay::from_secs(86_400), None);
        assert_eq!(TimeOfDay::from_secs(86_399), Some(tod(23, 59, 59)));
    }

    #[test]
    fn weekday_names_and_abbreviations() {
        assert_eq!(Weekday::parse("mo"), Some(Weekday::Monday));
        assert_eq!(Weekday::parse("Thu"), Some(Weekday::Thursday));
        assert_eq!(Weekday::parse("SATURDAY"), Some(Weekday::Saturday));
        assert_eq!(Weekday::parse("s"), None);
        assert_eq!(Weekday::parse("sundays"), None);
        assert_eq!(Weekday::parse("funday"), None);
        assert_eq!(
            Weekdays::parse("Mon, Tue,wed,th,FRIDAY"),
            Some(Weekdays::MONDAY_TO_FRIDAY)
        );
        assert_eq!(Weekdays::parse(""), None);
        assert_eq!(Weekdays::parse("Mon,,Tue"), None);
        assert_eq!(
            Weekdays::MONDAY_TO_FRIDAY.to_string(),
            "Mon,Tue,Wed,Thu,Fri"
        );
    }

    #[test]
    fn time_zone_forms() {
        assert_eq!(zone("utc"), TimeZone::UTC);
        assert_eq!(zone("Z"), TimeZone::UTC);
        assert_eq!(zone("+05:30"), TimeZone::fixed(19_800).expect("in range"));
        assert_eq!(
            zone("UTC-04:00"),
            TimeZone::fixed(-14_400).expect("in range")
        );
        assert_eq!(zone("GMT-5"), TimeZone::fixed(-18_000).expect("in range"));
        assert_eq!(zone("-0330"), TimeZone::fixed(-12_600).expect("in range"));
        assert_eq!(zone("America/New_York").to_string(), "America/New_York");
        assert_eq!(zone("+05:30").to_string(), "UTC+05:30");
        for bad in [
            "Mars/Olympus",
            "+25:00",
            "+05:75",
            "UTC+",
            "+5:3:0",
            "",
            "++1",
        ] {
            assert!(TimeZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zone_offsets_follow_dst() {
        let ny = zone("America/New_York");
        assert_eq!(ny.utc_offset_secs(ts(2024, 1, 15, 12, 0, 0)), -5 * 3600);
        assert_eq!(ny.utc_offset_secs(ts(2024, 7, 15, 12, 0, 0)), -4 * 3600);
        let london = zone("Europe/London");
        assert_eq!(london.utc_offset_secs(ts(2024, 1, 15, 12, 0, 0)), 0);
        assert_eq!(london.utc_offset_secs(ts(2024, 7, 15, 12, 0, 0)), 3600);
    }

    #[test]
    fn daily_session_inside_and_outside() {
        let s = Schedule::daily(tod(8, 0, 0), tod(17, 0, 0));
        assert!(!s.is_in_session(ts(2024, 3, 5, 7, 59, 59)));
        assert!(s.is_in_session(ts(2024, 3, 5, 8, 0, 0)));
        assert!(s.is_in_session(ts(2024, 3, 5, 16, 59, 59)));
        assert!(!s.is_in_session(ts(2024, 3, 5, 17, 0, 0)));
        assert_eq!(
            s.period_at(ts(2024, 3, 5, 12, 0, 0)),
            Some(Period {
                start: ts(2024, 3, 5, 8, 0, 0),
                end: ts(2024, 3, 5, 17, 0, 0)
            })
        );
        assert_eq!(s.period_start(ts(2024, 3, 5, 18, 0, 0)), None);
        assert_eq!(
            s.last_start(ts(2024, 3, 5, 18, 0, 0)),
            Some(ts(2024, 3, 5, 8, 0, 0))
        );
        assert_eq!(
            s.next_start(ts(2024, 3, 5, 12, 0, 0)),
            Some(ts(2024, 3, 6, 8, 0, 0))
        );
        assert_eq!(
            s.next_start(ts(2024, 3, 5, 7, 0, 0)),
            Some(ts(2024, 3, 5, 8, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 3, 5, 12, 0, 0)),
            Some(ts(2024, 3, 5, 17, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 3, 5, 18, 0, 0)),
            Some(ts(2024, 3, 6, 17, 0, 0))
        );
    }

    #[test]
    fn next_start_is_strictly_after_and_subsecond_instants_count() {
        let s = Schedule::daily(tod(8, 0, 0), tod(17, 0, 0));
        let start = ts(2024, 3, 5, 8, 0, 0);
        assert_eq!(s.next_start(start), Some(ts(2024, 3, 6, 8, 0, 0)));
        let just_before = UtcTimestamp::from_unix(start.unix_secs() - 1, 999_999_999);
        assert!(!s.is_in_session(just_before));
        assert_eq!(s.next_start(just_before), Some(start));
        let end = ts(2024, 3, 5, 17, 0, 0);
        let just_before_end = UtcTimestamp::from_unix(end.unix_secs() - 1, 999_999_999);
        assert!(s.is_in_session(just_before_end));
    }

    #[test]
    fn overnight_daily_session_crosses_midnight() {
        let s = Schedule::daily(tod(22, 0, 0), tod(6, 0, 0));
        assert!(s.is_in_session(ts(2024, 3, 5, 23, 0, 0)));
        assert!(s.is_in_session(ts(2024, 3, 6, 5, 59, 59)));
        assert!(!s.is_in_session(ts(2024, 3, 6, 6, 0, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 6, 21, 59, 59)));
        assert_eq!(
            s.period_start(ts(2024, 3, 6, 3, 0, 0)),
            Some(ts(2024, 3, 5, 22, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 3, 6, 3, 0, 0)),
            Some(ts(2024, 3, 6, 6, 0, 0))
        );
        assert_eq!(
            s.next_start(ts(2024, 3, 6, 3, 0, 0)),
            Some(ts(2024, 3, 6, 22, 0, 0))
        );
    }

    #[test]
    fn equal_start_and_end_is_a_24_hour_period_with_daily_reset() {
        let s = Schedule::daily(tod(5, 0, 0), tod(5, 0, 0));
        assert!(s.is_in_session(ts(2024, 3, 6, 4, 59, 59)));
        assert!(s.is_in_session(ts(2024, 3, 6, 5, 0, 0)));
        assert_eq!(
            s.period_start(ts(2024, 3, 6, 4, 0, 0)),
            Some(ts(2024, 3, 5, 5, 0, 0))
        );
        assert_eq!(
            s.period_start(ts(2024, 3, 6, 6, 0, 0)),
            Some(ts(2024, 3, 6, 5, 0, 0))
        );
        assert!(s.new_period_since(ts(2024, 3, 6, 4, 0, 0), ts(2024, 3, 6, 6, 0, 0)));
        assert!(!s.is_same_period(ts(2024, 3, 6, 4, 0, 0), ts(2024, 3, 6, 6, 0, 0)));
    }

    #[test]
    fn daily_on_weekdays_only() {
        let s = Schedule::daily_on(Weekdays::MONDAY_TO_FRIDAY, tod(22, 0, 0), tod(6, 0, 0));
        // 2024-03-08 is a Friday: its period runs into Saturday morning.
        assert!(s.is_in_session(ts(2024, 3, 9, 2, 0, 0)));
        // Saturday night starts nothing.
        assert!(!s.is_in_session(ts(2024, 3, 9, 23, 0, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 10, 23, 0, 0)));
        assert_eq!(
            s.next_start(ts(2024, 3, 9, 12, 0, 0)),
            Some(ts(2024, 3, 11, 22, 0, 0))
        );
        let never = Schedule::daily_on(Weekdays::NONE, tod(8, 0, 0), tod(17, 0, 0));
        assert!(!never.is_in_session(ts(2024, 3, 5, 12, 0, 0)));
        assert_eq!(never.next_start(ts(2024, 3, 5, 12, 0, 0)), None);
        assert_eq!(never.next_end(ts(2024, 3, 5, 12, 0, 0)), None);
        assert!(!never.new_period_since(UtcTimestamp::UNIX_EPOCH, ts(2024, 3, 5, 12, 0, 0)));
    }

    #[test]
    fn weekly_session() {
        // Monday 2024-03-04 06:00 to Friday 2024-03-08 18:00.
        let s = Schedule::weekly(
            Weekday::Monday,
            tod(6, 0, 0),
            Weekday::Friday,
            tod(18, 0, 0),
        );
        assert!(!s.is_in_session(ts(2024, 3, 4, 5, 59, 59)));
        assert!(s.is_in_session(ts(2024, 3, 4, 6, 0, 0)));
        assert!(s.is_in_session(ts(2024, 3, 6, 0, 0, 0)));
        assert!(s.is_in_session(ts(2024, 3, 8, 17, 59, 59)));
        assert!(!s.is_in_session(ts(2024, 3, 8, 18, 0, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 9, 12, 0, 0)));
        assert_eq!(
            s.period_start(ts(2024, 3, 7, 1, 0, 0)),
            Some(ts(2024, 3, 4, 6, 0, 0))
        );
        assert_eq!(
            s.next_start(ts(2024, 3, 9, 12, 0, 0)),
            Some(ts(2024, 3, 11, 6, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 3, 5, 12, 0, 0)),
            Some(ts(2024, 3, 8, 18, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 3, 9, 12, 0, 0)),
            Some(ts(2024, 3, 15, 18, 0, 0))
        );
    }

    #[test]
    fn weekly_session_wrapping_over_the_weekend() {
        // Friday 20:00 to Monday 04:00.
        let s = Schedule::weekly(
            Weekday::Friday,
            tod(20, 0, 0),
            Weekday::Monday,
            tod(4, 0, 0),
        );
        assert!(s.is_in_session(ts(2024, 3, 10, 12, 0, 0)));
        assert!(s.is_in_session(ts(2024, 3, 11, 3, 0, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 11, 4, 0, 0)));
        assert_eq!(
            s.period_start(ts(2024, 3, 11, 3, 0, 0)),
            Some(ts(2024, 3, 8, 20, 0, 0))
        );
    }

    #[test]
    fn weekly_same_day_full_week_and_short_day() {
        let week = Schedule::weekly(
            Weekday::Sunday,
            tod(17, 0, 0),
            Weekday::Sunday,
            tod(17, 0, 0),
        );
        // 2024-03-10 is a Sunday.
        assert!(week.is_in_session(ts(2024, 3, 10, 16, 59, 59)));
        assert_eq!(
            week.period_start(ts(2024, 3, 10, 16, 0, 0)),
            Some(ts(2024, 3, 3, 17, 0, 0))
        );
        assert_eq!(
            week.period_start(ts(2024, 3, 10, 17, 0, 0)),
            Some(ts(2024, 3, 10, 17, 0, 0))
        );
        let day = Schedule::weekly(
            Weekday::Sunday,
            tod(9, 0, 0),
            Weekday::Sunday,
            tod(10, 0, 0),
        );
        assert!(day.is_in_session(ts(2024, 3, 10, 9, 30, 0)));
        assert!(!day.is_in_session(ts(2024, 3, 11, 9, 30, 0)));
    }

    #[test]
    fn fixed_offset_zone() {
        let s = Schedule::daily(tod(9, 0, 0), tod(15, 0, 0)).in_time_zone(zone("+09:00"));
        // 09:00 in Tokyo is 00:00 UTC.
        assert_eq!(
            s.period_start(ts(2024, 3, 5, 3, 0, 0)),
            Some(ts(2024, 3, 5, 0, 0, 0))
        );
        assert!(!s.is_in_session(ts(2024, 3, 5, 6, 0, 0)));
    }

    #[test]
    fn new_york_dst_spring_forward() {
        let ny = zone("America/New_York");
        let s = Schedule::daily(tod(9, 30, 0), tod(16, 0, 0)).in_time_zone(ny);
        // Before the 2024-03-10 transition, 09:30 EST = 14:30 UTC; after it
        // 09:30 EDT = 13:30 UTC.
        assert_eq!(
            s.period_start(ts(2024, 3, 8, 15, 0, 0)),
            Some(ts(2024, 3, 8, 14, 30, 0))
        );
        assert_eq!(
            s.period_start(ts(2024, 3, 11, 15, 0, 0)),
            Some(ts(2024, 3, 11, 13, 30, 0))
        );
        assert!(s.is_in_session(ts(2024, 3, 11, 13, 45, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 8, 13, 45, 0)));
        // A period over the transition night, 00:00 to 06:00, lasts 5 hours.
        let night = Schedule::daily(tod(0, 0, 0), tod(6, 0, 0)).in_time_zone(ny);
        let p = night
            .period_at(ts(2024, 3, 10, 7, 0, 0))
            .expect("in period");
        assert_eq!(p.start, ts(2024, 3, 10, 5, 0, 0));
        assert_eq!(p.end, ts(2024, 3, 10, 10, 0, 0));
        // A start time inside the skipped hour starts at the end of the gap
        // (03:00 EDT = 07:00 UTC).
        let gap = Schedule::daily(tod(2, 30, 0), tod(12, 0, 0)).in_time_zone(ny);
        assert_eq!(
            gap.next_start(ts(2024, 3, 10, 0, 0, 0)),
            Some(ts(2024, 3, 10, 7, 0, 0))
        );
        assert_eq!(
            gap.next_start(ts(2024, 3, 10, 7, 0, 0)),
            Some(ts(2024, 3, 11, 6, 30, 0))
        );
        // A period wholly inside the gap never runs.
        let empty = Schedule::daily(tod(2, 10, 0), tod(2, 50, 0)).in_time_zone(ny);
        assert!(!empty.is_in_session(ts(2024, 3, 10, 7, 0, 0)));
        assert_eq!(
            empty.next_start(ts(2024, 3, 10, 0, 0, 0)),
            Some(ts(2024, 3, 11, 6, 10, 0))
        );
    }

    #[test]
    fn new_york_dst_fall_back() {
        let ny = zone("America/New_York");
        // 2024-11-03 01:00-02:00 happens twice; the period starting at 01:30
        // starts at the first occurrence (EDT, 05:30 UTC).
        let s = Schedule::daily(tod(1, 30, 0), tod(1, 0, 0)).in_time_zone(ny);
        assert_eq!(
            s.next_start(ts(2024, 11, 3, 0, 0, 0)),
            Some(ts(2024, 11, 3, 5, 30, 0))
        );
        // The 23:30 hour day after the 24-hour-long previous one.
        let p = s.period_at(ts(2024, 11, 3, 12, 0, 0)).expect("in period");
        assert_eq!(p.start, ts(2024, 11, 3, 5, 30, 0));
        assert_eq!(p.end, ts(2024, 11, 4, 6, 0, 0));
        // The night over the transition, 00:00 to 06:00, lasts 7 hours.
        let night = Schedule::daily(tod(0, 0, 0), tod(6, 0, 0)).in_time_zone(ny);
        let p = night
            .period_at(ts(2024, 11, 3, 7, 0, 0))
            .expect("in period");
        assert_eq!(p.start, ts(2024, 11, 3, 4, 0, 0));
        assert_eq!(p.end, ts(2024, 11, 3, 11, 0, 0));
    }

    #[test]
    fn london_dst_transitions() {
        let london = zone("Europe/London");
        let s = Schedule::daily(tod(7, 0, 0), tod(17, 0, 0)).in_time_zone(london);
        // Winter: 07:00 GMT = 07:00 UTC; summer (from 2024-03-31): 06:00 UTC.
        assert_eq!(
            s.period_start(ts(2024, 3, 29, 12, 0, 0)),
            Some(ts(2024, 3, 29, 7, 0, 0))
        );
        assert_eq!(
            s.period_start(ts(2024, 4, 1, 12, 0, 0)),
            Some(ts(2024, 4, 1, 6, 0, 0))
        );
        assert!(s.is_in_session(ts(2024, 4, 1, 6, 30, 0)));
        assert!(!s.is_in_session(ts(2024, 3, 29, 6, 30, 0)));
        // Back to GMT on 2024-10-27.
        assert_eq!(
            s.period_start(ts(2024, 10, 28, 12, 0, 0)),
            Some(ts(2024, 10, 28, 7, 0, 0))
        );
        assert_eq!(
            s.next_end(ts(2024, 10, 25, 12, 0, 0)),
            Some(ts(2024, 10, 25, 16, 0, 0))
        );
        // A weekly period spanning the spring transition is an hour shorter.
        let weekly = Schedule::weekly(Weekday::Sunday, tod(0, 0, 0), Weekday::Sunday, tod(0, 0, 0))
            .in_time_zone(london);
        let p = weekly
            .period_at(ts(2024, 3, 31, 12, 0, 0))
            .expect("in period");
        assert_eq!(p.start, ts(2024, 3, 31, 0, 0, 0));
        assert_eq!(p.end, ts(2024, 4, 6, 23, 0, 0));
    }

    #[test]
    fn new_period_since_creation_time() {
        let s = Schedule::daily(tod(8, 0, 0), tod(17, 0, 0));
        let created = ts(2024, 3, 5, 9, 0, 0);
        // Same period: no reset.
        assert!(!s.new_period_since(created, ts(2024, 3, 5, 16, 0, 0)));
        assert!(s.is_same_period(created, ts(2024, 3, 5, 16, 0, 0)));
        // After the end but before the next start: still no new period.
        assert!(!s.new_period_since(created, ts(2024, 3, 5, 23, 0, 0)));
        // Next day's period: reset.
        assert!(s.new_period_since(created, ts(2024, 3, 6, 8, 0, 0)));
        assert!(s.new_period_since(created, ts(2024, 3, 6, 8, 0, 1)));
        // A store created exactly at the start belongs to that period.
        assert!(!s.new_period_since(ts(2024, 3, 6, 8, 0, 0), ts(2024, 3, 6, 9, 0, 0)));
        // Created before any period of the schedule started.
        assert!(s.new_period_since(ts(2024, 3, 5, 7, 0, 0), ts(2024, 3, 5, 8, 30, 0)));
        // Weekly: a store from last week is stale, one from Monday is not.
        let w = Schedule::weekly(
            Weekday::Sunday,
            tod(17, 0, 0),
            Weekday::Friday,
            tod(17, 0, 0),
        )
        .in_time_zone(zone("America/New_York"));
        assert!(w.new_period_since(ts(2024, 3, 8, 12, 0, 0), ts(2024, 3, 11, 12, 0, 0)));
        assert!(!w.new_period_since(ts(2024, 3, 11, 1, 0, 0), ts(2024, 3, 13, 12, 0, 0)));
    }

    /// Every string of up to four characters over an alphabet of the
    /// characters these parsers care about, plus multi-byte ones.
    fn tricky_strings() -> Vec<String> {
        let alphabet = ['+', '-', '1', '9', ':', ' ', 'é', 'U', 'm', '/', '\u{1}'];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(next.iter().cloned());
            last = next;
        }
        all
    }

    #[test]
    fn parsers_never_panic_on_odd_text() {
        for s in tricky_strings() {
            let _ = TimeZone::parse(&s);
            let _ = TimeOfDay::parse(&s);
            let _ = Weekday::parse(&s);
            let _ = Weekdays::parse(&s);
            if let Ok(zone) = TimeZone::parse(&s) {
                let shown = zone.to_string();
                assert_eq!(TimeZone::parse(&shown), Ok(zone), "{s:?} shown as {shown}");
            }
        }
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let schedules = [
            Schedule::daily(tod(8, 0, 0), tod(17, 0, 0)).in_time_zone(zone("America/New_York")),
            Schedule::weekly(
                Weekday::Saturday,
                tod(23, 59, 59),
                Weekday::Saturday,
                tod(0, 0, 0),
            )
            .in_time_zone(zone("-18:00")),
            Schedule::daily(tod(0, 0, 0), tod(0, 0, 0)).in_time_zone(zone("+18:00")),
        ];
        let instants = [
            UtcTimestamp::from_unix(i64::MIN, 0),
            UtcTimestamp::from_unix(i64::MAX, 999_999_999),
            UtcTimestamp::from_unix(MIN_SECS, 0),
            UtcTimestamp::from_unix(MAX_SECS, 0),
            UtcTimestamp::UNIX_EPOCH,
        ];
        for s in schedules {
            for t in instants {
                let in_session = s.is_in_session(t);
                assert_eq!(in_session, s.period_start(t).is_some());
                if let Some(p) = s.period_at(t) {
                    assert!(p.start < p.end);
                }
                if let Some(next) = s.next_start(t) {
                    assert!(next.unix_secs() > t.unix_secs().clamp(MIN_SECS, MAX_SECS));
                }
                let _ = s.next_end(t);
                let _ = s.new_period_since(t, t);
            }
        }
    }
}
