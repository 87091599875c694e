//! Property tests of the codec: encoding then decoding is the identity,
//! any split of a stream decodes to the same messages, and arbitrary bytes
//! never panic nor yield a frame with a wrong BodyLength or CheckSum.

mod common;

use common::verify_frame;
use fixrs_proto::admin::AdminView;
use fixrs_proto::data_fields::{is_standard_data_tag, standard_data_tag};
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::framing::Decoder;
use fixrs_proto::message::{FieldIndex, ParseError};
use fixrs_proto::value::{Decimal, UtcTimestamp};
use fixrs_proto::{tag, FromFixValue, Tag, ToFixValue};
use proptest::prelude::*;

/// Length/data pairs used for data fields.
const DATA_PAIRS: [(Tag, Tag); 3] = [(95, 96), (212, 213), (354, 355)];

/// One item of a generated message body.
#[derive(Debug, Clone)]
enum Item {
    /// A plain field (value without SOH, possibly empty).
    Field(Tag, Vec<u8>),
    /// A length field and its data field; the data may hold SOH.
    Data(usize, Vec<u8>),
    /// A repeating-group-shaped run: NumInGroup then entries repeating
    /// the same tags in the same order.
    Group(Tag, Vec<Vec<(Tag, Vec<u8>)>>),
}

#[derive(Debug, Clone)]
struct Msg {
    begin_string: &'static str,
    msg_type: Vec<u8>,
    seq: u64,
    body: Vec<Item>,
}

/// Tags a plain field may use: not framing tags (8, 9, 10, 35), not a
/// standard length or data tag.
fn plain_tag() -> impl Strategy<Value = Tag> {
    (1u32..6000).prop_filter("not a framing, length or data tag", |&t| {
        !matches!(t, 8 | 9 | 10 | 35) && standard_data_tag(t).is_none() && !is_standard_data_tag(t)
    })
}

/// A value without SOH (any other byte, UTF-8 or not).
fn plain_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(0x20u8..0x7f, 0..12),
        1 => proptest::collection::vec(2u8..=255, 0..20),
    ]
}

/// Data that often contains SOH and fragments of frames.
fn data_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(
            prop_oneof![
                Just(b"\x01".to_vec()),
                Just(b"10=000\x01".to_vec()),
                Just(b"8=FIX.4.4\x019=5\x01".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..5),
            ],
            0..6
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => (plain_tag(), plain_value()).prop_map(|(t, v)| Item::Field(t, v)),
        1 => (0..DATA_PAIRS.len(), data_value()).prop_map(|(i, d)| Item::Data(i, d)),
        1 => (
            plain_tag(),
            proptest::collection::vec(plain_tag(), 1..4),
            proptest::collection::vec(proptest::collection::vec(plain_value(), 3), 1..5),
        )
            .prop_map(|(count_tag, tags, entries)| {
                let entries = entries
                    .into_iter()
                    .map(|vals| tags.iter().copied().zip(vals).collect())
                    .collect();
                Item::Group(count_tag, entries)
            }),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        prop_oneof![Just("FIX.4.2"), Just("FIX.4.4"), Just("FIXT.1.1")],
        prop_oneof![
            Just(b"0".to_vec()),
            Just(b"D".to_vec()),
            Just(b"AE".to_vec()),
            proptest::collection::vec(b'A'..=b'z', 1..3),
        ],
        1u64..u64::MAX,
        proptest::collection::vec(item(), 0..12),
    )
        .prop_map(|(begin_string, msg_type, seq, body)| Msg {
            begin_string,
            msg_type,
            seq,
            body,
        })
}

