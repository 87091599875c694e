//! `Decimal`: exact decimal numbers for FIX float fields (Price, Qty, Amt,
//! PriceOffset, Percentage).
//!
//! FIX writes these as plain decimal text (`150.25`, `-0.5`, `100`); a
//! binary float cannot hold most of them exactly, so they are kept as an
//! integer mantissa and a decimal scale: `150.25` is `15025 × 10^-2`.
//! Parsing and formatting are exact and allocation-free; the text written
//! back is the text read (trailing zeros included), while comparisons and
//! hashing are by numeric value (`150.25 == 150.250`).

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::{FromFixValue, ToFixValue, ValueError};

/// Largest number of digits after the decimal point.
pub const MAX_SCALE: u8 = 18;

/// Powers of ten that fit in a `u64`, `10^0 ..= 10^19`.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// An exact decimal number: `mantissa × 10^-scale`, with `|mantissa|` at
/// most `i64::MAX` and `scale` at most [`MAX_SCALE`].
///
/// ```
/// use fixrs_proto::value::Decimal;
/// use fixrs_proto::FromFixValue;
///
/// let px = Decimal::from_fix_value(b"150.25").unwrap();
/// assert_eq!((px.mantissa(), px.scale()), (15025, 2));
/// assert_eq!(px, Decimal::new(1502500, 4).unwrap());
/// assert_eq!(px.to_string(), "150.25");
/// let notional = px.checked_mul(Decimal::from(100)).unwrap();
/// assert_eq!(notional.to_string(), "15025.00");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };
    /// One.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        scale: 0,
    };
    /// The largest value, `i64::MAX`.
    pub const MAX: Decimal = Decimal {
        mantissa: i64::MAX,
        scale: 0,
    };
    /// The smallest value, `-i64::MAX`.
    pub const MIN: Decimal = Decimal {
        mantissa: -i64::MAX,
        scale: 0,
    };

    /// `mantissa × 10^-scale`. Fails with [`ValueError::Overflow`] if the
    /// mantissa is `i64::MIN` and [`ValueError::TooManyDecimals`] if the
    /// scale exceeds [`MAX_SCALE`].
    pub const fn new(mantissa: i64, scale: u8) -> Result<Decimal, ValueError> {
        if mantissa == i64::MIN {
            return Err(ValueError::Overflow);
        }
        if scale > MAX_SCALE {
            return Err(ValueError::TooManyDecimals);
        }
        Ok(Decimal { mantissa, scale })
    }

    /// The integer mantissa.
    #[inline]
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The number of digits after the decimal point.
    #[inline]
    pub const fn scale(self) -> u8 {
        self.scale
    }

    /// Whether the value is zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value is below zero.
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// Parses FIX float text: an optional `-`, digits with at most one `.`
    /// and at least one digit. Trailing fractional zeros beyond what the
    /// type can hold are dropped (the value stays exact); any other excess
    /// precision or magnitude is an error.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Decimal, ValueError> {
        let (negative, digits) = match bytes {
            [] => return Err(ValueError::Empty),
            [b'-', rest @ ..] => (true, rest),
            _ => (false, bytes),
        };
        // Hand-written rather than nom: this runs for every price and
        // quantity, and at most 19 characters (18 digits and a point, or 19
        // digits) can neither overflow a u64 nor exceed MAX_SCALE, so the
        // common case needs no checked arithmetic.
        if digits.is_empty() {
            return Err(ValueError::NotADecimal);
        }
        if digits.len() > 19 {
            return Decimal::parse_slow(negative, digits);
        }
        let mut m: u64 = 0;
        let mut point: Option<usize> = None;
        for (i, &b) in digits.iter().enumerate() {
            let d = b.wrapping_sub(b'0');
            if d <= 9 {
                m = m * 10 + d as u64;
            } else if b == b'.' && point.is_none() {
                point = Some(i);
            } else {
                return Err(ValueError::NotADecimal);
            }
        }
        let scale = match point {
            None => 0,
            Some(p) => {
                if digits.len() == 1 {
                    return Err(ValueError::NotADecimal);
                }
                digits.len() - 1 - p
            }
        };
        Decimal::from_sign_magnitude(negative, m, scale as u8)
    }

    /// The general case of [`Decimal::parse`]: long input, where digits may
    /// overflow and trailing zeros may need dropping.
    #[cold]
    fn parse_slow(negative: bool, digits: &[u8]) -> Result<Decimal, ValueError> {
        let mut m: u64 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        // Fractional zeros not yet multiplied in: only needed if a non-zero
        // digit follows.
        let mut pending_zeros: u32 = 0;
        for &b in digits {
            let d = b.wrapping_sub(b'0');
            if d <= 9 {
                seen_digit = true;
                if seen_point && d == 0 {
                    pending_zeros += 1;
                    continue;
                }
                let shift = pending_zeros + 1;
                pending_zeros = 0;
                if seen_point {
                    scale += shift;
                    if scale > MAX_SCALE as u32 {
                        return Err(ValueError::TooManyDecimals);
                    }
                }
                m = POW10
                    .get(shift as usize)
                    .and_then(|&p| m.checked_mul(p))
                    .and_then(|m| m.checked_add(d as u64))
                    .ok_or(ValueError::Overflow)?;
            } else if b == b'.' && !seen_point {
                seen_point = true;
            } else {
                return Err(ValueError::NotADecimal);
            }
        }
        if !seen_digit {
            return Err(ValueError::NotADecimal);
        }
        if scale > MAX_SCALE as u32 {
            return Err(ValueError::TooManyDecimals);
        }
        // Keep as many of the written trailing zeros as fit.
        while pending_zeros > 0 && scale < MAX_SCALE as u32 {
            match m.checked_mul(10).filter(|&v| v <= i64::MAX as u64) {
                Some(v) => m = v,
                None => break,
            }
            scale += 1;
            pending_zeros -= 1;
        }
        Decimal::from_sign_magnitude(negative, m, scale as u8)
    }

    #[inline]
    fn from_sign_magnitude(negative: bool, m: u64, scale: u8) -> Result<Decimal, ValueError> {
        if m > i64::MAX as u64 {
            return Err(ValueError::Overflow);
        }
        let m = m as i64;
        Ok(Decimal {
            mantissa: if negative { -m } else { m },
            scale,
        })
    }

    /// Appends the value's text: the mantissa's digits with a point
    /// `scale` places from the right (`0.05`, `-12.500`, `7`).
    pub fn write(self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 42];
        let n = self.format(&mut buf);
        out.extend_from_slice(&buf[..n]);
    }

    /// Formats into `buf`, returning the length (at most 41 bytes: sign,
    /// `0.`, 18 digits of scale with a 19-digit mantissa).
    fn format(self, buf: &mut [u8; 42]) -> usize {
        let mut digits = [0u8; 20];
        let mut v = self.mantissa.unsigned_abs();
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let digits = &digits[i..];
        let scale = self.scale as usize;
        let mut n = 0;
        if self.mantissa < 0 {
            buf[0] = b'-';
            n = 1;
        }
        if scale == 0 {
            buf[n..n + digits.len()].copy_from_slice(digits);
            return n + digits.len();
        }
        if digits.len() <= scale {
            buf[n] = b'0';
            buf[n + 1] = b'.';
            n += 2;
            let zeros = scale - digits.len();
            buf[n..n + zeros].fill(b'0');
            n += zeros;
            buf[n..n + digits.len()].copy_from_slice(digits);
            return n + digits.len();
        }
        let int_len = digits.len() - scale;
        buf[n..n + int_len].copy_from_slice(&digits[..int_len]);
        n += int_len;
        buf[n] = b'.';
        n += 1;
        buf[n..n + scale].copy_from_slice(&digits[int_len..]);
        n + scale
    }

    /// The same value with trailing fractional zeros removed
    /// (`12.500` becomes `12.5`, `100.0` becomes `100`).
    pub fn normalize(self) -> Decimal {
        let (mut m, mut s) = (self.mantissa, self.scale);
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        Decimal {
            mantissa: m,
            scale: s,
        }
    }

    /// The same value written with exactly `scale` decimals. Fails with
    /// [`ValueError::Inexact`] if non-zero digits would be lost and
    /// [`ValueError::Overflow`] if the mantissa would not fit.
    pub fn rescale(self, scale: u8) -> Result<Decimal, ValueError> {
        if scale > MAX_SCALE {
            return Err(ValueError::TooManyDecimals);
        }
        match scale.cmp(&self.scale) {
            Ordering::Equal => Ok(self),
            Ordering::Greater => {
                let p = POW10[(scale - self.scale) as usize] as i64;
                self.mantissa
                    .checked_mul(p)
                    .filter(|&m| m != i64::MIN)
                    .map(|mantissa| Decimal { mantissa, scale })
                    .ok_or(ValueError::Overflow)
            }
            Ordering::Less => {
                let p = POW10[(self.scale - scale) as usize] as i64;
                if self.mantissa % p != 0 {
                    return Err(ValueError::Inexact);
                }
                Ok(Decimal {
                    mantissa: self.mantissa / p,
                    scale,
                })
            }
        }
    }

    /// The value rounded to at most `scale` decimals, halves away from zero
    /// (`2.345` to 2 decimals is `2.35`, `-2.345` is `-2.35`).
    pub fn round_dp(self, scale: u8) -> Decimal {
        if scale >= self.scale {
            return self;
        }
        let p = POW10[(self.scale - scale) as usize] as i64;
        let q = self.mantissa / p;
        let r = self.mantissa % p;
        // |r| < p <= 10^18, so 2|r| cannot overflow an i64.
        let q = if r.abs() * 2 >= p {
            q + self.mantissa.signum()
        } else {
            q
        };
        Decimal { mantissa: q, scale }
    }

    /// The integer part, rounded toward zero.
    pub fn trunc(self) -> i64 {
        self.mantissa / POW10[self.scale as usize] as i64
    }

    /// The value as an integer, if it has no fractional part
    /// ([`ValueError::Inexact`] otherwise).
    pub fn to_i64_exact(self) -> Result<i64, ValueError> {
        let p = POW10[self.scale as usize] as i64;
        if self.mantissa % p != 0 {
            return Err(ValueError::Inexact);
        }
        Ok(self.mantissa / p)
    }

    /// The nearest `f64`, for display or statistics; never for arithmetic
    /// on prices.
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / POW10[self.scale as usize] as f64
    }

    /// Both values brought to the larger scale, as `i128` mantissas (never
    /// overflows: `|m| < 2^63` times at most `10^18`).
    #[inline]
    fn aligned(self, other: Decimal) -> (i128, i128, u8) {
        let scale = self.scale.max(other.scale);
        let a = self.mantissa as i128 * POW10[(scale - self.scale) as usize] as i128;
        let b = other.mantissa as i128 * POW10[(scale - other.scale) as usize] as i128;
        (a, b, scale)
    }

    /// Builds a decimal from a wide mantissa, dropping trailing zeros if
    /// that is what it takes to fit.
    fn from_wide(mut m: i128, mut scale: u32) -> Option<Decimal> {
        while (scale > MAX_SCALE as u32 || m.unsigned_abs() > i64::MAX as u128)
            && scale > 0
            && m % 10 == 0
        {
            m /= 10;
            scale -= 1;
        }
        if scale > MAX_SCALE as u32 || m.unsigned_abs() > i64::MAX as u128 {
            return None;
        }
        Some(Decimal {
            mantissa: m as i64,
            scale: scale as u8,
        })
    }

    /// `self + other`, exact, at the larger of the two scales; `None` on
    /// overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other);
        Decimal::from_wide(a + b, scale as u32)
    }

    /// `self - other`, exact, at the larger of the two scales; `None` on
    /// overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other);
        Decimal::from_wide(a - b, scale as u32)
    }

    /// `self × other`, exact, at the sum of the scales (less any trailing
    /// zeros needed to fit); `None` on overflow.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        let m = self.mantissa as i128 * other.mantissa as i128;
        Decimal::from_wide(m, self.scale as u32 + other.scale as u32)
    }

    /// `-self` (never overflows: the mantissa is never `i64::MIN`).
    pub const fn neg(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// `|self|`.
    pub const fn abs(self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        if self.scale == other.scale {
            return self.mantissa == other.mantissa;
        }
        let (a, b, _) = self.aligned(*other);
        a == b
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let (a, b, _) = self.aligned(*other);
        a.cmp(&b)
    }
}

