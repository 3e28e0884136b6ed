//! Type-checks a parsed CEL rule against the schema node it sits on, as the API server's CEL
//! environment does: declared variables (`self`, `oldSelf`), fields of objects, overloads of the
//! enabled libraries, homogeneous literals, comprehension variables.

use super::library::{self, Overload};
use super::types::{Bindings, Ty};
use ::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use std::collections::HashMap;
use std::sync::Arc;

/// What the checker knows about the rule's surroundings.
pub struct Env {
    /// The type of `self` (and of `oldSelf`).
    pub self_ty: Ty,
    /// `optionalOldSelf: true` makes `oldSelf` an optional.
    pub optional_old_self: bool,
    /// The Kubernetes minor whose library set new rules get.
    pub minor: u32,
}

/// The checker's result for one expression.
#[derive(Default)]
pub struct Checked {
    /// The type of each node, by expression id.
    pub types: HashMap<u64, Ty>,
    /// The overloads a call may resolve to, by expression id.
    pub overloads: HashMap<u64, Vec<&'static Overload>>,
    /// Errors as `(expression id, after, message)`, in the order found; `after` places the error
    /// just past the node (where `has(x.f)`'s dot is, since the macro's node has no position of its own).
    pub errors: Vec<(u64, bool, String)>,
}

/// Checks `e` and returns its type with what was learned.
pub fn check(e: &IdedExpr, env: &Env) -> (Ty, Checked) {
    let mut c = Checker {
        env,
        scopes: Vec::new(),
        out: Checked::default(),
    };
    let t = c.expr(e);
    (t, c.out)
}

struct Checker<'e> {
    env: &'e Env,
    scopes: Vec<(String, Ty)>,
    out: Checked,
}

/// Type names usable as values (`type(x) == string`).
fn type_name(name: &str) -> Option<Ty> {
    Some(match name {
        "bool" => Ty::Bool,
        "int" => Ty::Int,
        "uint" => Ty::Uint,
        "double" => Ty::Double,
        "string" => Ty::String,
        "bytes" => Ty::Bytes,
        "null_type" => Ty::Null,
        "list" => Ty::list(Ty::Dyn),
        "map" => Ty::map(Ty::Dyn, Ty::Dyn),
        "type" => Ty::Type(Arc::new(Ty::Dyn)),
        "dyn" => Ty::Dyn,
        "google.protobuf.Timestamp" => Ty::Timestamp,
        "google.protobuf.Duration" => Ty::Duration,
        _ => return None,
    })
}

