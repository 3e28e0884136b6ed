//! No crash, no hang, no half-written output, on inputs built to break kgen: re-exports that
//! refer to each other, types and expressions nested thousands deep, FIFOs and huge files under
//! `--paths`, output directories where a file cannot be replaced, names Rust cannot spell.
//!
//! Every test runs on cargo's ordinary 2 MiB test threads: kgen must not need more.

use kgen_build::CrdOptions;
use kgen_build::codegen::CodegenOptions;
use kgen_build::output::{GeneratedFile, write_files};
use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HEAD: &str = "//! +groupName=robust.kgen.dev\n//! +versionName=v1\n\nuse k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\n";

fn kind(spec: &str) -> String {
    format!("{HEAD}pub struct Thing {{\n    pub metadata: ObjectMeta,\n    pub spec: {spec},\n}}\n\n")
}

/// Runs `f` on its own thread and fails the test if it takes longer than `limit` (instead of
/// hanging the test run).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

fn crds_of(dir: &Path) -> Result<kgen_build::CrdOutput, String> {
    kgen_build::generate_crds(&CrdOptions::new([dir])).map_err(|f| f.to_string())
}

fn one_file(src: &str) -> (tempfile::TempDir, Result<kgen_build::CrdOutput, String>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mod.rs"), src).unwrap();
    let out = crds_of(dir.path());
    (dir, out)
}

// ---- glob re-exports -------------------------------------------------------------------------

#[test]
fn glob_reexports_that_refer_to_each_other_resolve_or_give_located_errors() {
    let src = kind("Spec")
        + "pub mod a { pub use super::b::*; pub struct Found { pub x: String } }\n\
           pub mod b { pub use super::a::*; }\n\
           pub mod c { pub use super::d::*; pub use super::b::*; }\n\
           pub mod d { pub use super::c::*; pub use super::a::*; }\n\
           use c::*;\n\
           pub struct Spec {\n    pub found: b::Found,\n    pub through_globs: Found,\n    pub missing: b::Missing,\n    pub missing_too: Missing,\n}\n";
    let (_dir, out) = within(Duration::from_secs(30), move || one_file(&src));
    let err = out.unwrap_err();
    assert!(err.contains("error: cannot find type `b::Missing`"), "{err}");
    assert!(err.contains("error: cannot find type `Missing`"), "{err}");
    assert!(
        err.contains("mod.rs:19:18\n") && err.contains("mod.rs:20:22\n"),
        "{err}"
    );
    assert!(err.contains("kgen: 2 errors found"), "{err}");
}

