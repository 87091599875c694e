//! `fixctl demo`: the engine's main job shown end to end in one process,
//! with nothing but this repository.
//!
//! An acceptor (the "sell side", answering every NewOrderSingle with an
//! ExecutionReport) and an initiator (the "buy side") run on two engines
//! on 127.0.0.1, each with a file store in a temporary directory, joined
//! through a [`LinkProxy`] that records every message and can cut the
//! link. The demo:
//!
//! 1. logs on;
//! 2. sends orders one at a time, each waiting for its execution report,
//!    then a longer run of round trips to measure latency;
//! 3. sends a burst of orders and cuts the link while they and their
//!    execution reports are in flight (lost);
//! 4. sends more orders while the initiator is disconnected (queued:
//!    late delivery);
//! 5. lets the initiator reconnect: the sides exchange ResendRequests and
//!    recover the lost messages (resends with PossDupFlag(43)=Y, gap fills
//!    for session messages), then the queued orders go out;
//! 6. logs out, and prints the timeline of messages and a summary that
//!    checks that every ClOrdID got its ExecutionReport exactly once.

use crate::proxy::{Direction, LinkProxy, WireRecord};
use crate::summary::summarize_with;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{
    tag, FieldIndex, FieldWriter, FixVersion, Message, MessageBuilder, UtcTimestamp,
};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_mio::{
    Application, EngineError, EngineSettings, FixEngine, PutError, SessionHandle, SessionOptions,
};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Our SenderCompID on the initiator (buy side).
pub const BUY_SIDE: &str = "DEMO-BUY";
/// Our SenderCompID on the acceptor (sell side).
pub const SELL_SIDE: &str = "DEMO-SELL";

/// What the demo does.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Orders sent one at a time at the start, shown in the timeline.
    pub orders: usize,
    /// Further one-at-a-time round trips for the latency figures (not
    /// shown one by one).
    pub latency_samples: usize,
    /// Orders sent at once just before the link is cut.
    pub burst: usize,
    /// Orders sent while the initiator is disconnected.
    pub queued: usize,
    /// Whether to print the timeline.
    pub timeline: bool,
    /// Directory for the stores and logs (kept); `None` for a temporary
    /// directory removed at the end.
    pub dir: Option<PathBuf>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            orders: 5,
            latency_samples: 1000,
            burst: 8,
            queued: 4,
            timeline: true,
            dir: None,
        }
    }
}

/// Why the demo could not run to the end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Files, sockets or the terminal failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The engine refused something.
    #[error("engine error: {0}")]
    Engine(#[from] EngineError),
    /// A session did not take a message.
    #[error("cannot send: {0}")]
    Put(#[from] PutError),
    /// A step did not finish in time.
    #[error("timed out {0}")]
    Timeout(String),
}

/// The results of a demo run.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    /// Orders sent.
    pub orders: usize,
    /// ClOrdIDs without exactly one ExecutionReport at the initiator or
    /// without exactly one NewOrderSingle at the acceptor.
    pub lost: Vec<String>,
    /// Messages from the initiator to the acceptor (forwarded).
    pub to_acceptor: usize,
    /// Messages from the acceptor to the initiator (forwarded).
    pub to_initiator: usize,
    /// Messages lost when the link was cut.
    pub lost_in_cut: usize,
    /// Application messages resent (PossDupFlag(43)=Y).
    pub resends: usize,
    /// SequenceReset-GapFill messages.
    pub gap_fills: usize,
    /// ResendRequests.
    pub resend_requests: usize,
    /// TCP connections made.
    pub links: u32,
    /// One-at-a-time round trips measured, in microseconds, sorted.
    pub round_trips_us: Vec<f64>,
}

