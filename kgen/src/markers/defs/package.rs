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
    ]
}
