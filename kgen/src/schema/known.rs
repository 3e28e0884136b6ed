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

fn atomic(mut s: Schema) -> Schema {
    s.map_type = Some("atomic".into());
    s
}

/// The schema of a known type.
pub fn schema(k: Known) -> Schema {
    match k {
        Known::ObjectMeta => Schema::typed("object"),
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
        Known::LabelSelector => label_selector(),
        Known::LocalObjectReference => atomic(object(
            vec![(
                "name",
                Schema {
                    default: Some(json!("")),
                    ..string("Name of the referent.")
                },
            )],
            &[],
        )),
        Known::ObjectReference => atomic(object(
            vec![
                ("apiVersion", string("API version of the referent.")),
                (
                    "fieldPath",
                    string("A field within the referent, if the reference is to part of an object."),
                ),
                ("kind", string("Kind of the referent.")),
                ("name", string("Name of the referent.")),
                ("namespace", string("Namespace of the referent.")),
                (
                    "resourceVersion",
                    string("Resource version of the referent this reference is made from."),
                ),
                ("uid", string("UID of the referent.")),
            ],
            &[],
        )),
        Known::SecretKeySelector => atomic(object(
            vec![
                (
                    "key",
                    string("The key of the secret to select from. Must be a valid secret key."),
                ),
                (
                    "name",
                    Schema {
                        default: Some(json!("")),
                        ..string("Name of the referent.")
                    },
                ),
                (
                    "optional",
                    Schema {
                        description: Some("Whether the Secret or its key must be defined.".into()),
                        ..Schema::typed("boolean")
                    },
                ),
            ],
            &["key"],
        )),
        Known::SecretReference => atomic(object(
            vec![
                ("name", string("Name of the secret, unique within a namespace.")),
                (
                    "namespace",
                    string("Namespace in which the secret name must be unique."),
                ),
            ],
            &[],
        )),
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

fn label_selector() -> Schema {
    let values = Schema {
        items: Some(Box::new(Schema::typed("string"))),
        list_type: Some("atomic".into()),
        description: Some("Values for In and NotIn (non-empty), empty for Exists and DoesNotExist.".into()),
        ..Schema::typed("array")
    };
    let requirement = object(
        vec![
            ("key", string("The label key the selector applies to.")),
            (
                "operator",
                string("How the key relates to the values: In, NotIn, Exists or DoesNotExist."),
            ),
            ("values", values),
        ],
        &["key", "operator"],
    );
    atomic(object(
        vec![
            (
                "matchExpressions",
                Schema {
                    items: Some(Box::new(requirement)),
                    list_type: Some("atomic".into()),
                    description: Some("Label selector requirements, ANDed.".into()),
                    ..Schema::typed("array")
                },
            ),
            (
                "matchLabels",
                Schema {
                    additional_properties: Some(Box::new(Schema::typed("string"))),
                    description: Some("Key/value pairs, each equivalent to an In requirement with one value.".into()),
                    ..Schema::typed("object")
                },
            ),
        ],
        &[],
    ))
}
