use kgen_macros::Markers;

#[derive(Markers)]
pub struct Kluster {
    #[kgen(subresource_status)]
    pub status: String,
    /// The spec.
    ///
    /// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=".spec.region"
    pub spec: String,
}

#[derive(Markers)]
pub enum Phase {
    Running {
        #[kgen(storage_version)]
        since: String,
    },
    #[kgen(min_length = 1)]
    Failed,
}

fn main() {}
