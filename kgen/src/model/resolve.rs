//! Resolving written types (`Option<Vec<NodePool>>`, `metav1::Condition`) to [`TypeRef`]s, by
//! Rust's name rules: the module's own types, its `use` declarations and globs, then std.

use super::{IntFormat, Known, TypeId, TypeRef};
use crate::diag::{Diagnostic, Diagnostics, Location};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use syn::spanned::Spanned;

/// Names a module brings into scope with `use`.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// `use a::b::C;` and `use a::b::C as D;`: local name → path as written.
    pub uses: BTreeMap<String, Vec<String>>,
    /// `use a::b::*;`: paths as written.
    pub globs: Vec<Vec<String>>,
}

impl Scope {
    /// Adds the names a `use` tree brings in.
    pub fn add_use(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_use(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        self.uses.insert(last.clone(), prefix.clone());
                    }
                } else {
                    let mut path = prefix.clone();
                    path.push(name.clone());
                    self.uses.insert(name, path);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.uses.insert(r.rename.to_string(), path);
            }
            syn::UseTree::Glob(_) => self.globs.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.add_use(t, prefix);
                }
            }
        }
    }
}

/// How deeply a written type may nest (`Option<Vec<...>>`): far beyond any real API type, and
/// what keeps the resolver (and every stage after it) off the end of the stack.
pub const MAX_TYPE_NESTING: usize = 64;

/// How many `use` and re-export steps one name may take.
const MAX_USE_STEPS: usize = 64;

/// The state of one name lookup: the re-exported paths already followed. Glob re-exports may refer
/// to each other (`mod a { pub use super::b::*; } mod b { pub use super::a::*; }` compiles), so
/// a path is followed once per lookup; with [`MAX_USE_STEPS`] this bounds both time and recursion.
#[derive(Default)]
struct Search {
    followed: HashSet<Vec<String>>,
}

/// Where an expanded path points.
enum Target {
    /// A module path in the input plus a type name.
    Local(Vec<String>),
    /// `crate::...`: matched against input modules by suffix.
    Crate(Vec<String>),
    /// Outside the input.
    External(Vec<String>),
}

/// What a written path names ([`Resolver::target`]).
enum Found {
    /// A path into the input, and the type there if there is one.
    Input { path: Vec<String>, id: Option<TypeId> },
    /// A path outside the input.
    External(Vec<String>),
}

/// FNV-1a, for [`Resolver::target`]'s cache of short keys (std's SipHash costs more than the
/// lookup it saves there).
#[derive(Clone, Copy, Default)]
struct Fnv;

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;

    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// [`Resolver::target`]'s answers in one module, by path.
type Answers = HashMap<Vec<String>, Rc<Found>, Fnv>;

/// Where a written type is, computed only for a message.
struct At<'a> {
    file: &'a Arc<PathBuf>,
    ty: &'a syn::Type,
}

impl At<'_> {
    fn loc(&self) -> Location {
        crate::diag::span_location(self.file, self.ty.span())
    }
}

/// A path as written, without spaces (`metav1::Condition`), for messages: spelled only when shown.
struct Written<'a>(&'a syn::Path);

impl std::fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&path_text(self.0))
    }
}

/// Resolves types against the whole input. One thread's: it remembers what names mean.
pub struct Resolver<'a> {
    /// Scope of every module.
    scopes: &'a HashMap<Vec<String>, Scope>,
    /// Types by (module, name).
    index: &'a HashMap<(Vec<String>, String), TypeId>,
    /// Every module path.
    modules: &'a BTreeSet<Vec<String>>,
    /// Generic parameter counts of types that have them.
    generic: &'a HashMap<TypeId, usize>,
    /// [`Resolver::target`]'s answers in one module (the one asked about last), by path.
    cache: RefCell<(Vec<String>, Answers)>,
}

impl<'a> Resolver<'a> {
    /// A resolver over these tables.
    pub fn new(
        scopes: &'a HashMap<Vec<String>, Scope>,
        index: &'a HashMap<(Vec<String>, String), TypeId>,
        modules: &'a BTreeSet<Vec<String>>,
        generic: &'a HashMap<TypeId, usize>,
    ) -> Self {
        Resolver {
            scopes,
            index,
            modules,
            generic,
            cache: RefCell::default(),
        }
    }
}

