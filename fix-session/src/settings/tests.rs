use super::*;
use fixrs_proto::UtcTimestamp;

fn parse(text: &str) -> Result<Settings, SettingsError> {
    Settings::parse(text)
}

fn err(text: &str) -> SettingsError {
    match parse(text) {
        Ok(settings) => panic!("expected an error, got {settings:?}"),
        Err(e) => e,
    }
}

fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> UtcTimestamp {
    UtcTimestamp::from_ymd_hms_nanos(y, mo, d, h, mi, s, 0).expect("valid test time")
}

fn tod(h: u32, m: u32, s: u32) -> TimeOfDay {
    TimeOfDay::from_hms(h, m, s).expect("valid time of day")
}

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
SocketConnectHost=primary.example.com
SocketConnectPort=9876
SocketConnectHost1=backup1.example.com
SocketConnectPort1=9877
SocketConnectHost2=::1
SocketConnectPort2=9878
SocketNodelay=N
SocketSendBufferSize=262144
SocketReceiveBufferSize=131072
SocketKeepAlive=Y
ReconnectInterval=5
Reconnect.MaxTries=10
FileStorePath=store
FileStoreSync=250
FileStoreMaxMessages=1000000
FileLogPath=log
SocketUseSSL=Y
SSLProtocol=all -TLSv1_2 -SSLv3
SSLCipherSuite=TLS13_AES_256_GCM_SHA384:TLS13_CHACHA20_POLY1305_SHA256
ServerCertificateFile=certs/server.pem
ServerCertificateKeyFile=certs/server.key
ClientCertificateFile=certs/client.pem
ClientCertificateKeyFile=certs/client.key
CertificationAuthoritiesFile=certs/ca.pem
CertificateVerifyLevel=1
SSLServerName=fix.example.com
SSLValidateCertificates=N
ValidateUnorderedGroupFields=N
LogonTime=18:00:00
LogoutTime=16:00:00
SocketConnectSourceHost=10.0.0.5
SocketConnectSourcePort=40000
SocketConnectSourceHost1=10.0.0.6
SocketConnectSourcePort2=40002
HostSelectionPolicy=PRIORITY
HostSelectionPolicyPriorityStartOverInterval=60
AllowedRemoteAddresses=127.0.0.1, ::1
SocketReuseAddress=N
TLSCipherSuites=TLS13_AES_128_GCM_SHA256
CertificationAuthoritiesDirectory=certs/ca
CertificateRevocationListFile=certs/ca.crl
CertificateRevocationListDirectory=certs/crl
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
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
Reconnect.Interval=1500
MillisecondsInTimeStamp=N
LogonTag.1408=FIX.5.0SP2
LateDelivery=reject
FileStoreSync=Y
StartTime=08:00:00 Europe/London
EndTime=16:30:00
StartDay=
EndDay=
Weekdays=Mon,Tue,Wed,Thu,Fri
SSLEnable=N
";

