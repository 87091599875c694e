//! Showing bytes that came from a peer or a log on a terminal, safely:
//! control characters, invalid UTF-8 and overlong values are escaped or
//! cut so that no input can move the cursor, change colours or flood the
//! screen.

use fixrs_proto::SOH;

/// Longest value shown in full; longer ones are cut and their length said.
pub const MAX_SHOWN: usize = 256;

/// `bytes` as printable text: valid UTF-8 is kept except control
/// characters, which are escaped (`\n`, `\t`, `\x01`, `\u{202e}` ...);
/// invalid bytes become `\xNN`. Values longer than `max` bytes are cut,
/// with their full length appended.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let mut out = String::with_capacity(shown.len());
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > max {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        // Bidirectional overrides and other format characters can make a
        // value read differently from what it is.
        c if c.is_control() || is_format_char(c) => {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        }
        c => out.push(c),
    }
}

fn is_format_char(c: char) -> bool {
    matches!(c as u32, 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff)
}

/// A whole message or line shown with `|` for SOH, other bytes escaped as
/// by [`escape`].
pub fn escape_frame(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    let cut = bytes.len().min(max);
    for (i, part) in bytes[..cut].split(|&b| b == SOH).enumerate() {
        if i > 0 {
            out.push('|');
        }
        out.push_str(&escape(part, usize::MAX));
    }
    if bytes.len() > max {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bad_utf8_are_escaped() {
        assert_eq!(escape(b"abc", 10), "abc");
        assert_eq!(escape(b"a\x01b\x1b[31m", 20), "a\\x01b\\x1b[31m");
        assert_eq!(escape(b"\xff\xfe", 10), "\\xff\\xfe");
        assert_eq!(escape("caf\u{e9}".as_bytes(), 10), "caf\u{e9}");
        assert_eq!(escape("x\u{202e}y".as_bytes(), 10), "x\\u{202e}y");
        assert_eq!(escape(b"0123456789", 4), "0123... (10 bytes)");
    }

    #[test]
    fn frames_show_soh_as_bar() {
        assert_eq!(escape_frame(b"8=FIX.4.4\x019=5\x01", 100), "8=FIX.4.4|9=5|");
    }
}
