//! Data dictionaries: loading the standard files, the built-in forms,
//! combining FIXT with FIX 5.0, and typed errors for broken dictionaries.

mod dict_support;

use dict_support::spec_dir;
use fixrs_proto::dictionary::{compact, Dictionary, DictionaryError, FieldType, MsgCategory};
use fixrs_proto::{tag, FixVersion};

/// (file, version, fields, messages) of every standard dictionary.
const STANDARD: [(&str, Option<FixVersion>, usize, usize); 9] = [
    ("FIX40.xml", Some(FixVersion::Fix40), 138, 27),
    ("FIX41.xml", Some(FixVersion::Fix41), 206, 28),
    ("FIX42.xml", Some(FixVersion::Fix42), 405, 46),
    ("FIX43.xml", Some(FixVersion::Fix43), 635, 68),
    ("FIX44.xml", Some(FixVersion::Fix44), 912, 93),
    ("FIX50.xml", Some(FixVersion::Fix50), 1090, 93),
    ("FIX50SP1.xml", Some(FixVersion::Fix50Sp1), 1373, 105),
    ("FIX50SP2.xml", Some(FixVersion::Fix50Sp2), 6028, 156),
    ("FIXT11.xml", None, 71, 8),
];

#[test]
fn loads_every_standard_dictionary() {
    for (file, version, n_fields, n_messages) in STANDARD {
        let d = Dictionary::from_file(spec_dir().join(file)).unwrap();
        assert_eq!(d.version(), version, "{file}");
        assert_eq!(d.fields().len(), n_fields, "{file}");
        assert_eq!(d.messages().len(), n_messages, "{file}");
        // Every message's layout resolves to defined fields, and every
        // group has a delimiter that is its first member.
        for m in d.messages() {
            for member in m.layout().members() {
                assert!(member.field().is_some(), "{file} {}", m.name());
                if let Some(g) = member.group() {
                    let first = g.layout().members().next().unwrap();
                    assert_eq!(g.delimiter(), first.tag());
                }
            }
        }
        match version {
            Some(v) if !v.is_fixt() => {
                assert_eq!(d.begin_string(), v.begin_string());
                assert!(d.header().member(49).unwrap().required());
                assert!(d.trailer().member(10).unwrap().required());
            }
            Some(_) => assert!(d.header().is_empty(), "{file}: FIX 5.0 has no header"),
            None => assert_eq!(d.name(), "FIXT.1.1"),
        }
    }
}

#[test]
fn builtin_dictionaries_equal_their_xml() {
    for (i, version) in FixVersion::ALL.into_iter().enumerate() {
        let (file, ..) = STANDARD[i];
        let xml = Dictionary::from_file(spec_dir().join(file)).unwrap();
        assert_eq!(Dictionary::builtin_application(version), &xml, "{file}");
    }
    let fixt = Dictionary::from_file(spec_dir().join("FIXT11.xml")).unwrap();
    assert_eq!(Dictionary::fixt11(), &fixt);
    // FIX 4.x sessions use the file alone.
    assert!(std::ptr::eq(
        Dictionary::builtin(FixVersion::Fix44),
        Dictionary::builtin_application(FixVersion::Fix44)
    ));
}

#[test]
fn builtin_files_are_up_to_date() {
    let builtin_dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dictionary/builtin");
    let generated = compact::generate_all(&spec_dir()).unwrap();
    assert_eq!(generated.len(), compact::BUILTIN_SOURCES.len() + 1);
    for (name, content) in generated {
        let committed = std::fs::read_to_string(builtin_dir.join(&name)).unwrap();
        assert!(
            committed == content,
            "{name} is out of date: run `cargo run -p dictgen -- spec fix-proto/src/dictionary/builtin`"
        );
        assert!(content.contains(compact::ACKNOWLEDGMENT), "{name}");
    }
}

