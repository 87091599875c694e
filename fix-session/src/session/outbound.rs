//! Encoding what the session sends: the standard header, the session-level
//! messages (bodies written by the typed builders of `fixrs_proto::admin`),
//! and application messages; storing them and queueing their bytes.

use super::Session;
use crate::config::{Role, SessionConfig};
use crate::event::{QueuedEvent, RejectedMessage};
use crate::store::{SeqNum, StoreError};
use fixrs_proto::admin::{
    AdminMessage, BusinessMessageReject, Heartbeat, Logon, Logout, Reject, ResendRequest,
    SequenceReset, TestRequest,
};
use fixrs_proto::tag;
use fixrs_proto::{
    BusinessRejectReason, Encoder, FieldWriter, FixVersion, Message, MessageBuilder,
    SessionRejectReason, Tag, UtcTimestamp,
};
use std::time::Instant;

/// The "up to the last message" EndSeqNo(16) of FIX 4.0 and 4.1.
pub(crate) const END_SEQ_NO_INFINITY_OLD: SeqNum = 999_999;

impl Session {
    /// Begins a message in the encoder: BeginString, MsgType and our
    /// standard header with MsgSeqNum `seq` and SendingTime `utc`.
    pub(super) fn start_message(&mut self, msg_type: &[u8], seq: SeqNum, utc: UtcTimestamp) {
        self.refresh_header_ids();
        write_header(
            &mut self.encoder,
            self.config.version.begin_string(),
            &self.header_ids,
            msg_type,
            seq,
            utc,
        );
    }

    /// Rebuilds the CompID fields of our header after the configuration
    /// was open to changes.
    fn refresh_header_ids(&mut self) {
        if std::mem::take(&mut self.header_ids_stale) {
            self.header_ids = header_ids(&self.config);
        }
    }

    /// As [`start_message`](Session::start_message), for a resend:
    /// PossDupFlag(43)=Y and OrigSendingTime(122) `orig`.
    pub(super) fn start_poss_dup(
        &mut self,
        msg_type: &[u8],
        seq: SeqNum,
        utc: UtcTimestamp,
        orig: UtcTimestamp,
    ) {
        self.start_message(msg_type, seq, utc);
        self.encoder.push_bool(tag::POSS_DUP_FLAG, true);
        self.encoder.push_timestamp(tag::ORIG_SENDING_TIME, orig);
    }

    /// Finishes the message in the encoder, which carries the new MsgSeqNum
    /// `seq`: saves it (advancing the next sender MsgSeqNum) and queues its
    /// bytes. On a store failure nothing is queued.
    pub(super) fn commit_new(&mut self, seq: SeqNum, now: Instant) -> Result<(), StoreError> {
        self.commit_new_from(seq, None, now)
    }

    /// As [`commit_new`](Session::commit_new); with `pending`, the message
    /// was made from that pending message of the store, which takes it out
    /// of its queue in the same change.
    pub(super) fn commit_new_from(
        &mut self,
        seq: SeqNum,
        pending: Option<u64>,
        now: Instant,
    ) -> Result<(), StoreError> {
        let bytes = self.encoder.finish();
        let saved = match (self.config.persist_messages, pending) {
            (true, None) => self.store.save_outgoing(seq, bytes),
            (true, Some(id)) => self.store.save_outgoing_from_pending(seq, bytes, id),
            (false, None) => self.store.set_next_sender_seq_num(seq + 1),
            // Not kept for resends: two changes (a crash between them
            // would send the message again after a restart).
            (false, Some(id)) => self
                .store
                .set_next_sender_seq_num(seq + 1)
                .and_then(|()| self.store.remove_pending(id)),
        };
        self.store_dirty = true;
        saved?;
        self.tx.extend_from_slice(bytes);
        self.next_sender = seq + 1;
        self.note_sent(now);
        Ok(())
    }

