//! JSON values as CEL values, the way the API server hands them to `x-kubernetes-validations`
//! rules: guided by the schema (`type: number` is `double`, integers are `int`), and at a resource
//! root (`root`) with `metadata` reduced to `name` and `generateName`.

use crate::Schema;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Converts JSON to a CEL value, guided by the schema (`number` → double, integers → int).
/// `root`: the value is a resource root, whose `metadata` is reduced to `name`/`generateName`.
pub fn to_cel(v: &Value, s: Option<&Schema>, root: bool) -> cel::Value {
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => {
            let wants_double = s.is_some_and(|s| s.ty() == Some("number"));
            if wants_double {
                cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))
            } else if let Some(i) = n.as_i64() {
                cel::Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                cel::Value::UInt(u)
            } else {
                cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(t) => cel::Value::String(Arc::new(t.clone())),
        Value::Array(items) => {
            let is = s.and_then(|s| s.items.as_deref());
            cel::Value::List(Arc::new(items.iter().map(|i| to_cel(i, is, false)).collect()))
        }
        Value::Object(m) => {
            let mut out: HashMap<String, cel::Value> = HashMap::new();
            for (k, c) in m {
                if root && k == "metadata" {
                    let mut meta: HashMap<String, cel::Value> = HashMap::new();
                    for key in ["name", "generateName"] {
                        if let Some(Value::String(x)) = c.get(key) {
                            meta.insert(key.to_string(), cel::Value::String(Arc::new(x.clone())));
                        }
                    }
                    out.insert(k.clone(), cel::Value::from(meta));
                    continue;
                }
                let cs = s.and_then(|s| s.properties.get(k).or(s.additional_properties.as_deref()));
                let embedded = cs.is_some_and(|c| c.embedded_resource == Some(true));
                out.insert(k.clone(), to_cel(c, cs, embedded));
            }
            cel::Value::from(out)
        }
    }
}
