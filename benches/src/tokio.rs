//! The tokio engine in the loopback benchmarks, measured in the same runs
//! as the mio engine and raw TCP: round trips against the same peer
//! process (`latency`) and the one-way flood (`throughput`), each on a
//! current-thread or a multi-thread runtime.

use crate::engine::{
    config, new_order_single, BenchError, Percentiles, StoreKind, ThroughputReport, ACC, INI,
};
use crate::sys::{cpu_seconds, thread_cpu};
use fixrs_proto::{MessageBuilder, UtcTimestamp};
use fixrs_session::{Role, SessionState};
use fixrs_transport_tokio::{Acceptor, Responder, SessionEvent, SessionOptions};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::oneshot;

/// Which tokio runtime a measurement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// One thread runs every task (`new_current_thread`).
    CurrentThread,
    /// Worker threads, one per CPU (`new_multi_thread`).
    MultiThread,
}

fn runtime(flavor: Flavor) -> Result<tokio::runtime::Runtime, BenchError> {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
    };
    Ok(builder.enable_all().thread_name("fix-tokio").build()?)
}

fn tokio_error(e: fixrs_transport_tokio::Error) -> BenchError {
    BenchError::Peer(format!("tokio engine: {e}"))
}

/// The round trips of one tokio run: the samples and the client's CPU per
/// round trip in microseconds.
pub(crate) struct TokioPings {
    pub(crate) percentiles: Percentiles,
    pub(crate) cpu_us: f64,
}

/// Round trips from a tokio initiator to the peer's engine at `addr`: the
/// next order is sent from the session's handler as soon as the report
/// arrives, as the mio engine's `Pinger` does from its callback.
pub(crate) fn latency(
    addr: SocketAddr,
    order: &MessageBuilder,
    warmup: u64,
    wanted: u64,
    flavor: Flavor,
    deadline: Instant,
) -> Result<TokioPings, BenchError> {
    let rt = runtime(flavor)?;
    let (done_tx, done_rx) = oneshot::channel::<Vec<u32>>();
    let mut done = Some(done_tx);
    let order = order.clone();
    let mut sent_at = Instant::now();
    let mut warmup_left = warmup;
    let mut samples = Vec::with_capacity(wanted as usize);
    let wanted = wanted.max(1) as usize;
    let handler = move |event: SessionEvent, session: &mut Responder<'_>| {
        let reply = match event {
            SessionEvent::LoggedOn => true,
            SessionEvent::Message(m) if m.msg_type() == b"8" && done.is_some() => {
                let rtt = sent_at.elapsed().as_nanos().min(u32::MAX as u128) as u32;
                if warmup_left > 0 {
                    warmup_left -= 1;
                } else {
                    samples.push(rtt);
                }
                if samples.len() >= wanted {
                    if let Some(done) = done.take() {
                        let _ = done.send(std::mem::take(&mut samples));
                    }
                    false
                } else {
                    true
                }
            }
            _ => false,
        };
        if reply {
            sent_at = Instant::now();
            // The report came back before this order: no backlog to refuse it.
            let _ = session.send(&order);
        }
    };
    rt.block_on(async {
        let mut c = config(Role::Initiator, INI, ACC);
        // The peer's session kept its numbers from the previous client.
        c.reset_on_logon = true;
        let options = SessionOptions::new().with_connect_address(addr.to_string());
        let session = fixrs_transport_tokio::connect_with_handler(c, options, handler)
            .await
            .map_err(tokio_error)?;
        let cpu = cpu_seconds();
        let left = deadline.saturating_duration_since(Instant::now());
        let samples = tokio::time::timeout(left, done_rx)
            .await
            .map_err(|_| BenchError::Timeout("in the tokio round trips".into()))?
            .map_err(|_| BenchError::Peer("the tokio session ended".into()))?;
        let cpu = cpu_seconds() - cpu;
        session.logout(Some("done")).await.map_err(tokio_error)?;
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            session.wait_for_state(SessionState::CorrectlyTerminated),
        )
        .await;
        Ok(TokioPings {
            percentiles: Percentiles::of_nanos(samples),
            cpu_us: cpu * 1e6 / (wanted as u64 + warmup) as f64,
        })
    })
}

