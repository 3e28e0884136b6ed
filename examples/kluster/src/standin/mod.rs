//! A stateful stand-in for the DigitalOcean Kubernetes (DOKS) API, served on 127.0.0.1.
//!
//! It answers the `/v2/kubernetes/...` operations of DigitalOcean's official contract
//! (`contract/doks-openapi.yaml`) with state: clusters go from `provisioning` to `running` after
//! [`StandinConfig::provision_delay`], deletes leave a cluster `deleting` for
//! [`StandinConfig::delete_delay`] and then it is gone (404), and an upgrade (`POST …/upgrade` to one
//! of the versions `GET …/upgrades` offers) leaves it `upgrading` for [`StandinConfig::upgrade_delay`],
//! then `running` at the new version. It enforces DigitalOcean's per-token
//! rate limits, validates request bodies like the real API (422 `unprocessable_entity`), records
//! every request for assertions, and can inject [`Fault`]s.
//!
//! Time is read from `tokio::time::Instant` when a request arrives (there are no background
//! tasks), so tests with paused tokio time can move clusters along with `tokio::time::advance`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kluster::standin::{DoStandin, StandinConfig};
//! let standin = DoStandin::new(StandinConfig::default());
//! let server = standin.serve("127.0.0.1:0".parse().unwrap()).await?;
//! println!("DigitalOcean stand-in at {}", server.base_url());
//! # Ok(()) }
//! ```
//!
//! Operation names (used by [`DoStandin::count`], [`Fault::on`] and [`RecordedRequest::operation`])
//! are the contract's operationIds without the `kubernetes_` prefix, in snake case; see
//! [`OPERATIONS`]. Requests that match no operation are recorded as `"unknown"`.

mod clock;
mod faults;
mod ratelimit;
mod server;
mod state;

pub use faults::{Fault, FaultKind};
pub use server::StandinServer;

use ratelimit::RateLimiter;
use state::Store;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Every operation the stand-in serves, by name.
pub const OPERATIONS: &[&str] = &[
    "list_clusters",
    "create_cluster",
    "get_cluster",
    "update_cluster",
    "delete_cluster",
    "list_associated_resources",
    "destroy_associated_resources_selective",
    "destroy_associated_resources_dangerous",
    "get_kubeconfig",
    "get_credentials",
    "get_status_messages",
    "get_available_upgrades",
    "upgrade_cluster",
    "list_node_pools",
    "add_node_pool",
    "get_node_pool",
    "update_node_pool",
    "delete_node_pool",
    "delete_node",
    "list_options",
];

/// How the stand-in behaves.
#[derive(Clone, Debug)]
pub struct StandinConfig {
    /// A new cluster (and each new node) is `provisioning` for this long, then `running` (default 5 s).
    pub provision_delay: Duration,
    /// After DELETE the cluster is `deleting` for this long, then gone: GET and DELETE answer 404
    /// (default 0: gone at once).
    pub delete_delay: Duration,
    /// After `POST …/upgrade` the cluster is `upgrading` for this long, then `running` at the new
    /// version (default 5 s).
    pub upgrade_delay: Duration,
    /// Per-token rate limits; `None` means unlimited. Default: DigitalOcean's real limits.
    pub rate_limit: Option<RateLimitConfig>,
    /// If set, requests without `Authorization: Bearer <this token>` get 401 `unauthorized`.
    /// If `None`, any token (or none) is accepted.
    pub token: Option<String>,
}

impl Default for StandinConfig {
    fn default() -> Self {
        StandinConfig {
            provision_delay: Duration::from_secs(5),
            delete_delay: Duration::ZERO,
            upgrade_delay: Duration::from_secs(5),
            rate_limit: Some(RateLimitConfig::default()),
            token: None,
        }
    }
}

/// DigitalOcean's per-token limits, each a sliding window: every request counts for 60 s against
/// `per_minute` (the burst limit) and for 3600 s against `per_hour`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Burst limit: requests per 60 s (DigitalOcean: 250).
    pub per_minute: u32,
    /// Hourly limit: requests per 3600 s (DigitalOcean: 5000); reported as `ratelimit-limit`.
    pub per_hour: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_minute: 250,
            per_hour: 5000,
        }
    }
}

/// A snapshot of one cluster, for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandinCluster {
    /// The cluster's UUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Region slug, e.g. `fra1`.
    pub region: String,
    /// Version slug (`latest` and `1.33`-style requests are resolved to a full slug).
    pub version: String,
    /// `status.state`: `provisioning`, `running`, `upgrading` or `deleting`.
    pub state: String,
    /// The API server URL; empty until the cluster is running.
    pub endpoint: String,
    /// The client's tags plus `k8s` and `k8s:<id>`.
    pub tags: Vec<String>,
    /// The node pools, in creation order.
    pub node_pools: Vec<StandinNodePool>,
}