impl Resolver<'_> {
    /// Resolves `ty` written in `module` of `file`; problems are reported and give [`TypeRef::Error`].
    pub fn resolve(&self, ty: &syn::Type, module: &[String], file: &Arc<PathBuf>, diags: &mut Diagnostics) -> TypeRef {
        self.resolve_at(ty, module, file, diags, 0)
    }

    /// `ty` spelled so that generated code can write it anywhere: external paths absolute
    /// (`::k8s_openapi::api::core::v1::Container`, `::std::collections::BTreeMap`), prelude names
    /// and primitives as written, and each type of the input as the placeholder
    /// `__kgen_type_<id>`, which codegen replaces by the type's path (or its apply configuration).
    /// `None` when some part cannot be spelled (a reference, a lifetime, an unresolved path).
    pub fn absolute(&self, ty: &syn::Type, module: &[String]) -> Option<String> {
        let mut out = String::new();
        self.spell(ty, module, &mut out, 0).then_some(out)
    }

    fn spell(&self, ty: &syn::Type, module: &[String], out: &mut String, depth: usize) -> bool {
        if depth >= MAX_TYPE_NESTING {
            return false;
        }
        match ty {
            syn::Type::Paren(p) => self.spell(&p.elem, module, out, depth + 1),
            syn::Type::Group(g) => self.spell(&g.elem, module, out, depth + 1),
            syn::Type::Array(a) => {
                out.push('[');
                let ok = self.spell(&a.elem, module, out, depth + 1);
                let len = &a.len;
                out.push_str(&format!("; {}]", quote::quote!(#len)));
                ok
            }
            syn::Type::Tuple(t) => {
                out.push('(');
                for (i, e) in t.elems.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.spell(e, module, out, depth + 1) {
                        return false;
                    }
                }
                out.push_str(if t.elems.len() == 1 { ",)" } else { ")" });
                true
            }
            syn::Type::Path(p) if p.qself.is_none() => {
                let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let Some(last) = p.path.segments.last() else {
                    return false;
                };
                match &*self.target(&segs, module) {
                    Found::Input { id: Some(id), .. } => {
                        out.push_str("__kgen_type_");
                        out.push_str(&id.0.to_string());
                        return matches!(last.arguments, syn::PathArguments::None);
                    }
                    Found::Input { id: None, .. } => return false,
                    Found::External(q) if q.len() == 1 => out.push_str(&q[0]),
                    Found::External(q) => {
                        for s in q {
                            out.push_str("::");
                            out.push_str(s);
                        }
                    }
                }
                match &last.arguments {
                    syn::PathArguments::None => true,
                    syn::PathArguments::AngleBracketed(a) => {
                        out.push('<');
                        for (i, arg) in a.args.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            let syn::GenericArgument::Type(t) = arg else {
                                return false;
                            };
                            if !self.spell(t, module, out, depth + 1) {
                                return false;
                            }
                        }
                        out.push('>');
                        true
                    }
                    syn::PathArguments::Parenthesized(_) => false,
                }
            }
            _ => false,
        }
    }

    /// [`Resolver::resolve`] of a type nested `depth` levels inside the written one.
    fn resolve_at(
        &self,
        ty: &syn::Type,
        module: &[String],
        file: &Arc<PathBuf>,
        diags: &mut Diagnostics,
        depth: usize,
    ) -> TypeRef {
        // Where the type is, computed only for a message: a type's span is the join of its tokens'.
        let at = At { file, ty };
        if depth >= MAX_TYPE_NESTING {
            return err_help(
                diags,
                at.loc(),
                format!("type nested more than {MAX_TYPE_NESTING} levels deep"),
                "no CRD schema needs this; name the inner types (a struct or a type alias)",
            );
        }
        let inner = |t: &syn::Type, diags: &mut Diagnostics| self.resolve_at(t, module, file, diags, depth + 1);
        match ty {
            syn::Type::Paren(p) => inner(&p.elem, diags),
            syn::Type::Group(g) => inner(&g.elem, diags),
            syn::Type::Reference(r) => inner(&r.elem, diags),
            syn::Type::Array(a) => TypeRef::List(Box::new(inner(&a.elem, diags))),
            syn::Type::Slice(s) => TypeRef::List(Box::new(inner(&s.elem, diags))),
            syn::Type::Path(p) if p.qself.is_none() => self.resolve_path(&p.path, module, &at, diags, depth),
            syn::Type::Tuple(t) if t.elems.is_empty() => {
                err(diags, at.loc(), "the unit type `()` has no schema".into())
            }
            other => err(
                diags,
                at.loc(),
                format!(
                    "cannot describe type `{}` in a schema; use a struct, enum, String, number, bool, Vec, map or Option",
                    quote::quote!(#other)
                ),
            ),
        }
    }

    fn resolve_path(
        &self,
        path: &syn::Path,
        module: &[String],
        at: &At<'_>,
        diags: &mut Diagnostics,
        depth: usize,
    ) -> TypeRef {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(last) = path.segments.last() else {
            return err(diags, at.loc(), "empty type path".into());
        };
        let args: Vec<&syn::Type> = match &last.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        // As written, for messages only.
        let written = Written(path);
        match &*self.target(&segs, module) {
            Found::Input { id: Some(id), .. } => {
                let id = *id;
                if let Some(n) = self.generic.get(&id) {
                    return err(
                        diags,
                        at.loc(),
                        format!(
                            "`{written}` is generic ({n} parameter(s)); generic types cannot be described by a CRD schema"
                        ),
                    );
                }
                if !args.is_empty() {
                    return err(diags, at.loc(), format!("`{written}` takes no type arguments"));
                }
                TypeRef::Named(id)
            }
            Found::Input { path: p, id: None } => err(
                diags,
                at.loc(),
                format!(
                    "cannot find type `{}` (looked for it as `{}` in the input)",
                    written,
                    p.join("::")
                ),
            ),
            Found::External(p) => self.external(p, &args, &written, module, at, diags, depth),
        }
    }

    /// Expands a written path into a target, following `use` declarations.
    fn lookup(&self, segs: &[String], module: &[String], depth: usize, search: &mut Search) -> Option<Target> {
        if depth > MAX_USE_STEPS || segs.is_empty() {
            return None;
        }
        let first = segs[0].as_str();
        match first {
            "crate" => return Some(Target::Crate(segs[1..].to_vec())),
            "self" => return Some(Target::Local([module, &segs[1..]].concat())),
            "super" => {
                let mut m = module.to_vec();
                let mut rest = segs;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                return Some(Target::Local([m.as_slice(), rest].concat()));
            }
            _ => {}
        }
        let scope = self.scopes.get(module);
        if segs.len() == 1 {
            let key = (module.to_vec(), first.to_string());
            if self.index.contains_key(&key) {
                return Some(Target::Local(segs_in(module, first)));
            }
            if let Some(p) = scope.and_then(|s| s.uses.get(first)) {
                return self.lookup(p, module, depth + 1, search);
            }
            for g in scope.map(|s| s.globs.as_slice()).unwrap_or(&[]) {
                let mut full = g.clone();
                full.push(first.to_string());
                match self.lookup(&full, module, depth + 1, search) {
                    Some(Target::Local(p)) | Some(Target::Crate(p)) => {
                        // The canonical path of the type found (a `crate::` path matches by suffix).
                        if let Some((m, n)) = self.find_module(&p, depth + 1, search) {
                            return Some(Target::Local(segs_in(&m, &n)));
                        }
                    }
                    Some(Target::External(p)) if Known::from_path(&p).is_some() => {
                        return Some(Target::External(p));
                    }
                    _ => {}
                }
            }
            return None;
        }
        if let Some(p) = scope.and_then(|s| s.uses.get(first)) {
            let full = [p.as_slice(), &segs[1..]].concat();
            return self.lookup(&full, module, depth + 1, search);
        }
        let child = [module, &segs[..1]].concat();
        if self.modules.contains(&child) {
            return Some(Target::Local([module, segs].concat()));
        }
        if self
            .modules
            .iter()
            .any(|m| m.first().map(String::as_str) == Some(first))
        {
            return Some(Target::Local(segs.to_vec()));
        }
        Some(Target::External(segs.to_vec()))
    }

    /// The type that `name` means inside `module` (its own types, `use`s and globs), if any.
    pub fn find_in_module(&self, module: &[String], name: &str) -> Option<TypeId> {
        match self.find(&[name.to_string()], module) {
            Found::Input { id, .. } => id,
            Found::External(_) => None,
        }
    }

    /// What the path `segs` written in `module` names: a type of the input (the path looked for,
    /// and the type if there is one) or a path outside it. Remembered, as the same names come
    /// back field after field (and both [`Resolver::resolve`] and [`Resolver::absolute`] ask).
    fn target(&self, segs: &[String], module: &[String]) -> Rc<Found> {
        let mut cache = self.cache.borrow_mut();
        // A file's types are mostly in one module: keep that module's answers.
        if cache.0 != module {
            cache.0 = module.to_vec();
            cache.1.clear();
        }
        if let Some(found) = cache.1.get(segs) {
            return found.clone();
        }
        let found = Rc::new(self.find(segs, module));
        cache.1.insert(segs.to_vec(), found.clone());
        found
    }

    /// [`Resolver::target`], not remembered.
    fn find(&self, segs: &[String], module: &[String]) -> Found {
        match self.lookup(segs, module, 0, &mut Search::default()) {
            Some(Target::Local(p) | Target::Crate(p)) => Found::Input {
                id: self.find_local(&p, 0, &mut Search::default()),
                path: p,
            },
            Some(Target::External(p)) => Found::External(p),
            // A name not defined in the input: std's prelude and well-known types by name.
            None => Found::External(segs.to_vec()),
        }
    }

    fn find_local(&self, p: &[String], depth: usize, search: &mut Search) -> Option<TypeId> {
        let (m, n) = self.find_module(p, depth, search)?;
        self.index.get(&(m, n)).copied()
    }

    /// Finds `module::Name`, allowing the module part to match an input module by suffix
    /// (the input root may sit anywhere inside the crate). Whatever it returns is in the index.
    fn find_module(&self, p: &[String], depth: usize, search: &mut Search) -> Option<(Vec<String>, String)> {
        let (name, module) = p.split_last()?;
        let exact = (module.to_vec(), name.clone());
        if self.index.contains_key(&exact) {
            return Some(exact);
        }
        // A path already followed in this lookup either failed or is being followed further up
        // (a cycle of re-exports): nothing new to find through it.
        if depth > MAX_USE_STEPS || !search.followed.insert(p.to_vec()) {
            return None;
        }
        // A re-export: `pub use types::*;` or `pub use types::Foo;` in that module.
        if let Some(scope) = self.scopes.get(module) {
            if let Some(target) = scope.uses.get(name)
                && let Some(Target::Local(q)) | Some(Target::Crate(q)) = self.lookup(target, module, depth + 1, search)
                && q != p
            {
                return self.find_module(&q, depth + 1, search);
            }
            for g in &scope.globs {
                let mut full = g.clone();
                full.push(name.clone());
                if let Some(Target::Local(q)) | Some(Target::Crate(q)) = self.lookup(&full, module, depth + 1, search)
                    && q != p
                    && let Some(found) = self.find_module(&q, depth + 1, search)
                {
                    return Some(found);
                }
            }
        }
        self.modules
            .iter()
            .filter(|m| !m.is_empty() && (m.ends_with(module) || module.ends_with(m)))
            .map(|m| (m.clone(), name.clone()))
            .find(|k| self.index.contains_key(k))
    }

    #[allow(clippy::too_many_arguments)]
    fn external(
        &self,
        p: &[String],
        args: &[&syn::Type],
        written: &Written<'_>,
        module: &[String],
        at: &At<'_>,
        diags: &mut Diagnostics,
        depth: usize,
    ) -> TypeRef {
        let file = at.file;
        if let Some(k) = Known::from_path(p) {
            return TypeRef::Known(k);
        }
        let last = p.last().map(String::as_str).unwrap_or("");
        let std_like = p.len() == 1 || matches!(p[0].as_str(), "std" | "alloc" | "core" | "indexmap");
        if !std_like {
            if let Some(meant) = crate::builtin::suggest(p) {
                return err_help(
                    diags,
                    at.loc(),
                    format!("cannot find type `{written}` in k8s-openapi"),
                    &format!("did you mean `{meant}`?"),
                );
            }
            let hint = if Known::is_known_crate(&p[0]) {
                "kgen knows every type of k8s-openapi's api, apimachinery, apiextensions_apiserver and \
                 kube_aggregator modules in Kubernetes 1.25 to 1.37 by its full path (e.g. \
                 k8s_openapi::api::core::v1::Container), serde_json::Value and serde_json::Map, \
                 jiff::Timestamp and chrono::DateTime"
            } else {
                "kgen reads only the files under --paths; add the type's source there, or use serde_json::Value \
                 with +kubebuilder:pruning:PreserveUnknownFields"
            };
            return err_help(diags, at.loc(), format!("cannot find type `{written}`"), hint);
        }
        let arg = |i: usize, diags: &mut Diagnostics| -> TypeRef {
            match args.get(i) {
                Some(t) => self.resolve_at(t, module, file, diags, depth + 1),
                None => TypeRef::Error,
            }
        };
        let need = |n: usize, diags: &mut Diagnostics| -> bool {
            if args.len() != n {
                diags.push(Diagnostic::error(
                    at.loc(),
                    format!("`{written}` needs {n} type argument(s)"),
                ));
                false
            } else {
                true
            }
        };
        match last {
            "bool" => TypeRef::Bool,
            "String" | "str" => TypeRef::String,
            "i8" | "i16" | "i32" | "u8" | "u16" => TypeRef::Integer {
                format: IntFormat::Int32,
                unsigned: last.starts_with('u'),
                nonzero: false,
                range: narrow_range(last),
            },
            "i64" | "u32" | "u64" | "isize" | "usize" => TypeRef::Integer {
                format: IntFormat::Int64,
                unsigned: last.starts_with('u'),
                nonzero: false,
                range: None,
            },
            "i128" | "u128" => err_help(
                diags,
                at.loc(),
                format!("`{written}` does not fit a Kubernetes integer (int64 at most)"),
                "use i64 or u64, or a String holding the number",
            ),
            "NonZeroU8" | "NonZeroU16" => TypeRef::Integer {
                format: IntFormat::Int32,
                unsigned: true,
                nonzero: true,
                range: narrow_range(&last.trim_start_matches("NonZero").to_ascii_lowercase()),
            },
            "NonZeroU32" | "NonZeroU64" | "NonZeroUsize" => TypeRef::Integer {
                format: IntFormat::Int64,
                unsigned: true,
                nonzero: true,
                range: None,
            },
            "f32" => TypeRef::Number { double: false },
            "f64" => TypeRef::Number { double: true },
            "Option" if need(1, diags) => TypeRef::Option(Box::new(arg(0, diags))),
            "Vec" | "VecDeque" | "LinkedList" if need(1, diags) => TypeRef::List(Box::new(arg(0, diags))),
            "BTreeSet" | "HashSet" | "IndexSet" if !args.is_empty() => TypeRef::Set(Box::new(arg(0, diags))),
            "Box" | "Arc" | "Rc" | "Cow" if !args.is_empty() => arg(args.len() - 1, diags),
            "BTreeMap" | "HashMap" | "IndexMap" if args.len() >= 2 => {
                let key = arg(0, diags);
                let value = arg(1, diags);
                if !self.is_string_key(&key) && key != TypeRef::Error {
                    let key_text = args[0];
                    return err(
                        diags,
                        at.loc(),
                        format!(
                            "map keys must be strings in JSON; `{}` is not",
                            quote::quote!(#key_text).to_string().replace(' ', "")
                        ),
                    );
                }
                TypeRef::Map(Box::new(value))
            }
            "Option" | "Vec" | "VecDeque" | "LinkedList" => TypeRef::Error,
            "char" => err(diags, at.loc(), "`char` has no JSON schema; use String".into()),
            _ => err_help(
                diags,
                at.loc(),
                format!("cannot find type `{written}`"),
                "define it under --paths, import it with `use`, or use a type kgen knows",
            ),
        }
    }

    /// String, or a named type that serialises as a string (unit enum, newtype over String).
    fn is_string_key(&self, t: &TypeRef) -> bool {
        match t {
            TypeRef::String => true,
            TypeRef::Named(_) => true, // checked when the schema is built (a string-like type is required there)
            _ => false,
        }
    }
}

fn segs_in(module: &[String], name: &str) -> Vec<String> {
    let mut v = module.to_vec();
    v.push(name.to_string());
    v
}

fn err(diags: &mut Diagnostics, loc: Location, message: String) -> TypeRef {
    diags.push(Diagnostic::error(loc, message));
    TypeRef::Error
}

/// The range of an integer type narrower than int32 (`i8`, `u8`, `i16`, `u16`).
fn narrow_range(ty: &str) -> Option<(i64, i64)> {
    Some(match ty {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "u8" => (0, u8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        _ => return None,
    })
}

fn err_help(diags: &mut Diagnostics, loc: Location, message: String, help: &str) -> TypeRef {
    diags.push(Diagnostic::error(loc, message).with_help(help));
    TypeRef::Error
}

/// `ty` as written, without spaces (`Option<Vec<metav1::Condition>>`): what
/// `quote!(#ty).to_string().replace(' ', "")` gives, without building tokens for the common case
/// of a path.
pub fn type_text(ty: &syn::Type) -> String {
    let mut out = String::new();
    if !type_text_fast(ty, &mut out) {
        out = quote::quote!(#ty).to_string().replace(' ', "");
    }
    out
}

/// `path` as written, without spaces (as [`type_text`]).
fn path_text(path: &syn::Path) -> String {
    let mut out = String::new();
    if !path_text_fast(path, &mut out) {
        out = quote::quote!(#path).to_string().replace(' ', "");
    }
    out
}

/// [`type_text`] of a path whose generic arguments are types or lifetimes; false for anything else.
fn type_text_fast(ty: &syn::Type, out: &mut String) -> bool {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => path_text_fast(&p.path, out),
        _ => false,
    }
}

fn path_text_fast(path: &syn::Path, out: &mut String) -> bool {
    use std::fmt::Write;
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        let _ = write!(out, "{}", seg.ident);
        match &seg.arguments {
            syn::PathArguments::None => {}
            syn::PathArguments::AngleBracketed(a) => {
                if a.colon2_token.is_some() {
                    out.push_str("::");
                }
                out.push('<');
                for pair in a.args.pairs() {
                    match pair.value() {
                        syn::GenericArgument::Type(t) => {
                            if !type_text_fast(t, out) {
                                return false;
                            }
                        }
                        syn::GenericArgument::Lifetime(l) => {
                            let _ = write!(out, "'{}", l.ident);
                        }
                        _ => return false,
                    }
                    if pair.punct().is_some() {
                        out.push(',');
                    }
                }
                out.push('>');
            }
            syn::PathArguments::Parenthesized(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_text_is_quotes_spelling() {
        for src in [
            "String",
            "Option<Vec<BTreeMap<String, metav1::Condition>>>",
            "::std::collections::BTreeMap<String, r#type::Foo,>",
            "Vec::<u8>",
            "Cow<'static, str>",
            "crate::api::v1::Spec",
            "&'a mut [u8; 4]",
            "(i32, String)",
            "Box<dyn Fn(i32) -> i32>",
            "Iterator<Item = u8>",
            "<T as Trait>::Assoc",
            "Foo<{ 1 + 2 }>",
            "fn(u8) -> u8",
        ] {
            let ty: syn::Type = syn::parse_str(src).unwrap();
            let quoted = quote::quote!(#ty).to_string().replace(' ', "");
            assert_eq!(type_text(&ty), quoted, "{src}");
            if let syn::Type::Path(p) = &ty {
                let path = &p.path;
                assert_eq!(
                    path_text(path),
                    quote::quote!(#path).to_string().replace(' ', ""),
                    "{src}"
                );
            }
        }
    }
}
