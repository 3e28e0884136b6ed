//! The field-level rules: walks a released `openAPIV3Schema` and the new one in step
//! (`properties`, `items`, `additionalProperties`, and `allOf` / `anyOf` / `oneOf` / `not`) and
//! reports every change that can break stored objects or their clients, and every loosening.
//!
//! A change is breaking when an object the released schema accepted may be refused, pruned,
//! defaulted differently or merged differently by the new one; a loosening (a higher maximum, a
//! removed rule, a wider enum, a new optional field) is safe. Descriptions, titles and examples
//! are not compared.

use super::report::{Change, Class, FieldPath, Step};
use serde_json::{Map, Value};

/// Help for tightened validation.
const BOUND_HELP: &str = "serve a new version for this change, or keep the old bound";
/// Help for a changed type.
const TYPE_HELP: &str = "keep the old type; change it in a new version (with conversion between the two)";

/// Compares two schema nodes at `path` and everything below them, appending to `out`.
pub fn diff_schema(old: &Value, new: &Value, path: &FieldPath, out: &mut Vec<Change>) {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        if old != new {
            out.push(
                Change::new(
                    Class::Breaking,
                    format!("schema changed: {} → {}", show(old), show(new)),
                )
                .at(path)
                .help(TYPE_HELP),
            );
        }
        return;
    };
    if types(o, n, path, out) {
        // The type changed: what lies below is another field now; one error says it.
        return;
    }
    bounds(o, n, path, out);
    enums(o, n, path, out);
    pattern(o, n, path, out);
    rules(o, n, path, out);
    default(o, n, path, out);
    topology(o, n, path, out);
    junctors(o, n, path, out);
    children(o, n, path, out);
}

