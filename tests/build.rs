//! Generates Rust for the kgen fixture corpus, so the corpus and its generated code compile together
//! (the "golden and compiled" check: the snapshot in kgen/tests is this same code).

fn main() {
    if let Err(e) = kgen_build::Builder::new()
        .paths(["../kgen/tests/fixtures/corpus"])
        .generate()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
