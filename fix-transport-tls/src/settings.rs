//! The TLS keys of a settings file (SSLProtocol, the certificate and CA
//! files ...), declared in [`KEYS`] and read into [`TlsSettings`] for the
//! sessions with SocketUseSSL=Y (a key of the engine's). [`ALL_KEYS`] is
//! every key a program running sessions over TLS or not reads;
//! [`read_settings`] reads a whole file with it.
//!
//! ```
//! use fixrs_session::Settings;
//! use fixrs_transport_tls::settings::{read_settings, TlsSettings};
//!
//! let text = "
//! [SESSION]
//! ConnectionType=initiator
//! BeginString=FIX.4.4
//! SenderCompID=BANK
//! TargetCompID=BROKER
//! HeartBtInt=30
//! SocketConnectHost=fix.broker.example
//! SocketConnectPort=9443
//! SocketUseSSL=Y
//! SSLProtocol=TLSv1_3
//! ";
//! let sessions = read_settings(&Settings::parse(text)?)?;
//! let tls = TlsSettings::from_settings(&sessions[0])?.expect("SocketUseSSL=Y");
//! assert!(tls.protocols.tls13 && !tls.protocols.tls12);
//! # Ok::<(), fixrs_session::SettingsError>(())
//! ```
//!
//! # Keys of the TLS layer
//!
#![doc = include_str!("settings/reference.md")]

use fixrs_session::settings::format;
use fixrs_session::settings::{Format, Key, KeyTable, Settings, SettingsError};
use fixrs_session::Role;
use fixrs_transport_mio::SessionSettings;
use std::path::PathBuf;

#[cfg(test)]
mod tests;

const GROUP: &str = "TLS";

/// The keys this crate reads, in the order of its reference.
pub static KEYS: &KeyTable = &[
    &SSL_PROTOCOL,
    &SSL_CIPHER_SUITE,
    &TLS_CIPHER_SUITES,
    &SERVER_CERTIFICATE_FILE,
    &SERVER_CERTIFICATE_KEY_FILE,
    &CLIENT_CERTIFICATE_FILE,
    &CLIENT_CERTIFICATE_KEY_FILE,
    &CERTIFICATION_AUTHORITIES_FILE,
    &CERTIFICATION_AUTHORITIES_DIRECTORY,
    &CERTIFICATE_REVOCATION_LIST_FILE,
    &CERTIFICATE_REVOCATION_LIST_DIRECTORY,
    &CERTIFICATE_VERIFY_LEVEL,
    &SSL_SERVER_NAME,
    &SSL_VALIDATE_CERTIFICATES,
];

/// Every key a program that runs sessions with or without TLS reads: the
/// session layer's, the store's, the engine's and the TLS keys.
pub static ALL_KEYS: &[&KeyTable] = &[
    fixrs_session::settings::KEYS,
    fixrs_store::settings::KEYS,
    fixrs_transport_mio::settings::KEYS,
    KEYS,
];

static SSL_PROTOCOL: Key<TlsProtocols> = Key {
    name: "SSLProtocol",
    group: GROUP,
    format: Format {
        expected: "all, TLSv1_2 or TLSv1_3, each optionally prefixed by + or -, leaving at least one version",
        parse: parse_tls_protocols,
    },
    default: "all",
    example: "SSLProtocol=all -TLSv1_2",
    meaning: "Protocol versions, space-separated: `all`, `TLSv1_2`, `TLSv1_3` (also `TLSv1.2`, `TLSv1.3`), each optionally prefixed by `+` (add) or `-` (remove). Older versions may only be removed.",
    also: &[],
};

static SSL_CIPHER_SUITE: Key<Vec<String>> = Key {
    name: "SSLCipherSuite",
    group: GROUP,
    format: Format {
        expected: "cipher suite names separated by :",
        parse: parse_cipher_suites,
    },
    default: "the TLS library's defaults",
    example: "SSLCipherSuite=TLS13_AES_256_GCM_SHA384:TLS13_AES_128_GCM_SHA256",
    meaning: "Cipher suite names separated by `:`, `,` or spaces, in preference order.",
    also: &[],
};

static TLS_CIPHER_SUITES: Key<Vec<String>> = Key {
    name: "TLSCipherSuites",
    group: GROUP,
    format: Format {
        expected: "TLS 1.3 cipher suite names separated by :",
        parse: parse_cipher_suites,
    },
    default: "the TLS 1.3 suites of SSLCipherSuite",
    example: "TLSCipherSuites=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
    meaning: "TLS 1.3 cipher suites, separated by `:`, in preference order (QuickFIX sets TLS 1.3 suites apart from SSLCipherSuite); replaces the TLS 1.3 suites SSLCipherSuite allows.",
    also: &[],
};