impl DemoReport {
    /// The `p`-th percentile (0 to 100) of the round trips, in
    /// microseconds.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        percentile(&self.round_trips_us, p)
    }
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// What the two applications saw.
#[derive(Debug, Default)]
struct Book {
    sent_at: HashMap<String, Instant>,
    timed: HashMap<String, bool>,
    reports: HashMap<String, u32>,
    orders_at_acceptor: HashMap<String, u32>,
    round_trips_us: Vec<f64>,
    states: Vec<(Instant, &'static str, SessionState, SessionState)>,
    /// Set when the sessions are being removed: what they report then is
    /// the engine tearing them down, not the FIX session.
    finalizing: bool,
    errors: Vec<(Instant, &'static str, String)>,
}

#[derive(Debug, Default)]
struct Shared {
    book: Mutex<Book>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds, at most `timeout`.
    fn wait(&self, timeout: Duration, mut done: impl FnMut(&Book) -> bool) -> bool {
        let end = Instant::now() + timeout;
        let mut book = self.lock();
        while !done(&book) {
            let now = Instant::now();
            if now >= end {
                return false;
            }
            book = match self.changed.wait_timeout(book, end - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }
}

fn text(msg: &Message<'_>, t: u32) -> String {
    String::from_utf8_lossy(msg.get(t).unwrap_or(b"")).into_owned()
}

/// The buy side: counts execution reports per ClOrdID and times round
/// trips.
struct BuySide(Arc<Shared>);

impl Application for BuySide {
    fn on_message(&mut self, _: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() != b"8" {
            return;
        }
        let id = text(message, tag::CL_ORD_ID);
        let now = Instant::now();
        let mut book = self.0.lock();
        *book.reports.entry(id.clone()).or_insert(0) += 1;
        if book.timed.remove(&id).unwrap_or(false) {
            if let Some(sent) = book.sent_at.get(&id) {
                let rtt = now.duration_since(*sent).as_secs_f64() * 1e6;
                book.round_trips_us.push(rtt);
            }
        }
        drop(book);
        self.0.changed.notify_all();
    }

    fn on_state_change(&mut self, _: &SessionHandle, from: SessionState, to: SessionState) {
        let mut book = self.0.lock();
        if !book.finalizing {
            book.states.push((Instant::now(), "initiator", from, to));
        }
        drop(book);
        self.0.changed.notify_all();
    }

    fn on_error(&mut self, _: &SessionHandle, error: &dyn std::error::Error) {
        self.0
            .lock()
            .errors
            .push((Instant::now(), "initiator", error.to_string()));
    }
}

/// The sell side: answers every NewOrderSingle with an ExecutionReport
/// (OrdStatus New).
struct SellSide {
    shared: Arc<Shared>,
    report: MessageBuilder,
    executions: u64,
}

impl Application for SellSide {
    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if message.msg_type() != b"D" {
            return;
        }
        let id = message.get(tag::CL_ORD_ID).unwrap_or(b"");
        *self
            .shared
            .lock()
            .orders_at_acceptor
            .entry(String::from_utf8_lossy(id).into_owned())
            .or_insert(0) += 1;
        self.executions += 1;
        let qty = message.get(tag::ORDER_QTY).unwrap_or(b"0");
        let r = &mut self.report;
        r.reset(b"8");
        r.push_str(tag::ORDER_ID, &format!("SELL-{}", self.executions))
            .push_str(tag::EXEC_ID, &format!("EXEC-{}", self.executions))
            .push(tag::CL_ORD_ID, id)
            .push_char(tag::EXEC_TYPE, b'0')
            .push_char(tag::ORD_STATUS, b'0')
            .push(tag::SYMBOL, message.get(tag::SYMBOL).unwrap_or(b"?"))
            .push(tag::SIDE, message.get(tag::SIDE).unwrap_or(b"1"))
            .push(tag::ORDER_QTY, qty)
            .push(tag::LEAVES_QTY, qty)
            .push_str(tag::CUM_QTY, "0")
            .push_str(tag::AVG_PX, "0");
        if let Err(e) = session.put(&*r) {
            self.shared
                .lock()
                .errors
                .push((Instant::now(), "acceptor", e.to_string()));
        }
        self.shared.changed.notify_all();
    }

    fn on_state_change(&mut self, _: &SessionHandle, from: SessionState, to: SessionState) {
        let mut book = self.shared.lock();
        if !book.finalizing {
            book.states.push((Instant::now(), "acceptor", from, to));
        }
    }

    fn on_error(&mut self, _: &SessionHandle, error: &dyn std::error::Error) {
        self.shared
            .lock()
            .errors
            .push((Instant::now(), "acceptor", error.to_string()));
    }
}

fn order(n: usize) -> (String, MessageBuilder) {
    let id = format!("ORD-{n}");
    let mut m = MessageBuilder::new(b"D");
    let symbols = ["EUR/USD", "USD/JPY", "GBP/USD"];
    m.push_str(tag::CL_ORD_ID, &id)
        .push_str(tag::SYMBOL, symbols[n % symbols.len()])
        .push_char(tag::SIDE, if n.is_multiple_of(2) { b'2' } else { b'1' })
        .push_uint(tag::ORDER_QTY, 100 * (1 + n as u64 % 10))
        .push_char(tag::ORD_TYPE, b'1');
    let utc = UtcTimestamp::from(SystemTime::now());
    m.push_value(tag::TRANSACT_TIME, &utc);
    (id, m)
}

/// The steps the demo announces.
const STEPS: usize = 6;

/// Runs the demo, writing progress to `progress` and the timeline and
/// summary to `out`.
pub fn run(
    options: &DemoOptions,
    progress: &mut dyn Write,
    out: &mut dyn Write,
) -> Result<DemoReport, DemoError> {
    let temp;
    let dir: &Path = match &options.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d
        }
        None => {
            temp = tempfile::Builder::new().prefix("fixctl-demo-").tempdir()?;
            temp.path()
        }
    };
    let clock = (Instant::now(), SystemTime::now());
    let shared = Arc::new(Shared::default());
    let mut demo = Demo::log_on(dir, &shared, progress)?;
    let (latency_start, latency_end) = demo.orders_one_at_a_time(options, progress)?;
    demo.cut_a_burst(options, progress)?;
    demo.queue_while_disconnected(options, progress)?;
    demo.recover(progress)?;
    let total = demo.next;
    let (records, link_events) = demo.log_out(progress)?;

    let book = shared.lock();
    let report = tally(&book, total, &records);
    if options.timeline {
        let timeline = Timeline {
            clock,
            records: &records,
            link_events: &link_events,
            book: &book,
            collapse: (latency_start, latency_end),
            collapsed: options.latency_samples,
        };
        timeline.write(out)?;
    }
    write_summary(out, &report, &book)?;
    Ok(report)
}

/// The two engines, their sessions and the proxy between them. Fields
/// drop in this order (the initiator's side first), as the steps stop
/// them.
struct Demo {
    buy: SessionHandle,
    initiator: FixEngine,
    proxy: LinkProxy,
    sell: SessionHandle,
    acceptor: FixEngine,
    shared: Arc<Shared>,
    /// Orders sent so far (the last ClOrdID's number).
    next: usize,
}

impl Demo {
    /// Step 1: the two engines and the proxy between them, logged on.
    fn log_on(
        dir: &Path,
        shared: &Arc<Shared>,
        progress: &mut dyn Write,
    ) -> Result<Demo, DemoError> {
        let acceptor = FixEngine::new(
            EngineSettings::default()
                .with_file_store_path(dir.join("sell-side-store"))
                .with_file_log_path(dir.join("sell-side-log"))
                .with_thread_name("demo-sell-side"),
        )?;
        let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
        let acceptor_addr = acceptor.listen(listen)?;
        let sell = acceptor.create_session_with(
            SessionConfig::acceptor(FixVersion::Fix44, SELL_SIDE, BUY_SIDE),
            SessionOptions::default(),
            SellSide {
                shared: shared.clone(),
                report: MessageBuilder::default(),
                executions: 0,
            },
        )?;
        let proxy = LinkProxy::start(acceptor_addr)?;
        let initiator = FixEngine::new(
            EngineSettings::default()
                .with_file_store_path(dir.join("buy-side-store"))
                .with_file_log_path(dir.join("buy-side-log"))
                .with_thread_name("demo-buy-side"),
        )?;
        let mut config = SessionConfig::initiator(FixVersion::Fix44, BUY_SIDE, SELL_SIDE);
        config.reconnect_interval = Duration::from_millis(250);
        let buy = initiator.create_session_with(
            config,
            SessionOptions::default(),
            BuySide(shared.clone()),
        )?;
        writeln!(
            progress,
            "[1/{STEPS}] acceptor {SELL_SIDE} on {acceptor_addr}, initiator {BUY_SIDE} connecting through a link proxy on {}; file stores in {}",
            proxy.addr(),
            dir.display()
        )?;
        buy.connect(30, &proxy.addr().to_string())?;
        if !buy.wait_for_state(SessionState::Established, Duration::from_secs(10)) {
            return Err(DemoError::Timeout(format!(
                "waiting for the Logon (initiator is {})",
                buy.state().name()
            )));
        }
        Ok(Demo {
            buy,
            initiator,
            proxy,
            sell,
            acceptor,
            shared: shared.clone(),
            next: 0,
        })
    }

