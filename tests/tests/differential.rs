//! Differential test: the Kluster API written with kube's `#[derive(CustomResource)]` against
//! kgen's CRD for the same types (`examples/kluster/src/api/v1alpha1/types.rs`).
//!
//! Both CRDs are walked in parallel. Every keyword of every schema node and every field of the
//! CRD around the schema is compared. A difference passes only if the allow-list
//! ([`allowed_differences`]) names it precisely: the path, the keyword, and what each side holds.
//! A new difference fails the test, and so does an allow-list entry that no longer matches
//! anything. `tests/README.md` lists the same differences with their reasons.
//!
//! Numbers are compared by value: schemars writes `maximum: 512.0` and kgen writes `512`, which
//! JSON Schema treats as the same number.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// The Kluster types again, this time for kube-derive. They match types.rs field for field: the
// same doc comments, serde renames and Option/default choices. kgen markers become schemars
// validation attributes where schemars has an equivalent. The markers that schemars cannot
// express (immutable, listType, listMapKey) are left out on purpose; the allow-list covers them.
// ---------------------------------------------------------------------------------------------

/// The desired DigitalOcean Kubernetes cluster.
// clippy reads the repeated `type_ = "string"` of the printcolumns as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "kgen.dev",
    version = "v1alpha1",
    kind = "Kluster",
    namespaced,
    status = "KlusterStatus",
    shortname = "kl",
    category = "kgen",
    // Kluster's description: its doc comment up to the `---` line, without marker lines.
    doc = "A Kluster is a DigitalOcean Kubernetes cluster managed by the kluster operator.",
    printcolumn(name = "ClusterID", type_ = "string", json_path = ".status.clusterID"),
    printcolumn(name = "Progress", type_ = "string", json_path = ".status.progress"),
    printcolumn(name = "Region", type_ = "string", json_path = ".spec.region"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct KlusterSpec {
    /// Name of the cluster at DigitalOcean. Cannot be changed.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// DigitalOcean region slug, such as `nyc1` or `fra1`. Cannot be changed.
    #[schemars(length(min = 1), regex(pattern = r"^[a-z]{3}[0-9]$"))]
    pub region: String,
    /// Kubernetes version: a slug such as `1.33.1-do.0`, a minor version such as `1.33` (its newest
    /// patch), or `latest` (the newest version when the cluster is created; never an upgrade). A
    /// newer version upgrades the cluster; an older one is refused.
    #[schemars(length(min = 1))]
    pub version: String,
    /// Node pools of the cluster; at least one.
    #[schemars(length(min = 1))]
    pub node_pools: Vec<NodePool>,
    /// The Secret key holding the DigitalOcean API token.
    pub token_secret_ref: TokenSecretRef,
}

/// A pool of identical worker nodes.
#[derive(Deserialize, Serialize, Clone, Debug, JsonSchema)]
pub struct NodePool {
    /// Name of the pool, unique within the cluster.
    #[schemars(length(max = 63), regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: String,
    /// Droplet size slug of every node, such as `s-2vcpu-4gb`.
    #[schemars(length(min = 1))]
    pub size: String,
    /// Number of nodes.
    #[schemars(range(min = 1, max = 512))]
    pub count: i32,
}

/// Where the DigitalOcean API token is: a key of a Secret in the Kluster's namespace.
#[derive(Deserialize, Serialize, Clone, Debug, JsonSchema)]
pub struct TokenSecretRef {
    /// Name of the Secret.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Key within the Secret.
    #[serde(default = "default_token_key")]
    #[schemars(length(min = 1))]
    pub key: String,
}

fn default_token_key() -> String {
    "token".to_string()
}

/// Where the cluster is in its life.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
pub enum Progress {
    /// Accepted, nothing done yet.
    #[default]
    Pending,
    /// The cluster is being created at DigitalOcean.
    Creating,
    /// The cluster is running.
    Running,
    /// The cluster is being upgraded to a newer Kubernetes version.
    Upgrading,
    /// The cluster is being deleted.
    Deleting,
    /// Something went wrong; see the conditions.
    Failed,
}

/// What the operator observed.
#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KlusterStatus {
    /// ID of the cluster at DigitalOcean.
    #[serde(rename = "clusterID", default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// Where the cluster is in its life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// Name of the Secret holding the cluster's kubeconfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig_secret: Option<String>,
    /// The Kubernetes version slug the cluster runs, as DigitalOcean reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Latest observations of the Kluster's state: Ready (the cluster runs and its kubeconfig is
    /// stored) and Synced (DigitalOcean matches the spec: node pools and version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The .metadata.generation the status was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// The two CRDs.
// ---------------------------------------------------------------------------------------------

fn kgen_crd() -> Value {
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/kluster/src/api");
    let out = kgen_build::generate_crds(&kgen_build::CrdOptions::new([api]))
        .unwrap_or_else(|e| panic!("kgen failed on the Kluster API: {e:?}"));
    let mut kluster = out
        .crds
        .into_iter()
        .filter(|c| c.group == "kgen.dev" && c.kind == "Kluster");
    let crd = kluster.next().expect("kgen produced no CRD for Kluster");
    assert!(kluster.next().is_none(), "kgen produced two CRDs for Kluster");
    v1alpha1_alone(crd.value)
}

/// kube-derive describes one version per derive: the v1alpha1 types are compared, so kgen's CRD
/// is cut down to what it would be with v1alpha1 alone (no v1beta1, so no conversion webhook, and
/// v1alpha1 the storage version, not deprecated).
fn v1alpha1_alone(mut crd: Value) -> Value {
    let spec = crd["spec"].as_object_mut().expect("spec");
    assert_eq!(
        spec["conversion"]["strategy"], "Webhook",
        "the two versions convert by webhook"
    );
    spec.remove("conversion");
    let versions = spec["versions"].as_array_mut().expect("spec.versions");
    assert_eq!(
        versions.iter().map(|v| v["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["v1beta1", "v1alpha1"]
    );
    versions.retain(|v| v["name"] == "v1alpha1");
    let v = versions[0].as_object_mut().unwrap();
    assert_eq!(v.remove("deprecated"), Some(json!(true)));
    assert!(v.remove("deprecationWarning").is_some());
    v.insert("storage".into(), json!(true));
    crd
}

fn kube_crd() -> Value {
    serde_json::to_value(Kluster::crd()).expect("kube's CRD serializes")
}

fn schema_of(crd: &Value) -> &Value {
    let versions = crd["spec"]["versions"].as_array().expect("spec.versions");
    assert_eq!(versions.len(), 1, "one version (v1alpha1)");
    &versions[0]["schema"]["openAPIV3Schema"]
}

// ---------------------------------------------------------------------------------------------
// Differences.
// ---------------------------------------------------------------------------------------------

/// One difference: at `path`, `keyword` holds `kgen` in kgen's CRD and `kube` in kube's
/// (`None`: absent). Schema paths start at `openAPIV3Schema`. They name properties with a dot,
/// array items with `[*]` and `additionalProperties` with `{*}`. A property that exists on one
/// side only is reported at the object's path under the keyword `properties.<name>`.
#[derive(Clone, Debug)]
struct Diff {
    path: String,
    keyword: String,
    kgen: Option<Value>,
    kube: Option<Value>,
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_string(), Value::to_string);
        write!(
            f,
            "{} :: {}\n    kgen: {}\n    kube: {}",
            self.path,
            self.keyword,
            show(&self.kgen),
            show(&self.kube)
        )
    }
}

/// JSON equality with numbers compared by value (`512` == `512.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn obj(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    v.as_object().unwrap_or(&EMPTY)
}

