//! The RBAC model: one checked rule per marker, and the merged, sorted rules of each role.
//!
//! Merging follows controller-gen's `NormalizeRules` (`pkg/rbac/parser.go`), so the same markers
//! give the same `role.yaml`:
//!
//! 1. each marker becomes one rule per resource (a rule without resources stays one rule);
//!    `core` in `groups` means the core group `""`;
//! 2. rules with the same groups, resource, resource names and URLs merge their verbs;
//! 3. then rules that differ only in resources merge their resources,
//! 4. then rules that differ only in groups merge their groups,
//! 5. then rules that differ only in URLs merge their URLs;
//! 6. every list is de-duplicated and sorted, rules are sorted by the key
//!    `groups + resources + resourceNames + urls` (lists joined with `&`), and a rule whose verbs
//!    include `*` keeps only `*`.
//!
//! Rules are grouped into roles by (namespace, role name): no namespace is the ClusterRole.

use super::scan::FoundMarker;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::registry::closest;
use std::collections::{BTreeMap, BTreeSet};

/// Verbs the API server authorizes on resources: the standard ones, and the special verbs of
/// built-in resources (`use`, `bind`, `escalate`, `impersonate`, `approve`, `sign`, `attest`).
pub const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "attest",
    "*",
];

/// Verbs of non-resource URLs: lower-case HTTP methods.
pub const URL_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options", "*"];

/// Verbs a rule restricted by `resourceNames` never grants: the object's name is not known when
/// the request is authorized.
const NOT_BY_NAME: &[&str] = &["create", "deletecollection"];

/// One `+kubebuilder:rbac` marker, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// API groups; `core` already turned into `""`.
    pub groups: Vec<String>,
    /// Resources, possibly with a subresource (`klusters/status`).
    pub resources: Vec<String>,
    /// Names of the objects the rule is restricted to.
    pub resource_names: Vec<String>,
    /// Verbs.
    pub verbs: Vec<String>,
    /// Non-resource URLs.
    pub urls: Vec<String>,
    /// Namespace of the Role; `None` for the ClusterRole.
    pub namespace: Option<String>,
    /// The marker's `roleName=`.
    pub role_name: Option<String>,
    /// Where the marker is.
    pub location: Location,
}

