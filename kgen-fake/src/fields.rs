//! Field sets and `metadata.managedFields` (the `FieldsV1` format), for server-side apply and
//! field ownership.
//!
//! A field is identified by a path of elements: `f:<name>` for an object field, `k:<json>` for an
//! item of a `x-kubernetes-list-type: map` list (the JSON object of its key fields), `v:<json>`
//! for an item of a set. Lists without a schema, and `atomic` lists, are a single field; so are
//! objects with `x-kubernetes-map-type: atomic`. In `metadata`, only `labels`, `annotations`,
//! `finalizers` (a set) and `ownerReferences` (a map keyed by `uid`) are tracked, as the API
//! server does.

use kgen_schema::Schema;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// One path element.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Pe {
    /// An object field.
    F(String),
    /// A list-map item, by its key object (canonical JSON).
    K(String),
    /// A set item, by its value (canonical JSON).
    V(String),
}

/// A field path.
pub(crate) type FieldPath = Vec<Pe>;
/// A set of fields.
pub(crate) type FieldSet = BTreeSet<FieldPath>;

/// How the top-level `metadata` of an object is shaped for field tracking and apply merging.
static METADATA: LazyLock<Schema> = LazyLock::new(|| {
    let string_map = Schema {
        additional_properties: Some(Box::new(Schema::typed("string"))),
        ..Schema::typed("object")
    };
    let mut props = std::collections::BTreeMap::new();
    props.insert("labels".to_string(), string_map.clone());
    props.insert("annotations".to_string(), string_map);
    props.insert(
        "finalizers".to_string(),
        Schema {
            list_type: Some("set".into()),
            items: Some(Box::new(Schema::typed("string"))),
            ..Schema::typed("array")
        },
    );
    props.insert(
        "ownerReferences".to_string(),
        Schema {
            list_type: Some("map".into()),
            list_map_keys: vec!["uid".into()],
            items: Some(Box::new(Schema::typed("object"))),
            ..Schema::typed("array")
        },
    );
    Schema {
        properties: props,
        ..Schema::typed("object")
    }
});

/// The metadata keys whose fields are tracked.
const TRACKED_METADATA: &[&str] = &["labels", "annotations", "finalizers", "ownerReferences"];

/// The schema of `key` under a node with schema `parent` (`root`: the node is the object itself).
pub(crate) fn child_schema<'a>(parent: Option<&'a Schema>, key: &str, root: bool) -> Option<&'a Schema> {
    if root && key == "metadata" {
        return Some(&METADATA);
    }
    let p = parent?;
    p.properties.get(key).or(p.additional_properties.as_deref())
}

/// How a list is merged and tracked.
pub(crate) enum ListKind<'a> {
    /// Replaced as a whole.
    Atomic,
    /// Items are values, merged by union.
    Set,
    /// Items are objects identified by these keys.
    Map(&'a [String]),
}

pub(crate) fn list_kind(s: Option<&Schema>) -> ListKind<'_> {
    match s {
        Some(s) if s.list_type.as_deref() == Some("map") && !s.list_map_keys.is_empty() => {
            ListKind::Map(&s.list_map_keys)
        }
        Some(s) if s.list_type.as_deref() == Some("set") => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// The key object of a list-map item, as canonical JSON (keys sorted).
pub(crate) fn item_key(item: &Value, keys: &[String]) -> String {
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort();
    let mut m = Map::new();
    for k in sorted {
        m.insert(k.clone(), item.get(k).cloned().unwrap_or(Value::Null));
    }
    canonical(&Value::Object(m))
}

/// JSON with object keys sorted.
pub(crate) fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Which top-level fields a write covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything.
    All,
    /// Everything but `status` (main resource with a status subresource).
    Main,
    /// Only `status`.
    Status,
}

impl Part {
    fn covers(self, top: &str) -> bool {
        match self {
            Part::All => true,
            Part::Main => top != "status",
            Part::Status => top == "status",
        }
    }
}

