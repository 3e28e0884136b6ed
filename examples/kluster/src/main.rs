//! The kluster operator binary.
fn main() {}
