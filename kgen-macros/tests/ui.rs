//! Compile-time tests of `#[derive(Markers)]`: the pass cases must compile, the fail cases must
//! fail with the errors in their `.stderr` files (regenerate them with `TRYBUILD=overwrite`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
