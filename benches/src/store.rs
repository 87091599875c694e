//! The file store's own cost per durability mode: saving a 200-byte
//! message and flushing, and recording the next incoming MsgSeqNum and
//! flushing (as a receiving session does once per pass of the engine's
//! loop), one per flush and 64 per flush; and reading 1,000 stored
//! messages back for a resend.

use fixrs_proto::UtcTimestamp;
use fixrs_session::{Role, SessionKey, Store, StoreError};
use fixrs_store::{Durability, FileStore, FileStoreError, FileStoreOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// A NewOrderSingle of typical size (about 200 bytes).
const MESSAGE: &[u8] = b"8=FIX.4.4\x019=178\x0135=D\x0134=1000000\x0149=BANK\x0152=20240102-10:11:12.345\x0156=EXCH\x0111=ORD-0000000001\x011=ACCOUNT-1\x0121=1\x0155=EURUSD\x0154=1\x0160=20240102-10:11:12.345\x0138=1000000\x0140=2\x0144=1.08765\x0159=0\x01526=CLIENT-REF-1\x0110=123\x01";

/// The durability modes measured, in the order of [`StoreRun`]'s arrays.
pub const MODES: [Durability; 3] = [
    Durability::Flush,
    Durability::FsyncEvery(Duration::from_millis(10)),
    Durability::Fsync,
];

/// Why a store measurement failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreBenchError {
    /// Opening the store failed.
    #[error(transparent)]
    Open(#[from] FileStoreError),
    /// Saving, flushing or reading failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A temporary directory could not be made.
    #[error("temporary directory: {0}")]
    TempDir(#[from] std::io::Error),
}

/// One measurement of the store: microseconds per message.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreRun {
    /// Save + flush with one message per flush, per [`MODES`].
    pub per_message: [f64; 3],
    /// Save + flush with 64 messages per flush, per message, per [`MODES`].
    pub batch_64: [f64; 3],
    /// Next incoming MsgSeqNum recorded + flush, one per flush, per
    /// [`MODES`].
    pub incoming: [f64; 3],
    /// The same with 64 per flush, per message, per [`MODES`].
    pub incoming_64: [f64; 3],
    /// Reading 1,000 stored messages for a resend, in microseconds.
    pub visit_1000: f64,
}

fn key() -> SessionKey {
    crate::engine::config(Role::Initiator, "BANK", "EXCH").key()
}

/// What one round of [`per_message`] does before its flush.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// Save an outgoing message.
    Save,
    /// Record the next incoming MsgSeqNum.
    Incoming,
}

/// Does `batch` units of `work` and flushes, repeatedly for about `budget`
/// (at least ten times, after two for warm-up); microseconds per unit.
fn per_message(
    dir: &Path,
    durability: Durability,
    work: Work,
    batch: u64,
    budget: Duration,
) -> Result<f64, StoreBenchError> {
    // A history limit keeps the disk use of a long run bounded.
    let options = FileStoreOptions::default()
        .with_durability(durability)
        .with_max_messages(200_000);
    let mut store = FileStore::open(dir, &key(), options, UtcTimestamp::UNIX_EPOCH)?;
    let mut sent = store.next_sender_seq_num();
    let mut received = store.next_target_seq_num();
    let mut round = |store: &mut FileStore| -> Result<(), StoreBenchError> {
        for _ in 0..batch {
            match work {
                Work::Save => {
                    store.save_outgoing(sent, MESSAGE)?;
                    sent += 1;
                }
                Work::Incoming => {
                    received += 1;
                    store.set_next_target_seq_num(received)?;
                }
            }
        }
        store.flush()?;
        Ok(())
    };
    round(&mut store)?;
    round(&mut store)?;
    let start = Instant::now();
    let mut rounds = 0u64;
    while rounds < 10 || start.elapsed() < budget {
        round(&mut store)?;
        rounds += 1;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / (rounds * batch) as f64)
}

/// Reads messages 4,001 to 5,000 of 10,000 stored; microseconds per visit.
fn visit_1000(dir: &Path, budget: Duration) -> Result<f64, StoreBenchError> {
    let mut store = FileStore::open(
        dir,
        &key(),
        FileStoreOptions::default(),
        UtcTimestamp::UNIX_EPOCH,
    )?;
    for seq in 1..=10_000 {
        store.save_outgoing(seq, MESSAGE)?;
    }
    store.flush()?;
    let mut bytes = 0usize;
    let start = Instant::now();
    let mut rounds = 0u64;
    while rounds < 10 || start.elapsed() < budget {
        store.outgoing(4_001, 5_000, &mut |_, m| bytes += m.len())?;
        rounds += 1;
    }
    std::hint::black_box(bytes);
    Ok(start.elapsed().as_secs_f64() * 1e6 / rounds as f64)
}

/// Measures every mode once, each for about `budget`, with stores in fresh
/// directories under `dir` (on the disk to measure: syncs cost what they
/// cost there).
pub fn measure(dir: &Path, budget: Duration) -> Result<StoreRun, StoreBenchError> {
    let mut run = StoreRun::default();
    for (i, mode) in MODES.into_iter().enumerate() {
        let figures = [
            (&mut run.per_message[i], Work::Save, 1),
            (&mut run.batch_64[i], Work::Save, 64),
            (&mut run.incoming[i], Work::Incoming, 1),
            (&mut run.incoming_64[i], Work::Incoming, 64),
        ];
        for (figure, work, batch) in figures {
            let fresh = tempfile::tempdir_in(dir)?;
            *figure = per_message(fresh.path(), mode, work, batch, budget)?;
        }
    }
    let visit = tempfile::tempdir_in(dir)?;
    run.visit_1000 = visit_1000(visit.path(), budget)?;
    Ok(run)
}
