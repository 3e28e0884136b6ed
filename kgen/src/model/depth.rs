//! A bound on how deeply a kind's schema nests: 2,000 structs each holding the next must give a
//! located error, not a schema builder (or checker, or YAML writer) recursing 2,000 levels deep.
//!
//! Heights are computed without recursion; a kind whose schema would nest more than
//! [`MAX_SCHEMA_DEPTH`] levels gets one error, at the field where the limit is crossed, and
//! that field's type becomes [`TypeRef::Error`] so that no later stage goes deeper.

use super::{Kind, TypeBody, TypeDef, TypeRef, VariantData};
use crate::diag::{Diagnostic, Diagnostics, Location};

/// Schema levels below a kind's root that kgen builds. Real APIs stay far below (a Pod template
/// nests about 10 levels); serde_json, and so kube, reads at most 128 levels of JSON, two per
/// level of object properties.
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// Where in a type a reference to another type sits.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// `fields[i]` of a struct.
    Field(usize),
    /// The inner type of a newtype or alias.
    Body,
    /// The data of `variants[v]`.
    Variant(usize),
    /// `fields[f]` of struct variant `variants[v]`.
    VariantField(usize, usize),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    place: Place,
    /// Schema levels the slot's own node adds (1 for a field, 0 for a newtype's inner type).
    base: usize,
    /// Schema levels from the owning type's node to the slot's innermost node (list items and
    /// map values add one each; `Option` adds none).
    levels: usize,
    /// The input type at the bottom of the slot, if any.
    target: Option<usize>,
}

/// Levels a type reference adds, and the named type at its bottom.
fn walk(mut t: &TypeRef) -> (usize, Option<usize>) {
    let mut levels = 0;
    loop {
        match t {
            TypeRef::Option(inner) => t = inner,
            TypeRef::List(inner) | TypeRef::Set(inner) | TypeRef::Map(inner) => {
                levels += 1;
                t = inner;
            }
            TypeRef::Named(id) => return (levels, Some(id.0)),
            _ => return (levels, None),
        }
    }
}

