//! Collecting markers and descriptions from an item's attributes (doc comments and `#[kgen]`).

use super::attr::{is_kgen_attr, parse_kgen_attr};
use super::parse::{DocLine, parse_doc_marker};
use super::registry::Target;
use super::{Marker, Spelling};
use crate::diag::{Diagnostic, Diagnostics, Location};
use std::path::PathBuf;
use std::sync::Arc;
use syn::{Expr, ExprLit, Lit, Meta};

/// What an item's attributes say: markers in source order, and the description.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Markers in source order.
    pub markers: Vec<Marker>,
    /// The doc comment with marker lines removed (controller-gen's description rules).
    pub description: String,
}

/// Reads the markers and the description from `attrs`, checking each marker may be written on `target`.
pub fn collect(attrs: &[syn::Attribute], file: &Arc<PathBuf>, target: Target, diags: &mut Diagnostics) -> Collected {
    let mut out = Collected::default();
    let mut doc_lines: Vec<String> = Vec::new();
    for attr in attrs {
        if is_kgen_attr(attr) {
            let (markers, errors) = parse_kgen_attr(attr, file);
            for e in errors {
                let mut d = Diagnostic::error(crate::diag::span_location(file, e.span), e.message);
                d.help = e.help;
                diags.push(d);
            }
            out.markers.extend(markers);
            continue;
        }
        let Some(text) = doc_text(attr) else { continue };
        // Where the attribute is: looked up only for a marker line.
        let mut base: Option<Location> = None;
        for (i, line) in text.split('\n').enumerate() {
            let trimmed = line.trim_start();
            if !is_marker_line(trimmed) {
                doc_lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_string());
                continue;
            }
            let base = base.get_or_insert_with(|| crate::diag::span_location(file, attr.pound_token.span));
            // `///` (or `//!`) takes three columns; a block doc comment's later lines start at column 1.
            let indent = line.len() - trimmed.len();
            let loc = if i == 0 {
                base.shifted(3 + indent)
            } else {
                Location::new(base.file.clone(), base.line + i, 1 + indent)
            };
            match parse_doc_marker(trimmed, &loc) {
                DocLine::Marker(m) => out.markers.push(m),
                DocLine::Invalid(d) => diags.push(d),
                DocLine::Foreign(t) => diags.push(foreign(&t, loc, target)),
            }
        }
    }
    let problems = check_placement(&out.markers, target);
    let bad: Vec<usize> = problems
        .iter()
        .filter(|(_, wrong_target)| *wrong_target)
        .map(|((i, _), _)| *i)
        .collect();
    for ((i, mut d), wrong_target) in problems {
        // The CLI knows real files: say where the first one is.
        if !wrong_target
            && let Some(first) = out.markers[..i]
                .iter()
                .find(|p| std::ptr::eq(p.def, out.markers[i].def))
        {
            d.help = Some(format!("first given as {} at {}", first.display_name(), first.location));
        }
        diags.push(d);
    }
    let mut i = 0;
    out.markers.retain(|_| {
        i += 1;
        !bad.contains(&(i - 1))
    });
    out.description = description(&doc_lines);
    out
}

/// A `+word` line that names no marker kgen knows: a warning (other tools have markers too),
/// with a "did you mean" when it is close to one of kgen's. In a module's `//!` doc, a near miss
/// of a package marker is an error: `+groupname=...` would otherwise silently yield no CRD.
fn foreign(text: &str, loc: Location, target: Target) -> Diagnostic {
    let text = text.trim();
    let name = text.trim_start_matches('+').split('=').next().unwrap_or_default();
    let suggestion = super::Registry::global()
        .suggest_name(name)
        .and_then(|s| super::Registry::global().by_name(s));
    match suggestion {
        Some(def) if target == Target::Package && def.allows(Target::Package) => {
            Diagnostic::error(loc, format!("unknown marker `+{name}`"))
                .with_help(format!("did you mean `+{}`? (see `kgen markers`)", def.name))
        }
        Some(def) => Diagnostic::warning(
            loc,
            format!("`{text}` is not a marker kgen knows; it was left out of the description"),
        )
        .with_help(format!("did you mean `+{}`?", def.name)),
        None => Diagnostic::warning(
            loc,
            format!("`{text}` is not a marker kgen knows; it was left out of the description"),
        ),
    }
}

/// Placement problems of one item's markers: a marker on the wrong target, or a non-repeatable
/// marker given twice (in either spelling). Each problem comes with the marker's index and whether
/// it is a wrong-target problem; `kgen-macros` uses the index to attach its own span.
pub fn check_placement(markers: &[Marker], target: Target) -> Vec<((usize, Diagnostic), bool)> {
    let mut out = Vec::new();
    for (i, m) in markers.iter().enumerate() {
        if !m.def.allows(target) {
            let allowed: Vec<&str> = m.def.targets.iter().map(|t| t.name()).collect();
            out.push((
                (
                    i,
                    m.error(format!("{} cannot be written on a {}", m.display_name(), target.name()))
                        .with_help(format!("it belongs on a {}", allowed.join(" or "))),
                ),
                true,
            ));
            continue;
        }
        if m.def.repeatable {
            continue;
        }
        if let Some(first) = markers[..i]
            .iter()
            .find(|p| std::ptr::eq(p.def, m.def) && p.def.allows(target))
        {
            out.push((
                (
                    i,
                    m.error(format!("{} is given more than once", m.display_name()))
                        .with_help(format!("first given as {}", first.display_name())),
                ),
                false,
            ));
        }
    }
    out
}

