//! Admission of custom resources as the API server does it once their CRD is installed: unknown
//! fields pruned (or rejected with `fieldValidation=Strict`), defaults applied, the OpenAPI value
//! validations checked, then the CEL rules (`x-kubernetes-validations`).
//!
//! The schema part uses kgen's own [`kgen_schema::validate`] functions (`prune`, which also drops
//! the `null`s of non-nullable fields, `apply_defaults`, `validate_value`); see [`super::cel`] for
//! the CEL part. CEL rules are only evaluated when the OpenAPI validations pass.

use super::cel;
use super::meta::name_of;
use super::resources::{ResourceDef, VersionDef};
use super::status::{ApiResult, FieldError, error, invalid};
use kgen_schema::validate::{ValueError, apply_defaults, prune, unknown_fields_of_object, validate_value};
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
    // As the API server: prune (unknown fields, then `null`s of non-nullable fields without a
    // default), default, validate.
    prune(schema, obj);
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

    fn def(schema: Value) -> ResourceDef {
        super::super::resources::from_crd(&json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.kgen.dev"},
            "spec": {
                "group": "kgen.dev",
                "names": {"kind": "Thing", "plural": "things"},
                "scope": "Namespaced",
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": schema}}]
            }
        }))
        .unwrap()
    }

    fn thing(spec: Value) -> Value {
        json!({"apiVersion": "kgen.dev/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": "default"}, "spec": spec})
    }

    /// Admits `obj`: the admitted object, or the 422's causes as `reason field`.
    fn run(def: &ResourceDef, mut obj: Value) -> Result<Value, Vec<String>> {
        match admit(def, &def.versions[0], &mut obj, None, FieldValidation::Warn) {
            Ok(_) => Ok(obj),
            Err(status) => {
                assert_eq!(status.code, 422, "{status:?}");
                let causes = status.details.map(|d| d.causes).unwrap_or_default();
                Err(causes.iter().map(|c| format!("{} {}", c.reason, c.field)).collect())
            }
        }
    }

    #[test]
    fn nulls_of_non_nullable_fields_are_dropped_before_defaulting() {
        let d = def(json!({"type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "opt": {"type": "string"},
                "note": {"type": "string", "nullable": true},
                "size": {"type": "integer", "default": 3},
                "m": {"type": "object", "additionalProperties": {"type": "integer"}}
            }}
        }}));
        let ok = run(
            &d,
            thing(json!({"name": "n", "opt": null, "note": null, "size": null, "m": {"x": null, "y": 1}})),
        )
        .unwrap();
        assert_eq!(ok["spec"], json!({"name": "n", "note": null, "size": 3, "m": {"y": 1}}));
        assert_eq!(
            run(&d, thing(json!({"name": null}))).unwrap_err(),
            ["FieldValueRequired spec.name"]
        );
    }

    #[test]
    fn all_of_and_not_in_a_crd_are_enforced() {
        let d = def(json!({"type": "object", "properties": {
            "spec": {"type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                               "n": {"type": "integer", "not": {"enum": [13]}}},
                "allOf": [{"required": ["a"]}, {"not": {"required": ["b"]}}]}
        }}));
        assert!(run(&d, thing(json!({"a": "x", "n": 1}))).is_ok());
        assert_eq!(
            run(&d, thing(json!({"n": 1}))).unwrap_err(),
            ["FieldValueRequired spec.a"]
        );
        assert_eq!(
            run(&d, thing(json!({"a": "x", "b": "y"}))).unwrap_err(),
            ["FieldValueInvalid spec"]
        );
        assert_eq!(
            run(&d, thing(json!({"a": "x", "n": 13}))).unwrap_err(),
            ["FieldValueInvalid spec.n"]
        );
    }

    #[test]
    fn a_crd_with_a_keyword_structural_schemas_forbid_is_refused() {
        let e = super::super::resources::from_crd(&json!({
            "spec": {"group": "kgen.dev", "names": {"kind": "Thing", "plural": "things"},
                     "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {"$ref": "#/definitions/Spec"}}}}}]}
        }))
        .unwrap_err();
        assert!(e.contains("unknown keyword \"$ref\" at properties.spec"), "{e}");
    }

    #[test]
    fn paths_resolve_values() {
        let v = json!({"spec": {"pools": [{"count": 3}], "labels": {"a.b": "x"}}});
        assert_eq!(value_at_path(&v, "spec.pools[0].count"), Some(&json!(3)));
        assert_eq!(value_at_path(&v, "spec.labels[a.b]"), Some(&json!("x")));
        assert_eq!(value_at_path(&v, ""), Some(&v));
    }
}
