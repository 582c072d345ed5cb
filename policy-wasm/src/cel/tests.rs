//! Unit tests: parser limits, evaluation over Envoy-encoded attributes, laziness.

use super::*;
use crate::attributes::{AttributeSource, Bytes, HeaderMap, encode_i64};
use alloc::string::ToString;
use alloc::vec::Vec;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Attributes held as Envoy would encode them; records every read.
#[derive(Default)]
pub(crate) struct Fake {
    props: BTreeMap<String, Vec<u8>>,
    headers: BTreeMap<(u8, String), Vec<u8>>,
    reads: RefCell<Vec<String>>,
}

impl Fake {
    pub(crate) fn with(mut self, path: &str, bytes: Vec<u8>) -> Self {
        self.props.insert(path.into(), bytes);
        self
    }

    pub(crate) fn header(mut self, map: HeaderMap, name: &str, value: &str) -> Self {
        self.headers
            .insert((map as u8, name.into()), value.as_bytes().to_vec());
        self
    }
}

impl AttributeSource for Fake {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        let key = path.join(".");
        self.reads.borrow_mut().push(key.clone());
        self.props.get(&key).map(|v| Bytes::Borrowed(v.as_slice()))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        self.reads
            .borrow_mut()
            .push(alloc::format!("header:{name}"));
        self.headers
            .get(&(map as u8, name.into()))
            .map(|v| Bytes::Borrowed(v.as_slice()))
    }
}

fn http_request() -> Fake {
    Fake::default()
        .with("response.code", encode_i64(503))
        .with("connection.mtls", alloc::vec![1])
        .with("request.url_path", b"/apis/v1beta3/things".to_vec())
        .with("request.useragent", b"curl/8.0".to_vec())
        .with("request.time", encode_i64(1_234_567_890_000_000_000))
        .with("request.duration", encode_i64(1_500_000_000))
        .with("xds.cluster_name", b"outbound|80||web".to_vec())
        .with("xds.node.metadata.NAMESPACE", b"shop".to_vec())
        .header(HeaderMap::RequestHeaders, "x-tenant", "blue")
}

fn eval(expr: &str, attrs: &Fake) -> Result<Value, EvalError> {
    Program::compile(expr).expect("compiles").evaluate(attrs)
}

/// Runs `f` on a thread with a 1 MiB stack, the size of a wasm32 module's default stack (optimised
/// builds; unoptimised frames are several times larger, so debug test builds get 4 MiB).
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let size = if cfg!(debug_assertions) {
        4 << 20
    } else {
        1 << 20
    };
    std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no stack overflow or panic")
}

#[test]
fn istio_examples_evaluate() {
    let req = http_request();
    assert_eq!(eval("response.code >= 400", &req), Ok(Value::Bool(true)));
    assert_eq!(
        eval(
            "connection.mtls && request.url_path.contains('v1beta3')",
            &req
        ),
        Ok(Value::Bool(true))
    );
    let health = r#"!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))"#;
    assert_eq!(eval(health, &req), Ok(Value::Bool(true)));
    // On TCP the attribute is absent: has() guards it.
    assert_eq!(eval(health, &Fake::default()), Ok(Value::Bool(true)));
    assert_eq!(
        eval(
            "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster'",
            &req
        ),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("request.headers['x-tenant'] == 'blue'", &req),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("'x-tenant' in request.headers", &req),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("xds.node.metadata.NAMESPACE", &req),
        Ok(Value::string("shop"))
    );
    assert_eq!(
        eval(
            "request.time.getFullYear() == 2009 && request.duration > duration('1s')",
            &req
        ),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval("string(response.code)", &req),
        Ok(Value::string("503"))
    );
}

#[test]
fn absent_attributes_are_errors_that_logic_can_absorb() {
    let tcp = Fake::default().with("xds.cluster_name", b"BlackHoleCluster".to_vec());
    let e = eval("response.code >= 400", &tcp).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoSuchAttribute("response.code".into()));
    assert_eq!(e.column, 1);
    assert_eq!(
        eval(
            "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster'",
            &tcp
        ),
        Ok(Value::Bool(true))
    );
    let e = eval("1 + respose.code", &tcp).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownName("respose.code".into()));
    assert_eq!(e.column, 5);
}

