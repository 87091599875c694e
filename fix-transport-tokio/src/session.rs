//! One session as one tokio task, and the [`SessionHandle`] other tasks
//! use to talk to it.
//!
//! The task owns the session, its link and its timer. Each turn of its
//! loop drives the session until idle ([`Core::drive`]), then waits for
//! whichever comes first: bytes from the link, room to write, a finished
//! connect attempt, a command from a handle, or the session's deadline.

use crate::connect::{Connected, Connecting, Connector};
use crate::core::{Core, Deliver, LinkRequests};
use crate::delivery::Sink;
use crate::error::{Error, TrySendError};
use crate::event::SessionEvent;
use crate::link::{Reader, Stream, Writer};
use crate::pool::BuilderPool;
use crate::queue::{self, CommandReceiver, CommandSender, QueueError};
use fixrs_proto::MessageBuilder;
use fixrs_session::{Now, SessionKey, SessionState};
use fixrs_transport_tls::PeerCertificate;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// Bytes read from the link per read call.
const READ_SIZE: usize = 64 << 10;

/// Buffer memory a session keeps once a link is gone.
const KEEP_AFTER_LINK: usize = 64 << 10;

/// Most commands taken from the queue per wake of the task: a burst of
/// sends costs one wake and one write instead of one each. The outgoing
/// bound ends a batch earlier.
const COMMAND_BATCH: usize = 256;

/// What a handle asks of the session's task.
pub(crate) enum Command {
    /// A message to send; `pooled` when the buffer is the session's own
    /// copy, to be given back to the pool once sent.
    Send {
        msg: MessageBuilder,
        pooled: bool,
    },
    Logout(Option<String>),
    Disconnect,
    Connect,
    ResetSeqNumLocal,
    ResetSeqNumAndSendLogon,
    DiscardQueued,
    /// An acceptor's connection, routed to this session, with the bytes
    /// read from it so far (its Logon first).
    Attach {
        stream: Stream,
        peer: String,
        certificate: Option<Arc<PeerCertificate>>,
        first: Vec<u8>,
    },
}

/// What other tasks can see of a session without asking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status {
    state: SessionState,
    next_sender: u64,
    next_target: u64,
}

/// A handle to a running session, cheap to clone and usable from any
/// task. When the last handle is dropped (and, for an acceptor session,
/// its [`Acceptor`](crate::Acceptor) too), the session logs out and its
/// task ends.
#[derive(Clone)]
pub struct SessionHandle {
    commands: CommandSender<Command>,
    status: watch::Receiver<Status>,
    key: Arc<SessionKey>,
    pool: Arc<BuilderPool>,
    /// The task's unwritten bytes, as of its last turn.
    unsent: Arc<AtomicUsize>,
    max_outgoing_bytes: usize,
    /// The certificate of the current link's peer, kept by the task.
    peer_certificate: PeerCertificateSlot,
}

/// Where the task keeps the certificate of its link's peer for the
/// handles.
type PeerCertificateSlot = Arc<Mutex<Option<Arc<PeerCertificate>>>>;

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("key", &self.key)
            .field("status", &*self.status.borrow())
            .finish()
    }
}

impl SessionHandle {
    /// The session's identity.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// The session's state, as of its task's last turn.
    pub fn state(&self) -> SessionState {
        self.status.borrow().state
    }

    /// The next MsgSeqNum(34) the session sends.
    pub fn next_sender_seq_num(&self) -> u64 {
        self.status.borrow().next_sender
    }

    /// The next MsgSeqNum(34) the session expects.
    pub fn next_target_seq_num(&self) -> u64 {
        self.status.borrow().next_target
    }

    /// Bytes the session has encoded for its link and not yet written to
    /// it, as of its task's last turn (messages still in the queue are not
    /// counted: they are not encoded yet). The task takes no more messages
    /// and reads nothing more from the peer while this is at
    /// [`max_outgoing_bytes`](SessionHandle::max_outgoing_bytes) or over,
    /// so it stays under that bound plus the output of one message (one
    /// resend, for a ResendRequest).
    pub fn unsent_bytes(&self) -> usize {
        self.unsent.load(Ordering::Relaxed)
    }

