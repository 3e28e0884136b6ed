//! Markers as upstream Go API types write them: those that only steer Go code generators are
//! accepted, change nothing in the CRD, and are listed by `kgen markers` with what to do in Rust;
//! default values in controller-gen's forms (`{}` on objects and maps, lists of nested maps).

use kgen_build::CrdOptions;
use std::path::Path;

const WITH_GO_MARKERS: &str = r#"//! Widgets.
//!
//! +k8s:deepcopy-gen=package
//! +k8s:defaulter-gen=TypeMeta
//! +k8s:conversion-gen=example.com/widgets/internal
//! +k8s:openapi-gen=true
//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A widget.
///
/// +genclient
/// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
/// +k8s:prerelease-lifecycle-gen:introduced=1.30
/// +kubebuilder:object:root=true
pub struct Widget {
    pub metadata: ObjectMeta,
    pub spec: WidgetSpec,
}

/// The spec.
///
/// +k8s:conversion-gen=false
pub struct WidgetSpec {
    /// Ports.
    ///
    /// +patchMergeKey=name
    /// +patchStrategy=merge
    /// +listType=map
    /// +listMapKey=name
    pub ports: Vec<Port>,
    /// Mode.
    ///
    /// +featureGate=WidgetModes
    /// +optional
    pub mode: Option<String>,
}

/// A port.
///
/// +k8s:opaqueType
pub struct Port {
    /// Name.
    pub name: String,
}
"#;

fn crd_yaml(dir: &Path, source: &str) -> String {
    std::fs::write(dir.join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.join("v1")).unwrap();
    std::fs::write(dir.join("v1/mod.rs"), source).unwrap();
    let out = kgen_build::generate_crds(&CrdOptions::new([dir])).unwrap_or_else(|f| panic!("{f:?}"));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(
        out.files.len(),
        1,
        "{:?} {:?}",
        out.files.iter().map(|f| &f.name).collect::<Vec<_>>(),
        dir
    );
    out.files[0].contents.clone()
}

#[test]
fn go_only_markers_change_nothing() {
    let with = tempfile::tempdir().unwrap();
    let without = tempfile::tempdir().unwrap();
    let stripped: String = WITH_GO_MARKERS
        .lines()
        .filter(|l| {
            let t = l.trim_start_matches(['/', '!', ' ']);
            !(t.starts_with("+k8s:")
                || t.starts_with("+patch")
                || t.starts_with("+featureGate")
                || t.starts_with("+kubebuilder:object:"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stripped, WITH_GO_MARKERS);
    let a = crd_yaml(with.path(), WITH_GO_MARKERS);
    let b = crd_yaml(without.path(), &stripped);
    assert_eq!(a, b);
    assert!(a.contains("x-kubernetes-list-type: map"), "{a}");
}

#[test]
fn kgen_markers_lists_them_with_the_rust_equivalent() {
    let text = kgen_build::markers::help::text(Some("defaulter-gen"));
    assert!(text.contains("+k8s:defaulter-gen"), "{text}");
    assert!(text.contains("#[serde(default)]"), "{text}");
    let text = kgen_build::markers::help::text(Some("patchMergeKey"));
    assert!(text.contains("+listMapKey"), "{text}");
}

const DEFAULTS: &str = r#"//! +groupName=example.com
//! +versionName=v1
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;
/// A thing.
pub struct Thing {
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}
/// The spec.
pub struct ThingSpec {
    /// Labels.
    /// +kubebuilder:default={}
    /// +optional
    pub labels: Option<BTreeMap<String, String>>,
    /// Inner.
    /// +kubebuilder:default={}
    /// +optional
    pub inner: Option<Inner>,
    /// Tags.
    /// +kubebuilder:default={}
    /// +optional
    pub tags: Option<Vec<String>>,
    /// Items.
    /// +kubebuilder:default={{nested: {a: 1}}, {nested: {b: 2}}}
    /// +kubebuilder:example={{nested: {}}}
    /// +optional
    pub items: Option<Vec<Item>>,
}
/// Inner.
pub struct Inner {
    /// X.
    /// +optional
    pub x: Option<i32>,
}
/// An item.
pub struct Item {
    /// Nested.
    /// +optional
    pub nested: Option<BTreeMap<String, i64>>,
}
"#;

#[test]
fn defaults_in_controller_gen_forms() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = crd_yaml(dir.path(), DEFAULTS);
    let crd: serde_json::Value = serde_saphyr::from_str(yaml.split("\n---\n").last().unwrap()).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(spec["labels"]["default"], serde_json::json!({}));
    assert_eq!(spec["inner"]["default"], serde_json::json!({}));
    assert_eq!(spec["tags"]["default"], serde_json::json!([]));
    assert_eq!(
        spec["items"]["default"],
        serde_json::json!([{"nested": {"a": 1}}, {"nested": {"b": 2}}])
    );
    assert_eq!(spec["items"]["example"], serde_json::json!([{"nested": {}}]));
}

#[test]
fn status_subresource_without_a_status_field_is_accepted_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.path().join("v1")).unwrap();
    let source = "//! +groupName=example.com\n//! +versionName=v1\n\
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
        /// +kubebuilder:subresource:status\n\
        pub struct Thing { pub metadata: ObjectMeta, pub spec: ThingSpec }\n\
        pub struct ThingSpec { pub name: String }\n";
    std::fs::write(dir.path().join("v1/mod.rs"), source).unwrap();
    let out = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_or_else(|f| panic!("{f:?}"));
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(!out.warnings[0].is_error());
    assert!(
        out.warnings[0].message.contains("no `status` field"),
        "{}",
        out.warnings[0]
    );
    assert_eq!(out.warnings[0].location.as_ref().map(|l| l.line), Some(4));
    let crd: serde_json::Value =
        serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap();
    assert_eq!(
        crd["spec"]["versions"][0]["subresources"]["status"],
        serde_json::json!({})
    );
}

