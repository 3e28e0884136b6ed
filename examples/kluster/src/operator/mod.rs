//! The Kluster controller, built only on what kgen generated: the typed clientset, the shared
//! informer and lister of Klusters, and kgen-runtime's work queue.
//!
//! For each Kluster, [`reconcile`](reconcile::reconcile) (level-based, idempotent):
//! 1. adds the finalizer `kgen.dev/kluster-cleanup` and writes progress `Pending`;
//! 2. reads the DigitalOcean token from the Secret in `spec.tokenSecretRef` (a missing Secret or
//!    key is a Warning event and `Ready=False`, retried with backoff and when the Secret changes);
//! 3. without `status.clusterID`, protects the token Secret with the finalizer
//!    `kgen.dev/token-in-use` ([`tokens`]), then creates the cluster tagged with the Kluster's uid
//!    (or adopts the one a previous run created before it could record it) and records the id;
//! 4. polls the cluster with backoff until it runs, then stores its kubeconfig in the Secret
//!    `<name>-kubeconfig` (owned by the Kluster; stored again at once if it is deleted) and sets
//!    `Ready=True`, progress `Running`;
//! 5. applies node pool changes (count, size, added and removed pools) and upgrades the cluster
//!    to a newer `spec.version` (refusing older ones), reported in the `Synced` condition;
//! 6. on deletion, deletes the cluster, waits until it is gone and removes the finalizer; the
//!    token Secret is released once no Kluster that may have a cluster uses it.
//!
//! Events (events.k8s.io/v1, [`recorder`]) mark every step; every failure that stops progress is
//! a Warning event and a condition reason with the API's message. Every write carries the field
//! manager [`MANAGER`]. With leader election, only the replica holding the Lease runs workers.

pub mod admission;
pub mod context;
pub mod controller;
pub mod health;
pub mod leader;
pub mod nodepools;
pub mod reconcile;
pub mod recorder;
pub mod status;
pub mod tokens;
pub mod versions;
pub mod watches;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kgen_runtime::workqueue::{Bucket, ItemExponential, MaxOf, WorkQueue};
use tokio::task::JoinSet;
use tracing::{info, warn};

pub use context::{Context, FINALIZER, MANAGER, Metrics, Timing, USER_AGENT, kube_error_text};
pub use leader::{LeaderElector, LeaseConfig};
pub use tokens::TOKEN_FINALIZER;

use crate::digitalocean::DoApi;
use crate::generated::{Clientset, SharedInformerFactory};

/// How the operator runs.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// Watch only this namespace (all when `None`).
    pub namespace: Option<String>,
    /// Number of concurrent reconciles (different Klusters).
    pub workers: usize,
    /// Poll intervals.
    pub timing: Timing,
    /// Lease to hold while reconciling; `None` runs without leader election.
    pub leader_election: Option<LeaseConfig>,
    /// Address of `/healthz`, `/readyz` and `/metrics`; `None` serves none.
    pub health_addr: Option<SocketAddr>,
    /// This replica's name in events.
    pub identity: Option<String>,
    /// What DigitalOcean offers, for the validating webhook: refreshed while reconciling when
    /// stale (`None`: not read).
    pub offers: Option<Arc<admission::OfferCatalog>>,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        OperatorConfig {
            namespace: None,
            workers: 4,
            timing: Timing::default(),
            leader_election: None,
            health_addr: None,
            identity: None,
            offers: None,
        }
    }
}

/// Why the operator stopped other than being asked to.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// Another replica took the Lease or it could not be renewed in time.
    #[error("lost leadership of lease {0}")]
    LostLeadership(String),
    /// The health endpoint could not be served.
    #[error("health endpoint: {0}")]
    Health(#[from] std::io::Error),
    /// The informer stopped before its cache synced.
    #[error("the Kluster informer stopped before its cache synced")]
    CacheSync,
    /// The leader-election Lease cannot be used: RBAC refuses it, or its namespace is missing.
    #[error(
        "cannot use the leader-election Lease {lease}: {message} (check --lease-namespace and the operator's Role in that namespace)"
    )]
    LeaseAccess {
        /// `namespace/name` of the Lease.
        lease: String,
        /// The API server's answer.
        message: String,
    },
}

/// Makes `config` identify the operator: the User-Agent [`USER_AGENT`], from which the API server
/// derives the field manager (`kluster-operator`) of any write that names none.
pub fn identify(config: &mut kube::Config) {
    config
        .headers
        .push((http::header::USER_AGENT, http::HeaderValue::from_static(USER_AGENT)));
}

/// A Kubernetes client for `config`, identified as the operator ([`identify`]).
pub fn client(mut config: kube::Config) -> Result<kube::Client, kube::Error> {
    identify(&mut config);
    kube::Client::try_from(config)
}

/// The operator: a Kubernetes client, DigitalOcean's API and the settings.
pub struct Operator {
    client: kube::Client,
    digitalocean: DoApi,
    config: OperatorConfig,
    metrics: Arc<Metrics>,
}

impl Operator {
    /// An operator over `client` and `digitalocean`.
    pub fn new(client: kube::Client, digitalocean: DoApi, config: OperatorConfig) -> Self {
        Operator {
            client,
            digitalocean,
            config,
            metrics: Arc::default(),
        }
    }

