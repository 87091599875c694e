"""A FIX engine for Python with FIX Antenna's Python API, written in Rust.

A program written for FIX Antenna's Python package (``V12.FIXAntenna``)
runs with its import changed::

    import fixrs as v12

    engine = v12.FixEngine()
    ssn = engine.create_session(v12.SessionId("TEST1", "TEST2"), "FIX44", v12.FIXVersion.FIX44)
    ssn.connect(30, "127.0.0.1", 8901)   # returns at once; logs on in the background

The classes:

- ``FixEngine(settings_file=None)``: one engine thread running every
  session; ``create_session(session_id, app_protocol, version, params=None)``
  creates a session, configured by the engine's QuickFIX-format settings
  file (the section with the same identity) and ``params`` (settings-file
  keys: QuickFIX's names, and FIX Antenna's ``Reconnect.MaxTries`` and
  ``Reconnect.Interval``); ``create_sessions()`` creates every session of
  the file.
- ``Session``: ``connect``, ``put``, ``disconnect``,
  ``disconnect_non_gracefully``, ``reset_seq_num_local``,
  ``reset_seq_num_and_send_logon``, ``finalize``, ``register_application``;
  properties ``state``, ``in_seq_num``, ``out_seq_num``, ``id``.
- ``Application``: subclass it; its methods are called on the engine's
  thread, holding the GIL only for the call. An exception raised in one is
  logged (logger ``fixrs``, with the traceback) and the session goes on.
- ``FixMessage``: fields by tag number or name, typed values, repeating
  groups, ``from_string`` / ``to_string``.

Behaviours as in FIX Antenna: ``connect`` returns at once and logs on in the
background; a message put before the session is established is sent after
the Logon (late delivery), or, with ``LateDelivery=reject``, reported to
``on_msg_reject_event`` (``put`` returns ``False``); an initiator whose link
breaks reconnects ``Reconnect.Interval`` apart at most ``Reconnect.MaxTries``
times; ``disconnect`` keeps the sequence numbers; ``finalize`` releases the
session and a second call raises ``FixError``.

Where this package differs from FIX Antenna:

- Sessions are configured with settings-file keys (QuickFIX's names) rather
  than FIX Antenna's ``engine.properties``; ``FixEngine`` takes a QuickFIX
  settings file.
- ``process`` returning ``False`` is logged as a warning; the message is not
  delivered again (FIX Antenna's delayed processing is not offered).
- ``on_msg_reject_event`` is called in the thread that called ``put`` when
  the session refuses the message at once, and on the engine thread when a
  kept message expires.
- ``disconnect`` waits (without the GIL) until the Logout exchange ends or
  LogoutTimeout passes; ``connect`` never waits.
- The engine's own log goes to Python's ``logging`` (loggers ``fixrs.*``).
"""

from ._fixrs import (  # noqa: F401
    BackpressureError,
    FixEngine,
    FixError,
    FixMessage,
    FIXVersion,
    Group,
    GroupEntry,
    LogonEvent,
    LogoutEvent,
    MsgRejectEvent,
    NewStateEvent,
    Session,
    SessionId,
    SessionLevelRejectEvent,
    SessionState,
    __version__,
    field_name,
    tag_of,
)
from . import _fixrs as _native

import atexit as _atexit


class Application:
    """The callbacks of a session: subclass it and register an instance with
    ``Session.register_application``.

    Every method is called on the engine's thread, one call at a time for
    all the sessions of an engine, so it should return quickly. Methods
    not overridden are not called at all. An exception raised in one is
    logged with its traceback (logger ``fixrs``); the session goes on.
    """

    def process(self, msg, ssn):
        """An application message arrived on ``ssn``. Return ``True`` when
        it was processed."""
        return True

    def on_logon_event(self, event, ssn):
        """The session is established (``event``: ``LogonEvent``)."""

    def on_logout_event(self, event, ssn):
        """The session logged out or lost its link (``event``:
        ``LogoutEvent``, with the Logout's text)."""

    def on_msg_reject_event(self, event, ssn):
        """A message put on the session will not be sent (``event``:
        ``MsgRejectEvent``, with the message and the reason)."""

    def on_new_state_event(self, event, ssn):
        """The session changed state (``event``: ``NewStateEvent``, with
        ``old_state`` and ``new_state``)."""

    def on_session_level_reject_event(self, event, ssn):
        """The counterparty rejected one of our messages with a Reject(3)
        (``event``: ``SessionLevelRejectEvent``)."""


# Engine threads call into Python: they are stopped (sessions log out)
# before the interpreter goes away.
_atexit.register(_native._shutdown)

__all__ = [
    "Application",
    "BackpressureError",
    "FixEngine",
    "FixError",
    "FixMessage",
    "FIXVersion",
    "Group",
    "GroupEntry",
    "LogonEvent",
    "LogoutEvent",
    "MsgRejectEvent",
    "NewStateEvent",
    "Session",
    "SessionId",
    "SessionLevelRejectEvent",
    "SessionState",
    "field_name",
    "tag_of",
]