static SERVER_CERTIFICATE_FILE: Key<PathBuf> = Key {
    name: "ServerCertificateFile",
    group: GROUP,
    format: format::PATH,
    default: "required for TLS acceptors",
    example: "ServerCertificateFile=certs/server.pem",
    meaning: "An acceptor's certificate chain (PEM).",
    also: &[],
};

static SERVER_CERTIFICATE_KEY_FILE: Key<PathBuf> = Key {
    name: "ServerCertificateKeyFile",
    group: GROUP,
    format: format::PATH,
    default: "required for TLS acceptors",
    example: "ServerCertificateKeyFile=certs/server.key",
    meaning: "An acceptor's private key (PEM).",
    also: &[],
};

static CLIENT_CERTIFICATE_FILE: Key<PathBuf> = Key {
    name: "ClientCertificateFile",
    group: GROUP,
    format: format::PATH,
    default: "none",
    example: "ClientCertificateFile=certs/client.pem",
    meaning:
        "An initiator's certificate chain (PEM) for mutual TLS; needs ClientCertificateKeyFile.",
    also: &[],
};

static CLIENT_CERTIFICATE_KEY_FILE: Key<PathBuf> = Key {
    name: "ClientCertificateKeyFile",
    group: GROUP,
    format: format::PATH,
    default: "none",
    example: "ClientCertificateKeyFile=certs/client.key",
    meaning: "An initiator's private key (PEM).",
    also: &[],
};

static CERTIFICATION_AUTHORITIES_FILE: Key<PathBuf> = Key {
    name: "CertificationAuthoritiesFile",
    group: GROUP,
    format: format::PATH,
    default: "none (system roots for initiators)",
    example: "CertificationAuthoritiesFile=certs/ca.pem",
    meaning: "Certificates (PEM) of the authorities that peer certificates must chain to.",
    also: &[],
};

static CERTIFICATION_AUTHORITIES_DIRECTORY: Key<PathBuf> = Key {
    name: "CertificationAuthoritiesDirectory",
    group: GROUP,
    format: format::PATH,
    default: "none",
    example: "CertificationAuthoritiesDirectory=certs/ca",
    meaning: "A directory of such certificates: every PEM certificate in its files is trusted, with those of CertificationAuthoritiesFile.",
    also: &[],
};

static CERTIFICATE_REVOCATION_LIST_FILE: Key<PathBuf> = Key {
    name: "CertificateRevocationListFile",
    group: GROUP,
    format: format::PATH,
    default: "none",
    example: "CertificateRevocationListFile=certs/ca.crl",
    meaning: "Certificate revocation lists (PEM `X509 CRL`) checked when verifying the peer's certificate: a revoked certificate fails the handshake.",
    also: &[],
};

static CERTIFICATE_REVOCATION_LIST_DIRECTORY: Key<PathBuf> = Key {
    name: "CertificateRevocationListDirectory",
    group: GROUP,
    format: format::PATH,
    default: "none",
    example: "CertificateRevocationListDirectory=certs/crl",
    meaning: "A directory whose PEM files hold more revocation lists.",
    also: &[],
};

static CERTIFICATE_VERIFY_LEVEL: Key<CertificateVerifyLevel> = Key {
    name: "CertificateVerifyLevel",
    group: GROUP,
    format: Format {
        expected: "0 (no client certificate), 1 (required) or 2 (optional)",
        parse: parse_verify_level,
    },
    default: "0",
    example: "CertificateVerifyLevel=1",
    meaning: "How an acceptor checks client certificates: 0 asks for none, 1 requires one, 2 verifies one if sent. 1 and 2 need CertificationAuthoritiesFile.",
    also: &[],
};

static SSL_SERVER_NAME: Key<String> = Key {
    name: "SSLServerName",
    group: GROUP,
    format: format::TEXT,
    default: "the connect host",
    example: "SSLServerName=fix.example.com",
    meaning: "Name an initiator sends as SNI and checks the server certificate against.",
    also: &[],
};

static SSL_VALIDATE_CERTIFICATES: Key<bool> = Key {
    name: "SSLValidateCertificates",
    group: GROUP,
    format: format::BOOL,
    default: "Y",
    example: "SSLValidateCertificates=Y",
    meaning: "Whether an initiator verifies the server certificate (N only for tests).",
    also: &[],
};

