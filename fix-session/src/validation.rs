//! Message validation against a data dictionary: which dictionary a session
//! uses ([`SessionDictionary`]) and how its [`ValidationSettings`] map to
//! the codec's validation options.
//!
//! With a dictionary set ([`Session::set_dictionary`](crate::Session::set_dictionary))
//! and `ValidationSettings::use_data_dictionary` on, every message received
//! in sequence is validated before it is processed; a problem is answered
//! with a Reject carrying RefSeqNum(45), RefTagID(371), RefMsgType(372) and
//! the SessionRejectReason(373) of the problem, and the message counts as
//! received (FIX session test cases 14a-14k). Unknown MsgTypes get
//! 373=11 (2q).

use crate::config::ValidationSettings;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::validate::ValidationOptions;
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

/// The codec's validation options for a session's settings.
pub(crate) fn options(settings: &ValidationSettings) -> ValidationOptions {
    ValidationOptions {
        validate_fields_out_of_order: settings.validate_fields_out_of_order,
        validate_fields_have_values: settings.validate_fields_have_values,
        validate_user_defined_fields: settings.validate_user_defined_fields,
        allow_unknown_msg_fields: settings.allow_unknown_msg_fields,
        validate_group_field_order: settings.validate_unordered_group_fields,
    }
}
