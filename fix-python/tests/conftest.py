"""Counterparties for the tests of the fixrs module: this engine's acceptor
(``fixctl acceptor``) and QuickFIX's Python acceptor (the interop tests'
``tests/interop/qf_peer.py``), each in its own process on 127.0.0.1.

The module must be installed in the interpreter running the tests
(``bash .ci/setup-python`` builds it into ``.venv``): its absence is an
error, never a skip.
"""

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

try:
    import fixrs  # noqa: F401
except ImportError as error:  # pragma: no cover - reported to the runner
    raise ImportError(
        "the fixrs module is not installed in %s (%s): run `bash .ci/setup-python` at the "
        "repository root, which builds it into .venv" % (sys.executable, error)
    ) from error

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QF_PEER = os.path.join(REPO, "tests", "interop", "qf_peer.py")
EXAMPLES = os.path.join(REPO, "examples", "python")

# Generous: the machine may be busy building.
TIMEOUT = 30.0


def wait_until(condition, timeout=TIMEOUT, interval=0.01, what="a condition"):
    """Polls ``condition`` until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lines:
    """The lines a child process prints, collected by a thread."""

    def __init__(self, stream, name):
        self.lines = []
        self._queue = queue.Queue()
        self._name = name
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, ""):
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _drain(self, timeout):
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            return False
        if line is None:
            self._queue.put(None)
            return None
        self.lines.append(line)
        return True

    def wait_for(self, pattern, timeout=TIMEOUT, start=0):
        """The first line from ``start`` on matching ``pattern`` (a regex)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        index = start
        while True:
            while index < len(self.lines):
                match = regex.search(self.lines[index])
                if match:
                    return match
                index += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    "%s: no line matching %r within %.0f s; it printed:\n%s"
                    % (self._name, pattern, timeout, "\n".join(self.lines[-40:]))
                )
            if self._drain(min(left, 0.1)) is None and index >= len(self.lines):
                raise AssertionError(
                    "%s ended without a line matching %r; it printed:\n%s"
                    % (self._name, pattern, "\n".join(self.lines[-40:]))
                )

    def all(self):
        while self._drain(0):
            pass
        return list(self.lines)


