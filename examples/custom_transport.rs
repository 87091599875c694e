//! fixrs-session over a blocking `std::net::TcpStream`, without the engine:
//! the whole transport a sans-IO session needs, in one function.
//!
//! ```text
//! cargo run -p fix-cli --example custom_transport
//! ```
//!
//! Two threads each drive a `Session` over their end of a loopback TCP
//! connection with [`drive`]: bytes read from the socket go in with
//! `handle_input`, the socket's read timeout is the session's next
//! deadline (`handle_timeout` when it passes), and after every input the
//! outputs are drained: bytes to write, then events, then the rest of the
//! input (`handle_pending_input`: one read may hold several messages, and
//! the session stops after each so that the application answers it
//! first). The acceptor answers each order and rejects anything else; the
//! initiator sends three orders and a quote request, waits for the
//! answers and logs out.

use fixrs_proto::tag;
use fixrs_proto::{FieldIndex, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{Event, MemoryStore, MessageRejection, Now, Session, SessionConfig};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// What the application hears about.
enum Incoming {
    LoggedOn,
    /// An application message (copied out of the session's buffer).
    App(Vec<u8>),
}

/// Runs `session` over `stream` until the link closes. `app` is called
/// with each logon and application message and may send, reject (the
/// message it was just given) or log out.
fn drive(
    session: &mut Session,
    mut stream: TcpStream,
    mut app: impl FnMut(&mut Session, Incoming),
) -> std::io::Result<()> {
    let now = Now::system();
    session.handle_link_up(now);
    let mut buf = [0u8; 4096];
    loop {
        // After every input, drain the outputs: bytes first, then events.
        while let Some(bytes) = session.poll_transmit() {
            let n = bytes.len();
            stream.write_all(bytes)?;
            session.transmitted(n);
        }
        let mut incoming = Vec::new();
        let mut close = false;
        while let Some(event) = session.poll_event() {
            match event {
                Event::LoggedOn => incoming.push(Incoming::LoggedOn),
                Event::AppMessage(m) => incoming.push(Incoming::App(m.as_bytes().to_vec())),
                Event::CloseLink => close = true,
                Event::StateChanged { from, to } => println!("{} -> {}", from.name(), to.name()),
                _ => {}
            }
        }
        if !incoming.is_empty() {
            // What the application does is an input too: drain again.
            for i in incoming {
                app(session, i);
            }
            continue;
        }
        if session.has_pending_input() {
            // The next message of the last read, now that the application
            // answered the one before.
            let now = Now::system();
            session.handle_pending_input(now);
            continue;
        }
        if close {
            return Ok(());
        }
        // Wait for bytes, at most until the session's next deadline.
        let wait = session
            .poll_timeout()
            .map_or(Duration::from_secs(1), |t| {
                t.saturating_duration_since(Instant::now())
            })
            .max(Duration::from_millis(1));
        stream.set_read_timeout(Some(wait))?;
        let read = stream.read(&mut buf);
        let now = Now::system();
        match read {
            Ok(0) => {
                session.handle_link_down(now);
                return Ok(());
            }
            Ok(n) => session.handle_input(&buf[..n], now),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                session.handle_timeout(now)
            }
            Err(e) => return Err(e),
        }
    }
}

fn new_session(config: SessionConfig) -> std::io::Result<Session> {
    let now = Now::system();
    let mut s = Session::new(config, Box::new(MemoryStore::new(now.utc)), now)
        .map_err(std::io::Error::other)?;
    s.connect(now);
    Ok(s)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;

    // The acceptor: answers every NewOrderSingle with an ExecutionReport and
    // rejects other application messages (a BusinessMessageReject).
    let acceptor = std::thread::spawn(move || -> std::io::Result<()> {
        let (stream, _) = listener.accept()?;
        let mut session = new_session(SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY"))?;
        let mut index = FieldIndex::new();
        drive(&mut session, stream, |s, incoming| {
            let Incoming::App(bytes) = incoming else {
                return;
            };
            let Ok(order) = index.parse(&bytes) else {
                return;
            };
            let now = Now::system();
            if order.msg_type() != b"D" {
                if let Err(e) = s.reject(&MessageRejection::UnsupportedMessageType, now) {
                    eprintln!("acceptor: not rejected: {e}");
                }
                return;
            }
            let mut er = MessageBuilder::new(b"8");
            er.push_str(tag::ORDER_ID, "1")
                .push_str(tag::EXEC_ID, "1")
                .push(tag::CL_ORD_ID, order.get(tag::CL_ORD_ID).unwrap_or(b"?"))
                .push_char(tag::EXEC_TYPE, b'0')
                .push_char(tag::ORD_STATUS, b'0')
                .push_str(tag::SYMBOL, "EUR/USD")
                .push_char(tag::SIDE, b'1')
                .push_str(tag::LEAVES_QTY, "100")
                .push_str(tag::CUM_QTY, "0")
                .push_str(tag::AVG_PX, "0");
            if let Err(e) = s.send(&er, now) {
                eprintln!("acceptor: not sent: {e}");
            }
        })
    });

    // The initiator: three orders and a quote request once logged on (in
    // one write), Logout after the three execution reports and the reject.
    let stream = TcpStream::connect(addr)?;
    let mut session = new_session(SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL"))?;
    let mut index = FieldIndex::new();
    let (mut reports, mut rejects) = (0, 0);
    drive(&mut session, stream, |s, incoming| {
        let now = Now::system();
        match incoming {
            Incoming::LoggedOn => {
                for n in 1..=3 {
                    let mut order = MessageBuilder::new(b"D");
                    order
                        .push_str(tag::CL_ORD_ID, &format!("ORD-{n}"))
                        .push_str(tag::SYMBOL, "EUR/USD")
                        .push_char(tag::SIDE, b'1')
                        .push_str(tag::ORDER_QTY, "100")
                        .push_char(tag::ORD_TYPE, b'1');
                    if let Err(e) = s.send(&order, now) {
                        eprintln!("initiator: not sent: {e}");
                    }
                }
                let mut quote_request = MessageBuilder::new(b"R");
                quote_request.push_str(tag::QUOTE_REQ_ID, "Q-1");
                if let Err(e) = s.send(&quote_request, now) {
                    eprintln!("initiator: not sent: {e}");
                }
            }
            Incoming::App(bytes) => {
                let Ok(answer) = index.parse(&bytes) else {
                    return;
                };
                if answer.msg_type() == b"j" {
                    let text = String::from_utf8_lossy(answer.get(tag::TEXT).unwrap_or(b""));
                    println!("rejected: {text}");
                    rejects += 1;
                } else {
                    let id = String::from_utf8_lossy(answer.get(tag::CL_ORD_ID).unwrap_or(b""));
                    println!("execution report for {id}");
                    reports += 1;
                }
                if reports == 3 && rejects == 1 {
                    s.logout(Some("done"), now);
                }
            }
        }
    })?;
    acceptor.join().map_err(|_| "acceptor thread panicked")??;
    if (reports, rejects) != (3, 1) {
        return Err(format!("{reports} execution reports and {rejects} rejects").into());
    }
    Ok(())
}
