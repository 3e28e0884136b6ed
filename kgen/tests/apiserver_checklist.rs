//! The checklist of `shared/reference/apiserver-crd-rules.md` ("What kgen must check before
//! writing"), one test per row: an input that breaks the rule is a located error (or, where kgen
//! cannot produce the violation at all, the output is shown to keep the rule).

use kgen_build::CrdOptions;
use serde_json::Value;

/// A group-version module with one kind `Thing` (markers `kind`) whose spec has `fields`.
fn api(group: &str, kind: &str, fields: &str) -> String {
    format!(
        r#"//! +groupName={group}
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

{kind}
pub struct Thing {{
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
    pub status: Option<ThingStatus>,
}}

pub struct ThingStatus {{
    pub ready: Option<bool>,
}}

pub struct ThingSpec {{
{fields}
}}
"#
    )
}

fn generate(src: &str) -> Result<kgen_build::CrdOutput, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.path().join("v1")).unwrap();
    std::fs::write(dir.path().join("v1/mod.rs"), src).unwrap();
    kgen_build::generate_crds(&CrdOptions::new([dir.path()])).map_err(|f| f.to_string())
}

/// The error text for an input that must fail, checked to carry `file:line:col`.
fn rejects(src: impl AsRef<str>, fragment: &str) {
    let src = src.as_ref();
    let err = match generate(src) {
        Ok(_) => panic!("accepted, but should fail with {fragment:?}:\n{src}"),
        Err(e) => e,
    };
    assert!(err.contains(fragment), "{err}\ndoes not contain {fragment:?}");
    assert!(err.contains("v1/mod.rs:"), "no location: {err}");
}

fn accepts(src: impl AsRef<str>) -> Value {
    let out = generate(src.as_ref()).unwrap_or_else(|e| panic!("{e}"));
    serde_saphyr::from_str(out.files[0].contents.split("\n---\n").last().unwrap()).unwrap()
}

const FIELD: &str = "    pub replicas: i32,";

#[test]
fn rule_01_name_is_plural_dot_group() {
    let crd = accepts(api("example.com", "", FIELD));
    assert_eq!(crd["metadata"]["name"], "things.example.com");
    let long = format!("{}.example.com", "a".repeat(245));
    rejects(
        api(&long, "", FIELD),
        "longer than the 253 characters of a DNS subdomain",
    );
}

#[test]
fn rule_02_group_is_a_domain_and_protected_groups_need_approval() {
    rejects(api("example", "", FIELD), "must contain a dot");
    rejects(api("Example.COM", "", FIELD), "is not a valid DNS subdomain");
    rejects(
        api("things.k8s.io", "", FIELD),
        "requires the annotation api-approved.kubernetes.io",
    );
}

#[test]
fn rule_03_resource_names_are_dns_1035_labels() {
    rejects(
        api("example.com", "/// +kubebuilder:resource:shortName=Th", FIELD),
        "short name `Th`",
    );
    rejects(
        api("example.com", "/// +kubebuilder:resource:categories=all_things", FIELD),
        "category `all_things`",
    );
    rejects(
        api("example.com", "/// +kubebuilder:resource:path=1things", FIELD),
        "plural name `1things`",
    );
}

#[test]
fn rule_04_kind_and_list_kind() {
    let long = format!("T{}", "h".repeat(59));
    let src = api("example.com", "", FIELD)
        .replace("Thing {", &format!("{long} {{"))
        .replace("Thing,", &format!("{long},"));
    rejects(&src, "listKind");
    let crd = accepts(api("example.com", "", FIELD));
    assert_eq!(crd["spec"]["names"]["listKind"], "ThingList");
}

#[test]
fn rule_05_scope() {
    rejects(
        api("example.com", "/// +kubebuilder:resource:scope=Global", FIELD),
        "expected one of",
    );
    let crd = accepts(api("example.com", "/// +kubebuilder:resource:scope=Cluster", FIELD));
    assert_eq!(crd["spec"]["scope"], "Cluster");
}

#[test]
fn rule_06_versions() {
    let src = api("example.com", "", FIELD).replace("//! +versionName=v1", "//! +versionName=V1");
    rejects(&src, "is not a valid Kubernetes version name");
    let crd = accepts(api("example.com", "", FIELD));
    let versions = crd["spec"]["versions"].as_array().unwrap();
    assert_eq!(versions.iter().filter(|v| v["storage"] == true).count(), 1);
    assert!(versions.iter().all(|v| v["schema"]["openAPIV3Schema"].is_object()));
}

