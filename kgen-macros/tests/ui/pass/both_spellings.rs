//! Markers in both spellings on a kind, its fields, an enum and its variants' fields.

use kgen_macros::Markers;
use serde::{Deserialize, Serialize};

/// A Kluster is a managed Kubernetes cluster.
///
/// +genclient
/// +kubebuilder:resource:path=klusters,shortName=kl;klu,categories=kgen,scope=Namespaced
/// +kubebuilder:subresource:status
/// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=".spec.region"
/// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
#[derive(Serialize, Deserialize, Markers)]
#[kgen(printcolumn(name = "Nodes", type = "integer", json_path = ".status.nodes", priority = 1))]
#[kgen(
    subresource_scale(spec_path = ".spec.nodes", status_path = ".status.nodes"),
    storage_version
)]
#[kgen(validation(rule = "self.spec.nodes <= 512", message = "too many nodes"))]
#[kgen(validation(rule = "has(self.spec)", optional_old_self))]
pub struct Kluster {
    /// The cluster the user asks for.
    pub spec: KlusterSpec,
    /// What was observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[kgen(nullable)]
    pub status: Option<KlusterStatus>,
}

/// The desired cluster.
///
/// +kubebuilder:validation:XValidation:rule="self.minNodes <= self.nodes",message="minNodes is above nodes"
#[derive(Serialize, Deserialize, Markers)]
#[serde(rename_all = "camelCase")]
#[kgen(at_most_one_of = ["vpc", "network"], title = "Kluster spec")]
pub struct KlusterSpec {
    /// Region slug.
    ///
    /// +kubebuilder:validation:MinLength=1
    /// +kubebuilder:validation:Pattern=`^[a-z]{3}[0-9]$`
    /// +k8s:immutable
    pub region: String,
    /// Number of nodes.
    #[kgen(minimum = 1, maximum = 512, default = 3)]
    pub nodes: i32,
    /// Lowest number of nodes.
    ///
    /// +kubebuilder:validation:Minimum=0
    /// +optional
    #[kgen(exclusive_maximum = false, multiple_of = 1)]
    pub min_nodes: Option<i32>,
    /// Droplet tags.
    #[kgen(max_items = 16, items(max_length = 63, pattern = "^[a-z]+$"), list_type = "set")]
    pub tags: Vec<String>,
    /// Scores.
    ///
    /// +kubebuilder:validation:items:Minimum=-1.5
    /// +kubebuilder:validation:items:Maximum=100
    pub scores: Vec<f64>,
    /// Labels put on every node.
    #[kgen(default = json!({"team": "platform", "tier": 1}), max_properties = 32, map_type = "granular")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Tier.
    pub tier: Tier,
    /// Tier, as a string.
    ///
    /// +kubebuilder:validation:Enum=basic;standard;premium
    /// +kubebuilder:default=standard
    pub tier_name: String,
    /// Size, as a string.
    #[kgen(r#enum = ["small", "large"], default = "small", example = "large")]
    pub size: String,
    /// Mode.
    #[kgen(enum = ["fast", "safe"])]
    pub mode: String,
    /// Node pools.
    ///
    /// +listType=map
    /// +listMapKey=name
    /// +listMapKey=zone
    pub pools: Vec<Pool>,
    /// Anything.
    #[kgen(preserve_unknown_fields, r#type = "object", schemaless)]
    pub extra: Option<String>,
    /// Network.
    #[kgen(int_or_string, external_docs(url = "https://example.com", description = "networks"))]
    pub network: Option<String>,
    /// VPC.
    #[kgen(optional)]
    pub vpc: Option<String>,
}

/// A node pool.
#[derive(Serialize, Deserialize, Markers)]
#[kgen(struct_type = "atomic")]
pub struct Pool {
    /// Name.
    #[kgen(required, min_length = 1, max_length = 63)]
    pub name: String,
    /// Zone.
    #[kgen(required)]
    pub zone: String,
}

/// What was observed.
#[derive(Serialize, Deserialize, Markers)]
pub struct KlusterStatus {
    /// Nodes running.
    #[kgen(minimum = 0)]
    pub nodes: i32,
    /// Where the cluster is.
    pub phase: Phase,
}

/// Where the cluster is.
#[derive(Serialize, Deserialize, Markers)]
pub enum Phase {
    /// Not started.
    Pending,
    /// Running, with details.
    Running {
        /// Since when.
        ///
        /// +kubebuilder:validation:Format=date-time
        since: String,
        /// Node count.
        #[kgen(minimum = 1)]
        nodes: i32,
    },
    /// Failed, with a reason.
    Failed(String),
}

/// A service tier.
///
/// +k8s:enum
#[derive(Serialize, Deserialize, Markers)]
pub enum Tier {
    /// Basic.
    Basic,
    /// Premium.
    Premium,
}

/// A pair of markers in one doc comment block.
#[derive(Markers)]
pub struct Block {
    /** The value.

    +kubebuilder:validation:Minimum=1
    +kubebuilder:validation:Maximum=9
    */
    pub value: i32,
    /// Text that only mentions + signs: 1 + 2, +3 and a +-b.
    pub text: String,
}

fn main() {}
