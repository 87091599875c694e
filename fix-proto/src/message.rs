//! Zero-copy message views.
//!
//! [`FieldIndex`] indexes the fields of one framed message in place: it
//! records each field's tag and the position of its value in the input
//! buffer, reusing its storage from message to message (no allocation once
//! warm). The [`Message`] it returns borrows both the bytes and the index
//! and answers lookups by tag, typed reads, and the header / body / trailer
//! boundaries.
//!
//! Length-prefixed data fields (RawData(96) after RawDataLength(95),
//! XmlData(213) after XmlDataLen(212), Signature(89), SecureData(91),
//! EncodedText(355) and the other `Encoded*` fields) may contain SOH: their
//! extent is taken from the length field that precedes them.

use crate::data_fields::{standard_data_tag, STANDARD_DATA_FIELDS};
use crate::soh::SohMask;
use crate::tag;
use crate::value::{FieldError, FromFixValue};
use crate::{Tag, SOH};

/// The position of one field in a message buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    /// The field's tag.
    pub tag: Tag,
    /// Offset of the value's first byte.
    pub start: u32,
    /// Length of the value in bytes.
    pub len: u32,
}

impl FieldSpan {
    /// The value's byte range in the buffer.
    #[inline]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// Why a framed message could not be split into fields.
///
/// Each variant names where things went wrong so that the session can
/// answer with the right Reject: a field whose tag is not a number right
/// after another field usually means that field's value contained SOH
/// (SessionRejectReason 17, case 14k).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A field with no `=`, or whose tag is empty or not a number.
    /// `after` is the tag of the previous field, whose value probably
    /// contained an SOH.
    #[error("malformed field at byte {offset} (after tag {after:?})")]
    MalformedField {
        /// Offset of the malformed field in the message.
        offset: usize,
        /// Tag of the field before it, if any.
        after: Option<Tag>,
    },
    /// A well-formed field whose tag number FIX never assigns (0, as in
    /// `0=HI`): SessionRejectReason 0, Invalid tag number, rather than a
    /// value with an SOH in it.
    #[error("invalid tag number {tag} at byte {offset}")]
    InvalidTagNumber {
        /// Offset of the field in the message.
        offset: usize,
        /// The tag.
        tag: Tag,
    },
    /// The message does not end with SOH.
    #[error("message does not end with SOH")]
    Unterminated,
    /// A data field's length (from its length field) runs past the end of
    /// the message or is not followed by SOH.
    #[error("data field {tag} does not match its declared length")]
    DataLengthMismatch {
        /// Tag of the data field.
        tag: Tag,
    },
    /// A message with more fields than an index can address.
    #[error("too many fields")]
    TooManyFields,
}

/// A reusable index of the fields of one message.
#[derive(Debug, Clone, Default)]
pub struct FieldIndex {
    /// Slots for spans, all initialised: the first `count` hold the
    /// message's fields. Writing into a slice (growing it only when full)
    /// keeps the splitting loop free of a vector's bookkeeping.
    fields: Vec<FieldSpan>,
    count: usize,
    /// Length/data tag pairs beyond the standard ones (from a dictionary
    /// with custom data fields).
    extra_data_fields: Vec<(Tag, Tag)>,
}

impl FieldIndex {
    /// An empty index.
    pub fn new() -> FieldIndex {
        FieldIndex::default()
    }

    /// Adds a custom length/data field pair (the data field's size is given
    /// by the length field that precedes it), on top of the standard ones.
    pub fn add_data_field(&mut self, len_tag: Tag, data_tag: Tag) {
        if !self.extra_data_fields.contains(&(len_tag, data_tag)) {
            self.extra_data_fields.push((len_tag, data_tag));
        }
    }

