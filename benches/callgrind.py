#!/usr/bin/env python3
"""Instructions and system calls per round trip, counted, not timed.

    python3 benches/callgrind.py [--short N] [--long N] [--kinds raw,mio,engine]

Builds the `roundtrips` binary of this crate (release profile), then for
each kind (raw TCP ping-pong, bare mio ping-pong, the engine: both ends in
one process, NewOrderSingle -> ExecutionReport) runs it twice under
callgrind and twice under `strace -f -c`, with a short and a long count of
round trips. The difference between the two runs divided by the difference
in round trips is the cost of one round trip, both ends together, with
start-up and shut-down cancelled out. Instruction counts do not depend on
the load of the machine; they cover user space only (the kernel's share is
in the system calls, counted separately).

Prints, per kind, instructions and system calls per round trip; for the
engine also the inclusive instructions of its main components (nested
figures include those below them) and the functions with the most
instructions of their own. Needs valgrind (callgrind_annotate) and strace.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "roundtrips")

# (label, function names whose inclusive cost is summed). Names are
# matched against the demangled symbol without its crate path prefix
# ambiguity: the full path as callgrind prints it.
COMPONENTS = [
    ("event loop, all of it", ["fixrs_transport_mio::event_loop::EventLoop::run"]),
    ("  mio poll (epoll_wait)", ["mio::poll::Poll::poll"]),
    ("  socket reads", [
        "<fixrs_transport_mio::transport::TcpTransport as fixrs_transport_mio::transport::Transport>::read",
    ]),
    ("  socket writes (write_out)", ["fixrs_transport_mio::event_loop::link::write_out"]),
    ("  session inbound (handle_input + handle_pending_input)", [
        "fixrs_session::session::Session::handle_input",
        "fixrs_session::session::Session::handle_pending_input",
    ]),
    ("    framing (Decoder::feed + next_frame)", [
        "fixrs_proto::framing::Decoder::feed",
        "fixrs_proto::framing::Decoder::next_frame",
    ]),
    ("    decode (FieldIndex::parse)", ["fixrs_proto::message::FieldIndex::parse"]),
    ("    header checks (check_header)", [
        "fixrs_session::session::inbound::<impl fixrs_session::session::Session>::check_header",
    ]),
    ("  events to callbacks (drain_events)", [
        "fixrs_transport_mio::event_loop::callbacks::drain_events",
        "fixrs_transport_mio::event_loop::callbacks::deliver_events",
    ]),
    ("    application callbacks (Pinger/Echo on_message)", [
        "<fixrs_benches::engine::Pinger as fixrs_transport_mio::app::Application>::on_message",
        "<fixrs_benches::engine::Echo as fixrs_transport_mio::app::Application>::on_message",
    ]),
    ("      put (SessionHandle::put)", ["fixrs_transport_mio::handle::SessionHandle::put"]),
    ("  put messages to the session (drain_inbox)", [
        "fixrs_transport_mio::event_loop::service::drain_inbox",
    ]),
    ("    session outbound (Session::send, send_fields)", [
        "fixrs_session::session::Session::send",
        "fixrs_session::session::Session::send_fields",
    ]),
    ("      encode (Encoder::start + finish, write_header)", [
        "fixrs_proto::encode::Encoder::start",
        "fixrs_proto::encode::Encoder::finish",
        "fixrs_session::session::outbound::write_header",
    ]),
    ("      store (MemoryStore::save_outgoing)", [
        "<fixrs_session::store::MemoryStore as fixrs_session::store::Store>::save_outgoing",
    ]),
    ("  service after input (service)", ["fixrs_transport_mio::event_loop::service::service"]),
]

LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*?):(.*?)( \[.*\])?\s*$")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def callgrind(kind, n, out_dir):
    out = os.path.join(out_dir, f"{kind}.{n}.callgrind")
    run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", BIN, kind, str(n)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def annotate(path, inclusive):
    """{function: Ir}: inclusive, of the functions proper (the line naming
    the binary); own, summed over the function's lines of every source
    file (what was inlined into it)."""
    text = run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                "--threshold=100", "--auto=no", path], capture_output=True, text=True,
               # From the root: below the current directory it shortens
               # paths and lists a function proper under a second name.
               cwd="/").stdout
    costs = {}
    total = 0
    for line in text.splitlines():
        if line.rstrip().endswith("PROGRAM TOTALS"):
            total = int(line.split()[0].replace(",", ""))
            continue
        m = LINE.match(line)
        if not m:
            continue
        fn, ir = m.group(3), int(m.group(1).replace(",", ""))
        if not inclusive:
            costs[fn] = costs.get(fn, 0) + ir
        elif m.group(4):
            costs[fn] = ir
    return total, costs


def syscalls(kind, n, out_dir):
    out = os.path.join(out_dir, f"{kind}.{n}.strace")
    run(["strace", "-f", "-c", "-o", out, BIN, kind, str(n)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {}
    for line in open(out):
        parts = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(parts) >= 5 and parts[3].isdigit() and parts[-1] != "total":
            counts[parts[-1]] = int(parts[3])
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--short", type=int, default=2000)
    p.add_argument("--long", type=int, default=12000)
    p.add_argument("--kinds", default="raw,mio,engine")
    p.add_argument("--top", type=int, default=25, help="functions listed by own cost")
    p.add_argument("--bin", help="a `roundtrips` binary built otherwise (e.g. with LTO); "
                   "default: build it with the release profile")
    a = p.parse_args()
    global BIN
    if a.bin:
        BIN = os.path.abspath(a.bin)
    else:
        run(["cargo", "build", "--release", "-q", "-p", "fixrs-benches", "--bin", "roundtrips"],
            cwd=ROOT)
    d = a.long - a.short
    print(f"per round trip, both ends, from runs of {a.short} and {a.long} round trips")
    with tempfile.TemporaryDirectory() as out_dir:
        results = {}
        for kind in a.kinds.split(","):
            s, l = callgrind(kind, a.short, out_dir), callgrind(kind, a.long, out_dir)
            (ts, incl_s), (tl, incl_l) = annotate(s, True), annotate(l, True)
            sys_s, sys_l = syscalls(kind, a.short, out_dir), syscalls(kind, a.long, out_dir)
            per_call = {k: (sys_l.get(k, 0) - sys_s.get(k, 0)) / d for k in set(sys_s) | set(sys_l)}
            per_call = {k: v for k, v in per_call.items() if abs(v) >= 0.005}
            results[kind] = (tl - ts) / d
            calls = ", ".join(f"{k} {v:.2f}" for k, v in sorted(per_call.items(), key=lambda kv: -kv[1]))
            print(f"\n{kind}: {(tl - ts) / d:,.0f} instructions, "
                  f"{sum(per_call.values()):.2f} system calls ({calls})")
            if kind != "engine":
                continue
            print("  components (inclusive instructions per round trip):")
            for label, fns in COMPONENTS:
                v = sum(incl_l.get(f, 0) - incl_s.get(f, 0) for f in fns) / d
                print(f"    {label:<62} {v:>9,.0f}")
            (_, self_s), (_, self_l) = annotate(s, False), annotate(l, False)
            own = {f: (self_l.get(f, 0) - self_s.get(f, 0)) / d for f in self_l}
            print(f"  top {a.top} functions by own instructions per round trip:")
            for f, v in sorted(own.items(), key=lambda kv: -kv[1])[: a.top]:
                print(f"    {v:>9,.0f}  {f[:110]}")
        if "raw" in results:
            for kind, v in results.items():
                if kind != "raw":
                    print(f"\n{kind} - raw: {v - results['raw']:,.0f} instructions per round trip")


if __name__ == "__main__":
    sys.exit(main())
