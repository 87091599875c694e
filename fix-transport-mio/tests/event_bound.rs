//! An application with no room holds its peer back: with
//! `ChannelApplication::bounded`, a counterparty flooding a session whose
//! receiver takes nothing waits in its socket (the receiver never holds
//! much more than its capacity, the session never runs ahead of it), while
//! the session keeps heartbeating and takes no TestRequest-worthy silence
//! from a peer it does not read; once the receiver takes its events every
//! message arrives, in order. A dropped receiver holds nothing back, an
//! application of its own that says it has room again without telling
//! the engine is asked again at the session's next timer, and a full
//! channel does not keep the Logon reply, nor the Logout reply, from
//! being read.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::{Role, SessionState};
use fixrs_transport_mio::{
    AppEventKind, Application, ChannelApplication, ChannelReceiver, FixEngine, SessionHandle,
    SessionOptions,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The receiver's capacity under test: small, so that it fills at once.
const CAPACITY: usize = 64;

/// Events a full receiver may hold beyond its capacity: those that come
/// with the message that filled it or without reading (state changes).
const SLACK: usize = 4;

/// How long a test waits for anything.
const WAIT: Duration = Duration::from_secs(30);

/// An acceptor session with `app`, and a raw counterparty logged on to it
/// with HeartBtInt=1, whose received Heartbeats and TestRequests a thread
/// counts.
struct LoggedOn {
    _engine: FixEngine,
    session: SessionHandle,
    peer: RawPeer,
    received: Arc<Received>,
    reader: std::thread::JoinHandle<()>,
}

fn logged_on(app: impl Application) -> LoggedOn {
    let engine = engine();
    let addr = engine.listen(any_port()).expect("listen");
    let session = engine
        .create_session_with(
            config(Role::Acceptor, "ACC", "PEER"),
            SessionOptions::default(),
            app,
        )
        .expect("acceptor session");
    let mut peer = RawPeer::connect(addr);
    peer.send(&raw_logon_with("PEER", "ACC", 1, 1))
        .expect("logon");
    expect_state(&session, SessionState::Established, WAIT);
    let (received, reader) = count_in_background(&peer);
    LoggedOn {
        _engine: engine,
        session,
        peer,
        received,
        reader,
    }
}

/// Sends orders `from..to` from another thread; it answers where it
/// stopped (at `to` unless the link broke).
fn flood(peer: &RawPeer, from: u64, to: u64) -> std::thread::JoinHandle<u64> {
    let mut peer = RawPeer {
        stream: peer.stream.try_clone().expect("clone"),
    };
    std::thread::spawn(move || {
        for seq in from..to {
            if peer.send(&raw_order(seq)).is_err() {
                return seq;
            }
        }
        to
    })
}

/// The ClOrdID of an application message event, as a number.
fn order_id(kind: &AppEventKind) -> Option<u64> {
    match kind {
        AppEventKind::Message(m) => m.get_str(tag::CL_ORD_ID)?.parse().ok(),
        _ => None,
    }
}

#[test]
fn a_bounded_channel_holds_a_flood_back_in_the_peer_and_loses_nothing() {
    const FLOOD: u64 = 20_000;
    let (app, events) = ChannelApplication::bounded(CAPACITY);
    assert_eq!(events.capacity(), CAPACITY);
    let LoggedOn {
        _engine,
        session,
        peer,
        received,
        reader,
    } = logged_on(app);
    let flooder = flood(&peer, 2, 2 + FLOOD);

    // Nothing taken for four seconds, longer than the peer's
    // HeartBtInt x 1.2 twice (a TestRequest, then the link declared lost,
    // were the peer's silence counted): the receiver fills to its capacity
    // and barely beyond, and the session takes no more messages than it
    // holds.
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        assert!(
            events.len() <= CAPACITY + SLACK,
            "the receiver holds {} events for a capacity of {CAPACITY}",
            events.len()
        );
        assert!(
            session.in_seq_num() <= 2 + (CAPACITY + SLACK) as u64,
            "the session took {} messages for a receiver of {CAPACITY}",
            session.in_seq_num() - 2
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(events.len() >= CAPACITY, "the receiver never filled");
    assert!(
        received.heartbeats.load(Ordering::SeqCst) >= 2,
        "the session stopped heartbeating while it did not read"
    );
    assert_eq!(
        received.test_requests.load(Ordering::SeqCst),
        0,
        "a peer the session did not read was taken for silent"
    );

    // Then everything, in order.
    let mut expected = 2;
    while expected < 2 + FLOOD {
        let event = events.recv_timeout(WAIT).expect("an event in time");
        if let Some(id) = order_id(&event.kind) {
            assert_eq!(id, expected, "out of order or lost");
            expected += 1;
        } else {
            assert!(
                !matches!(
                    event.kind,
                    AppEventKind::LoggedOut { .. } | AppEventKind::LinkFailed(_)
                ),
                "the session lost its link: {:?}",
                event.kind
            );
        }
        assert!(events.len() <= CAPACITY + SLACK);
    }
    assert_eq!(flooder.join().expect("flooder"), 2 + FLOOD);
    assert!(!received.closed.load(Ordering::SeqCst), "the link was lost");
    assert_eq!(session.state(), SessionState::Established);
    assert_eq!(
        received.test_requests.load(Ordering::SeqCst),
        0,
        "a TestRequest went out"
    );
    session.disconnect_non_gracefully().expect("disconnect");
    reader.join().expect("reader");
}

#[test]
fn a_dropped_receiver_holds_nothing_back() {
    const FLOOD: u64 = 2_000;
    let (app, events) = ChannelApplication::bounded(8);
    let LoggedOn {
        _engine,
        session,
        peer,
        received: _received,
        reader: _reader,
    } = logged_on(app);
    let flooder = flood(&peer, 2, 2 + FLOOD);
    assert!(
        wait_until(WAIT, || events.len() >= 8),
        "the receiver never filled"
    );
    assert!(session.in_seq_num() < 2 + FLOOD);
    drop(events);
    assert!(
        wait_until(WAIT, || session.in_seq_num() == 2 + FLOOD),
        "the session stopped at {} with nobody listening",
        session.in_seq_num()
    );
    assert_eq!(flooder.join().expect("flooder"), 2 + FLOOD);
    assert_eq!(session.state(), SessionState::Established);
}

/// An application of its own: room as a flag says, counting the messages
/// it saw; it never calls `resume_input`.
struct Gate {
    open: Arc<AtomicBool>,
    seen: Arc<AtomicUsize>,
}

impl Application for Gate {
    fn has_room(&mut self, _: &SessionHandle) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    fn on_message(&mut self, _: &SessionHandle, _: &fixrs_proto::Message<'_>) {
        self.seen.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_application_that_forgets_to_resume_is_asked_again_at_the_next_timer() {
    let open = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicUsize::new(0));
    let LoggedOn {
        _engine,
        session,
        mut peer,
        received,
        reader: _reader,
    } = logged_on(Gate {
        open: open.clone(),
        seen: seen.clone(),
    });
    for seq in 2..12 {
        peer.send(&raw_order(seq)).expect("order");
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(seen.load(Ordering::SeqCst), 0, "read with no room");
    assert_eq!(session.in_seq_num(), 2);
    // Room again, without a word to the engine: the session's heartbeat
    // timer (HeartBtInt=1) has it asked again.
    open.store(true, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(5), || seen.load(Ordering::SeqCst) == 10),
        "only {} of 10 messages seen",
        seen.load(Ordering::SeqCst)
    );
    assert_eq!(session.in_seq_num(), 12);
    assert_eq!(received.test_requests.load(Ordering::SeqCst), 0);
}

#[test]
fn sessions_sharing_a_bounded_channel_all_read_again_once_it_drains() {
    const FLOOD: u64 = 500;
    let (app, events) = ChannelApplication::bounded(16);
    let engine = engine();
    let addr = engine.listen(any_port()).expect("listen");
    let mut peers = Vec::new();
    let mut sessions = Vec::new();
    for peer_id in ["P1", "P2", "P3"] {
        let session = engine
            .create_session_with(
                config(Role::Acceptor, "ACC", peer_id),
                SessionOptions::default(),
                app.clone(),
            )
            .expect("acceptor session");
        let mut peer = RawPeer::connect(addr);
        peer.send(&raw_logon(peer_id, "ACC", 1)).expect("logon");
        expect_state(&session, SessionState::Established, WAIT);
        sessions.push(session);
        peers.push((peer_id, peer));
    }
    let flooders: Vec<_> = peers
        .iter()
        .map(|(peer_id, peer)| {
            let mut peer = RawPeer {
                stream: peer.stream.try_clone().expect("clone"),
            };
            let peer_id = peer_id.to_string();
            std::thread::spawn(move || {
                for seq in 2..2 + FLOOD {
                    let id = seq.to_string();
                    let m = raw_message(b"D", &peer_id, "ACC", seq, &[(11, &id), (55, "X")]);
                    peer.send(&m).expect("order");
                }
            })
        })
        .collect();
    // Every session's messages arrive, in order per session, while one
    // receiver takes them for all.
    let mut next: std::collections::HashMap<String, u64> = Default::default();
    let mut got = 0;
    while got < 3 * FLOOD {
        let event = events.recv_timeout(WAIT).expect("an event in time");
        if let Some(id) = order_id(&event.kind) {
            let expected = next
                .entry(event.session.id.target_comp_id.clone())
                .or_insert(2);
            assert_eq!(id, *expected, "{}: out of order", event.session);
            *expected += 1;
            got += 1;
        }
        assert!(events.len() <= 16 + 3 * SLACK);
    }
    for f in flooders {
        f.join().expect("flooder");
    }
    for s in &sessions {
        // (Published once the batch that ended with it is served.)
        assert!(wait_until(WAIT, || s.in_seq_num() == 2 + FLOOD));
    }
    drop(peers);
    drop::<ChannelReceiver>(events);
}

/// Two engines, an acceptor and an initiator whose bounded channel holds
/// one event (so that its first state change fills it), connecting.
struct ChannelOfOne {
    _engines: (FixEngine, FixEngine),
    acceptor: SessionHandle,
    initiator: SessionHandle,
    events: ChannelReceiver,
}

fn connecting_with_a_channel_of_one() -> ChannelOfOne {
    let broker = engine();
    let addr = broker.listen(any_port()).expect("listen");
    let acceptor = broker
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor session");
    let client = engine();
    let (app, events) = ChannelApplication::bounded(1);
    let initiator = client
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            app,
        )
        .expect("initiator session");
    initiator.connect(30, &addr.to_string()).expect("connect");
    ChannelOfOne {
        _engines: (broker, client),
        acceptor,
        initiator,
        events,
    }
}

#[test]
fn a_full_channel_still_lets_the_session_log_on() {
    // An application that waits for the logon before it takes its events
    // must still see it: the Logon reply is read whatever the channel
    // holds.
    let ChannelOfOne {
        _engines,
        initiator: session,
        events,
        ..
    } = connecting_with_a_channel_of_one();
    assert!(
        session.wait_for_state(SessionState::Established, Duration::from_secs(5)),
        "not logged on: {:?}",
        session.state()
    );
    assert!(!events.is_empty(), "the channel never filled");
}

#[test]
fn a_full_channel_still_lets_the_session_log_out_cleanly() {
    // Logged on with a channel of one, full; the counterparty's orders
    // wait unread. Our Logout is then answered: the orders and the
    // counterparty's Logout are read whatever the channel holds, and the
    // exchange ends cleanly rather than by LogoutTimeout.
    let ChannelOfOne {
        _engines,
        acceptor,
        initiator: session,
        events,
    } = connecting_with_a_channel_of_one();
    expect_state(&session, SessionState::Established, WAIT);
    expect_state(&acceptor, SessionState::Established, WAIT);
    for n in 0..5 {
        let mut order = fixrs_proto::MessageBuilder::new(b"D");
        fixrs_proto::FieldWriter::push_str(&mut order, tag::CL_ORD_ID, &n.to_string());
        acceptor.put(&order).expect("put");
    }
    // The orders reach the initiator's socket, and stay there.
    assert!(wait_until(WAIT, || acceptor.out_seq_num() == 7));
    std::thread::sleep(Duration::from_millis(200));
    assert!(session.in_seq_num() < 7, "read with a full channel");
    session.disconnect("bye").expect("logout");
    expect_state(&session, SessionState::CorrectlyTerminated, WAIT);
    // Everything the counterparty sent was read: its orders and its
    // Logout.
    assert_eq!(session.in_seq_num(), acceptor.out_seq_num());
    assert!(!events.is_empty());
}
