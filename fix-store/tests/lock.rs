//! One opener per store: a second `FileStore::open` of the same session's
//! store, from this process or another, is refused with
//! `FileStoreError::Locked` until the first closes it or dies.
//!
//! The other process is this test binary itself, started with an
//! environment variable that turns the test function into a holder of the
//! store.

mod common;

use common::{collect, key, message, t, TempDir};
use fixrs_session::{Store, StoreError};
use fixrs_store::{FileStore, FileStoreError, FileStoreOptions};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CHILD_DIR: &str = "FIX_STORE_LOCK_CHILD_DIR";
/// The line the child prints once it holds the store.
const HELD: &str = "store held by the child";

fn open(dir: &Path) -> Result<FileStore, FileStoreError> {
    FileStore::open(dir, &key("BANK", "EXCH"), FileStoreOptions::default(), t(1))
}

/// Every file of `dir` but the lock file, with its bytes.
fn store_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|x| x != "lock"))
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Checks that `e` is the refusal of the store of BANK->EXCH in `dir`,
/// held by process `pid`, and says so in words.
fn assert_locked(e: &FileStoreError, dir: &Path, pid: u32) {
    let FileStoreError::Locked {
        path,
        session,
        pid: holder,
    } = e
    else {
        panic!("expected Locked, got {e:?}");
    };
    assert_eq!(path, &dir.join("FIX.4.4+BANK+EXCH.lock"));
    assert_eq!(session, "FIX.4.4:BANK->EXCH");
    assert_eq!(*holder, Some(pid));
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "the file store of session FIX.4.4:BANK->EXCH in {} is in use by another process or another session of this one",
            dir.display()
        )) && text.contains(&path.display().to_string()),
        "{text}"
    );
}

#[test]
fn a_second_open_in_the_same_process_is_refused_until_the_first_is_dropped() {
    let dir = TempDir::new("lock-same-process");
    let mut first = open(dir.path()).unwrap();
    first.save_outgoing(1, &message("lock", 1)).unwrap();
    first.flush().unwrap();
    let before = store_files(dir.path());

    let refused = open(dir.path()).unwrap_err();
    assert_locked(&refused, dir.path(), std::process::id());
    assert!(
        refused.to_string().contains("this process holds the lock"),
        "{refused}"
    );
    // The refused opener read and wrote nothing.
    assert_eq!(store_files(dir.path()), before);
    // Through the Store trait's error, the refusal stays recognisable.
    match StoreError::from(refused) {
        StoreError::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::ResourceBusy),
        other => panic!("expected an I/O error, got {other:?}"),
    }

    // Another session's store in the same directory has its own lock.
    let other = FileStore::open(
        dir.path(),
        &key("BANK", "OTHER"),
        FileStoreOptions::default(),
        t(1),
    )
    .unwrap();
    // A reset starts new segments but keeps the lock.
    first.reset(t(2)).unwrap();
    first.save_outgoing(1, &message("after reset", 1)).unwrap();
    first.flush().unwrap();
    assert!(matches!(
        open(dir.path()),
        Err(FileStoreError::Locked { .. })
    ));

    drop(first);
    let mut second = open(dir.path()).unwrap();
    assert_eq!(second.next_sender_seq_num(), 2);
    assert_eq!(
        collect(&mut second, 1, 1),
        vec![(1, message("after reset", 1))]
    );
    // The lock file stays (see the crate docs) and is no store of its own.
    assert!(dir.path().join("FIX.4.4+BANK+EXCH.lock").exists());
    drop((second, other));
    let listed = FileStore::list(dir.path()).unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|l| l.summary.is_ok()), "{listed:?}");
}

/// A process started by another thread gets copies of this process's
/// descriptors, the lock file's among them, and holds them from its `fork`
/// until its `exec` closes them; a store dropped in that window must be
/// free at once all the same (an engine restarting a session while a
/// thread runs a command, or a test binary whose tests start processes).
/// The child here is stopped in that window until the store is reopened.
#[cfg(unix)]
#[test]
fn a_dropped_store_is_free_while_a_process_started_meanwhile_holds_its_descriptors() {
    use std::io::Write;
    use std::os::unix::process::CommandExt;

    /// Lets the stopped child go on, also if the test fails first.
    struct Release(std::io::PipeWriter);
    impl Drop for Release {
        fn drop(&mut self) {
            let _ = self.0.write_all(b"go");
        }
    }

    let dir = TempDir::new("lock-fork");
    let first = open(dir.path()).unwrap();
    let (mut forked, forked_tx) = std::io::pipe().unwrap();
    let (release_rx, release_tx) = std::io::pipe().unwrap();
    let release = Release(release_tx);
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .arg("--list")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the closure runs in the forked child before `exec` and only
    // writes and reads a pipe (no allocation, no lock).
    unsafe {
        command.pre_exec(move || {
            (&forked_tx).write_all(b"f")?;
            let mut byte = [0];
            (&release_rx).read_exact(&mut byte)?;
            Ok(())
        });
    }
    let starter = std::thread::spawn(move || command.spawn().map(|mut c| c.wait()));
    // The child exists and holds a copy of the lock file's descriptor.
    let mut byte = [0];
    forked.read_exact(&mut byte).unwrap();

    drop(first);
    let second = open(dir.path());
    drop(release);
    let status = starter.join().unwrap().unwrap().unwrap();
    assert!(status.success(), "{status}");
    let mut second = second.unwrap();
    assert_eq!(second.next_sender_seq_num(), 1);
    second.save_outgoing(1, &message("after", 1)).unwrap();
    second.flush().unwrap();
}

/// The child: opens the store, saves and flushes message 1, says so, and
/// holds the store until its stdin closes (or it is killed).
fn hold_store(dir: &Path) {
    let mut store = open(dir).unwrap();
    let seq = store.next_sender_seq_num();
    store.save_outgoing(seq, &message("child", seq)).unwrap();
    store.flush().unwrap();
    println!("{HELD}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

#[test]
fn a_store_held_by_another_process_is_refused_and_freed_by_kill_9() {
    const NAME: &str = "a_store_held_by_another_process_is_refused_and_freed_by_kill_9";
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        hold_store(Path::new(&dir));
        return;
    }
    let dir = TempDir::new("lock-other-process");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained all along and shown if the child fails, to say why.
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(HELD) => break,
            Some(Ok(_)) => {}
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let errors = errors.join().unwrap();
                panic!(
                    "the child ended before holding the store: {other:?}; its stderr:\n{errors}"
                );
            }
        }
    }

    let refused = open(dir.path()).unwrap_err();
    assert_locked(&refused, dir.path(), child.id());
    assert!(
        refused
            .to_string()
            .contains(&format!("process {} holds the lock", child.id())),
        "{refused}"
    );
    // Reading tools take no lock: they see the holder's flushed message.
    let seen = FileStore::inspect(dir.path(), &key("BANK", "EXCH"))
        .unwrap()
        .expect("the child's store");
    assert_eq!(seen.last_seq_num, Some(1));

    child.kill().unwrap(); // SIGKILL on Unix: the child never closes the store itself.
    child.wait().unwrap();
    drop(errors.join().unwrap());
    let mut store = open(dir.path()).unwrap();
    assert_eq!(collect(&mut store, 1, 1), vec![(1, message("child", 1))]);
    assert_eq!(
        fs::read_to_string(dir.path().join("FIX.4.4+BANK+EXCH.lock")).unwrap(),
        format!("{}\n", std::process::id())
    );
}
