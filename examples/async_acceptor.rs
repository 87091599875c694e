//! An async acceptor on tokio: the session SELL <- BUY, each order
//! answered with an ExecutionReport (OrdStatus New) by a handler on the
//! session's task.
//!
//! ```text
//! cargo run -p fix-cli --example async_acceptor -- 127.0.0.1:9878
//! ```
//!
//! Runs until Ctrl-C, then logs its sessions out.

use fixrs_proto::{tag as f, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_tokio::{Acceptor, Responder, SessionEvent, SessionOptions};
use std::time::Duration;

/// Answers each NewOrderSingle with an ExecutionReport, on the session's
/// task: the report goes out before the session reads the next order.
fn order_echo() -> impl FnMut(SessionEvent, &mut Responder<'_>) + Send + 'static {
    let mut executions = 0u64;
    move |event, session| match event {
        SessionEvent::Message(order) if order.msg_type() == b"D" => {
            executions += 1;
            let qty = order.get_str(f::ORDER_QTY).unwrap_or("0");
            let mut report = MessageBuilder::new(b"8");
            report
                .push_str(f::ORDER_ID, &format!("ECHO-{executions}"))
                .push_str(f::EXEC_ID, &format!("EXEC-{executions}"))
                .push_char(f::EXEC_TYPE, b'0')
                .push_char(f::ORD_STATUS, b'0')
                .push_str(f::CL_ORD_ID, order.get_str(f::CL_ORD_ID).unwrap_or("NONE"))
                .push_str(f::SYMBOL, order.get_str(f::SYMBOL).unwrap_or("NONE"))
                .push_str(f::SIDE, order.get_str(f::SIDE).unwrap_or("1"))
                .push_str(f::ORDER_QTY, qty)
                .push_str(f::LEAVES_QTY, qty)
                .push_str(f::CUM_QTY, "0")
                .push_str(f::AVG_PX, "0");
            if let Err(e) = session.send(&report) {
                eprintln!("report not sent: {e}");
            }
        }
        SessionEvent::LoggedOn => println!("logged on"),
        SessionEvent::LoggedOut { text } => println!("logged out {}", text.unwrap_or_default()),
        SessionEvent::Error(e) => eprintln!("error: {e}"),
        _ => {}
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9878".to_string())
        .parse()?;
    let acceptor = Acceptor::new();
    let bound = acceptor.listen(addr).await?;
    let session = acceptor.add_session_with_handler(
        SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY"),
        SessionOptions::new(),
        order_echo(),
    )?;
    println!("listening on {bound} as SELL for BUY");
    tokio::signal::ctrl_c().await?;
    session.logout(Some("acceptor closing")).await?;
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        session.wait_for_state(SessionState::CorrectlyTerminated),
    )
    .await;
    Ok(())
}
