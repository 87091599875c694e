//! Loading certificates, private keys and trust anchors from PEM files
//! (CertificationAuthoritiesFile, ServerCertificateFile and the like), with
//! errors that name the file.

use crate::error::TlsConfigError;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
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

/// The regular files of a directory, in name order.
fn files_of(dir: &Path) -> Result<Vec<std::path::PathBuf>, TlsConfigError> {
    let read_dir = |source| TlsConfigError::ReadFile {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every certificate of every PEM file of a directory
/// (CertificationAuthoritiesDirectory), files in name order. Files without
/// a certificate (keys, revocation lists, notes) are skipped; a directory
/// without any certificate is an error.
pub fn load_certificates_dir(dir: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let mut certs = Vec::new();
    for file in files_of(dir)? {
        let bytes = read(&file)?;
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            certs.push(cert.map_err(|e| bad_pem(&file, e))?);
        }
    }
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate {
            path: dir.to_path_buf(),
        });
    }
    Ok(certs)
}

/// Reads every certificate revocation list (`X509 CRL`) of a PEM file
/// (CertificateRevocationListFile).
pub fn load_revocation_lists(
    path: &Path,
) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsConfigError> {
    let bytes = read(path)?;
    let crls = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, e))?;
    if crls.is_empty() {
        return Err(TlsConfigError::NoRevocationList {
            path: path.to_path_buf(),
        });
    }
    Ok(crls)
}

/// Reads every revocation list of the PEM files of a directory
/// (CertificateRevocationListDirectory); other files are skipped, a
/// directory without any list is an error.
pub fn load_revocation_lists_dir(
    dir: &Path,
) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsConfigError> {
    let mut crls = Vec::new();
    for file in files_of(dir)? {
        let bytes = read(&file)?;
        for crl in CertificateRevocationListDer::pem_slice_iter(&bytes) {
            crls.push(crl.map_err(|e| bad_pem(&file, e))?);
        }
    }
    if crls.is_empty() {
        return Err(TlsConfigError::NoRevocationList {
            path: dir.to_path_buf(),
        });
    }
    Ok(crls)
}

/// Where trust anchors and revocation lists come from besides a single
/// CA file: the directory and CRL settings, shared by both sides.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    pub(crate) ca_directory: Option<std::path::PathBuf>,
    pub(crate) crl_file: Option<std::path::PathBuf>,
    pub(crate) crl_directory: Option<std::path::PathBuf>,
}

impl Extra {
    /// CertificationAuthoritiesDirectory and the revocation list keys.
    pub(crate) fn from_settings(settings: &crate::settings::TlsSettings) -> Extra {
        Extra {
            ca_directory: settings.certification_authorities_directory.clone(),
            crl_file: settings.certificate_revocation_list_file.clone(),
            crl_directory: settings.certificate_revocation_list_directory.clone(),
        }
    }

    /// The certificates of the CA directory, if one is set.
    pub(crate) fn directory_certificates(
        &self,
    ) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
        match &self.ca_directory {
            Some(dir) => load_certificates_dir(dir),
            None => Ok(Vec::new()),
        }
    }

    /// Every revocation list of the CRL file and directory.
    pub(crate) fn revocation_lists(
        &self,
    ) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsConfigError> {
        let mut crls = Vec::new();
        if let Some(file) = &self.crl_file {
            crls.extend(load_revocation_lists(file)?);
        }
        if let Some(dir) = &self.crl_directory {
            crls.extend(load_revocation_lists_dir(dir)?);
        }
        Ok(crls)
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
