//! The README's performance tables: figures collected over repeated runs,
//! rendered in markdown with the median of the runs and their spread
//! (lowest-highest) in brackets, ratios first. `perf-report` fills a
//! [`Collected`] and prints [`Collected::render`]; a test checks that the
//! README's performance section has the same lines apart from the numbers
//! ([`shape`]).

use crate::codec::CodecRun;
use crate::engine::{MemoryReport, Percentiles, ThroughputReport};
use crate::latency::LatencyReport;
use crate::python::PythonRun;
use crate::store::StoreRun;
use crate::tls::TlsReport;
use std::fmt::Write;

/// The figure of each run for one measurement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spread(pub Vec<f64>);

impl Spread {
    /// The values of `items` picked by `f`.
    pub fn of<T>(items: &[T], f: impl Fn(&T) -> f64) -> Spread {
        Spread(items.iter().map(f).collect())
    }

    /// The median (the mean of the middle two for an even count).
    pub fn median(&self) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// The lowest value.
    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The highest value.
    pub fn max(&self) -> f64 {
        self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A number with three significant digits or so: `1,234`, `12.3`,
/// `1.23`; `n/a` for a value that could not be measured (a CPU time below
/// the clock's resolution in a short run).
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        let mut out = thousands(a.round() as u64);
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A figure with its unit and spread: `17.1 us (16.5-18.0)`.
pub fn cell(s: &Spread, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    format!(
        "{}{unit} ({}-{})",
        num(s.median()),
        num(s.min()),
        num(s.max())
    )
}

/// An integer with thousands separators: `1,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio with its spread: `1.27x (1.20-1.35)`.
pub fn ratio(s: &Spread) -> String {
    let r = |v: f64| {
        if v.is_finite() {
            format!("{v:.2}")
        } else {
            "n/a".into()
        }
    };
    format!("{}x ({}-{})", r(s.median()), r(s.min()), r(s.max()))
}

/// What the header line says about the run.
#[derive(Debug, Clone)]
pub struct Header {
    /// The date, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The CPU model.
    pub cpu: String,
    /// CPUs of the machine.
    pub cores: usize,
    /// Runs of each measurement.
    pub runs: usize,
}

/// Counts the runs used, for the table headings.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Round trips measured per latency run.
    pub round_trips: u64,
    /// Round trips before measuring.
    pub warmup: u64,
    /// Messages per flood run.
    pub messages: u64,
    /// Idle sessions of the memory measurement.
    pub sessions: u64,
    /// Round trips measured per TLS run.
    pub tls_round_trips: u64,
    /// Round trips before measuring, per TLS run.
    pub tls_warmup: u64,
    /// Calls per codec batch.
    pub codec_calls: u32,
    /// Round trips measured per Python run.
    pub python_round_trips: u64,
    /// Round trips before measuring, per Python run.
    pub python_warmup: u64,
    /// Orders of the Python put-rate runs.
    pub python_orders: u64,
}

/// Every figure of a report, one entry per run.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// Latency with both processes on one CPU.
    pub latency_one_cpu: Vec<LatencyReport>,
    /// Latency with the processes free to use every CPU.
    pub latency_all_cpus: Vec<LatencyReport>,
    /// Flood on one CPU: memory store, file store.
    pub flood_one_cpu: [Vec<ThroughputReport>; 2],
    /// Flood on every CPU: memory store, file store.
    pub flood_all_cpus: [Vec<ThroughputReport>; 2],
    /// Flood of the tokio engine on a current-thread runtime on one CPU:
    /// memory store, file store.
    pub tokio_flood_one_cpu: [Vec<ThroughputReport>; 2],
    /// Flood of the tokio engine on a multi-thread runtime on every CPU:
    /// memory store, file store.
    pub tokio_flood_all_cpus: [Vec<ThroughputReport>; 2],
    /// Memory per idle session.
    pub memory: Vec<MemoryReport>,
    /// TLS against plain TCP.
    pub tls: Vec<TlsReport>,
    /// The codec against fefix.
    pub codec: Vec<CodecRun>,
    /// The file store per durability mode.
    pub store: Vec<StoreRun>,
    /// The Python module against QuickFIX's Python bindings.
    pub python: Vec<PythonRun>,
}

