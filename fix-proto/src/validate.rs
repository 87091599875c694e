//! Validation of messages against a data dictionary, giving the
//! SessionRejectReason(373) and RefTagID(371) of the session-level Reject
//! a bad message gets.
//!
//! A [`Validator`] holds the options (QuickFIX's ValidateFieldsOutOfOrder,
//! ValidateFieldsHaveValues, ValidateUserDefinedFields and
//! AllowUnknownMsgFields, see [`ValidationOptions`]) and scratch space
//! reused from message to message, so validating allocates nothing once
//! warm. [`Validator::validate`] walks the fields once, in order, and
//! returns the first problem as a [`ValidationError`]:
//!
//! | problem | 373 | RefTagID |
//! |---|---|---|
//! | tag not in the dictionary (and not an accepted user-defined one) | 0 | the tag |
//! | required field missing (message, header, trailer or group entry) | 1 | the missing tag |
//! | tag defined but not for this MsgType | 2 | the tag |
//! | empty value | 4 | the tag |
//! | value not in the field's enumeration | 5 | the tag |
//! | value not in the field's data format | 6 | the tag |
//! | MsgType not in the dictionary | 11 | none (as QuickFIX) |
//! | tag appears twice (outside repeating groups) | 13 | the tag |
//! | header field after the body, body field after the trailer, or 8, 9, 35 not first | 14 | the tag |
//! | group entry not starting with its delimiter, or members out of order | 15 | the tag |
//! | NumInGroup differs from the entries present | 16 | the count tag |
//! | SOH inside a non-data value (a [`ParseError`]) | 17 | the field before |
//! | tag 0, which FIX never assigns (a [`ParseError`]) | 0 | 0 |
//!
//! Of several problems, the one reported is the one QuickFIX reports for
//! the same message, so that a counterparty sees the same Reject from
//! either engine: a misplaced header, body or trailer field or an unknown
//! MsgType first; then a missing required field (header, trailer, body,
//! each by lowest tag, then group entries); then the field problems of
//! the header, the trailer and the body, each by lowest tag (for one
//! field: repeated, empty, format, enumeration, undefined, group count).
//! Which fields are header and trailer fields comes from the dictionary
//! (so custom header fields work). A repeating
//! group ends at the first tag that is not a member of its entries; a
//! member repeated or out of order ends it too when an enclosing layout
//! has that tag, and is reason 15 otherwise.
//!
//! Cost: validating a message costs about as much as indexing it with
//! [`FieldIndex::parse`](crate::message::FieldIndex::parse), and allocates
//! nothing once the validator is warm; `cargo bench -p fixrs-proto --bench
//! dictionary` times both, and the measured figure is in the
//! [performance section of the repository's README](https://github.com/fixrs/fixrs#performance).
//!
//! Not checked here: BeginString(8) against the session's version,
//! BodyLength(9) and CheckSum(10) (the framer's business), and the
//! enumeration of MsgType(35) (the message lookup is, reason 11).
//! Duplicates are found among the fields the dictionary places in the
//! message; tags accepted by the options without being placed
//! (user-defined or unknown ones) may repeat.
//!
//! ```
//! use fixrs_proto::dictionary::Dictionary;
//! use fixrs_proto::encode::{Encoder, FieldWriter};
//! use fixrs_proto::message::FieldIndex;
//! use fixrs_proto::validate::{ValidationOptions, Validator};
//! use fixrs_proto::{FixVersion, SessionRejectReason};
//!
//! let dict = Dictionary::builtin(FixVersion::Fix44);
//! let mut validator = Validator::new(ValidationOptions::default());
//! let mut enc = Encoder::new();
//! enc.start("FIX.4.4", b"0")
//!     .push_str(49, "A").push_str(56, "B").push_uint(34, 2)
//!     .push_str(52, "20240115-10:30:00.000")
//!     .push_str(112, "");
//! let bytes = enc.finish().to_vec();
//! let mut index = FieldIndex::new();
//! let msg = index.parse(&bytes).unwrap();
//! let err = validator.validate(dict, &msg).unwrap_err();
//! assert_eq!(err.reason(), SessionRejectReason::TagSpecifiedWithoutValue);
//! assert_eq!(err.ref_tag_id(), Some(112));
//! ```

