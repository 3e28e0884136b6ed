//! Per-kind items: `impl kube::Resource`, `HasSpec`/`HasStatus`, `Kind::new`, `Kind::crd()`, and a
//! `Serialize` that always writes `apiVersion` and `kind`.

use super::{KindInfo, rust_path};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Api, Field, Known, TypeRef};
use proc_macro2::TokenStream;
use quote::quote;

/// The items generated for one kind.
pub fn resource_items(api: &Api, k: &KindInfo, crate_path: &str, diags: &mut Diagnostics) -> TokenStream {
    let def = api.ty(k.kind.type_id);
    let ty = rust_path(crate_path, &def.rust_path);
    let (kind, group, version, plural) = (&k.kind.name, &k.group, &k.version, &k.plural);
    let api_version = if group.is_empty() {
        version.clone()
    } else {
        format!("{group}/{version}")
    };
    let scope = if k.namespaced {
        quote!(::k8s_openapi::NamespaceResourceScope)
    } else {
        quote!(::k8s_openapi::ClusterResourceScope)
    };
    let fields: Vec<&Field> = def.fields().iter().filter(|f| !f.is_skipped()).collect();
    let field = |json: &str| fields.iter().copied().find(|f| f.json_name == json);

    let Some(meta) = field("metadata") else {
        return TokenStream::new();
    };
    if meta.ty.is_option() {
        diags.push(Diagnostic::error(
            meta.location.clone(),
            format!("`{kind}.metadata` must be `ObjectMeta`, not an Option, for kube::Resource"),
        ));
        return TokenStream::new();
    }
    let meta_ident = super::ident_or_placeholder(&meta.rust_name);
    let mut out = quote! {
        impl ::kube::Resource for #ty {
            type DynamicType = ();
            type Scope = #scope;
            fn kind(_: &()) -> ::std::borrow::Cow<'_, str> { ::std::borrow::Cow::Borrowed(#kind) }
            fn group(_: &()) -> ::std::borrow::Cow<'_, str> { ::std::borrow::Cow::Borrowed(#group) }
            fn version(_: &()) -> ::std::borrow::Cow<'_, str> { ::std::borrow::Cow::Borrowed(#version) }
            fn api_version(_: &()) -> ::std::borrow::Cow<'_, str> { ::std::borrow::Cow::Borrowed(#api_version) }
            fn plural(_: &()) -> ::std::borrow::Cow<'_, str> { ::std::borrow::Cow::Borrowed(#plural) }
            fn meta(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta { &self.#meta_ident }
            fn meta_mut(&mut self) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.#meta_ident
            }
        }
    };

    let spec = field("spec");
    let status = field("status");
    let spec_ty = spec.and_then(|f| named_path(api, &f.ty, crate_path));
    let status_ty = status.and_then(|f| match &f.ty {
        TypeRef::Option(inner) => named_path(api, inner, crate_path),
        _ => None,
    });
    if let (Some(f), Some(t)) = (spec, &spec_ty) {
        let id = super::ident_or_placeholder(&f.rust_name);
        out.extend(quote! {
            impl ::kube::core::object::HasSpec for #ty {
                type Spec = #t;
                fn spec(&self) -> &#t { &self.#id }
                fn spec_mut(&mut self) -> &mut #t { &mut self.#id }
            }
        });
    }
    if let (Some(f), Some(t)) = (status, &status_ty) {
        let id = super::ident_or_placeholder(&f.rust_name);
        out.extend(quote! {
            impl ::kube::core::object::HasStatus for #ty {
                type Status = #t;
                fn status(&self) -> ::std::option::Option<&#t> { self.#id.as_ref() }
                fn status_mut(&mut self) -> &mut ::std::option::Option<#t> { &mut self.#id }
            }
        });
    }

    // `new` only when every other field has an obvious value.
    let simple = fields.iter().all(|f| {
        matches!(f.json_name.as_str(), "metadata" | "spec") || f.ty.is_option() || type_meta_field(f).is_some()
    });
    let type_meta_inits = fields.iter().filter_map(|f| {
        let id = super::ident_or_placeholder(&f.rust_name);
        let value = match type_meta_field(f)? {
            TypeMetaField::Flattened => quote! {
                ::kube::core::TypeMeta { api_version: #api_version.to_string(), kind: #kind.to_string() }
            },
            TypeMetaField::ApiVersion => quote!(#api_version.to_string()),
            TypeMetaField::Kind => quote!(#kind.to_string()),
        };
        Some(if f.ty.is_option() {
            quote!(#id: ::std::option::Option::Some(#value),)
        } else {
            quote!(#id: #value,)
        })
    });
    let crd_json = serde_json::to_string(&k.crd).expect("CRDs serialise");
    // `crd()` reads the JSON back with serde_json, which (like kube's client) refuses more than
    // 128 levels of nesting: say so now rather than let `crd()` fail at run time.
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&crd_json) {
        diags.push(
            Diagnostic::error(
                def.location.clone(),
                format!("the CRD of {kind} cannot be read back by serde_json, which kube uses: {e}"),
            )
            .with_help("nest the types less deeply (serde_json reads at most 128 levels of JSON nesting)"),
        );
    }
    let new_fn = match (spec, &spec_ty, simple) {
        (Some(sf), Some(st), true) => {
            let spec_id = super::ident_or_placeholder(&sf.rust_name);
            let others = fields
                .iter()
                .filter(|f| f.ty.is_option() && type_meta_field(f).is_none())
                .map(|f| super::ident_or_placeholder(&f.rust_name))
                .collect::<Vec<_>>();
            let skipped = def
                .fields()
                .iter()
                .filter(|f| f.is_skipped())
                .map(|f| super::ident_or_placeholder(&f.rust_name));
            quote! {
                /// A new object with this name and spec (kgen).
                pub fn new(name: &str, #spec_id: #st) -> Self {
                    Self {
                        #meta_ident: ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                            name: ::std::option::Option::Some(name.to_string()),
                            ..::std::default::Default::default()
                        },
                        #spec_id,
                        #( #type_meta_inits )*
                        #( #others: ::std::option::Option::None, )*
                        #( #skipped: ::std::default::Default::default(), )*
                    }
                }
            }
        }
        _ => TokenStream::new(),
    };
    let crd_name = format!("{plural}.{group}");
    let crd_const = quote::format_ident!("{}", k.crd_const);
    out.extend(quote! {
        impl #ty {
            #new_fn
            /// The CustomResourceDefinition, exactly as `kgen crd` writes it (kgen).
            pub fn crd() -> ::k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
                ::kgen_runtime::__private::serde_json::from_str(#crd_const).expect("kgen embeds a valid CustomResourceDefinition")
            }
            /// The CRD's name, `<plural>.<group>` (kgen).
            pub const CRD_NAME: &'static str = #crd_name;
        }
    });

    if !def.derives.iter().any(|d| d == "Serialize") {
        out.extend(serialize_impl(api, k, crate_path, &ty, &fields, &api_version, diags));
    }
    out
}

/// `impl Serialize` writing `apiVersion` and `kind` first, then the fields as serde would.
fn serialize_impl(
    api: &Api,
    k: &KindInfo,
    crate_path: &str,
    ty: &TokenStream,
    fields: &[&Field],
    api_version: &str,
    diags: &mut Diagnostics,
) -> TokenStream {
    let def = api.ty(k.kind.type_id);
    let kind = &k.kind.name;
    let mut writes = Vec::new();
    for f in fields {
        // kgen writes apiVersion and kind itself, from the kind's group-version.
        if f.serde.skip_serializing || type_meta_field(f).is_some() {
            continue;
        }
        if f.serde.flatten || f.serde.custom_serialize {
            diags.push(
                Diagnostic::error(
                    f.location.clone(),
                    format!("kgen cannot generate Serialize for kind {kind}: field `{}` uses flatten or a custom serializer", f.rust_name),
                )
                .with_help("derive Serialize on the kind yourself; kgen's typed clients add apiVersion and kind to every write"),
            );
            continue;
        }
        let id = super::ident_or_placeholder(&f.rust_name);
        let name = &f.json_name;
        match &f.serde.skip_serializing_if {
            Some(pred) => {
                let pred = predicate_path(pred, &def.rust_path, crate_path);
                let pred: syn::ExprPath = match syn::parse_str(&pred) {
                    Ok(p) => p,
                    Err(_) => {
                        diags.push(Diagnostic::error(
                            f.location.clone(),
                            format!("skip_serializing_if path `{pred}` is not a path"),
                        ));
                        continue;
                    }
                };
                writes.push(quote! {
                    if #pred(&self.#id) {
                        state.skip_field(#name)?;
                    } else {
                        state.serialize_field(#name, &self.#id)?;
                    }
                });
            }
            None => writes.push(quote! { state.serialize_field(#name, &self.#id)?; }),
        }
    }
    let len = writes.len() + 2;
    quote! {
        impl ::serde::Serialize for #ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct;
                let mut state = serializer.serialize_struct(#kind, #len)?;
                state.serialize_field("apiVersion", #api_version)?;
                state.serialize_field("kind", #kind)?;
                #(#writes)*
                state.end()
            }
        }
    }
}

/// A Go-style type-meta field of a kind.
enum TypeMetaField {
    /// `#[serde(flatten)] types: kube::core::TypeMeta`.
    Flattened,
    /// A field named `apiVersion` in JSON.
    ApiVersion,
    /// A field named `kind` in JSON.
    Kind,
}

fn type_meta_field(f: &Field) -> Option<TypeMetaField> {
    if f.serde.flatten && matches!(f.ty.without_option(), TypeRef::Known(Known::TypeMeta)) {
        return Some(TypeMetaField::Flattened);
    }
    let string = matches!(f.ty.without_option(), TypeRef::String);
    match f.json_name.as_str() {
        "apiVersion" if string && !f.serde.flatten => Some(TypeMetaField::ApiVersion),
        "kind" if string && !f.serde.flatten => Some(TypeMetaField::Kind),
        _ => None,
    }
}

/// A predicate path as seen from the crate root: std paths as written, others in the type's module.
fn predicate_path(pred: &str, type_path: &[String], crate_path: &str) -> String {
    let first = pred.split("::").next().unwrap_or("");
    let std_like = matches!(
        first,
        "Option"
            | "Vec"
            | "String"
            | "BTreeMap"
            | "HashMap"
            | "BTreeSet"
            | "HashSet"
            | "std"
            | "core"
            | "alloc"
            | "crate"
    );
    if std_like || pred.starts_with("::") {
        return pred.to_string();
    }
    let module = &type_path[..type_path.len().saturating_sub(1)];
    let mut out = crate_path.to_string();
    for m in module {
        out.push_str("::");
        out.push_str(m);
    }
    format!("{out}::{pred}")
}

/// The public path of a named type, or of a known one.
fn named_path(api: &Api, t: &TypeRef, crate_path: &str) -> Option<TokenStream> {
    match t {
        TypeRef::Named(id) => Some(rust_path(crate_path, &api.ty(*id).rust_path)),
        TypeRef::Known(Known::JsonValue) => Some(quote!(::kgen_runtime::__private::serde_json::Value)),
        TypeRef::String => Some(quote!(::std::string::String)),
        _ => None,
    }
}
