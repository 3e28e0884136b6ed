//! Discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`,
//! and the aggregated form of `/api` and `/apis` (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`).

use super::resources::ResourceDef;
use super::store::State;
use serde_json::{Value, json};
use std::sync::Arc;

/// The content type of aggregated discovery responses.
pub(crate) const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn defs(state: &State) -> Vec<Arc<ResourceDef>> {
    state.resources.values().map(|s| s.def.clone()).collect()
}

/// Groups (non-core) with their served versions, in registration-independent order.
fn groups(state: &State) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for d in defs(state).iter().filter(|d| !d.group.is_empty()) {
        let entry = match out.iter_mut().position(|(g, _)| *g == d.group) {
            Some(i) => &mut out[i].1,
            None => {
                out.push((d.group.clone(), Vec::new()));
                &mut out.last_mut().expect("pushed").1
            }
        };
        for v in &d.versions {
            if !entry.contains(&v.name) {
                entry.push(v.name.clone());
            }
        }
    }
    for (_, versions) in &mut out {
        versions.sort_by_key(|v| std::cmp::Reverse(priority(v)));
    }
    out
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
pub(crate) fn priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    let (level, n) = if let Some(n) = tail.strip_prefix("beta") {
        (2, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n)
    } else {
        return (0, 0, 0);
    };
    (level, major, n.parse().unwrap_or(0))
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

fn api_group(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": group_version(group, v), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
    })
}

/// `GET /version`.
pub(crate) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "37",
        "gitVersion": "v1.37.0-kgen-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.26",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `GET /api`.
pub(crate) fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    })
}

/// `GET /apis`.
pub(crate) fn group_list(state: &State) -> Value {
    let gs: Vec<Value> = groups(state).iter().map(|(g, vs)| api_group(g, vs)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

/// `GET /apis/<group>`.
pub(crate) fn group(state: &State, group: &str) -> Option<Value> {
    let (g, vs) = groups(state).into_iter().find(|(g, _)| g == group)?;
    let mut v = api_group(&g, &vs);
    v["kind"] = json!("APIGroup");
    v["apiVersion"] = json!("v1");
    Some(v)
}

/// `GET /api/<version>` or `/apis/<group>/<version>`.
pub(crate) fn resource_list(state: &State, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for d in defs(state).iter().filter(|d| d.group == group) {
        let Some(v) = d.version(version) else { continue };
        let mut r = json!({
            "name": d.plural,
            "singularName": d.singular,
            "namespaced": d.namespaced,
            "kind": d.kind,
            "verbs": VERBS,
        });
        if !d.short_names.is_empty() {
            r["shortNames"] = json!(d.short_names);
        }
        if !d.categories.is_empty() {
            r["categories"] = json!(d.categories);
        }
        resources.push(r);
        if v.status {
            resources.push(json!({
                "name": format!("{}/status", d.plural),
                "singularName": "",
                "namespaced": d.namespaced,
                "kind": d.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if v.scale.is_some() {
            resources.push(json!({
                "name": format!("{}/scale", d.plural),
                "singularName": "",
                "namespaced": d.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    if resources.is_empty() {
        return None;
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }))
}

/// Aggregated discovery of the core group (`core: true`) or of all other groups.
pub(crate) fn aggregated(state: &State, core: bool) -> Value {
    let mut items = Vec::new();
    let gs: Vec<(String, Vec<String>)> = if core {
        vec![(String::new(), vec!["v1".to_string()])]
    } else {
        groups(state)
    };
    for (g, versions) in gs {
        let mut vs = Vec::new();
        for v in &versions {
            let mut resources = Vec::new();
            for d in defs(state).iter().filter(|d| d.group == g) {
                let Some(vd) = d.version(v) else { continue };
                let gvk = json!({"group": g, "version": v, "kind": d.kind});
                let mut subs = Vec::new();
                if vd.status {
                    subs.push(
                        json!({"subresource": "status", "responseKind": gvk, "verbs": ["get", "patch", "update"]}),
                    );
                }
                if vd.scale.is_some() {
                    subs.push(json!({
                        "subresource": "scale",
                        "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                        "verbs": ["get", "patch", "update"],
                    }));
                }
                resources.push(json!({
                    "resource": d.plural,
                    "responseKind": gvk,
                    "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
                    "singularResource": d.singular,
                    "verbs": VERBS,
                    "shortNames": d.short_names,
                    "categories": d.categories,
                    "subresources": subs,
                }));
            }
            vs.push(json!({"version": v, "resources": resources, "freshness": "Current"}));
        }
        items.push(json!({"metadata": {"name": g}, "versions": vs}));
    }
    json!({
        "apiVersion": "apidiscovery.k8s.io/v2",
        "kind": "APIGroupDiscoveryList",
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::priority;

    #[test]
    fn version_priority() {
        let mut v = vec!["v1alpha1", "v2", "v1beta2", "v1", "v1beta1", "foo"];
        v.sort_by_key(|x| std::cmp::Reverse(priority(x)));
        assert_eq!(v, vec!["v2", "v1", "v1beta2", "v1beta1", "v1alpha1", "foo"]);
    }
}
