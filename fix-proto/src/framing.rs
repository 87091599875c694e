//! Framing: finding complete FIX messages in a byte stream.
//!
//! A frame is `8=<BeginString>|9=<BodyLength>|35=<MsgType>|...|10=<CheckSum>|`
//! where BodyLength counts the bytes from after its own SOH up to and
//! including the SOH before `10=`, and CheckSum is the sum of every byte
//! before `10=` modulo 256, written as three digits.
//!
//! [`scan`] looks at the start of a buffer and says whether a complete,
//! well-formed frame is there, more bytes are needed, or the bytes are
//! garbled. [`Decoder`] wraps it into a streaming decoder that owns a
//! buffer, accepts bytes in any split, and resynchronises on the next
//! `8=FIX` after a garbled frame (FIX session test cases 2d, 2m, 2t, 3b-3e);
//! a frame declaring more than the maximum size is skipped whole.

use crate::message::find_soh;
use crate::SOH;

/// Default bound on the size of one message (1 MiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// Longest BeginString(8) field accepted before its SOH must appear.
const MAX_BEGIN_STRING_FIELD: usize = 32;
/// Most digits accepted in BodyLength(9).
const MAX_BODY_LENGTH_DIGITS: usize = 9;
/// Length of the trailer `10=NNN<SOH>`.
const CHECKSUM_FIELD_LEN: usize = 7;

/// Why a frame is garbled. Every variant means the bytes are dropped
/// without being processed as a message (they never reach the session's
/// sequence numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame does not start with `8=` and a BeginString value.
    #[error("BeginString(8) missing or not the first field")]
    BeginStringMissing,
    /// The second field is not BodyLength(9).
    #[error("BodyLength(9) missing or not the second field")]
    BodyLengthMissing,
    /// BodyLength(9) is empty or not a number.
    #[error("BodyLength(9) is not a number")]
    BodyLengthInvalid,
    /// The third field is not MsgType(35).
    #[error("MsgType(35) missing or not the third field")]
    MsgTypeNotThird,
    /// The declared message is larger than the configured maximum.
    #[error("message of {size} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Size the header declares.
        size: usize,
        /// Configured maximum.
        max: usize,
    },
    /// No `10=` where BodyLength(9) says the body ends: BodyLength is wrong
    /// or CheckSum(10) is not the last field.
    #[error("CheckSum(10) not found where BodyLength(9) ends the body")]
    CheckSumMissing,
    /// CheckSum(10) is not exactly three digits followed by SOH.
    #[error("CheckSum(10) is not three digits followed by SOH")]
    CheckSumFormat,
    /// CheckSum(10) does not match the bytes.
    #[error("CheckSum(10) is {declared:03} but the message sums to {computed:03}")]
    CheckSumMismatch {
        /// The value in the message.
        declared: u8,
        /// The value computed over the bytes.
        computed: u8,
    },
}

/// Options of the framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameConfig {
    /// Largest message accepted, in bytes, header and trailer included.
    /// Bounds the memory a peer can make us hold.
    pub max_message_size: usize,
    /// Whether BodyLength(9) and CheckSum(10) are verified (QuickFIX's
    /// `ValidateLengthAndChecksum`). When false, a wrong CheckSum is
    /// accepted, and a message whose BodyLength is wrong ends at the first
    /// CheckSum field found from where BodyLength says it ends, as in
    /// QuickFIX.
    pub verify_checksum: bool,
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            verify_checksum: true,
        }
    }
}

/// The result of [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A well-formed frame of this many bytes starts the buffer.
    Complete(usize),
    /// The buffer holds the start of what may be a frame; more bytes are
    /// needed (at least this many in all, when known).
    Incomplete(Option<usize>),
    /// The start of the buffer is garbled.
    Garbled(FrameError),
}

/// Computes the FIX CheckSum of `bytes`: their sum modulo 256.
#[inline]
pub fn checksum(bytes: &[u8]) -> u8 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        checksum_sse2(bytes)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        checksum_bytes(bytes)
    }
}

/// [`checksum`] a byte at a time.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline]
fn checksum_bytes(bytes: &[u8]) -> u8 {
    // Wrapping u8 addition is exactly "sum mod 256".
    bytes.iter().fold(0u8, |acc, &b| acc.wrapping_add(b))
}

