//! The embedded table of Kubernetes' built-in types (`PodTemplateSpec`, `Container`, ...), one schema
//! per type and Kubernetes minor version.
//!
//! The data comes from Kubernetes' own OpenAPI definitions (PyPI `kubernetes-validate`), turned into
//! `data/k8s-builtins/` by `scripts/regen-k8s-builtins.py`; see that script for what it normalises.
//! Each distinct definition body is one line of `bodies.jsonl`, shared by every version that has it;
//! `index.json` says which line a type has from which version on. Nothing is parsed until a CRD
//! uses a built-in type, and then only the index and the bodies it needs.

use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

const INDEX: &str = include_str!("../data/k8s-builtins/index.json");
const BODIES: &str = include_str!("../data/k8s-builtins/bodies.jsonl");

#[derive(Deserialize)]
struct RawIndex {
    #[serde(borrow)]
    versions: Vec<&'static str>,
    #[serde(borrow)]
    types: HashMap<&'static str, Vec<(usize, i64)>>,
}

struct Table {
    /// Minor versions, oldest first (all are `1.x`).
    minors: Vec<u32>,
    types: HashMap<&'static str, Vec<(usize, i64)>>,
    lines: Vec<&'static str>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The data is checked in and tested (`table_is_consistent`), so a failure here is a build defect.
        let raw: RawIndex = serde_json::from_str(INDEX).expect("data/k8s-builtins/index.json is valid");
        let minors = raw
            .versions
            .iter()
            .map(|v| {
                v.strip_prefix("1.")
                    .and_then(|m| m.parse().ok())
                    .expect("versions are 1.x")
            })
            .collect();
        Table {
            minors,
            types: raw.types,
            lines: BODIES.lines().collect(),
        }
    })
}

/// A Kubernetes minor version whose built-in schemas kgen embeds (`1.25` to `1.37`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    minor: u32,
}

impl KubeVersion {
    /// The newest embedded version (the default).
    pub fn newest() -> KubeVersion {
        KubeVersion {
            minor: *table().minors.last().expect("the table has versions"),
        }
    }

    /// Every embedded version, oldest first.
    pub fn all() -> Vec<KubeVersion> {
        table().minors.iter().map(|&minor| KubeVersion { minor }).collect()
    }

    /// The minor number (`31` for 1.31).
    pub fn minor(self) -> u32 {
        self.minor
    }

    fn position(self) -> usize {
        table()
            .minors
            .iter()
            .position(|&m| m == self.minor)
            .expect("KubeVersion values are embedded versions")
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::newest()
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    /// Accepts `1.31`, `v1.31` and `1.31.4` (the patch level does not change the API).
    fn from_str(s: &str) -> Result<Self, String> {
        let supported = || {
            let all = KubeVersion::all();
            format!("kgen embeds Kubernetes {} to {}", all[0], all[all.len() - 1])
        };
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let (major, minor) = (parts.next(), parts.next());
        let patch_ok = parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
        match (major, minor.and_then(|m| m.parse::<u32>().ok())) {
            (Some("1"), Some(minor)) if patch_ok => {
                if table().minors.contains(&minor) {
                    Ok(KubeVersion { minor })
                } else {
                    Err(format!("Kubernetes 1.{minor} is not embedded; {}", supported()))
                }
            }
            _ => Err(format!("`{s}` is not a Kubernetes version like 1.31; {}", supported())),
        }
    }
}

/// The OpenAPI definition name of a k8s-openapi type path, if the table has that type in any
/// version: `k8s_openapi::api::core::v1::Container` → `io.k8s.api.core.v1.Container`. kube's
/// re-export (`kube::k8s_openapi::...`) works too.
pub fn definition_name(path: &[String]) -> Option<&'static str> {
    let rest = match path.first().map(String::as_str) {
        Some("k8s_openapi") => &path[1..],
        Some("kube" | "kube_core") if path.get(1).map(String::as_str) == Some("k8s_openapi") => &path[2..],
        _ => return None,
    };
    if rest.len() < 2 {
        return None;
    }
    // k8s-openapi's modules are the definition's package with `-` spelled `_`.
    definition_name_str(&format!("io.k8s.{}", rest.join(".").replace('_', "-")))
}

/// For a k8s-openapi path that names no type: the Rust path of the likeliest meant one (the same
/// name in another module, else a close name in the same module).
pub fn suggest(path: &[String]) -> Option<String> {
    let rest = match path.first().map(String::as_str) {
        Some("k8s_openapi") => &path[1..],
        Some("kube" | "kube_core") if path.get(1).map(String::as_str) == Some("k8s_openapi") => &path[2..],
        _ => return None,
    };
    let (last, module) = rest.split_last()?;
    let package = format!("io.k8s.{}.", module.join(".").replace('_', "-"));
    let mut names: Vec<&'static str> = table().types.keys().copied().collect();
    names.sort_unstable();
    let short = |n: &'static str| n.rsplit('.').next().unwrap_or(n);
    let same_name = names.iter().copied().filter(|n| short(n) == last).max_by_key(|n| {
        // Prefer a stable version (v1 over v1beta1) when several modules have the name.
        let version = n.rsplit('.').nth(1).unwrap_or("");
        (
            !version.contains("alpha") && !version.contains("beta"),
            n.len() == package.len() + last.len(),
        )
    });
    let found = same_name.or_else(|| {
        crate::markers::registry::closest(
            last,
            names.iter().copied().filter(|n| n.starts_with(&package)).map(short),
        )
        .and_then(|c| definition_name_str(&format!("{package}{c}")))
    })?;
    let rust = found.strip_prefix("io.k8s.")?.replace('-', "_").replace('.', "::");
    Some(format!("k8s_openapi::{rust}"))
}

