//! Repeating groups: iteration through dictionary and hand-built layouts,
//! nesting, and errors for bad NumInGroup.

mod dict_support;

use dict_support::start;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::group::{GroupError, GroupLayout, GroupMember, GroupShape};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::tag::*;
use fixrs_proto::{FixVersion, SessionRejectReason};

/// An ExecutionReport with two parties, the first with two sub-IDs.
fn execution_report_with_parties() -> Vec<u8> {
    let mut enc = Encoder::new();
    start(&mut enc, b"8")
        .push_str(ORDER_ID, "O-1")
        .push_str(EXEC_ID, "E-1")
        .push_char(EXEC_TYPE, b'0')
        .push_char(ORD_STATUS, b'0')
        .push_uint(NO_PARTY_IDS, 2)
        .push_str(PARTY_ID, "BROKER")
        .push_char(PARTY_ID_SOURCE, b'D')
        .push_uint(PARTY_ROLE, 1)
        .push_uint(NO_PARTY_SUB_IDS, 2)
        .push_str(PARTY_SUB_ID, "DESK-7")
        .push_uint(PARTY_SUB_ID_TYPE, 9)
        .push_str(PARTY_SUB_ID, "TRADER-3")
        .push_uint(PARTY_SUB_ID_TYPE, 2)
        .push_str(PARTY_ID, "CLIENT")
        .push_char(PARTY_ID_SOURCE, b'D')
        .push_uint(PARTY_ROLE, 3)
        .push_char(SIDE, b'1')
        .push_str(SYMBOL, "EUR/USD")
        .push_uint(LEAVES_QTY, 100)
        .push_uint(CUM_QTY, 0)
        .push_uint(AVG_PX, 0);
    enc.finish().to_vec()
}

#[test]
fn nested_parties_through_the_dictionary() {
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let parties = dict.message(b"8").unwrap().group(NO_PARTY_IDS).unwrap();
    let bytes = execution_report_with_parties();
    let mut index = FieldIndex::new();
    let msg = index.parse(&bytes).unwrap();

    let group = msg.group(parties).unwrap();
    assert!(group.is_present());
    assert_eq!(group.len(), 2);
    let entries: Vec<_> = group.iter().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].get(PARTY_ID), Some(&b"BROKER"[..]));
    assert_eq!(entries[0].get_as::<u32>(PARTY_ROLE), Ok(1));
    assert_eq!(entries[1].get(PARTY_ID), Some(&b"CLIENT"[..]));
    assert_eq!(entries[1].get_opt::<u32>(PARTY_ROLE), Ok(Some(3)));
    // Fields of nested groups are not the entry's own.
    assert_eq!(entries[0].get(PARTY_SUB_ID), None);
    let own: Vec<u32> = entries[0].fields().map(|f| f.tag).collect();
    assert_eq!(own, [448, 447, 452, 802]);
    assert_eq!(entries[0].spans().len(), 8);

    let subs = entries[0].group(NO_PARTY_SUB_IDS).unwrap();
    assert_eq!(subs.len(), 2);
    let sub_ids: Vec<&[u8]> = subs.iter().filter_map(|e| e.get(PARTY_SUB_ID)).collect();
    assert_eq!(sub_ids, [&b"DESK-7"[..], b"TRADER-3"]);
    let types: Vec<u32> = subs
        .iter()
        .map(|e| e.get_as(PARTY_SUB_ID_TYPE).unwrap())
        .collect();
    assert_eq!(types, [9, 2]);
    // The second party has no sub-IDs.
    let none = entries[1].group(NO_PARTY_SUB_IDS).unwrap();
    assert!(!none.is_present());
    assert!(none.is_empty());
    // The group ends where the body goes on.
    assert_eq!(msg.spans()[group.end()].tag, SIDE);
}

