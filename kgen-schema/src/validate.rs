//! Validation of JSON values against a schema, with the API server's defaulting and pruning.
//!
//! These functions implement what the Kubernetes API server does with a custom resource once its
//! CRD is installed, minus CEL:
//!
//! * [`prune`] / [`prune_node`]: drop fields the schema does not know, then `null`s of fields
//!   that are not `nullable` and have no `default` ([`drop_non_nullable_nulls`]);
//! * [`apply_defaults`]: fill in `default`s of absent (or non-nullable `null`) fields;
//! * [`validate_value`]: check the OpenAPI value validations (`type`, `enum`, bounds, `pattern`,
//!   `required`, list types, formats, ...);
//! * [`unknown_fields`] / [`unknown_fields_of_object`]: report what pruning would drop.
//!
//! The API server runs them in the order prune (unknown fields, then non-nullable nulls), default,
//! validate: so a `null` sent for an optional field is as if it were absent, one for a field with
//! a default gets the default, and one for a required field is reported as `Required value`. kgen
//! uses them to check `default`s and `example`s at generation time; an in-memory fake API server
//! can use them on whole objects.
//!
//! Paths in [`ValueError`] name the offending value: `spec.nodePools[0].count` (properties with a
//! dot, list items with `[index]`, map entries with `[key]`); the root is the empty string.

use crate::types::Schema;
use regex::Regex;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// One problem with a value: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Path of the offending value, e.g. `spec.nodePools[0].count`; empty for the root.
    pub path: String,
    /// What is wrong, e.g. `must be of type integer, got string`.
    pub message: String,
}

impl ValueError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        ValueError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValueError {
    /// `path: message`, or just the message for the root.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The top-level keys of `ObjectMeta` (`metadata`), which the API server keeps on resource roots
/// whatever the schema says.
pub const OBJECT_META_FIELDS: &[&str] = &[
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
];

// ---------------------------------------------------------------------------------------------
// Paths

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn key(path: &str, k: &str) -> String {
    format!("{path}[{k}]")
}

// ---------------------------------------------------------------------------------------------
// Numbers and JSON equality

/// A JSON number, exact for integers.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn of(n: &Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i as i128)
        } else if let Some(u) = n.as_u64() {
            Num::Int(u as i128)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// The value as an integer, if it has no fractional part.
    fn as_int(self) -> Option<i128> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 => Some(f as i128),
            Num::Float(_) => None,
        }
    }

    fn cmp(self, other: Num) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

/// True if `n` is a whole number (`2` or `2.0`): the API server's notion of an integer.
fn is_integer(n: &Number) -> bool {
    Num::of(n).as_int().is_some()
}

/// Equality of JSON values, numbers compared by value (`1` equals `1.0`), as the API server
/// compares decoded JSON.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Num::of(x).cmp(Num::of(y)) == Some(std::cmp::Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The JSON kind of a value: `string`, `integer`, `number`, `boolean`, `object`, `array`, `null`.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value for a message, cut short if long.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns

thread_local! {
    static PATTERNS: RefCell<HashMap<String, Result<Regex, String>>> = RefCell::new(HashMap::new());
}

/// Compiles `pattern` (cached per thread) as the API server does: with Go's `regexp` syntax and
/// meaning (ASCII `\d \w \s \b`, `\Q...\E`, octal escapes, ...), translated for the `regex`
/// crate by [`go_regex::compile`](crate::go_regex::compile). The error is Go's message.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    PATTERNS.with(|cache| {
        cache
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| crate::go_regex::compile(pattern).map_err(|e| e.to_string()))
            .clone()
    })
}

// ---------------------------------------------------------------------------------------------
// Types

/// Why `value` does not have the node's type (`type`, `nullable`, `x-kubernetes-int-or-string`),
/// or `None` when it does. Untyped nodes accept anything.
pub fn type_error(s: &Schema, value: &Value) -> Option<String> {
    if value.is_null() && s.nullable {
        return None;
    }
    if s.int_or_string == Some(true) {
        return match value {
            Value::String(_) => None,
            Value::Number(n) if is_integer(n) => None,
            _ => Some(format!("must be an integer or a string, got {}", kind_of(value))),
        };
    }
    let t = s.ty().filter(|t| !t.is_empty())?;
    let ok = match (t, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => is_integer(n),
        ("object", Value::Object(_)) | ("array", Value::Array(_)) => true,
        _ => false,
    };
    if ok {
        None
    } else if t == "integer" && matches!(value, Value::Number(_)) {
        Some(format!(
            "must be of type integer, got {} (a number with a fractional part)",
            show(value)
        ))
    } else {
        Some(format!("must be of type {t}, got {}", kind_of(value)))
    }
}

// ---------------------------------------------------------------------------------------------
// Formats

/// Formats whose values are checked (others are accepted as they are).
fn format_error(format: &str, value: &Value) -> Option<String> {
    match (format, value) {
        ("date-time" | "datetime", Value::String(s)) if !is_date_time(s) => Some(format!(
            "must be a date-time (RFC 3339, e.g. \"2006-01-02T15:04:05Z\"), got {}",
            show(value)
        )),
        ("date", Value::String(s)) if !is_date(s) => Some(format!(
            "must be a date (RFC 3339 full-date, e.g. \"2006-01-02\"), got {}",
            show(value)
        )),
        ("byte", Value::String(s)) if !is_base64(s) => Some(format!(
            "must be base64-encoded (standard alphabet, padded), got {}",
            show(value)
        )),
        ("int32", Value::Number(n)) => match Num::of(n).as_int() {
            Some(i) if i < i32::MIN as i128 || i > i32::MAX as i128 => {
                Some(format!("must fit in a 32-bit integer (format int32), got {n}"))
            }
            _ => None,
        },
        ("int64", Value::Number(n)) => match Num::of(n).as_int() {
            Some(i) if i < i64::MIN as i128 || i > i64::MAX as i128 => {
                Some(format!("must fit in a 64-bit integer (format int64), got {n}"))
            }
            _ => None,
        },
        _ => None,
    }
}

fn digits(s: &str) -> Option<u32> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `YYYY-MM-DD` with a real day of that month.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10])) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// An RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z` in either case
/// (as the API server's checker; it does not accept leap seconds either).
pub(crate) fn is_date_time(s: &str) -> bool {
    // Every valid form is ASCII; the byte offsets below would split a multi-byte character.
    if !s.is_ascii() {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let Some((date, time)) = lower.split_once('t') else {
        return false;
    };
    if !is_date(date) || time.len() < 9 {
        return false;
    }
    let (hms, rest) = time.split_at(8);
    let hb = hms.as_bytes();
    if hb[2] != b':' || hb[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&hms[0..2]), digits(&hms[3..5]), digits(&hms[6..8])) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(frac) => {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            &frac[n..]
        }
        None => rest,
    };
    if rest == "z" {
        return true;
    }
    let rb = rest.as_bytes();
    if rb.len() != 6 || !(rb[0] == b'+' || rb[0] == b'-') || rb[3] != b':' {
        return false;
    }
    matches!((digits(&rest[1..3]), digits(&rest[4..6])), (Some(h), Some(m)) if h <= 23 && m <= 59)
}

