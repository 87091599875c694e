//! Durable stores for FIX sessions: a crash-safe file store of outgoing
//! messages and sequence numbers, implementing `fix_session`'s `Store`.
//!
//! This crate does file I/O only; it opens no sockets and runs no threads.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod format;
mod index;
mod name;
mod options;
mod recovery;
mod store;

pub use error::FileStoreError;
pub use options::{Durability, FileStoreOptions, HistoryLimit, Recovery};
pub use store::{FileStore, StoreSummary};
