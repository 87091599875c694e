//! A session's configuration, built in code or parsed from a settings file
//! (see the `settings` module).

use fixrs_proto::validate::ValidationOptions;
use fixrs_proto::value::TimePrecision;
use fixrs_proto::{FixVersion, Tag};
use std::time::Duration;

/// Which side opens the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Connects and sends the first Logon.
    Initiator,
    /// Accepts connections and answers Logons.
    Acceptor,
}

/// What happens to application messages sent while the session is not
/// established (FIX session test case 16, "late delivery").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateDelivery {
    /// Keep them (consuming sequence numbers) and send them after logon.
    Queue,
    /// Refuse them at once, reporting each as undelivered.
    Reject,
    /// Keep them, but report as undelivered those still unsent after this
    /// time to live.
    QueueFor(Duration),
}

/// How application messages kept for late delivery are numbered and sent
/// (LateDeliveryMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LateDeliveryMode {
    /// Numbered at once (the next MsgSeqNum) and stored as sent; after
    /// logon the counterparty sees the gap, asks for it, and gets them as
    /// resends with PossDupFlag(43)=Y and OrigSendingTime(122), as QuickFIX
    /// and FIX Antenna C++ do. (When the next Logon resets sequence
    /// numbers they wait unnumbered, as in `Queue`.)
    #[default]
    Resend,
    /// Kept unnumbered in the store's queue of pending messages (a restart
    /// loses none); right after logon and resynchronisation each takes the
    /// next MsgSeqNum and goes out as a new message, without PossDupFlag,
    /// as FIX Antenna Java's queue does. For counterparties that distrust
    /// PossDupFlag=Y orders. Needs a store with a pending queue
    /// (`MemoryStore`, the file store).
    Queue,
}

/// The identity of a session: our SenderCompID, the peer's CompID (our
/// TargetCompID), and optional sub/location IDs and qualifier, as FIX
/// Antenna's SessionId. The BeginString comes from the session's FIX
/// version ([`SessionConfig::version`]); with it, the identity is
/// QuickFIX's SessionID ([`SessionConfig::key`]).
///
/// ```
/// use fixrs_session::SessionId;
/// let id = SessionId::new("TEST1", "TEST2").with_qualifier("primary");
/// assert_eq!(id.target_comp_id, "TEST2");
/// ```
// Field order: ours, then the peer's, then the qualifier (the order keys
// sort in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    /// Our SenderCompID(49).
    pub sender_comp_id: String,
    /// Our SenderSubID(50).
    pub sender_sub_id: Option<String>,
    /// Our SenderLocationID(142).
    pub sender_location_id: Option<String>,
    /// The peer's CompID, our TargetCompID(56).
    pub target_comp_id: String,
    /// The peer's TargetSubID(57).
    pub target_sub_id: Option<String>,
    /// The peer's TargetLocationID(143).
    pub target_location_id: Option<String>,
    /// A qualifier telling apart sessions with the same CompIDs.
    pub qualifier: Option<String>,
}

impl SessionId {
    /// A session from `sender_comp_id` (ours) to `target_comp_id` (the
    /// peer's).
    pub fn new(sender_comp_id: impl Into<String>, target_comp_id: impl Into<String>) -> SessionId {
        SessionId {
            sender_comp_id: sender_comp_id.into(),
            target_comp_id: target_comp_id.into(),
            sender_sub_id: None,
            sender_location_id: None,
            target_sub_id: None,
            target_location_id: None,
            qualifier: None,
        }
    }

    /// Sets the session qualifier.
    pub fn with_qualifier(mut self, qualifier: impl Into<String>) -> SessionId {
        self.qualifier = Some(qualifier.into());
        self
    }

    /// Sets our SenderSubID(50).
    pub fn with_sender_sub_id(mut self, id: impl Into<String>) -> SessionId {
        self.sender_sub_id = Some(id.into());
        self
    }

    /// Sets the peer's TargetSubID(57).
    pub fn with_target_sub_id(mut self, id: impl Into<String>) -> SessionId {
        self.target_sub_id = Some(id.into());
        self
    }

    /// Sets our SenderLocationID(142).
    pub fn with_sender_location_id(mut self, id: impl Into<String>) -> SessionId {
        self.sender_location_id = Some(id.into());
        self
    }

    /// Sets the peer's TargetLocationID(143).
    pub fn with_target_location_id(mut self, id: impl Into<String>) -> SessionId {
        self.target_location_id = Some(id.into());
        self
    }
}

/// The key of a session in stores, logs and the acceptor router: its
/// [`SessionId`] qualified by its BeginString, as QuickFIX's SessionID.
/// Derived from a configuration with [`SessionConfig::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// BeginString(8) ("FIXT.1.1" for FIX 5.0 and later).
    pub begin_string: String,
    /// The session's identity.
    pub id: SessionId,
}

