//! The typed clientset: one accessor per group-version, one client per resource, and only the
//! verbs `+genclient` asks for (a verb that is not generated does not exist, so using it does not compile).

use super::{KindInfo, rust_path};
use crate::model::Api;
use crate::model::client::ClientSpec;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The methods of one resource's client.
pub fn resource_client(
    api: &Api,
    k: &KindInfo,
    spec: &ClientSpec,
    crate_path: &str,
    applies: &super::apply::ApplyTypes,
) -> TokenStream {
    let def = api.ty(k.kind.type_id);
    let ty = rust_path(crate_path, &def.rust_path);
    let client = format_ident!("{}Client", k.kind.name);
    let kind = &k.kind.name;
    let result = quote!(::kube::Result);
    let mut methods = Vec::new();
    let verb = |v: &str| spec.has(v);
    if verb("create") {
        methods.push(quote! {
            /// Creates the object.
            pub async fn create(&self, obj: &#ty, params: &::kube::api::PostParams) -> #result<#ty> {
                ::kgen_runtime::client::create(&self.api, params, obj).await
            }
        });
    }
    if verb("update") {
        methods.push(quote! {
            /// Replaces the object (optimistic concurrency on `metadata.resourceVersion`).
            pub async fn update(&self, obj: &#ty, params: &::kube::api::PostParams) -> #result<#ty> {
                let name = ::kgen_runtime::client::object_name(obj)?;
                ::kgen_runtime::client::replace(&self.api, &name, params, obj).await
            }
        });
    }
    if verb("updateStatus") {
        methods.push(quote! {
            /// Replaces the object's status through the status subresource.
            pub async fn update_status(&self, obj: &#ty, params: &::kube::api::PostParams) -> #result<#ty> {
                let name = ::kgen_runtime::client::object_name(obj)?;
                ::kgen_runtime::client::replace_status(&self.api, &name, params, obj).await
            }
        });
    }
    if verb("delete") {
        methods.push(quote! {
            /// Deletes the object; `Left` while finalizers keep it, `Right` once gone.
            pub async fn delete(
                &self,
                name: &str,
                params: &::kube::api::DeleteParams,
            ) -> #result<::kgen_runtime::Either<#ty, ::kube::core::Status>> {
                self.api.delete(name, params).await
            }
        });
    }
    if verb("deleteCollection") {
        methods.push(quote! {
            /// Deletes every object the list parameters select.
            pub async fn delete_collection(
                &self,
                params: &::kube::api::DeleteParams,
                list: &::kube::api::ListParams,
            ) -> #result<::kgen_runtime::Either<::kube::api::ObjectList<#ty>, ::kube::core::Status>> {
                self.api.delete_collection(params, list).await
            }
        });
    }
    if verb("get") {
        methods.push(quote! {
            /// Reads the object.
            pub async fn get(&self, name: &str) -> #result<#ty> {
                self.api.get(name).await
            }
            /// Reads the object, `None` if it does not exist.
            pub async fn get_opt(&self, name: &str) -> #result<::std::option::Option<#ty>> {
                self.api.get_opt(name).await
            }
        });
    }
    if verb("list") {
        methods.push(quote! {
            /// Lists objects.
            pub async fn list(&self, params: &::kube::api::ListParams) -> #result<::kube::api::ObjectList<#ty>> {
                self.api.list(params).await
            }
        });
    }
    if verb("watch") {
        methods.push(quote! {
            /// Watches objects from a resource version.
            pub async fn watch(
                &self,
                params: &::kube::api::WatchParams,
                resource_version: &str,
            ) -> #result<impl ::kgen_runtime::__private::futures::Stream<Item = #result<::kube::api::WatchEvent<#ty>>> + use<>> {
                self.api.watch(params, resource_version).await
            }
        });
    }
    if verb("patch") {
        methods.push(quote! {
            /// Patches the object (merge, JSON or server-side apply patch).
            pub async fn patch<P: ::serde::Serialize + ::std::fmt::Debug>(
                &self,
                name: &str,
                params: &::kube::api::PatchParams,
                patch: &::kube::api::Patch<P>,
            ) -> #result<#ty> {
                self.api.patch(name, params, patch).await
            }
        });
        if verb("updateStatus") || spec.has("applyStatus") {
            methods.push(quote! {
                /// Patches the object's status through the status subresource.
                pub async fn patch_status<P: ::serde::Serialize + ::std::fmt::Debug>(
                    &self,
                    name: &str,
                    params: &::kube::api::PatchParams,
                    patch: &::kube::api::Patch<P>,
                ) -> #result<#ty> {
                    self.api.patch_status(name, params, patch).await
                }
            });
        }
    }
    // The apply configuration, from the group-version module (a sibling of `apply`).
    let config = applies
        .has(k.kind.type_id)
        .then(|| applies.path_from(k.kind.type_id, 1));
    if verb("apply") {
        if let Some(config) = &config {
            methods.push(quote! {
                /// Server-side apply of an apply configuration as `field_manager`: the manager owns
                /// exactly the fields set in it (`force` takes over fields other managers own).
                pub async fn apply(&self, config: &#config, field_manager: &str, force: bool) -> #result<#ty> {
                    ::kgen_runtime::client::apply_configuration(&self.api, config.name(), config, field_manager, force, false).await
                }
            });
        }
        methods.push(quote! {
            /// Server-side apply of a whole object as `field_manager`: the manager owns every field
            /// the object serialises, required ones included (see `apply` for a partial one).
            pub async fn apply_object(&self, obj: &#ty, field_manager: &str, force: bool) -> #result<#ty> {
                ::kgen_runtime::client::apply(&self.api, obj, field_manager, force, false).await
            }
        });
    }
    if verb("applyStatus") {
        if let Some(config) = &config {
            methods.push(quote! {
                /// Server-side apply of the status set in an apply configuration, as `field_manager`.
                pub async fn apply_status(&self, config: &#config, field_manager: &str, force: bool) -> #result<#ty> {
                    ::kgen_runtime::client::apply_configuration(&self.api, config.name(), config, field_manager, force, true).await
                }
            });
        }
        methods.push(quote! {
            /// Server-side apply of a whole object's status as `field_manager`.
            pub async fn apply_object_status(&self, obj: &#ty, field_manager: &str, force: bool) -> #result<#ty> {
                ::kgen_runtime::client::apply(&self.api, obj, field_manager, force, true).await
            }
        });
    }
    for m in &spec.methods {
        methods.push(custom_method(api, k, m, crate_path, &ty, config.as_ref()));
    }
    let verbs = crate::markers::defs::genclient::VERBS;
    let has: Vec<&str> = verbs.iter().copied().filter(|v| spec.has(v)).collect();
    let missing: Vec<&str> = verbs.iter().copied().filter(|v| !spec.has(v)).collect();
    let mut doc = format!(
        "Typed client for {kind} ({}/{}), with the verbs `+genclient` asks for.\n\nVerbs: {}.",
        k.group,
        k.version,
        has.join(", ")
    );
    if !missing.is_empty() {
        doc.push_str(&format!(
            " Not generated, so calling them does not compile: {} (left out by `+genclient:readonly`, \
             `+genclient:onlyVerbs` or `+genclient:skipVerbs` on {kind}).",
            missing.join(", ")
        ));
    }
    quote! {
        #[doc = #doc]
        #[derive(Clone)]
        pub struct #client {
            api: ::kube::Api<#ty>,
        }
        impl #client {
            /// A client over a `kube::Api` (namespaced, all namespaces or cluster-scoped).
            pub fn new(api: ::kube::Api<#ty>) -> Self {
                Self { api }
            }
            /// The `kube::Api` underneath, for kube-runtime's `Controller`, `finalizer` and the like.
            pub fn api(&self) -> &::kube::Api<#ty> {
                &self.api
            }
            #(#methods)*
        }
    }
}

