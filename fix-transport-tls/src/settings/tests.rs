use super::*;
use fixrs_session::schedule::TimeZone;
use fixrs_session::settings::{testing, KeyDoc};

/// Each session of `text` with its TLS settings, every key checked
/// against every layer's table.
fn parse(text: &str) -> Result<Vec<(SessionSettings, Option<TlsSettings>)>, SettingsError> {
    let settings = Settings::parse_with(
        text,
        &fixrs_session::settings::ParseOptions {
            local_time_zone: TimeZone::named("Asia/Tokyo"),
        },
    )?;
    read_settings(&settings)?
        .into_iter()
        .map(|s| {
            let tls = TlsSettings::from_settings(&s)?;
            Ok((s, tls))
        })
        .collect()
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
        "ServerCertificateFile" => "SocketUseSSL=Y\nServerCertificateKeyFile=k.pem\nConnectionType=acceptor\n",
        "ServerCertificateKeyFile" => "SocketUseSSL=Y\nServerCertificateFile=c.pem\nConnectionType=acceptor\n",
        "ClientCertificateFile" => "SocketUseSSL=Y\nClientCertificateKeyFile=k.pem\n",
        "ClientCertificateKeyFile" => "SocketUseSSL=Y\nClientCertificateFile=c.pem\n",
        "CertificateVerifyLevel" => "SocketUseSSL=Y\nConnectionType=acceptor\nServerCertificateFile=c.pem\nServerCertificateKeyFile=k.pem\nCertificationAuthoritiesFile=ca.pem\n",
        _ => "SocketUseSSL=Y\n",
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
    testing::check_reference(&[KEYS], env!("CARGO_MANIFEST_DIR"), "fixrs-transport-tls");
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    testing::check_defaults(&[KEYS], session, |text| {
        parse(text)
            .map(|s| s[0].1.clone())
            .map_err(|e| e.to_string())
    });
}

#[test]
fn no_key_is_declared_by_two_layers() {
    let mut names: Vec<&str> = ALL_KEYS
        .iter()
        .flat_map(|t| t.iter())
        .flat_map(|k| k.docs())
        .map(|d| d.name)
        .collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a key declared twice");
}

/// Every TLS key in [DEFAULT], for an initiator and an acceptor.
const TLS_FILE: &str = "\
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=CLIENT
HeartBtInt=20
SocketConnectHost=primary.example.com
SocketConnectPort=9876
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
TLSCipherSuites=TLS13_AES_128_GCM_SHA256
CertificationAuthoritiesDirectory=certs/ca
CertificateRevocationListFile=certs/ca.crl
CertificateRevocationListDirectory=certs/crl

[SESSION]
TargetCompID=BROKER

[SESSION]
ConnectionType=acceptor
SenderCompID=VENUE
TargetCompID=MEMBER
SocketAcceptPort=0
SSLEnable=N
";

#[test]
fn tls_keys_with_default_inheritance_and_two_sessions() {
    let sessions = read_settings(&Settings::parse(TLS_FILE).expect("parses")).expect("valid");
    let init = &sessions[0];
    assert_eq!(
        TlsSettings::from_settings(init).expect("valid"),
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

    let acc = &sessions[1];
    assert_eq!(acc.config.id.sender_comp_id, "VENUE");
    assert_eq!(
        TlsSettings::from_settings(acc).expect("valid"),
        None,
        "SSLEnable=N switches TLS off"
    );
}

#[test]
fn bad_values_name_line_and_key() {
    let cases = [
        ("CertificateVerifyLevel=3", "CertificateVerifyLevel", "0 (no client certificate), 1 (required) or 2 (optional)"),
        ("SSLProtocol=+SSLv3", "SSLProtocol", "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version"),
        ("SSLProtocol=all -TLSv1_2 -TLSv1_3", "SSLProtocol", "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version"),
    ];
    for (line, key, expected) in cases {
        // Checked with SocketUseSSL=N too: a TLS key is never ignored.
        let text = format!("{BASE}[SESSION]\n# comment\n{line}\n");
        let value = line.split_once('=').map(|(_, v)| v).unwrap_or_default();
        assert_eq!(
            err(&text),
            SettingsError::BadValue {
                line: 12,
                key: key.into(),
                value: value.into(),
                expected: expected.into()
            },
            "{line}"
        );
    }
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
    let tls = parse(&plain).expect("valid")[0].1.clone();
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

    testing::check_odd_values(
        &keys,
        |line| format!("{BASE}[SESSION]\n{line}\nStartTime=00:00:00\nEndTime=00:00:00\n"),
        parse,
    );
}
