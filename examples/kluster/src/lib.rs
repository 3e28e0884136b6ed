//! kluster: a sample operator that manages DigitalOcean Kubernetes clusters through a `Kluster`
//! custom resource, built on kgen's generated code.

pub mod api;