    /// The session's MaxOutgoingBytes
    /// ([`SessionOptions::with_max_outgoing_bytes`](crate::SessionOptions::with_max_outgoing_bytes)).
    pub fn max_outgoing_bytes(&self) -> usize {
        self.max_outgoing_bytes
    }

    /// The certificate the peer of the current link presented in the TLS
    /// handshake: the client's certificate for an acceptor that asks for
    /// one (mutual TLS), the server's for an initiator. `None` for a plain
    /// TCP or custom link, a TLS peer that presented none, and while no
    /// link is up. It is the certificate an acceptor's logon check saw in
    /// [`LogonRequest::peer_certificate`](crate::LogonRequest::peer_certificate),
    /// for an application that maps peers to permissions after logon.
    pub fn peer_certificate(&self) -> Option<Arc<PeerCertificate>> {
        lock(&self.peer_certificate).clone()
    }

    /// Sends an application message. Waits while the session's outgoing
    /// bound is reached (backpressure). Before logon the session keeps it
    /// for late delivery, as its configuration says; what the session
    /// refuses is reported as an event ([`SessionEvent::Error`] or
    /// [`SessionEvent::Undelivered`]).
    ///
    /// The message is copied for the session's task, into a buffer the
    /// task gave back after sending an earlier one: steady sending does
    /// not allocate a copy per message.
    pub async fn send(&self, message: &MessageBuilder) -> Result<(), Error> {
        self.commands
            .send_with(|| Command::Send {
                msg: self.pool.copy(message),
                pooled: true,
            })
            .await
            .map_err(|_| Error::Closed)
    }

    /// [`send`](SessionHandle::send) for a message the caller no longer
    /// needs: it goes to the session's task as it is, without a copy.
    pub async fn send_owned(&self, message: MessageBuilder) -> Result<(), Error> {
        self.command(Command::Send {
            msg: message,
            pooled: false,
        })
        .await
    }

    /// Sends an application message if the session can take it at once.
    pub fn try_send(&self, message: &MessageBuilder) -> Result<(), TrySendError> {
        self.commands
            .try_send_with(|| Command::Send {
                msg: self.pool.copy(message),
                pooled: true,
            })
            .map_err(|e| match e {
                QueueError::Full => TrySendError::Full,
                QueueError::Closed => TrySendError::Closed,
            })
    }

    /// Logs out gracefully (Logout with Text(58) if given) and stays
    /// logged out until [`connect`](SessionHandle::connect).
    pub async fn logout(&self, text: Option<&str>) -> Result<(), Error> {
        self.command(Command::Logout(text.map(str::to_string)))
            .await
    }

    /// Drops the link without Logout; no reconnect.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.command(Command::Disconnect).await
    }

    /// Starts the session again after a logout or disconnect (an
    /// initiator connects; an acceptor takes Logons again).
    pub async fn connect(&self) -> Result<(), Error> {
        self.command(Command::Connect).await
    }

    /// Resets both sequence numbers to 1 locally, without telling the
    /// peer (for a session that is not logged on).
    pub async fn reset_seq_num_local(&self) -> Result<(), Error> {
        self.command(Command::ResetSeqNumLocal).await
    }

    /// Resets sequence numbers on both sides with a Logon carrying
    /// ResetSeqNumFlag(141)=Y (now if established, else at the next Logon).
    pub async fn reset_seq_num_and_send_logon(&self) -> Result<(), Error> {
        self.command(Command::ResetSeqNumAndSendLogon).await
    }

    /// Gives up the messages kept for late delivery (each reported as
    /// [`SessionEvent::Undelivered`]).
    pub async fn discard_queued(&self) -> Result<(), Error> {
        self.command(Command::DiscardQueued).await
    }

    /// Waits until the session is in `state`; [`Error::Closed`] if its task
    /// ends first.
    pub async fn wait_for_state(&self, state: SessionState) -> Result<(), Error> {
        let mut status = self.status.clone();
        status
            .wait_for(|s| s.state == state)
            .await
            .map(|_| ())
            .map_err(|_| Error::Closed)
    }

    /// Waits until the session's task has ended.
    pub async fn closed(&self) {
        let mut status = self.status.clone();
        while status.changed().await.is_ok() {}
    }

    /// The session's command queue.
    pub(crate) fn commands(&self) -> CommandSender<Command> {
        self.commands.clone()
    }

    async fn command(&self, command: Command) -> Result<(), Error> {
        self.commands
            .send_with(|| command)
            .await
            .map_err(|_| Error::Closed)
    }
}

