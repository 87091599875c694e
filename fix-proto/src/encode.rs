//! Encoding messages into reused buffers.
//!
//! [`Encoder`] writes one complete message at a time: `8=`, `9=`, `35=`
//! first, then whatever fields are pushed (header fields first, by
//! convention of the caller), and on [`Encoder::finish`] back-fills
//! BodyLength(9) and appends CheckSum(10). The body is written after a
//! reserved gap and the `8=...|9=...|` prefix is placed right-aligned in
//! that gap, so finishing moves no bytes.
//!
//! [`MessageBuilder`] holds an application message (MsgType plus body
//! fields, and optionally extra header fields) before a session gives it a
//! header and sequence number. Both implement [`FieldWriter`], the typed
//! setters.

use crate::framing::checksum;
use crate::value::{
    format_u64, format_u64_before, write_int, TimestampCache, ToFixValue, UtcTimestamp,
};
use crate::{Tag, SOH};

/// Typed field setters shared by [`Encoder`] and [`MessageBuilder`].
pub trait FieldWriter {
    /// The buffer fields are appended to.
    fn field_buf(&mut self) -> &mut Vec<u8>;

    /// Appends `tag=value<SOH>` with a raw value.
    #[inline]
    fn push(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        let buf = self.field_buf();
        write_tag(buf, tag);
        buf.extend_from_slice(value);
        buf.push(SOH);
        self
    }

    /// Appends a string field.
    #[inline]
    fn push_str(&mut self, tag: Tag, value: &str) -> &mut Self {
        self.push(tag, value.as_bytes())
    }

    /// Appends any value implementing [`ToFixValue`] (decimals, dates, ...).
    #[inline]
    fn push_value<V: ToFixValue + ?Sized>(&mut self, tag: Tag, value: &V) -> &mut Self {
        let buf = self.field_buf();
        write_tag(buf, tag);
        value.write_fix_value(buf);
        buf.push(SOH);
        self
    }

    /// Appends a signed integer field.
    #[inline]
    fn push_int(&mut self, tag: Tag, value: i64) -> &mut Self {
        let buf = self.field_buf();
        write_tag(buf, tag);
        write_int(buf, value);
        buf.push(SOH);
        self
    }

    /// Appends an unsigned integer field (SeqNum, Length, NumInGroup, ...).
    #[inline]
    fn push_uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        // Formatted backwards into one stack buffer (SOH, value, '=',
        // tag) and appended with one copy: MsgSeqNum(34) is written into
        // every message.
        let mut tmp = [0u8; 32];
        let end = tmp.len() - 1;
        tmp[end] = SOH;
        let value_at = format_u64_before(value, &mut tmp, end);
        tmp[value_at - 1] = b'=';
        let tag_at = format_u64_before(tag.into(), &mut tmp, value_at - 1);
        self.field_buf().extend_from_slice(&tmp[tag_at..]);
        self
    }

    /// Appends a single-character field.
    #[inline]
    fn push_char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.push(tag, &[value])
    }

    /// Appends a Boolean field (`Y` / `N`).
    #[inline]
    fn push_bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.push(tag, if value { b"Y" } else { b"N" })
    }

    /// Appends a length field and the data field it measures; the data may
    /// contain SOH.
    #[inline]
    fn push_data(&mut self, len_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.push_uint(len_tag, data.len() as u64);
        self.push(data_tag, data)
    }

    /// Appends already-encoded `tag=value<SOH>` fields verbatim.
    #[inline]
    fn push_raw(&mut self, fields: &[u8]) -> &mut Self {
        self.field_buf().extend_from_slice(fields);
        self
    }
}

#[inline]
fn write_tag(buf: &mut Vec<u8>, tag: Tag) {
    // Tags are short; a fixed-size stack buffer beats a generic formatter.
    // A u32 has at most 10 digits.
    let mut tmp = [0u8; 11];
    let end = tmp.len() - 1;
    tmp[end] = b'=';
    let at = format_u64_before(tag.into(), &mut tmp, end);
    buf.extend_from_slice(&tmp[at..]);
}

