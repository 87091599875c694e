//! How a session's events reach its application: a bounded
//! [`SessionEvents`] stream read by another task, or a [`Handler`] called
//! on the session's own task; [`Sink`] is the session task's side of
//! either.

use crate::core::{Deliver, Responder};
use crate::event::SessionEvent;
use futures_core::Stream;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// The callback form of [`SessionEvents`]: called on the session's task
/// for each event, in order. What it sends through the [`Responder`]
/// goes out before the session acts on the next message it received.
/// It must not block: it runs on the session's task.
pub trait Handler: Send + 'static {
    /// One event of the session.
    fn on_event(&mut self, event: SessionEvent, session: &mut Responder<'_>);
}

impl<F> Handler for F
where
    F: FnMut(SessionEvent, &mut Responder<'_>) + Send + 'static,
{
    fn on_event(&mut self, event: SessionEvent, session: &mut Responder<'_>) {
        self(event, session)
    }
}

/// The events of one session, as a [`Stream`] (or with
/// [`recv`](SessionEvents::recv)). It ends when the session's task ends
/// (after every event is read).
///
/// The stream holds at most its [`capacity`](SessionEvents::capacity)
/// ([`SessionOptions::with_event_capacity`](crate::SessionOptions::with_event_capacity)).
/// While it is full the session stops reading from its peer (the Logon
/// and Logout exchanges are read whatever the stream holds), which is
/// slowed down by TCP as the socket buffers fill, and goes on with
/// everything else: sends from its handles, writing, heartbeats and other
/// timers. The events of the last message read before the stream filled,
/// and those the session produces on its own meanwhile (state changes,
/// errors of sends or timers), wait in the session's task and come out
/// first, in order, as room appears: nothing is dropped or reordered.
///
/// The peer's messages are not read while the stream stays full, and
/// the session does not take that for the peer's silence: no TestRequest
/// goes out and none times out, however long it lasts. A peer that dies
/// meanwhile is noticed only once reading goes on: read steadily, even if
/// slowly.
///
/// Dropping the stream says that the application wants no more events:
/// the session then goes on without them.
#[derive(Debug)]
pub struct SessionEvents {
    rx: mpsc::Receiver<SessionEvent>,
}

impl SessionEvents {
    /// The next event; `None` once the session's task ended.
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        self.rx.recv().await
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        self.rx.try_recv().ok()
    }

    /// How many events are in the stream, ready to read (never more than
    /// [`capacity`](SessionEvents::capacity); events waiting in the
    /// session's task for room are not counted).
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no event is ready to read.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The most events the stream holds
    /// ([`SessionOptions::with_event_capacity`](crate::SessionOptions::with_event_capacity)).
    pub fn capacity(&self) -> usize {
        self.rx.max_capacity()
    }
}

impl Stream for SessionEvents {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        self.rx.poll_recv(cx)
    }
}

/// A bounded stream of events: the session's side and the application's.
pub(crate) fn channel(capacity: usize) -> (Sink, SessionEvents) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let queue = EventQueue {
        tx,
        held: VecDeque::new(),
    };
    (Sink::Channel(queue), SessionEvents { rx })
}

/// The session's side of a [`SessionEvents`] stream. It never waits:
/// what finds the stream full is held, in order, until
/// [`Sink::room`] says there is room again.
pub(crate) struct EventQueue {
    tx: mpsc::Sender<SessionEvent>,
    /// Events that found the stream full (or came after one that did).
    held: VecDeque<SessionEvent>,
}

impl EventQueue {
    fn push(&mut self, event: SessionEvent) {
        if !self.held.is_empty() {
            self.held.push_back(event);
            return;
        }
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(event)) => self.held.push_back(event),
            // A receiver that was dropped no longer wants events.
            Err(TrySendError::Closed(_)) => {}
        }
    }

    /// Moves held events into the stream while it has room.
    fn release(&mut self) {
        while let Some(event) = self.held.pop_front() {
            match self.tx.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.held.push_front(event);
                    return;
                }
                Err(TrySendError::Closed(_)) => {
                    self.held.clear();
                    return;
                }
            }
        }
    }

    fn has_room(&self) -> bool {
        self.tx.is_closed() || (self.held.is_empty() && self.tx.capacity() > 0)
    }

    /// How much room to wait for before going on: a quarter of the
    /// stream (or what is held, if more), so that a slow reader wakes
    /// the session once per batch of events rather than once per event.
    fn resume_at(&self) -> usize {
        let max = self.tx.max_capacity();
        (max / 4).max(self.held.len()).clamp(1, max)
    }
}