/// Standard base64 with padding, line breaks ignored (Go's `base64.StdEncoding`).
pub(crate) fn is_base64(s: &str) -> bool {
    let clean: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !clean.len().is_multiple_of(4) {
        return false;
    }
    let pad = clean.iter().rev().take_while(|b| **b == b'=').count();
    if pad > 2 {
        return false;
    }
    clean[..clean.len() - pad]
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Validates `value` against `schema` as the API server validates a custom resource (after
/// pruning and defaulting), without CEL rules: `type`, `nullable`, `enum`, `minimum`/`maximum`
/// (with the exclusive flags), `multipleOf`, `minLength`/`maxLength` (in Unicode characters),
/// `pattern`, `format` (`date-time`, `date`, `byte`, `int32`, `int64`), `minItems`/`maxItems`,
/// `items`, `properties`, `required`, `additionalProperties`, `minProperties`/`maxProperties`,
/// `allOf`, `anyOf`, `oneOf`, `not`, `x-kubernetes-int-or-string`, `x-kubernetes-list-type` `set`
/// and `map` uniqueness, and the `apiVersion`/`kind` of `x-kubernetes-embedded-resource` objects.
///
/// Unknown fields are not errors here (the API server prunes them): see [`unknown_fields`].
/// An invalid `pattern` is reported as an error on the value it should have checked.
/// Paths are relative to `value` (the root is the empty string).
pub fn validate_value(schema: &Schema, value: &Value) -> Vec<ValueError> {
    let mut out = Vec::new();
    validate_at(schema, value, "", &mut out);
    out
}

fn validate_at(s: &Schema, value: &Value, path: &str, out: &mut Vec<ValueError>) {
    if value.is_null() && s.nullable {
        return;
    }
    if let Some(msg) = type_error(s, value) {
        out.push(ValueError::new(path, msg));
        return;
    }
    // The int-or-string `anyOf: [{type: integer}, {type: string}]` is what `type_error` checked.
    let int_or_string_any_of = s.int_or_string == Some(true) && is_int_or_string_any_of(&s.any_of);

    if let Some(values) = &s.enum_
        && !values.iter().any(|e| json_eq(e, value))
    {
        let list: Vec<String> = values.iter().map(show).collect();
        out.push(ValueError::new(
            path,
            format!("must be one of {}, got {}", list.join(", "), show(value)),
        ));
    }

    match value {
        Value::Number(n) => validate_number(s, n, path, out),
        Value::String(text) => validate_string(s, text, value, path, out),
        Value::Array(items) => validate_array(s, items, path, out),
        Value::Object(map) => validate_object(s, map, path, out),
        _ => {}
    }

    if !s.any_of.is_empty() && !int_or_string_any_of {
        let mut failures = Vec::new();
        for (i, branch) in s.any_of.iter().enumerate() {
            let mut errs = Vec::new();
            validate_at(branch, value, path, &mut errs);
            if errs.is_empty() {
                failures.clear();
                break;
            }
            failures.push(format!("anyOf[{i}]: {}", join_errors(&errs, path)));
        }
        if !failures.is_empty() {
            out.push(ValueError::new(
                path,
                format!("must match at least one schema of anyOf ({})", failures.join("; ")),
            ));
        }
    }
    if !s.one_of.is_empty() {
        let mut matched = Vec::new();
        let mut failures = Vec::new();
        for (i, branch) in s.one_of.iter().enumerate() {
            let mut errs = Vec::new();
            validate_at(branch, value, path, &mut errs);
            if errs.is_empty() {
                matched.push(format!("oneOf[{i}]"));
            } else {
                failures.push(format!("oneOf[{i}]: {}", join_errors(&errs, path)));
            }
        }
        match matched.len() {
            1 => {}
            0 => out.push(ValueError::new(
                path,
                format!(
                    "must match exactly one schema of oneOf, but matches none ({})",
                    failures.join("; ")
                ),
            )),
            _ => out.push(ValueError::new(
                path,
                format!(
                    "must match exactly one schema of oneOf, but matches {}",
                    matched.join(", ")
                ),
            )),
        }
    }
    // As the API server's validator: the errors of every failing allOf branch, at their own paths.
    for branch in &s.all_of {
        validate_at(branch, value, path, out);
    }
    if let Some(not) = &s.not {
        let mut errs = Vec::new();
        validate_at(not, value, path, &mut errs);
        if errs.is_empty() {
            out.push(ValueError::new(
                path,
                format!("must not match the schema in not ({})", show_schema(not)),
            ));
        }
    }
}

/// A schema for a message, cut short if long.
fn show_schema(s: &Schema) -> String {
    show(&s.to_json())
}

/// Errors of a branch, paths shown relative to the branch's value.
fn join_errors(errs: &[ValueError], base: &str) -> String {
    errs.iter()
        .map(|e| {
            let rel = e.path.strip_prefix(base).unwrap_or(&e.path).trim_start_matches('.');
            if rel.is_empty() {
                e.message.clone()
            } else {
                format!("{rel}: {}", e.message)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `anyOf: [{type: integer}, {type: string}]` and nothing else in either branch.
pub fn is_int_or_string_any_of(any_of: &[Schema]) -> bool {
    any_of.len() == 2
        && Schema {
            origin: None,
            keyword_origins: Default::default(),
            ..any_of[0].clone()
        } == Schema::typed("integer")
        && Schema {
            origin: None,
            keyword_origins: Default::default(),
            ..any_of[1].clone()
        } == Schema::typed("string")
}

fn validate_number(s: &Schema, n: &Number, path: &str, out: &mut Vec<ValueError>) {
    let v = Num::of(n);
    if let Some(min) = &s.minimum {
        let exclusive = s.exclusive_minimum == Some(true);
        let ord = v.cmp(Num::of(min));
        let ok = match ord {
            Some(std::cmp::Ordering::Greater) => true,
            Some(std::cmp::Ordering::Equal) => !exclusive,
            _ => false,
        };
        if !ok {
            let rel = if exclusive {
                "greater than"
            } else {
                "greater than or equal to"
            };
            out.push(ValueError::new(path, format!("must be {rel} {min}, got {n}")));
        }
    }
    if let Some(max) = &s.maximum {
        let exclusive = s.exclusive_maximum == Some(true);
        let ok = match v.cmp(Num::of(max)) {
            Some(std::cmp::Ordering::Less) => true,
            Some(std::cmp::Ordering::Equal) => !exclusive,
            _ => false,
        };
        if !ok {
            let rel = if exclusive {
                "less than"
            } else {
                "less than or equal to"
            };
            out.push(ValueError::new(path, format!("must be {rel} {max}, got {n}")));
        }
    }
    if let Some(m) = &s.multiple_of {
        let ok = match (v, Num::of(m)) {
            (_, Num::Int(0)) => true, // an invalid schema; check.rs reports it
            (Num::Int(a), Num::Int(b)) => a % b == 0,
            (a, b) => {
                let b = b.as_f64();
                b == 0.0 || is_multiple(a.as_f64(), b)
            }
        };
        if !ok {
            out.push(ValueError::new(path, format!("must be a multiple of {m}, got {n}")));
        }
    }
    if let Some(f) = &s.format
        && let Some(msg) = format_error(f, &Value::Number(n.clone()))
    {
        out.push(ValueError::new(path, msg));
    }
}

/// Whether `value` is a multiple of `factor` (not 0) up to floating-point error, as the API
/// server's go-openapi validator decides for non-integers (`MultipleOf` with
/// `IsFloat64AJSONInteger`): the quotient (`value * (1 / factor)` for factors below 1, which is
/// exact more often, else `value / factor`) must be within a relative 1e-9 of a whole number in
/// ±(2^53 - 1). So `0.3` is a multiple of `0.1`, and `0.35` is not.
pub(crate) fn is_multiple(value: f64, factor: f64) -> bool {
    const EPSILON: f64 = 1e-9;
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0; // 2^53 - 1
    let q = if factor.abs() < 1.0 {
        1.0 / factor * value
    } else {
        value / factor
    };
    if !q.is_finite() || q.abs() > MAX_SAFE {
        return false;
    }
    let rounded = q.round();
    q == rounded || (rounded != 0.0 && (q - rounded).abs() < EPSILON * rounded.abs())
}

fn validate_string(s: &Schema, text: &str, value: &Value, path: &str, out: &mut Vec<ValueError>) {
    let len = text.chars().count() as i64;
    if let Some(min) = s.min_length
        && len < min
    {
        out.push(ValueError::new(
            path,
            format!("must be at least {min} characters long, got {len}"),
        ));
    }
    if let Some(max) = s.max_length
        && len > max
    {
        out.push(ValueError::new(
            path,
            format!("must be at most {max} characters long, got {len}"),
        ));
    }
    if let Some(p) = &s.pattern {
        match compile_pattern(p) {
            Ok(re) if re.is_match(text) => {}
            Ok(_) => out.push(ValueError::new(
                path,
                format!("must match the pattern {p:?}, got {}", show(value)),
            )),
            Err(e) => out.push(ValueError::new(path, format!("has an invalid pattern {p:?}: {e}"))),
        }
    }
    if let Some(f) = &s.format
        && let Some(msg) = format_error(f, value)
    {
        out.push(ValueError::new(path, msg));
    }
}

fn validate_array(s: &Schema, items: &[Value], path: &str, out: &mut Vec<ValueError>) {
    let n = items.len() as i64;
    if let Some(min) = s.min_items
        && n < min
    {
        out.push(ValueError::new(
            path,
            format!("must have at least {min} item{}, got {n}", plural(min)),
        ));
    }
    if let Some(max) = s.max_items
        && n > max
    {
        out.push(ValueError::new(
            path,
            format!("must have at most {max} item{}, got {n}", plural(max)),
        ));
    }
    if let Some(item_schema) = &s.items {
        for (i, item) in items.iter().enumerate() {
            validate_at(item_schema, item, &index(path, i), out);
        }
    }
    match s.list_type.as_deref() {
        Some("set") => {
            for (j, item) in items.iter().enumerate() {
                if items[..j].iter().any(|earlier| json_eq(earlier, item)) {
                    out.push(ValueError::new(
                        &index(path, j),
                        format!("Duplicate value: {}", show(item)),
                    ));
                }
            }
        }
        Some("map") if !s.list_map_keys.is_empty() => {
            // Items that are not objects are type errors reported above.
            let keys: Vec<Option<Value>> = items.iter().map(|item| map_key(item, &s.list_map_keys)).collect();
            for (j, k) in keys.iter().enumerate() {
                let Some(k) = k else { continue };
                if keys[..j].iter().flatten().any(|earlier| json_eq(earlier, k)) {
                    out.push(ValueError::new(
                        &index(path, j),
                        format!("Duplicate value: {}", show(k)),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// The key of a list-map item: an object of its key fields (absent keys are `null`).
fn map_key(item: &Value, keys: &[String]) -> Option<Value> {
    let obj = item.as_object()?;
    Some(Value::Object(
        keys.iter()
            .map(|k| (k.clone(), obj.get(k).cloned().unwrap_or(Value::Null)))
            .collect(),
    ))
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn validate_object(s: &Schema, map: &Map<String, Value>, path: &str, out: &mut Vec<ValueError>) {
    for r in &s.required {
        if !map.contains_key(r) {
            out.push(ValueError::new(&child(path, r), "Required value"));
        }
    }
    let n = map.len() as i64;
    if let Some(min) = s.min_properties
        && n < min
    {
        out.push(ValueError::new(
            path,
            format!("must have at least {min} propert{}, got {n}", ies(min)),
        ));
    }
    if let Some(max) = s.max_properties
        && n > max
    {
        out.push(ValueError::new(
            path,
            format!("must have at most {max} propert{}, got {n}", ies(max)),
        ));
    }
    for (k, v) in map {
        if let Some(p) = s.properties.get(k) {
            validate_at(p, v, &child(path, k), out);
        } else if let Some(ap) = &s.additional_properties {
            validate_at(ap, v, &key(path, k), out);
        }
    }
    if s.embedded_resource == Some(true) {
        validate_type_meta(map, path, out);
    }
}

fn ies(n: i64) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

/// `apiVersion` and `kind` of an embedded resource: required, non-empty strings; `apiVersion` a
/// group/version, `kind` a DNS-1035 label once lower-cased.
fn validate_type_meta(map: &Map<String, Value>, path: &str, out: &mut Vec<ValueError>) {
    match map.get("apiVersion") {
        None => out.push(ValueError::new(&child(path, "apiVersion"), "Required value")),
        Some(Value::String(v)) if v.is_empty() => {
            out.push(ValueError::new(&child(path, "apiVersion"), "must not be empty"))
        }
        Some(Value::String(v)) => {
            if v.split('/').count() > 2 || v.starts_with('/') || v.ends_with('/') {
                out.push(ValueError::new(
                    &child(path, "apiVersion"),
                    format!("must be a version or group/version, got {v:?}"),
                ));
            }
        }
        Some(other) => out.push(ValueError::new(
            &child(path, "apiVersion"),
            format!("must be a string, got {}", kind_of(other)),
        )),
    }
    match map.get("kind") {
        None => out.push(ValueError::new(&child(path, "kind"), "Required value")),
        Some(Value::String(v)) if v.is_empty() => out.push(ValueError::new(&child(path, "kind"), "must not be empty")),
        Some(Value::String(v)) => {
            let lower = v.to_ascii_lowercase();
            let b = lower.as_bytes();
            let ok = b.len() <= 63
                && b[0].is_ascii_lowercase()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[b.len() - 1] != b'-';
            if !ok {
                out.push(ValueError::new(
                    &child(path, "kind"),
                    format!(
                        "must be a letter followed by letters, digits or '-' (not ending with '-'), at most 63 characters, got {v:?}"
                    ),
                ));
            }
        }
        Some(other) => out.push(ValueError::new(
            &child(path, "kind"),
            format!("must be a string, got {}", kind_of(other)),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Pruning

/// Reports the fields [`prune_node`] would drop from `value`, a value of the node `schema`:
/// `unknown field "x"` on the path of the object holding `x`.
///
/// A field is unknown when its object's schema neither lists it in `properties` nor has
/// `additionalProperties`, unless `x-kubernetes-preserve-unknown-fields` is set on that object
/// (then only its known properties are looked into). Note that `{type: object}` with neither
/// properties nor additionalProperties knows no field at all. `value` is a resource root only if
/// `schema` is an `x-kubernetes-embedded-resource` (the API server checks defaults this way).
pub fn unknown_fields(schema: &Schema, value: &Value) -> Vec<ValueError> {
    let mut v = value.clone();
    let mut out = Vec::new();
    prune_at(&mut v, schema, schema.embedded_resource == Some(true), "", &mut out);
    out
}

/// Like [`unknown_fields`], for a whole custom resource: `apiVersion`, `kind` and `metadata` are
/// always known at the top, and unknown top-level keys of `metadata` are reported.
pub fn unknown_fields_of_object(schema: &Schema, value: &Value) -> Vec<ValueError> {
    let mut v = value.clone();
    let mut out = Vec::new();
    prune_at(&mut v, schema, true, "", &mut out);
    out
}

/// Drops unknown fields from `value`, a whole custom resource whose `openAPIV3Schema` is `schema`,
/// then the `null`s of fields that are neither `nullable` nor defaulted
/// ([`drop_non_nullable_nulls`]), as the API server does when it decodes a custom resource, before
/// defaulting and validation.
///
/// At resource roots (the top, and every `x-kubernetes-embedded-resource` object) `apiVersion` and
/// `kind` are kept, and `metadata` keeps the top-level keys of `ObjectMeta` (see
/// [`OBJECT_META_FIELDS`]) whatever the schema says. Under
/// `x-kubernetes-preserve-unknown-fields: true` unknown fields are kept, but known properties
/// (and the items of preserved arrays) are still pruned by their own schemas. The items of an
/// array without an `items` schema (which a structural schema cannot have) are kept as they are.
///
/// `allOf`, `anyOf`, `oneOf` and `not` play no part: in a structural schema they cannot declare
/// fields.
pub fn prune(schema: &Schema, value: &mut Value) {
    prune_at(value, schema, true, "", &mut Vec::new());
    drop_non_nullable_nulls(schema, value);
}

/// Like [`prune`], for a value of the node `schema` rather than a whole object: the value is a
/// resource root only if `schema` is an `x-kubernetes-embedded-resource`.
pub fn prune_node(schema: &Schema, value: &mut Value) {
    prune_at(
        value,
        schema,
        schema.embedded_resource == Some(true),
        "",
        &mut Vec::new(),
    );
    drop_non_nullable_nulls(schema, value);
}

/// Drops every object field whose value is `null` and whose schema (in `properties`, else
/// `additionalProperties`) is neither `nullable` nor has a `default`, at any depth; [`prune`] and
/// [`prune_node`] call it. This is the API server's `PruneNonNullableNullsWithoutDefaults`, run
/// right after pruning: a `null` sent for an optional field is then as if the field were absent,
/// and one for a required field is reported as `Required value` rather than as a type error.
/// `null`s that have a default are left for [`apply_defaults`] to replace.
///
/// List items are never dropped (a `null` item of a non-nullable list stays, and fails
/// validation), and fields without a schema (unknown fields under
/// `x-kubernetes-preserve-unknown-fields`) are kept.
pub fn drop_non_nullable_nulls(schema: &Schema, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let field_schema = |k: &str| schema.properties.get(k).or(schema.additional_properties.as_deref());
            map.retain(|k, v| !(v.is_null() && field_schema(k).is_some_and(|f| !f.nullable && f.default.is_none())));
            for (k, v) in map.iter_mut() {
                if let Some(f) = field_schema(k) {
                    drop_non_nullable_nulls(f, v);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &schema.items {
                for item in items {
                    drop_non_nullable_nulls(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

fn prune_at(v: &mut Value, s: &Schema, resource_root: bool, path: &str, out: &mut Vec<ValueError>) {
    if s.preserve_unknown_fields == Some(true) {
        prune_preserved(v, s, resource_root, path, out);
        return;
    }
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if resource_root && (k == "apiVersion" || k == "kind") {
                    continue;
                }
                let x = map.get_mut(&k).expect("present");
                if resource_root && k == "metadata" {
                    prune_metadata(x, &child(path, &k), out);
                } else if let Some(p) = s.properties.get(&k) {
                    prune_at(x, p, p.embedded_resource == Some(true), &child(path, &k), out);
                } else if let Some(ap) = &s.additional_properties {
                    prune_at(x, ap, ap.embedded_resource == Some(true), &key(path, &k), out);
                } else {
                    map.remove(&k);
                    out.push(ValueError::new(path, format!("unknown field {k:?}")));
                }
            }
        }
        Value::Array(items) => {
            // An array schema without `items` is not structural; its items are kept as they are
            // rather than pruned against no schema (which would empty every object in them).
            if let Some(item_schema) = &s.items {
                let root = item_schema.embedded_resource == Some(true);
                for (i, item) in items.iter_mut().enumerate() {
                    prune_at(item, item_schema, root, &index(path, i), out);
                }
            }
        }
        _ => {}
    }
}

/// Pruning under `x-kubernetes-preserve-unknown-fields`: unknown keys stay, known ones are pruned
/// by their schemas; array items are treated the same way (preservation carries over to items).
fn prune_preserved(v: &mut Value, s: &Schema, resource_root: bool, path: &str, out: &mut Vec<ValueError>) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if resource_root && (k == "apiVersion" || k == "kind") {
                    continue;
                }
                let x = map.get_mut(&k).expect("present");
                if resource_root && k == "metadata" {
                    prune_metadata(x, &child(path, &k), out);
                } else if let Some(p) = s.properties.get(&k) {
                    prune_at(x, p, p.embedded_resource == Some(true), &child(path, &k), out);
                } else if let Some(ap) = &s.additional_properties {
                    prune_at(x, ap, ap.embedded_resource == Some(true), &key(path, &k), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &s.items {
                let root = item_schema.embedded_resource == Some(true);
                for (i, item) in items.iter_mut().enumerate() {
                    prune_preserved(item, item_schema, root, &index(path, i), out);
                }
            }
        }
        _ => {}
    }
}

/// `metadata` of a resource root keeps ObjectMeta's top-level keys only (the API server decodes it
/// into ObjectMeta, which drops the rest).
fn prune_metadata(v: &mut Value, path: &str, out: &mut Vec<ValueError>) {
    if let Value::Object(map) = v {
        let unknown: Vec<String> = map
            .keys()
            .filter(|k| !OBJECT_META_FIELDS.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            map.remove(&k);
            out.push(ValueError::new(path, format!("unknown field {k:?}")));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Defaulting

/// Fills in defaults as the API server does (after pruning, before validation): in every object,
/// each property that has a `default` and is absent, or is `null` without being `nullable`, gets
/// a copy of the default; likewise `null` list items and `null` map values whose schema
/// (`items`, `additionalProperties`) has a default and is not nullable. Then every value is
/// defaulted by its own schema, including the defaults just filled in (so nested defaults apply
/// inside them). The root's own `default` is not used.
pub fn apply_defaults(schema: &Schema, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, p) in &schema.properties {
                if let Some(d) = &p.default {
                    match map.get(k) {
                        None => {
                            map.insert(k.clone(), d.clone());
                        }
                        Some(Value::Null) if !p.nullable => {
                            map.insert(k.clone(), d.clone());
                        }
                        _ => {}
                    }
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(p) = schema.properties.get(k) {
                    apply_defaults(p, v);
                } else if let Some(ap) = &schema.additional_properties {
                    default_null(ap, v);
                    apply_defaults(ap, v);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &schema.items {
                for v in items.iter_mut() {
                    default_null(item_schema, v);
                    apply_defaults(item_schema, v);
                }
            }
        }
        _ => {}
    }
}

fn default_null(s: &Schema, v: &mut Value) {
    if v.is_null()
        && !s.nullable
        && let Some(d) = &s.default
    {
        *v = d.clone();
    }
}

/// A schema accepting anything (for paths under `x-kubernetes-preserve-unknown-fields`).
pub static ANY: LazyLock<Schema> = LazyLock::new(|| Schema {
    preserve_unknown_fields: Some(true),
    ..Default::default()
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(props: Vec<(&str, Schema)>) -> Schema {
        Schema {
            properties: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ..Schema::typed("object")
        }
    }

    fn arr(items: Schema) -> Schema {
        Schema {
            items: Some(Box::new(items)),
            ..Schema::typed("array")
        }
    }

    fn errs(s: &Schema, v: Value) -> Vec<String> {
        validate_value(s, &v).iter().map(ToString::to_string).collect()
    }

    fn one(s: &Schema, v: Value) -> ValueError {
        let e = validate_value(s, &v);
        assert_eq!(e.len(), 1, "expected one error, got {e:?}");
        e.into_iter().next().unwrap()
    }

    #[test]
    fn display_is_path_colon_message() {
        assert_eq!(ValueError::new("spec.a", "bad").to_string(), "spec.a: bad");
        assert_eq!(ValueError::new("", "bad").to_string(), "bad");
    }

    #[test]
    fn type_string() {
        let e = one(&Schema::typed("string"), json!(1));
        assert_eq!(e.path, "");
        assert_eq!(e.message, "must be of type string, got integer");
        assert!(errs(&Schema::typed("string"), json!("x")).is_empty());
    }

    #[test]
    fn type_integer_accepts_whole_floats_only() {
        let s = Schema::typed("integer");
        assert!(errs(&s, json!(3)).is_empty());
        assert!(errs(&s, json!(3.0)).is_empty());
        assert!(one(&s, json!(3.5)).message.contains("must be of type integer, got 3.5"));
        assert_eq!(one(&s, json!("3")).message, "must be of type integer, got string");
    }

    #[test]
    fn type_number_accepts_integers() {
        let s = Schema::typed("number");
        assert!(errs(&s, json!(3)).is_empty());
        assert!(errs(&s, json!(3.25)).is_empty());
        assert_eq!(one(&s, json!(true)).message, "must be of type number, got boolean");
    }

    #[test]
    fn type_boolean_object_array() {
        assert_eq!(
            one(&Schema::typed("boolean"), json!("true")).message,
            "must be of type boolean, got string"
        );
        assert_eq!(
            one(&Schema::typed("object"), json!([])).message,
            "must be of type object, got array"
        );
        assert_eq!(
            one(&arr(Schema::typed("string")), json!({})).message,
            "must be of type array, got object"
        );
    }

    #[test]
    fn nullable() {
        let s = Schema::typed("string");
        assert_eq!(one(&s, Value::Null).message, "must be of type string, got null");
        let s = Schema {
            nullable: true,
            min_length: Some(3),
            ..Schema::typed("string")
        };
        assert!(errs(&s, Value::Null).is_empty());
        // Untyped (preserve-unknown-fields) nodes accept null.
        assert!(errs(&ANY, Value::Null).is_empty());
    }

    #[test]
    fn enum_uses_json_equality() {
        let s = Schema {
            enum_: Some(vec![json!("a"), json!("b")]),
            ..Schema::typed("string")
        };
        assert!(errs(&s, json!("a")).is_empty());
        assert_eq!(one(&s, json!("c")).message, r#"must be one of "a", "b", got "c""#);
        let n = Schema {
            enum_: Some(vec![json!(1), json!(2)]),
            ..Schema::typed("integer")
        };
        assert!(errs(&n, json!(1.0)).is_empty());
        let o = Schema {
            enum_: Some(vec![json!({"a": [1, 2]})]),
            ..Schema::typed("object")
        };
        assert!(errs(&o, json!({"a": [1, 2]})).is_empty());
        assert_eq!(errs(&o, json!({"a": [2, 1]})).len(), 1);
    }

    #[test]
    fn minimum_and_maximum() {
        let s = Schema {
            minimum: Some(1.into()),
            maximum: Some(10.into()),
            ..Schema::typed("integer")
        };
        assert!(errs(&s, json!(1)).is_empty());
        assert!(errs(&s, json!(10)).is_empty());
        assert_eq!(one(&s, json!(0)).message, "must be greater than or equal to 1, got 0");
        assert_eq!(one(&s, json!(11)).message, "must be less than or equal to 10, got 11");
    }

    #[test]
    fn exclusive_bounds() {
        let s = Schema {
            minimum: Some(1.into()),
            exclusive_minimum: Some(true),
            maximum: Some(Number::from_f64(2.5).unwrap()),
            exclusive_maximum: Some(true),
            ..Schema::typed("number")
        };
        assert_eq!(one(&s, json!(1)).message, "must be greater than 1, got 1");
        assert_eq!(one(&s, json!(2.5)).message, "must be less than 2.5, got 2.5");
        assert!(errs(&s, json!(2)).is_empty());
    }

    #[test]
    fn multiple_of() {
        let s = Schema {
            multiple_of: Some(5.into()),
            ..Schema::typed("integer")
        };
        assert!(errs(&s, json!(15)).is_empty());
        assert!(errs(&s, json!(-10)).is_empty());
        assert_eq!(one(&s, json!(7)).message, "must be a multiple of 5, got 7");
        let f = Schema {
            multiple_of: Some(Number::from_f64(0.5).unwrap()),
            ..Schema::typed("number")
        };
        assert!(errs(&f, json!(1.5)).is_empty());
        assert_eq!(one(&f, json!(1.25)).message, "must be a multiple of 0.5, got 1.25");
    }

    #[test]
    fn lengths_count_characters() {
        let s = Schema {
            min_length: Some(2),
            max_length: Some(3),
            ..Schema::typed("string")
        };
        assert!(errs(&s, json!("äöü")).is_empty(), "3 characters, 6 bytes");
        assert_eq!(one(&s, json!("a")).message, "must be at least 2 characters long, got 1");
        assert_eq!(
            one(&s, json!("abcd")).message,
            "must be at most 3 characters long, got 4"
        );
    }

    #[test]
    fn pattern() {
        let s = Schema {
            pattern: Some("^[a-z]+$".into()),
            ..Schema::typed("string")
        };
        assert!(errs(&s, json!("abc")).is_empty());
        assert_eq!(
            one(&s, json!("aB")).message,
            r#"must match the pattern "^[a-z]+$", got "aB""#
        );
        // Unanchored patterns match anywhere, as in Go.
        let s = Schema {
            pattern: Some("b".into()),
            ..Schema::typed("string")
        };
        assert!(errs(&s, json!("abc")).is_empty());
    }

    #[test]
    fn invalid_pattern_is_reported() {
        let s = Schema {
            pattern: Some("(".into()),
            ..Schema::typed("string")
        };
        assert!(one(&s, json!("x")).message.starts_with(r#"has an invalid pattern "(""#));
    }

    #[test]
    fn min_and_max_items() {
        let s = Schema {
            min_items: Some(1),
            max_items: Some(2),
            ..arr(Schema::typed("string"))
        };
        assert_eq!(one(&s, json!([])).message, "must have at least 1 item, got 0");
        assert_eq!(
            one(&s, json!(["a", "b", "c"])).message,
            "must have at most 2 items, got 3"
        );
    }

    #[test]
    fn items_are_validated_with_index_paths() {
        let s = obj(vec![("pools", arr(obj(vec![("count", Schema::typed("integer"))])))]);
        let e = one(
            &obj(vec![("spec", s)]),
            json!({"spec": {"pools": [{"count": 1}, {"count": "x"}]}}),
        );
        assert_eq!(e.path, "spec.pools[1].count");
        assert_eq!(e.message, "must be of type integer, got string");
    }

    #[test]
    fn required() {
        let s = Schema {
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        let e = one(&obj(vec![("spec", s)]), json!({"spec": {}}));
        assert_eq!(e.to_string(), "spec.name: Required value");
    }

    #[test]
    fn additional_properties_with_key_paths() {
        let s = Schema {
            additional_properties: Some(Box::new(Schema::typed("string"))),
            ..Schema::typed("object")
        };
        let e = one(&obj(vec![("labels", s)]), json!({"labels": {"a": "x", "b": 2}}));
        assert_eq!(e.to_string(), "labels[b]: must be of type string, got integer");
    }

    #[test]
    fn min_and_max_properties() {
        let s = Schema {
            min_properties: Some(1),
            max_properties: Some(1),
            additional_properties: Some(Box::new(Schema::typed("string"))),
            ..Schema::typed("object")
        };
        assert_eq!(one(&s, json!({})).message, "must have at least 1 property, got 0");
        assert_eq!(
            one(&s, json!({"a": "1", "b": "2"})).message,
            "must have at most 1 property, got 2"
        );
    }

    #[test]
    fn unknown_properties_are_not_validation_errors() {
        let s = obj(vec![("a", Schema::typed("string"))]);
        assert!(errs(&s, json!({"a": "x", "b": 1})).is_empty());
    }

    #[test]
    fn int_or_string() {
        let s = Schema::int_or_string();
        assert!(errs(&s, json!(80)).is_empty());
        assert!(errs(&s, json!("http")).is_empty());
        assert_eq!(
            one(&s, json!(true)).message,
            "must be an integer or a string, got boolean"
        );
        assert_eq!(
            one(&s, json!(1.5)).message,
            "must be an integer or a string, got number"
        );
        assert_eq!(one(&s, Value::Null).message, "must be an integer or a string, got null");
        // String validations apply to strings only.
        let q = Schema {
            pattern: Some("^[0-9]+m?$".into()),
            ..s
        };
        assert!(errs(&q, json!(5)).is_empty());
        assert!(errs(&q, json!("5m")).is_empty());
        assert_eq!(errs(&q, json!("5x")).len(), 1);
    }

    #[test]
    fn preserve_unknown_fields_allows_anything() {
        let s = Schema {
            preserve_unknown_fields: Some(true),
            ..Default::default()
        };
        assert!(errs(&s, json!({"a": [1, {"b": null}]})).is_empty());
        assert!(errs(&s, json!(3)).is_empty());
        assert!(unknown_fields(&s, &json!({"a": {"b": 1}})).is_empty());
    }

    #[test]
    fn list_type_set_rejects_duplicates() {
        let s = Schema {
            list_type: Some("set".into()),
            ..arr(Schema::typed("integer"))
        };
        assert!(errs(&s, json!([1, 2])).is_empty());
        let e = one(&s, json!([1, 2, 1.0]));
        assert_eq!(e.path, "[2]");
        assert_eq!(e.message, "Duplicate value: 1.0");
    }

    #[test]
    fn list_type_map_rejects_duplicate_keys() {
        let item = obj(vec![
            ("name", Schema::typed("string")),
            ("port", Schema::typed("integer")),
        ]);
        let s = Schema {
            list_type: Some("map".into()),
            list_map_keys: vec!["name".into(), "port".into()],
            ..arr(item)
        };
        assert!(errs(&s, json!([{"name": "a", "port": 1}, {"name": "a", "port": 2}])).is_empty());
        let e = one(
            &s,
            json!([{"name": "a", "port": 1}, {"name": "b", "port": 1}, {"name": "a", "port": 1}]),
        );
        assert_eq!(e.path, "[2]");
        assert_eq!(e.message, r#"Duplicate value: {"name":"a","port":1}"#);
    }

    #[test]
    fn format_date_time() {
        let s = Schema {
            format: Some("date-time".into()),
            ..Schema::typed("string")
        };
        for ok in [
            "2024-02-29T12:00:00Z",
            "2024-01-01t00:00:00.123+02:00",
            "1999-12-31T23:59:59-05:30",
        ] {
            assert!(errs(&s, json!(ok)).is_empty(), "{ok}");
        }
        for bad in [
            "2023-02-29T12:00:00Z",
            "2024-01-01",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00",
            "yesterday",
        ] {
            let e = one(&s, json!(bad));
            assert!(e.message.starts_with("must be a date-time (RFC 3339"), "{bad}: {e}");
        }
    }

    #[test]
    fn format_date() {
        let s = Schema {
            format: Some("date".into()),
            ..Schema::typed("string")
        };
        assert!(errs(&s, json!("2000-02-29")).is_empty());
        assert!(one(&s, json!("1900-02-29")).message.starts_with("must be a date"));
    }

    #[test]
    fn format_int32() {
        let s = Schema {
            format: Some("int32".into()),
            ..Schema::typed("integer")
        };
        assert!(errs(&s, json!(2147483647)).is_empty());
        assert!(errs(&s, json!(-2147483648i64)).is_empty());
        assert_eq!(
            one(&s, json!(2147483648i64)).message,
            "must fit in a 32-bit integer (format int32), got 2147483648"
        );
    }

    #[test]
    fn format_byte() {
        let s = Schema {
            format: Some("byte".into()),
            ..Schema::typed("string")
        };
        for ok in ["", "aGVsbG8=", "aGk=", "YWJj", "YW\nJj"] {
            assert!(errs(&s, json!(ok)).is_empty(), "{ok}");
        }
        for bad in ["aGVsbG8", "a===", "aGk=aGk=", "a-b_"] {
            assert!(
                one(&s, json!(bad)).message.starts_with("must be base64-encoded"),
                "{bad}"
            );
        }
    }

    #[test]
    fn one_of_requires_exactly_one_match() {
        let s = Schema {
            one_of: vec![
                Schema {
                    required: vec!["a".into()],
                    ..Default::default()
                },
                Schema {
                    required: vec!["b".into()],
                    ..Default::default()
                },
            ],
            ..obj(vec![("a", Schema::typed("string")), ("b", Schema::typed("string"))])
        };
        assert!(errs(&s, json!({"a": "x"})).is_empty());
        let none = one(&s, json!({}));
        assert_eq!(
            none.message,
            "must match exactly one schema of oneOf, but matches none (oneOf[0]: a: Required value; oneOf[1]: b: Required value)"
        );
        assert_eq!(
            one(&s, json!({"a": "x", "b": "y"})).message,
            "must match exactly one schema of oneOf, but matches oneOf[0], oneOf[1]"
        );
    }

    #[test]
    fn any_of_requires_a_match() {
        let s = Schema {
            any_of: vec![
                Schema {
                    required: vec!["a".into()],
                    ..Default::default()
                },
                Schema {
                    required: vec!["b".into()],
                    ..Default::default()
                },
            ],
            ..Schema::typed("object")
        };
        assert!(errs(&s, json!({"a": 1, "b": 2})).is_empty());
        assert!(
            one(&s, json!({}))
                .message
                .starts_with("must match at least one schema of anyOf")
        );
    }

    #[test]
    fn embedded_resource_needs_api_version_and_kind() {
        let s = Schema {
            embedded_resource: Some(true),
            preserve_unknown_fields: Some(true),
            ..Schema::typed("object")
        };
        assert!(errs(&s, json!({"apiVersion": "v1", "kind": "Pod"})).is_empty());
        assert!(errs(&s, json!({"apiVersion": "apps/v1", "kind": "Deployment"})).is_empty());
        let e = errs(&s, json!({}));
        assert_eq!(e, vec!["apiVersion: Required value", "kind: Required value"]);
        let e = errs(&s, json!({"apiVersion": "a/b/c", "kind": "No_Good"}));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("apiVersion: must be a version or group/version"));
        assert!(e[1].starts_with("kind: must be a letter"));
    }

    #[test]
    fn unknown_fields_are_reported_per_object() {
        let s = obj(vec![(
            "spec",
            obj(vec![("a", Schema::typed("string")), ("m", Schema::typed("object"))]),
        )]);
        let e = unknown_fields(&s, &json!({"spec": {"a": "x", "b": 1, "m": {"k": 1}}, "top": 1}));
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec: unknown field \"b\"",
                "spec.m: unknown field \"k\"",
                "unknown field \"top\""
            ]
        );
    }

    #[test]
    fn unknown_fields_respect_preserve_and_additional_properties() {
        let s = obj(vec![
            (
                "p",
                Schema {
                    preserve_unknown_fields: Some(true),
                    ..obj(vec![("known", obj(vec![("x", Schema::typed("string"))]))])
                },
            ),
            (
                "m",
                Schema {
                    additional_properties: Some(Box::new(obj(vec![("x", Schema::typed("string"))]))),
                    ..Schema::typed("object")
                },
            ),
        ]);
        let v = json!({"m": {"k": {"x": "1", "z": 1}}, "p": {"free": {"any": 1}, "known": {"x": "1", "y": 2}}});
        let e: Vec<String> = unknown_fields(&s, &v).iter().map(ToString::to_string).collect();
        assert_eq!(e, vec!["m[k]: unknown field \"z\"", "p.known: unknown field \"y\""]);
    }

    #[test]
    fn prune_keeps_type_meta_and_object_meta_at_resource_roots() {
        let s = obj(vec![
            ("apiVersion", Schema::typed("string")),
            ("kind", Schema::typed("string")),
            ("metadata", Schema::typed("object")),
            ("spec", obj(vec![("a", Schema::typed("string"))])),
        ]);
        let mut v = json!({
            "apiVersion": "x/v1", "kind": "K",
            "metadata": {"name": "n", "labels": {"a": "b"}, "bogus": 1},
            "spec": {"a": "x", "b": 2}, "status": {}
        });
        assert_eq!(
            unknown_fields_of_object(&s, &v)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "metadata: unknown field \"bogus\"",
                "spec: unknown field \"b\"",
                "unknown field \"status\""
            ]
        );
        prune(&s, &mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "labels": {"a": "b"}}, "spec": {"a": "x"}})
        );
    }

    #[test]
    fn prune_embedded_resources() {
        let embedded = Schema {
            embedded_resource: Some(true),
            ..obj(vec![("spec", obj(vec![]))])
        };
        let s = obj(vec![
            ("template", embedded.clone()),
            ("plain", obj(vec![("spec", obj(vec![]))])),
        ]);
        let mut v = json!({
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "x": 1}, "spec": {"y": 1}, "z": 1},
            "plain": {"apiVersion": "v1", "spec": {}}
        });
        prune_node(&s, &mut v);
        assert_eq!(
            v,
            json!({"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {}}, "plain": {"spec": {}}})
        );
        // A default on the embedded node itself is checked as a resource root.
        assert!(unknown_fields(&embedded, &json!({"apiVersion": "v1", "kind": "Pod"})).is_empty());
    }

    #[test]
    fn prune_descends_into_items_and_preserved_objects() {
        let s = obj(vec![
            ("list", arr(obj(vec![("a", Schema::typed("string"))]))),
            (
                "free",
                Schema {
                    preserve_unknown_fields: Some(true),
                    ..obj(vec![("k", obj(vec![]))])
                },
            ),
        ]);
        let mut v = json!({"list": [{"a": "1", "b": 2}], "free": {"x": {"y": 1}, "k": {"drop": 1}}});
        prune_node(&s, &mut v);
        assert_eq!(v, json!({"list": [{"a": "1"}], "free": {"x": {"y": 1}, "k": {}}}));
    }

    #[test]
    fn defaults_fill_absent_and_non_nullable_null_fields() {
        let s = obj(vec![
            (
                "a",
                Schema {
                    default: Some(json!(1)),
                    ..Schema::typed("integer")
                },
            ),
            (
                "b",
                Schema {
                    default: Some(json!("x")),
                    ..Schema::typed("string")
                },
            ),
            (
                "c",
                Schema {
                    default: Some(json!("y")),
                    nullable: true,
                    ..Schema::typed("string")
                },
            ),
            (
                "d",
                Schema {
                    default: Some(json!(true)),
                    ..Schema::typed("boolean")
                },
            ),
        ]);
        let mut v = json!({"b": null, "c": null, "d": false});
        apply_defaults(&s, &mut v);
        assert_eq!(v, json!({"a": 1, "b": "x", "c": null, "d": false}));
    }

    #[test]
    fn defaults_apply_recursively_inside_defaults_items_and_maps() {
        let inner = obj(vec![(
            "replicas",
            Schema {
                default: Some(json!(1)),
                ..Schema::typed("integer")
            },
        )]);
        let s = obj(vec![
            (
                "spec",
                Schema {
                    default: Some(json!({})),
                    ..inner.clone()
                },
            ),
            ("pools", arr(inner.clone())),
            (
                "byName",
                Schema {
                    additional_properties: Some(Box::new(inner.clone())),
                    ..Schema::typed("object")
                },
            ),
            (
                "tags",
                arr(Schema {
                    default: Some(json!("none")),
                    ..Schema::typed("string")
                }),
            ),
        ]);
        let mut v = json!({"pools": [{}, {"replicas": 3}], "byName": {"a": {}}, "tags": ["x", null]});
        apply_defaults(&s, &mut v);
        assert_eq!(
            v,
            json!({
                "spec": {"replicas": 1},
                "pools": [{"replicas": 1}, {"replicas": 3}],
                "byName": {"a": {"replicas": 1}},
                "tags": ["x", "none"]
            })
        );
    }

    // --- nulls: prune -> drop nulls -> default -> validate, as the API server -------------------

    /// What the API server does with a custom resource before storing it (minus CEL).
    fn admit(s: &Schema, mut v: Value) -> (Value, Vec<String>) {
        prune(s, &mut v);
        apply_defaults(s, &mut v);
        let e = validate_value(s, &v).iter().map(ToString::to_string).collect();
        (v, e)
    }

    fn null_schema() -> Schema {
        Schema::from_json(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "note": {"type": "string", "nullable": true},
                "size": {"type": "integer", "default": 3},
                "opt": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "pools": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"known": {"type": "string"}}}
            }}
        }}))
        .unwrap()
    }

    #[test]
    fn prune_drops_nulls_of_non_nullable_fields() {
        let mut v = json!({"spec": {
            "name": "n", "note": null, "opt": null, "size": null,
            "labels": {"a": null, "b": "x"},
            "pools": [{"a": null}],
            "tags": ["x", null],
            "free": {"known": null, "unknown": null}
        }});
        prune(&null_schema(), &mut v);
        // `size` has a default: kept for defaulting; list items cannot be dropped; unknown fields
        // under x-kubernetes-preserve-unknown-fields have no schema to say they are not nullable.
        assert_eq!(
            v,
            json!({"spec": {
                "name": "n", "note": null, "size": null,
                "labels": {"b": "x"},
                "pools": [{}],
                "tags": ["x", null],
                "free": {"unknown": null}
            }})
        );
    }

    #[test]
    fn null_optional_field_is_absent_and_null_defaulted_field_gets_its_default() {
        let (v, e) = admit(
            &null_schema(),
            json!({"spec": {"name": "n", "opt": null, "size": null}}),
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(v, json!({"spec": {"name": "n", "size": 3}}));
    }

    #[test]
    fn null_required_field_is_reported_as_required() {
        let (_, e) = admit(&null_schema(), json!({"spec": {"name": null}}));
        assert_eq!(e, vec!["spec.name: Required value"]);
    }

    #[test]
    fn null_list_items_stay_type_errors() {
        let (_, e) = admit(&null_schema(), json!({"spec": {"name": "n", "tags": [null]}}));
        assert_eq!(e, vec!["spec.tags[0]: must be of type string, got null"]);
    }

    #[test]
    fn prune_node_drops_nulls_too() {
        let s = obj(vec![("a", Schema::typed("string")), ("b", Schema::typed("string"))]);
        let mut v = json!({"a": null, "b": "x"});
        prune_node(&s, &mut v);
        assert_eq!(v, json!({"b": "x"}));
        // Reporting unknown fields is unaffected: a null is not an unknown field.
        assert!(unknown_fields(&s, &json!({"a": null})).is_empty());
    }

    // --- multipleOf -------------------------------------------------------------------------------

    fn multiple_of_f(m: f64) -> Schema {
        Schema {
            multiple_of: Some(Number::from_f64(m).unwrap()),
            ..Schema::typed("number")
        }
    }

    #[test]
    fn multiple_of_tolerates_floating_point_error() {
        for (v, m) in [
            (0.3, 0.1),
            (-0.3, 0.1),
            (0.7, 0.1),
            (0.6, 0.2),
            (0.35, 0.05),
            (3.3, 1.1),
            (6.6, 2.2),
            (1.1, 0.1),
        ] {
            assert!(errs(&multiple_of_f(m), json!(v)).is_empty(), "{v} multipleOf {m}");
        }
        for (v, m) in [(0.35, 0.1), (3.4, 1.1), (0.31, 0.1), (1.0000001, 0.1)] {
            assert_eq!(
                one(&multiple_of_f(m), json!(v)).message,
                format!("must be a multiple of {m}, got {v}"),
                "{v} multipleOf {m}"
            );
        }
        // An integer value with a fractional factor is compared as a float.
        assert!(errs(&multiple_of_f(0.1), json!(3)).is_empty());
        assert_eq!(errs(&multiple_of_f(0.7), json!(3)).len(), 1);
    }

    #[test]
    fn multiple_of_is_exact_for_integers() {
        let s = Schema {
            multiple_of: Some(10.into()),
            ..Schema::typed("integer")
        };
        // Within 1e-9 relative error of a multiple, but not one.
        assert_eq!(
            one(&s, json!(1_000_000_000_000_000_001i64)).message,
            "must be a multiple of 10, got 1000000000000000001"
        );
        assert!(errs(&s, json!(1_000_000_000_000_000_000i64)).is_empty());
        let two = Schema {
            multiple_of: Some(2.into()),
            ..Schema::typed("integer")
        };
        assert_eq!(errs(&two, json!(9_007_199_254_740_993i64)).len(), 1, "2^53 + 1");
        assert!(errs(&two, json!(u64::MAX - 1)).is_empty());
    }

    // --- allOf / not --------------------------------------------------------------------------------

    fn composed() -> Value {
        json!({"type": "object", "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "a": {"type": "string"},
                    "b": {"type": "string"},
                    "n": {"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 9}], "not": {"enum": [5]}}
                },
                "allOf": [{"required": ["a"]}, {"not": {"required": ["b"]}}],
                "anyOf": [{"required": ["a"]}, {"required": ["n"]}],
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
            }
        }})
    }

    #[test]
    fn all_of_and_not_round_trip() {
        let s = Schema::from_json(&composed()).unwrap();
        let spec = &s.properties["spec"];
        assert_eq!(spec.all_of.len(), 2);
        assert!(spec.all_of[1].not.is_some());
        assert_eq!(s.to_json(), composed());
    }

    #[test]
    fn all_of_requires_every_branch() {
        let s = Schema::from_json(&composed()).unwrap();
        assert!(errs(&s, json!({"spec": {"a": "x", "n": 3}})).is_empty());
        let e = errs(&s, json!({"spec": {"n": 3}}));
        assert!(e.iter().any(|e| e == "spec.a: Required value"), "{e:?}");
        let e = errs(&s, json!({"spec": {"a": "x", "n": 10}}));
        assert_eq!(e, vec!["spec.n: must be less than or equal to 9, got 10"]);
    }

    #[test]
    fn not_rejects_what_its_schema_accepts() {
        let s = Schema::from_json(&composed()).unwrap();
        let e = errs(&s, json!({"spec": {"a": "x", "n": 5}}));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("spec.n: must not match the schema in not"), "{e:?}");
        // allOf[1] is `not: {required: [b]}`.
        let e = errs(&s, json!({"spec": {"a": "x", "b": "y"}}));
        assert!(
            e.iter()
                .any(|e| e.starts_with("spec: must not match the schema in not")),
            "{e:?}"
        );
    }

    #[test]
    fn composition_keywords_do_not_prune_or_default() {
        let s = Schema::from_json(&json!({"type": "object",
            "properties": {"a": {"type": "string"}},
            "allOf": [{"properties": {"b": {"default": "x"}}}],
            "not": {"properties": {"c": {"type": "string"}}}
        }))
        .unwrap();
        let mut v = json!({"a": "1", "b": "2", "c": "3"});
        prune_node(&s, &mut v);
        apply_defaults(&s, &mut v);
        assert_eq!(v, json!({"a": "1"}));
    }

    #[test]
    fn from_json_rejects_unknown_keywords() {
        let e = Schema::from_json(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"x": {"$ref": "#/definitions/X"}}}
        }}))
        .unwrap_err()
        .to_string();
        assert!(e.contains("$ref"), "{e}");
        assert!(e.contains("properties.spec.properties.x"), "{e}");
        let e = Schema::from_json(&json!({"type": "object", "patternProperties": {}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("patternProperties"), "{e}");
    }

    // --- arrays without items ---------------------------------------------------------------------

    #[test]
    fn prune_keeps_items_of_arrays_without_an_items_schema() {
        let s = obj(vec![("list", Schema::typed("array"))]);
        let v = json!({"list": [{"a": 1, "b": {"c": null}}, 2, [{"d": 1}]]});
        assert!(unknown_fields(&s, &v).is_empty());
        let mut pruned = v.clone();
        prune_node(&s, &mut pruned);
        assert_eq!(pruned, v);
        let mut defaulted = v.clone();
        apply_defaults(&s, &mut defaulted);
        assert_eq!(defaulted, v);
        assert!(validate_value(&s, &v).is_empty());
    }

    #[test]
    fn json_equality_compares_numbers_by_value() {
        assert!(json_eq(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
