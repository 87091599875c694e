//! `fixctl store DIR`: what the file stores in a directory (a
//! FileStorePath) hold, as opening them would find them, read without
//! changing or locking anything, so it is safe on the stores of a running
//! engine.
//!
//! Each store is a block: its session, state, the sequence numbers a
//! session would resume from, what the sequence-number file records,
//! records gone missing, creation time, messages kept, pending messages,
//! segments and a torn last record. A store that cannot be read is shown
//! with the reason, and the others are shown all the same.

use crate::text::escape;
use fixrs_store::{FileStore, FileStoreError, ListedStore, StoreSummary};
use std::io::{self, Write};
use std::path::Path;

/// What a listing found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Stores listed.
    pub stores: usize,
    /// Stores with records missing, which opening refuses.
    pub missing_records: usize,
    /// Stores that cannot be read (opening fails on them too).
    pub unreadable: usize,
}

impl StoreCounts {
    /// Whether every store listed would open as it is.
    pub fn all_ok(&self) -> bool {
        self.missing_records == 0 && self.unreadable == 0
    }
}

/// Why a listing could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum StoreListError {
    /// The directory could not be read.
    #[error(transparent)]
    Store(#[from] FileStoreError),
    /// Writing the output failed.
    #[error(transparent)]
    Output(#[from] io::Error),
}

/// Writes a block for each store in `dir` to `out`, then a line of counts.
pub fn list(dir: &Path, out: &mut dyn Write) -> Result<StoreCounts, StoreListError> {
    let listed = FileStore::list(dir)?;
    let mut counts = StoreCounts {
        stores: listed.len(),
        ..StoreCounts::default()
    };
    if listed.is_empty() {
        writeln!(out, "no file store in {}", shown(&dir.display()))?;
        return Ok(counts);
    }
    for (i, store) in listed.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match &store.summary {
            Ok(summary) => {
                counts.missing_records += usize::from(summary.missing_records.is_some());
                write_summary(out, store, summary)?;
            }
            Err(e) => {
                counts.unreadable += 1;
                writeln!(out, "{}", shown(&store.name))?;
                writeln!(out, "  files:         {}.*", shown(&store.name))?;
                writeln!(out, "  state:         unreadable: {}", shown(e))?;
                writeln!(out, "                 (opening fails the same way)")?;
            }
        }
    }
    let ok = counts.stores - counts.missing_records - counts.unreadable;
    writeln!(
        out,
        "\n{} {}: {ok} ok, {} with records missing, {} unreadable",
        counts.stores,
        if counts.stores == 1 {
            "store"
        } else {
            "stores"
        },
        counts.missing_records,
        counts.unreadable
    )?;
    Ok(counts)
}

fn write_summary(out: &mut dyn Write, store: &ListedStore, s: &StoreSummary) -> io::Result<()> {
    writeln!(out, "{}", shown(&s.key))?;
    writeln!(out, "  files:         {}.*", shown(&store.name))?;
    match &s.missing_records {
        None => writeln!(out, "  state:         ok")?,
        Some(m) => {
            writeln!(
                out,
                "  state:         records missing: opening refuses the store"
            )?;
            writeln!(out, "  missing:       {}", shown(m))?;
            writeln!(
                out,
                "                 (Recovery::TruncateCorruptTail accepts the loss and resumes at the numbers below)"
            )?;
        }
    }
    writeln!(out, "  next sender:   {}", s.next_sender_seq_num)?;
    writeln!(out, "  next target:   {}", s.next_target_seq_num)?;
    match s.recorded {
        None => writeln!(
            out,
            "  seqnums file:  none (nothing to check the segments against)"
        )?,
        Some(r) => writeln!(
            out,
            "  seqnums file:  sender {}, target {}{}",
            r.next_sender_seq_num,
            r.next_target_seq_num,
            if r.current {
                ""
            } else {
                " (of an earlier sequence: not checked, rewritten on open)"
            }
        )?,
    }
    writeln!(out, "  created:       {}", s.creation_time)?;
    match (s.first_seq_num, s.last_seq_num) {
        (Some(first), Some(last)) => writeln!(
            out,
            "  messages:      {} (MsgSeqNum {first} to {last})",
            s.message_count
        )?,
        _ => writeln!(out, "  messages:      {}", s.message_count)?,
    }
    writeln!(out, "  pending:       {}", s.pending_messages)?;
    writeln!(
        out,
        "  segments:      {}, {} bytes",
        s.segment_count, s.disk_bytes
    )?;
    if s.torn_tail_bytes > 0 {
        writeln!(
            out,
            "  torn tail:     {} bytes (a record cut by a crash or being written; opening drops it)",
            s.torn_tail_bytes
        )?;
    }
    Ok(())
}

/// `value` as text safe for a terminal: CompIDs and paths come from
/// files. Error messages name two paths, so the cut is generous.
fn shown(value: &dyn std::fmt::Display) -> String {
    escape(value.to_string().as_bytes(), 4096)
}
