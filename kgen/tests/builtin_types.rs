//! Kubernetes' own types inside a CRD: full structural schemas from the embedded table, chosen by
//! Kubernetes version, with embedded ObjectMeta, field markers that still apply on top, located
//! errors for types a version lacks, and size warnings for CRDs too big to apply.

use kgen_build::{CrdOptions, KubeVersion};
use serde_json::Value;
use std::path::Path;

const POD_API: &str = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A workload.
pub struct Workload {
    pub metadata: ObjectMeta,
    pub spec: WorkloadSpec,
}

/// The spec.
pub struct WorkloadSpec {
    /// The pods to run.
    pub template: corev1::PodTemplateSpec,
    /// Resources for the sidecar.
    pub resources: Option<k8s_openapi::api::core::v1::ResourceRequirements>,
    /// Labels for what it creates.
    pub target: Option<Target>,
}

/// A user type with its own metadata.
pub struct Target {
    /// Metadata of the created object.
    pub metadata: Option<ObjectMeta>,
}
"#;

fn write_api(dir: &Path, source: &str) {
    std::fs::write(dir.join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.join("v1")).unwrap();
    std::fs::write(dir.join("v1/mod.rs"), source).unwrap();
}

fn generate(source: &str, opts: impl FnOnce(CrdOptions) -> CrdOptions) -> kgen_build::CrdOutput {
    let dir = tempfile::tempdir().unwrap();
    write_api(dir.path(), source);
    kgen_build::generate_crds(&opts(CrdOptions::new([dir.path()]))).unwrap_or_else(|f| panic!("{f}"))
}

/// The written YAML file, parsed, and the spec schema of its first version.
fn spec_of(out: &kgen_build::CrdOutput) -> Value {
    let yaml: Value = serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap();
    yaml.pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec")
        .unwrap()
        .clone()
}

fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match seg {
            "[]" => &cur["items"],
            "{}" => &cur["additionalProperties"],
            _ => &cur["properties"][seg],
        };
        assert!(!cur.is_null(), "nothing at {seg} of {path}");
    }
    cur
}

#[test]
fn pod_template_gets_the_full_kubernetes_schema() {
    let out = generate(POD_API, |o| o);
    let spec = spec_of(&out);
    let template = at(&spec, "template");
    // The field's doc wins over the type's.
    assert_eq!(template["description"], "The pods to run.");
    let containers = at(&spec, "template.spec.containers");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], serde_json::json!(["name"]));
    assert_eq!(
        at(&spec, "template.spec")["required"],
        serde_json::json!(["containers"])
    );
    let port = at(&spec, "template.spec.containers.[].ports.[]");
    assert_eq!(port["required"], serde_json::json!(["containerPort"]));
    assert_eq!(port["properties"]["protocol"]["default"], "TCP");
    let probe_port = at(&spec, "template.spec.containers.[].readinessProbe.httpGet.port");
    assert_eq!(probe_port["x-kubernetes-int-or-string"], true);
    let volumes = at(&spec, "template.spec.volumes.[]");
    assert_eq!(volumes["required"], serde_json::json!(["name"]));
    assert!(volumes["properties"]["persistentVolumeClaim"].is_object());
    let toleration_seconds = at(&spec, "template.spec.tolerations.[].tolerationSeconds");
    assert_eq!(toleration_seconds["format"], "int64");
    assert_eq!(at(&spec, "template.spec.affinity.nodeAffinity")["type"], "object");
    // ResourceRequirements: Quantity maps with the quantity pattern.
    let limit = at(&spec, "resources.limits.{}");
    assert_eq!(limit["x-kubernetes-int-or-string"], true);
    assert!(limit["pattern"].as_str().unwrap().starts_with("^(\\+|-)?"));
    assert_eq!(at(&spec, "resources.claims")["x-kubernetes-list-type"], "map");
}

#[test]
fn embedded_object_meta_keeps_labels_but_the_root_stays_bare() {
    let out = generate(POD_API, |o| o);
    let yaml: Value = serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap();
    let root = yaml.pointer("/spec/versions/0/schema/openAPIV3Schema").unwrap();
    assert_eq!(root["properties"]["metadata"], serde_json::json!({"type": "object"}));
    let spec = spec_of(&out);
    for meta in [at(&spec, "template.metadata"), at(&spec, "target.metadata")] {
        let props = meta["properties"].as_object().unwrap();
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "annotations",
                "finalizers",
                "generateName",
                "labels",
                "name",
                "namespace"
            ]
        );
        assert_eq!(props["labels"]["additionalProperties"]["type"], "string");
        assert_eq!(props["finalizers"]["items"]["type"], "string");
    }
    assert_eq!(
        at(&spec, "target.metadata")["description"],
        "Metadata of the created object."
    );
}

#[test]
fn kube_version_picks_the_schemas() {
    let old = generate(POD_API, |o| CrdOptions {
        kube_version: "1.25".parse().unwrap(),
        ..o
    });
    let new = generate(POD_API, |o| CrdOptions {
        kube_version: KubeVersion::newest(),
        ..o
    });
    // ResourceRequirements.claims came with Kubernetes 1.26.
    assert!(at(&spec_of(&old), "resources")["properties"].get("claims").is_none());
    assert!(at(&spec_of(&new), "resources")["properties"].get("claims").is_some());
    assert_eq!(KubeVersion::newest().to_string(), "1.37");
    assert_eq!(KubeVersion::all().len(), 13);
}