#[test]
fn full_file_with_default_inheritance_and_two_sessions() {
    let settings = parse(FULL).expect("valid file");
    assert_eq!(settings.sessions.len(), 2);
    let warned: Vec<(usize, &str)> = settings
        .warnings
        .iter()
        .map(|w| (w.line, w.key.as_str()))
        .collect();
    assert_eq!(
        warned,
        [
            (92, "FileLogBackupPath"),
            (93, "HttpAcceptPort"),
            (94, "PreserveMessageFieldsOrder"),
            (95, "RefreshOnLogon"),
            (96, "SendResetSeqNumFlag"),
            (97, "ScreenLogShowIncoming"),
            (98, "ScreenLogShowOutgoing"),
            (99, "ScreenLogShowEvents"),
            (100, "MySQLStoreHost"),
            (101, "PostgreSQLLogEventTable"),
            (102, "OdbcStoreConnectionString"),
        ],
        "one warning per QuickFIX key without effect, inherited or not"
    );

    let init = &settings.sessions[0];
    assert_eq!(init.line, 104);
    let c = &init.config;
    assert_eq!(c.role, Role::Initiator);
    assert_eq!(c.version, FixVersion::Fix44);
    assert_eq!(c.sender_comp_id, "CLIENT");
    assert_eq!(c.sender_sub_id.as_deref(), Some("DESK"));
    assert_eq!(c.sender_location_id.as_deref(), Some("LDN"));
    assert_eq!(c.target_comp_id, "BROKER");
    assert_eq!(c.target_sub_id.as_deref(), Some("GW"));
    assert_eq!(c.target_location_id.as_deref(), Some("NY"));
    assert_eq!(c.session_qualifier.as_deref(), Some("main"));
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
        init.connect,
        ConnectSettings {
            source_addresses: vec![
                Some(SourceAddress {
                    host: Some("10.0.0.5".into()),
                    port: 40000
                }),
                Some(SourceAddress {
                    host: Some("10.0.0.6".into()),
                    port: 0
                }),
                Some(SourceAddress {
                    host: None,
                    port: 40002
                }),
            ],
            host_selection: HostSelectionPolicy::Priority {
                start_over: Duration::from_secs(60)
            },
        }
    );
    assert_eq!(
        init.allowed_remote_addresses,
        vec![
            "127.0.0.1".parse::<IpAddr>().expect("ip"),
            "::1".parse::<IpAddr>().expect("ip")
        ]
    );
    assert_eq!(
        init.endpoint,
        Endpoint::Connect(vec![
            HostPort {
                host: "primary.example.com".into(),
                port: 9876
            },
            HostPort {
                host: "backup1.example.com".into(),
                port: 9877
            },
            HostPort {
                host: "::1".into(),
                port: 9878
            },
        ])
    );
    if let Endpoint::Connect(addresses) = &init.endpoint {
        assert_eq!(addresses[2].to_string(), "[::1]:9878");
    }
    assert_eq!(
        init.socket,
        SocketOptions {
            nodelay: false,
            send_buffer_size: Some(262_144),
            receive_buffer_size: Some(131_072),
            keep_alive: true,
            reuse_address: false,
        }
    );
    assert_eq!(
        init.store,
        StoreSettings {
            file_store_path: Some("store".into()),
            sync: StoreSync::Every(Duration::from_millis(250)),
            max_messages: Some(1_000_000),
        }
    );
    assert_eq!(init.file_log_path, Some(PathBuf::from("log")));
    assert_eq!(
        init.dictionaries,
        DictionarySettings {
            data_dictionary: Some("spec/FIX44.xml".into()),
            transport_data_dictionary: Some("spec/FIXT11.xml".into()),
            app_data_dictionary: Some("spec/FIX50SP2.xml".into()),
            lines: [40, 41, 42],
            ..DictionarySettings::default()
        }
    );
    assert_eq!(
        init.tls,
        Some(TlsSettings {
            protocols: TlsProtocols {
                tls12: false,
                tls13: true
            },
            cipher_suites: vec![
                "TLS13_AES_256_GCM_SHA384".into(),
                "TLS13_CHACHA20_POLY1305_SHA256".into()
            ],
            tls13_cipher_suites: vec!["TLS13_AES_128_GCM_SHA256".into()],
            server_certificate_file: Some("certs/server.pem".into()),
            server_certificate_key_file: Some("certs/server.key".into()),
            client_certificate_file: Some("certs/client.pem".into()),
            client_certificate_key_file: Some("certs/client.key".into()),
            certification_authorities_file: Some("certs/ca.pem".into()),
            certification_authorities_directory: Some("certs/ca".into()),
            certificate_revocation_list_file: Some("certs/ca.crl".into()),
            certificate_revocation_list_directory: Some("certs/crl".into()),
            certificate_verify_level: CertificateVerifyLevel::Required,
            server_name: Some("fix.example.com".into()),
            validate_certificates: false,
        })
    );

    let acc = &settings.sessions[1];
    assert_eq!(acc.line, 111);
    let c = &acc.config;
    assert_eq!(c.role, Role::Acceptor);
    assert_eq!(c.version, FixVersion::Fix50Sp1);
    assert_eq!(c.sender_comp_id, "VENUE");
    assert_eq!(c.sender_sub_id, None, "an empty value clears the default");
    assert_eq!(c.sender_location_id.as_deref(), Some("LDN"));
    assert_eq!(c.target_comp_id, "MEMBER");
    assert_eq!(c.target_sub_id, None);
    assert_eq!(c.session_qualifier, None);
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
    assert_eq!(
        acc.endpoint,
        Endpoint::Accept(HostPort {
            host: "127.0.0.1".into(),
            port: 0
        })
    );
    assert_eq!(acc.store.sync, StoreSync::Always);
    assert_eq!(acc.tls, None);
    assert_eq!(
        settings
            .session(&acc.config.key())
            .map(|s| s.config.target_comp_id.as_str()),
        Some("MEMBER")
    );
}