#[test]
fn combined_fixt_dictionary() {
    let d = Dictionary::builtin(FixVersion::Fix50Sp2);
    assert_eq!(d.version(), Some(FixVersion::Fix50Sp2));
    assert_eq!(d.transport(), Some("FIXT.1.1"));
    assert_eq!(d.begin_string(), "FIXT.1.1");
    assert_eq!(d.to_string(), "FIX.5.0SP2 over FIXT.1.1");
    // Header and session messages from FIXT11, application messages from
    // FIX50SP2.
    assert!(d.is_header_field(tag::APPL_VER_ID));
    assert!(d.is_trailer_field(tag::CHECK_SUM));
    let logon = d.message(b"A").unwrap();
    assert_eq!(logon.category(), MsgCategory::Admin);
    assert!(logon.layout().member(1137).unwrap().required());
    let er = d.message(b"8").unwrap();
    assert_eq!(er.name(), "ExecutionReport");
    assert_eq!(er.category(), MsgCategory::App);
    assert_eq!(d.messages().len(), 8 + 156);
    assert!(d.field_by_name("DefaultApplVerID").is_some());
    assert!(d.field(tag::MD_ENTRY_PX).is_some());
    // The same, built by hand.
    let by_hand = Dictionary::combine(
        Dictionary::fixt11(),
        Dictionary::builtin_application(FixVersion::Fix50Sp2),
    );
    assert_eq!(&by_hand, d);
}

#[test]
fn session_dictionary_knows_the_session_messages() {
    let d = Dictionary::session();
    for (mt, name) in [
        ("0", "Heartbeat"),
        ("1", "TestRequest"),
        ("2", "ResendRequest"),
        ("3", "Reject"),
        ("4", "SequenceReset"),
        ("5", "Logout"),
        ("A", "Logon"),
        ("j", "BusinessMessageReject"),
    ] {
        assert_eq!(d.message(mt.as_bytes()).unwrap().name(), name);
    }
    assert!(!d.is_known_msg_type(b"D"));
    let logon = d.message(b"A").unwrap();
    assert!(logon.layout().member(108).unwrap().required());
    assert!(!logon.layout().member(1137).unwrap().required());
    assert_eq!(logon.group(384).unwrap().delimiter(), 372);
    assert_eq!(
        d.value_description(380, b"3"),
        Some("UNSUPPORTED_MESSAGE_TYPE")
    );
}

#[test]
fn fields_enums_and_lookups() {
    let d = Dictionary::builtin(FixVersion::Fix44);
    let side = d.field_by_name("Side").unwrap();
    assert_eq!(side.tag(), 54);
    assert_eq!(side.field_type(), FieldType::Char);
    assert_eq!(side.value_description(b"2"), Some("SELL"));
    assert_eq!(side.values()[0].value(), "1");
    assert!(side.is_allowed_value(b"1"));
    assert!(!side.is_allowed_value(b"Z"));
    let exec_inst = d.field(18).unwrap();
    assert_eq!(exec_inst.field_type(), FieldType::MultipleValueString);
    assert!(exec_inst.is_allowed_value(b"1 G"));
    assert!(!exec_inst.is_allowed_value(b"1 !"));
    assert_eq!(d.field_name(35), Some("MsgType"));
    assert!(d.field(0).is_none());
    assert!(d.field(99_999).is_none());
    assert_eq!(d.message_by_name("NewOrderSingle").unwrap().msg_type(), "D");
    assert_eq!(d.message(b"AE").unwrap().name(), "TradeCaptureReport");
    assert!(d.message(b"ZZ").is_none());
    assert!(d.message(b"").is_none());
    assert!(d.data_fields().contains(&(95, 96)));
    assert!(d.data_fields().contains(&(354, 355)));
    // Large tags (above the direct table) are found too.
    let sp2 = Dictionary::builtin_application(FixVersion::Fix50Sp2);
    let big = sp2.fields().iter().find(|f| f.tag() > 10_000).unwrap();
    assert_eq!(sp2.field(big.tag()).unwrap().name(), big.name());
}