fn slots(t: &TypeDef) -> Vec<Slot> {
    let mut out = Vec::new();
    let mut push = |place: Place, base: usize, ty: &TypeRef| {
        let (levels, target) = walk(ty);
        out.push(Slot {
            place,
            base,
            levels: base + levels,
            target,
        });
    };
    match &t.body {
        TypeBody::Struct(fields) => {
            for (i, f) in fields.iter().enumerate() {
                push(Place::Field(i), 1, &f.ty);
            }
        }
        TypeBody::Newtype(r) | TypeBody::Alias(r) => push(Place::Body, 0, r),
        TypeBody::DataEnum(variants) => {
            for (v, variant) in variants.iter().enumerate() {
                match &variant.data {
                    VariantData::Newtype(r) => push(Place::Variant(v), 1, r),
                    VariantData::Struct(fields) => {
                        for (i, f) in fields.iter().enumerate() {
                            push(Place::VariantField(v, i), 2, &f.ty);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// The type reference at `place` in `t`, where it is, and how to name it in a message.
fn at(t: &mut TypeDef, place: Place) -> Option<(&mut TypeRef, Location, String)> {
    let name = t.name.clone();
    match (&mut t.body, place) {
        (TypeBody::Struct(fields), Place::Field(i)) => {
            let f = fields.get_mut(i)?;
            Some((&mut f.ty, f.location.clone(), format!("{name}.{}", f.rust_name)))
        }
        (TypeBody::Newtype(r) | TypeBody::Alias(r), Place::Body) => Some((r, t.location.clone(), name)),
        (TypeBody::DataEnum(variants), Place::Variant(v)) => {
            let variant = variants.get_mut(v)?;
            let what = format!("{name}::{}", variant.rust_name);
            match &mut variant.data {
                VariantData::Newtype(r) => Some((r, variant.location.clone(), what)),
                _ => None,
            }
        }
        (TypeBody::DataEnum(variants), Place::VariantField(v, i)) => {
            let variant = variants.get_mut(v)?;
            let vname = variant.rust_name.clone();
            match &mut variant.data {
                VariantData::Struct(fields) => {
                    let f = fields.get_mut(i)?;
                    Some((
                        &mut f.ty,
                        f.location.clone(),
                        format!("{name}::{vname}.{}", f.rust_name),
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The number of schema levels below each type's node. A reference back to a type still being
/// measured (a recursive type, reported when schemas are built) counts as nothing.
fn heights(all: &[Vec<Slot>]) -> Vec<usize> {
    const NEW: u8 = 0;
    const ACTIVE: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; all.len()];
    let mut height = vec![0usize; all.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..all.len() {
        if state[root] != NEW {
            continue;
        }
        state[root] = ACTIVE;
        stack.push((root, 0));
        while let Some((t, next)) = stack.last_mut() {
            let t = *t;
            if let Some(slot) = all[t].get(*next) {
                *next += 1;
                if let Some(c) = slot.target
                    && state[c] == NEW
                {
                    state[c] = ACTIVE;
                    stack.push((c, 0));
                }
                continue;
            }
            height[t] = all[t]
                .iter()
                .map(|s| s.levels + s.target.filter(|c| state[*c] == DONE).map_or(0, |c| height[c]))
                .max()
                .unwrap_or(0);
            state[t] = DONE;
            stack.pop();
        }
    }
    height
}

/// Cuts every kind's schema at [`MAX_SCHEMA_DEPTH`] levels, with an error where it is cut.
pub fn limit(types: &mut [TypeDef], kinds: &[Kind], diags: &mut Diagnostics) {
    let mut roots: Vec<(usize, &str)> = kinds.iter().map(|k| (k.type_id.0, k.name.as_str())).collect();
    roots.sort();
    roots.dedup_by_key(|r| r.0);
    let mut all: Vec<Vec<Slot>> = types.iter().map(slots).collect();
    // Each round cuts one slot, after which it is never the deepest path's crossing again (it
    // leaves one level at a depth below the limit), so this ends.
    loop {
        let height = heights(&all);
        let Some(&(root, kind)) = roots.iter().find(|(r, _)| height[*r] > MAX_SCHEMA_DEPTH) else {
            return;
        };
        // Follow the deepest path down to the slot that crosses the limit. Every struct on the
        // way adds a level, so the walk ends; the step count is a second guard.
        let (mut t, mut depth) = (root, 0usize);
        let below = |s: &Slot| s.levels + s.target.map_or(0, |c| height[c]);
        let mut steps = 0;
        let (owner, index) = loop {
            steps += 1;
            let Some((i, slot)) = all[t].iter().enumerate().max_by_key(|(_, s)| below(s)) else {
                return; // a type with a height has slots
            };
            match slot.target {
                Some(c)
                    if depth + slot.levels < MAX_SCHEMA_DEPTH
                        && height[c] > 0
                        && steps <= all.len() + MAX_SCHEMA_DEPTH =>
                {
                    depth += slot.levels;
                    t = c;
                }
                _ => break (t, i),
            }
        };
        let slot = &mut all[owner][index];
        let Some((ty, location, what)) = at(&mut types[owner], slot.place) else {
            return;
        };
        *ty = TypeRef::Error;
        slot.levels = slot.base;
        slot.target = None;
        diags.push(
            Diagnostic::error(
                location,
                format!("`{what}` nests kind {kind}'s schema more than {MAX_SCHEMA_DEPTH} levels deep"),
            )
            .with_help(
                "flatten the types, or make this field serde_json::Value with \
                 +kubebuilder:pruning:PreserveUnknownFields; schemas this deep are beyond what \
                 clients decode (serde_json reads at most 128 levels of JSON)",
            ),
        );
    }
}
