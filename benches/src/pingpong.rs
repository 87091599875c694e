//! Round trips with both ends in this process, for counting instructions
//! and system calls per round trip (`benches/callgrind.py`): a raw TCP
//! ping-pong with blocking sockets, the same ping-pong over bare mio (one
//! `Poll` per end, non-blocking sockets: what any event loop pays), and
//! the engine (an initiator and an acceptor engine, NewOrderSingle ->
//! ExecutionReport). The three move the same bytes: the benchmark's
//! NewOrderSingle and ExecutionReport with a session header.
//!
//! Nothing here is timed: under callgrind or strace the figures that mean
//! something are counts, taken as the difference between two runs of
//! different lengths so that start-up and shut-down cancel out. The bare
//! mio ends (`MioEnd`) also serve the timed round trips of
//! [`crate::latency`], against the peer process.

use crate::engine::BenchError;
use crate::engine::{config, execution_report, new_order_single, wire, Echo, Pinger, ACC, INI};
use fixrs_proto::MessageBuilder;
use fixrs_session::Role;
use fixrs_transport_mio::{EngineSettings, FixEngine, SessionOptions, SessionState};
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

/// What makes the round trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Blocking sockets, one read and one write per end.
    Raw,
    /// Non-blocking sockets and one mio `Poll` per end.
    Mio,
    /// Two engines, one session each.
    Engine,
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        match s {
            "raw" => Ok(Kind::Raw),
            "mio" => Ok(Kind::Mio),
            "engine" => Ok(Kind::Engine),
            _ => Err(format!("unknown kind {s:?}: raw, mio or engine")),
        }
    }
}

/// The two messages on the wire.
fn messages() -> (Vec<u8>, Vec<u8>) {
    let mut order = MessageBuilder::default();
    new_order_single(&mut order, 0);
    let mut er = MessageBuilder::default();
    execution_report(&mut er);
    (wire(&order, INI, ACC), wire(&er, ACC, INI))
}

/// Makes `n` round trips of `kind`.
pub fn run(kind: Kind, n: u64) -> Result<(), BenchError> {
    match kind {
        Kind::Raw => raw(n),
        Kind::Mio => bare_mio(n),
        Kind::Engine => engine(n),
    }
}

fn raw(n: u64) -> Result<(), BenchError> {
    let (nos, er) = messages();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let nos_len = nos.len();
    let server = std::thread::spawn(move || -> io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut buf = vec![0u8; nos_len];
        while s.read_exact(&mut buf).is_ok() {
            s.write_all(&er)?;
        }
        Ok(())
    });
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    let mut buf = vec![0u8; messages().1.len()];
    for _ in 0..n {
        s.write_all(&nos)?;
        s.read_exact(&mut buf)?;
    }
    drop(s);
    server
        .join()
        .map_err(|_| BenchError::Peer("raw echo panicked".into()))??;
    Ok(())
}

/// Reads what `s` has into `buf` (from `have`), until `want` bytes or
/// the socket is empty; `Ok(None)` when the peer closed. A read that
/// leaves room in `buf` emptied the socket: the engine skips the read
/// that would only say WouldBlock, and so does this floor.
fn read_some(
    s: &mut mio::net::TcpStream,
    buf: &mut [u8],
    have: &mut usize,
    want: usize,
) -> io::Result<Option<()>> {
    while *have < want {
        let room = buf.len() - *have;
        match s.read(&mut buf[*have..]) {
            Ok(0) => return Ok(None),
            Ok(k) if k < room => {
                *have += k;
                break;
            }
            Ok(k) => *have += k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(()))
}

/// One end of the bare mio ping-pong: a non-blocking socket registered
/// for reading with its own `Poll`, and a read buffer.
pub(crate) struct MioEnd {
    s: mio::net::TcpStream,
    poll: Poll,
    events: Events,
    buf: Vec<u8>,
}

impl MioEnd {
    /// Makes `s` non-blocking (and Nagle-free) and registers it.
    pub(crate) fn new(s: TcpStream) -> io::Result<MioEnd> {
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        let mut s = mio::net::TcpStream::from_std(s);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut s, Token(1), Interest::READABLE)?;
        Ok(MioEnd {
            s,
            poll,
            events: Events::with_capacity(64),
            buf: vec![0u8; 64 * 1024],
        })
    }

    /// The echo side: answers every `nos_len` bytes read with `er`, until
    /// the peer closes.
    pub(crate) fn echo(mut self, nos_len: usize, er: &[u8]) -> io::Result<()> {
        let mut have = 0;
        loop {
            self.poll.poll(&mut self.events, None)?;
            if read_some(&mut self.s, &mut self.buf, &mut have, usize::MAX)?.is_none() {
                return Ok(());
            }
            while have >= nos_len {
                self.buf.copy_within(nos_len..have, 0);
                have -= nos_len;
                self.s.write_all(er)?;
            }
        }
    }

    /// The pinging side: one round trip, `nos` out and `er_len` bytes back.
    pub(crate) fn round_trip(&mut self, nos: &[u8], er_len: usize) -> Result<(), BenchError> {
        self.s.write_all(nos)?;
        let mut have = 0;
        while have < er_len {
            self.poll.poll(&mut self.events, None)?;
            if read_some(&mut self.s, &mut self.buf, &mut have, er_len)?.is_none() {
                return Err(BenchError::Peer("the mio echo closed".into()));
            }
        }
        Ok(())
    }
}

fn bare_mio(n: u64) -> Result<(), BenchError> {
    let (nos, er) = messages();
    let (nos_len, er_len) = (nos.len(), er.len());
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> io::Result<()> {
        let (s, _) = listener.accept()?;
        MioEnd::new(s)?.echo(nos_len, &er)
    });
    let mut end = MioEnd::new(TcpStream::connect(addr)?)?;
    for _ in 0..n {
        end.round_trip(&nos, er_len)?;
    }
    drop(end);
    server
        .join()
        .map_err(|_| BenchError::Peer("mio echo panicked".into()))??;
    Ok(())
}

fn engine(n: u64) -> Result<(), BenchError> {
    let acceptor = FixEngine::new(EngineSettings::default().with_thread_name("fix-acceptor"))?;
    let addr = acceptor.listen(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let mut reply = MessageBuilder::default();
    execution_report(&mut reply);
    let acc = acceptor.create_session_with(
        config(Role::Acceptor, ACC, INI),
        SessionOptions::default(),
        Echo { reply },
    )?;
    let initiator = FixEngine::new(EngineSettings::default().with_thread_name("fix-initiator"))?;
    let mut order = MessageBuilder::default();
    new_order_single(&mut order, 0);
    let (tx, rx) = sync_channel(1);
    let ini = initiator.create_session_with(
        config(Role::Initiator, INI, ACC),
        SessionOptions::default(),
        Pinger::new(order, 0, n, None, tx),
    )?;
    ini.connect(30, &addr.to_string())?;
    // Generous: callgrind runs the engine some fifty times slower.
    rx.recv_timeout(Duration::from_secs(3600))
        .map_err(|_| BenchError::Timeout("in the engine round trips".into()))??;
    ini.disconnect("done")?;
    ini.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(60));
    ini.finalize();
    acc.finalize();
    initiator.stop();
    acceptor.stop();
    Ok(())
}
