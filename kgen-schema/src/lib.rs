//! The schema model of Kubernetes custom resources, and what the API server does with values.
//!
//! - [`types`]: the OpenAPI v3 subset CRDs use (`JSONSchemaProps`) as [`Schema`], with CEL
//!   [`Rule`]s and the source [`Location`] each node came from;
//! - [`validate`]: pruning, defaulting and value validation in the API server's order and wording;
//! - [`api_server`]: the field errors `kube-apiserver` reports for an invalid custom resource,
//!   worded, ordered and printed as it does;
//! - [`go_regex`]: `pattern`s as the API server's Go `regexp` reads them: Go's errors and the
//!   constructs it reads differently from Rust, and a translation to the `regex` crate.
//!
//! Both sides of kgen need these: the generator (`kgen-build`) builds schemas and checks defaults
//! and examples against them; the fake API server (`kgen-fake`) validates objects with them. The
//! crate depends on serde, serde_json and regex only.
//!
//! ```
//! use kgen_schema::{Schema, validate::validate_value};
//! use serde_json::json;
//!
//! let schema: Schema = serde_json::from_value(json!({"type": "integer", "maximum": 5})).unwrap();
//! let errors = validate_value(&schema, &json!(7));
//! assert_eq!(errors[0].message, "must be less than or equal to 5, got 7");
//! ```

#![warn(missing_docs)]

pub mod api_server;
#[cfg(feature = "cel")]
pub mod cel_value;
pub mod go_regex;
mod location;
pub mod types;
pub mod validate;

pub use location::Location;
pub use types::{ExternalDocs, Rule, Schema};
