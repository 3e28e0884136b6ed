//! The `kgen` command line.

use clap::{Args, Parser, Subcommand};
use kgen_build::diag::Failed;
use kgen_build::output::{GeneratedFile, check_files, write_files};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Kubernetes API code generator for Rust: CRDs from Rust API types and their markers.
#[derive(Parser)]
#[command(
    name = "kgen",
    version,
    after_help = "Examples:\n  \
        kgen crd --paths examples/kluster/src/api --out config/crd/bases\n  \
        kgen crd --paths examples/kluster/src/api --stdout\n  \
        kgen crd --paths examples/kluster/src/api --out config/crd/bases --check\n  \
        kgen rbac --paths examples/kluster/src --out examples/kluster/config/rbac\n  \
        kgen webhook --paths src --out config/webhook\n  \
        kgen markers printcolumn"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a CustomResourceDefinition per kind.
    #[command(after_help = "Examples:\n  \
        kgen crd --paths examples/kluster/src/api --out config/crd/bases\n  \
        kgen crd --paths api/ --check     # exit 1 with a diff when files on disk are stale\n  \
        kgen crd --paths api/ --stdout --max-desc-len 0\n  \
        kgen crd --paths examples/podset/src/api --stdout --kube-version 1.31   # built-in types as of 1.31\n  \
        kgen crd --paths examples/kluster/src/api --stdout --compat-with examples/kluster/config/crd/bases   # exit 1 on a breaking change")]
    Crd(CrdArgs),
    /// Write the Rust code `kgen_build::Builder` writes into OUT_DIR (Resource impls, clientset, listers,
    /// informers, fake server), for projects that check generated code in.
    #[command(after_help = "Examples:\n  \
        kgen client --paths examples/kluster/src/api --out src/generated     # writes src/generated/mod.rs\n  \
        kgen client --paths examples/kluster/src/api --stdout\n  \
        kgen client --paths api/ --out src/generated --check")]
    Client(ClientArgs),
    /// Write a ClusterRole (and a Role per namespace) from `+kubebuilder:rbac` markers into role.yaml.
    #[command(
        after_help = "Markers go in any doc comment (`//!` on a module, `///` on an item) or in \
        #[kgen(rbac(...))]:\n  \
        //! +kubebuilder:rbac:groups=apps,resources=deployments;deployments/status,verbs=get;list;watch\n  \
        //! +kubebuilder:rbac:groups=core,resources=secrets,resourceNames=token,verbs=get\n  \
        //! +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update,namespace=system\n  \
        //! +kubebuilder:rbac:urls=/metrics,verbs=get\n\n\
        Examples:\n  \
        kgen rbac --paths examples/kluster/src --out examples/kluster/config/rbac\n  \
        kgen rbac --paths src --stdout --role-name my-operator\n  \
        kgen rbac --paths src --out config/rbac --check     # exit 1 with a diff when role.yaml is stale"
    )]
    Rbac(RbacArgs),
    /// Write a MutatingWebhookConfiguration and a ValidatingWebhookConfiguration from
    /// `+kubebuilder:webhook` markers into manifests.yaml.
    #[command(
        after_help = "Markers go in any doc comment (`//!` on a module, `///` on an item) or in \
        #[kgen(webhook(...))]:\n  \
        //! +kubebuilder:webhook:path=/mutate-kgen-dev-v1alpha1-kluster,mutating=true,failurePolicy=fail,sideEffects=None,groups=kgen.dev,resources=klusters,verbs=create;update,versions=v1alpha1,name=mkluster.kgen.dev,admissionReviewVersions=v1\n  \
        //! +kubebuilder:webhook:url=\"https://hooks.example.com/validate\",mutating=false,failurePolicy=ignore,sideEffects=None,groups=apps,resources=deployments,verbs=create,versions=v1,name=vdeploy.example.com,admissionReviewVersions=v1,timeoutSeconds=5\n  \
        //! +kubebuilder:webhookconfiguration:mutating=true,name=kluster-mutating\n\n\
        Examples:\n  \
        kgen webhook --paths src --out config/webhook\n  \
        kgen webhook --paths src --stdout\n  \
        kgen webhook --paths src --out config/webhook --check     # exit 1 with a diff when manifests.yaml is stale"
    )]
    Webhook(WebhookArgs),
    /// List every marker kgen understands (name, arguments, where it goes, what it does).
    #[command(after_help = "Examples:\n  kgen markers\n  kgen markers validation:Max\n  kgen markers --json")]
    Markers {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Only markers whose name contains this text.
        filter: Option<String>,
    },
}

