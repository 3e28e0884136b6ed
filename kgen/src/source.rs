//! Loading source: walk `--paths`, parse every `.rs` file with syn, and give each file its module path.
//!
//! Like a Go package, a directory's files all belong to the API tree whether or not a `mod`
//! declaration names them; nothing is compiled. A file no `mod` declares, and a `mod x;` whose
//! file is missing, get a warning ([`modules`]): rustc would not compile them.
//!
//! Only regular files are read (a FIFO, socket or device under `--paths`, or a symlink to one,
//! is skipped with a warning, never opened), at most [`MAX_FILE_SIZE`] bytes each, and a file
//! nested deeper than [`MAX_NESTING`] levels is refused before syn parses it.

mod modules;
mod nesting;

pub use nesting::MAX_NESTING;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::Registry;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Source files larger than this are refused: no API definition comes near it, and parsing one
/// would take long and use a lot of memory.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// One parsed source file.
pub struct SourceFile {
    /// The path as found under the input directory (used in every diagnostic).
    pub path: Arc<PathBuf>,
    /// Module path relative to the crate root, best effort: `["api", "v1alpha1"]`.
    pub module: Vec<String>,
    /// The parsed file.
    pub ast: syn::File,
}

/// Every file and directory read, for `cargo:rerun-if-changed`.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// `.rs` files, sorted.
    pub files: Vec<PathBuf>,
    /// Directories walked, sorted.
    pub dirs: Vec<PathBuf>,
}

/// The stack the pipeline runs on ([`with_stack`]). syn parses nested syntax recursively, at
/// several KiB a level in a debug build: this leaves room for [`MAX_NESTING`] levels of anything,
/// whatever stack the caller's thread has (a test thread gets 2 MiB). Only pages touched are used.
pub const STACK_SIZE: usize = 256 << 20;

thread_local! {
    /// Set on the threads [`with_stack`] starts.
    static ON_LARGE_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on a thread with a [`STACK_SIZE`] stack and returns what it returns (a panic in it
/// goes on in the caller). If no such thread can be started, `f` runs on the caller's thread.
pub fn with_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    // Nested calls (the CEL parser inside the pipeline) are already on a large stack.
    if ON_LARGE_STACK.with(std::cell::Cell::get) {
        return f();
    }
    let f = std::sync::Mutex::new(Some(f));
    let run = || {
        ON_LARGE_STACK.with(|on| on.set(true));
        f.lock().ok().and_then(|mut f| f.take()).map(|f| f())
    };
    let result = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("kgen".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, run);
        match spawned {
            Ok(handle) => Some(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
            Err(_) => None,
        }
    });
    match result.flatten() {
        Some(value) => value,
        // The thread could not start, so `f` is still there.
        None => run().expect("with_stack runs its function once"),
    }
}

/// Where the pipeline's memory changes character, for an allocator to adapt ([`on_memory`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// Every syntax tree is freed. They were the largest part of the memory, allocated densely
    /// (mostly on threads that have ended by now); what comes next is smaller and sparser.
    TreesFreed,
    /// Code generation starts: it allocates about as much again as the CRDs, on one thread.
    Codegen,
}

/// What [`on_memory`] registered.
static ON_MEMORY: std::sync::OnceLock<fn(Memory)> = std::sync::OnceLock::new();

/// Registers a function the pipeline calls on its own thread at each [`Memory`] point. The `kgen`
/// command uses it to tune mimalloc and the kernel (see its `main.rs`); a build script needs
/// nothing. Only the first registration counts.
pub fn on_memory(f: fn(Memory)) {
    let _ = ON_MEMORY.set(f);
}

/// Calls what [`on_memory`] registered.
pub(crate) fn memory(point: Memory) {
    if let Some(f) = ON_MEMORY.get() {
        f(point);
    }
}

