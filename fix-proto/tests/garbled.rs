//! The garbled-message cases of the FIX Session Layer Test Cases (2d, 2m,
//! 2t, 3b-3e) at the framing level: each garbled frame is reported with
//! its `FrameError`, exactly its bytes are dropped, and the good message
//! after it still decodes. Every case is run with the bytes arriving at
//! once and one byte at a time.

mod common;

use common::{frame, heartbeat, soh, sum, verify_frame};
use fixrs_proto::framing::{Decoder, FrameConfig, FrameError, Garbled};
use fixrs_proto::message::FieldIndex;

/// What a decoder yielded: frames, and garbled reports.
#[derive(Debug, Default)]
struct Outcome {
    frames: Vec<Vec<u8>>,
    garbled: Vec<Garbled>,
}

fn drain(d: &mut Decoder, out: &mut Outcome) {
    while let Some(r) = d.next_frame() {
        match r {
            Ok(f) => out.frames.push(f.to_vec()),
            Err(g) => out.garbled.push(g),
        }
    }
}

/// Feeds `garbled` then a good Heartbeat (MsgSeqNum 2), in one piece and
/// byte by byte, and checks: the first report is `expected`, the bytes
/// dropped are exactly `garbled`, and the Heartbeat decodes.
fn check_dropped_then_good(garbled: &[u8], expected: FrameError) {
    check_reports_then_good(garbled, &[expected]);
}

/// Like [`check_dropped_then_good`] for input the framer reports as
/// several garbled pieces, with these errors in order.
fn check_reports_then_good(garbled: &[u8], expected: &[FrameError]) {
    let good = heartbeat(2);

    // All at once: one report covering the whole garbled message.
    let mut d = Decoder::default();
    d.feed(garbled);
    d.feed(&good);
    let mut out = Outcome::default();
    drain(&mut d, &mut out);
    assert_eq!(
        out.garbled.iter().map(|g| g.error).collect::<Vec<_>>(),
        expected,
        "garbled: {}",
        String::from_utf8_lossy(garbled)
    );
    assert_eq!(
        out.garbled.iter().map(|g| g.dropped).sum::<usize>(),
        garbled.len()
    );
    assert_eq!(out.frames, std::slice::from_ref(&good));
    let stats = d.stats();
    assert_eq!(
        (stats.frames, stats.garbled, stats.dropped_bytes),
        (1, expected.len() as u64, garbled.len() as u64)
    );
    assert_eq!(d.buffered(), 0);

    // The good message indexes and is the one sent.
    let mut idx = FieldIndex::new();
    let msg = idx.parse(&out.frames[0]).expect("good message indexes");
    assert_eq!(msg.msg_type(), b"0");
    assert_eq!(msg.msg_seq_num(), Ok(2));

    // One byte at a time: the same first error, the same bytes dropped
    // in all (possibly over several reports while resynchronising), the
    // same good message.
    let mut d = Decoder::default();
    let mut out = Outcome::default();
    for b in garbled.iter().chain(&good) {
        d.feed(std::slice::from_ref(b));
        drain(&mut d, &mut out);
    }
    assert_eq!(
        out.garbled.first().map(|g| g.error),
        expected.first().copied()
    );
    assert_eq!(
        out.garbled.iter().map(|g| g.dropped).sum::<usize>(),
        garbled.len()
    );
    assert_eq!(out.frames, [good]);
}

#[test]
fn good_frames_pass_the_independent_check() {
    // The helpers themselves: a hand-built frame and an encoded one.
    verify_frame(&frame("35=0|49=A|56=B|34=2|")).unwrap();
    verify_frame(&heartbeat(2)).unwrap();
    let mut d = Decoder::default();
    d.feed(&frame("35=0|49=A|56=B|34=2|"));
    assert!(matches!(d.next_frame(), Some(Ok(_))));
}

#[test]
fn case_2d_garbled_message_dropped() {
    // BodyLength(9) that is not a number.
    let garbled = soh("8=FIX.4.4|9=1x2|35=0|49=A|56=B|34=2|10=000|");
    check_dropped_then_good(&garbled, FrameError::BodyLengthInvalid);
}

#[test]
fn case_2d_garbage_between_messages_dropped() {
    check_dropped_then_good(b"\x01\x01noise 123=", FrameError::BeginStringMissing);
}

#[test]
fn case_2d_empty_begin_string_dropped() {
    let garbled = soh("8=|9=5|35=0|10=000|");
    check_dropped_then_good(&garbled, FrameError::BeginStringMissing);
}

