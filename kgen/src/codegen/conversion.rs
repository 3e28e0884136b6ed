//! Conversions between versions (code-generator's conversion-gen idea, through a hub as
//! controller-runtime does): for each kind whose CRD has `spec.conversion.strategy: Webhook`, the
//! storage version is the hub, and every other version's types convert to and from the hub's
//! types they sit at (the kind's type, then field by field, by JSON name).
//!
//! A pair of types whose fields match by JSON name and type gets `ConvertFrom` both ways; a field
//! the hub adds converts from the spoke as its default when it is optional. A pair that differs
//! (a field renamed, removed or re-typed, a new required field, other enum values) is an error
//! listing each difference, unless one of the two types carries `+kgen:conversion:manual`: then
//! the user writes both `ConvertFrom` impls and the generated code calls them; the types its
//! fields lead to still get generated conversions where they match, for that code to call. Each
//! kind gets a
//! `<Kind>Converter` (`kgen_runtime::conversion::Converter`) in the generated `conversion` module.

use super::{KindInfo, ident_or_placeholder, rust_path};
use crate::diag::{Diagnostic, Diagnostics};
use crate::markers::defs::Id;
use crate::model::{Api, Field, TypeBody, TypeId, TypeRef};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// What the conversions of an API add to the generated code.
pub struct Conversions {
    /// The `conversion` module (empty when no kind converts).
    pub items: TokenStream,
    /// `conversion::<Kind>Converter` of each converting kind, sorted by CRD name.
    pub converters: Vec<TokenStream>,
}