impl RuleSpec {
    /// Checks a marker as the API server checks a `PolicyRule` (and a little more), reporting every
    /// problem at the marker; `None` if there was any error.
    pub fn from_marker(found: &FoundMarker, diags: &mut Diagnostics) -> Option<RuleSpec> {
        let m = &found.marker;
        let list = |name: &str| m.strings(name);
        let groups: Vec<String> = list("groups")
            .into_iter()
            .map(|g| if g == "core" { String::new() } else { g })
            .collect();
        let spec = RuleSpec {
            groups,
            resources: list("resources"),
            resource_names: list("resourceNames"),
            verbs: list("verbs"),
            urls: list("urls"),
            namespace: m.str("namespace").filter(|n| !n.is_empty()).map(str::to_string),
            role_name: m.str("roleName").filter(|n| !n.is_empty()).map(str::to_string),
            location: m.location.clone(),
        };
        let mut errors = Vec::new();
        let mut err = |arg: &str, value: Option<&str>, message: String, help: Option<String>| {
            let mut d = Diagnostic::error(
                arg_location(found, arg, value),
                format!("invalid RBAC rule `{}`: {message}", found.text),
            );
            d.help = help;
            errors.push(d);
        };
        let is_url_rule = !spec.urls.is_empty();

        if spec.verbs.is_empty() {
            err(
                "verbs",
                None,
                "`verbs` is empty".into(),
                Some("give at least one verb, such as verbs=get;list;watch".into()),
            );
        }
        let known = if is_url_rule { URL_VERBS } else { RESOURCE_VERBS };
        for v in &spec.verbs {
            if known.contains(&v.as_str()) {
                continue;
            }
            let kind = if is_url_rule { "non-resource URL" } else { "resource" };
            let help = match closest(v, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? {kind} verbs are {}", known.join(", ")),
                None => format!("{kind} verbs are {}", known.join(", ")),
            };
            err("verbs", Some(v), format!("unknown verb `{v}`"), Some(help));
        }

        if is_url_rule {
            let mut with = Vec::new();
            if m.arg("groups").is_some() {
                with.push("groups");
            }
            if !spec.resources.is_empty() {
                with.push("resources");
            }
            if !spec.resource_names.is_empty() {
                with.push("resourceNames");
            }
            if let Some(first) = with.first() {
                err(
                    first,
                    None,
                    format!(
                        "`urls` cannot be combined with {} (a rule applies either to resources or to non-resource URLs)",
                        with.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
                    ),
                    Some("write two markers: one with urls=..., one with groups=...,resources=...".into()),
                );
            }
            if let Some(ns) = &spec.namespace {
                err(
                    "namespace",
                    None,
                    format!("`urls` cannot be granted by a namespaced Role (namespace={ns})"),
                    Some(
                        "non-resource URLs are not namespaced: drop `namespace=` so the rule goes to the ClusterRole"
                            .into(),
                    ),
                );
            }
            for u in &spec.urls {
                if u != "*" && !u.starts_with('/') {
                    err(
                        "urls",
                        Some(u),
                        format!("non-resource URL `{u}` must start with `/`"),
                        Some("for example urls=/metrics;/healthz".into()),
                    );
                }
            }
        } else {
            if !spec.resource_names.is_empty() && spec.resources.is_empty() {
                err(
                    "resourceNames",
                    None,
                    "`resourceNames` without `resources`: names only make sense for a resource".into(),
                    Some("add resources=<plural>, e.g. resources=secrets,resourceNames=my-secret".into()),
                );
            } else if spec.resources.is_empty() {
                err(
                    "",
                    None,
                    "the rule grants nothing: give `resources` (with `groups`) or `urls`".into(),
                    Some("e.g. groups=apps,resources=deployments,verbs=get".into()),
                );
            }
            if spec.groups.is_empty() {
                err(
                    "groups",
                    None,
                    "`groups` is missing or empty: a resource rule needs at least one API group".into(),
                    Some("use groups=core (or groups=\"\") for the core group: pods, secrets, configmaps, ...".into()),
                );
            }
            for r in &spec.resources {
                if r.is_empty() {
                    err("resources", None, "an empty resource name".into(), None);
                } else if r.chars().any(|c| c.is_ascii_uppercase()) {
                    err(
                        "resources",
                        Some(r),
                        format!("resource `{r}` has upper-case letters; resources are lower-case plurals"),
                        Some(format!("did you mean `{}`?", r.to_ascii_lowercase())),
                    );
                } else if r.matches('/').count() > 1 || r.starts_with('/') || r.ends_with('/') {
                    err(
                        "resources",
                        Some(r),
                        format!("resource `{r}` is not `resource` or `resource/subresource`"),
                        None,
                    );
                }
            }
            if spec.resource_names.iter().any(String::is_empty) {
                err("resourceNames", None, "an empty resource name".into(), None);
            }
            if !spec.resource_names.is_empty() {
                let useless: Vec<&str> = spec
                    .verbs
                    .iter()
                    .map(String::as_str)
                    .filter(|v| NOT_BY_NAME.contains(v))
                    .collect();
                if !useless.is_empty() {
                    diags.push(
                        Diagnostic::warning(
                            arg_location(found, "verbs", Some(useless[0])),
                            format!(
                                "RBAC rule `{}`: {} cannot be restricted by `resourceNames`, so this rule never grants {}",
                                found.text,
                                useless.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
                                if useless.len() == 1 { "it" } else { "them" }
                            ),
                        )
                        .with_help("the object's name is not known when the request is authorized: grant these verbs in a marker without resourceNames"),
                    );
                }
            }
        }
        if let Some(ns) = &spec.namespace
            && let Err(problem) = check_dns_label(ns)
        {
            err("namespace", Some(ns), format!("namespace `{ns}` {problem}"), None);
        }
        if let Some(name) = &spec.role_name
            && let Err(problem) = check_role_name(name)
        {
            err("roleName", Some(name), format!("roleName `{name}`: {problem}"), None);
        }
        let ok = errors.is_empty();
        for e in errors {
            diags.push(e);
        }
        ok.then_some(spec)
    }
}

/// Where an argument (or one of its values) is (see [`FoundMarker::arg_location`]).
fn arg_location(found: &FoundMarker, arg: &str, value: Option<&str>) -> Location {
    found.arg_location(arg, value)
}

/// Kubernetes' rule for a namespace name: a DNS-1123 label.
fn check_dns_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("is not a valid namespace name (a DNS label: lower-case letters, digits and `-`, at most 63)".into())
    }
}

/// Kubernetes' rule for a Role or ClusterRole name (a path segment name).
pub fn check_role_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a role name cannot be empty".into());
    }
    if s == "." || s == ".." || s.contains('/') || s.contains('%') {
        return Err("a role name cannot be `.` or `..` nor contain `/` or `%`".into());
    }
    Ok(())
}

