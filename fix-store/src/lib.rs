//! Durable stores for FIX sessions: a crash-safe file store of outgoing
//! messages and sequence numbers, implementing `fixrs_session`'s `Store`.
//!
//! This crate does file I/O only; it opens no sockets, runs no threads and
//! reads the wall clock nowhere (times come in as arguments; only
//! [`Durability::FsyncEvery`] looks at a monotonic `Instant`).
//!
//! # Using it
//!
//! [`FileStore::open`] takes the directory (QuickFIX's FileStorePath), the
//! session's [`SessionKey`](fixrs_session::SessionKey), [`FileStoreOptions`]
//! and the current time, which becomes the creation time of a new store.
//! The session then drives it through the [`Store`](fixrs_session::Store)
//! trait: `save_outgoing` buffers a record, `flush` (called before bytes go
//! to the socket) writes all buffered records with one `write(2)` and syncs
//! according to the durability mode. [`FileStore::list`] and
//! [`FileStore::inspect`] read stores without changing them, for tools,
//! and report what opening would find, records gone missing included;
//! [`FileStore::repair`] accepts such a loss, under the store's lock, for
//! an operator (`fixctl store repair`).
//!
//! A store has one opener at a time. [`FileStore::open`] takes an
//! exclusive lock on the store's `NAME.lock` file before it reads anything
//! and holds it until the store is dropped; a second open of the same
//! session's store in that directory, from another process or from another
//! session of the same process (two engines on one settings file, one
//! session started twice), fails at once with [`FileStoreError::Locked`],
//! which names the store and the holder's process id. The lock is
//! `flock(2)` on Unix (Linux, macOS, the BSDs, illumos), which the
//! operating system releases when the holder dies, `kill -9` included, so
//! a crash never leaves a stale lock, and which dropping the store
//! releases at once, even while a process that another thread is
//! starting still holds a copy of the descriptor (until its `exec`); on
//! Windows the lock file is opened without sharing, with the same effect;
//! on other targets (Solaris among them) nothing is locked and the caller
//! must keep to one opener.
//! `inspect` and `list` take no lock, so a tool can look at the store of a
//! running engine: they then see it as of some moment of its writes (a
//! record being written shows as a torn tail; a segment a rotation deletes
//! while they read is an I/O error: read again).
//!
//! [`settings`] reads a settings file's store keys (FileStorePath,
//! FileStoreSync, FileStoreMaxMessages) into those arguments.
//!
//! # Files
//!
//! A session's files are `NAME.N.log`, where `NAME` is built injectively
//! from the whole session identity (`FIX.4.4+BANK+EXCH`, with unsafe bytes
//! escaped as `%XX`, sub and location IDs tagged, and an optional
//! `+QUALIFIER`), so sessions sharing a directory never share a file; and
//! `N` numbers the segments of the log. Each segment starts with a
//! checksummed header holding the full session identity, the creation time
//! and the sequence numbers at the segment's start; then come records, each
//! with a checksummed header (length, kind, MsgSeqNum) and a checksummed
//! payload: saved messages, and changes of the next sender and target
//! MsgSeqNum. An in-memory index maps each kept MsgSeqNum to its record, so
//! [`Store::outgoing`](fixrs_session::Store::outgoing) reads only the
//! requested range. Beside them, `NAME.seqnums` (128 bytes, two alternating
//! checksummed slots, rewritten after each flush, as QuickFIX keeps its
//! sequence numbers apart from its message file) records how far the log
//! had got: the active segment's length and the sequence numbers. The
//! store also keeps the session's queue of *pending* messages (put before
//! logon in late-delivery queue mode, not yet numbered): records that add
//! one, give one up, or save the message sent from one and take it out of
//! the queue in the same record; every new segment starts with the
//! pending messages alive at that point, and a reset keeps them.
//! `NAME.lock` is the lock file (holding the opener's process id, for the
//! refusal's message); it is never deleted, since a second opener must
//! lock the very file the first holds.
//!
//! # Guarantees
//!
//! - A message whose `flush` returned survives `kill -9` of the process in
//!   every mode, and a power loss with [`Durability::Fsync`].
//! - A crash mid-write leaves a torn last record; opening detects it
//!   (short record, checksum failure at the very end, or a zero-filled
//!   tail) and truncates it away. Any other damage is a
//!   [`FileStoreError::Corrupt`] naming the file and offset; a header that
//!   cannot be read is [`FileStoreError::BadHeader`]; files of another
//!   session are [`FileStoreError::WrongSession`]. None of these ever
//!   resets the store silently. [`Recovery::TruncateCorruptTail`] lets an
//!   operator accept the loss of a damaged newest segment's tail.
//! - Records cut away at a record boundary, which leaves a clean but
//!   shorter log, are found at open: the sequence-number file (or, for a
//!   closed segment, the next segment's header) shows the store once had
//!   more. That is [`FileStoreError::MissingRecords`], naming the file and
//!   the sequence numbers lost. Sequence numbers are never silently used
//!   twice: with [`Recovery::TruncateCorruptTail`] the store opens with
//!   the numbers it had reached (the lost messages are gap-filled if asked
//!   for), logs a warning and reports the loss in
//!   [`FileStore::lost_on_open`]. The file is written only after what it
//!   describes (synced first in the syncing modes), so a crash never makes
//!   it claim more than the segments hold.
//! - New segments appear atomically (written to `NAME.N.tmp`, then
//!   renamed); a `reset` writes a new segment that starts a new sequence
//!   and is synced before the old segments are deleted, so a crash during
//!   a reset leaves either the old sequence or the new one.
//! - The next target MsgSeqNum is recorded at the next flush (several
//!   changes in between cost one record); the next sender MsgSeqNum is
//!   implied by each saved message, and explicit changes are recorded in
//!   order with the messages.
//!
//! With a [`HistoryLimit`], the oldest messages beyond it are no longer
//! visited (the session answers with a SequenceReset-GapFill) and whole
//! segments are deleted once no kept message is in them, so disk use stays
//! within about twice the limit plus one segment.
//!
//! Limits: file names are case-sensitive, so on a case-insensitive file
//! system two sessions differing only in case collide, which is reported
//! as `Locked` while one has its store open and as `WrongSession`
//! otherwise; opening reads the whole kept history once.
//!
//! # Cost
//!
//! A flush costs one `write(2)` of the records and one 64-byte `pwrite(2)`
//! of the sequence-number file, plus one `fdatasync` when the durability
//! mode asks for it; batching several messages per flush amortises them.
//! The measured costs per durability mode (saving messages, or recording
//! incoming MsgSeqNums, one and 64 per flush; reading stored messages back
//! for a resend) are in the
//! [performance section of the repository's README](https://github.com/fixrs/fixrs#performance),
//! with the command that produces it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod format;
mod index;
mod lock;
mod name;
mod options;
mod recovery;
mod seqnums;
pub mod settings;
mod store;

pub use error::{FileStoreError, MissingRecords};
pub use options::{Durability, FileStoreOptions, HistoryLimit, Recovery};
pub use store::{FileStore, ListedStore, RecordedSeqNums, StoreRepair, StoreSummary};

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
