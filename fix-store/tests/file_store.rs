//! Behaviour of the file store: round trips, reopening, recovery from torn
//! and damaged files, history limits, resets and file naming.

mod common;

use common::{collect, key, message, t, TempDir};
use fixrs_session::{SessionKey, Store, StoreError};
use fixrs_store::{Durability, FileStore, FileStoreError, FileStoreOptions, Recovery};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

const RECORD_HEADER: usize = 21;

fn open(dir: &Path, k: &SessionKey) -> Result<FileStore, FileStoreError> {
    FileStore::open(dir, k, FileStoreOptions::default(), t(1_000))
}

fn expected(salt: &str, seqs: impl IntoIterator<Item = u64>) -> Vec<(u64, Vec<u8>)> {
    seqs.into_iter().map(|s| (s, message(salt, s))).collect()
}

fn save_range(store: &mut FileStore, salt: &str, seqs: std::ops::RangeInclusive<u64>) {
    for s in seqs {
        store.save_outgoing(s, &message(salt, s)).unwrap();
    }
}

/// The segment files in `dir` (the sequence-number files left out).
fn segment_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect()
}

/// The sequence-number file of the one store in `dir`.
fn seqnums_file(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seqnums"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

fn only_segment(store: &FileStore) -> PathBuf {
    let paths = store.segment_paths();
    assert_eq!(paths.len(), 1, "expected a single segment: {paths:?}");
    paths[0].clone()
}

#[test]
fn round_trip_saves_and_visits_ranges() {
    let dir = TempDir::new("roundtrip");
    let k = key("BANK", "EXCH");
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (1, 1));
    assert_eq!(s.creation_time(), t(1_000));
    save_range(&mut s, "a", 1..=100);
    assert_eq!(s.next_sender_seq_num(), 101);
    // Visible before a flush too.
    assert_eq!(collect(&mut s, 1, 100), expected("a", 1..=100));
    s.flush().unwrap();
    assert_eq!(collect(&mut s, 10, 20), expected("a", 10..=20));
    assert_eq!(collect(&mut s, 95, 1_000), expected("a", 95..=100));
    assert_eq!(collect(&mut s, 50, 40), vec![]);
    assert_eq!(collect(&mut s, 101, 200), vec![]);
    assert_eq!(collect(&mut s, 0, 0), vec![]);
    let sum = s.summary();
    assert_eq!(sum.message_count, 100);
    assert_eq!((sum.first_seq_num, sum.last_seq_num), (Some(1), Some(100)));
}

#[test]
fn reopen_restores_seq_nums_messages_and_creation_time() {
    let dir = TempDir::new("reopen");
    let k = key("BANK", "EXCH");
    {
        let mut s = open(dir.path(), &k).unwrap();
        save_range(&mut s, "a", 1..=50);
        s.set_next_target_seq_num(33).unwrap();
        s.flush().unwrap();
    }
    {
        let mut s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(9_999)).unwrap();
        assert_eq!(s.creation_time(), t(1_000));
        assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (51, 33));
        assert_eq!(collect(&mut s, 1, 50), expected("a", 1..=50));
        save_range(&mut s, "a", 51..=60);
        s.set_next_target_seq_num(40).unwrap();
        // Dropped without an explicit flush: drop writes what is pending.
    }
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (61, 40));
    assert_eq!(collect(&mut s, 1, 60), expected("a", 1..=60));
}

#[test]
fn target_seq_num_changes_between_flushes_cost_one_record() {
    let dir = TempDir::new("target");
    let k = key("BANK", "EXCH");
    let mut s = open(dir.path(), &k).unwrap();
    let before = s.summary().disk_bytes;
    for n in 2..=500 {
        s.set_next_target_seq_num(n).unwrap();
    }
    s.flush().unwrap();
    assert_eq!(s.summary().disk_bytes, before + RECORD_HEADER as u64);
    s.flush().unwrap();
    assert_eq!(s.summary().disk_bytes, before + RECORD_HEADER as u64);
    drop(s);
    assert_eq!(open(dir.path(), &k).unwrap().next_target_seq_num(), 500);
}

