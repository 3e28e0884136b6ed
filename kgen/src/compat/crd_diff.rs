//! The CRD-level rules: names, scope, conversion (strategy, webhook endpoint, review versions),
//! versions (served, storage, deprecation, subresources, printer columns, selectable fields),
//! and each version present in both CRDs handed to [`super::schema_diff`].

use super::report::{Change, Class, FieldPath};
use super::schema_diff::diff_schema;
use serde_json::Value;

/// Help for a renamed or rescoped CRD.
const NAMES_HELP: &str = "a CRD's names and scope identify its API: keep them, or publish a new CRD";

/// Compares a released CRD with the new one (the same `metadata.name`); every change found,
/// in the order found (see [`super::CompatReport::sort`]). The walk recurses once per schema
/// level, on kgen's large stack ([`crate::source::with_stack`]).
pub fn diff_crd(old: &Value, new: &Value) -> Vec<Change> {
    crate::source::with_stack(|| diff_here(old, new))
}

fn diff_here(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(String::from);
    for (pointer, what) in [
        ("/spec/group", "group"),
        ("/spec/scope", "scope"),
        ("/spec/names/kind", "kind"),
        ("/spec/names/listKind", "listKind"),
        ("/spec/names/plural", "plural"),
        ("/spec/names/singular", "singular"),
    ] {
        let (was, now) = (at(old, pointer), at(new, pointer));
        if was != now {
            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
            out.push(
                Change::new(
                    Class::Breaking,
                    format!("{what} changed: {} → {}", show(&was), show(&now)),
                )
                .help(NAMES_HELP),
            );
        }
    }
    // Short names and categories only serve `kubectl get <name>`: no stored object and no
    // client of the API breaks when one goes, but scripts typing it do. A warning, not an error.
    for (pointer, what) in [
        ("/spec/names/shortNames", "short name"),
        ("/spec/names/categories", "category"),
    ] {
        let list = |v: &Value| -> Vec<String> {
            v.pointer(pointer)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default()
        };
        let (was, now) = (list(old), list(new));
        for name in was.iter().filter(|n| !now.contains(n)) {
            out.push(
                Change::new(
                    Class::Warning,
                    format!("{what} `{name}` removed: `kubectl get {name}` stops working"),
                )
                .help("keep it in +kubebuilder:resource unless nobody types it"),
            );
        }
        for name in now.iter().filter(|n| !was.contains(n)) {
            out.push(Change::new(Class::Safe, format!("new {what} `{name}`")));
        }
    }
    conversion(old, new, &mut out);
    versions(old, new, &mut out);
    out
}

/// `spec.conversion` as the API server sees it: whether the strategy is `Webhook` (absent is
/// `None`), the webhook's endpoint with the defaults applied and `caBundle` left out (cert-manager
/// injects it, so released YAML often has one that generated YAML has not), and the
/// `conversionReviewVersions`.
struct Conversion {
    webhook: bool,
    endpoint: String,
    review_versions: Vec<String>,
}

impl Conversion {
    fn of(crd: &Value) -> Self {
        let conversion = crd.pointer("/spec/conversion");
        fn str_at<'a>(v: Option<&'a Value>, p: &str) -> Option<&'a str> {
            v.and_then(|v| v.pointer(p)).and_then(Value::as_str)
        }
        let config = conversion.and_then(|c| c.pointer("/webhook/clientConfig"));
        let endpoint = match (str_at(config, "/url"), config.and_then(|c| c.get("service"))) {
            (Some(url), _) => format!("url {url}"),
            (None, Some(service)) => {
                let s = |p| str_at(Some(service), p).unwrap_or_default();
                // The API server defaults the port to 443.
                let port = service.get("port").and_then(Value::as_i64).unwrap_or(443);
                format!("service {}/{}:{port}{}", s("/namespace"), s("/name"), s("/path"))
            }
            (None, None) => "(none)".into(),
        };
        Conversion {
            webhook: str_at(conversion, "/strategy") == Some("Webhook"),
            endpoint,
            review_versions: conversion
                .and_then(|c| c.pointer("/webhook/conversionReviewVersions"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default(),
        }
    }
}

