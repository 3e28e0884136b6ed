//! CEL types as the API server's checker sees them, and the type patterns of function overloads.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A CEL type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `uint`
    Uint,
    /// `double`
    Double,
    /// `string`
    String,
    /// `bytes`
    Bytes,
    /// `null_type`
    Null,
    /// `google.protobuf.Duration`
    Duration,
    /// `google.protobuf.Timestamp`
    Timestamp,
    /// `list(T)`
    List(Arc<Ty>),
    /// `map(K, V)`
    Map(Arc<Ty>, Arc<Ty>),
    /// An object from the schema, with its known fields.
    Object(Arc<Object>),
    /// `dyn`: anything, checked at runtime.
    Dyn,
    /// `type(T)`: the value of a type name such as `int`.
    Type(Arc<Ty>),
    /// `optional_type(T)`
    Optional(Arc<Ty>),
    /// A Kubernetes library type: `kubernetes.Quantity`, `net.IP`, `net.CIDR`, `kubernetes.URL`,
    /// `kubernetes.Semver`, `kubernetes.NamedFormat`.
    Opaque(&'static str),
    /// A type parameter of an overload (`A`, `B`), only inside patterns.
    Param(&'static str),
    /// After an error: matches everything, so one mistake is reported once.
    Error,
}

/// An object type: its fields by (escaped) CEL name.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Object {
    /// Fields.
    pub fields: BTreeMap<String, Ty>,
}

impl Ty {
    /// `list(t)`.
    pub fn list(t: Ty) -> Ty {
        Ty::List(Arc::new(t))
    }

    /// `map(k, v)`.
    pub fn map(k: Ty, v: Ty) -> Ty {
        Ty::Map(Arc::new(k), Arc::new(v))
    }

    /// True for `dyn` and error types, which fit anywhere.
    pub fn is_dyn(&self) -> bool {
        matches!(self, Ty::Dyn | Ty::Error)
    }

    /// Fixed-size values (cel-go's `isScalar`): their size is 1 for cost purposes.
    pub fn is_scalar(&self) -> bool {
        match self {
            Ty::Bool | Ty::Int | Ty::Uint | Ty::Double | Ty::Duration | Ty::Timestamp => true,
            Ty::Optional(t) => t.is_scalar(),
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => write!(f, "bool"),
            Ty::Int => write!(f, "int"),
            Ty::Uint => write!(f, "uint"),
            Ty::Double => write!(f, "double"),
            Ty::String => write!(f, "string"),
            Ty::Bytes => write!(f, "bytes"),
            Ty::Null => write!(f, "null_type"),
            Ty::Duration => write!(f, "google.protobuf.Duration"),
            Ty::Timestamp => write!(f, "google.protobuf.Timestamp"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Map(k, v) => write!(f, "map({k}, {v})"),
            Ty::Object(_) => write!(f, "object"),
            Ty::Dyn | Ty::Error => write!(f, "dyn"),
            Ty::Type(t) => write!(f, "type({t})"),
            Ty::Optional(t) => write!(f, "optional_type({t})"),
            Ty::Opaque(n) => write!(f, "{n}"),
            Ty::Param(p) => write!(f, "{p}"),
        }
    }
}

/// Type-parameter bindings made while matching an overload.
#[derive(Default, Clone)]
pub struct Bindings(Vec<(&'static str, Ty)>);

impl Bindings {
    fn get(&self, p: &str) -> Option<&Ty> {
        self.0.iter().find(|(n, _)| *n == p).map(|(_, t)| t)
    }

    /// `pattern` with its parameters replaced by their bindings (`dyn` when unbound).
    pub fn substitute(&self, pattern: &Ty) -> Ty {
        match pattern {
            Ty::Param(p) => self.get(p).cloned().unwrap_or(Ty::Dyn),
            Ty::List(t) => Ty::list(self.substitute(t)),
            Ty::Map(k, v) => Ty::map(self.substitute(k), self.substitute(v)),
            Ty::Type(t) => Ty::Type(Arc::new(self.substitute(t))),
            Ty::Optional(t) => Ty::Optional(Arc::new(self.substitute(t))),
            other => other.clone(),
        }
    }

    /// Whether `actual` fits `pattern`, binding parameters (cel-go's `isAssignable`, simplified:
    /// `dyn` fits everything in both directions, objects fit objects).
    pub fn fits(&mut self, pattern: &Ty, actual: &Ty) -> bool {
        if actual.is_dyn() {
            if let Ty::Param(p) = pattern
                && self.get(p).is_none()
            {
                self.0.push((p, Ty::Dyn));
            }
            return true;
        }
        match (pattern, actual) {
            (Ty::Param(p), _) => match self.get(p).cloned() {
                None => {
                    self.0.push((p, actual.clone()));
                    true
                }
                Some(bound) if bound.is_dyn() => true,
                Some(bound) => Bindings::default().fits(&bound, actual),
            },
            (Ty::Dyn, _) => true,
            (Ty::List(p), Ty::List(a)) => self.fits(p, a),
            (Ty::Map(pk, pv), Ty::Map(ak, av)) => self.fits(pk, ak) && self.fits(pv, av),
            (Ty::Optional(p), Ty::Optional(a)) => self.fits(p, a),
            (Ty::Type(p), Ty::Type(a)) => self.fits(p, a),
            (Ty::Object(_), Ty::Object(_)) => true,
            (Ty::Opaque(a), Ty::Opaque(b)) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

/// Parses an overload's type pattern: `string`, `list(A)`, `map(K, V)`, `optional(A)`, `type(A)`,
/// `Quantity`, ... (only used on the library's own table, so a bad pattern is a defect caught by tests).
pub fn pattern(text: &str) -> Ty {
    let text = text.trim();
    let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
    if let Some(i) = inner("list(") {
        return Ty::list(pattern(i));
    }
    if let Some(i) = inner("optional(") {
        return Ty::Optional(Arc::new(pattern(i)));
    }
    if let Some(i) = inner("type(") {
        return Ty::Type(Arc::new(pattern(i)));
    }
    if let Some(i) = inner("map(") {
        let (k, v) = split_top(i);
        return Ty::map(pattern(k), pattern(v));
    }
    match text {
        "bool" => Ty::Bool,
        "int" => Ty::Int,
        "uint" => Ty::Uint,
        "double" => Ty::Double,
        "string" => Ty::String,
        "bytes" => Ty::Bytes,
        "null" => Ty::Null,
        "duration" => Ty::Duration,
        "timestamp" => Ty::Timestamp,
        "dyn" => Ty::Dyn,
        "Quantity" => Ty::Opaque("kubernetes.Quantity"),
        "IP" => Ty::Opaque("net.IP"),
        "CIDR" => Ty::Opaque("net.CIDR"),
        "URL" => Ty::Opaque("kubernetes.URL"),
        "Semver" => Ty::Opaque("kubernetes.Semver"),
        "Format" => Ty::Opaque("kubernetes.NamedFormat"),
        "A" => Ty::Param("A"),
        "B" => Ty::Param("B"),
        "K" => Ty::Param("K"),
        "V" => Ty::Param("V"),
        other => panic!("unknown type pattern {other:?} in kgen's CEL library table"),
    }
}

fn split_top(s: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => return (&s[..i], &s[i + 1..]),
            _ => {}
        }
    }
    (s, "dyn")
}
