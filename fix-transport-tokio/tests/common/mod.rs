//! What the tokio engine's tests share: sessions joined by in-memory
//! pipes (for tokio's paused clock) and waiting on events.
#![allow(dead_code)]

use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_tokio::{
    Acceptor, OwnedMessage, Responder, SessionEvent, SessionEvents, SessionHandle, SessionOptions,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

/// Long enough for anything a test waits for, even on a loaded machine;
/// in paused time it costs nothing.
pub const WAIT: Duration = Duration::from_secs(60);

/// A peer address for connections that did not come from a socket.
pub fn pipe_peer() -> SocketAddr {
    "127.0.0.1:1".parse().expect("address")
}

/// An order with ClOrdID(11) `id`.
pub fn order(id: &str) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"D");
    m.push_str(11, id)
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(38, "100")
        .push_char(40, b'1')
        .push_str(60, "20260101-12:00:00.000");
    m
}

/// A handler that answers each order with an ExecutionReport carrying
/// its ClOrdID.
pub fn fill_orders(event: SessionEvent, session: &mut Responder<'_>) {
    if let SessionEvent::Message(m) = event {
        if m.msg_type() == b"D" {
            session.send(&fill_report(&m)).expect("report sent");
        }
    }
}

/// An ExecutionReport filling `order`, with its ClOrdID.
pub fn fill_report(order: &OwnedMessage) -> MessageBuilder {
    let mut report = MessageBuilder::new(b"8");
    report
        .push(11, order.get(11).unwrap_or(b"?"))
        .push_str(37, "1")
        .push_str(17, "1")
        .push_char(150, b'2')
        .push_char(39, b'2')
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(151, "0")
        .push_str(14, "100")
        .push_str(6, "1");
    report
}

/// Waits for the first event `pick` takes.
pub async fn wait_for<T>(
    events: &mut SessionEvents,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.recv().await.expect("session ended");
            if let Some(t) = pick(&event) {
                return t;
            }
        }
    })
    .await
    .expect("event in time")
}

/// Waits for a session's state.
pub async fn wait_state(session: &SessionHandle, state: SessionState) {
    tokio::time::timeout(WAIT, session.wait_for_state(state))
        .await
        .expect("state in time")
        .expect("session running");
}

/// Copies bytes from `from` to `to` until either closes; while `mute` is
/// set, what is read is dropped.
async fn relay(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mute: Arc<AtomicBool>,
    mut hold: Option<tokio::sync::watch::Receiver<bool>>,
) {
    let mut buf = vec![0u8; 8192];
    loop {
        if let Some(hold) = &mut hold {
            if hold.wait_for(|held| !held).await.is_err() {
                return;
            }
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !mute.load(Ordering::SeqCst) && to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// An initiator and an acceptor (FIX.4.4, BUY -> SELL) joined by
/// in-memory pipes through a relay; `mute` silences the acceptor's side.
pub struct PipePair {
    pub acceptor: Arc<Acceptor>,
    pub sell: SessionHandle,
    pub sell_events: SessionEvents,
    pub buy: SessionHandle,
    pub buy_events: SessionEvents,
    pub mute: Arc<AtomicBool>,
    /// While true, the initiator's bytes are not read (its pipe fills).
    pub hold: tokio::sync::watch::Sender<bool>,
}

impl PipePair {
    pub async fn start(buy: SessionConfig, sell: SessionConfig) -> PipePair {
        PipePair::start_with(buy, sell, SessionOptions::new()).await
    }

    pub async fn start_with(
        mut buy: SessionConfig,
        mut sell: SessionConfig,
        buy_options: SessionOptions,
    ) -> PipePair {
        buy.heart_bt_int = buy.heart_bt_int.max(1);
        sell.heart_bt_int = buy.heart_bt_int;
        let acceptor = Arc::new(Acceptor::new());
        let (sell_handle, sell_events) = acceptor
            .add_session(sell, SessionOptions::new().with_admin_events())
            .expect("acceptor session");
        let mute = Arc::new(AtomicBool::new(false));
        let (hold, held) = tokio::sync::watch::channel(false);
        let (a, m) = (acceptor.clone(), mute.clone());
        let options = buy_options.with_admin_events().with_connect_fn(move || {
            // initiator <-> relay <-> acceptor, over two pipes.
            let (initiator_end, relay_a) = tokio::io::duplex(1 << 16);
            let (relay_b, acceptor_end) = tokio::io::duplex(1 << 16);
            let (a_read, a_write) = tokio::io::split(relay_a);
            let (b_read, b_write) = tokio::io::split(relay_b);
            let unmuted = Arc::new(AtomicBool::new(false));
            tokio::spawn(relay(a_read, b_write, unmuted, Some(held.clone())));
            tokio::spawn(relay(b_read, a_write, m.clone(), None));
            a.accept_stream(acceptor_end, pipe_peer());
            async move { Ok::<DuplexStream, std::io::Error>(initiator_end) }
        });
        let (buy_handle, buy_events) = fixrs_transport_tokio::connect(buy, options)
            .await
            .expect("initiator");
        PipePair {
            acceptor,
            sell: sell_handle,
            sell_events,
            buy: buy_handle,
            buy_events,
            mute,
            hold,
        }
    }
}

pub fn initiator() -> SessionConfig {
    SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL")
}

pub fn acceptor() -> SessionConfig {
    SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY")
}