    /// Sends the next order (`timed`: counted in the latency figures);
    /// with `wait`, waits for its ExecutionReport. Returns its ClOrdID.
    fn send(&mut self, timed: bool, wait: bool) -> Result<String, DemoError> {
        self.next += 1;
        let (id, msg) = order(self.next);
        {
            let mut book = self.shared.lock();
            book.sent_at.insert(id.clone(), Instant::now());
            book.timed.insert(id.clone(), timed);
        }
        self.buy.put(&msg)?;
        if wait
            && !self
                .shared
                .wait(Duration::from_secs(10), |b| b.reports.contains_key(&id))
        {
            return Err(DemoError::Timeout(format!(
                "waiting for the ExecutionReport of {id}"
            )));
        }
        Ok(id)
    }

    /// Step 2: orders one at a time, then the latency run, whose start
    /// and end are returned.
    fn orders_one_at_a_time(
        &mut self,
        options: &DemoOptions,
        progress: &mut dyn Write,
    ) -> Result<(Instant, Instant), DemoError> {
        for _ in 0..options.orders {
            self.send(true, true)?;
        }
        let latency_start = Instant::now();
        for _ in 0..options.latency_samples {
            self.send(true, true)?;
        }
        let latency_end = Instant::now();
        writeln!(
            progress,
            "[2/{STEPS}] logged on; {} orders answered one at a time",
            options.orders + options.latency_samples
        )?;
        Ok((latency_start, latency_end))
    }

