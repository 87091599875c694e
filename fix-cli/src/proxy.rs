//! A TCP proxy between a FIX initiator and its acceptor that records every
//! message passing through it and can break the link on demand, losing
//! the messages in flight: the demo uses it to show what a session does
//! when a connection drops (reconnect, ResendRequest, resends with
//! PossDupFlag, gap fills).
//!
//! The proxy forwards whole messages: each direction is read into a
//! [`fixrs_proto::framing::Decoder`] and every complete frame is either
//! forwarded and recorded, or (while the link is being cut) recorded as
//! lost and not forwarded. Garbled bytes, which FIX engines do not send,
//! are not forwarded.
//!
//! It uses blocking sockets and two threads per link; it is a test and
//! demonstration tool, not part of the engine.

use fixrs_proto::framing::Decoder;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the initiator to the acceptor.
    ToAcceptor,
    /// From the acceptor to the initiator.
    ToInitiator,
}

/// One message seen by the proxy.
#[derive(Debug, Clone)]
pub struct WireRecord {
    /// When the proxy read it.
    pub at: Instant,
    /// Which way it went.
    pub direction: Direction,
    /// Which link (connection) it travelled on, counted from 1.
    pub link: u32,
    /// The message.
    pub bytes: Vec<u8>,
    /// Whether it was lost in a cut instead of forwarded.
    pub lost: bool,
}

/// Something that happened to the links, for the timeline.
#[derive(Debug, Clone)]
pub struct LinkEvent {
    /// When.
    pub at: Instant,
    /// Which link.
    pub link: u32,
    /// What happened.
    pub what: String,
}