/// The fields a message should decode to, after 8 and 9 and before 10.
fn expected_fields(m: &Msg) -> Vec<(Tag, Vec<u8>)> {
    let mut out = vec![
        (tag::MSG_TYPE, m.msg_type.clone()),
        (tag::SENDER_COMP_ID, b"SENDER".to_vec()),
        (tag::TARGET_COMP_ID, b"TARGET".to_vec()),
        (tag::MSG_SEQ_NUM, m.seq.to_string().into_bytes()),
    ];
    for item in &m.body {
        match item {
            Item::Field(t, v) => out.push((*t, v.clone())),
            Item::Data(i, d) => {
                let (len_tag, data_tag) = DATA_PAIRS[*i];
                out.push((len_tag, d.len().to_string().into_bytes()));
                out.push((data_tag, d.clone()));
            }
            Item::Group(count_tag, entries) => {
                out.push((*count_tag, entries.len().to_string().into_bytes()));
                for e in entries {
                    out.extend(e.iter().cloned());
                }
            }
        }
    }
    out
}

fn encode(enc: &mut Encoder, m: &Msg) -> Vec<u8> {
    enc.start(m.begin_string, &m.msg_type)
        .push_str(tag::SENDER_COMP_ID, "SENDER")
        .push_str(tag::TARGET_COMP_ID, "TARGET")
        .push_uint(tag::MSG_SEQ_NUM, m.seq);
    for item in &m.body {
        match item {
            Item::Field(t, v) => {
                enc.push(*t, v);
            }
            Item::Data(i, d) => {
                let (len_tag, data_tag) = DATA_PAIRS[*i];
                enc.push_data(len_tag, data_tag, d);
            }
            Item::Group(count_tag, entries) => {
                enc.push_uint(*count_tag, entries.len() as u64);
                for e in entries {
                    for (t, v) in e {
                        enc.push(*t, v);
                    }
                }
            }
        }
    }
    enc.finish().to_vec()
}

/// Feeds `stream` cut at `cuts` and collects frames; panics on garbled.
fn decode_split(stream: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut d = Decoder::default();
    let mut frames = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
        let cut = cut.clamp(from, stream.len());
        d.feed(&stream[from..cut]);
        from = cut;
        while let Some(r) = d.next_frame() {
            match r {
                Ok(f) => frames.push(f.to_vec()),
                Err(g) => panic!("good stream reported garbled: {g:?}"),
            }
        }
    }
    assert_eq!(d.buffered(), 0);
    frames
}

/// Reads every admin accessor of a parsed message; none may panic.
fn touch_admin_views(msg: &fixrs_proto::Message<'_>) {
    let Some(view) = AdminView::from_message(msg) else {
        return;
    };
    match view {
        AdminView::Logon(v) => {
            let _ = (v.encrypt_method(), v.heart_bt_int(), v.raw_data());
            let _ = (v.reset_seq_num_flag(), v.next_expected_msg_seq_num());
            let _ = (v.max_message_size(), v.test_message_indicator());
            let _ = (v.username(), v.password(), v.new_password());
            let _ = v.default_appl_ver_id();
        }
        AdminView::Heartbeat(v) => {
            let _ = v.test_req_id();
        }
        AdminView::TestRequest(v) => {
            let _ = v.test_req_id();
        }
        AdminView::ResendRequest(v) => {
            let _ = (v.begin_seq_no(), v.end_seq_no());
        }
        AdminView::Reject(v) => {
            let _ = (v.ref_seq_num(), v.ref_tag_id(), v.ref_msg_type());
            let _ = (v.session_reject_reason(), v.session_reject_reason_code());
            let _ = v.text();
        }
        AdminView::SequenceReset(v) => {
            let _ = (v.gap_fill(), v.new_seq_no());
        }
        AdminView::Logout(v) => {
            let _ = (v.text(), v.session_status());
        }
        AdminView::BusinessMessageReject(v) => {
            let _ = (
                v.ref_seq_num(),
                v.ref_msg_type(),
                v.business_reject_ref_id(),
            );
            let _ = (v.business_reject_reason(), v.business_reject_reason_code());
            let _ = v.text();
        }
    }
}

