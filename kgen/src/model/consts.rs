//! `+default=ref(Name)`: code-generator's default that names a Go constant. In Rust it names a
//! `const` of the input (`pub const DEFAULT_MODE: &str = "fast";`), found in the field's module,
//! through a `use`, or as the only const of that name in the input.

use super::resolve::Scope;
use super::{Field, TypeBody, TypeDef, VariantData};
use crate::diag::Diagnostics;
use crate::markers::defs::Id;
use crate::markers::grammar::DEFAULT_REF_KEY;
use serde_json::Value;
use std::collections::HashMap;

/// One `const` item: (module, name), and its value ([`literal`]).
pub type Const = ((Vec<String>, String), Result<Value, String>);

/// The input's `const` items by (module, name), with their value ([`literal`]).
pub type Consts = HashMap<(Vec<String>, String), Result<Value, String>>;

/// Replaces every `+default=ref(Name)` value by the const's value, or reports why it cannot.
pub fn resolve_default_refs(
    types: &mut [TypeDef],
    consts: &Consts,
    scopes: &HashMap<Vec<String>, Scope>,
    diags: &mut Diagnostics,
) {
    for t in types.iter_mut() {
        let module = t.module.clone();
        let mut fix = |fields: &mut Vec<Field>| {
            for f in fields.iter_mut() {
                for m in f.markers.iter_mut().filter(|m| m.id() == Id::DefaultJson) {
                    let Some(name) = m.value().get(DEFAULT_REF_KEY).and_then(Value::as_str).map(String::from) else {
                        continue;
                    };
                    match lookup(&name, &module, consts, scopes).and_then(Clone::clone) {
                        Ok(v) => {
                            m.args.insert("", v);
                        }
                        Err(why) => {
                            diags.push(m.error(format!("+default=ref({name}): {why}")).with_help(format!(
                                "define it in this module, e.g. `pub const {name}: &str = \"...\";`, or write the value: +default=\"...\""
                            )));
                            m.args.insert("", Value::Null);
                        }
                    }
                }
            }
        };
        match &mut t.body {
            TypeBody::Struct(fields) => fix(fields),
            TypeBody::DataEnum(variants) => {
                for v in variants {
                    if let VariantData::Struct(fields) = &mut v.data {
                        fix(fields);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The const `name` (a path like `modes::DEFAULT` allowed) means in `module`.
fn lookup<'c>(
    name: &str,
    module: &[String],
    consts: &'c Consts,
    scopes: &HashMap<Vec<String>, Scope>,
) -> Result<&'c Result<Value, String>, String> {
    let segs: Vec<String> = name.split("::").map(String::from).collect();
    let (last, prefix) = segs.split_last().expect("split yields one item");
    let found = |m: &[String]| consts.get(&(m.to_vec(), last.clone()));
    // In the module itself (or a module path relative to it).
    if let Some(hit) = found(&[module, prefix].concat()) {
        return Ok(hit);
    }
    // Through `use`: the module part of the used path, matched by suffix against input modules.
    if let Some(target) = scopes.get(module).and_then(|s| s.uses.get(&segs[0])) {
        let full = [target.as_slice(), &segs[1..]].concat();
        if let Some((n, m)) = full.split_last() {
            let m: Vec<String> = m
                .iter()
                .filter(|s| !matches!(s.as_str(), "crate" | "self" | "super"))
                .cloned()
                .collect();
            // The input root may sit anywhere in the crate, so either path may be the longer.
            let mut hits = consts
                .iter()
                .filter(|((cm, cn), _)| cn == n && (cm.ends_with(&m) || (!cm.is_empty() && m.ends_with(cm))));
            if let (Some((_, c)), None) = (hits.next(), hits.next()) {
                return Ok(c);
            }
        }
    }
    // The only const of that name anywhere in the input.
    let mut hits: Vec<_> = consts
        .iter()
        .filter(|((cm, cn), _)| cn == last && cm.ends_with(prefix))
        .collect();
    hits.sort_by(|a, b| a.0.cmp(b.0));
    match hits.as_slice() {
        [(_, c)] => Ok(c),
        [] => Err(format!("no `const {name}` in the input")),
        many => Err(format!(
            "`{name}` is a const in several modules ({}); name it by path",
            many.iter()
                .map(|((m, _), _)| m.join("::"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The JSON value of a const whose initialiser is a literal (string, number, bool, negated number).
pub fn literal(c: &syn::ItemConst) -> Result<Value, String> {
    fn value(e: &syn::Expr) -> Option<Value> {
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(s) => Some(Value::String(s.value())),
                syn::Lit::Bool(b) => Some(Value::Bool(b.value)),
                syn::Lit::Int(i) => i.base10_parse::<i64>().ok().map(Value::from),
                syn::Lit::Float(f) => f
                    .base10_parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number),
                _ => None,
            },
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match value(&u.expr)? {
                Value::Number(n) => n.as_i64().map(|i| Value::from(-i)).or_else(|| {
                    n.as_f64()
                        .and_then(|f| serde_json::Number::from_f64(-f))
                        .map(Value::Number)
                }),
                _ => None,
            },
            syn::Expr::Paren(p) => value(&p.expr),
            syn::Expr::Group(g) => value(&g.expr),
            _ => None,
        }
    }
    value(&c.expr).ok_or_else(|| {
        format!(
            "`const {}` is not a string, number or boolean literal, which is all kgen can read without compiling",
            c.ident
        )
    })
}
