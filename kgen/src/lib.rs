//! kgen: a Kubernetes API code generator for Rust.
//!
//! Reads Rust API types with `syn` (nothing is compiled), understands controller-gen's and
//! code-generator's markers, and writes CustomResourceDefinitions.
//!
//! The pipeline: [`source`] (files, modules) → [`markers`] (parse) → [`model`] (groups, versions,
//! kinds, types) → [`schema`] (OpenAPI v3 structural schemas) → [`crd`] (CRD objects, YAML) →
//! [`output`] (atomic writes, drift checks). [`rbac`] turns `+kubebuilder:rbac` markers into a
//! ClusterRole and Roles ([`generate_rbac`]); [`webhook`] turns `+kubebuilder:webhook` markers into
//! Mutating/ValidatingWebhookConfigurations ([`generate_webhooks`]).
//!
//! ```no_run
//! let out = kgen_build::generate_crds(&kgen_build::CrdOptions::new(["examples/kluster/src/api"])).unwrap();
//! for f in &out.files {
//!     println!("{}: {} bytes", f.name, f.contents.len());
//! }
//! ```

#![warn(missing_docs)]

pub mod builder;
pub mod builtin;
pub mod codegen;
pub mod compat;
pub mod crd;
pub mod diag;
pub mod markers;
pub mod model;
pub mod output;
pub mod rbac;
pub mod schema;
pub mod source;
pub mod timings;
pub mod webhook;

pub use builder::{BuildReport, Builder};
pub use builtin::KubeVersion;
pub use rbac::{RbacOptions, RbacOutput, generate_rbac};
pub use webhook::{WebhookOptions, WebhookOutput, generate_webhooks};

use diag::{Diagnostic, Diagnostics, Failed};
use output::GeneratedFile;
use std::path::{Path, PathBuf};

/// Options for [`generate_crds`].
#[derive(Clone, Debug, Default)]
pub struct CrdOptions {
    /// Files or directories to read.
    pub paths: Vec<PathBuf>,
    /// Text put before each file's `---` (default: `templates/crd-header.yaml`).
    pub header: Option<String>,
    /// Shorten descriptions to this many bytes (`0` removes them).
    pub max_desc_len: Option<usize>,
    /// The Kubernetes version whose built-in types (`PodTemplateSpec`, ...) are embedded (default: newest).
    pub kube_version: KubeVersion,
    /// Webhook conversion (`spec.conversion.strategy: Webhook`, default service) for every kind
    /// with several versions, as `+kgen:conversion:webhook` asks for one group or kind.
    pub conversion_webhook: bool,
}

impl CrdOptions {
    /// Options reading `paths`, with the default header and full descriptions.
    pub fn new<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        CrdOptions {
            paths: paths.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// The result of a successful run.
#[derive(Debug)]
pub struct CrdOutput {
    /// The CRDs, sorted by group and kind.
    pub crds: Vec<crd::Crd>,
    /// One rendered file per CRD, in the same order.
    pub files: Vec<GeneratedFile>,
    /// Warnings (the run succeeded despite them).
    pub warnings: Vec<Diagnostic>,
    /// Every file and directory read.
    pub inputs: source::Inputs,
    /// The model the CRDs were built from (for other emitters).
    pub api: model::Api,
    /// The typed clients `+genclient` asks for.
    pub clients: Vec<model::client::ClientSpec>,
}

/// Reads the API types under `opts.paths` and builds every CRD. On any error nothing is
/// returned but the full list of diagnostics: callers write no files. The work runs on a thread
/// with a large stack ([`source::STACK_SIZE`]), whatever thread calls it.
pub fn generate_crds(opts: &CrdOptions) -> Result<CrdOutput, Failed> {
    source::with_stack(|| crds(opts, &mut Diagnostics::new()))
}

/// [`generate_crds`] on the caller's thread, reporting into `diags` (which keeps the loaded
/// sources for later stages' diagnostics).
fn crds(opts: &CrdOptions, diags: &mut Diagnostics) -> Result<CrdOutput, Failed> {
    timings::start();
    // Each syntax tree is freed as soon as its types are built: they are the largest thing in memory.
    let (api, inputs) = model::load(&opts.paths, diags);
    timings::mark("model");
    let crds = crd::assemble(&api, opts.kube_version, opts.conversion_webhook, diags);
    timings::mark("crds");
    let clients = model::client::client_specs(&api, diags);
    if diags.has_errors() {
        return Err(Failed {
            diagnostics: diags.take_sorted(),
        });
    }
    let header = opts.header.as_deref().unwrap_or(crd::output::DEFAULT_HEADER);
    let rendered = source::parallel_map(&crds, |c| {
        let value = crd::output::with_max_desc_len(c, opts.max_desc_len);
        let warning = crd::size::size_warning(c, &value);
        let file = GeneratedFile {
            name: c.file_name(),
            contents: crd::output::render_value(&value, header),
        };
        (file, warning)
    });
    let mut files = Vec::with_capacity(rendered.len());
    for (file, warning) in rendered {
        if let Some(w) = warning {
            diags.push(w);
        }
        files.push(file);
    }
    timings::mark("render");
    Ok(CrdOutput {
        crds,
        files,
        warnings: diags.take_sorted(),
        inputs,
        api,
        clients,
    })
}

/// Reads the API types and generates Rust (Resource impls, clientset, listers, informers, fake
/// server constructor). Returns the CRD output too, and the formatted source.
pub fn generate_rust(opts: &CrdOptions, codegen: &codegen::CodegenOptions) -> Result<(CrdOutput, String), Failed> {
    source::with_stack(|| rust(opts, codegen))
}

fn rust(opts: &CrdOptions, codegen: &codegen::CodegenOptions) -> Result<(CrdOutput, String), Failed> {
    let mut diags = Diagnostics::new();
    let mut out = crds(opts, &mut diags)?;
    // Code generation allocates as much again as the CRDs: let the allocator give back what the
    // syntax trees left first.
    source::memory(source::Memory::Codegen);
    let source = codegen::generate(&out.api, &out.crds, &out.clients, codegen, &mut diags);
    timings::mark("codegen");
    if diags.has_errors() {
        let mut all = diags.take_sorted();
        all.extend(out.warnings);
        all.sort();
        return Err(Failed { diagnostics: all });
    }
    out.warnings.extend(diags.into_sorted());
    Ok((out, source))
}

/// Compares the CRDs of `out` (made by [`generate_crds`] with `opts`) with the released ones under
/// `dir` (every `*.yaml` / `*.yml` file, multi-document YAML allowed), as `kgen crd
/// --compat-with DIR` does: per CRD, version and field path, what would break stored objects or
/// clients (errors), what only warrants a warning, and what is a safe addition.
///
/// ```no_run
/// let opts = kgen_build::CrdOptions::new(["src/api"]);
/// let out = kgen_build::generate_crds(&opts)?;
/// let report = kgen_build::check_compat(&opts, &out, std::path::Path::new("released"))?;
/// if let Some(failed) = report.failure() {
///     eprintln!("{failed}");
/// }
/// # Ok::<(), kgen_build::diag::Failed>(())
/// ```
///
/// # Errors
///
/// Only when `dir` cannot be read or holds YAML that is not a CRD list; breaking changes are
/// reported in the [`compat::CompatReport`] ([`compat::CompatReport::failure`]).
pub fn check_compat(opts: &CrdOptions, out: &CrdOutput, dir: &Path) -> Result<compat::CompatReport, Failed> {
    compat::check(&out.api, &out.crds, opts.kube_version, dir)
}
