//! The dictionary as written (fields, components, groups referring to each
//! other by name or tag), and the builder that resolves and expands it into
//! a [`Dictionary`].
//!
//! Both the XML reader and the compact built-in form produce a
//! [`RawDictionary`]; building is shared so that both give identical
//! dictionaries.

use std::collections::HashMap;

use super::{
    Dictionary, DictionaryError, EnumValue, FieldDef, FieldType, LayoutData, MemberData,
    MessageData, MsgCategory, NO_GROUP,
};
use crate::Tag;

/// A dictionary as read, before references are resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawDictionary {
    pub fix_type: String,
    pub major: u32,
    pub minor: u32,
    pub service_pack: u32,
    pub fields: Vec<RawField>,
    pub header: Vec<RawItem>,
    pub trailer: Vec<RawItem>,
    pub messages: Vec<RawMessage>,
    pub components: Vec<RawComponent>,
}

/// A `<field number= name= type=>` definition.
#[derive(Debug, Clone)]
pub(crate) struct RawField {
    pub tag: Tag,
    pub name: String,
    pub field_type: FieldType,
    /// (enum, description) in declaration order.
    pub values: Vec<(String, String)>,
    pub line: u32,
}

/// How an item names its field: XML uses names, the compact form tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldRef {
    Name(String),
    Tag(Tag),
}

/// A member of a header, trailer, message, component or group.
#[derive(Debug, Clone)]
pub(crate) enum RawItem {
    Field {
        field: FieldRef,
        required: bool,
        line: u32,
    },
    Group {
        field: FieldRef,
        required: bool,
        items: Vec<RawItem>,
        line: u32,
    },
    Component {
        name: String,
        required: bool,
        line: u32,
    },
}

/// A `<message>` definition.
#[derive(Debug, Clone)]
pub(crate) struct RawMessage {
    pub name: String,
    pub msg_type: String,
    pub category: MsgCategory,
    pub items: Vec<RawItem>,
    pub line: u32,
}

/// A `<component>` definition.
#[derive(Debug, Clone)]
pub(crate) struct RawComponent {
    pub name: String,
    pub items: Vec<RawItem>,
    pub line: u32,
}

/// Storage of every layout (header, trailer, message bodies, group
/// entries) of a dictionary in a few flat vectors: no allocation per
/// layout, and lookups stay within one cache-friendly slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Arena {
    pub layouts: Vec<LayoutData>,
    /// Members of every layout, each layout's in declaration order.
    pub members: Vec<MemberData>,
    /// Open-addressing hash tables, one per layout, from tag to
    /// declaration position: `tag << 32 | SLOT_GROUP if a group |
    /// position`, 0 for an empty slot (tag 0 does not exist). At most half
    /// full, so a lookup probes about one and a half slots.
    pub slots: Vec<u64>,
    /// Declaration positions of each layout's required members.
    pub required: Vec<u32>,
}

/// Slot bit of members that are a group's count field.
pub(crate) const SLOT_GROUP: u64 = 1 << 31;

/// The slot of `tag` in a table of `mask + 1` slots.
#[inline]
pub(crate) fn slot_hash(tag: Tag, mask: u32) -> u32 {
    (tag.wrapping_mul(0x9E37_79B1) >> 7) & mask
}

impl Arena {
    /// Stores a layout; `members` must not repeat a tag.
    pub fn push(&mut self, members: &[MemberData]) -> u32 {
        let id = self.layouts.len() as u32;
        let start = self.members.len() as u32;
        let req_start = self.required.len() as u32;
        self.members.extend_from_slice(members);
        let size = (members.len() * 2).next_power_of_two().max(4);
        let mask = size as u32 - 1;
        let slot_start = self.slots.len();
        self.slots.resize(slot_start + size, 0);
        let table = &mut self.slots[slot_start..];
        for (pos, m) in members.iter().enumerate() {
            let mut i = slot_hash(m.tag, mask);
            while table[i as usize] != 0 {
                i = (i + 1) & mask;
            }
            let group_bit = if m.group == NO_GROUP { 0 } else { SLOT_GROUP };
            table[i as usize] = (m.tag as u64) << 32 | group_bit | pos as u64;
        }
        self.required.extend(
            members
                .iter()
                .enumerate()
                .filter(|(_, m)| m.required)
                .map(|(i, _)| i as u32),
        );
        self.layouts.push(LayoutData {
            start,
            len: members.len() as u32,
            slot_start: slot_start as u32,
            slot_mask: mask,
            req_start,
            req_len: self.required.len() as u32 - req_start,
        });
        id
    }
}

