//! The FIX session layer as a deterministic, sans-IO state machine.
//!
//! This crate does not open sockets, start threads or read clocks: a
//! `Session` consumes bytes and timer events with the current time
//! as arguments, and emits bytes to send, events for the application, and
//! the next deadline. Transports (such as `fix-transport-mio`) only move
//! bytes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod store;

pub use store::{MemoryStore, SeqNum, Store, StoreError};
pub mod config;
pub mod schedule;
pub mod settings;

pub use config::{LateDelivery, Role, SessionConfig, SessionKey, ValidationSettings};
pub use schedule::Schedule;
pub use settings::{SessionSettings, Settings, SettingsError};
