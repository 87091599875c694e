//! FIX over TLS: rustls client and server transports for the mio FIX
//! engine, including mutual TLS.
//!
//! This crate adds encryption to the engine's byte streams; the FIX session
//! logic is unchanged and lives in `fix-session`.
#![deny(missing_docs)]
