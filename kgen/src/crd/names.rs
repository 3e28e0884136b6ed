//! Resource names and version ordering.

use std::cmp::Ordering;

/// The default plural of a kind: a real English plural (irregular nouns included), lower-cased.
pub fn plural(kind: &str) -> String {
    cruet::to_plural(&kind.to_ascii_lowercase())
}

/// Kubernetes version priority (as `kubectl` and the API server sort versions): GA before beta
/// before alpha, higher numbers first; names that do not look like versions last, alphabetically.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// `v2beta3` → (stability 1, 2, 3); a higher tuple is a higher priority.
fn parse(v: &str) -> Option<(u8, u64, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.starts_with('0') {
        return None;
    }
    let major: u64 = digits.parse().ok()?;
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return Some((2, major, 0));
    }
    let (stability, num) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        return None;
    };
    if num.is_empty() || num.starts_with('0') || !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((stability, major, num.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_are_english() {
        assert_eq!(plural("Kluster"), "klusters");
        assert_eq!(plural("Policy"), "policies");
        assert_eq!(plural("Ingress"), "ingresses");
        assert_eq!(plural("Person"), "people");
        assert_eq!(plural("Child"), "children");
    }

    #[test]
    fn versions_sort_by_priority() {
        let mut v = vec![
            "v1alpha1", "v1", "v2beta1", "v1beta2", "v1beta1", "v2", "foo", "v10", "v1alpha2",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            vec![
                "v10", "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha2", "v1alpha1", "foo"
            ]
        );
    }
}
