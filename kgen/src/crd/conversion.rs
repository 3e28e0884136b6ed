//! `spec.conversion`: `Webhook` for the kinds that ask for it (`+kgen:conversion:webhook` on the
//! kind's type or its group-version module, or `--conversion-webhook` for every kind with several
//! versions), checked as the API server checks it (`validateCustomResourceConversion`, whose
//! service and URL rules are the admission webhooks' own: `webhook::rules`).

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::Marker;
use crate::webhook::rules::{check_dns_label, check_path, check_url};
use serde_json::{Map, Value, json};

/// The service kubebuilder's layout names, in the namespace kustomize replaces.
pub const DEFAULT_SERVICE_NAME: &str = "webhook-service";
/// The namespace kubebuilder's layout uses before kustomize sets the real one.
pub const DEFAULT_SERVICE_NAMESPACE: &str = "system";
/// The path controller-runtime serves conversions on.
pub const DEFAULT_PATH: &str = "/convert";

/// How a kind asks for webhook conversion.
pub enum Request<'a> {
    /// A `+kgen:conversion:webhook` marker (its arguments say where the webhook is).
    Marker(&'a Marker),
    /// `--conversion-webhook` / `Builder::conversion_webhook`: the default service.
    Flag,
}

/// The `spec.conversion` of a CRD with `versions` versions, or `None` for the API server's
/// default (`strategy: None`). A kind with one version needs no conversion: asked for by a
/// marker, that is a warning; by the flag, nothing.
pub fn spec_conversion(
    kind: &str,
    versions: usize,
    request: Option<Request>,
    at: &Location,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let request = request?;
    if versions < 2 {
        if let Request::Marker(m) = request {
            diags.push(
                Diagnostic::warning(
                    m.location.clone(),
                    format!("{kind} has one version: there is nothing to convert, spec.conversion stays None"),
                )
                .with_help("add the marker when the kind gets its second version"),
            );
        }
        return None;
    }
    let marker = match request {
        Request::Marker(m) => Some(m),
        Request::Flag => None,
    };
    let arg = |name: &str| marker.and_then(|m| m.str(name));
    let client_config = if let Some(url) = arg("url") {
        let m = marker.expect("url comes from a marker");
        if ["serviceName", "serviceNamespace", "servicePort", "path"]
            .iter()
            .any(|a| m.arg(a).is_some())
        {
            diags.push(
                m.error("+kgen:conversion:webhook takes either url or the service arguments (serviceName, serviceNamespace, servicePort, path), not both")
                    .with_help("the API server needs exactly one of url and service in spec.conversion.webhook.clientConfig"),
            );
        }
        for (problem, help) in check_url(url) {
            diags.push(
                m.error(format!("+kgen:conversion:webhook url `{url}`: {problem}"))
                    .with_help(help),
            );
        }
        json!({ "url": url })
    } else {
        let mut service = Map::new();
        let name = arg("serviceName").unwrap_or(DEFAULT_SERVICE_NAME);
        let namespace = arg("serviceNamespace").unwrap_or(DEFAULT_SERVICE_NAMESPACE);
        let path = arg("path").unwrap_or(DEFAULT_PATH);
        let location = marker.map(|m| m.location.clone()).unwrap_or_else(|| at.clone());
        // A Service name is a DNS-1035 label, a namespace a DNS-1123 label.
        for (what, value, rfc1035) in [("serviceName", name, true), ("serviceNamespace", namespace, false)] {
            if let Err(e) = check_dns_label(value, rfc1035) {
                diags.push(
                    Diagnostic::error(
                        location.clone(),
                        format!("+kgen:conversion:webhook {what} `{value}` must be {e}"),
                    )
                    .with_help("a Service name and namespace are lower-case DNS labels, such as webhook-service"),
                );
            }
        }
        if let Err(e) = check_path(path) {
            diags.push(
                Diagnostic::error(location.clone(), format!("+kgen:conversion:webhook path `{path}`: {e}"))
                    .with_help("write an absolute path such as /convert"),
            );
        }
        service.insert("name".into(), json!(name));
        service.insert("namespace".into(), json!(namespace));
        service.insert("path".into(), json!(path));
        if let Some(port) = marker.and_then(|m| m.arg("servicePort")).and_then(Value::as_i64) {
            if !(1..=65535).contains(&port) {
                diags.push(
                    Diagnostic::error(
                        location,
                        format!("+kgen:conversion:webhook servicePort {port} is not a port"),
                    )
                    .with_help("give a port from 1 to 65535 (the API server uses 443 when it is left out)"),
                );
            }
            service.insert("port".into(), json!(port));
        }
        json!({ "service": service })
    };
    Some(json!({
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": client_config,
            "conversionReviewVersions": ["v1"],
        },
    }))
}
