//! The resources the fake API server serves: built-in kinds and custom resources from CRDs.

use kgen_schema::Schema;
use serde_json::Value;

/// When `metadata.generation` is set and bumped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenerationPolicy {
    /// No `metadata.generation` (ConfigMap, Secret, ...).
    None,
    /// Starts at 1, bumped when `spec` changes (built-in kinds with a spec).
    Spec,
    /// Starts at 1, bumped when anything but `metadata` and `status` changes (custom resources).
    AllButMetadataAndStatus,
}

/// What deleting an object does to its dependents (`propagationPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeletePropagation {
    /// The object goes at once; the garbage collector then deletes its dependents.
    #[default]
    Background,
    /// The object stays (with the `foregroundDeletion` finalizer) until its blocking dependents
    /// are gone.
    Foreground,
    /// The object stays (with the `orphan` finalizer) until its dependents have lost their owner
    /// references to it.
    Orphan,
}

/// The scale subresource of a version (`/scale`), as a CRD declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleDef {
    /// Path of the desired replicas, e.g. `.spec.replicas`.
    pub spec_replicas_path: String,
    /// Path of the observed replicas, e.g. `.status.replicas`.
    pub status_replicas_path: String,
    /// Path of the label selector string, e.g. `.status.selector`.
    pub label_selector_path: Option<String>,
}

/// One served version of a resource.
#[derive(Clone, Debug)]
pub struct VersionDef {
    /// `v1`, `v1alpha1`, ...
    pub name: String,
    /// The version objects are stored in (exactly one per resource).
    pub storage: bool,
    /// The `openAPIV3Schema`, for custom resources; built-in kinds have none (no validation).
    pub schema: Option<Schema>,
    /// Whether `/status` is a subresource.
    pub status: bool,
    /// The `/scale` subresource, if any.
    pub scale: Option<ScaleDef>,
    /// Extra paths usable in field selectors (`metadata.name` and `metadata.namespace` always are).
    pub selectable_fields: Vec<String>,
    /// For a `deprecated` version: the `Warning` every request to it gets (its
    /// `deprecationWarning`, or the API server's default text).
    pub deprecation_warning: Option<String>,
}

impl VersionDef {
    /// A storage version without schema or subresources.
    pub fn new(name: impl Into<String>) -> Self {
        VersionDef {
            name: name.into(),
            storage: true,
            schema: None,
            status: false,
            scale: None,
            selectable_fields: Vec::new(),
            deprecation_warning: None,
        }
    }
}

/// How the objects of a resource are converted between its versions (a CRD's
/// `spec.conversion`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Conversion {
    /// `strategy: None` (or no `spec.conversion`): only `apiVersion` changes.
    #[default]
    None,
    /// `strategy: Webhook`: the server runs the converter registered with
    /// [`FakeApiServer::with_converter`](super::FakeApiServer::with_converter) where a real one
    /// calls the webhook; without one, it fails as a real server whose webhook is unreachable.
    Webhook {
        /// Where the webhook is, as a real server would call it (`https://<service>.<namespace>.svc:443/<path>`
        /// or the `url`), for error messages.
        url: String,
    },
}

