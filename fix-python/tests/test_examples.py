"""The programs of examples/python against real counterparties."""

import os
import subprocess
import sys

import pytest

from conftest import EXAMPLES, QuickFixAcceptor, Lines, terminate, TIMEOUT

# FIX Antenna's initiator guide, as printed there.
GUIDE = '''import V12.FIXAntenna as v12

try:
    engine = v12.FixEngine()
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    ssn.connect(30, "127.0.0.1", 8901)
    while True:
        s = input("input: 'q' to exit\\n")
        if s == "q": break
except (Exception) as e:
    print(e)
'''


def run_python(source_or_path, *args):
    command = [sys.executable, "-u"]
    command += ["-c", source_or_path] if "\n" in source_or_path else [source_or_path]
    return subprocess.Popen(command + [str(a) for a in args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)


def test_the_guide_program_is_the_guides_with_only_the_import_changed():
    with open(os.path.join(EXAMPLES, "guide.py"), encoding="utf-8") as f:
        example = f.read()
    assert example == GUIDE.replace("import V12.FIXAntenna as v12", "import fixrs as v12")


def test_the_guide_program_logs_on_and_out(counterparty):
    with open(os.path.join(EXAMPLES, "guide.py"), encoding="utf-8") as f:
        source = f.read()
    # The program connects to port 8901; the counterparty listens on a free
    # port, which is the only thing changed in what runs.
    program = run_python(source.replace("8901", str(counterparty.port)))
    output = Lines(program.stdout, "the guide program")
    try:
        output.wait_for(r"input: 'q' to exit")
        if isinstance(counterparty, QuickFixAcceptor):
            counterparty.wait_for(lambda e: e["event"] == "logon", what="logon")
        else:
            counterparty.output.wait_for(r"logged on")
        program.stdin.write("q\n")
        program.stdin.flush()
        assert program.wait(timeout=TIMEOUT) == 0, output.all()
        # The engine logged out as the program ended.
        if isinstance(counterparty, QuickFixAcceptor):
            logout = counterparty.wait_for(
                lambda e: e["event"] == "admin_in" and e.get("msg_type") == "5", what="Logout")
            assert logout["seq"] == 2
        else:
            counterparty.output.wait_for(r"<< Logout")
    finally:
        terminate(program)


def test_ctrl_c_stops_the_guide_program_cleanly(counterparty):
    with open(os.path.join(EXAMPLES, "guide.py"), encoding="utf-8") as f:
        source = f.read()
    program = run_python(source.replace("8901", str(counterparty.port)))
    output = Lines(program.stdout, "the guide program")
    try:
        output.wait_for(r"input: 'q' to exit")
        if isinstance(counterparty, QuickFixAcceptor):
            counterparty.wait_for(lambda e: e["event"] == "logon", what="logon")
        else:
            counterparty.output.wait_for(r"logged on")
        terminate(program)  # SIGINT, as Ctrl-C
        # KeyboardInterrupt ends the program (the guide does not catch it);
        # the engine still logs out before the interpreter exits.
        assert program.returncode != 0
        if isinstance(counterparty, QuickFixAcceptor):
            counterparty.wait_for(
                lambda e: e["event"] == "admin_in" and e.get("msg_type") == "5", what="Logout")
        else:
            counterparty.output.wait_for(r"<< Logout")
        assert "KeyboardInterrupt" in "\n".join(output.all())
        assert "panicked" not in "\n".join(output.all())
    finally:
        terminate(program)


@pytest.mark.parametrize("orders", [5])
def test_the_order_client_against_the_python_acceptor(orders):
    acceptor = run_python(os.path.join(EXAMPLES, "acceptor.py"), 0)
    acceptor_out = Lines(acceptor.stdout, "acceptor.py")
    try:
        port = int(acceptor_out.wait_for(r"listening on port (\d+)").group(1))
        client = run_python(os.path.join(EXAMPLES, "order_client.py"), "127.0.0.1", port, orders)
        client_out = Lines(client.stdout, "order_client.py")
        assert client.wait(timeout=TIMEOUT) == 0, client_out.all()
        lines = client_out.all()
        assert sum("acknowledged in" in line for line in lines) == orders, lines
        assert any("sent 5 orders, got 5 reports" in line for line in lines), lines
        acceptor_out.wait_for(r"logged out")
        acceptor.stdin.write("q\n")
        acceptor.stdin.flush()
        assert acceptor.wait(timeout=TIMEOUT) == 0, acceptor_out.all()
        assert sum("<< 8=FIX.4.4|" in line and "|35=D|" in line
                   for line in acceptor_out.all()) == orders
    finally:
        terminate(acceptor)
