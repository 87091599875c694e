//! [`TlsStream`]: a rustls connection over a non-blocking mio TCP stream,
//! driven the way rustls' mio example drives it.
//!
//! The engine reads and writes plaintext; the stream moves TLS records
//! between rustls and the socket only when the socket is ready, and tells
//! the engine which readiness it needs from rustls' `wants_read` and
//! `wants_write` after every call. Nothing here loops waiting for the
//! socket: `WouldBlock` goes straight back to the event loop.
//!
//! Failures become a [`TlsError`] (sent to the configuration's error
//! handler once, and returned inside an `io::Error` from then on), after
//! the alert rustls queued for the peer was written as far as the socket
//! takes it, so the peer learns why.

use crate::error::TlsError;
use crate::identity::PeerCertificate;
use crate::{TlsClientConfig, TlsErrorHandler, TlsServerConfig};
use mio::net::TcpStream;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, Connection, ServerConnection};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A TLS client or server stream over a connected, non-blocking TCP
/// socket.
pub struct TlsStream {
    sock: TcpStream,
    conn: Connection,
    peer: SocketAddr,
    handshake_timeout: Duration,
    /// Until the handshake completes.
    handshake_deadline: Option<Instant>,
    /// The first failure; every later call returns it.
    error: Option<TlsError>,
    peer_certificate: Option<Arc<PeerCertificate>>,
    on_error: Option<TlsErrorHandler>,
    /// The peer closed its side of the TCP stream.
    eof: bool,
    /// The peer ended the TLS stream with close_notify.
    close_notify_received: bool,
    close_notify_sent: bool,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("peer", &self.peer)
            .field("handshaking", &self.conn.is_handshaking())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl TlsStream {
    /// Starts a client handshake on a connected socket, checking the
    /// server's certificate against `server_name`.
    pub fn client(
        sock: TcpStream,
        config: &TlsClientConfig,
        server_name: ServerName<'static>,
    ) -> io::Result<TlsStream> {
        let conn = ClientConnection::new(config.rustls.clone(), server_name)
            .map_err(|e| io::Error::from(TlsError::from_rustls(e, true)))?;
        TlsStream::new(
            sock,
            Connection::Client(conn),
            config.handshake_timeout,
            config.on_error.clone(),
        )
    }

    /// Starts a server handshake on an accepted socket.
    pub fn server(sock: TcpStream, config: &TlsServerConfig) -> io::Result<TlsStream> {
        let conn = ServerConnection::new(config.rustls.clone())
            .map_err(|e| io::Error::from(TlsError::from_rustls(e, true)))?;
        TlsStream::new(
            sock,
            Connection::Server(conn),
            config.handshake_timeout,
            config.on_error.clone(),
        )
    }

    fn new(
        sock: TcpStream,
        conn: Connection,
        handshake_timeout: Duration,
        on_error: Option<TlsErrorHandler>,
    ) -> io::Result<TlsStream> {
        let peer = sock.peer_addr()?;
        Ok(TlsStream {
            sock,
            conn,
            peer,
            handshake_timeout,
            handshake_deadline: Some(Instant::now() + handshake_timeout),
            error: None,
            peer_certificate: None,
            on_error,
            eof: false,
            close_notify_received: false,
            close_notify_sent: false,
        })
    }

    /// Whether the handshake is still in progress.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// When the handshake times out, while it is in progress.
    pub fn handshake_deadline(&self) -> Option<Instant> {
        self.handshake_deadline
    }

    /// The certificate the peer presented, once the handshake completed
    /// (`None` before, or if it sent none).
    pub fn peer_certificate(&self) -> Option<&Arc<PeerCertificate>> {
        self.peer_certificate.as_ref()
    }

    /// The negotiated protocol version, once known.
    pub fn protocol_version(&self) -> Option<rustls::ProtocolVersion> {
        self.conn.protocol_version()
    }

    /// The negotiated cipher suite, once known.
    pub fn cipher_suite(&self) -> Option<rustls::CipherSuite> {
        self.conn.negotiated_cipher_suite().map(|s| s.suite())
    }

    /// Whether the peer ended the stream with a TLS close_notify (a clean
    /// close) rather than just closing the TCP connection.
    pub fn received_close_notify(&self) -> bool {
        self.close_notify_received
    }

    /// The error that ended the link, if any.
    pub fn error(&self) -> Option<&TlsError> {
        self.error.as_ref()
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The underlying socket.
    pub fn socket(&self) -> &TcpStream {
        &self.sock
    }

    /// The socket, as the source to register with mio.
    pub fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Fails the handshake if its deadline passed. Harmless at any time.
    pub fn handle_timeout(&mut self, now: Instant) -> io::Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        match self.handshake_deadline {
            Some(deadline) if now >= deadline && self.conn.is_handshaking() => {
                Err(self.fail(TlsError::HandshakeTimeout(self.handshake_timeout)))
            }
            _ => Ok(()),
        }
    }

    /// Whether the stream wants read readiness: rustls wants TLS bytes
    /// (not while it holds unread plaintext, nor while it must first send
    /// handshake records), and the peer has not closed.
    pub fn wants_read(&self) -> bool {
        self.error.is_none() && !self.eof && self.conn.wants_read()
    }

    /// Whether the stream holds TLS records to send (handshake messages,
    /// encrypted data, alerts).
    pub fn wants_write(&self) -> bool {
        self.error.is_none() && self.conn.wants_write()
    }

    /// Reads decrypted application bytes; `Ok(0)` once the peer closed
    /// (with or without close_notify), `WouldBlock` when none are
    /// available now.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        if self.handshake_deadline.is_some() {
            self.handle_timeout(Instant::now())?;
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(0) if !buf.is_empty() => {
                    self.close_notify_received = true;
                    return Ok(0);
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.eof {
                        return Ok(0);
                    }
                }
                // The TCP stream ended without close_notify. FIX frames
                // carry their own length and checksum, so truncation
                // cannot pass as a complete message: a plain end.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => {
                    self.eof = true;
                    if self.conn.is_handshaking() {
                        return Err(self.fail(TlsError::ClosedDuringHandshake));
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(e),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            self.process()?;
        }
    }

