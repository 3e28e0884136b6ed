//! Apply configurations (client-go's applyconfiguration-gen): for every kind and every struct it
//! reaches, a type whose fields are all optional, so that a server-side apply sends only what its
//! field manager means to own.
//!
//! `Kluster` gets `KlusterApply` (with `apiVersion`, `kind` and `metadata`, made by `new(name, ns)`),
//! `KlusterSpec` gets `KlusterSpecApply` (`Default`, one setter per field). Fields of the input's
//! own struct types use their apply configurations (also inside `Vec`, maps, `Box`); every other
//! type (numbers, strings, enums, Kubernetes' own types) is used as it is. They live in the
//! generated `apply` module, under the same module path as the type they configure.

use super::{KindInfo, ident_or_placeholder};
use crate::model::{Api, Field, Known, TypeBody, TypeId, TypeRef};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// The placeholder [`crate::model::Field::rust_ty`] uses for the input's type `id`.
const PLACEHOLDER: &str = "__kgen_type_";

/// What the apply configurations of one API are made of.
pub struct ApplyTypes<'a> {
    api: &'a Api,
    crate_path: &'a str,
    /// Struct types that get an apply configuration.
    structs: BTreeSet<TypeId>,
    /// Kinds (by type) and what their apply configuration writes as `apiVersion`/`kind`.
    kinds: BTreeMap<TypeId, &'a KindInfo<'a>>,
    /// Derives each apply configuration can have (`Clone`, `Debug`, `PartialEq`).
    derives: BTreeMap<TypeId, Vec<&'static str>>,
}

/// Input type ids named by placeholders in a spelled type.
fn placeholders(spelled: &str) -> impl Iterator<Item = TypeId> + '_ {
    spelled.match_indices(PLACEHOLDER).filter_map(move |(i, _)| {
        let digits: String = spelled[i + PLACEHOLDER.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok().map(TypeId)
    })
}

/// Fields an apply configuration has: not skipped, and not the Go-style type meta a kind's
/// configuration writes itself.
fn apply_fields(fields: &[Field], is_kind: bool) -> impl Iterator<Item = &Field> {
    fields.iter().filter(move |f| {
        if f.is_skipped() || f.serde.skip_serializing {
            return false;
        }
        if matches!(f.ty.without_option(), TypeRef::Known(Known::TypeMeta)) && f.serde.flatten {
            return false;
        }
        !(is_kind && matches!(f.json_name.as_str(), "apiVersion" | "kind" | "metadata"))
    })
}

impl<'a> ApplyTypes<'a> {
    /// Collects the struct types reachable from the kinds in `infos`.
    pub fn new(api: &'a Api, infos: &'a [KindInfo<'a>], crate_path: &'a str) -> Self {
        let mut kinds = BTreeMap::new();
        for k in infos {
            kinds.entry(k.kind.type_id).or_insert(k);
        }
        let mut structs = BTreeSet::new();
        let mut todo: Vec<TypeId> = kinds.keys().copied().collect();
        while let Some(id) = todo.pop() {
            if !matches!(api.ty(id).body, TypeBody::Struct(_)) || !structs.insert(id) {
                continue;
            }
            for f in apply_fields(api.ty(id).fields(), kinds.contains_key(&id)) {
                if let Some(spelled) = &f.rust_ty
                    && !f.serde.custom_serialize
                {
                    todo.extend(placeholders(spelled));
                }
            }
        }
        let mut types = ApplyTypes {
            api,
            crate_path,
            structs,
            kinds,
            derives: BTreeMap::new(),
        };
        types.derives = types.derivable();
        types
    }

    /// For each apply configuration, the derives every type inside it allows: the input's own
    /// leaf types must derive the trait, nested configurations must be derivable (assumed while
    /// they are being decided, so recursive types keep them).
    fn derivable(&self) -> BTreeMap<TypeId, Vec<&'static str>> {
        let mut out = BTreeMap::new();
        for name in ["Clone", "Debug", "PartialEq"] {
            let mut ok: BTreeSet<TypeId> = self.structs.clone();
            loop {
                let before = ok.len();
                let current = ok.clone();
                ok.retain(|id| {
                    apply_fields(self.api.ty(*id).fields(), self.kinds.contains_key(id)).all(|f| {
                        let Some(spelled) = f.rust_ty.as_ref().filter(|_| !f.serde.custom_serialize) else {
                            return true; // a JSON value
                        };
                        placeholders(spelled).all(|t| {
                            if self.structs.contains(&t) {
                                current.contains(&t)
                            } else {
                                self.api.ty(t).derives.iter().any(|d| d == name)
                            }
                        })
                    })
                });
                if ok.len() == before {
                    break;
                }
            }
            for id in ok {
                out.entry(id).or_insert_with(Vec::new).push(name);
            }
        }
        out
    }

