//! Read-only inspection reports what opening would find: the sequence
//! numbers the sequence-number file records, and records it shows were
//! written and are gone (which opening refuses, or accepts losing with
//! `Recovery::TruncateCorruptTail`), without touching any file; a listing
//! shows a bad store as bad and the others normally.

mod common;

use common::{key, message, rotating_store, store_with_boundaries, t, TempDir};
use fixrs_session::{SessionKey, Store};
use fixrs_store::{
    FileStore, FileStoreError, FileStoreOptions, RecordedSeqNums, Recovery, StoreSummary,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const MESSAGES: u64 = 50;

/// Every file in `dir`: its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                (
                    fs::read(&p).unwrap(),
                    fs::metadata(&p).unwrap().modified().unwrap(),
                ),
            )
        })
        .collect()
}

/// Runs `inspect` and `list` on `dir` and checks that neither created,
/// changed or removed a file; returns inspect's summary of `k` and the
/// listing's summary of the same store.
fn inspect_and_list(dir: &Path, k: &SessionKey) -> (StoreSummary, StoreSummary) {
    let before = snapshot(dir);
    let inspected = FileStore::inspect(dir, k).unwrap().expect("a store");
    let listed = FileStore::list(dir).unwrap();
    assert_eq!(snapshot(dir), before, "reading changed the directory");
    let listed = listed
        .into_iter()
        .find_map(|l| l.summary.ok().filter(|s| s.key == *k))
        .expect("the store in the listing");
    (inspected, listed)
}

fn seqnums_path(dir: &Path) -> PathBuf {
    dir.join("FIX.4.4+BANK+EXCH.seqnums")
}

/// The recorded (sender, target, current) of a summary.
fn recorded(s: &StoreSummary) -> Option<(u64, u64, bool)> {
    s.recorded
        .map(|r: RecordedSeqNums| (r.next_sender_seq_num, r.next_target_seq_num, r.current))
}

#[test]
fn a_store_matching_its_sequence_number_file_is_reported_whole() {
    let dir = TempDir::new("inspect-match");
    let k = key("BANK", "EXCH");
    store_with_boundaries(dir.path(), &k, MESSAGES);
    let (inspected, listed) = inspect_and_list(dir.path(), &k);
    assert_eq!(inspected, listed);
    assert_eq!(inspected.next_sender_seq_num, MESSAGES + 1);
    assert_eq!(inspected.next_target_seq_num, MESSAGES + 2);
    assert_eq!(
        recorded(&inspected),
        Some((MESSAGES + 1, MESSAGES + 2, true))
    );
    assert_eq!(inspected.missing_records, None);
    assert_eq!(inspected.message_count, MESSAGES);
    // What opening finds: the same numbers, and the same report.
    let s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2)).unwrap();
    assert_eq!(s.next_sender_seq_num(), inspected.next_sender_seq_num);
    assert_eq!(s.next_target_seq_num(), inspected.next_target_seq_num);
    let open = s.summary();
    assert_eq!(recorded(&open), recorded(&inspected));
    assert_eq!(open.missing_records, None);
}

#[test]
fn records_cut_behind_the_sequence_number_file_are_reported_as_open_would_refuse_them() {
    let dir = TempDir::new("inspect-cut");
    let k = key("BANK", "EXCH");
    let (path, lengths) = store_with_boundaries(dir.path(), &k, MESSAGES);
    // Cut at a record boundary: what is left reads as a clean, shorter log.
    let kept = MESSAGES - 12;
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..lengths[kept as usize] as usize]).unwrap();

    let (inspected, listed) = inspect_and_list(dir.path(), &k);
    assert_eq!(inspected, listed);
    assert_eq!(inspected.message_count, kept);
    assert_eq!(inspected.last_seq_num, Some(kept));
    assert_eq!(inspected.torn_tail_bytes, 0);
    assert_eq!(
        recorded(&inspected),
        Some((MESSAGES + 1, MESSAGES + 2, true))
    );
    let missing = inspected.missing_records.clone().expect("records missing");
    assert_eq!(missing.path, path);
    assert_eq!(missing.evidence, seqnums_path(dir.path()));
    assert_eq!(missing.sent, Some((kept + 1, MESSAGES)));
    assert_eq!(missing.received, Some((kept + 2, MESSAGES + 1)));
    // Never lower than the numbers already used.
    assert_eq!(inspected.next_sender_seq_num, MESSAGES + 1);
    assert_eq!(inspected.next_target_seq_num, MESSAGES + 2);

    // Opening refuses it, for the reason inspection gave...
    match FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2)) {
        Err(FileStoreError::MissingRecords(m)) => assert_eq!(*m, missing),
        other => panic!("expected MissingRecords, got {other:?}"),
    }
    // ...and accepting the loss resumes where inspection said.
    let accept = FileStoreOptions::default().with_recovery(Recovery::TruncateCorruptTail);
    let s = FileStore::open(dir.path(), &k, accept, t(2)).unwrap();
    assert_eq!(s.next_sender_seq_num(), inspected.next_sender_seq_num);
    assert_eq!(s.next_target_seq_num(), inspected.next_target_seq_num);
    assert_eq!(s.summary().missing_records, Some(missing));
    drop(s);
    // Once accepted the store is whole again.
    let (after, _) = inspect_and_list(dir.path(), &k);
    assert_eq!(after.missing_records, None);
    assert_eq!(after.next_sender_seq_num, MESSAGES + 1);
    assert_eq!(recorded(&after), Some((MESSAGES + 1, MESSAGES + 2, true)));
}