fn parse_verify_level(v: &str) -> Option<CertificateVerifyLevel> {
    Some(match v {
        "0" => CertificateVerifyLevel::None,
        "1" => CertificateVerifyLevel::Required,
        "2" => CertificateVerifyLevel::Optional,
        _ => return None,
    })
}

/// SSLProtocol in mod_ssl's style: `all`, `TLSv1_2`, `TLSv1_3`, each
/// optionally signed; legacy versions may only be removed.
fn parse_tls_protocols(v: &str) -> Option<TlsProtocols> {
    let mut p = TlsProtocols {
        tls12: false,
        tls13: false,
    };
    for token in v.split([' ', '\t', ',']).filter(|t| !t.is_empty()) {
        let (add, name) = match token.as_bytes().first() {
            Some(b'+') => (true, &token[1..]),
            Some(b'-') => (false, &token[1..]),
            _ => (true, token),
        };
        let name = name.to_ascii_lowercase().replace('.', "_");
        match name.as_str() {
            "all" => {
                p.tls12 = add;
                p.tls13 = add;
            }
            "tlsv1_2" => p.tls12 = add,
            "tlsv1_3" => p.tls13 = add,
            "sslv2" | "sslv3" | "tlsv1" | "tlsv1_0" | "tlsv1_1" if !add => {}
            _ => return None,
        }
    }
    (p.tls12 || p.tls13).then_some(p)
}

fn parse_cipher_suites(v: &str) -> Option<Vec<String>> {
    let suites: Vec<String> = v
        .split([':', ',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (!suites.is_empty()).then_some(suites)
}

/// TLS protocol versions allowed (SSLProtocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsProtocols {
    /// TLS 1.2.
    pub tls12: bool,
    /// TLS 1.3.
    pub tls13: bool,
}

impl Default for TlsProtocols {
    fn default() -> Self {
        TlsProtocols {
            tls12: true,
            tls13: true,
        }
    }
}

/// How an acceptor checks client certificates (CertificateVerifyLevel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateVerifyLevel {
    /// `0`: ask for no client certificate.
    #[default]
    None,
    /// `1`: require a client certificate that chains to
    /// CertificationAuthoritiesFile (mutual TLS).
    Required,
    /// `2`: verify a client certificate if the client sends one.
    Optional,
}

/// TLS settings as QuickFIX users write them. Files are PEM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    /// Allowed protocol versions (SSLProtocol).
    pub protocols: TlsProtocols,
    /// Allowed cipher suites, by name, in preference order
    /// (SSLCipherSuite); empty for the TLS library's defaults.
    pub cipher_suites: Vec<String>,
    /// Allowed TLS 1.3 cipher suites, by name, in preference order
    /// (TLSCipherSuites, QuickFIX's key for TLS 1.3, whose suites OpenSSL
    /// configures apart); empty to leave TLS 1.3 to SSLCipherSuite.
    pub tls13_cipher_suites: Vec<String>,
    /// An acceptor's certificate chain (ServerCertificateFile).
    pub server_certificate_file: Option<PathBuf>,
    /// An acceptor's private key (ServerCertificateKeyFile).
    pub server_certificate_key_file: Option<PathBuf>,
    /// An initiator's certificate chain for mutual TLS
    /// (ClientCertificateFile).
    pub client_certificate_file: Option<PathBuf>,
    /// An initiator's private key (ClientCertificateKeyFile).
    pub client_certificate_key_file: Option<PathBuf>,
    /// Certificates of the authorities that peer certificates must chain to
    /// (CertificationAuthoritiesFile).
    pub certification_authorities_file: Option<PathBuf>,
    /// A directory whose PEM files hold more such certificates
    /// (CertificationAuthoritiesDirectory).
    pub certification_authorities_directory: Option<PathBuf>,
    /// Certificate revocation lists (PEM) checked when verifying the peer
    /// (CertificateRevocationListFile).
    pub certificate_revocation_list_file: Option<PathBuf>,
    /// A directory whose PEM files hold more revocation lists
    /// (CertificateRevocationListDirectory).
    pub certificate_revocation_list_directory: Option<PathBuf>,
    /// How an acceptor checks client certificates (CertificateVerifyLevel).
    pub certificate_verify_level: CertificateVerifyLevel,
    /// The name an initiator sends as SNI and checks the server
    /// certificate against (SSLServerName); `None` for the connect host.
    pub server_name: Option<String>,
    /// Whether an initiator verifies the server's certificate
    /// (SSLValidateCertificates, default Y).
    pub validate_certificates: bool,
}

