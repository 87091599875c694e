"""Type stubs of the fixrs module: FIX Antenna's Python API on the fixrs engine."""

import datetime
import decimal
import enum
import os
from typing import Iterator, List, Mapping, Optional, Tuple, TypeVar, Union

__version__: str

Tag = Union[int, str]
"""A tag number, or a field name of the message's FIX version ("ClOrdID")."""

FieldValue = Union[
    str, bytes, bytearray, int, bool, float, decimal.Decimal,
    datetime.datetime, datetime.date, datetime.time,
]
"""What a field may be set to."""

ParamValue = Union[str, int, float, bool, "os.PathLike[str]"]

_Self = TypeVar("_Self", bound="_Fields")

class FixError(Exception):
    """An engine or session operation failed."""

class BackpressureError(FixError):
    """A session's outgoing backlog is over its bound; retry once it drained."""

class FIXVersion(enum.Enum):
    """FIX versions, as FIX Antenna names them."""

    FIX40: "FIXVersion"
    FIX41: "FIXVersion"
    FIX42: "FIXVersion"
    FIX43: "FIXVersion"
    FIX44: "FIXVersion"
    FIX50: "FIXVersion"
    FIX50SP1: "FIXVersion"
    FIX50SP2: "FIXVersion"
    FIXT11: "FIXVersion"
    @property
    def begin_string(self) -> str:
        """BeginString(8) of the version ("FIXT.1.1" for FIX 5.0 and later)."""

class SessionState(enum.Enum):
    """Session states, as FIX Antenna names them; str() gives "Established"."""

    INITIAL: "SessionState"
    WAIT_FOR_CONNECT: "SessionState"
    WAIT_FOR_CONFIRM_LOGON: "SessionState"
    ESTABLISHED: "SessionState"
    RECONNECT: "SessionState"
    WAIT_FOR_CONFIRM_LOGOUT: "SessionState"
    CORRECTLY_TERMINATED: "SessionState"
    NON_GRACEFULLY_TERMINATED: "SessionState"
    WAIT_FOR_FIRST_LOGON: "SessionState"
    @property
    def is_terminated(self) -> bool:
        """Whether the session has ended (correctly or not)."""