#[test]
fn sender_seq_num_set_persists_and_moving_back_replaces_later_messages() {
    let dir = TempDir::new("sender");
    let k = key("BANK", "EXCH");
    {
        let mut s = open(dir.path(), &k).unwrap();
        save_range(&mut s, "a", 1..=10);
        s.set_next_sender_seq_num(5).unwrap();
        assert_eq!(s.next_sender_seq_num(), 5);
        s.save_outgoing(5, &message("b", 5)).unwrap();
        s.flush().unwrap();
        let mut want = expected("a", 1..=4);
        want.push((5, message("b", 5)));
        assert_eq!(collect(&mut s, 1, 20), want);
        s.set_next_sender_seq_num(1_000).unwrap();
        s.flush().unwrap();
    }
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!(s.next_sender_seq_num(), 1_000);
    let mut want = expected("a", 1..=4);
    want.push((5, message("b", 5)));
    assert_eq!(collect(&mut s, 1, 20), want);
}

/// Builds a store holding messages 1..=5 and returns the segment file's
/// bytes and where the record of message 5 starts. The sequence-number
/// file is left as it was before message 5 was flushed: as if the process
/// died after writing that record and before recording it there (it is
/// written after the segment), which is when the last record can be torn.
fn five_messages(dir: &Path, k: &SessionKey) -> (PathBuf, Vec<u8>, usize) {
    let mut s = open(dir, k).unwrap();
    save_range(&mut s, "a", 1..=4);
    s.flush().unwrap();
    let seqnums = seqnums_file(dir);
    let before = fs::read(&seqnums).unwrap();
    save_range(&mut s, "a", 5..=5);
    s.flush().unwrap();
    let path = only_segment(&s);
    drop(s);
    fs::write(&seqnums, before).unwrap();
    let bytes = fs::read(&path).unwrap();
    let last_start = bytes.len() - RECORD_HEADER - message("a", 5).len();
    (path, bytes, last_start)
}

#[test]
fn torn_tail_is_dropped_at_every_truncation_point() {
    let dir = TempDir::new("torn");
    let k = key("BANK", "EXCH");
    let (path, bytes, last_start) = five_messages(dir.path(), &k);
    for cut in last_start..bytes.len() {
        fs::write(&path, &bytes[..cut]).unwrap();
        let mut s = open(dir.path(), &k).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        assert_eq!(s.next_sender_seq_num(), 5, "cut at {cut}");
        assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=4), "cut at {cut}");
        drop(s);
        assert_eq!(
            fs::metadata(&path).unwrap().len(),
            last_start as u64,
            "cut at {cut}"
        );
    }
    // After recovery the store appends cleanly.
    let mut s = open(dir.path(), &k).unwrap();
    s.save_outgoing(5, &message("c", 5)).unwrap();
    s.flush().unwrap();
    drop(s);
    let mut s = open(dir.path(), &k).unwrap();
    let mut want = expected("a", 1..=4);
    want.push((5, message("c", 5)));
    assert_eq!(collect(&mut s, 1, 10), want);
}

#[test]
fn torn_sequence_number_record_is_dropped() {
    let dir = TempDir::new("tornseq");
    let k = key("BANK", "EXCH");
    let mut s = open(dir.path(), &k).unwrap();
    // The crash comes before the flush is recorded in the sequence-number
    // file (see `five_messages`).
    let before = fs::read(seqnums_file(dir.path())).unwrap();
    save_range(&mut s, "a", 1..=3);
    s.set_next_target_seq_num(9).unwrap();
    s.flush().unwrap();
    let path = only_segment(&s);
    drop(s);
    fs::write(seqnums_file(dir.path()), before).unwrap();
    let bytes = fs::read(&path).unwrap();
    for cut in bytes.len() - RECORD_HEADER..bytes.len() {
        fs::write(&path, &bytes[..cut]).unwrap();
        let mut s = open(dir.path(), &k).unwrap();
        assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (4, 1));
        assert_eq!(collect(&mut s, 1, 3), expected("a", 1..=3));
    }
}

#[test]
fn bit_flips_in_the_tail_record_are_detected() {
    let dir = TempDir::new("flip");
    let k = key("BANK", "EXCH");
    let (path, bytes, last_start) = five_messages(dir.path(), &k);
    for bit in last_start * 8..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        fs::write(&path, &b).unwrap();
        let in_header = bit / 8 < last_start + RECORD_HEADER;
        match open(dir.path(), &k) {
            Ok(mut s) => {
                assert!(!in_header, "header flip at bit {bit} was accepted");
                // A damaged last record is dropped, never returned.
                assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=4), "bit {bit}");
                assert_eq!(s.next_sender_seq_num(), 5);
            }
            Err(FileStoreError::Corrupt {
                path: p, offset, ..
            }) => {
                assert!(in_header, "payload flip at bit {bit} reported as corrupt");
                assert_eq!(p, path);
                assert_eq!(offset, last_start as u64);
            }
            Err(e) => panic!("bit {bit}: unexpected error {e}"),
        }
    }
}

