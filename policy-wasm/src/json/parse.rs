//! A JSON parser with positions in its errors and bounded depth and size.

use super::{Json, Map, Number};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Deepest nesting accepted (serde_json's recursion limit).
pub const MAX_DEPTH: usize = 128;
/// Largest text accepted.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong (serde_json's wording).
    pub message: &'static str,
    /// Byte offset of the problem.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl core::error::Error for ParseError {}

/// Parses one JSON value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json, ParseError> {
    let mut parser = Parser {
        text: text.as_bytes(),
        src: text,
        at: 0,
    };
    if text.len() > MAX_BYTES {
        return Err(parser.error("input too large"));
    }
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at < parser.text.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

/// Parses JSON bytes; invalid UTF-8 is an error at its position.
pub fn parse_bytes(bytes: &[u8]) -> Result<Json, ParseError> {
    match core::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => Err(Parser {
            text: bytes,
            src: "",
            at: e.valid_up_to(),
        }
        .error("invalid unicode code point")),
    }
}

struct Parser<'a> {
    text: &'a [u8],
    /// The same text as `str` (empty when it is not UTF-8 and only an error is being made), so
    /// strings are sliced without validating them again.
    src: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> ParseError {
        let end = self.at.min(self.text.len());
        let before = &self.text[..end];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        ParseError {
            message,
            offset: end,
            line,
            column: end - line_start + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Json) -> Result<Json, ParseError> {
        for &expected in word {
            match self.peek() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(b) if b == expected => self.at += 1,
                Some(_) => return Err(self.error("expected ident")),
            }
        }
        Ok(value)
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.skip_space();
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("recursion limit exceeded"));
                }
                self.at += 1;
                self.array(depth + 1).map(Json::Array)
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("recursion limit exceeded"));
                }
                self.at += 1;
                self.object(depth + 1).map(Json::Object)
            }
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Json>, ParseError> {
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(items);
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Map, ParseError> {
        let mut entries = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Map::new());
        }
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = self.string()?;
            self.skip_space();
            match self.peek() {
                Some(b':') => self.at += 1,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `:`")),
            }
            entries.push((key, self.value(depth)?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Map::from_entries(entries));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let Some(b) = self.peek() else {
                return Err(self.error("EOF while parsing a string"));
            };
            let digit = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid escape"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let Some(b) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xd800..=0xdbff => {
                        if self.text.get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let second = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                    }
                    0xdc00..=0xdfff => {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    code => code,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))?
            }
            _ => return Err(self.error("invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.at += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy up to the next quote, backslash or control byte in one go. Those are ASCII, so
            // slicing the (valid UTF-8) source there keeps char boundaries.
            let start = self.at;
            let Some(len) = self
                .text
                .get(start..)
                .unwrap_or_default()
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            else {
                self.at = self.text.len();
                return Err(self.error("EOF while parsing a string"));
            };
            self.at = start + len;
            let chunk = self.src.get(start..self.at).unwrap_or("");
            match self.text.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    // Most strings have no escape: one allocation of the right size.
                    if out.is_empty() {
                        return Ok(String::from(chunk));
                    }
                    out.push_str(chunk);
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(chunk);
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                _ => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Number, ParseError> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        match self.digits() {
            0 => return Err(self.error("invalid number")),
            n if n > 1 && self.text[int_start] == b'0' => {
                self.at = int_start + 1;
                return Err(self.error("invalid number"));
            }
            _ => {}
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            float = true;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let lexeme = core::str::from_utf8(&self.text[start..self.at]).unwrap_or("");
        if !float {
            if negative {
                if let Some(i) = crate::num::parse_i64(lexeme) {
                    return Ok(Number::from(i));
                }
            } else if let Some(u) = crate::num::parse_u64(lexeme, 10) {
                return Ok(Number::from(u));
            }
        }
        crate::num::parse_f64(lexeme)
            .and_then(Number::from_f64)
            .ok_or_else(|| self.error("number out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn round_trips_and_sorts_keys() {
        let text = r#" {"b": [1, -2, 1.5, true, null], "a": "x\"\u00e9\ud83d\ude00\n", "b": {}} "#;
        let value = parse(text).unwrap();
        assert_eq!(value.to_string(), "{\"a\":\"x\\\"é😀\\n\",\"b\":{}}");
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("{\n  \"a\": tru }").unwrap_err();
        assert_eq!((e.line, e.column, e.message), (2, 11, "expected ident"));
        assert_eq!(parse("[1,]").unwrap_err().message, "expected value");
        assert_eq!(parse("01").unwrap_err().message, "invalid number");
        assert_eq!(parse("1 2").unwrap_err().message, "trailing characters");
        assert_eq!(parse("1e999").unwrap_err().message, "number out of range");
        assert_eq!(parse("\"\u{1}\"").unwrap_err().line, 1);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(&deep).unwrap_err().message,
            "recursion limit exceeded"
        );
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn strings_read_as_serde_json_reads_them() {
        // Random string literals over the bytes that matter to the scanner: quotes, escapes,
        // controls and multi-byte text; a fixed xorshift, so a failure reproduces.
        let pieces = [
            "a",
            "bc",
            "\\\"",
            "\\\\",
            "\\n",
            "\\t",
            "\\/",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\ud83d",
            "\\x",
            "\\u12",
            "é",
            "😀",
            "\u{1}",
            "\n",
            "\"",
            "\\",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let (mut read, mut refused) = (0, 0);
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let count = (state % 7) as usize;
            let mut text = alloc::string::String::from("\"");
            for k in 0..count {
                text.push_str(pieces[(state >> (8 * k)) as usize % pieces.len()]);
            }
            if state >> 60 != 0 {
                text.push('"');
            }
            let ours = parse(&text)
                .ok()
                .map(|v| v.as_str().map(alloc::string::String::from));
            let theirs = serde_json::from_str::<alloc::string::String>(&text)
                .ok()
                .map(Some);
            assert_eq!(ours, theirs, "{text:?}");
            if ours.is_some() {
                read += 1
            } else {
                refused += 1
            }
        }
        // Both outcomes are common, so the comparison covers each.
        assert!(
            read > 5_000 && refused > 5_000,
            "{read} read, {refused} refused"
        );
    }

    #[test]
    fn big_integers_become_floats() {
        assert_eq!(
            parse("18446744073709551616").unwrap().to_string(),
            "1.8446744073709552e+19"
        );
        assert_eq!(
            parse("-9223372036854775808").unwrap().as_i64(),
            Some(i64::MIN)
        );
    }
}
