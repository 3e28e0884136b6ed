//! The marker registry: one table of definitions drives parsing, validation, suggestions and help.

use super::defs::{self, Id};
use super::grammar::ArgType;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Where a marker may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A group-version module's inner doc comment (`//!`).
    Package,
    /// A struct, enum or type alias.
    Type,
    /// A struct field (or a field of an enum variant).
    Field,
}

impl Target {
    /// Lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Target::Package => "package",
            Target::Type => "type",
            Target::Field => "field",
        }
    }
}

/// One named argument of a marker.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ArgDef {
    /// Name in doc-comment markers (`JSONPath`).
    pub name: &'static str,
    /// Name in `#[kgen(...)]` attributes (`json_path`).
    pub attr: &'static str,
    /// Expected value type.
    #[serde(serialize_with = "ser_type")]
    pub ty: ArgType,
    /// Must be given.
    pub required: bool,
}

fn ser_type<S: serde::Serializer>(ty: &ArgType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ty.describe())
}

/// What follows a marker's name.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// Nothing: `+kubebuilder:subresource:status`. `=true` is accepted too, as in Go code.
    Flag,
    /// A single value: `+kubebuilder:validation:Minimum=1`.
    Value(ArgType),
    /// Named arguments: `+kubebuilder:printcolumn:name="Age",type=date,...`.
    /// `positional` names an argument that may be given first without a name (`+genclient:method=Name,verb=get`).
    Args {
        /// The arguments.
        args: &'static [ArgDef],
        /// The argument that may come first without a name.
        positional: Option<&'static str>,
    },
    /// Anything or nothing: markers that only steer Go code generators (`+k8s:conversion-gen=false`,
    /// `+k8s:prerelease-lifecycle-gen:introduced=1.20`), accepted and not interpreted.
    Opaque,
}

/// The definition of one marker.
#[derive(Debug)]
pub struct MarkerDef {
    /// What the marker means; emitters match on this, never on spellings.
    pub id: Id,
    /// Full doc-comment name without the `+` (`kubebuilder:validation:Minimum`).
    pub name: &'static str,
    /// Name in `#[kgen(...)]`; `None` for markers that only exist as doc comments (package markers).
    pub attr: Option<&'static str>,
    /// What follows the name.
    pub shape: Shape,
    /// Where it may be written.
    pub targets: &'static [Target],
    /// May appear more than once on one item.
    pub repeatable: bool,
    /// True for the `items:` variant, which applies to an array's item schema.
    pub items: bool,
    /// One-line help for `kgen markers`.
    pub help: &'static str,
}

impl MarkerDef {
    /// The argument definitions of a named-argument marker (empty otherwise).
    pub fn args(&self) -> &'static [ArgDef] {
        match self.shape {
            Shape::Args { args, .. } => args,
            _ => &[],
        }
    }

    /// True if the marker may be written on `target`.
    pub fn allows(&self, target: Target) -> bool {
        self.targets.contains(&target)
    }

    /// The doc-comment form, for help and messages: `+kubebuilder:validation:Minimum=<number>`.
    pub fn synopsis(&self) -> String {
        match self.shape {
            Shape::Flag => format!("+{}", self.name),
            Shape::Opaque => format!("+{}[=…]", self.name),
            Shape::Value(ty) => format!("+{}=<{}>", self.name, ty.describe()),
            Shape::Args { args, .. } => {
                let parts: Vec<String> = args
                    .iter()
                    .map(|a| {
                        if a.required {
                            format!("{}=<{}>", a.name, a.ty.describe())
                        } else {
                            format!("[{}=…]", a.name)
                        }
                    })
                    .collect();
                format!("+{}:{}", self.name, parts.join(","))
            }
        }
    }
}

