//! The acceptor router: which session a new connection belongs to, decided
//! from its first bytes, the port it came in on and the peer's address,
//! without any I/O (as quinn-proto's `Endpoint::handle` routes a datagram).
//!
//! A driver keeps the bytes a new connection sends until
//! [`Router::route`] stops answering [`Route::Incomplete`]; then the first
//! message is a Logon for one of the registered acceptor sessions
//! ([`Route::Session`]), a Logon a template creates a session for
//! ([`Route::NewSession`]), or a reason to close the connection without a
//! reply ([`Route::Refuse`], FIX session test cases 1S b, 1S c and 2S: a
//! reply would consume a sequence number of a session that is not the
//! peer's). The driver tells the router when a session's link comes and
//! goes ([`Router::connected`], [`Router::disconnected`]), so that a second
//! Logon for a connected session is refused.
//!
//! ```
//! use fixrs_proto::{Encoder, FieldWriter, FixVersion};
//! use fixrs_session::router::{AcceptRules, AcceptorTemplate, Route, Router};
//! use fixrs_session::{RefusalReason, SessionConfig};
//!
//! fn logon(sender: &str, target: &str) -> Vec<u8> {
//!     let mut enc = Encoder::new();
//!     enc.start("FIX.4.4", b"A");
//!     enc.push_str(49, sender).push_str(56, target).push_uint(34, 1);
//!     enc.push_str(52, "20250102-09:30:00").push_uint(98, 0).push_uint(108, 30);
//!     enc.finish().to_vec()
//! }
//! let peer = "192.0.2.7:40000".parse()?;
//! let mut router = Router::new();
//! let broker = SessionConfig::acceptor(FixVersion::Fix44, "BROKER", "BANK");
//! router.add_session("broker-bank", broker.key(), AcceptRules::default());
//! // Any other counterparty of BROKER gets a session of its own on its
//! // first Logon.
//! let mut template = SessionConfig::acceptor(FixVersion::Fix44, "BROKER", "*");
//! template.heart_bt_int = 60;
//! router.add_template(AcceptorTemplate::new(template));
//!
//! let first = logon("BANK", "BROKER");
//! assert!(matches!(router.route(&first[..10], 9876, peer), Route::Incomplete));
//! let Route::Session { session, len } = router.route(&first, 9876, peer) else { panic!() };
//! assert_eq!((session, len), ("broker-bank", first.len()));
//! router.connected("broker-bank");
//! // A second Logon while the first link is up is refused.
//! assert!(matches!(
//!     router.route(&first, 9876, peer),
//!     Route::Refuse { reason: RefusalReason::DuplicateLogon { .. }, .. }
//! ));
//! let Route::NewSession { config, .. } = router.route(&logon("FUND", "BROKER"), 9876, peer)
//! else { panic!() };
//! assert_eq!((config.id.target_comp_id.as_str(), config.heart_bt_int), ("FUND", 60));
//! # Ok::<(), std::net::AddrParseError>(())
//! ```

use crate::config::{Role, SessionConfig, SessionKey};
use fixrs_proto::framing::{scan, Scan};
use fixrs_proto::{tag, FieldIndex, FrameConfig, FrameError, Message, ParseError, Tag};
use std::collections::HashMap;
use std::hash::Hash;
use std::io;
use std::net::{IpAddr, SocketAddr};

/// Largest first message (Logon) the router reads from an unidentified
/// connection by default, in bytes.
pub const DEFAULT_MAX_LOGON_SIZE: usize = 64 << 10;