#[test]
fn a_type_missing_from_the_chosen_version_is_a_located_error() {
    let src = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub struct Claimer {
    pub metadata: ObjectMeta,
    pub spec: ClaimerSpec,
}

pub struct ClaimerSpec {
    pub claim: k8s_openapi::api::resource::v1::ResourceClaimSpec,
}
"#;
    let dir = tempfile::tempdir().unwrap();
    write_api(dir.path(), src);
    let opts = CrdOptions {
        kube_version: "1.31".parse().unwrap(),
        ..CrdOptions::new([dir.path()])
    };
    let failed = kgen_build::generate_crds(&opts).unwrap_err();
    let text = failed.to_string();
    assert!(
        text.contains(
            "error: Kubernetes 1.31 has no type `ResourceClaimSpec` (io.k8s.api.resource.v1.ResourceClaimSpec)\n"
        ) && text.contains("v1/mod.rs:12:9\n"),
        "{text}"
    );
    assert!(
        text.contains("help: Kubernetes 1.34 to 1.37 have it; pick one with --kube-version"),
        "{text}"
    );
    // The newest version has it.
    assert!(kgen_build::generate_crds(&CrdOptions::new([dir.path()])).is_ok());
}

#[test]
fn field_markers_still_apply_to_built_in_fields() {
    let src = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub struct Runner {
    pub metadata: ObjectMeta,
    pub spec: RunnerSpec,
}

pub struct RunnerSpec {
    /// Kept as given.
    ///
    /// +kubebuilder:validation:Schemaless
    /// +kubebuilder:validation:Type=object
    /// +kubebuilder:pruning:PreserveUnknownFields
    pub opaque: PodTemplateSpec,
    /// A whole object.
    ///
    /// +kubebuilder:validation:EmbeddedResource
    /// +optional
    pub pod: Option<k8s_openapi::api::core::v1::Pod>,
}
"#;
    let out = generate(src, |o| CrdOptions {
        max_desc_len: Some(0),
        ..o
    });
    let spec = spec_of(&out);
    assert_eq!(
        at(&spec, "opaque"),
        &serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
    let pod = at(&spec, "pod");
    assert_eq!(pod["x-kubernetes-embedded-resource"], true);
    assert_eq!(
        pod["properties"]["spec"]["properties"]["containers"]["x-kubernetes-list-type"],
        "map"
    );
    assert!(!out.files[0].contents.contains("description:"));
}

#[test]
fn crds_too_big_to_apply_draw_a_warning_naming_the_biggest_fields() {
    // A CronJob-like kind: a job template holds a pod template, full descriptions: over 256 KiB.
    let src = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::api::batch::v1::JobTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub struct Schedule {
    pub metadata: ObjectMeta,
    pub spec: ScheduleSpec,
}

pub struct ScheduleSpec {
    pub job_template: JobTemplateSpec,
}
"#;
    let out = generate(src, |o| o);
    let warnings: Vec<String> = out.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(w.contains("CRD schedules.example.com is "), "{w}");
    assert!(
        w.contains("over the 256 KiB of kubectl's last-applied-configuration annotation"),
        "{w}"
    );
    assert!(
        w.contains("largest fields: v1: spec.job_template.spec.template.spec."),
        "{w}"
    );
    assert!(w.contains("--max-desc-len"), "{w}");
    assert!(w.contains("v1/mod.rs:7:"), "{w}");
    // Without descriptions it fits.
    let small = generate(src, |o| CrdOptions {
        max_desc_len: Some(0),
        ..o
    });
    assert!(small.warnings.is_empty(), "{:?}", small.warnings);
}

#[test]
fn every_module_spelling_resolves() {
    let src = r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::api::apps::v1::*;
use k8s_openapi::api::core::v1::{self, Toleration};
use kube::api::ObjectMeta;

pub struct Fleet {
    pub metadata: ObjectMeta,
    pub spec: FleetSpec,
}

pub struct FleetSpec {
    pub strategy: DeploymentStrategy,
    pub tolerations: Vec<Toleration>,
    pub ports: Vec<v1::ServicePort>,
    pub crd: Option<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceValidation>,
    pub service: Option<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::ServiceReference>,
}
"#;
    let out = generate(src, |o| o);
    let spec = spec_of(&out);
    assert_eq!(
        at(&spec, "strategy.rollingUpdate.maxSurge")["x-kubernetes-int-or-string"],
        true
    );
    assert_eq!(at(&spec, "tolerations.[].effect")["type"], "string");
    assert_eq!(at(&spec, "ports.[].protocol")["default"], "TCP");
    // JSONSchemaProps is recursive: the second level keeps unknown fields.
    let nested = at(&spec, "crd.openAPIV3Schema.properties.{}");
    assert_eq!(nested["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(at(&spec, "service.port")["format"], "int32");
}
