//! Reading QuickFIX-format XML into a [`RawDictionary`].

use roxmltree::{Document, Node, ParsingOptions};

use super::raw::{FieldRef, RawComponent, RawDictionary, RawField, RawItem, RawMessage};
use super::{DictionaryError, FieldType, MsgCategory};
use crate::tag::msg_type;

/// Parses dictionary XML; names are resolved later by the builder.
pub(crate) fn parse(text: &str) -> Result<RawDictionary, DictionaryError> {
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| DictionaryError::Xml {
        line: e.pos().row,
        message: e.to_string(),
    })?;
    let r = Reader {
        doc: &doc,
        line_starts: text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect(),
    };
    r.dictionary()
}

struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
    /// Byte offsets where lines 2, 3, ... start (roxmltree's own position
    /// lookup scans from the start of the text on every call).
    line_starts: Vec<usize>,
}

impl<'a, 'input> Reader<'a, 'input> {
    fn line(&self, node: Node) -> u32 {
        let offset = node.range().start;
        self.line_starts.partition_point(|&s| s <= offset) as u32 + 1
    }

    fn describe(node: Node) -> String {
        match node.attribute("name") {
            Some(name) => format!("{} '{}'", node.tag_name().name(), name),
            None => node.tag_name().name().to_string(),
        }
    }

