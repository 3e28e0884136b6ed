//! Parsing `#[kgen(...)]` attributes into the same [`Marker`]s as doc comments.
//!
//! ```text
//! #[kgen(minimum = 1, maximum = 10)]
//! #[kgen(printcolumn(name = "Age", type = "date", json_path = ".metadata.creationTimestamp"))]
//! #[kgen(items(max_length = 63))]
//! #[kgen(default = json!({"a": 1}))]
//! ```
//!
//! Used by the CLI (errors become diagnostics) and by `kgen-macros` (errors become
//! `compile_error!`s on the offending tokens), so both check markers the same way.

use super::grammar::{ArgType, Scanner};
use super::registry::{ArgDef, MarkerDef, Registry, Shape};
use super::{Marker, Spelling};
use proc_macro2::Span;
use serde_json::{Number, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, UnOp};

/// A problem in a `#[kgen(...)]` attribute, at the tokens that caused it.
#[derive(Debug)]
pub struct AttrError {
    /// The offending tokens.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
}

impl AttrError {
    fn new(span: Span, message: impl Into<String>) -> Self {
        AttrError {
            span,
            message: message.into(),
            help: None,
        }
    }
}

/// True for `#[kgen(...)]`.
pub fn is_kgen_attr(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("kgen")
}

/// Parses one `#[kgen(...)]` attribute; `file` is only used to record marker locations.
pub fn parse_kgen_attr(attr: &syn::Attribute, file: &Arc<PathBuf>) -> (Vec<Marker>, Vec<AttrError>) {
    let mut markers = Vec::new();
    let mut errors = Vec::new();
    let list = match &attr.meta {
        syn::Meta::List(list) => list,
        other => {
            errors.push(AttrError::new(other.span(), "expected `#[kgen(marker, ...)]`"));
            return (markers, errors);
        }
    };
    let result = list.parse_nested_meta(|meta| {
        parse_one(meta, false, file, &mut markers, &mut errors);
        Ok(())
    });
    if let Err(e) = result {
        errors.push(AttrError::new(e.span(), e.to_string()));
    }
    (markers, errors)
}

fn parse_one(
    meta: syn::meta::ParseNestedMeta<'_>,
    items: bool,
    file: &Arc<PathBuf>,
    markers: &mut Vec<Marker>,
    errors: &mut Vec<AttrError>,
) {
    let Some(ident) = meta
        .path
        .get_ident()
        .map(|i| i.to_string().trim_start_matches("r#").to_string())
    else {
        errors.push(AttrError::new(meta.path.span(), "expected a marker name"));
        skip_rest(&meta);
        return;
    };
    let span = meta.path.span();
    if ident == "items" && !items && meta.input.peek(syn::token::Paren) {
        let r = meta.parse_nested_meta(|inner| {
            parse_one(inner, true, file, markers, errors);
            Ok(())
        });
        if let Err(e) = r {
            errors.push(AttrError::new(e.span(), e.to_string()));
        }
        return;
    }
    let reg = Registry::global();
    let Some(def) = reg.by_attr(&ident, items) else {
        let mut err = AttrError::new(
            span,
            format!(
                "unknown kgen marker `{ident}`{}",
                if items { " inside items(...)" } else { "" }
            ),
        );
        err.help = reg
            .suggest_attr(&ident)
            .map(|s| format!("did you mean `{s}`? (see `kgen markers`)"))
            .or_else(|| Some("run `kgen markers` for the list of markers".into()));
        errors.push(err);
        skip_rest(&meta);
        return;
    };
    let location = crate::diag::span_location(file, span);
    let mut args = BTreeMap::new();
    match def.shape {
        // Go-only markers have no `#[kgen]` form; should one get one, it takes no value.
        Shape::Flag | Shape::Opaque => {
            if !(meta.input.is_empty() || meta.input.peek(syn::Token![,])) {
                errors.push(AttrError::new(
                    meta.input.span(),
                    format!("`{ident}` is a flag and takes no value"),
                ));
                skip_rest(&meta);
                return;
            }
        }
        Shape::Value(ty) => {
            let expr = match meta.value().and_then(|v| v.parse::<Expr>()) {
                Ok(e) => e,
                Err(_) => {
                    errors.push(AttrError::new(
                        span,
                        format!(
                            "`{ident}` needs a value: `{ident} = <{}>`{}",
                            ty.describe(),
                            example(&ident.to_string(), ty)
                        ),
                    ));
                    skip_rest(&meta);
                    return;
                }
            };
            match expr_value(&expr, ty) {
                Ok(v) => {
                    args.insert("", v);
                }
                Err(mut e) => {
                    e.message = format!("`{ident}`: {}", e.message);
                    errors.push(e);
                    return;
                }
            }
        }
        Shape::Args { args: defs, .. } => {
            if !meta.input.peek(syn::token::Paren) {
                let names: Vec<&str> = defs.iter().map(|a| a.attr).collect();
                errors.push(AttrError::new(
                    span,
                    format!("`{ident}` takes arguments: `{ident}({})`", names.join(", ")),
                ));
                skip_rest(&meta);
                return;
            }
            let before = errors.len();
            let r = meta.parse_nested_meta(|arg| {
                parse_arg(arg, def, defs, &mut args, errors);
                Ok(())
            });
            if let Err(e) = r {
                errors.push(AttrError::new(e.span(), e.to_string()));
            }
            if errors.len() > before {
                return;
            }
            for a in defs.iter().filter(|a| a.required) {
                if !args.contains_key(a.name) {
                    errors.push(AttrError::new(
                        span,
                        format!("`{ident}` is missing required argument `{}`", a.attr),
                    ));
                    return;
                }
            }
        }
    }
    markers.push(Marker {
        def,
        args,
        location,
        spelling: Spelling::Attr,
    });
}

