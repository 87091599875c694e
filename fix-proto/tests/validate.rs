//! Validation against the FIX 4.4 dictionary: one test per reject reason,
//! named after the FIX session test cases, and one per option.

mod dict_support;

use dict_support::{soh, start, start_with};
use fixrs_proto::dictionary::{Dictionary, FieldType};
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::validate::{check_msg_type, ValidationError, ValidationOptions, Validator};
use fixrs_proto::{FixVersion, SessionRejectReason, Tag};

/// A valid FIX 4.4 NewOrderSingle body.
const NOS: &[(Tag, &str)] = &[
    (11, "ORD-1"),
    (1, "ACCT-1"),
    (453, "1"),
    (448, "BROKER"),
    (447, "D"),
    (452, "1"),
    (55, "EUR/USD"),
    (54, "1"),
    (60, "20240115-10:30:00.100"),
    (38, "100"),
    (40, "2"),
    (44, "1.0850"),
    (59, "0"),
];

fn encode(msg_type: &[u8], body: &[(Tag, &str)]) -> Vec<u8> {
    let mut enc = Encoder::new();
    start(&mut enc, msg_type);
    for (tag, value) in body {
        enc.push_str(*tag, value);
    }
    enc.finish().to_vec()
}

fn check_bytes_with(
    dict: &Dictionary,
    options: ValidationOptions,
    bytes: &[u8],
) -> Result<(), ValidationError> {
    let mut index = FieldIndex::new();
    let msg = match index.parse(bytes) {
        Ok(msg) => msg,
        Err(e) => return Err(ValidationError::from_parse_error(&e).expect("rejectable")),
    };
    Validator::new(options).validate(dict, &msg)
}

fn fix44() -> &'static Dictionary {
    Dictionary::builtin(FixVersion::Fix44)
}

fn check(msg_type: &[u8], body: &[(Tag, &str)]) -> Result<(), ValidationError> {
    check_bytes_with(
        fix44(),
        ValidationOptions::default(),
        &encode(msg_type, body),
    )
}

fn check_with(
    options: ValidationOptions,
    msg_type: &[u8],
    body: &[(Tag, &str)],
) -> Result<(), ValidationError> {
    check_bytes_with(fix44(), options, &encode(msg_type, body))
}