#[test]
fn many_modules_globbing_each_other_stay_fast() {
    let n = 40;
    let mut src = kind("Spec");
    for i in 0..n {
        src.push_str(&format!("pub mod m{i} {{"));
        for j in 0..n {
            if i != j {
                src.push_str(&format!(" pub use super::m{j}::*;"));
            }
        }
        src.push_str(" }\n");
    }
    src.push_str("pub mod m0x { pub struct Deep { pub x: String } }\n");
    src.push_str("pub struct Spec {\n    pub missing: m0::Missing,\n    pub found: m7::Local,\n}\n");
    src.push_str("pub mod more { }\npub use m0x::Deep as Local;\n");
    let started = Instant::now();
    let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
    let err = out.unwrap_err();
    assert!(err.contains("cannot find type `m0::Missing`"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

// ---- deep nesting ----------------------------------------------------------------------------

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn types_nested_two_thousand_deep_are_located_errors() {
    for (what, ty) in [
        ("Option", nested("Option<", "String", ">", 2000)),
        ("Vec", nested("Vec<", "String", ">", 2000)),
        (
            "BTreeMap",
            nested("std::collections::BTreeMap<String, ", "String", ">", 2000),
        ),
        ("array", nested("[", "String", "; 1]", 2000)),
        ("reference", format!("{}String", "&".repeat(2000))),
        ("pointer", format!("{}String", "*const ".repeat(2000))),
    ] {
        let src = kind("Spec") + &format!("pub struct Spec {{\n    pub deep: {ty},\n}}\n");
        let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
        let err = out.unwrap_err();
        assert!(
            err.contains("error: the source nests more than 256 levels deep here"),
            "{what}: {err}"
        );
        assert!(err.contains("mod.rs:12:"), "{what}: {err}");
    }
}

#[test]
fn types_below_the_parse_limit_but_too_deep_for_a_schema_are_located_errors() {
    let src = kind("Spec")
        + &format!(
            "pub struct Spec {{\n    pub deep: {},\n}}\n",
            nested("Option<", "String", ">", 200)
        );
    let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
    let err = out.unwrap_err();
    assert!(err.contains("error: type nested more than 64 levels deep"), "{err}");
}

#[test]
fn moderately_deep_types_work() {
    let src = kind("Spec")
        + &format!(
            "pub struct Spec {{\n    pub deep: {},\n}}\n",
            nested("Vec<", "String", ">", 50)
        );
    let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.files.len(), 1);
    assert_eq!(out.files[0].contents.matches("items:").count(), 50);
}

#[test]
fn two_thousand_structs_each_holding_the_next_are_one_located_error() {
    let mut src = kind("S0");
    for i in 0..2000 {
        src.push_str(&format!("pub struct S{i} {{\n    pub next: Option<S{}>,\n}}\n", i + 1));
    }
    src.push_str("pub struct S2000 {\n    pub leaf: String,\n}\n");
    let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
    let err = out.unwrap_err();
    assert!(
        err.contains("error: `S62.next` nests kind Thing's schema more than 64 levels deep"),
        "{err}"
    );
    assert!(err.contains("kgen: 1 error found"), "{err}");
    // The same chain through a newtype per level and through lists.
    let mut src = kind("S0");
    for i in 0..2000 {
        src.push_str(&format!(
            "pub struct S{i} {{\n    pub next: Vec<W{i}>,\n}}\npub struct W{i}(pub S{});\n",
            i + 1
        ));
    }
    src.push_str("pub struct S2000 {}\n");
    let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
    let err = out.unwrap_err();
    assert!(err.contains("levels deep"), "{err}");
}

#[test]
fn deep_expressions_anywhere_in_a_file_are_located_errors() {
    for (what, body) in [
        ("parens", format!("pub const A: i32 = {};", nested("(", "1", ")", 5000))),
        ("negations", format!("pub const A: i32 = {}1;", "-".repeat(100_000))),
        ("blocks", format!("pub fn f() {}", nested("{", "", "}", 5000))),
        (
            "closures",
            format!("pub fn f() {{ let _ = {}1; }}", "|a| ".repeat(5000)),
        ),
        ("returns", format!("pub fn f() {{ {}; }}", "return ".repeat(5000))),
        ("assignments", format!("pub fn f() {{ {}1; }}", "a = ".repeat(5000))),
        (
            "marker value",
            format!(
                "/// +kubebuilder:default={}\npub struct X;",
                nested("{", "1", "}", 5000)
            ),
        ),
        (
            "attribute",
            format!(
                "pub struct X {{ #[kgen(default = {})] pub x: i32 }}",
                nested("[", "1", "]", 5000)
            ),
        ),
    ] {
        let src = kind("String") + &body + "\n";
        let (_dir, out) = within(Duration::from_secs(60), move || one_file(&src));
        let err = out.unwrap_err();
        assert!(err.contains("error: "), "{what}: {err}");
        assert!(err.contains("mod.rs:"), "{what}: {err}");
    }
}

// ---- what is read ----------------------------------------------------------------------------

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        path.display()
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_under_paths_are_skipped_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mod.rs"), kind("String") + "pub mod v1;\n").unwrap();
    fs::create_dir(dir.path().join("v1")).unwrap();
    fs::write(dir.path().join("v1/mod.rs"), "").unwrap();
    mkfifo(&dir.path().join("pipe.rs"));
    mkfifo(&dir.path().join("v1/elsewhere"));
    std::os::unix::fs::symlink(dir.path().join("v1/elsewhere"), dir.path().join("v1/link.rs")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.rs")).unwrap();
    let root = dir.path().to_path_buf();
    let out = within(Duration::from_secs(30), move || crds_of(&root)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.files.len(), 1);
    let warnings: Vec<String> = out.warnings.iter().map(|w| w.one_line()).collect();
    for (name, what) in [
        ("pipe.rs", "a FIFO"),
        ("v1/link.rs", "a FIFO"),
        ("zero.rs", "a character device"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("{name}` is {what}, not a regular file; skipped"))),
            "{name}: {warnings:#?}"
        );
    }
    assert!(!out.inputs.files.iter().any(|f| f.ends_with("pipe.rs")));

    // Given directly, a FIFO is refused with an error naming it.
    let fifo = dir.path().join("pipe.rs");
    let err = within(Duration::from_secs(30), move || crds_of(&fifo)).unwrap_err();
    assert!(err.contains("pipe.rs is a FIFO, not a regular file"), "{err}");
}

