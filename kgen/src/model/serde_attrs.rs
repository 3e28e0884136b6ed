//! The serde attributes that change the wire format: renames, skips, defaults, flatten, tagging.

use crate::diag::{Diagnostic, Diagnostics};
use std::path::PathBuf;
use std::sync::Arc;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

/// serde's `rename_all` rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    /// `lowercase`
    Lower,
    /// `UPPERCASE`
    Upper,
    /// `PascalCase`
    Pascal,
    /// `camelCase`
    Camel,
    /// `snake_case`
    Snake,
    /// `SCREAMING_SNAKE_CASE`
    ScreamingSnake,
    /// `kebab-case`
    Kebab,
    /// `SCREAMING-KEBAB-CASE`
    ScreamingKebab,
}

impl RenameRule {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "snake_case" => RenameRule::Snake,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "SCREAMING-KEBAB-CASE" => RenameRule::ScreamingKebab,
            _ => return None,
        })
    }

    /// Renames a field (written in snake_case), as serde does.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_string(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => {
                let mut out = String::new();
                let mut cap = true;
                for c in field.chars() {
                    if c == '_' {
                        cap = true;
                    } else if cap {
                        out.push(c.to_ascii_uppercase());
                        cap = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            RenameRule::Camel => {
                let pascal = RenameRule::Pascal.apply_to_field(field);
                let mut chars = pascal.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => pascal,
                }
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.replace('_', "-").to_ascii_uppercase(),
        }
    }

    /// Renames a variant (written in PascalCase), as serde does.
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_string(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => {
                let mut chars = variant.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            }
            RenameRule::Snake => {
                let mut out = String::new();
                for (i, c) in variant.char_indices() {
                    if i > 0 && c.is_uppercase() {
                        out.push('_');
                    }
                    out.push(c.to_ascii_lowercase());
                }
                out
            }
            RenameRule::ScreamingSnake => RenameRule::Snake.apply_to_variant(variant).to_ascii_uppercase(),
            RenameRule::Kebab => RenameRule::Snake.apply_to_variant(variant).replace('_', "-"),
            RenameRule::ScreamingKebab => RenameRule::Kebab.apply_to_variant(variant).to_ascii_uppercase(),
        }
    }
}

/// Container attributes.
#[derive(Clone, Debug, Default)]
pub struct ContainerSerde {
    /// `rename_all` for fields (or variants, on an enum).
    pub rename_all: Option<RenameRule>,
    /// `rename_all_fields` (enums: fields of struct variants).
    pub rename_all_fields: Option<RenameRule>,
    /// `default`: every missing field takes its default.
    pub default: bool,
    /// `transparent`.
    pub transparent: bool,
    /// `tag = "..."` (internally tagged enum).
    pub tag: Option<String>,
    /// `content = "..."` (adjacently tagged enum).
    pub content: Option<String>,
    /// `untagged`.
    pub untagged: bool,
}

/// Field (and variant) attributes.
#[derive(Clone, Debug, Default)]
pub struct FieldSerde {
    /// `rename = "..."`.
    pub rename: Option<String>,
    /// `default` or `default = "path"`.
    pub default: bool,
    /// `skip`.
    pub skip: bool,
    /// `skip_serializing`.
    pub skip_serializing: bool,
    /// `skip_deserializing`.
    pub skip_deserializing: bool,
    /// `flatten`.
    pub flatten: bool,
    /// `skip_serializing_if = "path"`: the predicate's path.
    pub skip_serializing_if: Option<String>,
    /// `alias = "..."` names (accepted on input only).
    pub aliases: Vec<String>,
    /// `serialize_with`, `with` or `getter`: custom serialisation kgen cannot reproduce.
    pub custom_serialize: bool,
}

fn serde_attrs(attrs: &[syn::Attribute]) -> impl Iterator<Item = &syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("serde"))
}

fn lit_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<String> {
    use syn::parse::discouraged::Speculative;
    let input = meta.value()?;
    // The common case, a string literal and nothing more, without parsing an expression.
    let fork = input.fork();
    if let Ok(s) = fork.parse::<syn::LitStr>()
        && (fork.is_empty() || fork.peek(syn::Token![,]))
    {
        input.advance_to(&fork);
        return Ok(s.value());
    }
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok(s.value()),
        other => Err(syn::Error::new(other.span(), "expected a string literal")),
    }
}