/// NOS with `f` applied to its body.
fn nos_with(f: impl FnOnce(&mut Vec<(Tag, &'static str)>)) -> Vec<(Tag, &'static str)> {
    let mut body = NOS.to_vec();
    f(&mut body);
    body
}

fn assert_reject(
    result: Result<(), ValidationError>,
    reason: SessionRejectReason,
    ref_tag_id: Option<Tag>,
) -> ValidationError {
    let e = result.expect_err("message should be rejected");
    assert_eq!(e.reason(), reason, "{e}");
    assert_eq!(e.ref_tag_id(), ref_tag_id, "{e}");
    assert_eq!(e.text(), reason.description());
    e
}

#[test]
fn valid_messages_pass() {
    check(b"D", NOS).unwrap();
    check(b"0", &[]).unwrap();
    check(b"0", &[(112, "TEST-1")]).unwrap();
    check(b"A", &[(98, "0"), (108, "30"), (141, "Y")]).unwrap();
    check(
        b"3",
        &[
            (45, "7"),
            (371, "54"),
            (372, "D"),
            (373, "5"),
            (58, "bad side"),
        ],
    )
    .unwrap();
    // ExecutionReport with nested parties and ExecInst (multiple values).
    check(
        b"8",
        &[
            (37, "O-1"),
            (11, "ORD-1"),
            (17, "E-1"),
            (150, "0"),
            (39, "0"),
            (453, "2"),
            (448, "BROKER"),
            (447, "D"),
            (452, "1"),
            (802, "1"),
            (523, "DESK"),
            (803, "9"),
            (448, "CLIENT"),
            (452, "3"),
            (55, "EUR/USD"),
            (54, "1"),
            (18, "1 G"),
            (151, "100"),
            (14, "0"),
            (6, "0"),
        ],
    )
    .unwrap();
    // Header group NoHops, and a signature in the trailer.
    let mut enc = Encoder::new();
    start(&mut enc, b"0")
        .push_uint(627, 1)
        .push_str(628, "HUB")
        .push_str(629, "20240115-10:30:00.000");
    enc.push_str(112, "T").push_data(93, 89, b"sig\x01nature");
    let bytes = enc.finish().to_vec();
    check_bytes_with(fix44(), ValidationOptions::default(), &bytes).unwrap();
}

#[test]
fn other_versions_and_dictionaries() {
    // FIX 4.2 NewOrderSingle.
    let mut enc = Encoder::new();
    start_with(&mut enc, "FIX.4.2", b"D")
        .push_str(11, "ORD-1")
        .push_char(21, b'1')
        .push_str(55, "IBM")
        .push_char(54, b'2')
        .push_str(60, "20240115-10:30:00")
        .push_char(40, b'1');
    let bytes = enc.finish().to_vec();
    let fix42 = Dictionary::builtin(FixVersion::Fix42);
    check_bytes_with(fix42, ValidationOptions::default(), &bytes).unwrap();

    // FIX 5.0 SP2 over FIXT.1.1: ApplVerID in the header, a FIXT Logon.
    let sp2 = Dictionary::builtin(FixVersion::Fix50Sp2);
    let mut enc = Encoder::new();
    start_with(&mut enc, "FIXT.1.1", b"A")
        .push_char(98, b'0')
        .push_uint(108, 30)
        .push_char(1137, b'9');
    check_bytes_with(sp2, ValidationOptions::default(), enc.finish()).unwrap();
    let mut enc = Encoder::new();
    start_with(&mut enc, "FIXT.1.1", b"D").push_char(1128, b'9');
    enc.push_str(11, "ORD-1")
        .push_char(54, b'1')
        .push_str(60, "20240115-10:30:00.100")
        .push_uint(38, 100)
        .push_char(40, b'1');
    check_bytes_with(sp2, ValidationOptions::default(), enc.finish()).unwrap();

    // The session dictionary knows Logon but not application messages.
    let session = Dictionary::session();
    let logon = encode(b"A", &[(98, "0"), (108, "30")]);
    check_bytes_with(session, ValidationOptions::default(), &logon).unwrap();
    assert_reject(
        check_bytes_with(session, ValidationOptions::default(), &encode(b"D", NOS)),
        SessionRejectReason::InvalidMsgType,
        None,
    );
}

#[test]
fn case_14a_undefined_tag() {
    let body = nos_with(|b| b.push((4000, "x")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::InvalidTagNumber,
        Some(4000),
    );
    // User-defined tags are checked too by default.
    let body = nos_with(|b| b.push((5001, "x")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::InvalidTagNumber,
        Some(5001),
    );
}

#[test]
fn case_14b_required_tag_missing() {
    let body = nos_with(|b| b.retain(|f| f.0 != 11));
    let e = assert_reject(
        check(b"D", &body),
        SessionRejectReason::RequiredTagMissing,
        Some(11),
    );
    assert_eq!(e, ValidationError::RequiredTagMissing { tag: 11 });
    // A required header field.
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", b"D")
        .push_str(49, "CLIENT")
        .push_uint(34, 7)
        .push_str(52, "20240115-10:30:00.123");
    for (tag, value) in NOS {
        enc.push_str(*tag, value);
    }
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), enc.finish()),
        SessionRejectReason::RequiredTagMissing,
        Some(56),
    );
    // A required member of a group entry (Side in NewOrderList's
    // NoOrders).
    let list = [
        (66, "LIST-1"),
        (394, "3"),
        (68, "1"),
        (73, "1"),
        (11, "ORD-1"),
        (67, "1"),
        (55, "IBM"),
    ];
    assert_reject(
        check(b"E", &list),
        SessionRejectReason::RequiredTagMissing,
        Some(54),
    );
    let mut complete = list.to_vec();
    complete.push((54, "1"));
    check(b"E", &complete).unwrap();
    // A required group count.
    assert_reject(
        check(b"W", &[(55, "EUR/USD")]),
        SessionRejectReason::RequiredTagMissing,
        Some(268),
    );
}

#[test]
fn case_14c_tag_not_defined_for_msg_type() {
    assert_reject(
        check(b"0", &[(11, "ORD-1")]),
        SessionRejectReason::TagNotDefinedForMessageType,
        Some(11),
    );
    // A group member outside its group.
    let body = nos_with(|b| b.push((523, "SUB")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::TagNotDefinedForMessageType,
        Some(523),
    );
}

#[test]
fn case_14d_tag_without_value() {
    let body = nos_with(|b| b.push((58, "")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::TagSpecifiedWithoutValue,
        Some(58),
    );
    // Inside a group entry.
    let body = nos_with(|b| b[5].1 = "");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::TagSpecifiedWithoutValue,
        Some(452),
    );
}

#[test]
fn case_14e_value_out_of_range() {
    let body = nos_with(|b| b[7].1 = "Z");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::ValueIsIncorrect,
        Some(54),
    );
    // Every element of a multiple-value field must be listed.
    let body = nos_with(|b| b.push((18, "1 !")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::ValueIsIncorrect,
        Some(18),
    );
    // In a group entry.
    let body = nos_with(|b| b[4].1 = "?");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::ValueIsIncorrect,
        Some(447),
    );
}

#[test]
fn case_14f_incorrect_data_format() {
    let body = nos_with(|b| b[9].1 = "abc");
    let e = assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(38),
    );
    assert_eq!(
        e,
        ValidationError::IncorrectDataFormat {
            tag: 38,
            field_type: FieldType::Qty
        }
    );
    let body = nos_with(|b| b[8].1 = "2024-01-15 10:30");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(60),
    );
    let body = nos_with(|b| b[11].1 = "1,08");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(44),
    );
    assert_reject(
        check(b"A", &[(98, "0"), (108, "thirty")]),
        SessionRejectReason::IncorrectDataFormat,
        Some(108),
    );
    // A NumInGroup that is not a number.
    let body = nos_with(|b| b[2].1 = "one");
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(453),
    );
    // Header fields are checked too.
    let bytes = soh("8=FIX.4.4|9=5|35=0|49=A|56=B|34=x|52=20240115-10:30:00|10=000|");
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), &bytes),
        SessionRejectReason::IncorrectDataFormat,
        Some(34),
    );
}

