//! Topology markers: how lists, maps and structs merge under server-side apply.

use super::build::*;

pub(super) fn defs() -> Vec<MarkerDef> {
    let list_type = || Shape::Value(ArgType::OneOf(&["atomic", "set", "map"]));
    let granular = || Shape::Value(ArgType::OneOf(&["granular", "atomic"]));
    vec![
        def(
            Id::ListType,
            "listType",
            Some("list_type"),
            list_type(),
            FIELD_TYPE,
            "x-kubernetes-list-type: atomic, set or map.",
        ),
        def(
            Id::ListType,
            "k8s:listType",
            None,
            list_type(),
            FIELD_TYPE,
            "Alias of +listType.",
        ),
        repeatable(def(
            Id::ListMapKey,
            "listMapKey",
            Some("list_map_key"),
            Shape::Value(ArgType::String),
            FIELD_TYPE,
            "A key field of a +listType=map list (repeatable).",
        )),
        repeatable(def(
            Id::ListMapKey,
            "k8s:listMapKey",
            None,
            Shape::Value(ArgType::String),
            FIELD_TYPE,
            "Alias of +listMapKey.",
        )),
        def(
            Id::MapType,
            "mapType",
            Some("map_type"),
            granular(),
            FIELD_TYPE,
            "x-kubernetes-map-type: granular or atomic.",
        ),
        def(
            Id::StructType,
            "structType",
            Some("struct_type"),
            granular(),
            FIELD_TYPE,
            "x-kubernetes-map-type for a struct: granular or atomic.",
        ),
    ]
}