#[test]
fn case_2m_wrong_body_length() {
    // Declared longer than the body: the trailer is not where 9 ends.
    let mut long = frame("35=0|49=A|56=B|34=2|");
    let at = long.windows(5).position(|w| w == b"9=20\x01").unwrap();
    long[at + 2..at + 4].copy_from_slice(b"23");
    check_dropped_then_good(&long, FrameError::CheckSumMissing);
    // Declared shorter than the body.
    let mut short = frame("35=0|49=A|56=B|34=2|");
    short[at + 2..at + 4].copy_from_slice(b"17");
    check_dropped_then_good(&short, FrameError::CheckSumMissing);
}

#[test]
fn case_2t_first_three_fields_out_of_order() {
    // 35 before 9.
    let garbled = soh("8=FIX.4.4|35=0|9=5|49=A|10=000|");
    check_dropped_then_good(&garbled, FrameError::BodyLengthMissing);
    // 35 not third.
    let body = "49=A|35=0|56=B|34=2|";
    let garbled = frame(body);
    check_dropped_then_good(&garbled, FrameError::MsgTypeNotThird);
    // 9 first: the bytes before the 8 are dropped, then the frame
    // starting at 8 lacks its BodyLength.
    let garbled = soh("9=5|8=FIX.4.4|35=0|10=000|");
    check_reports_then_good(
        &garbled,
        &[
            FrameError::BeginStringMissing,
            FrameError::BodyLengthMissing,
        ],
    );
}

#[test]
fn case_3b_bad_checksum() {
    let mut garbled = frame("35=0|49=A|56=B|34=2|");
    let n = garbled.len();
    let computed = sum(&garbled[..n - 7]);
    let declared = computed.wrapping_add(1);
    garbled[n - 4..n - 1].copy_from_slice(format!("{declared:03}").as_bytes());
    check_dropped_then_good(
        &garbled,
        FrameError::CheckSumMismatch { declared, computed },
    );
}

#[test]
fn case_3c_garbled_trailer() {
    let mut garbled = frame("35=0|49=A|56=B|34=2|");
    let n = garbled.len();
    garbled[n - 3] = b'X';
    check_dropped_then_good(&garbled, FrameError::CheckSumFormat);
    // "1O=" for "10=".
    let mut garbled = frame("35=0|49=A|56=B|34=2|");
    garbled[n - 6] = b'O';
    check_dropped_then_good(&garbled, FrameError::CheckSumMissing);
}

#[test]
fn case_3d_checksum_not_last() {
    // The sender put CheckSum among the body fields, and BodyLength(9)
    // counts everything after it: where the body ends there is no `10=`.
    let body = soh("35=0|49=A|56=B|34=2|10=123|58=late|");
    let mut garbled = soh(&format!("8=FIX.4.4|9={}|", body.len()));
    garbled.extend_from_slice(&body);
    check_dropped_then_good(&garbled, FrameError::CheckSumMissing);
}

#[test]
fn case_3d_fields_after_a_complete_frame_are_dropped() {
    // If BodyLength(9) and CheckSum(10) agree, the frame ends at the
    // CheckSum whatever follows: fields after it are garbage between
    // frames, dropped before the next message (as QuickFIX does).
    let complete = frame("35=0|49=A|56=B|34=2|");
    let trailing = soh("58=late|");
    let good = heartbeat(3);
    let mut d = Decoder::default();
    d.feed(&complete);
    d.feed(&trailing);
    d.feed(&good);
    let mut out = Outcome::default();
    drain(&mut d, &mut out);
    assert_eq!(out.frames, [complete, good]);
    assert_eq!(
        out.garbled,
        [Garbled {
            error: FrameError::BeginStringMissing,
            dropped: trailing.len()
        }]
    );
}

#[test]
fn case_3e_checksum_not_three_digits() {
    for bad in ["63", "0163", "6", ""] {
        let mut garbled = frame("35=0|49=A|56=B|34=2|");
        let n = garbled.len();
        garbled.truncate(n - 4);
        garbled.extend_from_slice(bad.as_bytes());
        garbled.push(1);
        check_dropped_then_good(&garbled, FrameError::CheckSumFormat);
    }
}