    #[inline]
    fn data_tag_for(&self, len_tag: Tag) -> Option<Tag> {
        // Most tags are not length tags: a bitmap answers that without a
        // search.
        if (len_tag as usize) < LENGTH_TAG_BITMAP_BITS
            && LENGTH_TAG_BITMAP[len_tag as usize / 64] & (1 << (len_tag % 64)) == 0
            && self.extra_data_fields.is_empty()
        {
            return None;
        }
        standard_data_tag(len_tag).or_else(|| {
            self.extra_data_fields
                .iter()
                .find(|&&(l, _)| l == len_tag)
                .map(|&(_, d)| d)
        })
    }

    /// Indexes the fields of `bytes`, a message from `8=` to the SOH after
    /// CheckSum(10) (as framing yields it). Framing-level checks (BodyLength,
    /// CheckSum) are the framer's job; this only splits fields.
    pub fn parse<'a>(&'a mut self, bytes: &'a [u8]) -> Result<Message<'a>, ParseError> {
        self.index(bytes)?;
        Ok(Message {
            bytes,
            fields: &self.fields[..self.count],
        })
    }

    /// Splits `bytes`, which ends with SOH, into `self.fields`, setting
    /// `self.count`.
    fn split(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        let custom_data = !self.extra_data_fields.is_empty();
        let mut pos = 0;
        let mut n = 0;
        let mut soh = SohMask::at(bytes, 0);
        loop {
            let (next_pos, next_n, stop) = if custom_data {
                split_common::<true>(bytes, &mut self.fields, pos, n, &mut soh)
            } else {
                split_common::<false>(bytes, &mut self.fields, pos, n, &mut soh)
            };
            (pos, n) = (next_pos, next_n);
            self.count = n;
            match stop {
                Stop::End => return Ok(()),
                Stop::Full => self.grow(),
                Stop::Length(len_tag, len_value) => {
                    let next = self.data_field(bytes, len_tag, len_value, pos)?;
                    if next != pos {
                        // A data field (which may hold SOHs) was taken
                        // whole: its SOHs are not field ends.
                        soh = SohMask::at(bytes, next);
                        pos = next;
                    }
                    n = self.count;
                }
                Stop::BadTag => {
                    let after = n.checked_sub(1).map(|i| self.fields[i].tag);
                    return Err(tag_error(bytes, pos, after));
                }
                Stop::Unterminated => return Err(ParseError::Unterminated),
            }
        }
    }

    /// Makes room for more spans.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let more = self.fields.len().max(16);
        let blank = FieldSpan {
            tag: 0,
            start: 0,
            len: 0,
        };
        self.fields.resize(self.fields.len() + more, blank);
    }

    /// Appends `span` after the first `self.count` spans.
    fn put(&mut self, span: FieldSpan) {
        if self.count == self.fields.len() {
            self.grow();
        }
        self.fields[self.count] = span;
        self.count += 1;
    }

    /// After length field `len_tag` (value at `len_value`), indexes the
    /// data field it announces if that is the field at `pos`, taking its
    /// extent from the length; answers where the next field starts (`pos`
    /// itself when the next field is not that data field: the common loop
    /// then reads it as any other).
    #[cold]
    #[inline(never)]
    fn data_field(
        &mut self,
        bytes: &[u8],
        mut len_tag: Tag,
        mut len_value: std::ops::Range<usize>,
        mut pos: usize,
    ) -> Result<usize, ParseError> {
        // A loop, not recursion: with custom pairs a data field may itself
        // be a length field.
        loop {
            let Some(data_tag) = self.data_tag_for(len_tag) else {
                return Ok(pos);
            };
            // A length we cannot read leaves the data field to be delimited
            // by SOH; validation reports the bad length.
            let Ok(data_len) = usize::from_fix_value(&bytes[len_value]) else {
                return Ok(pos);
            };
            let Some((t, value_start)) = parse_tag(bytes, pos).filter(|&(t, _)| t == data_tag)
            else {
                return Ok(pos);
            };
            let end = value_start.saturating_add(data_len);
            // A data field cannot be the last field: CheckSum(10) is. One
            // that ends at the message's last SOH has swallowed the trailer
            // (a frame cut at a `10=` inside its data).
            if bytes.get(end) != Some(&SOH) || end + 1 == bytes.len() {
                return Err(ParseError::DataLengthMismatch { tag: t });
            }
            self.put(FieldSpan {
                tag: t,
                start: value_start as u32,
                len: (end - value_start) as u32,
            });
            pos = end + 1;
            if self.extra_data_fields.is_empty() && !is_standard_length_tag(t) {
                return Ok(pos);
            }
            (len_tag, len_value) = (t, value_start..end);
        }
    }

    fn index(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        self.count = 0;
        if bytes.len() > u32::MAX as usize {
            return Err(ParseError::TooManyFields);
        }
        if bytes.last() != Some(&SOH) {
            return Err(ParseError::Unterminated);
        }
        // The header and trailer boundaries are found when asked for:
        // the session's hot path never asks.
        self.split(bytes)
    }
}

