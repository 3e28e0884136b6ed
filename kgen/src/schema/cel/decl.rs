//! A schema node as CEL sees it (the API server's `SchemaDeclType`): the CEL type of `self`, and
//! per node the size bounds the cost estimator assumes.

use super::types::{Object, Ty};
use crate::schema::Schema;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The API server's request size limit, which bounds every unbounded size (3 MiB).
pub const MAX_REQUEST_SIZE: i64 = 3 * 1024 * 1024;
const MAX_DATETIME_SIZE: i64 = 32;
const MAX_DURATION_SIZE: i64 = 32;
const MIN_DURATION_SIZE: i64 = 3;
const DATE_SIZE: i64 = 12;
const MIN_DATETIME_SIZE: i64 = 21;
const MIN_STRING_SIZE: i64 = 2;
const MIN_BOOL_SIZE: i64 = 4;
const MIN_NUMBER_SIZE: i64 = 1;

/// One node: its CEL type, the most elements it can have (string length, list items, map
/// entries; 0 for scalars) and the fewest bytes it takes in JSON.
#[derive(Clone, Debug)]
pub struct Decl {
    /// The CEL type.
    pub ty: Ty,
    /// `MaxElements`.
    pub max_elements: u64,
    /// `MinSerializedSize`.
    pub min_size: i64,
    /// Children, for following a path (`spec`, `@items`, `@values`, `@keys`).
    pub children: Children,
}

/// The children of a node.
#[derive(Clone, Debug)]
pub enum Children {
    /// A scalar.
    None,
    /// A list's items.
    Items(Box<Decl>),
    /// A map's values (keys are strings).
    Values(Box<Decl>),
    /// An object's fields, by escaped name.
    Fields(BTreeMap<String, Decl>),
}

fn simple(ty: Ty, min_size: i64, max_elements: i64) -> Decl {
    Decl {
        ty,
        max_elements: max_elements.max(0) as u64,
        min_size,
        children: Children::None,
    }
}

/// The declaration of `s`, or `None` when CEL cannot see it (no type, not int-or-string).
/// `resource_root` adds `apiVersion`, `kind` and `metadata.{name,generateName}` as the API server
/// does at the root and in embedded resources.
pub fn decl(s: &Schema, resource_root: bool) -> Option<Decl> {
    if s.int_or_string == Some(true) {
        let max = match s.max_length {
            Some(n) => n.max(0) * 4,
            None => MAX_REQUEST_SIZE - 2,
        };
        return Some(simple(Ty::Dyn, 1, max));
    }
    let with_meta;
    let s = if resource_root {
        with_meta = with_type_and_object_meta(s);
        &with_meta
    } else {
        s
    };
    match s.ty()? {
        "array" => {
            let items = s.items.as_deref()?;
            let item = decl(items, items.embedded_resource == Some(true))?;
            let max = match s.max_items {
                Some(n) => n.max(0),
                None => (MAX_REQUEST_SIZE - 2) / (item.min_size + 1),
            };
            Some(Decl {
                ty: Ty::list(item.ty.clone()),
                max_elements: max as u64,
                min_size: 2,
                children: Children::Items(Box::new(item)),
            })
        }
        "object" => {
            if let Some(ap) = s.additional_properties.as_deref() {
                let value = decl(ap, ap.embedded_resource == Some(true))?;
                let max = match s.max_properties {
                    Some(n) => n.max(0),
                    None => (MAX_REQUEST_SIZE - 2) / (value.min_size + 6),
                };
                return Some(Decl {
                    ty: Ty::map(Ty::String, value.ty.clone()),
                    max_elements: max as u64,
                    min_size: 2,
                    children: Children::Values(Box::new(value)),
                });
            }
            let mut fields = BTreeMap::new();
            let mut min_size = 2;
            for (name, prop) in &s.properties {
                let Some(field) = decl(prop, prop.embedded_resource == Some(true)) else {
                    continue;
                };
                if s.required.contains(name) && prop.default.is_none() {
                    min_size += name.len() as i64 + field.min_size + 4;
                }
                if let Some(escaped) = escape(name) {
                    fields.insert(escaped, field);
                }
            }
            let object = Object {
                fields: fields.iter().map(|(k, d)| (k.clone(), d.ty.clone())).collect(),
            };
            Some(Decl {
                ty: Ty::Object(Arc::new(object)),
                max_elements: 0,
                min_size,
                children: Children::Fields(fields),
            })
        }
        "string" => Some(match s.format.as_deref() {
            Some("byte") => simple(Ty::Bytes, MIN_STRING_SIZE, s.max_length.unwrap_or(MAX_REQUEST_SIZE - 2)),
            Some("duration") => simple(Ty::Duration, MIN_DURATION_SIZE, MAX_DURATION_SIZE),
            Some("date") => simple(Ty::Timestamp, DATE_SIZE, DATE_SIZE),
            Some("date-time") => simple(Ty::Timestamp, MIN_DATETIME_SIZE, MAX_DATETIME_SIZE),
            _ => {
                let max = match (s.max_length, &s.enum_) {
                    (Some(n), _) => n.max(0) * 4,
                    (None, Some(values)) if !values.is_empty() => values
                        .iter()
                        .filter_map(|v| v.as_str())
                        .map(|v| v.len() as i64)
                        .max()
                        .unwrap_or(0),
                    _ => MAX_REQUEST_SIZE - 2,
                };
                simple(Ty::String, MIN_STRING_SIZE, max)
            }
        }),
        "boolean" => Some(simple(Ty::Bool, MIN_BOOL_SIZE, 0)),
        "number" => Some(simple(Ty::Double, MIN_NUMBER_SIZE, 0)),
        "integer" => Some(simple(Ty::Int, MIN_NUMBER_SIZE, 0)),
        _ => None,
    }
}