/// `rename = "x"` or `rename(serialize = "x", deserialize = "x")`: one wire name.
fn rename_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<String> {
    if meta.input.peek(syn::Token![=]) {
        return lit_str(meta);
    }
    let mut ser = None;
    let mut de = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("serialize") {
            ser = Some(lit_str(&inner)?);
        } else if inner.path.is_ident("deserialize") {
            de = Some(lit_str(&inner)?);
        } else {
            return Err(inner.error("expected serialize or deserialize"));
        }
        Ok(())
    })?;
    match (ser, de) {
        (Some(a), Some(b)) if a != b => Err(meta.error(format!(
            "serialize name `{a}` and deserialize name `{b}` differ; a CRD schema can describe only one name"
        ))),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(meta.error("empty rename(...)")),
    }
}

/// Consumes the rest of a serde item kgen does not interpret (`with = "..."`, `bound(...)`, ...).
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

fn report(file: &Arc<PathBuf>, e: syn::Error, diags: &mut Diagnostics) {
    diags.push(Diagnostic::error(
        crate::diag::span_location(file, e.span()),
        format!("in #[serde(...)]: {e}"),
    ));
}

/// Reads container attributes.
pub fn container(attrs: &[syn::Attribute], file: &Arc<PathBuf>, diags: &mut Diagnostics) -> ContainerSerde {
    let mut out = ContainerSerde::default();
    for attr in serde_attrs(attrs) {
        let r = attr.parse_nested_meta(|meta| {
            let rule = |meta: &syn::meta::ParseNestedMeta<'_>| -> syn::Result<RenameRule> {
                let s = if meta.input.peek(syn::Token![=]) {
                    lit_str(meta)?
                } else {
                    // rename_all(serialize = "...", deserialize = "...")
                    rename_value(meta)?
                };
                RenameRule::parse(&s).ok_or_else(|| meta.error(format!("unknown rename rule `{s}`")))
            };
            if meta.path.is_ident("rename_all") {
                out.rename_all = Some(rule(&meta)?);
            } else if meta.path.is_ident("rename_all_fields") {
                out.rename_all_fields = Some(rule(&meta)?);
            } else if meta.path.is_ident("default") {
                out.default = true;
                skip_value(&meta)?;
            } else if meta.path.is_ident("transparent") {
                out.transparent = true;
            } else if meta.path.is_ident("tag") {
                out.tag = Some(lit_str(&meta)?);
            } else if meta.path.is_ident("content") {
                out.content = Some(lit_str(&meta)?);
            } else if meta.path.is_ident("untagged") {
                out.untagged = true;
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            report(file, e, diags);
        }
    }
    out
}

/// Reads field (or variant) attributes.
pub fn field(attrs: &[syn::Attribute], file: &Arc<PathBuf>, diags: &mut Diagnostics) -> FieldSerde {
    let mut out = FieldSerde::default();
    for attr in serde_attrs(attrs) {
        let r = attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("rename") {
                out.rename = Some(rename_value(&meta)?);
            } else if p.is_ident("alias") {
                out.aliases.push(lit_str(&meta)?);
            } else if p.is_ident("default") {
                out.default = true;
                skip_value(&meta)?;
            } else if p.is_ident("skip") {
                out.skip = true;
            } else if p.is_ident("skip_serializing") {
                out.skip_serializing = true;
            } else if p.is_ident("skip_deserializing") {
                out.skip_deserializing = true;
            } else if p.is_ident("flatten") {
                out.flatten = true;
            } else if p.is_ident("skip_serializing_if") {
                out.skip_serializing_if = Some(lit_str(&meta)?);
            } else if p.is_ident("serialize_with") || p.is_ident("with") || p.is_ident("getter") {
                out.custom_serialize = true;
                skip_value(&meta)?;
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            report(file, e, diags);
        }
    }
    out
}

/// The trait names in `#[derive(...)]` attributes (last path segment: `Serialize`, `Markers`).
pub fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(last) = m.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn field_renames_match_serde() {
        assert_eq!(Camel.apply_to_field("node_pools"), "nodePools");
        assert_eq!(Camel.apply_to_field("cluster_id"), "clusterId");
        assert_eq!(Pascal.apply_to_field("token_secret_ref"), "TokenSecretRef");
        assert_eq!(ScreamingSnake.apply_to_field("a_b"), "A_B");
        assert_eq!(Kebab.apply_to_field("a_b"), "a-b");
    }

    #[test]
    fn variant_renames_match_serde() {
        assert_eq!(Snake.apply_to_variant("NodePool"), "node_pool");
        assert_eq!(Camel.apply_to_variant("NodePool"), "nodePool");
        assert_eq!(Lower.apply_to_variant("NodePool"), "nodepool");
        assert_eq!(ScreamingKebab.apply_to_variant("NodePool"), "NODE-POOL");
    }
}
