//! The tokio engine over real sockets on 127.0.0.1: order round trips
//! between tokio sessions (plain and mutual TLS), with the mio engine in
//! both roles, and sessions from a settings file.

mod common;
#[path = "../../fix-transport-tls/tests/common/pki.rs"]
mod pki;

use common::*;
use fixrs_session::{Role, SessionState};
use fixrs_transport_mio::{AppEventKind, ChannelApplication, EngineSettings, FixEngine, SessionId};
use fixrs_transport_tls::TlsClientConfig;
use fixrs_transport_tokio::{Acceptor, SessionEvent, SessionEvents, SessionOptions};
use std::time::Duration;

fn any_port() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

/// Waits for the ExecutionReport of `cl_ord_id`.
async fn report_for(events: &mut SessionEvents, cl_ord_id: &str) {
    let id = wait_for(events, |e| match e {
        SessionEvent::Message(m) if m.msg_type() == b"8" => {
            Some(m.get_str(11).unwrap_or("").to_string())
        }
        _ => None,
    })
    .await;
    assert_eq!(id, cl_ord_id);
}

fn short_timers(mut c: fixrs_session::SessionConfig) -> fixrs_session::SessionConfig {
    c.reconnect_interval = Duration::from_millis(200);
    c.logout_timeout = Duration::from_secs(1);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_sent_before_logon_is_filled_and_a_dropped_link_reconnects() {
    let acceptor = Acceptor::new();
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let sell = acceptor
        .add_session_with_handler(acceptor_config(), SessionOptions::new(), fill_orders)
        .expect("acceptor session");
    let (buy, mut events) = fixrs_transport_tokio::connect(
        short_timers(initiator()),
        SessionOptions::new().with_connect_address(addr.to_string()),
    )
    .await
    .expect("initiator");
    // Late delivery: sent before the session is established.
    buy.send(&order("ORD-1")).await.expect("queued");
    report_for(&mut events, "ORD-1").await;

    // The acceptor drops the link: the initiator reconnects and logs on
    // again, and both go on counting.
    let before = buy.next_sender_seq_num();
    sell.disconnect().await.expect("disconnect");
    wait_for(&mut events, |e| {
        matches!(
            e,
            SessionEvent::StateChanged {
                to: SessionState::Reconnect,
                ..
            }
        )
        .then_some(())
    })
    .await;
    sell.connect().await.expect("takes logons again");
    wait_for(&mut events, |e| {
        matches!(e, SessionEvent::LoggedOn).then_some(())
    })
    .await;
    buy.send(&order("ORD-2")).await.expect("sent");
    report_for(&mut events, "ORD-2").await;
    assert!(buy.next_sender_seq_num() > before + 1);

    buy.logout(Some("done")).await.expect("logout");
    wait_state(&buy, SessionState::CorrectlyTerminated).await;
}

fn acceptor_config() -> fixrs_session::SessionConfig {
    acceptor()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_sessions_log_on_and_trade() {
    let ca = pki::Ca::new("test ca");
    let client = ca.client("BUY");
    let tls = ca.mutual_tls_server();
    let acceptor = Acceptor::new();
    let addr = acceptor.listen_tls(any_port(), tls).await.expect("listen");
    let _sell = acceptor
        .add_session_with_handler(acceptor_config(), SessionOptions::new(), fill_orders)
        .expect("acceptor session");
    let client_tls = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .client_certificate(client.chain(), client.key())
        .build()
        .expect("client config");
    let (buy, mut events) = fixrs_transport_tokio::connect(
        initiator(),
        SessionOptions::new()
            .with_connect_address(addr.to_string())
            .with_tls(client_tls),
    )
    .await
    .expect("initiator");
    wait_state(&buy, SessionState::Established).await;
    buy.send(&order("TLS-1")).await.expect("sent");
    report_for(&mut events, "TLS-1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_client_without_a_certificate_is_refused_and_keeps_reconnecting() {
    let ca = pki::Ca::new("test ca");
    let tls = ca.mutual_tls_server();
    let acceptor = Acceptor::new();
    let addr = acceptor.listen_tls(any_port(), tls).await.expect("listen");
    let _sell = acceptor
        .add_session(acceptor_config(), SessionOptions::new())
        .expect("session");
    let client_tls = TlsClientConfig::builder()
        .ca_certificates(vec![ca.cert()])
        .build()
        .expect("client config");
    let (buy, mut events) = fixrs_transport_tokio::connect(
        short_timers(initiator()),
        SessionOptions::new()
            .with_connect_address(addr.to_string())
            .with_tls(client_tls),
    )
    .await
    .expect("initiator");
    // Twice: the refusal is a broken link like any other.
    for _ in 0..2 {
        wait_for(&mut events, |e| {
            matches!(
                e,
                SessionEvent::StateChanged {
                    to: SessionState::Reconnect,
                    ..
                }
            )
            .then_some(())
        })
        .await;
    }
    assert_ne!(buy.state(), SessionState::Established);
}

fn mio_engine() -> FixEngine {
    FixEngine::new(EngineSettings::default()).expect("mio engine")
}

/// Waits on the mio engine's events in a blocking thread.
async fn mio_wait<T: Send + 'static>(
    events: std::sync::mpsc::Receiver<fixrs_transport_mio::AppEvent>,
    mut pick: impl FnMut(&AppEventKind) -> Option<T> + Send + 'static,
) -> (T, std::sync::mpsc::Receiver<fixrs_transport_mio::AppEvent>) {
    tokio::task::spawn_blocking(move || loop {
        let e = events.recv_timeout(WAIT).expect("mio event in time");
        if let Some(t) = pick(&e.kind) {
            return (t, events);
        }
    })
    .await
    .expect("waiter")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_initiator_trades_with_a_mio_acceptor() {
    let engine = mio_engine();
    let addr = engine.listen(any_port()).expect("listen");
    let (app, mio_events) = ChannelApplication::new();
    let sell = engine
        .create_acceptor_session(
            SessionId::new("SELL", "BUY"),
            fixrs_proto::FixVersion::Fix44,
            app,
        )
        .expect("mio acceptor");
    let (buy, mut events) = fixrs_transport_tokio::connect(
        initiator(),
        SessionOptions::new().with_connect_address(addr.to_string()),
    )
    .await
    .expect("initiator");
    wait_state(&buy, SessionState::Established).await;
    buy.send(&order("MIO-1")).await.expect("sent");
    let (id, _) = mio_wait(mio_events, |k| match k {
        AppEventKind::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
        _ => None,
    })
    .await;
    assert_eq!(id, "MIO-1");
    let mut report = fixrs_proto::MessageBuilder::new(b"8");
    fixrs_proto::FieldWriter::push_str(&mut report, 11, "MIO-1");
    sell.put(&report).expect("mio sends");
    report_for(&mut events, "MIO-1").await;
    buy.logout(None).await.expect("logout");
    wait_state(&buy, SessionState::CorrectlyTerminated).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mio_initiator_trades_with_a_tokio_acceptor() {
    let acceptor = Acceptor::new();
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let (sell, mut sell_events) = acceptor
        .add_session(acceptor_config(), SessionOptions::new())
        .expect("acceptor session");
    let engine = mio_engine();
    let (app, mio_events) = ChannelApplication::new();
    let buy = engine
        .create_session(
            SessionId::new("BUY", "SELL"),
            fixrs_proto::FixVersion::Fix44,
            app,
        )
        .expect("mio initiator");
    buy.connect(30, &addr.to_string()).expect("connect");
    wait_state(&sell, SessionState::Established).await;
    buy.put(order("TOKIO-1")).expect("mio sends");
    let id = wait_for(&mut sell_events, |e| match e {
        SessionEvent::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
        _ => None,
    })
    .await;
    assert_eq!(id, "TOKIO-1");
    let mut report = fixrs_proto::MessageBuilder::new(b"8");
    fixrs_proto::FieldWriter::push_str(&mut report, 11, "TOKIO-1");
    sell.send(&report).await.expect("sent");
    let (id, _) = mio_wait(mio_events, |k| match k {
        AppEventKind::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
        _ => None,
    })
    .await;
    assert_eq!(id, "TOKIO-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_from_a_settings_file_trade_with_file_stores_and_logs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = {
        let l = std::net::TcpListener::bind(any_port()).expect("free port");
        l.local_addr().expect("addr").port()
    };
    let text = format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nHeartBtInt=30\nReconnectInterval=1\n\
         FileStorePath={store}\nFileLogPath={log}\n\
         [SESSION]\nConnectionType=acceptor\nSenderCompID=SELL\nTargetCompID=BUY\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
         [SESSION]\nConnectionType=initiator\nSenderCompID=BUY\nTargetCompID=SELL\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        store = dir.path().join("store").display(),
        log = dir.path().join("log").display(),
    );
    let settings = fixrs_session::Settings::parse(&text).expect("settings");
    let started = fixrs_transport_tokio::start_from_settings(&settings)
        .await
        .expect("started");
    assert!(started.acceptor.is_some());
    let mut sessions = started.sessions.into_iter();
    let sell = sessions.next().expect("acceptor");
    let mut buy = sessions.next().expect("initiator");
    assert_eq!(sell.settings.config.role, Role::Acceptor);
    wait_state(&buy.handle, SessionState::Established).await;
    buy.handle.send(&order("CFG-1")).await.expect("sent");
    let mut sell_events = sell.events;
    wait_for(&mut sell_events, |e| {
        matches!(e, SessionEvent::Message(_)).then_some(())
    })
    .await;
    // The file store and the message log hold what was sent.
    let stored = std::fs::read_dir(dir.path().join("store"))
        .expect("store dir")
        .count();
    assert!(stored > 0, "file store files");
    let logs: Vec<_> = std::fs::read_dir(dir.path().join("log"))
        .expect("log dir")
        .map(|e| e.expect("entry").path())
        .collect();
    let all: String = logs
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(all.contains("11=CFG-1"), "the order is in a message log");
    buy.handle.logout(None).await.expect("logout");
    wait_state(&buy.handle, SessionState::CorrectlyTerminated).await;
    drop(buy.events.try_recv());
}

#[tokio::test]
async fn settings_the_engine_cannot_act_on_are_refused() {
    let text = "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\n\
                TargetCompID=B\nHeartBtInt=30\nSocketConnectHost=127.0.0.1\nSocketConnectPort=1\n\
                SocketConnectSourceHost=127.0.0.1\n";
    let settings = fixrs_session::Settings::parse(text).expect("settings");
    let err = fixrs_transport_tokio::start_from_settings(&settings)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("SocketConnectSourceHost"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptor_template_of_a_settings_file_creates_the_session_on_its_first_logon() {
    let port = {
        let l = std::net::TcpListener::bind(any_port()).expect("free port");
        l.local_addr().expect("addr").port()
    };
    let text = format!(
        "[DEFAULT]\nBeginString=FIX.4.4\nHeartBtInt=30\nUseDataDictionary=N\n\
         [SESSION]\nConnectionType=acceptor\nAcceptorTemplate=Y\nSenderCompID=SELL\nTargetCompID=*\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
         [SESSION]\nConnectionType=initiator\nSenderCompID=ANYONE\nTargetCompID=SELL\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
    );
    let settings = fixrs_session::Settings::parse(&text).expect("settings");
    let mut started = fixrs_transport_tokio::start_from_settings(&settings)
        .await
        .expect("started");
    assert_eq!(started.sessions.len(), 1, "a template is not a session");
    let mut template = started.templates.pop().expect("template");
    let (sell, mut sell_events) = tokio::time::timeout(WAIT, template.sessions.recv())
        .await
        .expect("created in time")
        .expect("a session");
    assert_eq!(sell.key().id.target_comp_id, "ANYONE");
    let buy = &started.sessions[0].handle;
    wait_state(buy, SessionState::Established).await;
    buy.send(&order("TPL-1")).await.expect("sent");
    let id = wait_for(&mut sell_events, |e| match e {
        SessionEvent::Message(m) => Some(m.get_str(11).unwrap_or("").to_string()),
        _ => None,
    })
    .await;
    assert_eq!(id, "TPL-1");
}

/// A burst of orders larger than what the session takes per wake, over
/// plain TCP, sent borrowed and owned, with the last handle dropped while
/// orders are still queued:
/// every order arrives once, in order, and then the session logs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_orders_arrives_in_order_before_the_logout_of_a_dropped_handle() {
    const ORDERS: usize = 2_000;
    let acceptor = Acceptor::new();
    let addr = acceptor.listen(any_port()).await.expect("listen");
    let (_sell, mut sell_events) = acceptor
        .add_session(acceptor_config(), SessionOptions::new())
        .expect("acceptor session");
    let (buy, _buy_events) = fixrs_transport_tokio::connect(
        initiator(),
        SessionOptions::new().with_connect_address(addr.to_string()),
    )
    .await
    .expect("initiator");
    wait_state(&buy, SessionState::Established).await;
    for i in 0..ORDERS {
        let m = order(&format!("ORD-{i}"));
        // Both ways in, borrowed and owned, in one sequence.
        if i % 2 == 0 {
            buy.send(&m).await.expect("sent");
        } else {
            buy.send_owned(m).await.expect("sent");
        }
    }
    drop(buy);
    let mut seq_nums = Vec::with_capacity(ORDERS);
    for i in 0..ORDERS {
        let (id, seq) = wait_for(&mut sell_events, |e| match e {
            SessionEvent::Message(m) if m.msg_type() == b"D" => Some((
                m.get_str(11).unwrap_or("").to_string(),
                m.get_str(34).and_then(|s| s.parse::<u64>().ok()),
            )),
            _ => None,
        })
        .await;
        assert_eq!(id, format!("ORD-{i}"));
        seq_nums.push(seq.expect("MsgSeqNum"));
    }
    assert!(seq_nums.windows(2).all(|w| w[1] == w[0] + 1), "gapless");
    let text = wait_for(&mut sell_events, |e| match e {
        SessionEvent::LoggedOut { text } => Some(text.clone()),
        _ => None,
    })
    .await;
    assert_eq!(text, None);
}