    /// The counters (reconciles, errors, leadership).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Runs until `shutdown` completes (then returns `Ok`) or leadership is lost. With leader
    /// election, a Lease that RBAC refuses (or whose namespace is missing) is an error at once.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), OperatorError> {
        let ready = Arc::new(AtomicBool::new(false));
        let _health = match self.config.health_addr {
            Some(addr) => {
                let state = health::HealthState {
                    ready: ready.clone(),
                    metrics: self.metrics.clone(),
                    digitalocean: self.digitalocean.clone(),
                };
                let (bound, task) = health::serve(addr, state).await?;
                info!(%bound, "serving /healthz, /readyz and /metrics");
                Some(AbortOnDrop(task))
            }
            None => None,
        };
        tokio::pin!(shutdown);

        let elector = self
            .config
            .leader_election
            .clone()
            .map(|c| LeaderElector::new(self.client.clone(), c));
        let mut leading = elector.is_none();
        if let Some(elector) = &elector {
            // One attempt first: a Lease the operator may not use is a configuration error, not
            // something to retry every retry period for ever.
            match elector.try_acquire_or_renew().await {
                Ok(now) => leading = now,
                Err(e) if leader::is_access_error(&e) => {
                    return Err(OperatorError::LeaseAccess {
                        lease: elector.lease(),
                        message: kube_error_text(&e),
                    });
                }
                Err(e) => {
                    warn!(lease = %elector.lease(), error = %kube_error_text(&e), "could not read or write the lease; retrying")
                }
            }
        }
        // Able to serve: a standby is ready too, or a rolling update would wait for the old
        // leader to give up the Lease.
        ready.store(true, Ordering::Relaxed);
        if let Some(elector) = elector.as_ref().filter(|_| !leading) {
            info!(identity = %elector.config().identity, lease = %elector.lease(), "waiting for leadership");
            tokio::select! {
                _ = elector.acquire() => {}
                _ = &mut shutdown => return Ok(()),
            }
        }
        if let Some(elector) = &elector {
            self.metrics.leader.store(1, Ordering::Relaxed);
            Metrics::inc(&self.metrics.leader_acquisitions);
            info!(identity = %elector.config().identity, lease = %elector.lease(), "leading");
        }

        let factory = match &self.config.namespace {
            Some(ns) => SharedInformerFactory::from_runtime(
                kgen_runtime::informer::SharedInformerFactory::new(self.client.clone(), None).namespace(ns.clone()),
            ),
            None => SharedInformerFactory::new(self.client.clone(), None),
        };
        let informer = factory.kgen_v1beta1().klusters();
        informer
            .add_indexer(tokens::TOKEN_INDEX, tokens::index_of)
            .expect("the token index is added once");
        let secrets = watches::secret_informer(self.client.clone(), self.config.namespace.as_deref());
        let queue = WorkQueue::builder().name("klusters").rate_limiter(limiter()).build();
        let secret_queue: tokens::SecretQueue = WorkQueue::builder()
            .name("token-secrets")
            .rate_limiter(limiter())
            .build();
        controller::enqueue_from(&informer, &queue, &secret_queue);
        watches::route(&secrets, informer.lister(), queue.clone(), secret_queue.clone());
        let ctx = Arc::new(
            Context::new(
                Clientset::new(self.client.clone()),
                informer.lister(),
                self.digitalocean.clone(),
                self.config.timing.clone(),
                self.config.identity.clone(),
                self.metrics.clone(),
                secret_queue.clone(),
            )
            .with_offers(self.config.offers.clone()),
        );
        factory.start();
        let mut running = Running {
            workers: JoinSet::new(),
            queues: (queue.clone(), secret_queue.clone()),
            informer: informer.clone(),
            secrets: secrets.clone(),
        };
        running.workers.spawn(secrets.run());
        if !factory.wait_for_cache_sync().await || !secrets.wait_for_cache_sync().await {
            return Err(OperatorError::CacheSync);
        }
        for _ in 0..self.config.workers.max(1) {
            running.workers.spawn(controller::worker(ctx.clone(), queue.clone()));
        }
        running.workers.spawn(tokens::worker(ctx.clone(), secret_queue.clone()));
        info!(workers = self.config.workers.max(1), "controller started");

        let result = match &elector {
            Some(elector) => tokio::select! {
                _ = elector.hold() => Err(OperatorError::LostLeadership(elector.lease())),
                _ = &mut shutdown => Ok(()),
            },
            None => {
                shutdown.await;
                Ok(())
            }
        };

        // A worker in the middle of a DigitalOcean call is cut short; its work is level-based.
        drop(running);
        factory.shutdown().await;
        self.metrics.leader.store(0, Ordering::Relaxed);
        if let Some(elector) = &elector {
            if result.is_ok() {
                elector.release().await;
            } else {
                warn!(lease = %elector.lease(), "stopped reconciling after losing leadership");
            }
        }
        info!("controller stopped");
        result
    }
}

/// client-go's controller limiter, with the per-item backoff capped at 5 minutes rather than
/// 1000 s: a Kluster waiting for its token Secret is retried at least that often (and at once when
/// the Secret appears or changes).
fn limiter<T: Clone + Eq + std::hash::Hash + Send + Sync + 'static>() -> MaxOf<T> {
    MaxOf::new(vec![
        Box::new(ItemExponential::new(Duration::from_millis(5), Duration::from_secs(300))),
        Box::new(Bucket::new(10.0, 100)),
    ])
}

/// The workers and the informer: stopped when the run ends or its future is dropped (a killed
/// operator must not leave workers behind).
struct Running {
    workers: JoinSet<()>,
    queues: (controller::KlusterQueue, tokens::SecretQueue),
    informer: crate::generated::kgen_v1beta1::KlusterInformer,
    secrets: watches::SecretInformer,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.queues.0.shutdown();
        self.queues.1.shutdown();
        self.informer.informer().shutdown();
        self.secrets.shutdown();
        self.workers.abort_all();
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