#[test]
fn layouts_expand_components_and_nest_groups() {
    let d = Dictionary::builtin(FixVersion::Fix44);
    let er = d.message(b"8").unwrap();
    let required: Vec<u32> = er.layout().required_tags().collect();
    assert_eq!(required, [37, 17, 150, 39, 54, 151, 14, 6]);
    // Instrument is expanded into the body; its Symbol is optional.
    assert!(!er.layout().member(55).unwrap().required());
    let parties = er.group(tag::NO_PARTY_IDS).unwrap();
    assert_eq!(parties.delimiter(), tag::PARTY_ID);
    let tags: Vec<u32> = parties.layout().members().map(|m| m.tag()).collect();
    assert_eq!(tags, [448, 447, 452, 802]);
    let subs = parties.group(tag::NO_PARTY_SUB_IDS).unwrap();
    assert_eq!(subs.delimiter(), tag::PARTY_SUB_ID);
    assert!(subs.layout().contains(803));
    assert!(
        !er.layout().contains(448),
        "group members are not body members"
    );
    // Header group NoHops.
    assert_eq!(d.header().group(627).unwrap().delimiter(), 628);
    assert!(d.is_header_field(628));
    let w = d.message(b"W").unwrap();
    let md = w.group(tag::NO_MD_ENTRIES).unwrap();
    assert!(md.layout().member(269).unwrap().required());
    assert!(w.layout().member(268).unwrap().required());
}

#[test]
fn field_constants() {
    assert_eq!(tag::CL_ORD_ID, 11);
    assert_eq!(tag::NO_PARTY_IDS, 453);
    assert_eq!(tag::MD_ENTRY_PX, 270);
    assert_eq!(tag::SECURITY_ID_SOURCE, 22);
    assert_eq!(tag::ID_SOURCE, 22);
    assert_eq!(tag::HEART_BT_INT, fixrs_proto::tag::HEART_BT_INT);
    assert_eq!(compact::constant_name("ClOrdID"), "CL_ORD_ID");
    assert_eq!(compact::constant_name("NoMDEntries"), "NO_MD_ENTRIES");
    assert_eq!(compact::constant_name("NoPartySubIDs"), "NO_PARTY_SUB_IDS");
    assert_eq!(compact::constant_name("SideValue1"), "SIDE_VALUE1");
}

const MINIMAL: &str = r#"<fix type='FIX' major='4' minor='4' servicepack='0'>
 <header>
  <field name='BeginString' required='Y' />
  <field name='BodyLength' required='Y' />
  <field name='MsgType' required='Y' />
 </header>
 <trailer>
  <field name='CheckSum' required='Y' />
 </trailer>
 <messages>
  <message name='Order' msgtype='D' msgcat='app'>
   <field name='ClOrdID' required='Y' />
   <component name='Legs' required='N' />
   <component name='Required' required='Y' />
  </message>
  <message name='Custom' msgtype='U1'>
   <field name='Text' required='N' />
  </message>
 </messages>
 <components>
  <component name='Legs'>
   <field name='Text' required='Y' />
   <group name='NoLegs' required='Y'>
    <field name='LegSymbol' required='Y' />
    <field name='LegSide' required='N' />
   </group>
  </component>
  <component name='Required'>
   <field name='Account' required='Y' />
  </component>
 </components>
 <fields>
  <field number='1' name='Account' type='STRING' />
  <field number='8' name='BeginString' type='STRING' />
  <field number='9' name='BodyLength' type='LENGTH' />
  <field number='10' name='CheckSum' type='STRING' />
  <field number='11' name='ClOrdID' type='STRING' />
  <field number='35' name='MsgType' type='STRING' />
  <field number='58' name='Text' type='STRING' />
  <field number='555' name='NoLegs' type='NUMINGROUP' />
  <field number='600' name='LegSymbol' type='STRING' />
  <field number='624' name='LegSide' type='char'>
   <value enum='1' description='BUY' />
  </field>
 </fields>
