//! Replaying a recorded session without sockets, and checking it with a
//! property test.
//!
//! `examples/data/demo-sell-side.messages.log` is the message log (QuickFIX
//! FileLog format) that the sell side of `fixctl demo` wrote during a run
//! with a link cut: a Logon, orders and execution reports, the cut (the
//! last orders never arrived), a second Logon with ResendRequests both
//! ways, resends with PossDupFlag(43)=Y, a gap fill, and the Logout. It
//! was recorded with
//!
//! ```text
//! fixctl demo --orders 2 --latency-samples 0 --burst 4 --queued 2 --dir DIR
//! ```
//!
//! This program feeds what the buy side sent into a fresh sell-side
//! `Session`, at the recorded times, with an application that answers
//! orders as the demo's does, and checks that the session sends what the
//! real one sent (SendingTime aside). Each Logon from the buy side starts
//! a new link. Run it with
//!
//! ```text
//! cargo run -p fix-cli --example replay_scenario
//! ```
//!
//! Its tests (run by `cargo test --workspace`) check the same, and, as a
//! property, that any split of the incoming bytes gives byte-identical
//! output: the session depends only on its inputs and their times.

use fixrs_proto::{tag, FieldIndex, FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::{Event, MemoryStore, Now, Session, SessionConfig};
use std::time::{Duration, Instant};

/// The recording.
const RECORDING: &[u8] = include_bytes!("data/demo-sell-side.messages.log");

/// One line of the log: when, and the message.
struct Line<'a> {
    utc: UtcTimestamp,
    bytes: &'a [u8],
    /// Whether the buy side sent it (an input of the replay).
    inbound: bool,
}

fn parse_log(log: &[u8]) -> Vec<Line<'_>> {
    log.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let sep = l.windows(3).position(|w| w == b" : ")?;
            let utc = UtcTimestamp::parse(&l[..sep]).ok()?;
            let bytes = &l[sep + 3..];
            let mut index = FieldIndex::new();
            let inbound = index.parse(bytes).ok()?.get(tag::SENDER_COMP_ID) == Some(b"DEMO-BUY");
            Some(Line {
                utc,
                bytes,
                inbound,
            })
        })
        .collect()
}

/// Replays the inbound messages; `split` cuts each message into the pieces
/// fed to `handle_input` (for the property test). Returns every byte the
/// session wrote.
fn replay(lines: &[Line<'_>], split: &dyn Fn(usize, &[u8]) -> Vec<usize>) -> Vec<u8> {
    let start = lines.first().map_or(UtcTimestamp::UNIX_EPOCH, |l| l.utc);
    let origin = Instant::now();
    let at = |utc: UtcTimestamp| {
        let nanos = utc.nanos_since(start).max(0) as u64;
        Now::new(origin + Duration::from_nanos(nanos), utc)
    };
    let mut config = SessionConfig::acceptor(FixVersion::Fix44, "DEMO-SELL", "DEMO-BUY");
    // The recording's SendingTimes are in the past; the replay's clock is
    // the recording's, but the check stays off in case of clock skew.
    config.check_latency = false;
    let now = at(start);
    let mut session =
        Session::new(config, Box::new(MemoryStore::new(now.utc)), now).expect("valid config");
    session.connect(now);

    let mut wire = Vec::new();
    let mut executions = 0u64;
    let mut link_up = false;
    let mut index = FieldIndex::new();
    for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.inbound) {
        let now = at(line.utc);
        let is_logon = index
            .parse(line.bytes)
            .map(|m| m.msg_type() == b"A")
            .unwrap_or(false);
        if is_logon {
            if link_up {
                session.handle_link_down(now);
                drain(&mut session, &mut wire, &mut Vec::new());
            }
            session.handle_link_up(now);
            link_up = true;
        }
        let mut from = 0;
        for cut in split(i, line.bytes).into_iter().chain([line.bytes.len()]) {
            let cut = cut.clamp(from, line.bytes.len());
            session.handle_input(&line.bytes[from..cut], now);
            from = cut;
            // Drive until idle: answering an order is an input too, and
            // the session goes on with what it read after each answer.
            loop {
                let mut orders = Vec::new();
                drain(&mut session, &mut wire, &mut orders);
                if orders.is_empty() {
                    if !session.has_pending_input() {
                        break;
                    }
                    session.handle_pending_input(now);
                    continue;
                }
                for order in orders {
                    executions += 1;
                    let report = execution_report(executions, &order);
                    session.send(&report, now).expect("established");
                }
            }
        }
    }
    wire
}

/// The fields of a received order that its execution report repeats.
struct Order {
    id: Vec<u8>,
    symbol: Vec<u8>,
    side: Vec<u8>,
    qty: Vec<u8>,
}

/// Drains outputs into `wire`; orders received go to `orders`.
fn drain(session: &mut Session, wire: &mut Vec<u8>, orders: &mut Vec<Order>) {
    while let Some(bytes) = session.poll_transmit() {
        let n = bytes.len();
        wire.extend_from_slice(bytes);
        session.transmitted(n);
    }
    while let Some(event) = session.poll_event() {
        if let Event::AppMessage(m) = event {
            if m.msg_type() == b"D" {
                let get = |t| m.get(t).unwrap_or(b"").to_vec();
                orders.push(Order {
                    id: get(tag::CL_ORD_ID),
                    symbol: get(tag::SYMBOL),
                    side: get(tag::SIDE),
                    qty: get(tag::ORDER_QTY),
                });
            }
        }
    }
    while let Some(bytes) = session.poll_transmit() {
        let n = bytes.len();
        wire.extend_from_slice(bytes);
        session.transmitted(n);
    }
}

