//! Errors of FIX over TLS: building a configuration ([`TlsConfigError`])
//! and running a link ([`TlsError`]).
//!
//! A link error reaches the engine inside the `io::Error` the transport
//! returns, and from there the application's `on_error` callback, as the
//! source of the engine's `LinkError` (or the
//! error handler of a TLS configuration, for acceptor connections that
//! never reached a session); [`TlsError::find`] gets the typed error back.

use rustls::{AlertDescription, CertificateError};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a TLS client or server configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file that should hold certificates holds none.
    #[error("{path}: no PEM certificate found")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A file or directory that should hold certificate revocation lists
    /// holds none.
    #[error("{path}: no PEM certificate revocation list (X509 CRL) found")]
    NoRevocationList {
        /// The file or directory.
        path: PathBuf,
    },
    /// A TLSCipherSuites entry names a suite of an older TLS version.
    #[error(
        "TLSCipherSuites names {0:?}, which is not a TLS 1.3 cipher suite (use SSLCipherSuite)"
    )]
    NotTls13CipherSuite(String),
    /// A file that should hold a private key holds none.
    #[error("{path}: no PEM private key found")]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// A PEM section could not be decoded.
    #[error("{path}: bad PEM: {reason}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A certificate of CertificationAuthoritiesFile cannot serve as a
    /// trust anchor.
    #[error("certificate authority not usable: {0}")]
    BadAuthority(String),
    /// An SSLCipherSuite entry names no cipher suite this build supports.
    #[error("unknown or unsupported cipher suite {0:?}")]
    UnknownCipherSuite(String),
    /// No allowed cipher suite belongs to an allowed protocol version.
    #[error("no cipher suite left for the allowed TLS protocol versions")]
    NoCipherSuite,
    /// The server name for SNI and certificate checks is neither a DNS
    /// name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    BadServerName(String),
    /// Something this side needs was not configured.
    #[error("missing {0}")]
    Missing(&'static str),
    /// rustls refused the configuration (for example a key that does not
    /// match its certificate).
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client certificate verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// Why a TLS link failed. The session treats it as any broken link (an
/// initiator goes to Reconnect); the variant says what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The handshake did not complete within the handshake timeout.
    #[error("TLS handshake not complete after {0:?}")]
    HandshakeTimeout(Duration),
    /// We refused the peer's certificate (unknown issuer, expired, not
    /// valid for the server name, revoked...).
    #[error("peer certificate refused: {0}")]
    BadCertificate(CertificateError),
    /// The peer sent no certificate although one is required.
    #[error("peer sent no certificate but one is required")]
    NoCertificate,
    /// The peer aborted the handshake with an alert, for example because
    /// it refused our certificate (`BadCertificate`, `UnknownCA`,
    /// `CertificateExpired`) or found nothing in common
    /// (`HandshakeFailure`, `ProtocolVersion`).
    #[error("peer sent TLS alert {0:?}")]
    PeerAlert(AlertDescription),
    /// The peer does not speak TLS: the bytes received are not TLS records
    /// (a plaintext FIX peer on a TLS link).
    #[error("peer does not speak TLS (plaintext peer on a TLS link?)")]
    NotTls,
    /// The peer closed the connection before the handshake completed (a
    /// plaintext acceptor closes a TLS client this way).
    #[error("peer closed the connection during the TLS handshake (plaintext port?)")]
    ClosedDuringHandshake,
    /// No protocol version or cipher suite in common with the peer.
    #[error("no TLS protocol version or cipher suite in common with the peer: {0}")]
    NoCommonParameters(rustls::Error),
    /// The name to check the server's certificate against (the connect
    /// host) is neither a DNS name nor an IP address: set SSLServerName.
    #[error("invalid TLS server name {0:?} (set SSLServerName)")]
    BadServerName(String),
    /// Any other TLS protocol failure.
    #[error("TLS error: {0}")]
    Protocol(rustls::Error),
}

impl TlsError {
    /// Classifies a rustls error; `handshaking` tells whether it arose
    /// before the handshake completed.
    pub(crate) fn from_rustls(err: rustls::Error, handshaking: bool) -> TlsError {
        use rustls::{Error as E, InvalidMessage as M, PeerIncompatible as P};
        match err {
            E::InvalidCertificate(c) => TlsError::BadCertificate(c),
            E::NoCertificatesPresented => TlsError::NoCertificate,
            E::AlertReceived(a) => TlsError::PeerAlert(a),
            E::InvalidMessage(M::InvalidContentType | M::UnknownProtocolVersion) if handshaking => {
                TlsError::NotTls
            }
            E::PeerIncompatible(
                P::NoCipherSuitesInCommon
                | P::NoKxGroupsInCommon
                | P::NoSignatureSchemesInCommon
                | P::NoCertificateRequestSignatureSchemesInCommon
                | P::ServerTlsVersionIsDisabledByOurConfig
                | P::SupportedVersionsExtensionRequired
                | P::ServerDoesNotSupportTls12Or13
                | P::Tls12NotOffered
                | P::Tls12NotOfferedOrEnabled
                | P::Tls13RequiredForQuic,
            ) => TlsError::NoCommonParameters(err),
            other => TlsError::Protocol(other),
        }
    }

    /// The `io::ErrorKind` the transport reports this error with.
    pub(crate) fn io_kind(&self) -> io::ErrorKind {
        match self {
            TlsError::HandshakeTimeout(_) => io::ErrorKind::TimedOut,
            TlsError::ClosedDuringHandshake => io::ErrorKind::ConnectionAborted,
            TlsError::PeerAlert(_) => io::ErrorKind::ConnectionRefused,
            _ => io::ErrorKind::InvalidData,
        }
    }

    /// Finds a [`TlsError`] in an error as the engine reports it: the
    /// error itself, an `io::Error` carrying it, or anywhere in the chain
    /// of sources.
    ///
    /// ```
    /// use fixrs_transport_tls::TlsError;
    /// let io = std::io::Error::new(std::io::ErrorKind::InvalidData, TlsError::NotTls);
    /// assert_eq!(TlsError::find(&io), Some(&TlsError::NotTls));
    /// ```
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a TlsError> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(tls) = e.downcast_ref::<TlsError>() {
                return Some(tls);
            }
            // io::Error::source skips the error it wraps: look inside.
            if let Some(inner) = e
                .downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<TlsError>())
            {
                return Some(inner);
            }
            current = e.source();
        }
        None
    }
}

impl From<TlsError> for io::Error {
    fn from(err: TlsError) -> io::Error {
        io::Error::new(err.io_kind(), err)
    }
}