/// The conversion strategy and webhook. The API server converts an object whenever it is read
/// or written at a version other than the one it is stored at: with `None` it only rewrites
/// `apiVersion`; with `Webhook` it calls the webhook, and a webhook that does not answer fails
/// the request (a list fails as a whole).
fn conversion(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (was, now) = (Conversion::of(old), Conversion::of(new));
    // With one version there is nothing to convert: the API server refuses to drop a version
    // from spec.versions while status.storedVersions lists it, so every stored object is at the
    // one version left, and no request names another.
    let several = version_list(new).len() > 1;
    let change = |class, message: String| Change::new(class, message).keyword("conversion");
    match (was.webhook, now.webhook) {
        (true, false) if several => out.push(
            change(
                Class::Breaking,
                "conversion webhook removed (strategy Webhook → None): objects stored at one version are served \
                 at another with only apiVersion rewritten"
                    .into(),
            )
            .gone()
            .help("keep +kgen:conversion:webhook while the CRD has more than one version"),
        ),
        (true, false) => out.push(
            change(
                Class::Safe,
                "conversion webhook removed (one version left: nothing to convert)".into(),
            )
            .gone(),
        ),
        // Not breaking, but from the moment the CRD is applied every read at a version other than
        // an object's stored one goes to the webhook: if it is not serving yet, those reads fail.
        (false, true) if several => out.push(
            change(
                Class::Warning,
                "conversion webhook added: reads at a version other than the stored one fail until it serves".into(),
            )
            .help("deploy the webhook (with its certificate) before applying this CRD"),
        ),
        (false, true) => out.push(change(Class::Safe, "conversion webhook added".into())),
        (true, true) => {
            if was.endpoint != now.endpoint {
                out.push(
                    change(
                        Class::Warning,
                        format!("conversion webhook moved: {} → {}", was.endpoint, now.endpoint),
                    )
                    .help("the new endpoint must be serving (with its certificate) before this CRD is applied"),
                );
            }
            for v in was.review_versions.iter().filter(|v| !now.review_versions.contains(v)) {
                out.push(
                    change(
                        Class::Warning,
                        format!("conversionReviewVersions: `{v}` removed: a webhook that only speaks {v} breaks"),
                    )
                    .help("keep it listed until the deployed webhook speaks one of the versions left"),
                );
            }
            for v in now.review_versions.iter().filter(|v| !was.review_versions.contains(v)) {
                out.push(change(Class::Safe, format!("conversionReviewVersions: `{v}` added")));
            }
        }
        (false, false) => {}
    }
}

/// The versions of a CRD, by name.
fn version_list(crd: &Value) -> Vec<(&str, &Value)> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().filter_map(|v| Some((v.get("name")?.as_str()?, v))).collect())
        .unwrap_or_default()
}

fn served(v: &Value) -> bool {
    v.get("served").and_then(Value::as_bool).unwrap_or(false)
}

fn storage(crd: &Value) -> Option<&str> {
    version_list(crd)
        .into_iter()
        .find(|(_, v)| v.get("storage").and_then(Value::as_bool) == Some(true))
        .map(|(n, _)| n)
}

