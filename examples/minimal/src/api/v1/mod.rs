//! Version v1 of the `minimal.kgen.dev` group.
//!
//! +groupName=minimal.kgen.dev
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A Widget: a number of replicas of something.
///
/// +genclient
/// +kubebuilder:subresource:status
#[derive(Deserialize, Clone, Debug, PartialEq)]
pub struct Widget {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// What the user asks for.
    pub spec: WidgetSpec,
    /// What the controller observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WidgetStatus>,
}

/// The desired state of a Widget.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WidgetSpec {
    /// How many replicas.
    ///
    /// +kubebuilder:validation:Minimum=0
    /// +kubebuilder:validation:Maximum=10
    pub replicas: i32,
}

/// The observed state of a Widget.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct WidgetStatus {
    /// Replicas ready.
    #[serde(default)]
    pub ready_replicas: i32,
}
