//! A throw-away public key infrastructure for tests: certificate
//! authorities and the server and client certificates they issue,
//! generated with rcgen at test time (no private key is ever checked in),
//! and written as PEM files into a temporary directory for the settings
//! file path.
#![allow(dead_code)]

use fixrs_transport_tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Serial numbers of issued certificates, unique in the test process.
static SERIALS: AtomicU64 = AtomicU64::new(1000);

/// A certificate authority.
pub struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    cert: rcgen::Certificate,
}

/// A certificate with its key.
pub struct Leaf {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The PKCS#8 key, DER.
    pub key_der: Vec<u8>,
    /// The key, PEM.
    pub key_pem: String,
    /// The certificate's serial number.
    pub serial: u64,
}

/// What a leaf certificate says.
pub struct LeafSpec<'a> {
    /// Subject common name.
    pub common_name: &'a str,
    /// subjectAltName entries (DNS names or IP addresses).
    pub alt_names: &'a [&'a str],
    /// Already expired (valid in 2000 only).
    pub expired: bool,
}

impl Ca {
    /// A new self-signed authority.
    pub fn new(name: &str) -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("ca key");
        let cert = params.self_signed(&key).expect("ca cert");
        Ca {
            issuer: rcgen::Issuer::new(params, key),
            cert,
        }
    }

    /// The authority's certificate, DER.
    pub fn cert(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The authority's certificate, PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// Issues a leaf certificate usable for both server and client
    /// authentication.
    pub fn issue(&self, spec: LeafSpec<'_>) -> Leaf {
        let names: Vec<String> = spec.alt_names.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, spec.common_name);
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        if spec.expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let serial = SERIALS.fetch_add(1, Ordering::Relaxed);
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        Leaf {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            serial,
        }
    }

    /// A certificate revocation list, PEM, revoking `revoked`.
    pub fn crl_pem(&self, revoked: &[&Leaf]) -> String {
        let params = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2020, 1, 1),
            next_update: rcgen::date_time_ymd(2100, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|leaf| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(leaf.serial),
                    revocation_time: rcgen::date_time_ymd(2021, 1, 1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .expect("crl")
            .pem()
            .expect("crl pem")
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> Leaf {
        self.issue(LeafSpec {
            common_name: "localhost",
            alt_names: &["localhost", "127.0.0.1"],
            expired: false,
        })
    }

    /// A server configuration with a certificate from [`server`](Ca::server)
    /// that requires clients to present a certificate this authority issued.
    pub fn mutual_tls_server(&self) -> fixrs_transport_tls::TlsServerConfig {
        let server = self.server();
        fixrs_transport_tls::TlsServerConfig::builder()
            .certificate(server.chain(), server.key())
            .client_auth(fixrs_transport_tls::ClientAuth::Required)
            .ca_certificates(vec![self.cert()])
            .build()
            .expect("server config")
    }

    /// A client certificate naming `comp_id` as its common name.
    pub fn client(&self, comp_id: &str) -> Leaf {
        self.issue(LeafSpec {
            common_name: comp_id,
            alt_names: &[],
            expired: false,
        })
    }
}

impl Leaf {
    /// The chain to present: this certificate alone (the peer knows the
    /// authority).
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert.clone()]
    }

    /// The private key.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// Writes `<name>.pem` and `<name>.key` into `dir`; returns both paths.
    pub fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.cert_pem).expect("write certificate");
        std::fs::write(&key, &self.key_pem).expect("write key");
        (cert, key)
    }
}