/// How many threads [`parallel_map`] uses: `KGEN_THREADS` if set (at least 1), else the
/// machine's available parallelism.
pub fn threads() -> usize {
    std::env::var("KGEN_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(1))
        .max(1)
}

/// `jobs.iter().map(f).collect()`, on up to [`threads`] threads with large stacks (as
/// [`with_stack`] gives), taking jobs in order as each thread becomes free. The results are in
/// job order whatever the threads, so the output does not depend on scheduling. Runs on the
/// caller's thread when there is one job or one thread, or when no thread can be started.
pub fn parallel_map<J: Sync, T: Send>(jobs: &[J], f: impl Fn(&J) -> T + Sync) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = threads().min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            done.push((i, f(job)));
        }
        done
    };
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(jobs.len()).collect();
    let worker = || {
        ON_LARGE_STACK.with(|on| on.set(true));
        work()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("kgen-worker".into())
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, worker)
                    .ok()
            })
            .collect();
        // The caller's thread works too: it reuses the memory it freed before (the syntax
        // trees), where another thread would allocate afresh. It takes every job no worker took.
        let mut all: Vec<(usize, T)> = work();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        for (i, value) in all {
            slots[i] = Some(value);
        }
    });
    slots.into_iter().map(|v| v.expect("every job ran once")).collect()
}

/// A file to read: its path as found, and its module path.
struct Job {
    path: PathBuf,
    module: Vec<String>,
}

/// Reads and parses every `.rs` file under `paths` (files or directories), in a stable order, on
/// the caller's thread.
pub fn load(paths: &[PathBuf], diags: &mut Diagnostics) -> (Vec<SourceFile>, Inputs) {
    let (jobs, inputs) = discover(paths, diags);
    let files: Vec<SourceFile> = jobs
        .into_iter()
        .filter_map(|job| parse_one(&job.path, job.module, diags))
        .collect();
    let roots = modules::Roots::new(paths);
    let decls: Vec<_> = files.iter().map(|f| modules::file_decls(f, &roots)).collect();
    modules::check(&decls, &roots, diags);
    (files, inputs)
}

/// Every file and directory [`load`] would read, without reading a file.
pub fn inputs(paths: &[PathBuf]) -> Inputs {
    discover(paths, &mut Diagnostics::new()).1
}

/// [`load`] on up to [`threads`] threads, with the work that needs each syntax tree done on the
/// thread that parsed it: proc-macro2's span locations live in a thread-local source map, so a
/// span means something only on its own thread (and syn's trees are not `Send`).
///
/// Each thread takes files in order as it becomes free, parses one, runs `first` on it (what the
/// whole input must know before anything is built: names, scopes, ...) and keeps the tree. When
/// every file is parsed, `merge` gets what `first` returned, in file order, on the caller's thread
/// and makes the shared state; then each thread runs `second` with it on each of its own trees,
/// freeing each tree when done. Returns the shared state, what `second` returned in file order
/// (a file that could not be read or parsed has neither), and the inputs. Every thread's
/// diagnostics end in `diags`; nothing returned depends on which thread did what.
pub fn load_with<A, S, B>(
    paths: &[PathBuf],
    diags: &mut Diagnostics,
    first: impl Fn(&SourceFile, &mut Diagnostics) -> A + Sync,
    merge: impl FnOnce(Vec<A>, &mut Diagnostics) -> S,
    second: impl Fn(&SourceFile, &S, &mut Diagnostics) -> B + Sync,
) -> (S, Vec<B>, Inputs)
where
    A: Send,
    S: Send + Sync,
    B: Send,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    /// What the first step sent for one file: `None` when it was not parsed.
    type Found<A> = (usize, Option<(modules::FileDecls, A)>);

    let (jobs, inputs) = discover(paths, diags);
    let roots = modules::Roots::new(paths);
    let threads = threads().min(jobs.len()).max(1);
    let next = AtomicUsize::new(0);
    let shared: std::sync::OnceLock<S> = std::sync::OnceLock::new();

    // Parses files as they come and sends what `first` finds; keeps the trees.
    let parse = |found: &mpsc::Sender<Found<A>>, diags: &mut Diagnostics| -> Vec<(usize, SourceFile)> {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let file = parse_one(&job.path, job.module.clone(), diags);
            let summary = file.as_ref().map(|f| (modules::file_decls(f, &roots), first(f, diags)));
            if found.send((i, summary)).is_err() {
                break;
            }
            mine.extend(file.map(|f| (i, f)));
        }
        mine
    };
    // The second step over one thread's trees, each freed as soon as it is done.
    let finish = |mine: Vec<(usize, SourceFile)>, shared: &S, diags: &mut Diagnostics| -> Vec<(usize, B)> {
        mine.into_iter()
            .map(|(i, file)| (i, second(&file, shared, diags)))
            .collect()
    };
    let worker = |found: mpsc::Sender<Found<A>>, go: mpsc::Receiver<()>| {
        ON_LARGE_STACK.with(|on| on.set(true));
        let mut diags = Diagnostics::new();
        let mine = parse(&found, &mut diags);
        drop(found);
        let done = match (go.recv(), shared.get()) {
            (Ok(()), Some(shared)) => finish(mine, shared, &mut diags),
            // The caller gave up: another thread panicked.
            _ => Vec::new(),
        };
        (done, diags)
    };
    let worker = &worker;

    let (found_tx, found_rx) = mpsc::channel::<Found<A>>();
    let mut done: Vec<(usize, B)> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut gos = Vec::new();
        for _ in 1..threads {
            let (go_tx, go_rx) = mpsc::channel();
            let found = found_tx.clone();
            let spawned = std::thread::Builder::new()
                .name("kgen-worker".into())
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, move || worker(found, go_rx));
            if let Ok(handle) = spawned {
                handles.push(handle);
                gos.push(go_tx);
            }
        }
        // The caller's thread parses too, and takes every file no worker took.
        let mine = parse(&found_tx, diags);
        drop(found_tx);
        let mut slots: Vec<Option<Option<(modules::FileDecls, A)>>> =
            std::iter::repeat_with(|| None).take(jobs.len()).collect();
        // Ends when every thread is through its files (or has died).
        for (i, summary) in found_rx {
            slots[i] = Some(summary);
        }
        if slots.iter().any(Option::is_none) {
            // A worker panicked: let the others go, and pass its panic on.
            drop(gos);
            for h in handles {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            unreachable!("every file is parsed unless a thread panicked");
        }
        let (decls, firsts): (Vec<_>, Vec<_>) = slots.into_iter().flatten().flatten().unzip();
        modules::check(&decls, &roots, diags);
        drop(decls);
        crate::timings::mark("parse");
        if shared.set(merge(firsts, diags)).is_err() {
            unreachable!("the shared state is set once");
        }
        for go in gos {
            // A worker that is gone has panicked: its join below says so.
            let _ = go.send(());
        }
        let mut done = finish(mine, shared.get().expect("just set"), diags);
        for h in handles {
            let (theirs, their_diags) = h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            done.extend(theirs);
            diags.extend(their_diags);
        }
        done
    });
    // This thread's spans are gone with its trees: drop proc-macro2's copy of the texts they
    // pointed into (the workers' went with their threads). Only on a thread of kgen's own, where
    // no caller's span can be.
    if ON_LARGE_STACK.with(std::cell::Cell::get) {
        proc_macro2::extra::invalidate_current_thread_spans();
    }
    done.sort_unstable_by_key(|(i, _)| *i);
    let shared = shared.into_inner().expect("set before the second step");
    (shared, done.into_iter().map(|(_, b)| b).collect(), inputs)
}

