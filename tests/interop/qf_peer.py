#!/usr/bin/env python3
"""A QuickFIX C++ counterparty, scripted over stdin and stdout.

The interop tests of the engine run this script (with the interpreter of the
repository's .venv, made by .ci/setup-python) as the other side of a FIX
session: a QuickFIX acceptor or initiator, plain or TLS, for FIX.4.2, FIX.4.4
or FIXT.1.1 with FIX.5.0SP2 as the default application version.

Output: one JSON object per line on stdout, one per event, always with an
"event" key:

  ready       the connector started ({"port": N} is the listening port of an
              acceptor, or the port an initiator connects to)
  create      QuickFIX created the session
  logon       the session logged on
  logout      the session logged out or its link went down
  admin_in    an admin message was received (Logon, Heartbeat, ...)
  admin_out   an admin message is being sent
  app_in      an application message was received
  app_out     an application message is being sent (resends included)
  ack         a command was carried out ({"cmd": ..., "ok": bool, ...})
  status      answer to the status command
  error       a callback failed ({"message": ...})

Message events carry "msg_type", "seq" (MsgSeqNum), "poss_dup"
(PossDupFlag), "fields" (the body and header fields the tests look at, by
tag number as a string) and "raw" (the message with '|' for SOH).

Input: one command per line on stdin, words separated by blanks:

  orders N [PREFIX]       send N NewOrderSingle with ClOrdID PREFIX-1 ... PREFIX-N
  test_request ID         send a TestRequest with TestReqID ID
  logout [TEXT]           log out (an initiator then stays away until logon)
  logon                   allow the session to log on again
  disconnect              drop the link without a Logout (its TCP connection is
                          shut down under QuickFIX, as by a network failure)
  stop                    stop the connector at once, its links cut without Logout
                          (an acceptor stops listening)
  start                   start a new connector with the same settings and store
  restart                 stop (abruptly), then start
  reset_logon             send Logon with ResetSeqNumFlag(141)=Y now if logged on,
                          else on the next Logon
  set_seqnums SENDER TARGET   set the next outgoing and expected incoming MsgSeqNum
  raw MSGTYPE [FIELDS]    send a message of this MsgType whose body is FIELDS
                          (TAG=VALUE separated by '|', no blanks; the value
                          `now` is the current UTCTimestamp), read by QuickFIX
                          with its dictionary (repeating groups as given, their
                          NumInGroup unchanged) and not validated: for messages
                          with missing, undefined or malformed fields. The ack
                          has the message sent ("raw", body fields sorted by
                          QuickFIX)
  reply on|off            answer NewOrderSingle with ExecutionReport (default on)
  status                  report whether logged on and the sequence numbers
  quit                    stop and exit (also on end of input)

Every NewOrderSingle(35=D) received is answered with an ExecutionReport(35=8)
that echoes its ClOrdID(11), Symbol(55), Side(54) and OrderQty(38).
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

try:
    import quickfix as fix
except ImportError as error:  # pragma: no cover - reported to the test runner
    sys.stderr.write(
        "qf_peer: cannot import quickfix (%s); run .ci/setup-python to create "
        ".venv with quickfix-tls\n" % error
    )
    sys.exit(3)

SOH = "\x01"

# Tags the events report by number.
TAG_BEGIN_SEQ_NO = 7
TAG_CL_ORD_ID = 11
TAG_MSG_SEQ_NUM = 34
TAG_MSG_TYPE = 35
TAG_NEW_SEQ_NO = 36
TAG_ORDER_QTY = 38
TAG_ORD_TYPE = 40
TAG_POSS_DUP_FLAG = 43
TAG_POSS_RESEND = 97
TAG_PRICE = 44
TAG_SENDING_TIME = 52
TAG_SIDE = 54
TAG_SYMBOL = 55
TAG_TEXT = 58
TAG_TRANSACT_TIME = 60
TAG_END_SEQ_NO = 16
TAG_HANDL_INST = 21
TAG_ENCRYPT_METHOD = 98
TAG_HEART_BT_INT = 108
TAG_TEST_REQ_ID = 112
TAG_ORIG_SENDING_TIME = 122
TAG_GAP_FILL_FLAG = 123
TAG_RESET_SEQ_NUM_FLAG = 141
TAG_REF_SEQ_NUM = 45
TAG_SESSION_REJECT_REASON = 373
TAG_REF_TAG_ID = 371
TAG_REF_MSG_TYPE = 372
TAG_DEFAULT_APPL_VER_ID = 1137
TAG_APPL_VER_ID = 1128
TAG_ORDER_ID = 37
TAG_EXEC_ID = 17
TAG_EXEC_TRANS_TYPE = 20
TAG_EXEC_TYPE = 150
TAG_ORD_STATUS = 39
TAG_LEAVES_QTY = 151
TAG_CUM_QTY = 14
TAG_AVG_PX = 6

REPORTED_HEADER_TAGS = (
    TAG_MSG_SEQ_NUM,
    TAG_POSS_DUP_FLAG,
    TAG_POSS_RESEND,
    TAG_SENDING_TIME,
    TAG_ORIG_SENDING_TIME,
    TAG_APPL_VER_ID,
)
REPORTED_BODY_TAGS = (
    TAG_BEGIN_SEQ_NO,
    TAG_END_SEQ_NO,
    TAG_CL_ORD_ID,
    TAG_NEW_SEQ_NO,
    TAG_ORDER_QTY,
    TAG_SIDE,
    TAG_SYMBOL,
    TAG_TEXT,
    TAG_HEART_BT_INT,
    TAG_TEST_REQ_ID,
    TAG_GAP_FILL_FLAG,
    TAG_RESET_SEQ_NUM_FLAG,
    TAG_REF_SEQ_NUM,
    TAG_SESSION_REJECT_REASON,
    TAG_REF_TAG_ID,
    TAG_REF_MSG_TYPE,
    TAG_DEFAULT_APPL_VER_ID,
    TAG_ORDER_ID,
    TAG_EXEC_ID,
    TAG_EXEC_TYPE,
    TAG_ORD_STATUS,
)

BEGIN_STRINGS = ("FIX.4.2", "FIX.4.4", "FIXT.1.1")
SPEC_FILES = {"FIX.4.2": "FIX42.xml", "FIX.4.4": "FIX44.xml"}
APPL_VER_IDS = {"FIX.5.0": "7", "FIX.5.0SP1": "8", "FIX.5.0SP2": "9"}
APPL_VER_SPEC_FILES = {
    "FIX.5.0": "FIX50.xml",
    "FIX.5.0SP1": "FIX50SP1.xml",
    "FIX.5.0SP2": "FIX50SP2.xml",
}


class Output:
    """Writes events as JSON lines; several QuickFIX threads share it."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, event, **fields):
        record = {"event": event, "time": time.time()}
        record.update(fields)
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                # The test that reads us is gone: nothing left to report to.
                os._exit(0)


