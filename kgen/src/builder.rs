//! `kgen_build::Builder`: generate Rust (and optionally CRDs) from `build.rs`, like prost-build.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     kgen_build::Builder::new().paths(["src/api"]).generate()?;
//!     Ok(())
//! }
//! ```
//!
//! and in the crate: `kgen_runtime::include_generated!();` (or
//! `include!(concat!(env!("OUT_DIR"), "/kgen.rs"));`).

use crate::codegen::CodegenOptions;
use crate::diag::{Diagnostic, Failed};
use crate::output::{GeneratedFile, WriteReport, write_files};
use crate::{CrdOptions, generate_rust};
use std::path::{Path, PathBuf};

/// The file name of the generated Rust in the output directory.
pub const GENERATED_FILE: &str = "kgen.rs";

/// Configures and runs generation from a build script.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    paths: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    crd_dir: Option<PathBuf>,
    header: Option<String>,
    crate_path: Option<String>,
    emit_rerun_if_changed: Option<bool>,
    max_desc_len: Option<usize>,
    kube_version: Option<crate::KubeVersion>,
    conversion_webhook: bool,
    /// Set by `format(false)`; the default (`false`) formats.
    unformatted: bool,
    /// Released CRDs to check compatibility with ([`Builder::compat_with`]).
    compat_with: Option<PathBuf>,
}