/// Every `.rs` file under `paths` to read, in a stable order (what is not a regular file is
/// reported and left out), and every file and directory seen.
fn discover(paths: &[PathBuf], diags: &mut Diagnostics) -> (Vec<Job>, Inputs) {
    let mut jobs = Vec::new();
    let mut inputs = Inputs::default();
    if paths.is_empty() {
        diags.error(None, "no input: give at least one --paths directory");
    }
    for root in paths {
        if !root.is_dir() {
            if std::fs::metadata(root).is_err() {
                diags.push(Diagnostic::error(
                    None,
                    format!("--paths {}: no such file or directory", root.display()),
                ));
                continue;
            }
            // A file (or something else, which `parse_one` refuses without opening it).
            let stem = root
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            inputs.files.push(root.clone());
            jobs.push(Job {
                path: root.clone(),
                module: vec![stem],
            });
            continue;
        }
        // A directory holding lib.rs or main.rs is a crate root; otherwise it is a module named after itself.
        let base: Vec<String> = if root.join("lib.rs").is_file() || root.join("main.rs").is_file() {
            Vec::new()
        } else {
            let name = root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            vec![name]
        };
        let walker = walkdir::WalkDir::new(root).sort_by_file_name().follow_links(true);
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // A dangling symlink, a symlink loop, a directory that cannot be listed.
                    let at = e.path().unwrap_or(root);
                    let message = format!("reading {}: {e}", at.display());
                    if at.extension().is_some_and(|x| x == "rs") || e.path().is_none() {
                        diags.error(Location::file_start(at), message);
                    } else {
                        diags.warning(Location::file_start(at), format!("{message}; skipped"));
                    }
                    continue;
                }
            };
            let path = entry.path();
            if entry.file_type().is_dir() {
                if path != root && is_hidden_or_target(path) {
                    continue;
                }
                inputs.dirs.push(path.to_path_buf());
                continue;
            }
            // Hidden and `target` directories are skipped below the root only: a project that
            // lives under `~/.work/` or `/srv/target/` is still read.
            let rel = path.strip_prefix(root).unwrap_or(path);
            if path.extension().is_none_or(|e| e != "rs")
                || rel.components().any(|c| is_skipped_component(c.as_os_str()))
            {
                continue;
            }
            if !entry.file_type().is_file() {
                // With symlinks followed, this is what the link points at.
                diags.push(
                    Diagnostic::warning(
                        Location::file_start(path),
                        format!(
                            "`{}` is {}, not a regular file; skipped",
                            path.display(),
                            kind_of(&entry.file_type())
                        ),
                    )
                    .with_help("kgen reads only regular files; a FIFO or device would block or never end"),
                );
                continue;
            }
            inputs.files.push(path.to_path_buf());
            jobs.push(Job {
                path: path.to_path_buf(),
                module: module_of(&base, rel),
            });
        }
    }
    inputs.files.sort();
    inputs.dirs.sort();
    (jobs, inputs)
}