/// Bytes that look like FIX often enough to reach deep into the framer:
/// real messages, mutated, cut and interleaved with noise.
fn fixish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => msg().prop_map(|m| encode(&mut Encoder::new(), &m)),
        2 => (msg(), proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4))
            .prop_map(|(m, edits)| {
                let mut b = encode(&mut Encoder::new(), &m);
                for (at, byte) in edits {
                    let i = at.index(b.len());
                    b[i] = byte;
                }
                b
            }),
        1 => (msg(), any::<prop::sample::Index>()).prop_map(|(m, at)| {
            let mut b = encode(&mut Encoder::new(), &m);
            b.truncate(at.index(b.len() + 1));
            b
        }),
        1 => proptest::collection::vec(
            prop_oneof![Just(b'8'), Just(b'='), Just(1u8), Just(b'9'), any::<u8>()],
            0..30
        ),
        1 => Just(b"8=FIX.4.4\x019=".to_vec()),
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

/// Feeds bytes in the given split, checking every yielded frame
/// independently and reading it through the index and the admin views.
fn feed_arbitrary(bytes: &[u8], cuts: &[usize]) {
    let mut d = Decoder::default();
    let mut idx = FieldIndex::new();
    let mut from = 0;
    let mut consumed = 0usize;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let cut = cut.clamp(from, bytes.len());
        d.feed(&bytes[from..cut]);
        from = cut;
        while let Some(r) = d.next_frame() {
            match r {
                Ok(f) => {
                    consumed += f.len();
                    if let Err(e) = verify_frame(f) {
                        panic!("framer yielded a bad frame: {e}");
                    }
                    if let Ok(msg) = idx.parse(f) {
                        touch_admin_views(&msg);
                        let _ = msg.msg_seq_num();
                        let _ = msg.get_as::<UtcTimestamp>(tag::SENDING_TIME);
                        let _ = msg.body_bytes();
                    }
                }
                Err(g) => {
                    assert!(g.dropped > 0, "no progress on garbled input");
                    consumed += g.dropped;
                }
            }
        }
    }
    assert_eq!(consumed + d.buffered(), bytes.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(m in msg()) {
        let mut enc = Encoder::new();
        let bytes = encode(&mut enc, &m);
        prop_assert!(verify_frame(&bytes).is_ok());
        let frames = decode_split(&bytes, &[]);
        prop_assert_eq!(frames.len(), 1);
        prop_assert_eq!(&frames[0], &bytes);
        let mut idx = FieldIndex::new();
        let parsed = idx.parse(&frames[0]).expect("encoded message indexes");
        prop_assert_eq!(parsed.begin_string(), m.begin_string.as_bytes());
        prop_assert_eq!(parsed.msg_type(), &m.msg_type[..]);
        prop_assert_eq!(parsed.msg_seq_num(), Ok(m.seq));
        let fields: Vec<(Tag, Vec<u8>)> = parsed
            .fields()
            .filter(|f| !matches!(f.tag, tag::BEGIN_STRING | tag::BODY_LENGTH | tag::CHECK_SUM))
            .map(|f| (f.tag, f.value.to_vec()))
            .collect();
        prop_assert_eq!(fields, expected_fields(&m));
        prop_assert_eq!(parsed.field(0).map(|f| f.tag), Some(tag::BEGIN_STRING));
        prop_assert_eq!(parsed.field(1).map(|f| f.tag), Some(tag::BODY_LENGTH));
        prop_assert_eq!(parsed.field(parsed.len() - 1).map(|f| f.tag), Some(tag::CHECK_SUM));
    }

    #[test]
    fn any_split_of_a_stream_yields_the_same_messages(
        msgs in proptest::collection::vec(msg(), 1..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut enc = Encoder::new();
        let encoded: Vec<Vec<u8>> = msgs.iter().map(|m| encode(&mut enc, m)).collect();
        let stream = encoded.concat();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(decode_split(&stream, &cuts), encoded.clone());
        // Byte by byte too.
        let every: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(decode_split(&stream, &every), encoded);
    }

    #[test]
    fn reading_into_spare_room_matches_feeding(
        msgs in proptest::collection::vec(msg(), 1..4),
        reads in proptest::collection::vec(1usize..300, 1..40),
    ) {
        // The socket path: read straight into the decoder's spare room,
        // with reads of arbitrary sizes.
        let mut enc = Encoder::new();
        let encoded: Vec<Vec<u8>> = msgs.iter().map(|m| encode(&mut enc, m)).collect();
        let stream = encoded.concat();
        let mut d = Decoder::default();
        let mut frames = Vec::new();
        let mut at = 0;
        for size in reads.iter().cycle() {
            if at == stream.len() {
                break;
            }
            let n = (*size).min(stream.len() - at);
            let room = d.spare(n);
            prop_assert!(room.len() >= n);
            room[..n].copy_from_slice(&stream[at..at + n]);
            d.commit(n);
            at += n;
            while let Some(r) = d.next_frame() {
                frames.push(r.expect("good stream").to_vec());
            }
        }
        prop_assert_eq!(frames, encoded);
        prop_assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_yield_bad_frames(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        feed_arbitrary(&bytes, &cuts);
        // The index alone on arbitrary input.
        let _ = FieldIndex::new().parse(&bytes).map(|m| touch_admin_views(&m));
    }

    #[test]
    fn fix_like_bytes_never_panic_nor_yield_bad_frames(
        bytes in fixish_bytes(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        feed_arbitrary(&bytes, &cuts);
    }

    #[test]
    fn decimals_format_and_parse_exactly(mantissa in -i64::MAX..=i64::MAX, scale in 0u8..=18) {
        let d = Decimal::new(mantissa, scale).expect("in range");
        let mut text = Vec::new();
        d.write_fix_value(&mut text);
        let back = Decimal::from_fix_value(&text).expect("own output parses");
        prop_assert_eq!(back, d);
        prop_assert_eq!((back.mantissa(), back.scale()), (mantissa, scale));
        prop_assert_eq!(d.to_string().into_bytes(), text);
    }

    #[test]
    fn decimal_order_matches_exact_rational_order(
        a in -1_000_000_000i64..1_000_000_000, sa in 0u8..=9,
        b in -1_000_000_000i64..1_000_000_000, sb in 0u8..=9,
    ) {
        let (x, y) = (Decimal::new(a, sa).unwrap(), Decimal::new(b, sb).unwrap());
        // a / 10^sa vs b / 10^sb, cross-multiplied in i128.
        let lhs = a as i128 * 10i128.pow(sb as u32);
        let rhs = b as i128 * 10i128.pow(sa as u32);
        prop_assert_eq!(x.cmp(&y), lhs.cmp(&rhs));
        let sum = x.checked_add(y).expect("small values");
        prop_assert_eq!(sum.checked_sub(y), Some(x));
    }

    #[test]
    fn timestamps_write_and_parse_back(nanos in 0i128..253_402_300_799_999_999_999) {
        use fixrs_proto::value::TimePrecision;
        let t = UtcTimestamp::from_unix_nanos(nanos);
        let mut text = Vec::new();
        t.write(TimePrecision::Nanos, &mut text);
        prop_assert_eq!(UtcTimestamp::parse(&text), Ok(t));
        prop_assert_eq!(fixrs_proto::value::grammar::parse_utc_timestamp(&text), Ok(t));
    }
}

/// An index as plain values: (tag, start, len) of every field, the header's
/// length and where the trailer starts.
type PlainIndex = (Vec<(Tag, usize, usize)>, usize, usize);

/// What [`FieldIndex::parse`] must answer, written the plain way, a byte at
/// a time: the spans, header length and trailer start, or the error.
fn reference_split(bytes: &[u8], custom: &[(Tag, Tag)]) -> Result<PlainIndex, ParseError> {
    if bytes.last() != Some(&1) {
        return Err(ParseError::Unterminated);
    }
    let data_tag_for =
        |t: Tag| standard_data_tag(t).or_else(|| custom.iter().find(|p| p.0 == t).map(|p| p.1));
    let mut fields: Vec<(Tag, usize, usize)> = Vec::new();
    let mut pos = 0;
    let mut announced: Option<(Tag, usize)> = None;
    while pos < bytes.len() {
        let digits = bytes[pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let malformed = ParseError::MalformedField {
            offset: pos,
            after: fields.last().map(|f| f.0),
        };
        if digits == 0 || digits > 9 || bytes.get(pos + digits) != Some(&b'=') {
            return Err(malformed);
        }
        let t: Tag = std::str::from_utf8(&bytes[pos..pos + digits])
            .unwrap()
            .parse()
            .unwrap();
        if t == 0 {
            return Err(ParseError::InvalidTagNumber {
                offset: pos,
                tag: 0,
            });
        }
        let start = pos + digits + 1;
        let end = match announced.take() {
            Some((data_tag, len)) if data_tag == t => {
                let end = start.saturating_add(len);
                if bytes.get(end) != Some(&1) || end + 1 == bytes.len() {
                    return Err(ParseError::DataLengthMismatch { tag: t });
                }
                end
            }
            _ => match bytes[start..].iter().position(|&b| b == 1) {
                Some(p) => start + p,
                None => return Err(ParseError::Unterminated),
            },
        };
        if let Some(data_tag) = data_tag_for(t) {
            if let Ok(len) = usize::from_fix_value(&bytes[start..end]) {
                announced = Some((data_tag, len));
            }
        }
        fields.push((t, start, end - start));
        pos = end + 1;
    }
    let header = fields
        .iter()
        .position(|f| !tag::is_standard_header(f.0))
        .unwrap_or(fields.len());
    let trailer = fields.len()
        - fields
            .iter()
            .rev()
            .take_while(|f| tag::is_standard_trailer(f.0))
            .count();
    Ok((fields, header, trailer.max(header)))
}

/// Bytes that look like FIX often enough to reach every branch of the
/// splitter: tags (short and long), `=`, SOH, data fields and their
/// lengths, letters.
fn field_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => (1u32..200).prop_map(|t| format!("{t}=").into_bytes()),
        1 => "[0-9]{0,11}=".prop_map(String::into_bytes),
        2 => "[A-Za-z0-9.=]{0,12}".prop_map(String::into_bytes),
        3 => Just(vec![1u8]),
        1 => (prop::sample::select(vec![90u32, 93, 95, 212, 354, 700]), 0usize..12)
            .prop_map(|(t, n)| format!("{t}={n}\x01").into_bytes()),
        1 => prop::sample::select(vec![91u32, 89, 96, 213, 355, 701])
            .prop_map(|t| format!("{t}=").into_bytes()),
        1 => any::<u8>().prop_map(|b| vec![b]),
        // A whole length/data pair whose data holds SOH and `=`, its length
        // sometimes wrong.
        2 => (
            prop::sample::select(vec![(95u32, 96u32), (212, 213), (700, 701), (96, 355)]),
            prop::collection::vec(prop_oneof![Just(1u8), Just(b'='), Just(b'x')], 0..8),
            -1i64..=1,
        )
            .prop_map(|((l, d), data, off)| {
                let len = (data.len() as i64 + off).max(0);
                let mut v = format!("{l}={len}\x01{d}=").into_bytes();
                v.extend_from_slice(&data);
                v.push(1);
                v
            }),
    ];
    (prop::collection::vec(piece, 0..40), any::<bool>()).prop_map(|(pieces, end)| {
        let mut v = pieces.concat();
        if end {
            v.push(1);
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The index agrees with a plain byte-at-a-time splitter on anything,
    /// with and without custom data fields.
    #[test]
    fn parse_agrees_with_a_plain_splitter(bytes in field_soup(), custom in any::<bool>()) {
        let pairs: &[(Tag, Tag)] = if custom { &[(700, 701), (96, 355)] } else { &[] };
        let mut idx = FieldIndex::new();
        for &(l, d) in pairs {
            idx.add_data_field(l, d);
        }
        // Twice: the second parse reuses the first one's storage.
        for _ in 0..2 {
            let got = idx.parse(&bytes).map(|m| {
                let spans = m.spans().iter().map(|s| (s.tag, s.start as usize, s.len as usize));
                (spans.collect::<Vec<_>>(), m.header().len(), m.len() - m.trailer().len())
            });
            prop_assert_eq!(got, reference_split(&bytes, pairs));
        }
    }
}
