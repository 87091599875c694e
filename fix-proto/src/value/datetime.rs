//! Dates, times of day and time-zoned values: UTCDateOnly, LocalMktDate,
//! MonthYear, UTCTimeOnly, TZTimeOnly and TZTimestamp.
//!
//! Fixed-layout values (`YYYYMMDD`, `HH:MM:SS[.fff]`) are parsed by hand;
//! the ones with optional parts and alternatives go through the nom
//! grammars of [`super::grammar`]. Every value checks its ranges (month
//! 1-12, day within the month, hour 0-23, minute 0-59, second 0-60 to allow
//! a leap second) and reports [`ValueError::BadDateTime`] for bad syntax,
//! [`ValueError::DateTimeOutOfRange`] for a bad component and
//! [`ValueError::BadTimeZone`] for a missing or malformed zone.

use super::grammar::{self, MonthYearSuffix};
use super::time::{days_from_civil, days_in_month, two, write_fraction};
use super::{FromFixValue, TimePrecision, ToFixValue, UtcTimestamp, ValueError};

/// A calendar date (proleptic Gregorian, years 0 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` if a component is out of range.
    pub fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        if year > 9999 || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year as i32, month) {
            return None;
        }
        Some(Date {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        })
    }

    /// The year.
    pub const fn year(self) -> u32 {
        self.year as u32
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u32 {
        self.month as u32
    }

    /// The day of the month, 1 to 31.
    pub const fn day(self) -> u32 {
        self.day as u32
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year as i32, self.month as u32, self.day as u32)
    }

    /// Midnight UTC at the start of this date.
    pub fn to_utc_midnight(self) -> UtcTimestamp {
        UtcTimestamp::from_unix(self.days_since_epoch() * 86_400, 0)
    }

    /// Parses `YYYYMMDD`.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Date, ValueError> {
        match bytes {
            [] => Err(ValueError::Empty),
            [y0, y1, y2, y3, m0, m1, d0, d1] => {
                let year = num(&[*y0, *y1, *y2, *y3])?;
                let month = num(&[*m0, *m1])?;
                let day = num(&[*d0, *d1])?;
                Date::new(year, month, day).ok_or(ValueError::DateTimeOutOfRange)
            }
            _ => Err(ValueError::BadDateTime),
        }
    }

    /// Appends `YYYYMMDD`.
    pub fn write(self, out: &mut Vec<u8>) {
        let mut b = [0u8; 8];
        two(&mut b[0..2], self.year as u32 / 100);
        two(&mut b[2..4], self.year as u32 % 100);
        two(&mut b[4..6], self.month as u32);
        two(&mut b[6..8], self.day as u32);
        out.extend_from_slice(&b);
    }
}

impl From<UtcTimestamp> for Date {
    /// The UTC date of a timestamp (clamped to years 0 to 9999).
    fn from(t: UtcTimestamp) -> Date {
        let (y, m, d) = t.date();
        Date {
            year: y.clamp(0, 9999) as u16,
            month: m as u8,
            day: d as u8,
        }
    }
}

/// ASCII digits as a number, or [`ValueError::BadDateTime`].
#[inline]
fn num(bytes: &[u8]) -> Result<u32, ValueError> {
    let mut n = 0u32;
    for &b in bytes {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(ValueError::BadDateTime);
        }
        n = n * 10 + d as u32;
    }
    Ok(n)
}

macro_rules! date_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Date);

        impl $name {
            /// The date, or `None` if a component is out of range.
            pub fn new(year: u32, month: u32, day: u32) -> Option<$name> {
                Date::new(year, month, day).map($name)
            }

            /// The calendar date.
            pub const fn date(self) -> Date {
                self.0
            }
        }

        impl<'a> FromFixValue<'a> for $name {
            #[inline]
            fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
                Date::parse(bytes).map($name)
            }
        }

        impl ToFixValue for $name {
            fn write_fix_value(&self, out: &mut Vec<u8>) {
                self.0.write(out)
            }
        }
    };
}

date_type! {
    /// UTCDateOnly: a date in UTC, `YYYYMMDD` (MDEntryDate(272), ...).
    UtcDateOnly
}

date_type! {
    /// LocalMktDate: a date in the market's local time zone, `YYYYMMDD`
    /// (TradeDate(75), SettlDate(64), MaturityDate(541), ...).
    LocalMktDate
}

