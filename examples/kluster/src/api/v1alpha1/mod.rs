//! Kluster API, version v1alpha1: DigitalOcean Kubernetes clusters as custom resources. Still
//! served, converted to and from v1beta1 (the storage version) by the conversion webhook:
//! everything field by field except `KlusterSpec`, whose token reference moved (`conversion.rs`).
//!
//! +groupName=kgen.dev
//! +versionName=v1alpha1

mod conversion;
mod types;

pub use types::*;
