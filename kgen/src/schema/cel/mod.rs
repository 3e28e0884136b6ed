//! CEL rules as the API server compiles them when a CRD is written: type-checked against the
//! schema node they sit on (`self`, `oldSelf`), with the library set of the target Kubernetes
//! version, and costed with the API server's static estimator against its limits.
//!
//! [`compile`] does one rule; the structural checker ([`super::check`]) calls it for every
//! `x-kubernetes-validations` entry with the node's cardinality, and sums the costs per version.

pub mod checker;
pub mod cost;
pub mod decl;
pub mod defaults;
pub mod library;
pub mod types;

use crate::schema::{Rule, Schema};
use types::Ty;

/// The most a single rule (or messageExpression), times its cardinality, may cost.
pub const PER_RULE_LIMIT: u64 = 10_000_000;
/// The most all rules of one version's schema may cost together.
pub const PER_CRD_LIMIT: u64 = 100_000_000;

/// Where a rule sits.
pub struct Site<'a> {
    /// The schema node holding the rule.
    pub node: &'a Schema,
    /// The root or an embedded resource (`apiVersion`, `kind`, `metadata.name` are visible).
    pub resource_root: bool,
    /// How many times the rule can run per object: the product of the `maxItems` and
    /// `maxProperties` above it, or `None` when something above is unbounded.
    pub cardinality: Option<u64>,
    /// The Kubernetes minor of the target API server.
    pub minor: u32,
}

/// What compiling one rule found.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Errors, each a complete message (`compilation failed: ERROR: <input>:1:6: undefined field 'x'`).
    pub errors: Vec<String>,
    /// The rule's estimated cost times its cardinality, when it compiled.
    pub rule_cost: Option<u64>,
    /// The same for its messageExpression.
    pub message_cost: Option<u64>,
}

/// Runs `f` where the CEL parser has room: it recurses deeply on some malformed input (a few dozen
/// unbalanced brackets exhaust a 2 MiB test thread in a debug build). Inside the pipeline this is
/// the pipeline's own large stack; called alone, a thread with one.
pub fn with_parser_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    crate::source::with_stack(f)
}

/// Compiles `rule` at `site`.
pub fn compile(rule: &Rule, site: &Site<'_>) -> Compiled {
    with_parser_stack(|| compile_here(rule, site))
}

fn compile_here(rule: &Rule, site: &Site<'_>) -> Compiled {
    let mut out = Compiled::default();
    let Some(root) = decl::decl(site.node, site.resource_root) else {
        out.errors.push(
            "rule declared on schema that does not support validation rules (no type, or only unknown fields)".into(),
        );
        return out;
    };
    let cardinality = site.cardinality.unwrap_or_else(|| max_cardinality(root.min_size));
    let env = checker::Env {
        self_ty: root.ty.clone(),
        optional_old_self: rule.optional_old_self == Some(true),
        minor: site.minor,
    };
    if let Some(cost) = one(
        &rule.rule,
        &env,
        &root,
        Ty::Bool,
        "cel expression must evaluate to a bool",
        &mut out,
    ) {
        out.rule_cost = Some(cost.saturating_mul(cardinality));
    }
    if let Some(m) = rule.message_expression.as_deref().filter(|m| !m.trim().is_empty()) {
        let mut inner = Compiled::default();
        if let Some(cost) = one(
            m,
            &env,
            &root,
            Ty::String,
            "messageExpression must evaluate to a string",
            &mut inner,
        ) {
            out.message_cost = Some(cost.saturating_mul(cardinality));
        }
        out.errors
            .extend(inner.errors.into_iter().map(|e| format!("messageExpression {e}")));
    }
    out
}

/// Type-checks and costs one expression; `None` when it does not compile (errors pushed).
fn one(src: &str, env: &checker::Env, root: &decl::Decl, want: Ty, wrong: &str, out: &mut Compiled) -> Option<u64> {
    let (expr, info) = ::cel::parser::Parser::new()
        .enable_optional_syntax(true)
        .parse_with_source_info(src)
        .ok()?; // parse errors are reported by the structural checker already
    let (ty, mut checked) = checker::check(&expr, env);
    // The API server validates regex literals at compile time (cel.ValidateRegexLiterals, 1.29+).
    if env.minor >= REGEX_LITERALS {
        regex_literals(&expr, &mut checked.errors);
    }
    if !checked.errors.is_empty() {
        let lines: Vec<String> = checked
            .errors
            .iter()
            .map(|(id, after, msg)| match info.offset_for(*id) {
                Some((start, stop)) => {
                    let at = if *after { stop as usize + 1 } else { start as usize };
                    let (line, col) = line_col(src, at);
                    format!("ERROR: <input>:{line}:{col}: {msg}")
                }
                None => format!("ERROR: <input>: {msg}"),
            })
            .collect();
        out.errors.push(format!("compilation failed: {}", lines.join("; ")));
        return None;
    }
    if ty != want {
        out.errors.push(format!("{wrong}, but it is {ty}"));
        return None;
    }
    Some(cost::estimate(&expr, &checked, root).max)
}

/// The minor from which new rules get the regex-literal validator.
const REGEX_LITERALS: u32 = 29;

/// Patterns given as literals to `matches`, `find` and `findAll` must compile in Go's dialect.
fn regex_literals(e: &::cel::IdedExpr, errors: &mut Vec<(u64, bool, String)>) {
    use ::cel::common::ast::{EntryExpr, Expr, LiteralValue};
    match &e.expr {
        Expr::Call(call) => {
            if matches!(call.func_name.as_str(), "matches" | "find" | "findAll") {
                // Receiver style: the pattern is the first argument; global `matches(s, p)`: the second.
                let pattern = if call.target.is_some() {
                    call.args.first()
                } else {
                    call.args.get(1)
                };
                if let Some(p) = pattern
                    && let Expr::Literal(LiteralValue::String(text)) = &p.expr
                    && let Err(err) = kgen_schema::go_regex::check(text)
                {
                    errors.push((p.id, false, format!("invalid {} argument: {err}", call.func_name)));
                }
            }
            call.target.iter().for_each(|t| regex_literals(t, errors));
            call.args.iter().for_each(|a| regex_literals(a, errors));
        }
        Expr::Select(s) => regex_literals(&s.operand, errors),
        Expr::List(l) => l.elements.iter().for_each(|x| regex_literals(x, errors)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let EntryExpr::MapEntry(me) = &entry.expr {
                    regex_literals(&me.key, errors);
                    regex_literals(&me.value, errors);
                }
            }
        }
        Expr::Comprehension(c) => {
            for x in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                regex_literals(x, errors);
            }
        }
        _ => {}
    }
}

/// 1-based line and column of a byte offset, counting columns in characters as cel-go does.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// How many values of `min_size` bytes fit in one request: the cardinality of a rule under an
/// unbounded list or map.
pub fn max_cardinality(min_size: i64) -> u64 {
    (decl::MAX_REQUEST_SIZE / (min_size.max(0) + 1)) as u64
}

/// The API server's wording for a cost over a limit.
pub fn over_budget(what: &str, cost: u64, limit: u64) -> String {
    let factor = cost as f64 / limit as f64;
    let shown = if factor > 100.0 {
        "more than 100x".to_string()
    } else if factor < 1.5 {
        format!("{factor:.6}x")
    } else {
        format!("{factor:.1}x")
    };
    format!(
        "{what} exceeds budget by factor of {shown} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )
}

#[cfg(test)]
mod tests;
