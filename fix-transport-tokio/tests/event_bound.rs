//! The bounded event stream: a counterparty flooding a session whose
//! application reads slowly is held back in its socket (the stream never
//! holds more than its capacity, the session never runs ahead of the
//! application by more than that), while the session keeps sending its
//! heartbeats and every message arrives, in order; an application that
//! sends without reading its events does not stall its session, nor does
//! a full stream keep the Logon and Logout exchanges from completing.

mod common;
#[path = "../../fix-transport-mio/tests/common/mod.rs"]
mod raw;

use common::{wait_state, PipePair, WAIT};
use fixrs_proto::{tag, FixVersion, MessageBuilder};
use fixrs_session::{SessionConfig, SessionState};
use fixrs_transport_tokio::SessionHandle;
use fixrs_transport_tokio::{Acceptor, SessionEvent, SessionEvents, SessionOptions};
use raw::{count_in_background, raw_logon_with, raw_message, raw_order, RawPeer, Received};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Messages the counterparty floods.
const FLOOD: u64 = 20_000;

/// The event stream's capacity under test: small, so that it fills at
/// once.
const CAPACITY: usize = 64;

/// The MsgSeqNum(34) of an application message event.
fn seq_num(event: &SessionEvent) -> Option<u64> {
    match event {
        SessionEvent::Message(m) => m.get_str(tag::MSG_SEQ_NUM)?.parse().ok(),
        _ => None,
    }
}

async fn next_event(events: &mut SessionEvents) -> SessionEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("the session is running")
}

/// A session on an acceptor with an event stream of `capacity`, and a
/// raw counterparty logged on to it with HeartBtInt=1, whose received
/// Heartbeats and TestRequests a thread counts.
struct LoggedOn {
    // Kept: dropping it stops the listener and its sessions.
    _acceptor: Acceptor,
    session: SessionHandle,
    events: SessionEvents,
    peer: RawPeer,
    received: Arc<Received>,
    reader: std::thread::JoinHandle<()>,
}