fn parse_arg(
    arg: syn::meta::ParseNestedMeta<'_>,
    def: &MarkerDef,
    defs: &'static [ArgDef],
    args: &mut BTreeMap<&'static str, Value>,
    errors: &mut Vec<AttrError>,
) {
    let name = arg
        .path
        .get_ident()
        .map(|i| i.to_string().trim_start_matches("r#").to_string())
        .unwrap_or_default();
    let span = arg.path.span();
    let Some(a) = defs.iter().find(|a| a.attr == name) else {
        let mut err = AttrError::new(
            span,
            format!("unknown argument `{name}` for `{}`", def.attr.unwrap_or(def.name)),
        );
        let names: Vec<&str> = defs.iter().map(|a| a.attr).collect();
        err.help = Some(match super::registry::closest(&name, names.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("expected one of {}", names.join(", ")),
        });
        errors.push(err);
        skip_rest(&arg);
        return;
    };
    let expr = if a.ty == ArgType::Bool && (arg.input.is_empty() || arg.input.peek(syn::Token![,])) {
        // `optional_old_self` alone means true.
        Expr::Lit(ExprLit {
            attrs: vec![],
            lit: Lit::Bool(syn::LitBool::new(true, span)),
        })
    } else {
        match arg.value().and_then(|v| v.parse::<Expr>()) {
            Ok(e) => e,
            Err(_) => {
                errors.push(AttrError::new(
                    span,
                    format!(
                        "argument `{name}` needs a value: `{name} = <{}>`{}",
                        a.ty.describe(),
                        example(&name, a.ty)
                    ),
                ));
                skip_rest(&arg);
                return;
            }
        }
    };
    match expr_value(&expr, a.ty) {
        Ok(v) => {
            if args.insert(a.name, v).is_some() {
                errors.push(AttrError::new(span, format!("argument `{name}` given twice")));
            }
        }
        Err(e) => errors.push(e),
    }
}

