//! Stage timings, for profiling: with `KGEN_TIMINGS=1` in the environment, `kgen` prints how long
//! each stage of a run took (wall time, and the CPU time of every thread of the process, at the
//! kernel's 10 ms resolution) and the memory in use (and the peak so far) at its end to stderr when it ends. Off, marking a
//! stage costs one relaxed atomic load.
//!
//! ```
//! kgen_build::timings::mark("load");   // the time since the previous mark, or since the start
//! ```

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// 0: not yet read, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);
static MARKS: Mutex<Vec<Mark>> = Mutex::new(Vec::new());
static LAST: Mutex<Option<(Instant, Option<Duration>)>> = Mutex::new(None);
static START: OnceLock<Instant> = OnceLock::new();

/// True when `KGEN_TIMINGS` is set (to anything but `0`).
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let on = std::env::var("KGEN_TIMINGS").is_ok_and(|v| v != "0");
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

/// One stage: its name, wall time, CPU time, and the RSS and peak RSS (KiB) at its end.
pub type Mark = (&'static str, Duration, Option<Duration>, Option<(u64, u64)>);

/// Starts the clock (the first [`mark`] starts it otherwise).
pub fn start() {
    if enabled() {
        let now = *START.get_or_init(Instant::now);
        LAST.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert((now, cpu_time()));
    }
}

/// Records that the stage `name` ended now.
pub fn mark(name: &'static str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let cpu = cpu_time();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let since = last.map(|(l, _)| now - l).unwrap_or_default();
    let cpu_since = match (*last, cpu) {
        (Some((_, Some(before))), Some(now)) => Some(now.saturating_sub(before)),
        (None, Some(now)) => Some(now),
        _ => None,
    };
    *last = Some((now, cpu));
    START.get_or_init(|| now);
    MARKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((name, since, cpu_since, rss_kib()));
}

/// The process's CPU time so far, user and system, of every thread (Linux; `None` elsewhere).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_whitespace();
    // utime and stime are fields 14 and 15, in clock ticks of 1/100 s (USER_HZ).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The process's resident set size now and its peak so far, in KiB (Linux; `None` elsewhere).
fn rss_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The stages marked so far, in order, with their wall and CPU times, and the RSS and the peak
/// RSS (KiB) at their end.
pub fn marks() -> Vec<Mark> {
    MARKS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Prints the stages to stderr (when enabled): one line per stage, then the total.
pub fn report() {
    if !enabled() {
        return;
    }
    let marks = marks();
    let total = START.get().map(Instant::elapsed).unwrap_or_default();
    for (name, d, cpu, rss) in &marks {
        let cpu = cpu
            .map(|c| format!("  cpu {:>6.0} ms", c.as_secs_f64() * 1000.0))
            .unwrap_or_default();
        let mb = |kib: u64| kib as f64 * 1024.0 / 1e6;
        let rss = rss
            .map(|(now, peak)| format!("  RSS {:>6.1} MB, peak {:>6.1} MB", mb(now), mb(peak)))
            .unwrap_or_default();
        eprintln!(
            "kgen timings: {name:<10} {:>8.1} ms{cpu}{rss}",
            d.as_secs_f64() * 1000.0
        );
    }
    let cpu = cpu_time()
        .map(|c| format!("  cpu {:>6.0} ms", c.as_secs_f64() * 1000.0))
        .unwrap_or_default();
    eprintln!(
        "kgen timings: {:<10} {:>8.1} ms{cpu}",
        "total",
        total.as_secs_f64() * 1000.0
    );
}
