//! `+kubebuilder:validation:Pattern` is compiled by the API server with Go's `regexp` (RE2), not
//! Rust's `regex`: what Go rejects is an error at the marker in Go's wording, what Go reads
//! differently is a warning, and valid RE2 that Rust alone rejects is accepted and written as is.

use kgen_build::diag::Failed;
use kgen_build::{CrdOptions, CrdOutput};
use serde_json::Value;
use std::path::Path;

const QUANTITY: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// A one-kind API whose `spec.name` has `pattern` (and, if given, a default value).
fn source(pattern: &str, default: Option<&str>) -> String {
    let default = default
        .map(|d| format!("    /// +kubebuilder:default={d}\n"))
        .unwrap_or_default();
    format!(
        r#"//! +groupName=example.com
//! +versionName=v1
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// A thing.
pub struct Thing {{
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}}
/// The spec.
pub struct ThingSpec {{
    /// Name.
    /// +kubebuilder:validation:Pattern=`{pattern}`
{default}    pub name: String,
}}
"#
    )
}

/// Writes the API under a temporary directory and runs `kgen crd` on it.
fn generate(dir: &Path, source: &str) -> Result<CrdOutput, Failed> {
    std::fs::write(dir.join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.join("v1")).unwrap();
    std::fs::write(dir.join("v1/mod.rs"), source).unwrap();
    kgen_build::generate_crds(&CrdOptions::new([dir]))
}

/// The 1-based line and column of the `+` of the pattern marker.
fn marker_position(source: &str) -> (usize, usize) {
    let (i, line) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("+kubebuilder:validation:Pattern"))
        .unwrap();
    (i + 1, line.find('+').unwrap() + 1)
}

/// The error kgen reports for `pattern`; checks that it points at the marker.
fn error_for(pattern: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let src = source(pattern, None);
    let failed = match generate(dir.path(), &src) {
        Ok(_) => panic!("{pattern:?}: expected an error"),
        Err(f) => f,
    };
    let errors: Vec<_> = failed.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{pattern:?}: {failed}");
    let e = errors[0];
    let loc = e.location.as_ref().expect("a location");
    assert!(loc.file.ends_with("v1/mod.rs"), "{}", loc.file.display());
    assert_eq!((loc.line, loc.column), marker_position(&src), "{e}");
    (e.message.clone(), e.help.clone().unwrap_or_default())
}

/// The pattern of `spec.name` in the generated CRD.
fn written_pattern(out: &CrdOutput) -> Value {
    let v = &out.crds[0].value;
    v["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["name"]["pattern"].clone()
}

#[test]
fn repeat_counts_above_1000_are_errors_in_go_wording() {
    let (message, help) = error_for("a{1001}");
    assert_eq!(
        message,
        "spec.name: pattern: Invalid value: \"a{1001}\": must be a valid regular expression, but isn't: \
         error parsing regexp: invalid repeat count: `{1001}`"
    );
    assert!(help.contains("Go's regexp"), "{help}");
    assert!(help.contains("up to 1000"), "{help}");
}

#[test]
fn flags_go_lacks_are_errors() {
    let (message, help) = error_for("(?x)a");
    assert!(
        message.ends_with("error parsing regexp: invalid or unsupported Perl syntax: `(?x`"),
        "{message}"
    );
    assert!(help.contains("only the flags i, m, s and U"), "{help}");
}

#[test]
fn class_set_operations_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = "[a-z&&[^aeiou]]";
    let src = source(pattern, None);
    let out = generate(dir.path(), &src).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    let w = &out.warnings[0];
    let loc = w.location.as_ref().expect("a location");
    assert_eq!((loc.line, loc.column), marker_position(&src), "{w}");
    assert!(
        w.message.starts_with("spec.name: pattern \"[a-z&&[^aeiou]]\": `&&`"),
        "{w}"
    );
    assert!(w.message.contains("Go's regexp has no class set operations"), "{w}");
    assert_eq!(written_pattern(&out), pattern);
}

#[test]
fn re2_that_rust_rejects_is_accepted_and_written_unchanged() {
    for pattern in [r"\Q.\E", r"\012", QUANTITY, "a{,5}x", r"[\d-z]", r"(?P<1st>x)", "(?)a"] {
        // Rust's regex rejects all of these but the quantity pattern; Go accepts them all.
        let dir = tempfile::tempdir().unwrap();
        let out = generate(dir.path(), &source(pattern, None)).unwrap_or_else(|f| panic!("{pattern:?}: {f}"));
        let warnings: Vec<_> = out.warnings.iter().filter(|w| !w.message.contains("{,5}")).collect();
        assert!(warnings.is_empty(), "{pattern:?}: {warnings:?}");
        assert_eq!(written_pattern(&out), pattern, "{pattern:?}");
        let yaml = &out.files[0].contents;
        assert!(yaml.contains("pattern:"), "{yaml}");
    }
}

#[test]
fn defaults_are_checked_with_go_meaning() {
    // Go's \d is ASCII: an Arabic-Indic digit does not match, though Rust's \d would take it.
    let dir = tempfile::tempdir().unwrap();
    let Err(failed) = generate(dir.path(), &source(r"^\d+$", Some("\"٣\""))) else {
        panic!("expected an error")
    };
    assert!(
        failed
            .to_string()
            .contains(r#"invalid default "٣": must match the pattern "^\\d+$""#),
        "{failed}"
    );
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &source(r"^\d+$", Some("\"42\""))).unwrap_or_else(|f| panic!("{f}"));
    // `\Q...\E` quotes: the default must be the literal text.
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &source(r"^\Qa.b\E$", Some("\"a.b\""))).unwrap_or_else(|f| panic!("{f}"));
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(dir.path(), &source(r"^\Qa.b\E$", Some("\"axb\""))).is_err());
}