/// MonthYear: `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` (MaturityMonthYear(200)).
///
/// ```
/// use fixrs_proto::value::{MonthYear, MonthYearDetail};
/// use fixrs_proto::FromFixValue;
/// let m = MonthYear::from_fix_value(b"202403w3").unwrap();
/// assert_eq!((m.year(), m.month(), m.detail()), (2024, 3, MonthYearDetail::Week(3)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonthYear {
    year: u16,
    month: u8,
    detail: MonthYearDetail,
}

/// What a [`MonthYear`] says beyond the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonthYearDetail {
    /// Only the month: `YYYYMM`.
    Month,
    /// A day of the month: `YYYYMMDD`.
    Day(u8),
    /// A week of the month, 1 to 5: `YYYYMMwN`.
    Week(u8),
}

impl MonthYear {
    /// The value, or `None` if a component is out of range.
    pub fn new(year: u32, month: u32, detail: MonthYearDetail) -> Option<MonthYear> {
        if year > 9999 || !(1..=12).contains(&month) {
            return None;
        }
        let ok = match detail {
            MonthYearDetail::Month => true,
            MonthYearDetail::Day(d) => d >= 1 && d as u32 <= days_in_month(year as i32, month),
            MonthYearDetail::Week(w) => (1..=5).contains(&w),
        };
        ok.then_some(MonthYear {
            year: year as u16,
            month: month as u8,
            detail,
        })
    }

    /// The year.
    pub const fn year(self) -> u32 {
        self.year as u32
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u32 {
        self.month as u32
    }

    /// The day or week, if given.
    pub const fn detail(self) -> MonthYearDetail {
        self.detail
    }
}

impl<'a> FromFixValue<'a> for MonthYear {
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        let (year, month, suffix) = grammar::complete(grammar::month_year, bytes)?;
        let detail = match suffix {
            MonthYearSuffix::None => MonthYearDetail::Month,
            // Both fit a u8: two digits and one digit.
            MonthYearSuffix::Day(d) => MonthYearDetail::Day(d as u8),
            MonthYearSuffix::Week(w) => MonthYearDetail::Week(w as u8),
        };
        MonthYear::new(year, month, detail).ok_or(ValueError::DateTimeOutOfRange)
    }
}

impl ToFixValue for MonthYear {
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        let mut b = [0u8; 8];
        two(&mut b[0..2], self.year as u32 / 100);
        two(&mut b[2..4], self.year as u32 % 100);
        two(&mut b[4..6], self.month as u32);
        out.extend_from_slice(&b[..6]);
        match self.detail {
            MonthYearDetail::Month => {}
            MonthYearDetail::Day(d) => {
                two(&mut b[6..8], d as u32);
                out.extend_from_slice(&b[6..8]);
            }
            MonthYearDetail::Week(w) => out.extend_from_slice(&[b'w', b'0' + w]),
        }
    }
}

/// A time of day: hour, minute, second (60 allowed for a leap second) and
/// nanoseconds. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
}

impl TimeOfDay {
    /// Midnight.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay {
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
    };

    /// The time, or `None` if a component is out of range.
    pub const fn new(hour: u32, minute: u32, second: u32, nanos: u32) -> Option<TimeOfDay> {
        if hour > 23 || minute > 59 || second > 60 || nanos >= 1_000_000_000 {
            return None;
        }
        Some(TimeOfDay {
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanos,
        })
    }

    /// The hour, 0 to 23.
    pub const fn hour(self) -> u32 {
        self.hour as u32
    }

    /// The minute, 0 to 59.
    pub const fn minute(self) -> u32 {
        self.minute as u32
    }

    /// The second, 0 to 60.
    pub const fn second(self) -> u32 {
        self.second as u32
    }

    /// Nanoseconds within the second.
    pub const fn nanos(self) -> u32 {
        self.nanos
    }

    /// Seconds since midnight (a leap second counts as the next second).
    pub const fn seconds_of_day(self) -> u32 {
        self.hour as u32 * 3600 + self.minute as u32 * 60 + self.second as u32
    }

    /// Parses `HH:MM:SS` with an optional fraction of 1 to 9 digits.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<TimeOfDay, ValueError> {
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        if bytes.len() < 8 || bytes[2] != b':' || bytes[5] != b':' {
            return Err(ValueError::BadDateTime);
        }
        let hour = num(&bytes[0..2])?;
        let minute = num(&bytes[3..5])?;
        let second = num(&bytes[6..8])?;
        let nanos = match &bytes[8..] {
            [] => 0,
            [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
                num(frac)? * 10u32.pow(9 - frac.len() as u32)
            }
            _ => return Err(ValueError::BadDateTime),
        };
        TimeOfDay::new(hour, minute, second, nanos).ok_or(ValueError::DateTimeOutOfRange)
    }

    /// Appends `HH:MM:SS[.fff...]` with the given precision (truncating
    /// the fraction).
    pub fn write(self, precision: TimePrecision, out: &mut Vec<u8>) {
        let mut b = [b':'; 8];
        two(&mut b[0..2], self.hour as u32);
        two(&mut b[3..5], self.minute as u32);
        two(&mut b[6..8], self.second as u32);
        out.extend_from_slice(&b);
        write_fraction(self.nanos, precision, out);
    }
}