#[test]
fn case_14g_header_body_trailer_out_of_order() {
    // A header field after the body started.
    let body = nos_with(|b| b.insert(1, (50, "DESK")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
        Some(50),
    );
    // A body field after the trailer started.
    let mut enc = Encoder::new();
    start(&mut enc, b"0")
        .push_data(93, 89, b"sig")
        .push_str(112, "T");
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), enc.finish()),
        SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
        Some(112),
    );
    // MsgType not third.
    let bytes = soh("8=FIX.4.4|9=5|49=A|35=0|56=B|34=2|52=20240115-10:30:00|10=000|");
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), &bytes),
        SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
        Some(35),
    );
}

#[test]
fn case_14h_repeated_tag() {
    let body = nos_with(|b| b.push((11, "ORD-2")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::TagAppearsMoreThanOnce,
        Some(11),
    );
    let bytes = soh("8=FIX.4.4|9=5|35=0|49=A|56=B|49=A|34=2|52=20240115-10:30:00|10=000|");
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), &bytes),
        SessionRejectReason::TagAppearsMoreThanOnce,
        Some(49),
    );
}

#[test]
fn case_14i_wrong_num_in_group() {
    // Declares three parties, sends two.
    let body = nos_with(|b| {
        b[2].1 = "3";
        b.insert(6, (448, "CLIENT"));
    });
    let e = assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectNumInGroupCount,
        Some(453),
    );
    assert_eq!(
        e,
        ValidationError::IncorrectNumInGroupCount {
            count_tag: 453,
            declared: 3,
            found: 2
        }
    );
    // Declares one, sends two.
    let body = nos_with(|b| b.insert(6, (448, "CLIENT")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectNumInGroupCount,
        Some(453),
    );
    // Ten market data entries declared as eleven.
    let mut body: Vec<(Tag, &str)> = vec![(55, "EUR/USD"), (268, "11")];
    for _ in 0..10 {
        body.extend([(269, "0"), (270, "1.0850"), (271, "1000000"), (290, "1")]);
    }
    assert_reject(
        check(b"W", &body),
        SessionRejectReason::IncorrectNumInGroupCount,
        Some(268),
    );
    body[1].1 = "10";
    check(b"W", &body).unwrap();
}