#[test]
fn a_100_mb_body_length_is_rejected_without_buffering() {
    let header = soh("8=FIX.4.4|9=104857600|35=D|49=A|");
    let mut d = Decoder::default();
    d.feed(&header);
    let declared = match d.next_frame() {
        Some(Err(Garbled {
            error: FrameError::TooLarge { size, max },
            dropped,
        })) => {
            assert!(size > 104_857_600);
            assert_eq!(max, FrameConfig::default().max_message_size);
            assert_eq!(dropped, size);
            size
        }
        other => panic!("expected TooLarge, got {other:?}"),
    };
    // The rejected bytes are gone, and the rest of the announced message
    // is dropped as it arrives rather than held, and never parsed.
    assert!(d.next_frame().is_none());
    assert_eq!(d.buffered(), 0);
    let chunk = vec![b'x'; 1 << 20];
    let mut fed = header.len();
    while fed + chunk.len() <= declared {
        d.feed(&chunk);
        fed += chunk.len();
        assert!(d.next_frame().is_none());
        assert_eq!(d.buffered(), 0);
    }
    // Its last bytes and a good message in one piece.
    let good = heartbeat(2);
    let mut tail = vec![b'x'; declared - fed];
    tail.extend_from_slice(&good);
    d.feed(&tail);
    assert_eq!(
        d.next_frame().map(|r| r.map(<[u8]>::to_vec)),
        Some(Ok(good))
    );
    assert_eq!(d.stats().garbled, 1);
}