const BASE: &str = "\
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=ME
TargetCompID=YOU
HeartBtInt=30
SocketConnectHost=127.0.0.1
SocketConnectPort=5001
SocketAcceptPort=5002
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
        "SocketConnectHost<n>" => "SocketConnectPort1=9000\n",
        "SocketConnectPort<n>" => "SocketConnectHost1=backup\n",
        "SocketAcceptHost" | "SocketAcceptPort" => "ConnectionType=acceptor\n",
        "ServerCertificateFile" => "SocketUseSSL=Y\nServerCertificateKeyFile=k.pem\nConnectionType=acceptor\n",
        "ServerCertificateKeyFile" => "SocketUseSSL=Y\nServerCertificateFile=c.pem\nConnectionType=acceptor\n",
        "ClientCertificateFile" => "SocketUseSSL=Y\nClientCertificateKeyFile=k.pem\n",
        "ClientCertificateKeyFile" => "SocketUseSSL=Y\nClientCertificateFile=c.pem\n",
        "CertificateVerifyLevel" => "SocketUseSSL=Y\nConnectionType=acceptor\nServerCertificateFile=c.pem\nServerCertificateKeyFile=k.pem\nCertificationAuthoritiesFile=ca.pem\n",
        "SSLProtocol" | "SSLCipherSuite" | "CertificationAuthoritiesFile" | "SSLServerName"
        | "SSLValidateCertificates" | "TLSCipherSuites" | "CertificationAuthoritiesDirectory"
        | "CertificateRevocationListFile" | "CertificateRevocationListDirectory" => {
            "SocketUseSSL=Y\n"
        }
        "LogonTime" => "LogoutTime=17:00:00\n",
        "AppDataDictionary.<ApplVerID>" => "BeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0\n",
        "LogoutTime" => "LogonTime=08:00:00\n",
        "LogonDay" => "StartTime=08:00:00\nEndTime=17:00:00\nLogoutDay=Friday\n",
        "LogoutDay" => "StartTime=08:00:00\nEndTime=17:00:00\nLogonDay=Monday\n",
        "SocketConnectSourceHost<n>" | "SocketConnectSourcePort<n>" => {
            "SocketConnectHost1=backup\nSocketConnectPort1=9000\n"
        }
        _ => "",
    }
}

#[test]
fn every_documented_key_is_accepted_with_its_example() {
    let options = ParseOptions {
        local_time_zone: TimeZone::named("Asia/Tokyo"),
    };
    for info in KEYS {
        let (key, _) = info.example.split_once('=').expect("example is Key=Value");
        let pattern = info
            .key
            .replace("<n>", "1")
            .replace("<tag>", "1408")
            .replace("<ApplVerID>", "FIX.4.4");
        match pattern.strip_suffix("...") {
            // A family of QuickFIX keys: the example is one of them.
            Some(prefix) => assert!(key.starts_with(prefix), "example of {}", info.key),
            None => assert_eq!(key, pattern, "example of {}", info.key),
        }
        let text = format!(
            "{BASE}[SESSION]\n{}{}\n",
            companions(info.key),
            info.example
        );
        if let Err(e) = Settings::parse_with(&text, &options) {
            panic!("{}: {e}\n{text}", info.example);
        }
        for field in [info.key, info.group, info.default, info.meaning] {
            assert!(!field.contains('|') && !field.is_empty(), "{}", info.key);
        }
    }
}

