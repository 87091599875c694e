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
//!
//! `fixctl store repair DIR`: accepts the loss of records gone missing
//! ([`FileStore::repair`]), store by store under each store's lock, and
//! shows what was dropped and the sequence numbers the session resumes
//! from; stores with nothing missing are left untouched.

use crate::text::escape;
use fixrs_proto::UtcTimestamp;
use fixrs_session::SeqNum;
use fixrs_store::{
    FileStore, FileStoreError, ListedStore, MissingRecords, StoreRepair, StoreSummary,
};
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

/// What a repair did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairCounts {
    /// Stores looked at.
    pub stores: usize,
    /// Stores whose loss was accepted.
    pub repaired: usize,
    /// Stores left as they were, having nothing missing.
    pub healthy: usize,
    /// Stores not repaired: locked by a running engine, or damaged in a
    /// way a repair does not accept (opening still fails on them).
    pub refused: usize,
}

impl RepairCounts {
    /// Whether every store looked at now opens.
    pub fn all_ok(&self) -> bool {
        self.refused == 0
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
    /// A store asked for by name is not in the directory.
    #[error("no file store of session {session} in {dir}")]
    UnknownSession {
        /// The name asked for.
        session: String,
        /// The directory.
        dir: String,
    },
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
                "                 (`fixctl store repair` accepts the loss and resumes at the numbers below)"
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
    writeln!(out, "  messages:      {}", messages(s, ""))?;
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

/// The messages a store keeps, as "12`what` (MsgSeqNum 1 to 12)".
fn messages(s: &StoreSummary, what: &str) -> String {
    match (s.first_seq_num, s.last_seq_num) {
        (Some(first), Some(last)) => {
            format!("{}{what} (MsgSeqNum {first} to {last})", s.message_count)
        }
        _ => format!("{}{what}", s.message_count),
    }
}

/// `value` as text safe for a terminal: CompIDs and paths come from
/// files. Error messages name two paths, so the cut is generous.
fn shown(value: &dyn std::fmt::Display) -> String {
    escape(value.to_string().as_bytes(), 4096)
}

/// Repairs the stores in `dir` (those named in `sessions`, by their
/// session as [`list`] shows it or by the name their files share; every
/// store when empty) with [`FileStore::repair`], writing a block for each
/// to `out`, then a line of counts. Names are all checked before any store
/// is touched.
pub fn repair(
    dir: &Path,
    sessions: &[String],
    out: &mut dyn Write,
) -> Result<RepairCounts, StoreListError> {
    let listed = FileStore::list(dir)?;
    let chosen = choose(dir, &listed, sessions)?;
    let mut counts = RepairCounts {
        stores: chosen.len(),
        ..RepairCounts::default()
    };
    if chosen.is_empty() {
        writeln!(out, "no file store in {}", shown(&dir.display()))?;
        return Ok(counts);
    }
    let now = UtcTimestamp::from(std::time::SystemTime::now());
    for (i, store) in chosen.into_iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let summary = match &store.summary {
            Ok(summary) => summary,
            Err(e) => {
                counts.refused += 1;
                write_refused(out, &store.name, &store.name, e)?;
                continue;
            }
        };
        match FileStore::repair(dir, &summary.key, now) {
            Err(e) => {
                counts.refused += 1;
                write_refused(out, &summary.key, &store.name, &e)?;
            }
            // Its segments went away since the directory was read.
            Ok(None) => {
                counts.healthy += 1;
                writeln!(out, "{}", shown(&summary.key))?;
                writeln!(out, "  files:         {}.*", shown(&store.name))?;
                writeln!(
                    out,
                    "  state:         gone (no segment left): nothing to repair"
                )?;
            }
            Ok(Some(done)) => {
                if done.dropped.is_some() {
                    counts.repaired += 1;
                } else {
                    counts.healthy += 1;
                }
                writeln!(out, "{}", shown(&summary.key))?;
                writeln!(out, "  files:         {}.*", shown(&store.name))?;
                write_repair(out, &done)?;
            }
        }
    }
    writeln!(
        out,
        "\n{} {}: {} repaired, {} left as they were, {} not repaired",
        counts.stores,
        if counts.stores == 1 {
            "store"
        } else {
            "stores"
        },
        counts.repaired,
        counts.healthy,
        counts.refused
    )?;
    Ok(counts)
}

/// The stores of `listed` that `sessions` name (all when empty), in
/// listing order; an error for a name matching none.
fn choose<'a>(
    dir: &Path,
    listed: &'a [ListedStore],
    sessions: &[String],
) -> Result<Vec<&'a ListedStore>, StoreListError> {
    let matches = |store: &ListedStore, wanted: &str| {
        store.name == wanted
            || store
                .summary
                .as_ref()
                .is_ok_and(|s| s.key.to_string() == wanted)
    };
    if let Some(unknown) = sessions
        .iter()
        .find(|wanted| !listed.iter().any(|store| matches(store, wanted)))
    {
        return Err(StoreListError::UnknownSession {
            session: shown(unknown),
            dir: shown(&dir.display()),
        });
    }
    Ok(listed
        .iter()
        .filter(|store| sessions.is_empty() || sessions.iter().any(|w| matches(store, w)))
        .collect())
}

