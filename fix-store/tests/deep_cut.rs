//! Records a store once held and no longer has: a segment cut at a record
//! boundary deep inside (so that what is left reads as a clean log) is
//! found at open by comparing with the separately written sequence-number
//! file, and reported naming the file and the sequence numbers lost. An
//! operator may accept the loss; sequence numbers are then never reused.

mod common;

use common::{collect, key, message, rotating_store, store_with_boundaries, t, TempDir};
use fixrs_session::{Store, StoreError};
use fixrs_store::{FileStore, FileStoreError, FileStoreOptions, Recovery};
use std::fs;
use std::path::PathBuf;

const MESSAGES: u64 = 200;

#[test]
fn a_cut_at_a_record_boundary_deep_in_a_segment_is_reported_with_file_and_numbers() {
    let dir = TempDir::new("deepcut");
    let k = key("BANK", "EXCH");
    let (path, lengths) = store_with_boundaries(dir.path(), &k, MESSAGES);
    let original = fs::read(&path).unwrap();
    for back in [12u64, 30, 55, 87] {
        let kept = MESSAGES - back;
        let cut = lengths[kept as usize] as usize;
        fs::write(&path, &original[..cut]).unwrap();
        let err = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2))
            .expect_err("a deep cut must not open silently");
        match &err {
            FileStoreError::MissingRecords(m) => {
                assert_eq!(m.path, path, "{back} back");
                assert_eq!(m.sent, Some((kept + 1, MESSAGES)), "{back} back");
                assert_eq!(m.received, Some((kept + 2, MESSAGES + 1)), "{back} back");
                assert!(m.evidence.to_string_lossy().ends_with(".seqnums"));
            }
            other => panic!("{back} back: expected MissingRecords, got {other:?}"),
        }
        let text = err.to_string();
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(text.contains(name), "{text}");
        assert!(
            text.contains(&format!("{} to {MESSAGES}", kept + 1)),
            "{text}"
        );
        // Through the session's trait it is a corruption, with the text.
        assert!(matches!(StoreError::from(err), StoreError::Corrupt(m) if m.contains(name)));
        // The failed open changed nothing.
        assert_eq!(fs::read(&path).unwrap(), &original[..cut], "{back} back");
    }
}

#[test]
fn an_operator_may_accept_the_loss_and_no_sequence_number_is_reused() {
    let dir = TempDir::new("deepcut-accept");
    let k = key("BANK", "EXCH");
    let (path, lengths) = store_with_boundaries(dir.path(), &k, MESSAGES);
    let kept = MESSAGES - 40;
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..lengths[kept as usize] as usize]).unwrap();
    let accept = FileStoreOptions::default().with_recovery(Recovery::TruncateCorruptTail);
    let mut s = FileStore::open(dir.path(), &k, accept, t(2)).unwrap();
    assert_eq!(s.next_sender_seq_num(), MESSAGES + 1);
    assert_eq!(s.next_target_seq_num(), MESSAGES + 2);
    let got = collect(&mut s, 1, MESSAGES);
    assert_eq!(got.len() as u64, kept);
    assert_eq!(got.last().map(|(seq, _)| *seq), Some(kept));
    s.save_outgoing(MESSAGES + 1, &message("a", MESSAGES + 1))
        .unwrap();
    s.flush().unwrap();
    drop(s);
    // Accepted once: the store is consistent again.
    let mut s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(3)).unwrap();
    assert_eq!(s.next_sender_seq_num(), MESSAGES + 2);
    assert_eq!(s.next_target_seq_num(), MESSAGES + 2);
    assert_eq!(collect(&mut s, MESSAGES, MESSAGES + 1).len(), 1);
}

#[test]
fn a_closed_segment_cut_at_a_record_boundary_is_reported() {
    let dir = TempDir::new("deepcut-closed");
    let k = key("BANK", "EXCH");
    let opts = FileStoreOptions::default().with_segment_bytes(4096);
    let (paths, boundaries) = rotating_store(dir.path(), &k, opts, 400);
    assert!(paths.len() >= 3);
    let middle = &paths[1];
    // Keep the middle segment up to 12 messages before its end.
    let in_middle: Vec<&(PathBuf, u64, u64)> =
        boundaries.iter().filter(|(p, _, _)| p == middle).collect();
    let (_, len, seq) = in_middle[in_middle.len() - 13];
    let content = fs::read(middle).unwrap();
    fs::write(middle, &content[..*len as usize]).unwrap();
    match FileStore::open(dir.path(), &k, opts, t(1)) {
        Err(FileStoreError::MissingRecords(m)) => {
            assert_eq!(&m.path, middle);
            assert_eq!(m.sent.map(|(first, _)| first), Some(seq + 1));
        }
        other => panic!("expected MissingRecords, got {other:?}"),
    }
}

#[test]
fn a_store_written_before_the_sequence_number_file_existed_opens() {
    let dir = TempDir::new("deepcut-old");
    let k = key("BANK", "EXCH");
    let (_, _) = store_with_boundaries(dir.path(), &k, MESSAGES);
    for entry in fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "seqnums") {
            fs::remove_file(p).unwrap();
        }
    }
    let s = FileStore::open(dir.path(), &k, FileStoreOptions::default(), t(2)).unwrap();
    assert_eq!(s.next_sender_seq_num(), MESSAGES + 1);
}
