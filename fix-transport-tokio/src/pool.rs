//! Message buffers handed back and forth between a session's handles and
//! its task, so that [`SessionHandle::send`](crate::SessionHandle::send)
//! copies a message without allocating once the session is warm.
//!
//! A copy made on one thread and dropped on another is the costly case of
//! most allocators (the freed memory goes to the dropping thread's cache
//! while the sending thread keeps asking for fresh memory): in a flood
//! from one task to a session on another worker thread it cost more than
//! the session's own work. The task gives its spent buffers back after
//! each batch of commands; senders take one per copy.

use fixrs_proto::{FieldWriter, MessageBuilder};
use std::sync::Mutex;

/// Buffers the pool keeps at most: one batch of commands' worth.
const KEEP: usize = 256;

/// A spent buffer holding more than this many bytes is freed, not kept,
/// so that one large message does not pin its memory for the session's
/// life.
const KEEP_BYTES: usize = 4 << 10;

/// Spare [`MessageBuilder`]s shared by a session's handles and its task.
#[derive(Debug, Default)]
pub(crate) struct BuilderPool {
    spare: Mutex<Vec<MessageBuilder>>,
}

impl BuilderPool {
    /// A copy of `message`, in a spare buffer if one is at hand. Never
    /// waits: when the task is giving buffers back at that moment, the
    /// copy allocates.
    pub(crate) fn copy(&self, message: &MessageBuilder) -> MessageBuilder {
        let spare = self.spare.try_lock().ok().and_then(|mut s| s.pop());
        let Some(mut copy) = spare else {
            return message.clone();
        };
        copy.reset(message.msg_type());
        copy.header_mut()
            .field_buf()
            .extend_from_slice(message.header());
        copy.field_buf().extend_from_slice(message.body());
        copy
    }

    /// Takes back the buffers in `spent` (which is left empty), up to the
    /// pool's bound.
    pub(crate) fn give_back(&self, spent: &mut Vec<MessageBuilder>) {
        if spent.is_empty() {
            return;
        }
        if let Ok(mut spare) = self.spare.lock() {
            let room = KEEP.saturating_sub(spare.len());
            spare.extend(
                spent
                    .drain(..)
                    .filter(|m| m.header().len() + m.body().len() <= KEEP_BYTES)
                    .take(room),
            );
        }
        spent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> MessageBuilder {
        let mut m = MessageBuilder::new(b"D");
        m.header_mut().push_str(128, "DESK");
        m.push_str(11, id).push_char(54, b'1');
        m
    }

    #[test]
    fn a_copy_from_a_spare_buffer_equals_the_message() {
        let pool = BuilderPool::default();
        let mut spent = vec![
            order("A-LONGER-ID-THAN-THE-NEXT"),
            MessageBuilder::new(b"AE"),
        ];
        pool.give_back(&mut spent);
        assert!(spent.is_empty());
        let mut news = MessageBuilder::new(b"B");
        news.push_str(148, "headline");
        // Both spare buffers are used, each with other contents before.
        assert_eq!(pool.copy(&order("B")), order("B"));
        assert_eq!(pool.copy(&news), news);
        assert!(pool.spare.lock().unwrap().is_empty());
        // An empty pool copies by allocating.
        assert_eq!(pool.copy(&news), news);
    }

    #[test]
    fn large_buffers_and_buffers_beyond_the_bound_are_freed() {
        let pool = BuilderPool::default();
        let mut large = MessageBuilder::new(b"D");
        large.push_str(58, &"x".repeat(KEEP_BYTES));
        let mut spent = vec![large];
        spent.extend((0..KEEP + 10).map(|_| order("A")));
        pool.give_back(&mut spent);
        let spare = pool.spare.lock().unwrap();
        assert_eq!(spare.len(), KEEP);
        assert!(spare.iter().all(|m| m.body().len() <= KEEP_BYTES));
    }
}
