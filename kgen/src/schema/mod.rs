//! OpenAPI v3 schemas: the types, the structural-schema checks the API server enforces, and
//! validation of values (defaults, examples, and objects) against a schema.

pub mod build;
pub mod check;
pub mod known;
pub mod types;
pub mod validate;

pub use types::{ExternalDocs, Rule, Schema};