fn keys<'a>(a: &'a Map<String, Value>, b: &'a Map<String, Value>) -> BTreeSet<&'a str> {
    a.keys().chain(b.keys()).map(String::as_str).collect()
}

/// Compares the CRD documents outside the schema: metadata, group, names, scope, and each
/// version's name, served, storage, subresources and printer columns. Objects are compared key
/// by key; arrays of equal length element by element; everything else as a value.
fn diff_document(path: &str, kgen: &Value, kube: &Value, out: &mut Vec<Diff>) {
    let (a, b) = (obj(kgen), obj(kube));
    for k in keys(a, b) {
        let child = if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        };
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) if k == "openAPIV3Schema" => diff_schema("openAPIV3Schema", x, y, out),
            (Some(x @ Value::Object(_)), Some(y @ Value::Object(_))) => diff_document(&child, x, y, out),
            (Some(Value::Array(x)), Some(Value::Array(y)))
                if x.len() == y.len() && x.iter().chain(y).all(Value::is_object) =>
            {
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    diff_document(&format!("{child}[{i}]"), x, y, out);
                }
            }
            (x, y) => {
                if !matches!((x, y), (Some(x), Some(y)) if same(x, y)) {
                    out.push(Diff {
                        path: path.to_string(),
                        keyword: k.to_string(),
                        kgen: x.cloned(),
                        kube: y.cloned(),
                    });
                }
            }
        }
    }
}

