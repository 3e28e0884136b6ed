//! The breaking-change check (`kgen crd --compat-with DIR`, [`crate::Builder::compat_with`]):
//! compares the CRDs kgen would write with the released ones in a directory and reports, per
//! CRD, version and field path, what would break stored objects or their clients.
//!
//! - [`released`] reads the released CRDs (every `*.yaml` / `*.yml`, multi-document allowed);
//! - [`crd_diff`] matches them by `metadata.name` and compares names, scope, conversion
//!   (strategy, webhook endpoint, review versions; `caBundle` ignored) and versions (served,
//!   storage, subresources, printer columns, selectable fields; a version only in the new CRD is
//!   new: listed, not checked);
//! - [`schema_diff`] walks each shared version's `openAPIV3Schema` in step, one rule per keyword;
//! - [`locate`] points each change at the Rust field or marker that made it, or, for what is
//!   gone, at its line in the released file;
//! - [`report`] holds the [`Change`]s: breaking ones become error [`crate::diag::Diagnostic`]s,
//!   warnings warning ones, safe ones a `safe:` list.
//!
//! Everything compares the generic JSON value of the CRDs, so CRDs written by controller-gen
//! compare as well as kgen's own.

pub mod crd_diff;
pub mod locate;
pub mod released;
pub mod report;
pub mod schema_diff;

pub use crd_diff::diff_crd;
pub use report::{Change, Class, CompatReport, FieldPath, Step};

use crate::builtin::KubeVersion;
use crate::crd::Crd;
use crate::diag::{Failed, Location};
use crate::model::{Api, Kind};
use crate::schema::Schema;
use crate::schema::build::SchemaBuilder;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Compares `crds` (built from `api` with `kube_version`'s built-in types) with the released
/// CRDs under `dir`.
///
/// # Errors
///
/// Only when `dir` cannot be read (see [`released::load_dir`]); breaking changes are in the
/// report ([`CompatReport::failure`]).
pub fn check(api: &Api, crds: &[Crd], kube_version: KubeVersion, dir: &Path) -> Result<CompatReport, Failed> {
    // Reading YAML and walking schemas recurse as deep as the input nests: on the large stack.
    crate::source::with_stack(|| check_here(api, crds, kube_version, dir))
}

/// [`check`] on the caller's thread.
fn check_here(api: &Api, crds: &[Crd], kube_version: KubeVersion, dir: &Path) -> Result<CompatReport, Failed> {
    let released = released::load_dir(dir)?;
    let new: BTreeMap<String, &Crd> = crds.iter().map(|c| (c.name(), c)).collect();
    let mut report = CompatReport {
        changes: Vec::new(),
        files: released.files.clone(),
    };
    for old in &released.crds {
        let found = match new.get(&old.name) {
            Some(crd) => diff_crd(&old.value, &crd.value),
            None => vec![Change::new(Class::Breaking, "CRD no longer generated").gone().help(
                "keep the kind (its objects still exist in clusters), or delete the CRD on purpose in a release note",
            )],
        };
        for mut c in found {
            c.crd = old.name.clone();
            c.file = Some(old.file.clone());
            report.changes.push(c);
        }
    }
    for (name, _) in new.iter().filter(|(n, _)| !released.crds.iter().any(|r| &r.name == *n)) {
        let mut c = Change::new(Class::Safe, "new CRD");
        c.crd = name.clone();
        report.changes.push(c);
    }
    locate_all(api, &new, kube_version, &released, &mut report.changes);
    report.sort();
    Ok(report)
}

/// Fills in each breaking change's and warning's location.
fn locate_all(
    api: &Api,
    new: &BTreeMap<String, &Crd>,
    kube_version: KubeVersion,
    released: &released::ReleasedSet,
    changes: &mut [Change],
) {
    let mut builder = SchemaBuilder::new(api).with_kube_version(kube_version);
    let mut schemas: HashMap<(String, String), Option<(Schema, Location)>> = HashMap::new();
    for c in changes.iter_mut().filter(|c| c.class != Class::Safe) {
        let rust = match (new.get(&c.crd), &c.version) {
            _ if !c.in_new => None,
            // The conversion webhook's marker, when a marker (not the flag) asked for it.
            (Some(crd), None) if c.keyword == Some("conversion") => Some(
                crate::crd::conversion_marker(api, kinds_of(api, crd))
                    .map_or_else(|| crd.location.clone(), |m| m.location.clone()),
            ),
            (Some(crd), None) => Some(crd.location.clone()),
            (Some(crd), Some(version)) => {
                let built = schemas
                    .entry((c.crd.clone(), version.clone()))
                    .or_insert_with(|| version_schema(api, &mut builder, crd, version));
                match (built, &c.path) {
                    (Some((schema, _)), Some(path)) => locate::in_schema(schema, path, c.keyword, c.rule.as_deref())
                        .or_else(|| Some(crd.location.clone())),
                    (Some((_, at)), None) => Some(at.clone()),
                    (None, _) => None,
                }
            }
            (None, _) => None,
        };
        c.location = rust.or_else(|| {
            let old = released.crds.iter().find(|r| r.name == c.crd)?;
            Some(locate::in_yaml(&old.file, &old.text, c))
        });
    }
}

/// The kinds (one per version) `crd` is built from.
fn kinds_of<'a>(api: &'a Api, crd: &'a Crd) -> impl Iterator<Item = &'a Kind> + Clone {
    api.kinds
        .iter()
        .filter(move |k| k.name == crd.kind && api.gv(k.gv).group == crd.group)
}

/// The new schema of `crd`'s `version` and the location of its Rust type.
fn version_schema(api: &Api, builder: &mut SchemaBuilder, crd: &Crd, version: &str) -> Option<(Schema, Location)> {
    let kind = kinds_of(api, crd).find(|k| api.gv(k.gv).version == version)?;
    let schema = builder.kind_schema(kind);
    // Its diagnostics were reported when the CRDs were built.
    let _ = builder.take_diagnostics();
    Some((schema, api.ty(kind.type_id).location.clone()))
}
