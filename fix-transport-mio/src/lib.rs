//! The FIX engine: one mio event loop thread hosting many FIX sessions over
//! TCP, with initiators that connect and reconnect, acceptors that route
//! incoming Logons, and the `FixEngine` / session handle API.
//!
//! The protocol itself lives in `fix-session`; this crate only moves bytes
//! and time in and out of it.
#![deny(missing_docs)]
