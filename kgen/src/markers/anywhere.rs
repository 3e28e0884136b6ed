//! Finding the markers of one family anywhere in the source: `+kubebuilder:rbac`,
//! `+kubebuilder:webhook`, `+kubebuilder:webhookconfiguration`.
//!
//! Unlike type and field markers, these describe the program, not an API type, so they may be
//! written on anything that takes a doc comment: a module (`//!`), a struct, a function, an `impl`
//! block, a `const`, a statement. (controller-gen only reads package-level comments and silently
//! drops markers in a function's doc comment, its most-reported RBAC pitfall.)
//!
//! Only the family's markers are looked at; every other marker is the business of `kgen crd`.
//! Lines are parsed by the shared marker engine ([`parse_doc_marker`], [`parse_kgen_attr`]), so
//! the grammar, the argument checks and the messages are the same as everywhere else. A near miss
//! of one of the family's names (`+kubebuilder:rbca`, `#[kgen(webhok(...))]`) is an error: it
//! would otherwise silently generate nothing.

use super::attr::{is_kgen_attr, parse_kgen_attr};
use super::collect::{doc_text, is_marker_line};
use super::defs::Id;
use super::{DocLine, Marker, Spelling, parse_doc_marker};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::source::SourceFile;
use proc_macro2::{TokenStream, TokenTree};
use std::path::PathBuf;
use std::sync::Arc;
use syn::visit::Visit;

/// One member of a family: the word after `kubebuilder:` in doc comments, the attribute name,
/// and the marker's id.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    /// `rbac` in `+kubebuilder:rbac:...`.
    pub word: &'static str,
    /// `rbac` in `#[kgen(rbac(...))]`.
    pub attr: &'static str,
    /// The marker's id.
    pub id: Id,
}

/// A family of markers scanned together; `help` names the `kgen markers` filter shown in "did
/// you mean" messages.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// The members.
    pub members: &'static [Member],
    /// The `kgen markers` filter that lists them (`rbac`, `webhook`).
    pub help: &'static str,
}

/// One marker and the text it was written as (for messages).
#[derive(Clone, Debug)]
pub struct FoundMarker {
    /// The parsed marker.
    pub marker: Marker,
    /// The source text: `+kubebuilder:rbac:groups=...` or `rbac(groups = [...], ...)`.
    pub text: String,
}

impl FoundMarker {
    /// Where an argument (or one of its values) is, for a doc-comment marker whose text we have;
    /// the marker's own location otherwise (attributes, or an argument not written).
    pub fn arg_location(&self, arg: &str, value: Option<&str>) -> Location {
        let loc = &self.marker.location;
        if self.marker.spelling != Spelling::Doc || arg.is_empty() {
            return loc.clone();
        }
        let text = &self.text;
        let pattern = format!("{arg}=");
        let Some(start) = text
            .match_indices(&pattern)
            .map(|(i, _)| i)
            .find(|&i| i > 0 && matches!(text.as_bytes()[i - 1], b':' | b',' | b' '))
        else {
            return loc.clone();
        };
        let mut at = start;
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let after = start + pattern.len();
            let end = text[after..].find([',']).map(|e| after + e).unwrap_or(text.len());
            if let Some(i) = text[after..end].find(v) {
                at = after + i;
            }
        }
        loc.shifted(text[..at].chars().count())
    }
}

