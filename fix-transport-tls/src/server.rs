//! The acceptor side: [`TlsServerConfig`], a TLS server configuration
//! built from settings or in code, which wraps each accepted socket of a
//! listener into a [`TlsStream`](crate::TlsStream), optionally asking for
//! and verifying client certificates (mutual TLS).

use crate::error::TlsConfigError;
use crate::pem::{load_certificates, load_private_key, root_store, Extra};
use crate::settings::{CertificateVerifyLevel, TlsProtocols, TlsSettings};
use crate::suites::provider_and_versions;
use crate::{TlsErrorHandler, DEFAULT_HANDSHAKE_TIMEOUT};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Whether an acceptor asks for client certificates (mutual TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// Ask for none (CertificateVerifyLevel=0).
    #[default]
    None,
    /// Require one that chains to the configured authorities
    /// (CertificateVerifyLevel=1).
    Required,
    /// Verify one if the client sends it; accept clients without one
    /// (CertificateVerifyLevel=2).
    Optional,
}

impl From<CertificateVerifyLevel> for ClientAuth {
    fn from(level: CertificateVerifyLevel) -> ClientAuth {
        match level {
            CertificateVerifyLevel::None => ClientAuth::None,
            CertificateVerifyLevel::Required => ClientAuth::Required,
            CertificateVerifyLevel::Optional => ClientAuth::Optional,
        }
    }
}

#[derive(Debug)]
enum Source<T> {
    Files { chain: PathBuf, key: PathBuf },
    Der(T),
}

#[derive(Debug)]
enum Authorities {
    None,
    File(PathBuf),
    Certificates(Vec<CertificateDer<'static>>),
}

/// A TLS server configuration for acceptor listeners. Cheap to clone.
///
/// ```no_run
/// use fixrs_transport_tls::{ClientAuth, TlsServerConfig};
/// let tls = TlsServerConfig::builder()
///     .certificate_files("certs/server.pem", "certs/server.key")
///     .client_auth(ClientAuth::Required)
///     .ca_file("certs/clients-ca.pem")
///     .build()?;
/// // engine.listen_with("0.0.0.0:9443".parse()?, std::sync::Arc::new(tls))
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TlsServerConfig {
    pub(crate) rustls: Arc<ServerConfig>,
    pub(crate) handshake_timeout: Duration,
    pub(crate) on_error: Option<TlsErrorHandler>,
    client_auth: ClientAuth,
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("client_auth", &self.client_auth)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl TlsServerConfig {
    /// A builder: a certificate and key must be given; the defaults are
    /// TLS 1.2 and 1.3, every cipher suite, no client certificates.
    pub fn builder() -> TlsServerBuilder {
        TlsServerBuilder::default()
    }

    /// Builds the configuration an acceptor's settings describe:
    /// ServerCertificateFile, ServerCertificateKeyFile,
    /// CertificateVerifyLevel with CertificationAuthoritiesFile and
    /// CertificationAuthoritiesDirectory, CertificateRevocationListFile and
    /// CertificateRevocationListDirectory, SSLProtocol, SSLCipherSuite and
    /// TLSCipherSuites.
    pub fn from_settings(settings: &TlsSettings) -> Result<TlsServerConfig, TlsConfigError> {
        let chain = settings
            .server_certificate_file
            .as_ref()
            .ok_or(TlsConfigError::Missing("ServerCertificateFile"))?;
        let key = settings
            .server_certificate_key_file
            .as_ref()
            .ok_or(TlsConfigError::Missing("ServerCertificateKeyFile"))?;
        let mut b = TlsServerConfig::builder()
            .certificate_files(chain, key)
            .protocols(settings.protocols)
            .cipher_suites(&settings.cipher_suites)
            .tls13_cipher_suites(&settings.tls13_cipher_suites)
            .client_auth(settings.certificate_verify_level.into());
        if let Some(ca) = &settings.certification_authorities_file {
            b = b.ca_file(ca);
        }
        b.extra = Extra::from_settings(settings);
        b.build()
    }

    /// The rustls configuration, for inspection or reuse.
    pub fn rustls_config(&self) -> &Arc<ServerConfig> {
        &self.rustls
    }

    /// Whether client certificates are asked for.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    /// How long a handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }
}

/// Builds a [`TlsServerConfig`] in code.
#[derive(Debug)]
#[must_use]
pub struct TlsServerBuilder {
    identity: Option<Source<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>>,
    client_auth: ClientAuth,
    authorities: Authorities,
    extra: Extra,
    protocols: TlsProtocols,
    cipher_suites: Vec<String>,
    tls13_cipher_suites: Vec<String>,
    handshake_timeout: Duration,
    on_error: Option<TlsErrorHandler>,
}

impl Default for TlsServerBuilder {
    fn default() -> Self {
        TlsServerBuilder {
            identity: None,
            client_auth: ClientAuth::None,
            authorities: Authorities::None,
            extra: Extra::default(),
            protocols: TlsProtocols::default(),
            cipher_suites: Vec::new(),
            tls13_cipher_suites: Vec::new(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            on_error: None,
        }
    }
}

impl TlsServerBuilder {
    /// The server's certificate chain (end-entity first) and private key
    /// from PEM files (ServerCertificateFile, ServerCertificateKeyFile).
    pub fn certificate_files(mut self, chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.identity = Some(Source::Files {
            chain: chain.into(),
            key: key.into(),
        });
        self
    }

    /// The server's certificate chain (end-entity first) and private key.
    pub fn certificate(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.identity = Some(Source::Der((chain, key)));
        self
    }

    /// Whether to ask for client certificates (CertificateVerifyLevel);
    /// `Required` and `Optional` need the authorities to verify them with.
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// The authorities client certificates must chain to, from a PEM file
    /// (CertificationAuthoritiesFile).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.authorities = Authorities::File(path.into());
        self
    }

    /// The authorities client certificates must chain to.
    pub fn ca_certificates(mut self, certs: Vec<CertificateDer<'static>>) -> Self {
        self.authorities = Authorities::Certificates(certs);
        self
    }

    /// More authorities: every certificate of the PEM files of a directory
    /// (CertificationAuthoritiesDirectory).
    pub fn ca_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.extra.ca_directory = Some(dir.into());
        self
    }

    /// Refuses client certificates revoked by the lists of a PEM file
    /// (CertificateRevocationListFile).
    pub fn crl_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra.crl_file = Some(path.into());
        self
    }

