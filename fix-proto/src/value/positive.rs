//! The positive-integer FIX types: SeqNum (where it must be positive),
//! Length and NumInGroup.
//!
//! FIX defines each as an `int` whose value must be positive. Zero is
//! rejected with [`ValueError::Zero`] and a sign with
//! [`ValueError::Negative`], so a view can tell "MsgSeqNum(34)=0" from
//! "MsgSeqNum(34)=abc". Fields where zero has a meaning of its own
//! (EndSeqNo(16)=0 for "infinity") are read as plain integers instead.

use std::num::{NonZeroU32, NonZeroU64};

use super::{parse_u64, write_uint, FromFixValue, ToFixValue, ValueError};

/// Parses a positive integer no larger than `max`.
#[inline]
fn parse_positive(bytes: &[u8], max: u64) -> Result<u64, ValueError> {
    if let [b'-', rest @ ..] = bytes {
        return Err(if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
            ValueError::Negative
        } else {
            ValueError::NotAnInteger
        });
    }
    match parse_u64(bytes)? {
        0 => Err(ValueError::Zero),
        n if n > max => Err(ValueError::Overflow),
        n => Ok(n),
    }
}

macro_rules! positive_int {
    ($(#[$doc:meta])* $name:ident($nz:ty, $int:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($nz);

        impl $name {
            /// One, the smallest value.
            pub const ONE: $name = $name(<$nz>::MIN);

            /// The value `n`, or `None` if it is zero.
            #[inline]
            pub const fn new(n: $int) -> Option<$name> {
                match <$nz>::new(n) {
                    Some(n) => Some($name(n)),
                    None => None,
                }
            }

            /// The value as a plain integer.
            #[inline]
            pub const fn get(self) -> $int {
                self.0.get()
            }
        }

        impl From<$name> for $int {
            #[inline]
            fn from(v: $name) -> $int {
                v.get()
            }
        }

        impl TryFrom<$int> for $name {
            type Error = ValueError;
            #[inline]
            fn try_from(n: $int) -> Result<$name, ValueError> {
                $name::new(n).ok_or(ValueError::Zero)
            }
        }

        impl<'a> FromFixValue<'a> for $name {
            #[inline]
            fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
                let n = parse_positive(bytes, <$int>::MAX as u64)?;
                // parse_positive bounds n to 1..=MAX of the type.
                $name::new(n as $int).ok_or(ValueError::Zero)
            }
        }

        impl ToFixValue for $name {
            #[inline]
            fn write_fix_value(&self, out: &mut Vec<u8>) {
                write_uint(out, self.get() as u64);
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_int! {
    /// A [`SeqNum`](super::SeqNum) as read where FIX says it must be
    /// positive (MsgSeqNum(34), BeginSeqNo(7), NewSeqNo(36), ...): parsing
    /// tells "0" ([`ValueError::Zero`]) from junk. Values are handed out as
    /// plain `SeqNum`s.
    PositiveSeqNum(NonZeroU64, u64)
}

positive_int! {
    /// The length in bytes of a data field (RawDataLength(95),
    /// SignatureLength(93), ...): a positive integer.
    Length(NonZeroU32, u32)
}

positive_int! {
    /// The number of entries of a repeating group (NoMDEntries(268), ...):
    /// a positive integer.
    NumInGroup(NonZeroU32, u32)
}

impl Length {
    /// The length as a `usize`, for slicing.
    #[inline]
    pub const fn as_usize(self) -> usize {
        self.0.get() as usize
    }
}

impl NumInGroup {
    /// The count as a `usize`.
    #[inline]
    pub const fn as_usize(self) -> usize {
        self.0.get() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_values_parse() {
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"215").map(PositiveSeqNum::get),
            Ok(215)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"00007").map(PositiveSeqNum::get),
            Ok(7)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"18446744073709551615").map(PositiveSeqNum::get),
            Ok(u64::MAX)
        );
        assert_eq!(
            NumInGroup::from_fix_value(b"10").map(|n| n.as_usize()),
            Ok(10)
        );
        assert_eq!(
            Length::from_fix_value(b"4294967295").map(Length::get),
            Ok(u32::MAX)
        );
    }

    #[test]
    fn zero_sign_and_junk_are_typed_errors() {
        assert_eq!(PositiveSeqNum::from_fix_value(b"0"), Err(ValueError::Zero));
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"000"),
            Err(ValueError::Zero)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"-5"),
            Err(ValueError::Negative)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"-"),
            Err(ValueError::NotAnInteger)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"-x"),
            Err(ValueError::NotAnInteger)
        );
        assert_eq!(PositiveSeqNum::from_fix_value(b""), Err(ValueError::Empty));
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"+5"),
            Err(ValueError::NotAnInteger)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"5 "),
            Err(ValueError::NotAnInteger)
        );
        assert_eq!(
            PositiveSeqNum::from_fix_value(b"18446744073709551616"),
            Err(ValueError::Overflow)
        );
        assert_eq!(
            Length::from_fix_value(b"4294967296"),
            Err(ValueError::Overflow)
        );
        assert_eq!(NumInGroup::try_from(0), Err(ValueError::Zero));
    }

    #[test]
    fn write_and_step() {
        let mut out = Vec::new();
        PositiveSeqNum::new(42).unwrap().write_fix_value(&mut out);
        assert_eq!(out, b"42");
        assert_eq!(PositiveSeqNum::new(0), None);
        assert_eq!(PositiveSeqNum::new(9).unwrap().to_string(), "9");
    }
}
