//! MultipleValueString and MultipleCharValue: space-separated lists in one
//! field (ExecInst(18) `1 5 G`, QuoteCondition(276), TradeCondition(277)).
//!
//! Both are views over the field's bytes; iterating splits on spaces
//! without allocating. Reading checks that no element is empty (no
//! leading, trailing or doubled space) and, for MultipleCharValue, that
//! every element is a single printable character.

use super::{FromFixValue, ToFixValue, ValueError};

/// The separator between values.
const SPACE: u8 = b' ';

/// Checks that `bytes` is a non-empty list of non-empty space-separated
/// elements.
#[inline]
fn check_elements(bytes: &[u8]) -> Result<(), ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::Empty);
    }
    if bytes.first() == Some(&SPACE)
        || bytes.last() == Some(&SPACE)
        || bytes.windows(2).any(|w| w == b"  ")
    {
        return Err(ValueError::EmptyElement);
    }
    Ok(())
}

/// A MultipleValueString (or MultipleStringValue): string values separated
/// by spaces, e.g. ExecInst(18) `1 5 G` in FIX 4.x.
///
/// ```
/// use fixrs_proto::value::MultipleValueString;
/// use fixrs_proto::FromFixValue;
/// let v = MultipleValueString::from_fix_value(b"1 5 G").unwrap();
/// assert_eq!(v.iter().collect::<Vec<_>>(), [&b"1"[..], b"5", b"G"]);
/// assert!(v.contains(b"5"));
/// assert_eq!(v.len(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MultipleValueString<'a>(&'a [u8]);

impl<'a> MultipleValueString<'a> {
    /// The raw field value.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The values in order.
    #[inline]
    pub fn iter(&self) -> Values<'a> {
        Values { rest: self.0 }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.iter().filter(|&&b| b == SPACE).count() + 1
    }

    /// Always false: a parsed list has at least one value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `value` is one of the values.
    pub fn contains(&self, value: &[u8]) -> bool {
        self.iter().any(|v| v == value)
    }
}

impl<'a> IntoIterator for MultipleValueString<'a> {
    type Item = &'a [u8];
    type IntoIter = Values<'a>;
    fn into_iter(self) -> Values<'a> {
        self.iter()
    }
}

impl<'a> FromFixValue<'a> for MultipleValueString<'a> {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        check_elements(bytes)?;
        Ok(MultipleValueString(bytes))
    }
}

impl ToFixValue for MultipleValueString<'_> {
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0)
    }
}

/// Iterator over the values of a [`MultipleValueString`].
#[derive(Debug, Clone)]
pub struct Values<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match self.rest.iter().position(|&b| b == SPACE) {
            Some(p) => {
                let v = &self.rest[..p];
                self.rest = &self.rest[p + 1..];
                Some(v)
            }
            None => {
                let v = self.rest;
                self.rest = &[];
                Some(v)
            }
        }
    }
}

impl std::iter::FusedIterator for Values<'_> {}

/// A MultipleCharValue: single characters separated by spaces, e.g.
/// ExecInst(18) in FIX 5.0.
///
/// ```
/// use fixrs_proto::value::MultipleCharValue;
/// use fixrs_proto::FromFixValue;
/// let v = MultipleCharValue::from_fix_value(b"1 5 G").unwrap();
/// assert_eq!(v.iter().collect::<Vec<u8>>(), b"15G");
/// assert!(v.contains(b'G'));
/// assert!(MultipleCharValue::from_fix_value(b"1 55").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MultipleCharValue<'a>(&'a [u8]);

impl<'a> MultipleCharValue<'a> {
    /// The raw field value.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The characters in order.
    #[inline]
    pub fn iter(&self) -> Chars<'a> {
        Chars {
            inner: self.0.iter().step_by(2),
        }
    }

    /// The number of characters.
    pub fn len(&self) -> usize {
        self.0.len().div_ceil(2)
    }

    /// Always false: a parsed list has at least one value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `c` is one of the characters.
    pub fn contains(&self, c: u8) -> bool {
        self.iter().any(|v| v == c)
    }
}

