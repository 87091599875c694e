//! The round-trip comparison of the README: NewOrderSingle ->
//! ExecutionReport against one [`Peer`] process, measured in one run for
//! raw TCP (the baseline), a bare mio ping-pong (non-blocking sockets and
//! one poll per end: the floor of any event loop), the mio engine
//! ([`crate::engine`]) and the tokio engine on both runtimes
//! ([`crate::tokio`]), so that their ratios come from the same
//! conditions.

use crate::engine::{
    config, execution_report, new_order_single, wire, BenchError, Peer, Percentiles, Pinger, ACC,
    INI,
};
use crate::pingpong::MioEnd;
use crate::sys::cpu_seconds;
use crate::tokio::Flavor;
use fixrs_proto::MessageBuilder;
use fixrs_session::Role;
use fixrs_transport_mio::{EngineSettings, FixEngine, SessionOptions, SessionState};
use std::fmt;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

/// Counts of a latency run.
#[derive(Debug, Clone, Copy)]
pub struct LatencyOptions {
    /// Round trips measured.
    pub round_trips: u64,
    /// Round trips before measuring.
    pub warmup: u64,
    /// When to give up.
    pub deadline: Instant,
}

/// The result of [`latency`].
#[derive(Debug, Clone)]
pub struct LatencyReport {
    /// Size of the NewOrderSingle on the wire.
    pub nos_bytes: usize,
    /// Size of the ExecutionReport on the wire.
    pub er_bytes: usize,
    /// Round trips measured.
    pub samples: u64,
    /// Round trips before measuring.
    pub warmup: u64,
    /// The raw TCP ping-pong.
    pub raw: Percentiles,
    /// The bare mio ping-pong.
    pub bare_mio: Percentiles,
    /// The engine.
    pub engine: Percentiles,
    /// Client CPU per raw round trip, in microseconds.
    pub raw_cpu_us: f64,
    /// Client CPU per bare mio round trip, in microseconds.
    pub bare_mio_cpu_us: f64,
    /// Client CPU per engine round trip, in microseconds.
    pub engine_cpu_us: f64,
    /// The tokio engine on a current-thread runtime.
    pub tokio_current: Percentiles,
    /// The tokio engine on a multi-thread runtime.
    pub tokio_multi: Percentiles,
    /// Client CPU per tokio round trip (current-thread), in microseconds.
    pub tokio_current_cpu_us: f64,
    /// Client CPU per tokio round trip (multi-thread), in microseconds.
    pub tokio_multi_cpu_us: f64,
    /// The CPUs the process may run on.
    pub cpus: String,
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (r, e) = (self.raw, self.engine);
        writeln!(
            f,
            "round trip NewOrderSingle ({} B) -> ExecutionReport ({} B), {} samples after {} warm-up, CPUs {}",
            self.nos_bytes, self.er_bytes, self.samples, self.warmup, self.cpus
        )?;
        writeln!(
            f,
            "  raw TCP   p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us",
            r.p50, r.p99, r.p999
        )?;
        let m = self.bare_mio;
        writeln!(
            f,
            "  bare mio  p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us",
            m.p50, m.p99, m.p999
        )?;
        writeln!(
            f,
            "  engine    p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us",
            e.p50, e.p99, e.p999
        )?;
        writeln!(
            f,
            "  ratio     p50 {:8.2}x     p99 {:8.2}x     p99.9 {:8.2}x",
            e.p50 / r.p50.max(1e-9),
            e.p99 / r.p99.max(1e-9),
            e.p999 / r.p999.max(1e-9)
        )?;
        for (name, t) in [
            ("tokio 1t ", self.tokio_current),
            ("tokio mt ", self.tokio_multi),
        ] {
            writeln!(
                f,
                "  {name} p50 {:8.2} us  p99 {:8.2} us  p99.9 {:8.2} us  ({:.2}x the engine at p50)",
                t.p50,
                t.p99,
                t.p999,
                t.p50 / e.p50.max(1e-9)
            )?;
        }
        write!(
            f,
            "  client CPU per round trip: raw TCP {:.2} us, bare mio {:.2} us, engine {:.2} us",
            self.raw_cpu_us, self.bare_mio_cpu_us, self.engine_cpu_us
        )
    }
}