/// The demo's answer to an order (see fix_cli::demo).
fn execution_report(n: u64, order: &Order) -> MessageBuilder {
    let Order {
        id,
        symbol,
        side,
        qty,
    } = order;
    let mut r = MessageBuilder::new(b"8");
    r.push_str(tag::ORDER_ID, &format!("SELL-{n}"))
        .push_str(tag::EXEC_ID, &format!("EXEC-{n}"))
        .push(tag::CL_ORD_ID, id)
        .push_char(tag::EXEC_TYPE, b'0')
        .push_char(tag::ORD_STATUS, b'0')
        .push(tag::SYMBOL, symbol)
        .push(tag::SIDE, side)
        .push(tag::ORDER_QTY, qty)
        .push(tag::LEAVES_QTY, qty)
        .push_str(tag::CUM_QTY, "0")
        .push_str(tag::AVG_PX, "0");
    r
}

/// A message without its times and checksum (which depend on them), for
/// comparing the replay with the recording.
fn timeless(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut index = FieldIndex::new();
    let Ok(m) = index.parse(bytes) else {
        return Vec::new();
    };
    m.fields()
        .filter(|fl| {
            !matches!(
                fl.tag,
                tag::SENDING_TIME | tag::ORIG_SENDING_TIME | tag::BODY_LENGTH | tag::CHECK_SUM
            )
        })
        .map(|fl| (fl.tag, fl.value.to_vec()))
        .collect()
}

/// Cuts a byte stream into messages.
fn frames(mut wire: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let config = fixrs_proto::FrameConfig::default();
    while let fixrs_proto::framing::Scan::Complete(n) = fixrs_proto::framing::scan(wire, &config) {
        out.push(&wire[..n]);
        wire = &wire[n..];
    }
    out
}

/// Compares the replay's output with what the recording says the sell side
/// sent; returns the differences.
fn compare(lines: &[Line<'_>], wire: &[u8]) -> Vec<String> {
    let recorded: Vec<&[u8]> = lines
        .iter()
        .filter(|l| !l.inbound)
        .map(|l| l.bytes)
        .collect();
    let replayed = frames(wire);
    let mut diffs = Vec::new();
    if recorded.len() != replayed.len() {
        diffs.push(format!(
            "{} messages recorded, {} replayed",
            recorded.len(),
            replayed.len()
        ));
    }
    for (i, (r, p)) in recorded.iter().zip(&replayed).enumerate() {
        if timeless(r) != timeless(p) {
            diffs.push(format!(
                "message {}: recorded {} replayed {}",
                i + 1,
                fixrs_proto::message::display_soh(r),
                fixrs_proto::message::display_soh(p)
            ));
        }
    }
    diffs
}

fn main() -> Result<(), String> {
    let lines = parse_log(RECORDING);
    let wire = replay(&lines, &|_, _| Vec::new());
    let mut index = FieldIndex::new();
    for line in &lines {
        if let Ok(m) = index.parse(line.bytes) {
            let dir = if line.inbound { "in " } else { "out" };
            let mut time = Vec::new();
            line.utc
                .write(fixrs_proto::value::TimePrecision::Millis, &mut time);
            let time = String::from_utf8_lossy(&time);
            println!("{time} {dir} {}", fix_cli::summary::summarize(&m, None));
        }
    }
    let diffs = compare(&lines, &wire);
    if diffs.is_empty() {
        println!(
            "replay matches the recording: {} messages sent",
            frames(&wire).len()
        );
        Ok(())
    } else {
        Err(diffs.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_replay_sends_what_the_recording_says() {
        let lines = parse_log(RECORDING);
        assert!(lines.len() > 20, "the recording is there");
        let wire = replay(&lines, &|_, _| Vec::new());
        assert_eq!(compare(&lines, &wire), Vec::<String>::new());
    }

    #[test]
    fn every_order_gets_one_execution_report() {
        let lines = parse_log(RECORDING);
        let wire = replay(&lines, &|_, _| Vec::new());
        let mut index = FieldIndex::new();
        let mut orders = Vec::new();
        for l in lines.iter().filter(|l| l.inbound) {
            let m = index.parse(l.bytes).expect("recorded message");
            if m.msg_type() == b"D" {
                orders.push(m.get(tag::CL_ORD_ID).unwrap_or(b"").to_vec());
            }
        }
        let mut reports: Vec<Vec<u8>> = Vec::new();
        for frame in frames(&wire) {
            let m = index.parse(frame).expect("our own message");
            // A resend of a report already sent is not a second report.
            if m.msg_type() == b"8" && m.get(tag::POSS_DUP_FLAG) != Some(b"Y") {
                reports.push(m.get(tag::CL_ORD_ID).unwrap_or(b"").to_vec());
            }
        }
        orders.sort();
        reports.sort();
        assert_eq!(orders, reports);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// However the incoming bytes are cut, the session writes the same
        /// bytes: it depends on its inputs and their times only.
        #[test]
        fn any_split_of_the_input_gives_the_same_output(seed in any::<u64>(), max_piece in 1usize..64) {
            let lines = parse_log(RECORDING);
            let whole = replay(&lines, &|_, _| Vec::new());
            let split = move |i: usize, bytes: &[u8]| {
                // Deterministic pseudo-random cuts from the seed and line.
                let mut x = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let mut cuts = Vec::new();
                let mut at = 0;
                while at < bytes.len() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    at += 1 + (x as usize) % max_piece;
                    cuts.push(at.min(bytes.len()));
                }
                cuts
            };
            let pieces = replay(&lines, &split);
            prop_assert_eq!(pieces, whole);
        }
    }
}
