//! Request and response bodies of the DOKS endpoints.
//!
//! Response types are tolerant: unknown fields are ignored, and missing or `null` optional fields
//! take their default, so additions to the API do not break the operator.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decodes `null` as the type's default (DigitalOcean sends `null` for some empty lists).
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes `""` as `None` (`endpoint` and `ipv4` are empty strings until a cluster is running).
fn empty_as_none<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// The body of `POST /v2/kubernetes/clusters` (the spec's `cluster` schema, the fields we set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCreate {
    /// Cluster name, unique per account.
    pub name: String,
    /// Region slug such as `nyc1`.
    pub region: String,
    /// Version slug (`1.31.1-do.0`), minor version (`1.31`) or `latest`.
    pub version: String,
    /// At least one pool with at least one node.
    pub node_pools: Vec<NodePoolCreate>,
    /// Cluster tags; the server adds `k8s` and `k8s:<id>`. Not sent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A node pool in a create request (`kubernetes_node_pool`), or the body of `POST …/node_pools`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePoolCreate {
    /// Pool name, unique within the cluster.
    pub name: String,
    /// Droplet size slug such as `s-1vcpu-2gb`.
    pub size: String,
    /// Number of nodes.
    pub count: u32,
    /// Pool tags. Not sent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The body of `PUT …/node_pools/{id}`: the API requires `name` and `count`; `size` cannot change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePoolUpdate {
    /// Pool name (required by the API even when unchanged).
    pub name: String,
    /// New number of nodes.
    pub count: u32,
}

/// A cluster as the API returns it (`cluster_read`). Fields the operator does not use are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Cluster UUID.
    pub id: String,
    /// Cluster name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Region slug.
    #[serde(default, deserialize_with = "null_as_default")]
    pub region: String,
    /// Full version slug, such as `1.31.1-do.0`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub version: String,
    /// The cluster's node pools.
    #[serde(default, deserialize_with = "null_as_default")]
    pub node_pools: Vec<NodePool>,
    /// Tags, including the server's `k8s` and `k8s:<id>`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    /// API server URL; `None` while the API returns it empty (before the cluster is running).
    #[serde(default, deserialize_with = "empty_as_none", skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Control-plane IPv4 address; `None` when empty or when the cluster is highly available.
    #[serde(default, deserialize_with = "empty_as_none", skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<String>,
    /// The VPC the cluster is in.
    #[serde(default, deserialize_with = "empty_as_none", skip_serializing_if = "Option::is_none")]
    pub vpc_uuid: Option<String>,
    /// Lifecycle state and message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ClusterStatus>,
    /// Whether the control plane is highly available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<bool>,
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Cluster {
    /// The cluster's state, [`ClusterState::Unknown`] with an empty name when the API sent none.
    pub fn state(&self) -> ClusterState {
        self.status.as_ref().map(|s| s.state.clone()).unwrap_or_default()
    }
}

/// A node pool as the API returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePool {
    /// Pool UUID (absent only in hand-made values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Pool name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Droplet size slug.
    #[serde(default, deserialize_with = "null_as_default")]
    pub size: String,
    /// Number of nodes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub count: u32,
    /// Pool tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
}

/// `status` of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The lifecycle state.
    #[serde(default, deserialize_with = "null_as_default")]
    pub state: ClusterState,
    /// Text about the state, such as `provisioning`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `status.state` of a cluster. Any string decodes: states this client does not know become
/// [`ClusterState::Unknown`] instead of failing the whole response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClusterState {
    /// Ready for use.
    Running,
    /// Being created.
    Provisioning,
    /// Running with problems.
    Degraded,
    /// Failed.
    Error,
    /// Deleted.
    Deleted,
    /// Being upgraded.
    Upgrading,
    /// Being deleted.
    Deleting,
    /// Any other value, kept as sent (empty when the API sent no state).
    Unknown(String),
}