/// The JSON text of a value, for messages.
fn show(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn flag(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// Type, format and the extensions that change what a value is. True when the type changed.
fn types(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) -> bool {
    let (ot, nt) = (text(o, "type"), text(n, "type"));
    let (oi, ni) = (
        flag(o, "x-kubernetes-int-or-string"),
        flag(n, "x-kubernetes-int-or-string"),
    );
    if ot != nt || oi != ni {
        let name = |t: Option<&str>, ios: bool| match (t, ios) {
            (_, true) => "int-or-string".to_string(),
            (Some(t), false) => t.to_string(),
            (None, false) => "any (untyped)".to_string(),
        };
        let keyword = if ot != nt { "type" } else { "x-kubernetes-int-or-string" };
        out.push(
            Change::new(
                Class::Breaking,
                format!("type changed: {} → {}", name(ot, oi), name(nt, ni)),
            )
            .at(path)
            .keyword(keyword)
            .help(TYPE_HELP),
        );
        return true;
    }
    match (text(o, "format"), text(n, "format")) {
        (None, Some(f)) => out.push(
            Change::new(Class::Breaking, format!("format added: {f}"))
                .at(path)
                .keyword("format")
                .help(BOUND_HELP),
        ),
        (Some(a), Some(b)) if a != b => out.push(
            Change::new(Class::Breaking, format!("format changed: {a} → {b}"))
                .at(path)
                .keyword("format")
                .help(TYPE_HELP),
        ),
        (Some(a), None) => out.push(Change::new(Class::Safe, format!("format {a} removed")).at(path)),
        _ => {}
    }
    let (op, np) = (
        flag(o, "x-kubernetes-preserve-unknown-fields"),
        flag(n, "x-kubernetes-preserve-unknown-fields"),
    );
    if op && !np {
        out.push(
            Change::new(
                Class::Breaking,
                "x-kubernetes-preserve-unknown-fields removed: unknown fields of stored objects are pruned",
            )
            .at(path)
            .keyword("x-kubernetes-preserve-unknown-fields")
            .help("keep x-kubernetes-preserve-unknown-fields on this field, or drop it in a new version"),
        );
    } else if !op && np {
        out.push(Change::new(Class::Safe, "now preserves unknown fields").at(path));
    }
    let (oe, ne) = (
        flag(o, "x-kubernetes-embedded-resource"),
        flag(n, "x-kubernetes-embedded-resource"),
    );
    if oe != ne {
        out.push(
            Change::new(
                Class::Breaking,
                format!("x-kubernetes-embedded-resource changed: {oe} → {ne}"),
            )
            .at(path)
            .keyword("x-kubernetes-embedded-resource")
            .help(TYPE_HELP),
        );
    }
    match (flag(o, "nullable"), flag(n, "nullable")) {
        (true, false) => out.push(
            Change::new(
                Class::Breaking,
                "nullable removed: an explicit null is now refused or pruned",
            )
            .at(path)
            .keyword("nullable")
            .help("keep the field nullable, or make it non-nullable in a new version"),
        ),
        (false, true) => out.push(Change::new(Class::Safe, "now nullable").at(path)),
        _ => {}
    }
    false
}

/// `m[key]` as a number.
fn number(m: &Map<String, Value>, key: &str) -> Option<f64> {
    m.get(key).and_then(Value::as_f64)
}

/// Which way a bound tightens.
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    /// `maximum`, `maxLength`, ...: lower is tighter.
    Upper,
    /// `minimum`, `minLength`, ...: higher is tighter.
    Lower,
}

/// One bound keyword: tightened (lowered / raised, or added) is breaking, loosened is safe.
fn bound(
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    key: &'static str,
    dir: Bound,
    path: &FieldPath,
    out: &mut Vec<Change>,
) {
    // A zero lower bound on a length or a count constrains nothing: as if absent.
    let counts = key != "minimum" && key != "maximum";
    let get = |m: &Map<String, Value>| number(m, key).filter(|v| !(counts && dir == Bound::Lower && *v == 0.0));
    let (was, now) = (get(o), get(n));
    let shown = |m: &Map<String, Value>| m.get(key).map(show).unwrap_or_default();
    let (tighter, looser) = match dir {
        Bound::Upper => ("lowered", "raised"),
        Bound::Lower => ("raised", "lowered"),
    };
    match (was, now) {
        (None, Some(_)) => out.push(
            Change::new(Class::Breaking, format!("{key} added: {}", shown(n)))
                .at(path)
                .keyword(key)
                .help(BOUND_HELP),
        ),
        (Some(a), Some(b)) if a != b => {
            let tightened = match dir {
                Bound::Upper => b < a,
                Bound::Lower => b > a,
            };
            let (class, verb) = if tightened {
                (Class::Breaking, tighter)
            } else {
                (Class::Safe, looser)
            };
            let mut c = Change::new(class, format!("{key} {verb}: {} → {}", shown(o), shown(n)))
                .at(path)
                .keyword(key);
            if tightened {
                c = c.help(BOUND_HELP);
            }
            out.push(c);
        }
        (Some(_), None) => out.push(Change::new(Class::Safe, format!("{key} removed (was {})", shown(o))).at(path)),
        _ => {}
    }
}

/// Numeric, length, count and `multipleOf` / `uniqueItems` rules.
fn bounds(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    for key in ["maximum", "maxLength", "maxItems", "maxProperties"] {
        bound(o, n, key, Bound::Upper, path, out);
    }
    for key in ["minimum", "minLength", "minItems", "minProperties"] {
        bound(o, n, key, Bound::Lower, path, out);
    }
    for (key, limit) in [("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")] {
        match (flag(o, key), flag(n, key)) {
            (false, true) if n.contains_key(limit) => out.push(
                Change::new(
                    Class::Breaking,
                    format!("{key} turned on: the {limit} itself is now refused"),
                )
                .at(path)
                .keyword(key)
                .help(BOUND_HELP),
            ),
            (true, false) => out.push(Change::new(Class::Safe, format!("{key} turned off")).at(path)),
            _ => {}
        }
    }
    match (flag(o, "uniqueItems"), flag(n, "uniqueItems")) {
        (false, true) => out.push(
            Change::new(Class::Breaking, "uniqueItems turned on")
                .at(path)
                .keyword("uniqueItems")
                .help(BOUND_HELP),
        ),
        (true, false) => out.push(Change::new(Class::Safe, "uniqueItems turned off").at(path)),
        _ => {}
    }
    let shown = |m: &Map<String, Value>| m.get("multipleOf").map(show).unwrap_or_default();
    match (number(o, "multipleOf"), number(n, "multipleOf")) {
        (None, Some(_)) => out.push(
            Change::new(Class::Breaking, format!("multipleOf added: {}", shown(n)))
                .at(path)
                .keyword("multipleOf")
                .help(BOUND_HELP),
        ),
        (Some(a), Some(b)) if a != b => {
            // Every multiple of 4 is a multiple of 2: a divisor of the old step loosens.
            let looser = b != 0.0 && (a / b).fract() == 0.0;
            let message = format!("multipleOf changed: {} → {}", shown(o), shown(n));
            out.push(if looser {
                Change::new(Class::Safe, message).at(path)
            } else {
                Change::new(Class::Breaking, message)
                    .at(path)
                    .keyword("multipleOf")
                    .help(BOUND_HELP)
            });
        }
        (Some(_), None) => {
            out.push(Change::new(Class::Safe, format!("multipleOf removed (was {})", shown(o))).at(path))
        }
        _ => {}
    }
}

/// `enum`: added or values removed is breaking; values added or the enum removed is safe.
fn enums(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    let list = |m: &Map<String, Value>| m.get("enum").and_then(Value::as_array).cloned();
    let join = |vs: &[&Value]| vs.iter().map(|v| show(v)).collect::<Vec<_>>().join(", ");
    match (list(o), list(n)) {
        (None, Some(now)) => out.push(
            Change::new(
                Class::Breaking,
                format!("enum added: {}", join(&now.iter().collect::<Vec<_>>())),
            )
            .at(path)
            .keyword("enum")
            .help("serve a new version for this change, or keep the field unrestricted"),
        ),
        (Some(was), Some(now)) => {
            let removed: Vec<&Value> = was.iter().filter(|v| !now.contains(v)).collect();
            let added: Vec<&Value> = now.iter().filter(|v| !was.contains(v)).collect();
            if !removed.is_empty() {
                out.push(
                    Change::new(Class::Breaking, format!("enum values removed: {}", join(&removed)))
                        .at(path)
                        .keyword("enum")
                        .help(
                            "keep the old values (they may be deprecated in the docs), or remove them in a new version",
                        ),
                );
            }
            if !added.is_empty() {
                out.push(Change::new(Class::Safe, format!("enum values added: {}", join(&added))).at(path));
            }
        }
        (Some(_), None) => out.push(Change::new(Class::Safe, "enum removed").at(path)),
        (None, None) => {}
    }
}

/// `pattern`: added or changed is breaking (a changed pattern is not provably wider).
fn pattern(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    match (text(o, "pattern"), text(n, "pattern")) {
        (None, Some(p)) => out.push(
            Change::new(Class::Breaking, format!("pattern added: `{p}`"))
                .at(path)
                .keyword("pattern")
                .help(BOUND_HELP),
        ),
        (Some(a), Some(b)) if a != b => out.push(
            Change::new(Class::Breaking, format!("pattern changed: `{a}` → `{b}`"))
                .at(path)
                .keyword("pattern")
                .help("keep the old pattern, or serve a new version for this change"),
        ),
        (Some(a), None) => out.push(Change::new(Class::Safe, format!("pattern `{a}` removed")).at(path)),
        _ => {}
    }
}

/// `x-kubernetes-validations`, matched by rule text: a new rule is breaking unless it ratchets
/// (`optionalOldSelf: true`); a removed rule is safe; an unchanged rule is not reported.
fn rules(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    let list = |m: &Map<String, Value>| -> Vec<(String, bool)> {
        m.get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| {
                        let rule = r.get("rule")?.as_str()?.to_string();
                        let ratchets = r.get("optionalOldSelf").and_then(Value::as_bool).unwrap_or(false);
                        Some((rule, ratchets))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (was, now) = (list(o), list(n));
    for (rule, ratchets) in &now {
        let change = match was.iter().find(|(r, _)| r == rule) {
            None if *ratchets => Change::new(
                Class::Safe,
                format!("new CEL rule `{rule}` (optionalOldSelf: true, ratcheting)"),
            ),
            None => Change::new(Class::Breaking, format!("new CEL rule `{rule}`")).help(
                "objects stored before may fail it on their next update: add it in a new version, or give it \
                 optionalOldSelf=true and let it pass when oldSelf is set and unchanged",
            ),
            Some((_, true)) if !ratchets => Change::new(
                Class::Breaking,
                format!("CEL rule `{rule}` no longer ratchets (optionalOldSelf removed)"),
            )
            .help("keep optionalOldSelf=true on the rule, or change it in a new version"),
            Some(_) => continue,
        };
        let mut change = change.at(path).keyword("x-kubernetes-validations");
        change.rule = Some(rule.clone());
        out.push(change);
    }
    for (rule, _) in &was {
        if !now.iter().any(|(r, _)| r == rule) {
            out.push(Change::new(Class::Safe, format!("CEL rule `{rule}` removed")).at(path));
        }
    }
}

/// `default`: changed or removed is breaking (objects stored without the field read differently).
fn default(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    match (o.get("default"), n.get("default")) {
        (Some(a), Some(b)) if a != b => out.push(
            Change::new(Class::Breaking, format!("default changed: {} → {}", show(a), show(b)))
                .at(path)
                .keyword("default")
                .help(
                    "keep the old default: objects stored without the field read it back; change it in a new version",
                ),
        ),
        (Some(a), None) => out.push(
            Change::new(Class::Breaking, format!("default removed (was {})", show(a)))
                .at(path)
                .keyword("default")
                .help("keep the default: objects stored without the field relied on it; remove it in a new version"),
        ),
        (None, Some(b)) => out.push(
            Change::new(
                Class::Safe,
                format!(
                    "default added: {} (objects stored without the field get it when read)",
                    show(b)
                ),
            )
            .at(path),
        ),
        _ => {}
    }
}

/// List and map topology, which decides how server-side apply merges. Absent means `atomic`
/// for lists and `granular` for maps, as the API server reads it.
fn topology(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    let help =
        "server-side apply would merge this field differently: keep the old topology, or change it in a new version";
    let is_array = text(n, "type") == Some("array");
    let list_type = |m: &Map<String, Value>| -> Option<String> {
        text(m, "x-kubernetes-list-type")
            .or(is_array.then_some("atomic"))
            .map(String::from)
    };
    if list_type(o) != list_type(n) {
        out.push(
            Change::new(
                Class::Breaking,
                format!(
                    "x-kubernetes-list-type changed: {} → {}",
                    list_type(o).as_deref().unwrap_or("none"),
                    list_type(n).as_deref().unwrap_or("none")
                ),
            )
            .at(path)
            .keyword("x-kubernetes-list-type")
            .help(help),
        );
    }
    let keys = |m: &Map<String, Value>| {
        let mut k: Vec<String> = m
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    let (ok, nk) = (keys(o), keys(n));
    if ok != nk {
        out.push(
            Change::new(
                Class::Breaking,
                format!(
                    "x-kubernetes-list-map-keys changed: [{}] → [{}]",
                    ok.join(", "),
                    nk.join(", ")
                ),
            )
            .at(path)
            .keyword("x-kubernetes-list-map-keys")
            .help(help),
        );
    }
    let map_type = |m: &Map<String, Value>| text(m, "x-kubernetes-map-type").unwrap_or("granular").to_string();
    if map_type(o) != map_type(n) {
        out.push(
            Change::new(
                Class::Breaking,
                format!("x-kubernetes-map-type changed: {} → {}", map_type(o), map_type(n)),
            )
            .at(path)
            .keyword("x-kubernetes-map-type")
            .help(help),
        );
    }
}

/// `allOf`, `anyOf`, `oneOf` and `not` (value validations only, in a structural schema).
/// `allOf` entries and `anyOf` alternatives are compared one by one: a new `allOf` entry
/// tightens, a new `anyOf` alternative loosens. Any other change to `oneOf` or `not` is breaking
/// (neither can be judged entry by entry); removing either is safe.
fn junctors(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    let list = |m: &Map<String, Value>, key: &str| m.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    for key in ["allOf", "anyOf"] {
        let (was, now) = (list(o, key), list(n, key));
        if was == now {
            continue;
        }
        if was.is_empty() {
            out.push(
                Change::new(Class::Breaking, format!("{key} added"))
                    .at(path)
                    .keyword(key)
                    .help(BOUND_HELP),
            );
            continue;
        }
        if now.is_empty() {
            out.push(Change::new(Class::Safe, format!("{key} removed")).at(path));
            continue;
        }
        for i in 0..was.len().max(now.len()) {
            match (was.get(i), now.get(i)) {
                (Some(a), Some(b)) => {
                    let mut inner = Vec::new();
                    diff_schema(a, b, path, &mut inner);
                    for mut c in inner {
                        c.message = format!("{key}[{i}]: {}", c.message);
                        out.push(c);
                    }
                }
                (None, Some(_)) if key == "allOf" => out.push(
                    Change::new(Class::Breaking, format!("allOf[{i}] added"))
                        .at(path)
                        .keyword("allOf")
                        .help(BOUND_HELP),
                ),
                (None, Some(_)) => out.push(Change::new(Class::Safe, format!("anyOf[{i}] added")).at(path)),
                (Some(_), None) if key == "allOf" => {
                    out.push(Change::new(Class::Safe, format!("allOf[{i}] removed")).at(path))
                }
                (Some(_), None) => out.push(
                    Change::new(Class::Breaking, format!("anyOf[{i}] removed"))
                        .at(path)
                        .keyword("anyOf")
                        .help(BOUND_HELP),
                ),
                (None, None) => {}
            }
        }
    }
    for key in ["oneOf", "not"] {
        match (o.get(key), n.get(key)) {
            (a, Some(b)) if a != Some(b) => out.push(
                Change::new(Class::Breaking, format!("{key} changed: {}", show(b)))
                    .at(path)
                    .keyword(key)
                    .help(BOUND_HELP),
            ),
            (Some(_), None) => out.push(Change::new(Class::Safe, format!("{key} removed")).at(path)),
            _ => {}
        }
    }
}

/// `required`, `properties`, `items` and `additionalProperties`, recursing into both sides.
fn children(o: &Map<String, Value>, n: &Map<String, Value>, path: &FieldPath, out: &mut Vec<Change>) {
    let names = |m: &Map<String, Value>| -> Vec<String> {
        m.get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
            .unwrap_or_default()
    };
    let (was_required, now_required) = (names(o), names(n));
    let empty = Map::new();
    let props = |m: &Map<String, Value>| m.get("properties").and_then(Value::as_object).unwrap_or(&empty).clone();
    let (op, np) = (props(o), props(n));
    for name in &now_required {
        if was_required.contains(name) {
            continue;
        }
        let message = if op.contains_key(name) {
            "newly required"
        } else {
            "new required field"
        };
        out.push(
            Change::new(Class::Breaking, message)
                .at(&path.property(name))
                .help("make the field optional (an Option or a default), or require it in a new version"),
        );
    }
    for name in &was_required {
        if !now_required.contains(name) && np.contains_key(name) {
            out.push(Change::new(Class::Safe, "no longer required").at(&path.property(name)));
        }
    }
    for (name, old_child) in &op {
        let child = path.property(name);
        match np.get(name) {
            Some(new_child) => diff_schema(old_child, new_child, &child, out),
            None => out.push(
                Change::new(Class::Breaking, "field removed")
                    .at(&child)
                    .gone()
                    .help("keep the field (mark it deprecated in its doc), or remove it in a new version"),
            ),
        }
    }
    for name in np.keys() {
        if !op.contains_key(name) && !now_required.contains(name) {
            out.push(Change::new(Class::Safe, "new optional field").at(&path.property(name)));
        }
    }
    match (o.get("items"), n.get("items")) {
        (Some(a), Some(b)) => diff_schema(a, b, &path.join(Step::Items), out),
        (Some(_), None) => out.push(
            Change::new(Class::Breaking, "items schema removed")
                .at(path)
                .keyword("items")
                .help(TYPE_HELP),
        ),
        _ => {}
    }
    let values = path.join(Step::Values);
    match (o.get("additionalProperties"), n.get("additionalProperties")) {
        (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) => diff_schema(a, b, &values, out),
        (Some(Value::Bool(true)), Some(Value::Object(_))) => out.push(
            Change::new(Class::Breaking, "map values now have a schema (any value was allowed)")
                .at(&values)
                .keyword("additionalProperties")
                .help(TYPE_HELP),
        ),
        (Some(Value::Object(_)), Some(Value::Bool(true))) => {
            out.push(Change::new(Class::Safe, "map values may now be anything").at(&values))
        }
        (Some(a), Some(b)) if a != b => out.push(
            Change::new(
                Class::Breaking,
                format!("additionalProperties changed: {} → {}", show(a), show(b)),
            )
            .at(&values)
            .keyword("additionalProperties")
            .help(TYPE_HELP),
        ),
        (Some(_), None) => out.push(
            Change::new(Class::Breaking, "map values removed (additionalProperties dropped)")
                .at(&values)
                .gone()
                .help("keep the map, or remove it in a new version"),
        ),
        (None, Some(_)) => out.push(Change::new(Class::Safe, "map values allowed").at(&values)),
        _ => {}
    }
}
