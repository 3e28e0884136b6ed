//! Benchmark of `kgen crd` on a large synthetic API tree.
//!
//! ```text
//! cargo bench -p kgen-build --bench crd
//! KGEN_BENCH_LINES=5000 KGEN_BENCH_RUNS=2 cargo bench -p kgen-build --bench crd   # a quick run
//! ```
//!
//! Writes a tree of about 100,000 lines of Rust API types (see `synth`), runs the kgen binary on
//! it several times, and reports wall time, throughput, output size and the child's peak RSS
//! against the target. A missed target is reported, never failed: timings depend on the machine.
//! Exits non-zero only when kgen itself fails.

mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Target wall time of one `kgen crd` run.
const TARGET_WALL: Duration = Duration::from_secs(1);
/// Target peak RSS, in bytes (200 MB).
const TARGET_RSS_BYTES: u64 = 200 * 1000 * 1000;

const DEFAULT_LINES: usize = 100_000;
const DEFAULT_RUNS: usize = 5;

struct Run {
    wall: Duration,
    /// User + system CPU time of the child.
    cpu: Duration,
    /// Peak resident set size of the child, in KiB; `None` where it cannot be measured.
    max_rss_kib: Option<u64>,
    /// Exit code, or `None` when killed by a signal.
    code: Option<i32>,
    stderr: String,
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument has nothing to select here.
    let lines = env_usize("KGEN_BENCH_LINES", DEFAULT_LINES);
    let runs = env_usize("KGEN_BENCH_RUNS", DEFAULT_RUNS).max(1);
    let kgen = PathBuf::from(env!("CARGO_BIN_EXE_kgen"));

    let root = std::env::temp_dir().join(format!(
        "kgen-bench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let tree = root.join("api");
    let out = root.join("out");
    let code = bench(&kgen, &tree, &out, lines, runs);
    if let Err(e) = std::fs::remove_dir_all(&root) {
        eprintln!("warning: could not remove {}: {e}", root.display());
    }
    code
}

fn bench(kgen: &Path, tree: &Path, out: &Path, lines: usize, runs: usize) -> ExitCode {
    let t = Instant::now();
    let stats = synth::write_tree(tree, lines);
    let gen_time = t.elapsed();
    println!("kgen crd benchmark");
    println!("  binary: {}", kgen.display());
    println!(
        "  tree:   {} ({} lines in {} files, {} bytes; written in {})",
        tree.display(),
        stats.lines,
        stats.files,
        stats.bytes,
        fmt_dur(gen_time)
    );
    println!(
        "          {} groups, {} group-versions, {} kinds ({} kind-versions), {} types, {} fields/variants, {} markers",
        stats.groups, stats.group_versions, stats.kinds, stats.kind_versions, stats.types, stats.fields, stats.markers
    );
    println!("  runs:   {runs} x `kgen crd --paths <tree> --out <out>`");
    println!();

    let mut results = Vec::new();
    let mut crd_files = 0;
    let mut crd_bytes = 0;
    for i in 1..=runs {
        // A fresh output directory each run, so every run writes every file.
        if out.exists() {
            let _ = std::fs::remove_dir_all(out);
        }
        let run = match run_kgen(kgen, tree, out) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: could not run {}: {e}", kgen.display());
                return ExitCode::FAILURE;
            }
        };
        if run.code != Some(0) {
            eprintln!(
                "error: kgen crd failed (run {i}, {}):",
                match run.code {
                    Some(c) => format!("exit code {c}"),
                    None => "killed by a signal".to_string(),
                }
            );
            eprintln!("{}", run.stderr);
            return ExitCode::from(run.code.map(|c| c.clamp(1, 255) as u8).unwrap_or(1));
        }
        (crd_files, crd_bytes) = count_output(out);
        if i == 1 && !run.stderr.trim().is_empty() {
            let n = run.stderr.lines().count();
            println!("  kgen printed {n} line(s) on stderr (first run; first 20 shown):");
            for l in run.stderr.lines().take(20) {
                println!("    | {l}");
            }
            println!();
        }
        println!(
            "  run {i}: wall {:>9}  cpu {:>9}  {:>10} lines/s  peak RSS {}  {} CRD files, {} bytes",
            fmt_dur(run.wall),
            fmt_dur(run.cpu),
            fmt_rate(stats.lines, run.wall),
            run.max_rss_kib.map(fmt_kib).unwrap_or_else(|| "n/a".into()),
            crd_files,
            crd_bytes
        );
        results.push(run);
    }