</fix>"#;

#[test]
fn minimal_fixture_and_required_semantics() {
    let d = Dictionary::from_xml(MINIMAL).unwrap();
    assert_eq!(d.version(), Some(FixVersion::Fix44));
    let order = d.message(b"D").unwrap();
    let tags: Vec<u32> = order.layout().members().map(|m| m.tag()).collect();
    assert_eq!(tags, [11, 58, 555, 1]);
    // Required members of an optional component are optional; of a
    // required one, required; inside a group entry, required per entry.
    let req: Vec<u32> = order.layout().required_tags().collect();
    assert_eq!(req, [11, 1]);
    let legs = order.group(555).unwrap();
    assert!(legs.layout().member(600).unwrap().required());
    assert_eq!(d.field(624).unwrap().field_type(), FieldType::Char);
    // Missing msgcat is inferred.
    assert_eq!(d.message(b"U1").unwrap().category(), MsgCategory::App);
}

/// Loads `MINIMAL` with `from` replaced by `to`, expecting an error.
fn broken(from: &str, to: &str) -> DictionaryError {
    assert!(MINIMAL.contains(from), "{from}");
    Dictionary::from_xml(&MINIMAL.replacen(from, to, 1)).unwrap_err()
}

fn line_of(needle: &str) -> u32 {
    MINIMAL
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap()
}