/// [`checksum`] sixteen bytes at a time: `psadbw` against zero sums each
/// half of a 16-byte chunk into a 64-bit lane. The last partial chunk is
/// the message's last 16 bytes with those already summed masked off.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn checksum_sse2(bytes: &[u8]) -> u8 {
    use safe_arch::{
        add_i64_m128i, bitand_m128i, load_unaligned_m128i, sum_of_u8_abs_diff_m128i, zeroed_m128i,
    };
    /// Sixteen zero bytes then sixteen 0xFF: the 16 bytes from offset `r`
    /// keep the last `r` bytes of a chunk.
    const TAIL_MASKS: [u8; 32] = {
        let mut m = [0u8; 32];
        let mut i = 16;
        while i < 32 {
            m[i] = 0xff;
            i += 1;
        }
        m
    };
    let zero = zeroed_m128i();
    let (chunks, tail) = bytes.as_chunks::<16>();
    let mut sum = zero;
    for chunk in chunks {
        sum = add_i64_m128i(
            sum,
            sum_of_u8_abs_diff_m128i(load_unaligned_m128i(chunk), zero),
        );
    }
    if !tail.is_empty() {
        let last = match bytes.last_chunk::<16>() {
            Some(last) => {
                let keep = TAIL_MASKS[tail.len()..].first_chunk::<16>();
                let keep = load_unaligned_m128i(keep.unwrap_or(&[0; 16]));
                bitand_m128i(load_unaligned_m128i(last), keep)
            }
            None => {
                let mut padded = [0u8; 16];
                padded[..tail.len()].copy_from_slice(tail);
                load_unaligned_m128i(&padded)
            }
        };
        sum = add_i64_m128i(sum, sum_of_u8_abs_diff_m128i(last, zero));
    }
    let [low, high]: [u64; 2] = sum.into();
    low.wrapping_add(high) as u8
}

/// Examines the start of `buf` for a complete frame.
pub fn scan(buf: &[u8], config: &FrameConfig) -> Scan {
    // 8=<BeginString><SOH>
    if !starts_with_partial(buf, b"8=") {
        return Scan::Garbled(FrameError::BeginStringMissing);
    }
    if buf.len() < 2 {
        return Scan::Incomplete(None);
    }
    let limit = buf.len().min(MAX_BEGIN_STRING_FIELD);
    let begin_end = match find_soh(&buf[..limit], 2) {
        Some(2) => return Scan::Garbled(FrameError::BeginStringMissing),
        Some(p) => p,
        None if buf.len() >= MAX_BEGIN_STRING_FIELD => {
            return Scan::Garbled(FrameError::BeginStringMissing)
        }
        None => return Scan::Incomplete(None),
    };
    // 9=<digits><SOH>
    let rest = &buf[begin_end + 1..];
    if !starts_with_partial(rest, b"9=") {
        return Scan::Garbled(FrameError::BodyLengthMissing);
    }
    if rest.len() < 2 {
        return Scan::Incomplete(None);
    }
    let mut body_len: usize = 0;
    let mut i = 2;
    loop {
        let Some(&b) = rest.get(i) else {
            return Scan::Incomplete(None);
        };
        if b == SOH {
            if i == 2 {
                return Scan::Garbled(FrameError::BodyLengthInvalid);
            }
            break;
        }
        let d = b.wrapping_sub(b'0');
        if d > 9 || i - 2 >= MAX_BODY_LENGTH_DIGITS {
            return Scan::Garbled(FrameError::BodyLengthInvalid);
        }
        body_len = body_len * 10 + d as usize;
        i += 1;
    }
    let body_start = begin_end + 1 + i + 1;
    let total = body_start + body_len + CHECKSUM_FIELD_LEN;
    // 35=
    let body = &buf[body_start.min(buf.len())..];
    if !starts_with_partial(body, b"35=") {
        return Scan::Garbled(FrameError::MsgTypeNotThird);
    }
    if total > config.max_message_size {
        // Only a header that reads as a message's (MsgType third) makes
        // the declared size worth skipping.
        if body.len() < 3 {
            return Scan::Incomplete(None);
        }
        return Scan::Garbled(FrameError::TooLarge {
            size: total,
            max: config.max_message_size,
        });
    }
    if buf.len() < total {
        return Scan::Incomplete(Some(total));
    }
    // 10=NNN<SOH> exactly where the body ends.
    let mut body_end = body_start + body_len;
    let mut total = total;
    // (`total` bytes are there: the four compared are.)
    if body_len < 4 || buf[body_end - 1..body_end + 3] != *b"\x0110=" {
        if config.verify_checksum {
            return Scan::Garbled(FrameError::CheckSumMissing);
        }
        // BodyLength is not verified: as QuickFIX does, the message ends
        // at the first CheckSum field from where BodyLength says it ends.
        let from = (body_end - 1).max(body_start);
        match buf[from..].windows(4).position(|w| w == b"\x0110=") {
            Some(p) => {
                body_end = from + p + 1;
                total = body_end + CHECKSUM_FIELD_LEN;
                if total > config.max_message_size {
                    return Scan::Garbled(FrameError::TooLarge {
                        size: total,
                        max: config.max_message_size,
                    });
                }
                if buf.len() < total {
                    return Scan::Incomplete(Some(total));
                }
            }
            None if buf.len() >= config.max_message_size => {
                return Scan::Garbled(FrameError::TooLarge {
                    size: buf.len(),
                    max: config.max_message_size,
                })
            }
            None => return Scan::Incomplete(None),
        }
    }
    let ck = &buf[body_end + 3..total];
    let (d0, d1, d2) = (
        ck[0].wrapping_sub(b'0'),
        ck[1].wrapping_sub(b'0'),
        ck[2].wrapping_sub(b'0'),
    );
    if d0 > 9 || d1 > 9 || d2 > 9 || ck[3] != SOH {
        return Scan::Garbled(FrameError::CheckSumFormat);
    }
    if config.verify_checksum {
        let declared = d0 as u32 * 100 + d1 as u32 * 10 + d2 as u32;
        let computed = checksum(&buf[..body_end]);
        if declared != computed as u32 {
            return Scan::Garbled(FrameError::CheckSumMismatch {
                declared: declared.min(255) as u8,
                computed,
            });
        }
    }
    Scan::Complete(total)
}