/// Bytes reserved before the body for `8=<BeginString><SOH>9=<len><SOH>`
/// beyond the BeginString itself: "8=", SOH, "9=", up to 20 digits, SOH.
const PREFIX_OVERHEAD: usize = 2 + 1 + 2 + 20 + 1;

/// Encodes complete FIX messages into a reused buffer.
///
/// ```
/// use fixrs_proto::encode::{Encoder, FieldWriter};
/// let mut enc = Encoder::new();
/// enc.start("FIX.4.4", b"0");
/// enc.push_str(49, "A").push_str(56, "B").push_uint(34, 1);
/// let bytes = enc.finish();
/// assert!(bytes.starts_with(b"8=FIX.4.4\x019="));
/// assert!(bytes.ends_with(b"\x01"));
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
    /// Where the body (starting with 35=) begins.
    body_start: usize,
    /// Where the finished message begins (after `finish`).
    msg_start: usize,
    begin_string: Vec<u8>,
    finished: bool,
    timestamps: TimestampCache,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// An encoder writing SendingTime-style timestamps with millisecond
    /// precision.
    pub fn new() -> Encoder {
        Encoder::with_timestamps(TimestampCache::default())
    }

    /// An encoder with the given timestamp formatter (and so precision).
    pub fn with_timestamps(timestamps: TimestampCache) -> Encoder {
        Encoder {
            buf: Vec::with_capacity(512),
            body_start: 0,
            msg_start: 0,
            begin_string: Vec::new(),
            finished: false,
            timestamps,
        }
    }

    /// The timestamp formatter (to change precision).
    pub fn timestamps_mut(&mut self) -> &mut TimestampCache {
        &mut self.timestamps
    }

    /// Begins a new message: discards the previous one and writes
    /// MsgType(35). Header fields should be pushed next, then the body.
    pub fn start(&mut self, begin_string: &str, msg_type: &[u8]) -> &mut Self {
        if self.begin_string != begin_string.as_bytes() {
            self.begin_string.clear();
            self.begin_string.extend_from_slice(begin_string.as_bytes());
        }
        let reserve = self.begin_string.len() + PREFIX_OVERHEAD;
        // The gap's old bytes may stay: finish overwrites the part of it
        // that is sent, and the rest is never read.
        if self.buf.len() >= reserve {
            self.buf.truncate(reserve);
        } else {
            self.buf.clear();
            self.buf.resize(reserve, 0);
        }
        self.body_start = reserve;
        self.msg_start = 0;
        self.finished = false;
        self.buf.extend_from_slice(b"35=");
        self.buf.extend_from_slice(msg_type);
        self.buf.push(SOH);
        self
    }

    /// Appends a UTCTimestamp field written through the cached formatter
    /// (SendingTime(52), OrigSendingTime(122), ...).
    #[inline]
    pub fn push_timestamp(&mut self, tag: Tag, t: UtcTimestamp) -> &mut Self {
        // "tag=" right-aligned before position 11, the text after it, SOH:
        // put together on the stack, appended with one copy (SendingTime
        // is written into every message).
        let mut tmp = [0u8; 11 + 27 + 1];
        tmp[10] = b'=';
        let tag_at = format_u64_before(tag.into(), &mut tmp, 10);
        let len = self.timestamps.format(t, &mut tmp[11..38]);
        tmp[11 + len] = SOH;
        self.buf.extend_from_slice(&tmp[tag_at..12 + len]);
        self
    }

    /// Back-fills BodyLength(9), appends CheckSum(10) and returns the
    /// complete message. Calling it twice returns the same bytes.
    pub fn finish(&mut self) -> &[u8] {
        if !self.finished {
            let body_len = self.buf.len() - self.body_start;
            let mut len_text = [0u8; 20];
            let len_digits = format_u64(body_len as u64, &mut len_text);
            let len_text = &len_text[len_text.len() - len_digits..];
            // "8=" BeginString SOH "9=" digits SOH, right-aligned against
            // the body: the reserved gap always has room for it.
            let prefix_len = 2 + self.begin_string.len() + 3 + len_digits + 1;
            self.msg_start = self.body_start - prefix_len;
            let prefix = &mut self.buf[self.msg_start..self.body_start];
            let (head, rest) = prefix.split_at_mut(2 + self.begin_string.len());
            head[..2].copy_from_slice(b"8=");
            head[2..].copy_from_slice(&self.begin_string);
            rest[..3].copy_from_slice(b"\x019=");
            rest[3..3 + len_digits].copy_from_slice(len_text);
            rest[3 + len_digits] = SOH;
            let sum = checksum(&self.buf[self.msg_start..]);
            self.buf.extend_from_slice(&[
                b'1',
                b'0',
                b'=',
                b'0' + sum / 100,
                b'0' + sum / 10 % 10,
                b'0' + sum % 10,
                SOH,
            ]);
            self.finished = true;
        }
        &self.buf[self.msg_start..]
    }

    /// The bytes written so far after MsgType (for inspection in tests).
    pub fn body_so_far(&self) -> &[u8] {
        &self.buf[self.body_start..]
    }
}