impl Hash for Decimal {
    /// Hashes the normalized value, so equal values hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalize();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

macro_rules! from_small_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal {
            fn from(v: $t) -> Decimal {
                Decimal { mantissa: v as i64, scale: 0 }
            }
        }
    )*};
}

from_small_int!(i8, i16, i32, u8, u16, u32);

impl TryFrom<i64> for Decimal {
    type Error = ValueError;
    fn try_from(v: i64) -> Result<Decimal, ValueError> {
        Decimal::new(v, 0)
    }
}

impl TryFrom<u64> for Decimal {
    type Error = ValueError;
    fn try_from(v: u64) -> Result<Decimal, ValueError> {
        i64::try_from(v)
            .map_err(|_| ValueError::Overflow)
            .and_then(|v| Decimal::new(v, 0))
    }
}

impl TryFrom<Decimal> for i64 {
    type Error = ValueError;
    /// Exact conversion: fails with [`ValueError::Inexact`] on a fraction.
    fn try_from(d: Decimal) -> Result<i64, ValueError> {
        d.to_i64_exact()
    }
}

impl std::str::FromStr for Decimal {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Decimal, ValueError> {
        Decimal::parse(s.as_bytes())
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 42];
        let n = self.format(&mut buf);
        // Only ASCII digits, '-' and '.' were written.
        f.pad(std::str::from_utf8(&buf[..n]).unwrap_or("?"))
    }
}

