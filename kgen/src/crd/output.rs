//! Rendering CRDs as YAML: header, `---`, keys sorted, descriptions optionally shortened.

use super::Crd;
use serde::Serialize;
use serde_json::Value;

/// The default header, from `templates/crd-header.yaml`.
pub const DEFAULT_HEADER: &str = include_str!("../../templates/crd-header.yaml");

/// Serialises a JSON value with every map's keys sorted, whatever serde_json's map order is.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut map = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    map.serialize_entry(k, &Sorted(&m[k]))?;
                }
                map.end()
            }
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(&Sorted(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Renders one CRD: the header (with a trailing newline), `---`, then YAML with sorted keys.
pub fn render(crd: &Crd, header: &str, max_desc_len: Option<usize>) -> String {
    render_value(&with_max_desc_len(crd, max_desc_len), header)
}

/// The CRD as it will be written: descriptions shortened to `max_desc_len` bytes if given.
pub fn with_max_desc_len(crd: &Crd, max_desc_len: Option<usize>) -> Value {
    let mut value = crd.value.clone();
    if let Some(n) = max_desc_len
        && let Some(versions) = value.pointer_mut("/spec/versions").and_then(Value::as_array_mut)
    {
        for v in versions {
            if let Some(schema) = v.pointer_mut("/schema/openAPIV3Schema") {
                shorten_descriptions(schema, n);
            }
        }
    }
    value
}

/// Renders a CRD value (from [`with_max_desc_len`]) after `header`.
pub fn render_value(value: &Value, header: &str) -> String {
    let body = serde_saphyr::to_string(&Sorted(value)).expect("CRD values serialise to YAML");
    let mut out = String::with_capacity(header.len() + body.len() + 5);
    out.push_str(header);
    if !header.is_empty() && !header.ends_with('\n') {
        out.push('\n');
    }
    if !body.starts_with("---") {
        out.push_str("---\n");
    }
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Applies `--max-desc-len` to a schema node and everything below it (but not to a property that
/// happens to be called `description`).
pub fn shorten_descriptions(node: &mut Value, max: usize) {
    let Value::Object(map) = node else { return };
    if let Some(Value::String(d)) = map.get("description").cloned() {
        if max == 0 {
            map.remove("description");
        } else {
            map.insert("description".into(), Value::String(truncate(&d, max)));
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(|p| shorten_descriptions(p, max));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            shorten_descriptions(child, max);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(list)) = map.get_mut(key) {
            list.iter_mut().for_each(|p| shorten_descriptions(p, max));
        }
    }
}

/// Cuts `text` to at most `max` bytes: back to the last sentence end, else the last space plus
/// `...`, else a hard cut plus `...` (controller-gen's rule).
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    if let Some(i) = head.rfind(['.', '!', '?']) {
        return head[..=i].to_string();
    }
    if let Some(i) = head.rfind(char::is_whitespace) {
        return format!("{}...", head[..i].trim_end());
    }
    format!("{head}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truncation_prefers_sentences_then_words() {
        assert_eq!(truncate("One. Two three four.", 12), "One.");
        assert_eq!(truncate("one two three", 9), "one two...");
        assert_eq!(truncate("abcdefgh", 4), "abcd...");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééééé", 3), "é...");
    }

    #[test]
    fn shortening_skips_property_names() {
        let mut s = json!({"description": "Long text here.", "properties": {"description": {"type": "string", "description": "x y z"}}});
        shorten_descriptions(&mut s, 0);
        assert_eq!(s, json!({"properties": {"description": {"type": "string"}}}));
    }

    #[test]
    fn rendering_sorts_keys_and_starts_documents() {
        let crd = Crd {
            group: "g.io".into(),
            kind: "K".into(),
            plural: "ks".into(),
            value: json!({"spec": {"b": 1, "a": [{"zeta": true, "alpha": "x"}]}, "apiVersion": "v"}),
            location: crate::diag::Location::file_start(std::path::Path::new("x.rs")),
        };
        let y = render(&crd, "# h\n", None);
        assert!(y.starts_with("# h\n---\n"), "{y}");
        let a = y.find("apiVersion").unwrap();
        let s = y.find("spec").unwrap();
        assert!(a < s);
        assert!(y.find("alpha: x").unwrap() < y.find("zeta: true").unwrap(), "{y}");
    }
}
