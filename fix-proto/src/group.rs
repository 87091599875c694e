//! Repeating groups: iterating the entries of a group in a [`Message`].
//!
//! A repeating group is a NumInGroup field (the count tag, e.g.
//! NoPartyIDs(453)) followed by that many entries, each starting with the
//! group's delimiter (its first field, e.g. PartyID(448)) and holding
//! members of the group in order, possibly nested groups. Where an entry
//! ends can only be known from the group's layout, which comes either from
//! a [`Dictionary`](crate::dictionary::Dictionary)
//! ([`GroupDef`]) or, without one, from a hand-built [`GroupLayout`]; both
//! implement [`GroupShape`].
//!
//! Opening a group checks its structure once (NumInGroup matches the
//! entries found, recursively); iterating then yields [`GroupEntry`] views
//! without allocating.
//!
//! ```
//! use fixrs_proto::encode::{Encoder, FieldWriter};
//! use fixrs_proto::group::GroupLayout;
//! use fixrs_proto::message::FieldIndex;
//!
//! // NoPartyIDs(453): PartyID(448), PartyIDSource(447), PartyRole(452),
//! // with NoPartySubIDs(802): PartySubID(523), PartySubIDType(803).
//! let parties = GroupLayout::new(453, 448, &[447, 452])
//!     .with_group(GroupLayout::new(802, 523, &[803]));
//! let mut enc = Encoder::new();
//! enc.start("FIX.4.4", b"D").push_str(49, "A").push_str(56, "B");
//! enc.push_uint(453, 2)
//!     .push_str(448, "BROKER").push_char(447, b'D').push_uint(452, 1)
//!     .push_uint(802, 1).push_str(523, "DESK-7").push_uint(803, 9)
//!     .push_str(448, "CLIENT").push_char(447, b'D').push_uint(452, 3);
//! let bytes = enc.finish().to_vec();
//! let mut index = FieldIndex::new();
//! let msg = index.parse(&bytes).unwrap();
//!
//! let group = msg.group(&parties).unwrap();
//! assert_eq!(group.len(), 2);
//! let ids: Vec<&[u8]> = group.iter().filter_map(|e| e.get(448)).collect();
//! assert_eq!(ids, [&b"BROKER"[..], b"CLIENT"]);
//! let first = group.iter().next().unwrap();
//! let sub = first.group(802).unwrap().iter().next().unwrap();
//! assert_eq!(sub.get(523), Some(&b"DESK-7"[..]));
//! ```

use crate::dictionary::GroupDef;
use crate::message::{FieldSpan, Message};
use crate::reject::SessionRejectReason;
use crate::value::{FieldError, FromFixValue, ValueError};
use crate::Tag;

/// What group iteration needs to know about a group: its count tag, its
/// delimiter, and what each tag is within an entry.
pub trait GroupShape: Copy {
    /// The NumInGroup field.
    fn count_tag(&self) -> Tag;
    /// The first field of every entry.
    fn delimiter(&self) -> Tag;
    /// What `tag` is within an entry: not a member, a field, or the count
    /// tag of a nested group (the fields of nested groups are not members).
    fn member(&self, tag: Tag) -> GroupMember<Self>;

    /// Whether an entry may hold nested groups (when not, an entry's
    /// fields are all its own and lookups need no layout).
    #[inline]
    fn has_nested_groups(&self) -> bool {
        true
    }

    /// Whether `tag` is a member of an entry.
    #[inline]
    fn contains(&self, tag: Tag) -> bool {
        !matches!(self.member(tag), GroupMember::NotMember)
    }

    /// The nested group whose count tag is `count_tag`, if it is one.
    #[inline]
    fn nested(&self, count_tag: Tag) -> Option<Self> {
        match self.member(count_tag) {
            GroupMember::Group(g) => Some(g),
            _ => None,
        }
    }
}

/// What a tag is within a group entry ([`GroupShape::member`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMember<S> {
    /// Not a member: the entry (and the group) ends before it.
    NotMember,
    /// A field of the entry.
    Field,
    /// The count tag of a nested group, with its shape.
    Group(S),
}