/// `a FIFO`, `a character device`, ... for messages.
fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// The text of a source file, if it is a regular file of at most [`MAX_FILE_SIZE`] bytes. Its
/// type is checked before it is opened (opening a FIFO waits for a writer) and again on the open
/// file.
fn read_source(path: &Path) -> Result<String, String> {
    let check = |meta: &std::fs::Metadata| -> Result<(), String> {
        if !meta.is_file() {
            return Err(format!(
                "{} is {}, not a regular file",
                path.display(),
                kind_of(&meta.file_type())
            ));
        }
        if meta.len() > MAX_FILE_SIZE {
            return Err(too_large(path, meta.len()));
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?)?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
    check(&file.metadata().map_err(|e| format!("cannot read file: {e}"))?)?;
    let mut bytes = Vec::new();
    // A file that grows while being read still stops at the limit.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(path, bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| format!("cannot read file: not UTF-8 ({e})"))
}

fn too_large(path: &Path, len: u64) -> String {
    format!(
        "{} is {len} bytes; kgen reads source files of at most {} MiB",
        path.display(),
        MAX_FILE_SIZE >> 20
    )
}

fn is_hidden_or_target(path: &Path) -> bool {
    path.file_name().is_some_and(is_skipped_component)
}

fn is_skipped_component(name: &std::ffi::OsStr) -> bool {
    let n = name.to_string_lossy();
    (n.starts_with('.') && n != "." && n != "..") || n == "target"
}

/// `v1alpha1/mod.rs` → `[.., "v1alpha1"]`; `v1alpha1/types.rs` → `[.., "v1alpha1", "types"]`.
fn module_of(base: &[String], rel: &Path) -> Vec<String> {
    let mut module = base.to_vec();
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            let stem = part.trim_end_matches(".rs");
            if !matches!(stem, "mod" | "lib" | "main") {
                module.push(stem.to_string());
            }
        } else {
            module.push(part.clone());
        }
    }
    module
}

fn parse_one(path: &Path, module: Vec<String>, diags: &mut Diagnostics) -> Option<SourceFile> {
    let file = Arc::new(path.to_path_buf());
    let text = match read_source(path) {
        Ok(t) => t,
        Err(message) => {
            diags.push(Diagnostic::error(Location::file_start(path), message));
            return None;
        }
    };
    // Kept for diagnostics: each shows its source line from this text.
    let text: Arc<str> = Arc::from(text);
    diags.add_source(file.clone(), text.clone());
    if let Some((line, column)) = nesting::too_deep(&text) {
        diags.push(
            Diagnostic::error(
                Location::new(file.clone(), line, column),
                format!("the source nests more than {MAX_NESTING} levels deep here; kgen does not parse this file"),
            )
            .with_help("brackets, generic arguments, prefix operators and closures count; no API type needs this many (name the inner types)"),
        );
        return None;
    }
    warn_plain_comment_markers(&file, &text, diags);
    match syn::parse_file(&text) {
        Ok(ast) => Some(SourceFile {
            path: file,
            module,
            ast,
        }),
        Err(e) => {
            diags.push(Diagnostic::error(
                crate::diag::span_location(&file, e.span()),
                format!("cannot parse Rust source: {e}"),
            ));
            None
        }
    }
}

