//! The fields of a message or of a group entry, as the Python objects
//! see them: an ordered list of fields and repeating groups, without
//! Python types, so that it can be built on the engine thread and tested
//! without an interpreter.
//!
//! Values live in one byte buffer per list (a received message is copied
//! once and indexed); a field set again gets its new value appended to the
//! buffer. A received message keeps its field positions and is gathered
//! into items (groups looked up in the dictionary) on the first access
//! that needs them: reading MsgType or a header field does not. A repeating group is one item holding its entries, each a list
//! of its own, shared (`Arc<Mutex<..>>`) with the Python objects that view
//! it, so that `msg.get_group(453)[0].set(448, "X")` changes the message.

use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::encode::FieldWriter;
use fixrs_proto::framing::checksum;
use fixrs_proto::group::{GroupMember, GroupShape};
use fixrs_proto::message::FieldSpan;
use fixrs_proto::{tag, FixVersion, MessageBuilder, Tag, SOH};
use std::cell::OnceCell;
use std::sync::{Arc, Mutex, MutexGuard};

/// A shared list of fields (a message's, or a group entry's).
pub type SharedFields = Arc<Mutex<FieldList>>;

/// A shared repeating group.
pub type SharedGroup = Arc<Mutex<GroupData>>;

/// Locks a shared list; a poisoned lock (a panic while it was held) still
/// gives the data, which is never left half-changed by our code.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One item of a [`FieldList`].
#[derive(Debug, Clone)]
pub enum Item {
    /// A field whose value is `buf[start..start + len]`.
    Field {
        /// The tag.
        tag: Tag,
        /// Start of the value in the list's buffer.
        start: u32,
        /// Length of the value.
        len: u32,
        /// Length of the `tag=` the buffer holds before the value, with
        /// SOH after it, for a field stored whole (set, push, insert);
        /// 0 when only the value is known to be there (a received
        /// message's fields, whose tag text may differ).
        key: u8,
    },
    /// A repeating group, written as its NumInGroup field then its entries.
    Group(SharedGroup),
}

/// A repeating group: its NumInGroup tag and its entries.
#[derive(Debug, Default)]
pub struct GroupData {
    /// The NumInGroup tag (NoPartyIDs(453), ...).
    pub count_tag: Tag,
    /// The entries, in order.
    pub entries: Vec<SharedFields>,
}

impl GroupData {
    /// An empty group.
    pub fn new(count_tag: Tag) -> GroupData {
        GroupData {
            count_tag,
            entries: Vec::new(),
        }
    }

    /// Appends an empty entry and returns it.
    pub fn add_entry(&mut self) -> SharedFields {
        let entry = Arc::new(Mutex::new(FieldList::default()));
        self.entries.push(entry.clone());
        entry
    }

    /// A deep copy (entries are not shared with the original).
    pub fn deep_copy(&self) -> GroupData {
        GroupData {
            count_tag: self.count_tag,
            entries: self
                .entries
                .iter()
                .map(|e| Arc::new(Mutex::new(lock(e).deep_copy())))
                .collect(),
        }
    }
}

/// An ordered list of fields and groups.
#[derive(Debug, Default, Clone)]
pub struct FieldList {
    buf: Vec<u8>,
    /// The items; those of a received message are gathered from
    /// `received` when first needed.
    items: OnceCell<Vec<Item>>,
    /// A received message whose items are not gathered yet.
    received: Option<Received>,
}

/// The fields of a received message as parsed: positions in the list's
/// buffer, and the dictionary whose groups gather them.
#[derive(Debug, Clone)]
struct Received {
    spans: Vec<FieldSpan>,
    dict: &'static Dictionary,
}

impl Received {
    /// The value of the first field with `tag`, answered from the spans
    /// alone when neither it nor a field before it may start a repeating
    /// group (so that gathering would leave it a plain field at the top
    /// level, first of its tag):
    /// `Some(None)` when absent and no field may start a group; `None`
    /// when the answer needs the gathered items.
    fn leading<'b>(&self, buf: &'b [u8], tag: Tag) -> Option<Option<&'b [u8]>> {
        let mut top = None;
        for span in &self.spans {
            if counts(self.dict, span.tag) {
                let top = top.get_or_insert_with(|| TopLevel::of(self.dict, buf, &self.spans));
                if top.group(span.tag).is_some() {
                    return None;
                }
            }
            if span.tag == tag {
                return Some(Some(&buf[span.range()]));
            }
        }
        Some(None)
    }
}

