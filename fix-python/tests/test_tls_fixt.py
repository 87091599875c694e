"""FIXT.1.1 with FIX.5.0SP2, over TLS, from Python."""

import pytest

import fixrs as v12
from conftest import FixctlAcceptor, QuickFixAcceptor, make_certificates, received_orders, wait_until
from test_session import Recorder, established, order


@pytest.mark.parametrize("kind", ["fixctl", "quickfix"])
def test_fixt_fix50sp2_over_tls(kind, fixctl, workdir):
    certs = make_certificates(workdir)
    if kind == "quickfix":
        peer = QuickFixAcceptor(begin_string="FIXT.1.1", extra_args=[
            "--default-appl-ver-id", "FIX.5.0SP2", "--tls",
            "--tls-cert", certs["server.pem"], "--tls-key", certs["server.key"]])
    else:
        peer = FixctlAcceptor(fixctl, workdir, begin_string="FIXT.1.1",
                              default_appl_ver_id="FIX.5.0SP2", extra=[
                                  "SocketUseSSL=Y",
                                  "ServerCertificateFile=%s" % certs["server.pem"],
                                  "ServerCertificateKeyFile=%s" % certs["server.key"]])
    try:
        with v12.FixEngine() as engine:
            ssn = engine.create_session(
                v12.SessionId("TEST1", "TEST2"), "FIX50SP2", v12.FIXVersion.FIXT11,
                {"SocketUseSSL": "Y", "CertificationAuthoritiesFile": certs["ca.pem"]})
            assert ssn.version == v12.FIXVersion.FIX50SP2
            app = Recorder()
            ssn.register_application(app)
            ssn.connect(30, "127.0.0.1", peer.port)
            wait_until(lambda: established(ssn), what="logon over TLS")
            message = order("TLS-1")
            assert message.version == v12.FIXVersion.FIX44
            fixt_order = ssn.new_message("D")
            for tag, value in message.fields():
                if tag not in (8, 35):
                    fixt_order.set(tag, value)
            assert fixt_order.to_string("|").startswith("8=FIXT.1.1|")
            ssn.put(fixt_order)
            wait_until(lambda: received_orders(peer) == ["TLS-1"], what="the order")
            if kind == "quickfix":
                logon = peer.wait_for(
                    lambda e: e["event"] == "admin_in" and e.get("msg_type") == "A", what="Logon")
                assert logon["fields"]["1137"] == "9"
                wait_until(lambda: app.reports(), what="the report")
                report = app.reports()[0]
                assert report.version == v12.FIXVersion.FIX50SP2
                assert report.get(8) == "FIXT.1.1" and report.get(11) == "TLS-1"
            ssn.disconnect()
            assert ssn.state == v12.SessionState.CORRECTLY_TERMINATED
    finally:
        peer.stop()


def test_tls_with_an_unknown_authority_does_not_log_on(fixctl, workdir):
    certs = make_certificates(workdir)
    peer = FixctlAcceptor(fixctl, workdir, extra=[
        "SocketUseSSL=Y",
        "ServerCertificateFile=%s" % certs["server.pem"],
        "ServerCertificateKeyFile=%s" % certs["server.key"]])
    try:
        with v12.FixEngine() as engine:
            # No CertificationAuthoritiesFile: the Mozilla roots do not
            # know the test CA.
            ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44",
                                        v12.FIXVersion.FIX44,
                                        {"SocketUseSSL": "Y", "Reconnect.MaxTries": 1,
                                         "Reconnect.Interval": 100})
            ssn.connect(30, "127.0.0.1", peer.port)
            wait_until(lambda: ssn.state == v12.SessionState.NON_GRACEFULLY_TERMINATED,
                       what="giving up")
    finally:
        peer.stop()
