use super::*;
use fixrs_session::settings::{testing, KeyDoc};
use fixrs_store::Durability;

fn parse(text: &str) -> Result<Vec<SessionSettings>, SettingsError> {
    read_settings(&Settings::parse(text)?)
}

fn err(text: &str) -> SettingsError {
    match parse(text) {
        Ok(sessions) => panic!("expected an error, got {sessions:?}"),
        Err(e) => e,
    }
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
        "SocketConnectHost<n>" => "SocketConnectPort1=9000\n",
        "SocketConnectPort<n>" => "SocketConnectHost1=backup\n",
        "SocketAcceptHost" | "SocketAcceptPort" | "AcceptorTemplate" => "ConnectionType=acceptor\n",
        "SocketConnectSourceHost<n>" | "SocketConnectSourcePort<n>" => {
            "SocketConnectHost1=backup\nSocketConnectPort1=9000\n"
        }
        _ => "",
    }
}

/// A valid file up to the key's lines, with what `doc`'s key needs.
fn session(doc: &KeyDoc) -> String {
    format!("{BASE}[SESSION]\n{}", companions(doc.name))
}

#[test]
fn every_documented_key_is_accepted_with_its_example() {
    testing::check_examples(&[KEYS], session, |text| {
        parse(text).map_err(|e| e.to_string())
    });
}

#[test]
fn reference_matches_the_key_table() {
    testing::check_reference(&[KEYS], env!("CARGO_MANIFEST_DIR"), "fixrs-transport-mio");
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    testing::check_defaults(&[KEYS], session, |text| {
        parse(text)
            .map(|s| {
                let s = &s[0];
                (
                    s.endpoint.clone(),
                    s.connect.clone(),
                    s.allowed_remote_addresses.clone(),
                    s.socket,
                    s.max_outgoing_bytes,
                    s.file_log_path.clone(),
                    s.use_tls,
                )
            })
            .map_err(|e| e.to_string())
    });
}

const CONNECTIONS: &str = "\
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=CLIENT
HeartBtInt=20
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
FileStorePath=store
FileStoreSync=250
FileStoreMaxMessages=1000000
FileLogPath=log
SocketConnectSourceHost=10.0.0.5
SocketConnectSourcePort=40000
SocketConnectSourceHost1=10.0.0.6
SocketConnectSourcePort2=40002
HostSelectionPolicy=PRIORITY
HostSelectionPolicyPriorityStartOverInterval=60
AllowedRemoteAddresses=127.0.0.1, ::1
SocketReuseAddress=N
MaxOutgoingBytes=65536

[SESSION]
TargetCompID=BROKER
SocketUseSSL=Y

[SESSION]
ConnectionType=acceptor
SenderCompID=VENUE
TargetCompID=MEMBER
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
FileStoreSync=Y
SSLEnable=N
";

#[test]
fn connection_keys_with_default_inheritance_and_two_sessions() {
    let sessions = parse(CONNECTIONS).expect("valid file");
    let init = &sessions[0];
    assert_eq!(init.line, 30);
    assert_eq!(init.config.id.target_comp_id, "BROKER");
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
            tcp_nodelay: false,
            send_buffer_size: Some(262_144),
            recv_buffer_size: Some(131_072),
            keepalive: Some(KEEPALIVE_IDLE),
            reuse_address: false,
        }
    );
    assert_eq!(
        init.store,
        StoreSettings {
            file_store_path: Some("store".into()),
            durability: Durability::FsyncEvery(Duration::from_millis(250)),
            max_messages: Some(1_000_000),
        }
    );
    assert_eq!(init.file_log_path, Some(PathBuf::from("log")));
    assert_eq!(init.max_outgoing_bytes, 65_536);
    assert!(init.use_tls);

    let acc = &sessions[1];
    assert_eq!(acc.line, 34);
    assert_eq!(
        acc.endpoint,
        Endpoint::Accept(HostPort {
            host: "127.0.0.1".into(),
            port: 0
        })
    );
    assert_eq!(acc.store.durability, Durability::Fsync);
    assert!(!acc.use_tls, "SSLEnable is SocketUseSSL");
    assert_eq!(acc.section.line(), 34);
}