/// What a build did.
#[derive(Debug)]
pub struct BuildReport {
    /// The generated Rust file.
    pub rust_file: PathBuf,
    /// Whether it changed (an unchanged file is not touched, so cargo recompiles nothing).
    pub rust_written: bool,
    /// CRD files written, when [`Builder::crd_out_dir`] is set.
    pub crds: Option<WriteReport>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// The API types have errors.
    Api(Failed),
    /// Writing failed.
    Io(std::io::Error),
    /// Neither `out_dir` nor `OUT_DIR` is set.
    NoOutDir,
    /// A breaking change against the released CRDs of [`Builder::compat_with`] (or they could not
    /// be read): every breaking change, with its version, field path and help.
    Compat(Failed),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Api(e) => write!(f, "{e}"),
            BuildError::Io(e) => write!(f, "kgen: writing generated files: {e}"),
            BuildError::Compat(e) => write!(f, "kgen: the CRDs are not compatible with the released ones:\n\n{e}"),
            BuildError::NoOutDir => write!(
                f,
                "kgen: OUT_DIR is not set; call Builder::out_dir or run from build.rs"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder with defaults: output to `OUT_DIR`, `cargo:rerun-if-changed` on when run by cargo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Directories (or files) of API types, relative to the crate's manifest directory.
    pub fn paths<P: Into<PathBuf>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.paths.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Where to write `kgen.rs` (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Also write the CRD YAML files into this directory.
    pub fn crd_out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.crd_dir = Some(dir.into());
        self
    }

    /// Header text for generated files (default: kgen's "generated" comment).
    pub fn header(mut self, header: impl Into<String>) -> Self {
        self.header = Some(header.into());
        self
    }

    /// The Rust path of the API root's parent module (default `crate`).
    pub fn crate_path(mut self, path: impl Into<String>) -> Self {
        self.crate_path = Some(path.into());
        self
    }

    /// Print `cargo:rerun-if-changed` for every file and directory read (default: when run by cargo).
    pub fn emit_rerun_if_changed(mut self, on: bool) -> Self {
        self.emit_rerun_if_changed = Some(on);
        self
    }

    /// Format the generated code with prettyplease (default `true`).
    pub fn format(mut self, on: bool) -> Self {
        self.unformatted = !on;
        self
    }

    /// Shorten CRD descriptions (as `kgen crd --max-desc-len`).
    pub fn max_desc_len(mut self, n: usize) -> Self {
        self.max_desc_len = Some(n);
        self
    }

    /// The Kubernetes version whose built-in type schemas the CRDs embed (as `kgen crd
    /// --kube-version`; default: the newest kgen embeds).
    ///
    /// ```
    /// let b = kgen_build::Builder::new().kube_version("1.31".parse().expect("an embedded version"));
    /// # let _ = b;
    /// ```
    pub fn kube_version(mut self, version: crate::KubeVersion) -> Self {
        self.kube_version = Some(version);
        self
    }

    /// Webhook conversion for every kind with several versions (as `+kgen:conversion:webhook`
    /// on each): the CRDs get `spec.conversion.strategy: Webhook` and the generated code gets the
    /// conversions through the storage version (`conversions()`, one `Converter` per kind).
    pub fn conversion_webhook(mut self, on: bool) -> Self {
        self.conversion_webhook = on;
        self
    }

    /// Compare the CRDs with the released ones under `dir` (as `kgen crd --compat-with DIR`): a
    /// breaking change fails the build with [`BuildError::Compat`] and nothing is written; safe
    /// changes are not reported. Every YAML file in `dir` gets a `cargo:rerun-if-changed`.
    ///
    /// ```no_run
    /// // build.rs
    /// kgen_build::Builder::new()
    ///     .paths(["src/api"])
    ///     .crd_out_dir("config/crd/bases")
    ///     .compat_with("config/crd/released")
    ///     .generate()
    ///     .expect("the API stays compatible");
    /// ```
    pub fn compat_with(mut self, dir: impl Into<PathBuf>) -> Self {
        self.compat_with = Some(dir.into());
        self
    }

    /// Generates. Writes nothing on error; rewrites a file only when its content changed.
    pub fn generate(self) -> Result<BuildReport, BuildError> {
        let out_dir = match self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            Some(d) => d,
            None => return Err(BuildError::NoOutDir),
        };
        let opts = CrdOptions {
            paths: self.paths.clone(),
            header: None,
            max_desc_len: self.max_desc_len,
            kube_version: self.kube_version.unwrap_or_default(),
            conversion_webhook: self.conversion_webhook,
        };
        let codegen = CodegenOptions {
            crate_path: self.crate_path.clone().unwrap_or_else(|| "crate".into()),
            header: self.header.clone(),
            format: !self.unformatted,
        };
        let result = generate_rust(&opts, &codegen);
        let compat = match (&self.compat_with, &result) {
            (Some(dir), Ok((out, _))) => Some(crate::check_compat(&opts, out, dir)),
            _ => None,
        };
        // Rerun on every input even when generation fails, so fixing the input re-runs the build.
        if self
            .emit_rerun_if_changed
            .unwrap_or(std::env::var_os("CARGO").is_some())
        {
            let mut seen: Vec<PathBuf> = self.paths.clone();
            if let Some(dir) = &self.compat_with {
                seen.push(dir.clone());
                seen.extend(compat_inputs(dir));
            }
            if let Ok((out, _)) = &result {
                seen.extend(out.inputs.dirs.iter().cloned());
                seen.extend(out.inputs.files.iter().cloned());
            } else {
                let inputs = crate::source::inputs(&self.paths);
                seen.extend(inputs.dirs);
                seen.extend(inputs.files);
            }
            seen.sort();
            seen.dedup();
            for p in seen {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
        let (out, source) = result.map_err(BuildError::Api)?;
        if let Some(report) = compat {
            let report = report.map_err(BuildError::Compat)?;
            if let Some(failed) = report.failure() {
                return Err(BuildError::Compat(failed));
            }
            for w in report.diagnostics() {
                println!("cargo:warning={}", w.one_line());
            }
        }
        for w in &out.warnings {
            println!("cargo:warning={}", w.one_line());
        }
        let rust = write_files(
            &out_dir,
            &[GeneratedFile {
                name: GENERATED_FILE.into(),
                contents: source,
            }],
        )
        .map_err(BuildError::Io)?;
        let crds = match &self.crd_dir {
            Some(dir) => Some(write_files(dir, &out.files).map_err(BuildError::Io)?),
            None => None,
        };
        Ok(BuildReport {
            rust_file: out_dir.join(GENERATED_FILE),
            rust_written: !rust.written.is_empty(),
            crds,
            warnings: out.warnings,
        })
    }
}

/// The YAML files under a [`Builder::compat_with`] directory, read or not (so a build whose
/// released CRDs did not parse reruns when they are fixed).
fn compat_inputs(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_dir() || matches!(e.path().extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        })
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The generated file's path under `dir`.
pub fn generated_file(dir: &Path) -> PathBuf {
    dir.join(GENERATED_FILE)
}

#[cfg(test)]
mod compat_tests {
    use super::compat_inputs;

    #[test]
    fn compat_inputs_are_the_yaml_files_and_directories_under_the_released_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("old")).unwrap();
        for f in ["a.yaml", "old/b.yml", "notes.txt"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let mut got: Vec<String> = compat_inputs(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        got.sort();
        assert_eq!(got, ["", "a.yaml", "old", "old/b.yml"]);
    }
}