#[test]
fn a_frame_over_the_maximum_is_skipped_as_one_unit_never_parsed() {
    // Its body is full of what would be well-formed messages if it were
    // scanned for "8=FIX" after the size check failed.
    let inner = heartbeat(7);
    let mut text = Vec::new();
    while text.len() < 3000 {
        text.extend_from_slice(&inner);
    }
    let mut body = soh("35=B|49=A|56=B|34=2|52=20240102-10:11:12.345|148=news|58=");
    body.extend_from_slice(&text);
    body.push(1);
    let mut big = format!("8=FIX.4.4\x019={}\x01", body.len()).into_bytes();
    big.extend_from_slice(&body);
    big.extend_from_slice(format!("10={:03}\x01", sum(&big)).as_bytes());
    let good = heartbeat(3);
    let config = FrameConfig {
        max_message_size: 1024,
        ..FrameConfig::default()
    };
    for split in [1, 7, 100, 1000, big.len() + good.len()] {
        let mut d = Decoder::new(config);
        let mut out = Outcome::default();
        let mut all = big.clone();
        all.extend_from_slice(&good);
        for piece in all.chunks(split) {
            d.feed(piece);
            drain(&mut d, &mut out);
        }
        assert_eq!(
            out.garbled,
            [Garbled {
                error: FrameError::TooLarge {
                    size: big.len(),
                    max: 1024
                },
                dropped: big.len()
            }],
            "split {split}"
        );
        assert_eq!(out.frames, std::slice::from_ref(&good), "split {split}");
        assert_eq!(d.stats().dropped_bytes, big.len() as u64, "split {split}");
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn the_max_size_is_configurable() {
    let good = heartbeat(2);
    let mut d = Decoder::new(FrameConfig {
        max_message_size: good.len() - 1,
        ..FrameConfig::default()
    });
    d.feed(&good);
    assert!(matches!(
        d.next_frame(),
        Some(Err(Garbled {
            error: FrameError::TooLarge { .. },
            ..
        }))
    ));
    let mut d = Decoder::new(FrameConfig {
        max_message_size: good.len(),
        ..FrameConfig::default()
    });
    d.feed(&good);
    assert!(matches!(d.next_frame(), Some(Ok(_))));
}

#[test]
fn resync_on_8_fix_ignores_fix_inside_values() {
    // A garbled frame whose Text(58) says "FIX" and holds "8=FIX": the
    // framer must not take "58=FIX" for the start of a message (the 8 is
    // part of a tag), and picks up at the next real one.
    let mut garbled = frame("35=0|58=8=FIX rules|");
    let n = garbled.len();
    garbled[n - 2] = b'X';
    // The "8=FIX" inside the value is preceded by '=' and so is a
    // candidate: the framer tries it, reports it garbled too, and still
    // reaches the good message.
    let good = heartbeat(2);
    let mut d = Decoder::default();
    d.feed(&garbled);
    d.feed(&good);
    let mut out = Outcome::default();
    drain(&mut d, &mut out);
    assert_eq!(out.frames, std::slice::from_ref(&good));
    assert_eq!(
        out.garbled.iter().map(|g| g.dropped).sum::<usize>(),
        garbled.len()
    );
    assert_eq!(out.garbled[0].error, FrameError::CheckSumFormat);

    // A value "FIX..." right after a tag ending in 8 is skipped.
    let mut garbled = frame("35=0|58=FIX|");
    let n = garbled.len();
    garbled[n - 2] = b'X';
    check_dropped_then_good(&garbled, FrameError::CheckSumFormat);
}

#[test]
fn resync_keeps_a_partial_mark_at_the_end() {
    let good = heartbeat(2);
    let mut d = Decoder::default();
    d.feed(b"junk");
    d.feed(&good[..3]); // "8=F"
    let mut out = Outcome::default();
    drain(&mut d, &mut out);
    assert_eq!(out.garbled.iter().map(|g| g.dropped).sum::<usize>(), 4);
    assert_eq!(d.buffered(), 3);
    d.feed(&good[3..]);
    drain(&mut d, &mut out);
    assert_eq!(out.frames, [good]);
}

#[test]
fn data_fields_may_hold_frame_markers() {
    // RawData(96) holding "10=" and "8=FIX" does not confuse framing,
    // which goes by BodyLength.
    let data = "x|10=000|8=FIX.4.4|y";
    let good = frame(&format!("35=A|98=0|108=30|95={}|96={data}|", data.len()));
    let mut d = Decoder::default();
    d.feed(&good);
    let f = d.next_frame().unwrap().unwrap().to_vec();
    assert_eq!(f, good);
    let mut idx = FieldIndex::new();
    let msg = idx.parse(&f).unwrap();
    assert_eq!(msg.get(96), Some(&b"x\x0110=000\x018=FIX.4.4\x01y"[..]));
}

/// QuickFIX's ValidateLengthAndChecksum=N (`verify_checksum: false`): a
/// wrong CheckSum is accepted, and a BodyLength(9) too small still frames
/// the message, which ends at the first CheckSum field from where
/// BodyLength says it ends. With the check on, both are garbled.
#[test]
fn length_and_checksum_not_verified() {
    let lenient = FrameConfig {
        verify_checksum: false,
        ..FrameConfig::default()
    };
    let body = soh("35=0|49=A|56=B|34=2|");
    let mut short = soh(&format!("8=FIX.4.4|9={}|", body.len() - 5));
    short.extend_from_slice(&body);
    short.extend_from_slice(b"10=000\x01");
    let good = heartbeat(3);
    for (config, expect_frames) in [(lenient, 2), (FrameConfig::default(), 1)] {
        // At once, and byte by byte.
        for split in [usize::MAX, 1] {
            let mut d = Decoder::new(config);
            let mut out = Outcome::default();
            let all = [short.clone(), good.clone()].concat();
            for chunk in all.chunks(split.min(all.len())) {
                d.feed(chunk);
                drain(&mut d, &mut out);
            }
            assert_eq!(out.frames.len(), expect_frames, "{config:?} split {split}");
            assert_eq!(out.frames.last(), Some(&good));
            if expect_frames == 2 {
                assert_eq!(out.frames[0], short);
                assert!(out.garbled.is_empty());
                let mut index = FieldIndex::new();
                let msg = index.parse(&out.frames[0]).expect("indexes");
                assert_eq!(msg.msg_seq_num(), Ok(2));
            } else {
                assert_eq!(out.garbled[0].error, FrameError::CheckSumMissing);
            }
        }
    }
    // No CheckSum field within MaxMessageSize: garbled, not waited for
    // for ever.
    let small = FrameConfig {
        max_message_size: 64,
        verify_checksum: false,
    };
    let mut d = Decoder::new(small);
    d.feed(&soh(
        "8=FIX.4.4|9=5|35=0|49=A|56=B|34=2|58=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|",
    ));
    let mut out = Outcome::default();
    drain(&mut d, &mut out);
    assert!(
        matches!(
            out.garbled.first().map(|g| g.error),
            Some(FrameError::TooLarge { .. })
        ),
        "{out:?}"
    );
}

/// Without BodyLength checks a frame ends at the first `10=` after where
/// BodyLength says it ends, which may lie inside a data field: the data
/// field then swallows the trailer, and indexing must refuse the message
/// rather than yield one whose last field is not CheckSum(10).
#[test]
fn a_data_field_that_swallows_the_trailer_is_refused() {
    let lenient = FrameConfig {
        verify_checksum: false,
        ..FrameConfig::default()
    };
    // 95=10 announces ten bytes of RawData, "|9=|10=188": up to the SOH
    // that ends the frame.
    let bytes = soh("8=FIX.4.4|9=1|35=0|95=10|96=|9=|10=188|");
    let mut d = Decoder::new(lenient);
    d.feed(&bytes);
    let f = d.next_frame().unwrap().unwrap().to_vec();
    let mut idx = FieldIndex::new();
    assert_eq!(
        idx.parse(&f).err(),
        Some(fixrs_proto::ParseError::DataLengthMismatch { tag: 96 })
    );
}
