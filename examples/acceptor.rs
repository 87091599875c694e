//! An order-echo acceptor from a QuickFIX-style settings file: every
//! NewOrderSingle is answered with an ExecutionReport (OrdStatus New).
//!
//! ```text
//! cargo run -p fix-cli --example acceptor -- examples/acceptor.cfg
//! ```
//!
//! Runs until Ctrl-C, then logs its sessions out and stops.

use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, Message, MessageBuilder};
use fixrs_session::Settings;
use fixrs_transport_mio::{Application, EngineSettings, FixEngine, SessionHandle, SessionState};
use std::sync::mpsc;

/// Answers each NewOrderSingle with an ExecutionReport.
struct OrderEcho {
    report: MessageBuilder,
    executions: u64,
}

impl Application for OrderEcho {
    fn on_logon(&mut self, session: &SessionHandle) {
        println!("{}: logged on", session.key());
    }

    fn on_logout(&mut self, session: &SessionHandle, text: Option<&str>) {
        println!("{}: logged out {}", session.key(), text.unwrap_or(""));
    }

    fn on_message(&mut self, session: &SessionHandle, order: &Message<'_>) {
        if order.msg_type() != b"D" {
            return;
        }
        self.executions += 1;
        let qty = order.get(tag::ORDER_QTY).unwrap_or(b"0");
        let r = &mut self.report;
        r.reset(b"8");
        r.push_str(tag::ORDER_ID, &format!("ECHO-{}", self.executions))
            .push_str(tag::EXEC_ID, &format!("EXEC-{}", self.executions))
            .push(tag::CL_ORD_ID, order.get(tag::CL_ORD_ID).unwrap_or(b"?"))
            .push_char(tag::EXEC_TYPE, b'0')
            .push_char(tag::ORD_STATUS, b'0')
            .push(tag::SYMBOL, order.get(tag::SYMBOL).unwrap_or(b"?"))
            .push(tag::SIDE, order.get(tag::SIDE).unwrap_or(b"1"))
            .push(tag::ORDER_QTY, qty)
            .push(tag::LEAVES_QTY, qty)
            .push_str(tag::CUM_QTY, "0")
            .push_str(tag::AVG_PX, "0");
        if let Err(e) = session.put(&*r) {
            eprintln!("{}: cannot answer: {e}", session.key());
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/acceptor.cfg".into());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let settings = Settings::parse(&text).map_err(|e| format!("{path}: {e}"))?;

    let engine = FixEngine::new(EngineSettings::default())?;
    let sessions = engine.start_from_settings(&settings, |_| OrderEcho {
        report: MessageBuilder::default(),
        executions: 0,
    })?;
    for s in &sessions {
        println!("{}: waiting for a Logon", s.key());
    }
    println!(
        "listening on {:?}; Ctrl-C to stop",
        engine.listen_addresses()
    );

    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })?;
    let _ = stop_rx.recv();

    for s in &sessions {
        if s.state() == SessionState::Established {
            s.disconnect("acceptor stopping")?;
        }
    }
    for s in sessions {
        s.wait_for_state(
            SessionState::CorrectlyTerminated,
            std::time::Duration::from_secs(3),
        );
        s.finalize();
    }
    engine.stop();
    Ok(())
}
