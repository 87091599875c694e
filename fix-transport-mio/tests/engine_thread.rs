//! Calls that wait for the engine thread, made from a callback on that
//! thread, return an error (or do not wait) instead of waiting for
//! themselves for ever.

mod common;

use common::*;
use fixrs_proto::FixVersion;
use fixrs_session::{AcceptorTemplate, Role, SessionConfig};
use fixrs_transport_mio::{
    Application, ChannelApplication, EngineError, FixEngine, SessionHandle, SessionId,
    SessionOptions, SessionState, TemplateOptions,
};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(10);

/// On logon, calls what waits for the engine from the engine's thread and
/// reports what each call returned.
struct CallsBack {
    engine: Arc<Mutex<Weak<FixEngine>>>,
    /// A handle of another session, finalized from the callback.
    other: Option<SessionHandle>,
    results: Sender<String>,
}

impl Application for CallsBack {
    fn on_logon(&mut self, session: &SessionHandle) {
        let Some(engine) = self.engine.lock().expect("lock").upgrade() else {
            return;
        };
        let describe = |r: Result<(), EngineError>| match r {
            Ok(()) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        let created = engine
            .create_session(
                SessionId::new("NEW", "PEER"),
                FixVersion::Fix44,
                ChannelApplication::new().0,
            )
            .map(drop);
        let listened = engine.listen(any_port()).map(drop);
        let template = engine.add_acceptor_template(
            AcceptorTemplate::new(SessionConfig::acceptor(FixVersion::Fix44, "ACC", "*")),
            TemplateOptions::default(),
            ChannelApplication::new().0,
        );
        for r in [created, listened, template] {
            let _ = self.results.send(describe(r));
        }
        // The state cannot change while the callback runs: no wait.
        let now = session.wait_for_state(SessionState::Established, Duration::from_secs(3600));
        let _ = self.results.send(format!("established: {now}"));
        if let Some(other) = self.other.take() {
            other.finalize();
            let _ = self.results.send("finalized".into());
        }
        // The last strong reference may go here: the engine stops after
        // the callback instead of waiting for itself.
        drop(engine);
    }
}

#[test]
fn calls_that_wait_for_the_engine_fail_or_return_from_its_callbacks() {
    let acceptor = engine();
    let addr = acceptor.listen(any_port()).expect("listen");
    let _acc = acceptor
        .create_session_with(
            config(Role::Acceptor, "ACC", "INI"),
            SessionOptions::default(),
            ChannelApplication::new().0,
        )
        .expect("acceptor");

    let slot = Arc::new(Mutex::new(Weak::new()));
    let initiators = Arc::new(engine());
    *slot.lock().expect("lock") = Arc::downgrade(&initiators);
    let other = initiators
        .create_session(
            SessionId::new("OTHER", "ACC"),
            FixVersion::Fix44,
            ChannelApplication::new().0,
        )
        .expect("other session");
    let (tx, results) = mpsc::channel();
    let ini = initiators
        .create_session_with(
            config(Role::Initiator, "INI", "ACC"),
            SessionOptions::default(),
            CallsBack {
                engine: slot,
                other: Some(other),
                results: tx,
            },
        )
        .expect("initiator");
    ini.connect(30, &addr.to_string()).expect("connect");
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(results.recv_timeout(LONG).expect("a result"));
    }
    for (said, call) in got
        .iter()
        .zip(["create_session", "listen", "add_acceptor_template"])
    {
        assert!(
            said.starts_with(call) && said.contains("engine thread"),
            "{said}"
        );
    }
    assert_eq!(got[3], "established: true");
    assert_eq!(got[4], "finalized");
    expect_state(&ini, SessionState::Established, LONG);
    // The engine goes on: a session can still be created from outside.
    initiators
        .create_session(
            SessionId::new("NEW", "PEER"),
            FixVersion::Fix44,
            ChannelApplication::new().0,
        )
        .expect("created from outside the engine thread");
    drop(initiators);
    acceptor.stop();
}
