use kgen_macros::Markers;

/// A port number.
#[derive(Markers)]
pub struct Port(#[kgen(minimum = 1)] pub i32);

fn main() {}
