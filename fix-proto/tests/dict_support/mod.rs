//! Helpers shared by the dictionary, group and validation tests.
#![allow(dead_code)]

use std::path::PathBuf;

use fix_proto::encode::{Encoder, FieldWriter};

/// The QuickFIX dictionaries: `shared/fix-spec` beside the repository (or
/// beside one of its ancestors, for worktrees), or `$FIX_SPEC_DIR`.
pub fn spec_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIX_SPEC_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|a| a.join("shared/fix-spec"))
        .find(|p| p.join("FIX44.xml").is_file())
        .unwrap_or_else(|| manifest.join("../../shared/fix-spec"))
}

/// Starts a FIX.4.4 message with a full standard header.
pub fn start<'e>(enc: &'e mut Encoder, msg_type: &[u8]) -> &'e mut Encoder {
    start_with(enc, "FIX.4.4", msg_type)
}

/// Starts a message of `begin_string` with a full standard header.
pub fn start_with<'e>(
    enc: &'e mut Encoder,
    begin_string: &str,
    msg_type: &[u8],
) -> &'e mut Encoder {
    enc.start(begin_string, msg_type)
        .push_str(49, "CLIENT")
        .push_str(56, "BROKER")
        .push_uint(34, 7)
        .push_str(52, "20240115-10:30:00.123")
}

/// `|`-separated fields to SOH-separated bytes.
pub fn soh(s: &str) -> Vec<u8> {
    s.replace('|', "\x01").into_bytes()
}
