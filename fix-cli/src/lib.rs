//! The library behind `fixctl`, the command-line tool of this FIX engine:
//! decoding FIX logs ([`decode`]), one-line message summaries
//! ([`summary`]), messages typed by hand ([`human`]), running sessions from
//! a settings file ([`run`], with [`echo`] answering orders), the
//! self-contained demonstration ([`demo`]), loopback benchmarks
//! ([`bench`](mod@bench)) and the file stores in a directory ([`store`]).
//!
//! The binary (`src/main.rs`) only parses arguments and maps errors to exit
//! codes; everything it does is here so that tests and other programs can
//! call it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bench;
pub mod decode;
pub mod demo;
pub mod echo;
pub mod human;
pub mod json;
pub mod proxy;
pub mod run;
pub mod store;
pub mod summary;
pub mod text;

/// The repository's README, compiled as doctests so that its code cannot
/// drift from the API: `cargo test --workspace` fails when it breaks.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