#[test]
fn zero_filled_tail_from_a_power_loss_is_dropped() {
    let dir = TempDir::new("zeros");
    let k = key("BANK", "EXCH");
    let (path, bytes, last_start) = five_messages(dir.path(), &k);
    let seqnums = seqnums_file(dir.path());
    let recorded = fs::read(&seqnums).unwrap();
    // Unwritten blocks after the last record.
    let mut b = bytes.clone();
    b.extend_from_slice(&[0; 4096]);
    fs::write(&path, &b).unwrap();
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=5));
    drop(s);
    assert_eq!(fs::read(&path).unwrap(), bytes);
    // The last record's payload never reached the disk (nor, then, its
    // record in the sequence-number file).
    fs::write(&seqnums, &recorded).unwrap();
    let mut b = bytes.clone();
    for x in &mut b[last_start + RECORD_HEADER + 3..] {
        *x = 0;
    }
    b.extend_from_slice(&[0; 100]);
    fs::write(&path, &b).unwrap();
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=4));
}

#[test]
fn damage_before_the_tail_is_a_corrupt_error_naming_file_and_offset() {
    let dir = TempDir::new("corrupt");
    let k = key("BANK", "EXCH");
    let (path, bytes, _) = five_messages(dir.path(), &k);
    let header_len = bytes.len()
        - (1..=5)
            .map(|s| RECORD_HEADER + message("a", s).len())
            .sum::<usize>();
    let second = header_len + RECORD_HEADER + message("a", 1).len();
    for at in [second + 2, second + RECORD_HEADER + 4] {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        fs::write(&path, &b).unwrap();
        match open(dir.path(), &k) {
            Err(FileStoreError::Corrupt {
                path: p, offset, ..
            }) => {
                assert_eq!((p, offset), (path.clone(), second as u64));
            }
            other => panic!("byte {at}: expected Corrupt, got {other:?}"),
        }
        let err = StoreError::from(open(dir.path(), &k).unwrap_err());
        assert!(matches!(err, StoreError::Corrupt(ref m) if m.contains(&second.to_string())));
        // Nothing was changed by the failed open.
        assert_eq!(fs::read(&path).unwrap(), b);
    }
    // An operator can accept the loss and repair; the sequence numbers
    // the store had used (up to 4, by its sequence-number file) are not
    // used again.
    let opts = FileStoreOptions::default().with_recovery(Recovery::TruncateCorruptTail);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1_000)).unwrap();
    assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=1));
    assert_eq!(s.next_sender_seq_num(), 5);
    assert!(matches!(
        s.lost_on_open(),
        Some(FileStoreError::MissingRecords(m)) if m.sent == Some((2, 4))
    ));
}

#[test]
fn wrong_session_header_is_a_typed_error() {
    let dir = TempDir::new("wrong");
    let other = TempDir::new("wrong-other");
    let a = key("BANK", "EXCH");
    let b = key("BANK", "EXCH2");
    let a_path = {
        let mut s = open(dir.path(), &a).unwrap();
        save_range(&mut s, "a", 1..=3);
        s.flush().unwrap();
        only_segment(&s)
    };
    let b_name = only_segment(&open(other.path(), &b).unwrap())
        .file_name()
        .unwrap()
        .to_owned();
    let b_path = dir.path().join(b_name);
    fs::copy(&a_path, &b_path).unwrap();
    match open(dir.path(), &b) {
        Err(FileStoreError::WrongSession {
            path,
            expected,
            found,
        }) => {
            assert_eq!(path, b_path);
            assert!(expected.contains("EXCH2"));
            assert!(found.contains("EXCH") && !found.contains("EXCH2"));
        }
        other => panic!("expected WrongSession, got {other:?}"),
    }
    assert!(matches!(
        StoreError::from(open(dir.path(), &b).unwrap_err()),
        StoreError::WrongSession(_)
    ));
    // The foreign file was left alone, and A still opens.
    assert_eq!(fs::read(&b_path).unwrap(), fs::read(&a_path).unwrap());
    assert_eq!(open(dir.path(), &a).unwrap().next_sender_seq_num(), 4);
}

