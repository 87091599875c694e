//! An initiator with a file store whose application puts orders before
//! any connection (late delivery), for the crash tests: its process is
//! killed with SIGKILL while they wait, then started again to deliver them.
//!
//! Usage: `late_delivery_initiator <host:port> <store-dir> <resend|queue> put <prefix> <count>`
//! puts `count` orders (ClOrdID `<prefix>-<n>`) without connecting, prints
//! `QUEUED` once the file store holds all of them, and waits to be killed.
//! `late_delivery_initiator <host:port> <store-dir> <resend|queue> connect`
//! connects, prints `ESTABLISHED` once logged on, and stays until killed.
//! Our SenderCompID is `LATE_INI`, the peer's `LATE_ACC`.

use fixrs_proto::{tag, FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::{LateDeliveryMode, Role, SessionConfig};
use fixrs_store::FileStore;
use fixrs_transport_mio::{
    ChannelApplication, EngineSettings, FixEngine, SessionOptions, SessionState,
};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: late_delivery_initiator <host:port> <store-dir> <resend|queue> put <prefix> <count> | connect";
    let (Some(addr), Some(dir), Some(mode), Some(phase)) =
        (args.get(1), args.get(2), args.get(3), args.get(4))
    else {
        return Err(usage.into());
    };
    let mut config = SessionConfig::new(Role::Initiator, FixVersion::Fix44, "LATE_INI", "LATE_ACC");
    config.reconnect_interval = Duration::from_millis(200);
    config.late_delivery_mode = match mode.as_str() {
        "resend" => LateDeliveryMode::Resend,
        "queue" => LateDeliveryMode::Queue,
        _ => return Err(usage.into()),
    };
    let key = config.key();
    // What the store held before this run.
    let before = FileStore::inspect(dir, &key)?;
    let engine = FixEngine::new(EngineSettings::default().with_file_store_path(dir))?;
    let session = engine.create_session_with(
        config,
        SessionOptions::default(),
        ChannelApplication::new().0,
    )?;
    match phase.as_str() {
        "put" => {
            let (Some(prefix), Some(count)) = (args.get(5), args.get(6)) else {
                return Err(usage.into());
            };
            let count: u64 = count.parse()?;
            let mut order = MessageBuilder::default();
            for n in 1..=count {
                order.reset(b"D");
                order
                    .push_str(tag::CL_ORD_ID, &format!("{prefix}-{n}"))
                    .push_str(55, "EUR/USD")
                    .push_char(54, b'1')
                    .push_str(38, "1000")
                    .push_char(40, b'1');
                session.put(&order)?;
            }
            // Wait until the file store holds every one of them, as a
            // crash right now would find it.
            let (pending0, next0) =
                before.map_or((0, 1), |s| (s.pending_messages, s.next_sender_seq_num));
            let end = Instant::now() + Duration::from_secs(30);
            loop {
                let now = FileStore::inspect(dir, &key)?;
                let held = now.is_some_and(|s| match mode.as_str() {
                    "queue" => s.pending_messages >= pending0 + count,
                    _ => s.next_sender_seq_num >= next0 + count,
                });
                if held {
                    break;
                }
                if Instant::now() > end {
                    return Err("the store did not take the orders within 30 s".into());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            println!("QUEUED {}", UtcTimestamp::from(SystemTime::now()));
        }
        "connect" => {
            session.connect(30, addr)?;
            if !session.wait_for_state(SessionState::Established, Duration::from_secs(30)) {
                return Err("no logon within 30 s".into());
            }
            println!("ESTABLISHED {}", session.out_seq_num());
        }
        _ => return Err(usage.into()),
    }
    std::io::stdout().flush()?;
    // Until killed.
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}
