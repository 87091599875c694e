//! An initiator whose sequence numbers and sent messages survive restarts
//! and crashes: it keeps them in a file store, logs on, and sends
//! NewOrderSingles.
//!
//! Usage: `file_store_initiator <host:port> <store-dir> <run-id> [count]`.
//! Sends `count` orders (ClOrdID `<run-id>-<n>`) then logs out and exits;
//! without a count it sends until killed. Prints `ESTABLISHED` once logged
//! on. Our SenderCompID is `STORE_INI`, the peer's `STORE_ACC`. With
//! `FIX_LOG_DIR` set, the FIX message log is written there.

use fixrs_proto::{tag, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{
    ChannelApplication, EngineSettings, FixEngine, PutError, SessionOptions, SessionState,
};
use std::io::Write;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(dir), Some(run)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: file_store_initiator <host:port> <store-dir> <run-id> [count]");
        std::process::exit(2);
    };
    let count: Option<u64> = args.get(4).map(|c| c.parse()).transpose()?;
    let mut settings = EngineSettings::default().with_file_store_path(dir);
    if let Some(logs) = std::env::var_os("FIX_LOG_DIR") {
        settings = settings.with_file_log_path(logs);
    }
    let engine = FixEngine::new(settings)?;
    let mut config =
        SessionConfig::new(Role::Initiator, FixVersion::Fix44, "STORE_INI", "STORE_ACC");
    config.reconnect_interval = Duration::from_millis(200);
    let session = engine.create_session_with(
        config,
        SessionOptions::default(),
        ChannelApplication::new().0,
    )?;
    session.connect(30, addr)?;
    if !session.wait_for_state(SessionState::Established, Duration::from_secs(30)) {
        return Err("no logon within 30 s".into());
    }
    println!("ESTABLISHED {}", session.out_seq_num());
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
        loop {
            match session.put(&order) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => {
                    std::thread::sleep(Duration::from_micros(100))
                }
                Err(e) => return Err(e.into()),
            }
        }
        if n.is_multiple_of(64) {
            // Leave the engine time to write, so that kills land between
            // sends as well as in the middle of batches.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    // Let everything put be written before logging out.
    while session.backlog() > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    session.disconnect("done")?;
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(10));
    session.finalize();
    engine.stop();
    Ok(())
}
