//! Generating Rust: Resource impls, the typed clientset, listers, informers and a fake API server
//! pre-loaded with the CRDs, all from the model. Emitters never read source.

pub mod apply;
pub mod client;
pub mod conversion;
pub mod informers;
pub mod resource;

use crate::crd::Crd;
use crate::diag::Diagnostics;
use crate::model::client::ClientSpec;
use crate::model::{Api, Kind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;

/// The default header of generated Rust, from `templates/rust-header.txt`.
pub const DEFAULT_HEADER: &str = include_str!("../../templates/rust-header.txt");

/// What the emitters need to know about one kind.
pub struct KindInfo<'a> {
    /// The kind.
    pub kind: &'a Kind,
    /// API group.
    pub group: String,
    /// Version.
    pub version: String,
    /// Resource plural.
    pub plural: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// The CRD object this kind's version belongs to.
    pub crd: &'a serde_json::Value,
    /// The generated constant holding the CRD's JSON, shared by every version of the kind.
    pub crd_const: String,
}

/// Options for [`generate`].
#[derive(Clone, Debug)]
pub struct CodegenOptions {
    /// The Rust path of the input root's parent (default `crate`): a type in module `api::v1` is
    /// referred to as `crate::api::v1::Type`.
    pub crate_path: String,
    /// Header put at the top (default: [`DEFAULT_HEADER`]).
    pub header: Option<String>,
    /// Format the code with prettyplease (default). Off, the code is one token stream per line
    /// of items: a little faster to write, unpleasant to read.
    pub format: bool,
}

impl Default for CodegenOptions {
    fn default() -> Self {
        CodegenOptions {
            crate_path: "crate".into(),
            header: None,
            format: true,
        }
    }
}

/// Rust's keywords (strict, reserved and edition 2024's `gen`): generated code spells them as raw
/// identifiers (`r#type`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// `name` as an identifier in generated code: itself, or a raw identifier (`r#type`) for a
/// keyword; `None` when no identifier can spell it (`self`, `Self`, `super`, `crate`, `_`, or
/// text that is not an identifier, such as `9lives`).
pub fn ident(name: &str) -> Option<proc_macro2::Ident> {
    if matches!(name, "self" | "Self" | "super" | "crate" | "_") {
        return None;
    }
    let mut tokens = name.parse::<TokenStream>().ok()?.into_iter();
    let (Some(proc_macro2::TokenTree::Ident(id)), None) = (tokens.next(), tokens.next()) else {
        return None;
    };
    if id != name {
        return None; // a raw identifier written by the caller, or something the lexer changed
    }
    let span = proc_macro2::Span::call_site();
    Some(if KEYWORDS.contains(&name) {
        proc_macro2::Ident::new_raw(name, span)
    } else {
        proc_macro2::Ident::new(name, span)
    })
}

/// [`ident`], or a stand-in for a name that was already reported as an error (generation goes on
/// so that every problem is reported; the run fails anyway).
pub(crate) fn ident_or_placeholder(name: &str) -> proc_macro2::Ident {
    ident(name).unwrap_or_else(|| format_ident!("__kgen_invalid_name"))
}

/// The method name of a resource's plural in the clientset and informers (`node-pools` → `node_pools`).
pub(crate) fn plural_method(plural: &str) -> String {
    plural.replace(['-', '.'], "_")
}

/// The constant name of a CRD's embedded JSON: its position among the CRDs (names are unique).
fn crd_const(crds: &[Crd], crd: &Crd) -> String {
    let i = crds.iter().position(|c| std::ptr::eq(c, crd)).unwrap_or(0);
    format!("KGEN_CRD_{i}")
}

