//! Data dictionaries: the fields, messages, components and repeating groups
//! of a FIX version, read from QuickFIX-format XML.
//!
//! A [`Dictionary`] is loaded once ([`Dictionary::from_xml`],
//! [`Dictionary::from_file`], or a built-in one via
//! [`Dictionary::builtin`]) and then answers the hot-path questions of
//! validation and group parsing without allocating: the field of a tag (a
//! table indexed by tag), the message of a MsgType, and whether a tag is a
//! member of a message body or a group entry (a sorted tag slice per
//! layout). Components are expanded when loading, so every message body and
//! group entry is a flat [`Layout`] of fields and nested groups.
//!
//! FIX 5.0 and later split the session layer off: FIXT11.xml (the
//! transport dictionary) defines the header, trailer and session messages;
//! FIX50*.xml the application messages. [`Dictionary::combine`] joins the
//! two into the dictionary a FIXT session validates against, which is what
//! [`Dictionary::builtin`] returns for FIX 5.0 and later.
//!
//! ```
//! use fixrs_proto::dictionary::{Dictionary, FieldType};
//! use fixrs_proto::FixVersion;
//!
//! let fix44 = Dictionary::builtin(FixVersion::Fix44);
//! let side = fix44.field(54).unwrap();
//! assert_eq!(side.name(), "Side");
//! assert_eq!(side.field_type(), FieldType::Char);
//! assert_eq!(side.value_description(b"1"), Some("BUY"));
//! let nos = fix44.message(b"D").unwrap();
//! assert_eq!(nos.name(), "NewOrderSingle");
//! assert!(nos.layout().member(11).unwrap().required());
//! ```

mod builtin;
pub mod compact;
mod field_type;
mod raw;
mod xml;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use field_type::FieldType;

use crate::{FixVersion, Tag};

/// Why a dictionary could not be loaded. Errors about the XML name the
/// element and its line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DictionaryError {
    /// The file could not be read.
    #[error("cannot read dictionary {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not well-formed XML.
    #[error("malformed XML at line {line}: {message}")]
    Xml {
        /// Line of the error.
        line: u32,
        /// The XML parser's message.
        message: String,
    },
    /// The root element is not `<fix>`.
    #[error("line {line}: root element is <{found}>, expected <fix>")]
    NotADictionary {
        /// Name of the root element found.
        found: String,
        /// Its line.
        line: u32,
    },
    /// A required attribute is missing (a field without `number`, ...).
    #[error("line {line}: {element} has no '{attribute}' attribute")]
    MissingAttribute {
        /// The element, e.g. `field 'Account'`.
        element: String,
        /// The missing attribute.
        attribute: &'static str,
        /// Line of the element.
        line: u32,
    },
    /// An attribute's value is not usable (a tag number that is not a
    /// positive integer, `required='maybe'`, ...).
    #[error("line {line}: {element} has a bad '{attribute}' value {value:?}")]
    BadAttribute {
        /// The element, e.g. `field 'Account'`.
        element: String,
        /// The attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
        /// Line of the element.
        line: u32,
    },
    /// A field's `type` is not a FIX data type.
    #[error("line {line}: field '{field}' has unknown type {type_name:?}")]
    UnknownType {
        /// The field's name.
        field: String,
        /// The type as written.
        type_name: String,
        /// Line of the field.
        line: u32,
    },
    /// Two fields share a tag number or a name.
    #[error("line {line}: field '{name}' ({tag}) duplicates field {previous}")]
    DuplicateField {
        /// Tag of the second definition.
        tag: Tag,
        /// Name of the second definition.
        name: String,
        /// The first definition.
        previous: String,
        /// Line of the second definition.
        line: u32,
    },
    /// A field lists the same enumerated value twice.
    #[error("line {line}: field '{field}' lists value {value:?} twice")]
    DuplicateValue {
        /// The field's name.
        field: String,
        /// The repeated value.
        value: String,
        /// Line of the field.
        line: u32,
    },
    /// Two messages share a MsgType or a name.
    #[error("line {line}: message '{name}' (MsgType {msg_type:?}) is defined twice")]
    DuplicateMessage {
        /// MsgType of the second definition.
        msg_type: String,
        /// Name of the second definition.
        name: String,
        /// Line of the second definition.
        line: u32,
    },
    /// Two components share a name.
    #[error("line {line}: component '{name}' is defined twice")]
    DuplicateComponent {
        /// The name.
        name: String,
        /// Line of the second definition.
        line: u32,
    },
    /// A field or group refers to a field that is not defined.
    #[error("line {line}: unknown field '{name}' in {within}")]
    UnknownField {
        /// The name (or tag) referred to.
        name: String,
        /// The element containing the reference, e.g. `message 'Logon'`.
        within: String,
        /// Line of the reference.
        line: u32,
    },
    /// A component reference names a component that is not defined.
    #[error("line {line}: unknown component '{name}' in {within}")]
    UnknownComponent {
        /// The name referred to.
        name: String,
        /// The element containing the reference.
        within: String,
        /// Line of the reference.
        line: u32,
    },
    /// A component includes itself, directly or not.
    #[error("line {line}: component '{name}' includes itself")]
    ComponentCycle {
        /// The component.
        name: String,
        /// Line of the reference closing the cycle.
        line: u32,
    },
    /// A repeating group without any field.
    #[error("line {line}: group '{name}' in {within} has no fields")]
    EmptyGroup {
        /// The group's count field.
        name: String,
        /// The element containing the group.
        within: String,
        /// Line of the group.
        line: u32,
    },
    /// An element that has no place where it is.
    #[error("line {line}: unexpected element <{element}> in {within}")]
    UnexpectedElement {
        /// The element's name.
        element: String,
        /// Where it was found.
        within: String,
        /// Its line.
        line: u32,
    },
    /// The compact form of a built-in dictionary is corrupt.
    #[error("compact dictionary line {line}: {reason}")]
    Compact {
        /// Line in the compact text.
        line: u32,
        /// What is wrong.
        reason: &'static str,
    },
}