/// Collects fields, layouts and messages, then indexes them.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub fields: Vec<FieldDef>,
    pub field_by_tag: TagMap<u32>,
    pub field_by_name: HashMap<String, u32>,
    pub arena: Arena,
    pub messages: Vec<MessageData>,
    pub msg_by_type: HashMap<String, u32>,
    pub header: u32,
    pub trailer: u32,
}

impl Builder {
    /// Adds a field unless its tag is already defined.
    fn add_field(&mut self, def: FieldDef) {
        if self.field_by_tag.contains_key(&def.tag) {
            return;
        }
        let idx = self.fields.len() as u32;
        self.field_by_tag.insert(def.tag, idx);
        self.field_by_name
            .entry(def.name.to_string())
            .or_insert(idx);
        self.fields.push(def);
    }

    /// Copies layout `id` of `src` (and its nested groups) into this
    /// builder's arena.
    fn import_layout(&mut self, src: &Dictionary, id: u32, memo: &mut HashMap<u32, u32>) -> u32 {
        if let Some(&done) = memo.get(&id) {
            return done;
        }
        let members: Vec<MemberData> = src
            .layout_members(id)
            .iter()
            .map(|m| {
                let group = if m.group == NO_GROUP {
                    NO_GROUP
                } else {
                    self.import_layout(src, m.group, memo)
                };
                MemberData { group, ..*m }
            })
            .collect();
        let new = self.arena.push(&members);
        memo.insert(id, new);
        new
    }

    fn import_message(&mut self, src: &Dictionary, m: &MessageData, memo: &mut HashMap<u32, u32>) {
        if self.msg_by_type.contains_key(&*m.msg_type) {
            return;
        }
        let layout = self.import_layout(src, m.layout, memo);
        self.msg_by_type
            .insert(m.msg_type.to_string(), self.messages.len() as u32);
        self.messages.push(MessageData {
            layout,
            ..m.clone()
        });
    }
}

/// Resolves and expands a raw dictionary.
pub(crate) fn build(raw: &RawDictionary) -> Result<Dictionary, DictionaryError> {
    let mut b = Builder::default();
    // FIX 4.0 and 4.1 call free-format strings "char".
    let char_is_string = raw.fix_type == "FIX" && raw.major == 4 && raw.minor <= 1;
    for f in &raw.fields {
        if let Some(&prev) = b.field_by_tag.get(&f.tag) {
            return Err(DictionaryError::DuplicateField {
                tag: f.tag,
                name: f.name.clone(),
                previous: b.fields[prev as usize].name.to_string(),
                line: f.line,
            });
        }
        if let Some(&prev) = b.field_by_name.get(&f.name) {
            return Err(DictionaryError::DuplicateField {
                tag: f.tag,
                name: f.name.clone(),
                previous: format!(
                    "{} ({})",
                    b.fields[prev as usize].name, b.fields[prev as usize].tag
                ),
                line: f.line,
            });
        }
        let mut values: Vec<EnumValue> = Vec::with_capacity(f.values.len());
        for (v, d) in &f.values {
            if values.iter().any(|e| *e.value == **v) {
                return Err(DictionaryError::DuplicateValue {
                    field: f.name.clone(),
                    value: v.clone(),
                    line: f.line,
                });
            }
            values.push(EnumValue {
                value: v.as_str().into(),
                description: d.as_str().into(),
            });
        }
        b.add_field(FieldDef::new(
            f.tag,
            &f.name,
            f.field_type,
            values,
            char_is_string,
        ));
    }

    let mut components: HashMap<&str, &RawComponent> = HashMap::new();
    for c in &raw.components {
        if components.insert(&c.name, c).is_some() {
            return Err(DictionaryError::DuplicateComponent {
                name: c.name.clone(),
                line: c.line,
            });
        }
    }

    let mut x = Expander {
        b: &mut b,
        components: &components,
        group_memo: HashMap::default(),
        stack: Vec::new(),
    };
    let header = x.layout(&raw.header, Within::Header)?;
    let trailer = x.layout(&raw.trailer, Within::Trailer)?;
    let mut names: HashMap<&str, ()> = HashMap::new();
    let mut messages = Vec::with_capacity(raw.messages.len());
    for m in &raw.messages {
        if x.b.msg_by_type.contains_key(&m.msg_type) || names.insert(&m.name, ()).is_some() {
            return Err(DictionaryError::DuplicateMessage {
                msg_type: m.msg_type.clone(),
                name: m.name.clone(),
                line: m.line,
            });
        }
        if m.msg_type.is_empty() || m.msg_type.bytes().any(|c| c <= b' ' || c == b'=') {
            return Err(DictionaryError::BadAttribute {
                element: format!("message '{}'", m.name),
                attribute: "msgtype",
                value: m.msg_type.clone(),
                line: m.line,
            });
        }
        let layout = x.layout(&m.items, Within::Message(&m.name))?;
        x.b.msg_by_type
            .insert(m.msg_type.clone(), messages.len() as u32);
        messages.push(MessageData {
            name: m.name.as_str().into(),
            msg_type: m.msg_type.as_str().into(),
            category: m.category,
            layout,
        });
    }
    b.messages = messages;
    b.header = header;
    b.trailer = trailer;
    Ok(Dictionary::from_builder(
        b,
        &raw.fix_type,
        raw.major,
        raw.minor,
        raw.service_pack,
    ))
}

