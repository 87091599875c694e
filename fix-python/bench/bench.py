"""The fixrs module next to QuickFIX's Python bindings, in one run, on the
same messages and the same counterparty.

Measured from Python:

- round trip: a NewOrderSingle (192 bytes) put, the ExecutionReport (217
  bytes) received; the next order is put from the callback that receives
  the report (FIX Antenna's ``process``, QuickFIX's ``fromApp``), as the
  Rust engine's own benchmark does from its callback. Median (p50) and p99
  of the measured round trips after a warm-up.
- put rate: orders put back to back from the main thread, timed from the
  first put until the counterparty's reply to the last one arrived.

Both engines run with the same settings: no validation of incoming
messages against a data dictionary (``UseDataDictionary=N``), as the Rust
engine's benchmark (``fixctl bench``) runs too.

The counterparty is ``fixctl bench-peer`` (the Rust engine's benchmark
peer, a FIX 4.4 acceptor answering each order), one fresh process per
measurement. ``fixctl bench`` measures the Rust engine and raw TCP against
the same peer code in the same run.

    .venv/bin/maturin develop --release -m fix-python/Cargo.toml
    .venv/bin/python fix-python/bench/bench.py [--round-trips N] [--orders N]

It needs .venv with quickfix-tls (bash .ci/setup-python) and a release
build of the module; fixctl is built in release mode if needed.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time

import fixrs as v12

try:
    import quickfix as qf
except ImportError:  # pragma: no cover - reported to the user
    sys.exit("QuickFIX's Python bindings are needed: run `bash .ci/setup-python`")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INI, ACC = "BENCH_INI", "BENCH_ACC"


def build_fixctl():
    # Any program with fixctl's `bench-peer` command will do (perf-report has one).
    if os.environ.get("FIXCTL"):
        return os.environ["FIXCTL"]
    out = subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "fix-cli", "--bin", "fixctl",
         "--message-format=json"],
        cwd=REPO, stdout=subprocess.PIPE, check=True, text=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and (m.get("executable") or "").endswith("/fixctl"):
            return m["executable"]
    sys.exit("cargo did not build fixctl")


class Peer:
    """A ``fixctl bench-peer`` process: an acceptor answering orders."""

    def __init__(self, fixctl):
        self.process = subprocess.Popen([fixctl, "bench-peer", "--sessions", "0"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        ports = re.match(r"PORTS (\d+) (\d+)", line)
        if not ports:
            sys.exit("bench-peer said %r" % line)
        self.port = int(ports.group(2))

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


# The Rust benchmark's NewOrderSingle, field for field.
ORDER_FIELDS = [(1, "ACCOUNT-0001"), (55, "EUR/USD"), (54, "1"), (60, "20240102-03:04:05.678"),
                (38, "1000000"), (40, "2"), (44, "1.08345"), (59, "0")]


def percentiles(samples_ns):
    s = sorted(samples_ns)
    at = lambda p: s[min(int(len(s) * p), len(s) - 1)] / 1000.0
    return at(0.5), at(0.99)


# ---------------------------------------------------------------- fixrs


class FixrsPinger(v12.Application):
    def __init__(self, total, warmup):
        super().__init__()
        self.order = v12.FixMessage("D")
        self.order.set(11, 1_000_000_000)
        for tag, value in ORDER_FIELDS:
            self.order.set(tag, value)
        self.n = 0
        self.total, self.warmup = total, warmup
        self.samples = []
        self.sent = 0
        self.done = threading.Event()

    def send(self, ssn):
        self.n += 1
        self.order.set(11, 1_000_000_000 + self.n)
        self.sent = time.perf_counter_ns()
        ssn.put(self.order)

    def on_logon_event(self, event, ssn):
        self.send(ssn)

    def process(self, msg, ssn):
        if msg.type != "8":
            return True
        rtt = time.perf_counter_ns() - self.sent
        if self.n > self.warmup:
            self.samples.append(rtt)
        if self.n < self.total:
            self.send(ssn)
        else:
            self.done.set()
        return True


# The settings of both engines' sessions that differ from the defaults:
# QuickFIX's below in qf_settings.
FIXRS_PARAMS = {"UseDataDictionary": "N"}


def fixrs_session(engine, port, app=None):
    ssn = engine.create_session(v12.SessionId(INI, ACC), "FIX44", v12.FIXVersion.FIX44,
                                FIXRS_PARAMS)
    if app is not None:
        ssn.register_application(app)
    ssn.connect(30, "127.0.0.1", port)
    return ssn


def fixrs_round_trips(fixctl, n, warmup):
    peer = Peer(fixctl)
    try:
        with v12.FixEngine() as engine:
            app = FixrsPinger(n + warmup, warmup)
            ssn = fixrs_session(engine, peer.port, app)
            if not app.done.wait(300):
                sys.exit("fixrs round trips did not finish")
            ssn.disconnect()
        return percentiles(app.samples)
    finally:
        peer.close()


def fixrs_put_rate(fixctl, n):
    peer = Peer(fixctl)
    try:
        with v12.FixEngine() as engine:
            ssn = fixrs_session(engine, peer.port)
            while ssn.state != v12.SessionState.ESTABLISHED:
                time.sleep(0.001)
            order = v12.FixMessage("D").set(11, 1_000_000_000)
            for tag, value in ORDER_FIELDS:
                order.set(tag, value)
            expected_in = ssn.in_seq_num + n
            start = time.perf_counter()
            for i in range(n):
                order.set(11, 1_000_000_001 + i)
                while True:
                    try:
                        ssn.put(order)
                        break
                    except v12.BackpressureError:
                        time.sleep(0.0005)
            put_done = time.perf_counter()
            while ssn.in_seq_num < expected_in:
                time.sleep(0.0002)
            end = time.perf_counter()
            ssn.disconnect()
        return n / (end - start), n / (put_done - start)
    finally:
        peer.close()


# ---------------------------------------------------------------- QuickFIX


def qf_settings(port):
    text = "\n".join([
        "[DEFAULT]", "ConnectionType=initiator", "HeartBtInt=30", "StartTime=00:00:00",
        "EndTime=00:00:00", "ReconnectInterval=1", "UseDataDictionary=N", "SocketNodelay=Y",
        "PersistMessages=Y", "",
        "[SESSION]", "BeginString=FIX.4.4", "SenderCompID=%s" % INI, "TargetCompID=%s" % ACC,
        "SocketConnectHost=127.0.0.1", "SocketConnectPort=%d" % port, ""])
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fixrs-bench-qf-%d.cfg" % os.getpid())
    with open(path, "w") as f:
        f.write(text)
    return path


class QfPinger(qf.Application):
    def __init__(self, total, warmup):
        super().__init__()
        self.total, self.warmup = total, warmup
        self.n = 0
        self.samples = []
        self.sent = 0
        self.session_id = None
        self.logged_on = threading.Event()
        self.done = threading.Event()
        self.order = qf.Message()
        self.order.getHeader().setField(qf.MsgType("D"))
        self.order.setField(11, "1000000000")
        for tag, value in ORDER_FIELDS:
            self.order.setField(tag, value)

    def onCreate(self, session_id):
        self.session_id = session_id

    def onLogon(self, session_id):
        self.logged_on.set()
        if self.total:
            self.send()

    def onLogout(self, session_id):
        pass

    def toAdmin(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        pass

    def toApp(self, message, session_id):
        pass

    def send(self):
        self.n += 1
        self.order.setField(11, str(1_000_000_000 + self.n))
        self.sent = time.perf_counter_ns()
        qf.Session.sendToTarget(self.order, self.session_id)

    def fromApp(self, message, session_id):
        if not self.total:
            return
        rtt = time.perf_counter_ns() - self.sent
        if self.n > self.warmup:
            self.samples.append(rtt)
        if self.n < self.total:
            self.send()
        else:
            self.done.set()


def qf_run(port, app, body):
    path = qf_settings(port)
    settings = qf.SessionSettings(path)
    store = qf.MemoryStoreFactory()
    initiator = qf.SocketInitiator(app, store, settings)
    initiator.start()
    try:
        return body()
    finally:
        initiator.stop(True)
        os.unlink(path)


def qf_round_trips(fixctl, n, warmup):
    peer = Peer(fixctl)
    try:
        app = QfPinger(n + warmup, warmup)
        qf_run(peer.port, app, lambda: app.done.wait(600) or sys.exit("QuickFIX did not finish"))
        return percentiles(app.samples)
    finally:
        peer.close()


def qf_put_rate(fixctl, n):
    peer = Peer(fixctl)
    try:
        app = QfPinger(0, 0)

        def body():
            app.logged_on.wait(30)
            session = qf.Session.lookupSession(app.session_id)
            expected_in = session.getExpectedTargetNum() + n
            order = app.order
            start = time.perf_counter()
            for i in range(n):
                order.setField(11, str(1_000_000_001 + i))
                qf.Session.sendToTarget(order, app.session_id)
            put_done = time.perf_counter()
            while session.getExpectedTargetNum() < expected_in:
                time.sleep(0.0002)
            end = time.perf_counter()
            return n / (end - start), n / (put_done - start)

        return qf_run(peer.port, app, body)
    finally:
        peer.close()


# ---------------------------------------------------------------- Rust


def rust_round_trips(fixctl, n, warmup):
    out = subprocess.run([fixctl, "bench", "--round-trips", str(n), "--warmup", str(warmup),
                          "--messages", "0"], stdout=subprocess.PIPE, check=True, text=True).stdout
    def p(label):
        m = re.search(r"%s\s+p50\s+([\d.]+) us\s+p99\s+([\d.]+) us" % label, out)
        if not m:
            sys.exit("cannot read `fixctl bench`:\n" + out)
        return float(m.group(1)), float(m.group(2))
    return p("raw TCP"), p("engine")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the put-rate runs")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of each measurement; the median is shown")
    parser.add_argument("--machine", action="store_true",
                        help="print only the Python measurements, a line `name value value` each "
                             "(for perf-report, which measures the Rust engine and raw TCP itself)")
    args = parser.parse_args()
    fixctl = build_fixctl()
    results = {k: [] for k in ("raw", "rust", "fixrs", "qf", "fixrs_rate", "qf_rate")}
    for run in range(args.runs):
        # Interleaved, so that a change in the machine's load touches all.
        if not args.machine:
            raw, rust = rust_round_trips(fixctl, args.round_trips, args.warmup)
            results["raw"].append(raw)
            results["rust"].append(rust)
        results["fixrs"].append(fixrs_round_trips(fixctl, args.round_trips, args.warmup))
        results["qf"].append(qf_round_trips(fixctl, args.round_trips, args.warmup))
        results["fixrs_rate"].append(fixrs_put_rate(fixctl, args.orders))
        results["qf_rate"].append(qf_put_rate(fixctl, args.orders))
        print("run %d of %d done" % (run + 1, args.runs), file=sys.stderr)
    med = lambda key, i: statistics.median(r[i] for r in results[key])
    if args.machine:
        for key in ("fixrs", "qf", "fixrs_rate", "qf_rate"):
            print(key, med(key, 0), med(key, 1))
        return

    print("fixrs %s, quickfix-tls %s, Python %s, %s, %d CPUs" % (
        v12.__version__, qf_version(), platform.python_version(), platform.machine(),
        os.cpu_count()))
    print("round trip NewOrderSingle -> ExecutionReport, %d after %d warm-up, median of %d runs"
          % (args.round_trips, args.warmup, args.runs))
    print("| | p50 | p99 |")
    print("|---|---|---|")
    for label, key in (("raw TCP ping-pong (Rust)", "raw"), ("Rust engine", "rust"),
                       ("fixrs from Python", "fixrs"), ("QuickFIX from Python", "qf")):
        print("| %s | %.1f us | %.1f us |" % (label, med(key, 0), med(key, 1)))
    print("fixrs Python / Rust engine p50: %.2fx; QuickFIX Python / fixrs Python p50: %.2fx"
          % (med("fixrs", 0) / med("rust", 0), med("qf", 0) / med("fixrs", 0)))
    print("put rate, %d orders, median of %d runs" % (args.orders, args.runs))
    print("| | until the last reply | puts alone |")
    print("|---|---|---|")
    for label, key in (("fixrs from Python", "fixrs_rate"), ("QuickFIX from Python", "qf_rate")):
        print("| %s | %.0f msg/s | %.0f msg/s |" % (label, med(key, 0), med(key, 1)))
    print("fixrs / QuickFIX put rate: %.2fx" % (med("fixrs_rate", 0) / med("qf_rate", 0)))


def qf_version():
    try:
        import importlib.metadata
        return importlib.metadata.version("quickfix-tls")
    except Exception:  # noqa: BLE001 - only for the report's heading
        return "?"


if __name__ == "__main__":
    main()