#[test]
fn reads_only_what_the_expression_needs() {
    let req = http_request();
    eval("response.code >= 400 || request.url_path == '/'", &req).unwrap();
    assert_eq!(*req.reads.borrow(), ["response.code"]);
    let req = http_request();
    eval("request.headers['x-tenant'] == 'blue'", &req).unwrap();
    assert_eq!(*req.reads.borrow(), ["header:x-tenant"]);
}

#[test]
fn malformed_property_bytes_are_errors_not_panics() {
    let bad = Fake::default()
        .with("response.code", alloc::vec![1, 2, 3])
        .with("connection.mtls", alloc::vec![])
        .with("request.headers", alloc::vec![9, 0, 0, 0, 1]);
    for expr in [
        "response.code",
        "connection.mtls",
        "request.headers",
        "size(request.headers)",
    ] {
        assert!(
            matches!(
                eval(expr, &bad),
                Err(EvalError {
                    kind: ErrorKind::MalformedAttribute(_),
                    ..
                })
            ),
            "{expr}"
        );
    }
}

#[test]
fn parse_errors_carry_columns() {
    let e = Program::compile(")++++").unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    let e = Program::compile("response.code >= ").unwrap_err();
    assert_eq!(e.column, 18);
    let e = Program::compile("a == 'é' &&& b").unwrap_err();
    assert_eq!(e.column, 12, "{e}");
    assert!(Program::compile("x = 1").unwrap_err().reason.contains("=="));
    assert!(Program::compile("if").is_err());
    assert!(Program::compile("9223372036854775808").is_err());
    assert!(Program::compile("-9223372036854775808").is_ok());
}

#[test]
fn long_expressions_are_accepted_or_refused_cleanly() {
    small_stack(|| {
        // A 100,000-character string literal.
        let long = alloc::format!("request.path == '{}'", "a".repeat(100_000 - 18));
        assert_eq!(long.len(), 100_000);
        assert!(Program::compile(&long).is_ok());
        // Over the limit.
        let e = Program::compile(&alloc::format!("{long} ")).unwrap_err();
        assert!(e.reason.contains("longer"), "{e}");
        // 100,000 characters of `||`: balanced, so shallow.
        let mut ors = "true".to_string();
        while ors.len() + 9 <= 100_000 {
            ors.push_str(" || false");
        }
        let p = Program::compile(&ors).expect("balanced");
        assert_eq!(p.evaluate(&Fake::default()), Ok(Value::Bool(true)));
        // 100,000 characters of `+`: too deep, an error rather than a stack overflow.
        let sum = alloc::format!("1{}", " + 1".repeat(24_999));
        assert!(Program::compile(&sum).unwrap_err().reason.contains("deep"));
    });
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    small_stack(|| {
        let n = 10_000;
        let cases = [
            alloc::format!("{}1{}", "(".repeat(n), ")".repeat(n)),
            alloc::format!("{}1{}", "[".repeat(n), "]".repeat(n)),
            alloc::format!("{}1{}", "{1:".repeat(n), "}".repeat(n)),
            alloc::format!("{}true", "!".repeat(n)),
            alloc::format!("{}x", "-".repeat(n)),
            alloc::format!("{}1{}", "size([".repeat(n), "])".repeat(n)),
            alloc::format!("x{}", ".y".repeat(n)),
            alloc::format!("x{}", "[0]".repeat(n)),
            alloc::format!("x{}", ".size()".repeat(n)),
            alloc::format!("{}1", "true ? 1 : ".repeat(n)),
            alloc::format!("{}x{}", "[1].all(x, ".repeat(n), ")".repeat(n)),
        ];
        for c in &cases {
            let e = Program::compile(c).unwrap_err();
            let limit = if c.len() > 100_000 { "longer" } else { "deep" };
            assert!(e.reason.contains(limit), "{}: {e}", &c[..20]);
            // And the same nesting truncated to fit the length limit is still refused.
            let cut = c.get(..c.len().min(99_000)).unwrap_or("");
            assert!(Program::compile(cut).is_err());
        }
        // Just under the limit still evaluates.
        let ok = alloc::format!("{}1{}", "(".repeat(95), ")".repeat(95));
        assert!(Program::compile(&ok).is_ok());
        let ok = alloc::format!("{}1{}", "size([".repeat(30), "])".repeat(30));
        let p = Program::compile(&ok).unwrap();
        assert_eq!(p.evaluate(&Fake::default()), Ok(Value::Int(1)));
        let ok = alloc::format!("{}1{}", "-(".repeat(90), ")".repeat(90));
        assert_eq!(
            Program::compile(&ok).unwrap().evaluate(&Fake::default()),
            Ok(Value::Int(1))
        );
    });
}