def field_or_none(field_map, tag):
    if field_map.isSetField(tag):
        return field_map.getField(tag)
    return None


def describe(message):
    """The parts of a message that the events report."""
    header = message.getHeader()
    fields = {}
    for tag in REPORTED_HEADER_TAGS:
        value = field_or_none(header, tag)
        if value is not None:
            fields[str(tag)] = value
    for tag in REPORTED_BODY_TAGS:
        value = field_or_none(message, tag)
        if value is not None:
            fields[str(tag)] = value
    seq = field_or_none(header, TAG_MSG_SEQ_NUM)
    return {
        "msg_type": field_or_none(header, TAG_MSG_TYPE),
        "seq": int(seq) if seq is not None and seq.isdigit() else None,
        "poss_dup": field_or_none(header, TAG_POSS_DUP_FLAG) == "Y",
        "fields": fields,
        "raw": message.toString().replace(SOH, "|"),
    }


def utc_timestamp():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%d-%H:%M:%S.") + "%03d" % (now.microsecond // 1000)


class Peer(fix.Application):
    """The QuickFIX application: reports events and answers orders."""

    def __init__(self, output, begin_string, default_appl_ver_id, heart_bt_int):
        super().__init__()
        self.output = output
        self.begin_string = begin_string
        self.default_appl_ver_id = default_appl_ver_id
        self.heart_bt_int = heart_bt_int
        self.session_id = None
        self.reply_to_orders = True
        self.reset_on_next_logon = False
        # (session, application) data dictionaries for `raw` messages.
        self.dictionaries = None
        self._ids = 0
        self._lock = threading.Lock()

    def next_id(self):
        with self._lock:
            self._ids += 1
            return self._ids

    # QuickFIX calls these from its own threads. An exception escaping into
    # C++ would end the process, so each one reports failures as events.

    def onCreate(self, session_id):
        self.session_id = session_id
        self.output.emit("create", session=session_id.toString())

    def onLogon(self, session_id):
        self.output.emit("logon", session=session_id.toString(), **self.seqnums())

    def onLogout(self, session_id):
        self.output.emit("logout", session=session_id.toString(), **self.seqnums())

    def toAdmin(self, message, session_id):
        try:
            msg_type = field_or_none(message.getHeader(), TAG_MSG_TYPE)
            if msg_type == "A" and self.reset_on_next_logon:
                self.reset_on_next_logon = False
                message.setField(TAG_RESET_SEQ_NUM_FLAG, "Y")
            event = describe(message)
            if msg_type == "A" and field_or_none(message, TAG_RESET_SEQ_NUM_FLAG) == "Y":
                # QuickFIX resets its numbers after this callback and sends
                # the Logon as MsgSeqNum 1: report what goes on the wire.
                event["seq"] = 1
                event["fields"][str(TAG_MSG_SEQ_NUM)] = "1"
            self.output.emit("admin_out", **event)
        except Exception as error:  # noqa: BLE001 - must not reach C++
            self.output.emit("error", message="toAdmin: %r" % (error,))

    def fromAdmin(self, message, session_id):
        try:
            self.output.emit("admin_in", **describe(message))
        except Exception as error:  # noqa: BLE001
            self.output.emit("error", message="fromAdmin: %r" % (error,))

    def toApp(self, message, session_id):
        try:
            self.output.emit("app_out", **describe(message))
        except Exception as error:  # noqa: BLE001
            self.output.emit("error", message="toApp: %r" % (error,))

    def fromApp(self, message, session_id):
        try:
            self.output.emit("app_in", **describe(message))
            msg_type = field_or_none(message.getHeader(), TAG_MSG_TYPE)
            if msg_type == "D" and self.reply_to_orders:
                fix.Session.sendToTarget(self.execution_report(message), session_id)
        except Exception as error:  # noqa: BLE001
            self.output.emit("error", message="fromApp: %r" % (error,))

    def seqnums(self):
        session = self.session()
        if session is None:
            return {}
        return {
            "next_sender_seq": session.getExpectedSenderNum(),
            "next_target_seq": session.getExpectedTargetNum(),
        }

    def session(self):
        if self.session_id is None:
            return None
        return fix.Session.lookupSession(self.session_id)

    def new_message(self, msg_type):
        message = fix.Message()
        header = message.getHeader()
        header.setField(fix.BeginString(self.begin_string))
        header.setField(fix.MsgType(msg_type))
        return message

    def new_order_single(self, cl_ord_id):
        order = self.new_message("D")
        order.setField(TAG_CL_ORD_ID, cl_ord_id)
        if self.begin_string == "FIX.4.2":
            order.setField(TAG_HANDL_INST, "1")
        order.setField(TAG_SYMBOL, "IBM")
        order.setField(TAG_SIDE, "1")
        order.setField(TAG_TRANSACT_TIME, utc_timestamp())
        order.setField(TAG_ORDER_QTY, "100")
        order.setField(TAG_ORD_TYPE, "2")
        order.setField(TAG_PRICE, "10.5")
        return order

    def execution_report(self, order):
        n = self.next_id()
        report = self.new_message("8")
        report.setField(TAG_ORDER_ID, "O-%d" % n)
        report.setField(TAG_EXEC_ID, "E-%d" % n)
        if self.begin_string == "FIX.4.2":
            report.setField(TAG_EXEC_TRANS_TYPE, "0")
        report.setField(TAG_EXEC_TYPE, "0")
        report.setField(TAG_ORD_STATUS, "0")
        report.setField(TAG_CL_ORD_ID, field_or_none(order, TAG_CL_ORD_ID) or "NONE")
        report.setField(TAG_SYMBOL, field_or_none(order, TAG_SYMBOL) or "NONE")
        report.setField(TAG_SIDE, field_or_none(order, TAG_SIDE) or "1")
        quantity = field_or_none(order, TAG_ORDER_QTY) or "0"
        report.setField(TAG_ORDER_QTY, quantity)
        report.setField(TAG_LEAVES_QTY, quantity)
        report.setField(TAG_CUM_QTY, "0")
        report.setField(TAG_AVG_PX, "0")
        return report

    def unvalidated(self, msg_type, body):
        """A message of `msg_type` with the fields of `body` ("TAG=VALUE|..."),
        read with the session's dictionaries and not validated."""
        fields = []
        for item in body.split("|") if body else []:
            tag, _, value = item.partition("=")
            fields.append("%s=%s" % (tag, utc_timestamp() if value == "now" else value))
        text = SOH.join(
            ["8=%s" % self.begin_string, "9=0", "35=%s" % msg_type] + fields + ["10=000", ""]
        )
        session_dd, app_dd = self.dictionaries
        return fix.Message(text, session_dd, app_dd, False)

    def logon_with_reset(self):
        logon = self.new_message("A")
        logon.setField(TAG_ENCRYPT_METHOD, "0")
        logon.setField(TAG_HEART_BT_INT, str(self.heart_bt_int))
        logon.setField(TAG_RESET_SEQ_NUM_FLAG, "Y")
        if self.begin_string == "FIXT.1.1":
            logon.setField(TAG_DEFAULT_APPL_VER_ID, APPL_VER_IDS[self.default_appl_ver_id])
        return logon