#[derive(Debug, Default)]
struct Cut {
    /// Application messages to the acceptor still forwarded before
    /// dropping starts; `None` when no cut is armed.
    forward_to_acceptor: Option<usize>,
    /// Dropping everything on the current link.
    dropping: bool,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<WireRecord>,
    events: Vec<LinkEvent>,
    cut: Cut,
    /// Sockets of the current link (both sides), for cutting it.
    sockets: Vec<TcpStream>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    links: AtomicU32,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A pump thread that panicked cannot leave the records half
        // written: keep going with what is there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The proxy: listens on a local port and forwards each connection to the
/// upstream address.
#[derive(Debug)]
pub struct LinkProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl LinkProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) forwarding to `upstream`.
    pub fn start(upstream: SocketAddr) -> io::Result<LinkProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let accept_thread = std::thread::Builder::new()
            .name("demo-proxy".into())
            .spawn(move || accept_loop(listener, upstream, s))?;
        Ok(LinkProxy {
            addr,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The address initiators connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Arms a cut: the next `forward` application messages to the
    /// acceptor are forwarded; from then on every message in either
    /// direction is lost until [`cut`](LinkProxy::cut) closes the link.
    pub fn arm_cut(&self, forward: usize) {
        let mut st = self.shared.lock();
        st.cut.forward_to_acceptor = Some(forward);
        st.cut.dropping = forward == 0;
    }

    /// Waits until an armed cut started dropping messages and at least
    /// `lost` messages going `direction` were lost, or `timeout` passed;
    /// returns whether that happened.
    pub fn wait_for_losses(&self, direction: Direction, lost: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            let n = st
                .records
                .iter()
                .filter(|r| r.lost && r.direction == direction)
                .count();
            if st.cut.dropping && n >= lost {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            st = match self.shared.changed.wait_timeout(st, end - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    /// Closes the current link at once (both sockets), losing whatever is
    /// in flight. New connections are forwarded normally again.
    pub fn cut(&self) {
        let at = Instant::now();
        let mut st = self.shared.lock();
        let link = self.shared.links.load(Ordering::Acquire);
        for s in st.sockets.drain(..) {
            // Already closed by a peer is fine.
            let _ = s.shutdown(Shutdown::Both);
        }
        st.events.push(LinkEvent {
            at,
            link,
            what: "link cut by the demo: connection closed without Logout".into(),
        });
        st.cut = Cut::default();
    }

    /// Every message seen so far.
    pub fn records(&self) -> Vec<WireRecord> {
        self.shared.lock().records.clone()
    }

    /// Every link event so far.
    pub fn events(&self) -> Vec<LinkEvent> {
        self.shared.lock().events.clone()
    }

    /// Stops accepting, closes the current link and waits for the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let mut st = self.shared.lock();
            for s in st.sockets.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        // Wake the accept loop with a connection of our own.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut pumps: Vec<JoinHandle<()>> = Vec::new();
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(down) = conn else { continue };
        let link = shared.links.fetch_add(1, Ordering::AcqRel) + 1;
        let up = match TcpStream::connect(upstream) {
            Ok(up) => up,
            Err(e) => {
                shared.lock().events.push(LinkEvent {
                    at: Instant::now(),
                    link,
                    what: format!("cannot reach the acceptor at {upstream}: {e}"),
                });
                continue;
            }
        };
        let _ = down.set_nodelay(true);
        let _ = up.set_nodelay(true);
        let clones = (
            down.try_clone(),
            up.try_clone(),
            up.try_clone(),
            down.try_clone(),
        );
        let (Ok(down_r), Ok(up_w), Ok(up_r), Ok(down_w)) = clones else {
            continue;
        };
        {
            let mut st = shared.lock();
            st.sockets = vec![down, up];
            st.events.push(LinkEvent {
                at: Instant::now(),
                link,
                what: "TCP connection opened".into(),
            });
        }
        for (from, to, direction) in [
            (down_r, up_w, Direction::ToAcceptor),
            (up_r, down_w, Direction::ToInitiator),
        ] {
            let s = shared.clone();
            if let Ok(t) = std::thread::Builder::new()
                .name("demo-proxy-pump".into())
                .spawn(move || pump(from, to, direction, link, s))
            {
                pumps.push(t);
            }
        }
        pumps.retain(|t| !t.is_finished());
    }
    for t in pumps {
        let _ = t.join();
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    direction: Direction,
    link: u32,
    shared: Arc<Shared>,
) {
    let mut decoder = Decoder::default();
    loop {
        let n = match from.read(decoder.spare(64 << 10)) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        decoder.commit(n);
        while let Some(frame) = decoder.next_frame() {
            let Ok(frame) = frame else { continue };
            let forward = {
                let mut st = shared.lock();
                let forward = decide(&mut st.cut, direction, frame);
                st.records.push(WireRecord {
                    at: Instant::now(),
                    direction,
                    link,
                    bytes: frame.to_vec(),
                    lost: !forward,
                });
                forward
            };
            shared.changed.notify_all();
            if forward && to.write_all(frame).is_err() {
                break;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let mut st = shared.lock();
    let what = match direction {
        Direction::ToAcceptor => "initiator side closed",
        Direction::ToInitiator => "acceptor side closed",
    };
    st.events.push(LinkEvent {
        at: Instant::now(),
        link,
        what: what.into(),
    });
}

/// Whether a frame is forwarded under the armed cut, updating it.
fn decide(cut: &mut Cut, direction: Direction, frame: &[u8]) -> bool {
    if cut.dropping {
        return false;
    }
    if direction == Direction::ToAcceptor && !is_admin(frame) {
        if let Some(left) = cut.forward_to_acceptor.as_mut() {
            if *left == 0 {
                cut.dropping = true;
                return false;
            }
            *left -= 1;
            if *left == 0 {
                // The messages sent after this one, and the replies to
                // those forwarded, are lost.
                cut.dropping = true;
            }
        }
    }
    true
}

fn is_admin(frame: &[u8]) -> bool {
    let mut index = fixrs_proto::FieldIndex::new();
    index
        .parse(frame)
        .map(|m| matches!(m.msg_type(), b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A"))
        .unwrap_or(true)
}
