//! `spec.conversion`: `Webhook` for the kinds that ask for it (`+kgen:conversion:webhook` on the
//! kind's type or its group-version module, or `--conversion-webhook` for every kind with several
//! versions), checked as the API server checks it (`validateCustomResourceConversion`).

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::Marker;
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
        if let Err(e) = check_url(url) {
            diags.push(
                m.error(format!("+kgen:conversion:webhook url `{url}`: {e}"))
                    .with_help("write an absolute https URL without user info, query or fragment, such as https://webhook.example.com:8443/convert"),
            );
        }
        json!({ "url": url })
    } else {
        let mut service = Map::new();
        let name = arg("serviceName").unwrap_or(DEFAULT_SERVICE_NAME);
        let namespace = arg("serviceNamespace").unwrap_or(DEFAULT_SERVICE_NAMESPACE);
        let path = arg("path").unwrap_or(DEFAULT_PATH);
        let location = marker.map(|m| m.location.clone()).unwrap_or_else(|| at.clone());
        for (what, value) in [("serviceName", name), ("serviceNamespace", namespace)] {
            if let Err(e) = check_dns_label(value) {
                diags.push(
                    Diagnostic::error(
                        location.clone(),
                        format!("+kgen:conversion:webhook {what} `{value}`: {e}"),
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

/// The API server's rules for a webhook URL: https, a host, no user info, query or fragment.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err("'https' is the only allowed URL scheme".into());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return Err("user information is not permitted in the URL".into());
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || authority.starts_with('[') => {
            if !port.is_empty() && !port.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("the port `{port}` is not a number"));
            }
            h
        }
        _ => authority,
    };
    if host.is_empty() {
        return Err("host must be specified".into());
    }
    let tail = &rest[authority_end..];
    if tail.contains('#') {
        return Err("fragments are not permitted in the URL".into());
    }
    if tail.contains('?') {
        return Err("query parameters are not permitted in the URL".into());
    }
    Ok(())
}

/// A service path: starts with `/` and has no empty segment.
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("must start with a '/'".into());
    }
    if path == "/" {
        return Ok(());
    }
    if path.trim_start_matches('/').split('/').any(str::is_empty) {
        return Err("segments may not be empty".into());
    }
    Ok(())
}

/// A DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric, at
/// most 63 characters.
fn check_dns_label(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("must be a lower-case DNS label (letters, digits and '-', at most 63 characters)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_api_servers_rules() {
        assert!(check_url("https://webhook.example.com/convert").is_ok());
        assert!(check_url("https://10.0.0.1:8443").is_ok());
        assert_eq!(
            check_url("http://x/convert").unwrap_err(),
            "'https' is the only allowed URL scheme"
        );
        assert_eq!(check_url("https:///convert").unwrap_err(), "host must be specified");
        assert_eq!(
            check_url("https://u:p@x/").unwrap_err(),
            "user information is not permitted in the URL"
        );
        assert_eq!(
            check_url("https://x/c?a=b").unwrap_err(),
            "query parameters are not permitted in the URL"
        );
        assert_eq!(
            check_url("https://x/c#f").unwrap_err(),
            "fragments are not permitted in the URL"
        );
    }

    #[test]
    fn paths_start_with_a_slash_and_have_no_empty_segment() {
        assert!(check_path("/convert").is_ok());
        assert!(check_path("/").is_ok());
        assert_eq!(check_path("convert").unwrap_err(), "must start with a '/'");
        assert_eq!(check_path("/a//b").unwrap_err(), "segments may not be empty");
        assert_eq!(check_path("/a/").unwrap_err(), "segments may not be empty");
    }
}