#[test]
fn a_closed_segment_cut_short_is_reported() {
    let dir = TempDir::new("inspect-closed");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_segment_bytes(4096);
    let (paths, boundaries) = rotating_store(dir.path(), &k, opts, 200);
    assert!(paths.len() >= 3, "{paths:?}");
    let first = &paths[0];
    let in_first: Vec<_> = boundaries.iter().filter(|(p, _, _)| p == first).collect();
    let (_, len, seq) = in_first[in_first.len() - 4];
    let content = fs::read(first).unwrap();
    fs::write(first, &content[..*len as usize]).unwrap();

    let (inspected, listed) = inspect_and_list(dir.path(), &k);
    assert_eq!(inspected, listed);
    let missing = inspected.missing_records.clone().expect("records missing");
    assert_eq!(&missing.path, first);
    assert_eq!(&missing.evidence, &paths[1]);
    assert_eq!(missing.sent.map(|(from, _)| from), Some(seq + 1));
    assert_eq!(inspected.next_sender_seq_num, 201);
    match FileStore::open(dir.path(), &k, opts, t(2)) {
        Err(FileStoreError::MissingRecords(m)) => assert_eq!(*m, missing),
        other => panic!("expected MissingRecords, got {other:?}"),
    }
}

#[test]
fn without_a_sequence_number_file_the_segments_are_reported_and_none_is_created() {
    let dir = TempDir::new("inspect-none");
    let k = key("BANK", "EXCH");
    store_with_boundaries(dir.path(), &k, MESSAGES);
    fs::remove_file(seqnums_path(dir.path())).unwrap();
    let (inspected, listed) = inspect_and_list(dir.path(), &k);
    assert_eq!(inspected, listed);
    assert_eq!(inspected.recorded, None);
    assert_eq!(inspected.missing_records, None);
    assert_eq!(inspected.next_sender_seq_num, MESSAGES + 1);
    assert_eq!(inspected.next_target_seq_num, MESSAGES + 2);
    assert!(!seqnums_path(dir.path()).exists());
    let s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2)).unwrap();
    assert_eq!(s.next_sender_seq_num(), MESSAGES + 1);
}

#[test]
fn a_sequence_number_file_of_an_earlier_sequence_is_reported_as_not_current() {
    let dir = TempDir::new("inspect-stale");
    let k = key("BANK", "EXCH");
    store_with_boundaries(dir.path(), &k, MESSAGES);
    let old = fs::read(seqnums_path(dir.path())).unwrap();
    {
        let mut s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2)).unwrap();
        s.reset(t(3)).unwrap();
        s.save_outgoing(1, &message("b", 1)).unwrap();
        s.flush().unwrap();
    }
    // As a crash during the reset can leave it: the old sequence's record.
    fs::write(seqnums_path(dir.path()), old).unwrap();
    let (inspected, _) = inspect_and_list(dir.path(), &k);
    assert_eq!(
        recorded(&inspected),
        Some((MESSAGES + 1, MESSAGES + 2, false))
    );
    assert_eq!(inspected.missing_records, None);
    assert_eq!(inspected.next_sender_seq_num, 2);
    assert_eq!(inspected.creation_time, t(3));
    let s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(4)).unwrap();
    assert_eq!(s.next_sender_seq_num(), 2);
}

#[test]
fn a_listing_shows_a_bad_store_as_bad_and_the_others_normally() {
    let dir = TempDir::new("inspect-list");
    let good_a = key("AAA", "EXCH");
    let cut = key("BANK", "EXCH");
    let broken = key("CCC", "EXCH");
    let good_d = key("DDD", "EXCH");
    for k in [&good_a, &broken, &good_d] {
        let mut s = FileStore::open(dir.path(), k, FileStoreOptions::default(), t(1)).unwrap();
        s.save_outgoing(1, &message("x", 1)).unwrap();
        s.flush().unwrap();
    }
    let (path, lengths) = store_with_boundaries(dir.path(), &cut, MESSAGES);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..lengths[10] as usize]).unwrap();
    // An unreadable header: opening fails on it, and so does reading it.
    let broken_segment = dir.path().join("FIX.4.4+CCC+EXCH.1.log");
    let mut b = fs::read(&broken_segment).unwrap();
    b[3] ^= 0xff;
    fs::write(&broken_segment, b).unwrap();

    let before = snapshot(dir.path());
    let listed = FileStore::list(dir.path()).unwrap();
    assert_eq!(snapshot(dir.path()), before);
    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "FIX.4.4+AAA+EXCH",
            "FIX.4.4+BANK+EXCH",
            "FIX.4.4+CCC+EXCH",
            "FIX.4.4+DDD+EXCH"
        ]
    );
    for (l, k) in listed.iter().zip([&good_a, &cut]) {
        assert_eq!(&l.summary.as_ref().unwrap().key, k);
    }
    assert_eq!(listed[0].summary.as_ref().unwrap().missing_records, None);
    let m = listed[1].summary.as_ref().unwrap().missing_records.as_ref();
    assert_eq!(m.and_then(|m| m.sent), Some((11, MESSAGES)));
    match &listed[2].summary {
        Err(FileStoreError::BadHeader { path, .. }) => assert_eq!(path, &broken_segment),
        other => panic!("expected BadHeader, got {other:?}"),
    }
    let d = listed[3].summary.as_ref().unwrap();
    assert_eq!(
        (&d.key, d.message_count, d.missing_records.as_ref()),
        (&good_d, 1, None)
    );
    assert!(matches!(
        FileStore::inspect(dir.path(), &broken),
        Err(FileStoreError::BadHeader { .. })
    ));
}
