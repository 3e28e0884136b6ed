//! Warnings for CRDs too big for the places a CRD is stored.
//!
//! Two limits bite CRDs that embed pod templates: the API server refuses a request body over
//! etcd's default limit (1.5 MiB), and client-side `kubectl apply` copies the whole object into
//! the `kubectl.kubernetes.io/last-applied-configuration` annotation, and annotations may hold at
//! most 256 KiB in all. Both count the JSON the client sends, which is what is measured here.

use super::Crd;
use crate::diag::Diagnostic;
use serde_json::Value;

/// etcd's default request size limit (`--max-request-bytes`), which the API server inherits.
pub const ETCD_LIMIT: usize = 1536 * 1024;
/// The total size annotations may have (`TotalAnnotationSizeLimitB`).
pub const ANNOTATION_LIMIT: usize = 256 * 1024;

/// A warning when `value` (the CRD as written) exceeds either limit, naming its largest fields.
pub fn size_warning(crd: &Crd, value: &Value) -> Option<Diagnostic> {
    let size = json_len(value);
    let what = if size > ETCD_LIMIT {
        format!(
            "is {} as JSON, over the 1.5 MiB the API server stores (etcd's request limit): applying it fails",
            kib(size)
        )
    } else if size > ANNOTATION_LIMIT {
        format!(
            "is {} as JSON, over the 256 KiB of kubectl's last-applied-configuration annotation: client-side \
             `kubectl apply` fails (`kubectl apply --server-side` and `kubectl create` work)",
            kib(size)
        )
    } else {
        return None;
    };
    let largest = largest_fields(value, size);
    let fields = largest
        .iter()
        .map(|(path, n)| format!("{path} ({})", kib(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::warning(
            crd.location.clone(),
            format!("CRD {} {what}; largest fields: {fields}", crd.name()),
        )
        .with_help(
            "shorten descriptions with --max-desc-len (kgen::Builder::max_desc_len; 0 removes them), or \
             mark a big field +kubebuilder:validation:Schemaless with +kubebuilder:pruning:PreserveUnknownFields",
        ),
    )
}

fn kib(n: usize) -> String {
    format!("{:.0} KiB", n as f64 / 1024.0)
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(0)
}

/// The deepest schema properties that each hold at least a fifth of the CRD, biggest first (at
/// most three), as `version: spec.template.spec`.
fn largest_fields(crd: &Value, total: usize) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    for v in versions.into_iter().flatten() {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
            walk(schema, "", &format!("{name}: "), total / 5, &mut found);
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(3);
    found
}

/// Pushes the deepest nodes under `node` of at least `min` bytes; true when it pushed any.
fn walk(node: &Value, path: &str, prefix: &str, min: usize, found: &mut Vec<(String, usize)>) -> bool {
    let mut children: Vec<(String, &Value)> = Vec::new();
    if let Some(Value::Object(props)) = node.get("properties") {
        for (k, v) in props {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            children.push((p, v));
        }
    }
    for (key, suffix) in [("items", "[*]"), ("additionalProperties", "[*]")] {
        if let Some(v) = node.get(key) {
            children.push((format!("{path}{suffix}"), v));
        }
    }
    let mut pushed = false;
    for (p, child) in children {
        let n = json_len(child);
        if n < min {
            continue;
        }
        if !walk(child, &p, prefix, min, found) {
            found.push((format!("{prefix}{p}"), n));
        }
        pushed = true;
    }
    pushed
}