/// Whether `buf` and `prefix` agree on their common length.
#[inline(always)]
fn starts_with_partial<const N: usize>(buf: &[u8], prefix: &[u8; N]) -> bool {
    match buf.first_chunk::<N>() {
        // The common case, a whole prefix: one comparison of N bytes as a
        // word (no call to memcmp, no loop).
        Some(head) => head == prefix,
        None => buf.iter().zip(prefix).all(|(a, b)| a == b),
    }
}

/// Where the next frame may start after a garbled one at the start of
/// `buf`: the offset of the next `8=FIX` (not preceded by a digit, so that a
/// Text(58) value starting with "FIX" is not taken for a frame), or, when
/// there is none, the length of `buf` less a tail that could be the start
/// of one.
pub fn resync_offset(buf: &[u8]) -> usize {
    const MARK: &[u8; 5] = b"8=FIX";
    let mut from = 1;
    while from < buf.len() {
        match buf[from..].iter().position(|&b| b == b'8') {
            None => break,
            Some(p) => {
                let at = from + p;
                let tail = &buf[at..];
                let preceded_by_digit = buf[at - 1].is_ascii_digit();
                if !preceded_by_digit && starts_with_partial(tail, MARK) {
                    // Either a full mark, or a partial one at the very end
                    // of the buffer: keep it and wait for more.
                    return at;
                }
                from = at + 1;
            }
        }
    }
    buf.len()
}

/// A garbled frame reported by [`Decoder::next_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Garbled {
    /// What was wrong.
    pub error: FrameError,
    /// How many bytes were dropped to resynchronise. For
    /// [`FrameError::TooLarge`], the declared size of the message: all of
    /// it is dropped, as it arrives.
    pub dropped: usize,
}

/// Counters of a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecoderStats {
    /// Well-formed frames yielded.
    pub frames: u64,
    /// Garbled frames dropped.
    pub garbled: u64,
    /// Bytes dropped while resynchronising.
    pub dropped_bytes: u64,
}

/// A streaming frame decoder: feed it bytes in any split, take complete
/// frames out.
///
/// A garbled frame is dropped up to the next `8=FIX` that may start a
/// message. A frame whose header declares more than
/// [`FrameConfig::max_message_size`] bytes is different: its header is
/// well-formed, so the declared bytes are skipped as one unit, as they
/// arrive, without being buffered or looked into (its body could hold
/// anything, even what reads as messages).
///
/// ```
/// use fixrs_proto::framing::Decoder;
/// let mut d = Decoder::default();
/// let msg = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
/// d.feed(&msg[..7]);
/// assert!(d.next_frame().is_none());
/// d.feed(&msg[7..]);
/// assert_eq!(d.next_frame().unwrap().unwrap(), &msg[..]);
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Initialised storage; `start..end` holds unconsumed data.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    config: FrameConfig,
    stats: DecoderStats,
    /// Bytes of an oversize frame still to be skipped as they arrive.
    skip: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(FrameConfig::default())
    }
}

impl Decoder {
    /// A decoder with the given options.
    pub fn new(config: FrameConfig) -> Decoder {
        Decoder {
            buf: Vec::new(),
            start: 0,
            end: 0,
            config,
            stats: DecoderStats::default(),
            skip: 0,
        }
    }

    /// The options in force.
    pub fn config(&self) -> &FrameConfig {
        &self.config
    }

