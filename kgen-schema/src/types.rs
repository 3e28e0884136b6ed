//! The OpenAPI v3 schema subset that CRDs use (`JSONSchemaProps`), with source locations.

use crate::Location;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use std::collections::BTreeMap;

/// One CEL rule (`x-kubernetes-validations` item).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Rule {
    /// The CEL expression.
    pub rule: String,
    /// Message shown when the rule fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// CEL expression producing the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_expression: Option<String>,
    /// Machine-readable reason (FieldValueInvalid, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Field path reported on failure, relative to the node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// Evaluate transition rules even when the old value is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional_old_self: Option<bool>,
    /// Where the rule was written (marker or generated from).
    #[serde(skip)]
    pub origin: Option<Location>,
}

/// `externalDocs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalDocs {
    /// Text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A schema node. Field names follow `JSONSchemaProps`; empty collections and `None` are omitted.
///
/// Reading JSON rejects keywords this type does not have (`$ref`, `patternProperties`,
/// `definitions`, ...: those the API server forbids in a CRD's structural schema) rather than
/// dropping them; see [`Schema::from_json`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Schema {
    /// `type`: object, array, string, integer, number, boolean.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// `format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `nullable`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    /// `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `example`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    /// `enum`.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_: Option<Vec<Value>>,
    /// `maximum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// `exclusiveMaximum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_maximum: Option<bool>,
    /// `minimum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// `exclusiveMinimum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_minimum: Option<bool>,
    /// `multipleOf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiple_of: Option<Number>,
    /// `maxLength`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
    /// `minLength`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<i64>,
    /// `pattern`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `maxItems`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_items: Option<i64>,
    /// `minItems`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_items: Option<i64>,
    /// `uniqueItems`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_items: Option<bool>,
    /// `maxProperties`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_properties: Option<i64>,
    /// `minProperties`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_properties: Option<i64>,
    /// `items`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Schema>>,
    /// `properties`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Schema>,
    /// `additionalProperties`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<Box<Schema>>,
    /// `required`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// `anyOf` (int-or-string only; structural rules forbid types inside otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<Schema>,
    /// `oneOf` (value validations only, e.g. `required` per enum variant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<Schema>,
    /// `allOf` (value validations only: structural schemas allow no types or properties inside).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub all_of: Vec<Schema>,
    /// `not` (value validations only, as `allOf`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Schema>>,
    /// `externalDocs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<ExternalDocs>,
    /// `x-kubernetes-preserve-unknown-fields`.
    #[serde(
        rename = "x-kubernetes-preserve-unknown-fields",
        skip_serializing_if = "Option::is_none"
    )]
    pub preserve_unknown_fields: Option<bool>,
    /// `x-kubernetes-embedded-resource`.
    #[serde(rename = "x-kubernetes-embedded-resource", skip_serializing_if = "Option::is_none")]
    pub embedded_resource: Option<bool>,
    /// `x-kubernetes-int-or-string`.
    #[serde(rename = "x-kubernetes-int-or-string", skip_serializing_if = "Option::is_none")]
    pub int_or_string: Option<bool>,
    /// `x-kubernetes-list-type`: atomic, set, map.
    #[serde(rename = "x-kubernetes-list-type", skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    /// `x-kubernetes-list-map-keys`.
    #[serde(rename = "x-kubernetes-list-map-keys", skip_serializing_if = "Vec::is_empty")]
    pub list_map_keys: Vec<String>,
    /// `x-kubernetes-map-type`: granular, atomic.
    #[serde(rename = "x-kubernetes-map-type", skip_serializing_if = "Option::is_none")]
    pub map_type: Option<String>,
    /// `x-kubernetes-validations`.
    #[serde(rename = "x-kubernetes-validations", skip_serializing_if = "Vec::is_empty")]
    pub validations: Vec<Rule>,

    /// Where this node comes from: the field, or the type for a root or item schema.
    #[serde(skip)]
    pub origin: Option<Location>,
    /// Where individual keywords were set, by JSON keyword (`default`, `pattern`, ...): the marker's location.
    #[serde(skip)]
    pub keyword_origins: BTreeMap<&'static str, Location>,
}

impl Schema {
    /// A node of one type.
    pub fn typed(t: &str) -> Self {
        Schema {
            type_: Some(t.to_string()),
            ..Default::default()
        }
    }

    /// `x-kubernetes-int-or-string: true` in its structural form (`anyOf` integer or string).
    pub fn int_or_string() -> Self {
        Schema {
            any_of: vec![Schema::typed("integer"), Schema::typed("string")],
            int_or_string: Some(true),
            ..Default::default()
        }
    }

    /// The schema type, if set.
    pub fn ty(&self) -> Option<&str> {
        self.type_.as_deref()
    }

