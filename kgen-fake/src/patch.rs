//! PATCH bodies: JSON merge patch, JSON patch, and the content types the API server accepts.

use super::status::{ApiResult, error};
use serde_json::Value;

/// The kind of a PATCH, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchKind {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json`: built-in kinds only; applied as a merge patch
    /// (no patch-merge keys: lists are replaced).
    Strategic,
    /// `application/apply-patch+yaml`: server-side apply.
    Apply,
}

impl PatchKind {
    /// The kind for a `Content-Type` header value.
    pub(crate) fn from_content_type(ct: &str) -> ApiResult<PatchKind> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchKind::Apply),
            other => Err(error(
                415,
                format!(
                    "the body of the request was in an unknown format - accepted media types include: \
                     application/json-patch+json, application/merge-patch+json, \
                     application/apply-patch+yaml (got {other:?})"
                ),
            )),
        }
    }

    /// The name used in actions (`json`, `merge`, `strategic`, `apply`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            PatchKind::Merge => "merge",
            PatchKind::Json => "json",
            PatchKind::Strategic => "strategic",
            PatchKind::Apply => "apply",
        }
    }
}

/// Parses a JSON body (400 BadRequest when it is not JSON).
pub(crate) fn parse_json(body: &[u8]) -> ApiResult<Value> {
    serde_json::from_slice(body).map_err(|e| error(400, format!("error decoding request body: {e}")))
}

/// Parses an apply body: JSON, or YAML (which a JSON body also is).
pub(crate) fn parse_yaml(body: &[u8]) -> ApiResult<Value> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body).map_err(|e| error(400, format!("invalid UTF-8: {e}")))?;
    serde_saphyr::from_str::<Value>(text).map_err(|e| error(400, format!("error decoding YAML: {e}")))
}

/// Applies a JSON merge patch (RFC 7386) to `doc`.
pub(crate) fn merge_patch(doc: &mut Value, patch: &Value) {
    json_patch::merge(doc, patch);
}

/// Applies a JSON patch (RFC 6902) to `doc`, all or nothing, with the API server's reading of
/// `test`: a `test` of a missing path against `null` succeeds (kube-runtime's finalizer helper
/// relies on it). A failed operation is a 422, as from the API server.
pub(crate) fn json_patch(doc: &mut Value, patch: &Value) -> ApiResult<()> {
    let ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| error(400, format!("error decoding JSON patch: {e}")))?;
    let mut work = doc.clone();
    for op in ops.0.iter() {
        if let json_patch::PatchOperation::Test(t) = op
            && t.value.is_null()
            && work.pointer(t.path.as_str()).is_none()
        {
            continue;
        }
        json_patch::patch(&mut work, std::slice::from_ref(op)).map_err(|e| {
            error(
                422,
                format!("the server rejected our request due to an error in our request: {e}"),
            )
        })?;
    }
    *doc = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_patch_test_ops_are_honoured() {
        let mut doc = json!({"metadata": {"finalizers": ["a"]}});
        let bad = json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "b"},
            {"op": "remove", "path": "/metadata/finalizers/0"}
        ]);
        let e = json_patch(&mut doc, &bad).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(doc, json!({"metadata": {"finalizers": ["a"]}}));
        let good = json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "a"},
            {"op": "remove", "path": "/metadata/finalizers/0"}
        ]);
        json_patch(&mut doc, &good).unwrap();
        assert_eq!(doc, json!({"metadata": {"finalizers": []}}));
    }

    #[test]
    fn test_of_missing_path_against_null_succeeds() {
        let mut doc = json!({"metadata": {}});
        let p = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}
        ]);
        json_patch(&mut doc, &p).unwrap();
        assert_eq!(doc, json!({"metadata": {"finalizers": ["x"]}}));
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchKind::from_content_type("application/merge-patch+json").unwrap(),
            PatchKind::Merge
        );
        assert_eq!(PatchKind::from_content_type("text/plain").unwrap_err().code, 415);
    }

    #[test]
    fn yaml_apply_bodies() {
        let v = parse_yaml(b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: '1'\n").unwrap();
        assert_eq!(v, json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}));
    }
}
