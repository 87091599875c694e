//! Decoding FIX logs for people and programs: `fixctl decode`.
//!
//! Input is text with FIX messages in it: SOH-delimited (as QuickFIX's
//! message logs write them), `|`-delimited or `^A`-delimited (as messages
//! are pasted in mails and tickets), one or several per line, optionally
//! after a timestamp (`20240115-10:30:00.123 : 8=FIX.4.4|...`). Each
//! message is printed with its fields named, enumerated values explained
//! and repeating groups indented, using the built-in dictionary of its
//! version (from BeginString(8), ApplVerID(1128) or the DefaultApplVerID(1137)
//! of the last Logon seen) or a dictionary given by the user. Data fields
//! and anything else a peer controls are escaped ([`crate::text`]). Garbled
//! input is reported per message and decoding goes on.
//!
//! ```
//! use fix_cli::decode::{DecodeOptions, LogDecoder};
//!
//! let log = "8=FIX.4.4|9=66|35=D|49=BUY|56=SELL|34=2|52=20240115-10:30:00|11=ORD-1|54=1|55=EUR/USD|10=075|\n";
//! let mut out = Vec::new();
//! let stats = LogDecoder::new(DecodeOptions::default()).decode(log.as_bytes(), &mut out).unwrap();
//! assert_eq!(stats.messages, 1);
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("Side(54)"));
//! assert!(text.contains("= 1 (BUY)"));
//! ```

use crate::json::{self, Object};
use crate::text::{escape, escape_frame, MAX_SHOWN};
use fixrs_proto::dictionary::{Dictionary, FieldType, GroupDef, Layout};
use fixrs_proto::framing::{scan, FrameConfig, Scan};
use fixrs_proto::{tag, FieldIndex, FixVersion, Message, Tag, UtcTimestamp, SOH};
use std::io::{self, BufRead, Write};

/// How [`LogDecoder`] decodes and prints.
#[derive(Debug, Default)]
pub struct DecodeOptions {
    /// A dictionary to use for every message instead of the built-in ones
    /// (`--dict FILE`). A FIX 5.0 application dictionary is combined with
    /// the built-in FIXT.1.1 one for FIXT.1.1 messages.
    pub dictionary: Option<Dictionary>,
    /// One JSON object per message instead of text.
    pub json: bool,
}

/// Counts of what a [`LogDecoder`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Messages found (garbled ones included).
    pub messages: u64,
    /// Messages or lines that were garbled.
    pub garbled: u64,
}

/// The built-in dictionary of `msg`'s version: BeginString(8) for FIX 4.x;
/// for FIXT.1.1, ApplVerID(1128), else DefaultApplVerID(1137), else
/// `default_appl_ver` (the DefaultApplVerID of the session's Logon), else
/// FIX 5.0 SP2. The version is returned when it is known.
pub fn dictionary_for(
    msg: &Message<'_>,
    default_appl_ver: Option<FixVersion>,
) -> (Option<FixVersion>, &'static Dictionary) {
    let (version, _) = version_of(msg, default_appl_ver);
    let v = version.unwrap_or(FixVersion::Fix44);
    (version, Dictionary::builtin(v))
}

/// The FIX version of `msg` (see [`dictionary_for`]), with a note when it
/// had to be guessed.
fn version_of(
    msg: &Message<'_>,
    default_appl_ver: Option<FixVersion>,
) -> (Option<FixVersion>, Option<&'static str>) {
    let begin = msg.begin_string();
    if begin == b"FIXT.1.1" {
        let v = msg
            .get(tag::APPL_VER_ID)
            .and_then(FixVersion::from_appl_ver_id)
            .or_else(|| {
                msg.get(tag::DEFAULT_APPL_VER_ID)
                    .and_then(FixVersion::from_appl_ver_id)
            })
            .or(default_appl_ver);
        return match v {
            Some(v) => (Some(v), None),
            None => (
                Some(FixVersion::Fix50Sp2),
                Some("no ApplVerID: fields named from FIX.5.0SP2"),
            ),
        };
    }
    match FixVersion::from_begin_string(begin) {
        Some(v) => (Some(v), None),
        None => (None, Some("unknown BeginString: fields named from FIX.4.4")),
    }
}