#[test]
fn reference_table_matches_module_doc() {
    let table = reference_table();
    for info in KEYS {
        assert!(
            table.contains(&format!("| `{}` |", info.key)),
            "{}",
            info.key
        );
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/settings/reference.md");
    if std::env::var_os("FIX_SETTINGS_BLESS").is_some() {
        std::fs::write(path, &table).expect("write reference");
    }
    assert_eq!(
        include_str!("reference.md"),
        table,
        "src/settings/reference.md is stale: run the tests with FIX_SETTINGS_BLESS=1"
    );
}

#[test]
fn defaults_when_keys_are_absent() {
    let text = format!("{BASE}[SESSION]\n");
    let settings = parse(&text).expect("valid");
    let s = &settings.sessions[0];
    let mut expected = SessionConfig::initiator(FixVersion::Fix44, "ME", "YOU");
    expected.heart_bt_int = 30;
    assert_eq!(s.config, expected);
    assert_eq!(s.socket, SocketOptions::default());
    assert!(s.socket.nodelay);
    assert_eq!(s.store, StoreSettings::default());
    assert_eq!(s.file_log_path, None);
    assert_eq!(s.dictionaries, DictionarySettings::default());
    assert_eq!(s.tls, None);
    assert_eq!(s.config.schedule, None);

    let acceptor = "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.2\nSenderCompID=A\nTargetCompID=B\nSocketAcceptPort=7000\n";
    let settings = parse(acceptor).expect("valid");
    let s = &settings.sessions[0];
    assert_eq!(s.config.heart_bt_int, 30, "acceptors need no HeartBtInt");
    assert_eq!(
        s.endpoint,
        Endpoint::Accept(HostPort {
            host: "0.0.0.0".into(),
            port: 7000
        })
    );
}

#[test]
fn empty_file_and_default_only_file_have_no_sessions() {
    assert_eq!(parse("").expect("valid").sessions, vec![]);
    assert_eq!(parse(BASE).expect("valid").sessions, vec![]);
    assert_eq!(
        parse("\u{feff}# only a comment\r\n\r\n")
            .expect("valid")
            .sessions,
        vec![]
    );
}

#[test]
fn default_section_applies_wherever_it_stands() {
    let text = "[SESSION]\nTargetCompID=LATE\n[DEFAULT]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=ME\nHeartBtInt=5\nSocketConnectHost=h\nSocketConnectPort=1\n";
    let settings = parse(text).expect("valid");
    assert_eq!(settings.sessions[0].config.sender_comp_id, "ME");
    assert_eq!(settings.sessions[0].config.heart_bt_int, 5);
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
        ("LogonTimeout=0", "LogonTimeout", "a positive whole number of seconds"),
        ("SocketConnectPort=70000", "SocketConnectPort", "a port number from 1 to 65535"),
        ("SocketConnectPort=0", "SocketConnectPort", "a port number from 1 to 65535"),
        ("MaxMessageSize=0", "MaxMessageSize", "a positive number of bytes"),
        ("ResendRequestChunkSize=1e3", "ResendRequestChunkSize", "a whole number"),
        ("Reconnect.MaxTries=lots", "Reconnect.MaxTries", "a whole number, negative for no limit"),
        ("TestRequestDelayMultiplier=-1", "TestRequestDelayMultiplier", "a number of 0 or more, such as 0.5"),
        ("TestRequestDelayMultiplier=NaN", "TestRequestDelayMultiplier", "a number of 0 or more, such as 0.5"),
        ("TimestampPrecision=4", "TimestampPrecision", "0, 3, 6 or 9"),
        ("LateDelivery=later", "LateDelivery", "queue, reject, or a positive time to live in milliseconds"),
        ("LateDeliveryMode=fifo", "LateDeliveryMode", "resend or queue"),
        ("FileStoreSync=0", "FileStoreSync", "Y, N, or a positive number of milliseconds"),
        ("CertificateVerifyLevel=3", "CertificateVerifyLevel", "0 (no client certificate), 1 (required) or 2 (optional)"),
        ("StartTime=25:00:00", "StartTime", "HH:MM:SS, optionally followed by a time zone"),
        ("StartTime=08:00:00 Mars/Base", "StartTime", "HH:MM:SS, optionally followed by a time zone"),
        ("StartDay=Funday", "StartDay", "a day of the week, such as Monday or mo"),
        ("TimeZone=Nowhere/City", "TimeZone", "UTC, an offset such as +05:30, or an IANA name such as America/New_York"),
        ("BeginString=FIX.4.5", "BeginString", "FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1"),
        ("DefaultApplVerID=FIX.4.4", "DefaultApplVerID", "FIX.5.0, FIX.5.0SP1, FIX.5.0SP2 (or 7, 8, 9)"),
        ("ConnectionType=server", "ConnectionType", "initiator or acceptor"),
        ("SSLProtocol=+SSLv3", "SSLProtocol", "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version"),
        ("SSLProtocol=all -TLSv1_2 -TLSv1_3", "SSLProtocol", "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version"),
        ("SenderCompID=A\u{1}B", "SenderCompID", "text without control characters"),
        ("SupportedMsgTypes=D,,F", "SupportedMsgTypes", "MsgType values separated by commas"),
        ("RejectUnknownMsgTypes=maybe", "RejectUnknownMsgTypes", "Y or N"),
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
        "SocketConnectHost=h",
        "SocketConnectPort=1",
    ];
    let whys = [
        "required",
        "required",
        "required",
        "required",
        "required for initiators",
        "required for initiators",
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

    let acceptor =
        "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n";
    assert_eq!(
        err(acceptor).to_string(),
        "line 1: missing SocketAcceptPort (required for acceptors)"
    );
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
    assert_eq!(parse(&distinct_by_sub_id).expect("valid").sessions.len(), 2);
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
        parse(&overridden).expect("valid").sessions[0]
            .config
            .heart_bt_int,
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
fn alternate_addresses_need_both_halves() {
    let e = err(&format!("{BASE}[SESSION]\nSocketConnectHost3=backup\n"));
    assert_eq!(
        e.to_string(),
        "line 11: missing SocketConnectPort3 (required with SocketConnectHost3)"
    );
    let e = err(&format!("{BASE}SocketConnectPort2=99\n[SESSION]\n"));
    assert_eq!(
        e.to_string(),
        "line 10: missing SocketConnectHost2 (required with SocketConnectPort2)"
    );
    // Alternates merge half by half with [DEFAULT], and come in number order.
    let text = format!(
        "{BASE}SocketConnectPort10=100\nSocketConnectPort2=20\n[SESSION]\nSocketConnectHost10=ten\nSocketConnectHost2=two\n"
    );
    let settings = parse(&text).expect("valid");
    let Endpoint::Connect(addresses) = &settings.sessions[0].endpoint else {
        panic!("an initiator");
    };
    let listed: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    assert_eq!(listed, ["127.0.0.1:5001", "two:20", "ten:100"]);
}

#[test]
fn tls_requirements() {
    let acceptor = format!("{BASE}[SESSION]\nConnectionType=acceptor\nSocketUseSSL=Y\n");
    assert_eq!(
        err(&acceptor).to_string(),
        "line 10: missing ServerCertificateFile (required for acceptors with SocketUseSSL=Y)"
    );
    let no_ca = format!(
        "{BASE}[SESSION]\nConnectionType=acceptor\nSocketUseSSL=Y\nServerCertificateFile=c\nServerCertificateKeyFile=k\nCertificateVerifyLevel=2\n"
    );
    assert_eq!(
        err(&no_ca).to_string(),
        "line 15: missing CertificationAuthoritiesFile (required to verify client certificates (CertificateVerifyLevel 1 or 2))"
    );
    let half_client = format!("{BASE}[SESSION]\nSSLEnable=Y\nClientCertificateFile=c\n");
    assert_eq!(
        err(&half_client).to_string(),
        "line 12: missing ClientCertificateKeyFile (required with ClientCertificateFile)"
    );
    let plain = format!("{BASE}[SESSION]\nSSLEnable=Y\n");
    let tls = parse(&plain).expect("valid").sessions[0].tls.clone();
    assert_eq!(
        tls,
        Some(TlsSettings {
            validate_certificates: true,
            ..TlsSettings::default()
        })
    );
    assert_eq!(
        parse_tls_protocols("TLSv1.2"),
        Some(TlsProtocols {
            tls12: true,
            tls13: false
        })
    );
    assert_eq!(
        parse_tls_protocols("all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1"),
        Some(TlsProtocols::default())
    );
}

#[test]
fn schedule_settings() {
    let with = |lines: &str| format!("{BASE}[SESSION]\n{lines}\n");
    let schedule = |lines: &str| {
        parse(&with(lines)).expect("valid").sessions[0]
            .config
            .schedule
    };
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
    let local = Settings::parse_with(
        &with("StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=Y"),
        &options,
    )
    .expect("valid");
    assert_eq!(
        local.sessions[0].config.schedule.map(|s| s.time_zone()),
        options.local_time_zone
    );
}

#[test]
fn values_are_trimmed_and_case_rules_hold() {
    let text = format!("{BASE}[ Session ]\n  ResetOnLogon =  y  \nConnectionType=INITIATOR\n");
    let settings = parse(&text).expect("valid");
    assert!(settings.sessions[0].config.reset_on_logon);
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
        "SSLProtocol",
        "SSLCipherSuite",
        "LateDelivery",
        "FileStoreSync",
        "HeartBtInt",
        "LogonTag.é",
        "SocketConnectHosté",
        "TestRequestDelayMultiplier",
        "BeginString",
        "DefaultApplVerID",
        "Reconnect.MaxTries",
    ];
    let values = [
        "",
        "é",
        "+é1",
        "+aé1",
        "-",
        "+",
        "\u{1}",
        "99999999999999999999",
        "-99999999999",
        "1e400",
        "inf",
        "1.5",
        " ",
        "08:00:00 +é",
        "all +",
        "[SESSION]",
        "=",
        "Y=N",
    ];
    for key in keys {
        for value in values {
            let text =
                format!("{BASE}[SESSION]\n{key}={value}\nStartTime=00:00:00\nEndTime=00:00:00\n");
            match parse(&text) {
                Ok(_) => {}
                Err(e) => assert!(e.to_string().starts_with("line "), "{e}"),
            }
        }
    }
    for text in ["[", "]", "[]", "[=]", "\u{feff}x", "é=é", "[SESSION]\né"] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    for info in KEYS {
        let literal = !["none", "required", "the ", "every"]
            .iter()
            .any(|p| info.default.starts_with(p));
        if !literal {
            continue;
        }
        let key = info.key.replace("<n>", "1");
        let without = format!("{BASE}[SESSION]\n{}", companions(info.key));
        let with = format!("{without}{key}={}\n", info.default);
        assert_eq!(
            parse(&with).map_err(|e| e.to_string()),
            parse(&without).map_err(|e| e.to_string()),
            "{key}={}",
            info.default
        );
    }
}

#[test]
fn msg_type_policy_keys_reach_the_config() {
    let text = format!("{BASE}[SESSION]\nRejectUnknownMsgTypes=Y\nSupportedMsgTypes=D, F ,G\n");
    let settings = parse(&text).expect("parses");
    let config = &settings.sessions[0].config;
    assert!(config.reject_unknown_msg_types);
    assert_eq!(
        config.supported_msg_types.as_deref(),
        Some(&["D".to_string(), "F".to_string(), "G".to_string()][..])
    );
    let plain = parse(&format!("{BASE}[SESSION]\n")).expect("parses");
    assert!(!plain.sessions[0].config.reject_unknown_msg_types);
    assert_eq!(plain.sessions[0].config.supported_msg_types, None);
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
    let mut settings = parse(&text).expect("parses");
    assert!(settings.sessions.iter().all(|s| s.dictionary.is_none()));
    let mut reads = Vec::new();
    settings
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
    let dict = |i: usize| settings.sessions[i].dictionary.clone();
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
        let mut settings = parse(&text).expect("parses");
        let mut reads = Vec::new();
        let result = settings
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
    let settings = parse(&text).expect("parses");
    let warnings: Vec<String> = settings.warnings.iter().map(|w| w.to_string()).collect();
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
    let settings = parse(&text).expect("QuickFIX's keys load");
    assert_eq!(settings.sessions.len(), 2);
    let warnings: Vec<String> = settings.warnings.iter().map(|w| w.to_string()).collect();
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
    assert!(
        parse(&text).expect("parses").sessions[0]
            .config
            .send_next_expected_msg_seq_num
    );
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
            .map(|s| {
                (
                    s.sessions[0].config.schedule,
                    s.sessions[0].config.logon_window,
                )
            })
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
fn connection_keys_of_quickfix() {
    let parse_one = |lines: &str| {
        parse(&format!("{BASE}[SESSION]\n{lines}\n"))
            .map(|s| s.sessions[0].clone())
            .map_err(|e| e.to_string())
    };
    let s = parse_one("SocketConnectSourcePort=0\nHostSelectionPolicy=round_robin").expect("valid");
    assert_eq!(
        s.connect,
        ConnectSettings {
            source_addresses: vec![Some(SourceAddress {
                host: None,
                port: 0
            })],
            host_selection: HostSelectionPolicy::RoundRobin,
        }
    );
    assert_eq!(
        parse_one("HostSelectionPolicy=PRIORITY")
            .expect("valid")
            .connect
            .host_selection,
        HostSelectionPolicy::Priority {
            start_over: Duration::from_secs(120)
        }
    );
    assert_eq!(
        parse_one("HostSelectionPolicy=RANDOM").map(|_| ()),
        Err("line 11: bad value \"RANDOM\" for HostSelectionPolicy: expected ROUND_ROBIN or PRIORITY".to_string())
    );
    assert_eq!(
        parse_one("AllowedRemoteAddresses=127.0.0.1,localhost").map(|_| ()),
        Err("line 11: bad value \"127.0.0.1,localhost\" for AllowedRemoteAddresses: expected IP addresses separated by commas".to_string())
    );
    assert_eq!(
        parse_one("SocketConnectSourceHost2=10.0.0.1").map(|_| ()),
        Err(
            "line 11: missing SocketConnectHost2 (required with SocketConnectSourceHost2)"
                .to_string()
        )
    );
    let acceptor =
        parse_one("ConnectionType=acceptor\nAllowedRemoteAddresses=10.1.2.3\nSocketReuseAddress=N")
            .expect("valid");
    assert_eq!(
        acceptor.allowed_remote_addresses,
        vec!["10.1.2.3".parse::<IpAddr>().expect("ip")]
    );
    assert!(!acceptor.socket.reuse_address);
    assert_eq!(acceptor.connect, ConnectSettings::default());
}

#[test]
fn app_data_dictionaries_by_appl_ver_id() {
    let text = format!(
        "{BASE}[SESSION]\nBeginString=FIXT.1.1\nDefaultApplVerID=FIX.5.0SP2\n\
         AppDataDictionary.FIX.4.2=dicts/FIX42.xml\nAppDataDictionary.8=dicts/FIX50SP1.xml\n\
         AppDataDictionary.FIX.5.0SP2=dicts/FIX50SP2.xml\n"
    );
    let mut settings = parse(&text).expect("parses");
    let d = &settings.sessions[0].dictionaries;
    assert_eq!(
        d.app_data_dictionaries.keys().copied().collect::<Vec<_>>(),
        [
            FixVersion::Fix42,
            FixVersion::Fix50Sp1,
            FixVersion::Fix50Sp2
        ]
    );
    let mut reads = Vec::new();
    settings
        .load_dictionaries(spec_reader(&mut reads))
        .expect("loads");
    let s = &settings.sessions[0];
    // The qualified key of DefaultApplVerID is the default application
    // dictionary when AppDataDictionary is not given.
    let default = s.dictionary.as_deref().expect("dictionary");
    assert_eq!(default.begin_string(), "FIXT.1.1");
    assert!(default.message(b"AE").is_some());
    let versions: Vec<FixVersion> = s.app_dictionaries.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        versions,
        [
            FixVersion::Fix42,
            FixVersion::Fix50Sp1,
            FixVersion::Fix50Sp2
        ]
    );
    let fix42 = &s.app_dictionaries[0].1;
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
    let mut settings = parse(&missing).expect("parses");
    let mut reads = Vec::new();
    let e = settings
        .load_dictionaries(spec_reader(&mut reads))
        .expect_err("missing file")
        .to_string();
    assert!(
        e.starts_with("line 13: AppDataDictionary.FIX.4.4=dicts/none.xml: cannot read it"),
        "{e}"
    );
    // A FIX 4.x session has no use for them.
    let fix44 = format!("{BASE}[SESSION]\nAppDataDictionary.FIX.4.4=dicts/FIX44.xml\n");
    let settings = parse(&fix44).expect("parses");
    assert_eq!(settings.warnings.len(), 1, "{:?}", settings.warnings);
    assert_eq!(settings.warnings[0].key, "AppDataDictionary.FIX.4.4");
}
