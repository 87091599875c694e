//! Helpers shared by the file store tests: temporary directories, session
//! identities and deterministic messages.
#![allow(dead_code)]

use fixrs_proto::UtcTimestamp;
use fixrs_session::SessionKey;
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
