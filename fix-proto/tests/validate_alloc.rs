//! Validation and group iteration allocate nothing once warm: counted with
//! a global allocator (in its own test binary, which holds only this test
//! so that no other thread allocates while it counts).

mod dict_support;

use dict_support::start;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::message::FieldIndex;
use fixrs_proto::validate::{ValidationOptions, Validator};
use fixrs_proto::FixVersion;
use fixrs_test_support::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn validation_and_groups_do_not_allocate_once_warm() {
    let dict = Dictionary::builtin(FixVersion::Fix44);
    let md = dict.message(b"W").unwrap().group(268).unwrap();
    let mut enc = Encoder::new();
    start(&mut enc, b"W")
        .push_str(55, "EUR/USD")
        .push_uint(268, 10);
    for i in 0..10 {
        enc.push_char(269, b'0' + (i % 2) as u8)
            .push(270, b"1.0850")
            .push_uint(271, 1_000_000)
            .push_uint(290, 1);
    }
    let bytes = enc.finish().to_vec();
    let bad = {
        let mut b = bytes.clone();
        let at = b.windows(6).position(|w| w == b"270=1.").unwrap();
        b[at + 5] = b',';
        b
    };
    let mut index = FieldIndex::new();
    let mut validator = Validator::new(ValidationOptions::default());
    let run = |index: &mut FieldIndex, validator: &mut Validator| {
        let msg = index.parse(&bytes).unwrap();
        validator.validate(dict, &msg).unwrap();
        let sizes: u64 = msg
            .group(md)
            .unwrap()
            .iter()
            .map(|e| e.get_as::<u64>(271).unwrap())
            .sum();
        assert_eq!(sizes, 10_000_000);
        let msg = index.parse(&bad).unwrap();
        assert!(validator.validate(dict, &msg).is_err());
    };
    run(&mut index, &mut validator);
    let before = allocations();
    for _ in 0..100 {
        run(&mut index, &mut validator);
    }
    assert_eq!(allocations() - before, 0);
}
