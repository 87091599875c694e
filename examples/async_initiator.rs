//! An async initiator on tokio: connects to an acceptor (such as the
//! `async_acceptor` example), sends orders and awaits the execution report
//! of each, then logs out.
//!
//! ```text
//! cargo run -p fix-cli --example async_initiator -- 127.0.0.1:9878 [orders]
//! ```

use fixrs_proto::{tag as f, FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_tokio::{SessionEvent, SessionOptions};
use std::time::{Duration, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9878".to_string());
    let orders: u32 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(3);

    let mut config = SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL");
    config.reconnect_interval = Duration::from_secs(1);
    let options = SessionOptions::new().with_connect_address(addr.as_str());
    let (session, mut events) = fixrs_transport_tokio::connect(config, options).await?;

    for n in 1..=orders {
        let id = format!("ORD-{n}");
        let mut order = MessageBuilder::new(b"D");
        order
            .push_str(f::CL_ORD_ID, &id)
            .push_str(f::SYMBOL, "EUR/USD")
            .push_char(f::SIDE, b'1')
            .push_value(f::TRANSACT_TIME, &UtcTimestamp::from(SystemTime::now()))
            .push_str(f::ORDER_QTY, "1000000")
            .push_char(f::ORD_TYPE, b'1');
        // Before logon the session keeps it and sends it once logged on.
        session.send(&order).await?;
        // Await its execution report.
        loop {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await? {
                Some(SessionEvent::Message(report))
                    if report.msg_type() == b"8" && report.get_str(f::CL_ORD_ID) == Some(&id) =>
                {
                    println!(
                        "{id}: OrdStatus {}",
                        report.get_str(f::ORD_STATUS).unwrap_or("?")
                    );
                    break;
                }
                Some(SessionEvent::Error(e)) => eprintln!("{e}"),
                Some(_) => {}
                None => return Err("the session ended".into()),
            }
        }
    }
    session.logout(Some("done")).await?;
    tokio::time::timeout(
        Duration::from_secs(10),
        session.wait_for_state(SessionState::CorrectlyTerminated),
    )
    .await??;
    Ok(())
}