/// The parts of a new session's task, before it is spawned.
pub(crate) struct Spawn {
    pub(crate) core: Core,
    pub(crate) sink: Sink,
    pub(crate) connector: Option<Connector>,
    pub(crate) max_outgoing_bytes: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) close_timeout: Duration,
    /// Told when an accepted link ends (the acceptor's router).
    pub(crate) on_link_down: Option<Box<dyn FnMut() + Send>>,
}

impl Spawn {
    /// Spawns the session's task; returns its handle and its command
    /// sender.
    pub(crate) fn spawn(self) -> SessionHandle {
        let (tx, rx) = queue::channel(self.queue_capacity);
        let (next_sender, next_target) = self.core.seq_nums();
        let (status_tx, status_rx) = watch::channel(Status {
            state: self.core.state(),
            next_sender,
            next_target,
        });
        let key = Arc::new(self.core.key());
        let pool = Arc::new(BuilderPool::default());
        let unsent = Arc::new(AtomicUsize::new(0));
        let peer_certificate = PeerCertificateSlot::default();
        let task = Task {
            peer_certificate: peer_certificate.clone(),
            pool: pool.clone(),
            unsent: unsent.clone(),
            spent: Vec::new(),
            core: self.core,
            sink: self.sink,
            commands: rx,
            status: status_tx,
            connector: self.connector,
            max_outgoing_bytes: self.max_outgoing_bytes,
            close_timeout: self.close_timeout,
            on_link_down: self.on_link_down,
            link: None,
            out: Vec::new(),
            closing: None,
            flush_pending: false,
        };
        tokio::spawn(task.run());
        SessionHandle {
            commands: tx,
            status: status_rx,
            key,
            pool,
            unsent,
            max_outgoing_bytes: self.max_outgoing_bytes,
            peer_certificate,
        }
    }
}

/// A link in use.
struct Link {
    reader: Reader,
    writer: Writer,
    peer: String,
}

/// What woke the task.
enum Wake {
    Read(io::Result<usize>),
    Wrote(io::Result<usize>),
    Flushed(io::Result<()>),
    Connected(Result<Connected, Error>),
    Command(Option<Command>),
    /// The application made room in its event stream.
    EventRoom,
    Timeout,
    CloseTimeout,
}

/// What the task's loop keeps from one turn to the next.
struct Turn {
    /// Where the link is read into.
    buf: Vec<u8>,
    /// An initiator's connect attempt under way.
    connecting: Option<Connecting>,
    /// Whether any handle may still send commands.
    handles_open: bool,
    /// The deadline the timer is set for.
    armed: Option<std::time::Instant>,
}

/// What [`Task::settle`] found.
enum Settled {
    /// Something changed: drive the session again.
    Again,
    /// Nothing is left to do: the task ends.
    End,
    /// Wait for the next wake.
    Wait,
}