/// Writes `files` (relative path, source) under a new temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, source) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, source).unwrap();
    }
    dir
}

fn kind_module(doc: &str, kind: &str) -> String {
    format!(
        "//! {doc}\n//! +groupName=example.com\n//! +versionName=v1\n\
         use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
         /// +genclient\n#[derive(Clone, Debug, serde::Deserialize)]\n\
         pub struct {kind} {{ pub metadata: ObjectMeta, pub spec: Spec }}\n\
         #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]\npub struct Spec {{ pub x: i32 }}\n"
    )
}

#[test]
fn modules_with_the_same_group_version_merge_as_go_packages_do() {
    let (a, b) = (kind_module("Apples.", "Apple"), kind_module("Bananas.", "Banana"));
    let dir = tree(&[
        ("mod.rs", "pub mod a;\npub mod b;\n"),
        ("a/mod.rs", &a),
        ("b/mod.rs", &b),
    ]);
    let out = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_or_else(|f| panic!("{f:?}"));
    let names: Vec<&str> = out.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["example.com_apples.yaml", "example.com_bananas.yaml"]);
    let (_, rust) = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &Default::default())
        .unwrap_or_else(|f| panic!("{f:?}"));
    assert_eq!(
        rust.matches("pub mod example_v1 {").count(),
        1,
        "one client module for the group-version"
    );
    assert!(rust.contains("pub fn apples(&self, namespace: &str) -> AppleClient"));
    assert!(rust.contains("pub fn bananas(&self, namespace: &str) -> BananaClient"));
}

#[test]
fn a_kind_declared_in_two_modules_of_one_group_version_is_an_error() {
    let (a, b) = (kind_module("Apples.", "Apple"), kind_module("More apples.", "Apple"));
    let dir = tree(&[
        ("mod.rs", "pub mod a;\npub mod b;\n"),
        ("a/mod.rs", &a),
        ("b/mod.rs", &b),
    ]);
    let failed = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).expect_err("duplicate kind");
    let d = failed
        .diagnostics
        .iter()
        .find(|d| d.message == "kind Apple is declared twice in group-version example.com/v1")
        .unwrap_or_else(|| panic!("{:?}", failed.diagnostics));
    let loc = d.location.as_ref().unwrap();
    assert!(loc.file.ends_with("b/mod.rs") && loc.line == 7, "{loc}");
    assert!(d.help.as_deref().unwrap().contains("a/mod.rs:7:"), "{d}");
}

#[test]
fn byte_string_is_base64_and_raw_extension_keeps_unknown_fields() {
    let source = "//! +groupName=example.com\n//! +versionName=v1\n\
        use k8s_openapi::ByteString;\n\
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
        use k8s_openapi::apimachinery::pkg::runtime::RawExtension;\n\
        pub struct Blob { pub metadata: ObjectMeta, pub spec: BlobSpec }\n\
        pub struct BlobSpec { pub data: ByteString, pub raw: Vec<u8>, pub ext: Option<RawExtension> }\n";
    let dir = tree(&[("mod.rs", "pub mod v1;\n"), ("v1/mod.rs", source)]);
    let out = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_or_else(|f| panic!("{f:?}"));
    let crd: serde_json::Value =
        serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(spec["data"], serde_json::json!({"type": "string", "format": "byte"}));
    // serde writes a Vec<u8> as a list of numbers, so its schema stays an integer array.
    assert_eq!(spec["raw"]["type"], "array");
    assert_eq!(spec["raw"]["items"]["type"], "integer");
    assert_eq!(
        spec["ext"],
        serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
}

const FLATTENED: &str = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::api::core::v1::LocalObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub struct Binding {
    pub metadata: ObjectMeta,
    pub spec: BindingSpec,
    pub status: Option<BindingStatus>,
}

/// Go's `json:",inline"` of a struct whose type-level markers must survive.
pub struct BindingSpec {
    #[serde(flatten)]
    pub target: Target,
}

/// +structType=atomic
/// +kubebuilder:validation:MinProperties=1
/// +kubebuilder:validation:XValidation:rule="has(self.name) || has(self.uid)",message="name or uid"
pub struct Target {
    pub name: Option<String>,
    pub uid: Option<String>,
}

/// A built-in type inlined: LocalObjectReference is atomic in Kubernetes.
pub struct BindingStatus {
    #[serde(flatten)]
    pub secret: LocalObjectReference,
}
"#;

#[test]
fn flattened_structs_keep_their_topology_and_object_validations() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = crd_yaml(dir.path(), FLATTENED);
    let crd: serde_json::Value = serde_saphyr::from_str(yaml.split("\n---\n").last().unwrap()).unwrap();
    let root = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
    let spec = &root["spec"];
    assert_eq!(spec["x-kubernetes-map-type"], "atomic", "{spec}");
    assert_eq!(spec["minProperties"], 1);
    assert_eq!(
        spec["x-kubernetes-validations"][0]["rule"],
        "has(self.name) || has(self.uid)"
    );
    assert!(spec["properties"]["name"].is_object() && spec["properties"]["uid"].is_object());
    let status = &root["status"];
    assert_eq!(status["x-kubernetes-map-type"], "atomic", "{status}");
    assert_eq!(status["properties"]["name"]["default"], "");
}