#[test]
fn files_over_sixteen_mib_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mod.rs"), kind("String")).unwrap();
    let big = fs::File::create(dir.path().join("big.rs")).unwrap();
    big.set_len((16 << 20) + 1).unwrap();
    drop(big);
    let root = dir.path().to_path_buf();
    let err = within(Duration::from_secs(30), move || crds_of(&root)).unwrap_err();
    assert!(
        err.contains("big.rs is 16777217 bytes; kgen reads source files of at most 16 MiB"),
        "{err}"
    );
    assert!(err.contains("big.rs:1:1\n"), "{err}");
}

#[test]
fn undeclared_files_and_missing_module_files_are_warnings_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mod.rs"),
        "pub mod v1;\nmod gone;\n#[cfg(feature = \"x\")]\nmod optional;\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("v1")).unwrap();
    fs::write(dir.path().join("v1/mod.rs"), kind("String") + "mod types;\n").unwrap();
    fs::write(dir.path().join("v1/types.rs"), "pub struct T;\n").unwrap();
    fs::write(dir.path().join("v1/orphan.rs"), "pub struct O;\n").unwrap();
    fs::create_dir(dir.path().join("lost")).unwrap();
    fs::write(dir.path().join("lost/mod.rs"), "pub struct L;\n").unwrap();
    let out = crds_of(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = out.warnings.iter().map(|w| w.one_line()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("mod.rs:2:5: warning: module `gone` has no file")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("orphan.rs:1:1: warning:") && w.contains("no `mod orphan;` declares it")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("no `mod lost;` declares it")),
        "{warnings:#?}"
    );
}

// ---- all-or-nothing writes -------------------------------------------------------------------

fn file(name: &str, contents: &str) -> GeneratedFile {
    GeneratedFile {
        name: name.into(),
        contents: contents.into(),
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    walkdir_names(dir)
        .into_iter()
        .filter(|n| n.contains(".kgen-"))
        .collect()
}

fn walkdir_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(walkdir_names(&e.path()).into_iter().map(|n| format!("{name}/{n}")));
        }
        out.push(name);
    }
    out.sort();
    out
}

