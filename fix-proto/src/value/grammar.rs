//! nom parsers for the pieces of FIX date and time values, for reuse when
//! a field mixes them with other text.
//!
//! Each parser checks syntax only (digits in the right places) and returns
//! raw components; the typed values in [`crate::value`] check ranges
//! (month 13, 25 o'clock). Errors carry no payload (`()`): a caller that
//! needs a reason maps failure to [`ValueError::BadDateTime`] with
//! [`complete`].
//!
//! The grammars with optional parts and alternatives (TZTimeOnly,
//! TZTimestamp, MonthYear) are parsed with these combinators. The
//! fixed-layout UTCTimestamp of SendingTime(52), parsed for every message,
//! is parsed by hand in [`UtcTimestamp::parse`]: the codec bench of the
//! repository's `fixrs-benches` crate (`utc_timestamp_parse/nom` against
//! `/hand`) measured the hand-written version faster, so it is the one the
//! codec uses; [`utc_timestamp`] is kept as the grammar's reference and
//! for composition.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::{all_consuming, map, opt, value};
use nom::sequence::{pair, preceded, tuple};
use nom::IResult;

use super::{UtcTimestamp, ValueError};

/// The result of these parsers: the rest of the input and a value, or `()`.
pub type PResult<'a, T> = IResult<&'a [u8], T, ()>;

/// Exactly `N` ASCII digits, as a number.
#[inline]
pub fn digits<const N: usize>(input: &[u8]) -> PResult<'_, u32> {
    let Some(head) = input.get(..N) else {
        return Err(nom::Err::Error(()));
    };
    let mut n = 0u32;
    for &b in head {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(nom::Err::Error(()));
        }
        n = n * 10 + d as u32;
    }
    Ok((&input[N..], n))
}

/// `YYYYMMDD` as (year, month, day).
#[inline]
pub fn date(input: &[u8]) -> PResult<'_, (u32, u32, u32)> {
    tuple((digits::<4>, digits::<2>, digits::<2>))(input)
}

/// `HH:MM:SS` as (hour, minute, second).
#[inline]
pub fn hms(input: &[u8]) -> PResult<'_, (u32, u32, u32)> {
    tuple((
        digits::<2>,
        preceded(tag(":"), digits::<2>),
        preceded(tag(":"), digits::<2>),
    ))(input)
}

/// `.` and 1 to 9 digits, as nanoseconds.
#[inline]
pub fn fraction(input: &[u8]) -> PResult<'_, u32> {
    map(
        preceded(tag("."), take_while_m_n(1, 9, |b: u8| b.is_ascii_digit())),
        |frac: &[u8]| {
            let n = frac.iter().fold(0u32, |n, &b| n * 10 + (b - b'0') as u32);
            n * 10u32.pow(9 - frac.len() as u32)
        },
    )(input)
}

/// `HH:MM:SS[.f{1,9}]` as (hour, minute, second, nanoseconds).
#[inline]
pub fn time_of_day(input: &[u8]) -> PResult<'_, (u32, u32, u32, u32)> {
    map(pair(hms, opt(fraction)), |((h, m, s), f)| {
        (h, m, s, f.unwrap_or(0))
    })(input)
}

/// `HH:MM[:SS[.f{1,9}]]`, the time part of TZTimeOnly and TZTimestamp,
/// as (hour, minute, second, nanoseconds).
#[inline]
pub fn tz_time_of_day(input: &[u8]) -> PResult<'_, (u32, u32, u32, u32)> {
    map(
        tuple((
            digits::<2>,
            preceded(tag(":"), digits::<2>),
            opt(pair(preceded(tag(":"), digits::<2>), opt(fraction))),
        )),
        |(h, m, rest)| match rest {
            None => (h, m, 0, 0),
            Some((s, f)) => (h, m, s, f.unwrap_or(0)),
        },
    )(input)
}

/// A time zone: `Z`, or `+`/`-` then `hh` and optionally `:mm`, as
/// (sign, hours, minutes) with sign `1` or `-1`.
#[inline]
pub fn tz_offset(input: &[u8]) -> PResult<'_, (i32, u32, u32)> {
    alt((
        value((1, 0, 0), tag("Z")),
        map(
            tuple((
                alt((value(1, tag("+")), value(-1, tag("-")))),
                digits::<2>,
                opt(preceded(tag(":"), digits::<2>)),
            )),
            |(sign, h, m)| (sign, h, m.unwrap_or(0)),
        ),
    ))(input)
}

