//! The file store itself: [`FileStore`], its `Store` implementation, and
//! read-only inspection of store directories.

use crate::error::{at, FileStoreError, MissingRecords};
use crate::format::{
    decode_record_header, encode_header, encode_record, encode_record_parts, RecordKind,
    SegmentHeader, PENDING_ID_LEN, RECORD_HEADER_LEN,
};
use crate::index::{Entry, MessageIndex};
use crate::lock::StoreLock;
use crate::name::{file_prefix, parse_file_name, segment_name, seqnums_name, temp_name, FileKind};
use crate::options::{Durability, FileStoreOptions, Recovery};
use crate::recovery::{checkpoint_applies, list_files, recover, Recovered};
use crate::seqnums::{self, Checkpoint, SeqNumFile};
use fixrs_proto::UtcTimestamp;
use fixrs_session::{SeqNum, SessionKey, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Pending records are written early once they reach this size, so a long
/// run of saves without a flush does not grow memory without bound.
const PENDING_WRITE_THRESHOLD: usize = 1024 * 1024;
/// Read buffer for resends.
const RESEND_BUFFER: usize = 64 * 1024;

/// What [`FileStore::summary`], [`FileStore::inspect`] and
/// [`FileStore::list`] report about a store.
///
/// A store read by `inspect` or `list` is described as
/// [`FileStore::open`] would find it: if [`missing_records`](Self::missing_records)
/// is set, opening refuses it ([`FileStoreError::MissingRecords`]) unless
/// the loss is accepted with
/// [`Recovery::TruncateCorruptTail`](crate::Recovery::TruncateCorruptTail),
/// and the sequence numbers here are those it then resumes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreSummary {
    /// The session the store belongs to.
    pub key: SessionKey,
    /// The MsgSeqNum the next outgoing message will carry. When records
    /// are missing, the highest the store had reached (the segments'
    /// or the sequence-number file's): numbers already used are never
    /// used again.
    pub next_sender_seq_num: SeqNum,
    /// The MsgSeqNum expected on the next incoming message (when records
    /// are missing, as for the sender's).
    pub next_target_seq_num: SeqNum,
    /// When the current sequence began.
    pub creation_time: UtcTimestamp,
    /// Outgoing messages kept for resends.
    pub message_count: u64,
    /// MsgSeqNum of the oldest kept message.
    pub first_seq_num: Option<SeqNum>,
    /// MsgSeqNum of the newest kept message.
    pub last_seq_num: Option<SeqNum>,
    /// Segment files of the current sequence.
    pub segment_count: usize,
    /// Bytes in those files.
    pub disk_bytes: u64,
    /// Bytes of a torn last record found when the store was read (dropped
    /// on open; only reported by a read-only inspection).
    pub torn_tail_bytes: u64,
    /// Messages waiting unnumbered for late delivery (the pending queue).
    pub pending_messages: u64,
    /// What the sequence-number file (`NAME.seqnums`) records; `None`
    /// when there is none (a store written before the file existed) or
    /// neither of its slots is readable, so that opening has nothing to
    /// check the segments against.
    pub recorded: Option<RecordedSeqNums>,
    /// Records the store once held and no longer has (a segment shorter
    /// than the sequence-number file or the next segment's header shows
    /// it was): what [`FileStore::open`] refuses with
    /// [`FileStoreError::MissingRecords`], and what
    /// [`Recovery::TruncateCorruptTail`](crate::Recovery::TruncateCorruptTail)
    /// accepts losing. For an open store's [`FileStore::summary`]: the
    /// loss accepted when it was opened, as
    /// [`FileStore::lost_on_open`].
    pub missing_records: Option<MissingRecords>,
}

/// The sequence numbers a store's sequence-number file records: where
/// its log had got at the last flush (see the crate documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedSeqNums {
    /// The next outgoing MsgSeqNum recorded.
    pub next_sender_seq_num: SeqNum,
    /// The next incoming MsgSeqNum recorded.
    pub next_target_seq_num: SeqNum,
    /// Whether the record describes the segments present, so that opening
    /// checks them against it. `false` for a record of an earlier
    /// sequence (a reset that a crash interrupted, a store deleted and
    /// created again) or of segments since deleted by the history limit,
    /// which opening ignores (and rewrites).
    pub current: bool,
}

/// One store found by [`FileStore::list`]: its summary, or why it cannot
/// be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct ListedStore {
    /// The name the store's files share (`NAME` in `NAME.N.log`), built
    /// from the session identity (see the crate documentation).
    pub name: String,
    /// What reading it found, as [`FileStore::inspect`] reports it; an
    /// error (a corrupt or missing segment, a bad header, an I/O error) is
    /// what [`FileStore::open`] would fail with too.
    pub summary: Result<StoreSummary, FileStoreError>,
}

