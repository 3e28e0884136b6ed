//! Kluster API, version v1beta1, the storage version: where the DigitalOcean API token is moved
//! under `spec.token.secretKeyRef` (v1alpha1's `spec.tokenSecretRef`), the shape Kubernetes uses
//! for values from Secrets. v1alpha1 objects convert to and from it through the conversion webhook.
//!
//! +groupName=kgen.dev
//! +versionName=v1beta1
//! +kgen:conversion:webhook

mod types;

pub use types::*;
