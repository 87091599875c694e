//! Steady state allocates nothing per message, on send or on receive: the
//! decoder, field index, encoder, transmit buffer and delivery buffer are
//! reused; so is the memory store's log when it keeps a bounded history.

use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder, UtcTimestamp};
use fixrs_session::testing::Clock;
use fixrs_session::{Event, MemoryStore, SeqNum, Session, SessionConfig, Store, StoreError};
use fixrs_test_support::{thread_allocations as allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Keeps sequence numbers and the last message in a reused buffer.
#[derive(Default)]
struct ReusingStore {
    sender: SeqNum,
    target: SeqNum,
    last: Vec<u8>,
}

impl Store for ReusingStore {
    fn next_sender_seq_num(&self) -> SeqNum {
        self.sender.max(1)
    }
    fn next_target_seq_num(&self) -> SeqNum {
        self.target.max(1)
    }
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.sender = seq;
        Ok(())
    }
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.target = seq;
        Ok(())
    }
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        self.last.clear();
        self.last.extend_from_slice(message);
        self.sender = seq + 1;
        Ok(())
    }
    fn outgoing(
        &mut self,
        _: SeqNum,
        _: SeqNum,
        _: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        Ok(())
    }
    fn creation_time(&self) -> UtcTimestamp {
        UtcTimestamp::UNIX_EPOCH
    }
    fn reset(&mut self, _: UtcTimestamp) -> Result<(), StoreError> {
        self.sender = 1;
        self.target = 1;
        Ok(())
    }
}

/// Moves bytes from `from` to `to` and drains `to`'s events; returns the
/// number of application messages delivered.
fn pump(from: &mut Session, to: &mut Session, wire: &mut Vec<u8>, clock: &Clock) -> usize {
    wire.clear();
    while let Some(bytes) = from.poll_transmit() {
        let n = bytes.len();
        wire.extend_from_slice(bytes);
        from.transmitted(n);
    }
    while from.poll_event().is_some() {}
    to.handle_input(wire, clock.time());
    let mut apps = 0;
    loop {
        while let Some(e) = to.poll_event() {
            if let Event::AppMessage(m) = e {
                assert_eq!(m.msg_type(), b"D");
                apps += 1;
            }
        }
        if !to.has_pending_input() {
            return apps;
        }
        to.handle_pending_input(clock.time());
    }
}

#[test]
fn steady_state_send_and_receive_allocate_nothing() {
    steady_state_with(|| Box::new(ReusingStore::default()));
}

#[test]
fn steady_state_with_a_memory_store_allocates_nothing() {
    // With a history limit the store's log is reclaimed in place: once it
    // has grown to its working size, saving allocates nothing either.
    steady_state_with(|| Box::new(MemoryStore::default().with_max_messages(200)));
}

/// Exchanges orders both ways between two sessions with stores from
/// `store` and checks that nothing is allocated once warm.
fn steady_state_with(store: impl Fn() -> Box<dyn Store + Send>) {
    let clock = Clock::new();
    let mut a = Session::new(
        SessionConfig::initiator(FixVersion::Fix44, "A", "B"),
        store(),
        clock.time(),
    )
    .unwrap();
    let mut b = Session::new(
        SessionConfig::acceptor(FixVersion::Fix44, "B", "A"),
        store(),
        clock.time(),
    )
    .unwrap();
    let mut wire = Vec::with_capacity(1 << 16);
    a.connect(clock.time());
    a.handle_link_up(clock.time());
    b.handle_link_up(clock.time());
    pump(&mut a, &mut b, &mut wire, &clock);
    pump(&mut b, &mut a, &mut wire, &clock);

    let mut order = MessageBuilder::new(b"D");
    order
        .push_str(11, "ORD-0000000001")
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_uint(38, 1_000_000)
        .push(44, b"1.08765");
    // Allocations counted separately while sending and while receiving.
    let mut totals = (0, 0);
    for round in 0..11_000 {
        if round == 1_000 {
            // Every buffer is warm now.
            totals = (0, 0);
        }
        for flip in [false, true] {
            let (from, to) = if flip {
                (&mut b, &mut a)
            } else {
                (&mut a, &mut b)
            };
            let (sent, received, delivered) = one_way(from, to, &order, &mut wire, &clock);
            assert_eq!(delivered, 1);
            totals.0 += sent;
            totals.1 += received;
        }
    }
    let (send_allocs, receive_allocs) = totals;
    assert_eq!(receive_allocs, 0, "allocations while receiving");
    assert_eq!(send_allocs, 0, "allocations while sending");
    assert_eq!(a.next_sender_seq_num(), 11_002);
    assert_eq!(b.next_target_seq_num(), 11_002);
}

/// Sends `order` from `from` and delivers it to `to`; returns the
/// allocations while sending, while receiving, and the messages delivered.
fn one_way(
    from: &mut Session,
    to: &mut Session,
    order: &MessageBuilder,
    wire: &mut Vec<u8>,
    clock: &Clock,
) -> (u64, u64, usize) {
    let before = allocations();
    from.send(order, clock.time()).unwrap();
    wire.clear();
    while let Some(bytes) = from.poll_transmit() {
        let n = bytes.len();
        wire.extend_from_slice(bytes);
        from.transmitted(n);
    }
    while from.poll_event().is_some() {}
    let sent = allocations();
    to.handle_input(wire, clock.time());
    let mut delivered = 0;
    while let Some(e) = to.poll_event() {
        if let Event::AppMessage(m) = e {
            assert_eq!(m.msg_type(), b"D");
            delivered += 1;
        }
    }
    (sent - before, allocations() - sent, delivered)
}
