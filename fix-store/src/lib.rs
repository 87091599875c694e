//! Durable stores for FIX sessions: a crash-safe file store of outgoing
//! messages and sequence numbers, implementing `fix_session`'s `Store`.
//!
//! This crate does file I/O only; it opens no sockets and runs no threads.
#![deny(missing_docs)]