/// The table's own spelling of a definition name (for `$ref`s inside bodies).
pub fn definition_name_str(name: &str) -> Option<&'static str> {
    table().types.get_key_value(name).map(|(k, _)| *k)
}

/// The stored definition of `name` in `version`, as normalised JSON text, or `None` when that
/// version does not have the type.
pub fn definition(version: KubeVersion, name: &str) -> Option<&'static str> {
    let t = table();
    let history = t.types.get(name)?;
    let pos = version.position();
    let line = history
        .iter()
        .rev()
        .find(|(from, _)| *from <= pos)
        .map(|(_, line)| *line)?;
    usize::try_from(line).ok().and_then(|l| t.lines.get(l).copied())
}

/// The versions that have `name`, for error messages.
pub fn versions_with(name: &str) -> Vec<KubeVersion> {
    KubeVersion::all()
        .into_iter()
        .filter(|v| definition(*v, name).is_some())
        .collect()
}

/// Every definition name in `version`, sorted.
pub fn names(version: KubeVersion) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table()
        .types
        .keys()
        .copied()
        .filter(|n| definition(version, n).is_some())
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split("::").map(String::from).collect()
    }

    #[test]
    fn table_is_consistent() {
        let t = table();
        assert_eq!(t.minors.first(), Some(&25));
        assert_eq!(t.minors.last(), Some(&37));
        for (name, history) in &t.types {
            assert!(!history.is_empty(), "{name}");
            for (from, line) in history {
                assert!(*from < t.minors.len(), "{name}");
                assert!(*line == -1 || (*line as usize) < t.lines.len(), "{name}");
            }
        }
        for line in &t.lines {
            serde_json::from_str::<serde_json::Value>(line).expect("each body is JSON");
        }
    }

    #[test]
    fn maps_rust_paths_to_definitions() {
        assert_eq!(
            definition_name(&p("k8s_openapi::api::core::v1::PodTemplateSpec")),
            Some("io.k8s.api.core.v1.PodTemplateSpec")
        );
        assert_eq!(
            definition_name(&p(
                "k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps"
            )),
            Some("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
        );
        assert_eq!(
            definition_name(&p("kube::k8s_openapi::api::apps::v1::DeploymentSpec")),
            Some("io.k8s.api.apps.v1.DeploymentSpec")
        );
        assert_eq!(definition_name(&p("k8s_openapi::api::core::v1::Nope")), None);
        assert_eq!(definition_name(&p("other::api::core::v1::Container")), None);
        assert_eq!(
            suggest(&p("k8s_openapi::api::core::v1::PodSpecc")).as_deref(),
            Some("k8s_openapi::api::core::v1::PodSpec")
        );
        assert_eq!(
            suggest(&p("k8s_openapi::api::core::v1::Deployment")).as_deref(),
            Some("k8s_openapi::api::apps::v1::Deployment")
        );
    }

    #[test]
    fn versions_differ_where_kubernetes_changed() {
        let v = |s: &str| s.parse::<KubeVersion>().unwrap();
        // ResourceRequirements.claims arrived in 1.26.
        let old = definition(v("1.25"), "io.k8s.api.core.v1.ResourceRequirements").unwrap();
        let new = definition(v("1.37"), "io.k8s.api.core.v1.ResourceRequirements").unwrap();
        assert!(!old.contains("\"claims\""));
        assert!(new.contains("\"claims\""));
        // resource.k8s.io/v1 exists from 1.34 only.
        assert_eq!(definition(v("1.25"), "io.k8s.api.resource.v1.ResourceClaim"), None);
        assert_eq!(versions_with("io.k8s.api.resource.v1.ResourceClaim")[0], v("1.34"));
    }

    #[test]
    fn parses_versions() {
        assert_eq!("1.31".parse::<KubeVersion>().unwrap().minor(), 31);
        assert_eq!("v1.31.4".parse::<KubeVersion>().unwrap().minor(), 31);
        assert_eq!(KubeVersion::newest().to_string(), "1.37");
        let e = "1.12".parse::<KubeVersion>().unwrap_err();
        assert_eq!(
            e,
            "Kubernetes 1.12 is not embedded; kgen embeds Kubernetes 1.25 to 1.37"
        );
        assert!(
            "2.0"
                .parse::<KubeVersion>()
                .unwrap_err()
                .contains("is not a Kubernetes version")
        );
        assert!("1.x".parse::<KubeVersion>().is_err());
    }
}