/// A snapshot of one node pool, for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandinNodePool {
    /// The pool's UUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Droplet size slug, e.g. `s-2vcpu-4gb`.
    pub size: String,
    /// Number of nodes.
    pub count: u32,
    /// The client's tags plus `k8s`, `k8s:<cluster id>` and `k8s:worker`.
    pub tags: Vec<String>,
}

/// One request the stand-in answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// The path without the query, e.g. `/v2/kubernetes/clusters`.
    pub path: String,
    /// The raw query string, if any (e.g. `page=2&per_page=5`).
    pub query: Option<String>,
    /// The status the stand-in answered.
    pub status: u16,
    /// The operation name (see [`OPERATIONS`]), or `"unknown"`.
    pub operation: String,
    /// The `x-request-id` sent with the answer.
    pub request_id: String,
}

/// Shared state behind the one lock.
struct Shared {
    config: StandinConfig,
    store: Store,
    limiter: RateLimiter,
    faults: faults::FaultQueue,
    requests: Vec<RecordedRequest>,
}

pub(crate) struct Inner {
    clock: clock::Clock,
    shared: Mutex<Shared>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The stand-in: shared state plus any number of servers. Cloning is cheap and shares the state.
#[derive(Clone)]
pub struct DoStandin {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DoStandin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoStandin")
            .field("config", &self.config())
            .finish_non_exhaustive()
    }
}

impl DoStandin {
    /// A stand-in with no clusters.
    pub fn new(config: StandinConfig) -> Self {
        let limiter = RateLimiter::new(config.rate_limit.clone());
        DoStandin {
            inner: Arc::new(Inner {
                clock: clock::Clock::new(),
                shared: Mutex::new(Shared {
                    config,
                    store: Store::default(),
                    limiter,
                    faults: faults::FaultQueue::default(),
                    requests: Vec::new(),
                }),
            }),
        }
    }

    /// Binds `addr` (tests use `127.0.0.1:0`) and serves the API on a spawned task until the
    /// returned [`StandinServer`] is shut down or dropped.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<StandinServer> {
        server::serve(self.inner.clone(), addr).await
    }

    /// The current configuration (with the current delays and rate limit).
    pub fn config(&self) -> StandinConfig {
        let s = self.inner.lock();
        StandinConfig {
            rate_limit: s.limiter.config.clone(),
            ..s.config.clone()
        }
    }

    /// Clusters that exist now (including ones still `deleting`), in creation order.
    pub fn clusters(&self) -> Vec<StandinCluster> {
        self.inner.lock().store.snapshot(tokio::time::Instant::now())
    }

    /// The cluster with this id, if it exists now.
    pub fn cluster(&self, id: &str) -> Option<StandinCluster> {
        self.clusters().into_iter().find(|c| c.id == id)
    }

    /// Every request answered so far, in the order the answers were sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// How many requests were answered.
    pub fn request_count(&self) -> usize {
        self.inner.lock().requests.len()
    }

    /// How many requests were answered for `operation` (e.g. `"create_cluster"`), whatever the status.
    pub fn count(&self, operation: &str) -> usize {
        self.inner
            .lock()
            .requests
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }

    /// How many requests were answered 429, by the rate limiter or an injected
    /// [`FaultKind::TooManyRequests`].
    pub fn count_rate_limited(&self) -> usize {
        self.inner.lock().requests.iter().filter(|r| r.status == 429).count()
    }

    /// Forgets the recorded requests (the rate-limit windows are kept).
    pub fn clear_requests(&self) {
        self.inner.lock().requests.clear();
    }

    /// Queues a fault; faults are consumed in injection order by the requests they match.
    pub fn inject(&self, fault: Fault) {
        self.inner.lock().faults.push(fault);
    }

    /// How many injected faults still have uses left.
    pub fn pending_faults(&self) -> usize {
        self.inner.lock().faults.len()
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.inner.lock().faults.clear();
    }

    /// Changes the provisioning delay for clusters and nodes created from now on.
    pub fn set_provision_delay(&self, delay: Duration) {
        self.inner.lock().config.provision_delay = delay;
    }

    /// Changes the deletion delay for deletes from now on.
    pub fn set_delete_delay(&self, delay: Duration) {
        self.inner.lock().config.delete_delay = delay;
    }

    /// Changes the upgrade delay for upgrades from now on.
    pub fn set_upgrade_delay(&self, delay: Duration) {
        self.inner.lock().config.upgrade_delay = delay;
    }

    /// Replaces the rate limits (`None`: unlimited) and forgets the counted requests.
    pub fn set_rate_limit(&self, rate_limit: Option<RateLimitConfig>) {
        self.inner.lock().limiter = RateLimiter::new(rate_limit);
    }
}
