//! The engine's keys, each declared once, and their table [`KEYS`].

use super::HostSelectionPolicy;
use fixrs_session::settings::format::{self, parse_positive, parse_uint};
use fixrs_session::settings::{Alias, Format, Key, KeyFamily, KeyTable, QualifierError};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

const CONNECTION: &str = "Connection";
const LOGS: &str = "FIX message logs";

/// The keys this crate reads, in the order of its reference.
pub static KEYS: &KeyTable = &[
    &SOCKET_CONNECT_HOST,
    &SOCKET_CONNECT_PORT,
    &SOCKET_CONNECT_HOST_N,
    &SOCKET_CONNECT_PORT_N,
    &SOCKET_CONNECT_SOURCE_HOST,
    &SOCKET_CONNECT_SOURCE_PORT,
    &SOCKET_CONNECT_SOURCE_HOST_N,
    &SOCKET_CONNECT_SOURCE_PORT_N,
    &HOST_SELECTION_POLICY,
    &HOST_SELECTION_START_OVER,
    &SOCKET_ACCEPT_HOST,
    &SOCKET_ACCEPT_PORT,
    &ALLOWED_REMOTE_ADDRESSES,
    &ACCEPTOR_TEMPLATE,
    &SOCKET_REUSE_ADDRESS,
    &SOCKET_NODELAY,
    &SOCKET_SEND_BUFFER_SIZE,
    &SOCKET_RECEIVE_BUFFER_SIZE,
    &SOCKET_KEEP_ALIVE,
    &MAX_OUTGOING_BYTES,
    &SOCKET_USE_SSL,
    &FILE_LOG_PATH,
];

/// QuickFIX's default HostSelectionPolicyPriorityStartOverInterval.
const DEFAULT_START_OVER: Duration = Duration::from_secs(120);

pub(super) static SOCKET_CONNECT_HOST: Key<String> = Key {
    name: "SocketConnectHost",
    group: CONNECTION,
    format: format::TEXT,
    default: "required for initiators",
    example: "SocketConnectHost=127.0.0.1",
    meaning: "Host an initiator connects to.",
    also: &[],
};

pub(super) static SOCKET_CONNECT_PORT: Key<u16> = Key {
    name: "SocketConnectPort",
    group: CONNECTION,
    format: format::positive("a port number from 1 to 65535"),
    default: "required for initiators",
    example: "SocketConnectPort=9876",
    meaning: "Port an initiator connects to.",
    also: &[],
};

pub(super) static SOCKET_CONNECT_HOST_N: KeyFamily<u32, String> = KeyFamily {
    name: "SocketConnectHost<n>",
    prefix: "SocketConnectHost",
    qualifier: alternate_number,
    group: CONNECTION,
    format: format::TEXT,
    default: "none",
    example: "SocketConnectHost1=backup.example.com",
    meaning: "Alternate host number `<n>` (1, 2, ...), tried after the primary in number order on reconnects; needs SocketConnectPort`<n>`.",
};

pub(super) static SOCKET_CONNECT_PORT_N: KeyFamily<u32, u16> = KeyFamily {
    name: "SocketConnectPort<n>",
    prefix: "SocketConnectPort",
    qualifier: alternate_number,
    group: CONNECTION,
    format: format::positive("a port number from 1 to 65535"),
    default: "none",
    example: "SocketConnectPort1=9876",
    meaning: "Port of alternate `<n>`; needs SocketConnectHost`<n>`.",
};

pub(super) static SOCKET_CONNECT_SOURCE_HOST: Key<String> = Key {
    name: "SocketConnectSourceHost",
    group: CONNECTION,
    format: format::TEXT,
    default: "none (any local address)",
    example: "SocketConnectSourceHost=10.0.0.5",
    meaning: "Local address an initiator binds before connecting to SocketConnectHost.",
    also: &[],
};

pub(super) static SOCKET_CONNECT_SOURCE_PORT: Key<u16> = Key {
    name: "SocketConnectSourcePort",
    group: CONNECTION,
    format: Format {
        expected: "a port number from 0 to 65535",
        parse: parse_uint::<u16>,
    },
    default: "none (any local port)",
    example: "SocketConnectSourcePort=40000",
    meaning: "Local port an initiator binds before connecting (0 lets the system choose).",
    also: &[],
};

