//! Server-side apply (`application/apply-patch+yaml`): merging an applied configuration into the
//! live object, field ownership per manager, and conflicts.
//!
//! What is implemented: the applied fields become the applier's (`operation: Apply` entry in
//! `managedFields`); objects merge field by field, `x-kubernetes-list-type: map` lists merge item
//! by item on their keys, `set` lists by union, other lists (and every list of a kind without a
//! schema) are replaced; fields the applier applied before and no longer applies are removed
//! unless another manager owns them; a `null` in the applied configuration removes the field.
//! Applying a value different from the live one to a field another manager owns is a 409
//! conflict naming the managers and fields, unless `force=true`, which takes the field over.
//!
//! Simplified compared with the API server's structured-merge-diff: no version conversion of
//! managed fields, no `x-kubernetes-patch-merge-key` of built-in kinds (their lists are atomic),
//! and an `Update` entry of the applier's own manager name never conflicts with it.

use super::fields::{
    Entry, FieldPath, FieldSet, ListKind, Part, child_schema, display, field_set, item_key, list_kind, read_entries,
    remove_at, value_at, write_entries,
};
use kgen_schema::Schema;
use serde_json::{Map, Value};

/// A field another manager owns with a different value.
pub(crate) struct Conflict {
    pub manager: String,
    pub path: FieldPath,
}

impl Conflict {
    /// `conflict with "mgr" using v1: .spec.replicas` style message, for all conflicts.
    pub(crate) fn message(conflicts: &[Conflict]) -> String {
        let n = conflicts.len();
        let parts: Vec<String> = conflicts
            .iter()
            .map(|c| format!("conflict with \"{}\": {}", c.manager, display(&c.path)))
            .collect();
        format!(
            "Apply failed with {n} conflict{}: {}",
            if n == 1 { "" } else { "s" },
            parts.join("\n")
        )
    }
}

/// Merges `applied` into `live` (see the module docs).
pub(crate) fn merge(live: &mut Value, applied: &Value, schema: Option<&Schema>, root: bool) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                if root && (k == "apiVersion" || k == "kind") {
                    l.insert(k.clone(), av.clone());
                    continue;
                }
                if av.is_null() {
                    l.remove(k);
                    continue;
                }
                let cs = child_schema(schema, k, root);
                match l.get_mut(k) {
                    Some(lv) => merge_value(lv, av, cs),
                    None => {
                        l.insert(k.clone(), av.clone());
                    }
                }
            }
        }
        (l, a) => *l = a.clone(),
    }
}

fn merge_value(live: &mut Value, applied: &Value, s: Option<&Schema>) {
    match (&mut *live, applied) {
        (Value::Object(_), Value::Object(_)) if s.is_none_or(|s| s.map_type.as_deref() != Some("atomic")) => {
            merge(live, applied, s, false)
        }
        (Value::Array(l), Value::Array(a)) => match list_kind(s) {
            ListKind::Map(keys) => {
                let item_schema = s.and_then(|s| s.items.as_deref());
                for ai in a {
                    let k = item_key(ai, keys);
                    match l.iter_mut().find(|li| item_key(li, keys) == k) {
                        Some(li) => merge_value(li, ai, item_schema),
                        None => l.push(ai.clone()),
                    }
                }
            }
            ListKind::Set => {
                for ai in a {
                    if !l.contains(ai) {
                        l.push(ai.clone());
                    }
                }
            }
            ListKind::Atomic => *live = applied.clone(),
        },
        _ => *live = applied.clone(),
    }
}

/// The outcome of an apply: the merged object with its `managedFields`.
pub(crate) struct Applied {
    pub object: Value,
}

