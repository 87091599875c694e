//! `fixctl initiator` and `fixctl acceptor` from generated settings files:
//! against each other over 127.0.0.1 with scripted input, and the errors a
//! user sees for a bad settings file or a counterparty that is not there.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write settings");
    path.to_str().expect("UTF-8 path").to_string()
}

fn acceptor_settings(dir: &Path) -> String {
    acceptor_settings_with(dir, "")
}

fn acceptor_settings_with(dir: &Path, extra: &str) -> String {
    write(
        dir,
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\n\
             ConnectionType=acceptor\n\
             BeginString=FIX.4.4\n\
             SenderCompID=BROKER\n\
             SocketAcceptHost=127.0.0.1\n\
             # 0: the system picks a free port, printed at start.\n\
             SocketAcceptPort=0\n\
             FileStorePath={0}/acceptor-store\n\
             {extra}\
             \n\
             [SESSION]\n\
             TargetCompID=CLIENT\n",
            dir.display()
        ),
    )
}

/// The port a `fixctl acceptor` says it listens on, from its output lines.
fn listening_port(lines: &std::sync::mpsc::Receiver<String>) -> u16 {
    loop {
        let line = lines
            .recv_timeout(LIMIT)
            .expect("the acceptor prints where it listens");
        if let Some(addr) = line.split("listening on ").nth(1) {
            return addr
                .rsplit(':')
                .next()
                .unwrap()
                .trim()
                .parse::<u16>()
                .unwrap();
        }
    }
}

fn initiator_settings(dir: &Path, port: u16) -> String {
    initiator_settings_with(dir, port, "")
}

fn initiator_settings_with(dir: &Path, port: u16, extra: &str) -> String {
    write(
        dir,
        "initiator.cfg",
        &format!(
            "[DEFAULT]\n\
             ConnectionType=initiator\n\
             BeginString=FIX.4.4\n\
             SenderCompID=CLIENT\n\
             HeartBtInt=30\n\
             SocketConnectHost=127.0.0.1\n\
             SocketConnectPort={port}\n\
             FileStorePath={0}/initiator-store\n\
             {extra}\
             \n\
             [SESSION]\n\
             TargetCompID=BROKER\n",
            dir.display()
        ),
    )
}

#[test]
fn initiator_and_acceptor_exchange_an_order_and_log_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = format!("FileLogPath={}/initiator-log\n", d.display());
    let (initiator, acceptor) = exchange(d, "", &log, &[], &[]);
    // The acceptor's Logout reply has no Text: the initiator does not
    // show its own Logout's text as the counterparty's.
    assert!(
        initiator.contains("FIX.4.4:CLIENT->BROKER logged out\n"),
        "{initiator}"
    );
    assert!(!initiator.contains("logged out: fixctl"), "{initiator}");
    // The initiator's Logout had one: the acceptor shows it.
    assert!(
        acceptor.contains("FIX.4.4:BROKER->CLIENT logged out: fixctl: logging out"),
        "{acceptor}"
    );
    // Finalizing after the clean logout keeps it clean.
    let events =
        std::fs::read_to_string(d.join("initiator-log/FIX.4.4-CLIENT-BROKER.event.current.log"))
            .expect("the initiator's event log");
    assert!(
        events.contains("State WaitForConfirmLogout -> CorrectlyTerminated"),
        "{events}"
    );
    assert!(!events.contains("-> NonGracefullyTerminated"), "{events}");
    assert!(events.contains("session finalized"), "{events}");
}

#[test]
fn verbose_is_accepted_before_and_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let (initiator, acceptor) = exchange(dir.path(), "", "", &["-v"], &["-v"]);
    // -v shows the engine's log.
    assert!(
        initiator.contains(" engine session FIX.4.4:CLIENT->BROKER created"),
        "{initiator}"
    );
    assert!(
        acceptor.contains(" engine session FIX.4.4:BROKER->CLIENT created"),
        "{acceptor}"
    );
}