    /// The best location for an error about `keyword` on this node.
    pub fn location_of(&self, keyword: &str) -> Option<Location> {
        self.keyword_origins
            .get(keyword)
            .cloned()
            .or_else(|| self.origin.clone())
    }

    /// Reads a schema from JSON (e.g. a CRD's `openAPIV3Schema`); locations are left empty.
    ///
    /// # Errors
    ///
    /// A value of the wrong type, or a keyword kgen does not know (e.g. `$ref`, `patternProperties`,
    /// `definitions`, `dependencies`, `additionalItems`, `id`, `$schema`, which structural schemas
    /// forbid), named with its path: `unknown keyword "$ref" at properties.spec`.
    pub fn from_json(v: &Value) -> Result<Schema, serde_json::Error> {
        if let Some((path, k)) = unknown_keyword(v, "") {
            let at = if path.is_empty() { "the root".to_string() } else { path };
            return Err(serde::de::Error::custom(format!(
                "unknown keyword {k:?} at {at} (not a keyword of a structural schema)"
            )));
        }
        Schema::deserialize(v)
    }

    /// The node as a JSON value (keys sorted: serde_json's map is ordered by key).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("schemas serialise")
    }
}

/// Every JSON keyword of [`Schema`].
pub const KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "example",
    "enum",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "multipleOf",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "items",
    "properties",
    "additionalProperties",
    "required",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "externalDocs",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

/// The first keyword of `v` (a schema node in JSON) or of a node below it that is not in
/// [`KEYWORDS`], with the path of its node (`properties.spec.items`).
fn unknown_keyword(v: &Value, path: &str) -> Option<(String, String)> {
    let map = v.as_object()?;
    if let Some(k) = map.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
        return Some((path.to_string(), k.clone()));
    }
    let sub = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let mut children: Vec<(String, &Value)> = Vec::new();
    for k in ["items", "additionalProperties", "not"] {
        if let Some(c) = map.get(k) {
            children.push((sub(k), c));
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        children.extend(props.iter().map(|(name, c)| (sub(&format!("properties.{name}")), c)));
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get(k) {
            children.extend(branches.iter().enumerate().map(|(i, c)| (sub(&format!("{k}[{i}]")), c)));
        }
    }
    children.into_iter().find_map(|(p, c)| unknown_keyword(c, &p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keywords_are_exactly_the_serialised_fields() {
        let branch = Schema::typed("string");
        let full = Schema {
            type_: Some("object".into()),
            format: Some("f".into()),
            title: Some("t".into()),
            description: Some("d".into()),
            nullable: true,
            default: Some(json!({})),
            example: Some(json!({})),
            enum_: Some(vec![json!({})]),
            maximum: Some(1.into()),
            exclusive_maximum: Some(true),
            minimum: Some(0.into()),
            exclusive_minimum: Some(true),
            multiple_of: Some(1.into()),
            max_length: Some(1),
            min_length: Some(1),
            pattern: Some("p".into()),
            max_items: Some(1),
            min_items: Some(1),
            unique_items: Some(false),
            max_properties: Some(1),
            min_properties: Some(1),
            items: Some(Box::new(branch.clone())),
            properties: [("a".to_string(), branch.clone())].into(),
            additional_properties: Some(Box::new(branch.clone())),
            required: vec!["a".into()],
            any_of: vec![branch.clone()],
            one_of: vec![branch.clone()],
            all_of: vec![branch.clone()],
            not: Some(Box::new(branch.clone())),
            external_docs: Some(ExternalDocs::default()),
            preserve_unknown_fields: Some(true),
            embedded_resource: Some(true),
            int_or_string: Some(true),
            list_type: Some("map".into()),
            list_map_keys: vec!["a".into()],
            map_type: Some("atomic".into()),
            validations: vec![Rule::default()],
            origin: None,
            keyword_origins: BTreeMap::new(),
        };
        let v = full.to_json();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut known = KEYWORDS.to_vec();
        keys.sort_unstable();
        known.sort_unstable();
        assert_eq!(keys, known);
        assert_eq!(Schema::from_json(&v).unwrap(), full);
    }

    #[test]
    fn unknown_keywords_are_found_anywhere_with_their_path() {
        let e = |v: Value| Schema::from_json(&v).unwrap_err().to_string();
        assert_eq!(
            e(json!({"$schema": "x"})),
            "unknown keyword \"$schema\" at the root (not a keyword of a structural schema)"
        );
        assert!(e(json!({"items": {"additionalItems": {}}})).contains("\"additionalItems\" at items"));
        assert!(e(json!({"properties": {"a": {"not": {"definitions": {}}}}})).contains("at properties.a.not"));
        assert!(e(json!({"allOf": [{}, {"dependencies": {}}]})).contains("\"dependencies\" at allOf[1]"));
        assert!(e(json!({"additionalProperties": {"id": "x"}})).contains("at additionalProperties"));
    }
}