/// Prefixes owned by kgen, controller-gen and code-generator: a `+word` line under one of these
/// must name a registered marker, or it is an error.
pub const KNOWN_PREFIXES: &[&str] = &[
    "kubebuilder:",
    "genclient",
    "k8s:",
    "groupName",
    "versionName",
    "listType",
    "listMapKey",
    "mapType",
    "structType",
    "default",
    "optional",
    "required",
    "nullable",
    "kgen",
    "resourceName",
    "groupGoName",
];

/// The registry: every definition, indexed by doc name and by attribute name.
pub struct Registry {
    defs: &'static [MarkerDef],
    by_name: HashMap<&'static str, &'static MarkerDef>,
    by_attr: HashMap<(&'static str, bool), &'static MarkerDef>,
}

impl Registry {
    /// The one registry, built on first use.
    pub fn global() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let defs = defs::all();
            let mut by_name = HashMap::new();
            let mut by_attr = HashMap::new();
            for def in defs {
                let dup = by_name.insert(def.name, def);
                assert!(dup.is_none(), "marker {} registered twice", def.name);
                if let Some(attr) = def.attr {
                    by_attr.entry((attr, def.items)).or_insert(def);
                }
            }
            Registry { defs, by_name, by_attr }
        })
    }

    /// Every definition, in table order.
    pub fn defs(&self) -> &'static [MarkerDef] {
        self.defs
    }

    /// The definition with this doc-comment name.
    pub fn by_name(&self, name: &str) -> Option<&'static MarkerDef> {
        self.by_name.get(name).copied()
    }

    /// The definition with this attribute name (`items` selects the `items:` variant).
    pub fn by_attr(&self, attr: &str, items: bool) -> Option<&'static MarkerDef> {
        self.by_attr.get(&(attr, items)).copied()
    }

    /// True if `name` falls under a prefix kgen owns (so an unknown name is an error, not a warning).
    pub fn is_known_prefix(name: &str) -> bool {
        KNOWN_PREFIXES.iter().any(|p| {
            if p.ends_with(':') {
                name.starts_with(p)
            } else {
                name == *p || name.starts_with(&format!("{p}:")) || name.starts_with(&format!("{p}="))
            }
        })
    }

    /// The closest registered doc-comment name, for "did you mean".
    pub fn suggest_name(&self, name: &str) -> Option<&'static str> {
        let lower = name.to_ascii_lowercase();
        if let Some(def) = self.defs.iter().find(|d| d.name.to_ascii_lowercase() == lower) {
            return Some(def.name);
        }
        closest(name, self.defs.iter().map(|d| d.name))
    }

    /// The closest attribute name, for "did you mean".
    pub fn suggest_attr(&self, attr: &str) -> Option<&'static str> {
        closest(attr, self.defs.iter().filter_map(|d| d.attr))
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word_l, &c.to_ascii_lowercase());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.85).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_is_reachable_by_name_and_attr() {
        let reg = Registry::global();
        for def in reg.defs() {
            assert!(std::ptr::eq(reg.by_name(def.name).unwrap(), def));
            assert!(!def.targets.is_empty(), "{} has no targets", def.name);
            assert!(!def.help.is_empty(), "{} has no help", def.name);
            for arg in def.args() {
                assert!(!arg.attr.is_empty());
            }
        }
    }

    #[test]
    fn suggestions_find_typos() {
        let reg = Registry::global();
        assert_eq!(
            reg.suggest_name("kubebuilder:validation:enum"),
            Some("kubebuilder:validation:Enum")
        );
        assert_eq!(
            reg.suggest_name("kubebuilder:validation:Optionalx"),
            Some("kubebuilder:validation:Optional")
        );
        assert_eq!(
            reg.suggest_name("kubebuilder:printcolum"),
            Some("kubebuilder:printcolumn")
        );
        assert_eq!(reg.suggest_attr("max_lenght"), Some("max_length"));
        assert!(Registry::is_known_prefix("kubebuilder:foo"));
        assert!(Registry::is_known_prefix("listType"));
        assert!(!Registry::is_known_prefix("defaulted"));
        assert!(!Registry::is_known_prefix("operator-sdk:csv"));
    }
}
