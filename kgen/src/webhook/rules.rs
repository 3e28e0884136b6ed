//! The webhook model: one checked webhook per `+kubebuilder:webhook` marker, and the two
//! configuration objects they go into.
//!
//! Each marker is checked as `kube-apiserver` checks a `MutatingWebhook` / `ValidatingWebhook` of
//! `admissionregistration.k8s.io/v1` (`pkg/apis/admissionregistration/validation`), plus what
//! controller-gen refuses (a missing `name`, `path` and `url` together, `webhookVersions` other
//! than `v1`), so a manifest kgen writes is one the API server accepts. Values are read the way
//! controller-gen reads them: `failurePolicy`, `matchPolicy`, `sideEffects`,
//! `reinvocationPolicy` and `verbs` in any case (`fail` → `Fail`, `create` → `CREATE`), `core` in
//! `groups` is the core group `""`.

use super::scan::FoundMarker;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::defs::Id;
use crate::markers::registry::closest;
use std::collections::BTreeMap;

/// The service a `path=` webhook is served by unless `serviceName=` says otherwise (kubebuilder's
/// scaffold; kustomize prefixes it).
pub const DEFAULT_SERVICE_NAME: &str = "webhook-service";
/// The namespace of that service unless `serviceNamespace=` says otherwise (kubebuilder's
/// scaffold; kustomize replaces it).
pub const DEFAULT_SERVICE_NAMESPACE: &str = "system";

/// Mutating or validating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A `MutatingWebhookConfiguration` (written first).
    Mutating,
    /// A `ValidatingWebhookConfiguration`.
    Validating,
}

impl Kind {
    fn of(mutating: bool) -> Kind {
        if mutating { Kind::Mutating } else { Kind::Validating }
    }

    /// `MutatingWebhookConfiguration` or `ValidatingWebhookConfiguration`.
    pub fn kind(self) -> &'static str {
        match self {
            Kind::Mutating => "MutatingWebhookConfiguration",
            Kind::Validating => "ValidatingWebhookConfiguration",
        }
    }

    /// The configuration's name when no `+kubebuilder:webhookconfiguration` names it
    /// (controller-gen's defaults).
    pub fn default_name(self) -> &'static str {
        match self {
            Kind::Mutating => "mutating-webhook-configuration",
            Kind::Validating => "validating-webhook-configuration",
        }
    }

    fn adjective(self) -> &'static str {
        match self {
            Kind::Mutating => "mutating",
            Kind::Validating => "validating",
        }
    }
}

/// How the API server reaches a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientConfig {
    /// `path=`: a Service in the cluster.
    Service {
        /// `serviceName=` (default [`DEFAULT_SERVICE_NAME`]).
        name: String,
        /// `serviceNamespace=` (default [`DEFAULT_SERVICE_NAMESPACE`]).
        namespace: String,
        /// `path=`.
        path: String,
        /// `servicePort=`; the API server's default is 443.
        port: Option<i64>,
    },
    /// `url=`: an `https://` URL.
    Url(String),
}

/// The one rule of a webhook: which operations on which resources it is called for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `apiGroups` (`""` is the core group).
    pub api_groups: Vec<String>,
    /// `apiVersions`.
    pub api_versions: Vec<String>,
    /// `operations`: `CREATE`, `UPDATE`, `DELETE`, `CONNECT` or `*`.
    pub operations: Vec<String>,
    /// `resources` (`name`, `name/subresource`, with `*` wildcards).
    pub resources: Vec<String>,
}

/// One webhook, checked, with its values in the API's spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Mutating or validating.
    pub kind: Kind,
    /// `name`: a fully qualified domain name.
    pub name: String,
    /// `admissionReviewVersions`, in the order written.
    pub admission_review_versions: Vec<String>,
    /// `clientConfig`.
    pub client_config: ClientConfig,
    /// `failurePolicy`: `Fail` or `Ignore`.
    pub failure_policy: String,
    /// `matchPolicy`: `Exact` or `Equivalent`, if given.
    pub match_policy: Option<String>,
    /// `reinvocationPolicy`: `Never` or `IfNeeded` (mutating webhooks only), if given.
    pub reinvocation_policy: Option<String>,
    /// `rules` (controller-gen writes one rule per marker).
    pub rules: Vec<Rule>,
    /// `sideEffects`: `None` or `NoneOnDryRun`.
    pub side_effects: String,
    /// `timeoutSeconds` (1 to 30), if given.
    pub timeout_seconds: Option<i64>,
    /// Where the marker is.
    pub location: Location,
}

