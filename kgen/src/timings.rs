//! Stage timings, for profiling: with `KGEN_TIMINGS=1` in the environment, `kgen` prints how long
//! each stage of a run took (wall time) to stderr when it ends. Off, marking a stage costs one
//! relaxed atomic load.
//!
//! ```
//! kgen_build::timings::mark("load");   // the time since the previous mark, or since the start
//! ```

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// 0: not yet read, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);
static MARKS: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());
static LAST: Mutex<Option<Instant>> = Mutex::new(None);
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

/// Starts the clock (the first [`mark`] starts it otherwise).
pub fn start() {
    if enabled() {
        let now = *START.get_or_init(Instant::now);
        LAST.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(now);
    }
}

/// Records that the stage `name` ended now.
pub fn mark(name: &'static str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let since = last.map(|l| now - l).unwrap_or_default();
    *last = Some(now);
    START.get_or_init(|| now);
    MARKS.lock().unwrap_or_else(|e| e.into_inner()).push((name, since));
}

/// The stages marked so far, in order, with their durations.
pub fn marks() -> Vec<(&'static str, Duration)> {
    MARKS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Prints the stages to stderr (when enabled): one line per stage, then the total.
pub fn report() {
    if !enabled() {
        return;
    }
    let marks = marks();
    let total = START.get().map(Instant::elapsed).unwrap_or_default();
    for (name, d) in &marks {
        eprintln!("kgen timings: {name:<10} {:>8.1} ms", d.as_secs_f64() * 1000.0);
    }
    eprintln!("kgen timings: {:<10} {:>8.1} ms", "total", total.as_secs_f64() * 1000.0);
}
