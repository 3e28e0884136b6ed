//! CEL validation rules (`x-kubernetes-validations`) evaluated with the `cel` crate.
//!
//! Each rule runs with `self` bound to the value of the node that carries it (at the root, an
//! object whose `metadata` only has `name` and `generateName`, as in the API server). Rules that
//! use `oldSelf` are transition rules: they run on updates, when the node's old value exists
//! (object properties and map entries correlate by key, `x-kubernetes-list-type: map` items by
//! their keys; other list items do not correlate); with `optionalOldSelf: true` they also run
//! on creates, `oldSelf` being a CEL optional. Integers are CEL `int`, `type: number` values
//! `double`. The environment is the standard library plus the `strings`, `lists` and `math`
//! extensions of the `cel` crate, with `matches()`.
//!
//! A rule the evaluator cannot handle — one that does not compile, or calls a function or
//! overload it does not have (Kubernetes' `quantity()`, `url()`, `isSorted()`, `format.dns1123Label()`,
//! timestamps and durations, ...), or yields a non-boolean — is skipped with a `tracing`
//! warning, never reported as a validation error. Runtime errors of supported operations (a
//! missing key, an index out of range, a division by zero) are reported as the API server
//! reports them: an Invalid error on the rule's field. `messageExpression` is evaluated when it
//! yields a string; otherwise `message`, or `failed rule: <rule>`, is used. Properties whose
//! names are not CEL identifiers are not escaped (`__dash__` and friends are not supported).

use super::status::FieldError;
use cel::common::types::CelOptional as Optional;
use cel::common::value::Val;
use cel::{Context, Env, ExecutionError, Program};
use kgen_schema::cel_value::to_cel;
use kgen_schema::{Rule, Schema};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    for ext in [
        cel::extensions::strings as fn(&mut Env) -> Result<(), cel::DeclarationError>,
        cel::extensions::lists,
        cel::extensions::math,
    ] {
        if let Err(e) = env.add_extension(ext) {
            tracing::warn!("fake API server: a CEL extension could not be registered: {e}");
        }
    }
    Arc::new(env)
});

/// The schema type shown in CEL error messages (`"object"`, `"integer"`, ...).
fn type_name(s: &Schema, v: &Value) -> String {
    s.ty().map(str::to_string).unwrap_or_else(|| {
        match v {
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Null => "null",
        }
        .to_string()
    })
}

/// Errors the evaluator raises for what it does not implement (as opposed to errors of the data).
fn unsupported(e: &ExecutionError) -> bool {
    matches!(
        e,
        ExecutionError::NoSuchOverload(_)
            | ExecutionError::UndeclaredReference(_)
            | ExecutionError::NotSupportedAsMethod { .. }
            | ExecutionError::UnsupportedTargetType { .. }
            | ExecutionError::InvalidArgumentCount { .. }
            | ExecutionError::UnexpectedType { .. }
            | ExecutionError::MissingArgumentOrTarget
            | ExecutionError::InternalError(_)
    )
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else if field.starts_with('[') {
        format!("{path}{field}")
    } else {
        format!("{path}.{field}")
    }
}

/// Evaluates every CEL rule of `schema` on `obj` (the whole object); `old` is the previous
/// object on updates.
pub(crate) fn check_rules(schema: &Schema, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk(schema, obj, old, "", true, &mut out);
    out
}