/// One enumerated value of a field and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    value: Box<str>,
    description: Box<str>,
}

impl EnumValue {
    /// The value as sent on the wire (`"1"`).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Its description (`"BUY"`).
    pub fn description(&self) -> &str {
        &self.description
    }
}

/// A field of a dictionary: tag, name, type and enumerated values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    tag: Tag,
    name: Box<str>,
    field_type: FieldType,
    /// The type values are checked against: `field_type`, except that FIX
    /// 4.0 and 4.1 dictionaries use CHAR for free-format strings (the
    /// "char" type of those versions), checked as STRING.
    check_type: FieldType,
    /// In declaration order.
    values: Box<[EnumValue]>,
    /// Indexes into `values`, sorted by value.
    by_value: Box<[u32]>,
    /// For validation without touching the strings: a bit per ASCII byte
    /// that is a one-byte value, the packed values of 2 to 7 bytes
    /// (sorted), and whether any value is longer.
    one_byte: u128,
    short: Box<[u64]>,
    has_long: bool,
    /// Whether a non-empty value can be wrong: false for free-form types
    /// without enumeration.
    checked: bool,
}

/// A value of 2 to 7 bytes as one integer (length in the top byte).
#[inline]
fn pack_short(v: &[u8]) -> u64 {
    let mut k = (v.len() as u64) << 56;
    for (i, &b) in v.iter().take(7).enumerate() {
        k |= (b as u64) << (8 * (6 - i));
    }
    k
}

impl FieldDef {
    fn new(
        tag: Tag,
        name: &str,
        field_type: FieldType,
        values: Vec<EnumValue>,
        char_is_string: bool,
    ) -> FieldDef {
        let check_type = match field_type {
            FieldType::Char if char_is_string => FieldType::String,
            t => t,
        };
        let mut by_value: Vec<u32> = (0..values.len() as u32).collect();
        by_value.sort_by(|&a, &b| values[a as usize].value.cmp(&values[b as usize].value));
        let mut one_byte = 0u128;
        let mut short = Vec::new();
        let mut has_long = false;
        for v in values.iter().map(|v| v.value.as_bytes()) {
            match v.len() {
                1 if v[0] < 128 => one_byte |= 1u128 << v[0],
                2..=7 => short.push(pack_short(v)),
                _ => has_long = true,
            }
        }
        short.sort_unstable();
        let checked = !(check_type.is_free_form() && values.is_empty());
        FieldDef {
            tag,
            name: name.into(),
            field_type,
            check_type,
            values: values.into_boxed_slice(),
            by_value: by_value.into_boxed_slice(),
            one_byte,
            short: short.into_boxed_slice(),
            has_long,
            checked,
        }
    }

    /// The type values are checked against (see `check_type`).
    #[inline]
    pub(crate) fn check_type(&self) -> FieldType {
        self.check_type
    }

