//! Late delivery (test cases 16a, 16b): application messages sent while the
//! session is not established are kept, bounded, with an optional time to
//! live, and sent after logon and resynchronisation with the SendingTime of
//! the moment they actually leave.
//!
//! With [`LateDeliveryMode::Resend`] (the default) a queued message
//! consumes the next MsgSeqNum at once and is stored under it (so later
//! messages keep their order, stores only ever see increasing numbers, and
//! a restart neither reuses the number nor loses the message). After logon
//! the peer sees the gap and asks for it (or says so with
//! NextExpectedMsgSeqNum); the queued messages then go out as resends:
//! PossDupFlag=Y, SendingTime the moment they leave, OrigSendingTime the
//! moment they were queued.
//!
//! With [`LateDeliveryMode::Queue`], and in resend mode when the next Logon
//! resets sequence numbers, queued messages are not numbered: they wait in
//! the store's queue of pending messages (so a restart loses none) and are
//! numbered and sent as new messages right after the Logon and the
//! resends it triggers. Taking one out of the store's queue and saving it
//! as sent is one change of the store, so a crash cannot send it twice.
//!
//! A message whose time to live runs out (or that the application
//! discards) is reported undelivered; its number, if it had one, is
//! gap-filled.

use super::{late_ttl, LateMessage, Session, Timer};
use crate::config::{LateDelivery, LateDeliveryMode};
use crate::error::{ConfigError, SendError, SessionError};
use crate::event::{QueuedEvent, UndeliveredReason};
use crate::store::{SeqNum, Store, StoreError};
use fixrs_proto::{FieldWriter, MessageBuilder, UtcTimestamp};
use std::time::Instant;

impl Session {
    /// Keeps an application message sent while not established, or refuses
    /// it, per the late-delivery setting.
    pub(super) fn queue_late(
        &mut self,
        msg: MessageBuilder,
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
        let unnumbered = self.config.late_delivery_mode == LateDeliveryMode::Queue
            || self.config.reset_on_logon
            || self.reset_on_next_logon
            || self.late.back().is_some_and(|m| m.seq.is_none());
        let (seq, pending) = if unnumbered {
            let pending =
                keep_pending(&mut *self.store, self.config.late_delivery_mode, &msg, utc)?;
            (None, pending)
        } else {
            let seq = self.next_sender;
            self.encode_app(&msg, seq, false, utc);
            self.store_new(seq)?;
            (Some(seq), None)
        };
        // Durable now, not at the next write to the link: the link is down.
        self.store_dirty = true;
        self.flush_store();
        let expires =
            late_ttl(self.config.late_delivery).map(|ttl| super::timers::deadline(now, ttl));
        self.late.push_back(LateMessage {
            seq,
            pending,
            msg,
            expires,
            queued_at: utc,
        });
        self.rearm_late_timer();
        Ok(seq)
    }

    /// The messages a store keeps pending (from before a restart) as
    /// late-delivery messages, oldest first.
    pub(super) fn load_pending(
        &mut self,
        now: Instant,
        utc: UtcTimestamp,
    ) -> Result<(), SessionError> {
        let mut records = Vec::new();
        match self
            .store
            .pending(&mut |id, record| records.push((id, record.to_vec())))
        {
            Ok(()) => {}
            Err(StoreError::Unsupported(_))
                if self.config.late_delivery_mode == LateDeliveryMode::Resend => {}
            Err(StoreError::Unsupported(_)) => {
                return Err(ConfigError::QueueNeedsPendingStore.into())
            }
            Err(e) => return Err(e.into()),
        }
        let ttl = late_ttl(self.config.late_delivery);
        for (id, record) in records {
            let Some((queued_at, msg)) = decode_pending(&record) else {
                return Err(
                    StoreError::Corrupt(format!("pending message {id} cannot be read")).into(),
                );
            };
            // What is left of its time to live.
            let expires = ttl.map(|ttl| {
                let waited = u64::try_from(utc.nanos_since(queued_at)).unwrap_or(0);
                let left = ttl.saturating_sub(std::time::Duration::from_nanos(waited));
                super::timers::deadline(now, left)
            });
            self.late.push_back(LateMessage {
                seq: None,
                pending: Some(id),
                msg,
                expires,
                queued_at,
            });
        }
        self.rearm_late_timer();
        Ok(())
    }

    /// Takes a message given up out of the store's pending queue.
    pub(super) fn forget_pending(&mut self, m: &LateMessage) {
        if let Some(id) = m.pending {
            if let Err(e) = self.store.remove_pending(id) {
                self.push_error(e);
            }
            self.store_dirty = true;
        }
    }