/// A group layout built by hand, for use without a dictionary: count tag,
/// delimiter, the other member tags in order, and nested groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLayout {
    count_tag: Tag,
    /// Members in order, delimiter first, nested count tags included.
    members: Vec<Tag>,
    sorted: Vec<Tag>,
    nested: Vec<GroupLayout>,
}

impl GroupLayout {
    /// A group counted by `count_tag` whose entries start with `delimiter`
    /// followed by `members` (the delimiter may be repeated at the start of
    /// `members`; it is not added twice).
    pub fn new(count_tag: Tag, delimiter: Tag, members: &[Tag]) -> GroupLayout {
        let mut layout = GroupLayout {
            count_tag,
            members: vec![delimiter],
            sorted: Vec::new(),
            nested: Vec::new(),
        };
        for &m in members {
            if !layout.members.contains(&m) {
                layout.members.push(m);
            }
        }
        layout.sort();
        layout
    }

    /// Adds a nested group as the next member of an entry.
    pub fn with_group(mut self, nested: GroupLayout) -> GroupLayout {
        if !self.members.contains(&nested.count_tag) {
            self.members.push(nested.count_tag);
        }
        self.nested.retain(|n| n.count_tag != nested.count_tag);
        self.nested.push(nested);
        self.sort();
        self
    }

    /// An owned copy of a dictionary's group, nested groups included.
    pub fn from_dictionary(def: GroupDef<'_>) -> GroupLayout {
        let mut layout = GroupLayout {
            count_tag: def.count_tag(),
            members: def.layout().members().map(|m| m.tag()).collect(),
            sorted: Vec::new(),
            nested: Vec::new(),
        };
        layout.nested = def
            .layout()
            .members()
            .filter_map(|m| m.group())
            .map(GroupLayout::from_dictionary)
            .collect();
        layout.sort();
        layout
    }

    fn sort(&mut self) {
        self.sorted.clone_from(&self.members);
        self.sorted.sort_unstable();
    }

    /// The NumInGroup field.
    pub fn count_tag(&self) -> Tag {
        self.count_tag
    }

    /// The delimiter (first member).
    pub fn delimiter(&self) -> Tag {
        self.members[0]
    }

    /// Members of an entry in order, delimiter first.
    pub fn members(&self) -> &[Tag] {
        &self.members
    }

    /// The nested groups.
    pub fn nested(&self) -> &[GroupLayout] {
        &self.nested
    }
}

impl GroupShape for &GroupLayout {
    #[inline]
    fn count_tag(&self) -> Tag {
        self.count_tag
    }

    #[inline]
    fn delimiter(&self) -> Tag {
        self.members[0]
    }

    #[inline]
    fn has_nested_groups(&self) -> bool {
        !self.nested.is_empty()
    }

    #[inline]
    fn member(&self, tag: Tag) -> GroupMember<Self> {
        if self.sorted.binary_search(&tag).is_err() {
            return GroupMember::NotMember;
        }
        match self.nested.iter().find(|n| n.count_tag == tag) {
            Some(n) => GroupMember::Group(n),
            None => GroupMember::Field,
        }
    }
}

impl GroupShape for GroupDef<'_> {
    #[inline]
    fn count_tag(&self) -> Tag {
        GroupDef::count_tag(self)
    }

    #[inline]
    fn delimiter(&self) -> Tag {
        GroupDef::delimiter(self)
    }

    #[inline]
    fn member(&self, tag: Tag) -> GroupMember<Self> {
        // Plain fields, the common case, cost one probe; only a nested
        // group's count tag builds its definition.
        match self.member_kind(tag) {
            None => GroupMember::NotMember,
            Some(false) => GroupMember::Field,
            Some(true) => match self.group(tag) {
                Some(g) => GroupMember::Group(g),
                None => GroupMember::Field,
            },
        }
    }

    #[inline]
    fn has_nested_groups(&self) -> bool {
        GroupDef::has_nested_groups(self)
    }

    #[inline]
    fn nested(&self, count_tag: Tag) -> Option<Self> {
        if !GroupDef::has_nested_groups(self) {
            return None;
        }
        match self.member_kind(count_tag) {
            Some(true) => self.group(count_tag),
            _ => None,
        }
    }
}

