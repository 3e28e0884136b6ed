//! A verb `+genclient` did not ask for does not exist: using it fails to compile.

#[test]
fn missing_verbs_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