/// Walks two schema nodes in parallel. It compares the property names, `required` as a set, and
/// the presence of `items` and `additionalProperties`, recursing into them. Every other keyword
/// is compared by value.
fn diff_schema(path: &str, kgen: &Value, kube: &Value, out: &mut Vec<Diff>) {
    let (a, b) = (obj(kgen), obj(kube));
    let mut push = |keyword: String, x: Option<&Value>, y: Option<&Value>| {
        out.push(Diff {
            path: path.to_string(),
            keyword,
            kgen: x.cloned(),
            kube: y.cloned(),
        })
    };
    let mut recurse = Vec::new();
    for k in keys(a, b) {
        let (x, y) = (a.get(k), b.get(k));
        match k {
            "properties" => {
                let (px, py) = (obj(x.unwrap_or(&Value::Null)), obj(y.unwrap_or(&Value::Null)));
                for name in keys(px, py) {
                    match (px.get(name), py.get(name)) {
                        (Some(sx), Some(sy)) => recurse.push((format!("{path}.{name}"), sx, sy)),
                        (sx, sy) => push(format!("properties.{name}"), sx, sy),
                    }
                }
            }
            "items" | "additionalProperties" => match (x, y) {
                (Some(sx @ Value::Object(_)), Some(sy @ Value::Object(_))) => {
                    let suffix = if k == "items" { "[*]" } else { "{*}" };
                    recurse.push((format!("{path}{suffix}"), sx, sy));
                }
                (Some(sx), Some(sy)) if same(sx, sy) => {}
                _ => push(k.to_string(), x, y),
            },
            "required" => {
                let set = |v: Option<&Value>| -> BTreeSet<String> {
                    v.and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|s| s.as_str().expect("required holds strings").to_string())
                        .collect()
                };
                if set(x) != set(y) {
                    // Report them sorted, so that the allow-list does not depend on the order.
                    let sorted = |v: Option<&Value>| v.map(|_| json!(set(v)));
                    push(k.to_string(), sorted(x).as_ref(), sorted(y).as_ref());
                }
            }
            _ => {
                if !matches!((x, y), (Some(x), Some(y)) if same(x, y)) {
                    push(k.to_string(), x, y);
                }
            }
        }
    }
    for (p, x, y) in recurse {
        diff_schema(&p, x, y, out);
    }
}

// ---------------------------------------------------------------------------------------------
// The allow-list of intended differences.
// ---------------------------------------------------------------------------------------------

/// What an allowed difference expects on one side.
#[derive(Debug)]
enum Expect {
    /// The keyword is absent.
    Absent,
    /// The keyword is present, with any value (descriptions, version stamps).
    Present,
    /// The keyword has exactly this value.
    Is(Value),
}

impl Expect {
    fn matches(&self, v: &Option<Value>) -> bool {
        match (self, v) {
            (Expect::Absent, None) | (Expect::Present, Some(_)) => true,
            (Expect::Is(e), Some(v)) => same(e, v),
            _ => false,
        }
    }
}

struct Allowed {
    path: &'static str,
    keyword: &'static str,
    kgen: Expect,
    kube: Expect,
    reason: &'static str,
}

// The reasons. Each one is a line in tests/README.md.

