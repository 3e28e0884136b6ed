//! What an operator on kgen links: the runtime's graph and this crate's hold nothing of the
//! generator or the fake server (crates by job). Reads the lock file with `cargo tree --offline`.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that only the generator (or the fake API server) needs.
const GENERATOR_ONLY: &[&str] = &[
    "kgen-build",
    "kgen-macros",
    "kgen-schema",
    "kgen-fake",
    "prettyplease",
    "clap",
    "walkdir",
    "similar",
    "tempfile",
    "cel",
    "antlr4rust",
];

/// `name version` of every crate `package` depends on through the given edge kinds.
fn tree(package: &str, edges: &str) -> BTreeSet<(String, String)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "-e",
            edges,
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.next()?.trim_start_matches('v').to_string(),
            ))
        })
        .collect()
}

fn assert_clean(package: &str, edges: &str) {
    let deps = tree(package, edges);
    assert!(
        deps.iter().any(|(n, _)| n == "kube-client"),
        "the tree was read: {deps:?}"
    );
    let leaked: Vec<_> = deps
        .iter()
        .filter(|(n, _)| GENERATOR_ONLY.contains(&n.as_str()))
        .collect();
    assert!(leaked.is_empty(), "{package} ({edges}) depends on {leaked:?}");
}

#[test]
fn the_runtime_links_nothing_of_the_generator() {
    assert_clean("kgen-runtime", "normal");
}

#[test]
fn the_webhook_server_links_nothing_of_the_generator_or_the_fake() {
    assert_clean("kgen-webhook", "normal");
    // rustls on ring only, as kgen-runtime's kube client.
    let deps = tree("kgen-webhook", "normal");
    assert!(deps.iter().any(|(n, _)| n == "ring"), "{deps:?}");
    let aws: Vec<_> = deps.iter().filter(|(n, _)| n.starts_with("aws-lc")).collect();
    assert!(aws.is_empty(), "kgen-webhook depends on {aws:?}");
}

#[test]
fn a_crate_on_checked_in_code_builds_without_the_generator() {
    assert_clean("kgen-example-minimal", "normal,build");
}

#[test]
fn the_generators_own_dependencies_are_listed_right() {
    // The same check on the generator finds every third-party crate of the list, so the list
    // names real crates (the kgen-* ones are ours: kgen-build depends on kgen-schema only).
    let deps = tree("kgen-build", "normal");
    for name in GENERATOR_ONLY
        .iter()
        .filter(|n| !n.starts_with("kgen-") || **n == "kgen-schema")
    {
        assert!(
            deps.iter().any(|(n, _)| n == name),
            "kgen-build should depend on {name}"
        );
    }
}
