//! Schemas of Kubernetes' built-in types from the embedded table ([`crate::builtin`]), inlined into
//! the structural form a CRD needs.
//!
//! A `$ref` is replaced by the referenced type's schema; a description next to it (the field's
//! doc) wins over the type's. Types with a meaning of their own in a CRD come from
//! [`super::known`] instead of the table: ObjectMeta (the embedded metadata subset), IntOrString
//! and Quantity (int-or-string), Time and MicroTime, RawExtension and metav1 Condition (with the
//! validations its Go markers declare). A node with no type (apiextensions `JSON`) or an object
//! with neither properties nor additionalProperties (`FieldsV1`) keeps unknown fields, as the API
//! server would otherwise prune the whole value. A type that contains itself (`JSONSchemaProps`)
//! is cut at the second occurrence the same way.

use super::known;
use super::types::Schema;
use crate::builtin::{self, KubeVersion};
use crate::model::Known;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Inlined built-in schemas of one Kubernetes version, cached by definition name.
pub struct BuiltinSchemas {
    version: KubeVersion,
    cache: HashMap<&'static str, Value>,
    /// Recursion cuts made so far: a schema built with one depends on the path to it, so it is not cached.
    cuts: usize,
}

/// A built-in type missing from the chosen Kubernetes version.
#[derive(Debug, Clone, PartialEq)]
pub struct NotInVersion {
    /// The definition name (`io.k8s.api.resource.v1.ResourceClaim`).
    pub name: String,
    /// The version asked for.
    pub version: KubeVersion,
}

impl BuiltinSchemas {
    /// Schemas of `version`.
    pub fn new(version: KubeVersion) -> Self {
        BuiltinSchemas {
            version,
            cache: HashMap::new(),
            cuts: 0,
        }
    }

    /// The Kubernetes version used.
    pub fn version(&self) -> KubeVersion {
        self.version
    }

    /// The CRD schema of the built-in type `name`.
    pub fn schema(&mut self, name: &'static str) -> Result<Schema, NotInVersion> {
        let mut stack = Vec::new();
        let v = self.inlined(name, &mut stack)?;
        // Bodies are normalised by the regen script and every one is converted in this module's
        // tests, so only a defect in the checked-in data can fail here.
        Ok(Schema::from_json(&v).unwrap_or_else(|e| panic!("built-in schema {name}: {e}")))
    }

    fn inlined(&mut self, name: &'static str, stack: &mut Vec<&'static str>) -> Result<Value, NotInVersion> {
        if let Some(v) = self.cache.get(name) {
            return Ok(v.clone());
        }
        if let Some(k) = special(name) {
            return Ok(known::schema(k).to_json());
        }
        if stack.contains(&name) {
            self.cuts += 1;
            let mut cut = Map::new();
            cut.insert("type".into(), "object".into());
            cut.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
            return Ok(Value::Object(cut));
        }
        let text = builtin::definition(self.version, name).ok_or_else(|| NotInVersion {
            name: name.to_string(),
            version: self.version,
        })?;
        let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("built-in body {name}: {e}"));
        let cuts_before = self.cuts;
        stack.push(name);
        let out = self.node(body, stack);
        stack.pop();
        let out = out?;
        if self.cuts == cuts_before {
            self.cache.insert(name, out.clone());
        }
        Ok(out)
    }

    fn node(&mut self, node: Value, stack: &mut Vec<&'static str>) -> Result<Value, NotInVersion> {
        let Value::Object(mut m) = node else {
            return Ok(node);
        };
        if let Some(Value::String(r)) = m.remove("$ref") {
            let name = builtin::definition_name_str(&r).unwrap_or_else(|| panic!("dangling $ref {r}"));
            let mut target = self.inlined(name, stack)?;
            // Keys beside the `$ref` (the field's description, a set item's map-type) win.
            if let Value::Object(t) = &mut target {
                t.extend(m);
            }
            return Ok(target);
        }
        if let Some(Value::Object(props)) = m.remove("properties") {
            let mut out = Map::new();
            for (k, v) in props {
                out.insert(k, self.node(v, stack)?);
            }
            m.insert("properties".into(), Value::Object(out));
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v) = m.remove(key) {
                let v = self.node(v, stack)?;
                m.insert(key.into(), v);
            }
        }
        // controller-gen sorts required lists; Kubernetes' are in Go field order.
        if let Some(Value::Array(required)) = m.get_mut("required") {
            required.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
        // A list keyed on the fields of a recursion cut (which has none) cannot stay a map.
        if m.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map")
            && m.get("items").is_some_and(|i| i.get("properties").is_none())
        {
            m.insert("x-kubernetes-list-type".into(), "atomic".into());
            m.remove("x-kubernetes-list-map-keys");
        }
        let ty = m.get("type").and_then(Value::as_str);
        let open = match ty {
            None => true,
            Some("object") => !m.contains_key("properties") && !m.contains_key("additionalProperties"),
            _ => false,
        };
        if open {
            m.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
        }
        Ok(Value::Object(m))
    }
}