/// The node with `apiVersion`, `kind` and `metadata.{name,generateName}` as strings, as CEL
/// sees a resource root (no other metadata field is visible).
fn with_type_and_object_meta(s: &Schema) -> Schema {
    let mut out = s.clone();
    out.properties.insert("apiVersion".into(), Schema::typed("string"));
    out.properties.insert("kind".into(), Schema::typed("string"));
    let mut meta = Schema::typed("object");
    let old_meta = s.properties.get("metadata");
    for name in ["name", "generateName"] {
        let field = old_meta
            .and_then(|m| m.properties.get(name))
            .filter(|p| p.ty() == Some("string"))
            .cloned()
            .unwrap_or_else(|| Schema::typed("string"));
        meta.properties.insert(name.into(), field);
    }
    out.properties.insert("metadata".into(), meta);
    out
}

/// CEL's words that a property name must not be written as (`__<word>__` instead).
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// A property name as CEL spells it (the API server's `Escape`), or `None` when it cannot be
/// spelled (the property is then invisible to rules).
pub fn escape(name: &str) -> Option<String> {
    if RESERVED.contains(&name) {
        return Some(format!("__{name}__"));
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
    {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("__") {
            out.push_str("__underscores__");
            rest = r;
            continue;
        }
        match c {
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

impl Decl {
    /// The node a cost path leads to (`["self", "spec", "items", "@items"]`; the variable first).
    pub fn at(&self, path: &[String]) -> Option<&Decl> {
        let mut cur = self;
        for seg in path.iter().skip(1) {
            cur = match (seg.as_str(), &cur.children) {
                ("@items", Children::Items(d)) | ("@values", Children::Values(d)) => d,
                ("@keys", Children::Values(_)) => return Some(&KEY_DECL),
                (_, Children::Fields(f)) => f.get(seg)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// Map keys are strings of unknown length.
static KEY_DECL: Decl = Decl {
    ty: Ty::String,
    max_elements: (MAX_REQUEST_SIZE - 2) as u64,
    min_size: MIN_STRING_SIZE,
    children: Children::None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_api_server_does() {
        assert_eq!(escape("a.b").as_deref(), Some("a__dot__b"));
        assert_eq!(escape("x-y/z").as_deref(), Some("x__dash__y__slash__z"));
        assert_eq!(escape("a__b").as_deref(), Some("a__underscores__b"));
        assert_eq!(escape("namespace").as_deref(), Some("__namespace__"));
        assert_eq!(escape("1abc"), None);
        assert_eq!(escape("a b"), None);
    }

    #[test]
    fn sizes_follow_the_schema_bounds() {
        let mut s = Schema::typed("string");
        assert_eq!(decl(&s, false).unwrap().max_elements, (MAX_REQUEST_SIZE - 2) as u64);
        s.max_length = Some(10);
        assert_eq!(decl(&s, false).unwrap().max_elements, 40);
        let mut list = Schema::typed("array");
        list.items = Some(Box::new(Schema::typed("integer")));
        assert_eq!(
            decl(&list, false).unwrap().max_elements,
            ((MAX_REQUEST_SIZE - 2) / 2) as u64
        );
        list.max_items = Some(5);
        assert_eq!(decl(&list, false).unwrap().max_elements, 5);
    }
}
