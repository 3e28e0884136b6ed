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
    let scoped = if k.namespaced {
        let doc = format!("{kind} objects in one namespace (served from the namespace index).");
        quote! {
            #[doc = #doc]
            pub fn #getter(&self, namespace: &str) -> ::kgen_runtime::informer::NamespaceLister<#ty> {
                self.lister.namespace(namespace)
            }
        }
    } else {
        quote! {
            /// The object with this name, from the cache.
            pub fn get(&self, name: &str) -> ::std::option::Option<::std::sync::Arc<#ty>> {
                self.lister.get(::std::option::Option::None, name)
            }
        }
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
            /// The generic lister underneath (custom indexes, namespace listers).
            pub fn inner(&self) -> &::kgen_runtime::informer::Lister<#ty> {
                &self.lister
            }
        }
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