#[test]
fn rule_07_deprecation_warning() {
    let w = "x".repeat(300);
    rejects(
        api(
            "example.com",
            &format!("/// +kubebuilder:deprecatedversion:warning=\"{w}\""),
            FIELD,
        ),
        "no more than 256 bytes",
    );
}

#[test]
fn rule_08_no_preserve_unknown_fields_and_no_conversion_fields() {
    let crd = accepts(api("example.com", "", FIELD));
    assert!(crd["spec"].get("preserveUnknownFields").is_none_or(|v| v == false));
    // kgen writes no conversion yet, so the API server's default {strategy: None} applies.
    assert!(crd["spec"].get("conversion").is_none());
}

#[test]
fn rule_09_printer_columns() {
    let col = |t: &str, path: &str| format!("/// +kubebuilder:printcolumn:name=\"R\",type={t},JSONPath=`{path}`");
    rejects(
        api("example.com", &col("int", ".spec.replicas"), FIELD),
        "expected one of integer, number, string, boolean, date",
    );
    rejects(
        api("example.com", &col("integer", ".spec.nope"), FIELD),
        "JSONPath `.spec.nope`",
    );
    // The API server takes only simple paths starting with a dot here.
    for not_simple in ["$.spec.replicas", "{.spec.replicas}"] {
        rejects(
            api("example.com", &col("integer", not_simple), FIELD),
            "must be a simple json path starting with .",
        );
    }
    let crd = accepts(api("example.com", &col("integer", ".spec.replicas"), FIELD));
    assert_eq!(
        crd["spec"]["versions"][0]["additionalPrinterColumns"][0]["jsonPath"],
        ".spec.replicas"
    );
}

#[test]
fn rule_10_selectable_fields() {
    let sel = |p: &str| format!("/// +kubebuilder:selectablefield:JSONPath=`{p}`");
    let fields = "    pub replicas: i32,\n    pub ratio: f64,\n    pub tags: Vec<String>,";
    rejects(
        api("example.com", &sel(".spec.ratio"), fields),
        "must be a string, integer or boolean field",
    );
    rejects(api("example.com", &sel(".spec.tags"), fields), "selectable field");
    rejects(
        api("example.com", &sel("$.spec.replicas"), fields),
        "expected [ or . but got: $",
    );
    let nine: String = (0..9).map(|_| sel(".spec.replicas") + "\n").collect();
    rejects(api("example.com", &nine, fields), "selectable");
}

#[test]
fn rule_11_scale_paths() {
    let scale = "/// +kubebuilder:subresource:scale:specpath=.status.replicas,statuspath=.status.ready";
    rejects(api("example.com", scale, FIELD), "must start with `.spec.`");
}

#[test]
fn rule_12_status_subresource_root() {
    // kgen's root has only allowed keywords; a root-level marker that adds another is an error.
    let crd = accepts(api("example.com", "/// +kubebuilder:subresource:status", FIELD));
    let root = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    for forbidden in [
        "default",
        "enum",
        "nullable",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "additionalProperties",
    ] {
        assert!(root.get(forbidden).is_none(), "{forbidden}");
    }
    rejects(
        api(
            "example.com",
            "/// +kubebuilder:subresource:status\n/// +kubebuilder:validation:MinProperties=1",
            FIELD,
        ),
        "subresource",
    );
}

#[test]
fn rule_13_every_node_has_a_type() {
    // An untyped field (Schemaless without PreserveUnknownFields) is an error.
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:Schemaless\n    pub any: String,",
        ),
        "type",
    );
}

#[test]
fn rule_14_no_forbidden_keywords() {
    let out = generate(&api(
        "example.com",
        "",
        "    pub template: k8s_openapi::api::core::v1::PodTemplateSpec,",
    ))
    .unwrap();
    let text = &out.files[0].contents;
    for bad in [
        "$ref",
        "$schema",
        "definitions:",
        "patternProperties",
        "additionalItems",
        "uniqueItems: true",
        "const:",
        "examples:",
        "x-kubernetes-preserve-unknown-fields: false",
    ] {
        assert!(!text.contains(bad), "{bad}");
    }
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:UniqueItems=true\n    pub tags: Vec<String>,",
        ),
        "uniqueItems",
    );
}