    /// Hands rustls the records read and sends what it answers.
    fn process(&mut self) -> io::Result<()> {
        let was_handshaking = self.conn.is_handshaking();
        if let Err(e) = self.conn.process_new_packets() {
            return Err(self.fail(TlsError::from_rustls(e, was_handshaking)));
        }
        if was_handshaking && !self.conn.is_handshaking() {
            self.handshake_deadline = None;
            self.peer_certificate = self
                .conn
                .peer_certificates()
                .map(|chain| Arc::new(PeerCertificate::from_chain(chain.to_vec())));
            // Info: which version and suite were negotiated is what an
            // operator checks first when a counterparty's TLS misbehaves.
            log::info!(
                "TLS handshake with {} done: {}, {}",
                self.peer,
                version_name(self.protocol_version()),
                self.cipher_suite()
                    .map_or_else(|| "no cipher suite".to_string(), |s| format!("{s:?}"))
            );
        }
        // Handshake replies (and, once done, any plaintext the engine
        // wrote early) go out now rather than after another wake-up.
        match self.write_records() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
            _ => Ok(()),
        }
    }

    /// Encrypts application bytes; returns how many were taken, or
    /// `WouldBlock` when none could be. Bytes written during the handshake
    /// are sent when it completes.
    ///
    /// As with a socket, a short count means the socket is full (a write
    /// readiness event will follow), never merely that rustls' buffer is:
    /// then records are pushed to the socket and encryption goes on. An
    /// engine waiting for write readiness after a short count that the
    /// socket did not cause would wait forever under edge-triggered polling.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        let mut taken = 0;
        loop {
            taken += self.conn.writer().write(&buf[taken..])?;
            if taken == buf.len() {
                return Ok(taken);
            }
            let pushed = if self.conn.wants_write() {
                // rustls' buffer is full: push records to the socket.
                self.write_records()
            } else {
                // Nothing to send: plaintext is held until the handshake
                // completes, which reading will bring about.
                Err(io::ErrorKind::WouldBlock.into())
            };
            match pushed {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && taken > 0 => return Ok(taken),
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes buffered TLS records to the socket until none are left
    /// (`Ok`) or the socket is full (`WouldBlock`).
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone().into());
        }
        if self.handshake_deadline.is_some() {
            self.handle_timeout(Instant::now())?;
        }
        self.write_records()
    }

    fn write_records(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends close_notify (as far as the socket takes it) and closes the
    /// TCP stream in both directions.
    pub fn shutdown(&mut self) -> io::Result<()> {
        if self.error.is_none() && !self.close_notify_sent {
            self.close_notify_sent = true;
            self.conn.send_close_notify();
            if let Err(e) = self.write_records() {
                log::debug!("close_notify to {} not sent in full: {e}", self.peer);
            }
        }
        match self.sock.shutdown(Shutdown::Both) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    /// A short description for logs: protocol, cipher suite, peer, and
    /// the peer certificate's first common name.
    pub fn describe(&self) -> String {
        let version = version_name(self.protocol_version());
        let mut out = format!("{version} {}", self.peer);
        if let Some(suite) = self.cipher_suite() {
            out.push_str(&format!(" {suite:?}"));
        }
        if let Some(cn) = self
            .peer_certificate
            .as_ref()
            .and_then(|c| c.common_names().first())
        {
            out.push_str(&format!(" CN={cn}"));
        }
        out
    }

    /// Records the first failure, tells the error handler, and sends the
    /// alert rustls queued.
    fn fail(&mut self, err: TlsError) -> io::Error {
        if self.error.is_none() {
            if let Err(e) = self.write_records() {
                log::debug!("TLS alert to {} not sent: {e}", self.peer);
            }
            log::info!("TLS link with {} failed: {err}", self.peer);
            if let Some(handler) = &self.on_error {
                handler.call(self.peer, &err);
            }
            self.error = Some(err.clone());
        }
        err.into()
    }
}

/// The name of a negotiated protocol version, as OpenSSL prints it.
fn version_name(version: Option<rustls::ProtocolVersion>) -> &'static str {
    match version {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "TLS",
    }
}
