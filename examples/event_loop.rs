//! fixrs-session embedded in a program's own single-threaded loop, next to
//! the program's other work, showing the driving contract of the sans-IO
//! session:
//!
//! 1. give the session its inputs (bytes read, link down, the time when a
//!    deadline passed);
//! 2. then drive it until idle: write what `poll_transmit` returns
//!    (acknowledging partial writes with `transmitted`), handle every
//!    `poll_event`, let the session go on with the rest of what it read
//!    (`has_pending_input`, `handle_pending_input`: it stops after each
//!    message the application sees, so that the answer to one message
//!    goes out before the next is acted on), and repeat while the
//!    application's reactions produce more;
//! 3. only then sleep, no later than `poll_timeout`.
//!
//! ```text
//! cargo run -p fix-cli --example event_loop
//! ```
//!
//! Both ends of a loopback connection run in the same loop over
//! non-blocking sockets; the loop's "own work" is sending an order every
//! 20 ms. A real program would block in epoll, mio or its GUI toolkit's
//! loop instead of the short sleep used here.

use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{Event, MemoryStore, Now, Session, SessionConfig};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// One session and its socket.
struct Endpoint {
    name: &'static str,
    session: Session,
    stream: TcpStream,
    open: bool,
    /// The peer closed the connection; the link goes down once what it
    /// sent before is handled.
    peer_closed: bool,
}

/// What the endpoints told the application during one drive.
#[derive(Default)]
struct Heard {
    logged_on: bool,
    orders: Vec<String>,
    reports: Vec<String>,
}

impl Endpoint {
    fn new(
        name: &'static str,
        config: SessionConfig,
        stream: TcpStream,
    ) -> std::io::Result<Endpoint> {
        stream.set_nonblocking(true)?;
        let now = Now::system();
        let mut session = Session::new(config, Box::new(MemoryStore::new(now.utc)), now)
            .map_err(std::io::Error::other)?;
        session.connect(now);
        session.handle_link_up(now);
        Ok(Endpoint {
            name,
            session,
            stream,
            open: true,
            peer_closed: false,
        })
    }

    /// Step 1: inputs. Reads what the socket has, and fires due timers.
    fn input(&mut self, now: Now) -> std::io::Result<()> {
        let mut buf = [0u8; 4096];
        let mut read = Vec::new();
        let mut closed = false;
        while self.open && !self.peer_closed && !closed {
            match self.stream.read(&mut buf) {
                Ok(0) => closed = true,
                Ok(n) => read.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if !read.is_empty() {
            // What the session does not process at once (it stops after
            // each message the application must see) waits in it; step 2
            // goes on with it.
            self.session.handle_input(&read, now);
        }
        // The link goes down once the messages before the end are handled
        // (step 2).
        self.peer_closed |= closed;
        if self
            .session
            .poll_timeout()
            .is_some_and(|t| t <= now.instant)
        {
            self.session.handle_timeout(now);
        }
        Ok(())
    }

    /// Step 2: drain the outputs once, and go on with input the session
    /// kept; returns whether anything came out.
    fn drain(&mut self, heard: &mut Heard, now: Now) -> std::io::Result<bool> {
        let mut progress = false;
        while let Some(bytes) = self.session.poll_transmit() {
            if !self.open {
                break;
            }
            match self.stream.write(bytes) {
                // A partial write: the session keeps the rest for later.
                Ok(n) => self.session.transmitted(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
            progress = true;
        }
        while let Some(event) = self.session.poll_event() {
            progress = true;
            let id = |m: &fixrs_proto::Message<'_>| {
                String::from_utf8_lossy(m.get(tag::CL_ORD_ID).unwrap_or(b"")).into_owned()
            };
            match event {
                Event::LoggedOn => heard.logged_on = true,
                Event::AppMessage(m) if m.msg_type() == b"D" => heard.orders.push(id(&m)),
                Event::AppMessage(m) if m.msg_type() == b"8" => heard.reports.push(id(&m)),
                Event::StateChanged { to, .. } => println!("{}: {}", self.name, to.name()),
                Event::CloseLink => {
                    self.open = false;
                    let _ = self.stream.shutdown(std::net::Shutdown::Both);
                }
                _ => {}
            }
        }
        if self.session.has_pending_input() {
            self.session.handle_pending_input(now);
            progress = true;
        } else if std::mem::take(&mut self.peer_closed) {
            self.open = false;
            self.session.handle_link_down(now);
            progress = true;
        }
        Ok(progress)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    let mut buy = Endpoint::new(
        "buy",
        SessionConfig::initiator(FixVersion::Fix44, "BUY", "SELL"),
        client,
    )?;
    let mut sell = Endpoint::new(
        "sell",
        SessionConfig::acceptor(FixVersion::Fix44, "SELL", "BUY"),
        server,
    )?;

    let (mut sent, mut answered, mut logged_on) = (0, 0, false);
    let mut next_order = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(10);
    while buy.open || sell.open {
        if Instant::now() > deadline {
            return Err("the example did not finish in 10 s".into());
        }
        let now = Now::system();

        // The program's own work: an order every 20 ms once logged on.
        if logged_on && sent < 5 && now.instant >= next_order {
            sent += 1;
            let mut order = MessageBuilder::new(b"D");
            order
                .push_str(tag::CL_ORD_ID, &format!("ORD-{sent}"))
                .push_str(tag::SYMBOL, "EUR/USD")
                .push_char(tag::SIDE, b'1')
                .push_str(tag::ORDER_QTY, "100")
                .push_char(tag::ORD_TYPE, b'1');
            buy.session.send(&order, now)?;
            next_order = now.instant + Duration::from_millis(20);
        }

        // 1. Inputs.
        buy.input(now)?;
        sell.input(now)?;

        // 2. Drive until idle: the reactions (an execution report for an
        // order, a Logout after the last report) are inputs too.
        loop {
            let mut heard = Heard::default();
            let progress = buy.drain(&mut heard, now)? | sell.drain(&mut heard, now)?;
            logged_on |= heard.logged_on;
            for id in &heard.orders {
                let mut er = MessageBuilder::new(b"8");
                er.push_str(tag::ORDER_ID, id)
                    .push_str(tag::EXEC_ID, id)
                    .push_str(tag::CL_ORD_ID, id)
                    .push_char(tag::EXEC_TYPE, b'0')
                    .push_char(tag::ORD_STATUS, b'0')
                    .push_str(tag::SYMBOL, "EUR/USD")
                    .push_char(tag::SIDE, b'1')
                    .push_str(tag::LEAVES_QTY, "100")
                    .push_str(tag::CUM_QTY, "0")
                    .push_str(tag::AVG_PX, "0");
                sell.session.send(&er, now)?;
            }
            for id in &heard.reports {
                answered += 1;
                println!("buy: execution report for {id}");
                if answered == 5 {
                    buy.session.logout(Some("done"), now);
                }
            }
            if !progress {
                break;
            }
        }

        // 3. Sleep until there may be something to do: the next deadline of
        // either session or of our own work (capped, since this loop does
        // not wait on the sockets themselves).
        let wake = [
            buy.session.poll_timeout(),
            sell.session.poll_timeout(),
            Some(next_order),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now.instant + Duration::from_millis(1));
        std::thread::sleep(
            wake.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(1)),
        );
    }
    if answered != 5 {
        return Err(format!("{answered} execution reports instead of 5").into());
    }
    Ok(())
}