use crate::dictionary::{Dictionary, FieldDef, FieldType, LayoutData, MessageDef};
use crate::message::{FieldSpan, Message, ParseError};
use crate::reject::SessionRejectReason;
use crate::tag;
use crate::value::FromFixValue;
use crate::Tag;

/// The first tag of the user-defined range: tags from here on are checked
/// only when [`ValidationOptions::validate_user_defined_fields`] is set.
pub const USER_DEFINED_MIN: Tag = 5000;

/// What validation checks, named after QuickFIX's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidationOptions {
    /// `ValidateFieldsOutOfOrder` (default true): reject header fields
    /// after the first body field, body fields after the trailer started,
    /// and messages whose first three fields are not 8, 9, 35 (reason 14).
    /// When false such fields are accepted and checked in their own
    /// section.
    pub validate_fields_out_of_order: bool,
    /// `ValidateFieldsHaveValues` (default true): reject fields with an
    /// empty value (reason 4). When false, empty values are accepted and
    /// not format-checked.
    pub validate_fields_have_values: bool,
    /// `ValidateUserDefinedFields` (default true): tags from
    /// [`USER_DEFINED_MIN`] (5000) on are checked like the others (reasons
    /// 0 and 2). When false they are accepted in any message.
    pub validate_user_defined_fields: bool,
    /// `AllowUnknownMsgFields` (default false): accept tags below 5000 that
    /// the dictionary does not define, or defines but not for this
    /// message (no reason 0 or 2 for them).
    pub allow_unknown_msg_fields: bool,
    /// `ValidateUnorderedGroupFields` (default true): members of a
    /// repeating group entry must follow the dictionary's order, as FIX
    /// requires (reason 15). When false, only the delimiter must come
    /// first.
    pub validate_unordered_group_fields: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            validate_fields_out_of_order: true,
            validate_fields_have_values: true,
            validate_user_defined_fields: true,
            allow_unknown_msg_fields: false,
            validate_unordered_group_fields: true,
        }
    }
}

/// Why a message fails validation. Each variant maps to a
/// SessionRejectReason ([`ValidationError::reason`]) and a RefTagID
/// ([`ValidationError::ref_tag_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A tag the dictionary does not define (reason 0).
    #[error("invalid tag number {tag}")]
    InvalidTagNumber {
        /// The tag.
        tag: Tag,
    },
    /// A required field is missing (reason 1).
    #[error("required tag {tag} missing")]
    RequiredTagMissing {
        /// The missing tag.
        tag: Tag,
    },
    /// A field the dictionary defines, but not for this MsgType (reason 2).
    #[error("tag {tag} not defined for this message type")]
    TagNotDefinedForMsgType {
        /// The tag.
        tag: Tag,
    },
    /// A field with an empty value (reason 4).
    #[error("tag {tag} specified without a value")]
    TagWithoutValue {
        /// The tag.
        tag: Tag,
    },
    /// A value outside the field's enumeration (reason 5).
    #[error("value of tag {tag} is incorrect (out of range)")]
    ValueIsIncorrect {
        /// The tag.
        tag: Tag,
    },
    /// A value not in the field's data format (reason 6).
    #[error("tag {tag} has incorrect data format for {field_type}")]
    IncorrectDataFormat {
        /// The tag.
        tag: Tag,
        /// The field's type.
        field_type: FieldType,
    },
    /// A MsgType the dictionary does not define (reason 11).
    #[error("invalid MsgType")]
    InvalidMsgType,
    /// A field outside repeating groups appears twice (reason 13).
    #[error("tag {tag} appears more than once")]
    TagAppearsMoreThanOnce {
        /// The tag.
        tag: Tag,
    },
    /// Header, body and trailer out of order, or 8, 9, 35 not the first
    /// three fields (reason 14).
    #[error("tag {tag} specified out of required order")]
    TagOutOfOrder {
        /// The tag.
        tag: Tag,
    },
    /// A group entry that does not start with the delimiter, or whose
    /// members are out of order or repeated (reason 15).
    #[error("repeating group {count_tag}: tag {tag} out of order")]
    GroupFieldsOutOfOrder {
        /// The group's count tag.
        count_tag: Tag,
        /// The misplaced tag.
        tag: Tag,
    },
    /// NumInGroup differs from the number of entries (reason 16).
    #[error("NumInGroup({count_tag}) is {declared} but {found} entries follow")]
    IncorrectNumInGroupCount {
        /// The count tag.
        count_tag: Tag,
        /// The NumInGroup value.
        declared: usize,
        /// Entries found.
        found: usize,
    },
    /// A non-data value contains SOH, seen as a malformed field after the
    /// field `after` (reason 17).
    #[error("value of tag {after:?} includes the field delimiter (SOH)")]
    SohInValue {
        /// The field whose value contained SOH.
        after: Option<Tag>,
    },
}