#[test]
fn broken_dictionaries_give_typed_errors_naming_the_element() {
    let e = broken("</messages>", "</message>");
    assert!(matches!(e, DictionaryError::Xml { .. }), "{e}");

    let e = Dictionary::from_xml("<dictionary/>").unwrap_err();
    assert!(
        matches!(e, DictionaryError::NotADictionary { ref found, line: 1 } if found == "dictionary")
    );

    let e = broken("number='11' name='ClOrdID'", "name='ClOrdID'");
    match &e {
        DictionaryError::MissingAttribute {
            element,
            attribute,
            line,
        } => {
            assert_eq!(element, "field 'ClOrdID'");
            assert_eq!(*attribute, "number");
            assert_eq!(*line, line_of("name='ClOrdID' type="));
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("field 'ClOrdID'"));

    let e = broken("number='11'", "number='eleven'");
    assert!(
        matches!(e, DictionaryError::BadAttribute { attribute: "number", ref value, .. } if value == "eleven")
    );
    let e = broken("number='11'", "number='0'");
    assert!(matches!(
        e,
        DictionaryError::BadAttribute {
            attribute: "number",
            ..
        }
    ));

    let e = broken("name='ClOrdID' type='STRING'", "name='ClOrdID' type='TEXT'");
    match e {
        DictionaryError::UnknownType {
            field,
            type_name,
            line,
        } => {
            assert_eq!((field.as_str(), type_name.as_str()), ("ClOrdID", "TEXT"));
            assert_eq!(line, line_of("name='ClOrdID' type="));
        }
        other => panic!("{other}"),
    }

    let e = broken("number='58'", "number='11'");
    assert!(
        matches!(e, DictionaryError::DuplicateField { tag: 11, ref name, .. } if name == "Text"),
        "{e}"
    );
    let e = broken("name='Text' type", "name='ClOrdID' type");
    assert!(
        matches!(e, DictionaryError::DuplicateField { tag: 58, .. }),
        "{e}"
    );

    let e = broken(
        "<value enum='1' description='BUY' />",
        "<value enum='1' description='BUY' /><value enum='1' description='AGAIN' />",
    );
    assert!(
        matches!(e, DictionaryError::DuplicateValue { ref field, ref value, .. } if field == "LegSide" && value == "1")
    );

    let e = broken("msgtype='U1'", "msgtype='D'");
    match e {
        DictionaryError::DuplicateMessage {
            msg_type,
            name,
            line,
        } => {
            assert_eq!((msg_type.as_str(), name.as_str()), ("D", "Custom"));
            assert_eq!(line, line_of("name='Custom'"));
        }
        other => panic!("{other}"),
    }

    let e = broken("<component name='Required'>", "<component name='Legs'>");
    assert!(matches!(e, DictionaryError::DuplicateComponent { ref name, .. } if name == "Legs"));

    let e = broken(
        "<field name='ClOrdID' required='Y' />",
        "<field name='ClOrdId' required='Y' />",
    );
    match e {
        DictionaryError::UnknownField { name, within, line } => {
            assert_eq!(name, "ClOrdId");
            assert_eq!(within, "message 'Order'");
            assert_eq!(line, line_of("<field name='ClOrdID' required='Y' />"));
        }
        other => panic!("{other}"),
    }
    let e = broken(
        "<field name='LegSide' required='N' />",
        "<field name='Side' required='N' />",
    );
    assert!(
        matches!(e, DictionaryError::UnknownField { ref within, .. } if within == "group 'NoLegs'")
    );

    let e = broken(
        "<component name='Legs' required='N' />",
        "<component name='Leggs' required='N' />",
    );
    assert!(
        matches!(e, DictionaryError::UnknownComponent { ref name, ref within, .. } if name == "Leggs" && within == "message 'Order'")
    );

    let e = broken(
        "<field name='Account' required='Y' />",
        "<component name='Required' required='N' />",
    );
    assert!(matches!(e, DictionaryError::ComponentCycle { ref name, .. } if name == "Required"));

    let e = broken(
        "<field name='LegSymbol' required='Y' />\n    <field name='LegSide' required='N' />",
        "",
    );
    match e {
        DictionaryError::EmptyGroup { name, within, line } => {
            assert_eq!(name, "NoLegs");
            assert_eq!(within, "component 'Legs'");
            assert_eq!(line, line_of("<group name='NoLegs'"));
        }
        other => panic!("{other}"),
    }

    let e = broken(
        "<field name='Account' required='Y' />",
        "<feild name='Account' />",
    );
    assert!(
        matches!(e, DictionaryError::UnexpectedElement { ref element, ref within, .. } if element == "feild" && within == "component 'Required'")
    );

    let e = broken(
        "<field name='ClOrdID' required='Y' />",
        "<field name='ClOrdID' required='yes' />",
    );
    assert!(matches!(
        e,
        DictionaryError::BadAttribute {
            attribute: "required",
            ..
        }
    ));

    let e = broken("msgcat='app'", "msgcat='application'");
    assert!(matches!(
        e,
        DictionaryError::BadAttribute {
            attribute: "msgcat",
            ..
        }
    ));

    let e = broken("<fix type='FIX' major='4'", "<fix type='FIX'");
    assert!(matches!(
        e,
        DictionaryError::MissingAttribute {
            attribute: "major",
            ..
        }
    ));

    let e = Dictionary::from_file("/nonexistent/FIX44.xml").unwrap_err();
    assert!(matches!(e, DictionaryError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/FIX44.xml"));

    let e = compact::load("not a dictionary").unwrap_err();
    assert!(matches!(e, DictionaryError::Compact { line: 1, .. }));
    let e = compact::load("fixdict 1\nfix\tFIX\t4\t4\t0\nH\ng\t1\tN\n").unwrap_err();
    assert!(matches!(e, DictionaryError::Compact { .. }), "{e}");
    let e = compact::load("fixdict 1\nfix\tFIX\t4\t4\t0\nF\t0\tZero\tINT\n").unwrap_err();
    assert!(
        matches!(
            e,
            DictionaryError::Compact {
                line: 3,
                reason: "bad tag"
            }
        ),
        "{e}"
    );
}

#[test]
fn compact_form_round_trips_a_fixture() {
    let text = compact::generate(MINIMAL, "minimal.xml").unwrap();
    assert!(text.starts_with("# @generated by tools/dictgen from minimal.xml"));
    assert!(text.contains(compact::ACKNOWLEDGMENT));
    let from_compact = compact::load(&text).unwrap();
    assert_eq!(from_compact, Dictionary::from_xml(MINIMAL).unwrap());
    // Values with tabs and backslashes survive.
    let tricky = MINIMAL.replace("description='BUY'", "description='a&#9;b\\c'");
    let d = compact::load(&compact::generate(&tricky, "t.xml").unwrap()).unwrap();
    assert_eq!(d.value_description(624, b"1"), Some("a\tb\\c"));
}

#[test]
fn compact_form_errors_name_the_line_and_the_reason() {
    let head = "fixdict 1\nfix\tFIX\t4\t4\t0\n";
    let cases: &[(&str, u32, &str)] = &[
        ("# comment\n\nnot it\n", 3, "not a compact dictionary"),
        ("F\t1\tA\tINT\t1\t2\t3\n", 3, "too many columns"),
        ("fix\tFIX\t4\t4\t0\n", 3, "unrecognised line"),
        ("F\t1\tA\tNOPE\n", 3, "bad type"),
        ("F\tx\tA\tINT\n", 3, "bad tag"),
        ("V\t1\tONE\n", 3, "value before any field"),
        ("H\ng\t1\tN\nT\n", 5, "unterminated group"),
        ("H\ng\t1\tN\nC\tX\n", 5, "unterminated group"),
        ("H\ng\t1\tN\nM\tD\tX\tapp\n", 5, "unterminated group"),
        ("M\tD\tX\tbiz\n", 3, "bad msgcat"),
        ("f\t1\tY\n", 3, "item outside a section"),
        ("c\tX\tY\n", 3, "item outside a section"),
        ("g\t1\tY\n", 3, "item outside a section"),
        ("H\nf\t1\tMaybe\n", 4, "bad required flag"),
        ("H\ne\n", 4, "group end without group"),
        ("H\nq\n", 4, "unrecognised line"),
        ("H\ng\t1\tN\nf\t2\tY\n", 5, "unterminated group"),
    ];
    for &(body, line, reason) in cases {
        let text = if body.starts_with('#') {
            body.to_string()
        } else {
            format!("{head}{body}")
        };
        let e = compact::load(&text).unwrap_err();
        assert!(
            matches!(e, DictionaryError::Compact { line: l, reason: r } if l == line && r == reason),
            "{body:?}: {e}"
        );
    }
    let e = compact::load("fixdict 1\nH\n").unwrap_err();
    assert!(
        matches!(
            e,
            DictionaryError::Compact {
                line: 1,
                reason: "no fix line"
            }
        ),
        "{e}"
    );
    let e = compact::load(&format!("{head}M\tD\tX\tbad\\q\tapp\n")).unwrap_err();
    assert!(matches!(e, DictionaryError::Compact { line: 3, .. }), "{e}");
    // Every item kind lands in its section and group.
    let d = compact::load(&format!(
        "{head}F\t1\tA\tINT\nV\t1\tONE\nF\t2\tB\tNUMINGROUP\nF\t8\tBeginString\tSTRING\n\
         F\t9\tBodyLength\tLENGTH\nF\t35\tMsgType\tSTRING\nF\t10\tCheckSum\tSTRING\n\
         H\nf\t8\tY\nf\t9\tY\nf\t35\tY\nT\nf\t10\tY\nC\tComp\nf\t1\tN\n\
         M\tD\tOrder\tapp\nc\tComp\tY\ng\t2\tN\nf\t1\tY\ne\n"
    ))
    .unwrap();
    assert_eq!(d.value_description(1, b"1"), Some("ONE"));
}
