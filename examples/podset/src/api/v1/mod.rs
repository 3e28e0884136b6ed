//! Version v1 of the `podset.kgen.dev` group.
//!
//! +groupName=podset.kgen.dev
//! +versionName=v1

use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use serde::{Deserialize, Serialize};

/// A set of identical pods.
///
/// +genclient
/// +kubebuilder:subresource:status
/// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.replicas`
/// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
#[derive(Deserialize, Clone, Debug)]
pub struct PodSet {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What the user asks for.
    pub spec: PodSetSpec,
    /// What the controller observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PodSetStatus>,
}

/// The desired state of a PodSet.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PodSetSpec {
    /// How many pods.
    ///
    /// +kubebuilder:validation:Minimum=0
    /// +kubebuilder:default=1
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The pods to create.
    pub template: corev1::PodTemplateSpec,
    /// Resources of the log-shipping sidecar the controller adds to each pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecar_resources: Option<corev1::ResourceRequirements>,
}

/// The observed state of a PodSet.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodSetStatus {
    /// Pods ready.
    #[serde(default)]
    pub ready_replicas: i32,
    /// Conditions.
    ///
    /// +listType=map
    /// +listMapKey=type
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
