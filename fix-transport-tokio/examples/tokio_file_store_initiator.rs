//! An async initiator whose sequence numbers and sent messages survive
//! restarts and crashes: it keeps them in a file store, logs on, and
//! sends NewOrderSingles (the tokio engine's crash test kills it).
//!
//! Usage: `tokio_file_store_initiator <host:port> <store-dir> <run-id> [count]`.
//! Sends `count` orders (ClOrdID `<run-id>-<n>`) then logs out and exits;
//! without a count it sends until killed. Prints `ESTABLISHED` once logged
//! on. Our SenderCompID is `STORE_INI`, the peer's `STORE_ACC`.

use fixrs_proto::{tag, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_store::FileStoreOptions;
use fixrs_transport_tokio::SessionOptions;
use std::io::Write;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(dir), Some(run)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: tokio_file_store_initiator <host:port> <store-dir> <run-id> [count]");
        std::process::exit(2);
    };
    let count: Option<u64> = args.get(4).map(|c| c.parse()).transpose()?;
    let mut config = SessionConfig::initiator(FixVersion::Fix44, "STORE_INI", "STORE_ACC");
    config.reconnect_interval = Duration::from_millis(200);
    let options = SessionOptions::new()
        .with_connect_address(addr.as_str())
        .with_file_store(dir, FileStoreOptions::default());
    let (session, _events) = fixrs_transport_tokio::connect(config, options).await?;
    tokio::time::timeout(
        Duration::from_secs(30),
        session.wait_for_state(SessionState::Established),
    )
    .await??;
    println!("ESTABLISHED {}", session.next_sender_seq_num());
    std::io::stdout().flush()?;
    let mut order = MessageBuilder::default();
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        n += 1;
        order.reset(b"D");
        order
            .push_str(tag::CL_ORD_ID, &format!("{run}-{n}"))
            .push_str(55, "EUR/USD")
            .push_char(54, b'1')
            .push_str(38, "1000")
            .push_char(40, b'1');
        // Waits while the outgoing bound is reached.
        session.send(&order).await?;
        if n.is_multiple_of(64) {
            // Kills land between sends as well as in the middle of batches.
            tokio::time::sleep(Duration::from_micros(200)).await;
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