/// Why a connection was closed before its first Logon reached a session.
///
/// The router gives the reasons found in the first message; a driver
/// reports the others (no Logon in time, a failed transport, too many
/// connections waiting, the application refusing the Logon) with the same
/// type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefusalReason {
    /// No acceptor session has these identifiers (BeginString and the
    /// peer's CompIDs, sub and location IDs, the listener's port), and no
    /// template allows them.
    #[error("Logon from unknown session {begin_string}:{sender_comp_id}->{target_comp_id}")]
    UnknownSession {
        /// BeginString(8) of the Logon.
        begin_string: String,
        /// The peer's SenderCompID(49).
        sender_comp_id: String,
        /// The peer's TargetCompID(56).
        target_comp_id: String,
    },
    /// A session with these CompIDs exists, for another FIX version.
    #[error("Logon with BeginString {received}, the session {session} expects {expected}")]
    WrongBeginString {
        /// BeginString(8) of the Logon.
        received: String,
        /// The BeginString of the session with these CompIDs.
        expected: String,
        /// That session.
        session: String,
    },
    /// The session already has a connection.
    #[error("duplicate Logon for session {session}, which is already connected")]
    DuplicateLogon {
        /// The session.
        session: String,
    },
    /// The session takes Logons only from the addresses of its
    /// AllowedRemoteAddresses setting, and the peer's is not one of them.
    #[error("Logon for session {session} from an address not in AllowedRemoteAddresses")]
    AddressNotAllowed {
        /// The session.
        session: String,
    },
    /// The application refused the Logon.
    #[error("session {session}: {reason}")]
    RefusedByApplication {
        /// The session.
        session: String,
        /// What the application said.
        reason: String,
    },
    /// A template allows the Logon, but the session could not be created
    /// (its store or log cannot be opened).
    #[error("session {session} cannot be created: {reason}")]
    SessionNotCreated {
        /// The session.
        session: String,
        /// Why.
        reason: String,
    },
    /// The session the Logon is for has stopped (its handles were
    /// dropped) and takes no more connections.
    #[error("session {session} has stopped")]
    SessionStopped {
        /// The session.
        session: String,
    },
    /// The first message is a well-formed frame but not a Logon.
    #[error("first message is not a Logon (MsgType {msg_type})")]
    NotLogon {
        /// Its MsgType(35).
        msg_type: String,
    },
    /// The first message declares more than the router's
    /// [`max_logon_size`](Router::max_logon_size) bytes.
    #[error("first message larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The first bytes are not a FIX frame.
    #[error("garbled first message: {0}")]
    Garbled(FrameError),
    /// The first frame's fields cannot be read.
    #[error("unparsable first message: {0}")]
    Unparsable(ParseError),
    /// No complete first message within the driver's logon timeout.
    #[error("no Logon within the logon timeout")]
    LogonTimeout,
    /// The transport failed before a Logon arrived (a TLS handshake that
    /// failed or timed out, a reset connection). A TLS failure is the
    /// transport's typed error inside the `io::Error`.
    #[error("{0}")]
    Transport(io::Error),
    /// More connections than the driver allows wait for their Logon.
    #[error("too many connections waiting for Logon")]
    TooManyPending,
}

/// Where and from whom an acceptor session (or a template's sessions)
/// takes a Logon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptRules {
    /// Only on the listener bound to this port (QuickFIX's per-session
    /// SocketAcceptPort); `None` for any.
    pub port: Option<u16>,
    /// Only from these peer addresses (QuickFIX's
    /// AllowedRemoteAddresses); empty for any.
    pub allowed_remote_addresses: Vec<IpAddr>,
}

impl AcceptRules {
    /// Takes Logons only on the listener bound to `port`.
    pub fn with_port(mut self, port: u16) -> AcceptRules {
        self.port = Some(port);
        self
    }

    /// Takes Logons only from these peer addresses.
    pub fn with_allowed_remote_addresses(mut self, addresses: Vec<IpAddr>) -> AcceptRules {
        self.allowed_remote_addresses = addresses;
        self
    }

    fn allows_port(&self, port: u16) -> bool {
        self.port.is_none_or(|p| p == port)
    }

    fn allows_peer(&self, peer: SocketAddr) -> bool {
        self.allowed_remote_addresses.is_empty()
            || self.allowed_remote_addresses.contains(&peer.ip())
    }
}

/// Sessions created on their first Logon (QuickFIX's `AcceptorTemplate=Y`,
/// FIX Antenna's unregistered acceptors): a configuration whose identity
/// may use the wildcard `*`, for Logons no registered session takes.
///
/// In the template's [`SessionConfig`], `sender_comp_id` (ours: the
/// Logon's TargetCompID) and `target_comp_id` (the peer's: its
/// SenderCompID) are either a value the Logon must carry or `*` for any
/// value, which the new session takes from the Logon. The optional sub and
/// location IDs are matched the same way when set (`Some("*")` takes the
/// Logon's, present or not); unset, they are not checked and the new
/// session has none, as for a registered session. The BeginString is the
/// template's version's. Everything else (heartbeat, timeouts,
/// validation, reset policies...) is the template's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AcceptorTemplate {
    /// The configuration new sessions start from (its role is acceptor).
    pub config: SessionConfig,
    /// Where and from whom the template takes Logons.
    pub rules: AcceptRules,
}

