//! Cross-crate tests for kgen. The library compiles kgen's fixture corpus with the code kgen
//! generates for it, so every generated item is type-checked against kube and k8s-openapi.

#[path = "../../kgen/tests/fixtures/corpus/mod.rs"]
pub mod corpus;

/// The code kgen generated for the corpus.
pub mod generated {
    kgen_runtime::include_generated!();
}
