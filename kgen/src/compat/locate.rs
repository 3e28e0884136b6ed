//! Where to point a change: the line of a field (or of `spec.conversion`, or of a selectable
//! field) in a released YAML file, for what the new CRD no longer has; or the Rust field or
//! marker of the new schema.

use super::report::{Change, FieldPath, Step};
use crate::diag::Location;
use crate::schema::Schema;
use std::path::Path;
use std::sync::Arc;

/// One line of YAML as far as finding keys needs.
struct Line<'a> {
    /// Spaces before the text (before the `- ` of a sequence item).
    indent: usize,
    /// Column (0-based) of the key: after `- ` for a sequence item.
    key_indent: usize,
    /// True for a line starting `- `.
    item: bool,
    /// The key, unquoted, if the line is `key: ...` or `key:`.
    key: Option<&'a str>,
    /// What follows `key:`, trimmed and unquoted.
    value: &'a str,
    /// Blank, a comment or a document marker.
    skip: bool,
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn parse(line: &str) -> Line<'_> {
    let line = line.trim_end();
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let skip = rest.trim().is_empty() || rest.starts_with('#') || rest.starts_with("---");
    let (item, body, key_indent) = match rest.strip_prefix("- ") {
        Some(b) => (true, b, indent + 2),
        None => (rest == "-", rest, indent),
    };
    let (key, value) = match body
        .split_once(": ")
        .or_else(|| body.strip_suffix(':').map(|k| (k, "")))
    {
        Some((k, v)) if !k.trim().is_empty() => (Some(unquote(k)), unquote(v)),
        _ => (None, ""),
    };
    Line {
        indent,
        key_indent,
        item,
        key,
        value,
        skip,
    }
}

/// The direct child `key` of the line at `parent`, searched up to `end`.
fn child(lines: &[Line], parent: usize, end: usize, key: &str) -> Option<usize> {
    let p = &lines[parent];
    let mut child_indent = None;
    for (i, l) in lines.iter().enumerate().take(end).skip(parent + 1) {
        if l.skip {
            continue;
        }
        // A sequence may sit at its key's own indent (`required:\n- a`).
        let in_block = l.key_indent > p.key_indent || (l.item && l.indent == p.key_indent);
        if !in_block {
            return None;
        }
        let ci = *child_indent.get_or_insert(l.key_indent);
        if l.key_indent == ci && l.key == Some(key) {
            return Some(i);
        }
    }
    None
}

/// The item of the sequence under `list` whose `key` is `value`: the line of that key.
fn list_item(lines: &[Line], list: usize, end: usize, key: &str, value: &str) -> Option<usize> {
    let base = lines[list].key_indent;
    (list + 1..end)
        .take_while(|i| {
            let l = &lines[*i];
            l.skip || l.key_indent > base || (l.item && l.indent == base)
        })
        .find(|i| lines[*i].key == Some(key) && lines[*i].value == value)
}