pub(super) static SOCKET_CONNECT_SOURCE_HOST_N: KeyFamily<u32, String> = KeyFamily {
    name: "SocketConnectSourceHost<n>",
    prefix: "SocketConnectSourceHost",
    qualifier: alternate_number,
    group: CONNECTION,
    format: format::TEXT,
    default: "none (any local address)",
    example: "SocketConnectSourceHost1=10.0.0.6",
    meaning: "Local address bound before connecting to alternate `<n>`.",
};

pub(super) static SOCKET_CONNECT_SOURCE_PORT_N: KeyFamily<u32, u16> = KeyFamily {
    name: "SocketConnectSourcePort<n>",
    prefix: "SocketConnectSourcePort",
    qualifier: alternate_number,
    group: CONNECTION,
    format: Format {
        expected: "a port number from 0 to 65535",
        parse: parse_uint::<u16>,
    },
    default: "none (any local port)",
    example: "SocketConnectSourcePort1=40001",
    meaning: "Local port bound before connecting to alternate `<n>`.",
};

pub(super) static HOST_SELECTION_POLICY: Key<HostSelectionPolicy> = Key {
    name: "HostSelectionPolicy",
    group: CONNECTION,
    format: Format {
        expected: "ROUND_ROBIN or PRIORITY",
        parse: parse_host_selection,
    },
    default: "ROUND_ROBIN",
    example: "HostSelectionPolicy=PRIORITY",
    meaning: "Which address each connection attempt uses: `ROUND_ROBIN`, the next one each time; `PRIORITY`, the same, but starting again from SocketConnectHost when the previous attempt is older than HostSelectionPolicyPriorityStartOverInterval.",
    also: &[],
};

pub(super) static HOST_SELECTION_START_OVER: Key<Duration> = Key {
    name: "HostSelectionPolicyPriorityStartOverInterval",
    group: CONNECTION,
    format: format::SECONDS,
    default: "120",
    example: "HostSelectionPolicyPriorityStartOverInterval=60",
    meaning:
        "Seconds after which HostSelectionPolicy=PRIORITY starts again from the primary address.",
    also: &[],
};

pub(super) static SOCKET_ACCEPT_HOST: Key<String> = Key {
    name: "SocketAcceptHost",
    group: CONNECTION,
    format: format::TEXT,
    default: "0.0.0.0",
    example: "SocketAcceptHost=127.0.0.1",
    meaning: "Address an acceptor listens on.",
    also: &[],
};

pub(super) static SOCKET_ACCEPT_PORT: Key<u16> = Key {
    name: "SocketAcceptPort",
    group: CONNECTION,
    format: Format {
        expected: "a port number from 0 to 65535",
        parse: parse_uint::<u16>,
    },
    default: "required for acceptors",
    example: "SocketAcceptPort=9876",
    meaning: "Port an acceptor listens on; 0 lets the system choose.",
    also: &[],
};

pub(super) static ALLOWED_REMOTE_ADDRESSES: Key<Vec<IpAddr>> = Key {
    name: "AllowedRemoteAddresses",
    group: CONNECTION,
    format: Format {
        expected: "IP addresses separated by commas",
        parse: parse_ip_list,
    },
    default: "none (any address)",
    example: "AllowedRemoteAddresses=127.0.0.1,10.0.0.7",
    meaning: "IP addresses, comma-separated, an acceptor takes connections from; a Logon from any other address is refused by closing the connection. Ignored by initiators.",
    also: &[],
};

pub(super) static SOCKET_REUSE_ADDRESS: Key<bool> = Key {
    name: "SocketReuseAddress",
    group: CONNECTION,
    format: format::BOOL,
    default: "Y",
    example: "SocketReuseAddress=N",
    meaning: "SO_REUSEADDR on an acceptor's listening socket (a restart can listen again at once), and on an initiator's socket bound to SocketConnectSourcePort.",
    also: &[],
};

pub(super) static SOCKET_NODELAY: Key<bool> = Key {
    name: "SocketNodelay",
    group: CONNECTION,
    format: format::BOOL,
    default: "Y",
    example: "SocketNodelay=N",
    meaning: "Disable Nagle's algorithm (TCP_NODELAY).",
    also: &[],
};