#[test]
fn case_14j_group_fields_out_of_order() {
    // The entry does not start with the delimiter PartyID(448).
    let body = nos_with(|b| b.swap(3, 4));
    let e = assert_reject(
        check(b"D", &body),
        SessionRejectReason::RepeatingGroupFieldsOutOfOrder,
        Some(447),
    );
    assert_eq!(
        e,
        ValidationError::GroupFieldsOutOfOrder {
            count_tag: 453,
            tag: 447
        }
    );
    // Members after the delimiter out of the dictionary's order.
    let body = nos_with(|b| b.swap(4, 5));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::RepeatingGroupFieldsOutOfOrder,
        Some(447),
    );
    // A member repeated without a new delimiter.
    let body = nos_with(|b| b.insert(6, (447, "D")));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::RepeatingGroupFieldsOutOfOrder,
        Some(447),
    );
}

#[test]
fn case_14k_soh_in_value() {
    let mut enc = Encoder::new();
    start(&mut enc, b"D");
    for (tag, value) in NOS {
        enc.push_str(*tag, value);
    }
    enc.push(58, b"bad\x01text");
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), enc.finish()),
        SessionRejectReason::NonDataValueIncludesFieldDelimiter,
        Some(58),
    );
}

#[test]
fn case_2q_invalid_msg_type() {
    let e = assert_reject(
        check(b"ZZ", &[(58, "x")]),
        SessionRejectReason::InvalidMsgType,
        None,
    );
    assert_eq!(e, ValidationError::InvalidMsgType);
    assert_eq!(
        check_msg_type(fix44(), b"ZZ").unwrap_err(),
        ValidationError::InvalidMsgType
    );
    assert_eq!(
        check_msg_type(fix44(), b"D").unwrap().name(),
        "NewOrderSingle"
    );
    assert!(fix44().is_known_msg_type(b"AE"));
    assert!(!fix44().is_known_msg_type(b"U9"));
}

#[test]
fn option_validate_fields_out_of_order() {
    let options = ValidationOptions {
        validate_fields_out_of_order: false,
        ..ValidationOptions::default()
    };
    let body = nos_with(|b| b.insert(1, (50, "DESK")));
    check_with(options, b"D", &body).unwrap();
    let bytes = soh("8=FIX.4.4|9=5|49=A|35=0|56=B|34=2|52=20240115-10:30:00|10=000|");
    check_bytes_with(fix44(), options, &bytes).unwrap();
    // A header field moved to the body is still counted as present.
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", b"0")
        .push_str(49, "A")
        .push_uint(34, 2)
        .push_str(52, "20240115-10:30:00")
        .push_str(112, "T")
        .push_str(56, "B");
    check_bytes_with(fix44(), options, enc.finish()).unwrap();
    // Repeats are still repeats.
    let body = nos_with(|b| b.insert(1, (49, "AGAIN")));
    assert_reject(
        check_with(options, b"D", &body),
        SessionRejectReason::TagAppearsMoreThanOnce,
        Some(49),
    );
}

#[test]
fn option_validate_fields_have_values() {
    let options = ValidationOptions {
        validate_fields_have_values: false,
        ..ValidationOptions::default()
    };
    let body = nos_with(|b| b.push((58, "")));
    check_with(options, b"D", &body).unwrap();
    // Empty values are not format-checked either.
    let body = nos_with(|b| b[11].1 = "");
    check_with(options, b"D", &body).unwrap();
}

#[test]
fn option_validate_user_defined_fields() {
    let options = ValidationOptions {
        validate_user_defined_fields: false,
        ..ValidationOptions::default()
    };
    let body = nos_with(|b| b.extend([(5001, "x"), (9999, "y"), (20_000, "z")]));
    check_with(options, b"D", &body).unwrap();
    // Tags below 5000 are still checked.
    let body = nos_with(|b| b.push((4000, "x")));
    assert_reject(
        check_with(options, b"D", &body),
        SessionRejectReason::InvalidTagNumber,
        Some(4000),
    );
}

