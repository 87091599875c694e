"""A FIX 4.4 acceptor for the guide's initiator (SessionId TEST1 -> TEST2 on
port 8901): it answers every NewOrderSingle with an ExecutionReport and prints
what happens.

    python examples/python/acceptor.py [port]

Port 0 lets the system choose (the port is printed). 'q' or Ctrl-C stops it.
"""

import itertools
import sys

import fixrs as v12


class Broker(v12.Application):
    def __init__(self):
        super().__init__()
        self.ids = itertools.count(1)

    def process(self, msg, ssn):
        print("<<", msg)
        if msg.type == "D":
            n = next(self.ids)
            report = ssn.new_message("8")
            report.set("OrderID", "O-%d" % n).set("ExecID", "E-%d" % n)
            report.set("ExecType", "0").set("OrdStatus", "0")
            for field in ("ClOrdID", "Symbol", "Side"):
                report.set(field, msg.get(field, "N/A"))
            qty = msg.get_decimal("OrderQty") or 0
            report.set("OrderQty", qty).set("LeavesQty", qty).set("CumQty", 0).set("AvgPx", 0)
            ssn.put(report)
        return True

    def on_logon_event(self, event, ssn):
        print("logged on:", ssn.id)

    def on_logout_event(self, event, ssn):
        print("logged out:", ssn.id, event.text or "")

    def on_new_state_event(self, event, ssn):
        print("state:", event.old_state, "->", event.new_state)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8901
    with v12.FixEngine() as engine:
        ssn = engine.create_session(
            v12.SessionId("TEST2", "TEST1"), "FIX44", v12.FIXVersion.FIX44,
            {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1",
             "SocketAcceptPort": port},
        )
        ssn.register_application(Broker())
        print("listening on port", engine.listen_ports[0], flush=True)
        try:
            for line in sys.stdin:
                if line.strip() == "q":
                    break
        except KeyboardInterrupt:
            pass
        ssn.disconnect("acceptor stopping")


if __name__ == "__main__":
    main()