/// One rule of a role, as written to YAML (lists sorted and de-duplicated).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyRule {
    /// `apiGroups` (`""` is the core group); empty for non-resource URL rules.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames`.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
}

impl PolicyRule {
    /// controller-gen's sort key: `groups + resources + resourceNames + urls`, lists joined by `&`.
    pub fn sort_key(&self) -> String {
        format!(
            "{} + {} + {} + {}",
            self.api_groups.join("&"),
            self.resources.join("&"),
            self.resource_names.join("&"),
            self.non_resource_urls.join("&")
        )
    }

    fn normalize(&mut self) {
        for list in [
            &mut self.api_groups,
            &mut self.resources,
            &mut self.resource_names,
            &mut self.non_resource_urls,
            &mut self.verbs,
        ] {
            sort_dedup(list);
        }
    }

    /// (groups, resources, resource names, URLs): what the rule applies to.
    fn key(&self) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
        (
            self.api_groups.clone(),
            self.resources.clone(),
            self.resource_names.clone(),
            self.non_resource_urls.clone(),
        )
    }
}

fn sort_dedup(list: &mut Vec<String>) {
    let set: BTreeSet<String> = list.drain(..).collect();
    list.extend(set);
}

/// A ClusterRole (no namespace) or a Role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for the ClusterRole.
    pub namespace: Option<String>,
    /// The merged, sorted rules.
    pub rules: Vec<PolicyRule>,
}

impl Role {
    /// `ClusterRole` or `Role`.
    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        }
    }
}

/// Groups checked rules into roles by (namespace, role name), sorted by namespace then name (the
/// ClusterRole first), each with its rules merged by [`normalize`].
pub fn roles(specs: Vec<RuleSpec>, default_name: &str) -> Vec<Role> {
    let mut by_role: BTreeMap<(String, String), Vec<RuleSpec>> = BTreeMap::new();
    for s in specs {
        let key = (
            s.namespace.clone().unwrap_or_default(),
            s.role_name.clone().unwrap_or_else(|| default_name.to_string()),
        );
        by_role.entry(key).or_default().push(s);
    }
    by_role
        .into_iter()
        .map(|((namespace, name), specs)| Role {
            name,
            namespace: (!namespace.is_empty()).then_some(namespace),
            rules: normalize(&specs),
        })
        .filter(|r| !r.rules.is_empty())
        .collect()
}

/// Merges and sorts the rules of one role (controller-gen's algorithm; see the module docs).
pub fn normalize(specs: &[RuleSpec]) -> Vec<PolicyRule> {
    // 1. One rule per resource.
    let mut split = Vec::new();
    for s in specs {
        let base = PolicyRule {
            api_groups: s.groups.clone(),
            resources: Vec::new(),
            resource_names: s.resource_names.clone(),
            non_resource_urls: s.urls.clone(),
            verbs: s.verbs.clone(),
        };
        if s.resources.is_empty() {
            split.push(base);
        } else {
            for r in &s.resources {
                split.push(PolicyRule {
                    resources: vec![r.clone()],
                    ..base.clone()
                });
            }
        }
    }
    // 2. Same groups, resources, names and URLs: merge verbs.
    let mut rules: BTreeMap<_, PolicyRule> = BTreeMap::new();
    for mut r in split {
        r.normalize();
        insert_merging_verbs(&mut rules, r);
    }
    // 3.–5. Rules that differ in one list only (same verbs): merge that list.
    let rules = merge_by(
        rules,
        |r| &mut r.resources,
        |r| {
            (
                r.api_groups.clone(),
                r.resource_names.clone(),
                r.non_resource_urls.clone(),
                r.verbs.clone(),
            )
        },
    );
    let rules = merge_by(
        rules,
        |r| &mut r.api_groups,
        |r| {
            (
                r.resources.clone(),
                r.resource_names.clone(),
                r.non_resource_urls.clone(),
                r.verbs.clone(),
            )
        },
    );
    let rules = merge_by(
        rules,
        |r| &mut r.non_resource_urls,
        |r| {
            (
                r.api_groups.clone(),
                r.resources.clone(),
                r.resource_names.clone(),
                r.verbs.clone(),
            )
        },
    );
    // 6. Sort by controller-gen's key; `*` swallows every other verb.
    let mut out: Vec<PolicyRule> = rules.into_values().collect();
    out.sort_by_cached_key(PolicyRule::sort_key);
    for r in &mut out {
        if r.verbs.iter().any(|v| v == "*") {
            r.verbs = vec!["*".to_string()];
        }
    }
    out
}

type RuleKey = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

