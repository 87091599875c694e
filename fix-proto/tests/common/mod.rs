//! Helpers shared by the integration tests: building frames by hand
//! (correct or deliberately wrong) and checking frames independently of
//! the framer under test.

#![allow(dead_code)]

use fixrs_proto::encode::{Encoder, FieldWriter};
use fixrs_proto::tag;

/// `|` to SOH.
pub fn soh(s: &str) -> Vec<u8> {
    s.replace('|', "\x01").into_bytes()
}

/// A Heartbeat with MsgSeqNum `seq`, encoded by the crate's encoder.
pub fn heartbeat(seq: u64) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.start("FIX.4.4", b"0")
        .push_str(tag::SENDER_COMP_ID, "A")
        .push_str(tag::TARGET_COMP_ID, "B")
        .push_uint(tag::MSG_SEQ_NUM, seq)
        .push_str(tag::SENDING_TIME, "20240115-10:30:00.000");
    enc.finish().to_vec()
}

/// The sum of `bytes` modulo 256.
pub fn sum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

/// `8=FIX.4.4|9=<len>|<body>10=<sum>|` with BodyLength and CheckSum
/// computed, for a body given with `|` for SOH (ending with `|`).
pub fn frame(body: &str) -> Vec<u8> {
    let body = soh(body);
    let mut out = soh(&format!("8=FIX.4.4|9={}|", body.len()));
    out.extend_from_slice(&body);
    let ck = sum(&out);
    out.extend_from_slice(format!("10={ck:03}\x01").as_bytes());
    out
}

/// Checks a frame without the framer: `8=` first, `9=` second with the
/// exact length of the body, `35=` third, `10=` and three digits and SOH
/// last, and the CheckSum right.
pub fn verify_frame(f: &[u8]) -> Result<(), String> {
    let text = || String::from_utf8_lossy(f).replace('\x01', "|");
    if !f.starts_with(b"8=") {
        return Err(format!("no 8= at start: {}", text()));
    }
    let first_soh = f
        .iter()
        .position(|&b| b == 1)
        .ok_or_else(|| format!("no SOH: {}", text()))?;
    let rest = &f[first_soh + 1..];
    if !rest.starts_with(b"9=") {
        return Err(format!("9 not second: {}", text()));
    }
    let len_end = rest
        .iter()
        .position(|&b| b == 1)
        .ok_or_else(|| format!("9 unterminated: {}", text()))?;
    let declared: usize = std::str::from_utf8(&rest[2..len_end])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("9 not a number: {}", text()))?;
    let body_start = first_soh + 1 + len_end + 1;
    if f.len() < body_start + 7 {
        return Err(format!("too short: {}", text()));
    }
    let trailer = &f[f.len() - 7..];
    if !(trailer.starts_with(b"10=")
        && trailer[3..6].iter().all(u8::is_ascii_digit)
        && trailer[6] == 1)
    {
        return Err(format!("bad trailer: {}", text()));
    }
    let body_len = f.len() - 7 - body_start;
    if body_len != declared {
        return Err(format!("9={declared} but body is {body_len}: {}", text()));
    }
    if !f[body_start..].starts_with(b"35=") {
        return Err(format!("35 not third: {}", text()));
    }
    let declared_ck: u32 = std::str::from_utf8(&trailer[3..6])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("10 not a number: {}", text()))?;
    if declared_ck != sum(&f[..f.len() - 7]) as u32 {
        return Err(format!("wrong CheckSum: {}", text()));
    }
    Ok(())
}