struct Task {
    core: Core,
    sink: Sink,
    commands: CommandReceiver<Command>,
    status: watch::Sender<Status>,
    connector: Option<Connector>,
    max_outgoing_bytes: usize,
    close_timeout: Duration,
    on_link_down: Option<Box<dyn FnMut() + Send>>,
    link: Option<Link>,
    /// Bytes the session handed out, not yet written.
    out: Vec<u8>,
    /// `out`'s length for the handles, stored after each drive.
    unsent: Arc<AtomicUsize>,
    /// The session asked to close the link: when to drop it even if its
    /// last bytes are not written.
    closing: Option<Instant>,
    /// Bytes were written and not yet flushed (TLS buffers records).
    flush_pending: bool,
    /// Where the copies of sent messages go back to.
    pool: Arc<BuilderPool>,
    /// Copies sent in the current batch of commands, for the pool.
    spent: Vec<MessageBuilder>,
    /// The certificate of the link's peer, for the handles.
    peer_certificate: PeerCertificateSlot,
}

impl Task {
    async fn run(mut self) {
        self.turns().await;
        // The session is over: its handles learn it now (its status and
        // command queue go), while events held for room still reach a
        // stream the application keeps, in order.
        let idle = |_: SessionEvent, _: &mut crate::core::Responder<'_>| {};
        let mut sink = std::mem::replace(&mut self.sink, Sink::Handler(Box::new(idle)));
        drop(self);
        sink.finish().await;
    }

    /// The task's loop, until the session is over.
    async fn turns(&mut self) {
        // An initiator connects; an acceptor waits for its first link.
        self.core.connect();
        let mut turn = Turn {
            buf: vec![0u8; READ_SIZE],
            connecting: None,
            handles_open: true,
            armed: None,
        };
        let timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(timer);
        loop {
            match self.settle(&mut turn).await {
                Settled::Again => continue,
                Settled::End => break,
                Settled::Wait => {}
            }
            let deadline = self.core.deadline();
            if deadline != turn.armed {
                turn.armed = deadline;
                if let Some(at) = deadline {
                    timer.as_mut().reset(Instant::from_std(at));
                }
            }
            if self.held_input_may_go_on() {
                // The application made room after the drive stopped for
                // want of it: nothing else would wake the task for the
                // input it holds.
                continue;
            }
            let wake = self.wait(&mut turn, timer.as_mut()).await;
            self.on_wake(wake, &mut turn).await;
        }
    }

    /// Drives the session and acts on what it asks of the link: opens a
    /// connection, starts closing, closes once the last bytes are out, or
    /// ends the task once nothing is left to do.
    async fn settle(&mut self, turn: &mut Turn) -> Settled {
        let requests = self.drive();
        if requests.open {
            match &mut self.connector {
                Some(c) => turn.connecting = Some(c.connect()),
                None => {
                    // An acceptor never asks to open a link; fail the
                    // request as a connect would.
                    self.core.link_down();
                    return Settled::Again;
                }
            }
        }
        if requests.close {
            turn.connecting = None;
            if self.link.is_some() && self.closing.is_none() {
                self.closing = Some(Instant::now() + self.close_timeout);
            }
        }
        if self.closing.is_some() && self.out.is_empty() && !self.flush_pending {
            self.close_link().await;
            return Settled::Again;
        }
        let state = self.core.state();
        if !turn.handles_open
            && self.link.is_none()
            && turn.connecting.is_none()
            && (state.is_terminated() || state == SessionState::Initial)
        {
            return Settled::End;
        }
        Settled::Wait
    }

    /// Whether the application's event stream is full, so that what the
    /// peer sends waits; the Logon and Logout exchanges are read all the
    /// same (see
    /// `SessionState::is_exchanging_logon_or_logout`).
    fn events_full(&self) -> bool {
        !self.sink.has_room() && !self.core.state().is_exchanging_logon_or_logout()
    }

    /// Whether the session holds received input it may now go on with:
    /// the event stream has room again and the outgoing bytes are under
    /// their bound.
    fn held_input_may_go_on(&self) -> bool {
        !self.events_full()
            && self.core.has_pending_input()
            && self.out.len() < self.max_outgoing_bytes
    }

