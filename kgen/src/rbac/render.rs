//! Rendering roles as `role.yaml`: the header, then one `---` document per role.
//!
//! Keys are written in sorted order (as controller-gen's YAML does) and empty lists are left out,
//! so the ClusterRole of the same markers reads the same as controller-gen's.

use super::rules::{PolicyRule, Role};
use serde::Serialize;

/// The API version of the generated objects.
pub const API_VERSION: &str = "rbac.authorization.k8s.io/v1";

// Fields are declared in alphabetical order: serde writes them in declaration order.
#[derive(Serialize)]
struct RoleDoc<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    rules: Vec<RuleDoc<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
struct RuleDoc<'a> {
    #[serde(rename = "apiGroups", skip_serializing_if = "<[_]>::is_empty")]
    api_groups: &'a [String],
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "<[_]>::is_empty")]
    non_resource_urls: &'a [String],
    #[serde(rename = "resourceNames", skip_serializing_if = "<[_]>::is_empty")]
    resource_names: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    resources: &'a [String],
    verbs: &'a [String],
}

impl<'a> From<&'a PolicyRule> for RuleDoc<'a> {
    fn from(r: &'a PolicyRule) -> Self {
        RuleDoc {
            api_groups: &r.api_groups,
            non_resource_urls: &r.non_resource_urls,
            resource_names: &r.resource_names,
            resources: &r.resources,
            verbs: &r.verbs,
        }
    }
}

/// One role as a YAML document (without the leading `---`).
pub fn render_role(role: &Role) -> String {
    let doc = RoleDoc {
        api_version: API_VERSION,
        kind: role.kind(),
        metadata: Metadata {
            name: &role.name,
            namespace: role.namespace.as_deref(),
        },
        rules: role.rules.iter().map(RuleDoc::from).collect(),
    };
    let body = serde_saphyr::to_string(&doc).expect("roles serialise to YAML");
    body.strip_prefix("---\n").map(str::to_string).unwrap_or(body)
}

/// The whole file: `header` (a newline added if missing), then `---` and each role.
pub fn render(roles: &[Role], header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    if !header.is_empty() && !header.ends_with('\n') {
        out.push('\n');
    }
    for role in roles {
        out.push_str("---\n");
        out.push_str(&render_role(role));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
