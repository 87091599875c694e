//! Helpers of the TLS tests: a throw-away PKI, engines and sessions on
//! 127.0.0.1 with short timers, and an application that reports what
//! happened (including typed TLS errors) on a channel.
#![allow(dead_code)]

pub mod pki;

use fixrs_proto::{tag, FieldWriter, FixVersion, Message, MessageBuilder};
use fixrs_session::{Role, SessionConfig};
use fixrs_transport_mio::{
    AdminRejection, Application, EngineSettings, FixEngine, OwnedMessage, RefuseLogon,
    SessionHandle, SessionState,
};
use fixrs_transport_tls::TlsError;
use std::net::SocketAddr;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// Bound of every wait.
pub const LONG: Duration = Duration::from_secs(20);

/// An engine with a short first-Logon timeout.
pub fn engine() -> FixEngine {
    FixEngine::new(EngineSettings::default().with_logon_timeout(Duration::from_secs(2)))
        .expect("engine starts")
}

/// 127.0.0.1 with a free port.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

/// A FIX 4.4 session configuration with short timers.
pub fn config(role: Role, sender: &str, target: &str) -> SessionConfig {
    let mut c = SessionConfig::new(role, FixVersion::Fix44, sender, target);
    c.heart_bt_int = 30;
    c.logon_timeout = Duration::from_secs(3);
    c.logout_timeout = Duration::from_secs(1);
    c.reconnect_interval = Duration::from_millis(200);
    c
}

/// What the test application saw.
#[derive(Debug)]
pub enum Seen {
    /// The session logged on.
    LoggedOn,
    /// The session logged out.
    LoggedOut,
    /// An application message.
    Message(OwnedMessage),
    /// An error, with the TLS error inside it if there is one.
    Error(Option<TlsError>, String),
    /// The application refused a Logon.
    Refused(String),
}

/// How the test application checks Logons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogonCheck {
    /// Accept every Logon.
    None,
    /// Accept a Logon only if the peer certificate names its
    /// SenderCompID(49).
    CertificateNamesCompId,
}

/// The test application: reports to a channel, answers each
/// NewOrderSingle with an ExecutionReport when `echo` is set.
pub struct App {
    tx: Sender<Seen>,
    check: LogonCheck,
    echo: bool,
}

impl App {
    /// An application and the channel it reports on.
    pub fn new(check: LogonCheck, echo: bool) -> (App, Receiver<Seen>) {
        let (tx, rx) = channel();
        (App { tx, check, echo }, rx)
    }
}

impl Application for App {
    fn on_logon(&mut self, _: &SessionHandle) {
        let _ = self.tx.send(Seen::LoggedOn);
    }

    fn on_logout(&mut self, _: &SessionHandle, _: Option<&str>) {
        let _ = self.tx.send(Seen::LoggedOut);
    }

    fn on_message(&mut self, session: &SessionHandle, message: &Message<'_>) {
        if self.echo && message.msg_type() == b"D" {
            let mut report = MessageBuilder::new(b"8");
            report
                .push(tag::CL_ORD_ID, message.get(tag::CL_ORD_ID).unwrap_or(b"?"))
                .push_str(37, "ORDER-1")
                .push_str(17, "EXEC-1")
                .push_char(150, b'0')
                .push_char(39, b'0')
                .push_str(55, "EUR/USD")
                .push_char(54, b'1')
                .push_str(151, "1000000")
                .push_str(14, "0")
                .push_str(6, "0");
            session.put(&report).expect("put execution report");
        }
        let _ = self
            .tx
            .send(Seen::Message(OwnedMessage::from_message(message)));
    }

    fn on_error(&mut self, _: &SessionHandle, error: &(dyn std::error::Error + 'static)) {
        let _ = self.tx.send(Seen::Error(
            TlsError::find(error).cloned(),
            error.to_string(),
        ));
    }

    fn from_admin(
        &mut self,
        session: &SessionHandle,
        message: &Message<'_>,
    ) -> Result<(), AdminRejection> {
        if self.check == LogonCheck::None || message.msg_type() != b"A" {
            return Ok(());
        }
        let sender = std::str::from_utf8(message.get(tag::SENDER_COMP_ID).unwrap_or(b""))
            .unwrap_or("")
            .to_string();
        let verdict = match fixrs_transport_tls::peer_certificate(session) {
            Some(cert) if cert.matches_comp_id(&sender) => Ok(()),
            Some(cert) => Err(RefuseLogon(format!(
                "certificate of {:?} used by {sender}",
                cert.common_names()
            ))),
            None => Err(RefuseLogon(format!("{sender} sent no certificate"))),
        };
        if let Err(refused) = &verdict {
            let _ = self.tx.send(Seen::Refused(refused.0.clone()));
        }
        Ok(verdict?)
    }
}

/// Receives until `pick` returns something, within `timeout`.
pub fn wait_for<T>(
    rx: &Receiver<Seen>,
    timeout: Duration,
    mut pick: impl FnMut(Seen) -> Option<T>,
) -> T {
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(seen) => {
                if let Some(found) = pick(seen) {
                    return found;
                }
            }
            Err(_) => panic!("nothing expected arrived within {timeout:?}"),
        }
    }
}

/// Waits for the first TLS error reported.
pub fn wait_for_tls_error(rx: &Receiver<Seen>) -> TlsError {
    wait_for(rx, LONG, |seen| match seen {
        Seen::Error(Some(e), _) => Some(e),
        _ => None,
    })
}

/// Waits until the session is in `state`.
pub fn expect_state(s: &SessionHandle, state: SessionState) {
    assert!(
        s.wait_for_state(state, LONG),
        "session {} in {:?}, expected {state:?}",
        s.key(),
        s.state()
    );
}

/// Puts a NewOrderSingle with ClOrdID `id`.
pub fn put_order(s: &SessionHandle, id: &str) {
    let mut order = MessageBuilder::new(b"D");
    order
        .push_str(tag::CL_ORD_ID, id)
        .push_str(55, "EUR/USD")
        .push_char(54, b'1')
        .push_str(60, "20240102-03:04:05.678")
        .push_str(38, "1000000")
        .push_char(40, b'2')
        .push_str(44, "1.08345");
    s.put(&order).expect("put order");
}

/// Waits for an ExecutionReport for ClOrdID `id`.
pub fn expect_execution(rx: &Receiver<Seen>, id: &str) {
    wait_for(rx, LONG, |seen| match seen {
        Seen::Message(m) if m.msg_type() == b"8" && m.get_str(tag::CL_ORD_ID) == Some(id) => {
            Some(())
        }
        _ => None,
    })
}
