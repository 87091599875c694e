//! Helpers shared by the file store tests: temporary directories, session
//! identities, deterministic messages, and stores with their record
//! boundaries (for cutting them where a clean log would end).
#![allow(dead_code)]

use fixrs_proto::UtcTimestamp;
use fixrs_session::{SessionKey, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("fix-store-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn key(sender: &str, target: &str) -> SessionKey {
    SessionKey::new("FIX.4.4", fixrs_session::SessionId::new(sender, target))
}

pub fn t(secs: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix(secs, 123_000_000)
}

/// A FIX-looking message whose bytes and length depend on `seq` (and a
/// `salt` to tell sessions or runs apart).
pub fn message(salt: &str, seq: u64) -> Vec<u8> {
    let pad = "x".repeat(((seq * 7919) % 61) as usize);
    format!(
        "8=FIX.4.4\x019=0\x0135=D\x0134={seq}\x0149={salt}\x0111=ORD{seq}\x0158={pad}\x0110=000\x01"
    )
    .into_bytes()
}

/// Every stored message in `begin..=end`.
pub fn collect(store: &mut impl fixrs_session::Store, begin: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    store
        .outgoing(begin, end, &mut |seq, m| out.push((seq, m.to_vec())))
        .expect("outgoing");
    out
}

/// A store of `k` with outgoing messages 1..=`count` and the peer's
/// 2..=`count`+1 processed, one flush per message, in one segment. Returns
/// the segment and its length after each flush (record boundaries).
pub fn store_with_boundaries(dir: &Path, k: &SessionKey, count: u64) -> (PathBuf, Vec<u64>) {
    let mut s = FileStore::open(dir, k, FileStoreOptions::default(), t(1)).unwrap();
    let path = s.segment_paths()[0].clone();
    let mut lengths = vec![std::fs::metadata(&path).unwrap().len()];
    for seq in 1..=count {
        s.save_outgoing(seq, &message("a", seq)).unwrap();
        s.set_next_target_seq_num(seq + 2).unwrap();
        s.flush().unwrap();
        lengths.push(std::fs::metadata(&path).unwrap().len());
    }
    assert_eq!(s.segment_paths(), vec![path.clone()]);
    (path, lengths)
}

/// A store of `k` with `opts` (small segments, so that it rotates) and
/// outgoing messages 1..=`count`, one flush each. Returns its segment
/// paths, and after each flush the active segment, its length and the
/// MsgSeqNum just saved.
pub fn rotating_store(
    dir: &Path,
    k: &SessionKey,
    opts: FileStoreOptions,
    count: u64,
) -> (Vec<PathBuf>, Vec<(PathBuf, u64, u64)>) {
    let mut boundaries = Vec::new();
    let mut s = FileStore::open(dir, k, opts, t(1)).unwrap();
    for seq in 1..=count {
        s.save_outgoing(seq, &message("a", seq)).unwrap();
        s.flush().unwrap();
        let last = s.segment_paths().last().unwrap().clone();
        let len = std::fs::metadata(&last).unwrap().len();
        boundaries.push((last, len, seq));
    }
    (s.segment_paths(), boundaries)
}
