//! Compile-time checks for kgen's markers.
//!
//! `#[derive(Markers)]` makes `#[kgen(...)]` legal on a struct or enum and on its fields, and
//! checks every marker on them while the crate compiles: the attribute spelling
//! (`#[kgen(minimum = 1)]`) and the doc-comment spelling (`/// +kubebuilder:validation:Minimum=1`)
//! alike. A misspelled marker, an unknown or missing argument, a value of the wrong type, a marker
//! on the wrong kind of item or a marker given twice is a compile error on the offending tokens,
//! so mistakes show up in the editor instead of at `kgen generate` time.
//! `#[kgen(webhook(...))]` and `#[kgen(webhook_configuration(...))]` are also checked as `kgen webhook`
//! checks them (the API server's rules for admission webhooks: a bad `failure_policy`, a
//! `reinvocation_policy` on a validating webhook, a `url` that is not `https`, ...).
//!
//! The derive reads the markers with the same code as the `kgen` command (`kgen_build::markers`), so
//! both accept exactly the same markers. It expands to nothing: it costs nothing at run time.
//!
//! ```
//! use kgen_macros::Markers;
//!
//! /// A Kluster is a managed Kubernetes cluster.
//! ///
//! /// +kubebuilder:resource:shortName=kl,scope=Namespaced
//! /// +kubebuilder:subresource:status
//! #[derive(Markers)]
//! #[kgen(printcolumn(name = "Region", type = "string", json_path = ".spec.region"))]
//! #[kgen(printcolumn(name = "Age", type = "date", json_path = ".metadata.creationTimestamp"))]
//! pub struct Kluster {
//!     /// The desired cluster.
//!     pub spec: KlusterSpec,
//! }
//!
//! #[derive(Markers)]
//! pub struct KlusterSpec {
//!     /// DigitalOcean region slug, such as `nyc1`.
//!     #[kgen(min_length = 1, pattern = "^[a-z]{3}[0-9]$", immutable)]
//!     pub region: String,
//!     /// Number of nodes.
//!     ///
//!     /// +kubebuilder:validation:Minimum=1
//!     /// +kubebuilder:default=3
//!     pub count: i32,
//!     /// Tags put on every droplet.
//!     #[kgen(max_items = 16, items(max_length = 63), list_type = "set")]
//!     pub tags: Vec<String>,
//! }
//! ```
//!
//! A mistake is a compile error:
//!
//! ```compile_fail
//! use kgen_macros::Markers;
//!
//! #[derive(Markers)]
//! pub struct Spec {
//!     #[kgen(max_lenght = 10)] // error: unknown kgen marker `max_lenght`; did you mean `max_length`?
//!     pub name: String,
//! }
//! ```
//!
//! Run `kgen markers` for the list of markers, their arguments and where they may be written.

use kgen_build::diag::Diagnostics;
use kgen_build::markers::anywhere::FoundMarker;
use kgen_build::markers::attr::{is_kgen_attr, parse_kgen_attr};
use kgen_build::markers::collect::{check_placement, doc_text, is_marker_line};
use kgen_build::markers::defs::Id;
use kgen_build::markers::{DocLine, Marker, Spelling, Target, parse_doc_marker};
use kgen_build::webhook;
use proc_macro::TokenStream;
use proc_macro2::{Delimiter, Group, TokenStream as TokenStream2, TokenTree};
use quote::ToTokens;
use std::path::PathBuf;
use std::sync::Arc;
use syn::{Attribute, Data, DeriveInput, Fields, Meta, MetaList};

/// Checks the `#[kgen(...)]` attributes and `/// +marker` doc comments of a struct or enum, its
/// fields and the fields of its variants. Expands to nothing.
///
/// See the [crate documentation](crate) for an example.
#[proc_macro_derive(Markers, attributes(kgen))]
pub fn derive_markers(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    check(&input).into()
}