    /// Finishes and queues a session-level message with a new MsgSeqNum; a
    /// store failure is reported but the message still goes out (the
    /// session must keep talking to stay alive).
    fn commit_admin(&mut self, seq: SeqNum, now: Instant) {
        let bytes = self.encoder.finish();
        let saved = if self.config.persist_messages {
            self.store.save_outgoing(seq, bytes)
        } else {
            self.store.set_next_sender_seq_num(seq + 1)
        };
        self.store_dirty = true;
        self.tx.extend_from_slice(bytes);
        self.next_sender = seq + 1;
        self.note_sent(now);
        if let Err(e) = saved {
            self.push_error(e);
        }
    }

    /// Finishes and queues a resent message (its MsgSeqNum was used before):
    /// not stored again, the next sender MsgSeqNum unchanged.
    pub(super) fn commit_resend(&mut self, now: Instant) {
        let bytes = self.encoder.finish();
        self.tx.extend_from_slice(bytes);
        self.note_sent(now);
    }

    /// Finishes the message in the encoder, which carries the new MsgSeqNum
    /// `seq`, and stores it without sending it (late delivery: it goes out
    /// later as a resend).
    pub(super) fn store_new(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        let bytes = self.encoder.finish();
        let saved = if self.config.persist_messages {
            self.store.save_outgoing(seq, bytes)
        } else {
            self.store.set_next_sender_seq_num(seq + 1)
        };
        self.store_dirty = true;
        saved?;
        self.next_sender = seq + 1;
        Ok(())
    }

    /// Encodes an application message with MsgSeqNum `seq` (as a resend
    /// with PossDupFlag=Y when `poss_dup`).
    pub(super) fn encode_app(
        &mut self,
        msg: &MessageBuilder,
        seq: SeqNum,
        poss_dup: bool,
        utc: UtcTimestamp,
    ) {
        self.encode_fields(msg.msg_type(), msg.header(), msg.body(), seq, poss_dup, utc);
    }

    /// [`encode_app`](Session::encode_app) for a message given as its
    /// MsgType and encoded extra header and body fields.
    pub(super) fn encode_fields(
        &mut self,
        msg_type: &[u8],
        header: &[u8],
        body: &[u8],
        seq: SeqNum,
        poss_dup: bool,
        utc: UtcTimestamp,
    ) {
        if poss_dup {
            self.start_poss_dup(msg_type, seq, utc, utc);
        } else {
            self.start_message(msg_type, seq, utc);
        }
        // Most messages have no extra header fields: skip the empty copy.
        if !header.is_empty() {
            self.encoder.push_raw(header);
        }
        self.encoder.push_raw(body);
    }

    /// Sends Logon: EncryptMethod 0, HeartBtInt, ResetSeqNumFlag when
    /// `reset`, NextExpectedMsgSeqNum `next_expected` when enabled,
    /// credentials and extra fields (initiator), DefaultApplVerID (FIXT).
    pub(super) fn send_logon(
        &mut self,
        reset: bool,
        next_expected: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.refresh_header_ids();
        let c = &self.config;
        let initiator = c.role == Role::Initiator;
        let logon = Logon {
            reset_seq_num_flag: reset,
            next_expected_msg_seq_num: (c.send_next_expected_msg_seq_num
                && supports_next_expected(c.version))
            .then(|| seq_num(next_expected)),
            username: c.username.as_deref().filter(|_| initiator),
            password: c.password.as_deref().filter(|_| initiator),
            default_appl_ver_id: c.version.is_fixt().then_some(c.version),
            ..Logon::new(self.heart_bt_int)
        };
        let seq = self.next_sender;
        let e = &mut self.encoder;
        let begin_string = c.version.begin_string();
        write_header(e, begin_string, &self.header_ids, Logon::MSG_TYPE, seq, utc);
        logon.write_body(e);
        for (t, v) in &c.logon_fields {
            e.push_str(*t, v);
        }
        self.commit_admin(seq, now);
        self.logon_seq = seq;
    }