#[test]
fn rule_15_junctors_are_value_validations_only() {
    // Enums with data become oneOf of `required` only; the properties stay in the structural part.
    let src = api("example.com", "", "    pub source: Source,")
        + "pub enum Source { Git { url: String }, Image { name: String } }\n";
    let crd = accepts(&src);
    let source = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["source"];
    for branch in source["oneOf"].as_array().unwrap() {
        assert_eq!(branch.as_object().unwrap().keys().collect::<Vec<_>>(), ["required"]);
    }
}

#[test]
fn rule_16_root_metadata_is_bare() {
    let crd = accepts(api("example.com", "", FIELD));
    assert_eq!(
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["metadata"],
        serde_json::json!({"type": "object"})
    );
}

#[test]
fn rule_17_embedded_resources_and_int_or_string() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:EmbeddedResource\n    pub obj: String,",
        ),
        "embedded",
    );
    let crd = accepts(api(
        "example.com",
        "",
        "    pub port: k8s_openapi::apimachinery::pkg::util::intstr::IntOrString,",
    ));
    let port = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["port"];
    assert_eq!(
        port["anyOf"],
        serde_json::json!([{"type": "integer"}, {"type": "string"}])
    );
    assert!(port.get("type").is_none());
}

#[test]
fn rule_18_topology() {
    let item = "pub struct Port { pub name: Option<String>, pub port: i32 }\n";
    let src = api(
        "example.com",
        "",
        "    /// +listType=map\n    /// +listMapKey=name\n    pub ports: Vec<Port>,",
    ) + item;
    rejects(&src, "must have a default or be a required property");
    rejects(
        api("example.com", "", "    /// +listType=map\n    pub tags: String,"),
        "+listType applies to arrays",
    );
}

#[test]
fn rule_19_patterns_compile() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:Pattern=`a(`\n    pub name: String,",
        ),
        "pattern",
    );
}

#[test]
fn rule_20_unknown_formats_warn() {
    let out = generate(&api(
        "example.com",
        "",
        "    /// +kubebuilder:validation:Format=colour\n    pub c: String,",
    ))
    .unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.to_string().contains("unknown format \"colour\"")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn rule_21_cel_rule_fields() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:XValidation:rule=\"self > 0\",reason=Bad\n    pub n: i32,",
        ),
        "reason",
    );
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:XValidation:rule=\"self > 0\",fieldPath=\".nope\"\n    pub n: i32,",
        ),
        "fieldPath",
    );
}

#[test]
fn rule_22_cel_environment_and_escaping() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:XValidation:rule=\"self.nope > 0\"\n    pub limits: L,",
        ) + "pub struct L { pub max: i32 }\n",
        "undefined field 'nope'",
    );
    let dashed = api(
        "example.com",
        "",
        "    /// +kubebuilder:validation:XValidation:rule=\"self.max__dash__count > 0\"\n    pub limits: L,",
    ) + "pub struct L { #[serde(rename = \"max-count\")] pub max: i32 }\n";
    accepts(&dashed);
}

#[test]
fn rule_23_cel_cost() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:validation:XValidation:rule=\"self.all(a, self.all(b, a != b))\",message=\"m\"\n    pub tags: Vec<String>,",
        ),
        "exceeds budget by factor of",
    );
}

#[test]
fn rule_24_defaults() {
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:default=abc\n    pub n: Option<i32>,",
        ),
        "invalid default",
    );
    rejects(
        api(
            "example.com",
            "",
            "    /// +kubebuilder:default={x: 1}\n    pub labels: Option<std::collections::BTreeMap<String, L>>,",
        ) + "pub struct L { pub y: Option<i32> }\n",
        "default",
    );
}

#[test]
fn rule_25_size() {
    let out = generate(&api(
        "example.com",
        "",
        "    pub job: k8s_openapi::api::batch::v1::JobTemplateSpec,",
    ))
    .unwrap();
    assert!(
        out.warnings.iter().any(|w| w.to_string().contains("over the 256 KiB")),
        "{:?}",
        out.warnings
    );
}
