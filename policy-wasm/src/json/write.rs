//! Writing JSON text exactly as serde_json does (compact and two-space pretty).

use super::Json;
use alloc::string::String;

/// Appends `s` as a JSON string literal with serde_json's escapes (`\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`, other control characters as `\u00xx`; nothing else is escaped).
pub fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends `value` as compact JSON.
pub fn write_compact(value: &Json, out: &mut String) {
    write(value, out, None, 0);
}

/// `value` as serde_json's `to_string_pretty` writes it.
pub fn to_string_pretty(value: &Json) -> String {
    let mut out = String::new();
    write(value, &mut out, Some("  "), 0);
    out
}

fn newline(out: &mut String, indent: Option<&str>, level: usize) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(unit);
        }
    }
}

// Recursion depth is bounded by the values we build: parsed input is limited to MAX_DEPTH.
fn write(value: &Json, out: &mut String, indent: Option<&str>, level: usize) {
    use core::fmt::Write;
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write(item, out, indent, level + 1);
            }
            if !items.is_empty() {
                newline(out, indent, level);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write_string(key, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(item, out, indent, level + 1);
            }
            if !map.is_empty() {
                newline(out, indent, level);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn strings_escape_like_serde_json() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é€😀\u{7f}\u{2028}");
        let mut ours = String::new();
        write_string(&text, &mut ours);
        assert_eq!(ours, serde_json::to_string(&text).unwrap());
    }

    #[test]
    fn documents_write_like_serde_json() {
        let text = r#"{"z": [1, -2, 3.5, 1e300, true, false, null, "a\tb", {}, []],
            "a": {"y": {"k": [{"n": -0.0}]}, "b": "é\u0001"}, "m": 18446744073709551615}"#;
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        let ours = super::super::parse(text).unwrap();
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(
            to_string_pretty(&ours),
            serde_json::to_string_pretty(&theirs).unwrap()
        );
    }
}