/// UTCTimeOnly: a time of day in UTC, `HH:MM:SS[.sss]` (MDEntryTime(273)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UtcTimeOnly(pub TimeOfDay);

impl UtcTimeOnly {
    /// The time of day.
    pub const fn time(self) -> TimeOfDay {
        self.0
    }

    /// Appends the value with the given precision.
    pub fn write(self, precision: TimePrecision, out: &mut Vec<u8>) {
        self.0.write(precision, out)
    }
}

impl From<UtcTimestamp> for UtcTimeOnly {
    /// The UTC time of day of a timestamp.
    fn from(t: UtcTimestamp) -> UtcTimeOnly {
        let s = t.seconds_of_day();
        UtcTimeOnly(TimeOfDay {
            hour: (s / 3600) as u8,
            minute: (s / 60 % 60) as u8,
            second: (s % 60) as u8,
            nanos: t.subsec_nanos(),
        })
    }
}

impl<'a> FromFixValue<'a> for UtcTimeOnly {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        TimeOfDay::parse(bytes).map(UtcTimeOnly)
    }
}

impl ToFixValue for UtcTimeOnly {
    /// Writes with millisecond precision, like [`UtcTimestamp`]; use
    /// [`UtcTimeOnly::write`] for another.
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.0.write(TimePrecision::Millis, out)
    }
}

/// A UTC offset of a TZTimeOnly or TZTimestamp, in minutes east of UTC
/// (`Z` is zero, `-05` is -300, `+05:30` is 330). Hours up to 23 and
/// minutes up to 59 are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TzOffset(i16);

impl TzOffset {
    /// UTC, written `Z`.
    pub const UTC: TzOffset = TzOffset(0);

    /// An offset of `minutes` east of UTC, or `None` beyond ±23:59.
    pub const fn from_minutes(minutes: i32) -> Option<TzOffset> {
        if minutes.abs() > 23 * 60 + 59 {
            return None;
        }
        Some(TzOffset(minutes as i16))
    }

    /// Minutes east of UTC.
    pub const fn minutes(self) -> i32 {
        self.0 as i32
    }

    /// Parses `Z`, `±hh` or `±hh:mm`.
    fn parse(bytes: &[u8]) -> Result<TzOffset, ValueError> {
        let (sign, h, m) =
            grammar::complete(grammar::tz_offset, bytes).map_err(|_| ValueError::BadTimeZone)?;
        if h > 23 || m > 59 {
            return Err(ValueError::DateTimeOutOfRange);
        }
        Ok(TzOffset((sign * (h * 60 + m) as i32) as i16))
    }

    /// Appends `Z`, `±hh` or `±hh:mm`.
    pub fn write(self, out: &mut Vec<u8>) {
        if self.0 == 0 {
            out.push(b'Z');
            return;
        }
        let abs = self.0.unsigned_abs() as u32;
        let mut b = [if self.0 < 0 { b'-' } else { b'+' }, 0, 0, b':', 0, 0];
        two(&mut b[1..3], abs / 60);
        two(&mut b[4..6], abs % 60);
        out.extend_from_slice(if abs.is_multiple_of(60) { &b[..3] } else { &b });
    }
}