impl SessionKey {
    /// The key of `id` under `begin_string`.
    pub fn new(begin_string: impl Into<String>, id: SessionId) -> SessionKey {
        SessionKey {
            begin_string: begin_string.into(),
            id,
        }
    }
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}->{}",
            self.begin_string, self.id.sender_comp_id, self.id.target_comp_id
        )?;
        if let Some(q) = &self.id.qualifier {
            write!(f, ":{q}")?;
        }
        Ok(())
    }
}

/// Everything a [`Session`](crate) needs to know about its peer and its
/// behaviour. Defaults follow QuickFIX where it has a setting: start from
/// [`SessionConfig::initiator`], [`SessionConfig::acceptor`] or
/// [`SessionConfig::new`] and set the fields that differ (new fields may
/// be added in any release, so the struct cannot be built literally).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Initiator or acceptor.
    pub role: Role,
    /// The FIX version (FIX 5.0+ use BeginString FIXT.1.1 and send
    /// DefaultApplVerID(1137) on Logon).
    pub version: FixVersion,
    /// Who we are and who the peer is: CompIDs, sub and location IDs,
    /// qualifier.
    pub id: SessionId,
    /// HeartBtInt(108) in seconds, proposed by an initiator; an acceptor
    /// adopts the peer's.
    pub heart_bt_int: u32,
    /// How long to wait for the Logon reply (LogonTimeout, default 10 s).
    pub logon_timeout: Duration,
    /// How long to wait for the Logout reply (LogoutTimeout, default 2 s).
    pub logout_timeout: Duration,
    /// Reset both sequence numbers to 1 at every Logon (ResetOnLogon). An
    /// initiator's Logon carries ResetSeqNumFlag(141)=Y; an acceptor resets
    /// when a Logon arrives on a new connection, answers with 141=Y only if
    /// that Logon carried it, and checks the Logon's MsgSeqNum against the
    /// reset numbers like any other (too high: ResendRequest after the
    /// reply), as QuickFIX does.
    pub reset_on_logon: bool,
    /// Reset both sequence numbers when the peer's Logout is received
    /// (ResetOnLogout): its own Logout, or its reply to ours (even to ours
    /// for an error), as QuickFIX does. Not when our Logout goes unanswered
    /// and the link is closed after `logout_timeout`: `reset_on_disconnect`
    /// covers that.
    pub reset_on_logout: bool,
    /// Reset sequence numbers whenever the connection ends, however it
    /// ends (ResetOnDisconnect).
    pub reset_on_disconnect: bool,
    /// Send NextExpectedMsgSeqNum(789) on Logon and act on the peer's
    /// (EnableNextExpectedMsgSeqNum).
    pub send_next_expected_msg_seq_num: bool,
    /// Check that incoming CompIDs match ours (CheckCompID, default true).
    pub check_comp_id: bool,
    /// Check SendingTime(52) against our clock (CheckLatency, default true).
    pub check_latency: bool,
    /// Largest accepted SendingTime difference (MaxLatency, default 120 s).
    pub max_latency: Duration,
    /// Largest message accepted from the peer, in bytes.
    pub max_message_size: usize,
    /// Verify CheckSum(10) of incoming messages (ValidateLengthAndChecksum).
    pub validate_checksum: bool,
    /// Most messages asked for by one ResendRequest; 0 for no limit
    /// (ResendRequestChunkSize).
    pub resend_request_chunk_size: u64,
    /// Send a ResendRequest for each message beyond a gap, even when one
    /// covering the gap is pending (SendRedundantResendRequests). A
    /// ResendRequest beyond the gap draws none, as in QuickFIX.
    pub send_redundant_resend_requests: bool,
    /// Keep outgoing messages for resends (PersistMessages, default true);
    /// when false, resends are answered with gap fills.
    pub persist_messages: bool,
    /// Extra delay before a TestRequest, as a fraction of HeartBtInt
    /// (TestRequestDelayMultiplier; 0.2 means after 1.2 x HeartBtInt).
    pub test_request_delay_multiplier: f64,
    /// Time to wait between reconnect attempts (ReconnectInterval /
    /// Reconnect.Interval).
    pub reconnect_interval: Duration,
    /// Most reconnect attempts before giving up; negative for no limit
    /// (Reconnect.MaxTries).
    pub reconnect_max_tries: i32,
    /// Username(553) sent on Logon.
    pub username: Option<String>,
    /// Password(554) sent on Logon.
    pub password: Option<String>,
    /// Extra fields sent on Logon (tag, value).
    pub logon_fields: Vec<(Tag, String)>,
    /// Precision of SendingTime(52) and the other timestamps we write
    /// (TimestampPrecision: 0, 3, 6 or 9).
    pub timestamp_precision: TimePrecision,
    /// Handling of application messages sent while not established.
    pub late_delivery: LateDelivery,
    /// How those messages are numbered and sent (LateDeliveryMode).
    pub late_delivery_mode: LateDeliveryMode,
    /// Most out-of-order messages kept while a gap is being filled.
    pub max_out_of_order: usize,
    /// Most messages kept for late delivery.
    pub max_late_delivery: usize,
    /// Daily or weekly session times; `None` for a session that is always
    /// in its period (no scheduled resets).
    pub schedule: Option<crate::schedule::Schedule>,
    /// When, within the periods of `schedule`, the session may be logged
    /// on (QuickFIX's LogonTime/LogoutTime): outside it an initiator does
    /// not connect, an acceptor refuses Logons and an established session
    /// logs out, without the sequence reset a new period brings. `None`:
    /// whenever the schedule allows.
    pub logon_window: Option<crate::schedule::Schedule>,
    /// Validate incoming messages, the first Logon included, against the
    /// session's data dictionary when it has one (UseDataDictionary,
    /// default true).
    pub use_data_dictionary: bool,
    /// What that validation checks (QuickFIX's ValidateFieldsOutOfOrder,
    /// ValidateFieldsHaveValues, ValidateUserDefinedFields,
    /// AllowUnknownMsgFields, ValidateUnorderedGroupFields).
    pub validation: ValidationOptions,
    /// Without a dictionary, answer MsgTypes the FIX standard does not
    /// define with Reject(373=11, Invalid MsgType); user-defined ones
    /// (starting with `U`) pass. Default false: any well-formed MsgType goes
    /// to the application, which may handle types of its own.
    pub reject_unknown_msg_types: bool,
    /// The application MsgTypes the application handles; other valid ones
    /// are answered with BusinessMessageReject(380=3, Unsupported Message
    /// Type). `None` (the default): every application message is delivered.
    pub supported_msg_types: Option<Vec<String>>,
}

