//! The sequence-number file: a small record, written apart from the
//! segments after each flush, of how far the log had got (QuickFIX keeps
//! its sequence numbers in a file of their own in the same spirit). A
//! segment cut at a record boundary reads as a clean, shorter log; only
//! this record shows that the store once held more, and which sequence
//! numbers were lost.
//!
//! Layout: two 64-byte slots, written in turn, so that a write torn by a
//! power loss leaves the previous one readable; the valid slot with the
//! higher generation counts. Each slot (little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `FIXSEQNO` |
//! | 8 | generation |
//! | 8 | number of the active segment |
//! | 8 | its length in bytes (every record in it is complete) |
//! | 8 | next sender MsgSeqNum |
//! | 8 | next target MsgSeqNum |
//! | 8 + 4 | creation time of the sequence: Unix seconds, nanoseconds |
//! | 4 | CRC-32 of the 60 bytes above |
//!
//! It is written only after the segment bytes it describes were handed to
//! the operating system (and, in the syncing modes, synced), so it never
//! claims more than a process crash can leave: after `kill -9` the log is
//! always at least as long as it says.

use crate::error::{at, FileStoreError};
use fixrs_proto::UtcTimestamp;
use fixrs_session::SeqNum;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

const MAGIC: [u8; 8] = *b"FIXSEQNO";
const SLOT: usize = 64;

/// How far the log had got at a flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The segment being written.
    pub segment: u64,
    /// Its length: every record up to there was written.
    pub len: u64,
    pub next_sender: SeqNum,
    pub next_target: SeqNum,
    /// Tells sequences apart: a checkpoint of an older sequence (a reset
    /// interrupted by a crash, a store deleted and recreated) is stale.
    pub creation_time: UtcTimestamp,
}

fn encode(c: &Checkpoint, generation: u64) -> [u8; SLOT] {
    let mut b = [0u8; SLOT];
    b[0..8].copy_from_slice(&MAGIC);
    b[8..16].copy_from_slice(&generation.to_le_bytes());
    b[16..24].copy_from_slice(&c.segment.to_le_bytes());
    b[24..32].copy_from_slice(&c.len.to_le_bytes());
    b[32..40].copy_from_slice(&c.next_sender.to_le_bytes());
    b[40..48].copy_from_slice(&c.next_target.to_le_bytes());
    b[48..56].copy_from_slice(&c.creation_time.unix_secs().to_le_bytes());
    b[56..60].copy_from_slice(&c.creation_time.subsec_nanos().to_le_bytes());
    let crc = crc32fast::hash(&b[..60]);
    b[60..64].copy_from_slice(&crc.to_le_bytes());
    b
}

fn decode(b: &[u8]) -> Option<(Checkpoint, u64)> {
    let b: &[u8; SLOT] = b.try_into().ok()?;
    let le64 = |i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(x)
    };
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&b[60..64]);
    if b[0..8] != MAGIC || crc32fast::hash(&b[..60]) != u32::from_le_bytes(crc) {
        return None;
    }
    let mut nanos = [0u8; 4];
    nanos.copy_from_slice(&b[56..60]);
    let nanos = u32::from_le_bytes(nanos);
    if nanos >= 1_000_000_000 {
        return None;
    }
    Some((
        Checkpoint {
            segment: le64(16),
            len: le64(24),
            next_sender: le64(32),
            next_target: le64(40),
            creation_time: UtcTimestamp::from_unix(le64(48) as i64, nanos),
        },
        le64(8),
    ))
}

/// Reads the latest checkpoint and its generation; `None` when there is
/// no file or no readable slot (a store written before the file existed,
/// or a first write torn by a power loss: there is then nothing to check).
pub(crate) fn read(path: &Path) -> Result<Option<(Checkpoint, u64)>, FileStoreError> {
    let mut bytes = Vec::with_capacity(2 * SLOT);
    match File::open(path) {
        Ok(f) => {
            f.take(2 * SLOT as u64)
                .read_to_end(&mut bytes)
                .map_err(at(path))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileStoreError::io(path, e)),
    }
    let slots = bytes.chunks(SLOT).filter_map(decode);
    Ok(slots.max_by_key(|(_, generation)| *generation))
}

/// The open sequence-number file of a store.
#[derive(Debug)]
pub(crate) struct SeqNumFile {
    file: File,
    path: PathBuf,
    generation: u64,
    /// The last record written.
    last: Option<Checkpoint>,
}

impl SeqNumFile {
    /// Opens (creating) the file; writes continue after `generation`.
    pub(crate) fn open(path: PathBuf, generation: u64) -> Result<SeqNumFile, FileStoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(at(&path))?;
        Ok(SeqNumFile {
            file,
            path,
            generation,
            last: None,
        })
    }

    /// The last record written through this handle.
    pub(crate) fn last(&self) -> Option<&Checkpoint> {
        self.last.as_ref()
    }

    /// Records `c` in the slot after the last one written.
    pub(crate) fn write(&mut self, c: &Checkpoint) -> Result<(), FileStoreError> {
        let generation = self.generation.wrapping_add(1);
        let slot = encode(c, generation);
        let offset = (generation % 2) * SLOT as u64;
        write_at(&self.file, &slot, offset).map_err(at(&self.path))?;
        self.generation = generation;
        self.last = Some(*c);
        Ok(())
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, offset)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(n: u64) -> Checkpoint {
        Checkpoint {
            segment: 3,
            len: 1000 + n,
            next_sender: 10 + n,
            next_target: 20 + n,
            creation_time: UtcTimestamp::from_unix(1_700_000_000, 5),
        }
    }

    #[test]
    fn slots_alternate_and_the_latest_wins_even_when_the_other_is_torn() {
        let dir = std::env::temp_dir().join(format!("fix-seqnums-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.seqnums");
        let _ = std::fs::remove_file(&path);
        assert_eq!(read(&path).unwrap(), None);
        let mut f = SeqNumFile::open(path.clone(), 0).unwrap();
        for n in 1..=5 {
            f.write(&checkpoint(n)).unwrap();
            assert_eq!(read(&path).unwrap(), Some((checkpoint(n), n)));
        }
        // Generation 5 sits in slot 1: tear it, and generation 4 is read.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[SLOT + 30] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), Some((checkpoint(4), 4)));
        bytes[10] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