#[test]
fn initiator_and_acceptor_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca("fixctl test CA");
    let (server_cert, server_key) = leaf(&ca, "localhost");
    let (client_cert, client_key) = leaf(&ca, "CLIENT");
    let file = |name: &str, text: &str| write(d, name, text);
    let acceptor_tls = format!(
        "SocketUseSSL=Y\nServerCertificateFile={}\nServerCertificateKeyFile={}\n\
         CertificationAuthoritiesFile={}\nCertificateVerifyLevel=1\n",
        file("server.pem", &server_cert),
        file("server.key", &server_key),
        file("ca.pem", &ca.1),
    );
    let initiator_tls = format!(
        "SocketUseSSL=Y\nSSLServerName=localhost\nCertificationAuthoritiesFile={}\n\
         ClientCertificateFile={}\nClientCertificateKeyFile={}\n",
        file("ca.pem", &ca.1),
        file("client.pem", &client_cert),
        file("client.key", &client_key),
    );
    let (initiator, acceptor) = exchange(d, &acceptor_tls, &initiator_tls, &["-v"], &["-v"]);
    // -v names the negotiated version and cipher suite (TLS 1.3 is
    // preferred when both sides offer it).
    for out in [&initiator, &acceptor] {
        assert!(out.contains(" done: TLSv1.3, TLS13_"), "{out}");
    }
}

/// A self-signed certificate authority: its issuer and its PEM.
fn ca(name: &str) -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (rcgen::Issuer::new(params, key), pem)
}

