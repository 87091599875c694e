//! The identity a peer proved with its certificate: the subject's common
//! names and subjectAltName entries of the end-entity certificate, read
//! from its DER, plus the DER chain itself.
//!
//! Only what a FIX logon check needs is decoded; the signature, validity
//! and chain were already checked by the TLS handshake (a certificate that
//! reaches this module was accepted by the verifier). The decoder walks
//! the DER with bounds checks only: a malformed certificate yields an
//! identity without names, never a panic.

use rustls::pki_types::CertificateDer;
use std::net::IpAddr;

/// The certificate a TLS peer presented and the names it carries.
///
/// ```
/// use fixrs_transport_tls::PeerCertificate;
/// let cert = PeerCertificate::from_chain(Vec::new());
/// assert!(cert.common_names().is_empty());
/// assert!(!cert.matches_comp_id("CLIENT1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerCertificate {
    chain: Vec<CertificateDer<'static>>,
    common_names: Vec<String>,
    dns_names: Vec<String>,
    ip_addresses: Vec<IpAddr>,
    emails: Vec<String>,
    uris: Vec<String>,
}

impl PeerCertificate {
    /// Decodes the names of the first (end-entity) certificate of `chain`.
    pub fn from_chain(chain: Vec<CertificateDer<'static>>) -> PeerCertificate {
        let mut cert = PeerCertificate {
            chain,
            ..PeerCertificate::default()
        };
        if let Some(first) = cert.chain.first() {
            let der = first.as_ref().to_vec();
            // A certificate the verifier accepted is well formed; a failure
            // here only leaves the names empty.
            let _ = decode_names(&der, &mut cert);
        }
        cert
    }

    /// The DER of the end-entity certificate, if the peer sent one.
    pub fn der(&self) -> Option<&[u8]> {
        self.chain.first().map(|c| c.as_ref())
    }

    /// The whole chain as the peer sent it, end-entity first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The subject's commonName (CN) attributes, in certificate order.
    pub fn common_names(&self) -> &[String] {
        &self.common_names
    }

    /// The dNSName entries of the subjectAltName extension.
    pub fn dns_names(&self) -> &[String] {
        &self.dns_names
    }

    /// The iPAddress entries of the subjectAltName extension.
    pub fn ip_addresses(&self) -> &[IpAddr] {
        &self.ip_addresses
    }

    /// The rfc822Name (e-mail) entries of the subjectAltName extension.
    pub fn emails(&self) -> &[String] {
        &self.emails
    }

    /// The uniformResourceIdentifier entries of the subjectAltName
    /// extension.
    pub fn uris(&self) -> &[String] {
        &self.uris
    }

    /// Whether the certificate names `comp_id`: equal to a subject common
    /// name (exactly, as CompIDs are case sensitive) or to a DNS name of
    /// the subjectAltName (ignoring ASCII case, as DNS does). The usual
    /// check of an acceptor that binds each counterparty's SenderCompID(49)
    /// to its certificate.
    pub fn matches_comp_id(&self, comp_id: &str) -> bool {
        !comp_id.is_empty()
            && (self.common_names.iter().any(|cn| cn == comp_id)
                || self
                    .dns_names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(comp_id)))
    }
}

// DER tags used below.
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const EXPLICIT_VERSION: u8 = 0xa0;
const EXPLICIT_EXTENSIONS: u8 = 0xa3;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const TELETEX_STRING: u8 = 0x14;
const IA5_STRING: u8 = 0x16;
const UNIVERSAL_STRING: u8 = 0x1c;
const BMP_STRING: u8 = 0x1e;
// GeneralName choices (context-specific, primitive).
const SAN_RFC822: u8 = 0x81;
const SAN_DNS: u8 = 0x82;
const SAN_URI: u8 = 0x86;
const SAN_IP: u8 = 0x87;

/// id-at-commonName, 2.5.4.3.
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// id-ce-subjectAltName, 2.5.29.17.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// A DER reader over a byte slice.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Der<'a> {
        Der { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV: its tag and contents.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, after_tag) = self.rest.split_first()?;
        // Multi-byte tags do not occur in the structures read here.
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, after_len) = after_tag.split_first()?;
        let (len, body) = if first < 0x80 {
            (usize::from(first), after_len)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let len_bytes = after_len.get(..n)?;
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, after_len.get(n..)?)
        };
        let contents = body.get(..len)?;
        self.rest = body.get(len..)?;
        Some((tag, contents))
    }

    /// Reads one TLV that must have `tag`.
    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }
}

/// Walks Certificate -> TBSCertificate to the subject and extensions.
fn decode_names(der: &[u8], out: &mut PeerCertificate) -> Option<()> {
    let cert = Der::new(der).expect(SEQUENCE)?;
    let tbs = Der::new(cert).expect(SEQUENCE)?;
    let mut tbs = Der::new(tbs);
    if tbs.peek_tag() == Some(EXPLICIT_VERSION) {
        tbs.next()?;
    }
    tbs.next()?; // serialNumber
    tbs.expect(SEQUENCE)?; // signature algorithm
    tbs.expect(SEQUENCE)?; // issuer
    tbs.expect(SEQUENCE)?; // validity
    let subject = tbs.expect(SEQUENCE)?;
    decode_subject(subject, out);
    tbs.expect(SEQUENCE)?; // subjectPublicKeyInfo
    while let Some((tag, contents)) = tbs.next() {
        if tag == EXPLICIT_EXTENSIONS {
            decode_extensions(Der::new(contents).expect(SEQUENCE)?, out);
        }
    }
    Some(())
}

/// Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF
/// AttributeTypeAndValue).
fn decode_subject(subject: &[u8], out: &mut PeerCertificate) {
    let mut rdns = Der::new(subject);
    while let Some(rdn) = rdns.expect(SET) {
        let mut atvs = Der::new(rdn);
        while let Some(atv) = atvs.expect(SEQUENCE) {
            let mut atv = Der::new(atv);
            let (Some(oid), Some((tag, value))) = (atv.expect(OID), atv.next()) else {
                continue;
            };
            if oid == OID_COMMON_NAME {
                if let Some(text) = directory_string(tag, value) {
                    out.common_names.push(text);
                }
            }
        }
    }
}

/// Extensions ::= SEQUENCE OF Extension { extnID, critical, extnValue }.
fn decode_extensions(extensions: &[u8], out: &mut PeerCertificate) {
    let mut exts = Der::new(extensions);
    while let Some(ext) = exts.expect(SEQUENCE) {
        let mut ext = Der::new(ext);
        let Some(oid) = ext.expect(OID) else {
            continue;
        };
        if ext.peek_tag() == Some(BOOLEAN) {
            let _ = ext.next();
        }
        let Some(value) = ext.expect(OCTET_STRING) else {
            continue;
        };
        if oid == OID_SUBJECT_ALT_NAME {
            if let Some(names) = Der::new(value).expect(SEQUENCE) {
                decode_general_names(names, out);
            }
        }
    }
}

fn decode_general_names(names: &[u8], out: &mut PeerCertificate) {
    let mut names = Der::new(names);
    while !names.is_empty() {
        let Some((tag, value)) = names.next() else {
            return;
        };
        let ascii = || {
            std::str::from_utf8(value)
                .ok()
                .filter(|s| s.is_ascii())
                .map(str::to_string)
        };
        match tag {
            SAN_DNS => out.dns_names.extend(ascii()),
            SAN_RFC822 => out.emails.extend(ascii()),
            SAN_URI => out.uris.extend(ascii()),
            SAN_IP => {
                if let Ok(v4) = <[u8; 4]>::try_from(value) {
                    out.ip_addresses.push(IpAddr::from(v4));
                } else if let Ok(v6) = <[u8; 16]>::try_from(value) {
                    out.ip_addresses.push(IpAddr::from(v6));
                }
            }
            _ => {}
        }
    }
}

/// DirectoryString and the other string types a CN may use.
fn directory_string(tag: u8, value: &[u8]) -> Option<String> {
    match tag {
        UTF8_STRING | PRINTABLE_STRING | IA5_STRING => {
            std::str::from_utf8(value).ok().map(str::to_string)
        }
        // T.61 in theory; Latin-1 in practice.
        TELETEX_STRING => Some(value.iter().map(|&b| char::from(b)).collect()),
        BMP_STRING => {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            value
                .len()
                .is_multiple_of(2)
                .then(|| String::from_utf16(&units).ok())
                .flatten()
        }
        UNIVERSAL_STRING => {
            if !value.len().is_multiple_of(4) {
                return None;
            }
            value
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(params: rcgen::CertificateParams) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("cert").der().clone()
    }

    #[test]
    fn reads_common_name_and_alt_names() {
        let mut params = rcgen::CertificateParams::new(vec![
            "fix.example.com".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example Bank");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "CLIENT1");
        params.subject_alt_names.push(rcgen::SanType::Rfc822Name(
            "ops@example.com".try_into().expect("email"),
        ));
        params.subject_alt_names.push(rcgen::SanType::URI(
            "urn:fix:CLIENT1".try_into().expect("uri"),
        ));
        let cert = PeerCertificate::from_chain(vec![cert_with(params)]);
        assert_eq!(cert.common_names(), ["CLIENT1"]);
        assert_eq!(cert.dns_names(), ["fix.example.com"]);
        assert_eq!(
            cert.ip_addresses(),
            [
                "127.0.0.1".parse::<IpAddr>().expect("ip"),
                "::1".parse::<IpAddr>().expect("ip")
            ]
        );
        assert_eq!(cert.emails(), ["ops@example.com"]);
        assert_eq!(cert.uris(), ["urn:fix:CLIENT1"]);
        assert!(cert.matches_comp_id("CLIENT1"));
        assert!(!cert.matches_comp_id("client1"));
        assert!(cert.matches_comp_id("FIX.example.com"));
        assert!(!cert.matches_comp_id("CLIENT2"));
        assert!(!cert.matches_comp_id(""));
        assert!(cert.der().is_some_and(|d| d.first() == Some(&SEQUENCE)));
    }

    #[test]
    fn reads_a_common_name_without_alt_names() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            rcgen::DnValue::BmpString("BANK-Ü".try_into().expect("bmp")),
        );
        let cert = PeerCertificate::from_chain(vec![cert_with(params)]);
        assert_eq!(cert.common_names(), ["BANK-Ü"]);
        assert!(cert.dns_names().is_empty());
    }

    #[test]
    fn garbage_and_truncated_certificates_give_no_names() {
        let mut params =
            rcgen::CertificateParams::new(vec!["a.example".to_string()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "CN1");
        let der = cert_with(params);
        for len in 0..der.as_ref().len() {
            let cut = CertificateDer::from(der.as_ref()[..len].to_vec());
            let cert = PeerCertificate::from_chain(vec![cut]);
            // Whatever was decoded before the cut is consistent.
            assert!(cert.common_names().iter().all(|n| n == "CN1"));
        }
        for bytes in [
            &[0xff_u8; 8][..],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[],
        ] {
            let cert = PeerCertificate::from_chain(vec![CertificateDer::from(bytes.to_vec())]);
            assert!(cert.common_names().is_empty() && cert.dns_names().is_empty());
        }
    }
}
