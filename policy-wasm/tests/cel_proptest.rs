//! Property test: `policy_wasm::cel` agrees with the `cel` crate (cel-rust, a native
//! dev-dependency only) on random expressions over random request attributes.
//!
//! Both sides see the same attributes: ours as Envoy-encoded property bytes through
//! `AttributeSource`, cel-rust as nested maps (`response` → `{code: …}`). An attribute may be
//! absent (as on a TCP connection); both sides must then fail, or both absorb the error the same
//! way (`error || true`).
//!
//! The generator stays in the subset both implement identically. Left out, and why:
//! - `matches` (cel-rust is built here without its `regex` feature to keep the dev build small);
//! - timestamps, durations and their accessors (need cel-rust's `chrono` feature; covered by the
//!   conformance suite instead);
//! - `string(double)` and double arithmetic printing (cel-go's `%g` formatting, which we follow,
//!   differs from Rust's `Display` used by cel-rust);
//! - heterogeneous (`int == uint`, `int < double`) comparisons and `dyn()` (covered by the
//!   conformance suite; cel-rust's behaviour varies by version);
//! - the exact error message: only "error" versus "value" is compared.

use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap, encode_i64};
use policy_wasm::cel::{Program, Value};
use proptest::prelude::*;
use std::collections::HashMap;

/// One request's attributes; `None` means absent.
#[derive(Debug, Clone)]
struct Attrs {
    code: Option<i64>,
    port: Option<i64>,
    size: Option<i64>,
    mtls: Option<bool>,
    path: Option<String>,
    host: Option<String>,
    cluster: Option<String>,
}

impl AttributeSource for Attrs {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        let owned = match path {
            ["response", "code"] => self.code.map(encode_i64),
            ["destination", "port"] => self.port.map(encode_i64),
            ["request", "size"] => self.size.map(encode_i64),
            ["connection", "mtls"] => self.mtls.map(|b| vec![u8::from(b)]),
            ["request", "url_path"] => self.path.clone().map(String::into_bytes),
            ["request", "host"] => self.host.clone().map(String::into_bytes),
            ["xds", "cluster_name"] => self.cluster.clone().map(String::into_bytes),
            _ => None,
        };
        owned.map(Bytes::Owned)
    }

    fn header(&self, _map: HeaderMap, _name: &str) -> Option<Bytes<'_>> {
        None
    }
}

/// The same attributes as cel-rust variables (maps holding only the present members).
fn cel_context(a: &Attrs) -> cel::Context<'static, 'static> {
    let mut groups: HashMap<&str, HashMap<String, cel::Value>> = HashMap::new();
    for g in ["response", "destination", "request", "connection", "xds"] {
        groups.insert(g, HashMap::new());
    }
    let mut put = |g: &str, k: &str, v: cel::Value| {
        if let Some(m) = groups.get_mut(g) {
            m.insert(k.to_string(), v);
        }
    };
    if let Some(v) = a.code {
        put("response", "code", cel::Value::Int(v));
    }
    if let Some(v) = a.port {
        put("destination", "port", cel::Value::Int(v));
    }
    if let Some(v) = a.size {
        put("request", "size", cel::Value::Int(v));
    }
    if let Some(v) = a.mtls {
        put("connection", "mtls", cel::Value::Bool(v));
    }
    if let Some(v) = &a.path {
        put("request", "url_path", cel::Value::String(v.clone().into()));
    }
    if let Some(v) = &a.host {
        put("request", "host", cel::Value::String(v.clone().into()));
    }
    if let Some(v) = &a.cluster {
        put("xds", "cluster_name", cel::Value::String(v.clone().into()));
    }
    let mut ctx = cel::Context::default();
    for (g, m) in groups {
        ctx.add_variable_from_value(g, m);
    }
    ctx
}

fn small_string() -> impl Strategy<Value = String> {
    "[ab/]{0,4}"
}

fn int_value() -> impl Strategy<Value = i64> {
    prop_oneof![
        -5i64..600,
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::MAX / 2 + 1),
        Just(-1)
    ]
}

fn attrs() -> impl Strategy<Value = Attrs> {
    (
        proptest::option::weighted(0.85, int_value()),
        proptest::option::weighted(0.85, int_value()),
        proptest::option::weighted(0.85, int_value()),
        proptest::option::weighted(0.85, any::<bool>()),
        proptest::option::weighted(0.85, small_string()),
        proptest::option::weighted(0.85, small_string()),
        proptest::option::weighted(0.85, small_string()),
    )
        .prop_map(|(code, port, size, mtls, path, host, cluster)| Attrs {
            code,
            port,
            size,
            mtls,
            path,
            host,
            cluster,
        })
}

