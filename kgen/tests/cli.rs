//! The `kgen` binary: determinism, `--check` drift, no output on errors, stdout, help.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const KLUSTER_API: &str = "../examples/kluster/src/api";

fn kgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kgen"))
        .args(args)
        .output()
        .expect("kgen runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn read_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn two_runs_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (dir, paths) in [(&a, "tests/fixtures/corpus"), (&b, "tests/fixtures/corpus")] {
        let o = kgen(&[
            "crd",
            "--paths",
            paths,
            "--paths",
            KLUSTER_API,
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let (fa, fb) = (read_dir(a.path()), read_dir(b.path()));
    assert_eq!(fa.len(), 8);
    assert_eq!(fa, fb);
}

#[test]
fn check_reports_drift_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // Nothing there yet: drift, and still nothing written.
    let o = kgen(&["crd", "--paths", KLUSTER_API, "--out", out, "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("+++ "), "{}", text(&o.stdout));
    assert!(read_dir(dir.path()).is_empty());

    let o = kgen(&["crd", "--paths", KLUSTER_API, "--out", out]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("kgen.dev_klusters.yaml"));
    let o = kgen(&["crd", "--paths", KLUSTER_API, "--out", out, "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));

    // Hand-edit the file: --check shows a unified diff of exactly that change.
    let file = dir.path().join("kgen.dev_klusters.yaml");
    let original = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        original.replace("shortNames:\n    - kl", "shortNames:\n    - kx"),
    )
    .unwrap();
    let o = kgen(&["crd", "--paths", KLUSTER_API, "--out", out, "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let diff = text(&o.stdout);
    assert!(diff.contains("-    - kx\n+    - kl\n"), "{diff}");
    assert!(text(&o.stderr).contains("1 file(s)"));
    assert_ne!(
        fs::read_to_string(&file).unwrap(),
        original,
        "--check leaves the file alone"
    );

    // A normal run repairs it; an unchanged run rewrites nothing.
    assert!(kgen(&["crd", "--paths", KLUSTER_API, "--out", out]).status.success());
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    let o = kgen(&["crd", "--paths", KLUSTER_API, "--out", out]);
    assert!(
        text(&o.stdout).starts_with("wrote 0 CRD file(s)"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn errors_write_nothing_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("keep.yaml"), "old").unwrap();
    let o = kgen(&[
        "crd",
        "--paths",
        KLUSTER_API,
        "--paths",
        "tests/fixtures/errors/unknown_marker.rs",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("tests/fixtures/errors/unknown_marker.rs:"), "{err}");
    assert!(
        err.contains("did you mean `+kubebuilder:validation:MaxLength`"),
        "{err}"
    );
    assert!(err.contains("no files were written"), "{err}");
    assert_eq!(read_dir(dir.path()), vec![("keep.yaml".to_string(), b"old".to_vec())]);
}

#[test]
fn stdout_header_and_description_limit() {
    let dir = tempfile::tempdir().unwrap();
    let header = dir.path().join("h.txt");
    fs::write(&header, "# Copyright 2026 Example\n").unwrap();
    let o = kgen(&[
        "crd",
        "--paths",
        KLUSTER_API,
        "--stdout",
        "--header-file",
        header.to_str().unwrap(),
        "--max-desc-len",
        "0",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let y = text(&o.stdout);
    assert!(
        y.starts_with("# Copyright 2026 Example\n---\napiVersion: apiextensions.k8s.io/v1\n"),
        "{y}"
    );
    assert!(!y.contains("description:"), "descriptions removed");
    let o = kgen(&["crd", "--paths", KLUSTER_API, "--stdout", "--max-desc-len", "12"]);
    let y = text(&o.stdout);
    assert!(y.contains("description: A Kluster..."), "{y}");
}

#[test]
fn markers_help_lists_the_registry() {
    let o = kgen(&["markers", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let all = v.as_array().unwrap();
    assert!(all.len() > 80, "{}", all.len());
    let pc = all.iter().find(|m| m["name"] == "+kubebuilder:printcolumn").unwrap();
    assert_eq!(pc["attribute"], "printcolumn");
    assert!(
        pc["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "JSONPath" && a["required"] == true)
    );
    let o = kgen(&["markers", "XValidation"]);
    assert!(text(&o.stdout).contains("+kubebuilder:validation:XValidation:rule=<string>"));
    let o = kgen(&["crd", "--help"]);
    assert!(text(&o.stdout).contains("kgen crd --paths examples/kluster/src/api --out config/crd/bases"));
}

#[test]
fn a_missing_header_file_is_a_usage_error_for_every_command() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_str().unwrap();
    for command in ["crd", "client", "rbac"] {
        let paths = if command == "rbac" {
            "../examples/kluster/src"
        } else {
            KLUSTER_API
        };
        let o = kgen(&[
            command,
            "--paths",
            paths,
            "--out",
            out,
            "--header-file",
            "no-such-header.txt",
        ]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("--header-file no-such-header.txt"),
            "{command}: {}",
            text(&o.stderr)
        );
    }
    assert_eq!(fs::read_dir(out_dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn kube_version_flag_picks_built_in_schemas_or_explains_the_range() {
    let api = "../examples/podset/src/api";
    let old = kgen(&["crd", "--paths", api, "--stdout", "--kube-version", "1.25"]);
    assert!(old.status.success(), "{}", text(&old.stderr));
    let new = kgen(&["crd", "--paths", api, "--stdout", "--kube-version", "v1.37"]);
    assert!(new.status.success(), "{}", text(&new.stderr));
    // ResourceRequirements.claims exists from Kubernetes 1.26 on.
    let (old, new) = (text(&old.stdout), text(&new.stdout));
    assert!(!old.contains("claims:"), "1.25 has no claims");
    assert!(new.contains("claims:"));
    assert_eq!(
        new,
        text(&kgen(&["crd", "--paths", api, "--stdout"]).stdout),
        "the newest is the default"
    );
    let bad = kgen(&["crd", "--paths", api, "--stdout", "--kube-version", "1.12"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains("Kubernetes 1.12 is not embedded; kgen embeds Kubernetes 1.25 to 1.37"),
        "{err}"
    );
    let help = text(&kgen(&["crd", "--help"]).stdout);
    assert!(help.contains("--kube-version <1.x>"), "{help}");
}

#[test]
fn a_closed_stdout_ends_quietly_without_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    // The pod template CRD is far bigger than a pipe's buffer, so kgen is still writing when the
    // reader goes away (as with `kgen crd --stdout | head`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgen"))
        .args(["crd", "--paths", "../examples/podset/src/api", "--stdout"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here.
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?} {err}", out.status);
    assert_eq!(&first, b"# Generated by k");
}
