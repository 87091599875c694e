//! MsgType(35) values: which the FIX standard defines, which are
//! session-level, and what a well-formed one looks like.

/// Every MsgType defined by FIX 4.0 to 5.0 SP2 and FIXT 1.1 (from the
/// QuickFIX dictionaries), sorted bytewise.
static STANDARD: &[&[u8]] = &[
    b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9", b"A", b"AA", b"AB", b"AC", b"AD",
    b"AE", b"AF", b"AG", b"AH", b"AI", b"AJ", b"AK", b"AL", b"AM", b"AN", b"AO", b"AP", b"AQ",
    b"AR", b"AS", b"AT", b"AU", b"AV", b"AW", b"AX", b"AY", b"AZ", b"B", b"BA", b"BB", b"BC",
    b"BD", b"BE", b"BF", b"BG", b"BH", b"BI", b"BJ", b"BK", b"BL", b"BM", b"BN", b"BO", b"BP",
    b"BQ", b"BR", b"BS", b"BT", b"BU", b"BV", b"BW", b"BX", b"BY", b"BZ", b"C", b"CA", b"CB",
    b"CC", b"CD", b"CE", b"CF", b"CG", b"CH", b"CI", b"CJ", b"CK", b"CL", b"CM", b"CN", b"CO",
    b"CQ", b"CR", b"CS", b"CT", b"CU", b"CV", b"CW", b"CX", b"CY", b"CZ", b"D", b"DA", b"DB",
    b"DC", b"DD", b"DE", b"DF", b"DG", b"DH", b"DI", b"DJ", b"DK", b"DL", b"DM", b"DN", b"DO",
    b"DP", b"DQ", b"DR", b"DS", b"DT", b"DU", b"DV", b"DW", b"DX", b"DY", b"DZ", b"E", b"EA",
    b"EB", b"F", b"G", b"H", b"J", b"K", b"L", b"M", b"N", b"P", b"Q", b"R", b"S", b"T", b"V",
    b"W", b"X", b"Y", b"Z", b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k", b"l",
    b"m", b"n", b"o", b"p", b"q", b"r", b"s", b"t", b"u", b"v", b"w", b"x", b"y", b"z",
];

/// Whether `msg_type` is defined by some version of the FIX standard.
pub(crate) fn is_standard(msg_type: &[u8]) -> bool {
    STANDARD.binary_search(&msg_type).is_ok()
}

/// Whether `msg_type` is user-defined (the standard reserves MsgTypes
/// starting with `U` for bilateral use).
pub(crate) fn is_user_defined(msg_type: &[u8]) -> bool {
    msg_type.first() == Some(&b'U') && msg_type.len() > 1
}

/// Whether `msg_type` is well-formed: one to eight ASCII letters or digits.
pub(crate) fn is_well_formed(msg_type: &[u8]) -> bool {
    (1..=8).contains(&msg_type.len()) && msg_type.iter().all(u8::is_ascii_alphanumeric)
}

/// Whether `msg_type` is a session-level message the session sends itself
/// and never resends: Heartbeat, TestRequest, ResendRequest, SequenceReset,
/// Logout, Logon. (Reject(3) is session-level too, but an application may
/// send one itself.)
pub(crate) fn is_session_managed(msg_type: &[u8]) -> bool {
    matches!(msg_type, b"0" | b"1" | b"2" | b"4" | b"5" | b"A")
}

/// Whether a stored message of `msg_type` is gap-filled rather than resent
/// when the peer asks for it: every session-level message, Reject(3)
/// included (the session test cases' "SequenceReset-GapFill in place of
/// session-level messages", and QuickFIX's `isAdminMsgType`).
pub(crate) fn is_gap_filled_on_resend(msg_type: &[u8]) -> bool {
    is_session_managed(msg_type) || msg_type == b"3"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_types() {
        assert!(STANDARD.windows(2).all(|w| w[0] < w[1]));
        for t in [&b"0"[..], b"A", b"D", b"8", b"AE", b"j", b"BZ"] {
            assert!(is_standard(t), "{t:?}");
        }
        for t in [&b"ZZ"[..], b"U1", b"", b"I"] {
            assert!(!is_standard(t), "{t:?}");
        }
        assert!(is_user_defined(b"U1"));
        assert!(!is_user_defined(b"U"));
        assert!(is_well_formed(b"AE"));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(b"A-"));
        assert!(is_session_managed(b"A"));
        assert!(!is_session_managed(b"3"));
        assert!(is_gap_filled_on_resend(b"3"));
        assert!(is_gap_filled_on_resend(b"A"));
        assert!(!is_gap_filled_on_resend(b"j"));
        assert!(!is_gap_filled_on_resend(b"D"));
    }
}
