//! Integer text to `u64`/`i64` with `core`'s `from_str` rules (an optional sign, then at least
//! one digit, nothing else, no overflow). `core` compiles one parser per integer type and radix;
//! every caller here shares this one.

/// `text` as `u64` in `radix` (2..=36), as `u64::from_str_radix` reads it: an optional `+`.
pub fn parse_u64(text: &str, radix: u32) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    magnitude(digits, radix)
}

/// `text` as decimal `i64`, as `str::parse::<i64>` reads it: an optional `+` or `-`.
pub fn parse_i64(text: &str) -> Option<i64> {
    if let Some(digits) = text.strip_prefix('-') {
        // `i64::MIN`'s magnitude is one past `i64::MAX`.
        let m = magnitude(digits, 10)?;
        0i64.checked_sub_unsigned(m)
    } else {
        i64::try_from(parse_u64(text, 10)?).ok()
    }
}

/// The value of a non-empty run of digits, `None` on any other character or on overflow.
fn magnitude(digits: &str, radix: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0u64, |v, c| {
        v.checked_mul(u64::from(radix))?
            .checked_add(u64::from(c.to_digit(radix)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_core_on_edges_and_odd_text() {
        let cases = [
            "",
            "+",
            "-",
            "0",
            "+0",
            "-0",
            "00012",
            "12a",
            " 1",
            "1 ",
            "++1",
            "+-1",
            "-+1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "١٢",
            "ff",
            "FF",
            "0x1",
        ];
        for text in cases {
            assert_eq!(parse_i64(text), text.parse::<i64>().ok(), "i64 {text:?}");
            assert_eq!(
                parse_u64(text, 10),
                text.parse::<u64>().ok(),
                "u64 {text:?}"
            );
            assert_eq!(
                parse_u64(text, 16),
                u64::from_str_radix(text, 16).ok(),
                "hex {text:?}"
            );
        }
    }

    #[test]
    fn agrees_with_core_on_random_digit_strings() {
        // A fixed xorshift, so a failure reproduces.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"0123456789+-af ";
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let text: alloc::string::String = (0..len)
                .map(|k| {
                    let pick = (state >> (k * 2 % 60)) as usize;
                    // Mostly digits, so long valid numbers (and overflows) are common.
                    let pool = if pick.is_multiple_of(8) {
                        alphabet.len()
                    } else {
                        10
                    };
                    alphabet[(pick / 8) % pool] as char
                })
                .collect();
            assert_eq!(parse_i64(&text), text.parse::<i64>().ok(), "i64 {text:?}");
            assert_eq!(
                parse_u64(&text, 10),
                text.parse::<u64>().ok(),
                "u64 {text:?}"
            );
            assert_eq!(
                parse_u64(&text, 16),
                u64::from_str_radix(&text, 16).ok(),
                "hex {text:?}"
            );
        }
    }
}
