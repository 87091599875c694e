//! The on-disk format of a segment file: a header naming the session and
//! the state at the segment's start, then a sequence of checksummed records.
//!
//! Header (little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `FIXSTORE` |
//! | 2 | format version (1) |
//! | 4 | header length in bytes, including the checksum |
//! | 8 | segment number (matches the file name) |
//! | 1 | flags: bit 0 = this segment starts a sequence (creation or reset) |
//! | 8 + 4 | creation time: Unix seconds, nanoseconds |
//! | 8 | next sender MsgSeqNum at the segment's start |
//! | 8 | next target MsgSeqNum at the segment's start |
//! | ... | session identity: BeginString, SenderCompID, SenderSubID, SenderLocationID, TargetCompID, TargetSubID, TargetLocationID, qualifier; each optional field is a presence byte, each present field a u16 length and UTF-8 bytes |
//! | 4 | CRC-32 of all the bytes above |
//!
//! Record:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | CRC-32 of the next 17 header bytes |
//! | 4 | payload length |
//! | 1 | kind: 1 message, 2 next sender MsgSeqNum, 3 next target MsgSeqNum, 5 pending message, 6 pending message given up, 7 message sent from a pending one |
//! | 8 | value: the message's MsgSeqNum, the sequence number set, or the pending message's id |
//! | 4 | CRC-32 of the payload |
//! | n | payload: the message bytes (kind 1), the pending record (kind 5), the pending id (8 bytes) then the message bytes (kind 7); empty for the other kinds |
//!
//! A pending message (queued unnumbered for late delivery) lives from its
//! kind 5 record until a kind 6 or 7 record names its id; kind 7 saves the
//! message it became and takes it out of the queue in one record, so a
//! crash cannot leave both. Each new segment starts with a copy of the
//! pending messages alive when it was created (same ids, so replaying them
//! twice changes nothing), which lets older segments go.
//!
//! The header checksum lets recovery tell a damaged length (corruption)
//! from a record cut short by a crash (a torn tail): a process crash leaves
//! a prefix of what was written, so a complete record header always checks.

use fixrs_proto::UtcTimestamp;
use fixrs_session::{SessionId, SessionKey};

pub(crate) const MAGIC: [u8; 8] = *b"FIXSTORE";
pub(crate) const FORMAT_VERSION: u16 = 1;
/// Magic, version and header length: what is read before the rest.
pub(crate) const HEADER_PREFIX_LEN: usize = 14;
/// Largest header accepted.
pub(crate) const MAX_HEADER_LEN: usize = 64 * 1024;
/// Size of a record header.
pub(crate) const RECORD_HEADER_LEN: usize = 21;

const FLAG_STARTS_SEQUENCE: u8 = 1;
/// Fixed header fields after the prefix: number, flags, time, seq nums.
const HEADER_FIXED_LEN: usize = HEADER_PREFIX_LEN + 8 + 1 + 12 + 16;
const MIN_HEADER_LEN: usize = HEADER_FIXED_LEN + 4;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// An outgoing message; the value is its MsgSeqNum.
    Message = 1,
    /// The next sender MsgSeqNum was set.
    NextSenderSeqNum = 2,
    /// The next target MsgSeqNum was set.
    NextTargetSeqNum = 3,
    /// A pending message was queued; the value is its id.
    Pending = 5,
    /// A pending message was given up; the value is its id.
    PendingDone = 6,
    /// An outgoing message made from a pending one, which leaves the
    /// queue; the value is its MsgSeqNum, the payload starts with the
    /// pending id.
    MessageFromPending = 7,
}

/// Bytes of the pending id at the start of a kind 7 payload.
pub(crate) const PENDING_ID_LEN: usize = 8;

impl RecordKind {
    fn from_u8(b: u8) -> Option<RecordKind> {
        match b {
            1 => Some(RecordKind::Message),
            2 => Some(RecordKind::NextSenderSeqNum),
            3 => Some(RecordKind::NextTargetSeqNum),
            5 => Some(RecordKind::Pending),
            6 => Some(RecordKind::PendingDone),
            7 => Some(RecordKind::MessageFromPending),
            _ => None,
        }
    }
}

/// The header of a segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub number: u64,
    pub starts_sequence: bool,
    pub creation_time: UtcTimestamp,
    pub next_sender: u64,
    pub next_target: u64,
    pub key: SessionKey,
}