    /// Changes the options (for example the maximum message size once a
    /// Logon has agreed on one).
    pub fn set_config(&mut self, config: FrameConfig) {
        self.config = config;
    }

    /// Counters of frames and garbled input so far.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Discards everything buffered (e.g. when the link is reset),
    /// including what remains to be skipped of an oversize frame.
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.skip = 0;
    }

    /// Returns the buffer's memory beyond what the bytes held need (at
    /// least `keep` bytes stay), for a link that went quiet or closed
    /// after a large message.
    pub fn shrink_to(&mut self, keep: usize) {
        self.compact();
        let want = self.end.max(keep);
        if self.buf.len() > want {
            self.buf.truncate(want);
            self.buf.shrink_to(want);
        }
    }

    /// The buffer's capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        if self.skip > 0 {
            // The rest of an oversize frame: dropped without a copy.
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            bytes = &bytes[n..];
        }
        self.spare(bytes.len())[..bytes.len()].copy_from_slice(bytes);
        self.end += bytes.len();
    }

    /// A writable region of at least `min` bytes after the buffered data,
    /// to read a socket into directly; follow with [`Decoder::commit`].
    pub fn spare(&mut self, min: usize) -> &mut [u8] {
        if self.start == self.end {
            // Nothing buffered: start over at the front for free.
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < min {
            // Move the unconsumed bytes to the front only when the room
            // behind them is short: a large message arriving in small
            // pieces is then copied a logarithmic number of times, not
            // once per piece.
            self.compact();
            if self.buf.len() - self.end < min {
                let want = (self.end + min).max(self.buf.len() * 2).max(4096);
                self.buf.resize(want, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Declares that the first `n` bytes of the region [`Decoder::spare`]
    /// returned were filled.
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// The next complete frame, a garbled frame that was dropped, or `None`
    /// when more bytes are needed. The returned slice is valid until the
    /// next call that takes `&mut self`.
    pub fn next_frame(&mut self) -> Option<Result<&[u8], Garbled>> {
        if self.skip > 0 {
            // Bytes committed through `spare` while skipping.
            let n = self.skip.min(self.end - self.start);
            self.start += n;
            self.skip -= n;
        }
        let avail = &self.buf[self.start..self.end];
        if avail.is_empty() {
            return None;
        }
        match scan(avail, &self.config) {
            Scan::Complete(n) => {
                let at = self.start;
                self.start += n;
                self.stats.frames += 1;
                Some(Ok(&self.buf[at..at + n]))
            }
            Scan::Incomplete(_) => None,
            Scan::Garbled(error @ FrameError::TooLarge { size, .. }) => {
                let now = size.min(avail.len());
                self.start += now;
                self.skip = size - now;
                self.stats.garbled += 1;
                self.stats.dropped_bytes += size as u64;
                Some(Err(Garbled {
                    error,
                    dropped: size,
                }))
            }
            Scan::Garbled(error) => {
                let dropped = resync_offset(avail);
                self.start += dropped;
                self.stats.garbled += 1;
                self.stats.dropped_bytes += dropped as u64;
                Some(Err(Garbled { error, dropped }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_byte_sum_at_every_length_and_offset() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let bytes: Vec<u8> = (0..300)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        for start in 0..17 {
            for end in start..bytes.len() {
                let part = &bytes[start..end];
                let plain = part.iter().map(|&b| b as u32).sum::<u32>() as u8;
                assert_eq!(checksum(part), plain, "bytes {start}..{end}");
                assert_eq!(checksum_bytes(part), plain, "bytes {start}..{end}");
            }
        }
        assert_eq!(checksum(&[0xff; 1000]), (255u32 * 1000 % 256) as u8);
    }

    #[test]
    fn partial_prefixes_match_on_their_common_length() {
        assert!(starts_with_partial(b"", b"35="));
        assert!(starts_with_partial(b"3", b"35="));
        assert!(starts_with_partial(b"35", b"35="));
        assert!(starts_with_partial(b"35=D", b"35="));
        assert!(!starts_with_partial(b"4", b"35="));
        assert!(!starts_with_partial(b"36", b"35="));
        assert!(!starts_with_partial(b"35.D", b"35="));
    }

    #[test]
    fn a_frame_cut_anywhere_in_its_header_is_incomplete() {
        let msg = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
        for cut in 0..msg.len() {
            assert!(
                matches!(
                    scan(&msg[..cut], &FrameConfig::default()),
                    Scan::Incomplete(_)
                ),
                "cut at {cut}"
            );
        }
        assert_eq!(
            scan(msg, &FrameConfig::default()),
            Scan::Complete(msg.len())
        );
    }
}
