//! RBAC markers: rules for the operator's ClusterRole or Roles.

use super::build::*;

const RBAC_ARGS: &[ArgDef] = &[
    arg("groups", "groups", ArgType::StringList, false),
    arg("resources", "resources", ArgType::StringList, false),
    arg("resourceNames", "resource_names", ArgType::StringList, false),
    arg("verbs", "verbs", ArgType::StringList, true),
    arg("urls", "urls", ArgType::StringList, false),
    arg("namespace", "namespace", ArgType::String, false),
    arg("roleName", "role_name", ArgType::String, false),
];

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![repeatable(def(
        Id::Rbac,
        "kubebuilder:rbac",
        Some("rbac"),
        Shape::Args {
            args: RBAC_ARGS,
            positional: None,
        },
        ANY,
        "An RBAC rule for `kgen rbac` (config/rbac/role.yaml): groups (`core` or \"\" is the core group), \
         resources (`name` or `name/subresource`), resourceNames, verbs (required), urls (non-resource URLs; \
         ClusterRole only), namespace (a Role in that namespace instead of the ClusterRole), roleName. \
         `kgen rbac` reads it from any doc comment, functions and impl blocks included.",
    ))]
}
