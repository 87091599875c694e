//! Where an initiator connects: its counterparty addresses, the local
//! address to bind for each, and which one the next attempt uses
//! (HostSelectionPolicy).

use crate::error::EngineError;
use crate::transport::{PlainTcp, TransportFactory};
use fixrs_session::settings::HostSelectionPolicy;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Where and how an initiator connects.
pub(crate) struct ConnectTarget {
    pub(crate) addrs: Vec<SocketAddr>,
    /// The local address to bind before connecting to each of `addrs`.
    pub(crate) sources: Vec<Option<SocketAddr>>,
    pub(crate) host: String,
    pub(crate) factory: Arc<dyn TransportFactory>,
    pub(crate) policy: HostSelectionPolicy,
    /// SO_REUSEADDR on a socket bound to a source address.
    pub(crate) reuse_address: bool,
    /// Index of the address the next attempt uses.
    next: usize,
    /// When the previous attempt started.
    last_attempt: Option<Instant>,
}

impl ConnectTarget {
    /// A target trying `addrs` in turn, binding nothing first.
    pub(crate) fn new(
        addrs: Vec<SocketAddr>,
        host: String,
        factory: Arc<dyn TransportFactory>,
    ) -> ConnectTarget {
        ConnectTarget {
            sources: vec![None; addrs.len()],
            addrs,
            host,
            factory,
            policy: HostSelectionPolicy::RoundRobin,
            reuse_address: true,
            next: 0,
            last_attempt: None,
        }
    }

    /// The address of a connection attempt starting `now`, and the local
    /// address to bind first (HostSelectionPolicy: round robin; with
    /// PRIORITY, back to the first address after a quiet interval).
    pub(crate) fn pick(&mut self, now: Instant) -> (SocketAddr, Option<SocketAddr>) {
        if let (HostSelectionPolicy::Priority { start_over }, Some(last)) =
            (self.policy, self.last_attempt)
        {
            if now.saturating_duration_since(last) >= start_over {
                self.next = 0;
            }
        }
        self.last_attempt = Some(now);
        let i = self.next % self.addrs.len().max(1);
        self.next = i + 1;
        (self.addrs[i], self.sources.get(i).copied().flatten())
    }
}

/// Resolves configured counterparty addresses, each with the local
/// address to bind before connecting to it (`sources`, by position; `None`
/// or missing for none).
pub(crate) fn resolve_target(
    addresses: &[String],
    sources: &[Option<SocketAddr>],
) -> Result<ConnectTarget, EngineError> {
    use std::net::ToSocketAddrs;
    let mut addrs = Vec::new();
    let mut binds = Vec::new();
    for (i, a) in addresses.iter().enumerate() {
        let resolved = a
            .to_socket_addrs()
            .map_err(|_| EngineError::BadAddress(a.clone()))?;
        addrs.extend(resolved);
        let source = sources.get(i).copied().flatten();
        binds.resize(addrs.len(), source);
    }
    let host = addresses
        .first()
        .and_then(|a| a.rsplit_once(':').map(|(h, _)| h.to_string()))
        .unwrap_or_default();
    if addrs.is_empty() {
        return Err(EngineError::BadAddress(addresses.join(",")));
    }
    let mut target = ConnectTarget::new(addrs, host, Arc::new(PlainTcp));
    target.sources = binds;
    Ok(target)
}
