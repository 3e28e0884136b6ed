//! What every reconcile shares: clients, the DigitalOcean API, the event recorder, settings, metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::admission::OfferCatalog;
use super::recorder::Recorder;
use super::tokens::{SecretQueue, TokenLocks};
use crate::digitalocean::DoApi;
use crate::generated::{Clientset, kgen_v1beta1::KlusterLister};

/// The operator's one name at the API server: the field manager of every write (finalizer patches,
/// status writes, Secrets, events, the Lease), the events' reporting controller, and the first part
/// of its User-Agent (from which the API server derives the manager of writes without one).
pub const MANAGER: &str = "kluster-operator";

/// The User-Agent of the operator's Kubernetes client: `kluster-operator/<version>`.
pub const USER_AGENT: &str = concat!("kluster-operator/", env!("CARGO_PKG_VERSION"));

/// The finalizer that keeps a Kluster until its cluster is deleted at DigitalOcean.
pub const FINALIZER: &str = "kgen.dev/kluster-cleanup";

/// The DigitalOcean tag that marks a cluster as made for a Kluster (by the Kluster's uid), so a
/// cluster created by a run that died before writing the status is found again, not made twice.
pub fn owner_tag(uid: &str) -> String {
    format!("kluster-uid:{uid}")
}

/// A Kubernetes API error in one line: `403 Forbidden: <the API server's message>` for API errors
/// (not kube's `Debug` dump of the whole `Status`), the error's text otherwise.
pub fn kube_error_text(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => {
            let reason = if s.reason.is_empty() {
                "Error"
            } else {
                s.reason.as_str()
            };
            format!("{} {reason}: {}", s.code, s.message)
        }
        other => other.to_string(),
    }
}

/// How often and how long the operator waits.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Shortest wait between two polls of a provisioning or deleting cluster.
    pub poll_min: Duration,
    /// Longest wait between two polls.
    pub poll_max: Duration,
    /// How often a Running Kluster is checked against DigitalOcean (drift, node pools).
    pub resync: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll_min: Duration::from_secs(5),
            poll_max: Duration::from_secs(60),
            resync: Duration::from_secs(600),
        }
    }
}

/// Counters exposed on `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Reconciles run.
    pub reconciles: AtomicU64,
    /// Reconciles that failed.
    pub reconcile_errors: AtomicU64,
    /// 1 while this replica leads (0 without leader election).
    pub leader: AtomicU64,
    /// Times this replica became the leader.
    pub leader_acquisitions: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Shared by all workers.
pub struct Context {
    /// The typed clientset kgen generated.
    pub clientset: Clientset,
    /// The informer cache of Klusters (with the token Secret index, see [`super::tokens`]).
    pub lister: KlusterLister,
    /// DigitalOcean's API (one HTTP client and rate limiter per token).
    pub digitalocean: DoApi,
    /// Publishes events.k8s.io/v1 events.
    pub recorder: Recorder,
    /// Poll intervals.
    pub timing: Timing,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// One lock per token Secret: protecting it and releasing it never interleave.
    pub tokens: TokenLocks,
    /// Token Secrets whose protection may no longer be needed.
    pub secret_queue: SecretQueue,
    /// What DigitalOcean offers, refreshed for the validating webhook (`None`: not read).
    pub offers: Option<Arc<OfferCatalog>>,
}

impl Context {
    /// A context; `instance` names this replica in events.
    pub fn new(
        clientset: Clientset,
        lister: KlusterLister,
        digitalocean: DoApi,
        timing: Timing,
        instance: Option<String>,
        metrics: Arc<Metrics>,
        secret_queue: SecretQueue,
    ) -> Self {
        let recorder = Recorder::new(clientset.client().clone(), instance);
        Context {
            clientset,
            lister,
            digitalocean,
            recorder,
            timing,
            metrics,
            tokens: TokenLocks::default(),
            secret_queue,
            offers: None,
        }
    }

    /// With the validating webhook's catalog to refresh while reconciling.
    pub fn with_offers(mut self, offers: Option<Arc<OfferCatalog>>) -> Self {
        self.offers = offers;
        self
    }
}
