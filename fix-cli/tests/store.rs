//! `fixctl store DIR` on stores built for the purpose: a whole one, one
//! whose segment lost records the sequence-number file shows were written
//! (which opening refuses), one without a sequence-number file, and one
//! with an unreadable header; the exact text, the exit status, and that no
//! file was touched.

use fixrs_proto::UtcTimestamp;
use fixrs_session::{SessionId, SessionKey, Store};
use fixrs_store::{FileStore, FileStoreOptions};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixctl_store(dir: &Path) -> (String, Output) {
    let out = Command::new(env!("CARGO_BIN_EXE_fixctl"))
        .arg("store")
        .arg(dir)
        .output()
        .expect("run fixctl");
    (
        String::from_utf8(out.stdout.clone()).expect("UTF-8 output"),
        out,
    )
}

fn key(sender: &str, target: &str) -> SessionKey {
    SessionKey::new("FIX.4.4", SessionId::new(sender, target))
}

fn created() -> UtcTimestamp {
    UtcTimestamp::from_unix(1_700_000_000, 123_000_000)
}

/// A store of `k` with outgoing messages 1..=`count` and the peer's
/// 2..=`count`+1 processed, one flush each. Returns its segment and the
/// segment's length after each flush (record boundaries).
fn store(dir: &Path, k: &SessionKey, count: u64) -> (PathBuf, Vec<u64>) {
    let mut s = FileStore::open(dir, k, FileStoreOptions::default(), created()).unwrap();
    let path = s.segment_paths()[0].clone();
    let mut lengths = vec![fs::metadata(&path).unwrap().len()];
    for seq in 1..=count {
        let m = format!("8=FIX.4.4\x019=0\x0135=D\x0134={seq:03}\x0110=000\x01");
        s.save_outgoing(seq, m.as_bytes()).unwrap();
        s.set_next_target_seq_num(seq + 2).unwrap();
        s.flush().unwrap();
        lengths.push(fs::metadata(&path).unwrap().len());
    }
    (path, lengths)
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let modified = fs::metadata(&p).unwrap().modified().unwrap();
            (p.clone(), (fs::read(&p).unwrap(), modified))
        })
        .collect()
}

#[test]
fn stores_are_shown_as_opening_would_find_them_and_nothing_is_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_, whole) = store(dir, &key("AAA", "EXCH"), 5);
    let (cut_path, cut) = store(dir, &key("BANK", "EXCH"), 20);
    let (_, plain) = store(dir, &key("CCC", "EXCH"), 3);
    store(dir, &key("DDD", "EXCH"), 1);
    // BANK's segment cut at a record boundary after message 12: a clean,
    // shorter log that only the sequence-number file shows was longer.
    let bytes = fs::read(&cut_path).unwrap();
    fs::write(&cut_path, &bytes[..cut[12] as usize]).unwrap();
    // CCC: a store written before sequence-number files existed.
    fs::remove_file(dir.join("FIX.4.4+CCC+EXCH.seqnums")).unwrap();
    // DDD: an unreadable header.
    let ddd = dir.join("FIX.4.4+DDD+EXCH.1.log");
    let mut b = fs::read(&ddd).unwrap();
    b[3] ^= 0xff;
    fs::write(&ddd, b).unwrap();

    let before = snapshot(dir);
    let (text, out) = fixctl_store(dir);
    assert_eq!(snapshot(dir), before, "fixctl store changed a file");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let seqnums = dir.join("FIX.4.4+BANK+EXCH.seqnums");
    let expected = format!(
        "\
FIX.4.4:AAA->EXCH
  files:         FIX.4.4+AAA+EXCH.*
  state:         ok
  next sender:   6
  next target:   7
  seqnums file:  sender 6, target 7
  created:       20231114-22:13:20.123000000
  messages:      5 (MsgSeqNum 1 to 5)
  pending:       0
  segments:      1, {whole} bytes

FIX.4.4:BANK->EXCH
  files:         FIX.4.4+BANK+EXCH.*
  state:         records missing: opening refuses the store
  missing:       store file {cut_path} lost the outgoing messages MsgSeqNum 13 to 20 and the count of incoming MsgSeqNum 14 to 21 (already processed) it once held, as {seqnums} shows
                 (Recovery::TruncateCorruptTail accepts the loss and resumes at the numbers below)
  next sender:   21
  next target:   22
  seqnums file:  sender 21, target 22
  created:       20231114-22:13:20.123000000
  messages:      12 (MsgSeqNum 1 to 12)
  pending:       0
  segments:      1, {cut_len} bytes

FIX.4.4:CCC->EXCH
  files:         FIX.4.4+CCC+EXCH.*
  state:         ok
  next sender:   4
  next target:   5
  seqnums file:  none (nothing to check the segments against)
  created:       20231114-22:13:20.123000000
  messages:      3 (MsgSeqNum 1 to 3)
  pending:       0
  segments:      1, {plain} bytes

FIX.4.4+DDD+EXCH
  files:         FIX.4.4+DDD+EXCH.*
  state:         unreadable: unreadable store header in {ddd}: not a FIX store file (bad magic)
                 (opening fails the same way)

4 stores: 2 ok, 1 with records missing, 1 unreadable
",
        whole = whole[5],
        cut_path = cut_path.display(),
        seqnums = seqnums.display(),
        cut_len = cut[12],
        plain = plain[3],
        ddd = ddd.display(),
    );
    assert_eq!(text, expected);
}

#[test]
fn healthy_stores_exit_zero_and_a_torn_tail_is_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, lengths) = store(tmp.path(), &key("BANK", "EXCH"), 2);
    // No sequence-number file, so a torn last record is all there is.
    fs::remove_file(tmp.path().join("FIX.4.4+BANK+EXCH.seqnums")).unwrap();
    // Message 2's record cut 5 bytes in, as a crash mid-write leaves it.
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..lengths[1] as usize + 5]).unwrap();
    let (text, out) = fixctl_store(tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("  state:         ok\n"), "{text}");
    assert!(
        text.contains("  messages:      1 (MsgSeqNum 1 to 1)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  torn tail:     5 bytes (a record cut by a crash or being written; opening drops it)\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("1 store: 1 ok, 0 with records missing, 0 unreadable\n"));

    let empty = tempfile::tempdir().unwrap();
    let (text, out) = fixctl_store(empty.path());
    assert!(out.status.success());
    assert_eq!(
        text,
        format!("no file store in {}\n", empty.path().display())
    );

    let out = Command::new(env!("CARGO_BIN_EXE_fixctl"))
        .args(["store"])
        .arg(empty.path().join("absent"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("fixctl: error: I/O error on "), "{err}");
}