/// Checks a crate path option: a Rust module path (`crate`, `crate::a`, `::my_crate`, `super`),
/// without generics, that a type path can start with.
pub fn check_crate_path(path: &str) -> Result<(), String> {
    let parsed: syn::Path = syn::parse_str(path)
        .map_err(|_| format!("the crate path `{path}` (--crate-path, Builder::crate_path) is not a Rust path"))?;
    if parsed.segments.iter().any(|s| !s.arguments.is_none()) {
        return Err(format!(
            "the crate path `{path}` (--crate-path, Builder::crate_path) has generic arguments; give a module path"
        ));
    }
    for (i, seg) in parsed.segments.iter().enumerate() {
        let id = seg.ident.to_string();
        if matches!(id.as_str(), "crate" | "self" | "Self") && (i > 0 || parsed.leading_colon.is_some()) {
            return Err(format!(
                "the crate path `{path}` (--crate-path, Builder::crate_path): `{id}` can only start a path"
            ));
        }
    }
    Ok(())
}

/// `crate` + `["api", "v1", "Kluster"]` → `crate::api::v1::Kluster`.
pub fn rust_path(crate_path: &str, segments: &[String]) -> TokenStream {
    let mut text = crate_path.to_string();
    for s in segments {
        text.push_str("::");
        text.push_str(s);
    }
    syn::parse_str::<syn::Path>(&text)
        .map(|p| quote!(#p))
        .unwrap_or_else(|_| quote!(crate))
}

/// Generates the Rust source for `api`, formatted, with the header.
pub fn generate(
    api: &Api,
    crds: &[Crd],
    clients: &[ClientSpec],
    opts: &CodegenOptions,
    diags: &mut Diagnostics,
) -> String {
    if let Err(message) = check_crate_path(&opts.crate_path) {
        diags.push(
            crate::diag::Diagnostic::error(None, message)
                .with_help("give the Rust path of the module that contains the input's root module, e.g. `crate`, `crate::model` or `::my_api`"),
        );
        return String::new();
    }
    // Which CRD (and so plural and scope) each kind belongs to.
    let infos: Vec<KindInfo> = api
        .kinds
        .iter()
        .filter_map(|kind| {
            let gv = api.gv(kind.gv);
            let crd = crds.iter().find(|c| c.group == gv.group && c.kind == kind.name)?;
            let served = crd.value["spec"]["versions"]
                .as_array()?
                .iter()
                .any(|v| v["name"] == gv.version.as_str());
            if !served {
                return None; // a skipped version has no CRD version to talk to
            }
            Some(KindInfo {
                kind,
                group: gv.group.clone(),
                version: gv.version.clone(),
                plural: crd.plural.clone(),
                namespaced: crd.value["spec"]["scope"] == "Namespaced",
                crd: &crd.value,
                crd_const: crd_const(crds, crd),
            })
        })
        .collect();

    let applies = apply::ApplyTypes::new(api, &infos, &opts.crate_path);
    // The output: formatted text (the apply configurations, the CRDs' JSON) between runs of
    // token-generated items, which are formatted with prettyplease at the end.
    let mut out = header_text(opts);
    let mut segments = Segments {
        out: &mut out,
        format: opts.format,
    };
    applies.module(segments.out);
    let mut items = TokenStream::new();
    // Each CRD's JSON once, however many version types of the kind refer to it.
    let mut embedded = std::collections::BTreeSet::new();
    for k in &infos {
        if embedded.insert(k.crd_const.clone()) {
            let json = serde_json::to_string(k.crd).unwrap_or_default();
            // As prettyplease prints `#[doc = ...] const NAME: &str = "...";`, without
            // parsing megabytes of string literals back.
            let text = format!(
                "///The JSON of CRD {}.{} (kgen).\nconst {}: &str = {};\n",
                k.plural,
                k.group,
                k.crd_const,
                proc_macro2::Literal::string(&json)
            );
            if !segments.tokens(std::mem::take(&mut items)) {
                return generation_failed(api, &infos, diags);
            }
            segments.out.push_str(&text);
        }
        items.extend(resource::resource_items(api, k, &opts.crate_path, diags));
    }
    let conversions = conversion::conversions(api, &infos, &opts.crate_path, diags);
    items.extend(conversions.items);

    // Group clients by group-version module.
    let mut by_gv: BTreeMap<String, Vec<(&KindInfo, &ClientSpec)>> = BTreeMap::new();
    // Module names already checked.
    let mut modules_seen = std::collections::BTreeSet::new();
    // Module names come from the group's first DNS label: two groups must not share one.
    let mut module_groups: BTreeMap<String, String> = BTreeMap::new();
    for spec in clients {
        let kind = &api.kinds[spec.kind];
        if let Some(k) = infos.iter().find(|k| std::ptr::eq(k.kind, kind)) {
            let module = gv_module_name(&k.group, &k.version, api, kind);
            match module_groups.get(&module) {
                Some(other) if other != &k.group => {
                    let gv = api.gv(kind.gv);
                    diags.push(
                        crate::diag::Diagnostic::error(
                            gv.location.clone(),
                            format!(
                                "groups {other} and {} both get the generated module `{module}` (modules are named after the group's first label)",
                                k.group
                            ),
                        )
                        .with_help("give one of them another name with +groupGoName=<Name> in its module doc comment"),
                    );
                    continue;
                }
                Some(_) => {}
                None => {
                    module_groups.insert(module.clone(), k.group.clone());
                }
            }
            check_names(api, k, &module, &mut modules_seen, diags);
            check_resource_name(api, k, diags);
            by_gv.entry(module).or_default().push((k, spec));
        }
    }
    let mut accessors = Vec::new();
    let mut informer_accessors = Vec::new();
    for (module, kinds) in &by_gv {
        let mod_ident = ident_or_placeholder(module);
        let mut resource_clients = Vec::new();
        let mut getters = Vec::new();
        let mut informer_items = Vec::new();
        let mut informer_getters = Vec::new();
        for (k, spec) in kinds {
            let def = api.ty(k.kind.type_id);
            let missing: Vec<&str> = ["Clone", "Debug", "Deserialize"]
                .into_iter()
                .filter(|t| !def.derives.iter().any(|d| d == t))
                .collect();
            if !missing.is_empty() {
                diags.push(
                    crate::diag::Diagnostic::warning(
                        def.location.clone(),
                        format!("{} has +genclient but does not derive {}", def.name, missing.join(", ")),
                    )
                    .with_help("kube::Api needs Clone + Debug + Deserialize; derive them (or implement them by hand)"),
                );
            }
            resource_clients.push(client::resource_client(api, k, spec, &opts.crate_path, &applies));
            let ty = rust_path(&opts.crate_path, &api.ty(k.kind.type_id).rust_path);
            let client = format_ident!("{}Client", k.kind.name);
            let getter = ident_or_placeholder(&plural_method(&k.plural));
            let getter_all = ident_or_placeholder(&format!("{}_all", plural_method(&k.plural)));
            if k.namespaced {
                let doc = format!("{} in one namespace.", k.kind.name);
                let doc_all = format!("{} in all namespaces (for list and watch).", k.kind.name);
                getters.push(quote! {
                    #[doc = #doc]
                    pub fn #getter(&self, namespace: &str) -> #client {
                        #client::new(::kube::Api::namespaced(self.client.clone(), namespace))
                    }
                    #[doc = #doc_all]
                    pub fn #getter_all(&self) -> #client {
                        #client::new(::kube::Api::all(self.client.clone()))
                    }
                });
            } else {
                let doc = format!("{} (cluster-scoped).", k.kind.name);
                getters.push(quote! {
                    #[doc = #doc]
                    pub fn #getter(&self) -> #client {
                        #client::new(::kube::Api::all(self.client.clone()))
                    }
                });
            }
            if spec.has("list") && spec.has("watch") && !spec.verbs.is_empty() {
                let (item, getter_tokens) = informers::kind_informer(k, &ty);
                informer_items.push(item);
                informer_getters.push(getter_tokens);
            }
        }
        let doc = format!(
            "Clients, listers and informers for {}/{}.",
            kinds[0].0.group, kinds[0].0.version
        );
        items.extend(quote! {
            #[doc = #doc]
            pub mod #mod_ident {
                /// Typed clients of this group-version.
                #[derive(Clone)]
                pub struct Client {
                    client: ::kube::Client,
                }
                impl Client {
                    /// A group-version client over a `kube::Client`.
                    pub fn new(client: ::kube::Client) -> Self {
                        Self { client }
                    }
                    #(#getters)*
                }
                #(#resource_clients)*
                /// Informers of this group-version, sharing the factory's watches.
                #[derive(Clone)]
                pub struct Informers {
                    factory: ::kgen_runtime::informer::SharedInformerFactory,
                }
                impl Informers {
                    /// Informers over a shared factory.
                    pub fn new(factory: ::kgen_runtime::informer::SharedInformerFactory) -> Self {
                        Self { factory }
                    }
                    #(#informer_getters)*
                }
                #(#informer_items)*
            }
        });
        let acc = ident_or_placeholder(module);
        let acc_doc = format!("The {module} group-version.");
        accessors.push(quote! {
            #[doc = #acc_doc]
            pub fn #acc(&self) -> #mod_ident::Client {
                #mod_ident::Client::new(self.client.clone())
            }
        });
        informer_accessors.push(quote! {
            #[doc = #acc_doc]
            pub fn #acc(&self) -> #mod_ident::Informers {
                #mod_ident::Informers::new(self.factory.clone())
            }
        });
    }
    if !by_gv.is_empty() {
        items.extend(quote! {
            /// Typed clients for every group-version with `+genclient` kinds.
            #[derive(Clone)]
            pub struct Clientset {
                client: ::kube::Client,
            }
            impl Clientset {
                /// A clientset over a `kube::Client`.
                pub fn new(client: ::kube::Client) -> Self {
                    Self { client }
                }
                /// The underlying `kube::Client`.
                pub fn client(&self) -> &::kube::Client {
                    &self.client
                }
                #(#accessors)*
            }
            /// A shared informer factory: one watch per kind serves every handler and lister.
            #[derive(Clone)]
            pub struct SharedInformerFactory {
                factory: ::kgen_runtime::informer::SharedInformerFactory,
            }
            impl SharedInformerFactory {
                /// A factory over a `kube::Client`, re-delivering every object each `resync` period.
                pub fn new(client: ::kube::Client, resync: ::std::option::Option<::std::time::Duration>) -> Self {
                    Self { factory: ::kgen_runtime::informer::SharedInformerFactory::new(client, resync) }
                }
                /// Watch namespaced kinds in this namespace only (client-go's `WithNamespace`).
                pub fn namespace(self, namespace: impl ::std::convert::Into<::std::string::String>) -> Self {
                    Self { factory: self.factory.namespace(namespace) }
                }
                /// Watch only objects matching this label selector, e.g. `"app=web"`.
                pub fn labels(self, selector: impl ::std::convert::Into<::std::string::String>) -> Self {
                    Self { factory: self.factory.labels(selector) }
                }
                /// Watch only objects matching this field selector, e.g. `"metadata.name=demo"`.
                pub fn fields(self, selector: impl ::std::convert::Into<::std::string::String>) -> Self {
                    Self { factory: self.factory.fields(selector) }
                }
                /// Change every informer's watcher configuration (client-go's `WithTweakListOptions`).
                pub fn tweak(
                    self,
                    tweak: impl ::std::ops::Fn(::kgen_runtime::informer::WatcherConfig) -> ::kgen_runtime::informer::WatcherConfig
                        + ::std::marker::Send
                        + ::std::marker::Sync
                        + 'static,
                ) -> Self {
                    Self { factory: self.factory.tweak(tweak) }
                }
                /// A resync period for kind `K` instead of the default (client-go's `WithCustomResyncConfig`).
                pub fn resync_for<K: 'static>(self, resync: ::std::option::Option<::std::time::Duration>) -> Self {
                    Self { factory: self.factory.resync_for::<K>(resync) }
                }
                /// A factory over a runtime factory configured by hand.
                pub fn from_runtime(factory: ::kgen_runtime::informer::SharedInformerFactory) -> Self {
                    Self { factory }
                }
                /// The runtime factory, for `start`, `wait_for_cache_sync` and `shutdown`.
                pub fn runtime(&self) -> &::kgen_runtime::informer::SharedInformerFactory {
                    &self.factory
                }
                /// Starts every informer asked for so far.
                pub fn start(&self) {
                    self.factory.start();
                }
                /// Waits until every started informer has listed once; false if one stopped first.
                pub async fn wait_for_cache_sync(&self) -> bool {
                    self.factory.wait_for_cache_sync().await
                }
                /// Stops every informer and waits for them.
                pub async fn shutdown(&self) {
                    self.factory.shutdown().await;
                }
                #(#informer_accessors)*
            }
        });
    }
    // Every kind's CRD (one per CRD name: the kinds of several versions share one), whether or not
    // it has a typed client, so the fake knows all of them.
    let mut all_crds: BTreeMap<String, TokenStream> = BTreeMap::new();
    for k in &infos {
        let ty = rust_path(&opts.crate_path, &api.ty(k.kind.type_id).rust_path);
        all_crds.entry(format!("{}.{}", k.plural, k.group)).or_insert(ty);
    }
    let converters = &conversions.converters;
    if !converters.is_empty() {
        items.extend(quote! {
            /// The conversion of every kind whose CRD converts through a webhook, one per kind, for
            /// `kgen_webhook` (or any server of `ConversionReview`s) and the fake API server (kgen).
            pub fn conversions() -> ::std::vec::Vec<::std::sync::Arc<dyn ::kgen_runtime::conversion::Converter>> {
                ::std::vec![ #( ::std::sync::Arc::new(#converters) as ::std::sync::Arc<dyn ::kgen_runtime::conversion::Converter> ),* ]
            }
        });
    }
    let fake_body = if converters.is_empty() {
        quote!(S::from_crds(crds()))
    } else {
        quote!(S::from_crds_with_converters(crds(), conversions()))
    };
    if !all_crds.is_empty() {
        let crd_types = all_crds.values();
        items.extend(quote! {
            /// Every CustomResourceDefinition of this API, one per CRD name, sorted by name (kgen).
            pub fn crds() -> ::std::vec::Vec<::k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> {
                ::std::vec::Vec::from([ #( #crd_types::crd() ),* ])
            }
            /// An in-memory API server with this API's CRDs installed, for tests (kgen).
            ///
            /// Add the `kgen-fake` crate (a dev-dependency is enough) and name the server type:
            /// `let server: kgen_fake::FakeApiServer = fake_api_server();`. Code that never calls
            /// this compiles without `kgen-fake`.
            pub fn fake_api_server<S: ::kgen_runtime::FromCrds>() -> S {
                #fake_body
            }
        });
    }

    if !segments.tokens(items) {
        return generation_failed(api, &infos, diags);
    }
    out
}

/// The header of generated Rust, each line a comment.
fn header_text(opts: &CodegenOptions) -> String {
    let header = opts.header.as_deref().unwrap_or(DEFAULT_HEADER);
    let mut out = String::new();
    for line in header.lines() {
        if line.starts_with("//") || line.is_empty() {
            out.push_str(line);
        } else {
            out.push_str("// ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Every name that reaches the code is checked before it is generated; should one slip through
/// and the code not parse, the run fails with a message rather than a panic.
fn generation_failed(api: &Api, infos: &[KindInfo], diags: &mut Diagnostics) -> String {
    diags.push(
        crate::diag::Diagnostic::error(
            infos.first().map(|k| api.ty(k.kind.type_id).location.clone()),
            "kgen could not generate Rust for this API: the generated code does not parse",
        )
        .with_help("please report this with the API types that cause it"),
    );
    String::new()
}

/// The generated file as it is written: formatted text (the apply configurations, the CRDs' JSON)
/// goes in as it is, runs of token-generated items are formatted with prettyplease first.
struct Segments<'a> {
    out: &'a mut String,
    format: bool,
}

impl Segments<'_> {
    /// Formats `tokens` (whole items) onto the output; false if they do not parse.
    fn tokens(&mut self, tokens: TokenStream) -> bool {
        if tokens.is_empty() {
            return true;
        }
        let Ok(file) = syn::parse2::<syn::File>(tokens) else {
            return false;
        };
        if self.format {
            self.out.push_str(&prettyplease::unparse(&file));
        } else {
            for item in &file.items {
                self.out.push_str(&quote::ToTokens::to_token_stream(item).to_string());
                self.out.push('\n');
            }
        }
        true
    }
}

/// `+resourceName` (code-generator's name for the client's resource) must be the CRD's plural:
/// the typed client talks to the resource the CRD serves, and any other name would be a 404.
fn check_resource_name(api: &Api, k: &KindInfo, diags: &mut Diagnostics) {
    let def = api.ty(k.kind.type_id);
    let Some(m) = def.marker(crate::markers::defs::Id::ResourceName) else {
        return;
    };
    let wanted = m.str("").unwrap_or_default();
    if wanted != k.plural {
        diags.push(
            m.error(format!(
                "+resourceName={wanted} differs from the CRD's plural `{}`: the client would call a resource the API server does not serve",
                k.plural
            ))
            .with_help(format!(
                "name the CRD's plural with +kubebuilder:resource:path={wanted}, or drop +resourceName"
            )),
        );
    }
}

/// Reports names of the clientset that Rust cannot spell: the group-version's module (from the
/// group or `+groupGoName`, once per module) and the resource's plural as a method.
fn check_names(
    api: &Api,
    k: &KindInfo,
    module: &str,
    modules_seen: &mut std::collections::BTreeSet<String>,
    diags: &mut Diagnostics,
) {
    use crate::diag::Diagnostic;
    use crate::markers::defs::Id;
    let gv = api.gv(k.kind.gv);
    let go_name = gv.markers.iter().find(|m| m.id() == Id::GroupGoName);
    let from = match go_name {
        Some(m) => format!("{} `{}`", m.display_name(), m.str("").unwrap_or_default()),
        None => format!("group `{}`", gv.group),
    };
    let at = go_name
        .map(|m| m.location.clone())
        .unwrap_or_else(|| gv.location.clone());
    if modules_seen.insert(module.to_string()) && ident(module).is_none() {
        diags.push(
            Diagnostic::error(
                at,
                format!("{from} gives the client module name `{module}`, which is not a Rust identifier"),
            )
            .with_help("set a name that starts with a letter: //! +groupGoName=<Name>"),
        );
    }
    let method = plural_method(&k.plural);
    if ident(&method).is_none() {
        let def = api.ty(k.kind.type_id);
        let at = def
            .marker(Id::Resource)
            .map(|m| m.location.clone())
            .unwrap_or_else(|| def.location.clone());
        diags.push(
            Diagnostic::error(
                at,
                format!(
                    "the resource name `{}` of {} gives the client method `{method}`, which Rust cannot name",
                    k.plural, k.kind.name
                ),
            )
            .with_help("choose another plural: +kubebuilder:resource:path=<plural>"),
        );
    }
}

/// `kgen.dev` + `v1alpha1` → `kgen_v1alpha1` (or `+groupGoName` + version).
fn gv_module_name(group: &str, version: &str, api: &Api, kind: &Kind) -> String {
    let go_name = api
        .gv(kind.gv)
        .markers
        .iter()
        .find(|m| m.id() == crate::markers::defs::Id::GroupGoName)
        .and_then(|m| m.str(""));
    let base = go_name
        .map(String::from)
        .unwrap_or_else(|| group.split('.').next().unwrap_or("core").to_string());
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{base}_{version}")
}
