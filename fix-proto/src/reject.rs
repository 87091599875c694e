//! Reject reasons: SessionRejectReason(373) and BusinessRejectReason(380),
//! and which of their values each FIX version defines.

use crate::FixVersion;

/// SessionRejectReason(373): why a message was rejected at the session
/// level (Reject, MsgType 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionRejectReason {
    /// 0: Invalid tag number.
    InvalidTagNumber,
    /// 1: Required tag missing.
    RequiredTagMissing,
    /// 2: Tag not defined for this message type.
    TagNotDefinedForMessageType,
    /// 3: Undefined tag.
    UndefinedTag,
    /// 4: Tag specified without a value.
    TagSpecifiedWithoutValue,
    /// 5: Value is incorrect (out of range) for this tag.
    ValueIsIncorrect,
    /// 6: Incorrect data format for value.
    IncorrectDataFormat,
    /// 7: Decryption problem.
    DecryptionProblem,
    /// 8: Signature problem.
    SignatureProblem,
    /// 9: CompID problem.
    CompIdProblem,
    /// 10: SendingTime accuracy problem.
    SendingTimeAccuracyProblem,
    /// 11: Invalid MsgType.
    InvalidMsgType,
    /// 12: XML validation error.
    XmlValidationError,
    /// 13: Tag appears more than once.
    TagAppearsMoreThanOnce,
    /// 14: Tag specified out of required order.
    TagSpecifiedOutOfRequiredOrder,
    /// 15: Repeating group fields out of order.
    RepeatingGroupFieldsOutOfOrder,
    /// 16: Incorrect NumInGroup count for repeating group.
    IncorrectNumInGroupCount,
    /// 17: Non "data" value includes field delimiter (SOH).
    NonDataValueIncludesFieldDelimiter,
    /// 18: Invalid/unsupported application version.
    InvalidApplVerId,
    /// 99: Other.
    Other,
}

impl SessionRejectReason {
    /// The numeric value written in SessionRejectReason(373).
    pub const fn code(self) -> u32 {
        use SessionRejectReason::*;
        match self {
            InvalidTagNumber => 0,
            RequiredTagMissing => 1,
            TagNotDefinedForMessageType => 2,
            UndefinedTag => 3,
            TagSpecifiedWithoutValue => 4,
            ValueIsIncorrect => 5,
            IncorrectDataFormat => 6,
            DecryptionProblem => 7,
            SignatureProblem => 8,
            CompIdProblem => 9,
            SendingTimeAccuracyProblem => 10,
            InvalidMsgType => 11,
            XmlValidationError => 12,
            TagAppearsMoreThanOnce => 13,
            TagSpecifiedOutOfRequiredOrder => 14,
            RepeatingGroupFieldsOutOfOrder => 15,
            IncorrectNumInGroupCount => 16,
            NonDataValueIncludesFieldDelimiter => 17,
            InvalidApplVerId => 18,
            Other => 99,
        }
    }

    /// The reason with a numeric value, if it is a standard one.
    pub const fn from_code(code: u32) -> Option<SessionRejectReason> {
        use SessionRejectReason::*;
        Some(match code {
            0 => InvalidTagNumber,
            1 => RequiredTagMissing,
            2 => TagNotDefinedForMessageType,
            3 => UndefinedTag,
            4 => TagSpecifiedWithoutValue,
            5 => ValueIsIncorrect,
            6 => IncorrectDataFormat,
            7 => DecryptionProblem,
            8 => SignatureProblem,
            9 => CompIdProblem,
            10 => SendingTimeAccuracyProblem,
            11 => InvalidMsgType,
            12 => XmlValidationError,
            13 => TagAppearsMoreThanOnce,
            14 => TagSpecifiedOutOfRequiredOrder,
            15 => RepeatingGroupFieldsOutOfOrder,
            16 => IncorrectNumInGroupCount,
            17 => NonDataValueIncludesFieldDelimiter,
            18 => InvalidApplVerId,
            99 => Other,
            _ => return None,
        })
    }

    /// Whether the SessionRejectReason(373) of `version` has this value,
    /// as its standard dictionary (`spec/`) lists them: FIX 4.0 and 4.1
    /// have no field 373; FIX 4.2 defines 0 to 11; FIX 4.3 0 to 17; FIX
    /// 4.4 0 to 17 and 99; FIXT.1.1, the session layer of FIX 5.0 and
    /// later, 0 to 18 and 99. A Reject for a reason its version lacks
    /// leaves 373 out and says the reason in Text(58).
    pub const fn is_defined_in(self, version: FixVersion) -> bool {
        let code = self.code();
        match version {
            FixVersion::Fix40 | FixVersion::Fix41 => false,
            FixVersion::Fix42 => code <= 11,
            FixVersion::Fix43 => code <= 17,
            FixVersion::Fix44 => code <= 17 || code == 99,
            FixVersion::Fix50 | FixVersion::Fix50Sp1 | FixVersion::Fix50Sp2 => true,
        }
    }

