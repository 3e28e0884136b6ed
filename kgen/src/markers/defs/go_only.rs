//! Markers that only steer Go code generators (deepcopy-gen, defaulter-gen, conversion-gen,
//! openapi-gen, go-to-protobuf, prerelease-lifecycle-gen, strategic merge patch). They are accepted
//! so that markers copied from Go types work as they are; each help text says what does the job in
//! Rust. None changes kgen's output.

use super::build::*;

/// `(name, targets, what to do in Rust)` of the markers whose value kgen does not read.
const OPAQUE: &[(&str, &[Target], &str)] = &[
    (
        "k8s:defaulter-gen",
        ANY,
        "Go defaulter-gen switch (`=TypeMeta`, `=true`); no effect: defaults go into the CRD from `+kubebuilder:default`/`+default`, and `#[serde(default)]` fills them in Rust.",
    ),
    (
        "k8s:defaulter-gen-input",
        PACKAGE,
        "Go defaulter-gen input package; no effect in Rust.",
    ),
    (
        "k8s:conversion-gen",
        ANY,
        "Go conversion-gen switch (`=false`, or the internal package); no effect: kgen generates conversions with +kgen:conversion:webhook, and +kgen:conversion:manual marks a type converted by hand.",
    ),
    (
        "k8s:conversion-gen-external-types",
        PACKAGE,
        "Go conversion-gen external types; no effect in Rust.",
    ),
    (
        "k8s:conversion-fn",
        FIELD_TYPE,
        "Go conversion-gen function hint; no effect in Rust.",
    ),
    (
        "k8s:deepcopy-gen:nonpointer-interfaces",
        TYPE,
        "Go deepcopy-gen interfaces; in Rust, `#[derive(Clone)]`.",
    ),
    (
        "k8s:protobuf",
        ANY,
        "Go protobuf generation switch; no effect: kgen's clients speak JSON.",
    ),
    (
        "k8s:opaqueType",
        TYPE,
        "Go openapi/deepcopy opaque type hint; no effect in Rust.",
    ),
    (
        "k8s:openapi-model-package",
        PACKAGE,
        "Go openapi-gen model package name; no effect in Rust.",
    ),
    (
        "k8s:prerelease-lifecycle-gen",
        ANY,
        "Go prerelease-lifecycle-gen switch; no effect in Rust.",
    ),
    (
        "k8s:prerelease-lifecycle-gen:introduced",
        TYPE,
        "Go API lifecycle: release that introduced the type; no effect (for CRDs, mark versions with `+kubebuilder:deprecatedversion`).",
    ),
    (
        "k8s:prerelease-lifecycle-gen:deprecated",
        TYPE,
        "Go API lifecycle: release that deprecates the type; for CRDs, use `+kubebuilder:deprecatedversion`.",
    ),
    (
        "k8s:prerelease-lifecycle-gen:removed",
        TYPE,
        "Go API lifecycle: release that removes the type; no effect in Rust.",
    ),
    (
        "k8s:prerelease-lifecycle-gen:replacement",
        TYPE,
        "Go API lifecycle: the replacement group,version,kind; no effect in Rust.",
    ),
    (
        "patchMergeKey",
        FIELD,
        "Strategic merge patch key of a Go list; custom resources do not support strategic merge patch: use `+listType=map` with `+listMapKey`.",
    ),
    (
        "patchStrategy",
        FIELD,
        "Strategic merge patch strategy of a Go field; custom resources do not support strategic merge patch: use `+listType`.",
    ),
    (
        "enum",
        TYPE,
        "Go openapi-gen enum of a string type's constants; in Rust, a unit-variant `enum` becomes the CRD's `enum` (or use `+kubebuilder:validation:Enum`).",
    ),
    (
        "union",
        FIELD_TYPE,
        "Go union (one-of) hint; no effect: use a Rust enum or a CEL rule (`+kubebuilder:validation:XValidation`).",
    ),
    (
        "unionDiscriminator",
        FIELD,
        "Go union discriminator; no effect in Rust.",
    ),
    ("unionMember", FIELD, "Go union member; no effect in Rust."),
    (
        "featureGate",
        FIELD,
        "Go field behind a Kubernetes feature gate; no effect in Rust.",
    ),
    (
        "protobuf",
        ANY,
        "go-to-protobuf switch; no effect: kgen's clients speak JSON.",
    ),
    ("protobuf.options", ANY, "go-to-protobuf options; no effect in Rust."),
    (
        "protobuf.nullable",
        FIELD,
        "go-to-protobuf nullability; no effect in Rust.",
    ),
    ("protobuf.as", TYPE, "go-to-protobuf message type; no effect in Rust."),
];

pub(super) fn defs() -> Vec<MarkerDef> {
    let mut defs = vec![
        def(
            Id::GoOnly,
            "kubebuilder:object:generate",
            None,
            Shape::Value(ArgType::Bool),
            &[Target::Package, Target::Type],
            "Go deepcopy switch; no effect: in Rust, `#[derive(Clone)]`.",
        ),
        def(
            Id::GoOnly,
            "kubebuilder:object:root",
            None,
            Shape::Value(ArgType::Bool),
            TYPE,
            "Go runtime.Object marker; no effect: kinds are found by their `metadata` field, and a kind's `List` type needs no code in Rust.",
        ),
        def(
            Id::GoOnly,
            "k8s:deepcopy-gen",
            None,
            Shape::Value(ArgType::String),
            &[Target::Package, Target::Type],
            "Go deepcopy-gen switch; no effect: in Rust, `#[derive(Clone)]`.",
        ),
        def(
            Id::GoOnly,
            "k8s:deepcopy-gen:interfaces",
            None,
            Shape::Value(ArgType::String),
            TYPE,
            "Go deepcopy-gen interfaces (runtime.Object); no effect: in Rust, `#[derive(Clone)]`.",
        ),
        def(
            Id::GoOnly,
            "k8s:openapi-gen",
            None,
            Shape::Value(ArgType::String),
            &[Target::Package, Target::Type],
            "Go openapi-gen switch; no effect: kgen writes the CRD's OpenAPI schema itself.",
        ),
    ];
    defs.extend(
        OPAQUE
            .iter()
            .map(|&(name, targets, help)| repeatable(def(Id::GoOnly, name, None, Shape::Opaque, targets, help))),
    );
    defs
}
