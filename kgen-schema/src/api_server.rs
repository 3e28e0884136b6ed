//! Validation errors of custom resources as the Kubernetes API server words and orders them.
//!
//! [`validate`](crate::validate) words its errors for people who write schemas. This module
//! produces what `kube-apiserver` answers when a custom resource fails its CRD's schema: the
//! `k8s.io/apimachinery` field errors that make up a 422 `Invalid` status — the cause type
//! (`FieldValueInvalid`, ...), the field path and the message body, e.g.
//! `spec.discount: Invalid value: 150: spec.discount in body should be less than or equal to 100`
//! — in the order the API server reports them:
//!
//! 1. the OpenAPI value validations, walked as kube-openapi's schema validator walks a value
//!    (at each node: `type`, `anyOf`/`oneOf`/`allOf`/`not`, then `maxLength`, `minLength` and
//!    `pattern` (the first failing one only), `format`, `multipleOf`, `minimum`, `maximum`, the
//!    items of an array then `minItems`/`maxItems`, `enum`, and for an object
//!    `minProperties`/`maxProperties` (which stop there), the values of `additionalProperties`,
//!    the `properties` and finally `required`);
//! 2. the `apiVersion` and `kind` of `x-kubernetes-embedded-resource` objects;
//! 3. duplicate items of `x-kubernetes-list-type: set` lists and duplicate keys of `map` lists
//!    (each duplicated value once, at its second occurrence).
//!
//! Paths are the API server's: properties joined with dots, list items as `[index]`; in the
//! OpenAPI errors map values are `.key`, in the other two `[key]`. Values are printed as Go
//! prints the decoded JSON (`150`, `1.5`, `"text"`, `1e+06`). Where the API server iterates a Go
//! map (the properties of a node), the order here is the key order.
//!
//! ```
//! use kgen_schema::{Schema, api_server::validate_custom_resource};
//! use serde_json::json;
//!
//! let schema = Schema::from_json(&json!({"type": "object", "properties": {"spec": {
//!     "type": "object", "required": ["name"],
//!     "properties": {"discount": {"type": "integer", "maximum": 100}, "name": {"type": "string"}}
//! }}})).unwrap();
//! let errors = validate_custom_resource(&schema, &json!({"spec": {"discount": 150}}));
//! assert_eq!(errors[0].to_string(),
//!     "spec.discount: Invalid value: 150: spec.discount in body should be less than or equal to 100");
//! assert_eq!(errors[1].to_string(), "spec.name: Required value");
//! ```

use crate::types::Schema;
use crate::validate::{compile_pattern, is_base64, is_date, is_date_time, json_eq};
use serde_json::{Map, Number, Value};
use std::fmt;

/// `FieldValueInvalid`: a malformed value.
pub const INVALID: &str = "FieldValueInvalid";
/// `FieldValueRequired`: a missing value.
pub const REQUIRED: &str = "FieldValueRequired";
/// `FieldValueNotSupported`: a value outside an `enum`.
pub const NOT_SUPPORTED: &str = "FieldValueNotSupported";
/// `FieldValueTypeInvalid`: a value of the wrong type (or format).
pub const TYPE_INVALID: &str = "FieldValueTypeInvalid";
/// `FieldValueTooLong`: a string longer than `maxLength`.
pub const TOO_LONG: &str = "FieldValueTooLong";
/// `FieldValueTooMany`: more items (or properties) than allowed.
pub const TOO_MANY: &str = "FieldValueTooMany";
/// `FieldValueDuplicate`: a repeated item of a set, or key of a map list.
pub const DUPLICATE: &str = "FieldValueDuplicate";

/// One field error, as `k8s.io/apimachinery`'s `field.Error` holds and prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The cause type: `FieldValueInvalid`, `FieldValueRequired`, ... (the constants above).
    pub reason: String,
    /// The field path, e.g. `spec.ports[1]`; `<nil>` for errors the API server reports without
    /// one.
    pub field: String,
    /// The message without the field (`ErrorBody()`), e.g. `Required value` or
    /// `Invalid value: "x": spec.x in body should match '^[a-z]+$'`.
    pub body: String,
}

impl FieldError {
    fn new(reason: &str, field: String, body: String) -> Self {
        FieldError {
            reason: reason.to_string(),
            field,
            body,
        }
    }
}

impl fmt::Display for FieldError {
    /// `field: body`, as the API server joins them in a status message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body)
    }
}