/// `YYYYMMDD-HH:MM:SS[.f{1,9}]` as ((year, month, day), (hour, minute,
/// second, nanoseconds)).
#[inline]
#[allow(clippy::type_complexity)]
pub fn utc_timestamp(input: &[u8]) -> PResult<'_, ((u32, u32, u32), (u32, u32, u32, u32))> {
    pair(date, preceded(tag("-"), time_of_day))(input)
}

/// The part of a MonthYear after `YYYYMM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonthYearSuffix {
    /// Nothing: `YYYYMM`.
    None,
    /// A day: `YYYYMMDD`.
    Day(u32),
    /// A week: `YYYYMMwN`.
    Week(u32),
}

/// `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` as (year, month, suffix).
#[inline]
pub fn month_year(input: &[u8]) -> PResult<'_, (u32, u32, MonthYearSuffix)> {
    tuple((
        digits::<4>,
        digits::<2>,
        map(
            opt(alt((
                map(digits::<2>, MonthYearSuffix::Day),
                map(preceded(tag("w"), digits::<1>), MonthYearSuffix::Week),
            ))),
            |s| s.unwrap_or(MonthYearSuffix::None),
        ),
    ))(input)
}

/// Runs `parser` over the whole of `bytes`: empty input is
/// [`ValueError::Empty`], a syntax error or leftover bytes
/// [`ValueError::BadDateTime`].
#[inline]
pub fn complete<'a, T>(
    parser: impl FnMut(&'a [u8]) -> PResult<'a, T>,
    bytes: &'a [u8],
) -> Result<T, ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::Empty);
    }
    all_consuming(parser)(bytes)
        .map(|(_, v)| v)
        .map_err(|_| ValueError::BadDateTime)
}

/// Parses a UTCTimestamp with [`utc_timestamp`]; same result as
/// [`UtcTimestamp::parse`], which is faster.
pub fn parse_utc_timestamp(bytes: &[u8]) -> Result<UtcTimestamp, ValueError> {
    let ((y, mo, d), (h, mi, s, n)) = complete(utc_timestamp, bytes)?;
    UtcTimestamp::from_ymd_hms_nanos(y as i32, mo, d, h, mi, s, n)
        .ok_or(ValueError::DateTimeOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces() {
        assert_eq!(digits::<3>(b"1234"), Ok((&b"4"[..], 123)));
        assert!(digits::<3>(b"12").is_err());
        assert!(digits::<2>(b"1a").is_err());
        assert_eq!(fraction(b".5"), Ok((&b""[..], 500_000_000)));
        assert_eq!(fraction(b".123456789"), Ok((&b""[..], 123_456_789)));
        assert!(fraction(b".").is_err());
        assert_eq!(tz_offset(b"Z"), Ok((&b""[..], (1, 0, 0))));
        assert_eq!(tz_offset(b"-05"), Ok((&b""[..], (-1, 5, 0))));
        assert_eq!(tz_offset(b"+05:30"), Ok((&b""[..], (1, 5, 30))));
        assert_eq!(tz_time_of_day(b"07:39Z"), Ok((&b"Z"[..], (7, 39, 0, 0))));
        assert_eq!(
            month_year(b"202401w2"),
            Ok((&b""[..], (2024, 1, MonthYearSuffix::Week(2))))
        );
    }

    #[test]
    fn complete_requires_all_input() {
        assert_eq!(complete(date, b""), Err(ValueError::Empty));
        assert_eq!(complete(date, b"202401011"), Err(ValueError::BadDateTime));
        assert_eq!(complete(date, b"20240101"), Ok((2024, 1, 1)));
        assert_eq!(
            complete(time_of_day, b"10:30:00.1234567891"),
            Err(ValueError::BadDateTime)
        );
    }

    #[test]
    fn nom_and_hand_written_timestamps_agree() {
        for s in [
            &b"20240115-10:30:00.123"[..],
            b"20240115-10:30:00",
            b"20240115-10:30:00.123456",
            b"20240115-10:30:00.123456789",
            b"20240115-10:30:00.",
            b"20240115-10:30:00.1234567890",
            b"20241315-10:30:00",
            b"20240115 10:30:00",
            b"2024011-10:30:00",
            b"",
        ] {
            assert_eq!(parse_utc_timestamp(s), UtcTimestamp::parse(s), "{s:?}");
        }
    }
}