    /// Whether a non-empty value can fail validation (format or
    /// enumeration).
    #[inline]
    pub(crate) fn is_checked(&self) -> bool {
        self.checked
    }

    /// Whether `value` is one of the enumerated values (false if there are
    /// none).
    #[inline]
    fn is_listed(&self, value: &[u8]) -> bool {
        match value.len() {
            1 => value[0] < 128 && (self.one_byte >> value[0]) & 1 != 0,
            2..=7 => self.short.binary_search(&pack_short(value)).is_ok(),
            _ => self.has_long && self.value(value).is_some(),
        }
    }

    /// The tag number.
    #[inline]
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The name (`"ClOrdID"`).
    #[inline]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data type.
    #[inline]
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    /// The enumerated values in declaration order (empty if any value of
    /// the type is allowed).
    #[inline]
    pub fn values(&self) -> &[EnumValue] {
        &self.values
    }

    /// Whether the field restricts its values to an enumeration.
    #[inline]
    pub fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// The enumerated value equal to `value`.
    #[inline]
    pub fn value(&self, value: &[u8]) -> Option<&EnumValue> {
        self.by_value
            .binary_search_by(|&i| self.values[i as usize].value.as_bytes().cmp(value))
            .ok()
            .map(|i| &self.values[self.by_value[i] as usize])
    }

    /// The description of an enumerated value (`b"1"` of Side gives
    /// `"BUY"`).
    #[inline]
    pub fn value_description(&self, value: &[u8]) -> Option<&str> {
        self.value(value).map(EnumValue::description)
    }

    /// Whether `value` is allowed by the enumeration: true if the field has
    /// none; for multiple-value types every space-separated element must be
    /// listed.
    #[inline]
    pub fn is_allowed_value(&self, value: &[u8]) -> bool {
        if self.values.is_empty() {
            return true;
        }
        if self.field_type.is_multiple_value() {
            value
                .split(|&b| b == b' ')
                .filter(|v| !v.is_empty())
                .all(|v| self.is_listed(v))
        } else {
            self.is_listed(value)
        }
    }
}

/// Whether a message belongs to the session layer or the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgCategory {
    /// `msgcat='admin'`: a session-level message (Logon, Heartbeat, ...).
    Admin,
    /// `msgcat='app'`: an application message.
    App,
}

impl MsgCategory {
    /// The dictionary's spelling (`"admin"`, `"app"`).
    pub const fn name(self) -> &'static str {
        match self {
            MsgCategory::Admin => "admin",
            MsgCategory::App => "app",
        }
    }
}

/// A member of a layout as stored: a tag, whether it is required and, for
/// a group's count field, the layout of the group's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MemberData {
    pub tag: Tag,
    pub required: bool,
    pub group: u32,
}

/// `MemberData::group` of a plain field.
pub(crate) const NO_GROUP: u32 = u32::MAX;

/// Where a layout's members live in the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayoutData {
    pub start: u32,
    pub len: u32,
    pub slot_start: u32,
    pub slot_mask: u32,
    pub req_start: u32,
    pub req_len: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageData {
    pub name: Box<str>,
    pub msg_type: Box<str>,
    pub category: MsgCategory,
    pub layout: u32,
}

/// Tags below this are looked up in a table indexed by tag; larger ones
/// (user-defined ranges, 20000+) in a sorted list.
const SMALL_TAGS: usize = 8192;
/// A tag table entry: the field's index in the low bits, its header and
/// trailer flags above; `NO_FIELD` if the tag is not defined.
const NO_FIELD: u32 = u32::MAX;
const INDEX_BITS: u32 = 28;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// A data dictionary: fields, header, trailer and messages with their
/// components expanded and repeating groups nested. See the
/// [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    fix_type: Box<str>,
    major: u32,
    minor: u32,
    service_pack: u32,
    version: Option<FixVersion>,
    name: Box<str>,
    transport: Option<Box<str>>,
    fields: Vec<FieldDef>,
    /// Tag table entries (see `NO_FIELD`) of tags below `SMALL_TAGS`.
    by_tag_small: Box<[u32]>,
    /// (tag, entry) of larger tags, sorted.
    by_tag_large: Box<[(Tag, u32)]>,
    by_name: HashMap<Box<str>, u32>,
    arena: raw::Arena,
    header: u32,
    trailer: u32,
    messages: Vec<MessageData>,
    /// Message index + 1 of single-character MsgTypes, 0 if none.
    msg_by_char: Box<[u32]>,
    /// Longer MsgTypes, sorted.
    msg_by_type: Box<[(Box<[u8]>, u32)]>,
    msg_by_name: HashMap<Box<str>, u32>,
    data_fields: Box<[(Tag, Tag)]>,
}

