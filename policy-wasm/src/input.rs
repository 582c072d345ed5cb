//! Reading resources: multi-document YAML, JSON, Kubernetes List, AdmissionReview.
//!
//! YAML is read from saphyr-parser's event stream with an explicit stack rather than a recursive
//! loader, so depth, size and alias expansion are bounded here and hostile input cannot overflow
//! the stack. Every node's line is kept by field path, so findings can point at a line.

use crate::json::{Json, Map, Number};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScanError, Span};
use thiserror::Error;

/// Largest input text accepted; the API server refuses request bodies above 3 MiB anyway.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting accepted; Telemetry objects need about 12 levels.
pub const MAX_DEPTH: usize = 100;
/// Most nodes a text may expand to (aliases included), against alias "billion laughs".
pub const MAX_NODES: usize = 2_000_000;

/// Why an input could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// The text is not valid YAML or JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// Where the text came from.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's complaint.
        message: String,
    },
    /// The bytes are not UTF-8.
    #[error("{file}:{line}:{column}: input is not valid UTF-8")]
    Utf8 {
        /// Where the text came from.
        file: String,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based column (in bytes) of the first bad byte.
        column: usize,
    },
    /// The text is larger than [`MAX_INPUT_BYTES`].
    #[error("{file}: input is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Where the text came from.
        file: String,
        /// Size of the input in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl InputError {
    /// The 1-based line the error points at, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            InputError::Syntax { line, .. } | InputError::Utf8 { line, .. } => Some(*line),
            InputError::TooLarge { .. } => None,
        }
    }
}

/// Field path → 1-based line, for one document.
pub type LineMap = BTreeMap<String, usize>;

/// One Kubernetes object found in an input, with enough context to point at its lines.
#[derive(Debug, Clone)]
pub struct Object {
    /// The object as JSON.
    pub value: Json,
    /// 0-based index of the document in the input.
    pub document: usize,
    /// Path of the object inside its document (`""`, `items[2]`, `request.object`).
    pub prefix: String,
    /// Namespace given by an enclosing AdmissionReview, used when the object names none.
    pub namespace_hint: Option<String>,
    /// Lines of the whole document (shared by the objects of a List).
    pub lines: Rc<LineMap>,
}

impl Object {
    /// The line of `path` (relative to the object), or of its nearest ancestor that has one.
    pub fn line(&self, path: &str) -> Option<usize> {
        // Objects that arrived as JSON have no lines: skip building every ancestor's path.
        if self.lines.is_empty() {
            return None;
        }
        let mut path = path;
        loop {
            let full = join(&self.prefix, path);
            if let Some(line) = self.lines.get(&full) {
                return Some(*line);
            }
            if path.is_empty() {
                return None;
            }
            path = parent_path(path);
        }
    }

    /// `apiVersion` of the object (empty when missing).
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// `kind` of the object (empty when missing).
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Json::as_str).unwrap_or("")
    }

    /// `metadata.name` (empty when missing).
    pub fn name(&self) -> &str {
        self.metadata("name").unwrap_or("")
    }

    /// `metadata.namespace`, else the AdmissionReview's namespace, else empty.
    pub fn namespace(&self) -> &str {
        self.metadata("namespace")
            .or(self.namespace_hint.as_deref())
            .unwrap_or("")
    }

    /// A string field of `metadata` (looked up directly: these run for every finding).
    fn metadata(&self, key: &str) -> Option<&str> {
        self.value.get("metadata")?.get(key)?.as_str()
    }
}

/// Appends `key` to a field path: `a.b`, or `a["x.y"]` when the key is not a plain name.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/');
    // Built by hand rather than with `format!`: paths are made for every field of every object.
    let mut out = String::with_capacity(parent.len() + key.len() + 4);
    out.push_str(parent);
    if !plain {
        out.push('[');
        crate::json::write_string(key, &mut out);
        out.push(']');
    } else {
        if !parent.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    }
    out
}

/// Appends a list index to a field path: `a[3]`.
pub fn index_path(parent: &str, index: usize) -> String {
    let mut out = String::with_capacity(parent.len() + 6);
    out.push_str(parent);
    out.push('[');
    push_decimal(index, &mut out);
    out.push(']');
    out
}

