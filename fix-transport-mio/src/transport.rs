//! The byte-stream abstraction the engine drives: plain TCP here, TLS in
//! `fixrs-transport-tls`.
//!
//! A [`Transport`] is a non-blocking, buffered duplex stream registered with
//! the engine's mio poll. Its shape follows rustls' buffered connection API:
//! the engine reads plaintext out, writes plaintext in, and asks which
//! readiness the transport wants ([`Transport::wants_read`] /
//! [`Transport::wants_write`]) after every operation, so a TLS transport can
//! ask for write readiness while it has records to flush or read readiness
//! while a handshake waits for the peer. The trait is object safe: the
//! engine holds `Box<dyn Transport>`.
//!
//! A [`TransportFactory`] wraps each freshly connected or accepted TCP
//! stream (for example into a TLS client or server stream); the default,
//! [`PlainTcp`], uses the stream as it is.

use mio::net::{TcpListener, TcpStream};
use std::any::Any;
use std::io;
#[cfg(not(target_os = "linux"))]
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A non-blocking byte stream carrying one FIX session's messages.
///
/// Contract with the engine:
/// - [`read`](Transport::read) and [`write`](Transport::write) never block:
///   they return [`io::ErrorKind::WouldBlock`] when the underlying socket
///   is not ready; `read` returning `Ok(0)` means the peer closed the stream;
/// - after any call the engine asks [`wants_read`](Transport::wants_read)
///   and [`wants_write`](Transport::wants_write) and registers the
///   [`source`](Transport::source) for that readiness (it always adds write
///   readiness while it has unwritten FIX bytes of its own);
/// - when write readiness fires the engine calls
///   [`flush`](Transport::flush) before writing more, so a transport that
///   buffers (TLS records) can push its buffered bytes out.
pub trait Transport: Send {
    /// Reads received application bytes into `buf`; `Ok(0)` at end of
    /// stream, `WouldBlock` when nothing is available now.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes application bytes from `buf`, returning how many were taken
    /// (possibly fewer than offered), or `WouldBlock` when none can be.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;

    /// Pushes bytes the transport itself buffered (such as TLS records) to
    /// the socket; `WouldBlock` when the socket cannot take them now.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Whether the transport wants read readiness (true for TCP; a TLS
    /// stream says so while it waits for handshake bytes or data).
    fn wants_read(&self) -> bool {
        true
    }

    /// Whether the transport has bytes of its own waiting for write
    /// readiness (never for plain TCP; TLS records or handshake messages).
    fn wants_write(&self) -> bool {
        false
    }

    /// Whether a read that returned fewer bytes than asked for means the
    /// transport has nothing more buffered, so the engine may wait for the
    /// next readiness event instead of reading again until `WouldBlock`
    /// (true for a plain socket under edge-triggered polling: new bytes
    /// raise a new event; a TLS stream holding decrypted bytes must say
    /// false, the default).
    fn short_read_drains(&self) -> bool {
        false
    }

    /// The mio source to register for readiness (the socket).
    fn source(&mut self) -> &mut dyn mio::event::Source;

    /// Closes the stream in both directions (a TLS transport sends
    /// close_notify first, as far as the socket takes it).
    fn shutdown(&mut self) -> io::Result<()>;

    /// The engine gives up on the link: it was asked to close, and its
    /// close timeout passed with bytes still unwritten (a peer that does
    /// not read). Called just before [`shutdown`](Transport::shutdown) and
    /// drop; a transport over TCP makes the close drop what the socket
    /// still holds and reset the connection, so that neither the process
    /// nor the kernel keeps it. The default does nothing more than
    /// `shutdown`.
    fn abort(&mut self) {}

    /// The address of the peer.
    fn peer_addr(&self) -> io::Result<SocketAddr>;

    /// The local address of the stream.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// When the transport needs [`handle_timeout`](Transport::handle_timeout)
    /// called (a TLS handshake deadline); `None` for never. The engine
    /// asks right after wrapping the stream.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Called once the [`poll_timeout`](Transport::poll_timeout) deadline
    /// passed (spurious calls are harmless). An error breaks the link and
    /// is reported like a read or write error.
    fn handle_timeout(&mut self, now: Instant) -> io::Result<()> {
        let _ = now;
        Ok(())
    }

    /// What the transport proved about the peer beyond its address, such
    /// as the certificate of a TLS peer; `None` while unknown or for plain
    /// TCP. The engine publishes it on the session before the peer's Logon
    /// reaches the application (see
    /// [`SessionHandle::peer_identity`](crate::SessionHandle::peer_identity)),
    /// so a logon check can compare it with the CompIDs; the application
    /// downcasts it to the transport's type.
    fn peer_identity(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }

    /// A short description of the link for logs (protocol, peer identity).
    fn describe(&self) -> String {
        match self.peer_addr() {
            Ok(a) => format!("tcp {a}"),
            Err(_) => "tcp (peer unknown)".to_string(),
        }
    }
}

/// A plain TCP stream.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    /// Wraps a connected non-blocking stream.
    pub fn new(stream: TcpStream) -> TcpTransport {
        TcpTransport { stream }
    }

    /// The underlying stream.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The underlying stream, mutably.
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> TcpStream {
        self.stream
    }
}

