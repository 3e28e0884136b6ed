use kgen_macros::Markers;

#[derive(Markers)]
#[kgen(printcolumn(name = "Age", type = "date", jsonpath = ".metadata.creationTimestamp"))]
#[kgen(resource(plural = "klusters"))]
pub struct Kluster {
    pub spec: String,
}

fn main() {}