/// Validates a whole custom resource (pruned and defaulted) against its `openAPIV3Schema` and
/// returns the field errors the API server reports for it, in its order (see the module docs).
/// CEL rules are not evaluated here; see [`blocks_cel`].
pub fn validate_custom_resource(schema: &Schema, object: &Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    openapi(schema, object, "", &mut out);
    embedded(schema, object, "", &mut out);
    list_types(schema, object, "", &mut out);
    out
}

/// Whether these errors keep the API server from evaluating the CEL rules (a type, required,
/// enum, `maxLength`, `maxItems` or `maxProperties` violation). It then reports
/// [`cel_not_checked`] after them instead.
pub fn blocks_cel(errors: &[FieldError]) -> bool {
    errors
        .iter()
        .any(|e| [NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID].contains(&e.reason.as_str()))
}

/// The error the API server appends when [`blocks_cel`] holds.
pub fn cel_not_checked() -> FieldError {
    FieldError::new(
        INVALID,
        "<nil>".into(),
        "Invalid value: \"null\": some validation rules were not checked because the object was invalid; \
         correct the existing errors to complete validation"
            .into(),
    )
}

// ---------------------------------------------------------------------------------------------
// Go formatting

/// `s` as Go's `strconv.Quote` writes it (`%q`): double quotes, `\"`, `\\`, `\n`-style escapes,
/// and `\x`/`\u` escapes for other characters that are not printable.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint`, approximately: not a control or format character, and no space but
/// the ASCII one.
fn go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let format = matches!(c as u32, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB);
    !c.is_control() && !c.is_whitespace() && !format
}

/// A float as Go's `%v` prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits,
/// with an exponent below 1e-4 and from 1e+21 up... and, as Go's `%v` does, from 1e+06 up
/// (`1e+06`, `1.5e-05`, `123456.7`).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let neg = f < 0.0;
    // Rust's `{:e}` gives the shortest round-trip digits: `1.2345e6`, `5e-7`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let nd = digits.len() as i32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else {
        let dp = exp + 1; // digits before the decimal point
        if dp <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-dp) as usize));
            out.push_str(&digits);
        } else if dp >= nd {
            out.push_str(&digits);
            out.push_str(&"0".repeat((dp - nd) as usize));
        } else {
            out.push_str(&digits[..dp as usize]);
            out.push('.');
            out.push_str(&digits[dp as usize..]);
        }
    }
    out
}

/// A JSON number as the API server decodes it: an `int64` when it is an integer that fits, else
/// a `float64`.
enum GoNumber {
    Int(i64),
    Float(f64),
}