/// Measures round trips against `peer`: raw TCP first, then the engine.
pub fn latency(peer: &Peer, options: LatencyOptions) -> Result<LatencyReport, BenchError> {
    let (n, warmup) = (options.round_trips.max(1), options.warmup);

    // Raw TCP ping-pong of the same sizes.
    let mut order = MessageBuilder::default();
    new_order_single(&mut order, 0);
    let nos_wire = wire(&order, INI, ACC);
    let mut er = MessageBuilder::default();
    execution_report(&mut er);
    let er_len = wire(&er, ACC, INI).len();
    let mut s = TcpStream::connect(peer.raw)?;
    s.set_nodelay(true)?;
    let mut buf = vec![0u8; er_len];
    let (raw, raw_cpu_us) = timed(options, "raw TCP", || {
        s.write_all(&nos_wire)?;
        s.read_exact(&mut buf)?;
        Ok(())
    })?;
    drop(s);

    // The same ping-pong over bare mio.
    let mut end = MioEnd::new(TcpStream::connect(peer.bare_mio)?)?;
    let (bare_mio, bare_mio_cpu_us) =
        timed(options, "bare mio", || end.round_trip(&nos_wire, er_len))?;
    drop(end);

    // The engine: the ping-pong runs in the engine thread's callbacks.
    let engine = FixEngine::new(EngineSettings::default().with_thread_name("fix-client"))?;
    let (tx, rx) = sync_channel(1);
    let session = engine.create_session_with(
        config(Role::Initiator, INI, ACC),
        SessionOptions::default(),
        Pinger::new(order, warmup, n, None, tx),
    )?;
    session.connect(30, &peer.engine.to_string())?;
    let fix_cpu = cpu_seconds();
    let left = options.deadline.saturating_duration_since(Instant::now());
    let fix = rx
        .recv_timeout(left)
        .map_err(|_| BenchError::Timeout("in the engine round trips".into()))??;
    let fix_cpu = cpu_seconds() - fix_cpu;
    session.disconnect("done")?;
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    session.finalize();
    engine.stop();

    // The tokio engine against the same peer, in the same run.
    let mut order = MessageBuilder::default();
    new_order_single(&mut order, 0);
    let [current, multi] = [Flavor::CurrentThread, Flavor::MultiThread].map(|flavor| {
        crate::tokio::latency(peer.engine, &order, warmup, n, flavor, options.deadline)
    });
    let (current, multi) = (current?, multi?);

    Ok(LatencyReport {
        tokio_current: current.percentiles,
        tokio_multi: multi.percentiles,
        tokio_current_cpu_us: current.cpu_us,
        tokio_multi_cpu_us: multi.cpu_us,
        nos_bytes: nos_wire.len(),
        er_bytes: er_len,
        samples: n,
        warmup,
        raw: Percentiles::of_nanos(raw),
        bare_mio: Percentiles::of_nanos(bare_mio),
        engine: Percentiles::of_nanos(fix.samples),
        raw_cpu_us,
        bare_mio_cpu_us,
        engine_cpu_us: fix_cpu * 1e6 / (n + warmup) as f64,
        cpus: crate::sys::allowed_cpus(),
    })
}

/// Runs `round_trip` `options.warmup` times, then `options.round_trips`
/// times timing each; answers the times in nanoseconds and the process's
/// CPU per round trip (warm-up included) in microseconds.
fn timed(
    options: LatencyOptions,
    what: &str,
    mut round_trip: impl FnMut() -> Result<(), BenchError>,
) -> Result<(Vec<u32>, f64), BenchError> {
    let (n, warmup) = (options.round_trips.max(1), options.warmup);
    let mut times = Vec::with_capacity(n as usize);
    let cpu = cpu_seconds();
    for i in 0..warmup + n {
        let t = Instant::now();
        round_trip()?;
        if i >= warmup {
            times.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
        }
        if i % 1024 == 0 && Instant::now() > options.deadline {
            return Err(BenchError::Timeout(format!("in the {what} round trips")));
        }
    }
    let cpu_us = (cpu_seconds() - cpu) * 1e6 / (n + warmup) as f64;
    Ok((times, cpu_us))
}