impl FieldList {
    /// A list with room for `fields` fields of `bytes` bytes in all.
    pub fn with_capacity(fields: usize, bytes: usize) -> FieldList {
        FieldList {
            buf: Vec::with_capacity(bytes),
            items: OnceCell::from(Vec::with_capacity(fields)),
            received: None,
        }
    }

    /// The list of a received message (`bytes`, its fields at `spans`),
    /// its repeating groups gathered by `dict` when first needed: as
    /// [`from_spans`], without the cost of gathering until then.
    pub fn received(bytes: Vec<u8>, spans: Vec<FieldSpan>, dict: &'static Dictionary) -> FieldList {
        FieldList {
            buf: bytes,
            items: OnceCell::new(),
            received: Some(Received { spans, dict }),
        }
    }

    /// The items in order.
    pub fn items(&self) -> &[Item] {
        self.items.get_or_init(|| match &self.received {
            Some(r) => gather(&self.buf, &r.spans, r.dict),
            None => Vec::new(),
        })
    }

    /// The items, to change them.
    fn items_mut(&mut self) -> &mut Vec<Item> {
        self.items();
        self.received = None;
        self.items.get_mut().expect("the items were gathered above")
    }

    /// The value of a field item.
    pub fn value(&self, start: u32, len: u32) -> &[u8] {
        &self.buf[start as usize..(start + len) as usize]
    }

    /// Stores `tag=value<SOH>` (so that it is copied whole when sent)
    /// and returns its item.
    fn store(&mut self, tag: Tag, value: &[u8]) -> Item {
        let before = self.buf.len();
        write_field(&mut self.buf, tag, value);
        let start = self.buf.len() - 1 - value.len();
        Item::Field {
            tag,
            start: start as u32,
            len: value.len() as u32,
            key: (start - before) as u8,
        }
    }

    /// The whole field `tag=value<SOH>` of an item stored whole.
    fn whole(&self, item: &Item) -> Option<std::ops::Range<usize>> {
        match *item {
            Item::Field {
                start, len, key, ..
            } if key > 0 => Some(start as usize - key as usize..(start + len) as usize + 1),
            _ => None,
        }
    }

    /// The value of the first field with `tag` (groups are not looked into).
    pub fn get(&self, tag: Tag) -> Option<&[u8]> {
        if let Some(found) = self.leading(tag) {
            return found;
        }
        self.items().iter().find_map(|i| match i {
            Item::Field {
                tag: t, start, len, ..
            } if *t == tag => Some(self.value(*start, *len)),
            _ => None,
        })
    }

    /// Whether a field or group with `tag` is present.
    pub fn contains(&self, tag: Tag) -> bool {
        if let Some(found) = self.leading(tag) {
            return found.is_some();
        }
        self.items().iter().any(|i| item_tag(i) == tag)
    }

    /// [`Received::leading`] of a received message not gathered yet.
    fn leading(&self, tag: Tag) -> Option<Option<&[u8]>> {
        match (&self.received, self.items.get()) {
            (Some(r), None) => r.leading(&self.buf, tag),
            _ => None,
        }
    }

    /// Sets the first field with `tag` to `value`, or appends it. A group
    /// with this count tag is replaced by the plain field.
    pub fn set(&mut self, tag: Tag, value: &[u8]) {
        let new = self.store(tag, value);
        let items = self.items_mut();
        match items.iter().position(|i| item_tag(i) == tag) {
            Some(pos) => items[pos] = new,
            None => items.push(new),
        }
        self.compact_if_wasteful();
    }

    /// Appends a field even if one with the same tag exists.
    pub fn push(&mut self, tag: Tag, value: &[u8]) {
        let new = self.store(tag, value);
        self.items_mut().push(new);
    }

    /// Inserts a field at `index` (clamped to the end).
    pub fn insert(&mut self, index: usize, tag: Tag, value: &[u8]) {
        let new = self.store(tag, value);
        let items = self.items_mut();
        let index = index.min(items.len());
        items.insert(index, new);
    }

    /// Removes every field and group with `tag`; returns whether any was.
    pub fn remove(&mut self, tag: Tag) -> bool {
        let items = self.items_mut();
        let before = items.len();
        items.retain(|i| item_tag(i) != tag);
        before != items.len()
    }

    /// The group counted by `count_tag`, if present as a group.
    pub fn group(&self, count_tag: Tag) -> Option<SharedGroup> {
        self.items().iter().find_map(|i| match i {
            Item::Group(g) if lock(g).count_tag == count_tag => Some(g.clone()),
            _ => None,
        })
    }