/// A `MutatingWebhookConfiguration` or `ValidatingWebhookConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configuration {
    /// Which one.
    pub kind: Kind,
    /// `metadata.name`.
    pub name: String,
    /// Its webhooks, sorted by name.
    pub webhooks: Vec<Webhook>,
}

/// A `+kubebuilder:webhookconfiguration` marker, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigurationName {
    /// The configuration it names.
    pub kind: Kind,
    /// The name (`None`: the default).
    pub name: Option<String>,
    /// Where the marker is.
    pub location: Location,
}

/// Errors of one marker, each at its argument.
struct Problems<'a> {
    found: &'a FoundMarker,
    what: &'static str,
    errors: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn err(&mut self, arg: &str, value: Option<&str>, message: impl Into<String>, help: Option<String>) {
        let mut d = Diagnostic::error(
            self.found.arg_location(arg, value),
            format!(
                "invalid {} `{}`: {}",
                self.what,
                one_line(&self.found.text),
                message.into()
            ),
        );
        d.help = help;
        self.errors.push(d);
    }

    fn finish<T>(self, diags: &mut Diagnostics, value: T) -> Option<T> {
        let ok = self.errors.is_empty();
        for e in self.errors {
            diags.push(e);
        }
        ok.then_some(value)
    }
}