fn walk(s: &Schema, v: &Value, old: Option<&Value>, path: &str, root: bool, out: &mut Vec<FieldError>) {
    for rule in &s.validations {
        if let Some(e) = eval_rule(rule, s, v, old, path, root) {
            out.push(e);
        }
    }
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                if root && k == "metadata" {
                    continue;
                }
                let cs = s.properties.get(k).or(s.additional_properties.as_deref());
                let Some(cs) = cs else { continue };
                let child_path = if s.properties.contains_key(k) {
                    join(path, k)
                } else {
                    format!("{path}[{k}]")
                };
                let embedded = cs.embedded_resource == Some(true);
                walk(cs, c, old.and_then(|o| o.get(k)), &child_path, embedded, out);
            }
        }
        Value::Array(items) => {
            let Some(is) = s.items.as_deref() else { return };
            let keys = (s.list_type.as_deref() == Some("map")).then_some(&s.list_map_keys);
            for (i, item) in items.iter().enumerate() {
                let old_item = match (keys, old.and_then(Value::as_array)) {
                    (Some(keys), Some(old_items)) => {
                        old_items.iter().find(|o| keys.iter().all(|k| o.get(k) == item.get(k)))
                    }
                    _ => None,
                };
                let embedded = is.embedded_resource == Some(true);
                walk(is, item, old_item, &format!("{path}[{i}]"), embedded, out);
            }
        }
        _ => {}
    }
}

fn compile(src: &str, what: &str) -> Option<Program> {
    match ENV.compile(src) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("fake API server: skipping CEL {what} {src:?}: it does not compile here: {e}");
            None
        }
    }
}