/// Combines a transport dictionary (header, trailer, session messages) with
/// an application dictionary (application messages).
pub(crate) fn combine(transport: &Dictionary, app: &Dictionary) -> Dictionary {
    let mut b = Builder::default();
    for f in transport.fields().iter().chain(app.fields()) {
        b.add_field(f.clone());
    }
    let mut memo = HashMap::new();
    b.header = b.import_layout(transport, transport.header_id(), &mut memo);
    b.trailer = b.import_layout(transport, transport.trailer_id(), &mut memo);
    for m in transport.message_data() {
        b.import_message(transport, m, &mut memo);
    }
    let mut memo = HashMap::new();
    for m in app.message_data() {
        b.import_message(app, m, &mut memo);
    }
    let mut d = Dictionary::from_builder(
        b,
        app.fix_type(),
        app.major(),
        app.minor(),
        app.service_pack(),
    );
    d.set_transport(transport.name());
    d
}

/// The element whose items are being expanded, named in errors.
#[derive(Clone, Copy)]
enum Within<'r> {
    Header,
    Trailer,
    Message(&'r str),
    Component(&'r str),
    Group(&'r str),
    GroupTag(Tag),
}

impl std::fmt::Display for Within<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Within::Header => f.write_str("header"),
            Within::Trailer => f.write_str("trailer"),
            Within::Message(n) => write!(f, "message '{n}'"),
            Within::Component(n) => write!(f, "component '{n}'"),
            Within::Group(n) => write!(f, "group '{n}'"),
            Within::GroupTag(t) => write!(f, "group {t}"),
        }
    }
}

/// A map keyed by tag with a multiplicative hash: SipHash's DoS
/// resistance is not needed for dictionary tags, and loading hashes every
/// member of every layout.
pub(crate) type TagMap<V> = HashMap<Tag, V, std::hash::BuildHasherDefault<TagHasher>>;

/// The hasher of [`TagMap`].
#[derive(Default)]
pub(crate) struct TagHasher(u64);

impl std::hash::Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Expands components and groups of raw items into arena layouts.
struct Expander<'r, 'b> {
    b: &'b mut Builder,
    components: &'r HashMap<&'r str, &'r RawComponent>,
    /// Group definitions already expanded, by address: a group's entry
    /// layout does not depend on where its component is used.
    group_memo: HashMap<*const RawItem, u32, std::hash::BuildHasherDefault<TagHasher>>,
    /// Components being expanded, to detect cycles.
    stack: Vec<&'r str>,
}

