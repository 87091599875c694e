//! A counterparty that asks for the whole history again and again without
//! reading: its ResendRequests arrive together, in one read. The session's
//! outgoing backlog must stay within its bound plus one resend (the bound
//! is checked after each message, not after each read), and once the
//! counterparty reads, every resend arrives, in order, with nothing lost.

mod common;

use common::*;
use fixrs_proto::{tag, Decoder, FieldIndex, FieldWriter, FrameConfig, MessageBuilder};
use fixrs_session::{Role, SessionState};
use fixrs_transport_mio::{
    ChannelApplication, EngineSettings, FixEngine, SessionOptions, SocketOptions,
};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Messages in the history each ResendRequest asks for.
const HISTORY: usize = 100;
/// ResendRequests sent at once.
const REQUESTS: u64 = 100;
/// The session's outgoing bound.
const BOUND: usize = 256 << 10;

#[test]
fn a_burst_of_resend_requests_stays_within_the_bound_plus_one_resend() {
    init_log();
    // A small socket send buffer, so that what the engine holds shows in
    // its backlog rather than in the kernel's.
    let acceptor = FixEngine::new(
        EngineSettings::default()
            .with_max_outgoing_bytes(BOUND)
            .with_socket(SocketOptions {
                send_buffer_size: Some(16 << 10),
                ..SocketOptions::default()
            }),
    )
    .expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "FLOOD"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon("FLOOD", "ACC", 1)).expect("logon");
    assert!(!peer
        .read_until(b"35=A\x01", Duration::from_secs(10))
        .is_empty());
    expect_state(&acc, SessionState::Established, Duration::from_secs(10));

    // The history: the Logon, then HISTORY news of about 1 KB, read.
    let pad = "x".repeat(1000);
    let mut message = MessageBuilder::new(b"B");
    message.push_str(148, "news").push_str(tag::TEXT, &pad);
    for _ in 0..HISTORY {
        acc.put(&message).expect("put");
    }
    let last = HISTORY as u64 + 1;
    assert!(wait_until(Duration::from_secs(10), || acc.out_seq_num() > last));
    peer.discard_input(Duration::from_millis(300));
    let one_resend = HISTORY * news_wire_len(&pad);

    // All the ResendRequests in one write: the engine reads them at once.
    let mut burst = Vec::new();
    for seq in 2..2 + REQUESTS {
        burst.extend_from_slice(&raw_message(
            b"2",
            "FLOOD",
            "ACC",
            seq,
            &[(tag::BEGIN_SEQ_NO, "1"), (tag::END_SEQ_NO, "0")],
        ));
    }
    let peak = AtomicUsize::new(0);
    let sampling = AtomicBool::new(true);
    let expected = REQUESTS as usize * HISTORY;
    let mut news = Vec::new();
    let before_reading = std::thread::scope(|scope| {
        scope.spawn(|| {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(acc.backlog(), Ordering::Relaxed);
                std::thread::yield_now();
            }
        });
        peer.send(&burst).expect("burst");
        // The session answers the first requests until the socket and the
        // bound are full, then waits for the counterparty to read.
        let full = wait_until(Duration::from_secs(10), || acc.backlog() > BOUND);
        std::thread::sleep(Duration::from_millis(500));
        let before_reading = peak.load(Ordering::Relaxed);

        // The counterparty reads: every resend arrives.
        let mut decoder = Decoder::new(FrameConfig::default());
        let mut index = FieldIndex::new();
        let mut buf = vec![0u8; 64 << 10];
        let end = Instant::now() + Duration::from_secs(60);
        peer.stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        while news.len() < expected && Instant::now() < end {
            match peer.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => decoder.feed(&buf[..n]),
                Err(_) => {}
            }
            while let Some(Ok(frame)) = decoder.next_frame() {
                let msg = index.parse(frame).expect("parse");
                if msg.msg_type() == b"B" {
                    news.push(msg.get_as::<u64>(tag::MSG_SEQ_NUM).expect("MsgSeqNum"));
                }
            }
        }
        sampling.store(false, Ordering::Relaxed);
        assert!(full, "the backlog never reached the bound");
        before_reading
    });
    println!(
        "peak backlog {} KiB before reading, {} KiB in all; bound {} KiB, one resend {} KiB",
        before_reading >> 10,
        peak.load(Ordering::Relaxed) >> 10,
        BOUND >> 10,
        one_resend >> 10
    );
    assert!(
        peak.load(Ordering::Relaxed) <= BOUND + one_resend + (16 << 10),
        "backlog peaked at {} bytes: over the bound {BOUND} plus one resend {one_resend}",
        peak.load(Ordering::Relaxed)
    );
    assert_eq!(
        news.len(),
        expected,
        "resent news; in_seq_num {}, backlog {}",
        acc.in_seq_num(),
        acc.backlog()
    );
    // In order: each resend is the gap fill for the Logon, then the news
    // 2..=HISTORY+1, then the next resend.
    for (i, seq) in news.iter().enumerate() {
        assert_eq!(*seq, 2 + (i % HISTORY) as u64, "news {i} of the resends");
    }
    // Every ResendRequest was counted: the next one in sequence is taken.
    assert!(wait_until(Duration::from_secs(5), || acc.in_seq_num() == 2 + REQUESTS));
    assert_eq!(acc.state(), SessionState::Established);
    acceptor.stop();
}

/// The wire length of a resent news message (PossDupFlag and
/// OrigSendingTime added), near enough for a bound.
fn news_wire_len(pad: &str) -> usize {
    pad.len() + 160
}
