//! Validation of JSON values against a schema.
