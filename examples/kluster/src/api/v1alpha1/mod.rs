//! Kluster API, version v1alpha1: DigitalOcean Kubernetes clusters as custom resources.
//!
//! +groupName=kgen.dev
//! +versionName=v1alpha1

mod types;

pub use types::*;
