//! A logged-on session (initiator or acceptor, with options from the
//! input) fed a sequence of operations read from the fuzzer's bytes:
//! messages from its counterparty (correct CompIDs, plausible MsgSeqNums,
//! valid CheckSums, sometimes corrupted, truncated or split), raw bytes,
//! timer advances and clock stalls, application sends, logouts, link
//! drops and reconnects, and sequence resets.
//!
//! Checks: nothing panics; every byte the session writes belongs to a
//! well-formed frame (right BodyLength and CheckSum) with our CompIDs; the
//! next deadline never lies in the past after `handle_timeout`; received
//! messages handed out as events can be read (the harness copies each).
#![no_main]

use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, FixVersion, MessageBuilder};
use fixrs_session::testing::{Driver, PeerMessage, Sent};
use fixrs_session::SessionConfig;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

/// Most operations per input (keeps each run short).
const MAX_OPS: usize = 256;

/// Reads the fuzzer's bytes as small decisions; zeros once exhausted.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// A short printable value.
    fn text(&mut self) -> String {
        let n = (self.byte() % 12) as usize;
        self.bytes(n)
            .iter()
            .map(|&b| (b % 94 + 33) as char)
            .filter(|&c| c != '=')
            .collect()
    }
}

/// The session under test, driven with its clock and counterparty.
struct Harness {
    d: Driver,
    frame: FrameConfig,
    sender: Vec<u8>,
    target: Vec<u8>,
}

impl Harness {
    /// Checks what the session wrote and reads its events.
    fn check(&self, out: &fixrs_session::testing::Output) {
        let mut rest = out.bytes.as_slice();
        while !rest.is_empty() {
            match scan(rest, &self.frame) {
                Scan::Complete(n) => {
                    let msg =
                        Sent::parse(&rest[..n]).expect("the session wrote unparseable fields");
                    assert_eq!(msg.get(tag::SENDER_COMP_ID), Some(self.sender.as_slice()));
                    assert_eq!(msg.get(tag::TARGET_COMP_ID), Some(self.target.as_slice()));
                    assert!(msg.seq() >= 1, "MsgSeqNum missing: {msg:?}");
                    rest = &rest[n..];
                }
                other => panic!("the session wrote a malformed frame ({other:?}): {rest:?}"),
            }
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        let out = self.d.input(bytes);
        self.check(&out);
    }

    fn receive(&mut self, msg: PeerMessage, how: u8, inp: &mut Input<'_>) {
        let mut bytes = msg.encode();
        match how % 8 {
            // Corrupt one byte (a garbled frame, or a valid frame with a
            // different value if the CheckSum is not verified).
            0 if !bytes.is_empty() => {
                let i = inp.u16() as usize % bytes.len();
                bytes[i] ^= inp.byte() | 1;
                self.input(&bytes);
            }
            // Truncated: the rest never comes (until more bytes do).
            1 => {
                let cut = inp.u16() as usize % (bytes.len() + 1);
                self.input(&bytes[..cut]);
            }
            // Split in two reads.
            2 => {
                let at = inp.u16() as usize % (bytes.len() + 1);
                self.input(&bytes[..at]);
                self.input(&bytes[at..]);
            }
            _ => self.input(&bytes),
        }
    }

    /// Fires the timers due within `d`, each at its deadline.
    fn advance(&mut self, d: Duration) {
        let out = self.d.advance(d);
        self.check(&out);
        let now = self.d.clock.now();
        if let Some(at) = self.d.session.poll_timeout() {
            assert!(
                at > now,
                "a timer due at {at:?} is still pending at {now:?}"
            );
        }
    }

    /// The clock jumps (a stalled process), then timers are handled once.
    fn stall(&mut self, d: Duration) {
        self.d.clock.advance(d);
        let (now, utc) = (self.d.clock.now(), self.d.clock.utc());
        self.d.session.handle_timeout(now, utc);
        let out = fixrs_session::testing::drain(&mut self.d.session);
        self.check(&out);
        if let Some(at) = self.d.session.poll_timeout() {
            assert!(
                at > now,
                "a timer due at {at:?} is still pending at {now:?}"
            );
        }
    }
}

fn config(inp: &mut Input<'_>) -> SessionConfig {
    let version = match inp.byte() % 4 {
        0 => FixVersion::Fix42,
        1 => FixVersion::Fix50Sp2,
        2 => FixVersion::Fix40,
        _ => FixVersion::Fix44,
    };
    let flags = inp.byte();
    let mut c = if flags & 1 == 0 {
        SessionConfig::initiator(version, "US", "THEM")
    } else {
        SessionConfig::acceptor(version, "US", "THEM")
    };
    c.heart_bt_int = [1, 5, 30, 0][(flags >> 1) as usize % 4];
    c.send_next_expected_msg_seq_num = flags & 8 != 0;
    c.validate_checksum = flags & 16 == 0;
    c.send_redundant_resend_requests = flags & 32 != 0;
    c.resend_request_chunk_size = if flags & 64 != 0 { 3 } else { 0 };
    c.check_latency = flags & 128 == 0;
    c.reconnect_interval = Duration::from_secs(1);
    c
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data };
    let config = config(&mut inp);
    let sender = config.sender_comp_id.clone().into_bytes();
    let target = config.target_comp_id.clone().into_bytes();
    let frame = FrameConfig {
        max_message_size: config.max_message_size,
        verify_checksum: true,
    };
    let mut h = Harness {
        d: Driver::new(config),
        frame,
        sender,
        target,
    };
    let out = h.d.establish();
    h.check(&out);