/// One field of a decoded message, with the entries of its repeating
/// group if it is a NumInGroup field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The tag.
    pub tag: Tag,
    /// The field's name in the dictionary.
    pub name: Option<String>,
    /// The raw value.
    pub value: Vec<u8>,
    /// What an enumerated value (or MsgType) means.
    pub meaning: Option<String>,
    /// The entries of the group this field counts, each a list of fields.
    pub entries: Option<Vec<Vec<Node>>>,
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The fields in order, groups nested.
    pub fields: Vec<Node>,
    /// The dictionary's name (`FIX.4.4`, `FIX.5.0SP2`).
    pub dictionary: String,
    /// The MsgType's name.
    pub msg_type_name: Option<String>,
    /// Problems found: framing errors, group structure, dictionary notes.
    pub warnings: Vec<String>,
    /// Whether the message's framing (BodyLength, CheckSum) was wrong.
    pub garbled: bool,
}

/// One item found in the input: a message (decoded, possibly with framing
/// problems) or garbled text that is no message.
#[derive(Debug)]
enum Item<'a> {
    Message {
        bytes: &'a [u8],
        frame_error: Option<String>,
    },
    Garbled {
        bytes: &'a [u8],
        reason: String,
    },
}

/// Decodes a stream of log lines, keeping what one message tells about
/// the next (the DefaultApplVerID of a FIXT.1.1 Logon).
#[derive(Debug)]
pub struct LogDecoder {
    dictionary: Option<Dictionary>,
    /// `dictionary` combined with FIXT.1.1, for FIXT.1.1 messages when it
    /// is an application-only dictionary.
    combined: Option<Dictionary>,
    json: bool,
    default_appl_ver: Option<FixVersion>,
    index: FieldIndex,
    stats: DecodeStats,
    frame_config: FrameConfig,
}

impl LogDecoder {
    /// A decoder with these options.
    pub fn new(options: DecodeOptions) -> LogDecoder {
        let mut index = FieldIndex::new();
        let combined = options.dictionary.as_ref().and_then(|d| {
            let app_only = d.transport().is_none()
                && d.version().is_some_and(|v| v.is_fixt())
                && d.fix_type() == "FIX";
            app_only.then(|| Dictionary::combine(Dictionary::fixt11(), d))
        });
        if let Some(d) = &options.dictionary {
            for &(len_tag, data_tag) in d.data_fields() {
                index.add_data_field(len_tag, data_tag);
            }
        }
        LogDecoder {
            dictionary: options.dictionary,
            combined,
            json: options.json,
            default_appl_ver: None,
            index,
            stats: DecodeStats::default(),
            frame_config: FrameConfig {
                max_message_size: 64 << 20,
                verify_checksum: true,
            },
        }
    }

