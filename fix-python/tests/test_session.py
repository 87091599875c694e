"""Sessions against real counterparties: this engine's acceptor (fixctl) and
QuickFIX's, as FIX Antenna's guide describes their behaviour."""

import logging
import threading
import time

import pytest

import fixrs as v12
from conftest import (
    QuickFixAcceptor,
    FixctlAcceptor,
    received_orders,
    wait_until,
)


class Recorder(v12.Application):
    """Keeps every callback, for the tests to look at."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.messages = []
        self.states = []
        self.logons = 0
        self.logouts = []
        self.rejected = []
        self.threads = set()

    def process(self, msg, ssn):
        with self.lock:
            self.messages.append(msg)
            self.threads.add(threading.get_ident())
        return True

    def on_logon_event(self, event, ssn):
        with self.lock:
            self.logons += 1

    def on_logout_event(self, event, ssn):
        with self.lock:
            self.logouts.append(event.text)

    def on_new_state_event(self, event, ssn):
        with self.lock:
            self.states.append((time.monotonic(), event.old_state, event.new_state))

    def on_msg_reject_event(self, event, ssn):
        with self.lock:
            self.rejected.append((event.message, event.reason))

    def reports(self):
        with self.lock:
            return [m for m in self.messages if m.type == "8"]


def order(cl_ord_id):
    m = v12.FixMessage("D")
    m.set("ClOrdID", cl_ord_id).set("HandlInst", "1").set("Symbol", "IBM").set("Side", 1)
    m.set("TransactTime", time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()))
    m.set("OrderQty", 100).set("OrdType", 2).set("Price", 10.5)
    return m


def established(ssn):
    return ssn.state == v12.SessionState.ESTABLISHED


def connect(engine, peer, params=None, app=None):
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44,
                                params)
    app = app or Recorder()
    ssn.register_application(app)
    ssn.connect(30, "127.0.0.1", peer.port)
    return ssn, app


def test_connect_returns_at_once_and_logs_on_in_the_background(engine, counterparty):
    ssn, app = connect(engine, counterparty)
    assert ssn.state in (v12.SessionState.INITIAL, v12.SessionState.WAIT_FOR_CONNECT,
                         v12.SessionState.WAIT_FOR_CONFIRM_LOGON, v12.SessionState.ESTABLISHED)
    wait_until(lambda: established(ssn), what="logon")
    wait_until(lambda: app.logons == 1, what="on_logon_event")
    states = [new for _, _, new in app.states]
    assert states[-1] == v12.SessionState.ESTABLISHED
    assert v12.SessionState.WAIT_FOR_CONFIRM_LOGON in states
    assert ssn.out_seq_num == 2 and ssn.in_seq_num == 2
    assert ssn.id == v12.SessionId("TEST1", "TEST2")
    assert ssn.put(order("ORD-1"))
    wait_until(lambda: received_orders(counterparty) == ["ORD-1"], what="the order")
    if isinstance(counterparty, QuickFixAcceptor):
        wait_until(lambda: app.reports(), what="the execution report")
        report = app.reports()[0]
        assert report.get("ClOrdID") == "ORD-1" and report.get_int(34) == 2
        assert report.get(49) == "TEST2" and report.seq_num == 2
        # Callbacks run on the engine's one thread, not the caller's.
        assert len(app.threads) == 1 and threading.get_ident() not in app.threads
    ssn.disconnect("bye")
    assert ssn.state == v12.SessionState.CORRECTLY_TERMINATED
    ssn.finalize()


def test_put_before_established_is_delivered_after_logon(engine, counterparty):
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    app = Recorder()
    ssn.register_application(app)
    assert ssn.put(order("EARLY-1")) and ssn.put(order("EARLY-2"))
    ssn.connect(30, "127.0.0.1", counterparty.port)
    wait_until(lambda: received_orders(counterparty) == ["EARLY-1", "EARLY-2"],
               what="the orders put before logon")
    assert established(ssn) and app.rejected == []
    ssn.disconnect()


def test_put_before_established_is_rejected_when_configured(engine, counterparty):
    ssn, app = None, Recorder()
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44,
                                {"LateDelivery": "reject"})
    ssn.register_application(app)
    assert ssn.put(order("TOO-EARLY")) is False
    assert len(app.rejected) == 1
    message, reason = app.rejected[0]
    assert message.get("ClOrdID") == "TOO-EARLY" and message.type == "D"
    assert "established" in reason
    ssn.connect(30, "127.0.0.1", counterparty.port)
    wait_until(lambda: established(ssn), what="logon")
    assert ssn.put(order("ON-TIME"))
    wait_until(lambda: received_orders(counterparty) == ["ON-TIME"], what="the order")
    ssn.disconnect()
    assert received_orders(counterparty) == ["ON-TIME"]


def test_reconnect_tries_then_recovers_with_nothing_lost(engine, fixctl, workdir):
    peer = QuickFixAcceptor()
    try:
        ssn, app = connect(engine, peer, {"Reconnect.MaxTries": 20, "Reconnect.Interval": 300})
        wait_until(lambda: established(ssn), what="logon")
        assert ssn.put(order("BEFORE"))
        wait_until(lambda: len(app.reports()) == 1, what="the first report")
        peer.command("stop")
        wait_until(lambda: ssn.state == v12.SessionState.RECONNECT, what="Reconnect")
        for i in range(3):
            assert ssn.put(order("WHILE-DOWN-%d" % i))
        # Let a few attempts fail, then bring the counterparty back.
        wait_until(lambda: sum(1 for _, _, s in app.states if s == v12.SessionState.RECONNECT) >= 4,
                   what="several reconnect attempts")
        peer.command("start")
        wait_until(lambda: established(ssn), what="logon after the restart")
        wait_until(lambda: len(app.reports()) == 4, what="every report")
        orders = received_orders(peer)
        assert sorted(set(orders)) == ["BEFORE", "WHILE-DOWN-0", "WHILE-DOWN-1", "WHILE-DOWN-2"]
        reported = [m.get("ClOrdID") for m in app.reports()]
        assert sorted(reported) == sorted(set(orders))
        # Attempts are Reconnect.Interval apart.
        retries = [t for t, _, s in app.states if s == v12.SessionState.WAIT_FOR_CONNECT]
        gaps = [b - a for a, b in zip(retries, retries[1:])]
        assert gaps and min(gaps) >= 0.25, gaps
        ssn.disconnect()
    finally:
        peer.stop()


def test_reconnect_gives_up_after_max_tries(engine, fixctl, workdir):
    peer = FixctlAcceptor(fixctl, workdir)
    try:
        ssn, app = connect(engine, peer, {"Reconnect.MaxTries": 3, "Reconnect.Interval": 200})
        wait_until(lambda: established(ssn), what="logon")
        peer.kill()
        wait_until(lambda: ssn.state == v12.SessionState.NON_GRACEFULLY_TERMINATED,
                   what="giving up")
        attempts = [s for _, old, s in app.states
                    if s == v12.SessionState.WAIT_FOR_CONNECT and old == v12.SessionState.RECONNECT]
        assert len(attempts) == 3, app.states
        # connect() starts it again (the same sequence numbers).
        peer.start()
        ssn.connect(30, "127.0.0.1", peer.port)
        wait_until(lambda: established(ssn), what="logon after connect")
        ssn.disconnect()
    finally:
        peer.stop()


def test_disconnect_keeps_sequence_numbers_and_reset_clears_them(engine, counterparty):
    ssn, app = connect(engine, counterparty)
    wait_until(lambda: established(ssn), what="logon")
    for i in range(3):
        ssn.put(order("ORD-%d" % i))
    wait_until(lambda: len(received_orders(counterparty)) == 3, what="the orders")
    ssn.disconnect("pause")
    assert ssn.state == v12.SessionState.CORRECTLY_TERMINATED
    out_after, in_after = ssn.out_seq_num, ssn.in_seq_num
    assert out_after == 6  # Logon, 3 orders, Logout
    ssn.connect(30, "127.0.0.1", counterparty.port)
    wait_until(lambda: established(ssn), what="logon again")
    assert ssn.out_seq_num == out_after + 1
    ssn.put(order("ORD-AGAIN"))
    wait_until(lambda: received_orders(counterparty)[-1:] == ["ORD-AGAIN"], what="the order")
    ssn.disconnect()
    ssn.reset_seq_num_local()
    assert ssn.out_seq_num == 1 and ssn.in_seq_num == 1


def test_finalize_twice_raises(engine):
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    ssn.finalize()
    with pytest.raises(v12.FixError, match="already finalized"):
        ssn.finalize()
    with pytest.raises(v12.FixError):
        ssn.put(order("X"))
    with pytest.raises(v12.FixError):
        ssn.state
    # The identity can be used again.
    again = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    again.finalize()


class Failing(Recorder):
    def process(self, msg, ssn):
        super().process(msg, ssn)
        if msg.get("ClOrdID") == "ORD-0" or msg.type == "8" and len(self.messages) == 1:
            raise RuntimeError("broken application")
        return True


def test_an_exception_in_process_is_logged_and_the_session_goes_on(engine, caplog):
    peer = QuickFixAcceptor()
    try:
        caplog.set_level(logging.ERROR, logger="fixrs")
        ssn, app = connect(engine, peer, app=Failing())
        wait_until(lambda: established(ssn), what="logon")
        ssn.put(order("ORD-0"))
        ssn.put(order("ORD-1"))
        wait_until(lambda: len(app.reports()) == 2, what="both reports")
        records = [r for r in caplog.records if r.name == "fixrs"]
        assert records, caplog.records
        assert "Application.process" in records[0].getMessage()
        assert records[0].exc_info and "broken application" in str(records[0].exc_info[1])
        assert established(ssn)
        ssn.disconnect()
    finally:
        peer.stop()


def test_settings_file_sessions(engine, workdir, fixctl):
    peer = FixctlAcceptor(fixctl, workdir)
    try:
        path = "%s/initiator.cfg" % workdir
        with open(path, "w") as f:
            f.write("[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nReconnectInterval=1\n"
                    "SocketConnectHost=127.0.0.1\nFileStorePath=%s/store\n\n"
                    "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=TEST1\nTargetCompID=TEST2\n"
                    "SocketConnectPort=%d\n" % (workdir, peer.port))
        file_engine = v12.FixEngine(path)
        try:
            ssn = file_engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44",
                                             v12.FIXVersion.FIX44)
            ssn.connect()
            wait_until(lambda: established(ssn), what="logon from the settings file")
            ssn.disconnect()
            # The session's file store is open: the second opener is refused.
            with pytest.raises(v12.FixError,
                               match="file store of session FIX.4.4:TEST1->TEST2 in .* is in use"):
                file_engine.create_sessions()
        finally:
            file_engine.stop()
    finally:
        peer.stop()
    with pytest.raises(v12.FixError, match="unknown setting"):
        engine.create_session(v12.SessionId("A", "B"), "FIX44", v12.FIXVersion.FIX44,
                              {"NoSuchSetting": 1})
    with pytest.raises(v12.FixError, match="cannot read"):
        v12.FixEngine("%s/missing.cfg" % workdir)


def test_python_acceptor_and_initiator(workdir):
    """Both sides in Python: an acceptor session answering orders."""
    class Answer(Recorder):
        def process(self, msg, ssn):
            super().process(msg, ssn)
            if msg.type == "D":
                report = ssn.new_message("8")
                report.set(37, "O-1").set(17, "E-1").set(150, "0").set(39, "0")
                report.set(11, msg.get(11)).set(55, msg.get(55)).set(54, msg.get(54))
                report.set(151, 0).set(14, 0).set(6, 0)
                ssn.put(report)
            return True

    with v12.FixEngine() as acceptor_engine, v12.FixEngine() as initiator_engine:
        acc = acceptor_engine.create_session(
            v12.SessionId("TEST2", "TEST1"), "FIX44", v12.FIXVersion.FIX44,
            {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": 0})
        acc.register_application(Answer())
        port = acceptor_engine.listen_ports[0]
        ssn, app = None, Recorder()
        ssn = initiator_engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44",
                                              v12.FIXVersion.FIX44)
        ssn.register_application(app)
        ssn.connect(30, "127.0.0.1", port)
        wait_until(lambda: established(ssn) and established(acc), what="logon")
        ssn.put(order("PY-1"))
        wait_until(lambda: app.reports(), what="the report")
        assert app.reports()[0].get(11) == "PY-1"
        ssn.disconnect()
        wait_until(lambda: acc.state.is_terminated, what="the acceptor's end")
    assert not acceptor_engine.is_running