/// kgen stamps the CRD with the version that wrote it, as controller-gen does with
/// `controller-gen.kubebuilder.io/version`. kube adds no annotation.
const VERSION_STAMP: &str = "kgen stamps `kgen.dev/version` like controller-gen; kube adds no annotations";
/// controller-gen always writes `listKind`. kube-derive leaves it out, and the API server
/// defaults it to `<Kind>List`, which is the same value.
const LIST_KIND: &str =
    "kgen writes listKind like controller-gen; kube omits it and the API server defaults it to KlusterList";
/// schemars titles the root schema with the type name. controller-gen and kgen write no titles.
const ROOT_TITLE: &str = "schemars titles the root schema with the Rust type name";
/// kube-derive `#[schemars(skip)]`s apiVersion, kind and metadata. kgen writes them as
/// controller-gen does (apiVersion and kind with the upstream descriptions, metadata as a bare
/// object).
const ROOT_TYPE_META: &str =
    "kgen writes apiVersion/kind/metadata at the root like controller-gen; kube-derive skips them";
/// kgen takes a field's description from the field's doc comment (`Kluster.spec`), as
/// controller-gen does. kube-derive generates the Kluster struct itself, so only the
/// KlusterSpec type's doc comment is available to it.
const SPEC_DESCRIPTION: &str =
    "kgen describes spec with the field's doc (Kluster.spec); kube only has KlusterSpec's type doc";
/// `+k8s:immutable` and `#[kgen(immutable)]` become the CEL rule `self == oldSelf`. kube only
/// gets that rule from `#[x_kube(validation = ...)]` on a `KubeSchema` derive.
const IMMUTABLE: &str = "kgen derives the CEL rule self == oldSelf from +k8s:immutable / #[kgen(immutable)]; kube needs #[x_kube(validation)]";
/// `+listType` / `+listMapKey` markers become x-kubernetes-list-type/-map-keys. schemars has no
/// attribute for them; with kube they would need a `#[schemars(extend(...))]`.
const LIST_TOPOLOGY: &str =
    "kgen writes x-kubernetes-list-type/-map-keys from +listType/+listMapKey; plain schemars has none";
/// schemars' AddNullable transform marks every Option field `nullable: true`. kgen, like
/// controller-gen, writes `nullable` only for a `+nullable` marker. The API server prunes `null`
/// from non-nullable fields, so a client that sends `None` as `null` is still accepted.
const NULLABLE: &str = "kube marks Option fields nullable: true; kgen (like controller-gen) only with +nullable";
/// kgen's built-in schema for metav1.Condition has its own short descriptions (and none on the
/// item). k8s-openapi's JsonSchema impl carries the upstream Go doc comments.
const CONDITION_DOCS: &str =
    "kgen's built-in Condition schema has descriptions in its own words; k8s-openapi has the upstream Go docs";
/// kgen's built-in Condition schema carries the validations of the upstream
/// `+kubebuilder:validation` markers on metav1.Condition, as controller-gen emits them.
/// k8s-openapi's JsonSchema impl has types and formats only.
const CONDITION_VALIDATION: &str = "kgen's Condition carries upstream metav1.Condition's +kubebuilder validations (as controller-gen); k8s-openapi has none";