/// Applies `applied` (already restricted to `part`) by `manager` onto `live` (`None`: the object
/// is created). Returns the merged object with updated `managedFields`, or the conflicts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    live: Option<&Value>,
    applied: &Value,
    schema: Option<&Schema>,
    part: Part,
    manager: &str,
    force: bool,
    api_version: &str,
    subresource: &str,
    now: &str,
) -> Result<Applied, Vec<Conflict>> {
    let applied_set = field_set(applied, schema, part);
    let Some(live) = live else {
        let mut object = applied.clone();
        let entries = vec![Entry {
            manager: manager.to_string(),
            operation: "Apply".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            subresource: subresource.to_string(),
            fields: applied_set,
        }];
        write_entries(&mut object, &entries);
        return Ok(Applied { object });
    };
    let mut entries = read_entries(live);

    // Conflicts: a different value for a field owned by another manager.
    let mut conflicts = Vec::new();
    for p in &applied_set {
        if matches!(p.last(), Some(super::fields::Pe::K(_))) {
            continue;
        }
        let lv = value_at(live, p, schema);
        if lv.is_none() || lv == value_at(applied, p, schema) {
            continue;
        }
        for e in &entries {
            if e.manager != manager && e.fields.contains(p) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    path: p.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        if !force {
            return Err(conflicts);
        }
        for c in &conflicts {
            for e in &mut entries {
                if e.manager != manager {
                    e.fields.remove(&c.path);
                }
            }
        }
    }

    let mut object = live.clone();
    merge(&mut object, applied, schema, true);

    // Fields applied before and not any more are removed unless someone else owns them.
    let mine = entries
        .iter()
        .position(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource);
    let previous: FieldSet = mine.map(|i| entries[i].fields.clone()).unwrap_or_default();
    let others: Vec<&Entry> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != mine)
        .map(|(_, e)| e)
        .collect();
    let owned_by_others = |p: &[super::fields::Pe]| others.iter().any(|e| e.fields.contains(p));
    for p in previous.difference(&applied_set) {
        if !owned_by_others(p) {
            remove_at(&mut object, p, schema, &|q| {
                owned_by_others(q) || applied_set.contains(q)
            });
        }
    }

    let entry = Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        time: now.to_string(),
        subresource: subresource.to_string(),
        fields: applied_set,
    };
    match mine {
        Some(i) => entries[i] = entry,
        None => entries.push(entry),
    }
    write_entries(&mut object, &entries);
    Ok(Applied { object })
}

/// `applied` restricted to the top-level fields of `part` (plus `apiVersion`, `kind` and
/// `metadata`, which every part carries).
pub(crate) fn restrict(applied: &Value, part: Part) -> Value {
    let Some(m) = applied.as_object() else {
        return applied.clone();
    };
    let keep = |k: &str| match part {
        Part::All => true,
        Part::Main => k != "status",
        Part::Status => matches!(k, "status" | "apiVersion" | "kind" | "metadata"),
    };
    Value::Object(
        m.iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_merges_and_removes_dropped_fields() {
        let a1 =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
        let first = apply(None, &a1, None, Part::All, "m", false, "v1", "", "t")
            .ok()
            .unwrap()
            .object;
        let a2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let second = apply(Some(&first), &a2, None, Part::All, "m", false, "v1", "", "t")
            .ok()
            .unwrap()
            .object;
        assert_eq!(second["data"], json!({"a": "1"}));
    }

    #[test]
    fn conflicting_managers() {
        let a1 = json!({"metadata": {"name": "c"}, "data": {"a": "1"}});
        let first = apply(None, &a1, None, Part::All, "one", false, "v1", "", "t")
            .ok()
            .unwrap()
            .object;
        let a2 = json!({"metadata": {"name": "c"}, "data": {"a": "2"}});
        let Err(c) = apply(Some(&first), &a2, None, Part::All, "two", false, "v1", "", "t") else {
            panic!("expected a conflict");
        };
        assert_eq!(
            Conflict::message(&c),
            "Apply failed with 1 conflict: conflict with \"one\": .data.a"
        );
        let forced = apply(Some(&first), &a2, None, Part::All, "two", true, "v1", "", "t")
            .ok()
            .unwrap()
            .object;
        assert_eq!(forced["data"]["a"], json!("2"));
        let entries = read_entries(&forced);
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].manager, "two");
    }
}
