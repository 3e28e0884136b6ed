//! Schema markers: the `+kubebuilder:validation:` family (each also as an `items:` variant),
//! defaults, examples, required/optional, CEL rules and the union helpers.

use super::build::*;

const V: &str = "kubebuilder:validation:";

const XVALIDATION_ARGS: &[ArgDef] = &[
    arg("rule", "rule", ArgType::String, true),
    arg("message", "message", ArgType::String, false),
    arg("messageExpression", "message_expression", ArgType::String, false),
    arg(
        "reason",
        "reason",
        ArgType::OneOf(&[
            "FieldValueInvalid",
            "FieldValueForbidden",
            "FieldValueRequired",
            "FieldValueDuplicate",
        ]),
        false,
    ),
    arg("fieldPath", "field_path", ArgType::String, false),
    arg("optionalOldSelf", "optional_old_self", ArgType::Bool, false),
];

const EXTERNAL_DOCS_ARGS: &[ArgDef] = &[
    arg("url", "url", ArgType::String, false),
    arg("description", "description", ArgType::String, false),
];

/// The family that exists both on a field/type and, with `items:`, on an array's items.
fn family() -> Vec<(Id, &'static str, &'static str, Shape, bool, &'static str)> {
    vec![
        (
            Id::Maximum,
            "Maximum",
            "maximum",
            Shape::Value(ArgType::Number),
            false,
            "Inclusive maximum of a number or integer.",
        ),
        (
            Id::Minimum,
            "Minimum",
            "minimum",
            Shape::Value(ArgType::Number),
            false,
            "Inclusive minimum of a number or integer.",
        ),
        (
            Id::ExclusiveMaximum,
            "ExclusiveMaximum",
            "exclusive_maximum",
            Shape::Value(ArgType::Bool),
            false,
            "Make Maximum exclusive.",
        ),
        (
            Id::ExclusiveMinimum,
            "ExclusiveMinimum",
            "exclusive_minimum",
            Shape::Value(ArgType::Bool),
            false,
            "Make Minimum exclusive.",
        ),
        (
            Id::MultipleOf,
            "MultipleOf",
            "multiple_of",
            Shape::Value(ArgType::Number),
            false,
            "Value must be a multiple of this.",
        ),
        (
            Id::MaxLength,
            "MaxLength",
            "max_length",
            Shape::Value(ArgType::Int),
            false,
            "Maximum length of a string.",
        ),
        (
            Id::MinLength,
            "MinLength",
            "min_length",
            Shape::Value(ArgType::Int),
            false,
            "Minimum length of a string.",
        ),
        (
            Id::Pattern,
            "Pattern",
            "pattern",
            Shape::Value(ArgType::String),
            false,
            "Regular expression a string must match (use back-quotes).",
        ),
        (
            Id::MaxItems,
            "MaxItems",
            "max_items",
            Shape::Value(ArgType::Int),
            false,
            "Maximum number of array items.",
        ),
        (
            Id::MinItems,
            "MinItems",
            "min_items",
            Shape::Value(ArgType::Int),
            false,
            "Minimum number of array items.",
        ),
        (
            Id::UniqueItems,
            "UniqueItems",
            "unique_items",
            Shape::Value(ArgType::Bool),
            false,
            "Items must be unique (Kubernetes forbids uniqueItems: true; use +listType=set).",
        ),
        (
            Id::MaxProperties,
            "MaxProperties",
            "max_properties",
            Shape::Value(ArgType::Int),
            false,
            "Maximum number of map entries.",
        ),
        (
            Id::MinProperties,
            "MinProperties",
            "min_properties",
            Shape::Value(ArgType::Int),
            false,
            "Minimum number of map entries.",
        ),
        (
            Id::Enum,
            "Enum",
            "enum",
            Shape::Value(ArgType::AnyList),
            false,
            "Allowed values: {a,b} or a;b.",
        ),
        (
            Id::Format,
            "Format",
            "format",
            Shape::Value(ArgType::String),
            false,
            "OpenAPI format (date-time, byte, int32, ...).",
        ),
        (
            Id::Type,
            "Type",
            "type",
            Shape::Value(ArgType::OneOf(&[
                "object", "array", "string", "integer", "number", "boolean",
            ])),
            false,
            "Override the schema type.",
        ),
        (
            Id::PreserveUnknownFields,
            "XPreserveUnknownFields",
            "x_preserve_unknown_fields",
            Shape::Flag,
            false,
            "Deprecated alias of +kubebuilder:pruning:PreserveUnknownFields.",
        ),
        (
            Id::EmbeddedResource,
            "XEmbeddedResource",
            "x_embedded_resource",
            Shape::Flag,
            false,
            "x-kubernetes-embedded-resource: true (the value is a Kubernetes object).",
        ),
        (
            Id::IntOrString,
            "XIntOrString",
            "int_or_string",
            Shape::Flag,
            false,
            "x-kubernetes-int-or-string: true (integer or string).",
        ),
        (
            Id::XValidation,
            "XValidation",
            "validation",
            Shape::Args {
                args: XVALIDATION_ARGS,
                positional: None,
            },
            true,
            "A CEL rule: rule, message, messageExpression, reason, fieldPath, optionalOldSelf.",
        ),
    ]
}