/// Splits a TZ value into its time part and zone part: the zone starts at
/// the first `Z`, `+` or `-` after `from`.
#[inline]
fn split_zone(bytes: &[u8], from: usize) -> Result<(&[u8], &[u8]), ValueError> {
    let tail = bytes.get(from..).unwrap_or(b"");
    match tail.iter().position(|&b| matches!(b, b'Z' | b'+' | b'-')) {
        Some(p) => Ok(bytes.split_at(from + p)),
        None => Err(ValueError::BadTimeZone),
    }
}

/// TZTimeOnly: a local time of day with its UTC offset,
/// `HH:MM[:SS[.sss]]` then `Z` or `±hh[:mm]` (e.g. `07:39Z`, `02:39-05`,
/// `13:09+05:30`).
///
/// ```
/// use fixrs_proto::value::TzTimeOnly;
/// use fixrs_proto::FromFixValue;
/// let t = TzTimeOnly::from_fix_value(b"13:09+05:30").unwrap();
/// assert_eq!((t.time().hour(), t.offset().minutes()), (13, 330));
/// assert_eq!(t.utc_seconds_of_day(), 7 * 3600 + 39 * 60);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TzTimeOnly {
    time: TimeOfDay,
    offset: TzOffset,
}

impl TzTimeOnly {
    /// A local time with its offset.
    pub const fn new(time: TimeOfDay, offset: TzOffset) -> TzTimeOnly {
        TzTimeOnly { time, offset }
    }

    /// The local time of day.
    pub const fn time(self) -> TimeOfDay {
        self.time
    }

    /// The UTC offset.
    pub const fn offset(self) -> TzOffset {
        self.offset
    }

    /// The same instant as seconds since midnight UTC (wrapping around
    /// the day).
    pub fn utc_seconds_of_day(self) -> u32 {
        let s = self.time.seconds_of_day() as i64 - self.offset.minutes() as i64 * 60;
        s.rem_euclid(86_400) as u32
    }

    /// Appends the value with the given precision; seconds are always
    /// written.
    pub fn write(self, precision: TimePrecision, out: &mut Vec<u8>) {
        self.time.write(precision, out);
        self.offset.write(out);
    }
}

/// Parses the `HH:MM[:SS[.f]]` part of a TZ value.
#[inline]
fn tz_time(bytes: &[u8]) -> Result<TimeOfDay, ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::BadDateTime);
    }
    let (h, m, s, n) = grammar::complete(grammar::tz_time_of_day, bytes)?;
    TimeOfDay::new(h, m, s, n).ok_or(ValueError::DateTimeOutOfRange)
}

impl<'a> FromFixValue<'a> for TzTimeOnly {
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        let (time, zone) = split_zone(bytes, 0)?;
        Ok(TzTimeOnly {
            time: tz_time(time)?,
            offset: TzOffset::parse(zone)?,
        })
    }
}

impl ToFixValue for TzTimeOnly {
    /// Writes with millisecond precision; use [`TzTimeOnly::write`] for
    /// another.
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.write(TimePrecision::Millis, out)
    }
}

/// TZTimestamp: a local date and time with its UTC offset,
/// `YYYYMMDD-HH:MM[:SS[.sss]]` then `Z` or `±hh[:mm]`
/// (e.g. `20060901-07:39Z`, `20060901-02:39:00.123-05`).
///
/// ```
/// use fixrs_proto::value::{TzTimestamp, UtcTimestamp};
/// use fixrs_proto::FromFixValue;
/// let t = TzTimestamp::from_fix_value(b"20060901-02:39-05").unwrap();
/// assert_eq!(t.to_utc(), UtcTimestamp::parse(b"20060901-07:39:00").unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TzTimestamp {
    date: Date,
    time: TimeOfDay,
    offset: TzOffset,
}

impl TzTimestamp {
    /// A local date and time with its offset.
    pub const fn new(date: Date, time: TimeOfDay, offset: TzOffset) -> TzTimestamp {
        TzTimestamp { date, time, offset }
    }

    /// The local date.
    pub const fn date(self) -> Date {
        self.date
    }

    /// The local time of day.
    pub const fn time(self) -> TimeOfDay {
        self.time
    }

