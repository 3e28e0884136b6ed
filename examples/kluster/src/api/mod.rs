//! The Kluster API types, read by `kgen crd` and `kgen_build::Builder`: v1beta1 is the storage
//! version, v1alpha1 is still served and converts to and from it.

pub mod v1alpha1;
pub mod v1beta1;
