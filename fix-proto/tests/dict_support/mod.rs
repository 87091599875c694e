//! Helpers shared by the dictionary, group and validation tests.
#![allow(dead_code)]

use std::path::PathBuf;

use fixrs_proto::dictionary::{Dictionary, FieldDef, FieldType, Layout};
use fixrs_proto::encode::{Encoder, FieldWriter};

/// The QuickFIX dictionaries committed in the repository's `spec/`.
pub fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec")
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

/// A value of `def`'s type (its first enumerated value if it has any).
pub fn sample_value(def: &FieldDef) -> String {
    if let Some(v) = def.values().first() {
        return v.value().to_string();
    }
    use FieldType as T;
    match def.field_type() {
        T::Int
        | T::Length
        | T::NumInGroup
        | T::SeqNum
        | T::TagNum
        | T::DayOfMonth
        | T::Reserved100Plus
        | T::Reserved1000Plus
        | T::Reserved4000Plus => "1",
        T::Float | T::Qty | T::Price | T::PriceOffset | T::Amt | T::Percentage => "1.5",
        T::Char | T::MultipleCharValue => "A",
        T::Boolean => "Y",
        T::MonthYear => "202401",
        T::UtcTimestamp | T::Time => "20240115-10:30:00",
        T::UtcTimeOnly | T::LocalMktTime => "10:30:00",
        T::UtcDateOnly | T::UtcDate | T::LocalMktDate | T::Date => "20240115",
        T::TzTimeOnly => "10:30Z",
        T::TzTimestamp => "20240115-10:30Z",
        _ => "X",
    }
    .to_string()
}

/// Pushes the required members of `layout` (and, for group entries, the
/// delimiter), or with `all` every member, with one entry per group.
pub fn push_members(
    enc: &mut Encoder,
    dict: &Dictionary,
    layout: Layout<'_>,
    entry: bool,
    all: bool,
) {
    for (i, member) in layout.members().enumerate() {
        if !(all || member.required() || (entry && i == 0)) {
            continue;
        }
        match member.group() {
            Some(group) => {
                enc.push_uint(member.tag(), 1);
                push_members(enc, dict, group.layout(), true, all);
            }
            None => {
                let def = dict.field(member.tag()).unwrap();
                enc.push_str(member.tag(), &sample_value(def));
            }
        }
    }
}
