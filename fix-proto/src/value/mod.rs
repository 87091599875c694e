//! Typed field values: parsing from and formatting to FIX's tag=value text.
//!
//! Each FIX data type maps to a Rust type implementing [`FromFixValue`]
//! (and, for the encoder, [`ToFixValue`]). Parsing never allocates; string
//! types borrow from the message buffer. Errors are [`ValueError`]s, which a
//! message view wraps into a [`FieldError`] naming the tag.
//!
//! | FIX type | Rust type |
//! |---|---|
//! | int, TagNum, DayOfMonth; SeqNum where 0 means something (EndSeqNo(16)) | `i64`, `u64`, `u32`, ... |
//! | SeqNum (a `u64`; the admin views check it is positive where FIX says so), Length, NumInGroup (positive) | [`SeqNum`], [`Length`], [`NumInGroup`] |
//! | float, Price, Qty, Amt, PriceOffset, Percentage | [`Decimal`] |
//! | char, Boolean | `char`, `bool` |
//! | String, Exchange, Currency, Country, data | `&str`, `&[u8]` |
//! | MultipleValueString, MultipleCharValue | [`MultipleValueString`], [`MultipleCharValue`] |
//! | UTCTimestamp | [`UtcTimestamp`] |
//! | UTCTimeOnly | [`UtcTimeOnly`] |
//! | UTCDateOnly, LocalMktDate | [`UtcDateOnly`], [`LocalMktDate`] |
//! | MonthYear | [`MonthYear`] |
//! | TZTimeOnly, TZTimestamp | [`TzTimeOnly`], [`TzTimestamp`] |

mod datetime;
mod decimal;
pub mod grammar;
mod multi;
mod positive;
mod time;

pub use datetime::{
    Date, LocalMktDate, MonthYear, MonthYearDetail, TimeOfDay, TzOffset, TzTimeOnly, TzTimestamp,
    UtcDateOnly, UtcTimeOnly,
};
pub use decimal::{Decimal, MAX_SCALE};
pub use multi::{Chars, MultipleCharValue, MultipleValueString, SpaceSeparated, Values};
pub(crate) use positive::PositiveSeqNum;
pub use positive::{Length, NumInGroup};

/// A message sequence number (MsgSeqNum(34), BeginSeqNo(7), NewSeqNo(36),
/// RefSeqNum(45), ...), the one type for it in every crate of the
/// workspace. A plain integer: sessions count with it, and 0 has meanings
/// of its own where FIX gives it one (EndSeqNo(16)=0, "no upper bound").
/// Reading a field that must be positive checks it (a zero is
/// [`ValueError::Zero`]).
pub type SeqNum = u64;
pub use time::{TimePrecision, TimestampCache, TimestampParser, UtcTimestamp};

use crate::{SessionRejectReason, Tag};

/// Why a field value could not be read as the requested type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is empty.
    #[error("empty value")]
    Empty,
    /// Not a valid integer.
    #[error("not an integer")]
    NotAnInteger,
    /// An integer or decimal too large for its type.
    #[error("number out of range")]
    Overflow,
    /// A negative number where only non-negative ones are allowed.
    #[error("negative number not allowed")]
    Negative,
    /// A SeqNum, Length or NumInGroup value that must be positive is zero.
    #[error("zero not allowed")]
    Zero,
    /// Not exactly one character.
    #[error("not a single character")]
    NotAChar,
    /// Not `Y` or `N`.
    #[error("not a boolean (Y or N)")]
    NotABoolean,
    /// Not a valid decimal number.
    #[error("not a decimal number")]
    NotADecimal,
    /// Not valid UTF-8 text.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A malformed date or time.
    #[error("malformed date or time")]
    BadDateTime,
    /// A date or time with a component out of range (month 13, hour 25).
    #[error("date or time component out of range")]
    DateTimeOutOfRange,
    /// A TZTimeOnly or TZTimestamp without a valid `Z` or `±hh[:mm]` zone.
    #[error("missing or malformed time zone")]
    BadTimeZone,
    /// A decimal with more digits after the point than can be held.
    #[error("too many decimal places")]
    TooManyDecimals,
    /// A conversion that would lose non-zero digits.
    #[error("value cannot be converted exactly")]
    Inexact,
    /// A space-separated list with an empty element (leading, trailing or
    /// doubled space).
    #[error("empty element in a space-separated list")]
    EmptyElement,
    /// A value that is not one of the field's enumerated values.
    #[error("not one of the field's enumerated values")]
    UnknownValue,
}