    let mut walls: Vec<Duration> = results.iter().map(|r| r.wall).collect();
    walls.sort();
    let min = walls[0];
    let median = if walls.len() % 2 == 1 {
        walls[walls.len() / 2]
    } else {
        (walls[walls.len() / 2 - 1] + walls[walls.len() / 2]) / 2
    };
    let peak = results.iter().filter_map(|r| r.max_rss_kib).max();

    println!();
    println!("summary ({runs} runs)");
    println!(
        "  input:      {} lines, {} files, {} bytes",
        stats.lines, stats.files, stats.bytes
    );
    println!(
        "  output:     {crd_files} CRD files, {crd_bytes} bytes (expected {} CRDs){}",
        stats.kinds,
        if crd_files == stats.kinds { "" } else { "  <- differs" }
    );
    println!("  wall:       min {}, median {}", fmt_dur(min), fmt_dur(median));
    println!(
        "  throughput: {} lines/s (median), {} lines/s (best)",
        fmt_rate(stats.lines, median),
        fmt_rate(stats.lines, min)
    );
    match peak {
        Some(kib) => println!("  peak RSS:   {} (max over runs)", fmt_kib(kib)),
        None => println!("  peak RSS:   not measured on this platform"),
    }
    println!();
    let scaled = if stats.lines < DEFAULT_LINES {
        format!(
            " (this tree has {} lines, not {DEFAULT_LINES}: the target is for the full tree)",
            stats.lines
        )
    } else {
        String::new()
    };
    println!("target: < 1 s wall, < 200 MB peak RSS{scaled}");
    println!(
        "  wall (median): {} -> {}",
        fmt_dur(median),
        verdict(median < TARGET_WALL)
    );
    match peak {
        Some(kib) => println!(
            "  peak RSS:      {} -> {}",
            fmt_kib(kib),
            verdict(kib * 1024 < TARGET_RSS_BYTES)
        ),
        None => println!("  peak RSS:      not measured"),
    }
    ExitCode::SUCCESS
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().replace('_', "").parse().unwrap_or_else(|_| {
            eprintln!("warning: {name}={v} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// Runs `kgen crd` once, with stdout discarded and stderr kept in a file next to the output.
fn run_kgen(kgen: &Path, tree: &Path, out: &Path) -> std::io::Result<Run> {
    let err_path = out.with_extension("stderr");
    let err_file = std::fs::File::create(&err_path)?;
    let mut cmd = Command::new(kgen);
    cmd.arg("crd").arg("--paths").arg(tree).arg("--out").arg(out);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err_file));
    let start = Instant::now();
    let child = cmd.spawn()?;
    let (code, cpu, max_rss_kib) = wait(child)?;
    let wall = start.elapsed();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    Ok(Run {
        wall,
        cpu,
        max_rss_kib,
        code,
        stderr,
    })
}

/// Waits for the child with `wait4`, which gives this child's own resource usage.
#[cfg(unix)]
fn wait(child: std::process::Child) -> std::io::Result<(Option<i32>, Duration, Option<u64>)> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unwaited child; status and usage are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    // The child is reaped; dropping the handle neither waits nor kills.
    drop(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    // ru_maxrss is in KiB on Linux and the BSDs, in bytes on macOS.
    let rss = usage.ru_maxrss as u64;
    let kib = if cfg!(target_os = "macos") { rss / 1024 } else { rss };
    Ok((code, cpu, Some(kib)))
}

#[cfg(not(unix))]
fn wait(mut child: std::process::Child) -> std::io::Result<(Option<i32>, Duration, Option<u64>)> {
    let status = child.wait()?;
    Ok((status.code(), Duration::ZERO, None))
}

/// Number and total size of the files kgen wrote (CRD YAML), recursively.
fn count_output(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

fn fmt_rate(lines: usize, d: Duration) -> String {
    let s = d.as_secs_f64();
    if s == 0.0 {
        return "inf".into();
    }
    let r = lines as f64 / s;
    // Thousands separators for readability.
    let digits = format!("{:.0}", r);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_kib(kib: u64) -> String {
    format!("{:.1} MB ({kib} KiB)", kib as f64 * 1024.0 / 1e6)
}
