//! The acceptor router without sockets: first bytes in, a session or a
//! refusal out, for every refusal the router gives (FIX session test cases
//! 1S b, 1S c and 2S) and for sessions created from templates.

use fixrs_proto::{Encoder, FieldWriter, FixVersion};
use fixrs_session::router::TemplateId;
use fixrs_session::{AcceptRules, AcceptorTemplate, RefusalReason, Route, Router, SessionConfig};
use std::net::SocketAddr;

const PORT: u16 = 9876;

fn peer() -> SocketAddr {
    "192.0.2.7:40000".parse().expect("address")
}

fn other_peer() -> SocketAddr {
    "198.51.100.9:40000".parse().expect("address")
}

/// A Logon from `sender` to `target` with extra header fields.
fn logon_with(begin: &str, sender: &str, target: &str, header: &[(u32, &str)]) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start(begin, b"A");
    enc.push_str(49, sender)
        .push_str(56, target)
        .push_uint(34, 1);
    for (tag, value) in header {
        enc.push_str(*tag, value);
    }
    enc.push_str(52, "20250102-09:30:00")
        .push_uint(98, 0)
        .push_uint(108, 30);
    enc.finish().to_vec()
}

fn logon(sender: &str, target: &str) -> Vec<u8> {
    logon_with("FIX.4.4", sender, target, &[])
}

/// A frame around `body` with a correct BodyLength and CheckSum.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("8=FIX.4.4\x019={}\x01", body.len()).into_bytes();
    out.extend_from_slice(body);
    let sum = out.iter().map(|b| *b as u32).sum::<u32>() % 256;
    out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    out
}

fn acceptor(sender: &str, target: &str) -> SessionConfig {
    SessionConfig::acceptor(FixVersion::Fix44, sender, target)
}

/// A router with the session BROKER <- BANK as 1.
fn broker() -> Router<u32> {
    let mut router = Router::new();
    router.add_session(1, acceptor("BROKER", "BANK").key(), AcceptRules::default());
    router
}