fn allowed_differences() -> Vec<Allowed> {
    use Expect::{Absent, Is, Present};
    let mut list = vec![
        Allowed {
            path: "metadata",
            keyword: "annotations",
            kgen: Present,
            kube: Absent,
            reason: VERSION_STAMP,
        },
        Allowed {
            path: "spec.names",
            keyword: "listKind",
            kgen: Is(json!("KlusterList")),
            kube: Absent,
            reason: LIST_KIND,
        },
        Allowed {
            path: "openAPIV3Schema",
            keyword: "title",
            kgen: Absent,
            kube: Is(json!("Kluster")),
            reason: ROOT_TITLE,
        },
        Allowed {
            path: "openAPIV3Schema",
            keyword: "properties.apiVersion",
            kgen: Present,
            kube: Absent,
            reason: ROOT_TYPE_META,
        },
        Allowed {
            path: "openAPIV3Schema",
            keyword: "properties.kind",
            kgen: Present,
            kube: Absent,
            reason: ROOT_TYPE_META,
        },
        Allowed {
            path: "openAPIV3Schema",
            keyword: "properties.metadata",
            kgen: Is(json!({"type": "object"})),
            kube: Absent,
            reason: ROOT_TYPE_META,
        },
        Allowed {
            path: "openAPIV3Schema.spec",
            keyword: "description",
            kgen: Is(json!("The cluster the user asks for.")),
            kube: Is(json!("The desired DigitalOcean Kubernetes cluster.")),
            reason: SPEC_DESCRIPTION,
        },
        Allowed {
            path: "openAPIV3Schema.status.conditions[*]",
            keyword: "description",
            kgen: Present,
            kube: Present,
            reason: CONDITION_DOCS,
        },
    ];
    for path in ["openAPIV3Schema.spec.name", "openAPIV3Schema.spec.region"] {
        list.push(Allowed {
            path,
            keyword: "x-kubernetes-validations",
            kgen: Is(json!([{"rule": "self == oldSelf", "message": "field is immutable"}])),
            kube: Absent,
            reason: IMMUTABLE,
        });
    }
    for (path, key) in [
        ("openAPIV3Schema.spec.nodePools", "name"),
        ("openAPIV3Schema.status.conditions", "type"),
    ] {
        list.push(Allowed {
            path,
            keyword: "x-kubernetes-list-type",
            kgen: Is(json!("map")),
            kube: Absent,
            reason: LIST_TOPOLOGY,
        });
        list.push(Allowed {
            path,
            keyword: "x-kubernetes-list-map-keys",
            kgen: Is(json!([key])),
            kube: Absent,
            reason: LIST_TOPOLOGY,
        });
    }
    for path in [
        "openAPIV3Schema.status",
        "openAPIV3Schema.status.clusterID",
        "openAPIV3Schema.status.kubeconfigSecret",
        "openAPIV3Schema.status.observedGeneration",
        "openAPIV3Schema.status.progress",
        "openAPIV3Schema.status.version",
    ] {
        list.push(Allowed {
            path,
            keyword: "nullable",
            kgen: Absent,
            kube: Is(json!(true)),
            reason: NULLABLE,
        });
    }
    for path in [
        "openAPIV3Schema.status.conditions[*].lastTransitionTime",
        "openAPIV3Schema.status.conditions[*].message",
        "openAPIV3Schema.status.conditions[*].observedGeneration",
        "openAPIV3Schema.status.conditions[*].reason",
        "openAPIV3Schema.status.conditions[*].status",
        "openAPIV3Schema.status.conditions[*].type",
    ] {
        list.push(Allowed {
            path,
            keyword: "description",
            kgen: Present,
            kube: Present,
            reason: CONDITION_DOCS,
        });
    }
    let type_pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";
    let reason_pattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
    for (path, keyword, value) in [
        (
            "openAPIV3Schema.status.conditions[*].message",
            "maxLength",
            json!(32768),
        ),
        (
            "openAPIV3Schema.status.conditions[*].observedGeneration",
            "minimum",
            json!(0),
        ),
        ("openAPIV3Schema.status.conditions[*].reason", "maxLength", json!(1024)),
        ("openAPIV3Schema.status.conditions[*].reason", "minLength", json!(1)),
        (
            "openAPIV3Schema.status.conditions[*].reason",
            "pattern",
            json!(reason_pattern),
        ),
        (
            "openAPIV3Schema.status.conditions[*].status",
            "enum",
            json!(["True", "False", "Unknown"]),
        ),
        ("openAPIV3Schema.status.conditions[*].type", "maxLength", json!(316)),
        (
            "openAPIV3Schema.status.conditions[*].type",
            "pattern",
            json!(type_pattern),
        ),
    ] {
        list.push(Allowed {
            path,
            keyword,
            kgen: Is(value),
            kube: Absent,
            reason: CONDITION_VALIDATION,
        });
    }
    list
}

