//! kgen: a Kubernetes API code generator for Rust.
//!
//! Reads Rust API types with `syn` (nothing is compiled), understands controller-gen's and
//! code-generator's markers, and writes CustomResourceDefinitions.
//!
//! The pipeline: [`source`] (files, modules) → [`markers`] (parse) → [`model`] (groups, versions,
//! kinds, types) → [`schema`] (OpenAPI v3 structural schemas) → [`crd`] (CRD objects, YAML).

#![warn(missing_docs)]

pub mod diag;
pub mod markers;
pub mod schema;
