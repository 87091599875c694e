//! Nothing a peer sends makes a session panic: extreme values, mutated and
//! random input in every state.

mod common;

use common::*;
use fixrs_proto::tag;
use fixrs_session::testing::{Driver, Rng};
use fixrs_session::SessionState;
use std::time::Duration;

#[test]
fn extreme_sequence_numbers() {
    let mut d = established(acceptor());
    let utc = d.clock.utc();
    let m = d.peer.msg_with_seq(b"D", u64::MAX, utc);
    let out = d.receive(m);
    assert!(only(&out, b"5")
        .text(tag::TEXT)
        .unwrap()
        .contains("MsgSeqNum"));

    let mut d = established(acceptor());
    for new_seq_no in ["18446744073709551615", "99999999999999999999999", "-3", ""] {
        let reset = d
            .peer
            .msg_with_seq(b"4", 1, utc)
            .set(tag::NEW_SEQ_NO, new_seq_no);
        let out = d.receive(reset);
        assert_eq!(only(&out, b"3").num(tag::REF_TAG_ID), Some(36));
    }
    let reset = d
        .peer
        .msg_with_seq(b"4", 1, utc)
        .set(tag::NEW_SEQ_NO, (i64::MAX as u64).to_string());
    d.receive(reset);
    assert_eq!(d.session.next_target_seq_num(), i64::MAX as u64);
    let m = d.peer.msg_with_seq(b"0", i64::MAX as u64, utc);
    d.receive(m);
    assert_eq!(d.session.next_target_seq_num(), i64::MAX as u64 + 1);
}

#[test]
fn extreme_heart_bt_int_and_resend_ranges() {
    let mut d = Driver::new(acceptor());
    d.connect();
    d.link_up();
    let logon = d.peer.logon(u32::MAX, d.clock.utc());
    d.receive(logon);
    assert_eq!(d.session.state(), SessionState::Established);
    d.advance(Duration::from_secs(3600));
    let utc = d.clock.utc();
    for (b, e) in [
        ("0", "0"),
        ("18446744073709551615", "1"),
        ("5", "18446744073709551615"),
    ] {
        let rr = d
            .peer
            .msg(b"2", utc)
            .set(tag::BEGIN_SEQ_NO, b)
            .set(tag::END_SEQ_NO, e);
        d.receive(rr);
    }
    assert_eq!(d.session.state(), SessionState::Established);
}

/// Valid messages of every kind, as the counterparty would send them.
fn corpus(d: &mut Driver) -> Vec<Vec<u8>> {
    let utc = d.clock.utc();
    let p = &mut d.peer;
    vec![
        p.logon(30, utc).encode(),
        p.msg(b"0", utc).encode(),
        p.msg(b"1", utc).set(tag::TEST_REQ_ID, "T").encode(),
        p.msg(b"2", utc)
            .set(tag::BEGIN_SEQ_NO, "1")
            .set(tag::END_SEQ_NO, "0")
            .encode(),
        p.msg(b"3", utc).set(tag::REF_SEQ_NUM, "1").encode(),
        p.msg(b"4", utc)
            .set(tag::GAP_FILL_FLAG, "Y")
            .set(tag::NEW_SEQ_NO, "9")
            .encode(),
        p.msg(b"4", utc).set(tag::NEW_SEQ_NO, "12").encode(),
        p.msg(b"D", utc).poss_dup(utc).set(11, "A").encode(),
        p.msg(b"A", utc)
            .set(tag::ENCRYPT_METHOD, "0")
            .set(tag::HEART_BT_INT, "30")
            .set(tag::RESET_SEQ_NUM_FLAG, "Y")
            .encode(),
        p.msg(b"D", utc).set(95, "3").set(96, "a\x01b").encode(),
        p.msg(b"5", utc).set(tag::TEXT, "bye").encode(),
    ]
}

fn mutate(rng: &mut Rng, msg: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    for _ in 0..=rng.next_u64() % 3 {
        if m.is_empty() {
            break;
        }
        let i = (rng.next_u64() % m.len() as u64) as usize;
        match rng.next_u64() % 4 {
            0 => m[i] = rng.next_u64() as u8,
            1 => {
                m.remove(i);
            }
            2 => m.insert(i, b"0123456789=\x01|A"[(rng.next_u64() % 14) as usize]),
            _ => m.truncate(i),
        }
    }
    m
}

#[test]
fn mutated_and_random_input_never_panics() {
    for seed in 0..40u64 {
        let mut rng = Rng::new(seed);
        let config = if seed % 2 == 0 {
            acceptor()
        } else {
            initiator()
        };
        let mut d = Driver::new(config);
        d.connect();
        d.link_up();
        let corpus = corpus(&mut d);
        for step in 0..400 {
            let pick = &corpus[(rng.next_u64() % corpus.len() as u64) as usize];
            let bytes = match rng.next_u64() % 4 {
                0 => pick.clone(),
                1 | 2 => mutate(&mut rng, pick),
                _ => (0..rng.next_u64() % 64)
                    .map(|_| rng.next_u64() as u8)
                    .collect(),
            };
            // Any split of the input.
            let cut = (rng.next_u64() % (bytes.len() as u64 + 1)) as usize;
            d.input(&bytes[..cut]);
            d.input(&bytes[cut..]);
            if step % 50 == 0 {
                d.advance(Duration::from_secs(rng.next_u64() % 40));
            }
            if !d.session.is_link_up() {
                // Reconnect (initiator) or accept again (acceptor).
                d.advance(Duration::from_secs(31));
                d.connect();
                d.link_up();
            }
        }
    }
}