#[test]
fn kgen_matches_kube_derive_up_to_documented_differences() {
    let (kgen, kube) = (kgen_crd(), kube_crd());
    let mut diffs = Vec::new();
    diff_document("", &kgen, &kube, &mut diffs);

    let allowed = allowed_differences();
    let mut used = vec![false; allowed.len()];
    let mut unexpected = Vec::new();
    for d in &diffs {
        let hit = allowed.iter().position(|a| {
            a.path == d.path && a.keyword == d.keyword && a.kgen.matches(&d.kgen) && a.kube.matches(&d.kube)
        });
        match hit {
            Some(i) => {
                assert!(!used[i], "allow-list entry matched twice: {d}");
                used[i] = true;
            }
            None => unexpected.push(d.to_string()),
        }
    }
    let stale: Vec<String> = allowed
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| {
            format!(
                "{} :: {} (kgen {:?}, kube {:?}; {})",
                a.path, a.keyword, a.kgen, a.kube, a.reason
            )
        })
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "kgen and kube-derive disagree beyond the documented differences.\n\n\
         Unexpected differences ({}):\n{}\n\n\
         Allowed differences that no longer occur ({}):\n{}\n",
        unexpected.len(),
        unexpected.join("\n"),
        stale.len(),
        stale.join("\n"),
    );
}

