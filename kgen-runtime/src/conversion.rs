//! Conversion between the served versions of a kind, through its hub (the storage version).
//!
//! kgen generates, for each kind whose CRD asks for webhook conversion, a [`Converter`] and the
//! field-by-field [`ConvertFrom`] impls between every version's types and the hub's. Types whose
//! fields differ get a conversion the user writes (the same trait, implemented by hand); the
//! generated code calls it.
//!
//! [`convert`] is what a conversion webhook (and the fake API server) runs on one object: it
//! converts through the hub and keeps what the target version cannot hold in the annotation
//! [`CONVERSION_DATA_ANNOTATION`], so that a round trip v1alpha1 → v1beta1 → v1alpha1 gives back
//! every field, as Kubernetes' own conversions do. Only labels and annotations of the metadata may
//! change (the API server refuses a conversion that changes anything else in `metadata`), so the
//! rest of the metadata is copied from the input.
//!
//! ```
//! use kgen_runtime::conversion::{ConversionError, ConvertFrom};
//!
//! struct Old { size: String }
//! struct New { size_slug: String }
//! // A hand-written conversion for a type whose field was renamed.
//! impl ConvertFrom<Old> for New {
//!     fn convert_from(old: Old) -> Result<Self, ConversionError> {
//!         Ok(New { size_slug: old.size })
//!     }
//! }
//! let pools: Vec<New> = ConvertFrom::convert_from(vec![Old { size: "s-1vcpu-2gb".into() }]).unwrap();
//! assert_eq!(pools[0].size_slug, "s-1vcpu-2gb");
//! ```

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::Hash;

/// The annotation holding, on a converted object, the fields of the version it was converted from
/// that its own version cannot hold: `{"apiVersion": "<group>/<version>", "fields": {...}}`.
pub const CONVERSION_DATA_ANNOTATION: &str = "kgen.dev/conversion-data";

/// Why an object could not be converted. The message reaches the API server's client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionError {
    message: String,
}

impl ConversionError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ConversionError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConversionError {}

impl From<serde_json::Error> for ConversionError {
    fn from(e: serde_json::Error) -> Self {
        ConversionError::new(e.to_string())
    }
}

/// Conversion of one version's type into another's. kgen generates it both ways for every type
/// whose fields match by JSON name and type; a type whose fields differ gets one written by hand.
///
/// Containers convert element by element (`Option`, `Vec`, `VecDeque`, `Box`, maps and
/// `BTreeSet`), so generated code calls `ConvertFrom::convert_from` on a field of any of those.
pub trait ConvertFrom<T>: Sized {
    /// Converts `value`.
    fn convert_from(value: T) -> Result<Self, ConversionError>;
}

impl<A, B: ConvertFrom<A>> ConvertFrom<Option<A>> for Option<B> {
    fn convert_from(value: Option<A>) -> Result<Self, ConversionError> {
        value.map(B::convert_from).transpose()
    }
}

impl<A, B: ConvertFrom<A>> ConvertFrom<Box<A>> for Box<B> {
    fn convert_from(value: Box<A>) -> Result<Self, ConversionError> {
        B::convert_from(*value).map(Box::new)
    }
}

impl<A, B: ConvertFrom<A>> ConvertFrom<Vec<A>> for Vec<B> {
    fn convert_from(value: Vec<A>) -> Result<Self, ConversionError> {
        value.into_iter().map(B::convert_from).collect()
    }
}

impl<A, B: ConvertFrom<A>> ConvertFrom<VecDeque<A>> for VecDeque<B> {
    fn convert_from(value: VecDeque<A>) -> Result<Self, ConversionError> {
        value.into_iter().map(B::convert_from).collect()
    }
}

impl<A, B: ConvertFrom<A> + Ord> ConvertFrom<BTreeSet<A>> for BTreeSet<B> {
    fn convert_from(value: BTreeSet<A>) -> Result<Self, ConversionError> {
        value.into_iter().map(B::convert_from).collect()
    }
}

impl<K: Ord, A, B: ConvertFrom<A>> ConvertFrom<BTreeMap<K, A>> for BTreeMap<K, B> {
    fn convert_from(value: BTreeMap<K, A>) -> Result<Self, ConversionError> {
        value.into_iter().map(|(k, v)| Ok((k, B::convert_from(v)?))).collect()
    }
}

impl<K: Eq + Hash, A, B: ConvertFrom<A>> ConvertFrom<HashMap<K, A>> for HashMap<K, B> {
    fn convert_from(value: HashMap<K, A>) -> Result<Self, ConversionError> {
        value.into_iter().map(|(k, v)| Ok((k, B::convert_from(v)?))).collect()
    }
}