/// Built-in types whose CRD schema is kgen's own rather than the table's.
fn special(name: &str) -> Option<Known> {
    Some(match name {
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" => Known::ObjectMeta,
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time" => Known::Time,
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => Known::MicroTime,
        "io.k8s.apimachinery.pkg.apis.meta.v1.Condition" => Known::Condition,
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => Known::IntOrString,
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => Known::Quantity,
        "io.k8s.apimachinery.pkg.runtime.RawExtension" => Known::RawExtension,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::schema::check;

    fn v(s: &str) -> KubeVersion {
        s.parse().unwrap()
    }

    fn at<'a>(s: &'a Schema, path: &str) -> &'a Schema {
        let mut cur = s;
        for seg in path.split('.') {
            cur = if seg == "[]" {
                cur.items
                    .as_deref()
                    .unwrap_or_else(|| panic!("no items at {seg} of {path}"))
            } else if seg == "{}" {
                cur.additional_properties
                    .as_deref()
                    .unwrap_or_else(|| panic!("no additionalProperties at {path}"))
            } else {
                cur.properties.get(seg).unwrap_or_else(|| panic!("no {seg} in {path}"))
            };
        }
        cur
    }

    #[test]
    fn pod_template_spec_is_inlined_with_topology() {
        let mut b = BuiltinSchemas::new(v("1.37"));
        let s = b.schema("io.k8s.api.core.v1.PodTemplateSpec").unwrap();
        let containers = at(&s, "spec.containers");
        assert_eq!(containers.ty(), Some("array"));
        assert_eq!(containers.list_type.as_deref(), Some("map"));
        assert_eq!(containers.list_map_keys, vec!["name"]);
        assert!(
            containers
                .description
                .as_deref()
                .unwrap()
                .starts_with("List of containers")
        );
        let container = at(&s, "spec.containers.[]");
        assert_eq!(container.required, vec!["name"]);
        // The list-map key Kubernetes leaves optional gets the default it documents.
        let ports = at(&s, "spec.containers.[].ports");
        assert_eq!(ports.list_map_keys, vec!["containerPort", "protocol"]);
        assert_eq!(
            at(&s, "spec.containers.[].ports.[].protocol").default,
            Some("TCP".into())
        );
        assert_eq!(
            at(&s, "spec.containers.[].ports.[].containerPort").format.as_deref(),
            Some("int32")
        );
        // Quantity and IntOrString are int-or-string.
        let cpu = at(&s, "spec.containers.[].resources.limits.{}");
        assert_eq!(cpu.int_or_string, Some(true));
        assert!(cpu.pattern.is_some());
        assert_eq!(
            at(&s, "spec.containers.[].livenessProbe.httpGet.port").int_or_string,
            Some(true)
        );
        // The embedded metadata keeps labels.
        assert_eq!(at(&s, "metadata.labels.{}").ty(), Some("string"));
        assert_eq!(at(&s, "spec.nodeSelector").map_type.as_deref(), Some("atomic"));
        assert_eq!(
            at(&s, "spec.terminationGracePeriodSeconds").format.as_deref(),
            Some("int64")
        );
        // No key a CRD cannot carry survived.
        let json = serde_json::to_string(&s.to_json()).unwrap();
        for bad in [
            "$ref",
            "x-kubernetes-patch",
            "x-kubernetes-group-version-kind",
            "\"enum\"",
        ] {
            assert!(!json.contains(bad), "{bad}");
        }
    }

    #[test]
    fn list_maps_without_a_key_default_become_atomic() {
        let mut b = BuiltinSchemas::new(v("1.37"));
        let s = b.schema("io.k8s.api.apps.v1.DeploymentStatus").unwrap();
        let conditions = at(&s, "conditions");
        assert_eq!(conditions.list_type.as_deref(), Some("atomic"));
        assert!(conditions.list_map_keys.is_empty());
    }

    #[test]
    fn open_and_recursive_types_keep_unknown_fields() {
        let mut b = BuiltinSchemas::new(v("1.37"));
        let s = b
            .schema("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
            .unwrap();
        let inner = at(&s, "properties.{}");
        assert_eq!(inner.preserve_unknown_fields, Some(true));
        assert_eq!(inner.ty(), Some("object"));
        let json = at(&s, "default");
        assert_eq!(json.preserve_unknown_fields, Some(true));
        assert_eq!(json.ty(), None);
        let fields = b
            .schema("io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry")
            .unwrap();
        assert_eq!(at(&fields, "fieldsV1").preserve_unknown_fields, Some(true));
    }

    #[test]
    fn a_missing_type_names_the_version() {
        let mut b = BuiltinSchemas::new(v("1.25"));
        let e = b.schema("io.k8s.api.resource.v1.ResourceClaim").unwrap_err();
        assert_eq!(e.version, v("1.25"));
    }

    /// Every type of every embedded version converts and passes the API server's structural checks
    /// as a CRD property (this is what makes the `expect`s above unreachable).
    #[test]
    fn every_type_of_every_version_is_a_valid_crd_property() {
        let mut failures = Vec::new();
        for version in KubeVersion::all() {
            let mut b = BuiltinSchemas::new(version);
            for name in builtin::names(version) {
                let field = b.schema(name).unwrap();
                let mut spec = Schema::typed("object");
                spec.properties.insert("field".into(), field);
                let mut root = Schema::typed("object");
                root.properties.insert("spec".into(), spec);
                let mut diags = Diagnostics::new();
                check::check_schema(&root, &mut diags);
                let problems: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                if !problems.is_empty() {
                    failures.push(format!("{version} {name}: {problems:#?}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