const IN_HEADER: u8 = 1;
const IN_TRAILER: u8 = 2;

impl Dictionary {
    /// Reads a dictionary from QuickFIX-format XML text.
    pub fn from_xml(xml: &str) -> Result<Dictionary, DictionaryError> {
        raw::build(&xml::parse(xml)?)
    }

    /// Reads a dictionary from a QuickFIX-format XML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Dictionary, DictionaryError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| DictionaryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Dictionary::from_xml(&text)
    }

    /// The dictionary a FIXT.1.1 session uses: the header, trailer and
    /// session messages of `transport` (FIXT11.xml) with the application
    /// messages of `app` (a FIX 5.0+ dictionary). Fields of both are known;
    /// where both define a tag or MsgType, the transport's wins.
    pub fn combine(transport: &Dictionary, app: &Dictionary) -> Dictionary {
        raw::combine(transport, app)
    }

    /// The built-in standard dictionary a session of `version` validates
    /// against: FIX40.xml ... FIX44.xml, and for FIX 5.0 and later the
    /// combination of FIXT11.xml with FIX50*.xml. Decoded on first use.
    pub fn builtin(version: FixVersion) -> &'static Dictionary {
        builtin::session_dictionary(version)
    }

    /// The built-in application dictionary of `version` alone (for FIX 5.0
    /// and later, without the FIXT.1.1 header, trailer and session
    /// messages).
    pub fn builtin_application(version: FixVersion) -> &'static Dictionary {
        builtin::application_dictionary(version)
    }

    /// The built-in FIXT.1.1 transport dictionary.
    pub fn fixt11() -> &'static Dictionary {
        builtin::fixt11()
    }

    /// A minimal dictionary of the session layer alone, for sessions run
    /// without a data dictionary: the standard header and trailer of FIX
    /// 4.0 to FIXT.1.1 and the messages Heartbeat, TestRequest,
    /// ResendRequest, Reject, SequenceReset, Logout, Logon and
    /// BusinessMessageReject. Application messages are unknown to it.
    pub fn session() -> &'static Dictionary {
        builtin::session()
    }

    fn from_builder(
        b: raw::Builder,
        fix_type: &str,
        major: u32,
        minor: u32,
        service_pack: u32,
    ) -> Dictionary {
        let version = match (fix_type, major, minor, service_pack) {
            ("FIX", 4, 0, _) => Some(FixVersion::Fix40),
            ("FIX", 4, 1, _) => Some(FixVersion::Fix41),
            ("FIX", 4, 2, _) => Some(FixVersion::Fix42),
            ("FIX", 4, 3, _) => Some(FixVersion::Fix43),
            ("FIX", 4, 4, _) => Some(FixVersion::Fix44),
            ("FIX", 5, 0, 0) => Some(FixVersion::Fix50),
            ("FIX", 5, 0, 1) => Some(FixVersion::Fix50Sp1),
            ("FIX", 5, 0, 2) => Some(FixVersion::Fix50Sp2),
            _ => None,
        };
        let name = match version {
            Some(v) => v.name().to_string(),
            None if service_pack > 0 => format!("{fix_type}.{major}.{minor}SP{service_pack}"),
            None => format!("{fix_type}.{major}.{minor}"),
        };

        let max_small = b
            .fields
            .iter()
            .map(|f| f.tag as usize + 1)
            .filter(|&t| t <= SMALL_TAGS)
            .max()
            .unwrap_or(0);
        let mut by_tag_small = vec![NO_FIELD; max_small];
        let mut by_tag_large = Vec::new();
        let mut by_name = HashMap::with_capacity(b.fields.len());
        for (i, f) in b.fields.iter().enumerate() {
            if (f.tag as usize) < SMALL_TAGS {
                by_tag_small[f.tag as usize] = i as u32;
            } else {
                by_tag_large.push((f.tag, i as u32));
            }
            by_name.entry(f.name.clone()).or_insert(i as u32);
        }
        by_tag_large.sort_unstable();

        let mut msg_by_char = vec![0u32; 128];
        let mut msg_by_type = Vec::new();
        let mut msg_by_name = HashMap::with_capacity(b.messages.len());
        for (i, m) in b.messages.iter().enumerate() {
            match m.msg_type.as_bytes() {
                [c] if c.is_ascii() => msg_by_char[*c as usize] = i as u32 + 1,
                other => msg_by_type.push((Box::<[u8]>::from(other), i as u32)),
            }
            msg_by_name.entry(m.name.clone()).or_insert(i as u32);
        }
        msg_by_type.sort_unstable();

        let mut d = Dictionary {
            fix_type: fix_type.into(),
            major,
            minor,
            service_pack,
            version,
            name: name.into(),
            transport: None,
            fields: b.fields,
            by_tag_small: by_tag_small.into_boxed_slice(),
            by_tag_large: by_tag_large.into_boxed_slice(),
            by_name,
            arena: b.arena,
            header: b.header,
            trailer: b.trailer,
            messages: b.messages,
            msg_by_char: msg_by_char.into_boxed_slice(),
            msg_by_type: msg_by_type.into_boxed_slice(),
            msg_by_name,
            data_fields: Box::new([]),
        };
        let mut flags = vec![0u8; d.fields.len()];
        d.mark_section(d.header, IN_HEADER, &mut flags);
        d.mark_section(d.trailer, IN_TRAILER, &mut flags);
        let with_flags = |e: &mut u32| {
            if *e != NO_FIELD {
                *e |= (flags[(*e & INDEX_MASK) as usize] as u32) << INDEX_BITS;
            }
        };
        d.by_tag_small.iter_mut().for_each(with_flags);
        d.by_tag_large.iter_mut().for_each(|(_, e)| with_flags(e));
        d.data_fields = d.find_data_fields();
        d
    }

    fn mark_section(&self, layout: u32, flag: u8, flags: &mut [u8]) {
        for m in self.layout_members(layout) {
            if let Some(i) = self.field_index(m.tag) {
                flags[i] |= flag;
            }
            if m.group != NO_GROUP {
                self.mark_section(m.group, flag, flags);
            }
        }
    }

    /// Length/data pairs: a LENGTH member directly followed by a DATA or
    /// XMLDATA member in some layout.
    fn find_data_fields(&self) -> Box<[(Tag, Tag)]> {
        let mut pairs = Vec::new();
        for id in 0..self.arena.layouts.len() as u32 {
            for w in self.layout_members(id).windows(2) {
                let (Some(l), Some(d)) = (self.field(w[0].tag), self.field(w[1].tag)) else {
                    continue;
                };
                if l.field_type == FieldType::Length && d.field_type.is_data() {
                    pairs.push((l.tag, d.tag));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs.into_boxed_slice()
    }

    fn set_transport(&mut self, transport: &str) {
        self.transport = Some(transport.into());
    }

    /// The tag table entry of `tag` (see `NO_FIELD`).
    #[inline]
    fn field_entry(&self, tag: Tag) -> u32 {
        if (tag as usize) < SMALL_TAGS {
            self.by_tag_small
                .get(tag as usize)
                .copied()
                .unwrap_or(NO_FIELD)
        } else {
            self.by_tag_large
                .binary_search_by_key(&tag, |&(t, _)| t)
                .map_or(NO_FIELD, |i| self.by_tag_large[i].1)
        }
    }

    #[inline]
    fn field_index(&self, tag: Tag) -> Option<usize> {
        match self.field_entry(tag) {
            NO_FIELD => None,
            e => Some((e & INDEX_MASK) as usize),
        }
    }

    /// The `type` attribute of the root element: `"FIX"` or `"FIXT"`.
    pub fn fix_type(&self) -> &str {
        &self.fix_type
    }

    /// The major version number.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor version number.
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// The service pack (0 if none).
    pub fn service_pack(&self) -> u32 {
        self.service_pack
    }

    /// The application version this dictionary describes; `None` for the
    /// FIXT.1.1 transport dictionary and for versions this crate does not
    /// name.
    pub fn version(&self) -> Option<FixVersion> {
        self.version
    }

    /// The QuickFIX-style name: `"FIX.4.4"`, `"FIX.5.0SP2"`, `"FIXT.1.1"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The transport dictionary's name if this one was built by
    /// [`Dictionary::combine`] (`Some("FIXT.1.1")`).
    pub fn transport(&self) -> Option<&str> {
        self.transport.as_deref()
    }

    /// The BeginString(8) of sessions using this dictionary:
    /// `"FIX.4.4"`, or `"FIXT.1.1"` for FIXT and combined dictionaries.
    pub fn begin_string(&self) -> &str {
        match (self.transport.as_deref(), self.version) {
            (Some(t), _) => t,
            (None, Some(v)) if !v.is_fixt() => v.begin_string(),
            _ => &self.name,
        }
    }

    /// The field of `tag`.
    #[inline]
    pub fn field(&self, tag: Tag) -> Option<&FieldDef> {
        self.field_index(tag).map(|i| &self.fields[i])
    }

    /// The field named `name` (`"ClOrdID"`).
    pub fn field_by_name(&self, name: &str) -> Option<&FieldDef> {
        self.by_name.get(name).map(|&i| &self.fields[i as usize])
    }

    /// Every field, in declaration order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The name of `tag`'s field.
    pub fn field_name(&self, tag: Tag) -> Option<&str> {
        self.field(tag).map(FieldDef::name)
    }

    /// The description of an enumerated value of `tag`'s field.
    pub fn value_description(&self, tag: Tag, value: &[u8]) -> Option<&str> {
        self.field(tag)?.value_description(value)
    }

    /// Whether `tag` is a field of the standard header (including the
    /// fields of header groups such as NoHops).
    #[inline]
    pub fn is_header_field(&self, tag: Tag) -> bool {
        self.section_flags(tag) & IN_HEADER != 0
    }

    /// Whether `tag` is a field of the standard trailer.
    #[inline]
    pub fn is_trailer_field(&self, tag: Tag) -> bool {
        self.section_flags(tag) & IN_TRAILER != 0
    }

    #[inline]
    pub(crate) fn section_flags(&self, tag: Tag) -> u8 {
        match self.field_entry(tag) {
            NO_FIELD => 0,
            e => (e >> INDEX_BITS) as u8,
        }
    }

    /// The field of `tag` and its header/trailer flags, in one lookup.
    #[inline]
    pub(crate) fn field_and_flags(&self, tag: Tag) -> (Option<&FieldDef>, u8) {
        match self.field_entry(tag) {
            NO_FIELD => (None, 0),
            e => (
                self.fields.get((e & INDEX_MASK) as usize),
                (e >> INDEX_BITS) as u8,
            ),
        }
    }

    /// The message of `msg_type` (MsgType(35) value).
    #[inline]
    pub fn message(&self, msg_type: &[u8]) -> Option<MessageDef<'_>> {
        let i = match msg_type {
            [c] => match self.msg_by_char.get(*c as usize) {
                Some(&i) if i != 0 => i - 1,
                _ => return None,
            },
            _ => {
                let k = self
                    .msg_by_type
                    .binary_search_by(|(t, _)| (**t).cmp(msg_type))
                    .ok()?;
                self.msg_by_type[k].1
            }
        };
        Some(MessageDef {
            dict: self,
            data: &self.messages[i as usize],
        })
    }

    /// Whether `msg_type` is defined (a session rejects others with
    /// SessionRejectReason 11, case 2q).
    #[inline]
    pub fn is_known_msg_type(&self, msg_type: &[u8]) -> bool {
        self.message(msg_type).is_some()
    }

    /// The message named `name` (`"NewOrderSingle"`).
    pub fn message_by_name(&self, name: &str) -> Option<MessageDef<'_>> {
        self.msg_by_name.get(name).map(|&i| MessageDef {
            dict: self,
            data: &self.messages[i as usize],
        })
    }

    /// Every message, in declaration order.
    pub fn messages(&self) -> impl ExactSizeIterator<Item = MessageDef<'_>> + '_ {
        self.messages
            .iter()
            .map(move |data| MessageDef { dict: self, data })
    }

    /// The standard header.
    pub fn header(&self) -> Layout<'_> {
        Layout {
            dict: self,
            id: self.header,
        }
    }

    /// The standard trailer.
    pub fn trailer(&self) -> Layout<'_> {
        Layout {
            dict: self,
            id: self.trailer,
        }
    }

    /// Length/data field pairs of this dictionary (a LENGTH field directly
    /// followed by a DATA field), sorted by length tag. Pairs beyond the
    /// standard ones can be given to
    /// [`FieldIndex::add_data_field`](crate::message::FieldIndex::add_data_field).
    pub fn data_fields(&self) -> &[(Tag, Tag)] {
        &self.data_fields
    }

    pub(crate) fn header_id(&self) -> u32 {
        self.header
    }

    pub(crate) fn trailer_id(&self) -> u32 {
        self.trailer
    }

    pub(crate) fn message_data(&self) -> &[MessageData] {
        &self.messages
    }

    #[inline]
    pub(crate) fn layout_members(&self, id: u32) -> &[MemberData] {
        let l = self.arena.layouts[id as usize];
        &self.arena.members[l.start as usize..(l.start + l.len) as usize]
    }

    #[inline]
    pub(crate) fn layout_len(&self, id: u32) -> usize {
        self.arena.layouts[id as usize].len as usize
    }

    #[inline]
    pub(crate) fn layout_required(&self, id: u32) -> &[u32] {
        let l = self.arena.layouts[id as usize];
        &self.arena.required[l.req_start as usize..(l.req_start + l.req_len) as usize]
    }

    /// Declaration position of `tag` in layout `id`.
    #[inline]
    pub(crate) fn layout_find(&self, id: u32, tag: Tag) -> Option<usize> {
        self.find_in(&self.arena.layouts[id as usize], tag)
    }

    /// Where layout `id` is stored (copied, for repeated lookups).
    #[inline]
    pub(crate) fn layout_data(&self, id: u32) -> LayoutData {
        self.arena.layouts[id as usize]
    }

    /// Declaration position of `tag` in the layout stored at `l`.
    #[inline]
    pub(crate) fn find_in(&self, l: &LayoutData, tag: Tag) -> Option<usize> {
        self.find_member_in(l, tag).map(|(pos, _)| pos)
    }

    /// Declaration position of `tag` in the layout stored at `l`, and
    /// whether it is a group's count field.
    #[inline]
    pub(crate) fn find_member_in(&self, l: &LayoutData, tag: Tag) -> Option<(usize, bool)> {
        let mut i = l.slot_start + raw::slot_hash(tag, l.slot_mask);
        loop {
            let slot = *self.arena.slots.get(i as usize)?;
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as Tag == tag {
                let pos = (slot as u32 & !(raw::SLOT_GROUP as u32)) as usize;
                return Some((pos, slot & raw::SLOT_GROUP != 0));
            }
            i = l.slot_start + ((i - l.slot_start + 1) & l.slot_mask);
        }
    }

    /// Declaration positions of the required members of the layout stored
    /// at `l`.
    #[inline]
    pub(crate) fn required_in(&self, l: &LayoutData) -> &[u32] {
        &self.arena.required[l.req_start as usize..(l.req_start + l.req_len) as usize]
    }

    /// Member at declaration position `pos` of the layout stored at `l`.
    #[inline]
    pub(crate) fn member_in(&self, l: &LayoutData, pos: usize) -> MemberData {
        self.arena.members[l.start as usize + pos]
    }

    #[inline]
    pub(crate) fn layout_member(&self, id: u32, pos: usize) -> MemberData {
        let l = self.arena.layouts[id as usize];
        self.arena.members[l.start as usize + pos]
    }
}

