//! `fixctl decode` on known messages: the exact text of an
//! ExecutionReport with a repeating group, a NewOrderSingle typed with `|`,
//! a MarketDataSnapshotFullRefresh (35=W) with its entries, and garbled
//! input; plus JSON, FIXT.1.1 versions, data fields and `--dict`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn fixctl(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fixctl");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("fixctl output")
}

fn decode_file(name: &str) -> (String, Output) {
    let out = fixctl(&["decode", &format!("{DATA}/{name}")], None);
    (
        String::from_utf8(out.stdout.clone()).expect("UTF-8 output"),
        out,
    )
}

/// Expected text, written after a newline for readability.
fn expected(text: &str) -> &str {
    text.strip_prefix('\n').unwrap_or(text)
}

#[test]
fn execution_report_with_parties_from_a_quickfix_log() {
    let (text, out) = decode_file("er.log");
    assert!(out.status.success());
    assert_eq!(text, expected(ER));
}

#[test]
fn new_order_single_with_bars_and_escaped_text() {
    let (text, out) = decode_file("nos.txt");
    assert!(out.status.success());
    assert_eq!(text, expected(NOS));
}

#[test]
fn market_data_snapshot_with_entries() {
    let (text, out) = decode_file("md.txt");
    assert!(out.status.success());
    assert_eq!(text, expected(MD));
}

#[test]
fn garbled_input_is_reported_per_message_and_decoding_goes_on() {
    let (text, out) = decode_file("garbled.txt");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text, expected(GARBLED));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "fixctl: 3 of 4 messages garbled\n"
    );
}

#[test]
fn standard_input_is_read_when_no_file_is_given() {
    let md = std::fs::read(format!("{DATA}/md.txt")).unwrap();
    let out = fixctl(&["decode"], Some(&md));
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected(MD));
}

#[test]
fn data_fields_are_shown_escaped() {
    let (text, out) = decode_file("data.log");
    assert!(out.status.success());
    assert!(
        text.contains("  RawData(96)       = a\\x01b\\x02c=d\n"),
        "{text}"
    );
    assert!(text.contains("  Username(553)     = user\n"), "{text}");
}

#[test]
fn fixt_messages_take_the_version_of_the_logon() {
    let (text, out) = decode_file("fixt.log");
    assert!(out.status.success());
    // DefaultApplVerID(1137)=9 on the Logon: the 35=W after it is named
    // from FIX 5.0 SP2, where MDEntryType 2 is TRADE.
    assert!(text.contains("[2] line 2, 20240115-10:30:01.000: MarketDataSnapshotFullRefresh (FIXT.1.1) VENUE -> CLIENT #2 [FIX.5.0SP2]"), "{text}");
    assert!(
        text.contains("    1. MDEntryType(269) = 2 (TRADE)\n"),
        "{text}"
    );
}

