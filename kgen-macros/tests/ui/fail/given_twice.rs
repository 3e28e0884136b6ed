use kgen_macros::Markers;

/// +kubebuilder:subresource:status
#[derive(Markers)]
#[kgen(subresource_status)]
pub struct Kluster {
    #[kgen(min_length = 1, min_length = 2)]
    pub name: String,
    /// +kubebuilder:validation:MaxLength=5
    #[kgen(max_length = 6, items(max_length = 1))]
    pub region: String,
    #[kgen(list_map_key = "a", list_map_key = "b", items(minimum = 1, minimum = 2))]
    pub pools: Vec<i32>,
}

fn main() {}