impl FieldWriter for Encoder {
    #[inline]
    fn field_buf(&mut self) -> &mut Vec<u8> {
        debug_assert!(!self.finished, "field pushed after finish()");
        &mut self.buf
    }
}

/// An application message waiting for a session header: its MsgType, body
/// fields and optional extra header fields (OnBehalfOfCompID(115),
/// DeliverToCompID(128), PossResend(97), ...), already encoded.
///
/// ```
/// use fixrs_proto::encode::{FieldWriter, MessageBuilder};
/// let mut nos = MessageBuilder::new(b"D");
/// nos.push_str(11, "ORD-1").push_str(55, "EUR/USD").push_char(54, b'1');
/// assert_eq!(nos.body(), b"11=ORD-1\x0155=EUR/USD\x0154=1\x01");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageBuilder {
    msg_type: Vec<u8>,
    header: Vec<u8>,
    body: Vec<u8>,
}

impl MessageBuilder {
    /// An empty message of the given MsgType(35).
    pub fn new(msg_type: &[u8]) -> MessageBuilder {
        MessageBuilder {
            msg_type: msg_type.to_vec(),
            header: Vec::new(),
            body: Vec::with_capacity(128),
        }
    }

    /// A message from its MsgType and already-encoded body fields.
    pub fn from_body(msg_type: &[u8], body: &[u8]) -> MessageBuilder {
        MessageBuilder {
            msg_type: msg_type.to_vec(),
            header: Vec::new(),
            body: body.to_vec(),
        }
    }

    /// Empties the message for reuse with a new MsgType.
    pub fn reset(&mut self, msg_type: &[u8]) {
        self.msg_type.clear();
        self.msg_type.extend_from_slice(msg_type);
        self.header.clear();
        self.body.clear();
    }

    /// MsgType(35).
    pub fn msg_type(&self) -> &[u8] {
        &self.msg_type
    }

    /// The encoded body fields.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The encoded extra header fields.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// A writer for extra header fields, placed after the session's own
    /// header fields.
    pub fn header_mut(&mut self) -> HeaderWriter<'_> {
        HeaderWriter(&mut self.header)
    }
}

impl FieldWriter for MessageBuilder {
    #[inline]
    fn field_buf(&mut self) -> &mut Vec<u8> {
        &mut self.body
    }
}

/// Writes extra header fields of a [`MessageBuilder`].
#[derive(Debug)]
pub struct HeaderWriter<'a>(&'a mut Vec<u8>);