    /// The queued message with the lowest number in `first..=last`: its
    /// place in the queue and its number. (Numbered messages come first
    /// in the queue, in increasing order.)
    pub(super) fn late_in(&self, first: SeqNum, last: SeqNum) -> Option<(usize, SeqNum)> {
        self.late
            .iter()
            .map_while(|m| m.seq)
            .enumerate()
            .find(|&(_, seq)| seq >= first && seq <= last)
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
                    self.forget_pending(&m);
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
            if let Err(e) = self.commit_new_from(seq, m.pending, now) {
                self.push_error(e);
            }
        }
        self.rearm_late_timer();
    }

    /// Unnumbers the queued messages a store reset dropped the numbers of,
    /// keeping them in the store's pending queue from now on.
    pub(super) fn unnumber_late(&mut self) {
        let mode = self.config.late_delivery_mode;
        for m in &mut self.late {
            if m.seq.take().is_some() && m.pending.is_none() {
                match keep_pending(&mut *self.store, mode, &m.msg, m.queued_at) {
                    Ok(pending) => m.pending = pending,
                    Err(e) => self.events.push_back(QueuedEvent::Error(e.into())),
                }
                self.store_dirty = true;
            }
        }
    }
}

/// Format version of a pending-message record.
const PENDING_FORMAT: u8 = 1;

/// Pushes `msg`, queued at `queued_at`, to the store's pending queue;
/// returns its id, or `None` in resend mode when the store has no such
/// queue (the message then waits in memory only).
fn keep_pending(
    store: &mut (dyn Store + Send),
    mode: LateDeliveryMode,
    msg: &MessageBuilder,
    queued_at: UtcTimestamp,
) -> Result<Option<u64>, StoreError> {
    let mut record = Vec::with_capacity(25 + msg.header().len() + msg.body().len());
    encode_pending(msg, queued_at, &mut record);
    match store.push_pending(&record) {
        Ok(id) => Ok(Some(id)),
        Err(StoreError::Unsupported(_)) if mode == LateDeliveryMode::Resend => Ok(None),
        Err(e) => Err(e),
    }
}

/// A pending-message record: format version, the time it was queued (Unix
/// seconds, nanoseconds), then MsgType, header and body fields, each as a
/// length (u32) and bytes; little-endian.
fn encode_pending(msg: &MessageBuilder, queued_at: UtcTimestamp, out: &mut Vec<u8>) {
    out.push(PENDING_FORMAT);
    out.extend_from_slice(&queued_at.unix_secs().to_le_bytes());
    out.extend_from_slice(&queued_at.subsec_nanos().to_le_bytes());
    for part in [msg.msg_type(), msg.header(), msg.body()] {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(msg.msg_type());
    out.extend_from_slice(msg.header());
    out.extend_from_slice(msg.body());
}

/// Reads a record written by [`encode_pending`].
fn decode_pending(record: &[u8]) -> Option<(UtcTimestamp, MessageBuilder)> {
    let (&format, rest) = record.split_first()?;
    if format != PENDING_FORMAT {
        return None;
    }
    let secs = i64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
    let nanos = u32::from_le_bytes(rest.get(8..12)?.try_into().ok()?);
    if nanos >= 1_000_000_000 {
        return None;
    }
    let len = |i: usize| -> Option<usize> {
        let at = 12 + 4 * i;
        Some(u32::from_le_bytes(rest.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let (t, h, b) = (len(0)?, len(1)?, len(2)?);
    let data = rest.get(24..)?;
    if data.len() != t.checked_add(h)?.checked_add(b)? {
        return None;
    }
    let mut msg = MessageBuilder::new(&data[..t]);
    msg.header_mut().push_raw(&data[t..t + h]);
    msg.push_raw(&data[t + h..]);
    Some((UtcTimestamp::from_unix(secs, nanos), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_records_round_trip_and_refuse_damage() {
        let mut msg = MessageBuilder::new(b"D");
        msg.header_mut().push_str(115, "CLIENT");
        msg.push_str(11, "ORD-1").push_str(55, "EUR/USD");
        let at = UtcTimestamp::from_unix(1_700_000_000, 123_456_789);
        let mut record = Vec::new();
        encode_pending(&msg, at, &mut record);
        let (queued_at, back) = decode_pending(&record).expect("decodes");
        assert_eq!(queued_at, at);
        assert_eq!(back.msg_type(), b"D");
        assert_eq!(back.header(), msg.header());
        assert_eq!(back.body(), msg.body());
        for cut in 0..record.len() {
            assert!(decode_pending(&record[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = record.clone();
        longer.push(b'x');
        assert!(decode_pending(&longer).is_none());
        record[0] = 2;
        assert!(decode_pending(&record).is_none());
    }
}