    /// The UTC offset.
    pub const fn offset(self) -> TzOffset {
        self.offset
    }

    /// The instant in UTC.
    pub fn to_utc(self) -> UtcTimestamp {
        let local = self.date.days_since_epoch() * 86_400 + self.time.seconds_of_day() as i64;
        UtcTimestamp::from_unix(local - self.offset.minutes() as i64 * 60, self.time.nanos())
    }

    /// Appends the value with the given precision; seconds are always
    /// written.
    pub fn write(self, precision: TimePrecision, out: &mut Vec<u8>) {
        self.date.write(out);
        out.push(b'-');
        self.time.write(precision, out);
        self.offset.write(out);
    }
}

impl<'a> FromFixValue<'a> for TzTimestamp {
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        if bytes.len() < 9 || bytes[8] != b'-' {
            return Err(ValueError::BadDateTime);
        }
        let date = Date::parse(&bytes[..8])?;
        // The zone's '-' cannot be the date separator: look after it.
        let (time, zone) = split_zone(bytes, 9)?;
        Ok(TzTimestamp {
            date,
            time: tz_time(&time[9..])?,
            offset: TzOffset::parse(zone)?,
        })
    }
}

impl ToFixValue for TzTimestamp {
    /// Writes with millisecond precision; use [`TzTimestamp::write`] for
    /// another.
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.write(TimePrecision::Millis, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<T: ToFixValue>(v: T) -> String {
        let mut out = Vec::new();
        v.write_fix_value(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dates() {
        let d = UtcDateOnly::from_fix_value(b"20240229").unwrap();
        assert_eq!((d.0.year(), d.0.month(), d.0.day()), (2024, 2, 29));
        assert_eq!(text(d), "20240229");
        assert_eq!(
            LocalMktDate::from_fix_value(b"20230229"),
            Err(ValueError::DateTimeOutOfRange)
        );
        assert_eq!(
            LocalMktDate::from_fix_value(b"2023-02-2"),
            Err(ValueError::BadDateTime)
        );
        assert_eq!(
            LocalMktDate::from_fix_value(b"2023022"),
            Err(ValueError::BadDateTime)
        );
        assert_eq!(LocalMktDate::from_fix_value(b""), Err(ValueError::Empty));
        assert_eq!(text(LocalMktDate::new(7, 1, 2).unwrap()), "00070102");
        assert!(UtcDateOnly::new(2024, 1, 1) < UtcDateOnly::new(2024, 1, 2));
        assert_eq!(
            Date::new(1970, 1, 2).unwrap().to_utc_midnight(),
            UtcTimestamp::from_unix(86_400, 0)
        );
        let t = UtcTimestamp::parse(b"20240115-10:30:00.123").unwrap();
        assert_eq!(Date::from(t), Date::new(2024, 1, 15).unwrap());
    }

    #[test]
    fn month_years() {
        for (s, detail) in [
            ("202403", MonthYearDetail::Month),
            ("20240331", MonthYearDetail::Day(31)),
            ("202403w5", MonthYearDetail::Week(5)),
        ] {
            let m = MonthYear::from_fix_value(s.as_bytes()).unwrap();
            assert_eq!((m.year(), m.month(), m.detail()), (2024, 3, detail));
            assert_eq!(text(m), s);
        }
        for (s, e) in [
            ("202413", ValueError::DateTimeOutOfRange),
            ("20240431", ValueError::DateTimeOutOfRange),
            ("202404w6", ValueError::DateTimeOutOfRange),
            ("202404w0", ValueError::DateTimeOutOfRange),
            ("202404w", ValueError::BadDateTime),
            ("2024041", ValueError::BadDateTime),
            ("2024", ValueError::BadDateTime),
            ("", ValueError::Empty),
        ] {
            assert_eq!(MonthYear::from_fix_value(s.as_bytes()), Err(e), "{s}");
        }
    }

    #[test]
    fn utc_time_only() {
        let t = UtcTimeOnly::from_fix_value(b"23:59:60.5").unwrap();
        assert_eq!(
            (t.0.hour(), t.0.second(), t.0.nanos()),
            (23, 60, 500_000_000)
        );
        assert_eq!(text(t), "23:59:60.500");
        let mut out = Vec::new();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(out, b"23:59:60.500000000");
        assert_eq!(
            UtcTimeOnly::from_fix_value(b"24:00:00"),
            Err(ValueError::DateTimeOutOfRange)
        );
        assert_eq!(
            UtcTimeOnly::from_fix_value(b"10:30"),
            Err(ValueError::BadDateTime)
        );
        assert_eq!(
            UtcTimeOnly::from_fix_value(b"10:30:00.1234567890"),
            Err(ValueError::BadDateTime)
        );
        let ts = UtcTimestamp::parse(b"20240115-10:30:00.123").unwrap();
        assert_eq!(
            UtcTimeOnly::from(ts),
            UtcTimeOnly::from_fix_value(b"10:30:00.123").unwrap()
        );
    }

    #[test]
    fn tz_time_only() {
        for (s, h, m, sec, off, back) in [
            ("07:39Z", 7, 39, 0, 0, "07:39:00.000Z"),
            ("02:39-05", 2, 39, 0, -300, "02:39:00.000-05"),
            ("15:39+08", 15, 39, 0, 480, "15:39:00.000+08"),
            ("13:09+05:30", 13, 9, 0, 330, "13:09:00.000+05:30"),
            ("13:09:07.25-03:30", 13, 9, 7, -210, "13:09:07.250-03:30"),
        ] {
            let t = TzTimeOnly::from_fix_value(s.as_bytes()).unwrap();
            assert_eq!(
                (
                    t.time().hour(),
                    t.time().minute(),
                    t.time().second(),
                    t.offset().minutes()
                ),
                (h, m, sec, off),
                "{s}"
            );
            assert_eq!(text(t), back);
            assert_eq!(TzTimeOnly::from_fix_value(back.as_bytes()), Ok(t));
        }
        assert_eq!(
            TzTimeOnly::from_fix_value(b"02:39-05")
                .unwrap()
                .utc_seconds_of_day(),
            (7 * 60 + 39) * 60
        );
        assert_eq!(
            TzTimeOnly::from_fix_value(b"02:39+05")
                .unwrap()
                .utc_seconds_of_day(),
            (21 * 60 + 39) * 60
        );
        for (s, e) in [
            ("07:39", ValueError::BadTimeZone),
            ("07:39z", ValueError::BadTimeZone),
            ("07:39+5", ValueError::BadTimeZone),
            ("07:39+05:3", ValueError::BadTimeZone),
            ("07:39Z0", ValueError::BadTimeZone),
            ("07:39+24", ValueError::DateTimeOutOfRange),
            ("07:60Z", ValueError::DateTimeOutOfRange),
            ("7:39Z", ValueError::BadDateTime),
            ("07:39:5Z", ValueError::BadDateTime),
            ("", ValueError::Empty),
        ] {
            assert_eq!(TzTimeOnly::from_fix_value(s.as_bytes()), Err(e), "{s}");
        }
    }

    #[test]
    fn tz_timestamps() {
        let t = TzTimestamp::from_fix_value(b"20060901-07:39Z").unwrap();
        assert_eq!(
            t.to_utc(),
            UtcTimestamp::parse(b"20060901-07:39:00").unwrap()
        );
        let t = TzTimestamp::from_fix_value(b"20060901-22:39:00.123+05:30").unwrap();
        assert_eq!(
            t.to_utc(),
            UtcTimestamp::parse(b"20060901-17:09:00.123").unwrap()
        );
        assert_eq!(text(t), "20060901-22:39:00.123+05:30");
        let t = TzTimestamp::from_fix_value(b"20061231-23:00-05").unwrap();
        assert_eq!(
            t.to_utc(),
            UtcTimestamp::parse(b"20070101-04:00:00").unwrap()
        );
        assert_eq!(t.date(), Date::new(2006, 12, 31).unwrap());
        for (s, e) in [
            ("20060901-07:39", ValueError::BadTimeZone),
            ("20060901 07:39Z", ValueError::BadDateTime),
            ("20061301-07:39Z", ValueError::DateTimeOutOfRange),
            ("20060901-", ValueError::BadTimeZone),
            ("20060901-Z", ValueError::BadDateTime),
            ("2006", ValueError::BadDateTime),
        ] {
            assert_eq!(TzTimestamp::from_fix_value(s.as_bytes()), Err(e), "{s}");
        }
    }
}