/// What [`FileStore::repair`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreRepair {
    /// The store as it was read before anything changed (its sequence
    /// numbers are those it resumes from, as [`StoreSummary`] says).
    pub before: StoreSummary,
    /// The loss accepted; `None` when nothing was missing, and then no
    /// file was changed.
    pub dropped: Option<MissingRecords>,
    /// The store as it is now: the sequence numbers a session opening it
    /// resumes from, the messages it keeps.
    pub after: StoreSummary,
}

/// A segment file and its length.
#[derive(Debug, Clone, Copy)]
struct Segment {
    number: u64,
    len: u64,
}

/// A durable [`Store`] in files: an append-only, checksummed log of
/// outgoing messages and sequence number changes, split into segment files
/// under one directory.
///
/// Saved messages are encoded into a buffer and written with one
/// `write(2)` per [`Store::flush`], then synced according to
/// [`Durability`]. On open the files are replayed: a torn last record is
/// dropped, other damage is a typed error. See the crate documentation for
/// the file format and guarantees.
///
/// ```
/// use fixrs_proto::UtcTimestamp;
/// use fixrs_session::{SessionId, SessionKey, Store};
/// use fixrs_store::{FileStore, FileStoreOptions};
///
/// # let dir = std::env::temp_dir().join(format!("fix-store-doc-{}", std::process::id()));
/// let key = SessionKey::new("FIX.4.4", SessionId::new("BANK", "EXCH"));
/// let now = UtcTimestamp::from_unix(1_700_000_000, 0);
/// let mut store = FileStore::open(&dir, &key, FileStoreOptions::default(), now)?;
/// let seq = store.next_sender_seq_num();
/// store.save_outgoing(seq, b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01")?;
/// store.flush()?; // before the bytes go to the socket
/// drop(store);
///
/// let mut store = FileStore::open(&dir, &key, FileStoreOptions::default(), now)?;
/// assert_eq!(store.next_sender_seq_num(), seq + 1);
/// let mut resent = 0;
/// store.outgoing(1, seq, &mut |_, _| resent += 1)?;
/// assert_eq!(resent, 1);
/// # drop(store);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    prefix: String,
    key: SessionKey,
    options: FileStoreOptions,
    /// Segments of the current sequence, ascending; the last is active.
    segments: VecDeque<Segment>,
    /// The active segment, opened for appending.
    active: File,
    active_messages: u64,
    active_message_bytes: u64,
    /// Encoded records not yet written to the active segment.
    pending: Vec<u8>,
    index: MessageIndex,
    next_sender: SeqNum,
    next_target: SeqNum,
    /// The next target MsgSeqNum as last recorded in the log.
    logged_target: SeqNum,
    creation_time: UtcTimestamp,
    /// Written but not yet synced.
    unsynced: bool,
    last_sync: Instant,
    /// A write failed half-way and could not be undone.
    poisoned: bool,
    read_buf: Vec<u8>,
    /// The queue of pending messages (late delivery, unnumbered), by id.
    queued: BTreeMap<u64, Vec<u8>>,
    next_pending_id: u64,
    /// Where the log had got at the last flush, kept apart from it.
    seqnums: SeqNumFile,
    /// Records found missing at open, whose loss was accepted.
    lost: Option<FileStoreError>,
    /// Held until the store is dropped (after its last write there).
    _lock: StoreLock,
}

