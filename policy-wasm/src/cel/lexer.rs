//! Splits CEL source text into tokens, decoding literals (numbers, strings with every quoting and
//! escape form, bytes). Works on bytes and never indexes past the end.

use alloc::string::String;
use alloc::vec::Vec;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Integer literal magnitude; the sign is applied by the parser.
    Int(u64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    Ident(String),
    /// A backquoted field name: `` `content-type` ``.
    Quoted(String),
    True,
    False,
    Null,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Comma,
    Colon,
    Question,
    Not,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: u32,
}

/// A lexical error at a byte offset.
#[derive(Debug, Clone)]
pub(crate) struct LexError {
    pub pos: u32,
    pub reason: String,
}

type LexResult<T> = Result<T, LexError>;

fn err<T>(pos: usize, reason: &str) -> LexResult<T> {
    Err(LexError {
        pos: pos as u32,
        reason: reason.into(),
    })
}

/// Tokenizes the whole input; the last token is `Eof`.
pub(crate) fn tokenize(src: &str) -> LexResult<Vec<Token>> {
    let s = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    loop {
        // Whitespace and `//` comments.
        loop {
            match s.get(i) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0c) => i += 1,
                Some(b'/') if s.get(i + 1) == Some(&b'/') => {
                    while s.get(i).is_some_and(|c| *c != b'\n') {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        let start = i;
        let Some(&c) = s.get(i) else {
            out.push(Token {
                tok: Tok::Eof,
                pos: i as u32,
            });
            return Ok(out);
        };
        let two = |next: u8| s.get(i + 1) == Some(&next);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b',' => (Tok::Comma, 1),
            b':' => (Tok::Colon, 1),
            b'?' => (Tok::Question, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'=' if two(b'=') => (Tok::Eq, 2),
            b'!' if two(b'=') => (Tok::Ne, 2),
            b'!' => (Tok::Not, 1),
            b'<' if two(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' if two(b'&') => (Tok::And, 2),
            b'|' if two(b'|') => (Tok::Or, 2),
            b'.' if s.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (tok, end) = number(src, i)?;
                (tok, end - i)
            }
            b'.' => (Tok::Dot, 1),
            b'0'..=b'9' => {
                let (tok, end) = number(src, i)?;
                (tok, end - i)
            }
            b'`' => {
                let end = s
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().position(|c| *c == b'`'))
                    .ok_or_else(|| LexError {
                        pos: i as u32,
                        reason: "unterminated backquoted name".into(),
                    })?;
                let name = src.get(i + 1..i + 1 + end).unwrap_or("");
                if name.is_empty() || name.contains(['\n', '\r']) {
                    return err(i, "invalid backquoted name");
                }
                (Tok::Quoted(name.into()), end + 2)
            }
            b'"' | b'\'' => {
                let (tok, end) = string_lit(src, i, false, false)?;
                (tok, end - i)
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let mut j = i;
                while s
                    .get(j)
                    .is_some_and(|c| *c == b'_' || c.is_ascii_alphanumeric())
                {
                    j += 1;
                }
                let word = src.get(i..j).unwrap_or("");
                if let Some((raw, bytes)) = string_prefix(word)
                    && matches!(s.get(j), Some(b'"' | b'\''))
                {
                    let (tok, end) = string_lit(src, j, raw, bytes)?;
                    (tok, end - i)
                } else {
                    let tok = match word {
                        "true" => Tok::True,
                        "false" => Tok::False,
                        "null" => Tok::Null,
                        "in" => Tok::In,
                        _ => Tok::Ident(word.into()),
                    };
                    (tok, j - i)
                }
            }
            _ => {
                return err(
                    i,
                    if c == b'=' {
                        "unexpected '=' (use '==' to compare)"
                    } else if c == b'&' || c == b'|' {
                        "unexpected single '&' or '|' (use '&&' or '||')"
                    } else {
                        "unexpected character"
                    },
                );
            }
        };
        out.push(Token {
            tok,
            pos: start as u32,
        });
        i = start + len;
    }
}

/// Whether an identifier is a string prefix (`r`, `b`, `br`, ...): (raw, bytes).
fn string_prefix(word: &str) -> Option<(bool, bool)> {
    match word.len() {
        1 => match word.as_bytes().first()? {
            b'r' | b'R' => Some((true, false)),
            b'b' | b'B' => Some((false, true)),
            _ => None,
        },
        2 => {
            let lower = word.to_ascii_lowercase();
            (lower == "br" || lower == "rb").then_some((true, true))
        }
        _ => None,
    }
}

/// Lexes a number starting at `i`; returns the token and the end offset.
fn number(src: &str, i: usize) -> LexResult<(Tok, usize)> {
    let s = src.as_bytes();
    let is_hex = s.get(i) == Some(&b'0') && matches!(s.get(i + 1), Some(b'x' | b'X'));
    if is_hex {
        let mut j = i + 2;
        while s.get(j).is_some_and(u8::is_ascii_hexdigit) {
            j += 1;
        }
        let text = src.get(i + 2..j).unwrap_or("");
        if text.is_empty() {
            return err(i, "malformed hexadecimal literal");
        }
        let v = crate::num::parse_u64(text, 16)
            .map_or_else(|| err(i, "integer literal out of range"), Ok)?;
        if matches!(s.get(j), Some(b'u' | b'U')) {
            return Ok((Tok::Uint(v), j + 1));
        }
        return Ok((Tok::Int(v), j));
    }
    let mut j = i;
    while s.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    let mut is_float = false;
    if s.get(j) == Some(&b'.') && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
        is_float = true;
        j += 1;
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if s.get(k).is_some_and(u8::is_ascii_digit) {
            while s.get(k).is_some_and(u8::is_ascii_digit) {
                k += 1;
            }
            is_float = true;
            j = k;
        } else {
            return err(j, "malformed exponent");
        }
    }
    let text = src.get(i..j).unwrap_or("");
    if is_float {
        let v = crate::num::parse_f64(text).map_or_else(|| err(i, "malformed number"), Ok)?;
        return Ok((Tok::Double(v), j));
    }
    let v = crate::num::parse_u64(text, 10)
        .map_or_else(|| err(i, "integer literal out of range"), Ok)?;
    if matches!(s.get(j), Some(b'u' | b'U')) {
        return Ok((Tok::Uint(v), j + 1));
    }
    Ok((Tok::Int(v), j))
}

