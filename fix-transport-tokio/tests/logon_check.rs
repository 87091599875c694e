//! An acceptor's logon check and refusal hook: a Logon the check refuses
//! is closed without a reply and reported, the session stays free for the
//! next Logon, a template creates no session for it; the check sees a TLS
//! peer's certificate, and the session's handle shows it for as long as
//! the link lasts; connections the router refuses reach the hook.

mod common;
#[path = "../../fix-transport-tls/tests/common/pki.rs"]
mod pki;

use common::*;
use fixrs_proto::{FieldWriter, FixVersion};
use fixrs_session::{AcceptorTemplate, RefusalReason, SessionConfig, SessionState};
use fixrs_transport_tls::TlsClientConfig;
use fixrs_transport_tokio::{
    Acceptor, LogonRequest, RefusedConnection, SessionEvents, SessionHandle, SessionOptions,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn any_port() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

/// The refusals an acceptor reported, as (kind, text).
#[derive(Clone, Default)]
struct Refusals(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Refusals {
    fn hook(&self) -> impl Fn(&RefusedConnection) + Send + Sync + 'static {
        let list = self.0.clone();
        move |r: &RefusedConnection| {
            let kind = match &r.reason {
                RefusalReason::RefusedByApplication { .. } => "application",
                RefusalReason::UnknownSession { .. } => "unknown",
                RefusalReason::LogonTimeout => "timeout",
                _ => "other",
            };
            list.lock()
                .expect("lock")
                .push((kind, r.reason.to_string()));
        }
    }

    async fn wait_for(&self, kind: &str) -> String {
        wait_until_some(|| {
            self.0
                .lock()
                .expect("lock")
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, text)| text.clone())
        })
        .await
    }
}