#[test]
fn defaults_when_keys_are_absent() {
    let s = &parse(&format!("{BASE}[SESSION]\n")).expect("valid")[0];
    assert_eq!(s.socket, SocketOptions::default());
    assert!(s.socket.tcp_nodelay);
    assert_eq!(s.store, StoreSettings::default());
    assert_eq!(s.file_log_path, None);
    assert_eq!(s.max_outgoing_bytes, DEFAULT_MAX_OUTGOING_BYTES);
    assert!(!s.use_tls);
    assert_eq!(s.dictionary, None, "loaded later");

    let acceptor = "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.2\nSenderCompID=A\nTargetCompID=B\nSocketAcceptPort=7000\n";
    let s = &parse(acceptor).expect("valid")[0];
    assert_eq!(
        s.endpoint,
        Endpoint::Accept(HostPort {
            host: "0.0.0.0".into(),
            port: 7000
        })
    );
    assert_eq!(s.connect, ConnectSettings::default());
}

#[test]
fn missing_connection_keys_name_the_section_line() {
    let session = "# header\n\n[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\n\
                   SenderCompID=ME\nTargetCompID=YOU\nHeartBtInt=30\n";
    assert_eq!(
        err(&format!("{session}SocketConnectPort=1\n")),
        SettingsError::MissingKey {
            line: 3,
            key: "SocketConnectHost".into(),
            why: "required for initiators".into()
        }
    );
    assert_eq!(
        err(&format!("{session}SocketConnectHost=h\n")).to_string(),
        "line 3: missing SocketConnectPort (required for initiators)"
    );
    let acceptor =
        "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n";
    assert_eq!(
        err(acceptor).to_string(),
        "line 1: missing SocketAcceptPort (required for acceptors)"
    );
}

#[test]
fn bad_ports_name_line_and_key() {
    for line in ["SocketConnectPort=70000", "SocketConnectPort=0"] {
        let e = err(&format!("{BASE}[SESSION]\n# comment\n{line}\n"));
        let value = line.split_once('=').map(|(_, v)| v).unwrap_or_default();
        assert_eq!(
            e,
            SettingsError::BadValue {
                line: 12,
                key: "SocketConnectPort".into(),
                value: value.into(),
                expected: "a port number from 1 to 65535".into()
            },
            "{line}"
        );
    }
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
    let sessions = parse(&text).expect("valid");
    let Endpoint::Connect(addresses) = &sessions[0].endpoint else {
        panic!("an initiator");
    };
    let listed: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    assert_eq!(listed, ["127.0.0.1:5001", "two:20", "ten:100"]);
    // A number with a leading zero is no alternate.
    let e = err(&format!("{BASE}[SESSION]\nSocketConnectHost01=h\n"));
    assert_eq!(
        e,
        SettingsError::UnknownKey {
            line: 11,
            key: "SocketConnectHost01".into(),
            suggestion: Some("SocketConnectHost<n>")
        }
    );
}

#[test]
fn connection_keys_of_quickfix() {
    let parse_one = |lines: &str| {
        parse(&format!("{BASE}[SESSION]\n{lines}\n"))
            .map(|s| s[0].clone())
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
fn socket_use_ssl_and_ssl_enable_are_one_key() {
    let e = err(&format!("{BASE}[SESSION]\nSocketUseSSL=Y\nSSLEnable=N\n"));
    assert_eq!(
        e.to_string(),
        "line 12: SSLEnable sets again what SocketUseSSL set at line 11 in the same section"
    );
    // The TLS keys themselves are the TLS crate's.
    let e = err(&format!(
        "{BASE}[SESSION]\nSocketUseSSL=Y\nSSLProtocol=all\n"
    ));
    assert_eq!(e.to_string(), "line 12: unknown key SSLProtocol");
}

#[test]
fn warnings_name_each_key_once() {
    let text = format!(
        "{BASE}HttpAcceptPort=8080\nTransportDataDictionary=spec/FIXT11.xml\n\
         [SESSION]\n[SESSION]\nTargetCompID=OTHER\n"
    );
    let settings = Settings::parse(&text).expect("parses");
    let sessions = read_settings(&settings).expect("valid");
    let keys: Vec<(usize, String)> = warnings(&settings, &sessions)
        .into_iter()
        .map(|w| (w.line, w.key))
        .collect();
    assert_eq!(
        keys,
        [
            (10, "HttpAcceptPort".to_string()),
            (11, "TransportDataDictionary".to_string())
        ]
    );
}

#[test]
fn odd_text_gives_errors_not_panics() {
    let keys = [
        "SocketConnectHosté",
        "SocketConnectPort",
        "AllowedRemoteAddresses",
    ];
    testing::check_odd_values(&keys, |line| format!("{BASE}[SESSION]\n{line}\n"), parse);
}
