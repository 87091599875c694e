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
                 (`fixctl store repair` accepts the loss and resumes at the numbers below)
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

fn fixctl_repair(dir: &Path, sessions: &[&str]) -> (String, Output) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fixctl"));
    cmd.args(["store", "repair"]).arg(dir);
    for s in sessions {
        cmd.args(["--session", s]);
    }
    let out = cmd.output().expect("run fixctl");
    (
        String::from_utf8(out.stdout.clone()).expect("UTF-8 output"),
        out,
    )
}

/// The files of the store named `name` in `dir`, as `snapshot` has them.
fn files_of(dir: &Path, name: &str) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, _)| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{name}.")))
        })
        .collect()
}

/// BANK's segment cut at a record boundary after message `keep`: a clean,
/// shorter log that only the sequence-number file shows was longer.
fn cut(path: &Path, lengths: &[u64], keep: usize) {
    let bytes = fs::read(path).unwrap();
    fs::write(path, &bytes[..lengths[keep] as usize]).unwrap();
}

#[test]
fn repair_accepts_a_lost_tail_and_opening_resumes_from_the_numbers_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    store(dir, &key("AAA", "EXCH"), 5);
    let bank = key("BANK", "EXCH");
    let (cut_path, lengths) = store(dir, &bank, 20);
    cut(&cut_path, &lengths, 12);
    // Another damaged store, not asked for: left as it is.
    let (other_path, other) = store(dir, &key("CCC", "EXCH"), 4);
    cut(&other_path, &other, 2);
    let healthy = files_of(dir, "FIX.4.4+AAA+EXCH");
    let ccc = files_of(dir, "FIX.4.4+CCC+EXCH");

    // A name matching no store: refused before anything is touched.
    let before = snapshot(dir);
    let (_, out) = fixctl_repair(dir, &["FIX.4.4:BANK->EXCH", "FIX.4.4:NOPE->EXCH"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no file store of session FIX.4.4:NOPE->EXCH in "),
        "{err}"
    );
    assert_eq!(snapshot(dir), before);

    let (text, out) = fixctl_repair(dir, &["FIX.4.4:AAA->EXCH", "FIX.4.4+BANK+EXCH"]);
    assert!(out.status.success(), "{out:?}");
    let expected = format!(
        "\
FIX.4.4:AAA->EXCH
  files:         FIX.4.4+AAA+EXCH.*
  state:         ok, nothing missing: left untouched
  messages:      5 kept (MsgSeqNum 1 to 5)
  next sender:   6
  next target:   7

FIX.4.4:BANK->EXCH
  files:         FIX.4.4+BANK+EXCH.*
  state:         repaired: the loss below is accepted
  missing from:  {cut_path}
  shown by:      {seqnums}
  sent lost:     MsgSeqNum 13 to 20 (8 messages; a ResendRequest for them gets a SequenceReset-GapFill)
  received lost: MsgSeqNum 14 to 21 (8 messages already processed; still counted as received)
  messages:      12 kept (MsgSeqNum 1 to 12)
  next sender:   21
  next target:   22

2 stores: 1 repaired, 1 left as they were, 0 not repaired
",
        cut_path = cut_path.display(),
        seqnums = dir.join("FIX.4.4+BANK+EXCH.seqnums").display(),
    );
    assert_eq!(text, expected);
    assert_eq!(files_of(dir, "FIX.4.4+AAA+EXCH"), healthy);
    assert_eq!(files_of(dir, "FIX.4.4+CCC+EXCH"), ccc);

    // The engine's open, with the default (strict) recovery, now succeeds
    // and resumes from the numbers shown; the kept messages are intact.
    let mut s = FileStore::open(dir, &bank, FileStoreOptions::default(), created()).unwrap();
    assert!(s.lost_on_open().is_none());
    assert_eq!(s.next_sender_seq_num(), 21);
    assert_eq!(s.next_target_seq_num(), 22);
    let mut resent = Vec::new();
    s.outgoing(1, 20, &mut |seq, _| resent.push(seq)).unwrap();
    assert_eq!(resent, (1..=12).collect::<Vec<_>>());
    drop(s);

    // And the listing no longer shows it missing anything (CCC still does).
    let (text, out) = fixctl_store(dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.ends_with("3 stores: 2 ok, 1 with records missing, 0 unreadable\n"),
        "{text}"
    );
}

#[test]
fn repair_leaves_healthy_stores_byte_for_byte_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    store(dir, &key("AAA", "EXCH"), 3);
    // A torn last record is not a loss a repair accepts: opening drops it.
    let (path, lengths) = store(dir, &key("BANK", "EXCH"), 2);
    fs::remove_file(dir.join("FIX.4.4+BANK+EXCH.seqnums")).unwrap();
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..lengths[1] as usize + 5]).unwrap();
    let before = snapshot(dir);
    let (text, out) = fixctl_repair(dir, &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(snapshot(dir), before, "a healthy store was changed");
    assert_eq!(
        text.matches("  state:         ok, nothing missing: left untouched\n")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.ends_with("2 stores: 0 repaired, 2 left as they were, 0 not repaired\n"),
        "{text}"
    );

    let empty = tempfile::tempdir().unwrap();
    let (text, out) = fixctl_repair(empty.path(), &[]);
    assert!(out.status.success());
    assert_eq!(
        text,
        format!("no file store in {}\n", empty.path().display())
    );
}

#[test]
fn repair_is_refused_while_the_store_is_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bank = key("BANK", "EXCH");
    let (path, lengths) = store(dir, &bank, 6);
    // An engine has the store open, and its segment loses records
    // underneath it.
    let held = FileStore::open(dir, &bank, FileStoreOptions::default(), created()).unwrap();
    cut(&path, &lengths, 3);
    // An unreadable store beside it is reported, not repaired.
    let (ddd, _) = store(dir, &key("DDD", "EXCH"), 1);
    let mut b = fs::read(&ddd).unwrap();
    b[3] ^= 0xff;
    fs::write(&ddd, b).unwrap();

    let before = snapshot(dir);
    let (text, out) = fixctl_repair(dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(snapshot(dir), before, "a refused repair changed a file");
    let lock = dir.join("FIX.4.4+BANK+EXCH.lock");
    let expected = format!(
        "\
FIX.4.4:BANK->EXCH
  files:         FIX.4.4+BANK+EXCH.*
  state:         not repaired: the file store of session FIX.4.4:BANK->EXCH in {dir} is in use by another process or another session of this one (process {pid} holds the lock on {lock})
                 (stop the engine that has it open first)

FIX.4.4+DDD+EXCH
  files:         FIX.4.4+DDD+EXCH.*
  state:         not repaired: unreadable store header in {ddd}: not a FIX store file (bad magic)
                 (opening fails the same way)

2 stores: 0 repaired, 0 left as they were, 2 not repaired
",
        dir = dir.display(),
        pid = std::process::id(),
        lock = lock.display(),
        ddd = ddd.display(),
    );
    assert_eq!(text, expected);

    // Once the engine is gone, the same command repairs it.
    drop(held);
    let (text, out) = fixctl_repair(dir, &["FIX.4.4:BANK->EXCH"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("  sent lost:     MsgSeqNum 4 to 6 (3 messages;"),
        "{text}"
    );
    assert!(text.contains("  next sender:   7\n"), "{text}");
    let s = FileStore::open(dir, &bank, FileStoreOptions::default(), created()).unwrap();
    assert_eq!(s.next_sender_seq_num(), 7);
    assert_eq!(s.next_target_seq_num(), 8);
}
