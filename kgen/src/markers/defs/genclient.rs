//! code-generator markers: which kinds get a typed client, with which verbs.

use super::build::*;

/// Verbs a typed client can have, in code-generator's order.
pub const VERBS: &[&str] = &[
    "create",
    "update",
    "updateStatus",
    "delete",
    "deleteCollection",
    "get",
    "list",
    "watch",
    "patch",
    "apply",
    "applyStatus",
];

const METHOD_ARGS: &[ArgDef] = &[
    arg("method", "name", ArgType::String, true),
    arg(
        "verb",
        "verb",
        ArgType::OneOf(&["create", "update", "get", "list", "patch", "apply"]),
        true,
    ),
    arg("subresource", "subresource", ArgType::String, false),
    arg("input", "input", ArgType::String, false),
    arg("result", "result", ArgType::String, false),
];

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![
        def(
            Id::Genclient,
            "genclient",
            Some("genclient"),
            Shape::Flag,
            TYPE,
            "Generate a typed client, lister and informer for this kind.",
        ),
        def(
            Id::GenclientNonNamespaced,
            "genclient:nonNamespaced",
            Some("non_namespaced"),
            Shape::Flag,
            TYPE,
            "The client is cluster-scoped (no namespace argument).",
        ),
        def(
            Id::GenclientNoStatus,
            "genclient:noStatus",
            Some("no_status"),
            Shape::Flag,
            TYPE,
            "No update_status/apply_status.",
        ),
        def(
            Id::GenclientNoVerbs,
            "genclient:noVerbs",
            Some("no_verbs"),
            Shape::Flag,
            TYPE,
            "A client with no verbs.",
        ),
        def(
            Id::GenclientReadonly,
            "genclient:readonly",
            Some("readonly"),
            Shape::Flag,
            TYPE,
            "Only get, list and watch.",
        ),
        def(
            Id::GenclientOnlyVerbs,
            "genclient:onlyVerbs",
            Some("only_verbs"),
            Shape::Value(ArgType::CommaList),
            TYPE,
            "Generate only these verbs (comma-separated).",
        ),
        def(
            Id::GenclientSkipVerbs,
            "genclient:skipVerbs",
            Some("skip_verbs"),
            Shape::Value(ArgType::CommaList),
            TYPE,
            "Generate every verb but these (comma-separated).",
        ),
        repeatable(def(
            Id::GenclientMethod,
            "genclient:method",
            Some("method"),
            Shape::Args {
                args: METHOD_ARGS,
                positional: Some("method"),
            },
            TYPE,
            "An extra client method: Name,verb=...,subresource=...,input=...,result=...",
        )),
        def(
            Id::ResourceName,
            "resourceName",
            Some("resource_name"),
            Shape::Value(ArgType::String),
            TYPE,
            "Override the resource plural used by the generated client.",
        ),
    ]
}