/// Every marker of `family` in `files`, in file order then source order. Malformed markers of the
/// family (and misspellings of its names) are reported into `diags`.
pub fn scan(files: &[SourceFile], family: &Family, diags: &mut Diagnostics) -> Vec<FoundMarker> {
    let mut found = Vec::new();
    for f in files {
        let mut v = Visitor {
            file: &f.path,
            family,
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
    family: &'a Family,
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
    fn is_member(&self, id: Id) -> bool {
        self.family.members.iter().any(|m| m.id == id)
    }

    fn doc(&mut self, attr: &syn::Attribute, text: &str) {
        let base = crate::diag::span_location(self.file, attr.pound_token.span);
        for (i, line) in text.split('\n').enumerate() {
            let trimmed = line.trim_start();
            if !is_marker_line(trimmed) {
                continue;
            }
            let body = trimmed[1..].trim_end();
            let name = body.split('=').next().unwrap_or(body);
            let relevance = relevance(name, self.family);
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
            if let Relevance::Misspelled(wrong, right) = relevance {
                self.diags.push(
                    Diagnostic::error(loc, format!("unknown marker `+{wrong}`")).with_help(format!(
                        "did you mean `+kubebuilder:{right}`? (see `kgen markers {}`)",
                        self.family.help
                    )),
                );
                continue;
            }
            match parse_doc_marker(trimmed, &loc) {
                DocLine::Marker(m) if self.is_member(m.id()) => self.found.push(FoundMarker {
                    marker: m,
                    text: trimmed.trim_end().to_string(),
                }),
                DocLine::Marker(_) | DocLine::Foreign(_) => {}
                DocLine::Invalid(d) => self.diags.push(d),
            }
        }
    }

    /// `#[kgen(...)]` may hold several markers; only the family's (and near misses such as
    /// `rback(...)`) are parsed, each as an attribute of its own with the original spans.
    fn kgen_attr(&mut self, attr: &syn::Attribute) {
        let syn::Meta::List(list) = &attr.meta else {
            return;
        };
        for chunk in split_top_level(list.tokens.clone()) {
            let Some(TokenTree::Ident(ident)) = chunk.clone().into_iter().next() else {
                continue;
            };
            let name = ident.to_string();
            let exact = self.family.members.iter().any(|m| m.attr == name);
            let near = self.family.members.iter().any(|m| is_near(&name, m.attr));
            if !exact && !near {
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
            for m in markers
                .into_iter()
                .filter(|m| self.family.members.iter().any(|f| f.id == m.id()))
            {
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
    /// Not a marker of the family.
    None,
    /// One of the family's names, with or without arguments after a colon.
    Member,
    /// A near miss: the marker's name as written, and the name meant.
    Misspelled(String, &'static str),
}

/// Is the marker named `name` (text before the first `=`) one of the family's, or a misspelling
/// of one?
fn relevance(name: &str, family: &Family) -> Relevance {
    let mut parts = name.splitn(3, ':');
    let (Some(prefix), Some(word)) = (parts.next(), parts.next()) else {
        return Relevance::None;
    };
    if prefix == "kubebuilder" && family.members.iter().any(|m| m.word == word) {
        return Relevance::Member;
    }
    if !prefix.eq_ignore_ascii_case("kubebuilder") {
        return Relevance::None;
    }
    // A name of another marker (`kubebuilder:webhook` when scanning for rbac) is not a near miss.
    if crate::markers::Registry::global()
        .by_name(&format!("kubebuilder:{word}"))
        .is_some()
    {
        return Relevance::None;
    }
    family
        .members
        .iter()
        .find(|m| word.eq_ignore_ascii_case(m.word) || is_near(word, m.word))
        .map_or(Relevance::None, |m| {
            Relevance::Misspelled(format!("{prefix}:{word}"), m.word)
        })
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

    const RBAC: Family = Family {
        members: &[Member {
            word: "rbac",
            attr: "rbac",
            id: Id::Rbac,
        }],
        help: "rbac",
    };

    #[test]
    fn relevance_of_names() {
        assert_eq!(relevance("kubebuilder:rbac", &RBAC), Relevance::Member);
        assert_eq!(relevance("kubebuilder:rbac:groups", &RBAC), Relevance::Member);
        assert_eq!(
            relevance("kubebuilder:rbca:groups", &RBAC),
            Relevance::Misspelled("kubebuilder:rbca".into(), "rbac")
        );
        assert_eq!(
            relevance("kubebuilder:RBAC", &RBAC),
            Relevance::Misspelled("kubebuilder:RBAC".into(), "rbac")
        );
        assert_eq!(relevance("kubebuilder:validation:Minimum", &RBAC), Relevance::None);
        assert_eq!(relevance("kubebuilder:resource:path", &RBAC), Relevance::None);
        assert_eq!(relevance("groupName", &RBAC), Relevance::None);
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
