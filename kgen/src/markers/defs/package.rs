//! Package markers, written in a group-version module's `//!` doc comment.

use super::build::*;

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![
        def(
            Id::GroupName,
            "groupName",
            None,
            Shape::Value(ArgType::String),
            PACKAGE,
            "API group of every kind in this module (may be empty for the core group).",
        ),
        def(
            Id::VersionName,
            "versionName",
            None,
            Shape::Value(ArgType::String),
            PACKAGE,
            "Version name of this module; defaults to the module's name (v1alpha1).",
        ),
        def(
            Id::Skip,
            "kubebuilder:skip",
            None,
            Shape::Flag,
            PACKAGE,
            "Do not treat this module as an API version.",
        ),
        def(
            Id::GroupGoName,
            "groupGoName",
            None,
            Shape::Value(ArgType::String),
            PACKAGE,
            "Rust identifier for the group in generated clients (defaults to the group's first DNS label).",
        ),
        def(
            Id::GoOnly,
            "kubebuilder:object:generate",
            None,
            Shape::Value(ArgType::Bool),
            &[Target::Package, Target::Type],
            "Go deepcopy switch; accepted for copy-paste compatibility, no effect in Rust.",
        ),
        def(
            Id::GoOnly,
            "kubebuilder:object:root",
            None,
            Shape::Value(ArgType::Bool),
            TYPE,
            "Go runtime.Object marker; accepted for copy-paste compatibility, no effect in Rust.",
        ),
        def(
            Id::GoOnly,
            "k8s:deepcopy-gen",
            None,
            Shape::Value(ArgType::String),
            &[Target::Package, Target::Type],
            "Go deepcopy-gen switch; accepted for copy-paste compatibility, no effect in Rust.",
        ),
        def(
            Id::GoOnly,
            "k8s:deepcopy-gen:interfaces",
            None,
            Shape::Value(ArgType::String),
            TYPE,
            "Go deepcopy-gen interfaces; accepted for copy-paste compatibility, no effect in Rust.",
        ),
        def(
            Id::GoOnly,
            "k8s:openapi-gen",
            None,
            Shape::Value(ArgType::String),
            &[Target::Package, Target::Type],
            "Go openapi-gen switch; accepted for copy-paste compatibility, no effect in Rust.",
        ),
    ]
}