fn refusal<S: std::fmt::Debug>(route: Route<S>) -> (RefusalReason, Option<S>) {
    match route {
        Route::Refuse { reason, session } => (reason, session),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn new_session<S: std::fmt::Debug>(route: Route<S>) -> (TemplateId, SessionConfig, usize) {
    match route {
        Route::NewSession {
            template,
            config,
            len,
        } => (template, *config, len),
        other => panic!("expected a new session, got {other:?}"),
    }
}

#[test]
fn case_1s_a_a_logon_goes_to_its_session_once_complete() {
    let router = broker();
    let mut bytes = logon("BANK", "BROKER");
    let len = bytes.len();
    for cut in [0, 1, 9, len - 1] {
        assert!(matches!(
            router.route(&bytes[..cut], PORT, peer()),
            Route::Incomplete
        ));
    }
    // What follows the Logon in the same read belongs to the session too.
    bytes.extend_from_slice(&logon("BANK", "BROKER"));
    match router.route(&bytes, PORT, peer()) {
        Route::Session { session, len: l } => assert_eq!((session, l), (1, len)),
        other => panic!("{other:?}"),
    }
    // The driver can name the session it routed to.
    assert_eq!(
        router.session_key(1),
        Some(&acceptor("BROKER", "BANK").key())
    );
    assert_eq!(router.session_key(2), None);
}

#[test]
fn case_1s_b_a_second_logon_for_a_connected_session_is_refused() {
    let mut router = broker();
    let bytes = logon("BANK", "BROKER");
    router.connected(1);
    assert!(router.is_connected(1));
    let (reason, session) = refusal(router.route(&bytes, PORT, peer()));
    assert!(
        matches!(&reason, RefusalReason::DuplicateLogon { session } if session == "FIX.4.4:BROKER->BANK"),
        "{reason}"
    );
    assert_eq!(session, Some(1));
    // Once its link is gone the session takes a Logon again.
    router.disconnected(1);
    assert!(matches!(
        router.route(&bytes, PORT, peer()),
        Route::Session { session: 1, .. }
    ));
}

#[test]
fn case_1s_c_unknown_comp_ids_are_refused() {
    let router = broker();
    let (reason, session) = refusal(router.route(&logon("STRANGER", "BROKER"), PORT, peer()));
    match reason {
        RefusalReason::UnknownSession {
            begin_string,
            sender_comp_id,
            target_comp_id,
        } => assert_eq!(
            (&*begin_string, &*sender_comp_id, &*target_comp_id),
            ("FIX.4.4", "STRANGER", "BROKER")
        ),
        other => panic!("{other}"),
    }
    assert_eq!(session, None);
}

#[test]
fn case_1s_c_a_known_pair_on_another_fix_version_names_the_expected_begin_string() {
    let router = broker();
    let bytes = logon_with("FIX.4.2", "BANK", "BROKER", &[]);
    let (reason, _) = refusal(router.route(&bytes, PORT, peer()));
    match reason {
        RefusalReason::WrongBeginString {
            received,
            expected,
            session,
        } => {
            assert_eq!((&*received, &*expected), ("FIX.4.2", "FIX.4.4"));
            assert_eq!(session, "FIX.4.4:BROKER->BANK");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn case_1s_c_a_peer_address_not_allowed_is_refused() {
    let mut router = Router::new();
    let rules = AcceptRules::default().with_allowed_remote_addresses(vec![peer().ip()]);
    router.add_session(7u8, acceptor("BROKER", "BANK").key(), rules);
    let bytes = logon("BANK", "BROKER");
    assert!(matches!(
        router.route(&bytes, PORT, peer()),
        Route::Session { session: 7, .. }
    ));
    let (reason, session) = refusal(router.route(&bytes, PORT, other_peer()));
    assert!(
        matches!(reason, RefusalReason::AddressNotAllowed { .. }),
        "{reason}"
    );
    assert_eq!(session, Some(7));
}

#[test]
fn sessions_restricted_to_a_port_take_logons_only_there() {
    let mut router = Router::new();
    router.add_session(
        1u32,
        acceptor("BROKER", "BANK").key(),
        AcceptRules::default().with_port(PORT),
    );
    let bytes = logon("BANK", "BROKER");
    assert!(matches!(
        router.route(&bytes, PORT, peer()),
        Route::Session { .. }
    ));
    let (reason, _) = refusal(router.route(&bytes, PORT + 1, peer()));
    assert!(
        matches!(reason, RefusalReason::UnknownSession { .. }),
        "{reason}"
    );
}

#[test]
fn sub_and_location_ids_tell_sessions_with_the_same_comp_ids_apart() {
    let mut router = Router::new();
    let mut desk_a = acceptor("BROKER", "BANK");
    desk_a.id.target_sub_id = Some("DESK-A".into());
    let mut desk_b = acceptor("BROKER", "BANK");
    desk_b.id.target_sub_id = Some("DESK-B".into());
    desk_b.id.sender_location_id = Some("LDN".into());
    router.add_session(1u32, desk_a.key(), AcceptRules::default());
    router.add_session(2u32, desk_b.key(), AcceptRules::default());
    let route = |header: &[(u32, &str)]| {
        router.route(
            &logon_with("FIX.4.4", "BANK", "BROKER", header),
            PORT,
            peer(),
        )
    };
    assert!(matches!(
        route(&[(50, "DESK-A")]),
        Route::Session { session: 1, .. }
    ));
    assert!(matches!(
        route(&[(50, "DESK-B"), (143, "LDN")]),
        Route::Session { session: 2, .. }
    ));
    // DESK-B's session is for location LDN only.
    let (reason, _) = refusal(route(&[(50, "DESK-B"), (143, "NYC")]));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));
    let (reason, _) = refusal(route(&[]));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));
}

#[test]
fn case_2s_a_first_message_that_is_not_a_logon_is_refused() {
    let router = broker();
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", b"D");
    enc.push_str(49, "BANK")
        .push_str(56, "BROKER")
        .push_uint(34, 1);
    let order = enc.finish().to_vec();
    let (reason, _) = refusal(router.route(&order, PORT, peer()));
    assert!(
        matches!(&reason, RefusalReason::NotLogon { msg_type } if msg_type == "D"),
        "{reason}"
    );
}

#[test]
fn garbled_first_bytes_are_refused() {
    let router = broker();
    let (reason, _) = refusal(router.route(b"GET / HTTP/1.1\r\n\r\n", PORT, peer()));
    assert!(matches!(reason, RefusalReason::Garbled(_)), "{reason}");
    // A wrong CheckSum.
    let mut bytes = logon("BANK", "BROKER");
    let n = bytes.len();
    bytes[n - 2] = if bytes[n - 2] == b'0' { b'1' } else { b'0' };
    let (reason, _) = refusal(router.route(&bytes, PORT, peer()));
    assert!(matches!(reason, RefusalReason::Garbled(_)), "{reason}");
}

#[test]
fn a_frame_whose_fields_cannot_be_read_is_refused() {
    let router = broker();
    let bytes = frame(b"35=A\x01no equals sign\x01");
    let (reason, _) = refusal(router.route(&bytes, PORT, peer()));
    assert!(matches!(reason, RefusalReason::Unparsable(_)), "{reason}");
}

#[test]
fn an_oversize_first_message_is_refused_before_it_is_read_whole() {
    let router: Router<u32> = broker().with_max_logon_size(256);
    assert_eq!(router.max_logon_size(), 256);
    // Declared larger than the limit: refused from its header.
    let (reason, _) = refusal(router.route(b"8=FIX.4.4\x019=100000\x0135=A\x01", PORT, peer()));
    assert!(
        matches!(reason, RefusalReason::TooLarge { limit: 256 }),
        "{reason}"
    );
    // Declared within the limit, but with its header and trailer over it.
    let mut endless = b"8=FIX.4.4\x019=250\x0135=A\x01".to_vec();
    endless.resize(256, b'x');
    let (reason, _) = refusal(router.route(&endless, PORT, peer()));
    assert!(matches!(reason, RefusalReason::TooLarge { .. }), "{reason}");
}

#[test]
fn a_template_creates_sessions_for_the_identities_it_allows() {
    let mut router = broker();
    let mut config = acceptor("BROKER", "*");
    config.heart_bt_int = 45;
    config.reset_on_logon = true;
    let template = router.add_template(AcceptorTemplate::new(config));

    // A registered session still takes its own Logons.
    assert!(matches!(
        router.route(&logon("BANK", "BROKER"), PORT, peer()),
        Route::Session { session: 1, .. }
    ));
    let bytes = logon("FUND", "BROKER");
    let (id, config, len) = new_session(router.route(&bytes, PORT, peer()));
    assert_eq!((id, len), (template, bytes.len()));
    assert_eq!(config.key().to_string(), "FIX.4.4:BROKER->FUND");
    assert_eq!(config.role, fixrs_session::Role::Acceptor);
    assert_eq!((config.heart_bt_int, config.reset_on_logon), (45, true));
    assert_eq!(
        router
            .template(template)
            .map(|t| t.config.id.target_comp_id.as_str()),
        Some("*")
    );

    // The template does not cover another of our CompIDs, nor another
    // FIX version.
    let (reason, _) = refusal(router.route(&logon("FUND", "OTHER"), PORT, peer()));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));
    let fix42 = logon_with("FIX.4.2", "FUND", "BROKER", &[]);
    let (reason, _) = refusal(router.route(&fix42, PORT, peer()));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));

    // Once created and registered, the session is routed as any other,
    // duplicate Logons included.
    router.add_session(2, config.key(), AcceptRules::default());
    router.connected(2);
    let (reason, session) = refusal(router.route(&bytes, PORT, peer()));
    assert!(matches!(reason, RefusalReason::DuplicateLogon { .. }));
    assert_eq!(session, Some(2));
    assert!(router.remove_session(2));
    assert!(!router.remove_session(2));
    assert!(matches!(
        router.route(&bytes, PORT, peer()),
        Route::NewSession { .. }
    ));
}

