//! Quoted strings for diagnostics without `core`'s `Debug` for `str`, which links the Unicode
//! printable and grapheme-extend tables (~4 KB of wasm) into every module that uses it.

use core::fmt::{self, Write};

/// Writes a string as `{:?}` does, except that non-ASCII characters are always kept as they are
/// (`Debug` escapes the non-printable ones): double quotes, `"` and `\` escaped, `\n`, `\r`,
/// `\t`, `\0` and other ASCII controls as `\u{1b}`.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0, Controls::Rust)
    }
}

/// How [`write_quoted`] spells the ASCII controls it has no short escape for.
#[derive(Clone, Copy)]
pub enum Controls {
    /// Rust's `Debug`: `\0`, else `\u{1b}`.
    Rust,
    /// CEL's string literals: `\x1b` (`\x00` for NUL).
    Cel,
}

/// Writes `s` in double quotes with `"`, `\`, `\n`, `\r`, `\t` escaped and the other ASCII
/// controls spelled as `controls` says; everything else as it is.
pub fn write_quoted(f: &mut dyn Write, s: &str, controls: Controls) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match (c, controls) {
            ('"', _) => f.write_str("\\\"")?,
            ('\\', _) => f.write_str("\\\\")?,
            ('\n', _) => f.write_str("\\n")?,
            ('\r', _) => f.write_str("\\r")?,
            ('\t', _) => f.write_str("\\t")?,
            ('\0', Controls::Rust) => f.write_str("\\0")?,
            (c, Controls::Rust) if c.is_ascii_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            (c, Controls::Cel) if c.is_ascii_control() => write!(f, "\\x{:02x}", u32::from(c))?,
            (c, _) => f.write_char(c)?,
        }
    }
    f.write_char('"')
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

    #[test]
    fn cel_spells_controls_in_hex() {
        let mut out = String::new();
        super::write_quoted(&mut out, "a\u{1b}\0\u{7f}\n\"é", super::Controls::Cel).unwrap();
        assert_eq!(out, "\"a\\x1b\\x00\\x7f\\n\\\"é\"");
    }
}
