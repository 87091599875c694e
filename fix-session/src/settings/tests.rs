use super::*;
use crate::config::{LateDelivery, LateDeliveryMode, Role};
use crate::dictionary::SessionDictionary;
use crate::schedule::{Schedule, TimeOfDay, TimeZone, Weekday, Weekdays};
use crate::SessionConfig;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{FixVersion, UtcTimestamp};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A file as the session layer reads it: every key checked against its
/// table, each session's configuration and dictionary files.
#[derive(Debug)]
struct Read {
    settings: Settings,
    configs: Vec<SessionConfig>,
    dictionaries: Vec<DictionarySettings>,
}

impl Read {
    /// Every session's dictionary and its dictionaries by application
    /// version, each file read once with `read`.
    #[allow(clippy::type_complexity)]
    fn load_dictionaries(
        &self,
        mut read: impl FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<
        Vec<(
            Option<SessionDictionary>,
            Vec<(FixVersion, SessionDictionary)>,
        )>,
        SettingsError,
    > {
        let mut loader = DictionaryLoader::new();
        self.configs
            .iter()
            .zip(&self.dictionaries)
            .map(|(c, d)| {
                Ok((
                    loader.load(c, d, &mut read)?,
                    loader.load_by_appl_ver_id(c, d, &mut read)?,
                ))
            })
            .collect()
    }

    /// The file's warnings, then the dictionary keys no session reads,
    /// once per key.
    fn warnings(&self) -> Vec<SettingsWarning> {
        let mut all = self.settings.warnings.clone();
        for w in self.dictionaries.iter().filter_map(|d| d.unused_key()) {
            if !all.iter().any(|seen| seen.key == w.key) {
                all.push(w.clone());
            }
        }
        all
    }
}

fn parse(text: &str) -> Result<Read, SettingsError> {
    parse_with(text, &ParseOptions::default())
}

fn parse_with(text: &str, options: &ParseOptions) -> Result<Read, SettingsError> {
    let settings = Settings::parse_with(text, options)?;
    settings.check_keys(&[KEYS])?;
    let configs = settings.session_configs()?;
    let dictionaries = settings
        .sessions
        .iter()
        .zip(&configs)
        .map(|(s, c)| DictionarySettings::from_settings(s, c))
        .collect::<Result<_, _>>()?;
    Ok(Read {
        settings,
        configs,
        dictionaries,
    })
}

fn err(text: &str) -> SettingsError {
    match parse(text) {
        Ok(read) => panic!("expected an error, got {read:?}"),
        Err(e) => e,
    }
}

fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> UtcTimestamp {
    UtcTimestamp::from_ymd_hms_nanos(y, mo, d, h, mi, s, 0).expect("valid test time")
}

fn tod(h: u32, m: u32, s: u32) -> TimeOfDay {
    TimeOfDay::from_hms(h, m, s).expect("valid time of day")
}

/// A QuickFIX-style file with every key of the session layer (the
/// connection, store and TLS keys of the complete file are the other
/// layers' and tested there).
const FULL: &str = "\
# A QuickFIX-style file using every key.
; Semicolon comments too.

[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
DefaultApplVerID=FIX.5.0SP1
SenderCompID=CLIENT
SenderSubID=DESK
SenderLocationID=LDN
HeartBtInt=20
LogonTimeout=15
LogoutTimeout=4
TestRequestDelayMultiplier=0.5
Username=trader
Password=p=ss#word
LogonTag.1408=FIX5.0SP2
LogonTag.95=4
LateDelivery=60000
MaxLateDeliveryMessages=500
ResetOnLogon=Y
ResetOnLogout=yes
ResetOnDisconnect=true
EnableNextExpectedMsgSeqNum=Y
ResendRequestChunkSize=2500
SendRedundantResendRequests=Y
PersistMessages=N
MaxOutOfOrderMessages=700
CheckCompID=N
CheckLatency=N
MaxLatency=60
MaxMessageSize=65536
ValidateLengthAndChecksum=N
UseDataDictionary=N
ValidateFieldsOutOfOrder=N
ValidateFieldsHaveValues=N
ValidateUserDefinedFields=N
AllowUnknownMsgFields=Y
TimestampPrecision=6
DataDictionary=spec/FIX44.xml
TransportDataDictionary=spec/FIXT11.xml
AppDataDictionary=spec/FIX50SP2.xml
StartTime=17:00:00
EndTime=17:00:00
StartDay=Sunday
EndDay=fr
TimeZone=America/New_York
UseLocalTime=N
NonStopSession=N
ReconnectInterval=5
Reconnect.MaxTries=10
ValidateUnorderedGroupFields=N
LogonTime=18:00:00
LogoutTime=16:00:00
FileLogBackupPath=log/backup
HttpAcceptPort=8080
PreserveMessageFieldsOrder=Y
RefreshOnLogon=Y
SendResetSeqNumFlag=Y
ScreenLogShowIncoming=N
ScreenLogShowOutgoing=N
ScreenLogShowEvents=N
MySQLStoreHost=db.example.com
PostgreSQLLogEventTable=events
OdbcStoreConnectionString=DSN=fix

[SESSION]
  TargetCompID = BROKER
TargetSubID=GW
TargetLocationID=NY
LateDeliveryMode=queue
SessionQualifier=main

[session]
ConnectionType=acceptor
BeginString=FIXT.1.1
SenderCompID=VENUE
SenderSubID=
TargetCompID=MEMBER
Reconnect.Interval=1500
MillisecondsInTimeStamp=N
LogonTag.1408=FIX.5.0SP2
LateDelivery=reject
StartTime=08:00:00 Europe/London
EndTime=16:30:00
StartDay=
EndDay=
Weekdays=Mon,Tue,Wed,Thu,Fri
";

#[test]
fn full_file_with_default_inheritance_and_two_sessions() {
    let read = parse(FULL).expect("valid file");
    assert_eq!(read.configs.len(), 2);
    let warned: Vec<(usize, String)> = read
        .warnings()
        .into_iter()
        .map(|w| (w.line, w.key))
        .collect();
    let expected: Vec<(usize, String)> = [
        (55, "FileLogBackupPath"),
        (56, "HttpAcceptPort"),
        (57, "PreserveMessageFieldsOrder"),
        (58, "RefreshOnLogon"),
        (59, "SendResetSeqNumFlag"),
        (60, "ScreenLogShowIncoming"),
        (61, "ScreenLogShowOutgoing"),
        (62, "ScreenLogShowEvents"),
        (63, "MySQLStoreHost"),
        (64, "PostgreSQLLogEventTable"),
        (65, "OdbcStoreConnectionString"),
    ]
    .into_iter()
    .map(|(line, key)| (line, key.to_string()))
    .collect();
    assert_eq!(
        warned, expected,
        "one warning per QuickFIX key without effect, inherited or not"
    );

    assert_eq!(read.settings.sessions[0].line(), 67);
    let c = &read.configs[0];
    assert_eq!(c.role, Role::Initiator);
    assert_eq!(c.version, FixVersion::Fix44);
    assert_eq!(c.id.sender_comp_id, "CLIENT");
    assert_eq!(c.id.sender_sub_id.as_deref(), Some("DESK"));
    assert_eq!(c.id.sender_location_id.as_deref(), Some("LDN"));
    assert_eq!(c.id.target_comp_id, "BROKER");
    assert_eq!(c.id.target_sub_id.as_deref(), Some("GW"));
    assert_eq!(c.id.target_location_id.as_deref(), Some("NY"));
    assert_eq!(c.id.qualifier.as_deref(), Some("main"));
    assert_eq!(c.heart_bt_int, 20);
    assert_eq!(c.logon_timeout, Duration::from_secs(15));
    assert_eq!(c.logout_timeout, Duration::from_secs(4));
    assert_eq!(c.test_request_delay_multiplier, 0.5);
    assert_eq!(c.username.as_deref(), Some("trader"));
    assert_eq!(c.password.as_deref(), Some("p=ss#word"));
    assert_eq!(
        c.logon_fields,
        vec![(95, "4".to_string()), (1408, "FIX5.0SP2".to_string())]
    );
    assert_eq!(
        c.late_delivery,
        LateDelivery::QueueFor(Duration::from_millis(60_000))
    );
    assert_eq!(c.max_late_delivery, 500);
    assert_eq!(c.late_delivery_mode, LateDeliveryMode::Queue);
    assert!(c.reset_on_logon && c.reset_on_logout && c.reset_on_disconnect);
    assert!(c.send_next_expected_msg_seq_num);
    assert_eq!(c.resend_request_chunk_size, 2500);
    assert!(c.send_redundant_resend_requests);
    assert!(!c.persist_messages);
    assert_eq!(c.max_out_of_order, 700);
    assert!(!c.check_comp_id && !c.check_latency);
    assert_eq!(c.max_latency, Duration::from_secs(60));
    assert_eq!(c.max_message_size, 65_536);
    assert!(!c.validate_checksum);
    assert!(!c.use_data_dictionary);
    assert_eq!(
        c.validation,
        fixrs_proto::validate::ValidationOptions {
            validate_fields_out_of_order: false,
            validate_fields_have_values: false,
            validate_user_defined_fields: false,
            allow_unknown_msg_fields: true,
            validate_unordered_group_fields: false,
        }
    );
    assert_eq!(c.timestamp_precision, TimePrecision::Micros);
    assert_eq!(c.reconnect_interval, Duration::from_secs(5));
    assert_eq!(c.reconnect_max_tries, 10);
    let ny = TimeZone::parse("America/New_York").expect("known zone");
    assert_eq!(
        c.schedule,
        Some(
            Schedule::weekly(
                Weekday::Sunday,
                tod(17, 0, 0),
                Weekday::Friday,
                tod(17, 0, 0)
            )
            .in_time_zone(ny)
        )
    );
    assert_eq!(
        c.logon_window,
        Some(
            Schedule::weekly(
                Weekday::Sunday,
                tod(18, 0, 0),
                Weekday::Friday,
                tod(16, 0, 0)
            )
            .in_time_zone(ny)
        ),
        "the logon window takes the period's days and time zone"
    );
    assert_eq!(
        read.dictionaries[0],
        DictionarySettings {
            data_dictionary: Some("spec/FIX44.xml".into()),
            transport_data_dictionary: Some("spec/FIXT11.xml".into()),
            app_data_dictionary: Some("spec/FIX50SP2.xml".into()),
            lines: [40, 41, 42],
            ..DictionarySettings::default()
        }
    );

    assert_eq!(read.settings.sessions[1].line(), 74);
    let c = &read.configs[1];
    assert_eq!(c.role, Role::Acceptor);
    assert_eq!(c.version, FixVersion::Fix50Sp1);
    assert_eq!(c.id.sender_comp_id, "VENUE");
    assert_eq!(
        c.id.sender_sub_id, None,
        "an empty value clears the default"
    );
    assert_eq!(c.id.sender_location_id.as_deref(), Some("LDN"));
    assert_eq!(c.id.target_comp_id, "MEMBER");
    assert_eq!(c.id.target_sub_id, None);
    assert_eq!(c.id.qualifier, None);
    assert_eq!(c.heart_bt_int, 20);
    assert_eq!(c.reconnect_interval, Duration::from_millis(1500));
    assert_eq!(c.reconnect_max_tries, 10);
    assert_eq!(c.timestamp_precision, TimePrecision::Seconds);
    assert_eq!(
        c.logon_fields,
        vec![(95, "4".to_string()), (1408, "FIX.5.0SP2".to_string())]
    );
    assert_eq!(c.late_delivery, LateDelivery::Reject);
    // Set in the other session only.
    assert_eq!(c.late_delivery_mode, LateDeliveryMode::Resend);
    let london = TimeZone::parse("Europe/London").expect("known zone");
    assert_eq!(
        c.schedule,
        Some(
            Schedule::daily_on(Weekdays::MONDAY_TO_FRIDAY, tod(8, 0, 0), tod(16, 30, 0))
                .in_time_zone(london)
        )
    );
}

const BASE: &str = "\
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=ME
TargetCompID=YOU
HeartBtInt=30
# The engine reads the connection keys;
# these lines keep the line numbers of
# the tests those keys moved with.
";

/// Lines a key's example needs beside it to make a valid session.
fn companions(key: &str) -> &'static str {
    match key {
        "DefaultApplVerID" => "BeginString=FIXT.1.1\n",
        "StartTime" => "EndTime=17:00:00\n",
        "EndTime" => "StartTime=08:00:00\n",
        "StartDay" => "StartTime=08:00:00\nEndTime=17:00:00\nEndDay=Friday\n",
        "EndDay" => "StartTime=08:00:00\nEndTime=17:00:00\nStartDay=Monday\n",
        "Weekdays" | "TimeZone" | "UseLocalTime" => "StartTime=08:00:00\nEndTime=17:00:00\n",
        "LogonTime" => "LogoutTime=17:00:00\n",
        "AppDataDictionary.<ApplVerID>" => "BeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\n",
        "LogoutTime" => "LogonTime=08:00:00\n",
        "LogonDay" => "StartTime=08:00:00\nEndTime=17:00:00\nLogoutDay=Friday\n",
        "LogoutDay" => "StartTime=08:00:00\nEndTime=17:00:00\nLogonDay=Monday\n",
        _ => "",
    }
}

/// A valid file up to the key's lines, with what `doc`'s key needs.
fn session(doc: &KeyDoc) -> String {
    format!("{BASE}[SESSION]\n{}", companions(doc.name))
}

#[test]
fn every_documented_key_is_accepted_with_its_example() {
    let options = ParseOptions {
        local_time_zone: TimeZone::named("Asia/Tokyo"),
    };
    testing::check_examples(&[KEYS], session, |text| {
        parse_with(text, &options).map_err(|e| e.to_string())
    });
}

#[test]
fn reference_table_matches_module_doc() {
    testing::check_reference(&[KEYS], env!("CARGO_MANIFEST_DIR"), "fixrs-session");
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    testing::check_defaults(&[KEYS], session, |text| {
        parse(text)
            .map(|r| (r.configs, r.dictionaries))
            .map_err(|e| e.to_string())
    });
}

#[test]
fn defaults_when_keys_are_absent() {
    let text = format!("{BASE}[SESSION]\n");
    let read = parse(&text).expect("valid");
    let mut expected = SessionConfig::initiator(FixVersion::Fix44, "ME", "YOU");
    expected.heart_bt_int = 30;
    assert_eq!(read.configs[0], expected);
    assert_eq!(read.dictionaries[0], DictionarySettings::default());
    assert_eq!(read.configs[0].schedule, None);

    let acceptor =
        "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.2\nSenderCompID=A\nTargetCompID=B\n";
    let read = parse(acceptor).expect("valid");
    assert_eq!(
        read.configs[0].heart_bt_int, 30,
        "acceptors need no HeartBtInt"
    );
}

#[test]
fn empty_file_and_default_only_file_have_no_sessions() {
    assert_eq!(parse("").expect("valid").settings.sessions, vec![]);
    assert_eq!(parse(BASE).expect("valid").settings.sessions, vec![]);
    assert_eq!(
        parse("\u{feff}# only a comment\r\n\r\n")
            .expect("valid")
            .settings
            .sessions,
        vec![]
    );
}

#[test]
fn default_section_applies_wherever_it_stands() {
    let text = "[SESSION]\nTargetCompID=LATE\n[DEFAULT]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=ME\nHeartBtInt=5\n";
    let read = parse(text).expect("valid");
    assert_eq!(read.configs[0].id.sender_comp_id, "ME");
    assert_eq!(read.configs[0].heart_bt_int, 5);
}

#[test]
fn keys_of_default_are_checked_without_sessions() {
    let e = err("[DEFAULT]\nHeartBtInt=soon\n");
    assert_eq!(
        e.to_string(),
        "line 2: bad value \"soon\" for HeartBtInt: expected a whole number of seconds"
    );
    assert_eq!(
        err("[DEFAULT]\nHeartbeatInterval=30\n").to_string(),
        "line 2: unknown key HeartbeatInterval"
    );
}

#[test]
fn the_first_problem_in_file_order_is_reported() {
    // [DEFAULT] after the session: its bad line comes later in the file.
    let text = "[SESSION]\nResetOnLogon=maybe\n[DEFAULT]\nNoSuchKey=1\n";
    assert_eq!(
        err(text).to_string(),
        "line 2: bad value \"maybe\" for ResetOnLogon: expected Y or N"
    );
    let text = "[DEFAULT]\nNoSuchKey=1\n[SESSION]\nResetOnLogon=maybe\n";
    assert_eq!(err(text).to_string(), "line 2: unknown key NoSuchKey");
}
#[test]
fn unknown_key_names_line_and_key() {
    let text = format!("{BASE}[SESSION]\nHeartbeatInterval=30\n");
    let e = err(&text);
    assert_eq!(
        e,
        SettingsError::UnknownKey {
            line: 11,
            key: "HeartbeatInterval".into(),
            suggestion: None
        }
    );
    assert_eq!(e.to_string(), "line 11: unknown key HeartbeatInterval");

    let e = err(&format!("{BASE}[SESSION]\n\nheartbtint=30\n"));
    assert_eq!(
        e.to_string(),
        "line 12: unknown key heartbtint (did you mean HeartBtInt?)"
    );
    let e = err(&format!("{BASE}[SESSION]\nLogonTag.x=1\n"));
    assert!(
        matches!(&e, SettingsError::UnknownKey { line: 11, key, .. } if key == "LogonTag.x"),
        "{e}"
    );
    let e = err(&format!("{BASE}[SESSION]\nSocketConnectHost01=h\n"));
    assert!(
        matches!(&e, SettingsError::UnknownKey { line: 11, key, .. } if key == "SocketConnectHost01"),
        "{e}"
    );
}

#[test]
fn bad_bool_names_line_key_and_expectation() {
    let e = err(&format!("{BASE}ResetOnLogon=maybe\n[SESSION]\n"));
    assert_eq!(
        e,
        SettingsError::BadValue {
            line: 10,
            key: "ResetOnLogon".into(),
            value: "maybe".into(),
            expected: "Y or N".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "line 10: bad value \"maybe\" for ResetOnLogon: expected Y or N"
    );
}

#[test]
fn bad_numbers_name_line_and_key() {
    let cases = [
        ("HeartBtInt=-5", "HeartBtInt", "a whole number of seconds"),
        ("HeartBtInt=30s", "HeartBtInt", "a whole number of seconds"),
        (
            "LogonTimeout=0",
            "LogonTimeout",
            "a positive whole number of seconds",
        ),
        (
            "MaxMessageSize=0",
            "MaxMessageSize",
            "a positive number of bytes",
        ),
        (
            "ResendRequestChunkSize=1e3",
            "ResendRequestChunkSize",
            "a whole number",
        ),
        (
            "Reconnect.MaxTries=lots",
            "Reconnect.MaxTries",
            "a whole number, negative for no limit",
        ),
        (
            "TestRequestDelayMultiplier=-1",
            "TestRequestDelayMultiplier",
            "a number of 0 or more, such as 0.5",
        ),
        (
            "TestRequestDelayMultiplier=NaN",
            "TestRequestDelayMultiplier",
            "a number of 0 or more, such as 0.5",
        ),
        ("TimestampPrecision=4", "TimestampPrecision", "0, 3, 6 or 9"),
        (
            "LateDelivery=later",
            "LateDelivery",
            "queue, reject, or a positive time to live in milliseconds",
        ),
        (
            "LateDeliveryMode=fifo",
            "LateDeliveryMode",
            "resend or queue",
        ),
        (
            "StartTime=25:00:00",
            "StartTime",
            "HH:MM:SS, optionally followed by a time zone",
        ),
        (
            "StartTime=08:00:00 Mars/Base",
            "StartTime",
            "HH:MM:SS, optionally followed by a time zone",
        ),
        (
            "StartDay=Funday",
            "StartDay",
            "a day of the week, such as Monday or mo",
        ),
        (
            "TimeZone=Nowhere/City",
            "TimeZone",
            "UTC, an offset such as +05:30, or an IANA name such as America/New_York",
        ),
        (
            "BeginString=FIX.4.5",
            "BeginString",
            "FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1",
        ),
        (
            "DefaultApplVerID=FIX.4.4",
            "DefaultApplVerID",
            "FIX.5.0, FIX.5.0SP1, FIX.5.0SP2 (or 7, 8, 9)",
        ),
        (
            "ConnectionType=server",
            "ConnectionType",
            "initiator or acceptor",
        ),
        (
            "SenderCompID=A\u{1}B",
            "SenderCompID",
            "text without control characters",
        ),
        (
            "SupportedMsgTypes=D,,F",
            "SupportedMsgTypes",
            "MsgType values separated by commas",
        ),
        (
            "RejectUnknownMsgTypes=maybe",
            "RejectUnknownMsgTypes",
            "Y or N",
        ),
    ];
    for (line, key, expected) in cases {
        let text = format!("{BASE}[SESSION]\n# comment\n{line}\n");
        let e = err(&text);
        let value = line.split_once('=').map(|(_, v)| v).unwrap_or_default();
        assert_eq!(
            e,
            SettingsError::BadValue {
                line: 12,
                key: key.into(),
                value: value.into(),
                expected: expected.into()
            },
            "{line}"
        );
        assert!(e
            .to_string()
            .starts_with(&format!("line 12: bad value {value:?} for {key}")));
    }
}

#[test]
fn missing_required_keys_name_the_section_line() {
    let full = [
        "ConnectionType=initiator",
        "BeginString=FIX.4.4",
        "SenderCompID=ME",
        "TargetCompID=YOU",
        "HeartBtInt=30",
    ];
    let whys = [
        "required",
        "required",
        "required",
        "required",
        "required for initiators",
    ];
    for (skip, why) in whys.iter().enumerate() {
        let lines: Vec<&str> = full
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let text = format!("# header\n\n[SESSION]\n{}\n", lines.join("\n"));
        let key = full[skip]
            .split_once('=')
            .map(|(k, _)| k)
            .unwrap_or_default();
        let e = err(&text);
        assert_eq!(
            e,
            SettingsError::MissingKey {
                line: 3,
                key: key.into(),
                why: (*why).into()
            }
        );
        assert_eq!(e.to_string(), format!("line 3: missing {key} ({why})"));
    }

    let fixt = format!("{BASE}\n[SESSION]\nBeginString=FIXT.1.1\n");
    assert_eq!(
        err(&fixt).to_string(),
        "line 11: missing DefaultApplVerID (required with BeginString=FIXT.1.1)"
    );
    let cleared = format!("{BASE}[SESSION]\nTargetCompID=\n");
    assert_eq!(
        err(&cleared).to_string(),
        "line 10: missing TargetCompID (required)"
    );
}

#[test]
fn key_outside_a_section() {
    let e = err("# settings\nConnectionType=initiator\n[DEFAULT]\n");
    assert_eq!(
        e,
        SettingsError::OutsideSection {
            line: 2,
            key: "ConnectionType".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "line 2: ConnectionType is outside a section (put it under [DEFAULT] or [SESSION])"
    );
}

#[test]
fn duplicate_session() {
    let text = format!("{BASE}[SESSION]\n\n[SESSION]\nSessionQualifier=b\n[SESSION]\n");
    let e = err(&text);
    assert_eq!(
        e,
        SettingsError::DuplicateSession {
            line: 14,
            session: "FIX.4.4:ME->YOU".into(),
            first_line: 10
        }
    );
    assert_eq!(
        e.to_string(),
        "line 14: session FIX.4.4:ME->YOU is already defined at line 10"
    );
    let distinct_by_sub_id = format!("{BASE}[SESSION]\n[SESSION]\nTargetSubID=X\n");
    assert_eq!(parse(&distinct_by_sub_id).expect("valid").configs.len(), 2);
}

#[test]
fn duplicate_keys_in_one_section() {
    let e = err(&format!("{BASE}[SESSION]\nHeartBtInt=10\nHeartBtInt=20\n"));
    assert_eq!(
        e.to_string(),
        "line 12: HeartBtInt sets again what HeartBtInt set at line 11 in the same section"
    );
    let e = err(&format!(
        "{BASE}[SESSION]\nReconnectInterval=10\nReconnect.Interval=2000\n"
    ));
    assert_eq!(
        e,
        SettingsError::DuplicateKey {
            line: 12,
            key: "Reconnect.Interval".into(),
            first_line: 11,
            first_key: "ReconnectInterval".into()
        }
    );
    let e = err(&format!(
        "{BASE}[SESSION]\nLogonTag.1408=a\nLogonTag.1408=b\n"
    ));
    assert!(
        matches!(
            e,
            SettingsError::DuplicateKey {
                line: 12,
                first_line: 11,
                ..
            }
        ),
        "{e}"
    );
    // The same key in [DEFAULT] and [SESSION] is inheritance, not a duplicate.
    let overridden = format!("{BASE}[SESSION]\nHeartBtInt=10\n");
    assert_eq!(
        parse(&overridden).expect("valid").configs[0].heart_bt_int,
        10
    );
}

#[test]
fn syntax_and_section_errors() {
    assert_eq!(
        err("[DEFAULT]\nthis is not a setting\n"),
        SettingsError::Syntax {
            line: 2,
            text: "this is not a setting".into()
        }
    );
    assert_eq!(
        err("[DEFAULT]\n=value\n").to_string(),
        "line 2: expected `Key=Value`, a [DEFAULT] or [SESSION] header, or a comment; found \"=value\""
    );
    assert!(matches!(
        err("[SESSION\n"),
        SettingsError::Syntax { line: 1, .. }
    ));
    assert_eq!(
        err("\n[SESSIONS]\n").to_string(),
        "line 2: unknown section [SESSIONS] (expected [DEFAULT] or [SESSION])"
    );
    assert_eq!(
        err("[DEFAULT]\n[SESSION]\n[default]\n"),
        SettingsError::DuplicateDefault {
            line: 3,
            first_line: 1
        }
    );
}

#[test]
fn reserved_logon_tags_are_refused() {
    let e = err(&format!("{BASE}[SESSION]\nLogonTag.553=me\n"));
    assert!(
        matches!(&e, SettingsError::Inconsistent { line: 11, key, .. } if key == "LogonTag.553"),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains("tag 553 is written by the session itself"));
    let e = err(&format!("{BASE}[SESSION]\nLogonTag.0=x\n"));
    assert!(
        matches!(e, SettingsError::UnknownKey { line: 11, .. }),
        "{e}"
    );
}

#[test]
fn schedule_settings() {
    let with = |lines: &str| format!("{BASE}[SESSION]\n{lines}\n");
    let schedule = |lines: &str| parse(&with(lines)).expect("valid").configs[0].schedule;
    assert_eq!(
        schedule("StartTime=22:00\nEndTime=06:00:00"),
        Some(Schedule::daily(tod(22, 0, 0), tod(6, 0, 0)))
    );
    assert_eq!(
        schedule("StartTime=08:00:00\nEndTime=17:00:00\nNonStopSession=Y"),
        None
    );
    assert_eq!(
        schedule("StartTime=09:00:00 +05:30\nEndTime=15:00:00 UTC+05:30"),
        Some(
            Schedule::daily(tod(9, 0, 0), tod(15, 0, 0))
                .in_time_zone(TimeZone::fixed(19_800).expect("in range"))
        )
    );
    let s = schedule("StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=Europe/London")
        .expect("scheduled");
    // 2024-07-01 08:00 BST is 07:00 UTC.
    assert_eq!(
        s.period_start(ts(2024, 7, 1, 12, 0, 0)),
        Some(ts(2024, 7, 1, 7, 0, 0))
    );

    let errors = [
        ("StartTime=08:00:00", "line 11: missing EndTime (required with StartTime)"),
        ("EndTime=08:00:00", "line 11: missing StartTime (required with EndTime)"),
        ("StartDay=Mon", "line 11: missing StartTime (required with StartDay)"),
        (
            "StartTime=08:00:00\nEndTime=17:00:00\nStartDay=Mon",
            "line 13: missing EndDay (required with StartDay)",
        ),
        (
            "StartTime=08:00:00\nEndTime=17:00:00\nEndDay=Fri",
            "line 13: missing StartDay (required with EndDay)",
        ),
        (
            "StartTime=08:00:00\nEndTime=17:00:00\nStartDay=Mon\nEndDay=Fri\nWeekdays=Mon",
            "line 15: Weekdays: Weekdays (a daily session) conflicts with StartDay and EndDay (a weekly session)",
        ),
        (
            "StartTime=08:00:00 Europe/London\nEndTime=17:00:00 Europe/Paris",
            "line 12: EndTime: time zone Europe/Paris differs from StartTime's Europe/London",
        ),
        (
            "StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=UTC\nUseLocalTime=Y",
            "line 14: UseLocalTime: UseLocalTime=Y conflicts with TimeZone",
        ),
        (
            "StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=Y",
            "line 13: UseLocalTime: the machine's time zone is not known here; set TimeZone to its name instead",
        ),
    ];
    for (lines, message) in errors {
        assert_eq!(err(&with(lines)).to_string(), message, "{lines}");
    }

    let options = ParseOptions {
        local_time_zone: TimeZone::named("America/New_York"),
    };
    let local = parse_with(
        &with("StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=Y"),
        &options,
    )
    .expect("valid");
    assert_eq!(
        local.configs[0].schedule.map(|s| s.time_zone()),
        options.local_time_zone
    );
}

#[test]
fn values_are_trimmed_and_case_rules_hold() {
    let text = format!("{BASE}[ Session ]\n  ResetOnLogon =  y  \nConnectionType=INITIATOR\n");
    let read = parse(&text).expect("valid");
    assert!(read.configs[0].reset_on_logon);
    let e = err(&format!("{BASE}[SESSION]\nbeginstring=FIX.4.4\n"));
    assert!(matches!(
        e,
        SettingsError::UnknownKey {
            suggestion: Some("BeginString"),
            ..
        }
    ));
}

#[test]
fn odd_text_gives_errors_not_panics() {
    let keys = [
        "TimeZone",
        "StartTime",
        "StartDay",
        "Weekdays",
        "LateDelivery",
        "HeartBtInt",
        "LogonTag.é",
        "TestRequestDelayMultiplier",
        "BeginString",
        "DefaultApplVerID",
        "Reconnect.MaxTries",
    ];

    testing::check_odd_values(
        &keys,
        |line| format!("{BASE}[SESSION]\n{line}\nStartTime=00:00:00\nEndTime=00:00:00\n"),
        parse,
    );
}

#[test]
fn msg_type_policy_keys_reach_the_config() {
    let text = format!("{BASE}[SESSION]\nRejectUnknownMsgTypes=Y\nSupportedMsgTypes=D, F ,G\n");
    let read = parse(&text).expect("parses");
    let config = &read.configs[0];
    assert!(config.reject_unknown_msg_types);
    assert_eq!(
        config.supported_msg_types.as_deref(),
        Some(&["D".to_string(), "F".to_string(), "G".to_string()][..])
    );
    let plain = parse(&format!("{BASE}[SESSION]\n")).expect("parses");
    assert!(!plain.configs[0].reject_unknown_msg_types);
    assert_eq!(plain.configs[0].supported_msg_types, None);
}

/// Reads a dictionary of the repository's spec/ folder for `name`, and
/// counts the reads.
fn spec_reader(reads: &mut Vec<PathBuf>) -> impl FnMut(&Path) -> std::io::Result<String> + '_ {
    move |path: &Path| {
        reads.push(path.to_path_buf());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        match name {
            "not-xml.xml" => Ok("this is not XML".to_string()),
            "not-a-dictionary.xml" => Ok("<html><body/></html>".to_string()),
            _ => std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../spec")
                    .join(name),
            ),
        }
    }
}

#[test]
fn dictionaries_are_loaded_once_and_shared() {
    let text = format!(
        "{BASE}DataDictionary=dicts/FIX44.xml\n\
         [SESSION]\nTargetCompID=A\n\
         [SESSION]\nTargetCompID=B\n\
         [SESSION]\nTargetCompID=C\nUseDataDictionary=N\n\
         [SESSION]\nTargetCompID=D\nDataDictionary=\n\
         [SESSION]\nTargetCompID=E\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0SP2\n\
         TransportDataDictionary=dicts/FIXT11.xml\nAppDataDictionary=dicts/FIX50SP2.xml\n\
         [SESSION]\nTargetCompID=F\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0SP2\n\
         TransportDataDictionary=dicts/FIXT11.xml\nAppDataDictionary=dicts/FIX50SP2.xml\n"
    );
    let read = parse(&text).expect("parses");
    let mut reads = Vec::new();
    let loaded = read
        .load_dictionaries(spec_reader(&mut reads))
        .expect("loads");
    assert_eq!(
        reads,
        [
            PathBuf::from("dicts/FIX44.xml"),
            PathBuf::from("dicts/FIXT11.xml"),
            PathBuf::from("dicts/FIX50SP2.xml"),
        ],
        "each file is read once"
    );
    let dict = |i: usize| loaded[i].0.clone();
    let (Some(SessionDictionary::Shared(a)), Some(SessionDictionary::Shared(b))) =
        (dict(0), dict(1))
    else {
        panic!("FIX 4.4 sessions with a file get it");
    };
    assert!(Arc::ptr_eq(&a, &b), "one dictionary for both sessions");
    assert_eq!(a.begin_string(), "FIX.4.4");
    assert_eq!(dict(2), None, "UseDataDictionary=N");
    match dict(3) {
        Some(SessionDictionary::Static(d)) => {
            assert!(std::ptr::eq(d, Dictionary::builtin(FixVersion::Fix44)))
        }
        other => panic!("the built-in dictionary without a file, not {other:?}"),
    }
    let (Some(SessionDictionary::Shared(e)), Some(SessionDictionary::Shared(f))) =
        (dict(4), dict(5))
    else {
        panic!("FIXT sessions with files get their combination");
    };
    assert!(Arc::ptr_eq(&e, &f));
    assert!(e.message(b"D").is_some() && e.message(b"A").is_some());
    assert_eq!(e.begin_string(), "FIXT.1.1");
}

#[test]
fn a_bad_dictionary_file_is_an_error_naming_the_key_and_the_file() {
    let load = |lines: &str| {
        let text = format!("{BASE}[SESSION]\n{lines}\n");
        let read = parse(&text).expect("parses");
        let mut reads = Vec::new();
        let result = read
            .load_dictionaries(spec_reader(&mut reads))
            .map_err(|e| e.to_string());
        result.expect_err("fails")
    };
    let missing = load("DataDictionary=/nowhere/FIX44-missing.xml");
    assert!(
        missing.starts_with("line 11: DataDictionary=/nowhere/FIX44-missing.xml: cannot read it: "),
        "{missing}"
    );
    let not_xml = load("DataDictionary=x/not-xml.xml");
    assert!(
        not_xml.starts_with(
            "line 11: DataDictionary=x/not-xml.xml: not a QuickFIX XML data dictionary: malformed XML at line 1"
        ),
        "{not_xml}"
    );
    let not_dictionary = load("DataDictionary=x/not-a-dictionary.xml");
    assert!(
        not_dictionary.starts_with(
            "line 11: DataDictionary=x/not-a-dictionary.xml: not a QuickFIX XML data dictionary: "
        ) && not_dictionary.contains("<html>"),
        "{not_dictionary}"
    );
    assert_eq!(
        load("DataDictionary=spec/FIX42.xml"),
        "line 11: DataDictionary=spec/FIX42.xml: a FIX.4.2 dictionary, but the session's BeginString is FIX.4.4"
    );
    assert_eq!(
        load("BeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\nTransportDataDictionary=spec/FIX50.xml"),
        "line 13: TransportDataDictionary=spec/FIX50.xml: a FIX.5.0 dictionary, not the FIXT.1.1 transport dictionary"
    );
    assert_eq!(
        load("BeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\nAppDataDictionary=spec/FIXT11.xml"),
        "line 13: AppDataDictionary=spec/FIXT11.xml: a FIXT.1.1 dictionary, not an application dictionary"
    );
}

#[test]
fn a_dictionary_key_of_the_other_kind_is_warned_about() {
    let text = format!(
        "{BASE}[SESSION]\nTransportDataDictionary=spec/FIXT11.xml\n\
         [SESSION]\nTargetCompID=T\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\nDataDictionary=spec/FIX44.xml\n"
    );
    let read = parse(&text).expect("parses");
    let warnings: Vec<String> = read.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "line 11: TransportDataDictionary has no effect: FIX 4.x sessions read DataDictionary; the built-in dictionary is used",
            "line 16: DataDictionary has no effect: FIXT.1.1 sessions read TransportDataDictionary and AppDataDictionary; the built-in dictionaries are used",
        ]
    );
}

