//! Loading certificates, private keys and trust anchors from PEM files
//! (CertificationAuthoritiesFile, ServerCertificateFile and the like), with
//! errors that name the file.

use crate::error::TlsConfigError;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;
use std::path::Path;

fn read(path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}

fn bad_pem(path: &Path, err: pem::Error) -> TlsConfigError {
    TlsConfigError::BadPem {
        path: path.to_path_buf(),
        reason: err.to_string(),
    }
}

/// Reads every certificate of a PEM file, in file order (for a chain:
/// end-entity first, then intermediates). Other sections are skipped.
pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, e))?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1
/// EC).
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let bytes = read(path)?;
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(TlsConfigError::NoPrivateKey {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(bad_pem(path, e)),
    }
}

/// Builds a trust anchor store from certificates.
pub(crate) fn root_store(
    certs: &[CertificateDer<'static>],
) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert.clone())
            .map_err(|e| TlsConfigError::BadAuthority(e.to_string()))?;
    }
    Ok(roots)
}

/// The trust anchors of the Mozilla root program, compiled in.
pub(crate) fn mozilla_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }

    #[test]
    fn loads_certificates_and_keys_and_names_the_file_on_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["a.example".to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let both = format!("{}{}", cert.pem(), key.serialize_pem());
        let path = temp_file(&dir, "both.pem", both.as_bytes());
        assert_eq!(
            load_certificates(&path).expect("certs"),
            [cert.der().clone()]
        );
        assert!(load_private_key(&path).is_ok());

        let empty = temp_file(&dir, "empty.pem", b"nothing here\n");
        assert!(matches!(
            load_certificates(&empty),
            Err(TlsConfigError::NoCertificate { .. })
        ));
        assert!(matches!(
            load_private_key(&empty),
            Err(TlsConfigError::NoPrivateKey { .. })
        ));
        let missing = empty.with_file_name("missing.pem");
        let err = load_certificates(&missing).expect_err("missing file");
        assert!(err.to_string().contains("missing.pem"));
        let torn = temp_file(&dir, "torn.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n");
        assert!(matches!(
            load_certificates(&torn),
            Err(TlsConfigError::BadPem { .. })
        ));
    }

    #[test]
    fn the_compiled_in_roots_are_not_empty() {
        assert!(mozilla_roots().len() > 50);
    }
}