impl FileStore {
    /// Opens the store of session `key` in `dir` (QuickFIX's
    /// FileStorePath), creating the directory and an empty store whose
    /// sequence begins at `now` if none exists.
    ///
    /// An existing store is replayed: sequence numbers, creation time and
    /// the index of kept messages are restored; a torn last record is
    /// dropped and the file truncated; a reset or history trim that a crash
    /// interrupted is completed. Errors: [`FileStoreError::WrongSession`] if
    /// the files name another session, [`FileStoreError::BadHeader`] if a
    /// header is unreadable, [`FileStoreError::Corrupt`] for damage a torn
    /// write cannot explain, [`FileStoreError::MissingSegment`] if a
    /// segment file between two others is gone,
    /// [`FileStoreError::MissingRecords`] if records the store once held
    /// are gone (see [`Recovery`](crate::Recovery) for accepting either
    /// loss), [`FileStoreError::Locked`] if another process or another
    /// session of this one has the store open.
    ///
    /// The store is locked (see the crate documentation) before anything
    /// is read, until it is dropped, or until the process ends however it
    /// ends.
    pub fn open(
        dir: impl AsRef<Path>,
        key: &SessionKey,
        options: FileStoreOptions,
        now: UtcTimestamp,
    ) -> Result<FileStore, FileStoreError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(at(&dir))?;
        let prefix = file_prefix(key);
        // Before anything is read: another opener may be writing.
        let lock = StoreLock::acquire(&dir, &prefix, key)?;
        FileStore::open_locked(dir, prefix, key, options, now, lock)
    }

    /// [`open`](FileStore::open) once the store's lock is held.
    fn open_locked(
        dir: PathBuf,
        prefix: String,
        key: &SessionKey,
        options: FileStoreOptions,
        now: UtcTimestamp,
        lock: StoreLock,
    ) -> Result<FileStore, FileStoreError> {
        // Read before the segments: it is written after them, so what it
        // claims was already in the segments when they are read.
        let seqnums_path = dir.join(seqnums_name(&prefix));
        let checkpoint = seqnums::read(&seqnums_path)?;
        let files = list_files(&dir, &prefix)?;
        for n in &files.temps {
            let path = dir.join(temp_name(&prefix, *n));
            remove_if_present(&path)?;
        }
        let checked = checkpoint
            .as_ref()
            .map(|(c, _)| (c, seqnums_path.as_path()));
        let accept_missing = options.recovery == Recovery::TruncateCorruptTail;
        let recovered = recover(
            &dir,
            &prefix,
            Some(key),
            &options,
            &files.segments,
            checked,
            accept_missing,
        )?;
        let generation = checkpoint.map_or(0, |(_, g)| g);
        let seqnums = SeqNumFile::open(seqnums_path, generation)?;
        let mut store = match recovered {
            None => {
                let header = SegmentHeader {
                    number: 1,
                    starts_sequence: true,
                    creation_time: now,
                    next_sender: 1,
                    next_target: 1,
                    key: key.clone(),
                };
                let (active, len) = create_segment(&dir, &prefix, &header, &[], true)?;
                let empty = Recovered::empty(key.clone(), &options, now, len);
                FileStore::assemble(dir, prefix, options, active, seqnums, lock, empty)
            }
            Some(rec) => {
                for n in &rec.obsolete {
                    remove_if_present(&dir.join(segment_name(&prefix, *n)))?;
                }
                let Some(&(last, valid_len)) = rec.segments.last() else {
                    return Err(FileStoreError::MissingSegment { path: dir });
                };
                let path = dir.join(segment_name(&prefix, last));
                let active = OpenOptions::new()
                    .read(true)
                    .append(true)
                    .open(&path)
                    .map_err(at(&path))?;
                if rec.torn_tail_bytes > 0 {
                    active.set_len(valid_len).map_err(at(&path))?;
                    active.sync_all().map_err(at(&path))?;
                }
                let mut store =
                    FileStore::assemble(dir, prefix, options, active, seqnums, lock, rec);
                store.drop_unneeded_segments()?;
                store
            }
        };
        if let Some(lost) = &store.lost {
            log::warn!("{lost}; opened anyway, keeping the sequence numbers already used");
            // The log itself must now say where the sequence is.
            let sender = store.next_sender;
            store.set_sender(sender)?;
            store.logged_target = 0;
            store.flush_inner()?;
        }
        // Start (or refresh) the record the next open checks against.
        store.write_checkpoint()?;
        Ok(store)
    }

    /// Accepts the loss of records the store of session `key` in `dir` is
    /// found missing ([`FileStoreError::MissingRecords`]), for an operator
    /// whose engine refuses to open it. `None` if there is no store.
    ///
    /// Under the store's lock (so [`FileStoreError::Locked`] while an
    /// engine has it open), the store is read as [`inspect`](FileStore::inspect)
    /// reads it. A store with no records missing is left as it is, byte
    /// for byte (the lock file included, when it exists). One with records
    /// missing is opened with [`Recovery::TruncateCorruptTail`], which
    /// drops what the loss leaves behind (and a torn last record), keeps
    /// the sequence numbers already used and writes that down, synced, so
    /// that a later [`open`](FileStore::open) with the default recovery
    /// succeeds and resumes from [`StoreRepair::after`]'s numbers. Other
    /// damage (a corrupt record, a bad header) is returned as the error
    /// opening fails with, and nothing is changed.
    pub fn repair(
        dir: impl AsRef<Path>,
        key: &SessionKey,
        now: UtcTimestamp,
    ) -> Result<Option<StoreRepair>, FileStoreError> {
        let dir = dir.as_ref();
        let prefix = file_prefix(key);
        // No segment, no store: nothing to lock or create.
        if list_files(dir, &prefix)?.segments.is_empty() {
            return Ok(None);
        }
        let lock = StoreLock::take(dir, &prefix, key)?;
        let Some(before) = read_store(dir, &prefix, Some(key))? else {
            return Ok(None);
        };
        let Some(dropped) = before.missing_records.clone() else {
            let after = before.clone();
            return Ok(Some(StoreRepair {
                before,
                dropped: None,
                after,
            }));
        };
        lock.record_holder()?;
        let options = FileStoreOptions::default()
            .with_durability(Durability::Fsync)
            .with_recovery(Recovery::TruncateCorruptTail);
        let mut store = FileStore::open_locked(dir.to_path_buf(), prefix, key, options, now, lock)?;
        store.sync()?;
        let after = store.summary();
        Ok(Some(StoreRepair {
            before,
            dropped: Some(dropped),
            after,
        }))
    }

    /// When opening found records missing and the [`Recovery`](crate::Recovery)
    /// option accepted the loss: what was lost (a
    /// [`FileStoreError::MissingRecords`], also logged as a warning).
    pub fn lost_on_open(&self) -> Option<&FileStoreError> {
        self.lost.as_ref()
    }

    /// Records in the sequence-number file how far the log has got: the
    /// active segment's length and the sequence numbers its records
    /// leave. Called once what it describes was written (and synced, in
    /// the modes that sync).
    fn write_checkpoint(&mut self) -> Result<(), FileStoreError> {
        let c = Checkpoint {
            segment: self.active_number(),
            len: self.active_len(),
            next_sender: self.next_sender,
            next_target: self.logged_target,
            creation_time: self.creation_time,
        };
        self.seqnums.write(&c)
    }

    fn assemble(
        dir: PathBuf,
        prefix: String,
        options: FileStoreOptions,
        active: File,
        seqnums: SeqNumFile,
        lock: StoreLock,
        rec: Recovered,
    ) -> FileStore {
        FileStore {
            dir,
            prefix,
            key: rec.key,
            options,
            segments: rec
                .segments
                .iter()
                .map(|&(number, len)| Segment { number, len })
                .collect(),
            active,
            active_messages: rec.active_messages,
            active_message_bytes: rec.active_message_bytes,
            pending: Vec::new(),
            index: rec.index,
            next_sender: rec.next_sender,
            next_target: rec.next_target,
            logged_target: rec.next_target,
            creation_time: rec.creation_time,
            unsynced: false,
            last_sync: Instant::now(),
            poisoned: false,
            read_buf: Vec::new(),
            queued: rec.pending,
            next_pending_id: rec.next_pending_id,
            seqnums,
            lost: rec.lost,
            _lock: lock,
        }
    }

    /// Reads the store of session `key` in `dir` without changing anything,
    /// and reports what [`open`](FileStore::open) would find (a torn tail
    /// is reported, not truncated). `None` if there is none.
    ///
    /// The segments are checked against the sequence-number file as
    /// opening checks them, but records found missing are reported in
    /// [`StoreSummary::missing_records`] rather than as an error; the other
    /// errors are those opening would fail with.
    ///
    /// Takes no lock and creates or writes no file, so it works while an
    /// engine has the store open, and then describes it as of some moment
    /// of its writes: a record being written shows as a torn tail, and a
    /// segment deleted by a rotation while it is read is an I/O error
    /// (read again).
    pub fn inspect(
        dir: impl AsRef<Path>,
        key: &SessionKey,
    ) -> Result<Option<StoreSummary>, FileStoreError> {
        read_store(dir.as_ref(), &file_prefix(key), Some(key))
    }

    /// Reads every store in `dir` without changing anything, ordered by
    /// name (so by BeginString, then SenderCompID, then TargetCompID, as
    /// far as escaping allows). A store that cannot be read is listed with
    /// its error; the others are read all the same. Takes no lock, as
    /// [`inspect`](FileStore::inspect); the error is only for `dir`
    /// itself.
    pub fn list(dir: impl AsRef<Path>) -> Result<Vec<ListedStore>, FileStoreError> {
        let dir = dir.as_ref();
        let mut prefixes = BTreeSet::new();
        for entry in fs::read_dir(dir).map_err(at(dir))? {
            let entry = entry.map_err(at(dir))?;
            let name = entry.file_name();
            if let Some((prefix, FileKind::Segment(_))) = name.to_str().and_then(parse_file_name) {
                prefixes.insert(prefix.to_owned());
            }
        }
        let mut out = Vec::with_capacity(prefixes.len());
        for name in prefixes {
            let summary = match read_store(dir, &name, None) {
                Ok(Some(summary)) => Ok(summary),
                // Its segments were deleted since the directory was read
                // (a store of a running engine being reset): none left.
                Ok(None) => continue,
                Err(e) => Err(e),
            };
            out.push(ListedStore { name, summary });
        }
        Ok(out)
    }

    /// What this store holds now.
    pub fn summary(&self) -> StoreSummary {
        StoreSummary {
            key: self.key.clone(),
            next_sender_seq_num: self.next_sender,
            next_target_seq_num: self.next_target,
            creation_time: self.creation_time,
            message_count: self.index.len() as u64,
            first_seq_num: self.index.first().map(|e| e.seq),
            last_seq_num: self.index.last().map(|e| e.seq),
            segment_count: self.segments.len(),
            disk_bytes: self.segments.iter().map(|s| s.len).sum::<u64>()
                + self.pending.len() as u64,
            torn_tail_bytes: 0,
            pending_messages: self.queued.len() as u64,
            recorded: self.seqnums.last().map(|c| RecordedSeqNums {
                next_sender_seq_num: c.next_sender,
                next_target_seq_num: c.next_target,
                current: true,
            }),
            missing_records: self.lost.as_ref().and_then(missing_records),
        }
    }

    /// The session this store belongs to.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// The directory holding the store's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The settings the store was opened with.
    pub fn options(&self) -> &FileStoreOptions {
        &self.options
    }

    /// Paths of the store's segment files, oldest first.
    pub fn segment_paths(&self) -> Vec<PathBuf> {
        self.segments
            .iter()
            .map(|s| self.dir.join(segment_name(&self.prefix, s.number)))
            .collect()
    }

    /// Writes what is pending and syncs it to stable storage now, whatever
    /// the [`Durability`] mode.
    pub fn sync(&mut self) -> Result<(), FileStoreError> {
        self.flush_inner()?;
        if self.unsynced {
            self.sync_active()?;
            self.write_checkpoint()?;
        }
        Ok(())
    }

    fn active_number(&self) -> u64 {
        self.segments.back().map_or(0, |s| s.number)
    }

    fn active_len(&self) -> u64 {
        self.segments.back().map_or(0, |s| s.len)
    }

    fn active_path(&self) -> PathBuf {
        self.dir
            .join(segment_name(&self.prefix, self.active_number()))
    }

    fn check_usable(&self) -> Result<(), FileStoreError> {
        if self.poisoned {
            return Err(FileStoreError::Poisoned {
                path: self.active_path(),
            });
        }
        Ok(())
    }

    /// Hands the pending records to the operating system. On failure the
    /// file is cut back to its last good length so a retry appends cleanly.
    fn write_pending(&mut self) -> Result<(), FileStoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.check_usable()?;
        if let Err(e) = self.active.write_all(&self.pending) {
            let good_len = self.active_len();
            if self.active.set_len(good_len).is_err() {
                self.poisoned = true;
            }
            return Err(FileStoreError::io(&self.active_path(), e));
        }
        if let Some(active) = self.segments.back_mut() {
            active.len += self.pending.len() as u64;
        }
        self.pending.clear();
        self.unsynced = true;
        Ok(())
    }

    fn sync_active(&mut self) -> Result<(), FileStoreError> {
        let path = self.active_path();
        self.active.sync_data().map_err(at(&path))?;
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    fn flush_inner(&mut self) -> Result<(), FileStoreError> {
        self.check_usable()?;
        if self.next_target != self.logged_target {
            encode_record(
                &mut self.pending,
                RecordKind::NextTargetSeqNum,
                self.next_target,
                &[],
            );
            self.logged_target = self.next_target;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        self.write_pending()?;
        match self.options.durability {
            Durability::Flush => {}
            Durability::Fsync => self.sync_active()?,
            Durability::FsyncEvery(every) => {
                if self.last_sync.elapsed() >= every {
                    self.sync_active()?;
                }
            }
        }
        if self.needs_rotation() {
            self.rotate()?;
        }
        // The record of how far the log got follows what it describes: in
        // the syncing modes, only once that is on disk.
        if self.options.durability == Durability::Flush || !self.unsynced {
            self.write_checkpoint()?;
        }
        Ok(())
    }

    /// Whether the active segment is full: by size, or because it alone
    /// holds the whole history limit (so every older segment can go).
    fn needs_rotation(&self) -> bool {
        let h = &self.options.history;
        self.active_len() >= self.options.effective_segment_bytes()
            || h.max_messages
                .is_some_and(|m| self.active_messages >= m.max(1))
            || h.max_bytes
                .is_some_and(|b| self.active_message_bytes >= b.max(1))
    }

    /// Closes the active segment and starts the next, whose header records
    /// the current state, then deletes segments no kept message needs.
    fn rotate(&mut self) -> Result<(), FileStoreError> {
        let sync = self.options.durability != Durability::Flush;
        if sync && self.unsynced {
            // The closed segment must be complete on disk before a newer
            // one exists: recovery treats damage in closed segments as
            // corruption.
            self.sync_active()?;
        }
        let header = SegmentHeader {
            number: self.active_number() + 1,
            starts_sequence: false,
            creation_time: self.creation_time,
            next_sender: self.next_sender,
            next_target: self.next_target,
            key: self.key.clone(),
        };
        let carried = self.queued_records();
        let (file, len) = create_segment(&self.dir, &self.prefix, &header, &carried, sync)?;
        self.active = file;
        self.segments.push_back(Segment {
            number: header.number,
            len,
        });
        self.active_messages = 0;
        self.active_message_bytes = 0;
        self.drop_unneeded_segments()
    }

    /// Deletes, oldest first, segments older than the oldest kept message.
    fn drop_unneeded_segments(&mut self) -> Result<(), FileStoreError> {
        let active = self.active_number();
        let keep_from = self.index.first().map_or(active, |e| e.segment).min(active);
        while let Some(&oldest) = self.segments.front() {
            if oldest.number >= keep_from || self.segments.len() == 1 {
                break;
            }
            remove_if_present(&self.dir.join(segment_name(&self.prefix, oldest.number)))?;
            self.segments.pop_front();
        }
        Ok(())
    }

    fn save(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), FileStoreError> {
        self.save_record(seq, RecordKind::Message, &[message])
    }

    /// Appends the record of outgoing message `seq` (its payload `parts`)
    /// and indexes it.
    fn save_record(
        &mut self,
        seq: SeqNum,
        kind: RecordKind,
        parts: &[&[u8]],
    ) -> Result<(), FileStoreError> {
        self.check_usable()?;
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let len =
            u32::try_from(total).map_err(|_| FileStoreError::MessageTooLarge { len: total })?;
        let offset = self.active_len() + self.pending.len() as u64;
        encode_record_parts(&mut self.pending, kind, seq, parts);
        self.index.push(Entry {
            seq,
            offset,
            segment: self.active_number(),
            len,
        });
        self.next_sender = seq.saturating_add(1);
        self.active_messages += 1;
        self.active_message_bytes += u64::from(len);
        if self.pending.len() >= PENDING_WRITE_THRESHOLD {
            self.write_pending()?;
        }
        Ok(())
    }

    fn visit(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), FileStoreError> {
        if begin > end {
            return Ok(());
        }
        // Records still in memory are written out first so every read
        // goes to the file; this does not sync.
        self.write_pending()?;
        let mut i = self.index.lower_bound(begin);
        while let Some(first) = self.index.get(i).filter(|e| e.seq <= end) {
            let segment = first.segment;
            let path = self.dir.join(segment_name(&self.prefix, segment));
            let opened;
            let file = if segment == self.active_number() {
                &self.active
            } else {
                opened = File::open(&path).map_err(at(&path))?;
                &opened
            };
            let mut reader = BufReader::with_capacity(RESEND_BUFFER, file);
            reader
                .seek(SeekFrom::Start(first.offset))
                .map_err(at(&path))?;
            let mut pos = first.offset;
            while let Some(e) = self
                .index
                .get(i)
                .filter(|e| e.seq <= end && e.segment == segment)
            {
                if e.offset != pos {
                    // Offsets ascend within a segment, so this skips forward.
                    let skip = i64::try_from(e.offset - pos).unwrap_or(i64::MAX);
                    reader.seek_relative(skip).map_err(at(&path))?;
                    pos = e.offset;
                }
                read_message(&mut reader, &path, e, &mut self.read_buf)?;
                visit(e.seq, &self.read_buf);
                pos += RECORD_HEADER_LEN as u64 + u64::from(e.len);
                i += 1;
            }
        }
        Ok(())
    }

    fn set_sender(&mut self, seq: SeqNum) -> Result<(), FileStoreError> {
        self.check_usable()?;
        encode_record(&mut self.pending, RecordKind::NextSenderSeqNum, seq, &[]);
        self.next_sender = seq;
        Ok(())
    }

    /// The records of the pending messages alive now, which start a new
    /// segment so that older ones can be deleted.
    fn queued_records(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (id, record) in &self.queued {
            encode_record(&mut out, RecordKind::Pending, *id, record);
        }
        out
    }

    fn push_queued(&mut self, record: &[u8]) -> Result<u64, FileStoreError> {
        self.check_usable()?;
        if u32::try_from(record.len()).is_err() {
            return Err(FileStoreError::MessageTooLarge { len: record.len() });
        }
        let id = self.next_pending_id;
        encode_record(&mut self.pending, RecordKind::Pending, id, record);
        self.next_pending_id += 1;
        self.queued.insert(id, record.to_vec());
        if self.pending.len() >= PENDING_WRITE_THRESHOLD {
            self.write_pending()?;
        }
        Ok(id)
    }

    fn remove_queued(&mut self, id: u64) -> Result<(), FileStoreError> {
        self.check_usable()?;
        if self.queued.remove(&id).is_some() {
            encode_record(&mut self.pending, RecordKind::PendingDone, id, &[]);
        }
        Ok(())
    }

    /// Saves `message` as `seq` and takes pending message `id` out of the
    /// queue with one record.
    fn save_from_queued(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), FileStoreError> {
        let id_bytes = id.to_le_bytes();
        self.save_record(seq, RecordKind::MessageFromPending, &[&id_bytes, message])?;
        self.queued.remove(&id);
        Ok(())
    }

    /// Starts a new sequence in a new segment, made durable before the old
    /// segments are deleted; a crash in between leaves them for the next
    /// open to delete.
    fn reset_inner(&mut self, now: UtcTimestamp) -> Result<(), FileStoreError> {
        let header = SegmentHeader {
            number: self.active_number() + 1,
            starts_sequence: true,
            creation_time: now,
            next_sender: 1,
            next_target: 1,
            key: self.key.clone(),
        };
        // Pending messages have no number: a new sequence keeps them.
        let carried = self.queued_records();
        let (file, len) = create_segment(&self.dir, &self.prefix, &header, &carried, true)?;
        self.active = file;
        self.segments.push_back(Segment {
            number: header.number,
            len,
        });
        self.pending.clear();
        self.index.clear();
        self.next_sender = 1;
        self.next_target = 1;
        self.logged_target = 1;
        self.creation_time = now;
        self.active_messages = 0;
        self.active_message_bytes = 0;
        self.unsynced = false;
        self.poisoned = false;
        // Before the old segments go: a crash in between leaves a record
        // of the new sequence, or one of the old that is recognised as
        // stale.
        self.write_checkpoint()?;
        self.drop_unneeded_segments()
    }
}

/// Reads the message record `e` at the reader's position into `buf`,
/// checking it against the index and its checksum.
fn read_message(
    reader: &mut impl Read,
    path: &Path,
    e: Entry,
    buf: &mut Vec<u8>,
) -> Result<(), FileStoreError> {
    let corrupt = |reason| FileStoreError::Corrupt {
        path: path.to_path_buf(),
        offset: e.offset,
        reason,
    };
    let mut hb = [0u8; RECORD_HEADER_LEN];
    reader.read_exact(&mut hb).map_err(at(path))?;
    let h = decode_record_header(&hb).ok_or_else(|| corrupt("record header checksum mismatch"))?;
    let from_pending = h.kind == Some(RecordKind::MessageFromPending);
    if !(h.kind == Some(RecordKind::Message) || from_pending)
        || h.value != e.seq
        || h.len != e.len
        || (from_pending && (e.len as usize) < PENDING_ID_LEN)
    {
        return Err(corrupt("record does not match the index"));
    }
    buf.resize(e.len as usize, 0);
    reader.read_exact(buf).map_err(at(path))?;
    if crc32fast::hash(buf) != h.payload_crc {
        return Err(corrupt("record checksum mismatch"));
    }
    if from_pending {
        // The pending id it was made from, then the message.
        buf.drain(..PENDING_ID_LEN);
    }
    Ok(())
}

/// Reads the store named `prefix` in `dir` as [`FileStore::open`] would,
/// changing nothing and accepting records found missing (reported in the
/// summary).
fn read_store(
    dir: &Path,
    prefix: &str,
    expected: Option<&SessionKey>,
) -> Result<Option<StoreSummary>, FileStoreError> {
    // Read before the segments, as open reads it: it is written after
    // them, so what it claims was already there when they are read, even
    // while an engine writes.
    let seqnums_path = dir.join(seqnums_name(prefix));
    let checkpoint = seqnums::read(&seqnums_path)?.map(|(c, _)| c);
    let files = list_files(dir, prefix)?;
    let checked = checkpoint.as_ref().map(|c| (c, seqnums_path.as_path()));
    let rec = recover(
        dir,
        prefix,
        expected,
        &FileStoreOptions::default(),
        &files.segments,
        checked,
        true,
    )?;
    Ok(rec.map(|r| summarize(&r, checkpoint.as_ref())))
}

/// The [`MissingRecords`] of a [`FileStoreError::MissingRecords`].
fn missing_records(e: &FileStoreError) -> Option<MissingRecords> {
    match e {
        FileStoreError::MissingRecords(m) => Some(MissingRecords::clone(m)),
        _ => None,
    }
}

fn summarize(r: &Recovered, checkpoint: Option<&Checkpoint>) -> StoreSummary {
    StoreSummary {
        key: r.key.clone(),
        next_sender_seq_num: r.next_sender,
        next_target_seq_num: r.next_target,
        creation_time: r.creation_time,
        message_count: r.index.len() as u64,
        first_seq_num: r.index.first().map(|e| e.seq),
        last_seq_num: r.index.last().map(|e| e.seq),
        segment_count: r.segments.len(),
        disk_bytes: r.segments.iter().map(|s| s.1).sum::<u64>() + r.torn_tail_bytes,
        torn_tail_bytes: r.torn_tail_bytes,
        pending_messages: r.pending.len() as u64,
        recorded: checkpoint.map(|c| RecordedSeqNums {
            next_sender_seq_num: c.next_sender,
            next_target_seq_num: c.next_target,
            current: checkpoint_applies(c, &r.segments, r.creation_time),
        }),
        missing_records: r.lost.as_ref().and_then(missing_records),
    }
}

/// Creates a segment atomically: header (then `records`) into a temporary
/// file, then rename. With `sync`, the file and the directory are synced so
/// the segment survives a power loss. Returns it opened for appending.
fn create_segment(
    dir: &Path,
    prefix: &str,
    header: &SegmentHeader,
    records: &[u8],
    sync: bool,
) -> Result<(File, u64), FileStoreError> {
    let mut bytes = encode_header(header).map_err(|len| FileStoreError::KeyTooLong { len })?;
    bytes.extend_from_slice(records);
    let tmp = dir.join(temp_name(prefix, header.number));
    let path = dir.join(segment_name(prefix, header.number));
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(at(&tmp))?;
        f.write_all(&bytes).map_err(at(&tmp))?;
        if sync {
            f.sync_all().map_err(at(&tmp))?;
        }
    }
    fs::rename(&tmp, &path).map_err(at(&path))?;
    if sync {
        sync_dir(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .map_err(at(&path))?;
    Ok((file, bytes.len() as u64))
}

fn remove_if_present(path: &Path) -> Result<(), FileStoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileStoreError::io(path, e)),
    }
}