impl TlsSettings {
    /// The TLS settings of a session with SocketUseSSL=Y (`None` for a
    /// plain TCP one), as its section gives them. An acceptor needs
    /// ServerCertificateFile and ServerCertificateKeyFile, and
    /// CertificationAuthoritiesFile (or Directory) to verify client
    /// certificates; an initiator's ClientCertificateFile and
    /// ClientCertificateKeyFile come together.
    pub fn from_settings(session: &SessionSettings) -> Result<Option<TlsSettings>, SettingsError> {
        if !session.use_tls {
            return Ok(None);
        }
        let s = &session.section;
        let line = s.line();
        let tls = TlsSettings {
            protocols: s.get(&SSL_PROTOCOL)?.unwrap_or_default(),
            cipher_suites: s.get(&SSL_CIPHER_SUITE)?.unwrap_or_default(),
            tls13_cipher_suites: s.get(&TLS_CIPHER_SUITES)?.unwrap_or_default(),
            server_certificate_file: s.get(&SERVER_CERTIFICATE_FILE)?,
            server_certificate_key_file: s.get(&SERVER_CERTIFICATE_KEY_FILE)?,
            client_certificate_file: s.get(&CLIENT_CERTIFICATE_FILE)?,
            client_certificate_key_file: s.get(&CLIENT_CERTIFICATE_KEY_FILE)?,
            certification_authorities_file: s.get(&CERTIFICATION_AUTHORITIES_FILE)?,
            certification_authorities_directory: s.get(&CERTIFICATION_AUTHORITIES_DIRECTORY)?,
            certificate_revocation_list_file: s.get(&CERTIFICATE_REVOCATION_LIST_FILE)?,
            certificate_revocation_list_directory: s.get(&CERTIFICATE_REVOCATION_LIST_DIRECTORY)?,
            certificate_verify_level: s.get(&CERTIFICATE_VERIFY_LEVEL)?.unwrap_or_default(),
            server_name: s.get(&SSL_SERVER_NAME)?,
            validate_certificates: s.get(&SSL_VALIDATE_CERTIFICATES)?.unwrap_or(true),
        };
        let missing = |line: usize, key: &str, why: String| SettingsError::MissingKey {
            line,
            key: key.to_string(),
            why,
        };
        match session.config.role {
            Role::Acceptor => {
                const WHY: &str = "required for acceptors with SocketUseSSL=Y";
                if tls.server_certificate_file.is_none() {
                    return Err(missing(line, "ServerCertificateFile", WHY.into()));
                }
                if tls.server_certificate_key_file.is_none() {
                    return Err(missing(line, "ServerCertificateKeyFile", WHY.into()));
                }
                if tls.certificate_verify_level != CertificateVerifyLevel::None
                    && tls.certification_authorities_file.is_none()
                    && tls.certification_authorities_directory.is_none()
                {
                    let at = s
                        .get_at(&CERTIFICATE_VERIFY_LEVEL)?
                        .map_or(line, |at| at.line);
                    return Err(missing(
                        at,
                        "CertificationAuthoritiesFile",
                        "required to verify client certificates (CertificateVerifyLevel 1 or 2)"
                            .into(),
                    ));
                }
            }
            Role::Initiator => {
                match (
                    s.get_at(&CLIENT_CERTIFICATE_FILE)?,
                    s.get_at(&CLIENT_CERTIFICATE_KEY_FILE)?,
                ) {
                    (Some(at), None) => {
                        return Err(missing(
                            at.line,
                            "ClientCertificateKeyFile",
                            format!("required with {}", at.key),
                        ))
                    }
                    (None, Some(at)) => {
                        return Err(missing(
                            at.line,
                            "ClientCertificateFile",
                            format!("required with {}", at.key),
                        ))
                    }
                    _ => {}
                }
            }
        }
        Ok(Some(tls))
    }
}

/// Reads every session of a settings file, plain or TLS, after checking
/// that each key of the file is one of [`ALL_KEYS`]; the TLS settings of
/// every session are checked too.
pub fn read_settings(settings: &Settings) -> Result<Vec<SessionSettings>, SettingsError> {
    read_settings_with(settings, &[])
}

/// [`read_settings`] for a program that reads keys of its own beside
/// [`ALL_KEYS`] (a driver's, in `extra`): those are accepted too, and
/// left for it to read.
pub fn read_settings_with(
    settings: &Settings,
    extra: &[&KeyTable],
) -> Result<Vec<SessionSettings>, SettingsError> {
    let tables: Vec<&KeyTable> = ALL_KEYS.iter().chain(extra).copied().collect();
    settings.check_keys(&tables)?;
    let sessions = SessionSettings::read_all(settings)?;
    for s in &sessions {
        TlsSettings::from_settings(s)?;
    }
    Ok(sessions)
}
