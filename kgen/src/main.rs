//! The `kgen` command line.

use clap::{Args, Parser, Subcommand};
use kgen::diag::Failed;
use kgen::output::{GeneratedFile, check_files, write_files};
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
        kgen crd --paths api/ --stdout --max-desc-len 0")]
    Crd(CrdArgs),
    /// Write the Rust code `kgen::Builder` writes into OUT_DIR (Resource impls, clientset, listers,
    /// informers, fake server), for projects that check generated code in.
    #[command(after_help = "Examples:\n  \
        kgen client --paths examples/kluster/src/api --out src/generated     # writes src/generated/mod.rs\n  \
        kgen client --paths examples/kluster/src/api --stdout\n  \
        kgen client --paths api/ --out src/generated --check")]
    Client(ClientArgs),
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd(args) => crd(args),
        Command::Client(args) => client(args),
        Command::Markers { json, filter } => {
            if json {
                println!("{}", kgen::markers::help::json());
            } else {
                print!("{}", kgen::markers::help::text(filter.as_deref()));
            }
            ExitCode::SUCCESS
        }
    }
}

fn crd(args: CrdArgs) -> ExitCode {
    let header = match &args.header_file {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("error: --header-file {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let opts = kgen::CrdOptions {
        paths: args.paths,
        header,
        max_desc_len: args.max_desc_len,
    };
    let out = match kgen::generate_crds(&opts) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    };
    for w in &out.warnings {
        eprintln!("{w}");
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
    match write_files(&args.out, &out.files) {
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
            eprintln!("error: writing to {}: {e} (no file was replaced)", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn client(args: ClientArgs) -> ExitCode {
    let header = match &args.header_file {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("error: --header-file {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let opts = kgen::CrdOptions::new(args.paths);
    let codegen = kgen::codegen::CodegenOptions {
        crate_path: args.crate_path,
        header,
    };
    let (out, source) = match kgen::generate_rust(&opts, &codegen) {
        Ok(o) => o,
        Err(failed) => return report_failure(&failed),
    };
    for w in &out.warnings {
        eprintln!("{w}");
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
        return check(&args.out, &files);
    }
    match write_files(&args.out, &files) {
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

fn check(dir: &Path, files: &[GeneratedFile]) -> ExitCode {
    let drift = check_files(dir, files);
    if drift.is_empty() {
        println!("{} CRD file(s) in {} are up to date", files.len(), dir.display());
        return ExitCode::SUCCESS;
    }
    for d in &drift {
        print!("{}", d.diff);
    }
    eprintln!(
        "error: {} file(s) in {} differ from the API types; run the same command without --check to update them",
        drift.len(),
        dir.display()
    );
    ExitCode::FAILURE
}

fn report_failure(failed: &Failed) -> ExitCode {
    eprintln!("{failed}");
    ExitCode::FAILURE
}
