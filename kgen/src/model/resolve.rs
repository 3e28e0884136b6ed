//! Resolving written types (`Option<Vec<NodePool>>`, `metav1::Condition`) to [`TypeRef`]s, by
//! Rust's name rules: the module's own types, its `use` declarations and globs, then std.

use super::{IntFormat, Known, TypeId, TypeRef};
use crate::diag::{Diagnostic, Diagnostics, Location};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
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

/// Where an expanded path points.
enum Target {
    /// A module path in the input plus a type name.
    Local(Vec<String>),
    /// `crate::...`: matched against input modules by suffix.
    Crate(Vec<String>),
    /// Outside the input.
    External(Vec<String>),
}

/// Resolves types against the whole input.
pub struct Resolver<'a> {
    /// Scope of every module.
    pub scopes: &'a HashMap<Vec<String>, Scope>,
    /// Types by (module, name).
    pub index: &'a HashMap<(Vec<String>, String), TypeId>,
    /// Every module path.
    pub modules: &'a BTreeSet<Vec<String>>,
    /// Generic parameter counts of types that have them.
    pub generic: &'a HashMap<TypeId, usize>,
}

impl Resolver<'_> {
    /// Resolves `ty` written in `module` of `file`; problems are reported and give [`TypeRef::Error`].
    pub fn resolve(&self, ty: &syn::Type, module: &[String], file: &Arc<PathBuf>, diags: &mut Diagnostics) -> TypeRef {
        let loc = crate::diag::span_location(file, ty.span());
        match ty {
            syn::Type::Paren(p) => self.resolve(&p.elem, module, file, diags),
            syn::Type::Group(g) => self.resolve(&g.elem, module, file, diags),
            syn::Type::Reference(r) => self.resolve(&r.elem, module, file, diags),
            syn::Type::Array(a) => TypeRef::List(Box::new(self.resolve(&a.elem, module, file, diags))),
            syn::Type::Slice(s) => TypeRef::List(Box::new(self.resolve(&s.elem, module, file, diags))),
            syn::Type::Path(p) if p.qself.is_none() => self.resolve_path(&p.path, module, file, loc, diags),
            syn::Type::Tuple(t) if t.elems.is_empty() => err(diags, loc, "the unit type `()` has no schema".into()),
            other => err(
                diags,
                loc,
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
        file: &Arc<PathBuf>,
        loc: Location,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let last = path.segments.last().expect("paths have a segment");
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
        let written = quote::quote!(#path).to_string().replace(' ', "");
        let target = match self.lookup(&segs, module, 0) {
            Some(t) => t,
            None => {
                // A name not defined in the input: std's prelude and well-known types by name.
                Target::External(segs.clone())
            }
        };
        match target {
            Target::Local(p) | Target::Crate(p) if self.find_local(&p).is_some() => {
                let id = self.find_local(&p).expect("checked");
                if let Some(n) = self.generic.get(&id) {
                    return err(
                        diags,
                        loc,
                        format!(
                            "`{written}` is generic ({n} parameter(s)); generic types cannot be described by a CRD schema"
                        ),
                    );
                }
                if !args.is_empty() {
                    return err(diags, loc, format!("`{written}` takes no type arguments"));
                }
                TypeRef::Named(id)
            }
            Target::Local(p) | Target::Crate(p) => err(
                diags,
                loc,
                format!(
                    "cannot find type `{}` (looked for it as `{}` in the input)",
                    written,
                    p.join("::")
                ),
            ),
            Target::External(p) => self.external(&p, &args, &written, module, file, loc, diags),
        }
    }

    /// Expands a written path into a target, following `use` declarations.
    fn lookup(&self, segs: &[String], module: &[String], depth: usize) -> Option<Target> {
        if depth > 16 || segs.is_empty() {
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
                return self.lookup(p, module, depth + 1);
            }
            for g in scope.map(|s| s.globs.as_slice()).unwrap_or(&[]) {
                let mut full = g.clone();
                full.push(first.to_string());
                match self.lookup(&full, module, depth + 1) {
                    Some(Target::Local(p)) | Some(Target::Crate(p)) if self.find_local(&p).is_some() => {
                        return Some(Target::Local(self.local_path(&p)));
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
            return self.lookup(&full, module, depth + 1);
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
        match self.lookup(&[name.to_string()], module, 0)? {
            Target::Local(p) | Target::Crate(p) => self.find_local(&p),
            Target::External(_) => None,
        }
    }

    /// The canonical local path of a found type (for `crate::` paths matched by suffix).
    fn local_path(&self, p: &[String]) -> Vec<String> {
        match self.find_local(p) {
            Some(_) => {
                let (m, n) = self.find_module(p).expect("found");
                segs_in(&m, &n)
            }
            None => p.to_vec(),
        }
    }

    fn find_local(&self, p: &[String]) -> Option<TypeId> {
        let (m, n) = self.find_module(p)?;
        self.index.get(&(m, n)).copied()
    }

    /// Finds `module::Name`, allowing the module part to match an input module by suffix
    /// (the input root may sit anywhere inside the crate).
    fn find_module(&self, p: &[String]) -> Option<(Vec<String>, String)> {
        let (name, module) = p.split_last()?;
        let exact = (module.to_vec(), name.clone());
        if self.index.contains_key(&exact) {
            return Some(exact);
        }
        // A re-export: `pub use types::*;` or `pub use types::Foo;` in that module.
        if let Some(scope) = self.scopes.get(module) {
            if let Some(target) = scope.uses.get(name)
                && let Some(Target::Local(q)) | Some(Target::Crate(q)) = self.lookup(target, module, 1)
                && q != p
            {
                return self.find_module(&q);
            }
            for g in &scope.globs {
                let mut full = g.clone();
                full.push(name.clone());
                if let Some(Target::Local(q)) | Some(Target::Crate(q)) = self.lookup(&full, module, 1)
                    && q != p
                    && let Some(found) = self.find_module(&q)
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
        written: &str,
        module: &[String],
        file: &Arc<PathBuf>,
        loc: Location,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        if let Some(k) = Known::from_path(p) {
            return TypeRef::Known(k);
        }
        let last = p.last().map(String::as_str).unwrap_or("");
        let std_like = p.len() == 1 || matches!(p[0].as_str(), "std" | "alloc" | "core" | "indexmap");
        if !std_like {
            if let Some(meant) = crate::builtin::suggest(p) {
                return err_help(
                    diags,
                    loc,
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
            return err_help(diags, loc, format!("cannot find type `{written}`"), hint);
        }
        let arg = |i: usize, diags: &mut Diagnostics| -> TypeRef {
            match args.get(i) {
                Some(t) => self.resolve(t, module, file, diags),
                None => TypeRef::Error,
            }
        };
        let need = |n: usize, diags: &mut Diagnostics| -> bool {
            if args.len() != n {
                diags.push(Diagnostic::error(
                    loc.clone(),
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
            },
            "i64" | "u32" | "u64" | "isize" | "usize" | "i128" | "u128" => TypeRef::Integer {
                format: IntFormat::Int64,
                unsigned: last.starts_with('u'),
                nonzero: false,
            },
            "NonZeroU32" | "NonZeroU64" | "NonZeroUsize" => TypeRef::Integer {
                format: IntFormat::Int64,
                unsigned: true,
                nonzero: true,
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
                        loc,
                        format!(
                            "map keys must be strings in JSON; `{}` is not",
                            quote::quote!(#key_text).to_string().replace(' ', "")
                        ),
                    );
                }
                TypeRef::Map(Box::new(value))
            }
            "Option" | "Vec" | "VecDeque" | "LinkedList" => TypeRef::Error,
            "char" => err(diags, loc, "`char` has no JSON schema; use String".into()),
            _ => err_help(
                diags,
                loc,
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

fn err_help(diags: &mut Diagnostics, loc: Location, message: String, help: &str) -> TypeRef {
    diags.push(Diagnostic::error(loc, message).with_help(help));
    TypeRef::Error
}
