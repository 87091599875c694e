//! Encoding what the session sends: the standard header, the session-level
//! messages, and application messages; storing them and queueing their
//! bytes.

use super::Session;
use crate::config::Role;
use crate::event::QueuedEvent;
use crate::store::{SeqNum, StoreError};
use fix_proto::tag::{self, msg_type};
use fix_proto::{
    BusinessRejectReason, FieldWriter, FixVersion, MessageBuilder, SessionRejectReason, Tag,
    UtcTimestamp,
};
use std::time::Instant;

/// The "up to the last message" EndSeqNo(16) of FIX 4.0 and 4.1.
pub(crate) const END_SEQ_NO_INFINITY_OLD: SeqNum = 999_999;

impl Session {
    /// Begins a message in the encoder: BeginString, MsgType and our
    /// standard header with MsgSeqNum `seq` and SendingTime `utc`.
    pub(super) fn start_message(&mut self, msg_type: &[u8], seq: SeqNum, utc: UtcTimestamp) {
        let c = &self.config;
        let e = &mut self.encoder;
        e.start(c.version.begin_string(), msg_type);
        e.push_str(tag::SENDER_COMP_ID, &c.sender_comp_id);
        if let Some(v) = &c.sender_sub_id {
            e.push_str(tag::SENDER_SUB_ID, v);
        }
        if let Some(v) = &c.sender_location_id {
            e.push_str(tag::SENDER_LOCATION_ID, v);
        }
        e.push_str(tag::TARGET_COMP_ID, &c.target_comp_id);
        if let Some(v) = &c.target_sub_id {
            e.push_str(tag::TARGET_SUB_ID, v);
        }
        if let Some(v) = &c.target_location_id {
            e.push_str(tag::TARGET_LOCATION_ID, v);
        }
        e.push_uint(tag::MSG_SEQ_NUM, seq);
        e.push_timestamp(tag::SENDING_TIME, utc);
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
        let bytes = self.encoder.finish();
        let saved = if self.config.persist_messages {
            self.store.save_outgoing(seq, bytes)
        } else {
            self.store.set_next_sender_seq_num(seq + 1)
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

    /// Finishes and queues a message whose MsgSeqNum `seq` was consumed
    /// earlier but which was never sent (late delivery): stores it under
    /// that number without moving the next sender MsgSeqNum.
    pub(super) fn commit_consumed(&mut self, seq: SeqNum, now: Instant) {
        let bytes = self.encoder.finish();
        let mut saved = Ok(());
        if self.config.persist_messages {
            saved = self.store.save_outgoing(seq, bytes);
            if saved.is_ok() && seq + 1 != self.next_sender {
                saved = self.store.set_next_sender_seq_num(self.next_sender);
            }
        }
        self.store_dirty = true;
        self.tx.extend_from_slice(bytes);
        self.note_sent(now);
        if let Err(e) = saved {
            self.push_error(e.into());
        }
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
        let seq = self.next_sender;
        self.start_message(msg_type::LOGON, seq, utc);
        let c = &self.config;
        let e = &mut self.encoder;
        e.push_uint(tag::ENCRYPT_METHOD, 0);
        e.push_uint(tag::HEART_BT_INT, self.heart_bt_int as u64);
        if reset {
            e.push_bool(tag::RESET_SEQ_NUM_FLAG, true);
        }
        if c.send_next_expected_msg_seq_num && supports_next_expected(c.version) {
            e.push_uint(tag::NEXT_EXPECTED_MSG_SEQ_NUM, next_expected);
        }
        if c.role == Role::Initiator {
            if let Some(u) = &c.username {
                e.push_str(tag::USERNAME, u);
            }
            if let Some(p) = &c.password {
                e.push_str(tag::PASSWORD, p);
            }
        }
        if c.version.is_fixt() {
            e.push_str(tag::DEFAULT_APPL_VER_ID, c.version.appl_ver_id());
        }
        for (t, v) in &c.logon_fields {
            e.push_str(*t, v);
        }
        self.commit_admin(seq, now);
        self.logon_seq = seq;
    }

    /// Sends Logout with an optional Text(58).
    pub(super) fn send_logout(&mut self, text: Option<&str>, now: Instant, utc: UtcTimestamp) {
        let seq = self.next_sender;
        self.start_message(msg_type::LOGOUT, seq, utc);
        if let Some(text) = text {
            self.encoder.push_str(tag::TEXT, text);
        }
        self.commit_admin(seq, now);
    }

    /// Sends Heartbeat, carrying the TestReqID(112) it answers if any.
    pub(super) fn send_heartbeat(
        &mut self,
        test_req_id: Option<&[u8]>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let seq = self.next_sender;
        self.start_message(msg_type::HEARTBEAT, seq, utc);
        if let Some(id) = test_req_id {
            self.encoder.push(tag::TEST_REQ_ID, id);
        }
        self.commit_admin(seq, now);
    }

    /// Sends TestRequest with TestReqID(112) `id`.
    pub(super) fn send_test_request(&mut self, id: u64, now: Instant, utc: UtcTimestamp) {
        let seq = self.next_sender;
        self.start_message(msg_type::TEST_REQUEST, seq, utc);
        self.encoder.push_uint(tag::TEST_REQ_ID, id);
        self.commit_admin(seq, now);
    }

    /// Sends ResendRequest for `begin..=end` (`end` 0 or 999999: to the last).
    pub(super) fn send_resend_request(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let seq = self.next_sender;
        self.start_message(msg_type::RESEND_REQUEST, seq, utc);
        self.encoder.push_uint(tag::BEGIN_SEQ_NO, begin);
        self.encoder.push_uint(tag::END_SEQ_NO, end);
        self.commit_admin(seq, now);
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
        self.start_poss_dup(msg_type::SEQUENCE_RESET, seq, utc, utc);
        self.encoder.push_bool(tag::GAP_FILL_FLAG, true);
        self.encoder.push_uint(tag::NEW_SEQ_NO, new_seq_no);
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
        let modern = !matches!(self.config.version, FixVersion::Fix40 | FixVersion::Fix41);
        let seq = self.next_sender;
        self.start_message(msg_type::REJECT, seq, utc);
        let e = &mut self.encoder;
        e.push_uint(tag::REF_SEQ_NUM, ref_seq_num);
        if modern {
            if let Some(t) = ref_tag {
                e.push_uint(tag::REF_TAG_ID, t as u64);
            }
            if !ref_msg_type.is_empty() {
                e.push(tag::REF_MSG_TYPE, ref_msg_type);
            }
            e.push_uint(tag::SESSION_REJECT_REASON, reason.code() as u64);
        }
        e.push_str(tag::TEXT, text);
        self.commit_admin(seq, now);
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
        let seq = self.next_sender;
        if matches!(self.config.version, FixVersion::Fix40 | FixVersion::Fix41) {
            self.start_message(msg_type::REJECT, seq, utc);
            self.encoder.push_uint(tag::REF_SEQ_NUM, ref_seq_num);
        } else {
            self.start_message(msg_type::BUSINESS_MESSAGE_REJECT, seq, utc);
            let e = &mut self.encoder;
            e.push_uint(tag::REF_SEQ_NUM, ref_seq_num);
            e.push(tag::REF_MSG_TYPE, ref_msg_type);
            e.push_uint(tag::BUSINESS_REJECT_REASON, reason.code() as u64);
        }
        self.encoder.push_str(tag::TEXT, text);
        self.commit_admin(seq, now);
        self.events.push_back(QueuedEvent::Rejected {
            ref_seq_num: Some(ref_seq_num),
            reason: None,
            text: text.to_string(),
        });
    }
}

/// Whether NextExpectedMsgSeqNum(789) exists in this version (FIX 4.4 and
/// FIXT 1.1).
pub(crate) fn supports_next_expected(version: FixVersion) -> bool {
    version >= FixVersion::Fix44
}