/// Why [`split_common`] stopped.
enum Stop {
    /// At the end of the message.
    End,
    /// Out of slots for spans.
    Full,
    /// After a length field (tag, value range) that may announce a data
    /// field.
    Length(Tag, std::ops::Range<usize>),
    /// At a field whose tag cannot be read.
    BadTag,
    /// At a value with no SOH after it.
    Unterminated,
}

/// Splits the common fields of `bytes` from `pos` into `spans` from slot
/// `n`, up to the end or to anything else (see [`Stop`]); answers where it
/// stopped. `soh` holds the SOHs at or after `pos`. `CUSTOM`: the
/// dictionary has custom data fields, so any tag may be a length field.
///
/// The loop keeps to the common field (a short tag, a value up to the
/// next SOH), with few live values, so that they all stay in registers.
/// A field's end is the first SOH after its start (its tag, digits and
/// `=`, holds none): the next one `soh` hands out.
#[inline(always)]
fn split_common<const CUSTOM: bool>(
    bytes: &[u8],
    spans: &mut [FieldSpan],
    mut pos: usize,
    mut n: usize,
    soh: &mut SohMask,
) -> (usize, usize, Stop) {
    loop {
        if pos >= bytes.len() {
            return (pos, n, Stop::End);
        }
        let Some(slot) = spans.get_mut(n) else {
            return (pos, n, Stop::Full);
        };
        let Some((t, value_start)) = parse_tag(bytes, pos) else {
            return (pos, n, Stop::BadTag);
        };
        let Some(value_end) = soh.take(bytes) else {
            return (pos, n, Stop::Unterminated);
        };
        debug_assert!(value_end >= value_start);
        *slot = FieldSpan {
            tag: t,
            start: value_start as u32,
            len: (value_end - value_start) as u32,
        };
        n += 1;
        pos = value_end + 1;
        if CUSTOM || is_standard_length_tag(t) {
            return (pos, n, Stop::Length(t, value_start..value_end));
        }
    }
}