/// The lines of a store left as it was because of `e`.
fn write_refused(
    out: &mut dyn Write,
    title: &dyn std::fmt::Display,
    name: &str,
    e: &FileStoreError,
) -> io::Result<()> {
    writeln!(out, "{}", shown(title))?;
    writeln!(out, "  files:         {}.*", shown(&name))?;
    writeln!(out, "  state:         not repaired: {}", shown(e))?;
    if matches!(e, FileStoreError::Locked { .. }) {
        writeln!(
            out,
            "                 (stop the engine that has it open first)"
        )
    } else {
        writeln!(out, "                 (opening fails the same way)")
    }
}

/// The lines of a store that [`FileStore::repair`] looked at.
fn write_repair(out: &mut dyn Write, done: &StoreRepair) -> io::Result<()> {
    match &done.dropped {
        None => writeln!(out, "  state:         ok, nothing missing: left untouched")?,
        Some(lost) => {
            writeln!(out, "  state:         repaired: the loss below is accepted")?;
            write_dropped(out, lost, done.before.torn_tail_bytes)?;
        }
    }
    let after = &done.after;
    writeln!(out, "  messages:      {}", messages(after, " kept"))?;
    writeln!(out, "  next sender:   {}", after.next_sender_seq_num)?;
    writeln!(out, "  next target:   {}", after.next_target_seq_num)
}

/// What a repair dropped: the records missing, and a torn last record.
fn write_dropped(out: &mut dyn Write, lost: &MissingRecords, torn: u64) -> io::Result<()> {
    writeln!(out, "  missing from:  {}", shown(&lost.path.display()))?;
    writeln!(out, "  shown by:      {}", shown(&lost.evidence.display()))?;
    match lost.sent {
        Some((first, last)) => writeln!(
            out,
            "  sent lost:     MsgSeqNum {first} to {last} ({}; a ResendRequest for them gets a SequenceReset-GapFill)",
            counted(first, last, "message")
        )?,
        None => writeln!(out, "  sent lost:     none")?,
    }
    match lost.received {
        Some((first, last)) => writeln!(
            out,
            "  received lost: MsgSeqNum {first} to {last} ({} already processed; still counted as received)",
            counted(first, last, "message")
        )?,
        None => writeln!(out, "  received lost: none")?,
    }
    if torn > 0 {
        writeln!(
            out,
            "  torn tail:     {torn} bytes dropped (a record cut by a crash)"
        )?;
    }
    Ok(())
}

/// `first..=last` counted, as "8 messages".
fn counted(first: SeqNum, last: SeqNum, what: &str) -> String {
    let n = last.saturating_sub(first).saturating_add(1);
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