    /// Step 3: a burst cut off in flight.
    fn cut_a_burst(
        &mut self,
        options: &DemoOptions,
        progress: &mut dyn Write,
    ) -> Result<(), DemoError> {
        let forward = (options.burst / 2).max(1).min(options.burst);
        self.proxy.arm_cut(forward);
        for _ in 0..options.burst {
            self.send(false, false)?;
        }
        if options.burst > forward {
            self.proxy.wait_for_losses(
                Direction::ToAcceptor,
                options.burst - forward,
                Duration::from_secs(5),
            );
        }
        // Let the replies to the orders that got through come back into the cut.
        std::thread::sleep(Duration::from_millis(50));
        self.proxy.cut();
        let lost_now = self.proxy.records().iter().filter(|r| r.lost).count();
        writeln!(
            progress,
            "[3/{STEPS}] burst of {} orders sent; link cut with {lost_now} messages in flight (lost)",
            options.burst
        )?;
        Ok(())
    }

    /// Step 4: orders while disconnected.
    fn queue_while_disconnected(
        &mut self,
        options: &DemoOptions,
        progress: &mut dyn Write,
    ) -> Result<(), DemoError> {
        let end = Instant::now() + Duration::from_secs(5);
        while self.buy.state() == SessionState::Established && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
        for _ in 0..options.queued {
            self.send(false, false)?;
        }
        writeln!(
            progress,
            "[4/{STEPS}] initiator is {}; {} orders queued for delivery after the next Logon",
            self.buy.state().name(),
            options.queued
        )?;
        Ok(())
    }