impl AcceptorTemplate {
    /// A template taking Logons on any listener from any address.
    pub fn new(config: SessionConfig) -> AcceptorTemplate {
        AcceptorTemplate {
            config,
            rules: AcceptRules::default(),
        }
    }

    /// Sets where and from whom the template takes Logons.
    pub fn with_rules(mut self, rules: AcceptRules) -> AcceptorTemplate {
        self.rules = rules;
        self
    }

    /// Whether a Logon with this identity, on this port, is the template's.
    fn matches(&self, logon: &LogonIdentity<'_>, port: u16) -> bool {
        let c = &self.config;
        self.rules.allows_port(port)
            && c.version.begin_string() == logon.begin_string
            && wildcard(&c.id.sender_comp_id, logon.target_comp_id)
            && wildcard(&c.id.target_comp_id, logon.sender_comp_id)
            && optional_wildcard(&c.id.sender_sub_id, logon.target_sub_id)
            && optional_wildcard(&c.id.sender_location_id, logon.target_location_id)
            && optional_wildcard(&c.id.target_sub_id, logon.sender_sub_id)
            && optional_wildcard(&c.id.target_location_id, logon.sender_location_id)
    }

    /// The configuration of the session created for this Logon.
    fn instantiate(&self, logon: &LogonIdentity<'_>) -> SessionConfig {
        let mut c = self.config.clone();
        c.role = Role::Acceptor;
        let take = |ours: &mut String, theirs: &str| {
            if ours == WILDCARD {
                *ours = theirs.to_string();
            }
        };
        take(&mut c.id.sender_comp_id, logon.target_comp_id);
        take(&mut c.id.target_comp_id, logon.sender_comp_id);
        let take_opt = |ours: &mut Option<String>, theirs: Option<&str>| {
            if ours.as_deref() == Some(WILDCARD) {
                *ours = theirs.map(str::to_string);
            }
        };
        take_opt(&mut c.id.sender_sub_id, logon.target_sub_id);
        take_opt(&mut c.id.sender_location_id, logon.target_location_id);
        take_opt(&mut c.id.target_sub_id, logon.sender_sub_id);
        take_opt(&mut c.id.target_location_id, logon.sender_location_id);
        c
    }
}

/// The wildcard of template identities.
pub const WILDCARD: &str = "*";

fn wildcard(pattern: &str, value: &str) -> bool {
    pattern == WILDCARD || pattern == value
}

fn optional_wildcard(pattern: &Option<String>, value: Option<&str>) -> bool {
    match pattern.as_deref() {
        None | Some(WILDCARD) => true,
        Some(p) => Some(p) == value,
    }
}

/// A template of a [`Router`], by the order it was added in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateId(pub usize);

/// What [`Router::route`] decided about a new connection.
#[derive(Debug)]
#[must_use]
pub enum Route<S> {
    /// The bytes do not hold a whole first message yet: read more and ask
    /// again with everything received so far.
    Incomplete,
    /// The first `len` bytes are a Logon for this registered session.
    Session {
        /// The session.
        session: S,
        /// Length of the Logon; what follows it belongs to the session too.
        len: usize,
    },
    /// The first `len` bytes are a Logon no registered session takes and
    /// this template allows: create a session with `config`, register it
    /// ([`Router::add_session`], with the template's rules) and hand it the
    /// connection.
    NewSession {
        /// The template.
        template: TemplateId,
        /// The new session's configuration: the template's, with the
        /// Logon's identity.
        config: Box<SessionConfig>,
        /// Length of the Logon.
        len: usize,
    },
    /// Close the connection without a reply.
    Refuse {
        /// Why.
        reason: RefusalReason,
        /// The registered session the Logon named, when known.
        session: Option<S>,
    },
}

/// A registered acceptor session.
#[derive(Debug)]
struct Registered<S> {
    id: S,
    key: SessionKey,
    rules: AcceptRules,
    connected: bool,
}

/// BeginString, our SenderCompID, our TargetCompID.
type RouteKey = (String, String, String);

fn route_key(key: &SessionKey) -> RouteKey {
    (
        key.begin_string.clone(),
        key.id.sender_comp_id.clone(),
        key.id.target_comp_id.clone(),
    )
}

/// The acceptor router of one driver: its acceptor sessions, identified
/// by the driver's own handle type `S`, and its templates.
#[derive(Debug)]
pub struct Router<S> {
    max_logon_size: usize,
    routes: HashMap<RouteKey, Vec<Registered<S>>>,
    keys: HashMap<S, RouteKey>,
    templates: Vec<AcceptorTemplate>,
}