#[derive(Args)]
struct CrdArgs {
    /// Directory (or file) of Rust API types; repeat for several.
    #[arg(long, required = true, value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Output directory.
    #[arg(
        long,
        default_value = "config/crd/bases",
        conflicts_with = "stdout",
        value_name = "DIR"
    )]
    out: PathBuf,
    /// Print the CRDs to standard output instead of writing files.
    #[arg(long)]
    stdout: bool,
    /// Write nothing; exit 1 and print a diff if the files in --out differ from what would be written.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,
    /// File whose text goes before each CRD (default: kgen's "generated" comment).
    #[arg(long, value_name = "FILE")]
    header_file: Option<PathBuf>,
    /// Shorten descriptions to N bytes (0 removes them), to keep big CRDs under the annotation limit.
    #[arg(long, value_name = "N")]
    max_desc_len: Option<usize>,
    /// Kubernetes version whose built-in types (PodTemplateSpec, Container, ...) the schemas embed [default: newest].
    #[arg(long, value_name = "1.x")]
    kube_version: Option<kgen_build::KubeVersion>,
    /// Webhook conversion for every kind with several versions (spec.conversion.strategy: Webhook,
    /// service webhook-service/system, path /convert), as +kgen:conversion:webhook on each.
    #[arg(long)]
    conversion_webhook: bool,
    /// Directory of released CRDs (*.yaml, *.yml) to compare with: a breaking change (a field
    /// removed, validation tightened, a served version dropped, ...) is an error and nothing is
    /// written; safe changes are listed on stderr.
    #[arg(long, value_name = "DIR")]
    compat_with: Option<PathBuf>,
}

#[derive(Args)]
struct ClientArgs {
    /// Directory (or file) of Rust API types; repeat for several.
    #[arg(long, required = true, value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Output directory; the code goes to DIR/mod.rs.
    #[arg(long, default_value = "src/generated", conflicts_with = "stdout", value_name = "DIR")]
    out: PathBuf,
    /// Print the code instead of writing it.
    #[arg(long)]
    stdout: bool,
    /// Write nothing; exit 1 and print a diff if DIR/mod.rs differs from what would be written.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,
    /// File whose text goes at the top (as `//` comments).
    #[arg(long, value_name = "FILE")]
    header_file: Option<PathBuf>,
    /// Rust path of the module that holds the --paths directory's module (default `crate`).
    #[arg(long, default_value = "crate", value_name = "PATH")]
    crate_path: String,
    /// Kubernetes version whose built-in types the embedded CRDs use [default: newest].
    #[arg(long, value_name = "1.x")]
    kube_version: Option<kgen_build::KubeVersion>,
    /// Webhook conversion for every kind with several versions (spec.conversion.strategy: Webhook,
    /// service webhook-service/system, path /convert), as +kgen:conversion:webhook on each.
    #[arg(long)]
    conversion_webhook: bool,
}

#[derive(Args)]
struct RbacArgs {
    /// Directory (or file) to scan for +kubebuilder:rbac markers; repeat for several.
    #[arg(long, required = true, value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Output directory; the roles go to DIR/role.yaml.
    #[arg(long, default_value = "config/rbac", conflicts_with = "stdout", value_name = "DIR")]
    out: PathBuf,
    /// Print role.yaml to standard output instead of writing it.
    #[arg(long)]
    stdout: bool,
    /// Write nothing; exit 1 and print a diff if DIR/role.yaml differs from what would be written.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,
    /// Name of the ClusterRole, and of each Role whose marker has no roleName=.
    #[arg(long, default_value = kgen_build::rbac::DEFAULT_ROLE_NAME, value_name = "NAME")]
    role_name: String,
    /// File whose text goes before the first `---` (default: kgen's "generated" comment).
    #[arg(long, value_name = "FILE")]
    header_file: Option<PathBuf>,
}

#[derive(Args)]
struct WebhookArgs {
    /// Directory (or file) to scan for +kubebuilder:webhook markers; repeat for several.
    #[arg(long, required = true, value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Output directory; the configurations go to DIR/manifests.yaml.
    #[arg(
        long,
        default_value = "config/webhook",
        conflicts_with = "stdout",
        value_name = "DIR"
    )]
    out: PathBuf,
    /// Print manifests.yaml to standard output instead of writing it.
    #[arg(long)]
    stdout: bool,
    /// Write nothing; exit 1 and print a diff if DIR/manifests.yaml differs from what would be written.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,
    /// File whose text goes before the first `---` (default: kgen's "generated" comment).
    #[arg(long, value_name = "FILE")]
    header_file: Option<PathBuf>,
}

/// `print!` that ends the process quietly when standard output is closed early (`kgen crd --stdout |
/// head`) instead of panicking as std's does, and with a message on any other write error.
macro_rules! print {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*)) };
}

