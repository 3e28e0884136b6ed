//! CRD-level markers, written on a kind's type.

use super::build::*;

const RESOURCE_ARGS: &[ArgDef] = &[
    arg("path", "path", ArgType::String, false),
    arg("singular", "singular", ArgType::String, false),
    arg("shortName", "short_name", ArgType::StringList, false),
    arg("categories", "categories", ArgType::StringList, false),
    arg("scope", "scope", ArgType::OneOf(&["Namespaced", "Cluster"]), false),
];

const SCALE_ARGS: &[ArgDef] = &[
    arg("specpath", "spec_path", ArgType::String, true),
    arg("statuspath", "status_path", ArgType::String, true),
    arg("selectorpath", "selector_path", ArgType::String, false),
];

const PRINTCOLUMN_ARGS: &[ArgDef] = &[
    arg("name", "name", ArgType::String, true),
    arg(
        "type",
        "type",
        ArgType::OneOf(&["integer", "number", "string", "boolean", "date"]),
        true,
    ),
    arg("JSONPath", "json_path", ArgType::String, true),
    arg("description", "description", ArgType::String, false),
    arg(
        "format",
        "format",
        ArgType::OneOf(&[
            "int32",
            "int64",
            "float",
            "double",
            "byte",
            "date",
            "date-time",
            "password",
        ]),
        false,
    ),
    arg("priority", "priority", ArgType::Int, false),
];

const DEPRECATED_ARGS: &[ArgDef] = &[arg("warning", "warning", ArgType::String, false)];

const METADATA_ARGS: &[ArgDef] = &[
    arg("annotations", "annotations", ArgType::StringList, false),
    arg("labels", "labels", ArgType::StringList, false),
];

const SELECTABLE_ARGS: &[ArgDef] = &[arg("JSONPath", "json_path", ArgType::String, true)];

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![
        def(
            Id::Resource,
            "kubebuilder:resource",
            Some("resource"),
            Shape::Args {
                args: RESOURCE_ARGS,
                positional: None,
            },
            TYPE,
            "Resource names and scope: plural path, singular, shortName, categories, scope (Namespaced or Cluster).",
        ),
        def(
            Id::SubresourceStatus,
            "kubebuilder:subresource:status",
            Some("subresource_status"),
            Shape::Flag,
            TYPE,
            "Enable the /status subresource.",
        ),
        def(
            Id::SubresourceScale,
            "kubebuilder:subresource:scale",
            Some("subresource_scale"),
            Shape::Args {
                args: SCALE_ARGS,
                positional: None,
            },
            TYPE,
            "Enable the /scale subresource: specpath and statuspath of the replicas, optional selectorpath.",
        ),
        repeatable(def(
            Id::PrintColumn,
            "kubebuilder:printcolumn",
            Some("printcolumn"),
            Shape::Args {
                args: PRINTCOLUMN_ARGS,
                positional: None,
            },
            TYPE,
            "An additional printer column for kubectl get: name, type, JSONPath, description, format, priority.",
        )),
        def(
            Id::StorageVersion,
            "kubebuilder:storageversion",
            Some("storage_version"),
            Shape::Flag,
            TYPE,
            "Mark this version as the storage version (needed when a kind has several versions).",
        ),
        def(
            Id::DeprecatedVersion,
            "kubebuilder:deprecatedversion",
            Some("deprecated_version"),
            Shape::Args {
                args: DEPRECATED_ARGS,
                positional: None,
            },
            TYPE,
            "Mark this version deprecated, with an optional warning.",
        ),
        def(
            Id::UnservedVersion,
            "kubebuilder:unservedversion",
            Some("unserved_version"),
            Shape::Flag,
            TYPE,
            "Do not serve this version (served: false).",
        ),
        def(
            Id::SkipVersion,
            "kubebuilder:skipversion",
            Some("skip_version"),
            Shape::Flag,
            TYPE,
            "Leave this version out of the CRD.",
        ),
        def(
            Id::Metadata,
            "kubebuilder:metadata",
            Some("metadata"),
            Shape::Args {
                args: METADATA_ARGS,
                positional: None,
            },
            TYPE,
            "Annotations and labels (lists of key=value) on the CRD object itself.",
        ),
        repeatable(def(
            Id::SelectableField,
            "kubebuilder:selectablefield",
            Some("selectable_field"),
            Shape::Args {
                args: SELECTABLE_ARGS,
                positional: Some("JSONPath"),
            },
            TYPE,
            "A field usable in field selectors (selectableFields), by JSONPath.",
        )),
    ]
}
