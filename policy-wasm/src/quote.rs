//! Quoted strings for diagnostics without `core`'s `Debug` for `str`, which links the Unicode
//! printable and grapheme-extend tables (~4 KB of wasm) into every module that uses it.

use core::fmt::{self, Write};

/// Writes a string as `{:?}` does, except that non-ASCII characters are always kept as they are
/// (`Debug` escapes the non-printable ones): double quotes, `"` and `\` escaped, `\n`, `\r`,
/// `\t`, `\0` and other ASCII controls as `\u{1b}`.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\0' => f.write_str("\\0")?,
                c if c.is_ascii_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::Quoted;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn quotes_like_debug() {
        let ascii: String = (0u8..=127).map(char::from).collect();
        for text in [
            ascii.as_str(),
            "",
            "plain",
            "a\"b\\c",
            "é日本 ünïcödé",
            "tab\there\r\n",
        ] {
            assert_eq!(format!("{}", Quoted(text)), format!("{text:?}"));
        }
        for c in (0u8..=127).map(char::from) {
            let text = String::from(c);
            assert_eq!(format!("{}", Quoted(&text)), format!("{text:?}"));
        }
    }
}
