use kgen_macros::Markers;

#[derive(Markers)]
pub struct Spec {
    #[kgen(min_length = 1, max_lenght = 10)]
    pub name: String,
    #[kgen(items(max_lenght = 10))]
    pub tags: Vec<String>,
    #[kgen(frobnicate)]
    pub other: String,
}

fn main() {}
