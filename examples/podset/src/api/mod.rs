//! The PodSet API.

pub mod v1;