/// One field of a target type and where its value comes from.
enum FieldSource<'a> {
    /// The source field of the same JSON name, moved as it is.
    Move(&'a Field),
    /// The source field of the same JSON name, converted.
    Convert(&'a Field),
    /// No source field (an optional field only one side has, or a skipped one).
    Default,
}

/// How one pair of types converts.
enum Plan {
    /// Structs: for each direction, the target's fields.
    Struct,
    /// String enums: variants by JSON name.
    Enum,
    /// Written by the user.
    Manual,
}

/// Conversions for every kind in `infos` whose CRD asks for webhook conversion.
pub fn conversions(api: &Api, infos: &[KindInfo], crate_path: &str, diags: &mut Diagnostics) -> Conversions {
    // One entry per CRD: its versions' kind infos.
    let mut by_crd: BTreeMap<String, Vec<&KindInfo>> = BTreeMap::new();
    for k in infos {
        if k.crd["spec"]["conversion"]["strategy"] == "Webhook" {
            by_crd.entry(format!("{}.{}", k.plural, k.group)).or_default().push(k);
        }
    }
    let mut pairs: BTreeMap<(TypeId, TypeId), Plan> = BTreeMap::new();
    let mut converter_items = TokenStream::new();
    let mut converters = Vec::new();
    let mut converter_names: BTreeMap<String, &str> = BTreeMap::new();
    for kinds in by_crd.values() {
        let first = kinds[0];
        let versions: Vec<String> = first.crd["spec"]["versions"]
            .as_array()
            .map(|vs| vs.iter().filter_map(|v| v["name"].as_str().map(String::from)).collect())
            .unwrap_or_default();
        let Some(hub_version) = first.crd["spec"]["versions"]
            .as_array()
            .and_then(|vs| vs.iter().find(|v| v["storage"] == true))
            .and_then(|v| v["name"].as_str())
        else {
            continue;
        };
        let Some(hub) = kinds.iter().find(|k| k.version == hub_version) else {
            continue;
        };
        let name = format!("{}Converter", first.kind.name);
        if let Some(other) = converter_names.insert(name.clone(), &first.group) {
            diags.push(
                Diagnostic::error(
                    api.ty(first.kind.type_id).location.clone(),
                    format!(
                        "kind {} converts between versions in groups {other} and {}: both would get conversion::{name}",
                        first.kind.name, first.group
                    ),
                )
                .with_help("convert one of them only, or give the kinds different names"),
            );
            continue;
        }
        let spokes: Vec<&KindInfo> = kinds.iter().copied().filter(|k| k.version != hub_version).collect();
        for spoke in &spokes {
            pair_types(
                api,
                spoke.kind.type_id,
                hub.kind.type_id,
                &spoke.version,
                hub_version,
                &mut pairs,
                diags,
            );
        }
        converter_items.extend(converter(api, &name, first, hub, &spokes, &versions, crate_path));
        let ident = format_ident!("{}", name);
        converters.push(quote!(conversion::#ident));
    }
    if converters.is_empty() {
        return Conversions {
            items: TokenStream::new(),
            converters,
        };
    }
    let mut impls = TokenStream::new();
    for (&(spoke, hub), plan) in &pairs {
        match plan {
            Plan::Manual => {}
            Plan::Struct => {
                impls.extend(struct_impl(api, spoke, hub, crate_path));
                impls.extend(struct_impl(api, hub, spoke, crate_path));
            }
            Plan::Enum => {
                impls.extend(enum_impl(api, spoke, hub, crate_path));
                impls.extend(enum_impl(api, hub, spoke, crate_path));
            }
        }
    }
    let items = quote! {
        /// Conversions between versions through each kind's hub, its storage version (kgen).
        pub mod conversion {
            #converter_items
            #impls
        }
    };
    Conversions { items, converters }
}

/// Follows `type X = Y;` to what it names.
fn unalias<'a>(api: &'a Api, ty: &'a TypeRef) -> &'a TypeRef {
    let mut ty = ty;
    for _ in 0..crate::model::MAX_TYPE_NESTING {
        match ty {
            TypeRef::Named(id) => match &api.ty(*id).body {
                TypeBody::Alias(inner) => ty = inner,
                _ => return ty,
            },
            _ => return ty,
        }
    }
    ty
}

/// Whether two field types correspond: `Ok(false)` when the value moves as it is, `Ok(true)`
/// when it converts (pairs of the input's types are added to `todo`), `Err` when they differ.
fn match_types(api: &Api, a: &TypeRef, b: &TypeRef, todo: &mut Vec<(TypeId, TypeId)>) -> Result<bool, ()> {
    let (a, b) = (unalias(api, a), unalias(api, b));
    match (a, b) {
        (TypeRef::Error, _) | (_, TypeRef::Error) => Ok(false),
        (TypeRef::Option(x), TypeRef::Option(y))
        | (TypeRef::List(x), TypeRef::List(y))
        | (TypeRef::Set(x), TypeRef::Set(y))
        | (TypeRef::Map(x), TypeRef::Map(y)) => match_types(api, x, y, todo),
        (TypeRef::Named(i), TypeRef::Named(j)) => {
            if i == j {
                Ok(false)
            } else {
                todo.push((*i, *j));
                Ok(true)
            }
        }
        (x, y) if x == y => Ok(false),
        _ => Err(()),
    }
}

/// Fields that are on the wire, by JSON name (flattened ones by Rust name).
fn wire_fields(fields: &[Field]) -> BTreeMap<String, &Field> {
    fields
        .iter()
        .filter(|f| !f.is_skipped())
        .map(|f| {
            let key = if f.serde.flatten {
                format!("(flattened {})", f.rust_name)
            } else {
                f.json_name.clone()
            };
            (key, f)
        })
        .collect()
}

/// May be left out of an object: `Option`, or filled in by serde's default.
fn is_optional(api: &Api, owner: TypeId, f: &Field) -> bool {
    f.ty.is_option() || f.serde.default || api.ty(owner).serde.default
}

/// Pairs the types of `spoke_kind` and `hub_kind` and, recursively, of their fields, recording
/// each pair's plan; reports pairs that cannot convert field by field.
fn pair_types(
    api: &Api,
    spoke_kind: TypeId,
    hub_kind: TypeId,
    spoke_version: &str,
    hub_version: &str,
    pairs: &mut BTreeMap<(TypeId, TypeId), Plan>,
    diags: &mut Diagnostics,
) {
    // Each pair to look at, and whether it must convert: a pair reached only through the fields
    // of a hand-converted type is generated when its fields match (the hand-written code may call
    // it) and otherwise left to the user without an error.
    let mut todo = vec![(spoke_kind, hub_kind, true)];
    while let Some((s, h, required)) = todo.pop() {
        if s == h || pairs.contains_key(&(s, h)) {
            continue;
        }
        let (st, ht) = (api.ty(s), api.ty(h));
        // The field pairs this pair's fields lead to.
        let mut nested: Vec<(TypeId, TypeId)> = Vec::new();
        if st.marker(Id::ConversionManual).is_some() || ht.marker(Id::ConversionManual).is_some() {
            pairs.insert((s, h), Plan::Manual);
            if let (TypeBody::Struct(sf), TypeBody::Struct(hf)) = (&st.body, &ht.body) {
                let hw = wire_fields(hf);
                for (key, f) in &wire_fields(sf) {
                    if let Some(g) = hw.get(key) {
                        let mut found = Vec::new();
                        if match_types(api, &f.ty, &g.ty, &mut found).is_ok() {
                            nested.extend(found);
                        }
                    }
                }
            }
            todo.extend(nested.into_iter().map(|(a, b)| (a, b, false)));
            continue;
        }
        let mut problems: Vec<String> = Vec::new();
        let plan = match (&st.body, &ht.body) {
            (TypeBody::Struct(sf), TypeBody::Struct(hf)) => {
                let (sw, hw) = (wire_fields(sf), wire_fields(hf));
                for (key, f) in &sw {
                    match hw.get(key) {
                        None => problems.push(format!(
                            "field `{key}` (line {}) has no field of that name in {hub_version}",
                            f.location.line
                        )),
                        Some(g) => {
                            if match_types(api, &f.ty, &g.ty, &mut nested).is_err() {
                                problems.push(format!(
                                    "field `{key}` (line {}) is `{}` in {spoke_version} and `{}` in {hub_version}",
                                    f.location.line, f.ty_text, g.ty_text
                                ));
                            }
                        }
                    }
                }
                for (key, g) in &hw {
                    if !sw.contains_key(key) && !is_optional(api, h, g) {
                        problems.push(format!(
                            "field `{key}` (line {}) is required in {hub_version} and {spoke_version} has no field of that name",
                            g.location.line
                        ));
                    }
                }
                Plan::Struct
            }
            (TypeBody::UnitEnum(sv), TypeBody::UnitEnum(hv)) => {
                let names = |vs: &[crate::model::Variant]| -> BTreeSet<String> {
                    vs.iter().filter(|v| !v.skipped).map(|v| v.json_name.clone()).collect()
                };
                let (sn, hn) = (names(sv), names(hv));
                for v in sn.difference(&hn) {
                    problems.push(format!(
                        "value `{v}` of {spoke_version} is not a value in {hub_version}"
                    ));
                }
                for v in hn.difference(&sn) {
                    problems.push(format!(
                        "value `{v}` of {hub_version} is not a value in {spoke_version}"
                    ));
                }
                Plan::Enum
            }
            (a, b) => {
                problems.push(format!(
                    "kgen converts structs and string enums field by field; this is {} in {spoke_version} and {} in {hub_version}",
                    body_name(a),
                    body_name(b)
                ));
                Plan::Manual
            }
        };
        if !problems.is_empty() && !required {
            continue;
        }
        todo.extend(nested.into_iter().map(|(a, b)| (a, b, required)));
        if !problems.is_empty() {
            let spoke_path = st.rust_path.join("::");
            let hub_path = ht.rust_path.join("::");
            let list: String = problems.iter().map(|p| format!("\n  - {p}")).collect();
            diags.push(
                Diagnostic::error(
                    st.location.clone(),
                    format!(
                        "cannot generate the conversion between {spoke_version} `{}` and {hub_version} `{}` (the hub):{list}",
                        st.name, ht.name
                    ),
                )
                .with_help(format!(
                    "write `impl ConvertFrom<{spoke_path}> for {hub_path}` and `impl ConvertFrom<{hub_path}> for {spoke_path}` \
                     (kgen_runtime::conversion::ConvertFrom) and put `+kgen:conversion:manual` on `{}`",
                    st.name
                )),
            );
            pairs.insert((s, h), Plan::Manual);
            continue;
        }
        pairs.insert((s, h), plan);
    }
}

fn body_name(body: &TypeBody) -> &'static str {
    match body {
        TypeBody::Struct(_) => "a struct",
        TypeBody::Newtype(_) => "a newtype",
        TypeBody::Alias(_) => "an alias",
        TypeBody::UnitEnum(_) => "a string enum",
        TypeBody::DataEnum(_) => "an enum with data",
        TypeBody::Unsupported(_) => "a type kgen cannot describe",
    }
}

fn field_ident(f: &Field) -> proc_macro2::Ident {
    ident_or_placeholder(f.rust_name.trim_start_matches("r#"))
}

/// `impl ConvertFrom<from> for to` for two structs that match.
fn struct_impl(api: &Api, from: TypeId, to: TypeId, crate_path: &str) -> TokenStream {
    let (ft, tt) = (api.ty(from), api.ty(to));
    let (TypeBody::Struct(ff), TypeBody::Struct(tf)) = (&ft.body, &tt.body) else {
        return TokenStream::new();
    };
    let sources = wire_fields(ff);
    let mut unused = Vec::new();
    let mut inits = Vec::new();
    let mut uses_value = false;
    for f in tf {
        let key = if f.serde.flatten {
            format!("(flattened {})", f.rust_name)
        } else {
            f.json_name.clone()
        };
        let source = match sources.get(&key) {
            Some(g) if !f.is_skipped() => {
                if match_types(api, &g.ty, &f.ty, &mut unused) == Ok(true) {
                    FieldSource::Convert(g)
                } else {
                    FieldSource::Move(g)
                }
            }
            _ => FieldSource::Default,
        };
        uses_value |= !matches!(source, FieldSource::Default);
        let name = field_ident(f);
        inits.push(match source {
            FieldSource::Move(g) => {
                let src = field_ident(g);
                quote!(#name: value.#src)
            }
            FieldSource::Convert(g) => {
                let src = field_ident(g);
                quote!(#name: ::kgen_runtime::conversion::ConvertFrom::convert_from(value.#src)?)
            }
            FieldSource::Default => quote!(#name: ::std::default::Default::default()),
        });
    }
    let (from_ty, to_ty) = (
        rust_path(crate_path, &ft.rust_path),
        rust_path(crate_path, &tt.rust_path),
    );
    let bind = if uses_value { quote!(value) } else { quote!(_value) };
    quote! {
        /// Field by field (kgen).
        impl ::kgen_runtime::conversion::ConvertFrom<#from_ty> for #to_ty {
            fn convert_from(#bind: #from_ty) -> ::std::result::Result<Self, ::kgen_runtime::conversion::ConversionError> {
                ::std::result::Result::Ok(Self { #(#inits,)* })
            }
        }
    }
}

/// `impl ConvertFrom<from> for to` for two string enums with the same values.
fn enum_impl(api: &Api, from: TypeId, to: TypeId, crate_path: &str) -> TokenStream {
    let (ft, tt) = (api.ty(from), api.ty(to));
    let (TypeBody::UnitEnum(fv), TypeBody::UnitEnum(tv)) = (&ft.body, &tt.body) else {
        return TokenStream::new();
    };
    let (from_ty, to_ty) = (
        rust_path(crate_path, &ft.rust_path),
        rust_path(crate_path, &tt.rust_path),
    );
    let arms = fv.iter().map(|v| {
        let src = ident_or_placeholder(&v.rust_name);
        match tv.iter().find(|t| !t.skipped && !v.skipped && t.json_name == v.json_name) {
            Some(t) => {
                let dst = ident_or_placeholder(&t.rust_name);
                quote!(#from_ty::#src => ::std::result::Result::Ok(Self::#dst))
            }
            None => {
                let message = format!("{}::{} has no counterpart in {}", ft.name, v.rust_name, tt.qualified_name());
                quote!(#from_ty::#src => ::std::result::Result::Err(::kgen_runtime::conversion::ConversionError::new(#message)))
            }
        }
    });
    quote! {
        /// Value by value (kgen).
        impl ::kgen_runtime::conversion::ConvertFrom<#from_ty> for #to_ty {
            fn convert_from(value: #from_ty) -> ::std::result::Result<Self, ::kgen_runtime::conversion::ConversionError> {
                match value { #(#arms,)* }
            }
        }
    }
}

/// The `Converter` of one kind.
fn converter(
    api: &Api,
    name: &str,
    first: &KindInfo,
    hub: &KindInfo,
    spokes: &[&KindInfo],
    versions: &[String],
    crate_path: &str,
) -> TokenStream {
    let ident = format_ident!("{}", name);
    let (group, kind, plural) = (&first.group, &first.kind.name, &first.plural);
    let hub_version = &hub.version;
    let hub_ty = rust_path(crate_path, &api.ty(hub.kind.type_id).rust_path);
    let spoke_versions: Vec<&String> = spokes.iter().map(|s| &s.version).collect();
    let spoke_tys: Vec<TokenStream> = spokes
        .iter()
        .map(|s| rust_path(crate_path, &api.ty(s.kind.type_id).rust_path))
        .collect();
    let doc = format!(
        "Converts {kind} between {} through the hub {hub_version}, for a conversion webhook or the fake API server (kgen).",
        versions.join(", ")
    );
    let no_version = format!("{kind} has no version {{other:?}}");
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #ident;

        impl ::kgen_runtime::conversion::Converter for #ident {
            fn group(&self) -> &str { #group }
            fn kind(&self) -> &str { #kind }
            fn plural(&self) -> &str { #plural }
            fn versions(&self) -> &[&str] { &[#(#versions),*] }
            fn hub_version(&self) -> &str { #hub_version }
            fn to_hub(
                &self,
                object: ::kgen_runtime::__private::serde_json::Value,
            ) -> ::std::result::Result<::kgen_runtime::__private::serde_json::Value, ::kgen_runtime::conversion::ConversionError> {
                let version = ::kgen_runtime::conversion::version_of(&object)?.to_owned();
                match version.as_str() {
                    #hub_version => ::std::result::Result::Ok(object),
                    #(#spoke_versions => {
                        let spoke: #spoke_tys = ::kgen_runtime::__private::serde_json::from_value(object)?;
                        let hub: #hub_ty = ::kgen_runtime::conversion::ConvertFrom::convert_from(spoke)?;
                        ::std::result::Result::Ok(::kgen_runtime::__private::serde_json::to_value(hub)?)
                    })*
                    other => ::std::result::Result::Err(::kgen_runtime::conversion::ConversionError::new(::std::format!(#no_version))),
                }
            }
            fn from_hub(
                &self,
                hub: ::kgen_runtime::__private::serde_json::Value,
                version: &str,
            ) -> ::std::result::Result<::kgen_runtime::__private::serde_json::Value, ::kgen_runtime::conversion::ConversionError> {
                match version {
                    #hub_version => ::std::result::Result::Ok(hub),
                    #(#spoke_versions => {
                        let hub: #hub_ty = ::kgen_runtime::__private::serde_json::from_value(hub)?;
                        let spoke: #spoke_tys = ::kgen_runtime::conversion::ConvertFrom::convert_from(hub)?;
                        ::std::result::Result::Ok(::kgen_runtime::__private::serde_json::to_value(spoke)?)
                    })*
                    other => ::std::result::Result::Err(::kgen_runtime::conversion::ConversionError::new(::std::format!(#no_version))),
                }
            }
        }
    }
}