#[test]
fn json_gives_one_object_per_message_with_nested_entries() {
    let out = fixctl(&["decode", "--json", &format!("{DATA}/md.txt")], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let line = lines[0];
    assert!(line.starts_with(r#"{"message":1,"line":1,"begin_string":"FIX.4.4","msg_type":"W","msg_type_name":"MarketDataSnapshotFullRefresh","dictionary":"FIX.4.4","garbled":false,"warnings":[],"fields":["#), "{line}");
    assert!(line.contains(r#"{"tag":268,"name":"NoMDEntries","value":"2","entries":[[{"tag":269,"name":"MDEntryType","value":"0","meaning":"BID"},{"tag":270,"name":"MDEntryPx","value":"1.0834"},{"tag":271,"name":"MDEntrySize","value":"5000000"}],[{"tag":269,"name":"MDEntryType","value":"1","meaning":"OFFER"}"#), "{line}");
    assert!(
        line.ends_with(r#"{"tag":10,"name":"CheckSum","value":"239"}]}"#),
        "{line}"
    );
}

#[test]
fn json_reports_garbled_lines() {
    let out = fixctl(&["decode", "--json", &format!("{DATA}/garbled.txt")], None);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[1],
        r#"{"message":2,"line":2,"time":"20240115-10:30:02.000","error":"no FIX message (8=FIX...) in this line","raw":"Created session"}"#
    );
    assert!(lines[3].contains(r#""garbled":true,"warnings":["garbled: CheckSum(10) is 000 but the message sums to 066"]"#), "{}", lines[3]);
}

#[test]
fn a_dictionary_file_replaces_the_built_in_one() {
    // The QuickFIX dictionaries committed in the repository's spec/.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dict = manifest.join("../spec/FIX44.xml");
    let dict = dict.to_str().expect("UTF-8 path");
    let out = fixctl(&["decode", "--dict", dict, &format!("{DATA}/md.txt")], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected(MD));
}

#[test]
fn a_missing_dictionary_file_is_one_line_and_an_error() {
    let out = fixctl(&["decode", "--dict", "/nonexistent/FIX44.xml"], Some(b""));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("fixctl: error: cannot read dictionary /nonexistent/FIX44.xml: "),
        "{err}"
    );
}

#[test]
fn a_directory_is_named_in_the_error() {
    let out = fixctl(&["decode", DATA], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!("fixctl: error: cannot read {DATA}: it is a directory\n")
    );
    assert!(out.stdout.is_empty());
}

const ER: &str = r#"
[1] line 1, 20240115-10:30:00.123: ExecutionReport (FIX.4.4) BROKER -> CLIENT #12
  BeginString(8)          = FIX.4.4
  BodyLength(9)           = 230
  MsgType(35)             = 8 (ExecutionReport)
  SenderCompID(49)        = BROKER
  TargetCompID(56)        = CLIENT
  MsgSeqNum(34)           = 12
  SendingTime(52)         = 20240115-10:30:00.123
  OrderID(37)             = ORD-7781
  ExecID(17)              = EXEC-1
  ClOrdID(11)             = CL-1
  NoPartyIDs(453)         = 2
    1. PartyID(448)       = BRKR
       PartyIDSource(447) = D (PROPRIETARY)
       PartyRole(452)     = 1 (EXECUTING_FIRM)
    2. PartyID(448)       = DESK-9
       PartyIDSource(447) = D (PROPRIETARY)
       PartyRole(452)     = 3 (CLIENT_ID)
  ExecType(150)           = F (TRADE)
  OrdStatus(39)           = 2 (FILLED)
  Symbol(55)              = EUR/USD
  Side(54)                = 1 (BUY)
  OrderQty(38)            = 1000000
  LastQty(32)             = 1000000
  LastPx(31)              = 1.08345
  LeavesQty(151)          = 0
  CumQty(14)              = 1000000
  AvgPx(6)                = 1.08345
  ExecInst(18)            = 2 6 (WORK, PARTICIPATE_DO_NOT_INITIATE)
  CheckSum(10)            = 060

"#;

const NOS: &str = r#"
[1] line 1: NewOrderSingle (FIX.4.2) CLIENT -> BROKER #7
  BeginString(8)   = FIX.4.2
  BodyLength(9)    = 149
  MsgType(35)      = D (NewOrderSingle)
  SenderCompID(49) = CLIENT
  TargetCompID(56) = BROKER
  MsgSeqNum(34)    = 7
  SendingTime(52)  = 20240115-10:29:59.987
  ClOrdID(11)      = CL-1
  HandlInst(21)    = 1 (AUTOMATED_EXECUTION_NO_INTERVENTION)
  Symbol(55)       = IBM
  Side(54)         = 2 (SELL)
  TransactTime(60) = 20240115-10:29:59.986
  OrderQty(38)     = 500
  OrdType(40)      = 2 (LIMIT)
  Price(44)        = 187.25
  TimeInForce(59)  = 0 (DAY)
  Text(58)         = limit é\x1b[31m
  CheckSum(10)     = 184

"#;

const MD: &str = r#"
[1] line 1: MarketDataSnapshotFullRefresh (FIX.4.4) FEED -> CLIENT #3
  BeginString(8)        = FIX.4.4
  BodyLength(9)         = 137
  MsgType(35)           = W (MarketDataSnapshotFullRefresh)
  SenderCompID(49)      = FEED
  TargetCompID(56)      = CLIENT
  MsgSeqNum(34)         = 3
  SendingTime(52)       = 20240115-10:30:01.000
  MDReqID(262)          = MD-1
  Symbol(55)            = EUR/USD
  NoMDEntries(268)      = 2
    1. MDEntryType(269) = 0 (BID)
       MDEntryPx(270)   = 1.0834
       MDEntrySize(271) = 5000000
    2. MDEntryType(269) = 1 (OFFER)
       MDEntryPx(270)   = 1.0836
       MDEntrySize(271) = 2000000
  CheckSum(10)          = 239

"#;

const GARBLED: &str = r#"
[1] line 1: NewOrderSingle (FIX.4.4)
  ! garbled: incomplete: BodyLength(9) says 62 bytes but only 24 are there
  BeginString(8)   = FIX.4.4
  BodyLength(9)    = 40
  MsgType(35)      = D (NewOrderSingle)
  SenderCompID(49) = X

[2] line 2, 20240115-10:30:02.000: garbled: no FIX message (8=FIX...) in this line
  raw: Created session

[3] line 3: Heartbeat (FIX.4.4) A -> B #2
  BeginString(8)   = FIX.4.4
  BodyLength(9)    = 45
  MsgType(35)      = 0 (Heartbeat)
  SenderCompID(49) = A
  TargetCompID(56) = B
  MsgSeqNum(34)    = 2
  SendingTime(52)  = 20240115-10:30:02.000
  CheckSum(10)     = 062

[4] line 3: Heartbeat (FIX.4.4) A -> B #3
  ! garbled: CheckSum(10) is 000 but the message sums to 066
  BeginString(8)   = FIX.4.4
  BodyLength(9)    = 45
  MsgType(35)      = 0 (Heartbeat)
  SenderCompID(49) = A
  TargetCompID(56) = B
  MsgSeqNum(34)    = 3
  SendingTime(52)  = 20240115-10:30:32.000
  CheckSum(10)     = 000

"#;
