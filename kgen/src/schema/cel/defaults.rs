//! Defaults against the rules of their node: the API server evaluates a node's
//! `x-kubernetes-validations` with `self` (and `oldSelf`) set to each default there, and rejects
//! the CRD when one is false (a default that fails would break every object that omits the field).

use crate::schema::Schema;
use cel::{Context, Env};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    // Without the strings extension fewer rules evaluate; those are skipped, not reported.
    let _ = env.add_extension(cel::extensions::strings);
    Arc::new(env)
});

/// The rules of `node` that `default` fails, as the API server reports them (the rule's message,
/// or `failed rule: <rule>`). Rules this evaluator cannot run (a library it lacks, a runtime
/// error) are left out: the API server is the judge of those.
pub fn failing_rules(node: &Schema, default: &Value) -> Vec<String> {
    if node.validations.is_empty() {
        return Vec::new();
    }
    super::with_parser_stack(|| {
        let value = kgen_schema::cel_value::to_cel(default, Some(node), false);
        let mut out = Vec::new();
        for rule in &node.validations {
            let Ok(program) = ENV.compile(&rule.rule) else { continue };
            let mut ctx = Context::with_env(ENV.clone());
            ctx.add_variable_from_value("self", value.clone());
            if program.references().has_variable("oldSelf") {
                if rule.optional_old_self == Some(true) {
                    // The create case the API server also runs: no old value.
                    continue;
                }
                ctx.add_variable_from_value("oldSelf", value.clone());
            }
            if let Ok(cel::Value::Bool(false)) = program.execute(&ctx) {
                out.push(
                    rule.message
                        .clone()
                        .unwrap_or_else(|| format!("failed rule: {}", rule.rule)),
                );
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Rule;
    use serde_json::json;

    fn node(rules: &[&str]) -> Schema {
        let mut s = Schema::typed("object");
        s.properties.insert("min".into(), Schema::typed("integer"));
        s.properties.insert("max".into(), Schema::typed("integer"));
        s.validations = rules
            .iter()
            .map(|r| Rule {
                rule: r.to_string(),
                ..Default::default()
            })
            .collect();
        s
    }

    #[test]
    fn a_default_that_fails_its_rule_is_reported() {
        let s = node(&["!has(self.min) || !has(self.max) || self.min <= self.max"]);
        assert!(failing_rules(&s, &json!({"min": 1, "max": 5})).is_empty());
        assert_eq!(
            failing_rules(&s, &json!({"min": 9, "max": 5})),
            ["failed rule: !has(self.min) || !has(self.max) || self.min <= self.max"]
        );
        // `{}` has no min: the API server does not fill in inner defaults before the check.
        let strict = node(&["self.min <= self.max"]);
        assert!(
            failing_rules(&strict, &json!({})).is_empty(),
            "a runtime error is not a failure here"
        );
        let transition = node(&["self == oldSelf"]);
        assert!(failing_rules(&transition, &json!({"min": 1})).is_empty());
    }
}