#[test]
fn runaway_comprehensions_hit_the_budget() {
    let e = eval(
        "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, \
         [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, \
         [1,2,3,4,5,6,7,8,9,10].all(g, true)))))))",
        &Fake::default(),
    )
    .unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Budget(_)));
}

#[test]
fn overflow_is_an_error() {
    let none = Fake::default();
    for expr in [
        "9223372036854775807 + 1",
        "-9223372036854775808 - 1",
        "-(-9223372036854775808)",
        "-9223372036854775808 / -1",
        "-9223372036854775808 % -1",
        "18446744073709551615u + 1u",
        "0u - 1u",
        "int(1e19)",
        "uint(-1)",
        "duration('100000000000s') + duration('300000000000s')",
        "timestamp('9999-12-31T23:59:59Z') + duration('1s')",
    ] {
        assert!(eval(expr, &none).is_err(), "{expr}");
    }
}

#[test]
fn values_display_as_cel_literals() {
    let none = Fake::default();
    let v = eval(
        "[1, 2u, 2.5, 3.0, 'a\"b', b'\\x00', null, {'k': true}, timestamp(0), duration('90s'), int]",
        &none,
    )
    .unwrap();
    assert_eq!(
        v.to_string(),
        r#"[1, 2u, 2.5, 3.0, "a\"b", b"\x00", null, {"k": true}, timestamp("1970-01-01T00:00:00Z"), duration("90s"), int]"#
    );
    assert_eq!(v.type_name(), "list");
    assert_eq!(
        eval("request.time", &http_request()).unwrap().type_name(),
        "google.protobuf.Timestamp"
    );
}

fn diags(expr: &str, context: Context) -> Vec<Diagnostic> {
    check(expr, context)
}

#[test]
fn istio_examples_check_clean() {
    for expr in [
        "response.code >= 400",
        "connection.mtls && request.url_path.contains('v1beta3')",
        r#"!has(request.useragent) || !(request.useragent.startsWith("Amazon-Route53-Health-Check-Service"))"#,
        "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster'",
        "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster' || xds.cluster_name == 'PassthroughCluster'",
        "(connection.mtls && request.headers['x-log-mtls'] == 'true') || request.url_path.contains('v1beta3')",
    ] {
        assert_eq!(diags(expr, Context::Filter), [], "{expr}");
    }
    for expr in [
        "string(destination.port)",
        "request.host",
        "destination.port",
        "filter_state.upstream_peer.namespace",
    ] {
        assert_eq!(diags(expr, Context::TagValue), [], "{expr}");
    }
}

#[test]
fn syntax_errors_are_errors_with_columns() {
    let d = diags(")++++", Context::Filter);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].severity, d[0].column), (Severity::Error, 1));
    assert!(
        d[0].message.contains("not a valid CEL expression"),
        "{}",
        d[0].message
    );
    let d = diags("response.code >= 400 &&", Context::Filter);
    assert_eq!((d[0].severity, d[0].column), (Severity::Error, 24));
}

#[test]
fn typo_suggests_the_nearest_attribute() {
    let d = diags("respose.code >= 400", Context::Filter);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].column, 1);
    assert!(d[0].message.contains("respose.code"));
    assert_eq!(d[0].hint.as_deref(), Some("did you mean 'response.code'?"));
    let d = diags("request.user_agent == 'x'", Context::Filter);
    assert_eq!(
        d[0].hint.as_deref(),
        Some("did you mean 'request.useragent'?")
    );
}

#[test]
fn filter_must_be_boolean() {
    let d = diags("request.host", Context::Filter);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Error);
    assert!(d[0].message.contains("boolean") && d[0].message.contains("string"));
    assert!(
        d[0].hint
            .as_deref()
            .unwrap_or("")
            .contains("request.host ==")
    );
    // A map is not a tag value either.
    let d = diags("request.headers", Context::TagValue);
    assert_eq!(d[0].severity, Severity::Error);
}