#[test]
fn option_allow_unknown_msg_fields() {
    let options = ValidationOptions {
        allow_unknown_msg_fields: true,
        ..ValidationOptions::default()
    };
    let body = nos_with(|b| b.extend([(4000, "x"), (112, "not for D")]));
    check_with(options, b"D", &body).unwrap();
    // Known fields keep their format; user-defined tags stay checked.
    let body = nos_with(|b| b.push((108, "thirty")));
    assert_reject(
        check_with(options, b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(108),
    );
    let body = nos_with(|b| b.push((5001, "x")));
    assert_reject(
        check_with(options, b"D", &body),
        SessionRejectReason::InvalidTagNumber,
        Some(5001),
    );
}

#[test]
fn option_validate_unordered_group_fields() {
    let options = ValidationOptions {
        validate_unordered_group_fields: false,
        ..ValidationOptions::default()
    };
    let body = nos_with(|b| b.swap(4, 5));
    check_with(options, b"D", &body).unwrap();
    // The delimiter must still come first.
    let body = nos_with(|b| b.swap(3, 4));
    assert_reject(
        check_with(options, b"D", &body),
        SessionRejectReason::RepeatingGroupFieldsOutOfOrder,
        Some(447),
    );
}

#[test]
fn user_defined_fields_in_a_custom_dictionary() {
    let xml = r#"<fix type='FIX' major='4' minor='4'>
 <header>
  <field name='BeginString' required='Y' /><field name='BodyLength' required='Y' />
  <field name='MsgType' required='Y' /><field name='SenderCompID' required='Y' />
  <field name='TargetCompID' required='Y' /><field name='MsgSeqNum' required='Y' />
  <field name='SendingTime' required='Y' />
 </header>
 <trailer><field name='CheckSum' required='Y' /></trailer>
 <messages>
  <message name='Custom' msgtype='U1' msgcat='app'>
   <field name='Desk' required='Y' />
   <group name='NoStrategies' required='N'>
    <field name='StrategyName' required='Y' />
    <field name='StrategyWeight' required='Y' />
   </group>
  </message>
 </messages>
 <fields>
  <field number='8' name='BeginString' type='STRING' />
  <field number='9' name='BodyLength' type='LENGTH' />
  <field number='10' name='CheckSum' type='STRING' />
  <field number='34' name='MsgSeqNum' type='SEQNUM' />
  <field number='35' name='MsgType' type='STRING' />
  <field number='49' name='SenderCompID' type='STRING' />
  <field number='52' name='SendingTime' type='UTCTIMESTAMP' />
  <field number='56' name='TargetCompID' type='STRING' />
  <field number='5001' name='Desk' type='STRING' />
  <field number='5002' name='NoStrategies' type='NUMINGROUP' />
  <field number='5003' name='StrategyName' type='STRING' />
  <field number='5004' name='StrategyWeight' type='PERCENTAGE' />
 </fields>
</fix>"#;
    let dict = Dictionary::from_xml(xml).unwrap();
    let opts = ValidationOptions::default();
    let ok = encode(
        b"U1",
        &[
            (5001, "FX"),
            (5002, "2"),
            (5003, "TWAP"),
            (5004, "0.5"),
            (5003, "VWAP"),
            (5004, "0.5"),
        ],
    );
    check_bytes_with(&dict, opts, &ok).unwrap();
    let missing_weight = encode(
        b"U1",
        &[
            (5001, "FX"),
            (5002, "2"),
            (5003, "TWAP"),
            (5003, "VWAP"),
            (5004, "0.5"),
        ],
    );
    assert_reject(
        check_bytes_with(&dict, opts, &missing_weight),
        SessionRejectReason::RequiredTagMissing,
        Some(5004),
    );
    let bad_weight = encode(
        b"U1",
        &[(5001, "FX"), (5002, "1"), (5003, "TWAP"), (5004, "half")],
    );
    assert_reject(
        check_bytes_with(&dict, opts, &bad_weight),
        SessionRejectReason::IncorrectDataFormat,
        Some(5004),
    );
}

#[test]
fn a_validator_is_reused_across_messages() {
    let dict = fix44();
    let mut validator = Validator::new(ValidationOptions::default());
    let good = encode(b"D", NOS);
    let bad = encode(b"D", &nos_with(|b| b[7].1 = "Z"));
    let mut index = FieldIndex::new();
    for _ in 0..3 {
        let msg = index.parse(&good).unwrap();
        validator.validate(dict, &msg).unwrap();
        let msg = index.parse(&bad).unwrap();
        assert_eq!(
            validator.validate(dict, &msg),
            Err(ValidationError::ValueIsIncorrect { tag: 54 })
        );
    }
    assert_eq!(validator.options(), &ValidationOptions::default());
}

/// Builds every message of every built-in dictionary from its layout and
/// validates it.
fn every_message_validates(all: bool) {
    let mut validator = Validator::new(ValidationOptions::default());
    let mut index = FieldIndex::new();
    let dicts = FixVersion::ALL
        .iter()
        .map(|&v| Dictionary::builtin(v))
        .chain([Dictionary::session()]);
    let mut checked = 0;
    for dict in dicts {
        for m in dict.messages() {
            let mut enc = Encoder::new();
            start_with(&mut enc, dict.begin_string(), m.msg_type().as_bytes());
            dict_support::push_members(&mut enc, dict, m.layout(), false, all);
            let bytes = enc.finish().to_vec();
            let msg = index.parse(&bytes).unwrap();
            if let Err(e) = validator.validate(dict, &msg) {
                panic!(
                    "{} {} ({}): {e}\n{}",
                    dict,
                    m.name(),
                    m.msg_type(),
                    fixrs_proto::message::display_soh(&bytes)
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 27 + 28 + 46 + 68 + 93 + 3 * 8 + 93 + 105 + 156 + 8);
}

#[test]
fn every_message_of_every_version_validates_with_its_required_fields() {
    every_message_validates(false);
}

#[test]
fn every_message_of_every_version_validates_with_every_member() {
    every_message_validates(true);
}

/// Of several problems, the one QuickFIX reports for the same bytes: a
/// missing required field before any field problem, the lowest missing
/// tag first, then field problems by section and lowest tag.
#[test]
fn several_problems_report_what_quickfix_reports() {
    // Side(54), TransactTime(60) and OrdType(40) missing: OrdType, the
    // lowest tag, though Side comes first in the message layout.
    let body = nos_with(|b| b.retain(|(t, _)| ![54, 60, 40].contains(t)));
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::RequiredTagMissing,
        Some(40),
    );
    // A missing required field wins over an undefined tag before it.
    let body = nos_with(|b| {
        b.insert(0, (9999, "x"));
        b.retain(|(t, _)| *t != 54);
    });
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::RequiredTagMissing,
        Some(54),
    );
    // Field problems by lowest tag, whatever their order in the message:
    // Price(44) in a wrong format after an undefined tag 9999 ...
    let body = nos_with(|b| {
        b.insert(1, (9999, "x"));
        for f in b.iter_mut().filter(|f| f.0 == 44) {
            f.1 = "cheap";
        }
    });
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::IncorrectDataFormat,
        Some(44),
    );
    // ... and a bad Side(54) value after a wrong group count (453) comes
    // first.
    let body = nos_with(|b| {
        for f in b.iter_mut() {
            match f.0 {
                453 => f.1 = "2",
                54 => f.1 = "Z",
                _ => {}
            }
        }
    });
    assert_reject(
        check(b"D", &body),
        SessionRejectReason::ValueIsIncorrect,
        Some(54),
    );
    // For one field: its format before whether it belongs to the message
    // (a malformed Price in a Heartbeat).
    let bytes = encode(b"0", &[(44, "x")]);
    assert_reject(
        check_bytes_with(fix44(), ValidationOptions::default(), &bytes),
        SessionRejectReason::IncorrectDataFormat,
        Some(44),
    );
    // A missing field of a group entry (Side in NewOrderList's NoOrders)
    // after the body's required fields, before field problems.
    let list = [
        (66, "LIST-1"),
        (394, "3"),
        (68, "1"),
        (73, "1"),
        (11, "ORD-1"),
        (67, "1"),
        (55, "IBM"),
        (9999, "x"),
    ];
    assert_eq!(
        check(b"E", &list),
        Err(ValidationError::RequiredTagMissing { tag: 54 })
    );
    let without_list_id = &list[1..];
    assert_eq!(
        check(b"E", without_list_id),
        Err(ValidationError::RequiredTagMissing { tag: 66 })
    );
}