impl<S: Copy + Eq + Hash> Default for Router<S> {
    fn default() -> Self {
        Router::new()
    }
}

impl<S: Copy + Eq + Hash> Router<S> {
    /// A router without sessions or templates, reading first messages of
    /// up to [`DEFAULT_MAX_LOGON_SIZE`] bytes.
    pub fn new() -> Router<S> {
        Router {
            max_logon_size: DEFAULT_MAX_LOGON_SIZE,
            routes: HashMap::new(),
            keys: HashMap::new(),
            templates: Vec::new(),
        }
    }

    /// Sets the largest first message read from an unidentified
    /// connection; a longer one is refused ([`RefusalReason::TooLarge`]).
    pub fn with_max_logon_size(mut self, bytes: usize) -> Router<S> {
        self.max_logon_size = bytes;
        self
    }

    /// The largest first message read from an unidentified connection.
    pub fn max_logon_size(&self) -> usize {
        self.max_logon_size
    }

    /// Registers an acceptor session under the driver's `id`, with its
    /// identity and rules; replaces an earlier registration of `id`.
    pub fn add_session(&mut self, id: S, key: SessionKey, rules: AcceptRules) {
        self.remove_session(id);
        let route = route_key(&key);
        self.keys.insert(id, route.clone());
        self.routes.entry(route).or_default().push(Registered {
            id,
            key,
            rules,
            connected: false,
        });
    }

    /// Forgets a session; returns whether it was registered.
    pub fn remove_session(&mut self, id: S) -> bool {
        let Some(route) = self.keys.remove(&id) else {
            return false;
        };
        if let Some(list) = self.routes.get_mut(&route) {
            list.retain(|r| r.id != id);
            if list.is_empty() {
                self.routes.remove(&route);
            }
        }
        true
    }

    /// Adds a template for sessions created on their first Logon; the
    /// first added template that allows a Logon takes it.
    pub fn add_template(&mut self, template: AcceptorTemplate) -> TemplateId {
        self.templates.push(template);
        TemplateId(self.templates.len() - 1)
    }

    /// A template added to this router.
    pub fn template(&self, id: TemplateId) -> Option<&AcceptorTemplate> {
        self.templates.get(id.0)
    }

    /// The driver gave session `id` a link: further Logons for it are
    /// refused until [`disconnected`](Router::disconnected).
    pub fn connected(&mut self, id: S) {
        self.set_connected(id, true);
    }

    /// Session `id` lost its link: it takes a Logon again.
    pub fn disconnected(&mut self, id: S) {
        self.set_connected(id, false);
    }

    /// Whether session `id` has a link, as the driver said.
    pub fn is_connected(&self, id: S) -> bool {
        self.registered(id).is_some_and(|r| r.connected)
    }

    /// The identity session `id` was registered with.
    pub fn session_key(&self, id: S) -> Option<&SessionKey> {
        self.registered(id).map(|r| &r.key)
    }

    fn registered(&self, id: S) -> Option<&Registered<S>> {
        let route = self.keys.get(&id)?;
        self.routes.get(route)?.iter().find(|r| r.id == id)
    }

    fn set_connected(&mut self, id: S, connected: bool) {
        let Some(route) = self.keys.get(&id) else {
            return;
        };
        if let Some(r) = self
            .routes
            .get_mut(route)
            .and_then(|list| list.iter_mut().find(|r| r.id == id))
        {
            r.connected = connected;
        }
    }

    /// Decides where a new connection belongs from everything it sent so
    /// far (`first`), the port of the listener that accepted it and the
    /// peer's address.
    pub fn route(&self, first: &[u8], local_port: u16, peer: SocketAddr) -> Route<S> {
        let max = self.max_logon_size;
        let frame = FrameConfig {
            max_message_size: max,
            verify_checksum: true,
        };
        let len = match scan(first, &frame) {
            Scan::Complete(len) => len,
            Scan::Incomplete(_) if first.len() < max => return Route::Incomplete,
            Scan::Incomplete(_) | Scan::Garbled(FrameError::TooLarge { .. }) => {
                return refuse(RefusalReason::TooLarge { limit: max })
            }
            Scan::Garbled(err) => return refuse(RefusalReason::Garbled(err)),
        };
        let mut index = FieldIndex::new();
        let msg = match index.parse(&first[..len]) {
            Ok(msg) => msg,
            Err(err) => return refuse(RefusalReason::Unparsable(err)),
        };
        if msg.msg_type() != tag::msg_type::LOGON {
            let msg_type = String::from_utf8_lossy(msg.msg_type()).into_owned();
            return refuse(RefusalReason::NotLogon { msg_type });
        }
        let logon = LogonIdentity::of(&msg);
        if let Some(route) = self.registered_route(&logon, len, local_port, peer) {
            return route;
        }
        for (i, t) in self.templates.iter().enumerate() {
            if !t.matches(&logon, local_port) {
                continue;
            }
            let config = t.instantiate(&logon);
            if !t.rules.allows_peer(peer) {
                let session = config.key().to_string();
                return refuse(RefusalReason::AddressNotAllowed { session });
            }
            return Route::NewSession {
                template: TemplateId(i),
                config: Box::new(config),
                len,
            };
        }
        refuse(self.unknown_session(&logon))
    }

