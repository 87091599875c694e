//! One opener at a time: an exclusive advisory lock on the store's
//! `NAME.lock` file, taken before [`FileStore::open`](crate::FileStore::open)
//! reads anything and held as long as the store lives (the crate
//! documentation says what users see).
//!
//! Two writers of one store would interleave records, and one would delete
//! a segment the other still appends to, so the second opener is refused
//! at once rather than made to wait.
//!
//! - Unix: `flock(2)`, not `fcntl(2)` record locks: an `flock` lock
//!   belongs to the open file, so a second opener in the same process is
//!   refused as one in another process is, whereas `fcntl` locks belong to
//!   the process (and closing any descriptor of the file drops them). The
//!   kernel releases it when the file is closed, also by the death of the
//!   process. Solaris has no `flock`, so nothing is locked there.
//!   Dropping the lock unlocks the file explicitly before closing it: a
//!   process that another thread starts (`fork` then `exec`) gets a copy
//!   of every descriptor, shares the open file and so the lock, and keeps
//!   it until its `exec` closes the copy; closing ours alone would leave
//!   the store locked that long, and an immediate reopen, by this process
//!   or the next engine, refused.
//! - Windows: the lock file is opened without sharing; the handle is the
//!   lock, and the system closes it with the process.
//!
//! The lock file is never deleted: were it removed, a later opener would
//! create and lock a new file while another still holds the old one. It
//! holds the holder's process id, read only for the refusal's message.

use crate::error::{describe, FileStoreError};
use crate::name::lock_name;
use fixrs_session::SessionKey;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use sys::{open_locked, unlock};

/// The held lock of one store; dropping it (closing the file) releases it.
#[derive(Debug)]
pub(crate) struct StoreLock {
    file: File,
    path: std::path::PathBuf,
}

impl StoreLock {
    /// Locks the store whose files start with `prefix` in `dir`, or says
    /// who holds it, and writes this process's id in the lock file.
    pub(crate) fn acquire(
        dir: &Path,
        prefix: &str,
        key: &SessionKey,
    ) -> Result<StoreLock, FileStoreError> {
        let lock = StoreLock::take(dir, prefix, key)?;
        lock.record_holder()?;
        Ok(lock)
    }

    /// Locks the store as [`acquire`](StoreLock::acquire) does but leaves
    /// an existing lock file's contents alone, so that a store found
    /// healthy under the lock is left exactly as it was.
    pub(crate) fn take(
        dir: &Path,
        prefix: &str,
        key: &SessionKey,
    ) -> Result<StoreLock, FileStoreError> {
        let path = dir.join(lock_name(prefix));
        match open_locked(&path) {
            Ok(Some(file)) => Ok(StoreLock { file, path }),
            Ok(None) => Err(FileStoreError::Locked {
                session: describe(key),
                pid: read_holder(&path),
                path,
            }),
            Err(e) => Err(FileStoreError::io(&path, e)),
        }
    }

    /// Writes this process's id into the held lock file, for the message
    /// of an opener it refuses.
    pub(crate) fn record_holder(&self) -> Result<(), FileStoreError> {
        record_holder(&self.file).map_err(|e| FileStoreError::io(&self.path, e))
    }
}

impl Drop for StoreLock {
    /// Releases the lock at once (see the module documentation), then
    /// the file is closed.
    fn drop(&mut self) {
        unlock(&self.file);
    }
}

/// How the lock file is opened (created if missing).
fn lock_file_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    // Never truncated on open: a refused opener must not erase the
    // holder's process id.
    o.read(true).write(true).create(true).truncate(false);
    o
}

/// `flock(2)`, where there is one.
#[cfg(all(
    unix,
    not(any(
        target_os = "solaris",
        target_os = "espidf",
        target_os = "horizon",
        target_os = "vita"
    ))
))]
mod sys {
    use super::lock_file_options;
    use rustix::fs::{flock, FlockOperation};
    use rustix::io::Errno;
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// Opens and locks the lock file; `None` if someone else holds it.
    pub(super) fn open_locked(path: &Path) -> io::Result<Option<File>> {
        let file = lock_file_options().open(path)?;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(file)),
                Err(e) if e == Errno::WOULDBLOCK => return Ok(None),
                Err(e) if e == Errno::INTR => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Releases the lock of the open file, also for copies of its
    /// descriptor in processes forked meanwhile. A failure is ignored:
    /// closing the file still releases the lock once the copies are closed.
    pub(super) fn unlock(file: &File) {
        while let Err(Errno::INTR) = flock(file, FlockOperation::Unlock) {}
    }
}

/// A file opened without sharing.
#[cfg(windows)]
mod sys {
    use super::lock_file_options;
    use std::fs::File;
    use std::io;
    use std::os::windows::fs::OpenOptionsExt;
    use std::path::Path;

    /// Opens the lock file without sharing; `None` if someone else has it
    /// open.
    pub(super) fn open_locked(path: &Path) -> io::Result<Option<File>> {
        /// `ERROR_SHARING_VIOLATION`: another handle has the file open.
        const SHARING_VIOLATION: i32 = 32;
        match lock_file_options().share_mode(0).open(path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.raw_os_error() == Some(SHARING_VIOLATION) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Nothing to release but the handle, which closing the file does (it
    /// is not inherited by the processes started meanwhile).
    pub(super) fn unlock(_file: &File) {}
}

/// No file locks here (see the module documentation).
#[cfg(not(any(
    windows,
    all(
        unix,
        not(any(
            target_os = "solaris",
            target_os = "espidf",
            target_os = "horizon",
            target_os = "vita"
        ))
    )
)))]
mod sys {
    use super::lock_file_options;
    use std::fs::File;
    use std::io;
    use std::path::Path;

    /// The file is only opened, so a path that cannot be used still fails
    /// here.
    pub(super) fn open_locked(path: &Path) -> io::Result<Option<File>> {
        lock_file_options().open(path).map(Some)
    }

    /// Nothing is locked.
    pub(super) fn unlock(_file: &File) {}
}

/// Writes this process's id into the held lock file.
fn record_holder(mut file: &File) -> io::Result<()> {
    file.set_len(0)?;
    file.write_all(format!("{}\n", std::process::id()).as_bytes())
}

/// The process id the holder wrote, if it can be read.
fn read_holder(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
