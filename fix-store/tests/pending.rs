//! The file store's queue of pending messages (late delivery in queue
//! mode): kept across reopening, rotations and resets, and taken out in
//! the same record that saves the message sent from it, so a crash at any
//! byte leaves the message either pending or sent, never both or neither.

mod common;

use common::{collect, key, message, t, TempDir};
use fixrs_session::{SessionKey, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use std::fs;
use std::path::Path;

fn open(dir: &Path, k: &SessionKey) -> FileStore {
    FileStore::open(dir, k, FileStoreOptions::default(), t(1_000)).expect("open")
}

fn pending(s: &mut FileStore) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    s.pending(&mut |id, r| out.push((id, r.to_vec()))).unwrap();
    out
}

fn record(n: u64) -> Vec<u8> {
    format!("pending order {n} {}", "x".repeat((n % 13) as usize)).into_bytes()
}

#[test]
fn pending_messages_survive_reopening_in_order() {
    let dir = TempDir::new("pending-reopen");
    let k = key("BANK", "EXCH");
    let ids: Vec<u64> = {
        let mut s = open(dir.path(), &k);
        let ids = (1..=4)
            .map(|n| s.push_pending(&record(n)).unwrap())
            .collect();
        s.flush().unwrap();
        ids
    };
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let mut s = open(dir.path(), &k);
    let want: Vec<_> = ids
        .iter()
        .zip(1..)
        .map(|(&id, n)| (id, record(n)))
        .collect();
    assert_eq!(pending(&mut s), want);
    assert_eq!(s.summary().pending_messages, 4);
    assert_eq!(
        FileStore::inspect(dir.path(), &k)
            .unwrap()
            .unwrap()
            .pending_messages,
        4
    );
    // The sequence numbers are not touched.
    assert_eq!(s.next_sender_seq_num(), 1);

    // One given up, one sent: both stay done after reopening.
    s.remove_pending(ids[1]).unwrap();
    s.save_outgoing_from_pending(1, &message("a", 1), ids[0])
        .unwrap();
    s.flush().unwrap();
    drop(s);
    let mut s = open(dir.path(), &k);
    assert_eq!(
        pending(&mut s),
        vec![(ids[2], record(3)), (ids[3], record(4))]
    );
    assert_eq!(s.next_sender_seq_num(), 2);
    // The message sent from a pending one reads back as saved.
    assert_eq!(collect(&mut s, 1, 1), vec![(1, message("a", 1))]);
    // Ids are not reused.
    let next = s.push_pending(&record(5)).unwrap();
    assert!(next > ids[3]);
}

#[test]
fn pending_messages_survive_rotations_resets_and_history_trims() {
    let dir = TempDir::new("pending-rotate");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default()
        .with_segment_bytes(4096)
        .with_max_messages(50);
    let mut ids = Vec::new();
    {
        let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
        ids.push(s.push_pending(&record(1)).unwrap());
        for seq in 1..=1_000 {
            s.save_outgoing(seq, &message("a", seq)).unwrap();
            if seq % 10 == 0 {
                s.flush().unwrap();
            }
            if seq == 500 {
                ids.push(s.push_pending(&record(2)).unwrap());
            }
        }
        s.flush().unwrap();
        // The segment holding the first pending message is long gone.
        assert!(s.summary().segment_count < 20, "{:?}", s.summary());
    }
    let mut s = FileStore::open(dir.path(), &k, opts, t(2)).unwrap();
    assert_eq!(
        pending(&mut s),
        vec![(ids[0], record(1)), (ids[1], record(2))]
    );
    assert_eq!(s.next_sender_seq_num(), 1_001);
    // A reset starts a new sequence and keeps the queue.
    s.reset(t(3)).unwrap();
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(4)).unwrap();
    assert_eq!(s.summary().segment_count, 1);
    assert_eq!((s.next_sender_seq_num(), s.creation_time()), (1, t(3)));
    assert_eq!(pending(&mut s).len(), 2);
    s.save_outgoing_from_pending(1, &message("b", 1), ids[0])
        .unwrap();
    s.save_outgoing_from_pending(2, &message("b", 2), ids[1])
        .unwrap();
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(5)).unwrap();
    assert!(pending(&mut s).is_empty());
    assert_eq!(
        collect(&mut s, 1, 2),
        vec![(1, message("b", 1)), (2, message("b", 2))]
    );
}

/// The sequence-number file of the one store in `dir`.
fn seqnums_file(dir: &Path) -> std::path::PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "seqnums"))
        .expect("sequence-number file")
}

#[test]
fn a_crash_at_any_byte_leaves_a_pending_message_either_pending_or_sent() {
    let dir = TempDir::new("pending-torn");
    let k = key("BANK", "EXCH");
    let (path, before, after, seqnums_before, id) = {
        let mut s = open(dir.path(), &k);
        s.save_outgoing(1, &message("a", 1)).unwrap();
        let id = s.push_pending(&record(1)).unwrap();
        s.flush().unwrap();
        let path = s.segment_paths().pop().unwrap();
        let before = fs::read(&path).unwrap();
        let seqnums_before = fs::read(seqnums_file(dir.path())).unwrap();
        s.save_outgoing_from_pending(2, &message("a", 2), id)
            .unwrap();
        s.flush().unwrap();
        let after = fs::read(&path).unwrap();
        (path, before, after, seqnums_before, id)
    };
    let seqnums = seqnums_file(dir.path());
    let seqnums_after = fs::read(&seqnums).unwrap();
    assert!(after.len() > before.len());
    for cut in before.len()..=after.len() {
        fs::write(&path, &after[..cut]).unwrap();
        // A crash that tears the record comes before the sequence-number
        // file is rewritten (it follows the segment).
        let recorded = if cut == after.len() {
            &seqnums_after
        } else {
            &seqnums_before
        };
        fs::write(&seqnums, recorded).unwrap();
        let mut s = open(dir.path(), &k);
        let queued = pending(&mut s);
        let sent = collect(&mut s, 2, 2);
        if cut == after.len() {
            assert!(queued.is_empty(), "cut at {cut}");
            assert_eq!(sent, vec![(2, message("a", 2))], "cut at {cut}");
            assert_eq!(s.next_sender_seq_num(), 3);
        } else {
            assert_eq!(queued, vec![(id, record(1))], "cut at {cut}");
            assert!(sent.is_empty(), "cut at {cut}");
            assert_eq!(s.next_sender_seq_num(), 2, "cut at {cut}");
        }
    }
}
