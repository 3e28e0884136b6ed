//! Finding `+kubebuilder:rbac` markers anywhere in the source.
//!
//! Unlike type and field markers, RBAC rules describe the program, not an API type, so they may be
//! written on anything that takes a doc comment: a module (`//!`), a struct, a function, an `impl`
//! block, a `const`, a statement. (controller-gen only reads package-level comments and silently
//! drops markers in a function's doc comment, its most-reported RBAC pitfall.)
//!
//! Only RBAC markers are looked at here; every other marker is the business of `kgen crd`. Lines
//! are parsed by the shared marker engine ([`parse_doc_marker`], [`parse_kgen_attr`]), so the
//! grammar, the argument checks and the messages are the same as everywhere else.

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::attr::{is_kgen_attr, parse_kgen_attr};
use crate::markers::collect::{doc_text, is_marker_line};
use crate::markers::defs::Id;
use crate::markers::{DocLine, Marker, Spelling, parse_doc_marker};
use crate::source::SourceFile;
use proc_macro2::{TokenStream, TokenTree};
use std::path::PathBuf;
use std::sync::Arc;
use syn::visit::Visit;

/// The doc-comment name of the RBAC marker.
pub const MARKER_NAME: &str = "kubebuilder:rbac";
/// The attribute name of the RBAC marker (`#[kgen(rbac(...))]`).
pub const ATTR_NAME: &str = "rbac";

/// One RBAC marker and the text it was written as (for messages).
#[derive(Clone, Debug)]
pub struct FoundMarker {
    /// The parsed marker.
    pub marker: Marker,
    /// The source text: `+kubebuilder:rbac:groups=...` or `rbac(groups = [...], ...)`.
    pub text: String,
}

/// Every RBAC marker in `files`, in file order then source order. Malformed RBAC markers (and
/// misspellings of the marker's name, such as `+kubebuilder:rbca`) are reported into `diags`.
pub fn scan(files: &[SourceFile], diags: &mut Diagnostics) -> Vec<FoundMarker> {
    let mut found = Vec::new();
    for f in files {
        let mut v = Visitor {
            file: &f.path,
            found: &mut found,
            diags,
        };
        v.visit_file(&f.ast);
    }
    found.sort_by(|a, b| a.marker.location.cmp(&b.marker.location));
    found
}

struct Visitor<'a> {
    file: &'a Arc<PathBuf>,
    found: &'a mut Vec<FoundMarker>,
    diags: &'a mut Diagnostics,
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if is_kgen_attr(attr) {
            self.kgen_attr(attr);
        } else if let Some(text) = doc_text(attr) {
            self.doc(attr, &text);
        }
    }
}