impl<'a> IntoIterator for MultipleCharValue<'a> {
    type Item = u8;
    type IntoIter = Chars<'a>;
    fn into_iter(self) -> Chars<'a> {
        self.iter()
    }
}

impl<'a> FromFixValue<'a> for MultipleCharValue<'a> {
    #[inline]
    fn from_fix_value(bytes: &'a [u8]) -> Result<Self, ValueError> {
        check_elements(bytes)?;
        // Characters at even positions, spaces at odd ones.
        for (i, &b) in bytes.iter().enumerate() {
            let ok = if i % 2 == 0 {
                b.is_ascii_graphic()
            } else {
                b == SPACE
            };
            if !ok {
                return Err(ValueError::NotAChar);
            }
        }
        Ok(MultipleCharValue(bytes))
    }
}

impl ToFixValue for MultipleCharValue<'_> {
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0)
    }
}

/// Iterator over the characters of a [`MultipleCharValue`].
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    inner: std::iter::StepBy<std::slice::Iter<'a, u8>>,
}

impl Iterator for Chars<'_> {
    type Item = u8;
    #[inline]
    fn next(&mut self) -> Option<u8> {
        self.inner.next().copied()
    }
}

/// Writes any list of values space-separated, for building
/// MultipleValueString / MultipleCharValue fields without allocating.
///
/// ```
/// use fixrs_proto::encode::{FieldWriter, MessageBuilder};
/// use fixrs_proto::value::SpaceSeparated;
/// let mut m = MessageBuilder::new(b"D");
/// m.push_value(18, &SpaceSeparated(["1", "5", "G"]));
/// assert_eq!(m.body(), b"18=1 5 G\x01");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SpaceSeparated<I>(pub I);

impl<I> ToFixValue for SpaceSeparated<I>
where
    I: Clone + IntoIterator,
    I::Item: ToFixValue,
{
    fn write_fix_value(&self, out: &mut Vec<u8>) {
        for (i, v) in self.0.clone().into_iter().enumerate() {
            if i > 0 {
                out.push(SPACE);
            }
            v.write_fix_value(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_split_without_empty_elements() {
        let v = MultipleValueString::from_fix_value(b"AB C DEF").unwrap();
        assert_eq!(v.iter().collect::<Vec<_>>(), [&b"AB"[..], b"C", b"DEF"]);
        assert_eq!(v.len(), 3);
        assert!(!v.contains(b"A"));
        let one = MultipleValueString::from_fix_value(b"X").unwrap();
        assert_eq!(one.into_iter().collect::<Vec<_>>(), [&b"X"[..]]);
        for bad in [&b" A"[..], b"A ", b"A  B", b" "] {
            assert_eq!(
                MultipleValueString::from_fix_value(bad),
                Err(ValueError::EmptyElement),
                "{bad:?}"
            );
        }
        assert_eq!(
            MultipleValueString::from_fix_value(b""),
            Err(ValueError::Empty)
        );
    }

    #[test]
    fn chars_are_single_printable_characters() {
        let v = MultipleCharValue::from_fix_value(b"a b c").unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v.iter().collect::<Vec<_>>(), b"abc");
        assert_eq!(
            MultipleCharValue::from_fix_value(b"ab c"),
            Err(ValueError::NotAChar)
        );
        assert_eq!(
            MultipleCharValue::from_fix_value(b"a\x02"),
            Err(ValueError::NotAChar)
        );
        assert_eq!(
            MultipleCharValue::from_fix_value(b"a  b"),
            Err(ValueError::EmptyElement)
        );
    }

    #[test]
    fn space_separated_writes_lists() {
        let mut out = Vec::new();
        SpaceSeparated([b'1', b'5'].iter().map(|&c| c as char).collect::<Vec<_>>())
            .write_fix_value(&mut out);
        assert_eq!(out, b"1 5");
        out.clear();
        SpaceSeparated::<[&str; 0]>([]).write_fix_value(&mut out);
        assert_eq!(out, b"");
    }
}