/// The position of the first SOH at or after `from`.
///
/// Eight bytes at a time: XOR with SOH in every byte turns SOH into zero
/// bytes, and the classic zero-byte test marks them; the lowest marked
/// byte is exact (the test's false positives only appear above a true
/// zero byte). A value takes one or two words instead of a loop iteration
/// per byte.
#[inline]
pub(crate) fn find_soh(bytes: &[u8], mut from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ ONES;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(from + (found.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let tail = bytes.get(from..)?;
    tail.iter().position(|&b| b == SOH).map(|p| from + p)
}

/// The tag of the field at `pos` and where its value starts, when the
/// field starts with one to nine digits, not all zero, followed by `=`;
/// `None` otherwise ([`tag_error`] then says why).
#[inline(always)]
fn parse_tag(bytes: &[u8], pos: usize) -> Option<(Tag, usize)> {
    // Most tags have one to three digits: with four bytes at hand (one
    // bounds check), they are read without a check per byte.
    if let Some(&[b0, b1, b2, b3]) = bytes.get(pos..pos + 4) {
        let d0 = b0.wrapping_sub(b'0') as u32;
        if d0 > 9 {
            return None;
        }
        let d1 = b1.wrapping_sub(b'0') as u32;
        if d1 > 9 {
            return (b1 == b'=' && d0 != 0).then_some((d0, pos + 2));
        }
        let t = d0 * 10 + d1;
        let d2 = b2.wrapping_sub(b'0') as u32;
        if d2 > 9 {
            return (b2 == b'=' && t != 0).then_some((t, pos + 3));
        }
        let t = t * 10 + d2;
        let d3 = b3.wrapping_sub(b'0') as u32;
        if d3 > 9 {
            return (b3 == b'=' && t != 0).then_some((t, pos + 4));
        }
    }
    parse_tag_bytewise(bytes, pos)
}

/// [`parse_tag`] a byte at a time: for long tags and the end of a buffer.
#[inline(never)]
fn parse_tag_bytewise(bytes: &[u8], pos: usize) -> Option<(Tag, usize)> {
    let mut t: u32 = 0;
    let mut i = pos;
    loop {
        let b = *bytes.get(i)?;
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return (b == b'=' && t != 0).then_some((t, i + 1));
        }
        // Nine digits cannot overflow a u32; the bound also lets the
        // compiler unroll the loop (faster, measured, than reading the tag
        // a word at a time).
        if i - pos >= 9 {
            return None;
        }
        t = t * 10 + d as u32;
        i += 1;
    }
}

/// Why the field at `field_start` has no readable tag (see
/// [`parse_tag`]); `after` is the tag of the field before it.
#[cold]
#[inline(never)]
fn tag_error(bytes: &[u8], field_start: usize, after: Option<Tag>) -> ParseError {
    let digits = bytes[field_start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let well_formed = (1..=9).contains(&digits) && bytes.get(field_start + digits) == Some(&b'=');
    match well_formed {
        // All digits zero: a number FIX never assigns.
        true => ParseError::InvalidTagNumber {
            offset: field_start,
            tag: 0,
        },
        false => malformed(field_start, after),
    }
}

/// Whether `tag` is one of the standard length fields (one that announces
/// a data field's size).
#[inline(always)]
fn is_standard_length_tag(t: Tag) -> bool {
    // Every standard length tag is at least 90: most common tags are
    // answered without the bitmap.
    t >= 90
        && (t as usize) < LENGTH_TAG_BITMAP_BITS
        && LENGTH_TAG_BITMAP[t as usize / 64] & (1 << (t % 64)) != 0
}

/// Bits in [`LENGTH_TAG_BITMAP`]: tags below this are looked up there.
const LENGTH_TAG_BITMAP_BITS: usize = 4096;

/// Bit `t` is set when tag `t` is a standard length field.
static LENGTH_TAG_BITMAP: [u64; LENGTH_TAG_BITMAP_BITS / 64] = {
    let mut map = [0u64; LENGTH_TAG_BITMAP_BITS / 64];
    let mut i = 0;
    while i < STANDARD_DATA_FIELDS.len() {
        let t = STANDARD_DATA_FIELDS[i].0 as usize;
        // `is_standard_length_tag` skips the map below 90.
        assert!(t >= 90, "a standard length tag below 90");
        if t < LENGTH_TAG_BITMAP_BITS {
            map[t / 64] |= 1 << (t % 64);
        }
        i += 1;
    }
    map
};

#[cold]
fn malformed(offset: usize, after: Option<Tag>) -> ParseError {
    ParseError::MalformedField { offset, after }
}

/// One field of a message: its tag and its raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value, without `=` and SOH.
    pub value: &'a [u8],
}

/// A view of one indexed message. Cheap to copy; borrows the message bytes
/// and the [`FieldIndex`] that parsed them.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    fields: &'a [FieldSpan],
}