    /// Sends a session-level message with a new MsgSeqNum.
    fn send_admin<M: AdminMessage>(&mut self, msg: &M, now: Instant, utc: UtcTimestamp) {
        self.send_admin_routed(msg, &NO_ROUTE, now, utc);
    }

    /// Sends a session-level message with a new MsgSeqNum, addressed back
    /// along `route` (the routing fields of the message it answers).
    fn send_admin_routed<M: AdminMessage>(
        &mut self,
        msg: &M,
        route: &Route<'_>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let seq = self.next_sender;
        self.start_message(M::MSG_TYPE, seq, utc);
        self.push_reverse_route(route);
        msg.write_body(&mut self.encoder);
        self.commit_admin(seq, now);
    }

    /// Writes the routing fields of a rejected message back into our
    /// header, OnBehalfOf* as DeliverTo* and DeliverTo* as OnBehalfOf*, so
    /// that a third party forwards the answer to the firm that sent it (as
    /// QuickFIX's reverse route does; empty values are left out, and the
    /// LocationIDs before FIX 4.1, which lacks them).
    fn push_reverse_route(&mut self, route: &Route<'_>) {
        let locations = self.config.version >= FixVersion::Fix41;
        for (&(_, back), value) in REVERSE_ROUTE.iter().zip(route) {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if locations
                || !matches!(
                    back,
                    tag::ON_BEHALF_OF_LOCATION_ID | tag::DELIVER_TO_LOCATION_ID
                )
            {
                self.encoder.push(back, value);
            }
        }
    }

    /// Sends Logout with an optional Text(58).
    pub(super) fn send_logout(&mut self, text: Option<&str>, now: Instant, utc: UtcTimestamp) {
        let logout = Logout {
            text,
            ..Logout::new()
        };
        self.send_admin(&logout, now, utc);
    }

    /// Sends Heartbeat, carrying the TestReqID(112) it answers if any.
    pub(super) fn send_heartbeat(
        &mut self,
        test_req_id: Option<&[u8]>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.send_admin(&Heartbeat { test_req_id }, now, utc);
    }

    /// Sends TestRequest with TestReqID(112) `id`.
    pub(super) fn send_test_request(&mut self, id: u64, now: Instant, utc: UtcTimestamp) {
        let mut digits = [0u8; 20];
        let id = decimal(id, &mut digits);
        self.send_admin(&TestRequest::new(id), now, utc);
    }

    /// Sends ResendRequest for `begin..=end` (`end` 0 or 999999: to the last).
    pub(super) fn send_resend_request(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let request = ResendRequest::new(seq_num(begin), (end != 0).then_some(end));
        self.send_admin(&request, now, utc);
    }

    /// The EndSeqNo(16) meaning "up to the last message" in this version.
    pub(super) fn end_seq_no_infinity(&self) -> SeqNum {
        if self.config.version.end_seq_no_infinity_is_zero() {
            0
        } else {
            END_SEQ_NO_INFINITY_OLD
        }
    }

    /// Sends SequenceReset-GapFill with MsgSeqNum `seq` and NewSeqNo(36)
    /// `new_seq_no` (a resend: PossDupFlag=Y, not stored).
    pub(super) fn send_gap_fill(
        &mut self,
        seq: SeqNum,
        new_seq_no: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let gap_fill = SequenceReset::gap_fill(seq_num(new_seq_no));
        self.start_poss_dup(SequenceReset::MSG_TYPE, seq, utc, utc);
        gap_fill.write_body(&mut self.encoder);
        self.commit_resend(now);
    }