/// A resource type: its names, scope, versions and the semantics the server applies to it.
///
/// Built-in kinds are registered by [`FakeApiServer::new`](super::FakeApiServer::new); register
/// more with [`FakeApiServer::with_resource`](super::FakeApiServer::with_resource), and custom
/// resources with [`FakeApiServer::with_crd`](super::FakeApiServer::with_crd).
#[derive(Clone, Debug)]
pub struct ResourceDef {
    /// API group; "" for the core group.
    pub group: String,
    /// `Kind`.
    pub kind: String,
    /// Lower-case plural, the URL segment.
    pub plural: String,
    /// Lower-case singular.
    pub singular: String,
    /// Short names for discovery.
    pub short_names: Vec<String>,
    /// Categories for discovery.
    pub categories: Vec<String>,
    /// Namespaced (true) or cluster-scoped (false).
    pub namespaced: bool,
    /// Served versions; one of them is the storage version.
    pub versions: Vec<VersionDef>,
    /// When `metadata.generation` changes.
    pub generation: GenerationPolicy,
    /// Whether an update without `metadata.resourceVersion` is accepted (false for custom
    /// resources, which require it).
    pub unconditional_update: bool,
    /// Whether this came from a CustomResourceDefinition.
    pub custom: bool,
    /// The propagation of a delete that names none: `Background` for most kinds and custom
    /// resources, `Orphan` for batch/v1 Jobs (as the API server keeps it for compatibility).
    pub default_propagation: DeletePropagation,
    /// How objects are converted between versions.
    pub conversion: Conversion,
}

impl ResourceDef {
    /// A resource with one storage version, no subresources, no generation, that accepts
    /// unconditional updates (like a ConfigMap).
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        kind: impl Into<String>,
        plural: impl Into<String>,
        namespaced: bool,
    ) -> Self {
        let kind = kind.into();
        ResourceDef {
            group: group.into(),
            singular: kind.to_ascii_lowercase(),
            kind,
            plural: plural.into(),
            short_names: Vec::new(),
            categories: Vec::new(),
            namespaced,
            versions: vec![VersionDef::new(version)],
            generation: GenerationPolicy::None,
            unconditional_update: true,
            custom: false,
            default_propagation: DeletePropagation::Background,
            conversion: Conversion::None,
        }
    }

    /// Sets the propagation of deletes that name none.
    pub fn with_default_propagation(mut self, propagation: DeletePropagation) -> Self {
        self.default_propagation = propagation;
        self
    }

    /// Enables the status subresource on every version.
    pub fn with_status(mut self) -> Self {
        for v in &mut self.versions {
            v.status = true;
        }
        self
    }

    /// Enables the scale subresource on every version.
    pub fn with_scale(mut self, scale: ScaleDef) -> Self {
        for v in &mut self.versions {
            v.scale = Some(scale.clone());
        }
        self
    }

    /// Sets the generation policy.
    pub fn with_generation(mut self, policy: GenerationPolicy) -> Self {
        self.generation = policy;
        self
    }

    /// Adds field-selector paths on every version.
    pub fn with_selectable_fields(mut self, paths: &[&str]) -> Self {
        for v in &mut self.versions {
            v.selectable_fields
                .extend(paths.iter().map(|p| p.trim_start_matches('.').to_string()));
        }
        self
    }

    /// Sets the short names.
    pub fn with_short_names(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    /// The version definition named `version`.
    pub(crate) fn version(&self, version: &str) -> Option<&VersionDef> {
        self.versions.iter().find(|v| v.name == version)
    }

    /// The storage version.
    pub(crate) fn storage_version(&self) -> &VersionDef {
        self.versions.iter().find(|v| v.storage).unwrap_or(&self.versions[0])
    }

    /// Field-selector paths of `version`: `metadata.name`, `metadata.namespace` and the declared
    /// ones.
    pub(crate) fn field_paths(&self, version: &str) -> Vec<String> {
        let mut out = vec!["metadata.name".to_string(), "metadata.namespace".to_string()];
        if let Some(v) = self.version(version) {
            out.extend(v.selectable_fields.iter().cloned());
        }
        out
    }
}

fn scale(spec: &str, status: &str, selector: Option<&str>) -> ScaleDef {
    ScaleDef {
        spec_replicas_path: spec.into(),
        status_replicas_path: status.into(),
        label_selector_path: selector.map(str::to_string),
    }
}