/// The conversions of one kind between its versions, through the hub. kgen generates one per
/// kind whose CRD has `spec.conversion.strategy: Webhook`; [`convert`] uses it.
pub trait Converter: Send + Sync {
    /// The API group, such as `kgen.dev`.
    fn group(&self) -> &str;
    /// The kind, such as `Kluster`.
    fn kind(&self) -> &str;
    /// The resource (plural), such as `klusters`.
    fn plural(&self) -> &str;
    /// Every version the conversion knows, in the CRD's order.
    fn versions(&self) -> &[&str];
    /// The hub: the storage version, which every other version converts to and from.
    fn hub_version(&self) -> &str;
    /// Converts a whole object (with `apiVersion`) of any version to the hub version.
    fn to_hub(&self, object: Value) -> Result<Value, ConversionError>;
    /// Converts a whole object of the hub version to `version` (a version name, such as `v1alpha1`).
    // `from_hub` pairs with `to_hub`; it converts the hub object given, not `self`.
    #[allow(clippy::wrong_self_convention)]
    fn from_hub(&self, hub: Value, version: &str) -> Result<Value, ConversionError>;
}

/// Converts `object` to `desired_api_version` (`group/version`), through the hub, keeping what
/// the target cannot hold in [`CONVERSION_DATA_ANNOTATION`] and restoring what an earlier
/// conversion kept there. Metadata other than labels and annotations is the input's.
///
/// An object already at `desired_api_version` is returned unchanged.
pub fn convert(converter: &dyn Converter, object: Value, desired_api_version: &str) -> Result<Value, ConversionError> {
    let from_api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| ConversionError::new("the object has no apiVersion"))?
        .to_string();
    if from_api_version == desired_api_version {
        return Ok(object);
    }
    let from = version_in_group(converter, &from_api_version)?;
    let to = version_in_group(converter, desired_api_version)?;
    if !object.is_object() {
        return Err(ConversionError::new("the object is not a JSON object"));
    }

    let mut converted = translate(converter, object.clone(), &from, &to)?;
    if !converted.is_object() {
        return Err(ConversionError::new(format!(
            "the conversion to {desired_api_version} did not give an object"
        )));
    }

    // Restore what an earlier conversion away from the target version could not carry.
    if let Some(kept) = kept_data(&object)
        && kept.api_version == desired_api_version
    {
        merge_absent(&mut converted, &kept.fields);
    }

    // Keep what the target cannot carry: the input's fields a round trip back loses.
    let round_trip = translate(converter, converted.clone(), &to, &from)?;
    let lost = lost_fields(&object, &round_trip);

    let annotations = converted
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(Value::Null);
    let labels = converted.pointer("/metadata/labels").cloned().unwrap_or(Value::Null);
    let mut metadata = object
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    if let Value::Object(meta) = &mut metadata {
        set_or_remove(meta, "labels", labels);
        let mut annotations = match annotations {
            Value::Object(a) => a,
            _ => Map::new(),
        };
        annotations.remove(CONVERSION_DATA_ANNOTATION);
        if let Some(lost) = lost {
            let data = serde_json::json!({ "apiVersion": from_api_version, "fields": lost });
            annotations.insert(CONVERSION_DATA_ANNOTATION.to_string(), Value::String(data.to_string()));
        }
        set_or_remove(meta, "annotations", Value::Object(annotations));
    }
    if let Value::Object(out) = &mut converted {
        out.insert("apiVersion".into(), Value::String(desired_api_version.to_string()));
        if let Some(kind) = object.get("kind") {
            out.insert("kind".into(), kind.clone());
        }
        out.insert("metadata".into(), metadata);
    }
    Ok(converted)
}

/// The version part of `api_version`, which must be in the converter's group and versions.
fn version_in_group(converter: &dyn Converter, api_version: &str) -> Result<String, ConversionError> {
    let Some((group, version)) = api_version.split_once('/') else {
        return Err(ConversionError::new(format!(
            "{api_version:?} is not an apiVersion of group {}",
            converter.group()
        )));
    };
    if group != converter.group() {
        return Err(ConversionError::new(format!(
            "{api_version:?} is not an apiVersion of group {}",
            converter.group()
        )));
    }
    if !converter.versions().contains(&version) {
        return Err(ConversionError::new(format!(
            "{} {} has no version {version:?} (versions: {})",
            converter.group(),
            converter.kind(),
            converter.versions().join(", ")
        )));
    }
    Ok(version.to_string())
}