    /// Sends a session-level Reject(3) of `rejected`, reverse-routed, and
    /// reports it. SessionRejectReason(373) carries `reason` only where the
    /// session's version defines that value; otherwise Text(58) says it.
    /// FIX 4.0 and 4.1 Rejects have no RefTagID(371), RefMsgType(372) or
    /// 373: Text names the reason and the tag ("Invalid tag number (999)").
    pub(super) fn send_reject(
        &mut self,
        rejected: &Rejected<'_>,
        reason: SessionRejectReason,
        ref_tag: Option<Tag>,
        text: Option<&str>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let version = self.config.version;
        let ref_fields = has_reject_ref_fields(version);
        let in_373 = reason.is_defined_in(version);
        let text = reject_text(
            reason.description(),
            !in_373,
            ref_tag.filter(|_| !ref_fields),
            text,
        );
        let reject = Reject {
            ref_seq_num: rejected.seq,
            ref_tag_id: ref_tag.filter(|_| ref_fields),
            ref_msg_type: Some(rejected.msg_type).filter(|t| ref_fields && !t.is_empty()),
            session_reject_reason: Some(reason).filter(|_| in_373),
            text: Some(&text),
        };
        self.send_admin_routed(&reject, &rejected.route, now, utc);
        let message = self.keep_rejected(rejected);
        self.events.push_back(QueuedEvent::Rejected {
            ref_seq_num: Some(rejected.seq),
            reason: Some(reason),
            ref_tag_id: ref_tag.filter(|_| ref_fields),
            business_reason: None,
            text,
            message,
        });
    }

    /// Keeps a rejected message until its event is polled.
    fn keep_rejected(&mut self, rejected: &Rejected<'_>) -> RejectedMessage {
        match rejected.source {
            Source::Message(m) => RejectedMessage::Stashed(self.inbox.push(m)),
            Source::Raw(bytes) => RejectedMessage::Raw(bytes.to_vec()),
        }
    }

    /// Sends BusinessMessageReject(j) of `rejected`, reverse-routed (a
    /// session Reject with Text in FIX 4.0 and 4.1, which lack it). A
    /// reason the version does not define goes out as 380=0 (Other: the
    /// field is required) with its wording leading Text(58).
    pub(super) fn send_business_reject(
        &mut self,
        rejected: &Rejected<'_>,
        reason: BusinessRejectReason,
        text: &str,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.send_business_reject_with_id(rejected, reason, None, text, now, utc);
    }

    /// [`send_business_reject`](Session::send_business_reject) with
    /// BusinessRejectRefID(379) `ref_id`. With FIXT the body also carries
    /// our DefaultApplVerID(1137), as QuickFIX writes it.
    pub(super) fn send_business_reject_with_id(
        &mut self,
        rejected: &Rejected<'_>,
        reason: BusinessRejectReason,
        ref_id: Option<&[u8]>,
        text: &str,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let version = self.config.version;
        let (code, text) = business_reject_reason(version, reason, text);
        if has_reject_ref_fields(version) {
            let reject = BusinessMessageReject {
                text: Some(&text),
                business_reject_ref_id: ref_id,
                ..BusinessMessageReject::new(rejected.msg_type, code)
                    .ref_seq_num(seq_num(rejected.seq))
            };
            let seq = self.next_sender;
            self.start_message(BusinessMessageReject::MSG_TYPE, seq, utc);
            self.push_reverse_route(&rejected.route);
            reject.write_body(&mut self.encoder);
            if version.is_fixt() {
                self.encoder
                    .push_str(tag::DEFAULT_APPL_VER_ID, version.appl_ver_id());
            }
            self.commit_admin(seq, now);
        } else {
            let reject = Reject {
                ref_seq_num: rejected.seq,
                ref_tag_id: None,
                ref_msg_type: None,
                session_reject_reason: None,
                text: Some(&text),
            };
            self.send_admin_routed(&reject, &rejected.route, now, utc);
        }
        let message = self.keep_rejected(rejected);
        self.events.push_back(QueuedEvent::Rejected {
            ref_seq_num: Some(rejected.seq),
            reason: None,
            ref_tag_id: None,
            business_reason: Some(code).filter(|_| has_reject_ref_fields(version)),
            text,
            message,
        });
    }
}