#[test]
fn unreadable_header_is_a_typed_error() {
    let dir = TempDir::new("header");
    let k = key("BANK", "EXCH");
    let (path, bytes, _) = five_messages(dir.path(), &k);
    let header_len = bytes.len()
        - (1..=5)
            .map(|s| RECORD_HEADER + message("a", s).len())
            .sum::<usize>();
    let mut flipped = bytes.clone();
    flipped[header_len - 10] ^= 1;
    let mut bad_magic = bytes.clone();
    bad_magic[0] = b'X';
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"hello, world\n".to_vec()),
        ("half header", bytes[..header_len / 2].to_vec()),
        ("prefix only", bytes[..header_len - 1].to_vec()),
        ("flipped", flipped),
        ("bad magic", bad_magic),
        ("zeros", vec![0; 4096]),
    ];
    for (what, content) in cases {
        fs::write(&path, &content).unwrap();
        match open(dir.path(), &k) {
            Err(FileStoreError::BadHeader { path: p, .. }) => assert_eq!(p, path, "{what}"),
            other => panic!("{what}: expected BadHeader, got {other:?}"),
        }
        assert!(matches!(
            StoreError::from(open(dir.path(), &k).unwrap_err()),
            StoreError::Corrupt(_)
        ));
        assert_eq!(fs::read(&path).unwrap(), content, "{what}: file changed");
    }
}

#[test]
fn history_limit_by_messages_keeps_the_latest_and_bounds_disk_use() {
    let dir = TempDir::new("histmsg");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default()
        .with_max_messages(100)
        .with_segment_bytes(4096);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
    let max_record = (RECORD_HEADER + message("a", 60).len() + 60) as u64;
    for seq in 1..=10_000 {
        s.save_outgoing(seq, &message("a", seq)).unwrap();
        if seq % 10 == 0 {
            s.flush().unwrap();
            let sum = s.summary();
            assert!(sum.message_count <= 100);
            // The kept window, plus at most one partly needed segment and
            // the active one.
            assert!(
                sum.disk_bytes < 100 * max_record + 3 * 4096,
                "{} bytes on disk",
                sum.disk_bytes
            );
        }
    }
    s.flush().unwrap();
    assert_eq!(collect(&mut s, 1, 10_000), expected("a", 9_901..=10_000));
    let on_disk: u64 = segment_files(dir.path())
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(on_disk, s.summary().disk_bytes);
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
    assert_eq!(s.next_sender_seq_num(), 10_001);
    assert_eq!(collect(&mut s, 1, 10_000), expected("a", 9_901..=10_000));
}

#[test]
fn history_limit_by_bytes_keeps_the_latest() {
    let dir = TempDir::new("histbytes");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_max_bytes(10_000);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
    save_range(&mut s, "a", 1..=2_000);
    s.flush().unwrap();
    let kept = collect(&mut s, 1, 2_000);
    let bytes: usize = kept.iter().map(|(_, m)| m.len()).sum();
    assert!(bytes <= 10_000);
    let first = kept[0].0;
    assert!(bytes + message("a", first - 1).len() > 10_000);
    assert_eq!(kept, expected("a", first..=2_000));
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
    assert_eq!(collect(&mut s, 1, 2_000), expected("a", first..=2_000));
    assert!(s.summary().segment_count <= 2);
}

#[test]
fn messages_across_many_segments_are_visited_in_order() {
    let dir = TempDir::new("segments");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_segment_bytes(4096);
    {
        let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
        for seq in 1..=2_000 {
            s.save_outgoing(seq, &message("a", seq)).unwrap();
            if seq % 7 == 0 {
                s.flush().unwrap();
            }
        }
        s.set_next_target_seq_num(77).unwrap();
    }
    let mut s = FileStore::open(dir.path(), &k, opts, t(2)).unwrap();
    assert!(s.summary().segment_count > 20);
    assert_eq!(
        (s.next_sender_seq_num(), s.next_target_seq_num()),
        (2_001, 77)
    );
    assert_eq!(collect(&mut s, 1, 2_000), expected("a", 1..=2_000));
    assert_eq!(collect(&mut s, 333, 1_444), expected("a", 333..=1_444));
    assert_eq!(s.creation_time(), t(1));
}