    fn attr(
        &self,
        node: Node<'a, 'input>,
        attribute: &'static str,
    ) -> Result<&'a str, DictionaryError> {
        node.attribute(attribute)
            .ok_or_else(|| DictionaryError::MissingAttribute {
                element: Self::describe(node),
                attribute,
                line: self.line(node),
            })
    }

    fn bad(&self, node: Node, attribute: &'static str, value: &str) -> DictionaryError {
        DictionaryError::BadAttribute {
            element: Self::describe(node),
            attribute,
            value: value.to_string(),
            line: self.line(node),
        }
    }

    fn number(
        &self,
        node: Node<'a, 'input>,
        attribute: &'static str,
    ) -> Result<u32, DictionaryError> {
        let v = self.attr(node, attribute)?;
        v.trim().parse().map_err(|_| self.bad(node, attribute, v))
    }

    fn required(&self, node: Node) -> Result<bool, DictionaryError> {
        match node.attribute("required") {
            None | Some("N") | Some("n") => Ok(false),
            Some("Y") | Some("y") => Ok(true),
            Some(other) => Err(self.bad(node, "required", other)),
        }
    }

    fn dictionary(&self) -> Result<RawDictionary, DictionaryError> {
        let root = self.doc.root_element();
        if root.tag_name().name() != "fix" {
            return Err(DictionaryError::NotADictionary {
                found: root.tag_name().name().to_string(),
                line: self.line(root),
            });
        }
        let fix_type = self.attr(root, "type")?;
        if fix_type != "FIX" && fix_type != "FIXT" {
            return Err(self.bad(root, "type", fix_type));
        }
        let mut d = RawDictionary {
            fix_type: fix_type.to_string(),
            major: self.number(root, "major")?,
            minor: self.number(root, "minor")?,
            service_pack: match root.attribute("servicepack") {
                None => 0,
                Some(_) => self.number(root, "servicepack")?,
            },
            ..RawDictionary::default()
        };
        for section in root.children().filter(Node::is_element) {
            match section.tag_name().name() {
                "fields" => {
                    for f in section.children().filter(Node::is_element) {
                        d.fields.push(self.field_def(f)?);
                    }
                }
                "header" => d.header = self.items(section, "header")?,
                "trailer" => d.trailer = self.items(section, "trailer")?,
                "messages" => {
                    for m in section.children().filter(Node::is_element) {
                        d.messages.push(self.message(m)?);
                    }
                }
                "components" => {
                    for c in section.children().filter(Node::is_element) {
                        d.components.push(self.component(c)?);
                    }
                }
                other => return Err(self.unexpected(section, other, "<fix>")),
            }
        }
        Ok(d)
    }

    fn unexpected(&self, node: Node, element: &str, within: &str) -> DictionaryError {
        DictionaryError::UnexpectedElement {
            element: element.to_string(),
            within: within.to_string(),
            line: self.line(node),
        }
    }

    fn field_def(&self, node: Node<'a, 'input>) -> Result<RawField, DictionaryError> {
        if node.tag_name().name() != "field" {
            return Err(self.unexpected(node, node.tag_name().name(), "<fields>"));
        }
        let name = self.attr(node, "name")?;
        let number = self.attr(node, "number")?;
        let tag = match number.trim().parse::<u32>() {
            Ok(t) if t > 0 => t,
            _ => return Err(self.bad(node, "number", number)),
        };
        let type_name = self.attr(node, "type")?;
        let field_type =
            FieldType::from_name(type_name.trim()).ok_or_else(|| DictionaryError::UnknownType {
                field: name.to_string(),
                type_name: type_name.to_string(),
                line: self.line(node),
            })?;
        let mut values = Vec::new();
        for v in node.children().filter(Node::is_element) {
            if v.tag_name().name() != "value" {
                return Err(self.unexpected(v, v.tag_name().name(), &format!("field '{name}'")));
            }
            let value = v
                .attribute("enum")
                .ok_or_else(|| DictionaryError::MissingAttribute {
                    element: format!("value of field '{name}'"),
                    attribute: "enum",
                    line: self.line(v),
                })?;
            let description = v.attribute("description").unwrap_or("");
            values.push((value.to_string(), description.to_string()));
        }
        Ok(RawField {
            tag,
            name: name.to_string(),
            field_type,
            values,
            line: self.line(node),
        })
    }

    fn message(&self, node: Node<'a, 'input>) -> Result<RawMessage, DictionaryError> {
        if node.tag_name().name() != "message" {
            return Err(self.unexpected(node, node.tag_name().name(), "<messages>"));
        }
        let name = self.attr(node, "name")?;
        let mt = self.attr(node, "msgtype")?;
        let category = match node.attribute("msgcat") {
            Some("admin") => MsgCategory::Admin,
            Some("app") => MsgCategory::App,
            None if msg_type::is_admin(mt.as_bytes()) => MsgCategory::Admin,
            None => MsgCategory::App,
            Some(other) => return Err(self.bad(node, "msgcat", other)),
        };
        Ok(RawMessage {
            name: name.to_string(),
            msg_type: mt.to_string(),
            category,
            items: self.items(node, &format!("message '{name}'"))?,
            line: self.line(node),
        })
    }

    fn component(&self, node: Node<'a, 'input>) -> Result<RawComponent, DictionaryError> {
        if node.tag_name().name() != "component" {
            return Err(self.unexpected(node, node.tag_name().name(), "<components>"));
        }
        let name = self.attr(node, "name")?;
        Ok(RawComponent {
            name: name.to_string(),
            items: self.items(node, &format!("component '{name}'"))?,
            line: self.line(node),
        })
    }

    fn items(&self, node: Node<'a, 'input>, within: &str) -> Result<Vec<RawItem>, DictionaryError> {
        let mut items = Vec::new();
        for child in node.children().filter(Node::is_element) {
            let line = self.line(child);
            let item = match child.tag_name().name() {
                "field" => RawItem::Field {
                    field: FieldRef::Name(self.attr(child, "name")?.to_string()),
                    required: self.required(child)?,
                    line,
                },
                "group" => {
                    let name = self.attr(child, "name")?;
                    RawItem::Group {
                        field: FieldRef::Name(name.to_string()),
                        required: self.required(child)?,
                        items: self.items(child, &format!("group '{name}'"))?,
                        line,
                    }
                }
                "component" => RawItem::Component {
                    name: self.attr(child, "name")?.to_string(),
                    required: self.required(child)?,
                    line,
                },
                other => return Err(self.unexpected(child, other, within)),
            };
            items.push(item);
        }
        Ok(items)
    }
}