    /// Adds (or replaces) the group counted by `count_tag` with an empty
    /// one and returns it.
    pub fn add_group(&mut self, count_tag: Tag) -> SharedGroup {
        let group = Arc::new(Mutex::new(GroupData::new(count_tag)));
        let item = Item::Group(group.clone());
        let items = self.items_mut();
        match items.iter().position(|i| item_tag(i) == count_tag) {
            Some(pos) => items[pos] = item,
            None => items.push(item),
        }
        group
    }

    /// Number of items (fields and groups) at this level.
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items().is_empty()
    }

    /// A deep copy: groups are copied, not shared.
    pub fn deep_copy(&self) -> FieldList {
        let items = self
            .items()
            .iter()
            .map(|i| match i {
                Item::Group(g) => Item::Group(Arc::new(Mutex::new(lock(g).deep_copy()))),
                field => field.clone(),
            })
            .collect::<Vec<_>>();
        FieldList {
            buf: self.buf.clone(),
            items: OnceCell::from(items),
            received: None,
        }
    }

    /// Drops values no field refers to any more once they are most of the
    /// buffer (a message reused with `set` in a loop stays small).
    fn compact_if_wasteful(&mut self) {
        // Called after a change: the items are gathered.
        let Some(items) = self.items.get_mut() else {
            return;
        };
        if self.buf.len() < 1024 {
            return;
        }
        let live: usize = items
            .iter()
            .map(|i| match i {
                Item::Field { len, key, .. } => *len as usize + *key as usize + 1,
                Item::Group(_) => 0,
            })
            .sum();
        if live * 2 > self.buf.len() {
            return;
        }
        let mut buf = Vec::with_capacity(live * 2);
        for item in items.iter_mut() {
            if let Item::Field {
                start, len, key, ..
            } = item
            {
                // The stored `tag=` and SOH go along.
                let from = *start as usize - *key as usize;
                let to = (*start + *len) as usize + usize::from(*key > 0);
                let new_start = buf.len() + *key as usize;
                buf.extend_from_slice(&self.buf[from..to]);
                *start = new_start as u32;
            }
        }
        self.buf = buf;
    }

    /// Writes the fields as `tag=value<SOH>`, groups as their NumInGroup
    /// field followed by their entries; `skip` says which top-level tags to
    /// leave out.
    pub fn write(&self, out: &mut Vec<u8>, skip: &dyn Fn(Tag) -> bool) {
        for item in self.items() {
            match item {
                Item::Field {
                    tag, start, len, ..
                } => {
                    if !skip(*tag) {
                        write_field(out, *tag, self.value(*start, *len));
                    }
                }
                Item::Group(g) => {
                    let g = lock(g);
                    if skip(g.count_tag) {
                        continue;
                    }
                    write_field(out, g.count_tag, g.entries.len().to_string().as_bytes());
                    for entry in &g.entries {
                        lock(entry).write(out, &|_| false);
                    }
                }
            }
        }
    }

    /// Every field as (tag, value), groups flattened in wire order.
    pub fn flatten(&self, out: &mut Vec<(Tag, Vec<u8>)>) {
        for item in self.items() {
            match item {
                Item::Field {
                    tag, start, len, ..
                } => out.push((*tag, self.value(*start, *len).to_vec())),
                Item::Group(g) => {
                    let g = lock(g);
                    out.push((g.count_tag, g.entries.len().to_string().into_bytes()));
                    for entry in &g.entries {
                        lock(entry).flatten(out);
                    }
                }
            }
        }
    }
}

/// The tag of an item (a group's count tag).
pub fn item_tag(item: &Item) -> Tag {
    match item {
        Item::Field { tag, .. } => *tag,
        Item::Group(g) => lock(g).count_tag,
    }
}

/// Appends `tag=value<SOH>`.
pub fn write_field(out: &mut Vec<u8>, tag: Tag, value: &[u8]) {
    let mut digits = [0u8; 20];
    out.extend_from_slice(crate::values::write_i64(i64::from(tag), &mut digits));
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(SOH);
}

/// Header fields the session writes itself; a message put on a session
/// has its own copies of them dropped.
pub fn written_by_session(tag: Tag) -> bool {
    matches!(
        tag,
        tag::BEGIN_STRING
            | tag::BODY_LENGTH
            | tag::MSG_TYPE
            | tag::SENDER_COMP_ID
            | tag::TARGET_COMP_ID
            | tag::MSG_SEQ_NUM
            | tag::SENDING_TIME
            | tag::POSS_DUP_FLAG
            | tag::ORIG_SENDING_TIME
            | tag::CHECK_SUM
    )
}