    /// What was found so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Decodes every line of `input` into `out`.
    pub fn decode(
        &mut self,
        mut input: impl BufRead,
        mut out: impl Write,
    ) -> io::Result<DecodeStats> {
        let mut line = Vec::new();
        let mut line_no = 0;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            line_no += 1;
            self.decode_line(line_no, &line, &mut out)?;
        }
        out.flush()?;
        Ok(self.stats)
    }

    /// Decodes the messages of one line (numbered `line_no` from 1).
    pub fn decode_line(
        &mut self,
        line_no: usize,
        line: &[u8],
        out: &mut impl Write,
    ) -> io::Result<()> {
        let line = trim_end(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(());
        }
        let normalized = normalize(line);
        let (time, items) = split_line(&normalized, &self.frame_config);
        for item in items {
            self.stats.messages += 1;
            let n = self.stats.messages;
            match item {
                Item::Garbled { bytes, reason } => {
                    self.stats.garbled += 1;
                    self.write_garbled(out, n, line_no, time, bytes, &reason)?;
                }
                Item::Message { bytes, frame_error } => {
                    self.decode_message(out, n, line_no, time, bytes, frame_error)?;
                }
            }
        }
        Ok(())
    }

    fn decode_message(
        &mut self,
        out: &mut impl Write,
        n: u64,
        line_no: usize,
        time: Option<UtcTimestamp>,
        bytes: &[u8],
        frame_error: Option<String>,
    ) -> io::Result<()> {
        // The field splitter needs the closing SOH, which hand-written
        // messages often lack.
        let owned;
        let bytes = if bytes.last() == Some(&SOH) {
            bytes
        } else {
            owned = [bytes, &[SOH]].concat();
            &owned
        };
        let mut index = std::mem::take(&mut self.index);
        let result = match index.parse(bytes) {
            Err(e) => {
                self.stats.garbled += 1;
                let reason = match frame_error {
                    Some(f) => format!("{f}; {e}"),
                    None => e.to_string(),
                };
                self.write_garbled(out, n, line_no, time, bytes, &reason)
            }
            Ok(msg) => {
                let (version, note) = version_of(&msg, self.default_appl_ver);
                if msg.msg_type() == b"A" {
                    if let Some(v) = msg
                        .get(tag::DEFAULT_APPL_VER_ID)
                        .and_then(FixVersion::from_appl_ver_id)
                    {
                        self.default_appl_ver = Some(v);
                    }
                }
                let dict = match (&self.dictionary, &self.combined) {
                    (Some(_), Some(c)) if msg.begin_string() == b"FIXT.1.1" => c,
                    (Some(d), _) => d,
                    (None, _) => Dictionary::builtin(version.unwrap_or(FixVersion::Fix44)),
                };
                let mut decoded = decode_message(&msg, dict);
                if let Some(note) = note.filter(|_| self.dictionary.is_none()) {
                    decoded.warnings.insert(0, note.to_string());
                }
                if let Some(f) = frame_error {
                    self.stats.garbled += 1;
                    decoded.garbled = true;
                    decoded.warnings.insert(0, format!("garbled: {f}"));
                }
                if self.json {
                    write_json(out, n, line_no, time, &msg, &decoded)
                } else {
                    write_text(out, n, line_no, time, &msg, &decoded)
                }
            }
        };
        self.index = index;
        result
    }

    fn write_garbled(
        &self,
        out: &mut impl Write,
        n: u64,
        line_no: usize,
        time: Option<UtcTimestamp>,
        bytes: &[u8],
        reason: &str,
    ) -> io::Result<()> {
        if self.json {
            let mut s = String::new();
            let mut o = Object::new(&mut s);
            o.uint("message", n).uint("line", line_no as u64);
            if let Some(t) = time {
                o.str("time", &format_time(t));
            }
            o.str("error", reason)
                .str("raw", &escape_frame(bytes, MAX_SHOWN * 4));
            o.end();
            writeln!(out, "{s}")
        } else {
            writeln!(
                out,
                "[{n}] line {line_no}{}: garbled: {reason}",
                time_suffix(time)
            )?;
            writeln!(out, "  raw: {}", escape_frame(bytes, MAX_SHOWN * 4))?;
            writeln!(out)
        }
    }
}

fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

/// The line with its field delimiters turned into SOH: SOH lines are kept
/// as they are; otherwise `^A` or `|` is the delimiter.
fn normalize(line: &[u8]) -> Vec<u8> {
    if line.contains(&SOH) {
        return line.to_vec();
    }
    if line.windows(2).any(|w| w == b"^A") {
        let mut out = Vec::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            if line[i..].starts_with(b"^A") {
                out.push(SOH);
                i += 2;
            } else {
                out.push(line[i]);
                i += 1;
            }
        }
        return out;
    }
    line.iter()
        .map(|&b| if b == b'|' { SOH } else { b })
        .collect()
}

