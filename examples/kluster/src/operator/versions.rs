//! `spec.version` against the version a cluster runs: whether an upgrade is asked for, refused
//! (DigitalOcean cannot downgrade) or already done, and which offered upgrade fulfils it.
//!
//! `spec.version` is a DigitalOcean version slug (`1.34.1-do.0`), a minor version (`1.34`: any
//! patch of it is current, an upgrade goes to its newest offered patch) or `latest` (the newest
//! version when the cluster is created; it never asks for an upgrade).

use std::cmp::Ordering;

use crate::digitalocean::KubernetesVersion;

/// A version slug as numbers: major, minor, patch, DigitalOcean revision.
pub type Slug = (u32, u32, u32, u32);

/// What `spec.version` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// `latest`.
    Latest,
    /// `1.34`.
    Minor(u32, u32),
    /// `1.34.1-do.0`.
    Exact(Slug),
    /// Anything else.
    Unparsed(String),
}

/// How `spec.version` compares with the cluster's version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// The cluster runs what the spec asks for.
    Current,
    /// The spec asks for a newer version: an upgrade.
    Upgrade,
    /// The spec asks for an older version, which DigitalOcean cannot do.
    Downgrade,
    /// The spec or the cluster's version cannot be compared (the text says why).
    Unknown(String),
}

/// `1.33.5-do.0` as numbers; `None` for other shapes.
pub fn parse_slug(slug: &str) -> Option<Slug> {
    let (upstream, revision) = slug.split_once("-do.")?;
    let mut parts = upstream.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch, revision.parse().ok()?))
}

/// Reads `spec.version`.
pub fn wanted(spec: &str) -> Wanted {
    let spec = spec.trim();
    if spec == "latest" {
        return Wanted::Latest;
    }
    if let Some(slug) = parse_slug(spec) {
        return Wanted::Exact(slug);
    }
    let mut parts = spec.split('.');
    match (
        parts.next().and_then(|p| p.parse().ok()),
        parts.next().and_then(|p| p.parse().ok()),
        parts.next(),
    ) {
        (Some(major), Some(minor), None) => Wanted::Minor(major, minor),
        _ => Wanted::Unparsed(spec.to_string()),
    }
}

/// Compares `spec.version` with `current`, the slug the cluster runs.
pub fn need(spec: &str, current: &str) -> Need {
    let wanted = wanted(spec);
    if wanted == Wanted::Latest || spec.trim() == current {
        return Need::Current;
    }
    let Some(have) = parse_slug(current) else {
        return Need::Unknown(format!(
            "the cluster's version {current:?} is not a DigitalOcean version slug"
        ));
    };
    let order = match wanted {
        Wanted::Exact(want) => want.cmp(&have),
        Wanted::Minor(major, minor) => (major, minor).cmp(&(have.0, have.1)),
        Wanted::Unparsed(text) => {
            return Need::Unknown(format!(
                "spec.version {text:?} is not a version slug (1.34.1-do.0), a minor version (1.34) or latest"
            ));
        }
        Wanted::Latest => Ordering::Equal,
    };
    match order {
        Ordering::Equal => Need::Current,
        Ordering::Greater => Need::Upgrade,
        Ordering::Less => Need::Downgrade,
    }
}

/// The offered upgrade that fulfils `spec.version`: the slug itself, or the newest patch of the
/// minor version.
pub fn pick(spec: &str, offered: &[KubernetesVersion]) -> Option<String> {
    match wanted(spec) {
        Wanted::Exact(want) => offered
            .iter()
            .find(|v| parse_slug(&v.slug) == Some(want))
            .map(|v| v.slug.clone()),
        Wanted::Minor(major, minor) => offered
            .iter()
            .filter_map(|v| parse_slug(&v.slug).map(|s| (s, &v.slug)))
            .filter(|(s, _)| (s.0, s.1) == (major, minor))
            .max_by_key(|(s, _)| *s)
            .map(|(_, slug)| slug.clone()),
        Wanted::Latest | Wanted::Unparsed(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(slugs: &[&str]) -> Vec<KubernetesVersion> {
        slugs
            .iter()
            .map(|s| KubernetesVersion {
                slug: s.to_string(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn reads_the_spec() {
        assert_eq!(wanted("latest"), Wanted::Latest);
        assert_eq!(wanted("1.34"), Wanted::Minor(1, 34));
        assert_eq!(wanted("1.34.1-do.2"), Wanted::Exact((1, 34, 1, 2)));
        assert_eq!(wanted("1.34.1"), Wanted::Unparsed("1.34.1".into()));
        assert_eq!(wanted("v1.34"), Wanted::Unparsed("v1.34".into()));
    }

    #[test]
    fn compares_with_the_cluster() {
        assert_eq!(need("latest", "1.31.13-do.0"), Need::Current);
        assert_eq!(need("1.33.5-do.0", "1.33.5-do.0"), Need::Current);
        assert_eq!(need("1.33", "1.33.5-do.0"), Need::Current);
        assert_eq!(need("1.34.1-do.0", "1.33.5-do.0"), Need::Upgrade);
        assert_eq!(need("1.33.5-do.1", "1.33.5-do.0"), Need::Upgrade);
        assert_eq!(need("1.34", "1.33.5-do.0"), Need::Upgrade);
        assert_eq!(need("1.32.9-do.0", "1.33.5-do.0"), Need::Downgrade);
        assert_eq!(need("1.32", "1.33.5-do.0"), Need::Downgrade);
        assert!(matches!(need("1.x", "1.33.5-do.0"), Need::Unknown(m) if m.contains("1.x")));
    }

    #[test]
    fn picks_the_offered_version() {
        let o = offered(&["1.34.1-do.0", "1.33.9-do.0", "1.33.7-do.0"]);
        assert_eq!(pick("1.34.1-do.0", &o).as_deref(), Some("1.34.1-do.0"));
        assert_eq!(pick("1.33", &o).as_deref(), Some("1.33.9-do.0"));
        assert_eq!(pick("1.35", &o), None);
        assert_eq!(pick("1.33.8-do.0", &o), None);
        assert_eq!(pick("latest", &o), None);
    }
}