impl<'a> Message<'a> {
    /// The whole message as received.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every field in order of appearance.
    #[inline]
    pub fn spans(&self) -> &'a [FieldSpan] {
        self.fields
    }

    /// Number of fields, header and trailer included.
    #[inline]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the message has no fields (never true for a framed one).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field at position `i`.
    #[inline]
    pub fn field(&self, i: usize) -> Option<Field<'a>> {
        self.fields.get(i).map(|s| Field {
            tag: s.tag,
            value: &self.bytes[s.range()],
        })
    }

    /// The value of the span `s` of this message.
    #[inline]
    pub fn value_of(&self, s: &FieldSpan) -> &'a [u8] {
        &self.bytes[s.range()]
    }

    /// Iterates over all fields in order.
    pub fn fields(&self) -> impl DoubleEndedIterator<Item = Field<'a>> + ExactSizeIterator + 'a {
        let bytes = self.bytes;
        self.fields.iter().map(move |s| Field {
            tag: s.tag,
            value: &bytes[s.range()],
        })
    }

    /// Position of the first field with `tag`.
    #[inline]
    pub fn position(&self, tag: Tag) -> Option<usize> {
        self.fields.iter().position(|f| f.tag == tag)
    }

    /// The raw value of the first field with `tag`.
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        self.fields
            .iter()
            .find(|f| f.tag == tag)
            .map(|f| &self.bytes[f.range()])
    }

    /// Whether a field with `tag` is present.
    #[inline]
    pub fn contains(&self, tag: Tag) -> bool {
        self.fields.iter().any(|f| f.tag == tag)
    }

    /// The first field with `tag` read as `T`; an error names the tag when
    /// it is missing or does not parse.
    #[inline]
    pub fn get_as<T: FromFixValue<'a>>(&self, tag: Tag) -> Result<T, FieldError> {
        let raw = self.get(tag).ok_or(FieldError::Missing(tag))?;
        T::from_fix_value(raw).map_err(|error| FieldError::Invalid { tag, error })
    }

    /// The first field with `tag` read as `T`, `Ok(None)` when absent.
    #[inline]
    pub fn get_opt<T: FromFixValue<'a>>(&self, tag: Tag) -> Result<Option<T>, FieldError> {
        match self.get(tag) {
            None => Ok(None),
            Some(raw) => T::from_fix_value(raw)
                .map(Some)
                .map_err(|error| FieldError::Invalid { tag, error }),
        }
    }

    /// BeginString(8).
    #[inline]
    pub fn begin_string(&self) -> &'a [u8] {
        self.first_value(0, tag::BEGIN_STRING)
    }

    /// MsgType(35) (empty if the message lacks it, which framing prevents).
    #[inline]
    pub fn msg_type(&self) -> &'a [u8] {
        self.first_value(2, tag::MSG_TYPE)
    }

    #[inline]
    fn first_value(&self, expected_pos: usize, tag: Tag) -> &'a [u8] {
        match self.fields.get(expected_pos) {
            Some(f) if f.tag == tag => &self.bytes[f.range()],
            _ => self.get(tag).unwrap_or(b""),
        }
    }

    /// MsgSeqNum(34).
    #[inline]
    pub fn msg_seq_num(&self) -> Result<u64, FieldError> {
        self.get_as(tag::MSG_SEQ_NUM)
    }

    /// The fields of the standard header: the leading run of header tags
    /// (8, 9, 35 and the other standard header fields).
    #[inline]
    pub fn header(&self) -> &'a [FieldSpan] {
        &self.fields[..self.body_start()]
    }

    /// The body: the fields between header and trailer.
    #[inline]
    pub fn body(&self) -> &'a [FieldSpan] {
        &self.fields[self.body_start()..self.trailer_start()]
    }

    /// The trailer: the closing run of SignatureLength(93), Signature(89)
    /// and CheckSum(10).
    #[inline]
    pub fn trailer(&self) -> &'a [FieldSpan] {
        &self.fields[self.trailer_start()..]
    }

    /// Index of the first body field (found by walking the header).
    pub fn body_start(&self) -> usize {
        self.fields
            .iter()
            .position(|f| !tag::is_standard_header(f.tag))
            .unwrap_or(self.fields.len())
    }

    /// Index of the first trailer field (found by walking back over the
    /// trailer; never before the body's start).
    pub fn trailer_start(&self) -> usize {
        let trailer_len = self
            .fields
            .iter()
            .rev()
            .take_while(|f| tag::is_standard_trailer(f.tag))
            .count();
        (self.fields.len() - trailer_len).max(self.body_start())
    }

    /// The bytes of the body fields (from the first body field's tag to the
    /// SOH before the trailer), for copying a message's body elsewhere.
    pub fn body_bytes(&self) -> &'a [u8] {
        let body = self.body();
        match (body.first(), body.last()) {
            (Some(first), Some(last)) => {
                let start = tag_start(self.bytes, first.start as usize);
                &self.bytes[start..=(last.start + last.len) as usize]
            }
            _ => b"",
        }
    }
}