/// [`engine::throughput`](crate::engine::throughput) with two tokio
/// sessions on one runtime in this process: `messages` NewOrderSingles
/// one way, sent with `send(...).await`, timed until the last one was
/// received.
pub fn throughput(
    store: StoreKind,
    messages: u64,
    flavor: Flavor,
    deadline: Instant,
) -> Result<ThroughputReport, BenchError> {
    let n = messages.max(1);
    let rt = runtime(flavor)?;
    let received = Arc::new(AtomicU64::new(0));
    let resent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (r, p, e) = (received.clone(), resent.clone(), errors.clone());
    let count = move |event: SessionEvent, _: &mut Responder<'_>| match event {
        SessionEvent::Message(m) => {
            if m.get(fixrs_proto::tag::POSS_DUP_FLAG) == Some(b"Y") {
                p.fetch_add(1, Ordering::Relaxed);
            }
            r.fetch_add(1, Ordering::Relaxed);
        }
        SessionEvent::Error(error) => {
            if let Ok(mut errors) = e.lock() {
                errors.push(error.to_string());
            }
        }
        _ => {}
    };
    let utc = UtcTimestamp::from(SystemTime::now());
    let (label, options) = match &store {
        StoreKind::Memory { max_messages } => (
            "memory store",
            SessionOptions::new()
                .with_store(fixrs_session::MemoryStore::new(utc).with_max_messages(*max_messages)),
        ),
        StoreKind::File(dir) => (
            "file store",
            SessionOptions::new().with_file_store(dir, fixrs_store::FileStoreOptions::default()),
        ),
    };
    rt.block_on(async {
        let acceptor = Acceptor::new();
        let addr = acceptor
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(tokio_error)?;
        let _acc = acceptor
            .add_session_with_handler(
                config(Role::Acceptor, "TP_ACC", "TP_INI"),
                SessionOptions::new(),
                count,
            )
            .map_err(tokio_error)?;
        let (ini, _events) = fixrs_transport_tokio::connect(
            config(Role::Initiator, "TP_INI", "TP_ACC"),
            options.with_connect_address(addr.to_string()),
        )
        .await
        .map_err(tokio_error)?;
        tokio::time::timeout(
            Duration::from_secs(10),
            ini.wait_for_state(SessionState::Established),
        )
        .await
        .map_err(|_| BenchError::Timeout("waiting for the Logon".into()))?
        .map_err(tokio_error)?;
        let mut m = MessageBuilder::default();
        let cpu_start = cpu_seconds();
        let threads_start = thread_cpu();
        let start = Instant::now();
        for i in 0..n {
            new_order_single(&mut m, i);
            ini.send(&m).await.map_err(tokio_error)?;
        }
        let put_time = start.elapsed();
        while received.load(Ordering::Relaxed) < n {
            if Instant::now() > deadline {
                return Err(BenchError::Timeout(format!(
                    "with {} of {n} messages received",
                    received.load(Ordering::Relaxed)
                )));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let elapsed = start.elapsed();
        let cpu = cpu_seconds() - cpu_start;
        let per_thread = crate::engine::per_thread_since(&threads_start, n);
        ini.logout(Some("done")).await.map_err(tokio_error)?;
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            ini.wait_for_state(SessionState::CorrectlyTerminated),
        )
        .await;
        let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
        Ok(ThroughputReport {
            resent: resent.load(Ordering::Relaxed),
            errors,
            label: format!("{label}, tokio {flavor:?}"),
            messages: n,
            elapsed,
            put_time,
            rate: n as f64 / elapsed.as_secs_f64(),
            cpu_us: cpu * 1e6 / n as f64,
            per_thread,
        })
    })
}
