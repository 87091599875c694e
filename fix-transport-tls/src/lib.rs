//! FIX over TLS: rustls client and server transports for the mio FIX
//! engine, including mutual TLS.
//!
//! This crate adds encryption to the engine's byte streams and nothing
//! else: the FIX session logic is unchanged and lives in `fixrs-session`,
//! and every engine feature (reconnects, resends, late delivery, logs)
//! works the same over TLS. A [`TlsClientConfig`] is the transport factory
//! of initiator sessions, a [`TlsServerConfig`] that of acceptor
//! listeners; both are built from a settings file's TLS keys
//! ([`TlsClientConfig::from_settings`], [`TlsServerConfig::from_settings`])
//! or in code.
//!
//! ```no_run
//! use fixrs_proto::FixVersion;
//! use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, SessionId};
//! use fixrs_transport_tls::{ClientAuth, TlsClientConfig, TlsServerConfig};
//! use std::sync::Arc;
//!
//! // Acceptor: TLS listener asking for client certificates.
//! let acceptor = FixEngine::new(EngineSettings::default())?;
//! let server = TlsServerConfig::builder()
//!     .certificate_files("certs/server.pem", "certs/server.key")
//!     .client_auth(ClientAuth::Required)
//!     .ca_file("certs/ca.pem")
//!     .build()?;
//! let addr = acceptor.listen_with("127.0.0.1:9443".parse()?, Arc::new(server))?;
//! let (app, _events) = ChannelApplication::new();
//! acceptor.create_acceptor_session(SessionId::new("BROKER", "BANK"), FixVersion::Fix44, app)?;
//!
//! // Initiator: TLS client presenting its certificate.
//! let initiator = FixEngine::new(EngineSettings::default())?;
//! let client = TlsClientConfig::builder()
//!     .ca_file("certs/ca.pem")
//!     .client_certificate_files("certs/bank.pem", "certs/bank.key")
//!     .build()?;
//! let (app, _events) = ChannelApplication::new();
//! let session = initiator.create_session(SessionId::new("BANK", "BROKER"), FixVersion::Fix44, app)?;
//! session.connect_with(30, &addr.to_string(), Arc::new(client))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Driving: a [`TlsStream`] moves records between rustls and the
//! non-blocking socket only when the engine's poll says the socket is
//! ready, and reports `wants_read` / `wants_write` from rustls after every
//! call, as rustls' own mio example does; a handshake that does not
//! complete within its timeout fails with [`TlsError::HandshakeTimeout`].
//! Failures are [`TlsError`]s, delivered to the session's
//! `Application::on_error` inside the engine's `LinkError` (the source of
//! its `io::Error`; [`TlsError::find`] gets them out) and to the configuration's
//! [`on_error`](TlsServerBuilder::on_error) handler, which also hears of
//! acceptor connections that failed before any session was known. The
//! session reacts as to any broken link: an initiator goes to Reconnect.
//!
//! Identity: once the handshake completed, the peer's certificate is a
//! [`PeerCertificate`] (subject common names, subjectAltNames, DER), which
//! [`peer_certificate`] returns for a session, in time for the logon check
//! in `Application::from_admin`.
//!
//! Cryptography comes from rustls with the *ring* provider only, which
//! builds with nothing but a C compiler. Trust anchors for initiators
//! without CertificationAuthoritiesFile are the Mozilla roots compiled in
//! by `webpki-roots`, so that verification behaves the same on every
//! machine whatever its certificate store.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod error;
mod identity;
pub mod pem;
mod server;
pub mod settings;
mod stream;
pub mod suites;
mod transport;

pub use client::{TlsClientBuilder, TlsClientConfig};
pub use error::{TlsConfigError, TlsError};
pub use identity::PeerCertificate;
pub use server::{ClientAuth, TlsServerBuilder, TlsServerConfig};
pub use settings::{CertificateVerifyLevel, TlsProtocols, TlsSettings};
pub use stream::TlsStream;
pub use transport::{
    create_from_settings, factory_from_settings, peer_certificate, start_from_settings, SetupError,
};

/// rustls, re-exported for its certificate and key types
/// (`rustls::pki_types::{CertificateDer, PrivateKeyDer}`).
pub use rustls;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a TLS handshake may take unless configured otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A callback told of every TLS failure of the links made with one
/// configuration: the peer's address and the error. It runs on the engine
/// thread and should return quickly.
#[derive(Clone)]
pub struct TlsErrorHandler(Arc<HandlerFn>);

type HandlerFn = dyn Fn(SocketAddr, &TlsError) + Send + Sync;

impl TlsErrorHandler {
    /// Wraps a closure.
    pub fn new(handler: impl Fn(SocketAddr, &TlsError) + Send + Sync + 'static) -> Self {
        TlsErrorHandler(Arc::new(handler))
    }

    /// Calls the handler.
    pub fn call(&self, peer: SocketAddr, error: &TlsError) {
        (self.0)(peer, error)
    }
}

impl fmt::Debug for TlsErrorHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsErrorHandler")
    }
}

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
