//! The initiator side: [`TlsClientConfig`], a TLS client configuration
//! built from settings or in code, which wraps each connected socket of an
//! initiator session into a [`TlsStream`](crate::TlsStream).

use crate::error::{TlsConfigError, TlsError};
use crate::pem::{load_certificates, load_private_key, mozilla_roots, root_store, Extra};
use crate::settings::{TlsProtocols, TlsSettings};
use crate::suites::provider_and_versions;
use crate::{TlsErrorHandler, DEFAULT_HANDSHAKE_TIMEOUT};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the trust anchors for the server's certificate come from.
#[derive(Debug, Clone)]
enum Roots {
    /// The Mozilla root program, compiled in (webpki-roots).
    Mozilla,
    /// Certificates from a PEM file (CertificationAuthoritiesFile).
    File(PathBuf),
    /// Certificates given in code.
    Certificates(Vec<CertificateDer<'static>>),
}

/// The initiator's own certificate, for mutual TLS.
#[derive(Debug)]
enum ClientIdentity {
    Files { chain: PathBuf, key: PathBuf },
    Der(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
}

/// A TLS client configuration for initiator sessions: it verifies the
/// acceptor's certificate and optionally presents one of its own. Cheap
/// to clone; one configuration serves any number of sessions.
///
/// ```no_run
/// use fixrs_transport_tls::TlsClientConfig;
/// let tls = TlsClientConfig::builder()
///     .ca_file("certs/ca.pem")
///     .client_certificate_files("certs/client.pem", "certs/client.key")
///     .server_name("fix.example.com")
///     .build()?;
/// // session.connect_with(30, "fix.example.com:9443", std::sync::Arc::new(tls))
/// # Ok::<(), fixrs_transport_tls::TlsConfigError>(())
/// ```
#[derive(Clone)]
pub struct TlsClientConfig {
    pub(crate) rustls: Arc<ClientConfig>,
    pub(crate) server_name: Option<ServerName<'static>>,
    pub(crate) handshake_timeout: Duration,
    pub(crate) on_error: Option<TlsErrorHandler>,
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("server_name", &self.server_name)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl TlsClientConfig {
    /// A builder with the defaults: the Mozilla roots, TLS 1.2 and 1.3, every
    /// cipher suite, no client certificate, the connect host as server
    /// name, certificates verified.
    pub fn builder() -> TlsClientBuilder {
        TlsClientBuilder::default()
    }

    /// Builds the configuration an initiator's settings describe:
    /// CertificationAuthoritiesFile and CertificationAuthoritiesDirectory
    /// (else the compiled-in Mozilla roots), CertificateRevocationListFile and
    /// CertificateRevocationListDirectory, ClientCertificateFile and
    /// ClientCertificateKeyFile, SSLProtocol, SSLCipherSuite,
    /// TLSCipherSuites, SSLServerName and SSLValidateCertificates.
    pub fn from_settings(settings: &TlsSettings) -> Result<TlsClientConfig, TlsConfigError> {
        let mut b = TlsClientConfig::builder()
            .protocols(settings.protocols)
            .cipher_suites(&settings.cipher_suites)
            .tls13_cipher_suites(&settings.tls13_cipher_suites)
            .verify_server_certificate(settings.validate_certificates);
        if let Some(ca) = &settings.certification_authorities_file {
            b = b.ca_file(ca);
        }
        b.extra = Extra::from_settings(settings);
        match (
            &settings.client_certificate_file,
            &settings.client_certificate_key_file,
        ) {
            (Some(chain), Some(key)) => b = b.client_certificate_files(chain, key),
            (None, None) => {}
            (Some(_), None) => return Err(TlsConfigError::Missing("ClientCertificateKeyFile")),
            (None, Some(_)) => return Err(TlsConfigError::Missing("ClientCertificateFile")),
        }
        if let Some(name) = &settings.server_name {
            b = b.server_name(name);
        }
        b.build()
    }

    /// The rustls configuration, for inspection or reuse.
    pub fn rustls_config(&self) -> &Arc<ClientConfig> {
        &self.rustls
    }

    /// The server name override (SSLServerName), if any.
    pub fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// How long a handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The name sent as SNI and checked against the server's certificate:
    /// the override if set, else `host` (a DNS name or an IP address),
    /// else the peer's IP address.
    pub fn server_name_for(
        &self,
        host: &str,
        peer: SocketAddr,
    ) -> Result<ServerName<'static>, TlsError> {
        if let Some(name) = &self.server_name {
            return Ok(name.clone());
        }
        if host.is_empty() {
            return Ok(ServerName::IpAddress(peer.ip().into()));
        }
        // "[::1]" as written in an address: the brackets are not the name.
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        ServerName::try_from(bare.to_string())
            .map_err(|_| TlsError::BadServerName(host.to_string()))
    }
}

/// Builds a [`TlsClientConfig`] in code.
#[derive(Debug)]
#[must_use]
pub struct TlsClientBuilder {
    roots: Roots,
    extra: Extra,
    identity: Option<ClientIdentity>,
    protocols: TlsProtocols,
    cipher_suites: Vec<String>,
    tls13_cipher_suites: Vec<String>,
    server_name: Option<String>,
    verify: bool,
    handshake_timeout: Duration,
    on_error: Option<TlsErrorHandler>,
}

impl Default for TlsClientBuilder {
    fn default() -> Self {
        TlsClientBuilder {
            roots: Roots::Mozilla,
            extra: Extra::default(),
            identity: None,
            protocols: TlsProtocols::default(),
            cipher_suites: Vec::new(),
            tls13_cipher_suites: Vec::new(),
            server_name: None,
            verify: true,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            on_error: None,
        }
    }
}

impl TlsClientBuilder {
    /// Trusts the certificate authorities of a PEM file instead of the
    /// Mozilla roots (CertificationAuthoritiesFile).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots = Roots::File(path.into());
        self
    }

