//! The data dictionary a session validates incoming messages against
//! ([`SessionDictionary`]); the checks themselves are the codec's
//! ([`fixrs_proto::validate`]), with the switches of
//! [`SessionConfig::validation`](crate::SessionConfig::validation).
//!
//! With a dictionary set ([`Session::set_dictionary`](crate::Session::set_dictionary))
//! and [`SessionConfig::use_data_dictionary`](crate::SessionConfig::use_data_dictionary)
//! on, every message received in sequence is validated before it is
//! processed; a problem is answered with a Reject carrying RefSeqNum(45),
//! RefTagID(371), RefMsgType(372) and the SessionRejectReason(373) of the
//! problem, and the message counts as received (FIX session test cases
//! 14a-14k). Unknown MsgTypes get 373=11 (2q).

use fixrs_proto::dictionary::Dictionary;
use std::ops::Deref;
use std::sync::Arc;

/// The data dictionary a session validates against: a built-in one
/// ([`Dictionary::builtin`]) or one loaded by the application, shared
/// between sessions.
#[derive(Debug, Clone)]
pub enum SessionDictionary {
    /// A dictionary that lives for the whole program (the built-in ones).
    Static(&'static Dictionary),
    /// A dictionary loaded at run time.
    Shared(Arc<Dictionary>),
}

impl Deref for SessionDictionary {
    type Target = Dictionary;

    fn deref(&self) -> &Dictionary {
        match self {
            SessionDictionary::Static(d) => d,
            SessionDictionary::Shared(d) => d,
        }
    }
}

/// Two handles are equal when they point to the same dictionary or to
/// equal ones.
impl PartialEq for SessionDictionary {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq::<Dictionary>(&**self, &**other) || **self == **other
    }
}

impl From<&'static Dictionary> for SessionDictionary {
    fn from(d: &'static Dictionary) -> Self {
        SessionDictionary::Static(d)
    }
}

impl From<Arc<Dictionary>> for SessionDictionary {
    fn from(d: Arc<Dictionary>) -> Self {
        SessionDictionary::Shared(d)
    }
}

impl From<Dictionary> for SessionDictionary {
    fn from(d: Dictionary) -> Self {
        SessionDictionary::Shared(Arc::new(d))
    }
}
