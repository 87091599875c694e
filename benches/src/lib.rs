//! Benchmarks of the fixrs workspace, kept out of the published crates:
//! the engine's loopback benchmarks ([`engine`], also behind `fixctl
//! bench`), and with the default `report` feature the comparisons and
//! measurements of the README's performance section: the codec against
//! fefix ([`codec`]), TLS against plain TCP ([`tls`]), the file store per
//! durability mode ([`store`]), the Python module against QuickFIX's
//! Python bindings ([`python`]) and the tables themselves ([`report`]).
//!
//! One command produces every table of the README's performance section:
//!
//! ```text
//! cargo run --release -p fixrs-benches --bin perf-report
//! ```
//!
//! (`--quick` for fewer and shorter runs, `--help` for the rest). The
//! criterion and loopback benches of this crate run the same code:
//! `cargo bench -p fixrs-benches --bench codec`, `--bench roundtrip`,
//! `--bench tls_roundtrip`.
//!
//! Instructions and system calls per round trip (raw TCP, bare mio and
//! the engine, with the engine's components), counted under callgrind and
//! strace rather than timed, so that a loaded machine does not change
//! them: `python3 benches/callgrind.py` (runs the `roundtrips` binary,
//! [`pingpong`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "report")]
pub mod codec;
pub mod engine;
pub mod latency;
pub mod pingpong;
#[cfg(feature = "report")]
pub mod python;
#[cfg(feature = "report")]
pub mod report;
#[cfg(feature = "report")]
pub mod store;
pub mod sys;
#[cfg(feature = "report")]
pub mod tls;
pub mod tokio;