impl ClusterState {
    /// The API's spelling of the state.
    pub fn as_str(&self) -> &str {
        match self {
            ClusterState::Running => "running",
            ClusterState::Provisioning => "provisioning",
            ClusterState::Degraded => "degraded",
            ClusterState::Error => "error",
            ClusterState::Deleted => "deleted",
            ClusterState::Upgrading => "upgrading",
            ClusterState::Deleting => "deleting",
            ClusterState::Unknown(s) => s,
        }
    }
}

impl Default for ClusterState {
    fn default() -> Self {
        ClusterState::Unknown(String::new())
    }
}

impl From<&str> for ClusterState {
    fn from(s: &str) -> Self {
        match s {
            "running" => ClusterState::Running,
            "provisioning" => ClusterState::Provisioning,
            "degraded" => ClusterState::Degraded,
            "error" => ClusterState::Error,
            "deleted" => ClusterState::Deleted,
            "upgrading" => ClusterState::Upgrading,
            "deleting" => ClusterState::Deleting,
            other => ClusterState::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ClusterState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClusterState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ClusterState::from(s.as_str()))
    }
}

/// A Kubernetes version DigitalOcean offers (`kubernetes_version`), e.g. as an available upgrade.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesVersion {
    /// Version slug such as `1.34.1-do.0`, what create and upgrade requests name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub slug: String,
    /// The upstream Kubernetes version, such as `1.34.1`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kubernetes_version: String,
    /// Features of this version (`cluster-autoscaler`, ...).
    #[serde(default, deserialize_with = "null_as_default")]
    pub supported_features: Vec<String>,
}

/// What DigitalOcean offers for Kubernetes clusters (`kubernetes_options.options`): the regions,
/// versions and node sizes a cluster may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesOptions {
    /// Regions where Kubernetes is available.
    #[serde(default, deserialize_with = "null_as_default")]
    pub regions: Vec<Offered>,
    /// Kubernetes versions a new cluster can run.
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<KubernetesVersion>,
    /// Droplet sizes a node pool can use.
    #[serde(default, deserialize_with = "null_as_default")]
    pub sizes: Vec<Offered>,
}

/// A region or a node size DigitalOcean offers (`kubernetes_region`, `kubernetes_size`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offered {
    /// Human-readable name, such as `New York 3` or `s-1vcpu-2gb`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The identifier requests use, such as `nyc3` or `s-1vcpu-2gb`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub slug: String,
}

/// `{"options": …}`
#[derive(Deserialize)]
pub(crate) struct OptionsEnvelope {
    pub options: KubernetesOptions,
}

/// The body of `POST …/upgrade`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterUpgrade {
    /// The version slug to upgrade to (one of the available upgrades).
    pub version: String,
}

/// `{"available_upgrade_versions": […] | null}`
#[derive(Deserialize)]
pub(crate) struct UpgradesEnvelope {
    #[serde(default, deserialize_with = "null_as_default")]
    pub available_upgrade_versions: Vec<KubernetesVersion>,
}

/// `{"kubernetes_cluster": …}`
#[derive(Deserialize)]
pub(crate) struct ClusterEnvelope {
    pub kubernetes_cluster: Cluster,
}

/// `{"node_pool": …}`
#[derive(Deserialize)]
pub(crate) struct NodePoolEnvelope {
    pub node_pool: NodePool,
}

/// `{"kubernetes_clusters": […], "links": {"pages": {"next": …}}, "meta": {"total": N}}`
#[derive(Deserialize)]
pub(crate) struct ClusterPage {
    #[serde(deserialize_with = "null_as_default")]
    pub kubernetes_clusters: Vec<Cluster>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub links: Links,
}

#[derive(Default, Deserialize)]
pub(crate) struct Links {
    #[serde(default, deserialize_with = "null_as_default")]
    pub pages: Pages,
}

#[derive(Default, Deserialize)]
pub(crate) struct Pages {
    #[serde(default)]
    pub next: Option<String>,
}
