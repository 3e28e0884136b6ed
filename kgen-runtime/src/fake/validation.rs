//! Admission of custom resources as the API server does it once their CRD is installed: unknown
//! fields pruned (or rejected with `fieldValidation=Strict`), defaults applied, the OpenAPI value
//! validations checked, then the CEL rules (`x-kubernetes-validations`).
//!
//! The schema part uses kgen's own [`kgen::schema::validate`] functions (`prune`,
//! `apply_defaults`, `validate_value`); see [`super::cel`] for the CEL part. CEL rules are only
//! evaluated when the OpenAPI validations pass.

use super::cel;
use super::meta::name_of;
use super::resources::{ResourceDef, VersionDef};
use super::status::{ApiResult, FieldError, error, invalid};
use kgen::schema::Schema;
use kgen::schema::validate::{ValueError, apply_defaults, prune, unknown_fields_of_object, validate_value};
use serde_json::Value;

/// How unknown fields are handled (`fieldValidation` query parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldValidation {
    /// Dropped silently.
    Ignore,
    /// Dropped with a `Warning` header (the API server's default).
    Warn,
    /// Rejected with 400 BadRequest.
    Strict,
}

impl FieldValidation {
    pub(crate) fn from_query(v: Option<&str>) -> FieldValidation {
        match v {
            Some("Strict") => FieldValidation::Strict,
            Some("Ignore") => FieldValidation::Ignore,
            _ => FieldValidation::Warn,
        }
    }
}

/// The full path of an unknown field from kgen's `unknown field "x"` report at `path`.
fn unknown_path(e: &ValueError) -> String {
    let name = e
        .message
        .strip_prefix("unknown field ")
        .and_then(|q| serde_json::from_str::<String>(q).ok())
        .unwrap_or_else(|| e.message.clone());
    if e.path.is_empty() {
        name
    } else {
        format!("{}.{name}", e.path)
    }
}

/// The value at a validation path (`spec.pools[0].count`, `labels[key]`).
fn value_at_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            cur = match cur {
                Value::Array(a) => a.get(inner.parse::<usize>().ok()?)?,
                Value::Object(m) => m.get(inner)?,
                _ => return None,
            };
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        }
    }
    Some(cur)
}

/// An OpenAPI validation error as the API server words it.
fn field_error(obj: &Value, e: &ValueError) -> FieldError {
    let m = &e.message;
    if m == "Required value" {
        return FieldError::new("FieldValueRequired", &e.path, "Required value");
    }
    let shown = value_at_path(obj, &e.path)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "null".into());
    if let Some(rest) = m.strip_prefix("Duplicate value: ") {
        return FieldError::new("FieldValueDuplicate", &e.path, format!("Duplicate value: {rest}"));
    }
    if m.starts_with("must be one of") {
        return FieldError::new(
            "FieldValueNotSupported",
            &e.path,
            format!("Unsupported value: {shown}: {m}"),
        );
    }
    if m.starts_with("must be of type") || m.starts_with("must be an integer or a string") {
        return FieldError::new("FieldValueTypeInvalid", &e.path, format!("Invalid value: {shown}: {m}"));
    }
    FieldError::new("FieldValueInvalid", &e.path, format!("Invalid value: {shown}: {m}"))
}

/// Drops `null` values of object fields whose schema is not `nullable`, as the API server does
/// before defaulting (since Kubernetes 1.20), so that a default applies and an optional field
/// sent as `null` is simply absent. (kgen's `prune` keeps them, and `validate_value` then reports
/// a type error.)
fn drop_non_nullable_nulls(s: &Schema, v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, c| {
                let cs = s.properties.get(k).or(s.additional_properties.as_deref());
                !(c.is_null() && cs.is_some_and(|cs| !cs.nullable))
            });
            for (k, c) in m.iter_mut() {
                if let Some(cs) = s.properties.get(k).or(s.additional_properties.as_deref()) {
                    drop_non_nullable_nulls(cs, c);
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.items.as_deref() {
                for i in items {
                    drop_non_nullable_nulls(is, i);
                }
            }
        }
        _ => {}
    }
}

/// Checks `metadata.name` of a new object.
pub(crate) fn check_name(def: &ResourceDef, obj: &Value) -> ApiResult<()> {
    let name = name_of(obj);
    if let Some(why) = super::meta::dns1123_subdomain_error(name) {
        return Err(invalid(
            &def.kind,
            &def.group,
            name,
            &[FieldError::new(
                "FieldValueInvalid",
                "metadata.name",
                format!("Invalid value: {:?}: {why}", name),
            )],
        ));
    }
    Ok(())
}

/// Prunes, defaults and validates `obj` (a whole object of `version`); `old` is the object being
/// replaced, for CEL transition rules. Returns warnings (unknown fields that were dropped).
pub(crate) fn admit(
    def: &ResourceDef,
    version: &VersionDef,
    obj: &mut Value,
    old: Option<&Value>,
    fv: FieldValidation,
) -> ApiResult<Vec<String>> {
    let Some(schema) = &version.schema else {
        return Ok(Vec::new());
    };
    let unknown: Vec<String> = unknown_fields_of_object(schema, obj).iter().map(unknown_path).collect();
    if fv == FieldValidation::Strict && !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|u| format!("unknown field \"{u}\"")).collect();
        return Err(error(400, format!("strict decoding error: {}", list.join(", "))));
    }
    prune(schema, obj);
    drop_non_nullable_nulls(schema, obj);
    apply_defaults(schema, obj);
    let errors: Vec<FieldError> = validate_value(schema, obj)
        .iter()
        .map(|e| field_error(obj, e))
        .collect();
    let errors = if errors.is_empty() {
        cel::check_rules(schema, obj, old)
    } else {
        errors
    };
    if !errors.is_empty() {
        return Err(invalid(&def.kind, &def.group, name_of(obj), &errors));
    }
    Ok(match fv {
        FieldValidation::Warn => unknown.iter().map(|u| format!("unknown field \"{u}\"")).collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_of_non_nullable_fields_are_dropped() {
        let s = Schema::from_json(&json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "nullable": true},
            "m": {"type": "object", "additionalProperties": {"type": "integer"}}
        }}))
        .unwrap();
        let mut v = json!({"a": null, "b": null, "m": {"x": null, "y": 1}});
        drop_non_nullable_nulls(&s, &mut v);
        assert_eq!(v, json!({"b": null, "m": {"y": 1}}));
    }

    #[test]
    fn paths_resolve_values() {
        let v = json!({"spec": {"pools": [{"count": 3}], "labels": {"a.b": "x"}}});
        assert_eq!(value_at_path(&v, "spec.pools[0].count"), Some(&json!(3)));
        assert_eq!(value_at_path(&v, "spec.labels[a.b]"), Some(&json!("x")));
        assert_eq!(value_at_path(&v, ""), Some(&v));
    }
}
