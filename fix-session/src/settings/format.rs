//! Value formats shared by the layers' keys: booleans as QuickFIX writes
//! them, whole numbers, durations in a named unit, text, paths.

use super::Format;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// `Y` or `N` (also `yes`, `no`, `true`, `false`, in any case).
pub const BOOL: Format<bool> = Format {
    expected: "Y or N",
    parse: parse_bool,
};

/// Text sent on the wire or naming a host: no control characters (SOH
/// would end a FIX field).
pub const TEXT: Format<String> = Format {
    expected: "text without control characters",
    parse: parse_text,
};

/// A file or directory.
pub const PATH: Format<PathBuf> = Format {
    expected: "a path",
    parse: |v| Some(PathBuf::from(v)),
};

/// A whole number of seconds, 0 included.
pub const SECONDS: Format<Duration> = Format {
    expected: "a whole number of seconds",
    parse: |v| parse_uint::<u64>(v).map(Duration::from_secs),
};

/// A whole number of seconds, more than 0.
pub const POSITIVE_SECONDS: Format<Duration> = Format {
    expected: "a positive whole number of seconds",
    parse: |v| parse_positive::<u64>(v).map(Duration::from_secs),
};

/// A whole number of milliseconds, 0 included.
pub const MILLISECONDS: Format<Duration> = Format {
    expected: "a whole number of milliseconds",
    parse: |v| parse_uint::<u64>(v).map(Duration::from_millis),
};

/// A whole number (digits only), 0 included.
pub const fn count<T: FromStr>() -> Format<T> {
    Format {
        expected: "a whole number",
        parse: parse_uint::<T>,
    }
}

/// A whole number more than 0, described as `expected` in errors ("a
/// positive number of bytes").
pub const fn positive<T: FromStr + Default + PartialEq>(expected: &'static str) -> Format<T> {
    Format {
        expected,
        parse: parse_positive::<T>,
    }
}

/// `Y`, `yes` or `true` (in any case) is true; `N`, `no` or `false` false.
pub fn parse_bool(v: &str) -> Option<bool> {
    const YES: [&str; 3] = ["Y", "YES", "TRUE"];
    const NO: [&str; 3] = ["N", "NO", "FALSE"];
    if YES.iter().any(|y| v.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if NO.iter().any(|n| v.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

/// An unsigned decimal number: digits only, no sign, no exponent.
pub fn parse_uint<T: FromStr>(v: &str) -> Option<T> {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse().ok()
    } else {
        None
    }
}

/// An unsigned decimal number other than 0.
pub fn parse_positive<T: FromStr + Default + PartialEq>(v: &str) -> Option<T> {
    parse_uint::<T>(v).filter(|n| *n != T::default())
}

/// Text without control characters.
pub fn parse_text(v: &str) -> Option<String> {
    (!v.chars().any(char::is_control)).then(|| v.to_string())
}