impl fmt::Display for Dictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.transport {
            Some(t) => write!(f, "{} over {}", self.name, t),
            None => f.write_str(&self.name),
        }
    }
}

/// A message of a dictionary.
#[derive(Debug, Clone, Copy)]
pub struct MessageDef<'d> {
    dict: &'d Dictionary,
    data: &'d MessageData,
}

impl<'d> MessageDef<'d> {
    /// The name (`"NewOrderSingle"`).
    pub fn name(&self) -> &'d str {
        &self.data.name
    }

    /// The MsgType(35) value (`"D"`).
    pub fn msg_type(&self) -> &'d str {
        &self.data.msg_type
    }

    /// Session-level or application message.
    pub fn category(&self) -> MsgCategory {
        self.data.category
    }

    /// Whether it is a session-level message.
    pub fn is_admin(&self) -> bool {
        self.data.category == MsgCategory::Admin
    }

    /// The body's members, components expanded.
    pub fn layout(&self) -> Layout<'d> {
        Layout {
            dict: self.dict,
            id: self.data.layout,
        }
    }

    /// The repeating group of the body whose count field is `count_tag`.
    pub fn group(&self, count_tag: Tag) -> Option<GroupDef<'d>> {
        self.layout().group(count_tag)
    }

    pub(crate) fn layout_id(&self) -> u32 {
        self.data.layout
    }
}