pub(super) fn defs() -> Vec<MarkerDef> {
    let mut out = Vec::new();
    for (id, short, attr, shape, rep, help) in family() {
        let name: &'static str = Box::leak(format!("{V}{short}").into_boxed_str());
        let mut d = def(id, name, Some(attr), shape, FIELD_TYPE, help);
        d.repeatable = rep;
        out.push(d);
    }
    for (id, short, attr, shape, rep, help) in family() {
        let name: &'static str = Box::leak(format!("{V}items:{short}").into_boxed_str());
        let help: &'static str = Box::leak(format!("{help} Applies to the array's items.").into_boxed_str());
        let mut d = def(id, name, Some(attr), shape, FIELD_TYPE, help);
        d.repeatable = rep;
        d.items = true;
        out.push(d);
    }
    out.extend([
        def(
            Id::PreserveUnknownFields,
            "kubebuilder:pruning:PreserveUnknownFields",
            Some("preserve_unknown_fields"),
            Shape::Flag,
            FIELD_TYPE,
            "Keep fields the schema does not declare (x-kubernetes-preserve-unknown-fields: true).",
        ),
        def(
            Id::EmbeddedResource,
            "kubebuilder:validation:EmbeddedResource",
            Some("embedded_resource"),
            Shape::Flag,
            FIELD,
            "The field holds a Kubernetes object (x-kubernetes-embedded-resource: true).",
        ),
        def(
            Id::Schemaless,
            "kubebuilder:validation:Schemaless",
            Some("schemaless"),
            Shape::Flag,
            FIELD,
            "Emit an empty schema for the field; combine with Type and PreserveUnknownFields.",
        ),
        def(
            Id::Nullable,
            "nullable",
            Some("nullable"),
            Shape::Flag,
            FIELD,
            "The field accepts null (nullable: true).",
        ),
        def(
            Id::Default,
            "kubebuilder:default",
            Some("default"),
            Shape::Value(ArgType::Any),
            FIELD,
            "Default value in marker syntax: 3, abc, {a,b} list, {k: v} map. Wins over +default.",
        ),
        def(
            Id::DefaultJson,
            "default",
            None,
            Shape::Value(ArgType::Json),
            FIELD,
            "Default value as strict JSON: \"x\", [1,2], {\"a\":1}; or ref(NAME), the value of a Rust `const NAME` of the input.",
        ),
        def(
            Id::Example,
            "kubebuilder:example",
            Some("example"),
            Shape::Value(ArgType::Any),
            FIELD,
            "An example value.",
        ),
        def(
            Id::Title,
            "kubebuilder:title",
            Some("title"),
            Shape::Value(ArgType::String),
            FIELD_TYPE,
            "Schema title.",
        ),
        def(
            Id::ExternalDocs,
            "kubebuilder:externalDocs",
            Some("external_docs"),
            Shape::Args {
                args: EXTERNAL_DOCS_ARGS,
                positional: None,
            },
            FIELD_TYPE,
            "Link to external documentation: url, description.",
        ),
        def(
            Id::KubebuilderRequired,
            "kubebuilder:validation:Required",
            Some("required"),
            Shape::Flag,
            &[Target::Field, Target::Package],
            "The field is required (on a package: the default, kept for compatibility).",
        ),
        def(
            Id::KubebuilderOptional,
            "kubebuilder:validation:Optional",
            Some("optional"),
            Shape::Flag,
            &[Target::Field, Target::Package],
            "The field is optional (on a package: every unmarked field is optional).",
        ),
        def(
            Id::Required,
            "required",
            None,
            Shape::Flag,
            FIELD,
            "The field is required.",
        ),
        def(
            Id::Optional,
            "optional",
            None,
            Shape::Flag,
            FIELD,
            "The field is optional.",
        ),
        def(
            Id::Required,
            "k8s:required",
            None,
            Shape::Flag,
            FIELD,
            "The field is required.",
        ),
        def(
            Id::Optional,
            "k8s:optional",
            None,
            Shape::Flag,
            FIELD,
            "The field is optional.",
        ),
        repeatable(def(
            Id::ExactlyOneOf,
            "kubebuilder:validation:ExactlyOneOf",
            Some("exactly_one_of"),
            Shape::Value(ArgType::StringList),
            TYPE,
            "Exactly one of these optional fields must be set (a CEL rule on the struct).",
        )),
        repeatable(def(
            Id::AtMostOneOf,
            "kubebuilder:validation:AtMostOneOf",
            Some("at_most_one_of"),
            Shape::Value(ArgType::StringList),
            TYPE,
            "At most one of these optional fields may be set (a CEL rule on the struct).",
        )),
        repeatable(def(
            Id::AtLeastOneOf,
            "kubebuilder:validation:AtLeastOneOf",
            Some("at_least_one_of"),
            Shape::Value(ArgType::StringList),
            TYPE,
            "At least one of these optional fields must be set (a CEL rule on the struct).",
        )),
        def(
            Id::Immutable,
            "k8s:immutable",
            Some("immutable"),
            Shape::Flag,
            FIELD,
            "The field cannot change once set (CEL self == oldSelf).",
        ),
        def(
            Id::K8sEnum,
            "k8s:enum",
            Some("k8s_enum"),
            Shape::Flag,
            TYPE,
            "A unit enum becomes a string enum of its values, sorted.",
        ),
    ]);
    out
}
