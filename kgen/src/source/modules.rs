//! The module tree as rustc sees it: a `.rs` file that no `mod` declares is not compiled, and a
//! `mod x;` without its file does not compile. kgen still reads every file (see the module docs
//! of [`super`]), but says so: types in such a file do not exist for the crate.

use super::SourceFile;
use crate::diag::{Diagnostic, Diagnostics, Location};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One `mod x;` (a module whose body is in another file).
struct Decl {
    /// The module's name.
    name: String,
    /// The files that may hold it (`x.rs`, `x/mod.rs`, or the `#[path]`).
    candidates: Vec<PathBuf>,
    /// Where it would be if the declaring file were a crate root that kgen cannot tell is one
    /// (a bench, test or example target: `benches/crd.rs` declares `benches/synth/mod.rs`).
    if_root: Vec<PathBuf>,
    /// Given by `#[path = "..."]`.
    by_path_attr: bool,
    /// Under `#[cfg]` (or `#[cfg_attr]`): its file may rightly be missing.
    conditional: bool,
    location: Location,
}

fn is_module_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs")
}

/// The directory holding the files of `file`'s child modules: its own directory for `mod.rs`,
/// `lib.rs`, `main.rs` and other crate roots, else `<dir>/<stem>/`.
fn child_dir(file: &Path, is_root: bool) -> PathBuf {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    if is_root || is_module_file(file) {
        dir
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    }
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}

/// The `mod x;` declarations of one parsed file ([`file_decls`]): span-free, so they may be
/// computed on the thread that parsed the file and checked on another.
pub struct FileDecls {
    path: Arc<PathBuf>,
    decls: Vec<Decl>,
}

/// The `--paths` given, and which files are crate roots among them (a file or directory is the
/// root of its own tree).
pub struct Roots<'a> {
    roots: &'a [PathBuf],
    dir_roots: Vec<&'a PathBuf>,
    crate_roots: Vec<&'a PathBuf>,
}

impl<'a> Roots<'a> {
    /// The roots of `roots` (the `--paths`).
    pub fn new(roots: &'a [PathBuf]) -> Self {
        let dir_roots: Vec<&PathBuf> = roots.iter().filter(|r| r.is_dir()).collect();
        let crate_roots = dir_roots
            .iter()
            .copied()
            .filter(|r| r.join("lib.rs").is_file() || r.join("main.rs").is_file())
            .collect();
        Roots {
            roots,
            dir_roots,
            crate_roots,
        }
    }

    fn is_root(&self, p: &Path) -> bool {
        self.roots.iter().any(|r| r == p)
            || (is_module_file(p) && p.parent().is_some_and(|d| self.dir_roots.iter().any(|r| r.as_path() == d)))
            // Cargo's binaries: `src/bin/x.rs` and `src/bin/x/main.rs` are crate roots of their own.
            || self.crate_roots.iter().any(|r| {
                let bin = r.join("bin");
                p.parent() == Some(bin.as_path())
                    || (p.file_name().is_some_and(|n| n == "main.rs")
                        && p.parent().and_then(Path::parent) == Some(bin.as_path()))
            })
    }
}

/// The `mod` declarations of `f`, for [`check`].
pub fn file_decls(f: &SourceFile, roots: &Roots<'_>) -> FileDecls {
    FileDecls {
        path: f.path.clone(),
        decls: decls(f, roots.is_root(&f.path)),
    }
}