#[test]
fn reset_drops_the_log_and_sets_seq_nums_durably() {
    let dir = TempDir::new("reset");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_segment_bytes(4096);
    let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
    save_range(&mut s, "a", 1..=500);
    s.set_next_target_seq_num(42).unwrap();
    s.flush().unwrap();
    assert!(s.summary().segment_count > 1);
    s.save_outgoing(501, &message("a", 501)).unwrap(); // unflushed, dropped by the reset
    s.reset(t(5_000)).unwrap();
    assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (1, 1));
    assert_eq!(s.creation_time(), t(5_000));
    assert_eq!(collect(&mut s, 1, 1_000), vec![]);
    assert_eq!(segment_files(dir.path()).len(), 1);
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(9)).unwrap();
    assert_eq!((s.next_sender_seq_num(), s.next_target_seq_num()), (1, 1));
    assert_eq!(s.creation_time(), t(5_000));
    assert_eq!(collect(&mut s, 1, 1_000), vec![]);
    save_range(&mut s, "b", 1..=3);
    s.flush().unwrap();
    drop(s);
    let mut s = FileStore::open(dir.path(), &k, opts, t(9)).unwrap();
    assert_eq!(collect(&mut s, 1, 1_000), expected("b", 1..=3));
}

#[test]
fn reset_interrupted_before_deleting_old_segments_is_completed_on_open() {
    let dir = TempDir::new("resetcrash");
    let aside = TempDir::new("resetcrash-aside");
    let k = key("BANK", "EXCH");
    let mut s = open(dir.path(), &k).unwrap();
    save_range(&mut s, "a", 1..=10);
    s.flush().unwrap();
    let old = only_segment(&s);
    let saved = aside.path().join("old");
    fs::copy(&old, &saved).unwrap();
    s.reset(t(7)).unwrap();
    drop(s);
    fs::copy(&saved, &old).unwrap(); // as if the crash came before the delete
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!(s.next_sender_seq_num(), 1);
    assert_eq!(s.creation_time(), t(7));
    assert_eq!(collect(&mut s, 1, 100), vec![]);
    assert!(!old.exists());
}

#[test]
fn half_created_segment_is_removed_on_open() {
    let dir = TempDir::new("tmp");
    let k = key("BANK", "EXCH");
    let (path, _, _) = five_messages(dir.path(), &k);
    let name = path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .replace(".1.log", ".2.tmp");
    let tmp = dir.path().join(name);
    fs::write(&tmp, b"FIXST").unwrap();
    let mut s = open(dir.path(), &k).unwrap();
    assert!(!tmp.exists());
    assert_eq!(collect(&mut s, 1, 10), expected("a", 1..=5));
}