/// An attribute's text on one line, for messages.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// `value` in the API's spelling, if it is one of `allowed` ignoring case.
fn canonical(value: &str, allowed: &[&'static str]) -> Option<&'static str> {
    allowed.iter().copied().find(|a| a.eq_ignore_ascii_case(value))
}

/// "did you mean" for a value not in `allowed`.
fn one_of_help(value: &str, allowed: &[&str]) -> String {
    let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    match closest(value, allowed.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? the values are {list}"),
        None => format!("the values are {list}"),
    }
}

/// The failure policies of admissionregistration.k8s.io/v1.
pub const FAILURE_POLICIES: &[&str] = &["Fail", "Ignore"];
/// The match policies.
pub const MATCH_POLICIES: &[&str] = &["Exact", "Equivalent"];
/// The side-effect classes the v1 API accepts.
pub const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];
/// The reinvocation policies.
pub const REINVOCATION_POLICIES: &[&str] = &["Never", "IfNeeded"];
/// The admission operations.
pub const OPERATIONS: &[&str] = &["CREATE", "UPDATE", "DELETE", "CONNECT", "*"];
/// The `AdmissionReview` versions today's API servers send.
pub const ADMISSION_REVIEW_VERSIONS: &[&str] = &["v1", "v1beta1"];

impl Webhook {
    /// Checks a `+kubebuilder:webhook` marker as the API server checks the webhook it becomes,
    /// reporting every problem at the marker (at the argument, for doc comments); `None` if
    /// there was any error.
    pub fn from_marker(found: &FoundMarker, diags: &mut Diagnostics) -> Option<Webhook> {
        debug_assert_eq!(found.marker.id(), Id::Webhook);
        let m = &found.marker;
        let mut p = Problems {
            found,
            what: "webhook",
            errors: Vec::new(),
        };
        let kind = Kind::of(m.bool("mutating").unwrap_or(false));
        let name = m.str("name").unwrap_or_default().to_string();
        if let Err(problem) = check_webhook_name(&name) {
            p.err(
                "name",
                Some(&name),
                format!("name `{name}` {problem}"),
                Some("webhook names are fully qualified domain names, such as mklusters.kgen.dev".into()),
            );
        }

        let failure_policy = m.str("failurePolicy").unwrap_or_default();
        let failure_policy = match canonical(failure_policy, FAILURE_POLICIES) {
            Some(v) => v.to_string(),
            None => {
                p.err(
                    "failurePolicy",
                    Some(failure_policy),
                    format!("unknown failurePolicy `{failure_policy}`"),
                    Some(one_of_help(failure_policy, FAILURE_POLICIES)),
                );
                String::new()
            }
        };
        let match_policy = m.str("matchPolicy").and_then(|v| match canonical(v, MATCH_POLICIES) {
            Some(c) => Some(c.to_string()),
            None => {
                p.err(
                    "matchPolicy",
                    Some(v),
                    format!("unknown matchPolicy `{v}`"),
                    Some(one_of_help(v, MATCH_POLICIES)),
                );
                None
            }
        });
        let side_effects = match m.str("sideEffects") {
            None => {
                p.err(
                    "",
                    None,
                    "missing `sideEffects`: admissionregistration.k8s.io/v1 requires it",
                    Some(
                        "add sideEffects=None (or NoneOnDryRun if the webhook skips its side effects on dry runs)"
                            .into(),
                    ),
                );
                String::new()
            }
            Some(v) => match canonical(v, SIDE_EFFECTS) {
                Some(c) => c.to_string(),
                None if v.eq_ignore_ascii_case("Some") || v.eq_ignore_ascii_case("Unknown") => {
                    p.err(
                        "sideEffects",
                        Some(v),
                        format!("sideEffects `{v}` is not allowed by admissionregistration.k8s.io/v1"),
                        Some(
                            "v1 webhooks must be None or NoneOnDryRun: make the webhook free of side effects on dry runs (it sees `dryRun` in the AdmissionReview)"
                                .into(),
                        ),
                    );
                    String::new()
                }
                None => {
                    p.err(
                        "sideEffects",
                        Some(v),
                        format!("unknown sideEffects `{v}`"),
                        Some(one_of_help(v, SIDE_EFFECTS)),
                    );
                    String::new()
                }
            },
        };
        let timeout_seconds = m.arg("timeoutSeconds").map(|v| {
            let t = v.as_i64();
            if !t.is_some_and(|t| (1..=30).contains(&t)) {
                p.err(
                    "timeoutSeconds",
                    None,
                    format!("timeoutSeconds {v} is out of range: the timeout must be between 1 and 30 seconds"),
                    Some("leave timeoutSeconds out for the API server's default of 10 seconds".into()),
                );
            }
            t.unwrap_or_default()
        });
        let reinvocation_policy = m.str("reinvocationPolicy").and_then(|v| {
            if kind == Kind::Validating {
                p.err(
                    "reinvocationPolicy",
                    None,
                    "reinvocationPolicy is only for mutating webhooks (mutating=false here)",
                    Some("drop reinvocationPolicy, or set mutating=true if the webhook changes objects".into()),
                );
                return None;
            }
            match canonical(v, REINVOCATION_POLICIES) {
                Some(c) => Some(c.to_string()),
                None => {
                    p.err(
                        "reinvocationPolicy",
                        Some(v),
                        format!("unknown reinvocationPolicy `{v}`"),
                        Some(one_of_help(v, REINVOCATION_POLICIES)),
                    );
                    None
                }
            }
        });
        for v in m.strings("webhookVersions") {
            if v != "v1" {
                p.err(
                    "webhookVersions",
                    Some(&v),
                    format!("webhookVersions `{v}` is not supported: only admissionregistration.k8s.io/v1 is written"),
                    Some(
                        "v1beta1 was removed in Kubernetes 1.22; drop webhookVersions or write webhookVersions=v1"
                            .into(),
                    ),
                );
            }
        }

        let rule = rule(m, &mut p);
        let client_config = client_config(m, &mut p);
        let admission_review_versions = admission_review_versions(m, &mut p);
        let webhook = Webhook {
            kind,
            name,
            admission_review_versions,
            client_config: client_config.unwrap_or(ClientConfig::Url(String::new())),
            failure_policy,
            match_policy,
            reinvocation_policy,
            rules: vec![rule],
            side_effects,
            timeout_seconds,
            location: m.location.clone(),
        };
        p.finish(diags, webhook)
    }
}

/// `groups`, `versions`, `resources` and `verbs` as one rule.
fn rule(m: &crate::markers::Marker, p: &mut Problems<'_>) -> Rule {
    let api_groups: Vec<String> = m
        .strings("groups")
        .into_iter()
        .map(|g| if g == "core" { String::new() } else { g })
        .collect();
    if api_groups.is_empty() {
        p.err(
            "groups",
            None,
            "`groups` is empty: a webhook rule needs at least one API group",
            Some("use groups=core (or groups=\"\") for the core group, groups=* for every group".into()),
        );
    }
    only_wildcard(p, "groups", &api_groups, "API groups");

    let api_versions = m.strings("versions");
    if api_versions.is_empty() {
        p.err(
            "versions",
            None,
            "`versions` is empty: a webhook rule needs at least one API version",
            Some("e.g. versions=v1, or versions=* for every version".into()),
        );
    }
    if api_versions.iter().any(String::is_empty) {
        p.err(
            "versions",
            None,
            "an empty API version",
            Some("e.g. versions=v1".into()),
        );
    }
    only_wildcard(p, "versions", &api_versions, "API versions");

    let resources = m.strings("resources");
    check_resources(p, &resources);

    let verbs = m.strings("verbs");
    let mut operations = Vec::new();
    if verbs.is_empty() {
        p.err(
            "verbs",
            None,
            "`verbs` is empty: a webhook rule needs at least one operation",
            Some("e.g. verbs=create;update".into()),
        );
    }
    for v in &verbs {
        match canonical(v, OPERATIONS) {
            Some(op) => operations.push(op.to_string()),
            None => {
                let help = if v.eq_ignore_ascii_case("patch") {
                    "a patch is an UPDATE to admission webhooks: write verbs=update".to_string()
                } else if ["get", "list", "watch", "deletecollection"]
                    .iter()
                    .any(|r| v.eq_ignore_ascii_case(r))
                {
                    format!(
                        "admission webhooks are called for changes only (create, update, delete, connect, *); `{v}` is an RBAC verb{}",
                        if v.eq_ignore_ascii_case("deletecollection") {
                            ": a deletecollection request calls DELETE webhooks once per object"
                        } else {
                            ""
                        }
                    )
                } else {
                    let lower: Vec<String> = OPERATIONS.iter().map(|o| o.to_ascii_lowercase()).collect();
                    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
                    one_of_help(v, &lower)
                };
                p.err("verbs", Some(v), format!("unknown verb `{v}`"), Some(help));
            }
        }
    }
    only_wildcard(p, "verbs", &operations, "operations");
    Rule {
        api_groups,
        api_versions,
        operations,
        resources,
    }
}

/// The API server's rule for `apiGroups`, `apiVersions` and `operations`: `*` stands alone.
fn only_wildcard(p: &mut Problems<'_>, arg: &str, values: &[String], what: &str) {
    if values.len() > 1 && values.iter().any(|v| v == "*") {
        p.err(
            arg,
            Some("*"),
            format!("`*` (all {what}) cannot be combined with other {what}"),
            Some(format!("write {arg}=* alone, or list the {what} without `*`")),
        );
    }
}

/// The API server's rules for `resources` (subresources allowed): non-empty, each `name` or
/// `name/subresource`, and no wildcard overlapping another entry (`*/*` alone; `*` with no plain
/// resource; `x/*` with no other `x/...`; `*/s` with no other `.../s`). The API server only
/// rejects an overlap when the wildcard comes first; kgen rejects it in either order.
fn check_resources(p: &mut Problems<'_>, resources: &[String]) {
    if resources.is_empty() {
        p.err(
            "resources",
            None,
            "`resources` is empty: a webhook rule needs at least one resource",
            Some("e.g. resources=klusters, resources=pods/exec or resources=* for every resource".into()),
        );
        return;
    }
    let mut shapes_ok = true;
    for r in resources {
        if r.is_empty() {
            p.err("resources", None, "an empty resource name", None);
            shapes_ok = false;
        } else if r.chars().any(|c| c.is_ascii_uppercase()) {
            p.err(
                "resources",
                Some(r),
                format!("resource `{r}` has upper-case letters; resources are lower-case plurals"),
                Some(format!("did you mean `{}`?", r.to_ascii_lowercase())),
            );
            shapes_ok = false;
        } else if r.split('/').count() > 2 || r.split('/').any(str::is_empty) {
            p.err(
                "resources",
                Some(r),
                format!("resource `{r}` is not `resource` or `resource/subresource`"),
                Some("e.g. klusters, klusters/status, pods/*, */scale".into()),
            );
            shapes_ok = false;
        }
    }
    if !shapes_ok {
        return;
    }
    let split = |r: &str| -> (String, Option<String>) {
        match r.split_once('/') {
            Some((a, b)) => (a.to_string(), Some(b.to_string())),
            None => (r.to_string(), None),
        }
    };
    if resources.len() > 1 && resources.iter().any(|r| r == "*/*") {
        p.err(
            "resources",
            Some("*/*"),
            "`*/*` (every resource and subresource) cannot be combined with other resources",
            Some("write resources=*/* alone".into()),
        );
        return;
    }
    if resources.iter().any(|r| r == "*")
        && let Some(plain) = resources.iter().find(|r| *r != "*" && !r.contains('/'))
    {
        p.err(
            "resources",
            Some(plain),
            format!("`*` (every resource) already covers `{plain}`"),
            Some("drop the resources without subresources, or drop `*`".into()),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in resources.iter().enumerate() {
        if !seen.insert(r.as_str()) {
            p.err("resources", Some(r), format!("resource `{r}` is listed twice"), None);
            continue;
        }
        let (res, sub) = split(r);
        let Some(sub) = sub else { continue };
        for (j, other) in resources.iter().enumerate() {
            if i == j {
                continue;
            }
            let (ores, osub) = split(other);
            let Some(osub) = osub else { continue };
            if osub == "*" && ores == res && sub != "*" {
                p.err(
                    "resources",
                    Some(r),
                    format!("`{other}` (every subresource of {res}) already covers `{r}`"),
                    Some(format!("drop `{r}`, or replace `{other}` by the subresources you mean")),
                );
            } else if ores == "*" && osub == sub && res != "*" {
                p.err(
                    "resources",
                    Some(r),
                    format!("`{other}` (the {sub} subresource of every resource) already covers `{r}`"),
                    Some(format!("drop `{r}`, or replace `{other}` by the resources you mean")),
                );
            }
        }
    }
}

/// `path` (with the service arguments) or `url`.
fn client_config(m: &crate::markers::Marker, p: &mut Problems<'_>) -> Option<ClientConfig> {
    let path = m.str("path");
    let url = m.str("url");
    let service_args: Vec<&str> = ["serviceName", "serviceNamespace", "servicePort"]
        .into_iter()
        .filter(|a| m.arg(a).is_some())
        .collect();
    match (path, url) {
        (Some(_), Some(_)) => {
            p.err(
                "url",
                None,
                "`path` and `url` cannot both be given: a webhook is either served by a Service (path) or at a URL",
                Some("keep path=/... for a webhook in the cluster, or url=https://... for one outside it".into()),
            );
            None
        }
        (None, None) => {
            p.err(
                "",
                None,
                "give `path` (served by a Service in the cluster) or `url`",
                Some("e.g. path=/validate-kgen-dev-v1alpha1-kluster".into()),
            );
            None
        }
        (None, Some(url)) => {
            if let Some(first) = service_args.first() {
                p.err(
                    first,
                    None,
                    format!(
                        "{} only {} to a webhook served by a Service (path=), not to url=",
                        service_args
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if service_args.len() == 1 { "applies" } else { "apply" }
                    ),
                    Some("put the host and port in the URL, or use path= with the service arguments".into()),
                );
            }
            for (problem, help) in check_url(url) {
                p.err("url", None, format!("url `{url}`: {problem}"), Some(help));
            }
            Some(ClientConfig::Url(url.to_string()))
        }
        (Some(path), None) => {
            if let Err(problem) = check_path(path) {
                p.err(
                    "path",
                    Some(path),
                    format!("path `{path}` {problem}"),
                    Some("controller-runtime serves /mutate-<group>-<version>-<kind> and /validate-<group>-<version>-<kind>, all lower-case, dots as dashes".into()),
                );
            }
            let name = m.str("serviceName").unwrap_or(DEFAULT_SERVICE_NAME);
            if let Err(problem) = check_dns_label(name, true) {
                p.err(
                    "serviceName",
                    Some(name),
                    format!("serviceName `{name}` is not a valid Service name ({problem})"),
                    None,
                );
            }
            let namespace = m.str("serviceNamespace").unwrap_or(DEFAULT_SERVICE_NAMESPACE);
            if let Err(problem) = check_dns_label(namespace, false) {
                p.err(
                    "serviceNamespace",
                    Some(namespace),
                    format!("serviceNamespace `{namespace}` is not a valid namespace name ({problem})"),
                    None,
                );
            }
            let port = m.arg("servicePort").map(|v| {
                let n = v.as_i64();
                if !n.is_some_and(|n| (1..=65535).contains(&n)) {
                    p.err(
                        "servicePort",
                        None,
                        format!("servicePort {v} is not a port number (1 to 65535)"),
                        Some("leave servicePort out for the API server's default of 443".into()),
                    );
                }
                n.unwrap_or_default()
            });
            Some(ClientConfig::Service {
                name: name.to_string(),
                namespace: namespace.to_string(),
                path: path.to_string(),
                port,
            })
        }
    }
}

/// `admissionReviewVersions`: at least one, no duplicates, DNS-1035 labels, and one the API
/// server sends (`v1` or `v1beta1`).
fn admission_review_versions(m: &crate::markers::Marker, p: &mut Problems<'_>) -> Vec<String> {
    let versions = m.strings("admissionReviewVersions");
    let help = || Some("write admissionReviewVersions=v1".to_string());
    if versions.is_empty() {
        p.err(
            "admissionReviewVersions",
            None,
            "`admissionReviewVersions` is empty: the API server must know which AdmissionReview versions the webhook understands",
            help(),
        );
        return versions;
    }
    let mut seen = std::collections::BTreeSet::new();
    for v in &versions {
        if !seen.insert(v.as_str()) {
            p.err(
                "admissionReviewVersions",
                Some(v),
                format!("admissionReviewVersions lists `{v}` twice"),
                None,
            );
        } else if let Err(problem) = check_dns_label(v, true) {
            p.err(
                "admissionReviewVersions",
                Some(v),
                format!("admissionReviewVersions `{v}` is not a version name ({problem})"),
                help(),
            );
        }
    }
    if !versions.iter().any(|v| ADMISSION_REVIEW_VERSIONS.contains(&v.as_str())) {
        p.err(
            "admissionReviewVersions",
            None,
            format!(
                "admissionReviewVersions must include v1 or v1beta1 (found {})",
                versions.join(", ")
            ),
            help(),
        );
    }
    versions
}

impl ConfigurationName {
    /// Checks a `+kubebuilder:webhookconfiguration` marker; `None` if there was any error.
    pub fn from_marker(found: &FoundMarker, diags: &mut Diagnostics) -> Option<ConfigurationName> {
        debug_assert_eq!(found.marker.id(), Id::WebhookConfiguration);
        let m = &found.marker;
        let mut p = Problems {
            found,
            what: "webhook configuration",
            errors: Vec::new(),
        };
        let kind = Kind::of(m.bool("mutating").unwrap_or(false));
        let name = m.str("name").map(str::to_string);
        if let Some(n) = &name
            && let Err(problem) = check_dns_subdomain(n)
        {
            p.err(
                "name",
                Some(n),
                format!("name `{n}` is not a valid object name ({problem})"),
                Some(format!("e.g. name={}", kind.default_name())),
            );
        }
        let location = m.location.clone();
        p.finish(diags, ConfigurationName { kind, name, location })
    }
}

/// Puts the webhooks into their configurations (mutating first), each named by its
/// `+kubebuilder:webhookconfiguration` marker or by default, webhooks sorted by name. Two
/// webhooks of one name in one configuration, and two names for one configuration, are errors.
pub fn configurations(
    webhooks: Vec<Webhook>,
    names: &[ConfigurationName],
    diags: &mut Diagnostics,
) -> Vec<Configuration> {
    let mut named: BTreeMap<Kind, &ConfigurationName> = BTreeMap::new();
    for n in names {
        if let Some(first) = named.get(&n.kind) {
            diags.push(
                Diagnostic::error(
                    n.location.clone(),
                    format!(
                        "a second +kubebuilder:webhookconfiguration for the {}: kgen writes one {} per run",
                        n.kind.kind(),
                        n.kind.kind()
                    ),
                )
                .with_help(format!(
                    "the first is at {}; keep one marker with mutating={}",
                    first.location,
                    n.kind == Kind::Mutating
                )),
            );
        } else {
            named.insert(n.kind, n);
        }
    }
    let mut by_kind: BTreeMap<Kind, Vec<Webhook>> = BTreeMap::new();
    for w in webhooks {
        by_kind.entry(w.kind).or_default().push(w);
    }
    for (kind, n) in &named {
        if !by_kind.contains_key(kind) {
            diags.push(
                Diagnostic::warning(
                    n.location.clone(),
                    format!(
                        "+kubebuilder:webhookconfiguration names the {} but no +kubebuilder:webhook has mutating={}; no {} is written",
                        kind.kind(),
                        *kind == Kind::Mutating,
                        kind.kind()
                    ),
                )
                .with_help(format!("add a {} webhook, or drop this marker", kind.adjective())),
            );
        }
    }
    let mut out = Vec::new();
    for (kind, mut hooks) in by_kind {
        // Sorted by name, then by place (so a duplicate is reported at the later marker).
        hooks.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.location.cmp(&b.location)));
        for pair in hooks.windows(2) {
            if pair[0].name == pair[1].name {
                diags.push(
                    Diagnostic::error(
                        pair[1].location.clone(),
                        format!(
                            "duplicate webhook name `{}` in the {}: the API server requires unique names",
                            pair[1].name,
                            kind.kind()
                        ),
                    )
                    .with_help(format!(
                        "the same name is used at {}; rename one of them",
                        pair[0].location
                    )),
                );
            }
        }
        let name = named
            .get(&kind)
            .and_then(|n| n.name.clone())
            .unwrap_or_else(|| kind.default_name().to_string());
        out.push(Configuration {
            kind,
            name,
            webhooks: hooks,
        });
    }
    out
}

/// Kubernetes' `IsFullyQualifiedName`: a DNS subdomain with at least three segments.
pub fn check_webhook_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    check_dns_subdomain(s).map_err(|p| format!("is not a valid DNS subdomain ({p})"))?;
    if s.split('.').count() < 3 {
        return Err("should be a domain with at least three segments separated by dots".into());
    }
    Ok(())
}

