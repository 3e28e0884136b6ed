use kgen_macros::Markers;

#[derive(Markers)]
#[kgen]
pub struct A {
    #[kgen = "minimum"]
    pub a: i32,
    #[kgen(nullable = true, minimum = 1,, maximum = 2)]
    pub b: i32,
    #[kgen(printcolumn = "Age")]
    pub c: i32,
    #[kgen(items::minimum = 1)]
    pub d: Vec<i32>,
}

#[derive(Markers)]
pub union U {
    pub a: i32,
}

fn main() {}