/// Where a session's events go.
pub(crate) enum Sink {
    Channel(EventQueue),
    Handler(Box<dyn Handler>),
}

impl Deliver for Sink {
    fn deliver(&mut self, event: SessionEvent, session: &mut Responder<'_>) {
        match self {
            Sink::Channel(queue) => queue.push(event),
            Sink::Handler(h) => h.on_event(event, session),
        }
    }

    /// Always, for a handler or a dropped stream.
    fn has_room(&self) -> bool {
        match self {
            Sink::Channel(queue) => queue.has_room(),
            Sink::Handler(_) => true,
        }
    }
}

impl Sink {
    /// Moves held events into the stream as far as it has room; call it
    /// before delivering new ones.
    pub(crate) fn release(&mut self) {
        if let Sink::Channel(queue) = self {
            queue.release();
        }
    }

    /// Waits until the stream has room for a batch (or its receiver is
    /// gone); never resolves for a handler. Cancel-safe: the room is not
    /// kept, [`Sink::release`] and the next delivery take it.
    pub(crate) fn room(&self) -> impl Future<Output = ()> + Send + '_ {
        // Only the sender is borrowed: the rest of the sink need not be
        // shared with the task's other futures.
        let wait = match self {
            Sink::Channel(queue) => Some((&queue.tx, queue.resume_at())),
            Sink::Handler(_) => None,
        };
        async move {
            match wait {
                // The permits go back at once; only the wait matters.
                Some((tx, n)) => drop(tx.reserve_many(n).await),
                None => std::future::pending().await,
            }
        }
    }

    /// At the end of the session's task: hands the held events over,
    /// waiting for room (the application still holds the stream and will
    /// read them, or drops it).
    pub(crate) async fn finish(&mut self) {
        if let Sink::Channel(queue) = self {
            while let Some(event) = queue.held.pop_front() {
                if queue.tx.send(event).await.is_err() {
                    queue.held.clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: u64) -> SessionEvent {
        SessionEvent::LoggedOut {
            text: Some(n.to_string()),
        }
    }

    fn number(event: Option<SessionEvent>) -> Option<u64> {
        match event {
            Some(SessionEvent::LoggedOut { text: Some(t) }) => t.parse().ok(),
            _ => None,
        }
    }

    fn queue(sink: &mut Sink) -> &mut EventQueue {
        match sink {
            Sink::Channel(q) => q,
            Sink::Handler(_) => unreachable!("a channel sink"),
        }
    }

    #[tokio::test]
    async fn events_past_the_capacity_wait_and_come_out_in_order() {
        let (mut sink, mut events) = channel(2);
        assert!(sink.has_room());
        for n in 0..5 {
            queue(&mut sink).push(numbered(n));
        }
        assert!(!sink.has_room());
        assert_eq!(events.len(), 2);
        assert_eq!(queue(&mut sink).held.len(), 3);
        assert_eq!(number(events.try_recv()), Some(0));
        // Room for one: still not enough to go on with input.
        sink.release();
        assert_eq!(events.len(), 2);
        assert!(!sink.has_room());
        assert_eq!(number(events.try_recv()), Some(1));
        assert_eq!(number(events.try_recv()), Some(2));
        sink.room().await;
        sink.release();
        queue(&mut sink).push(numbered(5));
        assert_eq!(number(events.try_recv()), Some(3));
        assert_eq!(number(events.try_recv()), Some(4));
        sink.release();
        assert!(sink.has_room());
        assert_eq!(number(events.try_recv()), Some(5));
        assert!(events.is_empty());
    }

    #[tokio::test]
    async fn a_dropped_stream_holds_nothing_back() {
        let (mut sink, events) = channel(1);
        queue(&mut sink).push(numbered(0));
        queue(&mut sink).push(numbered(1));
        assert!(!sink.has_room());
        drop(events);
        assert!(sink.has_room());
        sink.release();
        assert!(queue(&mut sink).held.is_empty());
        queue(&mut sink).push(numbered(2));
        assert!(queue(&mut sink).held.is_empty());
        sink.finish().await;
    }
}
