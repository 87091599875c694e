//! Answering a ResendRequest (test cases 8 and 20): application messages
//! are resent from the store with PossDupFlag=Y and OrigSendingTime; runs
//! of session-level messages and of anything the store does not have
//! collapse into one SequenceReset-GapFill.

use super::Session;
use crate::msg_types;
use crate::store::SeqNum;
use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, Message, UtcTimestamp};
use std::time::Instant;

/// How many stored messages are read from the store at a time.
const RESEND_BATCH: SeqNum = 256;

impl Session {
    /// Resends our messages `begin..=end` (`end` 0, 999999 or beyond our
    /// last: up to the last one sent).
    pub(super) fn resend_range(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let last_sent = self.next_sender.saturating_sub(1);
        let end = if end == 0 || end > last_sent {
            last_sent
        } else {
            end
        };
        let begin = begin.max(1);
        if begin > end {
            return;
        }
        let mut scratch = std::mem::take(&mut self.resend_scratch);
        let mut entries = std::mem::take(&mut self.resend_entries);
        let mut index = std::mem::take(&mut self.resend_index);
        // The first MsgSeqNum not yet resent or gap-filled.
        let mut cursor = begin;
        let mut chunk_begin = begin;
        while chunk_begin <= end {
            let chunk_end = end.min(chunk_begin.saturating_add(RESEND_BATCH - 1));
            scratch.clear();
            entries.clear();
            if self.config.persist_messages {
                let result = self
                    .store
                    .outgoing(chunk_begin, chunk_end, &mut |seq, bytes| {
                        let at = scratch.len();
                        scratch.extend_from_slice(bytes);
                        entries.push((seq, at, bytes.len()));
                    });
                if let Err(e) = result {
                    self.push_error(e);
                }
            }
            let mut next_entry = 0;
            loop {
                let stored = entries.get(next_entry).copied();
                // The first queued message in the chunk, wherever it is in
                // the queue: the peer may ask for a queued message before
                // those queued ahead of it (its requests crossed a reset).
                let late = self.late_in(chunk_begin, chunk_end);
                // A queued message and its stored copy: the queued one goes.
                let take_stored = match (stored, late) {
                    (None, None) => break,
                    (Some((seq, _, _)), Some((_, l))) => seq < l,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                };
                if let (true, Some((seq, at, len))) = (take_stored, stored) {
                    next_entry += 1;
                    if self.withdrawn.contains(&seq) {
                        continue;
                    }
                    let Some(bytes) = scratch.get(at..at + len) else {
                        continue;
                    };
                    let Ok(msg) = index.parse(bytes) else {
                        continue;
                    };
                    if !msg_types::is_gap_filled_on_resend(msg.msg_type()) {
                        if cursor < seq {
                            self.send_gap_fill(cursor, seq, now, utc);
                        }
                        self.resend_stored(&msg, now, utc);
                        cursor = seq + 1;
                    }
                } else if let Some((seq, m)) =
                    late.and_then(|(i, seq)| Some((seq, self.late.remove(i)?)))
                {
                    if stored.is_some_and(|(s, _, _)| s == seq) {
                        next_entry += 1;
                    }
                    if cursor < seq {
                        self.send_gap_fill(cursor, seq, now, utc);
                    }
                    // First time out: SendingTime now, OrigSendingTime when
                    // it was queued (the SendingTime of its stored copy).
                    self.start_poss_dup(m.msg.msg_type(), seq, utc, m.queued_at);
                    self.encoder.push_raw(m.msg.header()).push_raw(m.msg.body());
                    self.commit_resend(now);
                    cursor = seq + 1;
                }
            }
            if chunk_end == SeqNum::MAX {
                break;
            }
            chunk_begin = chunk_end + 1;
        }
        if cursor <= end {
            self.send_gap_fill(cursor, end + 1, now, utc);
        }
        self.resend_scratch = scratch;
        self.resend_entries = entries;
        self.resend_index = index;
        self.rearm_late_timer();
    }

    /// Resends a stored message: same fields, with PossDupFlag=Y,
    /// OrigSendingTime = its SendingTime, and a new SendingTime.
    fn resend_stored(&mut self, msg: &Message<'_>, now: Instant, utc: UtcTimestamp) {
        let e = &mut self.encoder;
        e.start(self.config.version.begin_string(), msg.msg_type());
        for field in msg.fields() {
            match field.tag {
                tag::BEGIN_STRING
                | tag::BODY_LENGTH
                | tag::CHECK_SUM
                | tag::MSG_TYPE
                | tag::POSS_DUP_FLAG
                | tag::ORIG_SENDING_TIME => {}
                tag::MSG_SEQ_NUM => {
                    e.push(tag::MSG_SEQ_NUM, field.value);
                    e.push_bool(tag::POSS_DUP_FLAG, true);
                }
                tag::SENDING_TIME => {
                    e.push_timestamp(tag::SENDING_TIME, utc);
                    e.push(tag::ORIG_SENDING_TIME, field.value);
                }
                t => {
                    e.push(t, field.value);
                }
            }
        }
        self.commit_resend(now);
    }
}
