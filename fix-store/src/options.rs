//! How a file store trades speed for durability, and how much history it
//! keeps.

use std::time::Duration;

/// When written data is forced to stable storage.
///
/// Every mode buffers the records of saved messages in memory until
/// [`Store::flush`](fixrs_session::Store::flush), then hands them to the
/// operating system in one `write(2)`; the modes differ in when they also
/// call `fdatasync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Write to the operating system on every flush, never sync: what was
    /// flushed survives a crash of the process (even `kill -9`) but not of
    /// the machine. The default, and QuickFIX's behaviour.
    #[default]
    Flush,
    /// Write and `fdatasync` on every flush: what was flushed survives a
    /// power loss.
    Fsync,
    /// Write on every flush, and `fdatasync` in a flush when at least this
    /// long has passed since the last sync (measured with
    /// `std::time::Instant`). Data written between syncs survives a process
    /// crash; a power loss may lose what was flushed since the last sync.
    /// Nothing syncs while no flush is called: call
    /// [`FileStore::sync`](crate::FileStore::sync) from a timer to bound the
    /// window when the session goes quiet.
    FsyncEvery(Duration),
}

/// How much outgoing history is kept for resends. Messages beyond the limit
/// are not visited by [`Store::outgoing`](fixrs_session::Store::outgoing), so
/// the session answers a ResendRequest for them with a SequenceReset-GapFill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryLimit {
    /// Keep at most this many of the latest messages.
    pub max_messages: Option<u64>,
    /// Keep at most this many bytes of the latest messages (message bytes,
    /// not counting record overhead).
    pub max_bytes: Option<u64>,
}

impl HistoryLimit {
    /// No limit: every message of the current sequence is kept.
    pub const UNLIMITED: HistoryLimit = HistoryLimit {
        max_messages: None,
        max_bytes: None,
    };

    /// Whether neither limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.max_messages.is_none() && self.max_bytes.is_none()
    }
}

/// What opening a store does with damage beyond a torn last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recovery {
    /// Drop only what a torn last write explains; anything else is a
    /// [`FileStoreError::Corrupt`](crate::FileStoreError::Corrupt) error.
    #[default]
    Strict,
    /// Repair: in the newest segment, drop everything from the first bad
    /// record on (older segments must still be intact), and accept
    /// records found missing
    /// ([`FileStoreError::MissingRecords`](crate::FileStoreError::MissingRecords)),
    /// keeping the sequence numbers the store had reached so that none is
    /// used twice. Meant for an operator who has read the error and
    /// accepts the loss; it is logged as a warning and reported by
    /// [`FileStore::lost_on_open`](crate::FileStore::lost_on_open).
    TruncateCorruptTail,
}

/// Settings of a [`FileStore`](crate::FileStore).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileStoreOptions {
    /// When data is synced to stable storage.
    pub durability: Durability,
    /// How much history is kept.
    pub history: HistoryLimit,
    /// A segment file is closed and a new one started once it reaches this
    /// size (or once it alone holds the whole history limit).
    pub segment_bytes: u64,
    /// What opening does with damaged files.
    pub recovery: Recovery,
}

impl FileStoreOptions {
    /// The default segment size: 64 MiB.
    pub const DEFAULT_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
    /// The smallest segment size accepted; smaller values are raised to it.
    pub const MIN_SEGMENT_BYTES: u64 = 4096;

    /// Sets the durability mode.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Keeps at most `max` of the latest messages.
    pub fn with_max_messages(mut self, max: u64) -> Self {
        self.history.max_messages = Some(max);
        self
    }

    /// Keeps at most `max` bytes of the latest messages.
    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.history.max_bytes = Some(max);
        self
    }

    /// Sets the size at which a new segment file is started.
    pub fn with_segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes;
        self
    }

    /// Sets what opening does with damaged files.
    pub fn with_recovery(mut self, recovery: Recovery) -> Self {
        self.recovery = recovery;
        self
    }

    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes.max(Self::MIN_SEGMENT_BYTES)
    }
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        FileStoreOptions {
            durability: Durability::Flush,
            history: HistoryLimit::UNLIMITED,
            segment_bytes: Self::DEFAULT_SEGMENT_BYTES,
            recovery: Recovery::Strict,
        }
    }
}