impl Checker<'_> {
    fn err(&mut self, id: u64, msg: String) -> Ty {
        self.out.errors.push((id, false, msg));
        Ty::Error
    }

    fn lookup(&self, name: &str) -> Option<Ty> {
        if let Some((_, t)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return Some(t.clone());
        }
        match name {
            "self" => Some(self.env.self_ty.clone()),
            "oldSelf" if self.env.optional_old_self => Some(Ty::Optional(Arc::new(self.env.self_ty.clone()))),
            "oldSelf" => Some(self.env.self_ty.clone()),
            _ => type_name(name).map(|t| Ty::Type(Arc::new(t))),
        }
    }

    fn expr(&mut self, e: &IdedExpr) -> Ty {
        let t = self.expr_inner(e);
        self.out.types.insert(e.id, t.clone());
        t
    }

    fn expr_inner(&mut self, e: &IdedExpr) -> Ty {
        match &e.expr {
            Expr::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::UInt(_) => Ty::Uint,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Null => Ty::Null,
            },
            Expr::Ident(name) => match self.lookup(name) {
                Some(t) => t,
                None => self.err(e.id, format!("undeclared reference to '{name}' (in container '')")),
            },
            Expr::Select(sel) => {
                // A qualified type name such as `google.protobuf.Timestamp`.
                if let Some(q) = qualified(e)
                    && let Some(t) = type_name(&q)
                    && self.lookup(q.split('.').next().unwrap_or("")).is_none()
                {
                    return Ty::Type(Arc::new(t));
                }
                let operand = self.expr(&sel.operand);
                let before = self.out.errors.len();
                let field = self.field(e.id, &operand, &sel.field);
                if sel.test {
                    for err in &mut self.out.errors[before..] {
                        *err = (sel.operand.id, true, std::mem::take(&mut err.2));
                    }
                    Ty::Bool
                } else {
                    field
                }
            }
            Expr::Call(call) => self.call(e, &call.func_name, call.target.as_deref(), &call.args),
            Expr::List(list) => {
                let mut elem: Option<Ty> = None;
                for (i, el) in list.elements.iter().enumerate() {
                    let mut t = self.expr(el);
                    if list.optional_indices.contains(&i) {
                        t = match t {
                            Ty::Optional(inner) => (*inner).clone(),
                            Ty::Dyn | Ty::Error => Ty::Dyn,
                            other => self.err(el.id, format!("expected type 'optional_type' but found '{other}'")),
                        };
                    }
                    elem = Some(self.join_literal(el.id, elem, t));
                }
                Ty::list(elem.unwrap_or(Ty::Dyn))
            }
            Expr::Map(map) => {
                let (mut key, mut value): (Option<Ty>, Option<Ty>) = (None, None);
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(me) => {
                            let k = self.expr(&me.key);
                            key = Some(self.join_literal(me.key.id, key, k));
                            let mut v = self.expr(&me.value);
                            if me.optional {
                                v = match v {
                                    Ty::Optional(inner) => (*inner).clone(),
                                    other => other,
                                };
                            }
                            value = Some(self.join_literal(me.value.id, value, v));
                        }
                        EntryExpr::StructField(sf) => {
                            self.expr(&sf.value);
                        }
                    }
                }
                Ty::map(key.unwrap_or(Ty::Dyn), value.unwrap_or(Ty::Dyn))
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(sf) = &entry.expr {
                        self.expr(&sf.value);
                    }
                }
                self.err(
                    e.id,
                    format!("undeclared reference to '{}' (in container '')", s.type_name),
                )
            }
            Expr::Comprehension(comp) => {
                let range = self.expr(&comp.iter_range);
                let (first, second) = match &range {
                    Ty::List(t) => (Ty::Int, (**t).clone()),
                    Ty::Map(k, v) => ((**k).clone(), (**v).clone()),
                    Ty::Dyn | Ty::Error => (Ty::Dyn, Ty::Dyn),
                    other => {
                        let msg = format!(
                            "expression of type '{other}' cannot be range of a comprehension (must be list, map, or dynamic)"
                        );
                        self.err(comp.iter_range.id, msg);
                        (Ty::Error, Ty::Error)
                    }
                };
                let accu = self.expr(&comp.accu_init);
                let mark = self.scopes.len();
                match &comp.iter_var2 {
                    Some(v2) => {
                        self.scopes.push((comp.iter_var.clone(), first));
                        self.scopes.push((v2.clone(), second));
                    }
                    None => {
                        let single = if matches!(range, Ty::List(_)) { second } else { first };
                        self.scopes.push((comp.iter_var.clone(), single));
                    }
                }
                self.scopes.push((comp.accu_var.clone(), accu.clone()));
                self.expr(&comp.loop_cond);
                let step = self.expr(&comp.loop_step);
                // A macro starting from `[]` learns its element type from the step.
                let accu = refine(accu, step);
                self.scopes.truncate(mark);
                self.scopes.push((comp.accu_var.clone(), accu));
                let result = self.expr(&comp.result);
                self.scopes.truncate(mark);
                result
            }
            Expr::Unspecified => Ty::Dyn,
        }
    }

    /// Homogeneous aggregate literals: every element has the first element's type (or dyn).
    fn join_literal(&mut self, id: u64, so_far: Option<Ty>, next: Ty) -> Ty {
        match so_far {
            None => next,
            Some(prev) if prev.is_dyn() => next,
            Some(prev) => {
                if next.is_dyn() || Bindings::default().fits(&prev, &next) {
                    prev
                } else {
                    self.err(id, format!("expected type '{prev}' but found '{next}'"));
                    prev
                }
            }
        }
    }

    fn field(&mut self, id: u64, operand: &Ty, field: &str) -> Ty {
        match operand {
            // cel-go selects through an optional and keeps the result optional (`oldSelf.x` with
            // optionalOldSelf is `optional(type of x)`).
            Ty::Optional(inner) => match self.field(id, inner, field) {
                Ty::Error => Ty::Error,
                t => Ty::Optional(Arc::new(t)),
            },
            Ty::Object(o) => match o.fields.get(field) {
                Some(t) => t.clone(),
                None => self.err(id, format!("undefined field '{field}'")),
            },
            Ty::Map(k, v) => {
                if !matches!(**k, Ty::String | Ty::Dyn | Ty::Error) {
                    return self.err(id, format!("type '{operand}' does not support field selection"));
                }
                (**v).clone()
            }
            Ty::Dyn | Ty::Error => Ty::Dyn,
            other => self.err(id, format!("type '{other}' does not support field selection")),
        }
    }

    fn call(&mut self, e: &IdedExpr, name: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> Ty {
        // `a.?b`: an optional field selection.
        if name == "_?._" && args.len() == 2 {
            let operand = self.expr(&args[0]);
            let inner = match operand {
                Ty::Optional(t) => (*t).clone(),
                other => other,
            };
            let field = match &args[1].expr {
                Expr::Literal(LiteralValue::String(s)) => s.to_string(),
                _ => String::new(),
            };
            let t = self.field(e.id, &inner, &field);
            return Ty::Optional(Arc::new(t));
        }
        // `sets.contains(...)`, `optional.of(...)`: a namespaced global function.
        if let Some(t) = target
            && let Expr::Ident(ns) = &t.expr
            && self.scopes.iter().all(|(n, _)| n != ns)
            && ns != "self"
            && ns != "oldSelf"
        {
            let qualified = format!("{ns}.{name}");
            if library::is_function(&qualified) {
                return self.resolve(e, &qualified, false, args.iter().collect());
            }
        }
        let mut arg_types = Vec::with_capacity(args.len() + 1);
        if let Some(t) = target {
            arg_types.push(self.expr(t));
        }
        for a in args {
            arg_types.push(self.expr(a));
        }
        self.resolve_types(e.id, name, target.is_some(), arg_types)
    }

    fn resolve(&mut self, e: &IdedExpr, name: &str, member: bool, args: Vec<&IdedExpr>) -> Ty {
        let types = args.iter().map(|a| self.expr(a)).collect();
        self.resolve_types(e.id, name, member, types)
    }

    fn resolve_types(&mut self, id: u64, name: &str, member: bool, args: Vec<Ty>) -> Ty {
        // One mistake is reported once: a call on an erroneous argument stays an error silently.
        if args.iter().any(|a| matches!(a, Ty::Error)) {
            return Ty::Error;
        }
        let candidates: Vec<&'static Overload> = library::overloads()
            .iter()
            .filter(|o| o.name == name && o.member == member && o.params.len() == args.len())
            .collect();
        let mut matched = Vec::new();
        let mut result: Option<Ty> = None;
        let mut too_new: Option<u32> = None;
        for o in &candidates {
            let mut b = Bindings::default();
            if o.params.iter().zip(&args).all(|(p, a)| b.fits(p, a)) {
                if o.since > self.env.minor {
                    too_new = Some(too_new.map_or(o.since, |v: u32| v.min(o.since)));
                    continue;
                }
                let r = b.substitute(&o.result);
                result = Some(match result {
                    None => r,
                    Some(prev) if prev == r => prev,
                    Some(_) => Ty::Dyn,
                });
                matched.push(*o);
            }
        }
        if let Some(r) = result {
            self.out.overloads.insert(id, matched);
            return r;
        }
        if let Some(v) = too_new {
            return self.err(
                id,
                format!(
                    "found no matching overload for '{name}' in Kubernetes 1.{}: it needs 1.{v} or later \
                     (the API server gives new rules the library of its own version minus one)",
                    self.env.minor
                ),
            );
        }
        if candidates.is_empty() && !library::overloads().iter().any(|o| o.name == name) {
            return self.err(id, format!("undeclared reference to '{name}' (in container '')"));
        }
        let shown = if member && !args.is_empty() {
            let rest: Vec<String> = args[1..].iter().map(ToString::to_string).collect();
            format!("{}.({})", args[0], rest.join(", "))
        } else {
            let all: Vec<String> = args.iter().map(ToString::to_string).collect();
            format!("({})", all.join(", "))
        };
        self.err(
            id,
            format!("found no matching overload for '{name}' applied to '{shown}'"),
        )
    }
}

/// `a.b.c` as one dotted name, when the expression is only identifiers and selections.
fn qualified(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) if !s.test => Some(format!("{}.{}", qualified(&s.operand)?, s.field)),
        _ => None,
    }
}

/// The accumulator's type once the step is known (`[]` → `list(T)`, `{}` → `map(K, V)`).
fn refine(accu: Ty, step: Ty) -> Ty {
    match (&accu, &step) {
        (Ty::List(a), Ty::List(_)) if a.is_dyn() => step,
        (Ty::Map(k, v), Ty::Map(_, _)) if k.is_dyn() && v.is_dyn() => step,
        _ => accu,
    }
}