def find_spec_dir(explicit):
    """Where the QuickFIX XML dictionaries are.

    The folder given on the command line, else the repository's own
    spec/ folder (the QuickFIX dictionaries committed with the project).
    """
    candidates = []
    if explicit:
        candidates.append(explicit)
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidates.append(os.path.join(repo_root, "spec"))
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, "FIX44.xml")):
            return candidate
    raise SystemExit("qf_peer: no FIX dictionaries found in %s" % ", ".join(candidates))


def load_dictionaries(args, spec_dir):
    """The session and application dictionaries of the session's version."""
    if args.begin_string == "FIXT.1.1":
        transport = fix.DataDictionary(os.path.join(spec_dir, "FIXT11.xml"))
        app_file = APPL_VER_SPEC_FILES[args.default_appl_ver_id]
        return transport, fix.DataDictionary(os.path.join(spec_dir, app_file))
    dictionary = fix.DataDictionary(os.path.join(spec_dir, SPEC_FILES[args.begin_string]))
    return dictionary, dictionary


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings_text(args, spec_dir, port, store_dir, log_dir):
    lines = ["[DEFAULT]"]
    lines.append("ConnectionType=%s" % args.role)
    lines.append("StartTime=00:00:00")
    lines.append("EndTime=00:00:00")
    lines.append("HeartBtInt=%d" % args.heartbeat)
    lines.append("ReconnectInterval=%d" % args.reconnect_interval)
    lines.append("LogonTimeout=%d" % args.logon_timeout)
    lines.append("LogoutTimeout=%d" % args.logout_timeout)
    lines.append("SocketNodelay=Y")
    lines.append("SocketReuseAddress=Y")
    lines.append("PersistMessages=Y")
    lines.append("FileStorePath=%s" % store_dir)
    lines.append("FileLogPath=%s" % log_dir)
    lines.append("ResetOnLogon=%s" % ("Y" if args.reset_on_logon else "N"))
    lines.append("ResetOnLogout=%s" % ("Y" if args.reset_on_logout else "N"))
    lines.append("ResetOnDisconnect=%s" % ("Y" if args.reset_on_disconnect else "N"))
    lines.append("UseDataDictionary=%s" % ("Y" if args.validate else "N"))
    if args.begin_string == "FIXT.1.1":
        appl_spec = APPL_VER_SPEC_FILES.get(args.default_appl_ver_id)
        if appl_spec is None or args.default_appl_ver_id not in APPL_VER_IDS:
            raise SystemExit("qf_peer: unsupported DefaultApplVerID %s" % args.default_appl_ver_id)
        lines.append("DefaultApplVerID=%s" % args.default_appl_ver_id)
        lines.append("TransportDataDictionary=%s" % os.path.join(spec_dir, "FIXT11.xml"))
        lines.append("AppDataDictionary=%s" % os.path.join(spec_dir, appl_spec))
    else:
        lines.append("DataDictionary=%s" % os.path.join(spec_dir, SPEC_FILES[args.begin_string]))
    if args.role == "acceptor":
        lines.append("SocketAcceptPort=%d" % port)
        # QuickFIX listens on every interface; take links from loopback only.
        lines.append("AllowedRemoteAddresses=127.0.0.1")
    else:
        lines.append("SocketConnectHost=%s" % args.host)
        lines.append("SocketConnectPort=%d" % port)
    if args.tls:
        lines.append("SSLProtocol=%s" % args.tls_protocol)
        if args.tls_ca:
            lines.append("CertificationAuthoritiesFile=%s" % args.tls_ca)
        lines.append("CertificateVerifyLevel=%d" % (1 if args.tls_verify_peer else 0))
        prefix = "Server" if args.role == "acceptor" else "Client"
        if args.tls_cert:
            lines.append("%sCertificateFile=%s" % (prefix, args.tls_cert))
        if args.tls_key:
            lines.append("%sCertificateKeyFile=%s" % (prefix, args.tls_key))
    lines.append("")
    lines.append("[SESSION]")
    lines.append("BeginString=%s" % args.begin_string)
    lines.append("SenderCompID=%s" % args.sender)
    lines.append("TargetCompID=%s" % args.target)
    lines.append("")
    return "\n".join(lines)


