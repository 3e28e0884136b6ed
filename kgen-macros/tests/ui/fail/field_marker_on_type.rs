use kgen_macros::Markers;

/// +kubebuilder:default=3
#[derive(Markers)]
#[kgen(nullable, min_length = 1)]
pub struct Spec {
    pub name: String,
}

fn main() {}