/// The comparison has to see the parts the brief names, or it proves nothing: both sides must
/// have them, and they must be equal.
#[test]
fn compared_parts_are_equal_and_present() {
    let (kgen, kube) = (kgen_crd(), kube_crd());
    for (what, pointer) in [
        ("names.plural", "/spec/names/plural"),
        ("names.singular", "/spec/names/singular"),
        ("names.kind", "/spec/names/kind"),
        ("names.shortNames", "/spec/names/shortNames"),
        ("names.categories", "/spec/names/categories"),
        ("scope", "/spec/scope"),
        ("group", "/spec/group"),
        ("version name", "/spec/versions/0/name"),
        ("served", "/spec/versions/0/served"),
        ("storage", "/spec/versions/0/storage"),
        ("subresources", "/spec/versions/0/subresources"),
        ("metadata.name", "/metadata/name"),
    ] {
        let (a, b) = (kgen.pointer(pointer), kube.pointer(pointer));
        assert!(a.is_some(), "kgen's CRD lacks {what}");
        assert_eq!(a, b, "{what}");
    }
    let columns = |crd: &Value| -> Vec<(String, String)> {
        crd["spec"]["versions"][0]["additionalPrinterColumns"]
            .as_array()
            .expect("printer columns")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["jsonPath"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(columns(&kgen).len(), 5);
    assert_eq!(columns(&kgen), columns(&kube), "printer columns");
}

// ---------------------------------------------------------------------------------------------
// Structural rules.
//
// What kube 5 emits for `Option<Progress>` (checked when this test was written): schemars
// produces `anyOf: [{enum: [...]}, {enum: [null], nullable: true}]`, and kube-core's
// `OptionalEnum` transform rewrites it to `{type: string, enum: [...], nullable: true}`. There is
// no `anyOf` and no `null` among the enum values, so kube's output is structural as well. The
// test therefore checks both CRDs and expects both to pass. Its last assertions pin down the one
// real difference on that node (kube `nullable: true`, kgen without it), so that a kube release
// that brings the anyOf form back shows up here.
// ---------------------------------------------------------------------------------------------

const TYPES: &[&str] = &["array", "boolean", "integer", "number", "object", "string"];

/// Keywords the CRD v1 API rejects, or that the API server forbids in structural schemas.
const FORBIDDEN: &[&str] = &[
    "$ref",
    "$schema",
    "definitions",
    "id",
    "patternProperties",
    "dependencies",
    "additionalItems",
    "const",
    "$defs",
];

/// Keywords allowed at the root when the status subresource is on.
const STATUS_ROOT: &[&str] = &[
    "description",
    "type",
    "format",
    "title",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "required",
    "items",
    "properties",
    "externalDocs",
    "example",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
];

fn structural_violations(schema: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let root = obj(schema);
    if root.get("type") != Some(&json!("object")) {
        v.push("(root): type must be object".into());
    }
    for k in root.keys() {
        if !STATUS_ROOT.contains(&k.as_str()) {
            v.push(format!("(root): {k} not allowed with the status subresource"));
        }
    }
    if let Some(meta) = root.get("properties").and_then(|p| p.get("metadata")) {
        let m = obj(meta);
        let extra: Vec<&String> = m.keys().filter(|k| *k != "type").collect();
        if m.get("type") != Some(&json!("object")) || !extra.is_empty() {
            v.push(format!("metadata: only `type: object` is allowed, got {meta}"));
        }
    }
    node("openAPIV3Schema", schema, &mut v);
    v
}

fn node(path: &str, s: &Value, v: &mut Vec<String>) {
    let m = obj(s);
    let flag = |k: &str| m.get(k) == Some(&json!(true));
    let escape = flag("x-kubernetes-int-or-string") || flag("x-kubernetes-preserve-unknown-fields");
    let ty = m.get("type").and_then(Value::as_str);
    match ty {
        Some(t) if TYPES.contains(&t) => {}
        Some(t) => v.push(format!("{path}: unknown type {t:?}")),
        None if escape => {}
        None => v.push(format!("{path}: no type")),
    }
    for k in FORBIDDEN {
        if m.contains_key(*k) {
            v.push(format!("{path}: {k} is not allowed in a CRD schema"));
        }
    }
    if flag("uniqueItems") {
        v.push(format!("{path}: uniqueItems: true is not allowed"));
    }
    if m.get("additionalProperties") == Some(&json!(false)) {
        v.push(format!("{path}: additionalProperties: false is not allowed"));
    }
    if m.contains_key("properties") && m.contains_key("additionalProperties") {
        v.push(format!("{path}: properties and additionalProperties together"));
    }
    if ty == Some("array") && !m.get("items").is_some_and(Value::is_object) {
        v.push(format!("{path}: an array needs one items schema"));
    }
    // Inside the logical junctors, no type, description, default, nullable or
    // additionalProperties. The int-or-string `anyOf: [{type: integer}, {type: string}]` is the
    // one exception.
    for j in ["allOf", "anyOf", "oneOf", "not"] {
        let Some(sub) = m.get(j) else { continue };
        let subs: Vec<&Value> = match sub {
            Value::Array(a) => a.iter().collect(),
            one => vec![one],
        };
        let int_or_string = j == "anyOf"
            && flag("x-kubernetes-int-or-string")
            && subs.len() == 2
            && subs.iter().all(|s| obj(s).len() == 1 && obj(s).contains_key("type"));
        if int_or_string {
            continue;
        }
        for (i, s) in subs.iter().enumerate() {
            for k in ["type", "description", "default", "nullable", "additionalProperties"] {
                if obj(s).contains_key(k) {
                    v.push(format!("{path}: {j}[{i}] sets {k}"));
                }
            }
        }
    }
    // enum values must have the node's type; null only when nullable.
    if let (Some(values), Some(t)) = (m.get("enum").and_then(Value::as_array), ty) {
        for e in values {
            let ok = match e {
                Value::Null => flag("nullable"),
                Value::String(_) => t == "string",
                Value::Bool(_) => t == "boolean",
                Value::Number(n) => t == "number" || (t == "integer" && (n.is_i64() || n.is_u64())),
                Value::Array(_) => t == "array",
                Value::Object(_) => t == "object",
            };
            if !ok {
                v.push(format!("{path}: enum value {e} is not of type {t}"));
            }
        }
    }
    // Map lists: the items are objects, and every key is a scalar property that is required or
    // has a default.
    if m.get("x-kubernetes-list-type") == Some(&json!("map")) {
        let items = obj(m.get("items").unwrap_or(&Value::Null));
        let props = obj(items.get("properties").unwrap_or(&Value::Null));
        let required: BTreeSet<&str> = items
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if items.get("type") != Some(&json!("object")) {
            v.push(format!("{path}: a map list needs object items"));
        }
        let map_keys = m.get("x-kubernetes-list-map-keys").and_then(Value::as_array);
        if map_keys.is_none_or(Vec::is_empty) {
            v.push(format!("{path}: a map list needs x-kubernetes-list-map-keys"));
        }
        for key in map_keys.into_iter().flatten().filter_map(Value::as_str) {
            let p = obj(props.get(key).unwrap_or(&Value::Null));
            let scalar = matches!(
                p.get("type").and_then(Value::as_str),
                Some("string" | "integer" | "number" | "boolean")
            );
            if !scalar {
                v.push(format!("{path}: map key {key} is not a scalar property"));
            }
            if !required.contains(key) && !p.contains_key("default") {
                v.push(format!("{path}: map key {key} is neither required nor defaulted"));
            }
        }
    }
    if let Some(props) = m.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            node(&format!("{path}.{name}"), p, v);
        }
    }
    if let Some(items @ Value::Object(_)) = m.get("items") {
        node(&format!("{path}[*]"), items, v);
    }
    if let Some(ap @ Value::Object(_)) = m.get("additionalProperties") {
        node(&format!("{path}{{*}}"), ap, v);
    }
}

