//! Errors of the file store: I/O, damaged files and foreign sessions.

use fixrs_session::{SeqNum, SessionKey, StoreError};
use std::io;
use std::path::{Path, PathBuf};

/// Why opening, writing or reading a [`FileStore`](crate::FileStore) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// A file operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// A store file's header is missing, truncated, or fails its checksum.
    #[error("unreadable store header in {path}: {reason}")]
    BadHeader {
        /// The store file.
        path: PathBuf,
        /// What is wrong with the header.
        reason: &'static str,
    },
    /// A store file names another session in its header.
    #[error("{path} belongs to session {found}, not {expected}")]
    WrongSession {
        /// The store file.
        path: PathBuf,
        /// The session the caller opened.
        expected: String,
        /// The session named in the file.
        found: String,
    },
    /// A store file is damaged in a way a torn last write cannot explain.
    #[error("store file {path} is corrupt at offset {offset}: {reason}")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// Byte offset of the first damaged record.
        offset: u64,
        /// What is wrong there.
        reason: &'static str,
    },
    /// A segment file between two present ones is missing.
    #[error("store segment {path} is missing")]
    MissingSegment {
        /// The file that should exist.
        path: PathBuf,
    },
    /// Records the store once held are gone: a segment is shorter than the
    /// sequence-number file (or the next segment's header) shows it was,
    /// as when a file is cut at a record boundary, which otherwise reads
    /// as a clean, shorter log. Opening refuses rather than reuse or lose
    /// sequence numbers; [`Recovery::TruncateCorruptTail`](crate::Recovery::TruncateCorruptTail)
    /// accepts the loss and keeps the sequence numbers already used.
    #[error("{0}")]
    MissingRecords(Box<MissingRecords>),
    /// A message is larger than a record can hold (4 GiB).
    #[error("message of {len} bytes is larger than a store record can hold")]
    MessageTooLarge {
        /// The message length in bytes.
        len: usize,
    },
    /// The session identity is too long to be written in a header.
    #[error("session identity is too long to store ({len} bytes)")]
    KeyTooLong {
        /// The encoded identity length in bytes.
        len: usize,
    },
    /// Another process, or another session of this process, has the store
    /// open: a store has one opener at a time, and the second is refused
    /// rather than let two writers damage each other's files.
    #[error(
        "the file store of session {session} in {} is in use by another process or another session of this one ({})",
        store_dir(path),
        holder(path, *pid)
    )]
    Locked {
        /// The store's lock file (`NAME.lock` beside its other files).
        path: PathBuf,
        /// The session whose store it is.
        session: String,
        /// The holder's process id, as it wrote it in the lock file (absent
        /// if that could not be read, as on Windows, where the holder keeps
        /// the file to itself).
        pid: Option<u32>,
    },
    /// An earlier write failed half-way and could not be rolled back, so the
    /// store refuses further work until it is reopened.
    #[error("store file {path} is unusable after a failed write that could not be rolled back")]
    Poisoned {
        /// The store file.
        path: PathBuf,
    },
}

impl FileStoreError {
    pub(crate) fn io(path: &Path, source: io::Error) -> FileStoreError {
        FileStoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A closure for `map_err` that attaches `path` to an I/O error.
pub(crate) fn at(path: &Path) -> impl FnOnce(io::Error) -> FileStoreError + '_ {
    move |source| FileStoreError::io(path, source)
}

/// What [`FileStoreError::MissingRecords`] reports: which file lost which
/// records, and how that is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "store file {path} lost {} it once held, as {evidence} shows",
    lost_numbers(*sent, *received)
)]
#[non_exhaustive]
pub struct MissingRecords {
    /// The segment file that lost records.
    pub path: PathBuf,
    /// The file that shows they existed (the sequence-number file, or the
    /// next segment).
    pub evidence: PathBuf,
    /// Outgoing MsgSeqNums lost, first and last.
    pub sent: Option<(SeqNum, SeqNum)>,
    /// Incoming MsgSeqNums already processed that the store no longer
    /// counts, first and last (they would be asked for again).
    pub received: Option<(SeqNum, SeqNum)>,
}

impl FileStoreError {
    pub(crate) fn missing_records(
        path: PathBuf,
        evidence: PathBuf,
        sent: Option<(SeqNum, SeqNum)>,
        received: Option<(SeqNum, SeqNum)>,
    ) -> FileStoreError {
        FileStoreError::MissingRecords(Box::new(MissingRecords {
            path,
            evidence,
            sent,
            received,
        }))
    }
}

/// What [`FileStoreError::MissingRecords`] lost, in words.
fn lost_numbers(sent: Option<(SeqNum, SeqNum)>, received: Option<(SeqNum, SeqNum)>) -> String {
    let mut parts = Vec::new();
    if let Some((first, last)) = sent {
        parts.push(format!("the outgoing messages MsgSeqNum {first} to {last}"));
    }
    if let Some((first, last)) = received {
        parts.push(format!(
            "the count of incoming MsgSeqNum {first} to {last} (already processed)"
        ));
    }
    if parts.is_empty() {
        "records".to_string()
    } else {
        parts.join(" and ")
    }
}

/// The directory of a store file, for messages.
fn store_dir(path: &Path) -> std::path::Display<'_> {
    path.parent().unwrap_or(path).display()
}

/// Who holds the lock of [`FileStoreError::Locked`], in words.
fn holder(path: &Path, pid: Option<u32>) -> String {
    let path = path.display();
    match pid {
        Some(pid) if pid == std::process::id() => format!("this process holds the lock on {path}"),
        Some(pid) => format!("process {pid} holds the lock on {path}"),
        None => format!("lock file {path}"),
    }
}

/// The full identity of a session, for error messages.
pub(crate) fn describe(key: &SessionKey) -> String {
    let mut s = format!("{}:{}", key.begin_string, key.id.sender_comp_id);
    if let Some(v) = &key.id.sender_sub_id {
        s.push_str(&format!("/sub={v}"));
    }
    if let Some(v) = &key.id.sender_location_id {
        s.push_str(&format!("/loc={v}"));
    }
    s.push_str(&format!("->{}", key.id.target_comp_id));
    if let Some(v) = &key.id.target_sub_id {
        s.push_str(&format!("/sub={v}"));
    }
    if let Some(v) = &key.id.target_location_id {
        s.push_str(&format!("/loc={v}"));
    }
    if let Some(v) = &key.id.qualifier {
        s.push_str(&format!(":{v}"));
    }
    s
}

impl From<FileStoreError> for StoreError {
    fn from(e: FileStoreError) -> StoreError {
        match e {
            FileStoreError::Io { path, source } => StoreError::Io(io::Error::new(
                source.kind(),
                format!("{}: {source}", path.display()),
            )),
            FileStoreError::WrongSession { .. } => StoreError::WrongSession(e.to_string()),
            FileStoreError::MessageTooLarge { .. } | FileStoreError::KeyTooLong { .. } => {
                StoreError::Io(io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
            }
            FileStoreError::Poisoned { .. } => StoreError::Io(io::Error::other(e.to_string())),
            FileStoreError::Locked { .. } => {
                StoreError::Io(io::Error::new(io::ErrorKind::ResourceBusy, e.to_string()))
            }
            FileStoreError::BadHeader { .. }
            | FileStoreError::Corrupt { .. }
            | FileStoreError::MissingSegment { .. }
            | FileStoreError::MissingRecords { .. } => StoreError::Corrupt(e.to_string()),
        }
    }
}
