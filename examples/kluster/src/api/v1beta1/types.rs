use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use kgen_macros::Markers;
use serde::{Deserialize, Serialize};

/// A Kluster is a DigitalOcean Kubernetes cluster managed by the kluster operator.
///
/// +genclient
/// +kubebuilder:storageversion
/// +kubebuilder:resource:shortName=kl,categories=kgen
/// +kubebuilder:subresource:status
/// +kubebuilder:printcolumn:name="ClusterID",type=string,JSONPath=".status.clusterID"
/// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=".status.progress"
/// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=".spec.region"
/// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=".spec.version"
/// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
///
/// ---
/// (Not part of the CRD's description.) kgen generates `Serialize` for this type (writing `apiVersion` and `kind`), `kube::Resource`,
/// `Kluster::new` and `Kluster::crd()`.
#[derive(Deserialize, Clone, Debug, PartialEq, Markers)]
pub struct Kluster {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The cluster the user asks for.
    pub spec: KlusterSpec,
    /// What the operator observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KlusterStatus>,
}

/// The desired DigitalOcean Kubernetes cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Markers)]
#[serde(rename_all = "camelCase")]
pub struct KlusterSpec {
    /// Name of the cluster at DigitalOcean. Cannot be changed.
    ///
    /// +kubebuilder:validation:MinLength=1
    /// +kubebuilder:validation:MaxLength=255
    /// +k8s:immutable
    pub name: String,
    /// DigitalOcean region slug, such as `nyc1` or `fra1`. Cannot be changed.
    #[kgen(min_length = 1, pattern = "^[a-z]{3}[0-9]$", immutable)]
    pub region: String,
    /// Kubernetes version: a slug such as `1.33.1-do.0`, a minor version such as `1.33` (its newest
    /// patch), or `latest` (the newest version when the cluster is created; never an upgrade). A
    /// newer version upgrades the cluster; an older one is refused.
    ///
    /// +kubebuilder:validation:MinLength=1
    pub version: String,
    /// Node pools of the cluster; at least one.
    ///
    /// +kubebuilder:validation:MinItems=1
    /// +listType=map
    /// +listMapKey=name
    pub node_pools: Vec<NodePool>,
    /// The DigitalOcean API token.
    pub token: TokenSource,
}

/// A pool of identical worker nodes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Markers)]
pub struct NodePool {
    /// Name of the pool, unique within the cluster.
    ///
    /// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
    /// +kubebuilder:validation:MaxLength=63
    pub name: String,
    /// Droplet size slug of every node, such as `s-2vcpu-4gb`.
    #[kgen(min_length = 1)]
    pub size: String,
    /// Number of nodes.
    ///
    /// +kubebuilder:validation:Minimum=1
    /// +kubebuilder:validation:Maximum=512
    pub count: i32,
}

/// Where the DigitalOcean API token comes from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Markers)]
#[serde(rename_all = "camelCase")]
pub struct TokenSource {
    /// A key of a Secret in the Kluster's namespace.
    pub secret_key_ref: SecretKeyRef,
}

/// A key of a Secret in the Kluster's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Markers)]
pub struct SecretKeyRef {
    /// Name of the Secret.
    ///
    /// +kubebuilder:validation:MinLength=1
    pub name: String,
    /// Key within the Secret.
    ///
    /// +kubebuilder:default=token
    /// +kubebuilder:validation:MinLength=1
    #[serde(default = "default_token_key")]
    pub key: String,
}

fn default_token_key() -> String {
    "token".to_string()
}

/// Where the cluster is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
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
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Markers)]
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
    ///
    /// +listType=map
    /// +listMapKey=type
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The .metadata.generation the status was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