/// One markdown table row.
fn row(out: &mut String, cells: &[&str]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn table_head(out: &mut String, cells: &[&str]) {
    if !out.is_empty() {
        out.push('\n');
    }
    row(out, cells);
    let _ = writeln!(out, "|{}", "---|".repeat(cells.len()));
}

/// A count with thousands separators.
fn count(n: u64) -> String {
    thousands(n)
}

fn thread_cpu(r: &ThroughputReport, name: &str) -> f64 {
    r.per_thread
        .iter()
        .find(|(n, _)| n == name)
        .map_or(f64::NAN, |(_, us)| *us)
}

/// One measured column of a round-trip table: its times and its client
/// CPU per round trip.
struct Column {
    times: fn(&LatencyReport) -> &Percentiles,
    cpu_us: fn(&LatencyReport) -> f64,
}

/// The columns of the round-trip tables.
const RAW: Column = Column {
    times: |r| &r.raw,
    cpu_us: |r| r.raw_cpu_us,
};
const BARE_MIO: Column = Column {
    times: |r| &r.bare_mio,
    cpu_us: |r| r.bare_mio_cpu_us,
};
const ENGINE: Column = Column {
    times: |r| &r.engine,
    cpu_us: |r| r.engine_cpu_us,
};
const TOKIO_CURRENT: Column = Column {
    times: |r| &r.tokio_current,
    cpu_us: |r| r.tokio_current_cpu_us,
};
const TOKIO_MULTI: Column = Column {
    times: |r| &r.tokio_multi,
    cpu_us: |r| r.tokio_multi_cpu_us,
};

impl Collected {
    /// The report: the header line, then one table per measurement that
    /// has runs, separated by blank lines.
    pub fn render(&self, header: &Header, counts: &Counts) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Measured {} on {}, {} cores, by `perf-report` ({} runs: the median, and the lowest-highest run in brackets).",
            header.date, header.cpu, header.cores, header.runs
        );
        let cores = header.cores;
        let mut tables = String::new();
        self.latency(&mut tables, counts, cores);
        self.bare_mio_latency(&mut tables, counts, cores);
        self.tokio_latency(&mut tables, counts, cores);
        self.flood(&mut tables, counts, cores);
        self.tokio_flood(&mut tables, counts, cores);
        self.memory(&mut tables, counts);
        self.tls(&mut tables, counts);
        self.codec(&mut tables, counts);
        self.store(&mut tables);
        self.python(&mut tables, counts);
        if !tables.is_empty() {
            out.push('\n');
            out.push_str(&tables);
        }
        out
    }

    fn latency(&self, out: &mut String, counts: &Counts, cores: usize) {
        let Some(first) = self
            .latency_one_cpu
            .first()
            .or(self.latency_all_cpus.first())
        else {
            return;
        };
        let heading = format!(
            "round trip NewOrderSingle ({} B) -> ExecutionReport ({} B), {} after {} of warm-up, peer in a second process",
            first.nos_bytes,
            first.er_bytes,
            count(counts.round_trips),
            count(counts.warmup)
        );
        table_head(
            out,
            &[&heading, "engine / raw TCP", "raw TCP", "this engine"],
        );
        self.latency_rows(out, cores, &[RAW, ENGINE], &[(1, 0)]);
    }

    /// A bare mio ping-pong beside raw TCP and the engine, in the same
    /// runs: what any readiness-based event loop pays over blocking
    /// sockets on this machine, and what the engine adds to that.
    fn bare_mio_latency(&self, out: &mut String, counts: &Counts, cores: usize) {
        if self.latency_one_cpu.is_empty() && self.latency_all_cpus.is_empty() {
            return;
        }
        let heading = format!(
            "bare mio (non-blocking sockets, one poll per end): the same round trips, {} after {} of warm-up, in the same runs",
            count(counts.round_trips),
            count(counts.warmup)
        );
        table_head(
            out,
            &[
                &heading,
                "bare mio / raw TCP",
                "engine / bare mio",
                "raw TCP",
                "bare mio",
                "this engine",
            ],
        );
        self.latency_rows(out, cores, &[RAW, BARE_MIO, ENGINE], &[(1, 0), (2, 1)]);
    }

    /// The p50, p99 and client-CPU rows of a round-trip table, for each
    /// placement of the processes measured: the ratio of each pair
    /// `(a, b)` of `ratios` (column `a` over column `b`), then each column.
    fn latency_rows(
        &self,
        out: &mut String,
        cores: usize,
        columns: &[Column],
        ratios: &[(usize, usize)],
    ) {
        let all = format!("processes free on all {cores} CPUs");
        for (runs, place) in [
            (&self.latency_one_cpu, "both processes on one CPU"),
            (&self.latency_all_cpus, all.as_str()),
        ] {
            if runs.is_empty() {
                continue;
            }
            let p50 = |c: &Column, r: &LatencyReport| (c.times)(r).p50;
            let p99 = |c: &Column, r: &LatencyReport| (c.times)(r).p99;
            let cpu = |c: &Column, r: &LatencyReport| (c.cpu_us)(r);
            for (name, pick) in [
                (
                    "p50".to_string(),
                    &p50 as &dyn Fn(&Column, &LatencyReport) -> f64,
                ),
                ("p99".to_string(), &p99),
                (
                    "client CPU per round trip (kernel included)".to_string(),
                    &cpu,
                ),
            ] {
                let mut cells = vec![format!("{name}, {place}")];
                cells.extend(ratios.iter().map(|&(a, b)| {
                    ratio(&Spread::of(runs, |r| {
                        pick(&columns[a], r) / pick(&columns[b], r)
                    }))
                }));
                cells.extend(
                    columns
                        .iter()
                        .map(|c| cell(&Spread::of(runs, |r| pick(c, r)), "us")),
                );
                let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                row(out, &cells);
            }
        }
    }

    fn flood(&self, out: &mut String, counts: &Counts, cores: usize) {
        if self
            .flood_one_cpu
            .iter()
            .chain(&self.flood_all_cpus)
            .all(Vec::is_empty)
        {
            return;
        }
        let heading = format!(
            "one session, {} NewOrderSingle one way, two engines in one process",
            count(counts.messages)
        );
        table_head(
            out,
            &[
                &heading,
                "memory store",
                "file store (written to the OS per batch)",
            ],
        );
        let rate = |runs: &[ThroughputReport]| cell(&Spread::of(runs, |r| r.rate / 1e6), "M msg/s");
        let all = format!("on all {cores} CPUs");
        for (runs, place) in [
            (
                &self.flood_one_cpu,
                "both engines and the application on one CPU",
            ),
            (&self.flood_all_cpus, all.as_str()),
        ] {
            row(out, &[place, &rate(&runs[0]), &rate(&runs[1])]);
        }
        for (thread, label) in [
            (
                "fix-receiver",
                "CPU per message, receiving engine thread, one CPU",
            ),
            (
                "fix-sender",
                "CPU per message, sending engine thread, one CPU",
            ),
        ] {
            let per = |runs: &[ThroughputReport]| {
                cell(&Spread::of(runs, |r| thread_cpu(r, thread)), "us")
            };
            row(
                out,
                &[
                    label,
                    &per(&self.flood_one_cpu[0]),
                    &per(&self.flood_one_cpu[1]),
                ],
            );
        }
    }

    /// The tokio engine's round trips, measured in the same runs as the
    /// mio engine's, against the same peer.
    fn tokio_latency(&self, out: &mut String, counts: &Counts, cores: usize) {
        if self.latency_one_cpu.is_empty() && self.latency_all_cpus.is_empty() {
            return;
        }
        let heading = format!(
            "tokio engine: the same round trips, {} after {} of warm-up, in the same runs",
            count(counts.round_trips),
            count(counts.warmup)
        );
        table_head(
            out,
            &[
                &heading,
                "tokio current-thread / mio engine",
                "mio engine",
                "tokio current-thread",
                "tokio multi-thread",
            ],
        );
        self.latency_rows(out, cores, &[ENGINE, TOKIO_CURRENT, TOKIO_MULTI], &[(1, 0)]);
    }

    /// The tokio engine's flood beside the mio engine's of the same runs.
    fn tokio_flood(&self, out: &mut String, counts: &Counts, cores: usize) {
        if self
            .tokio_flood_one_cpu
            .iter()
            .chain(&self.tokio_flood_all_cpus)
            .all(Vec::is_empty)
        {
            return;
        }
        let heading = format!(
            "tokio engine: one session, {} NewOrderSingle one way, two sessions on one runtime",
            count(counts.messages)
        );
        table_head(
            out,
            &[
                &heading,
                "memory store",
                "file store",
                "mio engine / tokio, memory store",
            ],
        );
        let rate = |runs: &[ThroughputReport]| cell(&Spread::of(runs, |r| r.rate / 1e6), "M msg/s");
        let all = format!("multi-thread runtime on all {cores} CPUs");
        for (tokio, mio, place) in [
            (
                &self.tokio_flood_one_cpu,
                &self.flood_one_cpu,
                "current-thread runtime on one CPU",
            ),
            (
                &self.tokio_flood_all_cpus,
                &self.flood_all_cpus,
                all.as_str(),
            ),
        ] {
            let ratios = Spread(
                tokio[0]
                    .iter()
                    .zip(&mio[0])
                    .map(|(t, m)| m.rate / t.rate)
                    .collect(),
            );
            row(
                out,
                &[place, &rate(&tokio[0]), &rate(&tokio[1]), &ratio(&ratios)],
            );
        }
    }

    fn memory(&self, out: &mut String, counts: &Counts) {
        if self.memory.is_empty() {
            return;
        }
        table_head(
            out,
            &[
                "idle logged-on sessions, one engine",
                "resident memory per session",
            ],
        );
        let per = Spread::of(&self.memory, |m| {
            m.after.saturating_sub(m.before) as f64 / 1024.0 / m.sessions.max(1) as f64
        });
        row(out, &[&count(counts.sessions), &cell(&per, "KiB")]);
    }

    fn python(&self, out: &mut String, counts: &Counts) {
        if self.python.is_empty() {
            return;
        }
        let heading = format!(
            "from Python, Python and the counterparty on one CPU: round trip NewOrderSingle -> ExecutionReport, {} after {} of warm-up; {} orders put back to back",
            count(counts.python_round_trips),
            count(counts.python_warmup),
            count(counts.python_orders)
        );
        table_head(
            out,
            &[
                &heading,
                "fixrs faster than QuickFIX by",
                "fixrs / Rust engine",
                "fixrs module",
                "QuickFIX bindings",
            ],
        );
        // The Rust engine of the same run, with both processes on one CPU
        // as the Python ones are.
        let engine_p50 = |i: usize| {
            self.latency_one_cpu
                .get(i)
                .map_or(f64::NAN, |r| r.engine.p50)
        };
        let runs = &self.python;
        let indexed: Vec<(usize, &PythonRun)> = runs.iter().enumerate().collect();
        for (name, pick) in [
            (
                "round trip p50",
                (|r: &PythonRun| r.fixrs.0) as fn(&PythonRun) -> f64,
            ),
            ("round trip p99", |r| r.fixrs.1),
        ] {
            let qf_pick: fn(&PythonRun) -> f64 = if name.ends_with("p50") {
                |r| r.quickfix.0
            } else {
                |r| r.quickfix.1
            };
            let vs_engine = if name.ends_with("p50") {
                ratio(&Spread::of(&indexed, |(i, r)| pick(r) / engine_p50(*i)))
            } else {
                String::new()
            };
            row(
                out,
                &[
                    name,
                    &ratio(&Spread::of(runs, |r| qf_pick(r) / pick(r))),
                    &vs_engine,
                    &cell(&Spread::of(runs, pick), "us"),
                    &cell(&Spread::of(runs, qf_pick), "us"),
                ],
            );
        }
        for (name, pick, qf_pick) in [
            (
                "put rate until the last reply",
                (|r: &PythonRun| r.fixrs_rate.0) as fn(&PythonRun) -> f64,
                (|r: &PythonRun| r.quickfix_rate.0) as fn(&PythonRun) -> f64,
            ),
            ("puts alone", |r| r.fixrs_rate.1, |r| r.quickfix_rate.1),
        ] {
            row(
                out,
                &[
                    name,
                    &ratio(&Spread::of(runs, |r| pick(r) / qf_pick(r))),
                    "",
                    &cell(&Spread::of(runs, |r| pick(r) / 1e3), "k msg/s"),
                    &cell(&Spread::of(runs, |r| qf_pick(r) / 1e3), "k msg/s"),
                ],
            );
        }
    }

    fn tls(&self, out: &mut String, counts: &Counts) {
        if self.tls.is_empty() {
            return;
        }
        let heading = format!(
            "round trip over loopback, two engines in one process, {} after {} of warm-up",
            count(counts.tls_round_trips),
            count(counts.tls_warmup)
        );
        table_head(
            out,
            &[
                &heading,
                "TLS / plain TCP",
                "plain TCP",
                "TLS 1.3 (AES-128-GCM, ECDSA P-256)",
            ],
        );
        for (name, pick) in [
            (
                "p50",
                (|p: &crate::engine::Percentiles| p.p50) as fn(&_) -> f64,
            ),
            ("p99", |p| p.p99),
        ] {
            let plain = Spread::of(&self.tls, |r| pick(&r.plain.percentiles));
            let tls = Spread::of(&self.tls, |r| pick(&r.tls.percentiles));
            let ratios = Spread::of(&self.tls, |r| {
                pick(&r.tls.percentiles) / pick(&r.plain.percentiles)
            });
            row(
                out,
                &[
                    name,
                    &ratio(&ratios),
                    &cell(&plain, "us"),
                    &cell(&tls, "us"),
                ],
            );
        }
        let plain = Spread::of(&self.tls, |r| r.plain.logon.as_secs_f64() * 1e3);
        let tls = Spread::of(&self.tls, |r| r.tls.logon.as_secs_f64() * 1e3);
        let ratios = Spread::of(&self.tls, |r| {
            r.tls.logon.as_secs_f64() / r.plain.logon.as_secs_f64()
        });
        row(
            out,
            &[
                "connect to logged on",
                &ratio(&ratios),
                &cell(&plain, "ms"),
                &cell(&tls, "ms"),
            ],
        );
        let plain = Spread::of(&self.tls, |r| r.plain.allocations_per_round_trip);
        let tls = Spread::of(&self.tls, |r| r.tls.allocations_per_round_trip);
        row(
            out,
            &[
                "heap allocations per round trip, both engines",
                "",
                &cell(&plain, ""),
                &cell(&tls, ""),
            ],
        );
    }

    fn codec(&self, out: &mut String, counts: &Counts) {
        if self.codec.is_empty() {
            return;
        }
        let heading = format!(
            "codec, median per message over batches of {} calls",
            count(u64::from(counts.codec_calls))
        );
        table_head(out, &[&heading, "fefix / fixrs", "fixrs", "fefix 0.7"]);
        let sizes = crate::codec::messages().map(|(_, b)| b.len());
        let names = [
            format!("NewOrderSingle ({} B)", sizes[0]),
            format!("ExecutionReport ({} B)", sizes[1]),
            format!("MD snapshot, 10 entries ({} B)", sizes[2]),
        ];
        let runs = &self.codec;
        type Pick = fn(&CodecRun, usize) -> f64;
        let compared: [(Pick, Pick); 2] = [
            (|r, i| r.frame_index[i], |r, i| r.fefix_frame_index[i]),
            (|r, i| r.typed[i], |r, i| r.fefix_typed[i]),
        ];
        for (typed, (ours, theirs)) in compared.into_iter().enumerate() {
            for (i, name) in names.iter().enumerate() {
                let label = match (typed, i) {
                    (0, 0) => format!("frame + index, BodyLength and CheckSum verified: {name}"),
                    (0, _) => format!("frame + index: {name}"),
                    (_, 2) => format!(
                        "the same plus typed reads of MsgSeqNum, SendingTime and every price and size: {name}"
                    ),
                    _ => format!(
                        "the same plus typed reads of MsgSeqNum, SendingTime, Price and OrderQty: {name}"
                    ),
                };
                let ratios = Spread::of(runs, |r| theirs(r, i) / ours(r, i));
                row(
                    out,
                    &[
                        &label,
                        &ratio(&ratios),
                        &cell(&Spread::of(runs, |r| ours(r, i)), "ns"),
                        &cell(&Spread::of(runs, |r| theirs(r, i)), "ns"),
                    ],
                );
            }
        }
        for (label, pick) in [
            (
                "MD snapshot: frame + index, then its NoMDEntries group read through the FIX 4.4 dictionary (269 char, 270 and 271 decimals, 290 integer per entry)",
                (|r: &CodecRun| r.md_groups) as fn(&CodecRun) -> f64,
            ),
            (
                "encode the NewOrderSingle from scratch, BodyLength and CheckSum included",
                |r| r.encode,
            ),
            (
                "index the ExecutionReport and validate it against the FIX 4.4 dictionary",
                |r| r.validate,
            ),
        ] {
            row(out, &[label, "", &cell(&Spread::of(runs, pick), "ns"), ""]);
        }
    }

    fn store(&self, out: &mut String) {
        if self.store.is_empty() {
            return;
        }
        table_head(
            out,
            &[
                "file store alone, per message",
                "Flush (to the OS)",
                "FsyncEvery(10 ms)",
                "Fsync",
            ],
        );
        let runs = &self.store;
        type Pick = fn(&StoreRun, usize) -> f64;
        let rows: [(&str, Pick); 4] = [
            ("save a 200-byte message + flush, one per flush", |r, i| {
                r.per_message[i]
            }),
            ("the same, 64 messages per flush", |r, i| r.batch_64[i]),
            (
                "record the next incoming MsgSeqNum + flush, one per flush",
                |r, i| r.incoming[i],
            ),
            ("the same, 64 per flush", |r, i| r.incoming_64[i]),
        ];
        for (label, pick) in rows {
            let cells: Vec<String> = (0..3)
                .map(|i| cell(&Spread::of(runs, |r| pick(r, i)), "us"))
                .collect();
            row(out, &[label, &cells[0], &cells[1], &cells[2]]);
        }
        row(
            out,
            &[
                "read 1,000 stored messages back for a resend (any mode)",
                &cell(&Spread::of(runs, |r| r.visit_1000), "us"),
                "",
                "",
            ],
        );
    }
}

