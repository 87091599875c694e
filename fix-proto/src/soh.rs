//! Where the SOHs of a message are, 64 bytes at a time.
//!
//! [`SohMask`] holds a bit mask of the SOH positions in a 64-byte block of
//! the message and hands them out in order: the splitter takes the next
//! SOH of a field in a few instructions (a bit scan and a clear) instead of
//! searching for it, and a block's mask is built with four 16-byte
//! comparisons (SSE2 on x86-64, through `safe_arch`'s safe wrappers; a
//! word-at-a-time fallback elsewhere).

use crate::SOH;

/// The SOH positions of a message at or after a point, a block at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SohMask {
    /// Where the current block starts.
    base: usize,
    /// Bit `i`: `base + i` holds an SOH not yet taken.
    bits: u64,
}

impl SohMask {
    /// The SOHs of `bytes` at or after `from`.
    #[inline]
    pub(crate) fn at(bytes: &[u8], from: usize) -> SohMask {
        SohMask {
            base: from,
            bits: block(bytes, from),
        }
    }

    /// Takes the next SOH: the first at or after `from` (see
    /// [`SohMask::at`]), then each following one in turn.
    #[inline(always)]
    pub(crate) fn take(&mut self, bytes: &[u8]) -> Option<usize> {
        if self.bits == 0 {
            return self.take_in_next_blocks(bytes);
        }
        let at = self.base + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }

    /// [`SohMask::take`] when the current block has no SOH left.
    #[inline(never)]
    fn take_in_next_blocks(&mut self, bytes: &[u8]) -> Option<usize> {
        while self.bits == 0 {
            self.base += 64;
            if self.base >= bytes.len() {
                return None;
            }
            self.bits = block(bytes, self.base);
        }
        let at = self.base + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }
}

/// The SOH bits of `bytes[base..]`, at most 64 of them.
#[inline]
fn block(bytes: &[u8], base: usize) -> u64 {
    let rest = match bytes.get(base..) {
        Some(rest) if !rest.is_empty() => rest,
        _ => return 0,
    };
    if let Some(b) = rest.first_chunk::<64>() {
        return mask64(b);
    }
    if let Some(b) = bytes.last_chunk::<64>() {
        // The last 64 bytes of the message, less those before `base`
        // (`bytes.len() - 64 < base`: the shift is below 64).
        return mask64(b) >> (base - (bytes.len() - 64));
    }
    // A message shorter than 64 bytes.
    let mut padded = [0u8; 64];
    padded[..rest.len()].copy_from_slice(rest);
    mask64(&padded)
}

/// Bit `i` set where `b[i]` is SOH.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn mask64(b: &[u8; 64]) -> u64 {
    use safe_arch::{cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i};
    let soh = safe_arch::set_splat_i8_m128i(SOH as i8);
    let (chunks, _) = b.as_chunks::<16>();
    let mut m = 0u64;
    for (i, chunk) in chunks.iter().enumerate() {
        let eq = cmp_eq_mask_i8_m128i(load_unaligned_m128i(chunk), soh);
        m |= (move_mask_i8_m128i(eq) as u16 as u64) << (16 * i);
    }
    m
}

/// Bit `i` set where `b[i]` is SOH.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn mask64(b: &[u8; 64]) -> u64 {
    mask64_words(b)
}

/// [`mask64`] eight bytes at a time, for targets without SSE2.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn mask64_words(b: &[u8; 64]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let (words, _) = b.as_chunks::<8>();
    let mut m = 0u64;
    for (i, w) in words.iter().enumerate() {
        // SOH bytes become zero; the exact zero-byte test (no borrow
        // between bytes) sets the high bit of each.
        let x = u64::from_le_bytes(*w) ^ (ONES * SOH as u64);
        let zero = !(((x & LOW7) + LOW7) | x) & HIGHS;
        // The eight high bits gathered into one byte.
        let bits = (zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        m |= bits << (8 * i);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_bytes(state: &mut u64, len: usize) -> Vec<u8> {
        // Bytes around SOH that a word-at-a-time test could confuse with it.
        let alphabet = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, b'=', b'9'];
        (0..len)
            .map(|_| {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                alphabet[(*state % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn block_masks_match_a_plain_scan() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let bytes = random_bytes(&mut state, 64);
            let b: &[u8; 64] = bytes.first_chunk().unwrap();
            let plain = (0..64).fold(0u64, |m, i| m | ((b[i] == SOH) as u64) << i);
            assert_eq!(mask64(b), plain, "{bytes:?}");
            assert_eq!(mask64_words(b), plain, "{bytes:?}");
        }
    }

    #[test]
    fn takes_every_soh_in_order_from_any_point() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in (0..70).chain([127, 128, 129, 200, 300]) {
            for _ in 0..30 {
                let bytes = random_bytes(&mut state, len);
                for from in 0..=len + 1 {
                    let plain: Vec<usize> =
                        (from.min(len)..len).filter(|&i| bytes[i] == SOH).collect();
                    let mut mask = SohMask::at(&bytes, from);
                    let taken: Vec<usize> = std::iter::from_fn(|| mask.take(&bytes)).collect();
                    assert_eq!(taken, plain, "{bytes:?} from {from}");
                }
            }
        }
    }
}
