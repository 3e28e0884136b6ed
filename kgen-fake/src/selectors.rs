//! Label and field selectors, parsed from the `labelSelector` / `fieldSelector` query parameters.

use super::meta::{field_string, labels_of};
use serde_json::Value;

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq)]
enum LabelReq {
    /// `k=v`, `k==v`.
    Eq(String, String),
    /// `k!=v` (also true when the label is absent).
    NotEq(String, String),
    /// `k in (a,b)`.
    In(String, Vec<String>),
    /// `k notin (a,b)` (also true when the label is absent).
    NotIn(String, Vec<String>),
    /// `k`.
    Exists(String),
    /// `!k`.
    DoesNotExist(String),
    /// `k>n`, `k<n`: the label's value is an integer greater / less than `n`.
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed label selector: all requirements must hold. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LabelSelector(Vec<LabelReq>);

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced parentheses in {s:?}"));
                }
                cur.push(c);
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced parentheses in {s:?}"));
    }
    out.push(cur);
    Ok(out)
}

fn check_key(k: &str) -> Result<String, String> {
    let k = k.trim();
    let ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(k.to_string())
    } else {
        Err(format!("invalid label key {k:?}"))
    }
}

fn check_value(v: &str) -> Result<String, String> {
    let v = v.trim();
    let ok = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!("invalid label value {v:?}"))
    }
}

fn parse_set(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("expected a parenthesised set of values, got {s:?}"))?;
    inner.split(',').map(check_value).collect()
}

/// Splits `term` at the first ` <word> ` operator (`in`, `notin`), outside values.
fn split_word_op<'a>(term: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let pat = format!(" {word} ");
    let i = term.find(&pat)?;
    Some((&term[..i], &term[i + pat.len()..]))
}

impl LabelSelector {
    /// Parses the selector syntax of `labelSelector`: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(LabelSelector::default());
        }
        let mut reqs = Vec::new();
        for term in split_top(s)? {
            let t = term.trim();
            if t.is_empty() {
                return Err(format!("empty requirement in {s:?}"));
            }
            let req = if let Some((k, set)) = split_word_op(t, "notin") {
                LabelReq::NotIn(check_key(k)?, parse_set(set)?)
            } else if let Some((k, set)) = split_word_op(t, "in") {
                LabelReq::In(check_key(k)?, parse_set(set)?)
            } else if let Some((k, v)) = t.split_once("!=") {
                LabelReq::NotEq(check_key(k)?, check_value(v)?)
            } else if let Some((k, v)) = t.split_once("==") {
                LabelReq::Eq(check_key(k)?, check_value(v)?)
            } else if let Some((k, v)) = t.split_once('=') {
                LabelReq::Eq(check_key(k)?, check_value(v)?)
            } else if let Some((k, v)) = t.split_once('>') {
                let n = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected an integer after '>' in {t:?}"))?;
                LabelReq::Gt(check_key(k)?, n)
            } else if let Some((k, v)) = t.split_once('<') {
                let n = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected an integer after '<' in {t:?}"))?;
                LabelReq::Lt(check_key(k)?, n)
            } else if let Some(k) = t.strip_prefix('!') {
                LabelReq::DoesNotExist(check_key(k)?)
            } else {
                LabelReq::Exists(check_key(t)?)
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// True if the object's `metadata.labels` satisfy every requirement.
    pub(crate) fn matches(&self, obj: &Value) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let labels = labels_of(obj);
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::DoesNotExist(k) => get(k).is_none(),
            LabelReq::Gt(k, n) => get(k).and_then(|x| x.parse::<i64>().ok()).is_some_and(|x| x > *n),
            LabelReq::Lt(k, n) => get(k).and_then(|x| x.parse::<i64>().ok()).is_some_and(|x| x < *n),
        })
    }
}

/// A parsed field selector: `field=value`, `field==value`, `field!=value`, comma-separated.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses `s`; every field must be one of `supported` (paths without the leading dot).
    pub(crate) fn parse(s: &str, supported: &[String]) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(FieldSelector::default());
        }
        let mut out = Vec::new();
        for term in s.split(',') {
            let t = term.trim();
            let (field, eq, value) = if let Some((f, v)) = t.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = t.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = t.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!("invalid selector: '{t}'; can't understand '{t}'"));
            };
            let field = field.trim().trim_start_matches('.');
            if !supported.iter().any(|p| p.trim_start_matches('.') == field) {
                return Err(format!("field label not supported: {field}"));
            }
            out.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    /// True if every term holds for `obj`.
    pub(crate) fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(field, eq, value)| {
            let actual = field_string(obj, field);
            (actual == *value) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "n", "namespace": "ns", "labels": labels}, "spec": {"color": "red"}})
    }

    #[test]
    fn label_operators() {
        let o = obj(json!({"app": "web", "tier": "front", "n": "5"}));
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&o);
        assert!(m(""));
        assert!(m("app=web"));
        assert!(m("app==web"));
        assert!(!m("app=db"));
        assert!(m("app!=db"));
        assert!(m("missing!=x"));
        assert!(m("tier in (front, back)"));
        assert!(!m("tier notin (front)"));
        assert!(m("missing notin (front)"));
        assert!(m("app,!missing"));
        assert!(!m("!app"));
        assert!(m("n>4,n<6"));
        assert!(m("app=web,tier in (front)"));
        assert!(!m("app=web,tier in (back)"));
    }

    #[test]
    fn label_syntax_errors() {
        assert!(LabelSelector::parse("a in (b").is_err());
        assert!(LabelSelector::parse("a=b,,c").is_err());
        assert!(LabelSelector::parse("a=b c").is_err());
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        let supported = vec!["metadata.name".to_string(), ".spec.color".to_string()];
        let m = |s: &str| FieldSelector::parse(s, &supported).unwrap().matches(&o);
        assert!(m("metadata.name=n"));
        assert!(m("metadata.name!=x"));
        assert!(m("spec.color==red,metadata.name=n"));
        assert!(!m("spec.color=blue"));
        assert_eq!(
            FieldSelector::parse("spec.size=1", &supported).unwrap_err(),
            "field label not supported: spec.size"
        );
    }
}