/// The ordered members of a header, trailer, message body or group entry,
/// with components expanded.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'d> {
    dict: &'d Dictionary,
    id: u32,
}

impl<'d> Layout<'d> {
    /// Number of members (fields and groups).
    pub fn len(&self) -> usize {
        self.dict.layout_len(self.id)
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Members in declaration order.
    pub fn members(&self) -> impl ExactSizeIterator<Item = Member<'d>> + 'd {
        let dict = self.dict;
        dict.layout_members(self.id)
            .iter()
            .enumerate()
            .map(move |(position, &data)| Member {
                dict,
                data,
                position,
            })
    }

    /// The member with `tag` (a field, or a group's count field).
    #[inline]
    pub fn member(&self, tag: Tag) -> Option<Member<'d>> {
        let position = self.dict.layout_find(self.id, tag)?;
        Some(Member {
            dict: self.dict,
            data: self.dict.layout_member(self.id, position),
            position,
        })
    }

    /// Whether `tag` is a member (not counting fields of nested groups).
    #[inline]
    pub fn contains(&self, tag: Tag) -> bool {
        self.dict.layout_find(self.id, tag).is_some()
    }

    /// Tags of the required members, in declaration order.
    pub fn required_tags(&self) -> impl Iterator<Item = Tag> + 'd {
        let dict = self.dict;
        let id = self.id;
        dict.layout_required(id)
            .iter()
            .map(move |&p| dict.layout_member(id, p as usize).tag)
    }

    /// The member group whose count field is `count_tag`.
    pub fn group(&self, count_tag: Tag) -> Option<GroupDef<'d>> {
        self.member(count_tag)?.group()
    }
}

