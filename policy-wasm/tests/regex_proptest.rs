//! Property test: `policy_wasm::cel::regex` agrees with the `regex-lite` crate (the engine it
//! replaced; a native dev-dependency only) on random patterns and inputs.
//!
//! Patterns are generated as trees over the subset where RE2 (which CEL specifies) and
//! `regex-lite` mean the same thing, then printed; every repetition operand is wrapped in
//! `(?:...)` so precedence never changes the tree. Left out, and why: `\v` in inputs (RE2's `\s`
//! excludes it, `regex-lite`'s includes it) and non-ASCII case folding (both fold ASCII only,
//! RE2 folds Unicode; see the module documentation).

use policy_wasm::cel::regex::Regex;
use proptest::prelude::*;

/// Characters of the patterns' literals and of the inputs: ASCII, punctuation that is meta,
/// non-ASCII letters (two bytes, three bytes, four bytes) and a newline for `(?m)` and `(?s)`.
const ALPHABET: &[char] = &[
    'a', 'b', 'A', 'B', '1', '_', ' ', '.', '-', '\n', 'é', '日', '😀',
];

fn literal() -> impl Strategy<Value = String> {
    prop::sample::select(ALPHABET).prop_map(|c| match c {
        '.' => "\\.".to_string(),
        '\n' => "\\n".to_string(),
        c => c.to_string(),
    })
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => literal(),
        2 => prop::sample::select(&[
            ".", "^", "$", "\\A", "\\z", "\\b", "\\B", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S",
            "[ab]", "[^ab]", "[a-zé]", "[^a-c\\n]", "[A-Z_]", "[[:alpha:]]", "[[:^digit:]]",
            "[\\d.-]", "\\x41", "\\x{65E5}", "[é-日]", "(?:)",
        ][..])
        .prop_map(str::to_string),
    ]
}

fn repetition() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("+".to_string()),
        Just("?".to_string()),
        (0u32..4).prop_map(|n| format!("{{{n}}}")),
        (0u32..3).prop_map(|n| format!("{{{n},}}")),
        (0u32..3, 0u32..3).prop_map(|(n, extra)| format!("{{{n},{}}}", n + extra)),
    ]
    .prop_flat_map(|op| {
        prop::bool::ANY.prop_map(move |lazy| format!("{op}{}", if lazy { "?" } else { "" }))
    })
}

fn pattern() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join("|")),
            inner.clone().prop_map(|p| format!("({p})")),
            (inner.clone(), repetition()).prop_map(|(p, op)| format!("(?:{p}){op}")),
            (
                prop::sample::select(&["i", "m", "s", "is", "-i", "ms"][..]),
                inner.clone()
            )
                .prop_map(|(f, p)| format!("(?{f}:{p})")),
            (prop::sample::select(&["i", "m", "m", "s"][..]), inner)
                .prop_map(|(f, p)| format!("(?{f}){p}")),
        ]
    })
}

/// Inputs lean on a few characters (`a`, `A`, newline) so that patterns match often enough for
/// anchors and flags to make a difference.
fn input() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => Just('a'),
        2 => Just('A'),
        2 => Just('\n'),
        4 => prop::sample::select(ALPHABET),
    ];
    prop::collection::vec(c, 0..10).prop_map(String::from_iter)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_with_regex_lite(pattern in pattern(), inputs in prop::collection::vec(input(), 1..6)) {
        let ours = Regex::new(&pattern);
        let reference = regex_lite::Regex::new(&pattern);
        prop_assert_eq!(ours.is_ok(), reference.is_ok(), "compiles: {:?} {:?}", ours, reference.err());
        if let (Ok(ours), Ok(reference)) = (ours, reference) {
            for text in &inputs {
                prop_assert_eq!(ours.is_match(text), reference.is_match(text), "{:?} on {:?}", pattern, text);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any string, however malformed, is a pattern or an error with a column inside it; never a
    /// panic (the matcher runs inside the proxy filter).
    #[test]
    fn arbitrary_text_compiles_or_errors(
        pattern in "[()\\[\\]{}|*+?^$.\\\\a-c0-9:,<>=PpidmsUxDSWwbBAz\\-é]{0,24}",
        text in input(),
    ) {
        match Regex::new(&pattern) {
            Ok(re) => {
                re.is_match(&text);
            }
            Err(e) => prop_assert!(
                e.column >= 1 && e.column as usize <= pattern.chars().count().max(1),
                "{:?}: {}", pattern, e
            ),
        }
    }
}