def fixctl_path():
    """This engine's command-line tool, built if needed (the FIXCTL
    environment variable names another build)."""
    explicit = os.environ.get("FIXCTL")
    if explicit:
        return explicit
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError("cargo is not on PATH: it builds fixctl, the counterparty of the tests")
    build = subprocess.run(
        [cargo, "build", "--quiet", "-p", "fix-cli", "--bin", "fixctl", "--message-format=json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if os.path.basename(message["executable"]) == "fixctl":
                return message["executable"]
    raise RuntimeError("cargo build did not report the fixctl executable")


@pytest.fixture(scope="session")
def fixctl():
    return fixctl_path()


class FixctlAcceptor:
    """``fixctl acceptor`` with one session: ``sender`` is its SenderCompID
    (the tests' TargetCompID). Its store is a file store in a temp dir, so
    that a restart keeps the sequence numbers."""

    def __init__(self, fixctl, workdir, sender="TEST2", target="TEST1", begin_string="FIX.4.4",
                 default_appl_ver_id=None, extra=(), echo=False, port=0):
        self.fixctl = fixctl
        self.workdir = workdir
        self.config = os.path.join(workdir, "acceptor-%s.cfg" % sender)
        lines = [
            "[DEFAULT]",
            "ConnectionType=acceptor",
            "BeginString=%s" % begin_string,
            "SocketAcceptHost=127.0.0.1",
            "SocketAcceptPort=%d" % port,
            "FileStorePath=%s" % os.path.join(workdir, "acceptor-store"),
        ]
        if default_appl_ver_id:
            lines.append("DefaultApplVerID=%s" % default_appl_ver_id)
        lines.extend(extra)
        lines += ["", "[SESSION]", "SenderCompID=%s" % sender, "TargetCompID=%s" % target, ""]
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        self.echo = echo
        self.process = None
        self.output = None
        self.port = None
        self.start()

    def start(self):
        args = [self.fixctl, "acceptor", "-c", self.config, "-v"]
        if self.echo:
            args.append("--echo")
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.output = Lines(self.process.stdout, "fixctl acceptor")
        match = self.output.wait_for(r"listening on [^ ]*:(\d+)")
        port = int(match.group(1))
        if self.port is not None and port != self.port:
            raise AssertionError("restarted on port %d, not %d" % (port, self.port))
        self.port = port
        # Later restarts listen on the same port.
        with open(self.config, encoding="utf-8") as f:
            text = f.read()
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(re.sub(r"SocketAcceptPort=\d+", "SocketAcceptPort=%d" % port, text))

    def send(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self):
        """Ends the process at once (its connections are cut, no Logout)."""
        self.process.kill()
        self.process.wait(timeout=TIMEOUT)

    def received_cl_ord_ids(self):
        ids = []
        for line in self.output.all():
            if "<<" in line:
                match = re.search(r"ClOrdID=([A-Za-z0-9-]+)", line)
                if match and "NewOrderSingle" in line:
                    ids.append(match.group(1))
        return ids

    def stop(self):
        if self.process and self.process.poll() is None:
            try:
                self.send("q")
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


class QuickFixAcceptor:
    """QuickFIX C++'s acceptor through its Python bindings (the interop
    tests' peer script), answering every NewOrderSingle with an
    ExecutionReport. Events are JSON lines (see the script)."""

    def __init__(self, sender="TEST2", target="TEST1", begin_string="FIX.4.4", extra_args=()):
        args = [
            sys.executable,
            QF_PEER,
            "--role", "acceptor",
            "--sender", sender,
            "--target", target,
            "--begin-string", begin_string,
            "--heartbeat", "30",
        ] + list(extra_args)
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.events = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr = []
        threading.Thread(target=self._read_stderr, daemon=True).start()
        ready = self.wait_for(lambda e: e["event"] == "ready", what="ready")
        self.port = ready["port"]

    def _read(self):
        for line in iter(self.process.stdout.readline, ""):
            if line.strip():
                self._queue.put(json.loads(line))
        self._queue.put(None)

    def _read_stderr(self):
        for line in iter(self.process.stderr.readline, ""):
            self._stderr.append(line)

    def _pump(self, timeout):
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return
        if event is None:
            self._queue.put(None)
            raise AssertionError(
                "the QuickFIX peer exited; stderr:\n%s" % "".join(self._stderr[-40:])
            )
        self.events.append(event)

    def wait_for(self, predicate, timeout=TIMEOUT, what="an event", start=0):
        deadline = time.monotonic() + timeout
        index = start
        while True:
            while index < len(self.events):
                if predicate(self.events[index]):
                    return self.events[index]
                index += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    "QuickFIX peer: no %s within %.0f s; last events:\n%s"
                    % (what, timeout, "\n".join(json.dumps(e) for e in self.events[-30:]))
                )
            self._pump(min(left, 0.1))

    def command(self, line):
        mark = len(self.events)
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        name = line.split()[0]
        ack = self.wait_for(
            lambda e: e["event"] == "ack" and e.get("cmd") == name, what="ack of %s" % line,
            start=mark,
        )
        assert ack.get("ok"), ack
        return ack

    def app_in(self, msg_type):
        """Application messages of this type received so far."""
        while True:
            try:
                self._pump(0)
            except AssertionError:
                break
            if self._queue.empty():
                break
        return [e for e in self.events if e["event"] == "app_in" and e.get("msg_type") == msg_type]

    def stop(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="fixrs-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def engine():
    import fixrs

    eng = fixrs.FixEngine()
    yield eng
    eng.stop()


@pytest.fixture(params=["fixctl", "quickfix"])
def counterparty(request, fixctl, workdir):
    """An acceptor for SessionId("TEST1", "TEST2") on FIX.4.4 that answers
    NewOrderSingle with ExecutionReport: this engine's or QuickFIX's."""
    if request.param == "fixctl":
        peer = FixctlAcceptor(fixctl, workdir)
    else:
        peer = QuickFixAcceptor()
    peer.kind = request.param
    yield peer
    peer.stop()


def received_orders(peer):
    """ClOrdIDs of the NewOrderSingles a counterparty received, in order."""
    if isinstance(peer, QuickFixAcceptor):
        return [e["fields"].get("11") for e in peer.app_in("D")]
    return peer.received_cl_ord_ids()


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 (openssl), as PEM files."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is needed to make the TLS test certificates")

    def run(*args):
        subprocess.run([openssl] + list(args), cwd=directory, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "server.ext"), "w", encoding="utf-8") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "server.ext")
    return {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")}


def terminate(process, timeout=TIMEOUT):
    """Ctrl-C (SIGINT), then SIGKILL if it has not ended within ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