/// Why a repeating group in a message does not match its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The NumInGroup value is not a non-negative integer.
    #[error("NumInGroup({count_tag}) is not a count: {error}")]
    BadCount {
        /// The count tag.
        count_tag: Tag,
        /// What is wrong with its value.
        error: ValueError,
    },
    /// The number of entries differs from NumInGroup.
    #[error("NumInGroup({count_tag}) is {declared} but {found} entries follow")]
    CountMismatch {
        /// The count tag.
        count_tag: Tag,
        /// The NumInGroup value.
        declared: usize,
        /// Entries found.
        found: usize,
    },
    /// A member of the group where an entry must start with the delimiter.
    #[error(
        "group {count_tag}: entry starts with tag {found} instead of its delimiter {delimiter}"
    )]
    DelimiterExpected {
        /// The count tag.
        count_tag: Tag,
        /// The delimiter expected.
        delimiter: Tag,
        /// The tag found.
        found: Tag,
    },
    /// The layout has no nested group with this count tag.
    #[error("tag {count_tag} is not a nested group here")]
    NotAGroup {
        /// The tag asked for.
        count_tag: Tag,
    },
}

impl GroupError {
    /// The SessionRejectReason(373) a message with this problem gets, and
    /// its RefTagID(371); `None` for [`GroupError::NotAGroup`], which is a
    /// caller's mistake, not the message's.
    pub fn reject(&self) -> Option<(SessionRejectReason, Tag)> {
        match *self {
            GroupError::BadCount { count_tag, .. } => {
                Some((SessionRejectReason::IncorrectDataFormat, count_tag))
            }
            GroupError::CountMismatch { count_tag, .. } => {
                Some((SessionRejectReason::IncorrectNumInGroupCount, count_tag))
            }
            GroupError::DelimiterExpected { found, .. } => {
                Some((SessionRejectReason::RepeatingGroupFieldsOutOfOrder, found))
            }
            GroupError::NotAGroup { .. } => None,
        }
    }
}

/// A repeating group of a message, its structure checked.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a, S> {
    msg: Message<'a>,
    shape: S,
    count_pos: Option<usize>,
    /// Index of the first entry's delimiter.
    first: usize,
    /// Index after the group's last field.
    end: usize,
    len: usize,
}

impl<'a, S: GroupShape> Group<'a, S> {
    /// Number of entries (the NumInGroup value; 0 if the count field is
    /// absent).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the group has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the count field is in the message.
    pub fn is_present(&self) -> bool {
        self.count_pos.is_some()
    }

    /// The layout.
    pub fn shape(&self) -> S {
        self.shape
    }

    /// Position of the count field in the message.
    pub fn count_position(&self) -> Option<usize> {
        self.count_pos
    }

    /// Position after the group's last field.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The entries in order.
    pub fn iter(&self) -> Entries<'a, S> {
        Entries {
            msg: self.msg,
            shape: self.shape,
            pos: self.first,
            remaining: self.len,
            end: self.end,
        }
    }
}

impl<'a, S: GroupShape> IntoIterator for Group<'a, S> {
    type Item = GroupEntry<'a, S>;
    type IntoIter = Entries<'a, S>;

    fn into_iter(self) -> Entries<'a, S> {
        self.iter()
    }
}

impl<'a, S: GroupShape> IntoIterator for &Group<'a, S> {
    type Item = GroupEntry<'a, S>;
    type IntoIter = Entries<'a, S>;

    fn into_iter(self) -> Entries<'a, S> {
        self.iter()
    }
}

/// Iterator over the entries of a [`Group`].
#[derive(Debug, Clone)]
pub struct Entries<'a, S> {
    msg: Message<'a>,
    shape: S,
    pos: usize,
    remaining: usize,
    /// Position after the group's last field.
    end: usize,
}

impl<'a, S: GroupShape> Iterator for Entries<'a, S> {
    type Item = GroupEntry<'a, S>;