impl ValidationError {
    /// SessionRejectReason(373) of the Reject to send.
    pub fn reason(&self) -> SessionRejectReason {
        use SessionRejectReason as R;
        match self {
            ValidationError::InvalidTagNumber { .. } => R::InvalidTagNumber,
            ValidationError::RequiredTagMissing { .. } => R::RequiredTagMissing,
            ValidationError::TagNotDefinedForMsgType { .. } => R::TagNotDefinedForMessageType,
            ValidationError::TagWithoutValue { .. } => R::TagSpecifiedWithoutValue,
            ValidationError::ValueIsIncorrect { .. } => R::ValueIsIncorrect,
            ValidationError::IncorrectDataFormat { .. } => R::IncorrectDataFormat,
            ValidationError::InvalidMsgType => R::InvalidMsgType,
            ValidationError::TagAppearsMoreThanOnce { .. } => R::TagAppearsMoreThanOnce,
            ValidationError::TagOutOfOrder { .. } => R::TagSpecifiedOutOfRequiredOrder,
            ValidationError::GroupFieldsOutOfOrder { .. } => R::RepeatingGroupFieldsOutOfOrder,
            ValidationError::IncorrectNumInGroupCount { .. } => R::IncorrectNumInGroupCount,
            ValidationError::SohInValue { .. } => R::NonDataValueIncludesFieldDelimiter,
        }
    }

    /// RefTagID(371) of the Reject to send.
    pub fn ref_tag_id(&self) -> Option<Tag> {
        match *self {
            ValidationError::InvalidTagNumber { tag }
            | ValidationError::RequiredTagMissing { tag }
            | ValidationError::TagNotDefinedForMsgType { tag }
            | ValidationError::TagWithoutValue { tag }
            | ValidationError::ValueIsIncorrect { tag }
            | ValidationError::IncorrectDataFormat { tag, .. }
            | ValidationError::TagAppearsMoreThanOnce { tag }
            | ValidationError::TagOutOfOrder { tag }
            | ValidationError::GroupFieldsOutOfOrder { tag, .. } => Some(tag),
            // As QuickFIX: the Reject names no field.
            ValidationError::InvalidMsgType => None,
            ValidationError::IncorrectNumInGroupCount { count_tag, .. } => Some(count_tag),
            ValidationError::SohInValue { after } => after,
        }
    }

    /// The standard wording of the reason, for Text(58) of the Reject.
    pub fn text(&self) -> &'static str {
        self.reason().description()
    }

    /// The validation error a message that could not be split into fields
    /// gets, where one applies: a malformed field after a field whose value
    /// contained SOH is reason 17 with RefTagID the previous field (case
    /// 14k); tag 0 (`0=HI`) is reason 0 with RefTagID 0; a data field not
    /// matching its length field is reason 6. Other parse errors make the
    /// message garbled (no Reject).
    pub fn from_parse_error(e: &ParseError) -> Option<ValidationError> {
        match *e {
            ParseError::MalformedField { after, .. } => Some(ValidationError::SohInValue { after }),
            ParseError::InvalidTagNumber { tag, .. } => {
                Some(ValidationError::InvalidTagNumber { tag })
            }
            ParseError::DataLengthMismatch { tag } => Some(ValidationError::IncorrectDataFormat {
                tag,
                field_type: FieldType::Data,
            }),
            _ => None,
        }
    }
}

/// Checks that `msg_type` is defined in `dict` (case 2q: otherwise a
/// Reject with reason 11 and RefTagID 35).
#[inline]
pub fn check_msg_type<'d>(
    dict: &'d Dictionary,
    msg_type: &[u8],
) -> Result<MessageDef<'d>, ValidationError> {
    dict.message(msg_type)
        .ok_or(ValidationError::InvalidMsgType)
}

