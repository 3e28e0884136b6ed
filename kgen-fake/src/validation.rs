//! Admission of custom resources as the API server does it once their CRD is installed: unknown
//! fields pruned (or rejected with `fieldValidation=Strict`), defaults applied, the OpenAPI value
//! validations checked, then the CEL rules (`x-kubernetes-validations`).
//!
//! Pruning and defaulting use kgen's [`kgen_schema::validate`] (`prune`, which also drops the
//! `null`s of non-nullable fields, and `apply_defaults`); the value validations
//! [`kgen_schema::api_server`], which reports them as the API server does (kube-openapi's order
//! and wording, then embedded resources, then list-type duplicates); see [`super::cel`] for the
//! CEL part. As in the API server, CEL rules are skipped when an error of the kinds that would
//! make them meaningless (a type, required, enum, `maxLength`, `maxItems` or `maxProperties`
//! violation) was found, which is then reported as
//! `<nil>: Invalid value: "null": some validation rules were not checked because the object was
//! invalid; correct the existing errors to complete validation`.

use super::cel;
use super::meta::name_of;
use super::resources::{ResourceDef, VersionDef};
use super::status::{ApiResult, FieldError, error, invalid};
use kgen_schema::api_server;
use kgen_schema::validate::{ValueError, apply_defaults, prune, unknown_fields_of_object};
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

/// The `metadata.name` errors of an object (a DNS-1123 subdomain, as for most kinds), as the API
/// server words them.
pub(crate) fn name_errors(obj: &Value) -> Vec<FieldError> {
    let name = name_of(obj);
    super::meta::dns1123_subdomain_errors(name)
        .into_iter()
        .map(|why| {
            FieldError::new(
                "FieldValueInvalid",
                "metadata.name",
                format!("Invalid value: {}: {why}", api_server::go_quote(name)),
            )
        })
        .collect()
}

/// Whether the structural schema has CEL rules anywhere (the API server builds no CEL validator,
/// and so reports no skipped rules, without).
fn has_rules(s: &kgen_schema::Schema) -> bool {
    !s.validations.is_empty()
        || s.properties.values().any(has_rules)
        || s.items.as_deref().is_some_and(has_rules)
        || s.additional_properties.as_deref().is_some_and(has_rules)
}

fn from_api(e: api_server::FieldError) -> FieldError {
    FieldError::new(&e.reason, &e.field, e.body)
}

/// What the API server's decoder does to a custom resource before admission: unknown fields
/// pruned (or a 400 with `fieldValidation=Strict`) and defaults applied. Returns the unknown-field
/// warnings. [`admit`] does it again (idempotently) before validating.
pub(crate) fn decode(
    def: &ResourceDef,
    version: &VersionDef,
    obj: &mut Value,
    fv: FieldValidation,
) -> ApiResult<Vec<String>> {
    let Some(schema) = &version.schema else {
        return Ok(Vec::new());
    };
    let _ = def;
    let unknown: Vec<String> = unknown_fields_of_object(schema, obj).iter().map(unknown_path).collect();
    if fv == FieldValidation::Strict && !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|u| format!("unknown field \"{u}\"")).collect();
        return Err(error(400, format!("strict decoding error: {}", list.join(", "))));
    }
    prune(schema, obj);
    apply_defaults(schema, obj);
    Ok(match fv {
        FieldValidation::Warn => unknown.iter().map(|u| format!("unknown field \"{u}\"")).collect(),
        _ => Vec::new(),
    })
}

/// Prunes, defaults and validates `obj` (a whole object of `version`); `old` is the object being
/// replaced, for CEL transition rules; `errors` are those already found in its metadata, which
/// the API server reports in the same status, first. Returns warnings (unknown fields that were
/// dropped).
pub(crate) fn admit(
    def: &ResourceDef,
    version: &VersionDef,
    obj: &mut Value,
    old: Option<&Value>,
    fv: FieldValidation,
    mut errors: Vec<FieldError>,
) -> ApiResult<Vec<String>> {
    let Some(schema) = &version.schema else {
        if !errors.is_empty() {
            return Err(invalid(&def.kind, &def.group, name_of(obj), &errors));
        }
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
    let schema_errors = api_server::validate_custom_resource(schema, obj);
    let blocked = api_server::blocks_cel(&schema_errors);
    errors.extend(schema_errors.into_iter().map(from_api));
    if !has_rules(schema) {
        // No CEL validator at all: nothing to skip.
    } else if blocked {
        errors.push(from_api(api_server::cel_not_checked()));
    } else {
        errors.extend(cel::check_rules(schema, obj, old));
    }
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
        match admit(def, &def.versions[0], &mut obj, None, FieldValidation::Warn, Vec::new()) {
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
        // As kube-openapi: the failing branch's errors, then the allOf error, which (like those
        // of anyOf, oneOf and not) the API server reports without a field.
        assert_eq!(
            run(&d, thing(json!({"n": 1}))).unwrap_err(),
            ["FieldValueRequired spec.a", "FieldValueInvalid <nil>"]
        );
        assert_eq!(
            run(&d, thing(json!({"a": "x", "b": "y"}))).unwrap_err(),
            ["FieldValueInvalid <nil>", "FieldValueInvalid <nil>"]
        );
        assert_eq!(
            run(&d, thing(json!({"a": "x", "n": 13}))).unwrap_err(),
            ["FieldValueInvalid <nil>"]
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
}