/// Fills `out` with the message in `fields` as a session sends it: MsgType
/// from field 35, header fields the dictionary lists (other than those the
/// session writes) as extra header fields, everything else as the body.
pub fn to_builder(fields: &FieldList, dict: &Dictionary, out: &mut MessageBuilder) {
    let msg_type = fields.get(tag::MSG_TYPE).unwrap_or(b"");
    out.reset(msg_type);
    // Body fields stored whole and next to each other in the buffer (a
    // message built field by field) are copied with one copy.
    let mut run: Option<std::ops::Range<usize>> = None;
    let flush = |run: &mut Option<std::ops::Range<usize>>, out: &mut MessageBuilder| {
        if let Some(r) = run.take() {
            out.push_raw(&fields.buf[r]);
        }
    };
    for item in fields.items() {
        match item {
            Item::Field {
                tag, start, len, ..
            } => {
                let tag = *tag;
                if written_by_session(tag) {
                    continue;
                }
                let value = fields.value(*start, *len);
                if dict.is_header_field(tag) {
                    out.header_mut().push(tag, value);
                } else if let Some(whole) = fields.whole(item) {
                    match &mut run {
                        Some(r) if r.end == whole.start => r.end = whole.end,
                        _ => {
                            flush(&mut run, out);
                            run = Some(whole);
                        }
                    }
                } else {
                    flush(&mut run, out);
                    out.push(tag, value);
                }
            }
            Item::Group(g) => {
                flush(&mut run, out);
                let g = lock(g);
                let mut bytes = Vec::with_capacity(64);
                write_field(
                    &mut bytes,
                    g.count_tag,
                    g.entries.len().to_string().as_bytes(),
                );
                for entry in &g.entries {
                    lock(entry).write(&mut bytes, &|_| false);
                }
                if dict.is_header_field(g.count_tag) {
                    out.header_mut().push_raw(&bytes);
                } else {
                    out.push_raw(&bytes);
                }
            }
        }
    }
    flush(&mut run, out);
}

/// The complete wire form of a message: BeginString(8) (from field 8, else
/// `begin_string`), BodyLength(9) computed, MsgType(35), the other fields
/// in order, CheckSum(10) computed.
pub fn to_wire(fields: &FieldList, begin_string: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    if let Some(t) = fields.get(tag::MSG_TYPE) {
        write_field(&mut body, tag::MSG_TYPE, t);
    }
    fields.write(&mut body, &|t| {
        matches!(
            t,
            tag::BEGIN_STRING | tag::BODY_LENGTH | tag::MSG_TYPE | tag::CHECK_SUM
        )
    });
    let begin = fields
        .get(tag::BEGIN_STRING)
        .map(|b| b.to_vec())
        .unwrap_or_else(|| begin_string.as_bytes().to_vec());
    let mut out = Vec::with_capacity(body.len() + 32);
    write_field(&mut out, tag::BEGIN_STRING, &begin);
    write_field(
        &mut out,
        tag::BODY_LENGTH,
        body.len().to_string().as_bytes(),
    );
    out.extend_from_slice(&body);
    let sum = checksum(&out);
    write_field(&mut out, tag::CHECK_SUM, format!("{sum:03}").as_bytes());
    out
}

/// What the dictionary says a tag is at one level of a message: the
/// message body and header (top level) or a group entry.
trait Level {
    fn group(&self, tag: Tag) -> Option<fixrs_proto::dictionary::GroupDef<'_>>;
}

/// The top level of a message of one type.
struct TopLevel<'d> {
    dict: &'d Dictionary,
    message: Option<fixrs_proto::dictionary::MessageDef<'d>>,
}

impl<'d> TopLevel<'d> {
    /// The top level of the message whose fields are `spans` of `bytes`
    /// (its type from MsgType(35)).
    fn of(dict: &'d Dictionary, bytes: &[u8], spans: &[FieldSpan]) -> TopLevel<'d> {
        let msg_type = spans
            .iter()
            .find(|s| s.tag == tag::MSG_TYPE)
            .map(|s| &bytes[s.range()])
            .unwrap_or(b"");
        TopLevel {
            dict,
            message: dict.message(msg_type),
        }
    }
}

impl Level for TopLevel<'_> {
    fn group(&self, tag: Tag) -> Option<fixrs_proto::dictionary::GroupDef<'_>> {
        self.message
            .as_ref()
            .and_then(|m| m.group(tag))
            .or_else(|| self.dict.header().group(tag))
    }
}