/// The fields set in `obj` (a whole object), restricted to `part`.
pub(crate) fn field_set(obj: &Value, schema: Option<&Schema>, part: Part) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (k, v) in map {
        if k == "apiVersion" || k == "kind" || !part.covers(k) {
            continue;
        }
        let cs = child_schema(schema, k, true);
        let path = vec![Pe::F(k.clone())];
        if k == "metadata" {
            if let Some(m) = v.as_object() {
                for (mk, mv) in m {
                    if TRACKED_METADATA.contains(&mk.as_str()) {
                        let mut p = path.clone();
                        p.push(Pe::F(mk.clone()));
                        walk(mv, child_schema(cs, mk, false), p, &mut out);
                    }
                }
            }
            continue;
        }
        walk(v, cs, path, &mut out);
    }
    out
}

fn walk(v: &Value, s: Option<&Schema>, path: FieldPath, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() && s.is_none_or(|s| s.map_type.as_deref() != Some("atomic")) => {
            for (k, c) in m {
                let mut p = path.clone();
                p.push(Pe::F(k.clone()));
                walk(c, child_schema(s, k, false), p, out);
            }
        }
        Value::Array(items) => match list_kind(s) {
            ListKind::Map(keys) => {
                let item_schema = s.and_then(|s| s.items.as_deref());
                for item in items {
                    let mut p = path.clone();
                    p.push(Pe::K(item_key(item, keys)));
                    out.insert(p.clone());
                    if let Some(m) = item.as_object() {
                        for (k, c) in m {
                            let mut q = p.clone();
                            q.push(Pe::F(k.clone()));
                            walk(c, child_schema(item_schema, k, false), q, out);
                        }
                    }
                }
            }
            ListKind::Set => {
                for item in items {
                    let mut p = path.clone();
                    p.push(Pe::V(canonical(item)));
                    out.insert(p);
                }
            }
            ListKind::Atomic => {
                out.insert(path);
            }
        },
        _ => {
            out.insert(path);
        }
    }
}

/// The value at `path` in `obj`.
pub(crate) fn value_at<'a>(obj: &'a Value, path: &[Pe], schema: Option<&Schema>) -> Option<&'a Value> {
    let mut cur = obj;
    let mut s = schema;
    let mut root = true;
    for pe in path {
        match pe {
            Pe::F(name) => {
                cur = cur.get(name)?;
                s = child_schema(s, name, root);
            }
            Pe::K(key) => {
                let ListKind::Map(keys) = list_kind(s) else {
                    return None;
                };
                cur = cur.as_array()?.iter().find(|i| item_key(i, keys) == *key)?;
                s = s.and_then(|s| s.items.as_deref());
            }
            Pe::V(val) => {
                cur = cur.as_array()?.iter().find(|i| canonical(i) == *val)?;
                s = s.and_then(|s| s.items.as_deref());
            }
        }
        root = false;
    }
    Some(cur)
}

/// Removes the field at `path` from `obj`; then removes objects left empty on the way, unless
/// `keep` says they are owned.
pub(crate) fn remove_at(obj: &mut Value, path: &[Pe], schema: Option<&Schema>, keep: &dyn Fn(&[Pe]) -> bool) {
    fn go(
        cur: &mut Value,
        path: &[Pe],
        full: &[Pe],
        depth: usize,
        s: Option<&Schema>,
        root: bool,
        keep: &dyn Fn(&[Pe]) -> bool,
    ) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            match (first, cur) {
                (Pe::F(name), Value::Object(m)) => {
                    m.remove(name);
                }
                (Pe::K(key), Value::Array(items)) => {
                    if let ListKind::Map(keys) = list_kind(s) {
                        items.retain(|i| item_key(i, keys) != *key);
                    }
                }
                (Pe::V(val), Value::Array(items)) => items.retain(|i| canonical(i) != *val),
                _ => {}
            }
            return;
        }
        match first {
            Pe::F(name) => {
                let cs = child_schema(s, name, root);
                let Some(child) = cur.get_mut(name) else {
                    return;
                };
                go(child, rest, full, depth + 1, cs, false, keep);
                let empty = child.as_object().is_some_and(Map::is_empty);
                if empty
                    && !keep(&full[..=depth])
                    && let Some(m) = cur.as_object_mut()
                {
                    m.remove(name);
                }
            }
            Pe::K(key) => {
                let ListKind::Map(keys) = list_kind(s) else {
                    return;
                };
                let is = s.and_then(|s| s.items.as_deref());
                if let Some(items) = cur.as_array_mut()
                    && let Some(item) = items.iter_mut().find(|i| item_key(i, keys) == *key)
                {
                    go(item, rest, full, depth + 1, is, false, keep);
                }
            }
            Pe::V(_) => {}
        }
    }
    go(obj, path, path, 0, schema, true, keep);
}