    /// Waits for whichever comes first: bytes from the link, room to
    /// write, a finished connect, a command, room in the event stream,
    /// the session's deadline or the close timeout.
    ///
    /// Backpressure on the peer: while what we owe it is over the bound,
    /// or the application's event stream is full, what it sent stays
    /// unread (a read's worth of messages waits in the session; the rest
    /// in the socket).
    async fn wait(&mut self, turn: &mut Turn, timer: Pin<&mut Sleep>) -> Wake {
        let events_full = self.events_full();
        let over_bound = self.out.len() >= self.max_outgoing_bytes;
        let input_held = self.core.has_pending_input() || over_bound || events_full;
        let can_read = self.link.is_some() && self.closing.is_none() && !input_held;
        let can_write = self.link.is_some() && !self.out.is_empty();
        let can_flush = self.link.is_some() && self.out.is_empty() && self.flush_pending;
        let take_commands = turn.handles_open && !over_bound;
        let closing_at = self.closing.unwrap_or_else(Instant::now);
        let (reader, writer) = match &mut self.link {
            Some(l) => (Some(&mut l.reader), Some(&mut l.writer)),
            None => (None, None),
        };
        let out = &self.out;
        let buf = &mut turn.buf;
        let connecting = &mut turn.connecting;
        tokio::select! {
            r = async { reader.expect("link").read(buf).await }, if can_read => Wake::Read(r),
            w = async {
                let writer = writer.expect("link");
                if out.is_empty() {
                    Wake::Flushed(writer.flush().await)
                } else {
                    Wake::Wrote(writer.write(out).await)
                }
            }, if can_write || can_flush => w,
            c = async { connecting.as_mut().expect("connecting").await }, if connecting.is_some() => Wake::Connected(c),
            c = self.commands.recv(), if take_commands => Wake::Command(c),
            // Never a wait on the stream itself: commands, writes and
            // timers go on while the application is not reading.
            _ = self.sink.room(), if events_full => Wake::EventRoom,
            _ = timer, if turn.armed.is_some() => Wake::Timeout,
            _ = tokio::time::sleep_until(closing_at), if self.closing.is_some() => Wake::CloseTimeout,
        }
    }

    /// Acts on what woke the task.
    async fn on_wake(&mut self, wake: Wake, turn: &mut Turn) {
        match wake {
            Wake::Read(Ok(0)) => self.link_lost(None),
            Wake::Read(Ok(n)) => self.core.input(&turn.buf[..n]),
            Wake::Read(Err(e)) | Wake::Wrote(Err(e)) | Wake::Flushed(Err(e)) => {
                self.link_lost(Some(e))
            }
            Wake::Wrote(Ok(n)) => {
                self.out.drain(..n);
                self.flush_pending = self.link.as_ref().is_some_and(|l| l.writer.buffers());
            }
            Wake::Flushed(Ok(())) => self.flush_pending = false,
            Wake::Connected(result) => {
                turn.connecting = None;
                match result {
                    Ok(c) => self.link_up(c.stream, c.peer, c.certificate),
                    Err(e) => {
                        self.report(e);
                        self.core.link_down();
                    }
                }
            }
            Wake::Command(Some(c)) => {
                let now = crate::core::now();
                self.command(c, now);
                let open = self.more_commands(now);
                self.commands.release();
                self.pool.give_back(&mut self.spent);
                if !open {
                    turn.handles_open = false;
                    self.core.logout(None);
                }
            }
            Wake::Command(None) => {
                // Every handle is gone: log out and end.
                turn.handles_open = false;
                self.core.logout(None);
            }
            // The next drive hands the held events over and goes on with
            // the input.
            Wake::EventRoom => {}
            Wake::Timeout => {
                turn.armed = None;
                self.core.timeout();
            }
            Wake::CloseTimeout => {
                log::debug!(
                    "session {}: link closed with {} bytes unwritten",
                    self.core.key(),
                    self.out.len()
                );
                self.out.clear();
                self.flush_pending = false;
                self.close_link().await;
            }
        }
    }

