//! MaxOutgoingBytes against a counterparty that reads nothing, over real
//! sockets with small buffers: the session's unwritten bytes stay under
//! the bound plus one message's output, whether the output comes from a
//! flood of sends from many tasks or from a flood of ResendRequests each
//! asking for the whole history; once the counterparty reads, everything
//! arrives, in order.

#[path = "../../fix-transport-mio/tests/common/mod.rs"]
mod raw;

use fixrs_proto::{tag, Decoder, FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_mio::SocketOptions;
use fixrs_transport_tokio::{Acceptor, SessionHandle, SessionOptions, TrySendError};
use raw::{any_port, raw_message, small_window_peer, RawPeer};
use std::io::Read;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The bound under test: small, so that it is reached quickly.
const BOUND: usize = 64 << 10;

/// How long the unwritten bytes must stay put to count as stalled.
const STALL: Duration = Duration::from_millis(500);

/// Long enough for anything the tests wait for on a loaded machine.
const WAIT: Duration = Duration::from_secs(60);

/// A tokio acceptor session "ACC" <- `peer_id` with the bound under test,
/// on sockets with small send buffers, logged on by a raw peer with small
/// buffers of its own (HeartBtInt 30: no heartbeat during the test).
fn stuck_peer_session(rt: &Runtime, peer_id: &str) -> (Acceptor, SessionHandle, RawPeer) {
    raw::init_log();
    let (acceptor, session, addr) = rt.block_on(async {
        let acceptor = Acceptor::new();
        let addr = acceptor
            .listen_with(
                any_port(),
                None,
                SocketOptions {
                    send_buffer_size: Some(16 << 10),
                    ..SocketOptions::default()
                },
            )
            .await
            .expect("listen");
        let (session, _events) = acceptor
            .add_session(
                SessionConfig::acceptor(FixVersion::Fix44, "ACC", peer_id),
                SessionOptions::new().with_max_outgoing_bytes(BOUND),
            )
            .expect("acceptor session");
        (acceptor, session, addr)
    });
    assert_eq!(session.max_outgoing_bytes(), BOUND);
    let mut peer = small_window_peer(addr);
    let logon = raw_message(
        b"A",
        peer_id,
        "ACC",
        1,
        &[(tag::ENCRYPT_METHOD, "0"), (tag::HEART_BT_INT, "30")],
    );
    peer.send(&logon).expect("logon");
    assert!(
        !peer.read_until(b"35=A\x01", WAIT).is_empty(),
        "no Logon reply"
    );
    rt.block_on(async {
        tokio::time::timeout(WAIT, session.wait_for_state(SessionState::Established))
            .await
            .expect("established in time")
            .expect("session running")
    });
    (acceptor, session, peer)
}

/// Samples the session's unwritten bytes until they have reached the
/// bound and stayed put for [`STALL`]; returns the most seen.
fn most_unsent_until_stalled(session: &SessionHandle) -> usize {
    let end = Instant::now() + WAIT;
    let mut most = 0;
    let mut last = usize::MAX;
    let mut since = Instant::now();
    while Instant::now() < end {
        let now = session.unsent_bytes();
        most = most.max(now);
        if now != last {
            last = now;
            since = Instant::now();
        } else if now >= BOUND && since.elapsed() >= STALL {
            return most;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the unwritten bytes never stalled at the bound (last {last}, most {most})");
}

/// Reads frames from the peer until `done` says it has what it waits
/// for; heartbeats are left out.
fn read_frames(peer: &mut RawPeer, done: impl Fn(&[Vec<u8>]) -> bool) -> Vec<Vec<u8>> {
    let end = Instant::now() + WAIT;
    let mut decoder = Decoder::default();
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    peer.stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    while !done(&frames) {
        assert!(
            Instant::now() < end,
            "only {} frames arrived in time",
            frames.len()
        );
        match peer.stream.read(&mut buf) {
            Ok(0) => panic!("the session closed the link"),
            Ok(n) => decoder.feed(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("read: {e}"),
        }
        while let Some(frame) = decoder.next_frame() {
            let frame = frame.expect("well-formed frame");
            if field(frame, tag::MSG_TYPE) != Some(b"0") {
                frames.push(frame.to_vec());
            }
        }
    }
    frames
}

/// The value of `tag` in a frame.
fn field(frame: &[u8], tag: u32) -> Option<&[u8]> {
    let key = format!("\x01{tag}=");
    let at = frame.windows(key.len()).position(|w| w == key.as_bytes())? + key.len();
    let len = frame[at..].iter().position(|&b| b == 0x01)?;
    Some(&frame[at..at + len])
}

/// The MsgSeqNum(34) of a frame.
fn seq_num(frame: &[u8]) -> u64 {
    let value = field(frame, tag::MSG_SEQ_NUM).expect("MsgSeqNum");
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("numeric MsgSeqNum")
}

/// A News(B) message of about `size` bytes whose Text(58) starts `id|`.
fn news(id: &str, size: usize) -> MessageBuilder {
    let mut m = MessageBuilder::new(b"B");
    let text = format!("{id}|{}", "y".repeat(size));
    m.push_str(148, "news").push_str(58, &text);
    m
}

/// The `id` a [`news`] message carries.
fn news_id(frame: &[u8]) -> String {
    let text = field(frame, 58).expect("Text");
    let end = text.iter().position(|&b| b == b'|').expect("id");
    String::from_utf8_lossy(&text[..end]).into_owned()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn sends_from_many_tasks_stop_one_message_past_the_bound_while_the_peer_reads_nothing() {
    const TASKS: usize = 8;
    const PER_TASK: usize = 250;
    let rt = runtime();
    let (_acceptor, session, mut peer) = stuck_peer_session(&rt, "FLOOD");
    // Many more messages than the bound, the socket buffers and the queue
    // hold together, of sizes from 100 bytes to 6 KB mixed (the bound is
    // kept from each message's size).
    let senders: Vec<_> = (0..TASKS)
        .map(|t| {
            let session = session.clone();
            rt.spawn(async move {
                for n in 0..PER_TASK {
                    session
                        .send(&news(&format!("{t}-{n}"), 100 + (t * 997 + n * 131) % 6000))
                        .await
                        .expect("send");
                }
            })
        })
        .collect();
    let most = most_unsent_until_stalled(&session);
    // The queue is full: senders wait, and try_send is refused.
    assert!(senders.iter().any(|s| !s.is_finished()));
    assert!(matches!(
        session.try_send(&news("refused", 10)),
        Err(TrySendError::Full)
    ));

    // Now the peer reads: every message arrives, numbered in order, each
    // task's in the order it sent them.
    let frames = read_frames(&mut peer, |f| f.len() == TASKS * PER_TASK);
    let largest = frames.iter().map(Vec::len).max().unwrap_or(0);
    println!(
        "unwritten bytes at most {most} with a bound of {BOUND} and messages of {largest} bytes"
    );
    assert!(
        most < BOUND + largest,
        "{most} unwritten bytes: over the bound of {BOUND} by more than a message of {largest}"
    );
    let mut next = [0usize; TASKS];
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(field(frame, tag::MSG_TYPE), Some(&b"B"[..]));
        assert_eq!(seq_num(frame), i as u64 + 2, "MsgSeqNum of message {i}");
        let id = news_id(frame);
        let (t, n) = id.split_once('-').expect("task-n");
        let (t, n): (usize, usize) = (t.parse().expect("task"), n.parse().expect("n"));
        assert_eq!(n, next[t], "task {t}'s messages out of order");
        next[t] += 1;
    }
    rt.block_on(async {
        for s in senders {
            s.await.expect("sender");
        }
    });
    assert_eq!(session.state(), SessionState::Established);
    drop(peer);
    rt.shutdown_timeout(Duration::from_secs(1));
}

#[test]
fn a_flood_of_resend_requests_is_taken_one_resend_at_a_time_while_the_peer_reads_nothing() {
    const HISTORY: usize = 20;
    const REQUESTS: usize = 200;
    let rt = runtime();
    let (_acceptor, session, mut peer) = stuck_peer_session(&rt, "RESEND");
    // A history of about 20 KB, read by the peer.
    rt.block_on(async {
        for n in 0..HISTORY {
            session
                .send(&news(&n.to_string(), 1000))
                .await
                .expect("send");
        }
    });
    read_frames(&mut peer, |f| f.len() == HISTORY);

    // Hundreds of requests for all of it in one write (one read for the
    // session), none of the resends read.
    let requests: Vec<u8> = (0..REQUESTS as u64)
        .flat_map(|i| {
            raw_message(
                b"2",
                "RESEND",
                "ACC",
                i + 2,
                &[(tag::BEGIN_SEQ_NO, "1"), (tag::END_SEQ_NO, "0")],
            )
        })
        .collect();
    peer.stream
        .set_write_timeout(Some(WAIT))
        .expect("write timeout");
    peer.send(&requests).expect("resend requests");
    let most = most_unsent_until_stalled(&session);
    // The requests beyond the bound wait unprocessed.
    let taken = session.next_target_seq_num() - 2;
    assert!(
        taken < REQUESTS as u64,
        "all {REQUESTS} requests were processed at once"
    );

    // Now the peer reads: each request's resend arrives whole and in
    // order (a gap fill over our Logon, then the history as possible
    // duplicates), nothing else in between.
    let per_resend = HISTORY + 1;
    let frames = read_frames(&mut peer, |f| f.len() == REQUESTS * per_resend);
    let mut largest = 0;
    for (r, resend) in frames.chunks(per_resend).enumerate() {
        largest = largest.max(resend.iter().map(Vec::len).sum::<usize>());
        let gap_fill = &resend[0];
        assert_eq!(
            field(gap_fill, tag::MSG_TYPE),
            Some(&b"4"[..]),
            "resend {r}"
        );
        assert_eq!(seq_num(gap_fill), 1, "resend {r}");
        assert_eq!(
            field(gap_fill, tag::NEW_SEQ_NO),
            Some(&b"2"[..]),
            "resend {r}"
        );
        for (n, frame) in resend[1..].iter().enumerate() {
            assert_eq!(field(frame, tag::MSG_TYPE), Some(&b"B"[..]), "resend {r}");
            assert_eq!(seq_num(frame), n as u64 + 2, "resend {r}");
            assert_eq!(field(frame, tag::POSS_DUP_FLAG), Some(&b"Y"[..]));
            assert_eq!(news_id(frame), n.to_string(), "resend {r}");
        }
    }
    println!(
        "unwritten bytes at most {most} with a bound of {BOUND} and resends of {largest} bytes; \
         {taken} of {REQUESTS} requests taken at the stall"
    );
    assert!(
        most < BOUND + largest,
        "{most} unwritten bytes: over the bound of {BOUND} by more than a resend of {largest}"
    );
    // Every request was processed.
    let end = Instant::now() + WAIT;
    while session.next_target_seq_num() != REQUESTS as u64 + 2 {
        assert!(
            Instant::now() < end,
            "next target {}",
            session.next_target_seq_num()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(session.state(), SessionState::Established);
    drop(peer);
    rt.shutdown_timeout(Duration::from_secs(1));
}
