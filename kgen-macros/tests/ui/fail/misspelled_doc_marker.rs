use kgen_macros::Markers;

/// A kind.
///
/// +kubebuilder:printcolum:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
#[derive(Markers)]
pub struct Kluster {
    /// The name.
    ///
    /// +kubebuilder:validation:maxLength=10
    pub name: String,
    /// +kubebuilder:validation:MaxLength=ten
    pub region: String,
    /// +kubebuilder:printcolumn:name="A",type=date
    /// +operator-sdk:csv:customresourcedefinitions:displayName="Not ours"
    pub other: String,
    /// +listType=Set
    pub tags: Vec<String>,
}

fn main() {}