/// A certificate for `name` (and localhost, 127.0.0.1) issued by `ca`:
/// certificate and key, PEM.
fn leaf(ca: &(rcgen::Issuer<'static, rcgen::KeyPair>, String), name: &str) -> (String, String) {
    let names = vec![name.to_string(), "localhost".into(), "127.0.0.1".into()];
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.0).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Runs an acceptor and an initiator from settings with `acceptor_extra`
/// and `initiator_extra` lines under [DEFAULT]; the initiator sends an
/// order, the acceptor answers it, the initiator logs out. `-v` in the
/// flags goes before the acceptor's subcommand and after the initiator's.
/// Returns what the initiator and the acceptor printed.
fn exchange(
    dir: &Path,
    acceptor_extra: &str,
    initiator_extra: &str,
    acceptor_flags: &[&str],
    initiator_flags: &[&str],
) -> (String, String) {
    let acceptor_cfg = acceptor_settings_with(dir, acceptor_extra);
    let mut args = acceptor_flags.to_vec();
    args.extend(["acceptor", "-c", &acceptor_cfg]);
    let mut acceptor = common::spawn(&args);
    // The acceptor's script: wait for the order, answer it, wait for the
    // initiator to log out, then end of input.
    let mut stdin = acceptor.stdin.take().unwrap();
    stdin
        .write_all(
            b"# answer the first order\n\
              :expect D 30\n\
              35=8|37=SELL-1|17=EXEC-1|11=ORD-1|150=0|39=0|55=EUR/USD|54=1|38=100|151=100|14=0|6=0\n\
              :wait logout 30\n",
        )
        .unwrap();
    drop(stdin);
    let (lines, acceptor_out) = common::watch_stdout(&mut acceptor);
    let port = listening_port(&lines);

    let initiator_cfg = initiator_settings_with(dir, port, initiator_extra);
    let mut args = vec!["initiator", "-c", &initiator_cfg];
    args.extend(initiator_flags);
    let initiator = common::run(
        &args,
        ":wait logon 30\n\
         35=D|34=5|11=BAD\n\
         35=D|11=ORD-1|Symbol=EUR/USD|54=1|60=20250102-09:30:00|38=100|40=1\n\
         :expect 8 30\n\
         q\n",
        LIMIT,
    );
    assert!(initiator.status.success(), "{initiator:?}");
    let out = &initiator.stdout;
    assert!(
        out.contains("FIX.4.4:CLIENT->BROKER connecting to 127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("FIX.4.4:CLIENT->BROKER state WaitForConfirmLogon -> Established"),
        "{out}"
    );
    assert!(
        out.contains("fixctl error: not sent: MsgSeqNum(34) is set by the session: leave it out"),
        "{out}"
    );
    assert!(
        out.contains(">> NewOrderSingle ClOrdID=ORD-1 Side=BUY Symbol=EUR/USD OrderQty=100"),
        "{out}"
    );
    assert!(out.contains("<< ExecutionReport #2 ClOrdID=ORD-1 ExecType=NEW OrdStatus=NEW Symbol=EUR/USD CumQty=0"), "{out}");
    assert!(
        out.contains("state WaitForConfirmLogout -> CorrectlyTerminated"),
        "{out}"
    );

    let acceptor = common::finish(acceptor, LIMIT);
    let out = acceptor_out.join().unwrap();
    assert!(acceptor.status.success(), "{acceptor:?}\n{out}");
    assert!(out.contains("FIX.4.4:BROKER->CLIENT << NewOrderSingle #2 ClOrdID=ORD-1 Side=BUY Symbol=EUR/USD OrderQty=100"), "{out}");
    assert!(
        out.contains("FIX.4.4:BROKER->CLIENT >> ExecutionReport ClOrdID=ORD-1"),
        "{out}"
    );
    (initiator.stdout, out)
}

#[test]
fn a_bad_settings_file_names_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "bad.cfg",
        "[DEFAULT]\n\
         ConnectionType=initiator\n\
         BeginString=FIX.4.4\n\
         SenderCompID=CLIENT\n\
         HeartBtInt=30\n\
         SocketConnectHost=127.0.0.1\n\
         SocketConnectPort=9876\n\
         \n\
         [SESSION]\n\
         TargetCompID=BROKER\n\
         ReconectInterval=5\n",
    );
    let run = common::run(&["initiator", "-c", &cfg], "", LIMIT);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stderr,
        format!("fixctl: error: {cfg}: line 11: unknown key ReconectInterval\n")
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn a_missing_settings_file_is_one_line() {
    let run = common::run(&["acceptor", "-c", "/nonexistent/session.cfg"], "", LIMIT);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        run.stderr
            .starts_with("fixctl: error: cannot read /nonexistent/session.cfg: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn a_file_without_sessions_of_the_role_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = acceptor_settings(dir.path());
    let run = common::run(&["initiator", "-c", &cfg], "", LIMIT);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stderr,
        format!("fixctl: error: {cfg}: no session with ConnectionType=initiator\n")
    );
}

#[test]
fn connection_refused_names_the_host_and_port() {
    let (_held, port) = refusing_port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = initiator_settings(dir.path(), port);
    // Standard input stays open, as at a terminal.
    let mut child = common::spawn(&["initiator", "-c", &cfg]);
    let stdin = child.stdin.take();
    let run = common::finish(child, LIMIT);
    drop(stdin);
    assert_connection_refused(&run, port);
}

/// A port nobody listens on, held (bound without listening) while the
/// returned socket lives: connecting to it is refused, and no acceptor of
/// another test can be given it meanwhile.
fn refusing_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

/// The run ended with the one-line error of a refused connection.
fn assert_connection_refused(run: &common::Run, port: u16) {
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let err = run.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "fixctl: error: cannot connect to 127.0.0.1:{port}: "
        )),
        "{err}"
    );
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn ctrl_c_logs_out_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = acceptor_settings(dir.path());
    let mut acceptor = common::spawn(&["acceptor", "-c", &cfg]);
    // Standard input stays open: only the signal ends the program.
    let stdin = acceptor.stdin.take().unwrap();
    let (lines, out) = common::watch_stdout(&mut acceptor);
    listening_port(&lines);
    interrupt(&acceptor);
    let run = common::finish(acceptor, LIMIT);
    drop(stdin);
    let out = out.join().unwrap();
    assert!(run.status.success(), "{run:?}\n{out}");
    assert!(out.contains("fixctl interrupted: logging out"), "{out}");
}