/// Indexed messages kept back to back for reading later: each message's
/// bytes and field positions are copied in, and read back as [`Message`]
/// views without being parsed again. Storage is reused after
/// [`clear`](MessageStash::clear), so a warm stash does not allocate.
///
/// ```
/// use fixrs_proto::{FieldIndex, message::MessageStash};
/// let bytes = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
/// let mut index = FieldIndex::new();
/// let mut stash = MessageStash::default();
/// let kept = stash.push(&index.parse(bytes).unwrap());
/// assert_eq!(stash.get(kept).unwrap().msg_type(), b"0");
/// ```
#[derive(Debug, Clone, Default)]
pub struct MessageStash {
    bytes: Vec<u8>,
    fields: Vec<FieldSpan>,
}

/// Where a message sits in a [`MessageStash`]: valid until the stash is
/// cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stashed {
    bytes_start: usize,
    bytes_len: usize,
    fields_start: usize,
    fields_len: usize,
}

impl MessageStash {
    /// An empty stash.
    pub fn new() -> MessageStash {
        MessageStash::default()
    }

    /// Copies `msg` (bytes and field positions) into the stash.
    pub fn push(&mut self, msg: &Message<'_>) -> Stashed {
        let kept = Stashed {
            bytes_start: self.bytes.len(),
            bytes_len: msg.bytes.len(),
            fields_start: self.fields.len(),
            fields_len: msg.fields.len(),
        };
        // Field positions are relative to the message's first byte, so
        // they stay valid wherever its bytes land.
        self.bytes.extend_from_slice(msg.bytes);
        self.fields.extend_from_slice(msg.fields);
        kept
    }

    /// The message `kept` as a view, `None` if it is not in this stash
    /// (the stash was cleared since).
    pub fn get(&self, kept: Stashed) -> Option<Message<'_>> {
        let bytes = self
            .bytes
            .get(kept.bytes_start..kept.bytes_start.checked_add(kept.bytes_len)?)?;
        let fields = self
            .fields
            .get(kept.fields_start..kept.fields_start.checked_add(kept.fields_len)?)?;
        // Fields are in order of appearance: the last one ends last. A
        // handle that does not match this stash's contents is refused
        // rather than read out of bounds.
        if let Some(last) = fields.last() {
            if last.start as usize + last.len as usize >= bytes.len() {
                return None;
            }
        }
        Some(Message { bytes, fields })
    }

    /// Whether no message is kept.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.bytes.is_empty()
    }

    /// Forgets every message, keeping the storage.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.fields.clear();
    }
}

/// Where the tag of the field whose value starts at `value_start` begins.
fn tag_start(bytes: &[u8], value_start: usize) -> usize {
    // value_start - 1 is '='; walk back over the tag digits.
    let mut i = value_start - 1;
    while i > 0 && bytes[i - 1] != SOH {
        i -= 1;
    }
    i
}

