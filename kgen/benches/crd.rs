//! Benchmark of `kgen crd` and `kgen client` on a large synthetic API tree, against the floor of
//! merely reading and parsing its files.
//!
//! ```text
//! cargo bench -p kgen-build --bench crd
//! KGEN_BENCH_LINES=5000 KGEN_BENCH_RUNS=2 cargo bench -p kgen-build --bench crd   # a quick run
//! KGEN_BENCH_KEEP=/tmp/tree cargo bench -p kgen-build --bench crd                 # keep the trees
//! ```
//!
//! For a tree of a fifth of the size and one of the full size (about 100,000 lines of Rust API
//! types, see `synth`), it measures, in the same run: the floor (reading every file and
//! `syn::parse_file`, one thread, nothing else), then the release `kgen crd` and `kgen client` as
//! child processes; it reports the median wall time of each, the ratio to the floor, CPU time and
//! the child's peak RSS, and checks that every run wrote the same bytes. A missed target is
//! reported, never failed: timings depend on the machine. Exits non-zero only when kgen fails or
//! its output differs between runs.

mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// `kgen crd` within this many times the floor.
const TARGET_CRD_RATIO: f64 = 2.0;
/// `kgen client` within this many times the floor.
const TARGET_CLIENT_RATIO: f64 = 3.0;
/// Target peak RSS of either, in bytes (200 MB).
const TARGET_RSS_BYTES: u64 = 200 * 1000 * 1000;

const DEFAULT_LINES: usize = 100_000;
const DEFAULT_RUNS: usize = 7;

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

/// The medians of one command over the runs.
struct Figures {
    wall: Duration,
    best: Duration,
    cpu: Duration,
    rss_kib: Option<u64>,
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument has nothing to select here.
    let lines = env_usize("KGEN_BENCH_LINES", DEFAULT_LINES);
    let runs = env_usize("KGEN_BENCH_RUNS", DEFAULT_RUNS).max(1);
    let kgen = PathBuf::from(env!("CARGO_BIN_EXE_kgen"));
    let keep = std::env::var_os("KGEN_BENCH_KEEP").map(PathBuf::from);
    let root = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "kgen-bench-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ))
    });
    println!("kgen crd / kgen client benchmark");
    println!("  binary: {}", kgen.display());
    println!("  runs:   {runs} of each command per tree (medians below)");
    println!();
    let mut rows = Vec::new();
    let mut code = ExitCode::SUCCESS;
    for (label, size) in [("1/5", lines / 5), ("full", lines)] {
        match bench(&kgen, &root.join(format!("tree-{size}")), size, runs) {
            Ok(row) => rows.push((label, row)),
            Err(c) => {
                code = c;
                break;
            }
        }
    }
    if keep.is_none()
        && let Err(e) = std::fs::remove_dir_all(&root)
    {
        eprintln!("warning: could not remove {}: {e}", root.display());
    }
    if rows.is_empty() {
        return code;
    }
    summary(&rows);
    code
}

/// What one tree size measured.
struct Row {
    lines: usize,
    files: usize,
    floor: Duration,
    crd: Figures,
    client: Figures,
    crd_files: usize,
    crd_bytes: u64,
}

fn bench(kgen: &Path, dir: &Path, lines: usize, runs: usize) -> Result<Row, ExitCode> {
    let tree = dir.join("api");
    let t = Instant::now();
    if tree.exists() {
        let _ = std::fs::remove_dir_all(&tree);
    }
    let stats = synth::write_tree(&tree, lines);
    println!(
        "tree of {} lines in {} files, {} bytes (written in {}): {} groups, {} group-versions, {} kinds ({} kind-versions), {} types, {} markers",
        stats.lines,
        stats.files,
        stats.bytes,
        fmt_dur(t.elapsed()),
        stats.groups,
        stats.group_versions,
        stats.kinds,
        stats.kind_versions,
        stats.types,
        stats.markers
    );

    let mut floors: Vec<Duration> = (0..runs).map(|_| floor(&tree)).collect();
    floors.sort();
    let floor = median(&floors);
    println!("  floor (read + syn::parse_file, 1 thread): median {}", fmt_dur(floor));

    let out = dir.join("out");
    let crd = measure(
        kgen,
        &["crd", "--paths"],
        &tree,
        &["--out"],
        &out.join("crd"),
        runs,
        "crd",
    )?;
    let (crd_files, crd_bytes) = count_output(&out.join("crd"));
    let client = measure(
        kgen,
        &["client", "--paths"],
        &tree,
        &["--out"],
        &out.join("client"),
        runs,
        "client",
    )?;
    for (name, f) in [("crd", &crd), ("client", &client)] {
        println!(
            "  kgen {name:<6}: median {} (best {}), {:.2}x the floor, cpu {}, peak RSS {}",
            fmt_dur(f.wall),
            fmt_dur(f.best),
            ratio(f.wall, floor),
            fmt_dur(f.cpu),
            f.rss_kib.map(fmt_kib).unwrap_or_else(|| "n/a".into())
        );
    }
    println!("  output: {crd_files} CRD files, {crd_bytes} bytes; every run wrote the same bytes");
    println!();
    Ok(Row {
        lines: stats.lines,
        files: stats.files,
        floor,
        crd,
        client,
        crd_files,
        crd_bytes,
    })
}