#[test]
fn template_sub_ids_are_matched_or_taken_from_the_logon() {
    let mut router: Router<u32> = Router::new();
    let mut config = acceptor("*", "*");
    config.id.target_sub_id = Some("*".into());
    config.id.sender_location_id = Some("LDN".into());
    router.add_template(AcceptorTemplate::new(config));
    let with = |header: &[(u32, &str)]| {
        router.route(
            &logon_with("FIX.4.4", "FUND", "BROKER", header),
            PORT,
            peer(),
        )
    };
    let (_, config, _) = new_session(with(&[(50, "TRADER-1"), (143, "LDN")]));
    assert_eq!(
        (
            config.id.sender_comp_id.as_str(),
            config.id.target_comp_id.as_str()
        ),
        ("BROKER", "FUND")
    );
    assert_eq!(config.id.target_sub_id.as_deref(), Some("TRADER-1"));
    assert_eq!(config.id.sender_location_id.as_deref(), Some("LDN"));
    // `*` takes an absent ID as absent.
    let (_, config, _) = new_session(with(&[(143, "LDN")]));
    assert_eq!(config.id.target_sub_id, None);
    // A fixed ID must match.
    let (reason, _) = refusal(with(&[(143, "NYC")]));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));
}

#[test]
fn template_rules_restrict_ports_and_peer_addresses_and_the_first_template_wins() {
    let mut router: Router<u32> = Router::new();
    let only_here = AcceptRules::default()
        .with_port(PORT)
        .with_allowed_remote_addresses(vec![peer().ip()]);
    let mut first = acceptor("BROKER", "*");
    first.heart_bt_int = 10;
    let first = router.add_template(AcceptorTemplate::new(first).with_rules(only_here));
    let mut second = acceptor("BROKER", "*");
    second.heart_bt_int = 20;
    let second = router.add_template(
        AcceptorTemplate::new(second).with_rules(AcceptRules::default().with_port(PORT + 1)),
    );
    let bytes = logon("FUND", "BROKER");
    let (id, config, _) = new_session(router.route(&bytes, PORT, peer()));
    assert_eq!((id, config.heart_bt_int), (first, 10));
    let (id, config, _) = new_session(router.route(&bytes, PORT + 1, other_peer()));
    assert_eq!((id, config.heart_bt_int), (second, 20));
    let (reason, session) = refusal(router.route(&bytes, PORT, other_peer()));
    assert!(
        matches!(&reason, RefusalReason::AddressNotAllowed { session } if session == "FIX.4.4:BROKER->FUND"),
        "{reason}"
    );
    assert_eq!(session, None);
    let (reason, _) = refusal(router.route(&bytes, PORT + 2, peer()));
    assert!(matches!(reason, RefusalReason::UnknownSession { .. }));
}