/// The built-in kinds operators usually need. They are stored as JSON without a schema.
pub(crate) fn builtins() -> Vec<ResourceDef> {
    use GenerationPolicy::Spec;
    let r = ResourceDef::new;
    let replicas = scale(".spec.replicas", ".status.replicas", None);
    vec![
        r("", "v1", "Namespace", "namespaces", false)
            .with_status()
            .with_short_names(&["ns"])
            .with_selectable_fields(&["status.phase"]),
        r("", "v1", "ConfigMap", "configmaps", true).with_short_names(&["cm"]),
        r("", "v1", "Secret", "secrets", true).with_selectable_fields(&["type"]),
        r("", "v1", "ServiceAccount", "serviceaccounts", true).with_short_names(&["sa"]),
        r("", "v1", "Service", "services", true)
            .with_status()
            .with_short_names(&["svc"]),
        r("", "v1", "Pod", "pods", true)
            .with_status()
            .with_short_names(&["po"])
            .with_selectable_fields(&[
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "status.phase",
                "status.podIP",
            ]),
        r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true)
            .with_status()
            .with_short_names(&["pvc"]),
        r("", "v1", "Event", "events", true)
            .with_short_names(&["ev"])
            .with_selectable_fields(&[
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
            ]),
        r("events.k8s.io", "v1", "Event", "events", true)
            .with_short_names(&["ev"])
            .with_selectable_fields(&["regarding.kind", "regarding.name", "reason", "type"]),
        r("coordination.k8s.io", "v1", "Lease", "leases", true),
        r("apps", "v1", "Deployment", "deployments", true)
            .with_status()
            .with_scale(replicas.clone())
            .with_generation(Spec)
            .with_short_names(&["deploy"]),
        r("apps", "v1", "StatefulSet", "statefulsets", true)
            .with_status()
            .with_scale(replicas.clone())
            .with_generation(Spec)
            .with_short_names(&["sts"]),
        r("apps", "v1", "ReplicaSet", "replicasets", true)
            .with_status()
            .with_scale(replicas)
            .with_generation(Spec)
            .with_short_names(&["rs"]),
        r("apps", "v1", "DaemonSet", "daemonsets", true)
            .with_status()
            .with_generation(Spec)
            .with_short_names(&["ds"]),
        r("batch", "v1", "Job", "jobs", true)
            .with_status()
            .with_generation(Spec)
            .with_default_propagation(DeletePropagation::Orphan),
        r("batch", "v1", "CronJob", "cronjobs", true)
            .with_status()
            .with_generation(Spec)
            .with_short_names(&["cj"]),
        r(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        )
        .with_status()
        .with_generation(Spec)
        .with_short_names(&["crd", "crds"]),
    ]
}

/// Reads a `CustomResourceDefinition` (apiextensions.k8s.io/v1, as JSON).
/// A CRD's `spec.conversion`.
fn conversion_of(spec: &Value) -> Result<Conversion, String> {
    let Some(c) = spec.get("conversion") else {
        return Ok(Conversion::None);
    };
    match c.get("strategy").and_then(Value::as_str) {
        None | Some("None") => Ok(Conversion::None),
        Some("Webhook") => {
            let webhook = c.get("webhook");
            let client = webhook.and_then(|w| w.get("clientConfig"));
            let url = match client {
                Some(cc) if cc.get("url").and_then(Value::as_str).is_some() => {
                    cc["url"].as_str().unwrap_or_default().to_string()
                }
                Some(cc) if cc.get("service").is_some() => {
                    let svc = &cc["service"];
                    let text = |k: &str| svc.get(k).and_then(Value::as_str).unwrap_or("");
                    let port = svc.get("port").and_then(Value::as_u64).unwrap_or(443);
                    format!(
                        "https://{}.{}.svc:{port}{}",
                        text("name"),
                        text("namespace"),
                        text("path")
                    )
                }
                _ => return Err("spec.conversion.webhook.clientConfig is required for strategy Webhook".into()),
            };
            Ok(Conversion::Webhook { url })
        }
        Some(other) => Err(format!("unknown spec.conversion.strategy {other:?}")),
    }
}