    /// Refuses client certificates revoked by the lists of the PEM files
    /// of a directory (CertificateRevocationListDirectory).
    pub fn crl_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.extra.crl_directory = Some(dir.into());
        self
    }

    /// Restricts the TLS 1.3 cipher suites in place of those
    /// `cipher_suites` allows (TLSCipherSuites).
    pub fn tls13_cipher_suites<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.tls13_cipher_suites = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// Restricts the protocol versions (SSLProtocol).
    pub fn protocols(mut self, protocols: TlsProtocols) -> Self {
        self.protocols = protocols;
        self
    }

    /// Restricts the cipher suites (SSLCipherSuite); the client's
    /// preference order decides among them.
    pub fn cipher_suites<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.cipher_suites = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// How long a handshake may take before the connection is dropped with
    /// [`TlsError::HandshakeTimeout`](crate::TlsError::HandshakeTimeout)
    /// (default 10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Calls `handler` with every TLS error of a connection accepted with
    /// this configuration: the way to hear of clients that failed before
    /// their Logon could name a session (plaintext clients, refused
    /// certificates, handshake timeouts).
    pub fn on_error(
        mut self,
        handler: impl Fn(SocketAddr, &crate::TlsError) + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(TlsErrorHandler::new(handler));
        self
    }

    /// Loads the files and builds the configuration.
    pub fn build(self) -> Result<TlsServerConfig, TlsConfigError> {
        let (provider, versions) = provider_and_versions(
            self.protocols,
            &self.cipher_suites,
            &self.tls13_cipher_suites,
        )?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)?;
        let builder = match self.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Required | ClientAuth::Optional => {
                let mut certs = self.extra.directory_certificates()?;
                match self.authorities {
                    Authorities::None if certs.is_empty() => {
                        return Err(TlsConfigError::Missing(
                            "CertificationAuthoritiesFile (to verify client certificates)",
                        ))
                    }
                    Authorities::None => {}
                    Authorities::File(path) => certs.extend(load_certificates(&path)?),
                    Authorities::Certificates(given) => certs.extend(given),
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(root_store(&certs)?),
                    provider,
                )
                .with_crls(self.extra.revocation_lists()?);
                let verifier = if self.client_auth == ClientAuth::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(verifier.build()?)
            }
        };
        let (chain, key) = match self.identity {
            None => {
                return Err(TlsConfigError::Missing(
                    "ServerCertificateFile and ServerCertificateKeyFile",
                ))
            }
            Some(Source::Files { chain, key }) => {
                (load_certificates(&chain)?, load_private_key(&key)?)
            }
            Some(Source::Der(pair)) => pair,
        };
        let config = builder.with_single_cert(chain, key)?;
        Ok(TlsServerConfig {
            rustls: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
            on_error: self.on_error,
            client_auth: self.client_auth,
        })
    }
}