impl FieldWriter for HeaderWriter<'_> {
    #[inline]
    fn field_buf(&mut self) -> &mut Vec<u8> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{scan, FrameConfig, Scan};

    #[test]
    fn encodes_the_reference_nos_byte_for_byte() {
        let expected = "8=FIX.4.4|9=178|35=D|49=CLIENT12|56=EXCHANGE|34=215|52=20240115-10:30:00.123|11=ORD-20240115-0000000001|1=ACCT-PRIME-000123|21=1|55=AAPL|54=1|60=20240115-10:30:00.100|38=100|40=2|44=150.25|59=0|10=141|".replace('|', "\x01");
        let mut enc = Encoder::new();
        let t = UtcTimestamp::parse(b"20240115-10:30:00.123").unwrap();
        let t2 = UtcTimestamp::parse(b"20240115-10:30:00.100").unwrap();
        enc.start("FIX.4.4", b"D")
            .push_str(49, "CLIENT12")
            .push_str(56, "EXCHANGE")
            .push_uint(34, 215);
        enc.push_timestamp(52, t);
        enc.push_str(11, "ORD-20240115-0000000001")
            .push_str(1, "ACCT-PRIME-000123")
            .push_char(21, b'1')
            .push_str(55, "AAPL")
            .push_char(54, b'1');
        enc.push_timestamp(60, t2);
        enc.push_uint(38, 100)
            .push_char(40, b'2')
            .push(44, b"150.25")
            .push_char(59, b'0');
        let out = enc.finish();
        assert_eq!(std::str::from_utf8(out).unwrap(), expected);
        assert_eq!(
            scan(out, &FrameConfig::default()),
            Scan::Complete(out.len())
        );
    }

    #[test]
    fn uint_and_timestamp_fields_are_written_whole() {
        let mut enc = Encoder::new();
        enc.start("FIX.4.2", b"0");
        enc.push_uint(34, 0)
            .push_uint(1, u64::MAX)
            .push_uint(u32::MAX, 10)
            .push_uint(369, 99)
            .push_uint(9999, 100);
        let t = UtcTimestamp::parse(b"20240115-10:30:00.123456789").unwrap();
        enc.push_timestamp(52, t);
        *enc.timestamps_mut() = TimestampCache::new(crate::value::TimePrecision::Nanos);
        enc.push_timestamp(4_294_967_295, t);
        *enc.timestamps_mut() = TimestampCache::new(crate::value::TimePrecision::Seconds);
        enc.push_timestamp(60, t);
        *enc.timestamps_mut() = TimestampCache::new(crate::value::TimePrecision::Micros);
        enc.push_timestamp(122, t);
        let expected = "34=0|1=18446744073709551615|4294967295=10|369=99|9999=100|\
                        52=20240115-10:30:00.123|4294967295=20240115-10:30:00.123456789|\
                        60=20240115-10:30:00|122=20240115-10:30:00.123456|"
            .replace('|', "\x01");
        assert_eq!(enc.body_so_far(), format!("35=0\x01{expected}").as_bytes());
        let out = enc.finish().to_vec();
        assert_eq!(
            scan(&out, &FrameConfig::default()),
            Scan::Complete(out.len())
        );
    }

    #[test]
    fn a_reused_encoder_writes_each_message_as_a_fresh_one() {
        let mut reused = Encoder::new();
        reused
            .start("FIXT.1.1", b"AE")
            .push_str(571, &"X".repeat(300));
        reused.finish();
        for (begin, msg_type) in [
            ("FIX.4.4", &b"D"[..]),
            ("FIX.4.0", b"8"),
            ("FIXT.1.1", b"AE"),
        ] {
            let mut fresh = Encoder::new();
            for enc in [&mut reused, &mut fresh] {
                enc.start(begin, msg_type)
                    .push_uint(34, 7)
                    .push_str(58, "hi");
            }
            assert_eq!(reused.finish(), fresh.finish());
        }
    }

    #[test]
    fn data_fields_and_raw_bodies() {
        let mut b = MessageBuilder::new(b"A");
        b.push_data(95, 96, b"a\x01b");
        b.header_mut().push_str(115, "OBO");
        let mut enc = Encoder::new();
        enc.start("FIXT.1.1", b.msg_type())
            .push_raw(b.header())
            .push_raw(b.body());
        let out = enc.finish().to_vec();
        assert_eq!(
            scan(&out, &FrameConfig::default()),
            Scan::Complete(out.len())
        );
        assert!(out.windows(12).any(|w| w == b"95=3\x0196=a\x01b\x01"));
    }
}
