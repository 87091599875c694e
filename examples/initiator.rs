//! An initiator in the style of the FIX Antenna session API: create the
//! session, connect, put messages, wait for the answers, disconnect,
//! finalize.
//!
//! ```text
//! cargo run -p fix-cli --example acceptor -- examples/acceptor.cfg   # in one terminal
//! cargo run -p fix-cli --example initiator -- 127.0.0.1:9876 5        # in another
//! ```
//!
//! Arguments: the counterparty's `host:port` (default 127.0.0.1:9876) and
//! the number of orders (default 3). Our SenderCompID is CLIENT, the
//! counterparty's BROKER, as in examples/acceptor.cfg.

use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
use fixrs_transport_mio::{
    AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionId, SessionState,
};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let counterparty = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let orders: u32 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(3);

    // The engine runs one event loop thread for all its sessions.
    let engine = FixEngine::new(EngineSettings::default())?;
    let (app, events) = ChannelApplication::bounded(1024);
    let session =
        engine.create_session(SessionId::new("CLIENT", "BROKER"), FixVersion::Fix44, app)?;

    // Connect in the background: TCP connect, Logon, confirming Logon.
    session.connect(30, &counterparty)?;

    // Put orders at once: sent after Logon if it is not done yet.
    for n in 1..=orders {
        let mut order = MessageBuilder::new(b"D");
        order
            .push_str(tag::CL_ORD_ID, &format!("ORD-{n}"))
            .push_str(tag::SYMBOL, "EUR/USD")
            .push_char(tag::SIDE, b'1')
            .push_uint(tag::ORDER_QTY, 100 * n as u64)
            .push_char(tag::ORD_TYPE, b'1');
        session.put(&order)?;
    }

    // Wait for an execution report per order.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut reports = 0;
    while reports < orders {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events
            .recv_timeout(left)
            .map_err(|_| format!("only {reports} of {orders} execution reports in 15 s"))?;
        match event.kind {
            AppEventKind::LoggedOn => println!("logged on to {counterparty}"),
            AppEventKind::Message(m) if m.msg_type() == b"8" => {
                reports += 1;
                println!(
                    "execution report for {} (OrdStatus {})",
                    m.get_str(tag::CL_ORD_ID).unwrap_or("?"),
                    m.get_str(tag::ORD_STATUS).unwrap_or("?")
                );
            }
            AppEventKind::Error(e) => println!("session error: {e}"),
            AppEventKind::LinkFailed(e) => println!("link: {e}"),
            _ => {}
        }
    }

    // Graceful Logout, keeping sequence numbers; then remove the session.
    session.disconnect("done")?;
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    session.finalize();
    engine.stop();
    Ok(())
}