    /// The route to the first registered session whose identity and rules
    /// the Logon matches, if any.
    fn registered_route(
        &self,
        logon: &LogonIdentity<'_>,
        len: usize,
        port: u16,
        peer: SocketAddr,
    ) -> Option<Route<S>> {
        let key = (
            logon.begin_string.to_string(),
            logon.target_comp_id.to_string(),
            logon.sender_comp_id.to_string(),
        );
        let matches = |ours: &Option<String>, theirs: Option<&str>| {
            ours.as_deref().is_none_or(|o| Some(o) == theirs)
        };
        let r = self.routes.get(&key)?.iter().find(|r| {
            r.rules.allows_port(port)
                && matches(&r.key.id.target_sub_id, logon.sender_sub_id)
                && matches(&r.key.id.sender_sub_id, logon.target_sub_id)
                && matches(&r.key.id.target_location_id, logon.sender_location_id)
                && matches(&r.key.id.sender_location_id, logon.target_location_id)
        })?;
        let session = r.key.to_string();
        let reason = if !r.rules.allows_peer(peer) {
            RefusalReason::AddressNotAllowed { session }
        } else if r.connected {
            RefusalReason::DuplicateLogon { session }
        } else {
            return Some(Route::Session { session: r.id, len });
        };
        Some(Route::Refuse {
            reason,
            session: Some(r.id),
        })
    }

    /// Why no session takes a Logon: a session with these CompIDs may
    /// exist for another BeginString.
    fn unknown_session(&self, logon: &LogonIdentity<'_>) -> RefusalReason {
        let (ours, theirs) = (logon.target_comp_id, logon.sender_comp_id);
        let other = self
            .routes
            .keys()
            .find(|(b, s, t)| s == ours && t == theirs && b != logon.begin_string);
        match other {
            Some((expected, _, _)) => RefusalReason::WrongBeginString {
                session: format!("{expected}:{ours}->{theirs}"),
                expected: expected.clone(),
                received: logon.begin_string.to_string(),
            },
            None => RefusalReason::UnknownSession {
                begin_string: logon.begin_string.to_string(),
                sender_comp_id: theirs.to_string(),
                target_comp_id: ours.to_string(),
            },
        }
    }
}

fn refuse<S>(reason: RefusalReason) -> Route<S> {
    Route::Refuse {
        reason,
        session: None,
    }
}

/// The identity a Logon claims, as the peer wrote it (its Sender* fields
/// name the peer, its Target* fields us).
struct LogonIdentity<'a> {
    begin_string: &'a str,
    sender_comp_id: &'a str,
    target_comp_id: &'a str,
    sender_sub_id: Option<&'a str>,
    target_sub_id: Option<&'a str>,
    sender_location_id: Option<&'a str>,
    target_location_id: Option<&'a str>,
}

impl<'a> LogonIdentity<'a> {
    fn of(msg: &Message<'a>) -> LogonIdentity<'a> {
        let opt = |t: Tag| msg.get(t).and_then(|v| std::str::from_utf8(v).ok());
        LogonIdentity {
            begin_string: std::str::from_utf8(msg.begin_string()).unwrap_or(""),
            sender_comp_id: opt(tag::SENDER_COMP_ID).unwrap_or(""),
            target_comp_id: opt(tag::TARGET_COMP_ID).unwrap_or(""),
            sender_sub_id: opt(tag::SENDER_SUB_ID),
            target_sub_id: opt(tag::TARGET_SUB_ID),
            sender_location_id: opt(tag::SENDER_LOCATION_ID),
            target_location_id: opt(tag::TARGET_LOCATION_ID),
        }
    }
}
