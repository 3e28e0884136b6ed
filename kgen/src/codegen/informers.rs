//! Per-kind informers and listers over kgen-runtime's shared informers (client-go shapes:
//! `factory.group_version().klusters().lister().klusters(ns).get(name)`).

use super::KindInfo;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The informer and lister types of one kind, and the `Informers` getter for it.
pub fn kind_informer(k: &KindInfo, ty: &TokenStream) -> (TokenStream, TokenStream) {
    let kind = &k.kind.name;
    let informer = format_ident!("{kind}Informer");
    let lister = format_ident!("{kind}Lister");
    let getter = super::ident_or_placeholder(&super::plural_method(&k.plural));
    let ns_lister = format_ident!("{kind}NamespaceLister");
    let index_result = quote! {
        ::std::result::Result<::std::vec::Vec<::std::sync::Arc<#ty>>, ::kgen_runtime::informer::IndexerError>
    };
    let (scoped, ns_item) = if k.namespaced {
        let doc = format!("{kind} objects in one namespace (served from the namespace index).");
        let ns_doc = format!("Reads the {kind} objects of one namespace from the informer's cache.");
        (
            quote! {
                #[doc = #doc]
                pub fn #getter(&self, namespace: &str) -> #ns_lister {
                    #ns_lister { lister: self.lister.namespace(namespace) }
                }
            },
            quote! {
                #[doc = #ns_doc]
                #[derive(Clone)]
                pub struct #ns_lister {
                    lister: ::kgen_runtime::informer::NamespaceLister<#ty>,
                }
                impl #ns_lister {
                    /// The object with this name in the namespace, from the cache.
                    pub fn get(&self, name: &str) -> ::std::option::Option<::std::sync::Arc<#ty>> {
                        self.lister.get(name)
                    }
                    /// The namespace's objects whose labels match, sorted by name.
                    pub fn list(&self, selector: &::kube::core::Selector) -> ::std::vec::Vec<::std::sync::Arc<#ty>> {
                        self.lister.list(selector)
                    }
                    /// The namespace's objects a custom index files under `value`; an error when
                    /// the informer has no index of that name.
                    pub fn by_index(&self, index: &str, value: &str) -> #index_result {
                        self.lister.by_index(index, value)
                    }
                }
            },
        )
    } else {
        (
            quote! {
                /// The object with this name, from the cache.
                pub fn get(&self, name: &str) -> ::std::option::Option<::std::sync::Arc<#ty>> {
                    self.lister.get(::std::option::Option::None, name)
                }
            },
            TokenStream::new(),
        )
    };
    let informer_doc = format!("The shared informer of {kind}.");
    let lister_doc =
        format!("Reads {kind} objects from the informer's cache. Objects are shared: clone before changing.");
    let item = quote! {
        #[doc = #informer_doc]
        #[derive(Clone)]
        pub struct #informer {
            informer: ::kgen_runtime::informer::SharedInformer<#ty>,
        }
        impl #informer {
            /// The informer: add event handlers, run state, cache.
            pub fn informer(&self) -> &::kgen_runtime::informer::SharedInformer<#ty> {
                &self.informer
            }
            /// A lister over the informer's cache.
            pub fn lister(&self) -> #lister {
                #lister { lister: self.informer.lister() }
            }
            /// Adds event handlers made from closures, whose argument types are inferred:
            /// `informer.add_handlers(|h| h.on_add(|obj| ...).on_delete(|obj| ...))`.
            pub fn add_handlers(
                &self,
                build: impl ::std::ops::FnOnce(::kgen_runtime::informer::Handlers<#ty>) -> ::kgen_runtime::informer::Handlers<#ty>,
            ) -> ::kgen_runtime::informer::HandlerId {
                self.informer.add_handlers(build)
            }
            /// Adds a custom index (client-go's `AddIndexers`), for the listers' `by_index`.
            pub fn add_indexer(
                &self,
                name: &str,
                index: impl ::std::ops::Fn(&#ty) -> ::std::vec::Vec<::std::string::String> + ::std::marker::Send + ::std::marker::Sync + 'static,
            ) -> ::std::result::Result<(), ::kgen_runtime::informer::IndexerError> {
                self.informer.add_indexer(name, index)
            }
        }
        #[doc = #lister_doc]
        #[derive(Clone)]
        pub struct #lister {
            lister: ::kgen_runtime::informer::Lister<#ty>,
        }
        impl #lister {
            /// Every object whose labels match, in all namespaces.
            pub fn list(&self, selector: &::kube::core::Selector) -> ::std::vec::Vec<::std::sync::Arc<#ty>> {
                self.lister.list(selector)
            }
            #scoped
            /// Objects a custom index files under `value` (client-go's `ByIndex`), sorted by
            /// namespace and name; an error when the informer has no index of that name.
            pub fn by_index(&self, index: &str, value: &str) -> #index_result {
                self.lister.by_index(index, value)
            }
            /// The generic lister underneath (custom indexes, namespace listers).
            pub fn inner(&self) -> &::kgen_runtime::informer::Lister<#ty> {
                &self.lister
            }
        }
        #ns_item
    };
    let getter_doc = format!("The shared informer of {kind}.");
    let getter_tokens = quote! {
        #[doc = #getter_doc]
        pub fn #getter(&self) -> #informer {
            #informer { informer: self.factory.informer::<#ty>() }
        }
    };
    (item, getter_tokens)
}