def shut_down_links(role, port):
    """Shuts down this process's TCP connections of the FIX session.

    Those whose remote port is `port` for an initiator, whose local port is
    `port` for an acceptor (the listening socket itself stays). Returns how
    many were shut down. Linux: the descriptors come from /proc/self/fd.
    """
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            fd = os.dup(int(name))
        except (OSError, ValueError):
            continue
        try:
            link = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            continue
        with link:
            try:
                if link.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if link.type != socket.SOCK_STREAM:
                    continue
                local_port = link.getsockname()[1]
                remote_port = link.getpeername()[1]
            except OSError:
                # Not connected: a listening socket, or not a socket at all.
                continue
            if (role == "initiator" and remote_port == port) or (
                role == "acceptor" and local_port == port
            ):
                link.shutdown(socket.SHUT_RDWR)
                count += 1
    return count


class Connector:
    """The QuickFIX acceptor or initiator, which can be stopped and started."""

    def __init__(self, args, application, settings_path, port):
        self.args = args
        self.application = application
        self.settings_path = settings_path
        self.port = port
        self.connector = None

    def start(self):
        settings = fix.SessionSettings(self.settings_path)
        if self.args.store == "file":
            store = fix.FileStoreFactory(settings)
        else:
            store = fix.MemoryStoreFactory()
        log = fix.FileLogFactory(settings)
        # The threaded transports, one thread per link: in these bindings the
        # single-threaded SocketAcceptor crashes when stopped, and the
        # single-threaded SocketInitiator never connects again a session
        # that logged out and was re-enabled (it sends the Logon into the
        # closed link and waits for ever).
        if self.args.role == "acceptor":
            kind = fix.ThreadedSSLSocketAcceptor if self.args.tls else fix.ThreadedSocketAcceptor
        else:
            kind = fix.ThreadedSSLSocketInitiator if self.args.tls else fix.ThreadedSocketInitiator
        connector = kind(self.application, store, settings, log)
        # The factories must outlive the connector that refers to them.
        connector._peer_refs = (settings, store, log)
        connector.start()
        self.connector = connector

    def stop(self):
        if self.connector is not None:
            self.connector.stop(True)
            self.connector = None


