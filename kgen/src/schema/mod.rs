//! OpenAPI v3 schemas: building them from the model, and the structural-schema checks the API
//! server enforces. The schema types and value validation live in `kgen-schema`, shared with the
//! fake API server; they are re-exported here under their old paths.

pub mod build;
pub mod builtin;
pub mod cel;
pub mod check;
pub mod known;

pub use kgen_schema::{ExternalDocs, Rule, Schema};
pub use kgen_schema::{types, validate};