/// Typed conversion from version `from` to `to`, through the hub.
fn translate(converter: &dyn Converter, object: Value, from: &str, to: &str) -> Result<Value, ConversionError> {
    let hub = converter.hub_version();
    let hub_object = if from == hub { object } else { converter.to_hub(object)? };
    if to == hub {
        Ok(hub_object)
    } else {
        converter.from_hub(hub_object, to)
    }
}

struct KeptData {
    api_version: String,
    fields: Value,
}

fn kept_data(object: &Value) -> Option<KeptData> {
    let text = object
        .pointer("/metadata/annotations")?
        .get(CONVERSION_DATA_ANNOTATION)?
        .as_str()?;
    let data: Value = serde_json::from_str(text).ok()?;
    Some(KeptData {
        api_version: data.get("apiVersion")?.as_str()?.to_string(),
        fields: data.get("fields")?.clone(),
    })
}

fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Value) {
    match value {
        Value::Object(m) if m.is_empty() => {
            map.remove(key);
        }
        Value::Null => {
            map.remove(key);
        }
        v => {
            map.insert(key.to_string(), v);
        }
    }
}

/// The parts of `original` (outside `apiVersion`, `kind` and `metadata`) that `round_trip` lacks
/// or holds as `null`: objects recurse by key, arrays of equal length by index (other positions
/// become `{}`), anything else counts as lost only when it is missing.
fn lost_fields(original: &Value, round_trip: &Value) -> Option<Value> {
    let (Value::Object(orig), Value::Object(back)) = (original, round_trip) else {
        return None;
    };
    let mut lost = Map::new();
    for (key, value) in orig {
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(l) = lost_value(value, back.get(key)) {
            lost.insert(key.clone(), l);
        }
    }
    (!lost.is_empty()).then_some(Value::Object(lost))
}

fn lost_value(original: &Value, back: Option<&Value>) -> Option<Value> {
    match (original, back) {
        (Value::Null, _) => None,
        (v, None | Some(Value::Null)) => Some(v.clone()),
        (Value::Object(o), Some(Value::Object(b))) => {
            let mut lost = Map::new();
            for (key, value) in o {
                if let Some(l) = lost_value(value, b.get(key)) {
                    lost.insert(key.clone(), l);
                }
            }
            (!lost.is_empty()).then_some(Value::Object(lost))
        }
        (Value::Array(o), Some(Value::Array(b))) if o.len() == b.len() => {
            let items: Vec<Option<Value>> = o.iter().zip(b).map(|(x, y)| lost_value(x, Some(y))).collect();
            if items.iter().all(Option::is_none) {
                return None;
            }
            Some(Value::Array(
                items
                    .into_iter()
                    .map(|i| i.unwrap_or_else(|| Value::Object(Map::new())))
                    .collect(),
            ))
        }
        _ => None,
    }
}

