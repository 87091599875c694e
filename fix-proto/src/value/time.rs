//! UTCTimestamp(52-style) values and the cached SendingTime formatter.

use super::{FromFixValue, ToFixValue, ValueError};

/// Fractional-second precision of a written UTCTimestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimePrecision {
    /// `YYYYMMDD-HH:MM:SS`
    Seconds,
    /// `YYYYMMDD-HH:MM:SS.sss` (the FIX 4.2+ default)
    #[default]
    Millis,
    /// `YYYYMMDD-HH:MM:SS.ssssss`
    Micros,
    /// `YYYYMMDD-HH:MM:SS.sssssssss`
    Nanos,
}

impl TimePrecision {
    /// Number of fractional digits written.
    pub const fn digits(self) -> usize {
        match self {
            TimePrecision::Seconds => 0,
            TimePrecision::Millis => 3,
            TimePrecision::Micros => 6,
            TimePrecision::Nanos => 9,
        }
    }
}

/// A point in UTC, as seconds since the Unix epoch plus nanoseconds.
///
/// This is the value of UTCTimestamp fields such as SendingTime(52). The
/// session core never reads a clock: callers pass the current
/// `UtcTimestamp` in, e.g. `UtcTimestamp::from(SystemTime::now())`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UtcTimestamp {
    secs: i64,
    nanos: u32,
}

impl UtcTimestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: UtcTimestamp = UtcTimestamp { secs: 0, nanos: 0 };

    /// A timestamp from seconds and nanoseconds since the Unix epoch.
    /// Nanoseconds of a second or more carry into the seconds.
    pub const fn from_unix(secs: i64, nanos: u32) -> UtcTimestamp {
        UtcTimestamp {
            secs: secs + (nanos / 1_000_000_000) as i64,
            nanos: nanos % 1_000_000_000,
        }
    }

    /// A timestamp from nanoseconds since the Unix epoch.
    pub const fn from_unix_nanos(nanos: i128) -> UtcTimestamp {
        UtcTimestamp {
            secs: nanos.div_euclid(1_000_000_000) as i64,
            nanos: nanos.rem_euclid(1_000_000_000) as u32,
        }
    }

    /// A timestamp from a civil date and time in UTC; `None` if any
    /// component is out of range.
    pub fn from_ymd_hms_nanos(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
    ) -> Option<UtcTimestamp> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || nanos >= 1_000_000_000
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        // A leap second (60) is folded into the next second, as most
        // engines do.
        let secs = days * 86_400 + (hour * 3600 + min * 60 + sec) as i64;
        Some(UtcTimestamp { secs, nanos })
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_secs(self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> i128 {
        self.secs as i128 * 1_000_000_000 + self.nanos as i128
    }

    /// The civil date (year, month, day) in UTC.
    pub fn date(self) -> (i32, u32, u32) {
        civil_from_days(self.secs.div_euclid(86_400))
    }

    /// Seconds since midnight UTC.
    pub fn seconds_of_day(self) -> u32 {
        self.secs.rem_euclid(86_400) as u32
    }

    /// Day of the week, 0 = Sunday ... 6 = Saturday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.secs.div_euclid(86_400) + 4).rem_euclid(7) as u32
    }

    /// This timestamp plus a signed number of nanoseconds.
    pub fn add_nanos(self, nanos: i128) -> UtcTimestamp {
        UtcTimestamp::from_unix_nanos(self.unix_nanos() + nanos)
    }

    /// The signed difference `self - other` in nanoseconds.
    pub fn nanos_since(self, other: UtcTimestamp) -> i128 {
        self.unix_nanos() - other.unix_nanos()
    }

    /// Appends `YYYYMMDD-HH:MM:SS[.fff...]` with the given precision
    /// (truncating, not rounding, the fraction).
    pub fn write(self, precision: TimePrecision, out: &mut Vec<u8>) {
        let mut buf = [0u8; 17];
        format_second(self.secs, &mut buf);
        out.extend_from_slice(&buf);
        write_fraction(self.nanos, precision, out);
    }

    /// Parses `YYYYMMDD-HH:MM:SS` with an optional fraction of 1 to 9
    /// digits (FIX allows 3, 6 or 9; more lenient input is accepted).
    pub fn parse(bytes: &[u8]) -> Result<UtcTimestamp, ValueError> {
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        if bytes.len() < 17 || bytes[8] != b'-' || bytes[11] != b':' || bytes[14] != b':' {
            return Err(ValueError::BadDateTime);
        }
        let year = digits(&bytes[0..4])? as i32;
        let month = digits(&bytes[4..6])?;
        let day = digits(&bytes[6..8])?;
        let hour = digits(&bytes[9..11])?;
        let min = digits(&bytes[12..14])?;
        let sec = digits(&bytes[15..17])?;
        let nanos = fraction(&bytes[17..])?;
        UtcTimestamp::from_ymd_hms_nanos(year, month, day, hour, min, sec, nanos)
            .ok_or(ValueError::DateTimeOutOfRange)
    }
}