/// Whether a field with `tag` may count a repeating group: only integer
/// fields can (NUMINGROUP, or INT in the FIX 4.0 to 4.2 dictionaries), so
/// others skip the layout lookups.
fn counts(dict: &Dictionary, tag: Tag) -> bool {
    use fixrs_proto::dictionary::FieldType;
    dict.field(tag)
        .is_some_and(|f| matches!(f.field_type(), FieldType::NumInGroup | FieldType::Int))
}

/// Builds the list of a parsed message: fields in order, repeating groups
/// the dictionary defines for its MsgType gathered into groups. A group
/// whose entries do not match its NumInGroup stays as plain fields, as
/// received.
pub fn from_spans(bytes: &[u8], spans: &[FieldSpan], dict: &'static Dictionary) -> FieldList {
    let list = FieldList::received(bytes.to_vec(), spans.to_vec(), dict);
    list.items();
    list
}

/// The items of a parsed message (see [`from_spans`]), values at their
/// places in `bytes`.
fn gather(bytes: &[u8], spans: &[FieldSpan], dict: &Dictionary) -> Vec<Item> {
    let mut items = Vec::with_capacity(spans.len());
    let top = TopLevel::of(dict, bytes, spans);
    let mut i = 0;
    while i < spans.len() {
        let span = spans[i];
        if let Some(def) = counts(dict, span.tag)
            .then(|| top.group(span.tag))
            .flatten()
        {
            if let Some((group, next)) = read_group(bytes, spans, i, def) {
                items.push(Item::Group(Arc::new(Mutex::new(group))));
                i = next;
                continue;
            }
        }
        items.push(Item::Field {
            tag: span.tag,
            start: span.start,
            len: span.len,
            key: 0,
        });
        i += 1;
    }
    items
}

/// Reads the group whose NumInGroup field is at `count_pos`; returns it
/// and the position after it, or `None` if the fields do not make the
/// number of entries the count says.
fn read_group<S: GroupShape>(
    bytes: &[u8],
    spans: &[FieldSpan],
    count_pos: usize,
    shape: S,
) -> Option<(GroupData, usize)> {
    let count_span = spans[count_pos];
    let count: usize = std::str::from_utf8(&bytes[count_span.range()])
        .ok()?
        .parse()
        .ok()?;
    let mut group = GroupData::new(count_span.tag);
    let mut i = count_pos + 1;
    while group.entries.len() < count {
        if spans.get(i).map(|s| s.tag) != Some(shape.delimiter()) {
            return None;
        }
        let mut entry = FieldList::default();
        let mut first = true;
        while let Some(span) = spans.get(i) {
            if span.tag == shape.delimiter() && !first {
                break;
            }
            first = false;
            match shape.member(span.tag) {
                GroupMember::NotMember => break,
                GroupMember::Field => {
                    entry.push(span.tag, &bytes[span.range()]);
                    i += 1;
                }
                GroupMember::Group(nested) => match read_group(bytes, spans, i, nested) {
                    Some((g, next)) => {
                        entry.items_mut().push(Item::Group(Arc::new(Mutex::new(g))));
                        i = next;
                    }
                    None => {
                        entry.push(span.tag, &bytes[span.range()]);
                        i += 1;
                    }
                },
            }
        }
        group.entries.push(Arc::new(Mutex::new(entry)));
    }
    Some((group, i))
}

/// The version a message's BeginString(8) and ApplVerID(1128) name;
/// FIXT.1.1 without ApplVerID is taken as `fixt_default`.
pub fn version_of(fields: &FieldList, fixt_default: FixVersion) -> Option<FixVersion> {
    let begin = fields.get(tag::BEGIN_STRING)?;
    if begin == b"FIXT.1.1" {
        return Some(
            fields
                .get(fixrs_proto::tag::APPL_VER_ID)
                .and_then(FixVersion::from_appl_ver_id)
                .unwrap_or(fixt_default),
        );
    }
    FixVersion::from_begin_string(begin)
}

/// The fields of a message put on a session (MsgType, extra header fields
/// and body), with BeginString(8) of `version`, groups gathered by the
/// version's dictionary.
pub fn from_builder(message: &MessageBuilder, version: FixVersion) -> FieldList {
    let mut bytes = Vec::with_capacity(message.header().len() + message.body().len() + 32);
    write_field(
        &mut bytes,
        tag::BEGIN_STRING,
        version.begin_string().as_bytes(),
    );
    write_field(&mut bytes, tag::MSG_TYPE, message.msg_type());
    bytes.extend_from_slice(message.header());
    bytes.extend_from_slice(message.body());
    let mut spans = Vec::new();
    let mut pos = 0;
    for field in bytes.split(|&b| b == SOH) {
        let end = pos + field.len();
        if let Some(eq) = field.iter().position(|&b| b == b'=') {
            if let Some(tag) = std::str::from_utf8(&field[..eq])
                .ok()
                .and_then(|t| t.parse().ok())
            {
                spans.push(FieldSpan {
                    tag,
                    start: (pos + eq + 1) as u32,
                    len: (field.len() - eq - 1) as u32,
                });
            }
        }
        pos = end + 1;
    }
    FieldList::received(bytes, spans, Dictionary::builtin(version))
}

