"""The programs of examples/python against real counterparties."""

import os
import subprocess
import sys
import time

import pytest

from conftest import EXAMPLES, QuickFixAcceptor, Lines, terminate, wait_until, TIMEOUT

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


# Runs the guide's program as it is, in the main thread (only the port it
# connects to is changed: the counterparty listens on a free port), with a
# thread that prints a line once the program's session is established, so
# that the tests act on a logged-on program. The counterparty's logon is
# not enough: it has not seen the program take its Logon reply.
RUN_WATCHED = """
import sys, threading, time
path, port = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    source = f.read().replace("8901", port)
program = {"__name__": "__main__", "__file__": path}

def watch():
    while True:
        ssn = program.get("ssn")
        if ssn is not None and str(ssn.state) == "Established":
            print("watch: established", flush=True)
            return
        time.sleep(0.005)

threading.Thread(target=watch, daemon=True).start()
exec(compile(source, path, "exec"), program)
"""


def run_guide(port):
    process = run_python(RUN_WATCHED, os.path.join(EXAMPLES, "guide.py"), port)
    output = Lines(process.stdout, "the guide program")
    output.wait_for(r"watch: established")
    return process, output


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
    program, output = run_guide(counterparty.port)
    try:
        output.wait_for(r"input: 'q' to exit")
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
    program, output = run_guide(counterparty.port)
    try:
        output.wait_for(r"input: 'q' to exit")
        wait_in_read(program)
        terminate(program)  # SIGINT, as Ctrl-C
        # KeyboardInterrupt ends the program (the guide does not catch it);
        # the engine still logs out before the interpreter exits.
        assert program.returncode not in (0, -9), output.all()
        if isinstance(counterparty, QuickFixAcceptor):
            counterparty.wait_for(
                lambda e: e["event"] == "admin_in" and e.get("msg_type") == "5", what="Logout")
        else:
            counterparty.output.wait_for(r"<< Logout")
        assert "KeyboardInterrupt" in "\n".join(output.all())
        assert "panicked" not in "\n".join(output.all())
    finally:
        terminate(program)


def wait_in_read(program):
    """Waits until the program's main thread blocks reading its input.

    Python handles a signal between bytecodes, or when a system call it
    waits in is interrupted: a Ctrl-C landing after input() printed its
    prompt but before it started reading is only acted upon once a line
    arrives. A user presses Ctrl-C long after; a test must wait.
    """
    path = "/proc/%d/syscall" % program.pid
    if not os.path.exists(path):
        time.sleep(1)
        return
    def reading():
        with open(path) as f:
            return f.read().split()[:2] == ["0", "0x0"]  # read(0, ...)
    wait_until(reading, what="the program to read its input")


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