#[test]
fn a_validating_acceptor_shows_what_it_rejects_and_warns_of_ignored_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // UseDataDictionary defaults to Y: the built-in FIX 4.4 dictionary.
    // HttpAcceptPort is a QuickFIX key without effect here: a warning.
    let acceptor_cfg = acceptor_settings_with(d, "HttpAcceptPort=8080\n");
    let mut acceptor = common::spawn(&["acceptor", "-c", &acceptor_cfg]);
    let mut stdin = acceptor.stdin.take().unwrap();
    stdin.write_all(b":wait logout 30\n").unwrap();
    drop(stdin);
    let (lines, acceptor_out) = common::watch_stdout(&mut acceptor);
    let port = listening_port(&lines);
    let initiator_cfg = initiator_settings(d, port);
    // An order without Side, OrdType and TransactTime.
    let initiator = common::run(
        &["initiator", "-c", &initiator_cfg],
        ":wait logon 30\n\
         35=D|11=ORD-1|Symbol=EUR/USD|38=100\n\
         :expect 3 30\n\
         q\n",
        LIMIT,
    );
    assert!(initiator.status.success(), "{initiator:?}");
    let out = &initiator.stdout;
    assert!(out.contains("<< Reject #2"), "{out}");
    let acceptor = common::finish(acceptor, LIMIT);
    let out = acceptor_out.join().unwrap();
    assert!(acceptor.status.success(), "{acceptor:?}\n{out}");
    assert!(
        out.contains(&format!(
            "warning: {acceptor_cfg}: line 9: HttpAcceptPort has no effect: "
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "rejected an incoming message: Required tag missing (MsgSeqNum 2, SessionRejectReason 1, RefTagID 40): 8=FIX.4.4|"
        ),
        "{out}"
    );
    assert!(out.contains("|11=ORD-1|55=EUR/USD|38=100|"), "{out}");
}

#[test]
fn a_bad_data_dictionary_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("FIX44-custom.xml");
    let cfg = acceptor_settings_with(
        dir.path(),
        &format!("DataDictionary={}\n", missing.display()),
    );
    let run = common::run(&["acceptor", "-c", &cfg], "", LIMIT);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "fixctl: error: {cfg}: line 9: DataDictionary={}: cannot read it: ",
            missing.display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert_eq!(run.stdout, "");
}

#[test]
fn end_of_input_before_a_refused_connect_still_fails_every_time() {
    // With input at its end at once (`</dev/null`), the end of input and
    // the connect failure race: the failure must win every time. Runs
    // enough times to catch a one-in-five loss.
    let (_held, port) = refusing_port();
    let runs: Vec<common::Run> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(move || {
                    // A store each: processes must not share one.
                    let dir = tempfile::tempdir().unwrap();
                    let cfg = initiator_settings(dir.path(), port);
                    (0..10)
                        .map(|_| common::run(&["initiator", "-c", &cfg], "", LIMIT))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    for run in &runs {
        assert_connection_refused(run, port);
    }
}

#[test]
fn end_of_input_waits_for_the_logon_then_logs_out() {
    // `fixctl initiator </dev/null` against a counterparty that is there:
    // a connectivity check that logs on, logs out and succeeds.
    let dir = tempfile::tempdir().unwrap();
    let (acceptor, port) = broker(1);
    let cfg = initiator_settings(dir.path(), port);
    let run = common::run(&["initiator", "-c", &cfg], "", LIMIT);
    assert!(run.status.success(), "{run:?}");
    assert!(run.stdout.contains("logged on"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("state WaitForConfirmLogout -> CorrectlyTerminated"),
        "{}",
        run.stdout
    );
    drop(acceptor);
}

/// An acceptor BROKER for CLIENT on a free port, expecting MsgSeqNum
/// `next_in` next: (its engine, its port).
fn broker(next_in: u64) -> (fixrs_transport_mio::FixEngine, u16) {
    use fixrs_session::{MemoryStore, SessionConfig, Store};
    use fixrs_transport_mio::{ChannelApplication, EngineSettings, FixEngine, SessionOptions};
    let engine = FixEngine::new(EngineSettings::default()).expect("engine");
    let addr = engine
        .listen("127.0.0.1:0".parse().unwrap())
        .expect("listen");
    let mut store = MemoryStore::new(fixrs_proto::UtcTimestamp::from(std::time::SystemTime::now()));
    store.set_next_target_seq_num(next_in).expect("store");
    engine
        .create_session_with(
            SessionConfig::acceptor(fixrs_proto::FixVersion::Fix44, "BROKER", "CLIENT"),
            SessionOptions::default().with_store(store),
            ChannelApplication::new().0,
        )
        .expect("session");
    (engine, addr.port())
}

#[test]
fn a_refused_logon_ends_with_the_counterparty_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, port) = broker(302);
    let cfg = initiator_settings(dir.path(), port);
    let run = common::run(&["initiator", "-c", &cfg], ":wait logon 30\nq\n", LIMIT);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "fixctl: error: logon to 127.0.0.1:{port} failed: the counterparty logged out: \
             MsgSeqNum too low, expecting 302 but received 1\n"
        )
    );
}