/// Inserts a normalized rule; a rule for the same groups, resources, names and URLs gains its verbs.
fn insert_merging_verbs(rules: &mut BTreeMap<RuleKey, PolicyRule>, r: PolicyRule) {
    match rules.get_mut(&r.key()) {
        Some(existing) => {
            existing.verbs.extend(r.verbs);
            sort_dedup(&mut existing.verbs);
        }
        None => {
            rules.insert(r.key(), r);
        }
    }
}

/// Groups rules by `group_key` (everything but one list, verbs included) and unions that list.
fn merge_by(
    rules: BTreeMap<RuleKey, PolicyRule>,
    list: impl Fn(&mut PolicyRule) -> &mut Vec<String>,
    group_key: impl Fn(&PolicyRule) -> RuleKey,
) -> BTreeMap<RuleKey, PolicyRule> {
    let mut groups: BTreeMap<RuleKey, Vec<PolicyRule>> = BTreeMap::new();
    for r in rules.into_values() {
        groups.entry(group_key(&r)).or_default().push(r);
    }
    let mut out = BTreeMap::new();
    for (_, mut same) in groups {
        let mut first = same.remove(0);
        for mut other in same {
            let extra = std::mem::take(list(&mut other));
            list(&mut first).extend(extra);
        }
        first.normalize();
        // controller-gen overwrites a rule whose key is already taken (losing its verbs); keep both.
        insert_merging_verbs(&mut out, first);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec(groups: &[&str], resources: &[&str], names: &[&str], verbs: &[&str], urls: &[&str]) -> RuleSpec {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        RuleSpec {
            groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            verbs: v(verbs),
            urls: v(urls),
            namespace: None,
            role_name: None,
            location: Location::file_start(Path::new("x.rs")),
        }
    }

    fn rule(groups: &[&str], resources: &[&str], names: &[&str], verbs: &[&str], urls: &[&str]) -> PolicyRule {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PolicyRule {
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: v(urls),
            verbs: v(verbs),
        }
    }

    #[test]
    fn merges_like_controller_gen() {
        let rules = normalize(&[
            spec(&["apps"], &["deployments", "replicasets"], &[], &["get", "list"], &[]),
            spec(&["apps"], &["deployments"], &[], &["watch", "get"], &[]),
            spec(&["apps"], &["replicasets"], &[], &["watch"], &[]),
            spec(&["batch"], &["jobs"], &[], &["get", "list", "watch"], &[]),
            spec(&["batch"], &["deployments"], &[], &["get", "list", "watch"], &[]),
            spec(&[""], &["secrets"], &["a"], &["get"], &[]),
            spec(&[""], &["secrets"], &[], &["get"], &[]),
            spec(&[], &[], &[], &["get"], &["/metrics"]),
            spec(&[], &[], &[], &["get"], &["/healthz"]),
            spec(&["x.io"], &["things"], &[], &["get", "*"], &[]),
        ]);
        assert_eq!(
            rules,
            vec![
                rule(&[], &[], &[], &["get"], &["/healthz", "/metrics"]),
                rule(&[""], &["secrets"], &[], &["get"], &[]),
                rule(&[""], &["secrets"], &["a"], &["get"], &[]),
                rule(
                    &["apps"],
                    &["deployments", "replicasets"],
                    &[],
                    &["get", "list", "watch"],
                    &[]
                ),
                rule(
                    &["batch"],
                    &["deployments", "jobs"],
                    &[],
                    &["get", "list", "watch"],
                    &[]
                ),
                rule(&["x.io"], &["things"], &[], &["*"], &[]),
            ]
        );
    }

    #[test]
    fn groups_merge_when_resources_and_verbs_agree() {
        let rules = normalize(&[
            spec(&["a.io"], &["things"], &[], &["get"], &[]),
            spec(&["b.io"], &["things"], &[], &["get"], &[]),
        ]);
        assert_eq!(rules, vec![rule(&["a.io", "b.io"], &["things"], &[], &["get"], &[])]);
    }

    #[test]
    fn colliding_merges_keep_every_verb() {
        // controller-gen loses one of these rules (map overwrite): kgen keeps get and list.
        let rules = normalize(&[
            spec(&["a.io", "b.io"], &["x"], &[], &["get"], &[]),
            spec(&["a.io"], &["x"], &[], &["list"], &[]),
            spec(&["b.io"], &["x"], &[], &["list"], &[]),
        ]);
        assert_eq!(rules, vec![rule(&["a.io", "b.io"], &["x"], &[], &["get", "list"], &[])]);
    }
}
