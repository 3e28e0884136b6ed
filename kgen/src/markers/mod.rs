//! The marker engine: grammar, registry, parsing of both spellings, collection and help.
//!
//! Two spellings parse into one [`Marker`]:
//! - doc comments, exactly as kubebuilder documents them: `/// +kubebuilder:validation:Minimum=1`;
//! - attributes: `#[kgen(minimum = 1)]`.
//!
//! ```
//! use kgen_build::markers::{parse_doc_marker, DocLine, defs::Id};
//! use kgen_build::diag::Location;
//! let loc = Location::file_start(std::path::Path::new("api.rs"));
//! match parse_doc_marker("+kubebuilder:validation:Minimum=1", &loc) {
//!     DocLine::Marker(m) => assert_eq!(m.def.id, Id::Minimum),
//!     _ => unreachable!(),
//! }
//! ```

pub mod anywhere;
pub mod attr;
pub mod collect;
pub mod defs;
pub mod grammar;
pub mod help;
pub mod parse;
pub mod registry;

pub use collect::{Collected, collect};
pub use parse::{DocLine, parse_doc_marker};
pub use registry::{MarkerDef, Registry, Target};

use crate::diag::{Diagnostic, Location};
use serde_json::Value;
use std::collections::BTreeMap;

/// Which spelling a marker was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// `/// +kubebuilder:...`
    Doc,
    /// `#[kgen(...)]`
    Attr,
}

/// One parsed, type-checked marker.
#[derive(Clone, Debug)]
pub struct Marker {
    /// Its definition.
    pub def: &'static MarkerDef,
    /// Arguments by doc-comment name; a single-value marker stores its value under `""`.
    pub args: BTreeMap<&'static str, Value>,
    /// Where it was written.
    pub location: Location,
    /// How it was written.
    pub spelling: Spelling,
}

impl Marker {
    /// The marker's meaning.
    pub fn id(&self) -> defs::Id {
        self.def.id
    }

    /// The doc-comment spelling of the marker's name, for messages: `+kubebuilder:validation:Minimum`.
    pub fn display_name(&self) -> String {
        match (self.spelling, self.def.attr) {
            (Spelling::Attr, Some(attr)) => {
                if self.def.items {
                    format!("#[kgen(items({attr}))]")
                } else {
                    format!("#[kgen({attr})]")
                }
            }
            _ => format!("+{}", self.def.name),
        }
    }

    /// The value of a single-value marker.
    pub fn value(&self) -> &Value {
        self.args.get("").unwrap_or(&Value::Null)
    }

    /// A named argument, if given.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }

    /// A string argument (`""` for the single value).
    pub fn str(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str)
    }

    /// A boolean argument; flags are true.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.args.get(name).and_then(Value::as_bool)
    }

    /// A list-of-strings argument.
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.args.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// An error at this marker.
    pub fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.location.clone(), message)
    }
}