/// `println!` with [`print!`]'s handling of a closed standard output.
macro_rules! println {
    () => { write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `void mi_collect(bool force)`, from the library the `mimalloc` crate links.
    fn mi_collect(force: bool);
}

/// Tunes memory at the pipeline's turning points (figures from the 100k-line tree of the crd
/// bench, on Linux with transparent huge pages on `madvise`, which mimalloc asks for):
/// - while parsing, huge pages save a third of the CPU time the kernel spends mapping the syntax
///   trees (dense, short-lived); once the trees are freed, what is allocated is sparser, and 2 MiB
///   mapped for each first touch made the peak RSS 10-25 MB higher: they are turned off then;
/// - before code generation, mimalloc gives the freed memory back: it keeps freed pages for a
///   while, and most of those of the threads that parsed are not reused by the thread that
///   generates code, which peaked 35-60 MB higher without this.
fn memory(point: kgen_build::source::Memory) {
    match point {
        kgen_build::source::Memory::TreesFreed => {
            #[cfg(target_os = "linux")]
            no_transparent_huge_pages();
        }
        // SAFETY: mi_collect takes no pointer and may be called at any time from any thread.
        kgen_build::source::Memory::Codegen => unsafe { mi_collect(true) },
    }
}

/// Turns transparent huge pages off for this process from now on (pages already mapped stay).
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    use std::ffi::{c_int, c_ulong};
    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    const PR_SET_THP_DISABLE: c_int = 41;
    // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) only sets a flag of the calling process; it
    // takes no pointer. If it fails (an old kernel), huge pages stay on, which is harmless.
    unsafe {
        prctl(
            PR_SET_THP_DISABLE,
            1 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        );
    }
}

fn main() -> ExitCode {
    kgen_build::source::on_memory(memory);
    let code = run();
    kgen_build::timings::report();
    code
}

fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd(args) => crd(args),
        Command::Client(args) => client(args),
        Command::Rbac(args) => rbac(args),
        Command::Webhook(args) => webhook(args),
        Command::Markers { json, filter } => {
            if json {
                println!("{}", kgen_build::markers::help::json());
            } else {
                print!("{}", kgen_build::markers::help::text(filter.as_deref()));
            }
            ExitCode::SUCCESS
        }
    }
}

/// The text of `--header-file`, if given; exit code 2 when it cannot be read.
fn read_header(path: Option<&std::path::Path>) -> Result<Option<String>, ExitCode> {
    let Some(path) = path else { return Ok(None) };
    std::fs::read_to_string(path).map(Some).map_err(|e| {
        eprintln!("error: --header-file {}: {e}", path.display());
        ExitCode::from(2)
    })
}