/// True for a doc line (trimmed at the start) meant as a marker: `+` followed by a letter.
pub fn is_marker_line(trimmed: &str) -> bool {
    trimmed
        .strip_prefix('+')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// The text of a `#[doc = "..."]` attribute.
pub fn doc_text(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("doc") {
        return None;
    }
    match &attr.meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => {
                // A doc comment's literal rarely has an escape: then its text is between the quotes.
                let mut repr = s.token().to_string();
                let plain = repr.len() >= 2
                    && repr.starts_with('"')
                    && repr.ends_with('"')
                    && !repr[1..repr.len() - 1].contains(['\\', '"', '\r']);
                if !plain {
                    return Some(s.value());
                }
                repr.pop();
                repr.remove(0);
                Some(repr)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Builds a description from doc lines: line breaks kept, `TODO` lines dropped, a `---` line ends it
/// (both outside code fences), blank lines at either end trimmed.
pub fn description(lines: &[String]) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut fence = false;
    for line in lines {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence {
            if t.starts_with("---") {
                break;
            }
            if t.starts_with("TODO") {
                continue;
            }
        }
        kept.push(line.as_str());
    }
    // Marker lines leave blank lines on both sides: fold runs of blank lines into one (as Go's
    // comment text does), except inside code fences.
    let mut folded: Vec<&str> = Vec::with_capacity(kept.len());
    let mut in_fence = false;
    for line in kept {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence && line.trim().is_empty() && folded.last().is_some_and(|l| l.trim().is_empty()) {
            continue;
        }
        folded.push(line);
    }
    let mut kept = folded;
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    kept.join("\n")
}

/// True if any marker in `markers` has this spelling (used to report which spellings a fixture uses).
pub fn uses_spelling(markers: &[Marker], spelling: Spelling) -> bool {
    markers.iter().any(|m| m.spelling == spelling)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markers::defs::Id;

    fn field_markers(src: &str) -> (Collected, Diagnostics) {
        let item: syn::ItemStruct = syn::parse_str(src).unwrap();
        let field = item.fields.iter().next().unwrap();
        let mut diags = Diagnostics::new();
        let c = collect(
            &field.attrs,
            &Arc::new(PathBuf::from("api.rs")),
            Target::Field,
            &mut diags,
        );
        (c, diags)
    }

    #[test]
    fn markers_leave_the_description() {
        let (c, d) = field_markers(
            "struct S {\n    /// The region.\n    ///\n    /// Second paragraph.\n    /// +kubebuilder:validation:MinLength=1\n    /// TODO: drop\n    /// ---\n    /// hidden\n    #[kgen(max_length = 10)]\n    region: String }",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.description, "The region.\n\nSecond paragraph.");
        assert_eq!(
            c.markers.iter().map(|m| m.id()).collect::<Vec<_>>(),
            vec![Id::MinLength, Id::MaxLength]
        );
        let loc = &c.markers[0].location;
        assert_eq!((loc.line, loc.column), (5, 9));
    }

    #[test]
    fn doc_text_is_the_literals_value() {
        let src = "/// plain\n/// \"quoted\" and \\ back\n/// caf\u{e9} \t tab\n#[doc = \"a\\nb\"]\n#[doc = r#\"raw \"x\"\"#]\n/** block\r\n * two */\nstruct S;";
        let item: syn::ItemStruct = syn::parse_str(src).unwrap();
        assert_eq!(item.attrs.len(), 6);
        for attr in &item.attrs {
            let Meta::NameValue(nv) = &attr.meta else { panic!() };
            let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value else {
                panic!()
            };
            assert_eq!(doc_text(attr), Some(s.value()));
        }
    }

    #[test]
    fn blank_lines_around_markers_fold() {
        let (c, _) = field_markers("struct S {\n /// One.\n ///\n /// +optional\n ///\n /// Two.\n x: String }");
        assert_eq!(c.description, "One.\n\nTwo.");
    }

    #[test]
    fn wrong_target_and_repeats_are_errors() {
        let (_, d) = field_markers(
            "struct S {\n /// +kubebuilder:subresource:status\n /// +nullable\n /// +nullable\n x: String }",
        );
        let msgs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs[0].contains("+kubebuilder:subresource:status cannot be written on a field"),
            "{msgs:?}"
        );
        assert!(msgs[1].contains("+nullable is given more than once"), "{msgs:?}");
    }

    #[test]
    fn foreign_markers_warn() {
        let (c, d) = field_markers("struct S {\n /// Text.\n /// +operator-sdk:csv:foo\n x: String }");
        assert_eq!(c.description, "Text.");
        let only = d.iter().next().unwrap();
        assert!(!only.is_error());
        assert!(only.message.contains("+operator-sdk:csv:foo"));
    }
}