impl<'r> Expander<'r, '_> {
    fn layout(&mut self, items: &'r [RawItem], within: Within<'r>) -> Result<u32, DictionaryError> {
        let mut out = Members::default();
        self.expand(items, true, within, &mut out)?;
        Ok(self.b.arena.push(&out.list))
    }

    fn resolve(
        &self,
        field: &FieldRef,
        within: Within<'_>,
        line: u32,
    ) -> Result<Tag, DictionaryError> {
        let found = match field {
            FieldRef::Name(n) => self.b.field_by_name.get(n.as_str()).copied(),
            FieldRef::Tag(t) => self.b.field_by_tag.get(t).copied(),
        };
        match found {
            Some(i) => Ok(self.b.fields[i as usize].tag),
            None => Err(DictionaryError::UnknownField {
                name: match field {
                    FieldRef::Name(n) => n.clone(),
                    FieldRef::Tag(t) => t.to_string(),
                },
                within: within.to_string(),
                line,
            }),
        }
    }

    fn expand(
        &mut self,
        items: &'r [RawItem],
        context_required: bool,
        within: Within<'r>,
        out: &mut Members,
    ) -> Result<(), DictionaryError> {
        for item in items {
            match item {
                RawItem::Field {
                    field,
                    required,
                    line,
                } => {
                    let tag = self.resolve(field, within, *line)?;
                    out.push(MemberData {
                        tag,
                        required: *required && context_required,
                        group: NO_GROUP,
                    });
                }
                RawItem::Group {
                    field,
                    required,
                    items: group_items,
                    line,
                } => {
                    let tag = self.resolve(field, within, *line)?;
                    let key = item as *const RawItem;
                    let layout = match self.group_memo.get(&key) {
                        Some(&l) => l,
                        None => {
                            let group_within = match field {
                                FieldRef::Name(n) => Within::Group(n),
                                FieldRef::Tag(t) => Within::GroupTag(*t),
                            };
                            let mut members = Members::default();
                            // A group entry is a context of its own: its
                            // required members are required in every entry.
                            self.expand(group_items, true, group_within, &mut members)?;
                            if members.list.is_empty() {
                                return Err(DictionaryError::EmptyGroup {
                                    name: self.b.fields[self.b.field_by_tag[&tag] as usize]
                                        .name
                                        .to_string(),
                                    within: within.to_string(),
                                    line: *line,
                                });
                            }
                            let l = self.b.arena.push(&members.list);
                            self.group_memo.insert(key, l);
                            l
                        }
                    };
                    out.push(MemberData {
                        tag,
                        required: *required && context_required,
                        group: layout,
                    });
                }
                RawItem::Component {
                    name,
                    required,
                    line,
                } => {
                    let Some(&comp) = self.components.get(name.as_str()) else {
                        return Err(DictionaryError::UnknownComponent {
                            name: name.clone(),
                            within: within.to_string(),
                            line: *line,
                        });
                    };
                    if self.stack.contains(&comp.name.as_str()) {
                        return Err(DictionaryError::ComponentCycle {
                            name: name.clone(),
                            line: *line,
                        });
                    }
                    self.stack.push(&comp.name);
                    // Required members of an optional component are only
                    // required when the component is present, which a flat
                    // layout cannot tell: they become optional.
                    self.expand(
                        &comp.items,
                        context_required && *required,
                        Within::Component(&comp.name),
                        out,
                    )?;
                    self.stack.pop();
                }
            }
        }
        Ok(())
    }
}

/// The members of one layout being expanded.
#[derive(Default)]
struct Members {
    list: Vec<MemberData>,
    index: TagMap<usize>,
}

impl Members {
    /// Appends a member unless its tag is already there (some standard
    /// dictionaries list a field twice in one message or group; the first
    /// occurrence keeps its place, as in QuickFIX).
    fn push(&mut self, m: MemberData) {
        match self.index.get(&m.tag) {
            Some(&i) => self.list[i].required |= m.required,
            None => {
                self.index.insert(m.tag, self.list.len());
                self.list.push(m);
            }
        }
    }
}