impl Visitor<'_> {
    fn doc(&mut self, attr: &syn::Attribute, text: &str) {
        let base = crate::diag::span_location(self.file, attr.pound_token.span);
        for (i, line) in text.split('\n').enumerate() {
            let trimmed = line.trim_start();
            if !is_marker_line(trimmed) {
                continue;
            }
            let body = trimmed[1..].trim_end();
            let name = body.split('=').next().unwrap_or(body);
            let relevance = relevance(name);
            if relevance == Relevance::None {
                continue;
            }
            // Same columns as the marker engine's collector: `///` and `//!` take three columns;
            // later lines of a block doc comment start at column 1.
            let indent = line.len() - trimmed.len();
            let loc = if i == 0 {
                base.shifted(3 + indent)
            } else {
                Location::new(base.file.clone(), base.line + i, 1 + indent)
            };
            if let Relevance::Misspelled(wrong) = relevance {
                self.diags.push(
                    Diagnostic::error(loc, format!("unknown marker `+{wrong}`"))
                        .with_help(format!("did you mean `+{MARKER_NAME}`? (see `kgen markers rbac`)")),
                );
                continue;
            }
            match parse_doc_marker(trimmed, &loc) {
                DocLine::Marker(m) if m.id() == Id::Rbac => self.found.push(FoundMarker {
                    marker: m,
                    text: trimmed.trim_end().to_string(),
                }),
                DocLine::Marker(_) | DocLine::Foreign(_) => {}
                DocLine::Invalid(d) => self.diags.push(d),
            }
        }
    }

    /// `#[kgen(...)]` may hold several markers; only the `rbac(...)` ones (and near misses such
    /// as `rback(...)`) are parsed, each as an attribute of its own with the original spans.
    fn kgen_attr(&mut self, attr: &syn::Attribute) {
        let syn::Meta::List(list) = &attr.meta else {
            return;
        };
        for chunk in split_top_level(list.tokens.clone()) {
            let Some(TokenTree::Ident(ident)) = chunk.clone().into_iter().next() else {
                continue;
            };
            let name = ident.to_string();
            if name != ATTR_NAME && !is_near(&name, ATTR_NAME) {
                continue;
            }
            let text = source_text(&chunk).unwrap_or_else(|| chunk.to_string());
            let single = syn::Attribute {
                pound_token: attr.pound_token,
                style: attr.style,
                bracket_token: attr.bracket_token,
                meta: syn::Meta::List(syn::MetaList {
                    path: list.path.clone(),
                    delimiter: list.delimiter.clone(),
                    tokens: chunk,
                }),
            };
            let (markers, errors) = parse_kgen_attr(&single, self.file);
            for e in errors {
                let mut d = Diagnostic::error(crate::diag::span_location(self.file, e.span), e.message);
                d.help = e.help;
                self.diags.push(d);
            }
            for m in markers.into_iter().filter(|m| m.id() == Id::Rbac) {
                debug_assert_eq!(m.spelling, Spelling::Attr);
                self.found.push(FoundMarker {
                    marker: m,
                    text: text.clone(),
                });
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Relevance {
    /// Not an RBAC marker.
    None,
    /// `kubebuilder:rbac`, with or without arguments after a colon.
    Rbac,
    /// A near miss of `kubebuilder:rbac`: the marker's name as written.
    Misspelled(String),
}

/// Is the marker named `name` (text before the first `=`) an RBAC marker, or a misspelling of one?
fn relevance(name: &str) -> Relevance {
    let mut parts = name.splitn(3, ':');
    let (Some(prefix), Some(word)) = (parts.next(), parts.next()) else {
        return Relevance::None;
    };
    if prefix == "kubebuilder" && word == ATTR_NAME {
        return Relevance::Rbac;
    }
    if prefix.eq_ignore_ascii_case("kubebuilder") && (word.eq_ignore_ascii_case(ATTR_NAME) || is_near(word, ATTR_NAME))
    {
        return Relevance::Misspelled(format!("{prefix}:{word}"));
    }
    Relevance::None
}

/// One edit (or a swap of two neighbours) away, ignoring case.
fn is_near(word: &str, target: &str) -> bool {
    strsim::damerau_levenshtein(&word.to_ascii_lowercase(), target) <= 1
}

/// Splits `a, b(c, d), e` at its top-level commas.
fn split_top_level(tokens: TokenStream) -> Vec<TokenStream> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    for tt in tokens {
        if let TokenTree::Punct(p) = &tt
            && p.as_char() == ','
        {
            chunks.push(current.drain(..).collect::<TokenStream>());
            continue;
        }
        current.push(tt);
    }
    if !current.is_empty() {
        chunks.push(current.into_iter().collect());
    }
    chunks
}

/// The text a token stream was parsed from, when the spans know it.
fn source_text(tokens: &TokenStream) -> Option<String> {
    let mut iter = tokens.clone().into_iter();
    let first = iter.next()?.span();
    let last = iter.last().map(|t| t.span()).unwrap_or(first);
    first.join(last)?.source_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_of_names() {
        assert_eq!(relevance("kubebuilder:rbac"), Relevance::Rbac);
        assert_eq!(relevance("kubebuilder:rbac:groups"), Relevance::Rbac);
        assert_eq!(
            relevance("kubebuilder:rbca:groups"),
            Relevance::Misspelled("kubebuilder:rbca".into())
        );
        assert_eq!(
            relevance("kubebuilder:RBAC"),
            Relevance::Misspelled("kubebuilder:RBAC".into())
        );
        assert_eq!(relevance("kubebuilder:validation:Minimum"), Relevance::None);
        assert_eq!(relevance("kubebuilder:resource:path"), Relevance::None);
        assert_eq!(relevance("groupName"), Relevance::None);
    }

    #[test]
    fn splits_attribute_arguments() {
        let ts: TokenStream = "minimum = 1, rbac(groups = [\"a\", \"b\"], verbs = [\"get\"]), optional"
            .parse()
            .unwrap();
        let chunks: Vec<String> = split_top_level(ts).iter().map(|c| c.to_string()).collect();
        assert_eq!(chunks.len(), 3, "{chunks:?}");
        assert!(chunks[1].starts_with("rbac"), "{chunks:?}");
    }
}