/// Appends `n` in decimal (without the formatting machinery).
fn push_decimal(n: usize, out: &mut String) {
    if n >= 10 {
        push_decimal(n / 10, out);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn join(prefix: &str, path: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + path.len() + 1);
    out.push_str(prefix);
    if !prefix.is_empty() && !path.is_empty() && !path.starts_with('[') {
        out.push('.');
    }
    out.push_str(path);
    out
}

/// The path one level up (`a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``).
fn parent_path(path: &str) -> &str {
    if path.ends_with(']') {
        // A quoted key may itself contain `[`; find the bracket that opens this segment.
        let open = if let Some(inner) = path.strip_suffix("\"]") {
            inner.rfind("[\"")
        } else {
            path.rfind('[')
        };
        if let Some(open) = open {
            return &path[..open];
        }
    }
    match path.rfind('.') {
        Some(dot) => &path[..dot],
        None => "",
    }
}

/// Decodes bytes as UTF-8, naming the line and column of the first bad byte.
pub fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, InputError> {
    core::str::from_utf8(bytes).map_err(|err| {
        let good = &bytes[..err.valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        InputError::Utf8 {
            file: file.to_string(),
            line,
            column,
        }
    })
}

/// Reads every object of `text`: YAML documents or JSON, unwrapping `List`s and AdmissionReviews.
/// Empty documents are dropped.
pub fn parse(text: &str, file: &str) -> Result<Vec<Object>, InputError> {
    let mut objects = Vec::new();
    for (index, (value, lines)) in parse_documents(text, file)?.into_iter().enumerate() {
        let lines = Rc::new(lines);
        unwrap_into(value, index, String::new(), None, &lines, &mut objects);
    }
    Ok(objects)
}

/// Reads the documents of `text` (YAML, or JSON that YAML rejects) with their line maps, before
/// any unwrapping, so [`from_documents`] gives the same objects (without lines).
pub fn parse_documents(text: &str, file: &str) -> Result<Vec<(Json, LineMap)>, InputError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            file: file.to_string(),
            size: text.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    match read_yaml(text) {
        Ok(documents) => Ok(documents),
        Err(yaml_err) => {
            // JSON that YAML rejects (tabs for indentation, for one) still deserves a fair reading.
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                let value = crate::json::parse(text).map_err(|e| InputError::Syntax {
                    file: file.to_string(),
                    line: e.line,
                    column: e.column,
                    message: e.to_string(),
                })?;
                Ok(alloc::vec![(value, LineMap::new())])
            } else {
                Err(yaml_err.into_input_error(file))
            }
        }
    }
}

/// The objects of an already parsed JSON value (a resource, a `List`, an AdmissionReview), as
/// [`parse`] unwraps them; there is no text, so no lines.
pub fn from_json(value: Json) -> Vec<Object> {
    from_documents(alloc::vec![value])
}

/// The objects of documents already parsed as JSON, numbered as [`parse`] numbers the documents
/// of a text (a `null` document counts but yields nothing); no lines.
pub fn from_documents(documents: Vec<Json>) -> Vec<Object> {
    let lines = Rc::new(LineMap::new());
    let mut objects = Vec::new();
    for (index, value) in documents.into_iter().enumerate() {
        unwrap_into(value, index, String::new(), None, &lines, &mut objects);
    }
    objects
}

/// Adds the objects in `value` (itself, a List's items, an AdmissionReview's object).
fn unwrap_into(
    mut value: Json,
    document: usize,
    prefix: String,
    namespace_hint: Option<String>,
    lines: &Rc<LineMap>,
    out: &mut Vec<Object>,
) {
    let kind = value.get("kind").and_then(Json::as_str).unwrap_or("");
    if value.is_null() {
        return;
    }
    if kind == "AdmissionReview" {
        let namespace = value
            .pointer("/request/namespace")
            .and_then(Json::as_str)
            .map(ToString::to_string);
        if let Some(object) = value.pointer_mut("/request/object") {
            let object = object.take();
            let prefix = join(&prefix, "request.object");
            unwrap_into(object, document, prefix, namespace, lines, out);
        }
        return;
    }
    if kind.ends_with("List")
        && let Some(Json::Array(items)) = value.get_mut("items")
    {
        let items = core::mem::take(items);
        for (i, item) in items.into_iter().enumerate() {
            let prefix = join(&prefix, &index_path("items", i));
            unwrap_into(item, document, prefix, namespace_hint.clone(), lines, out);
        }
        return;
    }
    out.push(Object {
        value,
        document,
        prefix,
        namespace_hint,
        lines: lines.clone(),
    });
}

/// A YAML error with its position.
struct YamlError {
    line: usize,
    column: usize,
    message: String,
}

impl YamlError {
    fn at(span: Span, message: impl Into<String>) -> Self {
        YamlError {
            line: span.start.line(),
            column: span.start.col() + 1,
            message: message.into(),
        }
    }

    fn into_input_error(self, file: &str) -> InputError {
        InputError::Syntax {
            file: file.to_string(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
    }
}

impl From<ScanError> for YamlError {
    fn from(err: ScanError) -> Self {
        YamlError {
            line: err.marker().line(),
            column: err.marker().col() + 1,
            message: err.info().to_string(),
        }
    }
}

/// A collection being built.
enum Frame {
    Sequence {
        items: Vec<Json>,
        path: String,
        anchor: usize,
    },
    Mapping {
        map: Map,
        path: String,
        anchor: usize,
        key: Option<String>,
    },
}

/// Builds JSON values and line maps from the event stream, one per document.
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<(Json, LineMap)>,
    lines: LineMap,
    anchors: BTreeMap<usize, (Json, usize)>,
    nodes: usize,
}

impl Builder {
    /// Path and line of the node about to be added; `Ok(None)` means the node is a mapping key.
    fn slot(&mut self, span: Span) -> Result<Option<String>, YamlError> {
        let path = match self.stack.last() {
            None => String::new(),
            Some(Frame::Sequence { items, path, .. }) => index_path(path, items.len()),
            Some(Frame::Mapping { key: None, .. }) => return Ok(None),
            Some(Frame::Mapping {
                key: Some(key),
                path,
                ..
            }) => key_path(path, key),
        };
        // A mapping value keeps its key's line (set when the key was read).
        self.lines.entry(path.clone()).or_insert(span.start.line());
        Ok(Some(path))
    }

