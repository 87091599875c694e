//! The byte stream a session runs over: any [`LinkStream`] (TCP, TLS,
//! a pipe), and the halves the session's task reads and writes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// A byte stream a session can run over: TCP, TLS over TCP, or anything
/// else that reads and writes (a Unix socket, an in-memory pipe).
pub trait LinkStream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> LinkStream for T {}

/// A connected stream, boxed so that every kind of link is one type.
pub type BoxStream = Box<dyn LinkStream>;

/// A connected stream as the task gets it. Plain TCP stays a
/// [`TcpStream`] so that its halves are split without a lock between
/// them ([`TcpStream::into_split`]); any other stream is split with
/// [`tokio::io::split`].
pub(crate) enum Stream {
    Tcp(TcpStream),
    Other(BoxStream),
}

impl Stream {
    /// Splits the stream into the halves the task reads and writes.
    pub(crate) fn split(self) -> (Reader, Writer) {
        match self {
            Stream::Tcp(tcp) => {
                let (r, w) = tcp.into_split();
                (Reader::Tcp(r), Writer::Tcp(w))
            }
            Stream::Other(s) => {
                let (r, w) = tokio::io::split(s);
                (Reader::Other(r), Writer::Other(w))
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Other(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

/// The read half of a link.
pub(crate) enum Reader {
    Tcp(OwnedReadHalf),
    Other(ReadHalf<BoxStream>),
}

impl Reader {
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::Tcp(r) => r.read(buf).await,
            Reader::Other(r) => r.read(buf).await,
        }
    }
}

/// The write half of a link.
pub(crate) enum Writer {
    Tcp(OwnedWriteHalf),
    Other(WriteHalf<BoxStream>),
}

impl Writer {
    pub(crate) async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Writer::Tcp(w) => w.write(buf).await,
            Writer::Other(w) => w.write(buf).await,
        }
    }

    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Tcp(w) => w.flush().await,
            Writer::Other(w) => w.flush().await,
        }
    }

    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Writer::Tcp(w) => w.shutdown().await,
            Writer::Other(w) => w.shutdown().await,
        }
    }

    /// Whether written bytes may wait in a buffer until a flush (TLS
    /// records); a TCP socket has taken them once written.
    pub(crate) fn buffers(&self) -> bool {
        matches!(self, Writer::Other(_))
    }
}