/// The nanoseconds of a UTCTimestamp's optional fraction (`.` and one to
/// nine digits), from what follows `YYYYMMDD-HH:MM:SS`.
#[inline]
fn fraction(rest: &[u8]) -> Result<u32, ValueError> {
    match rest {
        [] => Ok(0),
        [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
            let n = digits(frac)?;
            Ok(n * 10u32.pow(9 - frac.len() as u32))
        }
        _ => Err(ValueError::BadDateTime),
    }
}

/// Parses UTCTimestamp values quickly by remembering the second of the
/// last one parsed: the SendingTime(52) of consecutive messages mostly
/// falls in the same second, which then costs a 17-byte comparison plus
/// the fraction instead of a calendar computation. Results and errors are
/// those of [`UtcTimestamp::parse`].
///
/// ```
/// use fixrs_proto::value::{TimestampParser, UtcTimestamp};
/// let mut p = TimestampParser::default();
/// let a = p.parse(b"20240115-10:30:00.123").unwrap();
/// let b = p.parse(b"20240115-10:30:00.456").unwrap();
/// assert_eq!(b, UtcTimestamp::parse(b"20240115-10:30:00.456").unwrap());
/// assert!(b > a);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TimestampParser {
    /// `YYYYMMDD-HH:MM:SS` of the last valid timestamp parsed, if any.
    second: Option<([u8; 17], i64)>,
}

impl TimestampParser {
    /// A parser that remembers nothing yet.
    pub fn new() -> TimestampParser {
        TimestampParser::default()
    }

    /// Parses `bytes` as [`UtcTimestamp::parse`] does.
    #[inline]
    pub fn parse(&mut self, bytes: &[u8]) -> Result<UtcTimestamp, ValueError> {
        if let (Some((text, secs)), Some(head)) = (&self.second, bytes.get(..17)) {
            if head == text {
                let nanos = fraction(&bytes[17..])?;
                return Ok(UtcTimestamp { secs: *secs, nanos });
            }
        }
        let t = UtcTimestamp::parse(bytes)?;
        let mut text = [0u8; 17];
        text.copy_from_slice(&bytes[..17]);
        self.second = Some((text, t.secs));
        Ok(t)
    }
}

impl From<std::time::SystemTime> for UtcTimestamp {
    fn from(t: std::time::SystemTime) -> UtcTimestamp {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => UtcTimestamp::from_unix(d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => UtcTimestamp::from_unix_nanos(-(e.duration().as_nanos() as i128)),
        }
    }
}

impl<'a> FromFixValue<'a> for UtcTimestamp {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        UtcTimestamp::parse(bytes)
    }
}

impl ToFixValue for UtcTimestamp {
    /// Writes with millisecond precision; use [`UtcTimestamp::write`] for
    /// another.
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.write(TimePrecision::Millis, out)
    }
}

impl std::fmt::Display for UtcTimestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = Vec::with_capacity(27);
        self.write(TimePrecision::Nanos, &mut out);
        f.write_str(std::str::from_utf8(&out).unwrap_or("?"))
    }
}

/// Formats SendingTime-style timestamps quickly by caching the text of the
/// current second: stamping a message in the same second as the previous
/// one costs a 17-byte copy plus the fraction.
#[derive(Debug, Clone)]
pub struct TimestampCache {
    precision: TimePrecision,
    secs: i64,
    text: [u8; 17],
}

impl TimestampCache {
    /// A cache writing with the given precision.
    pub fn new(precision: TimePrecision) -> TimestampCache {
        let mut text = [0u8; 17];
        format_second(0, &mut text);
        TimestampCache {
            precision,
            secs: 0,
            text,
        }
    }

    /// The precision written.
    pub fn precision(&self) -> TimePrecision {
        self.precision
    }

    /// Appends the text of `t`.
    #[inline]
    pub fn write(&mut self, t: UtcTimestamp, out: &mut Vec<u8>) {
        if t.secs != self.secs {
            format_second(t.secs, &mut self.text);
            self.secs = t.secs;
        }
        out.extend_from_slice(&self.text);
        write_fraction(t.nanos, self.precision, out);
    }

    /// Writes the text of `t` at the start of `out`, which has room for
    /// the longest (27 bytes, with nanoseconds), returning its length: lets
    /// an encoder put a whole field together on the stack and append it
    /// with one copy.
    #[inline]
    pub(crate) fn format(&mut self, t: UtcTimestamp, out: &mut [u8]) -> usize {
        if t.secs != self.secs {
            format_second(t.secs, &mut self.text);
            self.secs = t.secs;
        }
        out[..17].copy_from_slice(&self.text);
        let (digits, mut value) = match self.precision {
            TimePrecision::Seconds => return 17,
            TimePrecision::Millis => (3, t.nanos / 1_000_000),
            TimePrecision::Micros => (6, t.nanos / 1_000),
            TimePrecision::Nanos => (9, t.nanos),
        };
        out[17] = b'.';
        for i in (18..18 + digits).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        18 + digits
    }
}

