//! Integration tests of the workspace: scenario replay, property tests,
//! interop with QuickFIX and crash recovery. The tests live in `tests/`;
//! this library holds only what they share.
#![deny(missing_docs)]

pub mod interop;
pub mod quickfix;