#[test]
fn a_file_log_path_that_is_a_file_names_the_key_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "").unwrap();
    let cfg = acceptor_settings_with(dir.path(), &format!("FileLogPath={}\n", file.display()));
    let run = common::run(&["acceptor", "-c", &cfg], "", LIMIT);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "fixctl: error: {cfg}: session at line {}: invalid setting FileLogPath: \
             cannot open the FIX log in {}: File exists (os error 17)\n",
            session_line(&cfg),
            file.display()
        )
    );
    let cfg = acceptor_settings_with(dir.path(), "");
    let cfg_text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("/acceptor-store", "/not-a-directory");
    std::fs::write(&cfg, cfg_text).unwrap();
    let run = common::run(&["acceptor", "-c", &cfg], "", LIMIT);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "fixctl: error: {cfg}: session at line {}: invalid setting FileStorePath: ",
            session_line(&cfg)
        )) && run.stderr.contains(&file.display().to_string()),
        "{}",
        run.stderr
    );
}

/// The line of the `[SESSION]` header of a settings file.
fn session_line(cfg: &str) -> usize {
    let text = std::fs::read_to_string(cfg).unwrap();
    text.lines().position(|l| l == "[SESSION]").unwrap() + 1
}

#[test]
fn acceptor_echo_answers_each_order_with_an_execution_report() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = acceptor_settings(dir.path());
    let (initiator, out) = with_echo_acceptor(
        dir.path(),
        &cfg,
        ":wait logon 30\n\
         35=D|11=ORD-1|Symbol=EUR/USD|54=2|60=20250102-09:30:00|38=100|40=1\n\
         35=D|11=ORD-2|Symbol=USD/JPY|54=1|60=20250102-09:30:00|38=5|40=1\n\
         :expect 8 30\n\
         :expect 8 30\n\
         q\n",
    );
    for expected in [
        "<< ExecutionReport #2 ClOrdID=ORD-1 ExecType=NEW OrdStatus=NEW Symbol=EUR/USD",
        "<< ExecutionReport #3 ClOrdID=ORD-2 ExecType=NEW OrdStatus=NEW Symbol=USD/JPY",
    ] {
        assert!(initiator.stdout.contains(expected), "{}", initiator.stdout);
    }
    assert!(
        out.contains("FIX.4.4:BROKER->CLIENT >> ExecutionReport ClOrdID=ORD-1 ExecType=NEW OrdStatus=NEW Symbol=EUR/USD CumQty=0 (echo)"),
        "{out}"
    );
}