/// Renders a message with `|` for SOH, for logs and error messages.
pub fn display_soh(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| if b == SOH { '|' } else { b as char })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soh(s: &str) -> Vec<u8> {
        s.replace('|', "\x01").into_bytes()
    }

    /// `get`, `contains` and `position` as plain searches of the fields.
    fn assert_lookups_match_a_search(msg: &Message<'_>) {
        for tag in 0..200 {
            let first = msg.fields().position(|f| f.tag == tag);
            assert_eq!(msg.position(tag), first, "position of {tag}");
            assert_eq!(msg.contains(tag), first.is_some(), "contains {tag}");
            assert_eq!(
                msg.get(tag),
                first.map(|i| msg.fields().nth(i).unwrap().value),
                "get {tag}"
            );
        }
    }

    #[test]
    fn lookups_by_tag_find_the_first_field_of_each_tag() {
        let mut idx = FieldIndex::new();
        // Custom data fields (their data holding SOH) and standard ones,
        // repeated tags, tags on either side of 64, an empty value.
        idx.add_data_field(5, 6);
        let mut stash = MessageStash::new();
        for m in [
            "8=FIX.4.4|9=1|35=D|49=A|56=B|34=7|63=x|64=y|11=1|11=2|5=3|6=a|b|95=2|96=|||10=000|",
            "8=FIX.4.4|9=1|35=0|10=000|",
            "8=FIX.4.4|9=1|35=0|1=|43=Y|43=N|200=z|10=000|",
        ] {
            let bytes = soh(m);
            let msg = idx.parse(&bytes).unwrap();
            assert_lookups_match_a_search(&msg);
            let kept = stash.push(&msg);
            assert_lookups_match_a_search(&stash.get(kept).unwrap());
        }
        let bytes = soh("8=FIX.4.4|9=1|35=D|5=3|6=a|b|10=000|");
        let msg = idx.parse(&bytes).unwrap();
        assert_eq!(msg.get(6), Some(&b"a\x01b"[..]));
    }

    #[test]
    fn tags_read_four_bytes_at_a_time_as_a_byte_at_a_time() {
        // Every string of up to six bytes over the characters that matter,
        // at every position: the fast path answers as the byte loop does.
        let alphabet = [b'0', b'1', b'9', b'=', SOH, b'a'];
        let mut input = Vec::new();
        for len in 0..=6u32 {
            for mut code in 0..alphabet.len().pow(len) {
                input.clear();
                for _ in 0..len {
                    input.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                for pos in 0..=input.len() {
                    assert_eq!(
                        parse_tag(&input, pos),
                        parse_tag_bytewise(&input, pos),
                        "{input:?} at {pos}"
                    );
                }
            }
        }
        assert_eq!(parse_tag(b"35=D", 0), Some((35, 3)));
        assert_eq!(parse_tag(b"123456789=", 0), Some((123_456_789, 10)));
        assert_eq!(parse_tag(b"1234567890=", 0), None);
        assert_eq!(parse_tag(b"000=", 0), None);
        assert_eq!(parse_tag(b"0035=", 0), Some((35, 5)));
    }

    #[test]
    fn indexes_fields_and_sections() {
        let m = soh(
            "8=FIX.4.4|9=40|35=D|49=A|56=B|34=2|52=20240101-00:00:00|11=X|55=Y|93=3|89=a|b|10=000|",
        );
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&m).unwrap();
        assert_eq!(msg.msg_type(), b"D");
        assert_eq!(msg.begin_string(), b"FIX.4.4");
        assert_eq!(msg.get(55), Some(&b"Y"[..]));
        assert_eq!(msg.get(89), Some(&b"a\x01b"[..]));
        assert_eq!(msg.msg_seq_num(), Ok(2));
        assert_eq!(msg.header().len(), 7);
        assert_eq!(
            msg.body().iter().map(|f| f.tag).collect::<Vec<_>>(),
            [11, 55]
        );
        assert_eq!(
            msg.trailer().iter().map(|f| f.tag).collect::<Vec<_>>(),
            [93, 89, 10]
        );
        assert_eq!(msg.body_bytes(), b"11=X\x0155=Y\x01");
    }

    #[test]
    fn data_fields_may_contain_soh() {
        let m = soh("8=FIX.4.4|9=1|35=A|95=5|96=a|b|c|58=x|10=000|");
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&m).unwrap();
        assert_eq!(msg.get(96), Some(&b"a\x01b\x01c"[..]));
        assert_eq!(msg.get(58), Some(&b"x"[..]));
    }

    #[test]
    fn bad_data_length_is_reported() {
        let m = soh("8=FIX.4.4|9=1|35=A|95=9|96=abc|10=000|");
        let mut idx = FieldIndex::new();
        assert!(matches!(
            idx.parse(&m),
            Err(ParseError::DataLengthMismatch { tag: 96 })
        ));
    }

    #[test]
    fn soh_inside_a_value_names_the_previous_tag() {
        let m = soh("8=FIX.4.4|9=1|35=D|58=ab|cd|10=000|");
        let mut idx = FieldIndex::new();
        assert!(matches!(
            idx.parse(&m),
            Err(ParseError::MalformedField {
                after: Some(58),
                ..
            })
        ));
    }

    #[test]
    fn tag_zero_is_an_invalid_tag_number() {
        let m = soh("8=FIX.4.4|9=1|35=D|56=B|0=HI|58=x|10=000|");
        let mut idx = FieldIndex::new();
        assert_eq!(
            idx.parse(&m).err(),
            Some(ParseError::InvalidTagNumber { offset: 24, tag: 0 })
        );
        // A tag made of zeros is tag 0 too.
        let m = soh("8=FIX.4.4|9=1|35=D|000=HI|10=000|");
        assert!(matches!(
            idx.parse(&m),
            Err(ParseError::InvalidTagNumber { tag: 0, .. })
        ));
    }

    #[test]
    fn stashed_messages_read_back_without_parsing() {
        let a = soh("8=FIX.4.4|9=1|35=D|49=A|56=B|34=2|11=X|95=3|96=a|b|10=000|");
        let b = soh("8=FIX.4.4|9=1|35=8|49=B|56=A|34=3|37=Y|10=000|");
        let mut idx = FieldIndex::new();
        let mut stash = MessageStash::new();
        let ka = stash.push(&idx.parse(&a).unwrap());
        let kb = stash.push(&idx.parse(&b).unwrap());
        let ma = stash.get(ka).unwrap();
        assert_eq!(ma.as_bytes(), &a[..]);
        assert_eq!(ma.get(96), Some(&b"a\x01b"[..]));
        assert_eq!(
            ma.body().iter().map(|f| f.tag).collect::<Vec<_>>(),
            [11, 95, 96]
        );
        let mb = stash.get(kb).unwrap();
        assert_eq!(mb.msg_type(), b"8");
        assert_eq!(mb.get(37), Some(&b"Y"[..]));
        assert_eq!(mb.trailer().len(), 1);
        stash.clear();
        assert!(stash.is_empty());
        assert!(stash.get(ka).is_none());
        // A handle that does not match what the stash now holds is refused.
        stash.push(&idx.parse(&b).unwrap());
        assert!(stash.get(ka).is_none());
    }

    #[test]
    fn soh_search_matches_a_plain_scan() {
        // Bytes around SOH that a word-at-a-time test could confuse with it.
        let alphabet = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, b'=', b'9'];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..48 {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                for from in 0..=len {
                    let plain = bytes[from..]
                        .iter()
                        .position(|&b| b == SOH)
                        .map(|p| from + p);
                    assert_eq!(find_soh(&bytes, from), plain, "{bytes:?} from {from}");
                }
            }
        }
        assert_eq!(find_soh(b"abc", 7), None);
    }

    #[test]
    fn typed_reads_name_the_tag() {
        let m = soh("8=FIX.4.4|9=1|35=0|34=x|10=000|");
        let mut idx = FieldIndex::new();
        let msg = idx.parse(&m).unwrap();
        let err = msg.msg_seq_num().unwrap_err();
        assert_eq!(err.tag(), 34);
        assert_eq!(msg.get_as::<u64>(999), Err(FieldError::Missing(999)));
        assert_eq!(msg.get_opt::<u64>(999), Ok(None));
    }
}