/// Makes a rename or creation in `dir` durable (POSIX needs the directory
/// synced; elsewhere this is a no-op).
fn sync_dir(dir: &Path) -> Result<(), FileStoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(at(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Store for FileStore {
    fn next_sender_seq_num(&self) -> SeqNum {
        self.next_sender
    }

    fn next_target_seq_num(&self) -> SeqNum {
        self.next_target
    }

    /// Recorded in the log in order with saved messages.
    fn set_next_sender_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        Ok(self.set_sender(seq)?)
    }

    /// Recorded at the next flush; several changes between flushes cost one
    /// record.
    fn set_next_target_seq_num(&mut self, seq: SeqNum) -> Result<(), StoreError> {
        self.check_usable()?;
        self.next_target = seq;
        Ok(())
    }

    /// Buffers the record; it reaches the file at the next flush. A message
    /// saved with a MsgSeqNum at or below stored ones replaces them.
    fn save_outgoing(&mut self, seq: SeqNum, message: &[u8]) -> Result<(), StoreError> {
        Ok(self.save(seq, message)?)
    }

    fn outgoing(
        &mut self,
        begin: SeqNum,
        end: SeqNum,
        visit: &mut dyn FnMut(SeqNum, &[u8]),
    ) -> Result<(), StoreError> {
        Ok(self.visit(begin, end, visit)?)
    }

    fn creation_time(&self) -> UtcTimestamp {
        self.creation_time
    }

    /// Durable on return, whatever the durability mode.
    fn reset(&mut self, now: UtcTimestamp) -> Result<(), StoreError> {
        Ok(self.reset_inner(now)?)
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        Ok(self.flush_inner()?)
    }

    /// Buffered with the other records: durable at the next flush.
    fn push_pending(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        Ok(self.push_queued(record)?)
    }

    fn pending(&mut self, visit: &mut dyn FnMut(u64, &[u8])) -> Result<(), StoreError> {
        for (id, record) in &self.queued {
            visit(*id, record);
        }
        Ok(())
    }

    fn remove_pending(&mut self, id: u64) -> Result<(), StoreError> {
        Ok(self.remove_queued(id)?)
    }

    /// One record: a crash leaves either the pending message or the
    /// message saved, never both.
    fn save_outgoing_from_pending(
        &mut self,
        seq: SeqNum,
        message: &[u8],
        id: u64,
    ) -> Result<(), StoreError> {
        Ok(self.save_from_queued(seq, message, id)?)
    }
}

impl Drop for FileStore {
    /// Writes what is pending, and syncs it unless the mode is
    /// [`Durability::Flush`]. Errors are ignored: call
    /// [`Store::flush`] or [`FileStore::sync`] first to see them.
    fn drop(&mut self) {
        if self.flush_inner().is_ok()
            && self.unsynced
            && self.options.durability != Durability::Flush
            && self.sync_active().is_ok()
        {
            let _ = self.write_checkpoint();
        }
    }
}