impl Transport for TcpTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        {
            // The system call itself: the C library's wrapper is a thread
            // cancellation point, extra work on every read of the loop.
            match rustix::net::recv(&self.stream, buf, rustix::net::RecvFlags::empty()) {
                Ok((n, _)) => Ok(n),
                Err(errno) => Err(errno.into()),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.stream.read(buf)
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        {
            // As `read`; NOSIGNAL as the standard library passes it: a
            // closed peer is an error, not a SIGPIPE.
            rustix::net::send(&self.stream, buf, rustix::net::SendFlags::NOSIGNAL)
                .map_err(io::Error::from)
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.stream.write(buf)
        }
    }

    fn short_read_drains(&self) -> bool {
        true
    }

    fn source(&mut self) -> &mut dyn mio::event::Source {
        &mut self.stream
    }

    fn abort(&mut self) {
        // SO_LINGER 0: close sends a reset and drops unsent bytes. Failing
        // to set it only means an orderly close instead.
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    fn shutdown(&mut self) -> io::Result<()> {
        match self.stream.shutdown(Shutdown::Both) {
            // Already reset by the peer: closed is closed.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

/// Which side of a link a transport is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSide {
    /// We connected to the peer (a TLS client).
    Initiator,
    /// The peer connected to us (a TLS server).
    Acceptor,
}

/// What a [`TransportFactory`] knows about a new link.
#[derive(Debug, Clone, Copy)]
pub struct LinkInfo<'a> {
    /// Whether we connected or accepted.
    pub side: LinkSide,
    /// The peer's address.
    pub peer: SocketAddr,
    /// For initiators, the host name the session was told to connect to
    /// (for TLS server name checks); for acceptors, empty.
    pub host: &'a str,
}

/// Wraps each new TCP stream into the [`Transport`] the engine drives:
/// the hook for TLS on acceptors (set per listener) and initiators (set per
/// session).
pub trait TransportFactory: Send + Sync {
    /// Wraps a connected, non-blocking stream with TCP options already
    /// applied. An error closes the stream.
    fn wrap(&self, stream: TcpStream, link: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>>;
}

/// The factory of plain TCP transports.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainTcp;

impl TransportFactory for PlainTcp {
    fn wrap(&self, stream: TcpStream, _link: &LinkInfo<'_>) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(TcpTransport::new(stream)))
    }
}

/// Starts a non-blocking connect to `addr`, first binding `source` if
/// given (with SO_REUSEADDR when `reuse_address`).
pub(crate) fn connect_from(
    addr: SocketAddr,
    source: Option<SocketAddr>,
    reuse_address: bool,
) -> io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect(addr);
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.set_reuse_address(reuse_address)?;
    socket.bind(&source.into()).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot bind source address {source}: {e}"),
        )
    })?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Binds a non-blocking listening socket, with or without SO_REUSEADDR.
pub(crate) fn listen_on(addr: SocketAddr, reuse_address: bool) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.set_reuse_address(reuse_address)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// Whether a non-blocking connect's error only says it is under way.
#[cfg(unix)]
fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS)
}

/// Whether a non-blocking connect's error only says it is under way.
#[cfg(not(unix))]
fn connect_in_progress(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// TCP socket options applied to every connected and accepted stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    /// TCP_NODELAY (default on: FIX messages are small and latency-bound).
    pub tcp_nodelay: bool,
    /// SO_SNDBUF in bytes; `None` keeps the system default.
    pub send_buffer_size: Option<usize>,
    /// SO_RCVBUF in bytes; `None` keeps the system default.
    pub recv_buffer_size: Option<usize>,
    /// TCP keepalive idle time; `None` leaves keepalive off.
    pub keepalive: Option<Duration>,
    /// SO_REUSEADDR on an initiator's socket bound to a source address
    /// before it connects (default on: a reconnect from the same source
    /// port need not wait for the old connection's TIME_WAIT).
    pub reuse_address: bool,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            tcp_nodelay: true,
            send_buffer_size: None,
            recv_buffer_size: None,
            keepalive: None,
            reuse_address: true,
        }
    }
}

impl SocketOptions {
    /// Applies the options to a stream.
    pub fn apply(&self, stream: &TcpStream) -> io::Result<()> {
        self.apply_to(socket2::SockRef::from(stream))
    }

    /// Applies the options to any TCP socket (such as another runtime's
    /// stream).
    pub fn apply_to(&self, sock: socket2::SockRef<'_>) -> io::Result<()> {
        sock.set_tcp_nodelay(self.tcp_nodelay)?;
        if let Some(n) = self.send_buffer_size {
            sock.set_send_buffer_size(n)?;
        }
        if let Some(n) = self.recv_buffer_size {
            sock.set_recv_buffer_size(n)?;
        }
        if let Some(idle) = self.keepalive {
            sock.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(idle))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_and_bound_connects_follow_socket_reuse_address() {
        for reuse in [true, false] {
            let listener = listen_on("127.0.0.1:0".parse().expect("addr"), reuse).expect("listen");
            assert_eq!(
                socket2::SockRef::from(&listener)
                    .reuse_address()
                    .expect("option"),
                reuse
            );
            let to = listener.local_addr().expect("addr");
            let source = "127.0.0.1:0".parse().expect("addr");
            let stream = connect_from(to, Some(source), reuse).expect("connect");
            assert_eq!(
                socket2::SockRef::from(&stream)
                    .reuse_address()
                    .expect("option"),
                reuse
            );
        }
    }
}
