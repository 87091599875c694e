//! What the benchmarks read from the operating system: CPU time and
//! resident memory from `/proc`, the CPU model and count, and pinning the
//! calling thread to one CPU. Figures are zero (and names "unknown") where
//! `/proc` does not exist.

use std::io;

/// CPU time (user + system) this process used so far, in seconds.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after
    // the command name (which may contain spaces and parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    (ticks(&fields, 11) + ticks(&fields, 12)) / CLOCK_TICKS
}

/// CPU time used so far by each thread of this process: (name, seconds).
pub fn thread_cpu() -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head
            .split_once('(')
            .map(|(_, n)| n)
            .unwrap_or("")
            .to_string();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        out.push((
            name,
            (ticks(&fields, 11) + ticks(&fields, 12)) / CLOCK_TICKS,
        ));
    }
    out
}

/// `USER_HZ`: the unit of the CPU times in `/proc`, 100 on every Linux
/// architecture the engine builds for.
const CLOCK_TICKS: f64 = 100.0;

fn ticks(fields: &[&str], i: usize) -> f64 {
    fields
        .get(i)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Resident memory of this process, in bytes.
pub fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

/// The CPUs this process may run on, as the kernel lists them (`0-1`).
pub fn allowed_cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Cpus_allowed_list"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// The CPU model (the first `model name` of `/proc/cpuinfo`).
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The number of CPUs the machine has (`processor` entries of
/// `/proc/cpuinfo`), else the parallelism this process may use.
pub fn cpu_count() -> usize {
    let listed = std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0);
    if listed > 0 {
        listed
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

/// The CPUs the calling thread may run on, to restore after
/// [`pin_to_one_cpu`].
#[derive(Debug, Clone)]
pub struct Affinity(#[cfg(target_os = "linux")] rustix::thread::CpuSet);

/// Restricts the calling thread, and the threads and processes it starts
/// afterwards, to the first CPU it may run on; returns what it could run
/// on before. Linux only.
pub fn pin_to_one_cpu() -> io::Result<Affinity> {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};
        let before = sched_getaffinity(None)?;
        let first = (0..CpuSet::MAX_CPU)
            .find(|&c| before.is_set(c))
            .ok_or_else(|| io::Error::other("no CPU in this thread's affinity mask"))?;
        let mut one = CpuSet::new();
        one.set(first);
        sched_setaffinity(None, &one)?;
        Ok(Affinity(before))
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "pinning to one CPU is implemented for Linux only",
        ))
    }
}

/// Lets the calling thread run where it could before [`pin_to_one_cpu`].
pub fn restore(affinity: &Affinity) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::thread::sched_setaffinity(None, &affinity.0)?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = affinity;
    Ok(())
}