/// A field that is missing or whose value does not parse, naming the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The message has no such field.
    #[error("tag {0} missing")]
    Missing(Tag),
    /// The field is present but its value is not of the requested type.
    #[error("tag {tag}: {error}")]
    Invalid {
        /// The tag of the offending field.
        tag: Tag,
        /// What is wrong with its value.
        error: ValueError,
    },
}

impl FieldError {
    /// The tag this error is about.
    pub fn tag(&self) -> Tag {
        match *self {
            FieldError::Missing(tag) | FieldError::Invalid { tag, .. } => tag,
        }
    }

    /// The SessionRejectReason(373) of a Reject answering this error:
    /// 1 (required tag missing), 4 (tag without a value), 5 (value out of
    /// range) or 6 (incorrect data format).
    pub fn session_reject_reason(&self) -> SessionRejectReason {
        match *self {
            FieldError::Missing(_) => SessionRejectReason::RequiredTagMissing,
            FieldError::Invalid { error, .. } => match error {
                ValueError::Empty => SessionRejectReason::TagSpecifiedWithoutValue,
                ValueError::Overflow
                | ValueError::Negative
                | ValueError::Zero
                | ValueError::DateTimeOutOfRange
                | ValueError::UnknownValue => SessionRejectReason::ValueIsIncorrect,
                _ => SessionRejectReason::IncorrectDataFormat,
            },
        }
    }
}

/// A type that can be read from a FIX field value (the bytes between `=`
/// and SOH). Borrowing types (`&str`, `&[u8]`) borrow from the buffer.
pub trait FromFixValue<'a>: Sized {
    /// Parses a field value.
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError>;
}

/// A type that can be written as a FIX field value.
pub trait ToFixValue {
    /// Appends the value's FIX text to `out`.
    fn write_fix_value(&self, out: &mut Vec<u8>);
}

impl<'a> FromFixValue<'a> for &'a [u8] {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        Ok(bytes)
    }
}

impl<'a> FromFixValue<'a> for &'a str {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        std::str::from_utf8(bytes).map_err(|_| ValueError::NotUtf8)
    }
}

impl<'a> FromFixValue<'a> for bool {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        match bytes {
            b"Y" => Ok(true),
            b"N" => Ok(false),
            b"" => Err(ValueError::Empty),
            _ => Err(ValueError::NotABoolean),
        }
    }
}

impl<'a> FromFixValue<'a> for char {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        match bytes {
            [c] if c.is_ascii() && !c.is_ascii_control() => Ok(*c as char),
            [] => Err(ValueError::Empty),
            _ => Err(ValueError::NotAChar),
        }
    }
}

/// Parses an unsigned decimal integer with no sign, as FIX writes them.
#[inline]
pub(crate) fn parse_u64(bytes: &[u8]) -> Result<u64, ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::Empty);
    }
    if bytes.len() > 20 {
        return Err(if bytes.iter().all(u8::is_ascii_digit) {
            ValueError::Overflow
        } else {
            ValueError::NotAnInteger
        });
    }
    let mut n: u64 = 0;
    for &b in bytes {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(ValueError::NotAnInteger);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(d as u64))
            .ok_or(ValueError::Overflow)?;
    }
    Ok(n)
}

/// Parses a signed decimal integer (optional leading `-`).
#[inline]
pub(crate) fn parse_i64(bytes: &[u8]) -> Result<i64, ValueError> {
    match bytes {
        [b'-', rest @ ..] => {
            let n = parse_u64(rest)?;
            if n > i64::MAX as u64 + 1 {
                Err(ValueError::Overflow)
            } else {
                Ok((n as i64).wrapping_neg())
            }
        }
        _ => {
            let n = parse_u64(bytes)?;
            i64::try_from(n).map_err(|_| ValueError::Overflow)
        }
    }
}

macro_rules! int_impls {
    ($($t:ty => $via:ident, $write:ident, $wide:ty);*) => {$(
        impl<'a> FromFixValue<'a> for $t {
            #[inline]
            fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
                let n = $via(bytes)?;
                <$t>::try_from(n).map_err(|_| ValueError::Overflow)
            }
        }
        impl ToFixValue for $t {
            #[inline]
            fn write_fix_value(&self, out: &mut Vec<u8>) {
                $write(out, *self as $wide);
            }
        }
    )*};
}