    /// The standard's wording, used as Text(58) of the Reject.
    pub const fn description(self) -> &'static str {
        use SessionRejectReason::*;
        match self {
            InvalidTagNumber => "Invalid tag number",
            RequiredTagMissing => "Required tag missing",
            TagNotDefinedForMessageType => "Tag not defined for this message type",
            UndefinedTag => "Undefined Tag",
            TagSpecifiedWithoutValue => "Tag specified without a value",
            ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
            IncorrectDataFormat => "Incorrect data format for value",
            DecryptionProblem => "Decryption problem",
            SignatureProblem => "Signature problem",
            CompIdProblem => "CompID problem",
            SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            InvalidMsgType => "Invalid MsgType",
            XmlValidationError => "XML Validation error",
            TagAppearsMoreThanOnce => "Tag appears more than once",
            TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
            RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
            IncorrectNumInGroupCount => "Incorrect NumInGroup count for repeating group",
            NonDataValueIncludesFieldDelimiter => {
                "Non Data value includes field delimiter (SOH character)"
            }
            InvalidApplVerId => "Invalid/Unsupported Application Version",
            Other => "Other",
        }
    }
}

impl std::fmt::Display for SessionRejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

/// BusinessRejectReason(380) of a BusinessMessageReject (MsgType j).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BusinessRejectReason {
    /// 0: Other.
    Other,
    /// 1: Unknown ID.
    UnknownId,
    /// 2: Unknown Security.
    UnknownSecurity,
    /// 3: Unsupported Message Type.
    UnsupportedMessageType,
    /// 4: Application not available.
    ApplicationNotAvailable,
    /// 5: Conditionally required field missing.
    ConditionallyRequiredFieldMissing,
    /// 6: Not authorized.
    NotAuthorized,
    /// 7: DeliverTo firm not available at this time.
    DeliverToFirmNotAvailable,
    /// 18: Invalid price increment.
    InvalidPriceIncrement,
}

impl BusinessRejectReason {
    /// The numeric value written in BusinessRejectReason(380).
    pub const fn code(self) -> u32 {
        use BusinessRejectReason::*;
        match self {
            Other => 0,
            UnknownId => 1,
            UnknownSecurity => 2,
            UnsupportedMessageType => 3,
            ApplicationNotAvailable => 4,
            ConditionallyRequiredFieldMissing => 5,
            NotAuthorized => 6,
            DeliverToFirmNotAvailable => 7,
            InvalidPriceIncrement => 18,
        }
    }

    /// The reason with a numeric value, if it is a standard one.
    pub const fn from_code(code: u32) -> Option<BusinessRejectReason> {
        use BusinessRejectReason::*;
        Some(match code {
            0 => Other,
            1 => UnknownId,
            2 => UnknownSecurity,
            3 => UnsupportedMessageType,
            4 => ApplicationNotAvailable,
            5 => ConditionallyRequiredFieldMissing,
            6 => NotAuthorized,
            7 => DeliverToFirmNotAvailable,
            18 => InvalidPriceIncrement,
            _ => return None,
        })
    }

    /// Whether the BusinessRejectReason(380) of `version` has this value,
    /// as its standard dictionary (`spec/`) lists them: FIX 4.0 and 4.1
    /// have no BusinessMessageReject; FIX 4.2 defines 0 to 5; FIX 4.3 and
    /// 4.4 0 to 7; FIX 5.0 and later 0 to 7 and 18 (SP2 adds 8 to 10,
    /// which this type does not name).
    pub const fn is_defined_in(self, version: FixVersion) -> bool {
        let code = self.code();
        match version {
            FixVersion::Fix40 | FixVersion::Fix41 => false,
            FixVersion::Fix42 => code <= 5,
            FixVersion::Fix43 | FixVersion::Fix44 => code <= 7,
            FixVersion::Fix50 | FixVersion::Fix50Sp1 | FixVersion::Fix50Sp2 => true,
        }
    }

    /// The standard's wording, used as Text(58) of the
    /// BusinessMessageReject.
    pub const fn description(self) -> &'static str {
        use BusinessRejectReason::*;
        match self {
            Other => "Other",
            UnknownId => "Unknown ID",
            UnknownSecurity => "Unknown Security",
            UnsupportedMessageType => "Unsupported Message Type",
            ApplicationNotAvailable => "Application not available",
            ConditionallyRequiredFieldMissing => "Conditionally required field missing",
            NotAuthorized => "Not authorized",
            DeliverToFirmNotAvailable => "DeliverTo firm not available at this time",
            InvalidPriceIncrement => "Invalid price increment",
        }
    }
}

impl std::fmt::Display for BusinessRejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in (0..=18).chain([99]) {
            let r = SessionRejectReason::from_code(code).unwrap();
            assert_eq!(r.code(), code);
        }
        assert_eq!(SessionRejectReason::from_code(19), None);
        for code in (0..=7).chain([18]) {
            assert_eq!(BusinessRejectReason::from_code(code).unwrap().code(), code);
        }
    }

    /// The values each version's standard dictionary lists for `tag`.
    fn dictionary_values(version: FixVersion, tag: crate::Tag) -> Vec<u32> {
        let dict = crate::dictionary::Dictionary::builtin(version);
        dict.field(tag)
            .map(|f| {
                f.values()
                    .iter()
                    .map(|v| v.value().parse().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn values_defined_per_version_follow_the_dictionaries() {
        for version in FixVersion::ALL {
            let listed = dictionary_values(version, crate::tag::SESSION_REJECT_REASON);
            for code in (0..=18).chain([99]) {
                let r = SessionRejectReason::from_code(code).unwrap();
                assert_eq!(
                    r.is_defined_in(version),
                    listed.contains(&code),
                    "373={code} in {version}"
                );
            }
            let listed = dictionary_values(version, crate::tag::BUSINESS_REJECT_REASON);
            for code in (0..=7).chain([18]) {
                let r = BusinessRejectReason::from_code(code).unwrap();
                assert_eq!(
                    r.is_defined_in(version),
                    listed.contains(&code),
                    "380={code} in {version}"
                );
            }
        }
    }
}
