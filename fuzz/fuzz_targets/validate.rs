//! Arbitrary bytes framed, indexed and validated against the built-in
//! FIX 4.4 dictionary, and every group of the message walked: nothing
//! panics, and every validation failure carries a SessionRejectReason.
#![no_main]

use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::validate::{ValidationError, ValidationOptions, Validator};
use fixrs_proto::FixVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let config = FrameConfig {
        // Random bytes rarely sum right; let most frames through to reach
        // the validator.
        verify_checksum: false,
        ..FrameConfig::default()
    };
    let mut index = FieldIndex::new();
    let mut validator = Validator::new(ValidationOptions::default());
    let mut lenient = Validator::new(ValidationOptions {
        validate_fields_out_of_order: false,
        validate_fields_have_values: false,
        validate_user_defined_fields: false,
        allow_unknown_msg_fields: true,
        validate_unordered_group_fields: false,
    });
    let mut rest = data;
    while !rest.is_empty() {
        let len = match scan(rest, &config) {
            Scan::Complete(n) => n,
            Scan::Incomplete(_) => break,
            Scan::Garbled(_) => 1,
        };
        let frame = &rest[..len];
        rest = &rest[len..];
        if len == 1 {
            continue;
        }
        match index.parse(frame) {
            Ok(msg) => {
                for v in [&mut validator, &mut lenient] {
                    if let Err(e) = v.validate(dict, &msg) {
                        let _ = (e.reason().code(), e.ref_tag_id(), e.text());
                    }
                }
                if let Some(def) = dict.message(msg.msg_type()) {
                    for member in def.layout().members() {
                        if let Some(group) = member.group() {
                            if let Ok(g) = msg.group(group) {
                                for entry in g.iter() {
                                    let _ = entry.get(group.delimiter());
                                }
                            }
                        }
                    }
                }
            }
            Err(e) => {
                let _ = ValidationError::from_parse_error(&e).map(|v| v.reason());
            }
        }
    }
});