/// `// +kubebuilder:...` in a plain comment is invisible to syn (and to rustdoc): in Go it would be a
/// marker, so a Go author's copy would silently lose it. Say so.
fn warn_plain_comment_markers(file: &Arc<PathBuf>, text: &str, diags: &mut Diagnostics) {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("//") else {
            continue;
        };
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let rest = rest.trim_start();
        let Some(name) = rest.strip_prefix('+') else {
            continue;
        };
        let name = name.split('=').next().unwrap_or("");
        if Registry::is_known_prefix(name) {
            let col = line.len() - trimmed.len() + 1;
            diags.push(
                Diagnostic::warning(
                    Location::new(file.clone(), i + 1, col),
                    format!("marker `+{name}` is in a plain `//` comment and is ignored"),
                )
                .with_help("write markers in doc comments: `/// +...` on items and fields, `//! +...` for a module"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_target_directories_are_skipped_below_the_root_only() {
        let outer = tempfile::Builder::new().prefix(".hidden-parent").tempdir().unwrap();
        let root = outer.path().join("target").join("api");
        for dir in ["v1", ".git", "target"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join("mod.rs"), "pub struct A;\n").unwrap();
        }
        let mut diags = Diagnostics::new();
        let (files, inputs) = load(std::slice::from_ref(&root), &mut diags);
        assert!(diags.is_empty());
        assert_eq!(inputs.files, vec![root.join("v1/mod.rs")]);
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn each_file_is_read_twice_on_the_thread_that_parsed_it_and_results_come_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("api");
        std::fs::create_dir_all(&root).unwrap();
        let mut mods = String::new();
        for i in 0..40 {
            mods.push_str(&format!("mod m{i:02};\n"));
            std::fs::write(root.join(format!("m{i:02}.rs")), format!("pub struct S{i};\n")).unwrap();
        }
        std::fs::write(root.join("mod.rs"), mods).unwrap();
        // One file that does not parse: it has neither result, and its error is reported.
        std::fs::write(root.join("bad.rs"), "pub struct {").unwrap();
        let name = |f: &SourceFile| match &f.ast.items[..] {
            [syn::Item::Struct(s)] => s.ident.to_string(),
            _ => "mod".to_string(),
        };
        let mut diags = Diagnostics::new();
        let (shared, seconds, inputs) = with_stack(|| {
            load_with(
                std::slice::from_ref(&root),
                &mut diags,
                |f, _| (name(f), std::thread::current().id()),
                |firsts, _| firsts,
                |f, _, _| (name(f), std::thread::current().id()),
            )
        });
        assert_eq!(inputs.files.len(), 42);
        assert_eq!(shared.len(), 41);
        assert_eq!(seconds, shared, "same thread for both steps, same order");
        let names: Vec<&str> = shared.iter().map(|(n, _)| n.as_str()).collect();
        let expected: Vec<String> = (0..40).map(|i| format!("S{i}")).chain(["mod".to_string()]).collect();
        assert_eq!(names, expected);
        let errors: Vec<String> = diags.into_sorted().into_iter().map(|d| d.message).collect();
        assert!(
            errors.iter().any(|m| m.starts_with("cannot parse Rust source")),
            "{errors:?}"
        );
    }

    #[test]
    fn module_paths_follow_rust_rules() {
        let base = vec!["api".to_string()];
        assert_eq!(module_of(&base, Path::new("v1alpha1/mod.rs")), vec!["api", "v1alpha1"]);
        assert_eq!(
            module_of(&base, Path::new("v1alpha1/types.rs")),
            vec!["api", "v1alpha1", "types"]
        );
        assert_eq!(module_of(&base, Path::new("mod.rs")), vec!["api"]);
        assert_eq!(module_of(&[], Path::new("lib.rs")), Vec::<String>::new());
    }

    #[test]
    fn plain_comment_markers_warn() {
        let mut d = Diagnostics::new();
        warn_plain_comment_markers(
            &Arc::new(PathBuf::from("a.rs")),
            "// +kubebuilder:validation:Minimum=1\n/// +optional\n// + not a marker\n// +k8s:enum\n",
            &mut d,
        );
        let all = d.into_sorted();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].location.as_ref().unwrap().line, 1);
        assert!(all[1].message.contains("+k8s:enum"));
    }
}
