//! CRD-level rules the API server applies beyond the schema (`shared/reference/apiserver-crd-rules.md`
//! sections 1 and 2), each a named check returning the problem in the API server's words.

/// The API server's limit on a version's `deprecationWarning`, in bytes.
pub const MAX_DEPRECATION_WARNING: usize = 256;
/// The most all annotations of an object may take together (`TotalAnnotationSizeLimitB`).
pub const MAX_ANNOTATIONS: usize = 256 * 1024;

/// `validateDeprecationWarning`: non-empty, at most 256 bytes, printable UTF-8.
pub fn deprecation_warning(w: &str) -> Result<(), String> {
    if w.is_empty() {
        return Err("deprecationWarning must not be empty when set".into());
    }
    if w.len() > MAX_DEPRECATION_WARNING {
        return Err(format!(
            "deprecationWarning must be no more than {MAX_DEPRECATION_WARNING} bytes, but is {}",
            w.len()
        ));
    }
    if let Some((i, c)) = w.char_indices().find(|(_, c)| c.is_control()) {
        return Err(format!(
            "deprecationWarning must only contain printable UTF-8 characters; non-printable character {c:?} found at index {i}"
        ));
    }
    Ok(())
}

/// A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
/// characters of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !is_dns_subdomain(p)
    {
        return Err(format!(
            "key `{key}`: the prefix `{p}` must be a DNS subdomain (lower-case, dot-separated, at most 253 characters)"
        ));
    }
    if !is_label_value(name) || name.is_empty() {
        return Err(format!(
            "key `{key}`: the name part must be 1 to 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn label_value(v: &str) -> Result<(), String> {
    if is_label_value(v) {
        Ok(())
    } else {
        Err(format!(
            "label value `{v}` must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ))
    }
}

fn is_label_value(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    let b = v.as_bytes();
    v.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// The annotations together fit the 256 KiB the API server allows.
pub fn annotations_size<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), String> {
    let total: usize = pairs.into_iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_ANNOTATIONS {
        return Err(format!(
            "annotations are {total} bytes together; the API server allows {MAX_ANNOTATIONS}"
        ));
    }
    Ok(())
}

/// Groups that only Kubernetes' own API reviews may use without `api-approved.kubernetes.io`.
pub fn is_protected_group(group: &str) -> bool {
    group == "k8s.io" || group.ends_with(".k8s.io") || group == "kubernetes.io" || group.ends_with(".kubernetes.io")
}

/// The value of `api-approved.kubernetes.io`: a URL with a scheme and a host, or `unapproved...`.
pub fn api_approval(value: &str) -> Result<(), String> {
    if value.starts_with("unapproved") {
        return Ok(());
    }
    match value.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(format!(
            "api-approved.kubernetes.io `{value}` must be the URL of the API review (scheme and host) or start with `unapproved`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deprecation_warnings() {
        assert!(deprecation_warning("v1beta1 is deprecated; use v1").is_ok());
        assert!(deprecation_warning("").is_err());
        assert!(
            deprecation_warning(&"x".repeat(257))
                .unwrap_err()
                .contains("no more than 256 bytes")
        );
        // Bytes, not characters: 129 two-byte characters are 258 bytes.
        assert!(deprecation_warning(&"é".repeat(129)).is_err());
        assert!(deprecation_warning("tab\there").unwrap_err().contains("printable"));
    }

    #[test]
    fn labels_and_annotations() {
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("simple").is_ok());
        assert!(qualified_name("Bad_Prefix/x").is_err());
        assert!(qualified_name("a/").is_err());
        assert!(qualified_name(&"x".repeat(64)).is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_3-x").is_ok());
        assert!(label_value("-x").is_err());
        assert!(label_value("has space").is_err());
        assert!(annotations_size([("k", "v")]).is_ok());
        let big = "x".repeat(MAX_ANNOTATIONS);
        assert!(annotations_size([("k", big.as_str())]).is_err());
    }

    #[test]
    fn protected_groups_need_approval() {
        assert!(is_protected_group("k8s.io"));
        assert!(is_protected_group("storage.k8s.io"));
        assert!(is_protected_group("x.kubernetes.io"));
        assert!(!is_protected_group("kgen.dev"));
        assert!(!is_protected_group("notk8s.io"));
        assert!(api_approval("https://github.com/kubernetes/enhancements/pull/1111").is_ok());
        assert!(api_approval("unapproved, experimental").is_ok());
        assert!(api_approval("yes").is_err());
    }
}