impl<'a> FromFixValue<'a> for Decimal {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        Decimal::parse(bytes)
    }
}

impl ToFixValue for Decimal {
    #[inline]
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        self.write(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn parses_exactly() {
        assert_eq!((d("150.25").mantissa(), d("150.25").scale()), (15025, 2));
        assert_eq!((d("-0.5").mantissa(), d("-0.5").scale()), (-5, 1));
        assert_eq!((d("100").mantissa(), d("100").scale()), (100, 0));
        assert_eq!((d(".5").mantissa(), d(".5").scale()), (5, 1));
        assert_eq!((d("5.").mantissa(), d("5.").scale()), (5, 0));
        assert_eq!(d("007.10").scale(), 2);
        assert_eq!(d("9223372036854775807").mantissa(), i64::MAX);
        assert_eq!(d("0.000000000000000001").scale(), 18);
    }

    #[test]
    fn rejects_bad_text_with_typed_errors() {
        assert_eq!(Decimal::parse(b""), Err(ValueError::Empty));
        assert_eq!(Decimal::parse(b"-"), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b"."), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b"1.2.3"), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b"1e5"), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b"+1"), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b" 1"), Err(ValueError::NotADecimal));
        assert_eq!(Decimal::parse(b"--1"), Err(ValueError::NotADecimal));
        assert_eq!(
            Decimal::parse(b"9223372036854775808"),
            Err(ValueError::Overflow)
        );
        assert_eq!(
            Decimal::parse(b"123456789012345678901234"),
            Err(ValueError::Overflow)
        );
        assert_eq!(
            Decimal::parse(b"0.0000000000000000001"),
            Err(ValueError::TooManyDecimals)
        );
        assert_eq!(
            Decimal::parse(b"0.0000000000000000000000000001"),
            Err(ValueError::TooManyDecimals)
        );
        assert_eq!(
            Decimal::parse(b"-.................."),
            Err(ValueError::NotADecimal)
        );
        assert_eq!(
            Decimal::parse(b"...................."),
            Err(ValueError::NotADecimal)
        );
    }

    #[test]
    fn drops_only_zeros_when_too_long() {
        let x = d("1.50000000000000000000000000");
        assert_eq!(x, d("1.5"));
        assert_eq!(x.scale(), 18);
        let y = d("12345678901234567.0000000");
        assert_eq!(y, d("12345678901234567"));
        assert_eq!(y.scale(), 2);
        assert_eq!(d("-0.000000000000000000000"), Decimal::ZERO);
    }

    #[test]
    fn formats_the_text_read() {
        for s in [
            "150.25",
            "-0.5",
            "0.005",
            "100",
            "0",
            "0.00",
            "-12.500",
            "9223372036854775807",
            "-0.000000000000000001",
            "922337203.6854775807",
        ] {
            assert_eq!(d(s).to_string(), s);
            let mut out = Vec::new();
            d(s).write_fix_value(&mut out);
            assert_eq!(out, s.as_bytes());
        }
        assert_eq!(d("-.5").to_string(), "-0.5");
        assert_eq!(format!("{:>8}", d("1.5")), "     1.5");
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(d("150.25"), d("150.250"));
        assert!(d("150.25") < d("150.251"));
        assert!(d("-1") < d("-0.999999999999999999"));
        assert!(d("9223372036854775807") > d("922337203685477580.7"));
        let mut v = vec![d("2"), d("1.50"), d("-3"), d("1.5")];
        v.sort();
        assert_eq!(v, [d("-3"), d("1.5"), d("1.5"), d("2")]);
        use std::collections::HashSet;
        let set: HashSet<Decimal> = [d("1.5"), d("1.50"), d("1.500")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn arithmetic_is_exact_or_none() {
        assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
        assert_eq!(d("150.25").checked_sub(d("0.255")).unwrap().scale(), 3);
        assert_eq!(d("150.25").checked_mul(d("40")), Some(d("6010")));
        assert_eq!(Decimal::MAX.checked_add(Decimal::ONE), None);
        assert_eq!(Decimal::MAX.checked_mul(d("2")), None);
        // 10^-10 × 10^-10 needs 20 decimals.
        assert_eq!(d("0.0000000001").checked_mul(d("0.0000000001")), None);
        assert_eq!(
            d("1.50").checked_mul(d("2.0")).unwrap().to_string(),
            "3.000"
        );
        assert_eq!(d("-1.5").neg(), d("1.5"));
        assert_eq!(d("-1.5").abs(), d("1.5"));
    }

    #[test]
    fn conversions() {
        assert_eq!(d("12.50").normalize().to_string(), "12.5");
        assert_eq!(d("100.0").normalize().to_string(), "100");
        assert_eq!(d("1.5").rescale(4).unwrap().to_string(), "1.5000");
        assert_eq!(d("1.5000").rescale(1).unwrap().to_string(), "1.5");
        assert_eq!(d("1.55").rescale(1), Err(ValueError::Inexact));
        assert_eq!(Decimal::MAX.rescale(1), Err(ValueError::Overflow));
        assert_eq!(d("2.345").round_dp(2), d("2.35"));
        assert_eq!(d("-2.345").round_dp(2), d("-2.35"));
        assert_eq!(d("2.344").round_dp(2), d("2.34"));
        assert_eq!(d("2.344").round_dp(5), d("2.344"));
        assert_eq!(d("-7.9").trunc(), -7);
        assert_eq!(i64::try_from(d("40.000")), Ok(40));
        assert_eq!(i64::try_from(d("40.5")), Err(ValueError::Inexact));
        assert_eq!(d("150.25").to_f64(), 150.25);
        assert_eq!(Decimal::try_from(u64::MAX), Err(ValueError::Overflow));
        assert_eq!(Decimal::try_from(i64::MIN), Err(ValueError::Overflow));
        assert_eq!(Decimal::new(1, 19), Err(ValueError::TooManyDecimals));
        assert_eq!(Decimal::from(-3i32), d("-3"));
        assert_eq!("1.25".parse::<Decimal>(), Ok(d("1.25")));
    }
}
