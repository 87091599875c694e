//! Persistence of a session's state: sequence numbers and the log of
//! outgoing messages kept for answering ResendRequests.

use fixrs_proto::UtcTimestamp;
use std::collections::VecDeque;

pub use fixrs_proto::SeqNum;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The underlying storage failed.
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The stored data is damaged beyond what recovery may drop.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// The store on disk belongs to a different session.
    #[error("store belongs to another session: {0}")]
    WrongSession(String),
    /// The store does not offer this operation (a store written before
    /// pending messages existed).
    #[error("the store does not support {0}")]
    Unsupported(&'static str),
}

/// What a store says for a pending-message operation it does not offer.
const NO_PENDING: StoreError = StoreError::Unsupported("a queue of pending messages");

/// The persistent state of one session.
///
/// Contract with the session state machine:
/// - an outgoing message is saved with [`Store::save_outgoing`] (which also
///   advances the next sender MsgSeqNum) before its bytes are handed out
///   for writing, and [`Store::flush`] is called before bytes leave the
///   session, so a store may batch the writes of several messages;
/// - the next target MsgSeqNum is set after an incoming message was
///   processed;
/// - [`Store::outgoing`] visits stored messages in a range for resends;
///   messages the store no longer has (history limit, never stored) are
///   simply not visited and are answered with a SequenceReset-GapFill;
/// - messages put while the session is not established that wait without
///   a MsgSeqNum (late delivery in queue mode) are kept as *pending*
///   messages, with the same durability as saved ones: pushed with
///   [`Store::push_pending`], visited in order by [`Store::pending`] when
///   the session starts, and taken out with
///   [`Store::save_outgoing_from_pending`] when they are sent (or
///   [`Store::remove_pending`] when they are given up). A reset keeps them.
///   The default methods refuse with [`StoreError::Unsupported`], so a
///   store without them cannot be used in that mode.
pub trait Store {
    /// The MsgSeqNum the next outgoing message will carry.
    fn next_sender_seq_num(&self) -> SeqNum;
    /// The MsgSeqNum expected on the next incoming message.
    fn next_target_seq_num(&self) -> SeqNum;
    /// Sets the next outgoing MsgSeqNum.
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError>;
    /// Sets the next expected incoming MsgSeqNum.
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError>;
    /// Saves an outgoing message sent with MsgSeqNum `seq` and sets the next
    /// sender MsgSeqNum to `seq + 1`.
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError>;
    /// Calls `visit` with each stored outgoing message whose MsgSeqNum is in
    /// `begin..=end`, in ascending order.
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError>;
    /// When this store's current sequence began (set on creation and reset).
    fn creation_time(&self) -> UtcTimestamp;
    /// Resets both sequence numbers to 1, drops the message log and sets
    /// the creation time to `now`.
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError>;
    /// Makes what was saved durable according to the store's policy. Called
    /// by the session before it hands bytes out for writing.
    fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Appends a message to the pending queue (an opaque record the session
    /// encodes) and returns its id, higher than every id before it.
    fn push_pending(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        let _ = record;
        Err(NO_PENDING)
    }
    /// Calls `visit` with each pending message, id and record, in the order
    /// they were pushed.
    fn pending(&mut self, visit: &mut dyn FnMut(u64, &[u8])) -> Result<(), StoreError> {
        let _ = visit;
        Err(NO_PENDING)
    }
    /// Takes the pending message `id` out of the queue (given up).
    fn remove_pending(&mut self, id: u64) -> Result<(), StoreError> {
        let _ = id;
        Err(NO_PENDING)
    }
    /// Saves the outgoing message `seq` made from the pending message `id`
    /// and takes that one out of the queue, as one change: after a crash
    /// either both happened or neither (a durable store must not do them
    /// as two writes). Advances the next sender MsgSeqNum as
    /// [`save_outgoing`](Store::save_outgoing) does.
    fn save_outgoing_from_pending(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), StoreError> {
        let _ = (seq, message, id);
        Err(NO_PENDING)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn next_sender_seq_num(&self) -> SeqNum {
        (**self).next_sender_seq_num()
    }
    fn next_target_seq_num(&self) -> SeqNum {
        (**self).next_target_seq_num()
    }
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        (**self).set_next_sender_seq_num(seq)
    }
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        (**self).set_next_target_seq_num(seq)
    }
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        (**self).save_outgoing(seq, message)
    }
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        (**self).outgoing(begin, end, visit)
    }
    fn creation_time(&self) -> UtcTimestamp {
        (**self).creation_time()
    }
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        (**self).reset(now)
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        (**self).flush()
    }
    fn push_pending(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        (**self).push_pending(record)
    }
    fn pending(&mut self, visit: &mut dyn FnMut(u64, &[u8])) -> Result<(), StoreError> {
        (**self).pending(visit)
    }
    fn remove_pending(&mut self, id: u64) -> Result<(), StoreError> {
        (**self).remove_pending(id)
    }
    fn save_outgoing_from_pending(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), StoreError> {
        (**self).save_outgoing_from_pending(seq, message, id)
    }
}

