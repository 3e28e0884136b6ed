//! CEL rules as the API server compiles them when a CRD is written: type-checked against the
//! schema node they sit on (`self`, `oldSelf`), with the library set of the target Kubernetes
//! version, and costed with the API server's static estimator against its limits.
//!
//! [`compile`] does one rule; the structural checker ([`super::check`]) calls it for every
//! `x-kubernetes-validations` entry with the node's cardinality, and sums the costs per version.

pub mod checker;
pub mod cost;
pub mod decl;
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

/// The stack the CEL parser runs on: it recurses deeply on some malformed input (a few dozen
/// unbalanced brackets exhaust a 2 MiB test thread in a debug build). Only touched pages are
/// committed, so a large reservation costs nothing.
const PARSER_STACK: usize = 256 * 1024 * 1024;

/// Runs `f` on a thread with [`PARSER_STACK`] (inline if no thread can be started).
pub fn with_parser_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    // The job sits in a shared slot so that it is still here if the thread cannot be started.
    let slot = std::sync::Mutex::new(Some(f));
    let take = || slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    let ran = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || take().map(|job| job()))
            .ok()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    match ran.flatten() {
        Some(v) => v,
        None => match take() {
            Some(job) => job(),
            None => unreachable!("a job that did not run on the thread is still in the slot"),
        },
    }
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
    let (ty, checked) = checker::check(&expr, env);
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