/// Kubernetes' DNS-1123 subdomain: at most 253 characters, dot-separated labels of lower-case
/// letters, digits and `-`, each starting and ending with a letter or digit.
pub fn check_dns_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err("must be no more than 253 characters".into());
    }
    let ok = !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err("lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit".into())
    }
}

/// A DNS label (at most 63 lower-case letters, digits and `-`); `rfc1035` also requires a
/// letter first (Service names, versions).
pub(crate) fn check_dns_label(s: &str, rfc1035: bool) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && (!rfc1035 || s.starts_with(|c: char| c.is_ascii_lowercase()));
    if ok {
        Ok(())
    } else if rfc1035 {
        Err("a DNS label: at most 63 lower-case letters, digits and `-`, starting with a letter".into())
    } else {
        Err("a DNS label: at most 63 lower-case letters, digits and `-`".into())
    }
}

/// The API server's rule for a service path: `/`, or `/` followed by `/`-separated segments
/// that are each a DNS-1123 subdomain (one trailing `/` allowed).
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("must start with `/`".into());
    }
    if path == "/" {
        return Ok(());
    }
    let rest = &path[1..];
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    for (i, seg) in rest.split('/').enumerate() {
        if seg.is_empty() {
            return Err(format!("has an empty segment (segment {i})"));
        }
        if let Err(p) = check_dns_subdomain(seg) {
            return Err(format!("segment `{seg}` is not allowed: {p}"));
        }
    }
    Ok(())
}

