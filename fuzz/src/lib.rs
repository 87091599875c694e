//! Shared code of the fuzz targets: the structure-aware input of
//! `session_input` ([`scenario`]).
#![deny(missing_docs)]

pub mod scenario;