class SessionId:
    """A session's identity: our SenderCompID, the counterparty's, a qualifier."""

    sender: str
    target: str
    qualifier: Optional[str]
    sender_sub_id: Optional[str]
    target_sub_id: Optional[str]
    sender_location_id: Optional[str]
    target_location_id: Optional[str]
    def __init__(
        self,
        sender: str,
        target: str,
        qualifier: Optional[str] = None,
        *,
        sender_sub_id: Optional[str] = None,
        target_sub_id: Optional[str] = None,
        sender_location_id: Optional[str] = None,
        target_location_id: Optional[str] = None,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class _Fields:
    """Field access shared by FixMessage and GroupEntry."""

    def set(self: _Self, tag: Tag, value: FieldValue) -> _Self:
        """Sets a field (replacing the first with this tag, or appending it)."""
    def get(self, tag: Tag, default: Optional[str] = None) -> Optional[str]:
        """The value as str, or `default` when absent."""
    def get_bytes(self, tag: Tag) -> Optional[bytes]: ...
    def get_int(self, tag: Tag) -> Optional[int]: ...
    def get_float(self, tag: Tag) -> Optional[float]: ...
    def get_decimal(self, tag: Tag) -> Optional[decimal.Decimal]: ...
    def get_bool(self, tag: Tag) -> Optional[bool]: ...
    def get_datetime(self, tag: Tag) -> Optional[datetime.datetime]:
        """A UTCTimestamp as an aware datetime in UTC."""
    def get_date(self, tag: Tag) -> Optional[datetime.date]: ...
    def get_time(self, tag: Tag) -> Optional[datetime.time]: ...
    def is_tag_exists(self, tag: Tag) -> bool: ...
    def has(self, tag: Tag) -> bool: ...
    def remove(self, tag: Tag) -> bool:
        """Removes every field or group with this tag; whether there was one."""
    def add_group(self, count_tag: Tag, size: int = 0) -> "Group":
        """Adds (or replaces) a repeating group with `size` empty entries."""
    def get_group(self, count_tag: Tag) -> Optional["Group"]: ...
    def fields(self) -> List[Tuple[int, str]]:
        """Every field in order, groups flattened as on the wire."""
    def __contains__(self, tag: Tag) -> bool: ...
    def __getitem__(self, tag: Tag) -> str: ...
    def __setitem__(self, tag: Tag, value: FieldValue) -> None: ...
    def __delitem__(self, tag: Tag) -> None: ...
    def __len__(self) -> int: ...

class FixMessage(_Fields):
    """A FIX message, built by MsgType and version or read from text."""

    def __init__(self, msg_type: str, version: Union[FIXVersion, str, None] = None) -> None: ...
    @staticmethod
    def from_string(
        text: Union[str, bytes], version: Union[FIXVersion, str, None] = None
    ) -> "FixMessage":
        """Reads fields separated by SOH, or by '|' when there is no SOH."""
    def to_string(self, delimiter: Optional[str] = None) -> str:
        """The complete message (BodyLength and CheckSum computed)."""
    def to_bytes(self) -> bytes: ...
    @property
    def type(self) -> str:
        """MsgType(35)."""
    @property
    def type_name(self) -> Optional[str]:
        """The dictionary's name of the MsgType ("NewOrderSingle")."""
    @property
    def seq_num(self) -> Optional[int]:
        """MsgSeqNum(34), for received messages."""
    @property
    def version(self) -> FIXVersion: ...
    def copy(self) -> "FixMessage": ...

class GroupEntry(_Fields):
    """One entry of a repeating group, changed in place."""

class Group:
    """A repeating group: a sequence of entries."""

    @property
    def count_tag(self) -> int: ...
    def add_entry(self) -> GroupEntry: ...
    def get_entry(self, index: int) -> GroupEntry: ...
    def remove_entry(self, index: int) -> None: ...
    def size(self) -> int: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> GroupEntry: ...
    def __iter__(self) -> Iterator[GroupEntry]: ...

class LogonEvent:
    heartbeat_interval: Optional[int]

class LogoutEvent:
    text: Optional[str]

class NewStateEvent:
    old_state: SessionState
    new_state: SessionState

class MsgRejectEvent:
    message: FixMessage
    reason: str

class SessionLevelRejectEvent:
    message: FixMessage
    ref_seq_num: Optional[int]
    reason: Optional[int]
    text: Optional[str]

class Application:
    """Subclass it; methods are called on the engine thread (GIL held for the call)."""

    def process(self, msg: FixMessage, ssn: "Session") -> bool: ...
    def on_logon_event(self, event: LogonEvent, ssn: "Session") -> None: ...
    def on_logout_event(self, event: LogoutEvent, ssn: "Session") -> None: ...
    def on_msg_reject_event(self, event: MsgRejectEvent, ssn: "Session") -> None: ...
    def on_new_state_event(self, event: NewStateEvent, ssn: "Session") -> None: ...
    def on_session_level_reject_event(
        self, event: SessionLevelRejectEvent, ssn: "Session"
    ) -> None: ...

class Session:
    """A FIX session of a FixEngine."""

    def connect(
        self,
        heartbeat_interval: Optional[int] = None,
        host: Optional[str] = None,
        port: Optional[int] = None,
    ) -> None:
        """Initiator: connect(hbi, host, port), or connect() with the settings' counterparty.
        Acceptor: connect() makes it ready again. Returns at once."""
    def put(self, msg: FixMessage) -> bool:
        """Sends (or keeps until logon); False when rejected (see on_msg_reject_event)."""
    def disconnect(self, reason: str = "") -> None:
        """Logout; waits for the reply or LogoutTimeout. Sequence numbers are kept."""
    def disconnect_non_gracefully(self) -> None: ...
    def reset_seq_num_local(self) -> None: ...
    def reset_seq_num_and_send_logon(self) -> None: ...
    def finalize(self) -> None:
        """Releases the session; a second call raises FixError."""
    def register_application(self, app: Application) -> None: ...
    def new_message(self, msg_type: str) -> FixMessage: ...
    @property
    def state(self) -> SessionState: ...
    @property
    def in_seq_num(self) -> int: ...
    @property
    def out_seq_num(self) -> int: ...
    @property
    def id(self) -> SessionId: ...
    @property
    def version(self) -> FIXVersion: ...
    @property
    def is_initiator(self) -> bool: ...
    @property
    def outgoing_queue_size(self) -> int: ...

class FixEngine:
    """One engine thread running every session created on it."""

    def __init__(self, settings_file: Union[str, "os.PathLike[str]", None] = None) -> None: ...
    def create_session(
        self,
        session_id: SessionId,
        app_protocol: str,
        version: Union[FIXVersion, str],
        params: Optional[Mapping[str, ParamValue]] = None,
    ) -> Session: ...
    def create_sessions(self) -> List[Session]:
        """Every session of the settings file."""
    @property
    def listen_ports(self) -> List[int]: ...
    @property
    def is_running(self) -> bool: ...
    def stop(self) -> None: ...
    def __enter__(self) -> "FixEngine": ...
    def __exit__(self, *exc: object) -> bool: ...

def tag_of(name: str, version: Union[FIXVersion, str, None] = None) -> int: ...
def field_name(tag: int, version: Union[FIXVersion, str, None] = None) -> Optional[str]: ...

__all__: List[str]
