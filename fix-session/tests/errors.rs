//! Errors by whose fault they are: the peer's, the driver's, the
//! configuration's; warnings are not errors.

mod common;

use common::*;
use fixrs_proto::FixVersion;
use fixrs_session::testing::Clock;
use fixrs_session::{
    CallerError, ConfigError, Event, MemoryStore, PeerError, Session, SessionConfig, SessionError,
};

/// The errors a session has queued, drained.
fn errors(s: &mut Session) -> Vec<SessionError> {
    let mut out = Vec::new();
    while let Some(e) = s.poll_event() {
        if let Event::Error(e) = e {
            out.push(e);
        }
    }
    out
}

#[test]
fn a_configuration_that_cannot_work_is_a_config_error() {
    let clock = Clock::new();
    let config = SessionConfig::initiator(FixVersion::Fix44, "", "ACC");
    let err = Session::new(
        config,
        Box::new(MemoryStore::new(clock.utc())),
        clock.time(),
    )
    .expect_err("empty SenderCompID");
    assert!(
        matches!(err, SessionError::Config(ConfigError::EmptySenderCompId)),
        "{err:?}"
    );
}

#[test]
fn a_second_link_up_is_the_callers_error() {
    let mut d = established(acceptor());
    d.session.handle_link_up(d.clock.time());
    let errs = errors(&mut d.session);
    assert!(
        matches!(
            errs.as_slice(),
            [SessionError::Caller(CallerError::LinkAlreadyUp { .. })]
        ),
        "{errs:?}"
    );
}

#[test]
fn a_sequence_number_too_low_is_the_peers_error() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let too_low = d.peer.msg_with_seq(b"D", 1, utc).encode();
    d.session.handle_input(&too_low, d.clock.time());
    let errs = errors(&mut d.session);
    assert!(
        matches!(
            errs.as_slice(),
            [SessionError::Peer(PeerError::MsgSeqNumTooLow {
                expected: 2,
                received: 1
            })]
        ),
        "{errs:?}"
    );
}