    /// Step 5: reconnect and recovery.
    fn recover(&mut self, progress: &mut dyn Write) -> Result<(), DemoError> {
        let total = self.next;
        let recovered = self.shared.wait(Duration::from_secs(20), |b| {
            (1..=total).all(|n| b.reports.contains_key(&format!("ORD-{n}")))
        });
        writeln!(
            progress,
            "[5/{STEPS}] reconnected; {}",
            if recovered {
                "every order has its ExecutionReport"
            } else {
                "some orders are still without an ExecutionReport"
            }
        )?;
        // Give late duplicates, if there were any, the time to show.
        std::thread::sleep(Duration::from_millis(20));
        Ok(())
    }

    /// Step 6: logout; everything stopped. Returns what the proxy saw.
    fn log_out(
        self,
        progress: &mut dyn Write,
    ) -> Result<(Vec<WireRecord>, Vec<crate::proxy::LinkEvent>), DemoError> {
        let Demo {
            buy,
            initiator,
            proxy,
            sell,
            acceptor,
            shared,
            ..
        } = self;
        buy.disconnect("demo finished")?;
        buy.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
        sell.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
        let final_state = buy.state();
        shared.lock().finalizing = true;
        buy.finalize();
        sell.finalize();
        initiator.stop();
        acceptor.stop();
        let records = proxy.records();
        let link_events = proxy.events();
        proxy.stop();
        writeln!(
            progress,
            "[6/{STEPS}] logged out (initiator {})",
            final_state.name()
        )?;
        Ok((records, link_events))
    }
}

/// The report of a run that sent orders 1..=`total`: orders lost or
/// duplicated, messages on the wire by kind, round-trip times.
fn tally(book: &Book, total: usize, records: &[WireRecord]) -> DemoReport {
    let mut report = DemoReport {
        orders: total,
        ..DemoReport::default()
    };
    for n in 1..=total {
        let id = format!("ORD-{n}");
        let reports = book.reports.get(&id).copied().unwrap_or(0);
        let orders = book.orders_at_acceptor.get(&id).copied().unwrap_or(0);
        if reports != 1 || orders != 1 {
            report.lost.push(format!(
                "{id} (orders received {orders}, reports received {reports})"
            ));
        }
    }
    let mut index = FieldIndex::new();
    for r in records {
        if r.lost {
            report.lost_in_cut += 1;
            continue;
        }
        match r.direction {
            Direction::ToAcceptor => report.to_acceptor += 1,
            Direction::ToInitiator => report.to_initiator += 1,
        }
        let Ok(m) = index.parse(&r.bytes) else {
            continue;
        };
        let poss_dup = m.get(tag::POSS_DUP_FLAG) == Some(b"Y");
        match m.msg_type() {
            b"4" if m.get(tag::GAP_FILL_FLAG) == Some(b"Y") => report.gap_fills += 1,
            b"2" => report.resend_requests += 1,
            b"0" | b"1" | b"3" | b"5" | b"A" | b"4" => {}
            _ if poss_dup => report.resends += 1,
            _ => {}
        }
    }
    report.links = records.iter().map(|r| r.link).max().unwrap_or(0);
    report.round_trips_us = book.round_trips_us.clone();
    report
        .round_trips_us
        .sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    report
}

/// The timeline's ingredients.
struct Timeline<'a> {
    clock: (Instant, SystemTime),
    records: &'a [WireRecord],
    link_events: &'a [crate::proxy::LinkEvent],
    book: &'a Book,
    collapse: (Instant, Instant),
    collapsed: usize,
}