/// Lexes a quoted literal whose opening quote is at `q`; returns the token and the end offset.
fn string_lit(src: &str, q: usize, raw: bool, bytes: bool) -> LexResult<(Tok, usize)> {
    let s = src.as_bytes();
    let quote = s.get(q).copied().unwrap_or(b'"');
    let triple = s.get(q + 1) == Some(&quote) && s.get(q + 2) == Some(&quote);
    let mut i = if triple { q + 3 } else { q + 1 };
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(&c) = s.get(i) else {
            return err(q, "unterminated string literal");
        };
        if c == quote {
            if !triple {
                i += 1;
                break;
            }
            if s.get(i + 1) == Some(&quote) && s.get(i + 2) == Some(&quote) {
                i += 3;
                break;
            }
        }
        if !triple && (c == b'\n' || c == b'\r') {
            return err(
                i,
                "line break in a single-quoted string (use ''' or \"\"\")",
            );
        }
        if c == b'\\' && !raw {
            i = escape(src, i, bytes, &mut buf)?;
            continue;
        }
        buf.push(c);
        i += 1;
    }
    if bytes {
        Ok((Tok::Bytes(buf), i))
    } else {
        match String::from_utf8(buf) {
            Ok(text) => Ok((Tok::Str(text), i)),
            Err(_) => err(q, "string literal is not valid UTF-8"),
        }
    }
}

/// The value of at most eight digits of `radix`, already checked to be digits: no overflow, and
/// no `from_str_radix` compiled in for it.
fn digits_value(text: &str, radix: u32) -> u32 {
    text.chars()
        .fold(0, |v, c| v * radix + c.to_digit(radix).unwrap_or(0))
}

/// Decodes one escape sequence at `i` (the backslash) into `buf`; returns the next offset.
fn escape(src: &str, i: usize, bytes: bool, buf: &mut Vec<u8>) -> LexResult<usize> {
    let s = src.as_bytes();
    let Some(&c) = s.get(i + 1) else {
        return err(i, "unterminated escape sequence");
    };
    let simple = match c {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' | b'?' | b'"' | b'\'' | b'`' => Some(c),
        _ => None,
    };
    if let Some(b) = simple {
        buf.push(b);
        return Ok(i + 2);
    }
    let hex = |from: usize, n: usize| -> LexResult<u32> {
        let text = src
            .get(from..from + n)
            .filter(|t| t.bytes().all(|c| c.is_ascii_hexdigit()))
            .ok_or(LexError {
                pos: i as u32,
                reason: "malformed escape sequence".into(),
            })?;
        Ok(digits_value(text, 16))
    };
    let (code, next, is_byte) = match c {
        b'x' | b'X' => (hex(i + 2, 2)?, i + 4, true),
        b'0'..=b'3' => {
            let text = src
                .get(i + 1..i + 4)
                .filter(|t| t.bytes().all(|c| (b'0'..=b'7').contains(&c)))
                .ok_or(LexError {
                    pos: i as u32,
                    reason: "malformed octal escape".into(),
                })?;
            (digits_value(text, 8), i + 4, true)
        }
        b'u' if !bytes => (hex(i + 2, 4)?, i + 6, false),
        b'U' if !bytes => (hex(i + 2, 8)?, i + 10, false),
        _ => return err(i, "unknown escape sequence"),
    };
    if bytes && is_byte {
        buf.push(code as u8);
    } else {
        let ch = char::from_u32(code).ok_or(LexError {
            pos: i as u32,
            reason: "escape is not a valid Unicode code point".into(),
        })?;
        let mut tmp = [0u8; 4];
        buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
    }
    Ok(next)
}