/// One member of a [`Layout`]: a field, or the count field of a group.
#[derive(Debug, Clone, Copy)]
pub struct Member<'d> {
    dict: &'d Dictionary,
    data: MemberData,
    position: usize,
}

impl<'d> Member<'d> {
    /// The tag (a group's count tag for groups).
    pub fn tag(&self) -> Tag {
        self.data.tag
    }

    /// Whether the member is required.
    pub fn required(&self) -> bool {
        self.data.required
    }

    /// Its position in the layout's declaration order.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The field definition.
    pub fn field(&self) -> Option<&'d FieldDef> {
        self.dict.field(self.data.tag)
    }

    /// The repeating group this member counts, if it is a NumInGroup field.
    #[inline]
    pub fn group(&self) -> Option<GroupDef<'d>> {
        (self.data.group != NO_GROUP).then(|| {
            let members = self.dict.layout_members(self.data.group);
            GroupDef {
                dict: self.dict,
                count_tag: self.data.tag,
                layout: self.data.group,
                // Empty groups are rejected when loading.
                delimiter: members.first().map_or(0, |m| m.tag),
                has_nested: members.iter().any(|m| m.group != NO_GROUP),
            }
        })
    }
}

/// A repeating group of a dictionary: its count field and the layout of
/// its entries. Implements [`GroupShape`](crate::group::GroupShape), so it
/// can drive [`group`](crate::group) iteration.
#[derive(Debug, Clone, Copy)]
pub struct GroupDef<'d> {
    dict: &'d Dictionary,
    count_tag: Tag,
    layout: u32,
    delimiter: Tag,
    /// Whether any member counts a nested group.
    has_nested: bool,
}