/// Every schema node of the CRD, by path, to check nodes one by one.
fn nodes<'a>(path: String, s: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            nodes(format!("{path}.{name}"), p, out);
        }
    }
    if let Some(items @ Value::Object(_)) = s.get("items") {
        nodes(format!("{path}[*]"), items, out);
    }
    out.insert(path, s);
}

#[test]
fn structural_rules_hold_for_kgen_and_for_kube_5() {
    let (kgen, kube) = (kgen_crd(), kube_crd());
    let kgen_violations = structural_violations(schema_of(&kgen));
    assert!(
        kgen_violations.is_empty(),
        "kgen's schema is not structural:\n{}",
        kgen_violations.join("\n")
    );
    let kube_violations = structural_violations(schema_of(&kube));
    assert!(
        kube_violations.is_empty(),
        "kube's schema is not structural (a kube upgrade changed this; update tests/README.md):\n{}",
        kube_violations.join("\n")
    );

    // kgen writes no `nullable`, `anyOf` or `oneOf` anywhere in the Kluster schema: it has no
    // +nullable markers and no int-or-string fields.
    let mut all = BTreeMap::new();
    nodes("openAPIV3Schema".into(), schema_of(&kgen), &mut all);
    for (path, s) in &all {
        for k in ["nullable", "anyOf", "oneOf", "allOf", "not"] {
            assert!(s.get(k).is_none(), "kgen: {path} sets {k}");
        }
    }

    // Option<Progress>, the node the brief singled out.
    let pointer = "/properties/status/properties/progress";
    let (p_kgen, p_kube) = (
        crd_pointer(schema_of(&kgen), pointer),
        crd_pointer(schema_of(&kube), pointer),
    );
    let values = json!(["Pending", "Creating", "Running", "Upgrading", "Deleting", "Failed"]);
    assert_eq!(p_kgen["type"], "string");
    assert_eq!(p_kgen["enum"], values);
    assert!(p_kgen.get("nullable").is_none());
    assert_eq!(p_kube["type"], "string", "kube 5 keeps the type next to the enum");
    assert_eq!(p_kube["enum"], values, "kube 5 has no null among the enum values");
    assert_eq!(p_kube["nullable"], true, "kube 5 marks Option<Progress> nullable");
    assert!(p_kube.get("anyOf").is_none() && p_kube.get("oneOf").is_none());
}

fn crd_pointer<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or_else(|| panic!("{pointer} missing"))
}

/// The checker catches what it is there for: the `anyOf` form of `Option<Enum>` that schemars
/// emits before kube-core's `OptionalEnum` rewrite, a node without a type, and a map-list key
/// that is neither required nor defaulted.
#[test]
fn structural_checker_rejects_known_violations() {
    let schema = json!({
        "type": "object",
        "properties": {
            "progress": {
                "anyOf": [
                    {"type": "string", "enum": ["Pending", "Running"]},
                    {"enum": [null], "nullable": true}
                ]
            },
            "pools": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        }
    });
    let v = structural_violations(&schema);
    for expected in [
        "openAPIV3Schema.progress: no type",
        "openAPIV3Schema.progress: anyOf[0] sets type",
        "openAPIV3Schema.progress: anyOf[1] sets nullable",
        "openAPIV3Schema.pools: map key name is neither required nor defaulted",
    ] {
        assert!(v.iter().any(|m| m == expected), "missing {expected:?} in {v:#?}");
    }
    assert_eq!(v.len(), 4, "{v:#?}");
}
