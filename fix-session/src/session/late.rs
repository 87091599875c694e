//! Late delivery (test cases 16a, 16b): application messages sent while the
//! session is not established are kept, bounded, with an optional time to
//! live, and sent after logon and resynchronisation with the SendingTime of
//! the moment they actually leave.
//!
//! A queued message consumes the next MsgSeqNum at once and is stored under
//! it (so later messages keep their order, stores only ever see increasing
//! numbers, and a restart neither reuses the number nor loses the message).
//! After logon the peer sees the gap and asks for it (or says so with
//! NextExpectedMsgSeqNum); the queued messages then go out as resends:
//! PossDupFlag=Y, SendingTime the moment they leave, OrigSendingTime the
//! moment they were queued. When the next Logon resets sequence numbers,
//! queued messages are not numbered until they are sent right after it.
//!
//! A message whose time to live runs out (or that the application
//! discards) is reported undelivered and its number is gap-filled.

use super::{late_ttl, LateMessage, Session, Timer};
use crate::config::LateDelivery;
use crate::error::SendError;
use crate::event::{QueuedEvent, UndeliveredReason};
use crate::store::SeqNum;
use fixrs_proto::{MessageBuilder, UtcTimestamp};
use std::time::Instant;

impl Session {
    /// Keeps an application message sent while not established, or refuses
    /// it, per the late-delivery setting.
    pub(super) fn queue_late(
        &mut self,
        msg: &MessageBuilder,
        now: Instant,
        utc: UtcTimestamp,
    ) -> Result<Option<SeqNum>, SendError> {
        if self.config.late_delivery == LateDelivery::Reject {
            return Err(SendError::NotEstablished { state: self.state });
        }
        if self.late.len() >= self.config.max_late_delivery {
            return Err(SendError::QueueFull {
                max: self.config.max_late_delivery,
            });
        }
        let renumber_at_logon = self.config.reset_on_logon
            || self.reset_on_next_logon
            || self.late.back().is_some_and(|m| m.seq.is_none());
        let seq = if renumber_at_logon {
            None
        } else {
            let seq = self.next_sender;
            self.encode_app(msg, seq, false, utc);
            self.store_new(seq)?;
            Some(seq)
        };
        let expires =
            late_ttl(self.config.late_delivery).map(|ttl| super::timers::deadline(now, ttl));
        self.late.push_back(LateMessage {
            seq,
            msg: msg.clone(),
            expires,
            queued_at: utc,
        });
        self.rearm_late_timer();
        Ok(seq)
    }

    /// Reports and drops queued messages whose time to live ran out.
    pub(super) fn expire_late(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.late.len() {
            if self.late[i].expires.is_some_and(|at| at <= now) {
                if let Some(m) = self.late.remove(i) {
                    if let Some(seq) = m.seq {
                        self.withdrawn.insert(seq);
                    }
                    self.events.push_back(QueuedEvent::Undelivered {
                        msg: m.msg,
                        reason: UndeliveredReason::Expired,
                    });
                }
            } else {
                i += 1;
            }
        }
        self.rearm_late_timer();
    }

    /// Sets the late-delivery timer to the earliest expiry.
    pub(super) fn rearm_late_timer(&mut self) {
        match self.late.iter().filter_map(|m| m.expires).min() {
            Some(at) => self.timers.set(Timer::LateDelivery, at),
            None => self.timers.stop(Timer::LateDelivery),
        }
    }

    /// After logon: messages not yet numbered go out now with new numbers;
    /// numbered ones wait for the peer's ResendRequest (or its
    /// NextExpectedMsgSeqNum, already acted on).
    pub(super) fn after_logon_late_delivery(&mut self, now: Instant, utc: UtcTimestamp) {
        // Messages numbered after our Logon (put while it awaited its
        // reply) leave no gap the peer could see: nobody will ask for them,
        // so they go out now, as the resends they would otherwise become.
        let logon_seq = self.logon_seq;
        let after_logon = self
            .late
            .iter()
            .filter_map(|m| m.seq)
            .filter(|&s| s > logon_seq)
            .fold(None, |range: Option<(SeqNum, SeqNum)>, s| {
                Some(range.map_or((s, s), |(a, b)| (a.min(s), b.max(s))))
            });
        if let Some((first, last)) = after_logon {
            self.resend_range(first, last, now, utc);
            self.late
                .retain(|m| !m.seq.is_some_and(|s| s >= first && s <= last));
        }
        let Some(first_unnumbered) = self.late.iter().position(|m| m.seq.is_none()) else {
            return;
        };
        let unnumbered = self.late.split_off(first_unnumbered);
        for m in unnumbered {
            let seq = self.next_sender;
            self.encode_app(&m.msg, seq, false, utc);
            if let Err(e) = self.commit_new(seq, now) {
                self.push_error(e.into());
            }
        }
        self.rearm_late_timer();
    }
}
