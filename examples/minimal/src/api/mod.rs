//! The API types of the minimal example: one namespaced kind.

pub mod v1;