/// Where the next message starts at or after `from`: an `8=FIX` at the
/// start of the line or after a byte that cannot be part of a tag.
fn next_start(line: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 5 <= line.len() {
        let p = line[i..].windows(5).position(|w| w == b"8=FIX")?;
        let at = i + p;
        if at == 0 || !line[at - 1].is_ascii_alphanumeric() {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Splits a normalized line into its timestamp (if it starts with one)
/// and the messages or garbled pieces in it.
fn split_line<'a>(line: &'a [u8], config: &FrameConfig) -> (Option<UtcTimestamp>, Vec<Item<'a>>) {
    let mut items = Vec::new();
    let Some(first) = next_start(line, 0) else {
        let (time, rest) = leading_time(line);
        let reason = "no FIX message (8=FIX...) in this line".to_string();
        items.push(Item::Garbled {
            bytes: trim(rest),
            reason,
        });
        return (time, items);
    };
    let (time, prefix) = leading_time(&line[..first]);
    let prefix = trim(prefix);
    if !prefix.is_empty() && time.is_none() && !is_label(prefix) {
        items.push(Item::Garbled {
            bytes: prefix,
            reason: "text before the first message".into(),
        });
    }
    let mut pos = first;
    while pos < line.len() {
        let rest = &line[pos..];
        let (len, frame_error) = match scan(rest, config) {
            Scan::Complete(n) => (n, None),
            other => {
                let end = next_start(line, pos + 1).map_or(rest.len(), |s| s - pos);
                let piece = trim(&rest[..end]);
                let reason = match other {
                    Scan::Garbled(e) => e.to_string(),
                    Scan::Incomplete(Some(need)) => format!(
                        "incomplete: BodyLength(9) says {need} bytes but only {} are there",
                        piece.len()
                    ),
                    _ => "incomplete: the message ends before CheckSum(10)".to_string(),
                };
                (end, Some(reason))
            }
        };
        items.push(Item::Message {
            bytes: trim(&rest[..len]),
            frame_error,
        });
        pos += len;
        // Between messages: separators are fine, anything else is garbage.
        let next = next_start(line, pos).unwrap_or(line.len());
        let between = trim(&line[pos..next]);
        if !between.is_empty() {
            items.push(Item::Garbled {
                bytes: between,
                reason: "text between messages".into(),
            });
        }
        pos = next;
    }
    (time, items)
}

/// Words some logs put before a message (`IN`, `OUT`, `<`, `>`), which
/// are not garbage.
fn is_label(prefix: &[u8]) -> bool {
    prefix.len() <= 16
        && prefix
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b" <>-:_".contains(b))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b, rest @ ..] = s {
        if b.is_ascii_whitespace() || *b == SOH {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., b] = s {
        if b.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// A QuickFIX log timestamp at the start of `prefix` (`20240115-10:30:00.123 : `)
/// and the rest after it.
fn leading_time(prefix: &[u8]) -> (Option<UtcTimestamp>, &[u8]) {
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(prefix.len());
    let p = &prefix[start..];
    let end = p
        .iter()
        .position(|&b| !(b.is_ascii_digit() || b"-:.".contains(&b)))
        .unwrap_or(p.len());
    // The timestamp may be followed by " : " whose colon the scan above took.
    let token = trim_colons(&p[..end]);
    match UtcTimestamp::parse(token) {
        Ok(t) => {
            let mut rest = &p[token.len()..];
            rest = trim(rest);
            if let [b':', r @ ..] = rest {
                rest = r;
            }
            (Some(t), rest)
        }
        Err(_) => (None, prefix),
    }
}

fn trim_colons(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b':'] = s {
        s = rest;
    }
    s
}

fn format_time(t: UtcTimestamp) -> String {
    let mut v = Vec::new();
    t.write(fixrs_proto::value::TimePrecision::Millis, &mut v);
    String::from_utf8_lossy(&v).into_owned()
}

fn time_suffix(time: Option<UtcTimestamp>) -> String {
    time.map(|t| format!(", {}", format_time(t)))
        .unwrap_or_default()
}

/// Where to look up repeating groups at a point of the message.
#[derive(Clone, Copy)]
enum Groups<'d> {
    Layout(Layout<'d>),
    Group(GroupDef<'d>),
    None,
}

impl<'d> Groups<'d> {
    fn group(&self, count_tag: Tag) -> Option<GroupDef<'d>> {
        match self {
            Groups::Layout(l) => l.group(count_tag),
            Groups::Group(g) => g.group(count_tag),
            Groups::None => None,
        }
    }
}

/// Decodes one parsed message with `dict`: fields named, enumerations
/// explained, groups nested as the dictionary lays them out.
pub fn decode_message(msg: &Message<'_>, dict: &Dictionary) -> Decoded {
    let message_def = dict.message(msg.msg_type());
    let mut warnings = Vec::new();
    let mut fields = Vec::new();
    let body = match message_def {
        Some(m) => Groups::Layout(m.layout()),
        None => Groups::None,
    };
    let header = Groups::Layout(dict.header());
    let sections = [
        (0, msg.body_start(), header),
        (msg.body_start(), msg.trailer_start(), body),
        (msg.trailer_start(), msg.len(), Groups::None),
    ];
    let mut i = 0;
    for (_, end, groups) in sections {
        i = walk(msg, dict, i, end, groups, &mut fields, &mut warnings);
    }
    Decoded {
        fields,
        dictionary: dict.name().to_string(),
        msg_type_name: message_def.map(|m| m.name().to_string()),
        warnings,
        garbled: false,
    }
}

/// Adds the fields from position `i` to `end` to `out`, opening groups;
/// returns the position reached (past `end` if a group ran over it).
fn walk(
    msg: &Message<'_>,
    dict: &Dictionary,
    mut i: usize,
    end: usize,
    groups: Groups<'_>,
    out: &mut Vec<Node>,
    warnings: &mut Vec<String>,
) -> usize {
    while i < end {
        let Some(field) = msg.field(i) else { break };
        let mut node = node(dict, field.tag, field.value);
        i += 1;
        if let Some(def) = groups.group(field.tag) {
            match msg.group_at(i - 1, def) {
                Ok(group) => {
                    let mut entries = Vec::with_capacity(group.len());
                    for entry in group.iter() {
                        let mut fields = Vec::new();
                        walk(
                            msg,
                            dict,
                            entry.start(),
                            entry.end(),
                            Groups::Group(def),
                            &mut fields,
                            warnings,
                        );
                        entries.push(fields);
                    }
                    node.entries = Some(entries);
                    i = group.end().max(i);
                }
                Err(e) => {
                    let name = dict.field_name(field.tag).unwrap_or("group");
                    warnings.push(format!("{name}({}): {e}", field.tag));
                }
            }
        }
        out.push(node);
    }
    i
}

fn node(dict: &Dictionary, tag: Tag, value: &[u8]) -> Node {
    let def = dict.field(tag);
    let meaning = if tag == tag::MSG_TYPE {
        dict.message(value).map(|m| m.name().to_string())
    } else {
        def.and_then(|d| describe(d, value))
    };
    Node {
        tag,
        name: def.map(|d| d.name().to_string()),
        value: value.to_vec(),
        meaning,
        entries: None,
    }
}

/// The meaning of an enumerated value; for multiple-value fields, of each
/// value.
fn describe(def: &fixrs_proto::dictionary::FieldDef, value: &[u8]) -> Option<String> {
    if !def.has_values() {
        return None;
    }
    if let Some(d) = def.value_description(value) {
        return Some(d.to_string());
    }
    let multi = matches!(
        def.field_type(),
        FieldType::MultipleCharValue
            | FieldType::MultipleStringValue
            | FieldType::MultipleValueString
    );
    if multi && value.contains(&b' ') {
        let parts: Vec<String> = value
            .split(|&b| b == b' ')
            .filter(|p| !p.is_empty())
            .map(|p| {
                def.value_description(p)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{}?", escape(p, 32)))
            })
            .collect();
        return Some(parts.join(", "));
    }
    None
}

/// The first line of a decoded message in text form.
fn headline(
    n: u64,
    line_no: usize,
    time: Option<UtcTimestamp>,
    msg: &Message<'_>,
    decoded: &Decoded,
) -> String {
    let msg_type = msg.msg_type();
    let name = decoded
        .msg_type_name
        .clone()
        .unwrap_or_else(|| format!("MsgType({})", escape(msg_type, 16)));
    let mut s = format!(
        "[{n}] line {line_no}{}: {name} ({})",
        time_suffix(time),
        escape(msg.begin_string(), 16)
    );
    if let (Some(sender), Some(target)) =
        (msg.get(tag::SENDER_COMP_ID), msg.get(tag::TARGET_COMP_ID))
    {
        s.push_str(&format!(
            " {} -> {}",
            escape(sender, 64),
            escape(target, 64)
        ));
    }
    if let Some(seq) = msg.get(tag::MSG_SEQ_NUM) {
        s.push_str(&format!(" #{}", escape(seq, 20)));
    }
    if msg.get(tag::POSS_DUP_FLAG) == Some(b"Y") {
        s.push_str(" PossDup");
    }
    if decoded.dictionary != msg.begin_string().escape_ascii().to_string() {
        s.push_str(&format!(" [{}]", decoded.dictionary));
    }
    s
}

struct Line {
    lead: String,
    label: String,
    value: String,
}

fn text_lines(nodes: &[Node], indent: &str, first_lead: Option<String>, out: &mut Vec<Line>) {
    let mut first_lead = first_lead;
    for node in nodes {
        let lead = first_lead.take().unwrap_or_else(|| indent.to_string());
        let label = match &node.name {
            Some(name) => format!("{name}({})", node.tag),
            None => node.tag.to_string(),
        };
        let mut value = escape(&node.value, MAX_SHOWN);
        if let Some(m) = &node.meaning {
            value.push_str(&format!(" ({m})"));
        }
        out.push(Line { lead, label, value });
        if let Some(entries) = &node.entries {
            for (k, entry) in entries.iter().enumerate() {
                let marker = format!("{}. ", k + 1);
                let entry_indent = format!("{indent}  {}", " ".repeat(marker.len()));
                text_lines(
                    entry,
                    &entry_indent,
                    Some(format!("{indent}  {marker}")),
                    out,
                );
            }
        }
    }
}

/// The fields of a decoded message as aligned text lines, groups
/// indented, one field per line (what `fixctl decode` prints under each
/// message's first line).
pub fn fields_text(decoded: &Decoded) -> String {
    let mut lines = Vec::new();
    text_lines(&decoded.fields, "  ", None, &mut lines);
    let width = lines
        .iter()
        .map(|l| l.lead.chars().count() + l.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for l in &lines {
        let used = l.lead.chars().count() + l.label.chars().count();
        out.push_str(&format!(
            "{}{}{} = {}\n",
            l.lead,
            l.label,
            " ".repeat(width - used),
            l.value
        ));
    }
    out
}

fn write_text(
    out: &mut impl Write,
    n: u64,
    line_no: usize,
    time: Option<UtcTimestamp>,
    msg: &Message<'_>,
    decoded: &Decoded,
) -> io::Result<()> {
    writeln!(out, "{}", headline(n, line_no, time, msg, decoded))?;
    for w in &decoded.warnings {
        writeln!(out, "  ! {w}")?;
    }
    write!(out, "{}", fields_text(decoded))?;
    writeln!(out)
}

fn json_fields(nodes: &[Node], out: &mut String) {
    out.push('[');
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut o = Object::new(out);
        o.uint("tag", node.tag as u64);
        if let Some(name) = &node.name {
            o.str("name", name);
        }
        match std::str::from_utf8(&node.value) {
            Ok(v) => {
                o.str("value", v);
            }
            Err(_) => {
                o.str("value", &String::from_utf8_lossy(&node.value));
                let hex: String = node.value.iter().map(|b| format!("{b:02x}")).collect();
                o.str("value_hex", &hex);
            }
        }
        if let Some(m) = &node.meaning {
            o.str("meaning", m);
        }
        if let Some(entries) = &node.entries {
            let buf = o.raw("entries");
            buf.push('[');
            for (k, entry) in entries.iter().enumerate() {
                if k > 0 {
                    buf.push(',');
                }
                json_fields(entry, buf);
            }
            buf.push(']');
        }
        o.end();
    }
    out.push(']');
}

fn write_json(
    out: &mut impl Write,
    n: u64,
    line_no: usize,
    time: Option<UtcTimestamp>,
    msg: &Message<'_>,
    decoded: &Decoded,
) -> io::Result<()> {
    let mut s = String::new();
    let mut o = Object::new(&mut s);
    o.uint("message", n).uint("line", line_no as u64);
    if let Some(t) = time {
        o.str("time", &format_time(t));
    }
    o.str("begin_string", &String::from_utf8_lossy(msg.begin_string()))
        .str("msg_type", &String::from_utf8_lossy(msg.msg_type()));
    if let Some(name) = &decoded.msg_type_name {
        o.str("msg_type_name", name);
    }
    o.str("dictionary", &decoded.dictionary)
        .bool("garbled", decoded.garbled);
    {
        let buf = o.raw("warnings");
        buf.push('[');
        for (i, w) in decoded.warnings.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            json::push_str(buf, w);
        }
        buf.push(']');
    }
    json_fields(&decoded.fields, o.raw("fields"));
    o.end();
    writeln!(out, "{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> (Option<UtcTimestamp>, Vec<String>) {
        let normalized = normalize(line.as_bytes());
        let (t, items) = split_line(&normalized, &FrameConfig::default());
        let items = items
            .into_iter()
            .map(|i| match i {
                Item::Message { bytes, frame_error } => format!(
                    "msg {} {}",
                    escape_frame(bytes, 1000),
                    frame_error.unwrap_or_default()
                ),
                Item::Garbled { bytes, reason } => {
                    format!("garbled {} {reason}", escape_frame(bytes, 1000))
                }
            })
            .collect();
        (t, items)
    }

    const HB: &str = "8=FIX.4.4|9=5|35=0|10=163|";

    #[test]
    fn several_messages_on_a_line_are_split() {
        let (t, items) = split(&format!("{HB}{HB} {HB}"));
        assert!(t.is_none());
        assert_eq!(items.len(), 3, "{items:?}");
        assert!(items.iter().all(|i| i.trim_end() == format!("msg {HB}")));
    }

    #[test]
    fn quickfix_log_timestamps_are_read() {
        let (t, items) = split(&format!("20240115-10:30:00.123 : {HB}"));
        assert_eq!(t.map(format_time).as_deref(), Some("20240115-10:30:00.123"));
        assert_eq!(items, [format!("msg {HB} ")]);
    }

    #[test]
    fn caret_a_is_a_delimiter() {
        let (_, items) = split("8=FIX.4.4^A9=5^A35=0^A10=163^A");
        assert_eq!(items, [format!("msg {HB} ")]);
    }

    #[test]
    fn a_bad_checksum_is_reported_but_the_fields_kept() {
        let (_, items) = split("8=FIX.4.4|9=5|35=0|10=000|");
        assert_eq!(items.len(), 1);
        assert!(items[0].contains("CheckSum(10) is 000 but the message sums to 163"));
    }

    #[test]
    fn garbage_between_messages_is_its_own_item() {
        let (_, items) = split(&format!("{HB} junk {HB}"));
        assert_eq!(items.len(), 3);
        assert!(items[1].starts_with("garbled junk"));
    }

    #[test]
    fn text_after_the_timestamp_without_message_is_garbled() {
        let (t, items) = split("20240115-10:30:00.123 : Created session");
        assert!(t.is_some());
        assert_eq!(
            items,
            ["garbled Created session no FIX message (8=FIX...) in this line"]
        );
    }

    #[test]
    fn a_fix_mark_inside_a_value_does_not_start_a_message() {
        // 58=X8=FIX: preceded by a letter, not a message start.
        assert_eq!(next_start(b"58=X8=FIX.4.4", 0), None);
        assert_eq!(next_start(b"a 8=FIX.4.4", 0), Some(2));
    }
}
