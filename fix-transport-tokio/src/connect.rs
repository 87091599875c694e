//! An initiator's connect attempts: TCP with the session's socket
//! options, then TLS when configured, one address after the other.

use crate::error::Error;
use crate::link::{BoxStream, Stream};
use fixrs_transport_mio::SocketOptions;
use fixrs_transport_tls::{PeerCertificate, TlsClientConfig};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// A link just opened: the stream, the peer's address and, over TLS,
/// the certificate the peer presented.
pub(crate) struct Connected {
    pub(crate) stream: Stream,
    pub(crate) peer: String,
    pub(crate) certificate: Option<Arc<PeerCertificate>>,
}

/// A connect attempt under way.
pub(crate) type Connecting = Pin<Box<dyn Future<Output = Result<Connected, Error>> + Send>>;

/// Opens an initiator's links in a way of the application's own
/// ([`SessionOptions::with_connect_fn`](crate::SessionOptions::with_connect_fn)).
pub type ConnectFn =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = io::Result<BoxStream>> + Send>> + Send + Sync>;

/// Where and how an initiator connects.
pub(crate) struct Connector {
    custom: Option<ConnectFn>,
    addresses: Vec<String>,
    next: usize,
    tls: Option<Arc<TlsClientConfig>>,
    socket: SocketOptions,
    timeout: Duration,
}

impl Connector {
    pub(crate) fn new(
        custom: Option<ConnectFn>,
        addresses: Vec<String>,
        tls: Option<Arc<TlsClientConfig>>,
        socket: SocketOptions,
        timeout: Duration,
    ) -> Connector {
        Connector {
            custom,
            addresses,
            next: 0,
            tls,
            socket,
            timeout,
        }
    }

    /// Starts an attempt to the next address (round robin, as the mio
    /// engine's default HostSelectionPolicy).
    pub(crate) fn connect(&mut self) -> Connecting {
        if let Some(custom) = &self.custom {
            let attempt = custom();
            return Box::pin(async move {
                attempt
                    .await
                    .map(|s| Connected {
                        stream: Stream::Other(s),
                        peer: "custom link".to_string(),
                        certificate: None,
                    })
                    .map_err(|source| Error::Link {
                        peer: "custom link".into(),
                        source,
                    })
            });
        }
        let address = self.addresses[self.next % self.addresses.len()].clone();
        self.next = self.next.wrapping_add(1);
        let (tls, socket, timeout) = (self.tls.clone(), self.socket, self.timeout);
        Box::pin(async move {
            let link = |source: io::Error| Error::Link {
                peer: address.clone(),
                source,
            };
            let tcp = tokio::time::timeout(timeout, TcpStream::connect(address.as_str()))
                .await
                .map_err(|_| link(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")))?
                .map_err(link)?;
            socket
                .apply_to(socket2::SockRef::from(&tcp))
                .map_err(link)?;
            let peer = tcp.peer_addr().map_err(link)?;
            let Some(tls) = tls else {
                return Ok(Connected {
                    stream: Stream::Tcp(tcp),
                    peer: address,
                    certificate: None,
                });
            };
            let host = address
                .rsplit_once(':')
                .map_or(address.as_str(), |(host, _)| host);
            let name = tls
                .server_name_for(host, peer)
                .map_err(|e| link(io::Error::other(e)))?;
            let connector = tokio_rustls::TlsConnector::from(tls.rustls_config().clone());
            let stream =
                tokio::time::timeout(tls.handshake_timeout(), connector.connect(name, tcp))
                    .await
                    .map_err(|_| {
                        let e = fixrs_transport_tls::TlsError::HandshakeTimeout(
                            tls.handshake_timeout(),
                        );
                        link(io::Error::other(e))
                    })?
                    .map_err(link)?;
            let certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|chain| Arc::new(PeerCertificate::from_chain(chain.to_vec())));
            Ok(Connected {
                stream: Stream::Other(Box::new(stream)),
                peer: address,
                certificate,
            })
        })
    }
}