/// The API server's rules for a webhook URL (`ValidateWebhookURL` with https forced): each
/// problem with its help line.
pub fn check_url(url: &str) -> Vec<(String, String)> {
    const FORM: &str = "the form is https://host[:port][/path]";
    let mut out = Vec::new();
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        out.push((
            "is not a valid URL (it contains spaces or control characters)".into(),
            FORM.into(),
        ));
        return out;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        out.push(("is not an absolute URL".into(), FORM.into()));
        return out;
    };
    if !scheme.eq_ignore_ascii_case("https") {
        out.push((
            format!("`{scheme}` is not allowed: https is the only URL scheme the API server calls webhooks with"),
            FORM.into(),
        ));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => {
            out.push((
                "user information is not permitted in the URL".into(),
                "authenticate the API server to the webhook with a client certificate instead (kube-apiserver --admission-control-config-file)".into(),
            ));
            host
        }
        None => authority,
    };
    let host_only = if host.starts_with('[') {
        host.split_once(']').map(|(h, _)| h).unwrap_or(host)
    } else {
        host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
    };
    if host_only.trim_start_matches('[').is_empty() {
        out.push(("the host is missing".into(), FORM.into()));
    }
    if let Some((_, port)) = host.rsplit_once(':')
        && !host.ends_with(']')
        && !port.bytes().all(|b| b.is_ascii_digit())
    {
        out.push((format!("invalid port `{port}`"), FORM.into()));
    }
    let tail = &rest[authority_end..];
    if let Some(i) = tail.find('#') {
        out.push((
            format!("fragments are not permitted in the URL (`{}`)", &tail[i..]),
            "drop the `#...` part".into(),
        ));
    }
    if let Some(i) = tail.find('?') {
        let end = tail[i..].find('#').map(|e| i + e).unwrap_or(tail.len());
        if end > i + 1 {
            out.push((
                format!("query parameters are not permitted in the URL (`{}`)", &tail[i..end]),
                "drop the `?...` part: the API server sends everything in the review in the request body".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_names_are_fully_qualified() {
        assert!(check_webhook_name("mkluster.kgen.dev").is_ok());
        assert!(check_webhook_name("a.b.c").is_ok());
        assert!(check_webhook_name("kgen.dev").unwrap_err().contains("three segments"));
        assert!(
            check_webhook_name("Kluster.kgen.dev")
                .unwrap_err()
                .contains("DNS subdomain")
        );
        assert!(check_webhook_name("a..b.c").is_err());
        assert!(check_webhook_name("").is_err());
        assert!(check_webhook_name(&format!("{}.b.c", "a".repeat(250))).is_err());
    }

    #[test]
    fn paths_follow_the_api_server() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/validate-kgen-dev-v1alpha1-kluster").is_ok());
        assert!(check_path("/a/b.c/").is_ok());
        assert!(check_path("validate").unwrap_err().contains("start with"));
        assert!(check_path("//").unwrap_err().contains("empty segment"));
        assert!(check_path("/a//b").unwrap_err().contains("empty segment"));
        assert!(check_path("/Validate").unwrap_err().contains("segment `Validate`"));
    }

    #[test]
    fn urls_follow_the_api_server() {
        assert!(check_url("https://hooks.example.com:8443/validate").is_empty());
        assert!(check_url("HTTPS://hooks.example.com").is_empty());
        assert!(check_url("https://[::1]:8443/x").is_empty());
        let one = |u: &str| {
            let p = check_url(u);
            assert_eq!(p.len(), 1, "{u}: {p:?}");
            p[0].0.clone()
        };
        assert!(one("http://hooks.example.com/x").contains("https is the only"));
        assert!(one("https:///x").contains("host is missing"));
        assert!(one("https://u:p@h.example.com/x").contains("user information"));
        assert!(one("https://h.example.com/x?a=b").contains("query parameters"));
        assert!(one("https://h.example.com/x#top").contains("fragments"));
        assert!(one("https://h.example.com:port/x").contains("invalid port"));
        assert!(one("hooks.example.com/x").contains("absolute URL"));
    }
}
