//! The Kluster API types, read by `kgen crd` and `kgen_build::Builder`.

pub mod v1alpha1;