fn go_number(n: &Number) -> GoNumber {
    match n.as_i64() {
        Some(i) => GoNumber::Int(i),
        None => GoNumber::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn go_number_text(n: &Number) -> String {
    match go_number(n) {
        GoNumber::Int(i) => i.to_string(),
        GoNumber::Float(f) => go_float(f),
    }
}

/// A decoded JSON value as the API server prints a field error's value (`ErrorBody`): numbers
/// and booleans as they are, strings quoted, `null` as `"null"`, lists and objects as Go's `%#v`
/// (`[]interface {}{"a", 1}`, `map[string]interface {}{"port":80}`).
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => go_quote("null"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number_text(n),
        Value::String(s) => go_quote(s),
        Value::Array(_) | Value::Object(_) => go_sharp_v(v),
    }
}

/// Go's `%#v` of a decoded JSON value held in an `interface{}`.
fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number_text(n),
        Value::String(s) => go_quote(s),
        Value::Array(items) => format!(
            "[]interface {{}}{{{}}}",
            items.iter().map(go_sharp_v).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "map[string]interface {{}}{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_sharp_v(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value as Go's `json.Marshal` writes it (for the list of supported `enum` values).
fn go_json(v: &Value) -> String {
    match v {
        Value::Number(n) => match go_number(n) {
            GoNumber::Int(i) => i.to_string(),
            GoNumber::Float(f) => {
                let a = f.abs();
                if a != 0.0 && !(1e-6..1e21).contains(&a) {
                    let s = format!("{f:e}");
                    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                    let e: i32 = e.parse().unwrap_or(0);
                    format!("{m}e{}{}", if e < 0 { '-' } else { '+' }, e.abs())
                } else if f.fract() == 0.0 {
                    format!("{f:.0}")
                } else {
                    f.to_string()
                }
            }
        },
        Value::Array(items) => format!("[{}]", items.iter().map(go_json).collect::<Vec<_>>().join(",")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), go_json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. OpenAPI validations, as kube-openapi walks them

/// kube-openapi's name of a property, or of a value of `additionalProperties`.
fn child(name: &str, key: &str) -> String {
    if name.is_empty() {
        key.to_string()
    } else {
        format!("{name}.{key}")
    }
}

/// The field path of an error about `name` (`<nil>` for the root).
fn field(name: &str) -> String {
    let f = name.strip_prefix('.').unwrap_or(name);
    if f.is_empty() { "<nil>".into() } else { f.to_string() }
}

fn invalid(name: &str, value: &Value, detail: String) -> FieldError {
    FieldError::new(
        INVALID,
        field(name),
        format!("Invalid value: {}: {detail}", go_value(value)),
    )
}

/// Errors kube-openapi reports without a field (`anyOf`, `oneOf`, `allOf`, `not`).
fn composite(message: String) -> FieldError {
    FieldError::new(INVALID, "<nil>".into(), format!("Invalid value: \"\": {message}"))
}

fn type_invalid(name: &str, expected: &str, actual: &str) -> FieldError {
    FieldError::new(
        TYPE_INVALID,
        field(name),
        format!(
            "Invalid value: {q}: {name} in body must be of type {expected}: {q}",
            q = go_quote(actual)
        ),
    )
}

/// The types kube-openapi checks a node against (`integer,string` for int-or-string).
fn types_of(s: &Schema) -> Vec<&str> {
    if s.int_or_string == Some(true) {
        vec!["integer", "string"]
    } else {
        s.ty().filter(|t| !t.is_empty()).into_iter().collect()
    }
}

/// String formats the API server knows (others are dropped from the schema, as if absent).
const STRING_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "quantity",
];

/// The node's `format` after the API server drops the ones it does not support for the type.
fn format_of(s: &Schema) -> &str {
    let Some(f) = s.format.as_deref().filter(|f| !f.is_empty()) else {
        return "";
    };
    let single_type = if s.int_or_string == Some(true) {
        ""
    } else {
        s.ty().unwrap_or("")
    };
    let keep = match single_type {
        "" | "string" => STRING_FORMATS.contains(&f.replace('-', "").as_str()),
        "integer" => matches!(f, "int32" | "int64"),
        "number" => matches!(f, "float" | "double"),
        _ => false,
    };
    if keep { f } else { "" }
}

/// Go's `swag.IsFloat64AJSONInteger`.
fn is_json_integer(f: f64) -> bool {
    const MAX: f64 = 9_007_199_254_740_992.0; // 2^53
    if !f.is_finite() || !(-MAX..=MAX).contains(&f) {
        return false;
    }
    if f == f.trunc() {
        return true;
    }
    let g = f.trunc();
    let diff = (f - g).abs();
    if g == 0.0 {
        return false;
    }
    diff / (f.abs() + g.abs()) < 1e-9
}

/// The JSON type and Go format kube-openapi infers for a value.
fn info(v: &Value) -> (&'static str, &'static str) {
    match v {
        Value::Bool(_) => ("boolean", ""),
        Value::String(_) => ("string", ""),
        Value::Number(n) => match go_number(n) {
            GoNumber::Int(_) => ("integer", "int64"),
            GoNumber::Float(_) => ("number", "float64"),
        },
        Value::Array(_) => ("array", ""),
        Value::Object(_) => ("object", ""),
        Value::Null => ("null", ""),
    }
}

fn openapi(s: &Schema, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    if v.is_null() {
        let types = types_of(s);
        if !types.is_empty() && !s.nullable {
            out.push(type_invalid(name, &types.join(","), "null"));
        }
        check_enum(s, v, name, out);
        return;
    }
    check_type(s, v, name, out);
    check_composition(s, v, name, out);
    match v {
        Value::String(text) => {
            check_string(s, text, v, name, out);
            check_format(s, text, v, name, out);
        }
        Value::Number(n) => check_number(s, n, v, name, out),
        Value::Array(items) => {
            if let Some(item) = &s.items {
                for (i, x) in items.iter().enumerate() {
                    openapi(item, x, &format!("{name}[{i}]"), out);
                }
            }
            let n = items.len() as i64;
            if let Some(min) = s.min_items
                && n < min
            {
                out.push(invalid(
                    name,
                    &Value::from(n),
                    format!("{name} in body should have at least {min} items"),
                ));
            }
            if let Some(max) = s.max_items
                && n > max
            {
                out.push(too_many(name, n, max));
            }
        }
        _ => {}
    }
    check_enum(s, v, name, out);
    if let Value::Object(map) = v {
        check_object(s, map, name, out);
    }
}

fn too_many(name: &str, actual: i64, max: i64) -> FieldError {
    let items = if max == 1 { "item" } else { "items" };
    FieldError::new(
        TOO_MANY,
        field(name),
        format!("Too many: {actual}: must have at most {max} {items}"),
    )
}

fn check_type(s: &Schema, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let types = types_of(s);
    let format = format_of(s);
    if types.is_empty() && format.is_empty() {
        return;
    }
    let (actual, actual_format) = info(v);
    let contains = |t: &str| types.contains(&t);
    let float_int = actual == "number" && v.as_f64().is_some_and(is_json_integer) && contains("integer");
    let int_float = actual == "integer" && contains("number");
    let string_or_list = v.is_string() || v.is_array();
    if !(string_or_list || format.is_empty() || contains(actual) || actual_format == format || float_int || int_float) {
        out.push(type_invalid(name, format, actual_format));
        return;
    }
    if string_or_list && !(contains("number") || contains("integer") || format.is_empty()) {
        return;
    }
    if !(contains(actual) || float_int || int_float) {
        out.push(type_invalid(name, &types.join(","), actual));
    }
}

/// `anyOf`, `oneOf`, `allOf`, `not`. Of the failing branches of `anyOf` and `oneOf`, the API
/// server adds the errors of the one that matched best; here, the one with the fewest errors.
fn check_composition(s: &Schema, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let run = |b: &Schema| {
        let mut e = Vec::new();
        openapi(b, v, name, &mut e);
        e
    };
    if !s.any_of.is_empty() {
        let mut best: Option<Vec<FieldError>> = None;
        let mut matched = false;
        for b in &s.any_of {
            let e = run(b);
            if e.is_empty() {
                matched = true;
                best = None;
                break;
            }
            if best.as_ref().is_none_or(|x| e.len() < x.len()) {
                best = Some(e);
            }
        }
        if !matched {
            out.push(composite(format!(
                "{} must validate at least one schema (anyOf)",
                go_quote(name)
            )));
        }
        out.extend(best.unwrap_or_default());
    }
    if !s.one_of.is_empty() {
        let mut best: Option<Vec<FieldError>> = None;
        let mut valid = 0;
        for b in &s.one_of {
            let e = run(b);
            if e.is_empty() {
                valid += 1;
                best = None;
            } else if valid == 0 && best.as_ref().is_none_or(|x| e.len() < x.len()) {
                best = Some(e);
            }
        }
        if valid != 1 {
            let found = if valid == 0 {
                "Found none valid".to_string()
            } else {
                format!("Found {valid} valid alternatives")
            };
            out.push(composite(format!(
                "{} must validate one and only one schema (oneOf). {found}",
                go_quote(name)
            )));
            out.extend(best.unwrap_or_default());
        }
    }
    if !s.all_of.is_empty() {
        let mut valid = 0;
        for b in &s.all_of {
            let e = run(b);
            if e.is_empty() {
                valid += 1;
            }
            out.extend(e);
        }
        if valid != s.all_of.len() {
            let none = if valid == 0 { ". None validated" } else { "" };
            out.push(composite(format!(
                "{} must validate all the schemas (allOf){none}",
                go_quote(name)
            )));
        }
    }
    if let Some(not) = &s.not
        && run(not).is_empty()
    {
        out.push(composite(format!(
            "{} must not validate the schema (not)",
            go_quote(name)
        )));
    }
}

/// `maxLength`, `minLength`, `pattern`: only the first that fails is reported.
fn check_string(s: &Schema, text: &str, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let len = text.chars().count() as i64;
    if let Some(max) = s.max_length
        && len > max
    {
        let bytes = if max == 1 { "byte" } else { "bytes" };
        out.push(FieldError::new(
            TOO_LONG,
            field(name),
            format!("Too long: may not be more than {max} {bytes}"),
        ));
        return;
    }
    if let Some(min) = s.min_length
        && len < min
    {
        out.push(invalid(
            name,
            v,
            format!("{name} in body should be at least {min} chars long"),
        ));
        return;
    }
    if let Some(p) = s.pattern.as_deref().filter(|p| !p.is_empty()) {
        match compile_pattern(p) {
            Ok(re) if re.is_match(text) => {}
            Ok(_) => out.push(invalid(name, v, format!("{name} in body should match '{p}'"))),
            Err(e) => out.push(invalid(
                name,
                v,
                format!("{name} in body should match '{p}, but pattern is invalid: {e}'"),
            )),
        }
    }
}

/// The string formats checked here: `date-time`, `date`, `byte`, the `uuid`s, `ipv4`, `ipv6`,
/// `cidr`, `mac` and `hexcolor`. The API server also checks `email`, `hostname`, `uri`,
/// `duration`, `isbn`, `creditcard`, `ssn`, `rgbcolor` and `bsonobjectid`; those are accepted.
fn check_format(s: &Schema, text: &str, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let format = format_of(s);
    let ok = match format.replace('-', "").as_str() {
        "" => true,
        "datetime" => is_date_time(text),
        "date" => is_date(text),
        "byte" => is_base64(text),
        "uuid" => is_uuid(text, None),
        "uuid3" => is_uuid(text, Some('3')),
        "uuid4" => is_uuid(text, Some('4')),
        "uuid5" => is_uuid(text, Some('5')),
        "ipv4" => text.parse::<std::net::IpAddr>().is_ok() && text.contains('.'),
        "ipv6" => text.parse::<std::net::IpAddr>().is_ok() && text.contains(':'),
        "cidr" => is_cidr(text),
        "mac" => is_mac(text),
        "hexcolor" => {
            let h = text.strip_prefix('#').unwrap_or(text);
            (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
        }
        _ => true,
    };
    if !ok {
        out.push(FieldError::new(
            TYPE_INVALID,
            field(name),
            format!(
                "Invalid value: {q}: {name} in body must be of type {format}: {q}",
                q = go_value(v)
            ),
        ));
    }
}

fn is_uuid(s: &str, version: Option<char>) -> bool {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let dashes_ok = s.len() == 32 || (s.len() == 36 && [8, 13, 18, 23].iter().all(|i| s.as_bytes()[*i] == b'-'));
    if hex.len() != 32 || !dashes_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    match version {
        None => true,
        Some(v) => {
            let b = hex.as_bytes();
            b[12] as char == v && (v == '3' || matches!(b[16].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b'))
        }
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

fn is_mac(s: &str) -> bool {
    let hex_group = |g: &str, n: usize| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit());
    let octets = |n: usize| matches!(n, 6 | 8 | 20);
    if s.contains('.') {
        let groups: Vec<&str> = s.split('.').collect();
        return octets(groups.len() * 2) && groups.iter().all(|g| hex_group(g, 4));
    }
    for sep in [':', '-'] {
        if s.contains(sep) {
            let groups: Vec<&str> = s.split(sep).collect();
            return octets(groups.len()) && groups.iter().all(|g| hex_group(g, 2));
        }
    }
    false
}

/// A float limit as Go's `int64(limit)` truncates it.
fn truncate(limit: f64) -> i64 {
    if limit.is_nan() {
        0
    } else {
        limit.trunc().clamp(i64::MIN as f64, i64::MAX as f64) as i64
    }
}

/// `multipleOf`, `minimum`, `maximum`, in that order. Integer values are compared with the
/// limits truncated to integers, as the API server does.
fn check_number(s: &Schema, n: &Number, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let data = go_number(n);
    if let Some(m) = &s.multiple_of {
        let factor = m.as_f64().unwrap_or(0.0);
        if factor > 0.0 {
            match data {
                GoNumber::Int(i) if truncate(factor) != 0 => {
                    let f = truncate(factor);
                    if i % f != 0 {
                        out.push(invalid(name, v, format!("{name} in body should be a multiple of {f}")));
                    }
                }
                _ => {
                    let d = match data {
                        GoNumber::Int(i) => i as f64,
                        GoNumber::Float(f) => f,
                    };
                    let q = if factor < 1.0 { 1.0 / factor * d } else { d / factor };
                    if !is_json_integer(q) {
                        out.push(invalid(
                            name,
                            v,
                            format!("{name} in body should be a multiple of {}", go_float(factor)),
                        ));
                    }
                }
            }
        }
    }
    let bound = |limit: &Number, exclusive: bool, upper: bool| -> Option<String> {
        let l = limit.as_f64().unwrap_or(0.0);
        let (fails, shown) = match data {
            GoNumber::Int(i) => {
                let l = truncate(l);
                let fails = match (upper, exclusive) {
                    (true, false) => i > l,
                    (true, true) => i >= l,
                    (false, false) => i < l,
                    (false, true) => i <= l,
                };
                (fails, l.to_string())
            }
            GoNumber::Float(d) => {
                let fails = match (upper, exclusive) {
                    (true, false) => d > l,
                    (true, true) => d >= l,
                    (false, false) => d < l,
                    (false, true) => d <= l,
                };
                (fails, go_float(l))
            }
        };
        let rel = match (upper, exclusive) {
            (true, false) => "less than or equal to",
            (true, true) => "less than",
            (false, false) => "greater than or equal to",
            (false, true) => "greater than",
        };
        fails.then(|| format!("{name} in body should be {rel} {shown}"))
    };
    if let Some(min) = &s.minimum
        && let Some(msg) = bound(min, s.exclusive_minimum == Some(true), false)
    {
        out.push(invalid(name, v, msg));
    }
    if let Some(max) = &s.maximum
        && let Some(msg) = bound(max, s.exclusive_maximum == Some(true), true)
    {
        out.push(invalid(name, v, msg));
    }
}

fn check_enum(s: &Schema, v: &Value, name: &str, out: &mut Vec<FieldError>) {
    let Some(values) = s.enum_.as_ref().filter(|e| !e.is_empty()) else {
        return;
    };
    // A null never matches (not even a null in the enum), as in the API server.
    if !v.is_null() && values.iter().any(|e| !e.is_null() && json_eq(e, v)) {
        return;
    }
    let supported: Vec<String> = values
        .iter()
        .map(|e| match e {
            Value::String(s) => go_quote(s),
            other => go_quote(&go_json(other)),
        })
        .collect();
    out.push(FieldError::new(
        NOT_SUPPORTED,
        field(name),
        format!(
            "Unsupported value: {}: supported values: {}",
            go_value(v),
            supported.join(", ")
        ),
    ));
}

fn check_object(s: &Schema, map: &Map<String, Value>, name: &str, out: &mut Vec<FieldError>) {
    let n = map.len() as i64;
    if let Some(min) = s.min_properties
        && n < min
    {
        out.push(invalid(
            name,
            &Value::from(n),
            format!("{name} in body should have at least {min} properties"),
        ));
        return;
    }
    if let Some(max) = s.max_properties
        && n > max
    {
        out.push(too_many(name, n, max));
        return;
    }
    if let Some(ap) = &s.additional_properties {
        for (k, x) in map {
            if !s.properties.contains_key(k) {
                openapi(ap, x, &child(name, k), out);
            }
        }
    }
    for (k, p) in &s.properties {
        if let Some(x) = map.get(k) {
            openapi(p, x, &child(name, k), out);
        }
    }
    for r in &s.required {
        if !map.contains_key(r) {
            out.push(FieldError::new(
                REQUIRED,
                field(&child(name, r)),
                "Required value".into(),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Embedded resources

/// A `field.Path` child: `a.b`.
fn path_child(path: &str, key: &str) -> String {
    child(path, key)
}

/// A `field.Path` map key or list index: `a[b]`, `a[0]`.
fn path_index(path: &str, index: &str) -> String {
    format!("{path}[{index}]")
}

fn embedded(s: &Schema, v: &Value, path: &str, out: &mut Vec<FieldError>) {
    match v {
        Value::Object(map) => {
            if s.embedded_resource == Some(true) {
                type_meta(map, path, out);
            }
            for (k, x) in map {
                if let Some(p) = s.properties.get(k) {
                    embedded(p, x, &path_child(path, k), out);
                } else if let Some(ap) = &s.additional_properties {
                    embedded(ap, x, &path_index(path, k), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &s.items {
                for (i, x) in items.iter().enumerate() {
                    embedded(item, x, &path_index(path, &i.to_string()), out);
                }
            }
        }
        _ => {}
    }
}

/// The `apiVersion` and `kind` of an embedded resource (its `metadata` is not checked here).
fn type_meta(map: &Map<String, Value>, path: &str, out: &mut Vec<FieldError>) {
    let required = |k: &str| FieldError::new(REQUIRED, path_child(path, k), "Required value".into());
    let bad = |k: &str, v: &Value, why: String| {
        FieldError::new(
            INVALID,
            path_child(path, k),
            format!("Invalid value: {}: {why}", go_value(v)),
        )
    };
    for k in ["apiVersion", "kind"] {
        if !map.contains_key(k) {
            out.push(required(k));
        }
    }
    if let Some(v) = map.get("apiVersion") {
        match v {
            Value::String(s) if s.is_empty() => out.push(required("apiVersion")),
            Value::String(s) if s != "/" && s.matches('/').count() > 1 => {
                out.push(bad("apiVersion", v, format!("unexpected GroupVersion string: {s}")))
            }
            Value::String(_) => {}
            other => out.push(bad("apiVersion", other, "must be a string".into())),
        }
    }
    if let Some(v) = map.get("kind") {
        match v {
            Value::String(s) if s.is_empty() => out.push(required("kind")),
            Value::String(s) => {
                let errs = dns1035_label_errors(&s.to_ascii_lowercase());
                if !errs.is_empty() {
                    out.push(bad(
                        "kind",
                        v,
                        format!("may have mixed case, but should otherwise match: {}", errs.join(",")),
                    ));
                }
            }
            other => out.push(bad("kind", other, "must be a string".into())),
        }
    }
}

/// `IsDNS1035Label`'s messages.
fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters".into());
    }
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-';
    if !ok {
        errs.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an \
             alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', \
             regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                .into(),
        );
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// 3. List types

fn list_types(s: &Schema, v: &Value, path: &str, out: &mut Vec<FieldError>) {
    match v {
        Value::Object(map) => {
            if let Some(ap) = &s.additional_properties {
                for (k, x) in map {
                    list_types(ap, x, &path_index(path, k), out);
                }
            }
            for (k, x) in map {
                if let Some(p) = s.properties.get(k) {
                    list_types(p, x, &path_child(path, k), out);
                }
            }
        }
        Value::Array(items) => {
            match s.list_type.as_deref() {
                Some("set") => {
                    for i in second_occurrences(items) {
                        out.push(duplicate(path, i, &items[i]));
                    }
                }
                Some("map") => list_map(s, items, path, out),
                _ => {}
            }
            if let Some(item) = &s.items {
                for (i, x) in items.iter().enumerate() {
                    list_types(item, x, &path_index(path, &i.to_string()), out);
                }
            }
        }
        _ => {}
    }
}

fn duplicate(path: &str, i: usize, value: &Value) -> FieldError {
    FieldError::new(
        DUPLICATE,
        path_index(path, &i.to_string()),
        format!("Duplicate value: {}", go_value(value)),
    )
}

/// The indices of the second occurrence of each value that occurs more than once. Scalars are
/// compared as decoded (`1` and `1.0` differ), lists and objects by their JSON.
fn second_occurrences(items: &[Value]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, x) in items.iter().enumerate() {
        let earlier = items[..i].iter().filter(|e| *e == x).count();
        if earlier == 1 {
            out.push(i);
        }
    }
    out
}

fn list_map(s: &Schema, items: &[Value], path: &str, out: &mut Vec<FieldError>) {
    for (i, x) in items.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            out.push(FieldError::new(
                INVALID,
                path_index(path, &i.to_string()),
                format!(
                    "Invalid value: {}: must be an object for an array of list-type map",
                    go_value(x)
                ),
            ));
            return;
        }
    }
    if items.len() <= 1 {
        return;
    }
    let keys: Vec<Value> = items
        .iter()
        .map(|x| {
            let m = x.as_object();
            Value::Object(
                s.list_map_keys
                    .iter()
                    .filter_map(|k| m.and_then(|m| m.get(k)).map(|v| (k.clone(), v.clone())))
                    .collect(),
            )
        })
        .collect();
    for i in second_occurrences(&keys) {
        out.push(duplicate(path, i, &keys[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        let s = Schema::from_json(&schema).unwrap();
        validate_custom_resource(&s, &value)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn spec(props: Value) -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": props}}})
    }

    #[test]
    fn go_floats() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(100.0), "100");
        assert_eq!(go_float(123456.7), "123456.7");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(-2.5e-7), "-2.5e-07");
        assert_eq!(go_float(1e21), "1e+21");
    }

    #[test]
    fn go_quoting_and_values() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(go_value(&json!(null)), "\"null\"");
        assert_eq!(go_value(&json!(["a", 1])), "[]interface {}{\"a\", 1}");
        assert_eq!(
            go_value(&json!({"port": 80, "n": null})),
            "map[string]interface {}{\"n\":interface {}(nil), \"port\":80}"
        );
    }

    #[test]
    fn messages_of_each_validation() {
        let e = errors(
            spec(json!({
                "a": {"type": "integer", "maximum": 100},
                "b": {"type": "integer", "minimum": 1, "exclusiveMinimum": true},
                "c": {"type": "string", "maxLength": 3},
                "d": {"type": "string", "minLength": 3},
                "e": {"type": "string", "pattern": "^[a-z]+$"},
                "f": {"type": "array", "maxItems": 1, "items": {"type": "string"}},
                "g": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                "h": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
                "i": {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
                "j": {"type": "integer"},
                "k": {"type": "string", "enum": ["Low", "Normal", "High"]},
                "l": {"type": "string", "format": "date-time"},
                "m": {"type": "integer", "multipleOf": 5},
                "n": {"type": "number", "exclusiveMaximum": true, "maximum": 1.5}
            })),
            json!({"spec": {"a": 150, "b": 1, "c": "abcd", "d": "ab", "e": "A1", "f": ["x", "y"], "g": ["x"],
                            "h": {"x": "1", "y": "2"}, "i": {"x": "1"}, "j": "string", "k": "x", "l": "soon",
                            "m": 7, "n": 1.5}}),
        );
        assert_eq!(
            e,
            [
                "spec.a: Invalid value: 150: spec.a in body should be less than or equal to 100",
                "spec.b: Invalid value: 1: spec.b in body should be greater than 1",
                "spec.c: Too long: may not be more than 3 bytes",
                "spec.d: Invalid value: \"ab\": spec.d in body should be at least 3 chars long",
                "spec.e: Invalid value: \"A1\": spec.e in body should match '^[a-z]+$'",
                "spec.f: Too many: 2: must have at most 1 item",
                "spec.g: Invalid value: 1: spec.g in body should have at least 2 items",
                "spec.h: Too many: 2: must have at most 1 item",
                "spec.i: Invalid value: 1: spec.i in body should have at least 2 properties",
                "spec.j: Invalid value: \"string\": spec.j in body must be of type integer: \"string\"",
                "spec.k: Unsupported value: \"x\": supported values: \"Low\", \"Normal\", \"High\"",
                "spec.l: Invalid value: \"soon\": spec.l in body must be of type date-time: \"soon\"",
                "spec.m: Invalid value: 7: spec.m in body should be a multiple of 5",
                "spec.n: Invalid value: 1.5: spec.n in body should be less than 1.5",
            ]
        );
    }

    #[test]
    fn required_after_properties_and_duplicates_last() {
        let e = errors(
            json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["z", "a"], "properties": {
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string", "maxLength": 1}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"],
                          "items": {"type": "object", "properties": {"port": {"type": "integer"}}}},
                "m": {"type": "object", "additionalProperties": {"type": "integer"}}
            }}}}),
            json!({"spec": {"tags": ["a", "a", "a", "bb"], "ports": [{"port": 1}, {"port": 1}], "m": {"k.x": "v"}}}),
        );
        assert_eq!(
            e,
            [
                "spec.m.k.x: Invalid value: \"string\": spec.m.k.x in body must be of type integer: \"string\"",
                "spec.tags[3]: Too long: may not be more than 1 byte",
                "spec.z: Required value",
                "spec.a: Required value",
                "spec.ports[1]: Duplicate value: map[string]interface {}{\"port\":1}",
                "spec.tags[1]: Duplicate value: \"a\"",
            ]
        );
    }

    #[test]
    fn int_or_string_and_composition() {
        let e = errors(
            spec(
                json!({"x": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}}),
            ),
            json!({"spec": {"x": true}}),
        );
        assert_eq!(
            e,
            [
                "spec.x: Invalid value: \"boolean\": spec.x in body must be of type integer,string: \"boolean\"",
                "<nil>: Invalid value: \"\": \"spec.x\" must validate at least one schema (anyOf)",
                "spec.x: Invalid value: \"boolean\": spec.x in body must be of type integer: \"boolean\"",
            ]
        );
        assert!(blocks_cel(&validate_custom_resource(
            &Schema::from_json(&spec(json!({"x": {"type": "integer"}}))).unwrap(),
            &json!({"spec": {"x": "a"}})
        )));
    }

    #[test]
    fn embedded_resources() {
        let e = errors(
            spec(
                json!({"t": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}}),
            ),
            json!({"spec": {"t": {"kind": "Bad_Kind"}}}),
        );
        assert_eq!(e[0], "spec.t.apiVersion: Required value");
        assert!(e[1].starts_with("spec.t.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label"), "{e:?}");
    }
}