#[test]
fn a_failed_rename_puts_back_the_files_already_replaced() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.yaml"), "old a\n").unwrap();
    fs::write(dir.path().join("d.yaml"), "old d\n").unwrap();
    // A non-empty directory where a file should go: no rename can replace it, even as root.
    fs::create_dir_all(dir.path().join("b.yaml/inside")).unwrap();
    let before = walkdir_names(dir.path());
    let files = [
        file("a.yaml", "new a\n"),
        file("b.yaml", "new b\n"),
        file("new/c.yaml", "new c\n"),
        file("d.yaml", "new d\n"),
    ];
    let err = write_files(dir.path(), &files).unwrap_err().to_string();
    assert!(err.contains("b.yaml"), "the message names the file that failed: {err}");
    assert!(err.contains("no file was changed"), "{err}");
    assert_eq!(fs::read_to_string(dir.path().join("a.yaml")).unwrap(), "old a\n");
    assert_eq!(fs::read_to_string(dir.path().join("d.yaml")).unwrap(), "old d\n");
    assert!(
        !dir.path().join("new").exists(),
        "the directory made for new/c.yaml is gone"
    );
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    assert_eq!(walkdir_names(dir.path()), before);

    // The first file failing changes nothing either; once the obstacle is gone, all are written.
    let err = write_files(dir.path(), &files[1..]).unwrap_err().to_string();
    assert!(err.contains("b.yaml"), "{err}");
    fs::remove_dir_all(dir.path().join("b.yaml")).unwrap();
    let report = write_files(dir.path(), &files).unwrap();
    assert_eq!(report.written.len(), 4);
    assert_eq!(fs::read_to_string(dir.path().join("new/c.yaml")).unwrap(), "new c\n");
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_output_directory_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("a.yaml"));
    let path = dir.path().to_path_buf();
    let drift = within(Duration::from_secs(30), move || {
        kgen_build::output::check_files(&path, &[file("a.yaml", "a\n")]).len()
    });
    assert_eq!(drift, 1);
    let path = dir.path().to_path_buf();
    let report = within(Duration::from_secs(30), move || {
        write_files(&path, &[file("a.yaml", "a\n")])
    });
    assert_eq!(report.unwrap().written.len(), 1, "the FIFO is replaced by the file");
    assert_eq!(fs::read_to_string(dir.path().join("a.yaml")).unwrap(), "a\n");
}

// ---- names Rust cannot spell -----------------------------------------------------------------

fn rust_of(src: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mod.rs"), src).unwrap();
    kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &CodegenOptions::default())
        .map(|(_, s)| s)
        .map_err(|f| f.to_string())
}

#[test]
fn keywords_in_generated_code_become_raw_identifiers() {
    let src = format!(
        "{HEAD}/// +genclient\n/// +genclient:method=Type,verb=get\n/// +genclient:method=Match,verb=patch,subresource=scale\n\
         /// +kubebuilder:resource:path=type\n#[derive(Clone, Debug, serde::Deserialize)]\n\
         pub struct Thing {{\n    pub metadata: ObjectMeta,\n    pub spec: Spec,\n    pub r#type: Option<String>,\n}}\n\
         pub struct Spec {{\n    pub r#fn: Option<String>,\n}}\n"
    );
    let code = rust_of(&src).unwrap_or_else(|e| panic!("{e}"));
    syn::parse_file(&code).expect("generated code parses");
    for raw in [
        "pub async fn r#type(",
        "pub async fn r#match<",
        "pub fn r#type(",
        "self.r#type",
    ] {
        assert!(code.contains(raw), "{raw}");
    }
}

#[test]
fn names_that_no_identifier_can_spell_are_located_errors() {
    let plural_self = format!(
        "{HEAD}/// +genclient\n/// +kubebuilder:resource:path=self\n#[derive(Clone, Debug, serde::Deserialize)]\n\
         pub struct Thing {{\n    pub metadata: ObjectMeta,\n    pub spec: String,\n}}\n"
    );
    let err = rust_of(&plural_self).unwrap_err();
    assert!(
        err.contains("error: the resource name `self` of Thing gives the client method `self`, which Rust cannot name"),
        "{err}"
    );
    assert!(err.contains("mod.rs:7:5\n"), "{err}");
    let digit_group = plural_self
        .replace("robust.kgen.dev", "9robust.kgen.dev")
        .replace("/// +kubebuilder:resource:path=self\n", "");
    let err = rust_of(&digit_group).unwrap_err();
    assert!(
        err.contains(
            "error: group `9robust.kgen.dev` gives the client module name `9robust_v1`, which is not a Rust identifier"
        ),
        "{err}"
    );
    assert!(err.contains("mod.rs:1:5\n"), "{err}");
    assert!(!err.contains("kgen bug"), "{err}");
}
