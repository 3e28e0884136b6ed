//! Types kgen knows without reading their source: Kubernetes' common types and free-form JSON.

/// A type with a built-in schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Known {
    /// `ObjectMeta`: below the root, the fields an embedded object may set (labels, annotations,
    /// name, namespace, generateName, finalizers); at the root the API server owns its schema.
    ObjectMeta,
    /// kube's `TypeMeta` (`apiVersion` and `kind`), as a Go-style kind embeds it with
    /// `#[serde(flatten)]`; a kind's own `apiVersion` and `kind` are written by kgen.
    TypeMeta,
    /// `Time`: string, date-time.
    Time,
    /// `MicroTime`: string, date-time.
    MicroTime,
    /// `jiff::Timestamp`, `chrono::DateTime`: string, date-time.
    Timestamp,
    /// `Quantity`: int-or-string with the quantity pattern.
    Quantity,
    /// `IntOrString`: int-or-string.
    IntOrString,
    /// metav1 `Condition`.
    Condition,
    /// Any other type of k8s-openapi's `api`, `apimachinery`, `apiextensions_apiserver` and
    /// `kube_aggregator` modules, by OpenAPI definition name (`io.k8s.api.core.v1.PodSpec`); its
    /// schema comes from the embedded table ([`crate::builtin`]).
    Builtin(&'static str),
    /// `k8s_openapi::ByteString`: string, format byte (base64, as k8s-openapi serializes it).
    ByteString,
    /// `RawExtension`: any object (`x-kubernetes-preserve-unknown-fields`), as controller-gen writes it.
    RawExtension,
    /// `serde_json::Value`: anything (`x-kubernetes-preserve-unknown-fields`).
    JsonValue,
    /// `serde_json::Map<String, Value>`: any object.
    JsonObject,
}

/// Crates whose types kgen may know, by their first path segment.
const KNOWN_CRATES: &[&str] = &["k8s_openapi", "kube", "kube_core", "serde_json", "jiff", "chrono"];

impl Known {
    /// Identifies a known type from its full path (`k8s_openapi::...::ObjectMeta`), or from a bare name
    /// when `external` says it was imported from outside the input.
    pub fn from_path(path: &[String]) -> Option<Known> {
        let last = path.last()?.as_str();
        let first = path.first()?.as_str();
        if path.len() > 1 && !KNOWN_CRATES.contains(&first) {
            return None;
        }
        let in_crate = |c: &[&str]| path.len() == 1 || c.contains(&first);
        Some(match last {
            "ObjectMeta" if in_crate(&["k8s_openapi", "kube", "kube_core"]) => Known::ObjectMeta,
            "TypeMeta" if in_crate(&["kube", "kube_core", "k8s_openapi"]) => Known::TypeMeta,
            "Time" if in_crate(&["k8s_openapi"]) => Known::Time,
            "MicroTime" if in_crate(&["k8s_openapi"]) => Known::MicroTime,
            "Timestamp" if in_crate(&["jiff"]) => Known::Timestamp,
            "DateTime" if in_crate(&["chrono"]) => Known::Timestamp,
            "Quantity" if in_crate(&["k8s_openapi"]) => Known::Quantity,
            "IntOrString" if in_crate(&["k8s_openapi"]) => Known::IntOrString,
            "Condition" if in_crate(&["k8s_openapi"]) => Known::Condition,
            // Bare names kgen has always known (imported from outside the input).
            "LabelSelector" if path.len() == 1 => Known::Builtin("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"),
            "LocalObjectReference" | "ObjectReference" | "SecretKeySelector" | "SecretReference" if path.len() == 1 => {
                Known::Builtin(crate::builtin::definition_name_str(&format!(
                    "io.k8s.api.core.v1.{last}"
                ))?)
            }
            "ByteString" if in_crate(&["k8s_openapi"]) => Known::ByteString,
            "RawExtension" if in_crate(&["k8s_openapi"]) => Known::RawExtension,
            "Value" if first == "serde_json" => Known::JsonValue,
            "Map" if first == "serde_json" => Known::JsonObject,
            _ => return crate::builtin::definition_name(path).map(Known::Builtin),
        })
    }

    /// True for crates kgen recognises some types of (so an unknown type there gets a precise message).
    pub fn is_known_crate(first: &str) -> bool {
        KNOWN_CRATES.contains(&first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split("::").map(String::from).collect()
    }

    #[test]
    fn identifies_by_path() {
        assert_eq!(
            Known::from_path(&p("k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta")),
            Some(Known::ObjectMeta)
        );
        assert_eq!(Known::from_path(&p("kube::api::ObjectMeta")), Some(Known::ObjectMeta));
        assert_eq!(Known::from_path(&p("kube::core::TypeMeta")), Some(Known::TypeMeta));
        assert_eq!(Known::from_path(&p("serde_json::Value")), Some(Known::JsonValue));
        assert_eq!(Known::from_path(&p("k8s_openapi::ByteString")), Some(Known::ByteString));
        assert_eq!(
            Known::from_path(&p("k8s_openapi::apimachinery::pkg::runtime::RawExtension")),
            Some(Known::RawExtension)
        );
        assert_eq!(Known::from_path(&p("other::Value")), None);
        assert_eq!(
            Known::from_path(&p("k8s_openapi::api::core::v1::PodSpec")),
            Some(Known::Builtin("io.k8s.api.core.v1.PodSpec"))
        );
        assert_eq!(
            Known::from_path(&p("LabelSelector")),
            Some(Known::Builtin("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"))
        );
        assert_eq!(Known::from_path(&p("k8s_openapi::api::core::v1::NoSuchType")), None);
    }
}