fn quote(s: &str) -> String {
    format!("'{s}'")
}

/// Expressions of type string.
fn string_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        small_string().prop_map(|s| quote(&s)),
        Just("request.url_path".to_string()),
        Just("request.host".to_string()),
        Just("xds.cluster_name".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => (string_expr(depth - 1), string_expr(depth - 1)).prop_map(|(a, b)| format!("({a} + {b})")),
        1 => int_expr(depth - 1).prop_map(|a| format!("string({a})")),
        1 => (bool_expr(depth - 1), string_expr(depth - 1), string_expr(depth - 1))
            .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
    ]
    .boxed()
}

/// Expressions of type int.
fn int_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        int_value().prop_map(|v| if v < 0 {
            format!("({v})")
        } else {
            v.to_string()
        }),
        Just("response.code".to_string()),
        Just("destination.port".to_string()),
        Just("request.size".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let op = prop_oneof![Just("+"), Just("-"), Just("*"), Just("/"), Just("%")];
    prop_oneof![
        3 => leaf,
        2 => (int_expr(depth - 1), op, int_expr(depth - 1)).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => int_expr(depth - 1).prop_map(|a| format!("-({a})")),
        1 => string_expr(depth - 1).prop_map(|s| format!("size({s})")),
        1 => (bool_expr(depth - 1), int_expr(depth - 1), int_expr(depth - 1))
            .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
        1 => prop_oneof![Just("'12'"), Just("'-3'"), Just("'x'"), Just("'9223372036854775808'")]
            .prop_map(|s| format!("int({s})")),
    ]
    .boxed()
}

/// Expressions of type bool.
fn bool_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("true".to_string()),
        Just("false".to_string()),
        Just("connection.mtls".to_string()),
        Just("has(request.host)".to_string()),
        Just("has(response.code)".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let cmp = prop_oneof![
        Just("=="),
        Just("!="),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">=")
    ];
    let method = prop_oneof![Just("startsWith"), Just("endsWith"), Just("contains")];
    prop_oneof![
        2 => leaf,
        2 => (int_expr(depth - 1), cmp.clone(), int_expr(depth - 1)).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        1 => (string_expr(depth - 1), cmp, string_expr(depth - 1)).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
        2 => (string_expr(depth - 1), method, string_expr(depth - 1)).prop_map(|(a, m, b)| format!("{a}.{m}({b})")),
        1 => bool_expr(depth - 1).prop_map(|a| format!("!({a})")),
        2 => (bool_expr(depth - 1), bool_expr(depth - 1)).prop_map(|(a, b)| format!("({a} && {b})")),
        2 => (bool_expr(depth - 1), bool_expr(depth - 1)).prop_map(|(a, b)| format!("({a} || {b})")),
        1 => (bool_expr(depth - 1), bool_expr(depth - 1), bool_expr(depth - 1))
            .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
        1 => (int_expr(depth - 1), proptest::collection::vec(-3i64..5, 0..4))
            .prop_map(|(a, l)| format!("({a} in {l:?})")),
        1 => (proptest::collection::vec(-3i64..5, 0..4), prop_oneof![Just("all"), Just("exists"), Just("exists_one")], int_expr(depth - 1))
            .prop_map(|(l, m, k)| format!("{l:?}.{m}(x, x * 2 > {k})")),
    ]
    .boxed()
}

fn any_expr() -> impl Strategy<Value = String> {
    prop_oneof![3 => bool_expr(3), 1 => int_expr(3), 1 => string_expr(3)]
}

/// Compares our value with cel-rust's (only the types the generator produces).
fn same(ours: &Value, theirs: &cel::Value) -> bool {
    match (ours, theirs) {
        (Value::Bool(a), cel::Value::Bool(b)) => a == b,
        (Value::Int(a), cel::Value::Int(b)) => a == b,
        (Value::String(a), cel::Value::String(b)) => **a == ***b,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_cel_rust(expr in any_expr(), a in attrs()) {
        let ours = Program::compile(&expr)
            .map_err(|e| e.to_string())
            .and_then(|p| p.evaluate(&a).map_err(|e| e.to_string()));
        let theirs = cel::Program::compile(&expr)
            .map_err(|e| e.to_string())
            .and_then(|p| p.execute(&cel_context(&a)).map_err(|e| e.to_string()));
        match (&ours, &theirs) {
            (Ok(x), Ok(y)) => prop_assert!(same(x, y), "{expr}\n  ours {x}\n  cel-rust {y:?}\n  {a:?}"),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{expr}\n  ours {ours:?}\n  cel-rust {theirs:?}\n  {a:?}"),
        }
    }
}