/// The message a Reject or BusinessMessageReject answers: its MsgSeqNum
/// as it carried it, its MsgType and its third-party routing fields, and
/// the message itself, reported to the application with the Reject.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rejected<'a> {
    /// RefSeqNum(45) to send.
    pub seq: SeqNum,
    /// RefMsgType(372) to send.
    pub msg_type: &'a [u8],
    /// The values of the first tags of [`REVERSE_ROUTE`], in its order.
    route: Route<'a>,
    /// The rejected message.
    source: Source<'a>,
}

/// A rejected message as received.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    /// Split into fields.
    Message(&'a Message<'a>),
    /// Bytes that could not be split into fields.
    Raw(&'a [u8]),
}

/// Routing field values, in the order of [`REVERSE_ROUTE`].
type Route<'a> = [Option<&'a [u8]>; 6];

/// No routing fields.
const NO_ROUTE: Route<'static> = [None; 6];

/// Each routing field of a rejected message and the field of our answer
/// that carries its value back.
const REVERSE_ROUTE: [(Tag, Tag); 6] = [
    (tag::ON_BEHALF_OF_COMP_ID, tag::DELIVER_TO_COMP_ID),
    (tag::ON_BEHALF_OF_SUB_ID, tag::DELIVER_TO_SUB_ID),
    (tag::ON_BEHALF_OF_LOCATION_ID, tag::DELIVER_TO_LOCATION_ID),
    (tag::DELIVER_TO_COMP_ID, tag::ON_BEHALF_OF_COMP_ID),
    (tag::DELIVER_TO_SUB_ID, tag::ON_BEHALF_OF_SUB_ID),
    (tag::DELIVER_TO_LOCATION_ID, tag::ON_BEHALF_OF_LOCATION_ID),
];

impl<'a> Rejected<'a> {
    /// The message `msg`, whose MsgSeqNum is `seq`.
    pub(super) fn of(msg: &'a Message<'a>, seq: SeqNum) -> Rejected<'a> {
        Rejected {
            seq,
            msg_type: msg.msg_type(),
            route: REVERSE_ROUTE.map(|(from, _)| msg.get(from)),
            source: Source::Message(msg),
        }
    }

    /// The message `frame` that could not be split into fields, known by
    /// its MsgSeqNum, MsgType and a way to read its other fields.
    pub(super) fn from_fields(
        frame: &'a [u8],
        seq: SeqNum,
        msg_type: &'a [u8],
        get: impl Fn(Tag) -> Option<&'a [u8]>,
    ) -> Rejected<'a> {
        Rejected {
            seq,
            msg_type,
            route: REVERSE_ROUTE.map(|(from, _)| get(from)),
            source: Source::Raw(frame),
        }
    }
}

/// Whether the version's Reject has RefTagID(371) and RefMsgType(372), and
/// BusinessMessageReject exists (FIX 4.2 and later).
fn has_reject_ref_fields(version: FixVersion) -> bool {
    !matches!(version, FixVersion::Fix40 | FixVersion::Fix41)
}

/// Text(58) of a reject: `text`, or the reason's `description` without
/// one; led by the description when no field carries the reason
/// (`reason_in_text`), and followed by the tag number `tag_in_text` when
/// no field carries the tag, as QuickFIX writes it ("Invalid tag number
/// (999)").
fn reject_text(
    description: &str,
    reason_in_text: bool,
    tag_in_text: Option<Tag>,
    text: Option<&str>,
) -> String {
    let mut out = match text {
        Some(t) if reason_in_text && !t.starts_with(description) => {
            format!("{description}: {t}")
        }
        Some(t) => t.to_string(),
        None => description.to_string(),
    };
    if let Some(t) = tag_in_text {
        let mark = format!("({t})");
        if !out.contains(&mark) {
            out.push(' ');
            out.push_str(&mark);
        }
    }
    out
}

/// BusinessRejectReason(380) and Text(58) of a BusinessMessageReject for
/// `reason` in `version`: the reason itself where the version defines it,
/// else Other (0) with the reason's wording leading the text.
fn business_reject_reason(
    version: FixVersion,
    reason: BusinessRejectReason,
    text: &str,
) -> (BusinessRejectReason, String) {
    let defined = reason.is_defined_in(version);
    let text = reject_text(reason.description(), !defined, None, Some(text));
    let code = if defined {
        reason
    } else {
        BusinessRejectReason::Other
    };
    (code, text)
}