/// Encodes a header; `Err(len)` if the identity makes it too long.
pub(crate) fn encode_header(h: &SegmentHeader) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // length, filled below
    out.extend_from_slice(&h.number.to_le_bytes());
    out.push(if h.starts_sequence {
        FLAG_STARTS_SEQUENCE
    } else {
        0
    });
    out.extend_from_slice(&h.creation_time.unix_secs().to_le_bytes());
    out.extend_from_slice(&h.creation_time.subsec_nanos().to_le_bytes());
    out.extend_from_slice(&h.next_sender.to_le_bytes());
    out.extend_from_slice(&h.next_target.to_le_bytes());
    let k = &h.key;
    let fields = [
        Some(k.begin_string.as_str()),
        Some(k.id.sender_comp_id.as_str()),
        k.id.sender_sub_id.as_deref(),
        k.id.sender_location_id.as_deref(),
        Some(k.id.target_comp_id.as_str()),
        k.id.target_sub_id.as_deref(),
        k.id.target_location_id.as_deref(),
        k.id.qualifier.as_deref(),
    ];
    let mut too_long = false;
    for f in fields {
        match f {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                let n = u16::try_from(v.len()).unwrap_or_else(|_| {
                    too_long = true;
                    0
                });
                out.extend_from_slice(&n.to_le_bytes());
                out.extend_from_slice(&v.as_bytes()[..usize::from(n)]);
            }
        }
    }
    let total = out.len() + 4;
    if too_long || total > MAX_HEADER_LEN {
        return Err(total);
    }
    out[10..14].copy_from_slice(&(total as u32).to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks the fixed prefix of a header and returns the header's length.
pub(crate) fn header_len(prefix: &[u8; HEADER_PREFIX_LEN]) -> Result<usize, &'static str> {
    if prefix[..8] != MAGIC {
        return Err("not a FIX store file (bad magic)");
    }
    if u16::from_le_bytes([prefix[8], prefix[9]]) != FORMAT_VERSION {
        return Err("unsupported store format version");
    }
    let len = u32::from_le_bytes([prefix[10], prefix[11], prefix[12], prefix[13]]) as usize;
    if !(MIN_HEADER_LEN..=MAX_HEADER_LEN).contains(&len) {
        return Err("header length out of range");
    }
    Ok(len)
}

/// Decodes a whole header (as long as [`header_len`] said).
pub(crate) fn decode_header(bytes: &[u8]) -> Result<SegmentHeader, &'static str> {
    let Some((body, crc)) = bytes.split_last_chunk::<4>() else {
        return Err("header too short");
    };
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return Err("header checksum mismatch");
    }
    let mut r = Reader {
        bytes: body,
        pos: HEADER_PREFIX_LEN,
    };
    const SHORT: &str = "header too short";
    let number = r.u64().ok_or(SHORT)?;
    let flags = r.u8().ok_or(SHORT)?;
    let secs = r.u64().ok_or(SHORT)? as i64;
    let nanos = r.u32().ok_or(SHORT)?;
    if nanos >= 1_000_000_000 {
        return Err("creation time out of range");
    }
    let next_sender = r.u64().ok_or(SHORT)?;
    let next_target = r.u64().ok_or(SHORT)?;
    let begin_string = r.required()?;
    let sender_comp_id = r.required()?;
    let sender_sub_id = r.optional()?;
    let sender_location_id = r.optional()?;
    let target_comp_id = r.required()?;
    let target_sub_id = r.optional()?;
    let target_location_id = r.optional()?;
    let qualifier = r.optional()?;
    if r.pos != body.len() {
        return Err("unexpected bytes after the session identity");
    }
    Ok(SegmentHeader {
        number,
        starts_sequence: flags & FLAG_STARTS_SEQUENCE != 0,
        creation_time: UtcTimestamp::from_unix(secs, nanos),
        next_sender,
        next_target,
        key: SessionKey {
            begin_string,
            id: SessionId {
                sender_comp_id,
                sender_sub_id,
                sender_location_id,
                target_comp_id,
                target_sub_id,
                target_location_id,
                qualifier,
            },
        },
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let chunk = self.bytes.get(self.pos..self.pos.checked_add(N)?)?;
        self.pos += N;
        chunk.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn optional(&mut self) -> Result<Option<String>, &'static str> {
        match self.u8() {
            Some(0) => Ok(None),
            Some(1) => {
                let len = self
                    .take()
                    .map(u16::from_le_bytes)
                    .ok_or("header too short")?;
                let end = self.pos + usize::from(len);
                let bytes = self.bytes.get(self.pos..end).ok_or("header too short")?;
                self.pos = end;
                let s = std::str::from_utf8(bytes).map_err(|_| "identity is not UTF-8")?;
                Ok(Some(s.to_owned()))
            }
            Some(_) => Err("bad presence flag in the session identity"),
            None => Err("header too short"),
        }
    }
    fn required(&mut self) -> Result<String, &'static str> {
        self.optional()?
            .ok_or("a required identity field is missing")
    }
}