/// The Rust type of a method's `input=`/`result=`, or `default`.
fn method_type(
    api: &Api,
    t: Option<&crate::model::client::MethodType>,
    crate_path: &str,
    default: &TokenStream,
) -> TokenStream {
    use crate::model::client::MethodType;
    match t {
        None => default.clone(),
        Some(MethodType::Local(id)) => rust_path(crate_path, &api.ty(*id).rust_path),
        Some(MethodType::External(path)) => syn::parse_str::<syn::Path>(path)
            .map(|p| quote!(#p))
            .unwrap_or_else(|_| default.clone()),
    }
}

/// One `+genclient:method`: the verb's request to the object, its collection or a subresource,
/// with the `input=` and `result=` types (default: the kind; for apply, its apply configuration).
fn custom_method(
    api: &Api,
    k: &KindInfo,
    m: &crate::model::client::Method,
    crate_path: &str,
    ty: &TokenStream,
    config: Option<&TokenStream>,
) -> TokenStream {
    use crate::model::client::MethodType;
    let result = quote!(::kube::Result);
    let name = super::ident_or_placeholder(&to_snake(&m.name));
    let sub = match &m.subresource {
        Some(s) => quote!(::std::option::Option::Some(#s)),
        None => quote!(::std::option::Option::None),
    };
    let target = m
        .subresource
        .as_ref()
        .map(|s| format!("the `{s}` subresource"))
        .unwrap_or_else(|| "the object".into());
    let out_ty = method_type(api, m.result_type.as_ref(), crate_path, ty);
    let out_name = m.result.clone().unwrap_or_else(|| k.kind.name.clone());
    let kind_input = m.input_type.is_none() || m.input_type == Some(MethodType::Local(k.kind.type_id));
    let body = if kind_input {
        quote!(::kgen_runtime::client::with_type_meta(obj)?)
    } else {
        quote!(::kgen_runtime::__private::serde_json::to_value(obj).map_err(::kube::Error::SerdeError)?)
    };
    let in_ty = method_type(api, m.input_type.as_ref(), crate_path, ty);
    let client = quote!(::kgen_runtime::client);
    let (doc, tokens) = match m.verb.as_str() {
        "get" => (
            format!("GET of {target}, answering `{out_name}`."),
            quote! {
                pub async fn #name(&self, name: &str) -> #result<#out_ty> {
                    #client::method_get(&self.api, name, #sub).await
                }
            },
        ),
        "list" => (
            format!("LIST of the collection, answering a list of `{out_name}`."),
            quote! {
                pub async fn #name(&self, params: &::kube::api::ListParams) -> #result<::kube::api::ObjectList<#out_ty>> {
                    #client::method_list(&self.api, params).await
                }
            },
        ),
        "create" if m.subresource.is_some() => (
            format!("POST to {target} of the object `name`, answering `{out_name}`."),
            quote! {
                pub async fn #name(&self, name: &str, obj: &#in_ty, params: &::kube::api::PostParams) -> #result<#out_ty> {
                    #client::method_create(&self.api, ::std::option::Option::Some(name), #sub, params, #body).await
                }
            },
        ),
        "create" => (
            format!("POST to the collection, answering `{out_name}`."),
            quote! {
                pub async fn #name(&self, obj: &#in_ty, params: &::kube::api::PostParams) -> #result<#out_ty> {
                    #client::method_create(&self.api, ::std::option::Option::None, #sub, params, #body).await
                }
            },
        ),
        "update" => (
            format!("PUT to {target}, answering `{out_name}`."),
            quote! {
                pub async fn #name(&self, name: &str, obj: &#in_ty, params: &::kube::api::PostParams) -> #result<#out_ty> {
                    #client::method_update(&self.api, name, #sub, params, #body).await
                }
            },
        ),
        "patch" => (
            format!("PATCH of {target}, answering `{out_name}`."),
            quote! {
                pub async fn #name<P: ::serde::Serialize + ::std::fmt::Debug>(
                    &self,
                    name: &str,
                    params: &::kube::api::PatchParams,
                    patch: &::kube::api::Patch<P>,
                ) -> #result<#out_ty> {
                    #client::method_patch(&self.api, name, #sub, params, patch).await
                }
            },
        ),
        _ => {
            // apply: the input is an apply configuration (the kind's unless `input=` names one).
            let in_ty = match (&m.input_type, config) {
                (None, Some(c)) => c.clone(),
                _ => in_ty,
            };
            (
                format!("Server-side apply to {target} as `field_manager`, answering `{out_name}`."),
                quote! {
                    pub async fn #name(&self, name: &str, config: &#in_ty, field_manager: &str, force: bool) -> #result<#out_ty> {
                        let params = #client::apply_params(field_manager, force);
                        #client::method_patch(&self.api, name, #sub, &params, &::kube::api::Patch::Apply(config)).await
                    }
                },
            )
        }
    };
    let doc = format!("`+genclient:method={}`: {doc}", m.name);
    quote! {
        #[doc = #doc]
        #tokens
    }
}

/// `GetScale` → `get_scale`.
pub fn to_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
