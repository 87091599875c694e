//! Persistence of a session's state: sequence numbers and the log of
//! outgoing messages kept for answering ResendRequests.

use fix_proto::UtcTimestamp;
use std::collections::BTreeMap;

/// A FIX MsgSeqNum(34).
pub type SeqNum = u64;

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
}

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
///   simply not visited and are answered with a SequenceReset-GapFill.
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
}

/// A store in memory: fast, and lost when the process ends.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    next_sender: SeqNum,
    next_target: SeqNum,
    messages: BTreeMap<SeqNum, Vec<u8>>,
    creation_time: UtcTimestamp,
    max_messages: Option<usize>,
}

impl MemoryStore {
    /// An empty store whose sequence began at `now`.
    pub fn new(now: UtcTimestamp) -> MemoryStore {
        MemoryStore {
            next_sender: 1,
            next_target: 1,
            messages: BTreeMap::new(),
            creation_time: now,
            max_messages: None,
        }
    }

    /// Keeps at most `max` outgoing messages; older ones are dropped and
    /// later resent as gap fills.
    pub fn with_max_messages(mut self, max: usize) -> MemoryStore {
        self.max_messages = Some(max);
        self
    }

    /// Number of outgoing messages held.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no outgoing message is held.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
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
        self.messages.insert(seq, message.to_vec());
        if let Some(max) = self.max_messages {
            while self.messages.len() > max {
                self.messages.pop_first();
            }
        }
        self.next_sender = seq + 1;
        Ok(())
    }
    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        if begin <= end {
            for (&seq, msg) in self.messages.range(begin..=end) {
                visit(seq, msg);
            }
        }
        Ok(())
    }
    fn creation_time(&self) -> UtcTimestamp {
        self.creation_time
    }
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        self.next_sender = 1;
        self.next_target = 1;
        self.messages.clear();
        self.creation_time = now;
        Ok(())
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
}