#[test]
fn default_ref_names_a_rust_const() {
    let dir = tree(&[
        ("mod.rs", "pub mod consts;\npub mod v1;\n"),
        (
            "consts.rs",
            "/// Shared defaults.\npub const DEFAULT_TIER: &str = \"gold\";\npub const RETRIES: i32 = -3;\n",
        ),
        (
            "v1/mod.rs",
            r#"//! +groupName=example.com
//! +versionName=v1
use crate::api::consts::RETRIES;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const DEFAULT_MODE: &str = "fast";
const RATIO: f64 = 0.5;

pub struct Thing {
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}

pub struct ThingSpec {
    /// +default=ref(DEFAULT_MODE)
    pub mode: Option<String>,
    /// +default=ref(RATIO)
    pub ratio: Option<f64>,
    /// Through a `use`.
    /// +default=ref(RETRIES)
    pub retries: Option<i32>,
    /// The only const of that name in the input.
    /// +default=ref(DEFAULT_TIER)
    pub tier: Option<String>,
}
"#,
        ),
    ]);
    let out = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_or_else(|f| panic!("{f}"));
    let crd: serde_json::Value =
        serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(spec["mode"]["default"], "fast");
    assert_eq!(spec["ratio"]["default"], 0.5);
    assert_eq!(spec["retries"]["default"], -3);
    assert_eq!(spec["tier"]["default"], "gold");
}

#[test]
fn default_ref_without_a_usable_const_is_a_located_error() {
    let dir = tree(&[
        ("mod.rs", "pub mod v1;\n"),
        (
            "v1/mod.rs",
            r#"//! +groupName=example.com
//! +versionName=v1
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

const COMPUTED: usize = 2 * 3;

pub struct Thing {
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}

pub struct ThingSpec {
    /// +default=ref(DefaultMode)
    pub mode: Option<String>,
    /// +default=ref(COMPUTED)
    pub count: Option<i64>,
}
"#,
        ),
    ]);
    let failed = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_err();
    let text = failed.to_string();
    assert!(
        text.contains("error: +default=ref(DefaultMode): no `const DefaultMode` in the input\n")
            && text.contains("v1/mod.rs:13:9\n"),
        "{text}"
    );
    assert!(
        text.contains("help: define it in this module, e.g. `pub const DefaultMode: &str"),
        "{text}"
    );
    assert!(
        text.contains("+default=ref(COMPUTED): `const COMPUTED` is not a string, number or boolean literal"),
        "{text}"
    );
}

#[test]
fn kubebuilder_skip_on_a_module_skips_its_kinds() {
    let dir = tree(&[
        ("mod.rs", "pub mod v1;\npub mod internal;\n"),
        ("v1/mod.rs", &kind_module("The served API.", "Thing")),
        ("internal/mod.rs", &kind_module("+kubebuilder:skip", "Hidden")),
    ]);
    let out = kgen_build::generate_crds(&CrdOptions::new([dir.path()])).unwrap_or_else(|f| panic!("{f}"));
    let names: Vec<&str> = out.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["example.com_things.yaml"]);
    // No "not a kind" warning and no "+genclient only on a kind" error for the skipped module.
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.clients.len(), 1);
}

#[test]
fn integers_wider_than_int64_are_errors() {
    let dir = tree(&[
        ("mod.rs", "pub mod v1;\n"),
        (
            "v1/mod.rs",
            "//! +groupName=example.com\n//! +versionName=v1\nuse k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
             pub struct Thing { pub metadata: ObjectMeta, pub spec: Spec }\npub struct Spec { pub big: u128, pub fine: Option<std::num::NonZeroU8> }\n",
        ),
    ]);
    let err = kgen_build::generate_crds(&CrdOptions::new([dir.path()]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`u128` does not fit a Kubernetes integer (int64 at most)"),
        "{err}"
    );
    // NonZeroU8 is fine: only the u128 is an error.
    assert!(err.contains("1 error found"), "{err}");
}