impl SessionConfig {
    /// A configuration with QuickFIX's defaults for the given role, version
    /// and CompIDs (HeartBtInt 30 s).
    pub fn new(
        role: Role,
        version: FixVersion,
        sender_comp_id: impl Into<String>,
        target_comp_id: impl Into<String>,
    ) -> SessionConfig {
        SessionConfig {
            role,
            version,
            id: SessionId::new(sender_comp_id, target_comp_id),
            heart_bt_int: 30,
            logon_timeout: Duration::from_secs(10),
            logout_timeout: Duration::from_secs(2),
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            send_next_expected_msg_seq_num: false,
            check_comp_id: true,
            check_latency: true,
            max_latency: Duration::from_secs(120),
            max_message_size: fixrs_proto::framing::DEFAULT_MAX_MESSAGE_SIZE,
            validate_checksum: true,
            resend_request_chunk_size: 0,
            send_redundant_resend_requests: false,
            persist_messages: true,
            test_request_delay_multiplier: 0.2,
            reconnect_interval: Duration::from_secs(30),
            reconnect_max_tries: -1,
            username: None,
            password: None,
            logon_fields: Vec::new(),
            timestamp_precision: TimePrecision::Millis,
            late_delivery: LateDelivery::Queue,
            late_delivery_mode: LateDeliveryMode::Resend,
            max_out_of_order: 10_000,
            max_late_delivery: 100_000,
            schedule: None,
            logon_window: None,
            use_data_dictionary: true,
            validation: ValidationOptions::default(),
            reject_unknown_msg_types: false,
            supported_msg_types: None,
        }
    }

    /// An initiator configuration.
    pub fn initiator(
        version: FixVersion,
        sender_comp_id: impl Into<String>,
        target_comp_id: impl Into<String>,
    ) -> SessionConfig {
        SessionConfig::new(Role::Initiator, version, sender_comp_id, target_comp_id)
    }

    /// An acceptor configuration.
    pub fn acceptor(
        version: FixVersion,
        sender_comp_id: impl Into<String>,
        target_comp_id: impl Into<String>,
    ) -> SessionConfig {
        SessionConfig::new(Role::Acceptor, version, sender_comp_id, target_comp_id)
    }

    /// The identity of this session.
    pub fn key(&self) -> SessionKey {
        SessionKey::new(self.version.begin_string(), self.id.clone())
    }

    /// A configuration for the identity `id`, with the defaults of
    /// [`SessionConfig::new`].
    pub fn for_id(role: Role, version: FixVersion, id: SessionId) -> SessionConfig {
        SessionConfig {
            id,
            ..SessionConfig::new(role, version, "", "")
        }
    }
}
