use kgen_macros::Markers;

#[derive(Markers)]
#[kgen(resource(scope = "Global", short_name = 3))]
pub struct Kluster {
    #[kgen(max_length = "10", minimum = true)]
    pub name: String,
    #[kgen(pattern = 5, enum = "a")]
    pub mode: String,
    #[kgen(list_type = "bag", default = some_function())]
    pub tags: Vec<String>,
}

fn main() {}