class Commands:
    """Carries out the commands read from stdin."""

    def __init__(self, output, application, connector):
        self.output = output
        self.app = application
        self.connector = connector

    def run(self, line):
        words = line.split()
        if not words:
            return True
        name, rest = words[0], words[1:]
        handler = getattr(self, "cmd_" + name, None)
        if handler is None:
            self.output.emit("ack", cmd=name, ok=False, error="unknown command")
            return True
        try:
            result = handler(rest)
        except Exception as error:  # noqa: BLE001 - reported, the peer goes on
            self.output.emit("ack", cmd=name, ok=False, error=repr(error))
            return True
        if result is False:
            return False
        self.output.emit("ack", cmd=name, ok=True, **(result or {}))
        return True

    def session(self):
        session = self.app.session()
        if session is None:
            raise RuntimeError("no session yet")
        return session

    def cmd_orders(self, rest):
        count = int(rest[0]) if rest else 1
        prefix = rest[1] if len(rest) > 1 else "QF"
        sent = []
        for i in range(1, count + 1):
            cl_ord_id = "%s-%d" % (prefix, i)
            order = self.app.new_order_single(cl_ord_id)
            # False means "stored, not sent now": it goes out in a resend.
            fix.Session.sendToTarget(order, self.app.session_id)
            sent.append(cl_ord_id)
        return {"cl_ord_ids": sent}

    def cmd_test_request(self, rest):
        request = self.app.new_message("1")
        request.setField(TAG_TEST_REQ_ID, rest[0] if rest else "TEST")
        fix.Session.sendToTarget(request, self.app.session_id)
        return {}

    def cmd_logout(self, rest):
        self.session().logout(" ".join(rest))
        return {}

    def cmd_logon(self, rest):
        self.session().logon()
        return {}

    def cmd_disconnect(self, rest):
        # Session.disconnect() called from outside QuickFIX's own threads
        # can leave an initiator believing the link is up (it then never
        # reconnects), so the link is cut underneath QuickFIX instead, as a
        # network failure would: QuickFIX reads end-of-stream and goes
        # through its ordinary disconnect handling, on both sides.
        cut = shut_down_links(self.connector.args.role, self.connector.port)
        if not cut:
            self.session().disconnect()
        return {"sockets_shut_down": cut}

    def cmd_stop(self, rest):
        # QuickFIX logs its sessions out even when forced to stop: the links
        # are cut first, so that stopping is abrupt, as a crash would be.
        cut = shut_down_links(self.connector.args.role, self.connector.port)
        self.connector.stop()
        return {"sockets_shut_down": cut}

    def cmd_start(self, rest):
        self.connector.start()
        return {}

    def cmd_restart(self, rest):
        shut_down_links(self.connector.args.role, self.connector.port)
        self.connector.stop()
        self.connector.start()
        return {}

    def cmd_reset_logon(self, rest):
        session = self.session()
        if session.isLoggedOn():
            fix.Session.sendToTarget(self.app.logon_with_reset(), self.app.session_id)
            return {"when": "now"}
        self.app.reset_on_next_logon = True
        return {"when": "next_logon"}

    def cmd_raw(self, rest):
        message = self.app.unvalidated(rest[0], rest[1] if len(rest) > 1 else "")
        fix.Session.sendToTarget(message, self.app.session_id)
        return {"raw": message.toString().replace(SOH, "|")}

    def cmd_set_seqnums(self, rest):
        session = self.session()
        session.setNextSenderMsgSeqNum(int(rest[0]))
        session.setNextTargetMsgSeqNum(int(rest[1]))
        return self.app.seqnums()

    def cmd_reply(self, rest):
        self.app.reply_to_orders = not rest or rest[0] == "on"
        return {"reply": self.app.reply_to_orders}

    def cmd_status(self, rest):
        session = self.app.session()
        status = {"logged_on": bool(session is not None and session.isLoggedOn())}
        status.update(self.app.seqnums())
        self.output.emit("status", **status)
        return {}

    def cmd_quit(self, rest):
        return False


