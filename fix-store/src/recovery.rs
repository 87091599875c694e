//! Reading a session's segment files back on open: header checks, replay
//! of the records into sequence numbers and the message index, and the
//! decision between a torn last record (dropped) and corruption (an error).

use crate::error::{at, describe, FileStoreError};
use crate::format::{
    decode_header, decode_record_header, header_len, RecordKind, SegmentHeader, HEADER_PREFIX_LEN,
    PENDING_ID_LEN, RECORD_HEADER_LEN,
};
use crate::index::{Entry, MessageIndex};
use crate::name::{parse_file_name, segment_name, FileKind};
use crate::options::{FileStoreOptions, Recovery};
use crate::seqnums::Checkpoint;
use fixrs_proto::UtcTimestamp;
use fixrs_session::{SeqNum, SessionKey};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const SCAN_BUFFER: usize = 256 * 1024;

/// The store files of one session found in a directory.
#[derive(Debug, Default)]
pub(crate) struct Files {
    /// Segment numbers, ascending.
    pub segments: Vec<u64>,
    /// Numbers of half-created segments left by a crash.
    pub temps: Vec<u64>,
}

/// Lists the files of the store named `prefix`; a missing directory has none.
pub(crate) fn list_files(dir: &Path, prefix: &str) -> Result<Files, FileStoreError> {
    let mut files = Files::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(FileStoreError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(at(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        match parse_file_name(name) {
            Some((p, FileKind::Segment(n))) if p == prefix => files.segments.push(n),
            Some((p, FileKind::Temp(n))) if p == prefix => files.temps.push(n),
            _ => {}
        }
    }
    files.segments.sort_unstable();
    Ok(files)
}

/// Reads and checks a segment file's header; returns it and its length.
pub(crate) fn read_header(
    path: &Path,
    file: &File,
) -> Result<(SegmentHeader, u64), FileStoreError> {
    let bad = |reason| FileStoreError::BadHeader {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = file;
    reader.seek(SeekFrom::Start(0)).map_err(at(path))?;
    let mut prefix = [0u8; HEADER_PREFIX_LEN];
    read_or_short(&mut reader, &mut prefix, path)?
        .ok_or_else(|| bad("file shorter than a store header"))?;
    let len = header_len(&prefix).map_err(bad)?;
    let mut bytes = vec![0u8; len];
    bytes[..HEADER_PREFIX_LEN].copy_from_slice(&prefix);
    read_or_short(&mut reader, &mut bytes[HEADER_PREFIX_LEN..], path)?
        .ok_or_else(|| bad("file shorter than its header"))?;
    let header = decode_header(&bytes).map_err(bad)?;
    Ok((header, len as u64))
}

/// `read_exact` that reports a short file as `None` rather than an error.
fn read_or_short(
    r: &mut impl Read,
    buf: &mut [u8],
    path: &Path,
) -> Result<Option<()>, FileStoreError> {
    match r.read_exact(buf) {
        Ok(()) => Ok(Some(())),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(FileStoreError::io(path, e)),
    }
}

/// The state of a store as read from its files.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub key: SessionKey,
    /// Segments holding the current sequence, ascending, with file lengths
    /// (the last one's valid length).
    pub segments: Vec<(u64, u64)>,
    /// Segments before the last start of a sequence: left by a reset or a
    /// history trim that a crash interrupted.
    pub obsolete: Vec<u64>,
    pub index: MessageIndex,
    pub next_sender: SeqNum,
    pub next_target: SeqNum,
    pub creation_time: UtcTimestamp,
    /// Messages and message bytes in the last segment.
    pub active_messages: u64,
    pub active_message_bytes: u64,
    /// Bytes past the last valid record of the last segment (a torn tail).
    pub torn_tail_bytes: u64,
    /// Pending messages still queued, by id.
    pub pending: BTreeMap<u64, Vec<u8>>,
    /// Higher than every pending id seen.
    pub next_pending_id: u64,
    /// Records found missing whose loss the recovery option accepts
    /// ([`FileStoreError::MissingRecords`]); the sequence numbers above
    /// are then those the store had reached, never lower.
    pub lost: Option<FileStoreError>,
}

/// Sequence numbers `from..to` as an inclusive range, if any.
fn span(from: SeqNum, to: SeqNum) -> Option<(SeqNum, SeqNum)> {
    (to > from).then(|| (from, to - 1))
}

/// Reads the store named `prefix` in `dir`. With `expected`, every file must
/// name that session; without, the newest file's session is taken. `None`
/// if the store has no segment yet.
///
/// `checkpoint` is the store's sequence-number record and its file, when
/// there is one: records it shows were written and are gone are a
/// [`FileStoreError::MissingRecords`] error, or an accepted loss when
/// `accept_missing` (opening with [`Recovery::TruncateCorruptTail`], and
/// inspection, which reports the loss rather than failing on it). So is a
/// closed segment that ends before the state the next segment's header
/// starts from.
pub(crate) fn recover(
    dir: &Path,
    prefix: &str,
    expected: Option<&SessionKey>,
    options: &FileStoreOptions,
    segments: &[u64],
    checkpoint: Option<(&Checkpoint, &Path)>,
    accept_missing: bool,
) -> Result<Option<Recovered>, FileStoreError> {
    let Some(&last) = segments.last() else {
        return Ok(None);
    };
    let path_of = |n: u64| dir.join(segment_name(prefix, n));
    let (chain, first, key) = read_chain(segments, expected, &path_of)?;
    let obsolete = segments[..first].to_vec();
    let Some(key) = key else {
        return Ok(None);
    };
    let mut replay = Replay::new(options, last);
    for (i, link) in chain.iter().enumerate() {
        replay.segment(i, link, options, accept_missing, &path_of)?;
    }
    let (mut next_sender, mut next_target, creation_time) = replay.state;
    if let Some((c, evidence)) = checkpoint {
        if let Some(missing) = check_checkpoint(c, evidence, &replay.kept, replay.state, &path_of) {
            if !accept_missing {
                return Err(missing);
            }
            // The loss is accepted; the numbers already used stay used.
            next_sender = next_sender.max(c.next_sender);
            next_target = next_target.max(c.next_target);
            replay.lost.get_or_insert(missing);
        }
    }
    Ok(Some(replay.into_recovered(
        key,
        obsolete,
        (next_sender, next_target, creation_time),
    )))
}

impl Recovered {
    /// What a new store starts from: its first segment, `len` bytes long
    /// (a header and no record), and sequence numbers 1 created `now`.
    pub(crate) fn empty(
        key: SessionKey,
        options: &FileStoreOptions,
        now: UtcTimestamp,
        len: u64,
    ) -> Recovered {
        let mut replay = Replay::new(options, 1);
        replay.kept.push((1, len));
        replay.into_recovered(key, Vec::new(), (1, 1, now))
    }
}

/// A segment of the current sequence, opened, with its header and the
/// header's length.
struct Link {
    number: u64,
    file: File,
    header: SegmentHeader,
    header_len: u64,
}

/// Walks back from the newest of `segments` to the one that starts the
/// current sequence (or the oldest present, when history trims removed
/// it), checking each header. Returns that chain oldest first, the index
/// in `segments` where it begins (those before are obsolete), and the
/// session the files name (`expected`, when given).
fn read_chain(
    segments: &[u64],
    expected: Option<&SessionKey>,
    path_of: &dyn Fn(u64) -> PathBuf,
) -> Result<(Vec<Link>, usize, Option<SessionKey>), FileStoreError> {
    let mut chain = Vec::new();
    let mut expected_key = expected.cloned();
    let mut i = segments.len();
    while i > 0 {
        i -= 1;
        let number = segments[i];
        let path = path_of(number);
        let file = File::open(&path).map_err(at(&path))?;
        let (header, header_len) = read_header(&path, &file)?;
        if header.number != number {
            return Err(FileStoreError::BadHeader {
                path,
                reason: "segment number does not match the file name",
            });
        }
        match &expected_key {
            Some(k) if *k != header.key => {
                return Err(FileStoreError::WrongSession {
                    path,
                    expected: describe(k),
                    found: describe(&header.key),
                });
            }
            Some(_) => {}
            None => expected_key = Some(header.key.clone()),
        }
        let starts = header.starts_sequence;
        chain.push(Link {
            number,
            file,
            header,
            header_len,
        });
        if starts {
            break;
        }
        if i > 0 && segments[i - 1] != number - 1 {
            return Err(FileStoreError::MissingSegment {
                path: path_of(number - 1),
            });
        }
    }
    chain.reverse();
    Ok((chain, i, expected_key))
}

/// What replaying a chain's records has built so far.
struct Replay {
    /// The newest segment's number.
    last: u64,
    index: MessageIndex,
    /// Next sender and target MsgSeqNum, and the sequence's creation time.
    state: (SeqNum, SeqNum, UtcTimestamp),
    /// Segments read: number and valid length.
    kept: Vec<(u64, u64)>,
    active_messages: u64,
    active_message_bytes: u64,
    torn_tail_bytes: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    next_pending_id: u64,
    lost: Option<FileStoreError>,
}

impl Replay {
    fn new(options: &FileStoreOptions, last: u64) -> Replay {
        Replay {
            last,
            index: MessageIndex::new(options.history),
            state: (1, 1, UtcTimestamp::UNIX_EPOCH),
            kept: Vec::new(),
            active_messages: 0,
            active_message_bytes: 0,
            torn_tail_bytes: 0,
            pending: BTreeMap::new(),
            next_pending_id: 1,
            lost: None,
        }
    }

    /// What was replayed, with the sequence's `state` (next sender and
    /// target MsgSeqNum, creation time) as finally decided.
    fn into_recovered(
        self,
        key: SessionKey,
        obsolete: Vec<u64>,
        state: (SeqNum, SeqNum, UtcTimestamp),
    ) -> Recovered {
        let (next_sender, next_target, creation_time) = state;
        Recovered {
            key,
            segments: self.kept,
            obsolete,
            index: self.index,
            next_sender,
            next_target,
            creation_time,
            active_messages: self.active_messages,
            active_message_bytes: self.active_message_bytes,
            torn_tail_bytes: self.torn_tail_bytes,
            pending: self.pending,
            next_pending_id: self.next_pending_id,
            lost: self.lost,
        }
    }

    /// Replays the `i`th segment of the chain.
    fn segment(
        &mut self,
        i: usize,
        link: &Link,
        options: &FileStoreOptions,
        accept_missing: bool,
        path_of: &dyn Fn(u64) -> PathBuf,
    ) -> Result<(), FileStoreError> {
        let path = path_of(link.number);
        let header = &link.header;
        let is_last = link.number == self.last;
        let file_len = link.file.metadata().map_err(at(&path))?.len();
        if i > 0 && (self.state.0 < header.next_sender || self.state.1 < header.next_target) {
            // The closed segment before ends short of where this one
            // starts: records were cut from its end.
            let missing = FileStoreError::missing_records(
                path_of(link.number - 1),
                path.clone(),
                span(self.state.0, header.next_sender),
                span(self.state.1, header.next_target),
            );
            if !accept_missing {
                return Err(missing);
            }
            self.lost.get_or_insert(missing);
        }
        self.state = (header.next_sender, header.next_target, header.creation_time);
        if is_last {
            self.active_messages = 0;
            self.active_message_bytes = 0;
        }
        let valid = scan_records(
            &path,
            &link.file,
            link.header_len,
            file_len,
            is_last,
            options.recovery,
            |kind, value, offset, len, payload| {
                self.record(link.number, kind, value, offset, len, payload)
            },
        )?;
        if is_last {
            self.torn_tail_bytes = file_len - valid;
        }
        self.kept.push((link.number, valid));
        Ok(())
    }

    /// Applies one valid record of segment `segment`.
    fn record(
        &mut self,
        segment: u64,
        kind: RecordKind,
        value: u64,
        offset: u64,
        len: u32,
        payload: &[u8],
    ) {
        match kind {
            RecordKind::Message | RecordKind::MessageFromPending => {
                self.index.push(Entry {
                    seq: value,
                    offset,
                    segment,
                    len,
                });
                self.state.0 = value.saturating_add(1);
                if segment == self.last {
                    self.active_messages += 1;
                    self.active_message_bytes += u64::from(len);
                }
                if kind == RecordKind::MessageFromPending {
                    let mut id = [0u8; PENDING_ID_LEN];
                    id.copy_from_slice(&payload[..PENDING_ID_LEN]);
                    self.pending_done(u64::from_le_bytes(id));
                }
            }
            RecordKind::NextSenderSeqNum => self.state.0 = value,
            RecordKind::NextTargetSeqNum => self.state.1 = value,
            RecordKind::Pending => {
                self.pending.insert(value, payload.to_vec());
                self.next_pending_id = self.next_pending_id.max(value.saturating_add(1));
            }
            RecordKind::PendingDone => self.pending_done(value),
        }
    }

    /// Pending message `id` was sent or given up.
    fn pending_done(&mut self, id: u64) {
        self.pending.remove(&id);
        self.next_pending_id = self.next_pending_id.max(id.saturating_add(1));
    }
}

/// Whether the sequence-number record `c` describes the segments read
/// (`kept`), whose sequence began at `creation_time`. A record of an
/// earlier sequence (a reset a crash interrupted, a store deleted and
/// created again), or of segments since deleted by the history limit,
/// says nothing about these.
pub(crate) fn checkpoint_applies(
    c: &Checkpoint,
    kept: &[(u64, u64)],
    creation_time: UtcTimestamp,
) -> bool {
    kept.first()
        .is_some_and(|&(first, _)| c.creation_time == creation_time && c.segment >= first)
}

/// Compares the segments read (`kept`: number and valid length) and the
/// state they end in with the sequence-number record: the error when the
/// segment it describes is now shorter, or gone.
fn check_checkpoint(
    c: &Checkpoint,
    evidence: &Path,
    kept: &[(u64, u64)],
    (next_sender, next_target, creation_time): (SeqNum, SeqNum, UtcTimestamp),
    path_of: &dyn Fn(u64) -> PathBuf,
) -> Option<FileStoreError> {
    let &(last, _) = kept.last()?;
    if !checkpoint_applies(c, kept, creation_time) {
        return None;
    }
    let short = match kept.iter().find(|(n, _)| *n == c.segment) {
        Some(&(_, valid)) => valid < c.len,
        None => c.segment > last,
    };
    short.then(|| {
        FileStoreError::missing_records(
            path_of(c.segment),
            evidence.to_path_buf(),
            span(next_sender, c.next_sender),
            span(next_target, c.next_target),
        )
    })
}

/// Replays the records of one segment from `start`, calling `on_record`
/// with each valid one (kind, value, offset, payload length, and the
/// payload of the pending-message kinds; empty for the others). Returns
/// the length of the valid prefix of the file.
///
/// In the last segment, a record that a torn write explains ends the scan:
/// one cut short by the end of the file, or a checksum failure followed by
/// nothing but zeros (what a power loss leaves in unwritten blocks), or a
/// payload checksum failure in the very last record. Anything else is
/// `Corrupt`, unless `recovery` asks to drop it.
fn scan_records(
    path: &Path,
    file: &File,
    start: u64,
    file_len: u64,
    is_last: bool,
    recovery: Recovery,
    mut on_record: impl FnMut(RecordKind, u64, u64, u32, &[u8]),
) -> Result<u64, FileStoreError> {
    let corrupt = |offset, reason| FileStoreError::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let repair = is_last && recovery == Recovery::TruncateCorruptTail;
    let mut reader = BufReader::with_capacity(SCAN_BUFFER, file);
    reader.seek(SeekFrom::Start(start)).map_err(at(path))?;
    let mut pos = start;
    let mut payload = Vec::new();
    loop {
        if pos >= file_len {
            return Ok(pos);
        }
        if file_len - pos < RECORD_HEADER_LEN as u64 {
            return if is_last {
                Ok(pos)
            } else {
                Err(corrupt(pos, "record cut short in a closed segment"))
            };
        }
        let mut hb = [0u8; RECORD_HEADER_LEN];
        reader.read_exact(&mut hb).map_err(at(path))?;
        let Some(h) = decode_record_header(&hb) else {
            if repair || (is_last && all_zero(path, file, pos, file_len)?) {
                return Ok(pos);
            }
            return Err(corrupt(pos, "record header checksum mismatch"));
        };
        let kind = match h.kind {
            Some(k @ (RecordKind::Message | RecordKind::Pending)) => k,
            Some(RecordKind::MessageFromPending) if h.len as usize >= PENDING_ID_LEN => {
                RecordKind::MessageFromPending
            }
            Some(k @ (RecordKind::NextSenderSeqNum | RecordKind::NextTargetSeqNum))
                if h.len == 0 =>
            {
                k
            }
            Some(RecordKind::PendingDone) if h.len == 0 => RecordKind::PendingDone,
            _ if repair => return Ok(pos),
            Some(RecordKind::MessageFromPending) => {
                return Err(corrupt(pos, "message record without its pending id"))
            }
            Some(RecordKind::PendingDone) => {
                return Err(corrupt(pos, "pending message record with a payload"))
            }
            Some(_) => return Err(corrupt(pos, "sequence number record with a payload")),
            None => return Err(corrupt(pos, "unknown record kind")),
        };
        let keep = matches!(kind, RecordKind::Pending | RecordKind::MessageFromPending);
        payload.clear();
        let end = pos + RECORD_HEADER_LEN as u64 + u64::from(h.len);
        if end > file_len {
            return if is_last {
                Ok(pos)
            } else {
                Err(corrupt(pos, "record runs past the end of a closed segment"))
            };
        }
        let mut hasher = crc32fast::Hasher::new();
        let mut left = h.len as usize;
        while left > 0 {
            let buf = reader.fill_buf().map_err(at(path))?;
            if buf.is_empty() {
                return Err(FileStoreError::io(
                    path,
                    io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being read"),
                ));
            }
            let n = left.min(buf.len());
            hasher.update(&buf[..n]);
            if keep {
                payload.extend_from_slice(&buf[..n]);
            }
            reader.consume(n);
            left -= n;
        }
        if hasher.finalize() != h.payload_crc {
            if repair || (is_last && (end == file_len || all_zero(path, file, end, file_len)?)) {
                return Ok(pos);
            }
            return Err(corrupt(pos, "record checksum mismatch"));
        }
        on_record(kind, h.value, pos, h.len, &payload);
        pos = end;
    }
}

/// Whether every byte of `file` in `from..to` is zero.
fn all_zero(path: &Path, file: &File, from: u64, to: u64) -> Result<bool, FileStoreError> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(from)).map_err(at(path))?;
    let mut left = to.saturating_sub(from);
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = reader.read(&mut buf[..want]).map_err(at(path))?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}