fn crd(args: CrdArgs) -> ExitCode {
    let header = match read_header(args.header_file.as_deref()) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let opts = kgen_build::CrdOptions {
        paths: args.paths,
        header,
        max_desc_len: args.max_desc_len,
        kube_version: args.kube_version.unwrap_or_default(),
        conversion_webhook: args.conversion_webhook,
    };
    // The process ends right after: freeing the model, schemas and output piece by piece would
    // only cost time (about 5% of a large run).
    let out = std::mem::ManuallyDrop::new(match kgen_build::generate_crds(&opts) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    });
    for w in &out.warnings {
        eprintln!("{w}\n");
    }
    if let Some(dir) = &args.compat_with
        && let Err(code) = compat(&opts, &out, dir)
    {
        return code;
    }
    if out.files.is_empty() {
        eprintln!(
            "warning: no kinds found (a kind is a struct with `metadata: ObjectMeta` in a module whose `//!` doc has +groupName)"
        );
    }
    if args.stdout {
        for f in &out.files {
            print!("{}", f.contents);
        }
        return ExitCode::SUCCESS;
    }
    if args.check {
        return check(&args.out, &out.files);
    }
    let written = write_files(&args.out, &out.files);
    kgen_build::timings::mark("write");
    match written {
        Ok(r) => {
            println!(
                "wrote {} CRD file(s) to {} ({} unchanged)",
                r.written.len(),
                args.out.display(),
                r.unchanged.len()
            );
            for p in &r.written {
                println!("  {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing to {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn client(args: ClientArgs) -> ExitCode {
    let header = match read_header(args.header_file.as_deref()) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let opts = kgen_build::CrdOptions {
        kube_version: args.kube_version.unwrap_or_default(),
        conversion_webhook: args.conversion_webhook,
        ..kgen_build::CrdOptions::new(args.paths)
    };
    let codegen = kgen_build::codegen::CodegenOptions {
        crate_path: args.crate_path,
        header,
        format: true,
    };
    let (out, source) = match kgen_build::generate_rust(&opts, &codegen) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    };
    // As in `crd`: not freed piece by piece before the process ends.
    let out = std::mem::ManuallyDrop::new(out);
    for w in &out.warnings {
        eprintln!("{w}\n");
    }
    if args.stdout {
        print!("{source}");
        return ExitCode::SUCCESS;
    }
    let files = [GeneratedFile {
        name: "mod.rs".into(),
        contents: source,
    }];
    if args.check {
        return check_what(&args.out, &files, "Rust", "the API types");
    }
    let written = write_files(&args.out, &files);
    kgen_build::timings::mark("write");
    match written {
        Ok(r) => {
            let state = if r.written.is_empty() { "unchanged" } else { "written" };
            println!("{} {state}", args.out.join("mod.rs").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing to {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn rbac(args: RbacArgs) -> ExitCode {
    let header = match read_header(args.header_file.as_deref()) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let opts = kgen_build::RbacOptions {
        paths: args.paths,
        role_name: args.role_name,
        header,
    };
    let out = match kgen_build::generate_rbac(&opts) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    };
    for w in &out.warnings {
        eprintln!("{w}\n");
    }
    if out.files.is_empty() {
        eprintln!("warning: no +kubebuilder:rbac markers found; nothing to write");
    }
    if args.stdout {
        for f in &out.files {
            print!("{}", f.contents);
        }
        return ExitCode::SUCCESS;
    }
    if args.check {
        return check_what(&args.out, &out.files, "RBAC", "the +kubebuilder:rbac markers");
    }
    match write_files(&args.out, &out.files) {
        Ok(r) => {
            for f in &out.files {
                let state = if r.written.is_empty() { "unchanged" } else { "written" };
                println!("{} {state}", args.out.join(&f.name).display());
            }
            for role in &out.roles {
                let ns = role
                    .namespace
                    .as_deref()
                    .map(|n| format!(" in {n}"))
                    .unwrap_or_default();
                println!("  {} {}{ns}: {} rule(s)", role.kind(), role.name, role.rules.len());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing to {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn webhook(args: WebhookArgs) -> ExitCode {
    let header = match read_header(args.header_file.as_deref()) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let opts = kgen_build::WebhookOptions {
        paths: args.paths,
        header,
    };
    let out = match kgen_build::generate_webhooks(&opts) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    };
    for w in &out.warnings {
        eprintln!("{w}\n");
    }
    if out.files.is_empty() {
        eprintln!("warning: no +kubebuilder:webhook markers found; nothing to write");
    }
    if args.stdout {
        for f in &out.files {
            print!("{}", f.contents);
        }
        return ExitCode::SUCCESS;
    }
    if args.check {
        return check_what(&args.out, &out.files, "webhook", "the +kubebuilder:webhook markers");
    }
    match write_files(&args.out, &out.files) {
        Ok(r) => {
            for f in &out.files {
                let state = if r.written.is_empty() { "unchanged" } else { "written" };
                println!("{} {state}", args.out.join(&f.name).display());
            }
            for c in &out.configurations {
                println!("  {} {}: {} webhook(s)", c.kind.kind(), c.name, c.webhooks.len());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing to {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn check(dir: &Path, files: &[GeneratedFile]) -> ExitCode {
    check_what(dir, files, "CRD", "the API types")
}

/// `--check`: `what` names the files in messages, `source` what they are generated from.
fn check_what(dir: &Path, files: &[GeneratedFile], what: &str, source: &str) -> ExitCode {
    let drift = check_files(dir, files);
    if drift.is_empty() {
        println!("{} {what} file(s) in {} are up to date", files.len(), dir.display());
        return ExitCode::SUCCESS;
    }
    for d in &drift {
        print!("{}", d.diff);
    }
    eprintln!(
        "error: {} file(s) in {} differ from {source}; run the same command without --check to update them",
        drift.len(),
        dir.display()
    );
    ExitCode::FAILURE
}

/// `--compat-with DIR`: lists safe changes and warnings on stderr; on a breaking change (or an
/// unreadable DIR) prints the errors and fails before anything is written.
fn compat(opts: &kgen_build::CrdOptions, out: &kgen_build::CrdOutput, dir: &Path) -> Result<(), ExitCode> {
    let report = kgen_build::check_compat(opts, out, dir).map_err(|failed| report_failure(&failed))?;
    for line in report.safe_lines() {
        eprintln!("{line}");
    }
    if let Some(failed) = report.failure() {
        return Err(report_failure(&failed));
    }
    for w in report.diagnostics() {
        eprintln!("{w}\n");
    }
    eprintln!(
        "compatible with the {} released CRD file(s) in {}",
        report.files.len(),
        dir.display()
    );
    Ok(())
}

fn report_failure(failed: &Failed) -> ExitCode {
    eprintln!("{failed}");
    ExitCode::FAILURE
}