fn versions(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (was, now) = (version_list(old), version_list(new));
    let with_version = |c: Change, v: &str| Change {
        version: Some(v.to_string()),
        ..c
    };
    for (name, ov) in &was {
        let Some((_, nv)) = now.iter().find(|(n, _)| n == name) else {
            let c = if served(ov) {
                Change::new(Class::Breaking, "served version removed").gone().help(
                    "keep serving it (deprecated with +kubebuilder:deprecatedversion) until its clients have moved",
                )
            } else {
                Change::new(
                    Class::Safe,
                    "unserved version removed (live clusters' status.storedVersions must not list it)",
                )
                .gone()
            };
            out.push(with_version(c, name));
            continue;
        };
        match (served(ov), served(nv)) {
            (true, false) => out.push(with_version(
                Change::new(Class::Breaking, "version no longer served (served: false)").help(
                    "keep serving it (deprecated with +kubebuilder:deprecatedversion) until its clients have moved",
                ),
                name,
            )),
            (false, true) => out.push(with_version(Change::new(Class::Safe, "version served again"), name)),
            _ => {}
        }
        let deprecated = |v: &Value| v.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        if !deprecated(ov) && deprecated(nv) {
            out.push(with_version(Change::new(Class::Safe, "version deprecated"), name));
        }
        let mut changes = Vec::new();
        subresources(ov, nv, &mut changes);
        columns(ov, nv, &mut changes);
        selectable_fields(ov, nv, &mut changes);
        let schema = |v: &'_ Value| v.pointer("/schema/openAPIV3Schema").cloned().unwrap_or(Value::Null);
        diff_schema(&schema(ov), &schema(nv), &FieldPath::root(), &mut changes);
        out.extend(changes.into_iter().map(|c| with_version(c, name)));
    }
    for (name, _) in &now {
        if !was.iter().any(|(n, _)| n == name) {
            out.push(with_version(
                Change::new(Class::Safe, "new version (not checked)"),
                name,
            ));
        }
    }
    let (was_storage, now_storage) = (storage(old), storage(new));
    if was_storage != now_storage {
        out.push(
            Change::new(
                Class::Breaking,
                format!(
                    "storage version changed: {} → {}",
                    was_storage.unwrap_or("(none)"),
                    now_storage.unwrap_or("(none)")
                ),
            )
            .help(format!(
                "keep +kubebuilder:storageversion on {}; switch it in a release of its own, with both versions served, \
                 and migrate stored objects before dropping the old one",
                was_storage.unwrap_or("the old version")
            )),
        );
    }
}

/// The status and scale subresources. Adding `status` is breaking too: from then on writes to
/// the main resource ignore `.status`, so a client that set it there silently loses it.
fn subresources(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let help = "keep the subresources as released, or change them in a new version";
    for sub in ["status", "scale"] {
        let pointer = format!("/subresources/{sub}");
        match (old.pointer(&pointer), new.pointer(&pointer)) {
            (Some(_), None) => out.push(Change::new(Class::Breaking, format!("{sub} subresource removed")).help(help)),
            (None, Some(_)) if sub == "status" => out.push(
                Change::new(
                    Class::Breaking,
                    "status subresource added: writes to the resource itself now ignore .status",
                )
                .help(help),
            ),
            (None, Some(_)) => out.push(Change::new(Class::Safe, format!("{sub} subresource added"))),
            (Some(a), Some(b)) if a != b => out.push(
                Change::new(
                    Class::Breaking,
                    format!(
                        "{sub} subresource changed: {} → {}",
                        serde_json::to_string(a).unwrap_or_default(),
                        serde_json::to_string(b).unwrap_or_default()
                    ),
                )
                .help(help),
            ),
            _ => {}
        }
    }
}

/// Printer columns only change `kubectl get` output: every change is listed as safe.
fn columns(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let list = |v: &Value| -> Vec<(String, Value)> {
        v.get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (was, now) = (list(old), list(new));
    for (name, column) in &now {
        match was.iter().find(|(n, _)| n == name) {
            None => out.push(Change::new(Class::Safe, format!("new printer column {name}"))),
            Some((_, c)) if c != column => out.push(Change::new(Class::Safe, format!("printer column {name} changed"))),
            Some(_) => {}
        }
    }
    for (name, _) in &was {
        if !now.iter().any(|(n, _)| n == name) {
            out.push(Change::new(Class::Safe, format!("printer column {name} removed")));
        }
    }
}

/// Selectable fields (Kubernetes 1.31+), by `jsonPath`: a field selector on a field that is not
/// selectable gets 400 Bad Request from the API server.
fn selectable_fields(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let list = |v: &Value| -> Vec<String> {
        v.get("selectableFields")
            .and_then(Value::as_array)
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| Some(f.get("jsonPath")?.as_str()?.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (was, now) = (list(old), list(new));
    for path in was.iter().filter(|p| !now.contains(p)) {
        out.push(
            Change::new(
                Class::Breaking,
                format!("selectable field `{path}` removed: field selectors on it get 400 Bad Request"),
            )
            .keyword("selectableFields")
            .entry(path)
            .gone()
            .help("keep its +kubebuilder:selectablefield marker, or drop it in a new version"),
        );
    }
    for path in now.iter().filter(|p| !was.contains(p)) {
        out.push(
            Change::new(Class::Safe, format!("new selectable field `{path}`"))
                .keyword("selectableFields")
                .entry(path),
        );
    }
}
