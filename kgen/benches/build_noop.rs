//! Benchmark of a no-op `build.rs`: `kgen_build::Builder` run again on unchanged API types.
//!
//! ```text
//! cargo bench -p kgen-build --bench build_noop
//! KGEN_BENCH_RUNS=5 cargo bench -p kgen-build --bench build_noop   # fewer runs
//! ```
//!
//! For each API tree (the Kluster example's `examples/kluster/src/api`, and the fixture corpus
//! `kgen/tests/fixtures/corpus` that the `tests` crate builds), runs `kgen_build::Builder` once into a
//! temporary `OUT_DIR` (and CRD directory), as a first build does, then again `KGEN_BENCH_RUNS`
//! times (default 20), as every later `cargo build` that reruns the build script does. Reports the
//! time per run and how many files each run rewrote, from the Builder's own report and from the
//! files' modification times, sizes and inodes (a rewrite through rename changes the inode). The
//! targets: under 50 ms per run, and no file rewritten (so cargo recompiles nothing).
//!
//! The Builder is run in process, with `cargo:rerun-if-changed` printing off; a real build script
//! also pays for process start-up (a few ms), which this does not measure. A missed target is
//! reported, never failed.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

/// Target time of one no-op run.
const TARGET: Duration = Duration::from_millis(50);
const DEFAULT_RUNS: usize = 20;

/// What identifies one version of a file on disk: modification time, size, inode.
type Stamp = (SystemTime, u64, u64);

fn stamps(dirs: &[&Path]) -> BTreeMap<PathBuf, Stamp> {
    let mut out = BTreeMap::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if let Ok(m) = entry.metadata()
                && m.is_file()
            {
                let mtime = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                out.insert(entry.path(), (mtime, m.len(), m.ino()));
            }
        }
    }
    out
}

struct Summary {
    name: &'static str,
    files: usize,
    first: Duration,
    min: Duration,
    median: Duration,
    max: Duration,
    rewritten_by_report: usize,
    rewritten_on_disk: usize,
}

fn bench(name: &'static str, api: &Path, root: &Path, runs: usize) -> Result<Summary, String> {
    let out = root.join(name).join("out");
    let crds = root.join(name).join("crds");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let builder = kgen_build::Builder::new()
        .paths([api])
        .out_dir(&out)
        .crd_out_dir(&crds)
        .emit_rerun_if_changed(false);

    let t = Instant::now();
    let first = builder.clone().generate().map_err(|e| format!("{name}: {e}"))?;
    let first_time = t.elapsed();
    if !first.rust_written {
        return Err(format!("{name}: the first run wrote no kgen.rs"));
    }
    // Let the clock move past the first run's mtimes, so a rewrite with the same content would
    // show even on coarse-grained file systems.
    std::thread::sleep(Duration::from_millis(20));
    let before = stamps(&[&out, &crds]);

    let mut times = Vec::with_capacity(runs);
    let mut rewritten_by_report = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let report = builder.clone().generate().map_err(|e| format!("{name}: {e}"))?;
        times.push(t.elapsed());
        rewritten_by_report += usize::from(report.rust_written) + report.crds.as_ref().map_or(0, |c| c.written.len());
    }
    let after = stamps(&[&out, &crds]);
    let rewritten_on_disk = before
        .iter()
        .filter(|(path, stamp)| after.get(*path) != Some(stamp))
        .count()
        + after.keys().filter(|p| !before.contains_key(*p)).count();

    times.sort();
    Ok(Summary {
        name,
        files: before.len(),
        first: first_time,
        min: times[0],
        median: times[times.len() / 2],
        max: times[times.len() - 1],
        rewritten_by_report,
        rewritten_on_disk,
    })
}

fn main() -> ExitCode {
    let runs = std::env::var("KGEN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let trees: [(&'static str, PathBuf); 2] = [
        ("kluster", manifest.join("../examples/kluster/src/api")),
        ("corpus", manifest.join("tests/fixtures/corpus")),
    ];
    let root = std::env::temp_dir().join(format!("kgen-build-noop-{}", std::process::id()));

    println!("kgen build.rs no-op benchmark");
    println!("  kgen_build::Builder in process, 1 first run then {runs} no-op runs per tree (outputs in a temp dir)");
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("  load average at start: {}", load.join(" "));
    }
    println!();

    let mut rows = Vec::new();
    let mut failed = false;
    for (name, api) in &trees {
        match bench(name, api, &root, runs) {
            Ok(s) => rows.push(s),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);

    println!(
        "| API tree | files written | first run | no-op run: min / median / max | target < 50 ms | files rewritten by {runs} no-op runs (report / on disk) |"
    );
    println!("|---|---|---|---|---|---|");
    for s in &rows {
        println!(
            "| {} | {} | {} | {} / {} / {} | {} | {} / {} ({}) |",
            s.name,
            s.files,
            fmt_dur(s.first),
            fmt_dur(s.min),
            fmt_dur(s.median),
            fmt_dur(s.max),
            if s.median < TARGET { "met" } else { "MISSED" },
            s.rewritten_by_report,
            s.rewritten_on_disk,
            if s.rewritten_by_report == 0 && s.rewritten_on_disk == 0 {
                "met"
            } else {
                "MISSED"
            },
        );
    }
    println!();
    println!("Files: kgen.rs and the CRD YAML files. On disk: changed mtime, size or inode after the no-op runs.");
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn fmt_dur(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}