async fn logged_on(capacity: usize) -> LoggedOn {
    raw::init_log();
    let acceptor = Acceptor::new();
    let addr = acceptor
        .listen("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("listen");
    let (session, events) = acceptor
        .add_session(
            SessionConfig::acceptor(FixVersion::Fix44, "ACC", "PEER"),
            SessionOptions::new().with_event_capacity(capacity),
        )
        .expect("acceptor session");
    assert_eq!(events.capacity(), capacity);
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon_with("PEER", "ACC", 1, 1))
        .expect("logon");
    wait_state(&session, SessionState::Established).await;
    let (received, reader) = count_in_background(&peer);
    LoggedOn {
        _acceptor: acceptor,
        session,
        events,
        peer,
        received,
        reader,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_waits_in_the_peer_while_the_application_reads_slowly() {
    // The counterparty logs on with HeartBtInt=1, then floods from one
    // thread while another counts what it gets.
    let LoggedOn {
        _acceptor,
        session,
        mut events,
        mut peer,
        received,
        reader,
    } = logged_on(CAPACITY).await;
    let flooder = std::thread::spawn(move || {
        for seq in 2..2 + FLOOD {
            if peer.send(&raw_order(seq)).is_err() {
                return seq;
            }
        }
        2 + FLOOD
    });

    // Nothing read yet: the stream fills to its capacity and no further;
    // the session has taken no more messages than the stream holds.
    let mut waited = Duration::ZERO;
    while events.len() < CAPACITY {
        assert!(waited < WAIT, "the stream never filled ({})", events.len());
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    assert_eq!(events.len(), CAPACITY);
    assert!(
        session.next_target_seq_num() <= 2 + CAPACITY as u64,
        "the session took {} messages for a stream of {CAPACITY}",
        session.next_target_seq_num() - 2
    );

    // Read slowly (a millisecond per event, so the flood stays ahead and
    // the stream full) until the session has sent two heartbeats, then at
    // full speed.
    let mut expected = 2;
    while expected < 2 + FLOOD {
        let event = next_event(&mut events).await;
        match seq_num(&event) {
            Some(seq) => {
                assert_eq!(seq, expected, "out of order or lost");
                expected += 1;
            }
            // (The logon's own events come before the flood.)
            None => assert!(
                expected == 2
                    || !matches!(
                        event,
                        SessionEvent::StateChanged { .. } | SessionEvent::LoggedOut { .. }
                    ),
                "the session left Established: {event:?}"
            ),
        }
        assert!(events.len() <= CAPACITY);
        let read = expected - 2;
        assert!(
            session.next_target_seq_num() <= 2 + read + CAPACITY as u64 + 1,
            "the session ran {} messages ahead of the application",
            session.next_target_seq_num() - 2 - read
        );
        if received.heartbeats.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    assert!(
        received.heartbeats.load(Ordering::SeqCst) >= 2,
        "no heartbeats while the application read slowly"
    );
    assert!(!received.closed.load(Ordering::SeqCst), "the link was lost");
    assert_eq!(session.state(), SessionState::Established);
    assert_eq!(flooder.join().expect("flooder"), 2 + FLOOD);
    session.disconnect().await.expect("disconnect");
    reader.join().expect("reader");
}

/// An order with ClOrdID(11) `n`.
fn order(n: usize) -> MessageBuilder {
    common::order(&n.to_string())
}

/// ExecutionReports answering orders, read from the initiator's events
/// until `count` came, checked to be in order.
async fn read_reports(events: &mut SessionEvents, count: usize) {
    let mut next = 0;
    while next < count {
        if let SessionEvent::Message(m) = next_event(events).await {
            assert_eq!(m.msg_type(), b"8");
            assert_eq!(m.get_str(11), Some(next.to_string().as_str()));
            next += 1;
        }
        assert!(events.len() <= events.capacity());
    }
}

/// Answers every order `sell_events` brings with an ExecutionReport.
fn answer_orders(
    sell: SessionHandle,
    mut sell_events: SessionEvents,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = sell_events.recv().await {
            if let SessionEvent::Message(m) = event {
                let report = common::fill_report(&m);
                if sell.send_owned(report).await.is_err() {
                    return;
                }
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_go_on_while_the_application_reads_no_events() {
    // A command queue of one: a session task that waited for room in the
    // event stream would hold the sender at its second message.
    let PipePair {
        acceptor: _acceptor,
        sell,
        sell_events,
        buy,
        buy_events: mut events,
        ..
    } = PipePair::start_with(
        common::initiator(),
        common::acceptor(),
        SessionOptions::new()
            .with_event_capacity(8)
            .with_queue_capacity(1),
    )
    .await;
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
    let answering = answer_orders(sell.clone(), sell_events);
    // The reports wait in the counterparty's outgoing buffer (under its
    // bound) and the links: the sends all complete while nobody reads
    // the initiator's events.
    const ORDERS: usize = 2_000;
    let sender = tokio::spawn({
        let buy = buy.clone();
        async move {
            for n in 0..ORDERS {
                buy.send(&order(n)).await.expect("send");
            }
        }
    });
    tokio::time::timeout(WAIT, sender)
        .await
        .expect("the sends completed without the events being read")
        .expect("sender");
    let mut waited = Duration::ZERO;
    while events.len() < events.capacity() {
        assert!(waited < WAIT, "the initiator's stream never filled");
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    assert_eq!(events.len(), 8);
    // Reading lets every report in, in order.
    read_reports(&mut events, ORDERS).await;
    assert_eq!(buy.state(), SessionState::Established);
    answering.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_event_stream_does_not_make_a_heartbeating_peer_look_silent() {
    // While the application reads nothing, the session reads nothing
    // either: the peer's Heartbeats wait in the socket. That is no reason
    // to send TestRequests or to drop the link, however long it lasts.
    let LoggedOn {
        _acceptor,
        session,
        mut events,
        mut peer,
        received,
        reader,
    } = logged_on(8).await;
    // Enough orders to fill the stream, then a Heartbeat every 200 ms
    // until told to stop; HeartBtInt=1 gives up on a silent peer after
    // 2.4 s.
    const ORDERS: u64 = 20;
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let heartbeating = {
        let (stop, sent) = (stop.clone(), sent.clone());
        std::thread::spawn(move || {
            for seq in 2..2 + ORDERS {
                let order = raw_message(b"D", "PEER", "ACC", seq, &[(11, &seq.to_string())]);
                peer.send(&order).expect("order");
            }
            let mut seq = 2 + ORDERS;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                peer.send(&raw_message(b"0", "PEER", "ACC", seq, &[]))
                    .expect("heartbeat");
                sent.store(seq as usize, Ordering::SeqCst);
                seq += 1;
            }
            peer
        })
    };
    let mut waited = Duration::ZERO;
    while events.len() < events.capacity() {
        assert!(waited < WAIT, "the stream never filled ({})", events.len());
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    // Four seconds without reading an event.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        received.test_requests.load(Ordering::SeqCst),
        0,
        "a TestRequest while the application was behind"
    );
    assert!(!received.closed.load(Ordering::SeqCst), "the link was lost");
    // Reading again: every order, in order, then the Heartbeats that
    // waited; the link stays.
    let mut expected = 2;
    while expected < 2 + ORDERS {
        if let Some(seq) = seq_num(&next_event(&mut events).await) {
            assert_eq!(seq, expected, "out of order or lost");
            expected += 1;
        }
    }
    let mut waited = Duration::ZERO;
    while session.next_target_seq_num() <= sent.load(Ordering::SeqCst) as u64 {
        assert!(waited < WAIT, "the heartbeats were not read");
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += Duration::from_millis(5);
    }
    assert_eq!(session.state(), SessionState::Established);
    assert!(!received.closed.load(Ordering::SeqCst), "the link was lost");
    stop.store(true, Ordering::SeqCst);
    let peer = tokio::task::spawn_blocking(move || heartbeating.join().expect("peer"))
        .await
        .expect("join");
    session.disconnect().await.expect("disconnect");
    drop(peer);
    reader.join().expect("reader");
}

/// An initiator whose event stream holds one event (so that its first
/// state change fills it) connecting to an acceptor.
async fn stream_of_one() -> PipePair {
    PipePair::start_with(
        common::initiator(),
        common::acceptor(),
        SessionOptions::new().with_event_capacity(1),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_event_stream_still_lets_the_session_log_on() {
    // A stream of one fills with the first state change; an application
    // that waits for the logon before it reads its events must still see
    // it: the Logon reply is read whatever the stream holds.
    let PipePair {
        acceptor: _acceptor,
        sell,
        buy,
        buy_events: events,
        ..
    } = stream_of_one().await;
    tokio::time::timeout(
        Duration::from_secs(5),
        buy.wait_for_state(SessionState::Established),
    )
    .await
    .expect("logged on with a full event stream")
    .expect("session running");
    wait_state(&sell, SessionState::Established).await;
    assert_eq!(events.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_event_stream_still_lets_the_session_log_out_cleanly() {
    // Logged on with a full stream of one; the counterparty's orders wait
    // unread. Our Logout is then answered: the orders and the
    // counterparty's Logout are read whatever the stream holds, and the
    // exchange ends cleanly rather than by LogoutTimeout.
    let PipePair {
        acceptor: _acceptor,
        sell,
        buy,
        buy_events: events,
        ..
    } = stream_of_one().await;
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
    for n in 0..5 {
        sell.send(&order(n)).await.expect("send");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(buy.next_target_seq_num() < sell.next_sender_seq_num());
    buy.logout(Some("bye")).await.expect("logout");
    wait_state(&buy, SessionState::CorrectlyTerminated).await;
    assert_eq!(buy.next_target_seq_num(), sell.next_sender_seq_num());
    assert_eq!(events.len(), 1);
}