pub(crate) fn from_crd(crd: &Value) -> Result<ResourceDef, String> {
    let spec = crd.get("spec").ok_or("the CRD has no spec")?;
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let group = s(spec.get("group")).ok_or("the CRD has no spec.group")?;
    let names = spec.get("names").ok_or("the CRD has no spec.names")?;
    let kind = s(names.get("kind")).ok_or("the CRD has no spec.names.kind")?;
    let plural = s(names.get("plural")).ok_or("the CRD has no spec.names.plural")?;
    let singular = s(names.get("singular")).unwrap_or_else(|| kind.to_ascii_lowercase());
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let namespaced = match spec.get("scope").and_then(Value::as_str) {
        Some("Namespaced") | None => true,
        Some("Cluster") => false,
        Some(other) => return Err(format!("unknown spec.scope {other:?}")),
    };
    let mut versions = Vec::new();
    for v in spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or("the CRD has no spec.versions")?
    {
        let name = s(v.get("name")).ok_or("a CRD version has no name")?;
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let schema = match v.get("schema").and_then(|x| x.get("openAPIV3Schema")) {
            Some(js) => {
                Some(Schema::from_json(js).map_err(|e| format!("version {name}: invalid openAPIV3Schema: {e}"))?)
            }
            None => None,
        };
        let sub = v.get("subresources");
        let status = sub.and_then(|x| x.get("status")).is_some();
        let scale = sub.and_then(|x| x.get("scale")).map(|sc| ScaleDef {
            spec_replicas_path: s(sc.get("specReplicasPath")).unwrap_or_default(),
            status_replicas_path: s(sc.get("statusReplicasPath")).unwrap_or_default(),
            label_selector_path: s(sc.get("labelSelectorPath")),
        });
        let selectable_fields = v
            .get("selectableFields")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.get("jsonPath").and_then(Value::as_str))
                    .map(|p| p.trim_start_matches('.').to_string())
                    .collect()
            })
            .unwrap_or_default();
        let deprecation_warning = (v.get("deprecated").and_then(Value::as_bool) == Some(true)).then(|| {
            s(v.get("deprecationWarning")).unwrap_or_else(|| default_deprecation_warning(spec, &group, &kind, &name))
        });
        versions.push(VersionDef {
            name,
            storage: v.get("storage").and_then(Value::as_bool).unwrap_or(false),
            schema,
            status,
            scale,
            selectable_fields,
            deprecation_warning,
        });
    }
    if versions.is_empty() {
        return Err("the CRD serves no version".into());
    }
    if !versions.iter().any(|v| v.storage) {
        versions[0].storage = true;
    }
    Ok(ResourceDef {
        group,
        kind,
        plural,
        singular,
        short_names: strings(names.get("shortNames")),
        categories: strings(names.get("categories")),
        namespaced,
        versions,
        generation: GenerationPolicy::AllButMetadataAndStatus,
        unconditional_update: false,
        custom: true,
        default_propagation: DeletePropagation::Background,
        conversion: conversion_of(spec)?,
    })
}

/// The API server's warning for a deprecated CRD version without `deprecationWarning`:
/// `<group>/<version> <Kind> is deprecated`, and `; use <group>/<newer> <Kind>` naming the
/// highest-priority served version that is not deprecated and ranks above it, if there is one.
fn default_deprecation_warning(spec: &Value, group: &str, kind: &str, version: &str) -> String {
    let mut message = format!("{group}/{version} {kind} is deprecated");
    let newer = spec
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
        .filter(|v| v.get("deprecated").and_then(Value::as_bool) != Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .filter(|v| crate::discovery::priority(v) > crate::discovery::priority(version))
        .max_by_key(|v| crate::discovery::priority(v));
    if let Some(newer) = newer {
        message.push_str(&format!("; use {group}/{newer} {kind}"));
    }
    message
}
