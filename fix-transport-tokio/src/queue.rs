//! The bounded queue of commands from a session's handles to its task.
//!
//! A tokio bounded channel gives each slot back as its message is taken:
//! once a fast sender has filled the queue, every message the task takes
//! wakes the sender for one more, a cross-thread wake per message on a
//! multi-thread runtime. Here the task gives the slots of a whole batch
//! back at once, so a waiting sender wakes once per batch and then fills
//! the room without waiting.

use std::sync::Arc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, Semaphore, TryAcquireError};

/// Why a command was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// The queue is full (only from [`CommandSender::try_send_with`]).
    Full,
    /// The session's task has ended.
    Closed,
}

/// A queue of at most `capacity` items not yet taken by the receiver.
pub(crate) fn channel<T>(capacity: usize) -> (CommandSender<T>, CommandReceiver<T>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let room = Arc::new(Semaphore::new(capacity.max(1)));
    (
        CommandSender {
            tx,
            room: room.clone(),
        },
        CommandReceiver { rx, room, taken: 0 },
    )
}

/// The sending side; the queue closes when every sender is dropped.
pub(crate) struct CommandSender<T> {
    tx: mpsc::UnboundedSender<T>,
    /// One permit per free slot.
    room: Arc<Semaphore>,
}

impl<T> Clone for CommandSender<T> {
    fn clone(&self) -> Self {
        CommandSender {
            tx: self.tx.clone(),
            room: self.room.clone(),
        }
    }
}

impl<T> CommandSender<T> {
    /// Waits for room, then queues the item `make` returns (made only
    /// once there is room, so that a waiting or refused sender holds no
    /// copy).
    pub(crate) async fn send_with(&self, make: impl FnOnce() -> T) -> Result<(), QueueError> {
        match self.room.acquire().await {
            // The slot is the receiver's to give back once it takes the
            // item.
            Ok(permit) => permit.forget(),
            Err(_) => return Err(QueueError::Closed),
        }
        self.tx.send(make()).map_err(|_| QueueError::Closed)
    }

    /// [`send_with`](CommandSender::send_with) if there is room now.
    pub(crate) fn try_send_with(&self, make: impl FnOnce() -> T) -> Result<(), QueueError> {
        match self.room.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(TryAcquireError::NoPermits) => return Err(QueueError::Full),
            Err(TryAcquireError::Closed) => return Err(QueueError::Closed),
        }
        self.tx.send(make()).map_err(|_| QueueError::Closed)
    }
}

/// The receiving side, owned by the session's task.
pub(crate) struct CommandReceiver<T> {
    rx: mpsc::UnboundedReceiver<T>,
    room: Arc<Semaphore>,
    /// Items taken whose slots are not given back yet.
    taken: usize,
}

impl<T> CommandReceiver<T> {
    /// The next item; `None` once every sender is gone and the queue is
    /// empty.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        let item = self.rx.recv().await;
        self.taken += usize::from(item.is_some());
        item
    }

    /// The next item if one is queued.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let item = self.rx.try_recv();
        self.taken += usize::from(item.is_ok());
        item
    }

    /// Gives back the slots of the items taken since the last call.
    pub(crate) fn release(&mut self) {
        if self.taken > 0 {
            self.room.add_permits(std::mem::take(&mut self.taken));
        }
    }
}

impl<T> Drop for CommandReceiver<T> {
    /// Senders waiting for room learn that the task has ended.
    fn drop(&mut self) {
        self.room.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_until_the_batch_is_given_back() {
        let (tx, mut rx) = channel::<u32>(2);
        assert_eq!(tx.try_send_with(|| 1), Ok(()));
        assert_eq!(tx.send_with(|| 2).await, Ok(()));
        let refused = || -> u32 { panic!("made without room") };
        assert_eq!(tx.try_send_with(refused), Err(QueueError::Full));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.try_recv().ok(), Some(2));
        // Taken but not given back: still full.
        assert_eq!(tx.try_send_with(refused), Err(QueueError::Full));
        rx.release();
        assert_eq!(tx.try_send_with(|| 3), Ok(()));
        assert_eq!(tx.try_send_with(|| 4), Ok(()));
        assert_eq!(tx.try_send_with(refused), Err(QueueError::Full));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, Some(4));
    }

    #[tokio::test]
    async fn a_waiting_sender_goes_on_when_room_is_given_back() {
        let (tx, mut rx) = channel::<u32>(1);
        assert_eq!(tx.send_with(|| 1).await, Ok(()));
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send_with(|| 2).await.is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        rx.release();
        assert!(waiting.await.unwrap());
        assert_eq!(rx.recv().await, Some(2));
    }

    #[tokio::test]
    async fn senders_learn_that_the_receiver_is_gone() {
        let (tx, rx) = channel::<u32>(1);
        assert_eq!(tx.send_with(|| 1).await, Ok(()));
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send_with(|| 2).await }
        });
        tokio::task::yield_now().await;
        drop(rx);
        assert_eq!(waiting.await.unwrap(), Err(QueueError::Closed));
        assert_eq!(tx.try_send_with(|| 3), Err(QueueError::Closed));
    }

    #[tokio::test]
    async fn the_receiver_ends_when_every_sender_is_gone() {
        let (tx, mut rx) = channel::<u32>(4);
        assert_eq!(tx.send_with(|| 1).await, Ok(()));
        drop(tx);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    }
}