def parse_args(argv):
    parser = argparse.ArgumentParser(description="QuickFIX counterparty for interop tests")
    parser.add_argument("--role", choices=("acceptor", "initiator"), required=True)
    parser.add_argument("--begin-string", choices=BEGIN_STRINGS, default="FIX.4.4")
    parser.add_argument("--default-appl-ver-id", default="FIX.5.0SP2",
                        help="DefaultApplVerID for FIXT.1.1")
    parser.add_argument("--sender", required=True, help="SenderCompID of this peer")
    parser.add_argument("--target", required=True, help="TargetCompID of this peer")
    parser.add_argument("--host", default="127.0.0.1", help="host an initiator connects to")
    parser.add_argument("--port", type=int, default=0,
                        help="acceptor: port to listen on (0 picks a free one); "
                             "initiator: port to connect to")
    parser.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt in seconds")
    parser.add_argument("--reconnect-interval", type=int, default=1)
    parser.add_argument("--logon-timeout", type=int, default=5)
    parser.add_argument("--logout-timeout", type=int, default=2)
    parser.add_argument("--store", choices=("file", "memory"), default="file")
    parser.add_argument("--store-dir", help="FileStorePath (default: a temp dir)")
    parser.add_argument("--log-dir", help="FileLogPath (default: a temp dir)")
    parser.add_argument("--spec-dir", help="folder of the QuickFIX XML dictionaries")
    parser.add_argument("--no-validate", dest="validate", action="store_false",
                        help="do not validate messages against the dictionary")
    parser.add_argument("--reset-on-logon", action="store_true")
    parser.add_argument("--reset-on-logout", action="store_true")
    parser.add_argument("--reset-on-disconnect", action="store_true")
    parser.add_argument("--no-reply", dest="reply", action="store_false",
                        help="do not answer NewOrderSingle")
    parser.add_argument("--tls", action="store_true", help="use the SSL socket transports")
    parser.add_argument("--tls-cert", help="certificate (PEM) of this peer")
    parser.add_argument("--tls-key", help="private key (PEM) of this peer")
    parser.add_argument("--tls-ca", help="CA certificates (PEM) to verify the other side")
    parser.add_argument("--tls-verify-peer", action="store_true",
                        help="require and verify the other side's certificate")
    parser.add_argument("--tls-protocol", default="+TLSv1.2 +TLSv1.3",
                        help="SSLProtocol setting")
    args = parser.parse_args(argv)
    if args.role == "initiator" and args.port == 0:
        parser.error("an initiator needs --port")
    return args


