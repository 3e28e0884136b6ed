//! DigitalOcean API client for the DOKS endpoints the operator uses.
//!
//! One [`DoApi`] is shared by every `Kluster` the operator manages: it owns the HTTP client (one
//! connection pool), the base URL, the [`RetryPolicy`], the per-token client-side rate limiters and
//! request counters. [`DoApi::client`] gives a cheap [`DoClient`] bound to one [`Token`]; clients made
//! for the same token share that token's limiter, so a thousand `Kluster`s on one token stay under
//! DigitalOcean's burst limit of 250 requests per minute and 5,000 per hour.
//!
//! Behaviour, following DigitalOcean's API documentation and the contract in `contract/`:
//! - requests carry `Authorization: Bearer <token>`, `Accept: application/json`,
//!   `User-Agent: kluster/<version>` and, with a body, `Content-Type: application/json`;
//! - idempotent calls (GET, PUT, DELETE) retry connection errors, `429` and `5xx` except `501`;
//!   creates (POST) retry only `429`, which DigitalOcean sends before processing a request;
//! - waits honour `retry-after`, otherwise back off exponentially from
//!   [`RetryPolicy::min_wait`] to [`RetryPolicy::max_wait`];
//! - `ratelimit-remaining: 0` holds the token's requests until `ratelimit-reset`;
//! - errors keep the status, the error `id`, `message`, request id and the number of attempts, and
//!   never contain the token.
//!
//! Waiting uses `tokio::time`, so tests with a paused clock run instantly.

mod client;
mod error;
mod limiter;
mod retry;
mod token;
mod types;

pub use client::{DoApi, DoClient};
pub use error::DoError;
pub use limiter::{RateInfo, RateLimits};
pub use retry::RetryPolicy;
pub use token::Token;
pub use types::{
    Cluster, ClusterCreate, ClusterState, ClusterStatus, ClusterUpgrade, KubernetesOptions, KubernetesVersion,
    NodePool, NodePoolCreate, NodePoolUpdate, Offered,
};

/// The public DigitalOcean API endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com";

/// Installs rustls' ring crypto provider as the process default (idempotent). kube and reqwest share it.
///
/// reqwest is built with `rustls-no-provider`, so a provider must be installed before the first
/// HTTPS client is built; [`DoApi::new`] calls this itself. Calling it again, or after another
/// provider was installed, does nothing.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing a provider is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