enum Entry<'a> {
    Wire(&'a WireRecord),
    Link(&'a crate::proxy::LinkEvent),
    State(&'static str, SessionState, SessionState),
    Error(&'static str, &'a str),
    Collapsed(usize, usize),
}

impl Timeline<'_> {
    fn time(&self, at: Instant) -> String {
        let since = at.saturating_duration_since(self.clock.0);
        let utc = UtcTimestamp::from(self.clock.1 + since);
        let secs = utc.seconds_of_day();
        format!(
            "{:02}:{:02}:{:02}.{:06}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            utc.subsec_nanos() / 1000
        )
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut entries: Vec<(Instant, Entry<'_>)> = Vec::new();
        let (from, to) = self.collapse;
        let mut hidden = (0usize, from);
        for r in self.records {
            if self.collapsed > 0 && r.at > from && r.at <= to && !r.lost {
                hidden.0 += 1;
                continue;
            }
            entries.push((r.at, Entry::Wire(r)));
        }
        if hidden.0 > 0 {
            entries.push((hidden.1, Entry::Collapsed(hidden.0, self.collapsed)));
        }
        for e in self.link_events {
            entries.push((e.at, Entry::Link(e)));
        }
        for (at, side, a, b) in &self.book.states {
            entries.push((*at, Entry::State(side, *a, *b)));
        }
        for (at, side, e) in &self.book.errors {
            entries.push((*at, Entry::Error(side, e)));
        }
        entries.sort_by_key(|(at, _)| *at);

        writeln!(out, "Timeline (I = initiator {BUY_SIDE}, A = acceptor {SELL_SIDE}; X = lost when the link was cut)")?;
        let dict = Dictionary::builtin(FixVersion::Fix44);
        let mut index = FieldIndex::new();
        for (at, entry) in &entries {
            let time = self.time(*at);
            match entry {
                Entry::Wire(r) => {
                    let arrow = match (r.direction, r.lost) {
                        (Direction::ToAcceptor, false) => "I  -> A",
                        (Direction::ToAcceptor, true) => "I  -X A",
                        (Direction::ToInitiator, false) => "I <-  A",
                        (Direction::ToInitiator, true) => "I X-  A",
                    };
                    let what = match index.parse(&r.bytes) {
                        Ok(m) => summarize_with(&m, dict),
                        Err(e) => format!("unreadable message: {e}"),
                    };
                    writeln!(out, "{time}  {arrow}  {what}")?;
                }
                Entry::Link(e) => writeln!(out, "{time}  -----  link {}: {}", e.link, e.what)?,
                Entry::State(side, a, b) => {
                    writeln!(out, "{time}  -----  {side}: {} -> {}", a.name(), b.name())?
                }
                Entry::Error(side, e) => writeln!(out, "{time}  -----  {side} reports: {e}")?,
                Entry::Collapsed(n, trips) => writeln!(
                    out,
                    "{time}  .....  {n} messages of the {trips} latency round trips not shown"
                )?,
            }
        }
        writeln!(out)
    }
}

fn write_summary(out: &mut dyn Write, r: &DemoReport, book: &Book) -> io::Result<()> {
    writeln!(out, "Summary")?;
    writeln!(
        out,
        "  orders sent:             {} (ClOrdID ORD-1 to ORD-{})",
        r.orders, r.orders
    )?;
    let answered = (1..=r.orders)
        .filter(|n| book.reports.get(&format!("ORD-{n}")) == Some(&1))
        .count();
    writeln!(
        out,
        "  execution reports:       {answered} ClOrdIDs answered exactly once"
    )?;
    writeln!(
        out,
        "  messages I -> A:         {}   A -> I: {}",
        r.to_acceptor, r.to_initiator
    )?;
    writeln!(
        out,
        "  link cut:                {} messages lost in flight, {} connections in all",
        r.lost_in_cut, r.links
    )?;
    writeln!(
        out,
        "  recovery:                {} ResendRequests, {} resends (PossDupFlag=Y), {} gap fills",
        r.resend_requests, r.resends, r.gap_fills
    )?;
    match (r.percentile(50.0), r.percentile(99.0)) {
        (Some(p50), Some(p99)) => writeln!(
            out,
            "  round trip:              p50 {p50:.0} us, p99 {p99:.0} us over {} orders sent one at a time (through the link proxy; `fixctl bench` measures the engine alone)",
            r.round_trips_us.len()
        )?,
        _ => writeln!(out, "  round trip:              not measured")?,
    }
    writeln!(out, "  lost messages:           {}", r.lost.len())?;
    for l in &r.lost {
        writeln!(out, "    {l}")?;
    }
    Ok(())
}