async fn wait_until_some<T>(mut f: impl FnMut() -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(v) = f() {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("in time")
}

/// The initiator BUY -> SELL over TLS to `addr`, presenting `client`.
async fn connect_with_certificate(
    ca: &pki::Ca,
    client: &pki::Leaf,
    addr: std::net::SocketAddr,
) -> (SessionHandle, SessionEvents) {
    let client_tls = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .client_certificate(client.chain(), client.key())
        .build()
        .expect("client config");
    fixrs_transport_tokio::connect(
        initiator(),
        SessionOptions::new()
            .with_connect_address(addr.to_string())
            .with_tls(client_tls),
    )
    .await
    .expect("initiator")
}

/// Refuses Logons without Password(554) "secret".
fn password_check(request: &LogonRequest<'_>) -> Result<(), String> {
    match request.logon.get(554) {
        Some(b"secret") => Ok(()),
        _ => Err(format!("bad password for {}", request.session)),
    }
}

fn initiator_with_password(password: &str) -> SessionConfig {
    let mut c = initiator();
    c.password = Some(password.to_string());
    c.reconnect_interval = Duration::from_secs(1);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logon_the_check_refuses_is_closed_unanswered_and_the_session_takes_the_next() {
    let refusals = Refusals::default();
    let acceptor = Acceptor::new()
        .with_logon_check(password_check)
        .with_on_refused(refusals.hook());
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let (sell, _sell_events) = acceptor
        .add_session(common::acceptor(), SessionOptions::new())
        .expect("acceptor session");

    // A raw counterparty with the wrong password gets no reply at all.
    let mut raw = tokio::net::TcpStream::connect(addr).await.expect("connect");
    raw.write_all(&raw_logon_from("BUY", "wrong"))
        .await
        .expect("logon");
    let mut reply = Vec::new();
    let read = tokio::time::timeout(WAIT, raw.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert!(reply.is_empty(), "a refused Logon was answered: {reply:?}");
    let text = refusals.wait_for("application").await;
    assert!(
        text.contains("bad password for FIX.4.4:SELL->BUY"),
        "{text}"
    );
    assert!(
        matches!(
            sell.state(),
            SessionState::Initial | SessionState::WaitForConnect
        ),
        "the session saw the refused Logon: {:?}",
        sell.state()
    );

    // The session is free: the right password logs on.
    let (buy, _events) = fixrs_transport_tokio::connect(
        initiator_with_password("secret"),
        SessionOptions::new().with_connect_address(addr.to_string()),
    )
    .await
    .expect("initiator");
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
}

/// A Logon from `sender` to SELL with Password(554), as raw bytes.
fn raw_logon_from(sender: &str, password: &str) -> Vec<u8> {
    let mut enc = fixrs_proto::Encoder::new();
    enc.start("FIX.4.4", b"A");
    enc.push_str(49, sender)
        .push_str(56, "SELL")
        .push_uint(34, 1)
        .push_timestamp(
            52,
            fixrs_proto::UtcTimestamp::from(std::time::SystemTime::now()),
        );
    enc.push_str(98, "0")
        .push_str(108, "30")
        .push_str(554, password);
    enc.finish().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_creates_no_session_for_a_logon_the_check_refuses() {
    let refusals = Refusals::default();
    let acceptor = Acceptor::new()
        .with_logon_check(|r: &LogonRequest<'_>| {
            if r.session.id.target_comp_id == "EVIL" {
                Err("not a customer".into())
            } else {
                Ok(())
            }
        })
        .with_on_refused(refusals.hook());
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let mut new_sessions = acceptor.add_template(
        AcceptorTemplate::new(SessionConfig::acceptor(FixVersion::Fix44, "SELL", "*")),
        |_| SessionOptions::new(),
    );
    let connect = |name: &str| {
        let mut c = SessionConfig::initiator(FixVersion::Fix44, name, "SELL");
        c.reconnect_interval = Duration::from_secs(1);
        fixrs_transport_tokio::connect(
            c,
            SessionOptions::new().with_connect_address(addr.to_string()),
        )
    };
    let (evil, _evil_events) = connect("EVIL").await.expect("initiator");
    let text = refusals.wait_for("application").await;
    assert!(text.contains("not a customer"), "{text}");
    assert!(new_sessions.try_recv().is_err(), "a session was created");
    drop(evil);

    let (good, _good_events) = connect("GOOD").await.expect("initiator");
    let (created, _created_events) = tokio::time::timeout(WAIT, new_sessions.recv())
        .await
        .expect("in time")
        .expect("a session");
    assert_eq!(created.key().id.target_comp_id, "GOOD");
    wait_state(&good, SessionState::Established).await;
    wait_state(&created, SessionState::Established).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_sees_the_certificate_a_tls_client_presented() {
    let ca = pki::Ca::new("test ca");
    let tls = ca.mutual_tls_server();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let acceptor = {
        let seen = seen.clone();
        Acceptor::new().with_logon_check(move |r: &LogonRequest<'_>| {
            let cert = r.peer_certificate.ok_or("no certificate")?;
            seen.lock()
                .expect("lock")
                .push(cert.common_names().to_vec());
            if cert.matches_comp_id(&r.session.id.target_comp_id) {
                Ok(())
            } else {
                Err("the certificate does not name the CompID".into())
            }
        })
    };
    let addr = acceptor.listen_tls(any_port(), tls).await.expect("listen");
    let (sell, _sell_events) = acceptor
        .add_session(common::acceptor(), SessionOptions::new())
        .expect("acceptor session");
    let client = ca.client("BUY");
    let (buy, _events) = connect_with_certificate(&ca, &client, addr).await;
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
    assert_eq!(*seen.lock().expect("lock"), vec![vec!["BUY".to_string()]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_show_the_certificate_of_the_current_link() {
    let ca = pki::Ca::new("test ca");
    let acceptor = Acceptor::new();
    let addr = acceptor
        .listen_tls(any_port(), ca.mutual_tls_server())
        .await
        .expect("listen");
    let (sell, _sell_events) = acceptor
        .add_session(common::acceptor(), SessionOptions::new())
        .expect("acceptor session");
    assert!(sell.peer_certificate().is_none(), "no link yet");
    let client = ca.client("BUY");
    let (buy, _events) = connect_with_certificate(&ca, &client, addr).await;
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
    // The acceptor sees the client's certificate, the initiator the
    // server's.
    let of_buy = sell.peer_certificate().expect("client certificate");
    assert_eq!(of_buy.common_names(), ["BUY".to_string()]);
    assert_eq!(of_buy.chain(), client.chain().as_slice());
    let of_sell = buy.peer_certificate().expect("server certificate");
    assert_eq!(of_sell.common_names(), ["localhost".to_string()]);
    assert!(of_sell.matches_comp_id("localhost"));
    // Gone with the link.
    buy.logout(None).await.expect("logout");
    wait_state(&buy, SessionState::CorrectlyTerminated).await;
    wait_until_some(|| sell.peer_certificate().is_none().then_some(())).await;
    wait_until_some(|| buy.peer_certificate().is_none().then_some(())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_tcp_link_has_no_peer_certificate() {
    let acceptor = Acceptor::new();
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let (sell, _sell_events) = acceptor
        .add_session(common::acceptor(), SessionOptions::new())
        .expect("acceptor session");
    let (buy, _events) = fixrs_transport_tokio::connect(
        initiator(),
        SessionOptions::new().with_connect_address(addr.to_string()),
    )
    .await
    .expect("initiator");
    wait_state(&buy, SessionState::Established).await;
    wait_state(&sell, SessionState::Established).await;
    assert!(sell.peer_certificate().is_none());
    assert!(buy.peer_certificate().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_router_refuses_reach_the_hook() {
    let refusals = Refusals::default();
    let acceptor = Acceptor::new()
        .with_logon_timeout(Duration::from_millis(300))
        .with_on_refused(refusals.hook());
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let _sell = acceptor
        .add_session(common::acceptor(), SessionOptions::new())
        .expect("acceptor session");
    // Unknown CompIDs.
    let mut stranger = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stranger
        .write_all(&raw_logon_from("WHO", "x"))
        .await
        .expect("logon");
    let text = refusals.wait_for("unknown").await;
    assert!(text.contains("WHO"), "{text}");
    // Silence.
    let _silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
    refusals.wait_for("timeout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_of_a_settings_file_get_the_given_acceptors_check() {
    let port = {
        let l = std::net::TcpListener::bind(any_port()).expect("free port");
        l.local_addr().expect("addr").port()
    };
    let text = format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nHeartBtInt=30\nUseDataDictionary=N\nReconnectInterval=1\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=SELL\nTargetCompID=BUY\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
         [SESSION]\nConnectionType=initiator\nSenderCompID=BUY\nTargetCompID=SELL\nPassword=wrong\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
    );
    let settings = fixrs_session::Settings::parse(&text).expect("settings");
    let refusals = Refusals::default();
    let acceptor = Acceptor::new()
        .with_logon_check(password_check)
        .with_on_refused(refusals.hook());
    let started = fixrs_transport_tokio::start_from_settings_with(&settings, acceptor)
        .await
        .expect("started");
    let text = refusals.wait_for("application").await;
    assert!(text.contains("bad password"), "{text}");
    assert!(started.acceptor.is_some());
    assert_ne!(
        started.sessions[0].handle.state(),
        SessionState::Established
    );
}
