//! FIX protocol versions and their BeginString(8) / ApplVerID(1128) values.

use std::fmt;
use std::str::FromStr;

/// A FIX protocol version as a session sees it.
///
/// FIX 4.x sessions carry the version in BeginString(8). From FIX 5.0 on the
/// session layer is FIXT.1.1 and the application version travels in
/// DefaultApplVerID(1137) on Logon (and ApplVerID(1128) per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FixVersion {
    /// FIX.4.0
    Fix40,
    /// FIX.4.1
    Fix41,
    /// FIX.4.2
    Fix42,
    /// FIX.4.3
    Fix43,
    /// FIX.4.4
    Fix44,
    /// FIX 5.0 over FIXT.1.1
    Fix50,
    /// FIX 5.0 SP1 over FIXT.1.1
    Fix50Sp1,
    /// FIX 5.0 SP2 over FIXT.1.1
    Fix50Sp2,
}

impl FixVersion {
    /// Every version, oldest first.
    pub const ALL: [FixVersion; 8] = [
        FixVersion::Fix40,
        FixVersion::Fix41,
        FixVersion::Fix42,
        FixVersion::Fix43,
        FixVersion::Fix44,
        FixVersion::Fix50,
        FixVersion::Fix50Sp1,
        FixVersion::Fix50Sp2,
    ];

    /// The BeginString(8) of sessions of this version.
    pub const fn begin_string(self) -> &'static str {
        match self {
            FixVersion::Fix40 => "FIX.4.0",
            FixVersion::Fix41 => "FIX.4.1",
            FixVersion::Fix42 => "FIX.4.2",
            FixVersion::Fix43 => "FIX.4.3",
            FixVersion::Fix44 => "FIX.4.4",
            FixVersion::Fix50 | FixVersion::Fix50Sp1 | FixVersion::Fix50Sp2 => "FIXT.1.1",
        }
    }

    /// Whether the session layer is FIXT.1.1 (FIX 5.0 and later).
    pub const fn is_fixt(self) -> bool {
        matches!(
            self,
            FixVersion::Fix50 | FixVersion::Fix50Sp1 | FixVersion::Fix50Sp2
        )
    }

    /// The ApplVerID(1128) / DefaultApplVerID(1137) enum value of this
    /// application version ("2" for FIX.4.0 ... "9" for FIX.5.0SP2).
    pub const fn appl_ver_id(self) -> &'static str {
        match self {
            FixVersion::Fix40 => "2",
            FixVersion::Fix41 => "3",
            FixVersion::Fix42 => "4",
            FixVersion::Fix43 => "5",
            FixVersion::Fix44 => "6",
            FixVersion::Fix50 => "7",
            FixVersion::Fix50Sp1 => "8",
            FixVersion::Fix50Sp2 => "9",
        }
    }

    /// The version an ApplVerID(1128) value names.
    pub fn from_appl_ver_id(value: &[u8]) -> Option<FixVersion> {
        Some(match value {
            b"2" => FixVersion::Fix40,
            b"3" => FixVersion::Fix41,
            b"4" => FixVersion::Fix42,
            b"5" => FixVersion::Fix43,
            b"6" => FixVersion::Fix44,
            b"7" => FixVersion::Fix50,
            b"8" => FixVersion::Fix50Sp1,
            b"9" => FixVersion::Fix50Sp2,
            _ => return None,
        })
    }

    /// The name QuickFIX settings files use for this version (BeginString,
    /// or the `FIX.5.0SP2` style name of DefaultApplVerID for FIX 5.0+).
    pub const fn name(self) -> &'static str {
        match self {
            FixVersion::Fix50 => "FIX.5.0",
            FixVersion::Fix50Sp1 => "FIX.5.0SP1",
            FixVersion::Fix50Sp2 => "FIX.5.0SP2",
            v => v.begin_string(),
        }
    }

    /// The version of a FIX 4.x BeginString(8); `None` for FIXT.1.1, whose
    /// application version is carried elsewhere.
    pub fn from_begin_string(value: &[u8]) -> Option<FixVersion> {
        Some(match value {
            b"FIX.4.0" => FixVersion::Fix40,
            b"FIX.4.1" => FixVersion::Fix41,
            b"FIX.4.2" => FixVersion::Fix42,
            b"FIX.4.3" => FixVersion::Fix43,
            b"FIX.4.4" => FixVersion::Fix44,
            _ => return None,
        })
    }

    /// Whether ResendRequest(2) asks for "up to the end" with EndSeqNo(16)=0
    /// (FIX 4.2 and later) rather than 999999.
    pub const fn end_seq_no_infinity_is_zero(self) -> bool {
        !matches!(self, FixVersion::Fix40 | FixVersion::Fix41)
    }
}

impl fmt::Display for FixVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`FixVersion`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown FIX version {0:?} (expected FIX.4.0 to FIX.4.4, FIX.5.0, FIX.5.0SP1, FIX.5.0SP2 or FIXT.1.1)")]
pub struct UnknownVersion(pub String);

impl FromStr for FixVersion {
    type Err = UnknownVersion;

    /// Accepts BeginString values (`FIX.4.4`), QuickFIX's application
    /// version names (`FIX.5.0SP2`) and `FIXT.1.1` (taken as FIX 5.0 SP2).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "FIX.4.0" => FixVersion::Fix40,
            "FIX.4.1" => FixVersion::Fix41,
            "FIX.4.2" => FixVersion::Fix42,
            "FIX.4.3" => FixVersion::Fix43,
            "FIX.4.4" => FixVersion::Fix44,
            "FIX.5.0" | "FIX50" => FixVersion::Fix50,
            "FIX.5.0SP1" | "FIX50SP1" => FixVersion::Fix50Sp1,
            "FIX.5.0SP2" | "FIX50SP2" | "FIXT.1.1" => FixVersion::Fix50Sp2,
            other => return Err(UnknownVersion(other.to_string())),
        })
    }
}
