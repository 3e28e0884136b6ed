//! Benchmark of the build.rs route as a user sees it: `cargo build` of a crate whose build script
//! runs `kgen_build::Builder`, after touching one of its API files, against cargo's own no-op.
//!
//! ```text
//! cargo bench -p kgen-build --bench build_rs
//! KGEN_BENCH_RUNS=3 cargo bench -p kgen-build --bench build_rs
//! ```
//!
//! Builds `examples/podset` (a kind with a whole pod template, generated from build.rs) with its
//! own target directory (`target/bench-build-rs`, or `KGEN_BENCH_TARGET_DIR`; the first run
//! compiles its dependencies once), then, `KGEN_BENCH_RUNS` times each (default 5): a no-op
//! `cargo build`, and a `cargo build` after setting the modification time of one API file to
//! now (the content is unchanged, as after a `git checkout` or an editor's save). Reports the
//! medians, the difference (the build script's run plus whatever cargo rebuilds because it ran),
//! and whether `kgen.rs` in `OUT_DIR` was rewritten. The target: the touched build within 1 s of
//! the no-op. A missed target is reported, never failed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant, SystemTime};

const TARGET: Duration = Duration::from_secs(1);
const DEFAULT_RUNS: usize = 5;
const PACKAGE: &str = "kgen-example-podset";
const API_FILE: &str = "examples/podset/src/api/v1/mod.rs";

fn main() -> ExitCode {
    let runs = std::env::var("KGEN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("KGEN_BENCH_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/bench-build-rs"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = || -> Result<(Duration, String), String> {
        let start = Instant::now();
        let out = Command::new(&cargo)
            .current_dir(&root)
            .args(["build", "-p", PACKAGE])
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(format!("cargo build -p {PACKAGE} failed:\n{stderr}"));
        }
        Ok((took, stderr))
    };
    println!("build.rs route benchmark: cargo build -p {PACKAGE}");
    println!("  target dir: {}", target.display());
    let (first, _) = match build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "  first build (dependencies included when the target dir is new): {}",
        fmt(first)
    );

    let api_file = root.join(API_FILE);
    let generated = generated_file(&target);
    let mut noops = Vec::new();
    let mut touched = Vec::new();
    let mut rebuilt = 0;
    let mut rewritten = 0;
    for _ in 0..runs {
        match build() {
            Ok((d, _)) => noops.push(d),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        let before = generated.as_deref().and_then(modified);
        if let Err(e) = touch(&api_file) {
            eprintln!("error: cannot touch {}: {e}", api_file.display());
            return ExitCode::FAILURE;
        }
        match build() {
            Ok((d, stderr)) => {
                touched.push(d);
                if stderr.contains(&format!("Compiling {PACKAGE}")) {
                    rebuilt += 1;
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        if generated.as_deref().and_then(modified) != before {
            rewritten += 1;
        }
    }
    noops.sort();
    touched.sort();
    let noop = noops[noops.len() / 2];
    let touch_build = touched[touched.len() / 2];
    let extra = touch_build.saturating_sub(noop);
    println!("  no-op cargo build:         median {} ({runs} runs)", fmt(noop));
    println!("  after touching {API_FILE}: median {} ({runs} runs)", fmt(touch_build));
    println!("  difference:                {}", fmt(extra));
    println!("  {PACKAGE} recompiled in {rebuilt} of {runs} touched builds; kgen.rs rewritten in {rewritten}");
    println!();
    println!(
        "target: touched build within {} of the no-op -> {}",
        fmt(TARGET),
        if extra < TARGET { "met" } else { "MISSED" }
    );
    ExitCode::SUCCESS
}

/// Sets the file's modification time to now, leaving its content alone.
fn touch(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::options().append(true).open(path)?;
    file.set_modified(SystemTime::now())
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The `kgen.rs` the package's build script wrote (the newest, if several build directories exist).
fn generated_file(target: &Path) -> Option<PathBuf> {
    let build = target.join("debug/build");
    std::fs::read_dir(build)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(PACKAGE))
        .map(|e| e.path().join("out/kgen.rs"))
        .filter(|p| p.is_file())
        .max_by_key(|p| modified(p))
}

fn fmt(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