/// Runs `fixctl acceptor --echo -c acceptor_cfg`, then `fixctl initiator`
/// (settings from `initiator_settings`) with `script` on its stdin, then
/// stops the acceptor with Ctrl-C. Both must exit with success; returns
/// the initiator's run and the acceptor's output.
fn with_echo_acceptor(
    dir: &std::path::Path,
    acceptor_cfg: &str,
    script: &str,
) -> (common::Run, String) {
    let mut acceptor = common::spawn(&["acceptor", "--echo", "-c", acceptor_cfg]);
    let stdin = acceptor.stdin.take().unwrap();
    let (lines, acceptor_out) = common::watch_stdout(&mut acceptor);
    let port = listening_port(&lines);
    let initiator_cfg = initiator_settings(dir, port);
    let initiator = common::run(&["initiator", "-c", &initiator_cfg], script, LIMIT);
    assert!(initiator.status.success(), "{initiator:?}");
    interrupt(&acceptor);
    let run = common::finish(acceptor, LIMIT);
    drop(stdin);
    let out = acceptor_out.join().unwrap();
    assert!(run.status.success(), "{run:?}\n{out}");
    (initiator, out)
}

/// Ctrl-C for a running fixctl.
fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill -INT");
    assert!(status.success());
}

/// Waits for the line that contains `what`, at most LIMIT.
fn line_with(lines: &std::sync::mpsc::Receiver<String>, what: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("no line with {what:?}"));
        if line.contains(what) {
            return line;
        }
    }
}

/// A raw peer's Logon (FIX 4.4 unless `begin` says otherwise) with a
/// right BodyLength and CheckSum.
fn logon(begin: &str, sender: &str, target: &str) -> Vec<u8> {
    let mut enc = fixrs_proto::Encoder::new();
    enc.start(begin, b"A");
    use fixrs_proto::FieldWriter;
    enc.push_str(49, sender)
        .push_str(56, target)
        .push_uint(34, 1)
        .push_timestamp(
            52,
            fixrs_proto::UtcTimestamp::from(std::time::SystemTime::now()),
        )
        .push_str(98, "0")
        .push_str(108, "30");
    enc.finish().to_vec()
}

/// Connects, sends `bytes`, and returns the local address once the
/// acceptor closed the connection.
fn knock(port: u16, bytes: &[u8]) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let local = s.local_addr().unwrap().to_string();
    s.write_all(bytes).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 1024];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    local
}

#[test]
fn refused_connections_are_shown_one_line_each_and_a_flood_is_summed_up() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = acceptor_settings(dir.path());
    let mut acceptor = common::spawn(&["acceptor", "-c", &cfg]);
    let stdin = acceptor.stdin.take().unwrap();
    let (lines, acceptor_out) = common::watch_stdout(&mut acceptor);
    let port = listening_port(&lines);
    let refused = |peer: &str| format!("fixctl connection from {peer} refused: ");

    let peer = knock(port, &logon("FIX.4.4", "STRANGER", "BROKER"));
    let line = line_with(&lines, &refused(&peer));
    assert!(
        line.ends_with("Logon from unknown session FIX.4.4:STRANGER->BROKER"),
        "{line}"
    );

    let peer = knock(port, &logon("FIX.4.2", "CLIENT", "BROKER"));
    let line = line_with(&lines, &refused(&peer));
    assert!(
        line.ends_with(
            "Logon with BeginString FIX.4.2, the session FIX.4.4:BROKER->CLIENT expects FIX.4.4"
        ),
        "{line}"
    );

    let peer = knock(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    let line = line_with(&lines, &refused(&peer));
    assert!(line.contains("garbled first message: "), "{line}");

    let peer = knock(port, b"8=FIX.4.4\x019=9999999\x0135=A\x01");
    let line = line_with(&lines, &refused(&peer));
    assert!(
        line.ends_with("first message larger than 65536 bytes"),
        "{line}"
    );

    // A duplicate Logon while CLIENT is logged on.
    let mut first = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    first
        .write_all(&logon("FIX.4.4", "CLIENT", "BROKER"))
        .unwrap();
    line_with(&lines, "FIX.4.4:BROKER->CLIENT logged on");
    let peer = knock(port, &logon("FIX.4.4", "CLIENT", "BROKER"));
    let line = line_with(&lines, &refused(&peer));
    assert!(
        line.ends_with(
            "duplicate Logon for session FIX.4.4:BROKER->CLIENT, which is already connected"
        ),
        "{line}"
    );
    drop(first);

    // A flood: five were shown in this window, five more are, the rest
    // are counted and the count shown when the window ends.
    for _ in 0..25 {
        knock(port, b"garbage\x01");
    }
    let (mut shown, mut hidden) = (5, 0);
    while shown + hidden < 30 {
        let line = lines
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{shown} refusals shown, {hidden} counted"));
        if line.contains(" refused: ") {
            shown += 1;
        } else if line.contains("more refused connections not shown") {
            hidden += line
                .split_whitespace()
                .nth(2)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("{line}"));
        }
    }
    // At most ten a window: the flood took less than two.
    assert!(shown <= 20, "{shown} shown");
    assert!(hidden >= 10, "{hidden} counted");
    interrupt(&acceptor);
    let run = common::finish(acceptor, LIMIT);
    drop(stdin);
    let out = acceptor_out.join().unwrap();
    assert!(run.status.success(), "{run:?}\n{out}");
}