    fn next(&mut self) -> Option<GroupEntry<'a, S>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let start = self.pos;
        // The structure was checked when the group was opened, so an entry
        // ends where the next one's delimiter stands (the delimiter is a
        // member of this group, never of a nested one) or, for the last,
        // where the group ends: a scan, no dictionary lookups.
        let delimiter = self.shape.delimiter();
        let end = if self.remaining == 0 {
            self.end
        } else {
            self.msg
                .spans()
                .get(start + 1..self.end)
                .and_then(|rest| rest.iter().position(|s| s.tag == delimiter))
                .map_or(self.end, |p| start + 1 + p)
        };
        self.pos = end;
        Some(GroupEntry {
            msg: self.msg,
            shape: self.shape,
            start,
            end,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<S: GroupShape> ExactSizeIterator for Entries<'_, S> {}

/// One entry of a repeating group: lookups by tag among its own fields,
/// and its nested groups.
#[derive(Debug, Clone, Copy)]
pub struct GroupEntry<'a, S> {
    msg: Message<'a>,
    shape: S,
    start: usize,
    end: usize,
}

impl<'a, S: GroupShape> GroupEntry<'a, S> {
    /// Every field of the entry, nested groups' fields included.
    pub fn spans(&self) -> &'a [FieldSpan] {
        &self.msg.spans()[self.start..self.end]
    }

    /// Position of the entry's delimiter in the message.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Position after the entry's last field.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The entry's own fields (not those inside nested groups), in order.
    pub fn fields(&self) -> EntryFields<'a, S> {
        EntryFields {
            msg: self.msg,
            shape: self.shape,
            pos: self.start,
            end: self.end,
        }
    }

    /// The value of the entry's own field `tag`.
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        let spans = self.msg.spans().get(self.start..self.end)?;
        // A plain member of this group cannot also be a member of one of
        // its nested groups, so its first occurrence in the entry's range
        // is the entry's own: no need to step over nested groups.
        let own = !self.shape.has_nested_groups()
            || (tag == self.shape.delimiter() && spans.first().is_some_and(|s| s.tag == tag))
            || matches!(self.shape.member(tag), GroupMember::Field);
        if own {
            return spans
                .iter()
                .find(|s| s.tag == tag)
                .map(|s| self.msg.value_of(s));
        }
        self.fields().find(|f| f.tag == tag).map(|f| f.value)
    }

    /// Whether the entry has its own field `tag`.
    pub fn contains(&self, tag: Tag) -> bool {
        self.get(tag).is_some()
    }

    /// The entry's field `tag` read as `T`.
    pub fn get_as<T: FromFixValue<'a>>(&self, tag: Tag) -> Result<T, FieldError> {
        let raw = self.get(tag).ok_or(FieldError::Missing(tag))?;
        T::from_fix_value(raw).map_err(|error| FieldError::Invalid { tag, error })
    }

    /// The entry's field `tag` read as `T`, `Ok(None)` when absent.
    pub fn get_opt<T: FromFixValue<'a>>(&self, tag: Tag) -> Result<Option<T>, FieldError> {
        match self.get(tag) {
            None => Ok(None),
            Some(raw) => T::from_fix_value(raw)
                .map(Some)
                .map_err(|error| FieldError::Invalid { tag, error }),
        }
    }

    /// The nested group counted by `count_tag` (empty if this entry does
    /// not have it).
    pub fn group(&self, count_tag: Tag) -> Result<Group<'a, S>, GroupError> {
        let nested = self
            .shape
            .nested(count_tag)
            .ok_or(GroupError::NotAGroup { count_tag })?;
        let spans = self.msg.spans();
        let mut i = self.start;
        while i < self.end {
            let t = spans[i].tag;
            if t == count_tag {
                return open_group(self.msg, i, nested);
            }
            i = match self.shape.nested(t) {
                Some(n) => group_end(spans, self.msg, i, n)?,
                None => i + 1,
            };
        }
        Ok(Group {
            msg: self.msg,
            shape: nested,
            count_pos: None,
            first: self.end,
            end: self.end,
            len: 0,
        })
    }
}

/// The fields of a [`GroupEntry`] outside its nested groups.
#[derive(Debug, Clone)]
pub struct EntryFields<'a, S> {
    msg: Message<'a>,
    shape: S,
    pos: usize,
    end: usize,
}