#[test]
fn hand_built_layout_matches_the_dictionary() {
    let parties =
        GroupLayout::new(NO_PARTY_IDS, PARTY_ID, &[PARTY_ID_SOURCE, PARTY_ROLE]).with_group(
            GroupLayout::new(NO_PARTY_SUB_IDS, PARTY_SUB_ID, &[PARTY_SUB_ID_TYPE]),
        );
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let from_dict =
        GroupLayout::from_dictionary(dict.message(b"8").unwrap().group(NO_PARTY_IDS).unwrap());
    assert_eq!(parties, from_dict);
    let shape: &GroupLayout = &parties;
    assert_eq!(GroupShape::delimiter(&shape), PARTY_ID);
    assert!(GroupShape::contains(&shape, NO_PARTY_SUB_IDS));
    assert!(matches!(shape.member(PARTY_ROLE), GroupMember::Field));
    assert!(matches!(
        shape.member(NO_PARTY_SUB_IDS),
        GroupMember::Group(_)
    ));
    assert!(matches!(shape.member(SIDE), GroupMember::NotMember));

    let bytes = execution_report_with_parties();
    let mut index = FieldIndex::new();
    let msg = index.parse(&bytes).unwrap();
    let ids: Vec<&[u8]> = msg
        .group(&parties)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.get(PARTY_ID))
        .collect();
    assert_eq!(ids, [&b"BROKER"[..], b"CLIENT"]);
    let first = msg.group(&parties).unwrap().iter().next().unwrap();
    assert_eq!(first.group(NO_PARTY_SUB_IDS).unwrap().len(), 2);
    assert_eq!(
        first.group(PARTY_ROLE).unwrap_err(),
        GroupError::NotAGroup {
            count_tag: PARTY_ROLE
        }
    );
}

#[test]
fn market_data_snapshot_with_ten_entries() {
    let mut enc = Encoder::new();
    start(&mut enc, b"W")
        .push_str(MD_REQ_ID, "MD-1")
        .push_str(SYMBOL, "EUR/USD")
        .push_uint(NO_MD_ENTRIES, 10);
    for i in 0..10u64 {
        let side = if i % 2 == 0 { b'0' } else { b'1' };
        enc.push_char(MD_ENTRY_TYPE, side)
            .push(MD_ENTRY_PX, format!("1.08{:02}", 40 + i).as_bytes())
            .push_uint(MD_ENTRY_SIZE, 1_000_000 * (i + 1))
            .push_uint(MD_ENTRY_POSITION_NO, i / 2 + 1);
    }
    let bytes = enc.finish().to_vec();
    let mut index = FieldIndex::new();
    let msg = index.parse(&bytes).unwrap();

    let dict = Dictionary::builtin(FixVersion::Fix44);
    let md = dict.message(b"W").unwrap().group(NO_MD_ENTRIES).unwrap();
    let group = msg.group(md).unwrap();
    assert_eq!(group.len(), 10);
    let mut n = 0;
    for (i, entry) in group.iter().enumerate() {
        let expected_type = if i % 2 == 0 { "0" } else { "1" };
        assert_eq!(entry.get_as::<&str>(MD_ENTRY_TYPE), Ok(expected_type));
        assert_eq!(
            entry.get_as::<&str>(MD_ENTRY_PX),
            Ok(format!("1.08{:02}", 40 + i).as_str())
        );
        assert_eq!(
            entry.get_as::<u64>(MD_ENTRY_SIZE),
            Ok(1_000_000 * (i as u64 + 1))
        );
        assert_eq!(
            entry.get_as::<u64>(MD_ENTRY_POSITION_NO),
            Ok(i as u64 / 2 + 1)
        );
        assert_eq!(entry.spans().len(), 4);
        n += 1;
    }
    assert_eq!(n, 10);
    assert_eq!(group.iter().len(), 10);
    // Without the dictionary.
    let layout = GroupLayout::new(
        NO_MD_ENTRIES,
        MD_ENTRY_TYPE,
        &[MD_ENTRY_PX, MD_ENTRY_SIZE, MD_ENTRY_POSITION_NO],
    );
    let sizes: u64 = msg
        .group(&layout)
        .unwrap()
        .iter()
        .map(|e| e.get_as::<u64>(MD_ENTRY_SIZE).unwrap())
        .sum();
    assert_eq!(sizes, 55_000_000);
}

fn parse_and_open(body: &[(u32, &str)]) -> Result<usize, GroupError> {
    let mut enc = Encoder::new();
    start(&mut enc, b"8");
    for (tag, value) in body {
        enc.push_str(*tag, value);
    }
    let bytes = enc.finish().to_vec();
    let mut index = FieldIndex::new();
    let msg = index.parse(&bytes).unwrap();
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let parties = dict.message(b"8").unwrap().group(NO_PARTY_IDS).unwrap();
    msg.group(parties).map(|g| g.len())
}