impl<'d> GroupDef<'d> {
    /// Whether `tag` is a member of an entry: `None` if not, `Some(true)`
    /// if it counts a nested group. One hash probe, for group iteration.
    #[inline]
    pub(crate) fn member_kind(&self, tag: Tag) -> Option<bool> {
        if !self.has_nested && tag == self.delimiter {
            return Some(false);
        }
        self.dict
            .find_member_in(&self.dict.layout_data(self.layout), tag)
            .map(|(_, is_group)| is_group)
    }

    /// Whether an entry may hold nested groups.
    #[inline]
    pub fn has_nested_groups(&self) -> bool {
        self.has_nested
    }

    /// The NumInGroup field (`NoPartyIDs(453)`).
    pub fn count_tag(&self) -> Tag {
        self.count_tag
    }

    /// The delimiter: the first field of every entry.
    #[inline]
    pub fn delimiter(&self) -> Tag {
        self.delimiter
    }

    /// The members of an entry.
    pub fn layout(&self) -> Layout<'d> {
        Layout {
            dict: self.dict,
            id: self.layout,
        }
    }

    /// The nested group of an entry whose count field is `count_tag`.
    pub fn group(&self, count_tag: Tag) -> Option<GroupDef<'d>> {
        self.layout().group(count_tag)
    }
}