    /// Drives the session until idle (received messages wait while its
    /// unwritten bytes are over the bound) and publishes its status.
    fn drive(&mut self) -> LinkRequests {
        // Events held for room go before any new one.
        self.sink.release();
        let requests = self
            .core
            .drive(&mut self.out, self.max_outgoing_bytes, &mut self.sink);
        // A full event stream stops reading (see `wait`): the peer's
        // Heartbeats go unseen, through no fault of the peer.
        self.core.set_reading_paused(self.events_full());
        self.unsent.store(self.out.len(), Ordering::Relaxed);
        let (next_sender, next_target) = self.core.seq_nums();
        let status = Status {
            state: self.core.state(),
            next_sender,
            next_target,
        };
        self.status.send_if_modified(|s| {
            let changed = *s != status;
            *s = status;
            changed
        });
        requests
    }

    /// Takes what else is queued, up to a batch and while the unwritten
    /// bytes are under the bound, without waiting; false when every handle
    /// is gone. What is not taken stays queued, in order.
    fn more_commands(&mut self, now: Now) -> bool {
        for _ in 1..COMMAND_BATCH {
            if self.out.len() + self.core.unsent_len() >= self.max_outgoing_bytes {
                break;
            }
            match self.commands.try_recv() {
                Ok(c) => self.command(c, now),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        true
    }

    /// Acts on a command; sends take `now`, read once for the batch.
    fn command(&mut self, command: Command, now: Now) {
        match command {
            Command::Send { msg, pooled } => {
                if let Err(e) = self.core.send_at(&msg, now) {
                    self.report(Error::Send(e));
                }
                if pooled {
                    self.spent.push(msg);
                }
            }
            Command::Logout(text) => self.core.logout(text.as_deref()),
            Command::Disconnect => self.core.disconnect(),
            Command::Connect => self.core.connect(),
            Command::ResetSeqNumLocal => self.core.reset_seq_num_local(),
            Command::ResetSeqNumAndSendLogon => self.core.reset_seq_num_and_send_logon(),
            Command::DiscardQueued => self.core.discard_queued(),
            Command::Attach {
                stream,
                peer,
                certificate,
                first,
            } => {
                if self.link.is_some() {
                    // The router lets one connection per session through;
                    // a second is dropped unread.
                    log::warn!(
                        "session {}: second link from {peer} dropped",
                        self.core.key()
                    );
                    return;
                }
                self.link_up(stream, peer, certificate);
                self.core.input(&first);
            }
        }
    }

    fn link_up(&mut self, stream: Stream, peer: String, certificate: Option<Arc<PeerCertificate>>) {
        *lock(&self.peer_certificate) = certificate;
        let (reader, writer) = stream.split();
        self.link = Some(Link {
            reader,
            writer,
            peer,
        });
        self.out.clear();
        self.flush_pending = false;
        self.closing = None;
        self.core.link_up();
    }

    /// The link broke or the peer closed it.
    fn link_lost(&mut self, error: Option<io::Error>) {
        let Some(link) = self.link.take() else {
            return;
        };
        if let Some(source) = error {
            self.report(Error::Link {
                peer: link.peer,
                source,
            });
        }
        self.after_link();
        self.core.link_down();
    }

    /// The session asked to close the link, and its last bytes are
    /// written (or the close timeout passed).
    async fn close_link(&mut self) {
        self.closing = None;
        if let Some(mut link) = self.link.take() {
            // A TLS link sends close_notify; a peer that does not read is
            // not waited for.
            let _ = tokio::time::timeout(self.close_timeout, link.writer.shutdown()).await;
        }
        self.after_link();
    }

    fn after_link(&mut self) {
        *lock(&self.peer_certificate) = None;
        self.out.clear();
        self.flush_pending = false;
        self.core.shrink(KEEP_AFTER_LINK);
        if let Some(f) = &mut self.on_link_down {
            f();
        }
    }

    /// An error of the link or of a command, as an event.
    fn report(&mut self, error: Error) {
        log::warn!("session {}: {error}", self.core.key());
        self.core.report(SessionEvent::Error(error), &mut self.sink);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
