//! Round trips over TLS beside the same round trips over plain TCP, in one
//! run: NewOrderSingle -> ExecutionReport between an initiator engine and
//! an acceptor engine of this process (each its own event loop thread),
//! first over plain TCP, then over TLS 1.3 with the default cipher suite
//! (AES-128-GCM) and an ECDSA P-256 certificate generated for the run.
//!
//! Heap allocations during the measured round trips are counted (all
//! threads) when the process installed
//! `fixrs_test_support::CountingAllocator`, to show what TLS adds per
//! message: rustls' buffered API allocates for each record.

use crate::engine::{
    config, execution_report, new_order_single, BenchError, Echo, Percentiles, Pinger,
};
use fixrs_proto::MessageBuilder;
use fixrs_session::Role;
use fixrs_transport_mio::{
    EngineSettings, FixEngine, SessionOptions, SessionState, TransportFactory,
};
use fixrs_transport_tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use fixrs_transport_tls::{TlsClientConfig, TlsServerConfig};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One pair of engines' round trips.
#[derive(Debug, Clone)]
pub struct Leg {
    /// Round-trip percentiles.
    pub percentiles: Percentiles,
    /// From connect to the initiator's Logon completing.
    pub logon: Duration,
    /// Heap allocations per round trip, both engines (zero when the
    /// counting allocator is not installed).
    pub allocations_per_round_trip: f64,
}

/// The result of [`round_trips`].
#[derive(Debug, Clone)]
pub struct TlsReport {
    /// Round trips measured per leg.
    pub samples: u64,
    /// Over plain TCP.
    pub plain: Leg,
    /// Over TLS 1.3.
    pub tls: Leg,
}

/// One pair of engines, one session each, `n` round trips after `warmup`.
fn leg(
    server: Option<Arc<dyn TransportFactory>>,
    client: Option<Arc<dyn TransportFactory>>,
    n: u64,
    warmup: u64,
    deadline: Instant,
) -> Result<Leg, BenchError> {
    let acceptor = FixEngine::new(EngineSettings::default())?;
    let any = "127.0.0.1:0".parse().expect("a socket address");
    let addr = match server {
        Some(f) => acceptor.listen_with(any, f),
        None => acceptor.listen(any),
    }?;
    let mut reply = MessageBuilder::default();
    execution_report(&mut reply);
    let acc = acceptor.create_session_with(
        config(Role::Acceptor, "BENCH_ACC", "BENCH_INI"),
        SessionOptions::default(),
        Echo { reply },
    )?;
    let initiator = FixEngine::new(EngineSettings::default())?;
    let mut order = MessageBuilder::default();
    new_order_single(&mut order, 0);
    let (logon_tx, logon_rx) = sync_channel(1);
    let (done_tx, done_rx) = sync_channel(1);
    let session = initiator.create_session_with(
        config(Role::Initiator, "BENCH_INI", "BENCH_ACC"),
        SessionOptions::default(),
        Pinger::new(order, warmup, n, Some(logon_tx), done_tx),
    )?;
    let start = Instant::now();
    match client {
        Some(f) => session.connect_with(30, &addr.to_string(), f),
        None => session.connect(30, &addr.to_string()),
    }?;
    let left = || deadline.saturating_duration_since(Instant::now());
    let logged_on = logon_rx
        .recv_timeout(left())
        .map_err(|_| BenchError::Timeout("waiting for the Logon".into()))?;
    let pings = done_rx
        .recv_timeout(left())
        .map_err(|_| BenchError::Timeout("in the round trips".into()))??;
    session.disconnect("done")?;
    session.wait_for_state(SessionState::CorrectlyTerminated, Duration::from_secs(5));
    session.finalize();
    acc.finalize();
    initiator.stop();
    acceptor.stop();
    Ok(Leg {
        allocations_per_round_trip: pings.allocations as f64 / pings.samples.len().max(1) as f64,
        percentiles: Percentiles::of_nanos(pings.samples),
        logon: logged_on.duration_since(start),
    })
}

/// A server and a client configuration trusting a CA generated here.
fn tls_configs() -> Result<(TlsServerConfig, TlsClientConfig), BenchError> {
    let fail = |e: &dyn std::fmt::Display| BenchError::Peer(format!("test certificates: {e}"));
    let ca_key = rcgen::KeyPair::generate().map_err(|e| fail(&e))?;
    let mut ca_params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| fail(&e))?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| fail(&e))?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().map_err(|e| fail(&e))?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| fail(&e))?
        .signed_by(&key, &issuer)
        .map_err(|e| fail(&e))?;
    let server = TlsServerConfig::builder()
        .certificate(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .build()
        .map_err(|e| fail(&e))?;
    let client = TlsClientConfig::builder()
        .ca_certificates(vec![ca_cert.der().clone()])
        .server_name("localhost")
        .build()
        .map_err(|e| fail(&e))?;
    Ok((server, client))
}

/// `n` round trips after `warmup` over plain TCP, then over TLS 1.3.
pub fn round_trips(n: u64, warmup: u64, deadline: Instant) -> Result<TlsReport, BenchError> {
    let plain = leg(None, None, n, warmup, deadline)?;
    let (server, client) = tls_configs()?;
    let tls = leg(
        Some(Arc::new(server)),
        Some(Arc::new(client)),
        n,
        warmup,
        deadline,
    )?;
    Ok(TlsReport {
        samples: n,
        plain,
        tls,
    })
}