def event_stream():
    """The stream events go to: the process's stdout, kept for us alone.

    QuickFIX's C++ code prints to file descriptor 1 (the SSL transports
    report certificate checks there), which would break the one-JSON-line
    protocol; descriptor 1 is pointed at stderr and events get a private
    duplicate of the original stdout.
    """
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", encoding="utf-8", buffering=1)


def main(argv):
    args = parse_args(argv)
    output = Output(event_stream())
    spec_dir = find_spec_dir(args.spec_dir)
    work_dir = tempfile.mkdtemp(prefix="qf_peer-")
    try:
        store_dir = args.store_dir or os.path.join(work_dir, "store")
        log_dir = args.log_dir or os.path.join(work_dir, "log")
        application = Peer(output, args.begin_string, args.default_appl_ver_id, args.heartbeat)
        application.reply_to_orders = args.reply
        application.dictionaries = load_dictionaries(args, spec_dir)
        settings_path = os.path.join(work_dir, "session.cfg")

        connector = None
        attempts = 5 if args.role == "acceptor" and args.port == 0 else 1
        for attempt in range(attempts):
            port = args.port if args.port else free_port()
            with open(settings_path, "w", encoding="utf-8") as settings_file:
                settings_file.write(settings_text(args, spec_dir, port, store_dir, log_dir))
            connector = Connector(args, application, settings_path, port)
            try:
                connector.start()
                break
            except (fix.ConfigError, fix.RuntimeError, RuntimeError) as error:
                # Another process took the port between probe and bind.
                if attempt + 1 == attempts:
                    raise SystemExit("qf_peer: cannot start: %s" % error)
        output.emit("ready", port=port, role=args.role, begin_string=args.begin_string,
                    store_dir=store_dir, log_dir=log_dir, spec_dir=spec_dir)

        commands = Commands(output, application, connector)
        for line in sys.stdin:
            if not commands.run(line):
                break
        connector.stop()
        output.emit("ack", cmd="quit", ok=True)
    finally:
        # Only the settings file and the default store and log live here;
        # folders given on the command line are the caller's to keep.
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
    # The bindings' objects do not survive the interpreter's teardown in
    # every order (QuickFIX's threads and factories refer to each other):
    # everything is stopped and flushed by now, so leave without it.
    sys.stderr.flush()
    os._exit(0)