#[test]
fn quickfix_keys_without_effect_warn_once_and_typos_stay_errors() {
    let text = format!(
        "{BASE}HttpAcceptPort=8080\nMySQLLogIncomingTable=in\n\
         [SESSION]\nTargetCompID=A\nHttpAcceptPort=8081\n\
         [SESSION]\nTargetCompID=B\n"
    );
    let read = parse(&text).expect("QuickFIX's keys load");
    assert_eq!(read.configs.len(), 2);
    let warnings: Vec<String> = read.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0]
        .starts_with("line 10: HttpAcceptPort has no effect: QuickFIX's HTML status page"));
    assert!(warnings[1]
        .starts_with("line 11: MySQLLogIncomingTable has no effect: QuickFIX's MySQL log"));
    for typo in [
        "HttpAcceptPrt=1",
        "MySQLLogIncoming=in",
        "MySQLStoreIncomingTable=x",
        "ScreenLogShowIncomming=N",
    ] {
        let text = format!("{BASE}[SESSION]\n{typo}\n");
        let e = err(&text).to_string();
        let key = typo.split('=').next().unwrap_or_default();
        assert_eq!(e, format!("line 11: unknown key {key}"), "{typo}");
    }
}

#[test]
fn send_next_expected_msg_seq_num_is_enable_next_expected_msg_seq_num() {
    let text = format!("{BASE}[SESSION]\nSendNextExpectedMsgSeqNum=Y\n");
    assert!(parse(&text).expect("parses").configs[0].send_next_expected_msg_seq_num);
    let both =
        format!("{BASE}[SESSION]\nSendNextExpectedMsgSeqNum=Y\nEnableNextExpectedMsgSeqNum=N\n");
    assert_eq!(
        err(&both).to_string(),
        "line 12: EnableNextExpectedMsgSeqNum sets again what SendNextExpectedMsgSeqNum set at line 11 in the same section"
    );
}

