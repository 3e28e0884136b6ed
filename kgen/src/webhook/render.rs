//! Rendering the configurations as `manifests.yaml`: the header, then one `---` document per
//! configuration (the MutatingWebhookConfiguration first).
//!
//! Keys are written in sorted order and absent values are left out, as controller-gen's YAML
//! does, so the same markers read the same as controller-gen's `manifests.yaml`.

use super::rules::{ClientConfig, Configuration, Rule, Webhook};
use serde::Serialize;

/// The API version of the generated objects.
pub const API_VERSION: &str = "admissionregistration.k8s.io/v1";

// Fields are declared in alphabetical order: serde writes them in declaration order.
#[derive(Serialize)]
struct ConfigurationDoc<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    webhooks: Vec<WebhookDoc<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct WebhookDoc<'a> {
    #[serde(rename = "admissionReviewVersions")]
    admission_review_versions: &'a [String],
    #[serde(rename = "clientConfig")]
    client_config: ClientConfigDoc<'a>,
    #[serde(rename = "failurePolicy")]
    failure_policy: &'a str,
    #[serde(rename = "matchPolicy", skip_serializing_if = "Option::is_none")]
    match_policy: Option<&'a str>,
    name: &'a str,
    #[serde(rename = "reinvocationPolicy", skip_serializing_if = "Option::is_none")]
    reinvocation_policy: Option<&'a str>,
    rules: Vec<RuleDoc<'a>>,
    #[serde(rename = "sideEffects")]
    side_effects: &'a str,
    #[serde(rename = "timeoutSeconds", skip_serializing_if = "Option::is_none")]
    timeout_seconds: Option<i64>,
}

#[derive(Serialize)]
struct ClientConfigDoc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<ServiceDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct ServiceDoc<'a> {
    name: &'a str,
    namespace: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<i64>,
}

#[derive(Serialize)]
struct RuleDoc<'a> {
    #[serde(rename = "apiGroups")]
    api_groups: &'a [String],
    #[serde(rename = "apiVersions")]
    api_versions: &'a [String],
    operations: &'a [String],
    resources: &'a [String],
}

impl<'a> From<&'a Rule> for RuleDoc<'a> {
    fn from(r: &'a Rule) -> Self {
        RuleDoc {
            api_groups: &r.api_groups,
            api_versions: &r.api_versions,
            operations: &r.operations,
            resources: &r.resources,
        }
    }
}

impl<'a> From<&'a Webhook> for WebhookDoc<'a> {
    fn from(w: &'a Webhook) -> Self {
        let client_config = match &w.client_config {
            ClientConfig::Service {
                name,
                namespace,
                path,
                port,
            } => ClientConfigDoc {
                service: Some(ServiceDoc {
                    name,
                    namespace,
                    path,
                    port: *port,
                }),
                url: None,
            },
            ClientConfig::Url(url) => ClientConfigDoc {
                service: None,
                url: Some(url),
            },
        };
        WebhookDoc {
            admission_review_versions: &w.admission_review_versions,
            client_config,
            failure_policy: &w.failure_policy,
            match_policy: w.match_policy.as_deref(),
            name: &w.name,
            reinvocation_policy: w.reinvocation_policy.as_deref(),
            rules: w.rules.iter().map(RuleDoc::from).collect(),
            side_effects: &w.side_effects,
            timeout_seconds: w.timeout_seconds,
        }
    }
}

/// One configuration as a YAML document (without the leading `---`).
pub fn render_configuration(c: &Configuration) -> String {
    let doc = ConfigurationDoc {
        api_version: API_VERSION,
        kind: c.kind.kind(),
        metadata: Metadata { name: &c.name },
        webhooks: c.webhooks.iter().map(WebhookDoc::from).collect(),
    };
    let body = serde_saphyr::to_string(&doc).expect("webhook configurations serialise to YAML");
    body.strip_prefix("---\n").map(str::to_string).unwrap_or(body)
}

/// The whole file: `header` (a newline added if missing), then `---` and each configuration.
pub fn render(configurations: &[Configuration], header: &str) -> String {
    let mut out = String::new();
    out.push_str(header);
    if !header.is_empty() && !header.ends_with('\n') {
        out.push('\n');
    }
    for c in configurations {
        out.push_str("---\n");
        out.push_str(&render_configuration(c));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
