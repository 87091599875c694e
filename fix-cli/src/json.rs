//! A minimal JSON writer for `fixctl`'s machine-readable output: objects,
//! arrays, strings, numbers and booleans written straight into a `String`,
//! with strings escaped as RFC 8259 requires.

/// Appends `s` as a JSON string literal (quotes included).
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds one JSON object, member by member.
#[derive(Debug)]
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    /// Starts an object in `out`.
    pub fn new(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        let out = self.key(key);
        push_str(out, value);
        self
    }

    /// An unsigned number member.
    pub fn uint(&mut self, key: &str, value: u64) -> &mut Self {
        let out = self.key(key);
        out.push_str(&value.to_string());
        self
    }

    /// A floating-point number member (`null` if not finite).
    pub fn float(&mut self, key: &str, value: f64) -> &mut Self {
        let out = self.key(key);
        if value.is_finite() {
            out.push_str(&format!("{value}"));
        } else {
            out.push_str("null");
        }
        self
    }

    /// A Boolean member.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        let out = self.key(key);
        out.push_str(if value { "true" } else { "false" });
        self
    }

    /// A member whose value the caller writes (an array or object) into
    /// the returned buffer.
    pub fn raw(&mut self, key: &str) -> &mut String {
        self.key(key)
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\n\x01\u{e9}");
        assert_eq!(s, r#""a\"b\\c\n\u0001é""#);
    }

    #[test]
    fn objects_separate_members() {
        let mut s = String::new();
        let mut o = Object::new(&mut s);
        o.str("a", "x").uint("b", 2).bool("c", true);
        o.raw("d").push_str("[1,2]");
        o.end();
        assert_eq!(s, r#"{"a":"x","b":2,"c":true,"d":[1,2]}"#);
    }
}
