//! The Kluster API types, read by `kgen crd` and `kgen::Builder`.

pub mod v1alpha1;