#[test]
fn missing_or_cut_closed_segment_is_an_error() {
    let dir = TempDir::new("missing");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_segment_bytes(4096);
    let paths = {
        let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
        for seq in 1..=400 {
            s.save_outgoing(seq, &message("a", seq)).unwrap();
            s.flush().unwrap();
        }
        s.segment_paths()
    };
    assert!(paths.len() >= 3);
    let middle = &paths[1];
    let content = fs::read(middle).unwrap();
    fs::write(middle, &content[..content.len() - 3]).unwrap();
    match FileStore::open(dir.path(), &k, opts, t(1)) {
        Err(FileStoreError::Corrupt { path, .. }) => assert_eq!(&path, middle),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    fs::remove_file(middle).unwrap();
    match FileStore::open(dir.path(), &k, opts, t(1)) {
        Err(FileStoreError::MissingSegment { path }) => assert_eq!(&path, middle),
        other => panic!("expected MissingSegment, got {other:?}"),
    }
}

fn with(mut k: SessionKey, f: impl FnOnce(&mut SessionKey)) -> SessionKey {
    f(&mut k);
    k
}

#[test]
fn sessions_in_one_directory_never_collide() {
    let dir = TempDir::new("collide");
    let keys = vec![
        key("A-B", "C"),
        key("A", "B-C"),
        key("A+B", "C"),
        key("A", "B+C"),
        key("A_B", "C"),
        key("A/B", "C"),
        key("AB", "C"),
        key("A", "C"),
        with(key("A", "C"), |k| k.id.sender_sub_id = Some("B".into())),
        with(key("A", "C"), |k| k.id.sender_sub_id = Some(String::new())),
        with(key("A", "C"), |k| {
            k.id.sender_location_id = Some("B".into())
        }),
        with(key("A", "C"), |k| k.id.target_sub_id = Some("B".into())),
        with(key("A", "C"), |k| k.id.qualifier = Some("B".into())),
        key("A,sB", "C"),
        key("A", "C+B"),
        with(key("A", "C"), |k| k.begin_string = "FIXT.1.1".into()),
        key(&"L".repeat(300), "C1"),
        key(&"L".repeat(300), "C2"),
    ];
    for (i, k) in keys.iter().enumerate() {
        let mut s = open(dir.path(), k).unwrap();
        s.save_outgoing(1, &message(&format!("s{i}"), 1)).unwrap();
        s.set_next_target_seq_num(i as u64 + 10).unwrap();
        s.flush().unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        let mut s = open(dir.path(), k).unwrap();
        assert_eq!(s.next_target_seq_num(), i as u64 + 10, "{k:?}");
        assert_eq!(collect(&mut s, 1, 1), expected(&format!("s{i}"), 1..=1));
    }
    assert_eq!(segment_files(dir.path()).len(), keys.len());
    let listed = FileStore::list(dir.path()).unwrap();
    assert_eq!(listed.len(), keys.len());
    assert!(listed.iter().all(|l| l.summary.is_ok()), "{listed:?}");
}

#[test]
fn list_and_inspect_read_without_changing_anything() {
    let dir = TempDir::new("list");
    let a = key("BANK", "EXCH");
    let b = with(key("BANK", "EXCH"), |k| k.id.qualifier = Some("2".into()));
    {
        let mut s = open(dir.path(), &a).unwrap();
        s.set_next_target_seq_num(3).unwrap();
        s.flush().unwrap();
        save_range(&mut s, "a", 1..=7);
        s.flush().unwrap();
        let mut s = open(dir.path(), &b).unwrap();
        save_range(&mut s, "b", 1..=2);
        s.flush().unwrap();
    }
    let listed: Vec<_> = FileStore::list(dir.path())
        .unwrap()
        .into_iter()
        .map(|l| l.summary.unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].key, a);
    assert_eq!(listed[0].message_count, 7);
    assert_eq!(listed[0].next_sender_seq_num, 8);
    assert_eq!(listed[0].next_target_seq_num, 3);
    assert_eq!(listed[0].creation_time, t(1_000));
    assert_eq!(listed[1].key, b);
    assert_eq!(listed[1].last_seq_num, Some(2));

    let path = only_segment(&open(dir.path(), &a).unwrap());
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let sum = FileStore::inspect(dir.path(), &a).unwrap().unwrap();
    assert_eq!(sum.message_count, 6);
    assert!(sum.torn_tail_bytes > 0);
    assert_eq!(fs::read(&path).unwrap().len(), bytes.len() - 5);
    assert_eq!(
        FileStore::inspect(dir.path(), &key("X", "Y")).unwrap(),
        None
    );
}

#[test]
fn every_durability_mode_round_trips() {
    for mode in [
        Durability::Flush,
        Durability::Fsync,
        Durability::FsyncEvery(Duration::from_millis(5)),
    ] {
        let dir = TempDir::new("durability");
        let k = key("BANK", "EXCH");
        let opts = FileStoreOptions::default()
            .with_durability(mode)
            .with_segment_bytes(4096);
        {
            let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
            for seq in 1..=300 {
                s.save_outgoing(seq, &message("a", seq)).unwrap();
                if seq % 16 == 0 {
                    s.flush().unwrap();
                }
            }
            s.sync().unwrap();
            assert_eq!(s.options().durability, mode);
        }
        let mut s = FileStore::open(dir.path(), &k, opts, t(1)).unwrap();
        assert_eq!(collect(&mut s, 1, 300), expected("a", 1..=300), "{mode:?}");
    }
}

#[test]
fn large_messages_round_trip() {
    let dir = TempDir::new("large");
    let k = key("BANK", "EXCH");
    let big: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    {
        let mut s = open(dir.path(), &k).unwrap();
        s.save_outgoing(1, &big).unwrap();
        s.save_outgoing(2, b"small").unwrap();
        s.flush().unwrap();
    }
    let mut s = open(dir.path(), &k).unwrap();
    assert_eq!(
        collect(&mut s, 1, 2),
        vec![(1, big), (2, b"small".to_vec())]
    );
}

#[test]
fn store_works_through_the_trait_object() {
    let dir = TempDir::new("boxed");
    let k = key("BANK", "EXCH");
    let mut s: Box<dyn Store> = Box::new(open(dir.path(), &k).unwrap());
    s.save_outgoing(1, b"one").unwrap();
    s.flush().unwrap();
    assert_eq!(collect(&mut s, 1, 1), vec![(1, b"one".to_vec())]);
}