#[test]
fn logon_window_settings() {
    let window = |lines: &str| {
        parse(&format!("{BASE}[SESSION]\n{lines}\n"))
            .map(|s| (s.configs[0].schedule, s.configs[0].logon_window))
            .map_err(|e| e.to_string())
    };
    // Without a period: a daily window, no scheduled resets.
    assert_eq!(
        window("LogonTime=07:00:00\nLogoutTime=18:00:00"),
        Ok((None, Some(Schedule::daily(tod(7, 0, 0), tod(18, 0, 0)))))
    );
    // With one: the period's days and zone, its times by default.
    let zone = TimeZone::parse("Europe/London").expect("zone");
    assert_eq!(
        window("StartTime=06:00:00\nEndTime=20:00:00\nTimeZone=Europe/London\nWeekdays=Mon,Fri\nLogonTime=07:30:00"),
        Ok((
            Some(Schedule::daily_on(Weekdays::parse("Mon,Fri").expect("days"), tod(6, 0, 0), tod(20, 0, 0)).in_time_zone(zone)),
            Some(Schedule::daily_on(Weekdays::parse("Mon,Fri").expect("days"), tod(7, 30, 0), tod(20, 0, 0)).in_time_zone(zone)),
        ))
    );
    assert_eq!(
        window("StartTime=00:00:00\nEndTime=00:00:00\nStartDay=Sun\nEndDay=Sat\nLogonDay=Mon\nLogoutDay=Fri\nLogoutTime=17:00:00"),
        Ok((
            Some(Schedule::weekly(Weekday::Sunday, tod(0, 0, 0), Weekday::Saturday, tod(0, 0, 0))),
            Some(Schedule::weekly(Weekday::Monday, tod(0, 0, 0), Weekday::Friday, tod(17, 0, 0))),
        ))
    );
    assert_eq!(
        window("LogonTime=07:00:00"),
        Err(
            "line 11: missing LogoutTime (required with LogonTime when there is no EndTime)"
                .to_string()
        )
    );
    assert_eq!(
        window("StartTime=00:00:00\nEndTime=00:00:00\nLogonDay=Mon"),
        Err("line 13: missing LogoutDay (required with LogonDay)".to_string())
    );
    assert_eq!(
        window("LogonTime=7"),
        Err("line 11: bad value \"7\" for LogonTime: expected HH:MM:SS".to_string())
    );
}