/// A store in memory: fast, and lost when the process ends.
///
/// Saved messages are kept back to back in one byte log with an index of
/// (MsgSeqNum, position, length), so saving a message copies its bytes and
/// allocates nothing once the log has grown to its working size. With a
/// history limit the oldest messages are dropped from the front of the
/// index and their bytes reclaimed by moving the live part of the log to
/// its start once the dead part is the larger: each byte is moved a bounded
/// number of times on average, and the log stays within about twice the
/// bytes of the messages kept.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    next_sender: SeqNum,
    next_target: SeqNum,
    /// The bytes of the stored messages, in MsgSeqNum order; `log[i]` is
    /// at logical position `log_base + i`.
    log: Vec<u8>,
    /// Logical position of `log[0]` (positions before it were reclaimed).
    log_base: usize,
    /// The stored messages in ascending MsgSeqNum order.
    index: VecDeque<Saved>,
    creation_time: UtcTimestamp,
    max_messages: Option<usize>,
    /// Pending messages (id, record), oldest first.
    pending: VecDeque<(u64, Vec<u8>)>,
    next_pending_id: u64,
}

/// One stored message: its MsgSeqNum and the logical position and length
/// of its bytes in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Saved {
    seq: SeqNum,
    at: usize,
    len: usize,
}

/// Dead bytes at the front of the log below which it is never compacted
/// (moving a few bytes often is not worth it).
const MIN_RECLAIM: usize = 64 * 1024;

impl MemoryStore {
    /// An empty store whose sequence began at `now`.
    pub fn new(now: UtcTimestamp) -> MemoryStore {
        MemoryStore {
            next_sender: 1,
            next_target: 1,
            log: Vec::new(),
            log_base: 0,
            index: VecDeque::new(),
            creation_time: now,
            max_messages: None,
            pending: VecDeque::new(),
            next_pending_id: 1,
        }
    }

    /// Keeps at most `max` outgoing messages; older ones are dropped and
    /// later resent as gap fills.
    pub fn with_max_messages(mut self, max: usize) -> MemoryStore {
        self.max_messages = Some(max);
        self.trim();
        self
    }

    /// Number of outgoing messages held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no outgoing message is held.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The bytes of a stored message.
    fn bytes(&self, saved: &Saved) -> &[u8] {
        let start = saved.at - self.log_base;
        &self.log[start..start + saved.len]
    }