const IN_HEADER: u8 = 1;
const IN_TRAILER: u8 = 2;

/// Validates messages against dictionaries. Reuses its scratch space, so
/// it allocates only while warming up. See the [module
/// documentation](self).
#[derive(Debug, Clone, Default)]
pub struct Validator {
    options: ValidationOptions,
    /// Bitsets of members seen: the header's, body's and trailer's, then
    /// one per open group entry.
    seen: Vec<u64>,
    /// Layouts enclosing the group being walked, outermost first.
    parents: Vec<LayoutData>,
    /// Problems found so far in the message being validated.
    found: Found,
    /// The rank (see [`Found::field`]) of the section being walked.
    rank: u8,
}

/// Problems the walk over a message noted, so that the one QuickFIX would
/// report is the error: a missing required field of a group entry (after
/// those of the header, trailer and body, checked at the end), else the
/// first field problem in QuickFIX's order.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    /// The first group entry found without one of its required fields.
    group_required: Option<ValidationError>,
    /// The field problem that sorts first by (section, tag), sections
    /// ranked header 0, trailer 1, body 2: QuickFIX checks the header's
    /// fields, then the trailer's, then the body's, each in tag order.
    field: Option<(u8, Tag, ValidationError)>,
}

/// Section ranks of [`Found::field`], by the walk's section index (0
/// header, 1 body, 2 trailer).
const RANKS: [u8; 3] = [0, 2, 1];

/// A layout being walked and where its seen-bits live in
/// `Validator::seen`.
#[derive(Clone, Copy)]
struct Frame {
    layout: LayoutData,
    base: usize,
}

impl Validator {
    /// A validator with the given options.
    pub fn new(options: ValidationOptions) -> Validator {
        Validator {
            options,
            seen: Vec::with_capacity(32),
            parents: Vec::with_capacity(8),
            found: Found::default(),
            rank: 0,
        }
    }

    /// The options.
    pub fn options(&self) -> &ValidationOptions {
        &self.options
    }

    /// Changes the options.
    pub fn set_options(&mut self, options: ValidationOptions) {
        self.options = options;
    }