/// Appends a record to `out`.
pub(crate) fn encode_record(out: &mut Vec<u8>, kind: RecordKind, value: u64, payload: &[u8]) {
    encode_record_parts(out, kind, value, &[payload]);
}

/// Appends a record whose payload is `parts` one after the other.
pub(crate) fn encode_record_parts(
    out: &mut Vec<u8>,
    kind: RecordKind,
    value: u64,
    parts: &[&[u8]],
) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    debug_assert!(u32::try_from(len).is_ok());
    let mut crc = crc32fast::Hasher::new();
    for p in parts {
        crc.update(p);
    }
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&value.to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    let header_crc = crc32fast::hash(&out[start + 4..start + RECORD_HEADER_LEN]);
    out[start..start + 4].copy_from_slice(&header_crc.to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// A decoded record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub len: u32,
    /// `None` for a kind this version does not know.
    pub kind: Option<RecordKind>,
    pub value: u64,
    pub payload_crc: u32,
}

/// Decodes a record header; `None` if its checksum fails.
pub(crate) fn decode_record_header(b: &[u8; RECORD_HEADER_LEN]) -> Option<RecordHeader> {
    let le32 = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    if crc32fast::hash(&b[4..]) != le32(0) {
        return None;
    }
    let mut value = [0u8; 8];
    value.copy_from_slice(&b[9..17]);
    Some(RecordHeader {
        len: le32(4),
        kind: RecordKind::from_u8(b[8]),
        value: u64::from_le_bytes(value),
        payload_crc: le32(17),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SegmentHeader {
        SegmentHeader {
            number: 7,
            starts_sequence: true,
            creation_time: UtcTimestamp::from_unix(1_700_000_000, 123_456_789),
            next_sender: 42,
            next_target: 17,
            key: SessionKey::new(
                "FIXT.1.1",
                SessionId::new("BANK", "EXCH")
                    .with_sender_sub_id("desk")
                    .with_target_location_id("")
                    .with_qualifier("q"),
            ),
        }
    }

    #[test]
    fn header_round_trips() {
        let h = header();
        let bytes = encode_header(&h).unwrap();
        let prefix: [u8; HEADER_PREFIX_LEN] = bytes[..HEADER_PREFIX_LEN].try_into().unwrap();
        assert_eq!(header_len(&prefix), Ok(bytes.len()));
        assert_eq!(decode_header(&bytes), Ok(h));
    }

    #[test]
    fn header_bit_flips_are_detected() {
        let bytes = encode_header(&header()).unwrap();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            let prefix: [u8; HEADER_PREFIX_LEN] = b[..HEADER_PREFIX_LEN].try_into().unwrap();
            let ok = header_len(&prefix).is_ok_and(|n| n == b.len()) && decode_header(&b).is_ok();
            assert!(!ok, "flip of bit {i} went unnoticed");
        }
    }

    #[test]
    fn overlong_identity_is_refused() {
        let mut h = header();
        h.key.id.qualifier = Some("x".repeat(70_000));
        assert!(encode_header(&h).is_err());
    }

    #[test]
    fn record_header_round_trips_and_checks() {
        let mut out = Vec::new();
        encode_record(&mut out, RecordKind::Message, 99, b"8=FIX.4.4\x01");
        let h: [u8; RECORD_HEADER_LEN] = out[..RECORD_HEADER_LEN].try_into().unwrap();
        let rh = decode_record_header(&h).unwrap();
        assert_eq!(rh.len, 10);
        assert_eq!(rh.kind, Some(RecordKind::Message));
        assert_eq!(rh.value, 99);
        assert_eq!(rh.payload_crc, crc32fast::hash(b"8=FIX.4.4\x01"));
        for i in 0..RECORD_HEADER_LEN * 8 {
            let mut b = h;
            b[i / 8] ^= 1 << (i % 8);
            assert_eq!(decode_record_header(&b), None, "bit {i}");
        }
        assert_eq!(decode_record_header(&[0; RECORD_HEADER_LEN]), None);
    }
}
