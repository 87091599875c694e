//! The glue to the engine: [`TlsStream`] as an engine
//! [`Transport`], the client and server configurations as
//! [`TransportFactory`]s, and [`peer_certificate`] to read a session's
//! peer certificate in a logon check.

use crate::settings::{read_settings, TlsSettings};
use crate::{PeerCertificate, TlsClientConfig, TlsConfigError, TlsServerConfig, TlsStream};
use fixrs_session::settings::{Settings, SettingsError};
use fixrs_session::Role;
use fixrs_transport_mio::{
    Application, EngineError, FixEngine, LinkInfo, LinkSide, PlainTcp, SessionHandle,
    SessionSettings, Transport, TransportFactory,
};
use mio::net::TcpStream;
use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Transport for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TlsStream::read(self, buf)
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        TlsStream::write(self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        TlsStream::flush(self)
    }

    fn wants_read(&self) -> bool {
        TlsStream::wants_read(self)
    }

    fn wants_write(&self) -> bool {
        TlsStream::wants_write(self)
    }

    fn source(&mut self) -> &mut dyn mio::event::Source {
        self.socket_mut()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        TlsStream::shutdown(self)
    }

    fn abort(&mut self) {
        // SO_LINGER 0: the close resets the connection and drops what the
        // socket still holds. Failing to set it leaves an orderly close.
        let _ = socket2::SockRef::from(self.socket()).set_linger(Some(std::time::Duration::ZERO));
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(TlsStream::peer_addr(self))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket().local_addr()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.handshake_deadline()
    }

    fn handle_timeout(&mut self, now: Instant) -> io::Result<()> {
        TlsStream::handle_timeout(self, now)
    }

    fn peer_identity(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        self.peer_certificate()
            .map(|c| c.clone() as Arc<dyn Any + Send + Sync>)
    }

    fn describe(&self) -> String {
        TlsStream::describe(self)
    }
}

impl TransportFactory for TlsClientConfig {
    fn wrap(&self, stream: TcpStream, link: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>> {
        if link.side != LinkSide::Initiator {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a TLS client configuration wraps initiator links only",
            ));
        }
        let name = self.server_name_for(link.host, link.peer)?;
        Ok(Box::new(TlsStream::client(stream, self, name)?))
    }
}

impl TransportFactory for TlsServerConfig {
    fn wrap(&self, stream: TcpStream, link: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>> {
        if link.side != LinkSide::Acceptor {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a TLS server configuration wraps acceptor links only",
            ));
        }
        Ok(Box::new(TlsStream::server(stream, self)?))
    }
}

/// The certificate the peer of `session`'s current link presented over
/// TLS, for a logon check in `Application::from_admin`; `None` for plain
/// TCP, a peer without certificate, or no link.
///
/// ```
/// use fixrs_proto::{tag, Message};
/// use fixrs_transport_mio::{AdminRejection, Application, RefuseLogon, SessionHandle};
///
/// /// Accepts a Logon only if the client certificate names its SenderCompID.
/// struct CertificateMustNameCompId;
///
/// impl Application for CertificateMustNameCompId {
///     fn from_admin(&mut self, session: &SessionHandle, message: &Message<'_>) -> Result<(), AdminRejection> {
///         if message.msg_type() != b"A" {
///             return Ok(());
///         }
///         let sender = std::str::from_utf8(message.get(tag::SENDER_COMP_ID).unwrap_or(b"")).unwrap_or("");
///         match fixrs_transport_tls::peer_certificate(session) {
///             Some(cert) if cert.matches_comp_id(sender) => Ok(()),
///             Some(cert) => Err(RefuseLogon(format!("certificate {:?} is not {sender}", cert.common_names())).into()),
///             None => Err(RefuseLogon("no client certificate".into()).into()),
///         }
///     }
/// }
/// ```
pub fn peer_certificate(session: &SessionHandle) -> Option<Arc<PeerCertificate>> {
    session
        .peer_identity()
        .and_then(|identity| identity.downcast::<PeerCertificate>().ok())
}

/// The transport factory a session's settings ask for: a TLS client
/// configuration for an initiator or a TLS server configuration for an
/// acceptor when SocketUseSSL=Y, `None` for plain TCP.
pub fn factory_from_settings(
    session: &SessionSettings,
) -> Result<Option<Arc<dyn TransportFactory>>, SetupError> {
    let line = session.line;
    let Some(tls) = TlsSettings::from_settings(session)? else {
        return Ok(None);
    };
    let factory: Arc<dyn TransportFactory> = match session.config.role {
        Role::Initiator => Arc::new(
            TlsClientConfig::from_settings(&tls)
                .map_err(|source| SetupError::Tls { line, source })?,
        ),
        Role::Acceptor => Arc::new(
            TlsServerConfig::from_settings(&tls)
                .map_err(|source| SetupError::Tls { line, source })?,
        ),
    };
    Ok(Some(factory))
}

/// Why a session could not be created from its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The settings file is wrong (the error names the line and key).
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The TLS settings do not make a configuration.
    #[error("session at line {line}: {source}")]
    Tls {
        /// The line of the session's `[SESSION]` header.
        line: usize,
        /// The cause.
        source: TlsConfigError,
    },
    /// The engine refused the session.
    #[error("session at line {line}: {source}")]
    Engine {
        /// The line of the session's `[SESSION]` header.
        line: usize,
        /// The cause.
        source: EngineError,
    },
}

/// Creates a session from its settings, over TLS when it says
/// SocketUseSSL=Y and over plain TCP otherwise: the counterpart of
/// `FixEngine::create_from_settings` for settings files that use TLS.
pub fn create_from_settings(
    engine: &FixEngine,
    session: &SessionSettings,
    app: impl Application,
) -> Result<SessionHandle, SetupError> {
    let line = session.line;
    let factory = factory_from_settings(session)?.unwrap_or_else(|| Arc::new(PlainTcp));
    engine
        .create_from_settings_with(session, factory, app)
        .map_err(|source| SetupError::Engine { line, source })
}

/// Creates every session of a settings file, TLS or not, with
/// applications from `make_app`, and starts the initiators: the
/// counterpart of `FixEngine::start_from_settings`, for a program that
/// loads a settings file and runs all its sessions. Every key of the file
/// must be one of [`ALL_KEYS`](crate::settings::ALL_KEYS). Every TLS
/// configuration and data dictionary is loaded before any session is
/// created, so a bad certificate or dictionary file leaves the engine
/// untouched. The file's warnings are logged.
pub fn start_from_settings<A: Application>(
    engine: &FixEngine,
    settings: &Settings,
    mut make_app: impl FnMut(&SessionSettings) -> A,
) -> Result<Vec<SessionHandle>, SetupError> {
    let mut sessions = read_settings(settings)?;
    for warning in fixrs_transport_mio::settings::warnings(settings, &sessions) {
        log::warn!("settings: {warning}");
    }
    let factories = sessions
        .iter()
        .map(factory_from_settings)
        .collect::<Result<Vec<_>, _>>()?;
    // Every dictionary too, before any session is created.
    for s in &mut sessions {
        let line = s.line;
        engine
            .load_dictionaries(s)
            .map_err(|source| SetupError::Engine { line, source })?;
    }
    let mut handles = Vec::with_capacity(sessions.len());
    for (s, factory) in sessions.iter().zip(factories) {
        let line = s.line;
        let factory = factory.unwrap_or_else(|| Arc::new(PlainTcp));
        if let Some(h) = engine
            .start_one_from_settings(s, factory, make_app(s))
            .map_err(|source| SetupError::Engine { line, source })?
        {
            handles.push(h);
        }
    }
    Ok(handles)
}