/// Begins a message in `e`: BeginString, MsgType, our CompID fields
/// (`ids`, from [`header_ids`]), MsgSeqNum `seq` and SendingTime `utc`.
fn write_header(
    e: &mut Encoder,
    begin_string: &str,
    ids: &[u8],
    msg_type: &[u8],
    seq: SeqNum,
    utc: UtcTimestamp,
) {
    e.start(begin_string, msg_type);
    e.push_raw(ids);
    e.push_uint(tag::MSG_SEQ_NUM, seq);
    e.push_timestamp(tag::SENDING_TIME, utc);
}

/// The identity fields of `c`'s header, the same in every message it
/// sends: SenderCompID, SenderSubID, SenderLocationID, TargetCompID,
/// TargetSubID, TargetLocationID (those set), encoded once.
pub(super) fn header_ids(c: &SessionConfig) -> Vec<u8> {
    let mut ids = MessageBuilder::new(b"");
    ids.push_str(tag::SENDER_COMP_ID, &c.id.sender_comp_id);
    if let Some(v) = &c.id.sender_sub_id {
        ids.push_str(tag::SENDER_SUB_ID, v);
    }
    if let Some(v) = &c.id.sender_location_id {
        ids.push_str(tag::SENDER_LOCATION_ID, v);
    }
    ids.push_str(tag::TARGET_COMP_ID, &c.id.target_comp_id);
    if let Some(v) = &c.id.target_sub_id {
        ids.push_str(tag::TARGET_SUB_ID, v);
    }
    if let Some(v) = &c.id.target_location_id {
        ids.push_str(tag::TARGET_LOCATION_ID, v);
    }
    ids.body().to_vec()
}

/// A MsgSeqNum where FIX wants a positive one (ours and the peer's
/// checked ones are never 0; this keeps it so).
fn seq_num(n: SeqNum) -> SeqNum {
    n.max(1)
}

/// Writes `n` in decimal into `buf`, returning the digits.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Whether NextExpectedMsgSeqNum(789) exists in this version (FIX 4.4 and
/// FIXT 1.1).
pub(crate) fn supports_next_expected(version: FixVersion) -> bool {
    version >= FixVersion::Fix44
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_text_names_what_no_field_carries() {
        let d = "Invalid tag number";
        assert_eq!(reject_text(d, false, None, None), d);
        assert_eq!(
            reject_text(d, true, Some(999), None),
            "Invalid tag number (999)"
        );
        assert_eq!(
            reject_text(
                "Value is incorrect",
                true,
                None,
                Some("NewSeqNo(36)=2 too low")
            ),
            "Value is incorrect: NewSeqNo(36)=2 too low"
        );
        // A tag the text already names is not repeated.
        assert_eq!(
            reject_text(
                "Value is incorrect",
                false,
                Some(36),
                Some("NewSeqNo(36)=2")
            ),
            "NewSeqNo(36)=2"
        );
    }

    #[test]
    fn business_reject_reasons_the_version_lacks_become_other() {
        let r = BusinessRejectReason::NotAuthorized;
        assert_eq!(
            business_reject_reason(FixVersion::Fix42, r, "not for you"),
            (
                BusinessRejectReason::Other,
                "Not authorized: not for you".to_string()
            )
        );
        assert_eq!(
            business_reject_reason(FixVersion::Fix44, r, "not for you"),
            (r, "not for you".to_string())
        );
        let r = BusinessRejectReason::InvalidPriceIncrement;
        assert_eq!(
            business_reject_reason(FixVersion::Fix44, r, "Invalid price increment").0,
            BusinessRejectReason::Other
        );
        assert_eq!(business_reject_reason(FixVersion::Fix50Sp2, r, "x").0, r);
    }
}