/// Copies into `target` what `kept` has and `target` lacks (or holds as `null`); arrays merge by
/// index only when both have the same length, since the list may have changed since.
fn merge_absent(target: &mut Value, kept: &Value) {
    match (target, kept) {
        (Value::Object(t), Value::Object(k)) => {
            for (key, value) in k {
                match t.get_mut(key) {
                    None | Some(Value::Null) => {
                        t.insert(key.clone(), value.clone());
                    }
                    Some(existing) => merge_absent(existing, value),
                }
            }
        }
        (Value::Array(t), Value::Array(k)) if t.len() == k.len() => {
            for (item, kept_item) in t.iter_mut().zip(k) {
                merge_absent(item, kept_item);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// v1 has `spec.size` and `spec.legacy`; v2 (the hub) has `spec.sizeSlug` and `spec.zone`.
    struct Sample;

    impl Converter for Sample {
        fn group(&self) -> &str {
            "example.com"
        }
        fn kind(&self) -> &str {
            "Thing"
        }
        fn plural(&self) -> &str {
            "things"
        }
        fn versions(&self) -> &[&str] {
            &["v1", "v2"]
        }
        fn hub_version(&self) -> &str {
            "v2"
        }
        fn to_hub(&self, mut object: Value) -> Result<Value, ConversionError> {
            let spec = object["spec"].take();
            let mut hub_spec = json!({});
            if let Some(size) = spec.get("size") {
                hub_spec["sizeSlug"] = size.clone();
            }
            object["spec"] = hub_spec;
            object["apiVersion"] = json!("example.com/v2");
            Ok(object)
        }
        fn from_hub(&self, mut hub: Value, version: &str) -> Result<Value, ConversionError> {
            assert_eq!(version, "v1");
            let spec = hub["spec"].take();
            let mut spoke_spec = json!({});
            if let Some(size) = spec.get("sizeSlug") {
                spoke_spec["size"] = size.clone();
            }
            hub["spec"] = spoke_spec;
            hub["apiVersion"] = json!("example.com/v1");
            // A conversion may not change the name: `convert` puts the input's metadata back.
            hub["metadata"]["name"] = json!("renamed");
            Ok(hub)
        }
    }

    fn v1() -> Value {
        json!({
            "apiVersion": "example.com/v1", "kind": "Thing",
            "metadata": {"name": "a", "uid": "u1", "labels": {"x": "y"}},
            "spec": {"size": "s", "legacy": {"mode": "old", "items": [1, 2]}},
        })
    }

    #[test]
    fn spoke_to_hub_keeps_what_the_hub_lacks_in_the_annotation() {
        let hub = convert(&Sample, v1(), "example.com/v2").unwrap();
        assert_eq!(hub["apiVersion"], "example.com/v2");
        assert_eq!(hub["kind"], "Thing");
        assert_eq!(hub["spec"], json!({"sizeSlug": "s"}));
        assert_eq!(hub["metadata"]["labels"], json!({"x": "y"}));
        let kept: Value = serde_json::from_str(
            hub["metadata"]["annotations"][CONVERSION_DATA_ANNOTATION]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            kept,
            json!({"apiVersion": "example.com/v1", "fields": {"spec": {"legacy": {"mode": "old", "items": [1, 2]}}}})
        );
    }

    #[test]
    fn round_trip_spoke_hub_spoke_loses_nothing() {
        let hub = convert(&Sample, v1(), "example.com/v2").unwrap();
        let back = convert(&Sample, hub, "example.com/v1").unwrap();
        assert_eq!(
            back,
            v1(),
            "no annotation left behind, every field restored, metadata as it was"
        );
    }

    #[test]
    fn hub_fields_the_spoke_lacks_survive_a_round_trip_through_the_spoke() {
        let hub = json!({
            "apiVersion": "example.com/v2", "kind": "Thing",
            "metadata": {"name": "a"},
            "spec": {"sizeSlug": "s", "zone": "z1"},
        });
        let spoke = convert(&Sample, hub.clone(), "example.com/v1").unwrap();
        assert_eq!(spoke["spec"], json!({"size": "s"}));
        assert_eq!(
            spoke["metadata"]["name"], "a",
            "metadata other than labels and annotations is the input's"
        );
        let back = convert(&Sample, spoke, "example.com/v2").unwrap();
        assert_eq!(back, hub);
    }

    #[test]
    fn a_value_set_since_wins_over_the_kept_one() {
        let mut hub = convert(&Sample, v1(), "example.com/v2").unwrap();
        hub["spec"]["sizeSlug"] = json!("bigger");
        let back = convert(&Sample, hub, "example.com/v1").unwrap();
        assert_eq!(back["spec"]["size"], "bigger");
        assert_eq!(back["spec"]["legacy"]["mode"], "old");
    }

    #[test]
    fn same_version_is_unchanged_and_unknown_versions_are_refused() {
        assert_eq!(convert(&Sample, v1(), "example.com/v1").unwrap(), v1());
        let err = convert(&Sample, v1(), "example.com/v3").unwrap_err();
        assert_eq!(
            err.message(),
            "example.com Thing has no version \"v3\" (versions: v1, v2)"
        );
        let err = convert(&Sample, v1(), "other.io/v2").unwrap_err();
        assert_eq!(
            err.message(),
            "\"other.io/v2\" is not an apiVersion of group example.com"
        );
        let err = convert(&Sample, json!({"kind": "Thing"}), "example.com/v2").unwrap_err();
        assert_eq!(err.message(), "the object has no apiVersion");
    }

    #[test]
    fn containers_convert_element_by_element() {
        struct A(i32);
        struct B(i64);
        impl ConvertFrom<A> for B {
            fn convert_from(a: A) -> Result<Self, ConversionError> {
                if a.0 < 0 {
                    return Err(ConversionError::new("negative"));
                }
                Ok(B(a.0.into()))
            }
        }
        let m: BTreeMap<String, Vec<B>> =
            ConvertFrom::convert_from(BTreeMap::from([("k".to_string(), vec![A(1), A(2)])])).unwrap();
        assert_eq!(m["k"].iter().map(|b| b.0).collect::<Vec<_>>(), [1, 2]);
        let o: Option<Box<B>> = ConvertFrom::convert_from(Some(Box::new(A(3)))).unwrap();
        assert_eq!(o.unwrap().0, 3);
        let e: Result<Vec<B>, _> = ConvertFrom::convert_from(vec![A(1), A(-1)]);
        assert_eq!(e.err().unwrap().message(), "negative");
    }
}
