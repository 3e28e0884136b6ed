//! Loading source: walk `--paths`, parse every `.rs` file with syn, and give each file its module path.
//!
//! Like a Go package, a directory's files all belong to the API tree whether or not a `mod`
//! declaration names them; nothing is compiled.

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::Registry;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One parsed source file.
pub struct SourceFile {
    /// The path as found under the input directory (used in every diagnostic).
    pub path: Arc<PathBuf>,
    /// Module path relative to the crate root, best effort: `["api", "v1alpha1"]`.
    pub module: Vec<String>,
    /// The parsed file.
    pub ast: syn::File,
}

/// Every file and directory read, for `cargo:rerun-if-changed`.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// `.rs` files, sorted.
    pub files: Vec<PathBuf>,
    /// Directories walked, sorted.
    pub dirs: Vec<PathBuf>,
}

/// Reads and parses every `.rs` file under `paths` (files or directories), in a stable order.
pub fn load(paths: &[PathBuf], diags: &mut Diagnostics) -> (Vec<SourceFile>, Inputs) {
    let mut files = Vec::new();
    let mut inputs = Inputs::default();
    if paths.is_empty() {
        diags.error(None, "no input: give at least one --paths directory");
    }
    for root in paths {
        if root.is_file() {
            let stem = root
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            inputs.files.push(root.clone());
            if let Some(f) = parse_one(root, vec![stem], diags) {
                files.push(f);
            }
            continue;
        }
        if !root.is_dir() {
            diags.push(Diagnostic::error(
                None,
                format!("--paths {}: no such file or directory", root.display()),
            ));
            continue;
        }
        // A directory holding lib.rs or main.rs is a crate root; otherwise it is a module named after itself.
        let base: Vec<String> = if root.join("lib.rs").is_file() || root.join("main.rs").is_file() {
            Vec::new()
        } else {
            let name = root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            vec![name]
        };
        let walker = walkdir::WalkDir::new(root).sort_by_file_name().follow_links(true);
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.error(None, format!("reading {}: {e}", root.display()));
                    continue;
                }
            };
            let path = entry.path();
            if entry.file_type().is_dir() {
                if path != root && is_hidden_or_target(path) {
                    continue;
                }
                inputs.dirs.push(path.to_path_buf());
                continue;
            }
            // Hidden and `target` directories are skipped below the root only: a project that
            // lives under `~/.work/` or `/srv/target/` is still read.
            let rel = path.strip_prefix(root).unwrap_or(path);
            if path.extension().is_none_or(|e| e != "rs")
                || rel.components().any(|c| is_skipped_component(c.as_os_str()))
            {
                continue;
            }
            inputs.files.push(path.to_path_buf());
            if let Some(f) = parse_one(path, module_of(&base, rel), diags) {
                files.push(f);
            }
        }
    }
    inputs.files.sort();
    inputs.dirs.sort();
    (files, inputs)
}

fn is_hidden_or_target(path: &Path) -> bool {
    path.file_name().is_some_and(is_skipped_component)
}

fn is_skipped_component(name: &std::ffi::OsStr) -> bool {
    let n = name.to_string_lossy();
    (n.starts_with('.') && n != "." && n != "..") || n == "target"
}

/// `v1alpha1/mod.rs` → `[.., "v1alpha1"]`; `v1alpha1/types.rs` → `[.., "v1alpha1", "types"]`.
fn module_of(base: &[String], rel: &Path) -> Vec<String> {
    let mut module = base.to_vec();
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            let stem = part.trim_end_matches(".rs");
            if !matches!(stem, "mod" | "lib" | "main") {
                module.push(stem.to_string());
            }
        } else {
            module.push(part.clone());
        }
    }
    module
}

fn parse_one(path: &Path, module: Vec<String>, diags: &mut Diagnostics) -> Option<SourceFile> {
    let file = Arc::new(path.to_path_buf());
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                Location::file_start(path),
                format!("cannot read file: {e}"),
            ));
            return None;
        }
    };
    warn_plain_comment_markers(&file, &text, diags);
    match syn::parse_file(&text) {
        Ok(ast) => Some(SourceFile {
            path: file,
            module,
            ast,
        }),
        Err(e) => {
            diags.push(Diagnostic::error(
                crate::diag::span_location(&file, e.span()),
                format!("cannot parse Rust source: {e}"),
            ));
            None
        }
    }
}

/// `// +kubebuilder:...` in a plain comment is invisible to syn (and to rustdoc): in Go it would be a
/// marker, so a Go author's copy would silently lose it. Say so.
fn warn_plain_comment_markers(file: &Arc<PathBuf>, text: &str, diags: &mut Diagnostics) {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("//") else {
            continue;
        };
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let rest = rest.trim_start();
        let Some(name) = rest.strip_prefix('+') else {
            continue;
        };
        let name = name.split('=').next().unwrap_or("");
        if Registry::is_known_prefix(name) {
            let col = line.len() - trimmed.len() + 1;
            diags.push(
                Diagnostic::warning(
                    Location::new(file.clone(), i + 1, col),
                    format!("marker `+{name}` is in a plain `//` comment and is ignored"),
                )
                .with_help("write markers in doc comments: `/// +...` on items and fields, `//! +...` for a module"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_target_directories_are_skipped_below_the_root_only() {
        let outer = tempfile::Builder::new().prefix(".hidden-parent").tempdir().unwrap();
        let root = outer.path().join("target").join("api");
        for dir in ["v1", ".git", "target"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join("mod.rs"), "pub struct A;\n").unwrap();
        }
        let mut diags = Diagnostics::new();
        let (files, inputs) = load(std::slice::from_ref(&root), &mut diags);
        assert!(diags.is_empty());
        assert_eq!(inputs.files, vec![root.join("v1/mod.rs")]);
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn module_paths_follow_rust_rules() {
        let base = vec!["api".to_string()];
        assert_eq!(module_of(&base, Path::new("v1alpha1/mod.rs")), vec!["api", "v1alpha1"]);
        assert_eq!(
            module_of(&base, Path::new("v1alpha1/types.rs")),
            vec!["api", "v1alpha1", "types"]
        );
        assert_eq!(module_of(&base, Path::new("mod.rs")), vec!["api"]);
        assert_eq!(module_of(&[], Path::new("lib.rs")), Vec::<String>::new());
    }

    #[test]
    fn plain_comment_markers_warn() {
        let mut d = Diagnostics::new();
        warn_plain_comment_markers(
            &Arc::new(PathBuf::from("a.rs")),
            "// +kubebuilder:validation:Minimum=1\n/// +optional\n// + not a marker\n// +k8s:enum\n",
            &mut d,
        );
        let all = d.into_sorted();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].location.as_ref().unwrap().line, 1);
        assert!(all[1].message.contains("+k8s:enum"));
    }
}
