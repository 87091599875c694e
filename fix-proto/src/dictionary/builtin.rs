//! The built-in standard dictionaries.
//!
//! Representation: each QuickFIX XML file of `spec/` is turned
//! by `tools/dictgen` into the [compact text form](super::compact)
//! (`builtin/*.fixdict`: 1.0 MB for all nine, a third of the XML's
//! 3.1 MB), embedded with `include_str!` and decoded into a
//! `&'static Dictionary` on first use (`OnceLock`), by the same builder
//! that loads XML.
//!
//! Why not static Rust tables: FIX 5.0 SP2 alone expands to about 300,000
//! layout members and 6,000 fields with 5,500 enumerated values; as Rust
//! items they would cost rustc far more than a string constant. Measured
//! with `touch fix-proto/src/lib.rs; /usr/bin/time cargo build --release
//! -p fixrs-proto` (user CPU, three runs each, on a loaded 2-core machine):
//! about 6.5 s with everything, 5.6 s with the nine `include_str!`s
//! replaced by empty strings, 5.9 s without the generated `fields.rs`
//! constants; so the embedded dictionaries cost well under a second of
//! build time, and about 1 MB of read-only data in binaries that use them.
//! The price is a one-time decode on first use, longest for FIX 5.0 SP2
//! (`cargo bench -p fixrs-proto --bench dictionary -- load` times it).
//!
//! The session dictionary (`builtin/session.xml`) is hand-maintained XML,
//! parsed on first use.

use std::sync::OnceLock;

use super::{compact, Dictionary};
use crate::FixVersion;

static FIX40: &str = include_str!("builtin/FIX40.fixdict");
static FIX41: &str = include_str!("builtin/FIX41.fixdict");
static FIX42: &str = include_str!("builtin/FIX42.fixdict");
static FIX43: &str = include_str!("builtin/FIX43.fixdict");
static FIX44: &str = include_str!("builtin/FIX44.fixdict");
static FIX50: &str = include_str!("builtin/FIX50.fixdict");
static FIX50SP1: &str = include_str!("builtin/FIX50SP1.fixdict");
static FIX50SP2: &str = include_str!("builtin/FIX50SP2.fixdict");
static FIXT11: &str = include_str!("builtin/FIXT11.fixdict");
static SESSION: &str = include_str!("builtin/session.xml");

fn index(version: FixVersion) -> usize {
    match version {
        FixVersion::Fix40 => 0,
        FixVersion::Fix41 => 1,
        FixVersion::Fix42 => 2,
        FixVersion::Fix43 => 3,
        FixVersion::Fix44 => 4,
        FixVersion::Fix50 => 5,
        FixVersion::Fix50Sp1 => 6,
        FixVersion::Fix50Sp2 => 7,
    }
}

fn decode(text: &str) -> Dictionary {
    // The compact files are generated from the standard dictionaries and a
    // test loads every one of them: failing here is a build defect, not an
    // input error.
    compact::load(text).expect("built-in dictionary is corrupt")
}

pub(super) fn application_dictionary(version: FixVersion) -> &'static Dictionary {
    static CELLS: [OnceLock<Dictionary>; 8] = [const { OnceLock::new() }; 8];
    let text = match version {
        FixVersion::Fix40 => FIX40,
        FixVersion::Fix41 => FIX41,
        FixVersion::Fix42 => FIX42,
        FixVersion::Fix43 => FIX43,
        FixVersion::Fix44 => FIX44,
        FixVersion::Fix50 => FIX50,
        FixVersion::Fix50Sp1 => FIX50SP1,
        FixVersion::Fix50Sp2 => FIX50SP2,
    };
    CELLS[index(version)].get_or_init(|| decode(text))
}

pub(super) fn fixt11() -> &'static Dictionary {
    static CELL: OnceLock<Dictionary> = OnceLock::new();
    CELL.get_or_init(|| decode(FIXT11))
}

pub(super) fn session_dictionary(version: FixVersion) -> &'static Dictionary {
    static CELLS: [OnceLock<Dictionary>; 8] = [const { OnceLock::new() }; 8];
    if !version.is_fixt() {
        return application_dictionary(version);
    }
    CELLS[index(version)]
        .get_or_init(|| Dictionary::combine(fixt11(), application_dictionary(version)))
}

pub(super) fn session() -> &'static Dictionary {
    static CELL: OnceLock<Dictionary> = OnceLock::new();
    CELL.get_or_init(|| {
        // Hand-maintained and loaded by a test, like the generated ones.
        Dictionary::from_xml(SESSION).expect("built-in session dictionary is corrupt")
    })
}