impl Default for TimestampCache {
    fn default() -> Self {
        TimestampCache::new(TimePrecision::Millis)
    }
}

#[inline]
pub(super) fn write_fraction(nanos: u32, precision: TimePrecision, out: &mut Vec<u8>) {
    let (digits, value) = match precision {
        TimePrecision::Seconds => return,
        TimePrecision::Millis => (3, nanos / 1_000_000),
        TimePrecision::Micros => (6, nanos / 1_000),
        TimePrecision::Nanos => (9, nanos),
    };
    let mut buf = [b'.', 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut v = value;
    for i in (1..=digits).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..=digits]);
}

fn format_second(secs: i64, out: &mut [u8; 17]) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let (hh, mm, ss) = (sod / 3600, sod / 60 % 60, sod % 60);
    let y = y.clamp(0, 9999) as u32;
    out[0] = b'0' + (y / 1000) as u8;
    out[1] = b'0' + (y / 100 % 10) as u8;
    out[2] = b'0' + (y / 10 % 10) as u8;
    out[3] = b'0' + (y % 10) as u8;
    two(&mut out[4..6], m);
    two(&mut out[6..8], d);
    out[8] = b'-';
    two(&mut out[9..11], hh);
    out[11] = b':';
    two(&mut out[12..14], mm);
    out[14] = b':';
    two(&mut out[15..17], ss);
}

#[inline]
pub(super) fn two(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

#[inline]
fn digits(bytes: &[u8]) -> Result<u32, ValueError> {
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

/// Whether `year` is a Gregorian leap year.
pub(crate) fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of a year.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = year as i64 - (month <= 2) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + (m <= 2) as i64) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_cache_gives_what_parse_gives() {
        let mut p = TimestampParser::new();
        let inputs: [&[u8]; 12] = [
            b"20240115-10:30:00.123",
            b"20240115-10:30:00.999999999",
            b"20240115-10:30:00",
            b"20240115-10:30:00.",
            b"20240115-10:30:00.1234567890",
            b"20240115-10:30:00x123",
            b"20240115-10:30:01.5",
            b"20240229-23:59:60.001",
            b"20230229-10:30:00.000",
            b"20240115-10:30:01.5",
            b"",
            b"2024",
        ];
        for _ in 0..2 {
            for input in inputs {
                assert_eq!(p.parse(input), UtcTimestamp::parse(input), "{input:?}");
            }
        }
    }

    #[test]
    fn parse_and_write_round_trip() {
        let t = UtcTimestamp::parse(b"20240115-10:30:00.123").unwrap();
        assert_eq!(t.date(), (2024, 1, 15));
        assert_eq!(t.subsec_nanos(), 123_000_000);
        let mut out = Vec::new();
        t.write(TimePrecision::Millis, &mut out);
        assert_eq!(out, b"20240115-10:30:00.123");
        out.clear();
        t.write(TimePrecision::Nanos, &mut out);
        assert_eq!(out, b"20240115-10:30:00.123000000");
        out.clear();
        t.write(TimePrecision::Seconds, &mut out);
        assert_eq!(out, b"20240115-10:30:00");
    }

    #[test]
    fn parse_rejects_bad_input() {
        assert_eq!(UtcTimestamp::parse(b""), Err(ValueError::Empty));
        assert_eq!(
            UtcTimestamp::parse(b"20240115 10:30:00"),
            Err(ValueError::BadDateTime)
        );
        assert_eq!(
            UtcTimestamp::parse(b"20241315-10:30:00"),
            Err(ValueError::DateTimeOutOfRange)
        );
        assert_eq!(
            UtcTimestamp::parse(b"20240230-10:30:00"),
            Err(ValueError::DateTimeOutOfRange)
        );
        assert_eq!(
            UtcTimestamp::parse(b"20240115-10:30:00."),
            Err(ValueError::BadDateTime)
        );
    }

    #[test]
    fn cache_matches_direct_formatting() {
        let mut cache = TimestampCache::new(TimePrecision::Micros);
        for secs in [0i64, 1, 59, 86_399, 86_400, 1_705_314_600, 4_102_444_799] {
            for nanos in [0u32, 1_000, 999_999_999] {
                let t = UtcTimestamp::from_unix(secs, nanos);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                cache.write(t, &mut a);
                t.write(TimePrecision::Micros, &mut b);
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn civil_conversions_agree() {
        for days in (-800_000i64..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(UtcTimestamp::from_unix(0, 0).weekday(), 4);
    }
}