#[test]
fn unguarded_http_only_attributes_warn_where_tcp_changes_the_outcome() {
    let d = diags(
        "!request.useragent.startsWith('Amazon-Route53')",
        Context::Filter,
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].column, 2);
    assert!(d[0].message.contains("TCP"));
    assert!(
        d[0].hint
            .as_deref()
            .unwrap_or("")
            .contains("has(request.useragent)")
    );
    assert_eq!(
        diags("request.method != 'OPTIONS'", Context::Filter).len(),
        1
    );
    // Guarded, in every guard form.
    for expr in [
        "!has(request.useragent) || !request.useragent.startsWith('x')",
        "has(request.useragent) && !request.useragent.startsWith('x')",
        "has(request.useragent) ? !request.useragent.startsWith('x') : true",
    ] {
        assert_eq!(diags(expr, Context::Filter), [], "{expr}");
    }
}

#[test]
fn type_mistakes_are_reported() {
    let d = diags("response.code == '404'", Context::Filter);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].message.contains("always false"));
    let d = diags("response.code.startsWith('4')", Context::Filter);
    assert_eq!(d[0].severity, Severity::Error);
    let d = diags("request.url_path.matches('[')", Context::Filter);
    assert_eq!(d[0].severity, Severity::Error);
    let d = diags("respnse_code(1) == 1", Context::Filter);
    assert!(d[0].message.contains("unknown function"));
    let d = diags("request.duration > duration('1 second')", Context::Filter);
    assert!(d[0].message.contains("not a valid duration"), "{d:?}");
    let d = diags("response.code.value > 1", Context::Filter);
    assert!(d[0].message.contains("has no field"), "{d:?}");
}

#[test]
fn header_derived_attributes_fall_back_to_headers() {
    let req = Fake::default()
        .header(HeaderMap::RequestHeaders, ":path", "/a/b?x=1")
        .header(HeaderMap::RequestHeaders, "user-agent", "curl/8")
        .header(HeaderMap::RequestHeaders, ":authority", "web:80");
    assert_eq!(eval("request.url_path", &req), Ok(Value::string("/a/b")));
    assert_eq!(eval("request.query", &req), Ok(Value::string("x=1")));
    assert_eq!(eval("request.path", &req), Ok(Value::string("/a/b?x=1")));
    assert_eq!(
        eval("request.useragent.startsWith('curl')", &req),
        Ok(Value::Bool(true))
    );
    assert_eq!(eval("request.host", &req), Ok(Value::string("web:80")));
    assert!(eval("request.referer", &req).is_err());
    assert_eq!(eval("has(request.referer)", &req), Ok(Value::Bool(false)));
}

#[test]
fn doubles_display_with_a_fraction_or_an_exponent() {
    // The reference is the earlier formula: `{:.1}` for integral values below 1e16, else `{:?}`.
    for d in [
        0.0,
        -0.0,
        3.0,
        -7.0,
        2.5,
        0.1,
        1e-7,
        123_456_789.0,
        1e15,
        -1e15,
        9_007_199_254_740_993.0,
        9_999_999_999_999_998.0,
        1e16,
        1e20,
        -1e300,
        5e-324,
        f64::MAX,
    ] {
        let old = if d == d.trunc() && d.abs() < 1e16 {
            alloc::format!("{d:.1}")
        } else {
            alloc::format!("{d:?}")
        };
        assert_eq!(Value::Double(d).to_string(), old, "{d:e}");
    }
}

#[test]
fn bad_patterns_name_the_column_and_reason() {
    let none = Fake::default();
    // A pattern built at run time fails when evaluated, at the column of the call...
    let err = eval("'abc'.matches('a' + '(')", &none).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument: regular expression error at column 2: missing closing ) (column 6)"
    );
    // ...a literal one already when checked.
    let d = diags("request.url_path.matches('a[b')", Context::Filter);
    assert!(
        d[0].message
            .contains("regular expression error at column 2: missing closing ]"),
        "{d:?}"
    );
    assert_eq!(
        eval("'x{2}'.matches('x{2}')", &none),
        Ok(Value::Bool(false))
    );
    assert_eq!(eval("'xx'.matches('^x{2}$')", &none), Ok(Value::Bool(true)));
}
