//! The API server's static cost estimate of a rule (cel-go's estimator with Kubernetes' size
//! estimator and library costs): each node's cost is a `[min, max]` range; sizes of strings,
//! lists and maps come from the schema's `maxLength`, `maxItems` and `maxProperties`, else from
//! the 3 MiB request limit; a comprehension costs its range's size times its body.

use super::checker::Checked;
use super::decl::Decl;
use super::library::Overload;
use super::types::Ty;
use ::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use std::collections::HashMap;

/// A `[min, max]` range of a size or a cost, saturating at `u64::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Est {
    /// Lower bound.
    pub min: u64,
    /// Upper bound.
    pub max: u64,
}

const UNKNOWN: Est = Est { min: 0, max: u64::MAX };
const STRING_TRAVERSAL: f64 = 0.1;
const REGEX_LENGTH: f64 = 0.25;

impl Est {
    fn fixed(n: u64) -> Est {
        Est { min: n, max: n }
    }
    fn add(self, o: Est) -> Est {
        Est {
            min: self.min.saturating_add(o.min),
            max: self.max.saturating_add(o.max),
        }
    }
    fn mul(self, o: Est) -> Est {
        Est {
            min: self.min.saturating_mul(o.min),
            max: self.max.saturating_mul(o.max),
        }
    }
    fn factor(self, f: f64) -> Est {
        Est {
            min: by_factor(self.min, f),
            max: by_factor(self.max, f),
        }
    }
    fn union(self, o: Est) -> Est {
        Est {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }
}

/// `x * f`, rounded up, saturating.
fn by_factor(x: u64, f: f64) -> u64 {
    let v = (x as f64 * f).ceil();
    if v >= 18_446_744_073_709_551_616.0 {
        u64::MAX
    } else {
        v as u64
    }
}

#[derive(Clone, Copy)]
struct Entry {
    list: bool,
    key: Est,
    val: Est,
}

struct Local {
    name: String,
    path: Vec<String>,
    size: Option<Est>,
    entry: Option<Entry>,
}

/// Estimates the cost of a checked expression whose `self` is `root`.
pub fn estimate(e: &IdedExpr, checked: &Checked, root: &Decl) -> Est {
    let mut c = Coster {
        checked,
        root,
        paths: HashMap::new(),
        sizes: HashMap::new(),
        entries: HashMap::new(),
        locals: Vec::new(),
    };
    c.cost(e)
}

struct Coster<'a> {
    checked: &'a Checked,
    root: &'a Decl,
    paths: HashMap<u64, Vec<String>>,
    sizes: HashMap<u64, Est>,
    entries: HashMap<u64, Entry>,
    locals: Vec<Local>,
}