fn summary(rows: &[(&str, Row)]) {
    println!("summary");
    println!("  | tree | lines | files | floor | kgen crd | ratio | peak RSS | kgen client | ratio | peak RSS |");
    println!("  | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (label, r) in rows {
        let rss = |f: &Figures| {
            f.rss_kib
                .map(|k| format!("{:.0} MB", k as f64 * 1024.0 / 1e6))
                .unwrap_or_default()
        };
        println!(
            "  | {label} | {} | {} | {} | {} | {:.2}x | {} | {} | {:.2}x | {} |",
            r.lines,
            r.files,
            fmt_dur(r.floor),
            fmt_dur(r.crd.wall),
            ratio(r.crd.wall, r.floor),
            rss(&r.crd),
            fmt_dur(r.client.wall),
            ratio(r.client.wall, r.floor),
            rss(&r.client),
        );
    }
    let (_, full) = &rows[rows.len() - 1];
    println!(
        "  output of the full tree: {} CRD files, {} bytes",
        full.crd_files, full.crd_bytes
    );
    println!();
    let scaled = if full.lines < DEFAULT_LINES {
        format!(
            " (this tree has {} lines, not {DEFAULT_LINES}: the targets are for the full tree)",
            full.lines
        )
    } else {
        String::new()
    };
    println!(
        "targets: kgen crd <= {TARGET_CRD_RATIO}x the floor, kgen client <= {TARGET_CLIENT_RATIO}x, both < 200 MB peak RSS{scaled}"
    );
    let rss_ok = |f: &Figures| f.rss_kib.is_some_and(|k| k * 1024 < TARGET_RSS_BYTES);
    println!(
        "  kgen crd:    {:.2}x -> {}, RSS -> {}",
        ratio(full.crd.wall, full.floor),
        verdict(ratio(full.crd.wall, full.floor) <= TARGET_CRD_RATIO),
        verdict(rss_ok(&full.crd))
    );
    println!(
        "  kgen client: {:.2}x -> {}, RSS -> {}",
        ratio(full.client.wall, full.floor),
        verdict(ratio(full.client.wall, full.floor) <= TARGET_CLIENT_RATIO),
        verdict(rss_ok(&full.client))
    );
}

/// Reads and parses every `.rs` file of `tree` on this thread: what any tool that reads the API
/// with syn must do at least.
fn floor(tree: &Path) -> Duration {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(tree)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    paths.sort();
    let start = Instant::now();
    let mut items = 0usize;
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("the tree was just written");
        let file = syn::parse_file(&text).expect("synthetic files parse");
        items += file.items.len();
    }
    let took = start.elapsed();
    assert!(items > 0, "the tree has items");
    took
}

/// Runs `kgen <args> <tree> <out_flag> <out>` `runs` times into a fresh `out` and checks that
/// every run wrote the same files.
fn measure(
    kgen: &Path,
    args: &[&str],
    tree: &Path,
    out_flag: &[&str],
    out: &Path,
    runs: usize,
    what: &str,
) -> Result<Figures, ExitCode> {
    let mut results = Vec::new();
    let mut first_output: Option<Vec<(PathBuf, Vec<u8>)>> = None;
    for i in 1..=runs {
        // A fresh output directory each run, so every run writes every file.
        if out.exists() {
            let _ = std::fs::remove_dir_all(out);
        }
        let run = match run_kgen(kgen, args, tree, out_flag, out) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: could not run {}: {e}", kgen.display());
                return Err(ExitCode::FAILURE);
            }
        };
        if run.code != Some(0) {
            eprintln!(
                "error: kgen {what} failed (run {i}, {}):",
                match run.code {
                    Some(c) => format!("exit code {c}"),
                    None => "killed by a signal".to_string(),
                }
            );
            eprintln!("{}", run.stderr);
            return Err(ExitCode::from(run.code.map(|c| c.clamp(1, 255) as u8).unwrap_or(1)));
        }
        if i == 1 && !run.stderr.trim().is_empty() {
            let n = run.stderr.lines().count();
            println!("  kgen {what} printed {n} line(s) on stderr (first run; first 20 shown):");
            for l in run.stderr.lines().take(20) {
                println!("    | {l}");
            }
        }
        let output = read_output(out);
        match &first_output {
            None => first_output = Some(output),
            Some(first) if *first != output => {
                eprintln!("error: kgen {what} wrote different bytes in run {i} than in run 1");
                return Err(ExitCode::FAILURE);
            }
            Some(_) => {}
        }
        results.push(run);
    }
    let mut walls: Vec<Duration> = results.iter().map(|r| r.wall).collect();
    walls.sort();
    let mut cpus: Vec<Duration> = results.iter().map(|r| r.cpu).collect();
    cpus.sort();
    Ok(Figures {
        wall: median(&walls),
        best: walls[0],
        cpu: median(&cpus),
        rss_kib: results.iter().filter_map(|r| r.max_rss_kib).max(),
    })
}

/// Every file under `dir` with its bytes, sorted by path.
fn read_output(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.into_path(), bytes)
        })
        .collect();
    files.sort();
    files
}

fn median(sorted: &[Duration]) -> Duration {
    if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
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

/// Runs kgen once, with stdout discarded and stderr kept in a file next to the output.
fn run_kgen(kgen: &Path, args: &[&str], tree: &Path, out_flag: &[&str], out: &Path) -> std::io::Result<Run> {
    let err_path = out.with_extension("stderr");
    if let Some(parent) = err_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let err_file = std::fs::File::create(&err_path)?;
    let mut cmd = Command::new(kgen);
    cmd.args(args).arg(tree).args(out_flag).arg(out);
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

fn fmt_kib(kib: u64) -> String {
    format!("{:.1} MB ({kib} KiB)", kib as f64 * 1024.0 / 1e6)
}