/// Every `mod x;` of `f`, inline modules included, with the files it may be in.
fn decls(f: &SourceFile, is_root: bool) -> Vec<Decl> {
    let mut out = Vec::new();
    let own_dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
    // (items, directory of their child modules, directory `#[path]` is relative to)
    let top = child_dir(&f.path, is_root);
    let root_dir = (top != own_dir).then(|| own_dir.clone());
    let mut todo: Vec<(&[syn::Item], PathBuf, PathBuf)> = vec![(&f.ast.items, top, own_dir)];
    while let Some((items, dir, path_base)) = todo.pop() {
        for item in items {
            let syn::Item::Mod(m) = item else { continue };
            let name = m.ident.to_string().trim_start_matches("r#").to_string();
            let path = path_attr(&m.attrs);
            match &m.content {
                Some((_, inner)) => {
                    let child = dir.join(&name);
                    let base = path.map(|p| path_base.join(p)).unwrap_or_else(|| child.clone());
                    todo.push((inner, child, base));
                }
                None => out.push(Decl {
                    candidates: match &path {
                        Some(p) => vec![path_base.join(p)],
                        None => vec![dir.join(format!("{name}.rs")), dir.join(&name).join("mod.rs")],
                    },
                    if_root: match (&path, &root_dir) {
                        (None, Some(r)) if items.as_ptr() == f.ast.items.as_ptr() => {
                            vec![r.join(format!("{name}.rs")), r.join(&name).join("mod.rs")]
                        }
                        _ => Vec::new(),
                    },
                    by_path_attr: path.is_some(),
                    conditional: m
                        .attrs
                        .iter()
                        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")),
                    location: crate::diag::span_location(&f.path, m.ident.span()),
                    name,
                }),
            }
        }
    }
    out
}

/// Warns about files no `mod` declares and `mod` declarations without a file: `files` are the
/// declarations of every file parsed, in any order.
pub fn check(files: &[FileDecls], roots: &Roots<'_>, diags: &mut Diagnostics) {
    let parsed: HashSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let dir_roots = &roots.dir_roots;
    let is_root = |p: &Path| roots.is_root(p);
    let mut declared: HashSet<PathBuf> = HashSet::new();
    for f in files {
        for d in &f.decls {
            let mut existing: Vec<&PathBuf> = d.candidates.iter().filter(|c| c.is_file()).collect();
            if existing.is_empty() {
                existing = d.if_root.iter().filter(|c| c.is_file()).collect();
            }
            for c in &existing {
                declared.insert(c.canonicalize().unwrap_or_else(|_| c.to_path_buf()));
            }
            if existing.is_empty() && !d.conditional {
                let shown: Vec<String> = d.candidates.iter().map(|c| format!("`{}`", c.display())).collect();
                let message = if d.by_path_attr {
                    format!("module `{}` has no file: {} does not exist", d.name, shown.join(""))
                } else {
                    format!(
                        "module `{}` has no file: neither {} exists",
                        d.name,
                        shown.join(" nor ")
                    )
                };
                diags.push(
                    Diagnostic::warning(d.location.clone(), message)
                        .with_help("rustc would not compile this crate; create the file or remove the declaration"),
                );
            }
        }
    }
    for f in files {
        let path = f.path.as_path();
        if is_root(path) || declared.contains(&path.canonicalize().unwrap_or_else(|_| path.to_path_buf())) {
            continue;
        }
        // The file that would declare it: only when kgen read that file can it tell.
        let (dir, name) = if path.file_name().is_some_and(|n| n == "mod.rs") {
            let dir = path.parent().unwrap_or(path);
            (dir.parent(), dir.file_name())
        } else {
            (path.parent(), path.file_stem())
        };
        let (Some(dir), Some(name)) = (dir, name) else {
            continue;
        };
        let parents: Vec<PathBuf> = if dir_roots.iter().any(|r| r.as_path() == dir) {
            ["lib.rs", "main.rs", "mod.rs"].iter().map(|n| dir.join(n)).collect()
        } else {
            let mut p = vec![dir.join("mod.rs")];
            if let (Some(up), Some(dir_name)) = (dir.parent(), dir.file_name()) {
                p.push(up.join(format!("{}.rs", dir_name.to_string_lossy())));
            }
            p
        };
        let Some(parent) = parents.iter().find(|p| parsed.contains(p.as_path())) else {
            continue;
        };
        let name = name.to_string_lossy();
        diags.push(
            Diagnostic::warning(
                Location::file_start(path),
                format!("`{}` is not part of the crate: no `mod {name};` declares it", path.display()),
            )
            .with_help(format!(
                "rustc compiles only files a `mod` names; add `mod {name};` to {} or remove the file (kgen reads it anyway)",
                parent.display()
            )),
        );
    }
}