impl Coster<'_> {
    fn ty(&self, e: &IdedExpr) -> Ty {
        self.checked.types.get(&e.id).cloned().unwrap_or(Ty::Dyn)
    }

    fn local(&self, name: &str) -> Option<&Local> {
        self.locals.iter().rev().find(|l| l.name == name)
    }

    fn path(&self, e: &IdedExpr) -> Vec<String> {
        if let Expr::Ident(n) = &e.expr
            && let Some(l) = self.local(n)
        {
            return l.path.clone();
        }
        self.paths.get(&e.id).cloned().unwrap_or_default()
    }

    /// The size CEL can tell for `e` (cel-go's `computeSize`), if any.
    fn size(&self, e: &IdedExpr) -> Option<Est> {
        if let Some(s) = self.sizes.get(&e.id) {
            return Some(*s);
        }
        match &e.expr {
            Expr::Literal(LiteralValue::String(s)) => return Some(Est::fixed(s.chars().count() as u64)),
            Expr::Literal(LiteralValue::Bytes(b)) => return Some(Est::fixed(b.len() as u64)),
            Expr::Literal(_) => return Some(Est::fixed(1)),
            Expr::List(l) => return Some(Est::fixed(l.elements.len() as u64)),
            Expr::Map(m) => return Some(Est::fixed(m.entries.len() as u64)),
            _ => {}
        }
        if let Some(s) = self.path_size(&self.path(e)) {
            return Some(s);
        }
        if self.ty(e).is_scalar() {
            return Some(Est::fixed(1));
        }
        if let Expr::Ident(n) = &e.expr {
            return self.local(n).and_then(|l| l.size);
        }
        None
    }

    /// Kubernetes' size estimator: the schema node the path leads to bounds the size.
    fn path_size(&self, path: &[String]) -> Option<Est> {
        if path.is_empty() || path[0].starts_with('@') {
            return None;
        }
        self.root.at(path).map(|d| Est {
            min: 0,
            max: d.max_elements,
        })
    }

    fn size_or_unknown(&self, e: &IdedExpr) -> Est {
        self.size(e).unwrap_or(UNKNOWN)
    }

    fn entry(&self, e: &IdedExpr) -> Option<Entry> {
        if let Some(en) = self.entries.get(&e.id) {
            return Some(*en);
        }
        if let Expr::Ident(n) = &e.expr {
            return self.local(n).and_then(|l| l.entry);
        }
        None
    }

    fn cost(&mut self, e: &IdedExpr) -> Est {
        match &e.expr {
            Expr::Literal(_) => Est::fixed(0),
            Expr::Ident(name) => {
                let path = match self.local(name) {
                    Some(l) => l.path.clone(),
                    None => vec![name.clone()],
                };
                self.paths.insert(e.id, path);
                Est::fixed(1)
            }
            Expr::Select(sel) => {
                if sel.test {
                    return Est::fixed(1).add(self.cost(&sel.operand));
                }
                let mut sum = self.cost(&sel.operand);
                if matches!(self.ty(&sel.operand), Ty::Map(..) | Ty::Object(_)) {
                    sum = sum.add(Est::fixed(1));
                }
                let mut path = self.path(&sel.operand);
                if !path.is_empty() {
                    path.push(sel.field.clone());
                }
                self.paths.insert(e.id, path);
                sum
            }
            Expr::Call(call) => self.call(e, &call.func_name, call.target.as_deref(), &call.args),
            Expr::List(list) => {
                let mut sum = Est::fixed(0);
                let mut item = if list.elements.is_empty() {
                    Est::fixed(0)
                } else {
                    Est { min: u64::MAX, max: 0 }
                };
                for el in &list.elements {
                    sum = sum.add(self.cost(el));
                    item = item.union(self.size_or_unknown(el));
                }
                self.entries.insert(
                    e.id,
                    Entry {
                        list: true,
                        key: Est::fixed(1),
                        val: item,
                    },
                );
                sum.add(Est::fixed(10))
            }
            Expr::Map(map) => {
                let mut sum = Est::fixed(0);
                let empty = map.entries.is_empty();
                let start = if empty {
                    Est::fixed(0)
                } else {
                    Est { min: u64::MAX, max: 0 }
                };
                let (mut key, mut val) = (start, start);
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        sum = sum.add(self.cost(&me.key)).add(self.cost(&me.value));
                        key = key.union(self.size_or_unknown(&me.key));
                        val = val.union(self.size_or_unknown(&me.value));
                    }
                }
                self.entries.insert(e.id, Entry { list: false, key, val });
                sum.add(Est::fixed(30))
            }
            Expr::Struct(s) => {
                let mut sum = Est::fixed(40);
                for entry in &s.entries {
                    if let EntryExpr::StructField(sf) = &entry.expr {
                        sum = sum.add(self.cost(&sf.value));
                    }
                }
                sum
            }
            Expr::Comprehension(comp) => {
                let mut sum = self.cost(&comp.iter_range).add(self.cost(&comp.accu_init));
                let accu = Local {
                    name: comp.accu_var.clone(),
                    path: self.path(&comp.accu_init),
                    size: self.size(&comp.accu_init),
                    entry: self.entry(&comp.accu_init),
                };
                self.locals.push(accu);
                let range_entry = self.entry(&comp.iter_range);
                let is_list = range_entry
                    .map(|en| en.list)
                    .unwrap_or(matches!(self.ty(&comp.iter_range), Ty::List(_)));
                let range_path = self.path(&comp.iter_range);
                let with = |sub: &str| {
                    let mut p = range_path.clone();
                    if !p.is_empty() {
                        p.push(sub.into());
                    }
                    p
                };
                let pushed = match &comp.iter_var2 {
                    Some(v2) => {
                        self.locals.push(Local {
                            name: comp.iter_var.clone(),
                            path: with(if is_list { "@indices" } else { "@keys" }),
                            size: range_entry.map(|en| en.key),
                            entry: None,
                        });
                        self.locals.push(Local {
                            name: v2.clone(),
                            path: with(if is_list { "@items" } else { "@values" }),
                            size: range_entry.map(|en| en.val),
                            entry: None,
                        });
                        2
                    }
                    None => {
                        self.locals.push(Local {
                            name: comp.iter_var.clone(),
                            path: with(if is_list { "@items" } else { "@keys" }),
                            size: range_entry.map(|en| if is_list { en.val } else { en.key }),
                            entry: None,
                        });
                        1
                    }
                };
                let loop_cost = self.cost(&comp.loop_cond);
                let step_cost = self.cost(&comp.loop_step);
                for _ in 0..pushed {
                    self.locals.pop();
                }
                sum = sum.add(self.cost(&comp.result));
                self.locals.pop();
                let count = self.size_or_unknown(&comp.iter_range);
                sum = sum.add(count.mul(step_cost.add(loop_cost)));
                match &comp.accu_init.expr {
                    Expr::Literal(_) => {
                        if let Some(s) = self.size(&comp.accu_init) {
                            self.sizes.insert(e.id, s);
                        }
                    }
                    Expr::List(_) | Expr::Map(_) => {
                        self.sizes.insert(e.id, count);
                        if let Some(en) = self.entry(&comp.loop_step) {
                            self.entries.insert(e.id, en);
                        }
                    }
                    _ => {}
                }
                sum
            }
            Expr::Unspecified => Est::fixed(0),
        }
    }

    fn call(&mut self, e: &IdedExpr, name: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> Est {
        if name == "dyn" && args.len() == 1 {
            let c = self.cost(&args[0]);
            if let Some(s) = self.size(&args[0]) {
                self.sizes.insert(e.id, s);
            }
            if let Some(en) = self.entry(&args[0]) {
                self.entries.insert(e.id, en);
            }
            return Est::fixed(1).add(c);
        }
        // A namespaced function (`sets.contains`) was checked with its namespace as a name, not a target.
        let namespaced = target.is_some_and(|t| {
            matches!(&t.expr, Expr::Ident(ns) if self.checked.overloads.get(&e.id).is_some_and(|os| os.iter().any(|o| o.name.starts_with(&format!("{ns}.")))))
        });
        let target = if namespaced { None } else { target };
        let arg_costs: Vec<Est> = args.iter().map(|a| self.cost(a)).collect();
        let Some(overloads) = self.checked.overloads.get(&e.id).cloned() else {
            return Est::fixed(0);
        };
        let mut sum = Est::fixed(0);
        if let Some(t) = target {
            sum = sum.add(self.cost(t));
        }
        let mut fn_cost = Est { min: u64::MAX, max: 0 };
        let mut result: Option<Est> = None;
        for o in &overloads {
            let (c, size) = self.function_cost(e, name, o, target, args, &arg_costs);
            fn_cost = fn_cost.union(c);
            if let Some(s) = size {
                result = Some(result.map_or(s, |r| r.union(s)));
            }
            match o.id {
                "index_list" | "index_map" if !args.is_empty() => {
                    result = self.entry(&args[0]).map(|en| en.val);
                    let mut p = self.path(&args[0]);
                    if !p.is_empty() {
                        p.push(if o.id == "index_list" { "@items" } else { "@values" }.into());
                    }
                    self.paths.insert(e.id, p);
                }
                _ => {}
            }
            if result.is_none() {
                result = self.size(e);
            }
        }
        if let Some(r) = result {
            self.sizes.insert(e.id, r);
        }
        sum.add(fn_cost)
    }

    /// One overload's cost (and result size): Kubernetes' library estimates first, then cel-go's.
    fn function_cost(
        &mut self,
        e: &IdedExpr,
        name: &str,
        o: &Overload,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
        arg_costs: &[Est],
    ) -> (Est, Option<Est>) {
        let arg_sum = arg_costs.iter().fold(Est::fixed(0), |a, b| a.add(*b));
        if let Some((c, size)) = self.kubernetes_cost(name, o, target, args) {
            return (c.add(arg_sum), size);
        }
        let one = Est::fixed(1);
        match o.id {
            "string_format" => {
                if let Some(t) = target {
                    return (self.size_or_unknown(t).factor(STRING_TRAVERSAL).add(arg_sum), None);
                }
            }
            "string_to_bytes" if args.len() == 1 => {
                let sz = self.size_or_unknown(&args[0]);
                let size = Est {
                    min: sz.min,
                    max: sz.max.saturating_mul(4),
                };
                return (sz.factor(STRING_TRAVERSAL).add(arg_sum), Some(size));
            }
            "bytes_to_string" if args.len() == 1 => {
                let sz = self.size_or_unknown(&args[0]);
                return (
                    sz.factor(STRING_TRAVERSAL).add(arg_sum),
                    Some(Est {
                        min: sz.min / 4,
                        max: sz.max,
                    }),
                );
            }
            "strings_quote" if args.len() == 1 => {
                let sz = self.size_or_unknown(&args[0]);
                let size = Est {
                    min: sz.min.saturating_add(2),
                    max: sz.max.saturating_mul(2).saturating_add(2),
                };
                return (sz.factor(STRING_TRAVERSAL).add(arg_sum), Some(size));
            }
            "starts_with_string" | "ends_with_string" if args.len() == 1 => {
                return (
                    self.size_or_unknown(&args[0]).factor(STRING_TRAVERSAL).add(arg_sum),
                    None,
                );
            }
            "in_list" if args.len() == 2 => {
                return (self.size_or_unknown(&args[1]).factor(1.0).add(arg_sum), None);
            }
            "matches_string" => {
                // Receiver style or global: the string, then the pattern.
                let (s, re) = match (target, args) {
                    (Some(t), [re]) => (t, re),
                    (None, [s, re]) => (s, re),
                    _ => return (one.add(arg_sum), None),
                };
                let str_cost = self.size_or_unknown(s).add(one).factor(STRING_TRAVERSAL);
                let re_cost = self.size_or_unknown(re).factor(REGEX_LENGTH);
                return (str_cost.mul(re_cost).add(arg_sum), None);
            }
            "contains_string" => {
                if let (Some(t), [sub]) = (target, args) {
                    let s = self.size_or_unknown(t).factor(STRING_TRAVERSAL);
                    let sub = self.size_or_unknown(sub).factor(STRING_TRAVERSAL);
                    return (s.mul(sub).add(arg_sum), None);
                }
            }
            "logical_or" | "logical_and" if arg_costs.len() == 2 => {
                let (l, r) = (arg_costs[0], arg_costs[1]);
                return (
                    Est {
                        min: l.min,
                        max: l.add(r).max,
                    },
                    None,
                );
            }
            "conditional" if args.len() == 3 => {
                let size = self.size_or_unknown(&args[1]).union(self.size_or_unknown(&args[2]));
                if let (Some(a), Some(b)) = (self.entry(&args[1]), self.entry(&args[2])) {
                    self.entries.insert(
                        e.id,
                        Entry {
                            list: a.list,
                            key: a.key.union(b.key),
                            val: a.val.union(b.val),
                        },
                    );
                }
                let c = arg_costs[0].add(arg_costs[1].union(arg_costs[2]));
                return (c, Some(size));
            }
            "add_string" | "add_bytes" | "add_list" if args.len() == 2 => {
                let size = self.size_or_unknown(&args[0]).add(self.size_or_unknown(&args[1]));
                if let (Some(a), Some(b)) = (self.entry(&args[0]), self.entry(&args[1])) {
                    self.entries.insert(
                        e.id,
                        Entry {
                            list: a.list,
                            key: a.key.union(b.key),
                            val: a.val.union(b.val),
                        },
                    );
                }
                if o.id == "add_list" {
                    return (one.add(arg_sum), Some(size));
                }
                return (size.factor(STRING_TRAVERSAL).add(arg_sum), Some(size));
            }
            "less_string"
            | "greater_string"
            | "less_equals_string"
            | "greater_equals_string"
            | "less_bytes"
            | "greater_bytes"
            | "less_equals_bytes"
            | "greater_equals_bytes"
            | "equals"
            | "not_equals"
                if args.len() == 2 =>
            {
                let l = self.size_or_unknown(&args[0]);
                let r = self.size_or_unknown(&args[1]);
                let smallest = l.max.min(r.max);
                let c = Est {
                    min: u64::from(smallest > 0),
                    max: smallest,
                };
                return (c.factor(STRING_TRAVERSAL).add(arg_sum), None);
            }
            _ => {}
        }
        (one.add(arg_sum), None)
    }

    /// Kubernetes' `EstimateCallCost`, keyed on the function name as the API server's is.
    fn kubernetes_cost(
        &mut self,
        name: &str,
        o: &Overload,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) -> Option<(Est, Option<Est>)> {
        let one = Est::fixed(1);
        let size_of = |c: &Self, e: &IdedExpr| c.size_or_unknown(e);
        match name {
            "isSorted" | "sum" | "max" | "min" | "indexOf" | "lastIndexOf" => {
                let t = target?;
                match self.ty(t) {
                    Ty::List(elem) => {
                        let mut el_cost = one;
                        if matches!(*elem, Ty::String | Ty::Bytes) {
                            let mut p = self.path(t);
                            let sz = if p.is_empty() {
                                UNKNOWN
                            } else {
                                p.push("@items".into());
                                self.path_size(&p).unwrap_or(UNKNOWN)
                            };
                            el_cost = el_cost.add(sz.factor(STRING_TRAVERSAL));
                        }
                        Some((size_of(self, t).mul(el_cost), None))
                    }
                    _ => Some((size_of(self, t).factor(STRING_TRAVERSAL), None)),
                }
            }
            "url" if args.len() == 1 => Some((size_of(self, &args[0]).factor(STRING_TRAVERSAL), None)),
            "lowerAscii" | "upperAscii" | "substring" | "trim" => {
                let sz = size_of(self, target?);
                Some((sz.factor(STRING_TRAVERSAL), Some(sz)))
            }
            "replace" if args.len() >= 2 => {
                let sz = size_of(self, target?);
                let from = size_of(self, &args[0]);
                let with = size_of(self, &args[1]);
                let (mut count, mut kept) = (Est::fixed(0), Est::fixed(0));
                if from.min == 0 {
                    count.max = if sz.max < u64::MAX { sz.max + 1 } else { sz.max };
                    kept.max = sz.max;
                } else if with.max <= from.min {
                    kept.max = sz.max;
                } else {
                    count.max = (sz.max as f64 / from.min as f64).ceil() as u64;
                }
                if from.max == 0 {
                    count.min = if sz.min < u64::MAX { sz.min + 1 } else { sz.min };
                    kept.min = sz.min;
                } else if from.max <= with.min {
                    kept.min = sz.min;
                } else {
                    count.min = (sz.min as f64 / from.max as f64).ceil() as u64;
                }
                let size = count.mul(with).add(kept);
                Some((sz.factor(2.0 * STRING_TRAVERSAL), Some(size)))
            }
            "split" => {
                let sz = size_of(self, target?);
                let mut max = sz.max;
                if let Some(limit) = args.get(1)
                    && let Expr::Literal(LiteralValue::Int(n)) = &limit.expr
                {
                    max = u64::try_from(**n).unwrap_or(0);
                }
                Some((sz.factor(2.0 * STRING_TRAVERSAL), Some(Est { min: 0, max })))
            }
            "join" => {
                let t = target?;
                let list = size_of(self, t);
                let mut p = self.path(t);
                let elem = if p.is_empty() {
                    UNKNOWN
                } else {
                    p.push("@items".into());
                    self.path_size(&p).unwrap_or(UNKNOWN)
                };
                let mut sz = list.mul(elem);
                if let Some(sep) = args.first() {
                    let sep = size_of(self, sep);
                    let seps = Est {
                        min: list.min.saturating_sub(1),
                        max: list.max.saturating_sub(1),
                    };
                    sz = sz.add(sep.mul(seps));
                }
                Some((sz.factor(STRING_TRAVERSAL), Some(sz)))
            }
            "find" | "findAll" if !args.is_empty() => {
                let sz = size_of(self, target?);
                let str_cost = sz.add(one).factor(STRING_TRAVERSAL);
                let re_cost = size_of(self, &args[0]).factor(REGEX_LENGTH);
                Some((str_cost.mul(re_cost), Some(Est { min: 0, max: sz.max })))
            }
            "cidr" | "isIP" | "isCIDR" => {
                target?;
                Some((size_of(self, args.first()?).factor(STRING_TRAVERSAL), None))
            }
            "ip" => {
                target?;
                if o.id == "cidr_ip" || args.is_empty() {
                    return Some((one, None));
                }
                Some((size_of(self, &args[0]).factor(STRING_TRAVERSAL), None))
            }
            "ip.isCanonical" => {
                target?;
                Some((size_of(self, args.first()?).factor(2.0 * STRING_TRAVERSAL), None))
            }
            "masked"
            | "prefixLength"
            | "family"
            | "isUnspecified"
            | "isLoopback"
            | "isLinkLocalMulticast"
            | "isLinkLocalUnicast" => Some((one, None)),
            "containsIP" | "containsCIDR" if !args.is_empty() => {
                target?;
                let sz = Est { min: 4, max: 16 };
                let mut c = sz.add(sz).factor(STRING_TRAVERSAL);
                if name == "containsCIDR" {
                    c = c.add(sz.factor(STRING_TRAVERSAL)).add(one);
                }
                if o.id.ends_with("_string") {
                    c = c.add(size_of(self, &args[0]).factor(STRING_TRAVERSAL));
                }
                Some((c, None))
            }
            "quantity" | "isQuantity" => {
                target?;
                Some((size_of(self, args.first()?).factor(STRING_TRAVERSAL), None))
            }
            "sign" | "asInteger" | "isInteger" | "asApproximateFloat" | "isGreaterThan" | "isLessThan"
            | "compareTo" | "add" | "sub" => Some((one, None)),
            _ => None,
        }
    }
}
