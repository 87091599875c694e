"""An initiator that sends NewOrderSingles and waits for their
ExecutionReports, printing each round trip.

    python examples/python/order_client.py [host] [port] [orders]

Defaults: 127.0.0.1 8901 10, the acceptor of acceptor.py.
"""

import datetime
import decimal
import sys
import threading
import time

import fixrs as v12


class Client(v12.Application):
    def __init__(self):
        super().__init__()
        self.logged_on = threading.Event()
        self.reports = {}
        self.done = threading.Condition()

    def on_logon_event(self, event, ssn):
        self.logged_on.set()

    def process(self, msg, ssn):
        if msg.type == "8":
            with self.done:
                self.reports[msg.get("ClOrdID")] = time.perf_counter()
                self.done.notify_all()
        return True

    def on_msg_reject_event(self, event, ssn):
        print("not sent:", event.message.get("ClOrdID"), event.reason)


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8901
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    engine = v12.FixEngine()
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44,
                                {"Reconnect.MaxTries": 5, "Reconnect.Interval": 1000})
    app = Client()
    ssn.register_application(app)
    ssn.connect(30, host, port)
    if not app.logged_on.wait(30):
        sys.exit("no logon from %s:%d (state %s)" % (host, port, ssn.state))
    for i in range(1, count + 1):
        cl_ord_id = "ORD-%d" % i
        order = v12.FixMessage("D")
        order.set("ClOrdID", cl_ord_id).set("Symbol", "EUR/USD").set("Side", 1)
        order.set("TransactTime", datetime.datetime.now(datetime.timezone.utc)).set("OrderQty", 1_000_000)
        order.set("OrdType", 2).set("Price", decimal.Decimal("1.08345"))
        sent = time.perf_counter()
        ssn.put(order)
        with app.done:
            if not app.done.wait_for(lambda: cl_ord_id in app.reports, timeout=30):
                sys.exit("no ExecutionReport for %s" % cl_ord_id)
        print("%s acknowledged in %.0f us" % (cl_ord_id, (app.reports[cl_ord_id] - sent) * 1e6))
    ssn.disconnect("done")
    print("sent %d orders, got %d reports; next MsgSeqNum out %d, in %d"
          % (count, len(app.reports), ssn.out_seq_num, ssn.in_seq_num))
    engine.stop()


if __name__ == "__main__":
    main()
