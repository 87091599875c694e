//! Steady-state sending and receiving through the engine allocates nothing
//! per message: a counting global allocator watches two engines exchanging
//! orders once warm, with file stores and with memory stores.

mod common;

use common::*;
use fixrs_proto::{tag, FieldWriter, Message, MessageBuilder};
use fixrs_session::Role;
use fixrs_test_support::CountingAllocator;
use fixrs_transport_mio::{
    Application, EngineSettings, FixEngine, PutError, SessionHandle, SessionOptions, SessionState,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Counts orders received.
struct Count(Arc<AtomicU64>);

impl Application for Count {
    fn on_message(&mut self, _: &SessionHandle, _: &Message<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn send(s: &SessionHandle, m: &mut MessageBuilder, from: u64, n: u64) {
    for i in from..from + n {
        m.reset(b"D");
        m.push_uint(tag::CL_ORD_ID, i)
            .push_str(55, "EUR/USD")
            .push_char(54, b'1')
            .push_str(38, "1000");
        loop {
            match s.put(&*m) {
                Ok(()) => break,
                Err(PutError::Backpressure { .. }) => {
                    std::thread::sleep(Duration::from_micros(100))
                }
                Err(e) => panic!("put: {e}"),
            }
        }
    }
}

fn wait_for(counter: &AtomicU64, n: u64) {
    let end = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < end,
            "only {} of {n} received",
            counter.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn sending_and_receiving_allocate_nothing_per_message_once_warm() {
    let dirs = tempfile::tempdir().expect("temp dir");
    // File stores on both sides, made by the engines.
    let file_store = |sub: &str| {
        let settings = EngineSettings::default().with_file_store_path(dirs.path().join(sub));
        (settings, SessionOptions::default())
    };
    exchange_and_count("file stores", file_store("ini"), file_store("acc"));
    // Memory stores keeping a bounded history, whose log is reclaimed in
    // place.
    let memory_store = || {
        let store = fixrs_session::MemoryStore::default().with_max_messages(10_000);
        let options = SessionOptions::default().with_store(store);
        (EngineSettings::default(), options)
    };
    exchange_and_count("memory stores", memory_store(), memory_store());
}

/// Logs on an initiator and an acceptor with these engine settings and
/// session options, sends orders until warm, then counts the allocations
/// of sending and receiving more.
fn exchange_and_count(
    label: &str,
    (ini_settings, ini_options): (EngineSettings, SessionOptions),
    (acc_settings, acc_options): (EngineSettings, SessionOptions),
) {
    let acceptor = FixEngine::new(acc_settings).expect("engine");
    let addr = acceptor.listen(any_port()).expect("listen");
    let received = Arc::new(AtomicU64::new(0));
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            acc_options,
            Count(received.clone()),
        )
        .expect("acceptor");
    let initiator = FixEngine::new(ini_settings).expect("engine");
    let ini = initiator
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            ini_options,
            Count(Arc::new(AtomicU64::new(0))),
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    expect_state(&ini, SessionState::Established, Duration::from_secs(20));

    let mut m = MessageBuilder::new(b"D");
    let warm = 30_000;
    send(&ini, &mut m, 0, warm);
    wait_for(&received, warm);
    let n = 30_000;
    let before = fixrs_test_support::allocations();
    send(&ini, &mut m, warm, n);
    wait_for(&received, warm + n);
    let allocations = fixrs_test_support::allocations() - before;
    println!("{label}: {allocations} allocations for {n} messages");
    // Nothing per message; a buffer may still grow now and then.
    assert!(
        allocations < n / 1000,
        "{label}: {allocations} allocations for {n} messages"
    );
    initiator.stop_now();
    acceptor.stop_now();
}