/// A field set as `FieldsV1` JSON.
pub(crate) fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for pe in path {
            let key = match pe {
                Pe::F(n) => format!("f:{n}"),
                Pe::K(k) => format!("k:{k}"),
                Pe::V(v) => format!("v:{v}"),
            };
            cur = cur
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("object");
        }
    }
    // A member that also has children is marked with ".".
    fn mark(node: &mut Map<String, Value>, prefix: &mut FieldPath, set: &FieldSet) {
        for (k, v) in node.iter_mut() {
            let pe = parse_pe(k);
            let Some(pe) = pe else { continue };
            prefix.push(pe);
            if let Value::Object(child) = v
                && !child.is_empty()
            {
                if set.contains(prefix) {
                    child.insert(".".into(), Value::Object(Map::new()));
                }
                mark(child, prefix, set);
            }
            prefix.pop();
        }
    }
    mark(&mut root, &mut Vec::new(), set);
    Value::Object(root)
}

fn parse_pe(k: &str) -> Option<Pe> {
    if let Some(n) = k.strip_prefix("f:") {
        Some(Pe::F(n.to_string()))
    } else if let Some(n) = k.strip_prefix("k:") {
        Some(Pe::K(n.to_string()))
    } else {
        k.strip_prefix("v:").map(|n| Pe::V(n.to_string()))
    }
}

/// Reads `FieldsV1` JSON back into a field set.
pub(crate) fn from_fields_v1(v: &Value) -> FieldSet {
    fn go(node: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
        let Some(m) = node.as_object() else { return };
        for (k, c) in m {
            if k == "." {
                out.insert(prefix.clone());
                continue;
            }
            let Some(pe) = parse_pe(k) else { continue };
            prefix.push(pe);
            if c.as_object().is_none_or(Map::is_empty) {
                out.insert(prefix.clone());
            } else {
                go(c, prefix, out);
            }
            prefix.pop();
        }
    }
    let mut out = FieldSet::new();
    go(v, &mut Vec::new(), &mut out);
    out
}

/// A field path for messages: `.spec.replicas`, `.spec.ports[port=80]`.
pub(crate) fn display(path: &[Pe]) -> String {
    let mut s = String::new();
    for pe in path {
        match pe {
            Pe::F(n) => {
                s.push('.');
                s.push_str(n);
            }
            Pe::K(k) => {
                let inner = serde_json::from_str::<Value>(k)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .map(|m| {
                        m.iter()
                            .map(|(a, b)| format!("{a}={}", b.as_str().map_or(b.to_string(), str::to_string)))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_else(|| k.clone());
                s.push_str(&format!("[{inner}]"));
            }
            Pe::V(v) => s.push_str(&format!("[={v}]")),
        }
    }
    s
}

/// One `managedFields` entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    /// "" for the main resource, `status`, `scale`.
    pub subresource: String,
    pub fields: FieldSet,
}

/// The `managedFields` entries of `obj`.
pub(crate) fn read_entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    list.iter()
        .map(|e| Entry {
            manager: s(e, "manager"),
            operation: s(e, "operation"),
            api_version: s(e, "apiVersion"),
            time: s(e, "time"),
            subresource: s(e, "subresource"),
            fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
        })
        .collect()
}