/// Why a text could not be read as a FIX message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError(pub String);

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads `tag=value` fields separated by SOH, or by `|` when the text has
/// no SOH. When the text carries BodyLength(9) and CheckSum(10) they are
/// checked.
pub fn parse_text(text: &[u8]) -> Result<(Vec<u8>, Vec<FieldSpan>), TextError> {
    let mut bytes: Vec<u8> = if text.contains(&SOH) {
        text.to_vec()
    } else {
        text.iter()
            .map(|&b| if b == b'|' { SOH } else { b })
            .collect()
    };
    // Surrounding whitespace (a line from a file) is not part of it.
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    let leading = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    bytes.drain(..leading);
    if bytes.last() != Some(&SOH) {
        bytes.push(SOH);
    }
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let end = pos
            + bytes[pos..]
                .iter()
                .position(|&b| b == SOH)
                .unwrap_or(bytes.len() - pos);
        let field = &bytes[pos..end];
        let eq = field
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| TextError(format!("field {:?} has no '='", lossy(field))))?;
        let tag: Tag = std::str::from_utf8(&field[..eq])
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|t| *t > 0)
            .ok_or_else(|| TextError(format!("bad tag in field {:?}", lossy(field))))?;
        spans.push(FieldSpan {
            tag,
            start: (pos + eq + 1) as u32,
            len: (end - pos - eq - 1) as u32,
        });
        pos = end + 1;
    }
    if spans.is_empty() {
        return Err(TextError("no fields".into()));
    }
    check_length_and_checksum(&bytes, &spans)?;
    Ok((bytes, spans))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Checks BodyLength(9) and CheckSum(10) where the text has them in