    /// Validates `msg` against `dict`. Of several problems, the error is
    /// the one QuickFIX reports: a misplaced header, body or trailer field
    /// or an unknown MsgType first; then a missing required field (of the
    /// header, the trailer, the body, by lowest tag, then of group
    /// entries); then field problems (duplicates, empty values, formats,
    /// enumerations, undefined tags, group counts), the header's first,
    /// then the trailer's, then the body's, by lowest tag.
    pub fn validate(
        &mut self,
        dict: &Dictionary,
        msg: &Message<'_>,
    ) -> Result<(), ValidationError> {
        let spans = msg.spans();
        let opts = self.options;
        if opts.validate_fields_out_of_order {
            for (pos, expected) in [
                (0, tag::BEGIN_STRING),
                (1, tag::BODY_LENGTH),
                (2, tag::MSG_TYPE),
            ] {
                if spans.get(pos).map(|s| s.tag) != Some(expected) {
                    return Err(if msg.contains(expected) {
                        ValidationError::TagOutOfOrder { tag: expected }
                    } else {
                        ValidationError::RequiredTagMissing { tag: expected }
                    });
                }
            }
        } else if !msg.contains(tag::MSG_TYPE) {
            return Err(ValidationError::RequiredTagMissing { tag: tag::MSG_TYPE });
        }
        let msg_type = msg.msg_type();
        if msg_type.is_empty() && opts.validate_fields_have_values {
            return Err(ValidationError::TagWithoutValue { tag: tag::MSG_TYPE });
        }
        let def = check_msg_type(dict, msg_type)?;

        let header = dict.layout_data(dict.header_id());
        let body = dict.layout_data(def.layout_id());
        let trailer = dict.layout_data(dict.trailer_id());
        let frames = [
            Frame {
                layout: header,
                base: 0,
            },
            Frame {
                layout: body,
                base: words(header.len),
            },
            Frame {
                layout: trailer,
                base: words(header.len) + words(body.len),
            },
        ];
        self.seen.clear();
        self.seen.resize(frames[2].base + words(trailer.len), 0);
        self.found = Found::default();

        // 0 header, 1 body, 2 trailer.
        let mut section = 0usize;
        let mut i = 0;
        // BeginString, BodyLength and MsgType in their places were checked
        // above (their values are the framer's and the message lookup's):
        // only mark them present.
        while i < 3 {
            match spans.get(i) {
                Some(span)
                    if span.tag == [tag::BEGIN_STRING, tag::BODY_LENGTH, tag::MSG_TYPE][i] =>
                {
                    match dict.find_in(&header, span.tag) {
                        Some(pos) if span.len != 0 && self.mark(0, pos) => i += 1,
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        while let Some(&span) = spans.get(i) {
            let (def, flags) = dict.field_and_flags(span.tag);
            // Header and trailer flags are exclusive: bit 0 header, bit 1
            // trailer; anything else is body.
            let sec = match flags & (IN_HEADER | IN_TRAILER) {
                IN_HEADER => 0,
                0 => 1,
                _ => 2,
            };
            if sec < section {
                if opts.validate_fields_out_of_order {
                    return Err(ValidationError::TagOutOfOrder { tag: span.tag });
                }
            } else {
                section = sec;
            }
            self.rank = RANKS[sec];
            i = self.top_field(dict, msg, i, span, def, frames[sec])?;
        }

        // Header, trailer, body: QuickFIX's order.
        for frame in [frames[0], frames[2], frames[1]] {
            if let Some(tag) = self.missing_required(dict, frame) {
                return Err(ValidationError::RequiredTagMissing { tag });
            }
        }
        if let Some(e) = self.found.group_required {
            return Err(e);
        }
        match self.found.field {
            Some((_, _, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// Notes a problem of the field `tag` in the section being walked.
    #[inline]
    fn field_problem(&mut self, tag: Tag, e: ValidationError) {
        let key = (self.rank, tag);
        if self.found.field.is_none_or(|(r, t, _)| key < (r, t)) {
            self.found.field = Some((key.0, key.1, e));
        }
    }

    #[inline]
    fn should_check(&self, tag: Tag) -> bool {
        if tag >= USER_DEFINED_MIN {
            self.options.validate_user_defined_fields
        } else {
            !self.options.allow_unknown_msg_fields
        }
    }

    /// Marks member `pos` of the frame at `base` seen; false if it already
    /// was.
    #[inline]
    fn mark(&mut self, base: usize, pos: usize) -> bool {
        let bit = 1u64 << (pos % 64);
        match self.seen.get_mut(base + pos / 64) {
            Some(word) if *word & bit == 0 => {
                *word |= bit;
                true
            }
            _ => false,
        }
    }

    #[inline]
    fn is_marked(&self, base: usize, pos: usize) -> bool {
        self.seen
            .get(base + pos / 64)
            .is_some_and(|w| w & (1u64 << (pos % 64)) != 0)
    }

    /// The lowest tag of the frame's required fields that is missing.
    fn missing_required(&self, dict: &Dictionary, frame: Frame) -> Option<Tag> {
        let l = frame.layout;
        dict.required_in(&l)
            .iter()
            .filter(|&&p| !self.is_marked(frame.base, p as usize))
            .map(|&p| dict.member_in(&l, p as usize).tag)
            .min()
    }

    /// Checks a field's value: presence, format, enumeration.
    #[inline]
    fn check_value(
        &self,
        def: Option<&FieldDef>,
        tag: Tag,
        value: &[u8],
    ) -> Result<(), ValidationError> {
        if value.is_empty() {
            return if self.options.validate_fields_have_values {
                Err(ValidationError::TagWithoutValue { tag })
            } else {
                Ok(())
            };
        }
        match def {
            Some(def) if def.is_checked() => self.check_format_and_values(def, tag, value),
            _ => Ok(()),
        }
    }

    /// The format and enumeration part of [`Validator::check_value`].
    fn check_format_and_values(
        &self,
        def: &FieldDef,
        tag: Tag,
        value: &[u8],
    ) -> Result<(), ValidationError> {
        if !format_ok(def.check_type(), value) {
            return Err(ValidationError::IncorrectDataFormat {
                tag,
                field_type: def.field_type(),
            });
        }
        if def.has_values() && tag != tag::MSG_TYPE && !def.is_allowed_value(value) {
            return Err(ValidationError::ValueIsIncorrect { tag });
        }
        Ok(())
    }

    /// Validates the field `span` at `i`, outside any group, as part of
    /// `frame`; returns the position of the next field.
    #[inline]
    fn top_field(
        &mut self,
        dict: &Dictionary,
        msg: &Message<'_>,
        i: usize,
        span: FieldSpan,
        def: Option<&FieldDef>,
        frame: Frame,
    ) -> Result<usize, ValidationError> {
        let value = msg.value_of(&span);
        match dict.find_member_in(&frame.layout, span.tag) {
            Some((pos, is_group)) => {
                // Each field's checks in QuickFIX's order: repeated, value,
                // then (below) the group count.
                if !self.mark(frame.base, pos) {
                    self.field_problem(
                        span.tag,
                        ValidationError::TagAppearsMoreThanOnce { tag: span.tag },
                    );
                } else if let Err(e) = self.check_value(def, span.tag, value) {
                    self.field_problem(span.tag, e);
                }
                if is_group {
                    let group = dict.member_in(&frame.layout, pos).group;
                    self.parents.clear();
                    self.parents.push(frame.layout);
                    return self.group(dict, msg, i, dict.layout_data(group));
                }
            }
            None => {
                // Value first, then whether the tag belongs here.
                if let Err(e) = self.check_value(def, span.tag, value) {
                    self.field_problem(span.tag, e);
                } else if self.should_check(span.tag) {
                    self.field_problem(
                        span.tag,
                        match def {
                            None => ValidationError::InvalidTagNumber { tag: span.tag },
                            Some(_) => ValidationError::TagNotDefinedForMsgType { tag: span.tag },
                        },
                    );
                }
            }
        }
        Ok(i + 1)
    }

    /// Whether an enclosing layout has `tag` as a direct member (then a
    /// repeated or misplaced group member ends the group instead).
    fn parent_contains(&self, dict: &Dictionary, tag: Tag) -> bool {
        self.parents.iter().any(|l| dict.find_in(l, tag).is_some())
    }

    /// Validates the group whose count field is at `count_pos` (already
    /// checked as a field) and whose entries have layout `layout`; returns
    /// the position after the group. The layout containing the count field
    /// is the last of `self.parents`.
    fn group(
        &mut self,
        dict: &Dictionary,
        msg: &Message<'_>,
        count_pos: usize,
        layout: LayoutData,
    ) -> Result<usize, ValidationError> {
        let spans = msg.spans();
        let count_span = spans[count_pos];
        let count_tag = count_span.tag;
        let count_value = msg.value_of(&count_span);
        // An empty count (accepted when values may be empty) counts none;
        // one that is not a number was noted as a field problem, and the
        // entries are walked all the same.
        let declared = if count_value.is_empty() {
            Some(0)
        } else {
            usize::from_fix_value(count_value).ok()
        };
        let delimiter = dict.member_in(&layout, 0).tag;
        let mut i = count_pos + 1;
        let mut found = 0;
        while let Some(span) = spans.get(i) {
            if span.tag == delimiter {
                found += 1;
                i = self.entry(dict, msg, i, layout, count_tag)?;
            } else if dict.find_in(&layout, span.tag).is_some()
                && !self.parent_contains(dict, span.tag)
            {
                return Err(ValidationError::GroupFieldsOutOfOrder {
                    count_tag,
                    tag: span.tag,
                });
            } else {
                break;
            }
        }
        if let Some(declared) = declared.filter(|&d| d != found) {
            self.field_problem(
                count_tag,
                ValidationError::IncorrectNumInGroupCount {
                    count_tag,
                    declared,
                    found,
                },
            );
        }
        Ok(i)
    }

    /// Validates the group entry whose delimiter is at `start`; returns the
    /// position after it.
    fn entry(
        &mut self,
        dict: &Dictionary,
        msg: &Message<'_>,
        start: usize,
        layout: LayoutData,
        count_tag: Tag,
    ) -> Result<usize, ValidationError> {
        let spans = msg.spans();
        let base = self.seen.len();
        self.seen.resize(base + words(layout.len), 0);
        let ordered = self.options.validate_unordered_group_fields;
        let delimiter = dict.member_in(&layout, 0).tag;
        let mut last_pos = 0usize;
        let mut i = start;
        while let Some(&span) = spans.get(i) {
            if i > start && span.tag == delimiter {
                break;
            }
            let Some((pos, is_group)) = dict.find_member_in(&layout, span.tag) else {
                break;
            };
            if (ordered && pos < last_pos) || !self.mark(base, pos) {
                if self.parent_contains(dict, span.tag) {
                    break;
                }
                return Err(ValidationError::GroupFieldsOutOfOrder {
                    count_tag,
                    tag: span.tag,
                });
            }
            last_pos = pos;
            if let Err(e) = self.check_value(dict.field(span.tag), span.tag, msg.value_of(&span)) {
                self.field_problem(span.tag, e);
            }
            if is_group {
                let group = dict.member_in(&layout, pos).group;
                self.parents.push(layout);
                i = self.group(dict, msg, i, dict.layout_data(group))?;
                self.parents.pop();
            } else {
                i += 1;
            }
        }
        if self.found.group_required.is_none() {
            if let Some(tag) = self.missing_required(dict, Frame { layout, base }) {
                self.found.group_required = Some(ValidationError::RequiredTagMissing { tag });
            }
        }
        self.seen.truncate(base);
        Ok(i)
    }
}

/// Words of a bitset of `n` bits.
#[inline]
fn words(n: u32) -> usize {
    let n = n as usize;
    n.div_ceil(64)
}

/// Whether `v` (non-empty) is in the format of FIX type `t`.
#[inline]
fn format_ok(t: FieldType, v: &[u8]) -> bool {
    use FieldType as T;
    match t {
        T::Int | T::Reserved100Plus | T::Reserved1000Plus | T::Reserved4000Plus => {
            i64::from_fix_value(v).is_ok()
        }
        T::Length | T::NumInGroup | T::SeqNum => u64::from_fix_value(v).is_ok(),
        T::TagNum => matches!(u32::from_fix_value(v), Ok(n) if n > 0),
        T::DayOfMonth => matches!(u8::from_fix_value(v), Ok(1..=31)),
        T::Float | T::Qty | T::Price | T::PriceOffset | T::Amt | T::Percentage => is_decimal(v),
        T::Char => v.len() == 1,
        T::Boolean => v == b"Y" || v == b"N",
        T::MultipleCharValue => v.split(|&b| b == b' ').all(|c| c.len() == 1),
        T::MonthYear => is_month_year(v),
        T::UtcTimestamp | T::Time => is_timestamp(v),
        T::UtcTimeOnly | T::LocalMktTime => is_time(v),
        T::UtcDateOnly | T::UtcDate | T::LocalMktDate | T::Date => is_date(v),
        T::TzTimeOnly => is_tz_time(v),
        T::TzTimestamp => v.len() > 9 && v[8] == b'-' && is_date(&v[..8]) && is_tz_time(&v[9..]),
        // Free text and codes: any non-empty value.
        T::String
        | T::MultipleStringValue
        | T::MultipleValueString
        | T::Country
        | T::Currency
        | T::Exchange
        | T::Language
        | T::Data
        | T::XmlData
        | T::Xid
        | T::XidRef
        | T::Pattern
        | T::Tenor => true,
        // FieldType is non-exhaustive for users, not for this crate; any
        // type added later is accepted until it gets a checker.
        #[allow(unreachable_patterns)]
        _ => true,
    }
}

/// `-?digits[.digits]` with at least one digit, no exponent.
fn is_decimal(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"-").unwrap_or(v);
    let mut digits = 0;
    let mut dots = 0;
    for &b in v {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

fn num(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u32, |n, &d| n * 10 + (d - b'0') as u32))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `YYYYMMDD-HH:MM:SS[.f{1,9}]`, as
/// [`UtcTimestamp::parse`](crate::value::UtcTimestamp::parse) accepts it
/// (checked without computing the instant).
fn is_timestamp(v: &[u8]) -> bool {
    v.len() >= 17 && v[8] == b'-' && is_date(&v[..8]) && is_time(&v[9..])
}

/// `YYYYMMDD`.
fn is_date(v: &[u8]) -> bool {
    if v.len() != 8 {
        return false;
    }
    match (num(&v[0..4]), num(&v[4..6]), num(&v[6..8])) {
        (Some(y), Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
        _ => false,
    }
}

/// `HH:MM:SS[.f{1,9}]`.
fn is_time(v: &[u8]) -> bool {
    if v.len() < 8 || v[2] != b':' || v[5] != b':' {
        return false;
    }
    let hms = (num(&v[0..2]), num(&v[3..5]), num(&v[6..8]));
    let ok = matches!(hms, (Some(h), Some(m), Some(s)) if h <= 23 && m <= 59 && s <= 60);
    ok && match &v[8..] {
        [] => true,
        [b'.', frac @ ..] => is_fraction(frac),
        _ => false,
    }
}

fn is_fraction(frac: &[u8]) -> bool {
    !frac.is_empty() && frac.len() <= 9 && frac.iter().all(u8::is_ascii_digit)
}

/// `HH:MM[:SS[.f{1,9}]]` followed by `Z` or `+hh[:mm]` / `-hh[:mm]`.
fn is_tz_time(v: &[u8]) -> bool {
    let zone_at = v
        .iter()
        .position(|&b| b == b'Z' || b == b'+' || b == b'-')
        .unwrap_or(v.len());
    let (time, zone) = v.split_at(zone_at);
    let time_ok = match time.len() {
        5 => {
            time[2] == b':'
                && matches!((num(&time[0..2]), num(&time[3..5])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => is_time(time),
    };
    let zone_ok = match zone {
        b"Z" => true,
        [b'+' | b'-', rest @ ..] => match rest.len() {
            2 => matches!(num(rest), Some(h) if h <= 14),
            5 => {
                rest[2] == b':'
                    && matches!((num(&rest[0..2]), num(&rest[3..5])), (Some(h), Some(m)) if h <= 14 && m <= 59)
            }
            _ => false,
        },
        _ => false,
    };
    time_ok && zone_ok
}

/// `YYYYMM`, `YYYYMMDD` or `YYYYMMwN` (week 1 to 5).
fn is_month_year(v: &[u8]) -> bool {
    if v.len() < 6 {
        return false;
    }
    let month_ok =
        matches!((num(&v[0..4]), num(&v[4..6])), (Some(_), Some(m)) if (1..=12).contains(&m));
    month_ok
        && match &v[6..] {
            [] => true,
            [b'w', b'1'..=b'5'] => true,
            [d1, d2] => matches!(num(&[*d1, *d2]), Some(1..=31)),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        use FieldType as T;
        let cases: &[(T, &str, bool)] = &[
            (T::Int, "-12", true),
            (T::Int, "1.5", false),
            (T::Int, "", false),
            (T::Length, "-1", false),
            (T::SeqNum, "42", true),
            (T::TagNum, "0", false),
            (T::DayOfMonth, "31", true),
            (T::DayOfMonth, "32", false),
            (T::Price, "-1.25", true),
            (T::Price, ".5", true),
            (T::Price, "1e5", false),
            (T::Price, "1.2.3", false),
            (T::Qty, "-", false),
            (T::Char, "A", true),
            (T::Char, "AB", false),
            (T::Boolean, "Y", true),
            (T::Boolean, "y", false),
            (T::MultipleCharValue, "A B C", true),
            (T::MultipleCharValue, "A BC", false),
            (T::MonthYear, "202403", true),
            (T::MonthYear, "20240315", true),
            (T::MonthYear, "202403w2", true),
            (T::MonthYear, "202413", false),
            (T::MonthYear, "202403w6", false),
            (T::UtcTimestamp, "20240115-10:30:00.123", true),
            (T::UtcTimestamp, "20240115-25:30:00", false),
            (T::UtcTimeOnly, "10:30:00.123456", true),
            (T::UtcTimeOnly, "10:30", false),
            (T::UtcDateOnly, "20240229", true),
            (T::UtcDateOnly, "20230229", false),
            (T::LocalMktDate, "2024011", false),
            (T::TzTimeOnly, "07:39Z", true),
            (T::TzTimeOnly, "02:39-05", true),
            (T::TzTimeOnly, "13:09:10.5+05:30", true),
            (T::TzTimeOnly, "13:09", false),
            (T::TzTimestamp, "20060901-07:39Z", true),
            (T::TzTimestamp, "20060901-07:39:00+08", true),
            (T::TzTimestamp, "20060901 07:39Z", false),
            (T::String, "anything", true),
        ];
        for &(t, v, ok) in cases {
            assert_eq!(format_ok(t, v.as_bytes()), ok, "{t} {v:?}");
        }
    }
}