/// Consumes whatever follows a rejected meta item so parsing can go on with the next one.
fn skip_rest(meta: &syn::meta::ParseNestedMeta<'_>) {
    let _ = meta.input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if let proc_macro2::TokenTree::Punct(p) = &tt
                && p.as_char() == ','
            {
                return Ok(((), rest));
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

/// Converts an attribute expression into a marker value of type `ty`.
pub fn expr_value(expr: &Expr, ty: ArgType) -> Result<Value, AttrError> {
    let raw = expr_json(expr)?;
    check_value(raw, ty).map_err(|m| AttrError::new(expr.span(), m))
}

/// Any literal, negated number, array or `json!(...)` as JSON.
fn expr_json(expr: &Expr) -> Result<Value, AttrError> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(s) => Ok(Value::String(s.value())),
            Lit::Bool(b) => Ok(Value::Bool(b.value)),
            Lit::Int(i) => i
                .base10_parse::<i64>()
                .map(|v| Value::Number(v.into()))
                .or_else(|_| i.base10_parse::<u64>().map(|v| Value::Number(v.into())))
                .map_err(|e| AttrError::new(i.span(), e.to_string())),
            Lit::Float(f) => {
                let v: f64 = f.base10_parse().map_err(|e| AttrError::new(f.span(), e.to_string()))?;
                Number::from_f64(v)
                    .map(Value::Number)
                    .ok_or_else(|| AttrError::new(f.span(), "not a finite number"))
            }
            other => Err(AttrError::new(
                other.span(),
                "expected a string, number or boolean literal",
            )),
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => match expr_json(&u.expr)? {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Value::Number((-i).into()))
                } else {
                    Number::from_f64(-n.as_f64().unwrap_or(0.0))
                        .map(Value::Number)
                        .ok_or_else(|| AttrError::new(u.span(), "not a finite number"))
                }
            }
            _ => Err(AttrError::new(u.span(), "only numbers can be negated")),
        },
        Expr::Array(a) => a
            .elems
            .iter()
            .map(expr_json)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Expr::Macro(m) if m.mac.path.is_ident("json") => {
            let text = m.mac.tokens.to_string();
            serde_json::from_str(&text)
                .map_err(|e| AttrError::new(m.span(), format!("invalid JSON in json!(...): {e}")))
        }
        Expr::Group(g) => expr_json(&g.expr),
        Expr::Paren(p) => expr_json(&p.expr),
        other => Err(AttrError::new(
            other.span(),
            "expected a literal, an array `[...]`, or `json!(...)` for maps and nested values",
        )),
    }
}

/// For list values, how to write one in an attribute (`, e.g. ...`); empty for the others.
fn example(name: &str, ty: ArgType) -> String {
    match ty {
        ArgType::CommaList => format!(", e.g. `{name} = \"a,b\"` or `{name} = [\"a\", \"b\"]`"),
        ArgType::StringList | ArgType::AnyList => format!(", e.g. `{name} = [\"a\", \"b\"]`"),
        _ => String::new(),
    }
}

/// Checks (and for word lists, normalises) a JSON value against an argument type.
pub fn check_value(v: Value, ty: ArgType) -> Result<Value, String> {
    let found = |v: &Value| -> String {
        match v {
            Value::String(s) => format!("the string \"{s}\""),
            other => format!("`{other}`"),
        }
    };
    match ty {
        ArgType::String => match v {
            Value::String(_) => Ok(v),
            other => Err(format!("expected a string, found {}", found(&other))),
        },
        ArgType::Int => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v),
            other => Err(format!("expected an integer, found {}", found(other))),
        },
        ArgType::Number => match &v {
            Value::Number(_) => Ok(v),
            other => Err(format!("expected a number, found {}", found(other))),
        },
        ArgType::Bool => match &v {
            Value::Bool(_) => Ok(v),
            other => Err(format!("expected true or false, found {}", found(other))),
        },
        ArgType::OneOf(words) => match &v {
            Value::String(s) if words.contains(&s.as_str()) => Ok(v),
            other => Err(format!(
                "expected one of {}, found {}",
                words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", "),
                found(other)
            )),
        },
        // A comma-separated list also takes the doc-comment spelling in one string ("a,b").
        ArgType::CommaList => match v {
            Value::String(s) => Ok(Value::Array(
                s.split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(|w| Value::String(w.to_string()))
                    .collect(),
            )),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Value::Array(items)),
            other => Err(format!(
                "expected a list like \"a,b\" or [\"a\", \"b\"], found {}",
                found(&other)
            )),
        },
        ArgType::StringList => match v {
            Value::String(s) => Ok(Value::Array(vec![Value::String(s)])),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Value::Array(items)),
            other => Err(format!(
                "expected a list of strings like [\"a\", \"b\"], found {}",
                found(&other)
            )),
        },
        ArgType::AnyList => match v {
            Value::Array(_) => Ok(v),
            other => Err(format!("expected a list like [\"a\", \"b\"], found {}", found(&other))),
        },
        ArgType::Any | ArgType::Json => Ok(v),
    }
}

