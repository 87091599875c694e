//! `fixctl initiator` and `fixctl acceptor` from generated settings files:
//! against each other over 127.0.0.1 with scripted input, and the errors a
//! user sees for a bad settings file or a counterparty that is not there.

mod common;

use std::io::Write;
use std::net::TcpListener;
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
    exchange(dir.path(), "", "");
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
    exchange(d, &acceptor_tls, &initiator_tls);
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
/// order, the acceptor answers it, the initiator logs out.
fn exchange(dir: &Path, acceptor_extra: &str, initiator_extra: &str) {
    let acceptor_cfg = acceptor_settings_with(dir, acceptor_extra);
    let mut acceptor = common::spawn(&["acceptor", "-c", &acceptor_cfg]);
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
    let initiator = common::run(
        &["initiator", "-c", &initiator_cfg],
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
    assert!(
        out.contains("FIX.4.4:BROKER->CLIENT logged out: fixctl: logging out"),
        "{out}"
    );
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
    // A port nobody listens on: bound, then released.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = initiator_settings(dir.path(), port);
    // Standard input stays open, as at a terminal: the end of input would
    // log out before the connect attempt failed.
    let mut child = common::spawn(&["initiator", "-c", &cfg]);
    let stdin = child.stdin.take();
    let run = common::finish(child, LIMIT);
    drop(stdin);
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
    while !lines
        .recv_timeout(LIMIT)
        .expect("the acceptor starts")
        .contains("listening on")
    {}
    let status = std::process::Command::new("kill")
        .arg("-INT")
        .arg(acceptor.id().to_string())
        .status()
        .expect("kill -INT");
    assert!(status.success());
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
