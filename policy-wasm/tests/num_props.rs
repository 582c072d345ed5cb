//! Property test: `policy_wasm::num` writes and reads `f64` exactly as `core` does.
//!
//! `display`, `debug` and `lower_exp` must give the text of `{}`, `{:?}` and `{:e}` for random bit
//! patterns (every class: subnormals, powers of two, ±0, infinities, NaN), and `parse_f64` the
//! value of `str::parse::<f64>` for random decimal strings: short and long mantissas, exponents
//! around the overflow and underflow boundaries, exact halfway points between two doubles and
//! strings one digit off them. `NUM_PROP_CASES` sets the number of random cases of each kind
//! (default 20,000); the generator is seeded, so a failure reproduces.

use policy_wasm::num::{debug, display, i128_text, lower_exp, parse_f64};

/// splitmix64: a small, seedable, well-mixed generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn digits(&mut self, n: u64) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

fn cases() -> u64 {
    std::env::var("NUM_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Random doubles weighted towards the interesting classes.
fn random_double(rng: &mut Rng) -> f64 {
    let bits = rng.next();
    match rng.below(8) {
        // Subnormal.
        0 => f64::from_bits(bits & 0x800f_ffff_ffff_ffff),
        // A power of two (the asymmetric-gap case).
        1 => f64::from_bits(bits & 0xfff0_0000_0000_0000),
        // Few significant bits: short decimal forms.
        2 => f64::from_bits(bits & 0xffff_f000_0000_0000),
        // Integer-valued and small-magnitude values.
        3 => (bits >> 11) as f64 / 2f64.powi(rng.below(60) as i32),
        _ => f64::from_bits(bits),
    }
}

fn check_writes(x: f64) {
    assert_eq!(display(x), format!("{x}"), "display of {:#x}", x.to_bits());
    assert_eq!(debug(x), format!("{x:?}"), "debug of {:#x}", x.to_bits());
    assert_eq!(
        lower_exp(x),
        format!("{x:e}"),
        "lower_exp of {:#x}",
        x.to_bits()
    );
}

fn check_parse(text: &str) {
    let want = text.parse::<f64>().ok();
    let got = parse_f64(text);
    assert_eq!(
        got.map(f64::to_bits),
        want.map(f64::to_bits),
        "parse of {text:?}: {got:?}, core {want:?}"
    );
}

#[test]
fn writes_like_core() {
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.3,
        1e15,
        1e16,
        1e-4,
        9.999999999999999e-5,
        1e21,
        123456789.0,
    ];
    let limits = [
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        5e-324,
        -5e-324,
        f64::from_bits(0x000f_ffff_ffff_ffff),
    ];
    let classes = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    for x in specials.into_iter().chain(limits).chain(classes) {
        check_writes(x);
    }
    let mut rng = Rng(0x6e75_6d5f_7772_6974);
    for _ in 0..cases() {
        check_writes(random_double(&mut rng));
    }
}

#[test]
fn writes_i128_like_core() {
    for n in [
        0,
        1,
        -1,
        9,
        10,
        -10,
        i128::MAX,
        i128::MIN,
        i128::from(i64::MIN),
        i128::from(u64::MAX),
    ] {
        assert_eq!(i128_text(n), n.to_string());
    }
    let mut rng = Rng(0x6931_3238_7465_7874);
    for _ in 0..cases() {
        let wide = (u128::from(rng.next()) << 64 | u128::from(rng.next())) as i128;
        let n = wide >> rng.below(128);
        assert_eq!(i128_text(n), n.to_string());
    }
}

#[test]
fn written_text_reads_back() {
    let mut rng = Rng(0x7265_6164_6261_636b);
    for _ in 0..cases() {
        let x = random_double(&mut rng);
        if !x.is_finite() {
            continue;
        }
        for text in [display(x), debug(x), lower_exp(x), format!("{x:.30e}")] {
            assert_eq!(
                parse_f64(&text).map(f64::to_bits),
                Some(x.to_bits()),
                "{text}"
            );
        }
    }
}

#[test]
fn parses_edge_cases_like_core() {
    let edges = [
        "0",
        "-0",
        "+0",
        "0.0",
        ".5",
        "5.",
        ".",
        "",
        "-",
        "+",
        "e5",
        "1e",
        "1e+",
        "1e-",
        "1.e5",
        ".e5",
        "1..2",
        "1.2.3",
        "--1",
        "+-1",
        "1e--5",
        " 1",
        "1 ",
        "0x10",
        "1_000",
        "1e1000000000000000000000",
        "1e-1000000000000000000000",
        "00000000000000000000000001",
        "0.000000000000000000000000001e27",
        "9007199254740993",
        "9007199254740992.5",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "2.47032822920623272e-324",
        "4.9406564584124654e-324",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e308",
        "1e309",
        "1e-324",
        "1e-400",
        "123456789012345678901234567890",
        "0.1",
        "0.2",
        "0.3",
        "1e23",
        "8.98846567431158e307",
        "4.35e-3",
        "1.448997445238699",
        "7.3177701707893310e+15",
    ];
    for text in edges {
        check_parse(text);
    }
    // Exact expansions of hundreds of digits, and the same with noise past the last digit.
    for x in [
        5e-324,
        2.2250738585072014e-308,
        2.225073858507201e-308,
        0.1,
        f64::MAX,
    ] {
        let exact = format!("{x:.1100e}");
        check_parse(&exact);
        check_parse(&exact.replacen("e", "1e", 1));
    }
    // The words `str::parse` also takes; no caller passes them here (they are rejected or
    // handled before parsing), so `parse_f64` need not know them.
    for word in ["inf", "-infinity", "NaN"] {
        assert_eq!(parse_f64(word), None, "{word}");
    }
}

#[test]
fn parses_random_text_like_core() {
    let mut rng = Rng(0x7061_7273_655f_7478);
    for _ in 0..cases() {
        let mut text = String::new();
        match rng.below(3) {
            0 => text.push('-'),
            1 if rng.below(4) == 0 => text.push('+'),
            _ => {}
        }
        let long = rng.below(50) == 0;
        let whole = if long { rng.below(900) } else { rng.below(22) };
        text.push_str(&"0".repeat(rng.below(3) as usize * usize::from(rng.below(4) == 0)));
        text.push_str(&rng.digits(whole));
        if rng.below(2) == 0 {
            text.push('.');
            let fraction = if long { rng.below(900) } else { rng.below(22) };
            text.push_str(&rng.digits(fraction));
        }
        if rng.below(3) != 0 {
            text.push(if rng.below(2) == 0 { 'e' } else { 'E' });
            match rng.below(3) {
                0 => text.push('-'),
                1 => text.push('+'),
                _ => {}
            }
            text.push_str(&rng.below(700).to_string());
        }
        check_parse(&text);
    }
}

#[test]
fn parses_halfway_points_like_core() {
    let mut rng = Rng(0x6861_6c66_7761_7973);
    for _ in 0..cases() {
        // x in [2^22, 2^75): the midpoint to the next double, m × 2^-k with k <= 31, is exactly
        // (m × 5^k) / 10^k, which fits a u128.
        let x =
            f64::from_bits(((1023 + 22 + rng.below(53)) << 52) | (rng.next() & ((1 << 52) - 1)));
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
        let mant = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
        let (mid, k) = (2 * mant + 1, -(exp - 1));
        let text = if k <= 0 {
            (mid << -k).to_string()
        } else {
            let scaled = (mid * 5u128.pow(k as u32)).to_string();
            let (int, frac) = scaled.split_at(scaled.len() - k as usize);
            format!("{int}.{frac}")
        };
        check_parse(&text);
        // One unit more or less in a digit past the halfway point, and trailing noise.
        check_parse(&format!(
            "{text}{}",
            if text.contains('.') {
                "0000000001"
            } else {
                ".0000000001"
            }
        ));
        let below = match text.strip_suffix('5') {
            Some(head) => format!("{head}4999999999999999999999"),
            None => text.replacen(|c: char| c.is_ascii_digit(), "", 0),
        };
        check_parse(&below);
    }
}
