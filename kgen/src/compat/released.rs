//! Reading the released CRDs: every `*.yaml` / `*.yml` file under a directory (or one file),
//! multi-document YAML allowed. Documents that are not CustomResourceDefinitions (a
//! `kustomization.yaml` beside the CRDs) are skipped.

use crate::diag::{Diagnostic, Failed, Location};
use crate::source::MAX_FILE_SIZE;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One released CRD.
#[derive(Clone, Debug)]
pub struct Released {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its `metadata.name` (`<plural>.<group>`).
    pub name: String,
    /// The CRD object.
    pub value: Value,
    /// The file's text, to point at lines in it.
    pub text: Arc<str>,
}

/// Every released CRD in a directory.
#[derive(Clone, Debug, Default)]
pub struct ReleasedSet {
    /// The CRDs, in file order, then document order.
    pub crds: Vec<Released>,
    /// Every YAML file read, sorted.
    pub files: Vec<PathBuf>,
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// Deepest YAML nesting read: a schema of kgen's deepest (`model::MAX_SCHEMA_DEPTH` levels, two YAML
/// levels each: `properties` and the name) inside a CRD's `spec.versions[*].schema`, with room to spare.
const MAX_YAML_DEPTH: usize = 4 * crate::model::MAX_SCHEMA_DEPTH + 16;

/// serde-saphyr's limits, raised to fit the largest file kgen reads (its default of 64 levels and
/// 250,000 nodes is less than large CRDs with embedded Kubernetes types reach); the parse runs on
/// kgen's large stack.
fn yaml_options() -> serde_saphyr::Options {
    let nodes = MAX_FILE_SIZE as usize;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    budget.max_nodes = nodes;
    budget.max_events = 2 * nodes;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// The place a YAML error names (`line 3 column 5: ...`).
fn yaml_error_at(file: &Path, message: &str) -> Option<Location> {
    let rest = &message[message.find("line ")? + 5..];
    let (line, rest) = rest.split_once(' ')?;
    let column = rest.strip_prefix("column ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some(Location::new(
        Arc::new(file.to_path_buf()),
        line.parse().ok()?,
        column.parse().ok()?,
    ))
}

/// Reads the CRDs under `dir` (a directory, searched recursively, or one YAML file).
///
/// # Errors
///
/// A missing or unreadable directory or file, YAML that does not parse, a CRD that is not
/// `apiextensions.k8s.io/v1` or has no name, and the same CRD name in two documents: each is an
/// error located at its file.
pub fn load_dir(dir: &Path) -> Result<ReleasedSet, Failed> {
    // The YAML parser recurses once per nesting level: on the large stack.
    crate::source::with_stack(|| load_here(dir))
}

fn load_here(dir: &Path) -> Result<ReleasedSet, Failed> {
    let mut errors = Vec::new();
    let mut set = ReleasedSet::default();
    if !dir.exists() {
        return Err(Failed {
            diagnostics: vec![
                Diagnostic::error(None, format!("--compat-with {}: no such directory", dir.display())).with_help(
                    "give the directory holding the released CRDs (e.g. the previous release's config/crd/bases)",
                ),
            ],
        });
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| match e {
            Ok(e) => Some(e),
            Err(err) => {
                errors.push(Diagnostic::error(
                    None,
                    format!("--compat-with {}: {err}", dir.display()),
                ));
                None
            }
        })
        .filter(|e| e.file_type().is_file() && is_yaml(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for file in &files {
        let at = Location::file_start(file);
        let text = match std::fs::metadata(file) {
            Ok(m) if m.len() > MAX_FILE_SIZE => {
                errors.push(Diagnostic::error(
                    at,
                    format!("released CRD file is larger than {} MiB", MAX_FILE_SIZE >> 20),
                ));
                continue;
            }
            _ => match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(Diagnostic::error(at, format!("cannot read released CRD file: {e}")));
                    continue;
                }
            },
        };
        let docs: Vec<Value> = match serde_saphyr::from_multiple_with_options(&text, yaml_options()) {
            Ok(d) => d,
            Err(e) => {
                let e = e.to_string();
                let first = e.lines().next().unwrap_or_default().trim_start_matches("error: ");
                errors.push(Diagnostic::error(
                    yaml_error_at(file, first).unwrap_or(at),
                    format!("released CRD file is not valid YAML: {first}"),
                ));
                continue;
            }
        };
        let text: Arc<str> = text.into();
        for doc in docs {
            if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            if doc.get("apiVersion").and_then(Value::as_str) != Some("apiextensions.k8s.io/v1") {
                errors.push(
                    Diagnostic::error(at.clone(), "released CRD is not apiextensions.k8s.io/v1")
                        .with_help("compare with CRDs as the API server serves them: kubectl get crd NAME -o yaml"),
                );
                continue;
            }
            let Some(name) = doc.pointer("/metadata/name").and_then(Value::as_str).map(String::from) else {
                errors.push(Diagnostic::error(at.clone(), "released CRD has no metadata.name"));
                continue;
            };
            if let Some(prev) = set.crds.iter().find(|c| c.name == name) {
                errors.push(Diagnostic::error(
                    at.clone(),
                    format!("released CRD {name} appears twice (also in {})", prev.file.display()),
                ));
                continue;
            }
            set.crds.push(Released {
                file: file.clone(),
                name,
                value: doc,
                text: text.clone(),
            });
        }
    }
    set.files = files;
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(Failed { diagnostics: errors })
    }
}