int_impls!(u64 => parse_u64, write_uint, u64; u32 => parse_u64, write_uint, u64;
           u16 => parse_u64, write_uint, u64; u8 => parse_u64, write_uint, u64;
           usize => parse_u64, write_uint, u64;
           i64 => parse_i64, write_int, i64; i32 => parse_i64, write_int, i64;
           i16 => parse_i64, write_int, i64; isize => parse_i64, write_int, i64);

/// Appends the decimal text of `n`.
#[inline]
pub(crate) fn write_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_uint(out, n.unsigned_abs());
}

/// "00" to "99", for writing two digits per division.
static DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal text of an unsigned `n`.
#[inline]
pub(crate) fn write_uint(out: &mut Vec<u8>, n: u64) {
    let mut tmp = [0u8; 20];
    let len = format_u64(n, &mut tmp);
    out.extend_from_slice(&tmp[tmp.len() - len..]);
}

/// Writes `n` right-aligned at the end of `buf`, returning its length.
#[inline]
pub(crate) fn format_u64(n: u64, buf: &mut [u8; 20]) -> usize {
    buf.len() - format_u64_before(n, buf, 20)
}

/// Writes `n` in decimal so that its last digit is at `buf[end - 1]`,
/// returning where its first digit is: fields can be formatted backwards
/// into one stack buffer and appended with one copy.
#[inline]
pub(crate) fn format_u64_before(mut n: u64, buf: &mut [u8], end: usize) -> usize {
    let mut i = end;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    i
}

impl ToFixValue for bool {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        out.push(if *self { b'Y' } else { b'N' });
    }
}

impl ToFixValue for char {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        let mut b = [0u8; 4];
        out.extend_from_slice(self.encode_utf8(&mut b).as_bytes());
    }
}

impl ToFixValue for str {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl ToFixValue for [u8] {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<T: ToFixValue + ?Sized> ToFixValue for &T {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        (**self).write_fix_value(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_and_reject() {
        assert_eq!(u64::from_fix_value(b"0"), Ok(0));
        assert_eq!(i64::from_fix_value(b"-42"), Ok(-42));
        assert_eq!(i64::from_fix_value(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(u8::from_fix_value(b"256"), Err(ValueError::Overflow));
        assert_eq!(u64::from_fix_value(b""), Err(ValueError::Empty));
        assert_eq!(u64::from_fix_value(b"1a"), Err(ValueError::NotAnInteger));
        assert_eq!(u64::from_fix_value(b"-1"), Err(ValueError::NotAnInteger));
        assert_eq!(
            u64::from_fix_value(b"99999999999999999999999"),
            Err(ValueError::Overflow)
        );
    }

    #[test]
    fn integers_format() {
        for n in [0i64, 7, -7, 10, 99, 100, 1234567890, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            n.write_fix_value(&mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
        for n in [0u64, 9, 10, 11, 99, 100, 101, 999, 1000, u64::MAX] {
            let mut out = Vec::new();
            n.write_fix_value(&mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn field_errors_map_to_reject_reasons() {
        let invalid = |error| FieldError::Invalid { tag: 34, error };
        assert_eq!(
            FieldError::Missing(34).session_reject_reason(),
            SessionRejectReason::RequiredTagMissing
        );
        assert_eq!(
            invalid(ValueError::Empty).session_reject_reason(),
            SessionRejectReason::TagSpecifiedWithoutValue
        );
        assert_eq!(
            invalid(ValueError::Zero).session_reject_reason(),
            SessionRejectReason::ValueIsIncorrect
        );
        assert_eq!(
            invalid(ValueError::NotAnInteger).session_reject_reason(),
            SessionRejectReason::IncorrectDataFormat
        );
    }

    #[test]
    fn booleans_and_chars() {
        assert_eq!(bool::from_fix_value(b"Y"), Ok(true));
        assert_eq!(bool::from_fix_value(b"N"), Ok(false));
        assert_eq!(bool::from_fix_value(b"y"), Err(ValueError::NotABoolean));
        assert_eq!(char::from_fix_value(b"1"), Ok('1'));
        assert_eq!(char::from_fix_value(b"12"), Err(ValueError::NotAChar));
    }
}
