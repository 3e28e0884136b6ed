//! A stateful stand-in for the DigitalOcean Kubernetes (DOKS) API, served on 127.0.0.1.
