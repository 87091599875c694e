//! A file store has one opener: a second engine running the same settings
//! file, or the same sessions started twice in one engine, is refused with
//! an error naming the store, and the first keeps its store intact.

mod common;

use common::*;
use fixrs_session::Settings;
use fixrs_store::FileStoreError;
use fixrs_transport_mio::{ChannelApplication, EngineError, FixEngine, SessionHandle};
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(20);

/// An acceptor ACC for the counterparty INI on a port of the system's
/// choosing, with its file store in `dir/store`.
fn settings(dir: &Path) -> Settings {
    Settings::parse(&format!(
        "[DEFAULT]\n\
         ConnectionType=acceptor\n\
         SocketAcceptHost=127.0.0.1\n\
         SocketAcceptPort=0\n\
         FileStorePath={}/store\n\
         [SESSION]\n\
         BeginString=FIX.4.4\n\
         SenderCompID=ACC\n\
         TargetCompID=INI\n",
        dir.display()
    ))
    .expect("settings")
}

fn start(engine: &FixEngine, dir: &Path) -> Result<Vec<SessionHandle>, EngineError> {
    engine.start_from_settings(&settings(dir), |_| ChannelApplication::new().0)
}

/// Checks that `e` refuses the store of ACC->INI in `dir/store`, naming it
/// and saying that someone else holds it.
fn assert_store_in_use(e: &EngineError, dir: &Path) {
    let store = dir.join("store");
    match e {
        EngineError::FileStore(FileStoreError::Locked { path, session, .. }) => {
            assert_eq!(path, &store.join("FIX.4.4+ACC+INI.lock"));
            assert_eq!(session, "FIX.4.4:ACC->INI");
        }
        other => panic!("expected the store's lock to refuse, got {other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "the file store of session FIX.4.4:ACC->INI in {} is in use by another process or another session of this one",
            store.display()
        )),
        "{text}"
    );
}

#[test]
fn a_second_engine_running_the_same_settings_file_is_refused_naming_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = engine();
    let sessions = start(&first, dir.path()).expect("the first engine starts");
    let second = engine();
    let refused = start(&second, dir.path()).expect_err("the store is the first engine's");
    assert_store_in_use(&refused, dir.path());

    // The first engine's session works on, with its store: a Logon is
    // answered, which takes MsgSeqNum 1. (The counterparty leaves at
    // once, so the engine thread may count the reply a moment after the
    // counterparty read it.)
    let port = first.listen_addresses()[0].port();
    let addr = format!("127.0.0.1:{port}").parse().expect("address");
    assert!(logon_until_accepted(addr, "INI", LONG).is_some());
    assert!(
        wait_until(LONG, || sessions[0].out_seq_num() == 2),
        "{}",
        sessions[0].out_seq_num()
    );

    // Once the first engine stopped (without a Logout, which would take a
    // MsgSeqNum), the second runs the file and continues its sequence.
    first.stop_now();
    let sessions = start(&second, dir.path()).expect("the store is free");
    assert_eq!(sessions[0].out_seq_num(), 2);
}

#[test]
fn sessions_started_twice_in_one_engine_are_refused_until_finalized() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine();
    let sessions = start(&engine, dir.path()).expect("first start");
    let refused = start(&engine, dir.path()).expect_err("the store is in use");
    assert_store_in_use(&refused, dir.path());
    assert!(
        refused.to_string().contains("this process holds the lock"),
        "{refused}"
    );
    // Finalizing closes the store before it returns.
    for s in sessions {
        s.finalize();
    }
    start(&engine, dir.path()).expect("the store is free again");
}
