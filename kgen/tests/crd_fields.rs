//! CRD fields the API server validates besides the schema: deprecation warnings, CRD labels and
//! annotations, protected groups, printer column formats. Each is a located error.

use kgen_build::CrdOptions;

fn run(group: &str, kind_markers: &str) -> Result<kgen_build::CrdOutput, String> {
    let src = format!(
        r#"//! +groupName={group}
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

{kind_markers}
pub struct Thing {{
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}}

pub struct ThingSpec {{
    pub replicas: i32,
}}
"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.path().join("v1")).unwrap();
    std::fs::write(dir.path().join("v1/mod.rs"), src).unwrap();
    kgen_build::generate_crds(&CrdOptions::new([dir.path()])).map_err(|f| f.to_string())
}

#[test]
fn deprecation_warnings_are_at_most_256_bytes() {
    let long = "x".repeat(257);
    let err = run(
        "example.com",
        &format!("/// +kubebuilder:deprecatedversion:warning=\"{long}\""),
    )
    .unwrap_err();
    assert!(
        err.contains("error: deprecationWarning must be no more than 256 bytes, but is 257\n")
            && err.contains("v1/mod.rs:6:5\n"),
        "{err}"
    );
    run("example.com", "/// +kubebuilder:deprecatedversion:warning=\"use v2\"").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn crd_labels_and_annotations_are_valid_object_meta() {
    let err = run("example.com", "/// +kubebuilder:metadata:labels=\"bad key!=x\"").unwrap_err();
    assert!(err.contains("+kubebuilder:metadata labels: key `bad key!`"), "{err}");
    let err = run("example.com", "/// +kubebuilder:metadata:labels=\"tier=-front\"").unwrap_err();
    assert!(err.contains("label value `-front`"), "{err}");
    let ok = run(
        "example.com",
        "/// +kubebuilder:metadata:labels=\"app.kubernetes.io/part-of=kgen\"",
    )
    .unwrap();
    assert!(ok.files[0].contents.contains("app.kubernetes.io/part-of: kgen"));
}

#[test]
fn protected_groups_need_the_approval_annotation() {
    let err = run("widgets.k8s.io", "").unwrap_err();
    assert!(
        err.contains(
            "group widgets.k8s.io is protected: the API server requires the annotation api-approved.kubernetes.io"
        ),
        "{err}"
    );
    let approved = "/// +kubebuilder:metadata:annotations=\"api-approved.kubernetes.io=https://github.com/kubernetes/enhancements/pull/1111\"";
    run("widgets.k8s.io", approved).unwrap_or_else(|e| panic!("{e}"));
    let err = run(
        "widgets.k8s.io",
        "/// +kubebuilder:metadata:annotations=\"api-approved.kubernetes.io=yes\"",
    )
    .unwrap_err();
    assert!(err.contains("must be the URL of the API review"), "{err}");
}

#[test]
fn printer_column_formats_are_the_api_servers() {
    let col = |format: &str| {
        format!("/// +kubebuilder:printcolumn:name=\"R\",type=integer,JSONPath=`.spec.replicas`,format={format}")
    };
    run("example.com", &col("int32")).unwrap_or_else(|e| panic!("{e}"));
    let err = run("example.com", &col("uint8")).unwrap_err();
    assert!(
        err.contains("argument `format`: expected one of int32, int64, float, double, byte, date, date-time, password, found `uint8`"),
        "{err}"
    );
}
