//! An acceptor that mostly receives, keeping its sequence numbers in a
//! file store: the incoming MsgSeqNum it has processed must survive a
//! crash, so that after a restart it asks again only for what arrived
//! since its store was last flushed.
//!
//! Usage: `file_store_acceptor <listen-address> <store-dir>`. Prints
//! `LISTENING <address>` once it accepts connections, then runs until
//! killed (or until its standard input closes). Our SenderCompID is
//! `RECV_ACC`, the peer's `RECV_INI`.

use fixrs_proto::FixVersion;
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{Application, EngineSettings, FixEngine, SessionOptions};
use std::io::{Read, Write};

/// Takes every message and does nothing more with it.
struct Consumer;

impl Application for Consumer {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(listen), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: file_store_acceptor <listen-address> <store-dir>");
        std::process::exit(2);
    };
    let engine = FixEngine::new(EngineSettings::default().with_file_store_path(dir))?;
    let addr = engine.listen(listen.parse()?)?;
    let config = SessionConfig::new(Role::Acceptor, FixVersion::Fix44, "RECV_ACC", "RECV_INI");
    let _session = engine.create_session_with(config, SessionOptions::default(), Consumer)?;
    println!("LISTENING {addr}");
    std::io::stdout().flush()?;
    // Run until killed, or until the parent closes our input.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    engine.stop();
    Ok(())
}