    let mut ops = 0;
    while !inp.is_empty() && ops < MAX_OPS {
        ops += 1;
        let now_utc = h.d.clock.utc();
        match inp.byte() % 16 {
            // A counterparty message, numbered as expected or nearly.
            0..=5 => {
                let kind = inp.byte();
                let msg_type: &[u8] = match kind % 12 {
                    0 => b"0",
                    1 => b"1",
                    2 => b"2",
                    3 => b"3",
                    4 => b"4",
                    5 => b"5",
                    6 => b"A",
                    7 => b"j",
                    8 => b"8",
                    9 => b"U1",
                    10 => b"ZZ",
                    _ => b"D",
                };
                let seq_choice = inp.byte();
                let expected = h.d.peer.next_seq;
                let seq = match seq_choice % 8 {
                    0 => expected.saturating_sub(1 + (seq_choice / 8) as u64).max(1),
                    1 => expected + 1 + (seq_choice / 8) as u64,
                    2 => inp.u16() as u64,
                    _ => expected,
                };
                if seq == expected {
                    h.d.peer.next_seq += 1;
                }
                let skew = match inp.byte() % 8 {
                    0 => -200_000_000_000i128,
                    1 => 200_000_000_000,
                    2 => -1_000_000_000,
                    _ => 0,
                };
                let mut m =
                    h.d.peer
                        .msg_with_seq(msg_type, seq, now_utc.add_nanos(skew));
                let fields = inp.byte();
                if fields & 1 != 0 {
                    let orig = if fields & 2 != 0 {
                        now_utc.add_nanos(1_000_000_000)
                    } else {
                        now_utc.add_nanos(-1_000_000_000)
                    };
                    m = m.poss_dup(orig);
                }
                m = match msg_type {
                    b"1" | b"0" if fields & 4 != 0 => m.set(tag::TEST_REQ_ID, inp.text()),
                    b"2" => m
                        .set(tag::BEGIN_SEQ_NO, (inp.byte() as u64).to_string())
                        .set(
                            tag::END_SEQ_NO,
                            (inp.byte() as u64 % 4 * inp.byte() as u64).to_string(),
                        ),
                    b"4" => {
                        let m = m.set(tag::NEW_SEQ_NO, (expected + inp.byte() as u64).to_string());
                        if fields & 8 != 0 {
                            m.set(tag::GAP_FILL_FLAG, "Y")
                        } else {
                            m
                        }
                    }
                    b"A" => {
                        let m = m
                            .set(tag::ENCRYPT_METHOD, "0")
                            .set(tag::HEART_BT_INT, (inp.byte() % 40).to_string());
                        if fields & 8 != 0 {
                            m.set(tag::RESET_SEQ_NUM_FLAG, "Y")
                        } else {
                            m
                        }
                    }
                    b"3" => m.set(tag::REF_SEQ_NUM, (inp.byte() as u64).to_string()),
                    b"5" if fields & 4 != 0 => m.set(tag::TEXT, inp.text()),
                    _ => m.set(tag::CL_ORD_ID, inp.text()),
                };
                if fields & 16 != 0 {
                    // A field of the fuzzer's choosing.
                    let t = u32::from(inp.u16()) % 1200 + 1;
                    m = m.set(t, inp.text());
                }
                if fields & 32 != 0 {
                    m = m.remove(tag::SENDING_TIME);
                }
                if fields & 64 != 0 {
                    m = m.remove(tag::MSG_SEQ_NUM);
                }
                let how = inp.byte();
                h.receive(m, how, &mut inp);
            }
            // Raw bytes.
            6 => {
                let n = inp.byte() as usize;
                let bytes = inp.bytes(n).to_vec();
                h.input(&bytes);
            }
            // Time passes, timers fire at their deadlines.
            7 | 8 => {
                let ms = inp.u16() as u64 * 4;
                h.advance(Duration::from_millis(ms));
            }
            // The process stalls, then handles every expired timer at once.
            9 => {
                let secs = inp.byte() as u64 * 4;
                h.stall(Duration::from_secs(secs));
            }
            // The application sends.
            10 | 11 => {
                let mut m = MessageBuilder::new(if inp.bool() { b"D" } else { b"8" });
                m.push_str(tag::CL_ORD_ID, &inp.text());
                let (r, out) = h.d.try_send(&m);
                h.check(&out);
                let _ = r;
            }
            // Logout.
            12 => {
                let text = inp.text();
                let out = h.d.logout(Some(&text));
                h.check(&out);
            }
            // The link drops; connect and bring it up again.
            13 => {
                let out = h.d.link_down();
                h.check(&out);
                let out = h.d.connect();
                h.check(&out);
                if inp.bool() {
                    let out = h.d.link_up();
                    h.check(&out);
                }
            }
            // Sequence resets.
            14 => {
                let (now, utc) = (h.d.clock.now(), h.d.clock.utc());
                if inp.bool() {
                    h.d.session.reset_seq_num_and_send_logon(now, utc);
                } else {
                    h.d.session.reset_seq_num_local(now, utc);
                }
                let out = fixrs_session::testing::drain(&mut h.d.session);
                h.check(&out);
            }
            // The counterparty restarts its numbering or logs on again.
            _ => {
                if inp.bool() {
                    h.d.peer.next_seq = 1;
                }
                let hb = h.d.session.config().heart_bt_int;
                let logon = h.d.peer.logon(hb, now_utc);
                let how = inp.byte();
                h.receive(logon, how, &mut inp);
            }
        }
    }
    // Whatever state it is in, the session keeps writing well-formed bytes
    // as time passes.
    h.advance(Duration::from_secs(120));
});
