//! The Python module (`fixrs`) next to QuickFIX's Python bindings, from
//! Python, on the same messages and the same counterparty: the script
//! `fix-python/bench/bench.py`, run in the repository's `.venv` (made by
//! `bash .ci/setup-python`) with this program as its benchmark peer.

use crate::engine::BenchError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository this crate was built from.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python measurements of one run: p50 and p99 round trip in
/// microseconds, and put rates in messages per second (until the last
/// reply arrived, and of the puts alone).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PythonRun {
    /// Round trip with `fixrs` (p50, p99), us.
    pub fixrs: (f64, f64),
    /// Round trip with QuickFIX's bindings (p50, p99), us.
    pub quickfix: (f64, f64),
    /// Put rate with `fixrs` (until the last reply, puts alone), msg/s.
    pub fixrs_rate: (f64, f64),
    /// Put rate with QuickFIX's bindings, msg/s.
    pub quickfix_rate: (f64, f64),
}

/// The venv's interpreter, with the `fixrs` module built in release mode
/// into it first unless `rebuild` is false (then the installed module is
/// used as it is).
pub fn prepare(rebuild: bool) -> Result<PathBuf, BenchError> {
    let root = repository();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        return Err(BenchError::Peer(format!(
            "{} is missing: run `bash .ci/setup-python` first (or leave Python out with --only)",
            python.display()
        )));
    }
    if rebuild {
        let status = Command::new(root.join(".venv/bin/maturin"))
            .args(["develop", "--release", "--quiet", "-m"])
            .arg(root.join("fix-python/Cargo.toml"))
            .env("VIRTUAL_ENV", root.join(".venv"))
            .current_dir(&root)
            // Its progress lines would land in the report.
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            return Err(BenchError::Peer(
                "`maturin develop --release` of fix-python failed".into(),
            ));
        }
    }
    Ok(python)
}

/// One run of the Python benchmark: `round_trips` after `warmup`, and
/// `orders` put back to back; `peer` is a program with fixctl's
/// `bench-peer` command.
pub fn measure(
    python: &Path,
    peer: &Path,
    round_trips: u64,
    warmup: u64,
    orders: u64,
) -> Result<PythonRun, BenchError> {
    let output = Command::new(python)
        .arg(repository().join("fix-python/bench/bench.py"))
        .args(["--machine", "--runs", "1"])
        .args(["--round-trips", &round_trips.to_string()])
        .args(["--warmup", &warmup.to_string()])
        .args(["--orders", &orders.to_string()])
        .env("FIXCTL", peer)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::Peer(format!(
            "fix-python/bench/bench.py failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse(&text).ok_or_else(|| BenchError::Peer(format!("cannot read bench.py's output: {text}")))
}

/// Reads the `name value value` lines of `bench.py --machine`.
fn parse(text: &str) -> Option<PythonRun> {
    let pair = |name: &str| -> Option<(f64, f64)> {
        text.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            if words.next()? != name {
                return None;
            }
            Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
        })
    };
    Some(PythonRun {
        fixrs: pair("fixrs")?,
        quickfix: pair("qf")?,
        fixrs_rate: pair("fixrs_rate")?,
        quickfix_rate: pair("qf_rate")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_lines_of_bench_py_are_read() {
        let run = parse(
            "fixrs 7.9 19.5\nqf 23.8 62.6\nfixrs_rate 723000.0 1000000.5\nqf_rate 47000 80000\n",
        )
        .expect("parsed");
        assert_eq!(run.fixrs, (7.9, 19.5));
        assert_eq!(run.quickfix, (23.8, 62.6));
        assert_eq!(run.fixrs_rate, (723000.0, 1000000.5));
        assert_eq!(run.quickfix_rate, (47000.0, 80000.0));
        assert_eq!(parse("fixrs 1 2\n"), None);
    }
}
