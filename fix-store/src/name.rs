//! File names of a session's store files, derived from its identity.
//!
//! The name is `BEGIN+SENDER+TARGET[+QUALIFIER]`, where a sub ID is
//! appended to its CompID as `,s<SubID>` and a location ID as `,l<LocID>`.
//! Every byte of a field other than ASCII letters, digits, `.`, `_` and `-`
//! is written `%XX`, so the separators `+` and `,` never occur inside a
//! field and the mapping is injective: two sessions never share a name.
//! Names longer than [`MAX_PLAIN_LEN`] are cut and end in `~` and a 64-bit
//! hash of the identity; since every file also records the full identity
//! in its header, the improbable hash collision is reported as
//! `WrongSession` rather than mixing two sessions.
//!
//! Names are case-sensitive: on a case-insensitive file system, two
//! sessions whose identities differ only in case share files, and the
//! header check reports `WrongSession` when the second one opens.

use fixrs_session::SessionKey;
use std::fmt::Write;

/// Longest name kept verbatim; longer names are cut and hashed, keeping
/// whole file names (with `.N.log`) well under the usual 255-byte limit.
pub(crate) const MAX_PLAIN_LEN: usize = 180;
const CUT_LEN: usize = 150;

/// The common prefix of the session's file names.
pub(crate) fn file_prefix(key: &SessionKey) -> String {
    let mut s = String::with_capacity(64);
    escape_into(&mut s, &key.begin_string);
    s.push('+');
    comp_into(
        &mut s,
        &key.id.sender_comp_id,
        &key.id.sender_sub_id,
        &key.id.sender_location_id,
    );
    s.push('+');
    comp_into(
        &mut s,
        &key.id.target_comp_id,
        &key.id.target_sub_id,
        &key.id.target_location_id,
    );
    if let Some(q) = &key.id.qualifier {
        s.push('+');
        escape_into(&mut s, q);
    }
    if s.len() > MAX_PLAIN_LEN {
        // Escaped names are ASCII, so any byte index is a char boundary.
        s.truncate(CUT_LEN);
        let _ = write!(s, "~{:016x}", identity_hash(key));
    }
    s
}

fn comp_into(s: &mut String, comp: &str, sub: &Option<String>, loc: &Option<String>) {
    escape_into(s, comp);
    if let Some(sub) = sub {
        s.push_str(",s");
        escape_into(s, sub);
    }
    if let Some(loc) = loc {
        s.push_str(",l");
        escape_into(s, loc);
    }
}

fn escape_into(s: &mut String, field: &str) {
    for b in field.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-' {
            s.push(char::from(b));
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
}

/// FNV-1a over every field with its presence and length, so distinct
/// identities hash from distinct byte strings.
fn identity_hash(key: &SessionKey) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    let fields = [
        Some(&key.begin_string),
        Some(&key.id.sender_comp_id),
        key.id.sender_sub_id.as_ref(),
        key.id.sender_location_id.as_ref(),
        Some(&key.id.target_comp_id),
        key.id.target_sub_id.as_ref(),
        key.id.target_location_id.as_ref(),
        key.id.qualifier.as_ref(),
    ];
    for f in fields {
        match f {
            None => feed(&[0]),
            Some(v) => {
                feed(&[1]);
                feed(&(v.len() as u64).to_le_bytes());
                feed(v.as_bytes());
            }
        }
    }
    h
}

/// What a directory entry is, for the store with `prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `PREFIX.N.log`: segment number N.
    Segment(u64),
    /// `PREFIX.N.tmp`: a segment being created, left by a crash.
    Temp(u64),
}

/// The segment file name of segment `number`.
pub(crate) fn segment_name(prefix: &str, number: u64) -> String {
    format!("{prefix}.{number}.log")
}

/// The name of the store's sequence-number file (see `seqnums`); not a
/// segment name, so listing ignores it.
pub(crate) fn seqnums_name(prefix: &str) -> String {
    format!("{prefix}.seqnums")
}

/// The name of the store's lock file (see `lock`): never deleted, so that
/// every opener locks the same file.
pub(crate) fn lock_name(prefix: &str) -> String {
    format!("{prefix}.lock")
}