/// Parses text in doc-comment grammar for a value type; used where attributes accept marker text.
pub fn parse_text(text: &str, ty: ArgType) -> Result<Value, String> {
    Scanner::new(text).whole_value(ty).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markers::defs::Id;
    use serde_json::json;

    fn parse(src: &str) -> (Vec<Marker>, Vec<AttrError>) {
        let attr: syn::Attribute = syn::parse_quote!(#[dummy]);
        let _ = attr;
        let item: syn::ItemStruct = syn::parse_str(&format!("{src} struct X;")).unwrap();
        let file = Arc::new(PathBuf::from("x.rs"));
        let mut all = (Vec::new(), Vec::new());
        for a in &item.attrs {
            let (m, e) = parse_kgen_attr(a, &file);
            all.0.extend(m);
            all.1.extend(e);
        }
        all
    }

    #[test]
    fn values_flags_and_args() {
        let (m, e) = parse(
            r#"#[kgen(minimum = -1, maximum = 2.5, subresource_status, printcolumn(name = "Age", type = "date", json_path = ".metadata.creationTimestamp"))]"#,
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(m[0].id(), Id::Minimum);
        assert_eq!(m[0].value(), &json!(-1));
        assert_eq!(m[1].value(), &json!(2.5));
        assert_eq!(m[2].id(), Id::SubresourceStatus);
        assert_eq!(m[3].str("JSONPath"), Some(".metadata.creationTimestamp"));
    }

    #[test]
    fn comma_lists_take_one_string_or_an_array() {
        for src in [
            r#"#[kgen(skip_verbs = "delete, patch")]"#,
            r#"#[kgen(skip_verbs = ["delete", "patch"])]"#,
        ] {
            let (m, e) = parse(src);
            assert!(e.is_empty(), "{src}: {e:?}");
            assert_eq!(m[0].id(), Id::GenclientSkipVerbs);
            assert_eq!(m[0].value(), &json!(["delete", "patch"]), "{src}");
        }
        let (_, e) = parse("#[kgen(skip_verbs(delete, patch))]");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message
                .contains(r#"e.g. `skip_verbs = "a,b"` or `skip_verbs = ["a", "b"]`"#),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn items_json_and_keywords() {
        let (m, e) = parse(
            r#"#[kgen(items(max_length = 5), default = json!({"a": [1, 2]}), enum = ["a", "b"], type = "object")]"#,
        );
        assert!(e.is_empty(), "{e:?}");
        assert!(m[0].def.items);
        assert_eq!(m[1].value(), &json!({"a": [1, 2]}));
        assert_eq!(m[2].value(), &json!(["a", "b"]));
        assert_eq!(m[3].id(), Id::Type);
    }

    #[test]
    fn errors_carry_suggestions() {
        let (_, e) = parse(r#"#[kgen(max_lenght = 3)]"#);
        assert_eq!(e[0].message, "unknown kgen marker `max_lenght`");
        assert!(e[0].help.as_ref().unwrap().contains("max_length"));
        let (_, e) = parse(r#"#[kgen(max_length = "3")]"#);
        assert!(e[0].message.contains("expected an integer"), "{:?}", e[0]);
        let (_, e) = parse(r#"#[kgen(printcolumn(name = "A", type = "date"))]"#);
        assert!(e[0].message.contains("missing required argument `json_path`"));
        let (_, e) = parse(r#"#[kgen(printcolumn(name = "A", type = "dat", json_path = ".x"))]"#);
        assert!(e[0].message.contains("expected one of"));
        let (m, e) = parse(r#"#[kgen(bogus = 1, minimum = 1)]"#);
        assert_eq!(e.len(), 1);
        assert_eq!(m.len(), 1, "parsing goes on after an error");
    }
}