/// their places (second field, last field).
fn check_length_and_checksum(bytes: &[u8], spans: &[FieldSpan]) -> Result<(), TextError> {
    let value = |s: &FieldSpan| std::str::from_utf8(&bytes[s.range()]).unwrap_or("");
    if let (Some(len_span), Some(last)) = (spans.get(1), spans.last()) {
        if len_span.tag == tag::BODY_LENGTH && last.tag == tag::CHECK_SUM {
            let body_start = (len_span.start + len_span.len + 1) as usize;
            let checksum_start = last.start as usize - 3; // "10="
            let declared: usize = value(len_span)
                .parse()
                .map_err(|_| TextError(format!("bad BodyLength {:?}", value(len_span))))?;
            let actual = checksum_start.saturating_sub(body_start);
            if declared != actual {
                return Err(TextError(format!(
                    "BodyLength(9) is {declared} but the body has {actual} bytes"
                )));
            }
            let declared_sum: u32 = value(last)
                .parse()
                .map_err(|_| TextError(format!("bad CheckSum {:?}", value(last))))?;
            let sum = checksum(&bytes[..checksum_start]);
            if declared_sum != u32::from(sum) {
                return Err(TextError(format!(
                    "CheckSum(10) is {declared_sum:03} but the message sums to {sum:03}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nos_with_parties() -> Vec<u8> {
        let mut list = FieldList::default();
        list.push(8, b"FIX.4.4");
        list.push(35, b"D");
        list.push(49, b"A");
        list.push(56, b"B");
        list.push(11, b"ORD-1");
        let g = list.add_group(453);
        for (id, role) in [("BROKER", "1"), ("CLIENT", "3")] {
            let e = lock(&g).add_entry();
            let mut e = lock(&e);
            e.push(448, id.as_bytes());
            e.push(447, b"D");
            e.push(452, role.as_bytes());
        }
        list.push(55, b"EUR/USD");
        to_wire(&list, "FIX.4.4")
    }

    #[test]
    fn wire_form_has_length_and_checksum_that_parse_back() {
        let wire = nos_with_parties();
        let text = String::from_utf8(wire.clone())
            .unwrap()
            .replace('\x01', "|");
        assert!(text.starts_with("8=FIX.4.4|9="), "{text}");
        assert!(
            text.contains("|453=2|448=BROKER|447=D|452=1|448=CLIENT|"),
            "{text}"
        );
        let (bytes, spans) = parse_text(text.as_bytes()).unwrap();
        assert_eq!(bytes, wire);
        let list = from_spans(&bytes, &spans, Dictionary::builtin(FixVersion::Fix44));
        let parties = list.group(453).expect("group gathered from the dictionary");
        {
            let parties = lock(&parties);
            assert_eq!(parties.entries.len(), 2);
            assert_eq!(lock(&parties.entries[1]).get(448), Some(&b"CLIENT"[..]));
        }
        // Fields after the group stay at the top level.
        assert_eq!(list.get(55), Some(&b"EUR/USD"[..]));
        assert_eq!(list.get(448), None);
        assert_eq!(to_wire(&list, "FIX.4.4"), wire);
    }

    #[test]
    fn bad_checksum_and_length_are_refused() {
        let wire = String::from_utf8(nos_with_parties()).unwrap();
        let bad_sum = format!("{}000\x01", &wire[..wire.len() - 4]);
        let e = parse_text(bad_sum.as_bytes()).unwrap_err();
        assert!(e.0.contains("CheckSum"), "{e}");
        let bad_len = wire.replacen("9=", "9=1", 1);
        let e = parse_text(bad_len.as_bytes()).unwrap_err();
        assert!(e.0.contains("BodyLength"), "{e}");
        assert!(parse_text(b"35=D|11").is_err());
        assert!(parse_text(b"x=1").is_err());
    }

    #[test]
    fn a_received_message_answers_as_its_gathered_fields_and_gathers_late() {
        let dict = Dictionary::builtin(FixVersion::Fix44);
        let wire = nos_with_parties();
        let (bytes, spans) = parse_text(&wire).unwrap();
        let gathered = from_spans(&bytes, &spans, dict);
        let tags: Vec<Tag> = spans.iter().map(|s| s.tag).chain([9999, 627]).collect();
        for &t in &tags {
            let lazy = FieldList::received(bytes.clone(), spans.clone(), dict);
            assert_eq!(lazy.get(t), gathered.get(t), "get({t})");
            assert_eq!(lazy.contains(t), gathered.contains(t), "contains({t})");
        }
        // Header fields are read without gathering the groups ...
        let lazy = FieldList::received(bytes.clone(), spans.clone(), dict);
        assert_eq!(lazy.get(tag::MSG_TYPE), Some(&b"D"[..]));
        assert_eq!(lazy.get(tag::SENDER_COMP_ID), Some(&b"A"[..]));
        assert!(lazy.items.get().is_none());
        // ... a member of a group or a field after one needs them.
        assert_eq!(lazy.get(448), None);
        assert!(lazy.items.get().is_some());
        assert_eq!(lazy.len(), gathered.len());
        // Changes apply to the gathered items.
        let mut lazy = FieldList::received(bytes.clone(), spans.clone(), dict);
        lazy.set(55, b"GBP/USD");
        assert!(lazy.group(453).is_some());
        let mut expected = gathered.deep_copy();
        expected.set(55, b"GBP/USD");
        assert_eq!(to_wire(&lazy, "FIX.4.4"), to_wire(&expected, "FIX.4.4"));
    }

    #[test]
    fn groups_of_fix42_whose_counts_are_typed_int() {
        let (bytes, spans) =
            parse_text(b"8=FIX.4.2|35=D|11=A|21=1|78=2|79=ACC1|80=10|79=ACC2|80=20|55=X").unwrap();
        let list = from_spans(&bytes, &spans, Dictionary::builtin(FixVersion::Fix42));
        let allocs = list.group(78).expect("NoAllocs gathered");
        assert_eq!(lock(&allocs).entries.len(), 2);
        assert_eq!(list.get(55), Some(&b"X"[..]));
    }

    #[test]
    fn a_group_whose_count_does_not_match_stays_flat() {
        let (bytes, spans) = parse_text(b"8=FIX.4.4|35=D|453=3|448=A|447=D|452=1|55=X").unwrap();
        let list = from_spans(&bytes, &spans, Dictionary::builtin(FixVersion::Fix44));
        assert!(list.group(453).is_none());
        assert_eq!(list.get(453), Some(&b"3"[..]));
        assert_eq!(list.get(448), Some(&b"A"[..]));
    }

    #[test]
    fn set_replaces_and_the_buffer_stays_small() {
        let mut list = FieldList::default();
        list.set(11, b"first");
        for i in 0..10_000 {
            list.set(11, format!("ORDER-{i:08}").as_bytes());
        }
        assert_eq!(list.get(11), Some(&b"ORDER-00009999"[..]));
        assert_eq!(list.len(), 1);
        assert!(list.buf.len() < 4096, "{}", list.buf.len());
    }

    /// What `to_builder` writes, field by field.
    fn builder_field_by_field(fields: &FieldList, dict: &Dictionary) -> MessageBuilder {
        let mut out = MessageBuilder::default();
        out.reset(fields.get(tag::MSG_TYPE).unwrap_or(b""));
        for item in fields.items() {
            match item {
                Item::Field {
                    tag, start, len, ..
                } if !written_by_session(*tag) => {
                    let value = fields.value(*start, *len);
                    if dict.is_header_field(*tag) {
                        out.header_mut().push(*tag, value);
                    } else {
                        out.push(*tag, value);
                    }
                }
                Item::Field { .. } => {}
                Item::Group(g) => {
                    let mut bytes = Vec::new();
                    FieldList {
                        items: OnceCell::from(vec![Item::Group(g.clone())]),
                        ..FieldList::default()
                    }
                    .write(&mut bytes, &|_| false);
                    if dict.is_header_field(lock(g).count_tag) {
                        out.header_mut().push_raw(&bytes);
                    } else {
                        out.push_raw(&bytes);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn fields_stored_whole_are_sent_as_field_by_field() {
        let dict = Dictionary::builtin(FixVersion::Fix44);
        let check = |list: &FieldList| {
            let mut b = MessageBuilder::default();
            to_builder(list, dict, &mut b);
            let expected = builder_field_by_field(list, dict);
            assert_eq!(b.header(), expected.header());
            assert_eq!(b.body(), expected.body());
            assert_eq!(b.msg_type(), expected.msg_type());
        };
        // Built field by field, a field set again, a header field and the
        // session's own fields in between, a group, an insert, a removal.
        let mut list = order_built_field_by_field();
        check(&list);
        list.set(11, b"ORDER-2");
        list.set(115, b"ON-BEHALF");
        list.insert(3, 34, b"9");
        check(&list);
        list.remove(55);
        let g = list.add_group(453);
        lock(&lock(&g).add_entry()).push(448, b"P");
        list.push(58, b"after the group");
        check(&list);
        // Many sets: the buffer is compacted and the fields stay whole.
        for i in 0..500 {
            list.set(11, format!("ORDER-{i}").as_bytes());
            list.set(44, format!("1.{i}").as_bytes());
            check(&list);
        }
        assert!(list.buf.len() < 2048, "{}", list.buf.len());
        // A received message (values only), then changed.
        let (bytes, spans) = parse_text(&nos_with_parties()).unwrap();
        let mut received = FieldList::received(bytes, spans, dict);
        check(&received);
        received.set(55, b"GBP/USD");
        received.push(59, b"0");
        check(&received);
        // Compacted with received values (stored without their tags).
        for i in 0..300 {
            received.set(11, format!("ORDER-{i}").as_bytes());
            check(&received);
        }
        assert_eq!(received.get(49), Some(&b"A"[..]));
        assert!(received.buf.len() < 2048, "{}", received.buf.len());
    }

    /// A NewOrderSingle built field by field, SendingTime among them.
    fn order_built_field_by_field() -> FieldList {
        let mut list = FieldList::with_capacity(16, 128);
        list.push(8, b"FIX.4.4");
        list.push(35, b"D");
        for (t, v) in [(11, "ORDER-1"), (1, "ACC"), (55, "EUR/USD"), (54, "1")] {
            list.set(t, v.as_bytes());
        }
        list.set(52, b"20240101-00:00:00");
        for (t, v) in [(38, "100"), (40, "2"), (44, "1.5"), (59, "0")] {
            list.set(t, v.as_bytes());
        }
        list
    }

    #[test]
    fn builder_takes_header_fields_apart_and_drops_the_sessions_own() {
        let (bytes, spans) =
            parse_text(b"8=FIX.4.4|35=D|49=A|56=B|34=7|52=20240101-00:00:00|115=CLIENT|11=X|55=Y")
                .unwrap();
        let list = from_spans(&bytes, &spans, Dictionary::builtin(FixVersion::Fix44));
        let mut b = MessageBuilder::default();
        to_builder(&list, Dictionary::builtin(FixVersion::Fix44), &mut b);
        assert_eq!(b.msg_type(), b"D");
        assert_eq!(b.header(), b"115=CLIENT\x01");
        assert_eq!(b.body(), b"11=X\x0155=Y\x01");
    }
}
