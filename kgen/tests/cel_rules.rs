//! CEL rules through the whole pipeline: type-checked against the schema, costed as the API server
//! does, with the library set of the target Kubernetes version; every failure is a located error.

use kgen_build::CrdOptions;

fn api(spec_fields: &str) -> String {
    format!(
        r#"//! +groupName=example.com
//! +versionName=v1

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub struct Thing {{
    pub metadata: ObjectMeta,
    pub spec: ThingSpec,
}}

pub struct ThingSpec {{
{spec_fields}
}}
"#
    )
}

fn run(source: &str, kube: &str) -> Result<kgen_build::CrdOutput, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mod.rs"), "pub mod v1;\n").unwrap();
    std::fs::create_dir_all(dir.path().join("v1")).unwrap();
    std::fs::write(dir.path().join("v1/mod.rs"), source).unwrap();
    let opts = CrdOptions {
        kube_version: kube.parse().unwrap(),
        ..CrdOptions::new([dir.path()])
    };
    kgen_build::generate_crds(&opts).map_err(|f| f.to_string())
}

#[test]
fn a_field_the_schema_lacks_is_an_error_at_the_marker() {
    let src = api(
        r#"    /// +kubebuilder:validation:XValidation:rule="self.replicas <= self.maxReplica"
    pub limits: Limits,"#,
    ) + r#"
pub struct Limits {
    pub replicas: i32,
    #[serde(rename = "maxReplicas")]
    pub max_replicas: i32,
    /// Hidden from the schema, so from CEL too.
    #[serde(skip)]
    pub cache: i32,
}
"#;
    let err = run(&src, "1.37").unwrap_err();
    assert!(
        err.contains(
            "error: spec.limits: x-kubernetes-validations[0]: rule \"self.replicas <= self.maxReplica\": compilation failed: ERROR: <input>:1:22: undefined field 'maxReplica'"
        ) && err.contains("v1/mod.rs:12:9\n"),
        "{err}"
    );
    let skipped = src.replace("self.maxReplica\"", "self.cache\"");
    assert!(run(&skipped, "1.37").unwrap_err().contains("undefined field 'cache'"));
    let fixed = src.replace("self.maxReplica\"", "self.maxReplicas\"");
    run(&fixed, "1.37").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn types_must_fit_and_rules_must_be_bool() {
    let src = api(r#"    /// +kubebuilder:validation:XValidation:rule="self + 1 == 'a'"
    /// +kubebuilder:validation:MaxLength=63
    pub name: String,
    /// +kubebuilder:validation:XValidation:rule="self"
    /// +kubebuilder:validation:MaxLength=63
    pub note: String,"#);
    let err = run(&src, "1.37").unwrap_err();
    assert!(
        err.contains("found no matching overload for '_+_' applied to '(string, int)'"),
        "{err}"
    );
    assert!(
        err.contains("cel expression must evaluate to a bool, but it is string"),
        "{err}"
    );
}

#[test]
fn unbounded_rules_exceed_the_cost_budget_until_bounded() {
    let unbounded = api(
        r#"    /// +kubebuilder:validation:XValidation:rule="self.all(a, self.all(b, a == b || !a.startsWith(b)))",message="prefix"
    pub hosts: Vec<String>,"#,
    );
    let err = run(&unbounded, "1.37").unwrap_err();
    assert!(
        err.contains("spec.hosts: x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"),
        "{err}"
    );
    assert!(
        err.contains("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget"),
        "{err}"
    );
    let bounded = api(
        r#"    /// +kubebuilder:validation:XValidation:rule="self.all(a, self.all(b, a == b || !a.startsWith(b)))",message="prefix"
    /// +kubebuilder:validation:MaxItems=20
    /// +kubebuilder:validation:items:MaxLength=253
    pub hosts: Vec<String>,"#,
    );
    run(&bounded, "1.37").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn string_concatenation_in_message_expressions_is_costed_like_the_api_server() {
    // The API server rejects `+` with string() of a number: the result's size is unknown.
    let concat = api(
        r#"    /// +kubebuilder:validation:XValidation:rule="self <= 10",messageExpression="'got ' + string(self)"
    pub count: i32,"#,
    );
    let err = run(&concat, "1.37").unwrap_err();
    assert!(
        err.contains("messageExpression: Forbidden: estimated messageExpression cost exceeds budget"),
        "{err}"
    );
    let format = concat.replace("'got ' + string(self)", "'got %d'.format([self])");
    run(&format, "1.37").unwrap_or_else(|e| panic!("{e}"));
    let not_string = concat.replace("'got ' + string(self)", "self");
    assert!(
        run(&not_string, "1.37")
            .unwrap_err()
            .contains("messageExpression must evaluate to a string")
    );
}

#[test]
fn libraries_follow_the_target_kubernetes_version() {
    let src = api(r#"    /// +kubebuilder:validation:XValidation:rule="isCIDR(self)"
    /// +kubebuilder:validation:MaxLength=43
    pub cidr: String,"#);
    run(&src, "1.32").unwrap_or_else(|e| panic!("{e}"));
    let err = run(&src, "1.30").unwrap_err();
    assert!(err.contains("it needs 1.31 or later"), "{err}");
}

#[test]
fn a_default_must_pass_the_rules_of_its_node() {
    let src = api(r#"    /// +kubebuilder:default={min: 9, max: 5}
    pub range: Option<Range>,"#)
        + r#"
/// +kubebuilder:validation:XValidation:rule="self.min <= self.max",message="min must not exceed max"
pub struct Range {
    pub min: i32,
    pub max: i32,
}
"#;
    let err = run(&src, "1.37").unwrap_err();
    assert!(
        err.contains("invalid default {\"max\":5,\"min\":9}: min must not exceed max"),
        "{err}"
    );
    let fixed = src.replace("{min: 9, max: 5}", "{min: 1, max: 5}");
    run(&fixed, "1.37").unwrap_or_else(|e| panic!("{e}"));
}