#[test]
fn tls_failures_on_the_acceptor_are_shown_as_refused_connections() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = ca("fixctl test CA");
    let (server_cert, server_key) = leaf(&ca, "localhost");
    let tls = format!(
        "SocketUseSSL=Y\nServerCertificateFile={}\nServerCertificateKeyFile={}\n",
        write(d, "server.pem", &server_cert),
        write(d, "server.key", &server_key),
    );
    let cfg = acceptor_settings_with(d, &tls);
    let mut acceptor = common::spawn(&["acceptor", "-c", &cfg]);
    let stdin = acceptor.stdin.take().unwrap();
    let (lines, acceptor_out) = common::watch_stdout(&mut acceptor);
    let port = listening_port(&lines);
    // A plaintext FIX peer on the TLS port.
    let peer = knock(port, &logon("FIX.4.4", "CLIENT", "BROKER"));
    let line = line_with(&lines, &format!("fixctl connection from {peer} refused: "));
    assert!(line.contains("peer does not speak TLS"), "{line}");
    interrupt(&acceptor);
    let run = common::finish(acceptor, LIMIT);
    drop(stdin);
    let out = acceptor_out.join().unwrap();
    assert!(run.status.success(), "{run:?}\n{out}");
}

#[test]
fn an_acceptor_template_section_takes_any_counterparty_and_echoes_its_orders() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\n\
             ConnectionType=acceptor\n\
             BeginString=FIX.4.4\n\
             SenderCompID=BROKER\n\
             SocketAcceptHost=127.0.0.1\n\
             SocketAcceptPort=0\n\
             FileStorePath={0}/acceptor-store\n\
             \n\
             [SESSION]\n\
             AcceptorTemplate=Y\n\
             TargetCompID=*\n",
            dir.path().display()
        ),
    );
    let (initiator, out) = with_echo_acceptor(
        dir.path(),
        &cfg,
        ":wait logon 30\n\
         35=D|11=ORD-1|Symbol=EUR/USD|54=2|60=20250102-09:30:00|38=100|40=1\n\
         :expect 8 30\n\
         q\n",
    );
    assert!(
        initiator
            .stdout
            .contains("<< ExecutionReport #2 ClOrdID=ORD-1 ExecType=NEW OrdStatus=NEW"),
        "{}",
        initiator.stdout
    );
    assert!(
        out.contains("FIX.4.4:BROKER->CLIENT created from the template at line 9 (session @1)"),
        "{out}"
    );
    assert!(out.contains("FIX.4.4:BROKER->CLIENT logged on"), "{out}");
    assert!(out.contains("ClOrdID=ORD-1"), "{out}");
    assert!(
        std::fs::read_dir(dir.path().join("acceptor-store"))
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().contains("CLIENT")),
        "the created session has its own store"
    );
}