    /// Counts `weight` more nodes against [`MAX_NODES`].
    fn count(&mut self, weight: usize, span: Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(weight);
        if self.nodes > MAX_NODES {
            return Err(YamlError::at(
                span,
                format!("document expands to more than {MAX_NODES} nodes"),
            ));
        }
        Ok(())
    }

    /// Adds a finished value to its parent (or finishes the document).
    fn add(
        &mut self,
        value: Json,
        anchor: usize,
        weight: usize,
        span: Span,
    ) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), weight));
        }
        match self.stack.last_mut() {
            None => {
                let lines = core::mem::take(&mut self.lines);
                self.documents.push((value, lines));
            }
            Some(Frame::Sequence { items, .. }) => items.push(value),
            Some(Frame::Mapping { map, key, .. }) => {
                let key = key.take().unwrap_or_default();
                map.insert(key, value);
            }
        }
        let _ = span;
        Ok(())
    }

    /// Handles a scalar that is a mapping key.
    fn key(&mut self, text: &str, span: Span) -> Result<(), YamlError> {
        let Some(Frame::Mapping { map, path, key, .. }) = self.stack.last_mut() else {
            return Ok(());
        };
        if map.contains_key(text) {
            return Err(YamlError::at(span, format!("duplicate key `{text}`")));
        }
        let child = key_path(path, text);
        self.lines.insert(child, span.start.line());
        *key = Some(text.to_string());
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, span)?;
                if self.slot(span)?.is_none() {
                    return self.key(&text, span);
                }
                let scalar = Scalar::parse_from_cow_and_metadata(text.clone(), style, tag.as_ref());
                let value = match scalar {
                    Some(Scalar::Null) => Json::Null,
                    Some(Scalar::Boolean(b)) => Json::Bool(b),
                    Some(Scalar::Integer(i)) => Json::Number(i.into()),
                    Some(Scalar::FloatingPoint(f)) => Number::from_f64(f.into_inner())
                        .map_or_else(|| Json::String(text.to_string()), Json::Number),
                    Some(Scalar::String(s)) => Json::String(s.into_owned()),
                    None => Json::String(text.to_string()),
                };
                self.add(value, anchor, 1, span)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.count(1, span)?;
                let Some(path) = self.slot(span)? else {
                    return Err(YamlError::at(
                        span,
                        "complex mapping keys are not supported",
                    ));
                };
                if self.stack.len() >= MAX_DEPTH {
                    return Err(YamlError::at(
                        span,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Sequence {
                        items: Vec::new(),
                        path,
                        anchor,
                    }
                } else {
                    Frame::Mapping {
                        map: Map::new(),
                        path,
                        anchor,
                        key: None,
                    }
                };
                self.stack.push(frame);
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let start = self.nodes;
                let (value, anchor) = match self.stack.pop() {
                    Some(Frame::Sequence { items, anchor, .. }) => (Json::Array(items), anchor),
                    Some(Frame::Mapping { map, anchor, .. }) => (Json::Object(map), anchor),
                    None => return Ok(()),
                };
                // The weight of an anchored collection is only needed for alias expansion; its
                // exact size is unknown here, so count it by its encoded length as an upper bound.
                let weight = if anchor != 0 { weight_of(&value) } else { 0 };
                let _ = start;
                self.add(value, anchor, weight, span)
            }
            Event::Alias(id) => {
                let Some((value, weight)) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError::at(span, "alias to an unknown anchor"));
                };
                self.count(weight.max(1), span)?;
                if self.slot(span)?.is_none() {
                    let Json::String(text) = value else {
                        return Err(YamlError::at(
                            span,
                            "complex mapping keys are not supported",
                        ));
                    };
                    return self.key(&text, span);
                }
                self.add(value, 0, weight, span)
            }
            Event::DocumentEnd => {
                self.anchors.clear();
                Ok(())
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {
                Ok(())
            }
        }
    }
}

/// Number of nodes in `value`, counted without recursion.
fn weight_of(value: &Json) -> usize {
    let mut count = 0;
    let mut pending = alloc::vec![value];
    while let Some(v) = pending.pop() {
        count += 1;
        match v {
            Json::Array(items) => pending.extend(items.iter()),
            Json::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// Reads all YAML documents of `text`.
fn read_yaml(text: &str) -> Result<Vec<(Json, LineMap)>, YamlError> {
    let mut builder = Builder {
        stack: Vec::new(),
        documents: Vec::new(),
        lines: LineMap::new(),
        anchors: BTreeMap::new(),
        nodes: 0,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item?;
        builder.event(event, span)?;
    }
    Ok(builder.documents)
}