    /// The module path of `id`'s apply configuration inside `apply`, and its name.
    fn location(&self, id: TypeId) -> (&'a [String], String) {
        let path = &self.api.ty(id).rust_path;
        let (name, module) = path.split_last().expect("types have a name");
        (module, format!("{name}Apply"))
    }

    /// The path of `id`'s apply configuration as written `depth` modules below `apply`'s parent
    /// (the client modules are at depth 0; a configuration in `apply::api::v1` at depth 3).
    pub fn path_from(&self, id: TypeId, depth: usize) -> TokenStream {
        let (module, name) = self.location(id);
        let mut text = String::new();
        for _ in 0..depth {
            text.push_str("super::");
        }
        text.push_str("apply::");
        for m in module {
            text.push_str(&ident_or_placeholder(m).to_string());
            text.push_str("::");
        }
        text.push_str(&name);
        syn::parse_str::<syn::Path>(&text)
            .map(|p| quote!(#p))
            .unwrap_or_else(|_| quote!(__kgen_invalid_path))
    }

    /// True if `id` (a kind's type) has an apply configuration.
    pub fn has(&self, id: TypeId) -> bool {
        self.structs.contains(&id)
    }

    /// The text of `segments` as a path (`r#type` for keywords).
    fn path_text(segments: &[String]) -> String {
        segments
            .iter()
            .map(|s| ident_or_placeholder(s).to_string())
            .collect::<Vec<_>>()
            .join("::")
    }

    /// The field's type in an apply configuration declared in `apply::<module>`, without its
    /// outer `Option`, as text.
    fn field_type(&self, f: &Field, module: &[String]) -> String {
        const JSON: &str = "::kgen_runtime::__private::serde_json::Value";
        let Some(spelled) = f.rust_ty.as_deref().filter(|_| !f.serde.custom_serialize) else {
            return JSON.into();
        };
        let spelled = if f.ty.is_option() {
            option_inner(spelled).unwrap_or(spelled)
        } else {
            spelled
        };
        self.substitute(spelled, module)
    }

    /// Replaces each placeholder by the apply configuration of a struct, or the path of any
    /// other input type.
    fn substitute(&self, spelled: &str, module: &[String]) -> String {
        let mut out = String::with_capacity(spelled.len() + 32);
        let mut rest = spelled;
        while let Some(at) = rest.find(PLACEHOLDER) {
            out.push_str(&rest[..at]);
            let after = &rest[at + PLACEHOLDER.len()..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            let id = after[..digits]
                .parse()
                .ok()
                .map(TypeId)
                .filter(|id| id.0 < self.api.types.len());
            match id {
                Some(id) if self.structs.contains(&id) => {
                    let (at_module, name) = self.location(id);
                    if at_module != module {
                        for _ in 0..=module.len() {
                            out.push_str("super::");
                        }
                        out.push_str("apply::");
                        for m in at_module {
                            out.push_str(&ident_or_placeholder(m).to_string());
                            out.push_str("::");
                        }
                    }
                    out.push_str(&name);
                }
                Some(id) => {
                    out.push_str(self.crate_path);
                    out.push_str("::");
                    out.push_str(&Self::path_text(&self.api.ty(id).rust_path));
                }
                None => out.push_str(&rest[at..at + PLACEHOLDER.len() + digits]),
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    }

    /// Appends the `apply` module as formatted Rust: every configuration, in modules mirroring the
    /// input's. Written as text, not through syn and prettyplease: it is most of the generated
    /// code, and its shape is regular.
    pub fn module(&self, out: &mut String) {
        let mut by_module: BTreeMap<&[String], Vec<TypeId>> = BTreeMap::new();
        for &id in &self.structs {
            by_module.entry(self.location(id).0).or_default().push(id);
        }
        out.push_str(
            "/// Apply configurations for server-side apply (kgen): one per kind and per struct a\n\
             /// kind reaches, every field optional, under the module path of the type they\n\
             /// configure. A field manager owns exactly the fields it sets.\n\
             #[allow(clippy::all)]\n\
             pub mod apply {\n",
        );
        self.nest(&by_module, &[], 1, out);
        out.push_str("}\n");
    }

    /// The configurations of `prefix` and its submodules, at `depth` levels of indentation.
    fn nest(&self, by_module: &BTreeMap<&[String], Vec<TypeId>>, prefix: &[String], depth: usize, out: &mut String) {
        if let Some(ids) = by_module.get(prefix) {
            for &id in ids {
                self.configuration(id, prefix, depth, out);
            }
        }
        let children: BTreeSet<&String> = by_module
            .keys()
            .filter(|m| m.len() > prefix.len() && m.starts_with(prefix))
            .map(|m| &m[prefix.len()])
            .collect();
        let pad = "    ".repeat(depth);
        for child in children {
            let mut path = prefix.to_vec();
            path.push(child.clone());
            out.push_str(&format!(
                "{pad}#[allow(missing_docs)]\n{pad}pub mod {} {{\n",
                ident_or_placeholder(child)
            ));
            self.nest(by_module, &path, depth + 1, out);
            out.push_str(&format!("{pad}}}\n"));
        }
    }

    /// One apply configuration, declared in `apply::<module>` at `depth` levels of indentation.
    fn configuration(&self, id: TypeId, module: &[String], depth: usize, out: &mut String) {
        use std::fmt::Write;
        let def = self.api.ty(id);
        let (_, name) = self.location(id);
        let pad = "    ".repeat(depth);
        let kind = self.kinds.get(&id).copied();
        let fields: Vec<(&Field, String, String)> = apply_fields(def.fields(), kind.is_some())
            .map(|f| {
                (
                    f,
                    ident_or_placeholder(&f.rust_name).to_string(),
                    self.field_type(f, module),
                )
            })
            .collect();
        let derives: String = self
            .derives
            .get(&id)
            .into_iter()
            .flatten()
            .map(|d| format!("{d}, "))
            .collect();
        // `write!` to a String cannot fail.
        let mut w = |text: std::fmt::Arguments<'_>| {
            let _ = out.write_fmt(text);
        };
        match kind {
            None => {
                let original = format!("{}::{}", self.crate_path, Self::path_text(&def.rust_path));
                w(format_args!(
                    "{pad}/// Apply configuration of [`{}`]({original}): every field optional; only the fields set are sent.\n",
                    def.name
                ));
                w(format_args!("{pad}#[derive({derives}Default, ::serde::Serialize)]\n"));
                w(format_args!("{pad}pub struct {name} {{\n"));
            }
            Some(k) => {
                let api_version = if k.group.is_empty() {
                    k.version.clone()
                } else {
                    format!("{}/{}", k.group, k.version)
                };
                w(format_args!(
                    "{pad}/// Apply configuration of a {} ({api_version}) for server-side apply:\n\
                     {pad}/// `apiVersion`, `kind` and `metadata`, and only the fields set with the setters, so\n\
                     {pad}/// the field manager owns only those.\n",
                    k.kind.name
                ));
                w(format_args!("{pad}#[derive({derives}::serde::Serialize)]\n"));
                w(format_args!("{pad}pub struct {name} {{\n"));
                w(format_args!(
                    "{pad}    #[serde(rename = \"apiVersion\")]\n{pad}    api_version: &'static str,\n\
                     {pad}    kind: &'static str,\n\
                     {pad}    /// `metadata`: name and namespace, plus the labels, annotations, owner references and\n\
                     {pad}    /// finalizers this manager owns.\n\
                     {pad}    pub metadata: {META}::ObjectMeta,\n"
                ));
            }
        }
        for (f, id, ty) in &fields {
            let doc = first_line(&f.description);
            let json = &f.json_name;
            if doc.is_empty() {
                w(format_args!("{pad}    /// `{json}`.\n"));
            } else {
                w(format_args!("{pad}    /// {doc}\n"));
            }
            if f.serde.flatten {
                w(format_args!(
                    "{pad}    #[serde(flatten, skip_serializing_if = \"Option::is_none\")]\n"
                ));
            } else {
                w(format_args!(
                    "{pad}    #[serde(rename = {json:?}, skip_serializing_if = \"Option::is_none\")]\n"
                ));
            }
            w(format_args!("{pad}    pub {id}: Option<{ty}>,\n"));
        }
        w(format_args!("{pad}}}\n{pad}impl {name} {{\n"));
        if let Some(k) = kind {
            let api_version = if k.group.is_empty() {
                k.version.clone()
            } else {
                format!("{}/{}", k.group, k.version)
            };
            let kind_name = &k.kind.name;
            let (args, namespace, scope) = if k.namespaced {
                (
                    "name: &str, namespace: &str",
                    "Some(namespace.to_string())",
                    "this name in this namespace",
                )
            } else {
                ("name: &str", "None", "this name (cluster-scoped)")
            };
            w(format_args!(
                "{pad}    /// A {kind_name} to apply: {scope}, nothing else set.\n\
                 {pad}    pub fn new({args}) -> Self {{\n\
                 {pad}        Self {{\n\
                 {pad}            api_version: {api_version:?},\n\
                 {pad}            kind: {kind_name:?},\n\
                 {pad}            metadata: {META}::ObjectMeta {{\n\
                 {pad}                name: Some(name.to_string()),\n\
                 {pad}                namespace: {namespace},\n\
                 {pad}                ..Default::default()\n\
                 {pad}            }},\n"
            ));
            for (_, id, _) in &fields {
                w(format_args!("{pad}            {id}: None,\n"));
            }
            w(format_args!(
                "{pad}        }}\n\
                 {pad}    }}\n\
                 {pad}    /// The name this configuration applies to.\n\
                 {pad}    pub fn name(&self) -> Option<&str> {{\n\
                 {pad}        self.metadata.name.as_deref()\n\
                 {pad}    }}\n\
                 {pad}    /// Adds a label (owned by this manager).\n\
                 {pad}    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {{\n\
                 {pad}        self.metadata.labels.get_or_insert_with(Default::default).insert(key.into(), value.into());\n\
                 {pad}        self\n\
                 {pad}    }}\n\
                 {pad}    /// Adds an annotation (owned by this manager).\n\
                 {pad}    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {{\n\
                 {pad}        self.metadata.annotations.get_or_insert_with(Default::default).insert(key.into(), value.into());\n\
                 {pad}        self\n\
                 {pad}    }}\n\
                 {pad}    /// Adds an owner reference (owned by this manager).\n\
                 {pad}    pub fn with_owner_reference(mut self, owner: {META}::OwnerReference) -> Self {{\n\
                 {pad}        self.metadata.owner_references.get_or_insert_with(Vec::new).push(owner);\n\
                 {pad}        self\n\
                 {pad}    }}\n\
                 {pad}    /// Adds a finalizer (owned by this manager).\n\
                 {pad}    pub fn with_finalizer(mut self, finalizer: impl Into<String>) -> Self {{\n\
                 {pad}        self.metadata.finalizers.get_or_insert_with(Vec::new).push(finalizer.into());\n\
                 {pad}        self\n\
                 {pad}    }}\n"
            ));
        }
        for (f, id, ty) in &fields {
            let doc = first_line(&f.description);
            let json = &f.json_name;
            if doc.is_empty() {
                w(format_args!("{pad}    /// Sets `{json}`.\n"));
            } else {
                w(format_args!("{pad}    /// Sets `{json}`: {doc}\n"));
            }
            w(format_args!(
                "{pad}    pub fn {id}(mut self, value: impl Into<{ty}>) -> Self {{\n\
                 {pad}        self.{id} = Some(value.into());\n\
                 {pad}        self\n\
                 {pad}    }}\n"
            ));
        }
        w(format_args!("{pad}}}\n"));
    }
}

/// The module of ObjectMeta and OwnerReference.
const META: &str = "::k8s_openapi::apimachinery::pkg::apis::meta::v1";

/// `Option<T>` (as the resolver spells it) → `T`.
fn option_inner(spelled: &str) -> Option<&str> {
    ["Option<", "::std::option::Option<", "::core::option::Option<"]
        .iter()
        .find_map(|p| spelled.strip_prefix(p))
        .and_then(|rest| rest.strip_suffix('>'))
}

/// The first line of a doc comment, without control characters (a doc comment cannot hold a
/// bare carriage return).
fn first_line(description: &str) -> String {
    description
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
