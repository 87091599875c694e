//! A logged-on session (initiator or acceptor, options from the input)
//! driven through a [`Scenario`]: well-formed counterparty messages with
//! fuzzed sequence numbers, flags, fields and timing, raw bytes, time
//! passing and stalls, application sends, logouts, link drops and
//! sequence resets (see `fix_fuzz::scenario`).
//!
//! Checks: nothing panics; every byte the session writes belongs to a
//! well-formed frame (right BodyLength and CheckSum) with our CompIDs; the
//! next deadline never lies in the past after `handle_timeout`.
#![no_main]

use fix_fuzz::scenario::{run, Scenario};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|scenario: Scenario| run(&scenario));
