//! Schemas of the types kgen knows without their source (ObjectMeta, Condition, Quantity, ...).

use super::types::Schema;
use crate::model::Known;
use serde_json::json;

/// The regular expression the API server's quantity parser accepts (as controller-gen emits it).
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

fn string(description: &str) -> Schema {
    Schema {
        description: Some(description.into()),
        ..Schema::typed("string")
    }
}

fn object(props: Vec<(&str, Schema)>, required: &[&str]) -> Schema {
    Schema {
        properties: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        required: required.iter().map(|s| s.to_string()).collect(),
        ..Schema::typed("object")
    }
}

/// The metadata of an object embedded in another (a pod template's, say): what a client may set.
/// Without these properties the API server would prune a template's labels. The root's metadata is
/// the API server's own and is written as a bare object by the CRD assembly instead.
fn embedded_object_meta() -> Schema {
    let string_map = || Schema {
        additional_properties: Some(Box::new(Schema::typed("string"))),
        ..Schema::typed("object")
    };
    let strings = Schema {
        items: Some(Box::new(Schema::typed("string"))),
        ..Schema::typed("array")
    };
    object(
        vec![
            ("annotations", string_map()),
            ("finalizers", strings),
            ("generateName", Schema::typed("string")),
            ("labels", string_map()),
            ("name", Schema::typed("string")),
            ("namespace", Schema::typed("string")),
        ],
        &[],
    )
}

/// The schema of a known type. A [`Known::Builtin`] gets the newest Kubernetes version's schema
/// here; the schema builder asks its chosen version instead.
pub fn schema(k: Known) -> Schema {
    match k {
        Known::ObjectMeta => embedded_object_meta(),
        Known::TypeMeta => object(
            vec![
                ("apiVersion", Schema::typed("string")),
                ("kind", Schema::typed("string")),
            ],
            &[],
        ),
        Known::Time | Known::MicroTime | Known::Timestamp => Schema {
            format: Some("date-time".into()),
            ..Schema::typed("string")
        },
        Known::IntOrString => Schema::int_or_string(),
        Known::Quantity => Schema {
            pattern: Some(QUANTITY_PATTERN.into()),
            ..Schema::int_or_string()
        },
        Known::JsonValue => Schema {
            preserve_unknown_fields: Some(true),
            ..Default::default()
        },
        Known::JsonObject | Known::RawExtension => Schema {
            preserve_unknown_fields: Some(true),
            ..Schema::typed("object")
        },
        Known::ByteString => Schema {
            format: Some("byte".into()),
            ..Schema::typed("string")
        },
        Known::Condition => condition(),
        Known::Builtin(name) => super::builtin::BuiltinSchemas::new(crate::builtin::KubeVersion::newest())
            .schema(name)
            .unwrap_or_else(|_| Schema::typed("object")),
    }
}

fn condition() -> Schema {
    let mut observed = Schema::typed("integer");
    observed.format = Some("int64".into());
    observed.minimum = Some(0.into());
    observed.description = Some("The .metadata.generation the condition was set from.".into());
    let mut s = object(
        vec![
            (
                "lastTransitionTime",
                Schema {
                    format: Some("date-time".into()),
                    ..string("When the condition last changed from one status to another.")
                },
            ),
            ("message", Schema { max_length: Some(32768), ..string("A human readable message about the transition.") }),
            ("observedGeneration", observed),
            (
                "reason",
                Schema {
                    max_length: Some(1024),
                    min_length: Some(1),
                    pattern: Some("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$".into()),
                    ..string("A programmatic identifier (CamelCase) for the last transition.")
                },
            ),
            (
                "status",
                Schema {
                    enum_: Some(vec![json!("True"), json!("False"), json!("Unknown")]),
                    ..string("Status of the condition: True, False or Unknown.")
                },
            ),
            (
                "type",
                Schema {
                    max_length: Some(316),
                    pattern: Some(
                        r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$".into(),
                    ),
                    ..string("Type of condition in CamelCase or in foo.example.com/CamelCase.")
                },
            ),
        ],
        &["lastTransitionTime", "message", "reason", "status", "type"],
    );
    s.description = Some("Condition describes one aspect of the current state of an object.".into());
    s
}
