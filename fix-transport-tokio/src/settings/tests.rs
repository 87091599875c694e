use super::*;
use fixrs_session::settings::{testing, KeyDoc};

const BASE: &str = "\
[DEFAULT]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=ME
TargetCompID=YOU
HeartBtInt=30
SocketConnectHost=127.0.0.1
SocketConnectPort=5001
";

fn session(_: &KeyDoc) -> String {
    format!("{BASE}[SESSION]\n")
}

/// The options each session of `text` gets, as `start_from_settings`
/// makes them (before it connects or listens).
fn options(text: &str) -> Result<Vec<SessionOptions>, String> {
    let settings = Settings::parse(text).map_err(|e| e.to_string())?;
    let sessions = fixrs_transport_tls::settings::read_settings_with(&settings, &[KEYS])
        .map_err(|e| e.to_string())?;
    sessions
        .iter()
        .zip(&settings.sessions)
        .map(|(s, section)| {
            let own = EngineKeys::read(section).map_err(|e| e.to_string())?;
            prepare(s, &own).map(|(o, _)| o).map_err(|e| e.to_string())
        })
        .collect()
}

fn capacities(text: &str) -> Result<Vec<(usize, usize)>, String> {
    options(text).map(|all| {
        all.iter()
            .map(|o| (o.event_capacity, o.queue_capacity))
            .collect()
    })
}

#[test]
fn every_documented_key_is_accepted_with_its_example() {
    testing::check_examples(&[KEYS], session, |text| options(text).map(|_| ()));
}

#[test]
fn reference_matches_the_key_table() {
    testing::check_reference(&[KEYS], env!("CARGO_MANIFEST_DIR"), "fixrs-transport-tokio");
}

#[test]
fn documented_defaults_are_the_built_in_defaults() {
    testing::check_defaults(&[KEYS], session, capacities);
}

#[test]
fn capacities_take_effect_per_session_and_from_default() {
    let text = format!(
        "{BASE}EventCapacity=64\n[SESSION]\n[SESSION]\nTargetCompID=OTHER\n\
         EventCapacity=8\nSendQueueCapacity=2\n"
    );
    assert_eq!(
        capacities(&text).expect("valid"),
        [(64, DEFAULT_QUEUE_CAPACITY), (8, 2)]
    );
    assert_eq!(
        capacities(&format!("{BASE}[SESSION]\n")).expect("valid"),
        [(DEFAULT_EVENT_CAPACITY, DEFAULT_QUEUE_CAPACITY)]
    );
}

#[test]
fn a_bad_capacity_names_its_line_and_key() {
    let text = format!("{BASE}[SESSION]\nEventCapacity=0\n");
    let e = capacities(&text).expect_err("zero");
    assert!(e.contains("line 10") && e.contains("EventCapacity"), "{e}");
    let text = format!("{BASE}[SESSION]\nSendQueueCapacity=many\n");
    let e = capacities(&text).expect_err("not a number");
    assert!(
        e.contains("line 10") && e.contains("SendQueueCapacity"),
        "{e}"
    );
}

#[test]
fn the_mio_engine_refuses_the_keys_of_this_one() {
    // They would have no effect there.
    let settings = Settings::parse(&format!("{BASE}[SESSION]\nEventCapacity=64\n")).expect("parse");
    let e = fixrs_transport_tls::settings::read_settings(&settings).expect_err("unknown there");
    assert!(
        matches!(&e, SettingsError::UnknownKey { key, line: 10, .. } if key == "EventCapacity"),
        "{e}"
    );
}
