//! Arbitrary bytes in arbitrary splits through `framing::Decoder` and
//! `FieldIndex`: nothing panics; every yielded frame has a correct
//! BodyLength(9) and CheckSum(10) when they are verified, and otherwise
//! ends at the first CheckSum after where BodyLength says (checked here
//! independently); every byte fed is either yielded, dropped or still
//! buffered; every index is the byte-by-byte split of its frame.
#![no_main]

use fixrs_proto::data_fields::is_standard_data_tag;
use fixrs_proto::framing::{Decoder, FrameConfig, FrameError};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::tag;
use libfuzzer_sys::fuzz_target;

/// Independent check of a frame's header and trailer (BodyLength and
/// CheckSum when the decoder verifies them; without, where it ends).
fn verify_frame(f: &[u8], checksum: bool) {
    assert!(f.starts_with(b"8="), "frame does not start with 8=");
    let first_soh = f.iter().position(|&b| b == 1).expect("SOH after 8");
    let rest = &f[first_soh + 1..];
    assert!(rest.starts_with(b"9="), "9 is not the second field");
    let len_end = rest.iter().position(|&b| b == 1).expect("SOH after 9");
    let digits = &rest[2..len_end];
    assert!(!digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
    let declared: usize = std::str::from_utf8(digits).unwrap().parse().unwrap();
    let body_start = first_soh + 1 + len_end + 1;
    assert!(f.len() >= body_start + 7, "frame too short");
    assert!(
        f[body_start..].starts_with(b"35="),
        "35 is not the third field"
    );
    let trailer = &f[f.len() - 7..];
    assert!(trailer.starts_with(b"10="), "frame does not end with 10=");
    assert!(
        trailer[3..6].iter().all(u8::is_ascii_digit),
        "10 not 3 digits"
    );
    assert_eq!(trailer[6], 1, "10 not SOH-terminated");
    let body_len = f.len() - 7 - body_start;
    if checksum {
        assert_eq!(body_len, declared, "wrong BodyLength");
    } else if body_len != declared {
        // Not verified: the frame ends at the first CheckSum field from
        // where BodyLength says the body ends, as QuickFIX frames it.
        let from = (body_start + declared).saturating_sub(1).max(body_start);
        assert!(from <= f.len() - 8, "frame ends before its BodyLength");
        let first = f[from..]
            .windows(4)
            .position(|w| w == b"\x0110=")
            .map(|p| from + p);
        assert_eq!(
            first,
            Some(f.len() - 8),
            "frame does not end at the first CheckSum after BodyLength"
        );
        return;
    }
    if !checksum {
        return;
    }
    let sum = f[..f.len() - 7].iter().fold(0u8, |a, &b| a.wrapping_add(b));
    let ck = (trailer[3] - b'0') as u32 * 100
        + (trailer[4] - b'0') as u32 * 10
        + (trailer[5] - b'0') as u32;
    assert_eq!(ck, sum as u32, "wrong CheckSum");
}

fuzz_target!(|data: &[u8]| {
    // The first byte says how many cut points follow (two bytes each) and,
    // in its top bit, whether CheckSum is verified (without, random input
    // reaches well-formed frames far more often); the rest is the stream.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let verify_checksum = n & 0x80 == 0;
    let n = (n % 16) as usize;
    let (cut_bytes, stream) = rest.split_at((n * 2).min(rest.len()));
    let mut cuts: Vec<usize> = cut_bytes
        .chunks(2)
        .map(|c| c.iter().fold(0usize, |a, &b| a << 8 | b as usize) % (stream.len() + 1))
        .collect();
    cuts.sort_unstable();
    cuts.push(stream.len());

    let mut decoder = Decoder::new(FrameConfig {
        verify_checksum,
        ..FrameConfig::default()
    });
    let mut index = FieldIndex::new();
    let mut from = 0;
    let mut accounted = 0usize;
    // Bytes of an oversize frame the decoder drops as they arrive.
    let mut skipping = 0usize;
    for cut in cuts {
        let skipped = skipping.min(cut - from);
        skipping -= skipped;
        accounted += skipped;
        decoder.feed(&stream[from..cut]);
        from = cut;
        loop {
            let before = decoder.buffered();
            let Some(r) = decoder.next_frame() else {
                break;
            };
            match r {
                Ok(frame) => {
                    accounted += frame.len();
                    verify_frame(frame, verify_checksum);
                    let Ok(msg) = index.parse(frame) else {
                        continue;
                    };
                    // The index covers the frame: 8, 9, 35 first, 10 last,
                    // spans in bounds and in order, sections partition it.
                    assert_eq!(msg.field(0).map(|f| f.tag), Some(tag::BEGIN_STRING));
                    assert_eq!(msg.field(1).map(|f| f.tag), Some(tag::BODY_LENGTH));
                    assert_eq!(msg.field(2).map(|f| f.tag), Some(tag::MSG_TYPE));
                    assert_eq!(
                        msg.field(msg.len() - 1).map(|f| f.tag),
                        Some(tag::CHECK_SUM)
                    );
                    let mut end = 0;
                    for s in msg.spans() {
                        assert!(s.range().start > end || end == 0);
                        assert!(s.range().end < frame.len());
                        assert_eq!(frame[s.range().end], 1);
                        end = s.range().end;
                    }
                    // The spans are the split a byte-by-byte reading gives:
                    // each field starts right after the SOH ending the one
                    // before with its tag's digits (leading zeros allowed)
                    // and `=`, and only a data field's value may hold SOH.
                    let mut next = 0;
                    for s in msg.spans() {
                        let digits = &frame[next..s.range().start - 1];
                        assert_eq!(frame[s.range().start - 1], b'=', "field start");
                        assert!(!digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
                        let tag = digits.iter().fold(0u64, |t, d| t * 10 + (d - b'0') as u64);
                        assert_eq!(tag, s.tag as u64, "tag");
                        if !is_standard_data_tag(s.tag) {
                            assert!(!msg.value_of(s).contains(&1), "SOH in a value");
                        }
                        next = s.range().end + 1;
                    }
                    assert_eq!(next, frame.len(), "the fields cover the frame");
                    assert_eq!(
                        msg.header().len() + msg.body().len() + msg.trailer().len(),
                        msg.len()
                    );
                    let body = msg.body_bytes();
                    assert!(body.len() < frame.len());
                    let _ = msg.msg_seq_num();
                }
                Err(garbled) if matches!(garbled.error, FrameError::TooLarge { .. }) => {
                    // The whole declared frame is dropped: what is here
                    // now, the rest as it arrives.
                    let now = garbled.dropped.min(before);
                    assert_eq!(decoder.buffered(), before - now);
                    accounted += now;
                    skipping = garbled.dropped - now;
                }
                Err(garbled) => {
                    assert!(garbled.dropped > 0, "no progress on garbled input");
                    accounted += garbled.dropped;
                }
            }
        }
    }
    assert_eq!(accounted + decoder.buffered(), stream.len());
    let stats = decoder.stats();
    assert!(stats.dropped_bytes as usize + decoder.buffered() <= stream.len() + skipping);
});