impl<'a, S: GroupShape> Iterator for EntryFields<'a, S> {
    type Item = crate::message::Field<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.end {
            return None;
        }
        let spans = self.msg.spans();
        let i = self.pos;
        let span = spans[i];
        self.pos = match self.shape.nested(span.tag) {
            Some(n) => group_end(spans, self.msg, i, n).unwrap_or(i + 1),
            None => i + 1,
        };
        Some(crate::message::Field {
            tag: span.tag,
            value: self.msg.value_of(&span),
        })
    }
}

impl<'a> Message<'a> {
    /// The repeating group counted by `shape`'s count tag, at its first
    /// occurrence in the message (an empty group if the count field is
    /// absent). For groups nested in other groups use
    /// [`GroupEntry::group`].
    pub fn group<S: GroupShape>(&self, shape: S) -> Result<Group<'a, S>, GroupError> {
        match self.position(shape.count_tag()) {
            Some(pos) => open_group(*self, pos, shape),
            None => Ok(Group {
                msg: *self,
                shape,
                count_pos: None,
                first: self.len(),
                end: self.len(),
                len: 0,
            }),
        }
    }

    /// The repeating group whose count field is at position `count_pos`.
    pub fn group_at<S: GroupShape>(
        &self,
        count_pos: usize,
        shape: S,
    ) -> Result<Group<'a, S>, GroupError> {
        open_group(*self, count_pos, shape)
    }
}

/// Reads a NumInGroup value.
pub(crate) fn parse_count(value: &[u8], count_tag: Tag) -> Result<usize, GroupError> {
    usize::from_fix_value(value).map_err(|error| GroupError::BadCount { count_tag, error })
}

fn open_group<'a, S: GroupShape>(
    msg: Message<'a>,
    count_pos: usize,
    shape: S,
) -> Result<Group<'a, S>, GroupError> {
    let spans = msg.spans();
    let Some(span) = spans.get(count_pos) else {
        return Err(GroupError::CountMismatch {
            count_tag: shape.count_tag(),
            declared: 0,
            found: 0,
        });
    };
    let len = parse_count(msg.value_of(span), shape.count_tag())?;
    let end = group_end(spans, msg, count_pos, shape)?;
    Ok(Group {
        msg,
        shape,
        count_pos: Some(count_pos),
        first: count_pos + 1,
        end,
        len,
    })
}

/// Checks the group whose count field is at `count_pos` and returns the
/// position after its last field.
fn group_end<S: GroupShape>(
    spans: &[FieldSpan],
    msg: Message<'_>,
    count_pos: usize,
    shape: S,
) -> Result<usize, GroupError> {
    let count_tag = shape.count_tag();
    let declared = parse_count(msg.value_of(&spans[count_pos]), count_tag)?;
    let delimiter = shape.delimiter();
    let mut i = count_pos + 1;
    let mut found = 0;
    while let Some(span) = spans.get(i) {
        if span.tag == delimiter {
            found += 1;
            i = entry_end(spans, msg, i, shape)?;
        } else if found == 0 && declared > 0 && shape.contains(span.tag) {
            return Err(GroupError::DelimiterExpected {
                count_tag,
                delimiter,
                found: span.tag,
            });
        } else {
            break;
        }
    }
    if found != declared {
        return Err(GroupError::CountMismatch {
            count_tag,
            declared,
            found,
        });
    }
    Ok(i)
}

/// The position after the entry whose delimiter is at `start`.
fn entry_end<S: GroupShape>(
    spans: &[FieldSpan],
    msg: Message<'_>,
    start: usize,
    shape: S,
) -> Result<usize, GroupError> {
    let delimiter = shape.delimiter();
    // A delimiter may itself be a nested group's count tag.
    let mut i = match shape.nested(delimiter) {
        Some(n) => group_end(spans, msg, start, n)?,
        None => start + 1,
    };
    while let Some(span) = spans.get(i) {
        if span.tag == delimiter {
            break;
        }
        i = match shape.member(span.tag) {
            GroupMember::NotMember => break,
            GroupMember::Field => i + 1,
            GroupMember::Group(n) => group_end(spans, msg, i, n)?,
        };
    }
    Ok(i)
}
