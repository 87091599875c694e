//! The in-memory index of retained outgoing messages: MsgSeqNum to the
//! segment and offset of its record, ascending in both.

use crate::options::HistoryLimit;
use fixrs_session::SeqNum;
use std::collections::VecDeque;

/// Where one stored message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub seq: SeqNum,
    /// Offset of the record (its header) in the segment file.
    pub offset: u64,
    pub segment: u64,
    /// Message length in bytes.
    pub len: u32,
}

/// Retained messages in ascending MsgSeqNum order, trimmed to the history
/// limit. A `VecDeque` rather than a map: appends and trims reuse its
/// buffer, so saving a message allocates nothing once the store is warm.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageIndex {
    entries: VecDeque<Entry>,
    bytes: u64,
    limit: HistoryLimit,
}

impl MessageIndex {
    pub fn new(limit: HistoryLimit) -> MessageIndex {
        MessageIndex {
            entries: VecDeque::new(),
            bytes: 0,
            limit,
        }
    }

    /// Adds a message. One saved with a MsgSeqNum at or below stored ones
    /// (after the sender MsgSeqNum was moved back) replaces them: the
    /// stored messages from that number on no longer belong to the
    /// sequence.
    pub fn push(&mut self, entry: Entry) {
        while self.entries.back().is_some_and(|b| b.seq >= entry.seq) {
            if let Some(old) = self.entries.pop_back() {
                self.bytes -= u64::from(old.len);
            }
        }
        self.entries.push_back(entry);
        self.bytes += u64::from(entry.len);
        self.enforce_limit();
    }

    fn enforce_limit(&mut self) {
        loop {
            let over_count = self
                .limit
                .max_messages
                .is_some_and(|m| self.entries.len() as u64 > m);
            let over_bytes = self.limit.max_bytes.is_some_and(|m| self.bytes > m);
            if !(over_count || over_bytes) {
                break;
            }
            match self.entries.pop_front() {
                Some(old) => self.bytes -= u64::from(old.len),
                None => break,
            }
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Position of the first entry with MsgSeqNum `>= seq`.
    pub fn lower_bound(&self, seq: SeqNum) -> usize {
        self.entries.partition_point(|e| e.seq < seq)
    }

    pub fn get(&self, i: usize) -> Option<Entry> {
        self.entries.get(i).copied()
    }

    pub fn first(&self) -> Option<Entry> {
        self.entries.front().copied()
    }

    pub fn last(&self) -> Option<Entry> {
        self.entries.back().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(seq: u64) -> Entry {
        Entry {
            seq,
            offset: seq * 100,
            segment: 1,
            len: 10,
        }
    }

    #[test]
    fn limits_trim_the_oldest() {
        let mut ix = MessageIndex::new(HistoryLimit {
            max_messages: Some(3),
            max_bytes: Some(25),
        });
        for s in 1..=5 {
            ix.push(e(s));
        }
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.first().map(|e| e.seq), Some(4));
    }

    #[test]
    fn moving_back_replaces_later_entries() {
        let mut ix = MessageIndex::new(HistoryLimit::UNLIMITED);
        for s in 1..=5 {
            ix.push(e(s));
        }
        ix.push(e(3));
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.last().map(|e| e.seq), Some(3));
        assert_eq!(ix.lower_bound(3), 2);
        assert_eq!(ix.lower_bound(9), 3);
    }
}
