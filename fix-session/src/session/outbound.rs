//! Encoding what the session sends: the standard header, the session-level
//! messages (bodies written by the typed builders of `fixrs_proto::admin`),
//! and application messages; storing them and queueing their bytes.

use super::Session;
use crate::config::{Role, SessionConfig};
use crate::event::QueuedEvent;
use crate::store::{SeqNum, StoreError};
use fixrs_proto::admin::{
    AdminMessage, BusinessMessageReject, Heartbeat, Logon, Logout, Reject, ResendRequest,
    SequenceReset, TestRequest,
};
use fixrs_proto::tag;
use fixrs_proto::{
    BusinessRejectReason, Encoder, FieldWriter, FixVersion, MessageBuilder, SessionRejectReason,
    Tag, UtcTimestamp,
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
            self.push_error(e.into());
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
        if poss_dup {
            self.start_poss_dup(msg.msg_type(), seq, utc, utc);
        } else {
            self.start_message(msg.msg_type(), seq, utc);
        }
        self.encoder.push_raw(msg.header()).push_raw(msg.body());
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

    /// Begins a session-level message with MsgSeqNum `seq` and writes its
    /// body; the caller commits it.
    fn write_admin<M: AdminMessage>(&mut self, msg: &M, seq: SeqNum, utc: UtcTimestamp) {
        self.start_message(M::MSG_TYPE, seq, utc);
        msg.write_body(&mut self.encoder);
    }

    /// Sends a session-level message with a new MsgSeqNum.
    fn send_admin<M: AdminMessage>(&mut self, msg: &M, now: Instant, utc: UtcTimestamp) {
        let seq = self.next_sender;
        self.write_admin(msg, seq, utc);
        self.commit_admin(seq, now);
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
        let request = ResendRequest::new(seq_num(begin), fixrs_proto::SeqNum::new(end));
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

    /// Sends a session-level Reject(3) of the message `ref_seq_num` and
    /// reports it. FIX 4.0 and 4.1 Rejects carry only RefSeqNum and Text.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_reject(
        &mut self,
        ref_seq_num: SeqNum,
        ref_msg_type: &[u8],
        reason: SessionRejectReason,
        ref_tag: Option<Tag>,
        text: Option<&str>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let text = text.unwrap_or(reason.description());
        // FIX 4.0 and 4.1 Rejects have RefSeqNum and Text only.
        let modern = !matches!(self.config.version, FixVersion::Fix40 | FixVersion::Fix41);
        let reject = Reject {
            ref_seq_num: seq_num(ref_seq_num),
            ref_tag_id: ref_tag.filter(|_| modern),
            ref_msg_type: Some(ref_msg_type).filter(|t| modern && !t.is_empty()),
            session_reject_reason: Some(reason).filter(|_| modern),
            text: Some(text),
        };
        self.send_admin(&reject, now, utc);
        self.events.push_back(QueuedEvent::Rejected {
            ref_seq_num: Some(ref_seq_num),
            reason: Some(reason),
            text: text.to_string(),
        });
    }

    /// Sends BusinessMessageReject(j) of the message `ref_seq_num` (a
    /// session Reject with Text in FIX 4.0 and 4.1, which lack it).
    pub(super) fn send_business_reject(
        &mut self,
        ref_seq_num: SeqNum,
        ref_msg_type: &[u8],
        reason: BusinessRejectReason,
        text: &str,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.send_business_reject_with_id(ref_seq_num, ref_msg_type, reason, None, text, now, utc);
    }

    /// [`send_business_reject`](Session::send_business_reject) with
    /// BusinessRejectRefID(379) `ref_id`. With FIXT the body also carries
    /// our DefaultApplVerID(1137), as QuickFIX writes it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_business_reject_with_id(
        &mut self,
        ref_seq_num: SeqNum,
        ref_msg_type: &[u8],
        reason: BusinessRejectReason,
        ref_id: Option<&[u8]>,
        text: &str,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        if matches!(self.config.version, FixVersion::Fix40 | FixVersion::Fix41) {
            let reject = Reject {
                ref_seq_num: seq_num(ref_seq_num),
                ref_tag_id: None,
                ref_msg_type: None,
                session_reject_reason: None,
                text: Some(text),
            };
            self.send_admin(&reject, now, utc);
        } else {
            let reject = BusinessMessageReject {
                text: Some(text),
                business_reject_ref_id: ref_id,
                ..BusinessMessageReject::new(ref_msg_type, reason).ref_seq_num(seq_num(ref_seq_num))
            };
            let seq = self.next_sender;
            self.write_admin(&reject, seq, utc);
            if self.config.version.is_fixt() {
                self.encoder
                    .push_str(tag::DEFAULT_APPL_VER_ID, self.config.version.appl_ver_id());
            }
            self.commit_admin(seq, now);
        }
        self.events.push_back(QueuedEvent::Rejected {
            ref_seq_num: Some(ref_seq_num),
            reason: None,
            text: text.to_string(),
        });
    }
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
    ids.push_str(tag::SENDER_COMP_ID, &c.sender_comp_id);
    if let Some(v) = &c.sender_sub_id {
        ids.push_str(tag::SENDER_SUB_ID, v);
    }
    if let Some(v) = &c.sender_location_id {
        ids.push_str(tag::SENDER_LOCATION_ID, v);
    }
    ids.push_str(tag::TARGET_COMP_ID, &c.target_comp_id);
    if let Some(v) = &c.target_sub_id {
        ids.push_str(tag::TARGET_SUB_ID, v);
    }
    if let Some(v) = &c.target_location_id {
        ids.push_str(tag::TARGET_LOCATION_ID, v);
    }
    ids.body().to_vec()
}

/// A MsgSeqNum as the codec's positive SeqNum (ours and the peer's
/// checked ones are never 0).
fn seq_num(n: SeqNum) -> fixrs_proto::SeqNum {
    fixrs_proto::SeqNum::new(n).unwrap_or(fixrs_proto::SeqNum::ONE)
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