    /// Saves `message` as `seq` where the index is not simply extended (a
    /// MsgSeqNum saved again, or lower than the last one saved): the log is
    /// rebuilt in MsgSeqNum order. Sessions never do this in normal running.
    fn save_out_of_order(&mut self, seq: SeqNum, message: &[u8]) {
        let mut entries: Vec<(SeqNum, &[u8])> = self
            .index
            .iter()
            .filter(|s| s.seq != seq)
            .map(|s| (s.seq, self.bytes(s)))
            .collect();
        let pos = entries.partition_point(|&(s, _)| s < seq);
        entries.insert(pos, (seq, message));
        let mut log = Vec::with_capacity(entries.iter().map(|(_, m)| m.len()).sum());
        let mut index = VecDeque::with_capacity(entries.len());
        for (seq, bytes) in entries {
            index.push_back(Saved {
                seq,
                at: log.len(),
                len: bytes.len(),
            });
            log.extend_from_slice(bytes);
        }
        self.log = log;
        self.log_base = 0;
        self.index = index;
    }

    /// Drops the oldest messages beyond the history limit and reclaims the
    /// log space they held once it is worth it.
    fn trim(&mut self) {
        let Some(max) = self.max_messages else {
            return;
        };
        while self.index.len() > max {
            self.index.pop_front();
        }
        let live_from = self
            .index
            .front()
            .map_or(self.log_base + self.log.len(), |s| s.at);
        let dead = live_from - self.log_base;
        if dead >= MIN_RECLAIM && dead >= self.log.len() - dead {
            self.log.drain(..dead);
            self.log_base = live_from;
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(UtcTimestamp::UNIX_EPOCH)
    }
}

impl Store for MemoryStore {
    fn next_sender_seq_num(&self) -> SeqNum {
        self.next_sender
    }
    fn next_target_seq_num(&self) -> SeqNum {
        self.next_target
    }
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.next_sender = seq;
        Ok(())
    }
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.next_target = seq;
        Ok(())
    }
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        if self.index.back().is_none_or(|last| last.seq < seq) {
            self.index.push_back(Saved {
                seq,
                at: self.log_base + self.log.len(),
                len: message.len(),
            });
            self.log.extend_from_slice(message);
        } else {
            self.save_out_of_order(seq, message);
        }
        self.trim();
        self.next_sender = seq + 1;
        Ok(())
    }
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        let from = self.index.partition_point(|s| s.seq < begin);
        for saved in self.index.range(from..) {
            if saved.seq > end {
                break;
            }
            visit(saved.seq, self.bytes(saved));
        }
        Ok(())
    }
    fn creation_time(&self) -> UtcTimestamp {
        self.creation_time
    }
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        self.next_sender = 1;
        self.next_target = 1;
        self.log.clear();
        self.log_base = 0;
        self.index.clear();
        self.creation_time = now;
        Ok(())
    }
    fn push_pending(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        let id = self.next_pending_id;
        self.next_pending_id += 1;
        self.pending.push_back((id, record.to_vec()));
        Ok(id)
    }
    fn pending(&mut self, visit: &mut dyn FnMut(u64, &[u8])) -> Result<(), StoreError> {
        for (id, record) in &self.pending {
            visit(*id, record);
        }
        Ok(())
    }
    fn remove_pending(&mut self, id: u64) -> Result<(), StoreError> {
        self.pending.retain(|(x, _)| *x != id);
        Ok(())
    }
    fn save_outgoing_from_pending(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), StoreError> {
        self.save_outgoing(seq, message)?;
        self.remove_pending(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_saves_visits_and_resets() {
        let mut s = MemoryStore::default().with_max_messages(2);
        s.save_outgoing(1, b"one").unwrap();
        s.save_outgoing(2, b"two").unwrap();
        s.save_outgoing(3, b"three").unwrap();
        assert_eq!(s.next_sender_seq_num(), 4);
        let mut seen = Vec::new();
        s.outgoing(1, 10, &mut |n, m| seen.push((n, m.to_vec())))
            .unwrap();
        assert_eq!(seen, vec![(2, b"two".to_vec()), (3, b"three".to_vec())]);
        s.set_next_target_seq_num(7).unwrap();
        s.reset(UtcTimestamp::from_unix(5, 0)).unwrap();
        assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (1, 1));
        assert!(s.is_empty());
        assert_eq!(s.creation_time().unix_secs(), 5);
    }

    fn stored(s: &mut MemoryStore, begin: SeqNum, end: SeqNum) -> Vec<(SeqNum, Vec<u8>)> {
        let mut seen = Vec::new();
        s.outgoing(begin, end, &mut |n, m| seen.push((n, m.to_vec())))
            .unwrap();
        seen
    }

    fn message(seq: SeqNum) -> Vec<u8> {
        // Sizes vary so that positions in the log do not line up.
        format!("msg-{seq}-{}", "x".repeat((seq % 97) as usize)).into_bytes()
    }

    #[test]
    fn memory_store_history_limit_reclaims_the_log() {
        let max = 1000;
        let mut s = MemoryStore::default().with_max_messages(max);
        for seq in 1..=50_000 {
            s.save_outgoing(seq, &message(seq)).unwrap();
        }
        assert_eq!(s.len(), max);
        let kept = stored(&mut s, 1, 50_000);
        assert_eq!(kept.len(), max);
        for (i, (seq, bytes)) in kept.iter().enumerate() {
            assert_eq!(*seq, 49_001 + i as SeqNum);
            assert_eq!(*bytes, message(*seq));
        }
        // The log holds about the kept messages, not all ever saved.
        let live: usize = kept.iter().map(|(_, m)| m.len()).sum();
        assert!(
            s.log.len() <= 2 * live + MIN_RECLAIM,
            "log {} live {live}",
            s.log.len()
        );
        assert_eq!(stored(&mut s, 49_500, 49_502).len(), 3);
        assert!(stored(&mut s, 10, 20).is_empty());
        assert!(stored(&mut s, 20, 10).is_empty());
    }

    #[test]
    fn memory_store_takes_sequence_numbers_saved_again_or_out_of_order() {
        let mut s = MemoryStore::default();
        for seq in [1, 2, 3, 5] {
            s.save_outgoing(seq, &message(seq)).unwrap();
        }
        // Saved again: replaced. Lower than the last: put in its place.
        s.save_outgoing(2, b"two again").unwrap();
        s.save_outgoing(4, b"four").unwrap();
        assert_eq!(s.next_sender_seq_num(), 5);
        assert_eq!(
            stored(&mut s, 1, 10),
            vec![
                (1, message(1)),
                (2, b"two again".to_vec()),
                (3, message(3)),
                (4, b"four".to_vec()),
                (5, message(5)),
            ]
        );
        // Appending goes on from there.
        s.save_outgoing(6, b"six").unwrap();
        assert_eq!(
            stored(&mut s, 5, 6),
            vec![(5, message(5)), (6, b"six".to_vec())]
        );
        let mut none = MemoryStore::default().with_max_messages(0);
        none.save_outgoing(1, b"one").unwrap();
        assert!(none.is_empty());
        assert_eq!(none.next_sender_seq_num(), 2);
    }

    fn pending(s: &mut MemoryStore) -> Vec<(u64, Vec<u8>)> {
        let mut seen = Vec::new();
        s.pending(&mut |id, r| seen.push((id, r.to_vec()))).unwrap();
        seen
    }

    #[test]
    fn memory_store_keeps_pending_messages_across_resets_until_taken() {
        let mut s = MemoryStore::default();
        let a = s.push_pending(b"a").unwrap();
        let b = s.push_pending(b"b").unwrap();
        let c = s.push_pending(b"c").unwrap();
        assert!(a < b && b < c);
        s.reset(UtcTimestamp::from_unix(5, 0)).unwrap();
        assert_eq!(pending(&mut s).len(), 3);
        s.remove_pending(b).unwrap();
        s.save_outgoing_from_pending(1, b"one", a).unwrap();
        assert_eq!(pending(&mut s), vec![(c, b"c".to_vec())]);
        assert_eq!(stored(&mut s, 1, 1), vec![(1, b"one".to_vec())]);
        assert_eq!(s.next_sender_seq_num(), 2);
        // Ids are never reused.
        assert!(s.push_pending(b"d").unwrap() > c);
    }
}