fn eval_rule(rule: &Rule, s: &Schema, v: &Value, old: Option<&Value>, path: &str, root: bool) -> Option<FieldError> {
    let program = compile(&rule.rule, "rule")?;
    let transition = program.references().has_variable("oldSelf");
    let optional_old = rule.optional_old_self == Some(true);
    if transition && old.is_none() && !optional_old {
        return None;
    }
    let mut ctx = Context::with_env(ENV.clone());
    ctx.add_variable_from_value("self", to_cel(v, Some(s), root));
    if transition {
        let old_cel = old.map(|o| to_cel(o, Some(s), root));
        if optional_old {
            let opt = match old_cel {
                Some(val) => match Box::<dyn Val>::try_from(val) {
                    Ok(b) => Optional::of(b),
                    Err(e) => {
                        tracing::warn!("fake API server: skipping CEL rule {:?}: {e}", rule.rule);
                        return None;
                    }
                },
                None => Optional::none(),
            };
            ctx.add_variable_as_val("oldSelf", Box::new(opt));
        } else if let Some(val) = old_cel {
            ctx.add_variable_from_value("oldSelf", val);
        }
    }
    let field = match rule.field_path.as_deref() {
        Some(fp) if !fp.is_empty() => join(path, fp.trim_start_matches('.')),
        _ => path.to_string(),
    };
    let ty = type_name(s, v);
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(true)) => None,
        Ok(cel::Value::Bool(false)) => {
            let message = rule
                .message_expression
                .as_deref()
                .and_then(|src| {
                    let p = compile(src, "messageExpression")?;
                    match p.execute(&ctx) {
                        Ok(cel::Value::String(m)) if !m.trim().is_empty() => Some(m.to_string()),
                        Ok(_) => None,
                        Err(e) => {
                            tracing::warn!("fake API server: messageExpression {src:?} failed: {e}");
                            None
                        }
                    }
                })
                .or_else(|| rule.message.clone())
                .unwrap_or_else(|| format!("failed rule: {}", rule.rule));
            let (reason, text) = match rule.reason.as_deref() {
                Some("FieldValueForbidden") => ("FieldValueForbidden", format!("Forbidden: {message}")),
                Some("FieldValueRequired") => ("FieldValueRequired", format!("Required value: {message}")),
                Some("FieldValueDuplicate") => ("FieldValueDuplicate", format!("Duplicate value: {message}")),
                _ => ("FieldValueInvalid", format!("Invalid value: \"{ty}\": {message}")),
            };
            Some(FieldError::new(reason, &field, text))
        }
        Ok(other) => {
            tracing::warn!(
                "fake API server: skipping CEL rule {:?}: it yields {other:?}, not a boolean",
                rule.rule
            );
            None
        }
        Err(e) if unsupported(&e) => {
            tracing::warn!(
                "fake API server: skipping CEL rule {:?}: the evaluator cannot handle it: {e}",
                rule.rule
            );
            None
        }
        Err(e) => Some(FieldError::new(
            "FieldValueInvalid",
            &field,
            format!("Invalid value: \"{ty}\": {}: {e}", rule.rule),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(rules: Value) -> Schema {
        Schema::from_json(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "x-kubernetes-validations": rules,
                    "properties": {
                        "replicas": {"type": "integer"},
                        "name": {"type": "string"},
                        "ratio": {"type": "number"}
                    }
                }
            }
        }))
        .unwrap()
    }

    fn errs(rules: Value, obj: Value, old: Option<Value>) -> Vec<String> {
        check_rules(&schema(rules), &obj, old.as_ref())
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn rules_pass_and_fail() {
        let rules = json!([{"rule": "self.replicas >= 0", "message": "replicas must be non-negative"}]);
        assert!(errs(rules.clone(), json!({"spec": {"replicas": 1}}), None).is_empty());
        assert_eq!(
            errs(rules, json!({"spec": {"replicas": -1}}), None),
            vec!["spec: Invalid value: \"object\": replicas must be non-negative"]
        );
    }

    #[test]
    fn has_size_strings_and_doubles() {
        let rules = json!([
            {"rule": "!has(self.name) || size(self.name) <= 3"},
            {"rule": "!has(self.name) || self.name.startsWith('a')"},
            {"rule": "!has(self.ratio) || self.ratio < 1.0"},
            {"rule": "!has(self.name) || self.name.matches('^[a-z]+$')"}
        ]);
        assert!(errs(rules.clone(), json!({"spec": {"ratio": 0}}), None).is_empty());
        assert!(errs(rules.clone(), json!({"spec": {"name": "abc", "ratio": 0.5}}), None).is_empty());
        assert_eq!(
            errs(rules, json!({"spec": {"name": "bcd9", "ratio": 2}}), None).len(),
            4
        );
    }

    #[test]
    fn transition_rules_need_an_old_value() {
        let rules = json!([{"rule": "self.replicas >= oldSelf.replicas", "message": "no scale down", "fieldPath": ".replicas"}]);
        assert!(errs(rules.clone(), json!({"spec": {"replicas": 1}}), None).is_empty());
        assert_eq!(
            errs(
                rules,
                json!({"spec": {"replicas": 1}}),
                Some(json!({"spec": {"replicas": 2}}))
            ),
            vec!["spec.replicas: Invalid value: \"object\": no scale down"]
        );
    }

    #[test]
    fn optional_old_self() {
        let rules = json!([{"rule": "!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas", "optionalOldSelf": true}]);
        assert!(errs(rules.clone(), json!({"spec": {"replicas": 1}}), None).is_empty());
        assert_eq!(
            errs(
                rules,
                json!({"spec": {"replicas": 1}}),
                Some(json!({"spec": {"replicas": 2}}))
            )
            .len(),
            1
        );
    }

    #[test]
    fn unsupported_rules_are_skipped() {
        let rules = json!([
            {"rule": "quantity(self.name).isGreaterThan(quantity('1'))"},
            {"rule": "self.replicas >"},
            {"rule": "self.replicas"}
        ]);
        assert!(errs(rules, json!({"spec": {"replicas": 1, "name": "1"}}), None).is_empty());
    }

    #[test]
    fn message_expressions() {
        let rules = json!([{"rule": "self.replicas < 5", "messageExpression": "'too many: ' + string(self.replicas)"}]);
        assert_eq!(
            errs(rules, json!({"spec": {"replicas": 7}}), None),
            vec!["spec: Invalid value: \"object\": too many: 7"]
        );
    }

    #[test]
    fn missing_keys_are_errors() {
        let rules = json!([{"rule": "self.name == 'x'"}]);
        let e = errs(rules, json!({"spec": {"replicas": 1}}), None);
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("No such key"), "{e:?}");
    }
}