/// Writes `entries` (empty ones dropped) as `metadata.managedFields`.
pub(crate) fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut m = Map::new();
            m.insert("manager".into(), Value::String(e.manager.clone()));
            m.insert("operation".into(), Value::String(e.operation.clone()));
            m.insert("apiVersion".into(), Value::String(e.api_version.clone()));
            m.insert("time".into(), Value::String(e.time.clone()));
            m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
            m.insert("fieldsV1".into(), to_fields_v1(&e.fields));
            if !e.subresource.is_empty() {
                m.insert("subresource".into(), Value::String(e.subresource.clone()));
            }
            Value::Object(m)
        })
        .collect();
    let meta = super::meta::meta_mut(obj);
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// Records a non-apply write (`operation: Update`) by `manager`: the fields it changed or added
/// become its own and are taken from every other manager; removed fields are dropped from all.
/// `new` gets the resulting `managedFields` (starting from `old`'s).
#[allow(clippy::too_many_arguments)]
pub(crate) fn track_update(
    old: Option<&Value>,
    new: &mut Value,
    schema: Option<&Schema>,
    part: Part,
    manager: &str,
    api_version: &str,
    subresource: &str,
    now: &str,
) {
    let old_set = old.map(|o| field_set(o, schema, part)).unwrap_or_default();
    let new_set = field_set(new, schema, part);
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| old.and_then(|o| value_at(o, p, schema)) != value_at(new, p, schema))
        .cloned()
        .collect();
    let removed: FieldSet = old_set.difference(&new_set).cloned().collect();
    let mut entries = old.map(read_entries).unwrap_or_default();
    if changed.is_empty() && removed.is_empty() {
        write_entries(new, &entries);
        return;
    }
    for e in &mut entries {
        e.fields.retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    let mine = entries
        .iter()
        .position(|e| e.manager == manager && e.operation == "Update" && e.subresource == subresource);
    let i = match mine {
        Some(i) => i,
        None => {
            entries.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: subresource.to_string(),
                fields: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    let e = &mut entries[i];
    e.fields.extend(changed);
    e.time = now.to_string();
    e.api_version = api_version.to_string();
    write_entries(new, &entries);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ports_schema() -> Schema {
        let port = Schema {
            properties: [
                ("port".to_string(), Schema::typed("integer")),
                ("name".to_string(), Schema::typed("string")),
            ]
            .into_iter()
            .collect(),
            ..Schema::typed("object")
        };
        let ports = Schema {
            list_type: Some("map".into()),
            list_map_keys: vec!["port".into()],
            items: Some(Box::new(port)),
            ..Schema::typed("array")
        };
        let spec = Schema {
            properties: [
                ("ports".to_string(), ports),
                ("replicas".to_string(), Schema::typed("integer")),
            ]
            .into_iter()
            .collect(),
            ..Schema::typed("object")
        };
        Schema {
            properties: [("spec".to_string(), spec)].into_iter().collect(),
            ..Schema::typed("object")
        }
    }

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let s = ports_schema();
        let obj = json!({
            "apiVersion": "x/v1", "kind": "K",
            "metadata": {"name": "a", "labels": {"app": "x"}, "finalizers": ["f"]},
            "spec": {"replicas": 1, "ports": [{"port": 80, "name": "http"}]},
        });
        let set = field_set(&obj, Some(&s), Part::All);
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1,
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"f\"": {}}},
                "f:spec": {"f:replicas": {}, "f:ports": {"k:{\"port\":80}": {".": {}, "f:port": {}, "f:name": {}}}}
            })
        );
        assert_eq!(from_fields_v1(&v1), set);
        let port_path = vec![
            Pe::F("spec".into()),
            Pe::F("ports".into()),
            Pe::K("{\"port\":80}".into()),
            Pe::F("name".into()),
        ];
        assert_eq!(value_at(&obj, &port_path, Some(&s)), Some(&json!("http")));
        assert_eq!(display(&port_path), ".spec.ports[port=80].name");
    }

    #[test]
    fn updates_take_ownership_of_changed_fields() {
        let old = json!({"metadata": {"name": "a"}, "spec": {"a": 1, "b": 2}});
        let mut first = old.clone();
        track_update(None, &mut first, None, Part::All, "one", "v1", "", "t");
        let mut second = first.clone();
        second["spec"]["b"] = json!(3);
        track_update(Some(&first), &mut second, None, Part::All, "two", "v1", "", "t");
        let e = read_entries(&second);
        assert_eq!(e.len(), 2);
        assert_eq!(to_fields_v1(&e[0].fields), json!({"f:spec": {"f:a": {}}}));
        assert_eq!(to_fields_v1(&e[1].fields), json!({"f:spec": {"f:b": {}}}));
    }
}
