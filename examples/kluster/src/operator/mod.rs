//! The Kluster controller, built only on what kgen generated: the typed clientset, the shared
//! informer and lister of Klusters, and kgen-runtime's work queue.
//!
//! For each Kluster, [`reconcile`](reconcile::reconcile) (level-based, idempotent):
//! 1. adds the finalizer `kgen.dev/kluster-cleanup`;
//! 2. reads the DigitalOcean token from the Secret in `spec.tokenSecretRef` (a missing Secret or
//!    key is a Warning event and `Ready=False`, retried with backoff);
//! 3. without `status.clusterID`, creates the cluster tagged with the Kluster's uid (or adopts the
//!    one a previous run created before it could record it) and records the id at once;
//! 4. polls the cluster with backoff until it runs, then stores its kubeconfig in the Secret
//!    `<name>-kubeconfig` (owned by the Kluster) and sets `Ready=True`, progress `Running`;
//! 5. applies node pool changes (count, size, added and removed pools);
//! 6. on deletion, deletes the cluster, waits until it is gone and removes the finalizer.
//!
//! Events (events.k8s.io/v1) mark every step. With leader election, only the replica holding
//! the Lease runs workers.

pub mod context;
pub mod controller;
pub mod health;
pub mod leader;
pub mod nodepools;
pub mod reconcile;
pub mod status;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kgen_runtime::workqueue::{Bucket, ItemExponential, MaxOf, WorkQueue};
use tokio::task::JoinSet;
use tracing::{info, warn};

pub use context::{Context, FINALIZER, MANAGER, Metrics, Timing};
pub use leader::{LeaderElector, LeaseConfig};

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

    /// Runs until `shutdown` completes (then returns `Ok`) or leadership is lost.
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
        if let Some(elector) = &elector {
            info!(identity = %elector.config().identity, lease = %elector.config().name, "waiting for leadership");
            tokio::select! {
                _ = elector.acquire() => {}
                _ = &mut shutdown => return Ok(()),
            }
            self.metrics.leader.store(1, Ordering::Relaxed);
            info!(identity = %elector.config().identity, "leading");
        }

        let factory = match &self.config.namespace {
            Some(ns) => SharedInformerFactory::from_runtime(
                kgen_runtime::informer::SharedInformerFactory::new(self.client.clone(), None).namespace(ns.clone()),
            ),
            None => SharedInformerFactory::new(self.client.clone(), None),
        };
        let informer = factory.kgen_v1alpha1().klusters();
        // client-go's controller limiter, with the per-item backoff capped at 5 minutes rather than
        // 1000 s: a Kluster waiting for its token Secret is retried at least that often.
        let limiter = MaxOf::new(vec![
            Box::new(ItemExponential::new(Duration::from_millis(5), Duration::from_secs(300))),
            Box::new(Bucket::new(10.0, 100)),
        ]);
        let queue = WorkQueue::builder().name("klusters").rate_limiter(limiter).build();
        controller::enqueue_from(&informer, &queue);
        let ctx = Arc::new(Context::new(
            Clientset::new(self.client.clone()),
            informer.lister(),
            self.digitalocean.clone(),
            self.config.timing.clone(),
            self.config.identity.clone(),
            self.metrics.clone(),
        ));
        factory.start();
        if !factory.wait_for_cache_sync().await {
            return Err(OperatorError::CacheSync);
        }
        ready.store(true, Ordering::Relaxed);
        let mut running = Running {
            workers: JoinSet::new(),
            queue: queue.clone(),
            informer: informer.clone(),
        };
        for _ in 0..self.config.workers.max(1) {
            running.workers.spawn(controller::worker(ctx.clone(), queue.clone()));
        }
        info!(workers = running.workers.len(), "controller started");

        let result = match &elector {
            Some(elector) => tokio::select! {
                _ = elector.hold() => Err(OperatorError::LostLeadership(elector.config().name.clone())),
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
                warn!("stopped reconciling after losing leadership");
            }
        }
        info!("controller stopped");
        result
    }
}

/// The workers and the informer: stopped when the run ends or its future is dropped (a killed
/// operator must not leave workers behind).
struct Running {
    workers: JoinSet<()>,
    queue: controller::KlusterQueue,
    informer: crate::generated::kgen_v1alpha1::KlusterInformer,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.queue.shutdown();
        self.informer.informer().shutdown();
        self.workers.abort_all();
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