#[test]
fn bad_num_in_group_gives_typed_errors() {
    // Not a number.
    let e = parse_and_open(&[(453, "two"), (448, "A")]).unwrap_err();
    assert!(matches!(e, GroupError::BadCount { count_tag: 453, .. }));
    assert_eq!(
        e.reject(),
        Some((SessionRejectReason::IncorrectDataFormat, 453))
    );
    // Fewer entries than declared.
    let e = parse_and_open(&[(453, "3"), (448, "A"), (448, "B"), (54, "1")]).unwrap_err();
    assert_eq!(
        e,
        GroupError::CountMismatch {
            count_tag: 453,
            declared: 3,
            found: 2
        }
    );
    assert_eq!(
        e.reject(),
        Some((SessionRejectReason::IncorrectNumInGroupCount, 453))
    );
    // More entries than declared.
    let e = parse_and_open(&[(453, "1"), (448, "A"), (448, "B")]).unwrap_err();
    assert!(matches!(
        e,
        GroupError::CountMismatch {
            declared: 1,
            found: 2,
            ..
        }
    ));
    // An entry that does not start with the delimiter.
    let e = parse_and_open(&[(453, "1"), (447, "D"), (448, "A")]).unwrap_err();
    assert_eq!(
        e,
        GroupError::DelimiterExpected {
            count_tag: 453,
            delimiter: 448,
            found: 447
        }
    );
    assert_eq!(
        e.reject(),
        Some((SessionRejectReason::RepeatingGroupFieldsOutOfOrder, 447))
    );
    // A wrong count in a nested group is found when the outer group opens.
    let e = parse_and_open(&[(453, "1"), (448, "A"), (802, "2"), (523, "X")]).unwrap_err();
    assert!(matches!(
        e,
        GroupError::CountMismatch {
            count_tag: 802,
            declared: 2,
            found: 1
        }
    ));
    // Zero entries, and a group that is absent.
    assert_eq!(parse_and_open(&[(453, "0"), (54, "1")]), Ok(0));
    assert_eq!(parse_and_open(&[(54, "1")]), Ok(0));
}

#[test]
fn groups_whose_delimiter_is_a_nested_group() {
    // In FIX 5.0 SP2 some groups start with a nested group (e.g.
    // NoRiskLimits, whose first member is NoRiskLimitTypes).
    let app = Dictionary::builtin_application(FixVersion::Fix50Sp2);
    let (msg_type, shape) = app
        .messages()
        .find_map(|m| {
            m.layout()
                .members()
                .filter_map(|member| member.group())
                .find(|g| g.group(g.delimiter()).is_some())
                .map(|g| (m.msg_type(), g))
        })
        .expect("a group starting with a group");
    let inner = shape.group(shape.delimiter()).expect("nested delimiter");
    let inner_delim = inner.delimiter();
    let mut enc = Encoder::new();
    start(&mut enc, msg_type.as_bytes());
    enc.push_uint(shape.count_tag(), 2);
    for _ in 0..2 {
        enc.push_uint(shape.delimiter(), 1)
            .push_str(inner_delim, "1");
    }
    enc.push_str(58, "after");
    let bytes = enc.finish().to_vec();
    let mut index = FieldIndex::new();
    let msg = index.parse(&bytes).unwrap();
    let group = msg.group(shape).unwrap();
    assert_eq!(group.len(), 2);
    for entry in &group {
        assert_eq!(entry.group(shape.delimiter()).unwrap().len(), 1);
    }
    assert_eq!(msg.spans()[group.end()].tag, 58);
}

/// Opens every group of `layout` in `msg` (within `entry` if given), each
/// with the one entry `push_members` builds, recursively; returns how many
/// were opened.
fn open_all<'a>(
    msg: &fixrs_proto::message::Message<'a>,
    layout: fixrs_proto::dictionary::Layout<'_>,
    entry: Option<fixrs_proto::group::GroupEntry<'a, fixrs_proto::dictionary::GroupDef<'_>>>,
) -> usize {
    let mut opened = 0;
    for member in layout.members() {
        let Some(def) = member.group() else { continue };
        let group = match entry {
            Some(e) => e.group(def.count_tag()).unwrap(),
            None => msg.group(def).unwrap(),
        };
        assert_eq!(group.len(), 1, "group {}", def.count_tag());
        let e = group.iter().next().unwrap();
        assert!(e.get(def.delimiter()).is_some() || def.group(def.delimiter()).is_some());
        opened += 1 + open_all(msg, def.layout(), Some(e));
    }
    opened
}

#[test]
fn every_group_of_every_version_opens() {
    let mut index = FieldIndex::new();
    let mut opened = 0;
    for v in FixVersion::ALL {
        let dict = Dictionary::builtin(v);
        for m in dict.messages() {
            let mut enc = Encoder::new();
            dict_support::start_with(&mut enc, dict.begin_string(), m.msg_type().as_bytes());
            dict_support::push_members(&mut enc, dict, m.layout(), false, true);
            let bytes = enc.finish().to_vec();
            let msg = index.parse(&bytes).unwrap();
            opened += open_all(&msg, m.layout(), None);
        }
    }
    assert!(opened > 10_000, "{opened}");
}
