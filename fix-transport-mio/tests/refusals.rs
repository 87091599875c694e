//! Connections the acceptor closes before they reach a session are
//! reported, typed, to `EngineSettings::on_refused`, with the peer's
//! address: unknown CompIDs, a wrong BeginString, a duplicate Logon, a
//! first message that is not a Logon, garbage, an oversize first message,
//! a Logon refused by the application or from an address not allowed, and
//! no Logon at all.

mod common;

use common::*;
use fixrs_proto::{tag, Message};
use fixrs_session::Role;
use fixrs_transport_mio::{
    AdminRejection, Application, ChannelApplication, EngineSettings, FixEngine, RefusalHook,
    RefusalReason, RefuseLogon, RefusedConnection, SessionHandle, SessionOptions,
};
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(10);

/// What the hook saw: the peer and the reason as text, and the reason's
/// kind.
#[derive(Debug)]
struct Seen {
    peer: SocketAddr,
    text: String,
    kind: &'static str,
}

fn kind(reason: &RefusalReason) -> &'static str {
    match reason {
        RefusalReason::UnknownSession { .. } => "unknown",
        RefusalReason::WrongBeginString { .. } => "begin string",
        RefusalReason::DuplicateLogon { .. } => "duplicate",
        RefusalReason::AddressNotAllowed { .. } => "address",
        RefusalReason::RefusedByApplication { .. } => "application",
        RefusalReason::NotLogon { .. } => "not logon",
        RefusalReason::TooLarge { .. } => "too large",
        RefusalReason::Garbled(_) => "garbled",
        RefusalReason::Unparsable(_) => "unparsable",
        RefusalReason::LogonTimeout => "timeout",
        RefusalReason::Transport(_) => "transport",
        RefusalReason::TooManyPending => "too many",
        _ => "other",
    }
}

/// Refuses Logons whose Password(554) is not "secret".
struct NeedsPassword;

impl Application for NeedsPassword {
    fn from_admin(&mut self, _: &SessionHandle, m: &Message<'_>) -> Result<(), AdminRejection> {
        if m.msg_type() == b"A" && m.get(tag::PASSWORD) != Some(b"secret") {
            return Err(RefuseLogon("wrong password".into()).into());
        }
        Ok(())
    }
}

fn acceptor_engine() -> (FixEngine, Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let engine = FixEngine::new(EngineSettings {
        logon_timeout: Duration::from_millis(500),
        max_logon_size: 4096,
        on_refused: Some(RefusalHook::new(move |r: &RefusedConnection| {
            let seen = Seen {
                peer: r.peer,
                text: r.to_string(),
                kind: kind(&r.reason),
            };
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(seen);
            }
        })),
        ..EngineSettings::default()
    })
    .expect("engine");
    (engine, rx)
}

/// Connects, sends `bytes`, waits for the engine to close the connection
/// and returns the refusal reported for this peer.
fn refused(addr: SocketAddr, bytes: &[u8], rx: &Receiver<Seen>) -> Seen {
    let mut peer = RawPeer::connect(addr);
    let local = peer.stream.local_addr().expect("local address");
    peer.send(bytes).expect("send");
    let (reply, closed) = peer.read_until_closed(LONG);
    assert!(closed, "connection left open after {bytes:?}");
    assert!(reply.is_empty(), "a refused connection got a reply");
    let seen = rx.recv_timeout(LONG).expect("a refusal is reported");
    assert_eq!(seen.peer, local, "{seen:?}");
    assert!(
        seen.text
            .starts_with(&format!("connection from {local} refused: ")),
        "{seen:?}"
    );
    seen
}

#[test]
fn every_refused_connection_is_reported_with_its_peer_and_reason() {
    let (acceptor, rx) = acceptor_engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");
    let _guarded = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "GUARDED"),
            SessionOptions::default(),
            NeedsPassword,
        )
        .expect("acceptor");

    let _elsewhere = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "ELSEWHERE"),
            SessionOptions {
                allowed_remote_addresses: vec!["10.9.9.9".parse().expect("address")],
                ..SessionOptions::default()
            },
            ChannelApplication::new().0,
        )
        .expect("acceptor");

    let seen = refused(addr, &raw_logon("ELSEWHERE", "ACC", 1), &rx);
    assert_eq!(seen.kind, "address", "{seen:?}");
    assert!(seen.text.contains("FIX.4.4:ACC->ELSEWHERE"), "{seen:?}");

    let seen = refused(addr, &raw_logon("STRANGER", "ACC", 1), &rx);
    assert_eq!(seen.kind, "unknown", "{seen:?}");
    assert!(
        seen.text
            .ends_with("Logon from unknown session FIX.4.4:STRANGER->ACC"),
        "{seen:?}"
    );

    let mut logon = raw_logon("INI", "ACC", 1);
    // The same Logon as FIX.4.2 (same length, so the BodyLength holds).
    let at = logon.windows(7).position(|w| w == b"FIX.4.4").unwrap();
    logon[at..at + 7].copy_from_slice(b"FIX.4.2");
    let sum = logon[..logon.len() - 7]
        .iter()
        .fold(0u8, |a, b| a.wrapping_add(*b));
    let n = logon.len();
    logon[n - 4..n - 1].copy_from_slice(format!("{sum:03}").as_bytes());
    let seen = refused(addr, &logon, &rx);
    assert_eq!(seen.kind, "begin string", "{seen:?}");
    assert!(
        seen.text.contains("FIX.4.2") && seen.text.contains("FIX.4.4"),
        "{seen:?}"
    );

    let seen = refused(addr, &raw_message(b"0", "INI", "ACC", 1, &[]), &rx);
    assert_eq!(seen.kind, "not logon", "{seen:?}");

    let seen = refused(addr, b"GET / HTTP/1.1\r\nHost: fix\r\n\r\n", &rx);
    assert_eq!(seen.kind, "garbled", "{seen:?}");

    let seen = refused(addr, b"8=FIX.4.4\x019=100000\x0135=A\x01", &rx);
    assert_eq!(seen.kind, "too large", "{seen:?}");
    assert!(
        seen.text.ends_with("first message larger than 4096 bytes"),
        "{seen:?}"
    );

    let seen = refused(addr, &raw_logon("GUARDED", "ACC", 1), &rx);
    assert_eq!(seen.kind, "application", "{seen:?}");
    assert!(seen.text.ends_with("wrong password"), "{seen:?}");

    let seen = refused(addr, b"8=FIX.4.4\x01", &rx);
    assert_eq!(seen.kind, "timeout", "{seen:?}");

    // A duplicate Logon while the session is connected.
    let mut first = RawPeer::connect(addr);
    first.send(&raw_logon("INI", "ACC", 1)).expect("send");
    let reply = first.read_until(b"35=A\x01", LONG);
    assert!(!reply.is_empty(), "the first Logon is answered");
    let seen = refused(addr, &raw_logon("INI", "ACC", 2), &rx);
    assert_eq!(seen.kind, "duplicate", "{seen:?}");
    assert!(seen.text.contains("FIX.4.4:ACC->INI"), "{seen:?}");
    assert!(rx.try_recv().is_err(), "one report per connection");
}