/// The line (1-based) and column of the deepest part of `change`'s CRD / version / path (or
/// CRD-level `keyword`, or list `entry`) found in `text`, the YAML of a released file; line 1
/// when not even the CRD is found.
fn find(text: &str, change: &Change) -> (usize, usize) {
    let (crd, version, path) = (change.crd.as_str(), change.version.as_deref(), change.path.as_ref());
    let lines: Vec<Line> = text.lines().map(parse).collect();
    let pos = |i: usize| (i + 1, lines[i].key_indent + 1);
    let Some(start) = lines.iter().position(|l| l.key == Some("name") && l.value == crd) else {
        return (1, 1);
    };
    // The document ends at the next `---` (or `...`).
    let end = text
        .lines()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| l.starts_with("---") || l.starts_with("..."))
        .map_or(lines.len(), |(i, _)| i);
    let Some(version) = version else {
        // `spec.conversion`: at its strategy.
        let spec = (start..end).find(|i| lines[*i].key == Some("spec") && lines[*i].key_indent == 0);
        let conversion = spec
            .filter(|_| change.keyword == Some("conversion"))
            .and_then(|s| child(&lines, s, end, "conversion"));
        return match conversion {
            Some(c) => pos(child(&lines, c, end, "strategy").unwrap_or(c)),
            None => pos(start),
        };
    };
    let Some(versions) = (start..end).find(|i| lines[*i].key == Some("versions")) else {
        return pos(start);
    };
    // Version items: `- ` lines at the first item's indent, until the block ends.
    let base = lines[versions].key_indent;
    let mut item_indent = None;
    let mut found = None;
    let mut item_start = versions;
    for (i, l) in lines.iter().enumerate().take(end).skip(versions + 1) {
        if l.skip {
            continue;
        }
        if l.key_indent <= base && !(l.item && l.indent == base) {
            break;
        }
        let d = *item_indent.get_or_insert(l.indent);
        if l.item && l.indent == d {
            item_start = i;
        }
        if l.key == Some("name") && l.key_indent == d + 2 && l.value == version {
            found = Some((item_start, i));
            break;
        }
    }
    let Some((item, name_line)) = found else {
        return pos(start);
    };
    let d = lines[item].indent;
    let item_end = lines
        .iter()
        .enumerate()
        .take(end)
        .skip(item + 1)
        .find(|(_, l)| !l.skip && (l.indent < d || (l.indent == d && l.item) || l.key_indent <= base && !l.item))
        .map_or(end, |(i, _)| i);
    let Some(path) = path else {
        // A selectable field: at its `jsonPath` entry.
        let list = (change.keyword == Some("selectableFields"))
            .then(|| {
                (item..item_end).find(|i| lines[*i].key == Some("selectableFields") && lines[*i].key_indent == d + 2)
            })
            .flatten();
        let entry = list
            .zip(change.entry.as_deref())
            .and_then(|(l, e)| list_item(&lines, l, item_end, "jsonPath", e).or(Some(l)));
        return pos(entry.unwrap_or(name_line));
    };
    let schema = (item..item_end).find(|i| lines[*i].key == Some("schema") && lines[*i].key_indent == d + 2);
    let Some(mut at) = schema.and_then(|s| child(&lines, s, item_end, "openAPIV3Schema")) else {
        return pos(name_line);
    };
    for step in &path.0 {
        let next = match step {
            Step::Property(name) => {
                child(&lines, at, item_end, "properties").and_then(|p| child(&lines, p, item_end, name))
            }
            Step::Items => child(&lines, at, item_end, "items"),
            Step::Values => child(&lines, at, item_end, "additionalProperties"),
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    pos(at)
}

/// Where `change` (its CRD, version and path, or its CRD-level keyword and list entry) is in the
/// released `file` (whose text is `text`).
pub fn in_yaml(file: &Path, text: &str, change: &Change) -> Location {
    let (line, column) = find(text, change);
    Location::new(Arc::new(file.to_path_buf()), line, column)
}

/// Where the node at `path` of a new schema comes from: the marker that set `keyword` (or the
/// rule's marker), else the field, else the nearest enclosing field that has a location.
pub fn in_schema(root: &Schema, path: &FieldPath, keyword: Option<&str>, rule: Option<&str>) -> Option<Location> {
    let mut nodes = vec![root];
    for step in &path.0 {
        let node = nodes.last().expect("root");
        let next = match step {
            Step::Property(name) => node.properties.get(name),
            Step::Items => node.items.as_deref(),
            Step::Values => node.additional_properties.as_deref(),
        };
        match next {
            Some(n) => nodes.push(n),
            None => break,
        }
    }
    let node = nodes.last().expect("root");
    let own = rule
        .and_then(|r| {
            node.validations
                .iter()
                .find(|v| v.rule == r)
                .and_then(|v| v.origin.clone())
        })
        .or_else(|| keyword.and_then(|k| node.keyword_origins.get(k).cloned()));
    own.or_else(|| nodes.iter().rev().find_map(|n| n.origin.clone()))
}