/// A report or README line with its numbers blanked out (every run of
/// digits with its separators, and `n/a`, becomes `N`) and, on the header line, the
/// CPU model blanked out: two reports of the same build have lines of the
/// same shape.
pub fn shape(line: &str) -> String {
    let line = line.replace("n/a", "0");
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while let Some(&n) = chars.peek() {
                let continues = n.is_ascii_digit()
                    || ((n == '.' || n == ',')
                        && chars.clone().nth(1).is_some_and(|d| d.is_ascii_digit()));
                if !continues {
                    break;
                }
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    if let (Some(start), Some(end)) = (out.find(" on "), out.find(", N cores")) {
        if out.starts_with("Measured ") && start < end {
            out.replace_range(start + 4..end, "CPU");
        }
    }
    out
}

/// The lines of a report (or of a README's performance section) that
/// [`shape`] compares: the header line and the table rows.
pub fn report_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with("Measured ") || l.starts_with('|'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_about_three_significant_digits() {
        assert_eq!(num(1719.4), "1,719");
        assert_eq!(num(1_234_567.0), "1,234,567");
        assert_eq!(num(164.0), "164");
        assert_eq!(num(17.14), "17.1");
        assert_eq!(num(6.8), "6.80");
        assert_eq!(num(f64::NAN), "n/a");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(20), "20");
    }

    #[test]
    fn a_spread_reports_the_median_and_the_extremes_of_the_runs() {
        let s = Spread(vec![17.5, 16.5, 18.0, 17.1, 16.9]);
        assert_eq!(s.median(), 17.1);
        assert_eq!(cell(&s, "us"), "17.1 us (16.5-18.0)");
        let even = Spread(vec![1.0, 2.0, 4.0, 3.0]);
        assert_eq!(even.median(), 2.5);
        assert_eq!(ratio(&Spread(vec![1.27, 1.20, 1.35])), "1.27x (1.20-1.35)");
        assert_eq!(ratio(&Spread(vec![f64::INFINITY])), "n/ax (n/a-n/a)");
    }

    #[test]
    fn shapes_ignore_the_numbers_and_the_cpu_model() {
        assert_eq!(
            shape("| p50, both processes on one CPU | 1.27x (1.20-1.35) | 13.4 us (13.0-14.0) | 1,719 ns (n/a-2,001) |"),
            "| pN, both processes on one CPU | Nx (N-N) | N us (N-N) | N ns (N-N) |"
        );
        assert_eq!(
            shape("Measured 2026-05-01 on AMD EPYC 7B13, 64 cores, by `perf-report` (5 runs: x)."),
            shape("Measured 2026-12-31 on Intel(R) Xeon(R) Processor, 2 cores, by `perf-report` (3 runs: x).")
        );
        assert_ne!(shape("| p50 | 1 |"), shape("| p99 | 1 | 2 |"));
    }
}