    /// Trusts these certificate authorities instead of the Mozilla roots.
    pub fn ca_certificates(mut self, certs: Vec<CertificateDer<'static>>) -> Self {
        self.roots = Roots::Certificates(certs);
        self
    }

    /// Trusts every certificate of the PEM files of a directory too
    /// (CertificationAuthoritiesDirectory); with it alone, instead of the
    /// Mozilla roots.
    pub fn ca_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.extra.ca_directory = Some(dir.into());
        self
    }

    /// Refuses server certificates revoked by the lists of a PEM file
    /// (CertificateRevocationListFile).
    pub fn crl_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra.crl_file = Some(path.into());
        self
    }

    /// Refuses server certificates revoked by the lists of the PEM files
    /// of a directory (CertificateRevocationListDirectory).
    pub fn crl_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.extra.crl_directory = Some(dir.into());
        self
    }

    /// Trusts the root certificates of the Mozilla root program, compiled
    /// in from the `webpki-roots` crate (the default). The operating
    /// system's certificate store is not read, so verification is the same
    /// on every machine; use [`ca_file`](Self::ca_file) to trust others.
    pub fn mozilla_roots(mut self) -> Self {
        self.roots = Roots::Mozilla;
        self
    }

    /// Presents a certificate chain and key from PEM files (mutual TLS;
    /// ClientCertificateFile and ClientCertificateKeyFile).
    pub fn client_certificate_files(
        mut self,
        chain: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.identity = Some(ClientIdentity::Files {
            chain: chain.into(),
            key: key.into(),
        });
        self
    }

    /// Presents a certificate chain (end-entity first) and its key.
    pub fn client_certificate(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.identity = Some(ClientIdentity::Der(chain, key));
        self
    }

    /// Restricts the protocol versions (SSLProtocol).
    pub fn protocols(mut self, protocols: TlsProtocols) -> Self {
        self.protocols = protocols;
        self
    }

    /// Restricts the cipher suites, in preference order (SSLCipherSuite;
    /// see [`crate::suites`] for the names understood).
    pub fn cipher_suites<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.cipher_suites = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// Restricts the TLS 1.3 cipher suites, in preference order, in place
    /// of those `cipher_suites` allows (TLSCipherSuites); names of older
    /// suites are an error.
    pub fn tls13_cipher_suites<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.tls13_cipher_suites = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// Sends this name as SNI and checks the server's certificate against
    /// it instead of the connect host (SSLServerName).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Whether to verify the server's certificate (default true;
    /// SSLValidateCertificates). Without verification any certificate is
    /// accepted, which lets anyone in the path read and change the
    /// traffic: for tests against self-signed servers only.
    pub fn verify_server_certificate(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// How long a handshake may take before the link is dropped with
    /// [`TlsError::HandshakeTimeout`] (default 10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Calls `handler` with every TLS error of a link made with this
    /// configuration (besides the session's own error callback).
    pub fn on_error(
        mut self,
        handler: impl Fn(SocketAddr, &TlsError) + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(TlsErrorHandler::new(handler));
        self
    }

    /// Loads the files and builds the configuration.
    pub fn build(self) -> Result<TlsClientConfig, TlsConfigError> {
        let (provider, versions) = provider_and_versions(
            self.protocols,
            &self.cipher_suites,
            &self.tls13_cipher_suites,
        )?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)?;
        let builder = if self.verify {
            let mut certs = self.extra.directory_certificates()?;
            let roots = match &self.roots {
                Roots::Mozilla if !certs.is_empty() => root_store(&certs)?,
                Roots::Mozilla => mozilla_roots(),
                Roots::File(path) => {
                    certs.extend(load_certificates(path)?);
                    root_store(&certs)?
                }
                Roots::Certificates(given) => {
                    certs.extend(given.iter().cloned());
                    root_store(&certs)?
                }
            };
            let crls = self.extra.revocation_lists()?;
            if crls.is_empty() {
                builder.with_root_certificates(roots)
            } else {
                let verifier =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                        .with_crls(crls)
                        .build()?;
                builder.with_webpki_verifier(verifier)
            }
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCertificate { provider }))
        };
        let mut config = match self.identity {
            None => builder.with_no_client_auth(),
            Some(ClientIdentity::Files { chain, key }) => builder
                .with_client_auth_cert(load_certificates(&chain)?, load_private_key(&key)?)?,
            Some(ClientIdentity::Der(chain, key)) => builder.with_client_auth_cert(chain, key)?,
        };
        // SNI carries the server name (SSLServerName or the connect host);
        // rustls sends none for IP addresses.
        config.enable_sni = true;
        let server_name = match self.server_name {
            Some(name) => Some(
                ServerName::try_from(name.clone())
                    .map_err(|_| TlsConfigError::BadServerName(name))?,
            ),
            None => None,
        };
        Ok(TlsClientConfig {
            rustls: Arc::new(config),
            server_name,
            handshake_timeout: self.handshake_timeout,
            on_error: self.on_error,
        })
    }
}

/// SSLValidateCertificates=N: any server certificate is accepted, though
/// handshake signatures are still checked against it.
#[derive(Debug)]
struct AcceptAnyServerCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