#[test]
fn app_data_dictionaries_by_appl_ver_id() {
    let text = format!(
        "{BASE}[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0SP2\n\
         AppDataDictionary.FIX.4.2=dicts/FIX42.xml\nAppDataDictionary.8=dicts/FIX50SP1.xml\n\
         AppDataDictionary.FIX.5.0SP2=dicts/FIX50SP2.xml\n"
    );
    let read = parse(&text).expect("parses");
    let d = &read.dictionaries[0];
    assert_eq!(
        d.app_data_dictionaries.keys().copied().collect::<Vec<_>>(),
        [
            FixVersion::Fix42,
            FixVersion::Fix50Sp1,
            FixVersion::Fix50Sp2
        ]
    );
    let mut reads = Vec::new();
    let loaded = read
        .load_dictionaries(spec_reader(&mut reads))
        .expect("loads");
    let (dictionary, app_dictionaries) = &loaded[0];
    // The qualified key of DefaultApplVerID is the default application
    // dictionary when AppDataDictionary is not given.
    let default = dictionary.as_deref().expect("dictionary");
    assert_eq!(default.begin_string(), "FIXT.1.1");
    assert!(default.message(b"AE").is_some());
    let versions: Vec<FixVersion> = app_dictionaries.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        versions,
        [
            FixVersion::Fix42,
            FixVersion::Fix50Sp1,
            FixVersion::Fix50Sp2
        ]
    );
    let fix42 = &app_dictionaries[0].1;
    let nos = fix42.message(b"D").expect("NewOrderSingle");
    assert!(
        nos.layout().member(21).is_some_and(|m| m.required()),
        "FIX 4.2's HandlInst"
    );
    assert_eq!(reads.len(), 3, "each file once: {reads:?}");

    let same_version = format!(
        "{BASE}[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\n\
         AppDataDictionary.8=a.xml\nAppDataDictionary.FIX.5.0SP1=b.xml\n"
    );
    assert_eq!(
        err(&same_version).to_string(),
        "line 14: AppDataDictionary.FIX.5.0SP1 sets again what AppDataDictionary.8 set at line 13 in the same section"
    );
    for bad in [
        "AppDataDictionary.FIX.9.9=x.xml",
        "AppDataDictionary.FIXT.1.1=x.xml",
    ] {
        let text =
            format!("{BASE}[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\n{bad}\n");
        let key = bad.split('=').next().unwrap_or_default();
        assert_eq!(
            err(&text).to_string(),
            format!("line 13: unknown key {key} (did you mean AppDataDictionary.<ApplVerID>?)")
        );
    }
    let missing = format!(
        "{BASE}[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\nAppDataDictionary.6=dicts/none.xml\n"
    );
    let read = parse(&missing).expect("parses");
    let mut reads = Vec::new();
    let e = read
        .load_dictionaries(spec_reader(&mut reads))
        .expect_err("missing file")
        .to_string();
    assert!(
        e.starts_with("line 13: AppDataDictionary.FIX.4.4=dicts/none.xml: cannot read it"),
        "{e}"
    );
    // A FIX 4.x session has no use for them.
    let fix44 = format!("{BASE}[SESSION]\nAppDataDictionary.FIX.4.4=dicts/FIX44.xml\n");
    let warnings = parse(&fix44).expect("parses").warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].key, "AppDataDictionary.FIX.4.4");
}