/// Checks every marker of `input`; the result is one `compile_error!` per problem, or nothing.
fn check(input: &DeriveInput) -> TokenStream2 {
    let mut checker = Checker {
        file: Arc::new(PathBuf::from(format!("<derive(Markers) for {}>", input.ident))),
        errors: Vec::new(),
    };
    checker.item(&input.attrs, Site::Type);
    match &input.data {
        Data::Struct(s) => checker.fields(&s.fields),
        Data::Enum(e) => {
            for v in &e.variants {
                checker.item(&v.attrs, Site::Variant);
                checker.fields(&v.fields);
            }
        }
        Data::Union(u) => checker.errors.push(syn::Error::new_spanned(
            u.union_token,
            "kgen markers describe structs and enums; a union has no CRD schema",
        )),
    }
    checker.errors.iter().map(syn::Error::to_compile_error).collect()
}

/// What kind of item a list of attributes belongs to.
#[derive(Clone, Copy)]
enum Site {
    /// The struct or enum itself.
    Type,
    /// A field of the struct or of an enum variant.
    Field,
    /// An enum variant (markers belong on the enum or on the variant's fields).
    Variant,
}

struct Checker {
    /// Recorded in marker locations; never shown (errors carry spans instead).
    file: Arc<PathBuf>,
    errors: Vec<syn::Error>,
}

impl Checker {
    fn fields(&mut self, fields: &Fields) {
        for f in fields {
            if f.ident.is_none() {
                // A tuple field has no JSON name: kgen does not apply markers there.
                for (m, tokens) in self.markers(&f.attrs) {
                    self.error(
                        &tokens,
                        format!(
                            "{} on a tuple field is not applied; write it on the newtype itself (or on the field that uses it)",
                            m.display_name()
                        ),
                    );
                }
                continue;
            }
            self.item(&f.attrs, Site::Field);
        }
    }

    /// Parses the markers in `attrs` and checks they may be written on `site`, each at most once
    /// unless repeatable.
    fn item(&mut self, attrs: &[Attribute], site: Site) {
        let markers = self.markers(attrs);
        self.webhooks(&markers);
        match site {
            Site::Type => self.placement(&markers, Target::Type),
            Site::Field => self.placement(&markers, Target::Field),
            Site::Variant => {
                for (m, tokens) in &markers {
                    self.error(
                        tokens,
                        format!(
                            "{} cannot be written on an enum variant; write it on the enum or on a field of the variant",
                            m.display_name()
                        ),
                    );
                }
            }
        }
    }

    /// Every well-formed marker in `attrs` with the tokens that wrote it; malformed ones become errors.
    fn markers(&mut self, attrs: &[Attribute]) -> Vec<(Marker, TokenStream2)> {
        let mut out = Vec::new();
        for attr in attrs {
            if is_kgen_attr(attr) {
                for (piece, tokens) in kgen_pieces(attr) {
                    let (markers, errors) = parse_kgen_attr(&piece, &self.file);
                    for e in errors {
                        self.errors.push(syn::Error::new(e.span, with_help(e.message, e.help)));
                    }
                    out.extend(markers.into_iter().map(|m| (m, tokens.clone())));
                }
            } else if let Some(text) = doc_text(attr) {
                let location = kgen_build::diag::span_location(&self.file, attr.pound_token.span);
                for line in text.split('\n') {
                    let trimmed = line.trim_start();
                    if !is_marker_line(trimmed) {
                        continue;
                    }
                    match parse_doc_marker(trimmed, &location) {
                        DocLine::Marker(m) => out.push((m, attr.to_token_stream())),
                        DocLine::Invalid(d) => self.error(attr, with_help(d.message, d.help)),
                        DocLine::Foreign(_) => {}
                    }
                }
            }
        }
        out
    }

