//! The parallel pipeline writes the same bytes as the sequential one, run after run: CRDs and
//! generated Rust for a synthetic API of several groups (the benchmark's generator), with one
//! thread and with several.

#[path = "../benches/synth/mod.rs"]
mod synth;

use kgen_build::CrdOptions;
use kgen_build::codegen::CodegenOptions;

fn outputs(tree: &std::path::Path) -> (Vec<(String, String)>, String) {
    let (out, rust) = kgen_build::generate_rust(&CrdOptions::new([tree]), &CodegenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let crds = out.files.into_iter().map(|f| (f.name, f.contents)).collect();
    (crds, rust)
}

#[test]
fn parallel_runs_write_the_same_bytes_as_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("api");
    let stats = synth::write_tree(&tree, 12_000);
    assert!(
        stats.groups >= 4,
        "several groups, so several workers have work: {}",
        stats.groups
    );

    // This test binary holds only this test, so the variable is not read by another one.
    // SAFETY: no other thread of this process reads or writes the environment meanwhile.
    unsafe { std::env::set_var("KGEN_THREADS", "1") };
    let sequential = outputs(&tree);
    assert!(sequential.0.len() >= 4, "{} CRDs", sequential.0.len());
    for threads in ["2", "4", "7"] {
        // SAFETY: as above.
        unsafe { std::env::set_var("KGEN_THREADS", threads) };
        for run in 0..3 {
            let parallel = outputs(&tree);
            assert_eq!(parallel.0.len(), sequential.0.len(), "{threads} threads, run {run}");
            for (a, b) in parallel.0.iter().zip(&sequential.0) {
                assert_eq!(a.0, b.0, "{threads} threads, run {run}: file order");
                assert!(a.1 == b.1, "{threads} threads, run {run}: {} differs", a.0);
            }
            assert!(
                parallel.1 == sequential.1,
                "{threads} threads, run {run}: generated Rust differs"
            );
        }
    }
}
