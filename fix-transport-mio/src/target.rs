//! Where an initiator connects: its counterparty addresses as configured
//! (`host:port`, resolved again for every attempt, so that a DNS
//! fail-over is seen), the local address to bind for each, and which one
//! the next attempt uses (HostSelectionPolicy).

use crate::error::EngineError;
use crate::transport::{PlainTcp, TransportFactory};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which of an initiator's addresses each connection attempt uses
/// (HostSelectionPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostSelectionPolicy {
    /// Each attempt takes the next address, the primary after the last
    /// alternate (`ROUND_ROBIN`, the default).
    #[default]
    RoundRobin,
    /// As round robin, but an attempt more than `start_over` after the
    /// previous one starts again from the primary address (`PRIORITY`).
    Priority {
        /// HostSelectionPolicyPriorityStartOverInterval (default 120 s).
        start_over: Duration,
    },
}

/// One counterparty address of an initiator.
#[derive(Debug, Clone)]
pub(crate) struct TargetAddress {
    /// As configured: `host:port`.
    pub(crate) address: String,
    /// The host part, for TLS server name checks.
    pub(crate) host: String,
    /// The address itself when the host is an IP address: nothing to
    /// resolve.
    pub(crate) literal: Option<SocketAddr>,
    /// The local address to bind before connecting.
    pub(crate) source: Option<SocketAddr>,
}

impl TargetAddress {
    /// Checks the form of `host:port` (the host is resolved when used).
    pub(crate) fn parse(
        address: &str,
        source: Option<SocketAddr>,
    ) -> Result<TargetAddress, EngineError> {
        let bad = || EngineError::BadAddress(address.to_string());
        let literal = address.parse::<SocketAddr>().ok();
        let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
        port.parse::<u16>().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(TargetAddress {
            address: address.to_string(),
            host: host.to_string(),
            literal,
            source,
        })
    }
}

/// Which address an attempt uses: the configured one, and which of the
/// addresses its host resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempt {
    pub(crate) index: usize,
    nth: usize,
}

/// Where and how an initiator connects.
pub(crate) struct ConnectTarget {
    pub(crate) addresses: Vec<TargetAddress>,
    pub(crate) factory: Arc<dyn TransportFactory>,
    pub(crate) policy: HostSelectionPolicy,
    /// SO_REUSEADDR on a socket bound to a source address.
    pub(crate) reuse_address: bool,
    /// The configured address the next attempt uses, and which of its
    /// resolved addresses.
    next: usize,
    next_nth: usize,
    /// When the previous attempt started.
    last_attempt: Option<Instant>,
}

impl ConnectTarget {
    /// A target trying `addresses` in turn (at least one).
    pub(crate) fn new(
        addresses: Vec<TargetAddress>,
        factory: Arc<dyn TransportFactory>,
    ) -> ConnectTarget {
        ConnectTarget {
            addresses,
            factory,
            policy: HostSelectionPolicy::RoundRobin,
            reuse_address: true,
            next: 0,
            next_nth: 0,
            last_attempt: None,
        }
    }

    /// The addresses of a target from configured `host:port` strings, each
    /// with the local address to bind first (`sources`, by position;
    /// `None` or missing for none).
    pub(crate) fn parse(
        addresses: &[String],
        sources: &[Option<SocketAddr>],
    ) -> Result<ConnectTarget, EngineError> {
        if addresses.is_empty() {
            return Err(EngineError::BadAddress(String::new()));
        }
        let parsed = addresses
            .iter()
            .enumerate()
            .map(|(i, a)| TargetAddress::parse(a, sources.get(i).copied().flatten()))
            .collect::<Result<_, _>>()?;
        Ok(ConnectTarget::new(parsed, Arc::new(PlainTcp)))
    }

    /// The address of a connection attempt starting `now` (round robin;
    /// with PRIORITY, back to the first address after a quiet interval).
    pub(crate) fn pick(&mut self, now: Instant) -> Attempt {
        if let (HostSelectionPolicy::Priority { start_over }, Some(last)) =
            (self.policy, self.last_attempt)
        {
            if now.saturating_duration_since(last) >= start_over {
                self.next = 0;
                self.next_nth = 0;
            }
        }
        self.last_attempt = Some(now);
        let index = self.next % self.addresses.len().max(1);
        let nth = if index == self.next { self.next_nth } else { 0 };
        Attempt { index, nth }
    }

    /// The configured address of an attempt.
    pub(crate) fn address(&self, attempt: Attempt) -> Option<&TargetAddress> {
        self.addresses.get(attempt.index)
    }

    /// The socket address an attempt connects to among those its host
    /// resolved to, moving the rotation on: each of a host's addresses in
    /// turn, then the next configured address.
    pub(crate) fn choose(
        &mut self,
        attempt: Attempt,
        resolved: &[SocketAddr],
    ) -> Option<SocketAddr> {
        let nth = attempt.nth % resolved.len().max(1);
        if nth + 1 < resolved.len() {
            (self.next, self.next_nth) = (attempt.index, nth + 1);
        } else {
            (self.next, self.next_nth) = (attempt.index + 1, 0);
        }
        resolved.get(nth).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn target(addresses: &[&str]) -> ConnectTarget {
        let owned: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
        ConnectTarget::parse(&owned, &[]).expect("addresses")
    }

    #[test]
    fn addresses_are_checked_for_form_and_resolved_later() {
        let t = target(&["127.0.0.1:9876", "fix.example:443", "[::1]:9876"]);
        assert_eq!(
            t.addresses[0].literal,
            Some("127.0.0.1:9876".parse().unwrap())
        );
        assert_eq!(t.addresses[1].literal, None);
        assert_eq!(t.addresses[1].host, "fix.example");
        assert_eq!(t.addresses[2].host, "::1");
        for bad in ["no-port", "host:port", ":9876", "host:99999"] {
            assert!(TargetAddress::parse(bad, None).is_err(), "{bad}");
        }
        assert!(ConnectTarget::parse(&[], &[]).is_err());
    }

    #[test]
    fn attempts_go_through_each_resolved_address_then_the_next_host() {
        let mut t = target(&["a.example:1", "b.example:2"]);
        let now = Instant::now();
        let a: [SocketAddr; 2] = ["10.0.0.1:1".parse().unwrap(), "10.0.0.2:1".parse().unwrap()];
        let b: SocketAddr = "10.0.1.1:2".parse().unwrap();
        let first = t.pick(now);
        assert_eq!(t.choose(first, &a), Some(a[0]));
        let second = t.pick(now);
        assert_eq!(second.index, 0);
        assert_eq!(t.choose(second, &a), Some(a[1]));
        let third = t.pick(now);
        assert_eq!(third.index, 1);
        assert_eq!(t.choose(third, &[b]), Some(b));
        // A name that resolves to nothing moves on to the next one.
        let fourth = t.pick(now);
        assert_eq!(fourth.index, 0);
        assert_eq!(t.choose(fourth, &[]), None);
        assert_eq!(t.pick(now).index, 1);
    }

    #[test]
    fn priority_starts_over_after_a_quiet_interval() {
        let mut t = target(&["10.0.0.1:1", "10.0.0.2:1"]);
        t.policy = HostSelectionPolicy::Priority {
            start_over: Duration::from_secs(60),
        };
        let now = Instant::now();
        let a = t.pick(now);
        let _ = t.choose(a, &[t.addresses[0].literal.unwrap()]);
        assert_eq!(t.pick(now + Duration::from_secs(1)).index, 1);
        assert_eq!(t.pick(now + Duration::from_secs(120)).index, 0);
    }
}