/// The temporary file name used while creating segment `number`.
pub(crate) fn temp_name(prefix: &str, number: u64) -> String {
    format!("{prefix}.{number}.tmp")
}

/// Splits a file name into its store prefix and kind, if it is a store file.
pub(crate) fn parse_file_name(name: &str) -> Option<(&str, FileKind)> {
    let (rest, temp) = if let Some(rest) = name.strip_suffix(".log") {
        (rest, false)
    } else if let Some(rest) = name.strip_suffix(".tmp") {
        (rest, true)
    } else {
        return None;
    };
    let (prefix, digits) = rest.rsplit_once('.')?;
    if prefix.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    let kind = if temp {
        FileKind::Temp(number)
    } else {
        FileKind::Segment(number)
    };
    Some((prefix, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sender: &str, target: &str) -> SessionKey {
        SessionKey::new("FIX.4.4", fixrs_session::SessionId::new(sender, target))
    }

    #[test]
    fn plain_names_are_readable() {
        assert_eq!(file_prefix(&key("BANK_1", "EX-A")), "FIX.4.4+BANK_1+EX-A");
    }

    #[test]
    fn unsafe_bytes_are_escaped() {
        assert_eq!(
            file_prefix(&key("a/b", "c\\d:é")),
            "FIX.4.4+a%2Fb+c%5Cd%3A%C3%A9"
        );
    }

    #[test]
    fn optional_fields_are_tagged() {
        let mut k = key("S", "T");
        k.id.sender_sub_id = Some("desk".into());
        k.id.target_location_id = Some(String::new());
        k.id.qualifier = Some("2".into());
        assert_eq!(file_prefix(&k), "FIX.4.4+S,sdesk+T,l+2");
    }

    #[test]
    fn naive_collisions_stay_apart() {
        let pairs = [
            (key("A-B", "C"), key("A", "B-C")),
            (key("A+B", "C"), key("A", "B+C")),
            (key("A,sB", "C"), key("A", "C")),
            (key("A%2B", "C"), key("A+", "C")),
            (key("A/B", "C"), key("A_B", "C")),
            (key("A/B", "C"), key("AB", "C")),
        ];
        for (a, b) in &pairs {
            assert_ne!(file_prefix(a), file_prefix(b), "{a:?} vs {b:?}");
        }
        let mut with_sub = key("A", "C");
        with_sub.id.sender_sub_id = Some("B".into());
        assert_ne!(file_prefix(&with_sub), file_prefix(&key("A,sB", "C")));
        let mut empty_sub = key("A", "C");
        empty_sub.id.sender_sub_id = Some(String::new());
        assert_ne!(file_prefix(&empty_sub), file_prefix(&key("A", "C")));
        let mut qual = key("A", "C");
        qual.id.qualifier = Some("X".into());
        assert_ne!(file_prefix(&qual), file_prefix(&key("A", "C+X")));
    }

    #[test]
    fn long_names_are_cut_and_hashed() {
        let a = key(&"S".repeat(300), "T1");
        let b = key(&"S".repeat(300), "T2");
        let (na, nb) = (file_prefix(&a), file_prefix(&b));
        assert!(na.len() <= CUT_LEN + 17);
        assert!(na.contains('~'));
        assert_ne!(na, nb);
    }

    #[test]
    fn file_names_parse_back() {
        let p = file_prefix(&key("S", "T"));
        assert_eq!(
            parse_file_name(&segment_name(&p, 17)),
            Some((p.as_str(), FileKind::Segment(17)))
        );
        assert_eq!(
            parse_file_name(&temp_name(&p, 3)),
            Some((p.as_str(), FileKind::Temp(3)))
        );
        assert_eq!(parse_file_name("FIX.4.4+S+T.log"), None);
        assert_eq!(parse_file_name("FIX.4.4+S+T.1.5.txt"), None);
        assert_eq!(parse_file_name(".1.log"), None);
        assert_eq!(parse_file_name(&seqnums_name(&p)), None);
        assert_eq!(parse_file_name(&lock_name(&p)), None);
    }
}