    /// Checks `webhook(...)` and `webhook_configuration(...)` markers as `kgen webhook` does (the
    /// API server's rules for admissionregistration.k8s.io/v1), at each marker's tokens.
    fn webhooks(&mut self, markers: &[(Marker, TokenStream2)]) {
        for (m, tokens) in markers {
            let mut diags = Diagnostics::new();
            let found = FoundMarker {
                marker: m.clone(),
                text: match (m.spelling, m.def.attr) {
                    (Spelling::Attr, Some(attr)) => format!("#[kgen({attr}(...))]"),
                    _ => m.display_name(),
                },
            };
            match m.id() {
                Id::Webhook => {
                    webhook::Webhook::from_marker(&found, &mut diags);
                }
                Id::WebhookConfiguration => {
                    webhook::rules::ConfigurationName::from_marker(&found, &mut diags);
                }
                _ => continue,
            }
            for d in diags.into_sorted().into_iter().filter(|d| d.is_error()) {
                self.error(tokens, with_help(d.message, d.help));
            }
        }
    }

    /// Reports markers that may not be written on `target` and non-repeatable markers given twice,
    /// with kgen's own checks and wording, at each marker's tokens.
    fn placement(&mut self, markers: &[(Marker, TokenStream2)], target: Target) {
        let plain: Vec<Marker> = markers.iter().map(|(m, _)| m.clone()).collect();
        for ((i, d), _) in check_placement(&plain, target) {
            self.error(&markers[i].1, with_help(d.message, d.help));
        }
    }

    fn error(&mut self, tokens: impl ToTokens, message: String) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }
}

/// A message with its help text folded in (a `compile_error!` has no separate help line).
fn with_help(message: String, help: Option<String>) -> String {
    match help {
        Some(help) => format!("{message}; {help}"),
        None => message,
    }
}

/// Splits `#[kgen(a = 1, b(..), items(c = 2, d))]` into one attribute per marker
/// (`#[kgen(a = 1)]`, `#[kgen(b(..))]`, `#[kgen(items(c = 2))]`, `#[kgen(items(d))]`), each with the
/// tokens that wrote it, so a problem found after parsing (wrong target, given twice) can point at
/// the one marker (inside `items(...)`, the inner marker). The tokens keep their spans; only the
/// commas between markers are dropped.
/// An attribute that is not a well-formed list is returned whole, for the parser to report.
fn kgen_pieces(attr: &Attribute) -> Vec<(Attribute, TokenStream2)> {
    let whole = || vec![(attr.clone(), attr.to_token_stream())];
    let Meta::List(list) = &attr.meta else {
        return whole();
    };
    let Some(pieces) = split_commas(list.tokens.clone()) else {
        return whole();
    };
    // (the marker's tokens inside `#[kgen(...)]`, the tokens an error about it points at)
    let mut out: Vec<(TokenStream2, TokenStream2)> = Vec::new();
    for piece in pieces {
        let piece: TokenStream2 = piece.into_iter().collect();
        let mut trees = piece.clone().into_iter();
        if let (Some(TokenTree::Ident(items)), Some(TokenTree::Group(g)), None) =
            (trees.next(), trees.next(), trees.next())
            && items == "items"
            && g.delimiter() == Delimiter::Parenthesis
            && let Some(inner) = split_commas(g.stream()).filter(|inner| !inner.is_empty())
        {
            for one in inner {
                let one: TokenStream2 = one.into_iter().collect();
                let mut group = Group::new(Delimiter::Parenthesis, one.clone());
                group.set_span(g.span());
                out.push((quote::quote!(#items #group), one));
            }
        } else {
            out.push((piece.clone(), piece));
        }
    }
    out.into_iter()
        .map(|(tokens, at)| {
            let delimiter = list.delimiter.clone();
            let meta = Meta::List(MetaList {
                path: list.path.clone(),
                delimiter,
                tokens,
            });
            (Attribute { meta, ..attr.clone() }, at)
        })
        .collect()
}

/// The comma-separated parts of `tokens` (a trailing comma allowed); `None` if a part is empty,
/// which is a syntax error best reported by parsing the attribute whole.
fn split_commas(tokens: TokenStream2) -> Option<Vec<Vec<TokenTree>>> {
    let mut parts = vec![Vec::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if parts.last().is_some_and(Vec::is_empty) {
                    return None;
                }
                parts.push(Vec::new());
            }
            _ => parts.last_mut().expect("never empty").push(tt),
        }
    }
    if parts.last().is_some_and(Vec::is_empty) {
        parts.pop();
    }
    Some(parts)
}
