use kgen_macros::Markers;

#[derive(Markers)]
#[kgen(printcolumn(name = "Age", type = "date"))]
#[kgen(subresource_scale(spec_path = ".spec.replicas"))]
pub struct Kluster {
    #[kgen(validation(message = "no rule"))]
    pub spec: String,
    #[kgen(minimum)]
    pub count: i32,
}

fn main() {}
