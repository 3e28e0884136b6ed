//! Apply configurations (client-go's applyconfiguration-gen): for every kind and every struct it
//! reaches, a type whose fields are all optional, so that a server-side apply sends only what its
//! field manager means to own.
//!
//! `Kluster` gets `KlusterApply` (with `apiVersion`, `kind` and `metadata`, made by `new(name, ns)`),
//! `KlusterSpec` gets `KlusterSpecApply` (`Default`, one setter per field). Fields of the input's
//! own struct types use their apply configurations (also inside `Vec`, maps, `Box`); every other
//! type (numbers, strings, enums, Kubernetes' own types) is used as it is. They live in the
//! generated `apply` module, under the same module path as the type they configure.

use super::{KindInfo, ident_or_placeholder, rust_path};
use crate::model::{Api, Field, Known, TypeBody, TypeId, TypeRef};
use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};
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

    /// The field's type in an apply configuration declared in `apply::<module>`, without its
    /// outer `Option`.
    fn field_type(&self, f: &Field, module: &[String]) -> TokenStream {
        let json = quote!(::kgen_runtime::__private::serde_json::Value);
        let Some(spelled) = f.rust_ty.as_ref().filter(|_| !f.serde.custom_serialize) else {
            return json;
        };
        let Ok(mut ty) = syn::parse_str::<syn::Type>(spelled) else {
            return json;
        };
        if f.ty.is_option()
            && let Some(inner) = option_inner(&ty)
        {
            ty = inner;
        }
        self.substitute(quote!(#ty), module)
    }

    /// Replaces each placeholder by the apply configuration of a struct, or the path of any
    /// other input type.
    fn substitute(&self, tokens: TokenStream, module: &[String]) -> TokenStream {
        tokens
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Group(g) => {
                    let mut group = proc_macro2::Group::new(g.delimiter(), self.substitute(g.stream(), module));
                    group.set_span(g.span());
                    quote!(#group)
                }
                TokenTree::Ident(i) if i.to_string().starts_with(PLACEHOLDER) => {
                    let text = i.to_string();
                    match text[PLACEHOLDER.len()..].parse().map(TypeId) {
                        Ok(id) if self.structs.contains(&id) => {
                            let (at, name) = self.location(id);
                            if at == module {
                                let name = format_ident!("{}", name);
                                quote!(#name)
                            } else {
                                self.path_from(id, module.len() + 1)
                            }
                        }
                        Ok(id) if id.0 < self.api.types.len() => rust_path(self.crate_path, &self.api.ty(id).rust_path),
                        _ => quote!(#i),
                    }
                }
                other => quote!(#other),
            })
            .collect()
    }

    /// The `apply` module: every configuration, in modules mirroring the input's.
    pub fn module(&self) -> TokenStream {
        let mut by_module: BTreeMap<&[String], Vec<TokenStream>> = BTreeMap::new();
        for &id in &self.structs {
            let (module, _) = self.location(id);
            by_module
                .entry(module)
                .or_default()
                .push(self.configuration(id, module));
        }
        let tree = nest(&by_module, &[]);
        quote! {
            /// Apply configurations for server-side apply (kgen): one per kind and per struct a
            /// kind reaches, every field optional, under the module path of the type they
            /// configure. A field manager owns exactly the fields it sets.
            #[allow(clippy::all)]
            pub mod apply {
                #tree
            }
        }
    }

    /// One apply configuration, declared in `apply::<module>`.
    fn configuration(&self, id: TypeId, module: &[String]) -> TokenStream {
        let def = self.api.ty(id);
        let (_, name) = self.location(id);
        let name = format_ident!("{}", name);
        let original = rust_path(self.crate_path, &def.rust_path);
        let kind = self.kinds.get(&id).copied();
        let mut fields = Vec::new();
        let mut field_ids = Vec::new();
        let mut setters = Vec::new();
        for f in apply_fields(def.fields(), kind.is_some()) {
            let id = ident_or_placeholder(&f.rust_name);
            field_ids.push(id.clone());
            let json = &f.json_name;
            let ty = self.field_type(f, module);
            let doc = first_line(&f.description);
            let field_doc = if doc.is_empty() {
                format!(" `{json}`.")
            } else {
                format!(" {doc}")
            };
            if f.serde.flatten {
                fields.push(quote! {
                    #[doc = #field_doc]
                    #[serde(flatten, skip_serializing_if = "::std::option::Option::is_none")]
                    pub #id: ::std::option::Option<#ty>,
                });
            } else {
                fields.push(quote! {
                    #[doc = #field_doc]
                    #[serde(rename = #json, skip_serializing_if = "::std::option::Option::is_none")]
                    pub #id: ::std::option::Option<#ty>,
                });
            }
            let setter_doc = if doc.is_empty() {
                format!(" Sets `{json}`.")
            } else {
                format!(" Sets `{json}`: {doc}")
            };
            setters.push(quote! {
                #[doc = #setter_doc]
                pub fn #id(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                    self.#id = ::std::option::Option::Some(value.into());
                    self
                }
            });
        }
        let derives: Vec<proc_macro2::Ident> = self
            .derives
            .get(&id)
            .into_iter()
            .flatten()
            .map(|d| format_ident!("{}", d))
            .collect();
        let Some(k) = kind else {
            let doc = format!(
                " Apply configuration of [`{}`]({}): every field optional; only the fields set are sent.",
                def.name,
                original.to_string().replace(' ', "")
            );
            return quote! {
                #[doc = #doc]
                #[derive(#(#derives,)* ::std::default::Default, ::serde::Serialize)]
                pub struct #name {
                    #(#fields)*
                }
                impl #name {
                    #(#setters)*
                }
            };
        };
        let api_version = if k.group.is_empty() {
            k.version.clone()
        } else {
            format!("{}/{}", k.group, k.version)
        };
        let kind_name = &k.kind.name;
        let meta = quote!(::k8s_openapi::apimachinery::pkg::apis::meta::v1);
        let (new_args, new_doc, namespace) = if k.namespaced {
            (
                quote!(name: &str, namespace: &str),
                format!(" A {kind_name} to apply: this name in this namespace, nothing else set."),
                quote!(::std::option::Option::Some(namespace.to_string())),
            )
        } else {
            (
                quote!(name: &str),
                format!(" A {kind_name} to apply (cluster-scoped): this name, nothing else set."),
                quote!(::std::option::Option::None),
            )
        };
        let doc = format!(
            " Apply configuration of a {kind_name} ({api_version}) for server-side apply: `apiVersion`, \
             `kind` and `metadata`, and only the fields set with the setters, so the field manager \
             owns only those."
        );
        quote! {
            #[doc = #doc]
            #[derive(#(#derives,)* ::serde::Serialize)]
            pub struct #name {
                #[serde(rename = "apiVersion")]
                api_version: &'static str,
                kind: &'static str,
                /// `metadata`: name and namespace, plus the labels, annotations, owner references
                /// and finalizers this manager owns.
                pub metadata: #meta::ObjectMeta,
                #(#fields)*
            }
            impl #name {
                #[doc = #new_doc]
                pub fn new(#new_args) -> Self {
                    Self {
                        api_version: #api_version,
                        kind: #kind_name,
                        metadata: #meta::ObjectMeta {
                            name: ::std::option::Option::Some(name.to_string()),
                            namespace: #namespace,
                            ..::std::default::Default::default()
                        },
                        #(#field_ids: ::std::option::Option::None,)*
                    }
                }
                /// The name this configuration applies to.
                pub fn name(&self) -> ::std::option::Option<&str> {
                    self.metadata.name.as_deref()
                }
                /// Adds a label (owned by this manager).
                pub fn with_label(mut self, key: impl ::std::convert::Into<::std::string::String>, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.metadata.labels.get_or_insert_with(::std::default::Default::default).insert(key.into(), value.into());
                    self
                }
                /// Adds an annotation (owned by this manager).
                pub fn with_annotation(mut self, key: impl ::std::convert::Into<::std::string::String>, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.metadata.annotations.get_or_insert_with(::std::default::Default::default).insert(key.into(), value.into());
                    self
                }
                /// Adds an owner reference (owned by this manager).
                pub fn with_owner_reference(mut self, owner: #meta::OwnerReference) -> Self {
                    self.metadata.owner_references.get_or_insert_with(::std::vec::Vec::new).push(owner);
                    self
                }
                /// Adds a finalizer (owned by this manager).
                pub fn with_finalizer(mut self, finalizer: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.metadata.finalizers.get_or_insert_with(::std::vec::Vec::new).push(finalizer.into());
                    self
                }
                #(#setters)*
            }
        }
    }
}

/// `Option<T>` (however spelled) → `T`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let is_option = matches!(
        segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["Option"] | ["std" | "core", "option", "Option"]
    );
    if !is_option {
        return None;
    }
    match &p.path.segments.last()?.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The first line of a doc comment.
fn first_line(description: &str) -> String {
    description.lines().next().unwrap_or("").trim().to_string()
}

/// Nested `pub mod`s for the configurations grouped by module path, below `prefix`.
fn nest(by_module: &BTreeMap<&[String], Vec<TokenStream>>, prefix: &[String]) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(items) = by_module.get(prefix) {
        out.extend(items.iter().cloned());
    }
    let children: BTreeSet<&String> = by_module
        .keys()
        .filter(|m| m.len() > prefix.len() && m.starts_with(prefix))
        .map(|m| &m[prefix.len()])
        .collect();
    for child in children {
        let mut path = prefix.to_vec();
        path.push(child.clone());
        let inner = nest(by_module, &path);
        let id = ident_or_placeholder(child);
        out.extend(quote! {
            #[allow(missing_docs)]
            pub mod #id {
                #inner
            }
        });
    }
    out
}