pub(super) static SOCKET_SEND_BUFFER_SIZE: Key<usize> = Key {
    name: "SocketSendBufferSize",
    group: CONNECTION,
    format: format::count(),
    default: "0",
    example: "SocketSendBufferSize=262144",
    meaning: "Socket send buffer in bytes; 0 for the system's default.",
    also: &[],
};

pub(super) static SOCKET_RECEIVE_BUFFER_SIZE: Key<usize> = Key {
    name: "SocketReceiveBufferSize",
    group: CONNECTION,
    format: format::count(),
    default: "0",
    example: "SocketReceiveBufferSize=262144",
    meaning: "Socket receive buffer in bytes; 0 for the system's default.",
    also: &[],
};

pub(super) static SOCKET_KEEP_ALIVE: Key<bool> = Key {
    name: "SocketKeepAlive",
    group: CONNECTION,
    format: format::BOOL,
    default: "N",
    example: "SocketKeepAlive=Y",
    meaning: "Enable TCP keep-alive probes (the first after 60 s without traffic).",
    also: &[],
};

pub(super) static MAX_OUTGOING_BYTES: Key<usize> = Key {
    name: "MaxOutgoingBytes",
    group: CONNECTION,
    format: format::positive("a positive number of bytes"),
    default: "4194304",
    example: "MaxOutgoingBytes=16777216",
    meaning: "Most bytes of outgoing messages held for a counterparty that reads slowly (put or encoded, not yet written). Beyond it the application's sends are refused as backpressure and the peer's requests are no longer read until it drains; the memory is given back when the link closes.",
    also: &[],
};

pub(super) static ACCEPTOR_TEMPLATE: Key<bool> = Key {
    name: "AcceptorTemplate",
    group: CONNECTION,
    format: format::BOOL,
    default: "N",
    example: "AcceptorTemplate=Y",
    meaning: "For acceptors: the section is a template, not a session. A Logon that no configured session takes creates a session from it when its CompIDs match the template's; `*` as SenderCompID or TargetCompID (or a sub or location ID) matches any value, which the new session takes from the Logon. The new sessions keep the template's other settings (store, log, dictionaries, SocketAcceptPort, AllowedRemoteAddresses).",
    also: &[],
};

pub(super) static SOCKET_USE_SSL: Key<bool> = Key {
    name: "SocketUseSSL",
    group: CONNECTION,
    format: format::BOOL,
    default: "N",
    example: "SocketUseSSL=Y",
    meaning: "Use TLS (also accepted as SSLEnable). The TLS keys are `fixrs-transport-tls`'s, whose `start_from_settings` runs such sessions (as `fixctl` does); this crate's own refuses them.",
    also: &[
        Alias {
            name: "SSLEnable",
            format: format::BOOL,
            default: "N",
            example: "SSLEnable=Y",
            meaning: "QuickFIX/n's name of SocketUseSSL.",
        },
    ],
};

pub(super) static FILE_LOG_PATH: Key<PathBuf> = Key {
    name: "FileLogPath",
    group: LOGS,
    format: format::PATH,
    default: "none (no file log)",
    example: "FileLogPath=log",
    meaning: "Directory of the message and event logs.",
    also: &[],
};

/// The `<n>` of SocketConnectHost`<n>` and its kin: a positive decimal
/// number without leading zeros.
fn alternate_number(text: &str) -> Result<u32, QualifierError> {
    if text.starts_with('0') {
        return Err(QualifierError::Unknown);
    }
    parse_positive(text).ok_or(QualifierError::Unknown)
}

fn parse_host_selection(v: &str) -> Option<HostSelectionPolicy> {
    if v.eq_ignore_ascii_case("PRIORITY") {
        Some(HostSelectionPolicy::Priority {
            start_over: DEFAULT_START_OVER,
        })
    } else if v.eq_ignore_ascii_case("ROUND_ROBIN") {
        Some(HostSelectionPolicy::RoundRobin)
    } else {
        None
    }
}

fn parse_ip_list(v: &str) -> Option<Vec<IpAddr>> {
    v.split(',')
        .map(|a| a.trim().parse::<IpAddr>().ok())
        .collect()
}
